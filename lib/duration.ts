/**
 * Durations as people write them in stack config: `30m`, `1h`, `5s`, `1h30m`.
 *
 * Recovery objectives are compared against budgets computed in seconds, so a duration is kept both as the text the
 * operator wrote (for reports) and as whole seconds (for arithmetic).
 */
export interface Duration {
    /** The text as written in the stack file, e.g. `15m`. */
    readonly text: string;
    /** The same duration in whole seconds. */
    readonly seconds: number;
}

const DURATION_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The units accepted, for error messages. */
export const DURATION_FORMAT = "a positive duration such as 30s, 15m, 1h or 1h30m (units d, h, m, s, largest first)";

/**
 * Parses a duration. Returns `undefined` for anything that is not a well-formed duration; zero is well formed but
 * callers that need a positive duration check `seconds > 0`.
 */
export function parseDuration(text: string): Duration | undefined {
    const trimmed = text.trim();
    const match = DURATION_PATTERN.exec(trimmed);
    if (trimmed === "" || match === null) {
        return undefined;
    }
    const [, d, h, m, s] = match;
    const seconds = Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(m ?? 0) * 60 + Number(s ?? 0);
    return { text: trimmed, seconds };
}

/** Formats seconds the way the operator would write them: 3600 -> `1h`, 5400 -> `1h30m`, 0 -> `0s`. */
export function formatSeconds(totalSeconds: number): string {
    let rest = Math.round(totalSeconds);
    if (rest <= 0) {
        return "0s";
    }
    const parts: string[] = [];
    for (const [unit, size] of [
        ["d", 86_400],
        ["h", 3_600],
        ["m", 60],
        ["s", 1],
    ] as const) {
        const n = Math.floor(rest / size);
        if (n > 0) {
            parts.push(`${n}${unit}`);
            rest -= n * size;
        }
    }
    return parts.join("");
}
