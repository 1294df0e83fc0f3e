/**
 * Monitoring that turns the audit record into action (HIPAA 164.312(b) audit controls, 164.308(a)(1)(ii)(D)
 * information system activity review, 164.308(a)(6)(ii) response and reporting): every alarm notifies someone,
 * threat detection runs wherever the stack keeps data, the failover function's failures and load are bounded
 * and visible, and failed secret rotations alert. Database OS metrics (Enhanced Monitoring) are recommended.
 */
import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, refersTo, regionOf } from "./lib/resources";
import { T } from "./lib/types";
import { entries, get, isOnByDefault, isSet, num, objectOf, records, str, strings } from "./lib/values";

const ALARM_TYPES = [T.metricAlarm, T.compositeAlarm] as const;

/**
 * The EventBridge rules of the stack that act on an alarm's state changes: a rule in the alarm's region (alarm
 * events go to the default bus of their own region) whose pattern is for CloudWatch alarm state changes and names
 * the alarm, and that has at least one target. EventBridge receives these events whether or not the alarm has
 * actions, so such a rule is an alarm action by another route.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
function ruleActsOn(alarm: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
    const name = str(alarm.props["name"]) ?? str(alarm.props["id"]);
    const arn = str(alarm.props["arn"]);
    const region = regionOf(alarm.props, alarm.provider);
    return resources.find((rule) => {
        if (rule.type !== T.eventRule || regionOf(rule.props, rule.provider) !== region) {
            return false;
        }
        const pattern = objectOf(rule.props["eventPattern"]);
        const matches =
            strings(pattern?.["source"]).includes("aws.cloudwatch") &&
            strings(pattern?.["detail-type"]).includes("CloudWatch Alarm State Change") &&
            ((name !== undefined && strings(get(pattern, "detail", "alarmName")).includes(name)) ||
                (arn !== undefined && strings(pattern?.["resources"]).includes(arn)));
        return matches && resources.some((t) => t.type === T.eventTarget && refersTo(t, "rule", rule, ["name", "id"]));
    });
}

/**
 * cdk-nag asks for an enabled action; the AWS Config conformance pack (alarmActionRequired and
 * insufficientDataActionRequired both true) also wants INSUFFICIENT_DATA acted on. An alarm that sets
 * `treatMissingData` to breaching, notBreaching or ignore does not go to INSUFFICIENT_DATA when its metric stops,
 * which is what that parameter guards against, so either is accepted. An alarm whose state changes an EventBridge
 * rule with a target acts on (the Route 53 health-check alarm in us-east-1, forwarded to the failover function's
 * region) has its action by that route.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
 */
export const cloudWatchAlarmActions = stackPolicy({
    name: "cloudwatch-alarm-actions",
    description:
        "Every CloudWatch alarm notifies when it fires (an enabled alarm action, or an EventBridge rule with a target for its state changes) and cannot sit silently in INSUFFICIENT_DATA.",
    remediationSteps:
        "Add the region's alert topic ARN to alarmActions (and leave actionsEnabled unset), or route its state changes with an EventBridge rule and target; on metric alarms, set treatMissingData (breaching or notBreaching) or insufficientDataActions.",
    metadata: {
        concern: "monitoring",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"],
        checks: "Each alarm has alarmActions with actionsEnabled not false, or an EventBridge rule with a target matching its state changes; metric alarms set insufficientDataActions or a treatMissingData other than missing",
        resourceTypes: [...ALARM_TYPES, T.eventRule, T.eventTarget],
        cdkNag: ["CloudWatchAlarmAction"],
        awsConfig: ["cloudwatch-alarm-action-check"],
        docs: [
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html",
        ],
    },
    validate: ({ resources }, report) => {
        for (const alarm of resources.filter((r) => (ALARM_TYPES as readonly string[]).includes(r.type))) {
            const props = alarm.props;
            const disabled = props["actionsEnabled"] === false || props["actionsEnabled"] === "false";
            // An action unknown at preview is the ARN of a resource of the stack (its alert topic): it notifies.
            const hasActions = entries(props["alarmActions"]).length > 0;
            if ((!hasActions || disabled) && ruleActsOn(alarm, resources) === undefined) {
                report(
                    disabled && hasActions
                        ? `${describe(alarm)}'s actions are disabled: remove actionsEnabled: false so that it notifies when it fires.`
                        : `${describe(alarm)} has no alarm action: add the region's alert SNS topic ARN to alarmActions (or route its state changes with an EventBridge rule and target).`,
                    alarm.urn,
                );
            }
            if (alarm.type === T.metricAlarm) {
                const treatMissingData = str(props["treatMissingData"]) ?? "missing";
                if (treatMissingData === "missing" && strings(props["insufficientDataActions"]).length === 0) {
                    report(
                        `${describe(alarm)} goes to INSUFFICIENT_DATA without notifying anyone when its metric stops: set treatMissingData (breaching or notBreaching) or add insufficientDataActions.`,
                        alarm.urn,
                    );
                }
            }
        }
    },
});

/** Resource types that keep data; GuardDuty's S3, RDS and network protections are regional. */
const DATA_STORE_TYPES: readonly string[] = [
    T.bucket,
    T.bucketV2,
    T.rdsCluster,
    T.rdsInstance,
    T.dynamoTable,
    T.backupVault,
    T.secret,
    T.vpc,
];

/**
 * GuardDuty is a regional service: a detector covers the account in its own region only. Regions where the stack
 * only places control-plane resources (an alarm for a Route 53 health check in us-east-1, say) are not required.
 * @see https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html
 */
export const guardDutyEnabled = stackPolicy({
    name: "guardduty-enabled",
    description:
        "Every region where the stack keeps data (buckets, databases, tables, vaults, secrets, VPCs) has an enabled GuardDuty detector.",
    remediationSteps:
        "Declare an aws.guardduty.Detector with enable: true in each such region (the RegionalMonitoring component does), or, where the account's own detector is used (healthcare-dr:monitoring.guardDuty: existing), list the region in existingDetectorRegions.",
    configSchema: {
        properties: {
            existingDetectorRegions: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Regions whose GuardDuty detector exists outside the stack (one per account and region, e.g. managed by the organisation's delegated administrator): the stack attests to it with monitoring.guardDuty: existing.",
            },
        },
    },
    metadata: {
        concern: "monitoring",
        hipaa: ["164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(B)", "164.308(a)(6)(ii)", "164.312(b)"],
        checks: "Each region of a bucket, RDS cluster/instance, DynamoDB table, Backup vault, secret or VPC has a Detector with enable not false",
        resourceTypes: [T.guardDutyDetector, ...DATA_STORE_TYPES],
        awsConfig: ["guardduty-enabled-centralized"],
        docs: ["https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_settingup.html"],
    },
    validate: (args, report) => {
        const { resources } = args;
        const { existingDetectorRegions } = args.getConfig<{ existingDetectorRegions: string[] }>();
        const covered = new Set([
            ...existingDetectorRegions,
            ...resources
                .filter((r) => r.type === T.guardDutyDetector && isOnByDefault(r.props["enable"]))
                .map((d) => regionOf(d.props, d.provider))
                .filter((region): region is string => region !== undefined),
        ]);
        const needed = new Map<string, string[]>();
        for (const r of resources.filter((x) => DATA_STORE_TYPES.includes(x.type))) {
            const region = regionOf(r.props, r.provider);
            if (region !== undefined && !covered.has(region)) {
                needed.set(region, [...(needed.get(region) ?? []), describe(r)]);
            }
        }
        for (const [region, stores] of needed) {
            report(
                `No enabled GuardDuty detector in ${region}, where the stack keeps ${stores.slice(0, 3).join(", ")}${stores.length > 3 ? ` and ${stores.length - 3} more` : ""}: declare an aws.guardduty.Detector with enable: true there.`,
            );
        }
    },
});

/**
 * A reserved concurrency caps how many copies of a function run at once (and guarantees it that many), which keeps
 * a runaway trigger from exhausting the account's concurrency. A recommendation: cdk-nag and AWS Config flag it,
 * but whether a cap fits depends on the function. Pulumi's default of -1 means unreserved; 0 means never runs.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export const lambdaConcurrency = resourcePolicy({
    name: "lambda-concurrency-limit",
    description: "Lambda functions set a function-level concurrency limit (reservedConcurrentExecutions of at least 1).",
    enforcementLevel: "advisory",
    remediationSteps: "Set reservedConcurrentExecutions to the most copies the function may run at once (1 for the failover orchestrator).",
    metadata: {
        concern: "monitoring",
        hipaa: ["164.312(b)"],
        checks: "reservedConcurrentExecutions >= 1",
        resourceTypes: [T.lambdaFunction],
        cdkNag: ["LambdaConcurrency"],
        awsConfig: ["lambda-concurrency-check"],
        docs: ["https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"],
    },
    validate: ({ props }, report) => {
        const reserved = num(props["reservedConcurrentExecutions"]);
        if (reserved === undefined || reserved < 0) {
            report("The function has no concurrency limit: set reservedConcurrentExecutions to the most copies it may run at once.");
        } else if (reserved === 0) {
            report("The function's reservedConcurrentExecutions is 0, which throttles every invocation: set it to at least 1.");
        }
    },
});

/**
 * An asynchronous invocation that fails every retry is dropped unless the function has a dead-letter queue; the DLQ
 * keeps the event for an operator (and an alarm on its depth says one is there).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
 */
export const lambdaDeadLetterQueue = resourcePolicy({
    name: "lambda-dead-letter-queue",
    description: "Lambda functions have a dead-letter queue (SQS queue or SNS topic) for asynchronous invocations that fail every retry.",
    enforcementLevel: "advisory",
    remediationSteps: "Set deadLetterConfig.targetArn to an encrypted SQS queue (and alarm on its ApproximateNumberOfMessagesVisible).",
    metadata: {
        concern: "monitoring",
        hipaa: ["164.312(b)"],
        checks: "deadLetterConfig.targetArn is set",
        resourceTypes: [T.lambdaFunction],
        cdkNag: ["LambdaDlq"],
        awsConfig: ["lambda-dlq-check"],
        docs: ["https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"],
    },
    validate: ({ props }, report) => {
        // Unknown at preview: the ARN of a queue or topic the stack creates.
        if (!isSet(get(props, "deadLetterConfig", "targetArn"))) {
            report("The function has no dead-letter queue: set deadLetterConfig.targetArn to an SQS queue or SNS topic.");
        }
    },
});

/**
 * Enhanced Monitoring adds the database hosts' OS metrics (CPU by process, memory, I/O) at up to one-second
 * granularity; a recommendation, as Performance Insights and the CloudWatch alarms already watch the databases.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.html
 */
export const rdsEnhancedMonitoring = resourcePolicy({
    name: "rds-enhanced-monitoring",
    description: "Aurora and RDS instances have Enhanced Monitoring on (monitoringInterval above 0 with a monitoring role).",
    enforcementLevel: "advisory",
    remediationSteps:
        "Set monitoringInterval (e.g. 60) and monitoringRoleArn to a role with the AmazonRDSEnhancedMonitoringRole policy on each instance.",
    metadata: {
        concern: "monitoring",
        hipaa: ["164.312(b)"],
        checks: "monitoringInterval > 0 and monitoringRoleArn set",
        resourceTypes: [T.rdsClusterInstance, T.rdsInstance],
        cdkNag: ["RDSEnhancedMonitoringEnabled"],
        awsConfig: ["rds-enhanced-monitoring-enabled"],
        docs: ["https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.Enabling.html"],
    },
    validate: ({ props }, report) => {
        const interval = num(props["monitoringInterval"]) ?? 0;
        if (interval <= 0) {
            report("The instance has no Enhanced Monitoring: set monitoringInterval (e.g. 60) and monitoringRoleArn.");
        } else if (!isSet(props["monitoringRoleArn"])) {
            report("Enhanced Monitoring needs a role to publish with: set monitoringRoleArn.");
        }
    },
});

/**
 * Active tracing samples and records every invocation of a function in AWS X-Ray, so that what a function did (each
 * AWS call, its latency and error) can be reviewed afterwards: for the function that can promote the database, the
 * record of a failover. Scanners (Checkov CKV_AWS_50, Security Hub Lambda) flag functions without it.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
 */
export const lambdaTracingActive = resourcePolicy({
    name: "lambda-tracing-active",
    description: "Lambda functions trace every invocation with AWS X-Ray (tracingConfig.mode Active).",
    remediationSteps:
        'Set tracingConfig: { mode: "Active" } on the function and allow its role xray:PutTraceSegments and xray:PutTelemetryRecords.',
    metadata: {
        concern: "monitoring",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)"],
        checks: "tracingConfig.mode is Active",
        resourceTypes: [T.lambdaFunction],
        docs: ["https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"],
    },
    validate: ({ name, type, props }, report) => {
        const mode = str(get(props, "tracingConfig", "mode"));
        if (mode !== "Active") {
            report(
                `${describe({ type, name })} is not traced (tracingConfig.mode is ${mode ?? "unset, PassThrough"}): set tracingConfig.mode to Active.`,
            );
        }
    },
});

/** The event Secrets Manager sends (via CloudTrail) when a rotation fails. */
const ROTATION_FAILED = "RotationFailed";

/** True for an enabled EventBridge rule matching Secrets Manager's RotationFailed events, with a target. */
function routesRotationFailures(rule: PolicyResource, resources: readonly PolicyResource[]): boolean {
    const pattern = objectOf(rule.props["eventPattern"]);
    const detailTypes = strings(pattern?.["detail-type"]);
    const eventNames = strings(get(pattern, "detail", "eventName"));
    const state = str(rule.props["state"]);
    return (
        strings(pattern?.["source"]).includes("aws.secretsmanager") &&
        (detailTypes.length === 0 || detailTypes.includes("AWS Service Event via CloudTrail")) &&
        (eventNames.length === 0 || eventNames.includes(ROTATION_FAILED)) &&
        state !== "DISABLED" &&
        resources.some((t) => t.type === T.eventTarget && refersTo(t, "rule", rule, ["name", "id"]))
    );
}

/**
 * A failed rotation leaves the secret on its current password, so nothing fails at once and nobody notices until the
 * credentials are stale or a rotation is needed in earnest. Secrets Manager reports it as a `RotationFailed` event
 * (through CloudTrail, to EventBridge in the secret's region), so every region where a secret rotates, or holds a
 * replica of a rotating secret (which a failover may promote there), needs an enabled rule on that event with a target.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const secretsRotationFailureAlerts = stackPolicy({
    name: "secrets-rotation-failure-alerts",
    description:
        "Every region where a secret rotates, or holds a replica of one that does, has an enabled EventBridge rule on Secrets Manager's RotationFailed events with a target (an alert topic).",
    remediationSteps:
        'Declare in each such region an aws.cloudwatch.EventRule with eventPattern { source: ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"], detail: { eventName: ["RotationFailed"] } } and an EventTarget to the region\'s alert topic (RegionalMonitoring does).',
    metadata: {
        concern: "monitoring",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"],
        checks: "Regions of SecretRotations and of the replicas of rotated secrets each have an enabled EventRule on aws.secretsmanager RotationFailed with an EventTarget",
        resourceTypes: [T.secret, T.secretRotation, T.eventRule, T.eventTarget],
        docs: [
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html",
        ],
    },
    validate: ({ resources }, report) => {
        const secrets = resources.filter((r) => r.type === T.secret);
        const needed = new Map<string, string>();
        for (const rotation of resources.filter((r) => r.type === T.secretRotation)) {
            const secret = secrets.find((s) => refersTo(rotation, "secretId", s, ["arn", "id"]));
            const home = regionOf(rotation.props, rotation.provider);
            const replicas = secret === undefined ? [] : records(secret.props["replicas"]).map((r) => str(r["region"]));
            for (const region of [home, ...replicas]) {
                if (region !== undefined && !needed.has(region)) {
                    needed.set(region, describe(secret ?? rotation));
                }
            }
        }
        const covered = new Set(
            resources
                .filter((r) => r.type === T.eventRule && routesRotationFailures(r, resources))
                .map((r) => regionOf(r.props, r.provider))
                .filter((region): region is string => region !== undefined),
        );
        for (const [region, what] of needed) {
            if (!covered.has(region)) {
                report(
                    `No enabled EventBridge rule in ${region} sends Secrets Manager's ${ROTATION_FAILED} events to a target, so a failed rotation of ${what} there goes unnoticed: add one to the region's alert topic.`,
                );
            }
        }
    },
});

/**
 * Container Insights collects the cluster's, services' and tasks' CPU, memory, network and task counts as CloudWatch
 * metrics: what an operator (and an alarm) needs to see whether the application runs, and what a failover scaled up.
 * `enhanced` adds container-level metrics and includes what `enabled` collects.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html
 */
export const ecsContainerInsights = resourcePolicy({
    name: "ecs-cluster-container-insights",
    description: "ECS clusters collect Container Insights metrics (setting containerInsights enabled or enhanced).",
    remediationSteps: 'Set settings: [{ name: "containerInsights", value: "enhanced" }] (or "enabled") on the cluster.',
    metadata: {
        concern: "monitoring",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)"],
        checks: "Cluster settings has containerInsights with value enabled or enhanced",
        resourceTypes: [T.ecsCluster],
        awsConfig: ["ecs-container-insights-enabled"],
        docs: ["https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html"],
    },
    validate: ({ props }, report) => {
        const setting = records(props["settings"]).find((s) => s["name"] === "containerInsights");
        const value = str(setting?.["value"]);
        if (value !== "enabled" && value !== "enhanced") {
            report(
                `The cluster does not collect Container Insights metrics (${value === undefined ? "no containerInsights setting" : `containerInsights is ${value}`}): add the setting containerInsights with value enhanced or enabled.`,
            );
        }
    },
});

/** The event AWS Config sends to EventBridge, in the rule's region, when a rule's evaluation of a resource changes. */
const COMPLIANCE_CHANGE = "Config Rules Compliance Change";

/**
 * True for an enabled EventBridge rule matching AWS Config's compliance-change events that become NON_COMPLIANT
 * (a pattern without a complianceType filter matches them too), with a target that is an SNS topic of the stack.
 */
function routesNonCompliance(rule: PolicyResource, resources: readonly PolicyResource[]): boolean {
    const pattern = objectOf(rule.props["eventPattern"]);
    const detailTypes = strings(pattern?.["detail-type"]);
    const compliance = strings(get(pattern, "detail", "newEvaluationResult", "complianceType"));
    const topics = resources.filter((r) => r.type === T.snsTopic);
    return (
        strings(pattern?.["source"]).includes("aws.config") &&
        (detailTypes.length === 0 || detailTypes.includes(COMPLIANCE_CHANGE)) &&
        (compliance.length === 0 || compliance.includes("NON_COMPLIANT")) &&
        str(rule.props["state"]) !== "DISABLED" &&
        resources.some(
            (t) =>
                t.type === T.eventTarget &&
                refersTo(t, "rule", rule, ["name", "id"]) &&
                topics.some((topic) => refersTo(t, "arn", topic, ["arn", "id"])),
        )
    );
}

/**
 * A Config rule that finds a resource non-compliant changes nothing by itself: the finding waits in the console until
 * someone looks. AWS Config sends a "Config Rules Compliance Change" event to EventBridge in the rule's region, so
 * every region where the stack deploys Config rules or a conformance pack (whose rules send the same events) needs an
 * enabled rule on NON_COMPLIANT results with the region's alert topic as a target.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-config.html
 */
export const awsConfigNonComplianceAlerts = stackPolicy({
    name: "aws-config-noncompliance-alerts",
    description:
        "Every region where the stack deploys AWS Config rules or conformance packs has an enabled EventBridge rule sending NON_COMPLIANT compliance changes to an alert topic.",
    remediationSteps:
        'Declare in each such region an aws.cloudwatch.EventRule with eventPattern { source: ["aws.config"], "detail-type": ["Config Rules Compliance Change"], detail: { newEvaluationResult: { complianceType: ["NON_COMPLIANT"] } } } and an EventTarget to the region\'s alert topic.',
    metadata: {
        concern: "monitoring",
        hipaa: ["164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"],
        checks: "Regions of cfg Rules and ConformancePacks each have an enabled EventRule on aws.config Config Rules Compliance Change matching NON_COMPLIANT, with an EventTarget to an SNS topic of the stack",
        resourceTypes: [T.configRule, T.configConformancePack, T.eventRule, T.eventTarget, T.snsTopic],
        docs: [
            "https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html",
            "https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-config.html",
        ],
    },
    validate: ({ resources }, report) => {
        const needed = new Map<string, string>();
        for (const r of resources.filter((r) => r.type === T.configRule || r.type === T.configConformancePack)) {
            const region = regionOf(r.props, r.provider);
            if (region !== undefined && !needed.has(region)) {
                needed.set(region, describe(r));
            }
        }
        const covered = new Set(
            resources
                .filter((r) => r.type === T.eventRule && routesNonCompliance(r, resources))
                .map((r) => regionOf(r.props, r.provider))
                .filter((region): region is string => region !== undefined),
        );
        for (const [region, what] of needed) {
            if (!covered.has(region)) {
                report(
                    `No enabled EventBridge rule in ${region} sends AWS Config's NON_COMPLIANT "${COMPLIANCE_CHANGE}" events to an alert topic, so what ${what} finds there reaches nobody: add one with the region's alert topic as its target.`,
                );
            }
        }
    },
});

export const monitoringPolicies: readonly PackPolicy[] = [
    cloudWatchAlarmActions,
    guardDutyEnabled,
    lambdaConcurrency,
    lambdaDeadLetterQueue,
    rdsEnhancedMonitoring,
    lambdaTracingActive,
    secretsRotationFailureAlerts,
    ecsContainerInsights,
    awsConfigNonComplianceAlerts,
];
