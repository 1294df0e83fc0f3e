/**
 * Pure rules of the Aurora PostgreSQL global database: parameter group family and parameters, the backup and
 * maintenance windows, names derived from cluster identifiers, and the checks on a pair of clusters that AWS would
 * otherwise only reject at deploy time (or, worse, accept and break a failover).
 */
import { policyDocument, type PolicyDocument } from "./iam";
import { physicalName } from "./naming";

/** The Aurora engine of both clusters and the global cluster. */
export const AURORA_ENGINE = "aurora-postgresql";

/** PostgreSQL's port; the database security group admits it and nothing else. */
export const POSTGRES_PORT = 5432;

/**
 * The cluster parameter group family of an engine version: `16.6` -> `aurora-postgresql16`.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithParamGroups.html
 */
export function parameterGroupFamily(engineVersion: string): string {
    const major = /^(\d+)\./.exec(engineVersion)?.[1];
    if (major === undefined) {
        throw new Error(`Invalid value for engineVersion: ${engineVersion}. Give MAJOR.MINOR, such as 16.6.`);
    }
    return `${AURORA_ENGINE}${major}`;
}

export interface ClusterParameter {
    readonly name: string;
    readonly value: string;
    /** `immediate` for dynamic parameters; static ones need `pending-reboot`. */
    readonly applyMethod: "immediate" | "pending-reboot";
}

/**
 * Cluster parameters of both regions. TLS is forced (HIPAA transmission security); connections, disconnections and
 * lock waits are logged to the `postgresql` log, which is exported to CloudWatch Logs. Nothing that writes the text
 * of a statement, which carries patient data in its literals, reaches that log: no slow-statement logging
 * (`log_min_duration_statement` off; Performance Insights and `pg_stat_statements` show slow queries with their
 * constants normalised), no statement text with errors (`log_min_error_statement` at `panic`), no `log_statement`.
 * pgAudit records schema and role changes (`ddl`, `role`) without bind parameters (`log_parameter` off).
 * `track_commit_timestamp` records each transaction's commit time, for the lost-writes comparison after a failover.
 * `shared_preload_libraries` and `track_commit_timestamp` are static: a new value applies at the next reboot; every
 * other parameter is dynamic.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html#AuroraPostgreSQL.Security.SSL.Requiring
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_LogAccess.Concepts.PostgreSQL.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.pgaudit.basic-setup.html
 * @see https://www.postgresql.org/docs/current/runtime-config-logging.html
 */
export const CLUSTER_PARAMETERS: readonly ClusterParameter[] = [
    { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
    { name: "log_connections", value: "1", applyMethod: "immediate" },
    { name: "log_disconnections", value: "1", applyMethod: "immediate" },
    { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
    { name: "log_statement", value: "none", applyMethod: "immediate" },
    { name: "log_min_duration_statement", value: "-1", applyMethod: "immediate" },
    { name: "log_min_error_statement", value: "panic", applyMethod: "immediate" },
    { name: "shared_preload_libraries", value: "pg_stat_statements,pgaudit", applyMethod: "pending-reboot" },
    { name: "pgaudit.log", value: "ddl,role", applyMethod: "immediate" },
    { name: "pgaudit.log_parameter", value: "0", applyMethod: "immediate" },
    { name: "pgaudit.role", value: "rds_pgaudit", applyMethod: "immediate" },
    // The commit time of every transaction, so that after an unplanned failover or a break-glass the rows the old
    // writer committed after the failover time minus the lag (the lost writes) can be listed from its snapshot with
    // `pg_xact_commit_timestamp(xmin)` (npm run failover -- report). Static: set at server start, so it applies at the
    // next reboot (pending-reboot). Costs a few bytes per transaction in pg_commit_ts.
    // @see https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-TRACK-COMMIT-TIMESTAMP
    // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Reference.ParameterGroups.html
    { name: "track_commit_timestamp", value: "1", applyMethod: "pending-reboot" },
];

/**
 * `rds.global_db_rpo`, Aurora PostgreSQL's recovery point objective for a global database: Aurora blocks commits on
 * the primary while no secondary cluster's RPO lag is below it, and lets them go again once one is, so a failover
 * never loses more than this many seconds of committed data. Valid values are 20 to 2,147,483,647 seconds; the
 * parameter is dynamic (applies at once, no reboot). The price is availability: while replication is broken (the
 * secondary region lost, say), commits on the primary wait.
 * With two regions AWS advises setting it in the primary cluster's parameter group only: set in the secondary's too,
 * the new primary after a failover has no secondary within the limit (the old region is gone) and holds every commit.
 * So it follows the writer: `clusterParametersFor` puts it in the writer's group only.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html#aurora-global-database-manage-recovery
 */
export const GLOBAL_DB_RPO = { parameter: "rds.global_db_rpo", minSeconds: 20, maxSeconds: 2_147_483_647 } as const;

/** What is wrong with a `rds.global_db_rpo` value, or `undefined` when Aurora accepts it. */
export function globalDbRpoProblem(seconds: number): string | undefined {
    if (!Number.isInteger(seconds) || seconds < GLOBAL_DB_RPO.minSeconds || seconds > GLOBAL_DB_RPO.maxSeconds) {
        return `${GLOBAL_DB_RPO.parameter} is ${seconds}; Aurora accepts whole seconds from ${GLOBAL_DB_RPO.minSeconds} to ${GLOBAL_DB_RPO.maxSeconds}`;
    }
    return undefined;
}

/**
 * The cluster parameters of one member of the global database: `CLUSTER_PARAMETERS` everywhere, plus the RPO ceiling
 * (`rds.global_db_rpo`) in the writer's group only, when one is set. The two groups differ in nothing else, so moving
 * the writer moves one parameter from one group to the other: two in-place updates (ModifyDBClusterParameterGroup,
 * and ResetDBClusterParameterGroup for the one that loses it), never a replacement.
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/rds/clusterparametergroup/
 */
export function clusterParametersFor(args: { readonly writer: boolean; readonly globalDbRpoSeconds?: number }): ClusterParameter[] {
    if (!args.writer || args.globalDbRpoSeconds === undefined) {
        return [...CLUSTER_PARAMETERS];
    }
    const problem = globalDbRpoProblem(args.globalDbRpoSeconds);
    if (problem !== undefined) {
        throw new Error(problem);
    }
    return [...CLUSTER_PARAMETERS, { name: GLOBAL_DB_RPO.parameter, value: String(args.globalDbRpoSeconds), applyMethod: "immediate" }];
}

/**
 * Why a set of cluster parameters would write statement text (patient data) to the exported log; empty when none.
 * The values that leak: slow-statement logging on, statement logging beyond `none`/`ddl`, pgAudit logging bind
 * parameters or data access classes (`read`, `write`, `all`, which log each statement with its literals), and the
 * text of a failing statement (`log_min_error_statement` below `panic`).
 */
export function statementLoggingProblems(parameters: readonly { readonly name: string; readonly value: string }[]): string[] {
    const get = (name: string) => parameters.find((p) => p.name === name)?.value;
    const problems: string[] = [];
    const slow = get("log_min_duration_statement");
    if (slow === undefined || Number(slow) >= 0) {
        problems.push(
            `log_min_duration_statement is ${slow ?? "unset (on in some engines' defaults)"}; set -1: slow statements are logged with their literal values`,
        );
    }
    const statement = get("log_statement");
    if (statement !== undefined && !["none", "ddl"].includes(statement)) {
        problems.push(`log_statement is ${statement}; set none: it logs the text of every statement`);
    }
    if (get("log_min_error_statement") !== "panic") {
        problems.push(
            `log_min_error_statement is ${get("log_min_error_statement") ?? "unset (error)"}; set panic: a failing statement is logged with its text`,
        );
    }
    if (get("pgaudit.log_parameter") !== "0") {
        problems.push("pgaudit.log_parameter must be 0: bind parameters carry patient data");
    }
    const classes = (get("pgaudit.log") ?? "").split(",").map((c) => c.trim().toLowerCase());
    const leaking = classes.filter((c) => ["read", "write", "all", "misc"].includes(c));
    if (leaking.length > 0) {
        problems.push(`pgaudit.log includes ${leaking.join(", ")}; those classes log statements with their literals`);
    }
    return problems;
}

/**
 * Enhanced Monitoring: OS metrics every 60 seconds (allowed: 0, 1, 5, 10, 15, 30, 60), written by RDS to the log
 * group `RDSOSMetrics` of the region. RDS creates that group unencrypted and kept forever unless it exists; the
 * program declares it first, with the region's key and the stack's retention. One group per account and region.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.Enabling.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.CloudWatchLogs.html
 */
export const ENHANCED_MONITORING = { logGroupName: "RDSOSMetrics", intervalSeconds: 60 } as const;

/**
 * What the Enhanced Monitoring role may do: write streams to `RDSOSMetrics` of its region, nothing else. AWS's
 * managed policy (AmazonRDSEnhancedMonitoringRole) also lets RDS create and set the retention of any `RDS*` group;
 * the group exists already, with the retention the stack chose.
 * @see https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonRDSEnhancedMonitoringRole.html
 */
export function enhancedMonitoringPolicy(args: { partition: string; region: string; accountId: string }): PolicyDocument {
    const group = `arn:${args.partition}:logs:${args.region}:${args.accountId}:log-group:${ENHANCED_MONITORING.logGroupName}`;
    return policyDocument([
        {
            Sid: "WriteOsMetricsToItsGroup",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"],
            Resource: [`${group}:*`, `${group}:log-stream:*`],
        },
    ]);
}

/**
 * The data protection policy of the database log groups: audits and masks patient identifiers that still reach
 * the log (a name or an NHS number in an error message). Masked values are shown only to principals allowed
 * `logs:Unmask`, which no role of this stack has: reading patient data out of the database logs is limited to whom
 * the organisation grants that one action.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/mask-sensitive-log-data.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDataProtectionPolicy.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/protect-sensitive-log-data-types-health.html
 */
export const LOG_DATA_IDENTIFIERS = ["NhsNumber-GB", "NationalInsuranceNumber-GB", "EmailAddress", "Address", "Name"] as const;

export function logDataProtectionPolicy(name: string): string {
    const identifiers = LOG_DATA_IDENTIFIERS.map((id) => `arn:aws:dataprotection::aws:data-identifier/${id}`);
    return JSON.stringify({
        Name: name,
        Version: "2021-06-01",
        Statement: [
            { Sid: "audit", DataIdentifier: identifiers, Operation: { Audit: { FindingsDestination: {} } } },
            { Sid: "redact", DataIdentifier: identifiers, Operation: { Deidentify: { MaskConfig: {} } } },
        ],
    });
}

/**
 * Logs Aurora PostgreSQL can export to CloudWatch Logs.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.CloudWatch.html
 */
export const EXPORTED_LOGS = ["postgresql"] as const;

/** The log group RDS writes an exported log to; created beforehand so that it is KMS-encrypted and expires. */
export function clusterLogGroupName(clusterIdentifier: string, log: (typeof EXPORTED_LOGS)[number]): string {
    return `/aws/rds/cluster/${clusterIdentifier}/${log}`;
}

/**
 * Daily backup window, UTC: 02:00 to 03:00 is the quietest hour for a UK and Irish care provider (03:00 or 04:00
 * local in summer). The window must last at least 30 minutes and must not overlap the maintenance window.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Backups.html#Aurora.Managing.Backups.BackupWindow
 */
export const BACKUP_WINDOW = "02:00-03:00";

/**
 * Weekly maintenance window, UTC: Sunday 03:30 to 04:30, after the backup window and before the working week.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.Maintenance.html#Concepts.DBMaintenance
 */
export const MAINTENANCE_WINDOW = "sun:03:30-sun:04:30";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

function minuteOfDay(text: string): number | undefined {
    const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
    return match === null ? undefined : Number(match[1]) * 60 + Number(match[2]);
}

/** A daily window `hh24:mi-hh24:mi` as [start, end) minutes of the day; `end` may be past midnight (> 1440). */
export function parseDailyWindow(window: string): { start: number; end: number } | undefined {
    const [from, to, ...rest] = window.split("-");
    const start = minuteOfDay(from ?? "");
    const end = minuteOfDay(to ?? "");
    if (rest.length > 0 || start === undefined || end === undefined || start === end) {
        return undefined;
    }
    return { start, end: end > start ? end : end + MINUTES_PER_DAY };
}

/** A weekly window `ddd:hh24:mi-ddd:hh24:mi` as [start, end) minutes of the week (Monday 00:00 is 0). */
export function parseWeeklyWindow(window: string): { start: number; end: number } | undefined {
    const match = /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(window);
    if (match === null) {
        return undefined;
    }
    const startDay = DAYS.indexOf(match[1] as (typeof DAYS)[number]);
    const endDay = DAYS.indexOf(match[3] as (typeof DAYS)[number]);
    const startMinute = minuteOfDay(match[2]!);
    const endMinute = minuteOfDay(match[4]!);
    if (startDay < 0 || endDay < 0 || startMinute === undefined || endMinute === undefined) {
        return undefined;
    }
    const start = startDay * MINUTES_PER_DAY + startMinute;
    let end = endDay * MINUTES_PER_DAY + endMinute;
    if (end === start) {
        return undefined;
    }
    if (end < start) {
        end += MINUTES_PER_WEEK;
    }
    return { start, end };
}

/** Length of a window in minutes. */
export function windowMinutes(window: { start: number; end: number }): number {
    return window.end - window.start;
}

/** True when a daily backup window overlaps a weekly maintenance window on any day of the week. */
export function windowsOverlap(backupWindow: string, maintenanceWindow: string): boolean {
    const backup = parseDailyWindow(backupWindow);
    const maintenance = parseWeeklyWindow(maintenanceWindow);
    if (backup === undefined || maintenance === undefined) {
        throw new Error(
            `Cannot compare windows ${backupWindow} and ${maintenanceWindow}: expected hh24:mi-hh24:mi and ddd:hh24:mi-ddd:hh24:mi`,
        );
    }
    const busy = new Set<number>();
    for (let m = maintenance.start; m < maintenance.end; m++) {
        busy.add(m % MINUTES_PER_WEEK);
    }
    for (let day = 0; day < 7; day++) {
        for (let m = backup.start; m < backup.end; m++) {
            if (busy.has((day * MINUTES_PER_DAY + m) % MINUTES_PER_WEEK)) {
                return true;
            }
        }
    }
    return false;
}

/**
 * Problems with a pair of windows, as messages naming the window and the fix; empty when both are valid.
 * RDS requires each window to last at least 30 minutes, and the two not to overlap.
 */
export function windowProblems(backupWindow: string, maintenanceWindow: string): string[] {
    const problems: string[] = [];
    const backup = parseDailyWindow(backupWindow);
    const maintenance = parseWeeklyWindow(maintenanceWindow);
    if (backup === undefined) {
        problems.push(`Invalid backup window ${backupWindow}: expected hh24:mi-hh24:mi in UTC, such as 02:00-03:00`);
    } else if (windowMinutes(backup) < 30) {
        problems.push(`The backup window ${backupWindow} lasts under 30 minutes; RDS requires at least 30`);
    }
    if (maintenance === undefined) {
        problems.push(
            `Invalid maintenance window ${maintenanceWindow}: expected ddd:hh24:mi-ddd:hh24:mi in UTC, such as sun:03:30-sun:04:30`,
        );
    } else if (windowMinutes(maintenance) < 30) {
        problems.push(`The maintenance window ${maintenanceWindow} lasts under 30 minutes; RDS requires at least 30`);
    }
    if (problems.length === 0 && windowsOverlap(backupWindow, maintenanceWindow)) {
        problems.push(`The backup window ${backupWindow} overlaps the maintenance window ${maintenanceWindow}; move one of them`);
    }
    return problems;
}

/**
 * The ARN of a secret's replica in another region. Secrets Manager keeps the replica's name, so its ARN differs
 * from the primary's only in the region.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html
 */
export function replicaSecretArn(primaryArn: string, region: string): string {
    const parts = primaryArn.split(":");
    if (parts.length < 7 || parts[2] !== "secretsmanager") {
        throw new Error(`Not a Secrets Manager secret ARN: ${primaryArn}`);
    }
    parts[3] = region;
    return parts.join(":");
}

/** The settings of the two member clusters that must agree for a global database to replicate and fail over. */
export interface MemberSettings {
    readonly region: string;
    readonly engine: string;
    readonly engineVersion: string;
    readonly storageEncrypted: boolean;
    /** The KMS key ARN the cluster is encrypted with. */
    readonly kmsKeyArn: string;
}

/**
 * Checks a global cluster's settings against its members', all at once, as `{ condition, message }` pairs:
 * - the engine and engine version must be the same everywhere (failover is refused otherwise, even for a patch),
 * - storage encryption must be on everywhere, and each member must use a key of its own region (a key in the
 *   other region would make the DR copy depend on the region it is meant to survive).
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html
 */
export function globalClusterProblems(
    global: { readonly engine: string; readonly engineVersion: string; readonly storageEncrypted: boolean },
    members: readonly MemberSettings[],
): string[] {
    const rules: { condition: boolean; message: string }[] = [];
    const regions = members.map((m) => m.region);
    rules.push({
        condition: new Set(regions).size !== regions.length,
        message: `Each member cluster must be in its own region; got ${regions.join(", ")}`,
    });
    for (const m of members) {
        const keyRegion = m.kmsKeyArn.split(":")[3];
        rules.push(
            {
                condition: m.engine !== global.engine,
                message: `The ${m.region} cluster runs ${m.engine}; the global cluster runs ${global.engine}`,
            },
            {
                condition: m.engineVersion !== global.engineVersion,
                message: `The ${m.region} cluster runs version ${m.engineVersion}; the global cluster runs ${global.engineVersion}. Versions must match exactly, or failover is refused`,
            },
            {
                condition: m.storageEncrypted !== global.storageEncrypted || !m.storageEncrypted,
                message: `The ${m.region} cluster and the global cluster must both have storage encryption on`,
            },
            {
                condition: keyRegion !== m.region,
                message: `The ${m.region} cluster is encrypted with a key in ${keyRegion ?? "an unknown region"}; use the ${m.region} regional key`,
            },
        );
    }
    return rules.filter((r) => r.condition).map((r) => r.message);
}

/** Inputs that a secondary (cross-region replica) cluster must not set. */
export const SECONDARY_FORBIDDEN_INPUTS = ["masterUsername", "masterPassword", "manageMasterUserPassword", "databaseName"] as const;

/**
 * The stable label of each of the two regions (program.ts `RegionLabel`): `primary` is `primaryRegion`, `dr` is
 * `drRegion`, whichever holds the writer.
 */
export type ClusterLabel = "primary" | "dr";

/**
 * Which cluster seeds the global database, and the generation of the global cluster and of each region's cluster
 * (`healthcare-dr:database.seed`). Generation 1 is the database as first deployed: an empty global cluster that the
 * primary region's cluster joins as the writer (with the database name and master user), the DR region's cluster
 * joining as a secondary. Every rebuild after a break-glass adds one: a new global cluster created from the promoted
 * cluster (the seed, which keeps its resource and identifier), and a new cluster in the other region, because a
 * detached or diverged cluster can never rejoin a global database.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 */
export interface DatabaseSeed {
    /** The region of the cluster the current global cluster was created from. */
    readonly region: string;
    /** The generation of the current global cluster: 1, then one more per rebuild. */
    readonly generation: number;
    /** The generation each region's cluster was created in (its identifier carries it from 2 on). */
    readonly clusterGenerations: Readonly<Record<ClusterLabel, number>>;
}

/** The database as first deployed: generation 1, seeded by the primary region. */
export function initialSeed(primaryRegion: string): DatabaseSeed {
    return { region: primaryRegion, generation: 1, clusterGenerations: { primary: 1, dr: 1 } };
}

/** One problem of a seed, at a path under `database.seed` (e.g. `["clusterGenerations", "dr"]`). */
export interface SeedProblem {
    readonly path: readonly string[];
    readonly message: string;
}

/**
 * What is wrong with a seed, for the two regions of the stack; empty when it describes a database that can exist:
 * - the seed is one of the two regions, and generation 1 is seeded by the primary region (the original layout);
 * - generations are whole numbers from 1;
 * - the other region's cluster is always the current generation's (each rebuild creates it anew);
 * - the seed's cluster was created before the global cluster it seeds (an earlier generation), except in generation 1.
 */
export function seedProblems(seed: DatabaseSeed, regions: Readonly<Record<ClusterLabel, string>>): SeedProblem[] {
    const problems: SeedProblem[] = [];
    const whole = (n: number) => Number.isInteger(n) && n >= 1;
    if (seed.region !== regions.primary && seed.region !== regions.dr) {
        problems.push({
            path: ["region"],
            message: `must be primaryRegion (${regions.primary}) or drRegion (${regions.dr}): the region of the cluster the global database is created from`,
        });
    }
    if (!whole(seed.generation)) {
        problems.push({
            path: ["generation"],
            message: "must be a whole number from 1: 1 for the database as first deployed, one more per rebuild",
        });
    }
    for (const label of ["primary", "dr"] as const) {
        const g = seed.clusterGenerations[label];
        if (!whole(g) || (whole(seed.generation) && g > seed.generation)) {
            problems.push({
                path: ["clusterGenerations", label],
                message: `must be a whole number from 1 to database.seed.generation (${seed.generation}): the generation the ${label === "primary" ? "primaryRegion" : "drRegion"} cluster was created in`,
            });
        }
    }
    if (problems.length > 0) {
        return problems;
    }
    const seedLabel: ClusterLabel = seed.region === regions.primary ? "primary" : "dr";
    const otherLabel: ClusterLabel = seedLabel === "primary" ? "dr" : "primary";
    if (seed.generation === 1) {
        if (seedLabel !== "primary") {
            problems.push({
                path: ["region"],
                message: `must be primaryRegion (${regions.primary}) in generation 1, the database as first deployed; a rebuild from ${seed.region} is generation 2 or more`,
            });
        }
        return problems;
    }
    if (seed.clusterGenerations[otherLabel] !== seed.generation) {
        problems.push({
            path: ["clusterGenerations", otherLabel],
            message: `must be ${seed.generation} (database.seed.generation): every rebuild creates a new cluster in the region that is not the seed, since a detached cluster can never rejoin`,
        });
    }
    if (seed.clusterGenerations[seedLabel] >= seed.generation) {
        problems.push({
            path: ["clusterGenerations", seedLabel],
            message: `must be below ${seed.generation} (database.seed.generation): the seed cluster existed before the global cluster created from it; give the generation it was created in (1 for no -g suffix on its identifier, n for -g<n>)`,
        });
    }
    return problems;
}

/** One region's cluster in a layout. */
export interface ClusterPlacement {
    readonly label: ClusterLabel;
    readonly region: string;
    /** The generation it was created in; from 2 on, its identifier and its resources' names end in `-g<n>`. */
    readonly generation: number;
    /** `hdr-<stack>-aurora-<region>[-g<n>]`. */
    readonly identifier: string;
    /**
     * `writer`: created as the first writer of generation 1, with the database name and master user; `secondary`:
     * created as a secondary, without them (AWS refuses them on a cross-region replica). Fixed for the cluster's life:
     * both are replace-on-change inputs, so a promoted secondary never gains them.
     */
    readonly createdAs: "writer" | "secondary";
    /** The current global cluster was created from it (generation 2 on), or it joined an empty one first (generation 1). */
    readonly seed: boolean;
}

/** The global cluster and the two clusters a seed describes, with their physical identifiers. */
export interface AuroraLayout {
    readonly global: { readonly generation: number; readonly identifier: string; readonly seedLabel: ClusterLabel };
    readonly clusters: Readonly<Record<ClusterLabel, ClusterPlacement>>;
}

/** `-g<n>` from generation 2 on, nothing in generation 1 (the names of the database as first deployed). */
export function generationSuffix(generation: number): string {
    return generation > 1 ? `-g${generation}` : "";
}

/**
 * The physical layout of the global database for a seed: identifiers (`hdr-<stack>-aurora[-g<n>]` for the global
 * cluster, `hdr-<stack>-aurora-<region>[-g<n>]` for each cluster) and how each cluster was created. Pure; AuroraPair,
 * the failover tools and the tests share it, so the names can never drift apart. Throws on a seed `seedProblems`
 * refuses (config/ reports those first, naming the keys).
 */
export function auroraLayout(
    stack: string,
    regions: Readonly<Record<ClusterLabel, string>>,
    seed: DatabaseSeed = initialSeed(regions.primary),
): AuroraLayout {
    const problems = seedProblems(seed, regions);
    if (problems.length > 0) {
        throw new Error(`Invalid database seed: ${problems.map((p) => `${["seed", ...p.path].join(".")} ${p.message}`).join("; ")}`);
    }
    const seedLabel: ClusterLabel = seed.region === regions.primary ? "primary" : "dr";
    const name = (parts: string[]) => physicalName(stack, parts);
    const cluster = (label: ClusterLabel): ClusterPlacement => {
        const generation = seed.clusterGenerations[label];
        return {
            label,
            region: regions[label],
            generation,
            identifier: name(["aurora", regions[label], ...(generation > 1 ? [`g${generation}`] : [])]),
            createdAs: label === "primary" && generation === 1 ? "writer" : "secondary",
            seed: label === seedLabel,
        };
    };
    return {
        global: {
            generation: seed.generation,
            identifier: name(["aurora", ...(seed.generation > 1 ? [`g${seed.generation}`] : [])]),
            seedLabel,
        },
        clusters: { primary: cluster("primary"), dr: cluster("dr") },
    };
}
