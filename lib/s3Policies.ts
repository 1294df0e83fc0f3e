/**
 * The policy documents of the program's buckets: the bucket policies of the data buckets and of the access-log
 * buckets, and the permissions of the S3 replication role. Pure functions of plain ARNs, so that every statement can
 * be asserted action by action.
 */
import { policyDocument, type PolicyDocument, type PolicyStatement } from "./iam";

/** Condition keys of S3 uploads. @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html */
const SSE_HEADER = "s3:x-amz-server-side-encryption";
const SSE_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id";

/** The oldest TLS version the buckets accept. @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html#example-object-tls-version */
export const MIN_TLS_VERSION = 1.2;

/**
 * Statements that refuse every request over plain HTTP or TLS older than 1.2.
 *
 * These are the only statements of the program with a wildcard action: a Deny has to cover every S3 action, present
 * and future (the least-privilege rule is about what is allowed, and these allow nothing).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
 */
export function transportStatements(bucketArn: string): PolicyStatement[] {
    const resources = [bucketArn, `${bucketArn}/*`];
    return [
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: resources,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
            Sid: "DenyOutdatedTls",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: resources,
            Condition: { NumericLessThan: { "s3:TlsVersion": MIN_TLS_VERSION } },
        },
    ];
}

/**
 * The bucket policy of a data bucket (source or replica): TLS only, and no upload encrypted other than with SSE-KMS
 * under the region's key.
 *
 * An upload that names no encryption at all is let through: the bucket's default encryption then applies SSE-KMS
 * with the region's key and a Bucket Key (and UploadPart requests of a multipart upload carry no encryption headers).
 * What is refused is any upload that asks for something else:
 * - another algorithm (SSE-S3 `AES256`, DSSE-KMS `aws:kms:dsse`);
 * - another KMS key, or the right key named other than by its ARN (the condition compares strings);
 * - `aws:kms` without a key id, for which S3 uses the AWS managed key `aws/s3`, not the bucket's default key.
 * Replication writes replicas with `s3:ReplicateObject`, not `s3:PutObject`, so these statements do not stop it.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#AmazonS3-PutObject-request-header-SSEKMSKeyId
 */
export function dataBucketPolicy(args: { bucketArn: string; keyArn: string }): PolicyDocument {
    const objects = `${args.bucketArn}/*`;
    return policyDocument([
        ...transportStatements(args.bucketArn),
        {
            Sid: "DenyUploadsNotSseKms",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: { StringNotEquals: { [SSE_HEADER]: "aws:kms" }, Null: { [SSE_HEADER]: "false" } },
        },
        {
            Sid: "DenyUploadsWithAnotherKmsKey",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: { StringNotEquals: { [SSE_KEY_HEADER]: args.keyArn }, Null: { [SSE_KEY_HEADER]: "false" } },
        },
        {
            Sid: "DenyUploadsWithTheAwsManagedKey",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: { Null: { [SSE_HEADER]: "false", [SSE_KEY_HEADER]: "true" } },
        },
    ]);
}

/** The service that delivers S3 server access logs. @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general */
export const LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com";

/**
 * The bucket policy of an access-log bucket: TLS only; the S3 logging service may write logs, but only for buckets
 * of this account whose names start with the stack's prefix (`aws:SourceAccount` and `aws:SourceArn`, as AWS
 * recommends against the confused deputy); and no object may be written with an encryption other than SSE-S3, the
 * only default encryption server access logging supports.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 */
export function accessLogBucketPolicy(args: {
    bucketArn: string;
    accountId: string;
    partition: string;
    /** Name prefix of the buckets allowed to log here, e.g. `hdr-prod-`. */
    sourceBucketPrefix: string;
}): PolicyDocument {
    return policyDocument([
        ...transportStatements(args.bucketArn),
        {
            Sid: "AllowServerAccessLogDelivery",
            Effect: "Allow",
            Principal: { Service: LOG_DELIVERY_SERVICE },
            Action: "s3:PutObject",
            Resource: `${args.bucketArn}/*`,
            Condition: {
                StringEquals: { "aws:SourceAccount": args.accountId },
                ArnLike: { "aws:SourceArn": `arn:${args.partition}:s3:::${args.sourceBucketPrefix}*` },
            },
        },
        {
            Sid: "DenyUploadsNotSseS3",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `${args.bucketArn}/*`,
            Condition: { StringNotEquals: { [SSE_HEADER]: "AES256" }, Null: { [SSE_HEADER]: "false" } },
        },
    ]);
}

/** One end of a replication rule. */
export interface ReplicationEndpoint {
    readonly bucketArn: string;
    /** Region of the bucket (and of its key). */
    readonly region: string;
    /** ARN of the KMS key the bucket's objects are encrypted with. */
    readonly keyArn: string;
}

/**
 * S3 actions of the replication role, exactly those AWS lists for replicating KMS-encrypted objects with their tags.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
 */
export const REPLICATION_ACTIONS = {
    /** On the source bucket. */
    sourceBucket: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
    /** On the source bucket's objects. `GetObjectVersionForReplication` (not `GetObjectVersion`) is the one that reads SSE-KMS objects. */
    sourceObjects: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
    /**
     * On the source bucket's objects when the source has Object Lock.
     * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication
     */
    sourceObjectLock: ["s3:GetObjectRetention", "s3:GetObjectLegalHold"],
    /** On the destination bucket's objects. */
    destinationObjects: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
} as const;

/**
 * KMS actions of the replication role. On the destination key, `kms:Decrypt` besides `kms:Encrypt`: with S3 Bucket
 * Keys, S3 decrypts the bucket key to verify it before use. `kms:GenerateDataKey` is not needed: AWS requires it only
 * to replicate plaintext objects, and the source bucket refuses every upload that is not SSE-KMS.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html#bk-replication
 */
export const REPLICATION_KMS_ACTIONS = {
    sourceKey: ["kms:Decrypt"],
    destinationKey: ["kms:Encrypt", "kms:Decrypt"],
} as const;

/**
 * The KMS conditions of the replication role: the key is usable only through S3 in the key's region
 * (`kms:ViaService`), and only for objects of the one bucket (`kms:EncryptionContext:aws:s3:arn`). With S3 Bucket
 * Keys the encryption context is the bucket ARN rather than the object ARN; the object form is kept too, for any
 * object written with the Bucket Key turned off.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export function kmsViaS3(endpoint: ReplicationEndpoint) {
    return {
        StringEquals: { "kms:ViaService": `s3.${endpoint.region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [endpoint.bucketArn, `${endpoint.bucketArn}/*`] },
    };
}

/**
 * The permissions of the role S3 assumes to replicate `source` to `destination`: the S3 and KMS actions replication
 * needs, on these two buckets and these two keys only. No wildcard action; no `*` resource.
 */
export function replicationRolePolicy(args: {
    source: ReplicationEndpoint;
    destination: ReplicationEndpoint;
    /** The source bucket has Object Lock: the role must read retention and legal holds to copy them. */
    objectLock: boolean;
}): PolicyDocument {
    const { source, destination } = args;
    return policyDocument([
        {
            Sid: "ReadSourceReplicationConfiguration",
            Effect: "Allow",
            Action: [...REPLICATION_ACTIONS.sourceBucket],
            Resource: source.bucketArn,
        },
        {
            Sid: "ReadSourceObjectVersions",
            Effect: "Allow",
            Action: [...REPLICATION_ACTIONS.sourceObjects, ...(args.objectLock ? REPLICATION_ACTIONS.sourceObjectLock : [])],
            Resource: `${source.bucketArn}/*`,
        },
        {
            Sid: "WriteReplicas",
            Effect: "Allow",
            Action: [...REPLICATION_ACTIONS.destinationObjects],
            Resource: `${destination.bucketArn}/*`,
        },
        {
            Sid: "DecryptSourceObjects",
            Effect: "Allow",
            Action: [...REPLICATION_KMS_ACTIONS.sourceKey],
            Resource: source.keyArn,
            Condition: kmsViaS3(source),
        },
        {
            Sid: "EncryptReplicas",
            Effect: "Allow",
            Action: [...REPLICATION_KMS_ACTIONS.destinationKey],
            Resource: destination.keyArn,
            Condition: kmsViaS3(destination),
        },
    ]);
}
