/**
 * Data residency: every AWS provider and every regional resource is in an allowed region (default: the UK and the
 * EU). Not a HIPAA section of its own; it belongs to the risk-management plan (164.308(a)(1)(ii)(B)) and to the
 * UK GDPR's transfer rules that this product also answers to.
 *
 * One narrow exception, for control-plane resources that AWS requires in a fixed region: in `controlPlaneRegions`
 * (default us-east-1), resources of `controlPlaneTypes` (default: the CloudWatch alarm, EventBridge rule and target,
 * IAM role and inline policy of the health-check detection path, and their provider) are allowed. Route 53 publishes
 * health-check metrics in us-east-1 only, and an alarm must be in its metric's region. None of these types stores
 * data; any other type there is still a violation.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
 */
import { resourcePolicy, type PackPolicy } from "./lib/policy";
import { AWS_PROVIDER_TYPE } from "./lib/resources";
import { T } from "./lib/types";
import { records, str } from "./lib/values";

/** The UK and EU regions of the aws partition. */
export const DEFAULT_ALLOWED_REGIONS = [
    "eu-west-2",
    "eu-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-3",
] as const;

/** Where Route 53 publishes health-check metrics, so where the alarm on a health check must be. */
export const DEFAULT_CONTROL_PLANE_REGIONS = ["us-east-1"] as const;

/**
 * What may be declared in a control-plane region: the health-check alarm, the EventBridge rule and target that
 * forward its state changes to an allowed region, the role and inline policy EventBridge uses for that, and the
 * provider they are declared with. No type that stores data.
 */
export const DEFAULT_CONTROL_PLANE_TYPES = [
    AWS_PROVIDER_TYPE,
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
] as const;

/**
 * Types that keep copies of their data in other regions, declared inline, and where each copy's region is: a DynamoDB
 * global table's `replicas[].regionName`, a secret's `replicas[].region`. The copy is a resource in that region
 * although no provider of that region declares it, so its region is checked like a resource's own. Data is never
 * control plane: a replica is allowed in `allowedRegions` only.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables-CoreConcepts.html
 */
const REPLICA_REGIONS: Readonly<Record<string, { readonly list: string; readonly region: string }>> = {
    [T.dynamoTable]: { list: "replicas", region: "regionName" },
    [T.secret]: { list: "replicas", region: "region" },
};

interface ResidencyConfig {
    readonly allowedRegions: string[];
    readonly controlPlaneRegions: string[];
    readonly controlPlaneTypes: string[];
}

export const dataResidency = resourcePolicy({
    name: "data-residency",
    description:
        "Every AWS provider and resource, and every replica a resource keeps in another region (DynamoDB global tables, secrets), is in one of the allowed regions (default: the UK and EU regions); only control-plane types may be in the control-plane regions (default: the health-check alarm path in us-east-1).",
    remediationSteps:
        "Use an explicit aws.Provider for an allowed region, or add the region to allowedRegions in the policy config. Only the types in controlPlaneTypes may use a controlPlaneRegions provider.",
    configSchema: {
        properties: {
            allowedRegions: {
                type: "array",
                items: { type: "string" },
                default: [...DEFAULT_ALLOWED_REGIONS],
                description: "Regions resources may be created in.",
            },
            controlPlaneRegions: {
                type: "array",
                items: { type: "string" },
                default: [...DEFAULT_CONTROL_PLANE_REGIONS],
                description: "Regions where only controlPlaneTypes may be created (AWS fixes the region of some metrics).",
            },
            controlPlaneTypes: {
                type: "array",
                items: { type: "string" },
                default: [...DEFAULT_CONTROL_PLANE_TYPES],
                description: "Types (none storing data) allowed in controlPlaneRegions.",
            },
        },
    },
    metadata: {
        concern: "data-residency",
        hipaa: ["164.308(a)(1)(ii)(B)"],
        checks: "Provider region and each resource's own region input are in allowedRegions, or in controlPlaneRegions for controlPlaneTypes only; a resource whose region cannot be determined fails; DynamoDB table and secret replicas (replicas[].regionName / region) are in allowedRegions",
        // Every AWS type: matched by prefix in `validate`, listed here for the coverage counts.
        resourceTypes: [AWS_PROVIDER_TYPE, "aws:*"],
        docs: [
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables-CoreConcepts.html",
        ],
    },
    appliesTo: (type) => type === AWS_PROVIDER_TYPE || type.startsWith("aws:"),
    validate: (args, report) => {
        const config = args.getConfig<ResidencyConfig>();
        const allowed = (region: string): boolean =>
            config.allowedRegions.includes(region) ||
            (config.controlPlaneRegions.includes(region) && config.controlPlaneTypes.includes(args.type));
        const why = (region: string): string =>
            `which is not an allowed region (${config.allowedRegions.join(", ")})` +
            (config.controlPlaneRegions.includes(region)
                ? `; ${region} admits only the control-plane types ${config.controlPlaneTypes.join(", ")}, not ${args.type}`
                : "");
        const own = str(args.props["region"]);
        // A provider in a control-plane region passes (its type is a control-plane type by default); each resource
        // declared with it is then checked on its own type.
        if (args.type === AWS_PROVIDER_TYPE) {
            if (own === undefined) {
                report("The AWS provider has no region: set region explicitly (the ambient AWS_REGION is not reviewed).");
            } else if (!allowed(own)) {
                report(`The AWS provider's region ${own} is not an allowed region (${config.allowedRegions.join(", ")}).`);
            }
            return;
        }
        const replicas = REPLICA_REGIONS[args.type];
        if (replicas !== undefined) {
            records(args.props[replicas.list]).forEach((replica, i) => {
                const at = str(replica[replicas.region]);
                if (at !== undefined && !config.allowedRegions.includes(at)) {
                    report(
                        `The resource keeps a replica in ${at} (${replicas.list}[${i}].${replicas.region}), which is not an allowed region (${config.allowedRegions.join(", ")}): replicate only to an allowed region.`,
                    );
                }
            });
        }
        const providerRegion = args.provider !== undefined ? str(args.provider.props["region"]) : undefined;
        const region = own ?? providerRegion;
        if (region === undefined) {
            report("The resource's region cannot be determined: give it an explicit regional provider.");
        } else if (!allowed(region)) {
            report(
                `The resource is in ${region}${own !== undefined ? " (its region input)" : " (its provider's region)"}, ${why(region)}.`,
            );
        }
    },
});

export const residencyPolicies: readonly PackPolicy[] = [dataResidency];
