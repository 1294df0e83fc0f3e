/**
 * Least privilege (HIPAA 164.308(a)(3), 164.308(a)(4), 164.312(a)(1)): no IAM statement allows a wildcard action,
 * no AWS-managed administrator policy is attached to anything, no VPC endpoint lets the private subnets reach
 * other accounts' resources, a VPC peering carries only what its routes and rules name: subnets and one port, and the
 * roles of ECS tasks hold no AWS-managed policy beyond the task execution policy.
 */
import type { PolicyResource } from "@pulumi/policy";
import { blockContains, parseIpv4Block, type Ipv4Block } from "./lib/cidr";
import { leastPrivilegeProblems, parsePolicyDocument, type Statement } from "./lib/documents";
import { decidedAtUpdate, resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, refersTo } from "./lib/resources";
import { T } from "./lib/types";
import { isSet, num, records, str, strings, type Props } from "./lib/values";

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

/** Condition keys that bound an endpoint statement to an account's (or organisation's) resources, or to AWS services. */
const PERIMETER_KEYS = ["aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths", "aws:principalisawsservice"];

/** True when a statement's conditions name one of the perimeter keys (any operator). */
function boundedByPerimeter(statement: Statement): boolean {
    return Object.values(statement.condition).some(
        (block) =>
            typeof block === "object" && block !== null && Object.keys(block).some((key) => PERIMETER_KEYS.includes(key.toLowerCase())),
    );
}

/**
 * Without a policy, a VPC endpoint allows full access to its service, to any account's resources: from the PHI
 * subnets, `s3:PutObject` to another account's bucket leaves through the S3 gateway endpoint. Every endpoint needs a
 * policy, with a Principal in every statement (AWS requires it), whose Allow statements on every resource (`*`) are
 * bounded to the account's or organisation's resources (`aws:ResourceAccount`, `aws:ResourceOrgID`) or to AWS
 * services acting on its behalf; statements on named resources (AWS-owned buckets) pass.
 * @see https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
 * @see https://github.com/aws-samples/data-perimeter-policy-examples/tree/main/vpc_endpoint_policies
 */
export const vpcEndpointPolicyRestricted = resourcePolicy({
    name: "vpc-endpoint-policy-restricted",
    description:
        "Every VPC endpoint has a policy that limits it to this account's (or organisation's) resources and named AWS-owned resources: no Allow on every resource without an aws:ResourceAccount/aws:ResourceOrgID condition.",
    remediationSteps:
        'Set policy on the endpoint: Allow Principal {"AWS":"*"} Action "*" Resource "*" with Condition StringEquals aws:PrincipalAccount and aws:ResourceAccount = your account, plus statements naming the AWS-owned resources the workloads need (lib/endpointPolicy.ts).',
    metadata: {
        concern: "least-privilege",
        hipaa: ["164.312(a)(1)", "164.312(e)(1)", "164.308(a)(4)(ii)(B)"],
        checks: "VpcEndpoint policy is set, every statement has a Principal, and every Allow on Resource * carries an account/organisation or AWS-service condition",
        resourceTypes: [T.vpcEndpoint],
        docs: ["https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"],
    },
    validate: ({ name, type, props }, report) => {
        const label = describe({ type, name });
        const policy = props["policy"];
        if (policy === undefined || policy === null || policy === "") {
            report(
                `${label} has no policy, so it allows full access to any account's resources: set a policy limited to this account's resources.`,
            );
            return;
        }
        const parsed = parsePolicyDocument(policy);
        if (!parsed.ok) {
            report(`${label}'s policy ${parsed.error}.`);
            return;
        }
        parsed.statements.forEach((statement, i) => {
            const sid = statement.sid ?? `Statement[${i}]`;
            if (statement.raw["Principal"] === undefined) {
                report(`${label}'s policy statement ${sid} has no Principal; an endpoint policy needs one in every statement.`);
            }
            const resources = strings(statement.raw["Resource"]);
            const everything = resources.length === 0 || resources.includes("*");
            if (statement.effect === "Allow" && everything && !boundedByPerimeter(statement)) {
                report(
                    `${label}'s policy statement ${sid} allows every resource with no aws:ResourceAccount (or aws:ResourceOrgID) condition: bound it to this account's resources, or name the resources.`,
                );
            }
        });
    },
});

const PEERING_DOCS = [
    "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations",
    "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html",
    "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html",
];

/** The VPCs of the stack a peering connection joins (`undefined` for a VPC outside the stack). */
function peeredVpcs(peering: PolicyResource, vpcs: readonly PolicyResource[]): (PolicyResource | undefined)[] {
    return ["vpcId", "peerVpcId"].map((key) => vpcs.find((v) => refersTo(peering, key, v, ["id"])));
}

/** The peering connection a route sends its traffic to: named directly, or through the accepter of its peer side. */
function peeringOfRoute(route: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
    const peerings = resources.filter((r) => r.type === T.vpcPeeringConnection);
    const direct = peerings.find((p) => refersTo(route, "vpcPeeringConnectionId", p, ["id"]));
    if (direct !== undefined) {
        return direct;
    }
    const accepter = resources.find(
        (a) => a.type === T.vpcPeeringConnectionAccepter && refersTo(route, "vpcPeeringConnectionId", a, ["id", "vpcPeeringConnectionId"]),
    );
    return accepter === undefined ? undefined : peerings.find((p) => refersTo(accepter, "vpcPeeringConnectionId", p, ["id"]));
}

/** The VPC a resource belongs to through `property` (a route table, a security group) and that resource's `vpcId`. */
function vpcThrough(
    resource: PolicyResource,
    property: string,
    holderType: string,
    resources: readonly PolicyResource[],
): PolicyResource | undefined {
    const holder = resources.find((h) => h.type === holderType && refersTo(resource, property, h, ["id"]));
    const vpcs = resources.filter((r) => r.type === T.vpc);
    return holder === undefined ? undefined : vpcs.find((v) => refersTo(holder, "vpcId", v, ["id"]));
}

const blockOf = (vpc: PolicyResource | undefined): Ipv4Block | undefined => parseIpv4Block(str(vpc?.props["cidrBlock"]));

/**
 * A VPC peering joins two networks; what crosses it is decided by routes and security-group rules, so they must name
 * only what needs the path. A route over a peering names subnets of the peer VPC: never a default route (everything,
 * internet-bound traffic included, would go to the peer), never the whole peer VPC, never addresses outside it. A
 * security-group rule whose CIDR lies in a peered VPC (across regions a rule cannot name the peer's group, so it
 * names CIDRs) names one protocol and one port, for a part of that VPC. Rules of `aws.vpc` (one rule per resource)
 * are checked; rules for the whole internet (0.0.0.0/0) are `no-public-ingress`'s, inline rules of a group
 * `vpc-default-security-group-closed`'s and the other network policies'.
 */
export const vpcPeeringLeastAccess = stackPolicy({
    name: "vpc-peering-least-access",
    description:
        "A VPC peering carries only what needs it: routes over it name subnets of the peer VPC (no default route, not the whole VPC), and security-group rules for addresses of a peered VPC name one protocol and one port for a part of it.",
    remediationSteps:
        "Route only the subnets that need the path (e.g. the database subnets), and admit or allow one port (e.g. TCP 5432) from or to those subnets' CIDRs, not the peer VPC's.",
    metadata: {
        concern: "least-privilege",
        hipaa: ["164.312(a)(1)", "164.308(a)(4)(ii)(B)", "164.312(e)(1)"],
        checks: "Routes with vpcPeeringConnectionId: an IPv4 destination inside the peer VPC and narrower than it; SG rules with a CIDR in a peered VPC: one port, narrower than the VPC",
        resourceTypes: [
            T.route,
            T.routeTable,
            T.vpc,
            T.vpcPeeringConnection,
            T.vpcPeeringConnectionAccepter,
            T.securityGroup,
            T.securityGroupIngressRule,
            T.securityGroupEgressRule,
        ],
        docs: PEERING_DOCS,
    },
    validate: ({ resources }, report) => {
        const vpcs = resources.filter((r) => r.type === T.vpc);
        for (const route of resources.filter((r) => r.type === T.route && isSet(r.props["vpcPeeringConnectionId"]))) {
            const destination = str(route.props["destinationCidrBlock"]);
            if (destination === "0.0.0.0/0" || str(route.props["destinationIpv6CidrBlock"]) === "::/0") {
                report(
                    `${describe(route)} sends all traffic over a VPC peering: route only the peer's subnets that need the path.`,
                    route.urn,
                );
                continue;
            }
            const peering = peeringOfRoute(route, resources);
            const block = parseIpv4Block(destination);
            if (peering === undefined || block === undefined) {
                continue;
            }
            // The peer is the joined VPC that is not the route table's (either one when the table is not in the stack).
            const own = vpcThrough(route, "routeTableId", T.routeTable, resources);
            const peers = peeredVpcs(peering, vpcs)
                .filter((v): v is PolicyResource => v !== undefined && v.urn !== own?.urn)
                .map((vpc) => ({ vpc, block: blockOf(vpc) }))
                .filter((p): p is { vpc: PolicyResource; block: Ipv4Block } => p.block !== undefined);
            const peer = peers.find((p) => blockContains(p.block, block));
            if (peers.length > 0 && peer === undefined) {
                report(
                    `${describe(route)} sends ${destination} over the peering, outside ${peers.map((p) => `${describe(p.vpc)} (${str(p.vpc.props["cidrBlock"])})`).join(" and ")}: route the peer's subnets only.`,
                    route.urn,
                );
            } else if (peer !== undefined && block.prefix <= peer.block.prefix) {
                report(
                    `${describe(route)} routes the whole of ${describe(peer.vpc)} (${destination}) over the peering: route only the subnets that need the path.`,
                    route.urn,
                );
            }
        }

        const peerings = resources.filter((r) => r.type === T.vpcPeeringConnection);
        for (const rule of resources.filter((r) => r.type === T.securityGroupIngressRule || r.type === T.securityGroupEgressRule)) {
            const block = parseIpv4Block(str(rule.props["cidrIpv4"]));
            const own = vpcThrough(rule, "securityGroupId", T.securityGroup, resources);
            if (block === undefined || own === undefined) {
                continue;
            }
            const peers = peerings
                .map((p) => peeredVpcs(p, vpcs))
                .filter((pair) => pair.some((v) => v?.urn === own.urn))
                .flatMap((pair) => pair.filter((v): v is PolicyResource => v !== undefined && v.urn !== own.urn));
            const peer = peers
                .map((v) => ({ vpc: v, block: blockOf(v) }))
                .find((c) => c.block !== undefined && blockContains(c.block, block));
            if (peer === undefined) {
                continue;
            }
            const protocol = str(rule.props["ipProtocol"]) ?? "-1";
            const from = num(rule.props["fromPort"]);
            const to = num(rule.props["toPort"]);
            const direction = rule.type === T.securityGroupIngressRule ? "admits" : "allows";
            if (protocol === "-1" || protocol === "all" || from === undefined || from !== to) {
                report(
                    `${describe(rule)} ${direction} ${protocol === "-1" || protocol === "all" ? "all traffic" : `${protocol} ports ${from ?? "?"}-${to ?? "?"}`} for ${rule.props["cidrIpv4"] as string} of peered ${describe(peer.vpc)}: name one protocol and port.`,
                    rule.urn,
                );
            }
            if (block.prefix <= peer.block!.prefix) {
                report(
                    `${describe(rule)} ${direction} the whole of peered ${describe(peer.vpc)} (${rule.props["cidrIpv4"] as string}): name the subnets that need the path.`,
                    rule.urn,
                );
            }
        }
    },
});

/** The only AWS-managed policy an ECS task execution role may hold: image pulls and log writes, nothing else. */
export const ECS_EXECUTION_MANAGED_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy";
/** The service principal that assumes task and task execution roles. */
export const ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com";

/** The name of an AWS-managed policy ARN (`arn:aws:iam::aws:policy/<name>`), or undefined for any other ARN. */
export function awsManagedPolicyName(arn: string): string | undefined {
    return /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
}

/**
 * The roles ECS tasks run with hold only what the program grants them by name. The task role is the application's
 * identity (its database secret, its buckets): no AWS-managed policy fits it, each grants a whole service or more. The
 * task execution role is the ECS agent's (pull the image, write the logs, read the secrets injected at start):
 * AmazonECSTaskExecutionRolePolicy is AWS's policy for exactly that, and nothing else. One role must not be both:
 * the application would get the agent's rights. Only ecs-tasks.amazonaws.com may assume either. The content of the
 * roles' own policies is iam-no-wildcard-actions' (inline and RolePolicy) and iam-no-admin-managed-policies'.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
 */
export const ecsTaskRolesLeastPrivilege = stackPolicy({
    name: "ecs-task-roles-least-privilege",
    description:
        "The roles of ECS task definitions: only ecs-tasks.amazonaws.com may assume them; a task role holds no AWS-managed policy, an execution role none but AmazonECSTaskExecutionRolePolicy; no role is both a task role and an execution role.",
    remediationSteps:
        "Give the task role an inline policy listing the actions and resources the application needs (lib/iam.ts); attach only service-role/AmazonECSTaskExecutionRolePolicy to the execution role; use two roles; trust only the ecs-tasks.amazonaws.com service principal.",
    metadata: {
        concern: "least-privilege",
        hipaa: [...ACCESS],
        checks: "Roles named by TaskDefinition taskRoleArn/executionRoleArn: trust only ecs-tasks.amazonaws.com; AWS-managed policies (managedPolicyArns, RolePolicyAttachment) none on task roles, only AmazonECSTaskExecutionRolePolicy on execution roles; no role in both places",
        resourceTypes: [T.ecsTaskDefinition, T.iamRole, T.iamRolePolicyAttachment],
        docs: [
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
        ],
    },
    validate: ({ resources }, report) => {
        const roles = resources.filter((r) => r.type === T.iamRole);
        const attachments = resources.filter((r) => r.type === T.iamRolePolicyAttachment);
        const taskDefinitions = resources.filter((r) => r.type === T.ecsTaskDefinition);
        const rolesOf = (property: string) =>
            new Set(roles.filter((role) => taskDefinitions.some((td) => refersTo(td, property, role, ["arn"]))));
        const taskRoles = rolesOf("taskRoleArn");
        const executionRoles = rolesOf("executionRoleArn");
        for (const role of new Set([...taskRoles, ...executionRoles])) {
            const kinds = [taskRoles.has(role) ? "task role" : undefined, executionRoles.has(role) ? "execution role" : undefined].filter(
                (k): k is string => k !== undefined,
            );
            if (kinds.length === 2) {
                report(
                    `${describe(role)} is both a task role and a task execution role, so the application holds the ECS agent's rights: use two roles.`,
                    role.urn,
                );
            }
            const trust = parsePolicyDocument(role.props["assumeRolePolicy"]);
            if (trust.ok) {
                const others = trust.statements
                    .filter((st) => st.effect === "Allow")
                    .flatMap((st) => (st.principals.length === 0 ? ["(none)"] : st.principals))
                    .filter((p) => p !== ECS_TASKS_PRINCIPAL);
                if (others.length > 0) {
                    report(
                        `${describe(role)} is an ECS ${kinds.join(" and ")} that ${[...new Set(others)].join(", ")} may also assume: trust only ${ECS_TASKS_PRINCIPAL}.`,
                        role.urn,
                    );
                }
            }
            // An ARN unknown at preview is a policy this stack creates, never an AWS-managed one (known at preview).
            const managed = [
                ...strings(role.props["managedPolicyArns"]),
                ...attachments.filter((a) => refersTo(a, "role", role, ["name", "id"])).flatMap((a) => strings(a.props["policyArn"])),
            ]
                .map(awsManagedPolicyName)
                .filter((n): n is string => n !== undefined);
            const allowed = taskRoles.has(role) ? [] : [ECS_EXECUTION_MANAGED_POLICY];
            for (const name of managed.filter((n) => !allowed.includes(n))) {
                report(
                    `${describe(role)} is an ECS ${kinds.join(" and ")} holding the AWS-managed policy ${name}: ${taskRoles.has(role) ? "grant the application's actions by name in an inline policy" : `an execution role needs ${ECS_EXECUTION_MANAGED_POLICY} only`}.`,
                    role.urn,
                );
            }
        }
    },
});

export const leastPrivilegePolicies: readonly PackPolicy[] = [
    noWildcardActions,
    noAdminManagedPolicies,
    vpcEndpointPolicyRestricted,
    vpcPeeringLeastAccess,
    ecsTaskRolesLeastPrivilege,
];
