/**
 * A local moto server for the integration tests and the drill: `tests/moto/server.py` (moto 5.2.5 plus the two
 * Aurora global database actions it lacks) from the project's `.venv`, on 127.0.0.1 and a free port.
 */
import { spawn, type ChildProcess } from "child_process";
import { existsSync } from "fs";
import { createServer, type Socket } from "net";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
export const VENV_PYTHON = path.join(ROOT, ".venv", "bin", "python");
export const MOTO_LAUNCHER = path.join(ROOT, "tests", "moto", "server.py");

export interface MotoServer {
    readonly url: string;
    readonly port: number;
    /** Forgets every resource (POST /moto-api/reset). */
    reset(): Promise<void>;
    /** Keeps a copy of every resource under `name` (tests/moto/server.py's POST /moto-api/snapshot). */
    snapshot(name: string): Promise<void>;
    /** Forgets every resource and puts back a copy of the snapshot `name` (POST /moto-api/restore). */
    restore(name: string): Promise<void>;
    stop(): Promise<void>;
}

/** Why moto cannot run here, or undefined when it can. */
export function motoUnavailableReason(): string | undefined {
    if (!existsSync(VENV_PYTHON)) {
        return `${VENV_PYTHON} is missing: run scripts/setup.sh to create .venv with moto[server]`;
    }
    return undefined;
}

/** A port the OS reports free on 127.0.0.1. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

/** One of server.py's snapshot calls; throws with the server's answer when it fails (an unknown snapshot: 404). */
async function motoApi(url: string, call: "snapshot" | "restore", name: string): Promise<void> {
    const res = await fetch(`${url}/moto-api/${call}?name=${encodeURIComponent(name)}`, { method: "POST" });
    const text = await res.text();
    if (!res.ok) {
        throw new Error(`moto ${call} ${name}: ${res.status} ${text}`);
    }
}

export async function startMoto(options: { timeoutMs?: number } = {}): Promise<MotoServer> {
    const reason = motoUnavailableReason();
    if (reason !== undefined) {
        throw new Error(reason);
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(VENV_PYTHON, [MOTO_LAUNCHER, "-H", "127.0.0.1", "-p", String(port)], {
        // stdin: the lifeline, a pipe only this process holds; the server exits when it closes (server.py).
        stdio: ["pipe", "ignore", "ignore"],
        detached: false,
        // EC2's backend loads thousands of default AMIs into every region it starts (after every reset); the fence only
        // needs security groups. https://docs.getmoto.org/en/latest/docs/services/ec2.html
        env: { ...process.env, MOTO_EC2_LOAD_DEFAULT_AMIS: "false", HDR_MOTO_STDIN_LIFELINE: "1" },
    });
    // Never let the server keep the test run (or the drill) alive, and never leave it behind: killed at exit, and
    // gone by itself when this process ends without exit handlers (killed by a signal).
    child.unref();
    (child.stdin as Socket | null)?.unref();
    const kill = () => {
        if (child.exitCode === null) {
            child.kill("SIGTERM");
        }
    };
    process.once("exit", kill);
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    for (;;) {
        if (child.exitCode !== null) {
            throw new Error(`moto exited with code ${child.exitCode} before it listened on ${url}`);
        }
        try {
            const res = await fetch(`${url}/moto-api/data.json`);
            if (res.ok) {
                await res.arrayBuffer();
                break;
            }
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) {
            kill();
            throw new Error(`moto did not listen on ${url} within ${options.timeoutMs ?? 20_000} ms`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    return {
        url,
        port,
        reset: async () => {
            const res = await fetch(`${url}/moto-api/reset`, { method: "POST" });
            await res.arrayBuffer();
        },
        snapshot: (name) => motoApi(url, "snapshot", name),
        restore: (name) => motoApi(url, "restore", name),
        stop: async () => {
            process.removeListener("exit", kill);
            if (child.exitCode !== null) {
                return;
            }
            await new Promise<void>((resolve) => {
                // The timer keeps the event loop alive until the (unref'd) child has exited.
                const timer = setTimeout(resolve, 5_000);
                child.once("exit", () => {
                    clearTimeout(timer);
                    resolve();
                });
                child.kill("SIGTERM");
            });
        },
    };
}
