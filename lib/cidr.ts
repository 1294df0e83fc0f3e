/**
 * IPv4 CIDR arithmetic for VPC planning. Pure functions, no dependencies, so they can be tested with tables and
 * property tests and reused by the network component and the config validation alike.
 */

/** A parsed IPv4 CIDR block. `network` is the first address as an unsigned 32-bit integer. */
export interface Cidr {
    readonly network: number;
    readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns `undefined` when the text is not a CIDR block, when an octet or the prefix is out of
 * range, or when host bits are set (AWS would silently canonicalise `10.0.0.1/16` to `10.0.0.0/16`; we refuse it so
 * that what the stack file says is what gets built).
 */
export function parseCidr(text: string): Cidr | undefined {
    const match = CIDR_PATTERN.exec(text.trim());
    if (match === null) {
        return undefined;
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return undefined;
    }
    const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    if ((address & ~maskOf(prefix)) >>> 0 !== 0) {
        return undefined;
    }
    return { network: address, prefix };
}

/** The netmask of a prefix length as an unsigned 32-bit integer. */
function maskOf(prefix: number): number {
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Number of addresses in a block. */
export function sizeOf(cidr: Cidr): number {
    return 2 ** (32 - cidr.prefix);
}

/** Formats a block back to `a.b.c.d/n`. */
export function formatCidr(cidr: Cidr): string {
    const n = cidr.network;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${cidr.prefix}`;
}

/** True when the two blocks share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
    const aEnd = a.network + sizeOf(a) - 1;
    const bEnd = b.network + sizeOf(b) - 1;
    return a.network <= bEnd && b.network <= aEnd;
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
    return inner.prefix >= outer.prefix && inner.network >= outer.network && inner.network + sizeOf(inner) <= outer.network + sizeOf(outer);
}

/**
 * The private ranges of RFC 1918. AWS recommends them for VPCs; a public range in a VPC makes those addresses
 * unreachable on the internet from inside the VPC and confuses auditors.
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
 */
export const RFC1918: readonly Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c)!);

/** True when the block lies inside one of the RFC 1918 private ranges. */
export function isPrivate(cidr: Cidr): boolean {
    return RFC1918.some((range) => contains(range, cidr));
}
