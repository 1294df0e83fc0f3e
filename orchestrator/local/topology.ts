/**
 * The stack's failover topology, created in moto under the names the program uses: the Aurora global cluster with
 * its primary and DR clusters, the private hosted zone and writer record, the orchestrator's SSM parameters and
 * `active-region`, an alert topic (with an SQS queue subscribed, so a test can read what was published) and the lock
 * table. Used by the integration tests and by the drill.
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
    CreateDBClusterCommand,
    CreateDBInstanceCommand,
    CreateGlobalClusterCommand,
    DescribeDBClustersCommand,
    RDSClient,
} from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { StackConfig } from "../../config";
import { AURORA_ENGINE } from "../../lib/database";
import {
    activeRegionParameterName,
    auroraIdentifiers,
    FAILOVER_PARAMETERS,
    failoverParameterPath,
    MAX_EVENT_AGE_SECONDS,
    lockTableName,
    orchestratorEnvironment,
    privateZoneName,
    writerRecordName,
    type FailoverMode,
} from "../../lib/failover";
import { physicalName } from "../../lib/naming";
import { normalise, readParameter, readRecord } from "../src/aws";
import { createClients } from "../src/clients";

export const MOTO_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

export interface Topology {
    readonly stack: string;
    readonly environment: string;
    readonly primaryRegion: string;
    readonly drRegion: string;
    readonly globalClusterId: string;
    readonly primaryClusterArn: string;
    readonly drClusterArn: string;
    readonly primaryEndpoint: string;
    readonly drEndpoint: string;
    readonly hostedZoneId: string;
    readonly recordName: string;
    readonly topicArn: string;
    readonly queueUrl: string;
    readonly lockTable: string;
    /** The DR cluster's KMS key (the readiness check reads its state). */
    readonly drKeyId: string;
    /** The alarms allowed to start the orchestrator. */
    readonly lagAlarmName: string;
    readonly healthAlarmName: string;
    /** The environment the component gives the function, plus the region Lambda sets. */
    readonly lambdaEnv: Record<string, string>;
}

export interface TopologyOptions {
    /** @default the stack's failover.mode */
    readonly mode?: FailoverMode;
    /** An engine version for the DR cluster different from the primary's makes AWS refuse the managed failover. */
    readonly drEngineVersion?: string;
    /** @default the stack's failover.dnsTtlSeconds */
    readonly recordTtl?: number;
    /** @default the stack's failover.detectionWindow */
    readonly detectionWindowSeconds?: number;
    /** @default the stack's failover.quorum */
    readonly quorum?: number;
    /** DB instances of the DR cluster; 0 makes it not ready for a failover. @default 1 */
    readonly drInstances?: number;
}

export async function createTopology(endpoint: string, config: StackConfig, options: TopologyOptions = {}): Promise<Topology> {
    const common = { endpoint, credentials: { ...MOTO_CREDENTIALS } };
    const primaryRds = new RDSClient({ ...common, region: config.primaryRegion });
    const drRds = new RDSClient({ ...common, region: config.drRegion });
    const ids = auroraIdentifiers(config.stack, config.primaryRegion, config.drRegion);
    const engineVersion = config.database.engineVersion;
    const primaryKey = await new KMSClient({ ...common, region: config.primaryRegion }).send(
        new CreateKeyCommand({ Description: "primary" }),
    );
    const drKey = await new KMSClient({ ...common, region: config.drRegion }).send(new CreateKeyCommand({ Description: "dr" }));

    await primaryRds.send(
        new CreateGlobalClusterCommand({
            GlobalClusterIdentifier: ids.global,
            Engine: AURORA_ENGINE,
            EngineVersion: engineVersion,
            StorageEncrypted: true,
        }),
    );
    const primary = await primaryRds.send(
        new CreateDBClusterCommand({
            DBClusterIdentifier: ids.primary,
            Engine: AURORA_ENGINE,
            EngineVersion: engineVersion,
            GlobalClusterIdentifier: ids.global,
            MasterUsername: "hdradmin",
            MasterUserPassword: "not-a-real-password-1",
            StorageEncrypted: true,
            KmsKeyId: primaryKey.KeyMetadata!.Arn!,
        }),
    );
    const dr = await drRds.send(
        new CreateDBClusterCommand({
            DBClusterIdentifier: ids.dr,
            Engine: AURORA_ENGINE,
            EngineVersion: options.drEngineVersion ?? engineVersion,
            GlobalClusterIdentifier: ids.global,
            StorageEncrypted: true,
            KmsKeyId: drKey.KeyMetadata!.Arn!,
        }),
    );
    // Instances named as AuroraPair names them (`<cluster>-<n>`).
    const instance = (rds: RDSClient, cluster: string, n: number) =>
        rds.send(
            new CreateDBInstanceCommand({
                DBInstanceIdentifier: `${cluster}-${n}`,
                DBClusterIdentifier: cluster,
                Engine: AURORA_ENGINE,
                DBInstanceClass: "db.serverless",
            }),
        );
    await instance(primaryRds, ids.primary, 1);
    for (let n = 1; n <= (options.drInstances ?? 1); n++) {
        await instance(drRds, ids.dr, n);
    }
    // moto reports a new cluster as "creating" once, then "available".
    await primaryRds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: ids.primary }));
    await drRds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: ids.dr }));

    const route53 = new Route53Client({ ...common, region: "us-east-1" });
    const zone = await route53.send(
        new CreateHostedZoneCommand({
            Name: privateZoneName(config.stack),
            CallerReference: `drill-${Date.now()}-${Math.random()}`,
            HostedZoneConfig: { PrivateZone: true, Comment: "writer record" },
            VPC: { VPCId: "vpc-0123456789abcdef0", VPCRegion: config.drRegion as never },
        }),
    );
    const hostedZoneId = zone.HostedZone!.Id!.replace(/^\/hostedzone\//, "");
    const recordName = writerRecordName(config.stack);
    const ttl = options.recordTtl ?? config.failover.dnsTtlSeconds;
    await route53.send(
        new ChangeResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            ChangeBatch: {
                Changes: [
                    {
                        Action: "UPSERT",
                        ResourceRecordSet: {
                            Name: recordName,
                            Type: "CNAME",
                            TTL: ttl,
                            ResourceRecords: [{ Value: primary.DBCluster!.Endpoint! }],
                        },
                    },
                ],
            },
        }),
    );

    const sns = new SNSClient({ ...common, region: config.drRegion });
    const topic = await sns.send(new CreateTopicCommand({ Name: physicalName(config.stack, ["alerts"]) }));
    const queueUrl = await createQueue(endpoint, config.drRegion, physicalName(config.stack, ["alerts", "inbox"]));
    const queueArn = `arn:aws:sqs:${config.drRegion}:123456789012:${physicalName(config.stack, ["alerts", "inbox"])}`;
    await sns.send(
        new SubscribeCommand({
            TopicArn: topic.TopicArn!,
            Protocol: "sqs",
            Endpoint: queueArn,
            Attributes: { RawMessageDelivery: "true" },
        }),
    );

    const ssm = new SSMClient({ ...common, region: config.drRegion });
    const path = failoverParameterPath(config.environment);
    const P = FAILOVER_PARAMETERS;
    const lagAlarmName = physicalName(config.stack, ["failover", "replication-lag"], 255);
    const healthAlarmName = physicalName(config.stack, ["failover", "health-check"], 255);
    const values: Record<string, string> = {
        [P.stack]: config.stack,
        [P.mode]: options.mode ?? config.failover.mode,
        [P.globalClusterId]: ids.global,
        [P.region]: config.drRegion,
        [P.clusterArn]: dr.DBCluster!.DBClusterArn!,
        [P.peerRegion]: config.primaryRegion,
        [P.peerClusterArn]: primary.DBCluster!.DBClusterArn!,
        [P.hostedZoneId]: hostedZoneId,
        [P.recordName]: recordName,
        [P.recordTtl]: String(ttl),
        [P.topicArns]: topic.TopicArn!,
        [P.alarmNames]: `${lagAlarmName},${healthAlarmName}`,
        [P.detectionWindowSeconds]: String(options.detectionWindowSeconds ?? config.failover.detectionWindow.seconds),
        [P.quorum]: String(options.quorum ?? config.failover.quorum),
        [P.maxEventAgeSeconds]: String(config.failover.maxEventAge?.seconds ?? MAX_EVENT_AGE_SECONDS.default),
        [P.replicationLagThresholdSeconds]: String(config.failover.replicationLagThresholdSeconds),
    };
    for (const [name, value] of Object.entries(values)) {
        await ssm.send(
            new PutParameterCommand({
                Name: `${path}/${name}`,
                Value: value,
                Type: name === P.topicArns || name === P.alarmNames ? "StringList" : "String",
                Overwrite: true,
            }),
        );
    }
    await ssm.send(
        new PutParameterCommand({
            Name: activeRegionParameterName(config.environment),
            Value: config.primaryRegion,
            Type: "String",
            Overwrite: true,
        }),
    );

    const lockTable = lockTableName(config.stack);
    await new DynamoDBClient({ ...common, region: config.drRegion }).send(
        new CreateTableCommand({
            TableName: lockTable,
            AttributeDefinitions: [{ AttributeName: "lockId", AttributeType: "S" }],
            KeySchema: [{ AttributeName: "lockId", KeyType: "HASH" }],
            BillingMode: "PAY_PER_REQUEST",
        }),
    );

    return {
        stack: config.stack,
        environment: config.environment,
        primaryRegion: config.primaryRegion,
        drRegion: config.drRegion,
        globalClusterId: ids.global,
        primaryClusterArn: primary.DBCluster!.DBClusterArn!,
        drClusterArn: dr.DBCluster!.DBClusterArn!,
        primaryEndpoint: primary.DBCluster!.Endpoint!,
        drEndpoint: dr.DBCluster!.Endpoint!,
        hostedZoneId,
        recordName,
        topicArn: topic.TopicArn!,
        queueUrl,
        lockTable,
        drKeyId: drKey.KeyMetadata!.KeyId!,
        lagAlarmName,
        healthAlarmName,
        lambdaEnv: {
            ...orchestratorEnvironment({ environment: config.environment, lockTableName: lockTable }),
            AWS_REGION: config.drRegion,
        },
    };
}

/**
 * Publishes the metrics of a healthy pair for the `minutes` up to `now`: the primary cluster's Serverless capacity
 * (primary region) and the DR cluster's replication lag (DR region). `lagMs` sets the lag; a lag above the
 * threshold makes the replication signal say "down" while the primary still looks healthy otherwise.
 */
export async function publishPairMetrics(
    endpoint: string,
    topology: Pick<Topology, "primaryRegion" | "drRegion" | "primaryClusterArn" | "drClusterArn">,
    options: { readonly now?: number; readonly minutes?: number; readonly lagMs?: number; readonly primary?: boolean } = {},
): Promise<void> {
    const now = options.now ?? Date.now();
    const minutes = options.minutes ?? 5;
    const id = (arn: string) => arn.split(":").pop()!;
    const put = (region: string, metricName: string, cluster: string, value: number) =>
        new CloudWatchClient({ endpoint, region, credentials: { ...MOTO_CREDENTIALS } }).send(
            new PutMetricDataCommand({
                Namespace: "AWS/RDS",
                MetricData: Array.from({ length: minutes }, (_, i) => ({
                    MetricName: metricName,
                    Dimensions: [{ Name: "DBClusterIdentifier", Value: cluster }],
                    Value: value,
                    Timestamp: new Date(now - i * 60_000),
                })),
            }),
        );
    if (options.primary !== false) {
        await put(topology.primaryRegion, "ServerlessDatabaseCapacity", id(topology.primaryClusterArn), 2);
    }
    await put(topology.drRegion, "AuroraGlobalDBReplicationLag", id(topology.drClusterArn), options.lagMs ?? 120);
}

/**
 * Where the writer record and `active-region` point, read from moto directly: `dr`, `primary`, or `split (...)` when
 * they disagree (a split brain in the making).
 */
export async function pointersAt(endpoint: string, topology: Topology): Promise<string> {
    const direct = createClients({ endpointFor: () => endpoint, credentials: MOTO_CREDENTIALS });
    const record = await readRecord(direct.route53(), topology.hostedZoneId, topology.recordName);
    const active = await readParameter(direct.ssm(topology.drRegion), activeRegionParameterName(topology.environment));
    const r = record === normalise(topology.drEndpoint) ? "dr" : record === normalise(topology.primaryEndpoint) ? "primary" : "?";
    const a = active === topology.drRegion ? "dr" : active === topology.primaryRegion ? "primary" : "?";
    return r === a ? r : `split (record ${r}, active-region ${a})`;
}

/** SQS through its JSON protocol (the project has no SQS client; moto reads the region from the credential scope). */
async function sqs(endpoint: string, region: string, action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await fetch(endpoint, {
        method: "POST",
        headers: {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": `AmazonSQS.${action}`,
            Authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
        throw new Error(`SQS ${action} failed: ${res.status} ${text}`);
    }
    return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

async function createQueue(endpoint: string, region: string, name: string): Promise<string> {
    const out = await sqs(endpoint, region, "CreateQueue", { QueueName: name });
    return String(out["QueueUrl"]);
}

/** Every message delivered to the queue so far (raw SNS messages), oldest first. */
export async function drainQueue(endpoint: string, region: string, queueUrl: string): Promise<string[]> {
    const messages: string[] = [];
    for (;;) {
        const out = await sqs(endpoint, region, "ReceiveMessage", { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
        const batch = (out["Messages"] as { Body: string; ReceiptHandle: string }[] | undefined) ?? [];
        if (batch.length === 0) {
            return messages;
        }
        for (const m of batch) {
            messages.push(m.Body);
            await sqs(endpoint, region, "DeleteMessage", { QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle });
        }
    }
}
