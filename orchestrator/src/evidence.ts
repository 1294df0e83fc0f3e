/**
 * The evidence of every run: a run record in the region's runs table, written when the run's id is known and updated
 * when it ends, and a JSON report written once to the region's Object-Locked report bucket at the end (schema
 * REPORT_SCHEMA). HIPAA §164.308(a)(7)(ii)(D) asks for contingency plans to be tested; these are the records of it.
 *
 * - Every run but an `ignored` alarm and a rejected event has a record and a report: a failover, a switchover, a dry
 *   run, a refusal, a run refused by the lock, a run that failed.
 * - A run's id: the lock's for a run that takes it (a run resumed after a crash continues the same record, never a
 *   second one; `runKey` travels in the lock record's marks), the invocation's request id for one that does not.
 * - The report is written with PutObject only, never overwriting (`If-None-Match: *`), under the bucket's default
 *   Object Lock retention. A report that cannot be written never fails the run: it is logged, said in the run's final
 *   message, and the record says `report: failed`.
 * - The data-loss window: `AuroraGlobalDBReplicationLag` of the function's own cluster, the last datapoint read
 *   immediately before the act call (a read that never blocks the act: unknown when it cannot be read); zero by
 *   definition for a switchover, which synchronises first.
 * - The recovery time: from the first signal (the alarm's time, or the request's time for a manual run) to the writer
 *   available (the end of wait-for-writer).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
 */
import { PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { reportObjectKey, RUNS_TABLE_KEYS, runKeyOf } from "../../lib/failover";
import type { RequestEntry, RequestLog } from "./clients";
import type { Deadline } from "./deadline";
import { errorCode, errorMessage } from "./errors";
import type { OrchestratorRequest } from "./events";
import type { S3Client } from "./s3";
import type { Evidence } from "./signals";
import type { TimelineEntry } from "./timeline";

export const REPORT_SCHEMA = "healthcare-dr/run-report/v1";

/** The longest the end-of-run evidence (report and record) may take, from the function's reserve. */
export const EVIDENCE_DEADLINE_MS = 8_000;

/** What started the run. */
export interface Trigger {
    readonly kind: "alarm" | "manual" | "schedule";
    /** ISO time of the event (the alarm's state change), or of the invocation for a manual request. */
    readonly time: string;
    readonly requestId: string;
    readonly alarmName?: string;
    readonly alarmRegion?: string;
    readonly alarmState?: string;
    readonly alarmReason?: string;
    readonly action?: string;
    readonly targetRegion?: string;
    readonly dryRun?: boolean;
    readonly force?: boolean;
    /** Who asked (the CLI sends the caller's name). */
    readonly requestedBy?: string;
}

/** The trigger of a request. Pure. */
export function triggerOf(request: OrchestratorRequest, requestId: string, invokedAt: number): Trigger {
    if (request.kind === "alarm") {
        return {
            kind: "alarm",
            time: request.time,
            requestId,
            alarmName: request.alarmName,
            alarmRegion: request.alarmRegion,
            alarmState: request.state,
            alarmReason: request.reason.slice(0, 1000),
        };
    }
    if (request.kind === "aftercare") {
        return { kind: "schedule", time: request.time, requestId };
    }
    return {
        kind: "manual",
        time: new Date(invokedAt).toISOString(),
        requestId,
        action: request.action,
        targetRegion: request.targetRegion,
        dryRun: request.dryRun,
        force: request.force,
        ...(request.requestedBy !== undefined ? { requestedBy: request.requestedBy } : {}),
    };
}

/**
 * The data-loss window of a run: the replication lag of the function's own cluster read immediately before the act
 * call (the writes the promoted cluster may not have), or zero for a switchover.
 */
export interface DataLossWindow {
    readonly known: boolean;
    readonly windowMs?: number;
    /** The datapoint's time (CloudWatch's), ISO. */
    readonly datapointAt?: string;
    /** When it was read (immediately before the act call), ISO. */
    readonly readAt?: string;
    /** How it was obtained, or why it is unknown. */
    readonly source: string;
}

/** The data-loss window from the lag datapoints read (newest first). Pure. */
export function dataLossWindowOf(
    action: string,
    read:
        | { readonly points: readonly { readonly time: number; readonly value: number }[]; readonly at: number; readonly cluster: string }
        | { readonly error: string; readonly at: number },
): DataLossWindow {
    const readAt = new Date(read.at).toISOString();
    if (action === "switchover") {
        return { known: true, windowMs: 0, readAt, source: "switchover: AWS synchronises the secondary before the move (no data loss)" };
    }
    if ("error" in read) {
        return { known: false, readAt, source: `AuroraGlobalDBReplicationLag could not be read: ${read.error}` };
    }
    const latest = read.points.find((p) => Number.isFinite(p.value));
    if (latest === undefined) {
        return { known: false, readAt, source: `no AuroraGlobalDBReplicationLag datapoint of ${read.cluster} in the last minutes` };
    }
    return {
        known: true,
        windowMs: Math.round(latest.value),
        datapointAt: new Date(latest.time).toISOString(),
        readAt,
        source: `AuroraGlobalDBReplicationLag of ${read.cluster} (Maximum over 1 minute), the last datapoint before the act call`,
    };
}

/** The data-loss window as the lock record's marks keep it (strings), and back. Pure. */
export function windowToMarks(w: DataLossWindow): Record<string, string> {
    return {
        lossKnown: String(w.known),
        lossSource: w.source.slice(0, 300),
        ...(w.windowMs !== undefined ? { lossMs: String(w.windowMs) } : {}),
        ...(w.datapointAt !== undefined ? { lossDatapointAt: w.datapointAt } : {}),
        ...(w.readAt !== undefined ? { lossReadAt: w.readAt } : {}),
    };
}

export function windowFromMarks(marks: Readonly<Record<string, string>>): DataLossWindow | undefined {
    if (marks["lossSource"] === undefined) {
        return undefined;
    }
    return {
        known: marks["lossKnown"] === "true",
        source: marks["lossSource"],
        ...(marks["lossMs"] !== undefined ? { windowMs: Number(marks["lossMs"]) } : {}),
        ...(marks["lossDatapointAt"] !== undefined ? { datapointAt: marks["lossDatapointAt"] } : {}),
        ...(marks["lossReadAt"] !== undefined ? { readAt: marks["lossReadAt"] } : {}),
    };
}

/** The measured recovery time: first signal to writer available, ms; undefined unless both are known. Pure. */
export function recoveryTimeMs(firstSignalAt: string | undefined, writerAvailableAt: string | undefined): number | undefined {
    if (firstSignalAt === undefined || writerAvailableAt === undefined) {
        return undefined;
    }
    const ms = Date.parse(writerAvailableAt) - Date.parse(firstSignalAt);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** One decision of the run and the evidence that justified it. */
export interface DecisionEntry {
    readonly at: string;
    /** Where it was taken: `assess`, `lock` (again under the lock), `act` (the re-check before the call). */
    readonly step: string;
    readonly kind: string;
    readonly reason: string;
    readonly evidence?: Evidence;
    readonly readiness?: { readonly ready: boolean; readonly problems: readonly string[] };
}

/** Where the pointers stood. */
export interface PointerState {
    /** The writer record's target. */
    readonly record?: string;
    /** `active-region`, per region: this region's copy is read; the peer's is written best effort, never read. */
    readonly activeRegion: Readonly<Record<string, string>>;
    /** The master secret's `host`, when the run read it (break-glass). */
    readonly secretHost?: string;
}

export interface RunReport {
    readonly schema: typeof REPORT_SCHEMA;
    readonly stack: string;
    readonly region: string;
    readonly peerRegion: string;
    readonly globalClusterId: string;
    readonly runId: string;
    readonly runKey: string;
    readonly reportKey: string;
    /** The invocation that finished the run (a resumed run lists the steps it took over in `resumedAfter`). */
    readonly invocation: string;
    readonly startedAt: string;
    readonly endedAt: string;
    readonly action?: string;
    readonly outcome: string;
    readonly message: string;
    readonly dryRun: boolean;
    readonly trigger: Trigger;
    readonly decisions: readonly DecisionEntry[];
    readonly resumedAfter: readonly string[];
    readonly steps: readonly TimelineEntry[];
    readonly requests: readonly RequestEntry[];
    /** Requests not listed (past MAX_LOGGED_REQUESTS). */
    readonly requestsNotListed: number;
    readonly pointers: { readonly before?: PointerState; readonly after?: PointerState };
    readonly recovery: {
        readonly firstSignalAt?: string;
        readonly firstSignalSource?: string;
        /** The act call's time: when the failover or switchover was asked of AWS. */
        readonly failoverAt?: string;
        readonly writerAvailableAt?: string;
        readonly rtoMs?: number;
        /** A stack with an application tier: when the run saw it answer in its region (the synthetic request 2xx). */
        readonly applicationHealthyAt?: string;
        /** First signal to `applicationHealthyAt`, ms: the recovery time to the application (the stack's RTO). */
        readonly applicationHealthyMs?: number;
    };
    readonly dataLoss?: DataLossWindow;
    /** After an unplanned failover: the obligation to keep the old writer's lost writes (lostWrites.ts). */
    readonly lostWrites?: { readonly obligation: string; readonly oldCluster: string; readonly oldRegion: string };
}

/**
 * The facts a report is built from: the report's own fields but those derived here (its key, the recovery time and the
 * data-loss window, from the run's marks).
 */
export type ReportInput = Omit<RunReport, "schema" | "reportKey" | "recovery" | "dataLoss"> & {
    readonly marks: Readonly<Record<string, string>>;
};

/** The report. Pure. */
export function buildReport(input: ReportInput): RunReport {
    const { marks: m, ...facts } = input;
    const firstSignalAt = m["firstSignalAt"];
    const writerAvailableAt = m["writerAvailableAt"];
    // Measured only for a promotion this run asked for (its act time is known): not for a run that changed nothing.
    const rtoMs = m["actAt"] !== undefined ? recoveryTimeMs(firstSignalAt, writerAvailableAt) : undefined;
    const applicationHealthyAt = m["applicationHealthyAt"];
    const applicationHealthyMs = m["actAt"] !== undefined ? recoveryTimeMs(firstSignalAt, applicationHealthyAt) : undefined;
    const dataLoss = windowFromMarks(m);
    return {
        schema: REPORT_SCHEMA,
        ...facts,
        reportKey: reportObjectKey(input.stack, input.startedAt, input.runId),
        recovery: {
            ...(firstSignalAt !== undefined ? { firstSignalAt } : {}),
            ...(m["firstSignalSource"] !== undefined ? { firstSignalSource: m["firstSignalSource"] } : {}),
            ...(m["actAt"] !== undefined ? { failoverAt: m["actAt"] } : {}),
            ...(writerAvailableAt !== undefined ? { writerAvailableAt } : {}),
            ...(rtoMs !== undefined ? { rtoMs } : {}),
            ...(applicationHealthyAt !== undefined ? { applicationHealthyAt } : {}),
            ...(applicationHealthyMs !== undefined ? { applicationHealthyMs } : {}),
        },
        ...(dataLoss !== undefined ? { dataLoss } : {}),
    };
}

/** The key of a supplementary report of run `reportKey` (e.g. the lost-writes aftercare), written at `at`. Pure. */
export function supplementaryReportKey(reportKey: string, kind: string, at: number): string {
    return `${reportKey.replace(/\.json$/, "")}-${kind}-${new Date(at).toISOString().replace(/[:.]/g, "")}.json`;
}

// --- the run record -------------------------------------------------------------------------------------------------

/** A run record as `history` and `report` read it. */
export interface RunRecord {
    readonly stack: string;
    readonly runKey: string;
    readonly runId: string;
    readonly region: string;
    readonly startedAt: string;
    readonly state: "running" | "ended";
    readonly action?: string;
    readonly triggerKind?: string;
    readonly requestedBy?: string;
    readonly outcome?: string;
    readonly message?: string;
    readonly endedAt?: string;
    readonly reportKey?: string;
    /** `written` or `failed`. */
    readonly report?: string;
    readonly reportProblem?: string;
    readonly rtoMs?: number;
    readonly dataLossWindowMs?: number;
    /** `known`, `unknown`, or absent (no promotion). */
    readonly dataLossWindow?: string;
    readonly failoverAt?: string;
    readonly lostWritesSnapshot?: string;
    readonly lostWritesSnapshotArn?: string;
    readonly lostWritesState?: string;
    readonly supplementaryReports: readonly string[];
}

/** The item written when a run starts. Pure. */
export function startItem(r: {
    readonly stack: string;
    readonly runKey: string;
    readonly runId: string;
    readonly region: string;
    readonly startedAt: string;
    readonly action?: string;
    readonly trigger: Trigger;
    readonly now: number;
}): Record<string, AttributeValue> {
    return {
        [RUNS_TABLE_KEYS.partition]: { S: r.stack },
        [RUNS_TABLE_KEYS.sort]: { S: r.runKey },
        runId: { S: r.runId },
        region: { S: r.region },
        startedAt: { S: r.startedAt },
        state: { S: "running" },
        ...(r.action !== undefined ? { action: { S: r.action } } : {}),
        triggerKind: { S: r.trigger.kind },
        trigger: { S: JSON.stringify(r.trigger).slice(0, 4000) },
        ...(r.trigger.requestedBy !== undefined ? { requestedBy: { S: r.trigger.requestedBy } } : {}),
        invocations: { L: [{ S: r.trigger.requestId }] },
        updatedAt: { N: String(r.now) },
    };
}

/** The update written when a run ends. Pure. */
export function endUpdate(r: {
    readonly outcome: string;
    readonly message: string;
    readonly action?: string;
    readonly endedAt: string;
    readonly reportKey: string;
    readonly reportProblem?: string;
    readonly report: RunReport;
    readonly now: number;
}): {
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, AttributeValue>;
} {
    const set: Record<string, AttributeValue> = {
        state: { S: "ended" },
        outcome: { S: r.outcome },
        message: { S: r.message.slice(0, 4000) },
        endedAt: { S: r.endedAt },
        reportKey: { S: r.reportKey },
        report: { S: r.reportProblem === undefined ? "written" : "failed" },
        updatedAt: { N: String(r.now) },
        ...(r.action !== undefined ? { action: { S: r.action } } : {}),
        ...(r.reportProblem !== undefined ? { reportProblem: { S: r.reportProblem.slice(0, 1000) } } : {}),
        ...(r.report.recovery.rtoMs !== undefined ? { rtoMs: { N: String(r.report.recovery.rtoMs) } } : {}),
        ...(r.report.recovery.failoverAt !== undefined ? { failoverAt: { S: r.report.recovery.failoverAt } } : {}),
        ...(r.report.dataLoss !== undefined ? { dataLossWindow: { S: r.report.dataLoss.known ? "known" : "unknown" } } : {}),
        ...(r.report.dataLoss?.windowMs !== undefined ? { dataLossWindowMs: { N: String(r.report.dataLoss.windowMs) } } : {}),
        ...(r.report.lostWrites !== undefined ? { lostWritesState: { S: "open" } } : {}),
    };
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const parts = Object.entries(set).map(([name, value], i) => {
        names[`#a${i}`] = name;
        values[`:v${i}`] = value;
        return `#a${i} = :v${i}`;
    });
    return { UpdateExpression: `SET ${parts.join(", ")}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

/** A run record from its item. Pure. */
export function fromRunItem(item: Record<string, AttributeValue>): RunRecord {
    const s = (k: string) => item[k]?.S;
    const n = (k: string) => (item[k]?.N !== undefined ? Number(item[k].N) : undefined);
    const opt = <T>(k: string, v: T | undefined) => (v !== undefined ? { [k]: v } : {});
    return {
        stack: s(RUNS_TABLE_KEYS.partition) ?? "",
        runKey: s(RUNS_TABLE_KEYS.sort) ?? "",
        runId: s("runId") ?? "",
        region: s("region") ?? "",
        startedAt: s("startedAt") ?? "",
        state: s("state") === "ended" ? "ended" : "running",
        ...opt("action", s("action")),
        ...opt("triggerKind", s("triggerKind")),
        ...opt("requestedBy", s("requestedBy")),
        ...opt("outcome", s("outcome")),
        ...opt("message", s("message")),
        ...opt("endedAt", s("endedAt")),
        ...opt("reportKey", s("reportKey")),
        ...opt("report", s("report")),
        ...opt("reportProblem", s("reportProblem")),
        ...opt("rtoMs", n("rtoMs")),
        ...opt("dataLossWindowMs", n("dataLossWindowMs")),
        ...opt("dataLossWindow", s("dataLossWindow")),
        ...opt("failoverAt", s("failoverAt")),
        ...opt("lostWritesSnapshot", s("lostWritesSnapshot")),
        ...opt("lostWritesSnapshotArn", s("lostWritesSnapshotArn")),
        ...opt("lostWritesState", s("lostWritesState")),
        supplementaryReports: (item["supplementaryReports"]?.L ?? []).flatMap((v) => (v.S !== undefined ? [v.S] : [])),
    } as RunRecord;
}

// --- writing it -----------------------------------------------------------------------------------------------------

export interface EvidenceDependencies {
    readonly dynamodb: DynamoDBClient;
    readonly s3: S3Client;
    readonly now: () => number;
    readonly logger: {
        warn(message: string, extra?: Record<string, unknown>): void;
        error(message: string, extra?: Record<string, unknown>): void;
    };
}

/** The new marks of a run that starts now: its record's key and its first signal. Pure. */
export function freshMarks(startedAt: string, runId: string, trigger: Trigger): Record<string, string> {
    return {
        runKey: runKeyOf(startedAt, runId),
        startedAt,
        firstSignalAt: trigger.time,
        firstSignalSource: trigger.kind === "alarm" ? `alarm ${trigger.alarmName} state change` : `${trigger.kind} request`,
    };
}

/**
 * Writes the record of a run when it starts: a new item (conditional on it not existing), or, for a run resumed
 * under the lock, the item of the run it continues (this invocation is added to it). Best effort: a run is never
 * stopped by its evidence; the failure is logged and returned.
 */
export async function writeStart(
    deps: EvidenceDependencies,
    table: string,
    item: Record<string, AttributeValue>,
    deadline: Deadline,
): Promise<string | undefined> {
    const key = { [RUNS_TABLE_KEYS.partition]: item[RUNS_TABLE_KEYS.partition]!, [RUNS_TABLE_KEYS.sort]: item[RUNS_TABLE_KEYS.sort]! };
    try {
        await deadline.call("PutItem (run record)", (abortSignal) =>
            deps.dynamodb.send(
                new PutItemCommand({
                    TableName: table,
                    Item: item,
                    ConditionExpression: "attribute_not_exists(#sk)",
                    ExpressionAttributeNames: { "#sk": RUNS_TABLE_KEYS.sort },
                }),
                { abortSignal },
            ),
        );
        return undefined;
    } catch (error) {
        if (errorCode(error) !== "ConditionalCheckFailedException") {
            return problem(deps, "the run record could not be written", error);
        }
    }
    // The record exists: this invocation continues the run (or a lost answer of our own write). Add ourselves to it.
    try {
        await deadline.call("UpdateItem (run record)", (abortSignal) =>
            deps.dynamodb.send(
                new UpdateItemCommand({
                    TableName: table,
                    Key: key,
                    UpdateExpression: "SET #inv = list_append(#inv, :me), #u = :now",
                    ConditionExpression: "NOT contains(#inv, :id)",
                    ExpressionAttributeNames: { "#inv": "invocations", "#u": "updatedAt" },
                    ExpressionAttributeValues: {
                        ":me": item["invocations"]!,
                        ":id": item["invocations"]!.L![0]!,
                        ":now": { N: String(deps.now()) },
                    },
                }),
                { abortSignal },
            ),
        );
    } catch (error) {
        if (errorCode(error) !== "ConditionalCheckFailedException") {
            return problem(deps, "the run record could not be updated", error);
        }
    }
    return undefined;
}

/**
 * Writes the report (PutObject, never overwriting), then the end of the record (saying whether the report was
 * written). Returns the report's problem, if it could not be written. Never throws.
 */
export async function writeEnd(
    deps: EvidenceDependencies,
    where: { readonly table: string; readonly bucket: string; readonly stack: string },
    report: RunReport,
    deadline: Deadline,
): Promise<{ readonly reportProblem?: string; readonly recordProblem?: string }> {
    let reportProblem: string | undefined;
    try {
        await deadline.call("PutObject (run report)", (abortSignal) =>
            deps.s3.putObject(where.bucket, report.reportKey, `${JSON.stringify(report, null, 2)}\n`, { ifNoneMatch: true, abortSignal }),
        );
    } catch (error) {
        // A report already there is this run's, written by the invocation that crashed after writing it.
        if (errorCode(error) !== "PreconditionFailed") {
            reportProblem = problem(deps, `the run report s3://${where.bucket}/${report.reportKey} could not be written`, error);
        }
    }
    let recordProblem: string | undefined;
    try {
        const update = endUpdate({
            outcome: report.outcome,
            message: report.message,
            ...(report.action !== undefined ? { action: report.action } : {}),
            endedAt: report.endedAt,
            reportKey: report.reportKey,
            ...(reportProblem !== undefined ? { reportProblem } : {}),
            report,
            now: deps.now(),
        });
        await deadline.call("UpdateItem (run record)", (abortSignal) =>
            deps.dynamodb.send(
                new UpdateItemCommand({
                    TableName: where.table,
                    Key: { [RUNS_TABLE_KEYS.partition]: { S: where.stack }, [RUNS_TABLE_KEYS.sort]: { S: report.runKey } },
                    ...update,
                }),
                { abortSignal },
            ),
        );
    } catch (error) {
        recordProblem = problem(deps, "the end of the run record could not be written", error);
    }
    return { ...(reportProblem !== undefined ? { reportProblem } : {}), ...(recordProblem !== undefined ? { recordProblem } : {}) };
}

function problem(deps: EvidenceDependencies, what: string, error: unknown): string {
    const text = `${what}: ${errorCode(error)}: ${errorMessage(error)}`.slice(0, 500);
    deps.logger.error(what, { code: errorCode(error), error: errorMessage(error) });
    return text;
}

/** What a run says of its evidence (in its result, for the CLI and the drill). */
export interface EvidenceSummary {
    readonly runId: string;
    readonly runKey: string;
    readonly region: string;
    readonly reportBucket: string;
    readonly reportKey: string;
    readonly reportWritten: boolean;
    readonly reportProblem?: string;
    readonly rtoMs?: number;
    /** First signal to the application answering in the run's region (a stack with an application tier). */
    readonly applicationHealthyMs?: number;
    readonly dataLossWindowMs?: number;
    readonly dataLossWindowKnown?: boolean;
    readonly failoverAt?: string;
}

export type { RequestLog };
