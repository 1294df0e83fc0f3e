/**
 * The application's public DNS: the pure definitions (lib/applicationTraffic.ts), checked against what Route 53
 * documents, and the ApplicationTraffic component under the mocks, as an update and as a first preview (the ALBs not
 * created yet), in both regions.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { ApplicationTraffic } from "../components/ApplicationTraffic";
import { orchestratorInternetReasons, RegionalNetwork, type RegionalNetworkArgs } from "../components/RegionalNetwork";
import { loadStackConfig } from "../config";
import { APPLICATION_METRICS, TARGET_HEALTH_CHECK, type ApplicationSettings } from "../lib/application";
import { applicationRecoverySteps, FARGATE_TASK_START_SECONDS, recoveryBudget, ROUTE53_METRIC_CHECK } from "../lib/recoveryBudget";
import { buildPlanDocument, formatText } from "../tools/report";
import {
    CHILD_HEALTH_THRESHOLD,
    checkHealthy,
    ELB_ALIAS_TTL_SECONDS,
    failoverAnswer,
    failoverRecordType,
    peerFencedAlarm,
    recordHealthy,
    ROUTE53_ALARM_STATISTICS,
    route53AlarmProblems,
    servingReadyAlarm,
    trafficAlarmName,
    trafficAlarms,
    type TrafficAlarmSpec,
} from "../lib/applicationTraffic";
import { UNKNOWN } from "./harness/mocks";
import { readStackFile, runProgram, stackFilePath, type ProgramRun } from "./harness/program";
import { runPolicies } from "./harness/policies";
import { planStack, resourceNamed, resourcesOfType, STACKS } from "./harness/stacks";

const T = {
    component: "healthcare:dr:ApplicationTraffic",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    health: "aws:route53/healthCheck:HealthCheck",
    record: "aws:route53/record:Record",
} as const;

const STACK = "dev";
const HOME = "eu-west-2";
const DR = "eu-west-1";
const ZONE = "Z0123456789EXAMPLE";
const DOMAIN = "app.dev.example.org";
const ALB = {
    primary: { dnsName: "hdr-dev-app-123.eu-west-2.elb.amazonaws.com", zoneId: "ZHURV8PSTC4K8" },
    dr: { dnsName: "hdr-dev-app-456.eu-west-1.elb.amazonaws.com", zoneId: "Z32O12XQLNTSW2" },
} as const;
const TOPIC = { primary: `arn:aws:sns:${HOME}:123456789012:alerts`, dr: `arn:aws:sns:${DR}:123456789012:alerts` } as const;

type Label = "primary" | "dr";
const LABELS: readonly Label[] = ["primary", "dr"];
const regionOf = (label: Label) => (label === "primary" ? HOME : DR);
const peerOf = (label: Label): Label => (label === "primary" ? "dr" : "primary");

/**
 * The component alone under the mocks, with the dev stack's config. In a preview the ALBs are resources of the run
 * (not created yet, so their DNS name and zone are unknown), as ApplicationTier's are in the real program.
 */
function planTraffic(options: { preview?: boolean; primaryRegion?: string } = {}): Promise<ProgramRun> {
    return runProgram({
        stack: STACK,
        rawConfig: readStackFile(stackFilePath(STACK)),
        preview: options.preview ?? false,
        program: () => {
            const provider = (name: string, region: string) =>
                new aws.Provider(name, {
                    region,
                    skipCredentialsValidation: true,
                    skipRegionValidation: true,
                    skipRequestingAccountId: true,
                });
            const side = (label: Label, region: string) => {
                const p = provider(label, region);
                const alb = options.preview === true ? new aws.lb.LoadBalancer(`${label}-alb`, {}, { provider: p }) : undefined;
                return {
                    region,
                    provider: p,
                    albDnsName: alb?.dnsName ?? ALB[label].dnsName,
                    albZoneId: alb?.zoneId ?? ALB[label].zoneId,
                    alertTopicArn: TOPIC[label],
                };
            };
            const traffic = new ApplicationTraffic("app-traffic", {
                stack: STACK,
                domainName: DOMAIN,
                hostedZoneId: ZONE,
                primary: side("primary", options.primaryRegion ?? HOME),
                dr: side("dr", DR),
                tags: loadStackConfig().tags,
            });
            return { healthCheckIds: traffic.healthCheckIds, domainName: traffic.domainName };
        },
    });
}

const ours = (run: ProgramRun, type: string) => resourcesOfType(run, type).filter((r) => r.name.startsWith("app-traffic"));
const healthOf = (run: ProgramRun, name: string) => resourceNamed(run, T.health, name);

describe("the application's public DNS: definitions (lib/applicationTraffic.ts)", () => {
    describe("the alarms Route 53 follows", () => {
        // Route 53 supports "Standard-resolution metrics. High-resolution metrics aren't supported" and "Statistics:
        // Average, Minimum, Maximum, Sum, and SampleCount. Extended statistics aren't supported."
        // @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html
        it("fit what Route 53 supports: a standard-resolution period, a plain statistic, a single metric", () => {
            expect(ROUTE53_ALARM_STATISTICS).to.deep.equal(["Average", "Minimum", "Maximum", "Sum", "SampleCount"]);
            for (const spec of [...Object.values(trafficAlarms(STACK, HOME, DR)), ...Object.values(trafficAlarms(STACK, DR, HOME))]) {
                expect(route53AlarmProblems(spec), spec.name).to.deep.equal([]);
            }
        });

        const bad: readonly [string, Parameters<typeof route53AlarmProblems>[0], RegExp][] = [
            ["a percentile", { name: "a", extendedStatistic: "p99", period: 60 }, /extended statistic p99: Route 53 supports Average/],
            ["an unknown statistic", { name: "a", statistic: "Median", period: 60 }, /statistic Median: Route 53 supports/],
            ["a high-resolution period of 10 s", { name: "a", statistic: "Minimum", period: 10 }, /period 10 s: .*standard-resolution/],
            ["a high-resolution period of 30 s", { name: "a", statistic: "Minimum", period: 30 }, /period 30 s/],
            ["a period that is not a multiple of 60", { name: "a", statistic: "Minimum", period: 90 }, /period 90 s/],
            ["metric math", { name: "a", statistic: "Minimum", period: 60, metricQueries: [{ id: "e1" }] }, /metric math/],
        ];
        for (const [what, alarm, message] of bad) {
            it(`refuses ${what}`, () => {
                expect(route53AlarmProblems(alarm).join("\n")).to.match(message);
            });
        }

        it("watch the orchestrators' metrics with the Stack and Region dimensions, over the metrics' own period", () => {
            const ready = servingReadyAlarm(STACK, HOME);
            expect(ready).to.deep.include({
                alarmRegion: HOME,
                aboutRegion: HOME,
                name: trafficAlarmName(STACK, "ready", HOME),
                namespace: APPLICATION_METRICS.namespace,
                metricName: APPLICATION_METRICS.servingReady,
                dimensions: { Stack: STACK, Region: HOME },
                statistic: "Minimum",
                period: APPLICATION_METRICS.periodSeconds,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
                threshold: 1,
                comparisonOperator: "LessThanThreshold",
                treatMissingData: "breaching",
                insufficientDataHealthStatus: "Unhealthy",
            });
            const fenced = peerFencedAlarm(STACK, HOME, DR);
            expect(fenced).to.deep.include({
                alarmRegion: DR,
                aboutRegion: HOME,
                metricName: APPLICATION_METRICS.peerFenced,
                dimensions: { Stack: STACK, Region: HOME },
                statistic: "Maximum",
                threshold: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                treatMissingData: "notBreaching",
                insufficientDataHealthStatus: "Healthy",
            });
            expect(ready.name).to.equal("hdr-dev-app-ready-eu-west-2");
            expect(fenced.name).to.equal("hdr-dev-app-fenced-eu-west-2");
        });

        it("refuses a fence watched in the region it fences (it must be the peer's word)", () => {
            expect(() => peerFencedAlarm(STACK, HOME, HOME)).to.throw(/fence of eu-west-2 must be watched in the other region/);
        });
    });

    describe("what each check reports", () => {
        const table: readonly [string, TrafficAlarmSpec, number | undefined, boolean][] = [
            ["ready 1", servingReadyAlarm(STACK, HOME), 1, true],
            ["ready 0", servingReadyAlarm(STACK, HOME), 0, false],
            ["ready silent (the region is gone): unhealthy", servingReadyAlarm(STACK, HOME), undefined, false],
            ["fenced 1", peerFencedAlarm(STACK, HOME, DR), 1, false],
            ["fenced 0", peerFencedAlarm(STACK, HOME, DR), 0, true],
            ["fenced silent (a dead peer cannot veto): healthy", peerFencedAlarm(STACK, HOME, DR), undefined, true],
        ];
        for (const [what, spec, minute, healthy] of table) {
            it(`${what} → ${healthy ? "healthy" : "unhealthy"}`, () => {
                expect(checkHealthy(spec, minute)).to.equal(healthy);
            });
        }

        it("refuses an alarm whose missing data and the check's insufficient-data status disagree", () => {
            const wrong: TrafficAlarmSpec = { ...servingReadyAlarm(STACK, HOME), insufficientDataHealthStatus: "Healthy" };
            expect(() => checkHealthy(wrong, undefined)).to.throw(/treatMissingData breaching disagrees with Healthy/);
        });

        it("needs both children of a record healthy", () => {
            expect(CHILD_HEALTH_THRESHOLD).to.equal(2);
            expect(recordHealthy([true, true])).to.be.true;
            expect(recordHealthy([true, false])).to.be.false;
            expect(recordHealthy([false, true])).to.be.false;
        });
    });

    // "When the primary resource record set is healthy, Route 53 responds ... from the primary ... regardless of the
    // health of the secondary"; "When the secondary resource record set is unhealthy, Route 53 responds ... from the
    // primary resource record set regardless of the health of the primary resource record set."
    // @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html
    describe("which record Route 53 answers with", () => {
        it("follows the documented failover rules, the PRIMARY when both are unhealthy", () => {
            expect(failoverAnswer({ primary: true, secondary: true })).to.equal("PRIMARY");
            expect(failoverAnswer({ primary: true, secondary: false })).to.equal("PRIMARY");
            expect(failoverAnswer({ primary: false, secondary: true })).to.equal("SECONDARY");
            expect(failoverAnswer({ primary: false, secondary: false })).to.equal("PRIMARY");
            expect(failoverRecordType("primary")).to.equal("PRIMARY");
            expect(failoverRecordType("dr")).to.equal("SECONDARY");
        });

        /** What each region's orchestrator publishes in its own region (undefined: nothing, the region is gone). */
        interface Published {
            readonly ready?: number;
            readonly fencesPeer?: number;
        }
        const answer = (home: Published, dr: Published): "home" | "dr" => {
            const alarmsOf = (self: string, peer: string) => trafficAlarms(STACK, self, peer);
            const healthy = (self: Published, peer: Published, region: string, other: string) => {
                const specs = alarmsOf(region, other);
                return recordHealthy([checkHealthy(specs.ready, self.ready), checkHealthy(specs.fenced, peer.fencesPeer)]);
            };
            const record = failoverAnswer({ primary: healthy(home, dr, HOME, DR), secondary: healthy(dr, home, DR, HOME) });
            return record === "PRIMARY" ? "home" : "dr";
        };
        const scenarios: readonly [string, Published, Published, "home" | "dr"][] = [
            ["steady state: home active, DR standby", { ready: 1, fencesPeer: 1 }, { ready: 0, fencesPeer: 0 }, "home"],
            ["home lost, DR not ready yet: the home answer is kept (both unhealthy)", {}, { ready: 0, fencesPeer: 0 }, "home"],
            ["home lost, DR promoted and serving: DR", {}, { ready: 1, fencesPeer: 1 }, "dr"],
            [
                "switchover: home alive but no longer active, DR serving and fencing it",
                { ready: 0, fencesPeer: 0 },
                { ready: 1, fencesPeer: 1 },
                "dr",
            ],
            [
                "DR serving, home's stale copy still says ready: DR's fence withdraws home",
                { ready: 1, fencesPeer: 0 },
                { ready: 1, fencesPeer: 1 },
                "dr",
            ],
            ["failback: home active again, DR withdrawn", { ready: 1, fencesPeer: 1 }, { ready: 0, fencesPeer: 0 }, "home"],
            ["DR region lost while home serves: home", { ready: 1, fencesPeer: 1 }, {}, "home"],
            [
                "both claim to serve and fence each other: both unhealthy, so home",
                { ready: 1, fencesPeer: 1 },
                { ready: 1, fencesPeer: 1 },
                "home",
            ],
        ];
        for (const [what, home, dr, expected] of scenarios) {
            it(`${what} → ${expected}`, () => {
                expect(answer(home, dr)).to.equal(expected);
            });
        }
    });

    // "To configure DNS failover for ELB and Amazon S3 website endpoints, you need to use alias records which have
    // fixed TTL of 60 seconds." @see https://aws.amazon.com/route53/faqs/
    it("counts Route 53's fixed 60 s TTL of an alias to a load balancer", () => {
        expect(ELB_ALIAS_TTL_SECONDS).to.equal(60);
    });
});

describe("ApplicationTraffic", () => {
    let run: ProgramRun;
    let preview: ProgramRun;
    before(async () => {
        run = await planTraffic();
        preview = await planTraffic({ preview: true });
    });

    it("declares, per region, two alarms, two CLOUDWATCH_METRIC checks, one CALCULATED check and one record, all children of the component", () => {
        const component = resourceNamed(run, T.component, "app-traffic");
        expect(ours(run, T.alarm)).to.have.length(4);
        expect(ours(run, T.health)).to.have.length(6);
        expect(ours(run, T.record)).to.have.length(2);
        for (const r of [...ours(run, T.alarm), ...ours(run, T.health), ...ours(run, T.record)]) {
            expect(r.parent, r.name).to.equal(component.urn);
            expect(r.provider, `${r.name} has an explicit provider`).to.be.a("string");
        }
    });

    for (const label of LABELS) {
        describe(`the ${label} region's record`, () => {
            const self = regionOf(label);
            const peer = regionOf(peerOf(label));

            it(`is the ${failoverRecordType(label)} failover alias of the name to the ${label} ALB, evaluating its targets' health`, () => {
                const record = resourceNamed(run, T.record, `app-traffic-${label}`);
                expect(record.inputs).to.include({
                    zoneId: ZONE,
                    name: DOMAIN,
                    type: "A",
                    setIdentifier: label,
                    healthCheckId: healthOf(run, `app-traffic-${label}`).id,
                });
                expect(record.inputs["failoverRoutingPolicies"]).to.deep.equal([{ type: failoverRecordType(label) }]);
                expect(record.inputs["aliases"]).to.deep.equal([
                    { name: ALB[label].dnsName, zoneId: ALB[label].zoneId, evaluateTargetHealth: true },
                ]);
                // An alias takes its target's TTL: the record must not set one (Route 53 refuses TTL on an alias).
                expect(record.inputs["ttl"]).to.equal(undefined);
                expect(record.inputs["records"]).to.equal(undefined);
            });

            it("is guarded by a CALCULATED check healthy only when both its ready and fenced checks are", () => {
                const calculated = healthOf(run, `app-traffic-${label}`);
                expect(calculated.inputs).to.include({ type: "CALCULATED", childHealthThreshold: 2 });
                expect(calculated.inputs["childHealthchecks"]).to.deep.equal([
                    healthOf(run, `app-traffic-${label}-ready`).id,
                    healthOf(run, `app-traffic-${label}-fenced`).id,
                ]);
            });

            it(`watches ServingReady about ${self} in ${self}, with ${self}'s provider and alert topic; missing data withdraws it`, () => {
                const alarm = resourceNamed(run, T.alarm, `app-traffic-${label}-ready`);
                const spec = servingReadyAlarm(STACK, self);
                expect(alarm.region).to.equal(self);
                expect(alarm.inputs).to.include({
                    name: spec.name,
                    namespace: spec.namespace,
                    metricName: spec.metricName,
                    statistic: spec.statistic,
                    period: spec.period,
                    evaluationPeriods: spec.evaluationPeriods,
                    datapointsToAlarm: spec.datapointsToAlarm,
                    threshold: spec.threshold,
                    comparisonOperator: spec.comparisonOperator,
                    treatMissingData: "breaching",
                });
                expect(alarm.inputs["dimensions"]).to.deep.equal({ Stack: STACK, Region: self });
                expect(alarm.inputs["alarmActions"]).to.deep.equal([TOPIC[label]]);
                const check = healthOf(run, `app-traffic-${label}-ready`);
                expect(check.region, "Route 53 is global: the alarm's region's provider carries the credentials").to.equal(self);
                expect(check.inputs).to.include({
                    type: "CLOUDWATCH_METRIC",
                    cloudwatchAlarmName: spec.name,
                    cloudwatchAlarmRegion: self,
                    insufficientDataHealthStatus: "Unhealthy",
                });
            });

            it(`watches PeerFenced about ${self} in ${peer}, with ${peer}'s provider and alert topic; a silent peer cannot veto`, () => {
                const alarm = resourceNamed(run, T.alarm, `app-traffic-${label}-fenced`);
                const spec = peerFencedAlarm(STACK, self, peer);
                expect(alarm.region).to.equal(peer);
                expect(alarm.inputs).to.include({
                    name: spec.name,
                    metricName: APPLICATION_METRICS.peerFenced,
                    statistic: "Maximum",
                    threshold: 1,
                    comparisonOperator: "GreaterThanOrEqualToThreshold",
                    treatMissingData: "notBreaching",
                });
                expect(alarm.inputs["dimensions"]).to.deep.equal({ Stack: STACK, Region: self });
                expect(alarm.inputs["alarmActions"]).to.deep.equal([TOPIC[peerOf(label)]]);
                const check = healthOf(run, `app-traffic-${label}-fenced`);
                expect(check.region).to.equal(peer);
                expect(check.inputs).to.include({
                    type: "CLOUDWATCH_METRIC",
                    cloudwatchAlarmName: spec.name,
                    cloudwatchAlarmRegion: peer,
                    insufficientDataHealthStatus: "Healthy",
                });
            });
        });
    }

    it("names each alarm once per region (CloudWatch alarm names are unique within a region)", () => {
        const byRegion = new Map<string, string[]>();
        for (const a of ours(run, T.alarm)) byRegion.set(a.region!, [...(byRegion.get(a.region!) ?? []), String(a.inputs["name"])]);
        for (const [region, names] of byRegion) expect(new Set(names).size, region).to.equal(names.length);
        expect([...byRegion.keys()].sort()).to.deep.equal([DR, HOME].sort());
    });

    it("tags every check and alarm with the stack's tags and a Name", () => {
        for (const r of [...ours(run, T.alarm), ...ours(run, T.health)]) {
            expect(r.inputs["tags"], r.name).to.deep.include({ Stack: STACK, ManagedBy: "pulumi" });
            expect((r.inputs["tags"] as Record<string, string>)["Name"], r.name).to.match(/^hdr-dev-app-eu-west-[12]-/);
        }
    });

    it("passes the policy pack: every alarm notifies, every taggable resource is tagged, every region allowed", async () => {
        const urns = new Set(
            ours(run, T.alarm)
                .concat(ours(run, T.health), ours(run, T.record))
                .map((r) => r.urn),
        );
        const violations = (await runPolicies(run)).filter((v) => v.urn !== undefined && urns.has(v.urn));
        expect(violations.map((v) => `${v.policyName}: ${v.message}`)).to.deep.equal([]);
    });

    describe("on the first preview, before the ALBs exist", () => {
        it("declares both records with the ALBs' names and zones still unknown", () => {
            for (const label of LABELS) {
                const record = resourceNamed(preview, T.record, `app-traffic-${label}`);
                const alias = (record.inputs["aliases"] as Record<string, unknown>[])[0]!;
                expect(alias["name"], "an ALB's DNS name is known only once it exists").to.equal(UNKNOWN);
                expect(alias["zoneId"]).to.equal(UNKNOWN);
                expect(alias["evaluateTargetHealth"]).to.equal(true);
                expect(record.inputs["failoverRoutingPolicies"]).to.deep.equal([{ type: failoverRecordType(label) }]);
                // The alarms' names are deterministic, so what Route 53 will follow is known at preview.
                expect(healthOf(preview, `app-traffic-${label}-ready`).inputs["cloudwatchAlarmName"]).to.equal(
                    servingReadyAlarm(STACK, regionOf(label)).name,
                );
            }
        });
    });

    it("refuses two regions that are the same, naming the fields", async () => {
        let error: unknown;
        try {
            await planTraffic({ primaryRegion: DR });
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/primary\.region and dr\.region must differ \(both eu-west-1\)/);
    });
});

/**
 * The orchestrator's synthetic request goes to its region's internet-facing ALB by the public name, through the NAT
 * gateway: RegionalNetwork's `applicationCheckEgress` gives the orchestrator group HTTPS to 0.0.0.0/0 (the ALB's
 * addresses are public and change, so nothing narrower exists), as one rule with `orchestratorInternetEgress`.
 */
describe("RegionalNetwork: the orchestrator's egress for the application check", () => {
    const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
    function planNetwork(over: Partial<RegionalNetworkArgs>): Promise<ProgramRun> {
        return runProgram({
            stack: STACK,
            rawConfig: readStackFile(stackFilePath(STACK)),
            program: () => {
                const provider = new aws.Provider("dr", {
                    region: DR,
                    skipCredentialsValidation: true,
                    skipRegionValidation: true,
                    skipRequestingAccountId: true,
                });
                new RegionalNetwork(
                    "dr-network",
                    {
                        account: { accountId: "123456789012", partition: "aws" },
                        region: DR,
                        cidr: "10.20.0.0/16",
                        availabilityZones: ["eu-west-1a", "eu-west-1b"],
                        azCount: 2,
                        natGateways: "single",
                        kmsKeyArn: `arn:aws:kms:${DR}:123456789012:key/66666666-7777-4888-a999-000000000000`,
                        tags: loadStackConfig().tags,
                        ...over,
                    },
                    { providers: [provider] },
                );
                return {};
            },
        });
    }
    const internetRules = (run: ProgramRun) => resourcesOfType(run, EGRESS).filter((r) => r.inputs["cidrIpv4"] === "0.0.0.0/0");

    it("gives the orchestrator no internet egress when nothing needs it", async () => {
        expect(orchestratorInternetReasons({})).to.deep.equal([]);
        expect(internetRules(await planNetwork({}))).to.deep.equal([]);
    });

    it("keeps the existing rule as it was for a stack without an application tier", async () => {
        const [rule] = internetRules(await planNetwork({ orchestratorInternetEgress: true }));
        expect(rule!.inputs["description"]).to.equal("HTTPS to the other region's RDS API and to Route 53, through the NAT gateway");
    });

    it("with an application tier, allows TCP 443 to 0.0.0.0/0 from the orchestrator group only, saying why", async () => {
        for (const over of [{ applicationCheckEgress: true }, { applicationCheckEgress: true, orchestratorInternetEgress: true }]) {
            const run = await planNetwork(over);
            const rules = internetRules(run);
            expect(rules, "one rule, never a duplicate AWS would refuse").to.have.length(1);
            expect(rules[0]!.inputs).to.include({ ipProtocol: "tcp", fromPort: 443, toPort: 443 });
            expect(rules[0]!.inputs["securityGroupId"]).to.equal(
                resourceNamed(run, "aws:ec2/securityGroup:SecurityGroup", "dr-network-orchestrator-sg").id,
            );
            expect(rules[0]!.inputs["description"]).to.match(
                /the application's internet-facing ALB \(the synthetic request\), through the NAT gateway$/,
            );
        }
    });

    it("refuses it without a NAT gateway, naming the setting", async () => {
        let error: unknown;
        try {
            await planNetwork({ applicationCheckEgress: true, natGateways: "none" });
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/applicationCheckEgress needs a NAT gateway; set natGateways to single or perAz/);
    });

    it("passes the policy pack's network policies with the rule", async () => {
        const run = await planNetwork({ applicationCheckEgress: true });
        const network = new Set(run.resources.filter((r) => r.name.startsWith("dr-network")).map((r) => r.urn));
        const violations = (await runPolicies(run)).filter((v) => v.urn !== undefined && network.has(v.urn));
        expect(violations.map((v) => `${v.policyName}: ${v.message}`)).to.deep.equal([]);
    });
});

/**
 * The recovery budget runs to the application answering in the DR region when the stack has an application tier
 * (issue 15: "RTO is from the first failure signal to the application answering in DR").
 */
describe("the recovery budget with an application tier", () => {
    /** The stack's own application settings: both stack files configure one. */
    const applicationOf = (run: ProgramRun): ApplicationSettings => {
        expect(run.config.application, `${run.stack} has healthcare-dr:application`).to.not.equal(undefined);
        return run.config.application!;
    };

    it("counts scale-out, target health, the metric's period, the Route 53 check and the alias TTL, each from its constant", () => {
        const steps = applicationRecoverySteps();
        expect(steps).to.deep.equal({
            scaleOutSeconds: FARGATE_TASK_START_SECONDS,
            targetHealthSeconds: TARGET_HEALTH_CHECK.intervalSeconds * TARGET_HEALTH_CHECK.healthyThreshold,
            metricPeriodSeconds: APPLICATION_METRICS.periodSeconds * servingReadyAlarm(STACK, HOME).evaluationPeriods,
            healthCheckSeconds: ROUTE53_METRIC_CHECK.requestIntervalSeconds * ROUTE53_METRIC_CHECK.failureThreshold,
            aliasTtlSeconds: ELB_ALIAS_TTL_SECONDS,
            totalSeconds: 180 + 20 + 60 + 90 + 60,
        });
        expect(TARGET_HEALTH_CHECK).to.deep.equal({
            intervalSeconds: 10,
            timeoutSeconds: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
            matcher: "200-299",
        });
    });

    for (const stack of STACKS) {
        it(`${stack}: adds nothing without an application tier, the application's steps with one, and still fits the stack's RTO`, async () => {
            const run = await planStack(stack);
            const { application: _, ...withoutApp } = run.config;
            const bare = recoveryBudget(withoutApp);
            expect(bare.rto.application).to.equal(null);
            const r = bare.rto;
            expect(bare.rtoSeconds).to.equal(
                r.detectionSeconds + r.operatorResponseSeconds + r.orchestrationSeconds + r.promotionSeconds + r.dnsTtlSeconds,
            );
            const full = recoveryBudget({ ...withoutApp, application: applicationOf(run) });
            expect(full.rto.application).to.deep.equal(applicationRecoverySteps());
            expect(full.rtoSeconds).to.equal(bare.rtoSeconds + applicationRecoverySteps().totalSeconds);
            // dev: 855 + 410 = 1265 s against 1h; prod: 1265 s against 30m (the policy pack's recovery-objectives-met).
            expect(full.rtoSeconds, `${stack} RTO ${run.config.objectives.rto.text}`).to.be.at.most(run.config.objectives.rto.seconds);
        });
    }

    it("is printed by the offline plan, step by step, or said to be absent", async () => {
        const run = await planStack("prod");
        const options = { violations: [], policyCount: 0, policyPackRan: true };
        applicationOf(run);
        const withApp = formatText(buildPlanDocument(run, options));
        expect(withApp).to.include(
            "    application 6m50s: scale-out 3m (Fargate task start, an assumption), target health 20s, metric period 1m, Route 53 check 1m30s, alias TTL 1m\n",
        );
        expect(withApp).to.match(/RTO 30m \(1800 s\): budget 21m5s \(1265 s\), within\n/);
        const { application: _, ...withoutApp } = run.config;
        const bare = formatText(buildPlanDocument({ ...run, config: withoutApp as typeof run.config }, options));
        expect(bare).to.include("    application: none (no application tier; the budget ends at the writer)\n");
    });
});
