/**
 * The orchestrator's application-tier runtime (orchestrator/src/application.ts, beacon.ts, applicationAftercare.ts):
 * the parameters' parsing and the pure decisions as tables, then against moto through the fault proxy: a failover
 * and a failback that raise the arriving region's capacity and move the traffic metrics, APPLICATION PENDING, the
 * beacon, the aftercare's scale-down and Aurora restore, and the faults (a lost UpdateService answer, a 5xx
 * DescribeTargetHealth, the bundled function killed after each application write).
 */
import { DescribeScalableTargetsCommand, ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { expect } from "chai";
import { parseStackConfig, type StackConfig } from "../config";
import { APPLICATION_METRICS, APPLICATION_PARAMETERS, applicationClusterName, applicationServiceName } from "../lib/application";
import { confirmationOf, LOCK_LEASE_SECONDS } from "../lib/failover";
import { APPLICATION_ACTIONS, orchestratorPolicy } from "../lib/failoverPolicy";
import { actionsOf } from "../lib/iam";
import { LOCAL_APPLICATION_DEFAULTS } from "../orchestrator/local/applicationTier";
import { runUntilKilled } from "../orchestrator/local/childRun";
import { startFaultProxy, type FaultProxy } from "../orchestrator/local/faultProxy";
import type { MotoServer } from "../orchestrator/local/moto";
import { VirtualClock } from "../orchestrator/local/virtualClock";
import { freshTopology, MOTO_CREDENTIALS, pointersAt, publishPairMetrics, type Side, type Topology } from "../orchestrator/local/topology";
import { applicationProblems, arrivalAcu, arrivalCount, beaconValues, capacityFromItem } from "../orchestrator/src/application";
import { createClients } from "../orchestrator/src/clients";
import { checkUrlProblem, ConfigurationError, parseApplicationConfig } from "../orchestrator/src/config";
import { parseEvent, scheduleOf } from "../orchestrator/src/events";
import { createHandler } from "../orchestrator/src/handler";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { aftercareEvent, beaconEvent } from "../tools/drill";
import { requireMoto, sharedMoto } from "./harness/moto";
import { readStackFile, stackFilePath } from "./harness/program";

function devConfig(): StackConfig {
    const parsed = parseStackConfig(readStackFile(stackFilePath("dev")), "dev");
    if (!parsed.ok) {
        throw new Error(JSON.stringify(parsed.issues));
    }
    return parsed.config;
}

const A = APPLICATION_PARAMETERS;
const VALID: Record<string, string> = {
    [A.cluster]: "hdr-dev-app",
    [A.service]: "hdr-dev-app",
    [A.targetGroupArn]: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/hdr-dev-app/0123456789abcdef",
    [A.checkUrl]: "https://hdr-dev-app-123.eu-west-1.elb.amazonaws.com/health",
    [A.host]: "app.dev.example.org",
    [A.activeCount]: "2",
    [A.standbyCount]: "1",
    [A.minCount]: "2",
    [A.maxCount]: "6",
    [A.dbMinCapacity]: "0.5",
    [A.dbMaxCapacity]: "4",
};

describe("the application tier's runtime", () => {
    describe("APPLICATION_PARAMETERS (all or none)", () => {
        it("parses the whole group, and none at all means no application tier", () => {
            expect(parseApplicationConfig(VALID, "/p")).to.include({ cluster: "hdr-dev-app", activeCount: 2, dbMinCapacity: 0.5 });
            expect(parseApplicationConfig({ other: "x" }, "/p")).to.equal(undefined);
        });
        it("refuses a partial group, naming every missing parameter", () => {
            const { [A.host]: _h, [A.maxCount]: _m, ...partial } = VALID;
            expect(() => parseApplicationConfig(partial, "/p"))
                .to.throw(ConfigurationError)
                .with.property("message")
                .that.matches(/\/p\/app-host is missing/)
                .and.matches(/\/p\/app-max-count is missing/);
        });
        const bad: [string, Record<string, string>, RegExp][] = [
            ["a count that is not a number", { [A.activeCount]: "two" }, /app-active-count: must be a whole number/],
            ["an ACU off the 0.5 grid", { [A.dbMaxCapacity]: "4.2" }, /db-max-capacity: must be a multiple of 0.5 ACU/],
            ["min above max", { [A.minCount]: "7" }, /app-min-count \(7\) must not exceed app-max-count \(6\)/],
            ["plain http to a public host", { [A.checkUrl]: "http://example.org/health" }, /app-check-url: must be an https URL/],
            ["a host that is not a DNS name", { [A.host]: "not a name" }, /app-host: must be a DNS name/],
        ];
        for (const [name, change, message] of bad) {
            it(`refuses ${name}`, () => {
                expect(() => parseApplicationConfig({ ...VALID, ...change }, "/p")).to.throw(ConfigurationError, message);
            });
        }
        it("allows plain http only to a loopback host (the local drill's stand-in for the ALB)", () => {
            expect(checkUrlProblem("http://127.0.0.1:8080/health")).to.equal(undefined);
            expect(checkUrlProblem("http://localhost:1/health")).to.equal(undefined);
            expect(checkUrlProblem("https://alb.example/health")).to.equal(undefined);
            expect(checkUrlProblem("http://10.0.0.1/health")).to.match(/https/);
            expect(checkUrlProblem("ftp://127.0.0.1/")).to.match(/https/);
        });
    });

    describe("the decisions (pure)", () => {
        it("arrives with the recorded count, at least the active count, at most the maximum", () => {
            const app = { activeCount: 2, maxCount: 6 };
            const rec = (runningCount: number) => ({ runningCount, auroraPeakAcu: 0, recordedAt: "t" });
            expect([undefined, rec(1), rec(4), rec(9)].map((r) => arrivalCount(app, r))).to.deep.equal([2, 2, 4, 6]);
        });
        it("raises Aurora to the recorded peak (rounded up to 0.5), never lowers it, never above the maximum", () => {
            const app = { dbMaxCapacity: 4 };
            expect([arrivalAcu(app, 0.5), arrivalAcu(app, 0.5, 2.2), arrivalAcu(app, 3, 1), arrivalAcu(app, 0.5, 16)]).to.deep.equal([
                0.5, 2.5, 3, 4,
            ]);
        });
        it("calls the application healthy only with its tasks running, a healthy target and a 2xx synthetic answer", () => {
            const ok = { runningCount: 2, desiredCount: 2, healthyTargets: 1, targets: 1, synthetic: { status: 200 }, errors: [] };
            expect(applicationProblems(ok, 2)).to.deep.equal([]);
            expect(applicationProblems({ ...ok, runningCount: 1 }, 2)).to.deep.equal(["1 of 2 tasks running"]);
            expect(applicationProblems({ ...ok, healthyTargets: 0 }, 2)[0]).to.match(/no healthy target/);
            expect(applicationProblems({ ...ok, synthetic: { status: 301 } }, 2)).to.deep.equal(["the synthetic request answered 301"]);
            expect(applicationProblems({ ...ok, synthetic: { error: "ECONNREFUSED" } }, 2)[0]).to.match(/no answer \(ECONNREFUSED\)/);
            expect(applicationProblems({ ...ok, errors: ["DescribeServices: Throttling"] }, 2)).to.have.length(1);
        });
        it("beacon: ready only when active, writer and healthy; the peer fenced whenever active", () => {
            expect(beaconValues({ active: true, writer: true, healthy: true })).to.deep.equal({ servingReady: 1, peerFenced: 1 });
            expect(beaconValues({ active: true, writer: true, healthy: false })).to.deep.equal({ servingReady: 0, peerFenced: 1 });
            expect(beaconValues({ active: true, writer: false, healthy: true })).to.deep.equal({ servingReady: 0, peerFenced: 1 });
            expect(beaconValues({ active: false, writer: true, healthy: true })).to.deep.equal({ servingReady: 0, peerFenced: 0 });
        });
        it("ignores a malformed capacity record (the configured counts apply)", () => {
            expect(capacityFromItem({ runningCount: { N: "3" }, auroraPeakAcu: { N: "2" }, recordedAt: { S: "t" } })).to.deep.equal({
                runningCount: 3,
                auroraPeakAcu: 2,
                recordedAt: "t",
            });
            expect(capacityFromItem({ runningCount: { N: "-1" }, auroraPeakAcu: { N: "2" }, recordedAt: { S: "t" } })).to.equal(undefined);
            expect(capacityFromItem(undefined)).to.equal(undefined);
        });
    });

    describe("the orchestrator's IAM statements for it (pure)", () => {
        const base = {
            partition: "aws",
            accountId: "123456789012",
            region: "eu-west-1",
            peerRegion: "eu-west-2",
            globalClusterArn: "arn:aws:rds::123456789012:global-cluster:g",
            clusterArn: "arn:aws:rds:eu-west-1:123456789012:cluster:c-dr",
            clusterIdentifier: "c-dr",
            peerClusterArn: "arn:aws:rds:eu-west-2:123456789012:cluster:c-p",
            hostedZoneId: "Z1",
            recordName: "writer.db",
            parameterPath: "/healthcare/dev/failover",
            activeRegionParameter: "/healthcare/dev/active-region",
            lockTableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/lock",
            deadLetterQueueArn: "arn:aws:sqs:eu-west-1:123456789012:dlq",
            logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f",
            kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
            topicArns: [],
            secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf",
            peerClusterIdentifier: "c-p",
            peerSecurityGroupId: "sg-0123456789abcdef0",
            peerClusterParameterGroupName: "pg",
            peerKmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/k2",
            runsTableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/runs",
            reportBucketArn: "arn:aws:s3:::reports",
        };
        const application = {
            clusterName: "hdr-dev-app",
            serviceName: "hdr-dev-app",
            peerLockTableArn: "arn:aws:dynamodb:eu-west-2:123456789012:table/lock",
        };
        it("grants none of the application actions to a stack without an application tier", () => {
            const granted = orchestratorPolicy(base).Statement.flatMap((s) => [...actionsOf(s)]);
            expect(
                granted.filter((a) =>
                    /^(ecs|application-autoscaling|elasticloadbalancing):|^cloudwatch:PutMetricData$|^rds:ModifyDBCluster$/.test(a),
                ),
            ).to.deep.equal([]);
        });
        it("scopes each application action to its resources, `*` only where AWS has no resource-level permission", () => {
            const statements = orchestratorPolicy({ ...base, application }).Statement;
            const of = (action: string) => statements.filter((s) => actionsOf(s).includes(action));
            expect(of("ecs:UpdateService").flatMap((s) => [s.Resource].flat())).to.deep.equal([
                "arn:aws:ecs:eu-west-1:123456789012:service/hdr-dev-app/hdr-dev-app",
                "arn:aws:ecs:eu-west-2:123456789012:service/hdr-dev-app/hdr-dev-app",
            ]);
            expect(of("rds:ModifyDBCluster").flatMap((s) => [s.Resource].flat())).to.deep.equal([base.clusterArn]);
            expect(of("cloudwatch:PutMetricData")[0]).to.deep.include({
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": APPLICATION_METRICS.namespace } },
            });
            expect(of("application-autoscaling:RegisterScalableTarget").flatMap((s) => [s.Resource].flat())).to.deep.equal([
                "arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/*",
                "arn:aws:application-autoscaling:eu-west-2:123456789012:scalable-target/*",
            ]);
            expect(of("dynamodb:PutItem").flatMap((s) => [s.Resource].flat())).to.include(application.peerLockTableArn);
            expect(of("dynamodb:GetItem").flatMap((s) => [s.Resource].flat())).to.not.include(application.peerLockTableArn);
            for (const action of APPLICATION_ACTIONS) {
                expect(of(action), action).to.not.be.empty;
            }
        });
    });

    describe("against moto", function () {
        this.timeout(60_000);
        const config = devConfig();
        let moto: MotoServer;
        let proxy: FaultProxy;
        let topology: Topology;
        let clock: VirtualClock;

        before(async function () {
            requireMoto(this);
            moto = await sharedMoto();
            proxy = await startFaultProxy(moto.url, { seed: 7 });
        });
        after(async () => {
            await proxy?.close();
        });
        beforeEach(async () => {
            proxy.reset();
            clock = new VirtualClock();
            topology = await freshTopology(moto, config, { application: LOCAL_APPLICATION_DEFAULTS });
        });
        afterEach(async () => {
            for (const side of ["primary", "dr"] as const) {
                await topology?.cells[side].application?.server.close();
            }
        });

        const PRIMARY_DOWN = { region: config.primaryRegion, fault: { kind: "refuse" } } as const;
        const request = (action: "failover" | "switchover", side: Side) => {
            const region = topology.cells[side].region;
            return {
                stack: config.stack,
                action,
                targetRegion: region,
                confirm: confirmationOf(config.stack, action, region),
                force: action === "failover",
            };
        };
        const at = () => new Date(clock.now()).toISOString();

        function invoke(event: unknown, requestId: string, side: Side = "dr"): Promise<RunResult> {
            const handler = createHandler({
                env: topology.cells[side].lambdaEnv,
                clients: createClients({
                    endpointFor: () => proxy.url,
                    credentials: MOTO_CREDENTIALS,
                    probeTimeoutMs: 3_000,
                    requestTimeoutMs: 5_000,
                    maxAttempts: 2,
                }),
                now: clock.now,
                sleep: clock.sleep,
                logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
                metric: () => undefined,
            });
            const started = clock.now();
            return handler(event, { awsRequestId: requestId, getRemainingTimeInMillis: () => 900_000 - (clock.now() - started) });
        }

        const direct = { endpoint: "", credentials: MOTO_CREDENTIALS };
        const service = async (side: Side) => {
            const out = await new ECSClient({ ...direct, endpoint: moto.url, region: topology.cells[side].region }).send(
                new DescribeServicesCommand({
                    cluster: applicationClusterName(config.stack),
                    services: [applicationServiceName(config.stack)],
                }),
            );
            return out.services![0]!.desiredCount;
        };
        const scalableMin = async (side: Side) => {
            const out = await new ApplicationAutoScalingClient({ ...direct, endpoint: moto.url, region: topology.cells[side].region }).send(
                new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs" }),
            );
            return out.ScalableTargets![0]!.MinCapacity;
        };
        const auroraMin = async (side: Side) => {
            const out = await new RDSClient({ ...direct, endpoint: moto.url, region: topology.cells[side].region }).send(
                new DescribeDBClustersCommand({ DBClusterIdentifier: topology.cells[side].clusterArn.split(":").pop()! }),
            );
            return out.DBClusters![0]!.ServerlessV2ScalingConfiguration?.MinCapacity;
        };
        /** The latest value of a traffic metric as published in `side`'s region. */
        const metric = async (side: Side, name: string, about: Side) => {
            const out = await new CloudWatchClient({ ...direct, endpoint: moto.url, region: topology.cells[side].region }).send(
                new GetMetricDataCommand({
                    StartTime: new Date(clock.now() - 3_600_000),
                    EndTime: new Date(clock.now() + 60_000),
                    ScanBy: "TimestampDescending",
                    MetricDataQueries: [
                        {
                            Id: "m",
                            MetricStat: {
                                Metric: {
                                    Namespace: APPLICATION_METRICS.namespace,
                                    MetricName: name,
                                    Dimensions: [
                                        { Name: "Stack", Value: config.stack },
                                        { Name: "Region", Value: topology.cells[about].region },
                                    ],
                                },
                                Period: 60,
                                Stat: "Maximum",
                            },
                        },
                    ],
                }),
            );
            return out.MetricDataResults?.[0]?.Values?.[0];
        };
        /** The primary, while active, runs 3 tasks and its beacon records them (and its capacity peak) in both regions. */
        async function primaryRecordsCapacity(): Promise<void> {
            await new ECSClient({ ...direct, endpoint: moto.url, region: config.primaryRegion }).send(
                new UpdateServiceCommand({
                    cluster: applicationClusterName(config.stack),
                    service: applicationServiceName(config.stack),
                    desiredCount: 3,
                }),
            );
            await publishPairMetrics(moto.url, topology, { now: clock.now() });
            const tick = await invoke(beaconEvent(topology, at(), "primary"), "beacon-primary", "primary");
            expect(tick.outcome, tick.message).to.equal("beacon");
            expect(tick.message).to.match(
                /ServingReady\{eu-west-2\}=1, PeerFenced\{eu-west-1\}=1.*capacity recorded: 3 tasks, peak 2 ACU, in eu-west-2 and in eu-west-1/,
            );
        }

        it("a failover raises the DR region's capacity before the promotion, waits for its application, then moves the traffic metrics", async () => {
            await primaryRecordsCapacity();
            expect([await service("dr"), await scalableMin("dr"), await auroraMin("dr")]).to.deep.equal([1, 1, 0.5]);
            proxy.setRules([PRIMARY_DOWN]);
            const result = await invoke(request("failover", "dr"), "req-1");
            expect(result.outcome, result.message).to.equal("completed");
            const order = ["lock", "notify-start", "capacity", "act", "wait-for-writer", "repoint", "application", "traffic", "verify"];
            expect(result.timeline.map((s) => s.name).filter((n) => order.includes(n))).to.deep.equal(order);
            expect(result.application?.state).to.equal("healthy");
            // The recorded 3 tasks (above desiredCount 2), autoscaling.min 2, the recorded 2 ACU peak.
            expect([await service("dr"), await scalableMin("dr"), await auroraMin("dr")]).to.deep.equal([3, 2, 2]);
            expect(await metric("dr", APPLICATION_METRICS.servingReady, "dr")).to.equal(1);
            expect(await metric("dr", APPLICATION_METRICS.peerFenced, "primary")).to.equal(1);
            expect(topology.cells.dr.application!.server.hosts).to.include(LOCAL_APPLICATION_DEFAULTS.domainName);
            expect(result.message).to.match(/The application answers in eu-west-1/);
            // Nothing was asked of the failed region but the probes and the best-effort active-region copy.
            expect(
                proxy.calls.filter(
                    (c) => c.region === config.primaryRegion && /UpdateService|RegisterScalableTarget|ModifyDBCluster/.test(c.action),
                ),
            ).to.deep.equal([]);
        });

        it("the DR application never answers: the data is recovered, the traffic is NOT moved, the run ends APPLICATION PENDING", async () => {
            topology.cells.dr.application!.server.setBehaviour("fail");
            proxy.setRules([PRIMARY_DOWN]);
            const result = await invoke(request("failover", "dr"), "req-1");
            expect(result.outcome, result.message).to.equal("completed");
            expect(result.message)
                .to.match(/APPLICATION PENDING/)
                .and.match(/the synthetic request answered 503/)
                .and.match(/Check: the ECS service/);
            expect(result.application?.state).to.equal("pending");
            expect(await pointersAt(moto.url, topology)).to.equal("dr");
            expect(await metric("dr", APPLICATION_METRICS.servingReady, "dr")).to.equal(0);
            // The application answers later: the next beacon tick moves the traffic.
            topology.cells.dr.application!.server.setBehaviour("ok");
            clock.advance(60_000);
            const tick = await invoke(beaconEvent(topology, at()), "beacon-dr");
            expect(tick.message).to.match(/ServingReady\{eu-west-1\}=1, PeerFenced\{eu-west-2\}=1/);
        });

        it("aftercare scales the old region down once traffic has left it, and restores the raised Aurora minimum after the hold", async () => {
            await primaryRecordsCapacity();
            proxy.setRules([PRIMARY_DOWN]);
            expect((await invoke(request("failover", "dr"), "req-1")).outcome).to.equal("completed");
            proxy.setRules([]);
            const care = async (id: string) => (await invoke(aftercareEvent(topology, at()), id)).message;
            expect(await care("care-0")).to.match(/standby-scale-down of eu-west-2 waits until/);
            clock.advance(5 * 60_000 + 1_000);
            expect(await care("care-1")).to.match(/standby-scale-down of eu-west-2: desiredCount 3 -> 1, scalable min 2 -> 1/);
            expect([await service("primary"), await scalableMin("primary")]).to.deep.equal([1, 1]);
            expect(await auroraMin("dr")).to.equal(2);
            clock.advance(3_600_000);
            expect(await care("care-2")).to.match(/db-capacity-restore: Aurora min 2 -> 0.5 ACU/);
            expect(await auroraMin("dr")).to.equal(0.5);
            expect(await care("care-3")).to.equal("aftercare: nothing open");
            expect(proxy.count({ action: "UpdateService", region: config.primaryRegion })).to.equal(1);
        });

        it("a failback reverses it: the home region's function raises its own capacity and the DR region is scaled down", async () => {
            proxy.setRules([PRIMARY_DOWN]);
            expect((await invoke(request("failover", "dr"), "req-1")).outcome).to.equal("completed");
            proxy.setRules([]);
            const dr = await invoke(beaconEvent(topology, at()), "beacon-dr");
            expect(dr.message).to.match(/capacity recorded: 2 tasks/);
            await publishPairMetrics(moto.url, topology, { now: clock.now(), writer: "dr" });
            const back = await invoke(request("switchover", "primary"), "req-home", "primary");
            expect(back.outcome, back.message).to.equal("completed");
            expect(back.application?.state).to.equal("healthy");
            expect(await metric("primary", APPLICATION_METRICS.servingReady, "primary")).to.equal(1);
            expect(await metric("primary", APPLICATION_METRICS.peerFenced, "dr")).to.equal(1);
            clock.advance(5 * 60_000 + 1_000);
            expect((await invoke(aftercareEvent(topology, at(), "primary"), "care-home", "primary")).message).to.match(
                /standby-scale-down of eu-west-1: desiredCount 2 -> 1/,
            );
            // The DR beacon now says it is not the active region.
            const tick = await invoke(beaconEvent(topology, at()), "beacon-dr-2");
            expect(tick.message).to.match(/ServingReady\{eu-west-1\}=0, PeerFenced\{eu-west-2\}=0/);
        });

        it("the beacon is admitted only from this stack's beacon rule, and only for a stack with an application tier", () => {
            const event = parseEvent(beaconEvent(topology, at()));
            if (event.kind !== "aftercare") {
                throw new Error(event.kind);
            }
            expect(scheduleOf(event, { stack: config.stack, application: parseApplicationConfig(VALID, "/p") })).to.equal("beacon");
            expect(scheduleOf(event, { stack: config.stack })).to.equal("aftercare");
        });

        it("without an application tier the beacon event is refused (it names no aftercare rule), and a run has no application steps", async () => {
            await Promise.all((["primary", "dr"] as const).map((s) => topology.cells[s].application?.server.close()));
            topology = await freshTopology(moto, config, { application: false });
            expect(topology.cells.dr.application).to.equal(undefined);
            let refused: unknown;
            await invoke(beaconEvent(topology, at()), "beacon").catch((error: unknown) => (refused = error));
            expect(String(refused)).to.match(/must name exactly this stack's aftercare rule/);
            proxy.setRules([PRIMARY_DOWN]);
            const result = await invoke(request("failover", "dr"), "req-1");
            expect(result.outcome, result.message).to.equal("completed");
            expect(result.timeline.map((s) => s.name)).to.not.include.members(["capacity", "application", "traffic"]);
            expect(result.application).to.equal(undefined);
        });

        describe("under faults", () => {
            it("a lost UpdateService answer is read back, never sent again", async () => {
                proxy.setRules([PRIMARY_DOWN, { service: "ecs", action: "UpdateService", times: 1, fault: { kind: "drop-response" } }]);
                const result = await invoke(request("failover", "dr"), "req-1");
                expect(result.outcome, result.message).to.equal("completed");
                expect(result.timeline.find((s) => s.name === "capacity")?.detail).to.match(
                    /desiredCount 1 -> 2 \(answered .*read back: it took effect\)/,
                );
                expect(proxy.count({ action: "UpdateService" })).to.equal(1);
                expect(await service("dr")).to.equal(2);
            });
            it("a 5xx DescribeTargetHealth is retried, and the application is still found healthy", async () => {
                proxy.setRules([
                    PRIMARY_DOWN,
                    { action: "DescribeTargetHealth", times: 1, fault: { kind: "error", status: 503, code: "ServiceUnavailable" } },
                ]);
                const result = await invoke(request("failover", "dr"), "req-1");
                expect(result.application?.state, result.message).to.equal("healthy");
                expect(proxy.count({ action: "DescribeTargetHealth", fault: "error" })).to.equal(1);
            });
            it("a capacity step that fails pages and never blocks the data recovery", async () => {
                proxy.setRules([
                    PRIMARY_DOWN,
                    { service: "ecs", region: config.drRegion, fault: { kind: "error", status: 400, code: "AccessDeniedException" } },
                ]);
                const result = await invoke(request("failover", "dr"), "req-1");
                expect(result.outcome, result.message).to.equal("completed");
                expect(await pointersAt(moto.url, topology)).to.equal("dr");
                expect(result.message).to.match(/CAPACITY NOT RAISED/);
                expect(
                    result.timeline
                        .filter((s) => s.name === "notify")
                        .map((s) => s.detail)
                        .join(" "),
                ).to.match(/CAPACITY NOT RAISED/);
            });
            for (const action of ["UpdateService", "RegisterScalableTarget", "ModifyDBCluster", "PutMetricData"]) {
                it(`the bundled function killed right after ${action} took effect: the next invocation finishes with exactly one ${action}`, async function () {
                    this.timeout(90_000);
                    await primaryRecordsCapacity();
                    proxy.reset();
                    const only = action === "ModifyDBCluster" ? { region: config.drRegion } : {};
                    proxy.setRules([PRIMARY_DOWN, { action, ...only, times: 1, fault: { kind: "kill", after: true } }]);
                    const killed = await runUntilKilled(proxy, {
                        env: { ...topology.cells.dr.lambdaEnv, HDR_TEST_ENDPOINT_URL: proxy.url },
                        event: request("failover", "dr"),
                        requestId: "req-killed",
                        virtualClock: { offsetMs: clock.now() - Date.now() },
                    });
                    expect(killed.exit).to.equal("killed");
                    proxy.setRules([PRIMARY_DOWN]);
                    clock.advance(LOCK_LEASE_SECONDS * 1000 + 60_000);
                    const rerun = await invoke(request("failover", "dr"), "req-next");
                    expect(rerun.outcome, rerun.message).to.equal("completed");
                    expect(rerun.application?.state).to.equal("healthy");
                    expect(proxy.count({ action, ...only })).to.equal(action === "PutMetricData" ? 2 : 1);
                    expect([await service("dr"), await scalableMin("dr"), await auroraMin("dr")]).to.deep.equal([3, 2, 2]);
                });
            }
        });
    });
});
