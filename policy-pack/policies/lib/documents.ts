/**
 * IAM-style policy documents as the policies meet them: JSON text or objects, `Statement` as one object or a list,
 * `Action`/`Principal`/`Resource` as a string or a list. Pure functions, table-tested.
 *
 * The pack is self-contained (it is published and run from `policy-pack/` alone), so it does not import the
 * program's `lib/iam.ts`; `isWildcardAction` here follows the same rule.
 */
import { isRecord, isUnknown, list, strings } from "./values";

export interface Statement {
    readonly sid?: string;
    readonly effect: "Allow" | "Deny";
    readonly actions: readonly string[];
    readonly notActions: readonly string[];
    readonly principals: readonly string[];
    readonly condition: Readonly<Record<string, unknown>>;
    /** The statement as written. */
    readonly raw: Readonly<Record<string, unknown>>;
}

export type ParsedDocument =
    | { readonly ok: true; readonly statements: readonly Statement[] }
    | { readonly ok: false; readonly error: string }
    /** Not known before the resources it names exist (a preview): nothing can be said about it yet. */
    | { readonly ok: false; readonly unknown: true; readonly error: string };

/** True when a value is, or contains, a value unknown at preview time. */
export function containsUnknown(value: unknown): boolean {
    if (isUnknown(value)) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(containsUnknown);
    }
    return isRecord(value) && Object.values(value).some(containsUnknown);
}

const UNKNOWN_DOCUMENT = {
    ok: false,
    unknown: true,
    error: "is built from values known only once the resources it names exist",
} as const;

/** Statement fields that decide who may do what: a document with one of them unknown cannot be judged yet. */
const DECIDING_FIELDS = ["Effect", "Action", "NotAction", "Principal", "NotPrincipal"] as const;

/**
 * Parses a policy document; `undefined`/empty means "no document" and parses to no statements. A document unknown
 * at preview time (the program builds it from ARNs of resources not created yet, so the engine sends it as one
 * unknown value), or whose effect, actions or principals are, parses to `unknown`: its resources and condition
 * values may be unknown (they name resources of the stack), the rest must be known.
 */
export function parsePolicyDocument(value: unknown): ParsedDocument {
    if (value === undefined || value === null || value === "") {
        return { ok: true, statements: [] };
    }
    if (isUnknown(value)) {
        return UNKNOWN_DOCUMENT;
    }
    let doc: unknown = value;
    if (typeof value === "string") {
        try {
            doc = JSON.parse(value) as unknown;
        } catch (e) {
            return { ok: false, error: `is not valid JSON (${e instanceof Error ? e.message : String(e)})` };
        }
    }
    if (!isRecord(doc)) {
        return { ok: false, error: "is not a JSON object" };
    }
    if (isUnknown(doc["Statement"])) {
        return UNKNOWN_DOCUMENT;
    }
    const rawStatements = list(doc["Statement"]);
    const statements: Statement[] = [];
    for (const [i, raw] of rawStatements.entries()) {
        if (isUnknown(raw) || (isRecord(raw) && DECIDING_FIELDS.some((field) => containsUnknown(raw[field])))) {
            return UNKNOWN_DOCUMENT;
        }
        if (!isRecord(raw)) {
            return { ok: false, error: `Statement[${i}] is not an object` };
        }
        const effect = raw["Effect"];
        if (effect !== "Allow" && effect !== "Deny") {
            return { ok: false, error: `Statement[${i}] has Effect ${JSON.stringify(effect)}; expected Allow or Deny` };
        }
        statements.push({
            ...(typeof raw["Sid"] === "string" ? { sid: raw["Sid"] } : {}),
            effect,
            actions: strings(raw["Action"]),
            notActions: strings(raw["NotAction"]),
            principals: principalsOf(raw["Principal"]),
            condition: isRecord(raw["Condition"]) ? raw["Condition"] : {},
            raw,
        });
    }
    return { ok: true, statements };
}

/** Every principal of a statement as a string: `*`, an account/role ARN, a service name... */
export function principalsOf(principal: unknown): readonly string[] {
    if (principal === undefined || principal === null) {
        return [];
    }
    if (typeof principal === "string") {
        return [principal];
    }
    if (isRecord(principal)) {
        return Object.values(principal).flatMap((v) => strings(v));
    }
    return [];
}

/** True for `*` and `service:*`, the wildcard actions the least-privilege rule forbids. */
export function isWildcardAction(action: string): boolean {
    return action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
}

/** A human label for a statement in messages: its Sid or its position. */
export function statementLabel(statement: Statement, index: number): string {
    return statement.sid !== undefined ? `statement "${statement.sid}"` : `Statement[${index}]`;
}

/**
 * Problems of least privilege in a document: `Allow` statements with a wildcard action, or with `NotAction` (which
 * allows everything not listed). Wildcards in `Deny` statements are fine: they only take permissions away.
 */
export function leastPrivilegeProblems(statements: readonly Statement[]): string[] {
    const problems: string[] = [];
    statements.forEach((s, i) => {
        if (s.effect !== "Allow") {
            return;
        }
        const wildcards = s.actions.filter(isWildcardAction);
        if (wildcards.length > 0) {
            problems.push(
                `${statementLabel(s, i)} allows the wildcard action ${wildcards.map((a) => `"${a}"`).join(", ")}; list the actions it needs`,
            );
        }
        if (s.notActions.length > 0) {
            problems.push(`${statementLabel(s, i)} allows every action except its NotAction list; use Action with the actions it needs`);
        }
    });
    return problems;
}

/** True when a condition value means "false" (`false`, `"false"`, or a list of those). */
function isFalseValue(value: unknown): boolean {
    return list(value).length > 0 && list(value).every((v) => v === false || v === "false");
}

/**
 * True when the document denies every S3 request made without TLS: a `Deny` for everyone (`*`) of all S3 actions
 * (`s3:*` or `*`) on condition `aws:SecureTransport` is false.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
 */
export function deniesInsecureTransport(statements: readonly Statement[]): boolean {
    return statements.some((s) => {
        if (s.effect !== "Deny" || !s.principals.includes("*")) {
            return false;
        }
        if (!s.actions.some((a) => a === "*" || a.toLowerCase() === "s3:*")) {
            return false;
        }
        const bool = s.condition["Bool"];
        return isRecord(bool) && Object.entries(bool).some(([k, v]) => k.toLowerCase() === "aws:securetransport" && isFalseValue(v));
    });
}

/**
 * Condition keys that limit a statement to known callers; an `Allow` for `*` with one of these is not public.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
const LIMITING_CONDITION_KEYS = [
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:sourceorgid",
    "aws:resourceaccount",
    "aws:calledvia",
    "aws:principalservicename",
    "kms:calleraccount",
    "kms:viaservice",
];

/** `Allow` statements that grant access to anyone (`*`) with no condition limiting the caller. */
export function publicAllowStatements(statements: readonly Statement[]): Statement[] {
    return statements.filter((s) => {
        if (s.effect !== "Allow" || !s.principals.includes("*")) {
            return false;
        }
        const keys = Object.values(s.condition)
            .filter(isRecord)
            .flatMap((block) => Object.keys(block).map((k) => k.toLowerCase()));
        return !keys.some((k) => LIMITING_CONDITION_KEYS.includes(k));
    });
}
