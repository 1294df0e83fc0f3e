/**
 * The evidence that the peer region, which holds the writer, is lost, as the function in the other region sees it
 * (every name here is from the function's side: "own" is its region, "peer" the other). A single probe, a timeout or
 * a transitional status is not evidence: each signal (lib/failover.ts FAILOVER_SIGNALS) is read PROBES_PER_WINDOW
 * times spread over the detection window, and says "down" only when every reading over the window says so. One
 * reading that the peer is serving makes it "up"; anything else (throttling, this function unable to reach anything)
 * is "unknown". An unplanned failover needs `quorum` signals "down", and no reading in which the peer's own RDS API
 * answered that its cluster is there (a veto: two CloudWatch reads share a cause, and missing metric data may be
 * CloudWatch's delay, so it is "unknown"); the same signals are read again immediately before the act step.
 *
 * The control probe tells "the peer is down" from "I cannot reach anything": it goes out the same way as the probes
 * of the peer region (this region's NAT gateway) to Route 53. A probe of the peer that fails in a round where the
 * control probe failed too says nothing about the peer.
 */
import { FAILOVER_SIGNALS, REPLICATION_LAG_ALARM, type FailoverSignal } from "../../lib/failover";
import { clusterMetric, describeCluster, readRecord } from "./aws";
import type { AwsClients } from "./clients";
import type { RuntimeConfig } from "./config";
import { sleepWithin, type Deadline } from "./deadline";
import { errorCode, errorMessage, isThrottling } from "./errors";

export type Verdict = "down" | "up" | "unknown";

/**
 * Aurora cluster statuses in which the writer still serves, or is in a transition that is not a failure (a
 * failover or a maintenance under way): none of them is evidence of a lost writer.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Aurora.Status
 */
export const NOT_FAILED_CLUSTER_STATUSES = [
    "available",
    "backing-up",
    "backtracking",
    "failing-over",
    "maintenance",
    "migrating",
    "modifying",
    "promoting",
    "renaming",
    "resetting-master-credentials",
    "storage-optimization",
    "update-iam-db-auth",
    "upgrading",
    "creating",
    "starting",
    "rebooting",
    "switching-over",
] as const;

/** Statuses in which the writer serves writes (a switchover needs one). */
export const SERVING_CLUSTER_STATUSES = [
    "available",
    "backing-up",
    "modifying",
    "upgrading",
    "maintenance",
    "storage-optimization",
] as const;

/**
 * How far back the metric signals look: the replication-lag alarm's evaluation range (3 one-minute periods). Both
 * metrics are published every minute while the clusters run (`ServerlessDatabaseCapacity` whatever the load).
 */
export const METRIC_LOOKBACK_SECONDS = REPLICATION_LAG_ALARM.periodSeconds * REPLICATION_LAG_ALARM.evaluationPeriods;

/** One reading of one signal. */
export interface Reading {
    readonly verdict: Verdict;
    readonly detail: string;
}

/** What one round of probes found. */
export interface Round {
    readonly at: number;
    readonly control: boolean;
    readonly readings: Readonly<Record<FailoverSignal, Reading>>;
    /** The peer cluster's status, when its region answered. */
    readonly peerStatus?: string;
}

export interface SignalSummary {
    readonly signal: FailoverSignal;
    readonly verdict: Verdict;
    /** The readings, oldest first, for the run record and the notification. */
    readonly readings: readonly string[];
}

export interface Evidence {
    /** The region whose loss the signals are about: the peer of the function that read them. */
    readonly peerRegion: string;
    readonly signals: readonly SignalSummary[];
    readonly down: number;
    readonly quorum: number;
    /** True when at least `quorum` signals say "down" over the whole window. */
    readonly quorumMet: boolean;
    /**
     * True when the peer region's RDS API answered, in any round, that the peer cluster exists in a status that is not
     * a failure: the peer is there, whatever the other signals say, so an unplanned failover is vetoed.
     */
    readonly peerAnswered: boolean;
    /** True when the peer cluster answered as serving writes in the last round. */
    readonly peerServing: boolean;
    readonly peerStatus?: string;
    /** Milliseconds between the first and the last round. */
    readonly spanMs: number;
    readonly rounds: number;
}

export interface SignalDependencies {
    readonly clients: AwsClients;
    readonly now: () => number;
    readonly sleep: (ms: number) => Promise<void>;
}

/** Combines the readings of one signal over the window. Pure. */
export function combine(readings: readonly Verdict[]): Verdict {
    if (readings.length === 0) {
        return "unknown";
    }
    if (readings.includes("up")) {
        return "up";
    }
    return readings.every((r) => r === "down") ? "down" : "unknown";
}

/**
 * The evidence from the rounds read. Pure. The quorum is met only when the rounds span `requiredSpanMs` (the whole
 * detection window): a window cut short by a deadline is not enough evidence.
 */
export function evaluate(rounds: readonly Round[], quorum: number, peerRegion: string, requiredSpanMs = 0): Evidence {
    const signals = FAILOVER_SIGNALS.map((signal) => ({
        signal,
        verdict: combine(rounds.map((r) => r.readings[signal].verdict)),
        readings: rounds.map((r) => `${new Date(r.at).toISOString()} ${r.readings[signal].verdict}: ${r.readings[signal].detail}`),
    }));
    const down = signals.filter((s) => s.verdict === "down").length;
    const peerAnswered = rounds.some((r) => r.readings["peer-rds-api"].verdict === "up");
    const last = rounds[rounds.length - 1];
    const spanMs = rounds.length > 1 ? last!.at - rounds[0]!.at : 0;
    return {
        peerRegion,
        signals,
        down,
        quorum,
        quorumMet: down >= quorum && !peerAnswered && rounds.length > 0 && spanMs >= requiredSpanMs,
        peerAnswered,
        peerServing: last?.peerStatus !== undefined && (SERVING_CLUSTER_STATUSES as readonly string[]).includes(last.peerStatus),
        ...(last?.peerStatus !== undefined ? { peerStatus: last.peerStatus } : {}),
        spanMs,
        rounds: rounds.length,
    };
}

/**
 * Reads the signals `probes` times, spread evenly over `windowSeconds` (one round when `probes` is 1). The window is
 * always read whole, so that the evidence recorded does not depend on the outcome; only the deadline cuts it short,
 * and then the evidence is what was read (fewer rounds, a shorter span: never more "down" than was seen).
 */
export async function gatherEvidence(
    config: RuntimeConfig,
    deps: SignalDependencies,
    deadline: Deadline,
    options: { readonly windowSeconds: number; readonly probes: number },
): Promise<Evidence> {
    const rounds: Round[] = [];
    const intervalMs = options.probes > 1 ? (options.windowSeconds * 1000) / (options.probes - 1) : 0;
    for (let i = 0; i < options.probes; i++) {
        if (i > 0) {
            // Due times count from the first round's own time, so the rounds span the whole window, never less.
            const due = rounds[0]!.at + i * intervalMs - deps.now();
            if (due > 0 && !(await sleepWithin(deadline, due, deps.sleep))) {
                break;
            }
            if (deps.now() < rounds[0]!.at + i * intervalMs) {
                break; // the deadline cut the sleep short
            }
        }
        if (deadline.remainingMs() <= 0) {
            break;
        }
        rounds.push(await probeRound(config, deps, deadline, deps.now()));
    }
    return evaluate(rounds, config.quorum, config.peer.region, options.probes > 1 ? options.windowSeconds * 1000 : 0);
}

/** One round: the three signals and the control probe, read at the same time. */
export async function probeRound(
    config: RuntimeConfig,
    deps: SignalDependencies,
    deadline: Deadline,
    at: number = deps.now(),
): Promise<Round> {
    const [control, api, lag, metrics] = await Promise.all([
        controlProbe(config, deps, deadline),
        peerApi(config, deps, deadline),
        replicationLag(config, deps, deadline, at),
        peerMetrics(config, deps, deadline, at),
    ]);
    const reachable = (r: Outcome): Reading =>
        r.kind === "unreachable"
            ? control
                ? { verdict: "down", detail: `${r.detail} (the control probe through the same path answered)` }
                : { verdict: "unknown", detail: `${r.detail}, and the control probe failed too: this function cannot reach anything` }
            : r.reading;
    return {
        at,
        control,
        readings: { "peer-rds-api": reachable(api), "replication-lag": lag, "peer-metrics": reachable(metrics) },
        ...(api.kind === "answered" && api.status !== undefined ? { peerStatus: api.status } : {}),
    };
}

type Outcome =
    | { readonly kind: "answered"; readonly reading: Reading; readonly status?: string }
    | { readonly kind: "unreachable"; readonly detail: string };

/** Network errors, timeouts and 5xx: the region did not answer. Throttling is an answer. Pure. */
export function unreachableReason(error: unknown): string | undefined {
    if (isThrottling(error)) {
        return undefined;
    }
    const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
    if (status !== undefined && status < 500) {
        return undefined;
    }
    return `${errorCode(error)}: ${errorMessage(error)}`.slice(0, 300);
}

async function controlProbe(config: RuntimeConfig, deps: SignalDependencies, deadline: Deadline): Promise<boolean> {
    try {
        await deadline.call("the control probe (Route 53)", (abortSignal) =>
            readRecord(deps.clients.route53(), config.hostedZoneId, config.recordName, { abortSignal }),
        );
        return true;
    } catch (error) {
        // Any answer (throttling included: Route 53 allows five requests a second per account) proves the path works.
        return unreachableReason(error) === undefined;
    }
}

async function peerApi(config: RuntimeConfig, deps: SignalDependencies, deadline: Deadline): Promise<Outcome> {
    const { peer } = config;
    try {
        const cluster = await deadline.call(`DescribeDBClusters in ${peer.region}`, (abortSignal) =>
            describeCluster(deps.clients.rdsProbe(peer.region), peer, { abortSignal }),
        );
        if (cluster === undefined) {
            return {
                kind: "answered",
                reading: { verdict: "down", detail: `the ${peer.region} cluster ${peer.identifier} does not exist` },
            };
        }
        const failed = !(NOT_FAILED_CLUSTER_STATUSES as readonly string[]).includes(cluster.status);
        return {
            kind: "answered",
            status: cluster.status,
            reading: { verdict: failed ? "down" : "up", detail: `the ${peer.region} cluster is ${cluster.status}` },
        };
    } catch (error) {
        const reason = unreachableReason(error);
        if (reason === undefined) {
            return { kind: "answered", reading: { verdict: "unknown", detail: `the ${peer.region} RDS API answered ${errorCode(error)}` } };
        }
        return { kind: "unreachable", detail: `the ${peer.region} RDS API did not answer (${reason})` };
    }
}

async function replicationLag(config: RuntimeConfig, deps: SignalDependencies, deadline: Deadline, at: number): Promise<Reading> {
    try {
        const points = await deadline.call(`GetMetricData in ${config.self.region}`, (abortSignal) =>
            clusterMetric(
                deps.clients.cloudwatch(config.self.region),
                "AuroraGlobalDBReplicationLag",
                config.self.identifier,
                { start: new Date(at - METRIC_LOOKBACK_SECONDS * 1000), end: new Date(at) },
                { abortSignal },
            ),
        );
        const thresholdMs = config.replicationLagThresholdSeconds * 1000;
        if (points.length === 0) {
            // Missing data may be CloudWatch's own delay: not evidence either way.
            return { verdict: "unknown", detail: `no replication-lag data for ${METRIC_LOOKBACK_SECONDS} s` };
        }
        const latest = points[0]!;
        return latest.value > thresholdMs
            ? { verdict: "down", detail: `replication lag ${Math.round(latest.value)} ms, above ${thresholdMs} ms` }
            : { verdict: "up", detail: `replication lag ${Math.round(latest.value)} ms` };
    } catch (error) {
        return { verdict: "unknown", detail: `the ${config.self.region} CloudWatch answered ${errorCode(error)}` };
    }
}

async function peerMetrics(config: RuntimeConfig, deps: SignalDependencies, deadline: Deadline, at: number): Promise<Outcome> {
    const { peer } = config;
    try {
        const points = await deadline.call(`GetMetricData in ${peer.region}`, (abortSignal) =>
            clusterMetric(
                deps.clients.cloudwatchProbe(peer.region),
                "ServerlessDatabaseCapacity",
                peer.identifier,
                { start: new Date(at - METRIC_LOOKBACK_SECONDS * 1000), end: new Date(at) },
                { abortSignal },
            ),
        );
        return points.length === 0
            ? {
                  kind: "answered",
                  // Missing data may be CloudWatch's own delay: not evidence either way.
                  reading: {
                      verdict: "unknown",
                      detail: `the ${peer.region} cluster published no capacity for ${METRIC_LOOKBACK_SECONDS} s`,
                  },
              }
            : {
                  kind: "answered",
                  reading: { verdict: "up", detail: `the ${peer.region} cluster published capacity ${points[0]!.value} ACU` },
              };
    } catch (error) {
        const reason = unreachableReason(error);
        if (reason === undefined) {
            return {
                kind: "answered",
                reading: { verdict: "unknown", detail: `the ${peer.region} CloudWatch answered ${errorCode(error)}` },
            };
        }
        return { kind: "unreachable", detail: `the ${peer.region} CloudWatch did not answer (${reason})` };
    }
}

/** A line per signal, for the decision's reason and the notifications. Pure. */
export function describeEvidence(evidence: Evidence): string {
    return `${evidence.down} of ${evidence.signals.length} signals say the writer in ${evidence.peerRegion} is down (quorum ${evidence.quorum}) over ${Math.round(evidence.spanMs / 1000)} s and ${evidence.rounds} rounds: ${evidence.signals
        .map((s) => `${s.signal} ${s.verdict}`)
        .join(
            ", ",
        )}${evidence.peerAnswered && evidence.down >= evidence.quorum ? `; vetoed: the ${evidence.peerRegion} RDS API answered that its cluster is there` : ""}`;
}
