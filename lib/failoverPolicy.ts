/**
 * The orchestrator's IAM policy, as a pure function of the ARNs it may touch: every action named, every resource
 * named, and `*` only where AWS offers no resource-level permission (with the reason in the Sid).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html
 */
import { UNPLANNED_FAILOVER_SNAPSHOT_PREFIX } from "./failover";
import { APPLICATION_METRICS } from "./application";
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
    /**
     * The master secret as its own region holds it (the primary secret in the home region, its replica in the other):
     * a break-glass in this region stops its replication and points its `host` at the promoted cluster. Its full ARN,
     * random suffix included.
     */
    readonly secretArn: string;
    /** The peer cluster's identifier: its instances are `<identifier>-<n>`, its snapshots `<identifier>-...`. */
    readonly peerClusterIdentifier: string;
    /** The peer region's database security group (`sg-...`): fencing revokes its ingress. */
    readonly peerSecurityGroupId: string;
    /** The NAME of the peer cluster's cluster parameter group: fencing sets FENCE_PARAMETER in it. */
    readonly peerClusterParameterGroupName: string;
    /** The peer region's key: the lost-writes copy of the peer's snapshot is encrypted with it. */
    readonly peerKmsKeyArn: string;
    /** Its own region's run-record table (RUNS_TABLE_KEYS). */
    readonly runsTableArn: string;
    /** Its own region's run-report bucket (`arn:<partition>:s3:::<name>`). */
    readonly reportBucketArn: string;
    /**
     * The application tier the orchestrator scales, checks and moves traffic for (lib/application.ts); absent when the
     * stack has none, and then the policy grants none of the application actions.
     */
    readonly application?: OrchestratorApplicationArgs;
}

/** What the orchestrator's application steps touch, in both regions (names are the same in each). */
export interface OrchestratorApplicationArgs {
    /** The ECS cluster name (`applicationClusterName`). */
    readonly clusterName: string;
    /** The ECS service name (`applicationServiceName`). */
    readonly serviceName: string;
    /** The peer region's lock table ARN: the beacon copies the capacity record there (`capacityItemKey`). */
    readonly peerLockTableArn: string;
}

/**
 * The RDS actions that promote a cluster, on the global cluster and the function's own cluster (the target): the
 * managed paths, and the break-glass detach. SwitchoverGlobalCluster is also the failback: AWS intends it "to fall
 * back to the original primary after a global database failover". `rds:RemoveFromGlobalCluster` detaches the
 * function's OWN cluster only (never the peer's: the statement names no other cluster), and the function calls it only
 * for a human's confirmed break-glass request (`<stack>:<region>:detach`); no alarm or schedule can start one.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RemoveFromGlobalCluster.html
 */
export const RDS_PROMOTION_ACTIONS = ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster", "rds:RemoveFromGlobalCluster"] as const;

/** Every RDS action the function calls on the global cluster: its reads and the promotions. */
export const RDS_FAILOVER_ACTIONS = ["rds:DescribeGlobalClusters", ...RDS_PROMOTION_ACTIONS] as const;

/**
 * What a break-glass does to the master secret in its own region: reads it, stops its replication (when it is the
 * replica), and writes the promoted cluster's endpoint into `host`.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
 */
export const SECRET_ACTIONS = [
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:StopReplicationToReplica",
] as const;

/**
 * Fencing the old writer in the peer region after a break-glass: its security group's ingress revoked (and read back),
 * the fence parameter set in its cluster parameter group (and read back), its instances rebooted.
 */
export const FENCE_ACTIONS = [
    "ec2:DescribeSecurityGroups",
    "ec2:RevokeSecurityGroupIngress",
    "rds:ModifyDBClusterParameterGroup",
    "rds:DescribeDBClusterParameters",
    "rds:RebootDBInstance",
] as const;

/** Keeping the lost writes of the old writer in the peer region: find or take its snapshot, copy it, tag the copy. */
export const LOST_WRITES_ACTIONS = [
    "rds:DescribeDBClusterSnapshots",
    "rds:CopyDBClusterSnapshot",
    "rds:CreateDBClusterSnapshot",
    "rds:AddTagsToResource",
    "kms:CreateGrant",
    "kms:DescribeKey",
] as const;

/** The evidence of every run: its record in the runs table, its report in the report bucket. */
export const EVIDENCE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "s3:PutObject"] as const;

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
            // The peer region's copy is set best effort (that region may be the one that is down); after a break-glass,
            // aftercare reads it once that region answers and sets it if it still names the fenced old writer's region.
            Sid: "ReadAndSetThePeerRegionsActiveRegion",
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:PutParameter"],
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
            // The network-interface writes Lambda makes with this role to place the function in its subnets
            // (AWSLambdaVPCAccessExecutionRole's actions). They have resource-level permissions, so they are held to this
            // account and region, in the form Lambda's guide gives (`arn:aws:ec2:<region>:<account>:*/*`): the
            // interfaces do not exist before Lambda creates them, and it names the subnet and security group too.
            // @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
            // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
            Sid: "VpcNetworkInterfacesInOwnRegion",
            Effect: "Allow",
            Action: [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            Resource: [`arn:${a.partition}:ec2:${a.region}:${a.accountId}:*/*`],
        },
        {
            // Describe* actions have no resource-level permission in EC2: `*` is the only resource they accept.
            // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
            Sid: "VpcDescribeNoResourceLevelPermission",
            Effect: "Allow",
            Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            Resource: "*",
        },
    ];
    statements.push(...breakGlassStatements(a), ...fenceStatements(a), ...lostWritesStatements(a), ...evidenceStatements(a));
    if (a.application !== undefined) {
        statements.push(...applicationStatements(a, a.application));
    }
    if (a.topicArns.length > 0) {
        statements.push({ Sid: "NotifyOnCall", Effect: "Allow", Action: ["sns:Publish"], Resource: [...a.topicArns] });
    }
    return policyDocument(statements);
}

/**
 * Break-glass, in its own region: the master secret as this region holds it, by its full ARN (a secret ARN ends in
 * a random suffix: the exact ARN, not a name pattern). The detach itself is in PromoteOwnRegionsClusterOnly; the key
 * the secret is encrypted with is its own region's (UseOwnRegionsKey: Decrypt to read, GenerateDataKey to write).
 */
function breakGlassStatements(a: OrchestratorPolicyArgs): PolicyStatement[] {
    return [{ Sid: "RepointOwnRegionsSecret", Effect: "Allow", Action: [...SECRET_ACTIONS], Resource: [a.secretArn] }];
}

/**
 * Fencing the old writer, in the peer region, on that region's database security group, its cluster parameter group
 * and its instances only.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 */
function fenceStatements(a: OrchestratorPolicyArgs): PolicyStatement[] {
    const rds = (resource: string) => `arn:${a.partition}:rds:${a.peerRegion}:${a.accountId}:${resource}`;
    return [
        {
            // Reading the group's rules back (what to revoke; is it fenced): EC2 Describe actions have no resource-level
            // permission.
            Sid: "FenceReadSecurityGroupsNoResourceLevelPermission",
            Effect: "Allow",
            Action: ["ec2:DescribeSecurityGroups"],
            Resource: "*",
        },
        {
            // Revoked by the rules' IpPermissions, as DescribeSecurityGroups returns them, so the group is the only
            // resource the request names.
            Sid: "FenceRevokePeerDatabaseIngress",
            Effect: "Allow",
            Action: ["ec2:RevokeSecurityGroupIngress"],
            Resource: [`arn:${a.partition}:ec2:${a.peerRegion}:${a.accountId}:security-group/${a.peerSecurityGroupId}`],
        },
        {
            Sid: "FenceSetPeerClusterParameter",
            Effect: "Allow",
            Action: ["rds:ModifyDBClusterParameterGroup", "rds:DescribeDBClusterParameters"],
            Resource: [rds(`cluster-pg:${a.peerClusterParameterGroupName}`)],
        },
        {
            // Connections that outlived the revoke are dropped by a reboot of the peer cluster's instances.
            Sid: "FenceRebootPeerInstances",
            Effect: "Allow",
            Action: ["rds:RebootDBInstance"],
            Resource: [rds(`db:${a.peerClusterIdentifier}-*`)],
        },
    ];
}

/**
 * The ARNs of the snapshots of the peer cluster the lost-writes work may touch: Aurora's own snapshot after an
 * unplanned failover (`rds:unplanned-global-failover-<cluster>-<timestamp>`) and the manual ones named after the
 * cluster (`lostWritesSnapshotName`: `<cluster>-lost-writes-<run>`, and a break-glass snapshot of the fenced cluster).
 */
export function peerSnapshotArns(
    a: Pick<OrchestratorPolicyArgs, "partition" | "accountId" | "peerRegion" | "peerClusterIdentifier">,
): string[] {
    const snapshot = (id: string) => `arn:${a.partition}:rds:${a.peerRegion}:${a.accountId}:cluster-snapshot:${id}`;
    return [snapshot(`${UNPLANNED_FAILOVER_SNAPSHOT_PREFIX}${a.peerClusterIdentifier}-*`), snapshot(`${a.peerClusterIdentifier}-*`)];
}

/**
 * Keeping the lost writes, in the peer region (where the old writer's snapshot is): the peer cluster and its
 * snapshots only. CopyDBClusterSnapshot is authorised on the source and the target snapshot; copying an encrypted
 * snapshot with a key needs kms:CreateGrant (for RDS, hence kms:GrantIsForAWSResource) and kms:DescribeKey on it.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-copy-snapshot.html
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
 */
function lostWritesStatements(a: OrchestratorPolicyArgs): PolicyStatement[] {
    const snapshots = peerSnapshotArns(a);
    return [
        {
            Sid: "FindOrSnapshotPeerLostWrites",
            Effect: "Allow",
            Action: ["rds:DescribeDBClusterSnapshots", "rds:CreateDBClusterSnapshot"],
            Resource: [a.peerClusterArn, ...snapshots],
        },
        {
            Sid: "CopyAndTagPeerLostWrites",
            Effect: "Allow",
            Action: ["rds:CopyDBClusterSnapshot", "rds:AddTagsToResource"],
            Resource: snapshots,
        },
        {
            Sid: "EncryptLostWritesCopyWithPeerKey",
            Effect: "Allow",
            Action: ["kms:CreateGrant"],
            Resource: [a.peerKmsKeyArn],
            Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
        {
            Sid: "ReadPeerKey",
            Effect: "Allow",
            Action: ["kms:DescribeKey"],
            Resource: [a.peerKmsKeyArn],
        },
    ];
}

/**
 * The evidence of every run, in its own region: its record (PutItem at the start, only if absent; UpdateItem at the end
 * and when the aftercare keeps the run's lost writes; never read: on-call reads the records with their own credentials)
 * and its report, written once under
 * `runs/` (never deleted or overwritten: no other S3 action is allowed). The report bucket's key is its own region's (UseOwnRegionsKey: GenerateDataKey).
 */
function evidenceStatements(a: OrchestratorPolicyArgs): PolicyStatement[] {
    return [
        {
            Sid: "WriteOwnRunRecords",
            Effect: "Allow",
            Action: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            Resource: [a.runsTableArn],
        },
        { Sid: "WriteOwnRunReports", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${a.reportBucketArn}/runs/*`] },
    ];
}

/** The application tier's calls (orchestrator/src/application.ts, beacon.ts, applicationAftercare.ts). */
export const APPLICATION_ACTIONS = [
    "ecs:DescribeServices",
    "ecs:UpdateService",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:RegisterScalableTarget",
    "elasticloadbalancing:DescribeTargetHealth",
    "cloudwatch:PutMetricData",
    "rds:ModifyDBCluster",
    "dynamodb:PutItem",
] as const;

/**
 * The application tier, in both regions (the names are the same in each): its own region's service scaled out on
 * arrival and checked, the peer's scaled back to the standby count by aftercare once traffic left it; its own cluster's
 * Serverless v2 minimum raised and restored; the traffic metrics in its own region; the capacity record in both lock
 * tables. `*` only where the service authorization reference lists no resource type for the action.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_elasticloadbalancingv2.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_applicationautoscaling.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 */
function applicationStatements(a: OrchestratorPolicyArgs, app: OrchestratorApplicationArgs): PolicyStatement[] {
    const service = (region: string) => `arn:${a.partition}:ecs:${region}:${a.accountId}:service/${app.clusterName}/${app.serviceName}`;
    return [
        {
            // DescribeServices and UpdateService are authorised on the service ARN.
            Sid: "ScaleAndReadTheApplicationServiceInBothRegions",
            Effect: "Allow",
            Action: ["ecs:DescribeServices", "ecs:UpdateService"],
            Resource: [service(a.region), service(a.peerRegion)],
        },
        {
            // A scalable target's ARN ends in an opaque id AWS assigns (scalable-target/<id>), unknown to the program:
            // the statement is held to the two regions and this account.
            Sid: "SetTheServicesScalableTargetMinimum",
            Effect: "Allow",
            Action: ["application-autoscaling:RegisterScalableTarget"],
            Resource: [a.region, a.peerRegion].map(
                (r) => `arn:${a.partition}:application-autoscaling:${r}:${a.accountId}:scalable-target/*`,
            ),
        },
        {
            // Describe actions of Application Auto Scaling and ELBv2's DescribeTargetHealth have no resource-level permission.
            Sid: "ReadScalableTargetsAndTargetHealthNoResourceLevelPermission",
            Effect: "Allow",
            Action: ["application-autoscaling:DescribeScalableTargets", "elasticloadbalancing:DescribeTargetHealth"],
            Resource: "*",
        },
        {
            // PutMetricData has no resource-level permission; the namespace condition key holds it to the traffic metrics.
            Sid: "PublishTrafficMetricsNoResourceLevelPermission",
            Effect: "Allow",
            Action: ["cloudwatch:PutMetricData"],
            Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": APPLICATION_METRICS.namespace } },
        },
        {
            // The Serverless v2 minimum raised on arrival and restored by aftercare: its own cluster only.
            Sid: "SetOwnClustersServerlessMinimum",
            Effect: "Allow",
            Action: ["rds:ModifyDBCluster"],
            Resource: [a.clusterArn],
        },
        {
            // The beacon's capacity record (capacityItemKey) in the peer's lock table; its own is TakeTheFailoverLock's.
            Sid: "RecordCapacityInThePeersLockTable",
            Effect: "Allow",
            Action: ["dynamodb:PutItem"],
            Resource: [app.peerLockTableArn],
        },
    ];
}

/** The permission of the role EventBridge uses to forward an alarm to another region's default bus. */
export function forwardToBusPolicy(eventBusArn: string): PolicyDocument {
    return policyDocument([{ Sid: "ForwardAlarmToRegion", Effect: "Allow", Action: ["events:PutEvents"], Resource: [eventBusArn] }]);
}
