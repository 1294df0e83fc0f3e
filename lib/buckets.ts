/**
 * Data sets and their buckets: the settings of one data set as the stack file declares them, the physical-name
 * prefixes of its buckets, and the lifecycle rules every bucket of the program carries. Pure functions, so that the
 * rules can be checked with tables and no mocks.
 */
import type * as aws from "@pulumi/aws";
import { namePrefix } from "./naming";

/** What happens to object versions over time. */
export interface LifecycleSettings {
    /** Days after creation before current objects move to S3 Intelligent-Tiering. */
    readonly intelligentTieringAfterDays: number;
    /** Days an object version stays after it stops being current (overwritten or deleted) before it expires. */
    readonly noncurrentVersionExpirationDays: number;
    /** Days before the parts of an unfinished multipart upload are deleted. */
    readonly abortIncompleteMultipartUploadDays: number;
}

/** One data set of the stack: a source bucket in the primary region replicated to a bucket in the DR region. */
export interface DataSet {
    /** Name of the data set, e.g. `clinical-documents`; part of the bucket names. */
    readonly name: string;
    /**
     * Replicate the DR bucket back to the primary as well: after a failover the DR bucket takes the writes, and
     * without this rule the objects written there never reach the home region, so a failback would lose them.
     */
    readonly reverseReplication: boolean;
    readonly lifecycle: LifecycleSettings;
    /**
     * Object Lock default retention in governance mode, in days; `undefined` leaves Object Lock off. Governance, not
     * compliance, on purpose: patient data must stay correctable and erasable (a record uploaded to the wrong patient,
     * a retention period that ends), which a compliance lock makes impossible for everyone until it expires; the
     * audit trail, which nobody may ever alter, is locked in compliance mode in prod (AuditTrail).
     */
    readonly objectLockRetentionDays: number | undefined;
}

export const DEFAULT_LIFECYCLE: LifecycleSettings = {
    intelligentTieringAfterDays: 30,
    noncurrentVersionExpirationDays: 90,
    abortIncompleteMultipartUploadDays: 7,
};

/** The data set every stack has unless its stack file lists others. */
export const DEFAULT_DATA_SET_NAME = "clinical-documents";

/** Object Lock retention in prod when a data set does not set its own: one year. */
export const DEFAULT_OBJECT_LOCK_RETENTION_DAYS = 365;

/** A data set as the stack file gives it, after validation and the schema's own defaults. */
export interface ParsedDataSet {
    readonly name: string;
    readonly reverseReplication?: boolean | undefined;
    readonly lifecycle: LifecycleSettings;
    readonly objectLockRetentionDays?: number | undefined;
}

/** What the environment decides for a data set that does not say. */
export interface DataSetDefaults {
    /** Lock objects for `DEFAULT_OBJECT_LOCK_RETENTION_DAYS` (prod). */
    readonly objectLockByDefault: boolean;
    /** Replicate the DR bucket back to the primary (prod): failback loses no object. */
    readonly reverseReplicationByDefault: boolean;
}

/**
 * Fills in the defaults that depend on the environment: prod locks objects for a year and replicates both ways
 * unless the data set says otherwise; dev has no Object Lock (locked objects would stop `pulumi destroy`) and one
 * direction (half the replication cost) unless the data set asks for them.
 */
export function resolveDataSet(parsed: ParsedDataSet, env: DataSetDefaults): DataSet {
    return {
        name: parsed.name,
        reverseReplication: parsed.reverseReplication ?? env.reverseReplicationByDefault,
        lifecycle: { ...parsed.lifecycle },
        objectLockRetentionDays:
            parsed.objectLockRetentionDays ?? (env.objectLockByDefault ? DEFAULT_OBJECT_LOCK_RETENTION_DAYS : undefined),
    };
}

/**
 * A bucket name prefix may be at most 37 characters: the provider appends a 26-character unique suffix and a bucket
 * name is at most 63 characters.
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/s3/bucket/#bucketprefix_nodejs
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const BUCKET_PREFIX_MAX_LENGTH = 37;

/**
 * The prefix of every bucket of a stack, `hdr-<stack>-`. The access-log buckets accept logs only from buckets whose
 * names start with it.
 */
export function stackBucketPrefix(stack: string): string {
    return `${namePrefix(stack)}-`;
}

/**
 * The name prefix of one bucket, `hdr-<stack>-<part>-<part>-`, lower case; the provider adds a unique suffix. Throws
 * when the prefix would be longer than S3 allows, naming what to shorten.
 */
export function bucketPrefix(stack: string, parts: readonly string[]): string {
    const raw = `${stackBucketPrefix(stack)}${parts.join("-")}`
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .replace(/-$/, "");
    const prefix = `${raw}-`;
    if (prefix.length > BUCKET_PREFIX_MAX_LENGTH) {
        throw new Error(
            `The bucket name prefix ${prefix} is ${prefix.length} characters long; S3 allows ${BUCKET_PREFIX_MAX_LENGTH}. Use a shorter stack name or data-set name.`,
        );
    }
    return prefix;
}

/** Where a bucket's server access logs go inside the region's log bucket: one folder per data set. */
export function accessLogPrefix(dataSet: string): string {
    return `${dataSet}/`;
}

type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

/**
 * The lifecycle rules of a data bucket (the same on the source and on the replica):
 * - current objects move to Intelligent-Tiering (no retrieval fee, no minimum storage duration, so a sound default
 *   for documents of unknown access pattern; objects under 128 KB are not transitioned by S3);
 * - noncurrent versions expire (versions under an Object Lock retention are kept until it ends: lifecycle respects
 *   Object Lock);
 * - unfinished multipart uploads are aborted, so their invisible parts do not accumulate.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-lifecycle
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html
 */
export function dataLifecycleRules(settings: LifecycleSettings): LifecycleRule[] {
    return [
        {
            id: "current-to-intelligent-tiering",
            status: "Enabled",
            // An empty filter applies the rule to every object.
            filter: {},
            transitions: [{ days: settings.intelligentTieringAfterDays, storageClass: "INTELLIGENT_TIERING" }],
        },
        {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: settings.noncurrentVersionExpirationDays },
        },
        {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: settings.abortIncompleteMultipartUploadDays },
        },
    ];
}

/**
 * The lifecycle rules of an access-log bucket: logs expire after the stack's log retention; the noncurrent-version
 * and multipart rules are those of the data buckets. Log objects are small, so no tiering.
 */
export function accessLogLifecycleRules(retentionDays: number, settings: LifecycleSettings = DEFAULT_LIFECYCLE): LifecycleRule[] {
    return [
        { id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: retentionDays } },
        ...dataLifecycleRules(settings).filter((rule) => rule.id !== "current-to-intelligent-tiering"),
    ];
}
