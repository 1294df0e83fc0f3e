/**
 * The fault proxy and the child runner, specified against a real moto (one server per test process) with the real SDK
 * clients the orchestrator uses: each fault must look to the SDK exactly like the outage it stands for, and must or
 * must not take effect in moto as documented in orchestrator/local/faultProxy.ts.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateDBClusterCommand, DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { CreateHostedZoneCommand, GetHostedZoneCommand, ListHostedZonesCommand, Route53Client } from "@aws-sdk/client-route-53";
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { expect } from "chai";
import { ORCHESTRATOR_ENV } from "../lib/failover";
import { startHandlerInChild } from "../orchestrator/local/childRun";
import {
    identifyCall,
    ruleProblems,
    startFaultProxy,
    type BufferedRequest,
    type Fault,
    type FaultProxy,
} from "../orchestrator/local/faultProxy";
import { type MotoServer } from "../orchestrator/local/moto";
import { MOTO_CREDENTIALS } from "../orchestrator/local/topology";
import { requireMoto, sharedMoto } from "./harness/moto";

const PRIMARY = "eu-west-2";
const DR = "eu-west-1";

/** One attempt per call: a retry would hide what the fault did. */
function clientConfig(endpoint: string, region: string) {
    return { endpoint, region, maxAttempts: 1, credentials: { ...MOTO_CREDENTIALS } };
}

/** The error a call rejected with (fails the test when it resolved). */
async function rejection(call: Promise<unknown>): Promise<Error & { code?: string; $metadata?: { httpStatusCode?: number } }> {
    try {
        await call;
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected the call to fail, it succeeded");
}

/** A connection dropped without an answer, as the SDK's Node.js handler reports it. */
function expectDroppedConnection(e: Error & { code?: string; $metadata?: { httpStatusCode?: number } }): void {
    expect(`${e.code ?? ""} ${e.message}`).to.match(/ECONNRESET|socket hang up/);
    expect(e.$metadata?.httpStatusCode).to.equal(undefined);
}

describe("identifyCall", () => {
    const auth = (service: string, region: string) =>
        `AWS4-HMAC-SHA256 Credential=testing/20250101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;
    const request = (method: string, url: string, headers: Record<string, string>, body = ""): BufferedRequest => ({
        method,
        url,
        headers,
        body: Buffer.from(body),
    });
    const cases: readonly [string, BufferedRequest, string, string, string][] = [
        [
            "awsQuery (rds)",
            request(
                "POST",
                "/",
                { authorization: auth("rds", DR), "content-type": "application/x-www-form-urlencoded" },
                "Action=DescribeDBClusters&Version=2014-10-31",
            ),
            "rds",
            DR,
            "DescribeDBClusters",
        ],
        [
            "awsJson 1.0 (dynamodb)",
            request("POST", "/", { authorization: auth("dynamodb", DR), "x-amz-target": "DynamoDB_20120810.PutItem" }),
            "dynamodb",
            DR,
            "PutItem",
        ],
        [
            "awsJson 1.1 (kms)",
            request("POST", "/", { authorization: auth("kms", PRIMARY), "x-amz-target": "TrentService.DescribeKey" }),
            "kms",
            PRIMARY,
            "DescribeKey",
        ],
        [
            "awsJson 1.0 (cloudwatch)",
            request("POST", "/", { authorization: auth("monitoring", DR), "x-amz-target": "GraniteServiceVersion20100801.GetMetricData" }),
            "monitoring",
            DR,
            "GetMetricData",
        ],
        [
            "Smithy RPC v2",
            request("POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData", { authorization: auth("monitoring", DR) }),
            "monitoring",
            DR,
            "GetMetricData",
        ],
        [
            "Route 53 change",
            request("POST", "/2013-04-01/hostedzone/Z123/rrset/", { authorization: auth("route53", "us-east-1") }),
            "route53",
            "us-east-1",
            "ChangeResourceRecordSets",
        ],
        [
            "Route 53 list",
            request("GET", "/2013-04-01/hostedzone/Z123/rrset?name=writer", { authorization: auth("route53", "us-east-1") }),
            "route53",
            "us-east-1",
            "ListResourceRecordSets",
        ],
        [
            "Route 53 zone",
            request("GET", "/2013-04-01/hostedzone/Z123", { authorization: auth("route53", "us-east-1") }),
            "route53",
            "us-east-1",
            "GetHostedZone",
        ],
        [
            "Route 53 health",
            request("GET", "/2013-04-01/healthcheck/abc/status", { authorization: auth("route53", "us-east-1") }),
            "route53",
            "us-east-1",
            "GetHealthCheckStatus",
        ],
        [
            "Route 53 other",
            request("GET", "/2013-04-01/delegationset", { authorization: auth("route53", "us-east-1") }),
            "route53",
            "us-east-1",
            "GET /2013-04-01/delegationset",
        ],
        [
            "Lambda Invoke",
            request("POST", "/2015-03-31/functions/hdr-orchestrator/invocations", { authorization: auth("lambda", DR) }),
            "lambda",
            DR,
            "Invoke",
        ],
        ["unsigned", request("GET", "/moto-api/data.json", {}), "unknown", "unknown", "GET /moto-api/data.json"],
    ];
    for (const [name, req, service, region, action] of cases) {
        it(`names a ${name} call ${service} ${region} ${action}`, () => {
            expect(identifyCall(req)).to.deep.equal({ service, region, action });
        });
    }
});

describe("fault rules", () => {
    it("accepts a well-formed rule", () => {
        expect(
            ruleProblems({ action: "PutItem", times: 2, skip: 0, probability: 0.3, fault: { kind: "error", status: 503, code: "X" } }),
        ).to.deep.equal([]);
    });

    it("names every bad field and what is allowed", () => {
        const problems = ruleProblems({ times: -1, skip: 1.5, probability: 2, fault: { kind: "error", status: 200, code: " " } });
        expect(problems).to.have.length(5);
        expect(problems.join("\n")).to.match(/times must be a whole number >= 0, got -1/);
        expect(problems.join("\n")).to.match(/skip must be a whole number >= 0, got 1.5/);
        expect(problems.join("\n")).to.match(/probability must be between 0 and 1, got 2/);
        expect(problems.join("\n")).to.match(/fault.status must be an HTTP error status 400..599, got 200/);
        expect(problems.join("\n")).to.match(/fault.code must name the AWS error code/);
        expect(ruleProblems({ fault: { kind: "delay", ms: -5 } })).to.deep.equal(["fault.ms must be a whole number >= 0, got -5"]);
    });
});

describe("the fault proxy against moto", function () {
    this.timeout(20_000);
    let moto: MotoServer;
    let proxy: FaultProxy;
    const ssm = (region = DR) => new SSMClient(clientConfig(proxy.url, region));
    const rds = (region = DR) => new RDSClient(clientConfig(proxy.url, region));
    const dynamodb = () => new DynamoDBClient(clientConfig(proxy.url, DR));
    const route53 = () => new Route53Client(clientConfig(proxy.url, "us-east-1"));
    /** Straight to moto, to see what really happened there. */
    const direct = () => new SSMClient(clientConfig(moto.url, DR));
    const putParameter = (client: SSMClient, value: string) =>
        client.send(new PutParameterCommand({ Name: "/hdr/test", Value: value, Type: "String", Overwrite: true }));
    const stored = async () => (await direct().send(new GetParameterCommand({ Name: "/hdr/test" }))).Parameter?.Value;

    before(async function () {
        requireMoto(this);
        moto = await sharedMoto();
        proxy = await startFaultProxy(moto.url, { seed: 7 });
    });
    beforeEach(async () => {
        await moto.reset();
        proxy.reset();
        proxy.onKill(undefined);
    });
    after(async () => {
        await proxy?.close();
    });

    it("refuses a bad rule with the problems, before any call", () => {
        expect(() => proxy.addRule({ probability: 1.5, fault: { kind: "refuse" } })).to.throw(
            /Invalid fault rule: probability must be between 0 and 1/,
        );
        expect(() => proxy.setRules([{ fault: { kind: "pass" } }, { times: -1, fault: { kind: "hang" } }])).to.throw(/times must be/);
    });

    it("passes calls through unchanged and records each one's service, region and action", async () => {
        await putParameter(ssm(), "v1");
        expect((await ssm().send(new GetParameterCommand({ Name: "/hdr/test" }))).Parameter?.Value).to.equal("v1");
        expect((await rds(PRIMARY).send(new DescribeDBClustersCommand({}))).DBClusters).to.deep.equal([]);
        const zone = await route53().send(new CreateHostedZoneCommand({ Name: "example.internal", CallerReference: "r1" }));
        await route53().send(new GetHostedZoneCommand({ Id: zone.HostedZone!.Id }));

        expect(proxy.calls.map((c) => [c.seq, c.service, c.region, c.action, c.fault, c.upstreamStatus])).to.deep.equal([
            [1, "ssm", DR, "PutParameter", "pass", 200],
            [2, "ssm", DR, "GetParameter", "pass", 200],
            [3, "rds", PRIMARY, "DescribeDBClusters", "pass", 200],
            [4, "route53", "us-east-1", "CreateHostedZone", "pass", 201],
            [5, "route53", "us-east-1", "GetHostedZone", "pass", 200],
        ]);
        expect(proxy.calls.every((c) => c.durationMs !== undefined && c.durationMs >= 0)).to.be.true;
        expect(proxy.count({ service: "ssm" })).to.equal(2);
        expect(proxy.count({ action: /^Get/, fault: "pass" })).to.equal(2);
    });

    it("drop-response: the call takes effect, the client gets a network error", async () => {
        await putParameter(ssm(), "before");
        proxy.setRules([{ action: "PutParameter", fault: { kind: "drop-response" } }]);

        expectDroppedConnection(await rejection(putParameter(ssm(), "after")));
        expect(await stored()).to.equal("after");
        expect(proxy.calls[1]).to.include({ action: "PutParameter", fault: "drop-response", upstreamStatus: 200 });
    });

    it("refuse: the connection is reset and nothing reaches moto", async () => {
        proxy.setRules([{ service: "ssm", fault: { kind: "refuse" } }]);
        expectDroppedConnection(await rejection(putParameter(ssm(), "v1")));
        expect(await rejection(stored())).to.have.property("name", "ParameterNotFound");
        expect(proxy.calls[0]!.upstreamStatus).to.equal(undefined);
    });

    it("hang: the call never answers until the client's AbortSignal ends it, and it never reaches moto", async () => {
        proxy.setRules([{ action: "PutParameter", fault: { kind: "hang" } }]);
        const started = Date.now();
        const e = await rejection(
            ssm().send(new PutParameterCommand({ Name: "/hdr/test", Value: "v", Type: "String" }), {
                abortSignal: AbortSignal.timeout(300),
            }),
        );
        expect(e.name).to.match(/AbortError|TimeoutError/);
        expect(Date.now() - started).to.be.within(250, 3_000);
        expect(await rejection(stored())).to.have.property("name", "ParameterNotFound");
        expect(proxy.count({ fault: "hang" })).to.equal(1);
        expect(proxy.calls[0]!.upstreamStatus).to.equal(undefined);
    });

    it("hang-after: the call takes effect, the client only sees its own timeout", async () => {
        proxy.setRules([{ action: "PutParameter", fault: { kind: "hang-after" } }]);
        const e = await rejection(
            ssm().send(new PutParameterCommand({ Name: "/hdr/test", Value: "v1", Type: "String" }), {
                abortSignal: AbortSignal.timeout(500),
            }),
        );
        expect(e.name).to.match(/AbortError|TimeoutError/);
        expect(await stored()).to.equal("v1");
        expect(proxy.calls[0]).to.include({ fault: "hang-after", upstreamStatus: 200 });
    });

    it("close() ends the hanging calls", async () => {
        const own = await startFaultProxy(moto.url);
        own.setRules([{ fault: { kind: "hang" } }]);
        const pending = rejection(new SSMClient(clientConfig(own.url, DR)).send(new GetParameterCommand({ Name: "/hdr/test" })));
        await new Promise((r) => setTimeout(r, 200));
        expect(own.calls).to.have.length(1);
        const closing = Date.now();
        await own.close();
        expectDroppedConnection(await pending);
        expect(Date.now() - closing).to.be.below(1_000);
        expect(own.calls[0]!.durationMs).to.be.at.least(150);
    });

    it("delay: the call is forwarded after the delay", async () => {
        proxy.setRules([{ action: "PutParameter", fault: { kind: "delay", ms: 300 } }]);
        const started = Date.now();
        await putParameter(ssm(), "late");
        expect(Date.now() - started).to.be.at.least(290);
        expect(await stored()).to.equal("late");
        expect(proxy.calls[0]).to.include({ fault: "delay", upstreamStatus: 200 });
    });

    describe("error: an AWS error in the service's protocol, parsed by the SDK", () => {
        const fault = (code: string): Fault => ({ kind: "error", status: 503, code, message: `injected ${code}` });

        it("query protocol (RDS)", async () => {
            proxy.setRules([{ service: "rds", action: "DescribeDBClusters", fault: fault("ServiceUnavailable") }]);
            const e = await rejection(rds().send(new DescribeDBClustersCommand({})));
            expect(e.name).to.equal("ServiceUnavailable");
            expect(e.message).to.equal("injected ServiceUnavailable");
            expect(e.$metadata?.httpStatusCode).to.equal(503);
        });

        it("JSON protocols (SSM, DynamoDB), and nothing reaches moto", async () => {
            proxy.setRules([{ action: /^(PutParameter|PutItem)$/, fault: fault("InternalServerError") }]);
            for (const call of [
                putParameter(ssm(), "v"),
                dynamodb().send(new PutItemCommand({ TableName: "t", Item: { id: { S: "1" } } })),
            ]) {
                const e = await rejection(call);
                expect(e.name).to.equal("InternalServerError");
                expect(e.$metadata?.httpStatusCode).to.equal(503);
            }
            expect(await rejection(stored())).to.have.property("name", "ParameterNotFound");
        });

        it("Route 53's REST XML", async () => {
            proxy.setRules([{ service: "route53", fault: fault("PriorRequestNotComplete") }]);
            const e = await rejection(route53().send(new ListHostedZonesCommand({})));
            expect(e.name).to.equal("PriorRequestNotComplete");
            expect(e.message).to.equal("injected PriorRequestNotComplete");
            expect(e.$metadata?.httpStatusCode).to.equal(503);
        });
    });

    it("rewrite: the SDK sees the rewritten status of a DB cluster", async () => {
        await new RDSClient(clientConfig(moto.url, DR)).send(
            new CreateDBClusterCommand({
                DBClusterIdentifier: "c1",
                Engine: "aurora-postgresql",
                MasterUsername: "u",
                MasterUserPassword: "password-123",
            }),
        );
        const seen: string[] = [];
        proxy.setRules([
            {
                action: "DescribeDBClusters",
                fault: {
                    kind: "rewrite",
                    replace: (body, call) => {
                        seen.push(call.action);
                        return body.replace(/<Status>[a-z-]+<\/Status>/, "<Status>failing-over</Status>");
                    },
                },
            },
        ]);
        const clusters = (await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: "c1" }))).DBClusters!;
        expect(clusters.map((c) => c.Status)).to.deep.equal(["failing-over"]);
        expect(seen).to.deep.equal(["DescribeDBClusters"]);
    });

    describe("rule selection", () => {
        /** Sends n GetParameter calls and lists, per call, the error code or "ok". */
        async function outcomes(n: number): Promise<string[]> {
            await putParameter(direct(), "v");
            const client = ssm();
            const results: string[] = [];
            for (let i = 0; i < n; i++) {
                results.push(
                    await client.send(new GetParameterCommand({ Name: "/hdr/test" })).then(
                        () => "ok",
                        (e: Error) => e.name,
                    ),
                );
            }
            return results;
        }
        const err = (code: string): Fault => ({ kind: "error", status: 500, code });

        it("skip lets the first n matching calls through, times spends the rule", async () => {
            proxy.setRules([{ action: "GetParameter", skip: 1, times: 2, fault: err("Broken") }]);
            expect(await outcomes(5)).to.deep.equal(["ok", "Broken", "Broken", "ok", "ok"]);
        });

        it("the first unspent matching rule wins; a skipped call falls through to the next rules", async () => {
            proxy.setRules([
                { service: "rds", fault: err("NotSsm") },
                { action: "GetParameter", skip: 1, times: 1, fault: err("First") },
                { action: "GetParameter", when: (c) => c.region === DR, times: 2, fault: err("Second") },
            ]);
            expect(await outcomes(4)).to.deep.equal(["Second", "First", "Second", "ok"]);
            expect(proxy.count({ fault: "error" })).to.equal(3);
        });

        it("probability draws from the seeded PRNG: the same seed gives the same calls the same faults", async () => {
            const brownout = { action: "GetParameter", probability: 0.5, fault: err("ServiceUnavailable") };
            proxy.setRules([brownout]);
            const first = await outcomes(20);
            proxy.reset();
            await moto.reset();
            proxy.setRules([brownout]);
            expect(await outcomes(20)).to.deep.equal(first);
            const failed = first.filter((o) => o === "ServiceUnavailable").length;
            expect(failed).to.be.within(3, 17);

            const other = await startFaultProxy(moto.url, { seed: 8 });
            try {
                other.setRules([brownout]);
                const client = new SSMClient(clientConfig(other.url, DR));
                const results: string[] = [];
                for (let i = 0; i < 20; i++) {
                    results.push(
                        await client.send(new GetParameterCommand({ Name: "/hdr/test" })).then(
                            () => "ok",
                            (e: Error) => e.name,
                        ),
                    );
                }
                expect(results).to.not.deep.equal(first);
            } finally {
                await other.close();
            }
        });
    });

    it("kill before: the hook runs, the call never reaches moto and the connection drops", async () => {
        const killed: string[] = [];
        proxy.onKill((call) => killed.push(call.action));
        proxy.setRules([{ action: "PutParameter", fault: { kind: "kill", after: false } }]);
        expectDroppedConnection(await rejection(putParameter(ssm(), "v")));
        expect(killed).to.deep.equal(["PutParameter"]);
        expect(await rejection(stored())).to.have.property("name", "ParameterNotFound");
    });

    it("kill after: the hook runs once the call took effect", async () => {
        await new DynamoDBClient(clientConfig(moto.url, DR)).send(
            new CreateTableCommand({
                TableName: "t",
                AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
                KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
                BillingMode: "PAY_PER_REQUEST",
            }),
        );
        const killed: number[] = [];
        proxy.onKill((call) => killed.push(call.upstreamStatus ?? -1));
        proxy.setRules([{ service: "dynamodb", action: "PutItem", fault: { kind: "kill", after: true } }]);
        expectDroppedConnection(await rejection(dynamodb().send(new PutItemCommand({ TableName: "t", Item: { id: { S: "1" } } }))));
        expect(killed).to.deep.equal([200]);
        const item = await new DynamoDBClient(clientConfig(moto.url, DR)).send(
            new GetItemCommand({ TableName: "t", Key: { id: { S: "1" } } }),
        );
        expect(item.Item).to.deep.equal({ id: { S: "1" } });
    });

    describe("the bundled handler in a child process", () => {
        const env = () => ({
            [ORCHESTRATOR_ENV.environment]: "dev",
            [ORCHESTRATOR_ENV.lockTable]: "hdr-dev-failover-lock",
            AWS_REGION: DR,
            HDR_TEST_ENDPOINT_URL: proxy.url,
        });
        /** An alarm state change exactly as EventBridge delivers it: the orchestrator reads its configuration first. */
        const event = {
            version: "0",
            id: "0f5e6c1a-0000-4000-8000-000000000001",
            source: "aws.cloudwatch",
            "detail-type": "CloudWatch Alarm State Change",
            account: "123456789012",
            region: DR,
            time: new Date().toISOString(),
            resources: [],
            detail: { alarmName: "hdr-dev-primary-down", state: { value: "ALARM", reason: "test" } },
        };

        it("reports what the handler threw, having made its calls through the proxy", async () => {
            const run = startHandlerInChild({ env: env(), event, requestId: "child-1", timeoutMs: 15_000 });
            const outcome = await run.done;
            expect(outcome.exit, outcome.stderr).to.equal("threw");
            expect(outcome).to.have.nested.property("error.name", "ConfigurationError");
            expect(proxy.count({ service: "ssm", region: DR, action: "GetParametersByPath", fault: "pass" })).to.equal(1);
        });

        it("is killed at the exact call, after it took effect", async () => {
            const run = startHandlerInChild({ env: env(), event, requestId: "child-2", timeoutMs: 15_000 });
            proxy.onKill(() => run.kill());
            proxy.setRules([{ service: "ssm", action: "GetParametersByPath", fault: { kind: "kill", after: true } }]);
            const outcome = await run.done;
            expect(outcome.exit, outcome.stderr).to.equal("killed");
            expect(proxy.calls.map((c) => [c.action, c.fault, c.upstreamStatus])).to.deep.equal([["GetParametersByPath", "kill", 200]]);
        });

        it("reports a timeout when the handler outlives timeoutMs", async () => {
            proxy.setRules([{ action: "GetParametersByPath", fault: { kind: "hang" } }]);
            const run = startHandlerInChild({ env: env(), event, requestId: "child-3", timeoutMs: 600 });
            expect((await run.done).exit).to.equal("timeout");
        });
    });
});
