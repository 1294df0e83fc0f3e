import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { PROJECT_ROOT } from "./harness/program";
import { planStack } from "./harness/stacks";
import { policies } from "../policy-pack/policies";
import { main } from "../tools/plan";
import { buildPlanDocument, formatText, hasMandatoryViolations, redactSecrets, SECRET, type PlanDocument } from "../tools/report";

/**
 * Runs the plan CLI's `main` in this process, capturing what it writes and its exit status: the CLI's whole logic
 * (argument parsing, exit codes, output) without a second Node.js and ts-node start-up per case. One case below still
 * runs the real command in a child process, end to end.
 */
async function planHere(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const stdoutWrite = process.stdout.write.bind(process.stdout);
    const stderrWrite = process.stderr.write.bind(process.stderr);
    const capture = (into: string[]) =>
        ((chunk: string | Uint8Array) => {
            into.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
            return true;
        }) as typeof process.stdout.write;
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    try {
        const status = await main(args);
        return { status, stdout: out.join(""), stderr: err.join("") };
    } finally {
        process.stdout.write = stdoutWrite;
        process.stderr.write = stderrWrite;
    }
}

/** Runs the plan CLI as a user would (through ts-node, without npm's start-up cost). */
function plan(...args: string[]) {
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join("tools", "plan.ts"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: 60_000,
        // The JSON document of a stack is over a megabyte (the conformance pack templates alone are 80 KB a stack,
        // twice: inputs and state), past spawnSync's default 1 MiB, which would kill the child (status null).
        maxBuffer: 16 * 1024 * 1024,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the offline plan", () => {
    describe("report", () => {
        it("groups resources by component and region and lists outputs and objectives", async () => {
            const run = await planStack("prod");
            const doc = buildPlanDocument(run, { configFile: "Pulumi.prod.yaml", violations: [], policyCount: 0, policyPackRan: true });
            const text = formatText(doc);
            expect(text).to.match(/^Offline plan: project healthcare-dr, stack prod \(environment prod\)/);
            expect(text).to.include("Regions: primary eu-west-2 (Europe (London)), DR eu-west-1 (Europe (Ireland))");
            expect(text).to.match(
                /\n {2}healthcare:dr:RegionalKey dr-key\n {4}eu-west-1 +aws:kms\/key:Key +dr-key {2}\[protect; retain-on-delete\]/,
            );
            // detection 4m + window 1m + step deadlines 7m45s + promotion 1m + TTL 30s
            expect(text).to.match(/RTO 30m \(1800 s\): budget 21m5s \(1265 s\), within\n/);
            expect(text).to.match(/RPO 15m \(900 s\): budget 15m \(900 s\), within\n/);
            // The database's term is the ceiling Aurora enforces (database.maxReplicationLagSeconds), not an alarm.
            // Global tables count with AWS's figure (typically within a second), not above the other terms.
            expect(text).to.include(
                "database at most 10m (rds.global_db_rpo holds commits beyond it), S3 replication 15m, global tables 1s (AWS: typically within a second, no SLA; audit-events)\n",
            );
            expect(text).to.include("orchestration 7m45s (the sum of the run's step deadlines; npm run drill measures it)");
            expect(text).to.include("then the orchestrator's detection window 1m");
            expect(text).to.match(/\n {2}accountId +123456789012\n/);
            expect(text).to.include("Warnings: none");
        });

        it("says a data loss nothing bounds is not bounded, and why (dev: no database ceiling)", async () => {
            const run = await planStack("dev");
            const doc = buildPlanDocument(run, { violations: [], policyCount: 0, policyPackRan: true });
            expect(doc.recoveryBudget).to.include({ rpoBounded: false, rpoSeconds: null });
            const text = formatText(doc);
            expect(text).to.match(/RPO 15m \(900 s\): budget not bounded, NOT BOUNDED\n/);
            expect(text).to.include(
                "database not bounded (nothing holds commits back; the lag alarm at 1m only notifies: set database.maxReplicationLagSeconds), S3 replication 15m, global tables 1s (AWS: typically within a second, no SLA; audit-events)\n",
            );
        });

        it("gives each resource its type, name, region, parent and inputs", async () => {
            const run = await planStack("dev");
            const doc = buildPlanDocument(run, { violations: [], policyCount: 0, policyPackRan: true });
            const key = doc.resources.find((r) => r.type === "aws:kms/key:Key" && r.name === "dr-key")!;
            expect(key.region).to.equal("eu-west-1");
            expect(key.parent).to.equal("urn:pulumi:dev::healthcare-dr::healthcare:dr:RegionalKey::dr-key");
            expect(key.component).to.equal("healthcare:dr:RegionalKey dr-key");
            expect(key.inputs["enableKeyRotation"]).to.equal(true);
        });

        it("never prints a secret input", () => {
            const inputs = { masterPassword: "hunter2", nested: { list: ["a", "b"] }, plain: 1 };
            expect(redactSecrets(inputs, ["masterPassword", "nested.list[1]"])).to.deep.equal({
                masterPassword: SECRET,
                nested: { list: ["a", SECRET] },
                plain: 1,
            });
            expect(inputs.masterPassword).to.equal("hunter2");
        });

        it("lists a preview's can't-run notes and what is left to pulumi up apart from the violations", async () => {
            const run = { ...(await planStack("dev")), preview: true };
            const note = {
                policyName: "p",
                enforcementLevel: "mandatory",
                message: "m",
                resourceName: "k",
                resourceType: "aws:kms/key:Key",
            };
            const text = formatText(
                buildPlanDocument(run, { violations: [], cantRun: [note], decidedAtUpdate: [], policyCount: 1, policyPackRan: true }),
            );
            expect(text).to.include("Policy violations: none (1 policies)");
            expect(text).to.include("Can't run during preview (advisory notes, not violations): 1\n  p (mandatory) aws:kms/key:Key k: m\n");
            expect(text).to.include("Left to pulumi up (not known before the resources exist): none");
        });

        it("lists violations by policy and fails only on mandatory ones", async () => {
            const run = await planStack("dev");
            const advisory = {
                policyName: "tags-present",
                enforcementLevel: "advisory",
                message: "add Owner",
                resourceName: "k",
                resourceType: "aws:kms/key:Key",
            };
            const mandatory = { ...advisory, policyName: "kms-rotation", enforcementLevel: "mandatory", message: "turn rotation on" };
            const soft = buildPlanDocument(run, { violations: [advisory], policyCount: 2, policyPackRan: true });
            const hard = buildPlanDocument(run, { violations: [advisory, mandatory], policyCount: 2, policyPackRan: true });
            expect(hasMandatoryViolations(soft)).to.equal(false);
            expect(hasMandatoryViolations(hard)).to.equal(true);
            expect(formatText(hard)).to.match(
                /Policy violations: 2 \(2 policies\)\n {2}tags-present \(advisory\)\n {4}aws:kms\/key:Key k: add Owner\n {2}kms-rotation \(mandatory\)/,
            );
        });
    });

    describe("command line", function () {
        this.timeout(60_000);

        // One run of the CLI for two claims (each run costs seconds): the JSON document, and a stack file after a
        // failover (activeRegion: eu-west-1) planned through --config-file, whose printed budget is for that direction.
        it("prints one JSON document with stack, resources, outputs and violations, for a --config-file with activeRegion: eu-west-1 and the budget of that direction", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "failed-over-"));
            const file = path.join(dir, "Pulumi.dev.yaml");
            const text = fs.readFileSync(path.join(__dirname, "..", "Pulumi.dev.yaml"), "utf8");
            fs.writeFileSync(file, text.replace(/^config:\n/m, "config:\n  healthcare-dr:activeRegion: eu-west-1\n"));
            const { status, stdout } = plan("--config-file", file, "--json");
            expect(status).to.equal(0);
            const doc = JSON.parse(stdout) as PlanDocument;
            expect(doc).to.include.keys("stack", "resources", "outputs", "violations");
            expect(doc["stack"]).to.equal("dev");
            const resources = doc["resources"] as unknown as Array<Record<string, unknown>>;
            expect(resources).to.not.be.empty;
            for (const r of resources) expect(r).to.include.keys("type", "name", "region", "parent", "inputs");
            expect(doc.violations).to.deep.equal([]);
            const printed = formatText(doc);
            expect(printed).to.include("for a failover from eu-west-1 (activeRegion) to eu-west-2");
            // dev replicates clinical-documents one way only: what is written in eu-west-1 never reaches eu-west-2.
            expect(printed).to.match(/S3 replication not bounded \(clinical-documents not replicated from eu-west-1 to eu-west-2/);
        });

        it("exits 2 for an invalid stack file and names every bad key on stderr", async () => {
            const { status, stdout, stderr } = await planHere(
                "--config-file",
                path.join("tests", "fixtures", "bad-stacks", "many-errors.yaml"),
                "--stack",
                "dev",
            );
            expect(status).to.equal(2);
            expect(stdout).to.equal("");
            for (const key of [
                "primaryRegion",
                "network.azCount",
                "database.minCapacity",
                "database.backupRetentinDays",
                "objectives.rpo",
                "alerts.emails[0]",
            ]) {
                expect(stderr).to.include(`healthcare-dr:${key} = `);
            }
            expect(stderr).to.not.match(/\n\s+at /); // no stack trace
        });

        it("--preview plans the first preview: no can't-run note, a mistyped pack config fails it (exit 1) naming the key", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-config-"));
            const file = path.join(dir, "policy-config.json");
            fs.writeFileSync(file, JSON.stringify({ "data-residency": { allowedRegion: ["us-east-1"] } }));
            const { status, stdout } = await planHere("--stack", "dev", "--preview", "--json", "--policy-pack-config", file);
            fs.rmSync(dir, { recursive: true });
            expect(status).to.equal(1);
            const doc = JSON.parse(stdout) as {
                preview: boolean;
                violations: { policyName: string; enforcementLevel: string; message: string }[];
                cantRun: unknown[];
                decidedAtUpdate: { policyName: string; message: string }[];
            };
            expect(doc.preview).to.equal(true);
            expect(doc.cantRun).to.deep.equal([]);
            const mandatory = doc.violations.filter((v) => v.enforcementLevel === "mandatory");
            expect(mandatory.map((v) => v.policyName)).to.deep.equal(["policy-pack-config"]);
            expect(mandatory[0]!.message).to.match(/"data-residency.allowedRegion".*allowed: enforcementLevel, allowedRegions/);
            const listed = policies.filter((p) => p.metadata.atPreview !== undefined).map((p) => p.name);
            expect(doc.decidedAtUpdate).to.not.be.empty;
            for (const note of doc.decidedAtUpdate) {
                expect(listed).to.include(note.policyName);
                expect(note.message).to.match(
                    /^not known at preview, decided by pulumi up (before it creates the resource|once the update is over): /,
                );
            }
        });

        it("--region-down: plans with the region unreachable, 0 changes there, and lists what it leaves alone", async () => {
            const { status, stdout } = await planHere("--stack", "dev", "--region-down", "eu-west-2");
            expect(status).to.equal(0);
            expect(stdout).to.match(/\nRegion down: eu-west-2 unreachable/);
            expect(stdout).to.match(/\n {2}eu-west-2 +0 changes \(0 create, 0 update, 0 delete\), \d+ unchanged\n/);
            expect(stdout).to.include("invokes made by the program: 0");
            expect(stdout).to.match(/Not touched in eu-west-2 \(left as deployed; pulumi up makes no call for them\): \d+\n {4}aws:/);
            const wrong = await planHere("--stack", "dev", "--region-down", "eu-central-1");
            expect(wrong.status).to.equal(2);
            expect(wrong.stderr).to.match(/the stack uses eu-west-2, eu-west-1, us-east-1/);
        });

        it("exits 2 with usage for unknown options and missing files", async () => {
            expect((await planHere("--stack", "dev", "--colour")).status).to.equal(2);
            const missing = await planHere("--stack", "nowhere");
            expect(missing.status).to.equal(2);
            expect(missing.stderr).to.match(/No stack file at .*Pulumi\.nowhere\.yaml/);
        });
    });
});
