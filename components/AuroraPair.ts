import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    AURORA_ENGINE,
    auroraLayout,
    BACKUP_WINDOW,
    type ClusterLabel,
    type ClusterPlacement,
    clusterLogGroupName,
    type DatabaseSeed,
    clusterParametersFor,
    ENHANCED_MONITORING,
    enhancedMonitoringPolicy,
    EXPORTED_LOGS,
    generationSuffix,
    globalClusterProblems,
    globalDbRpoProblem,
    logDataProtectionPolicy,
    MAINTENANCE_WINDOW,
    parameterGroupFamily,
    POSTGRES_PORT,
    replicaSecretArn,
    seedProblems,
    windowProblems,
} from "../lib/database";
import type { AwsAccount } from "../lib/account";
import { serviceTrustPolicy, toJson } from "../lib/iam";
import { physicalName } from "../lib/naming";

/**
 * The Secrets Manager rotation function for a single PostgreSQL user, from the Serverless Application Repository,
 * at the version aws-cdk-lib pins for the `aws` partition (SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER).
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_available-rotation-templates.html
 */
export const ROTATION_APPLICATION = {
    applicationId: "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser",
    semanticVersion: "1.1.671",
} as const;

/** Serverless v2 instances are all of this class; capacity comes from the cluster's scaling configuration. */
export const SERVERLESS_INSTANCE_CLASS = "db.serverless";

/** One side of the pair: where a cluster lives and what it is placed in. */
export interface AuroraRegionArgs {
    /** The AWS region code. */
    readonly region: string;
    /** The explicit provider of that region; every resource of this side uses it. */
    readonly provider: aws.Provider;
    /** ARN of the region's customer-managed KMS key: storage, Performance Insights, logs and the secret use it. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The region's availability zones, in order; instances are spread over them. */
    readonly availabilityZones: pulumi.Input<string[]>;
    /** DB subnet group over the region's isolated subnets. */
    readonly dbSubnetGroupName: pulumi.Input<string>;
    /** Security group of the cluster (admits 5432 from the application and the orchestrator only). */
    readonly securityGroupId: pulumi.Input<string>;
}

/** One region's cluster as the constructor builds it: its side, its placement in the layout, its resources' names. */
interface Side {
    readonly region: AuroraRegionArgs;
    /** `primary` or `secondary`: the side, for what exists once per region (Enhanced Monitoring). */
    readonly role: "primary" | "secondary";
    readonly placement: ClusterPlacement;
    /** The role plus the cluster's generation suffix (`secondary`, `primary-g2`): the names of its own resources. */
    readonly slot: string;
    readonly instances: number;
}

export interface AuroraPairArgs {
    /** The account and partition policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** Stack name, for the deterministic identifiers of the clusters (`hdr-<stack>-aurora-<region>`). */
    readonly stack: string;
    /** The primary (writer) side. */
    readonly primary: AuroraRegionArgs;
    /** The secondary (DR) side. */
    readonly secondary: AuroraRegionArgs;
    /** Aurora PostgreSQL version, `MAJOR.MINOR`, the same in both regions. */
    readonly engineVersion: string;
    /** Serverless v2 minimum capacity, in ACU. */
    readonly minCapacity: number;
    /** Serverless v2 maximum capacity, in ACU. */
    readonly maxCapacity: number;
    /** Days of Aurora automated backups (point-in-time restore inside each cluster). */
    readonly backupRetentionDays: number;
    /**
     * The region whose cluster is the writer as the deploy knows it (`healthcare-dr:activeRegion`): what must sit
     * with the writer (the RPO ceiling) goes on that cluster only. Changing it only updates the two parameter groups
     * in place; names, identifiers and everything that would force a replacement ignore it.
     * @default - the primary side's region
     */
    readonly writerRegion?: string;
    /**
     * `rds.global_db_rpo` of the writer's cluster parameter group, in seconds (20 or more): Aurora holds commits on
     * the writer while the secondary lags more. The other cluster's group never sets it (AWS's advice for two
     * regions: the new writer after a failover would hold every commit).
     * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html#aurora-global-database-manage-recovery
     * @default - not set: nothing bounds the replication lag
     */
    readonly maxReplicationLagSeconds?: number;
    /**
     * Which cluster the global database is created from, and the generation each cluster was created in
     * (`healthcare-dr:database.seed`; lib/database.ts `DatabaseSeed`, with `primary` the primary side and `dr` the
     * secondary side). From generation 2 the global cluster is created from the seed cluster (a cluster a break-glass
     * promoted, kept as it is) and the other side's cluster is a new secondary.
     * @default - generation 1, seeded by the primary side: the database as first deployed
     */
    readonly seed?: DatabaseSeed;
    /**
     * Instances of the primary cluster: a writer and readers in other zones (Multi-AZ). At least 2.
     * @default 2
     */
    readonly primaryInstances?: number;
    /**
     * Instances of the secondary cluster. 0 makes a headless secondary (storage only), which a failover cannot
     * promote until an instance is added: dev only.
     * @default 1
     */
    readonly secondaryInstances?: number;
    /**
     * Protect the data: Pulumi `protect`/`retainOnDelete`, AWS deletion protection, final snapshots and a 30-day
     * secret recovery window. Off, everything can be destroyed at once.
     * @default false
     */
    readonly protect?: boolean;
    /**
     * Name of the database created in the primary cluster.
     * @default "healthcare"
     */
    readonly databaseName?: string;
    /**
     * Master user name.
     * @default "hdr_admin"
     */
    readonly masterUsername?: string;
    /**
     * Days between rotations of the master password.
     * @default 30
     */
    readonly rotationDays?: number;
    /**
     * Where the rotation function runs in the primary region: private subnets with the orchestrator's security
     * group (which the database admits and which reaches the Secrets Manager and KMS endpoints).
     */
    readonly rotation: { readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>; readonly securityGroupId: pulumi.Input<string> };
    /**
     * Days the exported PostgreSQL logs are kept in CloudWatch Logs.
     * @default 365
     */
    readonly logRetentionDays?: number;
    /**
     * `create` declares each region's `RDSOSMetrics` log group (key, retention) before the instances; `existing`
     * leaves it to the stack of the same account that declares it (one per account and region).
     * @default "create"
     */
    readonly osMetricsLogGroup?: "create" | "existing";
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Endpoints of one cluster. */
export interface ClusterEndpoints {
    /** The cluster (writer) endpoint; on a secondary it only accepts connections once the cluster is promoted. */
    readonly writer: pulumi.Output<string>;
    /** The reader endpoint, load-balanced over the cluster's readers. */
    readonly reader: pulumi.Output<string>;
}

/**
 * An Aurora PostgreSQL Global Database over two regions: a Multi-AZ primary cluster, a secondary cluster that
 * storage-level replication keeps seconds behind, and the master credentials in a Secrets Manager secret that is
 * rotated in the primary region and replicated to the DR region.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html
 */
export class AuroraPair extends pulumi.ComponentResource {
    public readonly globalClusterId: pulumi.Output<string>;
    /** The global writer endpoint: follows the primary after a managed switchover or failover. */
    public readonly globalWriterEndpoint: pulumi.Output<string>;
    public readonly primaryClusterArn: pulumi.Output<string>;
    public readonly secondaryClusterArn: pulumi.Output<string>;
    public readonly primaryClusterIdentifier: pulumi.Output<string>;
    public readonly secondaryClusterIdentifier: pulumi.Output<string>;
    public readonly primaryEndpoints: ClusterEndpoints;
    public readonly secondaryEndpoints: ClusterEndpoints;
    /** The master secret in the primary region. */
    public readonly primarySecretArn: pulumi.Output<string>;
    /** Its replica in the DR region, for the DR application after a failover. */
    public readonly secondarySecretArn: pulumi.Output<string>;
    /** The NAME of each cluster's cluster parameter group: the other region's orchestrator fences a cluster there. */
    public readonly primaryClusterParameterGroupName: pulumi.Output<string>;
    public readonly secondaryClusterParameterGroupName: pulumi.Output<string>;

    constructor(name: string, args: AuroraPairArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:AuroraPair", name, {}, opts);
        const protect = args.protect ?? false;
        const primaryInstances = args.primaryInstances ?? 2;
        const secondaryInstances = args.secondaryInstances ?? 1;
        const databaseName = args.databaseName ?? "healthcare";
        const masterUsername = args.masterUsername ?? "hdr_admin";
        const rotationDays = args.rotationDays ?? 30;
        const logRetentionDays = args.logRetentionDays ?? 365;
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        const stateful = { protect, retainOnDelete: protect };
        const writerRegion = args.writerRegion ?? args.primary.region;

        const problems = [
            ...(primaryInstances < 2
                ? [`primaryInstances is ${primaryInstances}; the primary needs a writer and a reader in another zone (2 or more)`]
                : []),
            ...(secondaryInstances < 0 ? [`secondaryInstances is ${secondaryInstances}; give 0 or more`] : []),
            ...(args.minCapacity > args.maxCapacity ? [`minCapacity (${args.minCapacity}) exceeds maxCapacity (${args.maxCapacity})`] : []),
            ...(args.primary.region === args.secondary.region
                ? [`primary and secondary are both in ${args.primary.region}; use two regions`]
                : []),
            ...windowProblems(BACKUP_WINDOW, MAINTENANCE_WINDOW),
            ...(writerRegion !== args.primary.region && writerRegion !== args.secondary.region
                ? [
                      `writerRegion is ${writerRegion}; give ${args.primary.region} or ${args.secondary.region}, the region of one of the two clusters`,
                  ]
                : []),
            ...(args.seed === undefined
                ? []
                : seedProblems(args.seed, { primary: args.primary.region, dr: args.secondary.region }).map(
                      (p) => `seed.${p.path.join(".")} ${p.message}`,
                  )),
            ...(args.maxReplicationLagSeconds !== undefined && globalDbRpoProblem(args.maxReplicationLagSeconds) !== undefined
                ? [`maxReplicationLagSeconds: ${globalDbRpoProblem(args.maxReplicationLagSeconds)!}`]
                : []),
        ];
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`Invalid AuroraPair ${name}: ${problems.join("; ")}`, this);
        }

        const globalSettings = { engine: AURORA_ENGINE, engineVersion: args.engineVersion, storageEncrypted: true } as const;
        // The key of each member must be a key of its own region; checked where the ARN becomes known, so a wrong key
        // stops the deployment before the cluster exists.
        const checkedKey = (side: AuroraRegionArgs) =>
            pulumi.output(side.kmsKeyArn).apply((kmsKeyArn) => {
                const found = globalClusterProblems(globalSettings, [{ region: side.region, ...globalSettings, kmsKeyArn }]);
                if (found.length > 0) {
                    throw new pulumi.ResourceError(`Invalid AuroraPair ${name}: ${found.join("; ")}`, this);
                }
                return kmsKeyArn;
            });

        // Which cluster seeds the global database and the generation each resource belongs to: generation 1 keeps the
        // names of the database as first deployed; a cluster or global cluster created by a rebuild carries `-g<n>` in
        // its identifier and logical name, so it is a new resource, and the one it replaces is retired, never replaced.
        const layout = auroraLayout(args.stack, { primary: args.primary.region, dr: args.secondary.region }, args.seed);
        const side = (label: ClusterLabel): Side => {
            const placement = layout.clusters[label];
            const region = label === "primary" ? args.primary : args.secondary;
            const role = label === "primary" ? "primary" : "secondary";
            return {
                region,
                role,
                placement,
                slot: `${role}${generationSuffix(placement.generation)}`,
                instances: label === "primary" ? primaryInstances : secondaryInstances,
            };
        };
        const sides = { primary: side("primary"), dr: side("dr") };
        const seedSide = sides[layout.global.seedLabel];
        const otherSide = layout.global.seedLabel === "primary" ? sides.dr : sides.primary;
        const globalSlot = `global${generationSuffix(layout.global.generation)}`;

        // Credentials. Aurora cannot manage the master password in Secrets Manager (`manageMasterUserPassword`) for a
        // cluster in a global database, so the program generates it, keeps it in a secret encrypted with the primary
        // key and replicated (with the DR key) to the DR region, and rotates it with the Secrets Manager rotation
        // function for PostgreSQL. The replica follows every rotation, so the DR application can connect after a
        // failover. The secret stays in the primary region through every rebuild (README, "Rebuild after a
        // break-glass": a replica promoted by a break-glass is folded back into it).
        // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations
        // @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html
        const password = new random.RandomPassword(
            `${name}-master-password`,
            // RDS refuses "/", "@", '"' and spaces in a master password.
            { length: 32, special: true, overrideSpecial: "!#$%^&*()-_=+[]{}<>:?", minLower: 2, minUpper: 2, minNumeric: 2, minSpecial: 2 },
            { parent: this },
        );
        const keys = { primary: checkedKey(args.primary), dr: checkedKey(args.secondary) };
        const secret = new aws.secretsmanager.Secret(
            `${name}-master`,
            {
                description: `Master credentials of the ${layout.global.identifier} Aurora global database (rotated in ${args.primary.region}, replicated to ${args.secondary.region})`,
                kmsKeyId: keys.primary,
                replicas: [{ region: args.secondary.region, kmsKeyId: keys.dr }],
                // Dev can be destroyed and recreated at once; prod keeps a deleted secret recoverable for 30 days.
                recoveryWindowInDays: protect ? 30 : 0,
                tags: tags("master"),
            },
            { parent: this, provider: args.primary.provider, ...stateful },
        );

        // One group per cluster, the same but for the RPO ceiling, which sits with the writer only. The description
        // (which forces a replacement) never mentions the writer: moving it is an in-place update of both groups. A
        // cluster created by a rebuild gets a group of its own: the group of the cluster it succeeds carries the fence
        // of the break-glass (FENCE_PARAMETER) until that cluster is retired.
        const parameterGroup = (s: Side) =>
            new aws.rds.ClusterParameterGroup(
                `${name}-${s.slot}`,
                {
                    family: parameterGroupFamily(args.engineVersion),
                    description: `healthcare-dr Aurora PostgreSQL ${args.engineVersion}: TLS only, connection and DDL logging`,
                    parameters: clusterParametersFor({
                        writer: s.region.region === writerRegion,
                        ...(args.maxReplicationLagSeconds !== undefined ? { globalDbRpoSeconds: args.maxReplicationLagSeconds } : {}),
                    }).map((p) => ({ name: p.name, value: p.value, applyMethod: p.applyMethod })),
                    tags: tags(s.slot),
                },
                { parent: this, provider: s.region.provider },
            );
        // RDS creates the export log groups itself, unencrypted and kept forever; created first, they use the
        // regional key and the configured retention. Protected stacks keep a retired cluster's logs (audit records:
        // connections, DDL) in AWS until their retention ends, and their masking with them.
        // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.CloudWatch.html
        const logGroups = (s: Side) =>
            EXPORTED_LOGS.map((log) => {
                const group = new aws.cloudwatch.LogGroup(
                    `${name}-${s.slot}-${log}`,
                    {
                        name: clusterLogGroupName(s.placement.identifier, log),
                        kmsKeyId: s.region.kmsKeyArn,
                        retentionInDays: logRetentionDays,
                        tags: tags(`${s.slot}-${log}`),
                    },
                    { parent: this, provider: s.region.provider, retainOnDelete: protect },
                );
                this.maskPatientData(`${name}-${s.slot}-${log}`, group, s.region, protect);
                return group;
            });

        const clusterSettings = (s: Side, globalClusterIdentifier: pulumi.Input<string>) => ({
            clusterIdentifier: s.placement.identifier,
            globalClusterIdentifier,
            engine: AURORA_ENGINE,
            engineMode: "provisioned",
            engineVersion: args.engineVersion,
            storageEncrypted: true,
            kmsKeyId: keys[s.placement.label],
            serverlessv2ScalingConfiguration: { minCapacity: args.minCapacity, maxCapacity: args.maxCapacity },
            dbSubnetGroupName: s.region.dbSubnetGroupName,
            vpcSecurityGroupIds: [s.region.securityGroupId],
            port: POSTGRES_PORT,
            dbClusterParameterGroupName: parameterGroup(s).name,
            iamDatabaseAuthenticationEnabled: true,
            enabledCloudwatchLogsExports: [...EXPORTED_LOGS],
            backupRetentionPeriod: args.backupRetentionDays,
            preferredBackupWindow: BACKUP_WINDOW,
            preferredMaintenanceWindow: MAINTENANCE_WINDOW,
            copyTagsToSnapshot: true,
            deletionProtection: protect,
            skipFinalSnapshot: !protect,
            ...(protect ? { finalSnapshotIdentifier: `${s.placement.identifier}-final` } : {}),
            tags: tags(s.slot),
        });

        // After a switchover or failover AWS swaps the roles: the old primary reports the new one as its replication
        // source, and a detached cluster reports no global cluster. Either difference would make `pulumi up` replace a
        // cluster full of patient data, so both are ignored; the engine version is ignored on the members because a
        // global database is upgraded through the global cluster (secondaries first), never member by member.
        // @see https://www.pulumi.com/registry/packages/aws/api-docs/rds/globalcluster/
        // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-upgrade.html
        const memberIgnoreChanges = ["replicationSourceIdentifier", "globalClusterIdentifier", "engineVersion"];

        // A cluster keeps the inputs it was created with for life: the first writer of generation 1 has the database
        // name and the master user (the generated password is only the first: it is rotated, so ignored); any other
        // cluster was created as a secondary, which must not carry them (AWS refuses: "Cannot specify password/user
        // name/database name for cross region replication cluster", pulumi-aws#3751) and, promoted, never gains them:
        // each is replace-on-change.
        const member = (s: Side, globalClusterIdentifier: pulumi.Input<string>, dependsOn: pulumi.Input<pulumi.Resource>[]) =>
            new aws.rds.Cluster(
                `${name}-${s.slot}`,
                s.placement.createdAs === "writer"
                    ? { ...clusterSettings(s, globalClusterIdentifier), databaseName, masterUsername, masterPassword: password.result }
                    : clusterSettings(s, globalClusterIdentifier),
                {
                    parent: this,
                    provider: s.region.provider,
                    ...stateful,
                    ignoreChanges: s.placement.createdAs === "writer" ? [...memberIgnoreChanges, "masterPassword"] : memberIgnoreChanges,
                    dependsOn: [...dependsOn, ...logGroups(s)],
                },
            );

        const instances = (s: Side, cluster: aws.rds.Cluster) => {
            const monitoring = this.enhancedMonitoring(
                `${name}-${s.role}`,
                s.region,
                args.account,
                args.osMetricsLogGroup === "existing" ? undefined : logRetentionDays,
                tags(`${s.role}-os-metrics`),
            );
            return Array.from(
                { length: s.instances },
                (_, i) =>
                    new aws.rds.ClusterInstance(
                        `${name}-${s.slot}-${i}`,
                        {
                            identifier: `${s.placement.identifier}-${i + 1}`,
                            clusterIdentifier: cluster.id,
                            engine: AURORA_ENGINE,
                            instanceClass: SERVERLESS_INSTANCE_CLASS,
                            // Spread over the zones: on the primary the writer and its first reader are in different
                            // zones, which is what makes the cluster Multi-AZ.
                            availabilityZone: pulumi.output(s.region.availabilityZones).apply((zones) => zones[i % zones.length]!),
                            dbSubnetGroupName: s.region.dbSubnetGroupName,
                            // Tier 0 first: on failover inside the region the first reader is promoted.
                            promotionTier: Math.min(i, 15),
                            publiclyAccessible: false,
                            // Global databases do not support automatic minor version upgrades.
                            autoMinorVersionUpgrade: false,
                            performanceInsightsEnabled: true,
                            performanceInsightsKmsKeyId: s.region.kmsKeyArn,
                            performanceInsightsRetentionPeriod: 7,
                            monitoringInterval: ENHANCED_MONITORING.intervalSeconds,
                            monitoringRoleArn: monitoring.roleArn,
                            tags: tags(`${s.slot}-${i + 1}`),
                        },
                        // RDSOSMetrics must exist (encrypted, expiring) before the first instance reports to it.
                        { parent: this, provider: s.region.provider, dependsOn: monitoring.ready },
                    ),
            );
        };

        let globalCluster: aws.rds.GlobalCluster;
        let seedCluster: aws.rds.Cluster;
        if (layout.global.generation === 1) {
            // The global cluster is declared empty (no source cluster, no database name) and the primary joins it:
            // a database name on the global cluster is read back from the primary and, changed or drifted, forces the
            // global cluster's replacement (terraform-provider-aws#28187). The database name lives on the primary only.
            // @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateGlobalCluster.html
            globalCluster = new aws.rds.GlobalCluster(
                `${name}-${globalSlot}`,
                {
                    globalClusterIdentifier: layout.global.identifier,
                    engine: AURORA_ENGINE,
                    engineVersion: args.engineVersion,
                    storageEncrypted: true,
                    deletionProtection: protect,
                    // In dev, let destroy detach the members first so the global cluster can go.
                    forceDestroy: !protect,
                    tags: tags(globalSlot),
                },
                // Like the members': AWS applies forced minor upgrades to the whole global database, and the stack file's
                // older version must not read as a change to undo. Upgrades follow the README (secondaries first).
                // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-upgrade.html
                { parent: this, provider: args.primary.provider, ...stateful, ignoreChanges: ["engineVersion"] },
            );
            seedCluster = member(seedSide, globalCluster.id, []);
        } else {
            // A rebuild: the seed is the cluster a break-glass promoted, declared exactly as it was created (same
            // logical name, identifier and inputs), so nothing of it changes. Its global cluster identifier is ignored
            // (it reports the global cluster it is in); it names the new one, by value: an output of the global cluster
            // would be a cycle, the global cluster being created from this cluster's ARN.
            seedCluster = member(seedSide, layout.global.identifier, []);
            // The new global cluster is created from the seed (CreateGlobalCluster with SourceDBClusterIdentifier), in
            // the seed's region, and takes its engine, version, encryption and database from it: AWS refuses engine,
            // engineVersion, storageEncrypted and databaseName next to a source, and the provider requires forceDestroy
            // with one. The source is never read back (Pulumi cannot detect its drift), so it is ignored after creation.
            // In prod the global cluster is protected and retained on delete, so forceDestroy (detaching the members on
            // delete) is never reached from Pulumi.
            // @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateGlobalCluster.html
            // @see https://www.pulumi.com/registry/packages/aws/api-docs/rds/globalcluster/
            globalCluster = new aws.rds.GlobalCluster(
                `${name}-${globalSlot}`,
                {
                    globalClusterIdentifier: layout.global.identifier,
                    sourceDbClusterIdentifier: seedCluster.arn,
                    deletionProtection: protect,
                    forceDestroy: true,
                    tags: tags(globalSlot),
                },
                {
                    parent: this,
                    provider: seedSide.region.provider,
                    ...stateful,
                    ignoreChanges: ["engineVersion", "sourceDbClusterIdentifier"],
                },
            );
        }
        const seedMembers = instances(seedSide, seedCluster);

        // The other region's cluster joins as a secondary once the writer has an instance: a cross-region replica,
        // without credentials or a database name (it inherits them). After a rebuild it is a new cluster (`-g<n>`).
        // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html#aurora-global-database-attaching
        const otherCluster = member(otherSide, globalCluster.id, seedMembers);
        instances(otherSide, otherCluster);
        const clusters =
            layout.global.seedLabel === "primary" ? { primary: seedCluster, dr: otherCluster } : { primary: otherCluster, dr: seedCluster };

        // The secret's content: what the rotation function and the applications read. The host is the global writer
        // endpoint, which Aurora points at the writer after a managed switchover or failover, so the credentials follow
        // the writer whichever region it is in (never a regional cluster endpoint, never the private writer record).
        // `ssl: true` makes the rotation function connect with TLS and verify-full only, never fall back to plain text
        // (the SAR PostgreSQL functions try TLS then plain text when the key is absent; rds.force_ssl refuses the
        // latter anyway).
        // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-connecting.html
        // @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html
        // @see https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas/blob/master/SecretsManagerRDSPostgreSQLRotationSingleUser/lambda_function.py
        const version = new aws.secretsmanager.SecretVersion(
            `${name}-master`,
            {
                secretId: secret.id,
                secretString: pulumi.secret(
                    pulumi.all([password.result, globalCluster.endpoint, seedCluster.clusterIdentifier]).apply(([pw, host, clusterId]) =>
                        JSON.stringify({
                            engine: "postgres",
                            host,
                            port: POSTGRES_PORT,
                            username: masterUsername,
                            password: pw,
                            dbname: databaseName,
                            dbClusterIdentifier: clusterId,
                            ssl: true,
                        }),
                    ),
                ),
            },
            // After the first rotation the secret holds a newer password than the generated one; writing the secret
            // again (say, because an endpoint changed) would put the stale password back and lock everyone out. A
            // rebuild's new global writer endpoint is written by hand (README, "Rebuild after a break-glass").
            { parent: this, provider: args.primary.provider, ignoreChanges: ["secretString"] },
        );

        const rotationFunction = new aws.serverlessrepository.CloudFormationStack(
            `${name}-rotation`,
            {
                name: physicalName(args.stack, ["aurora", "rotation"]),
                applicationId: ROTATION_APPLICATION.applicationId,
                semanticVersion: ROTATION_APPLICATION.semanticVersion,
                // The template creates the function's role and its permission for Secrets Manager to invoke it.
                capabilities: ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
                parameters: {
                    functionName: physicalName(args.stack, ["aurora", "rotation"]),
                    // Resolves to the Secrets Manager interface endpoint of the VPC (private DNS).
                    endpoint: `https://secretsmanager.${args.primary.region}.amazonaws.com`,
                    vpcSubnetIds: pulumi.output(args.rotation.subnetIds).apply((ids) => ids.join(",")),
                    vpcSecurityGroupIds: args.rotation.securityGroupId,
                    kmsKeyArn: keys.primary,
                },
                tags: tags("rotation"),
            },
            { parent: this, provider: args.primary.provider },
        );
        new aws.secretsmanager.SecretRotation(
            `${name}-master`,
            {
                secretId: secret.id,
                rotationLambdaArn: rotationFunction.outputs.apply((o) => o["RotationLambdaARN"]!),
                rotationRules: { automaticallyAfterDays: rotationDays },
            },
            // Rotation logs in to the database at once; the writer must exist.
            { parent: this, provider: args.primary.provider, dependsOn: [version, ...seedMembers] },
        );

        this.globalClusterId = globalCluster.id;
        this.globalWriterEndpoint = globalCluster.endpoint;
        this.primaryClusterArn = clusters.primary.arn;
        this.secondaryClusterArn = clusters.dr.arn;
        this.primaryClusterIdentifier = clusters.primary.clusterIdentifier;
        this.secondaryClusterIdentifier = clusters.dr.clusterIdentifier;
        this.primaryEndpoints = { writer: clusters.primary.endpoint, reader: clusters.primary.readerEndpoint };
        this.secondaryEndpoints = { writer: clusters.dr.endpoint, reader: clusters.dr.readerEndpoint };
        this.primarySecretArn = secret.arn;
        this.secondarySecretArn = secret.arn.apply((arn) => replicaSecretArn(arn, args.secondary.region));
        this.primaryClusterParameterGroupName = clusters.primary.dbClusterParameterGroupName;
        this.secondaryClusterParameterGroupName = clusters.dr.dbClusterParameterGroupName;
        this.registerOutputs({
            globalClusterId: this.globalClusterId,
            globalWriterEndpoint: this.globalWriterEndpoint,
            primaryClusterArn: this.primaryClusterArn,
            secondaryClusterArn: this.secondaryClusterArn,
            primaryEndpoints: this.primaryEndpoints,
            secondaryEndpoints: this.secondaryEndpoints,
            primarySecretArn: this.primarySecretArn,
            secondarySecretArn: this.secondarySecretArn,
            primaryClusterParameterGroupName: this.primaryClusterParameterGroupName,
            secondaryClusterParameterGroupName: this.secondaryClusterParameterGroupName,
        });
    }

    /**
     * Enhanced Monitoring of one region: the `RDSOSMetrics` log group, declared before any instance so that RDS
     * writes to it rather than creating an unencrypted group kept forever, and the role RDS publishes with, allowed
     * to write to that group only. The group is the region's and the account's: one stack per account and region.
     */
    private enhancedMonitoring(
        name: string,
        side: AuroraRegionArgs,
        account: AwsAccount,
        /** `undefined`: the group exists already (another stack of the account declares it). */
        retentionInDays: number | undefined,
        tags: Record<string, string>,
    ): { roleArn: pulumi.Output<string>; ready: pulumi.Resource[] } {
        const child = { parent: this, provider: side.provider };
        const group =
            retentionInDays === undefined
                ? undefined
                : new aws.cloudwatch.LogGroup(
                      `${name}-os-metrics`,
                      { name: ENHANCED_MONITORING.logGroupName, kmsKeyId: side.kmsKeyArn, retentionInDays, tags },
                      child,
                  );
        const role = new aws.iam.Role(
            `${name}-monitoring`,
            {
                description: `Enhanced Monitoring of the Aurora instances in ${side.region}: writes OS metrics to RDSOSMetrics`,
                // Confused-deputy protection: only on behalf of this account.
                // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.Enabling.html
                assumeRolePolicy: toJson(serviceTrustPolicy("monitoring.rds.amazonaws.com", account.accountId)),
                tags,
            },
            child,
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-monitoring`,
            {
                role: role.id,
                policy: toJson(
                    enhancedMonitoringPolicy({ partition: account.partition, region: side.region, accountId: account.accountId }),
                ),
            },
            child,
        );
        return { roleArn: role.arn, ready: group === undefined ? [policy] : [group, policy] };
    }

    /**
     * Masks patient identifiers in a database log group (CloudWatch Logs data protection): only principals allowed
     * `logs:Unmask` see them, so reading PHI out of the logs is a permission of its own.
     */
    private maskPatientData(name: string, group: aws.cloudwatch.LogGroup, side: AuroraRegionArgs, retainOnDelete: boolean): void {
        new aws.cloudwatch.LogDataProtectionPolicy(
            `${name}-mask`,
            { logGroupName: group.name, policyDocument: logDataProtectionPolicy(`${name}-mask`) },
            // Kept with its log group: a retained group must stay masked.
            { parent: this, provider: side.provider, retainOnDelete },
        );
    }
}
