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
import { NOTIFY_RESERVE_SECONDS } from "../../lib/failover";
import { publish, readParameter, writeParameter } from "./aws";
import type { AwsClients } from "./clients";
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
import type { Logger, RunResult } from "./orchestrate";
import { Timeline } from "./timeline";

/** The lock-table key of the aftercare item of a global cluster. */
export function aftercareKey(globalClusterId: string): string {
    return `aftercare#${globalClusterId}`;
}

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
    run(value: AttributeValue, context: AftercareContext): Promise<TaskOutcome>;
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
        if (after.state === "closed") {
            return {
                detail: attempt.detail,
                page: { subject: `[${config.stack}] fence obligation closed: ${old} is retired`, body: `${attempt.detail}.\n${state}` },
            };
        }
        if (after.state === "pending") {
            return {
                detail: attempt.detail,
                page: {
                    subject: `[${config.stack}] FENCE PENDING: ${old} (attempt ${after.attempts})`,
                    body: `The old writer ${old} is not fenced: it may still accept writes through a connection that names it. ${attempt.detail}.\n${state}\nThe aftercare schedule tries again every 5 minutes and pages each failed attempt. To fence it by hand once ${after.region} answers:\n${fenceCommands(after).join("\n")}`,
                },
            };
        }
        if (before.state === "fenced" && attempt.changes.length > 0) {
            return {
                detail: attempt.detail,
                page: {
                    subject: `[${config.stack}] FENCE UNDONE and redone: ${old}`,
                    body: `The fence of the old writer ${old} had been undone (a deploy may have put its ingress or parameter back); it was fenced again: ${attempt.changes.join("; ")}.\n${state}\nRetire the old cluster (README: rebuild after a break-glass) to close the obligation.`,
                },
            };
        }
        if (before.state === "pending") {
            return {
                detail: attempt.detail,
                page: { subject: `[${config.stack}] fenced: ${old}`, body: `${attempt.detail}.\n${state}` },
            };
        }
        return { detail: peerCopy !== undefined ? `${attempt.detail}; ${peerCopy}` : attempt.detail };
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

/** The tasks the schedule runs, each owning its attribute of the aftercare item. */
export const AFTERCARE_TASKS: readonly AftercareTask[] = [fenceTask];

export interface AftercareReport {
    /** One line per task that had open work. */
    readonly details: readonly string[];
    /** Subjects of the pages sent (or attempted). */
    readonly pages: readonly string[];
    /** Reads of the aftercare item (1 when nothing was open). */
    readonly open: number;
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
    const store = new AftercareStore(clients.dynamodb(config.self.region), config.lockTable, aftercareKey(config.globalClusterId));
    const item = await store.read(deadline);
    const open = tasks.filter((t) => item?.[t.attribute] !== undefined && t.isOpen(item[t.attribute]!));
    const details: string[] = [];
    const pages: string[] = [];
    for (const task of open) {
        let outcome: TaskOutcome;
        try {
            outcome = await task.run(item![task.attribute]!, { ...context, store });
        } catch (error) {
            outcome = {
                detail: `${task.attribute}: ${errorCode(error)}: ${errorMessage(error)}`,
                page: {
                    subject: `[${config.stack}] aftercare ${task.attribute} failed`,
                    body: `The aftercare task ${task.attribute} failed: ${errorCode(error)}: ${errorMessage(error)}. The schedule tries again.`,
                },
            };
        }
        details.push(outcome.detail);
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
    return { details, pages, open: open.length };
}

/**
 * The scheduled run as the handler returns it: one `aftercare` step, outcome `aftercare`. Bounded by the function's
 * time less the reserve kept for the pages.
 */
export async function aftercareRun(
    config: RuntimeConfig,
    deps: { readonly clients: AwsClients; readonly now: () => number; readonly logger: Logger },
    remainingMs: number,
): Promise<RunResult> {
    const timeline = new Timeline(deps.now);
    const deadline = new Deadline(deps.now, deps.now() + remainingMs - NOTIFY_RESERVE_SECONDS * 1000, "the aftercare run");
    let report: AftercareReport | undefined;
    await timeline.step("aftercare", async () => {
        report = await runAftercare({ config, clients: deps.clients, now: deps.now, deadline, logger: deps.logger });
        return {
            outcome: report.open === 0 ? "skipped" : "done",
            detail: report.open === 0 ? "no open aftercare work" : report.details.join("; "),
        };
    });
    const message =
        report!.open === 0
            ? "aftercare: nothing open"
            : `aftercare: ${report!.details.join("; ")}${report!.pages.length > 0 ? ` (paged: ${report!.pages.join("; ")})` : ""}`;
    deps.logger.info("aftercare finished", { message });
    return { outcome: "aftercare", dryRun: false, message, timeline: timeline.entries, totalMs: timeline.totalMs };
}
