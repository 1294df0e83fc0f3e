/**
 * The on-call command: asks the deployed FailoverOrchestrator function of a stack to switch over or fail over to a
 * region, or follows the run in progress.
 *
 *   npm run failover -- --stack prod --action failover --to eu-west-1 --dry-run
 *   npm run failover -- --stack prod --action failover --to eu-west-1 --confirm prod:failover:eu-west-1
 *   npm run failover -- --stack prod --action switchover --to eu-west-2 --confirm prod:switchover:eu-west-2   (failback)
 *   npm run failover -- --stack prod --action break-glass --to eu-west-1 --confirm prod:eu-west-1:detach
 *   npm run failover -- --stack prod --follow [--to eu-west-2]
 *   npm run failover -- history --stack prod [--region eu-west-1] [--limit 20]     (tools/runReports.ts)
 *   npm run failover -- report --stack prod --run RUN_ID [--json]
 *
 * Each region runs its own function, under the same name, which promotes only its own region's cluster: the command
 * invokes the function of the `--to` region (the region that should hold the writer afterwards) synchronously, and
 * reads that region's run record, printing the steps the run completes while it works and then the full timeline.
 * So a failback is a switchover `--to` the home region, run by the home region's function. A real request must repeat
 * itself in `--confirm STACK:ACTION:REGION`, which the function checks again; a dry run needs no confirmation.
 * When the function is busy (its reserved concurrency is taken by alarm-started runs), the command does not retry
 * blindly: it follows the run record of the run in progress and reports how it ends.
 * Credentials come from the usual AWS chain (AWS_PROFILE, SSO, environment).
 *
 * Exit status: 0 the request completed (or the dry run / refusal was reported, or the followed run completed);
 * 1 the run failed, or the followed run did not complete; 2 usage error.
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { parseArgs } from "util";
import { parseStackConfig, type StackConfig } from "../config";
import type { DatabaseSeed } from "../lib/database";
import {
    auroraIdentifiers,
    confirmationOf,
    DETECTION_WINDOW_SECONDS,
    FAILOVER_ACTIONS,
    lockTableName,
    ORCHESTRATOR_TIMEOUT_SECONDS,
    orchestratorFunctionName,
    type FailoverAction,
} from "../lib/failover";
import { fromItem, type LockRecord } from "../orchestrator/src/lock";
import { readStackFile, stackFilePath } from "../tests/harness/program";
import { evidenceClientsIn, HISTORY_USAGE, parseEvidenceArgs, runHistory, runReport, type EvidenceClients } from "./runReports";

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const USAGE = `Usage: npm run failover -- --stack NAME --action switchover|failover --to REGION [--confirm NAME:ACTION:REGION] [--dry-run] [--force]
       npm run failover -- --stack NAME --action break-glass --to REGION [--confirm NAME:REGION:detach] [--dry-run]
       npm run failover -- --stack NAME --follow
${HISTORY_USAGE}

  --stack NAME      the stack (Pulumi.NAME.yaml gives its regions)
  --action A        switchover: planned, no data loss, needs the current writer healthy (drills, maintenance,
                                failback)
                    failover:   unplanned, may lose data; refused unless the signals agree the writer's region is
                                lost, or --force
                    break-glass: when AWS refuses the managed failover and the writer's region is truly gone:
                                detach REGION's cluster from the global database, promote it on its own, point
                                the secret, the record and active-region at it, and fence the old writer (refused
                                while the old writer answers and serves; never with --force)
  --to REGION       the region that should hold the writer afterwards: its own orchestrator is invoked
  --confirm TEXT    repeat the request, NAME:ACTION:REGION, for break-glass NAME:REGION:detach (required unless
                    --dry-run)
  --dry-run         read everything and report what would be done; change nothing
  --force           fail over even though the signals do not agree the writer's region is lost
  --follow          follow the run in progress (its run record) until it ends; with --to, that region's run,
                    otherwise the run recorded last in either region
  history           the runs recorded in both regions (or --region), newest first: start, region, action, outcome,
                    recovery time, data-loss window, run id (--limit, default 20)
  report            one run's record and report: trigger, decisions, steps, pointers, recovery time, data-loss
                    window, the lost-writes snapshot and the missing-transaction procedure (--json: as stored)
`;

export type FailoverArgs =
    | {
          readonly kind: "request";
          readonly stack: string;
          readonly action: FailoverAction;
          readonly to: string;
          readonly confirm?: string;
          readonly dryRun: boolean;
          readonly force: boolean;
      }
    | { readonly kind: "follow"; readonly stack: string; readonly to?: string };

/** Parses the command line; returns the arguments or a usage error message naming the flag. Pure. */
export function parseFailoverArgs(argv: readonly string[]): FailoverArgs | { readonly error: string } {
    let values: { stack?: string; action?: string; to?: string; confirm?: string; "dry-run"?: boolean; force?: boolean; follow?: boolean };
    try {
        ({ values } = parseArgs({
            args: [...argv],
            options: {
                stack: { type: "string" },
                action: { type: "string" },
                to: { type: "string" },
                confirm: { type: "string" },
                "dry-run": { type: "boolean" },
                force: { type: "boolean" },
                follow: { type: "boolean" },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
    }
    if (values.stack === undefined || values.stack === "") {
        return { error: "--stack is required" };
    }
    if (values.follow === true) {
        const extra = (["action", "confirm", "dry-run", "force"] as const).filter((k) => values[k] !== undefined);
        if (values.to === "") {
            return { error: "--to needs a region" };
        }
        return extra.length > 0
            ? { error: `--follow takes only --stack and --to, not --${extra.join(", --")}` }
            : { kind: "follow", stack: values.stack, ...(values.to !== undefined ? { to: values.to } : {}) };
    }
    if (values.action === undefined) {
        return { error: `--action is required: ${oneOf(FAILOVER_ACTIONS)}` };
    }
    if (!(FAILOVER_ACTIONS as readonly string[]).includes(values.action)) {
        return { error: `--action must be ${oneOf(FAILOVER_ACTIONS)}, not "${values.action}"` };
    }
    const action = values.action as FailoverAction;
    if (values.to === undefined || values.to === "") {
        return { error: "--to is required: the region that should hold the writer afterwards" };
    }
    if (values.force === true && action === "switchover") {
        return { error: "--force applies to --action failover only: a switchover always needs the current writer healthy" };
    }
    if (values.force === true && action === "break-glass") {
        return {
            error: "--force is not accepted with --action break-glass: its checks (the region's cluster ready, the old writer not serving) are never skipped",
        };
    }
    const expected = confirmationOf(values.stack, action, values.to);
    const dryRun = values["dry-run"] === true;
    if (!dryRun && values.confirm !== expected) {
        return {
            error:
                values.confirm === undefined
                    ? `--confirm is required for a real ${action}: add --confirm ${expected} (or rehearse with --dry-run)`
                    : `--confirm must repeat the request exactly: --confirm ${expected}, not "${values.confirm}"`,
        };
    }
    return {
        kind: "request",
        stack: values.stack,
        action,
        to: values.to,
        ...(dryRun ? {} : { confirm: expected }),
        dryRun,
        force: values.force === true,
    };
}

/** `a, b or c`. Pure. */
function oneOf(values: readonly string[]): string {
    return values.length < 2 ? values.join("") : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
}

/** The event the function receives (see orchestrator/src/events.ts). Pure. */
export function buildEvent(args: Extract<FailoverArgs, { kind: "request" }>, requestedBy: string | undefined): Record<string, unknown> {
    return {
        stack: args.stack,
        action: args.action,
        targetRegion: args.to,
        confirm: confirmationOf(args.stack, args.action, args.to),
        dryRun: args.dryRun,
        force: args.force,
        ...(requestedBy !== undefined && requestedBy !== "" ? { requestedBy: requestedBy.slice(0, 256) } : {}),
    };
}

interface TimelineLine {
    readonly name: string;
    readonly start: string;
    readonly durationMs: number;
    readonly outcome: string;
    readonly detail: string;
}

export function formatStep(s: TimelineLine): string {
    return `${s.start}  ${s.name.padEnd(16)} ${s.outcome.padEnd(8)} ${String(s.durationMs).padStart(7)} ms  ${s.detail}`;
}

export interface FailoverClients {
    readonly lambda: LambdaClient;
    readonly dynamodb: DynamoDBClient;
}

export interface Target {
    /** The region of the function and its run record. @default not printed */
    readonly region?: string;
    readonly functionName: string;
    readonly lockTable: string;
    readonly lockId: string;
}

/** Error codes of a function that is throttled: its reserved concurrency is in use. */
export const THROTTLED = ["TooManyRequestsException", "ThrottlingException", "ReservedFunctionConcurrentInvocationLimitExceeded"];

async function readRun(clients: FailoverClients, target: Target): Promise<LockRecord | undefined> {
    const item = await clients.dynamodb.send(
        new GetItemCommand({ TableName: target.lockTable, Key: { lockId: { S: target.lockId } }, ConsistentRead: true }),
    );
    return item.Item === undefined ? undefined : fromItem(item.Item);
}

/**
 * Follows the run record until the run is no longer running (or `until` says stop), printing each step as it is
 * recorded. Returns the last record read.
 */
export async function followRun(
    clients: FailoverClients,
    target: Target,
    out: (line: string) => void,
    options: {
        readonly pollMs?: number;
        readonly until?: () => boolean;
        readonly maxMs?: number;
        readonly sleep?: (ms: number) => Promise<void>;
        /** Only a record written at or after this time counts (epoch ms): an older one is a previous run's. */
        readonly since?: number;
        readonly now?: () => number;
    } = {},
): Promise<LockRecord | undefined> {
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const now = options.now ?? Date.now;
    const seen = new Set<string>();
    const started = now();
    let last: LockRecord | undefined;
    for (;;) {
        try {
            const read = await readRun(clients, target);
            last = read !== undefined && (options.since === undefined || read.updatedAt >= options.since) ? read : undefined;
            for (const step of last?.steps ?? []) {
                if (!seen.has(step)) {
                    seen.add(step);
                    out(`  ... ${step} done (run ${last!.runId})`);
                }
            }
        } catch {
            // Progress is a courtesy; the final result is what counts.
        }
        if (options.until?.() === true) {
            return last;
        }
        // A run that ended, or one whose holder stopped renewing its lease (crashed): nothing more will be recorded.
        if (options.until === undefined && last !== undefined && (last.state !== "running" || last.expiresAt < now())) {
            return last;
        }
        if (now() - started > (options.maxMs ?? (ORCHESTRATOR_TIMEOUT_SECONDS + 60) * 1000)) {
            return last;
        }
        await sleep(options.pollMs ?? 2_000);
    }
}

/** How far the function's clock may be behind this machine's when comparing run-record times. */
export const CLOCK_SKEW_MS = 5_000;

export async function invoke(
    args: Extract<FailoverArgs, { kind: "request" }>,
    target: Target,
    clients: FailoverClients,
    out: (line: string) => void,
    pollMs = 2_000,
    now: () => number = Date.now,
): Promise<number> {
    out(
        `Invoking ${target.functionName}${target.region !== undefined ? ` in ${target.region}` : ""}: ${args.action} to ${args.to}${args.dryRun ? " (dry run)" : ""}${args.force ? " (forced)" : ""}`,
    );
    const invokedAt = now();
    let done = false;
    const watch = followRun(clients, target, out, { pollMs, until: () => done });
    try {
        const response = await clients.lambda.send(
            new InvokeCommand({
                FunctionName: target.functionName,
                InvocationType: "RequestResponse",
                Payload: new TextEncoder().encode(JSON.stringify(buildEvent(args, process.env["USER"]))),
            }),
        );
        const text = response.Payload !== undefined ? new TextDecoder().decode(response.Payload) : "{}";
        const payload = JSON.parse(text) as {
            outcome?: string;
            message?: string;
            timeline?: TimelineLine[];
            errorType?: string;
            errorMessage?: string;
        };
        if (response.FunctionError !== undefined) {
            out(`FAILED (${payload.errorType ?? response.FunctionError}): ${payload.errorMessage ?? text}`);
            return EXIT.failed;
        }
        for (const step of payload.timeline ?? []) {
            out(formatStep(step));
        }
        out(`${payload.outcome ?? "unknown"}: ${payload.message ?? ""}`);
        return payload.outcome === "failed" ? EXIT.failed : EXIT.ok;
    } catch (error) {
        const code = (error as { name?: string }).name ?? "";
        if (!THROTTLED.includes(code)) {
            throw error;
        }
        // Busy: runs started by the alarms hold the function's concurrency. The lock serialises them anyway, so
        // follow the one in progress instead of queueing a second request behind it. Only a run recorded since this
        // command started counts (alarm-started runs take the lock after their detection window, up to 5 minutes);
        // a previous run's record is not an answer.
        done = true;
        await watch;
        out(`The orchestrator is busy (${code}): following the run in progress instead.`);
        return reportFollowed(
            await followRun(clients, target, out, {
                pollMs,
                since: invokedAt - CLOCK_SKEW_MS,
                maxMs: (DETECTION_WINDOW_SECONDS.max + 60) * 1000 + ORCHESTRATOR_TIMEOUT_SECONDS * 1000,
            }),
            args,
            out,
            now(),
        );
    } finally {
        done = true;
        await watch;
    }
}

/** The exit status of a followed run: 0 only when it completed the move this request asked for. Pure but for `out`. */
export function reportFollowed(
    record: LockRecord | undefined,
    args: { readonly action?: FailoverAction; readonly to?: string },
    out: (line: string) => void,
    now: number = Date.now(),
): number {
    if (record === undefined) {
        out("No run has been recorded since this command started: nothing to report. Run your command again.");
        return EXIT.failed;
    }
    out(
        `Run ${record.runId}: ${record.action} to ${record.targetRegion}, ${record.state}${record.error !== undefined ? `: ${record.error}` : ""}`,
    );
    if (record.state === "running" && record.expiresAt < now) {
        out("The run stopped renewing its lock (the function crashed or timed out); the next invocation resumes it.");
        return EXIT.failed;
    }
    const same = (args.to === undefined || record.targetRegion === args.to) && (args.action === undefined || record.action === args.action);
    if (record.state === "completed" && same) {
        return EXIT.ok;
    }
    if (record.state === "completed") {
        out("That run was not the one you asked for: run your command again now that the orchestrator is free.");
    }
    return EXIT.failed;
}

/**
 * Where a request or a follow goes: the function and the run record of one region. Each region has its own function
 * and lock table under the same names; the lock item is the global cluster's, whose identifier carries its generation
 * after a rebuild (`database.seed`). Pure.
 */
export function targetIn(
    stack: string,
    region: string,
    primaryRegion: string,
    drRegion: string,
    seed?: DatabaseSeed,
): Target & { readonly region: string } {
    return {
        region,
        functionName: orchestratorFunctionName(stack),
        lockTable: lockTableName(stack),
        lockId: auroraIdentifiers(stack, primaryRegion, drRegion, seed).global,
    };
}

/** The region whose run record was written last (the run to follow when no region is named), if any. Pure. */
export function latestRun(records: readonly { readonly region: string; readonly record: LockRecord | undefined }[]): string | undefined {
    let latest: { region: string; updatedAt: number } | undefined;
    for (const { region, record } of records) {
        if (record !== undefined && (latest === undefined || record.updatedAt > latest.updatedAt)) {
            latest = { region, updatedAt: record.updatedAt };
        }
    }
    return latest?.region;
}

function clientsIn(region: string): FailoverClients {
    return {
        // The function's timeout; the invoke waits for it.
        lambda: new LambdaClient({ region, requestHandler: { requestTimeout: (ORCHESTRATOR_TIMEOUT_SECONDS + 60) * 1000 } }),
        dynamodb: new DynamoDBClient({ region }),
    };
}

export async function main(
    argv: readonly string[],
    out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
    deps: { readonly evidenceClientsIn?: (region: string) => EvidenceClients } = {},
): Promise<number> {
    if (argv[0] === "history" || argv[0] === "report") {
        return evidence(argv, out, deps.evidenceClientsIn ?? evidenceClientsIn);
    }
    const args = parseFailoverArgs(argv);
    if ("error" in args) {
        process.stderr.write(`failover: ${args.error}\n${USAGE}`);
        return EXIT.usage;
    }
    const config = stackConfigOf(args.stack);
    if (config === undefined) {
        return EXIT.usage;
    }
    const { primaryRegion, drRegion } = config;
    const seed = config.database.seed;
    if (args.to !== undefined && ![primaryRegion, drRegion].includes(args.to)) {
        process.stderr.write(`failover: --to must be one of the stack's regions, ${primaryRegion} or ${drRegion}, not "${args.to}"\n`);
        return EXIT.usage;
    }
    if (args.kind === "request") {
        // The region that should hold the writer runs the move: its own function promotes its own cluster.
        const target = targetIn(args.stack, args.to, primaryRegion, drRegion, seed);
        return invoke(args, target, clientsIn(target.region), out);
    }
    let region = args.to;
    if (region === undefined) {
        const records = await Promise.all(
            [primaryRegion, drRegion].map(async (r) => ({
                region: r,
                record: await readRun(clientsIn(r), targetIn(args.stack, r, primaryRegion, drRegion, seed)).catch(() => undefined),
            })),
        );
        region = latestRun(records);
        if (region === undefined) {
            out(`No run is recorded in ${primaryRegion} or ${drRegion}.`);
            return EXIT.failed;
        }
        out(`Following the run recorded last, in ${region}.`);
    }
    const target = targetIn(args.stack, region, primaryRegion, drRegion, seed);
    return reportFollowed(await followRun(clientsIn(region), target, out), {}, out);
}

/** The stack file's validated config, or undefined after saying on stderr that it is not valid and how to see why. */
function stackConfigOf(stack: string): StackConfig | undefined {
    const parsed = parseStackConfig(readStackFile(stackFilePath(stack)), stack);
    if (!parsed.ok) {
        process.stderr.write(`failover: Pulumi.${stack}.yaml is not valid; fix it first (npm run plan -- --stack ${stack})\n`);
        return undefined;
    }
    return parsed.config;
}

/** `history` and `report` (tools/runReports.ts): exit 0 found and printed, 1 not found or unreadable, 2 usage. */
async function evidence(
    argv: readonly string[],
    out: (line: string) => void,
    clientsIn: (region: string) => EvidenceClients,
): Promise<number> {
    const args = parseEvidenceArgs(argv);
    if ("error" in args) {
        process.stderr.write(`failover: ${args.error}\n${USAGE}`);
        return EXIT.usage;
    }
    const config = stackConfigOf(args.stack);
    if (config === undefined) {
        return EXIT.usage;
    }
    const { primaryRegion, drRegion, environment, database } = config;
    const regions = [primaryRegion, drRegion];
    if (args.kind === "history") {
        if (args.region !== undefined && !regions.includes(args.region)) {
            process.stderr.write(
                `failover: --region must be one of the stack's regions, ${primaryRegion} or ${drRegion}, not "${args.region}"\n`,
            );
            return EXIT.usage;
        }
        return runHistory(args, args.region !== undefined ? [args.region] : regions, clientsIn, out);
    }
    return runReport(args, { environment, engineVersion: database.engineVersion }, regions, clientsIn, out);
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit only once stdout has drained: process.exit() right after a large write to a pipe cuts the output.
        (code) => process.stdout.write("", () => process.exit(code)),
        (error: unknown) => {
            process.stderr.write(`failover: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(EXIT.failed);
        },
    );
}
