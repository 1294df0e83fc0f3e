import { expect } from "chai";
import { databaseAlarms, replicationLagAlarm } from "../lib/alarms";
import { secretRotationFailurePattern } from "../lib/alerting";
import { metricRow } from "../lib/dashboard";
import { evaluatePolicies } from "../tools/policies";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { componentOf, planStack, resourceNamed, resourcesOfType, STACKS } from "./harness/stacks";

const T = {
    key: "aws:kms/key:Key",
    topic: "aws:sns/topic:Topic",
    topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    rule: "aws:cloudwatch/eventRule:EventRule",
    target: "aws:cloudwatch/eventTarget:EventTarget",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    detector: "aws:guardduty/detector:Detector",
    feature: "aws:guardduty/detectorFeature:DetectorFeature",
    trail: "aws:cloudtrail/trail:Trail",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    bucket: "aws:s3/bucket:Bucket",
    budget: "aws:budgets/budget:Budget",
    cluster: "aws:rds/cluster:Cluster",
} as const;

const str = (v: unknown): string => {
    if (typeof v !== "string") {
        throw new Error(`expected a string, got ${JSON.stringify(v)}`);
    }
    return v;
};
const one = (resources: PlannedResource[], what: string): PlannedResource => {
    expect(resources, what).to.have.length(1);
    return resources[0]!;
};
const regions = (run: ProgramRun) => [
    { role: "primary" as const, name: run.config.primaryRegion },
    { role: "dr" as const, name: run.config.drRegion },
];
const topicArnIn = (run: ProgramRun, region: string) =>
    str(one(resourcesOfType(run, T.topic, region), `alert topic in ${region}`).state["arn"]);
const clusterIn = (run: ProgramRun, region: string) =>
    str(one(resourcesOfType(run, T.cluster, region), `cluster in ${region}`).state["clusterIdentifier"]);
const monitoringAlarms = (run: ProgramRun, role: string) =>
    resourcesOfType(run, T.alarm).filter((a) => componentOf(run, a)?.name === `${role}-monitoring`);

for (const stack of STACKS) {
    describe(`alerting and monitoring (stack ${stack})`, () => {
        describe("AlertTopics", () => {
            it("encrypts both topics with their region's key", async () => {
                const run = await planStack(stack);
                for (const { name } of regions(run)) {
                    const topic = one(resourcesOfType(run, T.topic, name), `topic in ${name}`);
                    const key = one(resourcesOfType(run, T.key, name), `key in ${name}`);
                    expect(topic.inputs["kmsMasterKeyId"]).to.equal(key.state["arn"]);
                }
            });

            it("subscribes every alert address to the topic of each region", async () => {
                const run = await planStack(stack);
                for (const { name } of regions(run)) {
                    const subscriptions = resourcesOfType(run, T.subscription, name);
                    expect(subscriptions.map((s) => s.inputs["endpoint"])).to.have.members([...run.config.alerts.emails]);
                    for (const s of subscriptions) {
                        expect(s.inputs).to.include({ protocol: "email", topic: topicArnIn(run, name) });
                    }
                }
            });

            it("lets only CloudWatch, EventBridge and AWS Backup publish, under each region's own policy", async () => {
                const run = await planStack(stack);
                for (const { name } of regions(run)) {
                    const policy = one(resourcesOfType(run, T.topicPolicy, name), `topic policy in ${name}`);
                    expect(policy.inputs["arn"]).to.equal(topicArnIn(run, name));
                    const doc = JSON.parse(str(policy.inputs["policy"])) as {
                        Statement: { Effect: string; Principal: unknown; Resource: string }[];
                    };
                    const allows = doc.Statement.filter((s) => s.Effect === "Allow");
                    expect(allows.map((s) => s.Principal)).to.deep.equal([
                        { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com"] },
                    ]);
                    expect(doc.Statement.every((s) => s.Resource === topicArnIn(run, name))).to.equal(true);
                }
            });
        });

        describe("RegionalMonitoring", () => {
            it("alarms on each region's own cluster with the definitions of lib/alarms.ts, notifying that region's topic", async () => {
                const run = await planStack(stack);
                for (const { role, name } of regions(run)) {
                    const expected = databaseAlarms({
                        clusterIdentifier: clusterIn(run, name),
                        where: "",
                        maxCapacity: run.config.database.maxCapacity,
                        ...run.config.alarms,
                    });
                    const alarms = monitoringAlarms(run, role);
                    for (const def of expected) {
                        const alarm = resourceNamed(run, T.alarm, `${role}-monitoring-${def.key}`);
                        expect(alarm.region).to.equal(name);
                        expect(alarm.inputs, def.key).to.deep.include({
                            namespace: def.metric.namespace,
                            metricName: def.metric.metricName,
                            dimensions: def.metric.dimensions,
                            statistic: def.metric.statistic,
                            period: def.metric.period,
                            evaluationPeriods: def.evaluationPeriods,
                            datapointsToAlarm: def.datapointsToAlarm,
                            threshold: def.threshold,
                            comparisonOperator: def.comparisonOperator,
                            treatMissingData: def.treatMissingData,
                            alarmActions: [topicArnIn(run, name)],
                            okActions: [topicArnIn(run, name)],
                        });
                    }
                    expect(alarms.length).to.be.at.least(expected.length);
                }
            });

            it("sets the connection threshold from the maximum capacity and the configured share", async () => {
                const run = await planStack(stack);
                const alarm = resourceNamed(run, T.alarm, "primary-monitoring-db-connections");
                // prod: 32 ACU -> 5000 (the cap) x 80% = 4000; dev: 4 ACU -> 901 x 80% = 720.
                expect(alarm.inputs["threshold"]).to.equal(stack === "prod" ? 4000 : 720);
                expect(resourceNamed(run, T.alarm, "primary-monitoring-db-writer-cpu").inputs["threshold"]).to.equal(80);
            });

            it("alarms on each cluster's replication lag above the RPO in its own region, quiet while it is the writer", async () => {
                const run = await planStack(stack);
                // The failover orchestrators have their own lag alarms (their triggers, at a lower threshold); these page people.
                const lag = resourcesOfType(run, T.alarm).filter(
                    (a) =>
                        a.inputs["metricName"] === "AuroraGlobalDBReplicationLag" &&
                        componentOf(run, a)?.type === "healthcare:dr:RegionalMonitoring",
                );
                expect(lag.map((a) => a.region).sort()).to.deep.equal([run.config.drRegion, run.config.primaryRegion].sort());
                for (const alarm of lag) {
                    expect(alarm.inputs).to.deep.include({
                        namespace: "AWS/RDS",
                        dimensions: { DBClusterIdentifier: clusterIn(run, alarm.region!) },
                        threshold: run.config.objectives.rpo.seconds * 1000,
                        period: 60,
                        // Either cluster can be the writer, which publishes no lag: silence is the heartbeat's to catch.
                        treatMissingData: "notBreaching",
                        alarmActions: [topicArnIn(run, alarm.region!)],
                    });
                }
            });

            it("sends the S3 replication alarms to the topic of their source region", async () => {
                const run = await planStack(stack);
                const s3 = resourcesOfType(run, T.alarm).filter((a) => a.inputs["namespace"] === "AWS/S3");
                expect(s3.map((a) => a.inputs["metricName"])).to.include.members(["ReplicationLatency", "OperationsFailedReplication"]);
                for (const alarm of s3) {
                    expect(alarm.inputs["alarmActions"], alarm.name).to.deep.equal([topicArnIn(run, alarm.region!)]);
                }
            });

            it("describes every alarm of the stack with its runbook section", async () => {
                const run = await planStack(stack);
                for (const alarm of monitoringAlarms(run, "primary").concat(monitoringAlarms(run, "dr"))) {
                    expect(alarm.inputs["alarmDescription"], alarm.name).to.match(/Runbook: docs\/runbook\.md#[a-z0-9-]+ \("[^"]+"\)\./);
                }
            });

            it("enables GuardDuty with S3 and RDS protection as detector features in both regions", async () => {
                const run = await planStack(stack);
                for (const { name } of regions(run)) {
                    const detector = one(resourcesOfType(run, T.detector, name), `detector in ${name}`);
                    expect(detector.inputs["enable"]).to.equal(true);
                    expect(detector.inputs).to.not.have.property("datasources");
                    const features = resourcesOfType(run, T.feature, name);
                    expect(features.map((f) => [f.inputs["name"], f.inputs["status"], f.inputs["detectorId"]])).to.have.deep.members([
                        ["S3_DATA_EVENTS", "ENABLED", detector.id],
                        ["RDS_LOGIN_EVENTS", "ENABLED", detector.id],
                    ]);
                }
            });

            it("routes high-severity GuardDuty findings, failed backup jobs and failed secret rotations to the region's topic", async () => {
                const run = await planStack(stack);
                for (const { role, name } of regions(run)) {
                    for (const key of ["guardduty-high-severity", "backup-job-failed", "secrets-rotation-failed"]) {
                        const rule = resourceNamed(run, T.rule, `${role}-monitoring-${key}`);
                        const target = resourceNamed(run, T.target, `${role}-monitoring-${key}`);
                        expect(rule.region).to.equal(name);
                        expect(rule.inputs["state"]).to.equal("ENABLED");
                        expect(target.inputs).to.include({ rule: rule.state["name"], arn: topicArnIn(run, name) });
                    }
                    const guardDuty = JSON.parse(
                        str(resourceNamed(run, T.rule, `${role}-monitoring-guardduty-high-severity`).inputs["eventPattern"]),
                    ) as {
                        detail: unknown;
                    };
                    expect(guardDuty.detail).to.deep.equal({ severity: [{ numeric: [">=", 7] }] });
                    // Both regions: the secret rotates in the primary, and its replica could be promoted in the DR region.
                    const rotation = resourceNamed(run, T.rule, `${role}-monitoring-secrets-rotation-failed`);
                    expect(rotation.inputs["eventPattern"]).to.equal(secretRotationFailurePattern());
                    expect(str(rotation.inputs["description"])).to.include("docs/runbook.md#secret-rotation-failed");
                }
            });

            it("draws each region's dashboard from the same metric definitions as the alarms", async () => {
                const run = await planStack(stack);
                for (const { role, name } of regions(run)) {
                    const dashboard = resourceNamed(run, T.dashboard, `${role}-monitoring-dashboard`);
                    expect(dashboard.region).to.equal(name);
                    expect(dashboard.inputs["dashboardName"]).to.equal(`hdr-${stack}-${role}`);
                    const body = JSON.parse(str(dashboard.inputs["dashboardBody"])) as {
                        widgets: { type: string; properties: { metrics?: unknown[]; region?: string } }[];
                    };
                    const rows = body.widgets.flatMap((w) => w.properties.metrics ?? []);
                    const defs = databaseAlarms({
                        clusterIdentifier: clusterIn(run, name),
                        where: "",
                        maxCapacity: run.config.database.maxCapacity,
                        ...run.config.alarms,
                    });
                    // Each dashboard graphs its own cluster's lag (published while it is a secondary).
                    const lag = replicationLagAlarm({
                        clusterIdentifier: clusterIn(run, name),
                        where: "",
                        rpoSeconds: run.config.objectives.rpo.seconds,
                    });
                    for (const def of [...defs, lag]) {
                        expect(rows, def.key).to.deep.include(metricRow(def.metric));
                    }
                    const titles = body.widgets.filter((w) => w.type === "text").map((w) => JSON.stringify(w.properties));
                    for (const section of ["Database", "replication lag", "S3 replication", "AWS Backup", "Failover orchestrator"]) {
                        expect(
                            titles.some((t) => t.includes(section)),
                            section,
                        ).to.equal(true);
                    }
                }
            });
        });

        describe("AuditTrail", () => {
            it("declares one multi-region trail with log-file validation, KMS encryption and CloudWatch Logs delivery", async () => {
                const run = await planStack(stack);
                const trail = one(resourcesOfType(run, T.trail), "trail");
                const primaryKey = one(resourcesOfType(run, T.key, run.config.primaryRegion), "primary key");
                expect(trail.region).to.equal(run.config.primaryRegion);
                expect(trail.inputs).to.include({
                    isMultiRegionTrail: true,
                    includeGlobalServiceEvents: true,
                    enableLogFileValidation: true,
                    enableLogging: true,
                    kmsKeyId: primaryKey.state["arn"],
                });
                const group = resourceNamed(run, T.logGroup, "audit-logs");
                expect(trail.inputs["cloudWatchLogsGroupArn"]).to.equal(`${str(group.state["arn"])}:*`);
                expect(str(trail.inputs["cloudWatchLogsRoleArn"])).to.match(/^arn:aws:iam::\d{12}:role\//);
                expect(trail.options.protect).to.equal(run.config.protect);
            });

            it("records S3 data events on every healthcare bucket, sources and replicas", async () => {
                const run = await planStack(stack);
                const trail = one(resourcesOfType(run, T.trail), "trail");
                const selectors = trail.inputs["advancedEventSelectors"] as {
                    fieldSelectors: { field: string; startsWiths?: string[] }[];
                }[];
                const arns = selectors.flatMap((s) => s.fieldSelectors).find((f) => f.field === "resources.ARN")?.startsWiths ?? [];
                const outputs = run.outputs["bucketArns"] as { primary: string[]; dr: string[] };
                expect(arns).to.have.members([...outputs.primary, ...outputs.dr].map((a) => `${a}/`));
            });

            it("delivers to a dedicated bucket: KMS, no public access, owner-enforced, versioned, Object Lock in prod only", async () => {
                const run = await planStack(stack);
                const trail = one(resourcesOfType(run, T.trail), "trail");
                const bucket = resourceNamed(run, T.bucket, "audit");
                expect(trail.inputs["s3BucketName"]).to.equal(bucket.id);
                const of = (type: string) => resourceNamed(run, type, "audit").inputs;
                expect(of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")).to.include({
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                });
                expect(of("aws:s3/bucketOwnershipControls:BucketOwnershipControls")["rule"]).to.deep.equal({
                    objectOwnership: "BucketOwnerEnforced",
                });
                expect(of("aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"]).to.deep.include({ status: "Enabled" });
                const policy = JSON.parse(str(of("aws:s3/bucketPolicy:BucketPolicy")["policy"])) as { Statement: { Sid: string }[] };
                expect(policy.Statement.map((s) => s.Sid)).to.include.members(["DenyInsecureTransport", "CloudTrailWritesLogFiles"]);
                const lifecycle = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"] as {
                    id: string;
                    expiration?: { days: number };
                }[];
                expect(lifecycle.find((r) => r.id === "expire-audit-logs")?.expiration).to.deep.include({
                    days: run.config.logging.retentionDays,
                });
                const locks = resourcesOfType(run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").filter((r) =>
                    r.name.startsWith("audit"),
                );
                expect(locks.length).to.equal(stack === "prod" ? 2 : 0); // the bucket and its DR replica
                // Compliance mode: not even s3:BypassGovernanceRetention can delete an audit record before it expires.
                for (const lock of locks) {
                    expect(lock.inputs["rule"], lock.name).to.deep.equal({
                        defaultRetention: { mode: "COMPLIANCE", days: run.config.logging.retentionDays },
                    });
                }
                expect(bucket.inputs["forceDestroy"]).to.equal(!run.config.protect);
            });

            it("replicates the log files to the DR region and backs each copy up in its own region's plan", async () => {
                const run = await planStack(stack);
                const replica = resourceNamed(run, T.bucket, "audit-replica");
                expect(replica.region).to.equal(run.config.drRegion);
                const replication = resourceNamed(run, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "audit-replication");
                const rules = replication.inputs["rules"] as { destination: { bucket: string } }[];
                expect(rules[0]!.destination.bucket).to.equal(replica.state["arn"]);
                const planIn = (region: string) =>
                    resourcesOfType(run, "aws:backup/plan:Plan").find((p) => p.region === region)!.state["id"];
                for (const [selectionName, bucketName, region] of [
                    ["audit-backup", "audit", run.config.primaryRegion],
                    ["audit-replica-backup", "audit-replica", run.config.drRegion],
                ] as const) {
                    const selection = resourceNamed(run, "aws:backup/selection:Selection", selectionName);
                    expect(selection.inputs["resources"]).to.deep.equal([resourceNamed(run, T.bucket, bucketName).state["arn"]]);
                    expect(selection.region, selectionName).to.equal(region);
                    expect(selection.inputs["planId"], selectionName).to.equal(planIn(region));
                }
            });
        });

        it("gives every log group of the stack a retention and a KMS key", async () => {
            const run = await planStack(stack);
            const groups = resourcesOfType(run, T.logGroup);
            expect(groups.map((g) => g.name)).to.include("audit-logs");
            for (const group of groups) {
                expect(group.inputs["retentionInDays"], group.name).to.be.a("number").and.to.be.greaterThan(0);
                expect(str(group.inputs["kmsKeyId"]), group.name).to.match(/^arn:aws:kms:/);
            }
            expect(resourceNamed(run, T.logGroup, "audit-logs").inputs["retentionInDays"]).to.equal(run.config.logging.retentionDays);
        });

        describe("MonthlyBudget", () => {
            it("emails the alert addresses about the configured monthly amount", async () => {
                const run = await planStack(stack);
                const budget = one(resourcesOfType(run, T.budget), "budget");
                expect(budget.inputs).to.include({
                    budgetType: "COST",
                    timeUnit: "MONTHLY",
                    limitUnit: "USD",
                    limitAmount: run.config.budget.monthlyUsd.toFixed(2),
                });
                const notifications = budget.inputs["notifications"] as { subscriberEmailAddresses: string[] }[];
                expect(notifications).to.have.length(3);
                for (const n of notifications) {
                    expect(n.subscriberEmailAddresses).to.have.members([...run.config.alerts.emails]);
                }
            });
        });

        it("exports the topic ARNs, the trail ARN and the dashboard names", async () => {
            const run = await planStack(stack);
            const monitoring = run.outputs["monitoring"] as Record<string, unknown>;
            expect(monitoring["alertTopicArns"]).to.deep.equal({
                primary: topicArnIn(run, run.config.primaryRegion),
                dr: topicArnIn(run, run.config.drRegion),
            });
            expect(monitoring["trailArn"]).to.equal(one(resourcesOfType(run, T.trail), "trail").state["arn"]);
            expect(monitoring["dashboardNames"]).to.deep.equal({ primary: `hdr-${stack}-primary`, dr: `hdr-${stack}-dr` });
        });
    });
}

describe("an account whose GuardDuty detectors already exist (monitoring.guardDuty: existing)", function () {
    this.timeout(60_000);

    it("declares no detector, still routes high-severity findings in both regions, and passes the pack once attested", async () => {
        const raw = readStackFile(stackFilePath("dev"));
        const run = await runProgram({
            stack: "dev",
            rawConfig: { ...raw, "healthcare-dr:monitoring": JSON.stringify({ guardDuty: "existing" }) },
        });
        expect(resourcesOfType(run, T.detector)).to.deep.equal([]);
        expect(resourcesOfType(run, "aws:guardduty/detectorFeature:DetectorFeature")).to.deep.equal([]);
        const findings = resourcesOfType(run, "aws:cloudwatch/eventRule:EventRule").filter((r) =>
            r.name.endsWith("guardduty-high-severity"),
        );
        expect(findings.map((r) => r.region)).to.have.members([run.config.primaryRegion, run.config.drRegion]);
        const unattested = await evaluatePolicies(run);
        expect(unattested.violations.map((v) => v.policyName)).to.deep.equal(["guardduty-enabled", "guardduty-enabled"]);
        const attested = await evaluatePolicies(run, {
            "guardduty-enabled": { existingDetectorRegions: [run.config.primaryRegion, run.config.drRegion] },
        });
        expect(attested.violations).to.deep.equal([]);
    });
});
