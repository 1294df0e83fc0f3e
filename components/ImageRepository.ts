import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { imageUri, repositoryArn, untaggedImageLifecyclePolicy } from "../lib/applicationTier";

/** One region of the repository pair. */
export interface ImageRepositorySide {
    /** `primary` or `dr`: names the region's resources. */
    readonly label: "primary" | "dr";
    readonly region: string;
    /** The explicit provider of the region. */
    readonly provider: aws.Provider;
    /** The region's customer-managed key, which encrypts the images stored there. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

export interface ImageRepositoryArgs {
    /** The account and partition the ARNs are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The repository name, the same in both regions (ECR replication keeps the name). */
    readonly repository: string;
    readonly primary: ImageRepositorySide;
    readonly dr: ImageRepositorySide;
    /**
     * Days an untagged image (a superseded build's layers, a failed push) is kept.
     * @default 14
     */
    readonly untaggedImageDays?: number;
    /**
     * Protect the repositories: Pulumi `protect` and `retainOnDelete`, and no `forceDelete` (ECR then refuses to delete a
     * repository that holds images).
     * @default false
     */
    readonly protect?: boolean;
    /** Tags for the repositories. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The application's container images: an ECR repository of the same name in each region, and each registry's
 * replication configuration copying every push to the other region, so that each region's tasks pull their own
 * region's copy and nothing in a region needs the other one at run time.
 *
 * Both directions, because the image is pushed to whichever region is active. No loop: "a replication action only
 * occurs once per image push" (an image replicated from A to B is not replicated again from B), so an image pushed
 * to one region lands in the other once and stops.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html#replication-considerations
 *
 * Both repositories are declared, rather than left for replication to create: a repository replication creates gets
 * the registry's defaults (or a repository creation template's settings), not scan on push, immutable tags and the
 * region's own key. Declared, the destination exists before the first push, with the same settings as the source, and
 * no creation template is needed (a template would also apply to every other repository replication creates in the
 * registry).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
 *
 * A registry has one replication configuration per region: this component owns it in both regions (its rules are
 * filtered to the repository, but a second stack of the same account declaring one would overwrite it).
 */
export class ImageRepository extends pulumi.ComponentResource {
    /** The repository name (both regions). */
    public readonly repositoryName: string;
    /** The repository ARN in each region (known before the repositories exist: built from the name). */
    public readonly repositoryArns: { readonly primary: string; readonly dr: string };
    /** Each region's repository URL, `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
    public readonly repositoryUrls: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };

    private readonly args: ImageRepositoryArgs;
    private readonly protect: boolean;

    constructor(name: string, args: ImageRepositoryArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:ImageRepository", name, {}, opts);
        this.args = args;
        this.protect = args.protect ?? false;

        const primary = this.repository(name, args.primary);
        const dr = this.repository(name, args.dr);
        this.replicate(name, args.primary, args.dr, [primary]);
        this.replicate(name, args.dr, args.primary, [dr]);

        const arnIn = (side: ImageRepositorySide) =>
            repositoryArn({
                partition: args.account.partition,
                accountId: args.account.accountId,
                region: side.region,
                repository: args.repository,
            });
        this.repositoryName = args.repository;
        this.repositoryArns = { primary: arnIn(args.primary), dr: arnIn(args.dr) };
        this.repositoryUrls = { primary: primary.repositoryUrl, dr: dr.repositoryUrl };
        this.registerOutputs({
            repositoryName: this.repositoryName,
            repositoryArns: this.repositoryArns,
            repositoryUrls: this.repositoryUrls,
        });
    }

    /** The image URI a task definition in `region` runs: that region's copy. */
    public imageIn(region: string, tag: string): string {
        return imageUri({ accountId: this.args.account.accountId, region, repository: this.args.repository, tag });
    }

    /**
     * One region's repository: scan on push, immutable tags (a tag is one image, in both regions), the region's key, and
     * a lifecycle policy bounding the untagged images.
     * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
     * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html
     */
    private repository(name: string, side: ImageRepositorySide): aws.ecr.Repository {
        const repository = new aws.ecr.Repository(
            `${name}-${side.label}`,
            {
                name: this.args.repository,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: side.kmsKeyArn }],
                // Dev can be destroyed with its images; a protected stack keeps them (ECR refuses to delete a
                // repository holding images unless forced).
                forceDelete: !this.protect,
                tags: { ...this.args.tags, Name: this.args.repository },
            },
            { parent: this, provider: side.provider, protect: this.protect, retainOnDelete: this.protect },
        );
        new aws.ecr.LifecyclePolicy(
            `${name}-${side.label}`,
            { repository: repository.name, policy: untaggedImageLifecyclePolicy(this.args.untaggedImageDays ?? 14) },
            { parent: this, provider: side.provider },
        );
        return repository;
    }

    /** The registry of `from` copies pushes to this repository into `to`'s registry (same account, same name). */
    private replicate(name: string, from: ImageRepositorySide, to: ImageRepositorySide, dependsOn: pulumi.Resource[]): void {
        new aws.ecr.ReplicationConfiguration(
            `${name}-${from.label}-replication`,
            {
                replicationConfiguration: {
                    rules: [
                        {
                            destinations: [{ region: to.region, registryId: this.args.account.accountId }],
                            repositoryFilters: [{ filter: this.args.repository, filterType: "PREFIX_MATCH" }],
                        },
                    ],
                },
            },
            { parent: this, provider: from.provider, dependsOn },
        );
    }
}
