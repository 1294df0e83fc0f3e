/**
 * The failover drill: proves, on this machine, that the real orchestrator code promotes the DR region when it must,
 * refuses when it must not, under the faults an outage brings, and fails back home (and over again) through the
 * home region's own function.
 *
 *   npm run drill -- --stack dev [--scenario NAME|all] [--json]
 *
 * Starts moto (tests/moto/server.py) and a fault proxy in front of it (orchestrator/local/faultProxy.ts), creates
 * the stack's failover topology under the program's names (both regions' orchestrator cells), breaks what the
 * scenario breaks, delivers the event to the real handler of the region concerned (in this process, or the bundled
 * function in a child process that is killed at a chosen call),
 * and checks the end state against the scenario's expected verdict. The handler runs on a virtual clock: the
 * detection window and the polls take no real time, every AWS call does.
 *
 * Scenarios (each with the verdict it must reach):
 * - `primary-down`: the primary region does not answer and replication has stopped: one failover, the pointers at
 *   the DR region, a started and a completed message, overhead outside AWS's work under a second. With an application
 *   tier (dev's pilot light), the home region's beacon recorded its capacity before the outage, and the run scales the
 *   DR service out to it and raises the DR cluster's Serverless minimum to the recorded peak (`capacity`), sees the
 *   application answer in the DR region (`application`) and moves its traffic there (`traffic`): verdict healthy, with
 *   `applicationHealthyMs`, the first failure signal to the synthetic request answered in the DR region.
 * - `app-unhealthy` (a stack with an application tier): as primary-down, but the DR application never answers (its
 *   health path answers 503): the data is recovered (one failover, the pointers at the DR region) and the run ends
 *   APPLICATION PENDING, with ServingReady{DR} published 0 (traffic not moved) and PeerFenced{home} 1; the DR beacon
 *   keeps it at 0 while the application fails, and publishes 1 on its first tick after the application answers.
 * - `primary-brownout`: the primary's RDS API answers 503 half the time and replication lags: no failover.
 * - `healthy-primary-alarm`: the replication-lag alarm fires while the primary serves: no failover, on-call told.
 * - `dr-not-ready`: the primary is lost but the DR cluster has no available instance: refused, nothing changed.
 * - `concurrent`: five invocations at once, the primary lost: exactly one promotion.
 * - `crash-resume`: the bundled function is killed after each of its writes in turn (after the write took effect; the
 *   application tier's scale-out, scalable minimum and traffic metrics included); the next invocation finishes the run:
 *   one promotion, at most one started and one final message, the application healthy, every time.
 * - `failback`: after `primary-down`, the primary region is back and on-call switches over home through the home
 *   region's function: a switchover AWS runs with IsDataLossAllowed false, the pointers (the record and both regions'
 *   `active-region`) at the home region. With an application tier the home service is scaled out before the switchover
 *   and the DR service back to its standby count by the home region's aftercare once traffic has left it.
 * - `round-trip`: failover, failback, failover again: exactly three promotions, in that order, the pointers at the DR
 *   region at the end.
 * - `break-glass`: the primary region is lost and the managed failover is refused (the two clusters run different
 *   engine versions, which AWS refuses); on-call breaks the glass in the DR region: exactly one RemoveFromGlobalCluster,
 *   no managed promotion, the fence left PENDING; the old primary comes back: the aftercare schedule fences it (no
 *   ingress, `default_transaction_read_only = 1`, its instances rebooted) and it is never writable through any pointer
 *   (the record, both regions' `active-region` and the DR secret's host all name the promoted cluster).
 * - `lost-writes`: writes on the primary while the DR cluster lags (its AuroraGlobalDBReplicationLag is 4.2 s), then the
 *   primary region is lost: one automatic failover; the old region comes back and the aftercare run keeps the lost
 *   writes: a copy of AWS's unplanned-failover snapshot under `lostWritesSnapshotName`, with the old region's key, and
 *   the run's record and report, in the region that ran it, name the window and the snapshot.
 *
 * Every run of every scenario writes its run record and report (evidence.ts); a run whose report was not written
 * fails its scenario.
 *
 * Exit status: 0 every scenario reached its expected verdict (and primary-down fits the recovery-time budget);
 * 1 a verdict failed; 2 usage or stack config error; 3 the drill could not run.
 */
import { DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseArgs } from "util";
import { formatIssue, parseStackConfig, type StackConfig } from "../config";
import { formatSeconds } from "../lib/duration";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { APPLICATION_METRICS, applicationClusterName, applicationServiceName, beaconRuleName } from "../lib/application";
import { describeScalableTarget, describeService } from "../orchestrator/src/application";
import { aftercareRuleName, confirmationOf, FENCE_PARAMETER, LOCK_LEASE_SECONDS, lostWritesSnapshotName } from "../lib/failover";
import { DescribeDBClusterParametersCommand, DescribeDBClusterSnapshotsCommand, RDSClient, type GlobalCluster } from "@aws-sdk/client-rds";
import type { RunReport } from "../orchestrator/src/evidence";
import { createS3Client } from "../orchestrator/src/s3";
import {
    databaseRpoText,
    globalTableRpoText,
    objectStorageRpoText,
    recoveryBudget,
    rpoBudgetText,
    type RecoveryBudget,
} from "../lib/recoveryBudget";
import { runUntilKilled } from "../orchestrator/local/childRun";
import { startFaultProxy, type FaultProxy, type FaultRule, type ProxiedCall } from "../orchestrator/local/faultProxy";
import { motoUnavailableReason, startMoto, type MotoServer } from "../orchestrator/local/moto";
import { VirtualClock } from "../orchestrator/local/virtualClock";
import {
    freshTopology,
    describePointers,
    drainQueue,
    MOTO_CREDENTIALS,
    publishPairMetrics,
    readPointers,
    SIDES,
    stalePeerCopy,
    type Side,
    type Topology,
    type TopologyOptions,
} from "../orchestrator/local/topology";
import { createClients, type AwsClients } from "../orchestrator/src/clients";
import { createHandler } from "../orchestrator/src/handler";
import { ingressOf } from "../orchestrator/src/fence";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { readStackFile, stackFilePath } from "../tests/harness/program";

export const EXIT = { ok: 0, failed: 1, usage: 2, error: 3 } as const;

export const SCENARIOS = [
    "primary-down",
    "app-unhealthy",
    "primary-brownout",
    "healthy-primary-alarm",
    "dr-not-ready",
    "concurrent",
    "crash-resume",
    "failback",
    "round-trip",
    "break-glass",
    "lost-writes",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const USAGE = `Usage: npm run drill -- --stack NAME [--scenario NAME|all] [--json]

  --stack NAME      the stack whose configuration the drill uses (Pulumi.NAME.yaml)
  --scenario NAME   ${SCENARIOS.join(", ")} or all (default: all)
  --json            print { scenarios: [{ name, expected, verdict, promotions, sequence, pointersAt, notifications, totalMs,
                    application, applicationHealthyMs, ... }] }
`;

/** The most the orchestration may add to AWS's own work (the calls themselves) in the drill. */
export const MAX_OVERHEAD_MS = 1_000;

/** What a scenario must end with. */
export interface Expectation {
    /**
     * `failover`: the DR cluster is the writer and the pointers name it; `no-change`: nothing was changed; `failback`:
     * after a failover, the home cluster is the writer again through a switchover; `round-trip`: failover, failback,
     * failover again; `application-pending`: the data tier failed over, the application did not answer (its traffic
     * not moved).
     */
    readonly outcome: "failover" | "no-change" | "failback" | "round-trip" | "break-glass" | "lost-writes" | "application-pending";
    /** Promotions AWS accepted over the whole scenario. */
    readonly promotions: number;
    readonly pointersAt: Side;
    /** The notifications published by both regions' functions, or a range. */
    readonly notifications: number | { readonly min: number; readonly max: number };
    /** The accepted promotions in order, e.g. `failover to dr`, `switchover to primary`. @default not checked */
    readonly sequence?: readonly string[];
    /**
     * A stack with an application tier: the application at the end of the scenario's last run, `healthy` (it answered
     * in the run's region, traffic moved) or `pending` (APPLICATION PENDING). @default not checked (no application tier)
     */
    readonly application?: "healthy" | "pending";
}

/** The application at the end of a run (RunResult.application), as a scenario reports it. */
export interface ApplicationOutcome {
    readonly state: "healthy" | "pending";
    /** When the run saw the synthetic request answered (healthy only). */
    readonly healthyAt?: string;
    readonly detail: string;
}

export interface ScenarioReport {
    readonly name: ScenarioName;
    readonly description: string;
    readonly expected: Expectation;
    readonly verdict: "pass" | "fail";
    /** Why a verdict failed, one line each. */
    readonly problems: readonly string[];
    readonly outcomes: readonly string[];
    readonly promotions: number;
    /** The accepted promotions in order (`<failover|switchover> to <primary|dr>`). */
    readonly sequence: readonly string[];
    /** The region the writer record and active-region name at the end, or `split` when they disagree. */
    readonly pointersAt: string;
    /** Each region's copy of `active-region` at the end (the peer's copy is set best effort). */
    readonly activeRegionCopies: Readonly<Record<Side, string>>;
    readonly notifications: number;
    /** The run's time on the handler's (virtual) clock: the detection window and the waits included. */
    readonly totalMs: number;
    /** Real time the scenario's runs took, and how much of it was not spent inside AWS calls. */
    readonly wallMs: number;
    readonly overheadMs: number;
    readonly steps?: readonly {
        readonly name: string;
        readonly start: string;
        readonly durationMs: number;
        readonly outcome: string;
        readonly detail: string;
    }[];
    readonly message?: string;
    /** crash-resume: one entry per crash point. */
    readonly crashes?: readonly CrashPoint[];
    /** The application at the end of the last run (a stack with an application tier). */
    readonly application?: ApplicationOutcome;
    /**
     * The first failure signal to the synthetic request answered in the promoted region, ms on the handler's clock,
     * from the run's marks (the recovery time to the application: the stack's RTO). Absent: it did not answer.
     */
    readonly applicationHealthyMs?: number;
    /** The last run's evidence: its id, report, measured recovery time and data-loss window. */
    readonly evidence?: {
        readonly runId: string;
        readonly reportKey: string;
        readonly reportWritten: boolean;
        readonly rtoMs?: number;
        readonly dataLossWindowMs?: number;
        /** lost-writes: the snapshot the lost writes are kept in. */
        readonly lostWritesSnapshot?: string;
    };
}

/** One crash point of crash-resume: where the function was killed, and the end state after the next invocation. */
export interface CrashPoint {
    readonly after: string;
    readonly rerun: string;
    readonly promotions: number;
    readonly pointersAt: string;
    readonly activeRegionCopies: Readonly<Record<Side, string>>;
    readonly notifications: number;
}

export interface DrillReport {
    readonly stack: string;
    readonly scenarios: readonly ScenarioReport[];
    readonly budget: RecoveryBudget & {
        readonly objectiveRtoSeconds: number;
        readonly objectiveRpoSeconds: number;
        readonly withinRto: boolean;
        readonly configuredRtoSeconds: number;
    };
    readonly ok: boolean;
}

/** Everything one scenario works with. */
interface Bench {
    readonly config: StackConfig;
    readonly moto: MotoServer;
    readonly proxy: FaultProxy;
    readonly topology: Topology;
    readonly clients: AwsClients;
    /** Every FailoverState the global cluster reported to the in-process functions (what AWS said of a move under way). */
    readonly failoverStates: FailoverStateSeen[];
}

/** A FailoverState as DescribeGlobalClusters reported it. */
export interface FailoverStateSeen {
    readonly status?: string;
    readonly toArn?: string;
    readonly dataLossAllowed?: boolean;
}

/** Records, into `sink`, every FailoverState the RDS clients of both regions read (a middleware: no extra call). */
function observeFailoverStates(clients: AwsClients, regions: readonly string[], sink: FailoverStateSeen[]): void {
    for (const region of regions) {
        clients.rds(region).middlewareStack.add(
            (next) => async (args) => {
                const out = await next(args);
                for (const g of (out.output as { GlobalClusters?: GlobalCluster[] } | undefined)?.GlobalClusters ?? []) {
                    if (g.FailoverState?.Status !== undefined) {
                        sink.push({
                            status: g.FailoverState.Status,
                            ...(g.FailoverState.ToDbClusterArn !== undefined ? { toArn: g.FailoverState.ToDbClusterArn } : {}),
                            ...(g.FailoverState.IsDataLossAllowed !== undefined
                                ? { dataLossAllowed: g.FailoverState.IsDataLossAllowed }
                                : {}),
                        });
                    }
                }
                return out;
            },
            { step: "initialize", name: "observeFailoverState" },
        );
    }
}

const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The alarm state change EventBridge delivers when the replication-lag alarm of `side`'s function fires (each region
 * has its own, on its own cluster, under the same name). @default the DR region's
 */
export function replicationLagAlarmEvent(topology: Topology, time: string, side: Side = "dr"): Record<string, unknown> {
    const region = topology.cells[side].region;
    const account = topology.primaryClusterArn.split(":")[4];
    return {
        version: "0",
        id: "drill",
        "detail-type": "CloudWatch Alarm State Change",
        source: "aws.cloudwatch",
        account,
        time,
        region,
        resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${topology.lagAlarmName}`],
        detail: {
            alarmName: topology.lagAlarmName,
            state: { value: "ALARM", reason: "drill: replication lag above threshold or no data", timestamp: time },
            previousState: { value: "OK" },
        },
    };
}

/** On-call's confirmed request to the function of `side`'s region, to move the writer there. */
export function manualRequest(config: StackConfig, action: "failover" | "switchover", side: Side): Record<string, unknown> {
    const targetRegion = side === "primary" ? config.primaryRegion : config.drRegion;
    return { stack: config.stack, action, targetRegion, confirm: confirmationOf(config.stack, action, targetRegion) };
}

/**
 * The event of an unplanned failover to `side`: the alarm in automatic mode, on-call's confirmed command in manual
 * mode. @default the DR region
 */
function triggerEvent(bench: Bench, now: number, side: Side = "dr"): Record<string, unknown> {
    const { config, topology } = bench;
    return config.failover.mode === "automatic"
        ? replicationLagAlarmEvent(topology, new Date(now - 5_000).toISOString(), side)
        : manualRequest(config, "failover", side);
}

/** Every call to the primary region is refused: the region is gone, as seen from the DR region. */
function primaryRegionDown(config: StackConfig): FaultRule {
    return { region: config.primaryRegion, fault: { kind: "refuse" } };
}

async function invokeInProcess(
    bench: Bench,
    clock: VirtualClock,
    requestId: string,
    event?: unknown,
    side: Side = "dr",
): Promise<{ result?: RunResult; error?: string }> {
    const handler = createHandler({
        // Each region runs its own function; the DR region's unless the scenario asks for the home region's.
        env: bench.topology.cells[side].lambdaEnv,
        clients: bench.clients,
        now: clock.now,
        sleep: clock.sleep,
        logger: SILENT,
        metric: () => undefined,
    });
    const started = clock.now();
    try {
        const result = await handler(event ?? triggerEvent(bench, clock.now(), side), {
            awsRequestId: requestId,
            getRemainingTimeInMillis: () => 900_000 - (clock.now() - started),
        });
        return { result };
    } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
    }
}

/**
 * Promotions AWS accepted: switchover and failover calls that reached it and were answered with success (a refused or
 * dropped call is a call, not a promotion).
 */
export function promotions(proxy: Pick<FaultProxy, "calls">): number {
    return proxy.calls.filter(
        (c) =>
            c.service === "rds" &&
            /^(FailoverGlobalCluster|SwitchoverGlobalCluster)$/.test(c.action) &&
            c.upstreamStatus !== undefined &&
            c.upstreamStatus < 300,
    ).length;
}

/**
 * The accepted promotions in order, as `<failover|switchover> to <side>`: a promotion call is signed for the region
 * of the function that made it, which is the region it promotes (each function promotes only its own cluster).
 */
export function promotionSequence(proxy: Pick<FaultProxy, "calls">, topology: Pick<Topology, "cells">): string[] {
    const sideOf = (region: string) => SIDES.find((side) => topology.cells[side].region === region) ?? region;
    return proxy.calls
        .filter(
            (c) =>
                c.service === "rds" &&
                /^(FailoverGlobalCluster|SwitchoverGlobalCluster)$/.test(c.action) &&
                c.upstreamStatus !== undefined &&
                c.upstreamStatus < 300,
        )
        .map((c) => `${c.action === "SwitchoverGlobalCluster" ? "switchover" : "failover"} to ${sideOf(c.region)}`);
}

/** Real time inside AWS calls: the union of the calls' intervals, so that parallel calls are not counted twice. */
export function busyMs(calls: readonly Pick<ProxiedCall, "startedAt" | "durationMs">[], from: number, to: number): number {
    const intervals = calls
        .map((c) => [Math.max(from, c.startedAt), Math.min(to, c.startedAt + (c.durationMs ?? 0))] as const)
        .filter(([a, b]) => b > a)
        .sort((x, y) => x[0] - y[0]);
    let total = 0;
    let end = -Infinity;
    for (const [a, b] of intervals) {
        if (a > end) {
            total += b - a;
            end = b;
        } else if (b > end) {
            total += b - end;
            end = b;
        }
    }
    return total;
}

/** Checks an end state against the expectation; the problems, or none. Pure. */
export function judge(
    expected: Expectation,
    actual: {
        promotions: number;
        pointersAt: string;
        notifications: number;
        sequence?: readonly string[];
        application?: ApplicationOutcome["state"];
    },
): string[] {
    const problems: string[] = [];
    if (actual.promotions !== expected.promotions) {
        problems.push(`${actual.promotions} promotions, expected ${expected.promotions}`);
    }
    if (expected.sequence !== undefined && (actual.sequence ?? []).join(", ") !== expected.sequence.join(", ")) {
        problems.push(`promotions in the order ${(actual.sequence ?? []).join(", ") || "none"}, expected ${expected.sequence.join(", ")}`);
    }
    if (actual.pointersAt !== expected.pointersAt) {
        problems.push(`the pointers name ${actual.pointersAt}, expected ${expected.pointersAt}`);
    }
    const n = expected.notifications;
    const [min, max] = typeof n === "number" ? [n, n] : [n.min, n.max];
    if (actual.notifications < min || actual.notifications > max) {
        problems.push(`${actual.notifications} notifications, expected ${min === max ? min : `${min} to ${max}`}`);
    }
    if (expected.application !== undefined && actual.application !== expected.application) {
        problems.push(`the application is ${actual.application ?? "not reported"}, expected ${expected.application}`);
    }
    return problems;
}

interface ScenarioDefinition {
    readonly description: string;
    readonly expected: Expectation;
    /** The topology the scenario starts from. @default createTopology's defaults */
    readonly topology?: TopologyOptions;
    /** Only for a stack with an application tier (`healthcare-dr:application`). @default false */
    readonly requiresApplication?: boolean;
    run(
        bench: Bench,
        options: DrillOptions,
    ): Promise<
        Omit<
            ScenarioReport,
            | "name"
            | "description"
            | "expected"
            | "verdict"
            | "problems"
            | "promotions"
            | "sequence"
            | "pointersAt"
            | "activeRegionCopies"
            | "notifications"
        > & { extraProblems?: string[] }
    >;
}

/** The application at the end of a run, and the recovery time to it from the run's marks (ScenarioReport). */
function applicationOf(result: RunResult | undefined): Pick<ScenarioReport, "application" | "applicationHealthyMs"> {
    const a = result?.application;
    const ms = result?.report?.applicationHealthyMs;
    return {
        ...(a !== undefined
            ? { application: { state: a.state, ...(a.healthyAt !== undefined ? { healthyAt: a.healthyAt } : {}), detail: a.detail } }
            : {}),
        ...(ms !== undefined ? { applicationHealthyMs: ms } : {}),
    };
}

/** One in-process invocation under the scenario's faults, measured. */
async function single(bench: Bench, arrange: (clock: VirtualClock) => Promise<void> | void, clock = new VirtualClock()) {
    await arrange(clock);
    const wallStart = Date.now();
    const { result, error } = await invokeInProcess(bench, clock, "drill-1");
    const wallEnd = Date.now();
    const wallMs = wallEnd - wallStart;
    return {
        extraProblems: evidenceProblems([result]),
        ...evidenceOf(result),
        outcomes: [result?.outcome ?? `threw ${error}`],
        totalMs: result?.totalMs ?? 0,
        wallMs,
        overheadMs: Math.max(0, wallMs - busyMs(bench.proxy.calls, wallStart, wallEnd)),
        ...(result !== undefined ? { steps: result.timeline.map((s) => ({ ...s })), message: result.message } : { message: error ?? "" }),
        ...applicationOf(result),
    };
}

/**
 * With an application tier: the home region's beacon, as it does every minute, records its running count and its
 * cluster's 24 h Serverless capacity peak (2 ACU, published here) in both regions' lock tables: the capacity the DR
 * region reaches on arrival. Its tick is ten minutes before the outage so that the metrics published for it are out of
 * the failover's three-minute look-back (the lost primary still publishes nothing). The problems, or none.
 */
async function recordHomeCapacity(bench: Bench): Promise<string[]> {
    const { topology } = bench;
    if (topology.application === undefined) {
        return [];
    }
    const before = new VirtualClock(-10 * 60_000);
    await publishPairMetrics(bench.moto.url, topology, { now: before.now() });
    bench.proxy.setRules([]);
    const event = beaconEvent(topology, new Date(before.now()).toISOString(), "primary");
    const tick = await invokeInProcess(bench, before, "drill-beacon-home", event, "primary");
    return tick.result?.outcome === "beacon" && /capacity recorded: \d+ tasks, peak [\d.]+ ACU/.test(tick.result.message)
        ? []
        : [`the home region's beacon recorded no capacity before the outage: ${tick.result?.message ?? tick.error}`];
}

/** The traffic metric `name` about `about`'s region, as published in `side`'s region between `from` and `to`: the values. */
async function trafficValues(bench: Bench, side: Side, name: string, about: Side, from: number, to: number): Promise<number[]> {
    const M = APPLICATION_METRICS;
    const out = await new CloudWatchClient({
        endpoint: bench.moto.url,
        region: bench.topology.cells[side].region,
        credentials: { ...MOTO_CREDENTIALS },
    }).send(
        new GetMetricStatisticsCommand({
            Namespace: M.namespace,
            MetricName: name,
            Dimensions: [
                { Name: M.dimensions.stack, Value: bench.topology.stack },
                { Name: M.dimensions.region, Value: bench.topology.cells[about].region },
            ],
            StartTime: new Date(from),
            EndTime: new Date(to),
            Period: M.periodSeconds,
            Statistics: ["Minimum", "Maximum"],
        }),
    );
    return (out.Datapoints ?? []).flatMap((d) => [d.Minimum ?? NaN, d.Maximum ?? NaN]);
}

/**
 * app-unhealthy: primary-down with the DR application answering 503. Checks what only the metrics can tell: the run
 * published ServingReady{DR} 0 and PeerFenced{home} 1 in the DR region (the traffic stays away from the DR region and
 * from the lost one); a beacon tick while the application fails keeps ServingReady 0; the first tick after it answers
 * publishes 1 (the traffic moves then, with no further run).
 */
async function appUnhealthy(bench: Bench): Promise<Awaited<ReturnType<ScenarioDefinition["run"]>>> {
    const { topology, config } = bench;
    const app = topology.cells.dr.application;
    if (app === undefined) {
        throw new Error("app-unhealthy needs a stack with an application tier (healthcare-dr:application)");
    }
    const clock = new VirtualClock();
    const from = clock.now();
    app.server.setBehaviour("fail");
    const out = await single(bench, () => bench.proxy.setRules([primaryRegionDown(config)]), clock);
    const problems = [...out.extraProblems];
    // Windows a few seconds wide: CloudWatch times are to the second.
    const runEnd = clock.now() + 5_000;
    const ready = await trafficValues(bench, "dr", APPLICATION_METRICS.servingReady, "dr", from, runEnd);
    const fenced = await trafficValues(bench, "dr", APPLICATION_METRICS.peerFenced, "primary", from, runEnd);
    if (ready.length === 0 || ready.some((v) => v !== 0)) {
        problems.push(`the run published ServingReady{dr} ${JSON.stringify(ready)}, expected 0 (traffic not moved)`);
    }
    if (fenced.length === 0 || fenced.some((v) => v !== 1)) {
        problems.push(`the run published PeerFenced{primary} ${JSON.stringify(fenced)}, expected 1`);
    }
    // The beacon, every minute: 0 while the application fails, 1 on the first tick after it answers.
    const outcomes = [...out.outcomes];
    const ticks: string[] = [];
    for (const [behaviour, expected] of [
        ["fail", 0],
        ["ok", 1],
    ] as const) {
        app.server.setBehaviour(behaviour);
        clock.advance(60_000);
        const at = clock.now();
        const tick = await invokeInProcess(
            bench,
            clock,
            `drill-beacon-${behaviour}`,
            beaconEvent(topology, new Date(at).toISOString(), "dr"),
        );
        outcomes.push(tick.result?.outcome ?? `threw ${tick.error}`);
        ticks.push(tick.result?.message ?? tick.error ?? "");
        const published = await trafficValues(bench, "dr", APPLICATION_METRICS.servingReady, "dr", at, clock.now() + 5_000);
        if (published.length === 0 || published.some((v) => v !== expected)) {
            problems.push(
                `a beacon tick with the application answering ${behaviour === "ok" ? 200 : 503} published ServingReady{dr} ${JSON.stringify(published)}, expected ${expected}`,
            );
        }
    }
    return { ...out, outcomes, message: [out.message, ...ticks].join("\n"), extraProblems: problems };
}

/**
 * failback's last part: once traffic has left the DR region (STANDBY_SETTLE_SECONDS after the failback's traffic step),
 * the home region's aftercare scales the DR service back to its standby count, and its scalable target's minimum.
 */
async function standbyScaleDown(bench: Bench, clock: VirtualClock): Promise<{ outcome: string; message: string; problems: string[] }> {
    const { topology } = bench;
    const settings = topology.application!;
    const care = await invokeInProcess(
        bench,
        clock,
        "drill-aftercare-home",
        aftercareEvent(topology, new Date(clock.now()).toISOString(), "primary"),
        "primary",
    );
    const direct = createClients({ endpointFor: () => bench.moto.url, credentials: MOTO_CREDENTIALS });
    const region = topology.cells.dr.region;
    const names = { cluster: applicationClusterName(topology.stack), service: applicationServiceName(topology.stack) };
    const service = await describeService(direct.ecs(region), names);
    const scalable = await describeScalableTarget(direct.autoscaling(region), names);
    const standby = settings.standby.count;
    const problems =
        service?.desiredCount === standby && scalable?.min === standby
            ? []
            : [
                  `the DR service was not scaled back to its standby count ${standby}: desiredCount ${service?.desiredCount ?? "?"}, scalable min ${scalable?.min ?? "?"} (${care.result?.message ?? care.error})`,
              ];
    return { outcome: care.result?.outcome ?? `threw ${care.error}`, message: care.result?.message ?? care.error ?? "", problems };
}

export const SCENARIO_DEFINITIONS: Readonly<Record<ScenarioName, ScenarioDefinition>> = {
    "primary-down": {
        description:
            "the primary region does not answer and replication has stopped: fail over once; the application answers in the DR region",
        expected: { outcome: "failover", promotions: 1, pointersAt: "dr", notifications: 2, application: "healthy" },
        async run(bench) {
            const recorded = await recordHomeCapacity(bench);
            const out = await single(bench, () => bench.proxy.setRules([primaryRegionDown(bench.config)]));
            const extraProblems = [
                ...recorded,
                ...out.extraProblems,
                ...(out.overheadMs > MAX_OVERHEAD_MS ? [`orchestration overhead ${out.overheadMs} ms, above ${MAX_OVERHEAD_MS} ms`] : []),
            ];
            return { ...out, extraProblems };
        },
    },
    "app-unhealthy": {
        description:
            "primary-down, but the DR application never answers: the data recovered, APPLICATION PENDING, traffic not moved until the beacon sees it answer",
        // The started message and the completed one, which says APPLICATION PENDING and what to check.
        expected: { outcome: "application-pending", promotions: 1, pointersAt: "dr", notifications: 2, application: "pending" },
        requiresApplication: true,
        run: appUnhealthy,
    },
    "primary-brownout": {
        description: "the primary's RDS API answers 503 half the time and replication lags: no failover",
        expected: { outcome: "no-change", promotions: 0, pointersAt: "primary", notifications: 1 },
        run: (bench) =>
            single(bench, async (clock) => {
                await publishPairMetrics(bench.moto.url, bench.topology, { now: clock.now(), lagMs: 10 * 60_000 });
                bench.proxy.setRules([
                    {
                        service: "rds",
                        region: bench.config.primaryRegion,
                        probability: 0.5,
                        fault: { kind: "error", status: 503, code: "ServiceUnavailable", message: "drill: brownout" },
                    },
                ]);
            }),
    },
    "healthy-primary-alarm": {
        description: "the replication-lag alarm fires while the primary serves: no failover, on-call told",
        expected: { outcome: "no-change", promotions: 0, pointersAt: "primary", notifications: 1 },
        run: (bench) =>
            single(bench, async (clock) => {
                await publishPairMetrics(bench.moto.url, bench.topology, { now: clock.now(), lagMs: 5 * 60_000 });
                bench.proxy.setRules([]);
            }),
    },
    "dr-not-ready": {
        description: "the primary is lost but no DR instance is available: refuse, page, change nothing",
        expected: { outcome: "no-change", promotions: 0, pointersAt: "primary", notifications: 1 },
        run: (bench) =>
            single(bench, () =>
                bench.proxy.setRules([
                    primaryRegionDown(bench.config),
                    {
                        service: "rds",
                        region: bench.config.drRegion,
                        action: "DescribeDBInstances",
                        fault: {
                            kind: "rewrite",
                            replace: (body) =>
                                body.replace(
                                    /<DBInstanceStatus>available<\/DBInstanceStatus>/g,
                                    "<DBInstanceStatus>rebooting</DBInstanceStatus>",
                                ),
                        },
                    },
                ]),
            ),
    },
    concurrent: {
        description: "five invocations at once while the primary is lost: exactly one promotion",
        // A started and a completed message; each refused invocation may add the one lock-busy message of the run.
        expected: { outcome: "failover", promotions: 1, pointersAt: "dr", notifications: { min: 2, max: 3 } },
        async run(bench) {
            bench.proxy.setRules([primaryRegionDown(bench.config)]);
            const wallStart = Date.now();
            const runs = await Promise.all(
                ["a", "b", "c", "d", "e"].map((id) => invokeInProcess(bench, new VirtualClock(), `drill-${id}`)),
            );
            const wallMs = Date.now() - wallStart;
            const outcomes = runs.map((r) => r.result?.outcome ?? `threw ${r.error}`);
            const completed = outcomes.filter((o) => o === "completed").length;
            return {
                outcomes,
                totalMs: Math.max(...runs.map((r) => r.result?.totalMs ?? 0)),
                wallMs,
                overheadMs: Math.max(0, wallMs - busyMs(bench.proxy.calls, wallStart, wallStart + wallMs)),
                extraProblems: [
                    ...(completed === 1 ? [] : [`${completed} invocations completed, expected exactly 1`]),
                    ...evidenceProblems(runs.map((r) => r.result)),
                ],
            };
        },
    },
    "crash-resume": {
        description: "the bundled function killed after each of its writes in turn; the next invocation finishes the run",
        expected: { outcome: "failover", promotions: 1, pointersAt: "dr", notifications: { min: 1, max: 2 }, application: "healthy" },
        run: crashResume,
    },
    failback: {
        description:
            "after primary-down, the primary region is back: on-call switches over home through the home region's function, no data loss",
        // Each move: a started and a completed message, from the function that made it.
        expected: {
            outcome: "failback",
            promotions: 2,
            sequence: ["failover to dr", "switchover to primary"],
            pointersAt: "primary",
            notifications: 4,
        },
        async run(bench) {
            const clock = new VirtualClock();
            const out = await moves(
                bench,
                [
                    { to: "dr", action: "failover", lost: "primary" },
                    { to: "primary", action: "switchover" },
                ],
                clock,
            );
            if (bench.topology.application === undefined) {
                return out;
            }
            const care = await standbyScaleDown(bench, clock);
            return {
                ...out,
                outcomes: [...out.outcomes, care.outcome],
                message: `${out.message ?? ""}\n${care.message}`,
                extraProblems: [...(out.extraProblems ?? []), ...care.problems],
            };
        },
    },
    "round-trip": {
        description: "failover, failback, failover again: each region's function promotes its own cluster, three promotions in order",
        expected: {
            outcome: "round-trip",
            promotions: 3,
            sequence: ["failover to dr", "switchover to primary", "failover to dr"],
            pointersAt: "dr",
            notifications: 6,
        },
        run: (bench) =>
            moves(bench, [
                { to: "dr", action: "failover", lost: "primary" },
                { to: "primary", action: "switchover" },
                { to: "dr", action: "failover", lost: "primary" },
            ]),
    },
    "break-glass": {
        description:
            "the primary region is lost and the managed failover refused (different engine versions): on-call breaks the glass in the DR region; the old primary comes back and is fenced, never writable through any pointer",
        // Different engine versions: AWS refuses the managed failover (aurora-global-database-disaster-recovery.html).
        topology: { drEngineVersion: "16.4" },
        // The refusal page, the break-glass started and completed (FENCE PENDING), the "fenced" page of the schedule.
        expected: { outcome: "break-glass", promotions: 0, pointersAt: "dr", notifications: 4 },
        run: breakGlass,
    },
    "lost-writes": {
        description:
            "writes on the primary while the DR cluster lags 4.2 s, the primary lost: one failover; the old region back, the aftercare keeps the lost writes",
        // The started and completed messages of the failover; the aftercare pages only when it cannot keep them.
        expected: { outcome: "lost-writes", promotions: 1, pointersAt: "dr", notifications: 2 },
        run: lostWrites,
    },
};

/** The event the aftercare schedule of `side`'s region delivers. */
export function aftercareEvent(topology: Topology, time: string, side: Side = "dr"): Record<string, unknown> {
    return scheduledEvent(topology, time, side, aftercareRuleName(topology.stack), "drill-schedule");
}

/** The event the beacon schedule (`beaconRuleName`) of `side`'s region delivers. */
export function beaconEvent(topology: Topology, time: string, side: Side = "dr"): Record<string, unknown> {
    return scheduledEvent(topology, time, side, beaconRuleName(topology.stack), "drill-beacon");
}

/** The EventBridge "Scheduled Event" that the rule `ruleName` of `side`'s region delivers to that region's function. */
function scheduledEvent(topology: Topology, time: string, side: Side, ruleName: string, id: string): Record<string, unknown> {
    const region = topology.cells[side].region;
    const account = topology.primaryClusterArn.split(":")[4];
    return {
        version: "0",
        id,
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account,
        time,
        region,
        resources: [`arn:aws:events:${region}:${account}:rule/${ruleName}`],
        detail: {},
    };
}

/**
 * break-glass: the managed failover refused, the human break-glass, then the old primary back and fenced by the
 * schedule. Checks what only the run can tell: one detach, the fence, and the DR secret's host.
 */
async function breakGlass(bench: Bench): Promise<Awaited<ReturnType<ScenarioDefinition["run"]>>> {
    const { config, proxy, topology, moto } = bench;
    const clock = new VirtualClock();
    const wallStart = Date.now();
    const outcomes: string[] = [];
    const problems: string[] = [];
    const steps: { name: string; start: string; durationMs: number; outcome: string; detail: string }[] = [];
    // The DR cluster lags 2.5 s when the primary region is lost: the data-loss window the break-glass records.
    await publishPairMetrics(moto.url, topology, { now: clock.now(), lagMs: 2_500 });
    proxy.setRules([primaryRegionDown(config)]);
    const managed = await invokeInProcess(bench, clock, "drill-managed", { ...manualRequest(config, "failover", "dr"), force: true });
    outcomes.push(managed.result?.outcome ?? `threw ${managed.error}`);
    if (managed.result?.outcome !== "refused" || !/engine/.test(managed.result.message)) {
        problems.push(`the managed failover was not refused for the engine versions: ${managed.result?.message ?? managed.error}`);
    }
    clock.advance(60_000);
    const glass = await invokeInProcess(bench, clock, "drill-break-glass", {
        stack: config.stack,
        action: "break-glass",
        targetRegion: config.drRegion,
        confirm: confirmationOf(config.stack, "break-glass", config.drRegion),
    });
    outcomes.push(glass.result?.outcome ?? `threw ${glass.error}`);
    steps.push(...(glass.result?.timeline ?? []).map((s) => ({ ...s })));
    if (glass.result?.outcome !== "completed" || glass.result.fence !== "pending") {
        problems.push(`the break-glass did not complete with the fence pending: ${glass.result?.message ?? glass.error}`);
    }
    // The old primary's region answers again; the next tick of the schedule fences it.
    proxy.setRules([]);
    clock.advance(5 * 60_000);
    const aftercare = await invokeInProcess(bench, clock, "drill-aftercare", aftercareEvent(topology, new Date(clock.now()).toISOString()));
    outcomes.push(aftercare.result?.outcome ?? `threw ${aftercare.error}`);
    steps.push(...(aftercare.result?.timeline ?? []).map((s) => ({ ...s })));
    // The tick after the fence keeps the old primary's lost writes: a snapshot of the fenced cluster.
    clock.advance(5 * 60_000);
    const keep = await invokeInProcess(bench, clock, "drill-aftercare-2", aftercareEvent(topology, new Date(clock.now()).toISOString()));
    outcomes.push(keep.result?.outcome ?? `threw ${keep.error}`);
    steps.push(...(keep.result?.timeline ?? []).map((s) => ({ ...s })));
    const wallMs = Date.now() - wallStart;
    problems.push(...evidenceProblems([managed.result, glass.result]));
    const evidence = evidenceOf(glass.result).evidence;
    if (evidence?.rtoMs === undefined || evidence.dataLossWindowMs !== 2_500) {
        problems.push(`the break-glass report has no recovery time or not the 2500 ms window: ${JSON.stringify(evidence)}`);
    }
    const snapshotName = lostWritesSnapshotName(topology.primaryClusterArn.split(":").pop()!, glass.result?.report?.runId ?? "?");
    const snapshots =
        (
            await new RDSClient({ endpoint: moto.url, region: config.primaryRegion, credentials: { ...MOTO_CREDENTIALS } }).send(
                new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotName }),
            )
        ).DBClusterSnapshots ?? [];
    if (snapshots.length !== 1) {
        problems.push(`the fenced old primary's lost writes were not kept in ${snapshotName}: ${keep.result?.message ?? keep.error}`);
    }

    const accepted = (action: string) =>
        proxy.calls.filter((c) => c.action === action && c.upstreamStatus !== undefined && c.upstreamStatus < 300).length;
    if (accepted("RemoveFromGlobalCluster") !== 1) {
        problems.push(`${accepted("RemoveFromGlobalCluster")} RemoveFromGlobalCluster calls accepted, expected exactly 1`);
    }
    if (accepted("RebootDBInstance") < 1) {
        problems.push("the old primary's instances were never rebooted after the fence");
    }
    const old = topology.cells.primary;
    const direct = { endpoint: moto.url, credentials: { ...MOTO_CREDENTIALS }, maxAttempts: 1 };
    const described = await new EC2Client({ ...direct, region: old.region }).send(
        new DescribeSecurityGroupsCommand({ GroupIds: [old.securityGroupId] }),
    );
    const ingress = ingressOf(described.SecurityGroups?.[0]?.IpPermissions);
    if (ingress.length > 0) {
        problems.push(`the old primary's security group still has ${ingress.length} ingress permission(s)`);
    }
    const parameters = await new RDSClient({ endpoint: moto.url, region: old.region, credentials: { ...MOTO_CREDENTIALS } }).send(
        new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: old.clusterParameterGroup }),
    );
    const fenceValue = parameters.Parameters?.find((p) => p.ParameterName === FENCE_PARAMETER.name)?.ParameterValue;
    if (fenceValue !== FENCE_PARAMETER.value) {
        problems.push(`${FENCE_PARAMETER.name} is ${fenceValue ?? "unset"} on the old primary's parameter group`);
    }
    const dr = topology.cells.dr;
    const secret = await new SecretsManagerClient({ ...direct, region: dr.region }).send(
        new GetSecretValueCommand({ SecretId: dr.secretArn }),
    );
    const host = (JSON.parse(secret.SecretString ?? "{}") as { host?: string }).host;
    if (host !== topology.drEndpoint) {
        problems.push(`the DR secret's host is ${host}, not the promoted cluster ${topology.drEndpoint}`);
    }
    const copies = (await readPointers(moto.url, topology)).activeRegion;
    if (copies.primary !== "dr" || copies.dr !== "dr") {
        problems.push(`active-region copies: primary region ${copies.primary}, DR region ${copies.dr}; both must name dr`);
    }
    return {
        outcomes,
        totalMs: (glass.result?.totalMs ?? 0) + (aftercare.result?.totalMs ?? 0),
        wallMs,
        overheadMs: Math.max(0, wallMs - busyMs(proxy.calls, wallStart, wallStart + wallMs)),
        steps,
        message: `${glass.result?.message ?? glass.error}\n${aftercare.result?.message ?? aftercare.error}\n${keep.result?.message ?? keep.error}`,
        ...(evidence !== undefined ? { evidence: { ...evidence, lostWritesSnapshot: snapshots.length === 1 ? snapshotName : "" } } : {}),
        extraProblems: problems,
    };
}

/** One move of the writer in a scenario of several: the function of `to`'s region asked for `action`. */
interface Move {
    readonly to: Side;
    readonly action: "failover" | "switchover";
    /** The region whose every call is refused during the move: a failover's lost writer. @default none */
    readonly lost?: Side;
}

/**
 * Runs the moves one after the other on one virtual clock (ten minutes apart), each through the real handler of the
 * region it promotes, and checks what only the run can tell: every move completed; a switchover ran as AWS reported
 * it, towards that region's cluster with IsDataLossAllowed false; after a switchover (both regions up) both regions'
 * `active-region` copies name the new writer.
 */
async function moves(
    bench: Bench,
    plan: readonly Move[],
    clock = new VirtualClock(),
): Promise<Awaited<ReturnType<ScenarioDefinition["run"]>>> {
    const { config, proxy, topology } = bench;
    const outcomes: string[] = [];
    const problems: string[] = [];
    let last: RunResult | undefined;
    // Real time of the invocations only (not the drill's own set-up between moves), and how much of it was not AWS's.
    let wallMs = 0;
    let overheadMs = 0;
    for (const [i, move] of plan.entries()) {
        const what = `move ${i + 1} (${move.action} to ${move.to})`;
        proxy.setRules(move.lost !== undefined ? [{ region: topology.cells[move.lost].region, fault: { kind: "refuse" } }] : []);
        if (move.lost === undefined) {
            // The writer (the other region) serving and replicating up to now.
            await publishPairMetrics(bench.moto.url, topology, { now: clock.now(), writer: move.to === "dr" ? "primary" : "dr" });
        }
        const event = move.action === "failover" ? triggerEvent(bench, clock.now(), move.to) : manualRequest(config, "switchover", move.to);
        bench.failoverStates.length = 0;
        const started = Date.now();
        const { result, error } = await invokeInProcess(bench, clock, `drill-${i + 1}`, event, move.to);
        const ended = Date.now();
        wallMs += ended - started;
        overheadMs += Math.max(0, ended - started - busyMs(proxy.calls, started, ended));
        outcomes.push(result?.outcome ?? `threw ${error}`);
        problems.push(...evidenceProblems([result]).map((p) => `${what}: ${p}`));
        if (result?.outcome !== "completed") {
            problems.push(`${what} ended ${result?.outcome ?? `with ${error}`}: ${result?.message ?? ""}`.trim());
        }
        if (move.action === "switchover") {
            const target = topology.cells[move.to].clusterArn;
            const seen = bench.failoverStates;
            if (seen.length === 0) {
                problems.push(`${what}: the global cluster never reported the switchover under way`);
            }
            for (const state of seen) {
                if (state.dataLossAllowed !== false || state.toArn !== target) {
                    problems.push(
                        `${what}: AWS reported ${JSON.stringify(state)}, expected a move to ${target} with IsDataLossAllowed false`,
                    );
                    break;
                }
            }
            const stale = stalePeerCopy(await readPointers(bench.moto.url, topology));
            if (stale !== undefined) {
                problems.push(`${what}: the ${stale} region's active-region does not name the new writer, though every region answered`);
            }
        }
        last = result;
        clock.advance(10 * 60_000);
    }
    return {
        outcomes,
        // The last move's own time on the handler's clock (the failback's, or the second failover's).
        totalMs: last?.totalMs ?? 0,
        wallMs,
        overheadMs,
        ...(last !== undefined ? { steps: last.timeline.map((s) => ({ ...s })), message: last.message } : {}),
        ...evidenceOf(last),
        ...applicationOf(last),
        extraProblems: problems,
    };
}

/** Every run but an ignored alarm writes its record and report: the problems of those that did not. Pure. */
export function evidenceProblems(results: readonly (RunResult | undefined)[]): string[] {
    return results.flatMap((r) =>
        r === undefined || r.outcome === "ignored"
            ? []
            : r.report === undefined
              ? [`the ${r.outcome} run wrote no run record`]
              : r.report.reportWritten
                ? []
                : [`the ${r.outcome} run's report was not written: ${r.report.reportProblem ?? "?"}`],
    );
}

function evidenceOf(result: RunResult | undefined): { evidence?: NonNullable<ScenarioReport["evidence"]> } {
    const e = result?.report;
    return e === undefined
        ? {}
        : {
              evidence: {
                  runId: e.runId,
                  reportKey: e.reportKey,
                  reportWritten: e.reportWritten,
                  ...(e.rtoMs !== undefined ? { rtoMs: e.rtoMs } : {}),
                  ...(e.dataLossWindowMs !== undefined ? { dataLossWindowMs: e.dataLossWindowMs } : {}),
              },
          };
}

/** The lag of the DR cluster while the primary takes writes, in the lost-writes scenario. */
export const LOST_WRITES_LAG_MS = 4_200;

/**
 * Writes on the primary while the DR cluster lags, the primary lost, an automatic failover; then the old region is
 * back and the DR region's aftercare run (its schedule's event) keeps the lost writes. Verdict: the copy exists with
 * the right name and key; the report names the window and the snapshot; record and report are in the DR region.
 */
async function lostWrites(bench: Bench): Promise<Awaited<ReturnType<ScenarioDefinition["run"]>>> {
    const { config, proxy, topology } = bench;
    const clock = new VirtualClock();
    await publishPairMetrics(bench.moto.url, topology, { now: clock.now(), lagMs: LOST_WRITES_LAG_MS });
    proxy.setRules([primaryRegionDown(config)]);
    const wallStart = Date.now();
    const failover = await invokeInProcess(bench, clock, "drill-lost-writes");
    const problems = evidenceProblems([failover.result]);
    const runId = failover.result?.report?.runId;
    if (failover.result?.outcome !== "completed" || runId === undefined) {
        return {
            outcomes: [failover.result?.outcome ?? `threw ${failover.error}`],
            totalMs: failover.result?.totalMs ?? 0,
            wallMs: Date.now() - wallStart,
            overheadMs: 0,
            extraProblems: [...problems, `the failover did not complete: ${failover.result?.message ?? failover.error}`],
        };
    }
    // The old region answers again; the aftercare schedule fires in the DR region.
    proxy.setRules([]);
    clock.advance(5 * 60_000);
    const region = topology.cells.dr.region;
    const care = await invokeInProcess(bench, clock, "drill-aftercare", aftercareEvent(topology, new Date(clock.now()).toISOString()));
    const wallMs = Date.now() - wallStart;
    const oldCluster = topology.primaryClusterArn.split(":").pop()!;
    const name = lostWritesSnapshotName(oldCluster, runId);
    const direct = { endpoint: bench.moto.url, credentials: { ...MOTO_CREDENTIALS } };
    const copies =
        (
            await new RDSClient({ ...direct, region: topology.cells.primary.region }).send(
                new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name }),
            )
        ).DBClusterSnapshots ?? [];
    if (copies.length !== 1 || copies[0]!.KmsKeyId !== topology.cells.primary.keyArn) {
        problems.push(
            `expected one snapshot ${name} encrypted with ${topology.cells.primary.keyArn}, found ${JSON.stringify(copies.map((c) => [c.DBClusterSnapshotIdentifier, c.KmsKeyId]))}`,
        );
    }
    if (care.result?.outcome !== "aftercare" || !/ are kept in /.test(care.result.message)) {
        problems.push(
            `the aftercare run did not keep the lost writes: ${care.result?.outcome ?? care.error}: ${care.result?.message ?? ""}`,
        );
    }
    const s3 = createS3Client({ region, endpoint: bench.moto.url, credentials: async () => ({ ...MOTO_CREDENTIALS }) });
    const report = (await s3
        .getObject(topology.cells.dr.reportBucket, failover.result.report!.reportKey)
        .then((t) => JSON.parse(t) as RunReport)
        .catch(() => undefined)) as RunReport | undefined;
    if (report?.dataLoss?.windowMs !== LOST_WRITES_LAG_MS) {
        problems.push(`the report in ${region} names the window ${JSON.stringify(report?.dataLoss)}, expected ${LOST_WRITES_LAG_MS} ms`);
    }
    if (care.result?.message.includes(name) !== true) {
        problems.push(`the aftercare run does not name the snapshot ${name}: ${care.result?.message ?? ""}`);
    }
    return {
        outcomes: [failover.result.outcome, care.result?.outcome ?? `threw ${care.error}`],
        totalMs: failover.result.totalMs,
        wallMs,
        overheadMs: 0,
        steps: failover.result.timeline.map((s) => ({ ...s })),
        message: `${failover.result.message}; ${care.result?.message ?? ""}`,
        evidence: { ...evidenceOf(failover.result).evidence!, lostWritesSnapshot: copies.length === 1 ? name : "" },
        ...applicationOf(failover.result),
        extraProblems: problems,
    };
}

/** The writes of a run, in the order the proxy saw them: where a crash leaves something behind. */
const isWrite = (c: Pick<ProxiedCall, "service" | "action">): boolean =>
    [
        "PutItem",
        "UpdateItem",
        "Publish",
        "FailoverGlobalCluster",
        "SwitchoverGlobalCluster",
        "ChangeResourceRecordSets",
        "PutParameter",
        // The application tier's: the capacity step's raises, the traffic step's metrics.
        "UpdateService",
        "RegisterScalableTarget",
        "ModifyDBCluster",
        "PutMetricData",
    ].includes(c.action);

async function crashResume(bench: Bench, options: DrillOptions): Promise<Awaited<ReturnType<ScenarioDefinition["run"]>>> {
    // A clean run first, to count the writes of a whole run.
    bench.proxy.setRules([primaryRegionDown(bench.config)]);
    const clean = await invokeInProcess(bench, new VirtualClock(), "drill-clean");
    // The writes that reached AWS: a write refused by the scenario's fault (the peer region's active-region while that
    // region is down) never reaches the kill rule, so it is not a crash point.
    const writes = bench.proxy.calls.filter((c) => isWrite(c) && c.fault === "pass").map((c) => c.action);
    const crashes: CrashPoint[] = [];
    const problems: string[] =
        clean.result?.outcome === "completed" ? [] : [`the clean run did not complete: ${clean.error ?? clean.result?.outcome}`];
    const wallStart = Date.now();
    const points = options.crashPoints ?? writes.map((_, i) => i + 1);
    for (const k of points.filter((p) => p >= 1 && p <= writes.length)) {
        const topology = await freshTopology(bench.moto, bench.config);
        const fresh: Bench = { ...bench, topology };
        bench.proxy.reset();
        let seen = 0;
        bench.proxy.setRules([
            primaryRegionDown(bench.config),
            { when: (c) => isWrite(c) && ++seen === k, fault: { kind: "kill", after: true } },
        ]);
        const clock = new VirtualClock();
        const outcome = await runUntilKilled(bench.proxy, {
            env: { ...topology.cells.dr.lambdaEnv, HDR_TEST_ENDPOINT_URL: bench.proxy.url },
            event: triggerEvent(fresh, clock.now()),
            requestId: "drill-crashed",
            virtualClock: { offsetMs: 0 },
            timeoutMs: 60_000,
        });
        bench.proxy.setRules([primaryRegionDown(bench.config)]);
        // The next invocation comes after the killed one's lease ran out, as a retry or the next alarm would.
        const later = new VirtualClock(clock.offsetMs + 10 * 60_000 + LOCK_LEASE_SECONDS * 1000);
        const rerun = await invokeInProcess(fresh, later, "drill-next", triggerEvent(fresh, later.now()));
        const state = {
            promotions: promotions(bench.proxy),
            ...(await pointerState(bench.moto.url, topology)),
            notifications: await countNotifications(fresh),
        };
        const after = `write ${k} of ${writes.length} (${writes[k - 1]})${outcome.exit === "killed" ? "" : `, but the child ${outcome.exit}: ${JSON.stringify("result" in outcome ? outcome.result : "error" in outcome ? outcome.error : "").slice(0, 200)}`}`;
        crashes.push({ after, rerun: rerun.result?.outcome ?? `threw ${rerun.error}`, ...state });
        const expected = expectationFor(SCENARIO_DEFINITIONS["crash-resume"].expected, bench.config);
        // A rerun that found the run finished (the crash after its last write) has no application step of its own.
        const application = rerun.result?.outcome === "completed" ? rerun.result.application?.state : expected.application;
        for (const p of judge(expected, { ...state, application })) {
            problems.push(`killed after ${after}: ${p}`);
        }
        if (outcome.exit !== "killed") {
            problems.push(`killed after ${after}: the kill did not happen`);
        }
    }
    const wallMs = Date.now() - wallStart;
    return {
        outcomes: crashes.map((c) => c.rerun),
        totalMs: clean.result?.totalMs ?? 0,
        wallMs,
        overheadMs: 0,
        crashes,
        extraProblems: problems,
        message: `${crashes.length} crash points, each judged on its own`,
    };
}

/** Where the pointers stand (see topology.ts `pointersAt`), with each region's copy of `active-region`. */
async function pointerState(
    endpoint: string,
    topology: Topology,
): Promise<{ pointersAt: string; activeRegionCopies: Readonly<Record<Side, string>> }> {
    const pointers = await readPointers(endpoint, topology);
    return { pointersAt: describePointers(pointers), activeRegionCopies: { ...pointers.activeRegion } };
}

/** What both regions' functions published (each to its own region's topic). */
async function countNotifications(bench: Bench): Promise<number> {
    let count = 0;
    for (const side of SIDES) {
        const cell = bench.topology.cells[side];
        count += (await drainQueue(bench.moto.url, cell.region, cell.queueUrl)).length;
    }
    return count;
}

export interface DrillOptions {
    /** A running moto server to use (it is reset per scenario). @default a new one, stopped at the end */
    readonly moto?: MotoServer;
    /** @default every scenario */
    readonly scenarios?: readonly ScenarioName[];
    /** crash-resume: the writes (1-based) after which the function is killed. @default every write of a run */
    readonly crashPoints?: readonly number[];
}

/** The scenarios a stack can run: those of the application tier only when it has one. */
export function scenariosFor(config: Pick<StackConfig, "application">): ScenarioName[] {
    return SCENARIOS.filter((name) => SCENARIO_DEFINITIONS[name].requiresApplication !== true || config.application !== undefined);
}

/** The expectation for a stack: the application's state is checked only when the stack has an application tier. Pure. */
export function expectationFor(expected: Expectation, config: Pick<StackConfig, "application">): Expectation {
    if (config.application !== undefined || expected.application === undefined) {
        return expected;
    }
    const { application: _application, ...rest } = expected;
    return rest;
}

export async function runDrill(config: StackConfig, options: DrillOptions = {}): Promise<DrillReport> {
    const moto = options.moto ?? (await startMoto());
    const proxy = await startFaultProxy(moto.url, { seed: 7 });
    const reports: ScenarioReport[] = [];
    try {
        for (const name of options.scenarios ?? scenariosFor(config)) {
            proxy.reset();
            const topology = await freshTopology(moto, config, SCENARIO_DEFINITIONS[name].topology ?? {});
            const clients = createClients({ endpointFor: () => proxy.url, credentials: MOTO_CREDENTIALS, probeTimeoutMs: 2_000 });
            const failoverStates: FailoverStateSeen[] = [];
            observeFailoverStates(clients, [config.primaryRegion, config.drRegion], failoverStates);
            const bench: Bench = { config, moto, proxy, topology, clients, failoverStates };
            const definition = SCENARIO_DEFINITIONS[name];
            const expected = expectationFor(definition.expected, config);
            const out = await definition.run(bench, options);
            // crash-resume judged each crash point on its own (each in a topology of its own); its summary is the worst of
            // them, with the copies of active-region the last crash point left.
            const state =
                out.crashes !== undefined
                    ? {
                          promotions: Math.max(0, ...out.crashes.map((c) => c.promotions)),
                          sequence: [],
                          pointersAt: out.crashes.every((c) => c.pointersAt === "dr") ? "dr" : "mixed",
                          activeRegionCopies: out.crashes.at(-1)?.activeRegionCopies ?? { primary: "?", dr: "?" },
                          notifications: Math.max(0, ...out.crashes.map((c) => c.notifications)),
                      }
                    : {
                          promotions: promotions(proxy),
                          sequence: promotionSequence(proxy, topology),
                          ...(await pointerState(moto.url, topology)),
                          notifications: await countNotifications(bench),
                      };
            const problems = [
                ...(out.crashes !== undefined ? [] : judge(expected, { ...state, application: out.application?.state })),
                ...(out.extraProblems ?? []),
            ];
            const { extraProblems: _extra, ...rest } = out;
            reports.push({
                name,
                description: definition.description,
                expected,
                verdict: problems.length === 0 ? "pass" : "fail",
                problems,
                ...state,
                ...rest,
            });
        }
    } finally {
        await proxy.close();
        if (options.moto === undefined) {
            await moto.stop();
        }
    }
    const down = reports.find((r) => r.name === "primary-down");
    // The orchestration measured: the run's time less the detection window, which the budget counts in detection.
    const orchestrationMs = down !== undefined ? Math.max(1, down.totalMs - config.failover.detectionWindow.seconds * 1000) : undefined;
    const measured = recoveryBudget(config, orchestrationMs !== undefined ? { orchestrationMs } : undefined);
    const configured = recoveryBudget(config);
    const budget = {
        ...measured,
        configuredRtoSeconds: configured.rtoSeconds,
        objectiveRtoSeconds: config.objectives.rto.seconds,
        objectiveRpoSeconds: config.objectives.rpo.seconds,
        withinRto: measured.rtoSeconds <= config.objectives.rto.seconds,
    };
    return { stack: config.stack, scenarios: reports, budget, ok: reports.every((r) => r.verdict === "pass") && budget.withinRto };
}

export function formatReport(report: DrillReport): string {
    const b = report.budget;
    const lines = [`Failover drill of stack ${report.stack}: ${report.ok ? "every scenario reached its verdict" : "FAILED"}`, ""];
    for (const s of report.scenarios) {
        lines.push(`${s.verdict === "pass" ? "PASS" : "FAIL"}  ${s.name}: ${s.description}`);
        lines.push(
            `      outcomes ${s.outcomes.join(", ")}; promotions ${s.promotions}${s.sequence.length > 1 ? ` (${s.sequence.join(", ")})` : ""}; pointers at ${s.pointersAt} (active-region: primary region ${s.activeRegionCopies.primary}, DR region ${s.activeRegionCopies.dr}); ${s.notifications} notifications; ${s.totalMs} ms on the handler's clock, ${s.wallMs} ms real, ${s.overheadMs} ms outside AWS calls`,
        );
        if (s.evidence !== undefined) {
            lines.push(
                `      run ${s.evidence.runId}: report ${s.evidence.reportWritten ? s.evidence.reportKey : "NOT WRITTEN"}; RTO ${s.evidence.rtoMs !== undefined ? `${s.evidence.rtoMs} ms` : "-"}; data-loss window ${s.evidence.dataLossWindowMs !== undefined ? `${s.evidence.dataLossWindowMs} ms` : "-"}${s.evidence.lostWritesSnapshot !== undefined ? `; lost writes kept in ${s.evidence.lostWritesSnapshot}` : ""}`,
            );
        }
        if (s.application !== undefined) {
            lines.push(
                s.application.state === "healthy"
                    ? `      application healthy at ${s.application.healthyAt ?? "?"}: ${s.application.detail}; applicationHealthyMs ${s.applicationHealthyMs ?? "-"} (first failure signal to the synthetic request answered)`
                    : `      APPLICATION PENDING: ${s.application.detail}`,
            );
        }
        for (const p of s.problems) {
            lines.push(`      ! ${p}`);
        }
        for (const c of s.crashes ?? []) {
            lines.push(
                `      killed after ${c.after}: next run ${c.rerun}, promotions ${c.promotions}, pointers at ${c.pointersAt}, ${c.notifications} notifications`,
            );
        }
        if (s.name === "primary-down" && s.steps !== undefined) {
            for (const step of s.steps) {
                lines.push(
                    `      ${step.name.padEnd(16)} ${step.outcome.padEnd(8)} ${String(step.durationMs).padStart(6)} ms  ${step.detail.slice(0, 160)}`,
                );
            }
        }
    }
    lines.push(
        "",
        "Recovery-time budget (seconds):",
        `  detection          ${b.rto.detectionSeconds}  (alarm paths: health check ${b.rto.detectionPaths.healthCheckSeconds}, replication lag ${b.rto.detectionPaths.replicationLagAlarmSeconds}; then the detection window ${b.rto.detectionWindowSeconds})`,
        `  operator response  ${b.rto.operatorResponseSeconds}`,
        `  orchestration      ${b.rto.orchestrationSeconds}  (${b.rto.orchestrationSource}; the step deadlines allow ${b.configuredRtoSeconds - b.rtoSeconds + b.rto.orchestrationSeconds})`,
        `  promotion          ${b.rto.promotionSeconds}  (AWS: under a minute)`,
        `  DNS TTL            ${b.rto.dnsTtlSeconds}`,
        ...(b.rto.application !== null
            ? [
                  `  application        ${b.rto.application.totalSeconds}  (scale-out ${b.rto.application.scaleOutSeconds}, target health ${b.rto.application.targetHealthSeconds}, traffic metric ${b.rto.application.metricPeriodSeconds}, Route 53 check ${b.rto.application.healthCheckSeconds}, alias TTL ${b.rto.application.aliasTtlSeconds})`,
              ]
            : []),
        `  total              ${b.rtoSeconds} = ${formatSeconds(b.rtoSeconds)}  vs objective ${formatSeconds(b.objectiveRtoSeconds)}: ${b.withinRto ? "within" : "EXCEEDED"}`,
        `  (with the step deadlines instead of the measurement: ${formatSeconds(b.configuredRtoSeconds)})`,
        `Data-loss budget: ${rpoBudgetText(b)} (database ${databaseRpoText(b)}, objects ${objectStorageRpoText(b)}, global tables ${globalTableRpoText(b)}) vs objective ${formatSeconds(b.objectiveRpoSeconds)}; restore from backup ${formatSeconds(b.backupRpoSeconds)}`,
    );
    return `${lines.join("\n")}\n`;
}

/** The JSON the drill prints with --json. */
export function jsonReport(report: DrillReport): Record<string, unknown> {
    return {
        stack: report.stack,
        ok: report.ok,
        scenarios: report.scenarios.map((s) => ({
            name: s.name,
            expected: s.expected,
            verdict: s.verdict,
            problems: s.problems,
            outcomes: s.outcomes,
            promotions: s.promotions,
            sequence: s.sequence,
            pointersAt: s.pointersAt,
            activeRegionCopies: s.activeRegionCopies,
            notifications: s.notifications,
            totalMs: s.totalMs,
            wallMs: s.wallMs,
            overheadMs: s.overheadMs,
            ...(s.steps !== undefined ? { steps: s.steps.map(({ name, start, durationMs }) => ({ name, start, durationMs })) } : {}),
            ...(s.crashes !== undefined ? { crashes: s.crashes } : {}),
            ...(s.evidence !== undefined ? { evidence: s.evidence } : {}),
            ...(s.application !== undefined ? { application: s.application } : {}),
            ...(s.applicationHealthyMs !== undefined ? { applicationHealthyMs: s.applicationHealthyMs } : {}),
        })),
        budget: report.budget,
    };
}

export async function main(argv: readonly string[]): Promise<number> {
    let values: { stack?: string; scenario?: string; json?: boolean; help?: boolean };
    try {
        ({ values } = parseArgs({
            args: [...argv],
            options: { stack: { type: "string" }, scenario: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
            strict: true,
            allowPositionals: false,
        }));
    } catch (error) {
        process.stderr.write(`drill: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
        return EXIT.usage;
    }
    if (values.help === true) {
        process.stdout.write(USAGE);
        return EXIT.ok;
    }
    if (values.stack === undefined) {
        process.stderr.write(`drill: --stack is required\n${USAGE}`);
        return EXIT.usage;
    }
    const scenario = values.scenario ?? "all";
    if (scenario !== "all" && !(SCENARIOS as readonly string[]).includes(scenario)) {
        process.stderr.write(`drill: --scenario must be one of ${SCENARIOS.join(", ")} or all, not "${scenario}"\n`);
        return EXIT.usage;
    }
    const parsed = parseStackConfig(readStackFile(stackFilePath(values.stack)), values.stack);
    if (!parsed.ok) {
        process.stderr.write(
            `drill: Pulumi.${values.stack}.yaml is not valid:\n${parsed.issues.map((i) => `  ${formatIssue(i)}`).join("\n")}\n`,
        );
        return EXIT.usage;
    }
    const unavailable = motoUnavailableReason();
    if (unavailable !== undefined) {
        process.stderr.write(`drill: ${unavailable}\n`);
        return EXIT.error;
    }
    if (scenario !== "all" && !scenariosFor(parsed.config).includes(scenario as ScenarioName)) {
        process.stderr.write(
            `drill: --scenario ${scenario} needs a stack with an application tier; Pulumi.${values.stack}.yaml has no healthcare-dr:application\n`,
        );
        return EXIT.usage;
    }
    const report = await runDrill(parsed.config, {
        scenarios: scenario === "all" ? scenariosFor(parsed.config) : [scenario as ScenarioName],
    });
    process.stdout.write(values.json === true ? `${JSON.stringify(jsonReport(report), null, 2)}\n` : formatReport(report));
    return report.ok ? EXIT.ok : EXIT.failed;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit only once stdout has drained: process.exit() right after a large write to a pipe cuts the output.
        (code) => process.stdout.write("", () => process.exit(code)),
        (error: unknown) => {
            process.stderr.write(`drill: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(EXIT.error);
        },
    );
}
