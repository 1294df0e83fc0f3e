/**
 * The offline plan with one region unreachable (`npm run plan -- --stack prod --region-down eu-west-2`).
 *
 * What a real `pulumi preview`/`up` does during a regional outage: the engine configures every provider, runs the
 * program (every invoke goes to its provider's region), then diffs each resource against the state. An unchanged
 * resource is not sent to its provider at all, so it needs no endpoint; a create, update or delete does. The plan
 * therefore runs the program twice under the mocks: once with every region up, which stands for the deployed state,
 * then with `region` unreachable and that state as the baseline. Any invoke through the region's provider, a provider
 * that calls STS on configure, and any create, update or delete there fails as it would against the real endpoint.
 * @see https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/
 */
import { canonicalJson, processIgnoreChanges } from "./engine";
import { UnreachableRegionError, type BaselineResource } from "./mocks";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./program";

export type ChangeKind = "create" | "update" | "delete" | "same";

/** One custom resource of the plan and what `pulumi up` would do to it. */
export interface ResourceChange {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly region: string | null;
    readonly kind: ChangeKind;
}

export interface RegionDownPlan {
    /** The region made unreachable. */
    readonly region: string;
    /** The run with the region down. */
    readonly run: ProgramRun;
    /** Every custom resource of both runs, with what would happen to it. */
    readonly changes: readonly ResourceChange[];
    /** Resources of the unreachable region the plan leaves exactly as deployed: it never calls their API. */
    readonly untouched: readonly ResourceChange[];
}

export interface RegionDownOptions {
    readonly stack: string;
    /** The region to make unreachable: one of the regions the stack's providers use. */
    readonly region: string;
    /** The stack file of the change; defaults to `Pulumi.<stack>.yaml`. */
    readonly configFile?: string;
    /** The change's config, instead of a file. */
    readonly rawConfig?: Readonly<Record<string, string>>;
    /** The config the deployed state was made from; defaults to the change's own (then nothing changes). */
    readonly baselineRawConfig?: Readonly<Record<string, string>>;
    /**
     * The deployed state's run when the caller already has it (the tests pass `planStack(stack)`, the run of the stack
     * file, where the baseline is the stack file): the program is deterministic, so running it again only costs time.
     * @default the run of the baseline config
     */
    readonly deployed?: ProgramRun;
}

/** Usage errors of a region-down plan (an unknown region), reported without a stack trace. */
export class RegionDownUsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RegionDownUsageError";
    }
}

export async function planRegionDown(options: RegionDownOptions): Promise<RegionDownPlan> {
    const raw = options.rawConfig ?? readStackFile(options.configFile ?? stackFilePath(options.stack));
    const deployed = options.deployed ?? (await runProgram({ stack: options.stack, rawConfig: options.baselineRawConfig ?? raw }));
    const regions = [...new Set(deployed.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.region!))];
    if (!regions.includes(options.region)) {
        throw new RegionDownUsageError(`--region-down ${options.region}: the stack uses ${regions.join(", ")}; choose one of those`);
    }
    let run: ProgramRun;
    try {
        run = await runProgram({
            stack: options.stack,
            rawConfig: raw,
            mocks: { unreachableRegions: [options.region], baseline: deployed.resources.filter((r) => r.custom).map(asBaseline) },
        });
    } catch (err) {
        throw unreachableCause(err) ?? err;
    }
    const changes = diffRuns(deployed, run);
    // A resource the change removes from the unreachable region would need its Delete API.
    const lost = changes.find((c) => c.region === options.region && c.kind !== "same");
    if (lost !== undefined) {
        throw new UnreachableRegionError(options.region, `${lost.type} (${lost.kind} ${lost.name})`);
    }
    return { region: options.region, run, changes, untouched: changes.filter((c) => c.region === options.region) };
}

/**
 * The SDK wraps a failed registration in every Output that depends on it ("error serializing property ..."); the
 * first unreachable call is what the operator needs to read.
 */
function unreachableCause(err: unknown): UnreachableRegionError | undefined {
    const message = err instanceof Error ? err.message : String(err);
    const match =
        /(aws:[\w/]+:\w+ \((?:create|update) [^)]+\)|configure provider [^)]+\)|aws:[\w/]+:\w+): request send failed[^(]*\(region (\S+) is unreachable\)/.exec(
            message,
        );
    return match === null ? undefined : new UnreachableRegionError(match[2]!, match[1]!);
}

function asBaseline(r: PlannedResource): BaselineResource {
    return {
        type: r.type,
        name: r.name,
        ...(r.region !== undefined ? { region: r.region } : {}),
        inputs: r.inputs,
        ...(r.id !== undefined ? { id: r.id } : {}),
        state: r.state,
    };
}

/**
 * What `pulumi up` would do to each custom resource to go from `before` to `after` (providers excluded): an input
 * change the resource's ignoreChanges covers is no change, as for the engine.
 */
export function diffRuns(before: ProgramRun, after: ProgramRun): ResourceChange[] {
    const relevant = (r: PlannedResource) => r.custom && !r.type.startsWith("pulumi:providers:");
    const old = new Map(before.resources.filter(relevant).map((r) => [r.urn, r]));
    const changes: ResourceChange[] = [];
    for (const r of after.resources.filter(relevant)) {
        const previous = old.get(r.urn);
        old.delete(r.urn);
        const kind: ChangeKind =
            previous === undefined
                ? "create"
                : canonicalJson(previous.inputs) === canonicalJson(processIgnoreChanges(r.inputs, previous.inputs, r.options.ignoreChanges))
                  ? "same"
                  : "update";
        changes.push({ urn: r.urn, type: r.type, name: r.name, region: r.region ?? null, kind });
    }
    for (const r of old.values()) {
        changes.push({ urn: r.urn, type: r.type, name: r.name, region: r.region ?? null, kind: "delete" });
    }
    return changes;
}

/** Counts of changes per region: `{ "eu-west-1": { create: 1, update: 0, delete: 0, same: 120 } }`. */
export function changesByRegion(changes: readonly ResourceChange[]): Record<string, Record<ChangeKind, number>> {
    const out: Record<string, Record<ChangeKind, number>> = {};
    for (const c of changes) {
        const key = c.region ?? "(no region)";
        out[key] ??= { create: 0, update: 0, delete: 0, same: 0 };
        out[key][c.kind] += 1;
    }
    return out;
}
