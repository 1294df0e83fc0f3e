import * as pulumi from "@pulumi/pulumi";

/** One problem with the stack configuration. */
export interface ConfigIssue {
    /** The full key, e.g. `healthcare-dr:database.minCapacity`. */
    readonly key: string;
    /** The offending value as found in the stack file (`undefined` when the key is missing). */
    readonly value: unknown;
    /** What is wrong and what is allowed. */
    readonly message: string;
}

/** Renders a value for an error message: strings quoted, objects as JSON, long values shortened. */
export function renderValue(value: unknown): string {
    if (value === undefined) {
        return "(not set)";
    }
    const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One line per issue: `key = value: message`. */
export function formatIssue(issue: ConfigIssue): string {
    return `${issue.key} = ${renderValue(issue.value)}: ${issue.message}`;
}

/**
 * Thrown when the stack configuration is invalid, with every problem found.
 *
 * It extends `pulumi.RunError`, which the Pulumi CLI reports as a plain message without a stack trace: the person
 * running `pulumi preview` needs the list of keys to fix, not our call stack.
 */
export class ConfigValidationError extends pulumi.RunError {
    public readonly issues: readonly ConfigIssue[];

    constructor(stack: string, issues: readonly ConfigIssue[]) {
        const lines = issues.map((issue) => `  - ${formatIssue(issue)}`);
        super(`Stack "${stack}" has ${issues.length} configuration error${issues.length === 1 ? "" : "s"}:\n${lines.join("\n")}`);
        this.name = "ConfigValidationError";
        this.issues = issues;
    }
}

/** True for a `ConfigValidationError`, also across module copies (instanceof fails when a module is loaded twice). */
export function isConfigValidationError(err: unknown): err is ConfigValidationError {
    return err instanceof Error && err.name === "ConfigValidationError" && Array.isArray((err as { issues?: unknown }).issues);
}
