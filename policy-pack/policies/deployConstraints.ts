/**
 * Deploy-time AWS constraints: configurations the provider accepts at `pulumi preview` and AWS rejects only at
 * `pulumi up`, half-way through a deployment. Each cites the AWS page that states the rule.
 */
import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, globalClusterMembers, refersTo, regionOf } from "./lib/resources";
import { bucketByArn, bucketsOf, isVersioned, versioningOf } from "./lib/s3";
import { T } from "./lib/types";
import { get, isSet, isTrue, isUnknown, num, records, str } from "./lib/values";

const REPLICATION_RULES_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html";
const RTC_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html";
const REPLICATION_REQUIREMENTS_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html";
const GLOBAL_SECONDARY_DOC =
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html#aurora-global-database-attaching";
const MANAGED_PASSWORD_DOC =
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations";

const GLOBAL_TABLE_STREAMS_DOC =
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-streamspecification.html";

function ruleName(rule: Record<string, unknown>, i: number): string {
    return str(rule["id"]) !== undefined ? `rule "${String(rule["id"])}"` : `rules[${i}]`;
}

export const s3ReplicationKmsNeedsSourceSelection = resourcePolicy({
    name: "s3-replication-kms-source-selection",
    description:
        "A replication rule that re-encrypts at the destination (replicaKmsKeyId) also selects SSE-KMS objects (sourceSelectionCriteria).",
    remediationSteps: 'Set sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } } on the rule.',
    metadata: {
        concern: "deploy-time-constraints",
        hipaa: ["164.312(a)(2)(iv)", "164.308(a)(7)(ii)(B)"],
        checks: "Rules with destination.encryptionConfiguration.replicaKmsKeyId set sourceSelectionCriteria.sseKmsEncryptedObjects.status Enabled",
        resourceTypes: [T.bucketReplication],
        docs: [REPLICATION_RULES_DOC],
    },
    validate: ({ props }, report) => {
        records(props["rules"]).forEach((rule, i) => {
            // A key unknown at preview is the replica region's key the stack creates: it is set.
            const key = get(rule, "destination", "encryptionConfiguration", "replicaKmsKeyId");
            if (isSet(key) && get(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "status") !== "Enabled") {
                report(
                    `Replication ${ruleName(rule, i)} sets a destination encryption key but not sourceSelectionCriteria.sseKmsEncryptedObjects.status "Enabled"; S3 rejects this at deploy time (${REPLICATION_RULES_DOC}).`,
                );
            }
        });
    },
});

export const s3ReplicationRtcNeedsMetrics = resourcePolicy({
    name: "s3-replication-rtc-metrics",
    description:
        "A replication rule with Replication Time Control also enables replication metrics, both with the only valid threshold, 15 minutes.",
    remediationSteps:
        'Set destination.metrics: { status: "Enabled", eventThreshold: { minutes: 15 } } and replicationTime.time.minutes 15.',
    metadata: {
        concern: "deploy-time-constraints",
        hipaa: ["164.308(a)(7)(ii)(B)"],
        checks: "Rules with destination.replicationTime Enabled have destination.metrics Enabled; both thresholds are 15 minutes",
        resourceTypes: [T.bucketReplication],
        docs: [RTC_DOC, "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationTime.html"],
    },
    validate: ({ props }, report) => {
        records(props["rules"]).forEach((rule, i) => {
            const destination = get(rule, "destination");
            if (get(destination, "replicationTime", "status") !== "Enabled") {
                return;
            }
            if (get(destination, "metrics", "status") !== "Enabled") {
                report(
                    `Replication ${ruleName(rule, i)} enables Replication Time Control without replication metrics; S3 requires both (${RTC_DOC}).`,
                );
            }
            const rtcMinutes = num(get(destination, "replicationTime", "time", "minutes"));
            const metricMinutes = num(get(destination, "metrics", "eventThreshold", "minutes"));
            if (rtcMinutes !== 15 || (get(destination, "metrics", "status") === "Enabled" && metricMinutes !== 15)) {
                report(
                    `Replication ${ruleName(rule, i)}: 15 is the only valid value for replicationTime.time.minutes and metrics.eventThreshold.minutes (${RTC_DOC}).`,
                );
            }
        });
    },
});

export const s3ReplicationNeedsVersioning = stackPolicy({
    name: "s3-replication-needs-versioning",
    description: "Replication is declared only between versioned buckets, and after their versioning (dependsOn), as S3 requires.",
    remediationSteps:
        "Enable versioning on source and destination buckets and pass both BucketVersioning resources in the replication's dependsOn.",
    metadata: {
        concern: "deploy-time-constraints",
        hipaa: ["164.308(a)(7)(ii)(B)"],
        checks: "Source and destination buckets of each BucketReplicationConfig are versioned, and the replication depends on their versioning resources",
        resourceTypes: [T.bucketReplication, T.bucketVersioning, T.bucketVersioningV2],
        docs: [REPLICATION_REQUIREMENTS_DOC],
    },
    validate: ({ resources }, report) => {
        for (const replication of resources.filter((r) => r.type === T.bucketReplication)) {
            const source = bucketsOf(resources).find((b) => refersTo(replication, "bucket", b, ["bucket", "id"]));
            const rules = records(replication.props["rules"]);
            const destinations = rules
                .map((rule) => str(get(rule, "destination", "bucket")))
                .filter((arn): arn is string => arn !== undefined)
                .map((arn) => ({ arn, bucket: bucketByArn(resources, arn) }));
            // A destination unknown at preview is a bucket of the stack the rules depend on: each is checked.
            if (rules.some((rule) => isUnknown(get(rule, "destination", "bucket")))) {
                for (const bucket of bucketsOf(replication.propertyDependencies["rules"] ?? [])) {
                    destinations.push({ arn: bucket.name, bucket });
                }
            }
            const check = (bucket: PolicyResource | undefined, role: string, label: string) => {
                if (bucket === undefined) {
                    report(
                        `${describe(replication)}: the ${role} bucket ${label} is not declared in this stack, so its versioning cannot be checked.`,
                        replication.urn,
                    );
                    return;
                }
                if (!isVersioned(bucket, resources)) {
                    report(
                        `${describe(replication)}: the ${role} ${describe(bucket)} is not versioned; S3 requires versioning on both buckets (${REPLICATION_REQUIREMENTS_DOC}).`,
                        replication.urn,
                    );
                    return;
                }
                const versioning = versioningOf(bucket, resources);
                if (versioning.length > 0 && !versioning.some((v) => replication.dependencies.some((d) => d.urn === v.urn))) {
                    report(
                        `${describe(replication)} does not depend on ${describe(versioning[0]!)}: add it to dependsOn, or S3 may reject the replication before versioning is on (${REPLICATION_REQUIREMENTS_DOC}).`,
                        replication.urn,
                    );
                }
            };
            check(source, "source", String(replication.props["bucket"]));
            for (const d of destinations) {
                check(d.bucket, "destination", d.arn);
            }
        }
    },
});

const CREDENTIAL_PROPERTIES = ["masterUsername", "masterPassword", "masterPasswordWo", "databaseName"] as const;

export const auroraSecondaryNoCredentials = stackPolicy({
    name: "aurora-global-secondary-no-credentials",
    description:
        "A secondary cluster of a global database sets no master username, password or database name, and no member uses a Secrets Manager managed master password.",
    remediationSteps:
        "Remove masterUsername, masterPassword and databaseName from the secondary; generate the password and store it in a secret instead of manageMasterUserPassword.",
    metadata: {
        concern: "deploy-time-constraints",
        hipaa: ["164.308(a)(7)(ii)(B)"],
        checks: "Member clusters outside the global cluster's region set none of masterUsername/masterPassword/databaseName; no member sets manageMasterUserPassword",
        resourceTypes: [T.rdsGlobalCluster, T.rdsCluster],
        docs: [GLOBAL_SECONDARY_DOC, MANAGED_PASSWORD_DOC, "https://github.com/pulumi/pulumi-aws/issues/3751"],
    },
    validate: ({ resources }, report) => {
        const clusters = resources.filter((r) => r.type === T.rdsCluster);
        for (const global of resources.filter((r) => r.type === T.rdsGlobalCluster)) {
            const primaryRegion = regionOf(global.props, global.provider);
            const members = globalClusterMembers(global, clusters);
            for (const member of members) {
                if (isTrue(member.props["manageMasterUserPassword"])) {
                    report(
                        `${describe(member)} uses manageMasterUserPassword, which Aurora does not support in a global database (${MANAGED_PASSWORD_DOC}).`,
                        member.urn,
                    );
                }
                const region = regionOf(member.props, member.provider);
                const secondary =
                    str(member.props["replicationSourceIdentifier"]) !== undefined ||
                    (primaryRegion !== undefined && region !== primaryRegion);
                const set = CREDENTIAL_PROPERTIES.filter(
                    (p) => member.props[p] !== undefined && member.props[p] !== null && member.props[p] !== "",
                );
                if (secondary && set.length > 0) {
                    report(
                        `${describe(member)} is a secondary of ${describe(global)} but sets ${set.join(", ")}; AWS rejects it with InvalidParameterCombination (${GLOBAL_SECONDARY_DOC}).`,
                        member.urn,
                    );
                }
            }
        }
    },
});

const GLOBAL_DB_RPO = { parameter: "rds.global_db_rpo", min: 20, max: 2_147_483_647 } as const;
const MANAGE_RPO_DOC =
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html#aurora-global-database-manage-recovery";

/** The value a cluster parameter group gives `rds.global_db_rpo`, if it sets it. */
function globalDbRpoOf(group: PolicyResource): string | undefined {
    const set = records(group.props["parameters"]).find((p) => p["name"] === GLOBAL_DB_RPO.parameter);
    return set === undefined ? undefined : String(set["value"]);
}

/**
 * `rds.global_db_rpo` (Aurora PostgreSQL) holds commits on the primary while no secondary is within it. Aurora
 * accepts whole seconds from 20 to 2,147,483,647 only, and refuses anything else at `pulumi up`. In a global database of
 * two clusters AWS advises setting it on the primary's parameter group only: on both, the new primary after a
 * failover has no secondary within the limit (the old region is gone) and holds every commit, an outage of its own.
 */
export const auroraGlobalRpoOnOneMember = stackPolicy({
    name: "aurora-global-rpo-on-one-member",
    description:
        "rds.global_db_rpo is a whole number of seconds from 20 to 2147483647, and in a two-region global database at most one member's cluster parameter group (the writer's) sets it.",
    remediationSteps:
        "Set rds.global_db_rpo (20 or more) in the writer's cluster parameter group only (healthcare-dr:database.maxReplicationLagSeconds does, following activeRegion), and leave the other member's group without it.",
    metadata: {
        concern: "deploy-time-constraints",
        hipaa: ["164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)"],
        checks: "ClusterParameterGroup rds.global_db_rpo in 20..2147483647; of the two members of a global cluster, at most one uses a group that sets it",
        resourceTypes: [T.rdsClusterParameterGroup, T.rdsCluster, T.rdsGlobalCluster],
        docs: [MANAGE_RPO_DOC],
    },
    validate: ({ resources }, report) => {
        const groups = resources.filter((r) => r.type === T.rdsClusterParameterGroup);
        for (const group of groups) {
            const value = globalDbRpoOf(group);
            const seconds = num(value);
            if (
                value !== undefined &&
                (seconds === undefined || !Number.isInteger(seconds) || seconds < GLOBAL_DB_RPO.min || seconds > GLOBAL_DB_RPO.max)
            ) {
                report(
                    `${describe(group)} sets ${GLOBAL_DB_RPO.parameter} to ${value}; Aurora accepts whole seconds from ${GLOBAL_DB_RPO.min} to ${GLOBAL_DB_RPO.max} (${MANAGE_RPO_DOC}).`,
                    group.urn,
                );
            }
        }
        const clusters = resources.filter((r) => r.type === T.rdsCluster);
        for (const global of resources.filter((r) => r.type === T.rdsGlobalCluster)) {
            const members = globalClusterMembers(global, clusters);
            if (members.length !== 2) {
                continue;
            }
            const setting = members.filter((m) =>
                groups.some((g) => refersTo(m, "dbClusterParameterGroupName", g, ["name", "id"]) && globalDbRpoOf(g) !== undefined),
            );
            if (setting.length > 1) {
                report(
                    `Both members of ${describe(global)} (${setting.map((m) => describe(m)).join(", ")}) use a parameter group that sets ${GLOBAL_DB_RPO.parameter}: with two regions AWS advises the primary's only, or the new primary holds every commit after a failover (${MANAGE_RPO_DOC}).`,
                    global.urn,
                );
            }
        }
    },
});

/**
 * A global table with multi-Region eventual consistency (MREC, the default `consistencyMode`) replicates through
 * DynamoDB Streams: AWS turns the stream on when the first replica is added and refuses to turn it off while there
 * are replicas. A table declared with replicas but without `streamEnabled` then fails at `pulumi up` on the next
 * update, when the provider tries to turn the stream off (hashicorp/terraform-provider-aws#43625). Strongly
 * consistent tables (MRSC) do not need it.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-streamspecification.html
 * @see https://github.com/hashicorp/terraform-provider-aws/issues/43625
 */
export const dynamodbGlobalTableStreams = resourcePolicy({
    name: "dynamodb-global-table-streams",
    description:
        "A DynamoDB table with replicas (a global table with eventual consistency, the default) declares its stream on (streamEnabled true with a streamViewType): AWS keeps it on for replication, and an update that turns it off fails.",
    remediationSteps: 'Set streamEnabled: true and streamViewType (for example "NEW_AND_OLD_IMAGES") on the table.',
    metadata: {
        concern: "deploy-time-constraints",
        hipaa: ["164.308(a)(7)(ii)(B)"],
        checks: "Tables with replicas, none of them STRONG consistency, set streamEnabled true and a streamViewType",
        resourceTypes: [T.dynamoTable],
        docs: [GLOBAL_TABLE_STREAMS_DOC, "https://github.com/hashicorp/terraform-provider-aws/issues/43625"],
    },
    validate: ({ props }, report) => {
        const replicas = records(props["replicas"]);
        if (replicas.length === 0 || replicas.some((r) => str(r["consistencyMode"]) === "STRONG")) {
            return;
        }
        if (!isTrue(props["streamEnabled"])) {
            report(
                `The table has ${replicas.length} replica${replicas.length === 1 ? "" : "s"} but streamEnabled is not true: global tables replicate through the table's stream, which AWS will not turn off while replicas exist (${GLOBAL_TABLE_STREAMS_DOC}); set streamEnabled: true and a streamViewType.`,
            );
        } else if (!isSet(props["streamViewType"])) {
            report("The table's stream is on but has no streamViewType: set streamViewType (for example NEW_AND_OLD_IMAGES).");
        }
    },
});

export const deployConstraintPolicies: readonly PackPolicy[] = [
    s3ReplicationKmsNeedsSourceSelection,
    s3ReplicationRtcNeedsMetrics,
    s3ReplicationNeedsVersioning,
    auroraSecondaryNoCredentials,
    auroraGlobalRpoOnOneMember,
    dynamodbGlobalTableStreams,
];
