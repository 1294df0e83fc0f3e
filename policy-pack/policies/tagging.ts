/**
 * Tagging: every taggable resource carries the required tags, so that an inventory of systems holding patient
 * data (the risk analysis of HIPAA 164.308(a)(1)(ii)(A)) can be drawn from the account, and costs and owners traced.
 */
import { resourcePolicy, type PackPolicy } from "./lib/policy";
import { effectiveTags } from "./lib/resources";
import { TAGGABLE_TYPES } from "./taggable.generated";

export const requiredTags = resourcePolicy({
    name: "required-tags",
    description:
        "Every taggable resource carries the required tags (default Environment, DataClassification, Owner) with non-empty values.",
    remediationSteps:
        "Pass the stack's tags (config.tags) to the resource's tags; Owner and DataClassification come from healthcare-dr:tags.",
    configSchema: {
        properties: {
            requiredTags: {
                type: "array",
                items: { type: "string" },
                default: ["Environment", "DataClassification", "Owner"],
                description: "Tag keys every taggable resource must carry.",
            },
        },
    },
    metadata: {
        concern: "tagging",
        hipaa: ["164.308(a)(1)(ii)(A)"],
        checks: "Resources whose @pulumi/aws Args have `tags` carry every requiredTags key (resource tags over provider defaultTags)",
        resourceTypes: [...TAGGABLE_TYPES],
    },
    validate: (args, report) => {
        const { requiredTags: required } = args.getConfig<{ requiredTags: string[] }>();
        const tags = effectiveTags(args.props, args.provider);
        const missing = required.filter((key) => (tags[key] ?? "").trim() === "");
        if (missing.length > 0) {
            report(`The resource is missing the required tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}: set them in its tags.`);
        }
    },
});

export const taggingPolicies: readonly PackPolicy[] = [requiredTags];
