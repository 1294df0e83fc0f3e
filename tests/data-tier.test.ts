/**
 * The data tier of the real stacks (Pulumi.dev.yaml, Pulumi.prod.yaml) under the mocks: the regional networks, the
 * Aurora global database and the backup plan, asserted on the inputs the program gives each resource.
 */
import { expect } from "chai";
import { parseStackConfig } from "../config";
import { backupRules, copyCadenceProblems, REQUIRED_BACKUP_OPT_IN, VAULT_LOCK_GRACE_DAYS, type BackupRule } from "../lib/backup";
import { GLOBAL_DB_RPO, SECONDARY_FORBIDDEN_INPUTS, statementLoggingProblems, windowsOverlap } from "../lib/database";
import { natGatewayCount, natZoneFor, planSubnets, SUBNET_TIERS } from "../lib/subnets";
import { DEFAULT_INTERFACE_ENDPOINTS, GATEWAY_ENDPOINTS } from "../components/RegionalNetwork";
import { APPLICATION_INTERFACE_ENDPOINTS } from "../program";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { planStack, resourceNamed, resourcesOfType, STACKS } from "./harness/stacks";

type Role = "primary" | "dr";
const ROLES: readonly Role[] = ["primary", "dr"];

const regionOf = (run: ProgramRun, role: Role) => (role === "primary" ? run.config.primaryRegion : run.config.drRegion);
const keyArn = (run: ProgramRun, role: Role) => (run.outputs["kmsKeyArns"] as Record<Role, string>)[role];
const idOf = (r: PlannedResource) => r.state["id"] as string;
const str = (r: PlannedResource, key: string) => r.inputs[key] as string;

/** Custom resources of a type whose parent is the component `type`/`name`. */
function childrenOf(run: ProgramRun, componentType: string, componentName: string, type: string): PlannedResource[] {
    const component = resourceNamed(run, componentType, componentName);
    return run.resources.filter((r) => r.type === type && r.parent === component.urn);
}

/** The inter-region peering connection of the rotation path (RotationPeering), as routes name it. */
const peeringId = (run: ProgramRun) =>
    idOf(resourceNamed(run, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "rotation-peering-accepter"));

const NETWORK = "healthcare:dr:RegionalNetwork";
const net = (run: ProgramRun, role: Role, type: string) => childrenOf(run, NETWORK, `${role}-network`, type);
const netNamed = (run: ProgramRun, role: Role, type: string, suffix: string) => {
    const found = net(run, role, type).filter((r) => r.name === `${role}-network-${suffix}`);
    expect(found, `${type} ${role}-network-${suffix}`).to.have.length(1);
    return found[0]!;
};

describe("RegionalNetwork", () => {
    for (const stack of STACKS) {
        for (const role of ROLES) {
            describe(`${stack}, ${role} region`, () => {
                it("builds the VPC from the region's CIDR, on the region's provider", async () => {
                    const run = await planStack(stack);
                    const vpc = netNamed(run, role, "aws:ec2/vpc:Vpc", "vpc");
                    expect(vpc.inputs["cidrBlock"]).to.equal(
                        role === "primary" ? run.config.network.primaryCidr : run.config.network.drCidr,
                    );
                    expect(vpc.region).to.equal(regionOf(run, role));
                });

                it("lays out public, private and isolated subnets in azCount zones, as planSubnets computes", async () => {
                    const run = await planStack(stack);
                    const cidr = role === "primary" ? run.config.network.primaryCidr : run.config.network.drCidr;
                    const zones = (run.outputs["availabilityZones"] as Record<Role, string[]>)[role];
                    const vpcId = idOf(netNamed(run, role, "aws:ec2/vpc:Vpc", "vpc"));
                    const plan = planSubnets(cidr, run.config.network.azCount);
                    expect(net(run, role, "aws:ec2/subnet:Subnet")).to.have.length(SUBNET_TIERS.length * run.config.network.azCount);
                    for (const planned of plan) {
                        const subnet = netNamed(run, role, "aws:ec2/subnet:Subnet", `${planned.tier}-${planned.zoneIndex}`);
                        expect(subnet.inputs["cidrBlock"]).to.equal(planned.cidr);
                        expect(subnet.inputs["availabilityZone"]).to.equal(zones[planned.zoneIndex]);
                        expect(subnet.inputs["vpcId"]).to.equal(vpcId);
                        expect(subnet.inputs["mapPublicIpOnLaunch"]).to.equal(false);
                        expect((subnet.inputs["tags"] as Record<string, string>)["Tier"]).to.equal(planned.tier);
                    }
                });

                it("routes the public tier to the internet gateway and each private subnet to its NAT", async () => {
                    const run = await planStack(stack);
                    const routes = net(run, role, "aws:ec2/route:Route");
                    const igw = netNamed(run, role, "aws:ec2/internetGateway:InternetGateway", "igw");
                    const publicTable = netNamed(run, role, "aws:ec2/routeTable:RouteTable", "public");
                    const publicRoutes = routes.filter((r) => r.inputs["routeTableId"] === idOf(publicTable));
                    expect(publicRoutes.map((r) => [r.inputs["destinationCidrBlock"], r.inputs["gatewayId"]])).to.deep.equal([
                        ["0.0.0.0/0", idOf(igw)],
                    ]);

                    const mode = role === "primary" ? run.config.network.primaryNatGateways : run.config.network.drNatGateways;
                    const nats = net(run, role, "aws:ec2/natGateway:NatGateway").sort((a, b) => a.name.localeCompare(b.name));
                    for (let i = 0; i < run.config.network.azCount; i++) {
                        const table = netNamed(run, role, "aws:ec2/routeTable:RouteTable", `private-${i}`);
                        const own = routes.filter((r) => r.inputs["routeTableId"] === idOf(table));
                        const natZone = natZoneFor(mode, i);
                        expect(own.map((r) => [r.inputs["destinationCidrBlock"], r.inputs["natGatewayId"]])).to.deep.equal(
                            natZone === undefined ? [] : [["0.0.0.0/0", idOf(nats[natZone]!)]],
                        );
                        expect(own.every((r) => r.inputs["gatewayId"] === undefined)).to.be.true;
                        const subnet = netNamed(run, role, "aws:ec2/subnet:Subnet", `private-${i}`);
                        const association = net(run, role, "aws:ec2/routeTableAssociation:RouteTableAssociation").find(
                            (a) => a.inputs["subnetId"] === idOf(subnet),
                        );
                        expect(association?.inputs["routeTableId"]).to.equal(idOf(table));
                    }
                });

                it(`gives the isolated subnets a route table with no internet, NAT or endpoint route${role === "dr" ? ", only the peering's return path to the rotation function's subnets" : " and no route at all"}`, async () => {
                    const run = await planStack(stack);
                    const isolated = netNamed(run, role, "aws:ec2/routeTable:RouteTable", "isolated");
                    const isolatedSubnetIds = SUBNET_TIERS.includes("isolated")
                        ? Array.from({ length: run.config.network.azCount }, (_, i) =>
                              idOf(netNamed(run, role, "aws:ec2/subnet:Subnet", `isolated-${i}`)),
                          )
                        : [];
                    const routes = resourcesOfType(run, "aws:ec2/route:Route").filter((r) => r.inputs["routeTableId"] === idOf(isolated));
                    // The DR database may answer the primary region's rotation function (RotationPeering), nothing else.
                    const clientSubnets = role === "dr" ? planSubnets(run.config.network.primaryCidr, run.config.network.azCount) : [];
                    expect(routes.map((r) => [r.inputs["destinationCidrBlock"], r.inputs["vpcPeeringConnectionId"]])).to.have.deep.members(
                        clientSubnets.filter((p) => p.tier === "private").map((p) => [p.cidr, peeringId(run)]),
                    );
                    expect(
                        routes.every(
                            (r) => Object.keys(r.inputs).sort().join() === "destinationCidrBlock,routeTableId,vpcPeeringConnectionId",
                        ),
                    ).to.be.true;
                    expect(isolated.inputs["routes"] ?? []).to.deep.equal([]);
                    for (const endpoint of resourcesOfType(run, "aws:ec2/vpcEndpoint:VpcEndpoint")) {
                        expect((endpoint.inputs["routeTableIds"] as string[] | undefined) ?? []).to.not.include(idOf(isolated));
                        expect((endpoint.inputs["subnetIds"] as string[] | undefined) ?? []).to.not.include.members(isolatedSubnetIds);
                    }
                    const associations = resourcesOfType(run, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) =>
                        isolatedSubnetIds.includes(a.inputs["subnetId"] as string),
                    );
                    expect(associations).to.have.length(isolatedSubnetIds.length);
                    expect(associations.every((a) => a.inputs["routeTableId"] === idOf(isolated))).to.be.true;
                });

                it("puts one NAT per AZ in the prod primary region and a single NAT in the DR region", async () => {
                    const run = await planStack(stack);
                    const mode = role === "primary" ? run.config.network.primaryNatGateways : run.config.network.drNatGateways;
                    expect(mode).to.equal(stack === "prod" && role === "primary" ? "perAz" : "single");
                    const nats = net(run, role, "aws:ec2/natGateway:NatGateway");
                    expect(nats).to.have.length(natGatewayCount(mode, run.config.network.azCount));
                    const publicIds = net(run, role, "aws:ec2/subnet:Subnet")
                        .filter((s) => s.name.includes("-public-"))
                        .map(idOf);
                    expect(nats.every((n) => publicIds.includes(n.inputs["subnetId"] as string))).to.be.true;
                    expect(net(run, role, "aws:ec2/eip:Eip").every((e) => e.inputs["domain"] === "vpc")).to.be.true;
                });

                it("reaches S3 and DynamoDB through gateway endpoints and the AWS APIs through private interface endpoints", async () => {
                    const run = await planStack(stack);
                    const region = regionOf(run, role);
                    const endpoints = net(run, role, "aws:ec2/vpcEndpoint:VpcEndpoint");
                    const privateTables = Array.from({ length: run.config.network.azCount }, (_, i) =>
                        idOf(netNamed(run, role, "aws:ec2/routeTable:RouteTable", `private-${i}`)),
                    );
                    const privateSubnets = Array.from({ length: run.config.network.azCount }, (_, i) =>
                        idOf(netNamed(run, role, "aws:ec2/subnet:Subnet", `private-${i}`)),
                    );
                    const endpointSg = idOf(netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", "endpoints-sg"));
                    const s3 = endpoints.find((e) => e.inputs["serviceName"] === `com.amazonaws.${region}.s3`)!;
                    expect(s3.inputs["vpcEndpointType"]).to.equal("Gateway");
                    expect(s3.inputs["routeTableIds"]).to.have.members(privateTables);
                    for (const service of ["rds", "secretsmanager", "kms", "sns", "ssm", "logs", "sts"]) {
                        expect(DEFAULT_INTERFACE_ENDPOINTS).to.include(service);
                        const endpoint = endpoints.find((e) => e.inputs["serviceName"] === `com.amazonaws.${region}.${service}`);
                        expect(endpoint, service).to.not.equal(undefined);
                        expect(endpoint!.inputs["vpcEndpointType"]).to.equal("Interface");
                        expect(endpoint!.inputs["privateDnsEnabled"]).to.equal(true);
                        expect(endpoint!.inputs["subnetIds"]).to.have.members(privateSubnets);
                        expect(endpoint!.inputs["securityGroupIds"]).to.deep.equal([endpointSg]);
                    }
                });

                it("sends flow logs of all traffic to a log group encrypted with the region's key, kept as configured", async () => {
                    const run = await planStack(stack);
                    const group = netNamed(run, role, "aws:cloudwatch/logGroup:LogGroup", "flow-logs");
                    expect(group.inputs["kmsKeyId"]).to.equal(keyArn(run, role));
                    expect(group.inputs["retentionInDays"]).to.equal(run.config.logging.retentionDays);
                    const flowLog = netNamed(run, role, "aws:ec2/flowLog:FlowLog", "flow-logs");
                    expect(flowLog.inputs["vpcId"]).to.equal(idOf(netNamed(run, role, "aws:ec2/vpc:Vpc", "vpc")));
                    expect(flowLog.inputs["trafficType"]).to.equal("ALL");
                    expect(flowLog.inputs["logDestination"]).to.equal(group.state["arn"]);
                    const role_ = netNamed(run, role, "aws:iam/role:Role", "flow-logs");
                    expect(flowLog.inputs["iamRoleArn"]).to.equal(role_.state["arn"]);
                    const trust = JSON.parse(str(role_, "assumeRolePolicy")) as { Statement: { Principal: unknown; Condition: unknown }[] };
                    expect(trust.Statement[0]!.Principal).to.deep.equal({ Service: "vpc-flow-logs.amazonaws.com" });
                    const policy = JSON.parse(str(netNamed(run, role, "aws:iam/rolePolicy:RolePolicy", "flow-logs"), "policy")) as {
                        Statement: { Action: string[]; Resource: string[] }[];
                    };
                    expect(policy.Statement.flatMap((s) => s.Resource).every((r) => r.startsWith(group.state["arn"] as string))).to.be.true;
                });

                it("strips the default security group of every rule", async () => {
                    const run = await planStack(stack);
                    const sg = netNamed(run, role, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg");
                    expect(sg.inputs["ingress"] ?? []).to.deep.equal([]);
                    expect(sg.inputs["egress"] ?? []).to.deep.equal([]);
                });

                it("admits PostgreSQL to the database only from the application and orchestrator groups", async () => {
                    const run = await planStack(stack);
                    const sgId = (suffix: string) => idOf(netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", suffix));
                    const dbIngress = resourcesOfType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
                        (r) => r.inputs["securityGroupId"] === sgId("db-sg"),
                    );
                    expect(
                        dbIngress.map((r) => [
                            r.inputs["fromPort"],
                            r.inputs["toPort"],
                            r.inputs["ipProtocol"],
                            r.inputs["referencedSecurityGroupId"],
                        ]),
                    ).to.have.deep.members([
                        [5432, 5432, "tcp", sgId("app-sg")],
                        [5432, 5432, "tcp", sgId("orchestrator-sg")],
                        // In the DR region, the primary region's rotation function, by its subnets' CIDRs (RotationPeering).
                        ...(role === "dr" ? Array.from({ length: run.config.network.azCount }, () => [5432, 5432, "tcp", undefined]) : []),
                    ]);
                    expect(dbIngress.filter((r) => r.inputs["cidrIpv4"] !== undefined).map((r) => r.inputs["cidrIpv4"])).to.have.members(
                        role === "dr"
                            ? planSubnets(run.config.network.primaryCidr, run.config.network.azCount)
                                  .filter((p) => p.tier === "private")
                                  .map((p) => p.cidr)
                            : [],
                    );
                    expect(dbIngress.every((r) => r.inputs["cidrIpv6"] === undefined)).to.be.true;
                    const dbSg = netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", "db-sg");
                    expect(dbSg.inputs["ingress"] ?? []).to.deep.equal([]);
                });

                it("gives the orchestrator group HTTPS to the internet: the other region's RDS API and Route 53, through the NAT (either region's orchestrator may act)", async () => {
                    const run = await planStack(stack);
                    const sgId = idOf(netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", "orchestrator-sg"));
                    const open = resourcesOfType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter(
                        (r) => r.inputs["securityGroupId"] === sgId && r.inputs["cidrIpv4"] === "0.0.0.0/0",
                    );
                    expect(open.map((r) => [r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]])).to.deep.equal([
                        ["tcp", 443, 443],
                    ]);
                });

                it("gives every VPC endpoint a policy limited to this account's identities and resources", async () => {
                    const run = await planStack(stack);
                    const endpoints = resourcesOfType(
                        run,
                        "aws:ec2/vpcEndpoint:VpcEndpoint",
                        run.config[role === "primary" ? "primaryRegion" : "drRegion"],
                    );
                    // ECR's two endpoints only with an application tier (its tasks pull their image through them).
                    const application = run.config.application !== undefined ? APPLICATION_INTERFACE_ENDPOINTS.length : 0;
                    expect(endpoints).to.have.length(GATEWAY_ENDPOINTS.length + DEFAULT_INTERFACE_ENDPOINTS.length + application);
                    for (const endpoint of endpoints) {
                        const policy = JSON.parse(str(endpoint, "policy")) as {
                            Statement: { Principal?: unknown; Condition?: unknown; Resource: unknown }[];
                        };
                        const own = policy.Statement.find((st) => JSON.stringify(st.Condition ?? {}).includes("aws:ResourceAccount"));
                        expect(own?.Condition, endpoint.name).to.deep.equal({
                            StringEquals: {
                                "aws:PrincipalAccount": run.config.account.accountId,
                                "aws:ResourceAccount": run.config.account.accountId,
                            },
                        });
                        for (const st of policy.Statement) expect(st.Principal, endpoint.name).to.not.equal(undefined);
                        // Any statement without an account condition names its resources.
                        for (const st of policy.Statement.filter((x) => x.Condition === undefined)) expect(st.Resource).to.not.equal("*");
                    }
                });

                it("gives the application group no internet egress: the endpoints, the gateway prefix lists and the database", async () => {
                    const run = await planStack(stack);
                    const sgId = idOf(netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", "app-sg"));
                    const rules = resourcesOfType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter(
                        (r) => r.inputs["securityGroupId"] === sgId,
                    );
                    expect(rules.filter((r) => r.inputs["cidrIpv4"] !== undefined || r.inputs["cidrIpv6"] !== undefined)).to.deep.equal([]);
                    expect(rules.filter((r) => r.inputs["prefixListId"] !== undefined)).to.have.length(GATEWAY_ENDPOINTS.length);
                    expect(rules.map((r) => r.inputs["referencedSecurityGroupId"]).filter((x) => x !== undefined)).to.have.members([
                        idOf(netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", "endpoints-sg")),
                        idOf(netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", "db-sg")),
                    ]);
                });

                it("puts the DB subnet group over the isolated subnets only", async () => {
                    const run = await planStack(stack);
                    const group = netNamed(run, role, "aws:rds/subnetGroup:SubnetGroup", "db");
                    const isolated = Array.from({ length: run.config.network.azCount }, (_, i) =>
                        idOf(netNamed(run, role, "aws:ec2/subnet:Subnet", `isolated-${i}`)),
                    );
                    expect(group.inputs["subnetIds"]).to.deep.equal(isolated);
                    const networks = run.outputs["networks"] as Record<
                        Role,
                        { dbSubnetGroupName: string; subnetIds: Record<string, string[]> }
                    >;
                    expect(networks[role].dbSubnetGroupName).to.equal(group.state["name"]);
                    expect(networks[role].subnetIds["isolated"]).to.deep.equal(isolated);
                });
            });
        }

        it(`${stack}: no security group rule anywhere admits 0.0.0.0/0 (or ::/0) on the database port`, async () => {
            const run = await planStack(stack);
            const open = (r: PlannedResource) => r.inputs["cidrIpv4"] === "0.0.0.0/0" || r.inputs["cidrIpv6"] === "::/0";
            const coversPort = (r: PlannedResource) =>
                r.inputs["ipProtocol"] === "-1" || ((r.inputs["fromPort"] as number) <= 5432 && (r.inputs["toPort"] as number) >= 5432);
            const ingress = resourcesOfType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
            expect(ingress).to.not.be.empty;
            expect(ingress.filter((r) => open(r) && coversPort(r)).map((r) => r.name)).to.deep.equal([]);
            for (const sg of resourcesOfType(run, "aws:ec2/securityGroup:SecurityGroup")) {
                const inline = (sg.inputs["ingress"] as { cidrBlocks?: string[] }[] | undefined) ?? [];
                expect(inline.flatMap((i) => i.cidrBlocks ?? [])).to.not.include("0.0.0.0/0");
            }
        });
    }
});

describe("RotationPeering (the rotation function's path to a DR writer)", () => {
    const PEERING = "healthcare:dr:RotationPeering";
    for (const stack of STACKS) {
        describe(stack, () => {
            const path = async () => {
                const run = await planStack(stack);
                const of = (type: string) => childrenOf(run, PEERING, "rotation-peering", type);
                const plans = {
                    primary: planSubnets(run.config.network.primaryCidr, run.config.network.azCount),
                    dr: planSubnets(run.config.network.drCidr, run.config.network.azCount),
                };
                return {
                    run,
                    of,
                    clientCidrs: plans.primary.filter((p) => p.tier === "private").map((p) => p.cidr),
                    databaseCidrs: plans.dr.filter((p) => p.tier === "isolated").map((p) => p.cidr),
                    vpc: (role: Role) => idOf(netNamed(run, role, "aws:ec2/vpc:Vpc", "vpc")),
                    sg: (role: Role, suffix: string) => idOf(netNamed(run, role, "aws:ec2/securityGroup:SecurityGroup", suffix)),
                };
            };

            it("requests a peering from the primary VPC and accepts it in the DR region, within the stack's account", async () => {
                const { run, of, vpc } = await path();
                const [request] = of("aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
                const [accepter] = of("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter");
                expect(request!.region).to.equal(run.config.primaryRegion);
                expect(request!.inputs).to.include({
                    vpcId: vpc("primary"),
                    peerVpcId: vpc("dr"),
                    peerRegion: run.config.drRegion,
                    peerOwnerId: run.config.account.accountId,
                });
                // An inter-region request cannot accept itself; the DR side accepts it.
                expect(request!.inputs["autoAccept"]).to.equal(undefined);
                expect(accepter!.region).to.equal(run.config.drRegion);
                expect(accepter!.inputs).to.include({ vpcPeeringConnectionId: idOf(request!), autoAccept: true });
            });

            it("routes the rotation function's subnets to the DR database subnets and back, nothing more, once accepted", async () => {
                const { run, of, clientCidrs, databaseCidrs } = await path();
                const routes = of("aws:ec2/route:Route");
                const accepter = resourceNamed(
                    run,
                    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
                    "rotation-peering-accepter",
                );
                const tableOf = (role: Role, suffix: string) => idOf(netNamed(run, role, "aws:ec2/routeTable:RouteTable", suffix));
                const expected = [
                    ...Array.from({ length: run.config.network.azCount }, (_, i) =>
                        databaseCidrs.map((cidr) => [run.config.primaryRegion, tableOf("primary", `private-${i}`), cidr]),
                    ).flat(),
                    ...clientCidrs.map((cidr) => [run.config.drRegion, tableOf("dr", "isolated"), cidr]),
                ];
                expect(routes.map((r) => [r.region, r.inputs["routeTableId"], r.inputs["destinationCidrBlock"]])).to.have.deep.members(
                    expected,
                );
                for (const route of routes) {
                    expect(route.inputs["vpcPeeringConnectionId"]).to.equal(peeringId(run));
                    expect(route.options.propertyDependencies["vpcPeeringConnectionId"]).to.deep.equal([accepter.urn]);
                }
                // No other route of the stack uses the peering.
                expect(
                    resourcesOfType(run, "aws:ec2/route:Route").filter((r) => r.inputs["vpcPeeringConnectionId"] !== undefined),
                ).to.have.length(routes.length);
            });

            it("opens PostgreSQL only, by CIDR (no cross-region group reference), between exactly those subnets", async () => {
                const { run, of, clientCidrs, databaseCidrs, sg } = await path();
                const egress = of("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
                const ingress = of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
                const shape = (r: PlannedResource) => [
                    r.region,
                    r.inputs["securityGroupId"],
                    r.inputs["ipProtocol"],
                    r.inputs["fromPort"],
                    r.inputs["toPort"],
                    r.inputs["cidrIpv4"],
                ];
                expect(egress.map(shape)).to.have.deep.members(
                    databaseCidrs.map((cidr) => [run.config.primaryRegion, sg("primary", "orchestrator-sg"), "tcp", 5432, 5432, cidr]),
                );
                expect(ingress.map(shape)).to.have.deep.members(
                    clientCidrs.map((cidr) => [run.config.drRegion, sg("dr", "db-sg"), "tcp", 5432, 5432, cidr]),
                );
                for (const rule of [...egress, ...ingress]) expect(rule.inputs["referencedSecurityGroupId"]).to.equal(undefined);
            });

            it("starts from the subnets and the group the rotation function runs in", async () => {
                const { run, clientCidrs } = await path();
                const rotation = resourceNamed(run, "aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "aurora-rotation");
                const parameters = rotation.inputs["parameters"] as Record<string, string>;
                const subnets = parameters["vpcSubnetIds"]!.split(",").map(
                    (id) => run.resources.find((r) => r.type === "aws:ec2/subnet:Subnet" && idOf(r) === id)!.inputs["cidrBlock"],
                );
                expect(subnets).to.have.members(clientCidrs);
                expect(parameters["vpcSecurityGroupIds"]).to.equal(
                    idOf(netNamed(run, "primary", "aws:ec2/securityGroup:SecurityGroup", "orchestrator-sg")),
                );
            });
        });
    }
});

const AURORA = "healthcare:dr:AuroraPair";
const aurora = (run: ProgramRun, type: string) => childrenOf(run, AURORA, "aurora", type);
const auroraNamed = (run: ProgramRun, type: string, name: string) => {
    const found = aurora(run, type).filter((r) => r.name === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0]!;
};

describe("AuroraPair", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            const clusters = async () => {
                const run = await planStack(stack);
                return {
                    run,
                    global: auroraNamed(run, "aws:rds/globalCluster:GlobalCluster", "aurora-global"),
                    primary: auroraNamed(run, "aws:rds/cluster:Cluster", "aurora-primary"),
                    secondary: auroraNamed(run, "aws:rds/cluster:Cluster", "aurora-secondary"),
                };
            };

            it("declares a global cluster with a primary cluster in the primary region and a secondary in the DR region", async () => {
                const { run, global, primary, secondary } = await clusters();
                expect(global.inputs["engine"]).to.equal("aurora-postgresql");
                expect(primary.region).to.equal(run.config.primaryRegion);
                expect(secondary.region).to.equal(run.config.drRegion);
                expect(primary.inputs["globalClusterIdentifier"]).to.equal(idOf(global));
                expect(secondary.inputs["globalClusterIdentifier"]).to.equal(idOf(global));
                expect(secondary.options.dependsOn).to.include.members(
                    aurora(run, "aws:rds/clusterInstance:ClusterInstance")
                        .filter((i) => i.name.startsWith("aurora-primary-"))
                        .map((i) => i.urn),
                );
            });

            it("runs the same engine version on the global cluster and both members", async () => {
                const { run, global, primary, secondary } = await clusters();
                for (const r of [global, primary, secondary]) {
                    expect(r.inputs["engineVersion"], r.name).to.equal(run.config.database.engineVersion);
                    expect(r.inputs["engine"], r.name).to.equal("aurora-postgresql");
                }
            });

            it("encrypts each cluster with its own region's key, and the global cluster agrees on encryption", async () => {
                const { run, global, primary, secondary } = await clusters();
                expect(global.inputs["storageEncrypted"]).to.equal(true);
                expect(primary.inputs["storageEncrypted"]).to.equal(true);
                expect(secondary.inputs["storageEncrypted"]).to.equal(true);
                expect(primary.inputs["kmsKeyId"]).to.equal(keyArn(run, "primary"));
                expect(secondary.inputs["kmsKeyId"]).to.equal(keyArn(run, "dr"));
                expect(str(primary, "kmsKeyId").split(":")[3]).to.equal(run.config.primaryRegion);
                expect(str(secondary, "kmsKeyId").split(":")[3]).to.equal(run.config.drRegion);
            });

            it("gives the secondary cluster no master credentials and no database name", async () => {
                const { secondary } = await clusters();
                for (const key of SECONDARY_FORBIDDEN_INPUTS) {
                    expect(secondary.inputs, key).to.not.have.property(key);
                }
            });

            it("takes the primary's password from a generated secret value, never from code or config", async () => {
                const { run, primary } = await clusters();
                const password = auroraNamed(run, "random:index/randomPassword:RandomPassword", "aurora-master-password");
                expect(primary.options.propertyDependencies["masterPassword"]).to.deep.equal([password.urn]);
                expect(primary.inputs["manageMasterUserPassword"]).to.equal(undefined);
                const stackFile = JSON.stringify(readStackFile(stackFilePath(stack)));
                expect(stackFile).to.not.match(/password/i);
            });

            it("ignores the replication source, global cluster and engine version of both members, so a failover never triggers a replacement", async () => {
                const { primary, secondary } = await clusters();
                for (const cluster of [primary, secondary]) {
                    expect(cluster.options.ignoreChanges).to.include.members([
                        "replicationSourceIdentifier",
                        "globalClusterIdentifier",
                        "engineVersion",
                    ]);
                }
            });

            it("ignores the global cluster's engine version too, so an upgrade AWS forces is never undone", async () => {
                const { global } = await clusters();
                expect(global.options.ignoreChanges).to.include("engineVersion");
            });

            it("turns Enhanced Monitoring on, into an RDSOSMetrics group declared first with the region's key and the stack's retention", async () => {
                const { run } = await clusters();
                for (const role of ["primary", "secondary"] as const) {
                    const region = role === "primary" ? run.config.primaryRegion : run.config.drRegion;
                    const group = auroraNamed(run, "aws:cloudwatch/logGroup:LogGroup", `aurora-${role}-os-metrics`);
                    expect(group.region).to.equal(region);
                    expect(group.inputs["name"]).to.equal("RDSOSMetrics");
                    expect(group.inputs["kmsKeyId"]).to.equal(keyArn(run, role === "primary" ? "primary" : "dr"));
                    expect(group.inputs["retentionInDays"]).to.equal(run.config.logging.retentionDays);
                    const monitoringRole = auroraNamed(run, "aws:iam/role:Role", `aurora-${role}-monitoring`);
                    const trust = JSON.parse(str(monitoringRole, "assumeRolePolicy")) as {
                        Statement: { Principal: unknown; Condition: unknown }[];
                    };
                    expect(trust.Statement[0]!.Principal).to.deep.equal({ Service: "monitoring.rds.amazonaws.com" });
                    expect(trust.Statement[0]!.Condition).to.deep.equal({
                        StringEquals: { "aws:SourceAccount": run.config.account.accountId },
                    });
                    const policy = JSON.parse(
                        str(auroraNamed(run, "aws:iam/rolePolicy:RolePolicy", `aurora-${role}-monitoring`), "policy"),
                    ) as {
                        Statement: { Resource: string[] }[];
                    };
                    for (const resource of policy.Statement.flatMap((st) => st.Resource)) {
                        expect(resource).to.match(
                            new RegExp(`^arn:aws:logs:${region}:${run.config.account.accountId}:log-group:RDSOSMetrics:`),
                        );
                    }
                    const instances = resourcesOfType(run, "aws:rds/clusterInstance:ClusterInstance", region);
                    expect(instances.length).to.equal(role === "primary" ? 2 : run.config.database.drInstances);
                    for (const instance of instances) {
                        expect(instance.inputs["monitoringInterval"]).to.equal(60);
                        expect(instance.inputs["monitoringRoleArn"]).to.equal(monitoringRole.state["arn"]);
                        expect(instance.options.dependsOn).to.include(group.urn);
                    }
                }
            });

            it("masks patient identifiers in the database log groups (only logs:Unmask reveals them)", async () => {
                const { run } = await clusters();
                for (const role of ["primary", "secondary"]) {
                    const group = auroraNamed(run, "aws:cloudwatch/logGroup:LogGroup", `aurora-${role}-postgresql`);
                    const mask = auroraNamed(
                        run,
                        "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy",
                        `aurora-${role}-postgresql-mask`,
                    );
                    expect(mask.region).to.equal(group.region);
                    expect(mask.inputs["logGroupName"]).to.equal(group.state["name"]);
                    const doc = JSON.parse(str(mask, "policyDocument")) as {
                        Statement: { DataIdentifier: string[]; Operation: Record<string, unknown> }[];
                    };
                    expect(doc.Statement.map((st) => Object.keys(st.Operation)[0])).to.deep.equal(["Audit", "Deidentify"]);
                    expect(doc.Statement[1]!.DataIdentifier).to.include("arn:aws:dataprotection::aws:data-identifier/NhsNumber-GB");
                }
            });

            it(`${stack === "prod" ? "protects" : "does not protect"} the clusters: deletion protection, final snapshot, Pulumi protect`, async () => {
                const { run, global, primary, secondary } = await clusters();
                const prod = stack === "prod";
                expect(run.config.protect).to.equal(prod);
                expect(global.inputs["deletionProtection"]).to.equal(prod);
                for (const cluster of [primary, secondary]) {
                    expect(cluster.inputs["deletionProtection"], cluster.name).to.equal(prod);
                    expect(cluster.inputs["skipFinalSnapshot"], cluster.name).to.equal(!prod);
                    expect(cluster.inputs["finalSnapshotIdentifier"], cluster.name).to.equal(
                        prod ? `${cluster.inputs["clusterIdentifier"] as string}-final` : undefined,
                    );
                    expect(cluster.options.protect, cluster.name).to.equal(prod);
                    expect(cluster.options.retainOnDelete, cluster.name).to.equal(prod);
                }
            });

            it("scales both clusters with Serverless v2 between the configured ACUs", async () => {
                const { run, primary, secondary } = await clusters();
                for (const cluster of [primary, secondary]) {
                    expect(cluster.inputs["engineMode"]).to.equal("provisioned");
                    expect(cluster.inputs["serverlessv2ScalingConfiguration"]).to.deep.equal({
                        minCapacity: run.config.database.minCapacity,
                        maxCapacity: run.config.database.maxCapacity,
                    });
                }
                for (const instance of aurora(run, "aws:rds/clusterInstance:ClusterInstance")) {
                    expect(instance.inputs["instanceClass"]).to.equal("db.serverless");
                }
            });

            it("runs a writer and a reader in different zones in the primary region, and readers in the DR region", async () => {
                const { run, primary, secondary } = await clusters();
                const instances = aurora(run, "aws:rds/clusterInstance:ClusterInstance");
                const ofCluster = (c: PlannedResource) => instances.filter((i) => i.inputs["clusterIdentifier"] === idOf(c));
                const primaryInstances = ofCluster(primary);
                expect(primaryInstances).to.have.length(2);
                expect(new Set(primaryInstances.map((i) => i.inputs["availabilityZone"])).size).to.equal(2);
                expect(primaryInstances.every((i) => i.region === run.config.primaryRegion)).to.be.true;
                const drInstances = ofCluster(secondary);
                expect(drInstances).to.have.length(run.config.database.drInstances);
                expect(drInstances.every((i) => i.region === run.config.drRegion)).to.be.true;
                if (stack === "prod") {
                    expect(drInstances.length).to.be.at.least(1);
                }
            });

            it("keeps instances private, with Performance Insights encrypted by the regional key and no auto minor upgrades", async () => {
                const { run } = await clusters();
                for (const instance of aurora(run, "aws:rds/clusterInstance:ClusterInstance")) {
                    const role: Role = instance.region === run.config.primaryRegion ? "primary" : "dr";
                    expect(instance.inputs["publiclyAccessible"]).to.equal(false);
                    expect(instance.inputs["performanceInsightsEnabled"]).to.equal(true);
                    expect(instance.inputs["performanceInsightsKmsKeyId"]).to.equal(keyArn(run, role));
                    expect(instance.inputs["autoMinorVersionUpgrade"]).to.equal(false);
                }
            });

            it("forces TLS through each region's cluster parameter group, and logs connections and DDL", async () => {
                const { run, primary, secondary } = await clusters();
                for (const [cluster, name] of [
                    [primary, "aurora-primary"],
                    [secondary, "aurora-secondary"],
                ] as const) {
                    const group = auroraNamed(run, "aws:rds/clusterParameterGroup:ClusterParameterGroup", name);
                    expect(group.region).to.equal(cluster.region);
                    expect(group.inputs["family"]).to.equal(`aurora-postgresql${run.config.database.engineVersion.split(".")[0]}`);
                    const params = Object.fromEntries(
                        (group.inputs["parameters"] as { name: string; value: string }[]).map((p) => [p.name, p.value]),
                    );
                    expect(params).to.include({ "rds.force_ssl": "1", log_connections: "1", "pgaudit.log_parameter": "0" });
                    expect(params["shared_preload_libraries"]!.split(",")).to.include("pgaudit");
                    // No statement text (patient data in its literals) reaches the exported log.
                    expect(statementLoggingProblems(group.inputs["parameters"] as { name: string; value: string }[])).to.deep.equal([]);
                    expect(cluster.inputs["dbClusterParameterGroupName"]).to.equal(group.state["name"]);
                }
            });

            it("puts the RPO ceiling (rds.global_db_rpo) on the writer's cluster parameter group only, as AWS advises for two regions", async () => {
                const { run } = await clusters();
                const ceilingOf = (name: string) =>
                    (
                        auroraNamed(run, "aws:rds/clusterParameterGroup:ClusterParameterGroup", name).inputs["parameters"] as {
                            name: string;
                            value: string;
                            applyMethod: string;
                        }[]
                    ).find((p) => p.name === GLOBAL_DB_RPO.parameter);
                const ceiling = run.config.database.maxReplicationLagSeconds;
                // Prod bounds the database's data loss; dev leaves it unbounded (and its budget says so).
                expect(ceiling).to.equal(stack === "prod" ? 600 : undefined);
                expect(run.config.activeRegion).to.equal(run.config.primaryRegion);
                expect(ceilingOf("aurora-primary")).to.deep.equal(
                    ceiling === undefined ? undefined : { name: GLOBAL_DB_RPO.parameter, value: String(ceiling), applyMethod: "immediate" },
                );
                expect(ceilingOf("aurora-secondary")).to.equal(undefined);
            });

            it("gives applications and rotation the global writer endpoint as the secret's host, with TLS required", async () => {
                const { run, global, primary, secondary } = await clusters();
                const version = auroraNamed(run, "aws:secretsmanager/secretVersion:SecretVersion", "aurora-master");
                expect(version.secretInputs).to.include("secretString");
                const content = JSON.parse(str(version, "secretString")) as Record<string, unknown>;
                // The global writer endpoint follows the writer through a managed switchover or failover; a cluster
                // endpoint (or the private writer record, on no RDS certificate) would not, or would fail verify-full.
                expect(content["host"]).to.equal(global.state["endpoint"]);
                expect(content["host"]).to.match(/\.global-[a-z0-9]+\.global\.rds\.amazonaws\.com$/);
                expect([primary.state["endpoint"], secondary.state["endpoint"]]).to.not.include(content["host"]);
                expect(content).to.include({ engine: "postgres", port: 5432, username: "hdr_admin", dbname: "healthcare", ssl: true });
                expect((run.outputs["database"] as { globalWriterEndpoint: string }).globalWriterEndpoint).to.equal(content["host"]);
            });

            it("exports the PostgreSQL log to encrypted log groups, turns IAM authentication on and places each cluster in its isolated subnets", async () => {
                const { run, primary, secondary } = await clusters();
                const networks = run.outputs["networks"] as Record<
                    Role,
                    { dbSubnetGroupName: string; securityGroupIds: { database: string } }
                >;
                for (const [cluster, role] of [
                    [primary, "primary"],
                    [secondary, "dr"],
                ] as const) {
                    expect(cluster.inputs["enabledCloudwatchLogsExports"]).to.deep.equal(["postgresql"]);
                    expect(cluster.inputs["iamDatabaseAuthenticationEnabled"]).to.equal(true);
                    expect(cluster.inputs["dbSubnetGroupName"]).to.equal(networks[role].dbSubnetGroupName);
                    expect(cluster.inputs["vpcSecurityGroupIds"]).to.deep.equal([networks[role].securityGroupIds.database]);
                    const logGroup = resourcesOfType(run, "aws:cloudwatch/logGroup:LogGroup").find(
                        (g) => g.inputs["name"] === `/aws/rds/cluster/${cluster.inputs["clusterIdentifier"] as string}/postgresql`,
                    );
                    expect(logGroup?.inputs["kmsKeyId"]).to.equal(keyArn(run, role));
                    expect(logGroup?.region).to.equal(cluster.region);
                    expect(cluster.options.dependsOn).to.include(logGroup!.urn);
                }
            });

            it("keeps automated backups for the configured days, in windows off-peak that do not overlap", async () => {
                const { run, primary, secondary } = await clusters();
                for (const cluster of [primary, secondary]) {
                    expect(cluster.inputs["backupRetentionPeriod"]).to.equal(run.config.database.backupRetentionDays);
                    const backup = str(cluster, "preferredBackupWindow");
                    const maintenance = str(cluster, "preferredMaintenanceWindow");
                    expect(windowsOverlap(backup, maintenance)).to.be.false;
                    // Off-peak: between midnight and 06:00 UTC.
                    expect(Number(backup.slice(0, 2))).to.be.below(6);
                    expect(Number(maintenance.split(":")[1])).to.be.below(6);
                }
            });

            it("keeps the credentials in a secret under the primary key, replicated to the DR region under the DR key, and rotated", async () => {
                const { run } = await clusters();
                const secret = auroraNamed(run, "aws:secretsmanager/secret:Secret", "aurora-master");
                expect(secret.region).to.equal(run.config.primaryRegion);
                expect(secret.inputs["kmsKeyId"]).to.equal(keyArn(run, "primary"));
                expect(secret.inputs["replicas"]).to.deep.equal([{ region: run.config.drRegion, kmsKeyId: keyArn(run, "dr") }]);
                expect(secret.inputs["recoveryWindowInDays"]).to.equal(stack === "prod" ? 30 : 0);

                const version = auroraNamed(run, "aws:secretsmanager/secretVersion:SecretVersion", "aurora-master");
                expect(version.inputs["secretId"]).to.equal(idOf(secret));
                expect(version.options.ignoreChanges).to.include("secretString");

                const stackOfRotation = auroraNamed(
                    run,
                    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack",
                    "aurora-rotation",
                );
                expect(str(stackOfRotation, "applicationId")).to.match(/SecretsManagerRDSPostgreSQLRotationSingleUser$/);
                const networks = run.outputs["networks"] as Record<
                    Role,
                    { subnetIds: { private: string[] }; securityGroupIds: { orchestrator: string } }
                >;
                const parameters = stackOfRotation.inputs["parameters"] as Record<string, string>;
                expect(parameters["vpcSubnetIds"]).to.equal(networks.primary.subnetIds.private.join(","));
                expect(parameters["vpcSecurityGroupIds"]).to.equal(networks.primary.securityGroupIds.orchestrator);
                expect(parameters["kmsKeyArn"]).to.equal(keyArn(run, "primary"));

                const rotation = auroraNamed(run, "aws:secretsmanager/secretRotation:SecretRotation", "aurora-master");
                expect(rotation.inputs["secretId"]).to.equal(idOf(secret));
                expect(rotation.inputs["rotationLambdaArn"]).to.equal(
                    (stackOfRotation.state["outputs"] as Record<string, string>)["RotationLambdaARN"],
                );
                expect((rotation.inputs["rotationRules"] as { automaticallyAfterDays: number }).automaticallyAfterDays).to.be.within(
                    1,
                    365,
                );
            });

            it("outputs the global cluster id, both cluster ARNs, endpoints per region and both secret ARNs", async () => {
                const { run, global, primary, secondary } = await clusters();
                const db = run.outputs["database"] as {
                    globalClusterId: string;
                    clusterArns: Record<Role, string>;
                    endpoints: Record<Role, { writer: string; reader: string }>;
                    secretArns: Record<Role, string>;
                };
                expect(db.globalClusterId).to.equal(idOf(global));
                expect(db.clusterArns).to.deep.equal({ primary: primary.state["arn"], dr: secondary.state["arn"] });
                expect(db.endpoints.primary).to.deep.equal({ writer: primary.state["endpoint"], reader: primary.state["readerEndpoint"] });
                expect(db.endpoints.dr).to.deep.equal({ writer: secondary.state["endpoint"], reader: secondary.state["readerEndpoint"] });
                expect(db.secretArns.primary.split(":")[3]).to.equal(run.config.primaryRegion);
                expect(db.secretArns.dr.split(":")[3]).to.equal(run.config.drRegion);
            });
        });
    }
});

const BACKUP = "healthcare:dr:BackupPlan";
const backup = (run: ProgramRun, type: string) => childrenOf(run, BACKUP, "backups", type);
const inRegion = (resources: readonly PlannedResource[], region: string, what: string) => {
    const found = resources.filter((r) => r.region === region);
    expect(found, `${what} in ${region}`).to.have.length(1);
    return found[0]!;
};
const other = (role: Role): Role => (role === "primary" ? "dr" : "primary");

/**
 * What a region's selections back up (the data tier's and the audit trail's), and the plan they belong to, by the
 * region they run in.
 */
function coverage(run: ProgramRun): Record<Role, { plan: PlannedResource; resources: string[] }> {
    const plans = resourcesOfType(run, "aws:backup/plan:Plan");
    const selections = resourcesOfType(run, "aws:backup/selection:Selection");
    const of = (role: Role) => {
        const plan = inRegion(plans, regionOf(run, role), "plan");
        const mine = selections.filter((s) => s.region === regionOf(run, role));
        for (const s of mine) expect(s.inputs["planId"], s.name).to.equal(plan.state["id"]);
        return { plan, resources: mine.flatMap((s) => s.inputs["resources"] as string[]) };
    };
    return { primary: of("primary"), dr: of("dr") };
}

describe("BackupPlan", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            it("keeps a vault in each region, encrypted with that region's key", async () => {
                const run = await planStack(stack);
                const vaults = backup(run, "aws:backup/vault:Vault");
                expect(vaults.map((v) => v.region)).to.have.members([run.config.primaryRegion, run.config.drRegion]);
                for (const vault of vaults) {
                    const role: Role = vault.region === run.config.primaryRegion ? "primary" : "dr";
                    expect(vault.inputs["kmsKeyArn"]).to.equal(keyArn(run, role));
                    expect(vault.inputs["forceDestroy"]).to.equal(stack !== "prod");
                    expect(vault.options.protect).to.equal(stack === "prod");
                }
            });

            it("has a plan in each region: continuous backups in its own vault, a daily snapshot copied to the other region's", async () => {
                const run = await planStack(stack);
                const vaults = backup(run, "aws:backup/vault:Vault");
                const days = run.config.database.backupRetentionDays;
                expect(days).to.be.at.least(7);
                for (const role of ROLES) {
                    const plan = inRegion(backup(run, "aws:backup/plan:Plan"), regionOf(run, role), "plan");
                    const own = inRegion(vaults, regionOf(run, role), "vault");
                    const theirs = inRegion(vaults, regionOf(run, other(role)), "vault");
                    const rules = plan.inputs["rules"] as (BackupRule<string> & { targetVaultName: string })[];
                    expect(rules.map(({ targetVaultName: _vault, ...rule }) => rule)).to.deep.equal(
                        backupRules({ retentionDays: days, copyToVaultArn: theirs.state["arn"] as string }),
                    );
                    expect(rules.map((r) => r.ruleName)).to.deep.equal(["continuous", "daily-copy"]);
                    expect(rules[1]!.copyActions[0]!.destinationVaultArn.split(":")[3]).to.equal(regionOf(run, other(role)));
                    for (const rule of rules) expect(rule.targetVaultName, rule.ruleName).to.equal(own.state["name"]);
                    expect(rules.find((r) => r.enableContinuousBackup)!.copyActions).to.deep.equal([]);
                    expect(copyCadenceProblems(rules, { clustersCopiedIn: 1 })).to.deep.equal([]);
                }
            });

            it("opts Aurora, S3 and DynamoDB in to AWS Backup in both regions, before any selection needs them", async () => {
                const run = await planStack(stack);
                const settings = backup(run, "aws:backup/regionSettings:RegionSettings");
                expect(settings.map((r) => r.region)).to.have.members([run.config.primaryRegion, run.config.drRegion]);
                const selections = backup(run, "aws:backup/selection:Selection");
                expect(selections).to.have.length(2);
                for (const setting of settings) {
                    const optIn = setting.inputs["resourceTypeOptInPreference"] as Record<string, boolean>;
                    for (const type of REQUIRED_BACKUP_OPT_IN) expect(optIn[type], `${setting.region} ${type}`).to.equal(true);
                    // The copies of each plan arrive in the other region: both settings come first.
                    for (const selection of selections) expect(selection.options.dependsOn).to.include(setting.urn);
                }
            });

            it("selects in each region that region's Aurora cluster, data buckets and global-table replicas, with AWS Backup's role", async () => {
                const run = await planStack(stack);
                const db = run.outputs["database"] as { clusterArns: Record<Role, string> };
                const buckets = run.outputs["bucketArns"] as Record<Role, string[]>;
                // Each region's replica of every global table (tests/tables.test.ts).
                const tables = Object.values(run.outputs["tables"] as Record<string, { arns: Record<Role, string> }>);
                const role = backup(run, "aws:iam/role:Role")[0]!;
                expect(JSON.parse(str(role, "assumeRolePolicy")).Statement[0].Principal).to.deep.equal({ Service: "backup.amazonaws.com" });
                for (const side of ROLES) {
                    const selection = inRegion(backup(run, "aws:backup/selection:Selection"), regionOf(run, side), "selection");
                    expect(selection.inputs["resources"]).to.deep.equal([
                        db.clusterArns[side],
                        ...buckets[side],
                        ...tables.map((t) => t.arns[side]),
                    ]);
                    expect(selection.inputs["iamRoleArn"]).to.equal(role.state["arn"]);
                    expect(buckets[side]).to.have.length(run.config.buckets.length);
                }
            });

            it("keeps the first plan and selection of the primary region under their old names (aliases), so an update keeps them", async () => {
                const run = await planStack(stack);
                expect(resourceNamed(run, "aws:backup/plan:Plan", "backups-primary-plan").options.aliases).to.deep.equal(["backups-plan"]);
                expect(resourceNamed(run, "aws:backup/selection:Selection", "backups-primary-data").options.aliases).to.deep.equal([
                    "backups-data",
                ]);
                expect(resourceNamed(run, "aws:backup/plan:Plan", "backups-dr-plan").options.aliases).to.equal(undefined);
            });

            it(`${stack === "prod" ? "locks both vaults" : "does not lock the vaults"} so that backups cannot be deleted early`, async () => {
                const run = await planStack(stack);
                const locks = backup(run, "aws:backup/vaultLockConfiguration:VaultLockConfiguration");
                if (stack === "prod") {
                    expect(locks.map((l) => l.region)).to.have.members([run.config.primaryRegion, run.config.drRegion]);
                    for (const lock of locks) {
                        expect(lock.inputs["minRetentionDays"]).to.equal(run.config.database.backupRetentionDays);
                        expect(lock.inputs["changeableForDays"]).to.equal(VAULT_LOCK_GRACE_DAYS);
                    }
                } else {
                    expect(locks).to.deep.equal([]);
                }
            });
        });
    }
});

describe("data tier configuration", () => {
    const base = (stack: "dev" | "prod") => readStackFile(stackFilePath(stack));
    const withKey = (stack: "dev" | "prod", key: "network" | "database", patch: Record<string, unknown>) => {
        const raw = base(stack);
        const current = JSON.parse(raw[`healthcare-dr:${key}`] ?? "{}") as Record<string, unknown>;
        return { ...raw, [`healthcare-dr:${key}`]: JSON.stringify({ ...current, ...patch }) };
    };
    const issuesOf = (stack: "dev" | "prod", raw: Record<string, string>) => {
        const result = parseStackConfig(raw, stack);
        return result.ok ? [] : result.issues;
    };

    it("defaults NAT to one per AZ in the prod primary region, one elsewhere, and one DR instance", () => {
        const prod = parseStackConfig(base("prod"), "prod");
        const dev = parseStackConfig(base("dev"), "dev");
        expect(prod.ok && prod.config.network.primaryNatGateways).to.equal("perAz");
        expect(prod.ok && prod.config.network.drNatGateways).to.equal("single");
        expect(dev.ok && dev.config.network.primaryNatGateways).to.equal("single");
        expect(prod.ok && prod.config.database.drInstances).to.be.at.least(1);
    });

    for (const [key, patch, pattern] of [
        ["network.primaryNatGateways", { primaryNatGateways: "twoPerAz" }, /perAz, single, none/],
        ["network.drNatGateways", { drNatGateways: 1 }, /perAz, single, none/],
        ["network.drNatGateways", { drNatGateways: "none" }, /perAz or single: the failover orchestrator .* through the NAT gateway/],
        [
            "network.primaryNatGateways",
            { primaryNatGateways: "none" },
            /perAz or single: the failover orchestrator in the primary region .* through the NAT gateway/,
        ],
    ] as const) {
        it(`refuses a bad ${key}, naming the key and the allowed values`, () => {
            const issues = issuesOf("dev", withKey("dev", "network", patch));
            const issue = issues.find((i) => i.key === `healthcare-dr:${key}`);
            expect(issue, JSON.stringify(issues)).to.not.equal(undefined);
            expect(issue!.message).to.match(pattern);
        });
    }

    for (const value of [-1, 1.5, 16, "2"]) {
        it(`refuses database.drInstances = ${JSON.stringify(value)}`, () => {
            const issues = issuesOf("dev", withKey("dev", "database", { drInstances: value }));
            expect(issues.map((i) => i.key)).to.include("healthcare-dr:database.drInstances");
        });
    }

    it("refuses a headless secondary (drInstances 0) in prod, and allows it in dev", () => {
        const prodIssues = issuesOf("prod", withKey("prod", "database", { drInstances: 0 }));
        expect(prodIssues.map((i) => i.key)).to.deep.equal(["healthcare-dr:database.drInstances"]);
        expect(prodIssues[0]!.message).to.match(/at least 1 in prod.*promote/);
        expect(issuesOf("dev", withKey("dev", "database", { drInstances: 0 }))).to.deep.equal([]);
    });
});

describe("a second stack in the same account (monitoring.osMetricsLogGroup: existing)", function () {
    this.timeout(60_000);

    it("leaves RDSOSMetrics to the stack that declares it and still turns Enhanced Monitoring on", async () => {
        const raw = readStackFile(stackFilePath("dev"));
        const run = await runProgram({
            stack: "dev",
            rawConfig: { ...raw, "healthcare-dr:monitoring": JSON.stringify({ osMetricsLogGroup: "existing" }) },
        });
        const groups = resourcesOfType(run, "aws:cloudwatch/logGroup:LogGroup").filter((g) => g.inputs["name"] === "RDSOSMetrics");
        expect(groups).to.deep.equal([]);
        const instances = resourcesOfType(run, "aws:rds/clusterInstance:ClusterInstance");
        expect(instances).to.not.be.empty;
        for (const instance of instances) {
            expect(instance.inputs["monitoringInterval"]).to.equal(60);
            expect(instance.inputs["monitoringRoleArn"]).to.be.a("string");
        }
    });
});

// The same coverage with activeRegion = drRegion is checked in tests/active-region.test.ts, on the shared flipped run.
describe("backup coverage: each region's plan selects that region's cluster and data buckets", () => {
    for (const stack of STACKS) {
        it(`${stack}: both clusters and every data bucket of both regions are selected, each by its own region's plan`, async () => {
            const run = await planStack(stack);
            const db = run.outputs["database"] as { clusterArns: Record<Role, string> };
            const buckets = run.outputs["bucketArns"] as Record<Role, string[]>;
            const covered = coverage(run);
            for (const role of ROLES) {
                expect(covered[role].resources, role).to.include.members([db.clusterArns[role], ...buckets[role]]);
            }
        });
    }
});
