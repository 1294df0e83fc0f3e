import { expect } from "chai";
import { snakeCase, terraformName, terraformType, toTerraformPlan, type SourceResource } from "./harness/terraformPlan";

/** A planned custom resource with these inputs. */
function resource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<SourceResource> = {}): SourceResource {
    return { urn: `urn:pulumi:test::healthcare-dr::${type}::${name}`, type, name, custom: true, inputs, ...extra };
}

describe("Terraform plan from a planned run", () => {
    describe("type tokens", () => {
        const cases: Array<[string, string]> = [
            ["aws:dynamodb/table:Table", "aws_dynamodb_table"],
            ["aws:dynamodb/contributorInsights:ContributorInsights", "aws_dynamodb_contributor_insights"],
            ["aws:s3/bucket:Bucket", "aws_s3_bucket"],
            [
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "aws_s3_bucket_server_side_encryption_configuration",
            ],
            ["aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws_s3_bucket_replication_configuration"],
            ["aws:cfg/recorder:Recorder", "aws_config_configuration_recorder"],
            ["aws:cfg/recorderStatus:RecorderStatus", "aws_config_configuration_recorder_status"],
            ["aws:cfg/deliveryChannel:DeliveryChannel", "aws_config_delivery_channel"],
            ["aws:cfg/conformancePack:ConformancePack", "aws_config_conformance_pack"],
            ["aws:cfg/rule:Rule", "aws_config_config_rule"],
            ["aws:cfg/aggregateAuthorization:AggregateAuthorization", "aws_config_aggregate_authorization"],
            ["aws:ec2/vpc:Vpc", "aws_vpc"],
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb"],
            ["aws:lb/targetGroup:TargetGroup", "aws_lb_target_group"],
            ["aws:rds/subnetGroup:SubnetGroup", "aws_db_subnet_group"],
            ["aws:cloudtrail/trail:Trail", "aws_cloudtrail"],
            ["aws:cloudwatch/eventRule:EventRule", "aws_cloudwatch_event_rule"],
            ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"],
        ];
        for (const [token, type] of cases) {
            it(`maps ${token} to ${type}`, () => expect(terraformType(token)).to.equal(type));
        }

        it("refuses a token of another provider it has no mapping for, naming the table to add it to", () => {
            expect(() => terraformType("tls:index/privateKey:PrivateKey")).to.throw(/tls:index\/privateKey:PrivateKey.*TYPE_OVERRIDES/);
        });
    });

    it("snake-cases names as the bridge camel-cases them, digits kept with their word", () => {
        expect(snakeCase("pointInTimeRecovery")).to.equal("point_in_time_recovery");
        expect(snakeCase("s3KmsKeyArn")).to.equal("s3_kms_key_arn");
        expect(snakeCase("ipv6CidrBlock")).to.equal("ipv6_cidr_block");
        expect(snakeCase("name")).to.equal("name");
    });

    it("makes a Terraform resource name of any logical name", () => {
        expect(terraformName("primary-failover-lock")).to.equal("primary-failover-lock");
        expect(terraformName("audit-events/eu-west-1")).to.equal("audit-events_eu-west-1");
        expect(terraformName("0-first")).to.equal("_0-first");
    });

    describe("a global table", () => {
        const table = resource("aws:dynamodb/table:Table", "audit-events", {
            name: "hdr-prod-data-audit-events",
            billingMode: "PAY_PER_REQUEST",
            hashKey: "subjectId",
            attributes: [{ name: "subjectId", type: "S" }],
            pointInTimeRecovery: { enabled: true },
            serverSideEncryption: { enabled: true, kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/p" },
            replicas: [{ regionName: "eu-west-1", kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/d", pointInTimeRecovery: true }],
            tags: { DataClassification: "PHI", camelKey: "kept" },
        });
        const { plan, entries } = toTerraformPlan([table]);
        const after = plan.resource_changes[0]!.change.after;

        it("plans a create of it at its Terraform address", () => {
            expect(plan.format_version).to.match(/^1\./);
            expect(entries).to.deep.equal([{ address: "aws_dynamodb_table.audit-events", urn: table.urn, pulumiType: table.type }]);
            expect(plan.resource_changes[0]).to.include({
                address: "aws_dynamodb_table.audit-events",
                type: "aws_dynamodb_table",
                name: "audit-events",
            });
            expect(plan.resource_changes[0]!.change.actions).to.deep.equal(["create"]);
            expect(plan.planned_values.root_module.resources[0]!.values).to.deep.equal(after);
        });

        it("turns single nested objects into one-element blocks and plural lists into singular blocks", () => {
            expect(after["point_in_time_recovery"]).to.deep.equal([{ enabled: true }]);
            expect(after["server_side_encryption"]).to.deep.equal([
                { enabled: true, kms_key_arn: "arn:aws:kms:eu-west-2:123456789012:key/p" },
            ]);
            expect(after["replica"]).to.deep.equal([
                { region_name: "eu-west-1", kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/d", point_in_time_recovery: true },
            ]);
            expect(after["attribute"]).to.deep.equal([{ name: "subjectId", type: "S" }]);
            expect(after).to.not.have.any.keys("replicas", "attributes", "pointInTimeRecovery");
        });

        it("keeps maps as maps, their keys unchanged", () => {
            expect(after["tags"]).to.deep.equal({ DataClassification: "PHI", camelKey: "kept" });
            expect(after["billing_mode"]).to.equal("PAY_PER_REQUEST");
        });
    });

    it("refuses a list of blocks under a name it does not know, naming the resource, the key and where to add it", () => {
        const bad = resource("aws:ec2/launchTemplate:LaunchTemplate", "lt", { blockDeviceMappings: [{ deviceName: "/dev/xvda" }] });
        expect(() => toTerraformPlan([bad])).to.throw(
            /aws:ec2\/launchTemplate:LaunchTemplate lt\.blockDeviceMappings.*SINGULAR_BLOCKS.*PLURAL_BLOCKS/,
        );
    });

    describe("references between resources", () => {
        const bucket = resource(
            "aws:s3/bucket:Bucket",
            "data",
            { bucket: "hdr-data-1" },
            { id: "hdr-data-1", state: { arn: "arn:aws:s3:::hdr-data-1" } },
        );
        const logs = resource(
            "aws:cloudwatch/logGroup:LogGroup",
            "trail",
            { name: "/trail" },
            { id: "/trail", state: { arn: "arn:aws:logs:eu-west-2:1:log-group:/trail" } },
        );
        const group = resource("aws:ec2/securityGroup:SecurityGroup", "db", {}, { id: "sg-1" });
        const block = resource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "data",
            { bucket: "hdr-data-1", blockPublicAcls: true },
            { options: { propertyDependencies: { bucket: [bucket.urn] } } },
        );
        const trail = resource(
            "aws:cloudtrail/trail:Trail",
            "audit",
            { cloudWatchLogsGroupArn: "arn:aws:logs:eu-west-2:1:log-group:/trail:*", s3BucketName: "hdr-data-1" },
            { options: { propertyDependencies: { cloudWatchLogsGroupArn: [logs.urn] } } },
        );
        const endpoint = resource(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "s3",
            { securityGroupIds: ["sg-1", "sg-external"] },
            { options: { propertyDependencies: { securityGroupIds: [group.urn] } } },
        );
        const byAddress = (address: string) => {
            const { plan } = toTerraformPlan([bucket, logs, group, block, trail, endpoint]);
            const change = plan.resource_changes.find((r) => r.address === address)!.change;
            const config = plan.configuration.root_module.resources.find((r) => r.address === address)!;
            return { after: change.after, unknown: change.after_unknown, expressions: config.expressions };
        };

        it("plans an input that is a dependency's id as unknown, referring to it, as Terraform plans a first apply", () => {
            const { after, unknown, expressions } = byAddress("aws_s3_bucket_public_access_block.data");
            expect(after["bucket"]).to.equal(null);
            expect(unknown["bucket"]).to.equal(true);
            expect(expressions["bucket"]).to.deep.equal({ references: ["aws_s3_bucket.data.id", "aws_s3_bucket.data"] });
            expect(after["block_public_acls"]).to.equal(true);
        });

        it("refers to a dependency whose ARN an input extends, and to nothing that is not a dependency", () => {
            const { after, expressions } = byAddress("aws_cloudtrail.audit");
            expect(expressions["cloud_watch_logs_group_arn"]).to.deep.equal({
                references: ["aws_cloudwatch_log_group.trail.arn", "aws_cloudwatch_log_group.trail"],
            });
            // The bucket's name, but the trail does not depend on the bucket resource: a copy of a value, kept.
            expect(after["s3_bucket_name"]).to.equal("hdr-data-1");
        });

        it("refers to each dependency in a list, keeping the other values", () => {
            const { after, unknown, expressions } = byAddress("aws_vpc_endpoint.s3");
            expect(after["security_group_ids"]).to.deep.equal([null, "sg-external"]);
            expect(unknown["security_group_ids"]).to.deep.equal([true, false]);
            expect(expressions["security_group_ids"]).to.deep.equal({ references: ["aws_security_group.db.id", "aws_security_group.db"] });
        });
    });

    it("leaves out components, providers and file assets, and gives resources sharing a name distinct addresses", () => {
        const { plan } = toTerraformPlan([
            { urn: "urn:c", type: "healthcare:dr:GlobalTable", name: "t", custom: false, inputs: {} },
            { urn: "urn:p", type: "pulumi:providers:aws", name: "primary", custom: true, inputs: { region: "eu-west-2" } },
            resource("aws:s3/bucketObjectv2:BucketObjectv2", "code", { key: "a.zip", source: { __pulumiArchive: true, assets: {} } }),
            { ...resource("aws:sns/topic:Topic", "alerts", {}), urn: "urn:1" },
            { ...resource("aws:sns/topic:Topic", "alerts", {}), urn: "urn:2" },
        ]);
        expect(plan.resource_changes.map((r) => r.address)).to.deep.equal([
            "aws_s3_object.code",
            "aws_sns_topic.alerts",
            "aws_sns_topic.alerts_2",
        ]);
        expect(plan.resource_changes[0]!.change.after).to.deep.equal({ key: "a.zip" });
    });
});
