/**
 * The key policy of the regional customer-managed KMS key.
 *
 * One key per region encrypts that region's patient data and its logs, topics, backups and trail. Its policy lets
 * the account manage and use the key through IAM (so that roles get exactly the KMS actions their IAM policies
 * name), and lets the AWS services that encrypt on our behalf use it, each limited by the encryption context or the
 * source account their documentation gives.
 */
import { policyDocument, type PolicyDocument } from "./iam";

/**
 * What the account root may do through IAM policies, listed action by action (the AWS default key policy writes
 * `kms:*`; the house rule forbids wildcard actions, and an explicit list is what an auditor can read).
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
export const KEY_ACCOUNT_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
] as const;

export interface KeyPolicyArgs {
    readonly partition: string;
    readonly accountId: string;
    readonly region: string;
}

export function regionalKeyPolicy({ partition, accountId, region }: KeyPolicyArgs): PolicyDocument {
    const cloudTrailArns = `arn:${partition}:cloudtrail:*:${accountId}:trail/*`;
    return policyDocument([
        {
            Sid: "AccountManagesKeyThroughIam",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
            Action: [...KEY_ACCOUNT_ACTIONS],
            // In a key policy, "*" means "this key".
            Resource: "*",
        },
        {
            // @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
            Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
            Effect: "Allow",
            Principal: { Service: `logs.${region}.amazonaws.com` },
            Action: [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:DescribeKey",
            ],
            Resource: "*",
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*` } },
        },
        {
            // Alarms and AWS Backup notifications publish to the KMS-encrypted SNS topics.
            // @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
            Sid: "AwsServicesPublishToEncryptedTopics",
            Effect: "Allow",
            Principal: { Service: ["cloudwatch.amazonaws.com", "backup.amazonaws.com"] },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        },
        {
            // EventBridge rules (GuardDuty findings, failed backup jobs) publish to the same topics. No condition here,
            // as in the AWS example: it is not documented that SNS passes EventBridge's source keys on to KMS, and a
            // condition that never matches would drop alerts silently. The topic policy still admits EventBridge
            // only on behalf of this account (aws:SourceAccount), so the key is used for this account's topics only.
            // @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
            Sid: "EventBridgePublishesToEncryptedTopics",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: "*",
        },
        // CloudTrail needs three separate grants: data keys for the log files (with the trail's encryption context),
        // DescribeKey (a call that carries no encryption context, so it cannot share that condition) and Decrypt
        // (required when the trail bucket uses an S3 Bucket Key, as ours do). Each is limited to this account's
        // trails by aws:SourceArn, which the page recommends over aws:SourceAccount.
        // @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
        {
            Sid: "CloudTrailEncryptsThisAccountsTrails",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: ["kms:GenerateDataKey"],
            Resource: "*",
            Condition: {
                StringLike: {
                    "aws:SourceArn": cloudTrailArns,
                    "kms:EncryptionContext:aws:cloudtrail:arn": cloudTrailArns,
                },
            },
        },
        {
            Sid: "CloudTrailDescribesTheKey",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: ["kms:DescribeKey"],
            Resource: "*",
            Condition: { StringLike: { "aws:SourceArn": cloudTrailArns } },
        },
        {
            Sid: "CloudTrailDecryptsWithTheBucketKey",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: ["kms:Decrypt"],
            Resource: "*",
            Condition: { StringLike: { "aws:SourceArn": cloudTrailArns } },
        },
    ]);
}
