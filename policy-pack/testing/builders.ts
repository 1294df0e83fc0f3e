/**
 * Hand-built inputs for the policy tests: resources with the URN, provider and options the engine would give them,
 * and one call to run a single policy over them through the same harness as the offline plan.
 */
import type { PolicyResourceOptions } from "@pulumi/policy";
import { policies, type PackPolicy } from "../policies";
import { analyze, type AnalysisResult, type HarnessResource, type PackConfig, type Violation } from "./harness";

export const TEST_STACK = "prod";
export const TEST_PROJECT = "healthcare-dr";

/** The regional providers every hand-built resource uses by default. */
export const PRIMARY_PROVIDER: HarnessResource = {
    urn: `urn:pulumi:${TEST_STACK}::${TEST_PROJECT}::pulumi:providers:aws::primary`,
    type: "pulumi:providers:aws",
    name: "primary",
    inputs: { region: "eu-west-2" },
};
export const DR_PROVIDER: HarnessResource = {
    urn: `urn:pulumi:${TEST_STACK}::${TEST_PROJECT}::pulumi:providers:aws::dr`,
    type: "pulumi:providers:aws",
    name: "dr",
    inputs: { region: "eu-west-1" },
};

export interface ResourceExtras {
    readonly outputs?: Record<string, unknown>;
    readonly options?: Partial<PolicyResourceOptions>;
    /** `dr` puts the resource in eu-west-1; `none` gives it no provider. */
    readonly provider?: "primary" | "dr" | "none";
    readonly dependencies?: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    readonly stack?: string;
}

/** A resource of `type` named `name` with `inputs` (its outputs default to the inputs). */
export function res(type: string, name: string, inputs: Record<string, unknown>, extras: ResourceExtras = {}): HarnessResource {
    const provider = extras.provider ?? "primary";
    return {
        urn: `urn:pulumi:${extras.stack ?? TEST_STACK}::${TEST_PROJECT}::${type}::${name}`,
        type,
        name,
        inputs,
        ...(extras.outputs !== undefined ? { outputs: { ...inputs, ...extras.outputs } } : {}),
        ...(extras.options !== undefined ? { options: extras.options } : {}),
        ...(provider === "none" ? {} : { provider: provider === "dr" ? DR_PROVIDER.urn : PRIMARY_PROVIDER.urn }),
        ...(extras.dependencies !== undefined ? { dependencies: extras.dependencies } : {}),
        ...(extras.propertyDependencies !== undefined ? { propertyDependencies: extras.propertyDependencies } : {}),
    };
}

export function policyNamed(name: string): PackPolicy {
    const policy = policies.find((p) => p.name === name);
    if (policy === undefined) {
        throw new Error(`no policy named ${name}`);
    }
    return policy;
}

/** The engine's sentinel for a value unknown at preview time (see tests/harness/mocks.ts). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A computed value long enough to be recognised inside another string (an ARN in a policy document). */
const MIN_EMBEDDED = 8;

/**
 * The same resources as the first preview of an empty stack shows them. What a resource computes (an output its
 * inputs do not hold: its ARN, id, generated name) is unknown; an input of another resource holding such a value, or
 * a string built from one (a policy document naming the ARN), is unknown too, and the property's dependency on that
 * resource is recorded: the SDK sends exactly that for an input taken from an Output of a resource not created yet.
 */
export function asFirstPreview(resources: readonly HarnessResource[]): HarnessResource[] {
    const computed = resources.map((r) => ({
        urn: r.urn,
        keys: Object.keys(r.outputs ?? {}).filter((k) => JSON.stringify(r.outputs![k]) !== JSON.stringify(r.inputs[k])),
        values: Object.entries(r.outputs ?? {})
            .filter(([k, v]) => typeof v === "string" && v !== "" && JSON.stringify(v) !== JSON.stringify(r.inputs[k]))
            .map(([, v]) => v as string),
    }));
    const ownersOf = (value: string, self: string): string[] =>
        computed
            .filter((c) => c.urn !== self && c.values.some((v) => v === value || (v.length >= MIN_EMBEDDED && value.includes(v))))
            .map((c) => c.urn);
    return resources.map((r) => {
        const dependencies: Record<string, string[]> = Object.fromEntries(
            Object.entries(r.propertyDependencies ?? {}).map(([k, urns]) => [k, [...urns]]),
        );
        const unknownOf = (value: unknown, property: string): unknown => {
            if (typeof value === "string") {
                const owners = ownersOf(value, r.urn);
                if (owners.length === 0) {
                    return value;
                }
                dependencies[property] = [...new Set([...(dependencies[property] ?? []), ...owners])];
                return UNKNOWN;
            }
            if (Array.isArray(value)) {
                return value.map((v) => unknownOf(v, property));
            }
            if (value !== null && typeof value === "object") {
                return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unknownOf(v, property)]));
            }
            return value;
        };
        const inputs = Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, unknownOf(v, k)]));
        const own = computed.find((c) => c.urn === r.urn)!;
        return {
            ...r,
            inputs,
            ...(r.outputs !== undefined ? { outputs: { ...inputs, ...Object.fromEntries(own.keys.map((k) => [k, UNKNOWN])) } } : {}),
            ...(Object.keys(dependencies).length > 0 ? { propertyDependencies: dependencies } : {}),
        };
    });
}

/** How to run a policy over hand-built resources. */
export interface RunMode {
    /** Run them as the first preview of an empty stack shows them (`asFirstPreview`). */
    readonly preview?: boolean;
}

/** Runs one policy over resources (plus both providers) and returns the analysis. */
export async function analysisOf(
    policyName: string,
    resources: readonly HarnessResource[],
    packConfig?: PackConfig,
    mode: RunMode = {},
): Promise<AnalysisResult> {
    return analyze([PRIMARY_PROVIDER, DR_PROVIDER, ...(mode.preview === true ? asFirstPreview(resources) : resources)], {
        policies: [policyNamed(policyName)],
        ...(packConfig !== undefined ? { packConfig } : {}),
    });
}

/** Runs one policy over resources (plus both providers) and returns its violations. */
export async function violationsOf(
    policyName: string,
    resources: readonly HarnessResource[],
    packConfig?: PackConfig,
    mode: RunMode = {},
): Promise<Violation[]> {
    return [...(await analysisOf(policyName, resources, packConfig, mode)).violations];
}

/** The messages of one policy's violations. */
export async function messagesOf(
    policyName: string,
    resources: readonly HarnessResource[],
    packConfig?: PackConfig,
    mode: RunMode = {},
): Promise<string[]> {
    return (await violationsOf(policyName, resources, packConfig, mode)).map((v) => v.message);
}
