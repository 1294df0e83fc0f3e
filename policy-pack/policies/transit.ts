/**
 * Encryption in transit (HIPAA 164.312(e)(1), 164.312(e)(2)(ii)): S3 refuses plain HTTP, Aurora refuses
 * connections without TLS, and load balancers listen on HTTPS only.
 */
import type { PolicyResource } from "@pulumi/policy";
import { deniesInsecureTransport, parsePolicyDocument } from "./lib/documents";
import { decidedAtUpdate, resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, refersTo } from "./lib/resources";
import { bucketsWithConfig } from "./lib/s3";
import { T } from "./lib/types";
import { get, isSet, records, str, type Props } from "./lib/values";

const IN_TRANSIT = ["164.312(e)(1)", "164.312(e)(2)(ii)"] as const;

const TLS_STATEMENT =
    'a statement { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }';
const TLS_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit";

/**
 * Every bucket has a bucket policy that refuses plain HTTP. Split in two so that each part is decided as early as it
 * can be: that the bucket has a policy at all is a stack-wide fact known at preview (this policy); what the policy
 * says may be built from the bucket's own ARN, unknown before the bucket exists, so a resource policy judges it
 * (`s3-bucket-policy-tls-only`), which `pulumi up` runs before creating the bucket policy. (A stack policy runs
 * once the update is over, too late to stop a resource.)
 */
export const s3BucketTlsOnly = stackPolicy({
    name: "s3-bucket-tls-only",
    description:
        "Every S3 bucket has a bucket policy that denies requests that do not use TLS (aws:SecureTransport false); a policy whose document is not known yet is judged by s3-bucket-policy-tls-only.",
    remediationSteps: `Declare an aws.s3.BucketPolicy with ${TLS_STATEMENT}.`,
    metadata: {
        concern: "encryption-in-transit",
        hipaa: [...IN_TRANSIT],
        checks: "Each bucket has a bucket policy with a Deny of s3:* for everyone when aws:SecureTransport is false",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketPolicy],
        cdkNag: ["S3BucketSSLRequestsOnly"],
        awsConfig: ["s3-bucket-ssl-requests-only"],
        docs: [TLS_DOC],
    },
    validate: ({ resources }, report) => {
        for (const { bucket, configs } of bucketsWithConfig(resources, [T.bucketPolicy])) {
            const parsed = [bucket.props["policy"], ...configs.map((c) => c.props["policy"])].map(parsePolicyDocument);
            const ok = parsed.some((d) => d.ok && deniesInsecureTransport(d.statements));
            // A document unknown at preview is s3-bucket-policy-tls-only's to judge, before it is created.
            const pending = parsed.some((d) => !d.ok && "unknown" in d);
            if (!ok && !pending) {
                report(
                    `${describe(bucket)} accepts requests without TLS: its bucket policy needs a Deny of s3:* for Principal "*" when aws:SecureTransport is "false".`,
                    bucket.urn,
                );
            }
        }
    },
});

export const s3BucketPolicyTlsOnly = resourcePolicy({
    name: "s3-bucket-policy-tls-only",
    description:
        "Every S3 bucket policy denies requests that do not use TLS (a bucket has one policy, so this is its policy). A document built from ARNs of resources not created yet is unknown in a first preview: pulumi up judges it before creating the bucket policy.",
    remediationSteps: `Add ${TLS_STATEMENT} to the bucket policy.`,
    metadata: {
        concern: "encryption-in-transit",
        hipaa: [...IN_TRANSIT],
        checks: "Each BucketPolicy document has a Deny of s3:* for everyone when aws:SecureTransport is false",
        resourceTypes: [T.bucketPolicy],
        atPreview:
            "A bucket policy built from the bucket's own ARN is one unknown value in a first preview. s3-bucket-tls-only catches a bucket without a policy at preview; this policy judges the document in pulumi up, before the bucket policy is created (the bucket itself may exist by then, with S3's default of no bucket policy).",
        cdkNag: ["S3BucketSSLRequestsOnly"],
        awsConfig: ["s3-bucket-ssl-requests-only"],
        docs: [TLS_DOC, "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html"],
    },
    validate: ({ props, notApplicable }, report) => {
        const parsed = parsePolicyDocument(props["policy"]);
        if (!parsed.ok && "unknown" in parsed) {
            notApplicable(decidedAtUpdate("the policy document is built from values not known yet"));
        }
        if (!parsed.ok) {
            report(`The bucket policy document ${parsed.error}.`);
        } else if (!deniesInsecureTransport(parsed.statements)) {
            report(`The bucket policy does not deny requests without TLS: add ${TLS_STATEMENT}.`);
        }
    },
});

/**
 * The parameter that makes the engine refuse unencrypted connections, by parameter-group family.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html#AuroraPostgreSQL.Security.SSL.RequiringSSL
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Security.html#AuroraMySQL.Security.SSL
 */
export function sslParameterFor(family: string): { name: string; accepted: readonly string[] } | undefined {
    if (/postgres/i.test(family)) {
        return { name: "rds.force_ssl", accepted: ["1"] };
    }
    if (/mysql/i.test(family)) {
        return { name: "require_secure_transport", accepted: ["1", "ON", "on"] };
    }
    return undefined;
}

/** Why a parameter group does not force TLS, or `undefined` when it does (or its engine has no such setting). */
export function sslProblem(props: Props): string | undefined {
    const family = str(props["family"]) ?? "";
    const parameter = sslParameterFor(family);
    if (parameter === undefined) {
        return undefined;
    }
    const set = records(props["parameters"]).find((p) => p["name"] === parameter.name);
    const value = set === undefined ? undefined : String(set["value"]);
    if (value === undefined || !parameter.accepted.includes(value)) {
        return `The ${family} parameter group does not force TLS: set parameter ${parameter.name} to ${parameter.accepted[0]}${value !== undefined ? ` (it is ${value})` : ""}.`;
    }
    return undefined;
}

export const rdsParameterGroupForcesSsl = resourcePolicy({
    name: "rds-parameter-group-forces-ssl",
    description: "Aurora and RDS parameter groups make the database refuse connections without TLS.",
    remediationSteps:
        'Add { name: "rds.force_ssl", value: "1" } (PostgreSQL) or require_secure_transport ON (MySQL) to the parameter group.',
    metadata: {
        concern: "encryption-in-transit",
        hipaa: [...IN_TRANSIT],
        checks: "PostgreSQL groups set rds.force_ssl=1; MySQL groups set require_secure_transport=ON",
        resourceTypes: [T.rdsClusterParameterGroup, T.rdsParameterGroup],
        docs: [
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html#AuroraPostgreSQL.Security.SSL.RequiringSSL",
        ],
    },
    validate: ({ props }, report) => {
        const problem = sslProblem(props);
        if (problem !== undefined) {
            report(problem);
        }
    },
});

export const rdsClusterUsesSslParameterGroup = stackPolicy({
    name: "rds-cluster-uses-ssl-parameter-group",
    description: "Every Aurora cluster uses a cluster parameter group of this stack that forces TLS (the default group does not).",
    remediationSteps: "Declare an aws.rds.ClusterParameterGroup that forces TLS and pass its name as dbClusterParameterGroupName.",
    metadata: {
        concern: "encryption-in-transit",
        hipaa: [...IN_TRANSIT],
        checks: "Each Aurora cluster's dbClusterParameterGroupName names a parameter group that forces TLS",
        resourceTypes: [T.rdsCluster, T.rdsClusterParameterGroup],
    },
    validate: ({ resources }, report) => {
        const groups = resources.filter((r) => r.type === T.rdsClusterParameterGroup);
        for (const cluster of resources.filter((r) => r.type === T.rdsCluster)) {
            const group: PolicyResource | undefined = groups.find((g) =>
                refersTo(cluster, "dbClusterParameterGroupName", g, ["name", "id"]),
            );
            if (group === undefined) {
                report(
                    `${describe(cluster)} does not use a cluster parameter group of this stack (${str(cluster.props["dbClusterParameterGroupName"]) ?? "default group"}), so TLS is not enforced: declare one that sets rds.force_ssl=1 and pass its name as dbClusterParameterGroupName.`,
                    cluster.urn,
                );
                continue;
            }
            const problem = sslProblem(group.props);
            if (problem !== undefined) {
                report(`${describe(cluster)} uses ${describe(group)}. ${problem}`, cluster.urn);
            }
        }
    },
});

const SSL_POLICIES_DOC = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html";

/**
 * The security policies that refuse anything older than TLS 1.2. AWS names each predefined policy after the oldest
 * protocol it accepts: `ELBSecurityPolicy-TLS13-1-2-*` (TLS 1.3 and 1.2; the Res, Ext, FIPS and PQ variants too) and
 * `ELBSecurityPolicy-TLS13-1-3-*` (TLS 1.3 only), and the TLS 1.2-only `ELBSecurityPolicy-TLS-1-2-*` and
 * `ELBSecurityPolicy-FS-1-2-*`. Everything else accepts TLS 1.0 or 1.1 (`ELBSecurityPolicy-2016-08`, the default of
 * a listener created through the API without `sslPolicy`, `ELBSecurityPolicy-TLS13-1-0-2021-06`, ...).
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
 */
export const MODERN_SSL_POLICY_PATTERNS: readonly RegExp[] = [
    /^ELBSecurityPolicy-TLS13-1-[23]-/,
    /^ELBSecurityPolicy-TLS-1-2-/,
    /^ELBSecurityPolicy-FS-1-2-/,
];

/** True for a listener security policy that accepts TLS 1.2 and later only (`MODERN_SSL_POLICY_PATTERNS`). */
export function isModernSslPolicy(name: string): boolean {
    return MODERN_SSL_POLICY_PATTERNS.some((p) => p.test(name));
}

export const lbListenerHttps = resourcePolicy({
    name: "lb-listener-https",
    description:
        "Load balancer listeners accept HTTPS (or TLS) only, with a certificate and a security policy that refuses anything older than TLS 1.2; a plain HTTP listener may only redirect to HTTPS.",
    remediationSteps:
        "Use protocol HTTPS with an ACM certificate and sslPolicy ELBSecurityPolicy-TLS13-1-2-2021-06 (or another ELBSecurityPolicy-TLS13-1-2-*/-1-3-* policy), or make the HTTP listener's only default action a redirect to HTTPS.",
    metadata: {
        concern: "encryption-in-transit",
        hipaa: [...IN_TRANSIT],
        checks: "Listeners use HTTPS/TLS with a certificate and an sslPolicy of TLS 1.2 or later (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-*, -FS-1-2-*); HTTP listeners only redirect to HTTPS",
        resourceTypes: [T.lbListener, T.albListener],
        cdkNag: ["ELBTlsHttpsListenersOnly", "ALBHttpToHttpsRedirection", "ELBv2ACMCertificateRequired"],
        awsConfig: [
            "elb-tls-https-listeners-only",
            "alb-http-to-https-redirection-check",
            "elb-acm-certificate-required",
            "elbv2-acm-certificate-required",
        ],
        docs: [SSL_POLICIES_DOC, "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html"],
    },
    validate: ({ props }, report) => {
        const protocol = (str(props["protocol"]) ?? "HTTP").toUpperCase();
        if (protocol === "HTTPS" || protocol === "TLS") {
            // A certificate unknown at preview is the output of a certificate this stack creates.
            if (!isSet(props["certificateArn"])) {
                report(`The ${protocol} listener has no certificateArn: use an ACM certificate.`);
            }
            const policy = str(props["sslPolicy"]);
            if (policy === undefined) {
                report(
                    `The ${protocol} listener sets no sslPolicy, so AWS applies ELBSecurityPolicy-2016-08, which accepts TLS 1.0 and 1.1: set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (${SSL_POLICIES_DOC}).`,
                );
            } else if (!isModernSslPolicy(policy)) {
                report(
                    `The ${protocol} listener's sslPolicy ${policy} accepts protocols older than TLS 1.2: use ELBSecurityPolicy-TLS13-1-2-2021-06 or another ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* or -FS-1-2-* policy (${SSL_POLICIES_DOC}).`,
                );
            }
            return;
        }
        const actions = records(props["defaultActions"]);
        const redirectsOnly =
            protocol === "HTTP" &&
            actions.length > 0 &&
            actions.every((a) => a["type"] === "redirect" && (str(get(a, "redirect", "protocol")) ?? "").toUpperCase() === "HTTPS");
        if (!redirectsOnly) {
            report(`The listener accepts ${protocol} without TLS: use HTTPS with an ACM certificate, or redirect HTTP to HTTPS.`);
        }
    },
});

export const transitPolicies: readonly PackPolicy[] = [
    s3BucketTlsOnly,
    s3BucketPolicyTlsOnly,
    rdsParameterGroupForcesSsl,
    rdsClusterUsesSslParameterGroup,
    lbListenerHttps,
];
