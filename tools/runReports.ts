/**
 * `npm run failover -- history` and `npm run failover -- report`: the evidence of the runs, read from both regions'
 * runs tables (orchestrator/src/evidence.ts) and report buckets, and the missing-transaction procedure after an
 * unplanned failover as commands to run.
 *
 *   npm run failover -- history --stack prod [--region eu-west-1] [--limit 20]
 *   npm run failover -- report --stack prod --run RUN_ID [--json]
 *
 * Both read with the caller's credentials (dynamodb:Query on the runs tables, s3:GetObject on the report buckets,
 * ssm:GetParameter of each region's `report-bucket`).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
 */
import { DynamoDBClient, QueryCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { parseArgs } from "util";
import { FAILOVER_PARAMETERS, failoverParameterPath, RUNS_TABLE_KEYS, runsTableName, writerRecordName } from "../lib/failover";
import { fromRunItem, type RunReport, type RunRecord } from "../orchestrator/src/evidence";
import { createS3Client, type S3Client } from "../orchestrator/src/s3";

export const HISTORY_USAGE = `       npm run failover -- history --stack NAME [--region REGION] [--limit N]
       npm run failover -- report --stack NAME --run RUN_ID [--json]`;

export type EvidenceArgs =
    | { readonly kind: "history"; readonly stack: string; readonly region?: string; readonly limit: number }
    | { readonly kind: "report"; readonly stack: string; readonly run: string; readonly json: boolean };

/** The default and the largest `--limit` of `history`. */
export const HISTORY_LIMIT = { default: 20, max: 1_000 } as const;

/** Parses `history …` or `report …` (the subcommand first); an error names the flag. Pure. */
export function parseEvidenceArgs(argv: readonly string[]): EvidenceArgs | { readonly error: string } {
    const [command, ...rest] = argv;
    let values: { stack?: string; region?: string; limit?: string; run?: string; json?: boolean };
    try {
        ({ values } = parseArgs({
            args: rest,
            options:
                command === "history"
                    ? { stack: { type: "string" }, region: { type: "string" }, limit: { type: "string" } }
                    : { stack: { type: "string" }, run: { type: "string" }, json: { type: "boolean" } },
            strict: true,
            allowPositionals: false,
        }));
    } catch (error) {
        return { error: `${command}: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (values.stack === undefined || values.stack === "") {
        return { error: `${command}: --stack is required` };
    }
    if (command === "history") {
        const limit = values.limit === undefined ? HISTORY_LIMIT.default : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_LIMIT.max) {
            return { error: `history: --limit must be a whole number from 1 to ${HISTORY_LIMIT.max}, not "${values.limit}"` };
        }
        if (values.region === "") {
            return { error: "history: --region needs a region" };
        }
        return { kind: "history", stack: values.stack, ...(values.region !== undefined ? { region: values.region } : {}), limit };
    }
    if (values.run === undefined || values.run === "") {
        return { error: "report: --run is required: the run id (npm run failover -- history lists them)" };
    }
    return { kind: "report", stack: values.stack, run: values.run, json: values.json === true };
}

/** The runs of every region, newest first, at most `limit`. Pure. */
export function mergeHistory(records: readonly RunRecord[], limit: number): RunRecord[] {
    return [...records].sort((a, b) => (a.runKey < b.runKey ? 1 : a.runKey > b.runKey ? -1 : 0)).slice(0, limit);
}

const seconds = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);

/** One line of `history`: start, region, action, outcome, RTO, data-loss window, run id. Pure. */
export function historyLine(r: RunRecord): string {
    const window = r.dataLossWindowMs !== undefined ? seconds(r.dataLossWindowMs) : r.dataLossWindow === "unknown" ? "unknown" : "-";
    const outcome = r.state === "running" ? "running" : (r.outcome ?? "?");
    return [
        r.startedAt.padEnd(24),
        r.region.padEnd(10),
        (r.action ?? "-").padEnd(11),
        `${outcome}${r.report === "failed" ? " (report failed)" : ""}`.padEnd(26),
        `RTO ${seconds(r.rtoMs)}`.padEnd(12),
        `loss window ${window}`.padEnd(22),
        r.runId,
    ].join(" ");
}

export function historyHeader(): string {
    return [
        "START".padEnd(24),
        "REGION".padEnd(10),
        "ACTION".padEnd(11),
        "OUTCOME".padEnd(26),
        "RTO".padEnd(12),
        "DATA-LOSS WINDOW".padEnd(22),
        "RUN",
    ].join(" ");
}

/** How far before `failover time − lag` the missing-transaction query starts (clock differences, commit latency). */
export const MISSING_TX_MARGIN_MS = 60_000;
/** The window the query covers when the lag could not be measured: the replication-lag alarm's 15-minute worst case. */
export const UNKNOWN_WINDOW_MS = 15 * 60_000;

/** Where the missing-transaction query starts: failover time − lag − margin. Pure. */
export function missingTransactionsFrom(failoverAt: string, windowMs: number | undefined): string {
    return new Date(Date.parse(failoverAt) - (windowMs ?? UNKNOWN_WINDOW_MS) - MISSING_TX_MARGIN_MS).toISOString();
}

export interface ProcedureInput {
    readonly stack: string;
    readonly environment: string;
    /** The region the snapshot is in: the old writer's. */
    readonly region: string;
    /** The old writer cluster (its subnet group and security groups are reused). */
    readonly oldCluster: string;
    readonly snapshot: string;
    readonly kmsKeyArn?: string;
    readonly engineVersion: string;
    readonly runId: string;
    readonly failoverAt: string;
    readonly windowMs?: number;
}

/**
 * The missing-transaction procedure as commands, after the AWS resilient-microservice sample's runbook: restore the
 * lost-writes snapshot to a temporary cluster (the old writer's subnet group and security groups, the region's key),
 * add an instance, list the rows committed after `failover time − lag − margin` (`pg_xact_commit_timestamp(xmin)`,
 * which needs `track_commit_timestamp` on when they were committed), compare them with the new writer by primary key,
 * then delete the temporary cluster. Pure.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-restore-snapshot.html
 * @see https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-INFO-COMMIT-TIMESTAMP
 */
export function missingTransactionProcedure(p: ProcedureInput): string[] {
    const tmp = `hdr-${p.stack}-lw-${p.runId
        .replace(/[^a-zA-Z0-9]/g, "")
        .slice(0, 12)
        .toLowerCase()}`.slice(0, 63);
    const from = missingTransactionsFrom(p.failoverAt, p.windowMs);
    const r = `--region ${p.region}`;
    const param = (name: string) =>
        `$(aws ssm get-parameter ${r} --name ${failoverParameterPath(p.environment)}/${name} --query Parameter.Value --output text)`;
    return [
        `# 1. Restore the lost-writes snapshot to a temporary cluster in ${p.region}, beside the old writer ${p.oldCluster}.`,
        `SUBNET_GROUP=$(aws rds describe-db-clusters ${r} --db-cluster-identifier ${p.oldCluster} --query 'DBClusters[0].DBSubnetGroup' --output text)`,
        `SECURITY_GROUPS=$(aws rds describe-db-clusters ${r} --db-cluster-identifier ${p.oldCluster} --query 'DBClusters[0].VpcSecurityGroups[].VpcSecurityGroupId' --output text)`,
        `#    (after a break-glass the old writer's security group is fenced, with no ingress: use one that admits your session only)`,
        `aws rds restore-db-cluster-from-snapshot ${r} --db-cluster-identifier ${tmp} --snapshot-identifier ${p.snapshot} --engine aurora-postgresql --engine-version ${p.engineVersion} --db-subnet-group-name "$SUBNET_GROUP" --vpc-security-group-ids $SECURITY_GROUPS --kms-key-id ${p.kmsKeyArn ?? param(FAILOVER_PARAMETERS.peerKmsKeyArn)} --serverless-v2-scaling-configuration MinCapacity=0.5,MaxCapacity=4 --deletion-protection --tags Key=healthcare-dr:run,Value=${p.runId}`,
        `aws rds wait db-cluster-available ${r} --db-cluster-identifier ${tmp}`,
        `aws rds create-db-instance ${r} --db-instance-identifier ${tmp}-1 --db-cluster-identifier ${tmp} --engine aurora-postgresql --db-instance-class db.serverless`,
        `aws rds wait db-instance-available ${r} --db-instance-identifier ${tmp}-1`,
        ``,
        `# 2. Connect: the snapshot keeps the master user and password of its time (the stack's master secret).`,
        `export PGHOST=$(aws rds describe-db-clusters ${r} --db-cluster-identifier ${tmp} --query 'DBClusters[0].Endpoint' --output text) PGSSLMODE=require`,
        `export PGUSER=$(aws secretsmanager get-secret-value ${r} --secret-id "${param(FAILOVER_PARAMETERS.secretArn)}" --query SecretString --output text | jq -r .username)`,
        `export PGPASSWORD=$(aws secretsmanager get-secret-value ${r} --secret-id "${param(FAILOVER_PARAMETERS.secretArn)}" --query SecretString --output text | jq -r .password)`,
        `export PGDATABASE=$(aws secretsmanager get-secret-value ${r} --secret-id "${param(FAILOVER_PARAMETERS.secretArn)}" --query SecretString --output text | jq -r .dbname)`,
        ``,
        `# 3. Rows committed on the old writer from ${from} (failover ${p.failoverAt} − ${p.windowMs === undefined ? "15 min (lag unknown)" : `lag ${p.windowMs} ms`} − ${MISSING_TX_MARGIN_MS / 1000} s), per table:`,
        `psql -c "SELECT format('SELECT %L AS table_name, count(*) AS rows_committed_in_window FROM %I.%I WHERE pg_xact_commit_timestamp(xmin) >= %L', schemaname || '.' || tablename, schemaname, tablename, '${from}') FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \\gexec"`,
        ``,
        `# 4. For each table with rows (TABLE, and KEY its primary key), the rows the new writer does not have, or has otherwise:`,
        `TABLE=public.example KEY=id`,
        `psql -c "\\copy (SELECT * FROM $TABLE WHERE pg_xact_commit_timestamp(xmin) >= '${from}') TO 'lost-$TABLE.csv' CSV HEADER"`,
        `PGHOST=${writerRecordName(p.stack)} psql -c "CREATE TEMP TABLE lost (LIKE $TABLE)" -c "\\copy lost FROM 'lost-$TABLE.csv' CSV HEADER" -c "SELECT l.* FROM lost l LEFT JOIN $TABLE w USING ($KEY) WHERE w.$KEY IS NULL OR row(w.*) IS DISTINCT FROM row(l.*)"`,
        `#    Re-apply what the business confirms, on the new writer; keep the CSV files with the run's evidence.`,
        ``,
        `# 5. Clean up the temporary cluster (the lost-writes snapshot ${p.snapshot} is kept).`,
        `aws rds modify-db-cluster ${r} --db-cluster-identifier ${tmp} --no-deletion-protection --apply-immediately`,
        `aws rds delete-db-instance ${r} --db-instance-identifier ${tmp}-1`,
        `aws rds delete-db-cluster ${r} --db-cluster-identifier ${tmp} --skip-final-snapshot`,
    ];
}

/** A supplementary report (lostWrites.ts `lostWritesReport`), as far as `report` reads it. */
export interface SupplementaryReport {
    readonly kind?: string;
    readonly state?: string;
    readonly writtenAt?: string;
    readonly oldWriter?: { readonly region: string; readonly cluster: string };
    readonly snapshot?: { readonly id: string; readonly arn?: string; readonly region: string; readonly kmsKeyId?: string };
    readonly sourceSnapshot?: { readonly id: string };
}

/** `report`'s text. Pure. */
export function formatRunReport(
    record: RunRecord,
    report: RunReport | undefined,
    supplements: readonly SupplementaryReport[],
    stack: { readonly stack: string; readonly environment: string; readonly engineVersion: string },
): string[] {
    const lines = [
        `Run ${record.runId} of stack ${record.stack} in ${record.region}: ${record.action ?? "-"}, ${record.state === "running" ? "running" : (record.outcome ?? "?")}`,
        `  started ${record.startedAt}${record.endedAt !== undefined ? `, ended ${record.endedAt}` : ""}`,
        `  ${record.message ?? ""}`.trimEnd(),
        `  report: ${record.report === "failed" ? `FAILED (${record.reportProblem ?? "unknown"}); what the record holds follows` : (record.reportKey ?? "none")}`,
    ];
    if (report !== undefined) {
        const t = report.trigger;
        lines.push(
            "",
            "Trigger:",
            t.kind === "alarm"
                ? `  alarm ${t.alarmName} (${t.alarmRegion}) ${t.alarmState} at ${t.time}: ${t.alarmReason ?? ""}`
                : `  ${t.kind} request at ${t.time}${t.requestedBy !== undefined ? ` by ${t.requestedBy}` : ""}${t.action !== undefined ? `: ${t.action} to ${t.targetRegion}${t.dryRun === true ? " (dry run)" : ""}${t.force === true ? " (forced)" : ""}` : ""}`,
            "",
            "Decisions:",
            ...report.decisions.map((d) => `  ${d.at}  ${d.step.padEnd(8)} ${d.kind.padEnd(14)} ${d.reason}`),
            "",
            "Steps:",
            ...report.steps.map(
                (s) => `  ${s.start}  ${s.name.padEnd(16)} ${s.outcome.padEnd(8)} ${String(s.durationMs).padStart(7)} ms  ${s.detail}`,
            ),
            ...(report.resumedAfter.length > 0 ? [`  (resumed after ${report.resumedAfter.join(", ")})`] : []),
            "",
            `AWS requests: ${report.requests.length}${report.requestsNotListed > 0 ? ` (+${report.requestsNotListed} not listed)` : ""}, ${report.requests.filter((r) => r.errorCode !== undefined).length} failed (--json lists them with their request ids)`,
            "",
            "Pointers:",
            `  before: ${pointers(report.pointers.before)}`,
            `  after:  ${pointers(report.pointers.after)}`,
        );
    }
    const failoverAt = report?.recovery.failoverAt ?? record.failoverAt;
    const windowMs = report?.dataLoss?.windowMs ?? record.dataLossWindowMs;
    lines.push(
        "",
        "Recovery:",
        `  recovery time (first signal -> writer available): ${record.rtoMs !== undefined ? `${(record.rtoMs / 1000).toFixed(1)} s` : "not measured (no promotion by this run)"}${report?.recovery.firstSignalAt !== undefined ? ` (first signal ${report.recovery.firstSignalAt}, writer available ${report.recovery.writerAvailableAt ?? "?"})` : ""}`,
        `  failover time: ${failoverAt ?? "-"}`,
        `  data-loss window: ${windowMs !== undefined ? `${windowMs} ms` : record.dataLossWindow === "unknown" ? "UNKNOWN" : "-"}${report?.dataLoss !== undefined ? ` (${report.dataLoss.source}${report.dataLoss.datapointAt !== undefined ? `, datapoint ${report.dataLoss.datapointAt}` : ""})` : ""}`,
    );
    const kept = supplements.find((s) => s.snapshot !== undefined);
    if (record.lostWritesState !== undefined || report?.lostWrites !== undefined) {
        lines.push(
            "",
            "Lost writes:",
            record.lostWritesSnapshot !== undefined
                ? `  kept in snapshot ${record.lostWritesSnapshot} (${kept?.snapshot?.region ?? report?.peerRegion ?? "?"}, key ${kept?.snapshot?.kmsKeyId ?? "?"})${kept?.sourceSnapshot !== undefined ? `, a copy of ${kept.sourceSnapshot.id}` : ""}`
                : record.lostWritesState === "missing"
                  ? "  AWS took no unplanned-failover snapshot of the old writer: the writes of the window could not be kept"
                  : `  not kept yet: the aftercare schedule keeps them once ${report?.lostWrites?.oldRegion ?? "the old region"} answers (${record.lostWritesState ?? "open"})`,
        );
        if (record.lostWritesSnapshot !== undefined && failoverAt !== undefined) {
            lines.push(
                "",
                "Missing-transaction procedure:",
                ...missingTransactionProcedure({
                    stack: stack.stack,
                    environment: stack.environment,
                    region: kept?.snapshot?.region ?? report?.lostWrites?.oldRegion ?? report?.peerRegion ?? "REGION",
                    oldCluster: kept?.oldWriter?.cluster ?? report?.lostWrites?.oldCluster ?? "OLD_CLUSTER",
                    snapshot: record.lostWritesSnapshot,
                    ...(kept?.snapshot?.kmsKeyId !== undefined ? { kmsKeyArn: kept.snapshot.kmsKeyId } : {}),
                    engineVersion: stack.engineVersion,
                    runId: record.runId,
                    failoverAt,
                    ...(windowMs !== undefined ? { windowMs } : {}),
                }).map((l) => (l === "" ? "" : `  ${l}`)),
            );
        }
    }
    return lines;
}

function pointers(p: RunReport["pointers"]["before"]): string {
    if (p === undefined) {
        return "not read";
    }
    return `record -> ${p.record ?? "unset"}; active-region ${Object.entries(p.activeRegion)
        .map(([region, value]) => `${region}: ${value}`)
        .join(", ")}${p.secretHost !== undefined ? `; secret host ${p.secretHost}` : ""}`;
}

export interface EvidenceClients {
    readonly dynamodb: DynamoDBClient;
    readonly ssm: SSMClient;
    readonly s3: S3Client;
}

export function evidenceClientsIn(region: string): EvidenceClients {
    const dynamodb = new DynamoDBClient({ region });
    return { dynamodb, ssm: new SSMClient({ region }), s3: createS3Client({ region }) };
}

/** Every run record of `stack` in one region's table, newest first (all pages, or the first `limit`). */
export async function readRecords(clients: EvidenceClients, stack: string, limit?: number): Promise<RunRecord[]> {
    const found: RunRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
        const out = await clients.dynamodb.send(
            new QueryCommand({
                TableName: runsTableName(stack),
                KeyConditionExpression: "#p = :p",
                ExpressionAttributeNames: { "#p": RUNS_TABLE_KEYS.partition },
                ExpressionAttributeValues: { ":p": { S: stack } },
                ScanIndexForward: false,
                ...(limit !== undefined ? { Limit: limit - found.length } : {}),
                ExclusiveStartKey: start,
            }),
        );
        found.push(...(out.Items ?? []).map(fromRunItem));
        start = out.LastEvaluatedKey;
    } while (start !== undefined && (limit === undefined || found.length < limit));
    return found;
}

async function reportBucketIn(clients: EvidenceClients, environment: string): Promise<string> {
    const out = await clients.ssm.send(
        new GetParameterCommand({ Name: `${failoverParameterPath(environment)}/${FAILOVER_PARAMETERS.reportBucket}` }),
    );
    return out.Parameter?.Value ?? "";
}

export async function runHistory(
    args: Extract<EvidenceArgs, { kind: "history" }>,
    regions: readonly string[],
    clientsIn: (region: string) => EvidenceClients,
    out: (line: string) => void,
): Promise<number> {
    const problems: string[] = [];
    const all = (
        await Promise.all(
            regions.map((region) =>
                readRecords(clientsIn(region), args.stack, args.limit).catch((error: unknown) => {
                    problems.push(`${region}: ${error instanceof Error ? error.message : String(error)}`);
                    return [];
                }),
            ),
        )
    ).flat();
    out(historyHeader());
    for (const record of mergeHistory(all, args.limit)) {
        out(historyLine(record));
    }
    for (const p of problems) {
        out(`(the runs of ${p.split(":")[0]} could not be read: ${p.slice(p.indexOf(":") + 2)})`);
    }
    return problems.length === regions.length ? 1 : 0;
}

export async function runReport(
    args: Extract<EvidenceArgs, { kind: "report" }>,
    stack: { readonly environment: string; readonly engineVersion: string },
    regions: readonly string[],
    clientsIn: (region: string) => EvidenceClients,
    out: (line: string) => void,
): Promise<number> {
    for (const region of regions) {
        const clients = clientsIn(region);
        const records = await readRecords(clients, args.stack).catch(() => [] as RunRecord[]);
        const record = records.find((r) => r.runId === args.run);
        if (record === undefined) {
            continue;
        }
        const bucket = await reportBucketIn(clients, stack.environment);
        const read = async <T>(key: string): Promise<T | undefined> =>
            clients.s3
                .getObject(bucket, key)
                .then((text) => JSON.parse(text) as T)
                .catch((error: unknown) => {
                    out(`(s3://${bucket}/${key} could not be read: ${error instanceof Error ? error.message : String(error)})`);
                    return undefined;
                });
        const report = record.reportKey !== undefined && record.report !== "failed" ? await read<RunReport>(record.reportKey) : undefined;
        const supplements = (await Promise.all(record.supplementaryReports.map((k) => read<SupplementaryReport>(k)))).flatMap((s) =>
            s !== undefined ? [s] : [],
        );
        if (args.json) {
            out(JSON.stringify({ record, report, supplementaryReports: supplements }, null, 2));
        } else {
            for (const line of formatRunReport(record, report, supplements, { stack: args.stack, ...stack })) {
                out(line);
            }
        }
        return 0;
    }
    out(`No run ${args.run} is recorded for stack ${args.stack} in ${regions.join(" or ")} (npm run failover -- history lists the runs).`);
    return 1;
}
