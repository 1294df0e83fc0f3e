import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { DEFAULT_LIFECYCLE, accessLogLifecycleRules, bucketPrefix, stackBucketPrefix } from "../lib/buckets";
import { albLogDeliveryStatement } from "../lib/applicationTier";
import { policyDocument, toJson } from "../lib/iam";
import { accessLogBucketPolicy } from "../lib/s3Policies";
import { declareSecureBucket } from "./secureBucket";

export interface AccessLogBucketArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** Pulumi stack name: the bucket's name prefix, and the prefix of the buckets allowed to log here. */
    readonly stack: string;
    /** `primary` or `dr`: the region role, part of the bucket name. */
    readonly role: "primary" | "dr";
    /** Days the logs are kept. */
    readonly retentionDays: number;
    /**
     * Protect the bucket from deletion (Pulumi `protect` and `retainOnDelete`); without it, `pulumi destroy` empties
     * and deletes it.
     * @default false
     */
    readonly protect?: boolean;
    /**
     * The region of the bucket, when an Application Load Balancer there logs to it (under `alb/`): the bucket policy
     * then admits Elastic Load Balancing's log delivery for that region. Unset: S3 server access logs only.
     * @default undefined
     */
    readonly loadBalancerLogsRegion?: string;
    /** Tags for the bucket. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The bucket that receives the S3 server access logs of one region's buckets (server access logs are delivered only
 * to a bucket in the same region and account as the logged bucket).
 *
 * Server access logs rather than CloudTrail data events: they record every request (including the ones refused by a
 * bucket policy, with the reason), cost only their storage, and need no trail per region; the account's trail keeps
 * the management events. It obeys the rules of the data buckets (TLS only, no public access, no ACLs, versioning,
 * lifecycle) with two exceptions that AWS imposes: default encryption is SSE-S3 (SSE-KMS is not supported for a
 * server access logging destination) and there is no Object Lock (a destination bucket must not have it).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/logging-with-S3.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-server-access-logging.html
 */
export class AccessLogBucket extends pulumi.ComponentResource {
    /** The bucket's name, for `BucketLogging.targetBucket`. */
    public readonly bucketName: pulumi.Output<string>;
    /** The bucket's ARN. */
    public readonly arn: pulumi.Output<string>;
    /** The bucket policy: what a load balancer logging here must be created after. */
    public readonly policy: pulumi.Resource;

    constructor(name: string, args: AccessLogBucketArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:AccessLogBucket", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        const partition = args.account.partition;
        const protect = args.protect ?? false;
        const prefix = bucketPrefix(args.stack, ["access-logs", args.role]);

        const { bucket, policy } = declareSecureBucket(
            name,
            {
                bucketPrefix: prefix,
                encryption: { kind: "s3" },
                lifecycleRules: accessLogLifecycleRules(args.retentionDays, DEFAULT_LIFECYCLE),
                policy: (bucketArn) =>
                    pulumi.all([bucketArn, accountId, partition]).apply(([arn, accountId, p]) => {
                        const policy = accessLogBucketPolicy({
                            bucketArn: arn,
                            accountId,
                            partition: p,
                            sourceBucketPrefix: stackBucketPrefix(args.stack),
                        });
                        const region = args.loadBalancerLogsRegion;
                        return toJson(
                            region === undefined
                                ? policy
                                : policyDocument([
                                      ...policy.Statement,
                                      albLogDeliveryStatement({ bucketArn: arn, accountId, partition: p, region }),
                                  ]),
                        );
                    }),
                objectLockRetentionDays: undefined,
                // A log bucket does not log to itself (every delivery would be logged again).
                accessLogs: undefined,
                protect,
                tags: { ...args.tags, Name: prefix.replace(/-$/, "") },
            },
            { parent: this },
        );

        this.bucketName = bucket.bucket;
        this.policy = policy;
        this.arn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
    }
}
