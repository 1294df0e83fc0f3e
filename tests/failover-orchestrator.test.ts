/**
 * The orchestrator's runtime code against mocked AWS SDK clients (aws-sdk-client-mock): every path, and every error
 * the calls can raise. A fake clock makes the bounded waits instant and deterministic.
 */
import {
    ConditionalCheckFailedException,
    DynamoDBClient,
    GetItemCommand,
    PutItemCommand,
    type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import {
    DBClusterNotFoundFault,
    DescribeDBClustersCommand,
    DescribeGlobalClustersCommand,
    FailoverGlobalClusterCommand,
    GlobalClusterNotFoundFault,
    InvalidDBClusterStateFault,
    InvalidGlobalClusterStateFault,
    RDSClient,
    RemoveFromGlobalClusterCommand,
    SwitchoverGlobalClusterCommand,
    type GlobalCluster,
} from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { expect } from "chai";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { FAILOVER_PARAMETERS, failoverParameterPath, orchestratorEnvironment } from "../lib/failover";
import { createClients } from "../orchestrator/src/clients";
import { ConfigurationError, parseRuntimeConfig } from "../orchestrator/src/config";
import { decide, type World } from "../orchestrator/src/decide";
import { isRefusal, isThrottling, isTransient } from "../orchestrator/src/errors";
import { InvalidEventError, parseEvent, type OrchestratorRequest } from "../orchestrator/src/events";
import { createHandler, type Handler } from "../orchestrator/src/handler";
import { fromItem, inherit, isHeld, toItem, type LockRecord } from "../orchestrator/src/lock";
import { backoffDelay, OrchestrationError, type RunResult } from "../orchestrator/src/orchestrate";

const ACCOUNT = "123456789012";
const GLOBAL = "hdr-dev-aurora";
const PRIMARY = { region: "eu-west-2", id: "hdr-dev-aurora-eu-west-2" };
const DR = { region: "eu-west-1", id: "hdr-dev-aurora-eu-west-1" };
const arnOf = (c: { region: string; id: string }) => `arn:aws:rds:${c.region}:${ACCOUNT}:cluster:${c.id}`;
const endpointOf = (c: { region: string; id: string }) => `${c.id}.cluster-abc.${c.region}.rds.amazonaws.com`;
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:hdr-dev-alerts`;
const RECORD = "writer.db.dev.healthcare.internal";
const ENV = { ...orchestratorEnvironment({ environment: "dev", lockTableName: "hdr-dev-failover-lock" }), AWS_REGION: "eu-west-1" };

// The stubs replace the clients' `send` on their prototypes, for every instance in the process: they are made in
// `before` and restored in `after`, never at load time, so that the moto integration tests get the real clients.
let rds: AwsClientStub<RDSClient>;
let route53: AwsClientStub<Route53Client>;
let ssm: AwsClientStub<SSMClient>;
let sns: AwsClientStub<SNSClient>;
let dynamodb: AwsClientStub<DynamoDBClient>;

function awsError<T extends Error>(error: T, status = 400): T {
    return Object.assign(error, { $metadata: { httpStatusCode: status } });
}
const throttling = () => awsError(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
const timeout = () => Object.assign(new Error("Connection timed out after 5000 ms"), { name: "TimeoutError" });
const refused = () => awsError(new InvalidGlobalClusterStateFault({ message: "engine versions differ", $metadata: {} }));

/** A simulated AWS world: who is the writer, what the pointers say, what the primary answers. */
interface Sim {
    drWriter: boolean;
    drMember: boolean;
    failoverState?: { Status: string; ToDbClusterArn: string };
    primary: "available" | "failed" | "unreachable" | "throttled" | "missing";
    record: string;
    activeRegion: string;
    /** DescribeGlobalClusters calls after which a started promotion completes; Infinity never completes. */
    promotionAfter: number;
    lock?: LockRecord;
    mode: "automatic" | "manual";
}

let sim: Sim;
let clock: number;

function globalCluster(): GlobalCluster {
    const members = [{ DBClusterArn: arnOf(PRIMARY), IsWriter: !sim.drWriter }];
    if (sim.drMember) {
        members.push({ DBClusterArn: arnOf(DR), IsWriter: sim.drWriter });
    }
    return {
        GlobalClusterIdentifier: GLOBAL,
        Status: sim.failoverState?.Status ?? "available",
        GlobalClusterMembers: members,
        ...(sim.failoverState !== undefined
            ? { FailoverState: { ...sim.failoverState, IsDataLossAllowed: true } as GlobalCluster["FailoverState"] }
            : {}),
    };
}

function startPromotion(): void {
    sim.failoverState = { Status: "failing-over", ToDbClusterArn: arnOf(DR) };
}

function install(): void {
    rds.reset();
    route53.reset();
    ssm.reset();
    sns.reset();
    dynamodb.reset();
    const parameters: Record<string, string> = {
        [FAILOVER_PARAMETERS.stack]: "dev",
        [FAILOVER_PARAMETERS.mode]: sim.mode,
        [FAILOVER_PARAMETERS.globalClusterId]: GLOBAL,
        [FAILOVER_PARAMETERS.primaryRegion]: PRIMARY.region,
        [FAILOVER_PARAMETERS.primaryClusterArn]: arnOf(PRIMARY),
        [FAILOVER_PARAMETERS.drRegion]: DR.region,
        [FAILOVER_PARAMETERS.drClusterArn]: arnOf(DR),
        [FAILOVER_PARAMETERS.hostedZoneId]: "Z0123456789",
        [FAILOVER_PARAMETERS.recordName]: RECORD,
        [FAILOVER_PARAMETERS.recordTtl]: "30",
        [FAILOVER_PARAMETERS.topicArns]: TOPIC,
    };
    ssm.on(GetParametersByPathCommand).resolves({
        Parameters: Object.entries(parameters).map(([k, v]) => ({ Name: `${failoverParameterPath("dev")}/${k}`, Value: v })),
    });
    ssm.on(GetParameterCommand).callsFake(() => ({ Parameter: { Name: "/healthcare/dev/active-region", Value: sim.activeRegion } }));
    ssm.on(PutParameterCommand).callsFake((input: { Value: string }) => {
        sim.activeRegion = input.Value;
        return {};
    });
    let describes = 0;
    rds.on(DescribeGlobalClustersCommand).callsFake(() => {
        if (sim.failoverState !== undefined && ++describes >= sim.promotionAfter) {
            sim.failoverState = undefined;
            sim.drWriter = true;
        }
        return { GlobalClusters: [globalCluster()] };
    });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: DR.id }).resolves({
        DBClusters: [{ Status: "available", Endpoint: endpointOf(DR) }],
    });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: PRIMARY.id }).callsFake(() => {
        switch (sim.primary) {
            case "unreachable":
                throw timeout();
            case "throttled":
                throw throttling();
            case "missing":
                throw awsError(new DBClusterNotFoundFault({ message: "not found", $metadata: {} }), 404);
            default:
                return { DBClusters: [{ Status: sim.primary, Endpoint: endpointOf(PRIMARY) }] };
        }
    });
    rds.on(FailoverGlobalClusterCommand).callsFake(() => {
        startPromotion();
        return { GlobalCluster: globalCluster() };
    });
    rds.on(SwitchoverGlobalClusterCommand).callsFake(() => {
        startPromotion();
        return { GlobalCluster: globalCluster() };
    });
    rds.on(RemoveFromGlobalClusterCommand).callsFake(() => {
        sim.drMember = false;
        return { GlobalCluster: globalCluster() };
    });
    route53.on(ListResourceRecordSetsCommand).callsFake(() => ({
        ResourceRecordSets: [{ Name: `${RECORD}.`, Type: "CNAME", TTL: 30, ResourceRecords: [{ Value: sim.record }] }],
    }));
    route53
        .on(ChangeResourceRecordSetsCommand)
        .callsFake((input: { ChangeBatch: { Changes: { ResourceRecordSet: { ResourceRecords: { Value: string }[] } }[] } }) => {
            sim.record = input.ChangeBatch.Changes[0]!.ResourceRecordSet.ResourceRecords[0]!.Value;
            return { ChangeInfo: { Id: "C1", Status: "PENDING", SubmittedAt: new Date() } };
        });
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    dynamodb.on(GetItemCommand).callsFake(() => (sim.lock === undefined ? {} : { Item: toItem(sim.lock) }));
    dynamodb.on(PutItemCommand).callsFake((input: { Item: Record<string, AttributeValue> }) => {
        sim.lock = fromItem(input.Item);
        return {};
    });
}

function handler(overrides: { now?: () => number } = {}): Handler {
    return createHandler({
        env: ENV,
        clients: createClients({ endpointFor: () => "http://127.0.0.1:9", credentials: { accessKeyId: "x", secretAccessKey: "x" } }),
        now: overrides.now ?? (() => clock),
        sleep: async (ms) => {
            clock += ms;
        },
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        poll: { initialDelayMs: 1_000, maxDelayMs: 8_000, factor: 2, reserveMs: 30_000 },
    });
}

const context = (remainingMs = 600_000) => ({ awsRequestId: "req-1", getRemainingTimeInMillis: () => remainingMs - 0 });

const FAILOVER = { action: "failover", dryRun: false, force: false };
const SWITCHOVER = { action: "switchover", dryRun: false, force: false };
const alarm = (state = "ALARM") => ({
    source: "aws.cloudwatch",
    "detail-type": "CloudWatch Alarm State Change",
    region: "eu-west-1",
    time: "2025-01-01T03:00:00Z",
    resources: [],
    detail: { alarmName: "hdr-dev-replication-lag", state: { value: state, reason: "Threshold Crossed" } },
});

/** Calls that change something; a run that must change nothing has none of them. */
function mutatingCalls(): number {
    return (
        rds.commandCalls(FailoverGlobalClusterCommand).length +
        rds.commandCalls(SwitchoverGlobalClusterCommand).length +
        rds.commandCalls(RemoveFromGlobalClusterCommand).length +
        route53.commandCalls(ChangeResourceRecordSetsCommand).length +
        ssm.commandCalls(PutParameterCommand).length +
        dynamodb.commandCalls(PutItemCommand).length
    );
}

function allCalls(): number {
    return rds.calls().length + route53.calls().length + ssm.calls().length + sns.calls().length + dynamodb.calls().length;
}

function published(): string[] {
    return sns.commandCalls(PublishCommand).map((c) => String(c.args[0].input.Subject));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
    try {
        await promise;
    } catch (error) {
        return error as Error;
    }
    throw new Error("expected the promise to reject");
}

describe("FailoverOrchestrator runtime", () => {
    before(() => {
        rds = mockClient(RDSClient);
        route53 = mockClient(Route53Client);
        ssm = mockClient(SSMClient);
        sns = mockClient(SNSClient);
        dynamodb = mockClient(DynamoDBClient);
    });
    beforeEach(() => {
        clock = Date.parse("2025-01-01T03:00:00Z");
        sim = {
            drWriter: false,
            drMember: true,
            primary: "unreachable",
            record: endpointOf(PRIMARY),
            activeRegion: PRIMARY.region,
            promotionAfter: 3,
            mode: "automatic",
        };
        install();
    });
    after(() => {
        rds.restore();
        route53.restore();
        ssm.restore();
        sns.restore();
        dynamodb.restore();
    });

    describe("event validation", () => {
        const bad: [string, unknown, RegExp][] = [
            ["null", null, /must be a JSON object, got null/],
            ["an array", [], /got an array/],
            ["a string", "failover", /got string/],
            ["an empty object", {}, /action must be one of switchover, failover/],
            ["an unknown action", { action: "failback" }, /action must be one of switchover, failover/],
            ["a non-boolean dryRun", { action: "failover", dryRun: "yes" }, /dryRun must be true or false/],
            ["a misspelt dryRun", { action: "failover", dryrun: true }, /unknown key dryrun/],
            ["a non-boolean force", { action: "failover", force: 1 }, /force must be true or false/],
            ["an alarm without a name", { ...alarm(), detail: { state: { value: "ALARM" } } }, /detail\.alarmName/],
            ["an alarm with an unknown state", { ...alarm(), detail: { alarmName: "a", state: { value: "RED" } } }, /detail\.state\.value/],
            ["another event source", { ...alarm(), source: "aws.ec2" }, /source/],
        ];
        for (const [what, event, message] of bad) {
            it(`rejects ${what} with a clear error and makes no AWS call`, async () => {
                const error = await rejection(handler()(event, context()));
                expect(error).to.be.instanceOf(InvalidEventError);
                expect(error.message)
                    .to.match(message)
                    .and.to.match(/nothing was changed/);
                expect(allCalls()).to.equal(0);
            });
        }

        it("accepts a manual request and defaults dryRun and force to false", () => {
            expect(parseEvent({ action: "switchover" })).to.deep.equal({
                kind: "manual",
                action: "switchover",
                dryRun: false,
                force: false,
            });
        });

        it("reads an EventBridge alarm state change", () => {
            expect(parseEvent(alarm())).to.include({
                kind: "alarm",
                alarmName: "hdr-dev-replication-lag",
                state: "ALARM",
                alarmRegion: "eu-west-1",
            });
        });
    });

    describe("decisions", () => {
        const world = (w: Partial<World>): World => ({
            primary: { kind: "unhealthy", reason: "down" },
            drRole: "secondary",
            pointersAtDr: false,
            ...w,
        });
        const manual = (action: "switchover" | "failover", force = false): OrchestratorRequest => ({
            kind: "manual",
            action,
            dryRun: false,
            force,
        });
        const alarmRequest = (state: "OK" | "ALARM" = "ALARM"): OrchestratorRequest => ({
            kind: "alarm",
            alarmName: "a",
            state,
            reason: "",
            alarmRegion: "eu-west-1",
            time: "",
        });
        const auto = { mode: "automatic" as const, stack: "dev" };
        const cases: [string, OrchestratorRequest, World, typeof auto | { mode: "manual"; stack: string }, string, RegExp?][] = [
            ["an alarm back to OK is ignored", alarmRequest("OK"), world({}), auto, "ignore"],
            [
                "an alarm in manual mode only notifies, with the command",
                alarmRequest(),
                world({}),
                { mode: "manual", stack: "dev" },
                "notify-only",
                /npm run failover -- --stack dev --action failover/,
            ],
            ["an alarm in automatic mode with the primary down fails over", alarmRequest(), world({}), auto, "proceed"],
            [
                "an alarm with a healthy primary starts nothing",
                alarmRequest(),
                world({ primary: { kind: "healthy", status: "available" } }),
                auto,
                "refuse",
                /primary is healthy/,
            ],
            [
                "a failover with a healthy primary is refused without force",
                manual("failover"),
                world({ primary: { kind: "healthy", status: "available" } }),
                auto,
                "refuse",
                /--force/,
            ],
            [
                "a forced failover with a healthy primary proceeds",
                manual("failover", true),
                world({ primary: { kind: "healthy", status: "available" } }),
                auto,
                "proceed",
                /forced/,
            ],
            [
                "a failover when the primary's health cannot be told is refused",
                manual("failover"),
                world({ primary: { kind: "inconclusive", reason: "throttled" } }),
                auto,
                "refuse",
            ],
            [
                "a switchover with a healthy primary proceeds",
                manual("switchover"),
                world({ primary: { kind: "healthy", status: "available" } }),
                auto,
                "proceed",
                /no data will be lost/,
            ],
            ["a switchover with the primary down is refused", manual("switchover"), world({}), auto, "refuse", /--action failover/],
            [
                "a DR writer with the pointers on it is already active",
                manual("failover"),
                world({ drRole: "writer", pointersAtDr: true }),
                auto,
                "already-active",
            ],
            [
                "a standalone DR writer with stale pointers is repointed",
                manual("failover"),
                world({ drRole: "standalone" }),
                auto,
                "proceed",
                /repointing/,
            ],
            ["a promotion under way is waited for", manual("failover"), world({ drRole: "promoting" }), auto, "proceed", /under way/],
        ];
        for (const [what, request, w, ctx, kind, reason] of cases) {
            it(what, () => {
                const decision = decide(request, w, ctx);
                expect(decision.kind).to.equal(kind);
                if (reason !== undefined) {
                    expect(decision.reason).to.match(reason);
                }
            });
        }
        it("does not promote again when the DR cluster is already the writer or promoting", () => {
            for (const drRole of ["writer", "standalone", "promoting"] as const) {
                const decision = decide(manual("failover"), world({ drRole }), auto);
                expect(decision.kind === "proceed" ? decision.promote : false).to.equal(false);
            }
        });
    });

    describe("error classification", () => {
        const cases: [string, unknown, boolean][] = [
            ["InvalidGlobalClusterStateFault", refused(), true],
            ["InvalidDBClusterStateFault", awsError(new InvalidDBClusterStateFault({ message: "x", $metadata: {} })), true],
            ["ThrottlingException", throttling(), false],
            ["Throttling (RDS query protocol)", Object.assign(new Error("x"), { name: "Throttling" }), false],
            ["TimeoutError", timeout(), false],
            [
                "a 5xx answer, whatever its code",
                awsError(Object.assign(new Error("x"), { name: "InvalidGlobalClusterStateFault" }), 503),
                false,
            ],
            ["GlobalClusterNotFoundFault", awsError(new GlobalClusterNotFoundFault({ message: "x", $metadata: {} }), 404), false],
            ["DBClusterNotFoundFault", awsError(new DBClusterNotFoundFault({ message: "x", $metadata: {} }), 404), false],
            ["AccessDenied", Object.assign(new Error("x"), { name: "AccessDenied" }), false],
        ];
        for (const [what, error, refusal] of cases) {
            it(`${refusal ? "treats" : "never treats"} ${what} as a refusal of the managed path`, () => {
                expect(isRefusal(error)).to.equal(refusal);
            });
        }
        it("classifies throttling and timeouts", () => {
            expect(isThrottling(throttling())).to.be.true;
            expect(isTransient(timeout())).to.be.true;
            expect(isTransient(refused())).to.be.false;
        });
    });

    describe("lock rules", () => {
        const record = (r: Partial<LockRecord>): LockRecord => ({
            lockId: GLOBAL,
            state: "running",
            owner: "a",
            action: "failover",
            targetRegion: "eu-west-1",
            steps: ["act"],
            path: "managed",
            expiresAt: 2_000,
            updatedAt: 0,
            version: 3,
            ...r,
        });
        it("is held only by a running record whose lease has not run out", () => {
            expect(isHeld(record({}), 1_000)).to.be.true;
            expect(isHeld(record({}), 2_000)).to.be.false;
            expect(isHeld(record({ state: "failed" }), 1_000)).to.be.false;
            expect(isHeld(undefined, 0)).to.be.false;
        });
        it("resumes the steps of a crashed or failed run of the same request", () => {
            expect(inherit(record({}), "failover", "eu-west-1")).to.deep.equal({ steps: ["act"], path: "managed" });
            expect(inherit(record({ state: "failed" }), "failover", "eu-west-1").steps).to.deep.equal(["act"]);
        });
        it("starts afresh after a completed run or for a different request", () => {
            expect(inherit(record({ state: "completed" }), "failover", "eu-west-1").steps).to.deep.equal([]);
            expect(inherit(record({}), "switchover", "eu-west-1").steps).to.deep.equal([]);
            expect(inherit(undefined, "failover", "eu-west-1").steps).to.deep.equal([]);
        });
    });

    describe("bounded polling", () => {
        it("backs off exponentially up to the largest delay", () => {
            const poll = { initialDelayMs: 1_000, maxDelayMs: 8_000, factor: 2, reserveMs: 0 };
            expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, poll))).to.deep.equal([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
        });
    });

    describe("configuration", () => {
        it("names every missing parameter", () => {
            expect(() => parseRuntimeConfig({ stack: "dev" }, "dev", "t")).to.throw(
                ConfigurationError,
                /\/healthcare\/dev\/failover\/global-cluster-id: is missing/,
            );
        });
        it("refuses a cluster ARN outside its configured region", () => {
            const values = {
                stack: "dev",
                mode: "automatic",
                "global-cluster-id": GLOBAL,
                "primary-region": "eu-west-2",
                "primary-cluster-arn": arnOf(DR),
                "dr-region": "eu-west-1",
                "dr-cluster-arn": arnOf(DR),
                "hosted-zone-id": "Z1",
                "record-name": RECORD,
                "record-ttl": "30",
            };
            expect(() => parseRuntimeConfig(values, "dev", "t")).to.throw(ConfigurationError, /is not in eu-west-2/);
        });
    });

    describe("unplanned failover", () => {
        it("fails over with AllowDataLoss when the primary region is unreachable, repoints, notifies and releases the lock", async () => {
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(result.path).to.equal("managed");
            const calls = rds.commandCalls(FailoverGlobalClusterCommand);
            expect(calls).to.have.length(1);
            expect(calls[0]!.args[0].input).to.deep.equal({
                GlobalClusterIdentifier: GLOBAL,
                TargetDbClusterIdentifier: arnOf(DR),
                AllowDataLoss: true,
            });
            expect(rds.commandCalls(RemoveFromGlobalClusterCommand)).to.have.length(0);
            expect(sim.record).to.equal(endpointOf(DR));
            expect(sim.activeRegion).to.equal(DR.region);
            expect(published()).to.deep.equal(["[dev] failover to eu-west-1 started", "[dev] failover to eu-west-1 completed (managed)"]);
            expect(sim.lock).to.include({ state: "completed", owner: "req-1" });
            expect(result.timeline.map((s) => s.name)).to.deep.equal([
                "assess",
                "lock",
                "notify-start",
                "act",
                "wait-for-writer",
                "repoint",
                "verify",
                "notify",
                "release",
            ]);
        });

        it("an alarm in automatic mode starts the same failover", async () => {
            const result = await handler()(alarm(), context());
            expect(result.outcome).to.equal("completed");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
        });

        for (const [what, primary] of [
            ["a missing primary cluster", "missing"],
            ["a failed primary cluster", "failed"],
        ] as const) {
            it(`treats ${what} as a lost primary`, async () => {
                sim.primary = primary;
                expect((await handler()(FAILOVER, context())).outcome).to.equal("completed");
            });
        }

        for (const [what, error] of [
            ["InvalidGlobalClusterStateFault", refused],
            [
                "InvalidDBClusterStateFault",
                () => awsError(new InvalidDBClusterStateFault({ message: "cluster not available", $metadata: {} })),
            ],
        ] as const) {
            it(`falls back to detach and promote when the managed failover is refused (${what})`, async () => {
                rds.on(FailoverGlobalClusterCommand).rejects(error());
                const result = await handler()(FAILOVER, context());
                expect(result.outcome).to.equal("completed");
                expect(result.path).to.equal("detach");
                expect(rds.commandCalls(RemoveFromGlobalClusterCommand)[0]!.args[0].input).to.deep.equal({
                    GlobalClusterIdentifier: GLOBAL,
                    DbClusterIdentifier: arnOf(DR),
                });
                expect(sim.record).to.equal(endpointOf(DR));
                expect(published()[1]).to.match(/completed \(detach and promote\)/);
            });
        }

        it("does not detach when the refusal is because a promotion is already under way; it waits for it", async () => {
            rds.on(FailoverGlobalClusterCommand).callsFake(() => {
                startPromotion();
                throw refused();
            });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(rds.commandCalls(RemoveFromGlobalClusterCommand)).to.have.length(0);
            expect(sim.drWriter).to.be.true;
        });

        for (const [what, error] of [
            ["throttled (ThrottlingException)", throttling],
            ["timed out (TimeoutError)", timeout],
            [
                "answered DBClusterNotFoundFault",
                () => awsError(new DBClusterNotFoundFault({ message: "no such cluster", $metadata: {} }), 404),
            ],
            [
                "answered GlobalClusterNotFoundFault",
                () => awsError(new GlobalClusterNotFoundFault({ message: "no such global cluster", $metadata: {} }), 404),
            ],
        ] as const) {
            it(`never detaches when the failover call is ${what}: the run fails, marks the lock failed and notifies`, async () => {
                rds.on(FailoverGlobalClusterCommand).rejects(error());
                const err = await rejection(handler()(FAILOVER, context()));
                expect(err).to.be.instanceOf(OrchestrationError);
                expect(err.message).to.match(/failed at act/);
                expect(rds.commandCalls(RemoveFromGlobalClusterCommand)).to.have.length(0);
                expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).to.have.length(0);
                expect(sim.lock?.state).to.equal("failed");
                expect(published()[1]).to.match(/FAILED at act/);
            });
        }

        it("fails with a clear error when the global cluster does not exist, changing nothing", async () => {
            rds.on(DescribeGlobalClustersCommand).rejects(
                awsError(new GlobalClusterNotFoundFault({ message: "Global cluster hdr-dev-aurora not found", $metadata: {} }), 404),
            );
            const err = await rejection(handler()(FAILOVER, context()));
            expect(err.name).to.equal("GlobalClusterNotFoundFault");
            expect(mutatingCalls()).to.equal(0);
        });

        it("stops waiting within the function's time and says so; a re-run keeps waiting", async () => {
            sim.promotionAfter = Infinity;
            const err = await rejection(handler()(FAILOVER, context(120_000)));
            expect(err.message).to.match(
                /failed at wait-for-writer: WaitTimeout: the DR cluster did not become the available writer in time/,
            );
            expect(sim.lock).to.include({ state: "failed" });
            expect(sim.lock?.steps).to.deep.equal(["act"]);
            // The re-run resumes after "act": it does not start a second failover.
            sim.promotionAfter = 1;
            const rerun = await handler()(FAILOVER, { ...context(), awsRequestId: "req-2" });
            expect(rerun.outcome).to.equal("completed");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
            expect(rerun.timeline.find((s) => s.name === "act")).to.include({ outcome: "skipped" });
        });

        it("fails at wait-for-writer when describing is throttled, without promoting twice", async () => {
            let n = 0;
            rds.on(DescribeGlobalClustersCommand).callsFake(() => {
                if (++n > 3) {
                    throw throttling();
                }
                return { GlobalClusters: [globalCluster()] };
            });
            const err = await rejection(handler()(FAILOVER, context()));
            expect(err.message).to.match(/wait-for-writer: ThrottlingException/);
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
        });

        it("still completes when a notification cannot be published", async () => {
            sns.on(PublishCommand).rejects(throttling());
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(result.timeline.find((s) => s.name === "notify")?.detail).to.match(/0 of 1 topics/);
        });
    });

    describe("safety", () => {
        it("never fails over a healthy primary without force, and tells on-call", async () => {
            sim.primary = "available";
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("refused");
            expect(result.message).to.match(/primary is healthy/);
            expect(mutatingCalls()).to.equal(0);
            expect(published()).to.deep.equal(["[dev] failover not started"]);
        });

        it("fails over a healthy primary when forced", async () => {
            sim.primary = "available";
            const result = await handler()({ ...FAILOVER, force: true }, context());
            expect(result.outcome).to.equal("completed");
        });

        it("does not fail over when the primary's health probe is throttled (inconclusive)", async () => {
            sim.primary = "throttled";
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("refused");
            expect(result.message).to.match(/cannot be told/);
            expect(mutatingCalls()).to.equal(0);
        });

        it("does nothing for an alarm that returned to OK", async () => {
            const result = await handler()(alarm("OK"), context());
            expect(result.outcome).to.equal("ignored");
            expect(mutatingCalls()).to.equal(0);
            expect(sns.commandCalls(PublishCommand)).to.have.length(0);
        });

        it("in manual mode, an alarm only notifies with the exact command", async () => {
            sim.mode = "manual";
            install();
            const result = await handler()(alarm(), context());
            expect(result.outcome).to.equal("notified");
            expect(mutatingCalls()).to.equal(0);
            const message = String(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message);
            expect(message).to.contain("npm run failover -- --stack dev --action failover");
        });

        it("stops without changes when another invocation holds the lock", async () => {
            sim.lock = {
                lockId: GLOBAL,
                state: "running",
                owner: "other",
                action: "failover",
                targetRegion: DR.region,
                steps: [],
                expiresAt: clock + 60_000,
                updatedAt: clock,
                version: 1,
            };
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("locked");
            expect(result.message).to.match(/Another invocation \(other\) holds the failover lock/);
            expect(mutatingCalls()).to.equal(0);
        });

        it("loses a race for the lock cleanly (the conditional write fails)", async () => {
            dynamodb
                .on(PutItemCommand)
                .rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("locked");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(0);
        });

        it("reports an already active DR region without touching anything", async () => {
            Object.assign(sim, { drWriter: true, record: endpointOf(DR), activeRegion: DR.region });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("already-active");
            expect(mutatingCalls()).to.equal(0);
        });
    });

    describe("planned switchover", () => {
        it("switches over a healthy global database", async () => {
            sim.primary = "available";
            const result = await handler()(SWITCHOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(rds.commandCalls(SwitchoverGlobalClusterCommand)[0]!.args[0].input).to.deep.equal({
                GlobalClusterIdentifier: GLOBAL,
                TargetDbClusterIdentifier: arnOf(DR),
            });
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(0);
        });

        it("refuses a switchover when the primary is down", async () => {
            const result = await handler()(SWITCHOVER, context());
            expect(result.outcome).to.equal("refused");
            expect(mutatingCalls()).to.equal(0);
        });

        it("never detaches when a switchover is refused: the run fails", async () => {
            sim.primary = "available";
            rds.on(SwitchoverGlobalClusterCommand).rejects(refused());
            const err = await rejection(handler()(SWITCHOVER, context()));
            expect(err.message).to.match(/switchover to eu-west-1 failed at act: InvalidGlobalClusterStateFault/);
            expect(rds.commandCalls(RemoveFromGlobalClusterCommand)).to.have.length(0);
        });
    });

    describe("dry run", () => {
        for (const [what, event, primary] of [
            ["failover", { ...FAILOVER, dryRun: true }, "unreachable"],
            ["switchover", { ...SWITCHOVER, dryRun: true }, "available"],
        ] as const) {
            it(`reads everything and reports the ${what} it would do, changing and publishing nothing`, async () => {
                sim.primary = primary;
                const result: RunResult = await handler()(event, context());
                expect(result.outcome).to.equal("dry-run");
                expect(result.dryRun).to.be.true;
                expect(mutatingCalls()).to.equal(0);
                expect(sns.commandCalls(PublishCommand)).to.have.length(0);
                expect(dynamodb.commandCalls(GetItemCommand)).to.have.length(1);
                expect(result.timeline.find((s) => s.name === "act")?.detail).to.match(
                    what === "failover" ? /would call FailoverGlobalCluster/ : /would call SwitchoverGlobalCluster/,
                );
                expect(result.timeline.find((s) => s.name === "repoint")?.detail).to.contain(endpointOf(DR));
            });
        }
    });
});
