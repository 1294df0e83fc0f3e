/**
 * The run-report bucket of each region's failover orchestrator, as pure values: how it is recognised, how long its
 * reports are locked, and its lifecycle. Every run of the function writes its JSON report there once
 * (`reportObjectKey` in lib/failover.ts); the reports are the evidence that the contingency plan is tested (HIPAA
 * §164.308(a)(7)(ii)(D)), kept as long as HIPAA requires documentation to be kept (§164.316(b)(2)(i): six years).
 * @see https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C/section-164.316
 */
import type * as aws from "@pulumi/aws";
import { bucketPrefix } from "./buckets";

/**
 * The `DataClassification` tag of a run-report bucket. It tells the policy pack two things: the bucket holds no
 * patient data (a report names clusters, endpoints, request ids and timings, never a record), so the patient-data
 * rules (replication, backup selection) do not apply to it; and it is a report bucket, which
 * `failover-report-bucket-locked` holds to Object Lock, a default retention, SSE-KMS and versioning. The pack keeps
 * its own copy of the value (policy-pack/policies/runReports.ts); tests/runReports.test.ts keeps the two equal.
 */
export const RUN_REPORT_DATA_CLASSIFICATION = "ContingencyEvidence";

/** Object Lock retention modes (S3). */
export type RetentionMode = "GOVERNANCE" | "COMPLIANCE";

/**
 * Six years in days (6 x 365): HIPAA §164.316(b)(2)(i) asks that documentation of the safeguards, test records
 * included, be retained six years from its creation.
 */
export const HIPAA_RETENTION_DAYS = 2190;

/** The default Object Lock retention of the report bucket. */
export interface ReportRetention {
    readonly mode: RetentionMode;
    readonly days: number;
}

/**
 * The report bucket's default retention:
 * - protected stacks (prod): COMPLIANCE for HIPAA_RETENTION_DAYS. No one, the root user included, can delete or
 *   overwrite a report, or shorten its retention, before six years have passed: evidence nobody can tidy away.
 * - otherwise (dev): GOVERNANCE for one day, so that `pulumi destroy` can empty the bucket (the provider's
 *   `forceDestroy` deletes locked objects too, bypassing governance retention; a COMPLIANCE-locked object cannot be
 *   deleted by anyone) and the stack can be torn down.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/s3/bucket/#forcedestroy_nodejs
 */
export function reportRetention(protect: boolean): ReportRetention {
    return protect ? { mode: "COMPLIANCE", days: HIPAA_RETENTION_DAYS } : { mode: "GOVERNANCE", days: 1 };
}

/**
 * The name prefix of a region's report bucket, `hdr-<stack>-run-reports-<region>-` (the provider adds a unique
 * suffix). Inside the stack's prefix, so that the region's access-log bucket accepts its server access logs.
 */
export function reportBucketPrefix(stack: string, region: string): string {
    return bucketPrefix(stack, ["run-reports", region]);
}

/** Where the report bucket's server access logs go in the region's access-log bucket. */
export const REPORT_ACCESS_LOG_PREFIX = "run-reports/";

/**
 * The report bucket's lifecycle: reports are written once and never overwritten, so a noncurrent version exists only
 * if someone deleted or overwrote a report; it expires when its retention would have ended (lifecycle never removes a
 * locked version before its retention ends). Current reports never expire on their own: they are the evidence.
 * Unfinished uploads are aborted after a day.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-lifecycle
 */
export function reportLifecycleRules(retention: ReportRetention): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    return [
        {
            id: "expire-noncurrent-after-retention",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: retention.days },
        },
        {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
    ];
}
