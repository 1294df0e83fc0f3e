/**
 * The application tier's runtime (lib/application.ts has the contract): what a run does to bring the application up
 * in the region taking over and move its traffic there, what the beacon publishes every minute, and the two aftercare
 * tasks that undo the arrival's temporary changes once they are no longer needed.
 *
 * Run steps (orchestrate.ts calls them under the lock, both for a failover and a switchover, so also for a failback):
 * - `capacity`, right after the lock, before the promotion: the own service's desiredCount raised to the arrival
 *   count (the peer's recorded runningCount, at least `app-active-count`, at most `app-max-count`), its scalable
 *   target's minimum raised to `app-min-count` (or target tracking would scale the new tasks back in), and the own
 *   Aurora Serverless v2 minimum raised to the peer's recorded 24 h peak (at most `db-max-capacity`), as ARC Region
 *   switch's Aurora Serverless block does. Only ever raises; each part reads first, so a resumed run changes nothing
 *   twice; the values before are kept in the run's marks. A failure pages but never blocks the data recovery.
 * - `application`, after the repoint: waits (bounded by the run's time) until the service runs the arrival count, the
 *   target group has a healthy target and a synthetic HTTPS request through the ALB with the application's Host/SNI
 *   answers 2xx. Not healthy in time: the run ends APPLICATION PENDING (the data recovery stands; the beacon moves the
 *   traffic as soon as the application answers).
 * - `traffic`: PutMetricData in its own region: ServingReady{self} = 1 when healthy (else 0), PeerFenced{peer} = 1.
 *
 * Every call goes to the function's own region, but the aftercare's scale-down of the old region (the peer), which
 * waits until that region answers. Nothing here calls Route 53.
 */
import {
    DescribeScalableTargetsCommand,
    RegisterScalableTargetCommand,
    type ApplicationAutoScalingClient,
} from "@aws-sdk/client-application-auto-scaling";
import { PutMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeServicesCommand, UpdateServiceCommand, type ECSClient } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeDBClustersCommand, ModifyDBClusterCommand, type RDSClient } from "@aws-sdk/client-rds";
import * as http from "http";
import * as https from "https";
import { APPLICATION_METRICS, capacityItemKey } from "../../lib/application";
import type { CallOptions } from "./aws";
import type { AwsClients } from "./clients";
import type { ApplicationRuntimeConfig, RuntimeConfig } from "./config";
import type { Deadline } from "./deadline";
import { errorCode, errorMessage } from "./errors";

/** The synthetic request's timeout: an ALB answers a health path in well under a second. */
export const SYNTHETIC_TIMEOUT_MS = 5_000;

/**
 * How often the application step reads the service, the target group and the synthetic request: the target group's
 * own health checks run every 5 to 300 s (ELB default 30 s), so faster polling learns nothing.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export const APPLICATION_POLL_SECONDS = 10;

/** Time of the run kept after the application step for the traffic, verify, notify and release steps. */
export const APPLICATION_RESERVE_SECONDS = 60;

/** The lookback of the Aurora Serverless capacity peak the beacon records: 24 h, as ARC Region switch uses. */
export const AURORA_PEAK_LOOKBACK_SECONDS = 86_400;

/**
 * How long after the traffic step the old region is left running before aftercare scales it down: the metric period,
 * the alarm's evaluation, three Route 53 health-check intervals of 30 s and the alias TTL (60 s) with room to spare,
 * so that no client still resolves the old region when its tasks stop.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
 */
export const STANDBY_SETTLE_SECONDS = 300;

/** The capacity the active region ran, as its beacon records it (`capacityItemKey(region)` in both lock tables). */
export interface CapacityRecord {
    readonly runningCount: number;
    /** The highest ServerlessDatabaseCapacity of its cluster over the last 24 h, ACU; 0 when unknown. */
    readonly auroraPeakAcu: number;
    readonly recordedAt: string;
}

// --- pure decisions -------------------------------------------------------------------------------------------------

/** The count the region taking over runs on arrival: the peer's recorded count, at least activeCount, at most maxCount. Pure. */
export function arrivalCount(app: Pick<ApplicationRuntimeConfig, "activeCount" | "maxCount">, recorded?: CapacityRecord): number {
    return Math.min(app.maxCount, Math.max(app.activeCount, recorded?.runningCount ?? 0));
}

/** The Aurora minimum on arrival: the recorded peak, never below the current minimum, never above the maximum. Pure. */
export function arrivalAcu(app: Pick<ApplicationRuntimeConfig, "dbMaxCapacity">, currentMin: number, recordedPeak?: number): number {
    // Serverless v2 capacity moves in steps of 0.5 ACU: the peak is rounded up to the next step.
    const peak = Math.ceil((recordedPeak ?? 0) * 2) / 2;
    return Math.min(app.dbMaxCapacity, Math.max(currentMin, peak));
}

/** What one look at the application found. */
export interface ApplicationView {
    readonly desiredCount?: number;
    readonly runningCount?: number;
    readonly healthyTargets?: number;
    readonly targets?: number;
    /** The synthetic request: its HTTP status, or why it got none. */
    readonly synthetic: { readonly status?: number; readonly error?: string };
    /** Reads that failed (the view is then not healthy). */
    readonly errors: readonly string[];
}

/** Why the application is not healthy yet (empty: healthy). Pure. */
export function applicationProblems(view: ApplicationView, target: number): string[] {
    const problems = [...view.errors];
    if (view.runningCount !== undefined && view.runningCount < target) {
        problems.push(`${view.runningCount} of ${target} tasks running`);
    }
    if (view.healthyTargets !== undefined && view.healthyTargets < 1) {
        problems.push(`no healthy target in the target group (${view.targets ?? 0} registered)`);
    }
    const s = view.synthetic;
    if (s.status === undefined) {
        problems.push(`the synthetic request got no answer (${s.error ?? "unknown"})`);
    } else if (s.status < 200 || s.status > 299) {
        problems.push(`the synthetic request answered ${s.status}`);
    }
    return problems;
}

/** The beacon's two values: ServingReady about itself, PeerFenced about its peer. Pure. */
export function beaconValues(state: { readonly active: boolean; readonly writer: boolean; readonly healthy: boolean }): {
    servingReady: 0 | 1;
    peerFenced: 0 | 1;
} {
    return { servingReady: state.active && state.writer && state.healthy ? 1 : 0, peerFenced: state.active ? 1 : 0 };
}

export function capacityToItem(region: string, record: CapacityRecord): Record<string, AttributeValue> {
    return {
        lockId: { S: capacityItemKey(region) },
        runningCount: { N: String(record.runningCount) },
        auroraPeakAcu: { N: String(record.auroraPeakAcu) },
        recordedAt: { S: record.recordedAt },
    };
}

/** The record as stored, or undefined when absent or malformed (then the configured counts apply). Pure. */
export function capacityFromItem(item: Record<string, AttributeValue> | undefined): CapacityRecord | undefined {
    const running = Number(item?.["runningCount"]?.N);
    const peak = Number(item?.["auroraPeakAcu"]?.N);
    const recordedAt = item?.["recordedAt"]?.S;
    if (!Number.isInteger(running) || running < 0 || !Number.isFinite(peak) || peak < 0 || recordedAt === undefined) {
        return undefined;
    }
    return { runningCount: running, auroraPeakAcu: peak, recordedAt };
}

// --- AWS reads and writes ---------------------------------------------------------------------------------------

export interface ServiceView {
    readonly desiredCount: number;
    readonly runningCount: number;
}

export async function describeService(
    ecs: ECSClient,
    app: Pick<ApplicationRuntimeConfig, "cluster" | "service">,
    options: CallOptions = {},
): Promise<ServiceView | undefined> {
    const out = await ecs.send(new DescribeServicesCommand({ cluster: app.cluster, services: [app.service] }), options);
    const found = out.services?.find((s) => s.serviceName === app.service && s.status !== "INACTIVE");
    return found === undefined ? undefined : { desiredCount: found.desiredCount ?? 0, runningCount: found.runningCount ?? 0 };
}

/**
 * Sets the service's desiredCount, sent once (no SDK retry); a failed call is read back: the count already set means
 * the call took effect and its answer was lost.
 */
export async function setDesiredCount(
    ecsOnce: ECSClient,
    ecsRead: ECSClient,
    app: Pick<ApplicationRuntimeConfig, "cluster" | "service">,
    count: number,
    deadline: Deadline,
    label = "UpdateService",
): Promise<string> {
    try {
        await deadline.call(label, (abortSignal) =>
            ecsOnce.send(new UpdateServiceCommand({ cluster: app.cluster, service: app.service, desiredCount: count }), { abortSignal }),
        );
        return "set";
    } catch (error) {
        const back = await deadline.call("DescribeServices (read back)", (abortSignal) => describeService(ecsRead, app, { abortSignal }));
        if (back?.desiredCount === count) {
            return `answered ${errorCode(error)}, read back: it took effect`;
        }
        throw error;
    }
}

/** The service's scalable target (`service/<cluster>/<service>`, ecs:service:DesiredCount). */
export function scalableTargetId(app: Pick<ApplicationRuntimeConfig, "cluster" | "service">): string {
    return `service/${app.cluster}/${app.service}`;
}

export async function describeScalableTarget(
    aas: ApplicationAutoScalingClient,
    app: Pick<ApplicationRuntimeConfig, "cluster" | "service">,
    options: CallOptions = {},
): Promise<{ readonly min: number; readonly max: number } | undefined> {
    const out = await aas.send(
        new DescribeScalableTargetsCommand({
            ServiceNamespace: "ecs",
            ResourceIds: [scalableTargetId(app)],
            ScalableDimension: "ecs:service:DesiredCount",
        }),
        options,
    );
    const t = out.ScalableTargets?.[0];
    return t === undefined ? undefined : { min: t.MinCapacity ?? 0, max: t.MaxCapacity ?? 0 };
}

/**
 * Sets the scalable target's minimum (its maximum unchanged). RegisterScalableTarget on an existing target updates it;
 * the call is idempotent (the same values again change nothing).
 * @see https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
 */
export async function setScalableMin(
    aas: ApplicationAutoScalingClient,
    app: Pick<ApplicationRuntimeConfig, "cluster" | "service">,
    min: number,
    max: number,
    options: CallOptions = {},
): Promise<void> {
    await aas.send(
        new RegisterScalableTargetCommand({
            ServiceNamespace: "ecs",
            ResourceId: scalableTargetId(app),
            ScalableDimension: "ecs:service:DesiredCount",
            MinCapacity: min,
            MaxCapacity: Math.max(min, max),
        }),
        options,
    );
}

/** Healthy and registered targets of the target group. */
export async function targetHealth(
    elbv2: ElasticLoadBalancingV2Client,
    targetGroupArn: string,
    options: CallOptions = {},
): Promise<{ readonly healthy: number; readonly targets: number }> {
    const out = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), options);
    const all = out.TargetHealthDescriptions ?? [];
    return { healthy: all.filter((t) => t.TargetHealth?.State === "healthy").length, targets: all.length };
}

/** The cluster's Serverless v2 scaling configuration, ACU. */
export async function dbScaling(
    rds: RDSClient,
    identifier: string,
    options: CallOptions = {},
): Promise<{ readonly min: number; readonly max: number } | undefined> {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }), options);
    const c = out.DBClusters?.[0]?.ServerlessV2ScalingConfiguration;
    return c?.MinCapacity === undefined ? undefined : { min: c.MinCapacity, max: c.MaxCapacity ?? c.MinCapacity };
}

/**
 * Sets the cluster's Serverless v2 minimum (applied at once; the maximum kept), sent once and read back on failure.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html
 */
export async function setDbMinCapacity(
    rdsOnce: RDSClient,
    rdsRead: RDSClient,
    identifier: string,
    min: number,
    max: number,
    deadline: Deadline,
): Promise<string> {
    try {
        await deadline.call("ModifyDBCluster", (abortSignal) =>
            rdsOnce.send(
                new ModifyDBClusterCommand({
                    DBClusterIdentifier: identifier,
                    ServerlessV2ScalingConfiguration: { MinCapacity: min, MaxCapacity: Math.max(min, max) },
                    ApplyImmediately: true,
                }),
                { abortSignal },
            ),
        );
        return "set";
    } catch (error) {
        const back = await deadline.call("DescribeDBClusters (read back)", (abortSignal) =>
            dbScaling(rdsRead, identifier, { abortSignal }),
        );
        if (back?.min === min) {
            return `answered ${errorCode(error)}, read back: it took effect`;
        }
        throw error;
    }
}

export async function readCapacityRecord(
    dynamodb: DynamoDBClient,
    table: string,
    region: string,
    options: CallOptions = {},
): Promise<CapacityRecord | undefined> {
    const out = await dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { lockId: { S: capacityItemKey(region) } }, ConsistentRead: true }),
        options,
    );
    return capacityFromItem(out.Item);
}

export async function writeCapacityRecord(
    dynamodb: DynamoDBClient,
    table: string,
    region: string,
    record: CapacityRecord,
    options: CallOptions = {},
): Promise<void> {
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: capacityToItem(region, record) }), options);
}

/** Publishes the traffic metrics (APPLICATION_METRICS) in the function's own region, one call. */
export async function putTrafficMetrics(
    cloudwatch: CloudWatchClient,
    stack: string,
    values: readonly { readonly name: string; readonly region: string; readonly value: number }[],
    at: Date,
    options: CallOptions = {},
): Promise<void> {
    const M = APPLICATION_METRICS;
    await cloudwatch.send(
        new PutMetricDataCommand({
            Namespace: M.namespace,
            MetricData: values.map((v) => ({
                MetricName: v.name,
                Dimensions: [
                    { Name: M.dimensions.stack, Value: stack },
                    { Name: M.dimensions.region, Value: v.region },
                ],
                Value: v.value,
                Unit: "Count",
                Timestamp: at,
            })),
        }),
        options,
    );
}

/**
 * The synthetic request: GET of the check URL through the ALB, with the application's name as the Host header and the
 * TLS server name, the certificate verified against that name (Node's default CA store and `checkServerIdentity`,
 * which use `servername`), a short timeout; only a 2xx counts. Plain http only reaches a loopback host (config.ts).
 * @see https://nodejs.org/api/https.html#httpsrequestoptions-callback (servername)
 */
export function syntheticRequest(
    url: string,
    host: string,
    options: { readonly timeoutMs?: number; readonly abortSignal?: AbortSignal } = {},
): Promise<{ readonly status?: number; readonly error?: string }> {
    const target = new URL(url);
    const timeoutMs = options.timeoutMs ?? SYNTHETIC_TIMEOUT_MS;
    return new Promise((resolve) => {
        const done = (r: { status?: number; error?: string }) => {
            clearTimeout(timer);
            resolve(r);
        };
        const common = { method: "GET", headers: { Host: host, "User-Agent": "healthcare-dr-orchestrator" }, timeout: timeoutMs };
        const request =
            target.protocol === "https:"
                ? https.request(target, { ...common, servername: host, rejectUnauthorized: true })
                : http.request(target, common);
        const timer = setTimeout(() => {
            request.destroy(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        options.abortSignal?.addEventListener("abort", () => request.destroy(new Error("aborted")), { once: true });
        request.on("response", (res) => {
            res.resume();
            done({ status: res.statusCode ?? 0 });
        });
        request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        request.on("error", (error) => done({ error: `${errorCode(error)}: ${errorMessage(error)}`.slice(0, 200) }));
        request.end();
    });
}

// --- what a look at the application reads ---------------------------------------------------------------------------

export interface ApplicationDeps {
    readonly config: RuntimeConfig & { readonly application: ApplicationRuntimeConfig };
    readonly clients: AwsClients;
}

/** One look at the own region's application: the service, the target group and the synthetic request, together. */
export async function lookAtApplication({ config, clients }: ApplicationDeps, deadline: Deadline): Promise<ApplicationView> {
    const app = config.application;
    const region = config.self.region;
    const errors: string[] = [];
    const failed = (what: string) => (error: unknown) => {
        errors.push(`${what}: ${errorCode(error)}`);
        return undefined;
    };
    const [service, health, synthetic] = await Promise.all([
        deadline
            .call("DescribeServices", (abortSignal) => describeService(clients.ecs(region), app, { abortSignal }))
            .catch(failed("DescribeServices")),
        deadline
            .call("DescribeTargetHealth", (abortSignal) => targetHealth(clients.elbv2(region), app.targetGroupArn, { abortSignal }))
            .catch(failed("DescribeTargetHealth")),
        syntheticRequest(app.checkUrl, app.host, { timeoutMs: Math.min(SYNTHETIC_TIMEOUT_MS, deadline.callBudgetMs()) }),
    ]);
    if (service === undefined && errors.every((e) => !e.startsWith("DescribeServices"))) {
        errors.push(`the service ${app.cluster}/${app.service} does not exist in ${region}`);
    }
    return {
        ...(service !== undefined ? { desiredCount: service.desiredCount, runningCount: service.runningCount } : {}),
        ...(health !== undefined ? { healthyTargets: health.healthy, targets: health.targets } : {}),
        synthetic,
        errors,
    };
}

export function describeView(view: ApplicationView): string {
    const parts = [
        view.runningCount !== undefined ? `${view.runningCount}/${view.desiredCount ?? "?"} tasks running` : undefined,
        view.healthyTargets !== undefined ? `${view.healthyTargets}/${view.targets ?? 0} targets healthy` : undefined,
        view.synthetic.status !== undefined
            ? `synthetic request ${view.synthetic.status}`
            : `synthetic request failed (${view.synthetic.error})`,
        ...view.errors,
    ];
    return parts.filter((p) => p !== undefined).join(", ");
}

// --- the capacity step ------------------------------------------------------------------------------------------------

export interface CapacityOutcome {
    readonly detail: string;
    /** Marks for the run record (the values before, the values set); the first invocation's values before are kept. */
    readonly marks: Record<string, string>;
    /** What could not be done (paged; the data recovery goes on). */
    readonly problems: readonly string[];
    /** The count the application step waits for. */
    readonly target: number;
}

/** The capacity step (see the module comment): only raises; reads first; every part on its own. */
export async function raiseCapacity(
    deps: ApplicationDeps,
    deadline: Deadline,
    marks: Readonly<Record<string, string>>,
    now: () => number,
): Promise<CapacityOutcome> {
    const { config, clients } = deps;
    const app = config.application;
    const region = config.self.region;
    const out: Record<string, string> = {};
    const done: string[] = [];
    const problems: string[] = [];
    const keep = (key: string, value: string) => {
        if (marks[key] === undefined) {
            out[key] = value;
        }
    };
    let recorded: CapacityRecord | undefined;
    try {
        recorded = await deadline.call("GetItem (capacity)", (abortSignal) =>
            readCapacityRecord(clients.dynamodb(region), config.lockTable, config.peer.region, { abortSignal }),
        );
    } catch (error) {
        problems.push(
            `the recorded capacity of ${config.peer.region} could not be read (${errorCode(error)}): the configured counts apply`,
        );
    }
    const target = arrivalCount(app, recorded);
    out["capacityTarget"] = String(target);
    if (recorded !== undefined) {
        keep("capacityRecordedAt", recorded.recordedAt);
    }
    // The service's desired count.
    try {
        const service = await deadline.call("DescribeServices", (abortSignal) =>
            describeService(clients.ecs(region), app, { abortSignal }),
        );
        if (service === undefined) {
            throw Object.assign(new Error(`the service ${app.cluster}/${app.service} does not exist`), {
                name: "ServiceNotFoundException",
            });
        }
        keep("capacityDesiredBefore", String(service.desiredCount));
        if (service.desiredCount >= target) {
            done.push(`desiredCount ${service.desiredCount} (≥ ${target})`);
        } else {
            const how = await setDesiredCount(clients.ecsOnce(region), clients.ecs(region), app, target, deadline);
            done.push(`desiredCount ${service.desiredCount} -> ${target}${how === "set" ? "" : ` (${how})`}`);
        }
    } catch (error) {
        problems.push(`the service's desiredCount could not be raised to ${target}: ${errorCode(error)}: ${errorMessage(error)}`);
    }
    // The scalable target's minimum.
    try {
        const scalable = await deadline.call("DescribeScalableTargets", (abortSignal) =>
            describeScalableTarget(clients.autoscaling(region), app, { abortSignal }),
        );
        if (scalable === undefined) {
            done.push("no scalable target");
        } else {
            keep("capacityMinBefore", String(scalable.min));
            if (scalable.min >= app.minCount) {
                done.push(`scalable min ${scalable.min} (≥ ${app.minCount})`);
            } else {
                await deadline.call("RegisterScalableTarget", (abortSignal) =>
                    setScalableMin(clients.autoscaling(region), app, app.minCount, Math.max(scalable.max, app.maxCount), { abortSignal }),
                );
                done.push(`scalable min ${scalable.min} -> ${app.minCount}`);
            }
        }
    } catch (error) {
        problems.push(`the scalable target's minimum could not be raised to ${app.minCount}: ${errorCode(error)}: ${errorMessage(error)}`);
    }
    // The Aurora Serverless v2 minimum.
    try {
        const scaling = await deadline.call("DescribeDBClusters (scaling)", (abortSignal) =>
            dbScaling(clients.rds(region), config.self.identifier, { abortSignal }),
        );
        if (scaling === undefined) {
            done.push("no Serverless v2 scaling on the cluster");
        } else {
            keep("dbMinBefore", String(scaling.min));
            const acu = arrivalAcu(app, scaling.min, recorded?.auroraPeakAcu);
            if (acu <= scaling.min) {
                done.push(`Aurora min ${scaling.min} ACU (recorded peak ${recorded?.auroraPeakAcu ?? "unknown"})`);
            } else {
                const how = await setDbMinCapacity(
                    clients.rdsOnce(region),
                    clients.rds(region),
                    config.self.identifier,
                    acu,
                    scaling.max,
                    deadline,
                );
                out["dbRaisedTo"] = String(acu);
                out["dbRaisedAt"] = new Date(now()).toISOString();
                done.push(`Aurora min ${scaling.min} -> ${acu} ACU${how === "set" ? "" : ` (${how})`}`);
            }
        }
    } catch (error) {
        problems.push(`the Aurora minimum capacity could not be raised: ${errorCode(error)}: ${errorMessage(error)}`);
    }
    if (problems.length > 0) {
        out["capacityProblem"] = problems.join("; ").slice(0, 500);
    }
    const source =
        recorded !== undefined
            ? `recorded ${recorded.recordedAt}: ${recorded.runningCount} tasks, peak ${recorded.auroraPeakAcu} ACU`
            : "no recorded capacity";
    return {
        detail: `${done.join("; ")} (${source})${problems.length > 0 ? `; NOT DONE: ${problems.join("; ")}` : ""}`,
        marks: out,
        problems,
        target,
    };
}
