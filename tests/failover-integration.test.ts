/**
 * The real handler against moto (tests/moto/server.py on 127.0.0.1, one server per test run): the dev stack's
 * topology is created under the names the program uses, the handler runs with the environment the component gives
 * the function, and the end state is read back from moto. The primary region's loss is simulated by pointing its
 * endpoint at a port where nothing listens.
 */
import { DescribeGlobalClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { expect } from "chai";
import { parseStackConfig, type StackConfig } from "../config";
import { activeRegionParameterName, confirmationOf } from "../lib/failover";
import { freePort, type MotoServer } from "../orchestrator/local/moto";
import { VirtualClock } from "../orchestrator/local/virtualClock";
import {
    createTopology,
    drainQueue,
    MOTO_CREDENTIALS,
    publishPairMetrics,
    type Topology,
    type TopologyOptions,
} from "../orchestrator/local/topology";
import { normalise, readParameter, readRecord } from "../orchestrator/src/aws";
import { createClients, type AwsClients } from "../orchestrator/src/clients";
import { createHandler } from "../orchestrator/src/handler";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { STEP_NAMES, type StepName } from "../orchestrator/src/timeline";
import { readStackFile, stackFilePath } from "./harness/program";
import { requireMoto, sharedMoto, stopSharedMoto } from "./harness/moto";

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
        for (const rds of [clients.rds(config.drRegion), clients.rdsOnce(config.drRegion)]) {
            rds.middlewareStack.add(
                (next, context) => async (args) => {
                    commands.push(String(context.commandName));
                    return next(args);
                },
                { step: "initialize", name: "countCommands" },
            );
        }
        return clients;
    }

    async function fresh(options: TopologyOptions = {}): Promise<Topology> {
        await moto.reset();
        return createTopology(moto.url, config, options);
    }

    let clock: VirtualClock;
    beforeEach(() => {
        clock = new VirtualClock();
    });

    function invoke(
        topology: Topology,
        clients: AwsClients,
        event: unknown,
        options: { requestId?: string; afterStep?: (s: StepName) => Promise<void> | void; clock?: VirtualClock } = {},
    ): Promise<RunResult> {
        const own = options.clock ?? clock;
        const handler = createHandler({
            env: topology.lambdaEnv,
            clients,
            now: own.now,
            sleep: own.sleep,
            logger: SILENT,
            metric: () => undefined,
            ...(options.afterStep !== undefined ? { afterStep: options.afterStep } : {}),
        });
        const started = own.now();
        return handler(event, {
            awsRequestId: options.requestId ?? "req-1",
            getRemainingTimeInMillis: () => 900_000 - (own.now() - started),
        });
    }

    /** The primary region serving and replicating (its metrics published up to the virtual now). */
    async function healthy(topology: Topology): Promise<void> {
        await publishPairMetrics(moto.url, topology, { now: clock.now() });
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

    const FAILOVER = {
        stack: config.stack,
        action: "failover",
        targetRegion: config.drRegion,
        confirm: confirmationOf(config.stack, "failover", config.drRegion),
    };
    const SWITCHOVER = {
        stack: config.stack,
        action: "switchover",
        targetRegion: config.drRegion,
        confirm: confirmationOf(config.stack, "switchover", config.drRegion),
    };

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
        expect(state.messages[0]).to.match(
            /^unplanned failover: 2 of 3 signals say the writer in eu-west-2 is down \(quorum 2\) over 60 s and 4 rounds: peer-rds-api down, replication-lag unknown, peer-metrics down/,
        );
        const machine = JSON.parse(state.messages[1]!.split("--- machine-readable ---\n")[1]!) as { timeline: { name: string }[] };
        expect(machine.timeline.map((s) => s.name)).to.include.members(["assess", "lock", "act", "wait-for-writer", "repoint", "verify"]);
    });

    it("never detaches: a DR cluster on another engine version is refused as not ready, and nothing changes", async () => {
        const topology = await fresh({ drEngineVersion: "16.4" });
        const commands: string[] = [];
        const result = await invoke(topology, clientsFor(false, commands), FAILOVER);
        expect(result.outcome).to.equal("refused");
        expect(result.message).to.match(/not ready.*runs 16\.4/);
        expect(commands).to.not.include.members(["FailoverGlobalClusterCommand", "RemoveFromGlobalClusterCommand"]);
        const state = await endState(topology);
        expect(state).to.deep.include({
            drRole: "secondary",
            record: normalise(topology.primaryEndpoint),
            activeRegion: config.primaryRegion,
        });
    });

    it("switches over a healthy global database: the DR cluster becomes the writer, the old primary a secondary", async () => {
        const topology = await fresh();
        await healthy(topology);
        const result = await invoke(topology, clientsFor(true), SWITCHOVER);
        expect(result.outcome).to.equal("completed");
        const state = await endState(topology);
        expect(state.drRole).to.equal("writer");
        expect(state.record).to.equal(normalise(topology.drEndpoint));
    });

    it("does nothing when the primary is healthy and the failover is not forced", async () => {
        const topology = await fresh();
        await healthy(topology);
        const commands: string[] = [];
        const result = await invoke(topology, clientsFor(true, commands), FAILOVER);
        expect(result.outcome).to.equal("refused");
        expect(commands).to.not.include.members(["FailoverGlobalClusterCommand"]);
        const state = await endState(topology);
        expect(state.drRole).to.equal("secondary");
        expect(state.record).to.equal(normalise(topology.primaryEndpoint));
        expect(state.activeRegion).to.equal(config.primaryRegion);
        expect(state.messages).to.have.length(1);
        expect(state.messages[0]).to.match(/0 of 3 signals say the writer in eu-west-2 is down/);
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

    it("five concurrent invocations promote once", async () => {
        const topology = await fresh();
        const commands: string[] = [];
        const clients = clientsFor(false, commands);
        const results = await Promise.all(
            ["a", "b", "c", "d", "e"].map((id) =>
                invoke(topology, clients, FAILOVER, { requestId: `req-${id}`, clock: new VirtualClock() }),
            ),
        );
        const outcomes = results.map((r) => r.outcome);
        expect(outcomes.filter((o) => o === "completed")).to.have.length(1);
        expect(outcomes.every((o) => ["completed", "locked", "already-active"].includes(o))).to.be.true;
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
                clock.advance(10 * 60_000);
                const rerun = await invoke(topology, clientsFor(false, commands), FAILOVER, { requestId: "req-next" });
                expect(rerun.outcome).to.be.oneOf(["completed", "already-active"]);
                expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
                const state = await endState(topology);
                expect(state).to.deep.include({ drRole: "writer", record: normalise(topology.drEndpoint), activeRegion: config.drRegion });
                // Every started run is finished, and sends at most one started and one final message.
                const started = state.messages.filter((m) => m.startsWith("unplanned failover"));
                const finished = state.messages.filter((m) => /completed|FAILED/.test(m.split("\n")[0]!));
                expect(started.length).to.be.at.most(1);
                expect(finished.length).to.be.at.most(1);
                if (step !== "release") {
                    expect(rerun.outcome, "the run the crash interrupted is finished").to.equal("completed");
                }
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
});
