/**
 * IPv4 CIDR blocks, as the network policies compare them (a route's destination with a peer VPC, a rule's source
 * with a subnet). The pack is deployed on its own (`pulumi preview --policy-pack policy-pack`), so it carries these
 * few lines rather than import the program's lib/cidr.ts.
 */

/** A parsed IPv4 CIDR block: the first address as an unsigned 32-bit integer, and the prefix length. */
export interface Ipv4Block {
    readonly network: number;
    readonly prefix: number;
}

/** `a.b.c.d/n` as a block (host bits masked off), or `undefined` for anything else. */
export function parseIpv4Block(text: string | undefined): Ipv4Block | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text?.trim() ?? "");
    if (match === null) {
        return undefined;
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return undefined;
    }
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    return { network: (address & mask) >>> 0, prefix };
}

/** True when every address of `inner` is in `outer`. */
export function blockContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
    const size = (b: Ipv4Block) => 2 ** (32 - b.prefix);
    return inner.prefix >= outer.prefix && inner.network >= outer.network && inner.network + size(inner) <= outer.network + size(outer);
}
