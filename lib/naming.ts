/**
 * Physical names. Most resources are auto-named by Pulumi (logical name plus a random suffix), which lets two
 * stacks share an account and makes replacements safe. Resources that other systems must find by name (the global
 * cluster, SSM parameters, the orchestrator's lock table) get a deterministic name from here.
 */

/** Short prefix of every physical name: `hdr-<stack>`. */
export function namePrefix(stack: string): string {
    return `hdr-${stack}`.toLowerCase();
}

/**
 * A deterministic physical name `hdr-<stack>-<part>-<part>`, lower case, with anything but letters, digits and
 * hyphens turned into hyphens, and at most `maxLength` characters (RDS identifiers allow 63).
 */
export function physicalName(stack: string, parts: readonly string[], maxLength = 63): string {
    const raw = [namePrefix(stack), ...parts].join("-").toLowerCase();
    const cleaned = raw
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .replace(/^-|-$/g, "");
    if (cleaned.length > maxLength) {
        throw new Error(
            `The name ${cleaned} is ${cleaned.length} characters long; at most ${maxLength} are allowed. Use a shorter stack name.`,
        );
    }
    return cleaned;
}

/** The SSM parameter path of a stack: `/healthcare/<environment>/...`, read by the orchestrator and applications. */
export function parameterPath(environment: string, ...parts: string[]): string {
    return ["", "healthcare", environment, ...parts].join("/");
}
