/**
 * The S3 bucket family as one graph. Since @pulumi/aws v7 (AWS provider v4+), a bucket's encryption, versioning,
 * public-access block, policy, ACL and replication are separate resources that name the bucket in their `bucket`
 * property; the older inline properties of the bucket are still read, so either style is checked.
 */
import type { PolicyResource } from "@pulumi/policy";
import { effectiveTags, refersTo } from "./resources";
import { BUCKET_TYPES, LOAD_BALANCER_TYPES, T } from "./types";
import { get, isTrue, isUnknown, records, str } from "./values";

export function bucketsOf(resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => (BUCKET_TYPES as readonly string[]).includes(r.type));
}

/** Resources of `types` that configure `bucket` (their `bucket` property is the bucket's name or id). */
export function configsOf(bucket: PolicyResource, resources: readonly PolicyResource[], types: readonly string[]): PolicyResource[] {
    return resources.filter((r) => types.includes(r.type) && refersTo(r, "bucket", bucket, ["bucket", "id"]));
}

export function bucketsWithConfig(
    resources: readonly PolicyResource[],
    types: readonly string[],
): { bucket: PolicyResource; configs: PolicyResource[] }[] {
    return bucketsOf(resources).map((bucket) => ({ bucket, configs: configsOf(bucket, resources, types) }));
}

/** The bucket's ARN: its `arn` output, else built from its name. */
export function bucketArn(bucket: PolicyResource): string | undefined {
    const arn = str(bucket.props["arn"]);
    if (arn !== undefined) {
        return arn;
    }
    const name = str(bucket.props["bucket"]) ?? str(bucket.props["id"]);
    return name !== undefined ? `arn:aws:s3:::${name}` : undefined;
}

/** The versioning resources of a bucket that enable versioning. */
export function versioningOf(bucket: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    return configsOf(bucket, resources, [T.bucketVersioning, T.bucketVersioningV2]).filter(
        (v) => str(get(v.props, "versioningConfiguration", "status")) === "Enabled",
    );
}

export function isVersioned(bucket: PolicyResource, resources: readonly PolicyResource[]): boolean {
    return isTrue(get(bucket.props, "versioning", "enabled")) || versioningOf(bucket, resources).length > 0;
}

/** The bucket a replication destination ARN names, if the stack declares it. */
export function bucketByArn(resources: readonly PolicyResource[], arn: string): PolicyResource | undefined {
    return bucketsOf(resources).find((b) => bucketArn(b) === arn);
}

/**
 * The buckets of the stack a load balancer's `accessLogs.bucket` names: by name or id, or, when the name is unknown
 * at preview (a bucket not created yet), the buckets the `accessLogs` property depends on, as the engine records them.
 */
export function accessLogBucketsOf(lb: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    const name = str(get(lb.props, "accessLogs", "bucket"));
    const buckets = bucketsOf(resources);
    if (name !== undefined) {
        return buckets.filter((b) => str(b.props["bucket"]) === name || str(b.props["id"]) === name);
    }
    const dependencies = lb.propertyDependencies["accessLogs"] ?? [];
    return buckets.filter((b) => dependencies.some((d) => d.urn === b.urn));
}

/**
 * True when the bucket receives S3 server access logs (it is the `targetBucket` of a logging configuration) or a load
 * balancer's access logs (`accessLogs` enabled, naming it). Such a bucket may only use SSE-S3: neither log delivery
 * supports SSE-KMS default encryption.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
export function isAccessLogTarget(bucket: PolicyResource, resources: readonly PolicyResource[]): boolean {
    return (
        resources.some(
            (lb) =>
                (LOAD_BALANCER_TYPES as readonly string[]).includes(lb.type) &&
                isTrue(get(lb.props, "accessLogs", "enabled")) &&
                accessLogBucketsOf(lb, resources).some((b) => b.urn === bucket.urn),
        ) ||
        resources.some(
            (r) => (r.type === T.bucketLogging || r.type === T.bucketLoggingV2) && refersTo(r, "targetBucket", bucket, ["bucket", "id"]),
        ) ||
        bucketsOf(resources).some((b) => {
            const target = str(get(b.props, "logging", "targetBucket"));
            return target !== undefined && (target === str(bucket.props["bucket"]) || target === str(bucket.props["id"]));
        })
    );
}

/** The pack-config setting that says which DataClassification tag values mark patient data. */
export const PATIENT_DATA_SCHEMA = {
    patientDataClassifications: {
        type: "array",
        items: { type: "string" },
        default: ["PHI"],
        description: "Values of the DataClassification tag that mark a bucket as holding patient data.",
    },
} as const;

/**
 * A bucket holds patient data when its DataClassification tag says so, unless it receives S3 server access logs:
 * those hold request records (kept by their own lifecycle rules), not patient records, even where the stack tags
 * every resource PHI. Shared by every policy about patient-data buckets, so they all mean the same buckets.
 */
export function holdsPatientData(
    bucket: PolicyResource,
    classifications: readonly string[],
    resources: readonly PolicyResource[],
): boolean {
    if (isAccessLogTarget(bucket, resources)) {
        return false;
    }
    const value = effectiveTags(bucket.props, bucket.provider)["DataClassification"];
    return value !== undefined && classifications.includes(value);
}

/** Where the enabled replication rules of a bucket copy to. */
export interface ReplicationTargets {
    /**
     * Per destination, the buckets of the stack it can be: the one whose ARN it names, or, when the ARN is unknown at
     * preview (a bucket not created yet), the buckets the rules depend on, as the engine records them.
     */
    readonly candidates: readonly (readonly PolicyResource[])[];
    /** Destination ARNs of buckets the stack does not declare. */
    readonly undeclared: readonly string[];
}

export function replicationTargets(bucket: PolicyResource, resources: readonly PolicyResource[]): ReplicationTargets {
    const candidates: PolicyResource[][] = [];
    const undeclared: string[] = [];
    const visit = (rules: unknown, dependencies: readonly PolicyResource[]) => {
        for (const rule of records(rules).filter((r) => r["status"] === "Enabled")) {
            const destination = get(rule, "destination", "bucket");
            const arn = str(destination);
            const declared = arn !== undefined ? bucketByArn(resources, arn) : undefined;
            if (isUnknown(destination)) {
                candidates.push(bucketsOf(dependencies));
            } else if (declared !== undefined) {
                candidates.push([declared]);
            } else if (arn !== undefined) {
                undeclared.push(arn);
            }
        }
    };
    for (const config of configsOf(bucket, resources, [T.bucketReplication])) {
        visit(config.props["rules"], config.propertyDependencies["rules"] ?? []);
    }
    const inline = bucket.props["replicationConfiguration"];
    if (inline !== undefined) {
        visit(get(inline, "rules"), bucket.propertyDependencies["replicationConfiguration"] ?? []);
    }
    return { candidates, undeclared };
}

/** The buckets that are certainly a replication destination of `bucket` (one candidate only). */
export function replicasOf(bucket: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    return replicationTargets(bucket, resources)
        .candidates.filter((c) => c.length === 1)
        .map((c) => c[0]!);
}
