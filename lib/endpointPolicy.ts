/**
 * VPC endpoint policies: the most that can pass through an endpoint of the PHI subnets. An endpoint policy grants
 * nothing (identity and resource policies still decide); it is a perimeter, so its statements are written the way
 * AWS's data-perimeter examples write them (`Action: "*"` bounded by account conditions), not as grants.
 *
 * Without a policy an endpoint allows full access to the service, to any account's resources: from the PHI subnets,
 * `s3:PutObject` to a bucket of another account would leave through the S3 gateway endpoint. These policies admit
 * only this account's principals acting on this account's resources, AWS services acting on our behalf, and (S3) the
 * named AWS-owned buckets the workloads need.
 * @see https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
 * @see https://github.com/aws-samples/data-perimeter-policy-examples/tree/main/vpc_endpoint_policies
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
 */
import { policyDocument, type PolicyDocument, type PolicyStatement } from "./iam";

/** An endpoint policy may hold at most 20,480 characters, white space included. */
export const ENDPOINT_POLICY_MAX_CHARACTERS = 20_480;

export interface EndpointPolicyArgs {
    readonly accountId: string;
    readonly partition: string;
    readonly region: string;
}

/** This account's identities, on this account's resources: the data perimeter, per account instead of per organisation. */
function ownAccountStatements(accountId: string): PolicyStatement[] {
    return [
        {
            Sid: "OwnAccountIdentitiesToOwnAccountResources",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "*",
            Resource: "*",
            Condition: { StringEquals: { "aws:PrincipalAccount": accountId, "aws:ResourceAccount": accountId } },
        },
        {
            // AWS services rarely call from inside a VPC, but some do with their service principal (presigned URLs).
            Sid: "AwsServicePrincipals",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "*",
            Resource: "*",
            Condition: { Bool: { "aws:PrincipalIsAWSService": "true" } },
        },
    ];
}

/**
 * AWS-owned buckets the private subnets need to read, by name: the Amazon ECR layer bucket (application containers
 * pulled from ECR fetch their layers from it through the S3 endpoint) and the Amazon Linux 2023 repositories
 * (patching of EC2 application hosts). Reads only.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms
 * @see https://docs.aws.amazon.com/linux/al2023/ug/live-patching.html
 */
export function awsOwnedBucketArns(partition: string, region: string): string[] {
    return [`prod-${region}-starport-layer-bucket`, `al2023-repos-${region}-de612dc2`, `al2023-${region}`].map(
        (bucket) => `arn:${partition}:s3:::${bucket}/*`,
    );
}

/** The policy of the S3 gateway endpoint: this account's buckets, and reads of the named AWS-owned buckets. */
export function s3EndpointPolicy(args: EndpointPolicyArgs): PolicyDocument {
    return policyDocument([
        ...ownAccountStatements(args.accountId),
        {
            Sid: "ReadNamedAwsOwnedBuckets",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "s3:GetObject",
            Resource: awsOwnedBucketArns(args.partition, args.region),
        },
    ]);
}

/**
 * The policy of the DynamoDB gateway endpoint and of every interface endpoint: this account's identities on this
 * account's resources (and AWS services on our behalf), nothing else.
 */
export function accountEndpointPolicy(args: Pick<EndpointPolicyArgs, "accountId">): PolicyDocument {
    return policyDocument(ownAccountStatements(args.accountId));
}

/** The endpoint policy of a service (`s3`, `dynamodb`, `kms`...). */
export function endpointPolicyFor(service: string, args: EndpointPolicyArgs): PolicyDocument {
    if (service === "s3") return s3EndpointPolicy(args);
    return accountEndpointPolicy(args);
}
