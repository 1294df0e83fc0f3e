import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    CHILD_HEALTH_THRESHOLD,
    failoverRecordType,
    route53AlarmProblems,
    trafficAlarms,
    type TrafficAlarmSpec,
    type TrafficCheck,
    type TrafficRegionLabel,
} from "../lib/applicationTraffic";
import { physicalName } from "../lib/naming";

/** One region's side of the application's public name. */
export interface ApplicationTrafficRegion {
    /** The AWS region code, e.g. `eu-west-2`. */
    readonly region: string;
    /** The explicit provider of `region`: the alarms of this region, and the Route 53 resources of its record, use it. */
    readonly provider: aws.Provider;
    /** The region's internet-facing ALB (ApplicationTier `albDnsName`): the alias target of its record. */
    readonly albDnsName: pulumi.Input<string>;
    /** The ALB's canonical hosted zone (ApplicationTier `albZoneId`), for the alias target. */
    readonly albZoneId: pulumi.Input<string>;
    /** The region's alert topic: the actions of the alarms declared in this region (AlertTopics). */
    readonly alertTopicArn: pulumi.Input<string>;
}

export interface ApplicationTrafficArgs {
    /** The stack name: the `Stack` dimension of the metrics and part of the alarms' names. */
    readonly stack: string;
    /** The application's public DNS name (`application.domainName`), e.g. `app.dev.example.org`. */
    readonly domainName: string;
    /** The existing public hosted zone of `domainName` (`application.hostedZoneId`). */
    readonly hostedZoneId: pulumi.Input<string>;
    /** The home region (`primaryRegion`): its record is the PRIMARY one. */
    readonly primary: ApplicationTrafficRegion;
    /** The DR region (`drRegion`): its record is the SECONDARY one. */
    readonly dr: ApplicationTrafficRegion;
    /** Tags of every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The application's public name (lib/applicationTraffic.ts): a Route 53 failover alias pair, one record per region to
 * its own ALB, each record guarded by a CALCULATED health check of two CLOUDWATCH_METRIC checks, `ready` (the region's
 * own orchestrator says it serves) and `fenced` (the other region's orchestrator does not veto it). Traffic moves only
 * through the metric data the orchestrators publish in their own regions: no Route 53 control-plane call during an
 * outage (AWS-FACTS.md). When both records are unhealthy Route 53 answers with the PRIMARY (home) record.
 */
export class ApplicationTraffic extends pulumi.ComponentResource {
    /** The application's public name. */
    public readonly domainName: pulumi.Output<string>;
    /** Each region's CALCULATED health check (the one on its record). */
    public readonly healthCheckIds: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    /** Each region's alarm names: `ready` (in that region) and `fenced` (in the other region). */
    public readonly alarmNames: {
        readonly primary: Readonly<Record<TrafficCheck, pulumi.Output<string>>>;
        readonly dr: Readonly<Record<TrafficCheck, pulumi.Output<string>>>;
    };

    constructor(name: string, args: ApplicationTrafficArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:ApplicationTraffic", name, {}, opts);
        if (args.primary.region === args.dr.region) {
            throw new pulumi.ResourceError(
                `ApplicationTraffic ${name}: primary.region and dr.region must differ (both ${args.primary.region})`,
                this,
            );
        }
        if (args.domainName.trim() === "") {
            throw new pulumi.ResourceError(
                `ApplicationTraffic ${name}: domainName is empty; set healthcare-dr:application.domainName`,
                this,
            );
        }

        const primary = this.regionRecord(name, args, "primary", args.primary, args.dr);
        const dr = this.regionRecord(name, args, "dr", args.dr, args.primary);

        this.domainName = pulumi.output(args.domainName);
        this.healthCheckIds = { primary: primary.healthCheckId, dr: dr.healthCheckId };
        this.alarmNames = { primary: primary.alarmNames, dr: dr.alarmNames };
        this.registerOutputs({ domainName: this.domainName, healthCheckIds: this.healthCheckIds, alarmNames: this.alarmNames });
    }

    /**
     * One region's record: its two alarms (`ready` in the region, `fenced` in its peer), their CLOUDWATCH_METRIC checks,
     * the CALCULATED check over both, and the failover alias record to the region's ALB.
     */
    private regionRecord(
        name: string,
        args: ApplicationTrafficArgs,
        label: TrafficRegionLabel,
        self: ApplicationTrafficRegion,
        peer: ApplicationTrafficRegion,
    ): { healthCheckId: pulumi.Output<string>; alarmNames: Record<TrafficCheck, pulumi.Output<string>> } {
        const specs = trafficAlarms(args.stack, self.region, peer.region);
        // The alarm's region decides its provider and its topic: `ready` is watched in the region itself, `fenced` in
        // the peer (whose orchestrator publishes it).
        const side: Record<TrafficCheck, ApplicationTrafficRegion> = { ready: self, fenced: peer };
        const checks = (Object.keys(specs) as TrafficCheck[]).map((check) => this.alarmCheck(name, args, label, specs[check], side[check]));
        const tags = this.tagger(args, self.region);
        // Route 53 is global: the provider only carries the credentials; the region's own, as for its alarms.
        const onSelf = { parent: this, provider: self.provider };
        const calculated = new aws.route53.HealthCheck(
            `${name}-${label}`,
            {
                type: "CALCULATED",
                childHealthchecks: checks.map((c) => c.healthCheck.id),
                childHealthThreshold: CHILD_HEALTH_THRESHOLD,
                tags: tags("serving"),
            },
            onSelf,
        );
        new aws.route53.Record(
            `${name}-${label}`,
            {
                zoneId: args.hostedZoneId,
                name: args.domainName,
                type: "A",
                setIdentifier: label,
                failoverRoutingPolicies: [{ type: failoverRecordType(label) }],
                // An alias to an ALB has Route 53's fixed 60 s TTL (ELB_ALIAS_TTL_SECONDS) and no TTL of its own. With
                // evaluateTargetHealth, an ALB without a healthy target is unhealthy too, whatever the metrics say.
                // @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias-common.html
                aliases: [{ name: self.albDnsName, zoneId: self.albZoneId, evaluateTargetHealth: true }],
                healthCheckId: calculated.id,
            },
            onSelf,
        );
        return {
            healthCheckId: calculated.id,
            alarmNames: { ready: checks[0]!.alarm.name, fenced: checks[1]!.alarm.name },
        };
    }

    /** A traffic alarm in `where`'s region and the CLOUDWATCH_METRIC health check that follows its metric. */
    private alarmCheck(
        name: string,
        args: ApplicationTrafficArgs,
        label: TrafficRegionLabel,
        spec: TrafficAlarmSpec,
        where: ApplicationTrafficRegion,
    ): { alarm: aws.cloudwatch.MetricAlarm; healthCheck: aws.route53.HealthCheck } {
        const problems = route53AlarmProblems(spec);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`ApplicationTraffic ${name}: ${problems.join("; ")}`, this);
        }
        const tags = this.tagger(args, spec.aboutRegion);
        const inRegion = { parent: this, provider: where.provider };
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-${label}-${spec.check}`,
            {
                name: spec.name,
                alarmDescription: spec.description,
                namespace: spec.namespace,
                metricName: spec.metricName,
                dimensions: { ...spec.dimensions },
                statistic: spec.statistic,
                period: spec.period,
                evaluationPeriods: spec.evaluationPeriods,
                datapointsToAlarm: spec.datapointsToAlarm,
                threshold: spec.threshold,
                comparisonOperator: spec.comparisonOperator,
                treatMissingData: spec.treatMissingData,
                // People hear when a region stops (or starts) being withdrawn from the name, in the alarm's region.
                alarmActions: [where.alertTopicArn],
                okActions: [where.alertTopicArn],
                tags: tags(spec.check),
            },
            inRegion,
        );
        // Route 53 reads the alarm's configuration when the check is created and then follows its metric's data; the
        // check depends on the alarm's name, so the alarm exists first.
        // @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
        const healthCheck = new aws.route53.HealthCheck(
            `${name}-${label}-${spec.check}`,
            {
                type: "CLOUDWATCH_METRIC",
                cloudwatchAlarmName: alarm.name,
                cloudwatchAlarmRegion: where.region,
                insufficientDataHealthStatus: spec.insufficientDataHealthStatus,
                tags: tags(`${spec.check}-check`),
            },
            inRegion,
        );
        return { alarm, healthCheck };
    }

    private tagger(args: ApplicationTrafficArgs, region: string): (suffix: string) => Record<string, string> {
        return (suffix) => ({ ...args.tags, Name: physicalName(args.stack, ["app", region, suffix], 255) });
    }
}
