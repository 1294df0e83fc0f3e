/**
 * What the Pulumi engine does with a resource registration when the stack already has state for it, as
 * pulumi/pulumi's step generator does it (`pkg/resource/deploy/step_generator.go`, `generateSteps`):
 *
 * 1. With an old state, every `ignoreChanges` path of the new inputs is reset to the old *inputs* (not a fresh read of
 *    the cloud): the old value where the old inputs have one, otherwise the path is removed (`processIgnoreChanges`).
 *    Without an old state nothing is ignored: the program's inputs are created as declared.
 * 2. Those inputs are what the provider's Check and Diff receive, what the policy analyzers see, what the state
 *    stores, and, for an in-place update, the `news` of the provider's Update.
 * 3. The provider's Diff decides: no changed input, nothing to do (`same`: the provider is not called); a changed
 *    input the provider replaces the resource on, `replace` (a create from these inputs, then a delete); otherwise an
 *    in-place `update`.
 *
 * A refresh (`pulumi up --refresh`, `refresh: true` in CI) reads the resource first, and the engine takes the inputs
 * the provider returns from that read into the state (`RefreshStep.Apply` in `step.go`): the AWS provider returns the
 * live value of every input the state had, so an ignored input then carries what the orchestrator last wrote.
 *
 * The model knows which inputs force a replacement only for the types given in `replaceOnChange`; for any other type a
 * change counts as an update.
 * @see https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/step_generator.go
 * @see https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/step.go
 * @see https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/
 */
import { POINTER_RESOURCES } from "../../lib/pointers";

type Props = Readonly<Record<string, unknown>>;

/** A resource of the stack's state: what the previous update recorded (or a refresh updated). */
export interface PriorResource {
    readonly urn: string;
    readonly type: string;
    /** The inputs the state stores (after that update's ignoreChanges). */
    readonly inputs: Props;
    /** The outputs the provider returned. */
    readonly state: Props;
}

export type StepOp = "create" | "same" | "update" | "replace";

/** What the engine decides for one registration, and what the provider is sent. */
export interface EngineStep {
    readonly op: StepOp;
    /**
     * The inputs after ignoreChanges: what the provider's Check and Diff receive, what the analyzers see, and for an
     * `update` the new inputs of the provider's Update (for a `create` or `replace`, of its Create).
     */
    readonly news: Props;
    /** Top-level input properties whose value differs from the state's. */
    readonly changed: readonly string[];
    /** Of those, the ones the provider replaces the resource on. */
    readonly replaceKeys: readonly string[];
}

/** Inputs as JSON with keys sorted: equal values give equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
    const sort = (v: unknown): unknown =>
        Array.isArray(v)
            ? v.map(sort)
            : v !== null && typeof v === "object"
              ? Object.fromEntries(
                    Object.keys(v)
                        .sort()
                        .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
                )
              : v;
    return JSON.stringify(sort(value));
}

/** Replace-on-change input properties by type token, from the provider schemas the program relies on. */
export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
    POINTER_RESOURCES.map((r) => [r.type, r.replaceOnChange]),
);

/** One element of a property path: an object key or an array index. */
type PathElement = string | number;

/**
 * Parses an ignoreChanges path the way the engine's `resource.ParsePropertyPath` does for the forms this program
 * uses: `a`, `a.b`, `a[0]`, `a["b.c"]`. Wildcards (`*`) are refused rather than modelled loosely.
 */
export function parsePropertyPath(path: string): PathElement[] {
    const out: PathElement[] = [];
    const re = /([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]|(\.)/gy;
    let match: RegExpExecArray | null;
    let last = 0;
    while ((match = re.exec(path)) !== null) {
        last = re.lastIndex;
        if (match[1] !== undefined) {
            out.push(match[1]);
        } else if (match[2] !== undefined) {
            out.push(Number(match[2]));
        } else if (match[3] !== undefined) {
            out.push(match[3]);
        }
    }
    if (last !== path.length || out.length === 0) {
        throw new Error(`ignoreChanges path "${path}": not a property path (a, a.b, a[0], a["b"])`);
    }
    if (out.includes("*")) {
        throw new Error(`ignoreChanges path "${path}": wildcards are not modelled by the harness`);
    }
    return out;
}

function getPath(value: unknown, path: readonly PathElement[]): { found: boolean; value?: unknown } {
    let current: unknown = value;
    for (const element of path) {
        if (current === null || typeof current !== "object" || !(element in (current as object))) {
            return { found: false };
        }
        current = (current as Record<PathElement, unknown>)[element];
    }
    return { found: true, value: current };
}

/** Sets (or, with `remove`, deletes) `path` in `target`; false when a parent of the path is missing. */
function setPath(target: Record<string, unknown>, path: readonly PathElement[], value: unknown, remove: boolean): boolean {
    const parent = getPath(target, path.slice(0, -1));
    if (!parent.found || parent.value === null || typeof parent.value !== "object") {
        return false;
    }
    const key = path[path.length - 1]!;
    const container = parent.value as Record<PathElement, unknown>;
    if (remove) {
        delete container[key];
    } else {
        container[key] = structuredClone(value);
    }
    return true;
}

/**
 * The engine's `processIgnoreChanges`: each ignored path of `inputs` takes its value from `oldInputs`, or is removed
 * when the old inputs have none. A path whose parent is missing is an error, as in the engine ("cannot ignore changes
 * to the following properties because one or more elements of the path are missing").
 */
export function processIgnoreChanges(inputs: Props, oldInputs: Props, ignoreChanges: readonly string[]): Record<string, unknown> {
    const out = structuredClone(inputs) as Record<string, unknown>;
    const invalid: string[] = [];
    for (const ignored of ignoreChanges) {
        const path = parsePropertyPath(ignored);
        const old = getPath(oldInputs, path);
        const present = getPath(out, path).found;
        if (!old.found && !present) {
            continue;
        }
        if (!setPath(out, path, old.value, !old.found)) {
            invalid.push(ignored);
        }
    }
    if (invalid.length > 0) {
        throw new Error(
            `cannot ignore changes to the following properties because one or more elements of the path are missing: ${invalid.map((p) => `"${p}"`).join(", ")}`,
        );
    }
    return out;
}

/**
 * The step the engine takes for a registration of `declared` inputs with `ignoreChanges`, given the resource's state
 * (`prior`, none for a new resource).
 */
export function planStep(
    type: string,
    prior: PriorResource | undefined,
    declared: Props,
    ignoreChanges: readonly string[],
    replaceOnChange: readonly string[] = REPLACE_ON_CHANGE[type] ?? [],
): EngineStep {
    if (prior === undefined) {
        // ignoreChanges only applies to a resource that exists: a create sends the program's inputs as declared.
        return { op: "create", news: structuredClone(declared), changed: Object.keys(declared), replaceKeys: [] };
    }
    const news = processIgnoreChanges(declared, prior.inputs, ignoreChanges);
    const keys = [...new Set([...Object.keys(news), ...Object.keys(prior.inputs)])].sort();
    const changed = keys.filter((k) => canonicalJson(news[k] ?? null) !== canonicalJson(prior.inputs[k] ?? null));
    const replaceKeys = changed.filter((k) => replaceOnChange.includes(k));
    const op: StepOp = changed.length === 0 ? "same" : replaceKeys.length > 0 ? "replace" : "update";
    return { op, news, changed, replaceKeys };
}

/**
 * The state after a refresh, for a resource whose live properties are `live`: the provider's read returns them as
 * outputs, and the inputs the state had take the live values too.
 */
export function refreshed(prior: PriorResource, live: Props): PriorResource {
    const inputs: Record<string, unknown> = { ...prior.inputs };
    for (const [key, value] of Object.entries(live)) {
        if (key in inputs) {
            inputs[key] = structuredClone(value);
        }
    }
    return { ...prior, inputs, state: { ...prior.state, ...structuredClone(live) } };
}

/**
 * Whether a step could write a pointer other than the live one: an update or a (re)create whose inputs carry a
 * pointer value that is not `live`. `same` calls no provider at all.
 */
export function writesStalePointer(step: EngineStep, pointer: string, live: unknown): boolean {
    return step.op !== "same" && canonicalJson(step.news[pointer] ?? null) !== canonicalJson(live);
}
