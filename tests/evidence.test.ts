/**
 * The evidence of the runs (orchestrator/src/evidence.ts, lostWrites.ts, s3.ts): the pure builders, then the real
 * handler against moto: the run record and report of each kind of run in the region that ran it, one record across a
 * crash, a report that cannot be written, and the lost-writes snapshot kept once the old region answers.
 */
import { DescribeDBClusterSnapshotsCommand, RDSClient } from "@aws-sdk/client-rds";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { expect } from "chai";
import { parseStackConfig, type StackConfig } from "../config";
import { aftercareEvent } from "../tools/drill";
import {
    confirmationOf,
    FAILOVER_PARAMETERS,
    failoverParameterPath,
    lostWritesSnapshotName,
    reportObjectKey,
    runKeyOf,
} from "../lib/failover";
import { freePort, type MotoServer } from "../orchestrator/local/moto";
import { freshTopology, MOTO_CREDENTIALS, publishPairMetrics, type Topology } from "../orchestrator/local/topology";
import { VirtualClock } from "../orchestrator/local/virtualClock";
import { createClients, type AwsClients } from "../orchestrator/src/clients";
import { Deadline } from "../orchestrator/src/deadline";
import {
    buildReport,
    dataLossWindowOf,
    endUpdate,
    fromRunItem,
    recoveryTimeMs,
    REPORT_SCHEMA,
    startItem,
    supplementaryReportKey,
    type RunReport,
} from "../orchestrator/src/evidence";
import { createHandler } from "../orchestrator/src/handler";
import { inherit, type LockRecord } from "../orchestrator/src/lock";
import { openLostWrites, unplannedFailoverSnapshot, type SnapshotView } from "../orchestrator/src/lostWrites";
import type { RunResult } from "../orchestrator/src/orchestrate";
import { createS3Client } from "../orchestrator/src/s3";
import { readStackFile, stackFilePath } from "./harness/program";
import { requireMoto, sharedMoto } from "./harness/moto";

const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("run evidence", () => {
    describe("pure parts", () => {
        it("takes the data-loss window from the last lag datapoint before the act; zero for a switchover; unknown without data", () => {
            const at = Date.parse("2025-01-01T00:10:00Z");
            const points = [
                { time: at - 30_000, value: 4200.4 },
                { time: at - 90_000, value: 900 },
            ];
            expect(dataLossWindowOf("failover", { points, at, cluster: "c" })).to.include({ known: true, windowMs: 4200 });
            expect(dataLossWindowOf("switchover", { points, at, cluster: "c" })).to.include({ known: true, windowMs: 0 });
            expect(dataLossWindowOf("failover", { points: [], at, cluster: "c" })).to.include({ known: false });
            expect(dataLossWindowOf("failover", { error: "ThrottlingException", at }).source).to.match(/could not be read: Throttling/);
        });

        it("measures the recovery time from the first signal to the writer available, only for a promotion the run asked for", () => {
            expect(recoveryTimeMs("2025-01-01T00:00:00Z", "2025-01-01T00:01:30Z")).to.equal(90_000);
            expect(recoveryTimeMs(undefined, "2025-01-01T00:01:30Z")).to.equal(undefined);
            const base = reportInput({ firstSignalAt: "2025-01-01T00:00:00Z", writerAvailableAt: "2025-01-01T00:01:30Z" });
            expect(buildReport(base).recovery.rtoMs, "no act: nothing recovered by this run").to.equal(undefined);
            const promotedMarks = { ...base.marks, actAt: "2025-01-01T00:01:05Z", lossKnown: "true", lossMs: "4200", lossSource: "lag" };
            const promoted = buildReport(reportInput(promotedMarks));
            expect(promoted.recovery).to.include({ rtoMs: 90_000, failoverAt: "2025-01-01T00:01:05Z" });
            expect(promoted.recovery.applicationHealthyMs, "no application tier").to.equal(undefined);
            // With an application tier the recovery runs on to the application answering (the run's mark).
            const withApp = buildReport(reportInput({ ...promotedMarks, applicationHealthyAt: "2025-01-01T00:02:10Z" }));
            expect(withApp.recovery).to.include({
                rtoMs: 90_000,
                applicationHealthyAt: "2025-01-01T00:02:10Z",
                applicationHealthyMs: 130_000,
            });
            expect(promoted.dataLoss).to.include({ known: true, windowMs: 4200 });
            expect(promoted.schema).to.equal(REPORT_SCHEMA);
            expect(promoted.reportKey).to.equal(reportObjectKey("dev", "2025-01-01T00:00:00.000Z", "run-1"));
        });

        it("reads back the record it writes at the start and at the end", () => {
            const report = buildReport(reportInput({ actAt: "2025-01-01T00:01:05Z", lossKnown: "false", lossSource: "no data" }));
            const item = startItem({
                stack: "dev",
                runKey: report.runKey,
                runId: "run-1",
                region: "eu-west-1",
                startedAt: report.startedAt,
                action: "failover",
                trigger: report.trigger,
                now: 1,
            });
            const update = endUpdate({
                outcome: "completed",
                message: "ok",
                endedAt: "x",
                reportKey: report.reportKey,
                reportProblem: "AccessDenied",
                report,
                now: 2,
            });
            // Apply the SET expression to the item, as DynamoDB would.
            const after = { ...item };
            for (const part of update.UpdateExpression.replace(/^SET /, "").split(", ")) {
                const [name, value] = part.split(" = ") as [string, string];
                after[update.ExpressionAttributeNames[name]!] = update.ExpressionAttributeValues[value]!;
            }
            const record = fromRunItem(after);
            expect(record).to.include({
                runId: "run-1",
                state: "ended",
                outcome: "completed",
                report: "failed",
                dataLossWindow: "unknown",
                failoverAt: "2025-01-01T00:01:05Z",
            });
            expect(record.dataLossWindowMs).to.equal(undefined);
        });

        it("names supplementary reports after the run's report, never the same key twice", () => {
            const key = reportObjectKey("prod", "2025-03-01T10:00:00.000Z", "abc");
            const a = supplementaryReportKey(key, "lost-writes", 1_000);
            const b = supplementaryReportKey(key, "lost-writes", 2_000);
            expect(a).to.match(/^runs\/prod\/2025\/2025-03-01-abc-lost-writes-.*\.json$/);
            expect(a).to.not.equal(b);
        });

        it("finds AWS's unplanned-failover snapshot of the old writer taken after the failover, and nothing else", () => {
            const failoverAt = Date.parse("2025-01-01T12:00:00Z");
            const snap = (id: string, type: string, minutes: number): SnapshotView => ({
                id,
                arn: `arn:${id}`,
                status: "available",
                type,
                createdAt: failoverAt + minutes * 60_000,
            });
            const found = unplannedFailoverSnapshot(
                [
                    snap("rds:unplanned-global-failover-hdr-dev-aurora-eu-west-2-2024-12-01-10-00", "automated", -60 * 24 * 30),
                    snap("rds:hdr-dev-aurora-eu-west-2-2025-01-01-12-10", "automated", 10),
                    snap("rds:unplanned-global-failover-hdr-dev-aurora-eu-west-1-2025-01-01-12-05", "automated", 5),
                    snap("rds:unplanned-global-failover-hdr-dev-aurora-eu-west-2-2025-01-01-12-20", "automated", 20),
                    snap("rds:unplanned-global-failover-hdr-dev-aurora-eu-west-2-2025-01-01-12-07", "automated", 7),
                ],
                "hdr-dev-aurora-eu-west-2",
                failoverAt,
            );
            expect(found?.id).to.equal("rds:unplanned-global-failover-hdr-dev-aurora-eu-west-2-2025-01-01-12-07");
            expect(unplannedFailoverSnapshot([], "c", failoverAt)).to.equal(undefined);
        });

        it("gives a new run its own record key; a crashed run keeps the record of the run it continues; a failed one's successor gets a new one", () => {
            const fresh = { startedAt: "2025-01-01T00:05:00.000Z", firstSignalAt: "2025-01-01T00:04:00Z" };
            expect(inherit(undefined, "eu-west-1", "b", undefined, fresh).marks["runKey"]).to.equal(runKeyOf(fresh.startedAt, "b"));
            const previous: LockRecord = {
                lockId: "g",
                state: "running",
                owner: "a",
                runId: "a",
                action: "failover",
                targetRegion: "eu-west-1",
                steps: ["act-started"],
                notified: [],
                expiresAt: 0,
                updatedAt: 0,
                version: 3,
                marks: {
                    runKey: "2025-01-01T00:00:00.000Z#a",
                    startedAt: "2025-01-01T00:00:00.000Z",
                    firstSignalAt: "2025-01-01T00:00:00Z",
                    actAt: "T",
                    lossMs: "4200",
                },
            };
            expect(inherit(previous, "eu-west-1", "b", undefined, fresh).marks).to.include({
                runKey: "2025-01-01T00:00:00.000Z#a",
                actAt: "T",
                lossMs: "4200",
            });
            const failed = inherit({ ...previous, state: "failed" }, "eu-west-1", "b", undefined, fresh);
            expect(failed.marks).to.include({
                runKey: runKeyOf(fresh.startedAt, "b#4"),
                actAt: "T",
                lossMs: "4200",
                firstSignalAt: "2025-01-01T00:00:00Z",
            });
        });
    });

    describe("against moto", function () {
        this.timeout(60_000);
        let moto: MotoServer;
        let dead: string;
        const config = devConfig();

        before(async function () {
            requireMoto(this);
            moto = await sharedMoto();
            dead = `http://127.0.0.1:${await freePort()}`;
        });

        const clientsLosing = (lost?: string): AwsClients =>
            createClients({
                endpointFor: (r) => (r === lost ? dead : moto.url),
                credentials: MOTO_CREDENTIALS,
                probeTimeoutMs: 1_000,
                maxAttempts: 1,
            });

        async function invoke(
            topology: Topology,
            clients: AwsClients,
            event: unknown,
            clock: VirtualClock,
            requestId = "req-1",
            afterStep?: (s: string) => Promise<void> | void,
        ): Promise<RunResult> {
            const handler = createHandler({
                env: topology.cells.dr.lambdaEnv,
                clients,
                now: clock.now,
                sleep: clock.sleep,
                logger: SILENT,
                metric: () => undefined,
                ...(afterStep !== undefined ? { afterStep } : {}),
            });
            const started = clock.now();
            return handler(event, { awsRequestId: requestId, getRemainingTimeInMillis: () => 900_000 - (clock.now() - started) });
        }

        async function records(topology: Topology, side: "primary" | "dr") {
            const ddb = new DynamoDBClient({ region: topology.cells[side].region, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
            const out = await ddb.send(
                new QueryCommand({
                    TableName: topology.runsTable,
                    KeyConditionExpression: "#s = :s",
                    ExpressionAttributeNames: { "#s": "stack" },
                    ExpressionAttributeValues: { ":s": { S: config.stack } },
                    ScanIndexForward: false,
                }),
            );
            return (out.Items ?? []).map(fromRunItem);
        }

        async function reportOf(topology: Topology, key: string): Promise<RunReport> {
            const s3 = createS3Client({
                region: topology.cells.dr.region,
                endpoint: moto.url,
                credentials: async () => ({ ...MOTO_CREDENTIALS }),
            });
            return JSON.parse(await s3.getObject(topology.cells.dr.reportBucket, key)) as RunReport;
        }

        const FAILOVER = {
            stack: config.stack,
            action: "failover",
            targetRegion: config.drRegion,
            confirm: confirmationOf(config.stack, "failover", config.drRegion),
        };

        it("a failover writes its record and report in the region that ran it: request ids, steps, decisions, pointers, RTO and the data-loss window measured", async () => {
            const topology = await freshTopology(moto, config);
            const clock = new VirtualClock();
            // Writes on the primary during lag: the DR cluster's lag is 4.2 s when the primary goes down.
            await publishPairMetrics(moto.url, topology, { now: clock.now(), lagMs: 4_200 });
            const result = await invoke(topology, clientsLosing(config.primaryRegion), FAILOVER, clock);
            expect(result.outcome, result.message).to.equal("completed");
            expect(result.report).to.include({ reportWritten: true, dataLossWindowMs: 4_200, region: config.drRegion });
            expect(result.report?.rtoMs).to.be.a("number");
            const [record, ...others] = await records(topology, "dr");
            expect(others).to.deep.equal([]);
            expect(record).to.include({
                runId: result.report!.runId,
                state: "ended",
                outcome: "completed",
                report: "written",
                dataLossWindowMs: 4_200,
                action: "failover",
            });
            expect(await records(topology, "primary"), "nothing in the lost region").to.deep.equal([]);
            const report = await reportOf(topology, record!.reportKey!);
            expect(report).to.include({ schema: REPORT_SCHEMA, runId: record!.runId, outcome: "completed" });
            expect(report.steps.map((s) => s.name)).to.include.members([
                "assess",
                "lock",
                "act",
                "wait-for-writer",
                "repoint",
                "verify",
                "release",
            ]);
            expect(report.decisions.map((d) => `${d.step}:${d.kind}`)).to.include.members([
                "assess:proceed",
                "lock:proceed",
                "act:proceed",
            ]);
            const failover = report.requests.find((r) => r.operation === "FailoverGlobalCluster");
            expect(failover, "the act call is listed").to.not.equal(undefined);
            expect(failover!.requestId, "with AWS's request id").to.be.a("string").and.not.equal("");
            expect(
                report.requests.some((r) => r.region === config.primaryRegion && r.errorCode !== undefined),
                "the failed probes of the lost region",
            ).to.be.true;
            expect(report.pointers.before?.record).to.equal(topology.primaryEndpoint.toLowerCase());
            expect(report.pointers.after?.record).to.equal(topology.drEndpoint.toLowerCase());
            expect(report.dataLoss).to.include({ known: true, windowMs: 4_200 });
            expect(report.recovery.failoverAt).to.be.a("string");
            expect(report.lostWrites).to.include({ oldRegion: config.primaryRegion });
        });

        it("a run resumed after a crash updates the record of the run it continues, never a second one", async () => {
            const topology = await freshTopology(moto, config);
            const clients = clientsLosing(config.primaryRegion);
            const first = new VirtualClock();
            let crashed!: () => void;
            const crash = new Promise<void>((r) => (crashed = r));
            void invoke(topology, clients, FAILOVER, first, "req-crashed", (s) => {
                if (s === "act") {
                    crashed();
                    return new Promise<void>(() => undefined);
                }
                return undefined;
            });
            await crash;
            const later = new VirtualClock(first.offsetMs + 10 * 60_000);
            const rerun = await invoke(topology, clients, FAILOVER, later, "req-next");
            expect(rerun.outcome, rerun.message).to.equal("completed");
            const all = await records(topology, "dr");
            expect(all).to.have.length(1);
            expect(all[0]).to.include({ runId: "req-crashed", outcome: "completed", report: "written" });
            const report = await reportOf(topology, all[0]!.reportKey!);
            expect(report.invocation).to.equal("req-next");
            expect(report.resumedAfter).to.include("act");
            expect(report.recovery.failoverAt, "the act's time survives the crash").to.be.a("string");
        });

        it("refusals and dry runs are runs too; a report that cannot be written never fails the run, and the record says so", async () => {
            const topology = await freshTopology(moto, config);
            const clock = new VirtualClock();
            await publishPairMetrics(moto.url, topology, { now: clock.now() });
            const refused = await invoke(topology, clientsLosing(), FAILOVER, clock, "req-refused");
            expect(refused.outcome).to.equal("refused");
            const dry = await invoke(topology, clientsLosing(), { ...FAILOVER, dryRun: true, force: true }, clock, "req-dry");
            expect(dry.outcome).to.equal("dry-run");
            // The bucket parameter names a bucket that does not exist: the report fails, the run does not.
            await new SSMClient({ region: config.drRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).send(
                new PutParameterCommand({
                    Name: `${failoverParameterPath(config.environment)}/${FAILOVER_PARAMETERS.reportBucket}`,
                    Value: "hdr-dev-no-such-bucket",
                    Type: "String",
                    Overwrite: true,
                }),
            );
            clock.advance(60_000);
            const switchover = await invoke(
                topology,
                clientsLosing(),
                { ...FAILOVER, action: "switchover", confirm: confirmationOf(config.stack, "switchover", config.drRegion) },
                clock,
                "req-switch",
            );
            expect(switchover.outcome, switchover.message).to.equal("completed");
            expect(switchover.message).to.match(/run report could not be written \(.*NoSuchBucket/);
            expect(switchover.report).to.include({ reportWritten: false, dataLossWindowMs: 0 });
            const byId = Object.fromEntries((await records(topology, "dr")).map((r) => [r.runId, r]));
            expect(byId["req-refused"]).to.include({ outcome: "refused", report: "written" });
            expect(byId["req-dry"]).to.include({ outcome: "dry-run", report: "written" });
            expect(byId["req-switch"]).to.include({ outcome: "completed", report: "failed", dataLossWindowMs: 0 });
        });

        it("keeps the lost writes once the old region answers: copies AWS's unplanned-failover snapshot with that region's key, once, and records it", async () => {
            const topology = await freshTopology(moto, config);
            const clock = new VirtualClock();
            await publishPairMetrics(moto.url, topology, { now: clock.now(), lagMs: 4_200 });
            const failover = await invoke(topology, clientsLosing(config.primaryRegion), FAILOVER, clock);
            expect(failover.outcome).to.equal("completed");
            clock.advance(5 * 60_000);
            const whileDown = await invoke(
                topology,
                clientsLosing(config.primaryRegion),
                aftercareEvent(topology, new Date(clock.now()).toISOString()),
                clock,
                "req-care-1",
            );
            expect(whileDown.outcome, whileDown.message).to.equal("aftercare");
            expect(whileDown.message).to.match(/does not answer yet/);
            clock.advance(5 * 60_000);
            const back = await invoke(
                topology,
                clientsLosing(),
                aftercareEvent(topology, new Date(clock.now()).toISOString()),
                clock,
                "req-care-2",
            );
            expect(back.outcome, back.message).to.equal("aftercare");
            expect(back.message).not.to.match(/does not answer|failed/);
            const name = lostWritesSnapshotName(topology.primaryClusterArn.split(":").pop()!, failover.report!.runId);
            const rds = new RDSClient({ region: config.primaryRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
            const copies =
                (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name }))).DBClusterSnapshots ?? [];
            expect(copies.map((c) => c.KmsKeyId)).to.deep.equal([topology.cells.primary.keyArn]);
            const record = (await records(topology, "dr")).find((r) => r.runId === failover.report!.runId)!;
            expect(record).to.include({ lostWritesSnapshot: name, lostWritesState: "kept" });
            expect(record.supplementaryReports).to.have.length(1);
            const supplement = (await reportOf(topology, record.supplementaryReports[0]!)) as unknown as {
                snapshot: { id: string };
                sourceSnapshot: { id: string };
            };
            expect(supplement.snapshot.id).to.equal(name);
            expect(supplement.sourceSnapshot.id).to.match(/^rds:unplanned-global-failover-hdr-dev-aurora-eu-west-2-/);
            clock.advance(5 * 60_000);
            const again = await invoke(
                topology,
                clientsLosing(),
                aftercareEvent(topology, new Date(clock.now()).toISOString()),
                clock,
                "req-care-3",
            );
            expect(again.message, "closed: nothing more to do").to.equal("aftercare: nothing open");
            expect(
                (await records(topology, "dr")).filter((r) => r.action === "aftercare"),
                "only the aftercare run that did work is recorded",
            ).to.have.length(1);
        });

        it("after a break-glass (no AWS snapshot: the cluster was detached) snapshots the old cluster itself, under the same name", async () => {
            const topology = await freshTopology(moto, config);
            const clients = clientsLosing();
            const clock = new VirtualClock();
            const old = topology.primaryClusterArn.split(":").pop()!;
            await openLostWrites(
                clients.dynamodb(config.drRegion),
                topology.lockTable,
                topology.globalClusterId,
                {
                    runId: "bg-1",
                    runKey: runKeyOf("2025-01-01T00:00:00.000Z", "bg-1"),
                    reportKey: reportObjectKey(config.stack, "2025-01-01T00:00:00.000Z", "bg-1"),
                    oldRegion: config.primaryRegion,
                    oldCluster: old,
                    failoverAt: new Date(clock.now()).toISOString(),
                    kind: "break-glass",
                    openedAt: new Date(clock.now()).toISOString(),
                },
                new Deadline(clock.now, clock.now() + 10_000, "test"),
            );
            const out = await invoke(topology, clients, aftercareEvent(topology, new Date(clock.now()).toISOString()), clock, "req-care");
            expect(out.message).to.match(/kept in hdr-dev-aurora-eu-west-2-lost-writes-bg-1/);
            const rds = new RDSClient({ region: config.primaryRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
            const made =
                (
                    await rds.send(
                        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: lostWritesSnapshotName(old, "bg-1") }),
                    )
                ).DBClusterSnapshots ?? [];
            expect(made.map((s) => s.SnapshotType)).to.deep.equal(["manual"]);
        });

        it("refuses a scheduled event of another rule, changing nothing", async () => {
            const topology = await freshTopology(moto, config);
            const clock = new VirtualClock();
            const event = {
                ...aftercareEvent(topology, new Date(clock.now()).toISOString()),
                resources: [`arn:aws:events:${config.drRegion}:123456789012:rule/someone-elses-rule`],
            };
            let error: unknown;
            await invoke(topology, clientsLosing(), event, clock).catch((e: unknown) => (error = e));
            expect(String(error)).to.match(/must name exactly this stack's aftercare rule/);
            expect(await records(topology, "dr")).to.deep.equal([]);
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

function reportInput(marks: Record<string, string>) {
    const startedAt = "2025-01-01T00:00:00.000Z";
    return {
        stack: "dev",
        region: "eu-west-1",
        peerRegion: "eu-west-2",
        globalClusterId: "hdr-dev-aurora",
        runId: "run-1",
        runKey: runKeyOf(startedAt, "run-1"),
        startedAt,
        endedAt: "2025-01-01T00:02:00.000Z",
        invocation: "run-1",
        action: "failover",
        outcome: "completed",
        message: "done",
        dryRun: false,
        trigger: { kind: "manual" as const, time: startedAt, requestId: "run-1" },
        decisions: [],
        resumedAfter: [],
        steps: [],
        requests: [],
        requestsNotListed: 0,
        pointers: {},
        marks,
    };
}
