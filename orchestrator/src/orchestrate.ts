/**
 * One run of the orchestrator: assess, lock, notify-start, act, wait-for-writer, repoint, verify, notify, release.
 *
 * - The function runs in each region of the pair and only ever promotes its own region's cluster: a failover to it,
 *   or a failback to it (a switchover, after a failover went the other way), are the same run.
 * - Assess reads the world (global cluster, its own cluster, pointers, the run record), its own cluster's readiness
 *   and, for an unplanned failover, the signals of the peer over the whole detection window (signals.ts); decide.ts
 *   decides.
 * - Every step has a deadline (STEP_DEADLINE_SECONDS) inside the run's budget, which keeps NOTIFY_RESERVE_SECONDS
 *   of the function's time for the failure notification and the release of the lock. A step that runs out fails
 *   the run loudly.
 * - The repoint step sets the writer record and its own region's `active-region` (required), then the peer region's
 *   copy (best effort, within PEER_WRITE_DEADLINE_SECONDS: the peer may be the region that is down); a failure of the
 *   latter is reported in the final message, and never fails or blocks the run.
 * - Every step is idempotent and recorded in the run record when it completes, so a run that takes over from a
 *   crashed or failed run resumes after the last completed step, and a run whose pointers already name the new
 *   writer still verifies, notifies and releases.
 * - Immediately before the act step the readiness and the signals are read again; the act step only starts a
 *   managed switchover or failover (never a detach), and an answer lost after the call took effect is read back.
 * - `dryRun` makes every read and reports what each changing step would do, changing and publishing nothing.
 */
import {
    failoverCommand,
    LOCK_LEASE_SECONDS,
    reportObjectKey,
    NOTIFY_RESERVE_SECONDS,
    PEER_WRITE_DEADLINE_SECONDS,
    PROBES_PER_WINDOW,
    STEP_DEADLINE_SECONDS,
    WRITER_POLL_SECONDS,
    type FailoverAction,
    aftercareItemKey,
} from "../../lib/failover";
import {
    clusterMetric,
    describeCluster,
    describeGlobalCluster,
    isInFlight,
    normalise,
    publish,
    readParameter,
    readRecord,
    roleOf,
    startFailover,
    startSwitchover,
    upsertRecord,
    writeParameter,
    type ClusterView,
    type GlobalClusterView,
} from "./aws";
import { RequestLog, type AwsClients } from "./clients";
import type { RuntimeConfig } from "./config";
import { Deadline, sleepWithin } from "./deadline";
import { decide, evidenceFor, needs, type Decision, type DecisionContext, type Role, type World } from "./decide";
import type { OrchestratorRequest } from "./events";
import { errorCode, errorMessage, isRefusal } from "./errors";
import {
    buildReport,
    dataLossWindowOf,
    EVIDENCE_DEADLINE_MS,
    freshMarks,
    startItem,
    triggerOf,
    windowFromMarks,
    windowToMarks,
    writeEnd,
    writeStart,
    type DataLossWindow,
    type DecisionEntry,
    type EvidenceSummary,
    type PointerState,
    type RunReport,
    type Trigger,
} from "./evidence";
import { openLostWrites } from "./lostWrites";
import {
    FailoverLock,
    isOpen,
    LockHeldError,
    LockLostError,
    recordRefusal,
    type LockRecord,
    type Notification,
    type PromotionPath,
} from "./lock";
import { AftercareStore, fenceSaver } from "./aftercare";
import {
    APPLICATION_POLL_SECONDS,
    APPLICATION_RESERVE_SECONDS,
    applicationProblems,
    describeView,
    lookAtApplication,
    putTrafficMetrics,
    raiseCapacity,
    SYNTHETIC_TIMEOUT_MS,
    type ApplicationDeps,
} from "./application";
import {
    DB_CAPACITY_RESTORE_ATTRIBUTE,
    openApplicationObligation,
    restoreNotBefore,
    scaleDownNotBefore,
    STANDBY_SCALE_DOWN_ATTRIBUTE,
} from "./applicationAftercare";
import { APPLICATION_METRICS } from "../../lib/application";
import { BREAK_GLASS_STEP_DEADLINE_SECONDS, removeFromGlobalCluster } from "./breakGlass";
import {
    describeObligation,
    FENCE_ATTEMPT_SECONDS,
    FENCE_ATTRIBUTE,
    fenceCommands,
    fenceOnce,
    newObligation,
    obligationFromAttribute,
    type FenceAttempt,
} from "./fence";
import { checkReadiness, type Readiness } from "./readiness";
import { repointSecret, secretHost } from "./secret";
import { describeEvidence, gatherEvidence, METRIC_LOOKBACK_SECONDS, type Evidence } from "./signals";
import { Timeline, type StepName, type TimelineEntry } from "./timeline";

/** How the wait for the promoted writer polls. */
export interface PollSettings {
    /** Pause between two reads of the writer's state, ms; at most WRITER_POLL_SECONDS. */
    readonly intervalMs: number;
}

/** Reads every 2 s: a promotion AWS finishes is noticed within 2 s (the requirement is 5 s). */
export const DEFAULT_POLL: PollSettings = { intervalMs: 2_000 };

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
    /** Publishes a count metric (CloudWatch embedded metric format in the function). @default none */
    readonly metric?: (name: string, value: number) => void;
    /** Called after each step completes; tests use it to inject a crash (a promise that never settles). */
    readonly afterStep?: (step: StepName) => Promise<void> | void;
}

export interface RunContext {
    /** The invocation's request id: the lock owner. A Lambda retry of the same event keeps it. */
    readonly requestId: string;
    /** Milliseconds left before the function times out. */
    readonly remainingMs: () => number;
}

export type Outcome =
    | "completed"
    | "already-active"
    | "not-needed"
    | "refused"
    | "locked"
    | "notified"
    | "ignored"
    | "dry-run"
    | "failed"
    | "aftercare"
    | "beacon";

/** Failures a retry of the same event cannot change: AWS's refusal, a failed re-check, no promotion under way. */
export function isFinal(error: unknown): boolean {
    return isRefusal(error) || ["RecheckFailed", "NoPromotion"].includes(errorCode(error));
}

export interface RunResult {
    readonly outcome: Outcome;
    readonly action?: FailoverAction;
    readonly dryRun: boolean;
    readonly message: string;
    readonly path?: PromotionPath;
    /** The run this invocation belonged to (the run record's id), when it took the lock. */
    readonly runId?: string;
    /** The region the writer pointers name at the end of the run. */
    readonly activeRegion?: string;
    /** Why the peer region's copy of `active-region` could not be set, when it could not (best effort). */
    readonly peerActiveRegionProblem?: string;
    /** The signals that justified the decision, when they were read. */
    readonly evidence?: Evidence;
    /** A break-glass: whether the old writer was fenced by the end of the run, or its fence is left to aftercare. */
    readonly fence?: "fenced" | "pending";
    readonly timeline: readonly TimelineEntry[];
    readonly totalMs: number;
    /** The run's record and report (evidence.ts); absent for an ignored alarm. */
    readonly report?: EvidenceSummary;
    /**
     * The application tier, for a stack that has one: `healthy` (it answered in this region by the end of the run, at
     * `healthyAt`; traffic moved) or `pending` (APPLICATION PENDING: the data recovery stands, the beacon moves the
     * traffic once it answers); what the capacity step could not do.
     */
    readonly application?: {
        readonly state: "healthy" | "pending";
        readonly healthyAt?: string;
        readonly detail: string;
        readonly capacityProblems?: readonly string[];
    };
}

/** The longest the capacity step may take: a handful of reads and at most three writes. */
export const CAPACITY_STEP_SECONDS = 30;
/** The traffic step: one PutMetricData, plus the aftercare obligations it opens. */
export const TRAFFIC_STEP_SECONDS = 15;

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
    /** The function's own region's cluster. */
    readonly own: ClusterView;
    readonly record: string | undefined;
    readonly activeRegion: string | undefined;
    readonly lock: LockRecord | undefined;
    readonly world: World;
}

/** One run: see the module comment. */
export async function run(
    request: OrchestratorRequest,
    config: RuntimeConfig,
    deps: RunDependencies,
    context: RunContext,
): Promise<RunResult> {
    // Every AWS request of this run (and of no other) is recorded for its report.
    const log = new RequestLog(deps.now);
    return log.capture(() => new Run(request, config, deps, context, log).execute());
}

/** The longest the data-loss window's read may hold the act step: it never blocks the act. */
export const LOSS_WINDOW_READ_MS = 2_000;

class Run {
    private readonly timeline: Timeline;
    private readonly dryRun: boolean;
    /** The run's budget: the function's time less the reserve for the failure notification and the release. */
    private readonly budget: Deadline;
    /** The function's whole remaining time: only the final notification and the release use the reserve. */
    private readonly lastResort: Deadline;
    private readonly lock: FailoverLock;
    private evidence: Evidence | undefined;
    /** Set when the best-effort write of the peer region's `active-region` failed. */
    private peerProblem: string | undefined;
    // --- evidence (evidence.ts) ---
    private readonly startedAt: string;
    private readonly trigger: Trigger;
    private readonly decisions: DecisionEntry[] = [];
    private pointersBefore: PointerState | undefined;
    private pointersAfter: PointerState | undefined;
    /** The run's id and marks once its record was written (the lock's for a run under the lock). */
    private recorded: { runId: string; marks: Readonly<Record<string, string>> } | undefined;
    private lostWritesOpened: { oldCluster: string; oldRegion: string } | undefined;
    private dryRunWindow: DataLossWindow | undefined;
    /** The steps a resumed run took over from the run it continues. */
    private resumedSteps: readonly string[] = [];
    /** The application tier's state at the end of the run (a stack that has one). */
    private application: RunResult["application"] | undefined;

    constructor(
        private readonly request: OrchestratorRequest,
        private readonly config: RuntimeConfig,
        private readonly deps: RunDependencies,
        private readonly context: RunContext,
        private readonly log: RequestLog = new RequestLog(deps.now),
    ) {
        this.startedAt = new Date(deps.now()).toISOString();
        this.trigger = triggerOf(request, context.requestId, deps.now());
        this.timeline = new Timeline(deps.now);
        this.dryRun = request.kind === "manual" && request.dryRun;
        const end = deps.now() + context.remainingMs();
        this.lastResort = new Deadline(deps.now, end, "the function's time");
        this.budget = new Deadline(deps.now, end - NOTIFY_RESERVE_SECONDS * 1000, "the run's time");
        this.lock = new FailoverLock(
            deps.clients.dynamodb(config.self.region),
            config.lockTable,
            config.globalClusterId,
            this.dryRun ? "dry-run" : context.requestId,
            deps.now,
            LOCK_LEASE_SECONDS * 1000,
        );
    }

    /** The run, then its evidence: every run but an ignored alarm ends with its record and report. */
    async execute(): Promise<RunResult> {
        let result: RunResult;
        try {
            result = await this.steps();
        } catch (error) {
            await this.endRecord({
                outcome: "failed",
                message: errorMessage(error),
                ...(this.lock.current?.action !== undefined ? { action: this.lock.current.action } : {}),
            });
            throw error;
        }
        if (result.outcome === "ignored") {
            return result;
        }
        const report = await this.endRecord(result);
        return report === undefined
            ? result
            : {
                  ...result,
                  report,
                  ...(report.reportProblem !== undefined
                      ? {
                            message: `${result.message}\nThe run report could not be written (${report.reportProblem}); the run record says report: failed.`,
                        }
                      : {}),
              };
    }

    private async steps(): Promise<RunResult> {
        if (this.request.kind === "alarm" && this.request.state !== "ALARM") {
            // Not evidence of anything: no read, no write.
            return this.result("ignored", `alarm ${this.request.alarmName} is ${this.request.state}; nothing to do`);
        }
        let observed: Observed | undefined;
        try {
            await this.step("assess", STEP_DEADLINE_SECONDS.assess + this.config.detectionWindowSeconds, async (deadline) => {
                observed = await this.assess(deadline);
                return describeWorld(observed);
            });
        } catch (error) {
            // Nothing was changed; an orchestrator that cannot even read the world must say so, not fail quietly.
            await this.notify(
                "notify",
                `[${this.config.stack}] failover assessment failed`,
                `The orchestrator could not read the state of the global database, nothing was changed: ${errorCode(error)}: ${errorMessage(error)}`,
                this.lastResort,
            );
            throw error;
        }
        const decision = decide(this.request, observed!.world, this.decisionContext());
        this.deps.logger.info("decision", { decision, request: this.request });
        this.decided("assess", decision, observed!.world);
        this.pointersBefore = this.pointersOf(observed!);
        if (decision.kind !== "proceed") {
            return this.stopWithout(decision, observed!);
        }
        if (this.dryRun) {
            return this.dryRunPlan(decision, observed!);
        }
        return this.underLock(decision, observed!);
    }

    // --- assess -------------------------------------------------------------------------------------------------

    private async assess(deadline: Deadline): Promise<Observed> {
        const observed = await this.observe(deadline);
        if (needs(this.request, observed.world, this.config.mode) === "nothing") {
            return observed;
        }
        const readiness = await checkReadiness(this.config, this.deps.clients, deadline, observed.global, observed.own, this.purpose());
        // A cluster that cannot take the writer refuses at once: no window is read for a failover that cannot run.
        const evidence = readiness.ready ? await this.gather(evidenceFor(this.request), deadline) : undefined;
        return { ...observed, world: { ...observed.world, readiness, ...(evidence !== undefined ? { evidence } : {}) } };
    }

    private async gather(kind: "window" | "round", deadline: Deadline): Promise<Evidence> {
        const evidence = await gatherEvidence(this.config, this.deps, deadline, {
            windowSeconds: this.config.detectionWindowSeconds,
            probes: kind === "window" ? PROBES_PER_WINDOW : 1,
        });
        // The result reports the evidence the decision was taken on; the re-check before acting is in the timeline.
        this.evidence ??= evidence;
        this.deps.logger.info("evidence", { kind, evidence });
        return evidence;
    }

    /** Reads the global cluster, its own cluster, the two pointers and the run record. */
    private async observe(deadline: Deadline): Promise<Observed> {
        const { clients } = this.deps;
        const { self } = this.config;
        const rds = clients.rds(self.region);
        const [global, own, record, activeRegion, lock] = await Promise.all([
            this.readGlobal(deadline),
            deadline.call("DescribeDBClusters", (abortSignal) => describeCluster(rds, self, { abortSignal })),
            // Route 53's API is reached through the NAT gateway and served from us-east-1: when it cannot be read, the
            // record counts as not pointing at this cluster (a repoint is then attempted, and fails loudly).
            deadline
                .call("ListResourceRecordSets", (abortSignal) =>
                    readRecord(clients.route53(), this.config.hostedZoneId, this.config.recordName, { abortSignal }),
                )
                .catch((error: unknown) => {
                    this.deps.logger.warn("the writer record could not be read", { code: errorCode(error) });
                    return undefined;
                }),
            deadline.call("GetParameter", (abortSignal) =>
                readParameter(clients.ssm(self.region), this.config.activeRegionParameter, { abortSignal }),
            ),
            this.lock.read(deadline),
        ]);
        if (own === undefined) {
            throw Object.assign(new Error(`the ${self.region} cluster ${self.arn} does not exist`), { name: "DBClusterNotFoundFault" });
        }
        const pointersAtSelf = record === normalise(own.endpoint) && activeRegion === self.region;
        return {
            global,
            own,
            record,
            activeRegion,
            lock,
            world: { role: roleOf(global, self.arn), pointersAtSelf, openRun: isOpen(lock, self.region) },
        };
    }

    // --- the decisions that change nothing ------------------------------------------------------------------------

    private async stopWithout(decision: Exclude<Decision, { kind: "proceed" }>, observed: Observed): Promise<RunResult> {
        const outcome: Outcome =
            decision.kind === "ignore"
                ? "ignored"
                : decision.kind === "notify-only"
                  ? "notified"
                  : decision.kind === "refuse"
                    ? "refused"
                    : decision.kind;
        if (outcome !== "ignored") {
            await this.beginRecord();
            this.pointersAfter = this.pointersBefore;
        }
        // On-call hears about an alarm that did not start a failover; an alarm while this region already holds the
        // writer (a repeated alarm after a failover, the heartbeat alarm of the peer while that secondary is down) stays quiet.
        if (decision.kind === "notify-only" || decision.kind === "refuse") {
            if (decision.kind === "refuse") {
                this.deps.logger.warn("refused", { reason: decision.reason });
            }
            await this.notify(
                "notify",
                decision.kind === "notify-only"
                    ? `[${this.config.stack}] ALARM: ${this.config.peer.region} at risk - failover to ${this.config.self.region} needs your command`
                    : `[${this.config.stack}] ${this.action()} to ${this.config.self.region} refused`,
                decision.reason,
                this.lastResort,
            );
        }
        return this.result(this.dryRun ? "dry-run" : outcome, decision.reason, { activeRegion: observed.activeRegion ?? "" });
    }

    // --- the run under the lock ------------------------------------------------------------------------------------

    private async underLock(decision: Extract<Decision, { kind: "proceed" }>, observed: Observed): Promise<RunResult> {
        const { config } = this;
        let current = decision as Decision;
        let lockFailure: unknown;
        try {
            await this.step("lock", STEP_DEADLINE_SECONDS.lock, async (deadline) => {
                const taken = await this.lock.acquire(
                    decision.action,
                    config.self.region,
                    deadline,
                    freshMarks(this.startedAt, this.context.requestId, this.trigger),
                );
                const resumed = taken.record.steps;
                this.resumedSteps = resumed;
                // Read again under the lock: a run that finished just before we took it may have done everything.
                const again = await this.observe(deadline);
                current = decide(
                    this.request,
                    { ...again.world, readiness: observed.world.readiness, evidence: observed.world.evidence },
                    this.decisionContext(),
                );
                return `lock ${config.lockTable}/${config.globalClusterId} taken by ${this.context.requestId} (run ${taken.record.runId})${resumed.length > 0 ? `; resuming after ${resumed.join(", ")}` : ""}`;
            });
        } catch (error) {
            if (error instanceof LockHeldError) {
                return this.refusedByLock(error);
            }
            if (!this.lock.held) {
                throw error;
            }
            lockFailure = error;
        }
        // The run's record: a new one, or (a run resumed after a crash) the one of the run it continues.
        await this.beginRecord(this.lock.current?.runId, this.lock.current?.marks);
        if (lockFailure !== undefined) {
            // The lock was taken, then something failed: say so and release it, never leave it to the lease.
            return this.fail(decision.action, "lock", lockFailure);
        }
        this.decided("lock", current, observed.world);
        if (current.kind !== "proceed") {
            // A run that already said "started" (the one this resumes) also says how it ended.
            if (this.lock.current?.notified.includes("start") === true) {
                await this.notify(
                    "notify",
                    `[${config.stack}] ${decision.action} to ${config.self.region} stopped`,
                    current.reason,
                    this.lastResort,
                    "end",
                );
            }
            await this.lock.release("completed", this.lastResort);
            this.timeline.note("release", "done", "lock released");
            this.pointersAfter = this.pointersBefore;
            return this.result(
                current.kind === "already-active" || current.kind === "not-needed" ? current.kind : "refused",
                current.reason,
                {
                    action: decision.action,
                    activeRegion: observed.activeRegion ?? "",
                },
            );
        }
        const action = this.lock.current?.action ?? current.action;
        const promote = current.promote;
        const runId = this.lock.current?.runId;
        if (action === "break-glass") {
            return this.breakGlass(current.reason, promote, runId ?? this.context.requestId);
        }
        let failedStep: StepName = "notify-start";
        try {
            await this.notify(
                "notify-start",
                `[${config.stack}] ${action} to ${config.self.region} started`,
                current.reason,
                this.budget,
                "start",
            );

            const capacityTarget = await this.capacity(action);

            failedStep = "act";
            if (!promote) {
                this.timeline.note("act", "skipped", current.reason);
                await this.after("act");
            } else {
                // Always through act(): it reads the global cluster first, so a promotion already started (by the run
                // this one resumes) is waited for, and one that never happened or was cancelled is decided again.
                await this.step("act", STEP_DEADLINE_SECONDS.act, (deadline) => this.act(action, deadline));
            }

            failedStep = "wait-for-writer";
            await this.step("wait-for-writer", STEP_DEADLINE_SECONDS["wait-for-writer"], async (deadline) => {
                const cluster = await this.waitForWriter(deadline);
                // The end of the recovery time: kept from the first invocation that saw it, across a crash.
                const available = this.lock.current?.marks?.["writerAvailableAt"] ?? new Date(this.deps.now()).toISOString();
                await this.lock.completeStep("wait-for-writer", deadline, undefined, { writerAvailableAt: available });
                return `${config.self.identifier} is the writer (${cluster.status}) at ${cluster.endpoint}`;
            });

            failedStep = "repoint";
            await this.step("repoint", STEP_DEADLINE_SECONDS.repoint, async (deadline) => {
                const detail = await this.repoint(action, deadline);
                await this.lock.completeStep("repoint", deadline);
                return detail;
            });

            failedStep = "application";
            await this.applicationAndTraffic(capacityTarget, runId ?? this.context.requestId);

            failedStep = "verify";
            await this.step("verify", STEP_DEADLINE_SECONDS.verify, async (deadline) => {
                await this.verify(deadline);
                await this.lock.completeStep("verify", deadline);
                return `writer ${config.self.identifier} in ${config.self.region}; record and ${config.activeRegionParameter} point at it`;
            });
            await this.openLostWritesObligation(action);
        } catch (error) {
            return this.fail(action, failedStep, error);
        }

        const pending = this.application?.state === "pending";
        const done = `${action} to ${config.self.region} completed (managed)${pending ? " - APPLICATION PENDING" : ""}`;
        const lines = [done];
        if (this.application !== undefined) {
            lines.push(applicationSummary(config, this.application));
        }
        if (this.peerProblem !== undefined) {
            lines.push(
                `The ${config.peer.region} copy of ${config.activeRegionParameter} could not be set (${this.peerProblem}); once that region answers, set it: ${peerParameterCommand(config)}`,
            );
        }
        const summary = lines.join("\n");
        return this.finish(
            action,
            "managed",
            `[${config.stack}] ${done}`,
            summary,
            runId,
            this.application !== undefined ? { application: this.application } : {},
        );
    }

    // --- the application tier (application.ts) ----------------------------------------------------------------------

    private applicationDeps(): ApplicationDeps | undefined {
        const app = this.config.application;
        return app === undefined ? undefined : { config: { ...this.config, application: app }, clients: this.deps.clients };
    }

    /**
     * The capacity step, before the promotion: never fails the run (what it could not do is paged and reported); only
     * the loss of the lock stops it. Returns the count the application step waits for.
     */
    private async capacity(action: FailoverAction): Promise<number> {
        const app = this.applicationDeps();
        if (app === undefined) {
            return 0;
        }
        const { config } = this;
        let target = config.application!.activeCount;
        let problems: readonly string[] = [];
        try {
            await this.step("capacity", CAPACITY_STEP_SECONDS, async (deadline) => {
                const outcome = await raiseCapacity(app, deadline, this.lock.current?.marks ?? {}, this.deps.now);
                target = outcome.target;
                problems = outcome.problems;
                await this.lock.completeStep("capacity", deadline, undefined, outcome.marks);
                return outcome.detail;
            });
        } catch (error) {
            if (error instanceof LockLostError) {
                throw error;
            }
            problems = [...problems, `${errorCode(error)}: ${errorMessage(error)}`];
        }
        if (problems.length > 0) {
            this.application = { state: "pending", detail: "capacity step incomplete", capacityProblems: problems };
            await this.notify(
                "notify",
                `[${config.stack}] ${action} to ${config.self.region}: CAPACITY NOT RAISED (the data recovery goes on)`,
                `The capacity step could not do everything; the promotion goes on regardless:\n- ${problems.join("\n- ")}\nCheck the ECS service ${config.application!.cluster}/${config.application!.service}, its scalable target and the cluster ${config.self.identifier}'s Serverless v2 minimum in ${config.self.region}.`,
                this.budget,
            );
        }
        return target;
    }

    /**
     * The application step (bounded by the run's time, less APPLICATION_RESERVE_SECONDS for what follows), then the
     * traffic step. Neither fails the run: the data recovery is done by now. Not healthy in time = APPLICATION PENDING.
     */
    private async applicationAndTraffic(target: number, runId: string): Promise<void> {
        const app = this.applicationDeps();
        if (app === undefined) {
            return;
        }
        const { config, deps } = this;
        const capacityProblems = this.application?.capacityProblems;
        let healthyAt = this.lock.current?.marks?.["applicationHealthyAt"];
        let detail = "";
        try {
            const seconds = Math.max(1, this.budget.remainingMs() / 1000 - APPLICATION_RESERVE_SECONDS);
            await this.step("application", seconds, async (deadline) => {
                const interval = APPLICATION_POLL_SECONDS * 1000;
                for (;;) {
                    await this.lock.keepAlive(deadline);
                    const view = await lookAtApplication(app, deadline);
                    const problems = applicationProblems(view, target);
                    detail = describeView(view);
                    if (problems.length === 0) {
                        // The end of the recovery time to the application: kept from the first invocation that saw it.
                        healthyAt ??= new Date(deps.now()).toISOString();
                        await this.lock.completeStep("application", deadline, undefined, { applicationHealthyAt: healthyAt });
                        return `healthy in ${config.self.region}: ${detail}`;
                    }
                    detail = problems.join("; ");
                    // The last look leaves time for the step's own end: a wait that runs out is PENDING, not failed.
                    if (deadline.remainingMs() < interval + SYNTHETIC_TIMEOUT_MS || !(await sleepWithin(deadline, interval, deps.sleep))) {
                        return `APPLICATION PENDING: not healthy by the run's deadline: ${detail}`;
                    }
                }
            });
        } catch (error) {
            if (error instanceof LockLostError) {
                throw error;
            }
            detail = `${errorCode(error)}: ${errorMessage(error)}`;
        }
        const healthy = healthyAt !== undefined && this.lock.current?.steps.includes("application") === true;
        this.application = {
            state: healthy ? "healthy" : "pending",
            ...(healthy ? { healthyAt: healthyAt! } : {}),
            detail,
            ...(capacityProblems !== undefined ? { capacityProblems } : {}),
        };
        try {
            await this.step("traffic", TRAFFIC_STEP_SECONDS, async (deadline) => {
                const M = APPLICATION_METRICS;
                await deadline.call("PutMetricData", (abortSignal) =>
                    putTrafficMetrics(
                        deps.clients.cloudwatch(config.self.region),
                        config.stack,
                        [
                            { name: M.servingReady, region: config.self.region, value: healthy ? 1 : 0 },
                            { name: M.peerFenced, region: config.peer.region, value: 1 },
                        ],
                        new Date(deps.now()),
                        { abortSignal },
                    ),
                );
                await this.lock.completeStep("traffic", deadline, undefined, { trafficAt: new Date(deps.now()).toISOString() });
                const opened = await this.openApplicationAftercare(runId, deadline);
                return `ServingReady{${config.self.region}}=${healthy ? 1 : 0}, PeerFenced{${config.peer.region}}=1 in ${config.self.region}${healthy ? "" : " (traffic stays away until the beacon sees the application answer)"}; ${opened}`;
            });
        } catch (error) {
            if (error instanceof LockLostError) {
                throw error;
            }
            // The beacon publishes the same values within a minute: reported, never a failed data recovery.
            this.application = {
                ...this.application,
                detail: `${this.application.detail}; traffic step failed (${errorCode(error)}): the beacon publishes within a minute`,
            };
        }
    }

    /** The aftercare obligations of the arrival: the old region's scale-down, the Aurora minimum's restore. */
    private async openApplicationAftercare(runId: string, deadline: Deadline): Promise<string> {
        const { config, deps } = this;
        const app = config.application!;
        const store = new AftercareStore(
            deps.clients.dynamodb(config.self.region),
            config.lockTable,
            aftercareItemKey(config.globalClusterId),
        );
        const marks = this.lock.current?.marks ?? {};
        const done = [
            await openApplicationObligation(
                store,
                STANDBY_SCALE_DOWN_ATTRIBUTE,
                { runId, notBefore: scaleDownNotBefore(deps.now()), region: config.peer.region, value: app.standbyCount },
                deadline,
            ),
        ];
        if (marks["dbRaisedTo"] !== undefined && marks["dbRaisedAt"] !== undefined) {
            done.push(
                await openApplicationObligation(
                    store,
                    DB_CAPACITY_RESTORE_ATTRIBUTE,
                    {
                        runId,
                        notBefore: restoreNotBefore(marks["dbRaisedAt"]),
                        region: config.self.region,
                        value: app.dbMinCapacity,
                        raisedTo: Number(marks["dbRaisedTo"]),
                    },
                    deadline,
                ),
            );
        }
        return done.join("; ");
    }

    /** The final message (once per run), the release of the lock, and the result of a completed run. */
    private async finish(
        action: FailoverAction,
        path: PromotionPath,
        subject: string,
        summary: string,
        runId: string | undefined,
        extra: Partial<RunResult> = {},
    ): Promise<RunResult> {
        const { config } = this;
        await this.notify("notify", subject, summary, this.lastResort, "end");
        // The release may use the reserve: a run that got this far must not keep the lock for its whole lease.
        const release = this.lastResort.child("step release", STEP_DEADLINE_SECONDS.release * 1000);
        await this.timeline.step("release", async () => {
            await this.lock.release("completed", release);
            return { outcome: "done", detail: "lock released" };
        });
        await this.after("release");
        return this.result("completed", summary, {
            action,
            path,
            activeRegion: config.self.region,
            ...(this.peerProblem !== undefined ? { peerActiveRegionProblem: this.peerProblem } : {}),
            ...(runId !== undefined ? { runId } : {}),
            ...extra,
        });
    }

    /** Another run holds the lock: say so (warn, metric, and once per run a notification), change nothing. */
    private async refusedByLock(error: LockHeldError): Promise<RunResult> {
        const { config, deps } = this;
        await this.beginRecord();
        this.pointersAfter = this.pointersBefore;
        deps.logger.warn("refused by the failover lock", { holder: error.holder, runId: error.runId, expiresAt: error.expiresAt });
        deps.metric?.("LockRefusals", 1);
        const first = await recordRefusal(
            deps.clients.dynamodb(config.self.region),
            config.lockTable,
            config.globalClusterId,
            error.runId,
            this.lastResort.child("refusal", 10_000),
        ).catch((e: unknown) => {
            deps.logger.error("could not count the refusal", { code: errorCode(e) });
            return false;
        });
        if (first) {
            await this.notify(
                "notify",
                `[${config.stack}] failover lock busy: run ${error.runId} is in progress`,
                `${error.message} This invocation (${this.context.requestId}) stopped. Follow the run with: npm run failover -- --stack ${config.stack} --follow`,
                this.lastResort,
            );
        }
        return this.result("locked", error.message, { action: this.action(), runId: error.runId });
    }

    /** Starts the promotion, after reading the readiness and the signals once more. */
    private async act(action: FailoverAction, deadline: Deadline): Promise<string> {
        const { config, deps } = this;
        const rds = deps.clients.rds(config.self.region);
        const now = await this.observe(deadline);
        if (now.world.role === "writer" || now.world.role === "promoting") {
            await this.lock.completeStep("act", deadline, "managed");
            return `the ${config.self.region} cluster is already ${now.world.role}: nothing to start`;
        }
        const readiness = await checkReadiness(config, deps.clients, deadline, now.global, now.own);
        const round = await this.gather("round", deadline);
        const problem = recheckProblem(action, this.forced(), readiness, round);
        this.decisions.push({
            at: new Date(deps.now()).toISOString(),
            step: "act",
            kind: problem === undefined ? "proceed" : "refuse",
            reason: problem ?? "re-checked immediately before acting: the readiness and the signals still hold",
            evidence: round,
            readiness: { ready: readiness.ready, problems: readiness.problems },
        });
        if (problem !== undefined) {
            throw Object.assign(new Error(`re-checked immediately before acting, nothing was started: ${problem}`), {
                name: "RecheckFailed",
            });
        }
        // The data-loss window (the lag of this cluster now), then the path and the act's time are recorded before the
        // call, so that a crash right after it is resumed by waiting, not by a second call, and keeps the window.
        const window = await this.readLossWindow(action, deadline);
        await this.lock.completeStep("act-started", deadline, "managed", {
            ...windowToMarks(window),
            actAt: new Date(deps.now()).toISOString(),
        });
        // Sent once: a lost answer is read back below, never retried blindly.
        const once = deps.clients.rdsOnce(config.self.region);
        try {
            await deadline.call(action === "switchover" ? "SwitchoverGlobalCluster" : "FailoverGlobalCluster", (abortSignal) =>
                action === "switchover"
                    ? startSwitchover(once, config.globalClusterId, config.self, { abortSignal })
                    : startFailover(once, config.globalClusterId, config.self, { abortSignal }),
            );
        } catch (error) {
            // The call may have taken effect with its answer lost, or AWS refused it because an operation (ours) is
            // already running: the global cluster says which.
            const view = await deadline.call("DescribeGlobalClusters", (abortSignal) =>
                describeGlobalCluster(rds, config.globalClusterId, { abortSignal }),
            );
            const role = roleOf(view, config.self.arn);
            if (role !== "writer" && role !== "promoting") {
                const hint = isRefusal(error)
                    ? " AWS refused the managed path; the orchestrator never detaches on its own: detach-and-promote is a break-glass decision for a human (README: Failover)."
                    : " A re-run resumes.";
                throw Object.assign(new Error(`${errorMessage(error).replace(/\.$/, "")}.${hint}`), { name: errorCode(error) });
            }
            await this.lock.completeStep("act", deadline, "managed");
            return `${action} call answered ${errorCode(error)}, but the global cluster shows the ${config.self.region} cluster ${role}: the call took effect`;
        }
        await this.lock.completeStep("act", deadline, "managed");
        return action === "switchover"
            ? `SwitchoverGlobalCluster ${config.globalClusterId} -> ${config.self.arn}`
            : `FailoverGlobalCluster ${config.globalClusterId} -> ${config.self.arn} (AllowDataLoss)`;
    }

    /** Polls until its own cluster is the available writer (pollOwnCluster). */
    private waitForWriter(deadline: Deadline): Promise<ClusterView> {
        const { self } = this.config;
        return this.pollOwnCluster(deadline, "the available writer", (global, cluster, role) => {
            if (role === "writer" && cluster?.status === "available" && !isInFlight(global)) {
                return cluster;
            }
            if ((role === "secondary" && !isInFlight(global)) || role === "not-member" || role === "demoting") {
                throw Object.assign(
                    new Error(`no promotion of the ${self.region} cluster is under way (it is ${role}): the act step did not take effect`),
                    { name: "NoPromotion" },
                );
            }
            return `role ${role}, status ${cluster?.status ?? "missing"}, global ${global.failover?.status ?? global.status}`;
        });
    }

    /**
     * Reads the global cluster and its own cluster, at most every WRITER_POLL_SECONDS within the deadline (renewing the
     * lock), until `judge` returns the cluster (the goal is reached) or throws `NoPromotion` (it never will be); otherwise
     * `judge` says what it saw. A throttled or lost read is retried at the next poll; the deadline bounds the whole wait.
     */
    private async pollOwnCluster(
        deadline: Deadline,
        goal: string,
        judge: (global: GlobalClusterView, cluster: ClusterView | undefined, role: Role) => ClusterView | string,
    ): Promise<ClusterView> {
        const { config, deps } = this;
        const rds = deps.clients.rds(config.self.region);
        const interval = Math.min(deps.poll.intervalMs, WRITER_POLL_SECONDS * 1000);
        let last = "not read";
        for (;;) {
            await this.lock.keepAlive(deadline);
            try {
                const [global, cluster] = await Promise.all([
                    this.readGlobal(deadline),
                    deadline.call("DescribeDBClusters", (abortSignal) => describeCluster(rds, config.self, { abortSignal })),
                ]);
                const seen = judge(global, cluster, roleOf(global, config.self.arn));
                if (typeof seen !== "string") {
                    return seen;
                }
                last = seen;
            } catch (error) {
                if (errorCode(error) === "NoPromotion" || errorCode(error) === "DeadlineExceeded") {
                    throw error;
                }
                last = `${errorCode(error)}: ${errorMessage(error)}`;
            }
            if (!(await sleepWithin(deadline, interval, deps.sleep)) || deadline.remainingMs() <= 0) {
                throw Object.assign(
                    new Error(`the ${config.self.region} cluster did not become ${goal} in time (${last}); a re-run keeps waiting`),
                    { name: "WaitTimeout" },
                );
            }
        }
    }

    private async repoint(action: FailoverAction, deadline: Deadline): Promise<string> {
        const { config, deps } = this;
        const { self } = config;
        const cluster = await deadline.call("DescribeDBClusters", (abortSignal) =>
            describeCluster(deps.clients.rds(self.region), self, { abortSignal }),
        );
        if (cluster === undefined || cluster.endpoint === "") {
            throw new Error(`the ${self.region} cluster ${self.identifier} has no endpoint to point at`);
        }
        await deadline.call("ChangeResourceRecordSets", (abortSignal) =>
            upsertRecord(
                deps.clients.route53(),
                config.hostedZoneId,
                config.recordName,
                cluster.endpoint,
                config.recordTtl,
                `${action} to ${self.region}`,
                { abortSignal },
            ),
        );
        await deadline.call("PutParameter", (abortSignal) =>
            writeParameter(deps.clients.ssm(self.region), config.activeRegionParameter, self.region, { abortSignal }),
        );
        const peer = await this.setPeerActiveRegion(deadline);
        return `${config.recordName} CNAME ${cluster.endpoint} (TTL ${config.recordTtl} s); ${config.activeRegionParameter} = ${self.region}; ${peer}`;
    }

    /**
     * Sets the peer region's copy of `active-region`, best effort: one attempt (no SDK retries) within
     * PEER_WRITE_DEADLINE_SECONDS. The peer may be the region that is down; its failure is remembered for the final
     * message and never fails the run.
     */
    private async setPeerActiveRegion(within: Deadline): Promise<string> {
        const { config, deps } = this;
        const { peer, self } = config;
        const deadline = within.child(`the ${peer.region} active-region`, PEER_WRITE_DEADLINE_SECONDS * 1000);
        try {
            await deadline.call(`PutParameter in ${peer.region}`, (abortSignal) =>
                writeParameter(deps.clients.ssmOnce(peer.region), config.activeRegionParameter, self.region, { abortSignal }),
            );
            this.peerProblem = undefined;
            return `its ${peer.region} copy = ${self.region}`;
        } catch (error) {
            this.peerProblem = `${errorCode(error)}: ${errorMessage(error)}`.slice(0, 300);
            deps.logger.warn("the peer region's active-region could not be set", { region: peer.region, code: errorCode(error) });
            return `its ${peer.region} copy could not be set (${this.peerProblem}): best effort, reported at the end`;
        }
    }

    private async verify(deadline: Deadline): Promise<void> {
        const { self } = this.config;
        const now = await this.observe(deadline);
        const problems: string[] = [];
        if (now.world.role !== "writer") {
            problems.push(`the ${self.region} cluster is ${now.world.role}, not the writer`);
        }
        if (now.record !== normalise(now.own.endpoint)) {
            problems.push(`${this.config.recordName} points at ${now.record ?? "nothing"}, not ${now.own.endpoint}`);
        }
        if (now.activeRegion !== self.region) {
            problems.push(`${this.config.activeRegionParameter} is ${now.activeRegion ?? "unset"}, not ${self.region}`);
        }
        this.pointersAfter = {
            ...(now.record !== undefined ? { record: now.record } : {}),
            activeRegion: {
                [self.region]: now.activeRegion ?? "unset",
                [this.config.peer.region]: this.peerProblem === undefined ? `${self.region} (written)` : `not set: ${this.peerProblem}`,
            },
        };
        if (problems.length > 0) {
            throw new Error(`verification failed: ${problems.join("; ")}`);
        }
    }

    /**
     * The run failed after it took the lock: mark the lock failed (closing the run) and tell on-call once. A failure
     * that a retry cannot change (AWS refused the managed path, the re-check before acting failed, no promotion under
     * way) is returned as `failed`, so that Lambda does not retry it; anything else is thrown, and Lambda's retry
     * resumes the run.
     */
    private async fail(action: FailoverAction, step: StepName, error: unknown): Promise<RunResult> {
        const { config, deps } = this;
        const message = `${action} to ${config.self.region} failed at ${step}: ${errorCode(error)}: ${errorMessage(error)}`.replace(
            /\.$/,
            "",
        );
        deps.logger.error("orchestration failed", { step, error: errorMessage(error), code: errorCode(error) });
        await this.notify(
            "notify",
            `[${config.stack}] ${action} to ${config.self.region} FAILED at ${step}`,
            `${message}. A re-run resumes after the last completed step: ${failoverCommand(config.stack, config.self.region, action)}`,
            this.lastResort,
            "end",
        );
        await this.bestEffort("marking the lock failed", () => this.lock.release("failed", this.lastResort, message));
        if (isFinal(error)) {
            return this.result("failed", message, {
                action,
                ...(this.lock.current !== undefined ? { runId: this.lock.current.runId } : {}),
            });
        }
        throw new OrchestrationError(message, step, this.timeline.entries);
    }

    // --- dry run --------------------------------------------------------------------------------------------------

    private async dryRunPlan(decision: Extract<Decision, { kind: "proceed" }>, observed: Observed): Promise<RunResult> {
        const { config } = this;
        await this.beginRecord();
        this.pointersAfter = this.pointersBefore;
        const current = observed.lock;
        const held = current !== undefined && current.state === "running" && current.expiresAt > this.deps.now();
        const note = (name: StepName, detail: string) => this.timeline.note(name, "planned", detail);
        note(
            "lock",
            held
                ? `the lock is held by ${current.owner} (run ${current.runId}): a real run would stop here`
                : `would take the lock ${config.lockTable}/${config.globalClusterId}${current !== undefined ? ` (last run: ${current.state})` : ""}`,
        );
        note("notify-start", `would publish to ${config.topicArns.length} topic(s)`);
        if (decision.action === "break-glass") {
            return this.breakGlassPlan(decision, observed);
        }
        note(
            "act",
            !decision.promote
                ? decision.reason
                : decision.action === "switchover"
                  ? `would re-check, then call SwitchoverGlobalCluster ${config.globalClusterId} -> ${config.self.arn}`
                  : `would re-check, then call FailoverGlobalCluster ${config.globalClusterId} -> ${config.self.arn} with AllowDataLoss`,
        );
        note("wait-for-writer", `would wait until ${config.self.identifier} is the available writer`);
        note(
            "repoint",
            `would set ${config.recordName} CNAME ${observed.own.endpoint} (now ${observed.record ?? "unset"}) and ${config.activeRegionParameter} = ${config.self.region} (now ${observed.activeRegion ?? "unset"}), then its ${config.peer.region} copy (best effort)`,
        );
        note("verify", "would read back the writer, the record and the parameter");
        note("notify", `would publish the result to ${config.topicArns.length} topic(s)`);
        note("release", "would release the lock");
        // A real run would read the data-loss window here: the dry run reports what it reads now.
        if (decision.promote) {
            this.dryRunWindow = await this.readLossWindow(decision.action, this.budget);
        }
        return this.result("dry-run", `dry run: ${decision.reason}; nothing was changed`, {
            action: decision.action,
            activeRegion: observed.activeRegion ?? "",
        });
    }

    // --- helpers --------------------------------------------------------------------------------------------------

    /** Runs a step under its deadline (cut to the run's budget), records it, then calls the crash hook. */
    private async step(name: StepName, seconds: number, work: (deadline: Deadline) => Promise<string>): Promise<void> {
        const deadline = this.budget.child(`step ${name}`, seconds * 1000);
        await this.timeline.step(name, async () => {
            const detail = await work(deadline);
            deadline.check();
            return { outcome: "done", detail };
        });
        if (this.lock.held && name !== "lock") {
            await this.lock.keepAlive(this.budget.child("keep-alive", STEP_DEADLINE_SECONDS.lock * 1000));
        }
        await this.after(name);
    }

    private async after(step: StepName): Promise<void> {
        await this.deps.afterStep?.(step);
    }

    /**
     * Publishes to every alert topic. Under the lock, `once` claims the notification in the run record first, so
     * that a run sends at most one "started" and one final message whoever finishes it, and a publish whose answer
     * was lost is not sent again. A notification that cannot be sent never stops the failover: it is logged.
     */
    private async notify(
        name: "notify" | "notify-start",
        subject: string,
        summary: string,
        within: Deadline,
        once?: Notification,
    ): Promise<void> {
        const { config, deps } = this;
        if (config.topicArns.length === 0) {
            this.timeline.note(name, "skipped", "no alert topics configured");
            await this.after(name);
            return;
        }
        if (this.dryRun) {
            this.timeline.note(name, "planned", `would publish "${subject}" to ${config.topicArns.join(", ")}`);
            return;
        }
        const deadline = within.child(name, STEP_DEADLINE_SECONDS[name] * 1000);
        if (once !== undefined && this.lock.held) {
            let claimed = false;
            await this.bestEffort(`claiming the ${once} notification`, async () => {
                claimed = await this.lock.claimNotification(once, deadline);
            });
            if (!claimed) {
                this.timeline.note(
                    name,
                    "skipped",
                    `the ${once === "start" ? "started" : "final"} message of run ${this.lock.current?.runId} was already sent`,
                );
                await this.after(name);
                return;
            }
        }
        await this.timeline.step(name, async () => {
            const failures: string[] = [];
            const message = messageFor(config, summary, this.timeline, this.evidence);
            for (const topic of config.topicArns) {
                await this.bestEffort(
                    `publishing to ${topic}`,
                    () =>
                        deadline.call("Publish", (abortSignal) =>
                            publish(deps.clients.sns(config.self.region), topic, subject, message, { abortSignal }),
                        ),
                    failures,
                );
            }
            return {
                outcome: "done",
                detail: `published "${subject}" to ${config.topicArns.length - failures.length} of ${config.topicArns.length} topics${failures.length > 0 ? ` (failed: ${failures.join("; ")})` : ""}`,
            };
        });
        await this.after(name);
    }

    private async bestEffort(what: string, fn: () => Promise<void>, failures?: string[]): Promise<void> {
        try {
            await fn();
        } catch (error) {
            this.deps.logger.error(`failed ${what}`, { code: errorCode(error), error: errorMessage(error) });
            failures?.push(`${what}: ${errorCode(error)}`);
        }
    }

    // --- break-glass ------------------------------------------------------------------------------------------------

    /**
     * The steps of a break-glass under the lock: detach (unless already detached), wait for the standalone writer, the
     * secret, repoint, fence the old writer (once, best effort: a pending fence is left to aftercare and paged), verify,
     * notify, release. Each step is idempotent and recorded; a re-run resumes.
     */
    private async breakGlass(reason: string, detach: boolean, runId: string): Promise<RunResult> {
        const { config, deps } = this;
        const action = "break-glass";
        const S = BREAK_GLASS_STEP_DEADLINE_SECONDS;
        let failedStep: StepName = "notify-start";
        let fence: FenceAttempt | undefined;
        try {
            await this.notify(
                "notify-start",
                `[${config.stack}] BREAK-GLASS to ${config.self.region} started`,
                reason,
                this.budget,
                "start",
            );

            failedStep = "detach";
            if (!detach) {
                this.timeline.note("detach", "skipped", reason);
                await this.after("detach");
            } else {
                await this.step("detach", S.detach, (deadline) => this.detach(deadline));
            }

            failedStep = "wait-for-writer";
            let endpoint = "";
            await this.step("wait-for-writer", S["wait-for-writer"], async (deadline) => {
                const cluster = await this.waitForStandalone(deadline);
                endpoint = cluster.endpoint;
                // The end of the recovery time: kept from the first invocation that saw it, across a crash.
                const available = this.lock.current?.marks?.["writerAvailableAt"] ?? new Date(deps.now()).toISOString();
                await this.lock.completeStep("wait-for-writer", deadline, undefined, { writerAvailableAt: available });
                return `${config.self.identifier} is a standalone writer (${cluster.status}) at ${cluster.endpoint}`;
            });

            failedStep = "secret";
            await this.step("secret", S.secret, async (deadline) => {
                const detail = await repointSecret(
                    deps.clients.secrets(config.self.region),
                    config.secretArn,
                    config.self,
                    endpoint,
                    deadline,
                );
                await this.lock.completeStep("secret", deadline);
                return detail;
            });

            failedStep = "repoint";
            await this.step("repoint", S.repoint, async (deadline) => {
                const detail = await this.repoint(action, deadline);
                await this.lock.completeStep("repoint", deadline);
                return detail;
            });

            failedStep = "fence";
            await this.step("fence", S.fence, async (deadline) => {
                fence = await this.fence(deadline, runId);
                await this.lock.completeStep(fence.obligation.state === "pending" ? "fence-pending" : "fence", deadline);
                return fence.detail;
            });

            failedStep = "verify";
            await this.step("verify", S.verify, async (deadline) => {
                await this.verifyBreakGlass(deadline);
                await this.lock.completeStep("verify", deadline);
                return `${config.self.identifier} in ${config.self.region} is a standalone writer; the secret, the record and ${config.activeRegionParameter} name it`;
            });
            // The old writer's lost writes (and any it took before the fence) are snapshotted once it is fenced.
            await this.openLostWritesObligation(action);
        } catch (error) {
            return this.fail(action, failedStep, error);
        }
        const obligation = fence!.obligation;
        const pending = obligation.state === "pending";
        const done = `break-glass to ${config.self.region} completed (detach)${pending ? " - FENCE PENDING" : ""}`;
        const lines = [
            `${done}: ${config.self.identifier} left the global database ${config.globalClusterId} and is a standalone writer; the secret's host, ${config.recordName} and ${config.activeRegionParameter} name it.`,
            pending
                ? `FENCE PENDING: the old writer ${obligation.clusterIdentifier} in ${obligation.region} is not fenced yet and may still accept writes through anything that names it directly. ${fence!.detail}. State: ${describeObligation(obligation)}. The aftercare schedule tries again every 5 minutes and pages each failed attempt; to fence it by hand once ${obligation.region} answers:\n${fenceCommands(obligation).join("\n")}`
                : `The old writer ${obligation.clusterIdentifier} in ${obligation.region} is fenced (${fence!.detail}); aftercare re-verifies it until it is retired.`,
            `Next: rebuild the global database from ${config.self.identifier} (README: rebuild after a break-glass).`,
        ];
        if (this.peerProblem !== undefined) {
            lines.push(
                `The ${config.peer.region} copy of ${config.activeRegionParameter} could not be set (${this.peerProblem}); once that region answers, set it: ${peerParameterCommand(config)}`,
            );
        }
        const summary = lines.join("\n");
        return this.finish(action, "detach", `[${config.stack}] ${done}`, summary, runId, { fence: pending ? "pending" : "fenced" });
    }

    /** RemoveFromGlobalCluster of its own cluster, after the readiness and one round of the signals are read again. */
    private async detach(deadline: Deadline): Promise<string> {
        const { config, deps } = this;
        const now = await this.observe(deadline);
        if (now.world.role === "not-member") {
            await this.lock.completeStep("detach", deadline, "detach");
            return `the ${config.self.region} cluster is already detached: nothing to call`;
        }
        if (now.world.role !== "secondary") {
            throw Object.assign(
                new Error(
                    `re-checked immediately before detaching, nothing was changed: the ${config.self.region} cluster is ${now.world.role}`,
                ),
                {
                    name: "RecheckFailed",
                },
            );
        }
        const readiness = await checkReadiness(config, deps.clients, deadline, now.global, now.own, "break-glass");
        const round = await this.gather("round", deadline);
        const problem = recheckProblem("break-glass", false, readiness, round);
        if (problem !== undefined) {
            throw Object.assign(new Error(`re-checked immediately before detaching, nothing was changed: ${problem}`), {
                name: "RecheckFailed",
            });
        }
        // The data-loss window (this cluster's lag now: the writes the detach leaves behind in the old writer), then the
        // path and the time, recorded before the call, so that a crash right after it is resumed by reading back, not
        // by a second call, and keeps the window.
        const window = await this.readLossWindow("break-glass", deadline);
        await this.lock.completeStep("detach-started", deadline, "detach", {
            ...windowToMarks(window),
            actAt: new Date(deps.now()).toISOString(),
        });
        try {
            await deadline.call("RemoveFromGlobalCluster", (abortSignal) =>
                removeFromGlobalCluster(deps.clients.rdsOnce(config.self.region), config.globalClusterId, config.self, { abortSignal }),
            );
        } catch (error) {
            // Sent once: a lost answer is read back. Its own cluster no longer a member = the detach took effect.
            const view = await this.readGlobal(deadline);
            if (roleOf(view, config.self.arn) !== "not-member") {
                throw Object.assign(new Error(`${errorMessage(error).replace(/\.$/, "")}. A re-run reads the global cluster again.`), {
                    name: errorCode(error),
                });
            }
            await this.lock.completeStep("detach", deadline, "detach");
            return `RemoveFromGlobalCluster answered ${errorCode(error)}, but the ${config.self.region} cluster is no longer a member: the detach took effect`;
        }
        await this.lock.completeStep("detach", deadline, "detach");
        return `RemoveFromGlobalCluster ${config.globalClusterId} -/-> ${config.self.arn}`;
    }

    /** Polls until its own cluster is out of the global database and available: a standalone writer (pollOwnCluster). */
    private waitForStandalone(deadline: Deadline): Promise<ClusterView> {
        const { self } = this.config;
        return this.pollOwnCluster(deadline, "a standalone writer", (_global, cluster, role) => {
            if (role === "not-member" && cluster?.status === "available" && cluster.endpoint !== "") {
                return cluster;
            }
            if (role === "writer" || role === "demoting" || role === "promoting") {
                throw Object.assign(new Error(`the ${self.region} cluster is ${role} of the global database: it was not detached`), {
                    name: "NoPromotion",
                });
            }
            // A member still (AWS is detaching it), or detached but not yet available: keep waiting.
            return `role ${role}, status ${cluster?.status ?? "missing"}`;
        });
    }

    /** Opens (or resumes) the fence obligation, then tries once to fence the old writer (fence.ts). */
    private async fence(deadline: Deadline, runId: string): Promise<FenceAttempt> {
        const { config, deps } = this;
        const store = new AftercareStore(
            deps.clients.dynamodb(config.self.region),
            config.lockTable,
            aftercareItemKey(config.globalClusterId),
        );
        const stored = (await store.read(deadline))?.[FENCE_ATTRIBUTE];
        let obligation = stored !== undefined ? obligationFromAttribute(stored) : undefined;
        if (obligation !== undefined && obligation.state !== "closed" && obligation.clusterIdentifier !== config.peer.identifier) {
            throw new Error(
                `${store.key} holds an open fence of another cluster (${describeObligation(obligation)}); it is not overwritten`,
            );
        }
        if (obligation === undefined || obligation.state === "closed") {
            // Recorded before the first attempt: whatever happens next, aftercare owns the fence from here.
            const opened = newObligation({
                region: config.peer.region,
                clusterIdentifier: config.peer.identifier,
                securityGroupId: config.peerSecurityGroupId,
                parameterGroup: config.peerClusterParameterGroup,
                runId,
                now: deps.now(),
            });
            obligation = await fenceSaver(store, deadline)({ ...opened, version: obligation?.version ?? 0 });
        }
        return fenceOnce(
            deps.clients,
            obligation,
            deadline.child("the fence attempt", FENCE_ATTEMPT_SECONDS * 1000),
            deps.now,
            fenceSaver(store, deadline),
        );
    }

    private async verifyBreakGlass(deadline: Deadline): Promise<void> {
        const { config, deps } = this;
        const { self } = config;
        const now = await this.observe(deadline);
        const host = await secretHost(deps.clients.secrets(self.region), config.secretArn, deadline);
        const problems: string[] = [];
        if (now.world.role !== "not-member") {
            problems.push(`the ${self.region} cluster is ${now.world.role} of the global database, not detached`);
        }
        if (now.own.status !== "available") {
            problems.push(`the ${self.region} cluster is ${now.own.status}`);
        }
        if (now.record !== normalise(now.own.endpoint)) {
            problems.push(`${config.recordName} points at ${now.record ?? "nothing"}, not ${now.own.endpoint}`);
        }
        if (now.activeRegion !== self.region) {
            problems.push(`${config.activeRegionParameter} is ${now.activeRegion ?? "unset"}, not ${self.region}`);
        }
        if (normalise(host) !== normalise(now.own.endpoint)) {
            problems.push(`the secret's host is ${host ?? "unset"}, not ${now.own.endpoint}`);
        }
        if (problems.length > 0) {
            throw new Error(`verification failed: ${problems.join("; ")}`);
        }
    }

    private breakGlassPlan(decision: Extract<Decision, { kind: "proceed" }>, observed: Observed): RunResult {
        const { config } = this;
        const note = (name: StepName, detail: string) => this.timeline.note(name, "planned", detail);
        note(
            "detach",
            decision.promote
                ? `would re-check (readiness, one round of the signals), then call RemoveFromGlobalCluster ${config.globalClusterId} -/-> ${config.self.arn}`
                : decision.reason,
        );
        note("wait-for-writer", `would wait until ${config.self.identifier} is a standalone, available writer`);
        note(
            "secret",
            `would stop the replication of ${config.secretArn} to ${config.self.region} if it is a replica, then set its host to ${observed.own.endpoint}`,
        );
        note(
            "repoint",
            `would set ${config.recordName} CNAME ${observed.own.endpoint} (now ${observed.record ?? "unset"}) and ${config.activeRegionParameter} = ${config.self.region} (now ${observed.activeRegion ?? "unset"}), then its ${config.peer.region} copy (best effort)`,
        );
        note(
            "fence",
            `would open the fence obligation of ${config.peer.identifier} in ${config.peer.region} and try once: revoke the ingress of ${config.peerSecurityGroupId}, set ${config.peerClusterParameterGroup} ${"default_transaction_read_only"} = 1, reboot its instances`,
        );
        note("verify", "would read back the detached writer, the secret, the record and the parameter");
        note("notify", `would publish the result to ${config.topicArns.length} topic(s)`);
        note("release", "would release the lock");
        return this.result("dry-run", `dry run: ${decision.reason}; nothing was changed`, {
            action: "break-glass",
            activeRegion: observed.activeRegion ?? "",
        });
    }

    /** The global cluster; for a break-glass, a global cluster that no longer exists has no members (ours is detached). */
    private async readGlobal(deadline: Deadline): Promise<GlobalClusterView> {
        const rds = this.deps.clients.rds(this.config.self.region);
        try {
            return await deadline.call("DescribeGlobalClusters", (abortSignal) =>
                describeGlobalCluster(rds, this.config.globalClusterId, { abortSignal }),
            );
        } catch (error) {
            if (this.action() === "break-glass" && errorCode(error) === "GlobalClusterNotFoundFault") {
                return { status: "deleted", members: [] };
            }
            throw error;
        }
    }

    private purpose(): "managed" | "break-glass" {
        return this.action() === "break-glass" ? "break-glass" : "managed";
    }

    private action(): FailoverAction {
        return this.request.kind === "manual" ? this.request.action : "failover";
    }

    // --- evidence ---------------------------------------------------------------------------------------------------

    private decided(step: string, decision: Decision, world: World): void {
        this.decisions.push({
            at: new Date(this.deps.now()).toISOString(),
            step,
            kind: decision.kind,
            reason: decision.reason,
            ...(world.evidence !== undefined ? { evidence: world.evidence } : {}),
            ...(world.readiness !== undefined ? { readiness: { ready: world.readiness.ready, problems: world.readiness.problems } } : {}),
        });
    }

    private pointersOf(o: Observed): PointerState {
        return {
            ...(o.record !== undefined ? { record: o.record } : {}),
            activeRegion: { [this.config.self.region]: o.activeRegion ?? "unset" },
        };
    }

    /**
     * The replication lag of this cluster now: the data-loss window of the act about to be called. A read bounded by
     * LOSS_WINDOW_READ_MS that never fails the act (unknown when it cannot be read); zero for a switchover.
     */
    private async readLossWindow(action: FailoverAction, within: Deadline): Promise<DataLossWindow> {
        const { config, deps } = this;
        const at = deps.now();
        if (action === "switchover") {
            return dataLossWindowOf(action, { points: [], at, cluster: config.self.identifier });
        }
        try {
            const deadline = within.child("the data-loss window", LOSS_WINDOW_READ_MS);
            const points = await deadline.call("GetMetricData (data-loss window)", (abortSignal) =>
                clusterMetric(
                    deps.clients.cloudwatch(config.self.region),
                    "AuroraGlobalDBReplicationLag",
                    config.self.identifier,
                    { start: new Date(at - METRIC_LOOKBACK_SECONDS * 1000), end: new Date(at) },
                    { abortSignal },
                ),
            );
            return dataLossWindowOf(action, { points, at, cluster: config.self.identifier });
        } catch (error) {
            return dataLossWindowOf(action, { error: `${errorCode(error)}: ${errorMessage(error)}`.slice(0, 200), at });
        }
    }

    /** After a completed unplanned failover, the obligation to keep the old writer's lost writes (lostWrites.ts). */
    private async openLostWritesObligation(action: FailoverAction): Promise<void> {
        const { config, deps } = this;
        const marks = this.lock.current?.marks ?? {};
        const runId = this.lock.current?.runId;
        // Only a failover or a detach this run asked AWS for (its act time is recorded): a switchover loses nothing.
        if (action === "switchover" || marks["actAt"] === undefined || runId === undefined || marks["runKey"] === undefined) {
            return;
        }
        await this.bestEffort("opening the lost-writes obligation", async () => {
            await openLostWrites(
                deps.clients.dynamodb(config.self.region),
                config.lockTable,
                config.globalClusterId,
                {
                    runId,
                    runKey: marks["runKey"]!,
                    reportKey: reportObjectKey(config.stack, marks["startedAt"] ?? this.startedAt, runId),
                    oldRegion: config.peer.region,
                    oldCluster: config.peer.identifier,
                    failoverAt: marks["actAt"]!,
                    kind: action === "break-glass" ? "break-glass" : "managed",
                    openedAt: new Date(deps.now()).toISOString(),
                },
                this.budget.child("lost-writes obligation", STEP_DEADLINE_SECONDS.verify * 1000),
            );
            this.lostWritesOpened = { oldCluster: config.peer.identifier, oldRegion: config.peer.region };
        });
    }

    /** Writes the run's record when it starts (its id: the lock's, or this invocation's). Best effort. */
    private async beginRecord(runId: string = this.context.requestId, lockMarks?: Readonly<Record<string, string>>): Promise<void> {
        if (this.recorded !== undefined) {
            return;
        }
        const { config, deps } = this;
        const marks = lockMarks?.["runKey"] !== undefined ? lockMarks : freshMarks(this.startedAt, runId, this.trigger);
        this.recorded = { runId, marks };
        const startedAt = marks["startedAt"] ?? this.startedAt;
        await writeStart(
            this.evidenceDeps(),
            config.runsTable,
            startItem({
                stack: config.stack,
                runKey: marks["runKey"]!,
                runId,
                region: config.self.region,
                startedAt,
                ...(this.request.kind === "manual" || this.lock.current !== undefined
                    ? { action: this.lock.current?.action ?? this.action() }
                    : {}),
                trigger: this.trigger,
                now: deps.now(),
            }),
            this.lastResort.child("run record", EVIDENCE_DEADLINE_MS),
        );
    }

    /** Writes the report and the end of the record; never throws. */
    private async endRecord(result: {
        outcome: string;
        message: string;
        action?: FailoverAction;
        dryRun?: boolean;
    }): Promise<EvidenceSummary | undefined> {
        const { config, deps } = this;
        try {
            if (this.recorded === undefined) {
                await this.beginRecord();
            }
            const { runId } = this.recorded!;
            // The lock's marks are the freshest (the act's time, the window, the writer's availability).
            const marks = { ...this.recorded!.marks, ...(this.lock.current?.runId === runId ? (this.lock.current.marks ?? {}) : {}) };
            const withWindow =
                this.dryRunWindow !== undefined && windowFromMarks(marks) === undefined
                    ? { ...marks, ...windowToMarks(this.dryRunWindow) }
                    : marks;
            const report: RunReport = buildReport({
                stack: config.stack,
                region: config.self.region,
                peerRegion: config.peer.region,
                globalClusterId: config.globalClusterId,
                runId,
                runKey: marks["runKey"]!,
                startedAt: marks["startedAt"] ?? this.startedAt,
                endedAt: new Date(deps.now()).toISOString(),
                invocation: this.context.requestId,
                ...(result.action !== undefined
                    ? { action: result.action }
                    : this.request.kind === "manual"
                      ? { action: this.request.action }
                      : {}),
                outcome: result.outcome,
                message: result.message,
                dryRun: this.dryRun,
                trigger: this.trigger,
                decisions: this.decisions,
                resumedAfter:
                    this.lock.current?.runId === runId && this.lock.current.runId !== this.context.requestId ? this.resumedSteps : [],
                steps: this.timeline.entries,
                requests: this.log.entries,
                requestsNotListed: this.log.dropped,
                pointers: {
                    ...(this.pointersBefore !== undefined ? { before: this.pointersBefore } : {}),
                    ...(this.pointersAfter !== undefined ? { after: this.pointersAfter } : {}),
                },
                marks: withWindow,
                ...(this.lostWritesOpened !== undefined
                    ? { lostWrites: { obligation: `${config.lockTable}/aftercare#${config.globalClusterId}`, ...this.lostWritesOpened } }
                    : {}),
            });
            const written = await writeEnd(
                this.evidenceDeps(),
                { table: config.runsTable, bucket: config.reportBucket, stack: config.stack },
                report,
                this.lastResort.child("run report", EVIDENCE_DEADLINE_MS),
            );
            return {
                runId,
                runKey: report.runKey,
                region: config.self.region,
                reportBucket: config.reportBucket,
                reportKey: report.reportKey,
                reportWritten: written.reportProblem === undefined,
                ...(written.reportProblem !== undefined ? { reportProblem: written.reportProblem } : {}),
                ...(report.recovery.rtoMs !== undefined ? { rtoMs: report.recovery.rtoMs } : {}),
                ...(report.recovery.applicationHealthyMs !== undefined
                    ? { applicationHealthyMs: report.recovery.applicationHealthyMs }
                    : {}),
                ...(report.dataLoss !== undefined ? { dataLossWindowKnown: report.dataLoss.known } : {}),
                ...(report.dataLoss?.windowMs !== undefined ? { dataLossWindowMs: report.dataLoss.windowMs } : {}),
                ...(report.recovery.failoverAt !== undefined ? { failoverAt: report.recovery.failoverAt } : {}),
            };
        } catch (error) {
            deps.logger.error("the run's evidence could not be written", { code: errorCode(error), error: errorMessage(error) });
            return undefined;
        }
    }

    private evidenceDeps() {
        return {
            dynamodb: this.deps.clients.dynamodb(this.config.self.region),
            s3: this.deps.clients.s3(this.config.self.region),
            now: this.deps.now,
            logger: this.deps.logger,
        };
    }

    private forced(): boolean {
        return this.request.kind === "manual" && this.request.force;
    }

    private decisionContext(): DecisionContext {
        return { mode: this.config.mode, stack: this.config.stack, region: this.config.self.region };
    }

    private result(outcome: Outcome, message: string, extra: Partial<RunResult> = {}): RunResult {
        const out: RunResult = {
            outcome,
            dryRun: this.dryRun,
            message,
            ...(this.evidence !== undefined ? { evidence: this.evidence } : {}),
            timeline: this.timeline.entries,
            totalMs: this.timeline.totalMs,
            ...extra,
        };
        this.deps.logger.info("orchestrator finished", { outcome, message, timeline: this.timeline.entries });
        return out;
    }
}

/**
 * What the re-check immediately before the act step found wrong, if anything. Pure. Readiness always; a switchover
 * needs the peer (the writer) serving; an unforced failover needs the quorum again in this last round.
 */
export function recheckProblem(action: FailoverAction, forced: boolean, readiness: Readiness, round: Evidence): string | undefined {
    if (!readiness.ready) {
        return `the ${readiness.facts.region} cluster is no longer ready: ${readiness.problems.join("; ")}`;
    }
    if (action === "break-glass" && round.peerServing) {
        return `the writer in ${round.peerRegion} answers and is serving (${round.peerStatus ?? "serving"}): a break-glass would make two writers`;
    }
    if (action === "switchover" && !round.peerServing) {
        return `a switchover needs the writer in ${round.peerRegion} serving, but it is ${round.peerStatus ?? "not answering"}`;
    }
    if (action === "failover" && !forced && (round.down < round.quorum || round.peerAnswered)) {
        return `the writer in ${round.peerRegion} no longer looks lost: ${describeEvidence(round)}`;
    }
    return undefined;
}

/** The command that sets the peer region's `active-region` by hand, when the best-effort write failed. Pure. */
export function peerParameterCommand(config: Pick<RuntimeConfig, "activeRegionParameter" | "self" | "peer">): string {
    return `aws ssm put-parameter --region ${config.peer.region} --name ${config.activeRegionParameter} --value ${config.self.region} --overwrite`;
}

function describeWorld(o: Observed): string {
    const parts = [
        `own cluster ${o.world.role} (${o.own.status})`,
        `global cluster ${o.global.failover?.status ?? o.global.status}`,
        `record -> ${o.record ?? "unset"}`,
        `active-region ${o.activeRegion ?? "unset"}`,
        o.lock !== undefined ? `last run ${o.lock.runId} ${o.lock.state}` : "no run record",
    ];
    if (o.world.readiness !== undefined) {
        parts.push(o.world.readiness.ready ? "ready" : `not ready: ${o.world.readiness.problems.join("; ")}`);
    }
    if (o.world.evidence !== undefined) {
        parts.push(describeEvidence(o.world.evidence));
    }
    return parts.join("; ");
}

/** The notification body: the summary for people, then the timeline and the signals as JSON for machines. */
export function messageFor(config: RuntimeConfig, summary: string, timeline: Timeline, evidence?: Evidence): string {
    return [
        summary,
        "",
        `Stack ${config.stack}; global cluster ${config.globalClusterId}; the orchestrator of ${config.self.region} (peer ${config.peer.region}).`,
        "",
        "Timeline:",
        timeline.format(),
        "",
        "--- machine-readable ---",
        JSON.stringify({ stack: config.stack, summary, timeline: timeline.entries, ...(evidence !== undefined ? { evidence } : {}) }),
    ].join("\n");
}

/** The application tier's lines of a completed run's final message. Pure. */
export function applicationSummary(config: RuntimeConfig, application: NonNullable<RunResult["application"]>): string {
    const app = config.application;
    const capacity =
        application.capacityProblems !== undefined && application.capacityProblems.length > 0
            ? `\nCAPACITY NOT RAISED: ${application.capacityProblems.join("; ")}`
            : "";
    if (application.state === "healthy") {
        return `The application answers in ${config.self.region} (${application.healthyAt}): ${application.detail}; traffic moves there (ServingReady=1, the peer fenced).${capacity}`;
    }
    return (
        [
            `APPLICATION PENDING: the data recovery is complete, but the application did not answer in ${config.self.region} by the run's deadline: ${application.detail}. Traffic stays away from it until it does; the beacon publishes ServingReady within a minute of it answering.`,
            app !== undefined
                ? `Check: the ECS service ${app.cluster}/${app.service} in ${config.self.region} (its tasks' stopped reasons, its events), the target group ${app.targetGroupArn} (its targets' health), and ${app.checkUrl} with Host ${app.host}.`
                : "",
        ].join("\n") + capacity
    );
}
