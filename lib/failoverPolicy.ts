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
    /** The function's own region, where its parameters, lock table, queue and topics live: the only one it promotes. */
    readonly region: string;
    /** The other region of the pair, whose cluster it probes and whose `active-region` copy it sets (best effort). */
    readonly peerRegion: string;
    readonly globalClusterArn: string;
    /** Its own region's cluster: the only cluster it may promote. */
    readonly clusterArn: string;
    /** Its own cluster's identifier: its instances are `<identifier>-<n>` (components/AuroraPair.ts). */
    readonly clusterIdentifier: string;
    /** The peer region's cluster: described (a signal), never promoted. */
    readonly peerClusterArn: string;
    readonly hostedZoneId: string;
    /** The writer record's name, as Route 53 normalises it (lower case, no trailing dot). */
    readonly recordName: string;
    /** `/healthcare/<environment>/failover`. */
    readonly parameterPath: string;
    /** `/healthcare/<environment>/active-region` (the same name in each region). */
    readonly activeRegionParameter: string;
    readonly lockTableArn: string;
    readonly deadLetterQueueArn: string;
    readonly logGroupArn: string;
    readonly kmsKeyArn: string;
    readonly topicArns: readonly string[];
}

/**
 * The RDS actions that promote a cluster, on the global cluster and the function's own cluster (the target). Not
 * `rds:RemoveFromGlobalCluster`: the function never detaches a cluster (that is a break-glass decision for a human).
 * SwitchoverGlobalCluster is also the failback: AWS intends it "to fall back to the original primary after a global
 * database failover".
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html
 */
export const RDS_PROMOTION_ACTIONS = ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"] as const;

/** Every RDS action the function calls: the promotion, and the reads of the global cluster, the clusters, its instances. */
export const RDS_FAILOVER_ACTIONS = ["rds:DescribeGlobalClusters", ...RDS_PROMOTION_ACTIONS] as const;

export function orchestratorPolicy(a: OrchestratorPolicyArgs): PolicyDocument {
    const ssmArn = (region: string, name: string) => `arn:${a.partition}:ssm:${region}:${a.accountId}:parameter${name}`;
    const statements: PolicyStatement[] = [
        {
            // Only its own region's cluster is ever a target: the peer region's function promotes the peer cluster.
            Sid: "PromoteOwnRegionsClusterOnly",
            Effect: "Allow",
            Action: [...RDS_PROMOTION_ACTIONS],
            Resource: [a.globalClusterArn, a.clusterArn],
        },
        {
            Sid: "ReadTheGlobalCluster",
            Effect: "Allow",
            Action: ["rds:DescribeGlobalClusters"],
            Resource: [a.globalClusterArn],
        },
        {
            // Its own cluster (role, readiness, endpoint) and the peer's (the peer-rds-api signal).
            Sid: "ReadBothClusters",
            Effect: "Allow",
            Action: ["rds:DescribeDBClusters"],
            Resource: [a.clusterArn, a.peerClusterArn],
        },
        {
            // The readiness check: at least one available instance of its own cluster.
            Sid: "ReadOwnInstances",
            Effect: "Allow",
            Action: ["rds:DescribeDBInstances"],
            Resource: [`arn:${a.partition}:rds:${a.region}:${a.accountId}:db:${a.clusterIdentifier}-*`],
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
            Resource: [ssmArn(a.region, a.parameterPath), ssmArn(a.region, `${a.parameterPath}/*`)],
        },
        {
            Sid: "ReadAndSetOwnActiveRegion",
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:PutParameter"],
            Resource: [ssmArn(a.region, a.activeRegionParameter)],
        },
        {
            // The peer region's copy is set best effort (that region may be the one that is down), never read.
            Sid: "SetThePeerRegionsActiveRegion",
            Effect: "Allow",
            Action: ["ssm:PutParameter"],
            Resource: [ssmArn(a.peerRegion, a.activeRegionParameter)],
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
            // The environment, the queue and the topics are encrypted with its own region's key, which is also its own
            // cluster's: DescribeKey is the readiness check that it is enabled.
            Sid: "UseOwnRegionsKey",
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

/** The permission of the role EventBridge uses to forward an alarm to another region's default bus. */
export function forwardToBusPolicy(eventBusArn: string): PolicyDocument {
    return policyDocument([{ Sid: "ForwardAlarmToRegion", Effect: "Allow", Action: ["events:PutEvents"], Resource: [eventBusArn] }]);
}
