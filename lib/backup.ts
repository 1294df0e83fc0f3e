/**
 * The AWS Backup rules of the stack, as pure data: schedules, retention and cross-region copies, and the rules AWS
 * sets on them (windows that never overlap, a copy cadence the copy limits sustain), so that tests can read them
 * without mocks and the component only turns them into resources.
 */

/**
 * The continuous rule's daily run, 05:00 UTC. A continuous backup records all the time; the rule's schedule is the
 * run in which AWS Backup maintains and synchronises the recovery point ("Each backup plan, even one that doesn't
 * create a snapshot, has a frequency you set ... for maintenance and synchronization"). Daily, after Aurora's own
 * backup window (lib/database.ts `BACKUP_WINDOW`, 02:00-03:00) and the Sunday maintenance window (03:30-04:30).
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html
 */
export const CONTINUOUS_SCHEDULE = "cron(0 5 * * ? *)";

/**
 * The snapshot rule with the cross-region copy: daily, 17:00 UTC, twelve hours from the continuous rule's run. Daily
 * is the tightest cadence the copy limits sustain (`copyCadenceProblems`): an Aurora copy across regions "can take
 * hours", copies of one cluster queue behind each other, and a copy is assumed to take up to a day
 * (`ASSUMED_COPY_HOURS`).
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-copy-snapshot.html
 */
export const COPY_SCHEDULE = "cron(0 17 * * ? *)";

/**
 * A job that has not started within an hour is cancelled: the shortest start window AWS Backup accepts ("at least
 * 60 minutes"), so that the rules' windows stay far apart.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html
 */
export const START_WINDOW_MINUTES = 60;

/** The continuous rule's daily run maintains a recovery point that already exists: three hours is ample. */
export const CONTINUOUS_COMPLETION_WINDOW_MINUTES = 180;

/**
 * The snapshot rule: an Aurora snapshot takes minutes, a first S3 snapshot of a large bucket can take hours. Six
 * hours still ends (with the start window) before midnight UTC, far from the continuous rule's run.
 */
export const SNAPSHOT_COMPLETION_WINDOW_MINUTES = 360;

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

/**
 * Aurora: "You can have up to five snapshot copy requests in progress to a single destination Region per account",
 * a cross-Region copy "can take hours to complete", and copies requested for the same source "are queued
 * internally" behind the ones before them.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-copy-snapshot.html
 */
export const AURORA_COPIES_IN_PROGRESS_LIMIT = 5;

/**
 * How long one cross-region copy of a cluster's snapshot may take, as this design budgets it. AWS gives no bound
 * ("can take hours"); a day covers a large database, and a copy cadence no faster than this never builds a queue.
 */
export const ASSUMED_COPY_HOURS = 24;

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
 * The two rules of each region's plan:
 * - `continuous`: point-in-time restore over the last `retentionDays`, in the region's own vault, with no copy
 *   action: a continuous rule's copy in another region is a snapshot taken at the rule's frequency, which would
 *   duplicate the snapshot rule's copies (and every copy is billed for its retention, locked in prod);
 * - `daily-copy`: a snapshot a day, kept `retentionDays`, copied to the other region's vault (`copyToVaultArn`), so
 *   that a recovery point survives the loss of the region, of its key, and of the live global database (corruption
 *   replicates; backups do not).
 * They are offset by twelve hours: when rules' windows overlap AWS Backup keeps only the backup of the rule with the
 * longest retention, and a rule would silently do nothing.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
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
    const lifecycle = { deleteAfter: retentionDays };
    return [
        {
            ruleName: "continuous",
            schedule: CONTINUOUS_SCHEDULE,
            startWindow: START_WINDOW_MINUTES,
            completionWindow: CONTINUOUS_COMPLETION_WINDOW_MINUTES,
            enableContinuousBackup: true,
            lifecycle,
            copyActions: [],
        },
        {
            ruleName: "daily-copy",
            schedule: COPY_SCHEDULE,
            startWindow: START_WINDOW_MINUTES,
            completionWindow: SNAPSHOT_COMPLETION_WINDOW_MINUTES,
            enableContinuousBackup: false,
            lifecycle,
            copyActions: [{ destinationVaultArn: copyToVaultArn, lifecycle: { deleteAfter: retentionDays } }],
        },
    ];
}

const MINUTES_PER_DAY = 24 * 60;

/**
 * The minutes after midnight UTC at which a schedule starts a job, for the daily patterns AWS Backup rules use: a
 * fixed minute; an hour that is fixed, a list (`1,13`), every hour (`*`) or a step (`*\/6`, `2/6`); every day of every
 * month. `undefined` for anything else (a weekly or monthly schedule, a range), which the callers report.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */
export function dailyRunMinutes(expression: string): number[] | undefined {
    const fields = /^cron\((.+)\)$/.exec(expression.trim())?.[1]?.trim().split(/\s+/);
    if (fields === undefined || fields.length !== 6) {
        return undefined;
    }
    const [minute, hour, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
    const everyDay = ["*", "?"].includes(dayOfMonth) && month === "*" && ["*", "?"].includes(dayOfWeek) && year === "*";
    if (!everyDay || !/^\d{1,2}$/.test(minute) || Number(minute) > 59) {
        return undefined;
    }
    const hours = hoursOf(hour);
    return hours === undefined ? undefined : hours.map((h) => h * 60 + Number(minute));
}

function hoursOf(field: string): number[] | undefined {
    const step = /^(\*|\d{1,2})\/(\d{1,2})$/.exec(field);
    if (field === "*" || step !== null) {
        const from = step === null || step[1] === "*" ? 0 : Number(step[1]);
        const every = step === null ? 1 : Number(step[2]);
        if (from > 23 || every < 1) {
            return undefined;
        }
        return Array.from({ length: Math.ceil((24 - from) / every) }, (_, i) => from + i * every);
    }
    if (!/^\d{1,2}(,\d{1,2})*$/.test(field)) {
        return undefined;
    }
    const hours = [...new Set(field.split(",").map(Number))].sort((a, b) => a - b);
    return hours.every((h) => h <= 23) ? hours : undefined;
}

/**
 * The waits between consecutive runs of one or more daily schedules together (wrapping past midnight), in minutes;
 * `undefined` when there is no schedule or one cannot be read.
 */
function gapsMinutes(expressions: readonly string[]): number[] | undefined {
    const runs = expressions.map(dailyRunMinutes);
    if (runs.length === 0 || runs.some((r) => r === undefined)) {
        return undefined;
    }
    const sorted = [...new Set(runs.flatMap((r) => r!))].sort((a, b) => a - b);
    return sorted.map((m, i) => (i + 1 < sorted.length ? sorted[i + 1]! : sorted[0]! + MINUTES_PER_DAY) - m);
}

/** The longest wait between runs of the schedules together: how far behind their latest recovery point can be. */
export function longestGapMinutes(expressions: readonly string[]): number | undefined {
    const gaps = gapsMinutes(expressions);
    return gaps === undefined ? undefined : Math.max(...gaps);
}

/** The shortest wait between runs of the schedules together: the time one run's work has before the next starts. */
export function shortestGapMinutes(expressions: readonly string[]): number | undefined {
    const gaps = gapsMinutes(expressions);
    return gaps === undefined ? undefined : Math.min(...gaps);
}

/** The part of a rule's run that is compared: the start window (what AWS Backup de-duplicates) or the whole job. */
export type WindowPart = "start" | "job";

/** Each run of a rule as `[start, end)` minutes after midnight UTC (`end` may pass midnight); undefined if unreadable. */
export function ruleWindows(
    rule: Pick<BackupRule<unknown>, "schedule" | "startWindow" | "completionWindow">,
    part: WindowPart,
): { start: number; end: number }[] | undefined {
    const length = part === "start" ? rule.startWindow : rule.startWindow + rule.completionWindow;
    return dailyRunMinutes(rule.schedule)?.map((start) => ({ start, end: start + length }));
}

/** True when two windows of a day meet, either of them possibly running past midnight into the next day. */
function windowsMeet(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
    const after = (from: number, to: number) => (((to - from) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    return after(a.start, b.start) < a.end - a.start || after(b.start, a.start) < b.end - b.start;
}

/**
 * The pairs of rules of one plan whose windows overlap (`part`), by rule name. AWS Backup: when rules' windows
 * overlap, it keeps the backup of the rule with the longest retention, so the other rule does nothing at that run.
 * A rule whose schedule cannot be read is reported against every other rule: nothing proves it apart.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */
export function overlappingRules(
    rules: readonly Pick<BackupRule<unknown>, "ruleName" | "schedule" | "startWindow" | "completionWindow">[],
    part: WindowPart,
): [string, string][] {
    const pairs: [string, string][] = [];
    rules.forEach((a, i) =>
        rules.slice(i + 1).forEach((b) => {
            const wa = ruleWindows(a, part);
            const wb = ruleWindows(b, part);
            if (wa === undefined || wb === undefined || wa.some((x) => wb.some((y) => windowsMeet(x, y)))) {
                pairs.push([a.ruleName, b.ruleName]);
            }
        }),
    );
    return pairs;
}

/**
 * What makes a plan's rules unsustainable, as messages (empty when none):
 * - a continuous rule with a copy action (the copy is a snapshot at the rule's frequency: the snapshot rule's job);
 * - rules whose start windows overlap (AWS Backup keeps only one of their backups);
 * - copy rules together running more often than one copy may take (`copyHours`): copies of one cluster queue
 *   behind each other, so the queue would only grow, copies expire and every expiry pages;
 * - more Aurora clusters copied into one region than the account's copies in progress allow (`clustersCopiedIn`).
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-copy-snapshot.html
 */
export function copyCadenceProblems(
    rules: readonly BackupRule<unknown>[],
    options: { readonly clustersCopiedIn: number; readonly copyHours?: number; readonly limit?: number },
): string[] {
    const copyHours = options.copyHours ?? ASSUMED_COPY_HOURS;
    const limit = options.limit ?? AURORA_COPIES_IN_PROGRESS_LIMIT;
    const problems: string[] = [];
    for (const rule of rules.filter((r) => r.enableContinuousBackup && r.copyActions.length > 0)) {
        problems.push(
            `Rule ${rule.ruleName} is continuous and copies: a continuous backup's copy in another region is a snapshot at the rule's frequency; copy from the snapshot rule only.`,
        );
    }
    for (const [a, b] of overlappingRules(rules, "start")) {
        problems.push(
            `Rules ${a} and ${b} have overlapping start windows: AWS Backup keeps only one of their backups; offset their schedules.`,
        );
    }
    const copying = rules.filter((r) => r.copyActions.length > 0);
    if (copying.length > 0) {
        const shortest = shortestGapMinutes(copying.map((r) => r.schedule));
        if (shortest === undefined) {
            problems.push(
                `The copy rules' schedules (${copying.map((r) => r.schedule).join(", ")}) cannot be read as daily schedules: their cadence cannot be checked.`,
            );
        } else if (shortest < copyHours * 60) {
            problems.push(
                `The copy rules start a copy every ${formatHours(shortest)}, but one copy may take ${copyHours} h: copies of a cluster queue behind each other and would never catch up; copy at most every ${copyHours} h.`,
            );
        }
    }
    if (options.clustersCopiedIn > limit) {
        problems.push(
            `${options.clustersCopiedIn} Aurora clusters copy into one region, more than the ${limit} snapshot copies an account may have in progress per destination region.`,
        );
    }
    return problems;
}

function formatHours(minutes: number): string {
    return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
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

/** Resource types this stack asks AWS Backup to protect: the Aurora clusters, the S3 buckets and the global tables. */
export const REQUIRED_BACKUP_OPT_IN = ["Aurora", "S3", "DynamoDB"] as const;

/**
 * "Full AWS Backup management" per resource type (`ResourceTypeManagementPreference`). For DynamoDB it is AWS Backup's
 * advanced DynamoDB backup, which the daily rule's copy to the other region needs: without it a DynamoDB backup is a
 * DynamoDB-managed backup, with no cross-Region copy (nor cold storage, nor tags inherited from the table). Accounts
 * whose first vault predates 21 November 2021 have it off, and a backup policy (as opposed to a plan) does not turn it
 * on, so the stack declares it in both regions instead of relying on the account's history. The resource manages the
 * whole map, so every type the provider documents is listed, all on (the other types exist nowhere in this stack).
 * The service role's AWSBackupServiceRolePolicyForBackup/ForRestores cover advanced DynamoDB backup and restore.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/advanced-ddb-backup.html
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRegionSettings.html
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/backup/regionsettings/
 */
export const BACKUP_MANAGEMENT_PREFERENCE: Readonly<Record<string, boolean>> = {
    CloudFormation: true,
    DSQL: true,
    DynamoDB: true,
    EFS: true,
};

/**
 * The AWS Backup service opt-in of each region. A selection that names a resource ARN is backed up whatever the
 * opt-in, except where resource types share an ARN format: Aurora and RDS clusters are both `rds:cluster`, and
 * Aurora is backed up only when the Aurora opt-in is on. An account that opted Aurora out would get no backups and
 * no error, so the stack declares the settings in both regions (each region's plan backs up there, and the other's
 * copies arrive there). Every type the provider documents is listed, opted in: the resource manages the whole map (a
 * type left out would show as a change on every preview), and opting in protects nothing by itself; only a plan's
 * selection does.
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
