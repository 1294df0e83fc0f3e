#!/usr/bin/env bash
# Fails unless the AWS credentials in the environment belong to the account of the stack (healthcare-dr:accountId in
# Pulumi.<stack>.yaml). The program takes the account from config instead of asking STS (a preview must work while a
# region is down), so this check, against the STS endpoint of the region the credentials were taken in, stands in
# for the provider's own account lookup.
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
