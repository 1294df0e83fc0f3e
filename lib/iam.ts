/**
 * IAM policy documents as typed values, built by small pure functions and serialised in one place, so that every
 * policy the program writes can be asserted action by action in tests.
 *
 * Rule of the house: every statement names its actions (no `*` and no `service:*`) and its resources. A `*` resource
 * is allowed only for actions that AWS offers no resource-level permission for, and the statement's `Sid` says so.
 */

export type Principal = "*" | { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[] };
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, string | boolean | number | readonly string[]>>>>;

export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal?: Principal;
    readonly Action: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly NotResource?: string | readonly string[];
    readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly PolicyStatement[];
}

export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** Serialises a document (stable key order: as built). */
export function toJson(doc: PolicyDocument): string {
    return JSON.stringify(doc);
}

/**
 * The trust policy that lets one AWS service assume a role. With `accountId`, the trust is limited to requests made
 * on behalf of this account (`aws:SourceAccount`, confused-deputy protection); pass it for every service whose docs
 * say it sets that key (S3 replication, VPC Flow Logs, AWS Backup...).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function serviceTrustPolicy(service: string, accountId?: string): PolicyDocument {
    return policyDocument([
        {
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sts:AssumeRole",
            ...(accountId !== undefined ? { Condition: { StringEquals: { "aws:SourceAccount": accountId } } } : {}),
        },
    ]);
}

/** Actions of a statement as a list. */
export function actionsOf(statement: PolicyStatement): readonly string[] {
    return typeof statement.Action === "string" ? [statement.Action] : statement.Action;
}

/** True for `*` and `service:*`, the wildcards the house rule forbids. */
export function isWildcardAction(action: string): boolean {
    return action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
}
