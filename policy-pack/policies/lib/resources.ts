/**
 * Helpers shared by the policies: the region a resource lives in, its tags, whether it belongs to a protected
 * environment, and how one resource refers to another in a stack (by property dependency, as the engine records it,
 * or by the value of an id, name or ARN).
 */
import type { PolicyConfigSchema, PolicyProviderResource, PolicyResource } from "@pulumi/policy";
import { get, isRecord, objectOf, stackOfUrn, str, strings, type Props } from "./values";

/** The type token of the AWS provider resource. */
export const AWS_PROVIDER_TYPE = "pulumi:providers:aws";
/** The type token of the root stack resource, whose properties are the stack outputs. */
export const STACK_TYPE = "pulumi:pulumi:Stack";

/** The region a resource is created in: its own `region` input (@pulumi/aws v7), else its provider's region. */
export function regionOf(props: Props, provider: PolicyProviderResource | undefined): string | undefined {
    return str(props["region"]) ?? (provider !== undefined ? str(provider.props["region"]) : undefined);
}

/**
 * The tags a resource ends up with: the provider's `defaultTags`, overridden by the resource's own `tags`, as the
 * provider merges them at deploy time. Provider inputs arrive as JSON text, hence `objectOf`.
 */
export function effectiveTags(props: Props, provider: PolicyProviderResource | undefined): Record<string, string> {
    const defaults = provider !== undefined ? get(objectOf(provider.props["defaultTags"]), "tags") : undefined;
    const out: Record<string, string> = {};
    for (const source of [defaults, props["tags"]]) {
        if (isRecord(source)) {
            for (const [k, v] of Object.entries(source)) {
                if (typeof v === "string") {
                    out[k] = v;
                }
            }
        }
    }
    return out;
}

/**
 * Whether a resource belongs to a protected (production) environment: its `Environment` tag if it has one,
 * otherwise the stack name in its URN.
 */
export function isProtectedEnvironment(
    urn: string,
    tags: Readonly<Record<string, string>>,
    protectedEnvironments: readonly string[],
): boolean {
    const environment = tags["Environment"] ?? stackOfUrn(urn);
    return environment !== undefined && protectedEnvironments.includes(environment);
}

/**
 * The config setting of the policies that apply in protected environments only (`isProtectedEnvironment`):
 * `protectedEnvironments`, default `["prod"]`. `whose` finishes the description: "Environment tag values (or stack
 * names) whose ...".
 */
export function protectedEnvironmentsSchema(whose: string): PolicyConfigSchema {
    return {
        properties: {
            protectedEnvironments: {
                type: "array",
                items: { type: "string" },
                default: ["prod"],
                description: `Environment tag values (or stack names) whose ${whose}.`,
            },
        },
    };
}

/**
 * True when `from` refers to `to` through property `property`: either the engine recorded that the property
 * depends on `to` (known in a preview too), or the property's value (one value or a list) equals one of `to`'s
 * known identifiers.
 */
export function refersTo(from: PolicyResource, property: string, to: PolicyResource, identifiers: readonly string[]): boolean {
    if ((from.propertyDependencies[property] ?? []).some((dep) => dep.urn === to.urn)) {
        return true;
    }
    // Two unknown values are not the same value: only known identifiers are compared.
    const ids = identifiers.map((key) => str(to.props[key])).filter((v): v is string => v !== undefined);
    const value = from.props[property];
    return strings(value).some((v) => ids.includes(v));
}

/**
 * The member clusters of a global cluster: those that name it in `globalClusterIdentifier`, and the cluster it was
 * created from (`sourceDbClusterIdentifier`, a rebuild after a break-glass). The source cluster's own
 * `globalClusterIdentifier` is ignored after creation, so under a real engine a policy sees the value stored in state
 * (the old global cluster, or none), never the new one: the source reference is the dependable link.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateGlobalCluster.html
 */
export function globalClusterMembers(global: PolicyResource, clusters: readonly PolicyResource[]): PolicyResource[] {
    return clusters.filter(
        (c) =>
            refersTo(c, "globalClusterIdentifier", global, ["globalClusterIdentifier", "id"]) ||
            refersTo(global, "sourceDbClusterIdentifier", c, ["arn", "clusterIdentifier", "id"]),
    );
}

export function ofTypes(resources: readonly PolicyResource[], types: readonly string[]): PolicyResource[] {
    return resources.filter((r) => types.includes(r.type));
}

/** `type name` for messages. */
export function describe(resource: { readonly type: string; readonly name: string }): string {
    return `${resource.type.split(":").pop() ?? resource.type} "${resource.name}"`;
}
