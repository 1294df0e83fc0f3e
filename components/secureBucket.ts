/**
 * The baseline every bucket of the program gets, declared as children of the component that owns the bucket:
 * versioning, default encryption, no public access, no ACLs, lifecycle rules, a bucket policy, optional Object Lock
 * and server access logging. Not a component of its own: a bucket and its settings are one thing to the reader, and
 * keeping them as direct children of the owning component keeps URNs flat.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** S3 Object Lock retention modes. */
export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE";

/** How objects are encrypted at rest by default. */
export type BucketEncryption =
    /** SSE-KMS with the region's customer-managed key and an S3 Bucket Key (fewer KMS calls, lower cost). */
    | { readonly kind: "kms"; readonly keyArn: pulumi.Input<string> }
    /** SSE-S3: only for access-log buckets, where AWS supports nothing else. */
    | { readonly kind: "s3" };

export interface SecureBucketArgs {
    /** Physical name prefix; the provider adds a unique suffix. */
    readonly bucketPrefix: string;
    /** Default encryption of new objects. */
    readonly encryption: BucketEncryption;
    /** Lifecycle rules. */
    readonly lifecycleRules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
    /** The bucket policy, given the bucket's ARN. */
    readonly policy: (bucketArn: pulumi.Output<string>) => pulumi.Input<string>;
    /** Object Lock default retention in days; `undefined` for no Object Lock. */
    readonly objectLockRetentionDays: number | undefined;
    /**
     * Object Lock retention mode. `GOVERNANCE`: a principal with `s3:BypassGovernanceRetention` can still delete or
     * shorten the retention. `COMPLIANCE`: nobody can, the root user included, until the retention ends.
     * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes
     * @default "GOVERNANCE"
     */
    readonly objectLockMode?: ObjectLockMode;
    /** Where server access logs go; `undefined` for none (the log buckets themselves). */
    readonly accessLogs: { readonly targetBucket: pulumi.Input<string>; readonly targetPrefix: string } | undefined;
    /** Pulumi `protect` and `retainOnDelete` on the bucket; without it the bucket is emptied on destroy. */
    readonly protect: boolean;
    /** Tags of the bucket, `Name` included. */
    readonly tags: Readonly<Record<string, string>>;
}

/** The resources of one bucket; the versioning resource is what a replication configuration must wait for. */
export interface SecureBucket {
    readonly bucket: aws.s3.Bucket;
    readonly versioning: aws.s3.BucketVersioning;
    readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
    readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    readonly ownershipControls: aws.s3.BucketOwnershipControls;
    readonly lifecycle: aws.s3.BucketLifecycleConfiguration;
    readonly policy: aws.s3.BucketPolicy;
    readonly objectLock: aws.s3.BucketObjectLockConfiguration | undefined;
    readonly logging: aws.s3.BucketLogging | undefined;
}

/**
 * Declares a bucket and its settings. `opts.parent` is the owning component; `opts.provider` is the bucket's region
 * (omit it to inherit the parent's provider).
 */
export function declareSecureBucket(
    name: string,
    args: SecureBucketArgs,
    opts: { readonly parent: pulumi.Resource; readonly provider?: aws.Provider },
): SecureBucket {
    const child: pulumi.CustomResourceOptions = {
        parent: opts.parent,
        ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
    };
    const locked = args.objectLockRetentionDays !== undefined;

    const bucket = new aws.s3.Bucket(
        name,
        {
            bucketPrefix: args.bucketPrefix,
            // Dev only: lets `pulumi destroy` delete a bucket that still holds objects. Prod keeps them.
            forceDestroy: !args.protect,
            // Object Lock is enabled when the bucket is created (turning it on later replaces the bucket here).
            // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html
            ...(locked ? { objectLockEnabled: true } : {}),
            tags: { ...args.tags },
        },
        { ...child, protect: args.protect, retainOnDelete: args.protect },
    );

    // ACLs off: the bucket owner owns every object and access is decided by policies alone.
    // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
    const ownershipControls = new aws.s3.BucketOwnershipControls(
        name,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        child,
    );

    // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        name,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        child,
    );

    const versioning = new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);

    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        {
            bucket: bucket.id,
            rules: [
                args.encryption.kind === "kms"
                    ? {
                          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.encryption.keyArn },
                          // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
                          bucketKeyEnabled: true,
                          // Customer-provided keys (SSE-C) carry no header the bucket policy can test; S3 refuses them here.
                          // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/blocking-unblocking-s3-c-encryption-gpb.html
                          blockedEncryptionTypes: ["SSE-C"],
                      }
                    : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, blockedEncryptionTypes: ["SSE-C"] },
            ],
        },
        child,
    );

    // Noncurrent-version rules act on versions, so they wait for versioning.
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
        name,
        { bucket: bucket.id, rules: args.lifecycleRules },
        { ...child, dependsOn: [versioning] },
    );

    // A default retention needs versioning, which Object Lock turns on with the bucket; wait for ours all the same.
    const objectLock = locked
        ? new aws.s3.BucketObjectLockConfiguration(
              name,
              {
                  bucket: bucket.id,
                  rule: { defaultRetention: { mode: args.objectLockMode ?? "GOVERNANCE", days: args.objectLockRetentionDays } },
              },
              { ...child, dependsOn: [versioning] },
          )
        : undefined;

    // After the public access block, so that S3 checks the policy against it rather than racing it.
    const policy = new aws.s3.BucketPolicy(
        name,
        { bucket: bucket.id, policy: args.policy(bucket.arn) },
        { ...child, dependsOn: [publicAccessBlock] },
    );

    const logging =
        args.accessLogs !== undefined
            ? new aws.s3.BucketLogging(
                  name,
                  { bucket: bucket.id, targetBucket: args.accessLogs.targetBucket, targetPrefix: args.accessLogs.targetPrefix },
                  child,
              )
            : undefined;

    return { bucket, versioning, encryption, publicAccessBlock, ownershipControls, lifecycle, policy, objectLock, logging };
}
