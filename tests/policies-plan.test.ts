/**
 * The policy pack over the program's own planned stacks: dev and prod pass every mandatory policy, and breaking a
 * control on one real resource of the prod plan is caught by the policy that guards it. Both as an update (every
 * value known) and as the first preview of an empty stack (ids, ARNs and names of new resources unknown), where the
 * real engine turns a policy that reads an unknown value into an advisory "can't run" note.
 */
import { expect } from "chai";
import { policies } from "../policy-pack/policies";
import { DECIDED_AT_UPDATE } from "../policy-pack/policies/lib/policy";
import { T } from "../policy-pack/policies/lib/types";
import { analyze, analyzeRun, resourcesOfRun, runPolicies, stackTagsOf, type HarnessResource, type Violation } from "./harness/policies";
import type { ProgramRun } from "./harness/program";
import { UNKNOWN } from "./harness/mocks";
import { planStack, STACKS } from "./harness/stacks";

const describeViolations = (vs: readonly Violation[]) =>
    vs.map((v) => `${v.policyName} ${v.resourceType ?? ""} ${v.resourceName ?? ""}: ${v.message}`).join("\n");

describe("policy pack over the planned stacks", function () {
    this.timeout(120_000);

    it("fails a first preview of prod on a mistyped pack config, naming the key and the allowed ones", async () => {
        const packConfig = { "data-residency": { allowedRegion: ["us-east-1"] }, "log-retention-minmum": { minimumDays: 365 } };
        const { violations } = await analyzeRun(await planStack("prod", { preview: true }), packConfig);
        const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
        expect(mandatory.map((v) => v.policyName)).to.deep.equal(["policy-pack-config", "policy-pack-config"]);
        expect(mandatory[0]!.message).to.match(/"data-residency.allowedRegion".*allowed: enforcementLevel, allowedRegions/);
        expect(mandatory[1]!.message).to.match(/"log-retention-minmum".*did you mean "log-retention-minimum"/);
    });

    for (const stack of STACKS) {
        describe(`${stack} stack`, () => {
            it("has zero violations, advisory included", async () => {
                const violations = await runPolicies(await planStack(stack));
                expect(violations, describeViolations(violations)).to.deep.equal([]);
            });
        });
        describe(`${stack} stack, first preview (nothing created yet)`, () => {
            it("really is a preview: ids and ARNs of new resources are unknown, so policies meet unknown values", async () => {
                const resources = resourcesOfRun(await planStack(stack, { preview: true }));
                const keys = resources.filter((r) => r.type === T.kmsKey);
                expect(keys.length).to.be.greaterThan(0);
                expect(keys.every((k) => k.outputs?.["arn"] === UNKNOWN && k.outputs["id"] === UNKNOWN)).to.equal(true);
                const topics = resources.filter((r) => r.type === T.snsTopic);
                expect(topics.every((t) => t.inputs["kmsMasterKeyId"] === UNKNOWN)).to.equal(true);
            });

            it("has zero can't-run notes on mandatory policies: each decides before anything exists", async () => {
                const { cantRun } = await analyzeRun(await planStack(stack, { preview: true }));
                const mandatory = cantRun.filter((n) => n.enforcementLevel === "mandatory");
                expect(mandatory.map((n) => `${n.resourceName ?? "stack"}: ${n.message}`)).to.deep.equal([]);
            });

            it("has zero mandatory violations", async () => {
                const { violations } = await analyzeRun(await planStack(stack, { preview: true }));
                const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
                expect(mandatory, describeViolations(mandatory)).to.deep.equal([]);
            });

            it("leaves to pulumi up only what the policies list as not decidable at preview", async () => {
                const { evaluations } = await analyzeRun(await planStack(stack, { preview: true }));
                const deferred = new Set(evaluations.filter((e) => e.reason?.startsWith(DECIDED_AT_UPDATE)).map((e) => e.policyName));
                const listed = policies.filter((p) => p.metadata.atPreview !== undefined).map((p) => p.name);
                expect([...deferred].filter((name) => !listed.includes(name))).to.deep.equal([]);
            });
        });
    }
});

type Mutation = (props: Record<string, unknown>) => Record<string, unknown>;
type OptionsMutation = (options: NonNullable<HarnessResource["options"]>) => NonNullable<HarnessResource["options"]>;
type Dependencies = Readonly<Record<string, readonly string[]>>;

/**
 * Per mandatory policy: the resource type to break in the prod plan, and how (its inputs, or its resource options).
 * `dependencies` gives a changed property the dependencies the engine would record for it (a property copied from
 * another one that refers to a resource of the stack still refers to it, at preview too); otherwise a changed
 * property depends on nothing.
 */
interface Break {
    readonly type: string;
    readonly name?: RegExp;
    readonly mutate: Mutation;
    readonly mutateOptions?: OptionsMutation;
    readonly dependencies?: (dependencies: Dependencies) => Dependencies;
}

const BREAKS: Readonly<Record<string, Break>> = {
    "failover-report-bucket-locked": {
        type: T.bucketObjectLock,
        name: /failover-reports/,
        // Governance: any principal with s3:BypassGovernanceRetention could delete the prod evidence.
        mutate: (p) => ({ ...p, rule: { defaultRetention: { mode: "GOVERNANCE", days: 2190 } } }),
    },
    "failover-pointers-ignored": {
        type: T.route53Record,
        name: /writer/,
        mutate: (p) => p,
        // Only the pointer ignored: the state's (pre-failover) records would go out with the next TTL change.
        mutateOptions: (o) => ({ ...o, ignoreChanges: ["records"] }),
    },
    "encryption-at-rest-cmk": { type: T.rdsCluster, mutate: (p) => ({ ...p, storageEncrypted: false }) },
    "kms-key-rotation": { type: T.kmsKey, mutate: (p) => ({ ...p, enableKeyRotation: false }) },
    "s3-bucket-encrypted-cmk": {
        type: T.bucketSse,
        name: /clinical/,
        mutate: (p) => ({ ...p, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }),
    },
    "s3-bucket-tls-only": {
        type: T.bucketPolicy,
        mutate: (p) => ({ ...p, policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) }),
    },
    "s3-bucket-policy-tls-only": {
        type: T.bucketPolicy,
        name: /clinical/,
        mutate: (p) => ({ ...p, policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) }),
    },
    "rds-parameter-group-forces-ssl": { type: T.rdsClusterParameterGroup, mutate: (p) => ({ ...p, parameters: [] }) },
    "rds-cluster-uses-ssl-parameter-group": {
        type: T.rdsCluster,
        mutate: (p) => ({ ...p, dbClusterParameterGroupName: "default.aurora-postgresql16" }),
    },
    "lb-listener-https": { type: T.lbListener, mutate: (p) => ({ ...p, protocol: "HTTP", defaultActions: [{ type: "forward" }] }) },
    "s3-public-access-blocked": { type: T.bucketPublicAccessBlock, mutate: (p) => ({ ...p, restrictPublicBuckets: false }) },
    "s3-bucket-access-logging": { type: T.bucketLogging, mutate: (p) => ({ ...p, targetBucket: "" }) },
    "no-public-resource-policies": {
        type: T.bucketPolicy,
        mutate: (p) => ({
            ...p,
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }],
            }),
        }),
    },
    "rds-not-publicly-accessible": { type: T.rdsClusterInstance, mutate: (p) => ({ ...p, publiclyAccessible: true }) },
    "no-public-ingress": {
        type: T.securityGroupIngressRule,
        mutate: (p) => ({ ...p, ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
    },
    // A rule of the database's group: the first ingress rule may be the load balancer's own HTTPS rule.
    "public-https-only-on-load-balancers": {
        type: T.securityGroupIngressRule,
        name: /network-db-from-orchestrator$/,
        mutate: (p) => ({ ...p, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
    },
    "vpc-default-security-group-closed": {
        type: T.defaultSecurityGroup,
        mutate: (p) => ({ ...p, ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }] }),
    },
    "lambda-permission-not-public": { type: T.lambdaPermission, mutate: (p) => ({ ...p, principal: "*" }) },
    "cloudtrail-configuration": { type: T.trail, mutate: (p) => ({ ...p, enableLogFileValidation: false }) },
    "vpc-flow-logs": { type: T.flowLog, mutate: (p) => ({ ...p, trafficType: "REJECT" }) },
    "log-retention-minimum": { type: T.logGroup, mutate: (p) => ({ ...p, retentionInDays: 1 }) },
    "rds-log-exports": { type: T.rdsCluster, mutate: (p) => ({ ...p, enabledCloudwatchLogsExports: [] }) },
    "s3-patient-data-versioned-replicated": {
        type: T.bucketVersioning,
        name: /clinical/,
        mutate: (p) => ({ ...p, versioningConfiguration: { status: "Suspended" } }),
    },
    "backup-retention-minimum": { type: T.rdsCluster, mutate: (p) => ({ ...p, backupRetentionPeriod: 1 }) },
    "backup-selection-coverage": { type: T.backupSelection, mutate: (p) => ({ ...p, resources: [] }) },
    "deletion-protection-in-protected-environments": { type: T.rdsCluster, mutate: (p) => ({ ...p, deletionProtection: false }) },
    "global-database-has-secondary": {
        type: T.rdsCluster,
        name: /secondary/,
        mutate: (p) => ({ ...p, globalClusterIdentifier: "some-other-global-cluster" }),
    },
    "iam-no-wildcard-actions": {
        type: T.iamRolePolicy,
        mutate: (p) => ({
            ...p,
            policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
        }),
    },
    "iam-no-admin-managed-policies": {
        type: T.iamRolePolicyAttachment,
        mutate: (p) => ({ ...p, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
    },
    "data-residency": { type: T.kmsKey, mutate: (p) => ({ ...p, region: "us-east-1" }) },
    // An empty tag on the resource overrides the provider's default tag of the same key.
    "required-tags": { type: T.kmsKey, mutate: (p) => ({ ...p, tags: { ...(p["tags"] as Record<string, string>), Owner: "" } }) },
    "s3-replication-kms-source-selection": {
        type: T.bucketReplication,
        mutate: (p) => ({
            ...p,
            rules: (p["rules"] as Record<string, unknown>[]).map(({ sourceSelectionCriteria: _drop, ...rule }) => rule),
        }),
    },
    "s3-replication-rtc-metrics": {
        type: T.bucketReplication,
        mutate: (p) => ({
            ...p,
            rules: (p["rules"] as Record<string, unknown>[]).map((rule) => {
                const { metrics: _drop, ...destination } = rule["destination"] as Record<string, unknown>;
                return { ...rule, destination: { ...destination, replicationTime: { status: "Enabled", time: { minutes: 15 } } } };
            }),
        }),
    },
    "s3-replication-needs-versioning": {
        type: T.bucketVersioning,
        name: /replica/,
        mutate: (p) => ({ ...p, versioningConfiguration: { status: "Suspended" } }),
    },
    "aurora-global-secondary-no-credentials": { type: T.rdsCluster, name: /secondary/, mutate: (p) => ({ ...p, masterUsername: "admin" }) },
    // Prod's writer group carries the RPO ceiling; a value Aurora refuses is caught.
    "aurora-global-rpo-on-one-member": {
        type: T.rdsClusterParameterGroup,
        name: /^aurora-primary$/,
        mutate: (p) => ({
            ...p,
            parameters: (p["parameters"] as Record<string, unknown>[]).map((x) =>
                x["name"] === "rds.global_db_rpo" ? { ...x, value: "10" } : x,
            ),
        }),
    },
    "vpc-peering-least-access": {
        type: T.route,
        name: /^rotation-peering-client-0-/,
        mutate: (p) => ({ ...p, destinationCidrBlock: "0.0.0.0/0" }),
    },
    // The resources of issue 16 (components/GlobalTable.ts, components/RuntimeCompliance.ts): skipped until they land.
    "dynamodb-global-table-streams": { type: T.dynamoTable, name: /audit-events/, mutate: (p) => ({ ...p, streamEnabled: false }) },
    "dynamodb-capacity-scales": { type: T.dynamoTable, mutate: (p) => ({ ...p, billingMode: "PROVISIONED" }) },
    "aws-config-recorder-enabled": { type: T.configRecorderStatus, mutate: (p) => ({ ...p, isEnabled: false }) },
    "aws-config-noncompliance-alerts": {
        type: T.eventRule,
        name: /config|complian/i,
        mutate: (p) => ({ ...p, state: "DISABLED" }),
    },
    "secrets-rotation-failure-alerts": {
        type: T.eventRule,
        name: /^dr-monitoring-secrets-rotation-failed$/,
        mutate: (p) => ({ ...p, state: "DISABLED" }),
    },
    "cloudtrail-s3-data-events": {
        type: T.trail,
        mutate: (p) => ({
            ...p,
            advancedEventSelectors: [{ name: "management only", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] }],
        }),
    },
    "cloudwatch-alarm-actions": { type: T.metricAlarm, mutate: (p) => ({ ...p, alarmActions: [] }) },
    "guardduty-enabled": { type: T.guardDutyDetector, mutate: (p) => ({ ...p, enable: false }) },
    "lambda-inside-vpc": { type: T.lambdaFunction, mutate: ({ vpcConfig: _drop, ...p }) => p },
    "lambda-runtime-supported": { type: T.lambdaFunction, mutate: (p) => ({ ...p, runtime: "nodejs20.x" }) },
    // The rotation now names another secret, so the database secret is left without one.
    "secrets-rotation-enabled": {
        type: T.secretRotation,
        mutate: (p) => ({ ...p, secretId: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:some-other-secret" }),
    },
    "backup-vault-locked-in-protected-environments": {
        type: T.backupVaultLock,
        mutate: (p) => ({ ...p, backupVaultName: "some-other-vault" }),
    },
    "s3-bucket-acls-disabled": {
        type: T.bucketOwnershipControls,
        name: /clinical/,
        mutate: (p) => ({ ...p, rule: { objectOwnership: "ObjectWriter" } }),
    },
    "vpc-endpoint-policy-restricted": { type: T.vpcEndpoint, mutate: ({ policy: _drop, ...p }) => p },
    "audit-log-object-lock-compliance": {
        type: T.bucketObjectLock,
        name: /^audit$/,
        mutate: (p) => ({ ...p, rule: { defaultRetention: { mode: "GOVERNANCE", days: 365 } } }),
    },
    "lambda-tracing-active": { type: T.lambdaFunction, mutate: (p) => ({ ...p, tracingConfig: { mode: "PassThrough" } }) },
    "lambda-code-signing-enforced": {
        type: T.lambdaCodeSigningConfig,
        mutate: (p) => ({ ...p, policies: { untrustedArtifactOnDeployment: "Warn" } }),
    },
    "backup-region-settings": {
        type: T.backupRegionSettings,
        mutate: (p) => ({ ...p, resourceTypeOptInPreference: { ...(p["resourceTypeOptInPreference"] as object), Aurora: false } }),
    },
    // The continuous rule takes the snapshot rule's cross-region copy.
    "backup-plan-rules": {
        type: T.backupPlan,
        mutate: (p) => {
            const rules = p["rules"] as Record<string, unknown>[];
            const copyActions = rules.find((r) => (r["copyActions"] as unknown[]).length > 0)!["copyActions"];
            return { ...p, rules: rules.map((r) => (r["enableContinuousBackup"] === true ? { ...r, copyActions } : r)) };
        },
    },
    "backup-copy-cadence-sustainable": {
        type: T.backupPlan,
        mutate: (p) => ({
            ...p,
            rules: (p["rules"] as Record<string, unknown>[]).map((r) =>
                (r["copyActions"] as unknown[]).length > 0 ? { ...r, schedule: "cron(0 */4 * * ? *)" } : r,
            ),
        }),
    },
    "s3-versioned-bucket-lifecycle": {
        type: T.bucketLifecycle,
        name: /clinical/,
        mutate: (p) => ({
            ...p,
            rules: (p["rules"] as Record<string, unknown>[]).filter((rule) => rule["noncurrentVersionExpiration"] === undefined),
        }),
    },
    // The application tier (components/ApplicationTier.ts, components/ImageRepository.ts): skipped until it lands.
    "alb-waf-enabled": {
        type: T.wafWebAclAssociation,
        mutate: (p) => ({ ...p, resourceArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/some-other/0" }),
    },
    "ecs-service-no-public-ip": {
        type: T.ecsService,
        mutate: (p) => ({ ...p, networkConfiguration: { ...(p["networkConfiguration"] as object), assignPublicIp: true } }),
    },
    "waf-logging-enabled": {
        type: T.wafWebAclLogging,
        mutate: (p) => ({ ...p, resourceArn: "arn:aws:wafv2:eu-west-2:123456789012:regional/webacl/some-other/0" }),
    },
    "lb-access-logs": { type: T.lb, mutate: (p) => ({ ...p, accessLogs: { ...(p["accessLogs"] as object), enabled: false } }) },
    "lb-deletion-protection-in-protected-environments": { type: T.lb, mutate: (p) => ({ ...p, enableDeletionProtection: false }) },
    "alb-drop-invalid-header-fields": { type: T.lb, mutate: (p) => ({ ...p, dropInvalidHeaderFields: false }) },
    "ecr-scan-on-push": { type: T.ecrRepository, mutate: (p) => ({ ...p, imageScanningConfiguration: { scanOnPush: false } }) },
    "ecr-tags-immutable": { type: T.ecrRepository, mutate: (p) => ({ ...p, imageTagMutability: "MUTABLE" }) },
    "ecr-lifecycle-policy": { type: T.ecrLifecyclePolicy, mutate: (p) => ({ ...p, repository: "some-other-repository" }) },
    // A privileged container (its definitions are a literal then, known in a first preview too).
    "ecs-task-definition-hardened": {
        type: T.ecsTaskDefinition,
        mutate: (p) => ({
            ...p,
            containerDefinitions: JSON.stringify([
                {
                    name: "app",
                    image: "123456789012.dkr.ecr.eu-west-2.amazonaws.com/app:1",
                    essential: true,
                    privileged: true,
                    readonlyRootFilesystem: true,
                    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "app", "awslogs-region": "eu-west-2" } },
                },
            ]),
        }),
    },
    "ecs-exec-disabled-in-protected-environments": { type: T.ecsService, mutate: (p) => ({ ...p, enableExecuteCommand: true }) },
    "ecs-cluster-container-insights": {
        type: T.ecsCluster,
        mutate: (p) => ({ ...p, settings: [{ name: "containerInsights", value: "disabled" }] }),
    },
    // The task role doubles as the execution role: the application would hold the ECS agent's rights.
    "ecs-task-roles-least-privilege": {
        type: T.ecsTaskDefinition,
        mutate: (p) => ({ ...p, executionRoleArn: p["taskRoleArn"] }),
        dependencies: (d) => ({ ...d, executionRoleArn: d["taskRoleArn"] ?? [] }),
    },
};

/** The first replica of a global table's inline `replicas`, changed by `change`. */
const replicaBreak =
    (change: Record<string, unknown>): Mutation =>
    (p) => {
        const replicas = (p["replicas"] as Record<string, unknown>[] | undefined) ?? [];
        return { ...p, replicas: [{ ...replicas[0], ...change }, ...replicas.slice(1)] };
    };

/**
 * More breaks of policies that already have one in BREAKS: the same policy catching a second kind of resource or
 * property (the global table's replica, which each of them was extended to cover).
 */
const FURTHER_BREAKS: readonly (Break & { readonly policy: string; readonly what: string; readonly updateOnly?: true })[] = [
    {
        policy: "encryption-at-rest-cmk",
        what: "a global table's replica on the table's own key",
        type: T.dynamoTable,
        name: /audit-events/,
        mutate: (p) => replicaBreak({ kmsKeyArn: (p["serverSideEncryption"] as Record<string, unknown> | undefined)?.["kmsKeyArn"] })(p),
        // In a first preview both ARNs are unknown and a resource policy sees no property dependencies, so only an
        // update can tell the two keys apart; a first deploy cannot get past AWS, which refuses a replica whose key is
        // not in the replica's region (REPLICA_KEY_DOC in policy-pack/policies/encryption.ts).
        updateOnly: true,
    },
    {
        policy: "encryption-at-rest-cmk",
        what: "a global table's replica without a customer-managed key",
        type: T.dynamoTable,
        name: /audit-events/,
        mutate: replicaBreak({ kmsKeyArn: undefined }),
    },
    {
        policy: "backup-retention-minimum",
        what: "a global table's replica without point-in-time recovery",
        type: T.dynamoTable,
        name: /audit-events/,
        mutate: replicaBreak({ pointInTimeRecovery: false }),
    },
    {
        policy: "deletion-protection-in-protected-environments",
        what: "a global table's replica without deletion protection",
        type: T.dynamoTable,
        name: /audit-events/,
        mutate: replicaBreak({ deletionProtectionEnabled: false }),
    },
    {
        policy: "data-residency",
        what: "a global table's replica outside the allowed regions",
        type: T.dynamoTable,
        name: /audit-events/,
        mutate: replicaBreak({ regionName: "us-east-1" }),
    },
    {
        policy: "backup-selection-coverage",
        what: "the DR region's selection without the global table's replica",
        type: T.backupSelection,
        name: /dr/,
        mutate: (p) => ({ ...p, resources: ((p["resources"] as string[] | undefined) ?? []).filter((arn) => !/:table\//.test(arn)) }),
        // The replica's ARN is derived from the table's name, so `resources` depended on the table: that goes too, the
        // dependencies on the cluster and the buckets stay.
        dependencies: (d) => ({ ...d, resources: (d["resources"] ?? []).filter((urn) => !urn.includes("aws:dynamodb/table:Table")) }),
    },
    {
        policy: "encryption-at-rest-cmk",
        what: "AWS Config's delivery channel without a customer-managed key",
        type: T.configDeliveryChannel,
        mutate: (p) => ({ ...p, s3KmsKeyArn: undefined }),
    },
];

for (const preview of [false, true])
    describe(`policy pack catches a control broken on a real prod resource${preview ? ", new in a first preview" : ""}`, function () {
        this.timeout(120_000);
        let run: ProgramRun;
        before(async () => {
            run = await planStack("prod", { preview });
        });

        it("has a breaking case for every mandatory policy except the recovery objectives (tested by hand-built stacks)", () => {
            const mandatory = policies.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name);
            expect(
                mandatory.filter(
                    (n) =>
                        BREAKS[n] === undefined &&
                        n !== "recovery-objectives-met" &&
                        n !== "cloudtrail-multi-region" &&
                        // Breaks the pack config, not a resource: see "a mistyped pack config" below.
                        n !== "policy-pack-config",
                ),
            ).to.deep.equal([]);
        });

        const cases = [
            ...Object.entries(BREAKS).map(([policy, b]) => ({ ...b, policy, title: `breaking a ${b.type.split(":").pop()} is caught` })),
            ...FURTHER_BREAKS.filter((b) => !(preview && b.updateOnly === true)).map((b) => ({ ...b, title: `${b.what} is caught` })),
        ];
        const unbroken = new Map<string, Promise<readonly unknown[]>>();
        const beforeOf = (policyName: string, compute: () => Promise<readonly unknown[]>) => {
            if (!unbroken.has(policyName)) unbroken.set(policyName, compute());
            return unbroken.get(policyName)!;
        };
        for (const { policy: policyName, title, type, name, mutate, mutateOptions, dependencies } of cases) {
            it(`${policyName}: ${title}`, async function () {
                const resources = resourcesOfRun(run);
                const index = resources.findIndex((r) => r.type === type && (name === undefined || name.test(r.name)));
                // A break that finds nothing to break would pass by skipping: every case names a resource of the plan.
                expect(index, `no ${type}${name !== undefined ? ` named like ${String(name)}` : ""} in the prod plan`).to.be.at.least(0);
                const policy = policies.find((p) => p.name === policyName)!;
                const target = resources[index]!;
                const options = { policies: [policy], stackTags: stackTagsOf(run) };
                // The unbroken plan's violations of this policy: the same for every case of the policy, so computed once.
                const before = await beforeOf(policyName, () => analyze(resources, options).then((r) => r.violations));

                const inputs = mutate({ ...target.inputs });
                // A property set to a literal no longer depends on the resource it referred to.
                const changed = Object.keys(inputs).filter((k) => JSON.stringify(inputs[k]) !== JSON.stringify(target.inputs[k]));
                const kept = Object.fromEntries(Object.entries(target.propertyDependencies ?? {}).filter(([k]) => !changed.includes(k)));
                const propertyDependencies = dependencies !== undefined ? dependencies(target.propertyDependencies ?? {}) : kept;
                const broken: HarnessResource = {
                    ...target,
                    inputs,
                    outputs: mutate({ ...(target.outputs ?? target.inputs) }),
                    propertyDependencies,
                    ...(mutateOptions !== undefined ? { options: mutateOptions({ ...target.options }) } : {}),
                };
                const mutated = resources.map((r, i) => (i === index ? broken : r));
                const after = (await analyze(mutated, options)).violations;

                expect(after.length, describeViolations(after)).to.be.greaterThan(before.length);
                expect(after.every((v) => v.policyName === policyName && v.enforcementLevel === "mandatory")).to.equal(true);
            });
        }
    });
