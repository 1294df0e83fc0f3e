import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import {
    activeRegionParameterName,
    DETECTION_WINDOW_SECONDS,
    FAILOVER_PARAMETERS,
    MAX_EVENT_AGE_SECONDS,
    ORCHESTRATOR_RESERVED_CONCURRENCY,
    QUORUM,
    failoverParameterPath,
    lockTableName,
    ORCHESTRATOR_TIMEOUT_SECONDS,
    orchestratorEnvironment,
    orchestratorFunctionName,
    privateZoneName,
    REPLICATION_LAG_ALARM,
    ROUTE53_METRICS_REGION,
    writerRecordName,
    type FailoverMode,
} from "../lib/failover";
import { healthCheckAlarm } from "../lib/alarms";
import { forwardToBusPolicy, orchestratorPolicy } from "../lib/failoverPolicy";
import { serviceTrustPolicy, toJson } from "../lib/iam";
import { physicalName } from "../lib/naming";
import { ACTIVE_REGION_PARAMETER, pointerIgnoreChanges, WRITER_RECORD } from "../lib/pointers";
import { bundleOrchestrator, LAMBDA_RUNTIME } from "../orchestrator/bundle";
import { SignedLambdaCode } from "./SignedLambdaCode";
import { tracingPolicy } from "../lib/tracing";

/** A VPC the private hosted zone is associated with, so that applications there resolve the writer record. */
export interface ZoneVpc {
    readonly vpcId: pulumi.Input<string>;
    readonly region: string;
}

export interface FailoverOrchestratorArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The stack name: part of every deterministic name (function, lock table, record). */
    readonly stack: string;
    /** `dev` or `prod`: selects the parameter path `/healthcare/<environment>/`. */
    readonly environment: string;
    /** The primary region (the one whose loss is detected). */
    readonly primaryRegion: string;
    /** The DR region: where everything of this component lives. Must be the region of the provider in the options. */
    readonly drRegion: string;
    /**
     * `automatic`: an alarm starts the failover. `manual`: an alarm only notifies, with the command to run.
     * @default "automatic"
     */
    readonly mode?: FailoverMode;
    /** The Aurora global cluster's identifier. */
    readonly globalClusterId: pulumi.Input<string>;
    /** ARN of the primary cluster. */
    readonly primaryClusterArn: pulumi.Input<string>;
    /** ARN of the DR (secondary) cluster. */
    readonly drClusterArn: pulumi.Input<string>;
    /** Identifier of the DR cluster: the dimension of its replication-lag metric. */
    readonly drClusterIdentifier: pulumi.Input<string>;
    /** The primary cluster's writer endpoint: the writer record's first value (the orchestrator owns it afterwards). */
    readonly primaryWriterEndpoint: pulumi.Input<string>;
    /** Private subnets of the DR region for the function (reaching AWS APIs through the VPC endpoints). */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups of the function. */
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
    /** VPCs associated with the private hosted zone; the first is the DR region's. At least one. */
    readonly zoneVpcs: readonly ZoneVpc[];
    /** ARN of the DR region's customer-managed key: environment, lock table, queue and logs are encrypted with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** SNS topics (in the DR region) told at start, success and failure. @default [] - no notifications */
    readonly alertTopicArns?: readonly pulumi.Input<string>[];
    /** TTL of the writer record, seconds. @default 30 */
    readonly dnsTtlSeconds?: number;
    /** Replication lag (seconds) above which the detection alarm fires. @default 60 */
    readonly replicationLagThresholdSeconds?: number;
    /** Seconds over which the signals of a lost primary must hold before an unplanned failover. @default 60 */
    readonly detectionWindowSeconds?: number;
    /** Signals (of FAILOVER_SIGNALS) that must agree before an unplanned failover. @default 2 */
    readonly quorum?: number;
    /** Alarm events older than this many seconds are rejected, and Lambda stops retrying them. @default 900 */
    readonly maxEventAgeSeconds?: number;
    /** Days the function's logs are kept (a CloudWatch Logs retention value). @default 365 */
    readonly logRetentionDays?: number;
    /**
     * A provider for us-east-1 (ROUTE53_METRICS_REGION), where Route 53 publishes health-check metrics. With it, an
     * alarm on the health check is forwarded by EventBridge to the DR region as a second detection path. Used only
     * for that alarm, the forwarding rule and target, and the forwarding role and its policy: nothing that stores data.
     * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
     * @default - no us-east-1 path; the replication-lag alarm in the DR region triggers the function directly
     */
    readonly healthCheckMonitoringProvider?: aws.Provider;
    /** Protect the lock table (deletion protection, Pulumi protect). @default false */
    readonly protect?: boolean;
    /** Tags of every taggable resource. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The failover orchestrator, in the DR region: a Lambda function (the code under orchestrator/, bundled with
 * esbuild) that promotes the DR cluster exactly once, repoints the writer record and `active-region`, and tells
 * on-call; its lock table, configuration parameters, private hosted zone and writer record; and the detection path:
 * the replication-lag alarm in the DR region, a Route 53 CLOUDWATCH_METRIC health check on it, and EventBridge
 * rules that deliver the alarm to the function. Nothing of it depends on the primary region being up.
 */
export class FailoverOrchestrator extends pulumi.ComponentResource {
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly lockTableName: pulumi.Output<string>;
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    public readonly hostedZoneId: pulumi.Output<string>;
    /** The writer record applications connect to. */
    public readonly writerRecordName: pulumi.Output<string>;
    public readonly replicationLagAlarmName: pulumi.Output<string>;
    public readonly healthCheckId: pulumi.Output<string>;

    constructor(name: string, args: FailoverOrchestratorArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:FailoverOrchestrator", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        const partition = args.account.partition;
        if (args.zoneVpcs.length === 0) {
            throw new pulumi.ResourceError("zoneVpcs must list at least the DR region's VPC: a private hosted zone needs a VPC", this);
        }
        const mode = args.mode ?? "automatic";
        const ttl = args.dnsTtlSeconds ?? 30;
        const lagSeconds = args.replicationLagThresholdSeconds ?? 60;
        const windowSeconds = args.detectionWindowSeconds ?? DETECTION_WINDOW_SECONDS.default;
        const quorum = args.quorum ?? QUORUM.default;
        const maxEventAgeSeconds = args.maxEventAgeSeconds ?? MAX_EVENT_AGE_SECONDS.default;
        const lagAlarmName = physicalName(args.stack, ["failover", "replication-lag"], 255);
        const healthAlarmName = physicalName(args.stack, ["failover", "health-check"], 255);
        const protect = args.protect ?? false;
        const topics = args.alertTopicArns ?? [];
        const tags = (suffix: string) => ({ ...args.tags, Name: physicalName(args.stack, ["failover", suffix], 255) });
        const parent = { parent: this };
        const functionName = orchestratorFunctionName(args.stack);

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

        const lockTable = new aws.dynamodb.Table(
            `${name}-lock`,
            {
                name: lockTableName(args.stack),
                billingMode: "PAY_PER_REQUEST",
                hashKey: "lockId",
                attributes: [{ name: "lockId", type: "S" }],
                serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn },
                pointInTimeRecovery: { enabled: true },
                deletionProtectionEnabled: protect,
                tags: tags("lock"),
            },
            { ...parent, protect },
        );

        const [firstVpc, ...otherVpcs] = args.zoneVpcs;
        const zone = new aws.route53.Zone(
            `${name}-zone`,
            {
                name: privateZoneName(args.stack),
                comment: "Writer record of the Aurora global database; repointed by the failover orchestrator",
                vpcs: [firstVpc!, ...otherVpcs].map((v) => ({ vpcId: v.vpcId, vpcRegion: v.region })),
                tags: tags("zone"),
            },
            parent,
        );
        // A simple record with a short TTL, repointed by the function only after the DR cluster is the writer; not a
        // Route 53 failover routing pair. A failover pair would answer with the DR endpoint as soon as the health
        // check fails, while that cluster is still a read-only secondary (before promotion), and would answer with
        // the old primary again once its check recovers, even if that primary is isolated and no longer the writer:
        // two writers reachable by name (split brain). Here DNS follows the promotion, never the health check.
        // @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html
        const record = new aws.route53.Record(
            `${name}-writer`,
            {
                zoneId: zone.zoneId,
                name: writerRecordName(args.stack),
                type: "CNAME",
                ttl,
                records: [args.primaryWriterEndpoint],
            },
            { ...parent, ignoreChanges: pointerIgnoreChanges(WRITER_RECORD) },
        ); // the orchestrator owns the value after a failover

        const parameter = (key: string, value: pulumi.Input<string>, extra: Partial<aws.ssm.ParameterArgs> = {}) =>
            new aws.ssm.Parameter(
                `${name}-${key}`,
                {
                    name: `${failoverParameterPath(args.environment)}/${key}`,
                    type: "String",
                    value,
                    tags: tags(key),
                    ...extra,
                },
                parent,
            );
        const P = FAILOVER_PARAMETERS;
        parameter(P.stack, args.stack);
        parameter(P.mode, mode);
        parameter(P.globalClusterId, args.globalClusterId);
        parameter(P.primaryRegion, args.primaryRegion);
        parameter(P.primaryClusterArn, args.primaryClusterArn);
        parameter(P.drRegion, args.drRegion);
        parameter(P.drClusterArn, args.drClusterArn);
        parameter(P.hostedZoneId, zone.zoneId);
        parameter(P.recordName, record.fqdn);
        parameter(P.recordTtl, String(ttl));
        // Only these alarms may start a run; any other alarm event is rejected by the function.
        parameter(P.alarmNames, [lagAlarmName, ...(args.healthCheckMonitoringProvider !== undefined ? [healthAlarmName] : [])].join(","), {
            type: "StringList",
        });
        parameter(P.detectionWindowSeconds, String(windowSeconds));
        parameter(P.quorum, String(quorum));
        parameter(P.maxEventAgeSeconds, String(maxEventAgeSeconds));
        parameter(P.replicationLagThresholdSeconds, String(lagSeconds));
        if (topics.length > 0) {
            parameter(
                P.topicArns,
                pulumi.all([...topics]).apply((arns) => arns.join(",")),
                { type: "StringList" },
            );
        }
        const activeRegion = new aws.ssm.Parameter(
            `${name}-active-region`,
            {
                name: activeRegionParameterName(args.environment),
                type: "String",
                value: args.primaryRegion,
                description: "Region of the database writer; applications read it; the failover orchestrator sets it",
                tags: tags("active-region"),
            },
            { ...parent, ignoreChanges: pointerIgnoreChanges(ACTIVE_REGION_PARAMETER) },
        );

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

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                assumeRolePolicy: toJson(serviceTrustPolicy("lambda.amazonaws.com")),
                description: "FailoverOrchestrator: promotes the DR cluster and repoints the writer",
                tags: tags("role"),
            },
            parent,
        );
        const globalClusterArn = pulumi.interpolate`arn:${partition}:rds::${accountId}:global-cluster:${args.globalClusterId}`;
        const policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([
                        pulumi.all({
                            p: partition,
                            accountId,
                            g: globalClusterArn,
                            primaryArn: args.primaryClusterArn,
                            drArn: args.drClusterArn,
                            drId: args.drClusterIdentifier,
                            zoneId: zone.zoneId,
                            tableArn: lockTable.arn,
                            dlqArn: deadLetterQueue.arn,
                            logArn: logGroup.arn,
                            keyArn: args.kmsKeyArn,
                        }),
                        pulumi.all([...topics]),
                    ])
                    .apply(([v, topicArns]) =>
                        toJson(
                            orchestratorPolicy({
                                partition: v.p,
                                accountId: v.accountId,
                                region: args.drRegion,
                                globalClusterArn: v.g,
                                primaryClusterArn: v.primaryArn,
                                drClusterArn: v.drArn,
                                drClusterIdentifier: v.drId,
                                hostedZoneId: v.zoneId,
                                recordName: writerRecordName(args.stack),
                                parameterPath: failoverParameterPath(args.environment),
                                activeRegionParameter: activeRegionParameterName(args.environment),
                                lockTableArn: v.tableArn,
                                deadLetterQueueArn: v.dlqArn,
                                logGroupArn: v.logArn,
                                kmsKeyArn: v.keyArn,
                                topicArns,
                            }),
                        ),
                    ),
            },
            parent,
        );

        const fn = new aws.lambda.Function(
            `${name}-function`,
            {
                name: functionName,
                description: `Promotes the ${args.drRegion} cluster of the ${args.stack} global database and repoints the writer`,
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
                maximumEventAgeInSeconds: maxEventAgeSeconds,
            },
            parent,
        );

        const lagAlarm = new aws.cloudwatch.MetricAlarm(
            `${name}-replication-lag`,
            {
                name: lagAlarmName,
                alarmDescription: `The DR cluster has not been in step with the primary for ${REPLICATION_LAG_ALARM.evaluationPeriods} minutes (or no data): the failover orchestrator assesses the primary (${mode} mode).`,
                namespace: "AWS/RDS",
                metricName: "AuroraGlobalDBReplicationLag",
                dimensions: { DBClusterIdentifier: args.drClusterIdentifier },
                statistic: "Maximum",
                period: REPLICATION_LAG_ALARM.periodSeconds,
                evaluationPeriods: REPLICATION_LAG_ALARM.evaluationPeriods,
                datapointsToAlarm: REPLICATION_LAG_ALARM.datapointsToAlarm,
                // The metric is in milliseconds.
                threshold: lagSeconds * 1000,
                comparisonOperator: "GreaterThanThreshold",
                treatMissingData: "breaching",
                alarmActions: [...topics],
                tags: tags("replication-lag"),
            },
            parent,
        );

        // CLOUDWATCH_METRIC health checks follow the alarm's metric data; missing data means the primary is silent.
        // @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
        const healthCheck = new aws.route53.HealthCheck(
            `${name}-health`,
            {
                type: "CLOUDWATCH_METRIC",
                cloudwatchAlarmName: lagAlarm.name,
                cloudwatchAlarmRegion: args.drRegion,
                insufficientDataHealthStatus: "Unhealthy",
                tags: tags("health"),
            },
            parent,
        );

        const alarmNames: pulumi.Input<string>[] = [lagAlarm.name];
        if (args.healthCheckMonitoringProvider !== undefined) {
            // Route 53 publishes HealthCheckStatus in us-east-1 only, and an alarm watches metrics of its own region:
            // the alarm is declared there, and an EventBridge rule there forwards its state changes to the DR region's
            // default bus, where the trigger rule below delivers them to the function. Only these five resources use
            // this provider; nothing that stores data does.
            // @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
            // @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
            const monitoring = { parent: this, provider: args.healthCheckMonitoringProvider };
            const definition = healthCheckAlarm<pulumi.Input<string>>({
                key: "failover",
                healthCheckId: healthCheck.id,
                what: `the primary database region (${args.primaryRegion}), through the replication-lag alarm`,
            });
            const healthAlarm = new aws.cloudwatch.MetricAlarm(
                `${name}-health`,
                {
                    name: healthAlarmName,
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
                    // No alarm actions: a topic here would be a second copy of the alert path outside the UK and EU.
                    // EventBridge receives every state change whatever the actions.
                    tags: tags("health-check"),
                },
                monitoring,
            );
            alarmNames.push(healthAlarm.name);
            // A bus in another region is a target like any other: its ARN, and a role EventBridge assumes to call
            // PutEvents on it. Same account: the default bus accepts its own account's events, so no policy on the
            // receiving bus is needed.
            // @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
            // @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
            const bus = pulumi.interpolate`arn:${partition}:events:${args.drRegion}:${accountId}:event-bus/default`;
            const forwardRole = new aws.iam.Role(
                `${name}-forward`,
                {
                    assumeRolePolicy: accountId.apply((id) => toJson(serviceTrustPolicy("events.amazonaws.com", id))),
                    description: `FailoverOrchestrator: forwards the health-check alarm from ${ROUTE53_METRICS_REGION} to the ${args.drRegion} event bus`,
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
                    description: `Forwards the health-check alarm to the ${args.drRegion} event bus, where the failover orchestrator runs`,
                    eventPattern: healthAlarm.name.apply((alarm) => JSON.stringify(alarmPattern([alarm]))),
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
        }

        const rule = new aws.cloudwatch.EventRule(
            `${name}-trigger`,
            {
                description: `Delivers the failover alarms to the orchestrator (${mode} mode)`,
                eventPattern: pulumi.all(alarmNames).apply((names) => JSON.stringify(alarmPattern(names))),
                tags: tags("trigger"),
            },
            parent,
        );
        const permission = new aws.lambda.Permission(
            `${name}-trigger`,
            {
                function: fn.name,
                action: "lambda:InvokeFunction",
                principal: "events.amazonaws.com",
                sourceArn: rule.arn,
            },
            parent,
        );
        new aws.cloudwatch.EventTarget(`${name}-trigger`, { rule: rule.name, arn: fn.arn }, { ...parent, dependsOn: [permission] });

        this.functionName = fn.name;
        this.functionArn = fn.arn;
        this.roleArn = role.arn;
        this.lockTableName = lockTable.name;
        this.deadLetterQueueArn = deadLetterQueue.arn;
        this.hostedZoneId = zone.zoneId;
        this.writerRecordName = record.fqdn;
        this.replicationLagAlarmName = lagAlarm.name;
        this.healthCheckId = healthCheck.id;
        this.registerOutputs({
            functionName: this.functionName,
            functionArn: this.functionArn,
            roleArn: this.roleArn,
            lockTableName: this.lockTableName,
            deadLetterQueueArn: this.deadLetterQueueArn,
            hostedZoneId: this.hostedZoneId,
            writerRecordName: this.writerRecordName,
            replicationLagAlarmName: this.replicationLagAlarmName,
            healthCheckId: this.healthCheckId,
        });
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
