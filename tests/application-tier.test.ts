/**
 * The application tier as the program declares it (ApplicationTier, ImageRepository) for both stack files: dev a
 * pilot light, prod a warm standby; both regions; the counts by the deploy-time active region; a first preview; and
 * without `healthcare-dr:application`, a stack exactly as before.
 */
import { expect } from "chai";
import {
    ALB_TLS_POLICY,
    APPLICATION_PARAMETERS,
    applicationClusterName,
    applicationServiceName,
    beaconRuleName,
    TARGET_HEALTH_CHECK,
} from "../lib/application";
import { failoverParameterPath } from "../lib/failover";
import { WAF_LOG_GROUP_PREFIX, WAF_MANAGED_RULE_GROUPS } from "../lib/applicationTier";
import { actionsOf, isWildcardAction, type PolicyDocument } from "../lib/iam";
import { UNKNOWN } from "./harness/mocks";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { componentOf, planFailedOver, planStack, resourcesOfType, STACKS, type StackName } from "./harness/stacks";

const T = {
    tier: "healthcare:dr:ApplicationTier",
    images: "healthcare:dr:ImageRepository",
    traffic: "healthcare:dr:ApplicationTraffic",
    parameter: "aws:ssm/parameter:Parameter",
    rule: "aws:cloudwatch/eventRule:EventRule",
    eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
    permission: "aws:lambda/permission:Permission",
    repository: "aws:ecr/repository:Repository",
    replication: "aws:ecr/replicationConfiguration:ReplicationConfiguration",
    lifecycle: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    cluster: "aws:ecs/cluster:Cluster",
    service: "aws:ecs/service:Service",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    scalingTarget: "aws:appautoscaling/target:Target",
    alb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    wafLogging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
} as const;

/** The stack file without `healthcare-dr:application`. */
function withoutApplication(stack: StackName): Record<string, string> {
    const raw = { ...readStackFile(stackFilePath(stack)) };
    delete raw["healthcare-dr:application"];
    return raw;
}

const withoutRuns = new Map<StackName, Promise<ProgramRun>>();
function planWithout(stack: StackName): Promise<ProgramRun> {
    let run = withoutRuns.get(stack);
    if (run === undefined) {
        run = runProgram({ stack, rawConfig: withoutApplication(stack) });
        withoutRuns.set(stack, run);
    }
    return run;
}

/** The resources of the application tier of one region (or of the image repository). */
function inComponent(run: ProgramRun, type: string, componentType: string, region?: string): PlannedResource[] {
    return resourcesOfType(run, type, region).filter((r) => componentOf(run, r)?.type === componentType);
}

function one(run: ProgramRun, type: string, region: string, name?: RegExp): PlannedResource {
    const found = inComponent(run, type, T.tier, region).filter((r) => name === undefined || name.test(r.name));
    expect(found, `${type} in ${region}`).to.have.length(1);
    return found[0]!;
}

const regionsOf = (run: ProgramRun) => [run.config.primaryRegion, run.config.drRegion];

describe("application tier", function () {
    this.timeout(120_000);

    for (const stack of STACKS) {
        describe(`stack ${stack} (${stack === "dev" ? "pilot light" : "warm standby"})`, () => {
            it("declares one ApplicationTier per region and one ImageRepository, on the regions' explicit providers", async () => {
                const run = await planStack(stack);
                expect(resourcesOfType(run, T.tier).map((r) => r.name)).to.deep.equal(["primary-app", "dr-app"]);
                expect(resourcesOfType(run, T.images).map((r) => r.name)).to.deep.equal(["app-images"]);
                const children = run.resources.filter((r) => r.custom && [T.tier, T.images].includes(componentOf(run, r)?.type as never));
                expect(children.length).to.be.above(40);
                for (const r of children) {
                    expect(r.provider, `${r.type} ${r.name}`).to.match(/::pulumi:providers:aws::(primary|dr)$/);
                    expect(regionsOf(run)).to.include(r.region);
                }
                for (const region of regionsOf(run)) {
                    const tier = inComponent(run, T.cluster, T.tier, region);
                    expect(tier, region).to.have.length(1);
                }
            });

            it("starts desiredCount tasks in the active region and the standby count in the other; the orchestrators own both after", async () => {
                const run = await planStack(stack);
                const app = run.config.application!;
                expect(app.standby.mode).to.equal(stack === "dev" ? "pilot-light" : "warm");
                for (const region of regionsOf(run)) {
                    const active = region === run.config.activeRegion;
                    const service = one(run, T.service, region);
                    expect(service.inputs["desiredCount"], region).to.equal(active ? app.desiredCount : app.standby.count);
                    expect(service.options.ignoreChanges).to.deep.equal(["desiredCount"]);
                    const target = one(run, T.scalingTarget, region);
                    expect(target.inputs["minCapacity"], region).to.equal(active ? app.autoscaling.min : app.standby.count);
                    expect(target.inputs["maxCapacity"], region).to.equal(app.autoscaling.max);
                    expect(target.options.ignoreChanges).to.deep.equal(["minCapacity"]);
                }
            });

            it("runs the service on Fargate in the private subnets with the application group, no public address", async () => {
                const run = await planStack(stack);
                const networks = run.outputs["networks"] as Record<
                    "primary" | "dr",
                    { subnetIds: { private: string[] }; securityGroupIds: { application: string } }
                >;
                for (const [label, region] of [
                    ["primary", run.config.primaryRegion],
                    ["dr", run.config.drRegion],
                ] as const) {
                    const service = one(run, T.service, region);
                    expect(service.inputs).to.deep.include({
                        name: applicationServiceName(stack),
                        launchType: "FARGATE",
                        enableExecuteCommand: stack !== "prod",
                        deploymentCircuitBreaker: { enable: true, rollback: true },
                    });
                    expect(service.inputs["networkConfiguration"]).to.deep.equal({
                        subnets: networks[label].subnetIds.private,
                        securityGroups: [networks[label].securityGroupIds.application],
                        assignPublicIp: false,
                    });
                    expect(one(run, T.cluster, region).inputs).to.deep.include({
                        name: applicationClusterName(stack),
                        settings: [{ name: "containerInsights", value: "enabled" }],
                    });
                }
            });

            it("runs each region's own copy of the image, read-only and unprivileged, with its region's secret and encrypted logs", async () => {
                const run = await planStack(stack);
                const app = run.config.application!;
                const secrets = (run.outputs["database"] as { secretArns: Record<"primary" | "dr", string> }).secretArns;
                for (const [label, region] of [
                    ["primary", run.config.primaryRegion],
                    ["dr", run.config.drRegion],
                ] as const) {
                    const definition = one(run, T.taskDefinition, region);
                    expect(definition.inputs).to.deep.include({
                        requiresCompatibilities: ["FARGATE"],
                        networkMode: "awsvpc",
                        cpu: String(app.cpu),
                        memory: String(app.memory),
                    });
                    const [container] = JSON.parse(definition.inputs["containerDefinitions"] as string) as Record<string, unknown>[];
                    expect(container).to.deep.include({
                        image: `${run.config.account.accountId}.dkr.ecr.${region}.amazonaws.com/${app.repository}:${app.imageTag}`,
                        readonlyRootFilesystem: true,
                        privileged: false,
                        portMappings: [{ containerPort: app.port, protocol: "tcp" }],
                        secrets: [{ name: "DATABASE_SECRET", valueFrom: secrets[label] }],
                    });
                    const logGroup = one(run, T.logGroup, region, /-tasks$/);
                    expect(logGroup.inputs["kmsKeyId"]).to.equal((run.outputs["kmsKeyArns"] as Record<string, string>)[label]);
                    expect((container!["logConfiguration"] as { options: Record<string, string> }).options["awslogs-group"]).to.equal(
                        logGroup.state["name"],
                    );
                }
            });

            it("gives the task role only its secret, its region's buckets and key; no wildcard action", async () => {
                const run = await planStack(stack);
                const label = { [run.config.primaryRegion]: "primary", [run.config.drRegion]: "dr" } as Record<string, "primary" | "dr">;
                const bucketArns = run.outputs["bucketArns"] as Record<"primary" | "dr", string[]>;
                for (const region of regionsOf(run)) {
                    const policy = JSON.parse(one(run, T.rolePolicy, region, /-task$/).inputs["policy"] as string) as PolicyDocument;
                    const resources = policy.Statement.flatMap((s) => [s.Resource ?? []].flat());
                    expect(resources.filter((r) => r.startsWith("arn:aws:s3:::")).sort()).to.deep.equal(
                        [...bucketArns[label[region]!], ...bucketArns[label[region]!].map((b) => `${b}/*`)].sort(),
                    );
                    expect(resources).to.not.include("*");
                    for (const st of policy.Statement) for (const a of actionsOf(st)) expect(isWildcardAction(a)).to.equal(false);
                }
            });

            it("puts an internet-facing ALB in the public subnets: HTTPS with a TLS 1.2+ policy, HTTP only redirecting, invalid headers dropped, logs to its region's bucket", async () => {
                const run = await planStack(stack);
                const logBuckets = run.outputs["accessLogBuckets"] as Record<"primary" | "dr", string>;
                const networks = run.outputs["networks"] as Record<"primary" | "dr", { subnetIds: { public: string[] } }>;
                for (const [label, region] of [
                    ["primary", run.config.primaryRegion],
                    ["dr", run.config.drRegion],
                ] as const) {
                    const alb = one(run, T.alb, region);
                    expect(alb.inputs).to.deep.include({
                        internal: false,
                        loadBalancerType: "application",
                        dropInvalidHeaderFields: true,
                        enableDeletionProtection: stack === "prod",
                        subnets: networks[label].subnetIds.public,
                        accessLogs: { bucket: logBuckets[label], prefix: "alb", enabled: true },
                    });
                    const https = one(run, T.listener, region, /-https$/);
                    expect(https.inputs).to.deep.include({ port: 443, protocol: "HTTPS", sslPolicy: ALB_TLS_POLICY });
                    expect(String(https.inputs["certificateArn"])).to.match(new RegExp(`^arn:aws:acm:${region}:`));
                    expect(one(run, T.listener, region, /-http$/).inputs["defaultActions"]).to.deep.equal([
                        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
                    ]);
                    const targets = one(run, T.targetGroup, region);
                    expect(targets.inputs).to.deep.include({ targetType: "ip", port: run.config.application!.port });
                    expect(targets.inputs["healthCheck"]).to.deep.include({
                        path: run.config.application!.healthPath,
                        interval: TARGET_HEALTH_CHECK.intervalSeconds,
                        healthyThreshold: TARGET_HEALTH_CHECK.healthyThreshold,
                    });
                }
            });

            it("admits only HTTPS from the internet, after WAF is in front, and the tasks' port from the ALB only", async () => {
                const run = await planStack(stack);
                for (const region of regionsOf(run)) {
                    const rules = inComponent(run, T.ingress, T.tier, region);
                    const open = rules.filter((r) => r.inputs["cidrIpv4"] === "0.0.0.0/0");
                    expect(open.map((r) => [r.inputs["fromPort"], r.inputs["toPort"]])).to.deep.equal([[443, 443]]);
                    expect(open[0]!.options.dependsOn.some((urn) => urn.includes("WebAclAssociation"))).to.equal(true);
                    const toTasks = rules.filter((r) => r.inputs["cidrIpv4"] === undefined);
                    expect(toTasks.map((r) => r.inputs["fromPort"])).to.deep.equal([run.config.application!.port]);
                }
            });

            it("protects the ALB with the four AWS managed groups and a rate limit, logging to aws-waf-logs-* with credentials redacted", async () => {
                const run = await planStack(stack);
                for (const region of regionsOf(run)) {
                    const acl = one(run, T.webAcl, region);
                    expect(acl.inputs["scope"]).to.equal("REGIONAL");
                    const rules = acl.inputs["rules"] as { name: string; statement: Record<string, unknown> }[];
                    expect(rules.map((r) => r.name)).to.deep.equal(["rate-limit", ...WAF_MANAGED_RULE_GROUPS]);
                    expect(rules[0]!.statement["rateBasedStatement"]).to.deep.include({ aggregateKeyType: "IP" });
                    const logging = one(run, T.wafLogging, region);
                    expect(logging.inputs["redactedFields"]).to.deep.equal([
                        { singleHeader: { name: "authorization" } },
                        { singleHeader: { name: "cookie" } },
                    ]);
                    const group = one(run, T.logGroup, region, /waf-logs$/);
                    expect(String(group.inputs["name"])).to.match(new RegExp(`^${WAF_LOG_GROUP_PREFIX}`));
                    expect(group.inputs["kmsKeyId"]).to.be.a("string");
                    expect(logging.inputs["logDestinationConfigs"]).to.deep.equal([group.state["arn"]]);
                }
            });

            it("keeps the image in both regions: immutable, scanned, each region's key, replicated to the other", async () => {
                const run = await planStack(stack);
                const keys = run.outputs["kmsKeyArns"] as Record<"primary" | "dr", string>;
                const app = run.config.application!;
                for (const [label, region, other] of [
                    ["primary", run.config.primaryRegion, run.config.drRegion],
                    ["dr", run.config.drRegion, run.config.primaryRegion],
                ] as const) {
                    const [repository] = inComponent(run, T.repository, T.images, region);
                    expect(repository!.inputs).to.deep.include({
                        name: app.repository,
                        imageTagMutability: "IMMUTABLE",
                        imageScanningConfiguration: { scanOnPush: true },
                        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: keys[label] }],
                        forceDelete: !run.config.protect,
                    });
                    expect(repository!.options).to.deep.include({ protect: run.config.protect, retainOnDelete: run.config.protect });
                    expect(inComponent(run, T.lifecycle, T.images, region)).to.have.length(1);
                    const [replication] = inComponent(run, T.replication, T.images, region);
                    expect(replication!.inputs["replicationConfiguration"]).to.deep.equal({
                        rules: [
                            {
                                destinations: [{ region: other, registryId: run.config.account.accountId }],
                                repositoryFilters: [{ filter: app.repository, filterType: "PREFIX_MATCH" }],
                            },
                        ],
                    });
                }
            });

            it("exports what the traffic records and the orchestrator need, under application", async () => {
                const run = await planStack(stack);
                const outputs = run.outputs["application"] as Record<string, Record<string, string>>;
                for (const label of ["primary", "dr"] as const) {
                    expect(Object.keys(outputs[label]!).sort()).to.deep.equal(
                        [
                            "albArn",
                            "albDnsName",
                            "albZoneId",
                            "targetGroupArn",
                            "clusterName",
                            "serviceName",
                            "listenerArn",
                            "webAclArn",
                            "certificateArn",
                            "checkUrl",
                        ].sort(),
                    );
                    expect(outputs[label]!["checkUrl"]).to.equal(
                        `https://${outputs[label]!["albDnsName"]}${run.config.application!.healthPath}`,
                    );
                }
                expect(outputs["domainName"]).to.equal(run.config.application!.domainName);
            });

            it("plans a first preview: ALB names and the certificate unknown, the counts and the image known", async () => {
                const run = await planStack(stack, { preview: true });
                const outputs = run.outputs["application"] as Record<string, unknown> | string;
                const primary = typeof outputs === "string" ? outputs : (outputs["primary"] as Record<string, unknown> | string);
                expect(JSON.stringify(primary)).to.include(UNKNOWN);
                for (const region of regionsOf(run)) {
                    expect(one(run, T.service, region).inputs["desiredCount"]).to.be.a("number");
                    expect(one(run, T.listener, region, /-https$/).inputs["certificateArn"]).to.equal(UNKNOWN);
                }
            });

            it("without healthcare-dr:application, declares nothing of it and leaves every other resource exactly as it is", async () => {
                const [withApp, without] = await Promise.all([planStack(stack), planWithout(stack)]);
                expect(without.config.application).to.equal(undefined);
                expect(without.outputs).to.not.have.property("application");
                const appTypes = [T.repository, T.cluster, T.service, T.alb, T.webAcl, T.taskDefinition];
                expect(without.resources.filter((r) => appTypes.includes(r.type as never))).to.deep.equal([]);
                expect(resourcesOfType(without, T.endpoint).map((e) => e.inputs["serviceName"])).to.not.include.members([
                    `com.amazonaws.${without.config.primaryRegion}.ecr.dkr`,
                ]);
                // What the application adds beside its own components (the tiers, the images, the traffic records): two
                // ECR endpoints per region, each orchestrator's application parameters and beacon schedule, the ALB's
                // statement in each access-log bucket policy, the application statements of each orchestrator's role and
                // the reason on the orchestrators' shared HTTPS egress rule. Everything else is the same resource with the
                // same inputs and options.
                const components = [T.tier, T.images, T.traffic];
                const beacon = beaconRuleName(stack);
                const added = (r: PlannedResource) =>
                    components.includes(componentOf(withApp, r)?.type as never) ||
                    components.includes(r.type as never) ||
                    (r.type === T.endpoint && /ecr\.(api|dkr)$/.test(r.name)) ||
                    (r.type === T.parameter &&
                        Object.values(APPLICATION_PARAMETERS).some(
                            (p) => r.inputs["name"] === `${failoverParameterPath(withApp.config.environment)}/${p}`,
                        )) ||
                    ([T.rule, T.eventTarget, T.permission].includes(r.type as never) && /-beacon$/.test(r.name));
                expect(withApp.resources.filter((r) => r.type === T.rule && r.inputs["name"] === beacon)).to.have.length(2);
                const byUrn = new Map(without.resources.map((r) => [r.urn, r]));
                const rest = withApp.resources.filter((r) => !added(r));
                expect(rest.map((r) => r.urn).sort()).to.deep.equal(without.resources.map((r) => r.urn).sort());
                const differing = rest
                    .filter(
                        (r) =>
                            JSON.stringify({ i: r.inputs, o: r.options }) !==
                            JSON.stringify({ i: byUrn.get(r.urn)!.inputs, o: byUrn.get(r.urn)!.options }),
                    )
                    .map((r) => `${r.type} ${r.name}`);
                expect(differing.sort()).to.deep.equal(
                    ["dr", "primary"]
                        .flatMap((r) => [
                            `${T.rolePolicy} ${r}-failover-policy`,
                            `${T.bucketPolicy} ${r}-access-logs`,
                            `${T.egress} ${r}-network-orchestrator-to-https`,
                        ])
                        .sort(),
                );
            });
        });
    }

    it("after a failover (activeRegion = DR), no standby resource keeps the active counts: they swap", async () => {
        const [home, away] = await Promise.all([planStack("prod"), planFailedOver("prod")]);
        const app = home.config.application!;
        const counts = (run: ProgramRun, region: string) => [
            one(run, T.service, region).inputs["desiredCount"],
            one(run, T.scalingTarget, region).inputs["minCapacity"],
        ];
        expect(counts(home, home.config.primaryRegion)).to.deep.equal([app.desiredCount, app.autoscaling.min]);
        expect(counts(home, home.config.drRegion)).to.deep.equal([app.standby.count, app.standby.count]);
        expect(counts(away, away.config.drRegion)).to.deep.equal([app.desiredCount, app.autoscaling.min]);
        expect(counts(away, away.config.primaryRegion)).to.deep.equal([app.standby.count, app.standby.count]);
    });
});
