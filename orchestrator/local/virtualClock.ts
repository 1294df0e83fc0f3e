/**
 * A virtual clock for running the real handler locally (the drill, the integration and fault tests): a sleep (the
 * detection window, the polls) jumps the clock forward instead of waiting, so a 60 s window takes no real time, while
 * every AWS call still takes its real time. `now` and `sleep` are what `createHandler` takes.
 */
export class VirtualClock {
    private offset: number;

    /** @param offsetMs how far ahead of real time the clock starts */
    constructor(offsetMs = 0) {
        this.offset = offsetMs;
    }

    readonly now = (): number => Date.now() + this.offset;

    readonly sleep = async (ms: number): Promise<void> => {
        this.offset += ms;
    };

    /** Moves the clock forward, as time passing between two invocations would. */
    advance(ms: number): void {
        this.offset += ms;
    }

    /** How far ahead of real time the clock is. */
    get offsetMs(): number {
        return this.offset;
    }
}
