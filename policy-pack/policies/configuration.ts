/**
 * Secure configuration of the program's compute and credentials: functions run inside the VPC (HIPAA 164.312(a)(1)
 * access control, 164.312(e)(1) transmission security) on a runtime that still receives security patches
 * (164.308(a)(1)(ii)(B) risk management), and secrets rotate (164.308(a)(4)(ii)(B) access authorization).
 */
import { resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, refersTo } from "./lib/resources";
import { T } from "./lib/types";
import { entries, get, num, str } from "./lib/values";

/**
 * A function in the VPC reaches the databases and AWS APIs through the VPC's security groups and endpoints, not
 * from Lambda's shared network, and its traffic shows in the VPC flow logs.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
 */
export const lambdaInsideVpc = resourcePolicy({
    name: "lambda-inside-vpc",
    description: "Lambda functions run inside a VPC: vpcConfig names at least one subnet and one security group.",
    remediationSteps:
        "Set vpcConfig.subnetIds to the region's private subnets and vpcConfig.securityGroupIds to the function's security group.",
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.308(a)(3)(i)", "164.308(a)(4)(ii)(A)", "164.308(a)(4)(ii)(C)", "164.312(a)(1)", "164.312(e)(1)"],
        checks: "vpcConfig.subnetIds and vpcConfig.securityGroupIds are non-empty",
        resourceTypes: [T.lambdaFunction],
        cdkNag: ["LambdaInsideVPC"],
        awsConfig: ["lambda-inside-vpc"],
        docs: ["https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"],
    },
    validate: ({ props }, report) => {
        // Ids unknown at preview are those of subnets and groups the stack creates: they count.
        const subnets = entries(get(props, "vpcConfig", "subnetIds"));
        const groups = entries(get(props, "vpcConfig", "securityGroupIds"));
        if (subnets.length === 0 && groups.length === 0) {
            report("The function does not run inside a VPC: set vpcConfig.subnetIds (private subnets) and vpcConfig.securityGroupIds.");
        } else if (subnets.length === 0) {
            report("The function's vpcConfig names no subnet: set vpcConfig.subnetIds to the region's private subnets.");
        } else if (groups.length === 0) {
            report("The function's vpcConfig names no security group: set vpcConfig.securityGroupIds.");
        }
    },
});

/**
 * Runtimes Lambda has deprecated (no more security patches; creation, then updates, are blocked), from the
 * "Deprecated runtimes" table of the Lambda runtimes page, plus those deprecated during 2026: nodejs20.x (Node.js
 * 20 reaches end of life on 30 April 2026) and ruby3.2. A pack config can replace the list as the page changes.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */
export const DEPRECATED_RUNTIMES: readonly string[] = [
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs18.x",
    "nodejs20.x",
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "python3.9",
    "ruby2.5",
    "ruby2.7",
    "ruby3.2",
    "java8",
    "go1.x",
    "provided",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet5.0",
    "dotnet6",
    "dotnet7",
];

export const lambdaRuntimeSupported = resourcePolicy({
    name: "lambda-runtime-supported",
    description: "Lambda functions use a runtime Lambda still supports with security patches, not a deprecated one (nodejs20.x and older).",
    remediationSteps: "Set runtime to a supported identifier (e.g. nodejs22.x) and test the function on it.",
    configSchema: {
        properties: {
            deprecatedRuntimes: {
                type: "array",
                items: { type: "string" },
                default: [...DEPRECATED_RUNTIMES],
                description:
                    "Runtime identifiers that may not be used (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).",
            },
        },
    },
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.308(a)(1)(ii)(B)", "164.308(a)(5)(ii)(B)"],
        checks: "runtime is not in deprecatedRuntimes (container-image functions carry their own runtime and are not checked)",
        resourceTypes: [T.lambdaFunction],
        docs: ["https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"],
    },
    validate: (args, report) => {
        const { deprecatedRuntimes } = args.getConfig<{ deprecatedRuntimes: string[] }>();
        const runtime = str(args.props["runtime"]);
        if (args.props["packageType"] === "Image" || runtime === undefined) {
            return args.notApplicable("no runtime: a container-image function carries its runtime in the image");
        }
        if (deprecatedRuntimes.includes(runtime)) {
            report(
                `The function uses the deprecated runtime ${runtime}, which no longer receives security patches: set runtime to a supported one (e.g. nodejs22.x).`,
            );
        }
    },
});

/** Days between rotations a schedule expression implies, when it is a `rate(...)`; cron schedules are taken as given. */
function rateDays(expression: string): number | undefined {
    const match = /^rate\((\d+)\s+(hour|hours|day|days)\)$/.exec(expression.trim());
    if (match === null) {
        return undefined;
    }
    const n = Number(match[1]);
    return match[2]!.startsWith("hour") ? n / 24 : n;
}

/**
 * A secret rotates when an aws.secretsmanager.SecretRotation names it with a schedule (since AWS provider v5 the
 * secret itself no longer carries rotation settings). AWS Config's rule takes the longest allowed interval as a
 * parameter; here it is `maximumDays`.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html
 */
export const secretsRotation = stackPolicy({
    name: "secrets-rotation-enabled",
    description: "Every Secrets Manager secret has automatic rotation (a SecretRotation with a schedule) at most maximumDays apart.",
    remediationSteps:
        "Declare an aws.secretsmanager.SecretRotation with the secret's ARN as secretId, the rotation function's ARN as rotationLambdaArn and rotationRules.automaticallyAfterDays (or a scheduleExpression) within maximumDays.",
    configSchema: {
        properties: {
            maximumDays: {
                type: "integer",
                minimum: 1,
                maximum: 1000,
                default: 90,
                description: "The longest interval between rotations, in days.",
            },
        },
    },
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)", "164.312(a)(1)"],
        checks: "Each Secret has a SecretRotation (by secretId) with rotationRules.automaticallyAfterDays or a scheduleExpression, at most maximumDays apart",
        resourceTypes: [T.secret, T.secretRotation],
        cdkNag: ["SecretsManagerRotationEnabled"],
        awsConfig: ["secretsmanager-rotation-enabled-check"],
        docs: ["https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_turn-on-for-db.html"],
    },
    validate: (args, report) => {
        const { maximumDays } = args.getConfig<{ maximumDays: number }>();
        const rotations = args.resources.filter((r) => r.type === T.secretRotation);
        for (const secret of args.resources.filter((r) => r.type === T.secret)) {
            const own = rotations.filter((r) => refersTo(r, "secretId", secret, ["arn", "id"]));
            if (own.length === 0) {
                report(
                    `${describe(secret)} does not rotate: declare an aws.secretsmanager.SecretRotation with its ARN as secretId and a schedule.`,
                    secret.urn,
                );
                continue;
            }
            for (const rotation of own) {
                const days = num(get(rotation.props, "rotationRules", "automaticallyAfterDays"));
                const expression = str(get(rotation.props, "rotationRules", "scheduleExpression"));
                const interval = days ?? (expression !== undefined ? rateDays(expression) : undefined);
                if (days === undefined && expression === undefined) {
                    report(
                        `${describe(rotation)} has no schedule: set rotationRules.automaticallyAfterDays (at most ${maximumDays}) or a scheduleExpression.`,
                        rotation.urn,
                    );
                } else if (interval !== undefined && interval > maximumDays) {
                    report(
                        `${describe(rotation)} rotates ${describe(secret)} every ${interval} days; the maximum is ${maximumDays}: shorten rotationRules.`,
                        rotation.urn,
                    );
                }
            }
        }
    },
});

/**
 * Code signing makes Lambda refuse, at deploy, code that a trusted AWS Signer profile did not sign or that was altered
 * since: with `untrustedArtifactOnDeployment: Enforce`, nobody can slip a package into a function (the one that can
 * promote the database, here) by uploading it. Container-image functions are not applicable (Lambda signs zip
 * packages only). A code-signing configuration the stack declares must enforce; one it only names is trusted.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html
 */
export const lambdaCodeSigning = stackPolicy({
    name: "lambda-code-signing-enforced",
    description:
        "Lambda functions (zip packages) have a code-signing configuration, and every code-signing configuration of the stack enforces it (untrustedArtifactOnDeployment Enforce).",
    remediationSteps:
        'Declare an aws.lambda.CodeSigningConfig with allowedPublishers.signingProfileVersionArns (an aws.signer.SigningProfile) and policies.untrustedArtifactOnDeployment "Enforce", set the function\'s codeSigningConfigArn, and deploy the package signed (aws.signer.SigningJob).',
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.312(c)(1)", "164.308(a)(5)(ii)(B)"],
        checks: "Each zip Function has codeSigningConfigArn; each CodeSigningConfig has untrustedArtifactOnDeployment Enforce",
        resourceTypes: [T.lambdaFunction, T.lambdaCodeSigningConfig],
        docs: ["https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html"],
    },
    validate: (args, report) => {
        for (const config of args.resources.filter((r) => r.type === T.lambdaCodeSigningConfig)) {
            const policy = str(get(config.props, "policies", "untrustedArtifactOnDeployment")) ?? "Warn";
            if (policy !== "Enforce") {
                report(
                    `${describe(config)} only warns on unsigned code (untrustedArtifactOnDeployment ${policy}): set policies.untrustedArtifactOnDeployment to Enforce.`,
                    config.urn,
                );
            }
        }
        for (const fn of args.resources.filter((r) => r.type === T.lambdaFunction && str(r.props["packageType"]) !== "Image")) {
            const named =
                str(fn.props["codeSigningConfigArn"]) !== undefined || (fn.propertyDependencies["codeSigningConfigArn"] ?? []).length > 0;
            if (!named) {
                report(
                    `${describe(fn)} has no code-signing configuration: set codeSigningConfigArn to an enforcing aws.lambda.CodeSigningConfig.`,
                    fn.urn,
                );
            }
        }
    },
});

export const configurationPolicies: readonly PackPolicy[] = [lambdaInsideVpc, lambdaRuntimeSupported, secretsRotation, lambdaCodeSigning];
