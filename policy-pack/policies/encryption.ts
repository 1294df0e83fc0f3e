/**
 * Encryption at rest with a customer-managed KMS key (HIPAA 164.312(a)(2)(iv)). A customer-managed key, not an
 * AWS-managed one (`alias/aws/...`): only its key policy decides who can decrypt, it can be disabled in an incident,
 * and its use is logged under the account's own key in CloudTrail.
 */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, regionOf } from "./lib/resources";
import { bucketsWithConfig, isAccessLogTarget } from "./lib/s3";
import { T } from "./lib/types";
import { arnRegion, get, isAwsManagedKeyRef, isTrue, isUnknown, records, str, type Props } from "./lib/values";

const AT_REST = ["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"] as const;

/**
 * Reports when `ref` is missing or names an AWS-managed key. A reference unknown at preview time is the output of a
 * resource this stack creates, which is a customer-managed key: an AWS-managed key is never created by a stack, and
 * its ARN or alias is known at preview (a literal, or a data source, which the engine answers in a preview too).
 */
export function requireCmk(report: ReportViolation, ref: unknown, what: string, property: string): void {
    if (isUnknown(ref)) {
        return;
    }
    const key = str(ref);
    if (key === undefined) {
        report(`${what} is not encrypted with a customer-managed KMS key: set ${property} to the region's key ARN.`);
    } else if (isAwsManagedKeyRef(key)) {
        report(`${what} uses the AWS-managed key ${key}: set ${property} to the region's customer-managed key ARN.`);
    }
}

/**
 * A DynamoDB replica's key "must be created in the same region as the replica"; AWS refuses the replica otherwise.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html
 */
const REPLICA_KEY_DOC =
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html";

/**
 * Reports a known key ARN whose region is not `region`. A key id or alias has no region of its own (it is resolved in
 * the replica's region), and an ARN unknown at preview is the key the stack creates for that region (see requireCmk).
 */
function requireKeyInRegion(
    report: ReportViolation,
    key: string | undefined,
    region: string | undefined,
    what: string,
    property: string,
): void {
    const keyRegion = key !== undefined ? arnRegion(key) : undefined;
    if (keyRegion !== undefined && region !== undefined && keyRegion !== region) {
        report(`${what} names a key of ${keyRegion} (${key}): set ${property} to ${region}'s customer-managed key (${REPLICA_KEY_DOC}).`);
    }
}

/**
 * Checks per resource type; each reads only the inputs named in @pulumi/aws v7's `<Resource>Args`. `region` is the
 * resource's own region (its region input, else its provider's).
 */
const CHECKS: Readonly<Record<string, (p: Props, report: ReportViolation, region: string | undefined) => void>> = {
    [T.snsTopic]: (p, report) => requireCmk(report, p["kmsMasterKeyId"], "The SNS topic", "kmsMasterKeyId"),
    [T.sqsQueue]: (p, report) =>
        requireCmk(report, p["kmsMasterKeyId"], "The SQS queue", "kmsMasterKeyId (sqsManagedSseEnabled uses an AWS-owned key)"),
    [T.logGroup]: (p, report) => requireCmk(report, p["kmsKeyId"], "The log group", "kmsKeyId"),
    [T.backupVault]: (p, report) => requireCmk(report, p["kmsKeyArn"], "The backup vault", "kmsKeyArn"),
    [T.trail]: (p, report) => requireCmk(report, p["kmsKeyId"], "The CloudTrail trail's log files", "kmsKeyId"),
    [T.secret]: (p, report) => {
        requireCmk(report, p["kmsKeyId"], "The secret", "kmsKeyId");
        records(p["replicas"]).forEach((replica, i) =>
            requireCmk(
                report,
                replica["kmsKeyId"],
                `The secret's replica in ${str(replica["region"]) ?? `replicas[${i}]`}`,
                `replicas[${i}].kmsKeyId`,
            ),
        );
    },
    [T.lambdaFunction]: (p, report) => {
        const variables = get(p, "environment", "variables");
        if (variables !== undefined && variables !== null && Object.keys(variables).length > 0) {
            requireCmk(report, p["kmsKeyArn"], "The function's environment variables", "kmsKeyArn");
        }
    },
    [T.dynamoTable]: (p, report) => {
        if (!isTrue(get(p, "serverSideEncryption", "enabled"))) {
            report(
                "The DynamoDB table uses the AWS-owned key: set serverSideEncryption.enabled to true and serverSideEncryption.kmsKeyArn to the region's key ARN.",
            );
        } else {
            requireCmk(report, get(p, "serverSideEncryption", "kmsKeyArn"), "The DynamoDB table", "serverSideEncryption.kmsKeyArn");
        }
        const tableKey = str(get(p, "serverSideEncryption", "kmsKeyArn"));
        records(p["replicas"]).forEach((replica, i) => {
            const region = str(replica["regionName"]);
            const what = `The table's replica in ${region ?? `replicas[${i}]`}`;
            requireCmk(report, replica["kmsKeyArn"], what, `replicas[${i}].kmsKeyArn`);
            const key = str(replica["kmsKeyArn"]);
            if (key !== undefined && key === tableKey) {
                report(
                    `${what} names the table's own key ${key}: set replicas[${i}].kmsKeyArn to ${region ?? "the replica region"}'s customer-managed key (a replica is encrypted with a key of its own region; ${REPLICA_KEY_DOC}).`,
                );
            } else {
                requireKeyInRegion(report, key, region, what, `replicas[${i}].kmsKeyArn`);
            }
        });
    },
    [T.dynamoTableReplica]: (p, report, region) => {
        requireCmk(report, p["kmsKeyArn"], "The table replica", "kmsKeyArn");
        requireKeyInRegion(report, str(p["kmsKeyArn"]), region, `The table replica in ${region ?? "its region"}`, "kmsKeyArn");
    },
    // AWS Config's configuration snapshots and history describe every recorded resource (names, policies, tags).
    [T.configDeliveryChannel]: (p, report) =>
        requireCmk(report, p["s3KmsKeyArn"], "The AWS Config delivery channel's snapshots and history", "s3KmsKeyArn"),
    [T.rdsCluster]: (p, report) => {
        if (!isTrue(p["storageEncrypted"])) {
            report("The Aurora cluster's storage is not encrypted: set storageEncrypted to true and kmsKeyId to the region's key ARN.");
        } else {
            requireCmk(report, p["kmsKeyId"], "The Aurora cluster's storage", "kmsKeyId");
        }
        if (isTrue(p["performanceInsightsEnabled"])) {
            requireCmk(report, p["performanceInsightsKmsKeyId"], "The cluster's Performance Insights data", "performanceInsightsKmsKeyId");
        }
    },
    [T.rdsInstance]: (p, report) => {
        if (!isTrue(p["storageEncrypted"])) {
            report("The DB instance's storage is not encrypted: set storageEncrypted to true and kmsKeyId to the region's key ARN.");
        } else {
            requireCmk(report, p["kmsKeyId"], "The DB instance's storage", "kmsKeyId");
        }
        if (isTrue(p["performanceInsightsEnabled"])) {
            requireCmk(report, p["performanceInsightsKmsKeyId"], "The instance's Performance Insights data", "performanceInsightsKmsKeyId");
        }
    },
    [T.rdsClusterInstance]: (p, report) => {
        if (isTrue(p["performanceInsightsEnabled"])) {
            requireCmk(report, p["performanceInsightsKmsKeyId"], "The instance's Performance Insights data", "performanceInsightsKmsKeyId");
        }
    },
    // Without an encryption configuration ECR uses AES256 (S3-managed keys); KMS without kmsKey uses aws/ecr.
    // @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html
    [T.ecrRepository]: (p, report) => {
        const configuration = records(p["encryptionConfigurations"])[0];
        const type = str(configuration?.["encryptionType"]) ?? "AES256";
        if (type !== "KMS" && type !== "KMS_DSSE") {
            report(
                `The ECR repository encrypts images with ${type}: set encryptionConfigurations to [{ encryptionType: "KMS", kmsKey: <the region's key ARN> }].`,
            );
        } else {
            requireCmk(report, configuration?.["kmsKey"], "The ECR repository's images", "encryptionConfigurations[0].kmsKey");
        }
    },
    [T.rdsGlobalCluster]: (p, report) => {
        // Created from an existing cluster, the global cluster takes that cluster's encryption.
        if (str(p["sourceDbClusterIdentifier"]) === undefined && !isTrue(p["storageEncrypted"])) {
            report(
                "The global database is not encrypted: set storageEncrypted to true (each member cluster then sets kmsKeyId to its region's key).",
            );
        }
    },
};

export const encryptionAtRestCmk = resourcePolicy({
    name: "encryption-at-rest-cmk",
    description:
        "Data at rest is encrypted with a customer-managed KMS key: Aurora storage and Performance Insights, SNS, SQS, DynamoDB (every global-table replica on a key of its own region), log groups, backup vaults, secrets, Lambda environment variables, CloudTrail logs, AWS Config's delivered snapshots and ECR images.",
    remediationSteps: "Pass the region's customer-managed key (RegionalKey.arn) in the property the message names.",
    metadata: {
        concern: "encryption-at-rest",
        hipaa: [...AT_REST],
        checks: "Aurora/RDS storage and Performance Insights, global database, SNS, SQS, DynamoDB tables (each replica on a key of the replica's region, not the table's), log groups, backup vaults, secrets (and replicas), Lambda environment, CloudTrail, AWS Config delivery channels (s3KmsKeyArn) and ECR repositories (encryptionType KMS) use a customer-managed KMS key",
        resourceTypes: Object.keys(CHECKS),
        cdkNag: [
            "RDSStorageEncrypted",
            "SNSEncryptedKMS",
            "CloudWatchLogGroupEncrypted",
            "SecretsManagerUsingKMSKey",
            "CloudTrailEncryptionEnabled",
        ],
        awsConfig: [
            "rds-storage-encrypted",
            "sns-encrypted-kms",
            "cloudwatch-log-group-encrypted",
            "secretsmanager-using-cmk",
            "cloud-trail-encryption-enabled",
            "dynamodb-table-encrypted-kms",
            "backup-recovery-point-encrypted",
        ],
        docs: [REPLICA_KEY_DOC, "https://docs.aws.amazon.com/config/latest/APIReference/API_DeliveryChannel.html"],
    },
    validate: (args: ResourceValidationArgs, report) => CHECKS[args.type]?.(args.props, report, regionOf(args.props, args.provider)),
});

export const kmsKeyRotation = resourcePolicy({
    name: "kms-key-rotation",
    description: "Customer-managed symmetric KMS keys rotate their key material automatically.",
    remediationSteps: "Set enableKeyRotation to true on the key.",
    metadata: {
        concern: "encryption-at-rest",
        hipaa: ["164.312(a)(2)(iv)"],
        checks: "Symmetric encryption keys have automatic rotation on",
        resourceTypes: [T.kmsKey],
        awsConfig: ["cmk-backing-key-rotation-enabled"],
        docs: ["https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"],
    },
    validate: ({ props }, report) => {
        // Rotation exists only for symmetric encryption keys; asymmetric and HMAC keys cannot rotate.
        const spec = str(props["customerMasterKeySpec"]) ?? "SYMMETRIC_DEFAULT";
        const usage = str(props["keyUsage"]) ?? "ENCRYPT_DECRYPT";
        if (spec === "SYMMETRIC_DEFAULT" && usage === "ENCRYPT_DECRYPT" && !isTrue(props["enableKeyRotation"])) {
            report("The key does not rotate: set enableKeyRotation to true.");
        }
    },
});

export const s3BucketEncryptedCmk = stackPolicy({
    name: "s3-bucket-encrypted-cmk",
    description: "Every S3 bucket encrypts new objects by default with SSE-KMS (or DSSE-KMS) under a customer-managed key.",
    remediationSteps:
        "Declare an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with sseAlgorithm aws:kms and kmsMasterKeyId set to the region's key ARN.",
    metadata: {
        concern: "encryption-at-rest",
        hipaa: [...AT_REST],
        checks: "Each bucket has a default-encryption configuration with SSE-KMS under a customer-managed key (server access log target buckets: SSE-S3, the only encryption log delivery supports)",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketSse, T.bucketSseV2],
        cdkNag: ["S3BucketServerSideEncryptionEnabled", "S3DefaultEncryptionKMS"],
        awsConfig: ["s3-bucket-server-side-encryption-enabled", "s3-default-encryption-kms"],
        docs: ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"],
    },
    validate: ({ resources }, report) => {
        for (const { bucket, configs } of bucketsWithConfig(resources, [T.bucketSse, T.bucketSseV2])) {
            const inline = bucket.props["serverSideEncryptionConfiguration"];
            const rules = [...configs.flatMap((c) => records(c.props["rules"])), ...records(get(inline, "rule")).map((r) => r)];
            if (rules.length === 0) {
                report(
                    `${describe(bucket)} has no default encryption configuration: declare a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and the region's key.`,
                    bucket.urn,
                );
                continue;
            }
            for (const rule of rules) {
                const sse = rule["applyServerSideEncryptionByDefault"];
                const algorithm = str(get(sse, "sseAlgorithm"));
                // Unknown at preview: the ARN of a key this stack creates, so customer-managed (see requireCmk).
                const keyRef = get(sse, "kmsMasterKeyId");
                const key = str(keyRef);
                if (algorithm === "AES256" && isAccessLogTarget(bucket, resources)) {
                    // Server access log delivery supports SSE-S3 only.
                    continue;
                }
                if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
                    report(
                        `${describe(bucket)} encrypts with ${algorithm ?? "no algorithm"}: set sseAlgorithm to aws:kms with the region's customer-managed key.`,
                        bucket.urn,
                    );
                } else if (!isUnknown(keyRef) && (key === undefined || isAwsManagedKeyRef(key))) {
                    report(
                        `${describe(bucket)} uses ${key ?? "the AWS-managed key aws/s3"}: set kmsMasterKeyId to the region's customer-managed key ARN.`,
                        bucket.urn,
                    );
                }
            }
        }
    },
});

export const encryptionPolicies: readonly PackPolicy[] = [encryptionAtRestCmk, kmsKeyRotation, s3BucketEncryptedCmk];
