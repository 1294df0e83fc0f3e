/**
 * One run of the orchestrator: assess, lock, notify-start, act, wait-for-writer, repoint, verify, notify, release.
 *
 * Every step is idempotent and recorded in the lock item when it completes, so a run that takes over from a crashed
 * or failed run of the same request resumes after the last completed step. `dryRun` makes every read and reports
 * what each changing step would do, changing nothing (and publishing nothing).
 */
import type { FailoverAction } from "../../lib/failover";
import {
    describeCluster,
    describeGlobalCluster,
    detach,
    drRoleOf,
    isInFlight,
    normalise,
    publish,
    readParameter,
    readRecord,
    startFailover,
    startSwitchover,
    upsertRecord,
    writeParameter,
    type ClusterView,
    type GlobalClusterView,
} from "./aws";
import type { AwsClients } from "./clients";
import type { RuntimeConfig } from "./config";
import { decide, primaryHealthFromStatus, type Decision, type PrimaryHealth, type World } from "./decide";
import type { OrchestratorRequest } from "./events";
import { errorCode, errorMessage, isRefusal, isThrottling, isTransient } from "./errors";
import { FailoverLock, LockHeldError, type PromotionPath } from "./lock";
import { Timeline, type StepName, type TimelineEntry } from "./timeline";

/** Bounded polling with exponential backoff while waiting for the DR writer. */
export interface PollSettings {
    /** First delay, ms. */
    readonly initialDelayMs: number;
    /** Largest delay, ms. */
    readonly maxDelayMs: number;
    /** Growth of the delay per attempt. */
    readonly factor: number;
    /** Time kept in reserve before the function's deadline for repoint, verify, notify and release, ms. */
    readonly reserveMs: number;
}

export const DEFAULT_POLL: PollSettings = { initialDelayMs: 1_000, maxDelayMs: 20_000, factor: 2, reserveMs: 60_000 };

/** The delay before poll attempt `attempt` (0-based). Pure. */
export function backoffDelay(attempt: number, poll: PollSettings): number {
    return Math.min(poll.maxDelayMs, Math.round(poll.initialDelayMs * Math.pow(poll.factor, attempt)));
}

export interface Logger {
    info(message: string, extra?: Record<string, unknown>): void;
    warn(message: string, extra?: Record<string, unknown>): void;
    error(message: string, extra?: Record<string, unknown>): void;
}

export interface RunDependencies {
    readonly clients: AwsClients;
    readonly now: () => number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly logger: Logger;
    readonly poll: PollSettings;
    /** Called after each step completes; tests use it to inject a crash (a promise that never settles). */
    readonly afterStep?: (step: StepName) => Promise<void> | void;
}

export interface RunContext {
    /** The invocation's request id: the lock owner. A Lambda retry of the same event keeps it. */
    readonly requestId: string;
    /** Milliseconds left before the function times out. */
    readonly remainingMs: () => number;
}

export type Outcome = "completed" | "already-active" | "refused" | "locked" | "notified" | "ignored" | "dry-run";

export interface RunResult {
    readonly outcome: Outcome;
    readonly action?: FailoverAction;
    readonly dryRun: boolean;
    readonly message: string;
    readonly path?: PromotionPath;
    /** The region the writer pointers name at the end of the run. */
    readonly activeRegion?: string;
    readonly timeline: readonly TimelineEntry[];
    readonly totalMs: number;
}

/** A run failed after it took the lock; the lock is marked failed and a re-run resumes. */
export class OrchestrationError extends Error {
    override readonly name = "OrchestrationError";
    constructor(
        message: string,
        readonly step: string,
        readonly timeline: readonly TimelineEntry[],
    ) {
        super(message);
    }
}

/** The world as the assess step reads it. */
interface Observed {
    readonly global: GlobalClusterView;
    readonly dr: ClusterView;
    readonly primary: PrimaryHealth;
    readonly record: string | undefined;
    readonly activeRegion: string | undefined;
    readonly world: World;
}

export async function run(
    request: OrchestratorRequest,
    config: RuntimeConfig,
    deps: RunDependencies,
    context: RunContext,
): Promise<RunResult> {
    const timeline = new Timeline(deps.now);
    const dryRun = request.kind === "manual" && request.dryRun;
    const rds = deps.clients.rds(config.dr.region);
    const ssm = deps.clients.ssm(config.dr.region);
    const after = async (step: StepName) => {
        await deps.afterStep?.(step);
    };
    const result = (outcome: Outcome, message: string, extra: Partial<RunResult> = {}): RunResult => {
        const out: RunResult = { outcome, dryRun, message, timeline: timeline.entries, totalMs: timeline.totalMs, ...extra };
        deps.logger.info("orchestrator finished", { outcome, message, timeline: timeline.entries });
        return out;
    };

    let observed: Observed | undefined;
    await timeline.step("assess", async () => {
        observed = await observe(config, deps, true);
        return { outcome: "done", detail: describeWorld(observed) };
    });
    await after("assess");
    const decision = decide(request, observed!.world, config);
    deps.logger.info("decision", { decision, request });

    if (decision.kind !== "proceed") {
        const outcome: Outcome =
            decision.kind === "ignore"
                ? "ignored"
                : decision.kind === "notify-only"
                  ? "notified"
                  : decision.kind === "refuse"
                    ? "refused"
                    : "already-active";
        // On-call hears about an alarm that did not start a failover; a repeated alarm after a failover stays quiet.
        if (decision.kind === "notify-only" || decision.kind === "refuse") {
            await notifyStep(
                timeline,
                "notify",
                config,
                deps,
                dryRun,
                subjectFor(config, decision),
                messageFor(config, decision.reason, timeline),
            );
        }
        return result(dryRun ? "dry-run" : outcome, decision.reason, { activeRegion: observed!.activeRegion ?? "" });
    }
    const action = decision.action;

    if (dryRun) {
        return dryRunPlan(timeline, config, deps, decision, observed!, result);
    }

    const lock = new FailoverLock(
        deps.clients.dynamodb(config.dr.region),
        config.lockTable,
        config.globalClusterId,
        context.requestId,
        deps.now,
    );
    let resumed: readonly string[] = [];
    let path: PromotionPath | undefined;
    let underLock: Decision | undefined;
    try {
        await timeline.step("lock", async () => {
            const taken = await lock.acquire(action, config.dr.region, context.remainingMs() + 30_000);
            resumed = taken.resumed;
            path = taken.path;
            // Re-read under the lock: a run that finished just before we took it may have done everything already.
            observed = await observe(config, deps, false, observed!.primary);
            underLock = decide(request, observed.world, config);
            return {
                outcome: "done",
                detail: `lock ${config.lockTable}/${config.globalClusterId} taken by ${context.requestId}${resumed.length > 0 ? `; resuming after ${resumed.join(", ")}` : ""}`,
            };
        });
    } catch (error) {
        if (error instanceof LockHeldError) {
            return result("locked", error.message, { action });
        }
        throw error;
    }
    await after("lock");

    const current = underLock as Decision;
    if (current.kind !== "proceed") {
        await lock.release("completed");
        timeline.note("release", "done", "lock released");
        return result("already-active", current.reason, { action, activeRegion: observed!.activeRegion ?? "" });
    }
    const promote = current.promote;
    let failedStep: StepName = "notify-start";
    try {
        await notifyStep(
            timeline,
            "notify-start",
            config,
            deps,
            false,
            `[${config.stack}] ${action} to ${config.dr.region} started`,
            messageFor(config, current.reason, timeline),
        );
        await after("notify-start");

        failedStep = "act";
        if (resumed.includes("act") || !promote) {
            timeline.note("act", "skipped", resumed.includes("act") ? "already done by the run this one resumes" : current.reason);
        } else {
            await timeline.step("act", async () => {
                const taken = await act(action, config, deps, lock, path);
                path = taken.path;
                await lock.completeStep("act", path);
                return { outcome: "done", detail: taken.detail };
            });
        }
        await after("act");

        failedStep = "wait-for-writer";
        await timeline.step("wait-for-writer", async () => {
            const view = await waitForWriter(config, deps, context);
            await lock.completeStep("wait-for-writer");
            return {
                outcome: "done",
                detail: `${config.dr.identifier} is the ${view.role} writer (${view.cluster.status}) at ${view.cluster.endpoint}`,
            };
        });
        await after("wait-for-writer");

        failedStep = "repoint";
        await timeline.step("repoint", async () => {
            const cluster = await describeCluster(rds, config.dr);
            if (cluster === undefined || cluster.endpoint === "") {
                throw new Error(`the DR cluster ${config.dr.identifier} has no endpoint to point at`);
            }
            await upsertRecord(
                deps.clients.route53(),
                config.hostedZoneId,
                config.recordName,
                cluster.endpoint,
                config.recordTtl,
                `${action} to ${config.dr.region}`,
            );
            await writeParameter(ssm, config.activeRegionParameter, config.dr.region);
            await lock.completeStep("repoint");
            return {
                outcome: "done",
                detail: `${config.recordName} CNAME ${cluster.endpoint} (TTL ${config.recordTtl} s); ${config.activeRegionParameter} = ${config.dr.region}`,
            };
        });
        await after("repoint");

        failedStep = "verify";
        await timeline.step("verify", async () => {
            const now = await observe(config, deps, false, observed!.primary);
            const problems: string[] = [];
            if (now.world.drRole !== "writer" && now.world.drRole !== "standalone") {
                problems.push(`the DR cluster is ${now.world.drRole}, not the writer`);
            }
            if (now.record !== normalise(now.dr.endpoint)) {
                problems.push(`${config.recordName} points at ${now.record ?? "nothing"}, not ${now.dr.endpoint}`);
            }
            if (now.activeRegion !== config.dr.region) {
                problems.push(`${config.activeRegionParameter} is ${now.activeRegion ?? "unset"}, not ${config.dr.region}`);
            }
            if (problems.length > 0) {
                throw new Error(`verification failed: ${problems.join("; ")}`);
            }
            await lock.completeStep("verify");
            return {
                outcome: "done",
                detail: `writer ${config.dr.identifier} in ${config.dr.region}; record and ${config.activeRegionParameter} point at it`,
            };
        });
        await after("verify");
    } catch (error) {
        const message = `${action} to ${config.dr.region} failed at ${failedStep}: ${errorCode(error)}: ${errorMessage(error)}`;
        deps.logger.error("orchestration failed", { step: failedStep, error: errorMessage(error), code: errorCode(error) });
        await bestEffort(deps, "marking the lock failed", () => lock.release("failed", message));
        await notifyStep(
            timeline,
            "notify",
            config,
            deps,
            false,
            `[${config.stack}] ${action} to ${config.dr.region} FAILED at ${failedStep}`,
            messageFor(config, `${message}. A re-run resumes after the last completed step.`, timeline),
        );
        throw new OrchestrationError(message, failedStep, timeline.entries);
    }

    const done = `${action} to ${config.dr.region} completed${path !== undefined ? ` (${path === "detach" ? "detach and promote" : "managed"})` : ""}`;
    await notifyStep(timeline, "notify", config, deps, false, `[${config.stack}] ${done}`, messageFor(config, done, timeline));
    await after("notify");
    await timeline.step("release", async () => {
        await lock.release("completed");
        return { outcome: "done", detail: "lock released" };
    });
    await after("release");
    return result("completed", done, { action, ...(path !== undefined ? { path } : {}), activeRegion: config.dr.region });
}

/** Reads the global cluster, the DR cluster, the primary (through the short-timeout probe) and the two pointers. */
async function observe(
    config: RuntimeConfig,
    deps: RunDependencies,
    probePrimary: boolean,
    knownPrimary?: PrimaryHealth,
): Promise<Observed> {
    const rds = deps.clients.rds(config.dr.region);
    const [global, dr, primary, record, activeRegion] = await Promise.all([
        describeGlobalCluster(rds, config.globalClusterId),
        describeCluster(rds, config.dr),
        probePrimary || knownPrimary === undefined ? probe(config, deps) : Promise.resolve(knownPrimary),
        readRecord(deps.clients.route53(), config.hostedZoneId, config.recordName),
        readParameter(deps.clients.ssm(config.dr.region), config.activeRegionParameter),
    ]);
    if (dr === undefined) {
        throw Object.assign(new Error(`the DR cluster ${config.dr.arn} does not exist`), { name: "DBClusterNotFoundFault" });
    }
    const drRole = drRoleOf(global, config.dr.arn);
    return {
        global,
        dr,
        primary,
        record,
        activeRegion,
        world: { primary, drRole, pointersAtDr: record === normalise(dr.endpoint) && activeRegion === config.dr.region },
    };
}

/**
 * Is the primary healthy? Asked of the primary region's own RDS API with a short timeout: an unreachable region, a
 * missing cluster or a cluster in a non-serving state is unhealthy; throttling means the region answers, so it is
 * inconclusive; an access error is a configuration problem and fails the run.
 */
export async function probe(config: RuntimeConfig, deps: Pick<RunDependencies, "clients">): Promise<PrimaryHealth> {
    try {
        const cluster = await describeCluster(deps.clients.rdsProbe(config.primary.region), config.primary);
        return primaryHealthFromStatus(cluster?.status);
    } catch (error) {
        if (isThrottling(error)) {
            return { kind: "inconclusive", reason: `the primary region throttled the health probe (${errorCode(error)})` };
        }
        if (isTransient(error) || isNetworkError(error)) {
            return {
                kind: "unhealthy",
                reason: `the primary region's RDS API is unreachable (${errorCode(error)}: ${errorMessage(error)})`,
            };
        }
        throw error;
    }
}

function isNetworkError(error: unknown): boolean {
    // Node's fetch/http layer reports refused or reset connections with these names.
    return (
        ["AbortError", "NetworkingError", "SocketError", "UND_ERR_CONNECT_TIMEOUT"].includes(errorCode(error)) ||
        /ECONN|socket hang up|getaddrinfo/i.test(errorMessage(error))
    );
}

/** Starts the promotion. Returns the path taken. */
async function act(
    action: FailoverAction,
    config: RuntimeConfig,
    deps: RunDependencies,
    lock: FailoverLock,
    previousPath: PromotionPath | undefined,
): Promise<{ path: PromotionPath; detail: string }> {
    const rds = deps.clients.rds(config.dr.region);
    if (previousPath === "detach") {
        // The run we resume chose detach-and-promote; never go back to the managed path half way.
        await detach(rds, config.globalClusterId, config.dr);
        return { path: "detach", detail: `RemoveFromGlobalCluster ${config.dr.arn} (resumed detach and promote)` };
    }
    await lock.recordPath("managed");
    if (action === "switchover") {
        await startSwitchover(rds, config.globalClusterId, config.dr);
        return { path: "managed", detail: `SwitchoverGlobalCluster ${config.globalClusterId} -> ${config.dr.arn}` };
    }
    try {
        await startFailover(rds, config.globalClusterId, config.dr);
        return { path: "managed", detail: `FailoverGlobalCluster ${config.globalClusterId} -> ${config.dr.arn} (AllowDataLoss)` };
    } catch (error) {
        if (!isRefusal(error)) {
            throw error;
        }
        // A refusal because an operation is already running (e.g. one our crashed predecessor started) is not a
        // reason to detach: wait for that operation instead.
        const view = await describeGlobalCluster(rds, config.globalClusterId);
        if (isInFlight(view) || drRoleOf(view, config.dr.arn) !== "secondary") {
            return {
                path: "managed",
                detail: `FailoverGlobalCluster refused (${errorCode(error)}) because an operation is under way (${view.failover?.status ?? view.status}); waiting for it`,
            };
        }
        deps.logger.warn("managed failover refused; detaching and promoting", { code: errorCode(error), message: errorMessage(error) });
        await lock.recordPath("detach");
        await detach(rds, config.globalClusterId, config.dr);
        return {
            path: "detach",
            detail: `FailoverGlobalCluster refused (${errorCode(error)}: ${errorMessage(error)}); RemoveFromGlobalCluster ${config.dr.arn} (detach and promote)`,
        };
    }
}

/** Polls until the DR cluster is the available writer, with exponential backoff, within the function's time. */
async function waitForWriter(
    config: RuntimeConfig,
    deps: RunDependencies,
    context: RunContext,
): Promise<{ role: string; cluster: ClusterView }> {
    const rds = deps.clients.rds(config.dr.region);
    const deadline = deps.now() + Math.max(0, context.remainingMs() - deps.poll.reserveMs);
    for (let attempt = 0; ; attempt++) {
        const [global, cluster] = await Promise.all([describeGlobalCluster(rds, config.globalClusterId), describeCluster(rds, config.dr)]);
        const role = drRoleOf(global, config.dr.arn);
        if ((role === "writer" || role === "standalone") && cluster?.status === "available" && !isInFlight(global)) {
            return { role: role === "writer" ? "global" : "standalone", cluster };
        }
        const delay = backoffDelay(attempt, deps.poll);
        if (deps.now() + delay > deadline) {
            throw Object.assign(
                new Error(
                    `the DR cluster did not become the available writer in time (role ${role}, status ${cluster?.status ?? "missing"}, global ${global.failover?.status ?? global.status}); re-run to keep waiting`,
                ),
                { name: "WaitTimeout" },
            );
        }
        await deps.sleep(delay);
    }
}

async function notifyStep(
    timeline: Timeline,
    name: "notify" | "notify-start",
    config: RuntimeConfig,
    deps: RunDependencies,
    dryRun: boolean,
    subject: string,
    message: string,
): Promise<void> {
    if (config.topicArns.length === 0) {
        timeline.note(name, "skipped", "no alert topics configured");
        return;
    }
    if (dryRun) {
        timeline.note(name, "planned", `would publish "${subject}" to ${config.topicArns.join(", ")}`);
        return;
    }
    await timeline.step(name, async () => {
        const failures: string[] = [];
        for (const topic of config.topicArns) {
            // A notification that cannot be sent must not stop the failover: log it and carry on.
            await bestEffort(
                deps,
                `publishing to ${topic}`,
                () => publish(deps.clients.sns(config.dr.region), topic, subject, message),
                failures,
            );
        }
        return {
            outcome: "done",
            detail: `published "${subject}" to ${config.topicArns.length - failures.length} of ${config.topicArns.length} topics${failures.length > 0 ? ` (failed: ${failures.join("; ")})` : ""}`,
        };
    });
}

async function dryRunPlan(
    timeline: Timeline,
    config: RuntimeConfig,
    deps: RunDependencies,
    decision: Extract<Decision, { kind: "proceed" }>,
    observed: Observed,
    result: (o: Outcome, m: string, e?: Partial<RunResult>) => RunResult,
): Promise<RunResult> {
    const lock = new FailoverLock(deps.clients.dynamodb(config.dr.region), config.lockTable, config.globalClusterId, "dry-run", deps.now);
    const current = await lock.read();
    const held = current !== undefined && current.state === "running" && current.expiresAt > deps.now();
    timeline.note(
        "lock",
        "planned",
        held
            ? `the lock is held by ${current.owner}: a real run would stop here`
            : `would take the lock ${config.lockTable}/${config.globalClusterId}${current !== undefined ? ` (last run: ${current.state})` : ""}`,
    );
    timeline.note("notify-start", "planned", `would publish to ${config.topicArns.length} topic(s)`);
    timeline.note(
        "act",
        "planned",
        !decision.promote
            ? decision.reason
            : decision.action === "switchover"
              ? `would call SwitchoverGlobalCluster ${config.globalClusterId} -> ${config.dr.arn}`
              : `would call FailoverGlobalCluster ${config.globalClusterId} -> ${config.dr.arn} with AllowDataLoss, falling back to RemoveFromGlobalCluster if refused`,
    );
    timeline.note("wait-for-writer", "planned", `would wait until ${config.dr.identifier} is the available writer`);
    timeline.note(
        "repoint",
        "planned",
        `would set ${config.recordName} CNAME ${observed.dr.endpoint} (now ${observed.record ?? "unset"}) and ${config.activeRegionParameter} = ${config.dr.region} (now ${observed.activeRegion ?? "unset"})`,
    );
    timeline.note("verify", "planned", "would read back the writer, the record and the parameter");
    timeline.note("notify", "planned", `would publish the result to ${config.topicArns.length} topic(s)`);
    timeline.note("release", "planned", "would release the lock");
    return result("dry-run", `dry run: ${decision.reason}; nothing was changed`, {
        action: decision.action,
        activeRegion: observed.activeRegion ?? "",
    });
}

async function bestEffort(deps: RunDependencies, what: string, fn: () => Promise<void>, failures?: string[]): Promise<void> {
    try {
        await fn();
    } catch (error) {
        deps.logger.error(`failed ${what}`, { code: errorCode(error), error: errorMessage(error) });
        failures?.push(`${what}: ${errorCode(error)}`);
    }
}

function describeWorld(o: Observed): string {
    const primary =
        o.primary.kind === "healthy" ? `primary healthy (${o.primary.status})` : `primary ${o.primary.kind}: ${o.primary.reason}`;
    return `${primary}; DR cluster ${o.world.drRole} (${o.dr.status}); global cluster ${o.global.failover?.status ?? o.global.status}; record -> ${o.record ?? "unset"}; active-region ${o.activeRegion ?? "unset"}`;
}

function subjectFor(config: RuntimeConfig, decision: Decision): string {
    return decision.kind === "notify-only"
        ? `[${config.stack}] ALARM: primary region at risk - failover needs your command`
        : `[${config.stack}] failover not started`;
}

/** The notification body: the summary for people, then the timeline as JSON for machines. */
export function messageFor(config: RuntimeConfig, summary: string, timeline: Timeline): string {
    return [
        summary,
        "",
        `Stack ${config.stack}; global cluster ${config.globalClusterId}; primary ${config.primary.region}; DR ${config.dr.region}.`,
        "",
        "Timeline:",
        timeline.format(),
        "",
        "--- machine-readable ---",
        JSON.stringify({ stack: config.stack, summary, timeline: timeline.entries }),
    ].join("\n");
}
