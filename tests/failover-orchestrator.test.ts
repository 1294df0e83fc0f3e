/**
 * The orchestrator's runtime code against mocked AWS SDK clients (aws-sdk-client-mock): every rule, every path, and
 * every error the calls can raise. A fake clock makes the detection window and the bounded waits instant and
 * deterministic. The same rules against a real AWS API emulator, under injected faults, are in
 * failover-faults.test.ts.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
    ConditionalCheckFailedException,
    DynamoDBClient,
    GetItemCommand,
    PutItemCommand,
    UpdateItemCommand,
    type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
    DBClusterNotFoundFault,
    DescribeDBClustersCommand,
    DescribeDBInstancesCommand,
    DescribeGlobalClustersCommand,
    FailoverGlobalClusterCommand,
    GlobalClusterNotFoundFault,
    InvalidDBClusterStateFault,
    InvalidGlobalClusterStateFault,
    RDSClient,
    SwitchoverGlobalClusterCommand,
    type GlobalCluster,
} from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { expect } from "chai";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import {
    confirmationOf,
    FAILOVER_PARAMETERS,
    failoverParameterPath,
    NOTIFY_RESERVE_SECONDS,
    ORCHESTRATOR_TIMEOUT_SECONDS,
    orchestrationDeadlineSeconds,
    orchestratorEnvironment,
    peerDownAlarmName,
    DETECTION_WINDOW_SECONDS,
    WRITER_POLL_SECONDS,
} from "../lib/failover";
import { roleOf, type GlobalClusterView } from "../orchestrator/src/aws";
import { createClients } from "../orchestrator/src/clients";
import { ConfigurationError, parseRuntimeConfig } from "../orchestrator/src/config";
import { Deadline, DeadlineExceededError } from "../orchestrator/src/deadline";
import { decide, type World } from "../orchestrator/src/decide";
import { isRefusal, isThrottling, isTransient } from "../orchestrator/src/errors";
import { InvalidEventError, parseEvent, type OrchestratorRequest } from "../orchestrator/src/events";
import { createHandler, type Handler } from "../orchestrator/src/handler";
import { fromItem, inherit, isHeld, isOpen, toItem, type LockRecord } from "../orchestrator/src/lock";
import { DEFAULT_POLL, recheckProblem, type RunResult } from "../orchestrator/src/orchestrate";
import { readinessProblems, type Readiness, type ReadinessFacts } from "../orchestrator/src/readiness";
import { combine, evaluate, type Evidence, type Round } from "../orchestrator/src/signals";
import { admit } from "../orchestrator/src/events";
import { BREAK_GLASS_STEP_DEADLINE_SECONDS } from "../orchestrator/src/breakGlass";
import { ingressOf, isFenced, newObligation, obligationFromAttribute, obligationToAttribute } from "../orchestrator/src/fence";
import { parseSecretValue, repointedValue, secretWriteToken } from "../orchestrator/src/secret";
import { aftercareRuleName, confirmationOf as confirm, failoverCommand, FENCE_PARAMETER } from "../lib/failover";
import type { S3Client } from "../orchestrator/src/s3";

const ACCOUNT = "123456789012";
const GLOBAL = "hdr-dev-aurora";
const PRIMARY = { region: "eu-west-2", id: "hdr-dev-aurora-eu-west-2" };
const DR = { region: "eu-west-1", id: "hdr-dev-aurora-eu-west-1" };
const arnOf = (c: { region: string; id: string }) => `arn:aws:rds:${c.region}:${ACCOUNT}:cluster:${c.id}`;
const endpointOf = (c: { region: string; id: string }) => `${c.id}.cluster-abc.${c.region}.rds.amazonaws.com`;
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:hdr-dev-alerts`;
const RECORD = "writer.db.dev.healthcare.internal";
const LOCK_TABLE = "hdr-dev-failover-lock";
const RUNS_TABLE = "hdr-dev-failover-runs";
const ENV = { ...orchestratorEnvironment({ environment: "dev", lockTableName: LOCK_TABLE }), AWS_REGION: "eu-west-1" };
/** The run records and reports the runs wrote (the runs table and the report bucket, faked). */
let runRecords: Record<string, AttributeValue>[] = [];
let reports: Record<string, string> = {};
const fakeS3 = (region: string): S3Client => ({
    region,
    getObject: (_bucket, key) => (reports[key] !== undefined ? Promise.resolve(reports[key]) : Promise.reject(new Error("NoSuchKey"))),
    putObject: (_bucket, key, body) => {
        if (reports[key] !== undefined) {
            return Promise.reject(Object.assign(new Error("exists"), { name: "PreconditionFailed" }));
        }
        reports[key] = body;
        return Promise.resolve({});
    },
});

// The stubs replace the clients' `send` on their prototypes, for every instance in the process: they are made in
// `before` and restored in `after`, never at load time, so that the moto integration tests get the real clients.
let rds: AwsClientStub<RDSClient>;
let route53: AwsClientStub<Route53Client>;
let ssm: AwsClientStub<SSMClient>;
let sns: AwsClientStub<SNSClient>;
let dynamodb: AwsClientStub<DynamoDBClient>;
let cloudwatch: AwsClientStub<CloudWatchClient>;
let kms: AwsClientStub<KMSClient>;

function awsError<T extends Error>(error: T, status = 400): T {
    return Object.assign(error, { $metadata: { httpStatusCode: status } });
}
const throttling = () => awsError(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
const timeout = () => Object.assign(new Error("Connection timed out after 5000 ms"), { name: "TimeoutError" });
const refused = () => awsError(new InvalidGlobalClusterStateFault({ message: "engine versions differ", $metadata: {} }));
const serverError = () => awsError(Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable" }), 503);

/** A simulated AWS world: who is the writer, what the pointers say, what the primary region answers. */
interface Sim {
    drWriter: boolean;
    drMember: boolean;
    failoverState?: { Status: string; ToDbClusterArn: string };
    /** What DescribeDBClusters of the primary answers: a status, or a failure; `flaky` alternates 503 and available. */
    primary: string;
    /** The DR cluster's replication lag in ms as CloudWatch has it; undefined: no data (the metric stopped). */
    lagMs: number | undefined;
    /** The primary cluster's capacity metric in the primary region's CloudWatch. */
    primaryMetrics: "present" | "absent" | "unreachable";
    /** Route 53 (the control probe, and the record) unreachable: this function cannot reach anything. */
    route53Down: boolean;
    drStatus: string;
    drInstances: string[];
    drEngine: string;
    globalEngine: string;
    keyState: string;
    record: string;
    activeRegion: string;
    /** DescribeGlobalClusters calls after which a started promotion completes; Infinity never completes. */
    promotionAfter: number;
    /** Or: the fake time at which a started promotion completes. */
    promotionDoneAt?: number;
    lock?: LockRecord;
    refusals: Record<string, number>;
    mode: "automatic" | "manual";
}

let sim: Sim;
let clock: number;
let primaryProbes = 0;

function globalCluster(): GlobalCluster {
    const members = [{ DBClusterArn: arnOf(PRIMARY), IsWriter: !sim.drWriter }];
    if (sim.drMember) {
        members.push({ DBClusterArn: arnOf(DR), IsWriter: sim.drWriter });
    }
    return {
        GlobalClusterIdentifier: GLOBAL,
        Status: sim.failoverState?.Status ?? "available",
        EngineVersion: sim.globalEngine,
        GlobalClusterMembers: members,
        ...(sim.failoverState !== undefined
            ? { FailoverState: { ...sim.failoverState, IsDataLossAllowed: true } as GlobalCluster["FailoverState"] }
            : {}),
    };
}

function startPromotion(): void {
    sim.failoverState = { Status: "failing-over", ToDbClusterArn: arnOf(DR) };
}

const PARAMETERS = (): Record<string, string> => ({
    [FAILOVER_PARAMETERS.stack]: "dev",
    [FAILOVER_PARAMETERS.mode]: sim.mode,
    [FAILOVER_PARAMETERS.globalClusterId]: GLOBAL,
    [FAILOVER_PARAMETERS.region]: DR.region,
    [FAILOVER_PARAMETERS.clusterArn]: arnOf(DR),
    [FAILOVER_PARAMETERS.peerRegion]: PRIMARY.region,
    [FAILOVER_PARAMETERS.peerClusterArn]: arnOf(PRIMARY),
    [FAILOVER_PARAMETERS.hostedZoneId]: "Z0123456789",
    [FAILOVER_PARAMETERS.recordName]: RECORD,
    [FAILOVER_PARAMETERS.recordTtl]: "30",
    [FAILOVER_PARAMETERS.topicArns]: TOPIC,
    [FAILOVER_PARAMETERS.alarmNames]: `${LAG_ALARM},${HEALTH_ALARM}`,
    [FAILOVER_PARAMETERS.detectionWindowSeconds]: "60",
    [FAILOVER_PARAMETERS.quorum]: "2",
    [FAILOVER_PARAMETERS.maxEventAgeSeconds]: "900",
    [FAILOVER_PARAMETERS.replicationLagThresholdSeconds]: "60",
    [FAILOVER_PARAMETERS.secretArn]: `arn:aws:secretsmanager:${DR.region}:${ACCOUNT}:secret:hdr-dev-db-master-AbCdEf`,
    [FAILOVER_PARAMETERS.peerSecurityGroupId]: "sg-0123456789abcdef0",
    [FAILOVER_PARAMETERS.peerClusterParameterGroup]: "hdr-dev-aurora-eu-west-2",
    [FAILOVER_PARAMETERS.peerKmsKeyArn]: `arn:aws:kms:${PRIMARY.region}:${ACCOUNT}:key/primary`,
    [FAILOVER_PARAMETERS.runsTable]: RUNS_TABLE,
    [FAILOVER_PARAMETERS.reportBucket]: "hdr-dev-failover-reports-eu-west-1",
});

function install(): void {
    for (const stub of [rds, route53, ssm, sns, dynamodb, cloudwatch, kms]) {
        stub.reset();
    }
    primaryProbes = 0;
    ssm.on(GetParametersByPathCommand).callsFake(() => ({
        Parameters: Object.entries(PARAMETERS()).map(([k, v]) => ({ Name: `${failoverParameterPath("dev")}/${k}`, Value: v })),
    }));
    ssm.on(GetParameterCommand).callsFake(() => ({ Parameter: { Name: "/healthcare/dev/active-region", Value: sim.activeRegion } }));
    ssm.on(PutParameterCommand).callsFake((input: { Value: string }) => {
        sim.activeRegion = input.Value;
        return {};
    });
    let describes = 0;
    rds.on(DescribeGlobalClustersCommand).callsFake(() => {
        const done =
            sim.promotionDoneAt !== undefined
                ? clock >= sim.promotionDoneAt
                : sim.failoverState !== undefined && ++describes >= sim.promotionAfter;
        if (sim.failoverState !== undefined && done) {
            sim.failoverState = undefined;
            sim.drWriter = true;
        }
        return { GlobalClusters: [globalCluster()] };
    });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: DR.id }).callsFake(() => ({
        DBClusters: [
            {
                Status: sim.drStatus,
                Endpoint: endpointOf(DR),
                EngineVersion: sim.drEngine,
                KmsKeyId: `arn:aws:kms:${DR.region}:${ACCOUNT}:key/dr`,
                DBClusterMembers: sim.drInstances.map((_, i) => ({ DBInstanceIdentifier: `${DR.id}-${i + 1}`, IsClusterWriter: false })),
            },
        ],
    }));
    rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
        const n = Number(input.DBInstanceIdentifier.split("-").pop()) - 1;
        return { DBInstances: [{ DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: sim.drInstances[n] }] };
    });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: PRIMARY.id }).callsFake(() => {
        primaryProbes++;
        switch (sim.primary) {
            case "unreachable":
                throw timeout();
            case "5xx":
                throw serverError();
            case "flaky":
                if (primaryProbes % 2 === 1) {
                    throw serverError();
                }
                return { DBClusters: [{ Status: "available", Endpoint: endpointOf(PRIMARY) }] };
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
    cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { MetricStat: { Metric: { MetricName: string } } }[] }) => {
        const metric = input.MetricDataQueries[0]!.MetricStat.Metric.MetricName;
        if (metric === "ServerlessDatabaseCapacity") {
            if (sim.primaryMetrics === "unreachable") {
                throw timeout();
            }
            return {
                MetricDataResults: [
                    sim.primaryMetrics === "present"
                        ? { Id: "m", Timestamps: [new Date(clock - 60_000)], Values: [2] }
                        : { Id: "m", Timestamps: [], Values: [] },
                ],
            };
        }
        return {
            MetricDataResults: [
                sim.lagMs === undefined
                    ? { Id: "m", Timestamps: [], Values: [] }
                    : { Id: "m", Timestamps: [new Date(clock - 60_000)], Values: [sim.lagMs] },
            ],
        };
    });
    kms.on(DescribeKeyCommand).callsFake(() => ({ KeyMetadata: { KeyId: "dr", KeyState: sim.keyState } }));
    route53.on(ListResourceRecordSetsCommand).callsFake(() => {
        if (sim.route53Down) {
            throw timeout();
        }
        return { ResourceRecordSets: [{ Name: `${RECORD}.`, Type: "CNAME", TTL: 30, ResourceRecords: [{ Value: sim.record }] }] };
    });
    route53
        .on(ChangeResourceRecordSetsCommand)
        .callsFake((input: { ChangeBatch: { Changes: { ResourceRecordSet: { ResourceRecords: { Value: string }[] } }[] } }) => {
            sim.record = input.ChangeBatch.Changes[0]!.ResourceRecordSet.ResourceRecords[0]!.Value;
            return { ChangeInfo: { Id: "C1", Status: "PENDING", SubmittedAt: new Date() } };
        });
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    runRecords = [];
    reports = {};
    dynamodb.on(PutItemCommand, { TableName: RUNS_TABLE }).callsFake((input: { Item: Record<string, AttributeValue> }) => {
        runRecords.push(input.Item);
        return {};
    });
    dynamodb.on(UpdateItemCommand, { TableName: RUNS_TABLE }).resolves({});
    dynamodb.on(GetItemCommand).callsFake(() => (sim.lock === undefined ? {} : { Item: toItem(sim.lock) }));
    dynamodb
        .on(PutItemCommand, { TableName: LOCK_TABLE })
        .callsFake((input: { Item: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
            // The conditions as DynamoDB evaluates them: absent item, or the version (and owner) read.
            const expected = input.ExpressionAttributeValues?.[":v"]?.N;
            const owner = input.ExpressionAttributeValues?.[":o"]?.S;
            if (
                (expected === undefined && sim.lock !== undefined) ||
                (expected !== undefined && String(sim.lock?.version) !== expected) ||
                (owner !== undefined && sim.lock?.owner !== owner)
            ) {
                throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
            }
            sim.lock = fromItem(input.Item);
            return {};
        });
    dynamodb.on(UpdateItemCommand, { TableName: LOCK_TABLE }).callsFake((input: { Key: { lockId: { S: string } } }) => {
        const key = input.Key.lockId.S;
        sim.refusals[key] = (sim.refusals[key] ?? 0) + 1;
        return { Attributes: { refusals: { N: String(sim.refusals[key]) } } };
    });
}

const metrics: string[] = [];
const warnings: string[] = [];

function handler(overrides: { now?: () => number } = {}): Handler {
    return createHandler({
        env: ENV,
        clients: {
            ...createClients({ endpointFor: () => "http://127.0.0.1:9", credentials: { accessKeyId: "x", secretAccessKey: "x" } }),
            s3: fakeS3,
        },
        now: overrides.now ?? (() => clock),
        sleep: async (ms) => {
            clock += ms;
        },
        logger: { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
        poll: DEFAULT_POLL,
        metric: (name) => metrics.push(name),
    });
}

const context = (remainingMs = ORCHESTRATOR_TIMEOUT_SECONDS * 1000, requestId = "req-1") => {
    const start = clock;
    return { awsRequestId: requestId, getRemainingTimeInMillis: () => remainingMs - (clock - start) };
};

const manualEvent = (action: "switchover" | "failover", extra: Record<string, unknown> = {}) => ({
    stack: "dev",
    action,
    targetRegion: DR.region,
    confirm: confirmationOf("dev", action, DR.region),
    dryRun: false,
    force: false,
    ...extra,
});
const FAILOVER = manualEvent("failover");
const SWITCHOVER = manualEvent("switchover");
const LAG_ALARM = "hdr-dev-failover-replication-lag";
/** The us-east-1 alarm on the primary region's health check, forwarded to the DR region's function. */
const HEALTH_ALARM = peerDownAlarmName("dev", PRIMARY.region);
const alarm = (state = "ALARM", extra: Record<string, unknown> = {}) => ({
    version: "0",
    id: "e-1",
    source: "aws.cloudwatch",
    "detail-type": "CloudWatch Alarm State Change",
    account: ACCOUNT,
    region: "eu-west-1",
    time: new Date(clock - 30_000).toISOString(),
    resources: [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:${LAG_ALARM}`],
    detail: { alarmName: LAG_ALARM, state: { value: state, reason: "Threshold Crossed" } },
    ...extra,
});

/** Calls that change something; a run that must change nothing has none of them. */
function mutatingCalls(): number {
    return (
        rds.commandCalls(FailoverGlobalClusterCommand).length +
        rds.commandCalls(SwitchoverGlobalClusterCommand).length +
        route53.commandCalls(ChangeResourceRecordSetsCommand).length +
        ssm.commandCalls(PutParameterCommand).length +
        lockWrites(PutItemCommand)
    );
}

/** Every write, including the refusal counter and notifications. */
function writes(): number {
    return mutatingCalls() + lockWrites(UpdateItemCommand) + sns.commandCalls(PublishCommand).length;
}

/** Writes to the lock table (the run's evidence, in the runs table and the report bucket, is counted apart). */
function lockWrites(command: typeof PutItemCommand | typeof UpdateItemCommand): number {
    return dynamodb
        .commandCalls(command as typeof PutItemCommand)
        .filter((c) => (c.args[0].input as { TableName?: string }).TableName === LOCK_TABLE).length;
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
        cloudwatch = mockClient(CloudWatchClient);
        kms = mockClient(KMSClient);
    });
    beforeEach(() => {
        clock = Date.parse("2025-01-01T03:00:00Z");
        metrics.length = 0;
        warnings.length = 0;
        sim = {
            drWriter: false,
            drMember: true,
            primary: "unreachable",
            lagMs: undefined,
            primaryMetrics: "unreachable",
            route53Down: false,
            drStatus: "available",
            drInstances: ["available"],
            drEngine: "16.6",
            globalEngine: "16.6",
            keyState: "Enabled",
            record: endpointOf(PRIMARY),
            activeRegion: PRIMARY.region,
            promotionAfter: 3,
            refusals: {},
            mode: "automatic",
        };
        install();
    });
    after(() => {
        for (const stub of [rds, route53, ssm, sns, dynamodb, cloudwatch, kms]) {
            stub.restore();
        }
    });

    /** The primary region up and serving, replication flowing. */
    const healthy = () => Object.assign(sim, { primary: "available", lagMs: 150, primaryMetrics: "present" });

    describe("event validation", () => {
        const bad: [string, () => unknown, RegExp][] = [
            ["null", () => null, /must be a JSON object, got null/],
            ["an array", () => [], /got an array/],
            ["a string", () => "failover", /got string/],
            ["an empty object", () => ({}), /stack is required/],
            [
                '{"action":"failover"} alone',
                () => ({ action: "failover" }),
                /stack is required.*targetRegion is required.*confirm is required/,
            ],
            ["an unknown action", () => manualEvent("failover", { action: "failback" }), /action must be one of switchover, failover/],
            [
                "a confirmation that does not repeat the request",
                () => manualEvent("failover", { confirm: "dev:failover" }),
                /confirm must repeat the request exactly: "dev:failover:eu-west-1"/,
            ],
            ["a non-boolean dryRun", () => manualEvent("failover", { dryRun: "yes" }), /dryRun must be true or false/],
            ["a misspelt dryRun", () => manualEvent("failover", { dryrun: true }), /unknown key dryrun/],
            ["a forced switchover", () => manualEvent("switchover", { force: true }), /force applies to a failover only/],
            ["an alarm without a name", () => ({ ...alarm(), detail: { state: { value: "ALARM" } } }), /detail\.alarmName/],
            [
                "an alarm with an unknown state",
                () => ({ ...alarm(), detail: { alarmName: "a", state: { value: "RED" } } }),
                /detail\.state\.value/,
            ],
            ["another event source", () => ({ ...alarm(), source: "aws.ec2" }), /source/],
            ['an alarm event carrying "dryRun": true', () => alarm("ALARM", { dryRun: true }), /unknown key dryRun/],
            ["an alarm event without an account", () => ({ ...alarm(), account: undefined }), /account/],
        ];
        for (const [what, event, message] of bad) {
            it(`rejects ${what} with a clear error and makes no AWS call`, async () => {
                const error = await rejection(handler()(event(), context()));
                expect(error).to.be.instanceOf(InvalidEventError);
                expect(error.message)
                    .to.match(message)
                    .and.to.match(/nothing was changed/);
                expect(
                    rds.calls().length + route53.calls().length + ssm.calls().length + sns.calls().length + dynamodb.calls().length,
                ).to.equal(0);
            });
        }

        const foreign: [string, () => unknown, RegExp][] = [
            [
                "an alarm of another stack",
                () =>
                    alarm("ALARM", {
                        detail: { alarmName: "hdr-prod-failover-replication-lag", state: { value: "ALARM" } },
                        resources: [],
                    }),
                /not one of this stack's failover alarms/,
            ],
            [
                "an alarm from another account",
                () => alarm("ALARM", { account: "210987654321", resources: [] }),
                /from account 210987654321, not 123456789012/,
            ],
            ["an alarm from the primary region", () => alarm("ALARM", { region: "eu-west-2", resources: [] }), /the alarm is in eu-west-2/],
            [
                "a week-old alarm",
                () => alarm("ALARM", { time: new Date(clock - 7 * 86_400_000).toISOString() }),
                /604800 s old; alarm events older than 900 s are stale/,
            ],
            [
                "an alarm whose resources name another alarm",
                () => alarm("ALARM", { resources: [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:other`] }),
                /names resources of another alarm/,
            ],
            [
                "a request for another stack",
                () => manualEvent("failover", { stack: "prod", confirm: "prod:failover:eu-west-1" }),
                /serves stack "dev"/,
            ],
            [
                "a request to make the primary region the writer",
                () => manualEvent("failover", { targetRegion: "eu-west-2", confirm: "dev:failover:eu-west-2" }),
                /promotes eu-west-1 only/,
            ],
        ];
        for (const [what, event, message] of foreign) {
            it(`rejects ${what}, after reading only its configuration: zero AWS writes`, async () => {
                const error = await rejection(handler()(event(), context()));
                expect(error).to.be.instanceOf(InvalidEventError);
                expect(error.message).to.match(message);
                expect(writes()).to.equal(0);
                expect(rds.calls()).to.have.length(0);
            });
        }

        it("accepts a confirmed manual request and defaults dryRun and force to false", () => {
            const { dryRun: _d, force: _f, ...minimal } = FAILOVER;
            expect(parseEvent(minimal)).to.deep.equal({
                kind: "manual",
                stack: "dev",
                action: "failover",
                targetRegion: DR.region,
                dryRun: false,
                force: false,
            });
        });

        it("reads an EventBridge alarm state change with its account, region and time", () => {
            expect(parseEvent(alarm())).to.include({
                kind: "alarm",
                alarmName: LAG_ALARM,
                state: "ALARM",
                alarmRegion: "eu-west-1",
                account: ACCOUNT,
            });
        });

        it("accepts the health-check alarm forwarded from us-east-1", async () => {
            const event = alarm("ALARM", {
                region: "us-east-1",
                resources: [`arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${HEALTH_ALARM}`],
                detail: { alarmName: HEALTH_ALARM, state: { value: "ALARM", reason: "x" } },
            });
            expect((await handler()(event, context())).outcome).to.equal("completed");
        });
    });

    describe("decisions", () => {
        const evidence = (down: number, extra: Partial<Evidence> = {}): Evidence => ({
            peerRegion: PRIMARY.region,
            signals: [],
            down,
            quorum: 2,
            quorumMet: down >= 2,
            peerAnswered: down === 0,
            peerServing: down === 0,
            spanMs: 60_000,
            rounds: 4,
            ...extra,
        });
        const ready: Readiness = { ready: true, problems: [], facts: {} as ReadinessFacts };
        const world = (w: Partial<World>): World => ({
            role: "secondary",
            pointersAtSelf: false,
            openRun: false,
            readiness: ready,
            evidence: evidence(3),
            ...w,
        });
        const manual = (action: "switchover" | "failover", force = false): OrchestratorRequest => ({
            kind: "manual",
            stack: "dev",
            action,
            targetRegion: DR.region,
            dryRun: false,
            force,
        });
        const alarmRequest = (state: "OK" | "ALARM" = "ALARM"): OrchestratorRequest => ({
            kind: "alarm",
            alarmName: LAG_ALARM,
            state,
            reason: "",
            alarmRegion: "eu-west-1",
            account: ACCOUNT,
            resources: [],
            time: "",
        });
        const auto = { mode: "automatic" as const, stack: "dev", region: DR.region };
        const manualMode = { ...auto, mode: "manual" as const };
        const cases: [string, OrchestratorRequest, World, typeof auto | typeof manualMode, string, RegExp?][] = [
            ["an alarm back to OK is ignored", alarmRequest("OK"), world({}), auto, "ignore"],
            [
                "an alarm in manual mode only notifies, with the command",
                alarmRequest(),
                world({}),
                manualMode,
                "notify-only",
                /npm run failover -- --stack dev --action failover --to eu-west-1 --confirm dev:failover:eu-west-1/,
            ],
            ["an alarm with the quorum met fails over", alarmRequest(), world({}), auto, "proceed", /unplanned failover/],
            ["an alarm with one signal down starts nothing", alarmRequest(), world({ evidence: evidence(1) }), auto, "refuse", /1 of/],
            [
                "an alarm with the quorum seen over too short a window starts nothing",
                alarmRequest(),
                world({ evidence: evidence(3, { quorumMet: false, spanMs: 20_000 }) }),
                auto,
                "refuse",
            ],
            [
                "a failover with a healthy primary is refused without force",
                manual("failover"),
                world({ evidence: evidence(0) }),
                auto,
                "refuse",
                /--force/,
            ],
            [
                "a forced failover with a healthy primary proceeds",
                manual("failover", true),
                world({ evidence: evidence(0) }),
                auto,
                "proceed",
                /forced/,
            ],
            [
                "a switchover with the primary serving proceeds",
                manual("switchover"),
                world({ evidence: evidence(0) }),
                auto,
                "proceed",
                /no data will be lost/,
            ],
            [
                "a switchover with the primary not serving is refused",
                manual("switchover"),
                world({ evidence: evidence(3) }),
                auto,
                "refuse",
                /--action failover/,
            ],
            [
                "a DR cluster that is not ready is never promoted, even when forced",
                manual("failover", true),
                world({
                    readiness: { ready: false, problems: ["the DR cluster is modifying, not available"], facts: {} as ReadinessFacts },
                }),
                auto,
                "refuse",
                /not ready.*modifying/,
            ],
            [
                "a DR writer with the pointers on it is already active",
                manual("failover"),
                world({ role: "writer", pointersAtSelf: true }),
                auto,
                "already-active",
            ],
            ["a DR writer with stale pointers is repointed", manual("failover"), world({ role: "writer" }), auto, "proceed", /repointing/],
            [
                "a DR writer whose run never finished is finished",
                alarmRequest(),
                world({ role: "writer", pointersAtSelf: true, openRun: true }),
                auto,
                "proceed",
                /finishing the run/,
            ],
            [
                "a DR cluster outside the global cluster is never pointed at (split brain), even with the quorum met",
                manual("failover", true),
                world({ role: "not-member" }),
                auto,
                "refuse",
                /not a member of the global cluster.*break-glass/,
            ],
            [
                "a detached DR cluster is refused while the primary is healthy",
                alarmRequest(),
                world({ role: "not-member", evidence: evidence(0) }),
                auto,
                "refuse",
            ],
            ["a promotion under way is waited for", manual("failover"), world({ role: "promoting" }), auto, "proceed", /under way/],
            [
                "an alarm that reaches the region already holding the writer, pointers on it, is not needed (nobody paged)",
                alarmRequest(),
                world({ role: "writer", pointersAtSelf: true }),
                auto,
                "not-needed",
                /eu-west-1 cluster is already the writer/,
            ],
            [
                "an alarm while the writer moves to the other region is not needed here",
                alarmRequest(),
                world({ role: "demoting", pointersAtSelf: true }),
                auto,
                "not-needed",
                /move of the writer to the other region is under way/,
            ],
            [
                "a manual request while the writer moves to the other region is refused, nothing changed",
                manual("switchover"),
                world({ role: "demoting" }),
                auto,
                "refuse",
                /under way.*nothing was changed/,
            ],
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
            for (const role of ["writer", "promoting"] as const) {
                const decision = decide(manual("failover"), world({ role }), auto);
                expect(decision.kind === "proceed" ? decision.promote : true).to.equal(false);
            }
        });
    });

    describe("roles", () => {
        const view = (writer: "dr" | "primary", failover?: { status: string; toArn?: string }): GlobalClusterView => ({
            status: "available",
            members: [
                { arn: arnOf(PRIMARY), isWriter: writer === "primary" },
                { arn: arnOf(DR), isWriter: writer === "dr" },
            ],
            ...(failover !== undefined ? { failover: { ...failover, dataLoss: false } } : {}),
        });
        it("reads this region's cluster's role in either direction, a move under way included", () => {
            expect(roleOf(view("primary"), arnOf(DR))).to.equal("secondary");
            expect(roleOf(view("primary"), arnOf(PRIMARY))).to.equal("writer");
            expect(roleOf(view("dr", { status: "switching-over", toArn: arnOf(PRIMARY) }), arnOf(PRIMARY))).to.equal("promoting");
            expect(roleOf(view("dr", { status: "switching-over", toArn: arnOf(PRIMARY) }), arnOf(DR))).to.equal("demoting");
            expect(roleOf(view("dr", { status: "failing-over" }), arnOf(DR)), "a move without a named target").to.equal("writer");
            expect(roleOf(view("dr"), `arn:aws:rds:eu-west-3:${ACCOUNT}:cluster:other`)).to.equal("not-member");
        });
    });

    describe("signals", () => {
        const round = (
            at: number,
            api: "down" | "up" | "unknown",
            lag: "down" | "up" | "unknown",
            metricsVerdict: "down" | "up" | "unknown",
            peerStatus?: string,
        ): Round => ({
            at,
            control: true,
            readings: {
                "peer-rds-api": { verdict: api, detail: "" },
                "replication-lag": { verdict: lag, detail: "" },
                "peer-metrics": { verdict: metricsVerdict, detail: "" },
            },
            ...(peerStatus !== undefined ? { peerStatus } : {}),
        });
        it("combines readings: down only when every reading is down; one up is up; otherwise unknown", () => {
            expect(combine(["down", "down", "down"])).to.equal("down");
            expect(combine(["down", "up", "down"])).to.equal("up");
            expect(combine(["down", "unknown", "down"])).to.equal("unknown");
            expect(combine([])).to.equal("unknown");
        });
        it("meets the quorum only with enough signals down over the whole window", () => {
            const rounds = [0, 20_000, 40_000, 60_000].map((t) => round(t, "down", "down", "up"));
            expect(evaluate(rounds, 2, PRIMARY.region, 60_000)).to.include({ down: 2, quorumMet: true, spanMs: 60_000 });
            expect(evaluate(rounds, 3, PRIMARY.region, 60_000).quorumMet).to.be.false;
            expect(evaluate(rounds.slice(0, 2), 2, PRIMARY.region, 60_000).quorumMet, "a window cut short").to.be.false;
        });
        it("a single good reading in the window keeps the primary up (a brownout is not an outage)", () => {
            const rounds = [
                round(0, "down", "down", "down"),
                round(20_000, "up", "down", "down", "available"),
                round(40_000, "down", "down", "down"),
            ];
            expect(evaluate(rounds, 3, PRIMARY.region, 40_000)).to.include({ down: 2, quorumMet: false });
        });
    });

    describe("readiness", () => {
        const facts = (f: Partial<ReadinessFacts>): ReadinessFacts => ({
            region: DR.region,
            member: true,
            status: "available",
            engineVersion: "16.6",
            globalEngineVersion: "16.6",
            instances: [{ id: "i-1", status: "available" }],
            keyState: "Enabled",
            ...f,
        });
        const cases: [string, Partial<ReadinessFacts>, RegExp][] = [
            ["not a member", { member: false }, /not a member of this global cluster/],
            ["modifying", { status: "modifying" }, /is modifying, not available/],
            ["creating", { status: "creating" }, /is creating, not available/],
            ["on another engine version", { engineVersion: "16.4" }, /runs 16.4 and the global database 16.6/],
            ["without an instance", { instances: [] }, /no DB instance to promote/],
            ["with no available instance", { instances: [{ id: "i-1", status: "rebooting" }] }, /i-1 rebooting/],
            ["with its key disabled", { keyState: "Disabled" }, /KMS key is Disabled/],
        ];
        for (const [what, f, message] of cases) {
            it(`is not ready ${what}`, () => {
                expect(readinessProblems(facts(f)).join("; ")).to.match(message);
            });
        }
        it("is ready when every check passes", () => {
            expect(readinessProblems(facts({}))).to.deep.equal([]);
        });
        it("re-checks before acting: readiness, the primary for a switchover, the quorum for an unforced failover", () => {
            const ok: Readiness = { ready: true, problems: [], facts: facts({}) };
            const round = (down: number, serving: boolean, answered = serving): Evidence => ({
                peerRegion: PRIMARY.region,
                signals: [],
                down,
                quorum: 2,
                quorumMet: false,
                peerAnswered: answered,
                peerServing: serving,
                spanMs: 0,
                rounds: 1,
            });
            expect(recheckProblem("failover", false, ok, round(2, false))).to.equal(undefined);
            expect(recheckProblem("failover", false, ok, round(2, false, true)), "the primary's API answered").to.match(
                /no longer looks lost/,
            );
            expect(recheckProblem("failover", false, ok, round(1, false))).to.match(/no longer looks lost/);
            expect(recheckProblem("failover", true, ok, round(0, true))).to.equal(undefined);
            expect(recheckProblem("switchover", false, ok, round(0, false))).to.match(/needs the writer in eu-west-2 serving/);
            expect(recheckProblem("failover", true, { ...ok, ready: false, problems: ["x"] }, round(3, false))).to.match(/no longer ready/);
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
            runId: "a",
            action: "failover",
            targetRegion: "eu-west-1",
            steps: ["act"],
            path: "managed",
            notified: ["start"],
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
        it("continues a crashed run as the same run: its steps, path and sent messages", () => {
            expect(inherit(record({}), "eu-west-1", "b")).to.deep.equal({
                runId: "a",
                steps: ["act"],
                notified: ["start"],
                action: "failover",
                path: "managed",
                marks: {},
            });
        });
        it("resumes the steps of a failed run as a new run, with messages of its own, even for a retry of the same invocation", () => {
            expect(inherit(record({ state: "failed" }), "eu-west-1", "a").runId).to.equal("a#4");
            expect(inherit(record({ state: "failed" }), "eu-west-1", "b")).to.deep.equal({
                runId: "b#4",
                steps: ["act"],
                notified: [],
                path: "managed",
                marks: {},
            });
        });
        it("starts afresh after a completed run or for another target region", () => {
            expect(inherit(record({ state: "completed" }), "eu-west-1", "b")).to.deep.equal({
                runId: "b",
                steps: [],
                notified: [],
                marks: {},
            });
            expect(inherit(record({}), "eu-west-2", "b").steps).to.deep.equal([]);
            expect(inherit(undefined, "eu-west-1", "b").steps).to.deep.equal([]);
        });
        it("calls a run open until it completes", () => {
            expect(isOpen(record({}), "eu-west-1")).to.be.true;
            expect(isOpen(record({ state: "failed" }), "eu-west-1")).to.be.true;
            expect(isOpen(record({ state: "completed" }), "eu-west-1")).to.be.false;
            expect(isOpen(record({}), "eu-west-2")).to.be.false;
        });
    });

    describe("time", () => {
        it("fits the longest run the settings allow, and its reserve, inside the function's timeout", () => {
            expect(orchestrationDeadlineSeconds(DETECTION_WINDOW_SECONDS.max) + NOTIFY_RESERVE_SECONDS).to.be.at.most(
                ORCHESTRATOR_TIMEOUT_SECONDS,
            );
        });
        it("polls the promoted writer at most every 5 s", () => {
            expect(DEFAULT_POLL.intervalMs).to.be.at.most(WRITER_POLL_SECONDS * 1000);
        });
        it("aborts a call that never answers at the call's deadline, with an error that names it", async () => {
            const deadline = new Deadline(Date.now, Date.now() + 50, "step act");
            let aborted = false;
            const error = await rejection(
                deadline.call("FailoverGlobalCluster", (signal) => {
                    signal.addEventListener("abort", () => (aborted = true));
                    return new Promise<never>(() => undefined);
                }),
            );
            expect(error).to.be.instanceOf(DeadlineExceededError);
            expect(error.message).to.match(/FailoverGlobalCluster did not answer within \d+ ms \(step act\)/);
            expect(aborted, "the SDK call's AbortSignal fired").to.be.true;
        });
        it("refuses to start a call once the deadline has passed", async () => {
            const deadline = new Deadline(Date.now, Date.now() - 1, "step repoint");
            const error = await rejection(deadline.call("PutParameter", () => Promise.resolve(1)));
            expect(error.message).to.match(/step repoint ran out of time/);
        });
        it("spreads the probes over the whole window even when every call takes time, so the quorum is not lost to rounding", async () => {
            // Each reading of the clock is a millisecond later: the calls take time, as they do for real.
            const result = await handler({ now: () => clock++ })(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(result.evidence?.spanMs).to.be.at.least(60_000);
        });

        it("notices a promotion AWS completes within 5 s of its completion", async () => {
            sim.promotionDoneAt = Number.POSITIVE_INFINITY;
            rds.on(FailoverGlobalClusterCommand).callsFake(() => {
                startPromotion();
                sim.promotionDoneAt = clock + 60_000;
                return { GlobalCluster: globalCluster() };
            });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            const wait = result.timeline.find((s) => s.name === "wait-for-writer")!;
            const noticedAt = Date.parse(wait.start) + wait.durationMs;
            expect(noticedAt - sim.promotionDoneAt!).to.be.within(0, WRITER_POLL_SECONDS * 1000);
        });
    });

    describe("configuration", () => {
        it("names every missing parameter", () => {
            expect(() => parseRuntimeConfig({ stack: "dev" }, "dev", "t")).to.throw(
                ConfigurationError,
                /\/healthcare\/dev\/failover\/global-cluster-id: is missing.*quorum/,
            );
        });
        it("refuses a quorum of one signal", () => {
            expect(() => parseRuntimeConfig({ ...PARAMETERS(), quorum: "1" }, "dev", "t")).to.throw(
                ConfigurationError,
                /quorum: must be at least 2/,
            );
        });
        it("refuses a cluster ARN outside its configured region", () => {
            expect(() => parseRuntimeConfig({ ...PARAMETERS(), "peer-cluster-arn": arnOf(DR) }, "dev", "t")).to.throw(
                ConfigurationError,
                /is not in eu-west-2/,
            );
        });
        it("refuses a peer region that is its own region", () => {
            expect(() =>
                parseRuntimeConfig({ ...PARAMETERS(), "peer-region": DR.region, "peer-cluster-arn": arnOf(DR) }, "dev", "t"),
            ).to.throw(ConfigurationError, /peer-region must differ from region \(eu-west-1\)/);
        });
        it("refuses to run on parameters that name another region as its own: no AWS write", async () => {
            const inLondon = createHandler({
                env: { ...ENV, AWS_REGION: PRIMARY.region },
                clients: createClients({
                    endpointFor: () => "http://127.0.0.1:9",
                    credentials: { accessKeyId: "x", secretAccessKey: "x" },
                }),
                now: () => clock,
                logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
            });
            const error = await rejection(inLondon(FAILOVER, context()));
            expect(error).to.be.instanceOf(ConfigurationError);
            expect(error.message).to.match(/runs in eu-west-2, but \/healthcare\/dev\/failover\/region there names eu-west-1/);
            expect(writes()).to.equal(0);
        });
    });

    describe("the two copies of active-region", () => {
        it("sets its own region's copy, then the peer region's, both naming its own region", async () => {
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            const puts = ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
            expect(puts.map((p) => [p.Name, p.Value])).to.deep.equal([
                ["/healthcare/dev/active-region", DR.region],
                ["/healthcare/dev/active-region", DR.region],
            ]);
            expect(result.timeline.find((s) => s.name === "repoint")?.detail).to.match(/its eu-west-2 copy = eu-west-1/);
            expect(result).to.not.have.property("peerActiveRegionProblem");
        });
        it("completes when the peer region's copy cannot be set, and says so with the command that sets it", async () => {
            let puts = 0;
            ssm.on(PutParameterCommand).callsFake((input: { Value: string }) => {
                if (++puts === 2) {
                    throw timeout();
                }
                sim.activeRegion = input.Value;
                return {};
            });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(puts, "one call: the best-effort write is not repeated").to.equal(2);
            expect(result.peerActiveRegionProblem).to.match(/TimeoutError/);
            expect(result.message).to.match(
                /^failover to eu-west-1 completed \(managed\)\nThe eu-west-2 copy of \/healthcare\/dev\/active-region could not be set .*aws ssm put-parameter --region eu-west-2 --name \/healthcare\/dev\/active-region --value eu-west-1 --overwrite/,
            );
            expect(published().at(-1)).to.equal("[dev] failover to eu-west-1 completed (managed)");
        });
    });

    describe("unplanned failover", () => {
        it("fails over with AllowDataLoss when the quorum holds over the window, repoints, notifies once each and releases the lock", async () => {
            const started = clock;
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
            expect(sim.record).to.equal(endpointOf(DR));
            expect(sim.activeRegion).to.equal(DR.region);
            expect(published()).to.deep.equal(["[dev] failover to eu-west-1 started", "[dev] failover to eu-west-1 completed (managed)"]);
            expect(sim.lock).to.include({ state: "completed", owner: "req-1", runId: "req-1" });
            expect(sim.lock?.notified).to.deep.equal(["start", "end"]);
            expect(result.evidence).to.include({ quorumMet: true });
            expect(primaryProbes, "four probes over the window and one just before acting").to.equal(5);
            expect(Date.parse(result.timeline[1]!.start) - started, "the window was waited").to.be.at.least(60_000);
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
            ["a primary whose key is inaccessible", "inaccessible-encryption-credentials"],
        ] as const) {
            it(`treats ${what} as a lost primary when replication has stopped too`, async () => {
                sim.primary = primary;
                expect((await handler()(FAILOVER, context())).outcome).to.equal("completed");
            });
        }

        it("never detaches when AWS refuses the managed failover: the run fails loudly, pages with the break-glass note, repoints nothing", async () => {
            rds.on(FailoverGlobalClusterCommand).rejects(refused());
            const result = await handler()(FAILOVER, context());
            // Returned, not thrown: a Lambda retry of the same event would only be refused again.
            expect(result.outcome).to.equal("failed");
            expect(result.message).to.match(/failed at act: InvalidGlobalClusterStateFault.*never detaches on its own/);
            expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).to.have.length(0);
            expect(sim.lock?.state).to.equal("failed");
            expect(published()[1]).to.match(/FAILED at act/);
        });

        it("a failover call whose answer was lost after it took effect is read back, not repeated", async () => {
            rds.on(FailoverGlobalClusterCommand).callsFake(() => {
                startPromotion();
                throw timeout();
            });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
            expect(result.timeline.find((s) => s.name === "act")?.detail).to.match(
                /answered TimeoutError, but the global cluster shows the eu-west-1 cluster promoting/,
            );
        });

        for (const [what, error] of [
            ["throttled (ThrottlingException)", throttling],
            ["timed out (TimeoutError) without effect", timeout],
            [
                "answered GlobalClusterNotFoundFault",
                () => awsError(new GlobalClusterNotFoundFault({ message: "no such global cluster", $metadata: {} }), 404),
            ],
        ] as const) {
            it(`fails the run when the failover call is ${what}: lock marked failed, one FAILED message, nothing repointed`, async () => {
                rds.on(FailoverGlobalClusterCommand).rejects(error());
                const err = await rejection(handler()(FAILOVER, context()));
                expect(err.message).to.match(/failed at act/);
                expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).to.have.length(0);
                expect(sim.lock?.state).to.equal("failed");
                expect(published()).to.deep.equal(["[dev] failover to eu-west-1 started", "[dev] failover to eu-west-1 FAILED at act"]);
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

        it("stops waiting at the step's deadline and says so; a re-run keeps waiting and never promotes twice", async () => {
            sim.promotionAfter = Infinity;
            const err = await rejection(handler()(FAILOVER, context()));
            expect(err.message).to.match(
                /failed at wait-for-writer: WaitTimeout: the eu-west-1 cluster did not become the available writer in time/,
            );
            expect(sim.lock).to.include({ state: "failed" });
            expect(sim.lock?.steps).to.include("act");
            sim.promotionAfter = 1;
            const rerun = await handler()(FAILOVER, context(undefined, "req-2"));
            expect(rerun.outcome).to.equal("completed");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
            expect(rerun.timeline.find((s) => s.name === "act")).to.include({ outcome: "skipped" });
        });

        it("keeps polling through throttled reads of the writer, without promoting twice", async () => {
            let n = 0;
            rds.on(DescribeGlobalClustersCommand).callsFake(() => {
                if (sim.failoverState !== undefined && ++n % 2 === 0) {
                    throw throttling();
                }
                if (sim.failoverState !== undefined && n > 8) {
                    sim.failoverState = undefined;
                    sim.drWriter = true;
                }
                return { GlobalClusters: [globalCluster()] };
            });
            expect((await handler()(FAILOVER, context())).outcome).to.equal("completed");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
        });

        it("still completes when a notification cannot be published, and never publishes it twice", async () => {
            sns.on(PublishCommand).rejects(timeout());
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(result.timeline.find((s) => s.name === "notify")?.detail).to.match(/0 of 1 topics/);
            expect(sns.commandCalls(PublishCommand)).to.have.length(2);
        });

        it("fails the run at its deadline when the function's time runs short, keeping the reserve to tell on-call", async () => {
            sim.promotionAfter = Infinity;
            const err = await rejection(handler()(FAILOVER, context(150_000)));
            expect(err.message).to.match(/failed at wait-for-writer/);
            expect(published()[1]).to.match(/FAILED at wait-for-writer/);
            expect(sim.lock?.state).to.equal("failed");
        });
    });

    describe("never fails over a healthy primary", () => {
        const refusedCases: [string, () => void, RegExp][] = [
            ["the primary serving, replication flowing", () => healthy(), /0 of 3 signals/],
            [
                "a lag alarm alone (replication slow, the primary serving)",
                () => Object.assign(healthy(), { lagMs: 600_000 }),
                /1 of 3 signals.*replication-lag down/,
            ],
            [
                "a primary in failing-over (a transition, not a failure) with replication stopped",
                () => Object.assign(sim, { primary: "failing-over", primaryMetrics: "present" }),
                /peer-rds-api up/,
            ],
            [
                "a primary in update-iam-db-auth with replication stopped",
                () => Object.assign(sim, { primary: "update-iam-db-auth", primaryMetrics: "present" }),
                /peer-rds-api up/,
            ],
            [
                "a brownout: the primary's RDS API answers 503 every other call",
                () => Object.assign(sim, { primary: "flaky", primaryMetrics: "present" }),
                /peer-rds-api up/,
            ],
            [
                "two failed probes then a good one",
                () => {
                    Object.assign(healthy(), { lagMs: undefined });
                    let n = 0;
                    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: PRIMARY.id }).callsFake(() => {
                        if (++n <= 2) {
                            throw serverError();
                        }
                        return { DBClusters: [{ Status: "available", Endpoint: endpointOf(PRIMARY) }] };
                    });
                },
                /peer-rds-api up/,
            ],
            [
                "this function cannot reach anything (its NAT is down): the control probe fails too",
                () => Object.assign(sim, { route53Down: true }),
                /peer-rds-api unknown.*peer-metrics unknown/,
            ],
            [
                "throttling of the primary's API",
                () => Object.assign(sim, { primary: "throttled", primaryMetrics: "present" }),
                /peer-rds-api unknown/,
            ],
        ];
        for (const [what, arrange, reason] of refusedCases) {
            it(`refuses and pages for ${what}: no AWS write but the notification`, async () => {
                arrange();
                const result = await handler()(alarm(), context());
                expect(result.outcome).to.equal("refused");
                expect(result.message).to.match(reason);
                expect(mutatingCalls()).to.equal(0);
                expect(published()).to.deep.equal(["[dev] failover to eu-west-1 refused"]);
            });
        }

        it("stops when the primary recovers between the window and the act step: nothing is started", async () => {
            let rounds = 0;
            cloudwatch
                .on(GetMetricDataCommand)
                .callsFake((input: { MetricDataQueries: { MetricStat: { Metric: { MetricName: string } } }[] }) => {
                    const metric = input.MetricDataQueries[0]!.MetricStat.Metric.MetricName;
                    if (metric === "ServerlessDatabaseCapacity") {
                        if (rounds > 4) {
                            return { MetricDataResults: [{ Id: "m", Timestamps: [new Date(clock)], Values: [2] }] };
                        }
                        throw timeout();
                    }
                    // The replication lag and the capacity metric come back after the window: the primary is back.
                    return {
                        MetricDataResults: [
                            ++rounds > 4
                                ? { Id: "m", Timestamps: [new Date(clock)], Values: [100] }
                                : { Id: "m", Timestamps: [], Values: [] },
                        ],
                    };
                });
            rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: PRIMARY.id }).callsFake(() => {
                if (rounds > 4) {
                    return { DBClusters: [{ Status: "available" }] };
                }
                throw timeout();
            });
            const err = await handler()(FAILOVER, context());
            expect(err.outcome).to.equal("failed");
            expect(err.message).to.match(
                /failed at act: RecheckFailed: re-checked immediately before acting, nothing was started: the writer in eu-west-2 no longer looks lost/,
            );
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(0);
            expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).to.have.length(0);
        });

        it("fails over a healthy primary only when forced, by a confirmed manual request", async () => {
            healthy();
            const result = await handler()({ ...FAILOVER, force: true }, context());
            expect(result.outcome).to.equal("completed");
            expect(primaryProbes, "a forced run reads one round, not the window").to.equal(2);
        });

        it("does nothing for an alarm that returned to OK: no read, no write", async () => {
            const result = await handler()(alarm("OK"), context());
            expect(result.outcome).to.equal("ignored");
            expect(writes()).to.equal(0);
            expect(rds.calls()).to.have.length(0);
        });

        it("in manual mode, an alarm only notifies with the exact command", async () => {
            sim.mode = "manual";
            const result = await handler()(alarm(), context());
            expect(result.outcome).to.equal("notified");
            expect(mutatingCalls()).to.equal(0);
            const message = String(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message);
            expect(message).to.contain("npm run failover -- --stack dev --action failover --to eu-west-1 --confirm dev:failover:eu-west-1");
        });
    });

    describe("never splits the brain", () => {
        for (const [what, arrange] of [
            ["the DR cluster detached from the global cluster, the primary healthy", () => Object.assign(healthy(), { drMember: false })],
            ["the DR cluster never joined, the primary lost", () => Object.assign(sim, { drMember: false })],
        ] as const) {
            it(`repoints nothing towards a cluster that is not the writer: ${what}`, async () => {
                arrange();
                for (const event of [alarm(), { ...FAILOVER, force: true }]) {
                    const result = await handler()(event, context());
                    expect(result.outcome).to.equal("refused");
                    expect(result.message).to.match(/not a member of the global cluster/);
                }
                expect(mutatingCalls()).to.equal(0);
                expect(sim.record).to.equal(endpointOf(PRIMARY));
                expect(sim.activeRegion).to.equal(PRIMARY.region);
            });
        }
    });

    describe("DR readiness", () => {
        for (const [what, arrange, reason] of [
            ["modifying", () => (sim.drStatus = "modifying"), /modifying, not available/],
            ["creating", () => (sim.drStatus = "creating"), /creating, not available/],
            ["with its key disabled", () => (sim.keyState = "Disabled"), /KMS key is Disabled/],
            ["without an instance", () => (sim.drInstances = []), /no DB instance/],
            ["on another engine version", () => (sim.drEngine = "16.4"), /runs 16.4/],
        ] as const) {
            it(`refuses a failover to a DR cluster ${what}, pages with the reason, and changes nothing (even when forced)`, async () => {
                arrange();
                for (const event of [alarm(), { ...FAILOVER, force: true }]) {
                    const result = await handler()(event, context());
                    expect(result.outcome).to.equal("refused");
                    expect(result.message).to.match(reason);
                }
                expect(mutatingCalls()).to.equal(0);
                expect(published()).to.have.length(2);
            });
        }
    });

    describe("the lock", () => {
        const otherRun = (): LockRecord => ({
            lockId: GLOBAL,
            state: "running",
            owner: "other",
            runId: "other",
            action: "failover",
            targetRegion: DR.region,
            steps: [],
            notified: ["start"],
            expiresAt: clock + 60_000,
            updatedAt: clock,
            version: 1,
        });

        it("refuses a second invocation while a run holds it: warns, counts a metric, notifies once per run, changes nothing", async () => {
            // A holder that keeps renewing its lease through both invocations' detection windows.
            sim.lock = { ...otherRun(), expiresAt: clock + 600_000 };
            const first = await handler()(alarm(), context(undefined, "req-2"));
            const second = await handler()(alarm(), context(undefined, "req-3"));
            for (const result of [first, second]) {
                expect(result.outcome).to.equal("locked");
                expect(result.message).to.match(/Another invocation \(other, run other\) holds the failover lock/);
            }
            expect(warnings.filter((w) => w === "refused by the failover lock")).to.have.length(2);
            expect(metrics).to.deep.equal(["LockRefusals", "LockRefusals"]);
            expect(published()).to.deep.equal(["[dev] failover lock busy: run other is in progress"]);
            expect(mutatingCalls()).to.equal(0);
        });

        it("takes over from a crashed holder once its short lease has run out, and continues its run", async () => {
            sim.lock = { ...otherRun(), expiresAt: clock - 1 };
            const result = await handler()(FAILOVER, context(undefined, "req-2"));
            expect(result.outcome).to.equal("completed");
            expect(result.runId).to.equal("other");
            expect(published(), "the crashed run already sent its started message").to.deep.equal([
                "[dev] failover to eu-west-1 completed (managed)",
            ]);
        });

        it("holds the lock when the answer to its write was lost: reads it back, does not lock itself out", async () => {
            let lost = false;
            dynamodb.on(PutItemCommand, { TableName: LOCK_TABLE }).callsFake((input: { Item: Record<string, AttributeValue> }) => {
                sim.lock = fromItem(input.Item);
                if (!lost) {
                    lost = true;
                    throw timeout();
                }
                return {};
            });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
        });

        it("loses a race for the lock cleanly (the conditional write fails and the item is another's)", async () => {
            dynamodb.on(PutItemCommand, { TableName: LOCK_TABLE }).callsFake(() => {
                sim.lock = otherRun();
                throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
            });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("locked");
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(0);
        });

        it("renews its lease while it waits, so a long promotion is never taken over", async () => {
            sim.promotionAfter = 60;
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            const writesOfTheLock = dynamodb
                .commandCalls(PutItemCommand)
                .filter((c) => c.args[0].input.TableName === LOCK_TABLE)
                .map((c) => fromItem(c.args[0].input.Item!));
            const waits = writesOfTheLock.filter((r) => r.state === "running");
            for (let i = 1; i < waits.length; i++) {
                expect(waits[i]!.updatedAt - waits[i - 1]!.updatedAt, "a renewal at least every half lease").to.be.at.most(30_000 + 5_000);
            }
        });
    });

    describe("runs that failed before", () => {
        const failedRun = (steps: string[]): LockRecord => ({
            lockId: GLOBAL,
            state: "failed",
            owner: "earlier",
            runId: "earlier",
            action: "failover",
            targetRegion: DR.region,
            steps,
            path: "managed",
            notified: ["start", "end"],
            expiresAt: clock - 1,
            updatedAt: clock - 3_600_000,
            version: 4,
        });

        it("a failed record that says act was done never blocks a later failover: the promotion that did not happen is decided again", async () => {
            sim.lock = failedRun(["act-started", "act"]);
            for (const id of ["req-2", "req-3"]) {
                const result = await handler()(FAILOVER, context(undefined, id));
                if (id === "req-2") {
                    expect(result.outcome).to.equal("completed");
                }
            }
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(1);
            expect(sim.record).to.equal(endpointOf(DR));
        });

        it("a retry of the invocation whose run failed is a new run: its own id, its own started and final messages", async () => {
            sim.lock = { ...failedRun(["act-started"]), owner: "req-1", runId: "req-1" };
            const result = await handler()(FAILOVER, context(undefined, "req-1"));
            expect(result.outcome).to.equal("completed");
            expect(result.runId).to.equal("req-1#5");
            expect(published()).to.deep.equal(["[dev] failover to eu-west-1 started", "[dev] failover to eu-west-1 completed (managed)"]);
        });

        it("a failure inside the lock step, after the lock was taken, pages and releases the lock instead of leaving it to the lease", async () => {
            let n = 0;
            rds.on(DescribeGlobalClustersCommand).callsFake(() => {
                // The first read (assess) answers; the read under the lock fails.
                if (++n === 2) {
                    throw awsError(new GlobalClusterNotFoundFault({ message: "gone", $metadata: {} }), 404);
                }
                return { GlobalClusters: [globalCluster()] };
            });
            const err = await rejection(handler()(FAILOVER, context()));
            expect(err.message).to.match(/failed at lock: GlobalClusterNotFoundFault/);
            expect(sim.lock?.state).to.equal("failed");
            expect(published()).to.deep.equal(["[dev] failover to eu-west-1 FAILED at lock"]);
        });

        it("a resumed run that already said started and finds nothing to do says how it ended", async () => {
            // The crashed run said "started"; then the DR cluster left the global cluster (a human detached it).
            sim.lock = { ...failedRun(["act-started"]), state: "running", owner: "crashed", runId: "crashed", notified: ["start"] };
            let reads = 0;
            rds.on(DescribeGlobalClustersCommand).callsFake(() => {
                // The assess read still shows the DR cluster a member; the read under the lock does not.
                if (++reads > 1) {
                    sim.drMember = false;
                }
                return { GlobalClusters: [globalCluster()] };
            });
            const result = await handler()(FAILOVER, context(undefined, "req-2"));
            expect(result.outcome).to.equal("refused");
            expect(published()).to.deep.equal(["[dev] failover to eu-west-1 stopped"]);
            expect(sim.lock?.notified).to.deep.equal(["start", "end"]);
        });
    });

    describe("the control probe", () => {
        it("counts a throttled Route 53 as an answer: the path works, so an unreachable primary is still evidence", async () => {
            let reads = 0;
            route53.on(ListResourceRecordSetsCommand).callsFake(() => {
                // Throttled through the detection window, then answering again.
                if (++reads <= 6) {
                    throw throttling();
                }
                return { ResourceRecordSets: [{ Name: `${RECORD}.`, Type: "CNAME", TTL: 30, ResourceRecords: [{ Value: sim.record }] }] };
            });
            const result = await handler()(FAILOVER, context());
            expect(result.outcome).to.equal("completed");
            expect(result.evidence?.signals.find((x) => x.signal === "peer-rds-api")?.verdict).to.equal("down");
        });
    });

    describe("finishing what was started", () => {
        it("a run whose pointers already name the new writer but whose record is open verifies, notifies once and releases", async () => {
            Object.assign(sim, { drWriter: true, record: endpointOf(DR), activeRegion: DR.region });
            sim.lock = {
                lockId: GLOBAL,
                state: "running",
                owner: "crashed",
                runId: "crashed",
                action: "failover",
                targetRegion: DR.region,
                steps: ["act", "wait-for-writer", "repoint"],
                path: "managed",
                notified: ["start"],
                expiresAt: clock - 1,
                updatedAt: clock - 120_000,
                version: 7,
            };
            const result = await handler()(alarm(), context(undefined, "req-9"));
            expect(result.outcome).to.equal("completed");
            expect(result.runId).to.equal("crashed");
            expect(published()).to.deep.equal(["[dev] failover to eu-west-1 completed (managed)"]);
            expect(sim.lock).to.include({ state: "completed" });
            expect(sim.lock?.notified).to.deep.equal(["start", "end"]);
            expect(rds.commandCalls(FailoverGlobalClusterCommand)).to.have.length(0);
        });

        it("a repeated alarm after a completed failover changes nothing and stays quiet: not needed", async () => {
            Object.assign(sim, { drWriter: true, record: endpointOf(DR), activeRegion: DR.region });
            const result = await handler()(alarm(), context());
            expect(result.outcome).to.equal("not-needed");
            expect(result.message).to.match(/eu-west-1 cluster is already the writer/);
            expect(writes()).to.equal(0);
        });

        it("a manual request for the region that already holds the writer is answered already-active, quietly", async () => {
            Object.assign(sim, { drWriter: true, record: endpointOf(DR), activeRegion: DR.region });
            const result = await handler()(SWITCHOVER, context());
            expect(result.outcome).to.equal("already-active");
            expect(writes()).to.equal(0);
        });
    });

    describe("planned switchover", () => {
        it("switches over a healthy global database", async () => {
            healthy();
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
            healthy();
            rds.on(SwitchoverGlobalClusterCommand).rejects(refused());
            const result = await handler()(SWITCHOVER, context());
            expect(result.outcome).to.equal("failed");
            expect(result.message).to.match(/switchover to eu-west-1 failed at act: InvalidGlobalClusterStateFault/);
        });
    });

    describe("dry run", () => {
        for (const [what, event, arrange] of [
            ["failover", { ...FAILOVER, dryRun: true }, () => undefined],
            ["switchover", { ...SWITCHOVER, dryRun: true }, healthy],
        ] as const) {
            it(`reads everything and reports the ${what} it would do, changing and publishing nothing`, async () => {
                arrange();
                const result: RunResult = await handler()(event, context());
                expect(result.outcome).to.equal("dry-run");
                expect(result.dryRun).to.be.true;
                expect(writes()).to.equal(0);
                expect(result.timeline.find((s) => s.name === "act")?.detail).to.match(
                    what === "failover"
                        ? /would re-check, then call FailoverGlobalCluster/
                        : /would re-check, then call SwitchoverGlobalCluster/,
                );
                expect(result.timeline.find((s) => s.name === "repoint")?.detail).to.contain(endpointOf(DR));
            });
        }
    });
});

describe("break-glass rules", () => {
    beforeEach(() => {
        clock = Date.parse("2025-01-01T03:00:00Z");
        sim ??= { mode: "automatic" } as Sim;
    });
    const ready: Readiness = { ready: true, problems: [], facts: {} as ReadinessFacts };
    const notReady: Readiness = {
        ready: false,
        problems: ["the eu-west-1 cluster is modifying, not available"],
        facts: {} as ReadinessFacts,
    };
    const round = (peerServing: boolean, peerStatus?: string): Evidence => ({
        peerRegion: PRIMARY.region,
        signals: [],
        down: peerServing ? 0 : 2,
        quorum: 2,
        quorumMet: !peerServing,
        peerAnswered: peerStatus !== undefined,
        peerServing,
        ...(peerStatus !== undefined ? { peerStatus } : {}),
        spanMs: 0,
        rounds: 1,
    });
    const world = (w: Partial<World>): World => ({
        role: "secondary",
        pointersAtSelf: false,
        openRun: false,
        readiness: ready,
        evidence: round(false),
        ...w,
    });
    const BG: OrchestratorRequest = {
        kind: "manual",
        stack: "dev",
        action: "break-glass",
        targetRegion: DR.region,
        dryRun: false,
        force: false,
    };
    const ctx = { mode: "automatic" as const, stack: "dev", region: DR.region };

    it("is confirmed with <stack>:<region>:detach, and its command says so", () => {
        expect(confirm("prod", "break-glass", "eu-west-1")).to.equal("prod:eu-west-1:detach");
        expect(failoverCommand("prod", "eu-west-1", "break-glass")).to.equal(
            "npm run failover -- --stack prod --action break-glass --to eu-west-1 --confirm prod:eu-west-1:detach",
        );
    });

    const cases: [string, World, "proceed" | "refuse", RegExp, boolean?][] = [
        [
            "proceeds with a detach when the peer writer is not serving and its own cluster is ready",
            world({}),
            "proceed",
            /break-glass: .*detaching the eu-west-1 cluster/,
            true,
        ],
        [
            "refuses when the peer writer answers and serves: use a switchover",
            world({ evidence: round(true, "available") }),
            "refuse",
            /answers and is serving \(available\).*two writers.*--action switchover/,
        ],
        ["refuses when its own cluster is not ready", world({ readiness: notReady }), "refuse", /not ready for a break-glass.*modifying/],
        [
            "refuses when its own cluster already is the global writer: the managed paths are the tool",
            world({ role: "writer" }),
            "refuse",
            /already the writer of the global database.*managed paths are the tool/,
        ],
        [
            "refuses while a managed promotion of its own cluster is under way",
            world({ role: "promoting" }),
            "refuse",
            /managed promotion .* is under way/,
        ],
        ["refuses when its own cluster hands the writer over", world({ role: "demoting" }), "refuse", /nothing to detach/],
        [
            "resumes, never refuses, when its own cluster is already detached (a previous detach took effect)",
            world({ role: "not-member", readiness: undefined, evidence: undefined }),
            "proceed",
            /already detached.*resuming/,
            false,
        ],
        [
            "refuses when the readiness and the signals were not read",
            world({ readiness: undefined, evidence: undefined }),
            "refuse",
            /were not read/,
        ],
    ];
    for (const [what, w, kind, reason, promote] of cases) {
        it(what, () => {
            const decision = decide(BG, w, ctx);
            expect(decision.kind).to.equal(kind);
            expect(decision.reason).to.match(reason);
            if (promote !== undefined) {
                expect(decision.kind === "proceed" && decision.promote).to.equal(promote);
                expect(decision.kind === "proceed" && decision.action).to.equal("break-glass");
            }
        });
    }

    it("is never chosen for an alarm or a schedule, whatever the world", () => {
        const alarm: OrchestratorRequest = {
            kind: "alarm",
            alarmName: "a",
            state: "ALARM",
            reason: "",
            alarmRegion: DR.region,
            account: ACCOUNT,
            resources: [],
            time: "",
        };
        const schedule: OrchestratorRequest = { kind: "aftercare", region: DR.region, account: ACCOUNT, resources: [], time: "" };
        for (const role of ["secondary", "not-member", "writer"] as const) {
            for (const request of [alarm, schedule]) {
                const decision = decide(request, world({ role }), ctx);
                expect(decision.kind === "proceed" ? decision.action : "none").to.not.equal("break-glass");
            }
        }
        expect(decide(schedule, world({}), ctx).kind).to.equal("ignore");
    });

    it("checks readiness without membership or the engine version (one reason the managed failover is refused)", () => {
        const facts: ReadinessFacts = {
            region: DR.region,
            member: false,
            status: "available",
            engineVersion: "16.4",
            globalEngineVersion: "16.6",
            instances: [{ id: "i-1", status: "available" }],
            keyState: "Enabled",
        };
        expect(readinessProblems(facts, "break-glass")).to.deep.equal([]);
        expect(readinessProblems(facts)).to.have.length(2);
        expect(readinessProblems({ ...facts, status: "modifying", instances: [], keyState: "Disabled" }, "break-glass")).to.have.length(3);
    });

    it("re-checks immediately before the detach: a peer that serves again stops it", () => {
        expect(recheckProblem("break-glass", false, ready, round(true, "available"))).to.match(/would make two writers/);
        expect(recheckProblem("break-glass", false, notReady, round(false))).to.match(/no longer ready/);
        expect(recheckProblem("break-glass", false, ready, round(false))).to.equal(undefined);
    });

    it("never continues a managed run's record as a break-glass, nor the reverse", () => {
        const crashed: LockRecord = {
            lockId: GLOBAL,
            state: "running",
            owner: "a",
            runId: "a",
            action: "failover",
            targetRegion: DR.region,
            steps: ["act-started"],
            notified: ["start"],
            path: "managed",
            expiresAt: 0,
            updatedAt: 0,
            version: 3,
        };
        expect(inherit(crashed, DR.region, "b", "break-glass")).to.deep.equal({ runId: "b", steps: [], notified: [], marks: {} });
        expect(inherit({ ...crashed, action: "break-glass", path: "detach" }, DR.region, "b", "break-glass")).to.deep.include({
            runId: "a",
            path: "detach",
        });
        expect(fromItem(toItem({ ...crashed, path: "detach" })).path).to.equal("detach");
    });

    it("fits every break-glass step and the reserve inside the function's timeout", () => {
        const sum = Object.values(BREAK_GLASS_STEP_DEADLINE_SECONDS).reduce((a, b) => a + b, 0);
        expect(sum + NOTIFY_RESERVE_SECONDS).to.be.at.most(ORCHESTRATOR_TIMEOUT_SECONDS);
    });

    describe("events", () => {
        const manualBG = { stack: "dev", action: "break-glass", targetRegion: DR.region, confirm: `dev:${DR.region}:detach` };
        it("accepts a break-glass confirmed with <stack>:<region>:detach, and refuses force or another confirmation", () => {
            expect(parseEvent(manualBG)).to.deep.include({ kind: "manual", action: "break-glass", force: false });
            expect(() => parseEvent({ ...manualBG, force: true })).to.throw(InvalidEventError, /force is not accepted with break-glass/);
            expect(() => parseEvent({ ...manualBG, confirm: `dev:break-glass:${DR.region}` })).to.throw(
                InvalidEventError,
                new RegExp(`confirm must repeat the request exactly: "dev:${DR.region}:detach"`),
            );
        });
        const config = () => parseRuntimeConfig(PARAMETERS(), "dev", "t");
        const rule = `arn:aws:events:${DR.region}:${ACCOUNT}:rule/${aftercareRuleName("dev")}`;
        const scheduled = (extra: Record<string, unknown> = {}) => ({
            version: "0",
            id: "s-1",
            "detail-type": "Scheduled Event",
            source: "aws.events",
            account: ACCOUNT,
            time: new Date(clock).toISOString(),
            region: DR.region,
            resources: [rule],
            detail: {},
            ...extra,
        });
        it("admits the stack's aftercare schedule in its own region", () => {
            const request = parseEvent(scheduled());
            expect(request).to.deep.include({ kind: "aftercare", region: DR.region });
            expect(admit(request, config(), clock)).to.equal(request);
        });
        const refused: [string, Record<string, unknown> | (() => Record<string, unknown>), RegExp][] = [
            [
                "another rule",
                { resources: [`arn:aws:events:${DR.region}:${ACCOUNT}:rule/other`] },
                /must name exactly this stack's aftercare rule/,
            ],
            ["no rule", { resources: [] }, /not nothing/],
            [
                "the rule of the other region",
                { region: PRIMARY.region, resources: [rule.replace(DR.region, PRIMARY.region)] },
                /from eu-west-2; this function's aftercare schedule is in eu-west-1/,
            ],
            ["another account", { account: "999999999999" }, /from account 999999999999/],
            ["a stale event", () => ({ time: new Date(clock - 3_600_000).toISOString() }), /3600 s old/],
        ];
        for (const [what, extra, reason] of refused) {
            it(`refuses a scheduled event of ${what}, naming the problem`, () => {
                expect(() => admit(parseEvent(scheduled(typeof extra === "function" ? extra() : extra)), config(), clock)).to.throw(
                    InvalidEventError,
                    reason,
                );
            });
        }
        it("refuses a malformed scheduled event before any AWS call: another detail-type, a detail, unknown keys", () => {
            expect(() => parseEvent(scheduled({ "detail-type": "Custom" }))).to.throw(
                InvalidEventError,
                /detail-type of an aws.events event must be "Scheduled Event"/,
            );
            expect(() => parseEvent(scheduled({ detail: { action: "failover" } }))).to.throw(InvalidEventError, /unknown key action/);
            expect(() => parseEvent(scheduled({ dryRun: true }))).to.throw(InvalidEventError, /unknown key dryRun/);
        });
    });

    describe("configuration", () => {
        it("requires the secret, the peer security group and the peer cluster parameter group, and names each", () => {
            const values = PARAMETERS();
            for (const key of [
                FAILOVER_PARAMETERS.secretArn,
                FAILOVER_PARAMETERS.peerSecurityGroupId,
                FAILOVER_PARAMETERS.peerClusterParameterGroup,
            ]) {
                const { [key]: _gone, ...rest } = values;
                expect(() => parseRuntimeConfig(rest, "dev", "t")).to.throw(ConfigurationError, new RegExp(`failover/${key}: is missing`));
            }
        });
        it("refuses a secret of another region: each region re-points its own copy", () => {
            expect(() =>
                parseRuntimeConfig(
                    {
                        ...PARAMETERS(),
                        [FAILOVER_PARAMETERS.secretArn]: `arn:aws:secretsmanager:${PRIMARY.region}:${ACCOUNT}:secret:x-AbCdEf`,
                    },
                    "dev",
                    "t",
                ),
            ).to.throw(ConfigurationError, /secret-arn: the secret .* is not in this region's account \(eu-west-1/);
            expect(() =>
                parseRuntimeConfig({ ...PARAMETERS(), [FAILOVER_PARAMETERS.peerSecurityGroupId]: "default" }, "dev", "t"),
            ).to.throw(ConfigurationError, /peer-db-security-group-id: must be a security group id/);
        });
    });

    describe("the secret", () => {
        const value = {
            engine: "postgres",
            host: "g.global-x.global.rds.amazonaws.com",
            port: 5432,
            username: "u",
            password: "p",
            dbname: "d",
            dbClusterIdentifier: PRIMARY.id,
            ssl: true,
        };
        const self = { region: DR.region, arn: `arn:aws:rds:${DR.region}:${ACCOUNT}:cluster:${DR.id}`, identifier: DR.id };
        it("keeps every field but host (and the cluster it names), in their order", () => {
            const out = repointedValue(value, "dr.cluster-x.eu-west-1.rds.amazonaws.com", self);
            expect(out).to.deep.equal({ ...value, host: "dr.cluster-x.eu-west-1.rds.amazonaws.com", dbClusterIdentifier: DR.id });
            expect(Object.keys(out)).to.deep.equal(Object.keys(value));
            const { dbClusterIdentifier: _id, ...without } = value;
            expect(repointedValue(without, "h", self)).to.not.have.property("dbClusterIdentifier");
        });
        it("writes with a token derived from the version it replaces: a retry is the same version, 32-64 characters", () => {
            expect(secretWriteToken("v1", "h")).to.equal(secretWriteToken("v1", "h")).and.to.have.length(64);
            expect(secretWriteToken("v2", "h")).to.not.equal(secretWriteToken("v1", "h"));
        });
        it("refuses a secret that holds no JSON object, naming it", () => {
            expect(() => parseSecretValue("arn:s", "not json")).to.throw(/the secret arn:s does not hold a JSON object/);
            expect(() => parseSecretValue("arn:s", "[1]")).to.throw(/JSON object/);
        });
    });

    describe("the fence", () => {
        // As DescribeSecurityGroups returns them: descriptions, group names and VPC fields are not what a revoke matches on.
        const described = [
            {
                IpProtocol: "tcp",
                FromPort: 5432,
                ToPort: 5432,
                UserIdGroupPairs: [{ GroupId: "sg-app", UserId: "123456789012", GroupName: "app", VpcId: "vpc-1", Description: "app" }],
                IpRanges: [{ CidrIp: "10.0.0.0/16", Description: "app & jobs" }],
                Ipv6Ranges: [],
                PrefixListIds: [{ PrefixListId: "pl-1", Description: "s3" }],
            },
            { IpProtocol: "-1", UserIdGroupPairs: [], IpRanges: [], Ipv6Ranges: [{ CidrIpv6: "::/0" }], PrefixListIds: [] },
        ];
        it("revokes exactly the ingress permissions read, reduced to what identifies them", () => {
            expect(ingressOf(described)).to.deep.equal([
                {
                    IpProtocol: "tcp",
                    FromPort: 5432,
                    ToPort: 5432,
                    IpRanges: [{ CidrIp: "10.0.0.0/16" }],
                    PrefixListIds: [{ PrefixListId: "pl-1" }],
                    UserIdGroupPairs: [{ GroupId: "sg-app", UserId: "123456789012" }],
                },
                { IpProtocol: "-1", Ipv6Ranges: [{ CidrIpv6: "::/0" }] },
            ]);
            expect(ingressOf(undefined)).to.deep.equal([]);
        });
        it("is fenced only with no ingress, the parameter at 1, and every instance rebooted after the last change", () => {
            const facts = { clusterExists: true, ingressRules: 0, parameterValue: FENCE_PARAMETER.value };
            expect(isFenced(facts, { lastChangeAt: 100, rebootedAt: 100 })).to.equal(true);
            expect(isFenced(facts, { lastChangeAt: 200, rebootedAt: 100 }), "a change after the reboot").to.equal(false);
            expect(isFenced(facts, { lastChangeAt: 0, rebootedAt: 0 }), "never rebooted").to.equal(false);
            expect(isFenced({ ...facts, ingressRules: 1 }, { lastChangeAt: 1, rebootedAt: 2 })).to.equal(false);
            expect(isFenced({ ...facts, parameterValue: "0" }, { lastChangeAt: 1, rebootedAt: 2 })).to.equal(false);
        });
        it("stores the obligation in its attribute and reads it back unchanged", () => {
            const o = {
                ...newObligation({
                    region: PRIMARY.region,
                    clusterIdentifier: PRIMARY.id,
                    securityGroupId: "sg-1",
                    parameterGroup: "pg",
                    runId: "r",
                    now: 5,
                }),
                attempts: 2,
                lastProblem: "ECONNREFUSED",
            };
            expect(obligationFromAttribute(obligationToAttribute(o))).to.deep.equal(o);
            expect(o).to.deep.include({ state: "pending", openedAt: 5, rebootedAt: 0 });
        });
    });
});
