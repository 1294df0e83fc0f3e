import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { RUNBOOK_SECTIONS, runbookReference } from "../lib/alarms";
import {
    complianceChangeMessage,
    complianceChangePattern,
    CONFIG_DATA_CLASSIFICATION,
    CONFIG_SERVICE,
    configBucketPolicy,
    configDeliveryRolePolicy,
    configName,
    configRoleManagedPolicyArn,
    programRecordedResourceTypes,
} from "../lib/awsConfig";
import { accessLogLifecycleRules, bucketPrefix } from "../lib/buckets";
import {
    conformancePackName,
    deployedIn,
    deployedRuleName,
    GUARD_RULES,
    hipaaConformancePackTemplate,
    hipaaPackInputParameters,
    MANAGED_RULE_CATALOGUE,
    ruleParameters,
    type RuleSettings,
} from "../lib/conformancePack";
import { serviceTrustPolicy, toJson } from "../lib/iam";
import { declareSecureBucket } from "./secureBucket";

export interface RuntimeComplianceArgs {
    /** The account ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The region (the provider in the options must be this region's): part of names. */
    readonly region: string;
    /**
     * Who owns the region's configuration recorder (`healthcare-dr:compliance.awsConfig`; `off` declares no component):
     * `create` declares the recorder, its role, the delivery bucket and channel, and starts recording; `existing`
     * relies on the account's recorder (often an organisation's: AWS Config allows one per account and region) and
     * declares only the conformance pack, the extra rules and the alert routing.
     * @see https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
     */
    readonly mode: "create" | "existing";
    /**
     * Record the global IAM types here (`create` only). True in one region of the stack (the primary): recording them
     * in two would record every IAM change twice.
     * @default false
     */
    readonly recordGlobalResourceTypes?: boolean;
    /** The region's customer-managed key: the delivery bucket's default encryption and the channel's `s3KmsKeyArn`. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The region's alert topic: NON_COMPLIANT transitions of the stack's rules are sent there. */
    readonly alertTopicArn: pulumi.Input<string>;
    /**
     * The region's access-log bucket, for the delivery bucket's server access logs (`create` only).
     * @default - no server access logs
     */
    readonly accessLogBucket?: pulumi.Input<string>;
    /** Stack name, protection and the retentions the rules require (lib/conformancePack.ts). */
    readonly rules: Omit<RuleSettings, "vpcId">;
    /** The region's VPC: the one allowed an internet gateway (internet-gateway-authorized-vpc-only). */
    readonly vpcId: pulumi.Input<string>;
    /** Days the delivery bucket keeps configuration history and snapshots (`create` only). */
    readonly deliveryRetentionDays: number;
    /** Tags of every taggable resource; `Name` is set here. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** The resources that record the region (mode `create`). */
interface Recording {
    readonly recorder: aws.cfg.Recorder;
    readonly bucketName: pulumi.Output<string>;
    readonly status: aws.cfg.RecorderStatus;
}

/**
 * Run-time compliance in one region, with AWS Config: what the policy pack checks at preview, checked again on what
 * exists, console changes included.
 * - `create`: a configuration recorder (this stack's resource types only, CONFIG_RESOURCE_TYPES), a role with the
 *   AWS managed `AWS_ConfigRole` policy plus delivery to its bucket, a delivery channel to a KMS-encrypted, versioned,
 *   access-logged, private bucket (no Object Lock: AWS Config cannot deliver to a locked bucket), and the recorder
 *   started once the channel exists;
 * - the conformance pack "Operational Best Practices for HIPAA Security" (lib/conformancePack.ts), the managed rules
 *   the policy pack names that it lacks, and the stack's Guard rules, after the recorder where it is created here;
 * - an EventBridge rule sending each rule's transition into NON_COMPLIANT to the region's alert topic, once.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/WhatIsConfig.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/conformance-packs.html
 */
export class RuntimeCompliance extends pulumi.ComponentResource {
    /** The recorder's name (`create`), else undefined. */
    public readonly recorderName: pulumi.Output<string | undefined>;
    /** The delivery bucket's name (`create`), else undefined. */
    public readonly deliveryBucketName: pulumi.Output<string | undefined>;
    /** The conformance pack's name. */
    public readonly conformancePackName: pulumi.Output<string>;
    /** Names of the rules declared beside the pack (managed and Guard). */
    public readonly ruleNames: pulumi.Output<string[]>;
    /** The EventBridge rule routing NON_COMPLIANT transitions to the alert topic. */
    public readonly alertRuleName: pulumi.Output<string>;

    constructor(name: string, args: RuntimeComplianceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:RuntimeCompliance", name, {}, opts);
        const tags = (suffix: string) => ({ ...args.tags, Name: configName(args.rules.stack, `${args.region}-${suffix}`) });

        const recording = args.mode === "create" ? this.recording(name, args, tags) : undefined;
        // A conformance pack or rule needs a recorder to evaluate; where this stack creates it, wait for it to record.
        const afterRecording: pulumi.Resource[] = recording !== undefined ? [recording.status] : [];
        const pack = this.conformancePack(name, args, afterRecording);
        const rules = this.extraRules(name, args, tags, afterRecording);
        const alertRule = this.alertRouting(name, args, tags);

        this.recorderName = recording !== undefined ? recording.recorder.name : pulumi.output(undefined);
        this.deliveryBucketName = recording !== undefined ? recording.bucketName : pulumi.output(undefined);
        this.conformancePackName = pack.name;
        this.ruleNames = pulumi.all(rules.map((r) => r.name));
        this.alertRuleName = alertRule.name;
        this.registerOutputs({
            recorderName: this.recorderName,
            deliveryBucketName: this.deliveryBucketName,
            conformancePackName: this.conformancePackName,
            ruleNames: this.ruleNames,
            alertRuleName: this.alertRuleName,
        });
    }

    /**
     * The recorder, its role, the delivery bucket and channel, and the recorder's status (recording), in the order AWS
     * Config requires: a channel needs a recorder, and a recorder starts only with a channel.
     * @see https://docs.aws.amazon.com/config/latest/developerguide/manage-delivery-channel.html
     * @see https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html
     */
    private recording(name: string, args: RuntimeComplianceArgs, tags: (suffix: string) => Record<string, string>): Recording {
        const { accountId, partition } = args.account;
        const stack = args.rules.stack;
        const prefix = bucketPrefix(stack, ["config", args.region]);
        const delivery = declareSecureBucket(
            `${name}-delivery`,
            {
                bucketPrefix: prefix,
                encryption: { kind: "kms", keyArn: args.kmsKeyArn },
                lifecycleRules: accessLogLifecycleRules(args.deliveryRetentionDays),
                policy: (bucketArn) => bucketArn.apply((arn) => toJson(configBucketPolicy({ bucketArn: arn, accountId }))),
                // AWS Config does not deliver to a bucket with Object Lock.
                // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-config-deliverychannel.html
                objectLockRetentionDays: undefined,
                accessLogs:
                    args.accessLogBucket !== undefined ? { targetBucket: args.accessLogBucket, targetPrefix: "config/" } : undefined,
                protect: args.rules.protect,
                tags: { ...args.tags, Name: prefix.replace(/-$/, ""), DataClassification: CONFIG_DATA_CLASSIFICATION },
            },
            { parent: this },
        );

        const role = new aws.iam.Role(
            `${name}-recorder`,
            {
                description: `AWS Config: record ${stack}'s resources in ${args.region} and deliver them to its bucket`,
                assumeRolePolicy: toJson(serviceTrustPolicy(CONFIG_SERVICE, accountId)),
                tags: tags("recorder"),
            },
            { parent: this },
        );
        const managed = new aws.iam.RolePolicyAttachment(
            `${name}-recorder-config-role`,
            { role: role.name, policyArn: configRoleManagedPolicyArn(partition) },
            { parent: this },
        );
        const deliveryPolicy = new aws.iam.RolePolicy(
            `${name}-recorder-delivery`,
            {
                role: role.name,
                policy: pulumi
                    .all([delivery.bucket.arn, args.kmsKeyArn])
                    .apply(([bucketArn, keyArn]) => toJson(configDeliveryRolePolicy({ bucketArn, accountId, keyArn }))),
            },
            { parent: this },
        );

        const recorder = new aws.cfg.Recorder(
            `${name}-recorder`,
            {
                name: configName(stack, args.region),
                roleArn: role.arn,
                recordingGroup: {
                    allSupported: false,
                    // The global types are listed explicitly (in one region only) instead.
                    includeGlobalResourceTypes: false,
                    recordingStrategies: [{ useOnly: "INCLUSION_BY_RESOURCE_TYPES" }],
                    resourceTypes: programRecordedResourceTypes({ includeGlobal: args.recordGlobalResourceTypes ?? false }),
                },
            },
            { parent: this, dependsOn: [managed] },
        );
        const channel = new aws.cfg.DeliveryChannel(
            `${name}-delivery`,
            {
                name: configName(stack, args.region),
                s3BucketName: delivery.bucket.bucket,
                s3KmsKeyArn: args.kmsKeyArn,
                snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" },
            },
            { parent: this, dependsOn: [recorder, delivery.policy, delivery.encryption, deliveryPolicy] },
        );
        const status = new aws.cfg.RecorderStatus(
            `${name}-recording`,
            { name: recorder.name, isEnabled: true },
            { parent: this, dependsOn: [channel] },
        );
        return { recorder, bucketName: delivery.bucket.bucket, status };
    }

    /**
     * The HIPAA conformance pack, its template inline (lib/conformancePack.ts measures it under the 51,200 bytes of
     * `templateBody`) and its parameters from the stack's settings.
     * @see https://docs.aws.amazon.com/config/latest/APIReference/API_PutConformancePack.html
     */
    private conformancePack(name: string, args: RuntimeComplianceArgs, dependsOn: pulumi.Resource[]): aws.cfg.ConformancePack {
        return new aws.cfg.ConformancePack(
            `${name}-hipaa`,
            {
                name: conformancePackName(args.rules.stack),
                templateBody: hipaaConformancePackTemplate({ stack: args.rules.stack, protect: args.rules.protect }),
                inputParameters: pulumi.output(args.vpcId).apply((vpcId) => hipaaPackInputParameters({ ...args.rules, vpcId })),
            },
            { parent: this, dependsOn },
        );
    }

    /** The managed rules of MANAGED_RULE_CATALOGUE deployed in this environment, and the Guard rules (GUARD_RULES). */
    private extraRules(
        name: string,
        args: RuntimeComplianceArgs,
        tags: (suffix: string) => Record<string, string>,
        dependsOn: pulumi.Resource[],
    ): aws.cfg.Rule[] {
        const stack = args.rules.stack;
        const parameters = ruleParameters(args.rules);
        const managed = MANAGED_RULE_CATALOGUE.filter((r) => deployedIn(r.name, args.rules.protect)).map((r) => {
            const inputs = parameters[r.name];
            return new aws.cfg.Rule(
                `${name}-${r.name}`,
                {
                    name: deployedRuleName(stack, r.name),
                    description: `AWS Config managed rule ${r.name}, deployed beside the HIPAA pack because the policy pack names it.`,
                    source: { owner: "AWS", sourceIdentifier: r.identifier },
                    ...(r.scope !== undefined ? { scope: { complianceResourceTypes: [...r.scope] } } : {}),
                    ...(inputs !== undefined ? { inputParameters: JSON.stringify(inputs) } : {}),
                    tags: tags(r.name),
                },
                { parent: this, dependsOn },
            );
        });
        const guard = GUARD_RULES.map(
            (r) =>
                new aws.cfg.Rule(
                    `${name}-${r.name}`,
                    {
                        name: deployedRuleName(stack, r.name),
                        description: `${r.description} (policy ${r.policy} at run time)`,
                        source: {
                            owner: "CUSTOM_POLICY",
                            customPolicyDetails: { policyRuntime: "guard-2.x.x", policyText: r.policyText(args.region) },
                            sourceDetails: [
                                { eventSource: "aws.config", messageType: "ConfigurationItemChangeNotification" },
                                { eventSource: "aws.config", messageType: "OversizedConfigurationItemChangeNotification" },
                            ],
                        },
                        scope: { complianceResourceTypes: [...r.scope] },
                        tags: tags(r.name),
                    },
                    { parent: this, dependsOn },
                ),
        );
        return [...managed, ...guard];
    }

    /** The NON_COMPLIANT transitions of the stack's rules, as one readable line, to the region's alert topic. */
    private alertRouting(
        name: string,
        args: RuntimeComplianceArgs,
        tags: (suffix: string) => Record<string, string>,
    ): aws.cloudwatch.EventRule {
        const section = RUNBOOK_SECTIONS.configNonCompliant;
        const rule = new aws.cloudwatch.EventRule(
            `${name}-non-compliant`,
            {
                description: `${section}: notify the alert topic. ${runbookReference(section)}`.slice(0, 512),
                eventPattern: complianceChangePattern(args.rules.stack),
                state: "ENABLED",
                tags: tags("non-compliant"),
            },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(
            `${name}-non-compliant`,
            { rule: rule.name, arn: args.alertTopicArn, inputTransformer: complianceChangeMessage(runbookReference(section)) },
            { parent: this },
        );
        return rule;
    }
}
