import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { bucketPrefix } from "../lib/buckets";
import { serviceTrustPolicy, toJson } from "../lib/iam";
import { physicalName } from "../lib/naming";
import { replicationRule } from "../lib/replication";
import { policyDocument } from "../lib/iam";
import { replicationRolePolicy, transportStatements } from "../lib/s3Policies";
import {
    CLOUDTRAIL_SERVICE,
    trailArn,
    trailBucketPolicy,
    trailEventSelectors,
    trailLifecycleRules,
    trailLogsRolePolicy,
} from "../lib/audit";
import { declareSecureBucket, type SecureBucket, type ObjectLockMode } from "./secureBucket";

export interface AuditTrailArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** Pulumi stack name: part of the trail, bucket and log group names. */
    readonly stack: string;
    /** The trail's home region; must be the region of the provider passed in the options. */
    readonly region: string;
    /** ARN of the home region's customer-managed key: log files, the bucket and the log group are encrypted with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * ARNs of the healthcare data buckets (sources and replicas, any region): every object-level call on them is
     * recorded (S3 data events).
     * @default [] - management events only
     */
    readonly dataBucketArns?: pulumi.Input<string>[];
    /** Days the CloudWatch log group and the bucket keep the trail's events (`healthcare-dr:logging.retentionDays`). */
    readonly retentionDays: number;
    /**
     * Object Lock default retention of the log files (and of their replica), days: no log file can be deleted or
     * overwritten before it ends.
     * @default - no Object Lock (dev, so that the bucket can be destroyed)
     */
    readonly objectLockRetentionDays?: number;
    /**
     * Object Lock mode of the log files. `COMPLIANCE` in protected environments: an audit record that an admin with
     * `s3:BypassGovernanceRetention` can delete is not immutable (HIPAA 164.312(b), 164.316(b)(2)(i)).
     * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes
     * @default "GOVERNANCE"
     */
    readonly objectLockMode?: ObjectLockMode;
    /**
     * Where the log files are replicated (same rules, that region's key), so that the audit record survives the loss
     * of the home region and can be read while it is down.
     * @default - no replica
     */
    readonly replica?: {
        /** The region code. */
        readonly region: string;
        /** The explicit provider of that region. */
        readonly provider: aws.Provider;
        /** That region's customer-managed key. */
        readonly kmsKeyArn: pulumi.Input<string>;
        /**
         * That region's server-access-log bucket (logs can only go to a bucket of the same region).
         * @default - no access logs for the replica
         */
        readonly accessLogBucket?: pulumi.Input<string>;
        /**
         * The AWS Backup plan of that region that also backs up the replica bucket (a plan selects only resources of
         * its own region).
         * @default - the replica is not in a backup plan
         */
        readonly backup?: { readonly planId: pulumi.Input<string>; readonly roleArn: pulumi.Input<string> };
    };
    /**
     * The AWS Backup plan of the trail's region that also backs up the trail bucket.
     * @default - the bucket is not in a backup plan
     */
    readonly backup?: { readonly planId: pulumi.Input<string>; readonly roleArn: pulumi.Input<string> };
    /**
     * Name of the bucket that receives the trail bucket's S3 server access logs.
     * @default - no server access logging
     */
    readonly accessLogBucket?: pulumi.Input<string>;
    /**
     * Protect the bucket, the log group and the trail (Pulumi `protect` and `retainOnDelete`); without it,
     * `pulumi destroy` empties and deletes them.
     * @default false
     */
    readonly protect?: boolean;
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The account's audit trail: one multi-region CloudTrail trail that records every management event, in all regions
 * and of global services, and every object-level call on the healthcare buckets; log files are KMS-encrypted,
 * validated (digest files), delivered to a dedicated bucket (TLS only, no public access, no ACLs, versioned,
 * lifecycle, Object Lock in prod) and to a KMS-encrypted CloudWatch log group for searching and alerting.
 *
 * A multi-region trail delivers to its home-region bucket; while the home region is down, CloudTrail keeps the DR
 * region's events and delivers them once it can.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html
 */
export class AuditTrail extends pulumi.ComponentResource {
    /** The trail's ARN. */
    public readonly trailArn: pulumi.Output<string>;
    /** The trail bucket's name. */
    public readonly bucketName: pulumi.Output<string>;
    /** The trail's CloudWatch log group. */
    public readonly logGroupName: pulumi.Output<string>;

    constructor(name: string, args: AuditTrailArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:AuditTrail", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        const partition = args.account.partition;
        const protect = args.protect ?? false;
        const stateful = { parent: this, protect, retainOnDelete: protect };
        const trailName = physicalName(args.stack, ["audit"], 128);
        const arn = pulumi
            .all([partition, accountId])
            .apply(([p, accountId]) => trailArn({ partition: p, region: args.region, accountId, trailName }));
        const prefix = bucketPrefix(args.stack, ["audit-trail"]);

        const bucket = declareSecureBucket(
            name,
            {
                bucketPrefix: prefix,
                encryption: { kind: "kms", keyArn: args.kmsKeyArn },
                lifecycleRules: trailLifecycleRules(args.retentionDays),
                policy: (bucketArn) =>
                    pulumi
                        .all([bucketArn, accountId, arn])
                        .apply(([b, accountId, t]) => toJson(trailBucketPolicy({ bucketArn: b, accountId, trailArn: t }))),
                objectLockRetentionDays: args.objectLockRetentionDays,
                objectLockMode: args.objectLockMode ?? "GOVERNANCE",
                accessLogs:
                    args.accessLogBucket !== undefined ? { targetBucket: args.accessLogBucket, targetPrefix: "audit-trail/" } : undefined,
                protect,
                tags: { ...args.tags, Name: prefix.replace(/-$/, "") },
            },
            { parent: this },
        );

        if (args.replica !== undefined) {
            this.replicate(name, { ...args, replica: args.replica }, bucket, accountId, protect);
        }
        if (args.backup !== undefined) {
            new aws.backup.Selection(
                `${name}-backup`,
                { name: `${trailName}-logs`, planId: args.backup.planId, iamRoleArn: args.backup.roleArn, resources: [bucket.bucket.arn] },
                { parent: this },
            );
        }

        // @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                name: `/aws/cloudtrail/${trailName}`,
                retentionInDays: args.retentionDays,
                kmsKeyId: args.kmsKeyArn,
                tags: { ...args.tags, Name: `${trailName}-logs` },
            },
            stateful,
        );
        // The trust is the one CloudTrail documents for this role (no source condition: CloudTrail is the only user).
        const role = new aws.iam.Role(
            `${name}-logs-role`,
            {
                description: "CloudTrail: deliver the audit trail to its CloudWatch log group",
                assumeRolePolicy: toJson(serviceTrustPolicy(CLOUDTRAIL_SERVICE)),
                tags: { ...args.tags, Name: `${trailName}-logs-role` },
            },
            { parent: this },
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-logs-role`,
            { role: role.id, policy: logGroup.arn.apply((logGroupArn) => toJson(trailLogsRolePolicy({ logGroupArn }))) },
            { parent: this },
        );

        const trail = new aws.cloudtrail.Trail(
            name,
            {
                name: trailName,
                s3BucketName: bucket.bucket.id,
                kmsKeyId: args.kmsKeyArn,
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                enableLogging: true,
                // CloudTrail wants the log group ARN with the `:*` suffix.
                cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
                cloudWatchLogsRoleArn: role.arn,
                // Built around the ARNs, not over them: a first preview knows every selector but the prefixes.
                advancedEventSelectors: trailEventSelectors<pulumi.Input<string>>(
                    args.dataBucketArns ?? [],
                    (arn) => pulumi.interpolate`${arn}/`,
                ),
                tags: { ...args.tags, Name: trailName },
            },
            // CloudTrail checks the bucket policy and the role when the trail is created.
            { ...stateful, dependsOn: [bucket.policy, rolePolicy] },
        );

        this.trailArn = trail.arn;
        this.bucketName = bucket.bucket.bucket;
        this.logGroupName = logGroup.name;
        this.registerOutputs({ trailArn: this.trailArn, bucketName: this.bucketName, logGroupName: this.logGroupName });
    }

    /**
     * The replica bucket in the other region and the replication of every log file to it (the rule of the data sets:
     * SSE-KMS objects, replica encrypted with the replica region's key, delete markers, 15-minute RTC). A source with
     * Object Lock needs a destination with Object Lock, so the replica has the same retention.
     * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html
     * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication
     */
    private replicate(
        name: string,
        args: AuditTrailArgs & { readonly replica: NonNullable<AuditTrailArgs["replica"]> },
        source: SecureBucket,
        accountId: pulumi.Output<string>,
        protect: boolean,
    ): void {
        const prefix = bucketPrefix(args.stack, ["audit-trail", "replica"]);
        const replica = declareSecureBucket(
            `${name}-replica`,
            {
                bucketPrefix: prefix,
                encryption: { kind: "kms", keyArn: args.replica.kmsKeyArn },
                lifecycleRules: trailLifecycleRules(args.retentionDays),
                // Only replication writes here; TLS only, like every bucket.
                policy: (bucketArn) => bucketArn.apply((arn) => toJson(policyDocument(transportStatements(arn)))),
                objectLockRetentionDays: args.objectLockRetentionDays,
                objectLockMode: args.objectLockMode ?? "GOVERNANCE",
                accessLogs:
                    args.replica.accessLogBucket !== undefined
                        ? { targetBucket: args.replica.accessLogBucket, targetPrefix: "audit-trail-replica/" }
                        : undefined,
                protect,
                tags: { ...args.tags, Name: prefix.replace(/-$/, "") },
            },
            { parent: this, provider: args.replica.provider },
        );
        const role = new aws.iam.Role(
            `${name}-replication`,
            {
                description: `S3 replication of the audit trail to ${args.replica.region}`,
                assumeRolePolicy: accountId.apply((id) => toJson(serviceTrustPolicy("s3.amazonaws.com", id))),
                tags: { ...args.tags, Name: `${name}-replication` },
            },
            { parent: this },
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-replication`,
            {
                role: role.id,
                policy: pulumi
                    .all([source.bucket.arn, args.kmsKeyArn, replica.bucket.arn, args.replica.kmsKeyArn])
                    .apply(([sourceArn, sourceKey, replicaArn, replicaKey]) =>
                        toJson(
                            replicationRolePolicy({
                                source: { bucketArn: sourceArn, region: args.region, keyArn: sourceKey },
                                destination: { bucketArn: replicaArn, region: args.replica.region, keyArn: replicaKey },
                                objectLock: args.objectLockRetentionDays !== undefined,
                            }),
                        ),
                    ),
            },
            { parent: this },
        );
        new aws.s3.BucketReplicationConfig(
            `${name}-replication`,
            {
                bucket: source.bucket.id,
                role: role.arn,
                rules: [
                    replicationRule({
                        id: "audit-to-replica",
                        destinationBucketArn: replica.bucket.arn,
                        replicaKmsKeyArn: args.replica.kmsKeyArn,
                    }),
                ],
            },
            // Versioning must be on at both ends before S3 accepts the configuration.
            { parent: this, dependsOn: [source.versioning, replica.versioning, rolePolicy] },
        );
        if (args.replica.backup !== undefined) {
            new aws.backup.Selection(
                `${name}-replica-backup`,
                {
                    name: `${physicalName(args.stack, ["audit"], 128)}-replica-logs`,
                    planId: args.replica.backup.planId,
                    iamRoleArn: args.replica.backup.roleArn,
                    resources: [replica.bucket.arn],
                },
                { parent: this, provider: args.replica.provider },
            );
        }
    }
}
