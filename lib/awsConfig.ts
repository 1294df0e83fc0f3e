/**
 * AWS Config: compliance checked at run time (`healthcare-dr:compliance`). The policy pack checks what a preview
 * would create; AWS Config checks what exists, including what someone changed in the console afterwards.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/WhatIsConfig.html
 */
import { policyDocument, type PolicyDocument } from "./iam";
import { physicalName } from "./naming";
import { transportStatements } from "./s3Policies";

/**
 * Who owns each region's configuration recorder:
 * - `create`: the stack declares one in each region (with a delivery channel to a KMS-encrypted bucket);
 * - `existing`: the account already records (AWS Config allows one customer-managed recorder per account and region,
 *   often an organisation's); the stack deploys only its conformance pack, rules and alert routing;
 * - `off`: nothing of AWS Config (the preview-time policy pack remains).
 * @see https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
 */
export const AWS_CONFIG_MODES = ["create", "existing", "off"] as const;
export type AwsConfigMode = (typeof AWS_CONFIG_MODES)[number];

/** Run-time compliance settings, every default resolved. */
export interface ComplianceSettings {
    /** `create`, `existing` or `off` (AWS_CONFIG_MODES). */
    readonly awsConfig: AwsConfigMode;
}

/** Why a Pulumi resource type is not in a recorder's recording group. */
export interface NotRecorded {
    readonly notRecorded: string;
}

const PART_OF_BUCKET = "AWS::S3::Bucket";
const CONFIG_ITSELF: NotRecorded = { notRecorded: "AWS Config's own settings, not a resource type it records" };

/**
 * The AWS Config resource type of every Pulumi resource type this program declares: the type whose configuration
 * item records it (a bucket's versioning, policy and encryption are part of the `AWS::S3::Bucket` item; a route is part
 * of its route table's), or why none does. A resource type that the program starts to declare without an entry here
 * fails a test (tests/runtime-compliance.test.ts plans both stacks), and every type named here is checked against the
 * `ResourceType` enum of the AWS Config API model, so a recorder never asks for a type Config does not know.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html
 */
export const CONFIG_RESOURCE_TYPES: Readonly<Record<string, string | NotRecorded>> = {
    "aws:acm/certificate:Certificate": "AWS::ACM::Certificate",
    "aws:acm/certificateValidation:CertificateValidation": { notRecorded: "a wait for ACM's validation, not a resource" },
    "aws:appautoscaling/policy:Policy": { notRecorded: "Application Auto Scaling is not a type AWS Config records" },
    "aws:appautoscaling/target:Target": { notRecorded: "Application Auto Scaling is not a type AWS Config records" },
    "aws:backup/plan:Plan": "AWS::Backup::BackupPlan",
    "aws:backup/regionSettings:RegionSettings": { notRecorded: "an account setting of AWS Backup, not a resource type" },
    "aws:backup/selection:Selection": "AWS::Backup::BackupSelection",
    "aws:backup/vault:Vault": "AWS::Backup::BackupVault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "AWS::Backup::BackupVault",
    "aws:budgets/budget:Budget": { notRecorded: "budgets are not a type AWS Config records (only budget actions)" },
    "aws:cfg/conformancePack:ConformancePack": "AWS::Config::ConformancePackCompliance",
    "aws:cfg/deliveryChannel:DeliveryChannel": CONFIG_ITSELF,
    "aws:cfg/recorder:Recorder": CONFIG_ITSELF,
    "aws:cfg/recorderStatus:RecorderStatus": CONFIG_ITSELF,
    "aws:cfg/rule:Rule": "AWS::Config::ResourceCompliance",
    "aws:cloudtrail/trail:Trail": "AWS::CloudTrail::Trail",
    "aws:cloudwatch/dashboard:Dashboard": { notRecorded: "dashboards are not a type AWS Config records" },
    "aws:cloudwatch/eventRule:EventRule": "AWS::Events::Rule",
    "aws:cloudwatch/eventTarget:EventTarget": "AWS::Events::Rule",
    "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy": {
        notRecorded: "log groups are not a type AWS Config records (cw-loggroup-retention-period-check reads them periodically)",
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        notRecorded: "log groups are not a type AWS Config records (cw-loggroup-retention-period-check reads them periodically)",
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": "AWS::CloudWatch::Alarm",
    "aws:dynamodb/contributorInsights:ContributorInsights": "AWS::DynamoDB::Table",
    "aws:dynamodb/table:Table": "AWS::DynamoDB::Table",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "AWS::EC2::SecurityGroup",
    "aws:ec2/eip:Eip": "AWS::EC2::EIP",
    "aws:ec2/flowLog:FlowLog": "AWS::EC2::FlowLog",
    "aws:ec2/internetGateway:InternetGateway": "AWS::EC2::InternetGateway",
    "aws:ec2/natGateway:NatGateway": "AWS::EC2::NatGateway",
    "aws:ec2/route:Route": "AWS::EC2::RouteTable",
    "aws:ec2/routeTable:RouteTable": "AWS::EC2::RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "AWS::EC2::RouteTable",
    "aws:ec2/securityGroup:SecurityGroup": "AWS::EC2::SecurityGroup",
    "aws:ec2/subnet:Subnet": "AWS::EC2::Subnet",
    "aws:ec2/vpc:Vpc": "AWS::EC2::VPC",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "AWS::EC2::VPCEndpoint",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "AWS::EC2::VPCPeeringConnection",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": "AWS::EC2::VPCPeeringConnection",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "AWS::ECR::Repository",
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": "AWS::ECR::ReplicationConfiguration",
    "aws:ecr/repository:Repository": "AWS::ECR::Repository",
    "aws:ecs/cluster:Cluster": "AWS::ECS::Cluster",
    "aws:ecs/service:Service": "AWS::ECS::Service",
    "aws:ecs/taskDefinition:TaskDefinition": "AWS::ECS::TaskDefinition",
    "aws:guardduty/detector:Detector": "AWS::GuardDuty::Detector",
    "aws:guardduty/detectorFeature:DetectorFeature": "AWS::GuardDuty::Detector",
    "aws:iam/role:Role": "AWS::IAM::Role",
    "aws:iam/rolePolicy:RolePolicy": "AWS::IAM::Role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "AWS::IAM::Role",
    "aws:kms/alias:Alias": "AWS::KMS::Alias",
    "aws:kms/key:Key": "AWS::KMS::Key",
    "aws:lambda/codeSigningConfig:CodeSigningConfig": "AWS::Lambda::CodeSigningConfig",
    "aws:lambda/function:Function": "AWS::Lambda::Function",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "AWS::Lambda::Function",
    "aws:lambda/permission:Permission": "AWS::Lambda::Function",
    "aws:lb/listener:Listener": "AWS::ElasticLoadBalancingV2::Listener",
    "aws:lb/loadBalancer:LoadBalancer": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "aws:lb/targetGroup:TargetGroup": "AWS::ElasticLoadBalancingV2::TargetGroup",
    "aws:rds/cluster:Cluster": "AWS::RDS::DBCluster",
    "aws:rds/clusterInstance:ClusterInstance": "AWS::RDS::DBInstance",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": { notRecorded: "parameter groups are not a type AWS Config records" },
    "aws:rds/globalCluster:GlobalCluster": "AWS::RDS::GlobalCluster",
    "aws:rds/subnetGroup:SubnetGroup": "AWS::RDS::DBSubnetGroup",
    "aws:route53/healthCheck:HealthCheck": { notRecorded: "health checks are not a type AWS Config records" },
    "aws:route53/record:Record": "AWS::Route53::HostedZone",
    "aws:route53/zone:Zone": "AWS::Route53::HostedZone",
    "aws:s3/bucket:Bucket": PART_OF_BUCKET,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": PART_OF_BUCKET,
    "aws:s3/bucketLogging:BucketLogging": PART_OF_BUCKET,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": PART_OF_BUCKET,
    "aws:s3/bucketObjectv2:BucketObjectv2": { notRecorded: "objects are not recorded (their bucket is)" },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": PART_OF_BUCKET,
    "aws:s3/bucketPolicy:BucketPolicy": PART_OF_BUCKET,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": PART_OF_BUCKET,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": PART_OF_BUCKET,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": PART_OF_BUCKET,
    "aws:s3/bucketVersioning:BucketVersioning": PART_OF_BUCKET,
    "aws:secretsmanager/secret:Secret": "AWS::SecretsManager::Secret",
    "aws:secretsmanager/secretRotation:SecretRotation": "AWS::SecretsManager::RotationSchedule",
    "aws:secretsmanager/secretVersion:SecretVersion": { notRecorded: "secret values are never recorded (the secret is)" },
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": "AWS::CloudFormation::Stack",
    "aws:signer/signingJob:SigningJob": { notRecorded: "a signing job is an event, not a resource AWS Config records" },
    "aws:signer/signingProfile:SigningProfile": "AWS::Signer::SigningProfile",
    "aws:sns/topic:Topic": "AWS::SNS::Topic",
    "aws:sns/topicPolicy:TopicPolicy": "AWS::SNS::Topic",
    "aws:sns/topicSubscription:TopicSubscription": { notRecorded: "subscriptions are not a type AWS Config records" },
    "aws:sqs/queue:Queue": "AWS::SQS::Queue",
    "aws:ssm/parameter:Parameter": { notRecorded: "SSM parameters are not a type AWS Config records" },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "AWS::EC2::SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "AWS::EC2::SecurityGroup",
    "aws:wafv2/webAcl:WebAcl": "AWS::WAFv2::WebACL",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "AWS::WAFv2::WebACL",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "AWS::WAFv2::WebACL",
    "pulumi:providers:aws": { notRecorded: "a Pulumi provider, not an AWS resource" },
    "random:index/randomPassword:RandomPassword": { notRecorded: "generated by Pulumi, not an AWS resource" },
};

/**
 * Types the stack causes to exist without declaring them, which rules of the conformance pack evaluate: AWS Backup's
 * recovery points (backup-recovery-point-encrypted, backup-recovery-point-manual-deletion-disabled) and Aurora's
 * cluster snapshots (rds-snapshot-encrypted, rds-snapshots-public-prohibited).
 */
export const INDIRECT_CONFIG_RESOURCE_TYPES = ["AWS::Backup::RecoveryPoint", "AWS::RDS::DBClusterSnapshot"] as const;

/**
 * IAM types are global: a recorder that records them in two regions records every change twice. AWS advises recording
 * them in one region only; this program records them in the primary region.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html
 */
export function isGlobalConfigResourceType(type: string): boolean {
    return type.startsWith("AWS::IAM::");
}

/**
 * The AWS Config resource types a region's recorder records, sorted: the types of the given Pulumi resource types,
 * the indirect ones, and the global IAM types only where `includeGlobal` (the primary region).
 * @throws an Error naming the Pulumi types that have no entry in CONFIG_RESOURCE_TYPES.
 */
export function recordedResourceTypes(pulumiTypes: Iterable<string>, options: { readonly includeGlobal: boolean }): string[] {
    const unknown: string[] = [];
    const types = new Set<string>(INDIRECT_CONFIG_RESOURCE_TYPES);
    for (const pulumiType of pulumiTypes) {
        const mapped = CONFIG_RESOURCE_TYPES[pulumiType];
        if (mapped === undefined) {
            unknown.push(pulumiType);
        } else if (typeof mapped === "string" && (options.includeGlobal || !isGlobalConfigResourceType(mapped))) {
            types.add(mapped);
        }
    }
    if (unknown.length > 0) {
        throw new Error(
            `No AWS Config resource type is known for ${[...new Set(unknown)].sort().join(", ")}: add each to CONFIG_RESOURCE_TYPES in lib/awsConfig.ts (a Config type from https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html, or why it is not recorded).`,
        );
    }
    return [...types].sort();
}

/**
 * The AWS Config resource types of every Pulumi type this program can declare (every entry of CONFIG_RESOURCE_TYPES
 * that maps to one), for `includeGlobal` as in recordedResourceTypes. The recorder records these rather than the types
 * of one run of the program, so that turning a feature on (the application tier, a table) needs no recorder change.
 */
export function programRecordedResourceTypes(options: { readonly includeGlobal: boolean }): string[] {
    return recordedResourceTypes(Object.keys(CONFIG_RESOURCE_TYPES), options);
}

/**
 * The AWS managed policy of AWS Config's service role: read access to the configuration of supported resources.
 * It grants no S3 or KMS access: delivery is granted separately (configDeliveryRolePolicy).
 * @see https://docs.aws.amazon.com/config/latest/developerguide/security-iam-awsmanpol.html#security-iam-awsmanpol-AWS_ConfigRole
 */
export function configRoleManagedPolicyArn(partition: string): string {
    return `arn:${partition}:iam::aws:policy/service-role/AWS_ConfigRole`;
}

/** The service principal of AWS Config. */
export const CONFIG_SERVICE = "config.amazonaws.com";

/** Where AWS Config writes in its delivery bucket: `AWSLogs/<account>/Config/...` under an optional prefix. */
export function configDeliveryObjectsArn(bucketArn: string, accountId: string): string {
    return `${bucketArn}/AWSLogs/${accountId}/Config/*`;
}

/**
 * The permissions of the recorder's role to deliver to its bucket: write configuration history and snapshots under
 * the account's prefix with the bucket owner in full control, read the bucket's ACL (Config checks it before
 * delivering), and encrypt with the region's key (the delivery channel's `s3KmsKeyArn`).
 * @see https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
 */
export function configDeliveryRolePolicy(args: { bucketArn: string; accountId: string; keyArn: string }): PolicyDocument {
    return policyDocument([
        {
            Sid: "DeliverConfigurationItems",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: configDeliveryObjectsArn(args.bucketArn, args.accountId),
            Condition: { StringLike: { "s3:x-amz-acl": "bucket-owner-full-control" } },
        },
        { Sid: "CheckBucketAcl", Effect: "Allow", Action: "s3:GetBucketAcl", Resource: args.bucketArn },
        { Sid: "EncryptWithTheRegionsKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.keyArn },
    ]);
}

/**
 * The delivery bucket's policy: TLS only, and AWS Config (the service principal, which a service-linked role
 * delivers as) may check the bucket and write under the account's prefix, for this account only (`aws:SourceAccount`,
 * against the confused deputy). The recorder's own role is of this account and needs no grant here.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
 */
export function configBucketPolicy(args: { bucketArn: string; accountId: string }): PolicyDocument {
    const thisAccount = { StringEquals: { "aws:SourceAccount": args.accountId } };
    return policyDocument([
        ...transportStatements(args.bucketArn),
        {
            Sid: "AWSConfigBucketPermissionsCheck",
            Effect: "Allow",
            Principal: { Service: CONFIG_SERVICE },
            Action: ["s3:GetBucketAcl", "s3:ListBucket"],
            Resource: args.bucketArn,
            Condition: thisAccount,
        },
        {
            Sid: "AWSConfigBucketDelivery",
            Effect: "Allow",
            Principal: { Service: CONFIG_SERVICE },
            Action: "s3:PutObject",
            Resource: configDeliveryObjectsArn(args.bucketArn, args.accountId),
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": args.accountId } },
        },
    ]);
}

/**
 * The `DataClassification` of the delivery bucket: configuration items describe resources (names, settings,
 * relationships), never their content, so the bucket holds no patient data and the policy pack's patient-data
 * policies (replication, backup selection) do not apply to it.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/config-concepts.html#config-items
 */
export const CONFIG_DATA_CLASSIFICATION = "Internal";

/** Physical names of a region's AWS Config resources: `hdr-<stack>-config-<part>`. */
export function configName(stack: string, part: string): string {
    return physicalName(stack, ["config", part], 128);
}

/**
 * The name prefix of every AWS Config rule of the stack, those of its conformance pack included
 * (hipaaConformancePackTemplate prefixes them): the alert routing matches on it, so that two stacks in one account,
 * or an organisation's own rules, never page this stack's on-call.
 */
export function configRulePrefix(stack: string): string {
    return `${physicalName(stack, [])}-`;
}

/** Compliance types of AWS Config evaluations. @see https://docs.aws.amazon.com/config/latest/APIReference/API_Compliance.html */
export const NON_COMPLIANT = "NON_COMPLIANT";

/**
 * The EventBridge pattern of this stack's rules turning NON_COMPLIANT: AWS Config sends a "Config Rules Compliance
 * Change" event each time a resource's compliance with a rule changes; only the transition into NON_COMPLIANT
 * matches (the old result anything else, or none for a first evaluation), so a resource that stays non-compliant
 * alerts once, not at every re-evaluation.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/example-config-rule-compliance-notification.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function complianceChangePattern(stack: string): string {
    return JSON.stringify({
        source: ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        detail: {
            messageType: ["ComplianceChangeNotification"],
            configRuleName: [{ prefix: configRulePrefix(stack) }],
            newEvaluationResult: { complianceType: [NON_COMPLIANT] },
            oldEvaluationResult: { complianceType: [{ "anything-but": NON_COMPLIANT }, { exists: false }] },
        },
    });
}

/**
 * What the alert topic receives: one line naming the rule, the resource, the region and the runbook section, instead
 * of the whole event.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
export function complianceChangeMessage(runbook: string): { inputPaths: Record<string, string>; inputTemplate: string } {
    return {
        inputPaths: {
            rule: "$.detail.configRuleName",
            resourceType: "$.detail.resourceType",
            resourceId: "$.detail.resourceId",
            region: "$.detail.awsRegion",
            account: "$.detail.awsAccountId",
            time: "$.time",
        },
        inputTemplate: JSON.stringify(
            `AWS Config: <resourceType> <resourceId> is NON_COMPLIANT with <rule> in <region> (account <account>, <time>). ${runbook}`,
        ),
    };
}
