/**
 * One moto server per test process, shared by every test file that needs it: started on first use (on 127.0.0.1, a
 * free port), reset (or restored from a snapshot: freshTopology) by each test that uses it, and never stopped by a file:
 * the next file the process runs uses it too (mocha --parallel runs many files in each worker), with the snapshots
 * taken so far, instead of starting another (a second or more of CPU each). It ends with the process: startMoto kills
 * it at exit, and the server exits by itself when the process is gone without exit handlers.
 */
import { motoUnavailableReason, startMoto, type MotoServer } from "../../orchestrator/local/moto";

let server: Promise<MotoServer> | undefined;

/** The shared server; starts it on first call. */
export function sharedMoto(): Promise<MotoServer> {
    server ??= startMoto();
    return server;
}

/**
 * Skips the calling suite with the reason when moto is not installed locally (.venv missing). In CI the environment
 * variable CI is set, and a missing .venv fails instead: the integration tests must never be skipped silently there.
 */
export function requireMoto(ctx: Mocha.Context): void {
    const reason = motoUnavailableReason();
    if (reason === undefined) {
        return;
    }
    if (process.env["CI"] !== undefined) {
        throw new Error(reason);
    }
    console.warn(`skipping moto integration tests: ${reason}`);
    ctx.skip();
}
