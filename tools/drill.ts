/**
 * The failover drill: proves, on this machine, that the real orchestrator code promotes the DR region of a stack.
 *
 *   npm run drill -- --stack dev [--json]
 *
 * Starts moto (tests/moto/server.py), creates the stack's failover topology in it under the program's names, makes
 * the primary region unreachable (its endpoint points at a closed port), delivers the replication-lag alarm to the
 * real handler (or, in manual mode, the command on-call would run), and prints the timeline and the measured
 * orchestration time next to the stack's recovery-time budget and objective.
 *
 * Exit status: 0 the failover completed within the budget; 1 it completed but over budget or the end state is wrong;
 * 2 usage or stack config error; 3 the drill could not run.
 */
import { parseArgs } from "util";
import { formatIssue, parseStackConfig, type StackConfig } from "../config";
import { formatSeconds } from "../lib/duration";
import { REPLICATION_LAG_ALARM } from "../lib/failover";
import { recoveryBudget, type RecoveryBudget } from "../lib/recoveryBudget";
import { freePort, motoUnavailableReason, startMoto, type MotoServer } from "../orchestrator/local/moto";
import { createTopology, drainQueue, MOTO_CREDENTIALS, type Topology } from "../orchestrator/local/topology";
import { readParameter, readRecord, normalise } from "../orchestrator/src/aws";
import { createClients } from "../orchestrator/src/clients";
import { createHandler } from "../orchestrator/src/handler";
import { DEFAULT_POLL, type PollSettings } from "../orchestrator/src/orchestrate";
import { readStackFile, stackFilePath } from "../tests/harness/program";

export const EXIT = { ok: 0, failed: 1, usage: 2, error: 3 } as const;

const USAGE = `Usage: npm run drill -- --stack NAME [--json]

  --stack NAME   the stack whose configuration the drill uses (Pulumi.NAME.yaml)
  --json         print { steps: [{ name, start, durationMs }], totalMs, budget } as JSON
`;

export interface DrillReport {
    readonly stack: string;
    readonly outcome: string;
    readonly path?: string;
    readonly steps: readonly {
        readonly name: string;
        readonly start: string;
        readonly durationMs: number;
        readonly outcome: string;
        readonly detail: string;
    }[];
    readonly totalMs: number;
    readonly endState: {
        readonly record: string | undefined;
        readonly activeRegion: string | undefined;
        readonly expectedRecord: string;
        readonly ok: boolean;
    };
    readonly notifications: number;
    readonly budget: RecoveryBudget & {
        readonly objectiveRtoSeconds: number;
        readonly objectiveRpoSeconds: number;
        readonly withinRto: boolean;
        readonly configuredRtoSeconds: number;
    };
}

/** The alarm state change EventBridge delivers when the replication-lag alarm fires. */
export function replicationLagAlarmEvent(topology: Topology, time: string): Record<string, unknown> {
    return {
        version: "0",
        id: "drill",
        "detail-type": "CloudWatch Alarm State Change",
        source: "aws.cloudwatch",
        account: "123456789012",
        time,
        region: topology.drRegion,
        resources: [`arn:aws:cloudwatch:${topology.drRegion}:123456789012:alarm:${topology.stack}-replication-lag`],
        detail: {
            alarmName: `${topology.stack}-replication-lag`,
            state: {
                value: "ALARM",
                reason: `drill: no replication for ${REPLICATION_LAG_ALARM.evaluationPeriods} periods`,
                timestamp: time,
            },
            previousState: { value: "OK" },
        },
    };
}

export interface DrillOptions {
    /** A running moto server to use (it is reset first). @default a new one, stopped at the end */
    readonly moto?: MotoServer;
    /** @default the function's own polling settings (DEFAULT_POLL), so that the measurement is honest */
    readonly poll?: PollSettings;
}

export async function runDrill(config: StackConfig, options: DrillOptions = {}): Promise<DrillReport> {
    const moto = options.moto ?? (await startMoto());
    try {
        if (options.moto !== undefined) {
            await moto.reset();
        }
        const topology = await createTopology(moto.url, config);
        // The loss of the primary region: nothing listens on its endpoint.
        const deadRegion = `http://127.0.0.1:${await freePort()}`;
        const clients = createClients({
            endpointFor: (region) => (region === config.primaryRegion ? deadRegion : moto.url),
            credentials: MOTO_CREDENTIALS,
            probeTimeoutMs: 2_000,
        });
        const handler = createHandler({
            env: topology.lambdaEnv,
            clients,
            poll: options.poll ?? DEFAULT_POLL,
            logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        });
        const event =
            config.failover.mode === "automatic"
                ? replicationLagAlarmEvent(topology, new Date().toISOString())
                : { action: "failover", dryRun: false, force: false };
        const started = Date.now();
        const result = await handler(event, {
            awsRequestId: `drill-${started}`,
            getRemainingTimeInMillis: () => 600_000 - (Date.now() - started),
        });
        const totalMs = Date.now() - started;

        const record = await readRecord(clients.route53(), topology.hostedZoneId, topology.recordName);
        const activeRegion = await readParameter(clients.ssm(config.drRegion), `/healthcare/${config.environment}/active-region`);
        const notifications = (await drainQueue(moto.url, config.drRegion, topology.queueUrl)).length;
        const measured = recoveryBudget(config, { orchestrationMs: totalMs });
        const configured = recoveryBudget(config);
        return {
            stack: config.stack,
            outcome: result.outcome,
            ...(result.path !== undefined ? { path: result.path } : {}),
            steps: result.timeline.map((s) => ({
                name: s.name,
                start: s.start,
                durationMs: s.durationMs,
                outcome: s.outcome,
                detail: s.detail,
            })),
            totalMs,
            endState: {
                record,
                activeRegion,
                expectedRecord: normalise(topology.drEndpoint),
                ok: record === normalise(topology.drEndpoint) && activeRegion === config.drRegion,
            },
            notifications,
            budget: {
                ...measured,
                configuredRtoSeconds: configured.rtoSeconds,
                objectiveRtoSeconds: config.objectives.rto.seconds,
                objectiveRpoSeconds: config.objectives.rpo.seconds,
                withinRto: measured.rtoSeconds <= config.objectives.rto.seconds,
            },
        };
    } finally {
        if (options.moto === undefined) {
            await moto.stop();
        }
    }
}

export function formatReport(report: DrillReport): string {
    const b = report.budget;
    const lines = [
        `Failover drill of stack ${report.stack}: ${report.outcome}${report.path !== undefined ? ` (${report.path})` : ""}`,
        "",
        "Timeline:",
        ...report.steps.map(
            (s) => `  ${s.start}  ${s.name.padEnd(16)} ${s.outcome.padEnd(8)} ${String(s.durationMs).padStart(6)} ms  ${s.detail}`,
        ),
        "",
        `Measured orchestration: ${report.totalMs} ms`,
        `End state: record -> ${report.endState.record ?? "unset"}, active-region ${report.endState.activeRegion ?? "unset"} (${report.endState.ok ? "points at the DR region" : "WRONG"}); ${report.notifications} notifications published`,
        "",
        "Recovery-time budget (seconds):",
        `  detection          ${b.rto.detectionSeconds}  (health check ${b.rto.detectionPaths.healthCheckSeconds}, replication-lag alarm ${b.rto.detectionPaths.replicationLagAlarmSeconds})`,
        `  operator response  ${b.rto.operatorResponseSeconds}`,
        `  orchestration      ${b.rto.orchestrationSeconds}  (measured; the function's timeout budget is ${b.configuredRtoSeconds - b.rtoSeconds + b.rto.orchestrationSeconds})`,
        `  promotion          ${b.rto.promotionSeconds}  (AWS: under a minute)`,
        `  DNS TTL            ${b.rto.dnsTtlSeconds}`,
        `  total              ${b.rtoSeconds} = ${formatSeconds(b.rtoSeconds)}  vs objective ${formatSeconds(b.objectiveRtoSeconds)}: ${b.withinRto ? "within" : "EXCEEDED"}`,
        `  (with the orchestration timeout instead of the measurement: ${formatSeconds(b.configuredRtoSeconds)})`,
        `Data-loss budget: ${formatSeconds(b.rpoSeconds)} (database ${b.rpo.databaseSeconds} s, objects ${b.rpo.objectStorageSeconds} s) vs objective ${formatSeconds(b.objectiveRpoSeconds)}; restore from backup ${formatSeconds(b.backupRpoSeconds)}`,
    ];
    return `${lines.join("\n")}\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
    let values: { stack?: string; json?: boolean; help?: boolean };
    try {
        ({ values } = parseArgs({
            args: [...argv],
            options: { stack: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
            strict: true,
            allowPositionals: false,
        }));
    } catch (error) {
        process.stderr.write(`drill: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
        return EXIT.usage;
    }
    if (values.help === true) {
        process.stdout.write(USAGE);
        return EXIT.ok;
    }
    if (values.stack === undefined) {
        process.stderr.write(`drill: --stack is required\n${USAGE}`);
        return EXIT.usage;
    }
    const parsed = parseStackConfig(readStackFile(stackFilePath(values.stack)), values.stack);
    if (!parsed.ok) {
        process.stderr.write(
            `drill: Pulumi.${values.stack}.yaml is not valid:\n${parsed.issues.map((i) => `  ${formatIssue(i)}`).join("\n")}\n`,
        );
        return EXIT.usage;
    }
    const unavailable = motoUnavailableReason();
    if (unavailable !== undefined) {
        process.stderr.write(`drill: ${unavailable}\n`);
        return EXIT.error;
    }
    const report = await runDrill(parsed.config);
    process.stdout.write(
        values.json === true
            ? `${JSON.stringify({ steps: report.steps.map(({ name, start, durationMs }) => ({ name, start, durationMs })), totalMs: report.totalMs, budget: report.budget, outcome: report.outcome, endState: report.endState }, null, 2)}\n`
            : formatReport(report),
    );
    return report.outcome === "completed" && report.endState.ok && report.budget.withinRto ? EXIT.ok : EXIT.failed;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit only once stdout has drained: process.exit() right after a large write to a pipe cuts the output.
        (code) => process.stdout.write("", () => process.exit(code)),
        (error: unknown) => {
            process.stderr.write(`drill: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(EXIT.error);
        },
    );
}
