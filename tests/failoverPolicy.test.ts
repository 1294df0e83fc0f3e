/**
 * The orchestrator's IAM policy (lib/failoverPolicy.ts), as a pure function: each region's function may promote or
 * detach only its own region's cluster, touches the peer region's resources only to read them, fence them or keep
 * their lost writes, writes `active-region` in both regions by exact ARN, and nothing more than the runtime calls
 * (least privilege).
 */
import { expect } from "chai";
import { actionsOf, isWildcardAction, type PolicyDocument } from "../lib/iam";
import {
    EVIDENCE_ACTIONS,
    FENCE_ACTIONS,
    forwardToBusPolicy,
    LOST_WRITES_ACTIONS,
    orchestratorPolicy,
    RDS_FAILOVER_ACTIONS,
    RDS_PROMOTION_ACTIONS,
    SECRET_ACTIONS,
    type OrchestratorPolicyArgs,
} from "../lib/failoverPolicy";

const ACCOUNT = "123456789012";
const GLOBAL = `arn:aws:rds::${ACCOUNT}:global-cluster:g`;
const LONDON = `arn:aws:rds:eu-west-2:${ACCOUNT}:cluster:hdr-dev-aurora-eu-west-2`;
const IRELAND = `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:hdr-dev-aurora-eu-west-1`;

/** The policy of the function in `region`, whose peer is the other region of the pair. */
function argsFor(region: "eu-west-1" | "eu-west-2"): OrchestratorPolicyArgs {
    const peerRegion = region === "eu-west-1" ? "eu-west-2" : "eu-west-1";
    return {
        partition: "aws",
        accountId: ACCOUNT,
        region,
        peerRegion,
        globalClusterArn: GLOBAL,
        clusterArn: region === "eu-west-1" ? IRELAND : LONDON,
        clusterIdentifier: `hdr-dev-aurora-${region}`,
        peerClusterArn: region === "eu-west-1" ? LONDON : IRELAND,
        hostedZoneId: "Z1",
        recordName: "Writer.DB.dev.healthcare.internal.",
        parameterPath: "/healthcare/dev/failover",
        activeRegionParameter: "/healthcare/dev/active-region",
        lockTableArn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/t`,
        deadLetterQueueArn: `arn:aws:sqs:${region}:${ACCOUNT}:q`,
        logGroupArn: `arn:aws:logs:${region}:${ACCOUNT}:log-group:/aws/lambda/f`,
        kmsKeyArn: `arn:aws:kms:${region}:${ACCOUNT}:key/k`,
        topicArns: [],
        secretArn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:hdr-dev-aurora-master-AbCdEf`,
        peerClusterIdentifier: `hdr-dev-aurora-${peerRegion}`,
        peerSecurityGroupId: "sg-0peer",
        peerClusterParameterGroupName: "aurora-secondary-pg",
        peerKmsKeyArn: `arn:aws:kms:${peerRegion}:${ACCOUNT}:key/peer`,
        runsTableArn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/hdr-dev-failover-runs`,
        reportBucketArn: `arn:aws:s3:::hdr-dev-run-reports-${region}-abc`,
    };
}

/** Every (action, resource) pair the document allows. */
function grants(doc: PolicyDocument): { action: string; resource: string }[] {
    return doc.Statement.flatMap((s) =>
        actionsOf(s).flatMap((action) =>
            (s.Resource === undefined ? [] : typeof s.Resource === "string" ? [s.Resource] : [...s.Resource]).map((resource) => ({
                action,
                resource,
            })),
        ),
    );
}

describe("the orchestrator's IAM policy", () => {
    for (const region of ["eu-west-1", "eu-west-2"] as const) {
        const args = argsFor(region);
        const doc = orchestratorPolicy(args);
        describe(`of the ${region} function`, () => {
            it("promotes or detaches only its own region's cluster: never the peer's", () => {
                const promote = grants(doc).filter((g) => (RDS_PROMOTION_ACTIONS as readonly string[]).includes(g.action));
                expect(promote.map((g) => `${g.action} ${g.resource}`).sort()).to.deep.equal(
                    RDS_PROMOTION_ACTIONS.flatMap((a) => [`${a} ${GLOBAL}`, `${a} ${args.clusterArn}`]).sort(),
                    "Switchover, Failover and the break-glass detach on the global cluster and its own cluster",
                );
                // The peer cluster: described (a signal; is the old writer gone), and snapshotted for its lost writes.
                expect(
                    grants(doc)
                        .filter((g) => g.resource === args.peerClusterArn)
                        .map((g) => g.action)
                        .sort(),
                ).to.deep.equal(["rds:CreateDBClusterSnapshot", "rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusters"]);
            });

            it("touches the peer region only to read it, set its active-region, fence the old writer or keep its lost writes", () => {
                const peerGrants = grants(doc).filter((g) => g.resource.split(":")[3] === args.peerRegion);
                const allowed = new Set<string>([
                    "rds:DescribeDBClusters",
                    "ssm:GetParameter",
                    "ssm:PutParameter",
                    ...FENCE_ACTIONS,
                    ...LOST_WRITES_ACTIONS,
                ]);
                expect(peerGrants.filter((g) => !allowed.has(g.action))).to.deep.equal([]);
                // ...and the fence and lost-writes actions touch nothing of its own region.
                const peerOnly = new Set<string>([...FENCE_ACTIONS, ...LOST_WRITES_ACTIONS].filter((a) => a !== "kms:DescribeKey"));
                for (const g of grants(doc).filter((x) => peerOnly.has(x.action))) {
                    expect(g.resource === "*" || g.resource.split(":")[3] === args.peerRegion, `${g.action} ${g.resource}`).to.be.true;
                }
            });

            it("fences the peer's database security group, cluster parameter group and instances only", () => {
                const allowed = (action: string) =>
                    grants(doc)
                        .filter((g) => g.action === action)
                        .map((g) => g.resource);
                const rds = `arn:aws:rds:${args.peerRegion}:${ACCOUNT}`;
                expect(allowed("ec2:RevokeSecurityGroupIngress")).to.deep.equal([
                    `arn:aws:ec2:${args.peerRegion}:${ACCOUNT}:security-group/sg-0peer`,
                ]);
                expect(allowed("rds:ModifyDBClusterParameterGroup")).to.deep.equal([`${rds}:cluster-pg:aurora-secondary-pg`]);
                expect(allowed("rds:DescribeDBClusterParameters")).to.deep.equal([`${rds}:cluster-pg:aurora-secondary-pg`]);
                expect(allowed("rds:RebootDBInstance")).to.deep.equal([`${rds}:db:hdr-dev-aurora-${args.peerRegion}-*`]);
                // EC2 has no resource-level permission for Describe actions.
                expect(allowed("ec2:DescribeSecurityGroups")).to.deep.equal(["*"]);
            });

            it("keeps the lost writes in the peer's own snapshots only, encrypted with the peer's key through RDS", () => {
                const snapshots = [
                    `arn:aws:rds:${args.peerRegion}:${ACCOUNT}:cluster-snapshot:rds:unplanned-global-failover-hdr-dev-aurora-${args.peerRegion}-*`,
                    `arn:aws:rds:${args.peerRegion}:${ACCOUNT}:cluster-snapshot:hdr-dev-aurora-${args.peerRegion}-*`,
                ];
                const allowed = (action: string) =>
                    grants(doc)
                        .filter((g) => g.action === action)
                        .map((g) => g.resource);
                expect(allowed("rds:CopyDBClusterSnapshot")).to.deep.equal(snapshots);
                expect(allowed("rds:AddTagsToResource")).to.deep.equal(snapshots);
                expect(allowed("rds:DescribeDBClusterSnapshots")).to.deep.equal([args.peerClusterArn, ...snapshots]);
                expect(allowed("rds:CreateDBClusterSnapshot")).to.deep.equal([args.peerClusterArn, ...snapshots]);
                const grant = doc.Statement.find((x) => actionsOf(x).includes("kms:CreateGrant"))!;
                expect(grant.Resource).to.deep.equal([args.peerKmsKeyArn]);
                expect(grant.Condition).to.deep.equal({ Bool: { "kms:GrantIsForAWSResource": "true" } });
                expect(allowed("kms:DescribeKey").sort()).to.deep.equal([args.kmsKeyArn, args.peerKmsKeyArn].sort());
            });

            it("repoints its own region's secret only, by its exact ARN", () => {
                for (const action of SECRET_ACTIONS) {
                    expect(
                        grants(doc)
                            .filter((g) => g.action === action)
                            .map((g) => g.resource),
                        action,
                    ).to.deep.equal([args.secretArn]);
                }
            });

            it("writes its run records to its own runs table and its reports under runs/ of its own report bucket, nothing else", () => {
                const evidence = grants(doc).filter((g) => (EVIDENCE_ACTIONS as readonly string[]).includes(g.action));
                expect(evidence.filter((g) => g.action.startsWith("s3:"))).to.deep.equal([
                    { action: "s3:PutObject", resource: `${args.reportBucketArn}/runs/*` },
                ]);
                expect(
                    grants(doc)
                        .filter((g) => g.resource === args.runsTableArn)
                        .map((g) => g.action),
                ).to.deep.equal(["dynamodb:PutItem", "dynamodb:UpdateItem"]);
                // No delete, no overwrite of retention, no read of the reports.
                expect(
                    grants(doc)
                        .filter((g) => g.action.startsWith("s3:"))
                        .map((g) => g.action),
                ).to.deep.equal(["s3:PutObject"]);
            });

            it("reads the global cluster, both clusters, and its own instances and key (readiness)", () => {
                const allowed = (action: string) =>
                    grants(doc)
                        .filter((g) => g.action === action)
                        .map((g) => g.resource);
                expect(allowed("rds:DescribeGlobalClusters")).to.deep.equal([GLOBAL]);
                expect(allowed("rds:DescribeDBClusters")).to.deep.equal([args.clusterArn, args.peerClusterArn]);
                expect(allowed("rds:DescribeDBInstances")).to.deep.equal([
                    `arn:aws:rds:${region}:${ACCOUNT}:db:hdr-dev-aurora-${region}-*`,
                ]);
                // Its own key (readiness), and the peer's (the lost-writes copy).
                expect(allowed("kms:DescribeKey")).to.deep.equal([args.kmsKeyArn, args.peerKmsKeyArn]);
                expect(doc.Statement.find((x) => x.Sid === "ReadSignalMetricsNoResourceLevelPermission")).to.deep.include({
                    Action: ["cloudwatch:GetMetricData"],
                    Resource: "*",
                });
            });

            it("reads its own configuration, and reads and sets active-region in both regions by exact ARN", () => {
                const ssm = (name: string, r: string = region) => `arn:aws:ssm:${r}:${ACCOUNT}:parameter${name}`;
                const allowed = (action: string) =>
                    grants(doc)
                        .filter((g) => g.action === action)
                        .map((g) => g.resource);
                expect(allowed("ssm:GetParametersByPath")).to.deep.equal([
                    ssm("/healthcare/dev/failover"),
                    ssm("/healthcare/dev/failover/*"),
                ]);
                expect(allowed("ssm:PutParameter")).to.deep.equal([
                    ssm("/healthcare/dev/active-region"),
                    ssm("/healthcare/dev/active-region", args.peerRegion),
                ]);
                // The peer's copy is read only by aftercare after a break-glass, once that region answers.
                expect(allowed("ssm:GetParameter")).to.deep.equal([
                    ssm("/healthcare/dev/active-region"),
                    ssm("/healthcare/dev/active-region", args.peerRegion),
                ]);
            });

            it("keeps the lock, runs table, queue, logs, key and topics in its own region (the peer's key only for the lost writes)", () => {
                const peerKey = new Set(["kms:CreateGrant", "kms:DescribeKey"]);
                const own = grants(doc).filter(
                    (g) => /^(dynamodb|sqs|logs|kms|sns):/.test(g.action) && !(peerKey.has(g.action) && g.resource === args.peerKmsKeyArn),
                );
                expect(own.length).to.be.greaterThan(0);
                for (const g of own) {
                    expect(g.resource, `${g.action} ${g.resource}`).to.include(`:${region}:`);
                }
            });
        });
    }

    it("names exactly the RDS actions the runtime calls", () => {
        expect([...RDS_FAILOVER_ACTIONS]).to.deep.equal([
            "rds:DescribeGlobalClusters",
            "rds:FailoverGlobalCluster",
            "rds:SwitchoverGlobalCluster",
            "rds:RemoveFromGlobalCluster",
        ]);
        const rds = grants(orchestratorPolicy(argsFor("eu-west-1")))
            .map((g) => g.action)
            .filter((a) => a.startsWith("rds:"));
        expect([...new Set(rds)].sort()).to.deep.equal([
            "rds:AddTagsToResource",
            "rds:CopyDBClusterSnapshot",
            "rds:CreateDBClusterSnapshot",
            "rds:DescribeDBClusterParameters",
            "rds:DescribeDBClusterSnapshots",
            "rds:DescribeDBClusters",
            "rds:DescribeDBInstances",
            "rds:DescribeGlobalClusters",
            "rds:FailoverGlobalCluster",
            "rds:ModifyDBClusterParameterGroup",
            "rds:RebootDBInstance",
            "rds:RemoveFromGlobalCluster",
            "rds:SwitchoverGlobalCluster",
        ]);
    });

    it("names every action, and uses * only where AWS has no resource-level permission (the Sid says so)", () => {
        for (const statement of orchestratorPolicy({ ...argsFor("eu-west-2"), topicArns: ["arn:aws:sns:eu-west-2:123456789012:a"] })
            .Statement) {
            for (const action of actionsOf(statement)) {
                expect(isWildcardAction(action), action).to.be.false;
            }
            if (statement.Resource === "*") {
                expect(statement.Sid).to.match(/NoResourceLevelPermission/);
            }
        }
    });

    it("limits record changes to UPSERT of the one CNAME, with the name normalised as Route 53 requires", () => {
        const s = orchestratorPolicy(argsFor("eu-west-2")).Statement.find((x) => x.Sid === "RepointTheWriterRecordOnly")!;
        expect(s.Resource).to.deep.equal(["arn:aws:route53:::hostedzone/Z1"]);
        expect(s.Condition?.["ForAllValues:StringEquals"]).to.deep.equal({
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["writer.db.dev.healthcare.internal"],
            "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
        });
    });

    it("fits in an inline role policy (10,240 characters without white space) with long names", () => {
        // @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
        const long = "x".repeat(40);
        const args = argsFor("eu-west-2");
        const doc = orchestratorPolicy({
            ...args,
            clusterIdentifier: `hdr-${long}-aurora-eu-west-2`,
            peerClusterIdentifier: `hdr-${long}-aurora-eu-west-1`,
            peerClusterParameterGroupName: `aurora-secondary-${long}`,
            secretArn: `arn:aws:secretsmanager:eu-west-2:${ACCOUNT}:secret:hdr-${long}-aurora-master-AbCdEf`,
            topicArns: [`arn:aws:sns:eu-west-2:${ACCOUNT}:hdr-${long}-alerts`],
        });
        expect(JSON.stringify(doc).replace(/\s/g, "").length).to.be.below(10_240);
    });

    it("grants sns:Publish only when there are topics", () => {
        const args = argsFor("eu-west-1");
        expect(orchestratorPolicy(args).Statement.some((s) => s.Sid === "NotifyOnCall")).to.be.false;
        expect(
            orchestratorPolicy({ ...args, topicArns: ["arn:aws:sns:eu-west-1:123456789012:a"] }).Statement.find(
                (s) => s.Sid === "NotifyOnCall",
            )?.Resource,
        ).to.deep.equal(["arn:aws:sns:eu-west-1:123456789012:a"]);
    });

    it("lets the forwarding role put events on the one bus it is given, and nothing else", () => {
        const bus = "arn:aws:events:eu-west-1:123456789012:event-bus/default";
        expect(forwardToBusPolicy(bus).Statement).to.deep.equal([
            { Sid: "ForwardAlarmToRegion", Effect: "Allow", Action: ["events:PutEvents"], Resource: [bus] },
        ]);
    });
});
