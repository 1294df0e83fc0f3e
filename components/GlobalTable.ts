import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { globalTableName, tableArn, type TableSettings } from "../lib/tables";

/** One region of a global table: where a replica lives and the key that encrypts it. */
export interface GlobalTableRegionArgs {
    /** The AWS region code. */
    readonly region: string;
    /** The explicit provider of that region. */
    readonly provider: aws.Provider;
    /** ARN of the region's customer-managed KMS key: this region's replica is encrypted with it, and only with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

export interface GlobalTableArgs {
    /** Pulumi stack name: part of the table's physical name (`hdr-<stack>-data-<name>`, lib/tables.ts). */
    readonly stack: string;
    /** The account and partition the replicas' ARNs are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** The table as the stack file gives it (`healthcare-dr:tables[]`), every default resolved. */
    readonly table: TableSettings;
    /** The primary (home) region: the table is declared there, through its provider, and its replica uses its key. */
    readonly primary: GlobalTableRegionArgs;
    /** The DR region: the second replica, on the DR region's key. */
    readonly dr: GlobalTableRegionArgs;
    /**
     * Protect the table: deletion protection on the table and its replica, Pulumi `protect` and `retainOnDelete`. Off,
     * dev can be torn down.
     * @default false
     */
    readonly protect?: boolean;
    /** Tags for the table (propagated to the replica) and the other taggable resources; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A DynamoDB global table (version 2019.11.21, multi-Region eventual consistency) with a replica in each region, for
 * records that must be writable in both: one `aws.dynamodb.Table` declared through the primary region's provider,
 * whose `replicas` adds the DR region's replica. Each replica is encrypted with its own region's customer-managed key
 * (nothing in the DR region depends on the primary's key), has point-in-time recovery and, when protected, deletion
 * protection; on-demand capacity, so the replicas never disagree on capacity (AWS asks for identical write capacity
 * on every replica); the stream is on (replication reads it); contributor insights in both regions.
 *
 * Both replicas take writes at all times: a failover needs no step for the table, and concurrent writes to one item in
 * both regions are resolved by "last writer wins" (README, "Global tables").
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables-security.html
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/dynamodb/table/
 */
export class GlobalTable extends pulumi.ComponentResource {
    /** The table's name, the same in both regions. */
    public readonly tableName: pulumi.Output<string>;
    /** The ARN of each region's replica (the primary's is the table's own). */
    public readonly arns: Readonly<Record<"primary" | "dr", pulumi.Output<string>>>;
    /** The stream of each region's replica (each replica has its own stream). */
    public readonly streamArns: Readonly<Record<"primary" | "dr", pulumi.Output<string | undefined>>>;

    constructor(name: string, args: GlobalTableArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:GlobalTable", name, {}, opts);
        if (args.primary.region === args.dr.region) {
            throw new pulumi.ResourceError(
                `Global table ${args.table.name}: primary and dr are both ${args.primary.region}; a global table has one replica per region.`,
                this,
            );
        }
        const table = this.table(name, args);
        this.contributorInsights(name, "primary", args.primary, table);
        this.contributorInsights(name, "dr", args.dr, table);

        this.tableName = table.name;
        this.arns = {
            primary: table.arn,
            // Known from the name, the region and the account (config): the same whether the replica exists yet or not.
            dr: table.name.apply((tableName) =>
                tableArn({ partition: args.account.partition, region: args.dr.region, accountId: args.account.accountId, tableName }),
            ),
        };
        this.streamArns = {
            primary: table.streamArn,
            dr: table.replicas.apply((replicas) => replicas?.find((r) => r.regionName === args.dr.region)?.streamArn),
        };
        this.registerOutputs({ tableName: this.tableName, arns: this.arns, streamArns: this.streamArns });
    }

    /** The table and its DR replica, each on its own region's key (lib/tables.ts `TableSettings`). */
    private table(name: string, args: GlobalTableArgs): aws.dynamodb.Table {
        const protect = args.protect ?? false;
        const { table } = args;
        const physical = globalTableName(args.stack, table.name);
        const attributes = [table.partitionKey, ...(table.sortKey !== undefined ? [table.sortKey] : [])];
        return new aws.dynamodb.Table(
            `${name}-table`,
            {
                name: physical,
                billingMode: "PAY_PER_REQUEST",
                hashKey: table.partitionKey.name,
                ...(table.sortKey !== undefined ? { rangeKey: table.sortKey.name } : {}),
                attributes: attributes.map((a) => ({ name: a.name, type: a.type })),
                serverSideEncryption: { enabled: true, kmsKeyArn: args.primary.kmsKeyArn },
                pointInTimeRecovery: { enabled: true },
                deletionProtectionEnabled: protect,
                // Replication reads the stream: a table with replicas must have it on (lib/tables.ts STREAM_VIEW_TYPES).
                streamEnabled: true,
                streamViewType: table.streams,
                ...(table.ttlAttribute !== undefined ? { ttl: { enabled: true, attributeName: table.ttlAttribute } } : {}),
                replicas: [
                    {
                        regionName: args.dr.region,
                        kmsKeyArn: args.dr.kmsKeyArn,
                        pointInTimeRecovery: true,
                        deletionProtectionEnabled: protect,
                        propagateTags: true,
                    },
                ],
                tags: { ...args.tags, Name: physical },
            },
            { parent: this, provider: args.primary.provider, protect, retainOnDelete: protect },
        );
    }

    /**
     * CloudWatch Contributor Insights on a region's replica: the most accessed and most throttled keys, which is what
     * a throttle alarm leads to. Each replica has its own, enabled in its region.
     * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/contributorinsights_HowItWorks.html
     */
    private contributorInsights(
        name: string,
        side: "primary" | "dr",
        region: GlobalTableRegionArgs,
        table: aws.dynamodb.Table,
    ): aws.dynamodb.ContributorInsights {
        return new aws.dynamodb.ContributorInsights(
            `${name}-${side}-insights`,
            { tableName: table.name },
            // The DR replica exists once the table (with its replicas) does.
            { parent: this, provider: region.provider, dependsOn: [table] },
        );
    }
}
