/**
 * The real handler against moto (tests/moto/server.py on 127.0.0.1, one server per test process): the dev stack's
 * topology is created under the names the program uses, the handler runs with the environment the component gives
 * the function, and the end state is read back from moto. The primary region's loss is simulated by pointing its
 * endpoint at a port where nothing listens.
 */
import { DescribeGlobalClustersCommand, RDSClient, type GlobalCluster } from "@aws-sdk/client-rds";
import { expect } from "chai";
import { parseStackConfig, type StackConfig } from "../config";
import { activeRegionParameterName, confirmationOf, failoverParameterPath, FENCE_PARAMETER } from "../lib/failover";
import { aftercareEvent } from "../tools/drill";
import { freePort, type MotoServer } from "../orchestrator/local/moto";
import { VirtualClock } from "../orchestrator/local/virtualClock";
import {
    freshTopology,
    drainQueue,
    MOTO_CREDENTIALS,
    publishPairMetrics,
    type Side,
    type Topology,
    type TopologyOptions,
} from "../orchestrator/local/topology";
import { normalise, readParameter, readRecord } from "../orchestrator/src/aws";
import { createClients, type AwsClients } from "../orchestrator/src/clients";
import { InvalidEventError } from "../orchestrator/src/events";
import { createHandler } from "../orchestrator/src/handler";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { BREAK_GLASS_STEPS, MANAGED_STEPS, type StepName } from "../orchestrator/src/timeline";
import { DeleteDBClusterCommand, DeleteDBInstanceCommand, DescribeDBClusterParametersCommand } from "@aws-sdk/client-rds";
import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { paginateGetParametersByPath, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { APPLICATION_PARAMETERS } from "../lib/application";
import { aftercareItemKey } from "../lib/failover";
import { obligationFromAttribute, type FenceObligation } from "../orchestrator/src/fence";
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ingressOf } from "../orchestrator/src/fence";
import { readStackFile, stackFilePath } from "./harness/program";
import { requireMoto, sharedMoto } from "./harness/moto";

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

    /** Clients for the world where the primary region is `up` or lost, counting the RDS commands sent. */
    function clientsFor(primaryUp: boolean, commands: string[] = []): AwsClients {
        return clientsLosing(primaryUp ? undefined : config.primaryRegion, commands);
    }

    /**
     * Clients for the world where `lost` (a region) does not answer, counting the RDS commands either region's function
     * sends and recording every FailoverState the global cluster reported (what AWS said of the move under way).
     */
    function clientsLosing(lost: string | undefined, commands: string[] = [], failoverStates: Record<string, unknown>[] = []): AwsClients {
        const clients = createClients({
            endpointFor: (region) => (region === lost ? deadEndpoint : moto.url),
            credentials: MOTO_CREDENTIALS,
            probeTimeoutMs: 1_000,
            maxAttempts: 1,
        });
        for (const region of [config.primaryRegion, config.drRegion]) {
            for (const rds of [clients.rds(region), clients.rdsOnce(region)]) {
                rds.middlewareStack.add(
                    (next, context) => async (args) => {
                        commands.push(String(context.commandName));
                        const out = await next(args);
                        for (const g of (out.output as { GlobalClusters?: GlobalCluster[] }).GlobalClusters ?? []) {
                            if (g.FailoverState !== undefined) {
                                failoverStates.push({ ...g.FailoverState });
                            }
                        }
                        return out;
                    },
                    { step: "initialize", name: "countCommands" },
                );
            }
        }
        return clients;
    }

    async function fresh(options: TopologyOptions = {}): Promise<Topology> {
        return freshTopology(moto, config, options);
    }

    let clock: VirtualClock;
    beforeEach(() => {
        clock = new VirtualClock();
    });

    /**
     * Starts a run that is killed right after `step`: its promise stays pending, as a killed function's would.
     * Resolves once the step is over.
     */
    async function crashAfter(
        step: StepName,
        topology: Topology,
        clients: AwsClients,
        event: unknown,
        options: { requestId: string; side?: Side },
    ): Promise<void> {
        let crashed!: () => void;
        const crash = new Promise<void>((resolve) => (crashed = resolve));
        void invoke(topology, clients, event, {
            ...options,
            afterStep: (s) => {
                if (s === step) {
                    crashed();
                    return new Promise<void>(() => undefined);
                }
                return undefined;
            },
        });
        await crash;
    }

    function invoke(
        topology: Topology,
        clients: AwsClients,
        event: unknown,
        options: { requestId?: string; afterStep?: (s: StepName) => Promise<void> | void; clock?: VirtualClock; side?: Side } = {},
    ): Promise<RunResult> {
        const own = options.clock ?? clock;
        const handler = createHandler({
            // The function of the DR region unless told otherwise: each region runs its own.
            env: topology.cells[options.side ?? "dr"].lambdaEnv,
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
        const role = (arn: string) => {
            const member = global.GlobalClusterMembers?.find((m) => m.DBClusterArn === arn);
            return member === undefined ? "standalone" : member.IsWriter === true ? "writer" : "secondary";
        };
        const activeRegionIn = (region: string) => readParameter(clients.ssm(region), activeRegionParameterName(config.environment));
        return {
            drRole: role(topology.drClusterArn),
            primaryRole: role(topology.primaryClusterArn),
            record: await readRecord(clients.route53(), topology.hostedZoneId, topology.recordName),
            /** The DR region's copy of active-region. */
            activeRegion: await activeRegionIn(config.drRegion),
            /** The primary region's copy. */
            primaryActiveRegion: await activeRegionIn(config.primaryRegion),
            /** What the DR region's function published. */
            messages: await drainQueue(moto.url, config.drRegion, topology.cells.dr.queueUrl),
            /** What the primary region's function published. */
            primaryMessages: await drainQueue(moto.url, config.primaryRegion, topology.cells.primary.queueUrl),
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
        for (const step of MANAGED_STEPS) {
            it(`crash after ${step}: the next run ends with the DR region active and promotes exactly once`, async () => {
                const topology = await fresh();
                const commands: string[] = [];
                await crashAfter(step, topology, clientsFor(false, commands), FAILOVER, { requestId: "req-crashed" });
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
            await crashAfter("act", topology, clientsFor(false, commands), FAILOVER, { requestId: "req-1" });
            const retry = await invoke(topology, clientsFor(false, commands), FAILOVER, { requestId: "req-1" });
            expect(retry.outcome).to.equal("completed");
            expect(retry.timeline.find((s) => s.name === "lock")?.detail).to.match(/resuming after capacity, act-started, act$/);
            // The capacity the crashed invocation raised is read, not raised again.
            expect(retry.timeline.find((s) => s.name === "capacity")?.detail).to.match(/^desiredCount 2 \(≥ 2\)/);
            expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
        });
    });

    describe("the other direction: the home region's function", () => {
        const home = (action: "switchover" | "failover") => ({
            stack: config.stack,
            action,
            targetRegion: config.primaryRegion,
            confirm: confirmationOf(config.stack, action, config.primaryRegion),
        });

        it("fails back after a failover: a switchover to its own cluster, no data loss, the record and both active-region copies home", async () => {
            const topology = await fresh({ writer: "dr" });
            await publishPairMetrics(moto.url, topology, { now: clock.now(), writer: "dr" });
            const commands: string[] = [];
            const states: Record<string, unknown>[] = [];
            const result = await invoke(topology, clientsLosing(undefined, commands, states), home("switchover"), { side: "primary" });
            expect(result.outcome, result.message).to.equal("completed");
            const [done, app, ...rest] = result.message.split("\n");
            expect(done).to.equal(`switchover to ${config.primaryRegion} completed (managed)`);
            // The dev stack's application tier: the home region (a pilot light while the DR region served) is scaled out
            // before the switchover, and answers before its traffic moves back.
            expect(result.timeline.find((s) => s.name === "capacity")?.detail).to.match(/^desiredCount 0 -> 2; scalable min 0 -> 2;/);
            expect(app).to.match(
                new RegExp(
                    `^The application answers in ${config.primaryRegion} \\(.+\\): 2/2 tasks running, 1/1 targets healthy, synthetic request 200; traffic moves there \\(ServingReady=1, the peer fenced\\)\\.$`,
                ),
            );
            expect(rest).to.deep.equal([]);
            expect(commands.filter((c) => c === "SwitchoverGlobalClusterCommand")).to.have.length(1);
            expect(commands).to.not.include("FailoverGlobalClusterCommand");
            // What AWS reported of the move while it ran: towards the home cluster, and no data loss allowed.
            expect(states).to.not.be.empty;
            for (const state of states) {
                expect(state).to.include({ ToDbClusterArn: topology.primaryClusterArn, IsDataLossAllowed: false });
            }
            const state = await endState(topology);
            expect(state).to.deep.include({
                primaryRole: "writer",
                drRole: "secondary",
                record: normalise(topology.primaryEndpoint),
                primaryActiveRegion: config.primaryRegion,
                activeRegion: config.primaryRegion,
            });
            expect(state.primaryMessages.map((m) => m.split("\n")[0])).to.deep.equal([
                "planned switchover: the writer in eu-west-1 is serving, no data will be lost",
                `switchover to ${config.primaryRegion} completed (managed)`,
            ]);
            expect(state.messages, "the DR region's function was not involved").to.have.length(0);
        });

        it("answers already-active when its own region is the writer, and refuses a request for the other region, changing nothing", async () => {
            const topology = await fresh();
            await healthy(topology);
            const commands: string[] = [];
            for (const action of ["switchover", "failover"] as const) {
                const result = await invoke(topology, clientsLosing(undefined, commands), home(action), { side: "primary" });
                expect(result.outcome).to.equal("already-active");
                expect(result.message).to.match(/the eu-west-2 cluster is already the writer/);
            }
            const elsewhere = await invoke(topology, clientsLosing(undefined, commands), FAILOVER, { side: "primary" }).then(
                () => undefined,
                (error: unknown) => error,
            );
            expect(elsewhere).to.be.instanceOf(InvalidEventError);
            expect((elsewhere as Error).message).to.match(/promotes eu-west-2 only.*eu-west-1's own orchestrator promotes eu-west-1/);
            expect(commands).to.not.include.members(["SwitchoverGlobalClusterCommand", "FailoverGlobalClusterCommand"]);
            const state = await endState(topology);
            expect(state).to.deep.include({ primaryRole: "writer", record: normalise(topology.primaryEndpoint) });
            expect([...state.messages, ...state.primaryMessages]).to.have.length(0);
        });

        it("fails over home when the DR region, holding the writer, is lost: started by the forwarded health-check alarm", async () => {
            const topology = await fresh({ writer: "dr" });
            const commands: string[] = [];
            const alarm = {
                version: "0",
                id: "reverse",
                "detail-type": "CloudWatch Alarm State Change",
                source: "aws.cloudwatch",
                account: topology.primaryClusterArn.split(":")[4],
                time: new Date(clock.now() - 5_000).toISOString(),
                region: "us-east-1",
                resources: [
                    `arn:aws:cloudwatch:us-east-1:${topology.primaryClusterArn.split(":")[4]}:alarm:${topology.cells.primary.peerDownAlarmName}`,
                ],
                detail: { alarmName: topology.cells.primary.peerDownAlarmName, state: { value: "ALARM", reason: "health check" } },
            };
            const result = await invoke(topology, clientsLosing(config.drRegion, commands), alarm, { side: "primary" });
            expect(result.outcome, result.message).to.equal("completed");
            expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
            // The DR region's copy cannot be written while that region is down: reported, not fatal.
            expect(result.peerActiveRegionProblem).to.match(/ECONNREFUSED|connect/i);
            const state = await endState(topology);
            expect(state).to.deep.include({
                primaryRole: "writer",
                record: normalise(topology.primaryEndpoint),
                primaryActiveRegion: config.primaryRegion,
                activeRegion: config.drRegion,
            });
            expect(state.primaryMessages[1]).to.match(/could not be set.*aws ssm put-parameter --region eu-west-1/);
        });

        // The code path is the forward one with self and peer swapped, which is crashed after every step above; here the
        // crash that matters most: after the promotion was started.
        for (const step of ["act"] as const) {
            it(`a crash after ${step} in the reverse direction is finished by the next run: one promotion, everything home`, async () => {
                const topology = await fresh({ writer: "dr" });
                const commands: string[] = [];
                await crashAfter(step, topology, clientsLosing(config.drRegion, commands), home("failover"), {
                    side: "primary",
                    requestId: "req-crashed",
                });
                clock.advance(10 * 60_000);
                const rerun = await invoke(topology, clientsLosing(config.drRegion, commands), home("failover"), {
                    side: "primary",
                    requestId: "req-next",
                });
                expect(rerun.outcome, rerun.message).to.equal("completed");
                expect(rerun.timeline.find((s) => s.name === "lock")?.detail).to.match(/resuming after/);
                expect(commands.filter((c) => c === "FailoverGlobalClusterCommand")).to.have.length(1);
                const state = await endState(topology);
                expect(state).to.deep.include({
                    primaryRole: "writer",
                    record: normalise(topology.primaryEndpoint),
                    primaryActiveRegion: config.primaryRegion,
                });
                expect(state.primaryMessages.filter((m) => / completed /.test(m.split("\n")[0]!))).to.have.length(1);
            });
        }
    });
    describe("break-glass", () => {
        const BREAK_GLASS = {
            stack: config.stack,
            action: "break-glass",
            targetRegion: config.drRegion,
            confirm: confirmationOf(config.stack, "break-glass", config.drRegion),
        };
        const direct = (region: string) => ({ endpoint: moto.url, region, credentials: MOTO_CREDENTIALS, maxAttempts: 1 });
        const secrets = (region: string) => new SecretsManagerClient(direct(region));
        const ec2 = (region: string) => new EC2Client(direct(region));

        /** What a break-glass leaves behind, read from moto. */
        async function breakGlassState(topology: Topology) {
            const dr = topology.cells.dr;
            const primary = topology.cells.primary;
            const described = await secrets(dr.region).send(new DescribeSecretCommand({ SecretId: dr.secretArn }));
            const value = JSON.parse(
                (await secrets(dr.region).send(new GetSecretValueCommand({ SecretId: dr.secretArn }))).SecretString ?? "{}",
            ) as Record<string, unknown>;
            const item = await new DynamoDBClient({ region: dr.region, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                new GetItemCommand({ TableName: topology.lockTable, Key: { lockId: { S: aftercareItemKey(topology.globalClusterId) } } }),
            );
            const rds = new RDSClient({ region: primary.region, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
            const parameters = (
                await rds.send(new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: primary.clusterParameterGroup }))
            ).Parameters;
            return {
                secretIsReplica: described.PrimaryRegion !== undefined,
                secret: value,
                obligation: item.Item?.["fence"] !== undefined ? obligationFromAttribute(item.Item["fence"]) : undefined,
                peerIngress: ingressOf(
                    (await ec2(primary.region).send(new DescribeSecurityGroupsCommand({ GroupIds: [primary.securityGroupId] })))
                        .SecurityGroups?.[0]?.IpPermissions,
                ).length,
                peerParameter: parameters?.find((p) => p.ParameterName === FENCE_PARAMETER.name)?.ParameterValue,
            };
        }

        it("detaches the DR cluster once, re-points the secret, the record and both active-region copies at it, and leaves the fence of the unreachable primary PENDING", async () => {
            // Engine versions differ: AWS refuses the managed failover, which is what a break-glass replaces.
            const topology = await fresh({ drEngineVersion: "16.4" });
            const commands: string[] = [];
            const managed = await invoke(topology, clientsFor(false, commands), { ...FAILOVER, force: true }, { requestId: "req-managed" });
            expect(managed.outcome, managed.message).to.equal("refused");
            const result = await invoke(topology, clientsFor(false, commands), BREAK_GLASS, { requestId: "req-bg" });
            expect(result.outcome, result.message).to.equal("completed");
            expect(result.path).to.equal("detach");
            expect(result.fence).to.equal("pending");
            expect(result.message).to.match(/FENCE PENDING: the old writer hdr-dev-aurora-eu-west-2 in eu-west-2/);
            expect(result.message).to.match(/aws ec2 revoke-security-group-ingress --region eu-west-2/);
            expect(commands.filter((c) => c === "RemoveFromGlobalClusterCommand")).to.have.length(1);
            expect(commands.filter((c) => /^(Failover|Switchover)GlobalCluster/.test(c))).to.have.length(0);
            const state = await endState(topology);
            expect(state).to.deep.include({ drRole: "standalone", record: normalise(topology.drEndpoint), activeRegion: config.drRegion });
            expect(state.messages.some((m) => /FENCE PENDING/.test(m.split("\n")[0]!))).to.equal(true);
            const after = await breakGlassState(topology);
            expect(after.secretIsReplica, "replication to the DR region stopped").to.equal(false);
            expect(after.secret).to.deep.equal({
                engine: "postgres",
                host: topology.drEndpoint,
                port: 5432,
                username: "hdradmin",
                password: "not-a-real-password-1",
                dbname: "healthcare",
                dbClusterIdentifier: topology.drClusterArn.split(":").pop(),
                ssl: true,
            });
            expect(after.obligation).to.deep.include({ state: "pending", region: config.primaryRegion, attempts: 1 });
            expect(after.peerIngress).to.equal(1);
        });

        it("refuses while the writer in the other region answers and serves: no detach, the reason names the switchover", async () => {
            const topology = await fresh();
            await healthy(topology);
            const commands: string[] = [];
            const result = await invoke(topology, clientsFor(true, commands), BREAK_GLASS);
            expect(result.outcome).to.equal("refused");
            expect(result.message).to.match(/answers and is serving.*two writers.*--action switchover/);
            expect(commands).to.not.include("RemoveFromGlobalClusterCommand");
            expect((await endState(topology)).drRole).to.equal("secondary");
        });

        it("aftercare: one read and no page while nothing is open; then fences the old writer once it answers, re-fences it when undone, and closes when it is retired", async () => {
            const topology = await fresh();
            const quiet = await invoke(topology, clientsFor(true), aftercareEvent(topology, new Date(clock.now()).toISOString()));
            expect(quiet.outcome).to.equal("aftercare");
            expect(quiet.message).to.equal("aftercare: nothing open");
            expect((await endState(topology)).messages).to.deep.equal([]);

            await invoke(topology, clientsFor(false), BREAK_GLASS, { requestId: "req-bg" });
            await endState(topology); // drains the break-glass messages
            // Still down: another failed attempt, paged.
            clock.advance(5 * 60_000);
            const down = await invoke(topology, clientsFor(false), aftercareEvent(topology, new Date(clock.now()).toISOString()));
            expect(down.message).to.match(/could not be fenced/);
            const firstLines = async () => (await endState(topology)).messages.map((m) => m.split("\n")[0]!);
            expect(await firstLines())
                .to.have.length(1)
                .and.to.match(/is not fenced/);
            expect((await breakGlassState(topology)).obligation).to.deep.include({ state: "pending", attempts: 2 });

            // The primary region answers again: fenced (ingress revoked, parameter set, instances rebooted after both).
            clock.advance(5 * 60_000);
            const commands: string[] = [];
            const back = await invoke(topology, clientsFor(true, commands), aftercareEvent(topology, new Date(clock.now()).toISOString()));
            expect(back.message, back.message).to.match(
                /is fenced: revoked 1 ingress permission.*set default_transaction_read_only = 1.*rebooted 1 instance/,
            );
            expect(commands.filter((c) => c === "RebootDBInstanceCommand")).to.have.length(1);
            expect(back.message).to.match(/paged: \[dev\] fenced: hdr-dev-aurora-eu-west-2/);
            let state = await breakGlassState(topology);
            expect(state).to.deep.include({ peerIngress: 0, peerParameter: "1" });
            expect(state.obligation).to.deep.include({ state: "fenced", attempts: 3 });

            // Still fenced: verified, nothing changed, nobody paged.
            clock.advance(5 * 60_000);
            const again = await invoke(topology, clientsFor(true, commands), aftercareEvent(topology, new Date(clock.now()).toISOString()));
            expect(again.message)
                .to.match(/is still fenced/)
                .and.not.to.match(/paged/);
            expect(commands.filter((c) => c === "RebootDBInstanceCommand")).to.have.length(1);

            // A deploy puts the ingress back: revoked again, rebooted again, paged.
            await ec2(config.primaryRegion).send(
                new AuthorizeSecurityGroupIngressCommand({
                    GroupId: topology.cells.primary.securityGroupId,
                    IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "10.30.0.0/16" }] }],
                }),
            );
            clock.advance(5 * 60_000);
            const redone = await invoke(
                topology,
                clientsFor(true, commands),
                aftercareEvent(topology, new Date(clock.now()).toISOString()),
            );
            expect(redone.message).to.match(/FENCE UNDONE and redone/);
            expect(commands.filter((c) => c === "RebootDBInstanceCommand")).to.have.length(2);
            state = await breakGlassState(topology);
            expect(state.peerIngress).to.equal(0);

            // The rebuild retires the old cluster: the obligation is closed, and the schedule is quiet again.
            const rds = new RDSClient({ region: config.primaryRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
            const oldId = topology.primaryClusterArn.split(":").pop()!;
            await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${oldId}-1` }));
            await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: oldId, SkipFinalSnapshot: true }));
            clock.advance(5 * 60_000);
            const closed = await invoke(topology, clientsFor(true), aftercareEvent(topology, new Date(clock.now()).toISOString()));
            expect(closed.message).to.match(/no longer exists: the fence obligation is closed/);
            expect(((await breakGlassState(topology)).obligation as FenceObligation).state).to.equal("closed");
            expect(closed.message).to.match(/paged: \[dev\] fence obligation closed/);
            const last = await invoke(topology, clientsFor(true), aftercareEvent(topology, new Date(clock.now()).toISOString()));
            expect(last.message).to.equal("aftercare: nothing open");
        });

        describe("a crash after each step is resumed by the next run", () => {
            // After each step that writes (the lock, the detach, the secret, the pointers, the fence obligation, the final
            // message); the drill's crash-resume kills the bundled function after every single write.
            for (const step of BREAK_GLASS_STEPS.filter((s) => ["lock", "detach", "secret", "repoint", "fence", "notify"].includes(s))) {
                it(`crash after ${step}: exactly one detach, the secret and the pointers at the DR cluster, the fence owned by aftercare`, async () => {
                    const topology = await fresh();
                    const commands: string[] = [];
                    await crashAfter(step, topology, clientsFor(false, commands), BREAK_GLASS, { requestId: "req-crashed" });
                    clock.advance(10 * 60_000);
                    const rerun = await invoke(topology, clientsFor(false, commands), BREAK_GLASS, { requestId: "req-next" });
                    expect(rerun.outcome, rerun.message).to.equal("completed");
                    expect(commands.filter((c) => c === "RemoveFromGlobalClusterCommand")).to.have.length(
                        step === "assess" || step === "lock" || step === "notify-start" ? 1 : 1,
                    );
                    const state = await endState(topology);
                    expect(state).to.deep.include({
                        drRole: "standalone",
                        record: normalise(topology.drEndpoint),
                        activeRegion: config.drRegion,
                    });
                    let after = await breakGlassState(topology);
                    expect(after.secret["host"]).to.equal(topology.drEndpoint);
                    expect(after.obligation?.state).to.equal("pending");
                    // The old region answers again: the schedule fences it.
                    clock.advance(5 * 60_000);
                    await invoke(topology, clientsFor(true), aftercareEvent(topology, new Date(clock.now()).toISOString()));
                    after = await breakGlassState(topology);
                    expect(after).to.deep.include({ peerIngress: 0, peerParameter: "1" });
                    expect(after.obligation?.state).to.equal("fenced");
                });
            }
        });
    });

    describe("the topology each test starts from (freshTopology: built once per server, then restored from moto's snapshot)", () => {
        /** What the orchestrators read of a topology: both regions' parameters, the global database, record, lock items. */
        async function world(topology: Topology) {
            const parameters = async (region: string) => {
                const ssm = new SSMClient({ region, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
                const found: Record<string, string> = {};
                for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: "/", Recursive: true })) {
                    for (const p of page.Parameters ?? []) {
                        found[p.Name!] = `${p.Type} ${p.Value} v${p.Version}`;
                    }
                }
                return found;
            };
            const lockItems = async (region: string) =>
                (
                    await new DynamoDBClient({ region, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                        new ScanCommand({ TableName: topology.lockTable }),
                    )
                ).Items;
            const global = await new RDSClient({ region: config.drRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: topology.globalClusterId }),
            );
            return {
                parameters: { primary: await parameters(config.primaryRegion), dr: await parameters(config.drRegion) },
                members: global.GlobalClusters![0]!.GlobalClusterMembers!.map(
                    (m) => `${m.DBClusterArn} ${m.IsWriter === true ? "writer" : "reader"}`,
                ),
                record: await readRecord(clientsFor(true).route53(), topology.hostedZoneId, topology.recordName),
                locks: { primary: await lockItems(config.primaryRegion), dr: await lockItems(config.drRegion) },
            };
        }

        it("a restore gives back the topology as built, ids included, and nothing a test did to it since", async () => {
            // Options no other test uses: the first call builds (and snapshots), the second restores.
            const options = { recordTtl: 17, application: false } as const;
            const built = await fresh(options);
            const asBuilt = await world(built);
            expect(asBuilt.parameters.dr[activeRegionParameterName(config.environment)]).to.equal(`String ${config.primaryRegion} v1`);
            expect(asBuilt.record).to.equal(normalise(built.primaryEndpoint));

            // What a test does to its topology: a failover, a pointer moved, a lock taken.
            await invoke(built, clientsFor(false), FAILOVER, { requestId: "req-changes" });
            await new SSMClient({ region: config.primaryRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                new PutParameterCommand({ Name: "/a/test/parameter", Value: "left behind", Type: "String" }),
            );
            await new DynamoDBClient({ region: config.primaryRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                new PutItemCommand({ TableName: built.lockTable, Item: { lockId: { S: "left-behind" } } }),
            );
            const changed = await world(built);
            expect(changed, "the test changed the topology").to.not.deep.equal(asBuilt);
            expect(changed.record).to.equal(normalise(built.drEndpoint));

            const restored = await fresh(options);
            expect(restored).to.deep.equal(built);
            expect(await world(restored)).to.deep.equal(asBuilt);
        });

        it("a restored application tier answers on new local servers, and each region's check-url parameter names its own", async () => {
            const options = { recordTtl: 19 } as const;
            const built = await fresh(options);
            expect(built.application, "the dev stack configures an application tier").to.not.equal(undefined);
            await Promise.all((["primary", "dr"] as const).map((side) => built.cells[side].application!.server.close()));
            const restored = await fresh(options);
            const withoutServers = (t: Topology) =>
                (["primary", "dr"] as const).map((side) => {
                    const { server: _server, parameters, ...application } = t.cells[side].application!;
                    const { [APPLICATION_PARAMETERS.checkUrl]: _url, ...others } = parameters;
                    return { ...t.cells[side], application: { ...application, parameters: others } };
                });
            expect(withoutServers(restored)).to.deep.equal(withoutServers(built));
            for (const side of ["primary", "dr"] as const) {
                const { server, parameters } = restored.cells[side].application!;
                expect(server.url).to.not.equal(built.cells[side].application!.server.url);
                expect((await fetch(server.url)).status, `${side}'s new server answers`).to.equal(200);
                expect(parameters[APPLICATION_PARAMETERS.checkUrl]).to.equal(server.url);
                const ssm = clientsFor(true).ssm(restored.cells[side].region);
                expect(
                    await readParameter(ssm, `${failoverParameterPath(config.environment)}/${APPLICATION_PARAMETERS.checkUrl}`),
                ).to.equal(server.url);
            }
            await Promise.all((["primary", "dr"] as const).map((side) => restored.cells[side].application!.server.close()));
        });

        it("restoring a snapshot the server does not hold fails, naming it", async () => {
            let failed: unknown;
            await moto.restore("never-taken").catch((error: unknown) => (failed = error));
            expect(String(failed)).to.match(/restore never-taken: 404 no snapshot named 'never-taken'/);
        });
    });
});
