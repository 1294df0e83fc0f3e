/**
 * The commercial AWS regions (partition `aws`) and their display names.
 *
 * Only the `aws` partition is listed: the program builds ARNs with the partition derived by `partitionOf`, but
 * GovCloud and the China regions need separate accounts, endpoints and compliance review, so they are refused here
 * rather than half-supported.
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
 */
export const AWS_REGIONS: Readonly<Record<string, string>> = {
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-north-1": "Europe (Stockholm)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-central-1": "Middle East (UAE)",
    "me-south-1": "Middle East (Bahrain)",
    "mx-central-1": "Mexico (Central)",
    "sa-east-1": "South America (Sao Paulo)",
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
};

/** Region codes, sorted, for error messages and schema enums. */
export const REGION_CODES: readonly string[] = Object.keys(AWS_REGIONS).sort();

/** `eu-west-2 (Europe (London))`, or the bare code for an unknown region. */
export function describeRegion(code: string): string {
    const name = AWS_REGIONS[code];
    return name === undefined ? code : `${code} (${name})`;
}

/**
 * Regions that map availability-zone codes to physical zones independently per account (the regions opened before
 * November 2012): which letters an account sees there differs between accounts (us-west-1 shows two of three, newer
 * accounts in ap-northeast-1 have no `b`), so the program has no default for them and the stack file must list the
 * zones (`aws ec2 describe-availability-zones --region R`, once, while the region is healthy). eu-west-1 is the
 * exception: it has exactly three zones and every account sees all three as `a`, `b` and `c`.
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html
 */
export const INDEPENDENTLY_MAPPED_REGIONS: readonly string[] = [
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
    "us-east-1",
    "us-west-1",
    "us-west-2",
];

/**
 * The availability zones the program uses in a region when the stack file lists none: `<region>a`, `b`, `c`. Every
 * region has at least three zones, and regions opened after November 2012 name them uniformly for every account.
 * `undefined` for the regions of `INDEPENDENTLY_MAPPED_REGIONS`. Static on purpose: looking the zones up
 * (`getAvailabilityZones`) calls the region's EC2 API on every preview, which fails while that region is down.
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
 */
export function defaultAvailabilityZones(region: string): readonly string[] | undefined {
    if (AWS_REGIONS[region] === undefined || INDEPENDENTLY_MAPPED_REGIONS.includes(region)) {
        return undefined;
    }
    return ["a", "b", "c"].map((letter) => `${region}${letter}`);
}

/** True when `zone` is an availability-zone code of `region`: the region code and one letter, `eu-west-2a`. */
export function isZoneOf(zone: string, region: string): boolean {
    return zone.length === region.length + 1 && zone.startsWith(region) && /^[a-z]$/.test(zone.slice(-1));
}

/**
 * The ARN partition of a region, derived from its code: no call to AWS (`aws.getPartition` is an invoke, answered
 * by the provider's region, which may be the one that is down). Every region of `AWS_REGIONS` is in `aws`.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
export function partitionOf(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}
