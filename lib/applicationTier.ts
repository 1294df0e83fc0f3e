/**
 * Pure helpers of the application tier (components/ApplicationTier.ts, components/ImageRepository.ts and the
 * `healthcare-dr:application` validation): AWS's own tables (Fargate sizes, ECR naming, ELB log delivery), the image
 * each region runs, and the IAM documents of the task roles. Tested without mocks (tests/application-lib.test.ts).
 */
import { policyDocument, type PolicyDocument, type PolicyStatement } from "./iam";

/**
 * The task sizes Fargate runs (Linux): CPU units → the memory values (MiB) allowed with them. 8 and 16 vCPU need
 * platform version 1.4.0 or later (the services run 1.4.0).
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
 */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

/** The CPU values Fargate accepts, ascending. */
export const FARGATE_CPUS: readonly number[] = Object.keys(FARGATE_SIZES)
    .map(Number)
    .sort((a, b) => a - b);

function range(from: number, to: number, step: number): number[] {
    const out: number[] = [];
    for (let v = from; v <= to; v += step) out.push(v);
    return out;
}

/** What is wrong with a Fargate task size (`undefined` when Fargate runs it), naming what is allowed. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
    const allowed = FARGATE_SIZES[cpu];
    if (allowed === undefined) {
        return `cpu ${cpu} is not a Fargate task size; allowed: ${FARGATE_CPUS.join(", ")}`;
    }
    if (!allowed.includes(memory)) {
        return `Fargate does not run ${memory} MiB with cpu ${cpu}; allowed with ${cpu}: ${describeMemory(allowed)}`;
    }
    return undefined;
}

function describeMemory(values: readonly number[]): string {
    if (values.length <= 7) return values.join(", ");
    return `${values[0]} to ${values[values.length - 1]} in steps of ${values[1]! - values[0]!}`;
}

/**
 * ECR repository names: 2 to 256 characters, lower-case, components of letters and digits separated by `.`, `_`
 * or `-`, optionally namespaced with `/`.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html#ECR-CreateRepository-request-repositoryName
 */
export const ECR_REPOSITORY_NAME = {
    pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    minLength: 2,
    maxLength: 256,
} as const;

/**
 * Image tags: what the OCI distribution spec (and so `docker push`) accepts, within ECR's 300-character limit: a
 * letter, digit or `_`, then up to 127 letters, digits, `_`, `.` or `-`.
 * @see https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageIdentifier.html
 */
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * A public DNS name for the application: at least two labels of letters, digits and inner hyphens, each at most 63
 * characters, at most 253 in all, lower case (ACM and Route 53 store names in lower case).
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html
 */
export function isDnsName(name: string): boolean {
    const labels = name.split(".");
    return (
        name.length <= 253 &&
        labels.length >= 2 &&
        labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) &&
        /[a-z]/.test(labels[labels.length - 1]!)
    );
}

/** A Route 53 hosted zone id: `Z` and upper-case letters and digits. */
export const HOSTED_ZONE_ID_PATTERN = /^Z[A-Z0-9]{1,31}$/;

/** The image a region's task definition runs: that region's own copy (the replica in the other region). */
export function imageUri(args: { accountId: string; region: string; repository: string; tag: string }): string {
    return `${args.accountId}.dkr.ecr.${args.region}.amazonaws.com/${args.repository}:${args.tag}`;
}

/** The ARN of a repository, from its name (known before it exists). */
export function repositoryArn(args: { partition: string; accountId: string; region: string; repository: string }): string {
    return `arn:${args.partition}:ecr:${args.region}:${args.accountId}:repository/${args.repository}`;
}

/**
 * The prefix every CloudWatch Logs destination of AWS WAF logging must have.
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
 */
export const WAF_LOG_GROUP_PREFIX = "aws-waf-logs-";

/**
 * Requests one client address may make in the rate rule's window (five minutes) before WAF blocks it. 2000 in five
 * minutes is about 7 a second, sustained: far above a clinician's browser, well below a scripted scan.
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
 */
export const WAF_RATE_LIMIT = { limit: 2000, evaluationWindowSeconds: 300 } as const;

/**
 * The AWS managed rule groups on every ALB, in the order WAF evaluates them (after the rate rule).
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
 */
export const WAF_MANAGED_RULE_GROUPS = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
] as const;

/** Headers WAF logs must not keep: credentials and session cookies. */
export const WAF_REDACTED_HEADERS = ["authorization", "cookie"] as const;

/**
 * The AWS accounts that deliver Application Load Balancer access logs in the regions opened before August 2022
 * (those grant the account; regions opened since grant `logdelivery.elasticloadbalancing.amazonaws.com`).
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
};

/** The service principal that delivers ALB access logs in the regions opened since August 2022. */
export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/** The key prefix of the ALB access logs in the region's access-log bucket (apart from the S3 server access logs). */
export const ALB_LOG_PREFIX = "alb";

/**
 * The bucket-policy statement that lets Elastic Load Balancing write this account's ALB access logs under
 * `ALB_LOG_PREFIX`: the region's ELB account where AWS documents one, the log-delivery service principal elsewhere.
 * Only SSE-S3 is supported on the bucket (the access-log bucket's default), which is why the logs do not go to a
 * KMS-encrypted bucket.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
export function albLogDeliveryStatement(args: {
    bucketArn: string;
    accountId: string;
    partition: string;
    region: string;
}): PolicyStatement {
    const account = ELB_LOG_DELIVERY_ACCOUNTS[args.region];
    return {
        Sid: "AllowAlbAccessLogDelivery",
        Effect: "Allow",
        Principal: account !== undefined ? { AWS: `arn:${args.partition}:iam::${account}:root` } : { Service: ELB_LOG_DELIVERY_SERVICE },
        Action: "s3:PutObject",
        Resource: `${args.bucketArn}/${ALB_LOG_PREFIX}/AWSLogs/${args.accountId}/*`,
    };
}

/**
 * ECR actions a task's execution role needs to pull its image (the pull actions of AmazonECSTaskExecutionRolePolicy,
 * on the one repository).
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
 */
export const IMAGE_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] as const;

export interface ExecutionRoleArgs {
    readonly partition: string;
    readonly region: string;
    /** The region's copy of the repository. */
    readonly repositoryArn: string;
    /** The task's log group (awslogs driver). */
    readonly logGroupArn: string;
    /** The master secret as this region holds it, injected as the container's `secrets`. */
    readonly secretArn: string;
    /** The region's key, which encrypts the secret. */
    readonly kmsKeyArn: string;
}

/**
 * The execution role: what ECS itself does for the task before it starts (pull the image, write the logs, read the
 * secret it injects). Nothing the application does runs with it.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
 */
export function executionRolePolicy(a: ExecutionRoleArgs): PolicyDocument {
    return policyDocument([
        {
            // GetAuthorizationToken has no resource-level permission: the service authorization reference lists `*`.
            // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
            Sid: "EcrAuthorizationTokenHasNoResourceLevelPermission",
            Effect: "Allow",
            Action: "ecr:GetAuthorizationToken",
            Resource: "*",
        },
        { Sid: "PullOwnRegionsImage", Effect: "Allow", Action: [...IMAGE_PULL_ACTIONS], Resource: a.repositoryArn },
        {
            Sid: "WriteTaskLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${a.logGroupArn}:log-stream:*`,
        },
        { Sid: "InjectDatabaseSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: a.secretArn },
        {
            Sid: "DecryptSecretThroughSecretsManager",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: a.kmsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${a.region}.amazonaws.com` } },
        },
    ]);
}

export interface TaskRoleArgs {
    readonly region: string;
    /** The master secret as this region holds it. */
    readonly secretArn: string;
    /** The region's data buckets (the replicated pair's copy in this region). */
    readonly bucketArns: readonly string[];
    /** The region's key, which encrypts the buckets and the secret. */
    readonly kmsKeyArn: string;
}

/** What the application may do on its own behalf: the object and KMS actions of `taskRolePolicy`. */
export const TASK_BUCKET_ACTIONS = { bucket: ["s3:ListBucket"], objects: ["s3:GetObject", "s3:PutObject"] } as const;

/**
 * The task role: the application reads its database secret and reads and writes its region's data buckets (SSE-KMS
 * with the region's key, so Decrypt and GenerateDataKey through S3 and Secrets Manager only). No delete: objects are
 * versioned and retained; removing patient data is an operator's act, not the application's.
 */
export function taskRolePolicy(a: TaskRoleArgs): PolicyDocument {
    const statements: PolicyStatement[] = [
        { Sid: "ReadDatabaseSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: a.secretArn },
        {
            Sid: "UseRegionsKeyThroughS3AndSecretsManager",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: a.kmsKeyArn,
            Condition: {
                StringEquals: { "kms:ViaService": [`s3.${a.region}.amazonaws.com`, `secretsmanager.${a.region}.amazonaws.com`] },
            },
        },
    ];
    if (a.bucketArns.length > 0) {
        statements.push(
            { Sid: "ListRegionsDataBuckets", Effect: "Allow", Action: [...TASK_BUCKET_ACTIONS.bucket], Resource: [...a.bucketArns] },
            {
                Sid: "ReadWriteRegionsDataObjects",
                Effect: "Allow",
                Action: [...TASK_BUCKET_ACTIONS.objects],
                Resource: a.bucketArns.map((arn) => `${arn}/*`),
            },
        );
    }
    return policyDocument(statements);
}

/**
 * The ECR lifecycle policy: untagged images (layers of superseded builds, failed pushes) expire after `untaggedDays`;
 * tagged images are kept, since a tag may be what a task definition in either region still runs.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html
 */
export function untaggedImageLifecyclePolicy(untaggedDays: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images after ${untaggedDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedDays },
                action: { type: "expire" },
            },
        ],
    });
}
