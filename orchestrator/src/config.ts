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
} from "../../lib/failover";

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
