/**
 * Audit controls (HIPAA 164.312(b)) and integrity of the audit record (164.312(c)): an account-wide CloudTrail
 * trail with log-file validation, flow logs on every VPC, log groups kept long enough, database logs exported.
 */
import { decidedAfterUpdate, resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import type { PolicyResource } from "@pulumi/policy";
import { describe, effectiveTags, isProtectedEnvironment, protectedEnvironmentsSchema, refersTo } from "./lib/resources";
import { bucketsOf, configsOf, holdsPatientData, PATIENT_DATA_SCHEMA, replicationTargets } from "./lib/s3";
import { T } from "./lib/types";
import { get, isOnByDefault, isSet, isTrue, isUnknown, num, records, str, strings } from "./lib/values";

export const cloudTrailMultiRegion = stackPolicy({
    name: "cloudtrail-multi-region",
    description: "The stack declares a multi-region CloudTrail trail, logging, with log-file validation and global service events.",
    remediationSteps:
        "Declare an aws.cloudtrail.Trail with isMultiRegionTrail, enableLogFileValidation and includeGlobalServiceEvents true, encrypted with the primary key.",
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)", "164.312(c)(1)"],
        checks: "At least one trail with isMultiRegionTrail, enableLogFileValidation, includeGlobalServiceEvents and logging on",
        resourceTypes: [T.trail],
        awsConfig: ["multi-region-cloudtrail-enabled", "cloudtrail-enabled"],
    },
    validate: ({ resources }, report) => {
        const trails = resources.filter((r) => r.type === T.trail);
        const good = trails.filter(
            (t) =>
                isTrue(t.props["isMultiRegionTrail"]) &&
                isTrue(t.props["enableLogFileValidation"]) &&
                isOnByDefault(t.props["includeGlobalServiceEvents"]) &&
                isOnByDefault(t.props["enableLogging"]),
        );
        if (good.length === 0) {
            report(
                trails.length === 0
                    ? "The stack declares no CloudTrail trail: declare a multi-region trail with log-file validation."
                    : `None of the trails (${trails.map((t) => t.name).join(", ")}) is multi-region, logging, with log-file validation and global service events.`,
            );
        }
    },
});

export const cloudTrailConfiguration = resourcePolicy({
    name: "cloudtrail-configuration",
    description: "Every CloudTrail trail validates its log files and delivers to CloudWatch Logs for alerting.",
    remediationSteps: "Set enableLogFileValidation to true and cloudWatchLogsGroupArn/cloudWatchLogsRoleArn on the trail.",
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.312(c)(1)", "164.312(c)(2)"],
        checks: "Trails set enableLogFileValidation and deliver to a CloudWatch log group",
        resourceTypes: [T.trail],
        cdkNag: ["CloudTrailLogFileValidationEnabled", "CloudTrailCloudWatchLogsEnabled"],
        awsConfig: ["cloud-trail-log-file-validation-enabled", "cloud-trail-cloud-watch-logs-enabled"],
    },
    validate: ({ props }, report) => {
        if (!isTrue(props["enableLogFileValidation"])) {
            report("The trail does not validate its log files: set enableLogFileValidation to true.");
        }
        // Unknown at preview: the ARN of the log group the stack creates for the trail.
        if (!isSet(props["cloudWatchLogsGroupArn"])) {
            report("The trail does not deliver to CloudWatch Logs: set cloudWatchLogsGroupArn and cloudWatchLogsRoleArn.");
        }
    },
});

export const vpcFlowLogs = stackPolicy({
    name: "vpc-flow-logs",
    description: "Every VPC has a flow log capturing all traffic.",
    remediationSteps: "Declare an aws.ec2.FlowLog with the VPC's id and trafficType ALL, delivering to an encrypted log group.",
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)"],
        checks: "Each VPC has a FlowLog with trafficType ALL",
        resourceTypes: [T.vpc, T.flowLog],
        cdkNag: ["VPCFlowLogsEnabled"],
        awsConfig: ["vpc-flow-logs-enabled"],
    },
    validate: ({ resources }, report) => {
        const flowLogs = resources.filter((r) => r.type === T.flowLog);
        for (const vpc of resources.filter((r) => r.type === T.vpc)) {
            const logs = flowLogs.filter((f) => refersTo(f, "vpcId", vpc, ["id"]));
            if (logs.length === 0) {
                report(`${describe(vpc)} has no flow log: declare an aws.ec2.FlowLog with its vpcId and trafficType ALL.`, vpc.urn);
            } else if (!logs.some((f) => f.props["trafficType"] === "ALL")) {
                report(
                    `${describe(vpc)}'s flow logs capture only ${logs.map((f) => String(f.props["trafficType"])).join(", ")} traffic: set trafficType ALL.`,
                    vpc.urn,
                );
            }
        }
    },
});

export const logRetention = resourcePolicy({
    name: "log-retention-minimum",
    description: "Log groups keep their events at least the configured minimum number of days (or never expire).",
    remediationSteps: "Set retentionInDays to at least minimumDays (healthcare-dr:logging.retentionDays in the stack file).",
    configSchema: {
        properties: {
            minimumDays: {
                type: "integer",
                minimum: 1,
                // Dev keeps 30 days; pass 365 (or more) in the prod policy config file.
                default: 30,
                description: "The shortest retention a log group may have, in days.",
            },
        },
    },
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)"],
        checks: "Log groups set retentionInDays >= minimumDays (unset or 0 means never expire, which passes)",
        resourceTypes: [T.logGroup],
        cdkNag: ["CloudWatchLogGroupRetentionPeriod"],
        awsConfig: ["cw-loggroup-retention-period-check"],
    },
    validate: (args, report) => {
        const { minimumDays } = args.getConfig<{ minimumDays: number }>();
        const days = num(args.props["retentionInDays"]);
        if (days !== undefined && days > 0 && days < minimumDays) {
            report(`The log group keeps events for ${days} days; the minimum is ${minimumDays}: raise retentionInDays.`);
        }
    },
});

/**
 * The log types each engine must export to CloudWatch Logs.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html
 */
export function requiredLogExports(engine: string): readonly string[] {
    if (/postgres/i.test(engine)) {
        return ["postgresql"];
    }
    if (/mysql|mariadb/i.test(engine)) {
        return ["audit", "error"];
    }
    return [];
}

export const rdsLogExports = resourcePolicy({
    name: "rds-log-exports",
    description: "Aurora clusters and RDS instances export their database logs to CloudWatch Logs.",
    remediationSteps: 'Set enabledCloudwatchLogsExports (e.g. ["postgresql"] for Aurora PostgreSQL).',
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)"],
        checks: "enabledCloudwatchLogsExports includes postgresql (PostgreSQL) or audit and error (MySQL)",
        resourceTypes: [T.rdsCluster, T.rdsInstance],
        cdkNag: ["RDSLoggingEnabled"],
        awsConfig: ["rds-logging-enabled"],
    },
    validate: ({ props }, report) => {
        const engine = str(props["engine"]) ?? "";
        const exported = strings(props["enabledCloudwatchLogsExports"]);
        const missing = requiredLogExports(engine).filter((l) => !exported.includes(l));
        if (missing.length > 0) {
            report(
                `The ${engine} database does not export its ${missing.join(", ")} log${missing.length > 1 ? "s" : ""}: add ${missing.map((m) => `"${m}"`).join(", ")} to enabledCloudwatchLogsExports.`,
            );
        }
    },
});

/**
 * S3 server access logs record every request to a bucket (requester, operation, key, result), including those
 * CloudTrail data events do not cover; cdk-nag and AWS Config ask for them on every bucket. The buckets that
 * receive the logs are exempt: logging a log bucket into itself loops, and they hold request records, not
 * patient records (see `holdsPatientData`).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
 */
export const s3AccessLogging = stackPolicy({
    name: "s3-bucket-access-logging",
    description:
        "Every bucket holding patient data has S3 server access logging to a log bucket (the access-log buckets themselves are exempt).",
    remediationSteps:
        "Declare an aws.s3.BucketLogging for the bucket whose targetBucket is the access-log bucket of its region and whose targetPrefix names the bucket.",
    configSchema: { properties: { ...PATIENT_DATA_SCHEMA } },
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)", "164.308(a)(3)(ii)(A)"],
        checks: "Buckets tagged DataClassification in patientDataClassifications (not access-log targets) have a BucketLogging with a targetBucket",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketLogging, T.bucketLoggingV2],
        cdkNag: ["S3BucketLoggingEnabled"],
        awsConfig: ["s3-bucket-logging-enabled"],
        docs: ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"],
    },
    validate: (args, report) => {
        const { patientDataClassifications } = args.getConfig<{ patientDataClassifications: string[] }>();
        for (const bucket of bucketsOf(args.resources).filter((b) => holdsPatientData(b, patientDataClassifications, args.resources))) {
            // The bucket's own (deprecated) inline `logging` block counts as well as a separate BucketLogging resource.
            const inline = str(get(bucket.props, "logging", "targetBucket"));
            const logging = configsOf(bucket, args.resources, [T.bucketLogging, T.bucketLoggingV2]).filter(
                (l) => str(l.props["targetBucket"]) !== undefined || (l.propertyDependencies["targetBucket"] ?? []).length > 0,
            );
            if (inline === undefined && logging.length === 0) {
                report(
                    `${describe(bucket)} holds patient data but has no server access logging: declare an aws.s3.BucketLogging with its bucket and the region's access-log bucket as targetBucket.`,
                    bucket.urn,
                );
            }
        }
    },
});

/** True when an advanced event selector logs data events on S3 objects. */
function advancedSelectorLogsS3Objects(selector: Record<string, unknown>): boolean {
    const fields = records(selector["fieldSelectors"]);
    const equals = (field: string, value: string) => fields.some((f) => f["field"] === field && strings(f["equals"]).includes(value));
    return equals("eventCategory", "Data") && equals("resources.type", "AWS::S3::Object");
}

/** True when a basic event selector logs data events on S3 objects. */
function basicSelectorLogsS3Objects(selector: Record<string, unknown>): boolean {
    return records(selector["dataResources"]).some((d) => d["type"] === "AWS::S3::Object" && strings(d["values"]).length > 0);
}

/**
 * Object-level reads and writes of patient records are recorded by CloudTrail data events, which a trail logs only
 * when told to (management events are the default).
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
 */
export const cloudTrailS3DataEvents = stackPolicy({
    name: "cloudtrail-s3-data-events",
    description:
        "A logging CloudTrail trail of the stack records S3 data events (object-level API calls). Decided in a first preview too: only the selectors' bucket prefixes wait for the buckets, not the selectors themselves.",
    remediationSteps:
        'Add an advancedEventSelectors entry with eventCategory equals ["Data"] and resources.type equals ["AWS::S3::Object"] (narrowed by resources.ARN startsWith the patient-data buckets) to the trail.',
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)"],
        checks: "At least one trail with enableLogging not false has an event selector for AWS::S3::Object data events",
        resourceTypes: [T.trail],
        awsConfig: ["cloudtrail-s3-dataevents-enabled"],
        docs: ["https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html"],
    },
    validate: ({ resources, notApplicable }, report) => {
        const trails = resources.filter((r) => r.type === T.trail && isOnByDefault(r.props["enableLogging"]));
        const logsS3 = trails.some(
            (t) =>
                records(t.props["advancedEventSelectors"]).some(advancedSelectorLogsS3Objects) ||
                records(t.props["eventSelectors"]).some(basicSelectorLogsS3Objects),
        );
        // A program that builds its whole selector list from values not known yet leaves the rule to pulumi up. This
        // program builds the selectors around the ARNs (components/AuditTrail.ts), so a first preview decides it.
        const unknown = trails.filter((t) => isUnknown(t.props["advancedEventSelectors"]) || isUnknown(t.props["eventSelectors"]));
        if (!logsS3 && unknown.length > 0) {
            notApplicable(
                decidedAfterUpdate(`the event selectors of ${unknown.map((t) => t.name).join(", ")} are built from values not known yet`),
            );
        }
        if (!logsS3) {
            report(
                trails.length === 0
                    ? "The stack declares no logging CloudTrail trail, so no S3 data events are recorded: declare a trail with an S3 data-event selector."
                    : `None of the trails (${trails.map((t) => t.name).join(", ")}) records S3 data events: add an advanced event selector for eventCategory Data and resources.type AWS::S3::Object.`,
            );
        }
    },
});

/** The mode of a bucket's Object Lock default retention, from its configuration resource or the bucket's inline block. */
function objectLockModeOf(bucket: PolicyResource, resources: readonly PolicyResource[]): string | undefined {
    const config = configsOf(bucket, resources, [T.bucketObjectLock, T.bucketObjectLockV2])[0];
    const rule = config !== undefined ? get(config.props, "rule") : get(bucket.props, "objectLockConfiguration", "rule");
    return str(get(rule, "defaultRetention", "mode"));
}

/**
 * The audit trail must be immutable where it matters most: a log file in a GOVERNANCE-mode bucket can be deleted or
 * its retention shortened by any administrator with `s3:BypassGovernanceRetention`; in COMPLIANCE mode nobody can,
 * the root user included, until the retention ends. In protected environments (prod) every bucket a CloudTrail trail
 * delivers to, and every bucket that bucket replicates to, has Object Lock in COMPLIANCE mode.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html
 */
export const auditLogObjectLockCompliance = stackPolicy({
    name: "audit-log-object-lock-compliance",
    description:
        "In protected environments (prod), the buckets holding the CloudTrail audit trail (and their replicas) have Object Lock in COMPLIANCE mode, which no administrator can bypass.",
    remediationSteps:
        "Create the trail bucket with objectLockEnabled: true and declare an aws.s3.BucketObjectLockConfiguration with rule.defaultRetention.mode COMPLIANCE (same for its replica).",
    configSchema: protectedEnvironmentsSchema("audit buckets must be locked in compliance mode"),
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.312(c)(1)"],
        checks: "In protected environments: each Trail's s3BucketName bucket and its replication destinations have an Object Lock default retention in COMPLIANCE mode",
        resourceTypes: [T.trail, T.bucket, T.bucketObjectLock, T.bucketReplication],
        docs: ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html"],
    },
    validate: (args, report) => {
        const { protectedEnvironments } = args.getConfig<{ protectedEnvironments: string[] }>();
        const buckets = bucketsOf(args.resources);
        for (const trail of args.resources.filter((r) => r.type === T.trail)) {
            if (!isProtectedEnvironment(trail.urn, effectiveTags(trail.props, trail.provider), protectedEnvironments)) {
                continue;
            }
            const home = buckets.filter((b) => refersTo(trail, "s3BucketName", b, ["bucket", "id"]));
            // Each destination: the bucket its ARN names or, at preview, the buckets its rules depend on (all held to it).
            const replicas = home.flatMap((b) =>
                replicationTargets(b, args.resources)
                    .candidates.flat()
                    .filter((x) => !home.includes(x)),
            );
            for (const bucket of [...home, ...replicas]) {
                const mode = objectLockModeOf(bucket, args.resources);
                if (mode !== "COMPLIANCE") {
                    report(
                        `${describe(bucket)} holds ${describe(trail)}'s audit log in a protected environment with ${mode === undefined ? "no Object Lock" : `Object Lock in ${mode} mode, which s3:BypassGovernanceRetention bypasses`}: lock it in COMPLIANCE mode.`,
                        bucket.urn,
                    );
                }
            }
        }
    },
});

export const auditPolicies: readonly PackPolicy[] = [
    cloudTrailMultiRegion,
    cloudTrailConfiguration,
    vpcFlowLogs,
    logRetention,
    rdsLogExports,
    s3AccessLogging,
    cloudTrailS3DataEvents,
    auditLogObjectLockCompliance,
];
