/**
 * Aftercare: the work that must wait for the peer region to answer, run by the schedule `aftercareRuleName(stack)`
 * (AFTERCARE_SCHEDULE) in each region. Its memory is one item of the region's lock table, `aftercare#<globalClusterId>`,
 * with one attribute per kind of work, each owned by one task of AFTERCARE_TASKS (the fence of the old writer after a
 * break-glass: fence.ts; more tasks add their own attribute). A task's attribute is written only by that task (and
 * by the run that opens the obligation), always conditionally on the version it read.
 *
 * - No open work: the scheduled run reads the item once and returns (no page, nothing else read).
 * - Open work: each open task runs within its own deadline; a task says what it did and, when on-call must hear of
 *   it, the page to send (FENCE PENDING, a fence undone and redone, an obligation closed, ...).
 * - The schedule never starts a failover, and it calls the peer region only through the tasks (best effort each run).
 */
import {
    ConditionalCheckFailedException,
    GetItemCommand,
    UpdateItemCommand,
    type AttributeValue,
    type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { aftercareItemKey, NOTIFY_RESERVE_SECONDS } from "../../lib/failover";
import { publish, readParameter, writeParameter } from "./aws";
import { RequestLog, type AwsClients } from "./clients";
import type { RuntimeConfig } from "./config";
import { Deadline } from "./deadline";
import { errorCode, errorMessage } from "./errors";
import {
    describeObligation,
    FENCE_ATTEMPT_SECONDS,
    FENCE_ATTRIBUTE,
    fenceCommands,
    fenceOnce,
    obligationFromAttribute,
    obligationToAttribute,
    type FenceObligation,
} from "./fence";
import { buildReport, EVIDENCE_DEADLINE_MS, freshMarks, startItem, writeEnd, writeStart, type Trigger } from "./evidence";
import { LOST_WRITES_ATTRIBUTE, lostWritesTask, openEntries } from "./lostWrites";
import { dbCapacityRestoreTask, standbyScaleDownTask } from "./applicationAftercare";
import type { Logger, RunResult } from "./orchestrate";
import { Timeline } from "./timeline";

/** Two writers raced for the same attribute; the one that lost stops (the next schedule reads the winner's record). */
export class ObligationConflict extends Error {
    override readonly name = "ObligationConflict";
}

/** Reads and writes the aftercare item, one attribute at a time. */
export class AftercareStore {
    constructor(
        private readonly dynamodb: DynamoDBClient,
        private readonly table: string,
        readonly key: string,
    ) {}

    /** The item's attributes (strongly consistent), or undefined when there is none. */
    async read(deadline: Deadline): Promise<Record<string, AttributeValue> | undefined> {
        const out = await deadline.call("GetItem (aftercare)", (abortSignal) =>
            this.dynamodb.send(new GetItemCommand({ TableName: this.table, Key: { lockId: { S: this.key } }, ConsistentRead: true }), {
                abortSignal,
            }),
        );
        return out.Item;
    }

    /**
     * Sets `attribute` to `value` if it is absent or its `version` is `expected`. A write whose answer was lost (and
     * whose retry then failed its condition) is read back: the stored value says whether it took effect.
     */
    async write(attribute: string, value: AttributeValue, expected: number, deadline: Deadline): Promise<void> {
        try {
            await deadline.call("UpdateItem (aftercare)", (abortSignal) =>
                this.dynamodb.send(
                    new UpdateItemCommand({
                        TableName: this.table,
                        Key: { lockId: { S: this.key } },
                        UpdateExpression: "SET #a = :value",
                        ConditionExpression: "attribute_not_exists(#a) OR #a.#v = :expected",
                        ExpressionAttributeNames: { "#a": attribute, "#v": "version" },
                        ExpressionAttributeValues: { ":value": value, ":expected": { N: String(expected) } },
                    }),
                    { abortSignal },
                ),
            );
        } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException) && errorCode(error) !== "ConditionalCheckFailedException") {
                throw error;
            }
            const stored = (await this.read(deadline))?.[attribute];
            if (stored === undefined || JSON.stringify(stored) !== JSON.stringify(value)) {
                throw new ObligationConflict(`another run changed ${this.key}/${attribute} meanwhile; this run stops here`);
            }
        }
    }
}

/** Saves a fence obligation: the next version, conditional on the one it was read (or created) at. */
export function fenceSaver(store: AftercareStore, deadline: Deadline): (o: FenceObligation) => Promise<FenceObligation> {
    return async (o) => {
        const next = { ...o, version: o.version + 1 };
        await store.write(FENCE_ATTRIBUTE, obligationToAttribute(next), o.version, deadline);
        return next;
    };
}

/** What one task did, and the page on-call must get, if any. */
export interface TaskOutcome {
    readonly detail: string;
    /** True when the task changed something (a fence made, a snapshot kept, an obligation closed): the run is evidence. */
    readonly didWork: boolean;
    readonly page?: { readonly subject: string; readonly body: string };
}

export interface AftercareContext {
    readonly config: RuntimeConfig;
    readonly clients: AwsClients;
    readonly now: () => number;
    readonly store: AftercareStore;
    readonly deadline: Deadline;
    readonly logger: Logger;
}

/** One kind of aftercare work: the attribute of the item it owns, when that holds open work, and one run of it. */
export interface AftercareTask {
    readonly attribute: string;
    isOpen(value: AttributeValue): boolean;
    /** One attempt at the task's open work; `item` is the whole aftercare item as read (other tasks' state included). */
    run(value: AttributeValue, context: AftercareContext, item: Readonly<Record<string, AttributeValue>>): Promise<TaskOutcome>;
}

/**
 * The fence of the old writer after a break-glass (fence.ts): try again while pending (page each failed attempt),
 * re-verify while fenced (re-fence and page when undone), close when the old cluster no longer exists.
 */
export const fenceTask: AftercareTask = {
    attribute: FENCE_ATTRIBUTE,
    isOpen: (value) => obligationFromAttribute(value).state !== "closed",
    async run(value, { config, clients, now, store, deadline }) {
        const before = obligationFromAttribute(value);
        const attempt = await fenceOnce(
            clients,
            before,
            deadline.child("fence", FENCE_ATTEMPT_SECONDS * 1000),
            now,
            fenceSaver(store, deadline),
        );
        const after = attempt.obligation;
        const peerCopy = after.state === "fenced" ? await repairPeerActiveRegion({ config, clients, deadline }) : undefined;
        const state = describeObligation(after) + (peerCopy !== undefined ? `; ${peerCopy}` : "");
        const old = `${after.clusterIdentifier} in ${after.region}`;
        const didWork = attempt.changes.length > 0 || after.state !== before.state || (peerCopy?.includes(" set to ") ?? false);
        if (after.state === "closed") {
            return {
                detail: attempt.detail,
                didWork,
                page: { subject: `[${config.stack}] fence obligation closed: ${old} is retired`, body: `${attempt.detail}.\n${state}` },
            };
        }
        if (after.state === "pending") {
            return {
                detail: attempt.detail,
                didWork,
                page: {
                    subject: `[${config.stack}] FENCE PENDING: ${old} (attempt ${after.attempts})`,
                    body: `The old writer ${old} is not fenced: it may still accept writes through a connection that names it. ${attempt.detail}.\n${state}\nThe aftercare schedule tries again every 5 minutes and pages each failed attempt. To fence it by hand once ${after.region} answers:\n${fenceCommands(after).join("\n")}`,
                },
            };
        }
        if (before.state === "fenced" && attempt.changes.length > 0) {
            return {
                detail: attempt.detail,
                didWork,
                page: {
                    subject: `[${config.stack}] FENCE UNDONE and redone: ${old}`,
                    body: `The fence of the old writer ${old} had been undone (a deploy may have put its ingress or parameter back); it was fenced again: ${attempt.changes.join("; ")}.\n${state}\nRetire the old cluster (README: rebuild after a break-glass) to close the obligation.`,
                },
            };
        }
        if (before.state === "pending") {
            return {
                detail: attempt.detail,
                didWork,
                page: { subject: `[${config.stack}] fenced: ${old}`, body: `${attempt.detail}.\n${state}` },
            };
        }
        return { detail: peerCopy !== undefined ? `${attempt.detail}; ${peerCopy}` : attempt.detail, didWork };
    },
};

/**
 * Once the old writer's region answers and its writer is fenced, its copy of `active-region` (which the break-glass
 * could only set best effort while that region was down) is set to this region, so that no pointer there names the
 * old writer. Only while this region's own copy names this region (the break-glass held); best effort, one try.
 */
export async function repairPeerActiveRegion({
    config,
    clients,
    deadline,
}: Pick<AftercareContext, "config" | "clients" | "deadline">): Promise<string | undefined> {
    const { self, peer, activeRegionParameter } = config;
    try {
        const own = await deadline.call("GetParameter", (abortSignal) =>
            readParameter(clients.ssm(self.region), activeRegionParameter, { abortSignal }),
        );
        if (own !== self.region) {
            return undefined;
        }
        const theirs = await deadline.call(`GetParameter in ${peer.region}`, (abortSignal) =>
            readParameter(clients.ssmOnce(peer.region), activeRegionParameter, { abortSignal }),
        );
        if (theirs === self.region) {
            return undefined;
        }
        await deadline.call(`PutParameter in ${peer.region}`, (abortSignal) =>
            writeParameter(clients.ssmOnce(peer.region), activeRegionParameter, self.region, { abortSignal }),
        );
        return `its ${peer.region} copy of ${activeRegionParameter} set to ${self.region} (was ${theirs ?? "unset"})`;
    } catch (error) {
        return `its ${peer.region} copy of ${activeRegionParameter} could not be checked (${errorCode(error)})`;
    }
}

/**
 * The lost writes of the old writer (lostWrites.ts): after an unplanned failover, a copy of AWS's unplanned-failover
 * snapshot; after a break-glass, a snapshot of the old cluster, taken only once it is fenced, so that it holds every
 * write it accepted (the split-brain ones included) and none after.
 */
export const lostWritesAftercareTask: AftercareTask = {
    attribute: LOST_WRITES_ATTRIBUTE,
    isOpen: (value) => Object.keys(value.M ?? {}).length > 0,
    async run(value, { config, clients, now, deadline, logger }, item) {
        const fence = item[FENCE_ATTRIBUTE] !== undefined ? obligationFromAttribute(item[FENCE_ATTRIBUTE]) : undefined;
        const unfenced = fence !== undefined && fence.state === "pending";
        // The entries are keyed by their run's id (openLostWrites).
        const waiting = unfenced ? openEntries(item).flatMap((e) => (e.kind === "break-glass" ? [e.runId] : [])) : [];
        const ready = Object.entries(value.M ?? {}).filter(([runId]) => !waiting.includes(runId));
        const outcome = await lostWritesTask(config, { clients, now, logger }, deadline, {
            [LOST_WRITES_ATTRIBUTE]: { M: Object.fromEntries(ready) },
        });
        const held =
            waiting.length > 0
                ? `the snapshot of the old writer after break-glass run(s) ${waiting.join(", ")} waits for its fence`
                : undefined;
        return {
            detail: [ready.length > 0 ? outcome.detail : undefined, held].filter((d) => d !== undefined).join("; "),
            didWork: outcome.didWork,
            ...(outcome.page !== undefined ? { page: { subject: outcome.page.subject, body: outcome.page.message } } : {}),
        };
    },
};

/**
 * The tasks the schedule runs, each owning its attribute of the aftercare item; the fence first (the lost writes wait
 * for it); then the application tier's (applicationAftercare.ts), opened only by runs of a stack that has one.
 */
export const AFTERCARE_TASKS: readonly AftercareTask[] = [fenceTask, lostWritesAftercareTask, standbyScaleDownTask, dbCapacityRestoreTask];

export interface AftercareReport {
    /** One line per task that had open work. */
    readonly details: readonly string[];
    /** Subjects of the pages sent (or attempted). */
    readonly pages: readonly string[];
    /** The tasks that had open work (0: the item was read once, nothing else). */
    readonly open: number;
    /** True when a task changed something. */
    readonly didWork: boolean;
}

/**
 * One scheduled run: read the item, run each task with open work, send the pages. Errors of one task do not stop the
 * others; they are reported (and paged) and the run returns normally, so that the schedule's next tick tries again.
 */
export async function runAftercare(
    context: Omit<AftercareContext, "store">,
    tasks: readonly AftercareTask[] = AFTERCARE_TASKS,
): Promise<AftercareReport> {
    const { config, clients, deadline, logger } = context;
    const store = new AftercareStore(clients.dynamodb(config.self.region), config.lockTable, aftercareItemKey(config.globalClusterId));
    const item = await store.read(deadline);
    const open = tasks.filter((t) => item?.[t.attribute] !== undefined && t.isOpen(item[t.attribute]!));
    const details: string[] = [];
    const pages: string[] = [];
    let didWork = false;
    for (const task of open) {
        let outcome: TaskOutcome;
        try {
            outcome = await task.run(item![task.attribute]!, { ...context, store }, item!);
        } catch (error) {
            outcome = {
                detail: `${task.attribute}: ${errorCode(error)}: ${errorMessage(error)}`,
                didWork: false,
                page: {
                    subject: `[${config.stack}] aftercare ${task.attribute} failed`,
                    body: `The aftercare task ${task.attribute} failed: ${errorCode(error)}: ${errorMessage(error)}. The schedule tries again.`,
                },
            };
        }
        details.push(outcome.detail);
        didWork ||= outcome.didWork;
        if (outcome.page !== undefined) {
            pages.push(outcome.page.subject);
            for (const topic of config.topicArns) {
                await deadline
                    .call("Publish", (abortSignal) =>
                        publish(clients.sns(config.self.region), topic, outcome.page!.subject, outcome.page!.body, { abortSignal }),
                    )
                    .catch((error: unknown) => logger.error("an aftercare page could not be published", { topic, code: errorCode(error) }));
            }
        }
    }
    return { details, pages, open: open.length, didWork };
}

/**
 * The scheduled run as the handler returns it: one `aftercare` step, outcome `aftercare`. Bounded by the function's
 * time less the reserve kept for the pages. A run that changed something or paged is a run like any other: its record
 * in the runs table and its report in the report bucket (evidence.ts); a quiet tick (nothing open, or nothing to do)
 * leaves no record, or the table would fill with one every five minutes.
 */
export async function aftercareRun(
    config: RuntimeConfig,
    deps: { readonly clients: AwsClients; readonly now: () => number; readonly logger: Logger },
    invocation: { readonly requestId: string; readonly remainingMs: number; readonly time: string },
): Promise<RunResult> {
    const { clients, now, logger } = deps;
    const startedAt = now();
    const timeline = new Timeline(now);
    const deadline = new Deadline(now, startedAt + invocation.remainingMs - NOTIFY_RESERVE_SECONDS * 1000, "the aftercare run");
    const log = new RequestLog(now);
    let report: AftercareReport | undefined;
    await log.capture(() =>
        timeline.step("aftercare", async () => {
            report = await runAftercare({ config, clients, now, deadline, logger });
            return {
                outcome: report.open === 0 ? "skipped" : "done",
                detail: report.open === 0 ? "no open aftercare work" : report.details.join("; "),
            };
        }),
    );
    const message =
        report!.open === 0
            ? "aftercare: nothing open"
            : `aftercare: ${report!.details.join("; ")}${report!.pages.length > 0 ? ` (paged: ${report!.pages.join("; ")})` : ""}`;
    logger.info("aftercare finished", { message });
    const result: RunResult = { outcome: "aftercare", dryRun: false, message, timeline: timeline.entries, totalMs: timeline.totalMs };
    if (report!.didWork || report!.pages.length > 0) {
        await recordAftercare(config, deps, invocation, { startedAt, message, timeline, log }).catch((error: unknown) =>
            logger.error("the aftercare run's evidence could not be written", { code: errorCode(error), error: errorMessage(error) }),
        );
    }
    return result;
}

/** The record and report of an aftercare run that did work (best effort: the work is done whatever happens here). */
async function recordAftercare(
    config: RuntimeConfig,
    deps: { readonly clients: AwsClients; readonly now: () => number; readonly logger: Logger },
    invocation: { readonly requestId: string; readonly time: string },
    run: { readonly startedAt: number; readonly message: string; readonly timeline: Timeline; readonly log: RequestLog },
): Promise<void> {
    const { clients, now, logger } = deps;
    const iso = new Date(run.startedAt).toISOString();
    const trigger: Trigger = { kind: "schedule", time: invocation.time, requestId: invocation.requestId };
    const marks = freshMarks(iso, invocation.requestId, trigger);
    const dynamodb = clients.dynamodb(config.self.region);
    const evidence = { dynamodb, s3: clients.s3(config.self.region), now, logger };
    const deadline = new Deadline(now, now() + EVIDENCE_DEADLINE_MS, "the aftercare evidence");
    await writeStart(
        evidence,
        config.runsTable,
        startItem({
            stack: config.stack,
            runKey: marks["runKey"]!,
            runId: invocation.requestId,
            region: config.self.region,
            startedAt: iso,
            action: "aftercare",
            trigger,
            now: now(),
        }),
        deadline,
    );
    const report = buildReport({
        stack: config.stack,
        region: config.self.region,
        peerRegion: config.peer.region,
        globalClusterId: config.globalClusterId,
        runId: invocation.requestId,
        runKey: marks["runKey"]!,
        startedAt: iso,
        endedAt: new Date(now()).toISOString(),
        invocation: invocation.requestId,
        action: "aftercare",
        outcome: "aftercare",
        message: run.message,
        dryRun: false,
        trigger,
        decisions: [{ at: iso, step: "aftercare", kind: "aftercare", reason: run.message }],
        resumedAfter: [],
        steps: run.timeline.entries,
        requests: run.log.entries,
        requestsNotListed: run.log.dropped,
        pointers: {},
        marks,
    });
    await writeEnd(evidence, { table: config.runsTable, bucket: config.reportBucket, stack: config.stack }, report, deadline);
}
