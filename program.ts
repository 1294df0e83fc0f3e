/**
 * The program: everything the stack declares, given its validated configuration.
 *
 * Kept apart from `index.ts` so that it never reads configuration itself: `index.ts` loads and validates the
 * config once, before any resource exists, and hands it here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccessLogBucket } from "./components/AccessLogBucket";
import { AlertTopics } from "./components/AlertTopics";
import { ApplicationTraffic } from "./components/ApplicationTraffic";
import { ApplicationTier } from "./components/ApplicationTier";
import { AuditTrail } from "./components/AuditTrail";
import { AuroraPair } from "./components/AuroraPair";
import { BackupPlan } from "./components/BackupPlan";
import { ClusterHeartbeat } from "./components/ClusterHeartbeat";
import { FailoverOrchestrator, type FailoverOrchestratorApplicationArgs } from "./components/FailoverOrchestrator";
import { GlobalTable } from "./components/GlobalTable";
import { ImageRepository } from "./components/ImageRepository";
import { MonthlyBudget } from "./components/MonthlyBudget";
import { RegionalKey } from "./components/RegionalKey";
import { RegionalMonitoring, type GlobalTableReplicaArgs, type ReplicationRuleArgs } from "./components/RegionalMonitoring";
import { DEFAULT_INTERFACE_ENDPOINTS, RegionalNetwork } from "./components/RegionalNetwork";
import { ReplicatedBucket } from "./components/ReplicatedBucket";
import { WriterRecord } from "./components/WriterRecord";
import { RotationPeering } from "./components/RotationPeering";
import { RuntimeCompliance } from "./components/RuntimeCompliance";
import type { StackConfig } from "./config";
import { ROUTE53_METRICS_REGION } from "./lib/failover";
import type { ApplicationSettings } from "./lib/application";
import { physicalName } from "./lib/naming";
import { recoveryBudget, type RecoveryBudget } from "./lib/recoveryBudget";
import { RULE_IDS } from "./lib/replication";

/**
 * The stable label of one of the two regions: `primary` is `primaryRegion` (the home region), `dr` is `drRegion`.
 * Labels name resources and never change; which region is the writer does (`healthcare-dr:activeRegion` for the
 * deploy, the global cluster at run time), and nothing that forces a replacement depends on it.
 */
export type RegionLabel = "primary" | "dr";

/**
 * One of the two regions (a regional cell), with the provider every resource in it must use. Both cells are
 * declared the same way: a key, a network, an access-log bucket, an alert topic, a cluster, a backup plan, a
 * heartbeat, a failover orchestrator and the monitoring; only their label and settings differ.
 */
export interface Region {
    /** `primary` or `dr`: the region's stable label in this stack (not whether it is the writer). */
    readonly role: RegionLabel;
    /** The AWS region code, e.g. `eu-west-2`. */
    readonly name: string;
    /** The explicit provider for this region; nothing in the program relies on the ambient region. */
    readonly provider: aws.Provider;
    /** The availability zones used in this region, `azCount` of them, from the stack file or the region's default (never looked up). */
    readonly availabilityZones: pulumi.Output<string[]>;
    /** The region's customer-managed key: everything stored in the region is encrypted with it. */
    readonly key: RegionalKey;
    /** The region's network: VPC, subnet tiers, endpoints, flow logs and the security groups of the data tier. */
    readonly network: RegionalNetwork;
}

/** The stack outputs. */
export interface ProgramOutputs {
    readonly environment: string;
    readonly primaryRegion: string;
    readonly drRegion: string;
    readonly accountId: pulumi.Output<string>;
    readonly availabilityZones: { readonly primary: pulumi.Output<string[]>; readonly dr: pulumi.Output<string[]> };
    readonly kmsKeyArns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly objectives: { readonly rto: string; readonly rpo: string; readonly rtoSeconds: number; readonly rpoSeconds: number };
    /**
     * What this stack's own settings allow in the worst case (detection, orchestration up to the function's timeout,
     * promotion, DNS; replication lag and S3 RTC), computed, never typed in. The policy pack's
     * `recovery-objectives-met` compares it with `objectives`.
     */
    readonly recoveryBudget: RecoveryBudget;
    /** Each region's network: VPC, subnets by tier, security groups, DB subnet group. */
    readonly networks: { readonly primary: NetworkOutputs; readonly dr: NetworkOutputs };
    /** The Aurora global database. */
    readonly database: DatabaseOutputs;
    /** AWS Backup: each region's plan (backing up that region's cluster and buckets, copying to the other) and vault. */
    readonly backups: {
        /** The primary region's plan (the stack's only plan before each region had one). */
        readonly planArn: pulumi.Output<string>;
        readonly planArns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
        readonly primaryVaultArn: pulumi.Output<string>;
        readonly drVaultArn: pulumi.Output<string>;
    };
    /** Per data set (`healthcare-dr:buckets`): its two buckets and replication roles. */
    readonly buckets: Readonly<Record<string, DataSetOutputs>>;
    /** Per global table (`healthcare-dr:tables`): its name (the same in both regions), each replica's ARN and stream. */
    readonly tables: Readonly<Record<string, TableOutputs>>;
    /** ARNs of the data buckets of each region (sources in the primary, replicas in the DR region), e.g. for backup selections. */
    readonly bucketArns: { readonly primary: pulumi.Output<string>[]; readonly dr: pulumi.Output<string>[] };
    /** Names of the buckets that receive the S3 server access logs of each region. */
    readonly accessLogBuckets: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /** Alerting, monitoring and the audit trail. */
    readonly monitoring: MonitoringOutputs;
    /** The failover orchestrator of each region, and the writer record they repoint. */
    readonly failover: FailoverOutputs;
    /** The application tier of each region and its image repository; only when `healthcare-dr:application` is set. */
    readonly application?: ApplicationOutputs;
    /** Run-time compliance with AWS Config (`healthcare-dr:compliance`). */
    readonly compliance: ComplianceOutputs;
}

/** One region's AWS Config resources of the stack. */
export interface RegionComplianceOutputs {
    /** The recorder (`create` only). */
    readonly recorderName: pulumi.Output<string | undefined>;
    /** The bucket the recorder delivers to (`create` only). */
    readonly deliveryBucketName: pulumi.Output<string | undefined>;
    readonly conformancePackName: pulumi.Output<string>;
    /** The rules beside the pack. */
    readonly ruleNames: pulumi.Output<string[]>;
    /** The EventBridge rule sending NON_COMPLIANT transitions to the alert topic. */
    readonly alertRuleName: pulumi.Output<string>;
}

/** Run-time compliance: the mode, and each region's resources unless it is `off`. */
export interface ComplianceOutputs {
    readonly awsConfig: StackConfig["compliance"]["awsConfig"];
    readonly primary?: RegionComplianceOutputs;
    readonly dr?: RegionComplianceOutputs;
}

/** One region's application tier: what the traffic records, the orchestrator's parameters and operators use. */
export interface ApplicationTierOutputs {
    readonly albArn: pulumi.Output<string>;
    readonly albDnsName: pulumi.Output<string>;
    /** The ALB's canonical hosted zone id (alias records). */
    readonly albZoneId: pulumi.Output<string>;
    readonly targetGroupArn: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string>;
    /** The HTTPS listener. */
    readonly listenerArn: pulumi.Output<string>;
    readonly webAclArn: pulumi.Output<string>;
    readonly certificateArn: pulumi.Output<string>;
    /** `https://<albDnsName><healthPath>`: the synthetic request through the ALB (Host/SNI: `domainName`). */
    readonly checkUrl: pulumi.Output<string>;
}

/** The application tier (`healthcare-dr:application`). */
export interface ApplicationOutputs {
    /** The application's public name (the traffic records' name). */
    readonly domainName: string;
    /** The ECR repository, the same name in both regions; push to the active region's, ECR copies it to the other. */
    readonly repositoryName: string;
    readonly repositoryUrls: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly primary: ApplicationTierOutputs;
    readonly dr: ApplicationTierOutputs;
}

/** The failover orchestrators (one per region, the same function name in both) and the pointers they own. */
export interface FailoverOutputs {
    /** The writer's region as the deploy knows it (`healthcare-dr:activeRegion`); the live writer may differ. */
    readonly activeRegion: string;
    readonly functionNames: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly lockTableNames: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly deadLetterQueueArns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /** The alarms that start each region's orchestrator (its own replication lag; the peer's heartbeat). */
    readonly triggerAlarmNames: { readonly primary: pulumi.Output<string[]>; readonly dr: pulumi.Output<string[]> };
    /** Each region's run-record table: every run of that region's function, newest first (`npm run failover -- history`). */
    readonly runsTableNames: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /**
     * Each region's Object-Locked run-report bucket: the JSON report of every run of that region's function, the
     * evidence of contingency-plan testing (docs/compliance.md).
     */
    readonly reportBucketNames: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /** Each region's aftercare schedule (fencing after a break-glass, lost writes after an unplanned failover). */
    readonly aftercareRuleNames: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly writerRecordName: pulumi.Output<string>;
    readonly hostedZoneId: pulumi.Output<string>;
}

/** Where alerts go and what records the account's activity. */
export interface MonitoringOutputs {
    /** The SNS alert topic of each region (subscribers must confirm the emails AWS sends them). */
    readonly alertTopicArns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /** The CloudWatch dashboard of each region. */
    readonly dashboardNames: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /** The multi-region CloudTrail trail, its bucket and its log group. */
    readonly trailArn: pulumi.Output<string>;
    readonly trailBucket: pulumi.Output<string>;
    readonly trailLogGroup: pulumi.Output<string>;
    /** The monthly AWS Budgets alert. */
    readonly budgetName: pulumi.Output<string>;
}

/** The outputs of one global table. */
export interface TableOutputs {
    readonly tableName: pulumi.Output<string>;
    readonly arns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /** Each replica's own stream (both replicas take writes; each stream carries what is written or replicated there). */
    readonly streamArns: { readonly primary: pulumi.Output<string | undefined>; readonly dr: pulumi.Output<string | undefined> };
}

/** The outputs of one data set. */
export interface DataSetOutputs {
    readonly sourceBucket: pulumi.Output<string>;
    readonly sourceBucketArn: pulumi.Output<string>;
    readonly replicaBucket: pulumi.Output<string>;
    readonly replicaBucketArn: pulumi.Output<string>;
    readonly replicationRoleArn: pulumi.Output<string>;
    /** Only when reverse replication is on. */
    readonly failbackReplicationRoleArn: pulumi.Output<string | undefined>;
}

/** What callers of a region's network need. */
export interface NetworkOutputs {
    readonly vpcId: pulumi.Output<string>;
    readonly subnetIds: {
        readonly public: pulumi.Output<string[]>;
        readonly private: pulumi.Output<string[]>;
        readonly isolated: pulumi.Output<string[]>;
    };
    readonly securityGroupIds: {
        readonly application: pulumi.Output<string>;
        readonly orchestrator: pulumi.Output<string>;
        readonly database: pulumi.Output<string>;
        readonly endpoints: pulumi.Output<string>;
    };
    readonly dbSubnetGroupName: pulumi.Output<string>;
}

/** The global database, as applications and the failover orchestrator address it. */
export interface DatabaseOutputs {
    readonly globalClusterId: pulumi.Output<string>;
    readonly globalWriterEndpoint: pulumi.Output<string>;
    readonly clusterArns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly clusterIdentifiers: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly endpoints: {
        readonly primary: { readonly writer: pulumi.Output<string>; readonly reader: pulumi.Output<string> };
        readonly dr: { readonly writer: pulumi.Output<string>; readonly reader: pulumi.Output<string> };
    };
    readonly secretArns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
}

export function createProgram(config: StackConfig): ProgramOutputs {
    const primary = defineRegion(config, "primary", config.primaryRegion);
    const dr = defineRegion(config, "dr", config.drRegion);
    const alerts = defineAlerts(config, primary, dr);
    const storage = defineBuckets(config, primary, dr, alerts);
    const tables = defineTables(config, primary, dr);
    // Each region's backup selection: its data buckets and its replica of every global table.
    const data = defineDataTier(config, primary, dr, {
        primary: [...storage.dataSets.map((d) => d.component.sourceBucketArn), ...tables.map((t) => t.component.arns.primary)],
        dr: [...storage.dataSets.map((d) => d.component.replicaBucketArn), ...tables.map((t) => t.component.arns.dr)],
    });
    defineRotationPath(config, primary, dr);
    const application = defineApplication(config, primary, dr, storage, data, alerts);
    const failover = defineFailover(config, primary, dr, alerts, data, storage.accessLogs, defineGlobalProvider(config), application);
    const compliance = defineCompliance(config, primary, dr, alerts, storage);

    return {
        environment: config.environment,
        primaryRegion: config.primaryRegion,
        drRegion: config.drRegion,
        accountId: pulumi.output(config.account.accountId),
        availabilityZones: { primary: primary.availabilityZones, dr: dr.availabilityZones },
        kmsKeyArns: { primary: primary.key.arn, dr: dr.key.arn },
        objectives: {
            rto: config.objectives.rto.text,
            rpo: config.objectives.rpo.text,
            rtoSeconds: config.objectives.rto.seconds,
            rpoSeconds: config.objectives.rpo.seconds,
        },
        recoveryBudget: recoveryBudget(config),
        networks: { primary: networkOutputs(primary.network), dr: networkOutputs(dr.network) },
        database: data.database,
        backups: {
            planArn: data.backups.planArns.primary,
            planArns: data.backups.planArns,
            primaryVaultArn: data.backups.primaryVaultArn,
            drVaultArn: data.backups.drVaultArn,
        },
        buckets: Object.fromEntries(
            storage.dataSets.map((d) => [
                d.name,
                {
                    sourceBucket: d.component.sourceBucketName,
                    sourceBucketArn: d.component.sourceBucketArn,
                    replicaBucket: d.component.replicaBucketName,
                    replicaBucketArn: d.component.replicaBucketArn,
                    replicationRoleArn: d.component.replicationRoleArn,
                    failbackReplicationRoleArn: d.component.failbackReplicationRoleArn,
                },
            ]),
        ),
        tables: Object.fromEntries(
            tables.map((t) => [t.name, { tableName: t.component.tableName, arns: t.component.arns, streamArns: t.component.streamArns }]),
        ),
        bucketArns: {
            primary: storage.dataSets.map((d) => d.component.sourceBucketArn),
            dr: storage.dataSets.map((d) => d.component.replicaBucketArn),
        },
        accessLogBuckets: { primary: storage.accessLogs.primary.bucketName, dr: storage.accessLogs.dr.bucketName },
        monitoring: defineMonitoring(config, primary, dr, alerts, storage, data, failover, tables),
        failover: {
            activeRegion: config.activeRegion,
            functionNames: { primary: failover.primary.functionName, dr: failover.dr.functionName },
            lockTableNames: { primary: failover.primary.lockTableName, dr: failover.dr.lockTableName },
            deadLetterQueueArns: { primary: failover.primary.deadLetterQueueArn, dr: failover.dr.deadLetterQueueArn },
            triggerAlarmNames: { primary: failover.primary.triggerAlarmNames, dr: failover.dr.triggerAlarmNames },
            runsTableNames: { primary: failover.primary.runsTableName, dr: failover.dr.runsTableName },
            reportBucketNames: { primary: failover.primary.reportBucketName, dr: failover.dr.reportBucketName },
            aftercareRuleNames: { primary: failover.primary.aftercareRuleName, dr: failover.dr.aftercareRuleName },
            writerRecordName: failover.writer.recordName,
            hostedZoneId: failover.writer.hostedZoneId,
        },
        ...(application !== undefined ? { application: application.outputs } : {}),
        compliance,
    };
}

/** The application tier as the rest of the program uses it. */
interface DefinedApplication {
    readonly settings: ApplicationSettings;
    readonly repository: ImageRepository;
    readonly tiers: Readonly<Record<RegionLabel, ApplicationTier>>;
    readonly traffic: ApplicationTraffic;
    readonly outputs: ApplicationOutputs;
}

/**
 * The application tier, when the stack has one: the image repository (both regions, replicated both ways), and in
 * each region an ApplicationTier reading its own region's image, secret copy, data buckets and access-log bucket.
 * The region that is the writer at deploy (`activeRegion`) starts with `desiredCount` tasks, the other with the
 * standby count; after that the orchestrators own the counts.
 */
function defineApplication(
    config: StackConfig,
    primary: Region,
    dr: Region,
    storage: ReturnType<typeof defineBuckets>,
    data: ReturnType<typeof defineDataTier>,
    alerts: AlertTopics,
): DefinedApplication | undefined {
    const settings = config.application;
    if (settings === undefined) {
        return undefined;
    }
    const side = (region: Region) => ({ label: region.role, region: region.name, provider: region.provider, kmsKeyArn: region.key.arn });
    const repository = new ImageRepository("app-images", {
        account: config.account,
        repository: settings.repository,
        primary: side(primary),
        dr: side(dr),
        protect: config.protect,
        tags: config.tags,
    });
    const bucketArns: Record<RegionLabel, pulumi.Output<string>[]> = {
        primary: storage.dataSets.map((d) => d.component.sourceBucketArn),
        dr: storage.dataSets.map((d) => d.component.replicaBucketArn),
    };
    const tier = (region: Region) =>
        new ApplicationTier(
            `${region.role}-app`,
            {
                account: config.account,
                stack: config.stack,
                region: region.name,
                active: config.activeRegion === region.name,
                settings,
                vpcId: region.network.vpcId,
                publicSubnetIds: region.network.publicSubnetIds,
                privateSubnetIds: region.network.privateSubnetIds,
                applicationSecurityGroupId: region.network.applicationSecurityGroupId,
                kmsKeyArn: region.key.arn,
                secretArn: data.database.secretArns[region.role],
                bucketArns: bucketArns[region.role],
                accessLogBucketName: storage.accessLogs[region.role].bucketName,
                loadBalancerDependsOn: [storage.accessLogs[region.role].policy],
                logRetentionDays: config.logging.retentionDays,
                // A shell into a task holding patient data bypasses the application's audit trail: dev only.
                enableExecuteCommand: config.environment !== "prod",
                protect: config.protect,
                tags: config.tags,
            },
            { providers: [region.provider] },
        );
    const tiers = { primary: tier(primary), dr: tier(dr) };
    const outputsOf = (t: ApplicationTier): ApplicationTierOutputs => ({
        albArn: t.albArn,
        albDnsName: t.albDnsName,
        albZoneId: t.albZoneId,
        targetGroupArn: t.targetGroupArn,
        clusterName: t.clusterName,
        serviceName: t.serviceName,
        listenerArn: t.listenerArn,
        webAclArn: t.webAclArn,
        certificateArn: t.certificateArn,
        checkUrl: t.checkUrl,
    });
    // The application's public name: a failover pair whose health follows only what each region's orchestrator
    // publishes in its own region (lib/application.ts), so traffic moves without a Route 53 control-plane call.
    const trafficSide = (region: Region) => ({
        region: region.name,
        provider: region.provider,
        albDnsName: tiers[region.role].albDnsName,
        albZoneId: tiers[region.role].albZoneId,
        alertTopicArn: topicOf(alerts, region),
    });
    const traffic = new ApplicationTraffic("app-traffic", {
        stack: config.stack,
        domainName: settings.domainName,
        hostedZoneId: settings.hostedZoneId,
        primary: trafficSide(primary),
        dr: trafficSide(dr),
        tags: config.tags,
    });
    return {
        settings,
        repository,
        tiers,
        traffic,
        outputs: {
            domainName: settings.domainName,
            repositoryName: repository.repositoryName,
            repositoryUrls: repository.repositoryUrls,
            primary: outputsOf(tiers.primary),
            dr: outputsOf(tiers.dr),
        },
    };
}

/**
 * The S3 tier: one access-log bucket per region, and one replicated bucket pair per data set of the stack file.
 * Alarm actions are empty until the alert topics exist; the alarms are declared regardless.
 */
function defineBuckets(config: StackConfig, primary: Region, dr: Region, alerts: AlertTopics) {
    const logBucket = (region: Region) =>
        new AccessLogBucket(
            `${region.role}-access-logs`,
            {
                stack: config.stack,
                account: config.account,
                role: region.role,
                retentionDays: config.logging.retentionDays,
                protect: config.protect,
                // The application's load balancer logs here too (only when the stack has one).
                ...(config.application !== undefined ? { loadBalancerLogsRegion: region.name } : {}),
                tags: config.tags,
            },
            { providers: [region.provider] },
        );
    const accessLogs = { primary: logBucket(primary), dr: logBucket(dr) };
    const dataSets = config.buckets.map((dataSet) => ({
        name: dataSet.name,
        component: new ReplicatedBucket(dataSet.name, {
            stack: config.stack,
            account: config.account,
            dataSet,
            primary,
            dr,
            accessLogBuckets: { primary: accessLogs.primary.bucketName, dr: accessLogs.dr.bucketName },
            rpoSeconds: config.objectives.rpo.seconds,
            alarmActions: { primary: [alerts.primaryTopicArn], dr: [alerts.drTopicArn] },
            protect: config.protect,
            tags: config.tags,
        }),
    }));
    return { accessLogs, dataSets };
}

/**
 * The global tables of the stack file (`healthcare-dr:tables`): one GlobalTable each, declared through the primary
 * region's provider with its replica in the DR region, each replica on its own region's key. Both replicas take writes
 * at all times, so nothing of them depends on `activeRegion`, and the failover has no step for them. Their ARNs join
 * each region's backup selection (defineDataTier), their alarms each region's monitoring (defineMonitoring).
 */
function defineTables(config: StackConfig, primary: Region, dr: Region): { name: string; component: GlobalTable }[] {
    const side = (region: Region) => ({ region: region.name, provider: region.provider, kmsKeyArn: region.key.arn });
    return config.tables.map((table) => ({
        name: table.name,
        component: new GlobalTable(`table-${table.name}`, {
            stack: config.stack,
            account: config.account,
            table,
            primary: side(primary),
            dr: side(dr),
            protect: config.protect,
            tags: config.tags,
        }),
    }));
}

function defineRegion(config: StackConfig, role: Region["role"], name: string): Region {
    const provider = regionalProvider(config, role, name);
    // From the stack file (or the region's documented default), never `getAvailabilityZones`: that invoke calls the
    // region's EC2 API on every preview and fails while the region is down. config/ checked the list.
    const availabilityZones = pulumi.output([
        ...(role === "primary" ? config.network.primaryAvailabilityZones : config.network.drAvailabilityZones),
    ]);
    const key = new RegionalKey(
        `${role}-key`,
        {
            region: name,
            account: config.account,
            alias: `alias/${physicalName(config.stack, [role, "data"])}`,
            protect: config.protect,
            tags: config.tags,
        },
        { providers: [provider] },
    );
    const network = new RegionalNetwork(
        `${role}-network`,
        {
            region: name,
            account: config.account,
            cidr: role === "primary" ? config.network.primaryCidr : config.network.drCidr,
            availabilityZones,
            azCount: config.network.azCount,
            natGateways: role === "primary" ? config.network.primaryNatGateways : config.network.drNatGateways,
            // The application's tasks pull their image through ECR's endpoints (the layers through the S3 gateway):
            // the application group has no route to the internet. Only with an application tier.
            ...(config.application !== undefined
                ? { interfaceEndpoints: [...DEFAULT_INTERFACE_ENDPOINTS, ...APPLICATION_INTERFACE_ENDPOINTS] }
                : {}),
            // Each region's failover orchestrator must reach the other region's APIs and Route 53 and, with an
            // application tier, its own region's public ALB (the synthetic request).
            orchestratorInternetEgress: true,
            applicationCheckEgress: config.application !== undefined,
            kmsKeyArn: key.arn,
            flowLogRetentionDays: config.logging.retentionDays,
            tags: config.tags,
        },
        { providers: [provider] },
    );
    return { role, name, provider, availabilityZones, key, network };
}

/**
 * The interface endpoints the application's tasks need besides the default ones (which already have Secrets Manager,
 * KMS and CloudWatch Logs): ECR's API (authorization token) and Docker registry endpoints. Fargate 1.4.0 pulls
 * through the task's own network interface, so with these and the S3 gateway (image layers) the tasks need no NAT.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
 */
export const APPLICATION_INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr"] as const;

/**
 * An explicit AWS provider that makes no network call when it is configured, so that `pulumi preview`/`up` works
 * while its region (or any other) is down: no STS `GetCallerIdentity` to validate credentials or to learn the
 * account id (the program takes it from config), no region-name check against the SDK's list. A resource of a
 * reachable region is then planned and updated without touching the unreachable one.
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/provider/
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs#skip_credentials_validation
 */
export function staticallyStableProviderArgs(config: StackConfig, region: string): aws.ProviderArgs {
    return {
        region: region as aws.Region,
        skipCredentialsValidation: true,
        skipRegionValidation: true,
        skipRequestingAccountId: true,
        // Belt and braces: every resource also sets its tags explicitly (the plan, tests and policies read those),
        // and the provider adds them to anything AWS tags on our behalf.
        defaultTags: { tags: { ...config.tags } },
    };
}

function regionalProvider(config: StackConfig, role: Region["role"], name: string): aws.Provider {
    return new aws.Provider(role, staticallyStableProviderArgs(config, name));
}

/**
 * The third provider, `global`, for us-east-1: Route 53 publishes health-check metrics there only, and a CloudWatch
 * alarm must be in its metric's region, so the alarm on the failover health check, the EventBridge rule and target
 * that forward it to the DR region, and their IAM role and policy are declared with it. Nothing else: nothing that
 * stores data is ever placed there (tests/program.test.ts keeps an allow-list of its types, and the policy pack's
 * `data-residency` admits only those types in its `controlPlaneRegions`).
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
 */
function defineGlobalProvider(config: StackConfig): aws.Provider {
    return new aws.Provider("global", staticallyStableProviderArgs(config, ROUTE53_METRICS_REGION));
}

function networkOutputs(network: RegionalNetwork): NetworkOutputs {
    return {
        vpcId: network.vpcId,
        subnetIds: { public: network.publicSubnetIds, private: network.privateSubnetIds, isolated: network.isolatedSubnetIds },
        securityGroupIds: {
            application: network.applicationSecurityGroupId,
            orchestrator: network.orchestratorSecurityGroupId,
            database: network.databaseSecurityGroupId,
            endpoints: network.endpointSecurityGroupId,
        },
        dbSubnetGroupName: network.dbSubnetGroupName,
    };
}

/**
 * The Aurora global database over both regions, and AWS Backup in both: each region's plan selects that region's
 * cluster and data buckets (`bucketArns`: the sources in the primary, the replicas in the DR region), whichever is
 * the writer, so the backups follow a failover without a deploy.
 */
function defineDataTier(
    config: StackConfig,
    primary: Region,
    dr: Region,
    bucketArns: { readonly primary: readonly pulumi.Output<string>[]; readonly dr: readonly pulumi.Output<string>[] },
): { aurora: AuroraPair; backups: BackupPlan; database: DatabaseOutputs } {
    const side = (region: Region) => ({
        region: region.name,
        provider: region.provider,
        kmsKeyArn: region.key.arn,
        availabilityZones: region.availabilityZones,
        dbSubnetGroupName: region.network.dbSubnetGroupName,
        securityGroupId: region.network.databaseSecurityGroupId,
    });
    const aurora = new AuroraPair("aurora", {
        stack: config.stack,
        account: config.account,
        primary: side(primary),
        secondary: side(dr),
        engineVersion: config.database.engineVersion,
        minCapacity: config.database.minCapacity,
        maxCapacity: config.database.maxCapacity,
        backupRetentionDays: config.database.backupRetentionDays,
        writerRegion: config.activeRegion,
        // Which cluster seeds the global database (generation 1 from the primary region unless a rebuild set it).
        seed: config.database.seed,
        ...(config.database.maxReplicationLagSeconds !== undefined
            ? { maxReplicationLagSeconds: config.database.maxReplicationLagSeconds }
            : {}),
        secondaryInstances: config.database.drInstances,
        protect: config.protect,
        rotation: { subnetIds: primary.network.privateSubnetIds, securityGroupId: primary.network.orchestratorSecurityGroupId },
        logRetentionDays: config.logging.retentionDays,
        osMetricsLogGroup: config.monitoring.osMetricsLogGroup,
        tags: config.tags,
    });
    const backups = new BackupPlan("backups", {
        account: config.account,
        primary: {
            region: primary.name,
            provider: primary.provider,
            kmsKeyArn: primary.key.arn,
            resourceArns: [aurora.primaryClusterArn, ...bucketArns.primary],
        },
        dr: { region: dr.name, provider: dr.provider, kmsKeyArn: dr.key.arn, resourceArns: [aurora.secondaryClusterArn, ...bucketArns.dr] },
        retentionDays: config.database.backupRetentionDays,
        // Vault lock in compliance mode cannot be undone: prod only.
        lockVaults: config.environment === "prod",
        protect: config.protect,
        tags: config.tags,
    });
    const database: DatabaseOutputs = {
        globalClusterId: aurora.globalClusterId,
        globalWriterEndpoint: aurora.globalWriterEndpoint,
        clusterArns: { primary: aurora.primaryClusterArn, dr: aurora.secondaryClusterArn },
        clusterIdentifiers: { primary: aurora.primaryClusterIdentifier, dr: aurora.secondaryClusterIdentifier },
        endpoints: { primary: aurora.primaryEndpoints, dr: aurora.secondaryEndpoints },
        secretArns: { primary: aurora.primarySecretArn, dr: aurora.secondarySecretArn },
    };
    return { aurora, backups, database };
}

/**
 * The secret's rotation runs in the primary region (the secret's home) and must reach the writer wherever it is: a
 * peering from the primary region's private subnets (where the rotation function runs, in the orchestrator group, as
 * AuroraPair's `rotation` says) to the DR region's database subnets, on PostgreSQL only.
 */
function defineRotationPath(config: StackConfig, primary: Region, dr: Region): RotationPeering {
    return new RotationPeering("rotation-peering", {
        stack: config.stack,
        account: config.account,
        client: {
            region: primary.name,
            provider: primary.provider,
            vpcId: primary.network.vpcId,
            vpcCidr: primary.network.cidr,
            subnetCidrs: primary.network.privateSubnetCidrs,
            routeTableIds: primary.network.privateRouteTableIds,
            securityGroupId: primary.network.orchestratorSecurityGroupId,
        },
        database: {
            region: dr.name,
            provider: dr.provider,
            vpcId: dr.network.vpcId,
            vpcCidr: dr.network.cidr,
            subnetCidrs: dr.network.isolatedSubnetCidrs,
            routeTableIds: dr.network.isolatedRouteTableIds,
            securityGroupId: dr.network.databaseSecurityGroupId,
        },
        tags: config.tags,
    });
}

/**
 * Run-time compliance (`healthcare-dr:compliance.awsConfig`): in each region, unless `off`, the HIPAA conformance
 * pack, the rules the policy pack names that it lacks and the routing of NON_COMPLIANT transitions to the region's
 * alert topic; with `create`, also the region's recorder and its delivery bucket. The global IAM types are recorded
 * in the primary region only. Whether the account already has a recorder is not asked here (a preview calls no AWS
 * API: static stability); `scripts/check-account.sh` checks it before `pulumi up`.
 */
function defineCompliance(
    config: StackConfig,
    primary: Region,
    dr: Region,
    alerts: AlertTopics,
    storage: ReturnType<typeof defineBuckets>,
): ComplianceOutputs {
    const mode = config.compliance.awsConfig;
    if (mode === "off") {
        return { awsConfig: mode };
    }
    const regional = (region: Region): RegionComplianceOutputs => {
        const component = new RuntimeCompliance(
            `${region.role}-compliance`,
            {
                account: config.account,
                region: region.name,
                mode,
                recordGlobalResourceTypes: region.role === "primary",
                kmsKeyArn: region.key.arn,
                alertTopicArn: topicOf(alerts, region),
                accessLogBucket: storage.accessLogs[region.role].bucketName,
                vpcId: region.network.vpcId,
                rules: {
                    stack: config.stack,
                    protect: config.protect,
                    backupRetentionDays: config.database.backupRetentionDays,
                    logRetentionDays: config.logging.retentionDays,
                },
                deliveryRetentionDays: config.logging.retentionDays,
                tags: config.tags,
            },
            { providers: [region.provider] },
        );
        return {
            recorderName: component.recorderName,
            deliveryBucketName: component.deliveryBucketName,
            conformancePackName: component.conformancePackName,
            ruleNames: component.ruleNames,
            alertRuleName: component.alertRuleName,
        };
    };
    return { awsConfig: mode, primary: regional(primary), dr: regional(dr) };
}

/** A region's alert topic. */
function topicOf(alerts: AlertTopics, region: Region): pulumi.Output<string> {
    return region.role === "primary" ? alerts.primaryTopicArn : alerts.drTopicArn;
}

/** The alert topic of each region; every alarm and event rule of a region notifies its own region's topic. */
function defineAlerts(config: StackConfig, primary: Region, dr: Region): AlertTopics {
    const side = (region: Region) => ({ region: region.name, provider: region.provider, kmsKeyArn: region.key.arn });
    return new AlertTopics("alerts", {
        stack: config.stack,
        account: config.account,
        primary: side(primary),
        dr: side(dr),
        emails: config.alerts.emails,
        tags: config.tags,
    });
}

/**
 * What watches the stack: per region, GuardDuty, the backup-failure and finding rules, the database alarms and a
 * dashboard; the replication-lag alarm in the DR region, where the metric is published; the account's multi-region
 * audit trail in the primary region, recording every object-level call on the data buckets; and the monthly budget.
 */
function defineMonitoring(
    config: StackConfig,
    primary: Region,
    dr: Region,
    alerts: AlertTopics,
    storage: ReturnType<typeof defineBuckets>,
    data: ReturnType<typeof defineDataTier>,
    failover: ReturnType<typeof defineFailover>,
    tables: ReturnType<typeof defineTables>,
): MonitoringOutputs {
    const database = data.database;
    const thresholds = config.alarms;
    const rpoSeconds = config.objectives.rpo.seconds;
    // Two alarms watch each cluster's replication lag, on purpose: this one pages people when the lag exceeds the RPO;
    // the failover orchestrator's own (at failover.replicationLagThresholdSeconds) starts its assessment.
    const route = (name: string, from: Region, to: Region) => `${name} from ${from.name} to ${to.name}`;
    const monitoring = (region: Region, topicArn: pulumi.Output<string>, clusterIdentifier: pulumi.Output<string>) =>
        new RegionalMonitoring(
            `${region.role}-monitoring`,
            {
                stack: config.stack,
                role: region.role,
                region: region.name,
                topicArn,
                database: { clusterIdentifier, maxCapacity: config.database.maxCapacity, thresholds },
                // Each cluster's lag, in its own region (published while it is a secondary, which either can be).
                replicationLag: { rpoSeconds, createAlarm: true },
                // Each region's own orchestrator, graphed and alarmed on in its region.
                orchestrator: {
                    region: region.name,
                    functionName: failover[region.role].functionName,
                    deadLetterQueueName: failover[region.role].deadLetterQueueArn.apply((arn) => arn.split(":").pop()!),
                    createAlarms: true,
                },
                rpoSeconds,
                // Each replica of each global table, alarmed on in its own region.
                globalTables: tables.map((t): GlobalTableReplicaArgs => ({
                    name: t.name,
                    tableName: t.component.tableName,
                    peerRegion: region.role === "primary" ? dr.name : primary.name,
                })),
                guardDuty: config.monitoring.guardDuty,
                s3Replication: storage.dataSets.flatMap(({ name, component }): ReplicationRuleArgs[] => {
                    const dataSet = config.buckets.find((d) => d.name === name);
                    if (region.role === "primary") {
                        return [
                            {
                                route: route(name, primary, dr),
                                sourceBucket: component.sourceBucketName,
                                destinationBucket: component.replicaBucketName,
                                ruleId: RULE_IDS.toDr,
                            },
                        ];
                    }
                    return dataSet?.reverseReplication === true
                        ? [
                              {
                                  route: route(name, dr, primary),
                                  sourceBucket: component.replicaBucketName,
                                  destinationBucket: component.sourceBucketName,
                                  ruleId: RULE_IDS.toPrimary,
                              },
                          ]
                        : [];
                }),
                tags: config.tags,
            },
            { providers: [region.provider] },
        );
    const primaryMonitoring = monitoring(primary, alerts.primaryTopicArn, database.clusterIdentifiers.primary);
    const drMonitoring = monitoring(dr, alerts.drTopicArn, database.clusterIdentifiers.dr);

    const trail = new AuditTrail(
        "audit",
        {
            stack: config.stack,
            account: config.account,
            region: primary.name,
            kmsKeyArn: primary.key.arn,
            dataBucketArns: storage.dataSets.flatMap((d) => [d.component.sourceBucketArn, d.component.replicaBucketArn]),
            retentionDays: config.logging.retentionDays,
            // Prod: log files cannot be deleted or overwritten before the retention ends, by anyone (COMPLIANCE: not even
            // with s3:BypassGovernanceRetention). Dev stays destroyable.
            ...(config.environment === "prod"
                ? { objectLockRetentionDays: config.logging.retentionDays, objectLockMode: "COMPLIANCE" as const }
                : {}),
            replica: {
                region: dr.name,
                provider: dr.provider,
                kmsKeyArn: dr.key.arn,
                accessLogBucket: storage.accessLogs.dr.bucketName,
                backup: { planId: data.backups.planIds.dr, roleArn: data.backups.roleArn },
            },
            backup: { planId: data.backups.planIds.primary, roleArn: data.backups.roleArn },
            accessLogBucket: storage.accessLogs.primary.bucketName,
            protect: config.protect,
            tags: config.tags,
        },
        { providers: [primary.provider] },
    );
    const budget = new MonthlyBudget(
        "budget",
        {
            stack: config.stack,
            accountId: config.account.accountId,
            monthlyUsd: config.budget.monthlyUsd,
            emails: config.alerts.emails,
            tags: config.tags,
        },
        // Budgets is global; the primary provider only carries the credentials.
        { providers: [primary.provider] },
    );

    return {
        alertTopicArns: { primary: alerts.primaryTopicArn, dr: alerts.drTopicArn },
        dashboardNames: { primary: primaryMonitoring.dashboardName, dr: drMonitoring.dashboardName },
        trailArn: trail.trailArn,
        trailBucket: trail.bucketName,
        trailLogGroup: trail.logGroupName,
        budgetName: budget.budgetName,
    };
}

/**
 * Failover in both directions: the heartbeat of each region's cluster, the writer record (one, Route 53 being
 * global), and an orchestrator in each region that promotes only its own region's cluster, started by its own
 * cluster's replication lag or by the other region's heartbeat going silent (watched from us-east-1 through the
 * `global` provider). Which region is the writer is not built in: each orchestrator reads the global cluster.
 */
function defineFailover(
    config: StackConfig,
    primary: Region,
    dr: Region,
    alerts: AlertTopics,
    data: ReturnType<typeof defineDataTier>,
    accessLogs: Readonly<Record<RegionLabel, AccessLogBucket>>,
    global: aws.Provider,
    application: DefinedApplication | undefined,
): { primary: FailoverOrchestrator; dr: FailoverOrchestrator; writer: WriterRecord } {
    const database = data.database;
    // The cluster parameter group of each region's cluster: the other region's orchestrator fences it.
    const clusterParameterGroupNames: Record<RegionLabel, pulumi.Output<string>> = {
        primary: data.aurora.primaryClusterParameterGroupName,
        dr: data.aurora.secondaryClusterParameterGroupName,
    };
    // A headless secondary (dev's drInstances: 0) publishes no capacity metric: a heartbeat would be silent from the
    // start. It cannot be promoted either (the readiness check needs an instance), so nothing needs to watch it.
    const heartbeat = (region: Region) =>
        new ClusterHeartbeat(
            `${region.role}-heartbeat`,
            {
                stack: config.stack,
                region: region.name,
                clusterIdentifier: database.clusterIdentifiers[region.role],
                alarmActions: [topicOf(alerts, region)],
                tags: config.tags,
            },
            { providers: [region.provider] },
        );
    const heartbeats = { primary: heartbeat(primary), dr: config.database.drInstances > 0 ? heartbeat(dr) : undefined };
    const active: RegionLabel = config.activeRegion === dr.name ? "dr" : "primary";
    const writer = new WriterRecord(
        "writer",
        {
            stack: config.stack,
            zoneVpcs: [
                { vpcId: primary.network.vpcId, region: primary.name },
                { vpcId: dr.network.vpcId, region: dr.name },
            ],
            initialTarget: database.endpoints[active].writer,
            ttlSeconds: config.failover.dnsTtlSeconds,
            tags: config.tags,
        },
        // Route 53 is global; the provider only carries the credentials. The DR region's, as when the zone and record
        // were children of the (then only) DR orchestrator: the same provider and the aliases in WriterRecord keep them.
        { providers: [dr.provider] },
    );
    const orchestrator = (self: Region, peer: Region, peerHeartbeat: ClusterHeartbeat | undefined) =>
        new FailoverOrchestrator(
            `${self.role}-failover`,
            {
                stack: config.stack,
                account: config.account,
                environment: config.environment,
                region: self.name,
                peerRegion: peer.name,
                mode: config.failover.mode,
                globalClusterId: database.globalClusterId,
                clusterArn: database.clusterArns[self.role],
                clusterIdentifier: database.clusterIdentifiers[self.role],
                peerClusterArn: database.clusterArns[peer.role],
                peerClusterIdentifier: database.clusterIdentifiers[peer.role],
                // The secret as this region holds it: the primary secret at home, the replica in the DR region.
                secretArn: database.secretArns[self.role],
                peerSecurityGroupId: peer.network.databaseSecurityGroupId,
                peerClusterParameterGroupName: clusterParameterGroupNames[peer.role],
                peerKmsKeyArn: peer.key.arn,
                accessLogBucket: accessLogs[self.role].bucketName,
                writerRecord: { hostedZoneId: writer.hostedZoneId, recordName: writer.recordName },
                initialActiveRegion: config.activeRegion,
                ...(peerHeartbeat !== undefined ? { peerHealthCheckId: peerHeartbeat.healthCheckId } : {}),
                subnetIds: self.network.privateSubnetIds,
                securityGroupIds: [self.network.orchestratorSecurityGroupId],
                kmsKeyArn: self.key.arn,
                alertTopicArns: [topicOf(alerts, self)],
                dnsTtlSeconds: config.failover.dnsTtlSeconds,
                replicationLagThresholdSeconds: config.failover.replicationLagThresholdSeconds,
                detectionWindowSeconds: config.failover.detectionWindow.seconds,
                quorum: config.failover.quorum,
                maxEventAgeSeconds: config.failover.maxEventAge.seconds,
                logRetentionDays: config.logging.retentionDays,
                healthCheckMonitoringProvider: global,
                ...(application !== undefined ? { application: orchestratorApplication(config, application, self) } : {}),
                protect: config.protect,
                tags: config.tags,
            },
            // The DR region's orchestrator was the only one, named `failover`: the alias keeps its resources.
            { providers: [self.provider], ...(self.role === "dr" ? { aliases: [{ name: "failover" }] } : {}) },
        );
    return { primary: orchestrator(primary, dr, heartbeats.dr), dr: orchestrator(dr, primary, heartbeats.primary), writer };
}

/**
 * What one region's orchestrator knows of the application tier: its own region's service and target group, and the
 * counts and capacities of the stack file (written to its own parameters: nothing is read from the peer in an outage).
 */
function orchestratorApplication(config: StackConfig, application: DefinedApplication, self: Region): FailoverOrchestratorApplicationArgs {
    const tier = application.tiers[self.role];
    const settings = application.settings;
    return {
        clusterName: tier.clusterName,
        serviceName: tier.serviceName,
        targetGroupArn: tier.targetGroupArn,
        checkUrl: tier.checkUrl,
        host: settings.domainName,
        activeCount: settings.desiredCount,
        standbyCount: settings.standby.count,
        minCount: settings.autoscaling.min,
        maxCount: settings.autoscaling.max,
        dbMinCapacity: config.database.minCapacity,
        dbMaxCapacity: config.database.maxCapacity,
    };
}
