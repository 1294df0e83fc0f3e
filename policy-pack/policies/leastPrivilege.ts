/**
 * Least privilege (HIPAA 164.308(a)(3), 164.308(a)(4), 164.312(a)(1)): no IAM statement allows a wildcard action,
 * and no AWS-managed administrator policy is attached to anything.
 */
import { leastPrivilegeProblems, parsePolicyDocument } from "./lib/documents";
import { decidedAtUpdate, resourcePolicy, type PackPolicy } from "./lib/policy";
import { T } from "./lib/types";
import { records, str, strings, type Props } from "./lib/values";

const ACCESS = ["164.308(a)(3)(i)", "164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)", "164.312(a)(1)"] as const;

/** The policy documents a resource carries, labelled for messages. */
export function documentsOf(type: string, props: Props): { label: string; document: unknown }[] {
    switch (type) {
        case T.iamRole:
            return [
                { label: "assumeRolePolicy", document: props["assumeRolePolicy"] },
                ...records(props["inlinePolicies"]).map((p, i) => ({
                    label: `inline policy ${str(p["name"]) ?? `inlinePolicies[${i}]`}`,
                    document: p["policy"],
                })),
            ];
        case T.iamPolicy:
        case T.iamRolePolicy:
        case T.iamUserPolicy:
        case T.iamGroupPolicy:
        case T.bucketPolicy:
        case T.snsTopicPolicy:
        case T.sqsQueuePolicy:
        case T.secretPolicy:
        case T.backupVaultPolicy:
        case T.kmsKeyPolicy:
        case T.bucket:
        case T.bucketV2:
        case T.snsTopic:
        case T.sqsQueue:
        case T.secret:
        case T.kmsKey:
            return props["policy"] !== undefined ? [{ label: "policy", document: props["policy"] }] : [];
        default:
            return [];
    }
}

export const noWildcardActions = resourcePolicy({
    name: "iam-no-wildcard-actions",
    description:
        'No Allow statement of any IAM, key or resource policy uses a wildcard action ("*" or "service:*") or NotAction. A document built from ARNs of resources not created yet is unknown in a first preview: pulumi up checks it before creating the resource that carries it.',
    remediationSteps: "List the actions the principal needs (see lib/iam.ts for the program's action lists).",
    metadata: {
        concern: "least-privilege",
        hipaa: [...ACCESS],
        checks: "Role (trust and inline), managed, role/user/group, bucket, topic, queue, secret, vault and key policies: no Allow of * or service:*, no NotAction",
        resourceTypes: [
            T.iamRole,
            T.iamPolicy,
            T.iamRolePolicy,
            T.iamUserPolicy,
            T.iamGroupPolicy,
            T.bucketPolicy,
            T.snsTopicPolicy,
            T.sqsQueuePolicy,
            T.secretPolicy,
            T.backupVaultPolicy,
            T.kmsKeyPolicy,
            T.bucket,
            T.bucketV2,
            T.snsTopic,
            T.sqsQueue,
            T.secret,
            T.kmsKey,
        ],
        atPreview:
            "A policy document the program builds from ARNs of resources not created yet is one unknown value in a first preview: who may do what cannot be read from it until those resources exist. pulumi up judges it before creating the resource that carries it, so a violation still blocks that resource (the resources the document names may already exist).",
        cdkNag: ["IAMPolicyNoStatementsWithFullAccess", "IAMPolicyNoStatementsWithAdminAccess"],
        awsConfig: [
            "iam-policy-no-statements-with-full-access",
            "iam-policy-no-statements-with-admin-access",
            "iam-customer-policy-blocked-kms-actions",
            "iam-inline-policy-blocked-kms-actions",
        ],
    },
    validate: ({ type, props, notApplicable }, report) => {
        const unknown: string[] = [];
        for (const { label, document } of documentsOf(type, props)) {
            const parsed = parsePolicyDocument(document);
            if (!parsed.ok) {
                if ("unknown" in parsed) {
                    unknown.push(label);
                } else {
                    report(`The ${label} document ${parsed.error}.`);
                }
                continue;
            }
            for (const problem of leastPrivilegeProblems(parsed.statements)) {
                report(`In the ${label}: ${problem}.`);
            }
        }
        if (unknown.length > 0) {
            notApplicable(decidedAtUpdate(`the ${unknown.join(", ")} document is built from values not known yet`));
        }
    },
});

/**
 * AWS-managed policies that grant administrator or IAM-wide access.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
 */
export const ADMIN_POLICY_NAMES = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "job-function/SystemAdministrator"] as const;

export function isAdminManagedPolicy(arn: string): boolean {
    const match = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn);
    if (match === null) {
        return false;
    }
    const name = match[1]!;
    return (ADMIN_POLICY_NAMES as readonly string[]).includes(name) || /FullAccess$/.test(name);
}

export const noAdminManagedPolicies = resourcePolicy({
    name: "iam-no-admin-managed-policies",
    description: "No AWS-managed administrator or *FullAccess policy is attached to a role, user or group.",
    remediationSteps: "Attach a customer-managed policy that lists the actions and resources the principal needs.",
    metadata: {
        concern: "least-privilege",
        hipaa: [...ACCESS],
        checks: "Policy attachments and Role.managedPolicyArns do not name AdministratorAccess, PowerUserAccess, IAMFullAccess or any AWS *FullAccess policy",
        resourceTypes: [T.iamRole, T.iamRolePolicyAttachment, T.iamUserPolicyAttachment, T.iamGroupPolicyAttachment, T.iamPolicyAttachment],
        cdkNag: ["IAMPolicyNoStatementsWithAdminAccess"],
        awsConfig: ["iam-policy-no-statements-with-admin-access"],
    },
    validate: ({ type, props }, report) => {
        const arns = type === T.iamRole ? strings(props["managedPolicyArns"]) : strings(props["policyArn"]);
        for (const arn of arns.filter(isAdminManagedPolicy)) {
            report(`The AWS-managed policy ${arn} grants far more than any component needs: attach a policy listing the actions required.`);
        }
    },
});

export const leastPrivilegePolicies: readonly PackPolicy[] = [noWildcardActions, noAdminManagedPolicies];
