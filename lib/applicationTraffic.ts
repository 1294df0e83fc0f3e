/**
 * The application's public DNS as pure definitions (components/ApplicationTraffic.ts declares them): per region R, two
 * CloudWatch alarms on the metrics the orchestrators publish (lib/application.ts `APPLICATION_METRICS`), a Route 53
 * CLOUDWATCH_METRIC health check on each, a CALCULATED health check healthy only when both are, and R's failover alias
 * record to R's load balancer.
 *
 * - `ready-<R>`: in region R, over `ServingReady{Stack, Region=R}`, published by R's own orchestrator. ALARM (the
 *   check is unhealthy) when the minute's Minimum is below 1; missing data is breaching and the check's
 *   `InsufficientDataHealthStatus` is Unhealthy: a region that stops saying it is ready stops getting traffic.
 * - `fenced-<R>`: in the OTHER region, over `PeerFenced{Stack, Region=R}`, published there by the active orchestrator.
 *   ALARM when the minute's Maximum is at least 1; missing data is not breaching and `InsufficientDataHealthStatus` is
 *   Healthy: a dead peer cannot veto.
 *
 * Route 53 takes these alarms with restrictions (`route53AlarmProblems`): standard-resolution metrics only (so a
 * period of a minute or more), the statistics Average, Minimum, Maximum, Sum and SampleCount only (no percentile), and
 * a single metric (an alarm on a metric-math expression has no single metric for Route 53 to follow). A CLOUDWATCH_METRIC
 * check follows the alarm's METRIC DATA, not its state (AWS-FACTS.md, Route 53): `SetAlarmState` cannot move traffic;
 * only the orchestrators' `PutMetricData` can.
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html#health-checks-creating-values-cloudwatch
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
 */
import { APPLICATION_METRICS } from "./application";
import { physicalName } from "./naming";

/** The two health checks each region's record depends on. */
export const TRAFFIC_CHECKS = ["ready", "fenced"] as const;
export type TrafficCheck = (typeof TRAFFIC_CHECKS)[number];

/**
 * The statistics Route 53 accepts on the alarm of a CLOUDWATCH_METRIC health check ("Extended statistics aren't
 * supported").
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html
 */
export const ROUTE53_ALARM_STATISTICS = ["Average", "Minimum", "Maximum", "Sum", "SampleCount"] as const;

/**
 * The shortest period of a standard-resolution metric's alarm; periods of 10 and 30 s exist only for high-resolution
 * metrics, which Route 53 does not support ("High-resolution metrics aren't supported"), and longer periods are
 * multiples of 60.
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export const STANDARD_RESOLUTION_PERIOD_SECONDS = 60;

/**
 * Healthy children a record's CALCULATED check needs: both (`ready` and `fenced`). Route 53 counts the children that
 * are healthy and compares with this threshold.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html#health-checks-creating-values-calculated
 */
export const CHILD_HEALTH_THRESHOLD = TRAFFIC_CHECKS.length;

/**
 * The TTL resolvers cache an alias record to a load balancer for: fixed by Route 53 at 60 s (an alias record has no
 * TTL of its own; Route 53 uses the target's). "To configure DNS failover for ELB and Amazon S3 website endpoints, you
 * need to use alias records which have fixed TTL of 60 seconds."
 * @see https://aws.amazon.com/route53/faqs/
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html
 */
export const ELB_ALIAS_TTL_SECONDS = 60;

/**
 * Minutes the traffic alarms evaluate: one. A single minute decides, so a region is withdrawn (or admitted) a minute
 * after its orchestrator says so; the recovery budget counts it.
 */
export const TRAFFIC_ALARM_EVALUATION_PERIODS = 1;

/** The failover record type of a region: the home region (`primaryRegion`) is PRIMARY, the DR region SECONDARY. */
export type FailoverRecordType = "PRIMARY" | "SECONDARY";

/** The stable label of one of the two regions (program.ts `RegionLabel`). */
export type TrafficRegionLabel = "primary" | "dr";

export function failoverRecordType(label: TrafficRegionLabel): FailoverRecordType {
    return label === "primary" ? "PRIMARY" : "SECONDARY";
}

/** What a CloudWatch alarm of a traffic health check is, as plain values (the component declares it as is). */
export interface TrafficAlarmSpec {
    readonly check: TrafficCheck;
    /** The region the alarm (and so the metric it watches) is in. */
    readonly alarmRegion: string;
    /** The region whose record the check belongs to: the `Region` dimension. */
    readonly aboutRegion: string;
    readonly name: string;
    readonly description: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, string>>;
    readonly statistic: (typeof ROUTE53_ALARM_STATISTICS)[number];
    readonly period: number;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly threshold: number;
    readonly comparisonOperator: "LessThanThreshold" | "GreaterThanOrEqualToThreshold";
    readonly treatMissingData: "breaching" | "notBreaching";
    /** What the Route 53 health check reports while CloudWatch has too little data to decide the alarm. */
    readonly insufficientDataHealthStatus: "Healthy" | "Unhealthy";
}

/** The alarm's name: `hdr-<stack>-app-<check>-<region it is about>` (alarm names are per region). */
export function trafficAlarmName(stack: string, check: TrafficCheck, aboutRegion: string): string {
    return physicalName(stack, ["app", check, aboutRegion], 255);
}

function dimensionsOf(stack: string, aboutRegion: string): Record<string, string> {
    return { [APPLICATION_METRICS.dimensions.stack]: stack, [APPLICATION_METRICS.dimensions.region]: aboutRegion };
}

/**
 * `ready-<region>`: in `region`, over its own orchestrator's `ServingReady`. One minute whose Minimum is below 1 (a 0,
 * or no datapoint at all) is enough to withdraw the region: a wrong "not ready" costs a failover's worth of DNS, a
 * wrong "ready" sends users to a region that does not serve.
 */
export function servingReadyAlarm(stack: string, region: string): TrafficAlarmSpec {
    return {
        check: "ready",
        alarmRegion: region,
        aboutRegion: region,
        name: trafficAlarmName(stack, "ready", region),
        description: `The ${region} application is not serving: its orchestrator published ServingReady below 1 (or nothing) for a minute, so Route 53 withdraws the ${region} record of the application's name. Normal in the standby region (it publishes 0); in the active region, see the runbook's application section.`,
        namespace: APPLICATION_METRICS.namespace,
        metricName: APPLICATION_METRICS.servingReady,
        dimensions: dimensionsOf(stack, region),
        statistic: "Minimum",
        period: APPLICATION_METRICS.periodSeconds,
        evaluationPeriods: TRAFFIC_ALARM_EVALUATION_PERIODS,
        datapointsToAlarm: TRAFFIC_ALARM_EVALUATION_PERIODS,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        // Silence is "not ready": the beacon publishes every minute while the region is alive.
        treatMissingData: "breaching",
        insufficientDataHealthStatus: "Unhealthy",
    };
}

/**
 * `fenced-<about>`: in `alarmRegion` (the peer of `about`), over the `PeerFenced` its orchestrator publishes about
 * `about`. Any 1 in the minute fences; no data never does.
 */
export function peerFencedAlarm(stack: string, about: string, alarmRegion: string): TrafficAlarmSpec {
    if (about === alarmRegion) {
        throw new Error(`peerFencedAlarm: the fence of ${about} must be watched in the other region, not in ${alarmRegion}`);
    }
    return {
        check: "fenced",
        alarmRegion,
        aboutRegion: about,
        name: trafficAlarmName(stack, "fenced", about),
        description: `The ${alarmRegion} orchestrator fences ${about}: it published PeerFenced=1 about ${about} (it is the active region), so Route 53 withdraws the ${about} record of the application's name. Normal while ${alarmRegion} is the active region.`,
        namespace: APPLICATION_METRICS.namespace,
        metricName: APPLICATION_METRICS.peerFenced,
        dimensions: dimensionsOf(stack, about),
        statistic: "Maximum",
        period: APPLICATION_METRICS.periodSeconds,
        evaluationPeriods: TRAFFIC_ALARM_EVALUATION_PERIODS,
        datapointsToAlarm: TRAFFIC_ALARM_EVALUATION_PERIODS,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        // A dead peer publishes nothing and must not keep this region out.
        treatMissingData: "notBreaching",
        insufficientDataHealthStatus: "Healthy",
    };
}

/** Both alarms of the record of `region` (whose peer is `peerRegion`). */
export function trafficAlarms(stack: string, region: string, peerRegion: string): Readonly<Record<TrafficCheck, TrafficAlarmSpec>> {
    return { ready: servingReadyAlarm(stack, region), fenced: peerFencedAlarm(stack, region, peerRegion) };
}

/**
 * Why Route 53 would refuse (or misread) an alarm as a CLOUDWATCH_METRIC check's, one sentence each; empty when it
 * fits. Takes any alarm shape, so that a test can show each rule catching a bad one.
 */
export function route53AlarmProblems(alarm: {
    readonly name: string;
    readonly statistic?: string;
    readonly extendedStatistic?: string;
    readonly period?: number;
    readonly metricQueries?: readonly unknown[];
}): string[] {
    const problems: string[] = [];
    if (alarm.metricQueries !== undefined && alarm.metricQueries.length > 0) {
        problems.push(`${alarm.name}: an alarm on metric math or several metrics has no single metric stream for Route 53 to follow`);
    }
    if (alarm.extendedStatistic !== undefined) {
        problems.push(
            `${alarm.name}: extended statistic ${alarm.extendedStatistic}: Route 53 supports ${ROUTE53_ALARM_STATISTICS.join(", ")} only`,
        );
    } else if (!(ROUTE53_ALARM_STATISTICS as readonly (string | undefined)[]).includes(alarm.statistic)) {
        problems.push(`${alarm.name}: statistic ${String(alarm.statistic)}: Route 53 supports ${ROUTE53_ALARM_STATISTICS.join(", ")} only`);
    }
    if (
        alarm.period === undefined ||
        alarm.period < STANDARD_RESOLUTION_PERIOD_SECONDS ||
        alarm.period % STANDARD_RESOLUTION_PERIOD_SECONDS !== 0
    ) {
        problems.push(
            `${alarm.name}: period ${String(alarm.period)} s: Route 53 supports standard-resolution metrics only, whose alarm periods are multiples of ${STANDARD_RESOLUTION_PERIOD_SECONDS} s`,
        );
    }
    return problems;
}

/**
 * What a CLOUDWATCH_METRIC check built on `alarm` reports for one minute of the metric: `undefined` is no datapoint
 * (the publishing region is silent, or Route 53 cannot read its CloudWatch), otherwise the minute's statistic. With
 * one evaluation period, the minute decides: ALARM is unhealthy, OK healthy, too little data the check's
 * `insufficientDataHealthStatus`. Missing data counts as what `treatMissingData` says only while CloudWatch still
 * evaluates; the health check's own setting agrees with it, so both readings give the same answer.
 */
export function checkHealthy(alarm: TrafficAlarmSpec, minute: number | undefined): boolean {
    if (minute === undefined) {
        const byAlarm = alarm.treatMissingData === "notBreaching";
        const byCheck = alarm.insufficientDataHealthStatus === "Healthy";
        if (byAlarm !== byCheck) {
            throw new Error(
                `${alarm.name}: treatMissingData ${alarm.treatMissingData} disagrees with ${alarm.insufficientDataHealthStatus}`,
            );
        }
        return byCheck;
    }
    const breaching = alarm.comparisonOperator === "LessThanThreshold" ? minute < alarm.threshold : minute >= alarm.threshold;
    return !breaching;
}

/** A region's record: healthy when its CALCULATED check has CHILD_HEALTH_THRESHOLD healthy children. */
export function recordHealthy(children: readonly boolean[]): boolean {
    return children.filter(Boolean).length >= CHILD_HEALTH_THRESHOLD;
}

/**
 * The record Route 53 answers with, for a failover pair whose records both have a health check. The primary when it is
 * healthy; the secondary when the primary is not and the secondary is; and the PRIMARY again when both are unhealthy:
 * "When the secondary resource record set is unhealthy, Route 53 responds to DNS queries with the applicable value
 * from the primary resource record set regardless of the health of the primary resource record set." So while a
 * failover is under way (the home region lost, the DR region not ready yet) the name keeps answering with the home
 * region's load balancer, and it moves only once the DR region's orchestrator has published ready.
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
 */
export function failoverAnswer(health: { readonly primary: boolean; readonly secondary: boolean }): FailoverRecordType {
    return !health.primary && health.secondary ? "SECONDARY" : "PRIMARY";
}
