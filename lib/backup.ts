/**
 * The AWS Backup rules of the stack, as pure data: schedules, retention and cross-region copies, so that tests can
 * read them without mocks and the component only turns them into resources.
 */

/**
 * Every hour, on the hour (UTC). AWS Backup runs scheduled jobs at most once an hour, so this is the tightest
 * snapshot schedule it offers; continuous backup covers the time between snapshots.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */
export const HOURLY_SCHEDULE = "cron(0 */1 * * ? *)";

/** A job that has not started within an hour is cancelled; the start window may not be shorter than 60 minutes. */
export const START_WINDOW_MINUTES = 60;

/** A job that has not completed within three hours is cancelled and reported (Aurora snapshots take minutes). */
export const COMPLETION_WINDOW_MINUTES = 180;

/**
 * Continuous backup (point-in-time restore) keeps 1 to 35 days.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
 */
export const CONTINUOUS_RETENTION_DAYS = { min: 1, max: 35 } as const;

/**
 * Vault lock grace period: three days (the AWS minimum) during which the lock can still be removed; after that it
 * is in compliance mode and nobody, the root user included, can delete a recovery point before its retention ends.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
 */
export const VAULT_LOCK_GRACE_DAYS = 3;

export interface BackupRule<T> {
    readonly ruleName: string;
    readonly schedule: string;
    readonly startWindow: number;
    readonly completionWindow: number;
    readonly enableContinuousBackup: boolean;
    readonly lifecycle: { readonly deleteAfter: number };
    readonly copyActions: readonly { readonly destinationVaultArn: T; readonly lifecycle: { readonly deleteAfter: number } }[];
}

/**
 * The two rules of the plan:
 * - `hourly`: a snapshot every hour, kept `retentionDays`, each copied to the DR vault (a copy survives the loss
 *   of the primary region, and of the primary region's key);
 * - `continuous`: point-in-time restore over the last `retentionDays`, also copied to the DR vault. A continuous
 *   backup's copy in another region is a snapshot, not PITR, which is why the hourly rule exists as well.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
 */
export function backupRules<T>(args: { retentionDays: number; copyToVaultArn: T }): BackupRule<T>[] {
    const { retentionDays, copyToVaultArn } = args;
    if (
        !Number.isInteger(retentionDays) ||
        retentionDays < CONTINUOUS_RETENTION_DAYS.min ||
        retentionDays > CONTINUOUS_RETENTION_DAYS.max
    ) {
        throw new Error(
            `Invalid value for retentionDays: ${retentionDays}. Continuous backups keep ${CONTINUOUS_RETENTION_DAYS.min} to ${CONTINUOUS_RETENTION_DAYS.max} days.`,
        );
    }
    const copy = [{ destinationVaultArn: copyToVaultArn, lifecycle: { deleteAfter: retentionDays } }];
    const common = { schedule: HOURLY_SCHEDULE, startWindow: START_WINDOW_MINUTES, completionWindow: COMPLETION_WINDOW_MINUTES };
    return [
        { ruleName: "hourly", ...common, enableContinuousBackup: false, lifecycle: { deleteAfter: retentionDays }, copyActions: copy },
        { ruleName: "continuous", ...common, enableContinuousBackup: true, lifecycle: { deleteAfter: retentionDays }, copyActions: copy },
    ];
}

/**
 * The AWS managed policies the AWS Backup service role needs: back up and restore (Aurora among others), and the
 * separate pair for S3. AWS documents these as the way to grant AWS Backup its permissions.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html
 */
export const BACKUP_SERVICE_POLICIES = [
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
] as const;

/** Resource types this stack asks AWS Backup to protect: the Aurora clusters and the S3 buckets. */
export const REQUIRED_BACKUP_OPT_IN = ["Aurora", "S3"] as const;

/**
 * The AWS Backup service opt-in of each region. A selection that names a resource ARN is backed up whatever the
 * opt-in, except where resource types share an ARN format: Aurora and RDS clusters are both `rds:cluster`, and
 * Aurora is backed up only when the Aurora opt-in is on. An account that opted Aurora out would get no backups and
 * no error, so the stack declares the settings in both regions (the DR vault's region restores there). Every type
 * the provider documents is listed, opted in: the resource manages the whole map (a type left out would show as a
 * change on every preview), and opting in protects nothing by itself; only a plan's selection does.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources-json.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRegionSettings.html
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/backup/regionsettings/
 */
export const BACKUP_OPT_IN: Readonly<Record<string, boolean>> = Object.fromEntries(
    [
        "Aurora",
        "CloudFormation",
        "DocumentDB",
        "DSQL",
        "DynamoDB",
        "EBS",
        "EC2",
        "EFS",
        "FSx",
        "Neptune",
        "Redshift",
        "Redshift Serverless",
        "RDS",
        "S3",
        "SAP HANA on Amazon EC2",
        "Storage Gateway",
        "VirtualMachine",
    ].map((type) => [type, true]),
);
