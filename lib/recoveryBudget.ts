/**
 * The recovery budget: the worst-case recovery time and data loss the design allows, computed from the stack's own
 * settings (never typed in), so that the offline plan can print it, the drill can compare a measurement with it,
 * and the policy pack can fail a stack whose budget exceeds its objectives.
 *
 * Recovery time (RTO budget) = detection (the alarm, then the orchestrator's detection window) + operator response
 * (manual mode only) + orchestration (the sum of the run's step deadlines, or a drill's measurement) + promotion +
 * DNS TTL, and, when the stack has an application tier, the application's steps up to a user's answer from the DR
 * region (`applicationRecoverySteps`: scale-out, target health, the traffic metric's period, the Route 53 check, the
 * alias TTL). RTO runs from the first failure signal to the application answering in the DR region.
 * Data loss (RPO budget) of a regional failover = the largest of the database's guaranteed bound, the S3
 * Replication Time Control window and, with global tables, their replication (AWS's figure: typically within a second). The database's bound is `database.maxReplicationLagSeconds`, which the program sets
 * as `rds.global_db_rpo` on the writer (Aurora holds commits rather than let the lag exceed it); without it nothing
 * bounds the lag, and the budget says "not bounded" (`rpoBounded: false`, `rpoSeconds: null`) rather than quote the
 * lag alarm's threshold, which only notifies. A restore from backup (logical corruption copied to both regions) is a
 * different scenario, reported beside it as `backupRpoSeconds`.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html#aurora-global-database-manage-recovery
 */
import type { StackConfig } from "../config";
import { APPLICATION_METRICS, TARGET_HEALTH_CHECK, type ApplicationSettings } from "./application";
import { ELB_ALIAS_TTL_SECONDS, TRAFFIC_ALARM_EVALUATION_PERIODS } from "./applicationTraffic";
import { COPY_SCHEDULE, longestGapMinutes } from "./backup";
import { formatSeconds } from "./duration";
import { HEALTH_CHECK_ALARM, orchestrationDeadlineSeconds, REPLICATION_LAG_ALARM } from "./failover";
import { heartbeatDetectionSeconds } from "./heartbeat";
import { GLOBAL_TABLE_REPLICATION_SECONDS } from "./tables";

/**
 * Promotion of the secondary cluster: "you can promote a secondary ... to take full read/write workloads in under a
 * minute" (AuroraUserGuide, aurora-global-database.html); the disaster-recovery page puts the whole RTO "in the
 * order of minutes", which the other terms of this budget account for.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 */
export const AURORA_PROMOTION_SECONDS = 60;

/**
 * S3 Replication Time Control replicates 99.99% of objects within 15 minutes (the only value the API accepts).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
 */
export const S3_RTC_SECONDS = 15 * 60;

/**
 * ASSUMPTION, not an AWS figure: the time from `UpdateService` raising the desired count to a Fargate task RUNNING
 * (placement, ENI attachment in the private subnet, the image pulled from the region's ECR copy, the container
 * started). AWS publishes no bound; a few-hundred-MB image usually starts in one to two minutes, so three are budgeted.
 * Re-measure it: the drill's `primary-down` reports `applicationHealthyMs`, and on a real account the ECS service
 * events (`has started N tasks` to `has reached a steady state`) of a switchover give the figure for the stack's own
 * image; change this constant when they disagree.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
 */
export const FARGATE_TASK_START_SECONDS = 180;

/**
 * ASSUMPTION: how long Route 53 takes to see a CLOUDWATCH_METRIC check's alarm turn OK. AWS documents no request
 * interval or failure threshold for a check that follows an alarm (both apply to endpoint checks), so the budget counts
 * an endpoint check's defaults: 30 s between readings, 3 readings.
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
 */
export const ROUTE53_METRIC_CHECK = { requestIntervalSeconds: 30, failureThreshold: 3 } as const;

/** The application's steps after the data tier has recovered, each in seconds, and their sum. */
export interface ApplicationRecoverySteps {
    /** New tasks in the DR region running (FARGATE_TASK_START_SECONDS, an assumption). */
    readonly scaleOutSeconds: number;
    /** Each new task passing the target group's check: TARGET_HEALTH_CHECK interval x healthy threshold. */
    readonly targetHealthSeconds: number;
    /** The orchestrator's ServingReady=1 reaching the `ready` alarm: the metric's period x the alarm's periods. */
    readonly metricPeriodSeconds: number;
    /** Route 53's check following the alarm (ROUTE53_METRIC_CHECK, an assumption): interval x threshold. */
    readonly healthCheckSeconds: number;
    /** Resolvers still holding the old region's answer: the fixed TTL of an alias to a load balancer. */
    readonly aliasTtlSeconds: number;
    readonly totalSeconds: number;
}

/**
 * The application's recovery steps, serial and worst case: the scale-out starts before the promotion (the runtime's
 * `capacity` step), so counting it after the data tier's terms overstates it, never understates it.
 */
export function applicationRecoverySteps(): ApplicationRecoverySteps {
    const steps = {
        scaleOutSeconds: FARGATE_TASK_START_SECONDS,
        targetHealthSeconds: TARGET_HEALTH_CHECK.intervalSeconds * TARGET_HEALTH_CHECK.healthyThreshold,
        metricPeriodSeconds: APPLICATION_METRICS.periodSeconds * TRAFFIC_ALARM_EVALUATION_PERIODS,
        healthCheckSeconds: ROUTE53_METRIC_CHECK.requestIntervalSeconds * ROUTE53_METRIC_CHECK.failureThreshold,
        aliasTtlSeconds: ELB_ALIAS_TTL_SECONDS,
    };
    return { ...steps, totalSeconds: Object.values(steps).reduce((a, b) => a + b, 0) };
}

export interface RecoveryBudget {
    /**
     * The failover the budget is for: from the writer's region as the deploy knows it (`healthcare-dr:activeRegion`)
     * to the other region. Detection and orchestration are the same both ways; what is replicated towards `to` is not.
     */
    readonly direction: { readonly from: string; readonly to: string };
    /** Worst-case time from the loss of the writer's region to a working writer in the other region, in seconds. */
    readonly rtoSeconds: number;
    /** Worst-case data loss of a regional failover, in seconds; `null` when a term has no bound (`rpoBounded`). */
    readonly rpoSeconds: number | null;
    /** False when nothing bounds the database's replication lag (no `database.maxReplicationLagSeconds`). */
    readonly rpoBounded: boolean;
    readonly rto: {
        /**
         * The slower of the alarm paths (each designed to catch the loss of the primary on its own), then the
         * orchestrator's detection window, over which its quorum of signals must hold.
         */
        readonly detectionSeconds: number;
        readonly detectionPaths: { readonly healthCheckSeconds: number; readonly replicationLagAlarmSeconds: number };
        readonly detectionWindowSeconds: number;
        /** Manual mode: the time on-call needs to run the command; 0 in automatic mode. */
        readonly operatorResponseSeconds: number;
        /** Measured by a drill, or else the sum of the run's step deadlines (each one fails the run when it passes). */
        readonly orchestrationSeconds: number;
        readonly orchestrationSource: "measured" | "deadlines";
        readonly promotionSeconds: number;
        readonly dnsTtlSeconds: number;
        /** The application's steps (`applicationRecoverySteps`); `null` when the stack has no application tier. */
        readonly application: ApplicationRecoverySteps | null;
    };
    readonly rpo: {
        /** What the database guarantees: `rds.global_db_rpo` (`database.maxReplicationLagSeconds`); `null`: not bounded. */
        readonly databaseSeconds: number | null;
        /** The lag at which the DR region's alarm starts the orchestrator: it notifies, it bounds nothing. */
        readonly databaseLagAlarmSeconds: number;
        /** S3 Replication Time Control towards `direction.to`; `null` when a data set is not replicated that way. */
        readonly objectStorageSeconds: number | null;
        /**
         * Data sets whose writes in `direction.from` never reach `direction.to`: the DR region's buckets replicate home
         * only with `buckets[].reverseReplication` (on by default in prod).
         */
        readonly unreplicatedDataSets: readonly string[];
        /**
         * Global-table replication (`healthcare-dr:tables`): AWS's figure, GLOBAL_TABLE_REPLICATION_SECONDS ("typically
         * within one second"; no SLA, and the ReplicationLatency alarm at the RPO says when it does not hold); 0 without
         * global tables. Both replicas take writes, so it is the same in both directions.
         */
        readonly globalTableSeconds: number;
        /** The global tables it counts, by their stack-file names. */
        readonly globalTables: readonly string[];
    };
    /**
     * Data loss when restoring in one region from the other region's copies (both the region's own cluster and its own
     * continuous backups lost): the interval of the copy rule. A point-in-time restore from a region's own continuous
     * backup loses minutes.
     */
    readonly backupRpoSeconds: number;
}

/**
 * Detection through Route 53: the lost writer's heartbeat alarm (lib/heartbeat.ts) sees three silent minutes, the
 * CLOUDWATCH_METRIC health check follows the alarm's state (a request interval and failure threshold apply to
 * endpoint checks only), then the alarm on the check in us-east-1 needs its own `period x evaluation periods`.
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
 */
export function healthCheckDetectionSeconds(): number {
    return heartbeatDetectionSeconds() + HEALTH_CHECK_ALARM.periodSeconds * HEALTH_CHECK_ALARM.evaluationPeriods;
}

/** Detection through the replication-lag alarm in the DR region: `period x evaluation periods`. */
export function replicationLagDetectionSeconds(): number {
    return REPLICATION_LAG_ALARM.periodSeconds * REPLICATION_LAG_ALARM.evaluationPeriods;
}

/**
 * The longest wait, in seconds, between runs of a daily AWS Backup schedule expression (lib/backup.ts
 * `dailyRunMinutes`: every N hours, at listed hours, daily at a fixed hour). Undefined for anything else.
 */
export function scheduleIntervalSeconds(expression: string): number | undefined {
    const minutes = longestGapMinutes([expression]);
    return minutes === undefined ? undefined : minutes * 60;
}

export function recoveryBudget(
    config: Pick<StackConfig, "failover" | "buckets" | "tables" | "database" | "primaryRegion" | "drRegion" | "activeRegion"> & {
        /** `healthcare-dr:application`: with it, the budget runs to the application answering, not to the writer. */
        readonly application?: ApplicationSettings | undefined;
    },
    measured?: { readonly orchestrationMs: number },
): RecoveryBudget {
    const healthCheckSeconds = healthCheckDetectionSeconds();
    const replicationLagAlarmSeconds = replicationLagDetectionSeconds();
    const detectionWindowSeconds = config.failover.detectionWindow.seconds;
    const detectionSeconds = Math.max(healthCheckSeconds, replicationLagAlarmSeconds) + detectionWindowSeconds;
    const operatorResponseSeconds = config.failover.mode === "manual" ? config.failover.operatorResponse.seconds : 0;
    // The window is counted in detection; the orchestration term is the steps' deadlines.
    const deadlines = orchestrationDeadlineSeconds(detectionWindowSeconds) - detectionWindowSeconds;
    const orchestrationSeconds = measured !== undefined ? Math.ceil(measured.orchestrationMs / 1000) : deadlines;
    const rto = {
        detectionSeconds,
        detectionPaths: { healthCheckSeconds, replicationLagAlarmSeconds },
        detectionWindowSeconds,
        operatorResponseSeconds,
        orchestrationSeconds,
        orchestrationSource: measured !== undefined ? ("measured" as const) : ("deadlines" as const),
        promotionSeconds: AURORA_PROMOTION_SECONDS,
        dnsTtlSeconds: config.failover.dnsTtlSeconds,
        application: config.application !== undefined ? applicationRecoverySteps() : null,
    };
    const fromDr = config.activeRegion === config.drRegion;
    const direction = { from: config.activeRegion, to: fromDr ? config.primaryRegion : config.drRegion };
    // Source buckets (primary) always replicate to the DR region; the replicas replicate home only when asked to.
    const unreplicatedDataSets = fromDr ? config.buckets.filter((d) => !d.reverseReplication).map((d) => d.name) : [];
    const rpo = {
        databaseSeconds: config.database.maxReplicationLagSeconds ?? null,
        databaseLagAlarmSeconds: config.failover.replicationLagThresholdSeconds,
        objectStorageSeconds: unreplicatedDataSets.length > 0 ? null : config.buckets.length > 0 ? S3_RTC_SECONDS : 0,
        unreplicatedDataSets,
        globalTableSeconds: config.tables.length > 0 ? GLOBAL_TABLE_REPLICATION_SECONDS : 0,
        globalTables: config.tables.map((t) => t.name),
    };
    return {
        direction,
        rtoSeconds:
            rto.detectionSeconds +
            rto.operatorResponseSeconds +
            rto.orchestrationSeconds +
            rto.promotionSeconds +
            rto.dnsTtlSeconds +
            (rto.application?.totalSeconds ?? 0),
        rpoSeconds:
            rpo.databaseSeconds === null || rpo.objectStorageSeconds === null
                ? null
                : Math.max(rpo.databaseSeconds, rpo.objectStorageSeconds, rpo.globalTableSeconds),
        rpoBounded: rpo.databaseSeconds !== null && rpo.objectStorageSeconds !== null,
        rto,
        rpo,
        backupRpoSeconds: scheduleIntervalSeconds(COPY_SCHEDULE) ?? 86_400,
    };
}

/** What the config key that bounds the database's data loss is called, for messages. */
export const DATABASE_RPO_KEY = "database.maxReplicationLagSeconds";

/**
 * The database's term of the data-loss budget, for people: the bound Aurora enforces, or why there is none.
 * `at most 10m (rds.global_db_rpo holds commits beyond it)`; `not bounded: ...`.
 */
export function databaseRpoText(budget: Pick<RecoveryBudget, "rpo">): string {
    const { databaseSeconds, databaseLagAlarmSeconds } = budget.rpo;
    return databaseSeconds !== null
        ? `at most ${formatSeconds(databaseSeconds)} (rds.global_db_rpo holds commits beyond it)`
        : `not bounded (nothing holds commits back; the lag alarm at ${formatSeconds(databaseLagAlarmSeconds)} only notifies: set ${DATABASE_RPO_KEY})`;
}

/** The object-storage term of the data-loss budget, for people: `15m (S3 RTC)`, or which data sets are not replicated. */
export function objectStorageRpoText(budget: Pick<RecoveryBudget, "rpo" | "direction">): string {
    const { objectStorageSeconds, unreplicatedDataSets } = budget.rpo;
    return objectStorageSeconds !== null
        ? formatSeconds(objectStorageSeconds)
        : `not bounded (${unreplicatedDataSets.join(", ")} not replicated from ${budget.direction.from} to ${budget.direction.to}: set buckets[].reverseReplication)`;
}

/**
 * The global tables' term of the data-loss budget, for people: `1s (AWS: typically within a second, no SLA; audit-events)`,
 * or `none` without global tables.
 */
export function globalTableRpoText(budget: Pick<RecoveryBudget, "rpo">): string {
    const { globalTableSeconds, globalTables } = budget.rpo;
    return globalTables.length === 0
        ? "none"
        : `${formatSeconds(globalTableSeconds)} (AWS: typically within a second, no SLA; ${globalTables.join(", ")})`;
}

/** The whole data-loss budget for people: `15m`, or `not bounded`. */
export function rpoBudgetText(budget: Pick<RecoveryBudget, "rpoSeconds">): string {
    return budget.rpoSeconds === null ? "not bounded" : `${formatSeconds(budget.rpoSeconds)} (${budget.rpoSeconds} s)`;
}
