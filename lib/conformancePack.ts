/**
 * The AWS Config conformance pack "Operational Best Practices for HIPAA Security" and the rules the policy pack names
 * that it lacks. Pure data and functions: the template body is rendered here, deterministically, and the digest of
 * the rule set is pinned (HIPAA_PACK_RULES_SHA256, checked by a test), so that a change of the deployed pack is
 * always a deliberate one.
 *
 * The rule set is AWS's published sample template (HIPAA_PACK_SOURCE: repository, path and commit it was taken
 * from): every `AWS::Config::ConfigRule` of it, by rule name, managed-rule identifier and scope. The template is
 * re-rendered here rather than copied: its rule names carry the stack's prefix (so that the alert routing matches
 * this stack's rules only), its parameters are the ones this stack sets, and the rules that can only fail in an
 * environment without deletion protection are left out there.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/operational-best-practices-for-hipaa_security.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/conformance-pack-sample-templates.html
 */
import { createHash } from "crypto";

/** Where the rule set comes from: AWS's sample conformance packs on GitHub, pinned by commit. */
export const HIPAA_PACK_SOURCE = {
    repository: "awslabs/aws-config-rules",
    path: "aws-config-conformance-packs/Operational-Best-Practices-for-HIPAA-Security.yaml",
    commit: "1c527eab397842f0e88920714ce814471309c64b",
    url: "https://github.com/awslabs/aws-config-rules/blob/1c527eab397842f0e88920714ce814471309c64b/aws-config-conformance-packs/Operational-Best-Practices-for-HIPAA-Security.yaml",
    /** Size of the file at that commit (characters, all ASCII): under PutConformancePack's 51,200-byte templateBody limit. */
    characters: 50_809,
} as const;

/**
 * PutConformancePack takes the template inline up to 51,200 bytes (`templateBody`), or from S3 up to 300 KB
 * (`templateS3Uri`). The rendered template is measured against this in a test; it is well under, so no S3 object and
 * no bucket are needed for it.
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_PutConformancePack.html
 */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/** One rule of a conformance pack or an extra rule: an AWS Config managed rule. */
export interface ManagedRule {
    /** The rule's name in AWS's documentation and in the policies' `metadata.awsConfig`. */
    readonly name: string;
    /** The managed rule's identifier (`Source.SourceIdentifier`); by default the name in upper snake case. */
    readonly identifier: string;
    /** The resource types whose changes trigger it; absent: a periodic rule (or one AWS scopes itself). */
    readonly scope?: readonly string[];
}

const S3 = ["AWS::S3::Bucket"];
const RDS_INSTANCE = ["AWS::RDS::DBInstance"];
const RDS_CLUSTER = ["AWS::RDS::DBCluster"];
const RDS_SNAPSHOTS = ["AWS::RDS::DBSnapshot", "AWS::RDS::DBClusterSnapshot"];
const EC2_INSTANCE = ["AWS::EC2::Instance"];
const SECURITY_GROUP = ["AWS::EC2::SecurityGroup"];
const CLASSIC_ELB = ["AWS::ElasticLoadBalancing::LoadBalancer"];
const ALB = ["AWS::ElasticLoadBalancingV2::LoadBalancer"];
const OPENSEARCH = ["AWS::OpenSearch::Domain"];
const ELASTICSEARCH = ["AWS::Elasticsearch::Domain"];
const REDSHIFT = ["AWS::Redshift::Cluster"];
const TASK_DEFINITION = ["AWS::ECS::TaskDefinition"];
const SECRET = ["AWS::SecretsManager::Secret"];
const IAM_POLICY = ["AWS::IAM::Policy"];
const IAM_PRINCIPALS = ["AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::User"];
const API_STAGE = ["AWS::ApiGateway::Stage"];
const CODEBUILD = ["AWS::CodeBuild::Project"];
const DYNAMODB = ["AWS::DynamoDB::Table"];
const LAMBDA = ["AWS::Lambda::Function"];
const ECR = ["AWS::ECR::Repository"];

/** The managed identifier of a rule whose identifier is its name in upper snake case. */
function identifierOf(name: string): string {
    return name.toUpperCase().replace(/-/g, "_");
}

/** `[name, scope?, identifier?]`, the identifier only where it is not the name in upper snake case. */
type Row = readonly [string, (readonly string[] | undefined)?, string?];
const rule = ([name, scope, identifier]: Row): ManagedRule => ({
    name,
    identifier: identifier ?? identifierOf(name),
    ...(scope !== undefined ? { scope } : {}),
});

/** The rules of the pinned template (HIPAA_PACK_SOURCE), in its order. */
export const HIPAA_PACK_RULES: readonly ManagedRule[] = (
    [
        ["access-keys-rotated"],
        ["acm-certificate-expiration-check", ["AWS::ACM::Certificate"]],
        ["alb-http-to-https-redirection-check"],
        ["alb-waf-enabled", ALB],
        ["api-gw-associated-with-waf", API_STAGE],
        ["api-gw-execution-logging-enabled", [...API_STAGE, "AWS::ApiGatewayV2::Stage"]],
        ["api-gw-ssl-enabled", API_STAGE],
        ["aurora-resources-protected-by-backup-plan", RDS_CLUSTER],
        ["autoscaling-group-elb-healthcheck-required", ["AWS::AutoScaling::AutoScalingGroup"]],
        ["autoscaling-launch-config-public-ip-disabled", ["AWS::AutoScaling::LaunchConfiguration"]],
        ["backup-plan-min-frequency-and-min-retention-check", ["AWS::Backup::BackupPlan"]],
        ["backup-recovery-point-encrypted", ["AWS::Backup::RecoveryPoint"]],
        ["backup-recovery-point-manual-deletion-disabled", ["AWS::Backup::BackupVault"]],
        ["cloud-trail-cloud-watch-logs-enabled"],
        ["cloudtrail-enabled", undefined, "CLOUD_TRAIL_ENABLED"],
        ["cloud-trail-encryption-enabled"],
        ["cloud-trail-log-file-validation-enabled"],
        ["cloudtrail-s3-dataevents-enabled"],
        ["cloudwatch-alarm-action-check", ["AWS::CloudWatch::Alarm"]],
        ["codebuild-project-envvar-awscred-check", CODEBUILD],
        ["codebuild-project-source-repo-url-check", CODEBUILD],
        ["db-instance-backup-enabled", RDS_INSTANCE],
        ["dms-replication-not-public"],
        ["dynamodb-autoscaling-enabled", DYNAMODB],
        ["dynamodb-in-backup-plan"],
        ["dynamodb-pitr-enabled", DYNAMODB],
        ["dynamodb-throughput-limit-check"],
        ["ebs-in-backup-plan"],
        ["ebs-snapshot-public-restorable-check"],
        ["ec2-ebs-encryption-by-default"],
        ["ec2-imdsv2-check", EC2_INSTANCE],
        ["ec2-instance-managed-by-systems-manager", [...EC2_INSTANCE, "AWS::SSM::ManagedInstanceInventory"], "EC2_INSTANCE_MANAGED_BY_SSM"],
        ["ec2-instance-no-public-ip", EC2_INSTANCE],
        ["ec2-instance-profile-attached", EC2_INSTANCE],
        ["ec2-managedinstance-association-compliance-status-check", ["AWS::SSM::AssociationCompliance"]],
        ["ec2-managedinstance-patch-compliance-status-check", ["AWS::SSM::PatchCompliance"]],
        ["ec2-resources-protected-by-backup-plan", EC2_INSTANCE],
        ["ec2-stopped-instance"],
        ["ecs-containers-readonly-access", TASK_DEFINITION],
        ["ecs-task-definition-user-for-host-mode-check", TASK_DEFINITION],
        ["efs-encrypted-check"],
        ["efs-in-backup-plan"],
        ["elastic-beanstalk-managed-updates-enabled", ["AWS::ElasticBeanstalk::Environment"]],
        ["elasticache-redis-cluster-automatic-backup-check"],
        ["elasticsearch-encrypted-at-rest"],
        ["elasticsearch-in-vpc-only"],
        ["elasticsearch-logs-to-cloudwatch", ELASTICSEARCH],
        ["elasticsearch-node-to-node-encryption-check", ELASTICSEARCH],
        ["elb-acm-certificate-required", CLASSIC_ELB],
        ["elb-cross-zone-load-balancing-enabled", CLASSIC_ELB],
        ["elb-deletion-protection-enabled", ALB],
        ["elb-logging-enabled", [...CLASSIC_ELB, ...ALB]],
        ["elb-predefined-security-policy-ssl-check", CLASSIC_ELB],
        ["elb-tls-https-listeners-only", CLASSIC_ELB],
        ["elbv2-acm-certificate-required"],
        ["emr-kerberos-enabled"],
        ["emr-master-no-public-ip"],
        ["encrypted-volumes", ["AWS::EC2::Volume"]],
        ["guardduty-enabled-centralized"],
        ["iam-customer-policy-blocked-kms-actions", IAM_POLICY],
        ["iam-inline-policy-blocked-kms-actions", IAM_PRINCIPALS],
        ["iam-no-inline-policy-check", IAM_PRINCIPALS],
        ["iam-password-policy"],
        ["iam-policy-no-statements-with-admin-access", IAM_POLICY],
        ["iam-policy-no-statements-with-full-access", IAM_POLICY],
        ["iam-root-access-key-check"],
        ["iam-user-mfa-enabled"],
        ["iam-user-no-policies-check", ["AWS::IAM::User"]],
        ["iam-user-unused-credentials-check"],
        ["restricted-ssh", SECURITY_GROUP, "INCOMING_SSH_DISABLED"],
        ["ec2-instances-in-vpc", EC2_INSTANCE, "INSTANCES_IN_VPC"],
        ["internet-gateway-authorized-vpc-only", ["AWS::EC2::InternetGateway"]],
        ["kinesis-stream-encrypted", ["AWS::Kinesis::Stream"]],
        ["kms-cmk-not-scheduled-for-deletion", ["AWS::KMS::Key"]],
        ["lambda-function-public-access-prohibited", LAMBDA],
        ["mfa-enabled-for-iam-console-access"],
        ["multi-region-cloudtrail-enabled", undefined, "MULTI_REGION_CLOUD_TRAIL_ENABLED"],
        ["no-unrestricted-route-to-igw", ["AWS::EC2::RouteTable"]],
        ["opensearch-encrypted-at-rest", OPENSEARCH],
        ["opensearch-https-required", OPENSEARCH],
        ["opensearch-in-vpc-only", OPENSEARCH],
        ["opensearch-logs-to-cloudwatch", OPENSEARCH],
        ["opensearch-node-to-node-encryption-check", OPENSEARCH],
        ["rds-automatic-minor-version-upgrade-enabled", RDS_INSTANCE],
        ["rds-cluster-deletion-protection-enabled", RDS_CLUSTER],
        ["rds-enhanced-monitoring-enabled", RDS_INSTANCE],
        ["rds-in-backup-plan"],
        ["rds-instance-public-access-check", RDS_INSTANCE],
        ["rds-logging-enabled", RDS_INSTANCE],
        ["rds-multi-az-support", RDS_INSTANCE],
        ["rds-cluster-multi-az-enabled", RDS_CLUSTER],
        ["rds-snapshot-encrypted", RDS_SNAPSHOTS],
        ["rds-snapshots-public-prohibited", RDS_SNAPSHOTS],
        ["rds-storage-encrypted", RDS_INSTANCE],
        ["redshift-backup-enabled", REDSHIFT],
        ["redshift-cluster-configuration-check", REDSHIFT],
        ["redshift-cluster-maintenancesettings-check", REDSHIFT],
        ["redshift-cluster-public-access-check", REDSHIFT],
        ["redshift-require-tls-ssl", REDSHIFT],
        ["restricted-common-ports", SECURITY_GROUP, "RESTRICTED_INCOMING_TRAFFIC"],
        ["root-account-hardware-mfa-enabled"],
        ["root-account-mfa-enabled"],
        ["s3-account-level-public-access-blocks-periodic"],
        ["s3-bucket-acl-prohibited", S3],
        ["s3-bucket-default-lock-enabled", S3],
        ["s3-bucket-level-public-access-prohibited", S3],
        ["s3-bucket-logging-enabled", S3],
        ["s3-bucket-public-read-prohibited", S3],
        ["s3-bucket-public-write-prohibited", S3],
        ["s3-bucket-replication-enabled", S3],
        ["s3-bucket-server-side-encryption-enabled", S3],
        ["s3-bucket-ssl-requests-only", S3],
        ["s3-bucket-versioning-enabled", S3],
        ["s3-default-encryption-kms", S3],
        ["s3-event-notifications-enabled", S3],
        ["s3-version-lifecycle-policy-check", S3],
        ["sagemaker-endpoint-configuration-kms-key-configured"],
        ["sagemaker-notebook-instance-kms-key-configured"],
        ["sagemaker-notebook-no-direct-internet-access"],
        ["secretsmanager-rotation-enabled-check", SECRET],
        ["secretsmanager-using-cmk", SECRET],
        ["securityhub-enabled"],
        ["sns-encrypted-kms", ["AWS::SNS::Topic"]],
        ["ssm-document-not-public"],
        ["subnet-auto-assign-public-ip-disabled", ["AWS::EC2::Subnet"]],
        ["vpc-default-security-group-closed", SECURITY_GROUP],
        ["vpc-flow-logs-enabled"],
        ["vpc-sg-open-only-to-authorized-ports", SECURITY_GROUP],
        ["vpc-vpn-2-tunnels-up", ["AWS::EC2::VPNConnection"]],
        ["wafv2-logging-enabled"],
        ["annual-risk-assessment-performed", undefined, "AWS_CONFIG_PROCESS_CHECK"],
    ] satisfies Row[]
).map(rule);

/**
 * AWS Config managed rules that the policies' `metadata.awsConfig` may name beyond the pack: each is deployed as an
 * extra rule when a policy names it and the pack lacks it (extraRuleNames). A name in neither the pack, this
 * catalogue nor NOT_OFFERED_BY_AWS_CONFIG fails a test, so a policy naming a new rule cannot go undeployed.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html
 */
export const MANAGED_RULE_CATALOGUE: readonly ManagedRule[] = (
    [
        ["alb-http-drop-invalid-header-enabled", ALB],
        ["backup-recovery-point-minimum-retention-check", ["AWS::Backup::RecoveryPoint"]],
        ["cloudwatch-log-group-encrypted"],
        ["cmk-backing-key-rotation-enabled"],
        ["cw-loggroup-retention-period-check"],
        ["dynamodb-table-encrypted-kms", DYNAMODB],
        ["dynamodb-table-deletion-protection-enabled", DYNAMODB],
        // Unscoped, like s3-resources-protected-by-backup-plan: the orchestrators' lock and runs tables are reported
        // NON_COMPLIANT once, by design (docs/compliance.md, DynamoDBInBackupPlan; docs/runbook.md).
        ["dynamodb-resources-protected-by-backup-plan", DYNAMODB],
        ["ecr-private-image-scanning-enabled", ECR],
        ["ecr-private-lifecycle-policy-configured", ECR],
        ["ecr-private-tag-immutability-enabled", ECR],
        ["ecs-container-insights-enabled", ["AWS::ECS::Cluster"]],
        ["ecs-containers-nonprivileged", TASK_DEFINITION],
        ["ecs-service-assign-public-ip-disabled", ["AWS::ECS::Service"]],
        ["ecs-task-definition-log-configuration", TASK_DEFINITION],
        ["lambda-concurrency-check", LAMBDA],
        ["lambda-dlq-check", LAMBDA],
        ["lambda-inside-vpc", LAMBDA],
        ["rds-instance-deletion-protection-enabled", RDS_INSTANCE],
        ["s3-resources-protected-by-backup-plan", S3],
    ] satisfies Row[]
).map(rule);

/**
 * Rule names a policy may list in `metadata.awsConfig` that AWS Config offers no managed rule for, with the reason;
 * they are not deployed. Empty today: every name the policies list is a managed rule.
 */
export const NOT_OFFERED_BY_AWS_CONFIG: Readonly<Record<string, string>> = {};

/**
 * Rules that only fail where deletion protection is deliberately off (dev, which must be possible to tear down):
 * deployed in protected environments only, as the policy pack's `deletion-protection-in-protected-environments`.
 */
export const DELETION_PROTECTION_RULES: readonly string[] = [
    "rds-cluster-deletion-protection-enabled",
    "elb-deletion-protection-enabled",
    "rds-instance-deletion-protection-enabled",
    "dynamodb-table-deletion-protection-enabled",
];

/** What the pack and the extra rules need to know of the stack. */
export interface RuleSettings {
    /** Pulumi stack name: the prefix of every rule name (`hdr-<stack>-`). */
    readonly stack: string;
    /** A protected environment (prod): the deletion-protection rules are deployed. */
    readonly protect: boolean;
    /** `database.backupRetentionDays`: the retention the backup rules require. */
    readonly backupRetentionDays: number;
    /** `logging.retentionDays`: the minimum retention of log groups. */
    readonly logRetentionDays: number;
    /**
     * The VPC of the region, the only one allowed an internet gateway (its public subnets hold the NAT gateways and the
     * load balancer).
     * @default - none given: every internet gateway is reported
     */
    readonly vpcId?: string;
}

/**
 * The rule names a set of policies' `metadata.awsConfig` lists that the pack lacks, sorted: the extra rules.
 * @throws naming every rule that is neither in the pack, MANAGED_RULE_CATALOGUE nor NOT_OFFERED_BY_AWS_CONFIG.
 */
export function extraRuleNames(namedByPolicies: Iterable<string>): string[] {
    const inPack = new Set(HIPAA_PACK_RULES.map((r) => r.name));
    const catalogued = new Set(MANAGED_RULE_CATALOGUE.map((r) => r.name));
    const extra = new Set<string>();
    const unknown = new Set<string>();
    for (const name of namedByPolicies) {
        if (inPack.has(name) || name in NOT_OFFERED_BY_AWS_CONFIG) continue;
        (catalogued.has(name) ? extra : unknown).add(name);
    }
    if (unknown.size > 0) {
        throw new Error(
            `The policies' metadata.awsConfig names ${[...unknown].sort().join(", ")}, which the HIPAA conformance pack lacks: add each to MANAGED_RULE_CATALOGUE in lib/conformancePack.ts (identifier and resource types from https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html), or to NOT_OFFERED_BY_AWS_CONFIG with the reason.`,
        );
    }
    return [...extra].sort();
}

/** Whether a rule is deployed in an environment (the deletion-protection rules only where protected). */
export function deployedIn(name: string, protect: boolean): boolean {
    return protect || !DELETION_PROTECTION_RULES.includes(name);
}

/** The managed rule of the catalogue with this name. */
export function catalogueRule(name: string): ManagedRule {
    const found = MANAGED_RULE_CATALOGUE.find((r) => r.name === name);
    if (found === undefined) {
        throw new Error(`${name} is not in MANAGED_RULE_CATALOGUE (lib/conformancePack.ts)`);
    }
    return found;
}

/**
 * Input parameters of the rules that this stack sets (everything else takes the managed rule's default), as strings,
 * which is how AWS Config takes them. Each value is the stack's own setting, so a rule checks what the stack promises:
 * - backup plans keep recovery points at least `backupRetentionDays` (AWS's default, 35, would fail dev's 7), daily;
 * - recovery points are kept that long;
 * - log groups are kept at least `logging.retentionDays`;
 * - alarms need an action on ALARM, not on INSUFFICIENT_DATA: the stack's alarms treat missing data explicitly
 *   (treatMissingData), as the policy `cloudwatch-alarm-actions` checks, so INSUFFICIENT_DATA is not an incident;
 * - only the stack's RDS instances that are not Aurora would need instance deletion protection (Aurora protects the
 *   cluster, which rds-cluster-deletion-protection-enabled checks);
 * - the region's VPC is the one authorised to have an internet gateway.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/backup-plan-min-frequency-and-min-retention-check.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-minimum-retention-check.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/cw-loggroup-retention-period-check.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/cloudwatch-alarm-action-check.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/rds-instance-deletion-protection-enabled.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/internet-gateway-authorized-vpc-only.html
 */
export function ruleParameters(settings: RuleSettings): Readonly<Record<string, Readonly<Record<string, string>>>> {
    return {
        "backup-plan-min-frequency-and-min-retention-check": {
            requiredFrequencyValue: "1",
            requiredFrequencyUnit: "days",
            requiredRetentionDays: String(settings.backupRetentionDays),
        },
        "backup-recovery-point-minimum-retention-check": { requiredRetentionDays: String(settings.backupRetentionDays) },
        "cw-loggroup-retention-period-check": { MinRetentionTime: String(settings.logRetentionDays) },
        "cloudwatch-alarm-action-check": {
            alarmActionRequired: "true",
            insufficientDataActionRequired: "false",
            okActionRequired: "false",
        },
        "rds-instance-deletion-protection-enabled": { databaseEngines: "mariadb,mysql,postgres,oracle-ee,sqlserver-ee" },
        "internet-gateway-authorized-vpc-only": { AuthorizedVpcIds: settings.vpcId ?? "" },
    };
}

/** The pack's name in a stack: `hdr-<stack>-hipaa-security`. */
export function conformancePackName(stack: string): string {
    return `hdr-${stack}-hipaa-security`.toLowerCase();
}

/** A rule's name in the account: `hdr-<stack>-<rule>` (the alert routing matches the prefix). */
export function deployedRuleName(stack: string, name: string): string {
    return `hdr-${stack}-${name}`.toLowerCase();
}

/** The CloudFormation logical id of a rule in the template: its name in PascalCase. */
function logicalId(name: string): string {
    return name
        .split("-")
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join("");
}

/** Settings used only for the set of parameter names (the values come from the stack). */
const REFERENCE_RULE_SETTINGS: RuleSettings = { stack: "reference", protect: true, backupRetentionDays: 35, logRetentionDays: 365 };

/** The name of a template parameter: `<RuleLogicalId>Param<Key>`, as AWS's sample templates name theirs. */
export function templateParameterName(rule: string, key: string): string {
    return `${logicalId(rule)}Param${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

/** The rules of the pack deployed in an environment (deployedIn). */
export function hipaaPackRulesIn(protect: boolean): ManagedRule[] {
    return HIPAA_PACK_RULES.filter((r) => deployedIn(r.name, protect));
}

/**
 * The template body of the stack's HIPAA pack: one `AWS::Config::ConfigRule` per rule of HIPAA_PACK_RULES deployed
 * in the environment, named `hdr-<stack>-<rule>`; each input parameter of ruleParameters is a template parameter
 * (`Ref`), whose value the pack's `inputParameters` give (hipaaPackInputParameters). YAML, as AWS Config takes
 * conformance pack templates; every scalar is written JSON-quoted, which YAML reads as the same string.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/conformance-pack-prerequisites.html
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_ConformancePackInputParameter.html
 */
export function hipaaConformancePackTemplate(args: { readonly stack: string; readonly protect: boolean }): string {
    const parameters = ruleParameters(REFERENCE_RULE_SETTINGS);
    const rules = hipaaPackRulesIn(args.protect);
    const q = (s: string) => JSON.stringify(s);
    const lines = ["Parameters:"];
    for (const r of rules) {
        for (const key of Object.keys(parameters[r.name] ?? {})) {
            lines.push(`  ${templateParameterName(r.name, key)}:`, "    Type: String");
        }
    }
    lines.push("Resources:");
    for (const r of rules) {
        lines.push(`  ${logicalId(r.name)}:`, "    Type: AWS::Config::ConfigRule", "    Properties:");
        lines.push(`      ConfigRuleName: ${q(deployedRuleName(args.stack, r.name))}`);
        const inputs = Object.keys(parameters[r.name] ?? {});
        if (inputs.length > 0) {
            lines.push("      InputParameters:");
            for (const key of inputs) {
                lines.push(`        ${key}:`, `          Ref: ${templateParameterName(r.name, key)}`);
            }
        }
        if (r.scope !== undefined) {
            lines.push("      Scope:", "        ComplianceResourceTypes:", ...r.scope.map((t) => `          - ${q(t)}`));
        }
        lines.push("      Source:", "        Owner: AWS", `        SourceIdentifier: ${q(r.identifier)}`);
    }
    return `${lines.join("\n")}\n`;
}

/** The values of the pack's template parameters for a stack, as `aws.cfg.ConformancePack` takes them. */
export function hipaaPackInputParameters(settings: RuleSettings): { parameterName: string; parameterValue: string }[] {
    const parameters = ruleParameters(settings);
    return hipaaPackRulesIn(settings.protect).flatMap((r) =>
        Object.entries(parameters[r.name] ?? {}).map(([key, value]) => ({
            parameterName: templateParameterName(r.name, key),
            parameterValue: value,
        })),
    );
}

/** The size AWS Config counts, in bytes (UTF-8). */
export function templateBytes(template: string): number {
    return Buffer.byteLength(template, "utf8");
}

/** The SHA-256 of a template body, hex. */
export function templateSha256(template: string): string {
    return createHash("sha256").update(template, "utf8").digest("hex");
}

/**
 * The SHA-256 of HIPAA_PACK_RULES (hipaaPackRulesSha256): a test recomputes it, so the rule set cannot change
 * without this pin changing with it, in the same commit, after checking the rules against HIPAA_PACK_SOURCE.
 */
export const HIPAA_PACK_RULES_SHA256 = "132190453d72b751825bf053be3ded287ea8baa35e911381eea07baa0ea7cddf";

/** The SHA-256 of a rule list, hex, over its canonical JSON (name, identifier, scope). */
export function hipaaPackRulesSha256(rules: readonly ManagedRule[] = HIPAA_PACK_RULES): string {
    return createHash("sha256")
        .update(JSON.stringify(rules.map((r) => [r.name, r.identifier, r.scope ?? null])), "utf8")
        .digest("hex");
}

/** A rule of the stack's own, in AWS CloudFormation Guard, where AWS Config has no managed rule. */
export interface GuardRule {
    /** The rule's name (deployed as `hdr-<stack>-<name>`). */
    readonly name: string;
    /** What it checks, for the rule's description and docs/compliance.md. */
    readonly description: string;
    /** The resource types whose configuration items it evaluates. */
    readonly scope: readonly string[];
    /** The policy pack's policy it mirrors at run time. */
    readonly policy: string;
    /** The Guard policy, given the region the rule runs in. */
    readonly policyText: (region: string) => string;
}

/**
 * Custom policy rules (Guard 2.x) for what the policy pack enforces and AWS Config has no managed rule for.
 * - A backup plan copies to a vault in another region (the policy `backup-selection-coverage` requires each region's
 *   plan to copy to the other): AWS Config's backup rules check frequency, retention and encryption, none checks a
 *   cross-region copy. The configuration item of `AWS::Backup::BackupPlan` follows the resource's CloudFormation
 *   schema (`BackupPlan.BackupPlanRule[].CopyActions[].DestinationBackupVaultArn`).
 * @see https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_cfn-guard.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-backup-backupplan-backupplanresourcetype.html
 */
export const GUARD_RULES: readonly GuardRule[] = [
    {
        name: "backup-plan-copies-to-another-region",
        description: "Each AWS Backup plan has a rule copying its recovery points to a vault in another region.",
        scope: ["AWS::Backup::BackupPlan"],
        policy: "backup-selection-coverage",
        policyText: (region) =>
            [
                'rule backup_plan_copies_to_another_region when resourceType == "AWS::Backup::BackupPlan" {',
                `    some configuration.BackupPlan.BackupPlanRule[*].CopyActions[*].DestinationBackupVaultArn != /^arn:[a-z-]+:backup:${region}:/`,
                "}",
                "",
            ].join("\n"),
    },
];
