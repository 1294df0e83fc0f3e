/**
 * The orchestrator's IAM policy (lib/failoverPolicy.ts), as a pure function: each region's function may promote only
 * its own region's cluster, reads both clusters, writes `active-region` in both regions by exact ARN, and nothing
 * more than the runtime calls (least privilege).
 */
import { expect } from "chai";
import { actionsOf, isWildcardAction, type PolicyDocument } from "../lib/iam";
import {
    forwardToBusPolicy,
    orchestratorPolicy,
    RDS_FAILOVER_ACTIONS,
    RDS_PROMOTION_ACTIONS,
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
            it("promotes only its own region's cluster, through the managed path: never the peer's, never a detach", () => {
                const promote = grants(doc).filter((g) => (RDS_PROMOTION_ACTIONS as readonly string[]).includes(g.action));
                expect(promote.map((g) => g.resource).sort()).to.deep.equal(
                    [GLOBAL, args.clusterArn, GLOBAL, args.clusterArn].sort(),
                    "Switchover and Failover on the global cluster and its own cluster",
                );
                expect(
                    grants(doc)
                        .filter((g) => g.resource === args.peerClusterArn)
                        .map((g) => g.action),
                ).to.deep.equal(["rds:DescribeDBClusters"]);
                expect(grants(doc).map((g) => g.action)).to.not.include("rds:RemoveFromGlobalCluster");
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
                expect(allowed("kms:DescribeKey")).to.deep.equal([args.kmsKeyArn]);
                expect(doc.Statement.find((x) => x.Sid === "ReadSignalMetricsNoResourceLevelPermission")).to.deep.include({
                    Action: ["cloudwatch:GetMetricData"],
                    Resource: "*",
                });
            });

            it("reads its own configuration, and sets active-region in both regions by exact ARN (reads only its own)", () => {
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
                expect(allowed("ssm:GetParameter")).to.deep.equal([ssm("/healthcare/dev/active-region")]);
            });

            it("keeps the lock, queue, logs, key and topics in its own region", () => {
                const own = grants(doc).filter((g) => /^(dynamodb|sqs|logs|kms|sns):/.test(g.action));
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
        ]);
        const rds = grants(orchestratorPolicy(argsFor("eu-west-1")))
            .map((g) => g.action)
            .filter((a) => a.startsWith("rds:"));
        expect([...new Set(rds)].sort()).to.deep.equal([
            "rds:DescribeDBClusters",
            "rds:DescribeDBInstances",
            "rds:DescribeGlobalClusters",
            "rds:FailoverGlobalCluster",
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
