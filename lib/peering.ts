/**
 * The network path of the secret rotation function to a database in the other region: an inter-region VPC peering
 * that carries PostgreSQL from the function's subnets to the peer's database subnets and nothing else. Pure rules,
 * tested without mocks; components/RotationPeering.ts declares the resources.
 */
import { contains, overlaps, parseCidr } from "./cidr";

/**
 * What AWS requires of two VPCs it peers across regions, and what this program requires of the path:
 * - the two VPCs' CIDR blocks must not overlap (AWS refuses the peering);
 * - security groups cannot name a security group of the peer VPC in another region, so each side admits the other's
 *   subnets by CIDR;
 * - routes and rules name the subnets that need the path (the function's private subnets, the peer's database
 *   subnets), never the whole peer VPC, so nothing else in either VPC gains a route to the other.
 * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations
 * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html
 */
export interface PeeringSides {
    readonly client: { readonly region: string; readonly vpcCidr: string; readonly subnetCidrs: readonly string[] };
    readonly database: { readonly region: string; readonly vpcCidr: string; readonly subnetCidrs: readonly string[] };
}

/** Every problem of a planned peering, as messages naming the side and the fix; empty when it can be built. */
export function peeringProblems(sides: PeeringSides): string[] {
    const problems: string[] = [];
    if (sides.client.region === sides.database.region) {
        problems.push(
            `client and database are both in ${sides.client.region}: this path is for another region (in one region, admit the client's security group instead)`,
        );
    }
    const client = parseCidr(sides.client.vpcCidr);
    const database = parseCidr(sides.database.vpcCidr);
    for (const [side, vpc, text] of [
        ["client", client, sides.client.vpcCidr],
        ["database", database, sides.database.vpcCidr],
    ] as const) {
        if (vpc === undefined) {
            problems.push(`the ${side} VPC's CIDR ${text} is not an IPv4 CIDR block`);
        }
    }
    if (client !== undefined && database !== undefined && overlaps(client, database)) {
        problems.push(
            `the VPCs' CIDRs ${sides.client.vpcCidr} and ${sides.database.vpcCidr} overlap: AWS cannot peer overlapping VPCs (give network.drCidr a disjoint range)`,
        );
    }
    for (const side of ["client", "database"] as const) {
        const vpc = side === "client" ? client : database;
        const subnets = sides[side].subnetCidrs;
        if (subnets.length === 0) {
            problems.push(`no ${side} subnets: name the subnets the path is for`);
        }
        for (const text of subnets) {
            const subnet = parseCidr(text);
            if (subnet === undefined) {
                problems.push(`the ${side} subnet ${text} is not an IPv4 CIDR block`);
            } else if (vpc !== undefined && !contains(vpc, subnet)) {
                problems.push(`the ${side} subnet ${text} is not inside its VPC ${sides[side].vpcCidr}`);
            } else if (vpc !== undefined && subnet.prefix <= vpc.prefix) {
                problems.push(`the ${side} subnet ${text} is the whole VPC: route and admit the subnets that need the path only`);
            }
        }
    }
    return problems;
}

/** One route of the path: in table `table` of `side`, to `destination`, through the peering connection. */
export interface PeeringRoute {
    readonly side: "client" | "database";
    readonly table: number;
    readonly destination: string;
}

/**
 * The routes of the path: from each of the client's route tables to each database subnet, and back from each of the
 * database's route tables to each client subnet (a reply needs a route too). Nothing else is routed.
 */
export function peeringRoutes(sides: PeeringSides, tables: { readonly client: number; readonly database: number }): PeeringRoute[] {
    const routes: PeeringRoute[] = [];
    for (let table = 0; table < tables.client; table++) {
        routes.push(...sides.database.subnetCidrs.map((destination) => ({ side: "client" as const, table, destination })));
    }
    for (let table = 0; table < tables.database; table++) {
        routes.push(...sides.client.subnetCidrs.map((destination) => ({ side: "database" as const, table, destination })));
    }
    return routes;
}
