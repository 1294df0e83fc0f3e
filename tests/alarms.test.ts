import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { parseStackConfig } from "../config";
import { DEFAULT_MONTHLY_BUDGET_USD } from "../config/schema";
import {
    ALERT_PUBLISHER_SERVICES,
    BACKUP_FAILED_STATES,
    alertTopicPolicy,
    backupFailurePattern,
    budgetNotifications,
    guardDutyHighSeverityPattern,
    secretRotationFailurePattern,
} from "../lib/alerting";
import {
    MAX_ALARM_DESCRIPTION_LENGTH,
    RUNBOOK_PATH,
    RUNBOOK_SECTIONS,
    databaseAlarms,
    globalTableAlarms,
    healthCheckAlarm,
    orchestratorAlarms,
    replicationLagAlarm,
    runbookAnchor,
    serverlessMaxConnections,
    type AlarmDefinition,
} from "../lib/alarms";
import { trailBucketPolicy, trailEventSelectors, trailLifecycleRules, trailLogsRolePolicy } from "../lib/audit";
import { alarmGraph, dashboardBody, metricRow } from "../lib/dashboard";
import { HEALTH_CHECK_ALARM } from "../lib/failover";
import { actionsOf, isWildcardAction } from "../lib/iam";

const THRESHOLDS = { cpuPercent: 80, connectionsPercent: 80, freeLocalStorageMiB: 1024 };
const db = (maxCapacity = 32) =>
    databaseAlarms({ clusterIdentifier: "hdr-prod-aurora-eu-west-2", where: "primary cluster (eu-west-2)", maxCapacity, ...THRESHOLDS });
const byKey = (alarms: readonly AlarmDefinition[], key: string): AlarmDefinition => {
    const found = alarms.find((a) => a.key === key);
    if (found === undefined) {
        throw new Error(`no alarm ${key} among ${alarms.map((a) => a.key).join(", ")}`);
    }
    return found;
};
const everyAlarm = (): AlarmDefinition[] => [
    ...db(),
    replicationLagAlarm({
        clusterIdentifier: "hdr-prod-aurora-eu-west-1",
        where: "secondary cluster (eu-west-1)",
        rpoSeconds: 300,
    }),
    ...orchestratorAlarms({ functionName: "hdr-prod-orchestrator", deadLetterQueueName: "hdr-prod-orchestrator-dlq" }),
    healthCheckAlarm({ key: "primary", healthCheckId: "abcd-1234", what: "the primary region" }),
    ...globalTableAlarms({
        name: "audit-events",
        tableName: "hdr-prod-data-audit-events",
        region: "eu-west-2",
        peerRegion: "eu-west-1",
        rpoSeconds: 900,
    }),
];

describe("alarm definitions (lib/alarms.ts)", () => {
    describe("serverlessMaxConnections", () => {
        // LEAST({DBInstanceClassMemory/9531392}, 5000) at 2 GiB per ACU.
        // @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
        const table: [number, number][] = [
            [0.5, 112],
            [1, 225],
            [4, 901],
            [8, 1802],
            [32, 5000],
            [256, 5000],
        ];
        for (const [acu, expected] of table) {
            it(`allows ${expected} connections at ${acu} ACU`, () => {
                expect(serverlessMaxConnections(acu)).to.equal(expected);
            });
        }
        it("refuses a capacity that is not positive", () => {
            expect(() => serverlessMaxConnections(0)).to.throw(/maxCapacity: 0/);
        });
    });

    describe("database alarms", () => {
        // Each row: key, metric, statistic, dimensions, period, evaluation periods, datapoints, comparison, threshold.
        const table: [string, string, string, Record<string, string>, number, number, number, string, number][] = [
            [
                "db-writer-cpu",
                "CPUUtilization",
                "Average",
                { DBClusterIdentifier: "hdr-prod-aurora-eu-west-2", Role: "WRITER" },
                300,
                3,
                3,
                "GreaterThanThreshold",
                80,
            ],
            [
                "db-connections",
                "DatabaseConnections",
                "Maximum",
                { DBClusterIdentifier: "hdr-prod-aurora-eu-west-2" },
                300,
                2,
                2,
                "GreaterThanThreshold",
                4000,
            ],
            [
                "db-capacity-at-max",
                "ServerlessDatabaseCapacity",
                "Minimum",
                { DBClusterIdentifier: "hdr-prod-aurora-eu-west-2" },
                300,
                3,
                3,
                "GreaterThanOrEqualToThreshold",
                32,
            ],
            [
                "db-free-local-storage",
                "FreeLocalStorage",
                "Minimum",
                { DBClusterIdentifier: "hdr-prod-aurora-eu-west-2" },
                300,
                2,
                2,
                "LessThanThreshold",
                1024 * 1024 * 1024,
            ],
            [
                "db-deadlocks",
                "Deadlocks",
                "Maximum",
                { DBClusterIdentifier: "hdr-prod-aurora-eu-west-2", Role: "WRITER" },
                300,
                3,
                2,
                "GreaterThanThreshold",
                0,
            ],
        ];
        for (const [key, metricName, statistic, dimensions, period, evaluationPeriods, datapointsToAlarm, comparison, threshold] of table) {
            it(`${key}: ${metricName} (${statistic}, ${period} s, ${datapointsToAlarm} of ${evaluationPeriods}) ${comparison} ${threshold}`, () => {
                const alarm = byKey(db(), key);
                expect(alarm.metric).to.include({ namespace: "AWS/RDS", metricName, statistic, period });
                expect(alarm.metric.dimensions).to.deep.equal(dimensions);
                expect(alarm).to.include({
                    evaluationPeriods,
                    datapointsToAlarm,
                    comparisonOperator: comparison,
                    threshold,
                    treatMissingData: "notBreaching",
                });
            });
        }
        it("declares exactly these five alarms per cluster", () => {
            expect(db().map((a) => a.key)).to.have.members(table.map((row) => row[0]));
        });
        it("moves the connection threshold with the maximum capacity (80% of 901 at 4 ACU)", () => {
            expect(byKey(db(4), "db-connections").threshold).to.equal(720);
        });
    });

    describe("replication-lag alarm", () => {
        it("alarms on AuroraGlobalDBReplicationLag of the secondary above the RPO, in milliseconds", () => {
            const alarm = replicationLagAlarm({
                clusterIdentifier: "sec",
                where: "secondary cluster (eu-west-1)",
                rpoSeconds: 300,
            });
            expect(alarm.metric).to.include({
                namespace: "AWS/RDS",
                metricName: "AuroraGlobalDBReplicationLag",
                statistic: "Maximum",
                period: 60,
            });
            expect(alarm.metric.dimensions).to.deep.equal({ DBClusterIdentifier: "sec" });
            expect(alarm).to.include({
                threshold: 300_000,
                comparisonOperator: "GreaterThanThreshold",
                evaluationPeriods: 3,
                datapointsToAlarm: 3,
            });
        });
        it("treats silence as not breaching: either cluster can be the writer, which reports no lag (a silent writer is the heartbeat's to catch)", () => {
            const alarm = replicationLagAlarm({ clusterIdentifier: "sec", where: "x", rpoSeconds: 60 });
            expect(alarm.treatMissingData).to.equal("notBreaching");
        });
        it("refuses an RPO that is not positive", () => {
            expect(() => replicationLagAlarm({ clusterIdentifier: "sec", where: "x", rpoSeconds: 0 })).to.throw(/recovery point objective/);
        });
    });

    describe("orchestrator alarms", () => {
        it("alarms on errors, throttles and dead letters, each above zero", () => {
            const alarms = orchestratorAlarms({ functionName: "fn", deadLetterQueueName: "dlq" });
            expect(byKey(alarms, "orchestrator-errors").metric).to.deep.include({
                namespace: "AWS/Lambda",
                metricName: "Errors",
                statistic: "Sum",
                period: 60,
                dimensions: { FunctionName: "fn" },
            });
            expect(byKey(alarms, "orchestrator-throttles").metric).to.deep.include({
                namespace: "AWS/Lambda",
                metricName: "Throttles",
                dimensions: { FunctionName: "fn" },
            });
            expect(byKey(alarms, "orchestrator-dlq").metric).to.deep.include({
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                statistic: "Maximum",
                period: 300,
                dimensions: { QueueName: "dlq" },
            });
            for (const alarm of alarms) {
                expect(alarm).to.include({ threshold: 0, comparisonOperator: "GreaterThanThreshold", treatMissingData: "notBreaching" });
            }
        });
        it("creates only the alarms whose names are given", () => {
            expect(orchestratorAlarms({}).map((a) => a.key)).to.deep.equal([]);
            expect(orchestratorAlarms({ deadLetterQueueName: "q" }).map((a) => a.key)).to.deep.equal(["orchestrator-dlq"]);
        });
    });

    describe("health-check alarm", () => {
        it("alarms on HealthCheckStatus below 1 with the timing the recovery budget counts, and treats silence as breaching", () => {
            const alarm = healthCheckAlarm({ key: "primary", healthCheckId: "hc-1", what: "the primary region" });
            expect(alarm.metric).to.deep.include({
                namespace: "AWS/Route53",
                metricName: "HealthCheckStatus",
                statistic: "Minimum",
                period: HEALTH_CHECK_ALARM.periodSeconds,
                dimensions: { HealthCheckId: "hc-1" },
            });
            expect(alarm).to.include({
                threshold: 1,
                comparisonOperator: "LessThanThreshold",
                evaluationPeriods: HEALTH_CHECK_ALARM.evaluationPeriods,
                datapointsToAlarm: HEALTH_CHECK_ALARM.datapointsToAlarm,
                treatMissingData: "breaching",
            });
        });
    });

    describe("descriptions and the runbook", () => {
        const runbook = fs.readFileSync(path.join(__dirname, "..", RUNBOOK_PATH), "utf8");
        const headings = runbook
            .split("\n")
            .filter((line) => line.startsWith("## "))
            .map((line) => line.slice(3).trim());

        it("has a runbook section for every alarm and alert", () => {
            expect(headings).to.include.members(Object.values(RUNBOOK_SECTIONS));
        });
        for (const alarm of everyAlarm()) {
            it(`${alarm.key}: names its runbook section and explains missing data, within CloudWatch's 1024 characters`, () => {
                expect(alarm.description).to.include(`${RUNBOOK_PATH}#${runbookAnchor(alarm.runbookSection)}`);
                expect(alarm.description).to.include(`"${alarm.runbookSection}"`);
                expect(alarm.description).to.include(
                    `Missing data: ${alarm.treatMissingData === "notBreaching" ? "not breaching" : alarm.treatMissingData}`,
                );
                expect(alarm.description.length).to.be.at.most(MAX_ALARM_DESCRIPTION_LENGTH);
                expect(alarm.datapointsToAlarm).to.be.at.most(alarm.evaluationPeriods);
                // Route 53 health checks and standard-resolution alarms want whole minutes.
                expect(alarm.metric.period % 60).to.equal(0);
            });
        }
        it("anchors headings as GitHub does", () => {
            expect(runbookAnchor("Global database replication lag above the RPO")).to.equal(
                "global-database-replication-lag-above-the-rpo",
            );
            expect(runbookAnchor("AWS Backup job failed")).to.equal("aws-backup-job-failed");
        });
    });
});

describe("dashboards (lib/dashboard.ts)", () => {
    it("plots each alarm's own metric, with its threshold, not a copy", () => {
        const alarm = byKey(db(), "db-writer-cpu");
        const graph = alarmGraph(alarm, "eu-west-2");
        expect(graph.metrics[0]).to.equal(alarm.metric);
        expect(graph.thresholds).to.deep.equal([{ value: 80, label: "alarm: GreaterThanThreshold 80" }]);
    });
    it("writes a metric as namespace, name, dimension pairs and rendering options", () => {
        expect(metricRow(byKey(db(), "db-writer-cpu").metric)).to.deep.equal([
            "AWS/RDS",
            "CPUUtilization",
            "DBClusterIdentifier",
            "hdr-prod-aurora-eu-west-2",
            "Role",
            "WRITER",
            { stat: "Average", period: 300, label: "Writer CPU (%)" },
        ]);
    });
    it("lays sections out as a title row and graphs three to a row, each graph in its metric's region", () => {
        const body = JSON.parse(
            dashboardBody([
                { title: "Database", graphs: db().map((a) => alarmGraph(a, "eu-west-2")) },
                { title: "Orchestrator", graphs: [], emptyText: "Not deployed." },
            ]),
        ) as { widgets: { type: string; x: number; y: number; width: number; properties: Record<string, unknown> }[] };
        const metrics = body.widgets.filter((w) => w.type === "metric");
        expect(metrics).to.have.length(5);
        expect(metrics.map((w) => [w.x, w.y])).to.deep.equal([
            [0, 1],
            [8, 1],
            [16, 1],
            [0, 7],
            [8, 7],
        ]);
        expect(metrics.every((w) => w.properties["region"] === "eu-west-2")).to.equal(true);
        expect(body.widgets.filter((w) => w.type === "text").map((w) => w.properties["markdown"])).to.deep.equal([
            "## Database",
            "## Orchestrator\nNot deployed.",
        ]);
    });
});

describe("alert routing (lib/alerting.ts)", () => {
    const topicArn = "arn:aws:sns:eu-west-2:123456789012:hdr-prod-alerts";
    it("lets only CloudWatch, EventBridge and AWS Backup of this account publish", () => {
        const policy = alertTopicPolicy({ topicArn, accountId: "123456789012" });
        const allows = policy.Statement.filter((s) => s.Effect === "Allow");
        expect(allows).to.have.length(1);
        expect(allows[0]).to.deep.include({
            Principal: { Service: [...ALERT_PUBLISHER_SERVICES] },
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        });
        expect(ALERT_PUBLISHER_SERVICES).to.deep.equal(["cloudwatch.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com"]);
    });
    it("names no IAM role: the orchestrator publishes through its own IAM policy, so no policy waits on a role", () => {
        const policy = alertTopicPolicy({ topicArn, accountId: "123456789012" });
        expect(policy.Statement.filter((st) => typeof st.Principal === "object" && "AWS" in st.Principal)).to.deep.equal([]);
    });
    it("refuses publishing without TLS and allows no wildcard action", () => {
        const policy = alertTopicPolicy({ topicArn, accountId: "123456789012" });
        expect(policy.Statement).to.deep.include({
            Sid: "DenyPublishWithoutTls",
            Effect: "Deny",
            Principal: "*",
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        for (const statement of policy.Statement) {
            expect(actionsOf(statement).some(isWildcardAction)).to.equal(false);
        }
    });
    it("routes GuardDuty findings of severity 7 (High) and above", () => {
        expect(JSON.parse(guardDutyHighSeverityPattern())).to.deep.equal({
            source: ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            detail: { severity: [{ numeric: [">=", 7] }] },
        });
    });
    it("routes failed backup, copy and restore jobs, whether the event says state or status", () => {
        const pattern = JSON.parse(backupFailurePattern()) as Record<string, unknown>;
        expect(pattern["source"]).to.deep.equal(["aws.backup"]);
        expect(pattern["detail-type"]).to.deep.equal(["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"]);
        expect(pattern["$or"]).to.deep.equal([
            { detail: { state: [...BACKUP_FAILED_STATES] } },
            { detail: { status: [...BACKUP_FAILED_STATES] } },
        ]);
        expect(BACKUP_FAILED_STATES).to.include.members(["FAILED", "ABORTED", "EXPIRED"]);
    });
    it("routes failed secret rotations, as Secrets Manager reports them through CloudTrail", () => {
        expect(JSON.parse(secretRotationFailurePattern())).to.deep.equal({
            source: ["aws.secretsmanager"],
            "detail-type": ["AWS Service Event via CloudTrail"],
            detail: { eventSource: ["secretsmanager.amazonaws.com"], eventName: ["RotationFailed"] },
        });
    });
    it("emails the budget at 80% and 100% actual and 100% forecast", () => {
        const notifications = budgetNotifications(["a@example.org"]);
        expect(notifications.map((n) => [n.notificationType, n.threshold, n.thresholdType, n.comparisonOperator])).to.deep.equal([
            ["ACTUAL", 80, "PERCENTAGE", "GREATER_THAN"],
            ["ACTUAL", 100, "PERCENTAGE", "GREATER_THAN"],
            ["FORECASTED", 100, "PERCENTAGE", "GREATER_THAN"],
        ]);
        expect(notifications.every((n) => n.subscriberEmailAddresses[0] === "a@example.org")).to.equal(true);
    });
    it("refuses more than 10 budget subscribers (the AWS Budgets limit)", () => {
        expect(() => budgetNotifications(Array.from({ length: 11 }, (_, i) => `a${i}@example.org`))).to.throw(/1 to 10 email addresses/);
    });
});

describe("audit trail policies (lib/audit.ts)", () => {
    const bucketArn = "arn:aws:s3:::hdr-prod-audit-trail-abc";
    const trail = "arn:aws:cloudtrail:eu-west-2:123456789012:trail/hdr-prod-audit";
    it("lets CloudTrail write only this trail's log files, owner in full control, over TLS", () => {
        const policy = trailBucketPolicy({ bucketArn, accountId: "123456789012", trailArn: trail });
        expect(policy.Statement).to.deep.include({
            Sid: "CloudTrailWritesLogFiles",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${bucketArn}/AWSLogs/123456789012/*`,
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail } },
        });
        expect(policy.Statement).to.deep.include({
            Sid: "CloudTrailChecksBucketAcl",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:GetBucketAcl",
            Resource: bucketArn,
            Condition: { StringEquals: { "aws:SourceArn": trail } },
        });
        expect(policy.Statement.map((s) => s.Sid)).to.include.members(["DenyInsecureTransport", "DenyOutdatedTls"]);
    });
    it("lets the CloudWatch Logs role write only to the trail's log streams", () => {
        const group = "arn:aws:logs:eu-west-2:123456789012:log-group:/aws/cloudtrail/hdr-prod-audit";
        expect(trailLogsRolePolicy({ logGroupArn: group }).Statement).to.deep.equal([
            {
                Sid: "DeliverTrailEventsToItsLogGroup",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `${group}:log-stream:*`,
            },
        ]);
    });
    it("records all management events and the object-level calls on the given buckets only", () => {
        const selectors = trailEventSelectors(["arn:aws:s3:::a", "arn:aws:s3:::b"]);
        expect(selectors[0]!.fieldSelectors).to.deep.equal([{ field: "eventCategory", equals: ["Management"] }]);
        expect(selectors[1]!.fieldSelectors).to.deep.equal([
            { field: "eventCategory", equals: ["Data"] },
            { field: "resources.type", equals: ["AWS::S3::Object"] },
            { field: "resources.ARN", startsWiths: ["arn:aws:s3:::a/", "arn:aws:s3:::b/"] },
        ]);
        expect(trailEventSelectors([])).to.have.length(1);
    });
    it("expires log files after the retention and refuses a retention under a day", () => {
        expect(trailLifecycleRules(365)[0]).to.deep.include({ id: "expire-audit-logs", expiration: { days: 365 } });
        expect(() => trailLifecycleRules(0)).to.throw(/retentionDays: 0/);
    });
});

describe("config: alarms and budget", () => {
    const base = { "healthcare-dr:accountId": "123456789012", "healthcare-dr:alerts": '{"emails":["a@example.org"]}' };
    const parse = (extra: Record<string, string>, stack = "dev") => parseStackConfig({ ...base, ...extra }, stack);

    it("defaults the thresholds to 80% CPU, 80% of max connections, 1024 MiB free local storage", () => {
        const result = parse({});
        expect(result.ok && result.config.alarms).to.deep.equal({ cpuPercent: 80, connectionsPercent: 80, freeLocalStorageMiB: 1024 });
    });
    it("defaults the monthly budget per environment", () => {
        const dev = parse({});
        const prod = parse({ "healthcare-dr:database": '{"drInstances":1}' }, "prod");
        expect(dev.ok && dev.config.budget.monthlyUsd).to.equal(DEFAULT_MONTHLY_BUDGET_USD.dev);
        expect(prod.ok && prod.config.budget.monthlyUsd).to.equal(DEFAULT_MONTHLY_BUDGET_USD.prod);
    });
    it("accepts a budget in dollars and cents", () => {
        const result = parse({ "healthcare-dr:budget": '{"monthlyUsd":1499.99}' });
        expect(result.ok && result.config.budget.monthlyUsd).to.equal(1499.99);
    });
    const bad: [string, string, string, RegExp][] = [
        ["healthcare-dr:alarms", '{"cpuPercent":120}', "healthcare-dr:alarms.cpuPercent", /at most 100 percent/],
        ["healthcare-dr:alarms", '{"cpuPercent":"high"}', "healthcare-dr:alarms.cpuPercent", /number of percent/],
        ["healthcare-dr:alarms", '{"connectionsPercent":0}', "healthcare-dr:alarms.connectionsPercent", /above 0/],
        ["healthcare-dr:alarms", '{"freeLocalStorageMiB":0.5}', "healthcare-dr:alarms.freeLocalStorageMiB", /whole number of MiB/],
        ["healthcare-dr:alarms", '{"cpuPercnt":70}', "healthcare-dr:alarms.cpuPercnt", /did you mean cpuPercent/],
        ["healthcare-dr:budget", '{"monthlyUsd":0}', "healthcare-dr:budget.monthlyUsd", /above 0/],
        ["healthcare-dr:budget", '{"monthlyUsd":10.001}', "healthcare-dr:budget.monthlyUsd", /two decimals/],
        ["healthcare-dr:budget", '{"monthlyUsd":"lots"}', "healthcare-dr:budget.monthlyUsd", /US dollars/],
    ];
    for (const [key, value, named, message] of bad) {
        it(`rejects ${key} = ${value}, naming ${named}`, () => {
            const result = parse({ [key]: value });
            expect(result.ok).to.equal(false);
            const issues = result.ok ? [] : result.issues;
            expect(issues.map((i) => i.key)).to.deep.equal([named]);
            expect(issues[0]!.message).to.match(message);
        });
    }
});
