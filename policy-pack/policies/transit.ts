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
import { get, records, str, type Props } from "./lib/values";

const IN_TRANSIT = ["164.312(e)(1)", "164.312(e)(2)(ii)"] as const;

export const s3BucketTlsOnly = stackPolicy({
    name: "s3-bucket-tls-only",
    description:
        "Every S3 bucket policy denies requests that do not use TLS (aws:SecureTransport false). A bucket policy built from ARNs of resources not created yet is unknown in a first preview: a bucket without any policy is caught then, the content by pulumi up before the policy is created.",
    remediationSteps:
        'Declare an aws.s3.BucketPolicy with a statement { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }.',
    metadata: {
        concern: "encryption-in-transit",
        hipaa: [...IN_TRANSIT],
        checks: "Each bucket has a bucket policy with a Deny of s3:* for everyone when aws:SecureTransport is false",
        resourceTypes: [T.bucket, T.bucketV2, T.bucketPolicy],
        atPreview:
            "A bucket policy built from the bucket's own ARN is one unknown value in a first preview. A bucket with no bucket policy at all is caught at preview; the TLS statement is judged by pulumi up before the bucket policy is created (the bucket itself may already exist, with S3's default of no policy).",
        cdkNag: ["S3BucketSSLRequestsOnly"],
        awsConfig: ["s3-bucket-ssl-requests-only"],
        docs: ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit"],
    },
    validate: ({ resources, notApplicable }, report) => {
        const unknown: string[] = [];
        for (const { bucket, configs } of bucketsWithConfig(resources, [T.bucketPolicy])) {
            const parsed = [bucket.props["policy"], ...configs.map((c) => c.props["policy"])].map(parsePolicyDocument);
            const ok = parsed.some((d) => d.ok && deniesInsecureTransport(d.statements));
            if (!ok && parsed.some((d) => !d.ok && "unknown" in d)) {
                unknown.push(bucket.name);
                continue;
            }
            if (!ok) {
                report(
                    `${describe(bucket)} accepts requests without TLS: its bucket policy needs a Deny of s3:* for Principal "*" when aws:SecureTransport is "false".`,
                    bucket.urn,
                );
            }
        }
        if (unknown.length > 0) {
            notApplicable(decidedAtUpdate(`the bucket policies of ${unknown.join(", ")} are built from values not known yet`));
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

export const lbListenerHttps = resourcePolicy({
    name: "lb-listener-https",
    description: "Load balancer listeners accept HTTPS (or TLS) only; a plain HTTP listener may only redirect to HTTPS.",
    remediationSteps: "Use protocol HTTPS with an ACM certificate, or make the HTTP listener's only default action a redirect to HTTPS.",
    metadata: {
        concern: "encryption-in-transit",
        hipaa: [...IN_TRANSIT],
        checks: "Listeners use HTTPS/TLS with a certificate; HTTP listeners only redirect to HTTPS",
        resourceTypes: [T.lbListener, T.albListener],
        cdkNag: ["ELBTlsHttpsListenersOnly", "ALBHttpToHttpsRedirection", "ELBv2ACMCertificateRequired"],
        awsConfig: ["elb-tls-https-listeners-only", "alb-http-to-https-redirection-check", "elb-acm-certificate-required"],
    },
    validate: ({ props }, report) => {
        const protocol = (str(props["protocol"]) ?? "HTTP").toUpperCase();
        if (protocol === "HTTPS" || protocol === "TLS") {
            if (str(props["certificateArn"]) === undefined) {
                report(`The ${protocol} listener has no certificateArn: use an ACM certificate.`);
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
    rdsParameterGroupForcesSsl,
    rdsClusterUsesSslParameterGroup,
    lbListenerHttps,
];
