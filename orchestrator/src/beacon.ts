/**
 * The beacon (`beaconRuleName(stack)`, BEACON_SCHEDULE): every minute, in each region, the orchestrator publishes in
 * its OWN region the two metrics the application's DNS records follow (lib/application.ts), from local state only:
 * - ServingReady{self} = 1 when this region is the active one by its own `active-region`, its cluster is the global
 *   writer, and its application answers (running tasks, a healthy target, the synthetic request 2xx); 0 otherwise;
 * - PeerFenced{peer} = 1 while this region is the active one, 0 otherwise.
 * When active it also records the capacity the peer must reach on arrival (`capacityItemKey(self)`: its running count
 * and its cluster's 24 h Serverless capacity peak) in its own lock table and, best effort, in the peer's.
 * It never changes capacity, and a read that fails makes ServingReady 0 (never a 1 it did not see).
 */
import { APPLICATION_METRICS } from "../../lib/application";
import { NOTIFY_RESERVE_SECONDS } from "../../lib/failover";
import {
    applicationProblems,
    AURORA_PEAK_LOOKBACK_SECONDS,
    beaconValues,
    describeView,
    lookAtApplication,
    putTrafficMetrics,
    writeCapacityRecord,
    type ApplicationDeps,
} from "./application";
import { clusterMetric, describeGlobalCluster, readParameter, roleOf } from "./aws";
import { RequestLog, type AwsClients } from "./clients";
import type { RuntimeConfig } from "./config";
import { Deadline } from "./deadline";
import { errorCode } from "./errors";
import type { Logger, RunResult } from "./orchestrate";
import { Timeline } from "./timeline";

/** The best-effort copy of the capacity record to the peer's lock table: one short try (that region may be down). */
export const PEER_CAPACITY_WRITE_MS = 3_000;

export interface BeaconReport {
    readonly servingReady: 0 | 1;
    readonly peerFenced: 0 | 1;
    readonly detail: string;
    /** Set when this region is active: the capacity recorded (and where). */
    readonly recorded?: string;
}

/** One tick of the beacon (see the module comment). */
export async function beaconTick(
    config: RuntimeConfig,
    deps: { readonly clients: AwsClients; readonly now: () => number },
    deadline: Deadline,
): Promise<BeaconReport> {
    const { clients, now } = deps;
    const { self, peer } = config;
    const app = config.application;
    if (app === undefined) {
        throw new Error("the beacon runs only for a stack with an application tier (APPLICATION_PARAMETERS)");
    }
    const problems: string[] = [];
    const [active, global] = await Promise.all([
        deadline
            .call("GetParameter", (abortSignal) => readParameter(clients.ssm(self.region), config.activeRegionParameter, { abortSignal }))
            .catch((error: unknown) => {
                problems.push(`${config.activeRegionParameter} could not be read (${errorCode(error)})`);
                return undefined;
            }),
        deadline
            .call("DescribeGlobalClusters", (abortSignal) =>
                describeGlobalCluster(clients.rds(self.region), config.globalClusterId, { abortSignal }),
            )
            .catch((error: unknown) => {
                problems.push(`the global cluster could not be read (${errorCode(error)})`);
                return undefined;
            }),
    ]);
    const isActive = active === self.region;
    const writer = global !== undefined && roleOf(global, self.arn) === "writer";
    let healthy = false;
    let runningCount: number | undefined;
    if (isActive) {
        const appDeps: ApplicationDeps = { config: { ...config, application: app }, clients };
        const view = await lookAtApplication(appDeps, deadline);
        runningCount = view.runningCount;
        const appProblems = applicationProblems(view, 1);
        healthy = appProblems.length === 0;
        problems.push(...(healthy ? [] : [describeView(view)]));
        if (!writer && global !== undefined) {
            problems.push(`the ${self.region} cluster is ${roleOf(global, self.arn)}, not the writer`);
        }
    }
    const values = beaconValues({ active: isActive, writer, healthy });
    const M = APPLICATION_METRICS;
    await deadline.call("PutMetricData", (abortSignal) =>
        putTrafficMetrics(
            clients.cloudwatch(self.region),
            config.stack,
            [
                { name: M.servingReady, region: self.region, value: values.servingReady },
                { name: M.peerFenced, region: peer.region, value: values.peerFenced },
            ],
            new Date(now()),
            { abortSignal },
        ),
    );
    const recorded = isActive && runningCount !== undefined ? await recordCapacity(config, deps, deadline, runningCount) : undefined;
    const state = isActive ? `active${writer ? ", writer" : ""}` : `standby (active-region ${active ?? "unknown"})`;
    return {
        ...values,
        detail: `${self.region} ${state}: ServingReady{${self.region}}=${values.servingReady}, PeerFenced{${peer.region}}=${values.peerFenced}${problems.length > 0 ? ` (${problems.join("; ")})` : ""}`,
        ...(recorded !== undefined ? { recorded } : {}),
    };
}

/** The capacity record of an active region: its own table (required), the peer's (best effort). */
async function recordCapacity(
    config: RuntimeConfig,
    deps: { readonly clients: AwsClients; readonly now: () => number },
    deadline: Deadline,
    runningCount: number,
): Promise<string> {
    const { clients, now } = deps;
    const { self, peer } = config;
    const at = now();
    // The peak of the last 24 h; unknown (no data, or unreadable) records 0, and the arrival then keeps its own minimum.
    const points = await deadline
        .call("GetMetricData (capacity peak)", (abortSignal) =>
            clusterMetric(
                clients.cloudwatch(self.region),
                "ServerlessDatabaseCapacity",
                self.identifier,
                { start: new Date(at - AURORA_PEAK_LOOKBACK_SECONDS * 1000), end: new Date(at) },
                { abortSignal },
            ),
        )
        .catch(() => []);
    const auroraPeakAcu = points.reduce((max, p) => (Number.isFinite(p.value) ? Math.max(max, p.value) : max), 0);
    const record = { runningCount, auroraPeakAcu, recordedAt: new Date(at).toISOString() };
    await deadline.call("PutItem (capacity)", (abortSignal) =>
        writeCapacityRecord(clients.dynamodb(self.region), config.lockTable, self.region, record, { abortSignal }),
    );
    const peerDeadline = deadline.child(`the ${peer.region} capacity record`, PEER_CAPACITY_WRITE_MS);
    const copy = await peerDeadline
        .call(`PutItem (capacity) in ${peer.region}`, (abortSignal) =>
            writeCapacityRecord(clients.dynamodb(peer.region), config.lockTable, self.region, record, { abortSignal }),
        )
        .then(
            () => `and in ${peer.region}`,
            (error: unknown) => `not in ${peer.region} (${errorCode(error)})`,
        );
    return `capacity recorded: ${runningCount} tasks, peak ${auroraPeakAcu} ACU, in ${self.region} ${copy}`;
}

/** The scheduled tick as the handler returns it: one `beacon` step, outcome `beacon`, no run record (one a minute). */
export async function beaconRun(
    config: RuntimeConfig,
    deps: { readonly clients: AwsClients; readonly now: () => number; readonly logger: Logger },
    invocation: { readonly remainingMs: number },
): Promise<RunResult & { readonly beacon?: BeaconReport }> {
    const { now, logger } = deps;
    const timeline = new Timeline(now);
    const deadline = new Deadline(now, now() + invocation.remainingMs - NOTIFY_RESERVE_SECONDS * 1000, "the beacon");
    const log = new RequestLog(now);
    let report: BeaconReport | undefined;
    await log.capture(() =>
        timeline.step("beacon", async () => {
            report = await beaconTick(config, deps, deadline);
            return { outcome: "done", detail: [report.detail, report.recorded].filter((d) => d !== undefined).join("; ") };
        }),
    );
    const message = `beacon: ${report!.detail}${report!.recorded !== undefined ? `; ${report!.recorded}` : ""}`;
    logger.info("beacon finished", { message });
    return { outcome: "beacon", dryRun: false, message, timeline: timeline.entries, totalMs: timeline.totalMs, beacon: report! };
}
