/**
 * The orchestrator's IAM policy, as a pure function of the ARNs it may touch: every action named, every resource
 * named, and `*` only where AWS offers no resource-level permission (with the reason in the Sid).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html
 */
import { policyDocument, type PolicyDocument, type PolicyStatement } from "./iam";

export interface OrchestratorPolicyArgs {
    readonly partition: string;
    readonly accountId: string;
    /** The DR region, where the function, its parameters, lock table, queue and topics live. */
    readonly region: string;
    readonly globalClusterArn: string;
    readonly primaryClusterArn: string;
    readonly drClusterArn: string;
    /** The DR cluster's identifier: its instances are `<identifier>-<n>` (components/AuroraPair.ts). */
    readonly drClusterIdentifier: string;
    readonly hostedZoneId: string;
    /** The writer record's name, as Route 53 normalises it (lower case, no trailing dot). */
    readonly recordName: string;
    /** `/healthcare/<environment>/failover`. */
    readonly parameterPath: string;
    /** `/healthcare/<environment>/active-region`. */
    readonly activeRegionParameter: string;
    readonly lockTableArn: string;
    readonly deadLetterQueueArn: string;
    readonly logGroupArn: string;
    readonly kmsKeyArn: string;
    readonly topicArns: readonly string[];
}

/**
 * The RDS actions the failover needs, on the global cluster and its two member clusters. Not
 * `rds:RemoveFromGlobalCluster`: the function never detaches a cluster (that is a break-glass decision for a human).
 */
export const RDS_FAILOVER_ACTIONS = ["rds:DescribeGlobalClusters", "rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"] as const;

export function orchestratorPolicy(a: OrchestratorPolicyArgs): PolicyDocument {
    const ssmArn = (name: string) => `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter${name}`;
    const statements: PolicyStatement[] = [
        {
            Sid: "PromoteTheDrClusterOfThisGlobalDatabase",
            Effect: "Allow",
            Action: [...RDS_FAILOVER_ACTIONS],
            Resource: [a.globalClusterArn, a.primaryClusterArn, a.drClusterArn],
        },
        {
            Sid: "ReadBothClusters",
            Effect: "Allow",
            Action: ["rds:DescribeDBClusters"],
            Resource: [a.primaryClusterArn, a.drClusterArn],
        },
        {
            // The readiness check: at least one available instance of the DR cluster.
            Sid: "ReadTheDrInstances",
            Effect: "Allow",
            Action: ["rds:DescribeDBInstances"],
            Resource: [`arn:${a.partition}:rds:${a.region}:${a.accountId}:db:${a.drClusterIdentifier}-*`],
        },
        {
            // The replication-lag and capacity signals. GetMetricData has no resource-level permission.
            // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
            Sid: "ReadSignalMetricsNoResourceLevelPermission",
            Effect: "Allow",
            Action: ["cloudwatch:GetMetricData"],
            Resource: "*",
        },
        {
            // Route 53 condition keys limit the change to this record, this type and UPSERT.
            // @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
            Sid: "RepointTheWriterRecordOnly",
            Effect: "Allow",
            Action: ["route53:ChangeResourceRecordSets"],
            Resource: [`arn:${a.partition}:route53:::hostedzone/${a.hostedZoneId}`],
            Condition: {
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [a.recordName.toLowerCase().replace(/\.$/, "")],
                    "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
                    "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
                },
            },
        },
        {
            Sid: "ReadTheWriterRecord",
            Effect: "Allow",
            Action: ["route53:ListResourceRecordSets"],
            Resource: [`arn:${a.partition}:route53:::hostedzone/${a.hostedZoneId}`],
        },
        {
            Sid: "ReadOwnConfiguration",
            Effect: "Allow",
            Action: ["ssm:GetParametersByPath"],
            Resource: [ssmArn(a.parameterPath), ssmArn(`${a.parameterPath}/*`)],
        },
        {
            Sid: "ReadAndSetTheActiveRegion",
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:PutParameter"],
            Resource: [ssmArn(a.activeRegionParameter)],
        },
        {
            Sid: "TakeTheFailoverLock",
            Effect: "Allow",
            // UpdateItem: the count of refusals by the lock, in an item of its own.
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            Resource: [a.lockTableArn],
        },
        {
            Sid: "DeadLetterQueue",
            Effect: "Allow",
            Action: ["sqs:SendMessage"],
            Resource: [a.deadLetterQueueArn],
        },
        {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: [`${a.logGroupArn}:*`],
        },
        {
            // The environment, the queue and the topics are encrypted with the DR region's key, which is also the DR
            // cluster's: DescribeKey is the readiness check that it is enabled.
            Sid: "UseTheDrKey",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            Resource: [a.kmsKeyArn],
        },
        {
            // AWSLambdaVPCAccessExecutionRole's actions: the Describe action has no resource-level permission, and
            // the interfaces do not exist before Lambda creates them.
            // @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
            Sid: "VpcNetworkInterfacesNoResourceLevelPermission",
            Effect: "Allow",
            Action: [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            Resource: "*",
        },
    ];
    if (a.topicArns.length > 0) {
        statements.push({ Sid: "NotifyOnCall", Effect: "Allow", Action: ["sns:Publish"], Resource: [...a.topicArns] });
    }
    return policyDocument(statements);
}

/** The trust and permission of the role EventBridge uses to forward an alarm to the DR region's default bus. */
export function forwardToBusPolicy(eventBusArn: string): PolicyDocument {
    return policyDocument([{ Sid: "ForwardAlarmToDrRegion", Effect: "Allow", Action: ["events:PutEvents"], Resource: [eventBusArn] }]);
}
