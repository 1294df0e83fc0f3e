/**
 * `npm run failover -- history` and `report` (tools/runReports.ts): the parsing and the text, pure; then the CLI's
 * own clients pointed at moto after a real failover, a refusal and the lost-writes aftercare.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SSMClient } from "@aws-sdk/client-ssm";
import { expect } from "chai";
import { parseStackConfig, type StackConfig } from "../config";
import { confirmationOf } from "../lib/failover";
import { aftercareEvent } from "../tools/drill";
import { freePort, type MotoServer } from "../orchestrator/local/moto";
import { freshTopology, MOTO_CREDENTIALS, publishPairMetrics, type Topology } from "../orchestrator/local/topology";
import { VirtualClock } from "../orchestrator/local/virtualClock";
import { createClients, type AwsClients } from "../orchestrator/src/clients";
import type { RunRecord } from "../orchestrator/src/evidence";
import { createHandler } from "../orchestrator/src/handler";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { createS3Client } from "../orchestrator/src/s3";
import { main } from "../tools/failover";
import {
    historyLine,
    mergeHistory,
    missingTransactionProcedure,
    missingTransactionsFrom,
    parseEvidenceArgs,
    type EvidenceClients,
} from "../tools/runReports";
import { readStackFile, stackFilePath } from "./harness/program";
import { requireMoto, sharedMoto } from "./harness/moto";

const record = (runKey: string, extra: Partial<RunRecord> = {}): RunRecord => ({
    stack: "prod",
    runKey,
    runId: runKey.split("#")[1]!,
    region: "eu-west-1",
    startedAt: runKey.split("#")[0]!,
    state: "ended",
    supplementaryReports: [],
    ...extra,
});

describe("failover history and report", () => {
    it("parses the subcommands, and names the flag of a usage error", () => {
        expect(parseEvidenceArgs(["history", "--stack", "prod"])).to.deep.equal({ kind: "history", stack: "prod", limit: 20 });
        expect(parseEvidenceArgs(["history", "--stack", "prod", "--region", "eu-west-1", "--limit", "5"])).to.deep.include({
            region: "eu-west-1",
            limit: 5,
        });
        expect(parseEvidenceArgs(["report", "--stack", "prod", "--run", "abc", "--json"])).to.deep.equal({
            kind: "report",
            stack: "prod",
            run: "abc",
            json: true,
        });
        expect(parseEvidenceArgs(["history", "--stack", "prod", "--limit", "0"]))
            .to.have.property("error")
            .that.matches(/--limit must be a whole number from 1/);
        expect(parseEvidenceArgs(["report", "--stack", "prod"]))
            .to.have.property("error")
            .that.matches(/--run is required/);
        expect(parseEvidenceArgs(["history", "--run", "x"]))
            .to.have.property("error")
            .that.matches(/history: .*run/);
    });

    it("merges both regions' runs newest first and prints one line per run: start, region, action, outcome, RTO, window, id", () => {
        const merged = mergeHistory(
            [
                record("2025-01-01T10:00:00.000Z#a"),
                record("2025-01-03T10:00:00.000Z#c", { region: "eu-west-2" }),
                record("2025-01-02T10:00:00.000Z#b"),
            ],
            2,
        );
        expect(merged.map((r) => r.runId)).to.deep.equal(["c", "b"]);
        const line = historyLine(
            record("2025-01-02T10:00:00.000Z#b", { action: "failover", outcome: "completed", rtoMs: 95_400, dataLossWindowMs: 4_200 }),
        );
        expect(line).to.match(/^2025-01-02T10:00:00.000Z\s+eu-west-1\s+failover\s+completed\s+RTO 95.4 s\s+loss window 4.2 s\s+b$/);
        expect(
            historyLine(record("2025-01-02T10:00:00.000Z#u", { dataLossWindow: "unknown", report: "failed", outcome: "completed" })),
        ).to.match(/completed \(report failed\).*loss window unknown/);
    });

    it("starts the missing-transaction query at failover time − lag − a minute (15 minutes when the lag is unknown)", () => {
        expect(missingTransactionsFrom("2025-01-01T12:00:00.000Z", 4_200)).to.equal("2025-01-01T11:58:55.800Z");
        expect(missingTransactionsFrom("2025-01-01T12:00:00.000Z", undefined)).to.equal("2025-01-01T11:44:00.000Z");
    });

    it("spells the missing-transaction procedure as commands: restore, instance, commit-time query, comparison by key, cleanup", () => {
        const text = missingTransactionProcedure({
            stack: "prod",
            environment: "prod",
            region: "eu-west-2",
            oldCluster: "hdr-prod-aurora-eu-west-2",
            snapshot: "hdr-prod-aurora-eu-west-2-lost-writes-abc",
            kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/k",
            engineVersion: "16.6",
            runId: "abc",
            failoverAt: "2025-01-01T12:00:00.000Z",
            windowMs: 4_200,
        }).join("\n");
        expect(text).to.match(
            /aws rds restore-db-cluster-from-snapshot --region eu-west-2 --db-cluster-identifier hdr-prod-lw-abc --snapshot-identifier hdr-prod-aurora-eu-west-2-lost-writes-abc --engine aurora-postgresql --engine-version 16.6 --db-subnet-group-name "\$SUBNET_GROUP" --vpc-security-group-ids \$SECURITY_GROUPS --kms-key-id arn:aws:kms:eu-west-2:123456789012:key\/k/,
        );
        expect(text).to.include(
            "aws rds create-db-instance --region eu-west-2 --db-instance-identifier hdr-prod-lw-abc-1 --db-cluster-identifier hdr-prod-lw-abc",
        );
        expect(text).to.include(
            "pg_xact_commit_timestamp(xmin) >= %L', schemaname || '.' || tablename, schemaname, tablename, '2025-01-01T11:58:55.800Z'",
        );
        expect(text).to.include("PGHOST=writer.db.prod.healthcare.internal psql");
        expect(text).to.include("LEFT JOIN $TABLE w USING ($KEY)");
        expect(text).to.include(
            "aws rds delete-db-cluster --region eu-west-2 --db-cluster-identifier hdr-prod-lw-abc --skip-final-snapshot",
        );
    });

    describe("against moto, with the CLI's own clients", function () {
        this.timeout(60_000);
        let moto: MotoServer;
        let dead: string;
        const config = devConfig();
        let topology: Topology;
        let failover: RunResult;
        let refused: RunResult;

        before(async function () {
            requireMoto(this);
            moto = await sharedMoto();
            dead = `http://127.0.0.1:${await freePort()}`;
            topology = await freshTopology(moto, config);
            const clock = new VirtualClock();
            await publishPairMetrics(moto.url, topology, { now: clock.now() });
            const request = {
                stack: config.stack,
                action: "failover",
                targetRegion: config.drRegion,
                confirm: confirmationOf(config.stack, "failover", config.drRegion),
            };
            refused = await invoke(
                createClients({ endpointFor: () => moto.url, credentials: MOTO_CREDENTIALS }),
                request,
                clock,
                "req-refused",
            );
            clock.advance(60_000);
            // Writes on the primary during lag, up to now: the DR cluster's lag is 4.2 s when the primary goes down.
            await publishPairMetrics(moto.url, topology, { now: clock.now(), lagMs: 4_200 });
            const losing = createClients({
                endpointFor: (r) => (r === config.primaryRegion ? dead : moto.url),
                credentials: MOTO_CREDENTIALS,
                probeTimeoutMs: 1_000,
                maxAttempts: 1,
            });
            failover = await invoke(losing, request, clock, "req-failover");
            clock.advance(10 * 60_000);
            await invoke(
                createClients({ endpointFor: () => moto.url, credentials: MOTO_CREDENTIALS }),
                aftercareEvent(topology, new Date(clock.now()).toISOString()),
                clock,
                "req-care",
            );
        });

        function invoke(clients: AwsClients, event: unknown, clock: VirtualClock, requestId: string): Promise<RunResult> {
            const started = clock.now();
            return createHandler({
                env: topology.cells.dr.lambdaEnv,
                clients,
                now: clock.now,
                sleep: clock.sleep,
                logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
                metric: () => undefined,
            })(event, { awsRequestId: requestId, getRemainingTimeInMillis: () => 900_000 - (clock.now() - started) });
        }

        const cliClients = (region: string): EvidenceClients => {
            const common = { region, endpoint: moto.url, credentials: { ...MOTO_CREDENTIALS } };
            return {
                dynamodb: new DynamoDBClient(common),
                ssm: new SSMClient(common),
                s3: createS3Client({ region, endpoint: moto.url, credentials: async () => ({ ...MOTO_CREDENTIALS }) }),
            };
        };

        async function cli(argv: string[]): Promise<{ code: number; lines: string[] }> {
            const lines: string[] = [];
            const code = await main(argv, (l) => lines.push(l), { evidenceClientsIn: cliClients });
            return { code, lines };
        }

        it("history lists the runs of both regions, newest first, with the recovery time and the data-loss window", async () => {
            expect(failover.outcome).to.equal("completed");
            expect(refused.outcome).to.equal("refused");
            const { code, lines } = await cli(["history", "--stack", "dev"]);
            expect(code).to.equal(0);
            const runs = lines.slice(1);
            expect(runs.map((l) => l.split(/\s+/).pop())).to.deep.equal(["req-care", "req-failover", "req-refused"]);
            expect(runs[1]).to.match(new RegExp(`${config.drRegion}\\s+failover\\s+completed\\s+RTO \\d+\\.\\d s\\s+loss window 4\\.2 s`));
            expect(
                (await cli(["history", "--stack", "dev", "--region", config.primaryRegion])).lines.slice(1),
                "the primary region ran nothing",
            ).to.deep.equal([]);
        });

        it("report prints the window, the kept snapshot and the procedure to restore it; --json the record and reports as stored", async () => {
            const { code, lines } = await cli(["report", "--stack", "dev", "--run", "req-failover"]);
            expect(code).to.equal(0);
            const text = lines.join("\n");
            expect(text).to.match(/data-loss window: 4200 ms \(AuroraGlobalDBReplicationLag of hdr-dev-aurora-eu-west-1/);
            expect(text).to.match(
                /kept in snapshot hdr-dev-aurora-eu-west-2-lost-writes-req-failover \(eu-west-2, key arn:aws:kms:eu-west-2:/,
            );
            expect(text).to.include("--snapshot-identifier hdr-dev-aurora-eu-west-2-lost-writes-req-failover");
            expect(text).to.match(/Decisions:\n.*assess\s+proceed\s+unplanned failover/);
            expect(text).to.match(/Steps:\n(.*\n)*.*act\s+done/);
            const json = JSON.parse((await cli(["report", "--stack", "dev", "--run", "req-failover", "--json"])).lines.join("\n")) as {
                report: { requests: { requestId?: string }[] };
                supplementaryReports: unknown[];
            };
            expect(json.report.requests.some((r) => r.requestId !== undefined)).to.be.true;
            expect(json.supplementaryReports).to.have.length(1);
            expect((await cli(["report", "--stack", "dev", "--run", "no-such-run"])).code).to.equal(1);
        });
    });
});

function devConfig(): StackConfig {
    const parsed = parseStackConfig(readStackFile(stackFilePath("dev")), "dev");
    if (!parsed.ok) {
        throw new Error(JSON.stringify(parsed.issues));
    }
    return parsed.config;
}
