import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import {
    activeRegionParameterName,
    AFTERCARE_SCHEDULE,
    aftercareRuleName,
    applicationCountProblems,
    type OrchestratorApplicationCounts,
    DETECTION_WINDOW_SECONDS,
    FAILOVER_PARAMETERS,
    MAX_EVENT_AGE_SECONDS,
    ORCHESTRATOR_RESERVED_CONCURRENCY,
    QUORUM,
    failoverParameterPath,
    lockTableArn,
    lockTableName,
    ORCHESTRATOR_TIMEOUT_SECONDS,
    orchestratorEnvironment,
    orchestratorFunctionName,
    peerDownAlarmName,
    REPLICATION_LAG_ALARM,
    replicationLagAlarmName,
    ROUTE53_METRICS_REGION,
    RUNS_TABLE_KEYS,
    runsTableName,
    writerRecordName,
    type FailoverMode,
} from "../lib/failover";
import { healthCheckAlarm } from "../lib/alarms";
import { APPLICATION_PARAMETERS, BEACON_SCHEDULE, beaconRuleName } from "../lib/application";
import { forwardToBusPolicy, orchestratorPolicy } from "../lib/failoverPolicy";
import { serviceTrustPolicy, toJson } from "../lib/iam";
import { physicalName } from "../lib/naming";
import { ACTIVE_REGION_PARAMETER, pointerIgnoreChanges } from "../lib/pointers";
import { bundleOrchestrator, LAMBDA_RUNTIME } from "../orchestrator/bundle";
import { RunReportBucket } from "./RunReportBucket";
import { SignedLambdaCode } from "./SignedLambdaCode";
import { tracingPolicy } from "../lib/tracing";

export interface FailoverOrchestratorArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The stack name: part of every deterministic name (function, lock table, alarms). */
    readonly stack: string;
    /** `dev` or `prod`: selects the parameter path `/healthcare/<environment>/`. */
    readonly environment: string;
    /**
     * This orchestrator's region: the only region it ever promotes, and where everything of this component lives.
     * Must be the region of the provider in the options.
     */
    readonly region: string;
    /** The other region of the global database, whose loss this orchestrator detects. */
    readonly peerRegion: string;
    /**
     * `automatic`: an alarm starts the failover. `manual`: an alarm only notifies, with the command to run.
     * @default "automatic"
     */
    readonly mode?: FailoverMode;
    /** The Aurora global cluster's identifier. */
    readonly globalClusterId: pulumi.Input<string>;
    /** ARN of this region's cluster: the one this orchestrator promotes. */
    readonly clusterArn: pulumi.Input<string>;
    /** Identifier of this region's cluster: the dimension of its replication-lag metric. */
    readonly clusterIdentifier: pulumi.Input<string>;
    /** ARN of the peer region's cluster: the one whose loss is assessed. */
    readonly peerClusterArn: pulumi.Input<string>;
    /** Identifier of the peer region's cluster: its instances (rebooted by fencing) and snapshots (lost writes) carry it. */
    readonly peerClusterIdentifier: pulumi.Input<string>;
    /**
     * The master secret as this region holds it: the primary secret in the home region, its replica in the other
     * (AuroraPair `primarySecretArn` / `secondarySecretArn`). A break-glass in this region stops its replication and
     * points its `host` at the promoted cluster.
     */
    readonly secretArn: pulumi.Input<string>;
    /** The peer region's database security group (RegionalNetwork): fencing the old writer revokes its ingress. */
    readonly peerSecurityGroupId: pulumi.Input<string>;
    /** The NAME of the peer cluster's cluster parameter group (AuroraPair): fencing sets FENCE_PARAMETER in it. */
    readonly peerClusterParameterGroupName: pulumi.Input<string>;
    /** ARN of the peer region's key: the copy of the peer's lost-writes snapshot, kept in the peer region, uses it. */
    readonly peerKmsKeyArn: pulumi.Input<string>;
    /**
     * This region's access-log bucket (AccessLogBucket): the report bucket's server access logs go there.
     * @default - the report bucket has no server access logs
     */
    readonly accessLogBucket?: pulumi.Input<string>;
    /** The writer record the orchestrator repoints (WriterRecord). */
    readonly writerRecord: { readonly hostedZoneId: pulumi.Input<string>; readonly recordName: pulumi.Input<string> };
    /**
     * The first value of this region's `active-region` parameter (`healthcare-dr:activeRegion`); the orchestrators own
     * it afterwards and no update ever sends it.
     */
    readonly initialActiveRegion: string;
    /**
     * The Route 53 health check of the peer region's cluster heartbeat (ClusterHeartbeat). With
     * `healthCheckMonitoringProvider`, an alarm on it in us-east-1 is forwarded here and starts an assessment.
     * @default - the replication-lag alarm is the only trigger
     */
    readonly peerHealthCheckId?: pulumi.Input<string>;
    /** Private subnets of this region for the function (reaching AWS APIs through the VPC endpoints). */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups of the function. */
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
    /** ARN of this region's customer-managed key: environment, lock table, queue and logs are encrypted with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** SNS topics (in this region) told at start, success and failure. @default [] - no notifications */
    readonly alertTopicArns?: readonly pulumi.Input<string>[];
    /** TTL of the writer record, seconds: written again with every repoint. @default 30 */
    readonly dnsTtlSeconds?: number;
    /** Replication lag (seconds) of this region's cluster above which the detection alarm fires. @default 60 */
    readonly replicationLagThresholdSeconds?: number;
    /** Seconds over which the signals of a lost peer must hold before an unplanned failover. @default 60 */
    readonly detectionWindowSeconds?: number;
    /** Signals (of FAILOVER_SIGNALS) that must agree before an unplanned failover. @default 2 */
    readonly quorum?: number;
    /** Alarm events older than this many seconds are rejected, and Lambda stops retrying them. @default 900 */
    readonly maxEventAgeSeconds?: number;
    /** Days the function's logs are kept (a CloudWatch Logs retention value). @default 365 */
    readonly logRetentionDays?: number;
    /**
     * A provider for us-east-1 (ROUTE53_METRICS_REGION), where Route 53 publishes health-check metrics. With it and
     * `peerHealthCheckId`, an alarm on the peer's heartbeat check is declared there and forwarded by EventBridge to
     * this region as a second, independent detection path. Used only for that alarm, the forwarding rule and target,
     * and the forwarding role and its policy: nothing that stores data.
     * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
     * @default - no us-east-1 path
     */
    readonly healthCheckMonitoringProvider?: aws.Provider;
    /**
     * A protected stack (prod): the lock and runs tables get deletion protection and Pulumi protect (the runs table
     * retainOnDelete too), and the report bucket locks reports in COMPLIANCE mode for six years and is kept on
     * destroy. Otherwise the report bucket's lock is GOVERNANCE for a day, so that dev can be torn down.
     * @default false
     */
    readonly protect?: boolean;
    /**
     * The application tier (ApplicationTier) the orchestrator scales on arrival, checks and moves traffic for: with it,
     * the function gets every `APPLICATION_PARAMETERS` parameter, the beacon schedule (`beaconRuleName`,
     * `BEACON_SCHEDULE`) and the IAM statements of the application steps (lib/failoverPolicy.ts).
     * @default - the stack has no application tier: none of these resources or permissions exist
     */
    readonly application?: FailoverOrchestratorApplicationArgs;
    /** Tags of every taggable resource. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * What the orchestrator of one region knows about the application tier, written to its own region's parameters
 * (static stability: nothing of it is read from the peer region during an outage). The names are the same in both
 * regions; the target group and the check URL are this region's.
 */
export interface FailoverOrchestratorApplicationArgs extends OrchestratorApplicationCounts {
    /** The ECS cluster's name (ApplicationTier `clusterName`; `applicationClusterName`): the same in both regions. */
    readonly clusterName: pulumi.Input<string>;
    /** The ECS service's name (ApplicationTier `serviceName`; `applicationServiceName`): the same in both regions. */
    readonly serviceName: pulumi.Input<string>;
    /** THIS region's target group ARN (ApplicationTier `targetGroupArn`): DescribeTargetHealth on arrival. */
    readonly targetGroupArn: pulumi.Input<string>;
    /**
     * `https://<this region's ALB DNS name><healthPath>` (ApplicationTier `checkUrl`): the synthetic request, sent
     * through the ALB with `host` as Host header and TLS server name.
     */
    readonly checkUrl: pulumi.Input<string>;
    /** The application's public name (`application.domainName`): Host header and SNI of the synthetic request. */
    readonly host: string;
}

/**
 * The failover orchestrator of one region: a Lambda function (the code under orchestrator/, bundled with esbuild)
 * that promotes THIS region's cluster exactly once when the peer region's writer is lost (or on-call asks for a
 * switchover or failover to this region), repoints the writer record and the `active-region` parameters, and tells
 * on-call; its lock table and configuration parameters; and its detection paths: the replication-lag alarm of this
 * region's cluster, and (from us-east-1) the alarm on the peer's heartbeat health check. Each region has one, so
 * failover, failback and a second failover are the same code; nothing of it depends on the peer region being up.
 */
export class FailoverOrchestrator extends pulumi.ComponentResource {
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly lockTableName: pulumi.Output<string>;
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    public readonly replicationLagAlarmName: pulumi.Output<string>;
    /** Name of this region's `active-region` parameter. */
    public readonly activeRegionParameterName: pulumi.Output<string>;
    /** The alarms allowed to start the function. */
    public readonly triggerAlarmNames: pulumi.Output<string[]>;
    /** This region's run-record table (`runsTableName`): `npm run failover -- history` reads it. */
    public readonly runsTableName: pulumi.Output<string>;
    /** This region's Object-Locked run-report bucket: the evidence of every run. */
    public readonly reportBucketName: pulumi.Output<string>;
    /** The schedule that wakes the function for the work waiting on the peer region (fence, lost writes). */
    public readonly aftercareRuleName: pulumi.Output<string>;
    /** The beacon schedule (`beaconRuleName`); undefined when the stack has no application tier. */
    public readonly beaconRuleName: pulumi.Output<string> | undefined;

    constructor(name: string, args: FailoverOrchestratorArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:FailoverOrchestrator", name, {}, opts);
        if (args.region === args.peerRegion) {
            throw new pulumi.ResourceError(`region and peerRegion must differ (both ${args.region})`, this);
        }
        const problems = args.application !== undefined ? applicationCountProblems(args.application) : [];
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`FailoverOrchestrator ${name}: ${problems.join("; ")}`, this);
        }
        const mode = args.mode ?? "automatic";
        const parent = { parent: this };
        const functionName = orchestratorFunctionName(args.stack);
        const tags = this.tagger(args);

        const deadLetterQueue = new aws.sqs.Queue(
            `${name}-dlq`,
            {
                kmsMasterKeyId: args.kmsKeyArn,
                // Failed events are kept for the longest SQS allows (14 days), for the post-incident review.
                messageRetentionSeconds: 1_209_600,
                tags: tags("dlq"),
            },
            parent,
        );
        const lockTable = this.lockTable(name, args);
        const runsTable = this.runsTable(name, args);
        const reports = new RunReportBucket(
            `${name}-reports`,
            {
                stack: args.stack,
                region: args.region,
                kmsKeyArn: args.kmsKeyArn,
                ...(args.accessLogBucket !== undefined ? { accessLogBucket: args.accessLogBucket } : {}),
                ...(args.protect !== undefined ? { protect: args.protect } : {}),
                ...(args.tags !== undefined ? { tags: args.tags } : {}),
            },
            { parent: this },
        );
        const lagAlarm = this.replicationLagAlarm(name, args, mode);
        const alarmNames: pulumi.Output<string>[] = [lagAlarm.name];
        const peerDown = this.peerDownPath(name, args);
        if (peerDown !== undefined) {
            alarmNames.push(peerDown);
        }
        const activeRegion = this.parameters(name, args, mode, alarmNames, { runsTable, reportBucketName: reports.bucketName });
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                name: `/aws/lambda/${functionName}`,
                retentionInDays: args.logRetentionDays ?? 365,
                kmsKeyId: args.kmsKeyArn,
                tags: tags("logs"),
            },
            parent,
        );
        const { role, policy } = this.role(name, args, { lockTable, runsTable, reportBucketArn: reports.arn, deadLetterQueue, logGroup });
        const fn = new aws.lambda.Function(
            `${name}-function`,
            {
                name: functionName,
                description: `Promotes the ${args.region} cluster of the ${args.stack} global database and repoints the writer`,
                runtime: LAMBDA_RUNTIME,
                handler: "index.handler",
                ...this.signedCode(name, args),
                // Active tracing: every invocation is traced, so a failover's timeline can be followed call by call.
                // @see https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
                tracingConfig: { mode: "Active" },
                role: role.arn,
                timeout: ORCHESTRATOR_TIMEOUT_SECONDS,
                memorySize: 256,
                // The lock serialises runs; the reservation only has to leave room for the on-call CLI next to the
                // alarm-started runs (two alarms and a retry), so that a human is never throttled out.
                reservedConcurrentExecutions: ORCHESTRATOR_RESERVED_CONCURRENCY,
                kmsKeyArn: args.kmsKeyArn,
                environment: {
                    variables: orchestratorEnvironment({ environment: args.environment, lockTableName: lockTableName(args.stack) }),
                },
                vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: args.securityGroupIds },
                deadLetterConfig: { targetArn: deadLetterQueue.arn },
                loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
                tags: tags("function"),
            },
            { ...parent, dependsOn: [policy, this.allowTracing(name, role), logGroup, activeRegion] },
        );
        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-async`,
            {
                functionName: fn.name,
                // A retry of a failed run resumes it; after two, the event goes to the dead-letter queue.
                maximumRetryAttempts: 2,
                // An event older than this is rejected by the function as stale evidence: stop retrying it then.
                maximumEventAgeInSeconds: args.maxEventAgeSeconds ?? MAX_EVENT_AGE_SECONDS.default,
            },
            parent,
        );
        this.trigger(name, args, fn, alarmNames, mode);
        const aftercare = this.aftercareSchedule(name, args, fn);
        const beacon =
            args.application !== undefined
                ? this.beaconSchedule(name, args, fn, this.applicationParameters(name, args, args.application))
                : undefined;

        this.functionName = fn.name;
        this.functionArn = fn.arn;
        this.roleArn = role.arn;
        this.lockTableName = lockTable.name;
        this.deadLetterQueueArn = deadLetterQueue.arn;
        this.replicationLagAlarmName = lagAlarm.name;
        this.activeRegionParameterName = activeRegion.name;
        this.triggerAlarmNames = pulumi.all(alarmNames);
        this.runsTableName = runsTable.name;
        this.reportBucketName = reports.bucketName;
        this.aftercareRuleName = aftercare.name;
        this.beaconRuleName = beacon?.name;
        this.registerOutputs({
            functionName: this.functionName,
            functionArn: this.functionArn,
            roleArn: this.roleArn,
            lockTableName: this.lockTableName,
            deadLetterQueueArn: this.deadLetterQueueArn,
            replicationLagAlarmName: this.replicationLagAlarmName,
            activeRegionParameterName: this.activeRegionParameterName,
            triggerAlarmNames: this.triggerAlarmNames,
            runsTableName: this.runsTableName,
            reportBucketName: this.reportBucketName,
            aftercareRuleName: this.aftercareRuleName,
            ...(this.beaconRuleName !== undefined ? { beaconRuleName: this.beaconRuleName } : {}),
        });
    }

    private tagger(args: FailoverOrchestratorArgs): (suffix: string) => Record<string, string> {
        return (suffix) => ({ ...args.tags, Name: physicalName(args.stack, ["failover", args.region, suffix], 255) });
    }

    /** The lock table: one run at a time in this region, and the run record a retried or resumed run reads. */
    private lockTable(name: string, args: FailoverOrchestratorArgs): aws.dynamodb.Table {
        const protect = args.protect ?? false;
        return new aws.dynamodb.Table(
            `${name}-lock`,
            {
                name: lockTableName(args.stack),
                billingMode: "PAY_PER_REQUEST",
                hashKey: "lockId",
                attributes: [{ name: "lockId", type: "S" }],
                serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn },
                pointInTimeRecovery: { enabled: true },
                deletionProtectionEnabled: protect,
                tags: this.tagger(args)("lock"),
            },
            { parent: this, protect },
        );
    }

    /**
     * The run-record table: one item per run of this region's function (RUNS_TABLE_KEYS: the stack, then
     * `<start>#<runId>`, so a Query lists a stack's runs newest first). On-demand, encrypted with the region's key,
     * point-in-time recovery on; in a protected stack deletion protection, Pulumi protect and retainOnDelete: the
     * records are the index of the evidence the report bucket keeps.
     */
    private runsTable(name: string, args: FailoverOrchestratorArgs): aws.dynamodb.Table {
        const protect = args.protect ?? false;
        return new aws.dynamodb.Table(
            `${name}-runs`,
            {
                name: runsTableName(args.stack),
                billingMode: "PAY_PER_REQUEST",
                hashKey: RUNS_TABLE_KEYS.partition,
                rangeKey: RUNS_TABLE_KEYS.sort,
                attributes: [
                    { name: RUNS_TABLE_KEYS.partition, type: "S" },
                    { name: RUNS_TABLE_KEYS.sort, type: "S" },
                ],
                serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn },
                pointInTimeRecovery: { enabled: true },
                deletionProtectionEnabled: protect,
                tags: this.tagger(args)("runs"),
            },
            { parent: this, protect, retainOnDelete: protect },
        );
    }

    /**
     * The first trigger: this region's cluster falling behind its writer. AuroraGlobalDBReplicationLag is published
     * for a secondary only, so while this region's cluster is the writer the alarm sees no data and stays OK
     * (`notBreaching`): the same alarm is right in both roles, with no deploy after a failover. Silence of the peer
     * writer is the heartbeat path's job (`peerDownPath`), not this alarm's.
     * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-monitoring.html
     */
    private replicationLagAlarm(name: string, args: FailoverOrchestratorArgs, mode: FailoverMode): aws.cloudwatch.MetricAlarm {
        const lagSeconds = args.replicationLagThresholdSeconds ?? 60;
        return new aws.cloudwatch.MetricAlarm(
            `${name}-replication-lag`,
            {
                name: replicationLagAlarmName(args.stack),
                alarmDescription: `The ${args.region} cluster has been more than ${lagSeconds} s behind the writer in ${args.peerRegion} for ${REPLICATION_LAG_ALARM.evaluationPeriods} minutes: the ${args.region} failover orchestrator assesses the writer (${mode} mode).`,
                namespace: "AWS/RDS",
                metricName: "AuroraGlobalDBReplicationLag",
                dimensions: { DBClusterIdentifier: args.clusterIdentifier },
                statistic: "Maximum",
                period: REPLICATION_LAG_ALARM.periodSeconds,
                evaluationPeriods: REPLICATION_LAG_ALARM.evaluationPeriods,
                datapointsToAlarm: REPLICATION_LAG_ALARM.datapointsToAlarm,
                // The metric is in milliseconds.
                threshold: lagSeconds * 1000,
                comparisonOperator: "GreaterThanThreshold",
                treatMissingData: "notBreaching",
                alarmActions: [...(args.alertTopicArns ?? [])],
                tags: this.tagger(args)("replication-lag"),
            },
            { parent: this },
        );
    }

    /**
     * The second trigger, independent of the first: the peer's heartbeat health check (ClusterHeartbeat) watched from
     * us-east-1, where Route 53 publishes HealthCheckStatus, and an alarm must be in its metric's region. An
     * EventBridge rule there forwards the alarm's state changes to this region's default bus, where the trigger rule
     * delivers them to the function. Only these five resources use the us-east-1 provider; nothing that stores data.
     * Returns the alarm's name, or undefined when the path is not configured.
     * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
     * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
     */
    private peerDownPath(name: string, args: FailoverOrchestratorArgs): pulumi.Output<string> | undefined {
        if (args.healthCheckMonitoringProvider === undefined || args.peerHealthCheckId === undefined) {
            return undefined;
        }
        const accountId = pulumi.output(args.account.accountId);
        const tags = this.tagger(args);
        const monitoring = { parent: this, provider: args.healthCheckMonitoringProvider };
        const definition = healthCheckAlarm<pulumi.Input<string>>({
            key: `failover-${args.peerRegion}`,
            healthCheckId: args.peerHealthCheckId,
            what: `the ${args.peerRegion} database's heartbeat, watched for the ${args.region} failover orchestrator`,
        });
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-peer-down`,
            {
                name: peerDownAlarmName(args.stack, args.peerRegion),
                alarmDescription: definition.description,
                namespace: definition.metric.namespace,
                metricName: definition.metric.metricName,
                dimensions: definition.metric.dimensions,
                statistic: definition.metric.statistic,
                period: definition.metric.period,
                evaluationPeriods: definition.evaluationPeriods,
                datapointsToAlarm: definition.datapointsToAlarm,
                threshold: definition.threshold,
                comparisonOperator: definition.comparisonOperator,
                treatMissingData: definition.treatMissingData,
                // No alarm actions: a topic here would be a second copy of the alert path outside the stack's
                // regions. EventBridge receives every state change whatever the actions.
                tags: tags("peer-down"),
            },
            monitoring,
        );
        // A bus in another region is a target like any other: its ARN, and a role EventBridge assumes to call
        // PutEvents on it. Same account: the default bus accepts its own account's events, so no policy on the
        // receiving bus is needed.
        // @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
        const bus = pulumi.interpolate`arn:${args.account.partition}:events:${args.region}:${accountId}:event-bus/default`;
        const forwardRole = new aws.iam.Role(
            `${name}-forward`,
            {
                assumeRolePolicy: accountId.apply((id) => toJson(serviceTrustPolicy("events.amazonaws.com", id))),
                description: `FailoverOrchestrator: forwards the ${args.peerRegion} heartbeat alarm from ${ROUTE53_METRICS_REGION} to the ${args.region} event bus`,
                tags: tags("forward"),
            },
            monitoring,
        );
        const forwardPolicy = new aws.iam.RolePolicy(
            `${name}-forward`,
            { role: forwardRole.id, policy: bus.apply((b) => toJson(forwardToBusPolicy(b))) },
            monitoring,
        );
        const forward = new aws.cloudwatch.EventRule(
            `${name}-forward`,
            {
                description: `Forwards the ${args.peerRegion} heartbeat alarm to the ${args.region} event bus, where that region's failover orchestrator runs`,
                eventPattern: alarm.name.apply((n) => JSON.stringify(alarmPattern([n]))),
                tags: tags("forward"),
            },
            monitoring,
        );
        new aws.cloudwatch.EventTarget(
            `${name}-forward`,
            { rule: forward.name, arn: bus, roleArn: forwardRole.arn },
            // The role must be able to put events before the first alarm is forwarded.
            { ...monitoring, dependsOn: [forwardPolicy] },
        );
        return alarm.name;
    }

    /**
     * The function's configuration, read at every invocation, and this region's `active-region` parameter, which the
     * orchestrators own after its creation. Returns the latter.
     */
    private parameters(
        name: string,
        args: FailoverOrchestratorArgs,
        mode: FailoverMode,
        alarmNames: readonly pulumi.Output<string>[],
        evidence: { runsTable: aws.dynamodb.Table; reportBucketName: pulumi.Output<string> },
    ): aws.ssm.Parameter {
        const tags = this.tagger(args);
        const parameter = (key: string, value: pulumi.Input<string>, extra: Partial<aws.ssm.ParameterArgs> = {}) =>
            new aws.ssm.Parameter(
                `${name}-${key}`,
                { name: `${failoverParameterPath(args.environment)}/${key}`, type: "String", value, tags: tags(key), ...extra },
                { parent: this },
            );
        const P = FAILOVER_PARAMETERS;
        const topics = args.alertTopicArns ?? [];
        parameter(P.stack, args.stack);
        parameter(P.mode, mode);
        parameter(P.globalClusterId, args.globalClusterId);
        parameter(P.region, args.region);
        parameter(P.clusterArn, args.clusterArn);
        parameter(P.peerRegion, args.peerRegion);
        parameter(P.peerClusterArn, args.peerClusterArn);
        parameter(P.hostedZoneId, args.writerRecord.hostedZoneId);
        parameter(P.recordName, args.writerRecord.recordName);
        parameter(P.recordTtl, String(args.dnsTtlSeconds ?? 30));
        // Only these alarms may start a run; any other alarm event is rejected by the function.
        parameter(
            P.alarmNames,
            pulumi.all([...alarmNames]).apply((names) => names.join(",")),
            { type: "StringList" },
        );
        parameter(P.detectionWindowSeconds, String(args.detectionWindowSeconds ?? DETECTION_WINDOW_SECONDS.default));
        parameter(P.quorum, String(args.quorum ?? QUORUM.default));
        parameter(P.maxEventAgeSeconds, String(args.maxEventAgeSeconds ?? MAX_EVENT_AGE_SECONDS.default));
        parameter(P.replicationLagThresholdSeconds, String(args.replicationLagThresholdSeconds ?? 60));
        // What a break-glass, a fence and the lost-writes work need, deployed beforehand in this region (static
        // stability): nothing of it is read from the peer region, which may be the one that is down.
        parameter(P.secretArn, args.secretArn);
        parameter(P.peerSecurityGroupId, args.peerSecurityGroupId);
        parameter(P.peerClusterParameterGroup, args.peerClusterParameterGroupName);
        parameter(P.peerKmsKeyArn, args.peerKmsKeyArn);
        parameter(P.runsTable, evidence.runsTable.name);
        parameter(P.reportBucket, evidence.reportBucketName);
        if (topics.length > 0) {
            parameter(
                P.topicArns,
                pulumi.all([...topics]).apply((arns) => arns.join(",")),
                { type: "StringList" },
            );
        }
        return new aws.ssm.Parameter(
            `${name}-active-region`,
            {
                name: activeRegionParameterName(args.environment),
                type: "String",
                value: args.initialActiveRegion,
                description: "Region of the database writer; applications read it; the failover orchestrators set it",
                tags: tags("active-region"),
            },
            // The orchestrators own the value: no update may ever send the value stored in state (AWS-FACTS.md,
            // ignoreChanges), so every property an update could change is ignored.
            { parent: this, ignoreChanges: pointerIgnoreChanges(ACTIVE_REGION_PARAMETER) },
        );
    }

    /**
     * The application tier, as this region runs it (APPLICATION_PARAMETERS, under the same path as the function's other
     * parameters): the runtime's capacity, application and traffic steps and the beacon read them. All present with an
     * application tier, all absent without one.
     */
    private applicationParameters(
        name: string,
        args: FailoverOrchestratorArgs,
        app: FailoverOrchestratorApplicationArgs,
    ): aws.ssm.Parameter[] {
        const tags = this.tagger(args);
        const parameter = (key: string, value: pulumi.Input<string>) =>
            new aws.ssm.Parameter(
                `${name}-${key}`,
                { name: `${failoverParameterPath(args.environment)}/${key}`, type: "String", value, tags: tags(key) },
                { parent: this },
            );
        const A = APPLICATION_PARAMETERS;
        return [
            parameter(A.cluster, app.clusterName),
            parameter(A.service, app.serviceName),
            parameter(A.targetGroupArn, app.targetGroupArn),
            parameter(A.checkUrl, app.checkUrl),
            parameter(A.host, app.host),
            parameter(A.activeCount, String(app.activeCount)),
            parameter(A.standbyCount, String(app.standbyCount)),
            parameter(A.minCount, String(app.minCount)),
            parameter(A.maxCount, String(app.maxCount)),
            parameter(A.dbMinCapacity, String(app.dbMinCapacity)),
            parameter(A.dbMaxCapacity, String(app.dbMaxCapacity)),
        ];
    }

    /** The function's role and its one inline policy: exactly what the runtime calls, on exactly these resources. */
    private role(
        name: string,
        args: FailoverOrchestratorArgs,
        owned: {
            lockTable: aws.dynamodb.Table;
            runsTable: aws.dynamodb.Table;
            reportBucketArn: pulumi.Output<string>;
            deadLetterQueue: aws.sqs.Queue;
            logGroup: aws.cloudwatch.LogGroup;
        },
    ): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
        const accountId = pulumi.output(args.account.accountId);
        const partition = args.account.partition;
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                assumeRolePolicy: toJson(serviceTrustPolicy("lambda.amazonaws.com")),
                description: `FailoverOrchestrator: promotes the ${args.region} cluster and repoints the writer`,
                tags: this.tagger(args)("role"),
            },
            { parent: this },
        );
        const globalClusterArn = pulumi.interpolate`arn:${partition}:rds::${accountId}:global-cluster:${args.globalClusterId}`;
        const topics = args.alertTopicArns ?? [];
        const policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([
                        pulumi.all({
                            accountId,
                            globalClusterArn,
                            clusterArn: args.clusterArn,
                            clusterIdentifier: args.clusterIdentifier,
                            peerClusterArn: args.peerClusterArn,
                            hostedZoneId: args.writerRecord.hostedZoneId,
                            lockTableArn: owned.lockTable.arn,
                            deadLetterQueueArn: owned.deadLetterQueue.arn,
                            logGroupArn: owned.logGroup.arn,
                            kmsKeyArn: args.kmsKeyArn,
                            secretArn: args.secretArn,
                            peerClusterIdentifier: args.peerClusterIdentifier,
                            peerSecurityGroupId: args.peerSecurityGroupId,
                            peerClusterParameterGroupName: args.peerClusterParameterGroupName,
                            peerKmsKeyArn: args.peerKmsKeyArn,
                            runsTableArn: owned.runsTable.arn,
                            reportBucketArn: owned.reportBucketArn,
                        }),
                        pulumi.all([...topics]),
                        pulumi.all({
                            clusterName: args.application?.clusterName ?? "",
                            serviceName: args.application?.serviceName ?? "",
                        }),
                    ])
                    .apply(([v, topicArns, app]) =>
                        toJson(
                            orchestratorPolicy({
                                partition,
                                accountId: v.accountId,
                                region: args.region,
                                peerRegion: args.peerRegion,
                                globalClusterArn: v.globalClusterArn,
                                clusterArn: v.clusterArn,
                                clusterIdentifier: v.clusterIdentifier,
                                peerClusterArn: v.peerClusterArn,
                                hostedZoneId: v.hostedZoneId,
                                recordName: writerRecordName(args.stack),
                                parameterPath: failoverParameterPath(args.environment),
                                activeRegionParameter: activeRegionParameterName(args.environment),
                                lockTableArn: v.lockTableArn,
                                deadLetterQueueArn: v.deadLetterQueueArn,
                                logGroupArn: v.logGroupArn,
                                kmsKeyArn: v.kmsKeyArn,
                                topicArns,
                                secretArn: v.secretArn,
                                peerClusterIdentifier: v.peerClusterIdentifier,
                                peerSecurityGroupId: v.peerSecurityGroupId,
                                peerClusterParameterGroupName: v.peerClusterParameterGroupName,
                                peerKmsKeyArn: v.peerKmsKeyArn,
                                runsTableArn: v.runsTableArn,
                                reportBucketArn: v.reportBucketArn,
                                ...(args.application !== undefined
                                    ? {
                                          application: {
                                              clusterName: app.clusterName,
                                              serviceName: app.serviceName,
                                              // The beacon copies the capacity record to the peer's table too.
                                              peerLockTableArn: lockTableArn(
                                                  { partition, accountId: v.accountId },
                                                  args.peerRegion,
                                                  args.stack,
                                              ),
                                          },
                                      }
                                    : {}),
                            }),
                        ),
                    ),
            },
            { parent: this },
        );
        return { role, policy };
    }

    /** The EventBridge rule on this region's bus that delivers the allowed alarms to the function. */
    private trigger(
        name: string,
        args: FailoverOrchestratorArgs,
        fn: aws.lambda.Function,
        alarmNames: readonly pulumi.Output<string>[],
        mode: FailoverMode,
    ): void {
        const rule = new aws.cloudwatch.EventRule(
            `${name}-trigger`,
            {
                description: `Delivers the failover alarms to the orchestrator (${mode} mode)`,
                eventPattern: pulumi.all([...alarmNames]).apply((names) => JSON.stringify(alarmPattern(names))),
                tags: this.tagger(args)("trigger"),
            },
            { parent: this },
        );
        const permission = new aws.lambda.Permission(
            `${name}-trigger`,
            { function: fn.name, action: "lambda:InvokeFunction", principal: "events.amazonaws.com", sourceArn: rule.arn },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(`${name}-trigger`, { rule: rule.name, arn: fn.arn }, { parent: this, dependsOn: [permission] });
    }

    /**
     * The aftercare schedule: every AFTERCARE_SCHEDULE, EventBridge invokes the function with a `Scheduled Event` from
     * this rule (named `aftercareRuleName`, the only schedule the function admits), so that the work that must wait
     * for the peer region to answer (fencing the old writer after a break-glass, keeping the lost writes after an
     * unplanned failover) is retried, and paged, with no deploy during the outage. With nothing open, a run reads one
     * item and returns. Whatever the mode: it never starts a promotion.
     * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
     */
    private aftercareSchedule(name: string, args: FailoverOrchestratorArgs, fn: aws.lambda.Function): aws.cloudwatch.EventRule {
        const rule = new aws.cloudwatch.EventRule(
            `${name}-aftercare`,
            {
                name: aftercareRuleName(args.stack),
                description: `Wakes the ${args.region} failover orchestrator for the work waiting on ${args.peerRegion}: fencing the old writer, keeping lost writes`,
                scheduleExpression: AFTERCARE_SCHEDULE,
                tags: this.tagger(args)("aftercare"),
            },
            { parent: this },
        );
        const permission = new aws.lambda.Permission(
            `${name}-aftercare`,
            { function: fn.name, action: "lambda:InvokeFunction", principal: "events.amazonaws.com", sourceArn: rule.arn },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(`${name}-aftercare`, { rule: rule.name, arn: fn.arn }, { parent: this, dependsOn: [permission] });
        return rule;
    }

    /**
     * The beacon schedule: every BEACON_SCHEDULE, EventBridge invokes the function with a `Scheduled Event` from this
     * rule (`beaconRuleName`), which publishes this region's traffic metrics (`ServingReady` about itself, `PeerFenced`
     * about its peer: APPLICATION_METRICS) from local state only, and, in the active region, records the capacity the
     * standby must reach on arrival. It never changes capacity and never starts a promotion. Like the aftercare rule:
     * a rule, its target, and the permission EventBridge needs to invoke the function; the target waits for
     * `parameters`.
     * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
     */
    private beaconSchedule(
        name: string,
        args: FailoverOrchestratorArgs,
        fn: aws.lambda.Function,
        parameters: readonly aws.ssm.Parameter[],
    ): aws.cloudwatch.EventRule {
        const rule = new aws.cloudwatch.EventRule(
            `${name}-beacon`,
            {
                name: beaconRuleName(args.stack),
                description: `Wakes the ${args.region} failover orchestrator every minute to publish whether ${args.region} serves the application (and fences ${args.peerRegion}), which moves its public name`,
                scheduleExpression: BEACON_SCHEDULE,
                tags: this.tagger(args)("beacon"),
            },
            { parent: this },
        );
        const permission = new aws.lambda.Permission(
            `${name}-beacon`,
            { function: fn.name, action: "lambda:InvokeFunction", principal: "events.amazonaws.com", sourceArn: rule.arn },
            { parent: this },
        );
        // The first beacon finds its configuration: the target exists only once every application parameter does.
        new aws.cloudwatch.EventTarget(
            `${name}-beacon`,
            { rule: rule.name, arn: fn.arn },
            { parent: this, dependsOn: [permission, ...parameters] },
        );
        return rule;
    }

    /**
     * The function's code, signed: the bundle goes through AWS Signer at deploy, and the code-signing configuration
     * (enforced) makes Lambda refuse any package the stack's profile did not sign.
     */
    private signedCode(
        name: string,
        args: FailoverOrchestratorArgs,
    ): { s3Bucket: pulumi.Output<string>; s3Key: pulumi.Output<string>; codeSigningConfigArn: pulumi.Output<string> } {
        const code = new SignedLambdaCode(
            `${name}-code`,
            {
                stack: args.stack,
                purpose: "failover",
                archive: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundleOrchestrator()) }),
                kmsKeyArn: args.kmsKeyArn,
                ...(args.protect !== undefined ? { protect: args.protect } : {}),
                ...(args.tags !== undefined ? { tags: args.tags } : {}),
            },
            { parent: this },
        );
        return { s3Bucket: code.s3Bucket, s3Key: code.s3Key, codeSigningConfigArn: code.codeSigningConfigArn };
    }

    /** Lets the function send its traces to X-Ray (active tracing). */
    private allowTracing(name: string, role: aws.iam.Role): aws.iam.RolePolicy {
        return new aws.iam.RolePolicy(`${name}-tracing`, { role: role.id, policy: toJson(tracingPolicy()) }, { parent: this });
    }
}

/**
 * The EventBridge pattern of an alarm entering ALARM.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export function alarmPattern(alarmNames: readonly string[]): Record<string, unknown> {
    return {
        source: ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        detail: { alarmName: [...alarmNames], state: { value: ["ALARM"] } },
    };
}
