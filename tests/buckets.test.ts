import { expect } from "chai";
import { parseStackConfig } from "../config";
import {
    BUCKET_PREFIX_MAX_LENGTH,
    DEFAULT_LIFECYCLE,
    DEFAULT_OBJECT_LOCK_RETENTION_DAYS,
    accessLogLifecycleRules,
    bucketPrefix,
    dataLifecycleRules,
    resolveDataSet,
} from "../lib/buckets";
import { REPLICATION_TIME_MINUTES, replicationAlarms, replicationRule } from "../lib/replication";

describe("bucketPrefix", () => {
    it("builds hdr-<stack>-<parts>- in lower case", () => {
        const table: [string, string[], string][] = [
            ["prod", ["clinical-documents", "pri"], "hdr-prod-clinical-documents-pri-"],
            ["dev", ["Imaging_Reports", "dr"], "hdr-dev-imaging-reports-dr-"],
            ["prod", ["access-logs", "primary"], "hdr-prod-access-logs-primary-"],
        ];
        for (const [stack, parts, expected] of table) {
            expect(bucketPrefix(stack, parts)).to.equal(expected);
        }
    });

    it("fits the longest data-set name (20 characters) with a stack name of up to 7 characters", () => {
        expect(bucketPrefix("staging", ["a".repeat(20), "pri"]).length).to.be.at.most(BUCKET_PREFIX_MAX_LENGTH);
    });

    it("refuses a prefix longer than S3's 37 characters, naming what to shorten", () => {
        expect(() => bucketPrefix("a-very-long-stack-name", ["clinical-documents", "pri"])).to.throw(
            /37.*shorter stack name or data-set name/,
        );
    });
});

describe("lifecycle rules", () => {
    it("moves current objects to Intelligent-Tiering, expires noncurrent versions and aborts multipart uploads (defaults 30/90/7)", () => {
        expect(DEFAULT_LIFECYCLE).to.deep.equal({
            intelligentTieringAfterDays: 30,
            noncurrentVersionExpirationDays: 90,
            abortIncompleteMultipartUploadDays: 7,
        });
        expect(dataLifecycleRules(DEFAULT_LIFECYCLE)).to.deep.equal([
            {
                id: "current-to-intelligent-tiering",
                status: "Enabled",
                filter: {},
                transitions: [{ days: 30, storageClass: "INTELLIGENT_TIERING" }],
            },
            { id: "expire-noncurrent-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 90 } },
            {
                id: "abort-incomplete-multipart-uploads",
                status: "Enabled",
                filter: {},
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
        ]);
    });

    it("expires access logs after the log retention, without tiering", () => {
        const rules = accessLogLifecycleRules(365);
        expect(rules.map((r) => r.id)).to.deep.equal([
            "expire-access-logs",
            "expire-noncurrent-versions",
            "abort-incomplete-multipart-uploads",
        ]);
        expect(rules[0]!.expiration).to.deep.equal({ days: 365 });
    });
});

describe("resolveDataSet", () => {
    const parsed = { name: "clinical-documents", lifecycle: DEFAULT_LIFECYCLE };
    const prod = { objectLockByDefault: true, reverseReplicationByDefault: true };
    const dev = { objectLockByDefault: false, reverseReplicationByDefault: false };

    it("locks objects for a year by default in prod, not at all by default in dev, and as configured in either", () => {
        expect(resolveDataSet(parsed, prod).objectLockRetentionDays).to.equal(DEFAULT_OBJECT_LOCK_RETENTION_DAYS);
        expect(DEFAULT_OBJECT_LOCK_RETENTION_DAYS).to.equal(365);
        expect(resolveDataSet(parsed, dev).objectLockRetentionDays).to.equal(undefined);
        expect(resolveDataSet({ ...parsed, objectLockRetentionDays: 30 }, dev).objectLockRetentionDays).to.equal(30);
        expect(resolveDataSet({ ...parsed, objectLockRetentionDays: 2555 }, prod).objectLockRetentionDays).to.equal(2555);
    });

    it("replicates back to the primary by default in prod, not in dev, and as configured in either", () => {
        expect(resolveDataSet(parsed, prod).reverseReplication).to.equal(true);
        expect(resolveDataSet(parsed, dev).reverseReplication).to.equal(false);
        expect(resolveDataSet({ ...parsed, reverseReplication: false }, prod).reverseReplication).to.equal(false);
        expect(resolveDataSet({ ...parsed, reverseReplication: true }, dev).reverseReplication).to.equal(true);
    });
});

describe("replicationRule", () => {
    const rule = replicationRule({
        id: "to-dr",
        destinationBucketArn: "arn:aws:s3:::replica",
        replicaKmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k",
    });

    it("turns on Replication Time Control at 15 minutes, with the metrics RTC requires at 15 minutes", () => {
        expect(REPLICATION_TIME_MINUTES).to.equal(15);
        expect(rule.destination).to.deep.include({
            replicationTime: { status: "Enabled", time: { minutes: 15 } },
            metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
        });
    });

    it("replicates every object and delete markers (a V2 rule: filter and priority)", () => {
        expect(rule).to.deep.include({ id: "to-dr", status: "Enabled", priority: 1, filter: { prefix: "" } });
        expect(rule.deleteMarkerReplication).to.deep.equal({ status: "Enabled" });
    });

    it("selects SSE-KMS objects, encrypts replicas with the destination key ARN and syncs replica modifications", () => {
        expect(rule.sourceSelectionCriteria).to.deep.equal({
            sseKmsEncryptedObjects: { status: "Enabled" },
            replicaModifications: { status: "Enabled" },
        });
        expect(rule.destination).to.deep.include({
            bucket: "arn:aws:s3:::replica",
            encryptionConfiguration: { replicaKmsKeyId: "arn:aws:kms:eu-west-1:1:key/k" },
        });
    });

    it("leaves existing-object replication off (S3 Batch Replication catches up a bucket filled earlier)", () => {
        expect(rule.existingObjectReplication).to.equal(undefined);
    });
});

describe("replicationAlarms", () => {
    const alarms = replicationAlarms({ route: "docs", sourceBucket: "src", destinationBucket: "dst", ruleId: "to-dr", rpoSeconds: 300 });

    it("alarms when ReplicationLatency exceeds the RPO and when any operation fails to replicate", () => {
        const bySuffix = Object.fromEntries(alarms.map((a) => [a.suffix, a]));
        expect(bySuffix["replication-latency"]).to.deep.include({
            namespace: "AWS/S3",
            metricName: "ReplicationLatency",
            statistic: "Maximum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: 300,
        });
        expect(bySuffix["replication-failed"]).to.deep.include({
            namespace: "AWS/S3",
            metricName: "OperationsFailedReplication",
            statistic: "Sum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
        });
    });

    it("watches the rule's metric dimensions and treats no data as no traffic", () => {
        for (const alarm of alarms) {
            expect(alarm.dimensions).to.deep.equal({ SourceBucket: "src", DestinationBucket: "dst", RuleId: "to-dr" });
            expect(alarm.treatMissingData).to.equal("notBreaching");
        }
    });

    it("refuses a non-positive RPO", () => {
        expect(() => replicationAlarms({ route: "x", sourceBucket: "s", destinationBucket: "d", ruleId: "r", rpoSeconds: 0 })).to.throw(
            /positive/,
        );
    });
});

describe("healthcare-dr:buckets (stack config)", () => {
    const base = { "healthcare-dr:accountId": "123456789012", "healthcare-dr:alerts": JSON.stringify({ emails: ["oncall@example.org"] }) };
    const parse = (buckets: unknown, stack = "dev") =>
        parseStackConfig({ ...base, ...(buckets !== undefined ? { "healthcare-dr:buckets": JSON.stringify(buckets) } : {}) }, stack);
    const issuesOf = (buckets: unknown) => {
        const result = parse(buckets);
        expect(result.ok, JSON.stringify(result)).to.equal(false);
        return result.ok ? [] : result.issues;
    };

    it("defaults to one clinical-documents data set with the default lifecycle", () => {
        const result = parse(undefined);
        expect(result.ok).to.equal(true);
        if (result.ok) {
            expect(result.config.buckets).to.deep.equal([
                { name: "clinical-documents", reverseReplication: false, lifecycle: DEFAULT_LIFECYCLE, objectLockRetentionDays: undefined },
            ]);
        }
    });

    it("turns Object Lock and reverse replication on in prod by default", () => {
        const result = parse(undefined, "prod");
        expect(result.ok && result.config.buckets[0]!.objectLockRetentionDays).to.equal(365);
        expect(result.ok && result.config.buckets[0]!.reverseReplication).to.equal(true);
    });

    it("lets a prod data set turn reverse replication off", () => {
        const result = parse([{ name: "clinical-documents", reverseReplication: false }], "prod");
        expect(result.ok && result.config.buckets[0]!.reverseReplication).to.equal(false);
    });

    it("reads a second data set with its own settings", () => {
        const result = parse([
            { name: "clinical-documents" },
            {
                name: "imaging-reports",
                reverseReplication: true,
                lifecycle: { noncurrentVersionExpirationDays: 30 },
                objectLockRetentionDays: 7,
            },
        ]);
        expect(result.ok).to.equal(true);
        if (result.ok) {
            expect(result.config.buckets[1]).to.deep.equal({
                name: "imaging-reports",
                reverseReplication: true,
                lifecycle: { ...DEFAULT_LIFECYCLE, noncurrentVersionExpirationDays: 30 },
                objectLockRetentionDays: 7,
            });
        }
    });

    it("reports each bad value under its own key", () => {
        const table: [unknown, string, RegExp][] = [
            [[{ name: "Clinical_Docs" }], "healthcare-dr:buckets[0].name", /lower-case letters, digits and hyphens/],
            [[{ name: "a".repeat(21) }], "healthcare-dr:buckets[0].name", /at most 20 characters/],
            [[{}], "healthcare-dr:buckets[0].name", /required/],
            [[{ name: "docs" }, { name: "docs" }], "healthcare-dr:buckets", /same data-set name twice/],
            [[], "healthcare-dr:buckets", /at least one data set/],
            ["clinical-documents", "healthcare-dr:buckets", /list of data sets/],
            [[{ name: "docs", reverseReplication: "yes" }], "healthcare-dr:buckets[0].reverseReplication", /true or false/],
            [
                [{ name: "docs", lifecycle: { noncurrentVersionExpirationDays: 0 } }],
                "healthcare-dr:buckets[0].lifecycle.noncurrentVersionExpirationDays",
                /at least 1/,
            ],
            [
                [{ name: "docs", lifecycle: { intelligentTieringAfterDays: 1.5 } }],
                "healthcare-dr:buckets[0].lifecycle.intelligentTieringAfterDays",
                /whole number of days/,
            ],
            [
                [{ name: "docs", lifecycle: { abortIncompleteMultipartUploadDays: 400 } }],
                "healthcare-dr:buckets[0].lifecycle.abortIncompleteMultipartUploadDays",
                /at most 365/,
            ],
            [[{ name: "docs", objectLockRetentionDays: 0 }], "healthcare-dr:buckets[0].objectLockRetentionDays", /at least 1/],
        ];
        for (const [buckets, key, message] of table) {
            const issues = issuesOf(buckets);
            const issue = issues.find((i) => i.key === key);
            expect(issue, `${JSON.stringify(buckets)}: ${JSON.stringify(issues)}`).to.not.equal(undefined);
            expect(issue!.message).to.match(message);
        }
    });

    it("suggests the right key for a misspelt data-set setting", () => {
        const issues = issuesOf([{ name: "docs", reverseReplicaton: true }]);
        expect(issues.find((i) => i.key === "healthcare-dr:buckets[0].reverseReplicaton")?.message).to.match(
            /did you mean reverseReplication/,
        );
    });
});
