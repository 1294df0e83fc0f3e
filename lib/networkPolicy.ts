/**
 * IAM documents of the regional network: the role VPC Flow Logs assumes to write to CloudWatch Logs.
 */
import { policyDocument, type PolicyDocument } from "./iam";

/**
 * The trust policy of the flow-log delivery role: only VPC Flow Logs, only for this account's flow logs in this
 * region (confused-deputy protection).
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
 */
export function flowLogsTrustPolicy(args: { partition: string; accountId: string; region: string }): PolicyDocument {
    return policyDocument([
        {
            Effect: "Allow",
            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
                StringEquals: { "aws:SourceAccount": args.accountId },
                ArnLike: { "aws:SourceArn": `arn:${args.partition}:ec2:${args.region}:${args.accountId}:vpc-flow-log/*` },
            },
        },
    ]);
}

/**
 * What the flow-log delivery role may do: write streams and events to its own log group, nothing else. The AWS
 * example grants these on `*`; here they are limited to the one group and its streams.
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
 */
export function flowLogsDeliveryPolicy(logGroupArn: string): PolicyDocument {
    return policyDocument([
        {
            Sid: "WriteFlowLogsToItsGroup",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
            Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
        },
    ]);
}
