/**
 * The application tier of the local topology (topology.ts), in each region, under the names the program uses: an ECS
 * cluster and service (the active region at `desiredCount`, the other at the standby count), the service's scalable
 * target, an ALB with a target group and a registered target, the cluster's Serverless v2 scaling, the orchestrator's
 * APPLICATION_PARAMETERS, and a local HTTP server on 127.0.0.1 standing in for the ALB's health path (the synthetic
 * request goes there; plain http is allowed only to a loopback host, config.ts), which a drill or a test can make fail
 * or slow.
 */
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from "@aws-sdk/client-application-auto-scaling";
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
    CreateClusterCommand,
    CreateServiceCommand,
    ECSClient,
    RegisterTaskDefinitionCommand,
    UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
    CreateLoadBalancerCommand,
    CreateTargetGroupCommand,
    ElasticLoadBalancingV2Client,
    RegisterTargetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ModifyDBClusterCommand, RDSClient } from "@aws-sdk/client-rds";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import * as http from "http";
import type { AddressInfo } from "net";
import { APPLICATION_PARAMETERS, applicationClusterName, applicationServiceName, type ApplicationSettings } from "../../lib/application";
import { failoverParameterPath } from "../../lib/failover";
import { physicalName } from "../../lib/naming";

/**
 * A warm standby of one task: the settings a test passes to `createTopology` (its `application` option) to run the
 * application tier of a stack other than the stack file's (dev's is a pilot light).
 */
export const LOCAL_APPLICATION_DEFAULTS: ApplicationSettings = {
    repository: "clinical-app",
    imageTag: "1.0.0",
    port: 8080,
    healthPath: "/health",
    cpu: 512,
    memory: 1024,
    desiredCount: 2,
    standby: { mode: "warm", count: 1 },
    autoscaling: { min: 2, max: 6, targetCpuPercent: 60 },
    domainName: "app.dev.example.org",
    hostedZoneId: "Z0000000000000000000",
};

/** How the local stand-in of a region's ALB answers the synthetic request. */
export type AppBehaviour = "ok" | "fail" | "slow";

/** The local stand-in of one region's ALB health path. */
export interface LocalAppServer {
    readonly url: string;
    /** The Host headers of the requests it got (the synthetic request names the application). */
    readonly hosts: readonly string[];
    setBehaviour(behaviour: AppBehaviour): void;
    close(): Promise<void>;
}

/** A local HTTP server answering `healthPath`: 200 (ok), 503 (fail), or never within the synthetic timeout (slow). */
export async function startAppServer(healthPath: string, slowMs = 30_000): Promise<LocalAppServer> {
    let behaviour: AppBehaviour = "ok";
    const hosts: string[] = [];
    const server = http.createServer((req, res) => {
        hosts.push(String(req.headers.host ?? ""));
        if (req.url !== healthPath) {
            res.writeHead(404).end();
            return;
        }
        if (behaviour === "slow") {
            const timer = setTimeout(() => res.writeHead(200).end("late"), slowMs);
            timer.unref();
            req.on("close", () => clearTimeout(timer));
            return;
        }
        res.writeHead(behaviour === "ok" ? 200 : 503, { "content-type": "text/plain" }).end(behaviour === "ok" ? "ok" : "unavailable");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    // Never keep a test run or the drill alive.
    server.unref();
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}${healthPath}`,
        hosts,
        setBehaviour: (b) => {
            behaviour = b;
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

export interface LocalApplicationCell {
    readonly targetGroupArn: string;
    readonly loadBalancerArn: string;
    readonly server: LocalAppServer;
    /** The APPLICATION_PARAMETERS written for this region's orchestrator. */
    readonly parameters: Readonly<Record<string, string>>;
}

/** Creates one region's application tier in moto (see the module comment). */
export async function createApplicationCell(
    endpoint: string,
    credentials: { readonly accessKeyId: string; readonly secretAccessKey: string },
    input: {
        readonly stack: string;
        readonly environment: string;
        readonly region: string;
        readonly active: boolean;
        readonly settings: ApplicationSettings;
        readonly clusterIdentifier: string;
        readonly dbMinCapacity: number;
        readonly dbMaxCapacity: number;
    },
): Promise<LocalApplicationCell> {
    const common = { endpoint, region: input.region, credentials: { ...credentials } };
    const s = input.settings;
    const cluster = applicationClusterName(input.stack);
    const service = applicationServiceName(input.stack);
    const count = input.active ? s.desiredCount : s.standby.count;
    const ecs = new ECSClient(common);
    const serverMade = startAppServer(s.healthPath);
    // The load balancer's network: a VPC with two subnets in two zones (an ALB needs two).
    const network = (async () => {
        const ec2 = new EC2Client(common);
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.40.0.0/16" }));
        const vpcId = vpc.Vpc!.VpcId!;
        const subnets = await Promise.all(
            ["a", "b"].map((zone, i) =>
                ec2.send(
                    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.40.${i}.0/24`, AvailabilityZone: `${input.region}${zone}` }),
                ),
            ),
        );
        return { vpcId, subnetIds: subnets.map((x) => x.Subnet!.SubnetId!) };
    })();
    const elbv2 = new ElasticLoadBalancingV2Client(common);
    const balancer = (async () => {
        const { vpcId, subnetIds } = await network;
        const lb = await elbv2.send(
            new CreateLoadBalancerCommand({
                Name: physicalName(input.stack, ["app"], 32),
                Subnets: subnetIds,
                Scheme: "internet-facing",
                Type: "application",
            }),
        );
        const tg = await elbv2.send(
            new CreateTargetGroupCommand({
                Name: physicalName(input.stack, ["app", "tg"], 32),
                Protocol: "HTTP",
                Port: s.port,
                VpcId: vpcId,
                TargetType: "ip",
                HealthCheckPath: s.healthPath,
            }),
        );
        const targetGroupArn = tg.TargetGroups![0]!.TargetGroupArn!;
        await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: "10.40.0.10", Port: s.port }] }));
        return { targetGroupArn, loadBalancerArn: lb.LoadBalancers![0]!.LoadBalancerArn! };
    })();
    const ecsMade = (async () => {
        await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
        const family = physicalName(input.stack, ["app"]);
        await ecs.send(
            new RegisterTaskDefinitionCommand({
                family,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(s.cpu),
                memory: String(s.memory),
                containerDefinitions: [{ name: "app", image: `${s.repository}:${s.imageTag}`, portMappings: [{ containerPort: s.port }] }],
            }),
        );
        await ecs.send(
            new CreateServiceCommand({ cluster, serviceName: service, taskDefinition: family, desiredCount: count, launchType: "FARGATE" }),
        );
        // moto starts a service with no running task; an update runs the desired count at once (as a settled service).
        await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: count }));
        await new ApplicationAutoScalingClient(common).send(
            new RegisterScalableTargetCommand({
                ServiceNamespace: "ecs",
                ResourceId: `service/${cluster}/${service}`,
                ScalableDimension: "ecs:service:DesiredCount",
                MinCapacity: input.active ? s.autoscaling.min : s.standby.count,
                MaxCapacity: s.autoscaling.max,
            }),
        );
    })();
    const scaling = new RDSClient(common).send(
        new ModifyDBClusterCommand({
            DBClusterIdentifier: input.clusterIdentifier,
            ServerlessV2ScalingConfiguration: { MinCapacity: input.dbMinCapacity, MaxCapacity: input.dbMaxCapacity },
            ApplyImmediately: true,
        }),
    );
    const [server, lb] = await Promise.all([serverMade, balancer, ecsMade, scaling]).then(([sv, b]) => [sv, b] as const);
    const A = APPLICATION_PARAMETERS;
    const parameters: Record<string, string> = {
        [A.cluster]: cluster,
        [A.service]: service,
        [A.targetGroupArn]: lb.targetGroupArn,
        // The ALB's synthetic endpoint stands in as the local server (an https URL in AWS).
        [A.checkUrl]: server.url,
        [A.host]: s.domainName,
        [A.activeCount]: String(s.desiredCount),
        [A.standbyCount]: String(s.standby.count),
        [A.minCount]: String(s.autoscaling.min),
        [A.maxCount]: String(s.autoscaling.max),
        [A.dbMinCapacity]: String(input.dbMinCapacity),
        [A.dbMaxCapacity]: String(input.dbMaxCapacity),
    };
    const ssm = new SSMClient(common);
    const path = failoverParameterPath(input.environment);
    await Promise.all(
        Object.entries(parameters).map(([name, value]) =>
            ssm.send(new PutParameterCommand({ Name: `${path}/${name}`, Value: value, Type: "String", Overwrite: true })),
        ),
    );
    return { ...lb, server, parameters };
}
