/**
 * The AWS SDK v3 clients, one per service and region, with an injectable endpoint so that tests and the drill can
 * point them at a local moto server (and make one region unreachable to simulate its loss).
 *
 * Every client carries a middleware that records each AWS request of the run in progress (service, operation, region,
 * request id, HTTP status or error code, time) into that run's `RequestLog`: the evidence of the run report. The log is
 * found through an AsyncLocalStorage, so that runs sharing the clients (a warm function, the drill's concurrent runs)
 * each get only their own requests.
 */
import { AsyncLocalStorage } from "async_hooks";
import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { KMSClient } from "@aws-sdk/client-kms";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { S3Client as AwsS3Client } from "@aws-sdk/client-s3";
import { reportObjects, type S3Client } from "./s3";

export interface AwsClients {
    rds(region: string): RDSClient;
    /**
     * RDS without SDK retries, for the calls that start a promotion: when an answer is lost, the orchestrator reads
     * the global cluster back and decides itself, rather than the SDK sending the call again.
     */
    rdsOnce(region: string): RDSClient;
    /** The probe of the peer region: short timeouts and few retries, because an unreachable region is the answer. */
    rdsProbe(region: string): RDSClient;
    /** CloudWatch of a region; the peer region's is a probe (short timeouts, few retries) like `rdsProbe`. */
    cloudwatch(region: string): CloudWatchClient;
    cloudwatchProbe(region: string): CloudWatchClient;
    route53(): Route53Client;
    ssm(region: string): SSMClient;
    /**
     * SSM without SDK retries, for the best-effort write of the peer region's `active-region`: one attempt within its
     * short deadline, so that a region that is down costs no backoff.
     */
    ssmOnce(region: string): SSMClient;
    /** SNS without SDK retries: a publish whose answer was lost must not be sent twice (at most one message each). */
    sns(region: string): SNSClient;
    dynamodb(region: string): DynamoDBClient;
    kms(region: string): KMSClient;
    /** Secrets Manager of a region (break-glass: the master secret of its own region). */
    secrets(region: string): SecretsManagerClient;
    /**
     * EC2 of the peer region, for the fence: one attempt with the probe's short timeout (the peer region may be the one
     * that is down; the aftercare schedule tries again), so a lost answer is read back, never sent again blindly.
     */
    ec2Once(region: string): EC2Client;
    /** S3 (PutObject of the run reports; see s3.ts). */
    s3(region: string): S3Client;
    // --- the application tier (application.ts) ---
    /** ECS of a region: the reads of its own service. */
    ecs(region: string): ECSClient;
    /**
     * ECS without SDK retries and with the probe's short timeout: UpdateService (a lost answer is read back, never sent
     * again blindly) and every call to the peer region (which may be the one that is down).
     */
    ecsOnce(region: string): ECSClient;
    /** Elastic Load Balancing v2 of a region: DescribeTargetHealth of its own target group. */
    elbv2(region: string): ElasticLoadBalancingV2Client;
    /** Application Auto Scaling of a region (the service's scalable target); one attempt, probe timeout, for the peer. */
    autoscaling(region: string): ApplicationAutoScalingClient;
    autoscalingOnce(region: string): ApplicationAutoScalingClient;
}

// --- the run's AWS requests (evidence) ------------------------------------------------------------------------------

/** One AWS request as the run report lists it. */
export interface RequestEntry {
    /** ISO 8601 time the call started. */
    readonly time: string;
    readonly service: string;
    readonly operation: string;
    readonly region: string;
    /** AWS's request id (`x-amzn-requestid` / `x-amz-request-id`), when AWS answered. */
    readonly requestId?: string;
    readonly httpStatus?: number;
    /** The error code of a failed call (AWS's, or the network's: ECONNRESET, TimeoutError, ...). */
    readonly errorCode?: string;
    readonly durationMs: number;
    /** Attempts the SDK made (its retries included). */
    readonly attempts?: number;
}

/** The most requests one report lists; the rest are counted (a run makes a few dozen). */
export const MAX_LOGGED_REQUESTS = 2_000;

/** The AWS requests of one run. */
export class RequestLog {
    readonly entries: RequestEntry[] = [];
    dropped = 0;

    constructor(readonly now: () => number) {}

    add(entry: RequestEntry): void {
        if (this.entries.length >= MAX_LOGGED_REQUESTS) {
            this.dropped++;
            return;
        }
        this.entries.push(entry);
    }

    /** Runs `work` with this log as the current run's: every request the clients make inside it is recorded here. */
    capture<T>(work: () => Promise<T>): Promise<T> {
        return CURRENT_LOG.run(this, work);
    }
}

const CURRENT_LOG = new AsyncLocalStorage<RequestLog>();

/** Records a request into the current run's log, if a run is capturing. */
export function recordRequest(call: {
    readonly service: string;
    readonly operation: string;
    readonly region: string;
    readonly startedAt: number;
    readonly requestId?: string;
    readonly httpStatus?: number;
    readonly errorCode?: string;
    readonly attempts?: number;
}): void {
    const log = CURRENT_LOG.getStore();
    if (log === undefined) {
        return;
    }
    const { startedAt, ...rest } = call;
    const end = Date.now();
    log.add({ time: new Date(log.now() - (end - startedAt)).toISOString(), durationMs: end - startedAt, ...rest });
}

interface Metadata {
    readonly requestId?: string;
    readonly httpStatusCode?: number;
    readonly attempts?: number;
}

/**
 * The middleware that records each call, outermost (`initialize`), so that a call is one entry whatever the SDK's
 * retries; the request id and status are AWS's answer to the last attempt (`$metadata`).
 */
function captureRequests(client: { middlewareStack: { add: (...args: never[]) => void } }, service: string, region: string): void {
    const add = client.middlewareStack.add as unknown as (
        middleware: (
            next: (args: unknown) => Promise<{ output: { $metadata?: Metadata } }>,
            context: { commandName?: string },
        ) => (args: unknown) => Promise<unknown>,
        options: { step: "initialize"; name: string; priority: "high" },
    ) => void;
    add(
        (next, context) => async (args) => {
            const startedAt = Date.now();
            const operation = (context.commandName ?? "unknown").replace(/Command$/, "");
            try {
                const out = await next(args);
                const m = out.output.$metadata ?? {};
                recordRequest({ service, operation, region, startedAt, ...metadataFields(m) });
                return out;
            } catch (error) {
                const e = error as { name?: string; $metadata?: Metadata; code?: string };
                recordRequest({
                    service,
                    operation,
                    region,
                    startedAt,
                    ...metadataFields(e.$metadata ?? {}),
                    errorCode: e.name !== undefined && e.name !== "Error" ? e.name : (e.code ?? "Error"),
                });
                throw error;
            }
        },
        { step: "initialize", name: "hdrCaptureRequests", priority: "high" },
    );
}

function metadataFields(m: Metadata): { requestId?: string; httpStatus?: number; attempts?: number } {
    return {
        ...(m.requestId !== undefined ? { requestId: m.requestId } : {}),
        ...(m.httpStatusCode !== undefined ? { httpStatus: m.httpStatusCode } : {}),
        ...(m.attempts !== undefined ? { attempts: m.attempts } : {}),
    };
}

export interface ClientOptions {
    /** The endpoint for a region's APIs; undefined means the AWS default. */
    readonly endpointFor?: (region: string) => string | undefined;
    /** Static credentials (moto accepts any). Undefined means the default provider chain (the Lambda's role). */
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
    /** Per-request timeout of ordinary calls, ms. @default 10000 */
    readonly requestTimeoutMs?: number;
    /** Per-request timeout of the peer-region probe, ms. @default 5000 */
    readonly probeTimeoutMs?: number;
    /** SDK attempts per call (with the SDK's exponential backoff and throttling handling). @default 5 */
    readonly maxAttempts?: number;
}

/** Route 53 is a global service whose API is signed for us-east-1. */
export const ROUTE53_SIGNING_REGION = "us-east-1";

/** Test-only endpoint overrides: HDR_TEST_ENDPOINT_URL for every region, HDR_TEST_ENDPOINT_URL_EU_WEST_2 for one. */
export function endpointsFromEnvironment(env: NodeJS.ProcessEnv): ((region: string) => string | undefined) | undefined {
    const all = env["HDR_TEST_ENDPOINT_URL"];
    const perRegion = Object.keys(env).some((k) => k.startsWith("HDR_TEST_ENDPOINT_URL_"));
    if (all === undefined && !perRegion) {
        return undefined;
    }
    return (region) => env[`HDR_TEST_ENDPOINT_URL_${region.toUpperCase().replace(/-/g, "_")}`] ?? all;
}

export function createClients(options: ClientOptions = {}): AwsClients {
    const cache = new Map<string, unknown>();
    const common = (region: string, timeoutMs: number, maxAttempts: number) => {
        const endpoint = options.endpointFor?.(region);
        return {
            region,
            maxAttempts,
            // throwOnRequestTimeout: without it the SDK only logs a warning when requestTimeout is exceeded. Every call
            // also carries an AbortSignal bounded by its step's deadline (deadline.ts).
            requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 3000), throwOnRequestTimeout: true },
            ...(endpoint !== undefined ? { endpoint } : {}),
            ...(options.credentials !== undefined ? { credentials: { ...options.credentials } } : {}),
        };
    };
    // A local endpoint (moto) has no per-bucket host names: S3 is addressed path-style there.
    const pathStyle = (region: string) => (options.endpointFor?.(region) !== undefined ? { forcePathStyle: true } : {});
    const timeout = options.requestTimeoutMs ?? 10_000;
    const attempts = options.maxAttempts ?? 5;
    function memo<T>(key: string, make: () => T): T {
        if (!cache.has(key)) {
            const client = make();
            const [service, region] = key.split(":") as [string, string | undefined];
            if (typeof (client as { middlewareStack?: unknown }).middlewareStack === "object") {
                // `rds-once:eu-west-1` is rds in eu-west-1; route53 is signed for us-east-1.
                captureRequests(client as never, service.replace(/-(once|probe)$/, ""), region ?? ROUTE53_SIGNING_REGION);
            }
            cache.set(key, client);
        }
        return cache.get(key) as T;
    }
    const clients: AwsClients = {
        rds: (region) => memo(`rds:${region}`, () => new RDSClient(common(region, timeout, attempts))),
        rdsOnce: (region) => memo(`rds-once:${region}`, () => new RDSClient(common(region, timeout, 1))),
        rdsProbe: (region) => memo(`rds-probe:${region}`, () => new RDSClient(common(region, options.probeTimeoutMs ?? 5_000, 2))),
        cloudwatch: (region) => memo(`cloudwatch:${region}`, () => new CloudWatchClient(common(region, timeout, attempts))),
        cloudwatchProbe: (region) =>
            memo(`cloudwatch-probe:${region}`, () => new CloudWatchClient(common(region, options.probeTimeoutMs ?? 5_000, 2))),
        route53: () => memo("route53", () => new Route53Client(common(ROUTE53_SIGNING_REGION, timeout, attempts))),
        ssm: (region) => memo(`ssm:${region}`, () => new SSMClient(common(region, timeout, attempts))),
        ssmOnce: (region) => memo(`ssm-once:${region}`, () => new SSMClient(common(region, timeout, 1))),
        sns: (region) => memo(`sns:${region}`, () => new SNSClient(common(region, timeout, 1))),
        dynamodb: (region) => memo(`dynamodb:${region}`, () => new DynamoDBClient(common(region, timeout, attempts))),
        kms: (region) => memo(`kms:${region}`, () => new KMSClient(common(region, timeout, attempts))),
        secrets: (region) => memo(`secrets:${region}`, () => new SecretsManagerClient(common(region, timeout, attempts))),
        ec2Once: (region) => memo(`ec2-once:${region}`, () => new EC2Client(common(region, options.probeTimeoutMs ?? 5_000, 1))),
        ecs: (region) => memo(`ecs:${region}`, () => new ECSClient(common(region, timeout, attempts))),
        ecsOnce: (region) => memo(`ecs-once:${region}`, () => new ECSClient(common(region, options.probeTimeoutMs ?? 5_000, 1))),
        elbv2: (region) =>
            memo(`elasticloadbalancing:${region}`, () => new ElasticLoadBalancingV2Client(common(region, timeout, attempts))),
        autoscaling: (region) =>
            memo(`application-autoscaling:${region}`, () => new ApplicationAutoScalingClient(common(region, timeout, attempts))),
        autoscalingOnce: (region) =>
            memo(
                `application-autoscaling-once:${region}`,
                () => new ApplicationAutoScalingClient(common(region, options.probeTimeoutMs ?? 5_000, 1)),
            ),
        s3: (region) =>
            reportObjects(
                memo(`s3:${region}`, () => new AwsS3Client({ ...common(region, timeout, attempts), ...pathStyle(region) })),
                region,
            ),
    };
    return clients;
}
