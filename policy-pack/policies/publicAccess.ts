/**
 * No public access (HIPAA 164.312(a)(1) access control, 164.308(a)(4) information access management): buckets
 * block every form of public access, no resource policy or ACL grants access to anyone, databases are not
 * reachable from the internet, and no security group admits the world except HTTPS on an internet-facing load
 * balancer, which AWS WAF guards; application tasks have no public address.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { parsePolicyDocument, publicAllowStatements, statementLabel } from "./lib/documents";
import { decidedAtUpdate, resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { applicationLoadBalancers, isInternetFacing } from "./lib/loadBalancers";
import { describe, refersTo } from "./lib/resources";
import { bucketsWithConfig } from "./lib/s3";
import { LOAD_BALANCER_TYPES, T } from "./lib/types";
import { get, isSet, isTrue, isUnknown, num, records, str, strings, type Props } from "./lib/values";

const ACCESS = ["164.312(a)(1)", "164.308(a)(3)(i)", "164.308(a)(4)(ii)(B)"] as const;

const PUBLIC_ACCESS_BLOCK_SETTINGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const s3PublicAccessBlocked = stackPolicy({
    name: "s3-public-access-blocked",
    description: "Every S3 bucket has a public access block with all four settings on.",
    remediationSteps:
        "Declare an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS],
        checks: "Each bucket has a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketPublicAccessBlock],
        cdkNag: ["S3BucketLevelPublicAccessProhibited"],
        awsConfig: ["s3-bucket-level-public-access-prohibited"],
    },
    validate: ({ resources }, report) => {
        for (const { bucket, configs } of bucketsWithConfig(resources, [T.bucketPublicAccessBlock])) {
            if (configs.length === 0) {
                report(
                    `${describe(bucket)} has no public access block: declare a BucketPublicAccessBlock with all four settings true.`,
                    bucket.urn,
                );
                continue;
            }
            const off = PUBLIC_ACCESS_BLOCK_SETTINGS.filter((s) => !configs.some((c) => isTrue(c.props[s])));
            if (off.length > 0) {
                report(
                    `${describe(bucket)}'s public access block leaves ${off.join(", ")} off: set ${off.length === 1 ? "it" : "them"} to true.`,
                    bucket.urn,
                );
            }
        }
    },
});

/** Canned ACLs that open a bucket to everyone or to every AWS account. */
const PUBLIC_CANNED_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEE_URIS = [
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

/** The property holding a resource policy document, by type. */
const POLICY_PROPERTY: Readonly<Record<string, string>> = {
    [T.bucket]: "policy",
    [T.bucketV2]: "policy",
    [T.bucketPolicy]: "policy",
    [T.snsTopic]: "policy",
    [T.snsTopicPolicy]: "policy",
    [T.sqsQueue]: "policy",
    [T.sqsQueuePolicy]: "policy",
    [T.secret]: "policy",
    [T.secretPolicy]: "policy",
    [T.backupVaultPolicy]: "policy",
    [T.kmsKey]: "policy",
    [T.kmsKeyPolicy]: "policy",
};

function aclProblems(props: Props, report: ReportViolation): void {
    const acl = str(props["acl"]);
    if (acl !== undefined && PUBLIC_CANNED_ACLS.includes(acl)) {
        report(`The canned ACL "${acl}" makes the bucket public: remove it (bucket owner enforced ownership needs no ACL).`);
    }
    const grants = [...records(get(props, "accessControlPolicy", "grants")), ...records(props["grants"])];
    for (const grant of grants) {
        const uri = str(get(grant, "grantee", "uri")) ?? str(grant["uri"]);
        if (uri !== undefined && PUBLIC_GRANTEE_URIS.includes(uri)) {
            report(`An ACL grant gives ${uri.split("/").pop()} access to the bucket: remove the grant.`);
        }
    }
}

export const noPublicResourcePolicies = resourcePolicy({
    name: "no-public-resource-policies",
    description:
        "No bucket ACL or resource policy (S3, SNS, SQS, Secrets Manager, Backup vault, KMS) grants access to everyone. A policy document built from ARNs of resources not created yet is unknown in a first preview: pulumi up checks it before creating the resource that carries it.",
    remediationSteps:
        "Name the principals (account, role or service) or limit the statement with aws:SourceArn/aws:SourceAccount/aws:PrincipalOrgID.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS],
        checks: 'No public canned ACL or AllUsers/AuthenticatedUsers grant; no Allow for Principal "*" without a condition limiting the caller; policy documents parse',
        resourceTypes: [...new Set([...Object.keys(POLICY_PROPERTY), T.bucketAcl, T.bucketAclV2])],
        atPreview:
            "A policy document the program builds from ARNs of resources not created yet is one unknown value in a first preview: who may do what cannot be read from it until those resources exist. pulumi up judges it before creating the resource that carries it, so a violation still blocks that resource (the resources the document names may already exist).",
        cdkNag: ["S3BucketPublicReadProhibited", "S3BucketPublicWriteProhibited"],
        awsConfig: ["s3-bucket-public-read-prohibited", "s3-bucket-public-write-prohibited"],
    },
    validate: ({ type, props, notApplicable }, report) => {
        if (type === T.bucket || type === T.bucketV2 || type === T.bucketAcl || type === T.bucketAclV2) {
            aclProblems(props, report);
        }
        const property = POLICY_PROPERTY[type];
        if (property === undefined) {
            return;
        }
        const parsed = parsePolicyDocument(props[property]);
        if (!parsed.ok) {
            if ("unknown" in parsed) {
                notApplicable(decidedAtUpdate(`the ${property} document is built from values not known yet`));
            }
            report(`The ${property} document ${parsed.error}.`);
            return;
        }
        parsed.statements.forEach((s, i) => {
            if (publicAllowStatements([s]).length > 0) {
                report(
                    `${statementLabel(s, i)} allows Principal "*" with no condition limiting the caller: name the principals or add aws:SourceArn/aws:SourceAccount.`,
                );
            }
        });
    },
});

export const rdsNotPublic = resourcePolicy({
    name: "rds-not-publicly-accessible",
    description: "Database instances are not publicly accessible.",
    remediationSteps: "Set publiclyAccessible to false (the default) and place the instances in private subnets.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS, "164.312(e)(1)"],
        checks: "Aurora cluster instances and RDS instances do not set publiclyAccessible",
        resourceTypes: [T.rdsClusterInstance, T.rdsInstance],
        cdkNag: ["RDSInstancePublicAccess"],
        awsConfig: ["rds-instance-public-access-check"],
    },
    validate: ({ props }, report) => {
        if (isTrue(props["publiclyAccessible"])) {
            report("The database instance is publicly accessible: set publiclyAccessible to false.");
        }
    },
});

const ANYWHERE = ["0.0.0.0/0", "::/0"];

interface IngressRule {
    readonly protocol: string;
    readonly fromPort: number | undefined;
    readonly toPort: number | undefined;
    readonly cidrs: readonly string[];
}

/** The ingress rules a security-group resource declares, whatever its type. */
export function ingressRulesOf(type: string, props: Props): IngressRule[] {
    if (type === T.securityGroup || type === T.defaultSecurityGroup) {
        return records(props["ingress"]).map((r) => ({
            protocol: String(r["protocol"] ?? "-1"),
            fromPort: num(r["fromPort"]),
            toPort: num(r["toPort"]),
            cidrs: [...strings(r["cidrBlocks"]), ...strings(r["ipv6CidrBlocks"])],
        }));
    }
    if (type === T.securityGroupRule) {
        return props["type"] === "ingress"
            ? [
                  {
                      protocol: String(props["protocol"] ?? "-1"),
                      fromPort: num(props["fromPort"]),
                      toPort: num(props["toPort"]),
                      cidrs: [...strings(props["cidrBlocks"]), ...strings(props["ipv6CidrBlocks"])],
                  },
              ]
            : [];
    }
    if (type === T.securityGroupIngressRule) {
        return [
            {
                protocol: String(props["ipProtocol"] ?? "-1"),
                fromPort: num(props["fromPort"]),
                toPort: num(props["toPort"]),
                cidrs: [...strings(props["cidrIpv4"]), ...strings(props["cidrIpv6"])],
            },
        ];
    }
    return [];
}

/** True for a rule admitting HTTPS (TCP 443) and nothing else. */
export function isHttpsOnly(rule: IngressRule): boolean {
    return (rule.protocol === "tcp" || rule.protocol === "6") && rule.fromPort === 443 && rule.toPort === 443;
}

function describePorts(rule: IngressRule): string {
    if (rule.protocol === "-1" || rule.protocol === "all") {
        return "all traffic";
    }
    return rule.fromPort === rule.toPort
        ? `${rule.protocol} port ${rule.fromPort}`
        : `${rule.protocol} ports ${rule.fromPort}-${rule.toPort}`;
}

export const noPublicIngress = resourcePolicy({
    name: "no-public-ingress",
    description: "No security group admits traffic from 0.0.0.0/0 or ::/0, except HTTPS (TCP 443) for an internet-facing load balancer.",
    remediationSteps: "Admit only the security groups or private CIDR ranges that need access.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS, "164.312(e)(1)"],
        checks: "Ingress from 0.0.0.0/0 or ::/0 only on TCP 443 (and the public-https-only-on-load-balancers policy checks where)",
        resourceTypes: [T.securityGroup, T.securityGroupRule, T.securityGroupIngressRule],
        cdkNag: ["EC2RestrictedSSH", "EC2RestrictedCommonPorts"],
        awsConfig: ["restricted-ssh", "restricted-common-ports", "vpc-sg-open-only-to-authorized-ports"],
    },
    validate: ({ type, props }, report) => {
        for (const rule of ingressRulesOf(type, props)) {
            const open = rule.cidrs.filter((c) => ANYWHERE.includes(c));
            if (open.length > 0 && !isHttpsOnly(rule)) {
                report(
                    `Ingress of ${describePorts(rule)} from ${open.join(" and ")} opens it to the internet: admit only the security groups or private ranges that need it.`,
                );
            }
        }
    },
});

export const publicHttpsOnlyOnLoadBalancers = stackPolicy({
    name: "public-https-only-on-load-balancers",
    description: "A security group that admits HTTPS from anywhere belongs to an internet-facing load balancer and nothing else.",
    remediationSteps: "Remove the 0.0.0.0/0 rule, or attach the group only to an internet-facing load balancer.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS],
        checks: "Security groups with HTTPS open to the internet are attached to an internet-facing load balancer",
        resourceTypes: [T.securityGroup, T.securityGroupRule, T.securityGroupIngressRule, ...LOAD_BALANCER_TYPES],
    },
    validate: ({ resources }, report) => {
        const groups = resources.filter((r) => r.type === T.securityGroup);
        const publicLbs = resources.filter(
            (r) => (LOAD_BALANCER_TYPES as readonly string[]).includes(r.type) && !isTrue(r.props["internal"]),
        );
        const onPublicLb = (group: PolicyResource) => publicLbs.some((lb) => refersTo(lb, "securityGroups", group, ["id"]));
        for (const r of resources) {
            const open = ingressRulesOf(r.type, r.props).some((rule) => rule.cidrs.some((c) => ANYWHERE.includes(c)) && isHttpsOnly(rule));
            if (!open) {
                continue;
            }
            const group = r.type === T.securityGroup ? r : groups.find((g) => refersTo(r, "securityGroupId", g, ["id"]));
            if (group === undefined || !onPublicLb(group)) {
                report(
                    `${describe(r)} admits HTTPS from the internet but its security group is not attached to an internet-facing load balancer.`,
                    r.urn,
                );
            }
        }
    },
});

export const vpcDefaultSecurityGroupClosed = stackPolicy({
    name: "vpc-default-security-group-closed",
    description:
        "Every VPC's default security group is adopted (aws.ec2.DefaultSecurityGroup) with no rules, so nothing can use it by accident.",
    remediationSteps: "Declare an aws.ec2.DefaultSecurityGroup with the VPC's id and no ingress or egress rules.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS],
        checks: "Each VPC has a DefaultSecurityGroup with no ingress and no egress",
        resourceTypes: [T.vpc, T.defaultSecurityGroup],
        cdkNag: ["VPCDefaultSecurityGroupClosed"],
        awsConfig: ["vpc-default-security-group-closed"],
    },
    validate: ({ resources }, report) => {
        const defaults = resources.filter((r) => r.type === T.defaultSecurityGroup);
        for (const sg of defaults) {
            if (records(sg.props["ingress"]).length > 0 || records(sg.props["egress"]).length > 0) {
                report(`${describe(sg)} has rules: the default security group must have no ingress and no egress.`, sg.urn);
            }
        }
        for (const vpc of resources.filter((r) => r.type === T.vpc)) {
            if (!defaults.some((d) => refersTo(d, "vpcId", vpc, ["id"]))) {
                report(
                    `${describe(vpc)}'s default security group keeps AWS's default rules: declare an aws.ec2.DefaultSecurityGroup for it with no rules.`,
                    vpc.urn,
                );
            }
        }
    },
});

export const lambdaPermissionNotPublic = resourcePolicy({
    name: "lambda-permission-not-public",
    description: "No Lambda permission lets everyone (*) invoke a function.",
    remediationSteps: "Name the service or account principal and set sourceArn or sourceAccount.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS],
        checks: 'Lambda permissions do not grant to principal "*"; service principals are limited by sourceArn or sourceAccount',
        resourceTypes: [T.lambdaPermission],
        awsConfig: ["lambda-function-public-access-prohibited"],
    },
    validate: ({ props }, report) => {
        const principal = str(props["principal"]) ?? "";
        if (principal === "*" || principal.includes("*")) {
            report(`The permission lets "${principal}" invoke the function: name the service or account that needs it.`);
        } else if (
            principal.endsWith(".amazonaws.com") &&
            // A source unknown at preview is a resource of this stack (or its account): limited to it.
            !isSet(props["sourceArn"]) &&
            !isSet(props["sourceAccount"])
        ) {
            // Without a source, any account's resource of that service could invoke the function (confused deputy).
            report(
                `The permission for ${principal} has no sourceArn or sourceAccount: any account's ${principal} resource could invoke the function.`,
            );
        }
    },
});

/**
 * With Object Ownership set to BucketOwnerEnforced, S3 disables ACLs: the bucket owner owns every object and only
 * policies decide access, so no object ACL can make a patient record readable by another account or the world.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
 */
export const s3AclsDisabled = stackPolicy({
    name: "s3-bucket-acls-disabled",
    description: "Every bucket disables ACLs: a BucketOwnershipControls with objectOwnership BucketOwnerEnforced.",
    remediationSteps: 'Declare an aws.s3.BucketOwnershipControls for the bucket with rule: { objectOwnership: "BucketOwnerEnforced" }.',
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS],
        checks: "Each bucket has a BucketOwnershipControls whose rule.objectOwnership is BucketOwnerEnforced",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketOwnershipControls],
        awsConfig: ["s3-bucket-acl-prohibited"],
        docs: ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html"],
    },
    validate: ({ resources }, report) => {
        for (const { bucket, configs } of bucketsWithConfig(resources, [T.bucketOwnershipControls])) {
            const owners = configs.map((c) => str(get(c.props, "rule", "objectOwnership")) ?? "unset");
            if (!owners.includes("BucketOwnerEnforced")) {
                report(
                    configs.length === 0
                        ? `${describe(bucket)} may use ACLs: declare an aws.s3.BucketOwnershipControls with objectOwnership BucketOwnerEnforced.`
                        : `${describe(bucket)}'s object ownership is ${owners.join(", ")}, which leaves ACLs on: set objectOwnership to BucketOwnerEnforced.`,
                    bucket.urn,
                );
            }
        }
    },
});

/**
 * An internet-facing Application Load Balancer is the one door of the application to the world: AWS WAF in front of
 * it filters the common exploits (the web ACL's rules) before a request reaches a task that can read patient data.
 * The association is a separate resource naming the load balancer's ARN (@pulumi/aws v7 `aws.wafv2.WebAclAssociation`).
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/alb-waf-enabled.html
 */
export const albWafEnabled = stackPolicy({
    name: "alb-waf-enabled",
    description: "Every internet-facing Application Load Balancer has an AWS WAF web ACL associated with it.",
    remediationSteps:
        "Declare an aws.wafv2.WebAclAssociation with resourceArn set to the load balancer's arn and webAclArn set to a REGIONAL web ACL of the same region.",
    metadata: {
        concern: "public-access",
        hipaa: ["164.312(a)(1)", "164.308(a)(5)(ii)(B)", "164.312(e)(1)"],
        checks: "Each LoadBalancer of type application with internal not true has a WebAclAssociation whose resourceArn refers to it and whose webAclArn is set",
        resourceTypes: [T.lb, T.alb, T.wafWebAclAssociation],
        awsConfig: ["alb-waf-enabled"],
        docs: [
            "https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html",
            "https://docs.aws.amazon.com/config/latest/developerguide/alb-waf-enabled.html",
        ],
    },
    validate: ({ resources }, report) => {
        const associations = resources.filter((r) => r.type === T.wafWebAclAssociation && isSet(r.props["webAclArn"]));
        for (const lb of applicationLoadBalancers(resources).filter((r) => isInternetFacing(r.props))) {
            if (!associations.some((a) => refersTo(a, "resourceArn", lb, ["arn", "id"]))) {
                report(
                    `${describe(lb)} faces the internet with no AWS WAF web ACL: declare an aws.wafv2.WebAclAssociation with resourceArn set to its arn.`,
                    lb.urn,
                );
            }
        }
    },
});

/**
 * A task with a public IP address is reachable from the internet past the load balancer and its web ACL. In private
 * subnets the tasks reach AWS through the VPC endpoints and the NAT gateway.
 * @see https://docs.aws.amazon.com/securityhub/latest/userguide/ecs-controls.html#ecs-2
 */
export const ecsServiceNoPublicIp = resourcePolicy({
    name: "ecs-service-no-public-ip",
    description: "ECS services do not give their tasks public IP addresses (networkConfiguration.assignPublicIp is not true).",
    remediationSteps: "Set networkConfiguration.assignPublicIp to false and place the service in private subnets.",
    metadata: {
        concern: "public-access",
        hipaa: [...ACCESS, "164.312(e)(1)"],
        checks: "Service networkConfiguration.assignPublicIp is not true",
        resourceTypes: [T.ecsService],
        awsConfig: ["ecs-service-assign-public-ip-disabled"],
        docs: ["https://docs.aws.amazon.com/securityhub/latest/userguide/ecs-controls.html#ecs-2"],
    },
    validate: ({ props }, report) => {
        const assign = get(props, "networkConfiguration", "assignPublicIp");
        if (isTrue(assign) || isUnknown(assign)) {
            report(
                "The service assigns public IP addresses to its tasks, which makes them reachable from the internet: set networkConfiguration.assignPublicIp to false.",
            );
        }
    },
});

export const publicAccessPolicies: readonly PackPolicy[] = [
    s3PublicAccessBlocked,
    noPublicResourcePolicies,
    rdsNotPublic,
    noPublicIngress,
    publicHttpsOnlyOnLoadBalancers,
    vpcDefaultSecurityGroupClosed,
    lambdaPermissionNotPublic,
    s3AclsDisabled,
    albWafEnabled,
    ecsServiceNoPublicIp,
];
