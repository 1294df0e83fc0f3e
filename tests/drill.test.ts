/**
 * The drill (npm run drill): every scenario reaches its expected verdict against moto behind the fault proxy, its
 * JSON has the documented shape, and the verdict logic itself can fail (a drill that cannot fail proves nothing).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parseStackConfig, type StackConfig } from "../config";
import type { MotoServer } from "../orchestrator/local/moto";
import {
    busyMs,
    expectationFor,
    formatReport,
    judge,
    jsonReport,
    main,
    runDrill,
    scenariosFor,
    SCENARIOS,
    type DrillReport,
} from "../tools/drill";
import { PROJECT_ROOT, readStackFile, stackFilePath } from "./harness/program";
import { requireMoto, sharedMoto } from "./harness/moto";

function config(stack: "dev" | "prod"): StackConfig {
    const parsed = parseStackConfig(readStackFile(stackFilePath(stack)), stack);
    if (!parsed.ok) {
        throw new Error(JSON.stringify(parsed.issues));
    }
    return parsed.config;
}

describe("the failover drill", function () {
    this.timeout(120_000);

    describe("verdicts", () => {
        const expected = { outcome: "failover" as const, promotions: 1, pointersAt: "dr" as const, notifications: { min: 1, max: 2 } };
        it("passes an end state that matches the expectation", () => {
            expect(judge(expected, { promotions: 1, pointersAt: "dr", notifications: 2 })).to.deep.equal([]);
        });
        it("fails a double promotion, pointers left behind or split, and too many messages, naming each", () => {
            expect(judge(expected, { promotions: 2, pointersAt: "split", notifications: 3 })).to.deep.equal([
                "2 promotions, expected 1",
                "the pointers name split, expected dr",
                "3 notifications, expected 1 to 2",
            ]);
        });
        it("fails promotions in another order than expected, or of another kind (a failover where a switchover was due)", () => {
            const failback = {
                ...expected,
                outcome: "failback" as const,
                promotions: 2,
                sequence: ["failover to dr", "switchover to primary"],
            };
            expect(
                judge(failback, {
                    promotions: 2,
                    pointersAt: "dr",
                    notifications: 2,
                    sequence: ["failover to dr", "switchover to primary"],
                }),
            ).to.deep.equal([]);
            expect(
                judge(failback, { promotions: 2, pointersAt: "dr", notifications: 2, sequence: ["failover to dr", "failover to primary"] }),
            ).to.deep.equal([
                "promotions in the order failover to dr, failover to primary, expected failover to dr, switchover to primary",
            ]);
        });
        it("fails an application in another state than expected, and checks it only for a stack with an application tier", () => {
            const healthy = { ...expected, application: "healthy" as const };
            const end = { promotions: 1, pointersAt: "dr", notifications: 2 };
            expect(judge(healthy, { ...end, application: "healthy" })).to.deep.equal([]);
            expect(judge(healthy, { ...end, application: "pending" })).to.deep.equal(["the application is pending, expected healthy"]);
            expect(judge(healthy, end)).to.deep.equal(["the application is not reported, expected healthy"]);
            const withoutTier = { application: undefined };
            expect(expectationFor(healthy, withoutTier)).to.deep.equal(expected);
            expect(expectationFor(healthy, config("dev"))).to.deep.equal(healthy);
            expect(scenariosFor(withoutTier)).to.not.include("app-unhealthy");
            expect(scenariosFor(config("dev"))).to.deep.equal([...SCENARIOS]);
        });
        it("counts time inside AWS calls once when calls overlap", () => {
            const calls = [
                { startedAt: 0, durationMs: 100 },
                { startedAt: 50, durationMs: 100 },
                { startedAt: 300, durationMs: 10 },
                { startedAt: 400 },
            ];
            expect(busyMs(calls, 0, 1_000)).to.equal(160);
            expect(busyMs(calls, 100, 1_000), "only the part inside the run").to.equal(60);
        });
    });

    describe("against moto, behind the fault proxy", () => {
        let moto: MotoServer;
        let report: DrillReport;
        before(async function () {
            requireMoto(this);
            moto = await sharedMoto();
            // crash-resume is killed after a sample of its writes here; npm run drill kills it after every one.
            report = await runDrill(config("dev"), { moto, crashPoints: [1, 5, 9, 13] });
        });

        for (const name of SCENARIOS) {
            it(`${name}: reaches its expected verdict`, () => {
                const scenario = report.scenarios.find((s) => s.name === name)!;
                expect(scenario.problems, scenario.problems.join("; ")).to.deep.equal([]);
                expect(scenario.verdict).to.equal("pass");
            });
        }

        it("primary-down fails over once, with less than a second of overhead outside AWS's own work, and the application answers in the DR region", () => {
            const down = report.scenarios.find((s) => s.name === "primary-down")!;
            expect(down).to.deep.include({ promotions: 1, pointersAt: "dr", notifications: 2 });
            expect(down.overheadMs).to.be.below(1_000);
            expect(down.steps?.map((s) => s.name)).to.deep.equal([
                "assess",
                "lock",
                "notify-start",
                "capacity",
                "act",
                "wait-for-writer",
                "repoint",
                "application",
                "traffic",
                "verify",
                "notify",
                "release",
            ]);
            const detail = (name: string) => down.steps!.find((s) => s.name === name)!.detail;
            // dev's pilot light scaled out to what the home region's beacon recorded, its Aurora minimum raised to the peak.
            expect(detail("capacity")).to.match(
                /^desiredCount 0 -> 2; scalable min 0 -> 2; Aurora min 0.5 -> 2 ACU \(recorded .+: 2 tasks, peak 2 ACU\)$/,
            );
            expect(detail("application")).to.equal("healthy in eu-west-1: 2/2 tasks running, 1/1 targets healthy, synthetic request 200");
            expect(detail("traffic")).to.match(/^ServingReady\{eu-west-1\}=1, PeerFenced\{eu-west-2\}=1 in eu-west-1; /);
            // The recovery time to the application: from the first failure signal, past the writer's, on the handler's clock.
            expect(down.application?.state).to.equal("healthy");
            expect(down.applicationHealthyMs).to.be.a("number");
            expect(down.applicationHealthyMs!).to.be.at.least(down.evidence!.rtoMs!);
            // ... and before the run's end (its alarm is dated 5 s before the invocation).
            expect(down.applicationHealthyMs!).to.be.below(down.totalMs + 5_000);
            expect(formatReport(report)).to.match(/application healthy at .+; applicationHealthyMs \d+ \(first failure signal/);
        });

        it("app-unhealthy recovers the data but moves no traffic: APPLICATION PENDING, then the beacon publishes ready once the application answers", () => {
            const pending = report.scenarios.find((s) => s.name === "app-unhealthy")!;
            expect(pending).to.deep.include({ promotions: 1, pointersAt: "dr", outcomes: ["completed", "beacon", "beacon"] });
            expect(pending.application).to.deep.include({ state: "pending", detail: "the synthetic request answered 503" });
            expect(pending).to.not.have.property("applicationHealthyMs");
            const lines = pending.message!.split("\n");
            expect(lines[0]).to.equal("failover to eu-west-1 completed (managed) - APPLICATION PENDING");
            expect(lines[1]).to.match(
                /^APPLICATION PENDING: the data recovery is complete, but the application did not answer in eu-west-1/,
            );
            expect(lines.filter((l) => l.startsWith("beacon: "))).to.have.length(2);
            expect(lines.at(-2)).to.match(/ServingReady\{eu-west-1\}=0, .*synthetic request 503/);
            expect(lines.at(-1)).to.match(/ServingReady\{eu-west-1\}=1, PeerFenced\{eu-west-2\}=1/);
            expect(formatReport(report)).to.match(/APPLICATION PENDING: the synthetic request answered 503/);
        });

        it("crash-resume killed the bundled function at each chosen write and every next run finished the failover", () => {
            const crash = report.scenarios.find((s) => s.name === "crash-resume")!;
            expect(crash.crashes).to.have.length(4);
            // The sample includes a write of the application tier: the capacity step's scale-out.
            expect(crash.crashes!.map((c) => /\((\w+)\)/.exec(c.after)?.[1])).to.include("UpdateService");
            for (const c of crash.crashes!) {
                expect(c, c.after).to.deep.include({ promotions: 1, pointersAt: "dr" });
                expect(c.after).to.not.match(/but the child/);
            }
        });

        it("failback switches over home through the home region's function, with no data loss, and points everything home", () => {
            const failback = report.scenarios.find((s) => s.name === "failback")!;
            expect(failback).to.deep.include({
                promotions: 2,
                pointersAt: "primary",
                activeRegionCopies: { primary: "primary", dr: "primary" },
            });
            expect(failback.sequence).to.deep.equal(["failover to dr", "switchover to primary"]);
            // The two moves, then the home region's aftercare once traffic has left the DR region.
            expect(failback.outcomes).to.deep.equal(["completed", "completed", "aftercare"]);
            expect(failback.application?.state).to.equal("healthy");
            expect(failback.message!.split("\n")).to.deep.equal([
                `switchover to ${config("dev").primaryRegion} completed (managed)`,
                `The application answers in eu-west-2 (${failback.application!.healthyAt}): 2/2 tasks running, 1/1 targets healthy, synthetic request 200; traffic moves there (ServingReady=1, the peer fenced).`,
                // dev's DR region back to its pilot light: no task.
                "aftercare: standby-scale-down of eu-west-1: desiredCount 2 -> 0, scalable min 2 -> 0",
            ]);
        });

        it("round-trip promotes three times in order and ends with the pointers at the DR region", () => {
            const trip = report.scenarios.find((s) => s.name === "round-trip")!;
            expect(trip.sequence).to.deep.equal(["failover to dr", "switchover to primary", "failover to dr"]);
            expect(trip).to.deep.include({ promotions: 3, pointersAt: "dr" });
            // The primary region is down during the last failover: its copy of active-region could not be set.
            expect(trip.activeRegionCopies).to.deep.equal({ primary: "primary", dr: "dr" });
            expect(trip.message).to.match(/could not be set/);
        });

        it("break-glass: refused managed failover, one detach, the old primary fenced when it is back, every pointer at the promoted cluster, its lost writes kept", () => {
            const glass = report.scenarios.find((s) => s.name === "break-glass")!;
            expect(glass.outcomes).to.deep.equal(["refused", "completed", "aftercare", "aftercare"]);
            expect(glass).to.deep.include({ promotions: 0, pointersAt: "dr", activeRegionCopies: { primary: "dr", dr: "dr" } });
            expect(glass.steps?.map((s) => s.name)).to.deep.equal([
                "assess",
                "lock",
                "notify-start",
                "detach",
                "wait-for-writer",
                "secret",
                "repoint",
                "fence",
                "verify",
                "notify",
                "release",
                "aftercare",
                "aftercare",
            ]);
            expect(glass.message).to.match(/FENCE PENDING[\s\S]*is fenced: revoked 1 ingress permission[\s\S]*are kept in/);
            expect(glass.evidence).to.deep.include({
                runId: "drill-break-glass",
                dataLossWindowMs: 2_500,
                lostWritesSnapshot: "hdr-dev-aurora-eu-west-2-lost-writes-drill-break-glass",
            });
        });

        it("prints the documented JSON and measures the recovery time against the objective", () => {
            const json = jsonReport(report) as {
                scenarios: Record<string, unknown>[];
                budget: { rto: { orchestrationSource: string }; withinRto: boolean };
            };
            expect(json.scenarios.find((s) => s["name"] === "primary-down")).to.include.keys("application", "applicationHealthyMs");
            for (const s of json.scenarios) {
                expect(s).to.include.keys(
                    "name",
                    "expected",
                    "verdict",
                    "promotions",
                    "sequence",
                    "pointersAt",
                    "activeRegionCopies",
                    "notifications",
                    "totalMs",
                );
            }
            expect(json.budget.rto.orchestrationSource).to.equal("measured");
            expect(json.budget.withinRto).to.be.true;
            expect(report.ok).to.be.true;
        });
    });

    describe("command line", () => {
        it("refuses an unknown scenario with the list, exit 2", async () => {
            let stderr = "";
            const write = process.stderr.write.bind(process.stderr);
            process.stderr.write = ((chunk: string) => {
                stderr += chunk;
                return true;
            }) as typeof process.stderr.write;
            try {
                expect(await main(["--stack", "dev", "--scenario", "meteor"])).to.equal(2);
            } finally {
                process.stderr.write = write;
            }
            expect(stderr).to.match(
                /--scenario must be one of primary-down, app-unhealthy, primary-brownout, .*crash-resume, failback, round-trip, break-glass, lost-writes or all, not "meteor"/,
            );
        });

        it("every scenario has its row in the README's drill table", () => {
            const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
            const table = /### The drill\n([\s\S]*?)\n### /.exec(readme)?.[1] ?? "";
            expect(SCENARIOS.filter((name) => !table.includes(`| \`${name}\``))).to.deep.equal([]);
        });
    });
});
