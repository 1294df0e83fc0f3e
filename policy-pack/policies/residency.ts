/**
 * Data residency: every AWS provider and every regional resource is in an allowed region (default: the UK and the
 * EU). Not a HIPAA section of its own; it belongs to the risk-management plan (164.308(a)(1)(ii)(B)) and to the
 * UK GDPR's transfer rules that this product also answers to.
 */
import { resourcePolicy, type PackPolicy } from "./lib/policy";
import { AWS_PROVIDER_TYPE } from "./lib/resources";
import { str } from "./lib/values";

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

export const dataResidency = resourcePolicy({
    name: "data-residency",
    description: "Every AWS provider and resource is in one of the allowed regions (default: the UK and EU regions).",
    remediationSteps: "Use an explicit aws.Provider for an allowed region, or add the region to allowedRegions in the policy config.",
    configSchema: {
        properties: {
            allowedRegions: {
                type: "array",
                items: { type: "string" },
                default: [...DEFAULT_ALLOWED_REGIONS],
                description: "Regions resources may be created in.",
            },
        },
    },
    metadata: {
        concern: "data-residency",
        hipaa: ["164.308(a)(1)(ii)(B)"],
        checks: "Provider region and each resource's own region input are in allowedRegions; a resource whose region cannot be determined fails",
        // Every AWS type: matched by prefix in `validate`, listed here for the coverage counts.
        resourceTypes: [AWS_PROVIDER_TYPE, "aws:*"],
    },
    appliesTo: (type) => type === AWS_PROVIDER_TYPE || type.startsWith("aws:"),
    validate: (args, report) => {
        const { allowedRegions } = args.getConfig<{ allowedRegions: string[] }>();
        const own = str(args.props["region"]);
        if (args.type === AWS_PROVIDER_TYPE) {
            if (own === undefined) {
                report("The AWS provider has no region: set region explicitly (the ambient AWS_REGION is not reviewed).");
            } else if (!allowedRegions.includes(own)) {
                report(`The AWS provider's region ${own} is not an allowed region (${allowedRegions.join(", ")}).`);
            }
            return;
        }
        const providerRegion = args.provider !== undefined ? str(args.provider.props["region"]) : undefined;
        const region = own ?? providerRegion;
        if (region === undefined) {
            report("The resource's region cannot be determined: give it an explicit regional provider.");
        } else if (!allowedRegions.includes(region)) {
            report(
                `The resource is in ${region}${own !== undefined ? " (its region input)" : " (its provider's region)"}, which is not an allowed region (${allowedRegions.join(", ")}).`,
            );
        }
    },
});

export const residencyPolicies: readonly PackPolicy[] = [dataResidency];
