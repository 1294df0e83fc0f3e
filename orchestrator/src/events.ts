/**
 * The events the orchestrator accepts, validated before anything else happens: a malformed event is rejected with
 * an error that names every problem, and no AWS call is made.
 *
 * - A CloudWatch alarm state change, as EventBridge delivers it (`source: aws.cloudwatch`).
 *   @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 * - A manual request from on-call (`npm run failover`): `{ action, dryRun, force }`. Unknown keys are refused, so that
 *   a misspelt `dryrun` can never turn a rehearsal into a real failover.
 */
import { z } from "zod";
import { FAILOVER_ACTIONS, type FailoverAction } from "../../lib/failover";

export const ALARM_STATES = ["OK", "ALARM", "INSUFFICIENT_DATA"] as const;

export const alarmEventSchema = z.object({
    source: z.literal("aws.cloudwatch"),
    "detail-type": z.literal("CloudWatch Alarm State Change"),
    region: z.string().min(1),
    time: z.string().min(1),
    resources: z.array(z.string()).default([]),
    detail: z.object({
        alarmName: z.string().min(1),
        state: z.object({ value: z.enum(ALARM_STATES), reason: z.string().default("") }),
    }),
});

export const manualRequestSchema = z.strictObject({
    action: z.enum(FAILOVER_ACTIONS, { error: `action must be one of ${FAILOVER_ACTIONS.join(", ")}` }),
    dryRun: z.boolean({ error: "dryRun must be true or false" }).default(false),
    force: z.boolean({ error: "force must be true or false" }).default(false),
    /** Who asked (the CLI sets the caller's identity), for the notifications. */
    requestedBy: z.string().max(256).optional(),
});

/** What the orchestrator was asked to do, whichever way it was asked. */
export type OrchestratorRequest =
    | {
          readonly kind: "alarm";
          readonly alarmName: string;
          readonly state: (typeof ALARM_STATES)[number];
          readonly reason: string;
          readonly alarmRegion: string;
          readonly time: string;
      }
    | {
          readonly kind: "manual";
          readonly action: FailoverAction;
          readonly dryRun: boolean;
          readonly force: boolean;
          readonly requestedBy?: string;
      };

/** The event was not one the orchestrator accepts; nothing was changed. */
export class InvalidEventError extends Error {
    override readonly name = "InvalidEventError";
    constructor(readonly problems: readonly string[]) {
        super(
            `Rejected the event, nothing was changed: ${problems.join("; ")}. Expected a CloudWatch alarm state change from EventBridge or ` +
                `{ "action": "switchover" | "failover", "dryRun": boolean, "force": boolean }.`,
        );
    }
}

/** Validates an event; throws `InvalidEventError` listing every problem. */
export function parseEvent(event: unknown): OrchestratorRequest {
    if (event === null || typeof event !== "object" || Array.isArray(event)) {
        throw new InvalidEventError([
            `the event must be a JSON object, got ${event === null ? "null" : Array.isArray(event) ? "an array" : typeof event}`,
        ]);
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
            time: parsed.data.time,
        };
    }
    const parsed = manualRequestSchema.safeParse(event);
    if (!parsed.success) {
        throw new InvalidEventError(describe(parsed.error));
    }
    return { kind: "manual", ...parsed.data };
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
