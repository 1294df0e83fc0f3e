/**
 * The schema of a stack's configuration (the `healthcare-dr:` keys of `Pulumi.<stack>.yaml`).
 *
 * Every field's rule lives here, in zod, with the AWS document it comes from. Rules that span several fields are
 * zod refinements that run even when other fields are invalid (`when`), so that one run reports every problem.
 * Defaults that depend on the environment (dev or prod) are filled in by `resolve.ts`, after validation.
 */
import { z } from "zod";
import { DURATION_FORMAT, parseDuration, type Duration } from "../lib/duration";
import { isPrivate, overlaps, parseCidr } from "../lib/cidr";
import { defaultAvailabilityZones, isZoneOf, REGION_CODES } from "../lib/regions";
import { NAT_MODES } from "../lib/subnets";
import { MAX_STACK_TAGS, PROGRAM_TAG_KEYS, TAG_LIMITS } from "../lib/tags";
import { DETECTION_WINDOW_SECONDS, FAILOVER_MODES, FAILOVER_SIGNALS, MAX_EVENT_AGE_SECONDS, QUORUM } from "../lib/failover";
import { GLOBAL_DB_RPO, initialSeed, seedProblems } from "../lib/database";
import { STANDBY_MODES } from "../lib/application";
import { AWS_CONFIG_MODES } from "../lib/awsConfig";
import { KEY_ATTRIBUTE_TYPES, STREAM_VIEW_TYPES } from "../lib/tables";
import {
    ECR_REPOSITORY_NAME,
    FARGATE_CPUS,
    fargateSizeProblem,
    HOSTED_ZONE_ID_PATTERN,
    IMAGE_TAG_PATTERN,
    isDnsName,
} from "../lib/applicationTier";

/** The config namespace: the Pulumi project name. */
export const NAMESPACE = "healthcare-dr";

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * Aurora Serverless v2 capacity: 0 to 256 ACU in steps of 0.5. Zero means auto-pause, which never happens in a
 * global database (neither the primary's writer nor any secondary instance pauses), so the smallest useful minimum
 * here is 0.5.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.requirements.html#aurora-serverless-v2.requirements.capacity-range
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html#auto-pause-whynot
 */
export const ACU = { min: 0.5, max: 256, step: 0.5 } as const;

/**
 * Backup retention: AWS Backup continuous backups (point-in-time restore) and Aurora automated backups both keep
 * 1 to 35 days; this product requires at least 7.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Backups.html
 */
export const BACKUP_RETENTION_DAYS = { min: 7, max: 35 } as const;

/**
 * Aurora PostgreSQL major versions that support both Serverless v2 and global databases. The exact minor versions
 * differ by region; check with `aws rds describe-global-clusters`/`describe-orderable-db-instance-options`.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.ServerlessV2.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.html
 */
export const ENGINE_MAJOR_VERSIONS = [13, 14, 15, 16, 17] as const;

/**
 * VPC size: AWS allows /16 to /28; the subnet plan cuts the VPC into 16 equal blocks (3 tiers x up to 4 AZs), so a
 * VPC smaller than /22 would give subnets under /26.
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
 */
export const VPC_PREFIX = { min: 16, max: 22 } as const;

/**
 * Availability zones per region: a DB subnet group needs subnets in at least two AZs; the subnet plan has room
 * for four.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html
 */
export const AZ_COUNT = { min: 2, max: 4 } as const;

/**
 * The retention periods CloudWatch Logs accepts, in days.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const region = z.string({ error: "must be a region code such as eu-west-2" }).refine((r) => REGION_CODES.includes(r), {
    error: (issue) => `is not an AWS region of the aws partition; allowed: ${REGION_CODES.join(", ")}${hint(String(issue.input))}`,
});

function hint(input: string): string {
    const lower = input.toLowerCase().replace(/_/g, "-");
    return lower !== input && REGION_CODES.includes(lower) ? ` (did you mean ${lower}?)` : "";
}

const vpcCidr = z.string({ error: "must be an IPv4 CIDR block such as 10.10.0.0/16" }).superRefine((text, ctx) => {
    const cidr = parseCidr(text);
    if (cidr === undefined) {
        ctx.addIssue({ code: "custom", message: "is not an IPv4 CIDR block with no host bits set, such as 10.10.0.0/16" });
    } else if (cidr.prefix < VPC_PREFIX.min || cidr.prefix > VPC_PREFIX.max) {
        ctx.addIssue({
            code: "custom",
            message: `must have a prefix between /${VPC_PREFIX.min} and /${VPC_PREFIX.max} (AWS allows /16 to /28; the subnet plan needs at least a /22)`,
        });
    } else if (!isPrivate(cidr)) {
        ctx.addIssue({ code: "custom", message: "must lie in a private range of RFC 1918: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16" });
    }
});

const acu = (what: string) =>
    z
        .number({ error: `must be a number of ACUs from ${ACU.min} to ${ACU.max}` })
        .refine((n) => n >= ACU.min && n <= ACU.max && Number.isInteger(n / ACU.step), {
            error: `${what} must be from ${ACU.min} to ${ACU.max} ACU in steps of ${ACU.step} (Aurora Serverless v2; 0 would mean auto-pause, which a global database never does)`,
        });

const duration = z.string({ error: `must be ${DURATION_FORMAT}` }).transform((text, ctx): Duration => {
    const parsed = parseDuration(text);
    if (parsed === undefined || parsed.seconds <= 0) {
        ctx.addIssue({ code: "custom", message: `must be ${DURATION_FORMAT}` });
        return z.NEVER;
    }
    return parsed;
});

/** A duration between two bounds, in seconds; the message names both. */
const boundedDuration = ({ min, max }: { min: number; max: number }, why: string) =>
    duration.refine((d) => d.seconds >= min && d.seconds <= max, {
        error: `must be from ${min}s to ${max}s (${why})`,
    });

/** Booleans arrive from Pulumi as the strings "true"/"false" at top level, as JSON booleans inside objects. */
const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")], { error: "must be true or false" });

const tagKey = z
    .string()
    .min(1, { error: "tag keys must not be empty" })
    .max(TAG_LIMITS.maxKeyLength, { error: `tag keys are at most ${TAG_LIMITS.maxKeyLength} characters` })
    .refine((k) => TAG_LIMITS.allowedCharacters.test(k), { error: "tag keys may contain letters, digits, spaces and _ . : / = + - @ only" })
    .refine((k) => !TAG_LIMITS.reservedPrefix.test(k), { error: "tag keys must not start with aws: (reserved for AWS)" })
    .refine((k) => !(PROGRAM_TAG_KEYS as readonly string[]).includes(k), {
        error: `the tags ${PROGRAM_TAG_KEYS.join(", ")} are set by the program (Environment from healthcare-dr:environment); remove this one`,
    });

const tagValue = z
    .string({ error: "tag values must be strings (quote numbers and booleans in YAML)" })
    .max(TAG_LIMITS.maxValueLength, { error: `tag values are at most ${TAG_LIMITS.maxValueLength} characters` })
    .refine((v) => TAG_LIMITS.allowedCharacters.test(v), {
        error: "tag values may contain letters, digits, spaces and _ . : / = + - @ only",
    });

/**
 * An AWS account id: twelve digits. Quote it in YAML: an id with a leading zero read as a number loses the zero.
 * @see https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html
 */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** A list of availability-zone codes such as `[eu-west-2a, eu-west-2b]`; checked against the region below. */
const zoneList = z
    .array(z.string({ error: "must be availability-zone codes such as eu-west-2a" }), {
        error: "must be a list of availability-zone codes such as [eu-west-2a, eu-west-2b, eu-west-2c]",
    })
    .optional();

/** How NAT gateways are laid out in a region (see lib/subnets.ts). */
const natMode = z.enum(NAT_MODES, { error: `must be one of ${NAT_MODES.join(", ")}` });

/**
 * The allowed values of `database.maxReplicationLagSeconds`: Aurora's range for `rds.global_db_rpo`.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html#aurora-global-database-manage-recovery
 */
const MAX_REPLICATION_LAG_RANGE = `must be a whole number of seconds from ${GLOBAL_DB_RPO.minSeconds} to ${GLOBAL_DB_RPO.maxSeconds} (rds.global_db_rpo), and no more than objectives.rpo`;

/** Instances of the secondary (DR) cluster: 0 (headless, dev only) up to 15 Aurora replicas. */
export const DR_INSTANCES = { min: 0, max: 15 } as const;

export const networkSchema = z.strictObject({
    /** CIDR of the primary region's VPC. */
    primaryCidr: vpcCidr.default("10.10.0.0/16"),
    /** CIDR of the DR region's VPC; must not overlap the primary's, so the two can ever be peered or routed. */
    drCidr: vpcCidr.default("10.20.0.0/16"),
    /** Availability zones used in each region. */
    azCount: z
        .number({ error: `must be a whole number from ${AZ_COUNT.min} to ${AZ_COUNT.max}` })
        .int({ error: `must be a whole number from ${AZ_COUNT.min} to ${AZ_COUNT.max}` })
        .min(AZ_COUNT.min, { error: `must be at least ${AZ_COUNT.min}: an Aurora DB subnet group needs subnets in two availability zones` })
        .max(AZ_COUNT.max, { error: `must be at most ${AZ_COUNT.max}: the subnet plan has room for four availability zones per tier` })
        .default(3),
    /**
     * Availability zones of the primary region, in order; the first `azCount` are used. Default: `<region>a`, `b`,
     * `c` (lib/regions.ts `defaultAvailabilityZones`); required in the regions that map zone codes per account.
     */
    primaryAvailabilityZones: zoneList,
    /** Availability zones of the DR region, as `primaryAvailabilityZones`. */
    drAvailabilityZones: zoneList,
    /**
     * NAT gateways of the primary region: one per AZ (`perAz`) or one (`single`). Resolved per environment. Never
     * `none`: the primary region's failover orchestrator reaches the DR region's APIs and Route 53 through it.
     */
    primaryNatGateways: natMode
        .refine((mode) => mode !== "none", {
            error: "must be perAz or single: the failover orchestrator in the primary region reaches the DR region's RDS API and Route 53 through the NAT gateway (failback and a failover home need it)",
        })
        .optional(),
    /** NAT gateways of the DR region; a single NAT keeps the pilot light cheap. */
    drNatGateways: natMode
        .refine((mode) => mode !== "none", {
            error: "must be perAz or single: the failover orchestrator in the DR region reaches the primary region's RDS API and Route 53 through the NAT gateway",
        })
        .default("single"),
});

/** A generation of the global database or of a cluster: 1 as first deployed, one more per rebuild. */
const generationNumber = z
    .number({ error: "must be a whole number from 1 (1 as first deployed, one more per rebuild)" })
    .int({ error: "must be a whole number from 1 (1 as first deployed, one more per rebuild)" })
    .min(1, { error: "must be a whole number from 1 (1 as first deployed, one more per rebuild)" });

export const databaseSchema = z.strictObject({
    /** Aurora PostgreSQL engine version, `MAJOR.MINOR`; the same in both regions (global database failover requires it). */
    engineVersion: z
        .string({ error: 'must be a quoted string such as "16.6" (unquoted, YAML reads 16.10 as the number 16.1)' })
        .refine((v) => /^\d+\.\d+$/.test(v) && (ENGINE_MAJOR_VERSIONS as readonly number[]).includes(Number(v.split(".")[0])), {
            error: `must be an Aurora PostgreSQL version MAJOR.MINOR with major ${ENGINE_MAJOR_VERSIONS.join(", ")} (Serverless v2 and global databases need 13 or later)`,
        })
        .default("16.6"),
    /** Minimum Aurora Serverless v2 capacity in ACU. */
    minCapacity: acu("minCapacity").default(0.5),
    /** Maximum Aurora Serverless v2 capacity in ACU. */
    maxCapacity: acu("maxCapacity").default(8),
    /** Days to keep automated and continuous backups. */
    backupRetentionDays: z
        .number({ error: `must be a whole number of days from ${BACKUP_RETENTION_DAYS.min} to ${BACKUP_RETENTION_DAYS.max}` })
        .int({ error: `must be a whole number of days from ${BACKUP_RETENTION_DAYS.min} to ${BACKUP_RETENTION_DAYS.max}` })
        .min(BACKUP_RETENTION_DAYS.min, {
            error: `must be at least ${BACKUP_RETENTION_DAYS.min} days (the product's minimum for patient data)`,
        })
        .max(BACKUP_RETENTION_DAYS.max, {
            error: `must be at most ${BACKUP_RETENTION_DAYS.max} days (the AWS maximum for continuous backup and Aurora automated backups)`,
        })
        .optional(),
    /**
     * Aurora instances of the secondary cluster in the DR region. Prod needs at least one, so that a failover has
     * an instance to promote; dev may run a headless secondary (storage only) to save cost.
     */
    drInstances: z
        .number({ error: `must be a whole number from ${DR_INSTANCES.min} to ${DR_INSTANCES.max}` })
        .int({ error: `must be a whole number from ${DR_INSTANCES.min} to ${DR_INSTANCES.max}` })
        .min(DR_INSTANCES.min, { error: `must be a whole number from ${DR_INSTANCES.min} to ${DR_INSTANCES.max}` })
        .max(DR_INSTANCES.max, { error: `must be at most ${DR_INSTANCES.max} (the Aurora limit of replicas per cluster)` })
        .default(1),
    /**
     * The database's RPO ceiling: `rds.global_db_rpo` on the writer's cluster parameter group (the cluster in
     * `activeRegion`). Aurora holds commits on the writer while the secondary lags more than this, so a failover loses
     * at most this many seconds of committed data; unset, nothing bounds the lag (the data-loss budget says so).
     */
    maxReplicationLagSeconds: z
        .number({ error: MAX_REPLICATION_LAG_RANGE })
        .int({ error: MAX_REPLICATION_LAG_RANGE })
        .min(GLOBAL_DB_RPO.minSeconds, {
            error: `must be at least ${GLOBAL_DB_RPO.minSeconds} seconds: the smallest rds.global_db_rpo Aurora accepts (${MAX_REPLICATION_LAG_RANGE})`,
        })
        .max(GLOBAL_DB_RPO.maxSeconds, { error: MAX_REPLICATION_LAG_RANGE })
        .optional(),
    /**
     * Which cluster the global database was created from, and the generation of the global cluster and of each
     * region's cluster (lib/database.ts `DatabaseSeed`). Unset: generation 1, the database as first deployed. Set by
     * the rebuild after a break-glass (README, "Rebuild after a break-glass"); checked across fields below.
     */
    seed: z
        .strictObject({
            /** The region of the cluster the current global cluster was created from. */
            region,
            /** The current global cluster's generation: 1, then one more per rebuild. */
            generation: generationNumber,
            /** The generation each region's cluster was created in; required from generation 2. */
            clusterGenerations: z.strictObject({ primary: generationNumber, dr: generationNumber }).optional(),
        })
        .optional(),
});

export const objectivesSchema = z.strictObject({
    /** Recovery time objective: the longest acceptable time from the loss of the primary region to a working DR writer. */
    rto: duration.prefault("1h"),
    /** Recovery point objective: the most data, measured in time, that a regional failover may lose. */
    rpo: duration.prefault("15m"),
});

export const alertsSchema = z.strictObject({
    /** Addresses subscribed to the alert topics in both regions. */
    emails: z
        .array(z.email({ error: "is not a valid email address" }), { error: "must be a list of email addresses" })
        .min(1, { error: "must list at least one address: an alarm nobody receives protects nobody" })
        .refine((list) => new Set(list.map((e) => e.toLowerCase())).size === list.length, { error: "lists the same address twice" }),
});

/** TTL of the writer record: short, or clients keep resolving the old writer long after a failover. */
export const DNS_TTL_SECONDS = { min: 1, max: 300 } as const;
/** Replication-lag alarm threshold: at most an hour (a larger lag is an outage, not a threshold). */
export const REPLICATION_LAG_THRESHOLD_SECONDS = { min: 1, max: 3600 } as const;

const wholeNumber = (what: string, { min, max }: { min: number; max: number }, why = "") =>
    z
        .number({ error: `must be a whole number of ${what} from ${min} to ${max}` })
        .int({ error: `must be a whole number of ${what} from ${min} to ${max}` })
        .min(min, { error: `must be at least ${min}${why}` })
        .max(max, { error: `must be at most ${max}${why}` });

export const failoverSchema = z.strictObject({
    /** `automatic`: an alarm starts the failover; `manual`: an alarm only notifies, with the command to run. */
    mode: z.enum(FAILOVER_MODES, { error: `must be one of ${FAILOVER_MODES.join(", ")}` }).default("automatic"),
    /** TTL of the writer record in the private hosted zone, in seconds. */
    dnsTtlSeconds: wholeNumber("seconds", DNS_TTL_SECONDS, ": a writer record cached for longer defeats the failover").default(30),
    /** Replication lag (seconds) of the DR cluster above which the replication-lag alarm fires. */
    replicationLagThresholdSeconds: wholeNumber("seconds", REPLICATION_LAG_THRESHOLD_SECONDS).default(60),
    /** In manual mode, the time on-call needs to act on the alarm; part of the recovery-time budget. */
    operatorResponse: duration.prefault("15m"),
    /**
     * How long every signal of a lost primary must hold before an unplanned failover: several probes spread over
     * it, never one call. Part of the recovery-time budget.
     */
    detectionWindow: boundedDuration(
        DETECTION_WINDOW_SECONDS,
        "several probes spread over at least 30 s; the function must keep time to act",
    ).prefault(`${DETECTION_WINDOW_SECONDS.default}s`),
    /** How many independent signals (of FAILOVER_SIGNALS) must say "the primary is down" for an unplanned failover. */
    quorum: z
        .number({ error: `must be a whole number from ${QUORUM.min} to ${QUORUM.max}` })
        .int({ error: `must be a whole number from ${QUORUM.min} to ${QUORUM.max}` })
        .min(QUORUM.min, { error: `must be at least ${QUORUM.min}: one signal alone is not evidence` })
        .max(QUORUM.max, {
            error: `must be at most ${QUORUM.max}: there are ${FAILOVER_SIGNALS.length} signals (${FAILOVER_SIGNALS.join(", ")})`,
        })
        .default(QUORUM.default),
    /** Alarm events older than this are rejected: a stale alarm is no evidence. */
    maxEventAge: boundedDuration(MAX_EVENT_AGE_SECONDS, "Lambda keeps an asynchronous event for at most an hour").prefault(
        `${MAX_EVENT_AGE_SECONDS.default}s`,
    ),
});

export const loggingSchema = z.strictObject({
    /** Days CloudWatch log groups keep their events. */
    retentionDays: z
        .number({ error: `must be one of ${LOG_RETENTION_DAYS.join(", ")}` })
        .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
            error: `must be one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
        })
        .optional(),
});

/** Shares of a limit, in percent: above 0, at most 100. */
const percent = (what: string) =>
    z
        .number({ error: `must be a number of percent, above 0 and at most 100 (${what})` })
        .refine((n) => n > 0 && n <= 100, { error: `must be above 0 and at most 100 percent (${what})` });

/** Thresholds of the database alarms (lib/alarms.ts); each alarm's runbook section says how to act on it. */
export const alarmsSchema = z.strictObject({
    /** Aurora writer CPU, percent, averaged over 5 minutes, 15 minutes running. */
    cpuPercent: percent("writer CPU").default(80),
    /** Connections on any instance, as a percent of what `max_connections` allows at the maximum capacity. */
    connectionsPercent: percent("share of max_connections").default(80),
    /** Free local (temporary) storage of any instance, in MiB, below which the alarm fires. */
    freeLocalStorageMiB: z
        .number({ error: "must be a whole number of MiB from 1 to 1048576" })
        .int({ error: "must be a whole number of MiB from 1 to 1048576" })
        .min(1, { error: "must be at least 1 MiB" })
        .max(1048576, { error: "must be at most 1048576 MiB (1 TiB)" })
        .default(1024),
});

/** Who owns an account-wide resource of each region: this stack (`create`) or the account already (`existing`). */
export const GUARD_DUTY_MODES = ["create", "existing"] as const;
export type GuardDutyMode = (typeof GUARD_DUTY_MODES)[number];
export type OwnershipMode = GuardDutyMode;

/**
 * Account prerequisites the stack adapts to, so that an account set up differently needs config, not code edits.
 * @see https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_settingup.html
 */
export const monitoringSchema = z.strictObject({
    /**
     * `create`: the stack declares a GuardDuty detector (S3 and RDS protection) in each region. `existing`: the
     * account has one already (GuardDuty allows one detector per account and region; an organisation's delegated
     * administrator often manages it), and the stack only routes its findings.
     */
    guardDuty: z
        .enum(GUARD_DUTY_MODES, {
            error: "must be create or existing: create declares a GuardDuty detector in each region; existing uses the one the account already has (GuardDuty allows one per account and region, e.g. one your organisation's delegated administrator manages)",
        })
        .default("create"),
    /**
     * `create`: the stack declares each region's `RDSOSMetrics` log group (Enhanced Monitoring writes there) with the
     * region's key and the stack's retention. `existing`: another stack of the account already declares it (one
     * group per account and region), and this stack only writes to it.
     */
    osMetricsLogGroup: z
        .enum(GUARD_DUTY_MODES, {
            error: "must be create or existing: create declares the RDSOSMetrics log group of each region (KMS key, retention); existing leaves it to the stack of the same account that already declares it (one per account and region)",
        })
        .default("create"),
});

/** Default monthly cost budget in US dollars, per environment, when `budget.monthlyUsd` is not set. */
export const DEFAULT_MONTHLY_BUDGET_USD: Readonly<Record<Environment, number>> = { dev: 500, prod: 5000 };

/**
 * The monthly AWS Budgets alert. The amount is in USD with at most two decimals, as Budgets accepts it.
 * @see https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Spend.html
 */
export const budgetSchema = z.strictObject({
    /** Monthly cost, in USD, above which (actual 80% and 100%, forecast 100%) the alert emails go out. */
    monthlyUsd: z
        .number({ error: "must be a number of US dollars above 0, e.g. 1500" })
        .refine((n) => n > 0 && n <= 1e9 && Math.abs(Math.round(n * 100) - n * 100) < 1e-6, {
            error: "must be a number of US dollars above 0 with at most two decimals, e.g. 1500 or 1499.99",
        })
        .optional(),
});

/**
 * Data-set names become part of bucket names (`hdr-<stack>-<data set>-primary-...`, at most 37 characters before
 * the unique suffix): lower-case letters, digits and inner hyphens, at most 20 characters.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const DATA_SET_NAME = { pattern: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, maxLength: 20 } as const;

/** Ranges of the lifecycle settings, in days. Noncurrent expiration and multipart abort must be at least 1 day (S3). */
export const LIFECYCLE_DAYS = {
    intelligentTieringAfterDays: { min: 0, max: 3650 },
    noncurrentVersionExpirationDays: { min: 1, max: 3650 },
    abortIncompleteMultipartUploadDays: { min: 1, max: 365 },
} as const;

/** Object Lock default retention, in days: 1 day to 100 years. */
export const OBJECT_LOCK_DAYS = { min: 1, max: 36500 } as const;

const wholeDays = ({ min, max }: { min: number; max: number }, why = "") =>
    z
        .number({ error: `must be a whole number of days from ${min} to ${max}` })
        .int({ error: `must be a whole number of days from ${min} to ${max}` })
        .min(min, { error: `must be at least ${min}${why}` })
        .max(max, { error: `must be at most ${max}` });

export const dataSetSchema = z.strictObject({
    /** Name of the data set, e.g. `clinical-documents`: part of its bucket names and of the outputs. */
    name: z
        .string({ error: "must be a data-set name such as clinical-documents" })
        .max(DATA_SET_NAME.maxLength, { error: `must be at most ${DATA_SET_NAME.maxLength} characters (it becomes part of bucket names)` })
        .regex(DATA_SET_NAME.pattern, {
            error: "may contain lower-case letters, digits and hyphens only, and must start and end with a letter or digit (it becomes part of bucket names)",
        }),
    /**
     * Replicate the DR bucket back to the primary as well, so that objects written while the DR region is the writer
     * reach the home region before a failback. Defaults to true in prod, false in dev (see `resolveDataSet`).
     */
    reverseReplication: flag.optional(),
    lifecycle: z
        .strictObject({
            /** Days before current objects move to S3 Intelligent-Tiering. */
            intelligentTieringAfterDays: wholeDays(LIFECYCLE_DAYS.intelligentTieringAfterDays).default(30),
            /** Days a noncurrent (overwritten or deleted) object version is kept. */
            noncurrentVersionExpirationDays: wholeDays(LIFECYCLE_DAYS.noncurrentVersionExpirationDays).default(90),
            /** Days before the parts of an unfinished multipart upload are deleted. */
            abortIncompleteMultipartUploadDays: wholeDays(LIFECYCLE_DAYS.abortIncompleteMultipartUploadDays).default(7),
        })
        .prefault({}),
    /** Object Lock (governance mode) default retention in days. Prod defaults to 365; dev has no Object Lock unless set. */
    objectLockRetentionDays: wholeDays(OBJECT_LOCK_DAYS).optional(),
});

/**
 * Global-table names become part of the physical name (`hdr-<stack>-data-<name>`, lib/tables.ts): lower-case letters,
 * digits and inner hyphens, at most 40 characters (DynamoDB allows 255; short names keep alarm names readable).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
 */
export const TABLE_NAME = { pattern: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, maxLength: 40 } as const;

/** Attribute names: 1 to 255 characters (DynamoDB counts bytes of UTF-8; key names are kept to printable ASCII here). */
export const ATTRIBUTE_NAME = { pattern: /^[A-Za-z0-9_.-]+$/, maxLength: 255 } as const;

const attributeName = z
    .string({ error: "must be an attribute name such as patientId" })
    .min(1, { error: "must not be empty" })
    .max(ATTRIBUTE_NAME.maxLength, { error: `must be at most ${ATTRIBUTE_NAME.maxLength} characters` })
    .regex(ATTRIBUTE_NAME.pattern, { error: "may contain letters, digits, underscores, dots and hyphens only" });

const keyAttributeSchema = z.strictObject({
    /** The attribute's name. */
    name: attributeName,
    /** `S` (string, the default), `N` (number) or `B` (binary). */
    type: z.enum(KEY_ATTRIBUTE_TYPES, { error: `must be one of ${KEY_ATTRIBUTE_TYPES.join(", ")}` }).default("S"),
});

/** One global table (lib/tables.ts `TableSettings`). */
export const tableSchema = z.strictObject({
    /** The table's name, e.g. `audit-events`. */
    name: z
        .string({ error: "must be a table name such as audit-events" })
        .max(TABLE_NAME.maxLength, { error: `must be at most ${TABLE_NAME.maxLength} characters (it becomes part of the table's name)` })
        .regex(TABLE_NAME.pattern, {
            error: "may contain lower-case letters, digits and hyphens only, and must start and end with a letter or digit",
        }),
    /** The partition key, e.g. `{ name: patientId }` (type `S` unless set). */
    partitionKey: keyAttributeSchema,
    /** The sort key; absent: none. */
    sortKey: keyAttributeSchema.optional(),
    /** The attribute holding each item's expiry in epoch seconds; absent: items never expire. */
    ttlAttribute: attributeName.optional(),
    /** What the table's stream carries; a global table's stream is always on (replication reads it). */
    streams: z
        .enum(STREAM_VIEW_TYPES, {
            error: `must be one of ${STREAM_VIEW_TYPES.join(", ")} (a global table's stream cannot be off: replication reads it)`,
        })
        .default("NEW_AND_OLD_IMAGES"),
});

/** Run-time compliance (lib/awsConfig.ts). */
export const complianceSchema = z.strictObject({
    /**
     * `create`: a configuration recorder in each region (AWS Config allows one per account and region); `existing`:
     * the account (or its organisation) already records, the stack adds its conformance pack, rules and alerts;
     * `off`: no AWS Config.
     */
    awsConfig: z
        .enum(AWS_CONFIG_MODES, {
            error: "must be create, existing or off: create declares a configuration recorder in each region (AWS Config allows one per account and region); existing uses the one the account or its organisation already has; off deploys nothing of AWS Config",
        })
        .default("create"),
});

/** Defaults of `healthcare-dr:application` (documented in the README's configuration reference). */
export const APPLICATION_DEFAULTS = {
    port: 8080,
    healthPath: "/health",
    cpu: 256,
    memory: 512,
    desiredCount: 2,
    /** The CPU utilisation target tracking keeps the service at, percent. */
    targetCpuPercent: 60,
    /** `autoscaling.max` defaults to this many times `desiredCount`. */
    maxFactor: 3,
} as const;

/** Tasks of one service: ECS allows up to 5,000 per service; the product bounds it lower. */
export const APPLICATION_TASKS = { max: 1000 } as const;

const taskCount = (what: string, min: number) =>
    z
        .number({ error: `must be a whole number of tasks from ${min} to ${APPLICATION_TASKS.max} (${what})` })
        .int({ error: `must be a whole number of tasks from ${min} to ${APPLICATION_TASKS.max} (${what})` })
        .min(min, { error: `must be at least ${min} (${what})` })
        .max(APPLICATION_TASKS.max, { error: `must be at most ${APPLICATION_TASKS.max} (${what})` });

/**
 * The application tier (`healthcare-dr:application`, lib/application.ts `ApplicationSettings`): absent, the stack has
 * none. Rules across its fields (task size, counts) are refinements of the stack schema below.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
 */
export const applicationSchema = z.strictObject({
    /** The ECR repository (created by the program in both regions, replicated both ways). */
    repository: z
        .string({ error: "must be an ECR repository name such as clinical-portal" })
        .min(ECR_REPOSITORY_NAME.minLength, { error: `must be at least ${ECR_REPOSITORY_NAME.minLength} characters (ECR)` })
        .max(ECR_REPOSITORY_NAME.maxLength, { error: `must be at most ${ECR_REPOSITORY_NAME.maxLength} characters (ECR)` })
        .regex(ECR_REPOSITORY_NAME.pattern, {
            error: "must be an ECR repository name: lower-case letters and digits, separated by . _ - or / (namespaces), e.g. clinical/portal",
        }),
    /** The image tag both regions run; tags are immutable, so one tag is one image. */
    imageTag: z.string({ error: 'must be an image tag such as "1.4.2" (quoted in YAML)' }).regex(IMAGE_TAG_PATTERN, {
        error: "must be an image tag: a letter, digit or _ then up to 127 letters, digits, _ . or - (OCI distribution spec)",
    }),
    /** The container port the target group forwards to. */
    port: z
        .number({ error: "must be a TCP port from 1 to 65535" })
        .int({ error: "must be a TCP port from 1 to 65535" })
        .min(1, { error: "must be a TCP port from 1 to 65535" })
        .max(65535, { error: "must be a TCP port from 1 to 65535" })
        .default(APPLICATION_DEFAULTS.port),
    /** The path of the target group's health check and of the orchestrator's synthetic request. */
    healthPath: z
        .string({ error: "must be a path such as /health" })
        .max(1024, { error: "must be at most 1024 characters (ALB health checks)" })
        .regex(/^\/[\x21-\x7e]*$/, { error: "must start with / and contain no spaces, e.g. /health" })
        .default(APPLICATION_DEFAULTS.healthPath),
    /** Fargate task CPU units. */
    cpu: z
        .number({ error: `must be one of the Fargate CPU values ${FARGATE_CPUS.join(", ")}` })
        .refine((n) => FARGATE_CPUS.includes(n), { error: `must be one of the Fargate CPU values ${FARGATE_CPUS.join(", ")}` })
        .default(APPLICATION_DEFAULTS.cpu),
    /** Fargate task memory, MiB: one of the values Fargate allows with `cpu`. */
    memory: z
        .number({ error: "must be a number of MiB that Fargate allows with cpu, e.g. 512 with cpu 256" })
        .int({ error: "must be a whole number of MiB" })
        .default(APPLICATION_DEFAULTS.memory),
    /** Tasks of the service in the active region. */
    desiredCount: taskCount("tasks in the active region", 1).default(APPLICATION_DEFAULTS.desiredCount),
    /** The region that is not active: `pilot-light` (no task) or `warm` (`count` tasks, 1 to desiredCount). */
    standby: z
        .strictObject({
            mode: z.enum(STANDBY_MODES, { error: `must be one of ${STANDBY_MODES.join(", ")}` }).default("pilot-light"),
            /** Tasks in the standby region: 0 for pilot-light, 1 to desiredCount for warm (default 1). */
            count: taskCount("tasks in the standby region", 0).optional(),
        })
        .prefault({}),
    /** Target tracking of the active region's service. */
    autoscaling: z
        .strictObject({
            /** The fewest tasks; defaults to desiredCount. */
            min: taskCount("autoscaling minimum", 1).optional(),
            /** The most tasks; defaults to 3 × desiredCount. */
            max: taskCount("autoscaling maximum", 1).optional(),
            /** The average CPU utilisation the service is scaled to hold. */
            targetCpuPercent: z
                .number({ error: "must be a percentage above 0 and at most 100" })
                .refine((n) => n > 0 && n <= 100, { error: "must be a percentage above 0 and at most 100" })
                .default(APPLICATION_DEFAULTS.targetCpuPercent),
        })
        .prefault({}),
    /** The application's public DNS name; the ACM certificates are for it. */
    domainName: z.string({ error: "must be a DNS name such as app.example.org" }).refine(isDnsName, {
        error: "must be a lower-case DNS name of at least two labels, e.g. app.example.org (at most 253 characters)",
    }),
    /** The existing public hosted zone of domainName (failover records and certificate validation records go there). */
    hostedZoneId: z
        .string({ error: "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ" })
        .regex(HOSTED_ZONE_ID_PATTERN, { error: "must be a Route 53 hosted zone id: Z followed by upper-case letters and digits" }),
});

/**
 * What is wrong across the fields of a parsed application section: the task size, the standby count for its mode,
 * and the autoscaling bounds around desiredCount. Paths are relative to `application`.
 */
export function applicationProblems(app: z.output<typeof applicationSchema>): { path: string[]; message: string }[] {
    const problems: { path: string[]; message: string }[] = [];
    const size = fargateSizeProblem(app.cpu, app.memory);
    if (size !== undefined && FARGATE_CPUS.includes(app.cpu)) {
        problems.push({
            path: ["memory"],
            message: `${size} (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html)`,
        });
    }
    const count = app.standby.count;
    if (app.standby.mode === "pilot-light" && count !== undefined && count !== 0) {
        problems.push({
            path: ["standby", "count"],
            message: "must be 0 (or unset) with standby.mode pilot-light: a pilot light runs no task; use mode warm to run some",
        });
    }
    if (app.standby.mode === "warm" && count !== undefined && (count < 1 || count > app.desiredCount)) {
        problems.push({
            path: ["standby", "count"],
            message: `must be from 1 to desiredCount (${app.desiredCount}) with standby.mode warm`,
        });
    }
    const min = app.autoscaling.min ?? app.desiredCount;
    const max = app.autoscaling.max ?? app.desiredCount * APPLICATION_DEFAULTS.maxFactor;
    if (min > app.desiredCount) {
        problems.push({ path: ["autoscaling", "min"], message: `must not exceed desiredCount (${app.desiredCount})` });
    }
    if (max < app.desiredCount) {
        problems.push({ path: ["autoscaling", "max"], message: `must be at least desiredCount (${app.desiredCount})` });
    }
    if (max > APPLICATION_TASKS.max) {
        problems.push({
            path: ["autoscaling", "max"],
            message: `defaults to ${APPLICATION_DEFAULTS.maxFactor} × desiredCount = ${max}, above ${APPLICATION_TASKS.max}: set it`,
        });
    }
    return problems;
}

/** Paths of the fields a cross-field rule reads; the rule runs only when none of them failed on its own. */
function whenValid(...paths: string[][]) {
    return {
        when: (payload: z.core.ParsePayload) =>
            !payload.issues.some(
                // A misspelt sibling key (reported on its own) does not make the fields beside it unreadable.
                (issue) =>
                    issue.code !== "unrecognized_keys" && paths.some((path) => path.every((segment, i) => issue.path?.[i] === segment)),
            ),
    };
}

export const stackConfigSchema = z
    .strictObject({
        /**
         * The AWS account the stack deploys into. From config, not from `aws.getCallerIdentity`: an invoke calls one
         * region's STS endpoint on every preview, which fails while that region is down.
         */
        accountId: z
            .string({ error: "must be a 12-digit AWS account id, quoted in YAML (an id with a leading zero read as a number loses it)" })
            .regex(ACCOUNT_ID_PATTERN, { error: 'must be a 12-digit AWS account id such as "123456789012" (digits only, quoted in YAML)' }),
        /** `dev` or `prod`; decides the protection defaults. Defaults to the stack name when that is `dev` or `prod`. */
        environment: z.enum(ENVIRONMENTS, { error: `must be one of ${ENVIRONMENTS.join(", ")}` }).optional(),
        /** Region of the primary (writer) stack. */
        primaryRegion: region.default("eu-west-2"),
        /** Region of the disaster-recovery stack. */
        drRegion: region.default("eu-west-1"),
        /**
         * The region whose cluster is the database writer, as far as the deploy knows: `primaryRegion` (the default)
         * or `drRegion`. Nothing at run time waits for it (the orchestrators and the global writer endpoint follow the
         * live writer); it places what must sit with the writer (the `rds.global_db_rpo` ceiling, the first value of
         * the pointers). Flipped by a human after a failover or failback; a flip is an update, never a replacement.
         */
        activeRegion: region.optional(),
        /** Protect stateful resources from deletion (Pulumi protect, AWS deletion protection, final snapshots). */
        protect: flag.optional(),
        network: networkSchema.prefault({}),
        database: databaseSchema.prefault({}),
        objectives: objectivesSchema.prefault({}),
        alerts: alertsSchema,
        logging: loggingSchema.prefault({}),
        /** Failover detection and orchestration (FailoverOrchestrator). */
        failover: failoverSchema.prefault({}),
        alarms: alarmsSchema.prefault({}),
        budget: budgetSchema.prefault({}),
        monitoring: monitoringSchema.prefault({}),
        /** The application tier (ApplicationTier, ImageRepository); absent: the stack has none. */
        application: applicationSchema.optional(),
        /** Data sets: each one a bucket in the primary region replicated to a bucket in the DR region. */
        buckets: z
            .array(dataSetSchema, { error: "must be a list of data sets, each with at least a name, e.g. [{ name: clinical-documents }]" })
            .min(1, { error: "must list at least one data set" })
            .refine((list) => new Set(list.map((d) => d.name)).size === list.length, { error: "lists the same data-set name twice" })
            .prefault([{ name: "clinical-documents" }]),
        /** Global tables: each one a DynamoDB table with a replica in both regions (GlobalTable). */
        tables: z
            .array(tableSchema, {
                error: "must be a list of tables, each with a name and a partitionKey, e.g. [{ name: audit-events, partitionKey: { name: patientId } }]",
            })
            .refine((list) => new Set(list.map((t) => t.name)).size === list.length, { error: "lists the same table name twice" })
            .default([]),
        /** Run-time compliance: AWS Config (RuntimeCompliance). */
        compliance: complianceSchema.prefault({}),
        /** Tags merged into every taggable resource. */
        tags: z
            .record(tagKey, tagValue, { error: "must be a map of tag keys to string values" })
            .refine((tags) => Object.keys(tags).length <= MAX_STACK_TAGS, {
                error: `at most ${MAX_STACK_TAGS} tags (AWS allows ${TAG_LIMITS.maxTagsPerResource} per resource; the program sets ${PROGRAM_TAG_KEYS.length} plus Name)`,
            })
            .default({}),
    })
    .superRefine(
        (cfg, ctx) => {
            if (cfg.primaryRegion === cfg.drRegion) {
                ctx.addIssue({
                    code: "custom",
                    path: ["drRegion"],
                    message: `must differ from primaryRegion (${cfg.primaryRegion}): a DR region in the same region survives nothing`,
                });
            }
        },
        whenValid(["primaryRegion"], ["drRegion"]),
    )
    .superRefine(
        (cfg, ctx) => {
            if (cfg.activeRegion !== undefined && cfg.activeRegion !== cfg.primaryRegion && cfg.activeRegion !== cfg.drRegion) {
                ctx.addIssue({
                    code: "custom",
                    path: ["activeRegion"],
                    message: `must be primaryRegion (${cfg.primaryRegion}) or drRegion (${cfg.drRegion}): the writer is always one of the two clusters`,
                });
            }
        },
        whenValid(["primaryRegion"], ["drRegion"], ["activeRegion"]),
    )
    .superRefine(
        (cfg, ctx) => {
            const primary = parseCidr(cfg.network.primaryCidr)!;
            const dr = parseCidr(cfg.network.drCidr)!;
            if (overlaps(primary, dr)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["network", "drCidr"],
                    message: `overlaps network.primaryCidr (${cfg.network.primaryCidr}); the two VPCs need disjoint ranges to be peered or routed during failover`,
                });
            }
        },
        whenValid(["network"]),
    )
    .superRefine(
        (cfg, ctx) => {
            for (const role of ["primary", "dr"] as const) {
                const region = role === "primary" ? cfg.primaryRegion : cfg.drRegion;
                const key = `${role}AvailabilityZones` as const;
                for (const message of availabilityZoneProblems(region, cfg.network[key], cfg.network.azCount)) {
                    ctx.addIssue({ code: "custom", path: ["network", key], message });
                }
            }
        },
        whenValid(
            ["primaryRegion"],
            ["drRegion"],
            ["network", "azCount"],
            ["network", "primaryAvailabilityZones"],
            ["network", "drAvailabilityZones"],
        ),
    )
    .superRefine(
        (cfg, ctx) => {
            if (cfg.database.minCapacity > cfg.database.maxCapacity) {
                ctx.addIssue({
                    code: "custom",
                    path: ["database", "minCapacity"],
                    message: `must not exceed database.maxCapacity (${cfg.database.maxCapacity})`,
                });
            }
        },
        whenValid(["database", "minCapacity"], ["database", "maxCapacity"]),
    )
    .superRefine(
        (cfg, ctx) => {
            const seed = cfg.database.seed;
            if (seed === undefined) {
                return;
            }
            if (seed.clusterGenerations === undefined && seed.generation > 1) {
                ctx.addIssue({
                    code: "custom",
                    path: ["database", "seed", "clusterGenerations"],
                    message: `is required when database.seed.generation is above 1: give { primary, dr }, the generation each region's cluster was created in (${seed.generation} for the cluster the rebuild creates; for the seed, 1 if its identifier has no -g suffix, n for -g<n>)`,
                });
                return;
            }
            const resolved = { ...seed, clusterGenerations: seed.clusterGenerations ?? initialSeed(cfg.primaryRegion).clusterGenerations };
            for (const problem of seedProblems(resolved, { primary: cfg.primaryRegion, dr: cfg.drRegion })) {
                ctx.addIssue({ code: "custom", path: ["database", "seed", ...problem.path], message: problem.message });
            }
        },
        whenValid(["primaryRegion"], ["drRegion"], ["database", "seed"]),
    )
    .superRefine(
        (cfg, ctx) => {
            const ceiling = cfg.database.maxReplicationLagSeconds;
            if (ceiling !== undefined && ceiling > cfg.objectives.rpo.seconds) {
                ctx.addIssue({
                    code: "custom",
                    path: ["database", "maxReplicationLagSeconds"],
                    message: `must not exceed objectives.rpo (${cfg.objectives.rpo.text}, ${cfg.objectives.rpo.seconds} s): a ceiling above the objective does not hold it; allowed: ${GLOBAL_DB_RPO.minSeconds} to ${cfg.objectives.rpo.seconds}`,
                });
            }
        },
        whenValid(["database", "maxReplicationLagSeconds"], ["objectives", "rpo"]),
    )
    .superRefine(
        (cfg, ctx) => {
            if (cfg.application === undefined) {
                return;
            }
            for (const problem of applicationProblems(cfg.application)) {
                ctx.addIssue({ code: "custom", path: ["application", ...problem.path], message: problem.message });
            }
        },
        {
            // Runs beside the problems of the other application fields (a bad repository name does not hide a task
            // size Fargate refuses), but not when the section or a field it reads is itself invalid.
            when: (payload: z.core.ParsePayload) =>
                !payload.issues.some(
                    (issue) =>
                        issue.code !== "unrecognized_keys" &&
                        issue.path?.[0] === "application" &&
                        (issue.path.length === 1 ||
                            ["cpu", "memory", "desiredCount", "standby", "autoscaling"].includes(String(issue.path[1]))),
                ),
        },
    );

/**
 * What is wrong with the availability zones of one region (`zones` as listed in the stack file, or `undefined`):
 * zones of another region, duplicates, fewer than `azCount`, or none listed where the region has no default.
 */
export function availabilityZoneProblems(region: string, zones: readonly string[] | undefined, azCount: number): string[] {
    const list = zones ?? defaultAvailabilityZones(region);
    if (list === undefined) {
        return [
            `is required for ${region}: that region maps zone codes per account, so there is no safe default; list ${azCount} zones from \`aws ec2 describe-availability-zones --region ${region}\``,
        ];
    }
    const problems: string[] = [];
    const foreign = list.filter((zone) => !isZoneOf(zone, region));
    if (foreign.length > 0) {
        problems.push(`lists ${foreign.join(", ")}, not availability zones of ${region} (codes such as ${region}a)`);
    }
    if (new Set(list).size !== list.length) {
        problems.push("lists the same zone twice");
    }
    if (list.length < azCount) {
        problems.push(`lists ${list.length} zones, but network.azCount is ${azCount}; list at least ${azCount} or lower azCount`);
    }
    return problems;
}

/** The stack configuration as validated, before environment defaults are applied. */
export type ParsedStackConfig = z.output<typeof stackConfigSchema>;
