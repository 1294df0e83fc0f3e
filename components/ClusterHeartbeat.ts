import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RUNBOOK_SECTIONS, runbookReference } from "../lib/alarms";
import { HEARTBEAT_ALARM, HEARTBEAT_METRIC, heartbeatAlarmName } from "../lib/heartbeat";
import { physicalName } from "../lib/naming";

export interface ClusterHeartbeatArgs {
    /** Pulumi stack name: part of the alarm's name. */
    readonly stack: string;
    /** The cluster's region; must be the region of the provider in the options (the metric is published there). */
    readonly region: string;
    /** Identifier of the watched Aurora cluster (the metric's `DBClusterIdentifier`). */
    readonly clusterIdentifier: pulumi.Input<string>;
    /**
     * Topics (in the cluster's region) told when the cluster goes silent and when it speaks again: a silent writer or
     * a silent secondary (the next failover's target) both need people. @default [] - no notifications
     */
    readonly alarmActions?: readonly pulumi.Input<string>[];
    /** Tags of every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The heartbeat of one region's cluster (lib/heartbeat.ts): an alarm on the silence of its capacity metric and a
 * Route 53 health check that follows it. The other region's FailoverOrchestrator watches the health check from
 * us-east-1. Declared for every cluster with an instance, writer or not: either can be the one that goes silent.
 */
export class ClusterHeartbeat extends pulumi.ComponentResource {
    /** Id of the Route 53 health check: unhealthy when the cluster, or its region's CloudWatch, is silent. */
    public readonly healthCheckId: pulumi.Output<string>;
    /** Name of the heartbeat alarm, in the cluster's region. */
    public readonly alarmName: pulumi.Output<string>;

    constructor(name: string, args: ClusterHeartbeatArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:ClusterHeartbeat", name, {}, opts);
        const tags = (suffix: string) => ({ ...args.tags, Name: physicalName(args.stack, ["failover", args.region, suffix], 255) });
        const minutes = (HEARTBEAT_ALARM.periodSeconds * HEARTBEAT_ALARM.evaluationPeriods) / 60;
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-alarm`,
            {
                name: heartbeatAlarmName(args.stack),
                alarmDescription: `The Aurora cluster in ${args.region} has published no ${HEARTBEAT_METRIC.metricName} for ${minutes} minutes: the cluster or its region is silent. A Route 53 health check follows this alarm and the other region's failover orchestrator watches it. Missing data: breaching, silence is the point. ${runbookReference(RUNBOOK_SECTIONS.heartbeat)}`,
                namespace: HEARTBEAT_METRIC.namespace,
                metricName: HEARTBEAT_METRIC.metricName,
                dimensions: { DBClusterIdentifier: args.clusterIdentifier },
                // SampleCount is at least 1 for every minute with data: only silence (breaching) can set the alarm.
                statistic: HEARTBEAT_METRIC.statistic,
                period: HEARTBEAT_ALARM.periodSeconds,
                evaluationPeriods: HEARTBEAT_ALARM.evaluationPeriods,
                datapointsToAlarm: HEARTBEAT_ALARM.datapointsToAlarm,
                threshold: 1,
                comparisonOperator: "LessThanThreshold",
                treatMissingData: "breaching",
                // People are told here too while the region's SNS works; when the whole region is gone, the other
                // region's orchestrator (woken through the health check) is who tells them.
                alarmActions: [...(args.alarmActions ?? [])],
                okActions: [...(args.alarmActions ?? [])],
                tags: tags("heartbeat"),
            },
            { parent: this },
        );
        // CLOUDWATCH_METRIC: the check follows the alarm's state; when Route 53 cannot read the alarm (the region's
        // CloudWatch is down), InsufficientDataHealthStatus decides: Unhealthy, as silence is the point.
        // @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
        const healthCheck = new aws.route53.HealthCheck(
            `${name}-health`,
            {
                type: "CLOUDWATCH_METRIC",
                cloudwatchAlarmName: alarm.name,
                cloudwatchAlarmRegion: args.region,
                insufficientDataHealthStatus: "Unhealthy",
                tags: tags("health"),
            },
            { parent: this },
        );
        this.healthCheckId = healthCheck.id;
        this.alarmName = alarm.name;
        this.registerOutputs({ healthCheckId: this.healthCheckId, alarmName: this.alarmName });
    }
}
