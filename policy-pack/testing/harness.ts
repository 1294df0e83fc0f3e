/**
 * The one harness that runs the pack's policies outside the Pulumi CLI, building the validation arguments the way
 * the engine and @pulumi/policy 1.21's analyzer server do (see node_modules/@pulumi/policy/server.js):
 *
 * - resource policies get `props` = the resource's inputs, `opts` (protect, ignoreChanges, aliases, customTimeouts,
 *   additionalSecretOutputs, parent, deleteBeforeReplace), `provider` = the provider resource with its inputs
 *   (so `args.provider.props.region` works), `stackTags`, `getConfig`, `notApplicable`, `isType`/`asType`;
 * - stack policies get every resource with `props` = its outputs (the root `pulumi:pulumi:Stack` resource's outputs
 *   are the stack outputs), `parent`, `dependencies` and `propertyDependencies` resolved to resource objects;
 * - the enforcement level is the pack config's (per policy, else `all`), else the policy's, else the pack's;
 * - the pack config (the JSON of `--policy-pack-config`) is checked against each policy's schema and its defaults
 *   are applied here, because the engine (not the SDK) does that; like the engine, a policy name the pack does not
 *   have and a setting a schema does not name pass this check and reach the analyzer, whose `Configure` call the
 *   pack records for its `policy-pack-config` policy (`recordPackConfig`);
 * - `notApplicable` ends a validation without a violation; a violation's message is the one the policy reported
 *   (the CLI prints it after the policy's description);
 * - `props` (and a provider's `props`) are wrapped in the SDK's own unknown-checking proxy: a policy that reads a
 *   value the engine reports as unknown (a preview; see `UNKNOWN`) ends with an advisory "can't run policy ... during
 *   preview" note instead of a decision, whatever its enforcement level, as the analyzer server does. The notes are
 *   returned apart from the violations (`AnalysisResult.cantRun`).
 *
 * Nothing here constructs a `PolicyPack` (that would start a gRPC server and may exit the process).
 */
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";
import type { ProgramRun } from "../../tests/harness/program";
import { UNKNOWN } from "../../tests/harness/mocks";
import { policies as allPolicies, isStackPolicy, type PackPolicy } from "../policies";
import { recordPackConfig, type ConfiguredPack } from "../policies/packConfig";

export interface Violation {
    readonly policyName: string;
    readonly enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
    readonly message: string;
    readonly urn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
}

/** A resource as the harness feeds it to the policies: what the engine knows about it at analysis time. */
export interface HarnessResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Inputs, as resource policies see them. */
    readonly inputs: Readonly<Record<string, unknown>>;
    /** Outputs, as stack policies see them; defaults to the inputs. */
    readonly outputs?: Readonly<Record<string, unknown>>;
    readonly options?: Partial<PolicyResourceOptions>;
    /** URN of the resource's provider (a `pulumi:providers:*` resource of the same list). */
    readonly provider?: string;
    readonly parent?: string;
    readonly dependencies?: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** The `--policy-pack-config` file: per policy an enforcement level, or an object of settings; `all` sets every level. */
export type PackConfig = Readonly<Record<string, unknown>>;

/**
 * The SDK's unknown-checking proxy and its error (`@pulumi/policy/proxy`, internal to the SDK and untyped): the very
 * code the analyzer server runs, so the harness cannot disagree with it about what counts as unknown.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of the SDK, without typings
const sdkProxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(props: T): T;
    UnknownValueError: new (...args: never[]) => Error;
};

/** An advisory "can't run policy ... during preview" note: the policy read a value unknown at preview time. */
export interface CantRun {
    readonly policyName: string;
    /** The level the policy would have enforced had it run. */
    readonly enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
    /** The analyzer's text, e.g. `can't run policy 'x' during preview: string value at .arn can't be known during preview`. */
    readonly message: string;
    readonly urn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
}

export interface AnalyzeOptions {
    readonly policies?: readonly PackPolicy[];
    readonly packConfig?: PackConfig;
    readonly stackTags?: ReadonlyMap<string, string>;
    /** The pack's own default level (`new PolicyPack(..., { enforcementLevel })`). */
    readonly packEnforcementLevel?: EnforcementLevel;
}

export interface Evaluation {
    readonly policyName: string;
    /** The resource validated (resource policies) or undefined (stack policies). */
    readonly urn?: string;
    readonly applicable: boolean;
    readonly reason?: string;
}

export interface AnalysisResult {
    readonly violations: readonly Violation[];
    readonly evaluations: readonly Evaluation[];
    /** Policies that could not decide because they read an unknown value (never counted as violations). */
    readonly cantRun: readonly CantRun[];
}

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

const throwNotApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

interface ResolvedPolicyConfig {
    readonly enforcementLevel: EnforcementLevel;
    readonly config: Record<string, unknown>;
}

/**
 * Resolves the pack config for each policy as the CLI does: validates it against the policy's schema, applies the
 * schema's defaults, and picks the enforcement level. Throws on a value of the wrong type or an unknown enforcement
 * level, as the engine refuses those; passes on unknown policy names and settings, as the engine does.
 */
export function resolvePackConfig(
    policies: readonly PackPolicy[],
    packConfig: PackConfig = {},
    packEnforcementLevel: EnforcementLevel = "mandatory",
): Map<string, ResolvedPolicyConfig> {
    for (const [key, raw] of Object.entries(packConfig)) {
        levelOf(raw, key);
    }
    const all = levelOf(packConfig["all"], "all");
    const resolved = new Map<string, ResolvedPolicyConfig>();
    for (const policy of policies) {
        const raw = packConfig[policy.name];
        const level = levelOf(raw, policy.name);
        const settings: Record<string, unknown> = raw !== null && typeof raw === "object" ? { ...(raw as Record<string, unknown>) } : {};
        delete settings["enforcementLevel"];
        resolved.set(policy.name, {
            enforcementLevel: level ?? all ?? policy.enforcementLevel ?? packEnforcementLevel,
            config: applySchema(policy.name, policy.configSchema, settings),
        });
    }
    return resolved;
}

function levelOf(raw: unknown, where: string): EnforcementLevel | undefined {
    const level =
        typeof raw === "string"
            ? raw
            : raw !== null && typeof raw === "object"
              ? (raw as Record<string, unknown>)["enforcementLevel"]
              : undefined;
    if (level === undefined) {
        return undefined;
    }
    if (!LEVELS.includes(level as EnforcementLevel)) {
        throw new Error(`policy pack config: ${where}.enforcementLevel is ${JSON.stringify(level)}; allowed: ${LEVELS.join(", ")}`);
    }
    return level as EnforcementLevel;
}

/** Checks settings against a policy's schema (types, enums, bounds, required) and fills in defaults. */
export function applySchema(
    policyName: string,
    schema: PolicyConfigSchema | undefined,
    settings: Record<string, unknown>,
): Record<string, unknown> {
    const properties = schema?.properties ?? {};
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(settings)) {
        const property = properties[key];
        if (property === undefined) {
            // The engine's schema check accepts it and passes it on; the pack's policy-pack-config policy reports it.
            out[key] = value;
            continue;
        }
        const problem = schemaProblem(property as SchemaNode, value);
        if (problem !== undefined) {
            throw new Error(`policy pack config: ${policyName}.${key} ${problem}`);
        }
        out[key] = value;
    }
    for (const [key, property] of Object.entries(properties)) {
        const fallback = (property as SchemaNode).default;
        if (!(key in out) && fallback !== undefined) {
            // A copy: a policy must not be able to change the default for the next resource.
            out[key] = structuredClone(fallback);
        }
    }
    for (const key of schema?.required ?? []) {
        if (!(key in out)) {
            throw new Error(`policy pack config: ${policyName}.${key} is required`);
        }
    }
    return out;
}

interface SchemaNode {
    readonly type?: string | readonly string[];
    readonly items?: SchemaNode;
    readonly enum?: readonly unknown[];
    readonly minimum?: number;
    readonly maximum?: number;
    readonly default?: unknown;
}

function schemaProblem(schema: SchemaNode, value: unknown): string | undefined {
    const types = schema.type === undefined ? [] : typeof schema.type === "string" ? [schema.type] : schema.type;
    const actual = Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value;
    const matches = types.length === 0 || types.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!matches) {
        return `must be of type ${types.join(" or ")} (got ${JSON.stringify(value)})`;
    }
    if (schema.enum !== undefined && !schema.enum.includes(value)) {
        return `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
        return `must be at least ${schema.minimum}`;
    }
    if (typeof value === "number" && schema.maximum !== undefined && value > schema.maximum) {
        return `must be at most ${schema.maximum}`;
    }
    if (Array.isArray(value) && schema.items !== undefined) {
        for (const [i, item] of value.entries()) {
            const problem = schemaProblem(schema.items, item);
            if (problem !== undefined) {
                return `[${i}] ${problem}`;
            }
        }
    }
    return undefined;
}

/** The SDK's `isTypeOf`: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const pulumiType = (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    if (typeof pulumiType === "string" && pulumiType.length > 0) {
        return type === pulumiType;
    }
    const isInstance = (resourceClass as { isInstance?: unknown } | undefined)?.isInstance;
    return typeof isInstance === "function" && (isInstance as (o: unknown) => boolean)({ __pulumiType: type }) === true;
}

function optionsOf(resource: HarnessResource): PolicyResourceOptions {
    const o = resource.options ?? {};
    return {
        protect: o.protect ?? false,
        ignoreChanges: [...(o.ignoreChanges ?? [])],
        aliases: [...(o.aliases ?? [])],
        customTimeouts: o.customTimeouts ?? { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [...(o.additionalSecretOutputs ?? [])],
        ...(o.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: o.deleteBeforeReplace } : {}),
        ...(resource.parent !== undefined ? { parent: resource.parent } : {}),
    };
}

/** Deep copy, so a policy cannot change what the next policy sees. */
function copy<T>(value: T): T {
    return structuredClone(value);
}

/**
 * Runs policies over resources as the engine would: every resource policy on every resource, then every stack
 * policy on the whole list.
 */
export async function analyze(resources: readonly HarnessResource[], options: AnalyzeOptions = {}): Promise<AnalysisResult> {
    const policies = options.policies ?? allPolicies;
    const resolved = resolvePackConfig(policies, options.packConfig, options.packEnforcementLevel);
    const stackTags = options.stackTags ?? new Map<string, string>();
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const violations: Violation[] = [];
    const evaluations: Evaluation[] = [];
    const cantRun: CantRun[] = [];
    const cantRunNote = (policy: PackPolicy, level: CantRun["enforcementLevel"], e: Error, resource?: HarnessResource): CantRun => ({
        policyName: policy.name,
        enforcementLevel: level,
        message: `can't run policy '${policy.name}' during preview: ${e.message}`,
        ...(resource !== undefined ? { urn: resource.urn, resourceName: resource.name, resourceType: resource.type } : {}),
    });

    const providerOf = (r: HarnessResource): PolicyProviderResource | undefined => {
        const p = r.provider !== undefined ? byUrn.get(r.provider) : undefined;
        return p === undefined
            ? undefined
            : { type: p.type, name: p.name, urn: p.urn, props: sdkProxy.unknownCheckingProxy(copy({ ...p.inputs })) };
    };

    for (const policy of policies) {
        const { enforcementLevel, config } = resolved.get(policy.name)!;
        if (enforcementLevel === "disabled") {
            continue;
        }
        // As the server does: a remediation that still fails is reported as mandatory.
        const level = enforcementLevel === "remediate" ? "mandatory" : enforcementLevel;
        const getConfig = <T extends object>(): T => copy(config) as T;

        if (isStackPolicy(policy)) {
            // What the engine's Configure call hands the analyzer (recorded again here: analyses may interleave).
            recordPackConfig(configuredPack(options.packConfig ?? {}));
            const policyResources = stackResources(resources, providerOf);
            const args: StackValidationArgs = { resources: policyResources, stackTags, getConfig, notApplicable: throwNotApplicable };
            const found: Violation[] = [];
            try {
                await policy.validateStack(args, (message, urn) => {
                    const target = urn !== undefined ? byUrn.get(urn) : undefined;
                    found.push({
                        policyName: policy.name,
                        enforcementLevel: level,
                        message,
                        ...(urn !== undefined ? { urn } : {}),
                        ...(target !== undefined ? { resourceName: target.name, resourceType: target.type } : {}),
                    });
                });
                violations.push(...found);
                evaluations.push({ policyName: policy.name, applicable: true });
            } catch (e) {
                if (e instanceof sdkProxy.UnknownValueError) {
                    // As the server does: what was reported before the unknown value is kept, the rest is a note.
                    violations.push(...found);
                    cantRun.push(cantRunNote(policy, level, e));
                    evaluations.push({ policyName: policy.name, applicable: true });
                    continue;
                }
                if (!(e instanceof NotApplicable)) {
                    throw new Error(
                        `Error validating the stack with policy '${policy.name}': ${e instanceof Error ? e.message : String(e)}`,
                        { cause: e },
                    );
                }
                violations.push(...found);
                evaluations.push({ policyName: policy.name, applicable: false, ...(e.reason !== undefined ? { reason: e.reason } : {}) });
            }
            continue;
        }

        const validations =
            policy.validateResource === undefined
                ? []
                : Array.isArray(policy.validateResource)
                  ? policy.validateResource
                  : [policy.validateResource];
        for (const resource of resources) {
            let applicable = true;
            let reason: string | undefined;
            for (const validate of validations) {
                const props = sdkProxy.unknownCheckingProxy(copy({ ...resource.inputs }));
                const provider = providerOf(resource);
                const args: ResourceValidationArgs = {
                    type: resource.type,
                    props,
                    urn: resource.urn,
                    name: resource.name,
                    opts: optionsOf(resource),
                    stackTags,
                    isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
                    asType: ((resourceClass: unknown) =>
                        isTypeOf(resource.type, resourceClass) ? props : undefined) as ResourceValidationArgs["asType"],
                    getConfig,
                    notApplicable: throwNotApplicable,
                    ...(provider !== undefined ? { provider } : {}),
                };
                try {
                    await validate(args, (message) =>
                        violations.push({
                            policyName: policy.name,
                            enforcementLevel: level,
                            message,
                            urn: resource.urn,
                            resourceName: resource.name,
                            resourceType: resource.type,
                        }),
                    );
                } catch (e) {
                    if (e instanceof sdkProxy.UnknownValueError) {
                        cantRun.push(cantRunNote(policy, level, e, resource));
                        continue;
                    }
                    if (!(e instanceof NotApplicable)) {
                        throw new Error(
                            `Error validating ${resource.urn} with policy '${policy.name}': ${e instanceof Error ? e.message : String(e)}`,
                            { cause: e },
                        );
                    }
                    applicable = false;
                    reason = e.reason;
                }
            }
            evaluations.push({ policyName: policy.name, urn: resource.urn, applicable, ...(reason !== undefined ? { reason } : {}) });
        }
    }
    return { violations, evaluations, cantRun };
}

/** The pack config as the analyzer's `Configure` call carries it: per entry its settings and enforcement level. */
function configuredPack(packConfig: PackConfig): ConfiguredPack {
    return Object.fromEntries(
        Object.entries(packConfig).map(([name, raw]) => [
            name,
            typeof raw === "string"
                ? { enforcementLevel: raw }
                : raw !== null && typeof raw === "object"
                  ? (raw as Record<string, unknown>)
                  : {},
        ]),
    );
}

/** The resources as stack policies see them: outputs, with parents and dependencies resolved to objects. */
function stackResources(
    resources: readonly HarnessResource[],
    providerOf: (r: HarnessResource) => PolicyProviderResource | undefined,
): PolicyResource[] {
    const out = new Map<string, PolicyResource>();
    for (const r of resources) {
        const props = sdkProxy.unknownCheckingProxy(copy({ ...(r.outputs ?? r.inputs) }));
        const provider = providerOf(r);
        out.set(r.urn, {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optionsOf(r),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => isTypeOf(r.type, resourceClass),
            asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
            ...(provider !== undefined ? { provider } : {}),
        });
    }
    for (const r of resources) {
        const resource = out.get(r.urn)!;
        const parent = r.parent !== undefined ? out.get(r.parent) : undefined;
        if (parent !== undefined) {
            resource.parent = parent;
        }
        resource.dependencies = (r.dependencies ?? []).map((d) => out.get(d)).filter((d): d is PolicyResource => d !== undefined);
        for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
            resource.propertyDependencies[key] = urns.map((d) => out.get(d)).filter((d): d is PolicyResource => d !== undefined);
        }
    }
    return [...out.values()];
}

/** The version of @pulumi/aws, for the name of the default provider (`default_7_48_0`). */
function awsVersion(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON read, only when a default provider is needed
    return (require("@pulumi/aws/package.json") as { version: string }).version;
}

/**
 * The resources of a planned program run, as the engine would hand them to the analyzer: the root stack resource
 * with the stack outputs, every registered resource, and the default AWS provider for any AWS resource declared
 * without an explicit one (its properties are the stack's `aws:` config, which the offline run does not have: so it
 * has no region, as a CLI run without `aws:region` would).
 */
export function resourcesOfRun(run: ProgramRun): HarnessResource[] {
    const stackUrn = `urn:pulumi:${run.stack}::${run.project}::pulumi:pulumi:Stack::${run.project}-${run.stack}`;
    const defaultProviderUrn = `urn:pulumi:${run.stack}::${run.project}::pulumi:providers:aws::default_${awsVersion().replace(/\./g, "_")}`;
    const needsDefault = run.resources.some((r) => r.custom && r.type.startsWith("aws:") && r.provider === undefined);
    const out: HarnessResource[] = [
        { urn: stackUrn, type: "pulumi:pulumi:Stack", name: `${run.project}-${run.stack}`, inputs: {}, outputs: run.outputs },
    ];
    if (needsDefault) {
        out.push({
            urn: defaultProviderUrn,
            type: "pulumi:providers:aws",
            name: defaultProviderUrn.split("::").pop()!,
            inputs: {},
            parent: stackUrn,
        });
    }
    for (const r of run.resources) {
        out.push({
            urn: r.urn,
            type: r.type,
            name: r.name,
            inputs: r.inputs,
            // The provider's outputs include the id, as the engine's resource state does (unknown in a first preview).
            outputs: r.custom ? { ...r.state, ...(r.id !== undefined ? { id: r.id } : run.preview ? { id: UNKNOWN } : {}) } : {},
            options: {
                protect: r.options.protect,
                ignoreChanges: [...r.options.ignoreChanges],
                additionalSecretOutputs: [...r.options.additionalSecretOutputs],
                ...(r.options.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
            },
            parent: r.parent ?? stackUrn,
            ...(r.provider !== undefined
                ? { provider: r.provider }
                : r.custom && r.type.startsWith("aws:")
                  ? { provider: defaultProviderUrn }
                  : {}),
            dependencies: r.options.dependsOn,
            propertyDependencies: r.options.propertyDependencies,
        });
    }
    return out;
}

/** Stack tags as the engine sets them for a project without user tags. */
export function stackTagsOf(run: ProgramRun): ReadonlyMap<string, string> {
    return new Map([
        ["pulumi:project", run.project],
        ["pulumi:runtime", "nodejs"],
    ]);
}

/**
 * Runs exactly `policies` of `policy-pack/policies` over a planned program run. The integration point of the
 * offline plan (`tools/plan.ts`) and of the tests.
 */
export async function runPolicies(run: ProgramRun, packConfig?: Record<string, unknown>): Promise<Violation[]> {
    return [...(await analyzeRun(run, packConfig)).violations];
}

/** Like `runPolicies`, with the "can't run" notes of a preview and the evaluations. */
export function analyzeRun(run: ProgramRun, packConfig?: Record<string, unknown>): Promise<AnalysisResult> {
    return analyze(resourcesOfRun(run), { ...(packConfig !== undefined ? { packConfig } : {}), stackTags: stackTagsOf(run) });
}
