/**
 * Lost writes: after an unplanned failover the old writer may hold commits the promoted cluster never received (the
 * data-loss window). They are kept, so that they can be compared with the new writer and re-applied by hand:
 *
 * - A run that completes an unplanned failover (FailoverGlobalCluster with AllowDataLoss), or a break-glass, opens an
 *   obligation in its region's lock table: the item `aftercare#<globalClusterId>`, attribute `lostWrites`, one entry
 *   per run (`openLostWrites`). The obligation stays in the region that ran the failover, which is the one that
 *   survived (static stability: nothing is needed from the impaired region to remember it).
 * - The aftercare schedule (AFTERCARE_SCHEDULE) runs `lostWritesTask`, which only touches the old writer's region,
 *   and only when it answers (short timeouts, one attempt per run, retried by the schedule):
 *   - after a managed failover: Aurora tries to snapshot the old writer as
 *     `rds:unplanned-global-failover-<cluster>-<timestamp>` (an automated snapshot, which expires with the cluster's
 *     backup retention). The task finds the one newer than the failover and copies it to a manual snapshot
 *     `lostWritesSnapshotName(cluster, runId)` in the same region, encrypted with that region's key (`peerKmsKeyArn`);
 *   - after a break-glass (a detach: AWS takes no such snapshot) it snapshots the fenced old cluster directly, under the
 *     same name.
 *   Idempotent: an existing snapshot of that name is found, never made twice; a write whose answer is lost is read
 *   back. When the snapshot is available, its id goes into the run record and a supplementary report object
 *   (`<report>-lost-writes-<time>.json`, a new object each time: nothing is overwritten), and the entry is closed.
 * - AWS only "tries" to take the snapshot: if none has appeared LOST_WRITES_SNAPSHOT_WAIT_SECONDS after the old region
 *   first answered, the task pages once, records `missing` and closes the entry.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterSnapshot.html
 */
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
    CopyDBClusterSnapshotCommand,
    CreateDBClusterSnapshotCommand,
    DescribeDBClusterSnapshotsCommand,
    type DBClusterSnapshot,
    type RDSClient,
} from "@aws-sdk/client-rds";
import { aftercareItemKey, lostWritesSnapshotName, RUNS_TABLE_KEYS, UNPLANNED_FAILOVER_SNAPSHOT_PREFIX } from "../../lib/failover";
import { RequestLog, type AwsClients, type RequestEntry } from "./clients";
import type { RuntimeConfig } from "./config";
import type { Deadline } from "./deadline";
import { errorCode, errorMessage } from "./errors";
import { REPORT_SCHEMA, supplementaryReportKey } from "./evidence";
import { unreachableReason } from "./signals";

export const LOST_WRITES_ATTRIBUTE = "lostWrites";

/**
 * How long after the old region first answers the task waits for AWS's unplanned-failover snapshot before it pages
 * that there is none. AWS takes it as the old writer is demoted, when its region is back; an hour is ample.
 */
export const LOST_WRITES_SNAPSHOT_WAIT_SECONDS = 3_600;

/**
 * The snapshot AWS takes of the old writer is newer than the failover; the function's clock and AWS's may differ by
 * this much. Two unplanned failovers of the same cluster cannot be this close: the old writer must rejoin first.
 */
export const SNAPSHOT_CLOCK_TOLERANCE_MS = 15 * 60_000;

/** One open obligation: keep the lost writes of the old writer of run `runId`. */
export interface LostWritesEntry {
    readonly runId: string;
    /** The run record's sort key (RUNS_TABLE_KEYS) in this region's runs table. */
    readonly runKey: string;
    /** The run's report key in this region's report bucket: the supplementary reports are named after it. */
    readonly reportKey: string;
    /** The old writer: its region and cluster identifier. */
    readonly oldRegion: string;
    readonly oldCluster: string;
    /** When the failover (or detach) was asked of AWS, ISO. */
    readonly failoverAt: string;
    /** `managed`: find AWS's unplanned-failover snapshot and copy it; `break-glass`: snapshot the old cluster. */
    readonly kind: "managed" | "break-glass";
    readonly openedAt: string;
    /** When the old region first answered the task, ISO (the wait for AWS's snapshot counts from it). */
    readonly firstAnsweredAt?: string;
}

/** What one run of an aftercare task came to. The dispatcher writes the run record of an aftercare run that did work. */
export interface TaskOutcome {
    /** `idle`: nothing open; `pending`: waiting (for the old region, or for AWS); `done`: closed; `failed`: an error. */
    readonly status: "idle" | "pending" | "done" | "failed";
    readonly detail: string;
    /** True when the task changed something (a snapshot, a record, a report): the aftercare run is then recorded. */
    readonly didWork: boolean;
    /** A page for on-call, when this attempt calls for one. */
    readonly page?: { readonly subject: string; readonly message: string };
}

export interface TaskDependencies {
    readonly clients: AwsClients;
    readonly now: () => number;
    readonly logger: {
        info(m: string, e?: Record<string, unknown>): void;
        warn(m: string, e?: Record<string, unknown>): void;
        error(m: string, e?: Record<string, unknown>): void;
    };
}

/**
 * Opens the lost-writes obligation of run `entry.runId` in this region's lock table (idempotent: an entry already
 * open is kept as it is). One write when no obligation is open, two when others are.
 */
export async function openLostWrites(
    dynamodb: DynamoDBClient,
    lockTable: string,
    globalClusterId: string,
    entry: LostWritesEntry,
    deadline: Deadline,
): Promise<void> {
    const Key = { lockId: { S: aftercareItemKey(globalClusterId) } };
    const value: AttributeValue = { S: JSON.stringify(entry) };
    try {
        await deadline.call("UpdateItem (lost-writes obligation)", (abortSignal) =>
            dynamodb.send(
                new UpdateItemCommand({
                    TableName: lockTable,
                    Key,
                    UpdateExpression: "SET #lw = :m",
                    ConditionExpression: "attribute_not_exists(#lw)",
                    ExpressionAttributeNames: { "#lw": LOST_WRITES_ATTRIBUTE },
                    ExpressionAttributeValues: { ":m": { M: { [entry.runId]: value } } },
                }),
                { abortSignal },
            ),
        );
        return;
    } catch (error) {
        if (errorCode(error) !== "ConditionalCheckFailedException") {
            throw error;
        }
    }
    await deadline.call("UpdateItem (lost-writes obligation)", (abortSignal) =>
        dynamodb.send(
            new UpdateItemCommand({
                TableName: lockTable,
                Key,
                UpdateExpression: "SET #lw.#r = if_not_exists(#lw.#r, :e)",
                ExpressionAttributeNames: { "#lw": LOST_WRITES_ATTRIBUTE, "#r": entry.runId },
                ExpressionAttributeValues: { ":e": value },
            }),
            { abortSignal },
        ),
    );
}

/** The open entries of the aftercare item (malformed ones are skipped and logged by the caller). Pure. */
export function openEntries(item: Readonly<Record<string, AttributeValue>> | undefined): LostWritesEntry[] {
    const map = item?.[LOST_WRITES_ATTRIBUTE]?.M ?? {};
    return Object.values(map).flatMap((v) => {
        try {
            const e = JSON.parse(v.S ?? "") as LostWritesEntry;
            return typeof e.runId === "string" && typeof e.oldCluster === "string" && typeof e.oldRegion === "string" ? [e] : [];
        } catch {
            return [];
        }
    });
}

/** A cluster snapshot as the task uses it. */
export interface SnapshotView {
    readonly id: string;
    readonly arn: string;
    readonly status: string;
    readonly type: string;
    readonly createdAt?: number;
    readonly kmsKeyId?: string;
}

function view(s: DBClusterSnapshot): SnapshotView {
    return {
        id: s.DBClusterSnapshotIdentifier ?? "",
        arn: s.DBClusterSnapshotArn ?? "",
        status: s.Status ?? "unknown",
        type: s.SnapshotType ?? "unknown",
        ...(s.SnapshotCreateTime !== undefined ? { createdAt: new Date(s.SnapshotCreateTime).getTime() } : {}),
        ...(s.KmsKeyId !== undefined ? { kmsKeyId: s.KmsKeyId } : {}),
    };
}

/**
 * AWS's unplanned-failover snapshot of `cluster` for a failover at `failoverAt`: an automated snapshot named
 * `rds:unplanned-global-failover-<cluster>-…`, created after the failover (SNAPSHOT_CLOCK_TOLERANCE_MS allowed); the
 * oldest such one. Pure.
 */
export function unplannedFailoverSnapshot(
    snapshots: readonly SnapshotView[],
    cluster: string,
    failoverAt: number,
): SnapshotView | undefined {
    const prefix = `${UNPLANNED_FAILOVER_SNAPSHOT_PREFIX}${cluster}-`.toLowerCase();
    return snapshots
        .filter(
            (s) =>
                s.type === "automated" &&
                s.id.toLowerCase().startsWith(prefix) &&
                s.createdAt !== undefined &&
                s.createdAt >= failoverAt - SNAPSHOT_CLOCK_TOLERANCE_MS,
        )
        .sort((a, b) => a.createdAt! - b.createdAt!)[0];
}

async function describeSnapshot(rds: RDSClient, id: string, deadline: Deadline): Promise<SnapshotView | undefined> {
    try {
        const out = await deadline.call("DescribeDBClusterSnapshots", (abortSignal) =>
            rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }), { abortSignal }),
        );
        const found = (out.DBClusterSnapshots ?? []).find((s) => s.DBClusterSnapshotIdentifier?.toLowerCase() === id.toLowerCase());
        return found === undefined ? undefined : view(found);
    } catch (error) {
        if (errorCode(error) === "DBClusterSnapshotNotFoundFault") {
            return undefined;
        }
        throw error;
    }
}

async function automatedSnapshots(rds: RDSClient, cluster: string, deadline: Deadline): Promise<SnapshotView[]> {
    const found: SnapshotView[] = [];
    let marker: string | undefined;
    do {
        const out = await deadline.call("DescribeDBClusterSnapshots", (abortSignal) =>
            rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: cluster, SnapshotType: "automated", Marker: marker }), {
                abortSignal,
            }),
        );
        found.push(...(out.DBClusterSnapshots ?? []).map(view));
        marker = out.Marker;
    } while (marker !== undefined);
    return found;
}

/**
 * The lost-writes task of the aftercare dispatcher: works on every open entry of the aftercare item `item` (the
 * lock-table item `aftercare#<globalClusterId>` as read), one attempt each. See the module comment.
 */
export async function lostWritesTask(
    config: RuntimeConfig,
    deps: TaskDependencies,
    deadline: Deadline,
    item: Readonly<Record<string, AttributeValue>> | undefined,
): Promise<TaskOutcome> {
    const entries = openEntries(item);
    if (entries.length === 0) {
        return { status: "idle", detail: "no lost-writes obligation is open", didWork: false };
    }
    const outcomes: TaskOutcome[] = [];
    for (const entry of entries) {
        outcomes.push(await oneEntry(config, deps, deadline, entry).catch((error: unknown) => failed(config, entry, error)));
    }
    const pages = outcomes.flatMap((o) => (o.page !== undefined ? [o.page] : []));
    const status = outcomes.some((o) => o.status === "failed") ? "failed" : outcomes.every((o) => o.status === "done") ? "done" : "pending";
    return {
        status,
        detail: outcomes.map((o) => o.detail).join("; "),
        didWork: outcomes.some((o) => o.didWork),
        ...(pages.length > 0 ? { page: { subject: pages[0]!.subject, message: pages.map((p) => p.message).join("\n\n") } } : {}),
    };
}

function failed(config: RuntimeConfig, entry: LostWritesEntry, error: unknown): TaskOutcome {
    const reason = unreachableReason(error);
    if (reason !== undefined) {
        // The old region does not answer yet: the normal state while it is down; the schedule tries again.
        return {
            status: "pending",
            detail: `run ${entry.runId}: ${entry.oldRegion} does not answer yet (${reason.slice(0, 120)})`,
            didWork: false,
        };
    }
    return {
        status: "failed",
        detail: `run ${entry.runId}: ${errorCode(error)}: ${errorMessage(error)}`.slice(0, 500),
        didWork: false,
        page: {
            subject: `[${config.stack}] LOST WRITES of ${entry.oldCluster} not yet kept`,
            message: `Keeping the lost writes of ${entry.oldCluster} (${entry.oldRegion}) after run ${entry.runId} failed: ${errorCode(error)}: ${errorMessage(error)}. The aftercare schedule tries again every run; the snapshot expected is ${lostWritesSnapshotName(entry.oldCluster, entry.runId)}. Follow with: npm run failover -- report --stack ${config.stack} --run ${entry.runId}`,
        },
    };
}

async function oneEntry(config: RuntimeConfig, deps: TaskDependencies, deadline: Deadline, entry: LostWritesEntry): Promise<TaskOutcome> {
    const log = new RequestLog(deps.now);
    return log.capture(async () => {
        const probe = deps.clients.rdsProbe(entry.oldRegion);
        const name = lostWritesSnapshotName(entry.oldCluster, entry.runId);
        // 1. The copy (or the break-glass snapshot), if it exists: never made twice.
        let kept = await describeSnapshot(probe, name, deadline);
        let source: SnapshotView | undefined;
        if (kept === undefined) {
            const once = deps.clients.rdsOnce(entry.oldRegion);
            const tags = [
                { Key: "healthcare-dr:run", Value: entry.runId },
                { Key: "healthcare-dr:purpose", Value: "lost-writes" },
            ];
            if (entry.kind === "break-glass") {
                // The cluster was detached, not failed over: AWS took no snapshot. The fenced old cluster still has the writes.
                await writeOnce(
                    () =>
                        deadline.call("CreateDBClusterSnapshot", (abortSignal) =>
                            once.send(
                                new CreateDBClusterSnapshotCommand({
                                    DBClusterIdentifier: entry.oldCluster,
                                    DBClusterSnapshotIdentifier: name,
                                    Tags: tags,
                                }),
                                { abortSignal },
                            ),
                        ),
                    () => describeSnapshot(probe, name, deadline),
                );
            } else {
                source = unplannedFailoverSnapshot(
                    await automatedSnapshots(probe, entry.oldCluster, deadline),
                    entry.oldCluster,
                    Date.parse(entry.failoverAt),
                );
                if (source === undefined) {
                    return await waitingForAws(config, deps, deadline, entry, log.entries);
                }
                if (source.status !== "available") {
                    return {
                        status: "pending",
                        detail: `run ${entry.runId}: AWS's snapshot ${source.id} is ${source.status}`,
                        didWork: false,
                    };
                }
                const from = source;
                await writeOnce(
                    () =>
                        deadline.call("CopyDBClusterSnapshot", (abortSignal) =>
                            once.send(
                                new CopyDBClusterSnapshotCommand({
                                    SourceDBClusterSnapshotIdentifier: from.arn !== "" ? from.arn : from.id,
                                    TargetDBClusterSnapshotIdentifier: name,
                                    // The copy is encrypted with the region's own key: it outlives the automated snapshot and
                                    // the cluster it came from.
                                    KmsKeyId: config.peerKmsKeyArn,
                                    Tags: tags,
                                }),
                                { abortSignal },
                            ),
                        ),
                    () => describeSnapshot(probe, name, deadline),
                );
            }
            kept = await describeSnapshot(probe, name, deadline);
            if (kept === undefined) {
                return { status: "pending", detail: `run ${entry.runId}: ${name} was asked for; not visible yet`, didWork: true };
            }
        }
        if (kept.status !== "available") {
            return { status: "pending", detail: `run ${entry.runId}: ${name} is ${kept.status}`, didWork: false };
        }
        return await close(
            config,
            deps,
            deadline,
            entry,
            { state: "kept", snapshot: kept, ...(source !== undefined ? { source } : {}) },
            log.entries,
        );
    });
}

/** A write sent once (rdsOnce): when it fails, `readBack` says whether it took effect anyway. */
async function writeOnce(write: () => Promise<unknown>, readBack: () => Promise<SnapshotView | undefined>): Promise<void> {
    try {
        await write();
    } catch (error) {
        if (errorCode(error) === "DBClusterSnapshotAlreadyExistsFault" || (await readBack().catch(() => undefined)) !== undefined) {
            return;
        }
        throw error;
    }
}

/** AWS's snapshot has not appeared: wait, and page once when the wait is over. */
async function waitingForAws(
    config: RuntimeConfig,
    deps: TaskDependencies,
    deadline: Deadline,
    entry: LostWritesEntry,
    requests: readonly RequestEntry[],
): Promise<TaskOutcome> {
    const now = deps.now();
    if (entry.firstAnsweredAt === undefined) {
        await updateEntry(
            deps.clients.dynamodb(config.self.region),
            config,
            { ...entry, firstAnsweredAt: new Date(now).toISOString() },
            deadline,
        );
        return {
            status: "pending",
            detail: `run ${entry.runId}: ${entry.oldRegion} answers; AWS's unplanned-failover snapshot of ${entry.oldCluster} is not there yet`,
            didWork: true,
        };
    }
    const waitedMs = now - Date.parse(entry.firstAnsweredAt);
    if (waitedMs < LOST_WRITES_SNAPSHOT_WAIT_SECONDS * 1000) {
        return {
            status: "pending",
            detail: `run ${entry.runId}: waiting for AWS's unplanned-failover snapshot of ${entry.oldCluster} (${Math.round(waitedMs / 1000)} s)`,
            didWork: false,
        };
    }
    const outcome = await close(config, deps, deadline, entry, { state: "missing" }, requests);
    return {
        ...outcome,
        status: "failed",
        page: {
            subject: `[${config.stack}] LOST WRITES SNAPSHOT MISSING for ${entry.oldCluster}`,
            message: [
                `After run ${entry.runId} (an unplanned failover at ${entry.failoverAt}), AWS has not taken the snapshot ${UNPLANNED_FAILOVER_SNAPSHOT_PREFIX}${entry.oldCluster}-<time> of the old writer ${LOST_WRITES_SNAPSHOT_WAIT_SECONDS} s after ${entry.oldRegion} answered again (AWS only tries to take it).`,
                `The writes of the data-loss window may be lost for good. Look for it, and for the cluster's events:`,
                `  aws rds describe-db-cluster-snapshots --region ${entry.oldRegion} --db-cluster-identifier ${entry.oldCluster} --snapshot-type automated`,
                `  aws rds describe-events --region ${entry.oldRegion} --source-type db-cluster --source-identifier ${entry.oldCluster} --duration 10080`,
                `The run record says lostWritesState = missing: npm run failover -- report --stack ${config.stack} --run ${entry.runId}`,
            ].join("\n"),
        },
    };
}

async function updateEntry(dynamodb: DynamoDBClient, config: RuntimeConfig, entry: LostWritesEntry, deadline: Deadline): Promise<void> {
    await deadline.call("UpdateItem (lost-writes obligation)", (abortSignal) =>
        dynamodb.send(
            new UpdateItemCommand({
                TableName: config.lockTable,
                Key: { lockId: { S: aftercareItemKey(config.globalClusterId) } },
                UpdateExpression: "SET #lw.#r = :e",
                ConditionExpression: "attribute_exists(#lw.#r)",
                ExpressionAttributeNames: { "#lw": LOST_WRITES_ATTRIBUTE, "#r": entry.runId },
                ExpressionAttributeValues: { ":e": { S: JSON.stringify(entry) } },
            }),
            { abortSignal },
        ),
    );
}

/** The supplementary report of a lost-writes outcome. Pure. */
export function lostWritesReport(input: {
    readonly config: Pick<RuntimeConfig, "stack" | "self" | "globalClusterId" | "peerKmsKeyArn">;
    readonly entry: LostWritesEntry;
    readonly state: "kept" | "missing";
    readonly snapshot?: SnapshotView;
    readonly source?: SnapshotView;
    readonly writtenAt: string;
    readonly requests: readonly RequestEntry[];
}): Record<string, unknown> {
    const { config, entry } = input;
    return {
        schema: REPORT_SCHEMA,
        kind: "lost-writes",
        stack: config.stack,
        region: config.self.region,
        globalClusterId: config.globalClusterId,
        runId: entry.runId,
        runKey: entry.runKey,
        reportKey: entry.reportKey,
        writtenAt: input.writtenAt,
        failoverAt: entry.failoverAt,
        path: entry.kind,
        oldWriter: { region: entry.oldRegion, cluster: entry.oldCluster },
        state: input.state,
        ...(input.source !== undefined
            ? {
                  sourceSnapshot: {
                      id: input.source.id,
                      arn: input.source.arn,
                      type: input.source.type,
                      ...(input.source.createdAt !== undefined ? { createdAt: new Date(input.source.createdAt).toISOString() } : {}),
                  },
              }
            : {}),
        ...(input.snapshot !== undefined
            ? {
                  snapshot: {
                      id: input.snapshot.id,
                      arn: input.snapshot.arn,
                      region: entry.oldRegion,
                      kmsKeyId: input.snapshot.kmsKeyId ?? config.peerKmsKeyArn,
                      status: input.snapshot.status,
                  },
              }
            : {}),
        requests: input.requests,
    };
}

/** Records the outcome (run record, supplementary report) and closes the entry. */
async function close(
    config: RuntimeConfig,
    deps: TaskDependencies,
    deadline: Deadline,
    entry: LostWritesEntry,
    outcome: { readonly state: "kept" | "missing"; readonly snapshot?: SnapshotView; readonly source?: SnapshotView },
    requests: readonly RequestEntry[],
): Promise<TaskOutcome> {
    const dynamodb = deps.clients.dynamodb(config.self.region);
    const now = deps.now();
    const key = supplementaryReportKey(entry.reportKey, "lost-writes", now);
    // The report first (a new object; a failure leaves the entry open, to be tried again), then the record, then the entry.
    const body = lostWritesReport({ config, entry, ...outcome, writtenAt: new Date(now).toISOString(), requests });
    await deadline.call("PutObject (lost-writes report)", (abortSignal) =>
        deps.clients
            .s3(config.self.region)
            .putObject(config.reportBucket, key, `${JSON.stringify(body, null, 2)}\n`, { ifNoneMatch: true, abortSignal }),
    );
    const values: Record<string, AttributeValue> = {
        ":state": { S: outcome.state },
        ":key": { L: [{ S: key }] },
        ":empty": { L: [] },
        ":now": { N: String(now) },
        ...(outcome.snapshot !== undefined ? { ":snap": { S: outcome.snapshot.id }, ":arn": { S: outcome.snapshot.arn } } : {}),
    };
    await deadline.call("UpdateItem (run record)", (abortSignal) =>
        dynamodb.send(
            new UpdateItemCommand({
                TableName: config.runsTable,
                Key: { [RUNS_TABLE_KEYS.partition]: { S: config.stack }, [RUNS_TABLE_KEYS.sort]: { S: entry.runKey } },
                UpdateExpression: `SET lostWritesState = :state, supplementaryReports = list_append(if_not_exists(supplementaryReports, :empty), :key), updatedAt = :now${outcome.snapshot !== undefined ? ", lostWritesSnapshot = :snap, lostWritesSnapshotArn = :arn" : ""}`,
                ExpressionAttributeValues: values,
            }),
            { abortSignal },
        ),
    );
    await deadline.call("UpdateItem (lost-writes obligation)", (abortSignal) =>
        dynamodb.send(
            new UpdateItemCommand({
                TableName: config.lockTable,
                Key: { lockId: { S: aftercareItemKey(config.globalClusterId) } },
                UpdateExpression: "REMOVE #lw.#r",
                ExpressionAttributeNames: { "#lw": LOST_WRITES_ATTRIBUTE, "#r": entry.runId },
            }),
            { abortSignal },
        ),
    );
    deps.logger.info("lost-writes obligation closed", {
        runId: entry.runId,
        state: outcome.state,
        snapshot: outcome.snapshot?.id,
        report: key,
    });
    return {
        status: "done",
        detail:
            outcome.snapshot !== undefined
                ? `run ${entry.runId}: the lost writes of ${entry.oldCluster} are kept in ${outcome.snapshot.id} (${entry.oldRegion}, key ${config.peerKmsKeyArn}); report ${key}`
                : `run ${entry.runId}: no snapshot of the lost writes of ${entry.oldCluster}; report ${key}`,
        didWork: true,
    };
}
