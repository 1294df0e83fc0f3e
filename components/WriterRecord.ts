import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { privateZoneName, writerRecordName } from "../lib/failover";
import { physicalName } from "../lib/naming";
import { pointerIgnoreChanges, WRITER_RECORD } from "../lib/pointers";

/** A VPC the private hosted zone is associated with, so that applications there resolve the writer record. */
export interface ZoneVpc {
    readonly vpcId: pulumi.Input<string>;
    readonly region: string;
}

export interface WriterRecordArgs {
    /** Pulumi stack name: part of the zone and record names. */
    readonly stack: string;
    /** VPCs associated with the private hosted zone: both regions'. At least one. */
    readonly zoneVpcs: readonly ZoneVpc[];
    /**
     * The record's value when it is first created: the cluster endpoint of the writer the deploy knows of
     * (`healthcare-dr:activeRegion`). After that the orchestrators own the value, and no update ever sends it.
     */
    readonly initialTarget: pulumi.Input<string>;
    /** TTL of the record, seconds (the orchestrators write the same TTL when they repoint it). @default 30 */
    readonly ttlSeconds?: number;
    /** Tags of every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The writer record, `writer.db.<stack>.healthcare.internal`: a CNAME in a private hosted zone associated with both
 * regions' VPCs, naming the cluster endpoint of the current writer. One for the stack (Route 53 is global), repointed
 * by whichever region's orchestrator promotes its cluster. Applications that verify TLS connect to the global writer
 * endpoint in the database secret instead (this name is on no RDS certificate); the record is for tools and
 * dashboards that want to know where the writer is by name.
 */
export class WriterRecord extends pulumi.ComponentResource {
    public readonly hostedZoneId: pulumi.Output<string>;
    /** The record's fully qualified name. */
    public readonly recordName: pulumi.Output<string>;

    constructor(name: string, args: WriterRecordArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:WriterRecord", name, {}, opts);
        // The zone and record were first declared as `failover-zone` and `failover-writer`, children of the DR region's
        // orchestrator (`failover`, when it was the only one): aliases keep them, so an update never replaces the record
        // (a new one would point at `initialTarget`, whatever the orchestrators had set).
        const previousParent = pulumi.createUrn("failover", "healthcare:dr:FailoverOrchestrator");
        const [firstVpc, ...otherVpcs] = args.zoneVpcs;
        if (firstVpc === undefined) {
            throw new pulumi.ResourceError("zoneVpcs must list at least one VPC: a private hosted zone needs a VPC", this);
        }
        const zone = new aws.route53.Zone(
            `${name}-zone`,
            {
                name: privateZoneName(args.stack),
                comment: "Writer record of the Aurora global database; repointed by the failover orchestrators",
                vpcs: [firstVpc, ...otherVpcs].map((v) => ({ vpcId: v.vpcId, vpcRegion: v.region })),
                tags: { ...args.tags, Name: physicalName(args.stack, ["failover", "zone"], 255) },
            },
            { parent: this, aliases: [{ name: "failover-zone", parent: previousParent }] },
        );
        // A simple record with a short TTL, repointed by an orchestrator only after its cluster is the writer; not a
        // Route 53 failover routing pair. A failover pair would answer with the other endpoint as soon as a health
        // check fails, while that cluster is still a read-only secondary (before promotion), and would answer with
        // the old writer again once its check recovers, even if it is isolated and no longer the writer: two writers
        // reachable by name (split brain). Here DNS follows the promotion, never the health check.
        // @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html
        const record = new aws.route53.Record(
            `${name}-record`,
            {
                zoneId: zone.zoneId,
                name: writerRecordName(args.stack),
                type: "CNAME",
                ttl: args.ttlSeconds ?? 30,
                records: [args.initialTarget],
            },
            // The orchestrators own the value: no update may ever send the value stored in state (AWS-FACTS.md,
            // ignoreChanges), so every property an update could change is ignored.
            {
                parent: this,
                ignoreChanges: pointerIgnoreChanges(WRITER_RECORD),
                aliases: [{ name: "failover-writer", parent: previousParent }],
            },
        );
        this.hostedZoneId = zone.zoneId;
        this.recordName = record.fqdn;
        this.registerOutputs({ hostedZoneId: this.hostedZoneId, recordName: this.recordName });
    }
}
