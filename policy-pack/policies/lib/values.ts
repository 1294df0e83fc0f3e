/**
 * Safe readers for resource properties. Policies receive plain, untyped values (inputs for resource policies,
 * outputs for stack policies); nested objects of a provider resource arrive as JSON text. These helpers never
 * assume a shape, so a policy reports a clear violation instead of crashing on an unexpected input.
 */

export type Props = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A nested value by path, e.g. `get(props, "serverSideEncryption", "kmsKeyArn")`. */
export function get(value: unknown, ...path: (string | number)[]): unknown {
    let current: unknown = value;
    for (const segment of path) {
        if (typeof segment === "number") {
            if (!Array.isArray(current)) {
                return undefined;
            }
            current = current[segment];
        } else {
            if (!isRecord(current)) {
                return undefined;
            }
            current = current[segment];
        }
    }
    return current;
}

export function str(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

export function num(value: unknown): number | undefined {
    if (typeof value === "number" && Number.isFinite(value)) {
        return value;
    }
    if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) {
        return Number(value);
    }
    return undefined;
}

/** True for `true` and `"true"` (providers and stack files deliver booleans as either). */
export function isTrue(value: unknown): boolean {
    return value === true || value === "true";
}

export function list(value: unknown): readonly unknown[] {
    return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

export function records(value: unknown): readonly Record<string, unknown>[] {
    return list(value).filter(isRecord);
}

export function strings(value: unknown): readonly string[] {
    return list(value).filter((v): v is string => typeof v === "string");
}

/** An object that may have been serialised to JSON text (provider inputs, policy documents). */
export function objectOf(value: unknown): Record<string, unknown> | undefined {
    if (isRecord(value)) {
        return value;
    }
    if (typeof value === "string") {
        try {
            const parsed = JSON.parse(value) as unknown;
            return isRecord(parsed) ? parsed : undefined;
        } catch {
            return undefined;
        }
    }
    return undefined;
}

/** The stack name from a URN: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOfUrn(urn: string): string | undefined {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    return match?.[1];
}

/** `my-bucket` for `arn:aws:s3:::my-bucket`; the region of any other ARN is `arnRegion`. */
export function s3BucketNameOfArn(arn: string): string | undefined {
    const match = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn);
    return match?.[1];
}

/** The region field of an ARN (`arn:partition:service:region:account:resource`), if any. */
export function arnRegion(arn: string): string | undefined {
    const parts = arn.split(":");
    return parts.length >= 6 && parts[0] === "arn" ? str(parts[3]) : undefined;
}

/** True when a key reference names an AWS-managed key (`alias/aws/...`), not a customer-managed one. */
export function isAwsManagedKeyRef(ref: string): boolean {
    return /(^|:)alias\/aws\//.test(ref);
}
