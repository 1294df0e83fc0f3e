/**
 * The exactly-once lock and run record: one DynamoDB item per global cluster, taken with a conditional write.
 *
 * - Two invocations racing for the item: the condition lets exactly one write win; the other is refused, and says so
 *   (a warning, a metric, and once per run a notification: see `recordRefusal`).
 * - Acquiring is idempotent for the same owner: when the write's answer is lost (or the SDK's retry of it fails its
 *   condition because the first attempt took effect), the item is read back, and if it is ours, we hold the lock.
 * - The lease is short (LOCK_LEASE_SECONDS) and renewed while the run is alive (`keepAlive`, called between and
 *   inside steps), so a crashed holder blocks other runs for a minute at most; after that, another invocation takes
 *   over and resumes from the record. A Lambda retry of the same event has the same request id and takes over at once.
 * - The record is the run's memory: the steps completed, the promotion path, and the notifications sent (so that a
 *   run sends at most one "started" and one final message, whoever finishes it).
 * - A run that ended `failed` is closed: a re-run is a new run (new messages) that resumes its steps. A run that
 *   crashed (`running`, lease expired) is the same run, continued.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
import {
    ConditionalCheckFailedException,
    GetItemCommand,
    PutItemCommand,
    UpdateItemCommand,
    type AttributeValue,
    type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { runKeyOf, type FailoverAction } from "../../lib/failover";
import type { Deadline } from "./deadline";
import { errorCode } from "./errors";

export type LockState = "running" | "completed" | "failed";
/** `managed`: a FailoverGlobalCluster or SwitchoverGlobalCluster; `detach`: a break-glass RemoveFromGlobalCluster. */
export type PromotionPath = "managed" | "detach";
/** The notifications a run sends at most once each. */
export type Notification = "start" | "end";

export interface LockRecord {
    readonly lockId: string;
    readonly state: LockState;
    readonly owner: string;
    /** The run: the request id of the invocation that started it; kept by the invocations that continue it. */
    readonly runId: string;
    readonly action: FailoverAction;
    readonly targetRegion: string;
    readonly steps: readonly string[];
    readonly path?: PromotionPath;
    readonly notified: readonly Notification[];
    readonly expiresAt: number;
    readonly updatedAt: number;
    readonly version: number;
    readonly error?: string;
    /**
     * Facts of the run its report needs and a resumed run must not lose (evidence.ts RunMarks: the run record's key,
     * the first signal, the data-loss window read before the act call, the act time, the writer available time).
     * Written with the lock's own writes: no extra write, so no extra crash point.
     */
    readonly marks?: Readonly<Record<string, string>>;
}

/** Another invocation holds the lock; this one changed nothing. */
export class LockHeldError extends Error {
    override readonly name = "LockHeldError";
    constructor(
        readonly holder: string,
        readonly runId: string,
        readonly expiresAt: number,
    ) {
        super(
            `Another invocation (${holder}, run ${runId}) holds the failover lock until ${new Date(expiresAt).toISOString()}; nothing was changed.`,
        );
    }
}

/** This invocation lost the lock it held (its lease ran out and another run took over). */
export class LockLostError extends Error {
    override readonly name = "LockLostError";
}

export function toItem(record: LockRecord): Record<string, AttributeValue> {
    return {
        lockId: { S: record.lockId },
        state: { S: record.state },
        owner: { S: record.owner },
        runId: { S: record.runId },
        action: { S: record.action },
        targetRegion: { S: record.targetRegion },
        steps: { L: record.steps.map((s) => ({ S: s })) },
        notified: { L: record.notified.map((s) => ({ S: s })) },
        ...(record.path !== undefined ? { path: { S: record.path } } : {}),
        expiresAt: { N: String(record.expiresAt) },
        updatedAt: { N: String(record.updatedAt) },
        version: { N: String(record.version) },
        ...(record.error !== undefined ? { error: { S: record.error.slice(0, 2000) } } : {}),
        ...(record.marks !== undefined && Object.keys(record.marks).length > 0 ? { marks: { S: JSON.stringify(record.marks) } } : {}),
    };
}

export function fromItem(item: Record<string, AttributeValue>): LockRecord {
    const s = (k: string): string => item[k]?.S ?? "";
    const n = (k: string): number => Number(item[k]?.N ?? "0");
    const list = (k: string): string[] => (item[k]?.L ?? []).map((v) => v.S ?? "");
    return {
        lockId: s("lockId"),
        state: s("state") as LockState,
        owner: s("owner"),
        runId: s("runId") || s("owner"),
        action: s("action") as FailoverAction,
        targetRegion: s("targetRegion"),
        steps: list("steps"),
        notified: list("notified") as Notification[],
        ...(item["path"]?.S === "managed" || item["path"]?.S === "detach" ? { path: item["path"].S as PromotionPath } : {}),
        expiresAt: n("expiresAt"),
        updatedAt: n("updatedAt"),
        version: n("version"),
        ...(item["error"]?.S !== undefined ? { error: item["error"].S } : {}),
        ...(item["marks"]?.S !== undefined ? { marks: parseMarks(item["marks"].S) } : {}),
    };
}

function parseMarks(text: string): Record<string, string> {
    try {
        const parsed = JSON.parse(text) as unknown;
        return parsed !== null && typeof parsed === "object"
            ? Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"))
            : {};
    } catch {
        return {};
    }
}

/**
 * What a new holder takes over from the previous record. Pure.
 * - nothing after a completed run, or from a run towards another region: a fresh run;
 * - a crashed run (still `running`, lease expired, or our own request id): the same run, its steps, path and
 *   notifications;
 * - a failed run: a new run that resumes its steps (it sends its own messages).
 * A break-glass never continues a managed run's record, nor a managed run a break-glass's: a different promotion.
 */
export function inherit(
    previous: LockRecord | undefined,
    targetRegion: string,
    owner: string,
    action?: FailoverAction,
    fresh: Readonly<Record<string, string>> = {},
): {
    readonly runId: string;
    readonly steps: readonly string[];
    readonly notified: readonly Notification[];
    readonly path?: PromotionPath;
    readonly action?: FailoverAction;
    readonly marks: Readonly<Record<string, string>>;
} {
    const otherPromotion =
        action !== undefined &&
        previous !== undefined &&
        previous.action !== action &&
        (action === "break-glass" || previous.action === "break-glass");
    if (previous === undefined || previous.state === "completed" || previous.targetRegion !== targetRegion || otherPromotion) {
        return { runId: owner, steps: [], notified: [], marks: newRunMarks(fresh, owner) };
    }
    const path = previous.path !== undefined ? { path: previous.path } : {};
    if (previous.state === "failed") {
        // A new run, even when the same invocation retries (Lambda keeps the request id): its own id and messages, and
        // its own run record; the facts of the steps it resumes (the act's time and data-loss window) and the first
        // signal stay.
        const runId = `${owner}#${previous.version + 1}`;
        return {
            runId,
            steps: previous.steps,
            notified: [],
            ...path,
            marks: newRunMarks(
                { ...fresh, ...(previous.marks ?? {}), ...(fresh["startedAt"] !== undefined ? { startedAt: fresh["startedAt"] } : {}) },
                runId,
            ),
        };
    }
    // The same run, continued: its record (runKey) and every fact it had recorded.
    return {
        runId: previous.runId,
        steps: previous.steps,
        notified: previous.notified,
        action: previous.action,
        ...path,
        marks: { ...fresh, ...(previous.marks ?? {}) },
    };
}

/** The marks of a new run `runId`: its own record's key, from the start time in `marks`. Pure. */
function newRunMarks(marks: Readonly<Record<string, string>>, runId: string): Readonly<Record<string, string>> {
    const startedAt = marks["startedAt"];
    return startedAt === undefined ? marks : { ...marks, runKey: runKeyOf(startedAt, runId) };
}

/** True when the record is held by a live run at `now`. Pure. */
export function isHeld(record: LockRecord | undefined, now: number): boolean {
    return record !== undefined && record.state === "running" && record.expiresAt > now;
}

/** True when the record is of a run towards `targetRegion` that has not completed (crashed or failed). Pure. */
export function isOpen(record: LockRecord | undefined, targetRegion: string): boolean {
    return record !== undefined && record.state !== "completed" && record.targetRegion === targetRegion;
}

function isConditionalFailure(error: unknown): boolean {
    return error instanceof ConditionalCheckFailedException || errorCode(error) === "ConditionalCheckFailedException";
}

export class FailoverLock {
    private record: LockRecord | undefined;

    constructor(
        private readonly dynamodb: DynamoDBClient,
        private readonly table: string,
        private readonly lockId: string,
        private readonly owner: string,
        private readonly now: () => number,
        private readonly leaseMs: number,
    ) {}

    /** Reads the current record (strongly consistent). */
    async read(deadline: Deadline): Promise<LockRecord | undefined> {
        const out = await deadline.call("GetItem (lock)", (abortSignal) =>
            this.dynamodb.send(new GetItemCommand({ TableName: this.table, Key: { lockId: { S: this.lockId } }, ConsistentRead: true }), {
                abortSignal,
            }),
        );
        return out.Item === undefined ? undefined : fromItem(out.Item);
    }

    /**
     * Takes the lock, or throws `LockHeldError`. The write is conditional on the record being exactly the one read
     * (same version) or absent, so of two racing runs exactly one succeeds. Idempotent for this owner.
     */
    async acquire(
        action: FailoverAction,
        targetRegion: string,
        deadline: Deadline,
        /** The marks of a new run (its run record's key, its first signal); a resumed run keeps its own. */
        freshMarks: Readonly<Record<string, string>> = {},
    ): Promise<{ record: LockRecord; previous?: LockRecord }> {
        const previous = await this.read(deadline);
        const now = this.now();
        // Lambda retries an asynchronous invocation with the same request id: a retry of our own crashed attempt may
        // take over at once instead of waiting for the lease to run out.
        if (isHeld(previous, now) && previous!.owner !== this.owner) {
            throw new LockHeldError(previous!.owner, previous!.runId, previous!.expiresAt);
        }
        const inherited = inherit(previous, targetRegion, this.owner, action, freshMarks);
        const record: LockRecord = {
            lockId: this.lockId,
            state: "running",
            owner: this.owner,
            runId: inherited.runId,
            action: inherited.action ?? action,
            targetRegion,
            steps: inherited.steps,
            notified: inherited.notified,
            ...(inherited.path !== undefined ? { path: inherited.path } : {}),
            ...(Object.keys(inherited.marks).length > 0 ? { marks: inherited.marks } : {}),
            expiresAt: now + this.leaseMs,
            updatedAt: now,
            version: (previous?.version ?? 0) + 1,
        };
        try {
            await deadline.call("PutItem (lock)", (abortSignal) =>
                this.dynamodb.send(
                    new PutItemCommand({
                        TableName: this.table,
                        Item: toItem(record),
                        ...(previous === undefined
                            ? { ConditionExpression: "attribute_not_exists(lockId)" }
                            : {
                                  ConditionExpression: "#v = :v",
                                  ExpressionAttributeNames: { "#v": "version" },
                                  ExpressionAttributeValues: { ":v": { N: String(previous.version) } },
                              }),
                    }),
                    { abortSignal },
                ),
            );
        } catch (error) {
            // The write may have taken effect with its answer lost (then the SDK's retry fails its condition, or the
            // call errors out): the item says whether it is ours.
            const current = await this.read(deadline);
            if (
                current !== undefined &&
                current.owner === this.owner &&
                current.version === record.version &&
                current.state === "running"
            ) {
                this.record = current;
                return { record: current, ...(previous !== undefined ? { previous } : {}) };
            }
            if (isConditionalFailure(error)) {
                throw new LockHeldError(current?.owner ?? "unknown", current?.runId ?? "unknown", current?.expiresAt ?? now);
            }
            throw error;
        }
        this.record = record;
        return { record, ...(previous !== undefined ? { previous } : {}) };
    }

    /** The record as this run last wrote it. */
    get current(): LockRecord | undefined {
        return this.record;
    }

    /** Records a completed step (and the promotion path, once chosen), only while this run still owns the lock. */
    async completeStep(step: string, deadline: Deadline, path?: PromotionPath, marks?: Readonly<Record<string, string>>): Promise<void> {
        await this.update(
            {
                steps: [...(this.record?.steps ?? []), step],
                ...(path !== undefined ? { path } : {}),
                ...(marks !== undefined ? { marks: { ...(this.record?.marks ?? {}), ...marks } } : {}),
            },
            deadline,
        );
    }

    /**
     * Claims a notification before it is sent: true when this run had not sent it yet. Claim first, send second: a
     * crash between the two loses the message rather than sending it twice (at most once).
     */
    async claimNotification(kind: Notification, deadline: Deadline): Promise<boolean> {
        if (this.record === undefined || this.record.notified.includes(kind)) {
            return false;
        }
        await this.update({ notified: [...this.record.notified, kind] }, deadline);
        return true;
    }

    /** Renews the lease when less than half of it is left. */
    async keepAlive(deadline: Deadline): Promise<void> {
        if (this.record !== undefined && this.record.expiresAt - this.now() < this.leaseMs / 2) {
            await this.update({}, deadline);
        }
    }

    /** Ends the run: `completed`, or `failed` with the error (a later run resumes its steps). */
    async release(state: Exclude<LockState, "running">, deadline: Deadline, error?: string): Promise<void> {
        await this.update({ state, expiresAt: this.now(), ...(error !== undefined ? { error } : {}) }, deadline);
    }

    get held(): boolean {
        return this.record !== undefined;
    }

    private async update(change: Partial<LockRecord>, deadline: Deadline): Promise<void> {
        if (this.record === undefined) {
            throw new LockLostError("The lock is not held by this run.");
        }
        const now = this.now();
        const next: LockRecord = {
            ...this.record,
            expiresAt: now + this.leaseMs,
            ...change,
            updatedAt: now,
            version: this.record.version + 1,
        };
        try {
            await deadline.call("PutItem (lock)", (abortSignal) =>
                this.dynamodb.send(
                    new PutItemCommand({
                        TableName: this.table,
                        Item: toItem(next),
                        ConditionExpression: "#o = :o AND #v = :v",
                        ExpressionAttributeNames: { "#o": "owner", "#v": "version" },
                        ExpressionAttributeValues: { ":o": { S: this.owner }, ":v": { N: String(this.record!.version) } },
                    }),
                    { abortSignal },
                ),
            );
        } catch (error) {
            // As in acquire: a lost answer of a write that took effect is not a lost lock.
            const current = await this.read(deadline).catch(() => undefined);
            if (current !== undefined && current.owner === this.owner && current.version === next.version) {
                this.record = current;
                return;
            }
            if (isConditionalFailure(error)) {
                throw new LockLostError(`Another run took over the failover lock from ${this.owner}; this run stops here.`);
            }
            throw error;
        }
        this.record = next;
    }
}

/**
 * Counts a refusal by the lock, in an item of its own per run (`<lockId>#refusals#<runId>`), so that the holder's
 * writes never race with it. Returns true for the first refusal of that run: the one that notifies on-call.
 */
export async function recordRefusal(
    dynamodb: DynamoDBClient,
    table: string,
    lockId: string,
    runId: string,
    deadline: Deadline,
): Promise<boolean> {
    const out = await deadline.call("UpdateItem (refusals)", (abortSignal) =>
        dynamodb.send(
            new UpdateItemCommand({
                TableName: table,
                Key: { lockId: { S: `${lockId}#refusals#${runId}` } },
                UpdateExpression: "ADD refusals :one",
                ExpressionAttributeValues: { ":one": { N: "1" } },
                ReturnValues: "UPDATED_NEW",
            }),
            { abortSignal },
        ),
    );
    return out.Attributes?.["refusals"]?.N === "1";
}
