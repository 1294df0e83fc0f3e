/**
 * The evidence of contingency-plan testing (HIPAA 164.308(a)(7)(ii)(D)): every run of the failover orchestrator (a
 * drill, a switchover, a failover, a break-glass, a refusal) writes a JSON report to its region's report bucket. The
 * report is evidence only if nobody can alter or remove it, and HIPAA keeps documentation six years
 * (164.316(b)(2)(i)): Object Lock, enabled when the bucket is created, with a default retention that applies to every
 * report without the writer asking; COMPLIANCE mode in protected environments (GOVERNANCE yields to any principal
 * with s3:BypassGovernanceRetention), encryption with a customer-managed key, versioning.
 *
 * A report bucket is recognised two ways, so that neither a missing tag nor a renamed parameter hides one:
 * - its `DataClassification` tag is RUN_REPORT_DATA_CLASSIFICATION (components/RunReportBucket.ts sets it; the pack
 *   is self-contained, so the value is its own, and tests/runReports.test.ts keeps it equal to lib/runReports.ts);
 * - an SSM parameter `/healthcare/<environment>/failover/report-bucket` (the orchestrator's `report-bucket`
 *   parameter, which tells the function where to write) names it.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 * @see https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C/section-164.316
 */
import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, effectiveTags, isProtectedEnvironment, refersTo } from "./lib/resources";
import { bucketsOf, configsOf, isVersioned } from "./lib/s3";
import { T } from "./lib/types";
import { get, isTrue, num, records, str } from "./lib/values";

/** The `DataClassification` of a run-report bucket (lib/runReports.ts `RUN_REPORT_DATA_CLASSIFICATION`). */
export const RUN_REPORT_DATA_CLASSIFICATION = "ContingencyEvidence";

/** The orchestrator's parameter that names its region's report bucket (lib/failover.ts `FAILOVER_PARAMETERS.reportBucket`). */
export const REPORT_BUCKET_PARAMETER = /^\/healthcare\/[^/]+\/failover\/report-bucket$/;

/** Six years (HIPAA 164.316(b)(2)(i)), the default least retention in protected environments. */
export const MINIMUM_REPORT_RETENTION_DAYS = 2190;

const OBJECT_LOCK_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html";
const OBJECT_LOCK_CONFIGURE_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html";

/** The run-report buckets of a stack: tagged as such, or named by an orchestrator's report-bucket parameter. */
export function reportBucketsOf(resources: readonly PolicyResource[]): PolicyResource[] {
    const parameters = resources.filter((r) => r.type === T.ssmParameter && REPORT_BUCKET_PARAMETER.test(str(r.props["name"]) ?? ""));
    return bucketsOf(resources).filter(
        (bucket) =>
            effectiveTags(bucket.props, bucket.provider)["DataClassification"] === RUN_REPORT_DATA_CLASSIFICATION ||
            parameters.some((p) => refersTo(p, "value", bucket, ["bucket", "id"])),
    );
}

/** The default retention of a bucket's Object Lock (its configuration resource, or the bucket's inline block). */
function defaultRetentionOf(bucket: PolicyResource, resources: readonly PolicyResource[]): Record<string, unknown> | undefined {
    const config = configsOf(bucket, resources, [T.bucketObjectLock, T.bucketObjectLockV2])[0];
    const rule = config !== undefined ? get(config.props, "rule") : get(bucket.props, "objectLockConfiguration", "rule");
    const retention = get(rule, "defaultRetention");
    return retention !== null && typeof retention === "object" ? (retention as Record<string, unknown>) : undefined;
}

/** Object Lock is enabled on the bucket: `objectLockEnabled` (@pulumi/aws v7), or the older inline block. */
function objectLockEnabled(bucket: PolicyResource): boolean {
    return (
        isTrue(bucket.props["objectLockEnabled"]) || str(get(bucket.props, "objectLockConfiguration", "objectLockEnabled")) === "Enabled"
    );
}

/** Default encryption is SSE-KMS (or DSSE-KMS), from the configuration resource or the bucket's inline block. */
function encryptedWithKms(bucket: PolicyResource, resources: readonly PolicyResource[]): boolean {
    const rules = [
        ...configsOf(bucket, resources, [T.bucketSse, T.bucketSseV2]).flatMap((c) => records(c.props["rules"])),
        ...records(get(bucket.props, "serverSideEncryptionConfiguration", "rule")),
    ];
    return rules.some((r) => {
        const algorithm = str(get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm"));
        return algorithm === "aws:kms" || algorithm === "aws:kms:dsse";
    });
}

/** Days of a default retention given in days or in years. */
function retentionDays(retention: Record<string, unknown>): number | undefined {
    const days = num(retention["days"]);
    const years = num(retention["years"]);
    return days ?? (years !== undefined ? years * 365 : undefined);
}

export const failoverReportBucketLocked = stackPolicy({
    name: "failover-report-bucket-locked",
    description:
        "Every failover run-report bucket (the evidence of contingency-plan testing) has Object Lock with a default retention (COMPLIANCE mode and at least six years in protected environments), SSE-KMS and versioning.",
    remediationSteps:
        "Declare the report bucket with components/RunReportBucket.ts: objectLockEnabled: true at creation, an aws.s3.BucketObjectLockConfiguration with rule.defaultRetention (COMPLIANCE, 2190 days in prod), a BucketServerSideEncryptionConfiguration with aws:kms and a BucketVersioning with status Enabled.",
    configSchema: {
        properties: {
            protectedEnvironments: {
                type: "array",
                items: { type: "string" },
                default: ["prod"],
                description:
                    "Environment tag values (or stack names) whose report buckets must lock in COMPLIANCE mode for minimumRetentionDays.",
            },
            minimumRetentionDays: {
                type: "integer",
                minimum: 1,
                default: MINIMUM_REPORT_RETENTION_DAYS,
                description: "The shortest default retention of a report bucket in a protected environment, in days (HIPAA: six years).",
            },
        },
    },
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(ii)(D)", "164.316(b)(2)(i)", "164.312(c)(1)"],
        checks: "Buckets tagged DataClassification ContingencyEvidence or named by /healthcare/<env>/failover/report-bucket: objectLockEnabled, a default retention (COMPLIANCE and >= minimumRetentionDays in protected environments), SSE-KMS, versioning",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketObjectLock, T.bucketSse, T.bucketVersioning, T.ssmParameter],
        docs: [OBJECT_LOCK_DOC, OBJECT_LOCK_CONFIGURE_DOC],
    },
    validate: (args, report) => {
        const { protectedEnvironments, minimumRetentionDays } = args.getConfig<{
            protectedEnvironments: string[];
            minimumRetentionDays: number;
        }>();
        for (const bucket of reportBucketsOf(args.resources)) {
            const what = `${describe(bucket)} holds failover run reports, the evidence of contingency-plan testing,`;
            if (!objectLockEnabled(bucket)) {
                report(
                    `${what} but was created without Object Lock: set objectLockEnabled: true (only possible when the bucket is created: a new bucket) (${OBJECT_LOCK_CONFIGURE_DOC}).`,
                    bucket.urn,
                );
            }
            const retention = defaultRetentionOf(bucket, args.resources);
            const mode = retention !== undefined ? str(retention["mode"]) : undefined;
            const days = retention !== undefined ? retentionDays(retention) : undefined;
            if (retention === undefined || mode === undefined || days === undefined) {
                report(
                    `${what} but has no Object Lock default retention, so a report can be deleted or overwritten: declare an aws.s3.BucketObjectLockConfiguration with rule.defaultRetention (mode and days).`,
                    bucket.urn,
                );
            } else if (isProtectedEnvironment(bucket.urn, effectiveTags(bucket.props, bucket.provider), protectedEnvironments)) {
                if (mode !== "COMPLIANCE") {
                    report(
                        `${what} in a protected environment with Object Lock in ${mode} mode, which s3:BypassGovernanceRetention bypasses: lock it in COMPLIANCE mode.`,
                        bucket.urn,
                    );
                }
                if (days < minimumRetentionDays) {
                    report(
                        `${what} in a protected environment, but its reports are locked for ${days} days: at least ${minimumRetentionDays} (HIPAA 164.316(b)(2)(i): six years).`,
                        bucket.urn,
                    );
                }
            }
            if (!encryptedWithKms(bucket, args.resources)) {
                report(
                    `${what} but is not encrypted with SSE-KMS: declare a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and the region's key.`,
                    bucket.urn,
                );
            }
            if (!isVersioned(bucket, args.resources)) {
                report(`${what} but is not versioned: declare a BucketVersioning with status Enabled.`, bucket.urn);
            }
        }
    },
});

export const runReportPolicies: readonly PackPolicy[] = [failoverReportBucketLocked];
