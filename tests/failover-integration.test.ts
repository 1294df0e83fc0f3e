/**
 * The real handler against moto (tests/moto/server.py on 127.0.0.1, one server per test run): the dev stack's
 * topology is created under the names the program uses, the handler runs with the environment the component gives
 * the function, and the end state is read back from moto. The primary region's loss is simulated by pointing its
 * endpoint at a port where nothing listens.
 */
import { DescribeGlobalClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { expect } from "chai";
import { parseStackConfig, type StackConfig } from "../config";
import { activeRegionParameterName } from "../lib/failover";
import { freePort, type MotoServer } from "../orchestrator/local/moto";
import { createTopology, drainQueue, MOTO_CREDENTIALS, type Topology, type TopologyOptions } from "../orchestrator/local/topology";
import { normalise, readParameter, readRecord } from "../orchestrator/src/aws";
import { createClients, type AwsClients } from "../orchestrator/src/clients";
import { createHandler } from "../orchestrator/src/handler";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { STEP_NAMES, type StepName } from "../orchestrator/src/timeline";
import { runDrill } from "../tools/drill";
import { readStackFile, stackFilePath } from "./harness/program";
import { requireMoto, sharedMoto, stopSharedMoto } from "./harness/moto";

const POLL = { initialDelayMs: 5, maxDelayMs: 20, factor: 2, reserveMs: 1_000 };
const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

function devConfig(): StackConfig {
    const parsed = parseStackConfig(readStackFile(stackFilePath("dev")), "dev");
    if (!parsed.ok) {
        throw new Error(JSON.stringify(parsed.issues));
    }
    return parsed.config;
}

describe("FailoverOrchestrator against moto", function () {
    this.timeout(30_000);
    let moto: MotoServer;
    let deadEndpoint: string;
    const config = devConfig();

    before(async function () {
        requireMoto(this);
        moto = await sharedMoto();
        deadEndpoint = `http://127.0.0.1:${await freePort()}`;
    });
    after(async () => {
        await stopSharedMoto();
    });

    /** Clients for the world where the primary region is `up` or lost, counting the RDS commands sent. */
    function clientsFor(primaryUp: boolean, commands: string[] = []): AwsClients {
        const clients = createClients({
            endpointFor: (region) => (region === config.primaryRegion && !primaryUp ? deadEndpoint : moto.url),
            credentials: MOTO_CREDENTIALS,
            probeTimeoutMs: 1_000,
            maxAttempts: 1,
        });
        clients.rds(config.drRegion).middlewareStack.add(
            (next, context) => async (args) => {
                commands.push(String(context.commandName));
                return next(args);
            },
            { step: "initialize", name: "countCommands" },
        );
        return clients;
    }

    async function fresh(options: TopologyOptions = {}): Promise<Topology> {
        await moto.reset();
        return createTopology(moto.url, config, options);
    }

    function invoke(
        topology: Topology,
        clients: AwsClients,
        event: unknown,
        options: { requestId?: string; skewMs?: number; afterStep?: (s: StepName) => Promise<void> | void } = {},
    ): Promise<RunResult> {
        const now = () => Date.now() + (options.skewMs ?? 0);
        const handler = createHandler({
            env: topology.lambdaEnv,
            clients,
            now,
            poll: POLL,
            logger: SILENT,
            ...(options.afterStep !== undefined ? { afterStep: options.afterStep } : {}),
        });
        const started = Date.now();
        return handler(event, {
            awsRequestId: options.requestId ?? "req-1",
            getRemainingTimeInMillis: () => 20_000 - (Date.now() - started),
        });
    }

    async function endState(topology: Topology) {
        const clients = clientsFor(true);
        const rds = new RDSClient({ region: config.drRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
        const global = (
            await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: topology.globalClusterId }))
        ).GlobalClusters!.find((g) => g.GlobalClusterIdentifier === topology.globalClusterId)!;
        const dr = global.GlobalClusterMembers?.find((m) => m.DBClusterArn === topology.drClusterArn);
        return {
            drRole: dr === undefined ? "standalone" : dr.IsWriter === true ? "writer" : "secondary",
            record: await readRecord(clients.route53(), topology.hostedZoneId, topology.recordName),
            activeRegion: await readParameter(clients.ssm(config.drRegion), activeRegionParameterName(config.environment)),
            messages: await drainQueue(moto.url, config.drRegion, topology.queueUrl),
        };
    }

    const FAILOVER = { action: "failover", dryRun: false, force: false };

    it("fails over to the DR region when the primary region is lost: DR writer, record and parameter repointed, timeline published", async () => {
        const topology = await fresh();
        const commands: string[] = [];
        const result = await invoke(topology, clientsFor(false, commands), FAILOVER);
        expect(result.outcome).to.equal("completed");
        expect(result.path).to.equal("managed");
        expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
        const state = await endState(topology);
        expect(state.drRole).to.equal("writer");
        expect(state.record).to.equal(normalise(topology.drEndpoint));
        expect(state.activeRegion).to.equal(config.drRegion);
        expect(state.messages).to.have.length(2);
        expect(state.messages[0]).to.match(/^unplanned failover: the primary region's RDS API is unreachable/);
        const machine = JSON.parse(state.messages[1]!.split("--- machine-readable ---\n")[1]!) as { timeline: { name: string }[] };
        expect(machine.timeline.map((s) => s.name)).to.include.members(["assess", "lock", "act", "wait-for-writer", "repoint", "verify"]);
    });

    it("detaches and promotes the DR cluster when AWS refuses the managed failover (engine versions differ)", async () => {
        const topology = await fresh({ drEngineVersion: "16.4" });
        const commands: string[] = [];
        const result = await invoke(topology, clientsFor(false, commands), FAILOVER);
        expect(result.outcome).to.equal("completed");
        expect(result.path).to.equal("detach");
        expect(commands).to.include.members(["FailoverGlobalClusterCommand", "RemoveFromGlobalClusterCommand"]);
        const state = await endState(topology);
        expect(state.drRole).to.equal("standalone");
        expect(state.record).to.equal(normalise(topology.drEndpoint));
        expect(state.activeRegion).to.equal(config.drRegion);
    });

    it("switches over a healthy global database: the DR cluster becomes the writer, the old primary a secondary", async () => {
        const topology = await fresh();
        const result = await invoke(topology, clientsFor(true), { action: "switchover", dryRun: false, force: false });
        expect(result.outcome).to.equal("completed");
        const state = await endState(topology);
        expect(state.drRole).to.equal("writer");
        expect(state.record).to.equal(normalise(topology.drEndpoint));
    });

    it("does nothing when the primary is healthy and the failover is not forced", async () => {
        const topology = await fresh();
        const commands: string[] = [];
        const result = await invoke(topology, clientsFor(true, commands), FAILOVER);
        expect(result.outcome).to.equal("refused");
        expect(commands).to.not.include.members(["FailoverGlobalClusterCommand"]);
        const state = await endState(topology);
        expect(state.drRole).to.equal("secondary");
        expect(state.record).to.equal(normalise(topology.primaryEndpoint));
        expect(state.activeRegion).to.equal(config.primaryRegion);
        expect(state.messages).to.have.length(1);
        expect(state.messages[0]).to.match(/primary is healthy/);
    });

    it("a dry run reads everything and changes nothing", async () => {
        const topology = await fresh();
        const result = await invoke(topology, clientsFor(false), { ...FAILOVER, dryRun: true });
        expect(result.outcome).to.equal("dry-run");
        const state = await endState(topology);
        expect(state).to.deep.include({
            drRole: "secondary",
            record: normalise(topology.primaryEndpoint),
            activeRegion: config.primaryRegion,
        });
        expect(state.messages).to.have.length(0);
    });

    it("two concurrent invocations promote once", async () => {
        const topology = await fresh();
        const commands: string[] = [];
        const clients = clientsFor(false, commands);
        const results = await Promise.all([
            invoke(topology, clients, FAILOVER, { requestId: "req-a" }),
            invoke(topology, clients, FAILOVER, { requestId: "req-b" }),
        ]);
        const outcomes = results.map((r) => r.outcome).sort();
        expect(outcomes).to.satisfy((o: string[]) => o.includes("completed") && (o.includes("locked") || o.includes("already-active")));
        expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
        const state = await endState(topology);
        expect(state.drRole).to.equal("writer");
        expect(state.messages.filter((m) => m.startsWith("unplanned failover"))).to.have.length(1);
    });

    it("a repeated alarm after a completed failover changes nothing", async () => {
        const topology = await fresh();
        const commands: string[] = [];
        await invoke(topology, clientsFor(false, commands), FAILOVER, { requestId: "req-a" });
        const again = await invoke(topology, clientsFor(false, commands), FAILOVER, { requestId: "req-b" });
        expect(again.outcome).to.equal("already-active");
        expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
    });

    describe("a crash after each step is resumed by the next run", () => {
        for (const step of STEP_NAMES) {
            it(`crash after ${step}: the next run ends with the DR region active and promotes exactly once`, async () => {
                const topology = await fresh();
                const commands: string[] = [];
                let crashed!: () => void;
                const crash = new Promise<void>((resolve) => (crashed = resolve));
                // The crashed run never returns: its promise stays pending, as a killed function's would.
                void invoke(topology, clientsFor(false, commands), FAILOVER, {
                    requestId: "req-crashed",
                    afterStep: (s) => {
                        if (s === step) {
                            crashed();
                            return new Promise<void>(() => undefined);
                        }
                        return undefined;
                    },
                });
                await crash;
                // The next run comes after the crashed run's lease ran out (its function timed out).
                const rerun = await invoke(topology, clientsFor(false, commands), FAILOVER, { requestId: "req-next", skewMs: 10 * 60_000 });
                expect(rerun.outcome).to.be.oneOf(["completed", "already-active"]);
                expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
                const state = await endState(topology);
                expect(state).to.deep.include({ drRole: "writer", record: normalise(topology.drEndpoint), activeRegion: config.drRegion });
                if (["act", "wait-for-writer"].includes(step)) {
                    // The promotion the crashed run started is not started again.
                    expect(rerun.timeline.find((s) => s.name === "act")?.outcome).to.equal("skipped");
                }
            });
        }

        it("a Lambda retry of the crashed invocation (same request id) takes over at once", async () => {
            const topology = await fresh();
            const commands: string[] = [];
            let crashed!: () => void;
            const crash = new Promise<void>((resolve) => (crashed = resolve));
            void invoke(topology, clientsFor(false, commands), FAILOVER, {
                requestId: "req-1",
                afterStep: (s) => {
                    if (s === "act") {
                        crashed();
                        return new Promise<void>(() => undefined);
                    }
                    return undefined;
                },
            });
            await crash;
            const retry = await invoke(topology, clientsFor(false, commands), FAILOVER, { requestId: "req-1" });
            expect(retry.outcome).to.equal("completed");
            expect(retry.timeline.find((s) => s.name === "lock")?.detail).to.match(/resuming after act/);
            expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
        });
    });

    describe("the drill", () => {
        it("measures the orchestration and compares it with the stack's recovery-time budget", async () => {
            const report = await runDrill(config, { moto, poll: POLL });
            expect(report.outcome).to.equal("completed");
            expect(report.endState.ok).to.be.true;
            expect(report.steps.map((s) => s.name)).to.deep.equal([...STEP_NAMES]);
            expect(report.totalMs).to.be.greaterThan(0);
            expect(report.budget.rto.orchestrationSource).to.equal("measured");
            expect(report.budget.rtoSeconds).to.equal(
                report.budget.rto.detectionSeconds +
                    report.budget.rto.operatorResponseSeconds +
                    report.budget.rto.orchestrationSeconds +
                    report.budget.rto.promotionSeconds +
                    report.budget.rto.dnsTtlSeconds,
            );
            expect(report.budget.withinRto).to.be.true;
            expect(report.notifications).to.equal(2);
        });
    });
});
