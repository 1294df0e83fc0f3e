/** The recorded timeline of a run: every step with its start, duration, outcome and what it did. */

/**
 * The steps of a run, in order. A managed run acts (`act`); a break-glass detaches (`detach`), then after the writer
 * re-points the master secret (`secret`) and, after the pointers, fences the old writer (`fence`). `aftercare` is the
 * scheduled run's one step, `beacon` the beacon's. A stack with an application tier adds `capacity` (before the act),
 * `application` and `traffic` (after the repoint) to a managed run (application.ts).
 */
export const STEP_NAMES = [
    "assess",
    "lock",
    "notify-start",
    "capacity",
    "act",
    "detach",
    "wait-for-writer",
    "secret",
    "repoint",
    "application",
    "traffic",
    "fence",
    "verify",
    "notify",
    "release",
    "aftercare",
    "beacon",
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/**
 * The steps of a managed switchover or failover of a stack with an application tier; without one, `capacity`,
 * `application` and `traffic` are not run.
 */
export const MANAGED_STEPS = [
    "assess",
    "lock",
    "notify-start",
    "capacity",
    "act",
    "wait-for-writer",
    "repoint",
    "application",
    "traffic",
    "verify",
    "notify",
    "release",
] as const;

/** The steps of a break-glass. */
export const BREAK_GLASS_STEPS = [
    "assess",
    "lock",
    "notify-start",
    "detach",
    "wait-for-writer",
    "secret",
    "repoint",
    "fence",
    "verify",
    "notify",
    "release",
] as const;

export type StepOutcome = "done" | "skipped" | "planned" | "failed";

export interface TimelineEntry {
    readonly name: StepName;
    /** ISO 8601 start time. */
    readonly start: string;
    readonly durationMs: number;
    readonly outcome: StepOutcome;
    readonly detail: string;
}

export class Timeline {
    readonly entries: TimelineEntry[] = [];
    private readonly startedAt: number;

    constructor(private readonly now: () => number) {
        this.startedAt = now();
    }

    /** Runs a step and records it; the step returns its outcome and detail. A throwing step is recorded as failed. */
    async step(name: StepName, run: () => Promise<{ outcome: StepOutcome; detail: string }>): Promise<TimelineEntry> {
        const start = this.now();
        try {
            const { outcome, detail } = await run();
            return this.record({ name, start: new Date(start).toISOString(), durationMs: this.now() - start, outcome, detail });
        } catch (error) {
            this.record({
                name,
                start: new Date(start).toISOString(),
                durationMs: this.now() - start,
                outcome: "failed",
                detail: error instanceof Error ? error.message : String(error),
            });
            throw error;
        }
    }

    /** Records a step that did not run (skipped, or planned in a dry run). */
    note(name: StepName, outcome: StepOutcome, detail: string): TimelineEntry {
        return this.record({ name, start: new Date(this.now()).toISOString(), durationMs: 0, outcome, detail });
    }

    get totalMs(): number {
        return this.now() - this.startedAt;
    }

    /** The timeline as text, one line per step, for notifications and the CLI. */
    format(): string {
        return this.entries
            .map((e) => `${e.start}  ${e.name.padEnd(16)} ${e.outcome.padEnd(8)} ${String(e.durationMs).padStart(7)} ms  ${e.detail}`)
            .join("\n");
    }

    private record(entry: TimelineEntry): TimelineEntry {
        this.entries.push(entry);
        return entry;
    }
}
