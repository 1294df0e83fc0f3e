/**
 * The FailoverOrchestrator component as the dev and prod stacks plan it, its IAM policy, the recovery budget, the
 * failover config keys and the on-call CLI's argument handling.
 */
import { expect } from "chai";
import { parseStackConfig } from "../config";
import { alarmPattern } from "../components/FailoverOrchestrator";
import {
    auroraIdentifiers,
    FAILOVER_PARAMETERS,
    failoverParameterPath,
    lockTableName,
    orchestratorFunctionName,
    ORCHESTRATOR_ENV,
    ORCHESTRATOR_TIMEOUT_SECONDS,
    HEALTH_CHECK_ALARM,
    ORCHESTRATOR_RESERVED_CONCURRENCY,
    orchestrationDeadlineSeconds,
    peerDownAlarmName,
    ROUTE53_METRICS_REGION,
    AFTERCARE_SCHEDULE,
    aftercareRuleName,
    RUNS_TABLE_KEYS,
    runsTableName,
    writerRecordName,
} from "../lib/failover";
import { HIPAA_RETENTION_DAYS, RUN_REPORT_DATA_CLASSIFICATION } from "../lib/runReports";
import { actionsOf, isWildcardAction, type PolicyDocument } from "../lib/iam";
import {
    AURORA_PROMOTION_SECONDS,
    databaseRpoText,
    healthCheckDetectionSeconds,
    recoveryBudget,
    rpoBudgetText,
    S3_RTC_SECONDS,
    scheduleIntervalSeconds,
} from "../lib/recoveryBudget";
import { COPY_SCHEDULE } from "../lib/backup";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { toItem } from "../orchestrator/src/lock";
import { buildEvent, invoke, parseFailoverArgs, reportFollowed } from "../tools/failover";
import { parseEvent } from "../orchestrator/src/events";
import type { PlannedResource, ProgramRun } from "./harness/program";
import { heartbeatAlarmName, heartbeatDetectionSeconds } from "../lib/heartbeat";
import { planStack, resourceNamed, resourcesOfType, STACKS } from "./harness/stacks";
import * as aws from "@pulumi/aws";
import { FailoverOrchestrator, type FailoverOrchestratorApplicationArgs } from "../components/FailoverOrchestrator";
import { loadStackConfig } from "../config";
import { activeRegionParameterName, applicationCountProblems, lockTableArn } from "../lib/failover";
import { APPLICATION_PARAMETERS, BEACON_SCHEDULE, beaconRuleName } from "../lib/application";
import { orchestratorPolicy, type OrchestratorPolicyArgs } from "../lib/failoverPolicy";
import { toJson } from "../lib/iam";
import { readStackFile, runProgram, stackFilePath } from "./harness/program";

const T = {
    fn: "aws:lambda/function:Function",
    table: "aws:dynamodb/table:Table",
    queue: "aws:sqs/queue:Queue",
    logs: "aws:cloudwatch/logGroup:LogGroup",
    policy: "aws:iam/rolePolicy:RolePolicy",
    role: "aws:iam/role:Role",
    health: "aws:route53/healthCheck:HealthCheck",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    rule: "aws:cloudwatch/eventRule:EventRule",
    target: "aws:cloudwatch/eventTarget:EventTarget",
    param: "aws:ssm/parameter:Parameter",
    record: "aws:route53/record:Record",
    zone: "aws:route53/zone:Zone",
};

const MINIMAL = { "healthcare-dr:accountId": "123456789012", "healthcare-dr:alerts": '{"emails":["oncall@example.org"]}' };

/** What the orchestrator may declare in us-east-1: the detection path's control plane, nothing that stores data. */
const US_EAST_1_TYPES: readonly string[] = [T.alarm, T.rule, T.target, T.role, T.policy];
const onGlobalProvider = (r: PlannedResource) => r.provider?.endsWith("::pulumi:providers:aws::global") === true;
const componentOf = (run: ProgramRun, cell: "primary" | "dr") =>
    run.resources.find((r) => r.type === "healthcare:dr:FailoverOrchestrator" && r.name === `${cell}-failover`)!;

type Cell = "primary" | "dr";
const CELLS: readonly Cell[] = ["primary", "dr"];
const regionOf = (run: { config: { primaryRegion: string; drRegion: string } }, cell: Cell) =>
    cell === "primary" ? run.config.primaryRegion : run.config.drRegion;
const peerOf = (cell: Cell): Cell => (cell === "primary" ? "dr" : "primary");

describe("FailoverOrchestrator", () => {
    for (const stack of STACKS) {
        describe(`stack ${stack}`, () => {
            for (const cell of CELLS) {
                describe(`the ${cell} region's orchestrator`, () => {
                    const n = (suffix: string) => `${cell}-failover-${suffix}`;

                    it("runs the bundled orchestrator on Node.js 22 in its own region, with room for the on-call CLI next to the alarm runs", async () => {
                        const run = await planStack(stack);
                        const fn = resourceNamed(run, T.fn, n("function"));
                        expect(fn.region).to.equal(regionOf(run, cell));
                        expect(fn.inputs).to.include({
                            name: orchestratorFunctionName(stack),
                            runtime: "nodejs22.x",
                            handler: "index.handler",
                            reservedConcurrentExecutions: ORCHESTRATOR_RESERVED_CONCURRENCY,
                            timeout: ORCHESTRATOR_TIMEOUT_SECONDS,
                        });
                    });

                    it("deploys only code signed by the stack's Signer profile (enforced) and traces every invocation with X-Ray", async () => {
                        const run = await planStack(stack);
                        const fn = resourceNamed(run, T.fn, n("function"));
                        expect(fn.inputs["code"]).to.equal(undefined);
                        expect(fn.inputs["tracingConfig"]).to.deep.equal({ mode: "Active" });
                        const job = resourceNamed(run, "aws:signer/signingJob:SigningJob", n("code-signing"));
                        const signed = (job.state["signedObjects"] as { s3s: { bucket: string; key: string }[] }[])[0]!.s3s[0]!;
                        expect(fn.inputs).to.include({ s3Bucket: signed.bucket, s3Key: signed.key });
                        const profile = resourceNamed(run, "aws:signer/signingProfile:SigningProfile", n("code-profile"));
                        expect(profile.inputs["platformId"]).to.equal("AWSLambda-SHA384-ECDSA");
                        expect(profile.inputs["name"]).to.match(/^[A-Za-z0-9_]{2,64}$/);
                        expect(job.inputs["profileName"]).to.equal(profile.state["name"]);
                        const unsigned = resourceNamed(run, "aws:s3/bucketObjectv2:BucketObjectv2", n("code-unsigned"));
                        expect(job.inputs["source"]).to.deep.equal({
                            s3: {
                                bucket: unsigned.inputs["bucket"],
                                key: unsigned.state["key"] ?? unsigned.inputs["key"],
                                version: unsigned.state["versionId"],
                            },
                        });
                        const config = resourceNamed(run, "aws:lambda/codeSigningConfig:CodeSigningConfig", n("code-config"));
                        expect(config.inputs["policies"]).to.deep.equal({ untrustedArtifactOnDeployment: "Enforce" });
                        expect(config.inputs["allowedPublishers"]).to.deep.equal({
                            signingProfileVersionArns: [profile.state["versionArn"]],
                        });
                        expect(fn.inputs["codeSigningConfigArn"]).to.equal(config.state["arn"]);
                        for (const r of [profile, job, unsigned, config]) expect(r.region, r.name).to.equal(regionOf(run, cell));
                        const tracing = JSON.parse(resourceNamed(run, T.policy, n("tracing")).inputs["policy"] as string) as {
                            Statement: { Action: string[]; Resource: string }[];
                        };
                        expect(tracing.Statement.flatMap((st) => st.Action)).to.deep.equal([
                            "xray:PutTraceSegments",
                            "xray:PutTelemetryRecords",
                        ]);
                        expect(fn.options.dependsOn).to.include(resourceNamed(run, T.policy, n("tracing")).urn);
                    });

                    it("encrypts the environment with its region's key and names the lock table and environment in it", async () => {
                        const run = await planStack(stack);
                        const fn = resourceNamed(run, T.fn, n("function"));
                        expect(fn.inputs["kmsKeyArn"]).to.equal(resourceNamed(run, "aws:kms/key:Key", `${cell}-key`).state["arn"]);
                        const variables = (fn.inputs["environment"] as { variables: Record<string, string> }).variables;
                        expect(variables).to.include({
                            [ORCHESTRATOR_ENV.environment]: run.config.environment,
                            [ORCHESTRATOR_ENV.lockTable]: lockTableName(stack),
                        });
                    });

                    it("places the function in its region's private subnets with a KMS-encrypted dead-letter queue", async () => {
                        const run = await planStack(stack);
                        const fn = resourceNamed(run, T.fn, n("function"));
                        const vpc = fn.inputs["vpcConfig"] as { subnetIds: string[]; securityGroupIds: string[] };
                        expect(vpc.subnetIds).to.have.length(run.config.network.azCount);
                        expect(vpc.securityGroupIds).to.have.length(1);
                        const dlq = resourceNamed(run, T.queue, n("dlq"));
                        expect((fn.inputs["deadLetterConfig"] as { targetArn: string }).targetArn).to.equal(dlq.state["arn"]);
                        expect(dlq.inputs["kmsMasterKeyId"]).to.equal(resourceNamed(run, "aws:kms/key:Key", `${cell}-key`).state["arn"]);
                    });

                    it("logs as JSON to a KMS-encrypted log group with the configured retention", async () => {
                        const run = await planStack(stack);
                        const logs = resourceNamed(run, T.logs, n("logs"));
                        expect(logs.inputs["retentionInDays"]).to.equal(run.config.logging.retentionDays);
                        expect(logs.inputs["kmsKeyId"])
                            .to.be.a("string")
                            .and.match(new RegExp(`^arn:aws:kms:${regionOf(run, cell)}:`));
                        expect(resourceNamed(run, T.fn, n("function")).inputs["loggingConfig"]).to.include({ logFormat: "JSON" });
                    });

                    it("keeps the lock in a DynamoDB table encrypted with its region's key, with point-in-time recovery", async () => {
                        const run = await planStack(stack);
                        const table = resourceNamed(run, T.table, n("lock"));
                        expect(table.region).to.equal(regionOf(run, cell));
                        expect(table.inputs).to.include({
                            name: lockTableName(stack),
                            hashKey: "lockId",
                            deletionProtectionEnabled: run.config.protect,
                        });
                        expect(table.inputs["serverSideEncryption"]).to.deep.include({ enabled: true });
                        expect(table.inputs["pointInTimeRecovery"]).to.deep.equal({ enabled: true });
                    });

                    it("keeps its run records in its own runs table: on-demand, its region's key, point-in-time recovery, protected in prod", async () => {
                        const run = await planStack(stack);
                        const table = resourceNamed(run, T.table, n("runs"));
                        expect(table.region).to.equal(regionOf(run, cell));
                        expect(table.inputs).to.include({
                            name: runsTableName(stack),
                            billingMode: "PAY_PER_REQUEST",
                            hashKey: RUNS_TABLE_KEYS.partition,
                            rangeKey: RUNS_TABLE_KEYS.sort,
                            deletionProtectionEnabled: run.config.protect,
                        });
                        const keys = run.outputs["kmsKeyArns"] as Record<Cell, string>;
                        expect(table.inputs["serverSideEncryption"]).to.deep.equal({ enabled: true, kmsKeyArn: keys[cell] });
                        expect(table.inputs["pointInTimeRecovery"]).to.deep.equal({ enabled: true });
                        expect(table.options).to.include({ protect: run.config.protect, retainOnDelete: run.config.protect });
                    });

                    it("writes its reports to an Object-Locked bucket of its region: COMPLIANCE for six years in prod, GOVERNANCE for a day in dev", async () => {
                        const run = await planStack(stack);
                        const name = n("reports");
                        const of = (type: string) => resourceNamed(run, `aws:s3/${type}`, name);
                        const bucket = of("bucket:Bucket");
                        expect(bucket.region).to.equal(regionOf(run, cell));
                        // Object Lock can only be enabled when the bucket is created.
                        expect(bucket.inputs).to.include({ objectLockEnabled: true, forceDestroy: !run.config.protect });
                        expect(bucket.inputs["bucketPrefix"]).to.equal(`hdr-${stack}-run-reports-${regionOf(run, cell)}-`);
                        expect(bucket.inputs["tags"]).to.deep.include({ DataClassification: RUN_REPORT_DATA_CLASSIFICATION });
                        expect(bucket.options).to.include({ protect: run.config.protect, retainOnDelete: run.config.protect });
                        expect(of("bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs["rule"]).to.deep.equal({
                            defaultRetention: run.config.protect
                                ? { mode: "COMPLIANCE", days: HIPAA_RETENTION_DAYS }
                                : { mode: "GOVERNANCE", days: 1 },
                        });
                        const keys = run.outputs["kmsKeyArns"] as Record<Cell, string>;
                        const sse = of("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
                        expect((sse.inputs["rules"] as Record<string, unknown>[])[0]).to.deep.include({
                            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keys[cell] },
                            bucketKeyEnabled: true,
                        });
                        expect(of("bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]).to.deep.equal({
                            status: "Enabled",
                        });
                        expect(of("bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.include({
                            blockPublicAcls: true,
                            blockPublicPolicy: true,
                            ignorePublicAcls: true,
                            restrictPublicBuckets: true,
                        });
                        const policy = JSON.parse(String(of("bucketPolicy:BucketPolicy").inputs["policy"])) as PolicyDocument;
                        expect(policy.Statement.map((x) => x.Sid)).to.include.members([
                            "DenyInsecureTransport",
                            "DenyUploadsWithAnotherKmsKey",
                        ]);
                        // Server access logs to the region's SSE-S3 log bucket (a log target cannot have Object Lock).
                        const logs = run.outputs["accessLogBuckets"] as Record<Cell, string>;
                        expect(of("bucketLogging:BucketLogging").inputs).to.include({
                            targetBucket: logs[cell],
                            targetPrefix: "run-reports/",
                        });
                    });

                    it("is woken by its aftercare schedule, whatever its mode", async () => {
                        const run = await planStack(stack);
                        const rule = resourceNamed(run, T.rule, n("aftercare"));
                        expect(rule.region).to.equal(regionOf(run, cell));
                        expect(rule.inputs).to.include({ name: aftercareRuleName(stack), scheduleExpression: AFTERCARE_SCHEDULE });
                        const fn = resourceNamed(run, T.fn, n("function"));
                        const permission = resourceNamed(run, "aws:lambda/permission:Permission", n("aftercare"));
                        expect(permission.inputs).to.include({
                            action: "lambda:InvokeFunction",
                            principal: "events.amazonaws.com",
                            sourceArn: rule.state["arn"],
                            function: fn.state["name"] ?? fn.inputs["name"],
                        });
                        const target = resourceNamed(run, T.target, n("aftercare"));
                        expect(target.inputs).to.include({ rule: rule.state["name"] ?? rule.inputs["name"], arn: fn.state["arn"] });
                    });

                    it("has, in its own region, what a break-glass, a fence and the lost writes need: its secret, the peer's group, parameter group and key, its runs table and report bucket", async () => {
                        const run = await planStack(stack);
                        const path = failoverParameterPath(run.config.environment);
                        const params = resourcesOfType(run, T.param).filter((p) => p.parent === componentOf(run, cell).urn);
                        const value = (key: string) => params.find((p) => p.inputs["name"] === `${path}/${key}`)!.inputs["value"];
                        const database = run.outputs["database"] as { secretArns: Record<Cell, string> };
                        const networks = run.outputs["networks"] as Record<Cell, { securityGroupIds: { database: string } }>;
                        const keys = run.outputs["kmsKeyArns"] as Record<Cell, string>;
                        const failover = run.outputs["failover"] as {
                            runsTableNames: Record<Cell, string>;
                            reportBucketNames: Record<Cell, string>;
                        };
                        expect(value(FAILOVER_PARAMETERS.secretArn), "the secret as this region holds it").to.equal(
                            database.secretArns[cell],
                        );
                        expect(String(value(FAILOVER_PARAMETERS.secretArn))).to.include(`:${regionOf(run, cell)}:`);
                        expect(value(FAILOVER_PARAMETERS.peerSecurityGroupId)).to.equal(networks[peerOf(cell)].securityGroupIds.database);
                        expect(value(FAILOVER_PARAMETERS.peerKmsKeyArn)).to.equal(keys[peerOf(cell)]);
                        const peerCluster = resourcesOfType(run, "aws:rds/cluster:Cluster").find(
                            (c) => c.region === regionOf(run, peerOf(cell)),
                        )!;
                        expect(peerCluster.inputs["dbClusterParameterGroupName"]).to.be.a("string").and.not.empty;
                        expect(value(FAILOVER_PARAMETERS.peerClusterParameterGroup)).to.equal(
                            peerCluster.inputs["dbClusterParameterGroupName"],
                        );
                        expect(value(FAILOVER_PARAMETERS.runsTable)).to.equal(runsTableName(stack));
                        expect(failover.runsTableNames[cell]).to.equal(runsTableName(stack));
                        expect(value(FAILOVER_PARAMETERS.reportBucket)).to.equal(failover.reportBucketNames[cell]);
                        expect(resourceNamed(run, "aws:s3/bucket:Bucket", n("reports")).state["bucket"]).to.equal(
                            failover.reportBucketNames[cell],
                        );
                    });

                    it("writes its configuration under /healthcare/<environment>/failover/ in its region: itself, its peer, and the alarms that may start it", async () => {
                        const run = await planStack(stack);
                        const path = failoverParameterPath(run.config.environment);
                        const params = resourcesOfType(run, T.param).filter((p) => p.parent === componentOf(run, cell).urn);
                        const names = params.map((p) => p.inputs["name"]);
                        for (const key of Object.values(FAILOVER_PARAMETERS)) {
                            expect(names).to.include(`${path}/${key}`);
                        }
                        for (const p of params) expect(p.region, String(p.inputs["name"])).to.equal(regionOf(run, cell));
                        const value = (key: string) => params.find((p) => p.inputs["name"] === `${path}/${key}`)!.inputs["value"];
                        const ids = auroraIdentifiers(stack, run.config.primaryRegion, run.config.drRegion);
                        expect(value(FAILOVER_PARAMETERS.globalClusterId), "the names the drill and the CLI use are AuroraPair's").to.equal(
                            ids.global,
                        );
                        expect(value(FAILOVER_PARAMETERS.mode)).to.equal(run.config.failover.mode);
                        expect(value(FAILOVER_PARAMETERS.region)).to.equal(regionOf(run, cell));
                        expect(value(FAILOVER_PARAMETERS.peerRegion)).to.equal(regionOf(run, peerOf(cell)));
                        expect(value(FAILOVER_PARAMETERS.clusterArn)).to.equal(
                            `arn:aws:rds:${regionOf(run, cell)}:123456789012:cluster:${ids[cell]}`,
                        );
                        expect(value(FAILOVER_PARAMETERS.peerClusterArn)).to.equal(
                            `arn:aws:rds:${regionOf(run, peerOf(cell))}:123456789012:cluster:${ids[peerOf(cell)]}`,
                        );
                        expect(value(FAILOVER_PARAMETERS.detectionWindowSeconds)).to.equal(
                            String(run.config.failover.detectionWindow.seconds),
                        );
                        expect(value(FAILOVER_PARAMETERS.quorum)).to.equal(String(run.config.failover.quorum));
                        expect(value(FAILOVER_PARAMETERS.maxEventAgeSeconds)).to.equal(String(run.config.failover.maxEventAge.seconds));
                        expect(
                            String(value(FAILOVER_PARAMETERS.alarmNames)).split(","),
                            "its own lag alarm and the peer's heartbeat alarm",
                        ).to.deep.equal([
                            resourceNamed(run, T.alarm, n("replication-lag")).inputs["name"],
                            peerDownAlarmName(stack, regionOf(run, peerOf(cell))),
                        ]);
                    });

                    it("stops Lambda retrying an event once the function would reject it as stale", async () => {
                        const run = await planStack(stack);
                        const async = resourceNamed(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", n("async"));
                        expect(async.inputs["maximumEventAgeInSeconds"]).to.equal(run.config.failover.maxEventAge.seconds);
                    });

                    it("has its own active-region parameter, created with activeRegion and owned by the orchestrators afterwards", async () => {
                        const run = await planStack(stack);
                        const active = resourceNamed(run, T.param, n("active-region"));
                        expect(active.region).to.equal(regionOf(run, cell));
                        expect(active.inputs).to.include({
                            name: `/healthcare/${run.config.environment}/active-region`,
                            value: run.config.activeRegion,
                        });
                        expect(active.options.ignoreChanges).to.include("value");
                    });

                    it("is started by its own cluster's replication lag, quiet while that cluster is the writer (no data is not breaching)", async () => {
                        const run = await planStack(stack);
                        const alarm = resourceNamed(run, T.alarm, n("replication-lag"));
                        expect(alarm.region).to.equal(regionOf(run, cell));
                        const ids = auroraIdentifiers(stack, run.config.primaryRegion, run.config.drRegion);
                        expect(alarm.inputs).to.include({
                            metricName: "AuroraGlobalDBReplicationLag",
                            threshold: run.config.failover.replicationLagThresholdSeconds * 1000,
                            treatMissingData: "notBreaching",
                        });
                        expect(alarm.inputs["dimensions"]).to.deep.equal({
                            DBClusterIdentifier: ids[cell],
                        });
                        const rule = resourceNamed(run, T.rule, n("trigger"));
                        expect(rule.region).to.equal(regionOf(run, cell));
                        expect(
                            JSON.parse(String(rule.inputs["eventPattern"])),
                            "the lag alarm and the forwarded heartbeat alarm",
                        ).to.deep.equal(
                            alarmPattern([String(alarm.inputs["name"]), peerDownAlarmName(stack, regionOf(run, peerOf(cell)))]),
                        );
                        const target = resourceNamed(run, T.target, n("trigger"));
                        expect(target.region).to.equal(regionOf(run, cell));
                        expect(target.inputs["arn"]).to.equal(resourceNamed(run, T.fn, n("function")).state["arn"]);
                        const permission = resourceNamed(run, "aws:lambda/permission:Permission", n("trigger"));
                        expect(permission.inputs).to.include({
                            action: "lambda:InvokeFunction",
                            principal: "events.amazonaws.com",
                            sourceArn: rule.state["arn"],
                        });
                    });

                    // Route 53 publishes HealthCheckStatus in us-east-1 only, and an alarm watches its own region's metrics.
                    // @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
                    it("is started by the peer's heartbeat health check, alarmed on in us-east-1 with the timing the recovery budget counts", async () => {
                        const run = await planStack(stack);
                        const peerHealth = resourceNamed(run, T.health, `${peerOf(cell)}-heartbeat-health`);
                        const alarm = resourceNamed(run, T.alarm, n("peer-down"));
                        expect(ROUTE53_METRICS_REGION).to.equal("us-east-1");
                        expect(alarm.region).to.equal("us-east-1");
                        expect(onGlobalProvider(alarm), "the alarm is on the global provider").to.be.true;
                        expect(alarm.inputs).to.include({
                            name: peerDownAlarmName(stack, regionOf(run, peerOf(cell))),
                            namespace: "AWS/Route53",
                            metricName: "HealthCheckStatus",
                            statistic: "Minimum",
                            threshold: 1,
                            comparisonOperator: "LessThanThreshold",
                            treatMissingData: "breaching",
                            period: HEALTH_CHECK_ALARM.periodSeconds,
                            evaluationPeriods: HEALTH_CHECK_ALARM.evaluationPeriods,
                            datapointsToAlarm: HEALTH_CHECK_ALARM.datapointsToAlarm,
                        });
                        expect(alarm.inputs["dimensions"]).to.deep.equal({ HealthCheckId: peerHealth.id });
                        expect(healthCheckDetectionSeconds()).to.equal(
                            heartbeatDetectionSeconds() + Number(alarm.inputs["period"]) * Number(alarm.inputs["evaluationPeriods"]),
                        );
                        expect(recoveryBudget(run.config).rto.detectionPaths.healthCheckSeconds).to.equal(healthCheckDetectionSeconds());
                    });

                    // A rule may target an event bus in another region: the target is the bus's ARN, with a role that may
                    // call events:PutEvents on it. @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
                    it("forwards the peer's heartbeat alarm from us-east-1 to its own region's default event bus with a role", async () => {
                        const run = await planStack(stack);
                        const busArn = `arn:aws:events:${regionOf(run, cell)}:123456789012:event-bus/default`;
                        const forward = resourceNamed(run, T.rule, n("forward"));
                        expect(forward.region).to.equal("us-east-1");
                        expect(JSON.parse(String(forward.inputs["eventPattern"]))).to.deep.equal(
                            alarmPattern([peerDownAlarmName(stack, regionOf(run, peerOf(cell)))]),
                        );
                        const target = resourceNamed(run, T.target, n("forward"));
                        const role = resourceNamed(run, T.role, n("forward"));
                        expect(target.inputs).to.include({ rule: forward.state["name"], arn: busArn, roleArn: role.state["arn"] });
                        const trust = JSON.parse(String(role.inputs["assumeRolePolicy"])) as PolicyDocument;
                        expect(trust.Statement).to.have.length(1);
                        expect(trust.Statement[0]!.Principal).to.deep.equal({ Service: "events.amazonaws.com" });
                        expect(trust.Statement[0]!.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
                        const policy = resourceNamed(run, T.policy, n("forward"));
                        expect(policy.inputs["role"]).to.equal(role.id);
                        const doc = JSON.parse(String(policy.inputs["policy"])) as PolicyDocument;
                        expect(doc.Statement).to.have.length(1);
                        expect(doc.Statement[0]).to.deep.include({ Effect: "Allow", Action: ["events:PutEvents"], Resource: [busArn] });
                        for (const r of [forward, target, role, policy]) {
                            expect(onGlobalProvider(r), `${r.type} ${r.name}`).to.be.true;
                        }
                    });

                    it("declares nothing of itself in the peer region, and in us-east-1 only the detection path's control plane", async () => {
                        const run = await planStack(stack);
                        const component = componentOf(run, cell);
                        const children = run.resources.filter((r) => r.parent === component.urn && r.custom);
                        expect(children.length).to.be.greaterThan(15);
                        const global = children.filter(onGlobalProvider);
                        expect(global.map((r) => r.type).sort()).to.deep.equal([...US_EAST_1_TYPES].sort());
                        for (const child of children) {
                            const expected = global.includes(child) ? "us-east-1" : regionOf(run, cell);
                            expect(child.region, `${child.type} ${child.name}`).to.equal(expected);
                        }
                    });

                    it("grants the function only named actions on named resources, and promotes only its own cluster", async () => {
                        const run = await planStack(stack);
                        const doc = JSON.parse(String(resourceNamed(run, T.policy, n("policy")).inputs["policy"])) as PolicyDocument;
                        for (const statement of doc.Statement) {
                            for (const action of actionsOf(statement)) {
                                expect(isWildcardAction(action), action).to.be.false;
                            }
                            if (statement.Resource === "*") {
                                expect(statement.Sid).to.match(/NoResourceLevelPermission/);
                            }
                        }
                        const ids = auroraIdentifiers(stack, run.config.primaryRegion, run.config.drRegion);
                        const own = `arn:aws:rds:${regionOf(run, cell)}:123456789012:cluster:${ids[cell]}`;
                        const peer = `arn:aws:rds:${regionOf(run, peerOf(cell))}:123456789012:cluster:${ids[peerOf(cell)]}`;
                        const promote = doc.Statement.filter((s) =>
                            actionsOf(s).some((a) => a === "rds:FailoverGlobalCluster" || a === "rds:SwitchoverGlobalCluster"),
                        );
                        expect(promote).to.have.length.greaterThan(0);
                        for (const statement of promote) {
                            const resources = ([] as string[]).concat(statement.Resource as string | string[]);
                            expect(resources).to.include(own);
                            expect(resources, "never the peer's cluster: the peer's own orchestrator promotes it").to.not.include(peer);
                        }
                        expect(doc.Statement.find((s) => s.Sid === "NotifyOnCall")?.Resource).to.have.length(1);
                    });
                });
            }

            it("watches the heartbeat of every cluster with an instance: an alarm on the silence of its capacity metric, a CLOUDWATCH_METRIC health check on it", async () => {
                const run = await planStack(stack);
                const ids = auroraIdentifiers(stack, run.config.primaryRegion, run.config.drRegion);
                for (const cell of CELLS) {
                    const alarm = resourceNamed(run, T.alarm, `${cell}-heartbeat-alarm`);
                    expect(alarm.region).to.equal(regionOf(run, cell));
                    expect(alarm.inputs).to.include({
                        name: heartbeatAlarmName(stack),
                        namespace: "AWS/RDS",
                        metricName: "ServerlessDatabaseCapacity",
                        statistic: "SampleCount",
                        comparisonOperator: "LessThanThreshold",
                        threshold: 1,
                        treatMissingData: "breaching",
                    });
                    expect(alarm.inputs["dimensions"]).to.deep.equal({ DBClusterIdentifier: ids[cell] });
                    const health = resourceNamed(run, T.health, `${cell}-heartbeat-health`);
                    expect(health.inputs).to.include({
                        type: "CLOUDWATCH_METRIC",
                        cloudwatchAlarmName: alarm.inputs["name"],
                        cloudwatchAlarmRegion: regionOf(run, cell),
                        insufficientDataHealthStatus: "Unhealthy",
                    });
                }
            });

            it("declares one writer record in a zone of both VPCs, created at activeRegion's writer, owned by the orchestrators afterwards", async () => {
                const run = await planStack(stack);
                const record = resourceNamed(run, T.record, "writer-record");
                expect(record.inputs).to.include({ name: writerRecordName(stack), type: "CNAME", ttl: run.config.failover.dnsTtlSeconds });
                const active: Cell = run.config.activeRegion === run.config.drRegion ? "dr" : "primary";
                const ids = auroraIdentifiers(stack, run.config.primaryRegion, run.config.drRegion);
                expect((record.inputs["records"] as string[])[0]).to.match(new RegExp(`^${ids[active]}\\.cluster-`));
                expect(record.options.ignoreChanges).to.include("records");
                // Once children of the DR orchestrator: the aliases keep the deployed zone and record (no replacement).
                expect(record.options.aliases).to.deep.equal(["failover-writer"]);
                expect(resourceNamed(run, T.zone, "writer-zone").options.aliases).to.deep.equal(["failover-zone"]);
                expect(record.region).to.equal(run.config.drRegion);
                expect((resourceNamed(run, T.zone, "writer-zone").inputs["vpcs"] as unknown[]).length).to.equal(2);
            });
        });
    }
});

describe("the recovery budget", () => {
    const config = (failover: Record<string, unknown> = {}, database: Record<string, unknown> = {}) => {
        const parsed = parseStackConfig(
            { ...MINIMAL, "healthcare-dr:failover": JSON.stringify(failover), "healthcare-dr:database": JSON.stringify(database) },
            "dev",
        );
        if (!parsed.ok) {
            throw new Error(JSON.stringify(parsed.issues));
        }
        return parsed.config;
    };
    // The step deadlines of lib/failover.ts STEP_DEADLINE_SECONDS, summed: the orchestration term.
    const deadlines = 30 + 15 + 10 + 30 + 300 + 30 + 30 + 10 + 10;
    const cases: [string, Record<string, unknown>, number][] = [
        // detection max(lag alarm 180 + health-check alarm 60, lag alarm 180) + window 60 + deadlines + promotion 60 + TTL 30
        ["defaults (automatic)", {}, 240 + 60 + deadlines + 60 + 30],
        ["a longer TTL", { dnsTtlSeconds: 120 }, 240 + 60 + deadlines + 60 + 120],
        ["a longer detection window", { detectionWindow: "2m" }, 240 + 120 + deadlines + 60 + 30],
        ["manual mode adds the operator's response", { mode: "manual", operatorResponse: "20m" }, 240 + 60 + 1200 + deadlines + 60 + 30],
    ];
    for (const [what, failover, rto] of cases) {
        it(`sums detection, window, response, step deadlines, promotion and DNS TTL: ${what}`, () => {
            expect(recoveryBudget(config(failover)).rtoSeconds).to.equal(rto);
        });
    }
    it("counts the step deadlines, not the function's timeout", () => {
        const budget = recoveryBudget(config());
        expect(budget.rto).to.include({ orchestrationSource: "deadlines", orchestrationSeconds: deadlines, detectionWindowSeconds: 60 });
        expect(budget.rto.orchestrationSeconds + budget.rto.detectionWindowSeconds).to.equal(orchestrationDeadlineSeconds(60));
        expect(budget.rto.orchestrationSeconds).to.be.lessThan(ORCHESTRATOR_TIMEOUT_SECONDS);
    });
    it("uses a drill's measured orchestration instead of the deadlines", () => {
        const budget = recoveryBudget(config(), { orchestrationMs: 3_500 });
        expect(budget.rto).to.include({
            orchestrationSeconds: 4,
            orchestrationSource: "measured",
            promotionSeconds: AURORA_PROMOTION_SECONDS,
        });
        expect(budget.rtoSeconds).to.equal(240 + 60 + 4 + 60 + 30);
    });
    it("takes the data-loss budget of a regional failover from the database's ceiling and S3 RTC", () => {
        const bounded = recoveryBudget(config({}, { maxReplicationLagSeconds: 600 }));
        expect(bounded).to.include({ rpoSeconds: S3_RTC_SECONDS, rpoBounded: true });
        expect(bounded.rpo).to.deep.equal({
            databaseSeconds: 600,
            databaseLagAlarmSeconds: 60,
            objectStorageSeconds: S3_RTC_SECONDS,
            unreplicatedDataSets: [],
            // MINIMAL has no global table: nothing to count.
            globalTableSeconds: 0,
            globalTables: [],
        });
        expect(bounded.direction).to.deep.equal({ from: "eu-west-2", to: "eu-west-1" });
        expect(recoveryBudget(config({}, { maxReplicationLagSeconds: 900 })).rpoSeconds).to.equal(900);
        expect(recoveryBudget(config()).backupRpoSeconds).to.equal(scheduleIntervalSeconds(COPY_SCHEDULE)).and.to.equal(86_400);
    });
    it("says the data loss is not bounded without a database ceiling, whatever the lag alarm's threshold", () => {
        for (const threshold of [60, 1200]) {
            const budget = recoveryBudget(config({ replicationLagThresholdSeconds: threshold }));
            expect(budget).to.include({ rpoSeconds: null, rpoBounded: false });
            expect(budget.rpo).to.include({ databaseSeconds: null, databaseLagAlarmSeconds: threshold });
            expect(databaseRpoText(budget)).to.match(/^not bounded .*only notifies: set database\.maxReplicationLagSeconds\)$/);
            expect(rpoBudgetText(budget)).to.equal("not bounded");
        }
        expect(databaseRpoText(recoveryBudget(config({}, { maxReplicationLagSeconds: 90 })))).to.equal(
            "at most 1m30s (rds.global_db_rpo holds commits beyond it)",
        );
    });
    it("reads backup intervals from schedule expressions", () => {
        expect(scheduleIntervalSeconds("cron(0 */1 * * ? *)")).to.equal(3600);
        expect(scheduleIntervalSeconds("cron(0 1,13 * * ? *)")).to.equal(12 * 3600);
        expect(scheduleIntervalSeconds("cron(0 */6 * * ? *)")).to.equal(6 * 3600);
        expect(scheduleIntervalSeconds("cron(30 2 * * ? *)")).to.equal(86_400);
        expect(scheduleIntervalSeconds("rate(1 hour)")).to.equal(undefined);
    });
    it("fits the dev stack's recovery time, and says its data loss is not bounded (no database ceiling in dev)", async () => {
        const dev = await planStack("dev");
        const budget = recoveryBudget(dev.config);
        expect(budget.rtoSeconds).to.be.at.most(dev.config.objectives.rto.seconds);
        expect(budget).to.include({ rpoSeconds: null, rpoBounded: false });
        expect(budget.rpo.objectStorageSeconds).to.be.at.most(dev.config.objectives.rpo.seconds);
    });
    it("fits the prod stack's objectives, data loss included", async () => {
        const prod = await planStack("prod");
        const budget = recoveryBudget(prod.config);
        expect(budget.rtoSeconds).to.be.at.most(prod.config.objectives.rto.seconds);
        expect(budget.rpoBounded).to.equal(true);
        expect(budget.rpoSeconds).to.be.a("number").and.at.most(prod.config.objectives.rpo.seconds);
        expect(prod.outputs["recoveryBudget"]).to.deep.equal(budget);
    });
    it("is the budget of one direction: from activeRegion, with the data sets that do not replicate that way unbounded", async () => {
        const dev = await planStack("dev");
        const back = recoveryBudget({ ...dev.config, activeRegion: dev.config.drRegion });
        expect(back.direction).to.deep.equal({ from: dev.config.drRegion, to: dev.config.primaryRegion });
        const oneWay = dev.config.buckets.filter((d) => !d.reverseReplication).map((d) => d.name);
        expect(oneWay, "dev replicates some data sets one way only").to.not.be.empty;
        expect(back.rpo).to.include({ objectStorageSeconds: null });
        expect(back.rpo.unreplicatedDataSets).to.deep.equal(oneWay);
        expect(back.rtoSeconds, "detection and orchestration are the same both ways").to.equal(recoveryBudget(dev.config).rtoSeconds);
        const prod = await planStack("prod");
        const prodBack = recoveryBudget({ ...prod.config, activeRegion: prod.config.drRegion });
        expect(prodBack.rpo.unreplicatedDataSets, "prod replicates every data set back by default").to.deep.equal([]);
        expect(prodBack.rpoSeconds).to.equal(recoveryBudget(prod.config).rpoSeconds);
    });
});

describe("failover config keys", () => {
    const bad: [string, unknown, RegExp][] = [
        ["mode", "auto", /must be one of automatic, manual/],
        ["healthCheckIntervalSeconds", 30, /not a known key/],
        ["dnsTtlSeconds", 3600, /at most 300/],
        ["dnsTtlSeconds", 1.5, /whole number/],
        ["replicationLagThresholdSeconds", 0, /at least 1/],
        ["operatorResponse", "soon", /positive duration/],
        ["detectionWindow", "10s", /from 30s to 300s/],
        ["detectionWindow", "10m", /from 30s to 300s/],
        ["quorum", 1, /at least 2: one signal alone is not evidence/],
        ["quorum", 4, /at most 3: there are 3 signals/],
        ["quorum", 2.5, /whole number from 2 to 3/],
        ["maxEventAge", "2h", /from 60s to 3600s/],
    ];
    for (const [key, value, message] of bad) {
        it(`rejects failover.${key} = ${JSON.stringify(value)}, naming the key`, () => {
            const result = parseStackConfig({ ...MINIMAL, "healthcare-dr:failover": JSON.stringify({ [key]: value }) }, "dev");
            expect(result.ok).to.be.false;
            const issue = !result.ok ? result.issues.find((i) => i.key === `healthcare-dr:failover.${key}`) : undefined;
            expect(issue, JSON.stringify(result)).to.not.equal(undefined);
            expect(issue!.message).to.match(message);
        });
    }
    it("defaults every key so existing stack files keep working", () => {
        const result = parseStackConfig(MINIMAL, "dev");
        expect(result.ok && result.config.failover).to.deep.include({
            mode: "automatic",
            dnsTtlSeconds: 30,
            replicationLagThresholdSeconds: 60,
            quorum: 2,
        });
        expect(result.ok && result.config.failover.detectionWindow.seconds).to.equal(60);
        expect(result.ok && result.config.failover.maxEventAge.seconds).to.equal(900);
    });
});

describe("the failover CLI", () => {
    it("parses a confirmed switchover, a dry run without confirmation, a forced failover and --follow", () => {
        expect(
            parseFailoverArgs(["--stack", "prod", "--action", "switchover", "--to", "eu-west-1", "--confirm", "prod:switchover:eu-west-1"]),
        ).to.deep.equal({
            kind: "request",
            stack: "prod",
            action: "switchover",
            to: "eu-west-1",
            confirm: "prod:switchover:eu-west-1",
            dryRun: false,
            force: false,
        });
        expect(parseFailoverArgs(["--stack", "dev", "--action", "failover", "--to", "eu-west-1", "--dry-run"])).to.deep.include({
            dryRun: true,
            force: false,
        });
        expect(
            parseFailoverArgs([
                "--stack",
                "dev",
                "--action",
                "failover",
                "--to",
                "eu-west-1",
                "--force",
                "--confirm",
                "dev:failover:eu-west-1",
            ]),
        ).to.deep.include({ force: true });
        expect(parseFailoverArgs(["--stack", "prod", "--follow"])).to.deep.equal({ kind: "follow", stack: "prod" });
    });
    const bad: [string[], RegExp][] = [
        [["--action", "failover"], /--stack is required/],
        [["--stack", "prod"], /--action is required/],
        [["--stack", "prod", "--action", "failback"], /--action must be switchover, failover or break-glass, not "failback"/],
        [["--stack", "prod", "--action", "failover"], /--to is required/],
        [
            ["--stack", "prod", "--action", "failover", "--to", "eu-west-1"],
            /--confirm is required for a real failover: add --confirm prod:failover:eu-west-1/,
        ],
        [
            ["--stack", "prod", "--action", "failover", "--to", "eu-west-1", "--confirm", "prod:failover"],
            /--confirm must repeat the request exactly: --confirm prod:failover:eu-west-1/,
        ],
        [["--stack", "prod", "--action", "switchover", "--to", "eu-west-1", "--force"], /--force applies to --action failover only/],
        [["--stack", "prod", "--action", "failover", "--dryrun"], /Unknown option '--dryrun'/],
        [["--stack", "prod", "--follow", "--action", "failover"], /--follow takes only --stack/],
        [["prod"], /Unexpected argument 'prod'/],
    ];
    for (const [argv, message] of bad) {
        it(`refuses ${argv.join(" ")}`, () => {
            const result = parseFailoverArgs(argv);
            expect("error" in result && result.error).to.match(message);
        });
    }
    it("builds the event the function validates: stack, action, target region, the confirmation, and who asked", () => {
        const args = { kind: "request" as const, stack: "prod", action: "failover" as const, to: "eu-west-1", dryRun: true, force: false };
        const event = buildEvent(args, "alice");
        expect(event).to.deep.equal({
            stack: "prod",
            action: "failover",
            targetRegion: "eu-west-1",
            confirm: "prod:failover:eu-west-1",
            dryRun: true,
            force: false,
            requestedBy: "alice",
        });
        expect(parseEvent(event)).to.deep.include({
            kind: "manual",
            action: "failover",
            targetRegion: "eu-west-1",
            dryRun: true,
            requestedBy: "alice",
        });
        expect(buildEvent({ ...args, action: "switchover" }, undefined)).to.not.have.property("requestedBy");
    });
    it("exits 0 after following a run only when that run completed the move asked for", () => {
        const record = {
            lockId: "g",
            state: "completed" as const,
            owner: "o",
            runId: "r",
            action: "failover" as const,
            targetRegion: "eu-west-1",
            steps: [],
            notified: [],
            expiresAt: 0,
            updatedAt: 0,
            version: 1,
        };
        const lines: string[] = [];
        expect(reportFollowed(record, { action: "failover", to: "eu-west-1" }, (l) => lines.push(l))).to.equal(0);
        expect(
            reportFollowed({ ...record, state: "failed", error: "boom" }, { action: "failover", to: "eu-west-1" }, (l) => lines.push(l)),
        ).to.equal(1);
        expect(reportFollowed(record, { action: "switchover", to: "eu-west-1" }, (l) => lines.push(l))).to.equal(1);
        expect(reportFollowed(undefined, {}, (l) => lines.push(l))).to.equal(1);
        expect(
            reportFollowed({ ...record, state: "running", expiresAt: 10 }, {}, (l) => lines.push(l), 20),
            "a crashed holder",
        ).to.equal(1);
        expect(lines.join("\n")).to.match(/stopped renewing its lock/);
        expect(lines.join("\n")).to.match(/Run r: failover to eu-west-1, failed: boom/);
    });
});

describe("the failover CLI against a busy function", () => {
    let lambda: AwsClientStub<LambdaClient>;
    let dynamodb: AwsClientStub<DynamoDBClient>;
    before(() => {
        lambda = mockClient(LambdaClient);
        dynamodb = mockClient(DynamoDBClient);
    });
    after(() => {
        lambda.restore();
        dynamodb.restore();
    });

    it("follows the run in progress when the invoke is throttled, and exits by how that run ends", async () => {
        lambda.on(InvokeCommand).rejects(Object.assign(new Error("Rate Exceeded."), { name: "TooManyRequestsException" }));
        const record = (state: string, steps: string[]) => ({
            Item: toItem({
                lockId: "hdr-prod-aurora",
                state: state as "running",
                owner: "alarm-run",
                runId: "alarm-run",
                action: "failover",
                targetRegion: "eu-west-1",
                steps,
                notified: [],
                expiresAt: Date.now() + 60_000,
                updatedAt: Date.now() + 1_000,
                version: 1,
            }),
        });
        dynamodb
            .on(GetItemCommand)
            // The record of a run that finished before the command started is not an answer.
            .resolvesOnce({ Item: { ...record("completed", ["act"]).Item, updatedAt: { N: "1" } } })
            .resolvesOnce({ Item: { ...record("completed", ["act"]).Item, updatedAt: { N: "1" } } })
            .resolvesOnce(record("running", ["act"]))
            .resolvesOnce(record("running", ["act", "wait-for-writer"]))
            .resolves(record("completed", ["act", "wait-for-writer", "repoint", "verify"]));
        const lines: string[] = [];
        const args = {
            kind: "request" as const,
            stack: "prod",
            action: "failover" as const,
            to: "eu-west-1",
            confirm: "prod:failover:eu-west-1",
            dryRun: false,
            force: false,
        };
        const code = await invoke(
            args,
            { functionName: "f", lockTable: "t", lockId: "hdr-prod-aurora" },
            { lambda: new LambdaClient({ region: "eu-west-1" }), dynamodb: new DynamoDBClient({ region: "eu-west-1" }) },
            (l) => lines.push(l),
            1,
        );
        expect(code).to.equal(0);
        expect(lines.join("\n")).to.match(/busy \(TooManyRequestsException\): following the run in progress/);
        expect(lines.join("\n")).to.match(/Run alarm-run: failover to eu-west-1, completed/);
    });
});

/**
 * The orchestrator's application inputs (issue 15): the component alone under the mocks, with the same arguments
 * with and without `application`, so that what an application tier adds is exactly its parameters, its beacon and the
 * application part of the role's policy, and nothing changes for a stack without one.
 */
describe("FailoverOrchestrator with and without an application tier", () => {
    const STACK = "dev";
    const SELF = "eu-west-1";
    const PEER = "eu-west-2";
    const ACCOUNT = { accountId: "123456789012", partition: "aws" };
    const NAME = "dr-failover";
    const APP: FailoverOrchestratorApplicationArgs = {
        clusterName: "hdr-dev-app",
        serviceName: "hdr-dev-app",
        targetGroupArn: `arn:aws:elasticloadbalancing:${SELF}:123456789012:targetgroup/hdr-dev-app/0123456789abcdef`,
        checkUrl: `https://hdr-dev-app-456.${SELF}.elb.amazonaws.com/health`,
        host: "app.dev.example.org",
        activeCount: 2,
        standbyCount: 0,
        minCount: 1,
        maxCount: 4,
        dbMinCapacity: 0.5,
        dbMaxCapacity: 8,
    };
    const FIXED = {
        globalClusterId: "hdr-dev-aurora",
        clusterArn: `arn:aws:rds:${SELF}:123456789012:cluster:hdr-dev-aurora-dr`,
        clusterIdentifier: "hdr-dev-aurora-dr",
        peerClusterArn: `arn:aws:rds:${PEER}:123456789012:cluster:hdr-dev-aurora-primary`,
        peerClusterIdentifier: "hdr-dev-aurora-primary",
        secretArn: `arn:aws:secretsmanager:${SELF}:123456789012:secret:hdr-dev-db-AbCdEf`,
        peerSecurityGroupId: "sg-0123456789abcdef0",
        peerClusterParameterGroupName: "hdr-dev-aurora-primary",
        peerKmsKeyArn: `arn:aws:kms:${PEER}:123456789012:key/11111111-2222-4333-a444-555555555555`,
        kmsKeyArn: `arn:aws:kms:${SELF}:123456789012:key/66666666-7777-4888-a999-000000000000`,
        hostedZoneId: "Z0PRIVATEZONE",
        topicArn: `arn:aws:sns:${SELF}:123456789012:alerts`,
    };

    function planOrchestrator(application?: FailoverOrchestratorApplicationArgs): Promise<ProgramRun> {
        return runProgram({
            stack: STACK,
            rawConfig: readStackFile(stackFilePath(STACK)),
            program: () => {
                const provider = new aws.Provider("dr", {
                    region: SELF,
                    skipCredentialsValidation: true,
                    skipRegionValidation: true,
                    skipRequestingAccountId: true,
                });
                const orchestrator = new FailoverOrchestrator(
                    NAME,
                    {
                        account: ACCOUNT,
                        stack: STACK,
                        environment: "dev",
                        region: SELF,
                        peerRegion: PEER,
                        globalClusterId: FIXED.globalClusterId,
                        clusterArn: FIXED.clusterArn,
                        clusterIdentifier: FIXED.clusterIdentifier,
                        peerClusterArn: FIXED.peerClusterArn,
                        peerClusterIdentifier: FIXED.peerClusterIdentifier,
                        secretArn: FIXED.secretArn,
                        peerSecurityGroupId: FIXED.peerSecurityGroupId,
                        peerClusterParameterGroupName: FIXED.peerClusterParameterGroupName,
                        peerKmsKeyArn: FIXED.peerKmsKeyArn,
                        writerRecord: { hostedZoneId: FIXED.hostedZoneId, recordName: writerRecordName(STACK) },
                        initialActiveRegion: PEER,
                        subnetIds: ["subnet-a", "subnet-b"],
                        securityGroupIds: ["sg-orchestrator"],
                        kmsKeyArn: FIXED.kmsKeyArn,
                        alertTopicArns: [FIXED.topicArn],
                        tags: loadStackConfig().tags,
                        ...(application !== undefined ? { application } : {}),
                    },
                    { providers: [provider] },
                );
                return { beaconRuleName: orchestrator.beaconRuleName ?? "none" };
            },
        });
    }

    /** The policy orchestratorPolicy writes for this component's run, with the ARNs the component created. */
    function expectedPolicy(run: ProgramRun, application?: OrchestratorPolicyArgs["application"]): string {
        const arnOf = (type: string, name: string) => String(resourceNamed(run, type, name).state["arn"]);
        return toJson(
            orchestratorPolicy({
                partition: "aws",
                accountId: ACCOUNT.accountId,
                region: SELF,
                peerRegion: PEER,
                globalClusterArn: `arn:aws:rds::123456789012:global-cluster:${FIXED.globalClusterId}`,
                clusterArn: FIXED.clusterArn,
                clusterIdentifier: FIXED.clusterIdentifier,
                peerClusterArn: FIXED.peerClusterArn,
                hostedZoneId: FIXED.hostedZoneId,
                recordName: writerRecordName(STACK),
                parameterPath: failoverParameterPath("dev"),
                activeRegionParameter: activeRegionParameterName("dev"),
                lockTableArn: arnOf(T.table, `${NAME}-lock`),
                deadLetterQueueArn: arnOf(T.queue, `${NAME}-dlq`),
                logGroupArn: arnOf(T.logs, `${NAME}-logs`),
                kmsKeyArn: FIXED.kmsKeyArn,
                topicArns: [FIXED.topicArn],
                secretArn: FIXED.secretArn,
                peerClusterIdentifier: FIXED.peerClusterIdentifier,
                peerSecurityGroupId: FIXED.peerSecurityGroupId,
                peerClusterParameterGroupName: FIXED.peerClusterParameterGroupName,
                peerKmsKeyArn: FIXED.peerKmsKeyArn,
                runsTableArn: arnOf(T.table, `${NAME}-runs`),
                reportBucketArn: arnOf("aws:s3/bucket:Bucket", `${NAME}-reports`),
                ...(application !== undefined ? { application } : {}),
            }),
        );
    }

    let without: ProgramRun;
    let withApp: ProgramRun;
    before(async () => {
        without = await planOrchestrator();
        withApp = await planOrchestrator(APP);
    });

    const key = (r: PlannedResource) => `${r.type}::${r.name}`;
    const custom = (run: ProgramRun) => run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));

    it("adds exactly the application parameters and the beacon (rule, permission, target), and changes nothing else but the role's policy", () => {
        const before = new Map(custom(without).map((r) => [key(r), r]));
        const after = new Map(custom(withApp).map((r) => [key(r), r]));
        for (const k of before.keys()) expect(after.has(k), `${k} is kept`).to.be.true;
        const added = [...after.keys()].filter((k) => !before.has(k)).sort();
        const parameterKeys = Object.values(APPLICATION_PARAMETERS).map((p) => `${T.param}::${NAME}-${p}`);
        expect(added).to.deep.equal(
            [
                ...parameterKeys,
                `${T.rule}::${NAME}-beacon`,
                `aws:lambda/permission:Permission::${NAME}-beacon`,
                `${T.target}::${NAME}-beacon`,
            ].sort(),
        );
        const changed = [...before.keys()].filter((k) => JSON.stringify(before.get(k)!.inputs) !== JSON.stringify(after.get(k)!.inputs));
        expect(changed, "only the role's policy may differ").to.satisfy((keys: string[]) =>
            keys.every((k) => k === `${T.policy}::${NAME}-policy`),
        );
    });

    it("without an application tier, writes none of the application parameters and schedules no beacon", async () => {
        const path = failoverParameterPath("dev");
        const names = resourcesOfType(without, T.param).map((p) => p.inputs["name"]);
        for (const p of Object.values(APPLICATION_PARAMETERS)) expect(names).not.to.include(`${path}/${p}`);
        expect(resourcesOfType(without, T.rule).map((r) => r.inputs["name"])).not.to.include(beaconRuleName(STACK));
        expect(without.outputs["beaconRuleName"]).to.equal("none");
    });

    it("the project's stacks, which both configure an application tier, schedule the beacon in each region", async () => {
        for (const stack of STACKS) {
            const run = await planStack(stack);
            const beacons = resourcesOfType(run, T.rule).filter((r) => r.inputs["name"] === beaconRuleName(stack));
            expect(beacons.map((r) => r.region).sort(), stack).to.deep.equal([run.config.drRegion, run.config.primaryRegion].sort());
        }
    });

    it("writes every application parameter in its own region, under /healthcare/<environment>/failover/", () => {
        const path = failoverParameterPath("dev");
        const value = (p: string) => {
            const parameter = resourcesOfType(withApp, T.param).find((r) => r.inputs["name"] === `${path}/${p}`);
            expect(parameter, p).not.to.equal(undefined);
            expect(parameter!.region, p).to.equal(SELF);
            expect(parameter!.inputs["type"], p).to.equal("String");
            return parameter!.inputs["value"];
        };
        const A = APPLICATION_PARAMETERS;
        expect(value(A.cluster)).to.equal(APP.clusterName);
        expect(value(A.service)).to.equal(APP.serviceName);
        expect(value(A.targetGroupArn)).to.equal(APP.targetGroupArn);
        expect(value(A.checkUrl)).to.equal(APP.checkUrl);
        expect(value(A.host)).to.equal(APP.host);
        expect(value(A.activeCount)).to.equal("2");
        expect(value(A.standbyCount)).to.equal("0");
        expect(value(A.minCount)).to.equal("1");
        expect(value(A.maxCount)).to.equal("4");
        expect(value(A.dbMinCapacity)).to.equal("0.5");
        expect(value(A.dbMaxCapacity)).to.equal("8");
    });

    it("wakes the function with the beacon schedule, as the aftercare schedule does", () => {
        const rule = resourceNamed(withApp, T.rule, `${NAME}-beacon`);
        expect(rule.region).to.equal(SELF);
        expect(rule.inputs).to.include({ name: beaconRuleName(STACK), scheduleExpression: BEACON_SCHEDULE });
        const fn = resourceNamed(withApp, T.fn, `${NAME}-function`);
        const permission = resourceNamed(withApp, "aws:lambda/permission:Permission", `${NAME}-beacon`);
        expect(permission.inputs).to.include({
            action: "lambda:InvokeFunction",
            principal: "events.amazonaws.com",
            sourceArn: rule.state["arn"],
            function: fn.state["name"] ?? fn.inputs["name"],
        });
        const target = resourceNamed(withApp, T.target, `${NAME}-beacon`);
        expect(target.inputs).to.include({ rule: rule.state["name"] ?? rule.inputs["name"], arn: fn.state["arn"] });
        expect(target.options.dependsOn, "the permission exists before the first event").to.include(permission.urn);
        const parameters = Object.values(APPLICATION_PARAMETERS).map((p) => resourceNamed(withApp, T.param, `${NAME}-${p}`).urn);
        expect(target.options.dependsOn, "and so does the configuration the beacon reads").to.include.members(parameters);
        expect(withApp.outputs["beaconRuleName"]).to.equal(beaconRuleName(STACK));
    });

    it("hands the policy its cluster, its service and the peer region's lock table ARN; without an application tier, nothing", () => {
        const policyOf = (run: ProgramRun) => String(resourceNamed(run, T.policy, `${NAME}-policy`).inputs["policy"]);
        expect(policyOf(without)).to.equal(expectedPolicy(without));
        const peerLockTableArn = `arn:aws:dynamodb:${PEER}:123456789012:table/${lockTableName(STACK)}`;
        expect(lockTableArn(ACCOUNT, PEER, STACK)).to.equal(peerLockTableArn);
        expect(policyOf(withApp)).to.equal(
            expectedPolicy(withApp, { clusterName: APP.clusterName as string, serviceName: APP.serviceName as string, peerLockTableArn }),
        );
    });

    it("refuses counts the runtime could not scale to, naming each field", async () => {
        expect(applicationCountProblems(APP)).to.deep.equal([]);
        const problems = (over: Partial<FailoverOrchestratorApplicationArgs>) => applicationCountProblems({ ...APP, ...over }).join("\n");
        expect(problems({ activeCount: 0, minCount: 0 })).to.match(/activeCount must be at least 1/);
        expect(problems({ activeCount: 1.5 })).to.match(/activeCount must be a whole number/);
        expect(problems({ minCount: 3 })).to.match(/activeCount must lie between minCount and maxCount \(got 3 <= 2 <= 4\)/);
        expect(problems({ maxCount: 1 })).to.match(/between minCount and maxCount/);
        expect(problems({ standbyCount: 3 })).to.match(/standbyCount must not exceed activeCount/);
        expect(problems({ standbyCount: -1 })).to.match(/standbyCount must be a whole number of tasks, 0 or more/);
        expect(problems({ dbMinCapacity: 16 })).to.match(/dbMinCapacity must be 0 or more and at most dbMaxCapacity/);
        let error: unknown;
        try {
            await planOrchestrator({ ...APP, standbyCount: 5 });
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/FailoverOrchestrator dr-failover: application\.standbyCount must not exceed activeCount/);
    });
});
