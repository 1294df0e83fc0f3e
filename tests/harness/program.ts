/**
 * Runs the real program (`index.ts`) under the AWS mocks for one stack file and records everything it declares:
 * each resource with its parent, provider, region, inputs, computed state and resource options, the stack outputs,
 * and every warning printed on the way (deprecations included).
 *
 * The tests and the offline plan (`npm run plan`) both use this, so what the plan shows is what the tests check.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import type * as ConfigModule from "../../config";
import type { StackConfig } from "../../config";
import { planStep, type EngineStep, type PriorResource } from "./engine";
import { AwsMocks, UNKNOWN, type AwsMocksOptions, type RecordedInvoke } from "./mocks";

/** The project root: where `Pulumi.yaml` and the stack files live. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT_NAME = "healthcare-dr";

/** Resource options as the engine receives them. */
export interface PlannedOptions {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly ignoreChanges: readonly string[];
    readonly replaceOnChanges: readonly string[];
    /** URNs of explicit `dependsOn` resources (and of resources whose outputs feed this one's inputs). */
    readonly dependsOn: readonly string[];
    /** Per input property, the URNs it depends on. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    readonly deleteBeforeReplace: boolean;
    readonly deletedWith?: string;
    readonly additionalSecretOutputs: readonly string[];
    /** The names (or URNs) of the `aliases` the resource was known by, when it has any. */
    readonly aliases?: readonly string[];
}

export interface PlannedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** False for component resources. */
    readonly custom: boolean;
    readonly id?: string;
    /** URN of the parent resource, if any. */
    readonly parent?: string;
    /** URN of the explicit provider, if any (`undefined` means the default provider). */
    readonly provider?: string;
    /** AWS region the resource is created in, from its provider or its own `region` input. */
    readonly region?: string;
    /** Inputs as plain values (secrets unwrapped: see `secretInputs`); in a preview, `UNKNOWN` where not yet known. */
    readonly inputs: Readonly<Record<string, unknown>>;
    /** Paths (`a.b[0]`) of inputs that are secrets; reports print them as `[secret]`. */
    readonly secretInputs: readonly string[];
    /** Inputs plus what the (mock) provider computed: id, arn, endpoints... */
    readonly state: Readonly<Record<string, unknown>>;
    readonly options: PlannedOptions;
    /**
     * With `RunOptions.priorState`: what the engine would do to the resource (custom resources only): create, same,
     * update or replace, and the inputs after ignoreChanges that the provider would receive (`tests/harness/engine.ts`).
     */
    readonly step?: EngineStep;
}

export interface ProgramRun {
    readonly project: string;
    readonly stack: string;
    /** True for a first preview: computed outputs of the resources are `UNKNOWN` (see `RunOptions.preview`). */
    readonly preview: boolean;
    /** The validated config the program ran with. */
    readonly config: StackConfig;
    readonly resources: readonly PlannedResource[];
    /** Stack outputs, resolved; secret outputs are replaced by `"[secret]"`, unknown values by `UNKNOWN`. */
    readonly outputs: Readonly<Record<string, unknown>>;
    /** Every warning printed while the program ran (Pulumi log warnings, deprecation notices...). */
    readonly warnings: readonly string[];
    /** Every invoke (data source call) the program made, with its provider's region. */
    readonly invokes: readonly RecordedInvoke[];
}

export interface RunOptions {
    /** Stack name; the stack file defaults to `Pulumi.<stack>.yaml` in the project root. */
    readonly stack: string;
    /** A stack file at another path. */
    readonly configFile?: string;
    /** Raw config as Pulumi passes it (`namespace:key` -> string), instead of a stack file. */
    readonly rawConfig?: Readonly<Record<string, string>>;
    readonly mocks?: AwsMocksOptions;
    /**
     * Run as a first `pulumi preview` of an empty stack: nothing exists yet, so ids, ARNs and every other computed
     * output are unknown (`UNKNOWN`), as the engine reports them to the program and to the policy pack. Defaults to
     * false: an update, where every value is known.
     */
    readonly preview?: boolean;
    /**
     * The stack's state before this run (for example the resources of an earlier run, or a refreshed copy of them):
     * each custom resource then gets the `step` the engine would take for it, with its ignoreChanges applied against
     * the state as the engine applies them. The mocks still answer with outputs computed from the declared inputs.
     * Defaults to none: no step is computed.
     */
    readonly priorState?: readonly PriorResource[];
    /** Called for each resource as it is registered (the run's `resources` are only returned on success). */
    readonly observe?: (resource: PlannedResource) => void;
    /**
     * Declares these resources instead of running `index.ts` (a component test: a component not wired into the
     * program yet, or with arguments the stack files do not give); what it returns are the outputs. The config is
     * still set and validated, so pass a stack's raw config (`readStackFile`).
     */
    readonly program?: () => Record<string, unknown>;
}

/** A stack file that cannot be read as one (not YAML, not a mapping). */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/**
 * Reads a stack file and returns its config the way the Pulumi CLI hands it to a program: structured values as JSON
 * text, scalars as strings. Encrypted values (`secure:`) cannot be decrypted offline and become `"[secret]"`.
 */
export function readStackFile(file: string): Record<string, string> {
    const text = fs.readFileSync(file, "utf8");
    let doc: { config?: Record<string, unknown> };
    try {
        doc = (parseYaml(text) ?? {}) as { config?: Record<string, unknown> };
    } catch (err) {
        throw new StackFileError(`${file}: not valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new StackFileError(`${file}: a stack file is a YAML mapping with a config: section`);
    }
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            raw[key] = "[secret]";
        } else {
            raw[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return raw;
}

/** The stack file of a stack in the project root. */
export function stackFilePath(stack: string): string {
    return path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
}

interface MonitorLike {
    registerResource(req: RegisterRequest, callback: (err: unknown, resp: RegisterResponse | undefined) => void): Promise<void>;
}

/** The parts of the engine's RegisterResourceRequest the harness reads. */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProvider(): string;
    getObject(): unknown;
    getProtect(): boolean;
    getRetainondelete(): boolean;
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(fn: (value: { getUrnsList(): string[] }, key: string) => void): void };
    getDeletebeforereplace(): boolean;
    getDeletedwith(): string;
    getAdditionalsecretoutputsList(): string[];
    getAliasesList(): { getUrn(): string; getSpec(): { getName(): string } | undefined }[];
}

interface RegisterResponse {
    getUrn(): string;
    getId(): string;
    getObject(): unknown;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the harness reaches into the SDK's runtime on purpose */
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MonitorLike; waitForRPCs(): Promise<void> };
const rpc = require("@pulumi/pulumi/runtime/rpc") as {
    deserializeProperties(struct: unknown): Record<string, unknown>;
    isRpcSecret(value: unknown): boolean;
    unwrapRpcSecret(value: unknown): unknown;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Only one program can run at a time: the Pulumi runtime is process-global. */
let running: Promise<unknown> = Promise.resolve();

/**
 * Runs `index.ts` for a stack and returns what it declared. Throws the program's own error (for example a
 * `ConfigValidationError`) if the program fails.
 */
export function runProgram(options: RunOptions): Promise<ProgramRun> {
    const next = running.then(() => runOnce(options));
    running = next.catch(() => undefined);
    return next;
}

async function runOnce(options: RunOptions): Promise<ProgramRun> {
    const rawConfig = options.rawConfig ?? readStackFile(options.configFile ?? stackFilePath(options.stack));
    const preview = options.preview ?? false;
    const mocks = new AwsMocks({ ...options.mocks, preview });
    await pulumi.runtime.setMocks(mocks, PROJECT_NAME, options.stack, preview);
    pulumi.runtime.setAllConfig(rawConfig);

    const resources: PlannedResource[] = [];
    const prior = options.priorState === undefined ? undefined : new Map(options.priorState.map((r) => [r.urn, r]));
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        mocks.noteIgnoreChanges(req.getType(), req.getName(), req.getIgnorechangesList());
        return register(req, (err, resp) => {
            if (err === null && resp !== undefined) {
                const resource = withStep(record(req, resp, mocks), prior);
                resources.push(resource);
                options.observe?.(resource);
            }
            callback(err, resp);
        });
    };

    const warnings: string[] = [];
    const failures: unknown[] = [];
    const originalWarn = console.warn;
    // The SDK records a stack trace for every promise and resource (`debuggablePromise`, source positions); captured
    // and formatted, even by V8 alone, that was most of a run's time. No trace is needed here: the program's errors are
    // reported by message, and the test's own failures keep their traces (the limit is restored after the run).
    const prepareStackTrace = Error.prepareStackTrace;
    const stackTraceLimit = Error.stackTraceLimit;
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    Error.stackTraceLimit = 0;
    const onRejection = (reason: unknown) => failures.push(reason);
    console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(" "));
    process.on("unhandledRejection", onRejection);
    try {
        forgetProgramEntry();
        const exported =
            options.program !== undefined
                ? options.program()
                : // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program must be evaluated afresh per stack
                  (require(path.join(PROJECT_ROOT, "index.ts")) as Record<string, unknown>);
        const outputs = await resolveOutputs(exported);
        await settings.waitForRPCs();
        // Let rejected promises of the last turn surface before deciding the run succeeded.
        await new Promise((resolve) => setImmediate(resolve));
        if (failures.length > 0) {
            throw failures[0];
        }
        const { loadStackConfig } = require(path.join(PROJECT_ROOT, "config")) as typeof ConfigModule; // eslint-disable-line @typescript-eslint/no-require-imports
        return {
            project: PROJECT_NAME,
            stack: options.stack,
            preview,
            config: loadStackConfig(),
            resources,
            outputs,
            warnings,
            invokes: [...mocks.invokes],
        };
    } finally {
        Error.prepareStackTrace = prepareStackTrace;
        Error.stackTraceLimit = stackTraceLimit;
        console.warn = originalWarn;
        process.off("unhandledRejection", onRejection);
    }
}

/**
 * Replaces the SDK's secret wrappers by their values, collecting the paths that were secret, and the SDK's unknown
 * values (a preview) by the engine's sentinel, as the analyzer receives them.
 */
function unwrapSecrets(value: unknown, path: string, secrets: string[]): unknown {
    if (pulumi.isUnknown(value)) {
        return UNKNOWN;
    }
    if (rpc.isRpcSecret(value)) {
        secrets.push(path);
        return unwrapSecrets(rpc.unwrapRpcSecret(value), path, []);
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, secrets));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, path === "" ? k : `${path}.${k}`, secrets)]));
    }
    return value;
}

function record(req: RegisterRequest, resp: RegisterResponse, mocks: AwsMocks): PlannedResource {
    const secretInputs: string[] = [];
    const inputs = unwrapSecrets(rpc.deserializeProperties(req.getObject()), "", secretInputs) as Record<string, unknown>;
    const providerRef = req.getProvider();
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((value, key) => {
        propertyDependencies[key] = value.getUrnsList();
    });
    const regionInput = typeof inputs["region"] === "string" ? inputs["region"] : undefined;
    const aliases = req.getAliasesList().map((a) => a.getSpec()?.getName() || a.getUrn());
    return {
        urn: resp.getUrn(),
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        ...(resp.getId() !== "" ? { id: resp.getId() } : {}),
        ...(req.getParent() !== "" ? { parent: req.getParent() } : {}),
        ...(providerRef !== "" ? { provider: providerRef.slice(0, providerRef.lastIndexOf("::")) } : {}),
        ...(req.getType() === "pulumi:providers:aws"
            ? { region: inputs["region"] as string }
            : (regionInput ?? mocks.regionOfProvider(providerRef)) !== undefined
              ? { region: regionInput ?? mocks.regionOfProvider(providerRef)! }
              : {}),
        inputs,
        secretInputs,
        state: unwrapSecrets(rpc.deserializeProperties(resp.getObject()), "", []) as Record<string, unknown>,
        options: {
            protect: req.getProtect(),
            retainOnDelete: req.getRetainondelete(),
            ignoreChanges: req.getIgnorechangesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            dependsOn: req.getDependenciesList(),
            propertyDependencies,
            deleteBeforeReplace: req.getDeletebeforereplace(),
            ...(req.getDeletedwith() !== "" ? { deletedWith: req.getDeletedwith() } : {}),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            ...(aliases.length > 0 ? { aliases } : {}),
        },
    };
}

/** Adds the engine's step for a custom resource when the run has a prior state. */
function withStep(resource: PlannedResource, prior: ReadonlyMap<string, PriorResource> | undefined): PlannedResource {
    if (prior === undefined || !resource.custom || resource.type.startsWith("pulumi:providers:")) {
        return resource;
    }
    return { ...resource, step: planStep(resource.type, prior.get(resource.urn), resource.inputs, resource.options.ignoreChanges) };
}

/**
 * Forgets `index.ts`, so that requiring it runs the program again. The modules it imports stay loaded: they only
 * define functions and classes (nothing in them reads config or declares resources at load time), and keeping them
 * spares a TypeScript transpile and an esbuild bundle of the orchestrator per run.
 */
function forgetProgramEntry(): void {
    delete require.cache[require.resolve(path.join(PROJECT_ROOT, "index.ts"))];
}

async function resolveOutputs(exported: Record<string, unknown>): Promise<Record<string, unknown>> {
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exported)) {
        const output = pulumi.output(value) as pulumi.Output<unknown>;
        const [resolved, secret, known] = await Promise.all([withUnknowns(output), pulumi.isSecret(output), isKnown(output)]);
        outputs[key] = secret ? "[secret]" : known ? unwrapSecrets(resolved, key, []) : UNKNOWN;
    }
    return outputs;
}

/** Whether an Output's value is known (false in a preview when it depends on a resource not created yet). */
function isKnown(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as unknown as { isKnown: Promise<boolean> }).isKnown;
}

/** The value of an Output with any unknown parts (a preview) left as the SDK's unknown values. */
function withUnknowns<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(withUnknowns: boolean): Promise<T> }).promise(true);
}

/**
 * The value of an Output (in a preview run, `undefined` where it is unknown); an error raised inside an `apply`
 * rejects, rather than leaving the caller waiting forever.
 */
export function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
    // `promise()` is the SDK's own (internal) way to await an Output; it has been stable since Pulumi 1.x.
    return (output as unknown as { promise(): Promise<T> }).promise();
}
