import { expect } from "chai";
import { CODE_DATA_CLASSIFICATION } from "../components/SignedLambdaCode";
import { RUN_REPORT_DATA_CLASSIFICATION } from "../lib/runReports";
import { AwsMocks, MOCK_ACCOUNT_ID, zonesOf } from "./harness/mocks";
import { runProgram, stackFilePath, readStackFile } from "./harness/program";
import { planStack, resourcesOfType, STACKS } from "./harness/stacks";
import { ROUTE53_METRICS_REGION } from "../lib/failover";
import { CONFIG_DATA_CLASSIFICATION } from "../lib/awsConfig";

/**
 * The only types the `global` (us-east-1) provider may carry: control-plane resources of the detection path, none of
 * which stores data. The same list as the policy pack's `data-residency` default `controlPlaneTypes`.
 */
const GLOBAL_PROVIDER_TYPES = [
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
] as const;

describe("the program", () => {
    for (const stack of STACKS) {
        describe(`stack ${stack}`, () => {
            it("declares the two regional AWS providers and the us-east-1 `global` provider, with the stack's default tags", async () => {
                const run = await planStack(stack);
                const providers = resourcesOfType(run, "pulumi:providers:aws");
                expect(providers.map((p) => [p.name, p.inputs["region"]])).to.deep.equal([
                    ["primary", run.config.primaryRegion],
                    ["dr", run.config.drRegion],
                    // Route 53 publishes health-check metrics in us-east-1 only: the health-check alarm must be there.
                    // @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
                    ["global", ROUTE53_METRICS_REGION],
                ]);
                expect(ROUTE53_METRICS_REGION).to.equal("us-east-1");
                for (const provider of providers) {
                    // Provider inputs reach the engine as JSON strings.
                    const defaultTags = provider.inputs["defaultTags"];
                    expect(typeof defaultTags === "string" ? JSON.parse(defaultTags) : defaultTags, provider.name).to.deep.equal({
                        tags: run.config.tags,
                    });
                }
            });

            it("puts every AWS resource on an explicit provider, never the ambient region", async () => {
                const run = await planStack(stack);
                const aws = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
                expect(aws).to.not.be.empty;
                for (const resource of aws) {
                    expect(resource.provider, `${resource.type} ${resource.name} uses the default provider`).to.match(
                        /::pulumi:providers:aws::(primary|dr|global)$/,
                    );
                    expect([run.config.primaryRegion, run.config.drRegion, ROUTE53_METRICS_REGION]).to.include(resource.region);
                }
            });

            it("places only the health-check alarm, its forwarding rule and target, and their IAM role on the `global` provider", async () => {
                const run = await planStack(stack);
                const global = run.resources.filter((r) => r.custom && r.provider?.endsWith("::pulumi:providers:aws::global") === true);
                expect(
                    global.map((r) => r.type),
                    "the us-east-1 detection path is declared",
                ).to.include("aws:cloudwatch/metricAlarm:MetricAlarm");
                for (const resource of global) {
                    expect(GLOBAL_PROVIDER_TYPES, `${resource.type} ${resource.name} must not be in us-east-1`).to.include(resource.type);
                    expect(resource.region).to.equal(ROUTE53_METRICS_REGION);
                }
                // Everything else is in one of the stack's two regions.
                const elsewhere = run.resources.filter((r) => r.custom && r.type.startsWith("aws:") && !global.includes(r));
                for (const resource of elsewhere) {
                    expect([run.config.primaryRegion, run.config.drRegion], `${resource.type} ${resource.name}`).to.include(
                        resource.region,
                    );
                }
            });

            it("names every component with a healthcare:dr: type token", async () => {
                const run = await planStack(stack);
                for (const component of run.resources.filter((r) => !r.custom)) {
                    expect(component.type).to.match(/^healthcare:dr:[A-Z][A-Za-z]+$/);
                }
            });

            it("prints no warning at all, deprecations included", async () => {
                const run = await planStack(stack);
                expect(run.warnings).to.deep.equal([]);
            });

            it("tags every tagged resource with the stack's tags", async () => {
                const run = await planStack(stack);
                const tagged = run.resources.filter((r) => r.custom && r.type.startsWith("aws:") && r.inputs["tags"] !== undefined);
                expect(tagged).to.not.be.empty;
                for (const resource of tagged) {
                    const tags = resource.inputs["tags"] as Record<string, string>;
                    // Three documented exceptions, none holding patient data: the signed-code artifact bucket holds
                    // code, the run-report bucket the evidence of failover runs, the AWS Config delivery bucket
                    // configuration items.
                    const exceptions: readonly (readonly [string, RegExp])[] = [
                        [CODE_DATA_CLASSIFICATION, /^(primary|dr)-failover-code-artifacts$/],
                        [RUN_REPORT_DATA_CLASSIFICATION, /^(primary|dr)-failover-reports$/],
                        [CONFIG_DATA_CLASSIFICATION, /^(primary|dr)-compliance-delivery$/],
                    ];
                    const exception = exceptions.find(([value, name]) => tags["DataClassification"] === value && name.test(resource.name));
                    const expected = exception !== undefined ? { ...run.config.tags, DataClassification: exception[0] } : run.config.tags;
                    expect(tags, `${resource.type} ${resource.name}`).to.deep.include(expected);
                }
            });

            it("encrypts each region with its own rotating customer-managed key", async () => {
                const run = await planStack(stack);
                const keys = resourcesOfType(run, "aws:kms/key:Key");
                expect(keys.map((k) => k.region).sort()).to.deep.equal([run.config.drRegion, run.config.primaryRegion].sort());
                for (const key of keys) {
                    expect(key.inputs["enableKeyRotation"]).to.equal(true);
                    expect(key.options.protect).to.equal(run.config.protect);
                    expect(key.options.retainOnDelete).to.equal(run.config.protect);
                    expect(key.inputs["deletionWindowInDays"]).to.equal(run.config.protect ? 30 : 7);
                }
            });

            it("exports the regions, account, zones and objectives", async () => {
                const run = await planStack(stack);
                expect(run.outputs).to.deep.include({
                    environment: stack,
                    primaryRegion: "eu-west-2",
                    drRegion: "eu-west-1",
                    accountId: MOCK_ACCOUNT_ID,
                });
                const zones = run.outputs["availabilityZones"] as { primary: string[]; dr: string[] };
                expect(zones.primary).to.deep.equal(zonesOf("eu-west-2", run.config.network.azCount).names);
                expect(zones.dr).to.deep.equal(zonesOf("eu-west-1", run.config.network.azCount).names);
            });
        });
    }

    it("protects prod's stateful resources and leaves dev's destroyable", async () => {
        const [dev, prod] = [await planStack("dev"), await planStack("prod")];
        expect(dev.resources.some((r) => r.options.protect)).to.equal(false);
        expect(prod.resources.filter((r) => r.options.protect)).to.not.be.empty;
    });

    it("plans a stack file from another path", async () => {
        const raw = readStackFile(stackFilePath("dev"));
        const run = await runProgram({ stack: "dev-copy", rawConfig: raw });
        expect(run.config.environment).to.equal("dev");
        expect(run.stack).to.equal("dev-copy");
    });
});

describe("the AWS mocks", () => {
    const mocks = new AwsMocks();
    mocks.newResource({ type: "pulumi:providers:aws", name: "dr", inputs: { region: "eu-west-1" } });
    const provider = "urn:pulumi:test::healthcare-dr::pulumi:providers:aws::dr::dr-provider-id";

    it("gives resources realistic, deterministic ids and ARNs in their provider's region", () => {
        const first = mocks.newResource({ type: "aws:kms/key:Key", name: "k", inputs: {}, provider, custom: true });
        const again = mocks.newResource({ type: "aws:kms/key:Key", name: "k", inputs: {}, provider, custom: true });
        expect(first.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(first.state["arn"]).to.equal(`arn:aws:kms:eu-west-1:${MOCK_ACCOUNT_ID}:key/${first.id}`);
        expect(again).to.deep.equal(first);
    });

    it("fills in the outputs the program reads, such as cluster endpoints", () => {
        const cluster = mocks.newResource({
            type: "aws:rds/cluster:Cluster",
            name: "db",
            inputs: { clusterIdentifier: "hdr-dev-dr" },
            provider,
            custom: true,
        });
        expect(cluster.state["endpoint"]).to.match(/^hdr-dev-dr\.cluster-[0-9a-f]{12}\.eu-west-1\.rds\.amazonaws\.com$/);
        expect(cluster.state["readerEndpoint"]).to.match(/\.cluster-ro-/);
        expect(cluster.state["arn"]).to.equal(`arn:aws:rds:eu-west-1:${MOCK_ACCOUNT_ID}:cluster:hdr-dev-dr`);
    });

    it("answers availability zones per provider region", () => {
        const zones = mocks.call({ token: "aws:index/getAvailabilityZones:getAvailabilityZones", inputs: {}, provider });
        expect(zones["names"]).to.deep.equal(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        expect(zones["zoneIds"]).to.deep.equal(["euw1-az1", "euw1-az2", "euw1-az3"]);
    });

    it("refuses zone lookups without a regional provider and invokes it does not know", () => {
        expect(() => mocks.call({ token: "aws:index/getAvailabilityZones:getAvailabilityZones", inputs: {} })).to.throw(
            /explicit regional provider/,
        );
        expect(() => mocks.call({ token: "aws:ec2/getVpc:getVpc", inputs: {}, provider })).to.throw(
            /no answer for the invoke aws:ec2\/getVpc:getVpc/,
        );
    });
});
