import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { toJson } from "../lib/iam";
import { regionalKeyPolicy } from "../lib/keyPolicy";

export interface RegionalKeyArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The AWS region of the key; must be the region of the provider passed in the options. */
    readonly region: string;
    /** Alias of the key, e.g. `alias/hdr-prod-data`. */
    readonly alias: string;
    /**
     * Protect the key from deletion: Pulumi `protect` and `retainOnDelete`, and the longest deletion window.
     * Deleting the key makes everything encrypted with it unreadable.
     * @default false
     */
    readonly protect?: boolean;
    /** Tags for the key. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The customer-managed KMS key of one region, with rotation on. Everything stored in the region (database, buckets,
 * backups, logs, topics, secrets) is encrypted with it, so that no data in the DR region depends on a key in the
 * primary region, which may be the one that is down.
 */
export class RegionalKey extends pulumi.ComponentResource {
    /** The key's ARN. */
    public readonly arn: pulumi.Output<string>;
    /** The key's id (a UUID). */
    public readonly keyId: pulumi.Output<string>;
    /** The alias name, e.g. `alias/hdr-prod-data`. */
    public readonly aliasName: pulumi.Output<string>;

    constructor(name: string, args: RegionalKeyArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:RegionalKey", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        const partition = args.account.partition;
        const protect = args.protect ?? false;

        const key = new aws.kms.Key(
            name,
            {
                description: `Patient data, logs, topics and backups in ${args.region} (healthcare-dr)`,
                enableKeyRotation: true,
                // 30 days (the maximum) gives time to notice and cancel a deletion in prod.
                deletionWindowInDays: protect ? 30 : 7,
                policy: pulumi
                    .all([partition, accountId])
                    .apply(([p, accountId]) => toJson(regionalKeyPolicy({ partition: p, accountId, region: args.region }))),
                tags: { ...args.tags, Name: args.alias.replace(/^alias\//, "") },
            },
            { parent: this, protect, retainOnDelete: protect },
        );
        const alias = new aws.kms.Alias(name, { name: args.alias, targetKeyId: key.keyId }, { parent: this });

        this.arn = key.arn;
        this.keyId = key.keyId;
        this.aliasName = alias.name;
        this.registerOutputs({ arn: this.arn, keyId: this.keyId, aliasName: this.aliasName });
    }
}
