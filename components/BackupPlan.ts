import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import {
    BACKUP_MANAGEMENT_PREFERENCE,
    BACKUP_OPT_IN,
    BACKUP_SERVICE_POLICIES,
    backupRules,
    copyCadenceProblems,
    VAULT_LOCK_GRACE_DAYS,
    type BackupRule,
} from "../lib/backup";
import { serviceTrustPolicy, toJson } from "../lib/iam";

/** The stable labels of the two regions (never "which one is the writer": that changes, the labels do not). */
export type BackupRegionRole = "primary" | "dr";

/** One region's side of the backups. */
export interface BackupRegionArgs {
    /** The AWS region code. */
    readonly region: string;
    /** The explicit provider of that region. */
    readonly provider: aws.Provider;
    /** ARN of the region's customer-managed KMS key; the region's vault is encrypted with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * ARNs of this region's resources to back up: its Aurora cluster and its data buckets. A backup plan backs up
     * resources of its own region only, so each region's plan selects its own, whichever region is the writer.
     * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
     */
    readonly resourceArns: pulumi.Input<pulumi.Input<string>[]>;
}

export interface BackupPlanArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The primary (home) region: a vault, a plan copying to the DR vault, a selection of its resources. */
    readonly primary: BackupRegionArgs;
    /** The DR region: a vault, a plan copying to the primary vault, a selection of its resources. */
    readonly dr: BackupRegionArgs;
    /** Days each recovery point (and its copy) is kept; 1 to 35 (continuous backups keep at most 35). */
    readonly retentionDays: number;
    /**
     * Lock both vaults (compliance mode after a grace period): no recovery point can be deleted before its retention
     * ends, by anyone. Off in dev, so that dev can be destroyed.
     * @default false
     */
    readonly lockVaults?: boolean;
    /**
     * Protect the vaults: Pulumi `protect`/`retainOnDelete`; off, `forceDestroy` empties them on destroy.
     * @default false
     */
    readonly protect?: boolean;
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * AWS Backup for the data tier, the same in both regions: a KMS-encrypted vault, a plan and a selection of the
 * region's own resources (its Aurora cluster and data buckets). Each plan keeps a continuous backup (point-in-time
 * restore) in its own vault and copies a daily snapshot to the other region's vault. Both regions are backed up at
 * all times, so after a failover the new writer is already covered, with no deploy (which the outage may prevent),
 * and each region holds the other's copies: a recovery point survives the loss of a region, of its key, and of the
 * live global database (corruption replicates; backups do not).
 *
 * Aurora secondaries: the DR plan selects the DR cluster while it is the global database's secondary. Every member
 * of a global database keeps its own automated backups (`backupRetentionPeriod`, which AuroraPair sets on both), the
 * global database's documented limitations exclude no backup feature, and AWS Backup backs up an Aurora cluster named
 * by ARN once Aurora is opted in; the secondary's recovery points hold the same storage volume as the writer's.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html#aurora-global-database.limitations
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/working-with-supported-services.html
 */
export class BackupPlan extends pulumi.ComponentResource {
    public readonly primaryVaultArn: pulumi.Output<string>;
    public readonly drVaultArn: pulumi.Output<string>;
    /** Each region's plan. */
    public readonly planIds: Readonly<Record<BackupRegionRole, pulumi.Output<string>>>;
    public readonly planArns: Readonly<Record<BackupRegionRole, pulumi.Output<string>>>;
    /** The role AWS Backup assumes in both regions (IAM is global); other selections of these plans may use it. */
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: BackupPlanArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:BackupPlan", name, {}, opts);
        const role = this.serviceRole(name, args);
        const vaults = { primary: this.vault(name, "primary", args), dr: this.vault(name, "dr", args) };
        const optIn = [this.regionSettings(name, "primary", args.primary), this.regionSettings(name, "dr", args.dr)];
        // Each region's plan copies to the other region's vault.
        const plans = {
            primary: this.plan(name, "primary", args, vaults.primary, vaults.dr.arn),
            dr: this.plan(name, "dr", args, vaults.dr, vaults.primary.arn),
        };
        this.selection(name, "primary", args.primary, plans.primary, role, optIn);
        this.selection(name, "dr", args.dr, plans.dr, role, optIn);

        this.primaryVaultArn = vaults.primary.arn;
        this.drVaultArn = vaults.dr.arn;
        this.planIds = { primary: plans.primary.id, dr: plans.dr.id };
        this.planArns = { primary: plans.primary.arn, dr: plans.dr.arn };
        this.roleArn = role.role.arn;
        this.registerOutputs({
            primaryVaultArn: this.primaryVaultArn,
            drVaultArn: this.drVaultArn,
            planIds: this.planIds,
            planArns: this.planArns,
            roleArn: this.roleArn,
        });
    }

    /** The region's vault, encrypted with its key, locked in compliance mode when asked (prod). */
    private vault(name: string, side: BackupRegionRole, args: BackupPlanArgs): aws.backup.Vault {
        const region = args[side];
        const protect = args.protect ?? false;
        const vault = new aws.backup.Vault(
            `${name}-${side}`,
            { kmsKeyArn: region.kmsKeyArn, forceDestroy: !protect, tags: { ...args.tags, Name: `${name}-${side}` } },
            { parent: this, provider: region.provider, protect, retainOnDelete: protect },
        );
        if (args.lockVaults ?? false) {
            // Compliance mode once the grace period ends: nobody, the root user included, can delete a recovery
            // point before its retention ends, nor shorten it below the minimum.
            // @see https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
            new aws.backup.VaultLockConfiguration(
                `${name}-${side}`,
                { backupVaultName: vault.name, minRetentionDays: args.retentionDays, changeableForDays: VAULT_LOCK_GRACE_DAYS },
                { parent: this, provider: region.provider, protect, retainOnDelete: protect },
            );
        }
        return vault;
    }

    /**
     * The region's plan: lib/backup.ts `backupRules`, into the region's vault, copying to the other region's vault;
     * checked against the copy limits before anything is declared. The primary plan keeps its first logical name
     * (`<name>-plan`) as an alias, so that the stacks deployed with one plan update it in place.
     */
    private plan(
        name: string,
        side: BackupRegionRole,
        args: BackupPlanArgs,
        vault: aws.backup.Vault,
        copyToVaultArn: pulumi.Output<string>,
    ): aws.backup.Plan {
        let rules: BackupRule<pulumi.Output<string>>[];
        try {
            rules = backupRules({ retentionDays: args.retentionDays, copyToVaultArn });
        } catch (e) {
            throw new pulumi.ResourceError((e as Error).message, this);
        }
        // One Aurora cluster per region copies into the other region.
        const problems = copyCadenceProblems(rules, { clustersCopiedIn: 1 });
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`The ${side} backup plan cannot be sustained: ${problems.join(" ")}`, this);
        }
        return new aws.backup.Plan(
            `${name}-${side}-plan`,
            {
                rules: rules.map((rule) => ({
                    ...rule,
                    targetVaultName: vault.name,
                    copyActions: rule.copyActions.map((c) => ({ ...c })),
                })),
                tags: { ...args.tags, Name: `${name}-${side}-plan` },
            },
            { parent: this, provider: args[side].provider, ...(side === "primary" ? { aliases: [{ name: `${name}-plan` }] } : {}) },
        );
    }

    /**
     * The selection of the region's resources in its plan. The role is useless to AWS Backup until its policies are
     * attached, and Aurora until it is opted in (in the region, and where the copies go).
     */
    private selection(
        name: string,
        side: BackupRegionRole,
        region: BackupRegionArgs,
        plan: aws.backup.Plan,
        role: { role: aws.iam.Role; attachments: aws.iam.RolePolicyAttachment[] },
        optIn: aws.backup.RegionSettings[],
    ): aws.backup.Selection {
        return new aws.backup.Selection(
            `${name}-${side}-data`,
            { planId: plan.id, iamRoleArn: role.role.arn, resources: region.resourceArns },
            {
                parent: this,
                provider: region.provider,
                dependsOn: [...role.attachments, ...optIn],
                ...(side === "primary" ? { aliases: [{ name: `${name}-data` }] } : {}),
            },
        );
    }

    /**
     * The role AWS Backup assumes to back up and restore, with the managed policies AWS documents for it. IAM is
     * global: one role serves both regions' plans (declared through the primary provider, which only carries the
     * credentials).
     * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html
     */
    private serviceRole(name: string, args: BackupPlanArgs): { role: aws.iam.Role; attachments: aws.iam.RolePolicyAttachment[] } {
        const accountId = pulumi.output(args.account.accountId);
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "AWS Backup: back up and restore the healthcare-dr data tier",
                assumeRolePolicy: accountId.apply((accountId) => toJson(serviceTrustPolicy("backup.amazonaws.com", accountId))),
                tags: { ...args.tags, Name: `${name}-role` },
            },
            { parent: this, provider: args.primary.provider },
        );
        const attachments = BACKUP_SERVICE_POLICIES.map(
            (policy) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-${policy.split("/").pop()}`,
                    { role: role.name, policyArn: pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/${policy}` },
                    { parent: this, provider: args.primary.provider },
                ),
        );
        return { role, attachments };
    }

    /**
     * The region's AWS Backup service opt-in (lib/backup.ts `BACKUP_OPT_IN`: Aurora, S3 and DynamoDB among them) and
     * full management (`BACKUP_MANAGEMENT_PREFERENCE`: advanced DynamoDB backup, which the copy of a table's backup to
     * the other region needs).
     */
    private regionSettings(name: string, side: BackupRegionRole, region: BackupRegionArgs): aws.backup.RegionSettings {
        return new aws.backup.RegionSettings(
            `${name}-${side}-opt-in`,
            { resourceTypeOptInPreference: { ...BACKUP_OPT_IN }, resourceTypeManagementPreference: { ...BACKUP_MANAGEMENT_PREFERENCE } },
            { parent: this, provider: region.provider },
        );
    }
}
