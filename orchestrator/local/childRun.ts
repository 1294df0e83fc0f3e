/**
 * Runs the real, bundled orchestrator Lambda handler (the very file `pulumi up` deploys, from bundle.ts) in a child
 * `node` process, so that a test or the drill can kill it at an exact AWS call, as a Lambda timeout or crash would,
 * and then see what the next invocation makes of the state it left behind.
 *
 * The bundle is written once per process to a temporary directory, next to a tiny CommonJS entry script that reads
 * `{ event, requestId, remainingMs }` from stdin, calls `exports.handler(event, context)` and writes one JSON line,
 * `{ ok: true, result }` or `{ ok: false, error: { name, message } }`, to file descriptor 3. Not stdout: the handler
 * logs JSON lines there itself (Powertools), and those are returned as `stdout`.
 *
 * Killing at a call is the fault proxy's `kill` fault wired to the run:
 *
 * ```ts
 * const proxy = await startFaultProxy(moto.url);
 * proxy.setRules([{ service: "rds", action: "FailoverGlobalCluster", fault: { kind: "kill", after: true } }]);
 * const outcome = await runUntilKilled(proxy, { env: { ...topology.lambdaEnv, HDR_TEST_ENDPOINT_URL: proxy.url }, event, requestId: "r1" });
 * // { exit: "killed", ... }: the failover was started, the handler never saw it
 * ```
 */
import { spawn } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { ORCHESTRATOR_TIMEOUT_SECONDS } from "../../lib/failover";
import { bundleOrchestrator } from "../bundle";
import type { FaultProxy } from "./faultProxy";

export interface ChildRun {
    readonly pid: number;
    /** Kills the child at once (SIGKILL), as Lambda ends a function that timed out; `done` reports `killed`. */
    kill(): void;
    readonly done: Promise<ChildOutcome>;
}

/** What became of the run, with what the child wrote to stdout (the handler's logs) and stderr. */
export type ChildOutcome = (
    | { readonly exit: "returned"; readonly result: unknown }
    | { readonly exit: "threw"; readonly error: { readonly name: string; readonly message: string } }
    | { readonly exit: "killed" }
    | { readonly exit: "timeout" }
    /** The child ended without reporting an outcome and without being killed (a bundle that fails to load, a crash). */
    | { readonly exit: "crashed"; readonly code: number | null; readonly signal: string | null }
) & { readonly stdout: string; readonly stderr: string };

export interface ChildRunOptions {
    /** The function's environment (e.g. a topology's `lambdaEnv` plus `HDR_TEST_ENDPOINT_URL`). Only PATH is added. */
    readonly env: Readonly<Record<string, string>>;
    readonly event: unknown;
    /** The context's awsRequestId (the lock's owner). */
    readonly requestId: string;
    /** What `getRemainingTimeInMillis` counts down from. @default the function's timeout, ORCHESTRATOR_TIMEOUT_SECONDS */
    readonly remainingMs?: number;
    /** The child is killed and `timeout` reported after this long. @default 60000 */
    readonly timeoutMs?: number;
    /**
     * Run the handler on a virtual clock that starts `offsetMs` ahead of real time and jumps over every sleep (the
     * detection window, the polls). @default the real clock, as in Lambda
     */
    readonly virtualClock?: { readonly offsetMs: number };
}

/** moto accepts any credentials; the handler takes them from the default chain, as in Lambda. */
const DEFAULT_ENV: Readonly<Record<string, string>> = {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    /** The default DR region, where the function runs. */
    AWS_REGION: "eu-west-1",
};

const ENTRY = `"use strict";
const fs = require("fs");
const path = require("path");
const report = (outcome) => { fs.writeSync(3, JSON.stringify(outcome) + "\\n"); process.exit(0); };
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
    const { event, requestId, remainingMs, virtualClock } = JSON.parse(input);
    const bundle = require(path.join(__dirname, "index.js"));
    // A virtual clock: the handler's waits (the detection window, the polls) take no real time, so that a test can
    // run the real bundle through a 60 s window in milliseconds. AWS calls still take their real time.
    let offset = virtualClock ? virtualClock.offsetMs : 0;
    const now = () => Date.now() + offset;
    const handler = virtualClock
        ? bundle.createHandler({ now, sleep: async (ms) => { offset += ms; } })
        : bundle.handler;
    const deadline = now() + remainingMs;
    const context = { awsRequestId: requestId, getRemainingTimeInMillis: () => Math.max(0, deadline - now()) };
    Promise.resolve()
        .then(() => handler(event, context))
        .then(
            (result) => report({ ok: true, result: result === undefined ? null : result }),
            (e) => report({ ok: false, error: { name: String((e && e.name) || "Error"), message: String((e && e.message) || e) } }),
        );
});
`;

let bundleDir: string | undefined;

/** The directory holding `index.js` (the bundle) and `entry.js`; written on first use, removed at process exit. */
function childFiles(): string {
    if (bundleDir === undefined) {
        const dir = mkdtempSync(path.join(tmpdir(), "hdr-orchestrator-"));
        writeFileSync(path.join(dir, "index.js"), bundleOrchestrator());
        writeFileSync(path.join(dir, "entry.js"), ENTRY);
        process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
        bundleDir = dir;
    }
    return bundleDir;
}

export function startHandlerInChild(options: ChildRunOptions): ChildRun {
    const dir = childFiles();
    const env: Record<string, string> = {
        ...(process.env["PATH"] !== undefined ? { PATH: process.env["PATH"] } : {}),
        // No shared config or credentials files: nothing from the developer's ~/.aws may reach the run.
        AWS_CONFIG_FILE: path.join(dir, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "no-aws-credentials"),
        ...DEFAULT_ENV,
        ...options.env,
    };
    const child = spawn(process.execPath, [path.join(dir, "entry.js")], { env, stdio: ["pipe", "pipe", "pipe", "pipe"] });
    let killedBy: "killed" | "timeout" | undefined;
    const stop = (why: "killed" | "timeout") => {
        if (child.exitCode === null && child.signalCode === null) {
            killedBy ??= why;
            child.kill("SIGKILL");
        }
    };
    const output = { stdout: "", stderr: "", report: "" };
    child.stdout.setEncoding("utf8").on("data", (s: string) => (output.stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (output.stderr += s));
    const reportPipe = child.stdio[3] as NodeJS.ReadableStream;
    reportPipe.setEncoding("utf8");
    reportPipe.on("data", (s: string) => (output.report += s));

    const timer = setTimeout(() => stop("timeout"), options.timeoutMs ?? 60_000);
    const done = new Promise<ChildOutcome>((resolve) => {
        child.once("error", (e) => {
            clearTimeout(timer);
            resolve({ exit: "crashed", code: null, signal: null, stdout: output.stdout, stderr: `${output.stderr}${e.message}` });
        });
        // "close", not "exit": every pipe has been read to its end.
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            const logs = { stdout: output.stdout, stderr: output.stderr };
            if (killedBy !== undefined) {
                return resolve({ exit: killedBy, ...logs });
            }
            const reported = parseReport(output.report);
            if (reported === undefined) {
                return resolve({ exit: "crashed", code, signal, ...logs });
            }
            resolve(
                reported.ok ? { exit: "returned", result: reported.result, ...logs } : { exit: "threw", error: reported.error, ...logs },
            );
        });
    });
    child.stdin.end(
        JSON.stringify({
            event: options.event,
            requestId: options.requestId,
            remainingMs: options.remainingMs ?? ORCHESTRATOR_TIMEOUT_SECONDS * 1000,
            ...(options.virtualClock !== undefined ? { virtualClock: options.virtualClock } : {}),
        }),
    );
    return { pid: child.pid ?? -1, kill: () => stop("killed"), done };
}

type Report = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } };

function parseReport(text: string): Report | undefined {
    const line = text.trim();
    if (line === "") {
        return undefined;
    }
    try {
        return JSON.parse(line) as Report;
    } catch {
        return undefined;
    }
}

/**
 * Runs the handler in a child that the fault proxy kills at its `kill` fault (the proxy's rules are the caller's),
 * and returns the child's outcome: `killed`, or how it ended without reaching the fault. The proxy's kill hook is
 * unset again before this returns, so the next run through the proxy is not killed by this child's hook.
 */
export async function runUntilKilled(proxy: Pick<FaultProxy, "onKill">, options: ChildRunOptions): Promise<ChildOutcome> {
    const child = startHandlerInChild(options);
    proxy.onKill(() => child.kill());
    try {
        return await child.done;
    } finally {
        proxy.onKill(undefined);
    }
}
