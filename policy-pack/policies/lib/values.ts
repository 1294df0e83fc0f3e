/**
 * Safe readers for resource properties. Policies receive plain, untyped values (inputs for resource policies,
 * outputs for stack policies); nested objects of a provider resource arrive as JSON text. These helpers never
 * assume a shape, so a policy reports a clear violation instead of crashing on an unexpected input.
 *
 * In a preview, a value that depends on a resource not created yet (its ARN, id or generated name, or a document
 * built from them) arrives as one of the engine's unknown sentinels. The readers treat a sentinel as absent (`str`,
 * `num`, `strings`... never return one), so a policy that has not said what an unknown value means fails closed;
 * a policy that can decide from the fact that a value will come from a resource of the stack asks `isUnknown`.
 */

export type Props = Readonly<Record<string, unknown>>;

/**
 * The sentinels the engine sends for values unknown at preview time, one per kind of value (@pulumi/policy's
 * `proxy.js`; the Pulumi engine's `plugin.Unknown*Value`). Reading one through the SDK's proxy is what turns a policy
 * into a "can't run policy ... during preview" note.
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (and any value the Node.js SDK sends)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** True for a value the engine does not know yet (a preview): it will be an output of a resource of this stack. */
export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/** True when a property holds a value or a value still unknown (set from a resource of the stack); false when absent. */
export function isSet(value: unknown): boolean {
    return isUnknown(value) || (value !== undefined && value !== null && value !== "");
}

/**
 * The plain values behind the SDK's unknown-checking proxy, read through property descriptors (which the proxy does
 * not intercept), so a policy can see that a value is unknown instead of being stopped by it.
 */
export function plain<T>(value: T): T {
    if (value === null || typeof value !== "object") {
        return value;
    }
    if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
            out.push(plain(Object.getOwnPropertyDescriptor(value, i)?.value));
        }
        return out as T;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        // An asset, an archive or a secret wrapper: kept as is.
        return value;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
        out[key] = plain(Object.getOwnPropertyDescriptor(value, key)?.value);
    }
    return out as T;
}

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

/** A known, non-empty string; `undefined` for anything else, an unknown value included. */
export function str(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" && !isUnknown(value) ? value : undefined;
}

export function num(value: unknown): number | undefined {
    if (typeof value === "number" && Number.isFinite(value)) {
        return value;
    }
    if (typeof value === "string" && value.trim() !== "" && !isUnknown(value) && Number.isFinite(Number(value))) {
        return Number(value);
    }
    return undefined;
}

/** True for `true` and `"true"` (providers and stack files deliver booleans as either). */
export function isTrue(value: unknown): boolean {
    return value === true || value === "true";
}

/**
 * True for a flag that is on unless set to false (unset, `true`, `"true"`). A flag unknown at preview is not known to
 * be on: the policy fails closed.
 */
export function isOnByDefault(value: unknown): boolean {
    return value !== false && value !== "false" && !isUnknown(value);
}

/** A list; a single value is a list of one. An unknown value is no list (ask `isUnknown` first where it matters). */
export function list(value: unknown): readonly unknown[] {
    return Array.isArray(value) ? value : value === undefined || value === null || isUnknown(value) ? [] : [value];
}

export function records(value: unknown): readonly Record<string, unknown>[] {
    return list(value).filter(isRecord);
}

/**
 * The entries of a list that are set: known values, and values unknown at preview time (outputs of the stack's own
 * resources, such as the ARN of the alert topic it creates). A list that is itself unknown is built from outputs of
 * resources the stack creates (a list built from none would be known), so it counts as one unknown entry.
 */
export function entries(value: unknown): readonly unknown[] {
    return isUnknown(value) ? [value] : list(value).filter(isSet);
}

/** The known strings of a list. */
export function strings(value: unknown): readonly string[] {
    return list(value).filter((v): v is string => typeof v === "string" && !isUnknown(v));
}

/** An object that may have been serialised to JSON text (provider inputs, policy documents). */
export function objectOf(value: unknown): Record<string, unknown> | undefined {
    if (isRecord(value)) {
        return value;
    }
    if (typeof value === "string" && !isUnknown(value)) {
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
