/**
 * DynamoDB global tables (`healthcare-dr:tables`): the pure definitions (names, ARNs, alarms, the recovery budget's
 * term) without mocks; the GlobalTable component under the mocks with arguments the stack files do not give; and the
 * program's wiring in both stacks (outputs, backup selections, alarms and dashboards, the plan).
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { parseStackConfig } from "../config";
import { GlobalTable } from "../components/GlobalTable";
import { MAX_ALARM_METRICS, RUNBOOK_SECTIONS, globalTableAlarms, type AlarmDefinition } from "../lib/alarms";
import { BACKUP_MANAGEMENT_PREFERENCE, REQUIRED_BACKUP_OPT_IN } from "../lib/backup";
import { alarmGraph } from "../lib/dashboard";
import { GLOBAL_TABLE_REPLICATION_SECONDS, SYSTEM_ERROR_OPERATIONS, globalTableName, tableArn, type TableSettings } from "../lib/tables";
import { globalTableRpoText, recoveryBudget, S3_RTC_SECONDS } from "../lib/recoveryBudget";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { planRegionDown } from "./harness/regionDown";
import { componentOf, planStack, resourceNamed, resourcesOfType, STACKS } from "./harness/stacks";

const T = {
    component: "healthcare:dr:GlobalTable",
    table: "aws:dynamodb/table:Table",
    insights: "aws:dynamodb/contributorInsights:ContributorInsights",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    selection: "aws:backup/selection:Selection",
    regionSettings: "aws:backup/regionSettings:RegionSettings",
    key: "aws:kms/key:Key",
} as const;

const ACCOUNT = { accountId: "123456789012", partition: "aws" } as const;
const str = (v: unknown): string => v as string;
const keyArn = (run: ProgramRun, role: "primary" | "dr"): string => str(resourceNamed(run, T.key, `${role}-key`).state["arn"]);
const replicasOf = (table: PlannedResource) => table.inputs["replicas"] as Record<string, unknown>[];

describe("global tables: pure definitions (lib/tables.ts, lib/alarms.ts)", () => {
    it("names a table the same in both regions and writes each replica's ARN from the region and the account", () => {
        expect(globalTableName("prod", "audit-events")).to.equal("hdr-prod-data-audit-events");
        expect(tableArn({ ...ACCOUNT, region: "eu-west-1", tableName: "hdr-prod-data-audit-events" })).to.equal(
            "arn:aws:dynamodb:eu-west-1:123456789012:table/hdr-prod-data-audit-events",
        );
    });

    describe("globalTableAlarms", () => {
        const alarms = globalTableAlarms({
            name: "audit-events",
            tableName: "hdr-prod-data-audit-events",
            region: "eu-west-2",
            peerRegion: "eu-west-1",
            rpoSeconds: 900,
        });
        const byKey = (key: string): AlarmDefinition => {
            const found = alarms.find((a) => a.key === key);
            if (found === undefined) throw new Error(`no alarm ${key} among ${alarms.map((a) => a.key).join(", ")}`);
            return found;
        };

        it("alarms on replication latency to the peer region above the RPO, in milliseconds", () => {
            const latency = byKey("table-audit-events-replication-latency");
            expect(latency.metric).to.include({ namespace: "AWS/DynamoDB", metricName: "ReplicationLatency", statistic: "Maximum" });
            // DynamoDB publishes the latency of each source-destination pair in the source region, ReceivingRegion the other.
            expect(latency.metric.dimensions).to.deep.equal({ TableName: "hdr-prod-data-audit-events", ReceivingRegion: "eu-west-1" });
            // A five-minute metric (DynamoDB aggregates only some metrics per minute).
            expect(latency.metric.period).to.equal(300);
            expect(latency).to.include({
                threshold: 900_000,
                comparisonOperator: "GreaterThanThreshold",
                treatMissingData: "notBreaching",
            });
            expect(latency.runbookSection).to.equal(RUNBOOK_SECTIONS.tableReplicationLatency);
        });

        it("alarms on table-wide read and write throttles, sustained over 3 of 5 minutes", () => {
            for (const kind of ["read", "write"]) {
                const a = byKey(`table-audit-events-${kind}-throttles`);
                expect(a.metric.metricName).to.equal(`${kind === "read" ? "Read" : "Write"}ThrottleEvents`);
                expect(a.metric.dimensions).to.deep.equal({ TableName: "hdr-prod-data-audit-events" });
                expect(a).to.include({ threshold: 0, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: "notBreaching" });
                expect(a.runbookSection).to.equal(RUNBOOK_SECTIONS.tableThrottles);
            }
        });

        it("sums SystemErrors over the operations (published per operation), within an alarm's 10 metrics", () => {
            const errors = byKey("table-audit-events-system-errors");
            expect(errors.sumOf).to.have.length(SYSTEM_ERROR_OPERATIONS.length).and.length.at.most(MAX_ALARM_METRICS);
            expect(errors.sumOf!.map((m) => m.dimensions["Operation"])).to.deep.equal([...SYSTEM_ERROR_OPERATIONS]);
            for (const m of errors.sumOf!) {
                expect(m).to.include({ namespace: "AWS/DynamoDB", metricName: "SystemErrors", statistic: "Sum", period: 60 });
                expect(m.dimensions["TableName"]).to.equal("hdr-prod-data-audit-events");
            }
            expect(errors.runbookSection).to.equal(RUNBOOK_SECTIONS.tableSystemErrors);
            // The dashboard draws the terms of the sum, with the alarm's threshold.
            expect(alarmGraph(errors, "eu-west-2").metrics).to.deep.equal(errors.sumOf);
        });

        it("refuses an RPO that is not positive and a peer in the same region, naming what is wrong", () => {
            const args = { name: "t", tableName: "x", region: "eu-west-2", peerRegion: "eu-west-1", rpoSeconds: 900 };
            expect(() => globalTableAlarms({ ...args, rpoSeconds: 0 })).to.throw(/recovery point objective must be positive.*0 s/);
            expect(() => globalTableAlarms({ ...args, peerRegion: "eu-west-2" })).to.throw(/Global table t: the peer replica .* eu-west-2/);
        });
    });

    describe("the recovery budget's global-table term", () => {
        const config = (tables: unknown[]) => {
            const raw = readStackFile(stackFilePath("prod"));
            const parsed = parseStackConfig({ ...raw, "healthcare-dr:tables": JSON.stringify(tables) }, "prod");
            if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
            return parsed.config;
        };

        it("counts AWS's figure (typically within a second) for the stack's tables, and nothing without them", () => {
            const withTables = recoveryBudget(config([{ name: "audit-events", partitionKey: { name: "subjectId" } }]));
            expect(withTables.rpo).to.include({ globalTableSeconds: GLOBAL_TABLE_REPLICATION_SECONDS });
            expect(withTables.rpo.globalTables).to.deep.equal(["audit-events"]);
            expect(globalTableRpoText(withTables)).to.equal("1s (AWS: typically within a second, no SLA; audit-events)");
            const none = recoveryBudget(config([]));
            expect(none.rpo).to.include({ globalTableSeconds: 0 });
            expect(globalTableRpoText(none)).to.equal("none");
        });

        it("takes the largest term: with S3 RTC's 15 minutes, a second of table replication changes nothing", () => {
            const budget = recoveryBudget(config([{ name: "a", partitionKey: { name: "k" } }]));
            expect(budget.rpoSeconds).to.equal(Math.max(S3_RTC_SECONDS, budget.rpo.databaseSeconds!, GLOBAL_TABLE_REPLICATION_SECONDS));
            expect(budget.rpoBounded).to.equal(true);
        });
    });

    it("opts DynamoDB in to AWS Backup and turns on advanced DynamoDB backup (the cross-region copy needs it)", () => {
        expect(REQUIRED_BACKUP_OPT_IN).to.include("DynamoDB");
        expect(BACKUP_MANAGEMENT_PREFERENCE).to.include({ DynamoDB: true });
    });
});

describe("GlobalTable (component, under the mocks)", () => {
    const STACK = "dev";
    const settings = (overrides: Partial<TableSettings> = {}): TableSettings => ({
        name: "visits",
        partitionKey: { name: "visitId", type: "S" },
        streams: "NEW_AND_OLD_IMAGES",
        ...overrides,
    });
    const KEYS = { primary: "arn:aws:kms:eu-west-2:123456789012:key/p", dr: "arn:aws:kms:eu-west-1:123456789012:key/d" };
    function plan(table: TableSettings, protect: boolean): Promise<ProgramRun> {
        return runProgram({
            stack: STACK,
            rawConfig: readStackFile(stackFilePath(STACK)),
            program: () => {
                const provider = (name: string, region: string) =>
                    new aws.Provider(name, {
                        region,
                        skipCredentialsValidation: true,
                        skipRegionValidation: true,
                        skipRequestingAccountId: true,
                    });
                const component = new GlobalTable("visits", {
                    stack: STACK,
                    account: ACCOUNT,
                    table,
                    primary: { region: "eu-west-2", provider: provider("primary", "eu-west-2"), kmsKeyArn: KEYS.primary },
                    dr: { region: "eu-west-1", provider: provider("dr", "eu-west-1"), kmsKeyArn: KEYS.dr },
                    protect,
                    tags: { Environment: "dev" },
                });
                return { tableName: component.tableName, arns: component.arns, streamArns: component.streamArns };
            },
        });
    }

    it("declares one table in the primary region with its replica in the DR region, each on its own region's key", async () => {
        const run = await plan(settings(), false);
        const table = resourceNamed(run, T.table, "visits-table");
        expect(table.region).to.equal("eu-west-2");
        expect(componentOf(run, table)?.type).to.equal(T.component);
        expect(table.inputs["serverSideEncryption"]).to.deep.equal({ enabled: true, kmsKeyArn: KEYS.primary });
        expect(replicasOf(table)).to.deep.equal([
            {
                regionName: "eu-west-1",
                kmsKeyArn: KEYS.dr,
                pointInTimeRecovery: true,
                deletionProtectionEnabled: false,
                propagateTags: true,
            },
        ]);
        expect(table.inputs).to.include({
            billingMode: "PAY_PER_REQUEST",
            hashKey: "visitId",
            streamEnabled: true,
            streamViewType: "NEW_AND_OLD_IMAGES",
        });
        expect(table.inputs["pointInTimeRecovery"]).to.deep.equal({ enabled: true });
        expect(table.inputs).to.not.have.property("rangeKey");
        expect(table.inputs).to.not.have.property("ttl");
        expect(table.inputs["attributes"]).to.deep.equal([{ name: "visitId", type: "S" }]);
        expect(table.inputs["tags"]).to.deep.equal({ Environment: "dev", Name: "hdr-dev-data-visits" });
        expect(run.outputs["tableName"]).to.equal("hdr-dev-data-visits");
        expect(run.outputs["arns"]).to.deep.equal({
            primary: "arn:aws:dynamodb:eu-west-2:123456789012:table/hdr-dev-data-visits",
            dr: "arn:aws:dynamodb:eu-west-1:123456789012:table/hdr-dev-data-visits",
        });
        const streams = run.outputs["streamArns"] as Record<string, string>;
        expect(streams["primary"]).to.match(/^arn:aws:dynamodb:eu-west-2:.*table\/hdr-dev-data-visits\/stream\//);
        expect(streams["dr"]).to.match(/^arn:aws:dynamodb:eu-west-1:.*table\/hdr-dev-data-visits\/stream\//);
    });

    it("enables contributor insights on each replica, through its own region's provider, after the table", async () => {
        const run = await plan(settings(), false);
        const table = resourceNamed(run, T.table, "visits-table");
        for (const [side, region] of [
            ["primary", "eu-west-2"],
            ["dr", "eu-west-1"],
        ] as const) {
            const insights = resourceNamed(run, T.insights, `visits-${side}-insights`);
            expect(insights.region).to.equal(region);
            expect(insights.inputs["tableName"]).to.equal("hdr-dev-data-visits");
            expect(insights.options.dependsOn).to.include(table.urn);
        }
    });

    it("protects table and replica when asked: deletion protection, protect and retainOnDelete", async () => {
        const run = await plan(settings(), true);
        const table = resourceNamed(run, T.table, "visits-table");
        expect(table.inputs["deletionProtectionEnabled"]).to.equal(true);
        expect(replicasOf(table)[0]).to.include({ deletionProtectionEnabled: true });
        expect(table.options).to.include({ protect: true, retainOnDelete: true });
        const open = resourceNamed(await plan(settings(), false), T.table, "visits-table");
        expect(open.options).to.include({ protect: false, retainOnDelete: false });
    });

    it("adds the sort key, the TTL and the stream view type of the stack file", async () => {
        const run = await plan(settings({ sortKey: { name: "at", type: "N" }, ttlAttribute: "expiresAt", streams: "KEYS_ONLY" }), false);
        const table = resourceNamed(run, T.table, "visits-table");
        expect(table.inputs).to.include({ rangeKey: "at", streamViewType: "KEYS_ONLY" });
        expect(table.inputs["ttl"]).to.deep.equal({ enabled: true, attributeName: "expiresAt" });
        expect(table.inputs["attributes"]).to.deep.equal([
            { name: "visitId", type: "S" },
            { name: "at", type: "N" },
        ]);
    });
});

for (const stack of STACKS) {
    describe(`global tables in the program (stack ${stack})`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await planStack(stack);
        });

        it("declares one GlobalTable per entry of healthcare-dr:tables, on the regional keys, protected in prod only", () => {
            expect(resourcesOfType(run, T.component).map((c) => c.name)).to.deep.equal(run.config.tables.map((t) => `table-${t.name}`));
            expect(run.config.tables.map((t) => t.name)).to.include("audit-events");
            const table = resourceNamed(run, T.table, "table-audit-events-table");
            expect(table.inputs["serverSideEncryption"]).to.deep.equal({ enabled: true, kmsKeyArn: keyArn(run, "primary") });
            expect(replicasOf(table)).to.have.length(1);
            expect(replicasOf(table)[0]).to.include({
                regionName: run.config.drRegion,
                kmsKeyArn: keyArn(run, "dr"),
                pointInTimeRecovery: true,
            });
            const prod = stack === "prod";
            expect(table.inputs["deletionProtectionEnabled"]).to.equal(prod);
            expect(table.options).to.include({ protect: prod, retainOnDelete: prod });
            expect(table.inputs["tags"]).to.include({ ...run.config.tags });
        });

        it("exports each table's name, both replicas' ARNs and streams", () => {
            const tables = run.outputs["tables"] as Record<string, { tableName: string; arns: Record<string, string> }>;
            const audit = tables["audit-events"]!;
            expect(audit.tableName).to.equal(globalTableName(stack, "audit-events"));
            expect(audit.arns).to.deep.equal({
                primary: `arn:aws:dynamodb:${run.config.primaryRegion}:123456789012:table/${audit.tableName}`,
                dr: `arn:aws:dynamodb:${run.config.drRegion}:123456789012:table/${audit.tableName}`,
            });
        });

        it("selects each region's replica in that region's backup plan, with DynamoDB opted in and advanced backup on", () => {
            const arns = (run.outputs["tables"] as Record<string, { arns: Record<string, string> }>)["audit-events"]!.arns;
            for (const [role, region] of [
                ["primary", run.config.primaryRegion],
                ["dr", run.config.drRegion],
            ] as const) {
                // The data tier's selection (the audit trail has its own).
                const selection = resourceNamed(run, T.selection, `backups-${role}-data`);
                expect(selection.region).to.equal(region);
                const resources = selection.inputs["resources"] as string[];
                expect(resources).to.include(arns[role]);
                expect(resources).to.not.include(arns[role === "primary" ? "dr" : "primary"]);
                const settings = resourcesOfType(run, T.regionSettings, region)[0]!;
                expect(settings.inputs["resourceTypeOptInPreference"]).to.include({ DynamoDB: true });
                expect(settings.inputs["resourceTypeManagementPreference"]).to.include({ DynamoDB: true });
            }
        });

        it("alarms on each replica in its own region (latency to the other, throttles, system errors) and graphs them", () => {
            const tableName = globalTableName(stack, "audit-events");
            for (const [role, region, peer] of [
                ["primary", run.config.primaryRegion, run.config.drRegion],
                ["dr", run.config.drRegion, run.config.primaryRegion],
            ] as const) {
                const alarms = resourcesOfType(run, T.alarm, region).filter((a) =>
                    a.name.startsWith(`${role}-monitoring-table-audit-events-`),
                );
                expect(alarms.map((a) => a.name).sort()).to.deep.equal(
                    ["read-throttles", "replication-latency", "system-errors", "write-throttles"].map(
                        (k) => `${role}-monitoring-table-audit-events-${k}`,
                    ),
                );
                const latency = alarms.find((a) => a.name.endsWith("replication-latency"))!;
                expect(latency.inputs["dimensions"]).to.deep.equal({ TableName: tableName, ReceivingRegion: peer });
                expect(latency.inputs["threshold"]).to.equal(run.config.objectives.rpo.seconds * 1000);
                const errors = alarms.find((a) => a.name.endsWith("system-errors"))!;
                const queries = errors.inputs["metricQueries"] as Record<string, unknown>[];
                expect(queries.filter((q) => q["returnData"] === true)).to.deep.equal([
                    {
                        id: "total",
                        expression: `SUM([${SYSTEM_ERROR_OPERATIONS.map((_, i) => `m${i}`).join(",")}])`,
                        label: "audit-events: system errors (all operations)",
                        returnData: true,
                    },
                ]);
                expect(errors.inputs).to.not.have.property("metricName");
                for (const a of alarms) expect(a.inputs["alarmActions"], a.name).to.have.length(1);
                const body = str(resourcesOfType(run, T.dashboard, region)[0]!.inputs["dashboardBody"]);
                expect(body).to.include(`Global tables: ${region} replicas`);
                expect(body).to.include('"ReplicationLatency","TableName"');
                expect(body).to.include(`"ReceivingRegion","${peer}"`);
            }
        });
    });
}

describe("global tables while a region is down (static stability)", function () {
    this.timeout(60_000);
    for (const region of ["eu-west-2", "eu-west-1"]) {
        it(`prod, ${region} down: plans, and leaves the table, its insights and its alarms there as deployed`, async () => {
            const plan = await planRegionDown({ stack: "prod", region, deployed: await planStack("prod") });
            const mine = plan.changes.filter((c) => c.name.startsWith("table-audit-events-") || c.name.includes("-table-audit-events-"));
            // The table (declared in the primary region), both regions' insights and both regions' four alarms.
            expect(mine).to.have.length(1 + 2 + 8);
            expect(
                mine.every((c) => c.kind === "same"),
                JSON.stringify(mine.filter((c) => c.kind !== "same")),
            ).to.equal(true);
            const untouched = plan.untouched.map((c) => c.name);
            for (const c of mine.filter((c) => c.region === region)) expect(untouched).to.include(c.name);
        });
    }
});

describe("global tables in a stack file with several tables", () => {
    it("declares each, with no code change, and keeps names, alarms and selections apart", async () => {
        const raw = readStackFile(stackFilePath("dev"));
        const run = await runProgram({
            stack: "dev",
            rawConfig: {
                ...raw,
                "healthcare-dr:tables": JSON.stringify([
                    { name: "audit-events", partitionKey: { name: "subjectId" }, sortKey: { name: "occurredAt" } },
                    { name: "consents", partitionKey: { name: "patientId" }, streams: "NEW_IMAGE" },
                ]),
            },
        });
        expect(
            resourcesOfType(run, T.table)
                .filter((t) => t.name.startsWith("table-"))
                .map((t) => t.inputs["name"]),
        ).to.have.members(["hdr-dev-data-audit-events", "hdr-dev-data-consents"]);
        expect(resourcesOfType(run, T.alarm).filter((a) => a.name.includes("-table-consents-"))).to.have.length(8);
        const selection = resourceNamed(run, T.selection, "backups-dr-data");
        expect(selection.inputs["resources"]).to.include("arn:aws:dynamodb:eu-west-1:123456789012:table/hdr-dev-data-consents");
    });
});
