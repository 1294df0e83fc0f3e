import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { accessLogPrefix, bucketPrefix, dataLifecycleRules, type DataSet } from "../lib/buckets";
import { serviceTrustPolicy, toJson } from "../lib/iam";
import { RULE_IDS, replicationAlarms, replicationRule } from "../lib/replication";
import { dataBucketPolicy, replicationRolePolicy } from "../lib/s3Policies";
import { declareSecureBucket, type SecureBucket } from "./secureBucket";

/** One side of the pair: what the component needs to know of a region. `Region` of program.ts fits. */
export interface BucketRegion {
    /** AWS region code, e.g. `eu-west-2`. */
    readonly name: string;
    /** The region's explicit provider; every child in the region uses it. */
    readonly provider: aws.Provider;
    /** The region's customer-managed key: the bucket's default encryption, and the replica key on this side. */
    readonly key: { readonly arn: pulumi.Input<string> };
}

export interface ReplicatedBucketArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** Pulumi stack name, the start of every bucket name (`hdr-<stack>-`). */
    readonly stack: string;
    /** The data set: its name, lifecycle, Object Lock retention and whether to replicate back for failback. */
    readonly dataSet: DataSet;
    /** The primary region: the source bucket. */
    readonly primary: BucketRegion;
    /** The DR region: the replica bucket. */
    readonly dr: BucketRegion;
    /** Names of the access-log buckets of the two regions (server access logs stay in their region). */
    readonly accessLogBuckets: { readonly primary: pulumi.Input<string>; readonly dr: pulumi.Input<string> };
    /** Recovery point objective in seconds: the `ReplicationLatency` alarm fires above it. */
    readonly rpoSeconds: number;
    /**
     * Protect the buckets (Pulumi `protect` and `retainOnDelete`); without it they are emptied and deleted on destroy.
     * @default false
     */
    readonly protect?: boolean;
    /**
     * Actions of the replication alarms (ARNs of the alert topics), in both regions. The alarms exist either way.
     * @default [] - no actions
     */
    readonly alarmActions?: { readonly primary?: pulumi.Input<string>[]; readonly dr?: pulumi.Input<string>[] };
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The buckets of one data set of healthcare files: a source bucket in the primary region replicated to a bucket in
 * the DR region with S3 Replication Time Control (99.99% of objects within 15 minutes), optionally replicated back
 * for failback. Both buckets are private, versioned, encrypted with their region's key, TLS only, logged, and (when
 * the data set sets a retention, as prod does by default) under Object Lock in governance mode.
 */
export class ReplicatedBucket extends pulumi.ComponentResource {
    /** Name of the source bucket (primary region). */
    public readonly sourceBucketName: pulumi.Output<string>;
    /** ARN of the source bucket. */
    public readonly sourceBucketArn: pulumi.Output<string>;
    /** Name of the replica bucket (DR region). */
    public readonly replicaBucketName: pulumi.Output<string>;
    /** ARN of the replica bucket. */
    public readonly replicaBucketArn: pulumi.Output<string>;
    /** ARN of the role S3 assumes to replicate from the primary to the DR region. */
    public readonly replicationRoleArn: pulumi.Output<string>;
    /** ARN of the role of the reverse (failback) replication; `undefined` when it is off. */
    public readonly failbackReplicationRoleArn: pulumi.Output<string | undefined>;

    constructor(name: string, args: ReplicatedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:ReplicatedBucket", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        const { dataSet, primary, dr } = args;
        const protect = args.protect ?? false;
        const tags = args.tags ?? {};
        const objectLock = dataSet.objectLockRetentionDays !== undefined;

        const declareDataBucket = (role: "source" | "replica", region: BucketRegion, regionRole: "primary" | "dr"): SecureBucket => {
            const prefix = bucketPrefix(args.stack, [dataSet.name, regionRole === "primary" ? "pri" : "dr"]);
            return declareSecureBucket(
                `${name}-${role}`,
                {
                    bucketPrefix: prefix,
                    encryption: { kind: "kms", keyArn: region.key.arn },
                    lifecycleRules: dataLifecycleRules(dataSet.lifecycle),
                    policy: (bucketArn) =>
                        pulumi
                            .all([bucketArn, region.key.arn])
                            .apply(([arn, keyArn]) => toJson(dataBucketPolicy({ bucketArn: arn, keyArn }))),
                    objectLockRetentionDays: dataSet.objectLockRetentionDays,
                    accessLogs: { targetBucket: args.accessLogBuckets[regionRole], targetPrefix: accessLogPrefix(dataSet.name) },
                    protect,
                    tags: { ...tags, Name: prefix.replace(/-$/, ""), DataSet: dataSet.name },
                },
                { parent: this, provider: region.provider },
            );
        };
        const source = declareDataBucket("source", primary, "primary");
        const replica = declareDataBucket("replica", dr, "dr");

        const forward = this.replicate(`${name}-to-dr`, {
            ruleId: RULE_IDS.toDr,
            from: { bucket: source, region: primary },
            to: { bucket: replica, region: dr },
            objectLock,
            accountId,
            rpoSeconds: args.rpoSeconds,
            route: `${dataSet.name} from ${primary.name} to ${dr.name}`,
            alarmActions: args.alarmActions?.primary ?? [],
            tags,
        });
        const failback = dataSet.reverseReplication
            ? this.replicate(`${name}-to-primary`, {
                  ruleId: RULE_IDS.toPrimary,
                  from: { bucket: replica, region: dr },
                  to: { bucket: source, region: primary },
                  objectLock,
                  accountId,
                  rpoSeconds: args.rpoSeconds,
                  route: `${dataSet.name} from ${dr.name} back to ${primary.name}`,
                  alarmActions: args.alarmActions?.dr ?? [],
                  tags,
              })
            : undefined;

        this.sourceBucketName = source.bucket.bucket;
        this.sourceBucketArn = source.bucket.arn;
        this.replicaBucketName = replica.bucket.bucket;
        this.replicaBucketArn = replica.bucket.arn;
        this.replicationRoleArn = forward.arn;
        this.failbackReplicationRoleArn =
            failback !== undefined ? failback.arn.apply((a): string | undefined => a) : pulumi.output(undefined);
        this.registerOutputs({
            sourceBucketName: this.sourceBucketName,
            sourceBucketArn: this.sourceBucketArn,
            replicaBucketName: this.replicaBucketName,
            replicaBucketArn: this.replicaBucketArn,
            replicationRoleArn: this.replicationRoleArn,
            failbackReplicationRoleArn: this.failbackReplicationRoleArn,
        });
    }

    /**
     * One direction of replication: its role (S3 only, this account only), the role's permissions, the replication
     * configuration on the source bucket, and the alarms on the rule's metrics in the source region. Returns the role.
     */
    private replicate(
        name: string,
        args: {
            ruleId: string;
            from: { bucket: SecureBucket; region: BucketRegion };
            to: { bucket: SecureBucket; region: BucketRegion };
            objectLock: boolean;
            accountId: pulumi.Output<string>;
            rpoSeconds: number;
            route: string;
            alarmActions: pulumi.Input<string>[];
            tags: Readonly<Record<string, string>>;
        },
    ): aws.iam.Role {
        const { from, to } = args;
        // IAM is global; the role is declared through the source region's provider.
        const role = new aws.iam.Role(
            name,
            {
                description: `S3 replication of ${args.route}`,
                assumeRolePolicy: args.accountId.apply((accountId) => toJson(serviceTrustPolicy("s3.amazonaws.com", accountId))),
                tags: { ...args.tags, Name: name },
            },
            { parent: this, provider: from.region.provider },
        );
        const rolePolicy = new aws.iam.RolePolicy(
            name,
            {
                role: role.id,
                policy: pulumi
                    .all([from.bucket.bucket.arn, from.region.key.arn, to.bucket.bucket.arn, to.region.key.arn])
                    .apply(([sourceArn, sourceKey, destinationArn, destinationKey]) =>
                        toJson(
                            replicationRolePolicy({
                                source: { bucketArn: sourceArn, region: from.region.name, keyArn: sourceKey },
                                destination: { bucketArn: destinationArn, region: to.region.name, keyArn: destinationKey },
                                objectLock: args.objectLock,
                            }),
                        ),
                    ),
            },
            { parent: this, provider: from.region.provider },
        );

        new aws.s3.BucketReplicationConfig(
            name,
            {
                bucket: from.bucket.bucket.id,
                role: role.arn,
                rules: [
                    replicationRule({ id: args.ruleId, destinationBucketArn: to.bucket.bucket.arn, replicaKmsKeyArn: to.region.key.arn }),
                ],
            },
            {
                parent: this,
                provider: from.region.provider,
                // S3 refuses a replication configuration unless versioning is already on at both ends; the bucket ids
                // alone would let it race the versioning resources. The role's permissions must exist before the
                // first object is replicated.
                // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html
                // @see https://www.pulumi.com/registry/packages/aws/api-docs/s3/bucketreplicationconfig/
                dependsOn: [from.bucket.versioning, to.bucket.versioning, rolePolicy],
            },
        );

        for (const alarm of replicationAlarms({
            route: args.route,
            sourceBucket: from.bucket.bucket.bucket,
            destinationBucket: to.bucket.bucket.bucket,
            ruleId: args.ruleId,
            rpoSeconds: args.rpoSeconds,
        })) {
            const { suffix, description, ...metric } = alarm;
            new aws.cloudwatch.MetricAlarm(
                `${name}-${suffix}`,
                {
                    ...metric,
                    alarmDescription: description,
                    alarmActions: args.alarmActions,
                    okActions: args.alarmActions,
                    tags: { ...args.tags, Name: `${name}-${suffix}` },
                },
                // Replication metrics are reported in the source bucket's region.
                { parent: this, provider: from.region.provider },
            );
        }
        return role;
    }
}
