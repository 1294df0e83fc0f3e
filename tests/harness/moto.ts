/**
 * One moto server per mocha run, shared by every test file that needs it: started on first use (on 127.0.0.1, a
 * free port), reset between tests by the files that use it, and stopped when the run ends (a root `after` hook,
 * and the child is killed at process exit in any case).
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

/** Stops the server after the whole run, whichever file started it. */
export async function stopSharedMoto(): Promise<void> {
    const running = server;
    server = undefined;
    if (running !== undefined) {
        await (await running).stop();
    }
}
