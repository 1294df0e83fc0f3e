/**
 * The events the orchestrator accepts, validated in two passes before anything changes:
 * 1. `parseEvent`, before any AWS call: the shape. A malformed event is rejected with an error naming every problem.
 * 2. `admit`, once the configuration is read (reads only): the event must be for this stack and this function. An
 *    alarm must be one of the alarms of this region's function (`alarm-names`), from the clusters' account and this
 *    region or us-east-1, and recent; a manual request must name the stack, the action and the target region (this
 *    function's own region: it promotes no other), and confirm them by repeating them.
 * Anything else is rejected with the reason, and no AWS write is made.
 *
 * - A CloudWatch alarm state change, as EventBridge delivers it (`source: aws.cloudwatch`). Only the envelope's own
 *   keys are accepted: `dryRun` (or anything else) on an alarm event is refused, so that a rehearsal can only be
 *   asked for directly.
 *   @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 *   @see https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 * - A manual request from on-call (`npm run failover`): `{ stack, action, targetRegion, confirm, dryRun, force }`.
 *   Unknown keys are refused, so that a misspelt `dryrun` can never turn a rehearsal into a real failover. A
 *   `break-glass` is confirmed with `<stack>:<targetRegion>:detach` and never takes `force`: its own checks are the
 *   point of asking for it.
 * - The aftercare schedule (`aftercareRuleName`), as EventBridge delivers a scheduled event (`source: aws.events`,
 *   `detail-type: Scheduled Event`, the rule's ARN in `resources`): it only ever runs the open aftercare work (the
 *   fence of an old writer after a break-glass, ...), never a failover. Any other scheduled event is refused.
 *   @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
import { z } from "zod";
import { beaconRuleName } from "../../lib/application";
import { aftercareRuleName, confirmationOf, FAILOVER_ACTIONS, ROUTE53_METRICS_REGION, type FailoverAction } from "../../lib/failover";
import type { RuntimeConfig } from "./config";

export const ALARM_STATES = ["OK", "ALARM", "INSUFFICIENT_DATA"] as const;

/** How far in the future an event's time may be (clock skew) before it is rejected. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const alarmEventSchema = z.strictObject({
    version: z.string().optional(),
    id: z.string().optional(),
    source: z.literal("aws.cloudwatch"),
    "detail-type": z.literal("CloudWatch Alarm State Change"),
    account: z.string().regex(/^\d{12}$/, { error: "account must be a 12-digit AWS account id" }),
    region: z.string().min(1),
    time: z.iso.datetime({ offset: true, error: "time must be an ISO 8601 date-time" }),
    resources: z.array(z.string()).default([]),
    detail: z.object({
        alarmName: z.string().min(1),
        state: z.object({ value: z.enum(ALARM_STATES), reason: z.string().default("") }),
    }),
});

/** A scheduled event of EventBridge: only the envelope's own keys; its `detail` is empty. */
export const scheduledEventSchema = z.strictObject({
    version: z.string().optional(),
    id: z.string().optional(),
    source: z.literal("aws.events", { error: 'source must be "aws.events" or "aws.cloudwatch"' }),
    "detail-type": z.literal("Scheduled Event", { error: 'detail-type of an aws.events event must be "Scheduled Event"' }),
    account: z.string().regex(/^\d{12}$/, { error: "account must be a 12-digit AWS account id" }),
    region: z.string().min(1),
    time: z.iso.datetime({ offset: true, error: "time must be an ISO 8601 date-time" }),
    resources: z.array(z.string()),
    detail: z.strictObject({}, { error: "detail of a scheduled event must be empty" }).default({}),
});

export const manualRequestSchema = z
    .strictObject({
        /** The stack the caller means; must be this function's stack. */
        stack: z.string({ error: "stack is required: the stack this request is for" }).min(1),
        action: z.enum(FAILOVER_ACTIONS, { error: `action must be one of ${FAILOVER_ACTIONS.join(", ")}` }),
        /** The region that should hold the writer afterwards. */
        targetRegion: z.string({ error: "targetRegion is required: the region that should hold the writer" }).min(1),
        /** `<stack>:<action>:<targetRegion>`, repeated by the person who asks. */
        confirm: z.string({ error: "confirm is required: repeat <stack>:<action>:<targetRegion>" }),
        dryRun: z.boolean({ error: "dryRun must be true or false" }).default(false),
        force: z.boolean({ error: "force must be true or false" }).default(false),
        /** Who asked (the CLI sets the caller's identity), for the notifications. */
        requestedBy: z.string().max(256).optional(),
    })
    .refine((r) => r.confirm === confirmationOf(r.stack, r.action, r.targetRegion), {
        error: (issue) => {
            const r = issue.input as { stack: string; action: FailoverAction; targetRegion: string };
            return `confirm must repeat the request exactly: "${confirmationOf(r.stack, r.action, r.targetRegion)}"`;
        },
        path: ["confirm"],
    })
    .refine((r) => !(r.force && r.action === "switchover"), {
        error: "force applies to a failover only: a switchover always needs the current writer healthy",
        path: ["force"],
    })
    .refine((r) => !(r.force && r.action === "break-glass"), {
        error: "force is not accepted with break-glass: its checks (own cluster ready, the old writer not serving) are never skipped",
        path: ["force"],
    });

/** What the orchestrator was asked to do, whichever way it was asked. */
export type OrchestratorRequest =
    | {
          readonly kind: "alarm";
          readonly alarmName: string;
          readonly state: (typeof ALARM_STATES)[number];
          readonly reason: string;
          readonly alarmRegion: string;
          readonly account: string;
          readonly resources: readonly string[];
          readonly time: string;
      }
    | {
          readonly kind: "manual";
          readonly stack: string;
          readonly action: FailoverAction;
          readonly targetRegion: string;
          readonly dryRun: boolean;
          readonly force: boolean;
          readonly requestedBy?: string;
      }
    | {
          /** The aftercare schedule: the open aftercare work, never a failover. */
          readonly kind: "aftercare";
          readonly region: string;
          readonly account: string;
          readonly resources: readonly string[];
          readonly time: string;
      };

/** The event was not one the orchestrator accepts; nothing was changed. */
export class InvalidEventError extends Error {
    override readonly name = "InvalidEventError";
    constructor(readonly problems: readonly string[]) {
        super(
            `Rejected the event, nothing was changed: ${problems.join("; ")}. Expected a CloudWatch alarm state change of this stack from EventBridge or ` +
                `{ "stack", "action": "switchover" | "failover" | "break-glass", "targetRegion", "confirm": "<stack>:<action>:<targetRegion>" (break-glass: "<stack>:<targetRegion>:detach"), "dryRun", "force" }, or the stack's aftercare schedule.`,
        );
    }
}

/** Validates an event's shape; throws `InvalidEventError` listing every problem. Pure. */
export function parseEvent(event: unknown): OrchestratorRequest {
    if (event === null || typeof event !== "object" || Array.isArray(event)) {
        throw new InvalidEventError([
            `the event must be a JSON object, got ${event === null ? "null" : Array.isArray(event) ? "an array" : typeof event}`,
        ]);
    }
    if ((event as { source?: unknown }).source === "aws.events") {
        const parsed = scheduledEventSchema.safeParse(event);
        if (!parsed.success) {
            throw new InvalidEventError(describe(parsed.error));
        }
        return {
            kind: "aftercare",
            region: parsed.data.region,
            account: parsed.data.account,
            resources: parsed.data.resources,
            time: parsed.data.time,
        };
    }
    if ("source" in event || "detail-type" in event) {
        const parsed = alarmEventSchema.safeParse(event);
        if (!parsed.success) {
            throw new InvalidEventError(describe(parsed.error));
        }
        const { detail } = parsed.data;
        return {
            kind: "alarm",
            alarmName: detail.alarmName,
            state: detail.state.value,
            reason: detail.state.reason,
            alarmRegion: parsed.data.region,
            account: parsed.data.account,
            resources: parsed.data.resources,
            time: parsed.data.time,
        };
    }
    const parsed = manualRequestSchema.safeParse(event);
    if (!parsed.success) {
        throw new InvalidEventError(describe(parsed.error));
    }
    const { confirm: _confirm, ...request } = parsed.data;
    return { kind: "manual", ...request };
}

/**
 * Checks that a well-formed request is for this stack (see the module comment); throws `InvalidEventError` listing
 * every problem. Pure.
 */
export function admit(request: OrchestratorRequest, config: RuntimeConfig, now: number): OrchestratorRequest {
    const problems: string[] = [];
    if (request.kind === "aftercare") {
        problems.push(...aftercareProblems(request, config, now, scheduleOf(request, config)));
    } else if (request.kind === "manual") {
        if (request.stack !== config.stack) {
            problems.push(`stack is "${request.stack}", but this orchestrator serves stack "${config.stack}"`);
        }
        if (request.targetRegion !== config.self.region) {
            problems.push(
                `targetRegion is "${request.targetRegion}", but this orchestrator promotes ${config.self.region} only (the region it runs in); ${request.targetRegion}'s own orchestrator promotes ${request.targetRegion}`,
            );
        }
    } else {
        if (!config.alarmNames.includes(request.alarmName)) {
            problems.push(`alarm ${request.alarmName} is not one of this stack's failover alarms (${config.alarmNames.join(", ")})`);
        }
        if (request.account !== config.accountId) {
            problems.push(`the event is from account ${request.account}, not ${config.accountId}`);
        }
        // Its own lag alarm is in its own region; the alarm on the peer's health check is in us-east-1, forwarded here.
        const regions = [config.self.region, ROUTE53_METRICS_REGION];
        if (!regions.includes(request.alarmRegion)) {
            problems.push(`the alarm is in ${request.alarmRegion}; this stack's failover alarms are in ${regions.join(" or ")}`);
        }
        // EventBridge names the alarm's ARN in `resources`; an event without it did not come from the alarm.
        const expected = `:cloudwatch:${request.alarmRegion}:${request.account}:alarm:${request.alarmName}`;
        const foreign = request.resources.filter((r) => !r.endsWith(expected));
        if (foreign.length > 0) {
            problems.push(`the event names resources of another alarm: ${foreign.join(", ")}`);
        } else if (request.resources.length === 0) {
            problems.push(`the event does not name the alarm's ARN in resources (arn:aws${expected})`);
        }
        const time = Date.parse(request.time);
        const ageSeconds = Math.round((now - time) / 1000);
        if (ageSeconds > config.maxEventAgeSeconds) {
            problems.push(`the event is ${ageSeconds} s old; alarm events older than ${config.maxEventAgeSeconds} s are stale evidence`);
        } else if (time - now > MAX_CLOCK_SKEW_MS) {
            problems.push(`the event's time ${request.time} is in the future`);
        }
    }
    if (problems.length > 0) {
        throw new InvalidEventError(problems);
    }
    return request;
}

/**
 * Which of this stack's schedules a scheduled event comes from: the beacon's (`beaconRuleName`, only for a stack with
 * an application tier) when its only resource names that rule, otherwise the aftercare's (whose checks then apply).
 * Pure.
 */
export function scheduleOf(
    request: Extract<OrchestratorRequest, { kind: "aftercare" }>,
    config: Pick<RuntimeConfig, "stack" | "application">,
): "aftercare" | "beacon" {
    const beacon = `:rule/${beaconRuleName(config.stack)}`;
    return config.application !== undefined && request.resources.length === 1 && request.resources[0]!.endsWith(beacon)
        ? "beacon"
        : "aftercare";
}

/**
 * What is wrong with a scheduled event for this stack's function: only its own region's aftercare rule (or, for the
 * beacon, its beacon rule), from its account, recent. Pure.
 */
export function aftercareProblems(
    request: Extract<OrchestratorRequest, { kind: "aftercare" }>,
    config: Pick<RuntimeConfig, "stack" | "accountId" | "self" | "maxEventAgeSeconds">,
    now: number,
    schedule: "aftercare" | "beacon" = "aftercare",
): string[] {
    const problems: string[] = [];
    const ruleName = schedule === "beacon" ? beaconRuleName(config.stack) : aftercareRuleName(config.stack);
    const rule = `arn:aws:events:${config.self.region}:${config.accountId}:rule/${ruleName}`;
    if (request.account !== config.accountId) {
        problems.push(`the scheduled event is from account ${request.account}, not ${config.accountId}`);
    }
    if (request.region !== config.self.region) {
        problems.push(`the scheduled event is from ${request.region}; this function's ${schedule} schedule is in ${config.self.region}`);
    }
    // A partition other than aws (aws-cn, aws-us-gov) names the same rule with its own prefix.
    const ours = (arn: string) => /^arn:aws[a-z-]*:/.test(arn) && arn.replace(/^arn:aws[a-z-]*:/, "arn:aws:") === rule;
    if (request.resources.length !== 1 || !ours(request.resources[0]!)) {
        problems.push(
            `the scheduled event must name exactly this stack's ${schedule} rule ${rule} in resources, not ${request.resources.length === 0 ? "nothing" : request.resources.join(", ")}`,
        );
    }
    const time = Date.parse(request.time);
    const ageSeconds = Math.round((now - time) / 1000);
    if (ageSeconds > config.maxEventAgeSeconds) {
        problems.push(`the scheduled event is ${ageSeconds} s old; events older than ${config.maxEventAgeSeconds} s are refused`);
    } else if (time - now > MAX_CLOCK_SKEW_MS) {
        problems.push(`the scheduled event's time ${request.time} is in the future`);
    }
    return problems;
}

function describe(error: z.ZodError): string[] {
    return error.issues.map((issue) => {
        if (issue.code === "unrecognized_keys") {
            return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
        }
        const path = issue.path.map(String).join(".");
        return path === "" || issue.message.startsWith(path) ? issue.message : `${path}: ${issue.message}`;
    });
}
