/**
 * The stack's failover topology, created in moto under the names the program uses: the Aurora global cluster with
 * its primary and DR clusters, the private hosted zone and writer record, and in EACH region what that region's
 * orchestrator needs (its SSM parameters with self and peer swapped, its copy of `active-region`, its lock table, an
 * alert topic with an SQS queue subscribed so that a test can read what was published, and its KMS key), so that the
 * drill and the integration tests can run either region's function, in either direction.
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
    CreateDBClusterCommand,
    CreateDBClusterParameterGroupCommand,
    CreateDBInstanceCommand,
    CreateGlobalClusterCommand,
    DescribeDBClustersCommand,
    DescribeGlobalClustersCommand,
    RDSClient,
    SwitchoverGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import {
    CreateBucketCommand,
    PutBucketEncryptionCommand,
    PutObjectLockConfigurationCommand,
    type BucketLocationConstraint,
} from "@aws-sdk/client-s3";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { StackConfig } from "../../config";
import { AURORA_ENGINE, parameterGroupFamily, POSTGRES_PORT } from "../../lib/database";
import {
    activeRegionParameterName,
    auroraIdentifiers,
    FAILOVER_PARAMETERS,
    failoverParameterPath,
    MAX_EVENT_AGE_SECONDS,
    lockTableName,
    orchestratorEnvironment,
    RUNS_TABLE_KEYS,
    runsTableName,
    peerDownAlarmName,
    privateZoneName,
    replicationLagAlarmName,
    writerRecordName,
    type FailoverMode,
} from "../../lib/failover";
import { physicalName } from "../../lib/naming";
import { APPLICATION_PARAMETERS, type ApplicationSettings } from "../../lib/application";
import { createApplicationCell, startAppServer, type LocalApplicationCell } from "./applicationTier";
import type { MotoServer } from "./moto";
import { normalise, readParameter, readRecord } from "../src/aws";
import { createClients } from "../src/clients";
import { sdkS3Client } from "../src/s3";

export const MOTO_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/** The two regions of the pair, by their stable labels: `primary` (the home region) and `dr`. */
export const SIDES = ["primary", "dr"] as const;
export type Side = (typeof SIDES)[number];

/** The other side of the pair. */
export function otherSide(side: Side): Side {
    return side === "primary" ? "dr" : "primary";
}

/** What one region holds: its cluster and everything its own orchestrator needs. */
export interface RegionalCell {
    readonly side: Side;
    readonly region: string;
    readonly clusterArn: string;
    readonly endpoint: string;
    /** The cluster's KMS key (the readiness check reads its state). */
    readonly keyId: string;
    /** The region's KMS key ARN: its report bucket's encryption, and the peer's `peer-kms-key-arn`. */
    readonly keyArn: string;
    /** The region's run-report bucket (Object Lock, default retention, SSE-KMS with the region's key). */
    readonly reportBucket: string;
    readonly topicArn: string;
    /** The SQS queue subscribed to the region's alert topic: what the region's function published. */
    readonly queueUrl: string;
    /** The alarms allowed to start this region's function: its lag alarm and the alarm on the peer's health check. */
    readonly alarmNames: readonly string[];
    /** The us-east-1 alarm on the peer region's health check, forwarded to this region's function. */
    readonly peerDownAlarmName: string;
    /** The environment the component gives this region's function, plus the region Lambda sets. */
    readonly lambdaEnv: Record<string, string>;
    // --- break-glass ---
    /** The master secret as this region holds it: the primary secret in the home region, its replica in the DR region. */
    readonly secretArn: string;
    /** The cluster's database security group (ingress on 5432). */
    readonly securityGroupId: string;
    /** The cluster's cluster parameter group. */
    readonly clusterParameterGroup: string;
    /** The region's application tier (applicationTier.ts), when the topology has one. */
    readonly application?: LocalApplicationCell;
}

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
    /** The lock table's name, the same in each region (each region has its own table). */
    readonly lockTable: string;
    /** The replication-lag alarm's name, the same in each region. */
    readonly lagAlarmName: string;
    /** The global writer endpoint the master secret's `host` names before any break-glass. */
    readonly globalWriterEndpoint: string;
    /** The run-record table's name, the same in each region (each region has its own table). */
    readonly runsTable: string;
    readonly cells: Readonly<Record<Side, RegionalCell>>;
    /** The application settings, when the topology has an application tier (each cell then has its `application`). */
    readonly application?: ApplicationSettings;
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
    /** DB instances of the primary cluster; 0 makes it not ready for a failback. @default 1 */
    readonly primaryInstances?: number;
    /**
     * Which side holds the writer when the topology is handed over. `dr` is the world after a failover (a managed
     * switchover made directly in moto, the record and both `active-region` copies at the DR region), from which the
     * failback starts. @default "primary"
     */
    readonly writer?: Side;
    /**
     * The application tier in both regions (orchestrator/local/applicationTier.ts): these settings, or `false` for none.
     * @default the stack config's `application` when it has one, otherwise none
     */
    readonly application?: ApplicationSettings | false;
}

/** The account moto answers as (its default): the clusters' ARNs are known before they exist. */
const MOTO_ACCOUNT = "123456789012";

export async function createTopology(endpoint: string, config: StackConfig, options: TopologyOptions = {}): Promise<Topology> {
    const common = { endpoint, credentials: { ...MOTO_CREDENTIALS } };
    const region: Record<Side, string> = { primary: config.primaryRegion, dr: config.drRegion };
    const rdsClients = {
        primary: new RDSClient({ ...common, region: region.primary }),
        dr: new RDSClient({ ...common, region: region.dr }),
    };
    const rds = (side: Side) => rdsClients[side];
    const ids = auroraIdentifiers(config.stack, config.primaryRegion, config.drRegion, config.database.seed);
    const engineVersion = config.database.engineVersion;
    const writer = options.writer ?? "primary";
    const clusterArn: Record<Side, string> = {
        primary: `arn:aws:rds:${region.primary}:${MOTO_ACCOUNT}:cluster:${ids.primary}`,
        dr: `arn:aws:rds:${region.dr}:${MOTO_ACCOUNT}:cluster:${ids.dr}`,
    };
    const route53 = new Route53Client({ ...common, region: "us-east-1" });
    const recordName = writerRecordName(config.stack);
    const ttl = options.recordTtl ?? config.failover.dnsTtlSeconds;
    const lockTable = lockTableName(config.stack);
    const lagAlarmName = replicationLagAlarmName(config.stack);

    // Three independent chains go out together (the suite creates a topology per test, and moto answers in
    // parallel): the global database, the private zone, then each region's orchestrator cell (which only needs the
    // zone's id and the clusters' ARNs, known in advance).
    // What a break-glass and its fence work on: a cluster parameter group and a database security group per region
    // (as AuroraPair and RegionalNetwork declare them), and the master secret in the home region, replicated to the DR
    // region, with the fields of reference_secret_json_structure and `host` = the global writer endpoint.
    const parameterGroups: Record<Side, string> = { primary: `${ids.primary}-cluster-params`, dr: `${ids.dr}-cluster-params` };
    const globalWriterEndpoint = `${ids.global}.global-abc123def456.global.rds.amazonaws.com`;
    // The clusters wait for their parameter groups only; the security groups and the secret go out alongside them.
    const parameterGroupsMade = Promise.all(
        SIDES.map((side) =>
            rds(side).send(
                new CreateDBClusterParameterGroupCommand({
                    DBClusterParameterGroupName: parameterGroups[side],
                    DBParameterGroupFamily: parameterGroupFamily(engineVersion),
                    Description: `${side} cluster parameters`,
                }),
            ),
        ),
    );
    const breakGlass = (async () => {
        const secretMade = new SecretsManagerClient({ ...common, region: region.primary }).send(
            new CreateSecretCommand({
                Name: physicalName(config.stack, ["aurora", "master"]),
                SecretString: JSON.stringify({
                    engine: "postgres",
                    host: globalWriterEndpoint,
                    port: POSTGRES_PORT,
                    username: "hdradmin",
                    password: "not-a-real-password-1",
                    dbname: "healthcare",
                    dbClusterIdentifier: ids.primary,
                    ssl: true,
                }),
                AddReplicaRegions: [{ Region: region.dr }],
            }),
        );
        const securityGroups = await Promise.all(
            SIDES.map(async (side) => {
                const ec2 = new EC2Client({ ...common, region: region[side] });
                const created = await ec2.send(
                    new CreateSecurityGroupCommand({
                        GroupName: physicalName(config.stack, ["db", side]),
                        Description: `database ${side}`,
                    }),
                );
                const groupId = created.GroupId!;
                await ec2.send(
                    new AuthorizeSecurityGroupIngressCommand({
                        GroupId: groupId,
                        IpPermissions: [
                            {
                                IpProtocol: "tcp",
                                FromPort: POSTGRES_PORT,
                                ToPort: POSTGRES_PORT,
                                IpRanges: [{ CidrIp: "10.20.0.0/16", Description: "application subnets" }],
                            },
                        ],
                    }),
                );
                return groupId;
            }),
        );
        const secret = await secretMade;
        return {
            securityGroupId: { primary: securityGroups[0]!, dr: securityGroups[1]! },
            // A replica's ARN is the primary's with the region changed (StopReplicationToReplica's reference).
            secretArn: { primary: secret.ARN!, dr: secret.ARN!.replace(`:${region.primary}:`, `:${region.dr}:`) },
        };
    })();

    const keysMade = Promise.all(
        SIDES.map((side) => new KMSClient({ ...common, region: region[side] }).send(new CreateKeyCommand({ Description: side }))),
    ).then(([primaryKey, drKey]) => ({ primary: primaryKey!, dr: drKey! }));
    const database = (async () => {
        const [keys] = await Promise.all([keysMade, parameterGroupsMade]);
        await rds("primary").send(
            new CreateGlobalClusterCommand({
                GlobalClusterIdentifier: ids.global,
                Engine: AURORA_ENGINE,
                EngineVersion: engineVersion,
                StorageEncrypted: true,
            }),
        );
        const primary = await rds("primary").send(
            new CreateDBClusterCommand({
                DBClusterIdentifier: ids.primary,
                Engine: AURORA_ENGINE,
                EngineVersion: engineVersion,
                GlobalClusterIdentifier: ids.global,
                MasterUsername: "hdradmin",
                MasterUserPassword: "not-a-real-password-1",
                StorageEncrypted: true,
                KmsKeyId: keys.primary.KeyMetadata!.Arn!,
                DBClusterParameterGroupName: parameterGroups.primary,
            }),
        );
        const dr = await rds("dr").send(
            new CreateDBClusterCommand({
                DBClusterIdentifier: ids.dr,
                Engine: AURORA_ENGINE,
                EngineVersion: options.drEngineVersion ?? engineVersion,
                GlobalClusterIdentifier: ids.global,
                StorageEncrypted: true,
                KmsKeyId: keys.dr.KeyMetadata!.Arn!,
                DBClusterParameterGroupName: parameterGroups.dr,
            }),
        );
        for (const [side, created] of [
            ["primary", primary],
            ["dr", dr],
        ] as const) {
            if (created.DBCluster?.DBClusterArn !== clusterArn[side]) {
                throw new Error(`moto named the ${side} cluster ${created.DBCluster?.DBClusterArn}, not ${clusterArn[side]}`);
            }
        }
        // Instances named as AuroraPair names them (`<cluster>-<n>`).
        const instances = (side: Side, cluster: string, count: number) =>
            Array.from({ length: count }, (_, i) =>
                rds(side).send(
                    new CreateDBInstanceCommand({
                        DBInstanceIdentifier: `${cluster}-${i + 1}`,
                        DBClusterIdentifier: cluster,
                        Engine: AURORA_ENGINE,
                        DBInstanceClass: "db.serverless",
                    }),
                ),
            );
        await Promise.all([
            ...instances("primary", ids.primary, options.primaryInstances ?? 1),
            ...instances("dr", ids.dr, options.drInstances ?? 1),
        ]);
        // moto reports a new cluster as "creating" once, then "available".
        await Promise.all(SIDES.map((side) => rds(side).send(new DescribeDBClustersCommand({ DBClusterIdentifier: ids[side] }))));
        if (writer === "dr") {
            // The world after a failover: a managed move of the writer, which the moto server completes on later reads.
            await rds("dr").send(
                new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: ids.global, TargetDbClusterIdentifier: clusterArn.dr }),
            );
            for (let i = 0; i < 3; i++) {
                await rds("dr").send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: ids.global }));
            }
        }
        return { keys, endpoints: { primary: primary.DBCluster!.Endpoint!, dr: dr.DBCluster!.Endpoint! } };
    })();

    const zone = route53
        .send(
            new CreateHostedZoneCommand({
                Name: privateZoneName(config.stack),
                CallerReference: `drill-${Date.now()}-${Math.random()}`,
                HostedZoneConfig: { PrivateZone: true, Comment: "writer record" },
                VPC: { VPCId: "vpc-0123456789abcdef0", VPCRegion: config.drRegion as never },
            }),
        )
        .then((created) => created.HostedZone!.Id!.replace(/^\/hostedzone\//, ""));

    const P = FAILOVER_PARAMETERS;
    const runsTable = runsTableName(config.stack);
    const reportBucket = (side: Side) => physicalName(config.stack, ["failover", "reports", region[side]]);
    const path = failoverParameterPath(config.environment);
    /** What one region's orchestrator needs, but the cluster's own facts (its key, its endpoint). */
    const cell = async (side: Side, hostedZoneId: string, made: Awaited<typeof breakGlass>) => {
        const here = region[side];
        const peer = otherSide(side);
        const keys = await keysMade;
        const sns = new SNSClient({ ...common, region: here });
        const inbox = physicalName(config.stack, ["alerts", "inbox"]);
        const [topic, queueUrl] = await Promise.all([
            sns.send(new CreateTopicCommand({ Name: physicalName(config.stack, ["alerts"]) })),
            createQueue(endpoint, here, inbox),
        ]);
        const peerDown = peerDownAlarmName(config.stack, region[peer]);
        const alarmNames = [lagAlarmName, peerDown];
        // This region's copy of the parameters: self is this region, peer the other (the component writes the same).
        const values: Record<string, string> = {
            [P.stack]: config.stack,
            [P.mode]: options.mode ?? config.failover.mode,
            [P.globalClusterId]: ids.global,
            [P.region]: here,
            [P.clusterArn]: clusterArn[side],
            [P.peerRegion]: region[peer],
            [P.peerClusterArn]: clusterArn[peer],
            [P.hostedZoneId]: hostedZoneId,
            [P.recordName]: recordName,
            [P.recordTtl]: String(ttl),
            [P.topicArns]: topic.TopicArn!,
            [P.alarmNames]: alarmNames.join(","),
            [P.detectionWindowSeconds]: String(options.detectionWindowSeconds ?? config.failover.detectionWindow.seconds),
            [P.quorum]: String(options.quorum ?? config.failover.quorum),
            [P.maxEventAgeSeconds]: String(config.failover.maxEventAge?.seconds ?? MAX_EVENT_AGE_SECONDS.default),
            [P.replicationLagThresholdSeconds]: String(config.failover.replicationLagThresholdSeconds),
            // break-glass: this region's copy of the secret, the peer's security group and cluster parameter group
            [P.secretArn]: made.secretArn[side],
            [P.peerSecurityGroupId]: made.securityGroupId[peer],
            [P.peerClusterParameterGroup]: parameterGroups[peer],
            // --- evidence ---
            [P.peerKmsKeyArn]: keys[peer].KeyMetadata!.Arn!,
            [P.runsTable]: runsTable,
            [P.reportBucket]: reportBucket(side),
        };
        const ssm = new SSMClient({ ...common, region: here });
        await Promise.all([
            sns.send(
                new SubscribeCommand({
                    TopicArn: topic.TopicArn!,
                    Protocol: "sqs",
                    Endpoint: `arn:aws:sqs:${here}:${MOTO_ACCOUNT}:${inbox}`,
                    Attributes: { RawMessageDelivery: "true" },
                }),
            ),
            ...Object.entries(values).map(([name, value]) =>
                ssm.send(
                    new PutParameterCommand({
                        Name: `${path}/${name}`,
                        Value: value,
                        Type: name === P.topicArns || name === P.alarmNames ? "StringList" : "String",
                        Overwrite: true,
                    }),
                ),
            ),
            ssm.send(
                new PutParameterCommand({
                    Name: activeRegionParameterName(config.environment),
                    Value: region[writer],
                    Type: "String",
                    Overwrite: true,
                }),
            ),
            new DynamoDBClient({ ...common, region: here }).send(
                new CreateTableCommand({
                    TableName: lockTable,
                    AttributeDefinitions: [{ AttributeName: "lockId", AttributeType: "S" }],
                    KeySchema: [{ AttributeName: "lockId", KeyType: "HASH" }],
                    BillingMode: "PAY_PER_REQUEST",
                }),
            ),
            // --- evidence: the region's runs table and report bucket ---
            new DynamoDBClient({ ...common, region: here }).send(
                new CreateTableCommand({
                    TableName: runsTable,
                    AttributeDefinitions: [
                        { AttributeName: RUNS_TABLE_KEYS.partition, AttributeType: "S" },
                        { AttributeName: RUNS_TABLE_KEYS.sort, AttributeType: "S" },
                    ],
                    KeySchema: [
                        { AttributeName: RUNS_TABLE_KEYS.partition, KeyType: "HASH" },
                        { AttributeName: RUNS_TABLE_KEYS.sort, KeyType: "RANGE" },
                    ],
                    BillingMode: "PAY_PER_REQUEST",
                }),
            ),
            createReportBucket(endpoint, here, reportBucket(side), keys[side].KeyMetadata!.Arn!, config.protect),
        ]);
        return {
            topicArn: topic.TopicArn!,
            queueUrl,
            alarmNames,
            peerDownAlarmName: peerDown,
            secretArn: made.secretArn[side],
            securityGroupId: made.securityGroupId[side],
            clusterParameterGroup: parameterGroups[side],
        };
    };
    const cellsMade = Promise.all([zone, breakGlass]).then(([hostedZoneId, made]) =>
        Promise.all([cell("primary", hostedZoneId, made), cell("dr", hostedZoneId, made)]),
    );

    const [{ keys, endpoints }, hostedZoneId, [primaryCell, drCell]] = await Promise.all([database, zone, cellsMade]);
    await route53.send(
        new ChangeResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            ChangeBatch: {
                Changes: [
                    {
                        Action: "UPSERT",
                        ResourceRecordSet: { Name: recordName, Type: "CNAME", TTL: ttl, ResourceRecords: [{ Value: endpoints[writer] }] },
                    },
                ],
            },
        }),
    );
    const made = { primary: primaryCell, dr: drCell };
    const settings = options.application === false ? undefined : (options.application ?? config.application);
    const apps =
        settings === undefined
            ? undefined
            : await Promise.all(
                  SIDES.map((side) =>
                      createApplicationCell(endpoint, MOTO_CREDENTIALS, {
                          stack: config.stack,
                          environment: config.environment,
                          region: region[side],
                          active: side === writer,
                          settings,
                          clusterIdentifier: ids[side],
                          dbMinCapacity: config.database.minCapacity,
                          dbMaxCapacity: config.database.maxCapacity,
                      }),
                  ),
              ).then(([primaryApp, drApp]) => ({ primary: primaryApp!, dr: drApp! }));
    const cells = Object.fromEntries(
        SIDES.map((side): [Side, RegionalCell] => [
            side,
            {
                side,
                region: region[side],
                clusterArn: clusterArn[side],
                endpoint: endpoints[side],
                keyId: keys[side].KeyMetadata!.KeyId!,
                keyArn: keys[side].KeyMetadata!.Arn!,
                reportBucket: reportBucket(side),
                ...made[side],
                ...(apps !== undefined ? { application: apps[side] } : {}),
                lambdaEnv: {
                    ...orchestratorEnvironment({ environment: config.environment, lockTableName: lockTable }),
                    AWS_REGION: region[side],
                },
            },
        ]),
    ) as Record<Side, RegionalCell>;

    return {
        stack: config.stack,
        environment: config.environment,
        primaryRegion: config.primaryRegion,
        drRegion: config.drRegion,
        globalClusterId: ids.global,
        primaryClusterArn: clusterArn.primary,
        drClusterArn: clusterArn.dr,
        primaryEndpoint: endpoints.primary,
        drEndpoint: endpoints.dr,
        hostedZoneId,
        recordName,
        lockTable,
        lagAlarmName,
        globalWriterEndpoint,
        runsTable,
        cells,
        ...(settings !== undefined ? { application: settings } : {}),
    };
}

/** Per server, the topologies built on it, by their (config, options): the snapshot holding each, and what it returned. */
const builtTopologies = new WeakMap<MotoServer, Map<string, { readonly snapshot: string; readonly topology: Topology }>>();

/**
 * The topology `createTopology` builds, on a server that holds nothing else (as after `moto.reset()`), built once per
 * server and (config, options): the first build is snapshotted (tests/moto/server.py), and a later call restores the
 * snapshot in one call instead of building again (about 130 calls; the moto server's CPU was most of an integration
 * test's time). The restored resources are the built ones, ids included, in the state they had when built: nothing a
 * caller did to them since survives. Only the application tier's local servers, which a caller may close or make fail,
 * are started anew, and each region's check-url parameter names its new server.
 */
export async function freshTopology(moto: MotoServer, config: StackConfig, options: TopologyOptions = {}): Promise<Topology> {
    let built = builtTopologies.get(moto);
    if (built === undefined) {
        built = new Map();
        builtTopologies.set(moto, built);
    }
    const key = JSON.stringify([config, options]);
    const known = built.get(key);
    if (known === undefined) {
        await moto.reset();
        const topology = await createTopology(moto.url, config, options);
        const snapshot = `topology-${built.size + 1}`;
        await moto.snapshot(snapshot);
        built.set(key, { snapshot, topology });
        return topology;
    }
    await moto.restore(known.snapshot);
    return known.topology.application === undefined ? known.topology : withNewAppServers(moto.url, known.topology);
}

/** The topology with a new local application server per region, named by that region's check-url parameter. */
async function withNewAppServers(endpoint: string, topology: Topology): Promise<Topology> {
    const renewed = await Promise.all(
        SIDES.map(async (side): Promise<[Side, RegionalCell]> => {
            const cell = topology.cells[side];
            const application = cell.application!;
            const server = await startAppServer(topology.application!.healthPath);
            await new SSMClient({ endpoint, region: cell.region, credentials: { ...MOTO_CREDENTIALS } }).send(
                new PutParameterCommand({
                    Name: `${failoverParameterPath(topology.environment)}/${APPLICATION_PARAMETERS.checkUrl}`,
                    Value: server.url,
                    Type: "String",
                    Overwrite: true,
                }),
            );
            return [
                side,
                {
                    ...cell,
                    application: {
                        ...application,
                        server,
                        parameters: { ...application.parameters, [APPLICATION_PARAMETERS.checkUrl]: server.url },
                    },
                },
            ];
        }),
    );
    return { ...topology, cells: Object.fromEntries(renewed) as Record<Side, RegionalCell> };
}

/**
 * A report bucket as the FailoverOrchestrator declares it: Object Lock enabled at creation, a default retention
 * (COMPLIANCE 2190 days where stateful resources are protected, GOVERNANCE 1 day otherwise), SSE-KMS with the
 * region's key and a bucket key. Object Lock turns versioning on.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html
 */
export async function createReportBucket(endpoint: string, region: string, bucket: string, keyArn: string, locked: boolean): Promise<void> {
    const s3 = sdkS3Client({ region, endpoint, credentials: { ...MOTO_CREDENTIALS } });
    await s3.send(
        new CreateBucketCommand({
            Bucket: bucket,
            ObjectLockEnabledForBucket: true,
            ...(region !== "us-east-1" ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } } : {}),
        }),
    );
    await s3.send(
        new PutObjectLockConfigurationCommand({
            Bucket: bucket,
            ObjectLockConfiguration: {
                ObjectLockEnabled: "Enabled",
                Rule: { DefaultRetention: locked ? { Mode: "COMPLIANCE", Days: 2190 } : { Mode: "GOVERNANCE", Days: 1 } },
            },
        }),
    );
    await s3.send(
        new PutBucketEncryptionCommand({
            Bucket: bucket,
            ServerSideEncryptionConfiguration: {
                Rules: [
                    { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyArn }, BucketKeyEnabled: true },
                ],
            },
        }),
    );
}

/**
 * Publishes the metrics of a healthy pair for the `minutes` up to `now`: the writer cluster's Serverless capacity (in
 * the writer's region) and the secondary cluster's replication lag (in its region). `lagMs` sets the lag; a lag above
 * the threshold makes the replication signal say "down" while the writer still looks healthy otherwise.
 */
export async function publishPairMetrics(
    endpoint: string,
    topology: Pick<Topology, "cells">,
    options: {
        readonly now?: number;
        readonly minutes?: number;
        readonly lagMs?: number;
        /** Publish the writer's capacity. @default true */
        readonly primary?: boolean;
        /** The side holding the writer. @default "primary" */
        readonly writer?: Side;
    } = {},
): Promise<void> {
    const now = options.now ?? Date.now();
    const minutes = options.minutes ?? 5;
    const writer = topology.cells[options.writer ?? "primary"];
    const secondary = topology.cells[otherSide(writer.side)];
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
        await put(writer.region, "ServerlessDatabaseCapacity", id(writer.clusterArn), 2);
    }
    await put(secondary.region, "AuroraGlobalDBReplicationLag", id(secondary.clusterArn), options.lagMs ?? 120);
}

/** The writer record and each region's copy of `active-region`, as sides (`?` for anything else), read from moto. */
export interface Pointers {
    readonly record: Side | "?";
    readonly activeRegion: Readonly<Record<Side, Side | "?">>;
}

export async function readPointers(endpoint: string, topology: Topology): Promise<Pointers> {
    const direct = createClients({ endpointFor: () => endpoint, credentials: MOTO_CREDENTIALS });
    const record = await readRecord(direct.route53(), topology.hostedZoneId, topology.recordName);
    const sideOfRegion = (region: string | undefined): Side | "?" =>
        region === topology.primaryRegion ? "primary" : region === topology.drRegion ? "dr" : "?";
    const copy = async (side: Side) =>
        sideOfRegion(await readParameter(direct.ssm(topology.cells[side].region), activeRegionParameterName(topology.environment)));
    return {
        record: record === normalise(topology.drEndpoint) ? "dr" : record === normalise(topology.primaryEndpoint) ? "primary" : "?",
        activeRegion: { primary: await copy("primary"), dr: await copy("dr") },
    };
}

/**
 * Where the writer record and `active-region` point, read from moto directly: `dr`, `primary`, or `split (...)` when
 * the record and the `active-region` copy of the region it names disagree (a split brain in the making). The other
 * region's copy is set best effort (its region may be the one that is down): `stalePeerCopy` says when it lags.
 */
export async function pointersAt(endpoint: string, topology: Topology): Promise<string> {
    return describePointers(await readPointers(endpoint, topology));
}

/** Pure: see `pointersAt`. */
export function describePointers(p: Pointers): string {
    const active = p.record === "?" ? "?" : p.activeRegion[p.record];
    return p.record !== "?" && p.record === active ? p.record : `split (record ${p.record}, active-region ${active})`;
}

/** The side whose `active-region` copy does not name the record's side, if any (a best-effort write that failed). Pure. */
export function stalePeerCopy(p: Pointers): Side | undefined {
    return p.record === "?" ? undefined : SIDES.find((side) => side !== p.record && p.activeRegion[side] !== p.record);
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
