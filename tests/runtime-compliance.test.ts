import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import {
    complianceChangeMessage,
    complianceChangePattern,
    CONFIG_RESOURCE_TYPES,
    configBucketPolicy,
    configDeliveryRolePolicy,
    INDIRECT_CONFIG_RESOURCE_TYPES,
    programRecordedResourceTypes,
    recordedResourceTypes,
} from "../lib/awsConfig";
import {
    conformancePackName,
    DELETION_PROTECTION_RULES,
    deployedRuleName,
    extraRuleNames,
    GUARD_RULES,
    HIPAA_PACK_RULES,
    HIPAA_PACK_RULES_SHA256,
    HIPAA_PACK_SOURCE,
    hipaaConformancePackTemplate,
    hipaaPackInputParameters,
    hipaaPackRulesSha256,
    MANAGED_RULE_CATALOGUE,
    MAX_TEMPLATE_BODY_BYTES,
    NOT_OFFERED_BY_AWS_CONFIG,
    templateBytes,
} from "../lib/conformancePack";
import { actionsOf, isWildcardAction } from "../lib/iam";
import { policies } from "../policy-pack/policies";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { planStack, resourcesOfType, STACKS } from "./harness/stacks";

const T = {
    recorder: "aws:cfg/recorder:Recorder",
    channel: "aws:cfg/deliveryChannel:DeliveryChannel",
    status: "aws:cfg/recorderStatus:RecorderStatus",
    pack: "aws:cfg/conformancePack:ConformancePack",
    rule: "aws:cfg/rule:Rule",
    eventRule: "aws:cloudwatch/eventRule:EventRule",
    target: "aws:cloudwatch/eventTarget:EventTarget",
    bucket: "aws:s3/bucket:Bucket",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    logging: "aws:s3/bucketLogging:BucketLogging",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    role: "aws:iam/role:Role",
    key: "aws:kms/key:Key",
    topic: "aws:sns/topic:Topic",
} as const;

const ACCOUNT = "123456789012";

/** Every rule name the policy pack's policies list in `metadata.awsConfig`: read, never copied. */
function namedByPolicies(): Set<string> {
    return new Set(policies.flatMap((p) => [...(p.metadata.awsConfig ?? [])]));
}

/**
 * The `ResourceType` enum of the AWS Config API, from the botocore service model that the project's `.venv` (moto's
 * dependency, installed by scripts/setup.sh) carries: an independent list of the types AWS Config knows.
 */
function configApiResourceTypes(): Set<string> {
    const root = path.resolve(__dirname, "..", ".venv", "lib");
    const python = fs.existsSync(root) ? fs.readdirSync(root).find((d) => d.startsWith("python")) : undefined;
    const dir = python === undefined ? undefined : path.join(root, python, "site-packages", "botocore", "data", "config");
    if (dir === undefined || !fs.existsSync(dir)) {
        throw new Error(`The AWS Config API model is not at ${root}/python*/site-packages/botocore/data/config: run bash scripts/setup.sh`);
    }
    const version = fs.readdirSync(dir).sort().pop()!;
    const file = fs.readdirSync(path.join(dir, version)).find((f) => f.startsWith("service-2.json"))!;
    const raw = fs.readFileSync(path.join(dir, version, file));
    const model = JSON.parse((file.endsWith(".gz") ? zlib.gunzipSync(raw) : raw).toString("utf8")) as {
        shapes: { ResourceType: { enum: string[] } };
    };
    return new Set(model.shapes.ResourceType.enum);
}

type Matcher = string | { prefix: string } | { "anything-but": string } | { exists: boolean };
type Pattern = { [key: string]: Matcher[] | Pattern };

/**
 * EventBridge matching for the operators the pattern uses (exact value, prefix, anything-but, exists): every key of
 * the pattern must match, any matcher of a list may; a field under a missing object is missing.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
function matches(pattern: Pattern, event: Record<string, unknown> | undefined): boolean {
    return Object.entries(pattern).every(([key, expected]) => {
        const value = event?.[key];
        if (!Array.isArray(expected)) {
            // A missing object is matched field by field as missing (so that `exists: false` below it matches).
            return matches(expected, typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined);
        }
        return expected.some((m) => {
            if (typeof m === "string") return value === m;
            if ("prefix" in m) return typeof value === "string" && value.startsWith(m.prefix);
            if ("anything-but" in m) return value !== undefined && value !== m["anything-but"];
            return (value !== undefined) === m.exists;
        });
    });
}

function complianceEvent(rule: string, newType: string, oldType?: string): Record<string, unknown> {
    return {
        source: "aws.config",
        "detail-type": "Config Rules Compliance Change",
        detail: {
            messageType: "ComplianceChangeNotification",
            configRuleName: rule,
            resourceType: "AWS::S3::Bucket",
            resourceId: "hdr-dev-data",
            awsRegion: "eu-west-2",
            awsAccountId: ACCOUNT,
            newEvaluationResult: { complianceType: newType },
            ...(oldType !== undefined ? { oldEvaluationResult: { complianceType: oldType } } : {}),
        },
    };
}

describe("run-time compliance: lib", () => {
    describe("recorded resource types", () => {
        for (const stack of STACKS) {
            it(`knows the AWS Config type of every resource type of the ${stack} stack (or why it has none)`, async () => {
                const run = await planStack(stack);
                const types = new Set(run.resources.filter((r) => r.custom).map((r) => r.type));
                expect(() => recordedResourceTypes(types, { includeGlobal: true })).to.not.throw();
            });
        }

        it("names every AWS Config type it maps to as the AWS Config API knows it", () => {
            const known = configApiResourceTypes();
            const mapped = [
                ...Object.values(CONFIG_RESOURCE_TYPES).filter((t) => typeof t === "string"),
                ...INDIRECT_CONFIG_RESOURCE_TYPES,
            ];
            expect(mapped.filter((t) => !known.has(t))).to.deep.equal([]);
        });

        it("refuses a resource type it has no entry for, naming it and where to add it", () => {
            expect(() => recordedResourceTypes(["aws:s3/bucket:Bucket", "aws:foo/bar:Bar"], { includeGlobal: false })).to.throw(
                /aws:foo\/bar:Bar.*CONFIG_RESOURCE_TYPES in lib\/awsConfig\.ts/,
            );
        });

        it("records the global IAM types in one region only", () => {
            expect(programRecordedResourceTypes({ includeGlobal: true })).to.include("AWS::IAM::Role");
            expect(programRecordedResourceTypes({ includeGlobal: false }).filter((t) => t.startsWith("AWS::IAM::"))).to.deep.equal([]);
        });
    });

    describe("the HIPAA conformance pack", () => {
        it("is pinned: the rule set's digest is the recorded one, taken from a pinned commit", () => {
            expect(hipaaPackRulesSha256()).to.equal(HIPAA_PACK_RULES_SHA256);
            expect(HIPAA_PACK_SOURCE.commit).to.match(/^[0-9a-f]{40}$/);
            expect(HIPAA_PACK_SOURCE.url).to.include(HIPAA_PACK_SOURCE.commit).and.include(HIPAA_PACK_SOURCE.path);
        });

        it("changes the digest when a rule changes (the pin can fail)", () => {
            const changed = HIPAA_PACK_RULES.map((r, i) => (i === 0 ? { ...r, identifier: `${r.identifier}_X` } : r));
            expect(hipaaPackRulesSha256(changed)).to.not.equal(HIPAA_PACK_RULES_SHA256);
        });

        for (const protect of [false, true]) {
            it(`fits in templateBody (51,200 bytes) and declares every parameter it references (protect: ${protect})`, () => {
                const body = hipaaConformancePackTemplate({ stack: "prod", protect });
                expect(templateBytes(body)).to.be.below(MAX_TEMPLATE_BODY_BYTES);
                const template = parseYaml(body) as {
                    Parameters: Record<string, { Type: string }>;
                    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
                };
                const resources = Object.values(template.Resources);
                expect(resources.every((r) => r.Type === "AWS::Config::ConfigRule")).to.equal(true);
                expect(resources.map((r) => r.Properties["ConfigRuleName"])).to.deep.equal(
                    HIPAA_PACK_RULES.filter((r) => protect || !DELETION_PROTECTION_RULES.includes(r.name)).map((r) =>
                        deployedRuleName("prod", r.name),
                    ),
                );
                const refs = resources.flatMap((r) =>
                    Object.values((r.Properties["InputParameters"] ?? {}) as Record<string, { Ref: string }>).map((v) => v.Ref),
                );
                expect(refs.sort()).to.deep.equal(Object.keys(template.Parameters).sort());
                const given = hipaaPackInputParameters({ stack: "prod", protect, backupRetentionDays: 35, logRetentionDays: 365 });
                expect(given.map((p) => p.parameterName).sort()).to.deep.equal(Object.keys(template.Parameters).sort());
            });
        }

        it("requires the stack's own backup retention, not AWS's default of 35 days", () => {
            const given = hipaaPackInputParameters({ stack: "dev", protect: false, backupRetentionDays: 7, logRetentionDays: 30 });
            expect(given).to.deep.include({
                parameterName: "BackupPlanMinFrequencyAndMinRetentionCheckParamRequiredRetentionDays",
                parameterValue: "7",
            });
        });

        it("leaves the deletion-protection rules out where deletion protection is off (dev), and only there", () => {
            const dev = hipaaConformancePackTemplate({ stack: "dev", protect: false });
            const prod = hipaaConformancePackTemplate({ stack: "prod", protect: true });
            expect(dev).to.not.include("RDS_CLUSTER_DELETION_PROTECTION_ENABLED");
            expect(prod).to.include("RDS_CLUSTER_DELETION_PROTECTION_ENABLED");
        });
    });

    describe("rules the policy pack names", () => {
        it("deploys every AWS Config rule a policy's metadata.awsConfig names: in the pack, beside it, or not offered with a reason", () => {
            const deployed = new Set([...HIPAA_PACK_RULES, ...MANAGED_RULE_CATALOGUE].map((r) => r.name));
            const missing = [...namedByPolicies()].filter((name) => !deployed.has(name) && NOT_OFFERED_BY_AWS_CONFIG[name] === undefined);
            expect(missing, "add them to MANAGED_RULE_CATALOGUE in lib/conformancePack.ts").to.deep.equal([]);
            expect(extraRuleNames(namedByPolicies()).length).to.be.greaterThan(0);
        });

        it("refuses a named rule it cannot deploy, naming it and where to add it", () => {
            expect(() => extraRuleNames(["s3-bucket-versioning-enabled", "no-such-rule"])).to.throw(/no-such-rule.*MANAGED_RULE_CATALOGUE/);
        });

        it("keeps the extra rules and the pack apart, with identifiers AWS Config's way", () => {
            const pack = new Set(HIPAA_PACK_RULES.map((r) => r.name));
            expect(MANAGED_RULE_CATALOGUE.filter((r) => pack.has(r.name))).to.deep.equal([]);
            for (const r of [...HIPAA_PACK_RULES, ...MANAGED_RULE_CATALOGUE]) {
                expect(r.identifier, r.name).to.match(/^[A-Z0-9_]+$/);
            }
        });

        it("has a Guard rule checking backup plans copy to another region, in the region it runs in", () => {
            const guard = GUARD_RULES.find((r) => r.name === "backup-plan-copies-to-another-region")!;
            expect(guard.policyText("eu-west-2")).to.include("backup:eu-west-2:").and.include("CopyActions");
            expect(policies.map((p) => p.name)).to.include(guard.policy);
        });
    });

    describe("alert routing", () => {
        const pattern = JSON.parse(complianceChangePattern("dev")) as Pattern;

        it("matches a rule of the stack turning NON_COMPLIANT, first evaluation included", () => {
            expect(matches(pattern, complianceEvent("hdr-dev-s3-bucket-logging-enabled", "NON_COMPLIANT", "COMPLIANT"))).to.equal(true);
            expect(matches(pattern, complianceEvent("hdr-dev-lambda-inside-vpc", "NON_COMPLIANT"))).to.equal(true);
        });

        it("does not repeat a resource that stays non-compliant, nor report recoveries", () => {
            expect(matches(pattern, complianceEvent("hdr-dev-lambda-inside-vpc", "NON_COMPLIANT", "NON_COMPLIANT"))).to.equal(false);
            expect(matches(pattern, complianceEvent("hdr-dev-lambda-inside-vpc", "COMPLIANT", "NON_COMPLIANT"))).to.equal(false);
        });

        it("ignores the rules of other stacks and of the account", () => {
            expect(matches(pattern, complianceEvent("hdr-prod-lambda-inside-vpc", "NON_COMPLIANT"))).to.equal(false);
            expect(matches(pattern, complianceEvent("org-lambda-inside-vpc", "NON_COMPLIANT"))).to.equal(false);
        });

        it("sends one line naming the rule, the resource, the region and the runbook section", () => {
            const { inputPaths, inputTemplate } = complianceChangeMessage("Runbook: docs/runbook.md#x");
            for (const key of ["rule", "resourceType", "resourceId", "region"]) {
                expect(inputTemplate).to.include(`<${key}>`);
                expect(inputPaths[key]).to.match(/^\$\./);
            }
            expect(JSON.parse(inputTemplate)).to.include("docs/runbook.md#x");
        });
    });

    describe("permissions", () => {
        const bucketArn = "arn:aws:s3:::hdr-dev-config-eu-west-2-abc";
        const keyArn = "arn:aws:kms:eu-west-2:123456789012:key/k";

        it("lets the recorder's role write only under the account's Config prefix, read the bucket ACL and use the region's key", () => {
            const doc = configDeliveryRolePolicy({ bucketArn, accountId: ACCOUNT, keyArn });
            for (const s of doc.Statement) {
                expect(actionsOf(s).some(isWildcardAction), s.Sid).to.equal(false);
                expect(s.Resource).to.not.equal("*");
            }
            const put = doc.Statement.find((s) => s.Sid === "DeliverConfigurationItems")!;
            expect(put.Resource).to.equal(`${bucketArn}/AWSLogs/${ACCOUNT}/Config/*`);
        });

        it("admits AWS Config to the delivery bucket for this account only, over TLS", () => {
            const doc = configBucketPolicy({ bucketArn, accountId: ACCOUNT });
            const allows = doc.Statement.filter((s) => s.Effect === "Allow");
            expect(allows.map((s) => s.Sid).sort()).to.deep.equal(["AWSConfigBucketDelivery", "AWSConfigBucketPermissionsCheck"]);
            for (const s of allows) {
                expect(JSON.stringify(s.Condition)).to.include(ACCOUNT);
            }
            expect(doc.Statement.some((s) => s.Sid === "DenyInsecureTransport")).to.equal(true);
        });
    });
});

const byComponent = (run: ProgramRun, type: string, role: string): PlannedResource[] =>
    resourcesOfType(run, type).filter((r) => r.urn.includes("healthcare:dr:RuntimeCompliance") && r.name.startsWith(`${role}-compliance`));
const one = (resources: PlannedResource[], what: string): PlannedResource => {
    expect(resources, what).to.have.length(1);
    return resources[0]!;
};

for (const stack of STACKS) {
    describe(`RuntimeCompliance, mode create (stack ${stack})`, () => {
        for (const role of ["primary", "dr"] as const) {
            it(`${role}: records this stack's resource types, the IAM types in the primary region only`, async () => {
                const run = await planStack(stack);
                const recorder = one(byComponent(run, T.recorder, role), "recorder");
                const region = role === "primary" ? run.config.primaryRegion : run.config.drRegion;
                // The name scripts/check-account.sh recognises as the stack's own on a redeploy.
                expect(recorder.inputs["name"]).to.equal(`hdr-${stack}-config-${region}`);
                const group = recorder.inputs["recordingGroup"] as { resourceTypes: string[]; allSupported: boolean };
                expect(group.allSupported).to.equal(false);
                expect(group.resourceTypes).to.include.members(["AWS::RDS::DBCluster", "AWS::S3::Bucket", "AWS::KMS::Key"]);
                expect(group.resourceTypes.includes("AWS::IAM::Role")).to.equal(role === "primary");
                const attachments = byComponent(run, T.attachment, role);
                expect(attachments.map((a) => a.inputs["policyArn"])).to.deep.equal([
                    "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole",
                ]);
            });

            it(`${role}: delivers to a versioned, private, access-logged bucket without Object Lock, encrypted with the region's key`, async () => {
                const run = await planStack(stack);
                const region = role === "primary" ? run.config.primaryRegion : run.config.drRegion;
                const keyArn = one(resourcesOfType(run, T.key, region), "key").state["arn"];
                const channel = one(byComponent(run, T.channel, role), "channel");
                expect(channel.inputs["s3KmsKeyArn"]).to.equal(keyArn);
                const bucket = one(byComponent(run, T.bucket, role), "bucket");
                expect(channel.inputs["s3BucketName"]).to.equal(bucket.state["bucket"]);
                const sse = one(byComponent(run, T.sse, role), "encryption");
                expect(JSON.stringify(sse.inputs)).to.include(String(keyArn));
                expect(byComponent(run, T.versioning, role)).to.have.length(1);
                expect(byComponent(run, T.publicAccess, role)).to.have.length(1);
                expect(byComponent(run, T.logging, role)).to.have.length(1);
                expect(byComponent(run, T.objectLock, role)).to.have.length(0);
                expect(bucket.options.protect).to.equal(run.config.protect);
            });

            it(`${role}: starts recording after the channel, and deploys the pack (its VPC the one allowed a gateway) and rules after that`, async () => {
                const run = await planStack(stack);
                const region = role === "primary" ? run.config.primaryRegion : run.config.drRegion;
                const channel = one(byComponent(run, T.channel, role), "channel");
                const status = one(byComponent(run, T.status, role), "status");
                expect(status.inputs["isEnabled"]).to.equal(true);
                expect(status.options.dependsOn).to.include(channel.urn);
                expect(channel.options.dependsOn).to.include(one(byComponent(run, T.recorder, role), "recorder").urn);
                const pack = one(byComponent(run, T.pack, role), "pack");
                expect(pack.inputs["name"]).to.equal(conformancePackName(stack));
                expect(pack.options.dependsOn).to.include(status.urn);
                const vpc = one(resourcesOfType(run, "aws:ec2/vpc:Vpc", region), "vpc");
                expect(pack.inputs["inputParameters"]).to.deep.include({
                    parameterName: "InternetGatewayAuthorizedVpcOnlyParamAuthorizedVpcIds",
                    parameterValue: vpc.id,
                });
                for (const rule of byComponent(run, T.rule, role)) {
                    expect(rule.options.dependsOn, rule.name).to.include(status.urn);
                }
            });

            it(`${role}: deploys the rules beside the pack, named for the stack, deletion protection only where protected`, async () => {
                const run = await planStack(stack);
                const names = byComponent(run, T.rule, role).map((r) => r.inputs["name"] as string);
                const expected = [...MANAGED_RULE_CATALOGUE, ...GUARD_RULES]
                    .map((r) => r.name)
                    .filter((n) => run.config.protect || !DELETION_PROTECTION_RULES.includes(n))
                    .map((n) => deployedRuleName(stack, n));
                expect(names.sort()).to.deep.equal(expected.sort());
            });

            it(`${role}: routes NON_COMPLIANT transitions of the stack's rules to the region's alert topic`, async () => {
                const run = await planStack(stack);
                const region = role === "primary" ? run.config.primaryRegion : run.config.drRegion;
                const rule = one(byComponent(run, T.eventRule, role), "event rule");
                expect(rule.inputs["eventPattern"]).to.equal(complianceChangePattern(stack));
                expect(rule.inputs["description"]).to.include("docs/runbook.md#aws-config-rule-non-compliant");
                const target = one(byComponent(run, T.target, role), "target");
                expect(target.inputs["arn"]).to.equal(one(resourcesOfType(run, T.topic, region), "topic").state["arn"]);
                expect(target.inputs["inputTransformer"]).to.not.equal(undefined);
            });
        }
    });
}

describe("RuntimeCompliance, modes existing and off (stack dev)", function () {
    this.timeout(120_000);
    const withMode = (mode: string) =>
        runProgram({
            stack: "dev",
            rawConfig: { ...readStackFile(stackFilePath("dev")), "healthcare-dr:compliance": JSON.stringify({ awsConfig: mode }) },
        });
    let existing: ProgramRun;
    let off: ProgramRun;
    before(async () => {
        existing = await withMode("existing");
        off = await withMode("off");
    });

    it("existing: declares no recorder, channel or delivery bucket, only the pack, the rules and the alert routing", () => {
        for (const type of [T.recorder, T.channel, T.status]) {
            expect(resourcesOfType(existing, type), type).to.have.length(0);
        }
        expect(resourcesOfType(existing, T.bucket).filter((b) => b.name.includes("compliance"))).to.have.length(0);
        expect(resourcesOfType(existing, T.pack)).to.have.length(2);
        // Nothing of AWS Config to wait for: the account's recorder is outside the stack.
        expect(resourcesOfType(existing, T.pack)[0]!.options.dependsOn.filter((urn) => urn.includes("aws:cfg/"))).to.deep.equal([]);
        expect(resourcesOfType(existing, T.rule).length).to.be.greaterThan(0);
        expect(resourcesOfType(existing, T.eventRule).filter((r) => r.name.endsWith("compliance-non-compliant"))).to.have.length(2);
        expect(existing.outputs["compliance"]).to.deep.include({ awsConfig: "existing" });
    });

    it("off: declares nothing of AWS Config", () => {
        expect(off.resources.filter((r) => r.type.startsWith("aws:cfg/") || r.urn.includes("RuntimeCompliance"))).to.deep.equal([]);
        expect(off.outputs["compliance"]).to.deep.equal({ awsConfig: "off" });
    });
});

describe("scripts/check-account.sh: the AWS Config collision check before pulumi up", () => {
    const root = path.resolve(__dirname, "..");

    /**
     * Runs the script for `stack` (a copy of its stack file with `compliance`) with a fake `aws`: STS reports the
     * stack's account; each region's recorders and channels are `recorders[region]` (a name, empty, or `fail`).
     */
    function check(compliance: string | undefined, recorders: Readonly<Record<string, string>>) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-config-"));
        fs.mkdirSync(path.join(dir, "scripts"));
        fs.copyFileSync(path.join(root, "scripts", "check-account.sh"), path.join(dir, "scripts", "check-account.sh"));
        const text = fs
            .readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")
            .replace(/^ {2}healthcare-dr:compliance:\n {4}awsConfig: \w+\n/m, "");
        expect(text).to.not.include("healthcare-dr:compliance:");
        const withMode =
            compliance === undefined
                ? text
                : text.replace(/^config:\n/m, `config:\n  healthcare-dr:compliance:\n    awsConfig: ${compliance}\n`);
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), withMode);
        const cases = Object.entries(recorders)
            .map(([region, name]) => `*${region}*) ${name === "fail" ? "echo unreachable >&2; exit 254" : `echo "${name || "None"}"`} ;;`)
            .join("\n  ");
        const fake = `#!/bin/sh\n[ "$1" = sts ] && { echo ${ACCOUNT}; exit 0; }\ncase "$*" in\n  ${cases}\n  *) echo None ;;\nesac\n`;
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "aws"), fake, { mode: 0o755 });
        const result = spawnSync("bash", [path.join(dir, "scripts", "check-account.sh"), "dev"], {
            encoding: "utf8",
            env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env["PATH"] ?? ""}` },
        });
        fs.rmSync(dir, { recursive: true });
        return result;
    }

    it("fails when a region already has another recorder, naming the key and the way out", () => {
        const result = check("create", { "eu-west-1": "default" });
        expect(result.status).to.equal(1);
        expect(result.stderr).to.match(
            /eu-west-1 .*named default.*set healthcare-dr:compliance\.awsConfig to existing in Pulumi\.dev\.yaml/,
        );
    });

    it("treats create as the default when the stack file does not set it", () => {
        expect(check(undefined, { "eu-west-2": "org-recorder" }).status).to.equal(1);
    });

    it("passes when neither region records yet, or only the stack's own recorders exist (a redeploy)", () => {
        expect(check("create", {}).status).to.equal(0);
        expect(check("create", { "eu-west-2": "hdr-dev-config-eu-west-2", "eu-west-1": "hdr-dev-config-eu-west-1" }).status).to.equal(0);
    });

    it("does not look when the stack creates no recorder (existing, off)", () => {
        for (const mode of ["existing", "off"]) {
            const result = check(mode, { "eu-west-2": "default" });
            expect(result.status, mode).to.equal(0);
            expect(result.stdout).to.include(`awsConfig is ${mode}`);
        }
    });

    it("carries on when a region cannot be reached (a deploy during its outage), saying it did not check it", () => {
        const result = check("create", { "eu-west-1": "fail" });
        expect(result.status).to.equal(0);
        expect(result.stderr).to.match(/eu-west-1 could not be listed; not checked/);
    });
});
