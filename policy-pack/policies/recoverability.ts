/**
 * Contingency plan (HIPAA 164.308(a)(7)): data backup, disaster recovery and emergency-mode operation. Patient
 * data is versioned and replicated to the other region, backups are kept long enough and cover every database and
 * patient-data bucket, production's stateful resources cannot be deleted by accident, and the global database has
 * a secondary in another region.
 */
import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import {
    describe,
    effectiveTags,
    globalClusterMembers,
    isProtectedEnvironment,
    protectedEnvironmentsSchema,
    refersTo,
    regionOf,
} from "./lib/resources";
import {
    bucketArn,
    bucketsOf,
    configsOf,
    holdsPatientData,
    isVersioned,
    PATIENT_DATA_SCHEMA,
    replicasOf,
    replicationTargets,
} from "./lib/s3";
import { parsePolicyDocument } from "./lib/documents";
import { shortestGapMinutes, startWindowsOverlap } from "./lib/schedules";
import { T } from "./lib/types";
import { arnRegion, get, isTrue, isUnknown, num, objectOf, records, str, strings } from "./lib/values";

const CONTINGENCY = ["164.308(a)(7)(i)", "164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"] as const;

export const s3PatientDataReplicated = stackPolicy({
    name: "s3-patient-data-versioned-replicated",
    description:
        "Every bucket holding patient data is versioned and replicated to a bucket in another region (or is itself such a replica).",
    remediationSteps:
        "Declare an aws.s3.BucketVersioning (status Enabled) and an aws.s3.BucketReplicationConfig whose enabled rule's destination is a versioned bucket in the DR region.",
    configSchema: { properties: { ...PATIENT_DATA_SCHEMA } },
    metadata: {
        concern: "recoverability",
        hipaa: [...CONTINGENCY],
        checks: "Buckets tagged DataClassification in patientDataClassifications are versioned and replicated cross-region (or are a replica)",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketVersioning, T.bucketVersioningV2, T.bucketReplication],
        cdkNag: ["S3BucketVersioningEnabled", "S3BucketReplicationEnabled"],
        awsConfig: ["s3-bucket-versioning-enabled", "s3-bucket-replication-enabled"],
    },
    validate: (args, report) => {
        const { patientDataClassifications } = args.getConfig<{ patientDataClassifications: string[] }>();
        const buckets = bucketsOf(args.resources);
        const replicas = new Set(buckets.flatMap((b) => replicasOf(b, args.resources)));
        for (const bucket of buckets.filter((b) => holdsPatientData(b, patientDataClassifications, args.resources))) {
            if (!isVersioned(bucket, args.resources)) {
                report(
                    `${describe(bucket)} holds patient data but is not versioned: declare a BucketVersioning with status Enabled.`,
                    bucket.urn,
                );
            }
            if (replicas.has(bucket)) {
                continue;
            }
            const region = regionOf(bucket.props, bucket.provider);
            const { candidates, undeclared } = replicationTargets(bucket, args.resources);
            // Every bucket a destination can be must be in another region.
            const crossRegion = candidates.some(
                (group) =>
                    group.length > 0 &&
                    group.every((target) => {
                        const targetRegion = regionOf(target.props, target.provider);
                        return targetRegion !== undefined && targetRegion !== region;
                    }),
            );
            if (!crossRegion) {
                report(
                    candidates.length === 0 && undeclared.length === 0
                        ? `${describe(bucket)} holds patient data but is not replicated: declare a BucketReplicationConfig to a bucket in the DR region.`
                        : `${describe(bucket)} replicates only to buckets this stack does not declare in another region (${undeclared.join(", ") || "none"}).`,
                    bucket.urn,
                );
            }
        }
    },
});

export const backupRetention = resourcePolicy({
    name: "backup-retention-minimum",
    description:
        "Backups are kept at least the configured minimum: Aurora/RDS automated backups, AWS Backup rules and copies; DynamoDB tables and every global-table replica have point-in-time recovery.",
    remediationSteps:
        "Raise backupRetentionPeriod / lifecycle.deleteAfter to at least minimumDays, or enable pointInTimeRecovery (on the table and on each of its replicas).",
    configSchema: {
        properties: {
            minimumDays: {
                type: "integer",
                minimum: 1,
                maximum: 35,
                default: 7,
                description: "The shortest backup retention allowed, in days.",
            },
        },
    },
    metadata: {
        concern: "recoverability",
        hipaa: [...CONTINGENCY],
        checks: "backupRetentionPeriod >= minimumDays (unset means 1 day); Backup rule and copy lifecycles >= minimumDays; DynamoDB PITR on, on every replica too (replicas[].pointInTimeRecovery, TableReplica)",
        resourceTypes: [T.rdsCluster, T.rdsInstance, T.backupPlan, T.dynamoTable, T.dynamoTableReplica],
        cdkNag: ["RDSInstanceBackupEnabled", "DynamoDBPITREnabled"],
        awsConfig: [
            "db-instance-backup-enabled",
            "dynamodb-pitr-enabled",
            "backup-plan-min-frequency-and-min-retention-check",
            "backup-recovery-point-minimum-retention-check",
        ],
        docs: [
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Backups.html",
            "https://docs.aws.amazon.com/config/latest/developerguide/dynamodb-pitr-enabled.html",
        ],
    },
    validate: (args, report) => {
        const { minimumDays } = args.getConfig<{ minimumDays: number }>();
        const p = args.props;
        if (args.type === T.rdsCluster || args.type === T.rdsInstance) {
            // Aurora keeps automated backups 1 day unless told otherwise.
            const days = num(p["backupRetentionPeriod"]) ?? 1;
            if (days < minimumDays) {
                report(
                    `Automated backups are kept ${days} day${days === 1 ? "" : "s"}; the minimum is ${minimumDays}: set backupRetentionPeriod.`,
                );
            }
        } else if (args.type === T.backupPlan) {
            records(p["rules"]).forEach((rule, i) => {
                const name = str(rule["ruleName"]) ?? `rules[${i}]`;
                const days = num(get(rule, "lifecycle", "deleteAfter"));
                if (days !== undefined && days < minimumDays) {
                    report(
                        `Backup rule ${name} keeps recovery points ${days} days; the minimum is ${minimumDays}: raise lifecycle.deleteAfter.`,
                    );
                }
                records(rule["copyActions"]).forEach((copy) => {
                    const copyDays = num(get(copy, "lifecycle", "deleteAfter"));
                    if (copyDays !== undefined && copyDays < minimumDays) {
                        report(
                            `Backup rule ${name} keeps copies ${copyDays} days; the minimum is ${minimumDays}: raise copyActions[].lifecycle.deleteAfter.`,
                        );
                    }
                });
            });
        } else if (args.type === T.dynamoTable) {
            if (!isTrue(get(p, "pointInTimeRecovery", "enabled"))) {
                report("The table has no point-in-time recovery: set pointInTimeRecovery.enabled to true.");
            }
            // Each replica of a global table has its own PITR setting (off by default): a replica restored after
            // losing the other region would have no history otherwise.
            records(p["replicas"]).forEach((replica, i) => {
                if (!isTrue(replica["pointInTimeRecovery"])) {
                    report(
                        `The table's replica in ${str(replica["regionName"]) ?? `replicas[${i}]`} has no point-in-time recovery: set replicas[${i}].pointInTimeRecovery to true.`,
                    );
                }
            });
        } else if (args.type === T.dynamoTableReplica && !isTrue(p["pointInTimeRecovery"])) {
            report("The table replica has no point-in-time recovery: set pointInTimeRecovery to true.");
        }
    },
});

/** True when a backup selection's tag conditions match a resource's tags. */
function selectionMatchesTags(selection: PolicyResource, tags: Readonly<Record<string, string>>): boolean {
    const direct = records(selection.props["selectionTags"]).some(
        (t) => t["type"] === "STRINGEQUALS" && tags[String(t["key"])] === t["value"],
    );
    const conditions = records(get(selection.props, "conditions")).flatMap((c) => records(c["stringEquals"]));
    return direct || conditions.some((c) => tags[String(c["key"]).replace(/^aws:ResourceTag\//, "")] === c["value"]);
}

/** ARN patterns of a selection (`*` wildcards allowed, as AWS Backup allows them). */
function arnMatches(pattern: string, arn: string): boolean {
    const regex = new RegExp(
        `^${pattern
            .split("*")
            .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
    );
    return regex.test(arn);
}

/** A resource's ARN when known: its `arn` output, or a bucket's, built from its name. */
function arnOf(r: PolicyResource): string | undefined {
    return str(r.props["arn"]) ?? (r.type === T.rdsCluster ? undefined : bucketArn(r));
}

/**
 * The fields of an Aurora cluster's ARN before it exists (`arn:aws:rds:<region>:<account>:cluster:<identifier>`):
 * the region from its provider, the identifier from its input; `undefined` where not known yet.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.ARN.Constructing.html
 */
function arnFieldsOf(r: PolicyResource): readonly (string | undefined)[] {
    if (r.type !== T.rdsCluster) {
        return [];
    }
    return ["arn", "aws", "rds", regionOf(r.props, r.provider), undefined, "cluster", str(r.props["clusterIdentifier"])];
}

/**
 * True when an ARN pattern matches an ARN of which some fields are not known yet: each known field matches its part
 * of the pattern, and each unknown one is a `*` there, so the pattern matches whatever the value turns out to be.
 */
function arnFieldsMatch(pattern: string, fields: readonly (string | undefined)[]): boolean {
    const parts = pattern.split(":");
    return (
        fields.length > 0 &&
        parts.length === fields.length &&
        fields.every((field, i) => (field === undefined ? parts[i] === "*" : arnMatches(parts[i]!, field)))
    );
}

/**
 * The backup selections that include a resource (by ARN, ARN pattern, a reference the engine recorded, or tags) and
 * do not exclude it, whatever their region.
 */
function selectionsCovering(target: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    const arn = arnOf(target);
    const tags = effectiveTags(target.props, target.provider);
    const matches = (pattern: string) => (arn !== undefined ? arnMatches(pattern, arn) : arnFieldsMatch(pattern, arnFieldsOf(target)));
    return resources.filter((s) => {
        if (s.type !== T.backupSelection) {
            return false;
        }
        const excluded = refersTo(s, "notResources", target, ["arn"]) || strings(s.props["notResources"]).some(matches);
        const included =
            refersTo(s, "resources", target, ["arn"]) || strings(s.props["resources"]).some(matches) || selectionMatchesTags(s, tags);
        return included && !excluded;
    });
}

/**
 * The members of a DynamoDB global table, one per region: the table in its provider's region (its `arn`) and each
 * replica in its `regionName` (its `replicas[].arn`, an output of the same resource). Each is a table of its own that
 * a backup plan of that region must select.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables-CoreConcepts.html
 */
function globalTableMembers(
    table: PolicyResource,
): { readonly region: string | undefined; readonly arn: unknown; readonly what: string }[] {
    return [
        { region: regionOf(table.props, table.provider), arn: table.props["arn"], what: describe(table) },
        ...records(table.props["replicas"]).map((replica, i) => ({
            region: str(replica["regionName"]),
            arn: replica["arn"],
            what: `${describe(table)}'s replica in ${str(replica["regionName"]) ?? `replicas[${i}]`}`,
        })),
    ];
}

/**
 * The selections of `region` that select the member of a global table there: by its ARN (or a pattern matching it)
 * when known, by the table's tags (replicas propagate them), or, while the member's ARN is unknown (a first preview),
 * by a reference to the table the engine recorded: a selection of that region naming an output of the table names
 * the member of its own region, the only one a plan there can back up.
 */
function selectionsOfMember(
    table: PolicyResource,
    member: { readonly region: string | undefined; readonly arn: unknown },
    resources: readonly PolicyResource[],
): PolicyResource[] {
    const arn = str(member.arn);
    const tags = effectiveTags(table.props, table.provider);
    return resources.filter((s) => {
        if (s.type !== T.backupSelection || regionOf(s.props, s.provider) !== member.region) {
            return false;
        }
        const byDependency = arn === undefined && (s.propertyDependencies["resources"] ?? []).some((d) => d.urn === table.urn);
        const byArn = arn !== undefined && strings(s.props["resources"]).some((pattern) => arnMatches(pattern, arn));
        const excluded = arn !== undefined && strings(s.props["notResources"]).some((pattern) => arnMatches(pattern, arn));
        return (byDependency || byArn || selectionMatchesTags(s, tags)) && !excluded;
    });
}

/**
 * AWS Backup plans back up resources of their own region only, and a recovery point in the resource's region is lost
 * with the region: so each cluster and patient-data bucket must be selected in its own region by a plan that copies
 * to another. A global-database secondary or an S3 replica is no exception: after a failover it is the copy that
 * takes the writes, and a plan left in the old writer's region would protect nothing new.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
 */
export const backupSelectionCoverage = stackPolicy({
    name: "backup-selection-coverage",
    description:
        "Every Aurora cluster, every patient-data bucket and every member of a DynamoDB global table, in both regions, is in an AWS Backup selection of its own region whose plan copies its recovery points to another region.",
    remediationSteps:
        "Add the resource's ARN to an aws.backup.Selection declared with the provider of the resource's region (or tag it to match the selection's selectionTags), in a plan with a copy action to a vault in the other region. A global-database secondary and an S3 replica need their own: they take the writes after a failover.",
    configSchema: { properties: { ...PATIENT_DATA_SCHEMA } },
    metadata: {
        concern: "recoverability",
        hipaa: [...CONTINGENCY],
        checks: "Each Aurora cluster, patient-data bucket and global-table member (the table and each replica, in its region) is in a Backup selection (by ARN, ARN pattern or tag) of its own region, whose plan copies to a vault in another region",
        resourceTypes: [T.rdsCluster, T.bucket, T.bucketV2, T.dynamoTable, T.backupSelection, T.backupPlan],
        cdkNag: ["RDSInBackupPlan"],
        awsConfig: [
            "rds-in-backup-plan",
            "aurora-resources-protected-by-backup-plan",
            "s3-resources-protected-by-backup-plan",
            "dynamodb-resources-protected-by-backup-plan",
        ],
        docs: [
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html",
            "https://docs.aws.amazon.com/config/latest/developerguide/dynamodb-resources-protected-by-backup-plan.html",
        ],
    },
    validate: (args, report) => {
        const { patientDataClassifications } = args.getConfig<{ patientDataClassifications: string[] }>();
        const clusters = args.resources.filter((r) => r.type === T.rdsCluster);
        const buckets = bucketsOf(args.resources).filter((b) => holdsPatientData(b, patientDataClassifications, args.resources));
        for (const target of [...clusters, ...buckets]) {
            const region = regionOf(target.props, target.provider);
            const covering = selectionsCovering(target, args.resources);
            const local = covering.filter((s) => regionOf(s.props, s.provider) === region);
            if (local.length === 0) {
                const elsewhere = [...new Set(covering.map((s) => regionOf(s.props, s.provider) ?? "an unknown region"))];
                report(
                    elsewhere.length === 0
                        ? `${describe(target)} is not covered by any AWS Backup selection: add its ARN to a Selection of its region (${region ?? "unknown"}).`
                        : `${describe(target)} is selected only in ${elsewhere.join(", ")}, but a backup plan backs up resources of its own region only: select it in a plan of ${region ?? "its region"}.`,
                    target.urn,
                );
                continue;
            }
            const copiesOut = local.some((s) => copyRegionsOfSelection(s, args.resources).some((r) => r !== region));
            if (!copiesOut) {
                report(
                    `${describe(target)} is backed up only in ${region ?? "its region"}, which it would be lost with: give the plan of ${local.map(describe).join(", ")} a copy action to a vault in another region.`,
                    target.urn,
                );
            }
        }
        // A global table's replicas are written to in both regions, and a bad write replicates everywhere within
        // seconds: each member needs its own region's backups, copied out of that region.
        for (const table of args.resources.filter((r) => r.type === T.dynamoTable && records(r.props["replicas"]).length > 0)) {
            for (const member of globalTableMembers(table)) {
                const local = selectionsOfMember(table, member, args.resources);
                if (local.length === 0) {
                    report(
                        `${member.what} is not covered by any AWS Backup selection of ${member.region ?? "its region"}: add its ARN to a Selection of that region (a plan backs up its own region's resources only).`,
                        table.urn,
                    );
                } else if (!local.some((s) => copyRegionsOfSelection(s, args.resources).some((r) => r !== member.region))) {
                    report(
                        `${member.what} is backed up only in ${member.region ?? "its region"}, which it would be lost with: give the plan of ${local.map(describe).join(", ")} a copy action to a vault in another region.`,
                        table.urn,
                    );
                }
            }
        }
    },
});

/**
 * The regions a selection's plan copies its recovery points to: each copy action's destination vault, and at preview
 * (when a vault's ARN is not known yet) the vaults of other regions the plan's rules depend on.
 */
function copyRegionsOfSelection(selection: PolicyResource, resources: readonly PolicyResource[]): string[] {
    const plan = planOfSelection(selection, resources);
    return plan === undefined ? [] : copyRegionsOfPlan(plan);
}

/** The plan a selection belongs to: the one its `planId` names or refers to. */
function planOfSelection(selection: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
    const planId = str(selection.props["planId"]);
    return resources.find(
        (r) =>
            r.type === T.backupPlan &&
            (refersTo(selection, "planId", r, ["id"]) || (planId !== undefined && str(r.props["id"]) === planId)),
    );
}

/** The regions a plan's copy actions copy to (see `copyRegionsOfSelection`). */
function copyRegionsOfPlan(plan: PolicyResource): string[] {
    const rules = records(plan.props["rules"]);
    const destinations = rules.flatMap((rule) => records(rule["copyActions"])).map((copy) => copy["destinationVaultArn"]);
    const known = destinations
        .map((vaultArn) => str(vaultArn))
        .map((vaultArn) => (vaultArn === undefined ? undefined : arnRegion(vaultArn)))
        .filter((region): region is string => region !== undefined);
    if (!destinations.some(isUnknown)) {
        return known;
    }
    // A destination vault unknown at preview is a vault of the stack the rules depend on. The rules' target
    // vault is one too, always in the plan's own region (a plan backs up into a vault of its region), so
    // only vaults of other regions are taken for copies: a same-region copy is not counted before it exists.
    const planRegion = regionOf(plan.props, plan.provider);
    return [
        ...known,
        ...(plan.propertyDependencies["rules"] ?? [])
            .filter((v) => v.type === T.backupVault)
            .map((v) => regionOf(v.props, v.provider))
            .filter((r): r is string => r !== undefined && r !== planRegion),
    ];
}

/** Stateful resource types whose loss loses data, and the AWS deletion-protection flag each has (if any). */
const STATEFUL: Readonly<Record<string, string | undefined>> = {
    [T.rdsCluster]: "deletionProtection",
    [T.rdsGlobalCluster]: "deletionProtection",
    [T.rdsInstance]: "deletionProtection",
    [T.dynamoTable]: "deletionProtectionEnabled",
    [T.dynamoTableReplica]: "deletionProtectionEnabled",
    [T.kmsKey]: undefined,
    [T.bucket]: undefined,
    [T.bucketV2]: undefined,
    [T.backupVault]: undefined,
    [T.secret]: undefined,
};

export const deletionProtection = resourcePolicy({
    name: "deletion-protection-in-protected-environments",
    description: "In protected environments (prod), stateful resources have AWS deletion protection and Pulumi `protect`.",
    remediationSteps:
        "Set deletionProtection (or deletionProtectionEnabled) to true and the resource option protect: true (healthcare-dr:protect).",
    configSchema: protectedEnvironmentsSchema("stateful resources must be protected"),
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(i)", "164.312(c)(1)"],
        checks: "In protected environments: deletionProtection on clusters, global clusters, instances, tables and every table replica (replicas[].deletionProtectionEnabled, TableReplica); Pulumi protect on keys, buckets, vaults, secrets and those",
        resourceTypes: Object.keys(STATEFUL),
        cdkNag: ["RDSInstanceDeletionProtectionEnabled"],
        awsConfig: [
            "rds-instance-deletion-protection-enabled",
            "rds-cluster-deletion-protection-enabled",
            "dynamodb-table-deletion-protection-enabled",
        ],
        docs: ["https://docs.aws.amazon.com/config/latest/developerguide/dynamodb-table-deletion-protection-enabled.html"],
    },
    validate: (args, report) => {
        const { protectedEnvironments } = args.getConfig<{ protectedEnvironments: string[] }>();
        if (!isProtectedEnvironment(args.urn, effectiveTags(args.props, args.provider), protectedEnvironments)) {
            return args.notApplicable("not a protected environment");
        }
        const flag = STATEFUL[args.type];
        if (flag !== undefined && !isTrue(args.props[flag])) {
            report(`The resource has no deletion protection in a protected environment: set ${flag} to true.`);
        }
        // A global table's replicas are tables of their own, each with its own flag (off by default): deleting the
        // DR replica loses the copy a failover needs.
        if (args.type === T.dynamoTable) {
            records(args.props["replicas"]).forEach((replica, i) => {
                if (!isTrue(replica["deletionProtectionEnabled"])) {
                    report(
                        `The table's replica in ${str(replica["regionName"]) ?? `replicas[${i}]`} has no deletion protection in a protected environment: set replicas[${i}].deletionProtectionEnabled to true.`,
                    );
                }
            });
        }
        if (!args.opts.protect) {
            report(
                "The resource is not protected from `pulumi destroy` in a protected environment: set the resource option protect: true.",
            );
        }
    },
});

export const globalDatabaseSecondary = stackPolicy({
    name: "global-database-has-secondary",
    description: "Every Aurora global database has a member cluster in a region other than its primary's.",
    remediationSteps: "Declare a secondary aws.rds.Cluster in the DR region with globalClusterIdentifier set to the global cluster's id.",
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)"],
        checks: "Each GlobalCluster has member clusters in at least two regions",
        resourceTypes: [T.rdsGlobalCluster, T.rdsCluster],
        docs: ["https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html"],
    },
    validate: ({ resources }, report) => {
        const clusters = resources.filter((r) => r.type === T.rdsCluster);
        for (const global of resources.filter((r) => r.type === T.rdsGlobalCluster)) {
            const members = globalClusterMembers(global, clusters);
            const regions = new Set(members.map((m) => regionOf(m.props, m.provider) ?? "unknown"));
            if (regions.size < 2) {
                report(
                    `${describe(global)} has ${members.length} member cluster(s) in ${[...regions].join(", ") || "no region"}: add a secondary cluster in the DR region.`,
                    global.urn,
                );
            }
        }
    },
});

/** The actions AWS Config's rule wants denied to everyone for recovery points to be safe from manual deletion. */
const RECOVERY_POINT_DELETION_ACTIONS = [
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:PutBackupVaultAccessPolicy",
] as const;

/** True when a vault access policy denies every principal the recovery-point deletion actions. */
function vaultPolicyDeniesDeletion(policy: unknown): boolean {
    const parsed = parsePolicyDocument(policy);
    if (!parsed.ok) {
        return false;
    }
    const denied = parsed.statements.filter((s) => s.effect === "Deny" && s.principals.includes("*")).flatMap((s) => s.actions);
    const covers = (action: string) => denied.some((d) => d === "*" || d === "backup:*" || d.toLowerCase() === action.toLowerCase());
    return RECOVERY_POINT_DELETION_ACTIONS.every(covers);
}

/**
 * In production, nobody (not even an administrator whose credentials are stolen) may delete recovery points
 * before their retention ends. AWS Backup Vault Lock does this (in compliance mode once `changeableForDays` has
 * passed, even the root user cannot remove it); AWS Config's rule accepts the weaker vault access policy that
 * denies the deletion actions to everyone, so either passes.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-manual-deletion-disabled.html
 */
export const backupVaultLocked = stackPolicy({
    name: "backup-vault-locked-in-protected-environments",
    description:
        "In protected environments (prod), every Backup vault has a Vault Lock (or an access policy denying everyone recovery-point deletion), so recovery points cannot be deleted by hand.",
    remediationSteps:
        "Declare an aws.backup.VaultLockConfiguration for the vault (backupVaultName, minRetentionDays, changeableForDays for compliance mode), or an aws.backup.VaultPolicy denying Principal * backup:DeleteRecoveryPoint, backup:UpdateRecoveryPointLifecycle and backup:PutBackupVaultAccessPolicy.",
    configSchema: protectedEnvironmentsSchema("vaults must be locked"),
    metadata: {
        concern: "recoverability",
        hipaa: [...CONTINGENCY, "164.312(c)(1)"],
        checks: "In protected environments: each Vault has a VaultLockConfiguration, or a VaultPolicy denying * the recovery-point deletion actions",
        resourceTypes: [T.backupVault, T.backupVaultLock, T.backupVaultPolicy],
        awsConfig: ["backup-recovery-point-manual-deletion-disabled"],
        docs: [
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html",
            "https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-manual-deletion-disabled.html",
        ],
    },
    validate: (args, report) => {
        const { protectedEnvironments } = args.getConfig<{ protectedEnvironments: string[] }>();
        const vaults = args.resources.filter(
            (r) => r.type === T.backupVault && isProtectedEnvironment(r.urn, effectiveTags(r.props, r.provider), protectedEnvironments),
        );
        for (const vault of vaults) {
            const locked = args.resources.some(
                (r) => r.type === T.backupVaultLock && refersTo(r, "backupVaultName", vault, ["name", "id"]),
            );
            const denied = args.resources.some(
                (r) =>
                    r.type === T.backupVaultPolicy &&
                    refersTo(r, "backupVaultName", vault, ["name", "id"]) &&
                    vaultPolicyDeniesDeletion(r.props["policy"]),
            );
            if (!locked && !denied) {
                report(
                    `${describe(vault)} is in a protected environment but its recovery points can be deleted by hand: declare an aws.backup.VaultLockConfiguration for it (or a VaultPolicy denying everyone backup:DeleteRecoveryPoint).`,
                    vault.urn,
                );
            }
        }
    },
});

/**
 * Versioning keeps every overwritten or deleted object as a noncurrent version; without a lifecycle rule those
 * accumulate for ever (and cost grows without bound), so AWS Config asks every versioned bucket for a lifecycle
 * configuration. An enabled rule that expires noncurrent versions is what bounds them.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
 */
export const s3VersionLifecycle = stackPolicy({
    name: "s3-versioned-bucket-lifecycle",
    description: "Every versioned bucket has a lifecycle configuration with an enabled rule that expires noncurrent versions.",
    remediationSteps:
        "Declare an aws.s3.BucketLifecycleConfiguration for the bucket with an Enabled rule setting noncurrentVersionExpiration.noncurrentDays (kept at least as long as recovery needs).",
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(i)", "164.308(a)(7)(ii)(A)"],
        checks: "Each versioned bucket has a BucketLifecycleConfiguration with an Enabled rule with noncurrentVersionExpiration",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketVersioning, T.bucketVersioningV2, T.bucketLifecycle, T.bucketLifecycleV2],
        awsConfig: ["s3-version-lifecycle-policy-check"],
        docs: ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html"],
    },
    validate: ({ resources }, report) => {
        for (const bucket of bucketsOf(resources).filter((b) => isVersioned(b, resources))) {
            const lifecycles = configsOf(bucket, resources, [T.bucketLifecycle, T.bucketLifecycleV2]);
            const rules = [...lifecycles.flatMap((l) => records(l.props["rules"])), ...records(bucket.props["lifecycleRules"])];
            const expires = rules.some(
                (r) =>
                    (r["status"] === "Enabled" || r["enabled"] === true) &&
                    r["noncurrentVersionExpiration"] !== undefined &&
                    r["noncurrentVersionExpiration"] !== null,
            );
            if (!expires) {
                report(
                    lifecycles.length === 0 && rules.length === 0
                        ? `${describe(bucket)} is versioned but has no lifecycle configuration: declare an aws.s3.BucketLifecycleConfiguration that expires noncurrent versions.`
                        : `${describe(bucket)}'s lifecycle rules never expire noncurrent versions: add an Enabled rule with noncurrentVersionExpiration.`,
                    bucket.urn,
                );
            }
        }
    },
});

/**
 * The AWS Backup opt-in type a selected resource ARN needs. Aurora and RDS clusters share the `rds:cluster` ARN, so
 * the declared cluster's engine decides (Aurora unless it says otherwise).
 */
function optInTypeOf(arn: string, resources: readonly PolicyResource[]): string | undefined {
    if (arn.startsWith("arn:aws:s3:::") || /^arn:[\w-]+:s3:::/.test(arn)) return "S3";
    if (/:rds:[^:]*:[^:]*:cluster:/.test(arn)) {
        const cluster = resources.find((r) => r.type === T.rdsCluster && str(r.props["arn"]) === arn);
        const engine = cluster === undefined ? undefined : str(cluster.props["engine"]);
        return engine === undefined || engine.startsWith("aurora") ? "Aurora" : "RDS";
    }
    if (/:rds:[^:]*:[^:]*:db:/.test(arn)) return "RDS";
    if (/:dynamodb:/.test(arn)) return "DynamoDB";
    if (/:elasticfilesystem:/.test(arn)) return "EFS";
    return undefined;
}

/** The opt-in type of a resource the selection refers to (at preview, when its ARN is not known yet). */
function optInTypeOfResource(resource: PolicyResource): string | undefined {
    switch (resource.type) {
        case T.rdsCluster: {
            const engine = str(resource.props["engine"]);
            return engine === undefined || engine.startsWith("aurora") ? "Aurora" : "RDS";
        }
        case T.rdsInstance:
            return "RDS";
        case T.bucket:
        case T.bucketV2:
            return "S3";
        case T.dynamoTable:
            return "DynamoDB";
        default:
            return undefined;
    }
}

/**
 * AWS Backup honours an explicit resource assignment whatever the region's service opt-in, except where resource
 * types share an ARN format: an Aurora cluster is backed up only when the Aurora opt-in is on, so an account that
 * opted Aurora out gets no backups and no error. The stack declares the region settings of every region it backs up
 * in (the selection's) and copies to (each copy action's destination vault), opting in each type it selects.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources-json.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRegionSettings.html
 */
export const backupRegionSettings = stackPolicy({
    name: "backup-region-settings",
    description:
        "Every region the stack backs up in or copies backups to declares AWS Backup region settings opting in the resource types it selects (Aurora, S3...).",
    remediationSteps:
        "Declare an aws.backup.RegionSettings in each such region with resourceTypeOptInPreference true for the selected types (Aurora for Aurora clusters, S3 for buckets).",
    metadata: {
        concern: "recoverability",
        hipaa: [...CONTINGENCY],
        checks: "For each Selection: its region and its plan's copy-destination regions have a RegionSettings with every selected type opted in",
        resourceTypes: [T.backupSelection, T.backupPlan, T.backupRegionSettings],
        docs: ["https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources-json.html"],
    },
    validate: (args, report) => {
        const settings = new Map(
            args.resources
                .filter((r) => r.type === T.backupRegionSettings)
                .map((r) => [regionOf(r.props, r.provider), objectOf(r.props["resourceTypeOptInPreference"]) ?? {}] as const),
        );
        for (const selection of args.resources.filter((r) => r.type === T.backupSelection)) {
            // At preview the selected ARNs are unknown: the resources the selection's list depends on say what it selects.
            const selected = [
                ...strings(selection.props["resources"]).map((arn) => optInTypeOf(arn, args.resources)),
                ...(selection.propertyDependencies["resources"] ?? []).map((r) => optInTypeOfResource(r)),
            ];
            const types = [...new Set(selected)].filter((t): t is string => t !== undefined);
            const copyRegions = copyRegionsOfSelection(selection, args.resources);
            const regions = [...new Set([regionOf(selection.props, selection.provider), ...copyRegions])].filter(
                (r): r is string => r !== undefined,
            );
            for (const region of regions) {
                const optIn = settings.get(region);
                if (optIn === undefined) {
                    report(
                        `${describe(selection)} backs up (or copies to) ${region}, which declares no AWS Backup region settings: declare an aws.backup.RegionSettings there opting in ${types.join(", ")}.`,
                        selection.urn,
                    );
                    continue;
                }
                const missing = types.filter((t) => !isTrue(optIn[t]));
                if (missing.length > 0) {
                    report(
                        `The AWS Backup region settings of ${region} do not opt in ${missing.join(", ")}, which ${describe(selection)} selects: an Aurora cluster is not backed up while Aurora is opted out.`,
                        selection.urn,
                    );
                }
            }
        }
    },
});

/** A plan's rules as the schedule checks read them. */
function rulesOf(plan: { readonly props: Record<string, unknown> }) {
    return records(plan.props["rules"]).map((rule, i) => ({
        name: str(rule["ruleName"]) ?? `rules[${i}]`,
        schedule: str(rule["schedule"]),
        // The API documents no default start window: a rule without one cannot be shown apart from another.
        // @see https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html
        startWindow: num(rule["startWindow"]),
        continuous: isTrue(rule["enableContinuousBackup"]),
        copies: records(rule["copyActions"]).length > 0,
    }));
}

/**
 * The rules of one plan do what each says: a continuous rule keeps point-in-time recovery in its own region and
 * copies nothing (its copy in another region is a snapshot taken at the rule's frequency: the snapshot rule's job,
 * at a cadence it chooses), and no two rules start in overlapping windows (AWS Backup then keeps only the backup of
 * the rule with the longest retention, so the other silently does nothing).
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */
export const backupPlanRules = resourcePolicy({
    name: "backup-plan-rules",
    description:
        "In each AWS Backup plan, continuous (point-in-time) rules have no copy action, and no two rules have overlapping start windows.",
    remediationSteps:
        "Move the cross-region copy to a snapshot rule (enableContinuousBackup false); give each rule a daily schedule (cron(M H * * ? *), cron(M */N * * ? *) or cron(M H1,H2 * * ? *)) and a startWindow that ends before another rule's starts.",
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(ii)(A)"],
        checks: "Each Plan: no rule with enableContinuousBackup has copyActions; every pair of rules has readable daily schedules and startWindows that never overlap",
        resourceTypes: [T.backupPlan],
        awsConfig: ["backup-plan-min-frequency-and-min-retention-check"],
        docs: [
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html",
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html",
        ],
    },
    validate: (args, report) => {
        const rules = rulesOf(args);
        for (const rule of rules.filter((r) => r.continuous && r.copies)) {
            report(
                `Rule ${rule.name} is continuous and has a copy action: its copy is a snapshot at the rule's frequency; copy from a snapshot rule instead.`,
            );
        }
        rules.forEach((a, i) =>
            rules.slice(i + 1).forEach((b) => {
                const overlap =
                    a.schedule === undefined || b.schedule === undefined || a.startWindow === undefined || b.startWindow === undefined
                        ? undefined
                        : startWindowsOverlap(
                              { schedule: a.schedule, startWindow: a.startWindow },
                              { schedule: b.schedule, startWindow: b.startWindow },
                          );
                if (overlap === true) {
                    report(
                        `Rules ${a.name} and ${b.name} have overlapping start windows: AWS Backup keeps only one of their backups; offset their schedules.`,
                    );
                } else if (overlap === undefined) {
                    report(
                        `Rules ${a.name} (${a.schedule ?? "no schedule"}, start window ${a.startWindow ?? "unset"}) and ${b.name} (${b.schedule ?? "no schedule"}, start window ${b.startWindow ?? "unset"}) cannot be shown apart: give both a daily schedule the pack reads and a startWindow.`,
                    );
                }
            }),
        );
    },
});

/**
 * Cross-region copies the account can sustain. Aurora allows five snapshot copies in progress per destination region
 * per account, a copy "can take hours", and copies of one source queue behind each other: a copy rule that runs more
 * often than one copy may take builds a queue that never drains (copies expire, and every expiry pages), and more
 * clusters copying into one region than copies may be in progress wait on each other the same way.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-copy-snapshot.html
 */
export const backupCopyCadence = stackPolicy({
    name: "backup-copy-cadence-sustainable",
    description:
        "Copy rules of AWS Backup plans start copies no more often than one copy may take (assumedCopyHours), and no more Aurora clusters are copied into one region than snapshot copies may be in progress there (maxCopiesInProgress).",
    remediationSteps:
        "Run the copy rule at most once every assumedCopyHours (e.g. daily: cron(0 17 * * ? *)); copy fewer clusters into one region, or lower maxCopiesInProgress's share when other stacks of the account copy there too.",
    configSchema: {
        properties: {
            assumedCopyHours: {
                type: "integer",
                minimum: 1,
                maximum: 168,
                default: 24,
                description: "How long one cross-region copy may take, in hours (AWS gives no bound: 'can take hours').",
            },
            maxCopiesInProgress: {
                type: "integer",
                minimum: 1,
                maximum: 5,
                default: 5,
                description:
                    "Aurora snapshot copies this stack may have in progress per destination region (AWS: 5 per account; lower it when other stacks of the account copy there too).",
            },
        },
    },
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"],
        checks: "Each Plan's copy rules together start copies at least assumedCopyHours apart (readable daily schedules); per destination region, Aurora clusters selected by plans copying there <= maxCopiesInProgress",
        resourceTypes: [T.backupPlan, T.backupSelection, T.rdsCluster],
        docs: ["https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-copy-snapshot.html"],
    },
    validate: (args, report) => {
        const { assumedCopyHours, maxCopiesInProgress } = args.getConfig<{ assumedCopyHours: number; maxCopiesInProgress: number }>();
        const plans = args.resources.filter((r) => r.type === T.backupPlan);
        for (const plan of plans) {
            const copying = rulesOf(plan).filter((r) => r.copies);
            if (copying.length === 0) {
                continue;
            }
            const schedules = copying.map((r) => r.schedule);
            const gap = schedules.every((x): x is string => x !== undefined) ? shortestGapMinutes(schedules) : undefined;
            if (gap === undefined) {
                report(
                    `${describe(plan)}'s copy rules (${copying.map((r) => `${r.name}: ${r.schedule ?? "no schedule"}`).join(", ")}) have no daily schedule the pack reads: their cadence cannot be checked.`,
                    plan.urn,
                );
            } else if (gap < assumedCopyHours * 60) {
                report(
                    `${describe(plan)} starts a cross-region copy every ${gap % 60 === 0 ? `${gap / 60} h` : `${gap} min`}, but one copy may take ${assumedCopyHours} h: copies of a cluster queue behind each other and never catch up; copy at most every ${assumedCopyHours} h.`,
                    plan.urn,
                );
            }
        }
        const copiedInto = new Map<string, Set<PolicyResource>>();
        for (const cluster of args.resources.filter((r) => r.type === T.rdsCluster)) {
            for (const selection of selectionsCovering(cluster, args.resources)) {
                for (const region of copyRegionsOfSelection(selection, args.resources)) {
                    copiedInto.set(region, (copiedInto.get(region) ?? new Set()).add(cluster));
                }
            }
        }
        for (const [region, clusters] of copiedInto) {
            if (clusters.size > maxCopiesInProgress) {
                report(
                    `${clusters.size} Aurora clusters (${[...clusters].map((c) => c.name).join(", ")}) are copied into ${region}, more than the ${maxCopiesInProgress} snapshot copies allowed in progress there: copy fewer clusters into one region.`,
                );
            }
        }
    },
});

/**
 * In production the application's front door must not disappear by accident: with deletion protection on, AWS refuses
 * DeleteLoadBalancer (a `pulumi destroy`, a replacement, a console slip) until it is turned off first. A load balancer
 * holds no data, so Pulumi `protect` is not asked for; dev stacks stay easy to tear down.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#deletion-protection
 */
export const lbDeletionProtection = resourcePolicy({
    name: "lb-deletion-protection-in-protected-environments",
    description: "In protected environments (prod), load balancers have AWS deletion protection on (enableDeletionProtection).",
    remediationSteps: "Set enableDeletionProtection to true on the load balancer when the stack is protected (healthcare-dr:protect).",
    configSchema: protectedEnvironmentsSchema("load balancers must have deletion protection"),
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(i)", "164.308(a)(7)(ii)(C)"],
        checks: "In protected environments: LoadBalancer enableDeletionProtection is true",
        resourceTypes: [T.lb, T.alb],
        cdkNag: ["ELBDeletionProtectionEnabled"],
        awsConfig: ["elb-deletion-protection-enabled"],
        docs: [
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#deletion-protection",
        ],
    },
    validate: (args, report) => {
        const { protectedEnvironments } = args.getConfig<{ protectedEnvironments: string[] }>();
        if (!isProtectedEnvironment(args.urn, effectiveTags(args.props, args.provider), protectedEnvironments)) {
            return args.notApplicable("not a protected environment");
        }
        if (!isTrue(args.props["enableDeletionProtection"])) {
            report("The load balancer can be deleted in a protected environment: set enableDeletionProtection to true.");
        }
    },
});

/** The capacity dimensions of a provisioned table that auto scaling must manage. */
const TABLE_DIMENSIONS = ["dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits"] as const;

/**
 * True when Application Auto Scaling manages `dimension` of `table`: a scalable target and a scaling policy, both in the
 * table's region, on `table/<name>` (by value, or by a recorded reference to the table when its name is not known yet).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html
 */
function autoScaled(table: PolicyResource, dimension: string, resources: readonly PolicyResource[]): boolean {
    const region = regionOf(table.props, table.provider);
    const name = str(table.props["name"]);
    const onTable = (r: PolicyResource) =>
        regionOf(r.props, r.provider) === region &&
        str(r.props["scalableDimension"]) === dimension &&
        ((name !== undefined && str(r.props["resourceId"]) === `table/${name}`) ||
            (r.propertyDependencies["resourceId"] ?? []).some((d) => d.urn === table.urn));
    return (
        resources.some((r) => r.type === T.scalingTarget && onTable(r)) && resources.some((r) => r.type === T.scalingPolicy && onTable(r))
    );
}

/**
 * A table keeps serving when its load grows only if its capacity grows with it: on-demand (PAY_PER_REQUEST), or
 * provisioned capacity under auto scaling. For a global table it is also a deploy-time constraint: DynamoDB refuses a
 * replica of a provisioned table whose write capacity is not auto scaled (aws/aws-cdk#12159), and every replica must
 * have the same write capacity settings.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/dynamodb-autoscaling-enabled.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables_reqs_bestpractices.html
 */
export const dynamodbCapacityScales = stackPolicy({
    name: "dynamodb-capacity-scales",
    description:
        "Every DynamoDB table uses on-demand capacity (billingMode PAY_PER_REQUEST) or has auto scaling on its read and write capacity; a global table cannot add a replica otherwise.",
    remediationSteps:
        "Set billingMode: PAY_PER_REQUEST on the table (the program's choice), or declare aws.appautoscaling Targets and Policies for table/<name> on dynamodb:table:ReadCapacityUnits and WriteCapacityUnits.",
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(i)", "164.308(a)(7)(ii)(C)"],
        checks: "Each Table has billingMode PAY_PER_REQUEST, or an appautoscaling Target and Policy in its region on table/<name> for read and write capacity",
        resourceTypes: [T.dynamoTable, T.scalingTarget, T.scalingPolicy],
        cdkNag: ["DynamoDBAutoscalingEnabled"],
        awsConfig: ["dynamodb-autoscaling-enabled"],
        docs: [
            "https://docs.aws.amazon.com/config/latest/developerguide/dynamodb-autoscaling-enabled.html",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables_reqs_bestpractices.html",
            "https://github.com/aws/aws-cdk/pull/12159",
        ],
    },
    validate: ({ resources }, report) => {
        for (const table of resources.filter((r) => r.type === T.dynamoTable)) {
            // PROVISIONED is the provider's default.
            if (str(table.props["billingMode"]) === "PAY_PER_REQUEST") {
                continue;
            }
            const fixed = TABLE_DIMENSIONS.filter((d) => !autoScaled(table, d, resources)).map((d) => d.split(":").pop());
            if (fixed.length > 0) {
                const replicas = records(table.props["replicas"]).length;
                report(
                    `${describe(table)} has provisioned capacity without auto scaling on ${fixed.join(" and ")}${replicas > 0 ? ", which DynamoDB refuses for a global table's replicas" : ""}: set billingMode to PAY_PER_REQUEST (or auto scale both).`,
                    table.urn,
                );
            }
        }
    },
});

export const recoverabilityPolicies: readonly PackPolicy[] = [
    s3PatientDataReplicated,
    backupRetention,
    backupSelectionCoverage,
    deletionProtection,
    globalDatabaseSecondary,
    backupVaultLocked,
    s3VersionLifecycle,
    backupRegionSettings,
    backupPlanRules,
    backupCopyCadence,
    lbDeletionProtection,
    dynamodbCapacityScales,
];
