/**
 * The heartbeat of a region's database, as another region sees it: what tells each orchestrator that the OTHER
 * region's cluster has gone silent, whichever of the two is the writer.
 *
 * A Serverless v2 cluster publishes `ServerlessDatabaseCapacity` every minute while it has an instance, writer or
 * reader, whatever its load; silence means the cluster or its region is gone. An alarm in the cluster's region turns
 * that silence into ALARM (missing data is breaching; the threshold can never be crossed by real data), a Route 53
 * health check of type CLOUDWATCH_METRIC follows the alarm (and turns unhealthy when Route 53 cannot read the alarm
 * at all: the region's CloudWatch is gone), and an alarm in us-east-1 on the health check's status is forwarded to
 * the other region's event bus, where it starts that region's orchestrator. Route 53 health checkers and us-east-1
 * keep working when the watched region does not, so the evidence reaches the survivor without the lost region's help.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html
 */
import { physicalName } from "./naming";

/** The heartbeat alarm's evaluation: three silent minutes in a row (a single late datapoint is not silence). */
export const HEARTBEAT_ALARM = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 } as const;

/** The metric whose silence is the heartbeat's ALARM. */
export const HEARTBEAT_METRIC = { namespace: "AWS/RDS", metricName: "ServerlessDatabaseCapacity", statistic: "SampleCount" } as const;

/** Name of the heartbeat alarm of a region's cluster (alarm names are per region, so the same in both). */
export function heartbeatAlarmName(stack: string): string {
    return physicalName(stack, ["failover", "heartbeat"], 255);
}

/** Seconds from the watched cluster's last datapoint to its heartbeat alarm entering ALARM. */
export function heartbeatDetectionSeconds(): number {
    return HEARTBEAT_ALARM.periodSeconds * HEARTBEAT_ALARM.evaluationPeriods;
}
