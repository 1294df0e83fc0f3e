/**
 * The application tier's shared contract: its settings (`healthcare-dr:application`), the names both regions use,
 * the orchestrator parameters that describe it, and the metrics through which the orchestrators move its traffic.
 *
 * The program (`components/ApplicationTier.ts`, `components/ApplicationTraffic.ts`), the orchestrator's runtime
 * (`orchestrator/src/application.ts`) and the policy pack all read these, so that none of them spells a name twice.
 *
 * How traffic moves, through the data plane only (AWS-FACTS.md, "Route 53 control plane"): the application's public
 * name is a pair of Route 53 failover alias records, one per region, each with a CALCULATED health check that is
 * healthy only when both of its children are:
 * - `ServingReady{Stack, Region=R}` in region R (published by R's orchestrator: 1 when R is the active region by its
 *   own `active-region` copy and its application answers), a CLOUDWATCH_METRIC check whose missing data is
 *   Unhealthy: a region that stops saying it is ready stops getting traffic;
 * - `PeerFenced{Stack, Region=R}` in the other region (published there: 1 while the other region is the active one
 *   and so R must not serve), a CLOUDWATCH_METRIC check whose missing data is Healthy: a dead peer cannot veto.
 * So a promoted region withdraws its old peer without reaching it, and no record turns healthy before the orchestrator
 * of its region has seen the application answer. No `ChangeResourceRecordSets` is ever called during an outage.
 */
import { physicalName } from "./naming";

/** How the region that is not the writer runs the application. */
export const STANDBY_MODES = ["pilot-light", "warm"] as const;
export type StandbyMode = (typeof STANDBY_MODES)[number];

/** `healthcare-dr:application`, validated (config/schema.ts). Absent: the stack has no application tier. */
export interface ApplicationSettings {
    /** ECR repository name (created by the program in both regions, replicated from the active one). */
    readonly repository: string;
    /** The image tag the task definitions run (tags are immutable, so a tag names one image). */
    readonly imageTag: string;
    /** The container port the target group forwards to. */
    readonly port: number;
    /** The path the target group and the orchestrator's synthetic request check, e.g. `/health`. */
    readonly healthPath: string;
    /** Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384). */
    readonly cpu: number;
    /** Fargate task memory, MiB: one of the values AWS allows for `cpu`. */
    readonly memory: number;
    /** Tasks in the active region. */
    readonly desiredCount: number;
    /** The standby region: `pilot-light` runs no task (count 0), `warm` runs `count` (1 to desiredCount). */
    readonly standby: { readonly mode: StandbyMode; readonly count: number };
    /** Target-tracking bounds of the active region's service (min ≤ desiredCount ≤ max) and its CPU target, %. */
    readonly autoscaling: { readonly min: number; readonly max: number; readonly targetCpuPercent: number };
    /** The application's public DNS name, e.g. `app.dev.example.org`; the ACM certificates are for it. */
    readonly domainName: string;
    /** The existing public hosted zone of `domainName`: the failover records and the certificates' validation records. */
    readonly hostedZoneId: string;
}

/** The ECS cluster of the application: the same name in both regions (ECS names are regional). */
export function applicationClusterName(stack: string): string {
    return physicalName(stack, ["app"], 255);
}

/** The ECS service of the application: the same name in both regions. */
export function applicationServiceName(stack: string): string {
    return physicalName(stack, ["app"], 255);
}

/** The metrics the orchestrators publish to move the application's traffic (see the file comment). */
export const APPLICATION_METRICS = {
    namespace: "HealthcareDR/Application",
    /** Published in region R about R: 1 = R is the active region and its application answers; 0 otherwise. */
    servingReady: "ServingReady",
    /** Published in the active region about its peer R: 1 = R must not get traffic; 0 otherwise. */
    peerFenced: "PeerFenced",
    /** Dimensions of both: `Stack` (the stack name) and `Region` (the region the value is about). */
    dimensions: { stack: "Stack", region: "Region" },
    /** Period of both metrics and of the alarms the health checks follow, seconds. */
    periodSeconds: 60,
} as const;

/**
 * The beacon: the orchestrator runs every minute in each region to publish the two metrics above (one minute is the
 * metric period, so a region that stops publishing turns unhealthy within about two) and, in the active region, to
 * record the capacity the standby must reach on arrival.
 */
export const BEACON_SCHEDULE = "rate(1 minute)";

/** The EventBridge rule of the beacon schedule (the same name in both regions). */
export function beaconRuleName(stack: string): string {
    return physicalName(stack, ["app", "beacon"], 64);
}

/**
 * The item of a lock table holding what region `region` ran while it was active: `{ runningCount, auroraPeakAcu,
 * recordedAt }`. The active region's beacon writes it to both regions' lock tables, so that the region taking over
 * reads it locally when the failed one does not answer.
 */
export function capacityItemKey(region: string): string {
    return `capacity#${region}`;
}

/** How long after a promotion the raised Aurora Serverless minimum stays raised before aftercare restores it. */
export const CAPACITY_HOLD_SECONDS = 3_600;

/**
 * The orchestrator parameters describing the application tier (under `failoverParameterPath`): all present when the
 * stack has an application tier, all absent when it has none.
 */
export const APPLICATION_PARAMETERS = {
    /** The ECS cluster name (the same in both regions). */
    cluster: "app-cluster",
    /** The ECS service name (the same in both regions). */
    service: "app-service",
    /** This region's target group ARN: DescribeTargetHealth. */
    targetGroupArn: "app-target-group-arn",
    /** `https://<this region's ALB DNS name><healthPath>`: the synthetic request through the ALB. */
    checkUrl: "app-check-url",
    /** The application's DNS name: the Host header and TLS server name of the synthetic request. */
    host: "app-host",
    /** `desiredCount` of the settings: the floor of the count the standby is scaled to on arrival. */
    activeCount: "app-active-count",
    /** The standby count: what the old region is scaled back to once traffic has left it. */
    standbyCount: "app-standby-count",
    /** `autoscaling.min`: the scalable target's minimum the orchestrator sets in the region taking over. */
    minCount: "app-min-count",
    /** `autoscaling.max`: the scalable target's maximum (unchanged by a move; bounds the arrival count). */
    maxCount: "app-max-count",
    /** The configured Aurora Serverless v2 minimum ACU of this region's cluster: what aftercare restores. */
    dbMinCapacity: "db-min-capacity",
    /** The configured maximum ACU: the raise on arrival never goes above it. */
    dbMaxCapacity: "db-max-capacity",
} as const;

/**
 * The target group's health check (components/ApplicationTier.ts). The recovery budget reads it: a new task receives
 * traffic after `healthyThreshold` consecutive successes `intervalSeconds` apart, so target health takes at most
 * `intervalSeconds × healthyThreshold` after the container answers. Ten seconds is the shortest interval that keeps
 * the timeout (5 s) well under it; two successes is the smallest threshold ALB accepts.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export const TARGET_HEALTH_CHECK = {
    intervalSeconds: 10,
    timeoutSeconds: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    /** HTTP codes that count as healthy. */
    matcher: "200-299",
} as const;

/**
 * Seconds ECS ignores failing load-balancer health checks of a new task: the container's start-up. Part of the
 * application's recovery steps only as an upper bound (a healthy task is marked healthy as soon as the checks pass).
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html#ECS-CreateService-request-healthCheckGracePeriodSeconds
 */
export const HEALTH_CHECK_GRACE_SECONDS = 60;

/**
 * The ALBs' TLS policy: TLS 1.3 and 1.2 only, forward-secret ciphers; the policy AWS recommends for new listeners.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
 */
export const ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
