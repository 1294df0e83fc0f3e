/**
 * DynamoDB global tables (`healthcare-dr:tables`): records that must be writable in both regions, such as an audit
 * log. One entry of the stack file is one global table (version 2019.11.21, the current one) with a replica in each
 * region; adding a table needs no code change. Both replicas take writes at all times, so a failover has no step for
 * them: what applications must do about concurrent writes (last writer wins) is in the README.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html
 */
import { physicalName } from "./naming";

/** DynamoDB's key attribute types: string, number, binary. */
export const KEY_ATTRIBUTE_TYPES = ["S", "N", "B"] as const;
export type KeyAttributeType = (typeof KEY_ATTRIBUTE_TYPES)[number];

/** A key attribute of a table (partition or sort key). */
export interface KeyAttribute {
    /** The attribute's name (1 to 255 bytes). */
    readonly name: string;
    /** `S`, `N` or `B`. */
    readonly type: KeyAttributeType;
}

/**
 * What a table's stream carries. A multi-Region eventually consistent global table (two replicas or more) must have
 * its stream on: replication reads it, so "off" is not an option.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-streamspecification.html
 */
export const STREAM_VIEW_TYPES = ["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"] as const;
export type StreamViewType = (typeof STREAM_VIEW_TYPES)[number];

/** One global table of the stack file, every default resolved. */
export interface TableSettings {
    /** The table's name in the stack file, e.g. `audit-events`: part of its physical name (`globalTableName`). */
    readonly name: string;
    /** The partition (hash) key. */
    readonly partitionKey: KeyAttribute;
    /** The sort (range) key; absent: the table has none. */
    readonly sortKey?: KeyAttribute;
    /** The attribute holding each item's expiry (epoch seconds); absent: no TTL. */
    readonly ttlAttribute?: string;
    /** What the stream carries (always on, see STREAM_VIEW_TYPES); `NEW_AND_OLD_IMAGES` unless set. */
    readonly streams: StreamViewType;
}

/**
 * The physical name of a global table: the same in both regions (a global table's replicas share its name),
 * `hdr-<stack>-data-<name>`. The `data` part keeps the stack file's names apart from the orchestrator's own tables.
 */
export function globalTableName(stack: string, name: string): string {
    return physicalName(stack, ["data", name], 255);
}

/**
 * The ARN of a table (or of a global table's replica) in a region: the same name in every region, so the DR replica's
 * ARN is known from the stack file alone (the account is config, never looked up), e.g. for its region's backup
 * selection.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html#amazondynamodb-resources-for-iam-policies
 */
export function tableArn(args: { partition: string; region: string; accountId: string; tableName: string }): string {
    return `arn:${args.partition}:dynamodb:${args.region}:${args.accountId}:table/${args.tableName}`;
}

/**
 * How fast a global table replicates, as AWS states it for multi-Region eventual consistency (MREC, the default mode
 * and the one this stack uses): "Changes to items in an MREC global table replica are typically replicated to all
 * other replicas asynchronously within one second or less". It is a typical figure, not a bound: AWS gives no SLA on
 * replication latency, and an isolated replica's unreplicated writes reach the others only "when the replica becomes
 * healthy". The recovery budget counts it as AWS's figure, and the ReplicationLatency alarm (at the RPO) says when it
 * does not hold.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
 * @see https://docs.aws.amazon.com/prescriptive-guidance/latest/dynamodb-global-tables/overview.html
 */
export const GLOBAL_TABLE_REPLICATION_SECONDS = 1;

/**
 * The operations whose `SystemErrors` the alarm sums. DynamoDB publishes `SystemErrors` (HTTP 500) per table and
 * operation (dimensions `TableName`, `Operation`), so a table-wide count is metric math over the operations; an alarm
 * may retrieve at most 10 metrics (PutMetricAlarm), so these are the ten item and query operations applications use.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export const SYSTEM_ERROR_OPERATIONS = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
] as const;
