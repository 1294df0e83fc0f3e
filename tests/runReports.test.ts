/**
 * The run-report bucket's pure rules (lib/runReports.ts), and the policy pack's copy of how a report bucket is
 * recognised (the pack is self-contained: its constants are its own, kept equal here).
 */
import { expect } from "chai";
import { FAILOVER_PARAMETERS, failoverParameterPath } from "../lib/failover";
import {
    HIPAA_RETENTION_DAYS,
    reportBucketPrefix,
    reportLifecycleRules,
    reportRetention,
    RUN_REPORT_DATA_CLASSIFICATION,
} from "../lib/runReports";
import { BUCKET_PREFIX_MAX_LENGTH, stackBucketPrefix } from "../lib/buckets";
import * as pack from "../policy-pack/policies/runReports";

describe("the run-report bucket", () => {
    it("locks reports in COMPLIANCE mode for six years in a protected stack, GOVERNANCE for a day otherwise", () => {
        expect(HIPAA_RETENTION_DAYS).to.equal(6 * 365);
        expect(reportRetention(true)).to.deep.equal({ mode: "COMPLIANCE", days: 2190 });
        expect(reportRetention(false)).to.deep.equal({ mode: "GOVERNANCE", days: 1 });
    });

    it("is named inside the stack's prefix, so that the region's access-log bucket accepts its logs", () => {
        expect(reportBucketPrefix("prod", "eu-west-2")).to.equal("hdr-prod-run-reports-eu-west-2-");
        expect(reportBucketPrefix("prod", "eu-west-2").startsWith(stackBucketPrefix("prod"))).to.be.true;
        expect(reportBucketPrefix("dev", "ap-southeast-2").length).to.be.at.most(BUCKET_PREFIX_MAX_LENGTH);
        expect(() => reportBucketPrefix("a-very-long-stack-name", "ap-southeast-2")).to.throw(/S3 allows 37/);
    });

    it("never expires a current report; a noncurrent version expires when its retention would have ended", () => {
        for (const protect of [true, false]) {
            const retention = reportRetention(protect);
            const rules = reportLifecycleRules(retention);
            expect(rules.every((r) => r.status === "Enabled")).to.be.true;
            expect(rules.some((r) => r.expiration !== undefined)).to.be.false;
            expect(rules.find((r) => r.noncurrentVersionExpiration !== undefined)?.noncurrentVersionExpiration).to.deep.equal({
                noncurrentDays: retention.days,
            });
        }
    });

    it("is recognised by the policy pack as the program declares it", () => {
        expect(pack.RUN_REPORT_DATA_CLASSIFICATION).to.equal(RUN_REPORT_DATA_CLASSIFICATION);
        expect(pack.MINIMUM_REPORT_RETENTION_DAYS).to.equal(HIPAA_RETENTION_DAYS);
        for (const environment of ["dev", "prod"]) {
            expect(`${failoverParameterPath(environment)}/${FAILOVER_PARAMETERS.reportBucket}`).to.match(pack.REPORT_BUCKET_PARAMETER);
        }
        expect(`${failoverParameterPath("prod")}/${FAILOVER_PARAMETERS.runsTable}`).to.not.match(pack.REPORT_BUCKET_PARAMETER);
    });
});
