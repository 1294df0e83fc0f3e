/**
 * `npm run compliance`: writes `docs/compliance.md`, the HIPAA control matrix of the policy pack, generated from
 * the policies' own metadata and from a run of the pack over the planned dev and prod stacks, so the document
 * cannot drift from the code.
 *
 *     npx ts-node --transpile-only tools/compliance.ts [--check]
 *
 * With `--check` it writes nothing and exits 1 when the file on disk is out of date.
 */
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { HIPAA_SECTIONS, isStackPolicy, policies, type HipaaSection, type PackPolicy } from "../policy-pack/policies";
import {
    DELETION_PROTECTION_RULES,
    GUARD_RULES,
    HIPAA_PACK_RULES,
    HIPAA_PACK_SOURCE,
    MANAGED_RULE_CATALOGUE,
    NOT_OFFERED_BY_AWS_CONFIG,
} from "../lib/conformancePack";
import { analyze, resourcesOfRun, stackTagsOf, type HarnessResource } from "../tests/harness/policies";
import { planStack, STACKS, type StackName } from "../tests/harness/stacks";

export const OUT = path.resolve(__dirname, "..", "docs", "compliance.md");

/** Why the rules for Classic Load Balancers are not policies. */
const CLASSIC_LOAD_BALANCER_ONLY =
    "Not applicable: the rule checks Classic Load Balancers (AWS::ElasticLoadBalancing::LoadBalancer); the application tier's load balancers are Application Load Balancers, which always balance across zones.";

/** Why not every DynamoDB table is required in a Backup selection. */
const DYNAMODB_BACKUP_REASON =
    "Left out for the failover orchestrators' lock tables, which hold one short-lived lock item and no patient data (an empty table is as good after a loss), and their runs tables, an index of the run reports that the Object-Locked report buckets keep for six years; point-in-time recovery is on for all of them (backup-retention-minimum checks it). The global tables of records (healthcare-dr:tables) are held to it, each member in its own region with copies to the other, by backup-selection-coverage (AWS Config's dynamodb-resources-protected-by-backup-plan).";

/**
 * Rules of cdk-nag's HIPAA.Security pack (src/packs/hipaa-security.ts) that concern resource types the program
 * declares or will declare, and why any is not covered. Covered rules are found from the policies' metadata.
 */
const CDK_NAG_CONSIDERED: Readonly<Record<string, string | undefined>> = {
    CloudTrailCloudWatchLogsEnabled: undefined,
    CloudTrailEncryptionEnabled: undefined,
    CloudTrailLogFileValidationEnabled: undefined,
    CloudWatchAlarmAction: undefined,
    CloudWatchLogGroupEncrypted: undefined,
    CloudWatchLogGroupRetentionPeriod: undefined,
    DynamoDBAutoscalingEnabled: undefined,
    DynamoDBInBackupPlan: DYNAMODB_BACKUP_REASON,
    DynamoDBPITREnabled: undefined,
    EC2RestrictedCommonPorts: undefined,
    EC2RestrictedSSH: undefined,
    ELBTlsHttpsListenersOnly: undefined,
    ELBv2ACMCertificateRequired: undefined,
    ALBHttpToHttpsRedirection: undefined,
    ALBHttpDropInvalidHeaderEnabled: undefined,
    ELBCrossZoneLoadBalancingEnabled: CLASSIC_LOAD_BALANCER_ONLY,
    ELBDeletionProtectionEnabled: undefined,
    ELBLoggingEnabled: undefined,
    ECSTaskDefinitionUserForHostMode: undefined,
    WAFv2LoggingEnabled: undefined,
    IAMNoInlinePolicy:
        "Left out on purpose: each role's permissions are inline so they live and die with the role; iam-no-wildcard-actions checks their content.",
    IAMPolicyNoStatementsWithAdminAccess: undefined,
    IAMPolicyNoStatementsWithFullAccess: undefined,
    IAMGroupHasUsers: "Not applicable: the program declares no IAM groups or users.",
    IAMUserGroupMembership: "Not applicable: the program declares no IAM users.",
    IAMUserNoPolicies: "Not applicable: the program declares no IAM users.",
    LambdaConcurrency: undefined,
    LambdaDlq: undefined,
    LambdaInsideVPC: undefined,
    RDSAutomaticMinorVersionUpgradeEnabled:
        "Left out on purpose: Aurora global databases do not support automatic minor version upgrades (versions must match to fail over).",
    RDSEnhancedMonitoringEnabled: undefined,
    RDSInBackupPlan: undefined,
    RDSInstanceBackupEnabled: undefined,
    RDSInstanceDeletionProtectionEnabled: undefined,
    RDSMultiAZSupport:
        "Left out: Aurora storage is replicated across three AZs by design; instance placement is the AuroraPair component's test.",
    RDSInstancePublicAccess: undefined,
    RDSLoggingEnabled: undefined,
    RDSStorageEncrypted: undefined,
    S3BucketLevelPublicAccessProhibited: undefined,
    S3BucketLoggingEnabled: undefined,
    S3BucketPublicReadProhibited: undefined,
    S3BucketPublicWriteProhibited: undefined,
    S3BucketReplicationEnabled: undefined,
    S3BucketServerSideEncryptionEnabled: undefined,
    S3BucketSSLRequestsOnly: undefined,
    S3BucketVersioningEnabled: undefined,
    S3DefaultEncryptionKMS: undefined,
    SecretsManagerRotationEnabled: undefined,
    SecretsManagerUsingKMSKey: undefined,
    SNSEncryptedKMS: undefined,
    VPCDefaultSecurityGroupClosed: undefined,
    VPCFlowLogsEnabled: undefined,
    VPCNoUnrestrictedRouteToIGW:
        "Left out on purpose: the public subnets route to the internet gateway for the NAT gateways; no data tier lives there.",
    VPCSubnetAutoAssignPublicIpDisabled:
        "Left out: only the public subnets (NAT gateways) are public; the component's tests check the private tiers.",
};

/** AWS Config "Operational Best Practices for HIPAA Security" rules concerning the program's resource types. */
const AWS_CONFIG_CONSIDERED: Readonly<Record<string, string | undefined>> = {
    "cloudtrail-enabled": undefined,
    "multi-region-cloudtrail-enabled": undefined,
    "cloud-trail-cloud-watch-logs-enabled": undefined,
    "cloud-trail-encryption-enabled": undefined,
    "cloud-trail-log-file-validation-enabled": undefined,
    "cloudwatch-alarm-action-check": undefined,
    "cloudtrail-s3-dataevents-enabled": undefined,
    "guardduty-enabled-centralized": undefined,
    "cloudwatch-log-group-encrypted": undefined,
    "cw-loggroup-retention-period-check": undefined,
    "cmk-backing-key-rotation-enabled": undefined,
    "kms-cmk-not-scheduled-for-deletion": "Not applicable at deploy time: a runtime state of the key (Config checks the live account).",
    "dynamodb-pitr-enabled": undefined,
    "dynamodb-table-encrypted-kms": undefined,
    "dynamodb-in-backup-plan": DYNAMODB_BACKUP_REASON,
    "dynamodb-autoscaling-enabled": undefined,
    "dynamodb-throughput-limit-check":
        "Not applicable at deploy time: compares the account's provisioned read/write capacity with its quotas (Config reads the live account); every table is on-demand or auto scaled (dynamodb-capacity-scales).",
    "rds-storage-encrypted": undefined,
    "rds-instance-public-access-check": undefined,
    "rds-logging-enabled": undefined,
    "rds-in-backup-plan": undefined,
    "aurora-resources-protected-by-backup-plan": undefined,
    "db-instance-backup-enabled": undefined,
    "rds-instance-deletion-protection-enabled": undefined,
    "rds-cluster-deletion-protection-enabled": undefined,
    "rds-multi-az-support": "Left out: Aurora storage spans three AZs by design.",
    "rds-cluster-multi-az-enabled":
        "Left out: Aurora storage spans three AZs by design; instance placement (the primary's instances in different AZs) is the AuroraPair component's test, and the DR cluster in the other region is the answer to losing more than an AZ.",
    "rds-snapshot-encrypted":
        "Not applicable: the program declares no snapshots; the automated and final snapshots of a cluster are encrypted with the cluster's key, which encryption-at-rest-cmk checks.",
    "rds-automatic-minor-version-upgrade-enabled": "Left out on purpose: not supported by Aurora global databases.",
    "rds-enhanced-monitoring-enabled": undefined,
    "rds-snapshots-public-prohibited": "Not applicable: the program declares no manual snapshots.",
    "s3-bucket-level-public-access-prohibited": undefined,
    "s3-bucket-public-read-prohibited": undefined,
    "s3-bucket-public-write-prohibited": undefined,
    "s3-bucket-server-side-encryption-enabled": undefined,
    "s3-default-encryption-kms": undefined,
    "s3-bucket-ssl-requests-only": undefined,
    "s3-bucket-versioning-enabled": undefined,
    "s3-bucket-replication-enabled": undefined,
    "s3-resources-protected-by-backup-plan": undefined,
    "s3-bucket-logging-enabled": undefined,
    "s3-bucket-acl-prohibited": undefined,
    "s3-version-lifecycle-policy-check": undefined,
    "s3-event-notifications-enabled":
        "Left out: event notifications feed integrations, not a safeguard; object-level activity on patient data is recorded by CloudTrail data events (cloudtrail-s3-data-events) and server access logs (s3-bucket-access-logging).",
    "s3-bucket-default-lock-enabled":
        "Left out: Object Lock is a per-bucket retention decision (the program sets it where required), not a default.",
    "secretsmanager-using-cmk": undefined,
    "secretsmanager-rotation-enabled-check": undefined,
    "sns-encrypted-kms": undefined,
    "backup-recovery-point-encrypted": undefined,
    "backup-plan-min-frequency-and-min-retention-check": undefined,
    "backup-recovery-point-minimum-retention-check": undefined,
    "backup-recovery-point-manual-deletion-disabled": undefined,
    "vpc-default-security-group-closed": undefined,
    "vpc-flow-logs-enabled": undefined,
    "restricted-ssh": undefined,
    "restricted-common-ports": undefined,
    "vpc-sg-open-only-to-authorized-ports": undefined,
    "subnet-auto-assign-public-ip-disabled": "Left out: only the NAT gateways' public subnets are public.",
    "iam-policy-no-statements-with-admin-access": undefined,
    "iam-policy-no-statements-with-full-access": undefined,
    "iam-customer-policy-blocked-kms-actions": undefined,
    "iam-inline-policy-blocked-kms-actions": undefined,
    "iam-no-inline-policy-check": "Left out on purpose: inline role policies live with their role; their content is checked.",
    "lambda-function-public-access-prohibited": undefined,
    "lambda-inside-vpc": undefined,
    "lambda-concurrency-check": undefined,
    "lambda-dlq-check": undefined,
    "elb-tls-https-listeners-only": undefined,
    "alb-http-to-https-redirection-check": undefined,
    "elb-acm-certificate-required": undefined,
    "elbv2-acm-certificate-required": undefined,
    "elb-logging-enabled": undefined,
    "elb-deletion-protection-enabled": undefined,
    "elb-cross-zone-load-balancing-enabled": CLASSIC_LOAD_BALANCER_ONLY,
    "elb-predefined-security-policy-ssl-check":
        "Not applicable: the rule checks Classic Load Balancers; lb-listener-https holds the Application Load Balancers' listeners to ELBSecurityPolicy-TLS13-1-2-* (or another TLS 1.2+) policies, stricter than the rule's default ELBSecurityPolicy-TLS-1-2-2017-01.",
    "alb-waf-enabled": undefined,
    "wafv2-logging-enabled": undefined,
    "ecs-containers-readonly-access": undefined,
    "ecs-task-definition-user-for-host-mode-check": undefined,
    "acm-certificate-expiration-check":
        "Not applicable at deploy time: a runtime state of the certificate; the application's certificates are ACM-issued with DNS validation, which ACM renews automatically while the validation record stays in the zone.",
};

/** How many resources of a stack each policy covered: applicable resource validations, or resources of its types. */
async function coverage(stack: StackName): Promise<Map<string, number>> {
    const run = await planStack(stack);
    const resources = resourcesOfRun(run);
    const result = await analyze(resources, { stackTags: stackTagsOf(run) });
    const counts = new Map<string, number>();
    for (const policy of policies) {
        counts.set(
            policy.name,
            isStackPolicy(policy)
                ? resources.filter((r: HarnessResource) => policy.metadata.resourceTypes.includes(r.type)).length
                : result.evaluations.filter((e) => e.policyName === policy.name && e.applicable).length,
        );
    }
    return counts;
}

function coveredBy(key: "cdkNag" | "awsConfig", rule: string): PackPolicy[] {
    return policies.filter((p) => (p.metadata[key] ?? []).includes(rule));
}

/**
 * The run-time AWS Config rules of a policy, as deployed by RuntimeCompliance: the rules its `metadata.awsConfig`
 * names (in the HIPAA pack, or beside it), and the stack's Guard rules that mirror it.
 */
function runTimeRules(policy: PackPolicy): string {
    const inPack = new Set(HIPAA_PACK_RULES.map((r) => r.name));
    const beside = new Set(MANAGED_RULE_CATALOGUE.map((r) => r.name));
    const named = (policy.metadata.awsConfig ?? []).map((rule) => {
        const where = inPack.has(rule)
            ? ""
            : beside.has(rule)
              ? " (beside the pack)"
              : NOT_OFFERED_BY_AWS_CONFIG[rule] !== undefined
                ? " (not offered by AWS Config)"
                : " (NOT DEPLOYED)";
        return `\`${rule}\`${where}${DELETION_PROTECTION_RULES.includes(rule) ? " (protected stacks)" : ""}`;
    });
    const guard = GUARD_RULES.filter((r) => r.policy === policy.name).map((r) => `\`${r.name}\` (Guard)`);
    return [...named, ...guard].join(", ") || "—";
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export async function render(): Promise<string> {
    const counts = new Map<StackName, Map<string, number>>();
    for (const stack of STACKS) {
        counts.set(stack, await coverage(stack));
    }
    const lines: string[] = [
        "# HIPAA compliance matrix",
        "",
        "Generated by `npm run compliance` (tools/compliance.ts) from the metadata of the policies in `policy-pack/policies/`",
        "and a run of the pack over the planned dev and prod stacks. Do not edit by hand.",
        "",
        "Each policy is enforced by `pulumi preview --policy-pack policy-pack`, on a new stack too (except the parts listed under",
        "[Decided by `pulumi up`](#decided-by-pulumi-up-not-by-the-first-preview)); *covered* counts the resources of each stack the",
        "policy examined (resource policies: resources it applied to; stack policies: resources of the types it reads).",
        "Beside each preview-time policy, the AWS Config rules that check the same at run time, on what exists",
        "([Run-time compliance](#run-time-compliance-aws-config)).",
        "",
        "## Control matrix",
        "",
        `| HIPAA section | Policy (preview time) | Enforcement | What it checks | ${STACKS.map((s) => `${s} covered`).join(" | ")} | AWS Config rules (run time) |`,
        `|---|---|---|---|${STACKS.map(() => "---:").join("|")}|---|`,
    ];
    const sections = Object.keys(HIPAA_SECTIONS) as HipaaSection[];
    for (const section of sections) {
        for (const policy of policies.filter((p) => p.metadata.hipaa.includes(section))) {
            lines.push(
                `| ${section} ${HIPAA_SECTIONS[section]} | \`${policy.name}\` | ${policy.enforcementLevel ?? "advisory"} | ${cell(policy.metadata.checks)} | ${STACKS.map((s) => counts.get(s)!.get(policy.name)).join(" | ")} | ${cell(runTimeRules(policy))} |`,
            );
        }
    }
    const namedRules = new Set(policies.flatMap((p) => [...(p.metadata.awsConfig ?? [])]));
    lines.push(
        "",
        "## Run-time compliance: AWS Config",
        "",
        "With `healthcare-dr:compliance.awsConfig` `create` (both stack files) or `existing`, each region has the conformance pack",
        "`hdr-<stack>-hipaa-security` (components/RuntimeCompliance.ts, lib/conformancePack.ts): the rules of AWS's",
        `\`Operational-Best-Practices-for-HIPAA-Security.yaml\` at [${HIPAA_PACK_SOURCE.repository}@${HIPAA_PACK_SOURCE.commit.slice(0, 12)}](${HIPAA_PACK_SOURCE.url})`,
        `(${HIPAA_PACK_RULES.length} rules, pinned by digest), named \`hdr-<stack>-<rule>\`, with this stack's parameters (backup and log`,
        "retention); beside it, the managed rules the policies name that the pack lacks, and Guard rules where AWS Config has none.",
        "Each rule's change to NON_COMPLIANT reaches the region's alert topic once ([runbook](runbook.md#aws-config-rule-non-compliant)).",
        "Rules marked *protected stacks* are left out of dev, whose deletion protection is off by design.",
        "",
        "| Rule | Where | Resource types | Checks |",
        "|---|---|---|---|",
        ...MANAGED_RULE_CATALOGUE.map(
            (r) =>
                `| \`${r.name}\` | beside the pack${DELETION_PROTECTION_RULES.includes(r.name) ? " (protected stacks)" : ""} | ${(r.scope ?? ["periodic"]).join(", ")} | ${
                    namedRules.has(r.name)
                        ? `named by ${coveredBy("awsConfig", r.name)
                              .map((p) => `\`${p.name}\``)
                              .join(", ")}`
                        : "no policy names it yet"
                } |`,
        ),
        ...GUARD_RULES.map((r) => `| \`${r.name}\` | Guard rule | ${r.scope.join(", ")} | ${cell(r.description)} (\`${r.policy}\`) |`),
        "",
        "Run-time only (pack rules no policy names; account-level, process or other-service checks, or not applicable to this",
        "design: see the AWS Config table below):",
        HIPAA_PACK_RULES.filter((r) => !namedRules.has(r.name))
            .map((r) => `\`${r.name}\``)
            .join(", ") + ".",
    );
    lines.push(
        "",
        "## Evidence of contingency-plan testing",
        "",
        "HIPAA 164.308(a)(7)(ii)(D) asks for procedures for periodic testing and revision of the contingency plan; 164.316(b)(2)(i)",
        "asks that its documentation be kept six years. The evidence is the **run-report bucket** of each region",
        "(`hdr-<stack>-run-reports-<region>-...`, stack output `failover.reportBucketNames`): every run of that region's failover",
        "orchestrator (a drill, a switchover, a failover, a break-glass, a refusal) writes one JSON report there, written once",
        "and never overwritten (the function may only `s3:PutObject` under `runs/`), with the trigger, the decisions and their",
        "signals, every step and AWS request, the pointers before and after, the measured recovery time and the data-loss window.",
        "The bucket is Object-Locked from its creation with a default retention: in COMPLIANCE mode for 2190 days (six years) in",
        "protected environments, so that nobody, the root user included, can delete or alter a report before then; SSE-KMS with",
        "the region's key, versioned, TLS only, no public access, server access logs. `failover-report-bucket-locked` fails a",
        "stack whose report bucket is otherwise. Each region's **runs table** (`hdr-<stack>-failover-runs`, output",
        "`failover.runsTableNames`) indexes the runs (`npm run failover -- history --stack <stack>`); `npm run failover -- report",
        "--stack <stack> --run <RUN_ID>` prints one. Dev's bucket locks for one day in GOVERNANCE mode so that it can be destroyed.",
    );
    lines.push("", "## Policies", "", "| Policy | Kind | Concern | Description | AWS documentation |", "|---|---|---|---|---|");
    for (const policy of policies) {
        lines.push(
            `| \`${policy.name}\` | ${isStackPolicy(policy) ? "stack" : "resource"} | ${policy.metadata.concern} | ${cell(policy.description)} | ${(policy.metadata.docs ?? []).map((d) => `<${d}>`).join(" ")} |`,
        );
    }
    lines.push(
        "",
        "## Decided by `pulumi up`, not by the first preview",
        "",
        "In a first `pulumi preview` the ids, ARNs and generated names of resources not created yet are unknown. Every other",
        "policy decides from what is known then (a reference to a resource of the stack, the resources a property depends on,",
        "the provider's region); these parts of these policies cannot. `pulumi up` decides them: a resource policy just before it",
        "creates the resource, a stack policy once the update is over. `npm run plan -- --stack <stack> --preview` lists them.",
        "",
        "| Policy | Kind | Enforcement | Not decided at preview, and why |",
        "|---|---|---|---|",
        ...policies
            .filter((p) => p.metadata.atPreview !== undefined)
            .map(
                (p) =>
                    `| \`${p.name}\` | ${isStackPolicy(p) ? "stack" : "resource"} | ${p.enforcementLevel ?? "advisory"} | ${cell(p.metadata.atPreview!)} |`,
            ),
    );
    const external = (
        title: string,
        source: string,
        key: "cdkNag" | "awsConfig",
        considered: Readonly<Record<string, string | undefined>>,
    ) => {
        lines.push("", `## ${title}`, "", source, "", "| Rule | Covered by | Why not covered |", "|---|---|---|");
        for (const [rule, reason] of Object.entries(considered).sort(([a], [b]) => a.localeCompare(b))) {
            const by = coveredBy(key, rule).map((p) => `\`${p.name}\``);
            if (by.length === 0 && reason === undefined) {
                throw new Error(`${rule} is listed as covered but no policy names it in metadata.${key}`);
            }
            lines.push(`| ${rule} | ${by.join(", ") || "—"} | ${by.length > 0 ? "" : cell(reason!)} |`);
        }
    };
    external(
        "cdk-nag HIPAA.Security",
        "Rules of cdk-nag's `HIPAA.Security` pack (cdklabs/cdk-nag, `src/packs/hipaa-security.ts`) for the resource types this program declares or will declare; rules for services the program does not use (API Gateway, CodeBuild, EC2 instances, EFS, ElastiCache, EMR, OpenSearch, Redshift, SageMaker...) are omitted.",
        "cdkNag",
        CDK_NAG_CONSIDERED,
    );
    external(
        "AWS Config: Operational Best Practices for HIPAA Security",
        "Rules of the conformance pack (<https://docs.aws.amazon.com/config/latest/developerguide/operational-best-practices-for-hipaa_security.html>) for the program's resource types; account-level and process checks (Security Hub, IAM password policy, root MFA, account-level S3 public access block...) are outside a program's policy pack.",
        "awsConfig",
        AWS_CONFIG_CONSIDERED,
    );
    lines.push(
        "",
        "## Beyond both packs",
        "",
        "Neither pack has these: `data-residency`, `required-tags`, `lambda-runtime-supported`, the deploy-time constraints (`s3-replication-kms-source-selection`,",
        "`s3-replication-rtc-metrics`, `s3-replication-needs-versioning`, `aurora-global-secondary-no-credentials`), the recovery checks",
        "(`global-database-has-secondary`, `deletion-protection-in-protected-environments`), `recovery-objectives-met` and the lock of",
        "the contingency-testing evidence (`failover-report-bucket-locked`), and, for the application tier, `ecr-scan-on-push`,",
        "`ecr-tags-immutable`, `ecr-lifecycle-policy`, `ecs-service-no-public-ip`, `ecs-exec-disabled-in-protected-environments` and",
        "`ecs-cluster-container-insights` (AWS Config has managed rules for most of them outside its HIPAA pack: see each policy's",
        "metadata) and `ecs-task-roles-least-privilege`; for DynamoDB global tables and the run-time checks, `dynamodb-global-table-streams`,",
        "`aws-config-recorder-enabled` and `aws-config-noncompliance-alerts` (AWS Config cannot evaluate its own recorder or routing).",
        "",
    );
    // Formatted as `prettier --check` expects, so the generated file passes the lint step as written.
    const options = (await prettier.resolveConfig(OUT)) ?? {};
    return prettier.format(lines.join("\n"), { ...options, parser: "markdown" });
}

async function main(): Promise<void> {
    const text = await render();
    if (process.argv.includes("--check")) {
        const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, "utf8") : "";
        if (current !== text) {
            console.error(`${path.relative(process.cwd(), OUT)} is out of date: run npm run compliance`);
            process.exit(1);
        }
        return;
    }
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, text);
    console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
}

if (require.main === module) {
    main().catch((e: unknown) => {
        console.error(e);
        process.exit(1);
    });
}
