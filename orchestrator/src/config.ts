/**
 * The orchestrator's configuration, read from SSM Parameter Store under `/healthcare/<environment>/failover/` at
 * every invocation (a handful of parameters, one paginated call), so that it is never stale after a deploy.
 *
 * Each region of the pair runs its own function with its own copy of the parameters: `region`/`cluster-arn` name the
 * function's own region and cluster (the only one it ever promotes), `peer-region`/`peer-cluster-arn` the other one
 * (whose loss it detects). The copies are the same with self and peer swapped.
 */
import { GetParametersByPathCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { z } from "zod";
import {
    activeRegionParameterName,
    DETECTION_WINDOW_SECONDS,
    FAILOVER_MODES,
    FAILOVER_PARAMETERS,
    failoverParameterPath,
    MAX_EVENT_AGE_SECONDS,
    QUORUM,
    type FailoverMode,
    type OrchestratorApplicationCounts,
} from "../../lib/failover";
import { APPLICATION_PARAMETERS } from "../../lib/application";

export interface ClusterRef {
    readonly region: string;
    readonly arn: string;
    /** The cluster identifier (the last part of the ARN), for DescribeDBClusters in the cluster's region. */
    readonly identifier: string;
}

export interface RuntimeConfig {
    readonly environment: string;
    readonly stack: string;
    readonly mode: FailoverMode;
    readonly globalClusterId: string;
    /** This function's own region and cluster: the only cluster it promotes. */
    readonly self: ClusterRef;
    /** The other region of the pair and its cluster: the writer whose loss this function detects. */
    readonly peer: ClusterRef;
    readonly hostedZoneId: string;
    readonly recordName: string;
    readonly recordTtl: number;
    readonly activeRegionParameter: string;
    readonly topicArns: readonly string[];
    readonly lockTable: string;
    /** The account of the clusters (from their ARNs): alarm events from any other account are rejected. */
    readonly accountId: string;
    /** The alarms allowed to start the orchestrator. */
    readonly alarmNames: readonly string[];
    /** Seconds over which the signals of a lost peer writer must hold. */
    readonly detectionWindowSeconds: number;
    /** Signals needed for an unplanned failover. */
    readonly quorum: number;
    /** Alarm events older than this are rejected. */
    readonly maxEventAgeSeconds: number;
    /** The replication lag above which the replication signal says "down", seconds. */
    readonly replicationLagThresholdSeconds: number;
    // --- break-glass: what the detach, the secret and the fence of the old writer need ---
    /** The master secret as this region holds it (its replica in the DR region); a break-glass re-points its `host`. */
    readonly secretArn: string;
    /** The peer cluster's database security group: fencing the old writer revokes all its ingress. */
    readonly peerSecurityGroupId: string;
    /** The peer cluster's cluster parameter group: fencing sets FENCE_PARAMETER on it. */
    readonly peerClusterParameterGroup: string;
    // --- evidence (run records, reports, lost writes) ---
    /** The peer region's KMS key: the lost-writes snapshot copy, kept in the peer region, is encrypted with it. */
    readonly peerKmsKeyArn: string;
    /** This region's run-record table (RUNS_TABLE_KEYS). */
    readonly runsTable: string;
    /** This region's Object-Locked report bucket. */
    readonly reportBucket: string;
    /** The application tier (APPLICATION_PARAMETERS); absent when the stack has none. */
    readonly application?: ApplicationRuntimeConfig;
}

/** The application tier as this region's orchestrator sees it (lib/application.ts APPLICATION_PARAMETERS). */
export interface ApplicationRuntimeConfig extends OrchestratorApplicationCounts {
    /** The ECS cluster and service names (the same in both regions). */
    readonly cluster: string;
    readonly service: string;
    /** This region's target group ARN (DescribeTargetHealth). */
    readonly targetGroupArn: string;
    /** The synthetic request's URL: `https://<this region's ALB><healthPath>` (plain http only to a loopback host). */
    readonly checkUrl: string;
    /** The Host header and TLS server name of the synthetic request (the certificate is verified against it). */
    readonly host: string;
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:[\w/+=.@-]+$/;

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]+$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):cluster:([a-zA-Z][a-zA-Z0-9-]*)$/;

const boundedInt = ({ min, max }: { min: number; max: number }) =>
    z.coerce
        .number()
        .int({ error: `must be a whole number from ${min} to ${max}` })
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` });

const P = FAILOVER_PARAMETERS;
const parametersSchema = z.object({
    [P.stack]: z.string().min(1),
    [P.mode]: z.enum(FAILOVER_MODES, { error: `must be one of ${FAILOVER_MODES.join(", ")}` }),
    [P.globalClusterId]: z.string().min(1),
    [P.region]: z.string().min(1),
    [P.clusterArn]: z.string().regex(CLUSTER_ARN, { error: "must be an Aurora cluster ARN" }),
    [P.peerRegion]: z.string().min(1),
    [P.peerClusterArn]: z.string().regex(CLUSTER_ARN, { error: "must be an Aurora cluster ARN" }),
    [P.hostedZoneId]: z.string().min(1),
    [P.recordName]: z.string().min(1),
    [P.recordTtl]: z.coerce.number().int().min(0),
    [P.topicArns]: z.string().optional(),
    [P.alarmNames]: z.string().min(1),
    [P.detectionWindowSeconds]: boundedInt(DETECTION_WINDOW_SECONDS),
    [P.quorum]: boundedInt(QUORUM),
    [P.maxEventAgeSeconds]: boundedInt(MAX_EVENT_AGE_SECONDS),
    [P.replicationLagThresholdSeconds]: boundedInt({ min: 1, max: 3600 }),
    // break-glass
    [P.secretArn]: z.string().regex(SECRET_ARN, { error: "must be a Secrets Manager secret ARN" }),
    [P.peerSecurityGroupId]: z.string().regex(/^sg-[0-9a-f]{8,17}$/, { error: "must be a security group id (sg-...)" }),
    // DB cluster parameter group names: a letter first, letters, digits and hyphens, at most 255 characters.
    [P.peerClusterParameterGroup]: z
        .string()
        .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/, { error: "must be a DB cluster parameter group name" }),
    // --- evidence ---
    [P.peerKmsKeyArn]: z.string().regex(KMS_KEY_ARN, { error: "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)" }),
    [P.runsTable]: z.string().min(1),
    // S3 bucket names: 3 to 63 lower-case letters, digits, hyphens and dots. https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    [P.reportBucket]: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket name" }),
});

const A = APPLICATION_PARAMETERS;
const count = z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be at least 0" })
    .max(5000, { error: "must be at most 5000 (ECS tasks per service)" });
// Aurora Serverless v2 capacity: 0 to 256 ACU in steps of 0.5.
// @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html
const acu = z.coerce
    .number({ error: "must be a number of ACUs" })
    .min(0, { error: "must be at least 0 ACU" })
    .max(256, { error: "must be at most 256 ACU" })
    .refine((n) => Number.isInteger(n * 2), { error: "must be a multiple of 0.5 ACU" });
const applicationSchema = z.object({
    [A.cluster]: z.string().regex(/^[a-zA-Z0-9_-]{1,255}$/, { error: "must be an ECS cluster name" }),
    [A.service]: z.string().regex(/^[a-zA-Z0-9_-]{1,255}$/, { error: "must be an ECS service name" }),
    [A.targetGroupArn]: z.string().regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[\w-]+\/[0-9a-f]+$/, {
        error: "must be a target group ARN",
    }),
    [A.checkUrl]: z.string().min(1),
    [A.host]: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, { error: "must be a DNS name" }),
    [A.activeCount]: count,
    [A.standbyCount]: count,
    [A.minCount]: count,
    [A.maxCount]: count,
    [A.dbMinCapacity]: acu,
    [A.dbMaxCapacity]: acu,
});

/** Loopback hosts: the only ones a plain-http synthetic request may go to (a local drill or test). */
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/;

/**
 * The synthetic request's URL, or the reason it is refused: https to any host; plain http only to a loopback host (the
 * local drill's stand-in for the ALB). Pure.
 */
export function checkUrlProblem(url: string): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return "must be a URL (https://<the ALB's DNS name><health path>)";
    }
    if (parsed.protocol === "https:") {
        return undefined;
    }
    if (parsed.protocol === "http:" && LOOPBACK.test(parsed.hostname)) {
        return undefined;
    }
    return `must be an https URL (plain http is allowed only to a loopback host, for local drills), got ${parsed.protocol}//${parsed.hostname}`;
}

/**
 * The optional application group: all of APPLICATION_PARAMETERS present (parsed), or all absent (undefined). Pure.
 * A partial group is a deploy that went wrong: refused, naming what is missing.
 */
export function parseApplicationConfig(values: Readonly<Record<string, string>>, path: string): ApplicationRuntimeConfig | undefined {
    const names = Object.values(A);
    const present = names.filter((n) => values[n] !== undefined);
    if (present.length === 0) {
        return undefined;
    }
    if (present.length < names.length) {
        const missing = names.filter((n) => values[n] === undefined);
        throw new ConfigurationError(
            `The orchestrator's application parameters are incomplete (all or none): ${missing.map((n) => `${path}/${n} is missing`).join("; ")}`,
        );
    }
    const parsed = applicationSchema.safeParse(values);
    const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${path}/${i.path.map(String).join(".")}: ${i.message}`);
    const urlProblem = checkUrlProblem(values[A.checkUrl]!);
    if (urlProblem !== undefined) {
        problems.push(`${path}/${A.checkUrl}: ${urlProblem}`);
    }
    if (parsed.success) {
        const v = parsed.data;
        if (v[A.minCount] > v[A.maxCount]) {
            problems.push(`${path}/${A.minCount} (${v[A.minCount]}) must not exceed ${A.maxCount} (${v[A.maxCount]})`);
        }
        if (v[A.standbyCount] > v[A.activeCount]) {
            problems.push(`${path}/${A.standbyCount} (${v[A.standbyCount]}) must not exceed ${A.activeCount} (${v[A.activeCount]})`);
        }
        if (v[A.dbMinCapacity] > v[A.dbMaxCapacity]) {
            problems.push(`${path}/${A.dbMinCapacity} (${v[A.dbMinCapacity]}) must not exceed ${A.dbMaxCapacity} (${v[A.dbMaxCapacity]})`);
        }
    }
    if (problems.length > 0 || !parsed.success) {
        throw new ConfigurationError(`The orchestrator's application parameters are wrong: ${problems.join("; ")}`);
    }
    const v = parsed.data;
    return {
        cluster: v[A.cluster],
        service: v[A.service],
        targetGroupArn: v[A.targetGroupArn],
        checkUrl: v[A.checkUrl],
        host: v[A.host].toLowerCase(),
        activeCount: v[A.activeCount],
        standbyCount: v[A.standbyCount],
        minCount: v[A.minCount],
        maxCount: v[A.maxCount],
        dbMinCapacity: v[A.dbMinCapacity],
        dbMaxCapacity: v[A.dbMaxCapacity],
    };
}

/** The configuration is missing or wrong; the message names each parameter. Nothing was changed. */
export class ConfigurationError extends Error {
    override readonly name = "ConfigurationError";
}

/** Builds the configuration from parameter values keyed by their name relative to the path. Pure. */
export function parseRuntimeConfig(values: Readonly<Record<string, string>>, environment: string, lockTable: string): RuntimeConfig {
    const path = failoverParameterPath(environment);
    const parsed = parametersSchema.safeParse(values);
    if (!parsed.success) {
        const problems = parsed.error.issues.map(
            (i) => `${path}/${i.path.map(String).join(".")}: ${i.code === "invalid_type" ? "is missing" : i.message}`,
        );
        throw new ConfigurationError(`The orchestrator's configuration is incomplete: ${problems.join("; ")}`);
    }
    const v = parsed.data;
    const cluster = (region: string, arn: string, name: string): ClusterRef => {
        const match = CLUSTER_ARN.exec(arn)!;
        if (match[1] !== region) {
            throw new ConfigurationError(`${path}/${name}: the cluster ${arn} is not in ${region}`);
        }
        return { region, arn, identifier: match[3]! };
    };
    const self = cluster(v[P.region], v[P.clusterArn], P.clusterArn);
    const peer = cluster(v[P.peerRegion], v[P.peerClusterArn], P.peerClusterArn);
    if (self.region === peer.region) {
        throw new ConfigurationError(`${path}/${P.peerRegion} must differ from ${P.region} (${self.region})`);
    }
    const accountId = CLUSTER_ARN.exec(self.arn)![2]!;
    // --- evidence: the copy of the peer's lost writes stays in the peer region, under that region's key ---
    if (KMS_KEY_ARN.exec(v[P.peerKmsKeyArn])![1] !== peer.region) {
        throw new ConfigurationError(`${path}/${P.peerKmsKeyArn}: the key ${v[P.peerKmsKeyArn]} is not in the peer region ${peer.region}`);
    }
    if (CLUSTER_ARN.exec(peer.arn)![2] !== accountId) {
        throw new ConfigurationError(`${path}/${P.peerClusterArn}: the peer cluster is not in this cluster's account ${accountId}`);
    }
    // The secret a break-glass re-points must be this region's copy: the peer's may be in the region that is down.
    const secret = SECRET_ARN.exec(v[P.secretArn])!;
    if (secret[1] !== self.region || secret[2] !== accountId) {
        throw new ConfigurationError(
            `${path}/${P.secretArn}: the secret ${v[P.secretArn]} is not in this region's account (${self.region}, ${accountId}): each region's copy of the parameters names its own region's copy of the master secret`,
        );
    }
    const application = parseApplicationConfig(values, path);
    if (application !== undefined) {
        const tg = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):(\d{12}):/.exec(application.targetGroupArn)!;
        if (tg[1] !== self.region || tg[2] !== accountId) {
            throw new ConfigurationError(
                `${path}/${APPLICATION_PARAMETERS.targetGroupArn}: the target group ${application.targetGroupArn} is not in this region's account (${self.region}, ${accountId})`,
            );
        }
    }
    return {
        environment,
        stack: v[P.stack],
        mode: v[P.mode],
        globalClusterId: v[P.globalClusterId],
        self,
        peer,
        hostedZoneId: v[P.hostedZoneId],
        recordName: v[P.recordName].replace(/\.$/, ""),
        recordTtl: v[P.recordTtl],
        activeRegionParameter: activeRegionParameterName(environment),
        topicArns: list(v[P.topicArns] ?? ""),
        lockTable,
        accountId,
        alarmNames: list(v[P.alarmNames]),
        detectionWindowSeconds: v[P.detectionWindowSeconds],
        quorum: v[P.quorum],
        maxEventAgeSeconds: v[P.maxEventAgeSeconds],
        replicationLagThresholdSeconds: v[P.replicationLagThresholdSeconds],
        secretArn: v[P.secretArn],
        peerSecurityGroupId: v[P.peerSecurityGroupId],
        peerClusterParameterGroup: v[P.peerClusterParameterGroup],
        peerKmsKeyArn: v[P.peerKmsKeyArn],
        runsTable: v[P.runsTable],
        reportBucket: v[P.reportBucket],
        ...(application !== undefined ? { application } : {}),
    };
}

function list(value: string): string[] {
    return value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "" && s !== "none");
}

/** Reads every parameter under the path (recursively, decrypted, all pages). */
export async function loadRuntimeConfig(
    ssm: SSMClient,
    environment: string,
    lockTable: string,
    options: { readonly abortSignal?: AbortSignal } = {},
): Promise<RuntimeConfig> {
    const path = failoverParameterPath(environment);
    const values: Record<string, string> = {};
    let nextToken: string | undefined;
    do {
        const page = await ssm.send(
            new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken: nextToken }),
            options,
        );
        for (const parameter of page.Parameters ?? []) {
            if (parameter.Name !== undefined && parameter.Value !== undefined) {
                values[parameter.Name.slice(path.length + 1)] = parameter.Value;
            }
        }
        nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return parseRuntimeConfig(values, environment, lockTable);
}
