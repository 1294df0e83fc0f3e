import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/account";
import { alertTopicPolicy } from "../lib/alerting";
import { toJson } from "../lib/iam";
import { physicalName } from "../lib/naming";

/** One region's side of the alerting. */
export interface AlertRegionArgs {
    /** The AWS region code. */
    readonly region: string;
    /** The explicit provider of that region. */
    readonly provider: aws.Provider;
    /** ARN of the region's customer-managed KMS key; the region's topic is encrypted with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

export interface AlertTopicsArgs {
    /** The account and partition ARNs and policies are written for (stack config; never looked up: static stability). */
    readonly account: AwsAccount;
    /** Pulumi stack name: part of the topics' names (`hdr-<stack>-alerts`, the same in both regions). */
    readonly stack: string;
    /** The primary region. */
    readonly primary: AlertRegionArgs;
    /** The DR region. */
    readonly dr: AlertRegionArgs;
    /** Addresses subscribed to both topics (`healthcare-dr:alerts.emails`); each must confirm its subscription once per topic. */
    readonly emails: readonly string[];
    /** Tags for every taggable resource; each also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An SNS alert topic in each region, each encrypted with its own region's key and subscribed by every on-call
 * address. Alarms and event rules notify the topic of their own region (CloudWatch alarm actions must be in the
 * alarm's region), and nothing of one region's topic (key, policy, subscriptions) depends on the other region: when a
 * region is down, the alarms of the other still reach people.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html
 */
export class AlertTopics extends pulumi.ComponentResource {
    /** ARN of the primary region's alert topic. */
    public readonly primaryTopicArn: pulumi.Output<string>;
    /** ARN of the DR region's alert topic. */
    public readonly drTopicArn: pulumi.Output<string>;

    constructor(name: string, args: AlertTopicsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("healthcare:dr:AlertTopics", name, {}, opts);
        const accountId = pulumi.output(args.account.accountId);
        if (args.emails.length === 0) {
            throw new pulumi.ResourceError(
                "AlertTopics needs at least one address in emails: an alarm nobody receives protects nobody.",
                this,
            );
        }
        const topicName = physicalName(args.stack, ["alerts"], 256);

        const topic = (role: "primary" | "dr", side: AlertRegionArgs): aws.sns.Topic => {
            const child = { parent: this, provider: side.provider };
            const t = new aws.sns.Topic(
                `${name}-${role}`,
                {
                    name: topicName,
                    displayName: `healthcare-dr ${args.stack} alerts (${side.region})`,
                    kmsMasterKeyId: side.kmsKeyArn,
                    tags: { ...args.tags, Name: `${topicName}-${role}` },
                },
                child,
            );
            new aws.sns.TopicPolicy(
                `${name}-${role}`,
                {
                    arn: t.arn,
                    policy: pulumi
                        .all([t.arn, accountId])
                        .apply(([topicArn, accountId]) => toJson(alertTopicPolicy({ topicArn, accountId }))),
                },
                child,
            );
            for (const email of args.emails) {
                // Named by address, not position, so that removing one address does not replace the others.
                new aws.sns.TopicSubscription(
                    `${name}-${role}-${email.toLowerCase()}`,
                    { topic: t.arn, protocol: "email", endpoint: email },
                    child,
                );
            }
            return t;
        };

        this.primaryTopicArn = topic("primary", args.primary).arn;
        this.drTopicArn = topic("dr", args.dr).arn;
        this.registerOutputs({ primaryTopicArn: this.primaryTopicArn, drTopicArn: this.drTopicArn });
    }
}
