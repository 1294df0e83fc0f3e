import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import {
    ALB_TLS_POLICY,
    applicationClusterName,
    applicationServiceName,
    HEALTH_CHECK_GRACE_SECONDS,
    TARGET_HEALTH_CHECK,
    type ApplicationSettings,
} from "../lib/application";
import {
    ALB_LOG_PREFIX,
    executionRolePolicy,
    imageUri,
    repositoryArn,
    taskRolePolicy,
    WAF_LOG_GROUP_PREFIX,
    WAF_MANAGED_RULE_GROUPS,
    WAF_RATE_LIMIT,
    WAF_REDACTED_HEADERS,
} from "../lib/applicationTier";
import { serviceTrustPolicy, toJson } from "../lib/iam";
import { physicalName } from "../lib/naming";

/** HTTPS, the only port the load balancer serves (and the one the internet may reach). */
const HTTPS_PORT = 443;
/** HTTP: the listener that only redirects to HTTPS. */
const HTTP_PORT = 80;
/** The container's name in the task definition (the target of the load balancer). */
export const APP_CONTAINER_NAME = "app";

export interface ApplicationTierArgs {
    /** The account and partition the ARNs are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** Pulumi stack name: the cluster, service and log-group names. */
    readonly stack: string;
    /** The AWS region of this tier; must be the region of the provider passed in the options. */
    readonly region: string;
    /**
     * Whether this region is the writer at deploy time (`healthcare-dr:activeRegion`): it then starts with
     * `desiredCount` tasks and `autoscaling.min`; the other with `standby.count` for both. After creation the
     * orchestrators own both values (`ignoreChanges`).
     */
    readonly active: boolean;
    /** The validated `healthcare-dr:application`. */
    readonly settings: ApplicationSettings;
    readonly vpcId: pulumi.Input<string>;
    /** Subnets of the load balancer: the public tier. */
    readonly publicSubnetIds: pulumi.Input<string[]>;
    /** Subnets of the tasks: the private tier (no public address; AWS APIs through the VPC endpoints). */
    readonly privateSubnetIds: pulumi.Input<string[]>;
    /** The network's application security group (RegionalNetwork): the tasks' group. */
    readonly applicationSecurityGroupId: pulumi.Input<string>;
    /** The region's customer-managed key: logs, secret and buckets. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The master secret as this region holds it (the primary secret at home, its replica in the other region). */
    readonly secretArn: pulumi.Input<string>;
    /** This region's data buckets, which the application reads and writes. */
    readonly bucketArns: readonly pulumi.Input<string>[];
    /** The region's access-log bucket (SSE-S3, with the ALB log-delivery statement): the ALB's access logs. */
    readonly accessLogBucketName: pulumi.Input<string>;
    /** Days the task and WAF log groups keep their events. */
    readonly logRetentionDays: number;
    /**
     * ECS Exec into the tasks. Off in prod (a shell in a task holding patient data is an access path outside the
     * application's audit trail).
     * @default false
     */
    readonly enableExecuteCommand?: boolean;
    /**
     * Admit HTTP (80) from the internet to the load balancer, whose port-80 listener only redirects to HTTPS. Off: the
     * pack's `no-public-ingress` admits only 443 from the internet, so `http://` is not answered at all (browsers given
     * the `https://` name are not affected).
     * @default false
     */
    readonly admitHttpRedirect?: boolean;
    /** Deletion protection of the load balancer. @default false */
    readonly protect?: boolean;
    /** Resources that must exist before the load balancer (the access-log bucket's policy). @default [] */
    readonly loadBalancerDependsOn?: readonly pulumi.Resource[];
    /** Tags for every taggable resource. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The application in one region: an ECS Fargate service in the private subnets behind an internet-facing ALB
 * (HTTPS only, WAF, access logs), its image from the region's own ECR copy, its counts set for this region's role at
 * deploy and owned by the orchestrators after. Both regions declare the same tier; only the counts differ.
 */
export class ApplicationTier extends pulumi.ComponentResource {
    public readonly albArn: pulumi.Output<string>;
    public readonly albDnsName: pulumi.Output<string>;
    /** The ALB's canonical hosted zone: the alias records' `zoneId`. */
    public readonly albZoneId: pulumi.Output<string>;
    public readonly targetGroupArn: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    /** The HTTPS listener. */
    public readonly listenerArn: pulumi.Output<string>;
    public readonly webAclArn: pulumi.Output<string>;
    /** The validated certificate (after its DNS validation). */
    public readonly certificateArn: pulumi.Output<string>;
    /** `https://<albDnsName><healthPath>`: the orchestrator's synthetic request (with the application's Host/SNI). */
    public readonly checkUrl: pulumi.Output<string>;
    /** The tasks' log group. */
    public readonly logGroupName: pulumi.Output<string>;
    /** The load balancer's security group. */
    public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;

    private readonly name: string;
    private readonly args: ApplicationTierArgs;
    private readonly tags: Readonly<Record<string, string>>;

    constructor(name: string, args: ApplicationTierArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:ApplicationTier", name, {}, opts);
        this.name = name;
        this.args = args;
        this.tags = args.tags ?? {};

        const logGroup = this.logGroup();
        const roles = this.roles(logGroup);
        const cluster = this.cluster();
        const taskDefinition = this.taskDefinition(logGroup, roles);
        const albSg = this.securityGroups();
        const alb = this.loadBalancer(albSg);
        const certificate = this.certificate();
        const targetGroup = this.targetGroup();
        const listener = this.listeners(alb, certificate, targetGroup);
        const service = this.service(cluster, taskDefinition, targetGroup, listener);
        this.autoscaling(cluster, service);
        const webAcl = this.firewall(alb);
        this.openToInternet(albSg, webAcl.association);

        this.albArn = alb.arn;
        this.albDnsName = alb.dnsName;
        this.albZoneId = alb.zoneId;
        this.targetGroupArn = targetGroup.arn;
        this.clusterName = cluster.name;
        this.serviceName = service.name;
        this.listenerArn = listener.arn;
        this.webAclArn = webAcl.acl.arn;
        this.certificateArn = certificate;
        this.checkUrl = pulumi.interpolate`https://${alb.dnsName}${args.settings.healthPath}`;
        this.logGroupName = logGroup.name;
        this.loadBalancerSecurityGroupId = albSg.id;
        this.registerOutputs({
            albArn: this.albArn,
            albDnsName: this.albDnsName,
            albZoneId: this.albZoneId,
            targetGroupArn: this.targetGroupArn,
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            listenerArn: this.listenerArn,
            webAclArn: this.webAclArn,
            certificateArn: this.certificateArn,
            checkUrl: this.checkUrl,
        });
    }

    private tagged(suffix: string): Record<string, string> {
        return { ...this.tags, Name: `${this.name}-${suffix}` };
    }

    /** The tasks' log group, encrypted with the region's key (the key policy admits this region's log groups). */
    private logGroup(): aws.cloudwatch.LogGroup {
        return new aws.cloudwatch.LogGroup(
            `${this.name}-tasks`,
            { kmsKeyId: this.args.kmsKeyArn, retentionInDays: this.args.logRetentionDays, tags: this.tagged("tasks") },
            { parent: this },
        );
    }

    /**
     * The execution role (ECS pulls the image, writes the logs, injects the secret) and the task role (what the
     * application itself may do), each trusted by ECS tasks of this account only.
     * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html#create_task_iam_policy_and_role
     */
    private roles(logGroup: aws.cloudwatch.LogGroup): { execution: aws.iam.Role; task: aws.iam.Role } {
        const a = this.args;
        const trust = toJson(serviceTrustPolicy("ecs-tasks.amazonaws.com", a.account.accountId));
        const role = (suffix: string, description: string) =>
            new aws.iam.Role(
                `${this.name}-${suffix}`,
                { description, assumeRolePolicy: trust, tags: this.tagged(suffix) },
                { parent: this },
            );
        const execution = role("execution", `ECS pulls the application image, writes its logs and injects its secret in ${a.region}`);
        const task = role("task", `The application's tasks in ${a.region}: its database secret and data buckets`);
        const repository = repositoryArn({
            partition: a.account.partition,
            accountId: a.account.accountId,
            region: a.region,
            repository: a.settings.repository,
        });
        new aws.iam.RolePolicy(
            `${this.name}-execution`,
            {
                role: execution.id,
                policy: pulumi.all([logGroup.arn, a.secretArn, a.kmsKeyArn]).apply(([logGroupArn, secretArn, kmsKeyArn]) =>
                    toJson(
                        executionRolePolicy({
                            partition: a.account.partition,
                            region: a.region,
                            repositoryArn: repository,
                            logGroupArn,
                            secretArn,
                            kmsKeyArn,
                        }),
                    ),
                ),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${this.name}-task`,
            {
                role: task.id,
                policy: pulumi
                    .all([a.secretArn, a.kmsKeyArn, pulumi.all([...a.bucketArns])])
                    .apply(([secretArn, kmsKeyArn, bucketArns]) =>
                        toJson(taskRolePolicy({ region: a.region, secretArn, kmsKeyArn, bucketArns })),
                    ),
            },
            { parent: this },
        );
        return { execution, task };
    }

    /**
     * The ECS cluster, with Container Insights (per-task CPU, memory and network metrics).
     * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContainerInsights.html
     */
    private cluster(): aws.ecs.Cluster {
        return new aws.ecs.Cluster(
            `${this.name}-cluster`,
            {
                name: applicationClusterName(this.args.stack),
                settings: [{ name: "containerInsights", value: "enabled" }],
                tags: this.tagged("cluster"),
            },
            { parent: this },
        );
    }

    /**
     * The task definition: Fargate, awsvpc, the region's own copy of the image, a read-only root file system, no
     * privilege, logs to the KMS-encrypted group, the database secret injected by ECS from the region's copy.
     * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
     * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
     */
    private taskDefinition(
        logGroup: aws.cloudwatch.LogGroup,
        roles: { execution: aws.iam.Role; task: aws.iam.Role },
    ): aws.ecs.TaskDefinition {
        const a = this.args;
        const s = a.settings;
        const image = imageUri({ accountId: a.account.accountId, region: a.region, repository: s.repository, tag: s.imageTag });
        const containers = pulumi.all([logGroup.name, a.secretArn]).apply(([logGroupName, secretArn]) =>
            JSON.stringify([
                {
                    name: APP_CONTAINER_NAME,
                    image,
                    essential: true,
                    portMappings: [{ containerPort: s.port, protocol: "tcp" }],
                    readonlyRootFilesystem: true,
                    privileged: false,
                    // The application reads the writer endpoint, port and credentials from this JSON (AuroraPair's secret).
                    secrets: [{ name: "DATABASE_SECRET", valueFrom: secretArn }],
                    environment: [{ name: "AWS_REGION", value: a.region }],
                    logConfiguration: {
                        logDriver: "awslogs",
                        options: { "awslogs-group": logGroupName, "awslogs-region": a.region, "awslogs-stream-prefix": APP_CONTAINER_NAME },
                    },
                },
            ]),
        );
        return new aws.ecs.TaskDefinition(
            `${this.name}-task`,
            {
                family: physicalName(a.stack, ["app"], 255),
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(s.cpu),
                memory: String(s.memory),
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: roles.execution.arn,
                taskRoleArn: roles.task.arn,
                containerDefinitions: containers,
                tags: this.tagged("task"),
            },
            { parent: this },
        );
    }

    /**
     * The load balancer's group (out only to the tasks on the application port; the internet is admitted last, by
     * `openToInternet`), and the rule admitting the load balancer into the network's application group (RegionalNetwork owns the group; the
     * tasks' egress to the endpoints and the database is already there).
     */
    private securityGroups(): aws.ec2.SecurityGroup {
        const a = this.args;
        const sg = new aws.ec2.SecurityGroup(
            `${this.name}-alb-sg`,
            {
                vpcId: a.vpcId,
                description: "Application load balancer: HTTPS from the internet, to the tasks only",
                tags: this.tagged("alb-sg"),
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${this.name}-alb-to-tasks`,
            {
                securityGroupId: sg.id,
                ipProtocol: "tcp",
                fromPort: a.settings.port,
                toPort: a.settings.port,
                referencedSecurityGroupId: a.applicationSecurityGroupId,
                description: "To the application tasks on the container port",
                tags: this.tagged("alb-to-tasks"),
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${this.name}-tasks-from-alb`,
            {
                securityGroupId: a.applicationSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: a.settings.port,
                toPort: a.settings.port,
                referencedSecurityGroupId: sg.id,
                description: "The application port from the load balancer",
                tags: this.tagged("tasks-from-alb"),
            },
            { parent: this },
        );
        return sg;
    }

    /**
     * The internet-facing ALB in the public subnets: invalid header fields dropped (request smuggling), deletion
     * protection when protected, access logs to the region's access-log bucket (SSE-S3, the only encryption ALB log
     * delivery supports).
     * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes
     * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
     */
    private loadBalancer(sg: aws.ec2.SecurityGroup): aws.lb.LoadBalancer {
        const a = this.args;
        return new aws.lb.LoadBalancer(
            `${this.name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                securityGroups: [sg.id],
                subnets: a.publicSubnetIds,
                dropInvalidHeaderFields: true,
                enableDeletionProtection: a.protect ?? false,
                accessLogs: { bucket: a.accessLogBucketName, prefix: ALB_LOG_PREFIX, enabled: true },
                tags: this.tagged("alb"),
            },
            // ELB checks on creation that it may write to the bucket: the bucket policy first.
            { parent: this, dependsOn: [...(a.loadBalancerDependsOn ?? [])] },
        );
    }

    /**
     * The certificate for the application's name in this region (ACM is regional: one per region), DNS-validated in the
     * application's zone. ACM gives the same validation record for a name in every region of an account, so both
     * regions write the same record (`allowOverwrite`), and either region's record keeps validating both.
     * @see https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html
     * @see https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
     * @see https://github.com/hashicorp/terraform-provider-aws/issues/13653
     */
    private certificate(): pulumi.Output<string> {
        const a = this.args;
        const certificate = new aws.acm.Certificate(
            `${this.name}-certificate`,
            { domainName: a.settings.domainName, validationMethod: "DNS", tags: this.tagged("certificate") },
            { parent: this },
        );
        const option = certificate.domainValidationOptions.apply((options) => options[0]!);
        const record = new aws.route53.Record(
            `${this.name}-certificate-validation`,
            {
                zoneId: a.settings.hostedZoneId,
                name: option.resourceRecordName.apply((n) => n!),
                type: option.resourceRecordType.apply((t) => t!),
                records: [option.resourceRecordValue.apply((v) => v!)],
                ttl: 300,
                allowOverwrite: true,
            },
            { parent: this },
        );
        const validation = new aws.acm.CertificateValidation(
            `${this.name}-certificate`,
            { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
            { parent: this },
        );
        return validation.certificateArn;
    }

    /**
     * The target group: IP targets (awsvpc tasks), HTTP to the tasks. Why not HTTPS: the hop stays in the VPC, from the
     * load balancer's group to the tasks' group only, and ALB does not verify a target's certificate, so TLS there would
     * need a key in every image and still authenticate nothing.
     * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#target-group-routing-configuration
     */
    private targetGroup(): aws.lb.TargetGroup {
        const a = this.args;
        const check = TARGET_HEALTH_CHECK;
        return new aws.lb.TargetGroup(
            `${this.name}-targets`,
            {
                targetType: "ip",
                vpcId: a.vpcId,
                port: a.settings.port,
                protocol: "HTTP",
                protocolVersion: "HTTP1",
                // Draining longer than a request lasts; shorter than the 300 s default, which would hold a scale-in.
                deregistrationDelay: 30,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTP",
                    path: a.settings.healthPath,
                    port: "traffic-port",
                    interval: check.intervalSeconds,
                    timeout: check.timeoutSeconds,
                    healthyThreshold: check.healthyThreshold,
                    unhealthyThreshold: check.unhealthyThreshold,
                    matcher: check.matcher,
                },
                tags: this.tagged("targets"),
            },
            { parent: this },
        );
    }

    /**
     * HTTPS on 443 with a TLS 1.2+ policy, forwarding to the tasks; HTTP on 80 answering only a permanent redirect.
     * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
     */
    private listeners(alb: aws.lb.LoadBalancer, certificateArn: pulumi.Output<string>, targetGroup: aws.lb.TargetGroup): aws.lb.Listener {
        const https = new aws.lb.Listener(
            `${this.name}-https`,
            {
                loadBalancerArn: alb.arn,
                port: HTTPS_PORT,
                protocol: "HTTPS",
                sslPolicy: ALB_TLS_POLICY,
                certificateArn,
                defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
                tags: this.tagged("https"),
            },
            { parent: this },
        );
        new aws.lb.Listener(
            `${this.name}-http`,
            {
                loadBalancerArn: alb.arn,
                port: HTTP_PORT,
                protocol: "HTTP",
                defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: String(HTTPS_PORT), statusCode: "HTTP_301" } }],
                tags: this.tagged("http"),
            },
            { parent: this },
        );
        return https;
    }

    /**
     * The service: Fargate in the private subnets with the application group and no public address, behind the target
     * group, rolled back by the deployment circuit breaker. `desiredCount` is this region's count at creation only:
     * afterwards the orchestrators own it (AWS-FACTS.md, drift: an update would send the stale planned count and undo a
     * failover's scale-out), hence `ignoreChanges`.
     * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
     */
    private service(
        cluster: aws.ecs.Cluster,
        taskDefinition: aws.ecs.TaskDefinition,
        targetGroup: aws.lb.TargetGroup,
        listener: aws.lb.Listener,
    ): aws.ecs.Service {
        const a = this.args;
        return new aws.ecs.Service(
            `${this.name}-service`,
            {
                name: applicationServiceName(a.stack),
                cluster: cluster.arn,
                taskDefinition: taskDefinition.arn,
                desiredCount: this.initialCount(),
                launchType: "FARGATE",
                // 1.4.0: task ENI traffic (image pull, secrets, logs) goes through the VPC endpoints of the task's subnets.
                platformVersion: "1.4.0",
                networkConfiguration: {
                    subnets: a.privateSubnetIds,
                    securityGroups: [a.applicationSecurityGroupId],
                    assignPublicIp: false,
                },
                loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: APP_CONTAINER_NAME, containerPort: a.settings.port }],
                healthCheckGracePeriodSeconds: HEALTH_CHECK_GRACE_SECONDS,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                enableExecuteCommand: a.enableExecuteCommand ?? false,
                enableEcsManagedTags: true,
                propagateTags: "SERVICE",
                // A pilot light has no task to wait for, and the first image may be pushed after the first deploy.
                waitForSteadyState: false,
                tags: this.tagged("service"),
            },
            // A target group must belong to a listener before a service can register targets in it.
            { parent: this, dependsOn: [listener], ignoreChanges: ["desiredCount"] },
        );
    }

    /** Tasks at creation: the active region's desiredCount, the standby's count elsewhere. */
    private initialCount(): number {
        return this.args.active ? this.args.settings.desiredCount : this.args.settings.standby.count;
    }

    /**
     * Target tracking on CPU between min and max. The minimum at creation follows the region's role (the standby's is
     * its count, 0 for a pilot light); afterwards the orchestrator raises it in the region taking over, so it is ignored.
     * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
     */
    private autoscaling(cluster: aws.ecs.Cluster, service: aws.ecs.Service): void {
        const s = this.args.settings;
        const target = new aws.appautoscaling.Target(
            `${this.name}-scaling`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
                minCapacity: this.args.active ? s.autoscaling.min : s.standby.count,
                maxCapacity: s.autoscaling.max,
                tags: this.tagged("scaling"),
            },
            { parent: this, ignoreChanges: ["minCapacity"] },
        );
        new aws.appautoscaling.Policy(
            `${this.name}-cpu`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: target.serviceNamespace,
                scalableDimension: target.scalableDimension,
                resourceId: target.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                    targetValue: s.autoscaling.targetCpuPercent,
                    scaleOutCooldown: 60,
                    scaleInCooldown: 300,
                },
            },
            { parent: this },
        );
    }

    /**
     * AWS WAF on the ALB: a per-address rate limit, then the AWS managed groups (IP reputation, common, known bad
     * inputs, SQL injection); logs to a KMS-encrypted group whose name starts with `aws-waf-logs-` (WAF requires it),
     * with the credentials and cookies redacted.
     * @see https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
     * @see https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
     */
    private firewall(alb: aws.lb.LoadBalancer): { acl: aws.wafv2.WebAcl; association: aws.wafv2.WebAclAssociation } {
        const a = this.args;
        const metric = (rule: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: rule });
        const acl = new aws.wafv2.WebAcl(
            `${this.name}-waf`,
            {
                scope: "REGIONAL",
                description: `The application's load balancer in ${a.region}`,
                defaultAction: { allow: {} },
                rules: [
                    {
                        name: "rate-limit",
                        priority: 0,
                        action: { block: {} },
                        statement: {
                            rateBasedStatement: {
                                limit: WAF_RATE_LIMIT.limit,
                                evaluationWindowSec: WAF_RATE_LIMIT.evaluationWindowSeconds,
                                aggregateKeyType: "IP",
                            },
                        },
                        visibilityConfig: metric("rate-limit"),
                    },
                    ...WAF_MANAGED_RULE_GROUPS.map((group, i) => ({
                        name: group,
                        priority: i + 1,
                        overrideAction: { none: {} },
                        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
                        visibilityConfig: metric(group),
                    })),
                ],
                visibilityConfig: metric("application"),
                tags: this.tagged("waf"),
            },
            { parent: this },
        );
        const association = new aws.wafv2.WebAclAssociation(
            `${this.name}-waf`,
            { resourceArn: alb.arn, webAclArn: acl.arn },
            { parent: this },
        );
        const logs = new aws.cloudwatch.LogGroup(
            `${this.name}-waf-logs`,
            {
                name: `${WAF_LOG_GROUP_PREFIX}${physicalName(a.stack, ["app"], 512 - WAF_LOG_GROUP_PREFIX.length)}`,
                kmsKeyId: a.kmsKeyArn,
                retentionInDays: a.logRetentionDays,
                tags: this.tagged("waf-logs"),
            },
            { parent: this },
        );
        new aws.wafv2.WebAclLoggingConfiguration(
            `${this.name}-waf`,
            {
                resourceArn: acl.arn,
                logDestinationConfigs: [logs.arn],
                redactedFields: WAF_REDACTED_HEADERS.map((header) => ({ singleHeader: { name: header } })),
            },
            { parent: this },
        );
        return { acl, association };
    }

    /**
     * HTTPS from the internet into the load balancer's group, once the web ACL is associated: on a first deploy nothing
     * from the internet reaches the load balancer before WAF inspects it. HTTP (80, redirect only) when
     * `admitHttpRedirect` is set.
     */
    private openToInternet(sg: aws.ec2.SecurityGroup, association: aws.wafv2.WebAclAssociation): void {
        const fromInternet = (port: number, description: string) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${this.name}-alb-from-internet-${port}`,
                {
                    securityGroupId: sg.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    cidrIpv4: "0.0.0.0/0",
                    description,
                    tags: this.tagged(`alb-${port}`),
                },
                { parent: this, dependsOn: [association] },
            );
        fromInternet(HTTPS_PORT, "HTTPS from the internet");
        if (this.args.admitHttpRedirect === true) {
            fromInternet(HTTP_PORT, "HTTP from the internet: the listener only redirects to HTTPS");
        }
    }
}
