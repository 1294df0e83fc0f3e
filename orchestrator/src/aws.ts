/**
 * The reads and writes the steps make, one small function per AWS call pattern. Each takes the AbortSignal of its
 * call (see deadline.ts), so that no call outlives its step.
 */
import { GetMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import {
    DescribeDBClustersCommand,
    DescribeDBInstancesCommand,
    DescribeGlobalClustersCommand,
    FailoverGlobalClusterCommand,
    SwitchoverGlobalClusterCommand,
    type RDSClient,
} from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import type { ClusterRef } from "./config";
import { IN_FLIGHT_FAILOVER_STATUSES, type Role } from "./decide";
import { errorCode } from "./errors";

/** Per-call options: the abort signal that bounds the call. */
export interface CallOptions {
    readonly abortSignal?: AbortSignal;
}

export interface GlobalClusterView {
    readonly status: string;
    readonly engineVersion?: string;
    readonly members: readonly { readonly arn: string; readonly isWriter: boolean }[];
    readonly failover?: { readonly status: string; readonly toArn?: string; readonly dataLoss: boolean };
}

export async function describeGlobalCluster(rds: RDSClient, id: string, options: CallOptions = {}): Promise<GlobalClusterView> {
    const out = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }), options);
    // Filter by identifier ourselves: a result for another global cluster must never be read as ours.
    const found = (out.GlobalClusters ?? []).find((g) => g.GlobalClusterIdentifier?.toLowerCase() === id.toLowerCase());
    if (found === undefined) {
        throw Object.assign(new Error(`Global cluster ${id} not found.`), { name: "GlobalClusterNotFoundFault" });
    }
    const state = found.FailoverState;
    return {
        status: found.Status ?? "unknown",
        ...(found.EngineVersion !== undefined ? { engineVersion: found.EngineVersion } : {}),
        members: (found.GlobalClusterMembers ?? []).map((m) => ({ arn: m.DBClusterArn ?? "", isWriter: m.IsWriter === true })),
        ...(state?.Status !== undefined
            ? {
                  failover: {
                      status: state.Status,
                      ...(state.ToDbClusterArn !== undefined ? { toArn: state.ToDbClusterArn } : {}),
                      dataLoss: state.IsDataLossAllowed === true,
                  },
              }
            : {}),
    };
}

export function isInFlight(view: GlobalClusterView): boolean {
    return view.failover !== undefined && (IN_FLIGHT_FAILOVER_STATUSES as readonly string[]).includes(view.failover.status);
}

/**
 * The role of the cluster `arn` (the function's own), from the global cluster's members and any operation under way.
 * Pure. A cluster that is not a member of this global cluster (detached, or never joined) is `not-member`: never a
 * writer to point at. The writer while a move to another member is under way is `demoting`.
 */
export function roleOf(view: GlobalClusterView, arn: string): Role {
    const member = view.members.find((m) => m.arn === arn);
    if (member === undefined) {
        return "not-member";
    }
    const inFlight = isInFlight(view);
    if (member.isWriter) {
        return inFlight && view.failover?.toArn !== undefined && view.failover.toArn !== arn ? "demoting" : "writer";
    }
    return inFlight && (view.failover?.toArn === undefined || view.failover.toArn === arn) ? "promoting" : "secondary";
}

export interface ClusterView {
    readonly status: string;
    readonly endpoint: string;
    readonly engineVersion?: string;
    readonly kmsKeyId?: string;
    /** The cluster's DB instances (identifiers). */
    readonly instances: readonly string[];
}

export async function describeCluster(rds: RDSClient, cluster: ClusterRef, options: CallOptions = {}): Promise<ClusterView | undefined> {
    try {
        const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster.identifier }), options);
        const found = out.DBClusters?.[0];
        return found === undefined
            ? undefined
            : {
                  status: found.Status ?? "unknown",
                  endpoint: found.Endpoint ?? "",
                  ...(found.EngineVersion !== undefined ? { engineVersion: found.EngineVersion } : {}),
                  ...(found.KmsKeyId !== undefined ? { kmsKeyId: found.KmsKeyId } : {}),
                  instances: (found.DBClusterMembers ?? []).flatMap((m) =>
                      m.DBInstanceIdentifier !== undefined ? [m.DBInstanceIdentifier] : [],
                  ),
              };
    } catch (error) {
        if (errorCode(error) === "DBClusterNotFoundFault") {
            return undefined;
        }
        throw error;
    }
}

/** The statuses of a cluster's DB instances, read in the cluster's region. */
export async function describeInstances(
    rds: RDSClient,
    identifiers: readonly string[],
    options: CallOptions = {},
): Promise<readonly { readonly id: string; readonly status: string }[]> {
    const found: { id: string; status: string }[] = [];
    for (const id of identifiers) {
        try {
            const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), options);
            const instance = out.DBInstances?.[0];
            found.push({ id, status: instance?.DBInstanceStatus ?? "missing" });
        } catch (error) {
            if (errorCode(error) !== "DBInstanceNotFoundFault" && errorCode(error) !== "DBInstanceNotFound") {
                throw error;
            }
            found.push({ id, status: "missing" });
        }
    }
    return found;
}

/** The state of a KMS key (`Enabled`, `Disabled`, `PendingDeletion`, ...). */
export async function keyState(kms: KMSClient, keyId: string, options: CallOptions = {}): Promise<string> {
    const out = await kms.send(new DescribeKeyCommand({ KeyId: keyId }), options);
    return out.KeyMetadata?.KeyState ?? "unknown";
}

/** The datapoints of one AWS/RDS metric of a cluster, newest first (`Maximum` per minute). */
export async function clusterMetric(
    cloudwatch: CloudWatchClient,
    metricName: string,
    clusterIdentifier: string,
    window: { readonly start: Date; readonly end: Date },
    options: CallOptions = {},
): Promise<readonly { readonly time: number; readonly value: number }[]> {
    const out = await cloudwatch.send(
        new GetMetricDataCommand({
            StartTime: window.start,
            EndTime: window.end,
            ScanBy: "TimestampDescending",
            MetricDataQueries: [
                {
                    Id: "m",
                    MetricStat: {
                        Metric: {
                            Namespace: "AWS/RDS",
                            MetricName: metricName,
                            Dimensions: [{ Name: "DBClusterIdentifier", Value: clusterIdentifier }],
                        },
                        Period: 60,
                        Stat: "Maximum",
                    },
                },
            ],
        }),
        options,
    );
    const result = out.MetricDataResults?.[0];
    const times = result?.Timestamps ?? [];
    const values = result?.Values ?? [];
    return times.map((t, i) => ({ time: new Date(t).getTime(), value: values[i] ?? Number.NaN })).sort((a, b) => b.time - a.time);
}

export async function startSwitchover(
    rds: RDSClient,
    globalClusterId: string,
    target: ClusterRef,
    options: CallOptions = {},
): Promise<void> {
    await rds.send(
        new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: globalClusterId, TargetDbClusterIdentifier: target.arn }),
        options,
    );
}

export async function startFailover(rds: RDSClient, globalClusterId: string, target: ClusterRef, options: CallOptions = {}): Promise<void> {
    await rds.send(
        new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: globalClusterId,
            TargetDbClusterIdentifier: target.arn,
            AllowDataLoss: true,
        }),
        options,
    );
}

export async function readRecord(
    route53: Route53Client,
    zoneId: string,
    name: string,
    options: CallOptions = {},
): Promise<string | undefined> {
    const out = await route53.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: "CNAME", MaxItems: 1 }),
        options,
    );
    const record = out.ResourceRecordSets?.[0];
    if (record === undefined || normalise(record.Name) !== normalise(name) || record.Type !== "CNAME") {
        return undefined;
    }
    return normalise(record.ResourceRecords?.[0]?.Value);
}

export async function upsertRecord(
    route53: Route53Client,
    zoneId: string,
    name: string,
    target: string,
    ttl: number,
    comment: string,
    options: CallOptions = {},
): Promise<void> {
    await route53.send(
        new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: {
                Comment: comment.slice(0, 256),
                Changes: [
                    { Action: "UPSERT", ResourceRecordSet: { Name: name, Type: "CNAME", TTL: ttl, ResourceRecords: [{ Value: target }] } },
                ],
            },
        }),
        options,
    );
}

export async function readParameter(ssm: SSMClient, name: string, options: CallOptions = {}): Promise<string | undefined> {
    try {
        return (await ssm.send(new GetParameterCommand({ Name: name }), options)).Parameter?.Value;
    } catch (error) {
        if (errorCode(error) === "ParameterNotFound") {
            return undefined;
        }
        throw error;
    }
}

export async function writeParameter(ssm: SSMClient, name: string, value: string, options: CallOptions = {}): Promise<void> {
    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: "String", Overwrite: true }), options);
}

export async function publish(
    sns: SNSClient,
    topicArn: string,
    subject: string,
    message: string,
    options: CallOptions = {},
): Promise<void> {
    // SNS subjects are at most 100 printable ASCII characters.
    // @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
    await sns.send(
        new PublishCommand({ TopicArn: topicArn, Subject: subject.replace(/[^\x20-\x7e]/g, "?").slice(0, 100), Message: message }),
        options,
    );
}

export function normalise(name: string | undefined): string {
    return (name ?? "").toLowerCase().replace(/\.$/, "");
}
