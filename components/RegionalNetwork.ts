import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { POSTGRES_PORT } from "../lib/database";
import { endpointPolicyFor } from "../lib/endpointPolicy";
import { toJson } from "../lib/iam";
import { flowLogsDeliveryPolicy, flowLogsTrustPolicy } from "../lib/networkPolicy";
import { natGatewayCount, natZoneFor, planSubnets, subnetsOfTier, type NatMode, type SubnetTier } from "../lib/subnets";

/**
 * AWS APIs the workloads of the private subnets reach through interface endpoints: the failover orchestrator
 * (RDS global cluster calls, its SNS alerts, SSM parameters, STS, and its X-Ray traces: active tracing sends them from
 * the function's network interfaces), the secret rotation function (Secrets Manager, KMS), and every function's logs
 * and metrics (CloudWatch Logs, CloudWatch).
 * @see https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html
 * @see https://docs.aws.amazon.com/xray/latest/devguide/xray-security-vpc-endpoint.html
 */
export const DEFAULT_INTERFACE_ENDPOINTS = ["rds", "secretsmanager", "kms", "sns", "ssm", "logs", "sts", "monitoring", "xray"] as const;

/**
 * Gateway endpoints (free, attached to route tables): S3 for the buckets, DynamoDB for the orchestrator's lock table.
 * @see https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html
 */
export const GATEWAY_ENDPOINTS = ["s3", "dynamodb"] as const;

/** HTTPS, the port of every AWS API endpoint. */
const HTTPS_PORT = 443;

export interface RegionalNetworkArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The AWS region of the network; must be the region of the provider passed in the options. */
    readonly region: string;
    /** The VPC's IPv4 CIDR block, /16 to /22. */
    readonly cidr: string;
    /** The availability zones to use, in order; at least `azCount` of them. */
    readonly availabilityZones: pulumi.Input<string[]>;
    /** How many zones the network spans; decides how many subnets exist, so it is a plain value. */
    readonly azCount: number;
    /**
     * NAT gateways: one per zone (`perAz`), one in the first zone (`single`) or none.
     * @default "single"
     */
    readonly natGateways?: NatMode;
    /**
     * Services reached through interface endpoints (the last part of `com.amazonaws.<region>.<service>`).
     * @default DEFAULT_INTERFACE_ENDPOINTS
     */
    readonly interfaceEndpoints?: readonly string[];
    /**
     * Let the orchestrator group reach HTTPS on the internet, through the NAT gateway. The failover orchestrator in
     * the DR region needs it: it probes the other region's RDS API (an interface endpoint serves its own region only)
     * and calls Route 53's API, which is global and has no interface endpoint in the region.
     * @default false
     */
    readonly orchestratorInternetEgress?: boolean;
    /**
     * The stack has an application tier: the orchestrator group reaches HTTPS on the internet, through the NAT gateway,
     * for the synthetic request it sends to this region's internet-facing ALB before moving traffic (the ALB has only
     * public addresses, which change, so no narrower destination exists). The same one rule as
     * `orchestratorInternetEgress` (a second identical rule would be refused as a duplicate); its description names
     * both reasons.
     * @default false
     */
    readonly applicationCheckEgress?: boolean;
    /** ARN of the region's customer-managed KMS key, which encrypts the flow-log group. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * Days the flow-log group keeps its events.
     * @default 365
     */
    readonly flowLogRetentionDays?: number;
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The network of one region: a VPC with public, private (application) and isolated (database) subnets in each
 * zone, NAT for the private tier only, VPC endpoints so that AWS APIs never need the internet, flow logs, and the
 * security groups that keep the database reachable from the application and the orchestrator alone.
 */
export class RegionalNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly isolatedSubnetIds: pulumi.Output<string[]>;
    /** Security group of the application tier; the database admits it on 5432. */
    public readonly applicationSecurityGroupId: pulumi.Output<string>;
    /** Security group of the failover orchestrator and the database tooling (secret rotation); admitted on 5432. */
    public readonly orchestratorSecurityGroupId: pulumi.Output<string>;
    /** Security group of the Aurora clusters. */
    public readonly databaseSecurityGroupId: pulumi.Output<string>;
    /** Security group of the interface endpoints. */
    public readonly endpointSecurityGroupId: pulumi.Output<string>;
    /** DB subnet group over the isolated subnets. */
    public readonly dbSubnetGroupName: pulumi.Output<string>;
    /** The flow-log group's name. */
    public readonly flowLogGroupName: pulumi.Output<string>;
    /** The VPC's CIDR block. */
    public readonly cidr: string;
    /** CIDR blocks of the private subnets, in zone order (from the subnet plan: plain values). */
    public readonly privateSubnetCidrs: readonly string[];
    /** CIDR blocks of the isolated (database) subnets, in zone order. */
    public readonly isolatedSubnetCidrs: readonly string[];
    /** The private tier's route tables, one per zone, in zone order: where a path to another network is routed from. */
    public readonly privateRouteTableIds: readonly pulumi.Output<string>[];
    /** The isolated tier's route table (one for all zones), in a list like the private tier's. */
    public readonly isolatedRouteTableIds: readonly pulumi.Output<string>[];

    constructor(name: string, args: RegionalNetworkArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:RegionalNetwork", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        const partition = args.account.partition;
        const natMode = args.natGateways ?? "single";
        const interfaceServices = args.interfaceEndpoints ?? DEFAULT_INTERFACE_ENDPOINTS;
        const retentionInDays = args.flowLogRetentionDays ?? 365;
        const tags = (suffix: string, extra: Record<string, string> = {}) => ({ ...args.tags, ...extra, Name: `${name}-${suffix}` });
        const parent = { parent: this };

        let plan: ReturnType<typeof planSubnets>;
        try {
            plan = planSubnets(args.cidr, args.azCount);
        } catch (e) {
            throw new pulumi.ResourceError((e as Error).message, this);
        }

        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            { cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") },
            parent,
        );

        // Strip the default security group of its rules, so that nothing placed in it by mistake can talk to anything.
        // @see https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2
        new aws.ec2.DefaultSecurityGroup(
            `${name}-default-sg`,
            { vpcId: vpc.id, ingress: [], egress: [], tags: tags("default-sg") },
            parent,
        );

        const zone = (i: number) => pulumi.output(args.availabilityZones).apply((zones) => zones[i]!);
        const subnets: Record<SubnetTier, aws.ec2.Subnet[]> = { public: [], private: [], isolated: [] };
        for (const tier of ["public", "private", "isolated"] as const) {
            for (const planned of subnetsOfTier(plan, tier)) {
                subnets[tier].push(
                    new aws.ec2.Subnet(
                        `${name}-${tier}-${planned.zoneIndex}`,
                        {
                            vpcId: vpc.id,
                            cidrBlock: planned.cidr,
                            availabilityZone: zone(planned.zoneIndex),
                            // Nothing gets a public address by accident, not even in the public tier (NAT uses an EIP).
                            mapPublicIpOnLaunch: false,
                            tags: tags(`${tier}-${planned.zoneIndex}`, { Tier: tier }),
                        },
                        parent,
                    ),
                );
            }
        }

        // Public tier: the internet gateway route, shared by all zones.
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, parent);
        const publicTable = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, tags: tags("public", { Tier: "public" }) }, parent);
        new aws.ec2.Route(
            `${name}-public-internet`,
            { routeTableId: publicTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
            parent,
        );
        subnets.public.forEach(
            (subnet, i) =>
                new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { routeTableId: publicTable.id, subnetId: subnet.id }, parent),
        );

        const nats: aws.ec2.NatGateway[] = [];
        for (let i = 0; i < natGatewayCount(natMode, args.azCount); i++) {
            const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: tags(`nat-${i}`) }, parent);
            nats.push(
                new aws.ec2.NatGateway(
                    `${name}-nat-${i}`,
                    { allocationId: eip.id, subnetId: subnets.public[i]!.id, connectivityType: "public", tags: tags(`nat-${i}`) },
                    { parent: this, dependsOn: [igw] },
                ),
            );
        }

        // Private tier: one route table per zone, so that with a NAT per zone each zone's egress survives another's loss.
        const privateTables = subnets.private.map((subnet, i) => {
            const table = new aws.ec2.RouteTable(
                `${name}-private-${i}`,
                { vpcId: vpc.id, tags: tags(`private-${i}`, { Tier: "private" }) },
                parent,
            );
            const natZone = natZoneFor(natMode, i);
            if (natZone !== undefined) {
                new aws.ec2.Route(
                    `${name}-private-${i}-nat`,
                    { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nats[natZone]!.id },
                    parent,
                );
            }
            new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { routeTableId: table.id, subnetId: subnet.id }, parent);
            return table;
        });

        // Isolated tier: a route table with the local route only. No internet gateway, no NAT, no endpoint routes:
        // the database needs none of them, so nothing in these subnets can reach (or be reached from) outside the VPC.
        // The one exception is declared elsewhere and named here: RotationPeering adds, in the DR region, the return
        // routes to the primary region's private subnets, where the secret rotation function runs.
        const isolatedTable = new aws.ec2.RouteTable(
            `${name}-isolated`,
            { vpcId: vpc.id, tags: tags("isolated", { Tier: "isolated" }) },
            parent,
        );
        subnets.isolated.forEach(
            (subnet, i) =>
                new aws.ec2.RouteTableAssociation(`${name}-isolated-${i}`, { routeTableId: isolatedTable.id, subnetId: subnet.id }, parent),
        );

        // Security groups. Created without inline rules; every rule is its own resource, as AWS and the provider
        // recommend. The provider removes AWS's default allow-all egress rule from a group it creates.
        // @see https://www.pulumi.com/registry/packages/aws/api-docs/ec2/securitygroup/
        const group = (suffix: string, description: string) =>
            new aws.ec2.SecurityGroup(`${name}-${suffix}`, { vpcId: vpc.id, description, tags: tags(suffix) }, parent);
        const appSg = group("app-sg", "Application tier: reaches the database and AWS APIs");
        const orchestratorSg = group("orchestrator-sg", "Failover orchestrator and database tooling (secret rotation)");
        const dbSg = group("db-sg", "Aurora PostgreSQL: admits 5432 from the application and the orchestrator only");
        const endpointSg = group("endpoints-sg", "Interface VPC endpoints: admit HTTPS from the application and the orchestrator");

        // No endpoint is left with the default policy (full access to any account's resources from the PHI subnets).
        const endpointPolicy = (service: string) =>
            toJson(endpointPolicyFor(service, { accountId: args.account.accountId, partition, region: args.region }));
        const gateways = GATEWAY_ENDPOINTS.map(
            (service) =>
                new aws.ec2.VpcEndpoint(
                    `${name}-${service}`,
                    {
                        vpcId: vpc.id,
                        serviceName: `com.amazonaws.${args.region}.${service}`,
                        vpcEndpointType: "Gateway",
                        routeTableIds: privateTables.map((t) => t.id),
                        policy: endpointPolicy(service),
                        tags: tags(`${service}-endpoint`),
                    },
                    parent,
                ),
        );
        for (const service of interfaceServices) {
            new aws.ec2.VpcEndpoint(
                `${name}-${service}`,
                {
                    vpcId: vpc.id,
                    serviceName: `com.amazonaws.${args.region}.${service}`,
                    vpcEndpointType: "Interface",
                    policy: endpointPolicy(service),
                    // The SDKs' default hostnames resolve to the endpoint, so no code needs to know it exists.
                    privateDnsEnabled: true,
                    subnetIds: subnets.private.map((s) => s.id),
                    securityGroupIds: [endpointSg.id],
                    tags: tags(`${service}-endpoint`),
                },
                parent,
            );
        }

        const ingress = (suffix: string, sg: aws.ec2.SecurityGroup, port: number, from: aws.ec2.SecurityGroup, description: string) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-${suffix}`,
                {
                    securityGroupId: sg.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    referencedSecurityGroupId: from.id,
                    description,
                    tags: tags(suffix),
                },
                parent,
            );
        const egress = (
            suffix: string,
            sg: aws.ec2.SecurityGroup,
            port: number,
            to: { sg?: aws.ec2.SecurityGroup; prefixListId?: pulumi.Input<string>; cidr?: string },
            description: string,
        ) =>
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-${suffix}`,
                {
                    securityGroupId: sg.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    ...(to.sg !== undefined ? { referencedSecurityGroupId: to.sg.id } : {}),
                    ...(to.prefixListId !== undefined ? { prefixListId: to.prefixListId } : {}),
                    ...(to.cidr !== undefined ? { cidrIpv4: to.cidr } : {}),
                    description,
                    tags: tags(suffix),
                },
                parent,
            );

        ingress("db-from-app", dbSg, POSTGRES_PORT, appSg, "PostgreSQL from the application tier");
        ingress("db-from-orchestrator", dbSg, POSTGRES_PORT, orchestratorSg, "PostgreSQL from the orchestrator and secret rotation");
        ingress("endpoints-from-app", endpointSg, HTTPS_PORT, appSg, "HTTPS to AWS APIs from the application tier");
        ingress("endpoints-from-orchestrator", endpointSg, HTTPS_PORT, orchestratorSg, "HTTPS to AWS APIs from the orchestrator");

        egress("app-to-db", appSg, POSTGRES_PORT, { sg: dbSg }, "PostgreSQL to the database");
        // The application reaches AWS APIs through the endpoints only (their policies keep it to this account's
        // resources); it has no route to the internet's HTTPS. A workload that must call a third party gets its own
        // group and rule, with the reason written there.
        egress("app-to-endpoints", appSg, HTTPS_PORT, { sg: endpointSg }, "HTTPS to the interface endpoints");
        gateways.forEach((gateway, i) =>
            egress(
                `app-to-${GATEWAY_ENDPOINTS[i]}`,
                appSg,
                HTTPS_PORT,
                { prefixListId: gateway.prefixListId },
                `HTTPS to ${GATEWAY_ENDPOINTS[i]} through its gateway endpoint`,
            ),
        );
        // The orchestrator reaches this region's AWS APIs through the endpoints; only where it must also reach the
        // other region and Route 53 does it get HTTPS to the internet, through the NAT. Why no narrower destination:
        // an interface endpoint serves its own region only, Route 53's API has no endpoint in the region, and AWS
        // publishes no managed prefix list for either API's addresses. With an application tier it also sends the
        // synthetic request to this region's internet-facing ALB by its public name (the path users take, TLS and
        // Host included), whose addresses AWS changes at will: again nothing narrower than 0.0.0.0/0 exists.
        const internetReasons = orchestratorInternetReasons(args);
        if (internetReasons.length > 0) {
            if ((args.natGateways ?? "single") === "none") {
                throw new pulumi.ResourceError(
                    `RegionalNetwork ${name}: ${internetReasons.map((r) => r.key).join(" and ")} needs a NAT gateway; set natGateways to single or perAz`,
                    this,
                );
            }
            egress(
                "orchestrator-to-https",
                orchestratorSg,
                HTTPS_PORT,
                { cidr: "0.0.0.0/0" },
                `HTTPS to ${internetReasons.map((r) => r.what).join(" and to ")}, through the NAT gateway`,
            );
        }
        egress("orchestrator-to-db", orchestratorSg, POSTGRES_PORT, { sg: dbSg }, "PostgreSQL to the database");
        egress("orchestrator-to-endpoints", orchestratorSg, HTTPS_PORT, { sg: endpointSg }, "HTTPS to the interface endpoints");
        gateways.forEach((gateway, i) =>
            egress(
                `orchestrator-to-${GATEWAY_ENDPOINTS[i]}`,
                orchestratorSg,
                HTTPS_PORT,
                { prefixListId: gateway.prefixListId },
                `HTTPS to ${GATEWAY_ENDPOINTS[i]} through its gateway endpoint`,
            ),
        );

        // RDS requires subnets in at least two zones of the region.
        // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Subnets
        const subnetGroup = new aws.rds.SubnetGroup(
            `${name}-db`,
            {
                description: `Isolated subnets of ${args.region} for Aurora`,
                subnetIds: subnets.isolated.map((s) => s.id),
                tags: tags("db"),
            },
            parent,
        );

        // Flow logs: every accepted and rejected connection, encrypted with the regional key.
        // @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
        const flowLogGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { kmsKeyId: args.kmsKeyArn, retentionInDays, tags: tags("flow-logs") },
            parent,
        );
        const flowLogRole = new aws.iam.Role(
            `${name}-flow-logs`,
            {
                description: `VPC Flow Logs delivery to CloudWatch Logs in ${args.region}`,
                assumeRolePolicy: pulumi
                    .all([partition, accountId])
                    .apply(([p, accountId]) => toJson(flowLogsTrustPolicy({ partition: p, accountId, region: args.region }))),
                tags: tags("flow-logs"),
            },
            parent,
        );
        new aws.iam.RolePolicy(
            `${name}-flow-logs`,
            { role: flowLogRole.id, policy: flowLogGroup.arn.apply((arn) => toJson(flowLogsDeliveryPolicy(arn))) },
            parent,
        );
        new aws.ec2.FlowLog(
            `${name}-flow-logs`,
            {
                vpcId: vpc.id,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: flowLogGroup.arn,
                iamRoleArn: flowLogRole.arn,
                // One minute: a failover drill can read what happened at the minute it happened.
                maxAggregationInterval: 60,
                tags: tags("flow-logs"),
            },
            parent,
        );

        this.vpcId = vpc.id;
        this.publicSubnetIds = pulumi.all(subnets.public.map((s) => s.id));
        this.privateSubnetIds = pulumi.all(subnets.private.map((s) => s.id));
        this.isolatedSubnetIds = pulumi.all(subnets.isolated.map((s) => s.id));
        this.applicationSecurityGroupId = appSg.id;
        this.orchestratorSecurityGroupId = orchestratorSg.id;
        this.databaseSecurityGroupId = dbSg.id;
        this.endpointSecurityGroupId = endpointSg.id;
        this.dbSubnetGroupName = subnetGroup.name;
        this.flowLogGroupName = flowLogGroup.name;
        this.cidr = args.cidr;
        this.privateSubnetCidrs = subnetsOfTier(plan, "private").map((p) => p.cidr);
        this.isolatedSubnetCidrs = subnetsOfTier(plan, "isolated").map((p) => p.cidr);
        this.privateRouteTableIds = privateTables.map((t) => t.id);
        this.isolatedRouteTableIds = [isolatedTable.id];
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
            applicationSecurityGroupId: this.applicationSecurityGroupId,
            orchestratorSecurityGroupId: this.orchestratorSecurityGroupId,
            databaseSecurityGroupId: this.databaseSecurityGroupId,
            endpointSecurityGroupId: this.endpointSecurityGroupId,
            dbSubnetGroupName: this.dbSubnetGroupName,
            flowLogGroupName: this.flowLogGroupName,
            privateRouteTableIds: this.privateRouteTableIds,
            isolatedRouteTableIds: this.isolatedRouteTableIds,
        });
    }
}

/**
 * Why the orchestrator group reaches HTTPS on the internet, in the order the egress rule's description names them:
 * empty when nothing needs it (then no such rule exists).
 */
export function orchestratorInternetReasons(
    args: Pick<RegionalNetworkArgs, "orchestratorInternetEgress" | "applicationCheckEgress">,
): { key: string; what: string }[] {
    return [
        ...(args.orchestratorInternetEgress === true
            ? [{ key: "orchestratorInternetEgress", what: "the other region's RDS API and to Route 53" }]
            : []),
        ...(args.applicationCheckEgress === true
            ? [{ key: "applicationCheckEgress", what: "the application's internet-facing ALB (the synthetic request)" }]
            : []),
    ];
}
