import { expect } from "chai";
import { actionsOf, isWildcardAction, type PolicyDocument } from "../lib/iam";
import type { PlannedResource, ProgramRun } from "./harness/program";
import { componentOf, planStack, resourceNamed, resourcesOfType } from "./harness/stacks";

const T = {
    component: "healthcare:dr:ReplicatedBucket",
    logComponent: "healthcare:dr:AccessLogBucket",
    bucket: "aws:s3/bucket:Bucket",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    logging: "aws:s3/bucketLogging:BucketLogging",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    key: "aws:kms/key:Key",
} as const;

/** Every per-bucket resource type: a complete bucket has one of each. */
const BUCKET_PARTS = [T.bucket, T.versioning, T.encryption, T.publicAccessBlock, T.ownership, T.lifecycle, T.policy, T.logging] as const;

const str = (v: unknown): string => v as string;
const policyOf = (r: PlannedResource): PolicyDocument => JSON.parse(str(r.inputs["policy"])) as PolicyDocument;
const keyArn = (run: ProgramRun, role: "primary" | "dr"): string => str(resourceNamed(run, T.key, `${role}-key`).state["arn"]);
const bucketState = (run: ProgramRun, name: string) => resourceNamed(run, T.bucket, name).state;

describe("ReplicatedBucket", () => {
    let dev: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        [dev, prod] = await Promise.all([planStack("dev"), planStack("prod")]);
    });

    describe("one component per data set of the stack file", () => {
        it("declares a complete pair for each data set, so a second data set in Pulumi.dev.yaml needs no code", () => {
            expect(resourcesOfType(dev, T.component).map((c) => c.name)).to.deep.equal(["clinical-documents", "imaging-reports"]);
            expect(resourcesOfType(prod, T.component).map((c) => c.name)).to.deep.equal(["clinical-documents"]);
            for (const dataSet of ["clinical-documents", "imaging-reports"]) {
                for (const [side, region] of [
                    ["source", "eu-west-2"],
                    ["replica", "eu-west-1"],
                ] as const) {
                    for (const type of BUCKET_PARTS) {
                        const r = resourceNamed(dev, type, `${dataSet}-${side}`);
                        expect(componentOf(dev, r)?.name, `${type} ${dataSet}-${side}`).to.equal(dataSet);
                        expect(componentOf(dev, r)?.type).to.equal(T.component);
                        expect(r.region, `${type} ${dataSet}-${side}`).to.equal(region);
                    }
                }
                for (const type of [T.replication, T.role, T.rolePolicy]) {
                    expect(resourceNamed(dev, type, `${dataSet}-to-dr`).region).to.equal("eu-west-2");
                }
            }
        });

        it("names buckets hdr-<stack>-<data set>-pri|dr-", () => {
            expect(str(bucketState(dev, "clinical-documents-source")["bucket"])).to.match(/^hdr-dev-clinical-documents-pri-/);
            expect(str(bucketState(dev, "imaging-reports-replica")["bucket"])).to.match(/^hdr-dev-imaging-reports-dr-/);
            expect(str(bucketState(prod, "clinical-documents-replica")["bucket"])).to.match(/^hdr-prod-clinical-documents-dr-/);
        });
    });

    describe("each bucket", () => {
        const sides = [
            ["clinical-documents-source", "primary"],
            ["clinical-documents-replica", "dr"],
        ] as const;

        it("has versioning on", () => {
            for (const run of [dev, prod]) {
                for (const [name] of sides) {
                    expect(resourceNamed(run, T.versioning, name).inputs["versioningConfiguration"]).to.deep.equal({ status: "Enabled" });
                }
            }
        });

        it("encrypts with its region's key (SSE-KMS, Bucket Key on, SSE-C blocked)", () => {
            for (const run of [dev, prod]) {
                for (const [name, role] of sides) {
                    expect(resourceNamed(run, T.encryption, name).inputs["rules"]).to.deep.equal([
                        {
                            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn(run, role) },
                            bucketKeyEnabled: true,
                            blockedEncryptionTypes: ["SSE-C"],
                        },
                    ]);
                }
            }
        });

        it("blocks all public access and disables ACLs", () => {
            for (const [name] of sides) {
                expect(resourceNamed(prod, T.publicAccessBlock, name).inputs).to.deep.include({
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                });
                expect(resourceNamed(prod, T.ownership, name).inputs["rule"]).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });
            }
        });

        it("has a policy denying requests without TLS and uploads with anything but its region's key", () => {
            for (const [name, role] of sides) {
                const policy = policyOf(resourceNamed(prod, T.policy, name));
                const arn = str(bucketState(prod, name)["arn"]);
                expect(policy.Statement.map((s) => s.Sid)).to.deep.equal([
                    "DenyInsecureTransport",
                    "DenyOutdatedTls",
                    "DenyUploadsNotSseKms",
                    "DenyUploadsWithAnotherKmsKey",
                    "DenyUploadsWithTheAwsManagedKey",
                ]);
                expect(policy.Statement[0]!.Resource).to.deep.equal([arn, `${arn}/*`]);
                expect(JSON.stringify(policy.Statement[3]!.Condition)).to.include(keyArn(prod, role));
                expect(resourceNamed(prod, T.policy, name).options.dependsOn).to.include(
                    resourceNamed(prod, T.publicAccessBlock, name).urn,
                );
            }
        });

        it("has the lifecycle of its data set: defaults, or the stack file's overrides", () => {
            const days = (run: ProgramRun, name: string) => {
                const rules = resourceNamed(run, T.lifecycle, name).inputs["rules"] as {
                    id: string;
                    transitions?: { days: number; storageClass: string }[];
                    noncurrentVersionExpiration?: { noncurrentDays: number };
                    abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
                }[];
                return {
                    tiering: rules.find((r) => r.id === "current-to-intelligent-tiering")?.transitions,
                    noncurrent: rules.find((r) => r.id === "expire-noncurrent-versions")?.noncurrentVersionExpiration?.noncurrentDays,
                    multipart: rules.find((r) => r.id === "abort-incomplete-multipart-uploads")?.abortIncompleteMultipartUpload
                        ?.daysAfterInitiation,
                };
            };
            for (const name of ["clinical-documents-source", "clinical-documents-replica"]) {
                expect(days(dev, name)).to.deep.equal({
                    tiering: [{ days: 30, storageClass: "INTELLIGENT_TIERING" }],
                    noncurrent: 90,
                    multipart: 7,
                });
            }
            expect(days(dev, "imaging-reports-replica")).to.deep.equal({
                tiering: [{ days: 0, storageClass: "INTELLIGENT_TIERING" }],
                noncurrent: 30,
                multipart: 7,
            });
        });

        it("sends server access logs to the access-log bucket of its own region, one folder per data set", () => {
            for (const [name, role] of sides) {
                const logging = resourceNamed(dev, T.logging, name);
                const logBucket = resourceNamed(dev, T.bucket, `${role}-access-logs`);
                expect(logging.inputs).to.deep.include({ targetBucket: logBucket.state["bucket"], targetPrefix: "clinical-documents/" });
                expect(logging.region).to.equal(logBucket.region);
            }
        });

        it("is destroyable in dev (forceDestroy, no protect; Object Lock only on the run-report buckets, GOVERNANCE for a day)", () => {
            // The run-report buckets are Object-Locked from creation (RunReportBucket); in dev for one day in GOVERNANCE
            // mode, which forceDestroy bypasses, so the stack can still be torn down.
            const reports = /^(primary|dr)-failover-reports$/;
            for (const r of resourcesOfType(dev, T.bucket)) {
                expect(r.inputs["forceDestroy"], r.name).to.equal(true);
                expect(r.options.protect || r.options.retainOnDelete, r.name).to.equal(false);
                expect(r.inputs["objectLockEnabled"], r.name).to.equal(reports.test(r.name) ? true : undefined);
            }
            const locks = resourcesOfType(dev, T.objectLock);
            expect(locks.map((l) => l.name).sort()).to.deep.equal(["dr-failover-reports", "primary-failover-reports"]);
            for (const lock of locks) {
                expect(lock.inputs["rule"], lock.name).to.deep.equal({ defaultRetention: { mode: "GOVERNANCE", days: 1 } });
            }
        });

        it("is protected and retained in prod, never force-destroyed", () => {
            for (const r of resourcesOfType(prod, T.bucket)) {
                expect(r.options, r.name).to.deep.include({ protect: true, retainOnDelete: true });
                expect(r.inputs["forceDestroy"], r.name).to.equal(false);
            }
        });

        it("in prod, has Object Lock enabled at creation and a governance-mode default retention, after versioning", () => {
            for (const [name] of sides) {
                expect(resourceNamed(prod, T.bucket, name).inputs["objectLockEnabled"]).to.equal(true);
                const lock = resourceNamed(prod, T.objectLock, name);
                expect(lock.inputs["rule"]).to.deep.equal({ defaultRetention: { mode: "GOVERNANCE", days: 365 } });
                expect(lock.options.dependsOn).to.include(resourceNamed(prod, T.versioning, name).urn);
            }
        });
    });

    describe("replication", () => {
        it("depends on the versioning of BOTH buckets (S3 refuses it otherwise) and on the role's permissions", () => {
            for (const run of [dev, prod]) {
                const replication = resourceNamed(run, T.replication, "clinical-documents-to-dr");
                expect(replication.options.dependsOn).to.include.members([
                    resourceNamed(run, T.versioning, "clinical-documents-source").urn,
                    resourceNamed(run, T.versioning, "clinical-documents-replica").urn,
                    resourceNamed(run, T.rolePolicy, "clinical-documents-to-dr").urn,
                ]);
            }
        });

        it("replicates the source to the replica with RTC 15 minutes, metrics, delete markers, SSE-KMS and replica-modification sync", () => {
            const replication = resourceNamed(prod, T.replication, "clinical-documents-to-dr");
            expect(replication.inputs["bucket"]).to.equal(bucketState(prod, "clinical-documents-source")["bucket"]);
            expect(replication.inputs["role"]).to.equal(resourceNamed(prod, T.role, "clinical-documents-to-dr").state["arn"]);
            const rules = replication.inputs["rules"] as Record<string, unknown>[];
            expect(rules).to.have.length(1);
            expect(rules[0]).to.deep.include({
                id: "to-dr",
                status: "Enabled",
                deleteMarkerReplication: { status: "Enabled" },
                sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" }, replicaModifications: { status: "Enabled" } },
            });
            expect(rules[0]!["existingObjectReplication"]).to.equal(undefined);
            expect(rules[0]!["destination"]).to.deep.equal({
                bucket: bucketState(prod, "clinical-documents-replica")["arn"],
                encryptionConfiguration: { replicaKmsKeyId: keyArn(prod, "dr") },
                replicationTime: { status: "Enabled", time: { minutes: 15 } },
                metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            });
        });

        it("uses a role only S3 of this account can assume", () => {
            const trust = JSON.parse(
                str(resourceNamed(prod, T.role, "clinical-documents-to-dr").inputs["assumeRolePolicy"]),
            ) as PolicyDocument;
            expect(trust.Statement).to.deep.equal([
                {
                    Effect: "Allow",
                    Principal: { Service: "s3.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
                },
            ]);
        });

        it("gives the role exactly the replication actions, action by action, on these two buckets and these two keys", () => {
            const source = str(bucketState(prod, "clinical-documents-source")["arn"]);
            const replica = str(bucketState(prod, "clinical-documents-replica")["arn"]);
            const policy = policyOf(resourceNamed(prod, T.rolePolicy, "clinical-documents-to-dr"));
            expect(policy.Statement.map((s) => [s.Sid, actionsOf(s), s.Resource])).to.deep.equal([
                ["ReadSourceReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], source],
                [
                    "ReadSourceObjectVersions",
                    [
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                        // Prod has Object Lock on the source.
                        "s3:GetObjectRetention",
                        "s3:GetObjectLegalHold",
                    ],
                    `${source}/*`,
                ],
                ["WriteReplicas", ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], `${replica}/*`],
                ["DecryptSourceObjects", ["kms:Decrypt"], keyArn(prod, "primary")],
                ["EncryptReplicas", ["kms:Encrypt", "kms:Decrypt"], keyArn(prod, "dr")],
            ]);
            for (const s of policy.Statement) {
                expect(actionsOf(s).filter(isWildcardAction), s.Sid).to.deep.equal([]);
            }
            expect(policy.Statement[3]!.Condition).to.deep.equal({
                StringEquals: { "kms:ViaService": "s3.eu-west-2.amazonaws.com" },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [source, `${source}/*`] },
            });
            expect(policy.Statement[4]!.Condition).to.deep.equal({
                StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [replica, `${replica}/*`] },
            });
        });

        it("replicates back to the primary in prod by default, and in dev only for a data set with reverseReplication", () => {
            // Only the data sets' rules: the audit trail's bucket replicates its log files too, on its own.
            const dataSetRules = (run: ProgramRun) =>
                resourcesOfType(run, T.replication)
                    .filter((r) => componentOf(run, r)?.type === "healthcare:dr:ReplicatedBucket")
                    .map((r) => r.name);
            expect(dataSetRules(dev)).to.have.members(["clinical-documents-to-dr", "imaging-reports-to-dr", "imaging-reports-to-primary"]);
            // Prod's stack file does not set it: the environment's default turns it on, so failback loses no object.
            expect(prod.config.buckets.map((d) => d.reverseReplication)).to.deep.equal([true]);
            expect(dataSetRules(prod)).to.have.members(["clinical-documents-to-dr", "clinical-documents-to-primary"]);
            expect(resourceNamed(prod, T.replication, "clinical-documents-to-primary").region).to.equal("eu-west-1");
            const back = resourceNamed(dev, T.replication, "imaging-reports-to-primary");
            expect(back.region).to.equal("eu-west-1");
            expect(back.inputs["bucket"]).to.equal(bucketState(dev, "imaging-reports-replica")["bucket"]);
            const rule = (back.inputs["rules"] as { id: string; destination: Record<string, unknown> }[])[0]!;
            expect(rule.id).to.equal("to-primary");
            expect(rule.destination).to.deep.include({
                bucket: bucketState(dev, "imaging-reports-source")["arn"],
                encryptionConfiguration: { replicaKmsKeyId: keyArn(dev, "primary") },
            });
            expect(back.options.dependsOn).to.include.members([
                resourceNamed(dev, T.versioning, "imaging-reports-source").urn,
                resourceNamed(dev, T.versioning, "imaging-reports-replica").urn,
            ]);
            const policy = policyOf(resourceNamed(dev, T.rolePolicy, "imaging-reports-to-primary"));
            expect(policy.Statement.find((s) => s.Sid === "DecryptSourceObjects")!.Resource).to.equal(keyArn(dev, "dr"));
            expect(policy.Statement.find((s) => s.Sid === "EncryptReplicas")!.Resource).to.equal(keyArn(dev, "primary"));
        });
    });

    describe("alarms", () => {
        it("alarm on ReplicationLatency above the RPO and OperationsFailedReplication above zero, in the source region", () => {
            for (const [run, rpo] of [
                [dev, 900],
                [prod, 900],
            ] as const) {
                const latency = resourceNamed(run, T.alarm, "clinical-documents-to-dr-replication-latency");
                const failed = resourceNamed(run, T.alarm, "clinical-documents-to-dr-replication-failed");
                expect(latency.inputs).to.deep.include({ namespace: "AWS/S3", metricName: "ReplicationLatency", threshold: rpo });
                expect(failed.inputs).to.deep.include({ namespace: "AWS/S3", metricName: "OperationsFailedReplication", threshold: 0 });
                for (const alarm of [latency, failed]) {
                    expect(alarm.region).to.equal("eu-west-2");
                    expect(alarm.inputs["comparisonOperator"]).to.equal("GreaterThanThreshold");
                    expect(alarm.inputs["dimensions"]).to.deep.equal({
                        SourceBucket: bucketState(run, "clinical-documents-source")["bucket"],
                        DestinationBucket: bucketState(run, "clinical-documents-replica")["bucket"],
                        RuleId: "to-dr",
                    });
                    // The source region's alert topic: an alarm can only notify a topic of its own region.
                    expect(alarm.inputs["alarmActions"]).to.deep.equal([`arn:aws:sns:eu-west-2:123456789012:hdr-${run.stack}-alerts`]);
                }
            }
        });

        it("watch the reverse rule in the DR region when reverse replication is on", () => {
            for (const [run, dataSet] of [
                [dev, "imaging-reports"],
                [prod, "clinical-documents"],
            ] as const) {
                const latency = resourceNamed(run, T.alarm, `${dataSet}-to-primary-replication-latency`);
                expect(latency.region).to.equal("eu-west-1");
                expect((latency.inputs["dimensions"] as Record<string, string>)["RuleId"]).to.equal("to-primary");
                expect(latency.inputs["alarmActions"]).to.deep.equal([`arn:aws:sns:eu-west-1:123456789012:hdr-${run.stack}-alerts`]);
            }
        });

        it("graph each direction on the dashboard of the region it replicates from, and only the directions that exist", () => {
            const rowsOf = (run: ProgramRun, role: "primary" | "dr") => {
                const dashboard = resourceNamed(run, "aws:cloudwatch/dashboard:Dashboard", `${role}-monitoring-dashboard`);
                const body = JSON.parse(str(dashboard.inputs["dashboardBody"])) as { widgets: { properties: { metrics?: unknown[][] } }[] };
                return body.widgets.flatMap((w) => w.properties.metrics ?? []).filter((row) => row[0] === "AWS/S3");
            };
            const routesOf = (rows: unknown[][]) => new Set(rows.map((row) => `${String(row[3])}>${String(row[5])}:${String(row[7])}`));
            for (const run of [dev, prod]) {
                const expected = { primary: new Set<string>(), dr: new Set<string>() };
                for (const dataSet of run.config.buckets) {
                    const source = str(bucketState(run, `${dataSet.name}-source`)["bucket"]);
                    const replica = str(bucketState(run, `${dataSet.name}-replica`)["bucket"]);
                    expected.primary.add(`${source}>${replica}:to-dr`);
                    if (dataSet.reverseReplication) expected.dr.add(`${replica}>${source}:to-primary`);
                }
                expect(routesOf(rowsOf(run, "primary")), `${run.stack} primary`).to.deep.equal(expected.primary);
                expect(routesOf(rowsOf(run, "dr")), `${run.stack} dr`).to.deep.equal(expected.dr);
            }
        });
    });

    describe("outputs", () => {
        it("exports both bucket names and ARNs and the replication role ARN per data set, and the bucket ARNs per region", () => {
            const buckets = dev.outputs["buckets"] as Record<string, Record<string, string>>;
            expect(Object.keys(buckets)).to.deep.equal(["clinical-documents", "imaging-reports"]);
            expect(buckets["clinical-documents"]).to.deep.include({
                sourceBucket: bucketState(dev, "clinical-documents-source")["bucket"],
                sourceBucketArn: bucketState(dev, "clinical-documents-source")["arn"],
                replicaBucket: bucketState(dev, "clinical-documents-replica")["bucket"],
                replicaBucketArn: bucketState(dev, "clinical-documents-replica")["arn"],
                replicationRoleArn: resourceNamed(dev, T.role, "clinical-documents-to-dr").state["arn"],
            });
            expect(buckets["imaging-reports"]!["failbackReplicationRoleArn"]).to.equal(
                resourceNamed(dev, T.role, "imaging-reports-to-primary").state["arn"],
            );
            expect(dev.outputs["bucketArns"]).to.deep.equal({
                primary: [bucketState(dev, "clinical-documents-source")["arn"], bucketState(dev, "imaging-reports-source")["arn"]],
                dr: [bucketState(dev, "clinical-documents-replica")["arn"], bucketState(dev, "imaging-reports-replica")["arn"]],
            });
        });
    });
});

describe("AccessLogBucket", () => {
    let prod: ProgramRun;
    before(async () => {
        prod = await planStack("prod");
    });

    it("exists once per region", () => {
        expect(resourcesOfType(prod, T.logComponent).map((c) => c.name)).to.have.members(["primary-access-logs", "dr-access-logs"]);
        expect(resourceNamed(prod, T.bucket, "primary-access-logs").region).to.equal("eu-west-2");
        expect(resourceNamed(prod, T.bucket, "dr-access-logs").region).to.equal("eu-west-1");
    });

    it("obeys the data buckets' rules, with SSE-S3 and no Object Lock as server access logging requires", () => {
        for (const name of ["primary-access-logs", "dr-access-logs"]) {
            expect(componentOf(prod, resourceNamed(prod, T.bucket, name))?.type).to.equal(T.logComponent);
            expect(resourceNamed(prod, T.versioning, name).inputs["versioningConfiguration"]).to.deep.equal({ status: "Enabled" });
            expect(resourceNamed(prod, T.publicAccessBlock, name).inputs).to.deep.include({
                blockPublicPolicy: true,
                restrictPublicBuckets: true,
            });
            expect(resourceNamed(prod, T.ownership, name).inputs["rule"]).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });
            expect(resourceNamed(prod, T.encryption, name).inputs["rules"]).to.deep.equal([
                { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, blockedEncryptionTypes: ["SSE-C"] },
            ]);
            expect(resourceNamed(prod, T.bucket, name).inputs["objectLockEnabled"]).to.equal(undefined);
            expect(resourceNamed(prod, T.bucket, name).options).to.deep.include({ protect: true, retainOnDelete: true });
            const rules = resourceNamed(prod, T.lifecycle, name).inputs["rules"] as { id: string; expiration?: { days: number } }[];
            expect(rules.find((r) => r.id === "expire-access-logs")?.expiration).to.deep.equal({ days: 365 });
        }
        expect(resourcesOfType(prod, T.logging).map((r) => r.name)).to.not.include.members(["primary-access-logs", "dr-access-logs"]);
    });

    it("accepts logs from the S3 logging service for this stack's buckets only, over TLS", () => {
        const policy = policyOf(resourceNamed(prod, T.policy, "primary-access-logs"));
        expect(policy.Statement.map((s) => s.Sid)).to.deep.equal([
            "DenyInsecureTransport",
            "DenyOutdatedTls",
            "AllowServerAccessLogDelivery",
            "DenyUploadsNotSseS3",
            // prod has an application tier: its load balancer logs here too.
            "AllowAlbAccessLogDelivery",
        ]);
        expect(policy.Statement[2]!.Condition).to.deep.equal({
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnLike: { "aws:SourceArn": "arn:aws:s3:::hdr-prod-*" },
        });
    });

    it("lets the region's Elastic Load Balancing account write the ALB's logs under alb/, for this account only", () => {
        for (const [name, elbAccount] of [
            ["primary-access-logs", "652711504416"],
            ["dr-access-logs", "156460612806"],
        ] as const) {
            const policy = policyOf(resourceNamed(prod, T.policy, name));
            const bucketArn = `arn:aws:s3:::${resourceNamed(prod, T.bucket, name).state["bucket"] as string}`;
            expect(
                policy.Statement.find((s) => s.Sid === "AllowAlbAccessLogDelivery"),
                name,
            ).to.deep.equal({
                Sid: "AllowAlbAccessLogDelivery",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${elbAccount}:root` },
                Action: "s3:PutObject",
                Resource: `${bucketArn}/alb/AWSLogs/123456789012/*`,
            });
        }
    });
});
