/**
 * The orchestrator under injected faults: the real handler (in this process, or the bundled function in a child
 * process killed at an exact call) against moto, with every AWS call going through the fault proxy
 * (orchestrator/local/faultProxy.ts), which drops answers after the call took effect, hangs, answers 5xx, rewrites
 * statuses and kills. Each case is one the fault-injection review found, and the properties asserted are always the
 * same: no failover of a healthy primary, no double promotion, no pointer towards a cluster that is not the writer,
 * and every started run finished.
 */
import { DisableKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { RDSClient, RemoveFromGlobalClusterCommand } from "@aws-sdk/client-rds";
import { expect } from "chai";
import { parseStackConfig, type StackConfig } from "../config";
import { activeRegionParameterName, confirmationOf, failoverParameterPath, LOCK_LEASE_SECONDS } from "../lib/failover";
import { orchestratorPolicy } from "../lib/failoverPolicy";
import { applicationClusterName, applicationServiceName } from "../lib/application";
import { actionsOf } from "../lib/iam";
import { runUntilKilled } from "../orchestrator/local/childRun";
import { VirtualClock } from "../orchestrator/local/virtualClock";
import { startFaultProxy, type FaultProxy, type FaultRule } from "../orchestrator/local/faultProxy";
import type { MotoServer } from "../orchestrator/local/moto";
import {
    freshTopology,
    drainQueue,
    MOTO_CREDENTIALS,
    pointersAt,
    publishPairMetrics,
    type Side,
    type Topology,
} from "../orchestrator/local/topology";
import { createClients } from "../orchestrator/src/clients";
import { createHandler } from "../orchestrator/src/handler";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { aftercareEvent, beaconEvent, promotions as acceptedPromotions, replicationLagAlarmEvent } from "../tools/drill";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { readStackFile, stackFilePath } from "./harness/program";
import { requireMoto, sharedMoto } from "./harness/moto";

function devConfig(): StackConfig {
    const parsed = parseStackConfig(readStackFile(stackFilePath("dev")), "dev");
    if (!parsed.ok) {
        throw new Error(JSON.stringify(parsed.issues));
    }
    return parsed.config;
}

describe("FailoverOrchestrator under injected faults", function () {
    this.timeout(60_000);
    const config = devConfig();
    let moto: MotoServer;
    let proxy: FaultProxy;
    let topology: Topology;
    let clock: VirtualClock;

    before(async function () {
        requireMoto(this);
        moto = await sharedMoto();
        proxy = await startFaultProxy(moto.url, { seed: 42 });
    });
    after(async () => {
        await proxy?.close();
    });
    beforeEach(async () => {
        proxy.reset();
        clock = new VirtualClock();
        topology = await freshTopology(moto, config);
    });

    const PRIMARY_DOWN: FaultRule = { region: config.primaryRegion, fault: { kind: "refuse" } };
    const FAILOVER = {
        stack: config.stack,
        action: "failover",
        targetRegion: config.drRegion,
        confirm: confirmationOf(config.stack, "failover", config.drRegion),
    };

    const BREAK_GLASS_REQUEST = {
        stack: config.stack,
        action: "break-glass",
        targetRegion: config.drRegion,
        confirm: confirmationOf(config.stack, "break-glass", config.drRegion),
    };

    /**
     * SDK timeouts: relaxed enough that a slow answer on a busy machine is never read as an outage (which would turn a
     * healthy-primary case into a failover), and short ones only for the cases that hang on purpose.
     */
    const RELAXED = { probeTimeoutMs: 3_000, requestTimeoutMs: 5_000 };
    const SHORT = { probeTimeoutMs: 250, requestTimeoutMs: 1_500 };

    /** The real handler, every call through the proxy, with short SDK timeouts so that hangs are cut quickly. */
    function invoke(
        event: unknown = replicationLagAlarmEvent(topology, new Date(clock.now() - 5_000).toISOString()),
        requestId = "req-1",
        at = clock,
        timeouts: { probeTimeoutMs: number; requestTimeoutMs: number } = RELAXED,
        side: Side = "dr",
    ) {
        const handler = createHandler({
            // The DR region's function unless told otherwise: each region runs its own.
            env: topology.cells[side].lambdaEnv,
            clients: createClients({ endpointFor: () => proxy.url, credentials: MOTO_CREDENTIALS, ...timeouts, maxAttempts: 2 }),
            now: at.now,
            sleep: at.sleep,
            logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
            metric: () => undefined,
        });
        const started = at.now();
        return handler(event, { awsRequestId: requestId, getRemainingTimeInMillis: () => 900_000 - (at.now() - started) });
    }

    async function outcome(promise: Promise<RunResult>): Promise<string> {
        try {
            return (await promise).outcome;
        } catch (error) {
            return `threw ${(error as Error).name}: ${(error as Error).message}`;
        }
    }

    const promotions = () => acceptedPromotions(proxy);
    const pointers = () => pointersAt(moto.url, topology);

    const messages = () => drainQueue(moto.url, config.drRegion, topology.cells.dr.queueUrl);
    /** The first line of each message published: its summary. */
    const summaries = async () => (await messages()).map((m) => m.split("\n")[0]!);
    const healthy = () => publishPairMetrics(moto.url, topology, { now: clock.now() });

    describe("a healthy primary is never failed over", () => {
        const cases: [string, () => Promise<void> | void][] = [
            [
                "two failed probe attempts (the primary's RDS API refuses twice, then answers)",
                async () => {
                    await healthy();
                    proxy.setRules([{ service: "rds", region: config.primaryRegion, times: 2, fault: { kind: "refuse" } }]);
                },
            ],
            [
                "two 5xx answers from the primary's RDS API",
                async () => {
                    await healthy();
                    proxy.setRules([
                        {
                            service: "rds",
                            region: config.primaryRegion,
                            times: 2,
                            fault: { kind: "error", status: 503, code: "ServiceUnavailable" },
                        },
                    ]);
                },
            ],
            // Transitional statuses are not failures, even with replication stopped.
            ...(["failing-over", "update-iam-db-auth"] as const).map((status): [string, () => Promise<void>] => [
                `a primary in ${status}, replication stopped`,
                async () => {
                    await publishPairMetrics(moto.url, topology, { now: clock.now(), lagMs: 600_000 });
                    proxy.setRules([
                        {
                            service: "rds",
                            region: config.primaryRegion,
                            action: "DescribeDBClusters",
                            fault: {
                                kind: "rewrite",
                                replace: (b) => b.replace("<Status>available</Status>", `<Status>${status}</Status>`),
                            },
                        },
                    ]);
                },
            ]),
            [
                "a 50% flaky network to the primary region",
                async () => {
                    await healthy();
                    proxy.setRules([{ region: config.primaryRegion, probability: 0.5, fault: { kind: "refuse" } }]);
                },
            ],
            [
                "a fault on the DR side (its NAT): neither the primary region nor Route 53 answer, replication data missing",
                () => proxy.setRules([PRIMARY_DOWN, { service: "route53", fault: { kind: "refuse" } }]),
            ],
            [
                "the primary region's CloudWatch not answering while its RDS API answers and replication lags",
                async () => {
                    await publishPairMetrics(moto.url, topology, { now: clock.now(), lagMs: 600_000, primary: false });
                    proxy.setRules([{ service: "monitoring", region: config.primaryRegion, fault: { kind: "refuse" } }]);
                },
            ],
            ["both metrics missing (CloudWatch's own delay) while the primary's RDS API answers", () => undefined],
            [
                "the lag alarm alone: replication slow while the primary serves",
                () => publishPairMetrics(moto.url, topology, { now: clock.now(), lagMs: 600_000 }),
            ],
        ];
        for (const [what, arrange] of cases) {
            it(`${what}: refused, no promotion, pointers unchanged, on-call told`, async () => {
                await arrange();
                expect(await outcome(invoke())).to.equal("refused");
                expect(promotions()).to.equal(0);
                expect(proxy.count({ action: /^(ChangeResourceRecordSets|PutParameter)$/ })).to.equal(0);
                expect(await pointers()).to.equal("primary");
                const sent = await summaries();
                expect(sent).to.have.length(1);
                expect(sent[0]).to.match(/^not failing over: [012] of 3 signals say the writer in eu-west-2 is down/);
            });
        }
    });

    describe("the brain is never split", () => {
        it("a detached DR cluster is never pointed at, while the primary is healthy or when forced", async () => {
            await healthy();
            await new RDSClient({ region: config.drRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                new RemoveFromGlobalClusterCommand({
                    GlobalClusterIdentifier: topology.globalClusterId,
                    DbClusterIdentifier: topology.drClusterArn,
                }),
            );
            expect(await outcome(invoke())).to.equal("refused");
            expect(await outcome(invoke({ ...FAILOVER, force: true }, "req-2"))).to.equal("refused");
            expect(await pointers()).to.equal("primary");
            expect(proxy.count({ action: /^(ChangeResourceRecordSets|PutParameter|RemoveFromGlobalCluster)$/ })).to.equal(0);
        });

        it("when AWS refuses the managed failover, nothing is detached and nothing repointed; the run fails loudly", async () => {
            proxy.setRules([
                PRIMARY_DOWN,
                {
                    service: "rds",
                    action: "FailoverGlobalCluster",
                    fault: { kind: "error", status: 400, code: "InvalidGlobalClusterStateFault", message: "drill" },
                },
            ]);
            // Returned as failed, not thrown: a Lambda retry of the same event would only be refused again.
            const result = await invoke();
            expect(result.outcome).to.equal("failed");
            expect(result.message).to.match(/failed at act: InvalidGlobalClusterStateFault.*never detaches on its own/);
            expect(proxy.count({ action: "RemoveFromGlobalCluster" })).to.equal(0);
            expect(await pointers()).to.equal("primary");
            const sent = await summaries();
            expect(sent).to.have.length(2);
            expect(sent[0]).to.match(/^unplanned failover: 2 of 3 signals/);
            expect(sent[1]).to.match(/^failover to eu-west-1 failed at act: InvalidGlobalClusterStateFault/);
        });
    });

    describe("a DR region that is not ready is not promoted", () => {
        const cases: [string, () => Promise<void> | void, RegExp][] = [
            [
                "the DR cluster modifying",
                () =>
                    proxy.addRule({
                        service: "rds",
                        region: config.drRegion,
                        action: "DescribeDBClusters",
                        fault: { kind: "rewrite", replace: (b) => b.replace("<Status>available</Status>", "<Status>modifying</Status>") },
                    }),
                /modifying, not available/,
            ],
            [
                "the DR cluster's key disabled",
                async () => {
                    await new KMSClient({ region: config.drRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                        new DisableKeyCommand({ KeyId: topology.cells.dr.keyId }),
                    );
                },
                /KMS key is Disabled/,
            ],
        ];
        for (const [what, arrange, reason] of cases) {
            it(`${what}: refused with the reason, nothing changed`, async () => {
                proxy.setRules([PRIMARY_DOWN]);
                await arrange();
                const result = await invoke();
                expect(result.outcome).to.equal("refused");
                expect(result.message).to.match(reason);
                expect(promotions()).to.equal(0);
                expect(await pointers()).to.equal("primary");
            });
        }
    });

    describe("deadlines fire", () => {
        it("a primary RDS API that accepts the connection and never answers is cut at the call timeout: the failover goes on", async () => {
            proxy.setRules([{ region: config.primaryRegion, fault: { kind: "hang" } }]);
            const started = Date.now();
            expect(await outcome(invoke(undefined, "req-1", clock, SHORT))).to.equal("completed");
            expect(Date.now() - started, "real time, with the SDK throwing on its request timeout").to.be.below(20_000);
            expect(promotions()).to.equal(1);
            expect(await pointers()).to.equal("dr");
        });

        it("a hung Route 53 change fails the run at its deadline, loudly, within the function's time; a re-run finishes", async () => {
            proxy.setRules([PRIMARY_DOWN, { service: "route53", action: "ChangeResourceRecordSets", times: 2, fault: { kind: "hang" } }]);
            const started = Date.now();
            expect(await outcome(invoke(undefined, "req-1", clock, SHORT))).to.match(/^threw OrchestrationError: .*failed at repoint/);
            expect(Date.now() - started).to.be.below(20_000);
            expect((await summaries()).some((m) => m.startsWith(`failover to ${config.drRegion} failed at repoint`))).to.be.true;
            // The next invocation resumes after act: no second promotion.
            expect(await outcome(invoke(undefined, "req-2"))).to.equal("completed");
            expect(promotions()).to.equal(1);
            expect(await pointers()).to.equal("dr");
        });
    });

    describe("lost answers", () => {
        it("the lock's write took effect but its answer was lost: the run holds the lock (read back), it does not lock itself out", async () => {
            proxy.setRules([PRIMARY_DOWN, { service: "dynamodb", action: "PutItem", times: 1, fault: { kind: "drop-response" } }]);
            expect(await outcome(invoke())).to.equal("completed");
            expect(promotions()).to.equal(1);
        });

        it("the failover call took effect but its answer was lost: it is read back, never sent twice", async () => {
            proxy.setRules([PRIMARY_DOWN, { service: "rds", action: "FailoverGlobalCluster", fault: { kind: "drop-response" } }]);
            expect(await outcome(invoke())).to.equal("completed");
            expect(proxy.count({ action: "FailoverGlobalCluster" })).to.equal(1);
            expect(await pointers()).to.equal("dr");
        });

        it("a notification whose answer was lost is not sent again: one started and one completed message", async () => {
            proxy.setRules([PRIMARY_DOWN, { service: "sns", action: "Publish", fault: { kind: "drop-response" } }]);
            expect(await outcome(invoke())).to.equal("completed");
            const sent = await summaries();
            expect(sent).to.have.length(2);
            expect(sent[0]).to.match(/^unplanned failover: /);
            expect(sent[1]).to.equal(`failover to ${config.drRegion} completed (managed)`);
        });
    });

    describe("a process killed at a chosen call (the bundled function in a child process)", () => {
        const crashPoints: [string, FaultRule["action"]][] = [
            ["after the lock was taken", "PutItem"],
            ["after FailoverGlobalCluster took effect", "FailoverGlobalCluster"],
            ["after the pointers were written, before verify and notify", "PutParameter"],
        ];
        for (const [what, action] of crashPoints) {
            it(`killed ${what}: the next invocation finishes the run, one promotion, each message at most once`, async () => {
                proxy.setRules([PRIMARY_DOWN, { action, times: 1, fault: { kind: "kill", after: true } }]);
                const killed = await runUntilKilled(proxy, {
                    env: { ...topology.cells.dr.lambdaEnv, HDR_TEST_ENDPOINT_URL: proxy.url },
                    event: replicationLagAlarmEvent(topology, new Date().toISOString()),
                    requestId: "req-killed",
                    virtualClock: { offsetMs: 0 },
                });
                expect(killed.exit).to.equal("killed");
                proxy.setRules([PRIMARY_DOWN]);
                const later = new VirtualClock(10 * 60_000 + LOCK_LEASE_SECONDS * 1000);
                const rerun = await invoke(replicationLagAlarmEvent(topology, new Date(later.now()).toISOString()), "req-next", later);
                expect(rerun.outcome).to.equal("completed");
                expect(promotions()).to.equal(1);
                expect(await pointers()).to.equal("dr");
                const sent = await summaries();
                expect(sent.filter((m) => m.startsWith("unplanned failover")).length).to.be.at.most(1);
                expect(sent.filter((m) => / completed | failed at /.test(m))).to.deep.equal([
                    `failover to ${config.drRegion} completed (managed)`,
                ]);
            });
        }
    });

    describe("the other direction", () => {
        const FAILBACK = {
            stack: config.stack,
            action: "switchover",
            targetRegion: config.primaryRegion,
            confirm: confirmationOf(config.stack, "switchover", config.primaryRegion),
        };
        const homeMessages = async () =>
            (await drainQueue(moto.url, config.primaryRegion, topology.cells.primary.queueUrl)).map((m) => m.split("\n")[0]!);

        it("the bundled home function killed after SwitchoverGlobalCluster took effect: the next invocation finishes the failback", async () => {
            topology = await freshTopology(moto, config, { writer: "dr" });
            await publishPairMetrics(moto.url, topology, { now: clock.now(), writer: "dr" });
            proxy.setRules([{ action: "SwitchoverGlobalCluster", times: 1, fault: { kind: "kill", after: true } }]);
            const killed = await runUntilKilled(proxy, {
                env: { ...topology.cells.primary.lambdaEnv, HDR_TEST_ENDPOINT_URL: proxy.url },
                event: FAILBACK,
                requestId: "req-killed",
                virtualClock: { offsetMs: 0 },
            });
            expect(killed.exit).to.equal("killed");
            proxy.setRules([]);
            const later = new VirtualClock(10 * 60_000 + LOCK_LEASE_SECONDS * 1000);
            const rerun = await invoke(FAILBACK, "req-next", later, RELAXED, "primary");
            expect(rerun.outcome, rerun.message).to.equal("completed");
            // The switchover the killed run started is waited for, not started again.
            expect(rerun.timeline.find((s) => s.name === "act")?.outcome).to.equal("skipped");
            expect(proxy.count({ action: "SwitchoverGlobalCluster" })).to.equal(1);
            expect(proxy.count({ action: "FailoverGlobalCluster" })).to.equal(0);
            expect(await pointers()).to.equal("primary");
            expect((await homeMessages()).filter((m) => / completed /.test(m))).to.deep.equal([
                `switchover to ${config.primaryRegion} completed (managed)`,
            ]);
        });

        for (const withApplication of [false, true]) {
            it(`least privilege${withApplication ? " (the dev stack's application tier: its steps, the beacon and its aftercare too)" : " (a stack without an application tier)"}: each region's function calls only what its IAM policy allows, and the policy allows nothing the code never calls`, async () => {
                if (!withApplication) {
                    // The policy of a stack without the tier grants none of its actions, and the code calls none.
                    topology = await freshTopology(moto, config, { application: false });
                } else {
                    expect(topology.application, "the dev stack configures an application tier").to.not.equal(undefined);
                    // As in AWS, the home region's beacon recorded its capacity (its 2 ACU peak) before the outage, so the
                    // DR region's arrival raises its Aurora minimum (ModifyDBCluster) and aftercare restores it. Without
                    // the record there is no peak to raise to. Its calls are not counted here (both beacons are, below).
                    await publishPairMetrics(moto.url, topology, { now: clock.now() });
                    const tick = await invoke(
                        beaconEvent(topology, new Date(clock.now()).toISOString(), "primary"),
                        "beacon-0",
                        clock,
                        RELAXED,
                        "primary",
                    );
                    expect(tick.message).to.match(/capacity recorded: 2 tasks, peak 2 ACU/);
                    proxy.reset();
                }
                // A failover by the DR region's function, three invocations at once (the lock refuses the others)...
                proxy.setRules([PRIMARY_DOWN]);
                const forward = await Promise.all(
                    ["req-a", "req-b", "req-c"].map((id) => outcome(invoke(undefined, id, new VirtualClock()))),
                );
                expect(forward.filter((o) => o === "completed")).to.have.length(1);
                expect(forward, "a refusal by the lock (its counter is an UpdateItem)").to.include("locked");
                const byDr = proxy.calls.length;
                // ... then the failback by the home region's function, every region answering.
                proxy.setRules([]);
                await publishPairMetrics(moto.url, topology, { now: clock.now(), writer: "dr" });
                expect(await outcome(invoke(FAILBACK, "req-home", clock, RELAXED, "primary"))).to.equal("completed");
                const byHome = proxy.calls.length;
                // ... then a break-glass by the DR region's function while the home region is lost, and the aftercare
                // schedule once it answers: the fence, the lost writes of the managed failover (a copy of AWS's snapshot)
                // and of the break-glass (a snapshot of the fenced old writer, on the tick after the fence).
                proxy.setRules([PRIMARY_DOWN]);
                const glass = await invoke(BREAK_GLASS_REQUEST, "req-glass", clock);
                expect(glass.outcome, glass.message).to.equal("completed");
                proxy.setRules([]);
                for (const tick of ["req-care-1", "req-care-2"]) {
                    clock.advance(5 * 60_000);
                    const care = await invoke(aftercareEvent(topology, new Date(clock.now()).toISOString()), tick, clock);
                    expect(care.outcome, care.message).to.equal("aftercare");
                }
                const byGlass = proxy.calls.length;
                const appSlices: (readonly [Side, typeof proxy.calls])[] = [];
                if (withApplication) {
                    // The beacon in both regions, and the application aftercare (the scale-down, the Aurora restore).
                    const by = async (side: Side, work: () => Promise<unknown>) => {
                        const from = proxy.calls.length;
                        await work();
                        appSlices.push([side, proxy.calls.slice(from)] as const);
                    };
                    for (const side of ["dr", "primary"] as const) {
                        await by(side, async () => {
                            const tick = await invoke(
                                beaconEvent(topology, new Date(clock.now()).toISOString(), side),
                                `beacon-${side}`,
                                clock,
                                RELAXED,
                                side,
                            );
                            expect(tick.outcome, tick.message).to.equal("beacon");
                        });
                    }
                    clock.advance(3_600_000);
                    for (const side of ["dr", "primary"] as const) {
                        await by(side, () =>
                            invoke(
                                aftercareEvent(topology, new Date(clock.now()).toISOString(), side),
                                `req-care-app-${side}`,
                                clock,
                                RELAXED,
                                side,
                            ),
                        );
                    }
                    for (const action of [
                        "UpdateService",
                        "RegisterScalableTarget",
                        "ModifyDBCluster",
                        "PutMetricData",
                        "DescribeTargetHealth",
                    ]) {
                        expect(proxy.count({ action }), action).to.be.greaterThan(0);
                    }
                }
                expect(proxy.count({ action: "CopyDBClusterSnapshot" }), "the managed failover's lost writes").to.equal(1);
                expect(proxy.count({ action: "CreateDBClusterSnapshot" }), "the break-glass's lost writes").to.equal(1);
                const account = "123456789012";
                const policyOf = (side: Side) => {
                    const self = topology.cells[side];
                    const peer = topology.cells[side === "dr" ? "primary" : "dr"];
                    return orchestratorPolicy({
                        partition: "aws",
                        accountId: account,
                        region: self.region,
                        peerRegion: peer.region,
                        globalClusterArn: `arn:aws:rds::${account}:global-cluster:${topology.globalClusterId}`,
                        clusterArn: self.clusterArn,
                        clusterIdentifier: self.clusterArn.split(":").pop()!,
                        peerClusterArn: peer.clusterArn,
                        hostedZoneId: topology.hostedZoneId,
                        recordName: topology.recordName,
                        parameterPath: failoverParameterPath(config.environment),
                        activeRegionParameter: activeRegionParameterName(config.environment),
                        lockTableArn: `arn:aws:dynamodb:${self.region}:${account}:table/${topology.lockTable}`,
                        deadLetterQueueArn: `arn:aws:sqs:${self.region}:${account}:dlq`,
                        logGroupArn: `arn:aws:logs:${self.region}:${account}:log-group:/aws/lambda/f`,
                        kmsKeyArn: `arn:aws:kms:${self.region}:${account}:key/${self.keyId}`,
                        topicArns: [self.topicArn],
                        secretArn: self.secretArn,
                        peerClusterIdentifier: peer.clusterArn.split(":").pop()!,
                        peerSecurityGroupId: peer.securityGroupId,
                        peerClusterParameterGroupName: peer.clusterParameterGroup,
                        peerKmsKeyArn: peer.keyArn,
                        runsTableArn: `arn:aws:dynamodb:${self.region}:${account}:table/${topology.runsTable}`,
                        reportBucketArn: `arn:aws:s3:::${self.reportBucket}`,
                        ...(topology.application !== undefined
                            ? {
                                  application: {
                                      clusterName: applicationClusterName(config.stack),
                                      serviceName: applicationServiceName(config.stack),
                                      peerLockTableArn: `arn:aws:dynamodb:${peer.region}:${account}:table/${topology.lockTable}`,
                                  },
                              }
                            : {}),
                    });
                };
                // SigV4 signing names that are not IAM prefixes.
                const iamAction = (service: string, action: string) => `${service === "monitoring" ? "cloudwatch" : service}:${action}`;
                const regionOf = (arn: string) => arn.split(":")[3] ?? "";
                const calledByEither = new Set<string>();
                for (const [side, calls] of [
                    ["dr", proxy.calls.slice(0, byDr)],
                    ["primary", proxy.calls.slice(byDr, byHome)],
                    ["dr", proxy.calls.slice(byHome, byGlass)],
                    ...appSlices,
                ] as const) {
                    const statements = policyOf(side).Statement;
                    const called = new Set<string>();
                    for (const call of calls) {
                        const action = iamAction(call.service, call.action);
                        called.add(action);
                        calledByEither.add(action);
                        // Allowed: a statement names the action on a resource in the call's region, a global resource (Route 53,
                        // the global cluster), or "*".
                        const allowed = statements.some(
                            (s) =>
                                actionsOf(s).includes(action) &&
                                (s.Resource === "*" ||
                                    [s.Resource ?? []].flat().some((arn) => regionOf(arn) === "" || regionOf(arn) === call.region)),
                        );
                        expect(allowed, `the ${side} function called ${action} in ${call.region}`).to.be.true;
                    }
                    // Each run promotes; a beacon tick or an aftercare run never does.
                    expect(
                        ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster", "rds:RemoveFromGlobalCluster"].some((a) =>
                            called.has(a),
                        ),
                        side,
                    ).to.equal(!appSlices.some(([, slice]) => slice === calls));
                }
                // Nothing more: every action either policy grants was called by one function or the other (the two policies
                // grant the same actions, each on its own region's resources). What Lambda, SQS and SNS use on the function's
                // behalf (its logs, network interfaces, dead-letter queue, encrypted environment) is not called by the code.
                // RDS uses kms:CreateGrant and kms:DescribeKey of the key a snapshot is copied with, and
                // rds:AddTagsToResource for the tags given at creation: granted to the caller, never called by it.
                const onItsBehalf =
                    /^logs:|^ec2:(CreateNetworkInterface|DescribeNetworkInterfaces|DescribeSubnets|DeleteNetworkInterface|AssignPrivateIpAddresses|UnassignPrivateIpAddresses)$|^sqs:SendMessage$|^kms:(Decrypt|GenerateDataKey|CreateGrant)$|^rds:AddTagsToResource$/;
                for (const side of ["dr", "primary"] as const) {
                    const granted = policyOf(side)
                        .Statement.flatMap((s) => [...actionsOf(s)])
                        .filter((a) => !onItsBehalf.test(a));
                    expect(
                        granted.filter((a) => !calledByEither.has(a)),
                        `granted to the ${side} function but never called`,
                    ).to.deep.equal([]);
                }
            });
        }
    });
    describe("break-glass, the bundled function killed", () => {
        // The two writes a blind repeat would do harm with: the detach, and the secret's new value.
        for (const action of ["RemoveFromGlobalCluster", "PutSecretValue"]) {
            it(`killed right after ${action} took effect: the next invocation finishes with exactly one detach, the secret and pointers at the DR cluster, and the schedule fences the old primary`, async () => {
                proxy.setRules([PRIMARY_DOWN, { action, times: 1, fault: { kind: "kill", after: true } }]);
                const killed = await runUntilKilled(proxy, {
                    env: { ...topology.cells.dr.lambdaEnv, HDR_TEST_ENDPOINT_URL: proxy.url },
                    event: BREAK_GLASS_REQUEST,
                    requestId: "req-killed",
                    virtualClock: { offsetMs: 0 },
                });
                expect(killed.exit).to.equal("killed");
                proxy.setRules([PRIMARY_DOWN]);
                const later = new VirtualClock(10 * 60_000 + LOCK_LEASE_SECONDS * 1000);
                const rerun = await invoke(BREAK_GLASS_REQUEST, "req-next", later);
                expect(rerun.outcome, rerun.message).to.equal("completed");
                expect(rerun.fence).to.equal("pending");
                expect(proxy.count({ action: "RemoveFromGlobalCluster" })).to.equal(1);
                expect(acceptedPromotions(proxy)).to.equal(0);
                expect(await pointers()).to.equal("dr");
                const secret = await new SecretsManagerClient({
                    endpoint: moto.url,
                    region: config.drRegion,
                    credentials: MOTO_CREDENTIALS,
                }).send(new GetSecretValueCommand({ SecretId: topology.cells.dr.secretArn }));
                expect(JSON.parse(secret.SecretString ?? "{}")).to.include({ host: topology.drEndpoint });
                // The old primary's region answers again: the next tick of the schedule fences it.
                proxy.setRules([]);
                later.advance(5 * 60_000);
                const fenced = await invoke(aftercareEvent(topology, new Date(later.now()).toISOString()), "req-schedule", later);
                expect(fenced.message).to.match(/is fenced: revoked 1 ingress permission/);
                expect(proxy.count({ action: "RevokeSecurityGroupIngress" })).to.equal(1);
                expect(proxy.count({ action: "RebootDBInstance" })).to.equal(1);
                expect(await pointers()).to.equal("dr");
            });
        }
    });
});
