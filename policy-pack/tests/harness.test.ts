/**
 * The harness builds validation arguments as the engine does, and resolves the pack config as the CLI does.
 */
import { expect } from "chai";
import type { ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import {
    deniesInsecureTransport,
    isWildcardAction,
    leastPrivilegeProblems,
    parsePolicyDocument,
    publicAllowStatements,
} from "../policies/lib/documents";
import { resourcePolicy, stackPolicy, type PackPolicy } from "../policies/lib/policy";
import { entries, isOnByDefault, isSet, isTrue, isUnknown, list, num, objectOf, plain, str, strings } from "../policies/lib/values";
import { UNKNOWN } from "../../tests/harness/mocks";
import { recoveryObjectives } from "../policies/objectives";
import { T } from "../policies/lib/types";
import { analyze, resolvePackConfig } from "../testing/harness";
import { configOfRequest, packConfigProblems, recordedPackConfig, recordPackConfig, withConfigureRecorded } from "../policies/packConfig";
import { PRIMARY_PROVIDER, asFirstPreview, messagesOf, policyNamed, res } from "../testing/builders";

const meta = { concern: "audit", hipaa: ["164.312(b)"], checks: "test", resourceTypes: [T.snsTopic] } as const;

describe("policy harness", () => {
    it("gives a resource policy the inputs, provider props, options, stack tags and config defaults", async () => {
        let seen: ResourceValidationArgs | undefined;
        const probe = resourcePolicy({
            name: "probe",
            description: "d",
            configSchema: { properties: { limit: { type: "integer", default: 7 } } },
            metadata: meta,
            validate: (args) => {
                seen = args;
            },
        });
        const topic = res(T.snsTopic, "t", { kmsMasterKeyId: "k" }, { options: { protect: true, ignoreChanges: ["tags"] } });
        await analyze([PRIMARY_PROVIDER, topic], { policies: [probe], stackTags: new Map([["pulumi:project", "p"]]) });
        expect(seen?.props).to.deep.equal({ kmsMasterKeyId: "k" });
        expect(seen?.provider?.props["region"]).to.equal("eu-west-2");
        expect(seen?.opts.protect).to.equal(true);
        expect(seen?.opts.ignoreChanges).to.deep.equal(["tags"]);
        expect(seen?.stackTags.get("pulumi:project")).to.equal("p");
        expect(seen?.getConfig<{ limit: number }>()).to.deep.equal({ limit: 7 });
        expect(seen?.isType({ __pulumiType: T.snsTopic } as unknown as new () => never)).to.equal(true);
    });

    it("turns a policy that reads an unknown value into an advisory can't-run note, as the analyzer server does", async () => {
        // A policy object built by hand, without the pack's helpers: it reads props as the SDK hands them over.
        const raw: PackPolicy = {
            name: "raw",
            description: "d",
            enforcementLevel: "mandatory",
            metadata: meta,
            validateResource: (args, report) => {
                if (args.type === T.snsTopic && args.props["kmsMasterKeyId"] === undefined) report("no key");
            },
        };
        const unknownKey = res(T.snsTopic, "t", { kmsMasterKeyId: UNKNOWN });
        const result = await analyze([PRIMARY_PROVIDER, unknownKey], { policies: [raw] });
        expect(result.violations).to.deep.equal([]);
        expect(result.cantRun).to.have.length(1);
        expect(result.cantRun[0]).to.include({ policyName: "raw", enforcementLevel: "mandatory", resourceName: "t" });
        expect(result.cantRun[0]!.message).to.equal(
            "can't run policy 'raw' during preview: string value at .kmsMasterKeyId can't be known during preview",
        );
    });

    it("lets the pack's policies see an unknown value instead of being stopped by it", async () => {
        let seen: unknown;
        const probe = resourcePolicy({
            name: "probe",
            description: "d",
            metadata: meta,
            validate: ({ props }) => void (seen = props["kmsMasterKeyId"]),
        });
        const result = await analyze([PRIMARY_PROVIDER, res(T.snsTopic, "t", { kmsMasterKeyId: UNKNOWN })], { policies: [probe] });
        expect(result.cantRun).to.deep.equal([]);
        expect(isUnknown(seen)).to.equal(true);
        expect(str(seen)).to.equal(undefined);
    });

    it("gives a stack policy outputs and resolves property dependencies to resources", async () => {
        let seen: StackValidationArgs | undefined;
        const probe = stackPolicy({ name: "probe", description: "d", metadata: meta, validate: (args) => void (seen = args) });
        const vpc = res(T.vpc, "v", {}, { outputs: { id: "vpc-1" } });
        const flow = res(T.flowLog, "f", { vpcId: "vpc-1" }, { propertyDependencies: { vpcId: [vpc.urn] }, dependencies: [vpc.urn] });
        await analyze([vpc, flow], { policies: [probe] });
        const f = seen?.resources.find((r) => r.name === "f");
        expect(seen?.resources.find((r) => r.name === "v")?.props["id"]).to.equal("vpc-1");
        expect(f?.propertyDependencies["vpcId"]?.[0]?.name).to.equal("v");
        expect(f?.dependencies.map((d) => d.name)).to.deep.equal(["v"]);
    });

    it("applies schema defaults, per-policy and `all` enforcement levels, as the CLI does", () => {
        const resolved = resolvePackConfig([policyNamed("log-retention-minimum"), policyNamed("kms-key-rotation")], {
            all: "advisory",
            "log-retention-minimum": { enforcementLevel: "mandatory", minimumDays: 365 },
        });
        expect(resolved.get("log-retention-minimum")).to.deep.equal({ enforcementLevel: "mandatory", config: { minimumDays: 365 } });
        expect(resolved.get("kms-key-rotation")?.enforcementLevel).to.equal("advisory");
    });

    it("rejects a value of the wrong type and an unknown level, as the engine does", () => {
        const list = [policyNamed("log-retention-minimum")];
        expect(() => resolvePackConfig(list, { "log-retention-minimum": { minimumDays: "1" } })).to.throw(/must be of type integer/);
        expect(() => resolvePackConfig(list, { "log-retention-minimum": "blocking" })).to.throw(/allowed: advisory, mandatory/);
        expect(() => resolvePackConfig(list, { "log-retention": "blocking" })).to.throw(/log-retention.enforcementLevel/);
    });

    it("passes on an unknown policy name and an unknown setting, as the engine does (the pack's own policy reports them)", () => {
        const list = [policyNamed("log-retention-minimum")];
        expect(resolvePackConfig(list, { "log-retention": {} }).has("log-retention")).to.equal(false);
        expect(resolvePackConfig(list, { "log-retention-minimum": { days: 1 } }).get("log-retention-minimum")?.config).to.deep.equal({
            days: 1,
            minimumDays: 30,
        });
    });

    it("skips disabled policies and reports policies that do not apply", async () => {
        const result = await analyze([res(T.kmsKey, "k", {})], {
            policies: [policyNamed("kms-key-rotation"), policyNamed("rds-log-exports")],
            packConfig: { "kms-key-rotation": "disabled" },
        });
        expect(result.violations).to.deep.equal([]);
        expect(result.evaluations).to.deep.include({
            policyName: "rds-log-exports",
            urn: "urn:pulumi:prod::healthcare-dr::aws:kms/key:Key::k",
            applicable: false,
            reason: `Policy only applies to resources of type ${T.rdsCluster}, ${T.rdsInstance}`,
        });
    });
});

describe("policy documents", () => {
    const table: [string, unknown, boolean][] = [
        ["JSON text", '{"Statement":{"Effect":"Allow","Action":"s3:GetObject"}}', true],
        ["an object", { Statement: [{ Effect: "Deny", Action: ["s3:*"] }] }, true],
        ["invalid JSON", "{", false],
        ["a bad Effect", { Statement: [{ Effect: "Maybe" }] }, false],
    ];
    for (const [title, doc, ok] of table) {
        it(`parses ${title}: ${ok ? "ok" : "error"}`, () => expect(parsePolicyDocument(doc).ok).to.equal(ok));
    }

    const wildcards: [string, boolean][] = [
        ["*", true],
        ["s3:*", true],
        ["s3:Get*", false],
        ["s3:GetObject", false],
    ];
    for (const [action, expected] of wildcards) {
        it(`isWildcardAction(${action}) is ${expected}`, () => expect(isWildcardAction(action)).to.equal(expected));
    }

    it("flags wildcard Allow and NotAction, not wildcard Deny", () => {
        const parsed = parsePolicyDocument({
            Statement: [
                { Effect: "Deny", Action: "*" },
                { Sid: "A", Effect: "Allow", Action: "kms:*" },
                { Effect: "Allow", NotAction: "iam:*" },
            ],
        });
        expect(parsed.ok && leastPrivilegeProblems(parsed.statements)).to.deep.equal([
            'statement "A" allows the wildcard action "kms:*"; list the actions it needs',
            "Statement[2] allows every action except its NotAction list; use Action with the actions it needs",
        ]);
    });

    it("recognises the TLS-only deny with a boolean or string condition", () => {
        for (const value of ["false", false, ["false"]]) {
            const parsed = parsePolicyDocument({
                Statement: [
                    { Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": value } } },
                ],
            });
            expect(parsed.ok && deniesInsecureTransport(parsed.statements)).to.equal(true);
        }
    });

    it("treats Principal * limited by aws:SourceArn as not public", () => {
        const parsed = parsePolicyDocument({
            Statement: [{ Effect: "Allow", Principal: "*", Action: "sns:Publish", Condition: { ArnLike: { "aws:SourceArn": "arn:x" } } }],
        });
        expect(parsed.ok && publicAllowStatements(parsed.statements)).to.deep.equal([]);
    });
});

describe("recovery-objectives-met (hand-built stack outputs)", () => {
    const stack = (outputs: Record<string, unknown>) => ({
        urn: "urn:pulumi:prod::healthcare-dr::pulumi:pulumi:Stack::healthcare-dr-prod",
        type: "pulumi:pulumi:Stack",
        name: "s",
        inputs: {},
        outputs,
    });
    const objectives = { rtoSeconds: 1800, rpoSeconds: 300 };
    const run = (outputs: Record<string, unknown>, config?: Record<string, unknown>) =>
        messagesOf(recoveryObjectives.name, [stack(outputs)], config);

    it("passes a budget within the objectives", async () =>
        expect(await run({ objectives, recoveryBudget: { rtoSeconds: 900, rpoSeconds: 60 } })).to.deep.equal([]));
    it("catches a stack that exports no budget", async () => expect(await run({ objectives })).to.match(/exports no recoveryBudget/));
    it("is not applicable to a program without a budget when requireBudget is off", async () =>
        expect(await run({ objectives }, { "recovery-objectives-met": { requireBudget: false } })).to.deep.equal([]));
    it("catches a recovery time over the RTO", async () =>
        expect((await run({ objectives, recoveryBudget: { rtoSeconds: 2400, rpoSeconds: 60 } }))[0]).to.match(
            /recovery time \(2400 s\) exceeds the RTO objective \(1800 s\)/,
        ));
    it("catches data loss over the RPO", async () =>
        expect((await run({ objectives, recoveryBudget: { rtoSeconds: 60, rpoSeconds: 600 } }))[0]).to.match(
            /data loss \(600 s\) exceeds the RPO objective \(300 s\)/,
        ));
    it("catches objectives over the configured ceiling", async () =>
        expect(
            (
                await run(
                    { objectives, recoveryBudget: { rtoSeconds: 60, rpoSeconds: 60 } },
                    { "recovery-objectives-met": { maxRtoSeconds: 900 } },
                )
            )[0],
        ).to.match(/RTO objective \(1800 s\) exceeds the ceiling of 900 s/));
    it("catches a stack without objectives", async () => expect((await run({}))[0]).to.match(/exports no objectives/));

    // The database term of a budget without database.maxReplicationLagSeconds: nothing bounds the lag.
    const unbounded = { rtoSeconds: 900, rpoSeconds: null, rpoBounded: false, rpo: { databaseSeconds: null, objectStorageSeconds: 300 } };
    it("passes a data loss that is not bounded outside the protected environments, by the stack's environment output", async () =>
        expect(await run({ environment: "dev", objectives, recoveryBudget: unbounded })).to.deep.equal([]));
    it("catches a data loss that is not bounded in a protected environment, naming the key that bounds it", async () => {
        const messages = await run({ environment: "prod", objectives, recoveryBudget: unbounded });
        expect(messages).to.have.length(1);
        expect(messages[0]).to.match(/data loss is not bounded.*Set healthcare-dr:database\.maxReplicationLagSeconds .* at most 300 s/);
    });
    it("takes the environment from the stack name when the stack exports none", async () =>
        expect(await run({ objectives, recoveryBudget: unbounded })).to.have.length(1));
    it("reads the protected environments from its config", async () =>
        expect(
            await run(
                { environment: "prod", objectives, recoveryBudget: unbounded },
                { "recovery-objectives-met": { protectedEnvironments: ["staging"] } },
            ),
        ).to.deep.equal([]));
    it("still catches the bounded terms of a data loss that is not bounded", async () =>
        expect(
            await run({
                environment: "dev",
                objectives,
                recoveryBudget: { ...unbounded, rpo: { databaseSeconds: null, objectStorageSeconds: 900 } },
            }),
        ).to.match(/data loss \(900 s\) exceeds the RPO objective \(300 s\)/));

    // activeRegion = drRegion: a data set without reverse replication never copies the DR region's writes home.
    const unreplicated = {
        rtoSeconds: 900,
        rpoSeconds: null,
        rpoBounded: false,
        rpo: { databaseSeconds: 120, objectStorageSeconds: null, unreplicatedDataSets: ["clinical-documents"] },
    };
    it("catches, in a protected environment, a data set not replicated towards the failover target, naming it", async () => {
        const messages = await run({ environment: "prod", objectives, recoveryBudget: unreplicated });
        expect(messages).to.have.length(1);
        expect(messages[0]).to.match(/clinical-documents are not replicated towards the failover target.*reverseReplication/);
    });
    it("passes the same budget outside the protected environments, still comparing the database's bound", async () => {
        expect(await run({ environment: "dev", objectives, recoveryBudget: unreplicated })).to.deep.equal([]);
        expect(
            await run({
                environment: "dev",
                objectives,
                recoveryBudget: { ...unreplicated, rpo: { ...unreplicated.rpo, databaseSeconds: 600 } },
            }),
        ).to.match(/data loss \(600 s\) exceeds the RPO objective \(300 s\)/);
    });
});

describe("the pack config the engine configures the analyzer with", () => {
    /** An analyzer `Configure` request as @grpc/grpc-js hands it to the handler: a protobuf map of policy configs. */
    const request = (config: Record<string, Record<string, unknown>>) => ({
        getPolicyconfigMap: () =>
            new Map(Object.entries(config).map(([k, v]) => [k, { getProperties: () => ({ toJavaScript: () => v }) }])),
    });

    afterEach(() => recordPackConfig(undefined));

    it("reads every entry of a Configure request, unknown policy names included", () => {
        expect(configOfRequest(request({ "data-residancy": { allowedRegions: ["x"] }, all: {} }))).to.deep.equal({
            "data-residancy": { allowedRegions: ["x"] },
            all: {},
        });
    });

    it("records the config when the analyzer's configure handler runs, then lets the SDK's handler run", () => {
        const calls: unknown[] = [];
        const implementation = withConfigureRecorded({ configure: (call: unknown) => calls.push(call), analyze: () => undefined });
        const call = { request: request({ "data-residency": { allowedRegion: ["us-east-1"] } }) };
        (implementation.configure as (c: unknown, cb: unknown) => void)(call, undefined);
        expect(calls).to.deep.equal([call]);
        expect(recordedPackConfig()).to.deep.equal({ "data-residency": { allowedRegion: ["us-east-1"] } });
    });

    it("names every unknown key with the allowed ones", () => {
        const problems = packConfigProblems([policyNamed("log-retention-minimum")], {
            "log-retention-minimum": { enforcementLevel: "mandatory", minimumDay: 365 },
            "log-retention": {},
        });
        expect(problems).to.have.length(2);
        expect(problems[0]).to.match(
            /"log-retention-minimum.minimumDay".*did you mean "minimumDays".*allowed: enforcementLevel, minimumDays/,
        );
        expect(problems[1]).to.match(/"log-retention", which is no policy of this pack.*allowed: all, log-retention-minimum/);
    });
});

describe("reading values unknown at preview", () => {
    it("treats an unknown value as absent in every reader, so an undecided policy fails closed", () => {
        expect([str(UNKNOWN), num(UNKNOWN), isTrue(UNKNOWN), objectOf(UNKNOWN)]).to.deep.equal([undefined, undefined, false, undefined]);
        expect([list(UNKNOWN), strings(["a", UNKNOWN])]).to.deep.equal([[], ["a"]]);
    });

    it("counts a value unknown at preview as set, and an unknown list as one entry, where a policy asks whether it is set", () => {
        expect([isSet(UNKNOWN), isSet(""), isSet(undefined), isSet("arn:x")]).to.deep.equal([true, false, false, true]);
        expect([entries([UNKNOWN, ""]), entries(UNKNOWN), entries([])]).to.deep.equal([[UNKNOWN], [UNKNOWN], []]);
    });

    it("does not take an unknown flag for one that is on by default", () => {
        expect([undefined, true, "true", false, "false", UNKNOWN].map(isOnByDefault)).to.deep.equal([
            true,
            true,
            true,
            false,
            false,
            false,
        ]);
    });

    it("reads the plain values behind the SDK's unknown-checking proxy without tripping it", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's own proxy, as the analyzer applies it
        const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(v: T): T };
        const proxied = unknownCheckingProxy({ a: UNKNOWN, b: [{ c: UNKNOWN }], d: "x" });
        expect(() => proxied.a).to.throw(/can't be known during preview/);
        expect(plain(proxied)).to.deep.equal({ a: UNKNOWN, b: [{ c: UNKNOWN }], d: "x" });
    });

    it("parses a document unknown at preview, or with unknown principals or actions, as unknown; unknown resources are fine", () => {
        const doc = (statement: Record<string, unknown>) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...statement }] });
        expect(parsePolicyDocument(UNKNOWN)).to.include({ ok: false, unknown: true });
        expect(parsePolicyDocument(doc({ Principal: { AWS: UNKNOWN }, Action: "s3:GetObject" }))).to.include({ unknown: true });
        expect(parsePolicyDocument(doc({ Principal: "*", Action: [UNKNOWN] }))).to.include({ unknown: true });
        expect(parsePolicyDocument(doc({ Principal: "*", Action: "s3:GetObject", Resource: UNKNOWN })).ok).to.equal(true);
    });
});

describe("hand-built resources as a first preview shows them", () => {
    it("makes computed outputs unknown, and inputs taken from them unknown with the dependency recorded", () => {
        const topic = res(T.snsTopic, "t", { kmsMasterKeyId: "k" }, { outputs: { arn: "arn:aws:sns:eu-west-2:1:t-1234567" } });
        const policy = res(T.snsTopicPolicy, "p", {
            arn: "arn:aws:sns:eu-west-2:1:t-1234567",
            policy: JSON.stringify({ Statement: [{ Resource: "arn:aws:sns:eu-west-2:1:t-1234567" }] }),
            note: "kept",
        });
        const [t, p] = asFirstPreview([topic, policy]);
        expect(t!.inputs).to.deep.equal({ kmsMasterKeyId: "k" });
        expect(t!.outputs).to.deep.equal({ kmsMasterKeyId: "k", arn: UNKNOWN });
        expect(p!.inputs).to.deep.equal({ arn: UNKNOWN, policy: UNKNOWN, note: "kept" });
        expect(p!.propertyDependencies).to.deep.equal({ arn: [topic.urn], policy: [topic.urn] });
    });
});
