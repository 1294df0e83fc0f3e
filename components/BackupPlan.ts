import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { BACKUP_OPT_IN, BACKUP_SERVICE_POLICIES, backupRules, VAULT_LOCK_GRACE_DAYS } from "../lib/backup";
import { serviceTrustPolicy, toJson } from "../lib/iam";

/** One region's side of the backups. */
export interface BackupRegionArgs {
    /** The AWS region code. */
    readonly region: string;
    /** The explicit provider of that region. */
    readonly provider: aws.Provider;
    /** ARN of the region's customer-managed KMS key; the region's vault is encrypted with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

export interface BackupPlanArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The primary region: the plan runs here and backs up its resources. */
    readonly primary: BackupRegionArgs;
    /** The DR region: every recovery point is copied to its vault. */
    readonly dr: BackupRegionArgs;
    /** Days each recovery point (and its copy) is kept; 7 to 35. */
    readonly retentionDays: number;
    /**
     * ARNs of the primary region's resources to back up: the primary Aurora cluster and the S3 buckets.
     * AWS Backup plans are regional: a plan only backs up resources of its own region.
     */
    readonly resourceArns: pulumi.Input<pulumi.Input<string>[]>;
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
 * AWS Backup for the data tier: a KMS-encrypted vault in each region, an hourly and a continuous (point-in-time)
 * rule in the primary region, and a copy of each recovery point in the DR vault, so that a backup survives the loss
 * of the primary region, of its key, and of the live global database (corruption replicates; backups do not).
 */
export class BackupPlan extends pulumi.ComponentResource {
    public readonly primaryVaultArn: pulumi.Output<string>;
    public readonly drVaultArn: pulumi.Output<string>;
    public readonly planId: pulumi.Output<string>;
    public readonly planArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: BackupPlanArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:BackupPlan", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        const partition = args.account.partition;
        const protect = args.protect ?? false;
        const lockVaults = args.lockVaults ?? false;
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });

        const vault = (role: "primary" | "dr", side: BackupRegionArgs) => {
            const v = new aws.backup.Vault(
                `${name}-${role}`,
                { kmsKeyArn: side.kmsKeyArn, forceDestroy: !protect, tags: tags(role) },
                { parent: this, provider: side.provider, protect, retainOnDelete: protect },
            );
            if (lockVaults) {
                // Compliance mode once the grace period ends: nobody, the root user included, can delete a recovery
                // point before its retention ends, nor shorten it below the minimum.
                // @see https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
                new aws.backup.VaultLockConfiguration(
                    `${name}-${role}`,
                    { backupVaultName: v.name, minRetentionDays: args.retentionDays, changeableForDays: VAULT_LOCK_GRACE_DAYS },
                    { parent: this, provider: side.provider, protect, retainOnDelete: protect },
                );
            }
            return v;
        };
        const primaryVault = vault("primary", args.primary);
        const drVault = vault("dr", args.dr);
        const optIn = [this.regionSettings(`${name}-primary`, args.primary), this.regionSettings(`${name}-dr`, args.dr)];

        let rules: ReturnType<typeof backupRules<pulumi.Output<string>>>;
        try {
            rules = backupRules({ retentionDays: args.retentionDays, copyToVaultArn: drVault.arn });
        } catch (e) {
            throw new pulumi.ResourceError((e as Error).message, this);
        }
        const plan = new aws.backup.Plan(
            `${name}-plan`,
            {
                rules: rules.map((rule) => ({
                    ...rule,
                    targetVaultName: primaryVault.name,
                    copyActions: rule.copyActions.map((c) => ({ ...c })),
                })),
                tags: tags("plan"),
            },
            { parent: this, provider: args.primary.provider },
        );

        // The role AWS Backup assumes to back up and restore, with the managed policies AWS documents for it.
        // @see https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "AWS Backup: back up and restore the healthcare-dr data tier",
                assumeRolePolicy: accountId.apply((accountId) => toJson(serviceTrustPolicy("backup.amazonaws.com", accountId))),
                tags: tags("role"),
            },
            { parent: this, provider: args.primary.provider },
        );
        const attachments = BACKUP_SERVICE_POLICIES.map(
            (policy) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-${policy.split("/").pop()}`,
                    { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}` },
                    { parent: this, provider: args.primary.provider },
                ),
        );

        new aws.backup.Selection(
            `${name}-data`,
            { planId: plan.id, iamRoleArn: role.arn, resources: args.resourceArns },
            // The role is useless to AWS Backup until its policies are attached, and Aurora until it is opted in.
            { parent: this, provider: args.primary.provider, dependsOn: [...attachments, ...optIn] },
        );

        this.primaryVaultArn = primaryVault.arn;
        this.drVaultArn = drVault.arn;
        this.planId = plan.id;
        this.planArn = plan.arn;
        this.roleArn = role.arn;
        this.registerOutputs({
            primaryVaultArn: this.primaryVaultArn,
            drVaultArn: this.drVaultArn,
            planId: this.planId,
            planArn: this.planArn,
            roleArn: this.roleArn,
        });
    }

    /** The region's AWS Backup service opt-in (lib/backup.ts `BACKUP_OPT_IN`): Aurora and S3 among them. */
    private regionSettings(name: string, side: BackupRegionArgs): aws.backup.RegionSettings {
        return new aws.backup.RegionSettings(
            `${name}-opt-in`,
            { resourceTypeOptInPreference: { ...BACKUP_OPT_IN } },
            { parent: this, provider: side.provider },
        );
    }
}
