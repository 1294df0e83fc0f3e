import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { POSTGRES_PORT } from "../lib/database";
import { peeringProblems, peeringRoutes } from "../lib/peering";
import { physicalName } from "../lib/naming";

/** One side of the path: a region's VPC, the subnets of the path in it, their route tables and security group. */
export interface PeeringSideArgs {
    /** The AWS region code; must be the region of `provider`. */
    readonly region: string;
    /** The explicit provider of that region; every resource of this side uses it. */
    readonly provider: aws.Provider;
    readonly vpcId: pulumi.Input<string>;
    /** The VPC's CIDR block (checked against the other side's: AWS cannot peer overlapping VPCs). */
    readonly vpcCidr: string;
    /** The subnets of the path on this side; plain values, as they decide how many routes and rules exist. */
    readonly subnetCidrs: readonly string[];
    /** The route tables of those subnets; each gets a route to each of the other side's subnets. */
    readonly routeTableIds: readonly pulumi.Input<string>[];
    /** The security group of this side's end: egress (client) or ingress (database) on the port, by CIDR. */
    readonly securityGroupId: pulumi.Input<string>;
}

export interface RotationPeeringArgs {
    /** Stack name, for the Name tags (`hdr-<stack>-rotation-peering`). */
    readonly stack: string;
    /** The account both VPCs are in (stack config; never looked up): the peer owner of the connection. */
    readonly account: AwsAccount;
    /**
     * Where connections start: the region of the secret and its rotation function (the primary region), its private
     * subnets and the function's security group.
     */
    readonly client: PeeringSideArgs;
    /** Where they end: the other region's database (isolated) subnets and the database security group. */
    readonly database: PeeringSideArgs;
    /**
     * The one port the path carries.
     * @default 5432 (PostgreSQL)
     */
    readonly port?: number;
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The network path the secret rotation function needs to rotate the password on a writer in the other region: the
 * secret, and so its rotation, stay in the primary region, while after a failover the writer (the secret's `host`, the
 * global writer endpoint) is in the DR region's isolated subnets, which the primary VPC cannot otherwise reach.
 *
 * An inter-region VPC peering (requested from the client's region, accepted in the database's), with routes only
 * between the client's private subnets and the database's isolated subnets, and security-group rules only for
 * PostgreSQL between those CIDRs: across regions a rule cannot name the peer's security group. The same account owns
 * both sides. Traffic over an inter-region peering stays on the AWS network and is encrypted; PostgreSQL adds TLS.
 * Why not a Transit Gateway: one path between two VPCs needs no hub, and a peering has no hourly or attachment cost.
 * Why not a rotation function per region: Secrets Manager rotates a secret in its own region only, with one function.
 * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations
 * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-connecting.html#global-writer-endpoint-considerations
 */
export class RotationPeering extends pulumi.ComponentResource {
    /** The peering connection's id (`pcx-...`). */
    public readonly peeringConnectionId: pulumi.Output<string>;

    constructor(name: string, args: RotationPeeringArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:RotationPeering", name, {}, opts);
        const port = args.port ?? POSTGRES_PORT;
        const tags = (suffix: string) => ({ ...args.tags, Name: physicalName(args.stack, [name, suffix], 255) });

        const problems = peeringProblems({
            client: { region: args.client.region, vpcCidr: args.client.vpcCidr, subnetCidrs: args.client.subnetCidrs },
            database: { region: args.database.region, vpcCidr: args.database.vpcCidr, subnetCidrs: args.database.subnetCidrs },
        });
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`Invalid RotationPeering ${name}: ${problems.join("; ")}`, this);
        }

        const accepted = this.connect(name, args, tags);
        this.route(name, args, accepted);
        this.admit(name, args, port, tags);

        this.peeringConnectionId = accepted;
        this.registerOutputs({ peeringConnectionId: this.peeringConnectionId });
    }

    /**
     * The connection, requested in the client's region and accepted in the database's (an inter-region request cannot
     * accept itself). Its id is read from the accepter, so the routes wait for the connection to be active.
     * @see https://www.pulumi.com/registry/packages/aws/api-docs/ec2/vpcpeeringconnectionaccepter/
     */
    private connect(name: string, args: RotationPeeringArgs, tags: (suffix: string) => Record<string, string>): pulumi.Output<string> {
        const request = new aws.ec2.VpcPeeringConnection(
            name,
            {
                vpcId: args.client.vpcId,
                peerVpcId: args.database.vpcId,
                peerRegion: args.database.region,
                peerOwnerId: args.account.accountId,
                tags: tags("request"),
            },
            { parent: this, provider: args.client.provider },
        );
        const accepter = new aws.ec2.VpcPeeringConnectionAccepter(
            `${name}-accepter`,
            { vpcPeeringConnectionId: request.id, autoAccept: true, tags: tags("accepter") },
            { parent: this, provider: args.database.provider },
        );
        return accepter.vpcPeeringConnectionId;
    }

    /** A route in each table of each side to each of the other side's subnets, and no other. */
    private route(name: string, args: RotationPeeringArgs, peeringConnectionId: pulumi.Output<string>): void {
        const sides = {
            client: { region: args.client.region, vpcCidr: args.client.vpcCidr, subnetCidrs: args.client.subnetCidrs },
            database: { region: args.database.region, vpcCidr: args.database.vpcCidr, subnetCidrs: args.database.subnetCidrs },
        };
        const tables = { client: args.client.routeTableIds.length, database: args.database.routeTableIds.length };
        for (const route of peeringRoutes(sides, tables)) {
            const side = args[route.side];
            new aws.ec2.Route(
                `${name}-${route.side}-${route.table}-to-${route.destination.replace(/[./]/g, "-")}`,
                {
                    routeTableId: side.routeTableIds[route.table]!,
                    destinationCidrBlock: route.destination,
                    vpcPeeringConnectionId: peeringConnectionId,
                },
                { parent: this, provider: side.provider },
            );
        }
    }

    /**
     * The client's group may send `port` to each database subnet; the database's group admits `port` from each client
     * subnet. By CIDR, as a security group cannot name a group of a peer VPC in another region.
     */
    private admit(name: string, args: RotationPeeringArgs, port: number, tags: (suffix: string) => Record<string, string>): void {
        const common = { ipProtocol: "tcp", fromPort: port, toPort: port };
        args.database.subnetCidrs.forEach((cidr, i) => {
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-client-to-db-${i}`,
                {
                    ...common,
                    securityGroupId: args.client.securityGroupId,
                    cidrIpv4: cidr,
                    description: `PostgreSQL to the ${args.database.region} database subnet ${cidr}, over the peering (secret rotation)`,
                    tags: tags(`client-to-db-${i}`),
                },
                { parent: this, provider: args.client.provider },
            );
        });
        args.client.subnetCidrs.forEach((cidr, i) => {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-db-from-client-${i}`,
                {
                    ...common,
                    securityGroupId: args.database.securityGroupId,
                    cidrIpv4: cidr,
                    description: `PostgreSQL from the ${args.client.region} private subnet ${cidr}, over the peering (secret rotation)`,
                    tags: tags(`db-from-client-${i}`),
                },
                { parent: this, provider: args.database.provider },
            );
        });
    }
}
