/**
 * Audit controls (HIPAA 164.312(b)) and integrity of the audit record (164.312(c)): an account-wide CloudTrail
 * trail with log-file validation, flow logs on every VPC, log groups kept long enough, database logs exported, and
 * the application's front door logged: load balancer access logs and the WAF web ACLs' logs.
 */
import { decidedAfterUpdate, resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import type { PolicyResource } from "@pulumi/policy";
import { applicationLoadBalancers } from "./lib/loadBalancers";
import { describe, effectiveTags, isProtectedEnvironment, protectedEnvironmentsSchema, refersTo, regionOf } from "./lib/resources";
import { accessLogBucketsOf, bucketsOf, configsOf, holdsPatientData, PATIENT_DATA_SCHEMA, replicationTargets } from "./lib/s3";
import { T } from "./lib/types";
import { entries, get, isOnByDefault, isSet, isTrue, isUnknown, num, records, str, strings } from "./lib/values";

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

const WAF_LOG_PREFIX = "aws-waf-logs-";
const WAF_LOGGING_DOCS = [
    "https://docs.aws.amazon.com/waf/latest/developerguide/logging-destinations.html",
    "https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html",
];

/**
 * The name of the log group, bucket or Firehose stream a WAF log destination ARN names, if it is one of those.
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/logging-destinations.html
 */
export function wafLogDestinationName(arn: string): string | undefined {
    const match =
        /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)/.exec(arn) ??
        /^arn:[^:]+:s3:::([^/]+)$/.exec(arn) ??
        /^arn:[^:]+:firehose:[^:]*:[^:]*:deliverystream\/(.+)$/.exec(arn);
    return match?.[1];
}

/**
 * A web ACL's own log is the record of what it let through and what it stopped: without a logging configuration
 * AWS WAF keeps only sampled requests for three hours. Every destination (log group, bucket or Firehose stream) must
 * be named `aws-waf-logs-...`, and a log group must be in the web ACL's region, or AWS refuses the configuration.
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
 */
export const wafLoggingEnabled = stackPolicy({
    name: "waf-logging-enabled",
    description:
        "Every AWS WAF web ACL has a logging configuration with a destination named aws-waf-logs-* (a log group in the web ACL's region).",
    remediationSteps:
        "Declare an aws.wafv2.WebAclLoggingConfiguration with resourceArn set to the web ACL's arn and logDestinationConfigs set to the arn of a KMS-encrypted log group named aws-waf-logs-<name> in the same region.",
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)"],
        checks: "Each WebAcl has a WebAclLoggingConfiguration whose resourceArn refers to it, with logDestinationConfigs set; destinations named aws-waf-logs-*, log groups of the stack in the web ACL's region",
        resourceTypes: [T.wafWebAcl, T.wafWebAclLogging, T.logGroup],
        cdkNag: ["WAFv2LoggingEnabled"],
        awsConfig: ["wafv2-logging-enabled"],
        docs: WAF_LOGGING_DOCS,
    },
    validate: ({ resources }, report) => {
        const configs = resources.filter((r) => r.type === T.wafWebAclLogging);
        const logGroups = resources.filter((r) => r.type === T.logGroup);
        for (const acl of resources.filter((r) => r.type === T.wafWebAcl)) {
            const own = configs.filter((c) => refersTo(c, "resourceArn", acl, ["arn"]));
            const logged = own.filter((c) => entries(c.props["logDestinationConfigs"]).length > 0);
            if (logged.length === 0) {
                report(
                    `${describe(acl)} has ${own.length === 0 ? "no logging configuration" : "a logging configuration without a destination"}: declare an aws.wafv2.WebAclLoggingConfiguration with resourceArn set to its arn and a log group named ${WAF_LOG_PREFIX}* as the destination.`,
                    acl.urn,
                );
                continue;
            }
            const aclRegion = regionOf(acl.props, acl.provider);
            for (const config of logged) {
                // Log groups of the stack the destinations name, found by ARN or, at preview, by dependency.
                const groups = logGroups.filter((g) => refersTo(config, "logDestinationConfigs", g, ["arn"]));
                const groupArns = groups.map((g) => str(g.props["arn"]));
                const others = strings(config.props["logDestinationConfigs"])
                    .filter((arn) => !groupArns.includes(arn))
                    .map((arn) => ({ arn, name: wafLogDestinationName(arn) }));
                for (const { arn, name } of others.filter((n) => n.name === undefined || !n.name.startsWith(WAF_LOG_PREFIX))) {
                    report(
                        `${describe(config)} sends ${describe(acl)}'s log to ${arn}, ${name === undefined ? "which is not a log group, bucket or Firehose stream ARN" : `whose name does not start with ${WAF_LOG_PREFIX}`}: AWS WAF refuses it (${WAF_LOGGING_DOCS[0]}).`,
                        config.urn,
                    );
                }
                for (const group of groups) {
                    const name = str(group.props["name"]);
                    if (name !== undefined && !name.startsWith(WAF_LOG_PREFIX)) {
                        report(
                            `${describe(config)} sends ${describe(acl)}'s log to log group ${name}, whose name does not start with ${WAF_LOG_PREFIX}: AWS WAF refuses it; name the log group ${WAF_LOG_PREFIX}<name>.`,
                            config.urn,
                        );
                    }
                    const groupRegion = regionOf(group.props, group.provider);
                    if (aclRegion !== undefined && groupRegion !== undefined && groupRegion !== aclRegion) {
                        report(
                            `${describe(config)} sends ${describe(acl)}'s log (${aclRegion}) to ${describe(group)} in ${groupRegion}: the log group must be in the web ACL's region.`,
                            config.urn,
                        );
                    }
                }
            }
        }
    },
});

const ALB_ACCESS_LOG_DOC = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html";

/**
 * The load balancer's access log is the record of every request to the application (client, path, status, TLS
 * protocol). AWS delivers it only to a bucket in the load balancer's region, encrypted with SSE-S3 (not SSE-KMS).
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
export const lbAccessLogs = stackPolicy({
    name: "lb-access-logs",
    description:
        "Every Application Load Balancer writes access logs (accessLogs.enabled, a bucket) to a bucket of its own region that uses SSE-S3, the only encryption ALB log delivery supports.",
    remediationSteps:
        "Set accessLogs: { bucket: <the region's access-log bucket name>, enabled: true, prefix: <a prefix> } on the load balancer; the bucket is in the same region, encrypted with SSE-S3 (AES256), with a bucket policy that grants Elastic Load Balancing s3:PutObject under the prefix (in eu-west-1 and eu-west-2, the region's Elastic Load Balancing account; see the AWS page).",
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)"],
        checks: "Each application LoadBalancer has accessLogs.enabled true and accessLogs.bucket set; a bucket of the stack it names is in the load balancer's region and is not SSE-KMS encrypted",
        resourceTypes: [T.lb, T.alb, T.bucket, T.bucketV2, T.bucketSse, T.bucketSseV2],
        cdkNag: ["ELBLoggingEnabled"],
        awsConfig: ["elb-logging-enabled"],
        docs: [ALB_ACCESS_LOG_DOC],
    },
    validate: ({ resources }, report) => {
        for (const lb of applicationLoadBalancers(resources)) {
            const logs = lb.props["accessLogs"];
            if (!isTrue(get(logs, "enabled")) || !isSet(get(logs, "bucket"))) {
                report(
                    `${describe(lb)} writes no access logs: set accessLogs.bucket to the region's access-log bucket and accessLogs.enabled to true (enabled defaults to false, even with a bucket).`,
                    lb.urn,
                );
                continue;
            }
            const lbRegion = regionOf(lb.props, lb.provider);
            for (const bucket of accessLogBucketsOf(lb, resources)) {
                const bucketRegion = regionOf(bucket.props, bucket.provider);
                if (lbRegion !== undefined && bucketRegion !== undefined && bucketRegion !== lbRegion) {
                    report(
                        `${describe(lb)} (${lbRegion}) sends its access logs to ${describe(bucket)} in ${bucketRegion}: the bucket must be in the load balancer's region (${ALB_ACCESS_LOG_DOC}).`,
                        lb.urn,
                    );
                }
                const algorithms = configsOf(bucket, resources, [T.bucketSse, T.bucketSseV2])
                    .flatMap((c) => records(c.props["rules"]))
                    .map((rule) => str(get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")));
                if (algorithms.some((a) => a !== undefined && a.startsWith("aws:kms"))) {
                    report(
                        `${describe(lb)} sends its access logs to ${describe(bucket)}, which is SSE-KMS encrypted: ALB log delivery supports SSE-S3 (AES256) only (${ALB_ACCESS_LOG_DOC}).`,
                        lb.urn,
                    );
                }
            }
        }
    },
});

/** A Config resource's name: its own, else the one AWS gives when none is set ("default"); unknown at preview stays unknown. */
function configNameOf(resource: PolicyResource): string | undefined {
    const name = resource.props["name"];
    return isUnknown(name) ? undefined : (str(name) ?? "default");
}

/**
 * AWS Config records nothing until its recorder is started (StartConfigurationRecorder: an `aws.cfg.RecorderStatus`
 * with isEnabled true), and it cannot start without a delivery channel in its region
 * (NoAvailableDeliveryChannelException). A recorder whose recording group names no resource type and does not
 * record all supported types records nothing either. Then no Config rule of the conformance pack evaluates anything,
 * and the run-time half of the control matrix is silently empty.
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_StartConfigurationRecorder.html
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingGroup.html
 */
export const awsConfigRecorderEnabled = stackPolicy({
    name: "aws-config-recorder-enabled",
    description:
        "Every AWS Config recorder the stack declares is started (a RecorderStatus with isEnabled true), records some resource types, and has a delivery channel in its region.",
    remediationSteps:
        "Declare an aws.cfg.RecorderStatus { name: recorder.name, isEnabled: true } (dependsOn the delivery channel), an aws.cfg.DeliveryChannel in the recorder's region, and a recordingGroup with allSupported or resourceTypes.",
    metadata: {
        concern: "audit",
        hipaa: ["164.312(b)", "164.308(a)(1)(ii)(D)"],
        checks: "Each cfg Recorder has a RecorderStatus (same region, same name) with isEnabled true, a recordingGroup recording all supported types, a resourceTypes list or an exclusion strategy, and a DeliveryChannel in its region",
        resourceTypes: [T.configRecorder, T.configRecorderStatus, T.configDeliveryChannel],
        docs: [
            "https://docs.aws.amazon.com/config/latest/APIReference/API_StartConfigurationRecorder.html",
            "https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingGroup.html",
        ],
    },
    validate: ({ resources }, report) => {
        const statuses = resources.filter((r) => r.type === T.configRecorderStatus);
        const channels = resources.filter((r) => r.type === T.configDeliveryChannel);
        for (const recorder of resources.filter((r) => r.type === T.configRecorder)) {
            const region = regionOf(recorder.props, recorder.provider);
            const name = configNameOf(recorder);
            const status = statuses.find(
                (s) =>
                    regionOf(s.props, s.provider) === region &&
                    ((s.propertyDependencies["name"] ?? []).some((d) => d.urn === recorder.urn) ||
                        (name !== undefined && configNameOf(s) === name)),
            );
            if (status === undefined) {
                report(
                    `${describe(recorder)} is never started, so AWS Config records nothing: declare an aws.cfg.RecorderStatus with its name and isEnabled true.`,
                    recorder.urn,
                );
            } else if (!isTrue(status.props["isEnabled"])) {
                report(
                    `${describe(status)} stops ${describe(recorder)}, so AWS Config records nothing: set isEnabled to true.`,
                    status.urn,
                );
            }
            if (!channels.some((c) => regionOf(c.props, c.provider) === region)) {
                report(
                    `${describe(recorder)} has no delivery channel in ${region ?? "its region"}, and AWS Config cannot start a recorder without one: declare an aws.cfg.DeliveryChannel to the region's KMS-encrypted delivery bucket.`,
                    recorder.urn,
                );
            }
            const group = recorder.props["recordingGroup"];
            if (
                group !== undefined &&
                group !== null &&
                !isUnknown(group) &&
                !isOnByDefault(get(group, "allSupported")) &&
                entries(get(group, "resourceTypes")).length === 0 &&
                str(get(group, "recordingStrategies", 0, "useOnly")) !== "EXCLUSION_BY_RESOURCE_TYPES"
            ) {
                report(
                    `${describe(recorder)} records no resource type (recordingGroup.allSupported is false and resourceTypes is empty): list the stack's resource types in recordingGroup.resourceTypes.`,
                    recorder.urn,
                );
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
    wafLoggingEnabled,
    lbAccessLogs,
    awsConfigRecorderEnabled,
];
