/**
 * The on-call command: asks the deployed FailoverOrchestrator function of a stack to switch over or fail over.
 *
 *   npm run failover -- --stack prod --action switchover [--dry-run] [--force]
 *
 * Invokes the function (in the stack's DR region, by its deterministic name) synchronously, printing the steps the
 * run completes while it works (read from its lock item) and then the full timeline. Credentials come from the
 * usual AWS chain (AWS_PROFILE, SSO, environment). Rehearse with --dry-run first: it reads everything and changes
 * nothing.
 *
 * Exit status: 0 the request completed (or the dry run / refusal was reported); 1 the run failed; 2 usage error.
 */
import { GetItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { parseArgs } from "util";
import { parseStackConfig } from "../config";
import { auroraIdentifiers, FAILOVER_ACTIONS, lockTableName, orchestratorFunctionName, type FailoverAction } from "../lib/failover";
import { readStackFile, stackFilePath } from "../tests/harness/program";

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const USAGE = `Usage: npm run failover -- --stack NAME --action switchover|failover [--dry-run] [--force]

  --stack NAME     the stack (Pulumi.NAME.yaml gives the DR region)
  --action A       switchover: planned, no data loss, needs a healthy primary (drills, maintenance, failback)
                   failover:   unplanned, may lose data; refused while the primary is healthy unless --force
  --dry-run        read everything and report what would be done; change nothing
  --force          fail over even though the primary looks healthy
`;

export interface FailoverArgs {
    readonly stack: string;
    readonly action: FailoverAction;
    readonly dryRun: boolean;
    readonly force: boolean;
}

/** Parses the command line; returns the arguments or a usage error message. Pure. */
export function parseFailoverArgs(argv: readonly string[]): FailoverArgs | { readonly error: string } {
    let values: { stack?: string; action?: string; "dry-run"?: boolean; force?: boolean };
    try {
        ({ values } = parseArgs({
            args: [...argv],
            options: { stack: { type: "string" }, action: { type: "string" }, "dry-run": { type: "boolean" }, force: { type: "boolean" } },
            strict: true,
            allowPositionals: false,
        }));
    } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
    }
    if (values.stack === undefined || values.stack === "") {
        return { error: "--stack is required" };
    }
    if (values.action === undefined) {
        return { error: `--action is required: ${FAILOVER_ACTIONS.join(" or ")}` };
    }
    if (!(FAILOVER_ACTIONS as readonly string[]).includes(values.action)) {
        return { error: `--action must be ${FAILOVER_ACTIONS.join(" or ")}, not "${values.action}"` };
    }
    if (values.force === true && values.action === "switchover") {
        return { error: "--force applies to --action failover only: a switchover always needs a healthy primary" };
    }
    return {
        stack: values.stack,
        action: values.action as FailoverAction,
        dryRun: values["dry-run"] === true,
        force: values.force === true,
    };
}

/** The event the function receives (see orchestrator/src/events.ts). Pure. */
export function buildEvent(args: FailoverArgs, requestedBy: string | undefined): Record<string, unknown> {
    return {
        action: args.action,
        dryRun: args.dryRun,
        force: args.force,
        ...(requestedBy !== undefined && requestedBy !== "" ? { requestedBy: requestedBy.slice(0, 256) } : {}),
    };
}

interface TimelineLine {
    readonly name: string;
    readonly start: string;
    readonly durationMs: number;
    readonly outcome: string;
    readonly detail: string;
}

export function formatStep(s: TimelineLine): string {
    return `${s.start}  ${s.name.padEnd(16)} ${s.outcome.padEnd(8)} ${String(s.durationMs).padStart(7)} ms  ${s.detail}`;
}

export interface FailoverClients {
    readonly lambda: LambdaClient;
    readonly dynamodb: DynamoDBClient;
}

export async function invoke(
    args: FailoverArgs,
    target: { functionName: string; lockTable: string; lockId: string },
    clients: FailoverClients,
    out: (line: string) => void,
    pollMs = 2_000,
): Promise<number> {
    out(`Invoking ${target.functionName}: ${args.action}${args.dryRun ? " (dry run)" : ""}${args.force ? " (forced)" : ""}`);
    const seen = new Set<string>();
    let done = false;
    const watch = (async () => {
        // While the function works, report each step it records in its lock item.
        while (!done) {
            await new Promise((r) => setTimeout(r, pollMs));
            try {
                const item = await clients.dynamodb.send(
                    new GetItemCommand({ TableName: target.lockTable, Key: { lockId: { S: target.lockId } }, ConsistentRead: true }),
                );
                for (const step of item.Item?.["steps"]?.L ?? []) {
                    if (step.S !== undefined && !seen.has(step.S) && item.Item?.["state"]?.S === "running") {
                        seen.add(step.S);
                        out(`  ... ${step.S} done`);
                    }
                }
            } catch {
                // Progress is a courtesy; the final timeline is what counts.
            }
        }
    })();
    try {
        const response = await clients.lambda.send(
            new InvokeCommand({
                FunctionName: target.functionName,
                InvocationType: "RequestResponse",
                Payload: new TextEncoder().encode(JSON.stringify(buildEvent(args, process.env["USER"]))),
            }),
        );
        const text = response.Payload !== undefined ? new TextDecoder().decode(response.Payload) : "{}";
        const payload = JSON.parse(text) as {
            outcome?: string;
            message?: string;
            timeline?: TimelineLine[];
            errorType?: string;
            errorMessage?: string;
        };
        if (response.FunctionError !== undefined) {
            out(`FAILED (${payload.errorType ?? response.FunctionError}): ${payload.errorMessage ?? text}`);
            return EXIT.failed;
        }
        for (const step of payload.timeline ?? []) {
            out(formatStep(step));
        }
        out(`${payload.outcome ?? "unknown"}: ${payload.message ?? ""}`);
        return EXIT.ok;
    } finally {
        done = true;
        await watch;
    }
}

export async function main(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
    const args = parseFailoverArgs(argv);
    if ("error" in args) {
        process.stderr.write(`failover: ${args.error}\n${USAGE}`);
        return EXIT.usage;
    }
    const parsed = parseStackConfig(readStackFile(stackFilePath(args.stack)), args.stack);
    if (!parsed.ok) {
        process.stderr.write(`failover: Pulumi.${args.stack}.yaml is not valid; fix it first (npm run plan -- --stack ${args.stack})\n`);
        return EXIT.usage;
    }
    const region = parsed.config.drRegion;
    return invoke(
        args,
        {
            functionName: orchestratorFunctionName(args.stack),
            lockTable: lockTableName(args.stack),
            lockId: auroraIdentifiers(args.stack, parsed.config.primaryRegion, region).global,
        },
        // The function's timeout is 10 minutes; the invoke waits for it.
        { lambda: new LambdaClient({ region, requestHandler: { requestTimeout: 15 * 60_000 } }), dynamodb: new DynamoDBClient({ region }) },
        out,
    );
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit only once stdout has drained: process.exit() right after a large write to a pipe cuts the output.
        (code) => process.stdout.write("", () => process.exit(code)),
        (error: unknown) => {
            process.stderr.write(`failover: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(EXIT.failed);
        },
    );
}
