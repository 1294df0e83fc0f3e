/**
 * The project's own stacks, each run once per test process and shared by every test file: the program is
 * deterministic, so running it again per `describe` would only make the suite slower.
 */
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./program";

export const STACKS = ["dev", "prod"] as const;
export type StackName = (typeof STACKS)[number];

const runs = new Map<string, Promise<ProgramRun>>();

/**
 * The planned run of `Pulumi.<stack>.yaml`: as an update (every value known) by default, or as the first preview of
 * the empty stack (`preview: true`: ids, ARNs and other computed outputs unknown).
 */
export function planStack(stack: StackName, options: { readonly preview?: boolean } = {}): Promise<ProgramRun> {
    const preview = options.preview ?? false;
    const key = `${stack}${preview ? ":preview" : ""}`;
    let run = runs.get(key);
    if (run === undefined) {
        run = runProgram({ stack, preview });
        runs.set(key, run);
    }
    return run;
}

/**
 * The planned run of `Pulumi.<stack>.yaml` with `healthcare-dr:activeRegion` set to its DR region: the stack after a
 * failover, once a human has flipped the setting (README runbook). Run once per test process, like `planStack`.
 */
export function planFailedOver(stack: StackName): Promise<ProgramRun> {
    const key = `${stack}:activeRegion=dr`;
    let run = runs.get(key);
    if (run === undefined) {
        const raw = readStackFile(stackFilePath(stack));
        const drRegion = raw["healthcare-dr:drRegion"] ?? "eu-west-1";
        run = runProgram({ stack, rawConfig: { ...raw, "healthcare-dr:activeRegion": drRegion } });
        runs.set(key, run);
    }
    return run;
}

/** Resources of a type, optionally only those in one region. */
export function resourcesOfType(run: ProgramRun, type: string, region?: string): PlannedResource[] {
    return run.resources.filter((r) => r.type === type && (region === undefined || r.region === region));
}

/** The one resource of a type with a logical name; fails the test when there is not exactly one. */
export function resourceNamed(run: ProgramRun, type: string, name: string): PlannedResource {
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
        const names = resourcesOfType(run, type)
            .map((r) => r.name)
            .join(", ");
        throw new Error(`Expected one ${type} named ${name}, found ${found.length} (have: ${names || "none"})`);
    }
    return found[0]!;
}

/** The component resource a resource belongs to (its nearest non-custom ancestor), if any. */
export function componentOf(run: ProgramRun, resource: PlannedResource): PlannedResource | undefined {
    let parent = resource.parent;
    while (parent !== undefined) {
        const p = run.resources.find((r) => r.urn === parent);
        if (p === undefined) {
            return undefined;
        }
        if (!p.custom) {
            return p;
        }
        parent = p.parent;
    }
    return undefined;
}
