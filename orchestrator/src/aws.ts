/**
 * The reads and writes the steps make, one small function per AWS call pattern.
 */
import {
    DescribeDBClustersCommand,
    DescribeGlobalClustersCommand,
    FailoverGlobalClusterCommand,
    RemoveFromGlobalClusterCommand,
    SwitchoverGlobalClusterCommand,
    type RDSClient,
} from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import type { ClusterRef } from "./config";
import { IN_FLIGHT_FAILOVER_STATUSES, type DrRole } from "./decide";
import { errorCode } from "./errors";

export interface GlobalClusterView {
    readonly status: string;
    readonly members: readonly { readonly arn: string; readonly isWriter: boolean }[];
    readonly failover?: { readonly status: string; readonly toArn?: string; readonly dataLoss: boolean };
}

export async function describeGlobalCluster(rds: RDSClient, id: string): Promise<GlobalClusterView> {
    const out = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }));
    // Filter by identifier ourselves: a result for another global cluster must never be read as ours.
    const found = (out.GlobalClusters ?? []).find((g) => g.GlobalClusterIdentifier?.toLowerCase() === id.toLowerCase());
    if (found === undefined) {
        throw Object.assign(new Error(`Global cluster ${id} not found.`), { name: "GlobalClusterNotFoundFault" });
    }
    const state = found.FailoverState;
    return {
        status: found.Status ?? "unknown",
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

/** The DR cluster's role, from the global cluster's members and any operation under way. Pure. */
export function drRoleOf(view: GlobalClusterView, drArn: string): DrRole {
    const member = view.members.find((m) => m.arn === drArn);
    if (member === undefined) {
        return "standalone";
    }
    if (member.isWriter) {
        return "writer";
    }
    return isInFlight(view) && (view.failover?.toArn === undefined || view.failover.toArn === drArn) ? "promoting" : "secondary";
}

export interface ClusterView {
    readonly status: string;
    readonly endpoint: string;
}

export async function describeCluster(rds: RDSClient, cluster: ClusterRef): Promise<ClusterView | undefined> {
    try {
        const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster.identifier }));
        const found = out.DBClusters?.[0];
        return found === undefined ? undefined : { status: found.Status ?? "unknown", endpoint: found.Endpoint ?? "" };
    } catch (error) {
        if (errorCode(error) === "DBClusterNotFoundFault") {
            return undefined;
        }
        throw error;
    }
}

export async function startSwitchover(rds: RDSClient, globalClusterId: string, target: ClusterRef): Promise<void> {
    await rds.send(new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: globalClusterId, TargetDbClusterIdentifier: target.arn }));
}

export async function startFailover(rds: RDSClient, globalClusterId: string, target: ClusterRef): Promise<void> {
    await rds.send(
        new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: globalClusterId,
            TargetDbClusterIdentifier: target.arn,
            AllowDataLoss: true,
        }),
    );
}

/**
 * Detach and promote: removing a secondary from its global cluster makes it a standalone cluster with its own writer.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RemoveFromGlobalCluster.html
 */
export async function detach(rds: RDSClient, globalClusterId: string, target: ClusterRef): Promise<void> {
    await rds.send(new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: globalClusterId, DbClusterIdentifier: target.arn }));
}

export async function readRecord(route53: Route53Client, zoneId: string, name: string): Promise<string | undefined> {
    const out = await route53.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: "CNAME", MaxItems: 1 }),
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
    );
}

export async function readParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
    try {
        return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
        if (errorCode(error) === "ParameterNotFound") {
            return undefined;
        }
        throw error;
    }
}

export async function writeParameter(ssm: SSMClient, name: string, value: string): Promise<void> {
    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: "String", Overwrite: true }));
}

export async function publish(sns: SNSClient, topicArn: string, subject: string, message: string): Promise<void> {
    // SNS subjects are at most 100 printable ASCII characters.
    // @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
    await sns.send(
        new PublishCommand({ TopicArn: topicArn, Subject: subject.replace(/[^\x20-\x7e]/g, "?").slice(0, 100), Message: message }),
    );
}

export function normalise(name: string | undefined): string {
    return (name ?? "").toLowerCase().replace(/\.$/, "");
}
