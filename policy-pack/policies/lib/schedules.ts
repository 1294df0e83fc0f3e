/**
 * AWS Backup rule schedules, read as the pack needs them: when in the day a rule starts its jobs, whether two rules'
 * start windows overlap, and how often copies start. The same reading as the program's lib/backup.ts (the pack is
 * deployed on its own and cannot import it; tests/data-tier-lib.test.ts holds the two to one table).
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */

const MINUTES_PER_DAY = 24 * 60;

/**
 * The minutes after midnight UTC at which a `cron(...)` schedule starts a job, for daily patterns: a fixed minute;
 * an hour that is fixed, a list (`1,13`), every hour (`*`) or a step (`*\/6`, `2/6`); every day of every month.
 * `undefined` for anything else (weekly, monthly, ranges, `rate(...)`).
 */
export function dailyRunMinutes(expression: string): number[] | undefined {
    const fields = /^cron\((.+)\)$/.exec(expression.trim())?.[1]?.trim().split(/\s+/);
    if (fields === undefined || fields.length !== 6) {
        return undefined;
    }
    const [minute, hour, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
    const everyDay = ["*", "?"].includes(dayOfMonth) && month === "*" && ["*", "?"].includes(dayOfWeek) && year === "*";
    if (!everyDay || !/^\d{1,2}$/.test(minute) || Number(minute) > 59) {
        return undefined;
    }
    const step = /^(\*|\d{1,2})\/(\d{1,2})$/.exec(hour);
    let hours: number[];
    if (hour === "*" || step !== null) {
        const from = step === null || step[1] === "*" ? 0 : Number(step[1]);
        const every = step === null ? 1 : Number(step[2]);
        if (from > 23 || every < 1) {
            return undefined;
        }
        hours = Array.from({ length: Math.ceil((24 - from) / every) }, (_, i) => from + i * every);
    } else if (/^\d{1,2}(,\d{1,2})*$/.test(hour)) {
        hours = [...new Set(hour.split(",").map(Number))].sort((a, b) => a - b);
        if (hours.some((h) => h > 23)) {
            return undefined;
        }
    } else {
        return undefined;
    }
    return hours.map((h) => h * 60 + Number(minute));
}

/** The shortest wait, minutes, between consecutive runs of daily schedules together; undefined if one is unreadable. */
export function shortestGapMinutes(expressions: readonly string[]): number | undefined {
    const runs = expressions.map(dailyRunMinutes);
    if (runs.length === 0 || runs.some((r) => r === undefined)) {
        return undefined;
    }
    const sorted = [...new Set(runs.flatMap((r) => r!))].sort((a, b) => a - b);
    return Math.min(...sorted.map((m, i) => (i + 1 < sorted.length ? sorted[i + 1]! : sorted[0]! + MINUTES_PER_DAY) - m));
}

/**
 * True when some run's start window of one schedule meets some run's start window of the other, on a day that
 * wraps at midnight; `undefined` when a schedule cannot be read.
 */
export function startWindowsOverlap(
    a: { readonly schedule: string; readonly startWindow: number },
    b: { readonly schedule: string; readonly startWindow: number },
): boolean | undefined {
    const runsA = dailyRunMinutes(a.schedule);
    const runsB = dailyRunMinutes(b.schedule);
    if (runsA === undefined || runsB === undefined) {
        return undefined;
    }
    const after = (from: number, to: number) => (((to - from) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    return runsA.some((x) => runsB.some((y) => after(x, y) < a.startWindow || after(y, x) < b.startWindow));
}
