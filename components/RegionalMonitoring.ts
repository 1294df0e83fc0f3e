import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { backupFailurePattern, guardDutyHighSeverityPattern, secretRotationFailurePattern } from "../lib/alerting";
import {
    BACKUP_METRICS,
    RUNBOOK_SECTIONS,
    databaseAlarms,
    globalTableAlarms,
    orchestratorAlarms,
    replicationLagAlarm,
    runbookReference,
    type AlarmDefinition,
} from "../lib/alarms";
import { alarmGraph, dashboardBody, replicationAlarmMetric, type DashboardSection } from "../lib/dashboard";
import { physicalName } from "../lib/naming";
import { replicationAlarms } from "../lib/replication";

/** Database alarm thresholds (`healthcare-dr:alarms`). */
export interface DatabaseThresholds {
    readonly cpuPercent: number;
    readonly connectionsPercent: number;
    readonly freeLocalStorageMiB: number;
}

/** One S3 replication rule whose source bucket is in this region. */
export interface ReplicationRuleArgs {
    /** What is replicated where, for people, e.g. `clinical-documents from eu-west-2 to eu-west-1`. */
    readonly route: string;
    readonly sourceBucket: pulumi.Input<string>;
    readonly destinationBucket: pulumi.Input<string>;
    readonly ruleId: string;
}

/** This region's replica of one global table (GlobalTable). */
export interface GlobalTableReplicaArgs {
    /** The table's name in the stack file, e.g. `audit-events`. */
    readonly name: string;
    /** The table's physical name, the same in both regions. */
    readonly tableName: pulumi.Input<string>;
    /** The region of the other replica, where this replica's writes replicate to. */
    readonly peerRegion: string;
}

export interface RegionalMonitoringArgs {
    /** Pulumi stack name: part of the alarm and dashboard names. */
    readonly stack: string;
    /** `primary` or `dr`. */
    readonly role: "primary" | "dr";
    /** The AWS region code; must be the region of the provider passed in the options. */
    readonly region: string;
    /** ARN of this region's alert topic: the action of every alarm and the target of every event rule here. */
    readonly topicArn: pulumi.Input<string>;
    /**
     * This region's Aurora cluster, for the database alarms and graphs.
     * @default - no database alarms
     */
    readonly database?: {
        readonly clusterIdentifier: pulumi.Input<string>;
        /** Maximum Serverless v2 capacity, ACU. */
        readonly maxCapacity: number;
        readonly thresholds: DatabaseThresholds;
    };
    /**
     * The replication lag of this region's cluster (`database`) as a member of the global database, published here
     * while it is a secondary (either region's cluster can be): graphed, and alarmed on when `createAlarm` is true.
     * Needs `database`.
     * @default - no replication-lag graph or alarm
     */
    readonly replicationLag?: {
        readonly rpoSeconds: number;
        /** Create the alarm here; false when another component (the failover orchestrator) owns it. */
        readonly createAlarm: boolean;
    };
    /**
     * S3 replication rules whose source is in this region; graphed from the definitions of the alarms that
     * ReplicatedBucket creates (lib/replication.ts).
     * @default []
     */
    readonly s3Replication?: readonly ReplicationRuleArgs[];
    /**
     * This region's replica of each global table: its replication latency (above `rpoSeconds`), throttles and system
     * errors, alarmed on and graphed here (lib/alarms.ts `globalTableAlarms`).
     * @default []
     */
    readonly globalTables?: readonly GlobalTableReplicaArgs[];
    /** Recovery point objective, seconds: the S3 and global-table replication-latency thresholds. @default 900 */
    readonly rpoSeconds?: number;
    /**
     * The failover orchestrator: graphed on every dashboard, alarmed on when `createAlarms` is true (in its region).
     * @default - no orchestrator graphs or alarms
     */
    readonly orchestrator?: {
        readonly region: string;
        readonly functionName?: pulumi.Input<string>;
        readonly deadLetterQueueName?: pulumi.Input<string>;
        readonly createAlarms: boolean;
    };
    /**
     * `create` declares the region's GuardDuty detector; `existing` leaves the account's own detector alone (one per
     * account and region) and only routes its high-severity findings.
     * @default "create"
     */
    readonly guardDuty?: "create" | "existing";
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * What watches one region: GuardDuty (with S3 and RDS protection) and its high-severity findings, AWS Backup job
 * failures, failed secret rotations, the CloudWatch alarms on the region's database (and, where given, replication lag and the failover
 * orchestrator), all notifying the region's own alert topic, and the region's dashboard, drawn from the same metric
 * definitions as the alarms.
 */
export class RegionalMonitoring extends pulumi.ComponentResource {
    /** Name of the region's CloudWatch dashboard. */
    public readonly dashboardName: pulumi.Output<string>;
    /** Names of the alarms created here, by key (e.g. `db-writer-cpu`). */
    public readonly alarmNames: pulumi.Output<Record<string, string>>;
    /** Id of the region's GuardDuty detector; `undefined` when the account's existing detector is used. */
    public readonly detectorId: pulumi.Output<string | undefined>;

    constructor(name: string, args: RegionalMonitoringArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:RegionalMonitoring", name, {}, opts);
        const tags = (suffix: string) => ({ ...args.tags, Name: physicalName(args.stack, [args.role, suffix], 255) });

        const detector = (args.guardDuty ?? "create") === "create" ? this.guardDutyDetector(name, tags) : undefined;
        this.rule("guardduty-high-severity", guardDutyHighSeverityPattern(), RUNBOOK_SECTIONS.guardDutyFinding, name, args, tags);
        this.rule("backup-job-failed", backupFailurePattern(), RUNBOOK_SECTIONS.backupJobFailed, name, args, tags);
        // In every region: the secret rotates where it lives, and a promoted replica would rotate in the DR region.
        this.rule("secrets-rotation-failed", secretRotationFailurePattern(), RUNBOOK_SECTIONS.secretRotationFailed, name, args, tags);

        // The alarms of this region, from the pure definitions.
        const alarms: AlarmDefinition<pulumi.Input<string>>[] = [];
        if (args.database !== undefined) {
            alarms.push(...databaseAlarms({ ...this.databaseArgs(args), clusterIdentifier: args.database.clusterIdentifier }));
        }
        if (args.replicationLag !== undefined && args.database === undefined) {
            throw new pulumi.ResourceError("replicationLag is the lag of this region's cluster: it needs database", this);
        }
        if (args.replicationLag?.createAlarm === true) {
            alarms.push(replicationLagAlarm({ ...this.lagArgs(args), clusterIdentifier: args.database!.clusterIdentifier }));
        }
        if (args.orchestrator?.createAlarms === true) {
            alarms.push(...orchestratorAlarms(this.orchestratorInputs(args)));
        }
        for (const table of args.globalTables ?? []) {
            alarms.push(...globalTableAlarms({ ...this.tableArgs(args, table), tableName: table.tableName }));
        }
        const names: Record<string, pulumi.Output<string>> = {};
        for (const alarm of alarms) {
            const created = new aws.cloudwatch.MetricAlarm(
                `${name}-${alarm.key}`,
                {
                    name: physicalName(args.stack, [args.role, alarm.key], 255),
                    alarmDescription: alarm.description,
                    ...this.watched(alarm),
                    evaluationPeriods: alarm.evaluationPeriods,
                    datapointsToAlarm: alarm.datapointsToAlarm,
                    threshold: alarm.threshold,
                    comparisonOperator: alarm.comparisonOperator,
                    treatMissingData: alarm.treatMissingData,
                    // OK notifications too: the on-call engineer learns that it is over without opening the console.
                    alarmActions: [args.topicArn],
                    okActions: [args.topicArn],
                    tags: tags(alarm.key),
                },
                { parent: this },
            );
            names[alarm.key] = created.name;
        }

        // The dashboard: the same definitions, with every identifier resolved.
        const resolved = pulumi.output({
            cluster: args.database?.clusterIdentifier,
            functionName: args.orchestrator?.functionName,
            deadLetterQueueName: args.orchestrator?.deadLetterQueueName,
            tables: (args.globalTables ?? []).map((t) => ({ name: t.name, tableName: t.tableName, peerRegion: t.peerRegion })),
            rules: (args.s3Replication ?? []).map((r) => ({
                route: r.route,
                ruleId: r.ruleId,
                sourceBucket: r.sourceBucket,
                destinationBucket: r.destinationBucket,
            })),
        });
        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: physicalName(args.stack, [args.role], 255),
                dashboardBody: resolved.apply((r) =>
                    dashboardBody(
                        this.sections(args, {
                            ...(r.cluster !== undefined ? { cluster: r.cluster } : {}),
                            ...(r.functionName !== undefined ? { functionName: r.functionName } : {}),
                            ...(r.deadLetterQueueName !== undefined ? { deadLetterQueueName: r.deadLetterQueueName } : {}),
                            rules: r.rules,
                            tables: r.tables,
                        }),
                    ),
                ),
            },
            { parent: this },
        );

        this.dashboardName = dashboard.dashboardName;
        this.alarmNames = pulumi.output(names);
        this.detectorId = detector === undefined ? pulumi.output(undefined) : detector.id;
        this.registerOutputs({ dashboardName: this.dashboardName, alarmNames: this.alarmNames, detectorId: this.detectorId });
    }

    /**
     * GuardDuty, with the protection plans as detector features (the detector's `datasources` block is deprecated).
     * @see https://docs.aws.amazon.com/guardduty/latest/ug/s3-protection.html
     * @see https://docs.aws.amazon.com/guardduty/latest/ug/rds-protection.html
     * @see https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html
     */
    private guardDutyDetector(name: string, tags: (suffix: string) => Record<string, string>): aws.guardduty.Detector {
        const detector = new aws.guardduty.Detector(
            `${name}-guardduty`,
            { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES", tags: tags("guardduty") },
            { parent: this },
        );
        for (const feature of ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"]) {
            new aws.guardduty.DetectorFeature(
                `${name}-${feature.toLowerCase().replace(/_/g, "-")}`,
                { detectorId: detector.id, name: feature, status: "ENABLED" },
                { parent: this },
            );
        }
        return detector;
    }

    /** An EventBridge rule on the default bus, delivering matching events to the region's alert topic. */
    private rule(
        key: string,
        pattern: string,
        section: (typeof RUNBOOK_SECTIONS)[keyof typeof RUNBOOK_SECTIONS],
        name: string,
        args: RegionalMonitoringArgs,
        tags: (suffix: string) => Record<string, string>,
    ): void {
        const rule = new aws.cloudwatch.EventRule(
            `${name}-${key}`,
            {
                description: `${section}: notify the alert topic. ${runbookReference(section)}`.slice(0, 512),
                eventPattern: pattern,
                state: "ENABLED",
                tags: tags(key),
            },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(`${name}-${key}`, { rule: rule.name, arn: args.topicArn }, { parent: this });
    }

    /**
     * What an alarm watches, as MetricAlarm arguments: its metric, or the sum of its `sumOf` metrics (metric math: one
     * query per metric, read with the sum's statistic and period, and the expression the alarm watches).
     * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
     */
    private watched(alarm: AlarmDefinition<pulumi.Input<string>>): Partial<aws.cloudwatch.MetricAlarmArgs> {
        if (alarm.sumOf === undefined) {
            const m = alarm.metric;
            return { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, statistic: m.statistic, period: m.period };
        }
        const ids = alarm.sumOf.map((_, i) => `m${i}`);
        return {
            metricQueries: [
                ...alarm.sumOf.map((m, i) => ({
                    id: ids[i]!,
                    label: m.label,
                    returnData: false,
                    metric: {
                        namespace: m.namespace,
                        metricName: m.metricName,
                        dimensions: m.dimensions,
                        stat: m.statistic,
                        period: m.period,
                    },
                })),
                { id: "total", expression: `SUM([${ids.join(",")}])`, label: alarm.metric.label, returnData: true },
            ],
        };
    }

    private tableArgs(args: RegionalMonitoringArgs, table: { name: string; peerRegion: string }) {
        return { name: table.name, region: args.region, peerRegion: table.peerRegion, rpoSeconds: args.rpoSeconds ?? 900 };
    }

    private databaseArgs(args: RegionalMonitoringArgs) {
        const db = args.database!;
        return { where: `${args.role} cluster (${args.region})`, maxCapacity: db.maxCapacity, ...db.thresholds };
    }

    private lagArgs(args: RegionalMonitoringArgs) {
        const lag = args.replicationLag!;
        return { where: `${args.region} cluster (while a secondary)`, rpoSeconds: lag.rpoSeconds };
    }

    private orchestratorInputs(args: RegionalMonitoringArgs): {
        functionName?: pulumi.Input<string>;
        deadLetterQueueName?: pulumi.Input<string>;
    } {
        const o = args.orchestrator!;
        return {
            ...(o.functionName !== undefined ? { functionName: o.functionName } : {}),
            ...(o.deadLetterQueueName !== undefined ? { deadLetterQueueName: o.deadLetterQueueName } : {}),
        };
    }

    /** The dashboard's sections, from the same definition functions as the alarms, with plain identifiers. */
    private sections(
        args: RegionalMonitoringArgs,
        ids: {
            cluster?: string;
            functionName?: string;
            deadLetterQueueName?: string;
            rules: { route: string; ruleId: string; sourceBucket: string; destinationBucket: string }[];
            tables: { name: string; tableName: string; peerRegion: string }[];
        },
    ): DashboardSection[] {
        const tables = ids.tables.flatMap((t) =>
            globalTableAlarms({ ...this.tableArgs(args, t), tableName: t.tableName }).map((a) => alarmGraph(a, args.region)),
        );
        const database =
            args.database !== undefined && ids.cluster !== undefined
                ? databaseAlarms({ ...this.databaseArgs(args), clusterIdentifier: ids.cluster }).map((a) => alarmGraph(a, args.region))
                : [];
        const lag =
            args.replicationLag !== undefined && ids.cluster !== undefined
                ? [alarmGraph(replicationLagAlarm({ ...this.lagArgs(args), clusterIdentifier: ids.cluster }), args.region)]
                : [];
        const rpoSeconds = args.rpoSeconds ?? 900;
        const s3 = ids.rules.flatMap((rule) =>
            replicationAlarms({ ...rule, rpoSeconds }).map((alarm) => ({
                title: `${alarm.metricName}: ${rule.route}`,
                region: args.region,
                metrics: [
                    replicationAlarmMetric(alarm, {
                        SourceBucket: rule.sourceBucket,
                        DestinationBucket: rule.destinationBucket,
                        RuleId: rule.ruleId,
                    }),
                ],
                thresholds: [{ value: alarm.threshold, label: `alarm: ${alarm.comparisonOperator} ${alarm.threshold}` }],
            })),
        );
        const orchestrator =
            args.orchestrator !== undefined
                ? orchestratorAlarms({
                      ...(ids.functionName !== undefined ? { functionName: ids.functionName } : {}),
                      ...(ids.deadLetterQueueName !== undefined ? { deadLetterQueueName: ids.deadLetterQueueName } : {}),
                  }).map((a) => alarmGraph(a, args.orchestrator!.region))
                : [];
        return [
            { title: `Database: ${args.role} cluster (${args.region})`, graphs: database, emptyText: "No Aurora cluster in this region." },
            { title: "Global database replication lag", graphs: lag, emptyText: "No cluster of the global database in this region." },
            { title: `S3 replication from ${args.region}`, graphs: s3, emptyText: "No replication rule has its source in this region." },
            {
                title: `Global tables: ${args.region} replicas`,
                graphs: tables,
                emptyText: "No global table in this stack (healthcare-dr:tables).",
            },
            {
                title: `AWS Backup (${args.region})`,
                graphs: [{ title: "Backup and copy jobs", region: args.region, metrics: BACKUP_METRICS }],
            },
            {
                title: "Failover orchestrator",
                graphs: orchestrator,
                emptyText: "The failover orchestrator is not deployed in this stack yet.",
            },
        ];
    }
}
