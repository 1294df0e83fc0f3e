/**
 * Static stability: the stack stays operable while either region is down. The program makes no invoke, its
 * providers make no call on configure, and a change that touches only the reachable region plans and applies
 * without a call to the unreachable one (tests/harness/regionDown.ts says how the engine is simulated).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { availabilityZoneProblems } from "../config/schema";
import { defaultAvailabilityZones, isZoneOf, partitionOf } from "../lib/regions";
import { AwsMocks, ARN_NEEDS_ACCOUNT_ID, NO_NETWORK_ON_CONFIGURE, UnreachableRegionError } from "./harness/mocks";
import { PROJECT_ROOT, readStackFile, stackFilePath } from "./harness/program";
import { changesByRegion, planRegionDown, RegionDownUsageError } from "./harness/regionDown";
import { planStack, resourcesOfType, STACKS } from "./harness/stacks";

const REGIONS = ["eu-west-2", "eu-west-1"] as const;

/** The stack file of `stack` with one nested key changed, as `pulumi config set --path` would. */
function withSetting(stack: string, key: string, patch: Record<string, unknown>): Record<string, string> {
    const raw = readStackFile(stackFilePath(stack));
    const current = JSON.parse(raw[`healthcare-dr:${key}`] ?? "{}") as Record<string, unknown>;
    return { ...raw, [`healthcare-dr:${key}`]: JSON.stringify({ ...current, ...patch }) };
}

describe("static stability (a region down)", function () {
    this.timeout(60_000);

    for (const stack of STACKS) {
        it(`${stack}: the program makes no invoke, so no lookup can reach a region that is down`, async () => {
            const run = await planStack(stack);
            expect(run.invokes).to.deep.equal([]);
        });

        it(`${stack}: every AWS provider configures without a network call`, async () => {
            const run = await planStack(stack);
            const providers = resourcesOfType(run, "pulumi:providers:aws");
            expect(providers.map((p) => p.name).sort()).to.deep.equal(["dr", "global", "primary"]);
            for (const provider of providers) {
                for (const flag of NO_NETWORK_ON_CONFIGURE) {
                    expect(provider.inputs[flag], `${provider.name}.${flag}`).to.be.oneOf([true, "true"]);
                }
            }
        });

        it(`${stack}: no input holds an ARN the provider writes without the account id (skipRequestingAccountId)`, async () => {
            const run = await planStack(stack);
            const blank = run.resources
                .filter((r) => ARN_NEEDS_ACCOUNT_ID.includes(r.type))
                .map((r) => r.state["arn"] as string)
                .filter((arn) => /^arn:aws:[^:]+:[^:]*::/.test(arn));
            expect(blank, "the mocks blank these ARNs as the provider does").to.not.be.empty;
            const everything = JSON.stringify(run.resources.map((r) => r.inputs));
            for (const arn of blank) {
                expect(everything).to.not.include(arn);
            }
        });

        for (const region of REGIONS) {
            it(`${stack}: plans with ${region} unreachable and changes nothing there`, async () => {
                const plan = await planRegionDown({ stack, region, deployed: await planStack(stack) });
                const counts = changesByRegion(plan.changes);
                expect(counts[region]).to.deep.include({ create: 0, update: 0, delete: 0 });
                expect(plan.untouched).to.have.length(counts[region]!.same).and.not.be.empty;
                expect(plan.run.invokes).to.deep.equal([]);
            });
        }
    }

    it("applies a change to the DR region only while the primary region is down", async () => {
        const plan = await planRegionDown({
            stack: "prod",
            region: "eu-west-2",
            rawConfig: withSetting("prod", "database", { drInstances: 2 }),
            baselineRawConfig: readStackFile(stackFilePath("prod")),
            deployed: await planStack("prod"),
        });
        const counts = changesByRegion(plan.changes);
        expect(counts["eu-west-2"]).to.deep.include({ create: 0, update: 0, delete: 0 });
        const created = plan.changes.filter((c) => c.kind === "create");
        expect(created.map((c) => c.type)).to.include("aws:rds/clusterInstance:ClusterInstance");
        expect(created.every((c) => c.region === "eu-west-1")).to.equal(true);
    });

    it("fails, naming the resource, a change that needs the unreachable region's API", async () => {
        let error: unknown;
        try {
            await planRegionDown({
                stack: "dev",
                region: "eu-west-2",
                rawConfig: withSetting("dev", "database", { maxCapacity: 8 }),
                baselineRawConfig: readStackFile(stackFilePath("dev")),
                deployed: await planStack("dev"),
            });
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(UnreachableRegionError);
        expect((error as Error).message).to.match(/aws:rds\/\w+:\w+ \(update [\w-]+\).*eu-west-2\.amazonaws\.com: i\/o timeout/);
    });

    it("refuses a region the stack does not use", async () => {
        let error: unknown;
        try {
            await planRegionDown({ stack: "dev", region: "eu-central-1", deployed: await planStack("dev") });
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(RegionDownUsageError);
        expect((error as Error).message).to.match(/uses eu-west-2, eu-west-1, us-east-1/);
    });

    it("refuses a budget without an explicit account when the provider does not request it, as the provider would", () => {
        const mocks = new AwsMocks();
        const stable = Object.fromEntries(NO_NETWORK_ON_CONFIGURE.map((f) => [f, true]));
        mocks.newResource({ type: "pulumi:providers:aws", name: "primary", inputs: { region: "eu-west-2", ...stable } });
        const provider = "urn:pulumi:test::healthcare-dr::pulumi:providers:aws::primary::primary-provider-id";
        const budget = (inputs: Record<string, unknown>) => () =>
            mocks.newResource({ type: "aws:budgets/budget:Budget", name: "b", inputs, provider, custom: true });
        expect(budget({})).to.throw(/accountId is empty \(the provider has skipRequestingAccountId\)/);
        expect(budget({ accountId: "123456789012" })).to.not.throw();
    });

    describe("the unreachable-region mocks", () => {
        const provider = "urn:pulumi:test::healthcare-dr::pulumi:providers:aws::primary::primary-provider-id";
        const stable = Object.fromEntries(NO_NETWORK_ON_CONFIGURE.map((f) => [f, true]));

        it("fail a provider that would call STS on configure", () => {
            const mocks = new AwsMocks({ unreachableRegions: ["eu-west-2"] });
            expect(() => mocks.newResource({ type: "pulumi:providers:aws", name: "primary", inputs: { region: "eu-west-2" } })).to.throw(
                UnreachableRegionError,
                /configure provider primary \(set skipCredentialsValidation, skipRegionValidation, skipRequestingAccountId\)/,
            );
        });

        it("fail every invoke through the region's provider", () => {
            const mocks = new AwsMocks({ unreachableRegions: ["eu-west-2"] });
            mocks.newResource({ type: "pulumi:providers:aws", name: "primary", inputs: { region: "eu-west-2", ...stable } });
            expect(() => mocks.call({ token: "aws:index/getCallerIdentity:getCallerIdentity", inputs: {}, provider })).to.throw(
                /sts\.eu-west-2\.amazonaws\.com|index\.eu-west-2/,
            );
            expect(mocks.invokes).to.deep.equal([{ token: "aws:index/getCallerIdentity:getCallerIdentity", region: "eu-west-2" }]);
        });

        it("keep an unchanged resource's deployed state and fail a create or an update", () => {
            const deployed = {
                type: "aws:kms/key:Key",
                name: "k",
                region: "eu-west-2",
                inputs: { description: "a" },
                id: "key-1",
                state: { arn: "arn:1" },
            };
            const mocks = new AwsMocks({ unreachableRegions: ["eu-west-2"], baseline: [deployed] });
            mocks.newResource({ type: "pulumi:providers:aws", name: "primary", inputs: { region: "eu-west-2", ...stable } });
            const same = mocks.newResource({ type: "aws:kms/key:Key", name: "k", inputs: { description: "a" }, provider, custom: true });
            expect(same).to.deep.equal({ id: "key-1", state: { arn: "arn:1" } });
            expect(() =>
                mocks.newResource({ type: "aws:kms/key:Key", name: "k", inputs: { description: "b" }, provider, custom: true }),
            ).to.throw(/update k/);
            expect(() => mocks.newResource({ type: "aws:kms/key:Key", name: "new", inputs: {}, provider, custom: true })).to.throw(
                /create new/,
            );
        });
    });
});

describe("static inputs instead of lookups (lib/regions.ts)", () => {
    it("defaults to zones a, b and c where every account names them alike, and to none where names differ per account", () => {
        expect(defaultAvailabilityZones("eu-west-2")).to.deep.equal(["eu-west-2a", "eu-west-2b", "eu-west-2c"]);
        expect(defaultAvailabilityZones("eu-west-1")).to.deep.equal(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        for (const region of ["us-west-1", "ap-northeast-1", "us-east-1"])
            expect(defaultAvailabilityZones(region), region).to.equal(undefined);
        expect(defaultAvailabilityZones("mars-north-1")).to.equal(undefined);
    });

    it("tells a region's zone codes from others", () => {
        expect(isZoneOf("eu-west-2a", "eu-west-2")).to.equal(true);
        expect(isZoneOf("eu-west-1a", "eu-west-2")).to.equal(false);
        expect(isZoneOf("eu-west-2", "eu-west-2")).to.equal(false);
        expect(isZoneOf("eu-west-2-lhr-1a", "eu-west-2")).to.equal(false); // a Local Zone: no Aurora there
    });

    it("derives the partition from the region code", () => {
        expect(partitionOf("eu-west-2")).to.equal("aws");
        expect(partitionOf("cn-north-1")).to.equal("aws-cn");
        expect(partitionOf("us-gov-west-1")).to.equal("aws-us-gov");
    });

    it("reports zones of another region, duplicates and too few zones together", () => {
        expect(availabilityZoneProblems("eu-west-2", ["eu-west-2a", "eu-west-2a", "eu-west-1b"], 4)).to.have.length(3);
        expect(availabilityZoneProblems("eu-west-2", undefined, 3)).to.deep.equal([]);
        expect(availabilityZoneProblems("us-west-1", ["us-west-1b", "us-west-1c"], 2)).to.deep.equal([]);
    });
});

describe("scripts/check-account.sh", () => {
    /** Runs the script with a fake `aws` that reports `account` (and no AWS Config recorder in either region). */
    function check(account: string) {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-"));
        fs.writeFileSync(path.join(bin, "aws"), `#!/bin/sh\n[ "$1" = sts ] && echo ${account}\nexit 0\n`, { mode: 0o755 });
        const result = spawnSync("bash", [path.join(PROJECT_ROOT, "scripts", "check-account.sh"), "prod"], {
            encoding: "utf8",
            env: { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` },
        });
        fs.rmSync(bin, { recursive: true });
        return result;
    }

    it("passes credentials of the stack's account and fails others, naming both accounts", () => {
        expect(check("123456789012").status).to.equal(0);
        const other = check("999999999999");
        expect(other.status).to.equal(1);
        expect(other.stderr).to.match(/account 999999999999, but stack prod deploys into 123456789012/);
    });
});

describe("the workflows take AWS credentials in a region chosen per run", () => {
    const workflow = (file: string) =>
        parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", file), "utf8")) as {
            on: Record<string, { inputs?: Record<string, { type: string; options?: string[] }> } | null>;
            env?: Record<string, string>;
            jobs: Record<string, { steps?: { uses?: string; run?: string; with?: Record<string, string> }[] }>;
        };
    const credentialSteps = (doc: ReturnType<typeof workflow>) =>
        Object.values(doc.jobs).flatMap((job) =>
            (job.steps ?? []).filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials")),
        );

    it("deploy: a credentials-region input (both regions offered), used by every credentials step, then the account check", () => {
        const doc = workflow("deploy.yml");
        expect(doc.on["workflow_dispatch"]?.inputs?.["credentials-region"]?.options).to.have.members(["eu-west-2", "eu-west-1"]);
        expect(doc.env?.["CREDENTIALS_REGION"]).to.match(/inputs\.credentials-region \|\| vars\.AWS_CREDENTIALS_REGION/);
        const steps = credentialSteps(doc);
        expect(steps).to.not.be.empty;
        for (const step of steps) expect(step.with?.["aws-region"]).to.equal("${{ env.CREDENTIALS_REGION }}");
        for (const job of Object.values(doc.jobs).filter((j) => (j.steps ?? []).some((s) => s.uses?.startsWith("aws-actions/")))) {
            expect((job.steps ?? []).some((s) => s.run?.startsWith("bash scripts/check-account.sh") === true)).to.equal(true);
        }
    });

    it("pull-request: the preview's credentials region comes from a variable, not a constant", () => {
        for (const step of credentialSteps(workflow("pull-request.yml"))) {
            expect(step.with?.["aws-region"]).to.match(/vars\.AWS_CREDENTIALS_REGION/);
        }
    });
});
