/**
 * Hand-built inputs for the policy tests: resources with the URN, provider and options the engine would give them,
 * and one call to run a single policy over them through the same harness as the offline plan.
 */
import type { PolicyResourceOptions } from "@pulumi/policy";
import { policies, type PackPolicy } from "../policies";
import { analyze, type HarnessResource, type PackConfig, type Violation } from "./harness";

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

/** Runs one policy over resources (plus both providers) and returns its violations. */
export async function violationsOf(
    policyName: string,
    resources: readonly HarnessResource[],
    packConfig?: PackConfig,
): Promise<Violation[]> {
    const result = await analyze([PRIMARY_PROVIDER, DR_PROVIDER, ...resources], {
        policies: [policyNamed(policyName)],
        ...(packConfig !== undefined ? { packConfig } : {}),
    });
    return [...result.violations];
}

/** The messages of one policy's violations. */
export async function messagesOf(policyName: string, resources: readonly HarnessResource[], packConfig?: PackConfig): Promise<string[]> {
    return (await violationsOf(policyName, resources, packConfig)).map((v) => v.message);
}
