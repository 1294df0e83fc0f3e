/**
 * The exactly-once lock: one DynamoDB item per global cluster, taken with a conditional write.
 *
 * - Two invocations racing for the item: the condition lets exactly one write win; the other is told who holds it.
 * - A run holds the lock for a lease no longer than the function can live (its remaining time plus a margin), so
 *   that a crashed run (killed, out of memory, timed out) never holds it forever.
 * - The item records the steps completed and the promotion path taken. A run that takes over from a crashed or
 *   failed run of the same action resumes after the last completed step instead of starting again.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
import {
    ConditionalCheckFailedException,
    GetItemCommand,
    PutItemCommand,
    type AttributeValue,
    type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { FailoverAction } from "../../lib/failover";

export type LockState = "running" | "completed" | "failed";
export type PromotionPath = "managed" | "detach";

export interface LockRecord {
    readonly lockId: string;
    readonly state: LockState;
    readonly owner: string;
    readonly action: FailoverAction;
    readonly targetRegion: string;
    readonly steps: readonly string[];
    readonly path?: PromotionPath;
    readonly expiresAt: number;
    readonly updatedAt: number;
    readonly version: number;
    readonly error?: string;
}

/** Another invocation holds the lock; this one changed nothing. */
export class LockHeldError extends Error {
    override readonly name = "LockHeldError";
    constructor(
        readonly holder: string,
        readonly expiresAt: number,
    ) {
        super(`Another invocation (${holder}) holds the failover lock until ${new Date(expiresAt).toISOString()}; nothing was changed.`);
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
        action: { S: record.action },
        targetRegion: { S: record.targetRegion },
        steps: { L: record.steps.map((s) => ({ S: s })) },
        ...(record.path !== undefined ? { path: { S: record.path } } : {}),
        expiresAt: { N: String(record.expiresAt) },
        updatedAt: { N: String(record.updatedAt) },
        version: { N: String(record.version) },
        ...(record.error !== undefined ? { error: { S: record.error.slice(0, 2000) } } : {}),
    };
}

export function fromItem(item: Record<string, AttributeValue>): LockRecord {
    const s = (k: string): string => item[k]?.S ?? "";
    const n = (k: string): number => Number(item[k]?.N ?? "0");
    return {
        lockId: s("lockId"),
        state: s("state") as LockState,
        owner: s("owner"),
        action: s("action") as FailoverAction,
        targetRegion: s("targetRegion"),
        steps: (item["steps"]?.L ?? []).map((v) => v.S ?? ""),
        ...(item["path"]?.S !== undefined ? { path: item["path"].S as PromotionPath } : {}),
        expiresAt: n("expiresAt"),
        updatedAt: n("updatedAt"),
        version: n("version"),
        ...(item["error"]?.S !== undefined ? { error: item["error"].S } : {}),
    };
}

/**
 * What a new run inherits from the previous record: the completed steps of a crashed or failed run of the same
 * action and target (resume), nothing after a completed run or a different request (fresh start). Pure.
 */
export function inherit(
    previous: LockRecord | undefined,
    action: FailoverAction,
    targetRegion: string,
): { steps: readonly string[]; path?: PromotionPath } {
    if (previous === undefined || previous.state === "completed" || previous.action !== action || previous.targetRegion !== targetRegion) {
        return { steps: [] };
    }
    return { steps: previous.steps, ...(previous.path !== undefined ? { path: previous.path } : {}) };
}

/** True when the record is held by a live run at `now`. Pure. */
export function isHeld(record: LockRecord | undefined, now: number): boolean {
    return record !== undefined && record.state === "running" && record.expiresAt > now;
}

export class FailoverLock {
    private record: LockRecord | undefined;

    constructor(
        private readonly dynamodb: DynamoDBClient,
        private readonly table: string,
        private readonly lockId: string,
        private readonly owner: string,
        private readonly now: () => number,
    ) {}

    /** Reads the current record (strongly consistent). */
    async read(): Promise<LockRecord | undefined> {
        const out = await this.dynamodb.send(
            new GetItemCommand({ TableName: this.table, Key: { lockId: { S: this.lockId } }, ConsistentRead: true }),
        );
        return out.Item === undefined ? undefined : fromItem(out.Item);
    }

    /**
     * Takes the lock, or throws `LockHeldError`. The write is conditional on the record being exactly the one read
     * (same version) or absent, so of two racing runs exactly one succeeds.
     */
    async acquire(
        action: FailoverAction,
        targetRegion: string,
        leaseMs: number,
    ): Promise<{ resumed: readonly string[]; path?: PromotionPath; previous?: LockRecord }> {
        const previous = await this.read();
        const now = this.now();
        // Lambda retries an asynchronous invocation with the same request id: a retry of our own crashed attempt may
        // take over at once instead of waiting for the lease to run out.
        if (isHeld(previous, now) && previous!.owner !== this.owner) {
            throw new LockHeldError(previous!.owner, previous!.expiresAt);
        }
        const inherited = inherit(previous, action, targetRegion);
        const record: LockRecord = {
            lockId: this.lockId,
            state: "running",
            owner: this.owner,
            action,
            targetRegion,
            steps: inherited.steps,
            ...(inherited.path !== undefined ? { path: inherited.path } : {}),
            expiresAt: now + leaseMs,
            updatedAt: now,
            version: (previous?.version ?? 0) + 1,
        };
        try {
            await this.dynamodb.send(
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
            );
        } catch (error) {
            if (
                error instanceof ConditionalCheckFailedException ||
                (error as { name?: string }).name === "ConditionalCheckFailedException"
            ) {
                const winner = await this.read();
                throw new LockHeldError(winner?.owner ?? "unknown", winner?.expiresAt ?? now);
            }
            throw error;
        }
        this.record = record;
        return {
            resumed: inherited.steps,
            ...(inherited.path !== undefined ? { path: inherited.path } : {}),
            ...(previous !== undefined ? { previous } : {}),
        };
    }

    /** Records a completed step (and the promotion path, once chosen), only while this run still owns the lock. */
    async completeStep(step: string, path?: PromotionPath): Promise<void> {
        await this.update({ steps: [...(this.record?.steps ?? []), step], ...(path !== undefined ? { path } : {}) });
    }

    /** Records the promotion path before the call that starts it, so that a crash right after is resumed safely. */
    async recordPath(path: PromotionPath): Promise<void> {
        await this.update({ path });
    }

    /** Ends the run: `completed`, or `failed` with the error (a later run of the same action resumes). */
    async release(state: Exclude<LockState, "running">, error?: string): Promise<void> {
        await this.update({ state, expiresAt: this.now(), ...(error !== undefined ? { error } : {}) });
    }

    get held(): boolean {
        return this.record !== undefined;
    }

    private async update(change: Partial<LockRecord>): Promise<void> {
        if (this.record === undefined) {
            throw new LockLostError("The lock is not held by this run.");
        }
        const next: LockRecord = { ...this.record, ...change, updatedAt: this.now(), version: this.record.version + 1 };
        try {
            await this.dynamodb.send(
                new PutItemCommand({
                    TableName: this.table,
                    Item: toItem(next),
                    ConditionExpression: "#o = :o AND #v = :v",
                    ExpressionAttributeNames: { "#o": "owner", "#v": "version" },
                    ExpressionAttributeValues: { ":o": { S: this.owner }, ":v": { N: String(this.record.version) } },
                }),
            );
        } catch (error) {
            if ((error as { name?: string }).name === "ConditionalCheckFailedException") {
                throw new LockLostError(`Another run took over the failover lock from ${this.owner}; this run stops here.`);
            }
            throw error;
        }
        this.record = next;
    }
}
