/**
 * The AWS account the stack deploys into, as components need it to write ARNs and policies.
 *
 * Both values come from the stack config (`healthcare-dr:accountId`) and the region codes, never from
 * `aws.getCallerIdentity`/`aws.getPartition`: an invoke goes to one region's STS endpoint on every preview, and the
 * stack must stay operable while either region is down (static stability).
 * @see https://docs.aws.amazon.com/whitepapers/latest/aws-multi-region-fundamentals/multi-region-fundamental-3-understanding-your-workload-dependencies.html
 * @see https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/appendix-a---partitional-service-guidance.html
 */
export interface AwsAccount {
    /** The 12-digit account id. */
    readonly accountId: string;
    /** The ARN partition, `aws` for every region this program accepts. */
    readonly partition: string;
}
