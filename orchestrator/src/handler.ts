/**
 * The Lambda entry point. `handler` is what the function runs; `createHandler` lets tests and the drill run the very
 * same code with their own clients (pointed at moto), clock, sleep and crash hooks.
 *
 * Order of work: validate the event (a malformed one is rejected before any AWS call), read the configuration from
 * SSM, then run the steps (orchestrate.ts). A failure after the lock was taken is thrown, so that Lambda retries the
 * asynchronous invocation (the retry resumes) and, once retries are spent, the event lands in the dead-letter queue.
 */
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import {
    aftercareRuleName,
    FAILOVER_METRICS_NAMESPACE,
    FAILOVER_PARAMETERS,
    ORCHESTRATOR_ENV,
    ORCHESTRATOR_TIMEOUT_SECONDS,
    failoverParameterPath,
} from "../../lib/failover";
import { createClients, endpointsFromEnvironment, type AwsClients } from "./clients";
import { ConfigurationError, loadRuntimeConfig } from "./config";
import { CALL_TIMEOUT_SECONDS } from "../../lib/failover";
import { Deadline } from "./deadline";
import { admit, InvalidEventError, parseEvent } from "./events";
import { DEFAULT_POLL, run, type Logger, type PollSettings, type RunResult } from "./orchestrate";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { publish } from "./aws";
import { RequestLog } from "./clients";
import type { RuntimeConfig } from "./config";
import { buildReport, EVIDENCE_DEADLINE_MS, freshMarks, startItem, writeEnd, writeStart, type Trigger } from "./evidence";
import { aftercareItemKey, lostWritesTask } from "./lostWrites";
import type { StepName } from "./timeline";

/** The parts of the Lambda context the orchestrator uses. */
export interface LambdaContextLike {
    readonly awsRequestId: string;
    getRemainingTimeInMillis(): number;
}

export interface HandlerOptions {
    /** The function's environment. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
    /** @default clients from the environment (AWS, or the HDR_TEST_ENDPOINT_URL overrides) */
    readonly clients?: AwsClients;
    /** @default Date.now */
    readonly now?: () => number;
    /** @default a real timer */
    readonly sleep?: (ms: number) => Promise<void>;
    /** @default Powertools for AWS Lambda Logger (structured JSON) */
    readonly logger?: Logger;
    /** @default DEFAULT_POLL */
    readonly poll?: PollSettings;
    /** Crash injection for tests. @default none */
    readonly afterStep?: (step: StepName) => Promise<void> | void;
    /** Count metrics. @default CloudWatch embedded metric format on stdout (namespace HealthcareDR/Failover) */
    readonly metric?: (name: string, value: number) => void;
}

export type Handler = (event: unknown, context?: LambdaContextLike) => Promise<RunResult>;

export function createHandler(options: HandlerOptions = {}): Handler {
    const env = options.env ?? process.env;
    const logger = options.logger ?? powertoolsLogger();
    const now = options.now ?? Date.now;
    let clients = options.clients;
    return async (event, context) => {
        // --- aftercare: the minimal call site of the lost-writes task until the aftercare dispatcher lands ---
        if (isScheduledEvent(event)) {
            return aftercare(event, env, logger, now, clients, context).then((out) => {
                clients ??= out.clients;
                return out.result;
            });
        }
        // Validate first: a malformed event must change nothing, so it is rejected before any client exists.
        const request = parseEvent(event);
        const environment = required(env, ORCHESTRATOR_ENV.environment);
        const lockTable = required(env, ORCHESTRATOR_ENV.lockTable);
        const region = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"];
        if (region === undefined) {
            throw new ConfigurationError("AWS_REGION is not set (Lambda sets it to the function's region)");
        }
        const endpointFor = endpointsFromEnvironment(env);
        clients ??= createClients(endpointFor !== undefined ? { endpointFor } : {});
        const startedAt = now();
        const configDeadline = new Deadline(now, startedAt + CALL_TIMEOUT_SECONDS * 1000, "reading the configuration");
        const config = await configDeadline.call("GetParametersByPath", (abortSignal) =>
            loadRuntimeConfig(clients!.ssm(region), environment, lockTable, { abortSignal }),
        );
        // Each region's function reads its own region's copy of the parameters: one that names another region as its
        // own was written for the other function, and acting on it would promote the wrong cluster.
        if (config.self.region !== region) {
            throw new ConfigurationError(
                `The orchestrator runs in ${region}, but ${failoverParameterPath(environment)}/${FAILOVER_PARAMETERS.region} there names ${config.self.region}: each region's function must be configured with its own region as ${FAILOVER_PARAMETERS.region}. Nothing was changed.`,
            );
        }
        // For this stack, from its account and region, recent, confirmed: or rejected with no AWS write.
        admit(request, config, now());
        const requestId = context?.awsRequestId ?? `local-${startedAt}`;
        const remainingMs =
            context !== undefined
                ? () => context.getRemainingTimeInMillis()
                : () => ORCHESTRATOR_TIMEOUT_SECONDS * 1000 - (now() - startedAt);
        logger.info("orchestrator invoked", { request, requestId, stack: config.stack, mode: config.mode });
        return run(
            request,
            config,
            {
                clients,
                now,
                sleep: options.sleep ?? realSleep,
                logger,
                poll: options.poll ?? DEFAULT_POLL,
                metric: options.metric ?? ((name, value) => embeddedMetric(config.stack, name, value, now())),
                ...(options.afterStep !== undefined ? { afterStep: options.afterStep } : {}),
            },
            { requestId, remainingMs },
        );
    };
}

// --- aftercare (evidence part): the minimal dispatcher call site ----------------------------------------------------
// The aftercare dispatcher (orchestrator/src/aftercare.ts, the break-glass part) runs every aftercare task of the
// scheduled event, the lost-writes task among them; until it is merged, this call site runs the lost-writes task alone.

interface ScheduledEvent {
    readonly source: "aws.events";
    readonly "detail-type": "Scheduled Event";
    readonly account: string;
    readonly region: string;
    readonly time: string;
    readonly resources: readonly string[];
}

function isScheduledEvent(event: unknown): event is ScheduledEvent {
    return event !== null && typeof event === "object" && (event as { source?: unknown }).source === "aws.events";
}

/**
 * A scheduled event of this stack's aftercare rule (`aftercareRuleName`), from the clusters' account and this region;
 * anything else is rejected, nothing changed. Pure.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export function admitSchedule(event: ScheduledEvent, config: Pick<RuntimeConfig, "stack" | "accountId" | "self">): void {
    const rule = `arn:aws:events:${config.self.region}:${config.accountId}:rule/${aftercareRuleName(config.stack)}`;
    const problems = [
        event["detail-type"] !== "Scheduled Event" ? `detail-type must be "Scheduled Event"` : undefined,
        event.account !== config.accountId ? `the event is from account ${event.account}, not ${config.accountId}` : undefined,
        event.region !== config.self.region ? `the event is from ${event.region}, not ${config.self.region}` : undefined,
        !Array.isArray(event.resources) || event.resources.length !== 1 || event.resources[0] !== rule
            ? `the event must name exactly the aftercare rule ${rule} in resources`
            : undefined,
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) {
        throw new InvalidEventError(problems);
    }
}

async function aftercare(
    event: ScheduledEvent,
    env: NodeJS.ProcessEnv,
    logger: Logger,
    now: () => number,
    given: AwsClients | undefined,
    context: LambdaContextLike | undefined,
): Promise<{ result: RunResult; clients: AwsClients }> {
    const environment = required(env, ORCHESTRATOR_ENV.environment);
    const lockTable = required(env, ORCHESTRATOR_ENV.lockTable);
    const region = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"];
    if (region === undefined) {
        throw new ConfigurationError("AWS_REGION is not set (Lambda sets it to the function's region)");
    }
    const endpointFor = endpointsFromEnvironment(env);
    const clients = given ?? createClients(endpointFor !== undefined ? { endpointFor } : {});
    const startedAt = now();
    const deadline = new Deadline(now, startedAt + 120_000, "the aftercare run");
    const config = await deadline.call("GetParametersByPath", (abortSignal) =>
        loadRuntimeConfig(clients.ssm(region), environment, lockTable, { abortSignal }),
    );
    admitSchedule(event, config);
    const log = new RequestLog(now);
    const requestId = context?.awsRequestId ?? `local-${startedAt}`;
    const result = await log.capture(async () => {
        const dynamodb = clients.dynamodb(config.self.region);
        // The cheap path: one read of the aftercare item; no obligation, no record, no page.
        const item = await deadline.call("GetItem (aftercare)", (abortSignal) =>
            dynamodb.send(
                new GetItemCommand({
                    TableName: lockTable,
                    Key: { lockId: { S: aftercareItemKey(config.globalClusterId) } },
                    ConsistentRead: true,
                }),
                { abortSignal },
            ),
        );
        const outcome = await lostWritesTask(config, { clients, now, logger }, deadline, item.Item);
        logger.info("aftercare", { outcome });
        if (outcome.page !== undefined) {
            for (const topic of config.topicArns) {
                await deadline
                    .call("Publish", (abortSignal) =>
                        publish(clients.sns(config.self.region), topic, outcome.page!.subject, outcome.page!.message, { abortSignal }),
                    )
                    .catch((error: unknown) => logger.error("the aftercare page could not be sent", { error: String(error) }));
            }
        }
        const runResult: RunResult = {
            outcome: outcome.status === "failed" ? "failed" : outcome.didWork ? "completed" : "not-needed",
            dryRun: false,
            message: outcome.detail,
            timeline: [],
            totalMs: now() - startedAt,
        };
        if (!outcome.didWork && outcome.page === undefined) {
            return runResult;
        }
        // An aftercare run that did work is a run: its record and report.
        const iso = new Date(startedAt).toISOString();
        const trigger: Trigger = { kind: "schedule", time: event.time, requestId };
        const marks = freshMarks(iso, requestId, trigger);
        const deps = { dynamodb, s3: clients.s3(config.self.region), now, logger };
        const evidenceDeadline = new Deadline(now, now() + EVIDENCE_DEADLINE_MS, "the aftercare evidence");
        await writeStart(
            deps,
            config.runsTable,
            startItem({
                stack: config.stack,
                runKey: marks["runKey"]!,
                runId: requestId,
                region: config.self.region,
                startedAt: iso,
                action: "aftercare",
                trigger,
                now: now(),
            }),
            evidenceDeadline,
        );
        const report = buildReport({
            stack: config.stack,
            region: config.self.region,
            peerRegion: config.peer.region,
            globalClusterId: config.globalClusterId,
            runId: requestId,
            runKey: marks["runKey"]!,
            startedAt: iso,
            endedAt: new Date(now()).toISOString(),
            invocation: requestId,
            action: "aftercare",
            outcome: runResult.outcome,
            message: outcome.detail,
            dryRun: false,
            trigger,
            decisions: [{ at: iso, step: "aftercare", kind: outcome.status, reason: outcome.detail }],
            resumedAfter: [],
            steps: [],
            requests: log.entries,
            requestsNotListed: log.dropped,
            pointers: {},
            marks,
        });
        await writeEnd(deps, { table: config.runsTable, bucket: config.reportBucket, stack: config.stack }, report, evidenceDeadline);
        return runResult;
    });
    return { result, clients };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
    const value = env[name];
    if (value === undefined || value === "") {
        throw new ConfigurationError(`The environment variable ${name} is not set; the FailoverOrchestrator component sets it.`);
    }
    return value;
}

/**
 * A count metric in CloudWatch's embedded metric format: one JSON line on stdout, which CloudWatch Logs turns into a
 * metric with no API call (so it works whatever else is failing).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function embeddedMetric(stack: string, name: string, value: number, timestamp: number): void {
    process.stdout.write(
        `${JSON.stringify({
            _aws: {
                Timestamp: timestamp,
                CloudWatchMetrics: [
                    { Namespace: FAILOVER_METRICS_NAMESPACE, Dimensions: [["Stack"]], Metrics: [{ Name: name, Unit: "Count" }] },
                ],
            },
            Stack: stack,
            [name]: value,
        })}\n`,
    );
}

function realSleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function powertoolsLogger(): Logger {
    const logger = new PowertoolsLogger({ serviceName: "failover-orchestrator" });
    return {
        info: (message, extra) => logger.info(message, extra ?? {}),
        warn: (message, extra) => logger.warn(message, extra ?? {}),
        error: (message, extra) => logger.error(message, extra ?? {}),
    };
}

/** The function's handler (`index.handler` in the bundle). */
export const handler: Handler = createHandler();
