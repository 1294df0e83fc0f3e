/**
 * The contract between the FailoverOrchestrator component (which deploys the function and writes its configuration)
 * and the function's runtime code under `orchestrator/` (which reads it): parameter names, environment variables,
 * the lock table's name, the alarm settings the detection path uses and the command on-call runs. Pure values and
 * functions, shared so that the two sides cannot drift apart; the recovery budget reads the same numbers.
 */
import { parameterPath, physicalName } from "./naming";

/** `automatic`: an alarm starts the failover. `manual`: an alarm only notifies, with the command that starts it. */
export const FAILOVER_MODES = ["automatic", "manual"] as const;
export type FailoverMode = (typeof FAILOVER_MODES)[number];

/** The two things on-call can ask for. */
export const FAILOVER_ACTIONS = ["switchover", "failover"] as const;
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
    primaryRegion: "primary-region",
    primaryClusterArn: "primary-cluster-arn",
    drRegion: "dr-region",
    drClusterArn: "dr-cluster-arn",
    hostedZoneId: "hosted-zone-id",
    recordName: "record-name",
    recordTtl: "record-ttl",
    /** A StringList; absent when the stack has no alert topics. */
    topicArns: "topic-arns",
} as const;

/** The parameter applications read to learn which region holds the writer: `/healthcare/<environment>/active-region`. */
export function activeRegionParameterName(environment: string): string {
    return parameterPath(environment, "active-region");
}

/** The lock table: a deterministic name, so that operators can find it during an incident. */
export function lockTableName(stack: string): string {
    return physicalName(stack, ["failover", "lock"]);
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
 * The function's timeout. Lambda allows at most 900 s; 600 s leaves the managed promotion ("under a minute",
 * aurora-global-database.html) ample room for its bounded wait, and is the orchestration term of the recovery budget
 * when no drill measurement is given.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
export const ORCHESTRATOR_TIMEOUT_SECONDS = 600;

/**
 * The replication-lag alarm (DR region): `AuroraGlobalDBReplicationLag` of the secondary cluster, in milliseconds.
 * Missing data counts as breaching: a secondary that stops hearing from its primary is the failure we look for.
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

/** The command that starts a failover by hand; manual mode sends it with the alarm. */
export function failoverCommand(stack: string, action: FailoverAction = "failover"): string {
    return `npm run failover -- --stack ${stack} --action ${action}`;
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

/** The Aurora identifiers AuroraPair gives the stack's global cluster and clusters (components/AuroraPair.ts). */
export function auroraIdentifiers(stack: string, primaryRegion: string, drRegion: string): { global: string; primary: string; dr: string } {
    return {
        global: physicalName(stack, ["aurora"]),
        primary: physicalName(stack, ["aurora", primaryRegion]),
        dr: physicalName(stack, ["aurora", drRegion]),
    };
}
