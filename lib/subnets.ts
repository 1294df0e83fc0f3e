/**
 * The subnet plan of a regional VPC: which CIDR block each tier gets in each availability zone.
 *
 * The VPC is cut into 16 equal blocks (four more prefix bits): tier `t` in zone `z` takes block `t * 4 + z`, so the
 * public tier lives in the first quarter, the private (application) tier in the second, the isolated (database) tier
 * in the third, and the last quarter is left free for later tiers. A block's place never depends on `azCount`, so
 * adding a zone adds subnets without moving (and replacing) any existing one.
 */
import { contains, formatCidr, parseCidr, sizeOf, type Cidr } from "./cidr";

/** The three tiers of a regional network, in the order of their blocks. */
export const SUBNET_TIERS = ["public", "private", "isolated"] as const;
export type SubnetTier = (typeof SUBNET_TIERS)[number];

/** Blocks reserved per tier: the plan has room for this many availability zones. */
export const MAX_ZONES_PER_TIER = 4;

/** Extra prefix bits of a subnet over its VPC: 16 blocks. */
export const SUBNET_PREFIX_BITS = 4;

/**
 * The largest VPC prefix the plan accepts: /22 gives /26 subnets (64 addresses, 59 usable after the five AWS
 * reserves in every subnet).
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
 */
export const MAX_VPC_PREFIX = 22;

export interface PlannedSubnet {
    readonly tier: SubnetTier;
    /** Index of the availability zone, 0-based, in the order the region lists its zones. */
    readonly zoneIndex: number;
    /** The subnet's CIDR block, e.g. `10.10.16.0/20`. */
    readonly cidr: string;
}

/**
 * Plans the subnets of a VPC: one per tier per zone. Throws an `Error` whose message names the argument and the fix
 * when the VPC CIDR or the zone count cannot be planned.
 */
export function planSubnets(vpcCidr: string, azCount: number): PlannedSubnet[] {
    const vpc = parseCidr(vpcCidr);
    if (vpc === undefined) {
        throw new Error(`Invalid value for vpcCidr: ${vpcCidr}. Give an IPv4 CIDR block with no host bits set, such as 10.10.0.0/16.`);
    }
    if (vpc.prefix > MAX_VPC_PREFIX) {
        throw new Error(
            `Invalid value for vpcCidr: ${vpcCidr}. The subnet plan needs a VPC of /${MAX_VPC_PREFIX} or larger (a smaller prefix number).`,
        );
    }
    if (!Number.isInteger(azCount) || azCount < 1 || azCount > MAX_ZONES_PER_TIER) {
        throw new Error(`Invalid value for azCount: ${azCount}. Allowed values are whole numbers from 1 to ${MAX_ZONES_PER_TIER}.`);
    }
    const prefix = vpc.prefix + SUBNET_PREFIX_BITS;
    const blockSize = sizeOf({ network: 0, prefix });
    const subnets: PlannedSubnet[] = [];
    SUBNET_TIERS.forEach((tier, tierIndex) => {
        for (let zoneIndex = 0; zoneIndex < azCount; zoneIndex++) {
            const block: Cidr = { network: vpc.network + (tierIndex * MAX_ZONES_PER_TIER + zoneIndex) * blockSize, prefix };
            subnets.push({ tier, zoneIndex, cidr: formatCidr(block) });
        }
    });
    return subnets;
}

/** The planned subnets of one tier, in zone order. */
export function subnetsOfTier(plan: readonly PlannedSubnet[], tier: SubnetTier): PlannedSubnet[] {
    return plan.filter((s) => s.tier === tier).sort((a, b) => a.zoneIndex - b.zoneIndex);
}

/** True when every planned subnet lies inside the VPC (used by the property tests, and cheap enough to assert). */
export function insideVpc(vpcCidr: string, plan: readonly PlannedSubnet[]): boolean {
    const vpc = parseCidr(vpcCidr);
    return vpc !== undefined && plan.every((s) => contains(vpc, parseCidr(s.cidr)!));
}

/** How NAT gateways are laid out in a region. */
export const NAT_MODES = ["perAz", "single", "none"] as const;
export type NatMode = (typeof NAT_MODES)[number];

/**
 * The zone index of the NAT gateway each private subnet routes through, or `undefined` when the region has none.
 * `perAz` keeps a zone's egress alive when another zone fails; `single` (pilot light) puts one NAT in the first
 * zone and routes every private subnet through it.
 */
export function natZoneFor(mode: NatMode, zoneIndex: number): number | undefined {
    switch (mode) {
        case "perAz":
            return zoneIndex;
        case "single":
            return 0;
        case "none":
            return undefined;
    }
}

/** Number of NAT gateways a mode creates in a region with `azCount` zones. */
export function natGatewayCount(mode: NatMode, azCount: number): number {
    return mode === "perAz" ? azCount : mode === "single" ? 1 : 0;
}
