/**
 * The application tier's pure parts, without mocks: AWS's tables (Fargate sizes, ELB log delivery), the names the
 * config accepts, the `healthcare-dr:application` rules, and the task roles' policies.
 */
import { expect } from "chai";
import { parseStackConfig, type ConfigIssue } from "../config";
import { TARGET_HEALTH_CHECK } from "../lib/application";
import {
    albLogDeliveryStatement,
    ECR_REPOSITORY_NAME,
    ELB_LOG_DELIVERY_SERVICE,
    executionRolePolicy,
    fargateSizeProblem,
    FARGATE_CPUS,
    IMAGE_TAG_PATTERN,
    imageUri,
    isDnsName,
    taskRolePolicy,
    untaggedImageLifecyclePolicy,
} from "../lib/applicationTier";
import { actionsOf, isWildcardAction, type PolicyDocument } from "../lib/iam";

const BASE = {
    "healthcare-dr:accountId": "123456789012",
    "healthcare-dr:alerts": JSON.stringify({ emails: ["oncall@example.org"] }),
};
const APP = { repository: "clinical-portal", imageTag: "1.0.0", domainName: "app.example.org", hostedZoneId: "Z0123456789ABC" };

function parse(app: Record<string, unknown>) {
    return parseStackConfig({ ...BASE, "healthcare-dr:application": JSON.stringify(app) }, "dev");
}

function issuesOf(app: Record<string, unknown>): ConfigIssue[] {
    const result = parse(app);
    expect(result.ok, JSON.stringify(app)).to.equal(false);
    return result.ok ? [] : [...result.issues];
}

describe("application tier: pure parts", () => {
    describe("Fargate task sizes (AWS's table)", () => {
        const valid: [number, number][] = [
            [256, 512],
            [256, 2048],
            [512, 4096],
            [1024, 8192],
            [2048, 4096],
            [2048, 16384],
            [4096, 30720],
            [8192, 16384],
            [8192, 61440],
            [16384, 32768],
            [16384, 122880],
        ];
        for (const [cpu, memory] of valid) {
            it(`runs cpu ${cpu} with ${memory} MiB`, () => expect(fargateSizeProblem(cpu, memory)).to.equal(undefined));
        }
        const invalid: [number, number, RegExp][] = [
            [256, 4096, /allowed with 256: 512, 1024, 2048/],
            [512, 512, /allowed with 512: 1024, 2048, 3072, 4096/],
            [2048, 2048, /4096 to 16384 in steps of 1024/],
            [4096, 31744, /8192 to 30720 in steps of 1024/],
            [8192, 18432, /16384 to 61440 in steps of 4096/],
            [16384, 36864, /32768 to 122880 in steps of 8192/],
            [300, 512, /not a Fargate task size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384/],
        ];
        for (const [cpu, memory, message] of invalid) {
            it(`refuses cpu ${cpu} with ${memory} MiB, naming what is allowed`, () =>
                expect(fargateSizeProblem(cpu, memory)).to.match(message));
        }
        it("knows the seven CPU values", () => expect(FARGATE_CPUS).to.deep.equal([256, 512, 1024, 2048, 4096, 8192, 16384]));
    });

    describe("names", () => {
        it("accepts ECR repository names and namespaces, refuses upper case, spaces and edge separators", () => {
            for (const name of ["clinical-portal", "clinical/portal", "a1", "team.app_v2/web-ui"]) {
                expect(ECR_REPOSITORY_NAME.pattern.test(name), name).to.equal(true);
            }
            for (const name of ["Clinical", "clinical portal", "-portal", "portal-", "a//b", "/portal"]) {
                expect(ECR_REPOSITORY_NAME.pattern.test(name), name).to.equal(false);
            }
        });
        it("accepts OCI image tags, refuses a leading dot or dash and tags over 128 characters", () => {
            for (const tag of ["1.0.0", "v2", "_build-7", "a".repeat(128)]) expect(IMAGE_TAG_PATTERN.test(tag), tag).to.equal(true);
            for (const tag of [".x", "-x", "a/b", "a".repeat(129), ""]) expect(IMAGE_TAG_PATTERN.test(tag), tag).to.equal(false);
        });
        it("accepts lower-case DNS names of two labels or more", () => {
            for (const name of ["app.example.org", "app.dev.healthcare.example.org", "x1.co"]) expect(isDnsName(name), name).to.equal(true);
            for (const name of ["app", "App.example.org", "-app.example.org", "app..org", `${"a".repeat(64)}.org`, "app.123"]) {
                expect(isDnsName(name), name).to.equal(false);
            }
        });
        it("runs each region's own copy of the image", () => {
            expect(imageUri({ accountId: "123456789012", region: "eu-west-1", repository: "clinical/portal", tag: "1.0" })).to.equal(
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/clinical/portal:1.0",
            );
        });
    });

    describe("healthcare-dr:application", () => {
        it("is optional: without it the stack has no application tier", () => {
            const result = parseStackConfig(BASE, "dev");
            expect(result.ok && result.config.application).to.equal(undefined);
        });

        it("fills in the defaults: a pilot light of 2 tasks of 256/512 on 8080, scaling 2 to 6", () => {
            const result = parse(APP);
            expect(result.ok && result.config.application).to.deep.equal({
                ...APP,
                port: 8080,
                healthPath: "/health",
                cpu: 256,
                memory: 512,
                desiredCount: 2,
                standby: { mode: "pilot-light", count: 0 },
                autoscaling: { min: 2, max: 6, targetCpuPercent: 60 },
            });
        });

        it("gives a warm standby one task unless told", () => {
            const result = parse({ ...APP, standby: { mode: "warm" } });
            expect(result.ok && result.config.application?.standby).to.deep.equal({ mode: "warm", count: 1 });
        });

        it("reports every problem at once, each naming its key and what is allowed", () => {
            const issues = issuesOf({
                repository: "Clinical Portal",
                imageTag: "-1",
                port: 70000,
                healthPath: "health",
                cpu: 256,
                memory: 4096,
                desiredCount: 2,
                standby: { mode: "warm", count: 3 },
                autoscaling: { min: 3, max: 1 },
                domainName: "App",
                hostedZoneId: "z123",
            });
            const byKey = Object.fromEntries(issues.map((i) => [i.key.replace("healthcare-dr:application.", ""), i.message]));
            expect(Object.keys(byKey).sort()).to.deep.equal(
                [
                    "repository",
                    "imageTag",
                    "port",
                    "healthPath",
                    "memory",
                    "standby.count",
                    "autoscaling.min",
                    "autoscaling.max",
                    "domainName",
                    "hostedZoneId",
                ].sort(),
            );
            expect(byKey["memory"]).to.match(/allowed with 256: 512, 1024, 2048/);
            expect(byKey["standby.count"]).to.match(/from 1 to desiredCount \(2\)/);
            expect(byKey["autoscaling.min"]).to.match(/must not exceed desiredCount/);
            expect(byKey["autoscaling.max"]).to.match(/at least desiredCount/);
            expect(byKey["port"]).to.match(/1 to 65535/);
            expect(byKey["healthPath"]).to.match(/start with \//);
            expect(byKey["hostedZoneId"]).to.match(/Z followed by/);
        });

        it("refuses tasks in a pilot light, and no task in a warm standby", () => {
            expect(issuesOf({ ...APP, standby: { mode: "pilot-light", count: 1 } }).map((i) => i.key)).to.deep.equal([
                "healthcare-dr:application.standby.count",
            ]);
            expect(issuesOf({ ...APP, standby: { mode: "warm", count: 0 } })[0]!.message).to.match(/from 1 to desiredCount/);
        });

        it("refuses a CPU value Fargate does not have, and suggests a misspelt key", () => {
            expect(issuesOf({ ...APP, cpu: 300 })[0]).to.deep.include({ key: "healthcare-dr:application.cpu" });
            expect(issuesOf({ ...APP, healhPath: "/h" })[0]!.message).to.match(/did you mean healthPath/);
        });

        it("requires the repository, the tag, the domain name and the zone", () => {
            expect(issuesOf({}).map((i) => [i.key, i.message])).to.deep.equal(
                ["repository", "imageTag", "domainName", "hostedZoneId"].map((k) => [`healthcare-dr:application.${k}`, "is required"]),
            );
        });
    });

    describe("task roles (least privilege)", () => {
        const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
        const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
        const REPO = "arn:aws:ecr:eu-west-1:123456789012:repository/clinical-portal";
        const LOGS = "arn:aws:logs:eu-west-1:123456789012:log-group:tasks";
        const BUCKETS = ["arn:aws:s3:::hdr-prod-a-dr", "arn:aws:s3:::hdr-prod-b-dr"];
        const execution = executionRolePolicy({
            partition: "aws",
            region: "eu-west-1",
            repositoryArn: REPO,
            logGroupArn: LOGS,
            secretArn: SECRET,
            kmsKeyArn: KEY,
        });
        const task = taskRolePolicy({ region: "eu-west-1", secretArn: SECRET, kmsKeyArn: KEY, bucketArns: BUCKETS });
        const resourcesOf = (doc: PolicyDocument) => doc.Statement.flatMap((s) => [s.Resource ?? []].flat());

        it("names every action; no wildcard", () => {
            for (const doc of [execution, task]) {
                for (const st of doc.Statement) for (const a of actionsOf(st)) expect(isWildcardAction(a), a).to.equal(false);
            }
        });

        it("execution role: pulls only its region's repository, writes only its log group, injects only its secret", () => {
            expect(execution.Statement.map((s) => [s.Sid, actionsOf(s), s.Resource])).to.deep.equal([
                ["EcrAuthorizationTokenHasNoResourceLevelPermission", ["ecr:GetAuthorizationToken"], "*"],
                ["PullOwnRegionsImage", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], REPO],
                ["WriteTaskLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], `${LOGS}:log-stream:*`],
                ["InjectDatabaseSecret", ["secretsmanager:GetSecretValue"], SECRET],
                ["DecryptSecretThroughSecretsManager", ["kms:Decrypt"], KEY],
            ]);
            expect(execution.Statement[4]!.Condition).to.deep.equal({
                StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
            });
        });

        it("task role: its secret, its region's buckets and objects, the key through S3 and Secrets Manager; nothing else, no delete", () => {
            expect(resourcesOf(task).sort()).to.deep.equal([SECRET, KEY, ...BUCKETS, ...BUCKETS.map((b) => `${b}/*`)].sort());
            expect(resourcesOf(task)).to.not.include("*");
            const actions = task.Statement.flatMap((s) => actionsOf(s));
            expect(actions.filter((a) => /Delete/.test(a))).to.deep.equal([]);
            expect(actions).to.include.members(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "secretsmanager:GetSecretValue"]);
        });

        it("task role without buckets has no S3 statement", () => {
            const none = taskRolePolicy({ region: "eu-west-1", secretArn: SECRET, kmsKeyArn: KEY, bucketArns: [] });
            expect(none.Statement.flatMap((s) => actionsOf(s)).filter((a) => a.startsWith("s3:"))).to.deep.equal([]);
        });
    });

    describe("ALB access-log delivery (enable-access-logging.html)", () => {
        const args = { bucketArn: "arn:aws:s3:::logs", accountId: "123456789012", partition: "aws" };
        it("grants the regional ELB account in eu-west-2 and eu-west-1 (regions opened before August 2022)", () => {
            expect(albLogDeliveryStatement({ ...args, region: "eu-west-2" }).Principal).to.deep.equal({
                AWS: "arn:aws:iam::652711504416:root",
            });
            expect(albLogDeliveryStatement({ ...args, region: "eu-west-1" }).Principal).to.deep.equal({
                AWS: "arn:aws:iam::156460612806:root",
            });
        });
        it("grants the log-delivery service principal in a newer region, to this account's prefix only", () => {
            const statement = albLogDeliveryStatement({ ...args, region: "eu-central-2" });
            expect(statement.Principal).to.deep.equal({ Service: ELB_LOG_DELIVERY_SERVICE });
            expect(statement.Resource).to.equal("arn:aws:s3:::logs/alb/AWSLogs/123456789012/*");
        });
    });

    it("keeps untagged images for a bounded time only", () => {
        const policy = JSON.parse(untaggedImageLifecyclePolicy(14)) as { rules: { selection: Record<string, unknown>; action: unknown }[] };
        expect(policy.rules).to.have.length(1);
        expect(policy.rules[0]!.selection).to.deep.include({ tagStatus: "untagged", countType: "sinceImagePushed", countNumber: 14 });
    });

    it("checks targets often enough for the recovery budget: interval × healthy threshold is 20 s", () => {
        expect(TARGET_HEALTH_CHECK.intervalSeconds * TARGET_HEALTH_CHECK.healthyThreshold).to.equal(20);
        expect(TARGET_HEALTH_CHECK.timeoutSeconds).to.be.below(TARGET_HEALTH_CHECK.intervalSeconds);
    });
});
