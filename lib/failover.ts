/**
 * The contract between the FailoverOrchestrator component (which deploys the function and writes its configuration)
 * and the function's runtime code under `orchestrator/` (which reads it): parameter names, environment variables,
 * the lock table's name, the alarm settings the detection path uses and the command on-call runs. Pure values and
 * functions, shared so that the two sides cannot drift apart; the recovery budget reads the same numbers.
 */
import { parameterPath, physicalName } from "./naming";
import { tableArn } from "./tables";
import { auroraLayout, type DatabaseSeed } from "./database";

/** `automatic`: an alarm starts the failover. `manual`: an alarm only notifies, with the command that starts it. */
export const FAILOVER_MODES = ["automatic", "manual"] as const;
export type FailoverMode = (typeof FAILOVER_MODES)[number];

/**
 * The things on-call can ask for: a managed `switchover` or `failover` of the global database, or, when AWS refuses
 * the managed path and the writer's region is truly gone, `break-glass`: detach this region's cluster from the global
 * database, promote it on its own, repoint everything at it and fence the old writer. Break-glass is only ever asked
 * for by a human (never chosen by the function), and confirmed with `confirmationOf`.
 */
export const FAILOVER_ACTIONS = ["switchover", "failover", "break-glass"] as const;
export type FailoverAction = (typeof FAILOVER_ACTIONS)[number];

/**
 * Environment variables the component gives the function. Everything else is read from SSM Parameter Store at run
 * time, so that a change of configuration is a parameter update, not a redeploy of the code.
 */
export const ORCHESTRATOR_ENV = {
    /** `dev` or `prod`: selects the parameter path `/healthcare/<environment>/`. */
    environment: "HDR_ENVIRONMENT",
    /** Name of the DynamoDB lock table. */
    lockTable: "HDR_LOCK_TABLE",
} as const;

/** The orchestrator's own parameters live under `/healthcare/<environment>/failover/`. */
export function failoverParameterPath(environment: string): string {
    return parameterPath(environment, "failover");
}

/** Names (relative to `failoverParameterPath`) of the parameters the component writes and the function reads. */
export const FAILOVER_PARAMETERS = {
    stack: "stack",
    mode: "mode",
    globalClusterId: "global-cluster-id",
    /** This function's own region: the only region it ever promotes (each region has its own copy of the parameters). */
    region: "region",
    /** The ARN of its own region's cluster, the one it promotes. */
    clusterArn: "cluster-arn",
    /** The other region of the pair: the one whose loss this function detects. */
    peerRegion: "peer-region",
    /** The ARN of the peer region's cluster. */
    peerClusterArn: "peer-cluster-arn",
    hostedZoneId: "hosted-zone-id",
    recordName: "record-name",
    recordTtl: "record-ttl",
    /** A StringList; absent when the stack has no alert topics. */
    topicArns: "topic-arns",
    /** The names of the alarms allowed to start the orchestrator (a StringList); any other alarm is rejected. */
    alarmNames: "alarm-names",
    /** Seconds over which each signal of a lost peer writer must hold before an unplanned failover (DETECTION). */
    detectionWindowSeconds: "detection-window-seconds",
    /** How many independent signals must say "the peer writer is down" before an unplanned failover. */
    quorum: "quorum",
    /** Alarm events older than this many seconds are rejected (a stale alarm is no evidence). */
    maxEventAgeSeconds: "max-event-age-seconds",
    /** The replication lag (seconds) above which the replication signal counts as "the peer writer is down". */
    replicationLagThresholdSeconds: "replication-lag-threshold-seconds",
    /**
     * The master secret as this region holds it: the primary secret in the home region, its replica in the DR
     * region. A break-glass promotion in this region stops its replication and points its connection fields at the
     * promoted cluster.
     */
    secretArn: "secret-arn",
    /** The peer cluster's database security group: fencing the old writer after a break-glass revokes its ingress. */
    peerSecurityGroupId: "peer-db-security-group-id",
    /** The peer cluster's cluster parameter group: fencing sets FENCE_PARAMETER on it. */
    peerClusterParameterGroup: "peer-cluster-parameter-group",
    /** The peer region's KMS key: the copy of the peer's lost-writes snapshot, kept in the peer region, uses it. */
    peerKmsKeyArn: "peer-kms-key-arn",
    /** This region's run-record table (RUNS_TABLE_KEYS). */
    runsTable: "runs-table",
    /** This region's Object-Locked, KMS-encrypted bucket for the run reports (`reportObjectKey`). */
    reportBucket: "report-bucket",
} as const;

/**
 * The independent signals that the peer region, which holds the writer, is lost (as seen by the function in the other
 * region, whose cluster is a secondary). Each is read several times over the detection window and must hold over all
 * of it; an unplanned failover needs `quorum` of them (config `failover.quorum`).
 * - `peer-rds-api`: the peer region's RDS API, and the peer cluster's state there. Reached through this region's NAT
 *   gateway, like the control probe (Route 53) that tells "the peer is down" from "this function cannot reach
 *   anything". Transitional statuses (failing-over, modifying, upgrading, backing-up, ...) are not failures.
 * - `replication-lag`: `AuroraGlobalDBReplicationLag` of this region's own cluster (published for a secondary), read
 *   from CloudWatch in this region: missing, or above the threshold, over the window. Data-plane evidence: storage
 *   replication stops when the writer's storage stops.
 * - `peer-metrics`: `ServerlessDatabaseCapacity` of the peer cluster, read from CloudWatch in the peer region: a
 *   Serverless v2 cluster publishes it every minute while it runs, whatever its load. A different service than the
 *   RDS API, so an RDS control-plane outage alone (the database still serving) is not read as a lost writer.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
 */
export const FAILOVER_SIGNALS = ["peer-rds-api", "replication-lag", "peer-metrics"] as const;
export type FailoverSignal = (typeof FAILOVER_SIGNALS)[number];

/** Bounds of the detection window: several probes spread over at least 30 s, and well inside the function's time. */
export const DETECTION_WINDOW_SECONDS = { min: 30, max: 300, default: 60 } as const;
/** Bounds of the quorum: never fewer than two signals; at most all of them. */
export const QUORUM = { min: 2, max: FAILOVER_SIGNALS.length, default: 2 } as const;
/** Bounds of the accepted age of an alarm event (the function's async retries keep an event up to an hour). */
export const MAX_EVENT_AGE_SECONDS = { min: 60, max: 3_600, default: 900 } as const;

/**
 * Probes per signal over the window: the first at its start, the last at its end. Four probes over the default
 * 60 s window are 20 s apart.
 */
export const PROBES_PER_WINDOW = 4;

/**
 * The deadline of each step of a run, in seconds: a step that runs out fails the run loudly (and a re-run resumes).
 * Their sum, with the detection window, is the orchestration term of the recovery budget, and it fits in the
 * function's timeout with NOTIFY_RESERVE_SECONDS to spare.
 * - `assess`: the reads of the world; the detection window is added to it.
 * - `act`: one FailoverGlobalCluster or SwitchoverGlobalCluster call.
 * - `wait-for-writer`: AWS's promotion, "under a minute" (aurora-global-database.html), with room for a slow one.
 */
export const STEP_DEADLINE_SECONDS = {
    assess: 30,
    lock: 15,
    "notify-start": 10,
    act: 30,
    "wait-for-writer": 300,
    repoint: 30,
    verify: 30,
    notify: 10,
    release: 10,
} as const;

/** Time kept before the function's timeout for the failure notification and the release of the lock. */
export const NOTIFY_RESERVE_SECONDS = 20;

/** The longest any single AWS call may take before it is aborted, in seconds. */
export const CALL_TIMEOUT_SECONDS = 10;

/** While waiting for the promoted writer, the longest pause between two reads of its state (seconds). */
export const WRITER_POLL_SECONDS = 5;

/**
 * Concurrent executions reserved for the function: the replication-lag alarm, the health-check alarm and a retry may
 * each start one, and the on-call CLI needs one more. Lambda refuses a reservation that leaves an account fewer
 * than 10 unreserved executions (the README says so).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export const ORCHESTRATOR_RESERVED_CONCURRENCY = 4;

/** The namespace of the orchestrator's own metrics (e.g. `LockRefusals`, published in embedded metric format). */
export const FAILOVER_METRICS_NAMESPACE = "HealthcareDR/Failover";

/** The run's lock lease: short, renewed while the run is alive, so that a crashed holder blocks others briefly. */
export const LOCK_LEASE_SECONDS = 60;

/**
 * The parameter applications read to learn which region holds the writer: `/healthcare/<environment>/active-region`.
 * The same name in each region (SSM parameters are regional): a run sets its own region's copy (a required step) and
 * the peer region's (best effort, within PEER_WRITE_DEADLINE_SECONDS: the peer region may be the one that is down).
 */
export function activeRegionParameterName(environment: string): string {
    return parameterPath(environment, "active-region");
}

/**
 * The longest the best-effort write of the peer region's `active-region` may take, in seconds. It never fails or
 * blocks a run: a failure is reported in the final message, with the command that sets it by hand.
 */
export const PEER_WRITE_DEADLINE_SECONDS = 5;

/**
 * The replication-lag alarm of a region's orchestrator, on its own cluster's `AuroraGlobalDBReplicationLag`. The same
 * name in each region (CloudWatch alarm names are regional).
 */
export function replicationLagAlarmName(stack: string): string {
    return physicalName(stack, ["failover", "replication-lag"], 255);
}

/**
 * The us-east-1 (ROUTE53_METRICS_REGION) alarm on the Route 53 health check of `watchedRegion`'s cluster liveness,
 * forwarded to the OTHER region's event bus, whose orchestrator it may start: e.g. `hdr-prod-failover-eu-west-2-down`
 * wakes the eu-west-1 function. Its events arrive with `region: us-east-1`.
 */
export function peerDownAlarmName(stack: string, watchedRegion: string): string {
    return physicalName(stack, ["failover", watchedRegion, "down"], 255);
}

/** The lock table: a deterministic name, so that operators can find it during an incident. */
export function lockTableName(stack: string): string {
    return physicalName(stack, ["failover", "lock"]);
}

/**
 * The ARN of a region's lock table (the same name in each region, `lockTableName`): written from stack config only, so
 * that an orchestrator knows its peer's table without looking anything up in the peer region (static stability).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html#amazondynamodb-resources-for-iam-policies
 */
export function lockTableArn(account: { readonly partition: string; readonly accountId: string }, region: string, stack: string): string {
    return tableArn({ partition: account.partition, region, accountId: account.accountId, tableName: lockTableName(stack) });
}

/** The counts and capacities an orchestrator's application parameters carry (FailoverOrchestrator `application`). */
export interface OrchestratorApplicationCounts {
    /** Tasks in the active region (`application.desiredCount`): the least the region taking over scales to. */
    readonly activeCount: number;
    /** Tasks in the standby region (`application.standby.count`, 0 for pilot light): the old region's count after. */
    readonly standbyCount: number;
    /** `application.autoscaling.min`: the scalable target's minimum set in the region taking over. */
    readonly minCount: number;
    /** `application.autoscaling.max`: the scalable target's maximum; no arrival count goes above it. */
    readonly maxCount: number;
    /** `database.minCapacity` (ACU): what aftercare restores the raised Aurora Serverless minimum to. */
    readonly dbMinCapacity: number;
    /** `database.maxCapacity` (ACU): the raise on arrival never goes above it. */
    readonly dbMaxCapacity: number;
}

/**
 * What is wrong with an orchestrator's application counts, one sentence per problem naming the field (empty: none).
 * The runtime scales to these values during an outage, when a bad one can no longer be fixed by a deploy.
 */
export function applicationCountProblems(c: OrchestratorApplicationCounts): string[] {
    const problems: string[] = [];
    for (const key of ["activeCount", "standbyCount", "minCount", "maxCount"] as const) {
        if (!Number.isInteger(c[key]) || c[key] < 0) {
            problems.push(`application.${key} must be a whole number of tasks, 0 or more (got ${c[key]})`);
        }
    }
    if (c.activeCount < 1) {
        problems.push(`application.activeCount must be at least 1: the region taking over must run the application (got ${c.activeCount})`);
    }
    if (!(c.minCount <= c.activeCount && c.activeCount <= c.maxCount)) {
        problems.push(
            `application.activeCount must lie between minCount and maxCount (got ${c.minCount} <= ${c.activeCount} <= ${c.maxCount})`,
        );
    }
    if (c.standbyCount > c.activeCount) {
        problems.push(`application.standbyCount must not exceed activeCount (got ${c.standbyCount} > ${c.activeCount})`);
    }
    if (!(c.dbMinCapacity >= 0 && c.dbMinCapacity <= c.dbMaxCapacity && c.dbMaxCapacity > 0)) {
        problems.push(
            `application.dbMinCapacity must be 0 or more and at most dbMaxCapacity, which must be above 0 (got ${c.dbMinCapacity} and ${c.dbMaxCapacity})`,
        );
    }
    return problems;
}

/** The writer record's name in the private hosted zone, e.g. `writer.db.dev.healthcare.internal`. */
export function writerRecordName(stack: string): string {
    return `writer.db.${stack}.healthcare.internal`;
}

/** The private hosted zone's name. */
export function privateZoneName(stack: string): string {
    return `db.${stack}.healthcare.internal`;
}

/**
 * The function's timeout: Lambda's largest, 900 s. A run never counts on it: every step has its own deadline
 * (STEP_DEADLINE_SECONDS), and the longest run the settings allow (`orchestrationDeadlineSeconds` with the largest
 * detection window, plus NOTIFY_RESERVE_SECONDS) fits inside it, which a test checks.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
export const ORCHESTRATOR_TIMEOUT_SECONDS = 900;

/**
 * The longest a run may take with a detection window of `detectionWindowSeconds`: the window plus every step's
 * deadline. This, not the function's timeout, is the orchestration term of the recovery budget.
 */
export function orchestrationDeadlineSeconds(detectionWindowSeconds: number): number {
    return detectionWindowSeconds + Object.values(STEP_DEADLINE_SECONDS).reduce((a, b) => a + b, 0);
}

/**
 * The replication-lag alarm of each region's orchestrator: `AuroraGlobalDBReplicationLag` of its own cluster (AWS
 * publishes it for a secondary only), in milliseconds. Missing data is not breaching: either region's cluster can be
 * the writer, which publishes no lag, and the alarm must stay quiet there with no deploy after a failover; a silent
 * writer is the heartbeat path's to see (`peerDownAlarmName`). An alarm that still reaches the writer's function is
 * answered `not-needed`.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
 */
export const REPLICATION_LAG_ALARM = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 } as const;

/**
 * Where Route 53 publishes its health-check metrics (`AWS/Route53`, e.g. `HealthCheckStatus`): us-east-1, whatever
 * the check watches. A CloudWatch alarm evaluates metrics of its own region, so the alarm on the health check must
 * be declared there too. Fixed by AWS, hence a constant and not a config key.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
 */
export const ROUTE53_METRICS_REGION = "us-east-1";

/**
 * The alarm on the Route 53 health check's `HealthCheckStatus` metric (in ROUTE53_METRICS_REGION). The one
 * definition of its timing: the alarm (lib/alarms.ts `healthCheckAlarm`, used by the FailoverOrchestrator) and the
 * recovery budget's health-check path (lib/recoveryBudget.ts) both read it. One period is enough: the health check
 * follows the replication-lag alarm, which has already waited REPLICATION_LAG_ALARM's three minutes.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
 */
export const HEALTH_CHECK_ALARM = { periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1 } as const;

/**
 * What a manual request must repeat to confirm it: `<stack>:<action>:<target region>`; for a break-glass
 * `<stack>:<target region>:detach`, which names what it does to the target region's cluster (it leaves the global
 * database for good).
 */
export function confirmationOf(stack: string, action: FailoverAction, targetRegion: string): string {
    return action === "break-glass" ? `${stack}:${targetRegion}:detach` : `${stack}:${action}:${targetRegion}`;
}

/** The command that starts a failover by hand; manual mode sends it with the alarm. */
export function failoverCommand(stack: string, targetRegion: string, action: FailoverAction = "failover"): string {
    return `npm run failover -- --stack ${stack} --action ${action} --to ${targetRegion} --confirm ${confirmationOf(stack, action, targetRegion)}`;
}

/** The function's environment, as the component sets it (and as the integration tests run the handler with). */
export function orchestratorEnvironment(args: { environment: string; lockTableName: string }): Record<string, string> {
    return {
        [ORCHESTRATOR_ENV.environment]: args.environment,
        [ORCHESTRATOR_ENV.lockTable]: args.lockTableName,
        POWERTOOLS_SERVICE_NAME: "failover-orchestrator",
        POWERTOOLS_LOG_LEVEL: "INFO",
    };
}

/** The function's name: deterministic, so that the on-call CLI can invoke it from the stack name alone. */
export function orchestratorFunctionName(stack: string): string {
    // Lambda function names are at most 64 characters.
    return physicalName(stack, ["failover", "orchestrator"], 64);
}

/**
 * The Aurora identifiers AuroraPair gives the stack's global cluster and clusters (components/AuroraPair.ts), for the
 * stack's `database.seed` (default: generation 1, the database as first deployed; after a rebuild the global cluster
 * and the rebuilt cluster carry `-g<n>`: lib/database.ts `auroraLayout`).
 */
export function auroraIdentifiers(
    stack: string,
    primaryRegion: string,
    drRegion: string,
    seed?: DatabaseSeed,
): { global: string; primary: string; dr: string } {
    const layout = auroraLayout(stack, { primary: primaryRegion, dr: drRegion }, seed);
    return { global: layout.global.identifier, primary: layout.clusters.primary.identifier, dr: layout.clusters.dr.identifier };
}

/**
 * The run-record table of each region (one per region, the same name): every run of the region's function (a
 * switchover, a failover, a break-glass, a refusal, a dry run) writes one item when it starts and updates it when it
 * ends, so that `npm run failover -- history` lists them in order. Partition key `stack`; sort key `runKey` =
 * `<start time, ISO 8601>#<runId>`, so that a Query returns the runs of a stack newest first with `ScanIndexForward:
 * false`. Separate from the lock table, whose one item per global cluster each run overwrites.
 */
export const RUNS_TABLE_KEYS = { partition: "stack", sort: "runKey" } as const;

export function runsTableName(stack: string): string {
    return physicalName(stack, ["failover", "runs"]);
}

/** The sort key of a run's record. Pure. */
export function runKeyOf(startedAt: string, runId: string): string {
    return `${startedAt}#${runId}`;
}

/** Where a run's JSON report is written in the region's report bucket (an object written once, under Object Lock). */
export function reportObjectKey(stack: string, startedAt: string, runId: string): string {
    return `runs/${stack}/${startedAt.slice(0, 4)}/${startedAt.slice(0, 10)}-${runId}.json`;
}

/**
 * The schedule that wakes each region's function for the work that must wait for the peer region to answer: fencing
 * the old writer after a break-glass (retried, and paged, until it holds) and preserving the lost-writes snapshot after
 * an unplanned failover. Deployed in both regions beforehand (static stability): nothing needs a deploy during an
 * outage. The function admits a scheduled event only from this rule.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
 */
export const AFTERCARE_SCHEDULE = "rate(5 minutes)";

/**
 * The key of the aftercare item in each region's lock table: one item per global cluster, one attribute per kind of
 * open work (the fence after a break-glass, the lost writes after an unplanned failover).
 */
export function aftercareItemKey(globalClusterId: string): string {
    return `aftercare#${globalClusterId}`;
}

export function aftercareRuleName(stack: string): string {
    return physicalName(stack, ["failover", "aftercare"], 64);
}

/**
 * What fencing sets on the old writer's cluster parameter group after a break-glass: every new transaction is read
 * only. A dynamic PostgreSQL parameter (applied at once); it is a second line behind the revoked security-group
 * ingress, since a session can still override it.
 * @see https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-DEFAULT-TRANSACTION-READ-ONLY
 */
export const FENCE_PARAMETER = { name: "default_transaction_read_only", value: "1", applyMethod: "immediate" } as const;

/**
 * The automated snapshot Aurora tries to take of the old primary after an unplanned `FailoverGlobalCluster`
 * (`rds:unplanned-global-failover-<cluster>-<timestamp>`). It expires with that cluster's backup retention, so the
 * orchestrator copies it to a manual snapshot (`lostWritesSnapshotName`) as soon as the old region answers.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 */
export const UNPLANNED_FAILOVER_SNAPSHOT_PREFIX = "rds:unplanned-global-failover-";

/** The manual snapshot the lost writes of `clusterIdentifier` are kept in, for run `runId`. */
export function lostWritesSnapshotName(clusterIdentifier: string, runId: string): string {
    // DB cluster snapshot identifiers: letters, digits and hyphens, a letter first, no "--", no trailing hyphen, ≤ 255.
    // @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html
    const id = `${clusterIdentifier}-lost-writes-${runId}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, "-")
        .replace(/-+/g, "-")
        .replace(/-$/, "");
    return id.slice(0, 255).replace(/-$/, "");
}
