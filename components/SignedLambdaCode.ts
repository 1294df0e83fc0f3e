import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketPrefix } from "../lib/buckets";
import { policyDocument, toJson } from "../lib/iam";
import { signingProfileName, SIGNING_PLATFORM, SIGNATURE_VALIDITY } from "../lib/codeSigning";
import { transportStatements } from "../lib/s3Policies";
import { declareSecureBucket } from "./secureBucket";

/** The `DataClassification` of the artifact bucket: deployment packages, no patient data. */
export const CODE_DATA_CLASSIFICATION = "Internal";

export interface SignedLambdaCodeArgs {
    /** Pulumi stack name: part of the profile and bucket names. */
    readonly stack: string;
    /** What the code is, for names: `failover`. */
    readonly purpose: string;
    /** The deployment package (a zip archive once uploaded). */
    readonly archive: pulumi.asset.Archive;
    /** The region's customer-managed key: the artifact bucket is encrypted with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * Keep the artifact bucket on `pulumi destroy` (Pulumi `protect` and `retainOnDelete`).
     * @default false
     */
    readonly protect?: boolean;
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A Lambda deployment package signed by AWS Signer, and the code-signing configuration that makes Lambda refuse
 * anything else: the deploy uploads the unsigned package to a versioned, KMS-encrypted artifact bucket, starts a
 * signing job with the stack's signing profile (`signer:StartSigningJob`, by the deploying principal), and the
 * function is created from the signed object. With `untrustedArtifactOnDeployment: Enforce`, code that is unsigned,
 * signed by another profile, altered or expired is rejected by `CreateFunction`/`UpdateFunctionCode`.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html
 * @see https://docs.aws.amazon.com/signer/latest/developerguide/lambda-workflow.html
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/signer/signingjob/
 */
export class SignedLambdaCode extends pulumi.ComponentResource {
    /** Bucket and key of the signed package: the function's `s3Bucket` and `s3Key`. */
    public readonly s3Bucket: pulumi.Output<string>;
    public readonly s3Key: pulumi.Output<string>;
    /** The code-signing configuration to set on the function (`codeSigningConfigArn`). */
    public readonly codeSigningConfigArn: pulumi.Output<string>;
    /** The signing profile's version ARN, the only publisher the configuration trusts. */
    public readonly signingProfileVersionArn: pulumi.Output<string>;

    constructor(name: string, args: SignedLambdaCodeArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:SignedLambdaCode", name, {}, opts);
        const protect = args.protect ?? false;
        const parent = { parent: this };
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });

        const profile = new aws.signer.SigningProfile(
            `${name}-profile`,
            {
                name: signingProfileName(args.stack, args.purpose),
                platformId: SIGNING_PLATFORM,
                signatureValidityPeriod: { ...SIGNATURE_VALIDITY },
                tags: tags("profile"),
            },
            parent,
        );

        const prefix = bucketPrefix(args.stack, [args.purpose, "code"]);
        const artifacts = declareSecureBucket(
            `${name}-artifacts`,
            {
                bucketPrefix: prefix,
                encryption: { kind: "kms", keyArn: args.kmsKeyArn },
                // Every deploy adds a version; old packages are not needed once a newer one is signed.
                lifecycleRules: [
                    {
                        id: "expire-old-packages",
                        status: "Enabled",
                        filter: {},
                        noncurrentVersionExpiration: { noncurrentDays: 30 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
                policy: (bucketArn) => bucketArn.apply((arn) => toJson(policyDocument(transportStatements(arn)))),
                objectLockRetentionDays: undefined,
                accessLogs: undefined,
                protect,
                // The bucket holds code, not patient records: its DataClassification says so, and the pack does not
                // ask it for the replication and access logging of patient-data buckets.
                tags: { ...tags("artifacts"), DataClassification: CODE_DATA_CLASSIFICATION },
            },
            { parent: this },
        );

        // Signer reads a specific object version: the source bucket must be versioned.
        const unsigned = new aws.s3.BucketObjectv2(
            `${name}-unsigned`,
            { bucket: artifacts.bucket.id, key: `unsigned/${args.purpose}.zip`, source: args.archive, tags: tags("unsigned") },
            { parent: this, dependsOn: [artifacts.versioning, artifacts.encryption] },
        );
        const job = new aws.signer.SigningJob(
            `${name}-signing`,
            {
                profileName: profile.name,
                source: { s3: { bucket: artifacts.bucket.id, key: unsigned.key, version: unsigned.versionId } },
                destination: { s3: { bucket: artifacts.bucket.id, prefix: "signed/" } },
                // A failed signature fails the deploy; an unsigned package never reaches the function.
                ignoreSigningJobFailure: false,
            },
            parent,
        );

        const config = new aws.lambda.CodeSigningConfig(
            `${name}-config`,
            {
                description: `Only ${args.purpose} code signed by ${signingProfileName(args.stack, args.purpose)} may deploy`,
                allowedPublishers: { signingProfileVersionArns: [profile.versionArn] },
                policies: { untrustedArtifactOnDeployment: "Enforce" },
                tags: tags("config"),
            },
            parent,
        );

        const signed = job.signedObjects.apply((objects) => {
            const s3 = objects[0]?.s3s[0];
            if (s3 === undefined) {
                throw new pulumi.ResourceError(`SignedLambdaCode ${name}: the signing job returned no signed object`, this);
            }
            return s3;
        });
        this.s3Bucket = signed.bucket;
        this.s3Key = signed.key;
        this.codeSigningConfigArn = config.arn;
        this.signingProfileVersionArn = profile.versionArn;
        this.registerOutputs({
            s3Bucket: this.s3Bucket,
            s3Key: this.s3Key,
            codeSigningConfigArn: this.codeSigningConfigArn,
            signingProfileVersionArn: this.signingProfileVersionArn,
        });
    }
}
