import * as pulumi from "@pulumi/pulumi";
import { toJson } from "../lib/iam";
import {
    REPORT_ACCESS_LOG_PREFIX,
    reportBucketPrefix,
    reportLifecycleRules,
    reportRetention,
    RUN_REPORT_DATA_CLASSIFICATION,
} from "../lib/runReports";
import { dataBucketPolicy } from "../lib/s3Policies";
import { declareSecureBucket } from "./secureBucket";

export interface RunReportBucketArgs {
    /** Pulumi stack name: part of the bucket's name prefix. */
    readonly stack: string;
    /** The bucket's region (the provider in the options must be this region's): part of the name prefix. */
    readonly region: string;
    /** ARN of this region's customer-managed key: every report is encrypted with it (SSE-KMS, with a Bucket Key). */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * The region's access-log bucket (SSE-S3, no Object Lock: a log target can have neither SSE-KMS default encryption
     * nor Object Lock, so the report bucket cannot log into a bucket like itself).
     * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
     * @default - no server access logs
     */
    readonly accessLogBucket?: pulumi.Input<string>;
    /**
     * A protected stack (prod): reports locked in COMPLIANCE mode for six years, and the bucket kept on `pulumi
     * destroy` (Pulumi `protect` and `retainOnDelete`). Otherwise GOVERNANCE for one day and `forceDestroy`, so that
     * dev can be torn down (see `reportRetention`).
     * @default false
     */
    readonly protect?: boolean;
    /** Tags of the bucket; `Name` and `DataClassification` are set here. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The bucket a region's failover orchestrator writes its run reports to: Object Lock enabled when the bucket is
 * created (it cannot be turned on later without a new bucket) with a default retention, so that each report, written
 * once with `s3:PutObject`, can be neither overwritten nor deleted until the retention ends; SSE-KMS with the
 * region's key, versioning, no public access, no ACLs, TLS only, server access logs. Recognised by the policy pack
 * by its `DataClassification` tag (RUN_REPORT_DATA_CLASSIFICATION): `failover-report-bucket-locked`.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html
 */
export class RunReportBucket extends pulumi.ComponentResource {
    /** The bucket's name: the `report-bucket` parameter of the orchestrator. */
    public readonly bucketName: pulumi.Output<string>;
    /** The bucket's ARN. */
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: RunReportBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:RunReportBucket", name, {}, opts);
        const protect = args.protect ?? false;
        const retention = reportRetention(protect);
        const prefix = reportBucketPrefix(args.stack, args.region);

        const { bucket } = declareSecureBucket(
            name,
            {
                bucketPrefix: prefix,
                encryption: { kind: "kms", keyArn: args.kmsKeyArn },
                lifecycleRules: reportLifecycleRules(retention),
                // TLS only, and no upload encrypted other than with the region's key (the default applies otherwise).
                policy: (bucketArn) =>
                    pulumi.all([bucketArn, args.kmsKeyArn]).apply(([arn, keyArn]) => toJson(dataBucketPolicy({ bucketArn: arn, keyArn }))),
                objectLockRetentionDays: retention.days,
                objectLockMode: retention.mode,
                accessLogs:
                    args.accessLogBucket !== undefined
                        ? { targetBucket: args.accessLogBucket, targetPrefix: REPORT_ACCESS_LOG_PREFIX }
                        : undefined,
                protect,
                tags: { ...args.tags, Name: prefix.replace(/-$/, ""), DataClassification: RUN_REPORT_DATA_CLASSIFICATION },
            },
            { parent: this },
        );

        this.bucketName = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
    }
}
