/**
 * Secure configuration of the program's compute and credentials: functions run inside the VPC (HIPAA 164.312(a)(1)
 * access control, 164.312(e)(1) transmission security) on a runtime that still receives security patches
 * (164.308(a)(1)(ii)(B) risk management), and secrets rotate (164.308(a)(4)(ii)(B) access authorization). The
 * application tier: load balancers drop invalid headers, images are scanned, immutable and kept while a standby
 * region may need them, task definitions are hardened, and production has no ECS Exec.
 */
import { containerLabel, parseContainerDefinitions, runsAsRoot } from "./lib/containers";
import { isApplicationLoadBalancer } from "./lib/loadBalancers";
import { decidedAtUpdate, resourcePolicy, stackPolicy, type PackPolicy } from "./lib/policy";
import { describe, effectiveTags, isProtectedEnvironment, protectedEnvironmentsSchema, refersTo, regionOf } from "./lib/resources";
import { T } from "./lib/types";
import { entries, get, isSet, isTrue, num, objectOf, records, str } from "./lib/values";

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

/**
 * An Application Load Balancer passes headers with invalid field names to the targets unless told to drop them;
 * dropping them closes a request-smuggling and header-injection path to the application.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes
 */
export const albDropInvalidHeaderFields = resourcePolicy({
    name: "alb-drop-invalid-header-fields",
    description:
        "Application Load Balancers drop HTTP headers with invalid field names (dropInvalidHeaderFields) instead of passing them to the targets.",
    remediationSteps: "Set dropInvalidHeaderFields to true on the load balancer.",
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.312(e)(1)", "164.312(e)(2)(i)", "164.312(c)(1)"],
        checks: "Application LoadBalancer dropInvalidHeaderFields is true",
        resourceTypes: [T.lb, T.alb],
        cdkNag: ["ALBHttpDropInvalidHeaderEnabled"],
        awsConfig: ["alb-http-drop-invalid-header-enabled"],
        docs: [
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes",
        ],
    },
    validate: ({ props, notApplicable }, report) => {
        if (!isApplicationLoadBalancer(props)) {
            return notApplicable("not an Application Load Balancer");
        }
        if (!isTrue(props["dropInvalidHeaderFields"])) {
            report(
                "The load balancer passes headers with invalid field names to its targets (the default): set dropInvalidHeaderFields to true.",
            );
        }
    },
});

const ECR_SCANNING_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-basic.html";

/**
 * Every image pushed is scanned for known vulnerabilities (basic scanning; an account's enhanced scanning with
 * Amazon Inspector supersedes the repository setting), so a vulnerable image is seen before a failover runs it.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-basic.html
 */
export const ecrScanOnPush = resourcePolicy({
    name: "ecr-scan-on-push",
    description: "ECR repositories scan every image on push (imageScanningConfiguration.scanOnPush).",
    remediationSteps: "Set imageScanningConfiguration: { scanOnPush: true } on the repository.",
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.308(a)(5)(ii)(B)", "164.308(a)(1)(ii)(B)"],
        checks: "Repository imageScanningConfiguration.scanOnPush is true",
        resourceTypes: [T.ecrRepository],
        awsConfig: ["ecr-private-image-scanning-enabled"],
        docs: [ECR_SCANNING_DOC],
    },
    validate: ({ props }, report) => {
        if (!isTrue(get(props, "imageScanningConfiguration", "scanOnPush"))) {
            report("The repository does not scan images on push: set imageScanningConfiguration.scanOnPush to true.");
        }
    },
});

/**
 * With immutable tags a tag names one image for ever: the task definitions of both regions run the tag the stack
 * configures, and nobody can push another image under it (a replaced image would reach the DR region by replication
 * and start there on the next failover, unreviewed).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
 */
export const ecrTagsImmutable = resourcePolicy({
    name: "ecr-tags-immutable",
    description: "ECR repositories make image tags immutable (imageTagMutability IMMUTABLE), so a tag names one image for ever.",
    remediationSteps: 'Set imageTagMutability to "IMMUTABLE" on the repository (and push a new tag for each build).',
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.312(c)(1)", "164.308(a)(5)(ii)(B)"],
        checks: "Repository imageTagMutability is IMMUTABLE",
        resourceTypes: [T.ecrRepository],
        awsConfig: ["ecr-private-tag-immutability-enabled"],
        docs: ["https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html"],
    },
    validate: ({ props }, report) => {
        const mutability = str(props["imageTagMutability"]) ?? "MUTABLE";
        if (mutability !== "IMMUTABLE") {
            report(`The repository's image tags are ${mutability}: set imageTagMutability to IMMUTABLE.`);
        }
    },
});

/**
 * The rules of a lifecycle policy that expire tagged images by age. A pilot-light region runs no task for months, and
 * the image its task definition names must still be there when a failover scales it out: expire untagged images by
 * age, and tagged ones by count only (imageCountMoreThan), never by age.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
 */
export function expiresTaggedImagesByAge(policy: unknown): string[] {
    const document = objectOf(policy);
    return records(document?.["rules"])
        .filter((rule) => {
            const selection = rule["selection"];
            return (str(get(selection, "tagStatus")) ?? "any") !== "untagged" && str(get(selection, "countType")) === "sinceImagePushed";
        })
        .map((rule) => `rule ${String(rule["rulePriority"] ?? "?")}`);
}

export const ecrLifecyclePolicy = stackPolicy({
    name: "ecr-lifecycle-policy",
    description:
        "Every ECR repository has a lifecycle policy (old images do not pile up unscanned), and it never expires tagged images by age: the image a standby region's task definition names must still be there at a failover.",
    remediationSteps:
        'Declare an aws.ecr.LifecyclePolicy for the repository (repository: its name) that expires untagged images after a few days (tagStatus "untagged", countType "sinceImagePushed") and keeps the last N tagged images (countType "imageCountMoreThan").',
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.308(a)(1)(ii)(B)", "164.308(a)(7)(ii)(C)"],
        checks: "Each Repository has a LifecyclePolicy of its region whose repository refers to it; no rule with tagStatus other than untagged uses countType sinceImagePushed",
        resourceTypes: [T.ecrRepository, T.ecrLifecyclePolicy],
        awsConfig: ["ecr-private-lifecycle-policy-configured"],
        docs: ["https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html"],
    },
    validate: ({ resources }, report) => {
        const policies = resources.filter((r) => r.type === T.ecrLifecyclePolicy);
        for (const repository of resources.filter((r) => r.type === T.ecrRepository)) {
            // Repository names are regional: the same name in both regions (replication) is two repositories.
            const region = regionOf(repository.props, repository.provider);
            const own = policies.filter(
                (p) => refersTo(p, "repository", repository, ["name", "id"]) && regionOf(p.props, p.provider) === region,
            );
            if (own.length === 0) {
                report(
                    `${describe(repository)} has no lifecycle policy: declare an aws.ecr.LifecyclePolicy that expires untagged images and keeps the last N tagged ones.`,
                    repository.urn,
                );
            }
            for (const policy of own) {
                const rules = expiresTaggedImagesByAge(policy.props["policy"]);
                if (rules.length > 0) {
                    report(
                        `${describe(policy)} expires tagged images of ${describe(repository)} by age (${rules.join(", ")}): the image a standby region runs could be gone at a failover; expire tagged images by count (imageCountMoreThan) only.`,
                        policy.urn,
                    );
                }
            }
        }
    },
});

const ECS_TASK_DOCS = [
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/security-tasks-containers.html",
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html",
];

/** Why one container of a task definition is not hardened, as messages. */
export function containerProblems(container: Readonly<Record<string, unknown>>, index: number, networkMode: string | undefined): string[] {
    const label = containerLabel(container, index);
    const problems: string[] = [];
    if (isTrue(container["privileged"])) {
        problems.push(`${label} is privileged (root on the host): remove privileged`);
    }
    if (!isTrue(container["readonlyRootFilesystem"])) {
        problems.push(
            `${label} can write to its root file system: set readonlyRootFilesystem to true (mount a volume where it must write)`,
        );
    }
    const logDriver = str(get(container, "logConfiguration", "logDriver"));
    if (logDriver !== "awslogs") {
        problems.push(
            `${label} ${logDriver === undefined ? "has no logConfiguration" : `logs with ${logDriver}`}: set logConfiguration { logDriver: "awslogs", options: { "awslogs-group", "awslogs-region", "awslogs-stream-prefix" } } to the region's KMS-encrypted log group`,
        );
    } else if (!isSet(get(container, "logConfiguration", "options", "awslogs-group"))) {
        problems.push(`${label} logs with awslogs but names no log group: set logConfiguration.options["awslogs-group"]`);
    }
    if (networkMode === "host" && runsAsRoot(container["user"])) {
        problems.push(`${label} runs as root in host network mode: set user to a non-root user (or use awsvpc network mode)`);
    }
    return problems;
}

export const ecsTaskDefinitionHardened = resourcePolicy({
    name: "ecs-task-definition-hardened",
    description:
        "ECS task definitions run with a task role, and every container is unprivileged, has a read-only root file system, logs to CloudWatch Logs (awslogs) and, in host network mode, runs as a non-root user. Container definitions built from ARNs or URLs of resources not created yet are unknown in a first preview: pulumi up judges them before creating the task definition.",
    remediationSteps:
        'Set taskRoleArn to the application\'s own role; in each container definition leave privileged unset, set readonlyRootFilesystem: true and logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": <log group>, "awslogs-region": <region>, "awslogs-stream-prefix": <prefix> } }.',
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.312(a)(1)", "164.308(a)(4)(ii)(B)", "164.312(b)", "164.312(c)(1)"],
        checks: "TaskDefinition taskRoleArn set; each container: privileged not true, readonlyRootFilesystem true, logConfiguration.logDriver awslogs with an awslogs-group, user not root in host network mode",
        resourceTypes: [T.ecsTaskDefinition],
        cdkNag: ["ECSTaskDefinitionUserForHostMode"],
        awsConfig: [
            "ecs-task-definition-user-for-host-mode-check",
            "ecs-containers-nonprivileged",
            "ecs-containers-readonly-access",
            "ecs-task-definition-log-configuration",
        ],
        docs: ECS_TASK_DOCS,
        atPreview:
            "Container definitions the program builds from outputs of resources not created yet (the repository URL of the image, the log group's name) are one unknown value in a first preview: what the containers run as cannot be read until those resources exist. The task role is checked at preview; pulumi up judges the containers before creating the task definition, so an unhardened container never gets a task definition.",
    },
    validate: ({ props, notApplicable }, report) => {
        // A role ARN unknown at preview is the output of a role this stack creates.
        if (!isSet(props["taskRoleArn"])) {
            report(
                "The task definition has no task role, so its containers have no AWS identity of their own (and credentials end up in the image or the environment): set taskRoleArn to the application's role.",
            );
        }
        const parsed = parseContainerDefinitions(props["containerDefinitions"]);
        if (!parsed.ok && "unknown" in parsed) {
            notApplicable(decidedAtUpdate("the container definitions are built from values not known yet"));
        }
        if (!parsed.ok) {
            report(`The task definition's containerDefinitions ${parsed.error}.`);
            return;
        }
        const networkMode = str(props["networkMode"]);
        parsed.containers.forEach((container, i) => {
            for (const problem of containerProblems(container, i, networkMode)) {
                report(`In the task definition, ${problem}.`);
            }
        });
    },
});

/**
 * ECS Exec opens a shell inside a running container, where the application's credentials and patient data are. In
 * production nobody should need it (the logs and the metrics are the way in); dev may use it to debug.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html
 */
export const ecsExecDisabled = resourcePolicy({
    name: "ecs-exec-disabled-in-protected-environments",
    description:
        "In protected environments (prod), ECS services do not enable ECS Exec (enableExecuteCommand), which opens a shell inside the containers.",
    remediationSteps: "Leave enableExecuteCommand unset (false) on the service when the stack is protected.",
    configSchema: protectedEnvironmentsSchema("services must not allow ECS Exec"),
    metadata: {
        concern: "secure-configuration",
        hipaa: ["164.312(a)(1)", "164.308(a)(3)(i)", "164.308(a)(4)(ii)(B)"],
        checks: "In protected environments: Service enableExecuteCommand is not true",
        resourceTypes: [T.ecsService],
        docs: ["https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html"],
    },
    validate: (args, report) => {
        const { protectedEnvironments } = args.getConfig<{ protectedEnvironments: string[] }>();
        if (!isProtectedEnvironment(args.urn, effectiveTags(args.props, args.provider), protectedEnvironments)) {
            return args.notApplicable("not a protected environment");
        }
        if (isTrue(args.props["enableExecuteCommand"])) {
            report(
                "The service allows ECS Exec (a shell inside its containers) in a protected environment: set enableExecuteCommand to false.",
            );
        }
    },
});

export const configurationPolicies: readonly PackPolicy[] = [
    lambdaInsideVpc,
    lambdaRuntimeSupported,
    secretsRotation,
    lambdaCodeSigning,
    albDropInvalidHeaderFields,
    ecrScanOnPush,
    ecrTagsImmutable,
    ecrLifecyclePolicy,
    ecsTaskDefinitionHardened,
    ecsExecDisabled,
];
