/**
 * The on-call CLI in both directions (tools/failover.ts): each region runs its own orchestrator under the same name,
 * so a request goes to the function of the `--to` region, a failback being a switchover `--to` the home region, and
 * `--follow` reads the run record of the region named, or of the region whose run was recorded last.
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { expect } from "chai";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { lockTableName, orchestratorFunctionName } from "../lib/failover";
import { toItem, type LockRecord } from "../orchestrator/src/lock";
import { buildEvent, latestRun, main, parseFailoverArgs, targetIn, USAGE } from "../tools/failover";
import { parseEvent } from "../orchestrator/src/events";

const record = (updatedAt: number, targetRegion = "eu-west-1"): LockRecord => ({
    lockId: "hdr-prod-aurora",
    state: "completed",
    owner: "o",
    runId: `run-${updatedAt}`,
    action: "failover",
    targetRegion,
    steps: ["act", "wait-for-writer", "repoint", "verify"],
    notified: ["start", "end"],
    expiresAt: updatedAt,
    updatedAt,
    version: 3,
});

describe("the failover CLI in both directions", () => {
    it("parses a failback: a confirmed switchover to the home region", () => {
        expect(
            parseFailoverArgs(["--stack", "prod", "--action", "switchover", "--to", "eu-west-2", "--confirm", "prod:switchover:eu-west-2"]),
        ).to.deep.include({ kind: "request", action: "switchover", to: "eu-west-2", confirm: "prod:switchover:eu-west-2" });
        expect(
            "error" in
                parseFailoverArgs([
                    "--stack",
                    "prod",
                    "--action",
                    "switchover",
                    "--to",
                    "eu-west-2",
                    "--confirm",
                    "prod:switchover:eu-west-1",
                ]),
            "the confirmation names the region it goes to",
        ).to.be.true;
    });

    describe("--action break-glass", () => {
        const args = (...extra: string[]) => ["--stack", "prod", "--action", "break-glass", "--to", "eu-west-1", ...extra];
        it("is confirmed with STACK:REGION:detach and sends the event the function admits", () => {
            const parsed = parseFailoverArgs(args("--confirm", "prod:eu-west-1:detach"));
            expect(parsed).to.deep.include({
                kind: "request",
                action: "break-glass",
                to: "eu-west-1",
                confirm: "prod:eu-west-1:detach",
                force: false,
            });
            const event = buildEvent(parsed as Extract<typeof parsed, { kind: "request" }>, "alice");
            expect(event).to.deep.include({ action: "break-glass", targetRegion: "eu-west-1", confirm: "prod:eu-west-1:detach" });
            expect(parseEvent(event)).to.deep.include({ kind: "manual", action: "break-glass", force: false });
        });
        it("refuses the managed-style confirmation, a missing one, and --force, naming the flag and the expected text", () => {
            const wrong = parseFailoverArgs(args("--confirm", "prod:break-glass:eu-west-1"));
            expect("error" in wrong && wrong.error).to.match(/--confirm must repeat the request exactly: --confirm prod:eu-west-1:detach/);
            const missing = parseFailoverArgs(args());
            expect("error" in missing && missing.error).to.match(
                /--confirm is required for a real break-glass: add --confirm prod:eu-west-1:detach/,
            );
            const forced = parseFailoverArgs(args("--confirm", "prod:eu-west-1:detach", "--force"));
            expect("error" in forced && forced.error).to.match(/--force is not accepted with --action break-glass/);
        });
        it("rehearses without a confirmation", () => {
            expect(parseFailoverArgs(args("--dry-run"))).to.deep.include({ kind: "request", action: "break-glass", dryRun: true });
        });
        it("is in the usage text", () => {
            expect(USAGE).to.match(/--action break-glass --to REGION \[--confirm NAME:REGION:detach\]/);
        });
    });

    it("follows one region's run with --to, and refuses anything else next to --follow", () => {
        expect(parseFailoverArgs(["--stack", "prod", "--follow", "--to", "eu-west-2"])).to.deep.equal({
            kind: "follow",
            stack: "prod",
            to: "eu-west-2",
        });
        const refused = parseFailoverArgs(["--stack", "prod", "--follow", "--to", "eu-west-2", "--force"]);
        expect("error" in refused && refused.error).to.match(/--follow takes only --stack and --to, not --force/);
    });

    it("targets the function and the run record of the region asked for, under the same names in each region", () => {
        for (const region of ["eu-west-1", "eu-west-2"]) {
            expect(targetIn("prod", region, "eu-west-2", "eu-west-1")).to.deep.equal({
                region,
                functionName: orchestratorFunctionName("prod"),
                lockTable: lockTableName("prod"),
                lockId: "hdr-prod-aurora",
            });
        }
        // After a rebuild the lock item is the new generation's global cluster's.
        const rebuilt = { region: "eu-west-1", generation: 2, clusterGenerations: { primary: 2, dr: 1 } };
        expect(targetIn("prod", "eu-west-1", "eu-west-2", "eu-west-1", rebuilt).lockId).to.equal("hdr-prod-aurora-g2");
    });

    it("follows the region whose run was recorded last", () => {
        expect(
            latestRun([
                { region: "eu-west-2", record: record(2_000, "eu-west-2") },
                { region: "eu-west-1", record: record(1_000) },
            ]),
        ).to.equal("eu-west-2");
        expect(
            latestRun([
                { region: "eu-west-2", record: undefined },
                { region: "eu-west-1", record: record(1_000) },
            ]),
        ).to.equal("eu-west-1");
        expect(latestRun([{ region: "eu-west-2", record: undefined }])).to.equal(undefined);
    });

    describe("against mocked AWS", () => {
        let lambda: AwsClientStub<LambdaClient>;
        let dynamodb: AwsClientStub<DynamoDBClient>;
        before(() => {
            lambda = mockClient(LambdaClient);
            dynamodb = mockClient(DynamoDBClient);
        });
        beforeEach(() => {
            lambda.reset();
            dynamodb.reset();
        });
        after(() => {
            lambda.restore();
            dynamodb.restore();
        });

        /** The regions of the clients the commands were sent with. */
        async function regionsOf(calls: { thisValue: unknown }[]): Promise<string[]> {
            return Promise.all(calls.map((c) => (c.thisValue as LambdaClient | DynamoDBClient).config.region()));
        }

        for (const [direction, to, action] of [
            ["a failover", "eu-west-1", "failover"],
            ["a failback", "eu-west-2", "switchover"],
        ] as const) {
            it(`invokes the ${to} function for ${direction} --to ${to}, and reads that region's run record`, async () => {
                lambda.on(InvokeCommand).resolves({
                    StatusCode: 200,
                    Payload: new TextEncoder().encode(
                        JSON.stringify({ outcome: "completed", message: `${action} to ${to} completed (managed)`, timeline: [] }),
                    ) as never,
                });
                dynamodb.on(GetItemCommand).resolves({});
                const lines: string[] = [];
                const code = await main(["--stack", "prod", "--action", action, "--to", to, "--confirm", `prod:${action}:${to}`], (l) =>
                    lines.push(l),
                );
                expect(code).to.equal(0);
                const invokes = lambda.commandCalls(InvokeCommand);
                expect(invokes).to.have.length(1);
                expect(invokes[0]!.args[0].input.FunctionName).to.equal(orchestratorFunctionName("prod"));
                expect(await regionsOf(invokes)).to.deep.equal([to]);
                expect(JSON.parse(new TextDecoder().decode(invokes[0]!.args[0].input.Payload as Uint8Array))).to.include({
                    action,
                    targetRegion: to,
                    confirm: `prod:${action}:${to}`,
                });
                expect(new Set(await regionsOf(dynamodb.commandCalls(GetItemCommand)))).to.deep.equal(new Set([to]));
                expect(lines[0]).to.equal(`Invoking ${orchestratorFunctionName("prod")} in ${to}: ${action} to ${to}`);
            });
        }

        it("--follow without --to follows the run recorded last, whichever region recorded it", async () => {
            dynamodb.on(GetItemCommand).callsFake(async (_input: unknown, getClient: () => DynamoDBClient) =>
                // The home region's record is the newer: the failback that just ran there.
                (await getClient().config.region()) === "eu-west-2"
                    ? { Item: toItem(record(2_000, "eu-west-2")) }
                    : { Item: toItem(record(1_000)) },
            );
            const lines: string[] = [];
            expect(await main(["--stack", "prod", "--follow"], (l) => lines.push(l))).to.equal(0);
            expect(lines[0]).to.equal("Following the run recorded last, in eu-west-2.");
            expect(lines.join("\n")).to.match(/Run run-2000: failover to eu-west-2, completed/);
        });
    });
});
