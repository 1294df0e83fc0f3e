/**
 * Deadlines that fire. The AWS SDK's `requestTimeout` only logs a warning when it is exceeded unless the handler is
 * told to throw (AWS-FACTS: "AWS SDK v3 requestTimeout"), and a server that accepts the connection and never answers
 * keeps a call open for as long as the socket lives. So every call the orchestrator makes carries an AbortSignal
 * bounded by the call timeout and by its step's deadline, and is also raced against a timer, so that even a client
 * that ignores the signal cannot hold a step past its deadline.
 * @see https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/migrating.html (abortSignal)
 */
import { CALL_TIMEOUT_SECONDS } from "../../lib/failover";

/** A step (or the run) ran out of time. The run fails loudly; a re-run resumes. */
export class DeadlineExceededError extends Error {
    override readonly name = "DeadlineExceeded";
}

export class Deadline {
    constructor(
        private readonly now: () => number,
        /** Epoch ms at which the deadline passes. */
        readonly at: number,
        /** What the deadline bounds, for the error message ("step act", "the run"). */
        readonly label: string,
    ) {}

    /** A deadline `ms` from now, never later than this one. */
    child(label: string, ms: number): Deadline {
        return new Deadline(this.now, Math.min(this.at, this.now() + ms), label);
    }

    remainingMs(): number {
        return Math.max(0, this.at - this.now());
    }

    /** Throws when the deadline has passed. */
    check(): void {
        if (this.remainingMs() <= 0) {
            throw new DeadlineExceededError(`${this.label} ran out of time`);
        }
    }

    /** Milliseconds one call may take: the call timeout, cut to what is left. */
    callBudgetMs(capMs = CALL_TIMEOUT_SECONDS * 1000): number {
        return Math.max(1, Math.min(capMs, this.remainingMs()));
    }

    /**
     * Runs one AWS call with an AbortSignal bounded by the call timeout and this deadline, and a timer race as a
     * second guard. The error names what timed out.
     */
    async call<T>(what: string, send: (abortSignal: AbortSignal) => Promise<T>, capMs?: number): Promise<T> {
        this.check();
        const budget = this.callBudgetMs(capMs);
        const controller = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                controller.abort();
                reject(new DeadlineExceededError(`${what} did not answer within ${budget} ms (${this.label})`));
            }, budget);
        });
        try {
            return await Promise.race([send(controller.signal), expired]);
        } catch (error) {
            if (controller.signal.aborted && !(error instanceof DeadlineExceededError)) {
                throw new DeadlineExceededError(`${what} did not answer within ${budget} ms (${this.label})`);
            }
            throw error;
        } finally {
            clearTimeout(timer);
        }
    }
}

/** Sleeps `ms`, but never past the deadline. Returns false when the deadline left no time to sleep. */
export async function sleepWithin(deadline: Deadline, ms: number, sleep: (ms: number) => Promise<void>): Promise<boolean> {
    const wait = Math.min(ms, deadline.remainingMs());
    if (wait <= 0) {
        return false;
    }
    await sleep(wait);
    return true;
}
