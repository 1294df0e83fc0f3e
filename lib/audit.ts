/**
 * The audit trail's policies and event selectors: the trail bucket's policy, the role CloudTrail assumes to write to
 * CloudWatch Logs, and which events the trail records. Pure functions of plain ARNs.
 */
import { DEFAULT_LIFECYCLE, dataLifecycleRules, type LifecycleSettings } from "./buckets";
import { policyDocument, type PolicyDocument } from "./iam";
import { transportStatements } from "./s3Policies";

export const CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com";

/** The ARN a trail will have, known before it exists, so the bucket policy can name it (`aws:SourceArn`). */
export function trailArn(args: { partition: string; region: string; accountId: string; trailName: string }): string {
    return `arn:${args.partition}:cloudtrail:${args.region}:${args.accountId}:trail/${args.trailName}`;
}

/**
 * The trail bucket's policy: TLS only; CloudTrail may read the bucket ACL and write log files under
 * `AWSLogs/<account>/`, with the bucket owner in full control, and only for this trail (`aws:SourceArn`, against the
 * confused deputy).
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
 */
export function trailBucketPolicy(args: { bucketArn: string; accountId: string; trailArn: string }): PolicyDocument {
    return policyDocument([
        ...transportStatements(args.bucketArn),
        {
            Sid: "CloudTrailChecksBucketAcl",
            Effect: "Allow",
            Principal: { Service: CLOUDTRAIL_SERVICE },
            Action: "s3:GetBucketAcl",
            Resource: args.bucketArn,
            Condition: { StringEquals: { "aws:SourceArn": args.trailArn } },
        },
        {
            Sid: "CloudTrailWritesLogFiles",
            Effect: "Allow",
            Principal: { Service: CLOUDTRAIL_SERVICE },
            Action: "s3:PutObject",
            Resource: `${args.bucketArn}/AWSLogs/${args.accountId}/*`,
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": args.trailArn } },
        },
    ]);
}

/**
 * What CloudTrail may do with the role it assumes to deliver events to CloudWatch Logs: create the log streams of
 * the trail's log group and put events in them. Nothing else, and no other log group.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html#send-cloudtrail-events-to-cloudwatch-logs-cli-create-role
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
 */
export function trailLogsRolePolicy(args: { logGroupArn: string }): PolicyDocument {
    return policyDocument([
        {
            Sid: "DeliverTrailEventsToItsLogGroup",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${args.logGroupArn}:log-stream:*`,
        },
    ]);
}

/** A field selector of an advanced event selector; `A` is a plain ARN, or a value not known yet (a Pulumi Input). */
export interface FieldSelector<A = string> {
    readonly field: string;
    readonly equals?: string[];
    readonly startsWiths?: A[];
}
export interface AdvancedEventSelector<A = string> {
    readonly name: string;
    readonly fieldSelectors: FieldSelector<A>[];
}

/**
 * What the trail records: every management event (read and write), and every S3 object-level API call (data events)
 * on the given buckets, in all regions, so that an auditor can see each access to patient documents. Advanced event
 * selectors, because they can limit data events to object ARNs by prefix.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html
 */
export function trailEventSelectors(bucketArns: readonly string[]): AdvancedEventSelector[];
/**
 * The same selectors over ARNs not known yet: only the prefixes wait for them, so that the selectors' shape (data
 * events, S3 objects) is known in a first preview and the policy pack can decide on it then.
 */
export function trailEventSelectors<A>(bucketArns: readonly A[], prefixOf: (arn: A) => A): AdvancedEventSelector<A>[];
export function trailEventSelectors<A>(bucketArns: readonly A[], prefixOf?: (arn: A) => A): AdvancedEventSelector<A>[] {
    const slash = prefixOf ?? ((arn: A) => `${String(arn)}/` as A);
    const selectors: AdvancedEventSelector<A>[] = [
        { name: "All management events", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
    ];
    if (bucketArns.length > 0) {
        selectors.push({
            name: "S3 data events on the healthcare buckets",
            fieldSelectors: [
                { field: "eventCategory", equals: ["Data"] },
                { field: "resources.type", equals: ["AWS::S3::Object"] },
                // A trailing slash, so that a bucket whose name extends another's is not logged by mistake.
                { field: "resources.ARN", startsWiths: bucketArns.map(slash) },
            ],
        });
    }
    return selectors;
}

/**
 * The lifecycle of the trail bucket: log files expire after the retention (never before an Object Lock retention
 * ends: lifecycle respects Object Lock), noncurrent versions after the data buckets' default, unfinished uploads after
 * the data buckets' default. No tiering: log files are small and read in bulk only during an investigation.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-lifecycle
 */
export function trailLifecycleRules(retentionDays: number, settings: LifecycleSettings = DEFAULT_LIFECYCLE) {
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
        throw new Error(`Invalid value for retentionDays: ${retentionDays}. Give a whole number of days, at least 1.`);
    }
    return [
        { id: "expire-audit-logs", status: "Enabled", filter: {}, expiration: { days: retentionDays } },
        ...dataLifecycleRules(settings).filter((rule) => rule.id !== "current-to-intelligent-tiering"),
    ];
}
