/**
 * The alarms of the program and the metrics they watch, as data. Pure functions: the components turn each
 * `AlarmDefinition` into an `aws.cloudwatch.MetricAlarm`, and the dashboards plot the very same `MetricDefinition`s,
 * so a threshold or a dimension changed here changes the alarm and its graph together.
 *
 * The dimension type `D` is `string` in tests and dashboards, `pulumi.Input<string>` where a component still waits
 * for an identifier.
 *
 * Every alarm names its section of `docs/runbook.md` in its description, and says how missing data is treated and why.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
 */
import { HEALTH_CHECK_ALARM } from "./failover";
import { SYSTEM_ERROR_OPERATIONS } from "./tables";

export type Statistic = "Average" | "Minimum" | "Maximum" | "Sum";
export type ComparisonOperator =
    "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
export type TreatMissingData = "breaching" | "notBreaching" | "ignore" | "missing";

/** A CloudWatch metric, as alarms watch it and dashboards plot it. */
export interface MetricDefinition<D = string> {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, D>>;
    readonly statistic: Statistic;
    /** Seconds; 60 or a multiple of 60 (standard resolution, which Route 53 health checks also require). */
    readonly period: number;
    /** What the graph shows, for people. */
    readonly label: string;
}

/** A CloudWatch alarm, as the arguments of `aws.cloudwatch.MetricAlarm` that do not depend on the stack. */
export interface AlarmDefinition<D = string> {
    /** Suffix of the alarm's logical name, unique within a region, e.g. `db-writer-cpu`. */
    readonly key: string;
    /** The metric watched; with `sumOf`, what the sum is (its statistic, period and label). */
    readonly metric: MetricDefinition<D>;
    /**
     * When set, the alarm watches the sum of these metrics (CloudWatch metric math, at most 10 of them), each read with
     * `metric`'s statistic and period: for a count DynamoDB publishes per operation only.
     * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
     */
    readonly sumOf?: readonly MetricDefinition<D>[];
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly threshold: number;
    readonly comparisonOperator: ComparisonOperator;
    readonly treatMissingData: TreatMissingData;
    /** Why missing data is treated as it is; repeated in the description. */
    readonly missingDataReason: string;
    /** The section of `docs/runbook.md` that says what to do. */
    readonly runbookSection: RunbookSection;
    /** What it means, how missing data counts, and the runbook section (at most 1024 characters). */
    readonly description: string;
}

export const RUNBOOK_PATH = "docs/runbook.md";

/**
 * Titles of the runbook sections (level-2 headings of `docs/runbook.md`), one per alarm and per event rule.
 * Tests check that each exists.
 */
export const RUNBOOK_SECTIONS = {
    writerCpu: "Database writer CPU high",
    connections: "Database connections near the limit",
    capacityAtMax: "Database capacity pinned at maximum",
    replicationLag: "Global database replication lag above the RPO",
    freeLocalStorage: "Database free local storage low",
    deadlocks: "Database deadlocks",
    s3ReplicationLatency: "S3 replication latency above the RPO",
    s3ReplicationFailed: "S3 replication failed operations",
    backupJobFailed: "AWS Backup job failed",
    secretRotationFailed: "Secret rotation failed",
    orchestratorErrors: "Failover orchestrator errors",
    orchestratorThrottles: "Failover orchestrator throttled",
    orchestratorDeadLetters: "Failover orchestrator dead-letter queue not empty",
    healthCheck: "Route 53 health check failing",
    heartbeat: "Database heartbeat silent",
    guardDutyFinding: "GuardDuty high-severity finding",
    tableReplicationLatency: "Global table replication latency above the RPO",
    tableThrottles: "Global table throttled",
    tableSystemErrors: "Global table system errors",
    budget: "Monthly budget alert",
    configNonCompliant: "AWS Config rule non-compliant",
} as const;
export type RunbookSection = (typeof RUNBOOK_SECTIONS)[keyof typeof RUNBOOK_SECTIONS];

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
export function runbookAnchor(section: string): string {
    return section
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, "")
        .replace(/ /g, "-");
}

/** How an alarm or a rule names its runbook section, e.g. `Runbook: docs/runbook.md#database-deadlocks`. */
export function runbookReference(section: RunbookSection): string {
    return `Runbook: ${RUNBOOK_PATH}#${runbookAnchor(section)} ("${section}").`;
}

/** CloudWatch's limit on `AlarmDescription`. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html */
export const MAX_ALARM_DESCRIPTION_LENGTH = 1024;

function describe(what: string, missingDataReason: string, section: RunbookSection): string {
    const text = `${what} Missing data: ${missingDataReason} ${runbookReference(section)}`;
    if (text.length > MAX_ALARM_DESCRIPTION_LENGTH) {
        throw new Error(
            `The description of the alarm "${section}" is ${text.length} characters; CloudWatch allows ${MAX_ALARM_DESCRIPTION_LENGTH}.`,
        );
    }
    return text;
}

/** PutMetricAlarm: an alarm's metric math may retrieve at most 10 metrics. */
export const MAX_ALARM_METRICS = 10;

function alarm<D>(def: Omit<AlarmDefinition<D>, "description"> & { readonly what: string }): AlarmDefinition<D> {
    const { what, ...rest } = def;
    if (rest.sumOf !== undefined && (rest.sumOf.length === 0 || rest.sumOf.length > MAX_ALARM_METRICS)) {
        throw new Error(`Alarm ${rest.key}: sums ${rest.sumOf.length} metrics; an alarm reads 1 to ${MAX_ALARM_METRICS}.`);
    }
    if (rest.datapointsToAlarm > rest.evaluationPeriods) {
        throw new Error(
            `Alarm ${rest.key}: datapointsToAlarm (${rest.datapointsToAlarm}) must not exceed evaluationPeriods (${rest.evaluationPeriods}).`,
        );
    }
    return { ...rest, description: describe(what, rest.missingDataReason, rest.runbookSection) };
}

/** Memory of one Aurora capacity unit: about 2 GiB. @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html */
export const ACU_MEMORY_BYTES = 2 * 1024 ** 3;

/**
 * `max_connections` of an Aurora PostgreSQL Serverless v2 instance: the default formula
 * `LEAST({DBInstanceClassMemory/9531392}, 5000)` evaluated at the memory of the maximum capacity (Aurora sizes
 * `max_connections` for the maximum ACU, so it does not change while the instance scales). `DBInstanceClassMemory`
 * is somewhat less than the nominal memory, so this is an upper estimate; the alarm's share leaves the margin.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html#aurora-serverless-v2.max-connections
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
 */
export function serverlessMaxConnections(maxCapacityAcu: number): number {
    if (!(maxCapacityAcu > 0)) {
        throw new Error(`Invalid value for maxCapacity: ${maxCapacityAcu}. Give a positive number of ACUs.`);
    }
    return Math.min(Math.floor((maxCapacityAcu * ACU_MEMORY_BYTES) / 9531392), 5000);
}

export interface DatabaseAlarmArgs<D> {
    /** The cluster's identifier (dimension `DBClusterIdentifier`). */
    readonly clusterIdentifier: D;
    /** The cluster for people, e.g. `primary cluster (eu-west-2)`. */
    readonly where: string;
    /** Maximum Serverless v2 capacity of the cluster's instances, ACU. */
    readonly maxCapacity: number;
    /** Writer CPU threshold, percent. */
    readonly cpuPercent: number;
    /** Share of `max_connections`, percent. */
    readonly connectionsPercent: number;
    /** Free local storage threshold, MiB. */
    readonly freeLocalStorageMiB: number;
}

/** Five minutes: RDS publishes every minute; five smooths a burst without hiding a trend. */
export const DATABASE_PERIOD_SECONDS = 300;

/**
 * The alarms of one Aurora cluster. RDS publishes instance metrics aggregated per cluster (`DBClusterIdentifier`) and
 * per cluster and role (`Role` = `WRITER` or `READER`): the writer's alarms follow the writer through a failover,
 * whichever instance holds it.
 *
 * Missing data is "not breaching" for all of them: a secondary cluster has no writer (and, headless, no instance)
 * until it is promoted, and the loss of a whole cluster is the business of the health checks and the replication-lag
 * alarm, not of these capacity alarms.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.viewing.monitoring.html
 */
export function databaseAlarms<D>(args: DatabaseAlarmArgs<D>): AlarmDefinition<D>[] {
    const cluster = { DBClusterIdentifier: args.clusterIdentifier };
    const writer = { DBClusterIdentifier: args.clusterIdentifier, Role: "WRITER" as D };
    const rds = (metricName: string, statistic: Statistic, label: string, dimensions: Readonly<Record<string, D>>) => ({
        namespace: "AWS/RDS",
        metricName,
        dimensions,
        statistic,
        period: DATABASE_PERIOD_SECONDS,
        label,
    });
    const noWriter =
        "not breaching: a secondary has no writer (or no instance) until promoted, and losing the cluster is caught by the health checks.";
    const maxConnections = serverlessMaxConnections(args.maxCapacity);
    const connections = Math.floor((maxConnections * args.connectionsPercent) / 100);
    return [
        alarm<D>({
            key: "db-writer-cpu",
            metric: rds("CPUUtilization", "Average", "Writer CPU (%)", writer),
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            threshold: args.cpuPercent,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: noWriter,
            runbookSection: RUNBOOK_SECTIONS.writerCpu,
            what: `Aurora writer of the ${args.where}: CPU above ${args.cpuPercent}% on average for 15 minutes; queries slow down and capacity may be pinned at maximum.`,
        }),
        alarm<D>({
            key: "db-connections",
            metric: rds("DatabaseConnections", "Maximum", "Connections (max of instances)", cluster),
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            threshold: connections,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: noWriter,
            runbookSection: RUNBOOK_SECTIONS.connections,
            what: `Aurora ${args.where}: an instance holds more than ${connections} connections for 10 minutes, ${args.connectionsPercent}% of the ${maxConnections} that max_connections allows at ${args.maxCapacity} ACU; new connections will soon be refused.`,
        }),
        alarm<D>({
            key: "db-capacity-at-max",
            metric: rds("ServerlessDatabaseCapacity", "Minimum", "Serverless v2 capacity (ACU, min)", cluster),
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            threshold: args.maxCapacity,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: noWriter,
            runbookSection: RUNBOOK_SECTIONS.capacityAtMax,
            what: `Aurora ${args.where}: Serverless v2 capacity pinned at its maximum of ${args.maxCapacity} ACU for 15 minutes; the database cannot scale further.`,
        }),
        alarm<D>({
            key: "db-free-local-storage",
            metric: rds("FreeLocalStorage", "Minimum", "Free local storage (bytes, min)", cluster),
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            threshold: args.freeLocalStorageMiB * 1024 * 1024,
            comparisonOperator: "LessThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: noWriter,
            runbookSection: RUNBOOK_SECTIONS.freeLocalStorage,
            what: `Aurora ${args.where}: an instance has less than ${args.freeLocalStorageMiB} MiB of local storage (temporary files, logs) for 10 minutes; large sorts and joins will fail.`,
        }),
        alarm<D>({
            key: "db-deadlocks",
            metric: rds("Deadlocks", "Maximum", "Writer deadlocks (per second)", writer),
            evaluationPeriods: 3,
            datapointsToAlarm: 2,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: noWriter,
            runbookSection: RUNBOOK_SECTIONS.deadlocks,
            what: `Aurora writer of the ${args.where}: deadlocks in 2 of the last 3 five-minute periods; transactions are being rolled back.`,
        }),
    ];
}

/**
 * `AuroraGlobalDBReplicationLag` of the secondary cluster above the recovery point objective. The metric is in
 * milliseconds and is published for the secondary cluster, in the secondary's region.
 *
 * Missing data is "notBreaching": a cluster publishes lag only while it is a secondary, and either region's cluster can
 * be the writer, which publishes none; the same alarm must be quiet on the writer and watchful on the secondary,
 * without a deploy after a failover. A writer that goes silent is caught by its heartbeat (lib/heartbeat.ts),
 * watched from the other region.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-monitoring.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
 */
export function replicationLagAlarm<D>(args: { clusterIdentifier: D; where: string; rpoSeconds: number }): AlarmDefinition<D> {
    if (!(args.rpoSeconds > 0)) {
        throw new Error(`The recovery point objective must be positive to alarm on replication lag; got ${args.rpoSeconds} s.`);
    }
    return alarm<D>({
        key: "db-replication-lag",
        metric: {
            namespace: "AWS/RDS",
            metricName: "AuroraGlobalDBReplicationLag",
            dimensions: { DBClusterIdentifier: args.clusterIdentifier },
            statistic: "Maximum",
            period: 60,
            label: "Global database replication lag (ms)",
        },
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        threshold: args.rpoSeconds * 1000,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        missingDataReason:
            "not breaching: a cluster reports lag only while it is a secondary; the writer reports none, and a silent writer is the heartbeat's to catch.",
        runbookSection: RUNBOOK_SECTIONS.replicationLag,
        what: `Aurora global database: the ${args.where} is more than the RPO (${args.rpoSeconds} s) behind the primary for 3 minutes; a failover now would lose more data than the RPO allows.`,
    });
}

/**
 * The failover orchestrator's alarms: function errors and throttles, and messages in its dead-letter queue (an
 * asynchronous invocation that failed every retry). Each is created only when its name is given.
 *
 * Missing data is "not breaching": Lambda publishes nothing when the function is not invoked, and SQS stops
 * publishing for a queue idle for six hours, which for a dead-letter queue means it is empty.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
 */
export function orchestratorAlarms<D>(args: { functionName?: D; deadLetterQueueName?: D }): AlarmDefinition<D>[] {
    const idle = "not breaching: nothing is published while the orchestrator is idle, which is its normal state.";
    // Every orchestrator alarm fires on the first datapoint above zero: one failed, throttled or dead-lettered run
    // is already an incident for a function that should run once in a disaster.
    const anyAboveZero = (
        key: string,
        metric: AlarmDefinition<D>["metric"],
        runbookSection: AlarmDefinition<D>["runbookSection"],
        what: string,
    ): AlarmDefinition<D> =>
        alarm<D>({
            key,
            metric,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: idle,
            runbookSection,
            what,
        });
    const alarms: AlarmDefinition<D>[] = [];
    const functionName = args.functionName;
    if (functionName !== undefined) {
        const lambda = (metricName: string, label: string): AlarmDefinition<D>["metric"] => ({
            namespace: "AWS/Lambda",
            metricName,
            dimensions: { FunctionName: functionName },
            statistic: "Sum",
            period: 60,
            label,
        });
        alarms.push(
            anyAboveZero(
                "orchestrator-errors",
                lambda("Errors", "Orchestrator errors"),
                RUNBOOK_SECTIONS.orchestratorErrors,
                "Failover orchestrator: an invocation failed; a failover or switchover may be half done.",
            ),
            anyAboveZero(
                "orchestrator-throttles",
                lambda("Throttles", "Orchestrator throttles"),
                RUNBOOK_SECTIONS.orchestratorThrottles,
                "Failover orchestrator: an invocation was throttled (reserved concurrency 1: another run was in progress, or the concurrency was taken away).",
            ),
        );
    }
    if (args.deadLetterQueueName !== undefined) {
        alarms.push(
            anyAboveZero(
                "orchestrator-dlq",
                {
                    namespace: "AWS/SQS",
                    metricName: "ApproximateNumberOfMessagesVisible",
                    dimensions: { QueueName: args.deadLetterQueueName },
                    statistic: "Maximum",
                    period: 300,
                    label: "Orchestrator dead letters",
                },
                RUNBOOK_SECTIONS.orchestratorDeadLetters,
                "Failover orchestrator: its dead-letter queue holds an event that failed every retry; a trigger was not acted on.",
            ),
        );
    }
    return alarms;
}

/**
 * A Route 53 health check reported unhealthy. `HealthCheckStatus` (1 healthy, 0 unhealthy) is published only in
 * us-east-1 (ROUTE53_METRICS_REGION), so this alarm lives there; the FailoverOrchestrator forwards its state changes
 * to the DR region with EventBridge rather than notifying a topic in us-east-1. Period, evaluation periods and
 * datapoints are HEALTH_CHECK_ALARM's, the figures the recovery budget counts.
 *
 * Missing data is "breaching": Route 53 publishes the status of every health check every minute; silence means the
 * check is gone or disabled, and nothing is watching the endpoint.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
 */
export function healthCheckAlarm<D>(args: { key: string; healthCheckId: D; what: string }): AlarmDefinition<D> {
    const minutes = (HEALTH_CHECK_ALARM.periodSeconds * HEALTH_CHECK_ALARM.evaluationPeriods) / 60;
    return alarm<D>({
        key: `health-check-${args.key}`,
        metric: {
            namespace: "AWS/Route53",
            metricName: "HealthCheckStatus",
            dimensions: { HealthCheckId: args.healthCheckId },
            statistic: "Minimum",
            period: HEALTH_CHECK_ALARM.periodSeconds,
            label: `Health check: ${args.what}`,
        },
        evaluationPeriods: HEALTH_CHECK_ALARM.evaluationPeriods,
        datapointsToAlarm: HEALTH_CHECK_ALARM.datapointsToAlarm,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "breaching",
        missingDataReason: "breaching: Route 53 publishes every check's status every minute; silence means the check is gone or disabled.",
        runbookSection: RUNBOOK_SECTIONS.healthCheck,
        what: `Route 53 health check of ${args.what} unhealthy for ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`,
    });
}

/** One replica of a global table, as its region's alarms see it. */
export interface GlobalTableAlarmArgs<D> {
    /** The table's name in the stack file (`healthcare-dr:tables[].name`): part of each alarm's key. */
    readonly name: string;
    /** The table's physical name, the same in both regions (dimension `TableName`). */
    readonly tableName: D;
    /** The region of this replica (where the alarms live), for people. */
    readonly region: string;
    /** The other replica's region: `ReceivingRegion` of this replica's outgoing replication. */
    readonly peerRegion: string;
    /** Recovery point objective, seconds: the replication-latency threshold. */
    readonly rpoSeconds: number;
}

/**
 * The alarms of one replica of a global table, in the replica's region:
 * - `ReplicationLatency` of the writes made here reaching the peer replica, above the RPO. DynamoDB emits it per
 *   source and destination pair (dimensions `TableName`, `ReceivingRegion`), in the source Region's CloudWatch, at a
 *   five-minute granularity; the writes at risk when this region is lost are the ones not yet received there;
 * - read and write throttle events of the table (dimension `TableName` alone: table-wide); on-demand tables throttle
 *   too, beyond the table's maximum throughput or on a hot partition, and a throttled replicated write delays
 *   replication;
 * - `SystemErrors` (HTTP 500), summed over the operations applications use (SYSTEM_ERROR_OPERATIONS).
 *
 * Missing data is "not breaching" for all of them: DynamoDB publishes these metrics only when they are not zero, and
 * replication latency only while writes replicate.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
 * @see https://docs.aws.amazon.com/prescriptive-guidance/latest/dynamodb-global-tables/overview.html
 */
export function globalTableAlarms<D>(args: GlobalTableAlarmArgs<D>): AlarmDefinition<D>[] {
    if (!(args.rpoSeconds > 0)) {
        throw new Error(`The recovery point objective must be positive to alarm on replication latency; got ${args.rpoSeconds} s.`);
    }
    if (args.region === args.peerRegion) {
        throw new Error(`Global table ${args.name}: the peer replica must be in another region than ${args.region}.`);
    }
    const table = { TableName: args.tableName };
    const dynamodb = (
        metricName: string,
        statistic: Statistic,
        period: number,
        label: string,
        dimensions: Readonly<Record<string, D>>,
    ) => ({
        namespace: "AWS/DynamoDB",
        metricName,
        dimensions,
        statistic,
        period,
        label,
    });
    const quiet = "not breaching: DynamoDB publishes these metrics only when they are not zero.";
    const throttles = (kind: "Read" | "Write"): AlarmDefinition<D> =>
        alarm<D>({
            key: `table-${args.name}-${kind.toLowerCase()}-throttles`,
            metric: dynamodb(`${kind}ThrottleEvents`, "Sum", 60, `${args.name}: ${kind.toLowerCase()} throttle events`, table),
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: quiet,
            runbookSection: RUNBOOK_SECTIONS.tableThrottles,
            what: `Global table ${args.name} (${args.region} replica): ${kind.toLowerCase()} requests throttled in 3 of the last 5 minutes; requests fail after the SDK's retries${kind === "Write" ? ", and replicated writes are delayed" : ""}.`,
        });
    return [
        alarm<D>({
            key: `table-${args.name}-replication-latency`,
            metric: dynamodb("ReplicationLatency", "Maximum", 300, `${args.name}: replication ${args.region} to ${args.peerRegion} (ms)`, {
                ...table,
                ReceivingRegion: args.peerRegion as D,
            }),
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            threshold: args.rpoSeconds * 1000,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: "not breaching: latency is published only while writes made here replicate; no writes, nothing at risk.",
            runbookSection: RUNBOOK_SECTIONS.tableReplicationLatency,
            what: `Global table ${args.name}: writes made in ${args.region} took more than the RPO (${args.rpoSeconds} s) to reach ${args.peerRegion}; losing ${args.region} now would leave more than the RPO of writes unavailable in ${args.peerRegion}.`,
        }),
        throttles("Read"),
        throttles("Write"),
        alarm<D>({
            key: `table-${args.name}-system-errors`,
            metric: dynamodb("SystemErrors", "Sum", 60, `${args.name}: system errors (all operations)`, table),
            sumOf: SYSTEM_ERROR_OPERATIONS.map((operation) =>
                dynamodb("SystemErrors", "Sum", 60, `${args.name}: ${operation} system errors`, { ...table, Operation: operation as D }),
            ),
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            missingDataReason: quiet,
            runbookSection: RUNBOOK_SECTIONS.tableSystemErrors,
            what: `Global table ${args.name} (${args.region} replica): DynamoDB answered HTTP 500 in 3 of the last 5 minutes; the replica or its region may be impaired.`,
        }),
    ];
}

/**
 * AWS Backup job counts, for the dashboards (failures themselves are reported by EventBridge, see lib/alerting.ts).
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html
 */
export const BACKUP_METRICS: readonly MetricDefinition[] = [
    ["NumberOfBackupJobsCompleted", "Backup jobs completed"],
    ["NumberOfBackupJobsFailed", "Backup jobs failed"],
    ["NumberOfCopyJobsCompleted", "Copy jobs completed"],
    ["NumberOfCopyJobsFailed", "Copy jobs failed"],
].map(([metricName, label]) => ({
    namespace: "AWS/Backup",
    metricName: metricName!,
    dimensions: {},
    statistic: "Sum",
    period: 3600,
    label: label!,
}));
