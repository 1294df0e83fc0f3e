/**
 * S3 replication: the replication rule of a data set and the alarms on its replication metrics. Pure functions.
 */
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/**
 * S3 Replication Time Control: 99.99% of objects within 15 minutes. 15 is the only value AWS accepts for both the
 * replication time and the metrics event threshold, and RTC requires the metrics block.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationTime.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_Metrics.html
 */
export const REPLICATION_TIME_MINUTES = 15;

/** Rule ids: one rule per direction, so the metrics (dimension `RuleId`) tell the directions apart. */
export const RULE_IDS = { toDr: "to-dr", toPrimary: "to-primary" } as const;

type ReplicationRule = aws.types.input.s3.BucketReplicationConfigRule;

/**
 * The replication rule of a data set: every object (empty-prefix filter, which makes it a V2 rule, required for
 * delete-marker replication), with
 * - Replication Time Control (15 minutes) and replication metrics;
 * - delete markers replicated, so a deletion in the primary shows in the DR copy (object versions are never deleted
 *   by replication: `DeleteObject` with a version id is not replicated);
 * - SSE-KMS objects selected (`sseKmsEncryptedObjects`, without which S3 skips them) and the replica encrypted with
 *   the destination region's key (`replicaKmsKeyId`, required once `sourceSelectionCriteria` is set);
 * - replica-modification sync, so metadata changes to replicas (tags, retention, legal holds) flow back when a
 *   reverse rule exists.
 *
 * Existing objects: not replicated by the rule (`existingObjectReplication` is left out; AWS enables it only on
 * request). The buckets are created empty together with the rule, so there are none; a bucket that was filled before
 * replication was configured is caught up with S3 Batch Replication.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-batch.html
 */
export function replicationRule(args: {
    id: string;
    destinationBucketArn: pulumi.Input<string>;
    replicaKmsKeyArn: pulumi.Input<string>;
}): ReplicationRule {
    return {
        id: args.id,
        status: "Enabled",
        priority: 1,
        filter: { prefix: "" },
        deleteMarkerReplication: { status: "Enabled" },
        sourceSelectionCriteria: {
            sseKmsEncryptedObjects: { status: "Enabled" },
            replicaModifications: { status: "Enabled" },
        },
        destination: {
            bucket: args.destinationBucketArn,
            // The key ARN, not an alias: an alias would be resolved in the requester's account.
            // @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_EncryptionConfiguration.html
            encryptionConfiguration: { replicaKmsKeyId: args.replicaKmsKeyArn },
            replicationTime: { status: "Enabled", time: { minutes: REPLICATION_TIME_MINUTES } },
            metrics: { status: "Enabled", eventThreshold: { minutes: REPLICATION_TIME_MINUTES } },
        },
    };
}

/** A CloudWatch alarm, as the arguments of `aws.cloudwatch.MetricAlarm` that do not depend on the stack. */
export interface AlarmDefinition {
    /** Suffix of the alarm's logical name. */
    readonly suffix: string;
    readonly description: string;
    readonly namespace: "AWS/S3";
    readonly metricName: string;
    readonly statistic: "Maximum" | "Sum";
    readonly period: number;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly threshold: number;
    readonly comparisonOperator: "GreaterThanThreshold";
    readonly treatMissingData: "notBreaching";
    readonly dimensions: Readonly<Record<"SourceBucket" | "DestinationBucket" | "RuleId", pulumi.Input<string>>>;
}

/** Replication metrics are published every minute; alarms look at five-minute windows. */
export const REPLICATION_ALARM_PERIOD_SECONDS = 300;

/**
 * The alarms of one replication rule, on the metrics RTC turns on (reported in the source bucket's region, per
 * source bucket, destination bucket and rule):
 * - `ReplicationLatency` (seconds the destination is behind) above the recovery point objective;
 * - `OperationsFailedReplication` above zero: any object that failed to replicate is data missing from the copy.
 * Missing data means no replication traffic, which is not a failure.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html#s3-cloudwatch-replication-metrics
 */
export function replicationAlarms(args: {
    /** What is replicated where, for people: e.g. `clinical-documents from eu-west-2 to eu-west-1`. */
    route: string;
    sourceBucket: pulumi.Input<string>;
    destinationBucket: pulumi.Input<string>;
    ruleId: string;
    /** The recovery point objective, in seconds. */
    rpoSeconds: number;
}): AlarmDefinition[] {
    if (!(args.rpoSeconds > 0)) {
        throw new Error(`The recovery point objective must be positive to alarm on replication latency; got ${args.rpoSeconds} s.`);
    }
    const dimensions = { SourceBucket: args.sourceBucket, DestinationBucket: args.destinationBucket, RuleId: args.ruleId };
    const route = `${args.route} (rule ${args.ruleId})`;
    const common = {
        namespace: "AWS/S3",
        period: REPLICATION_ALARM_PERIOD_SECONDS,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        dimensions,
    } as const;
    return [
        {
            ...common,
            suffix: "replication-latency",
            description: `S3 replication ${route} is more than the RPO (${args.rpoSeconds} s) behind.`,
            metricName: "ReplicationLatency",
            statistic: "Maximum",
            threshold: args.rpoSeconds,
        },
        {
            ...common,
            suffix: "replication-failed",
            description: `S3 replication ${route} failed for at least one object; the DR copy is incomplete.`,
            metricName: "OperationsFailedReplication",
            statistic: "Sum",
            threshold: 0,
        },
    ];
}
