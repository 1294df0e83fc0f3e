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
    FAILOVER_METRICS_NAMESPACE,
    FAILOVER_PARAMETERS,
    ORCHESTRATOR_ENV,
    ORCHESTRATOR_TIMEOUT_SECONDS,
    failoverParameterPath,
} from "../../lib/failover";
import { aftercareRun } from "./aftercare";
import { createClients, endpointsFromEnvironment, type AwsClients } from "./clients";
import { ConfigurationError, loadRuntimeConfig } from "./config";
import { CALL_TIMEOUT_SECONDS } from "../../lib/failover";
import { Deadline } from "./deadline";
import { beaconRun } from "./beacon";
import { admit, parseEvent, scheduleOf } from "./events";
import { DEFAULT_POLL, run, type Logger, type PollSettings, type RunResult } from "./orchestrate";
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
        if (request.kind === "aftercare" && scheduleOf(request, config) === "beacon") {
            // The beacon publishes the traffic metrics from local state (beacon.ts): never a failover, never a scale.
            return beaconRun(config, { clients, now, logger }, { remainingMs: remainingMs() });
        }
        if (request.kind === "aftercare") {
            // The schedule only ever runs the open aftercare work (aftercare.ts): never a failover.
            return aftercareRun(config, { clients, now, logger }, { requestId, remainingMs: remainingMs(), time: request.time });
        }
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
