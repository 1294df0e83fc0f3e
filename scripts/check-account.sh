#!/usr/bin/env bash
# Fails unless the AWS credentials in the environment belong to the account of the stack (healthcare-dr:accountId in
# Pulumi.<stack>.yaml). The program takes the account from config instead of asking STS (a preview must work while a
# region is down), so this check, against the STS endpoint of the region the credentials were taken in, stands in
# for the provider's own account lookup.
#
# Then, when the stack creates its own AWS Config recorders (healthcare-dr:compliance.awsConfig: create, the default),
# fails if either region already has a customer-managed recorder or a delivery channel other than the stack's: AWS
# Config allows one of each per account and region, so `pulumi up` would fail half-way. The program cannot ask at
# preview (no AWS call at preview: static stability), so this is where the collision is caught.
# https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:?usage: scripts/check-account.sh STACK}"
expected="$(sed -n 's/^ *healthcare-dr:accountId: *"\{0,1\}\([0-9]\{12\}\)"\{0,1\} *$/\1/p' "Pulumi.${stack}.yaml")"
if [ -z "$expected" ]; then
    echo "Pulumi.${stack}.yaml sets no healthcare-dr:accountId" >&2
    exit 1
fi
actual="$(aws sts get-caller-identity --query Account --output text)"
if [ "$actual" != "$expected" ]; then
    echo "The credentials are for account ${actual}, but stack ${stack} deploys into ${expected} (healthcare-dr:accountId)" >&2
    exit 1
fi
echo "Credentials: account ${actual}, as stack ${stack} expects"

setting() { # the value of a top-level healthcare-dr:<key> of the stack file, or $2
    local value
    value="$(sed -n "s/^ *healthcare-dr:$1: *\"\{0,1\}\([^\"]*\)\"\{0,1\} *\$/\1/p" "Pulumi.${stack}.yaml")"
    echo "${value:-$2}"
}
# healthcare-dr:compliance is an object: its awsConfig key is on an indented line below it (default: create).
mode="$(awk '/^ *healthcare-dr:compliance:/ { inside = 1; next } inside && /^ *awsConfig:/ { print $2; exit } inside && /^ *healthcare-dr:/ { exit }' "Pulumi.${stack}.yaml" | tr -d '"')"
mode="${mode:-create}"
if [ "$mode" != "create" ]; then
    echo "AWS Config: healthcare-dr:compliance.awsConfig is ${mode}; the stack creates no recorder"
    exit 0
fi
failed=0
for region in "$(setting primaryRegion eu-west-2)" "$(setting drRegion eu-west-1)"; do
    own="hdr-${stack}-config-${region}"
    # Customer-managed recorders only: a service-linked recorder (servicePrincipal set) does not take the slot. A region
    # that cannot be reached is not checked: a deploy during its outage must stay possible.
    if ! recorders="$(aws configservice describe-configuration-recorders --region "$region" \
        --query 'ConfigurationRecorders[?!servicePrincipal].name' --output text)"; then
        echo "AWS Config recorders of ${region} could not be listed; not checked" >&2
        continue
    fi
    if ! channels="$(aws configservice describe-delivery-channels --region "$region" --query 'DeliveryChannels[].name' --output text)"; then
        echo "AWS Config delivery channels of ${region} could not be listed; not checked" >&2
        continue
    fi
    for name in $recorders $channels; do
        if [ "$name" != "None" ] && [ "$name" != "$own" ]; then
            echo "AWS Config in ${region} already has a configuration recorder or delivery channel named ${name}, and AWS Config allows one of each per account and region: set healthcare-dr:compliance.awsConfig to existing in Pulumi.${stack}.yaml (the stack then deploys its conformance pack, rules and alerts on that recorder), or remove ${name}" >&2
            failed=1
        fi
    done
done
[ "$failed" = 0 ] || exit 1
echo "AWS Config: no other recorder in either region; the stack creates its own"
