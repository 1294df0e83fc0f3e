/**
 * The AWS SDK v3 clients, one per service and region, with an injectable endpoint so that tests and the drill can
 * point them at a local moto server (and make one region unreachable to simulate its loss).
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { KMSClient } from "@aws-sdk/client-kms";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";

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
    const timeout = options.requestTimeoutMs ?? 10_000;
    const attempts = options.maxAttempts ?? 5;
    function memo<T>(key: string, make: () => T): T {
        if (!cache.has(key)) {
            cache.set(key, make());
        }
        return cache.get(key) as T;
    }
    return {
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
    };
}
