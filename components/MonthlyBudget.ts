import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { budgetNotifications } from "../lib/alerting";
import { physicalName } from "../lib/naming";

export interface MonthlyBudgetArgs {
    /** Pulumi stack name: part of the budget's name. */
    readonly stack: string;
    /**
     * The account the budget belongs to. Given explicitly: the provider does not request the account id
     * (`skipRequestingAccountId`, static stability), and the budget would otherwise be created for an empty one.
     * @see https://www.pulumi.com/registry/packages/aws/api-docs/budgets/budget/
     */
    readonly accountId: string;
    /** The month's amount in USD (`healthcare-dr:budget.monthlyUsd`). */
    readonly monthlyUsd: number;
    /** Who is emailed (`healthcare-dr:alerts.emails`); 1 to 10 addresses. */
    readonly emails: readonly string[];
    /** Tags of the budget; it also gets a `Name`. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A monthly cost budget of the account, emailing at 80% and 100% of actual spend and at a forecast of 100%.
 * AWS Budgets is a global service: the budget belongs to the account, not to a region, whatever provider declares it.
 * It counts the whole account's cost: run each stack in its own account (as a PHI workload should be), or filter by
 * cost allocation tag once the `Stack` tag is activated for cost allocation.
 * @see https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-create.html
 */
export class MonthlyBudget extends pulumi.ComponentResource {
    /** The budget's name. */
    public readonly budgetName: pulumi.Output<string>;

    constructor(name: string, args: MonthlyBudgetArgs, opts: pulumi.ComponentResourceOptions) {
        super("healthcare:dr:MonthlyBudget", name, {}, opts);
        if (!(args.monthlyUsd > 0)) {
            throw new pulumi.ResourceError(`Invalid value for monthlyUsd: ${args.monthlyUsd}. Give a positive amount of US dollars.`, this);
        }
        let notifications;
        try {
            notifications = budgetNotifications(args.emails);
        } catch (e) {
            throw new pulumi.ResourceError((e as Error).message, this);
        }
        const budgetName = physicalName(args.stack, ["monthly-cost"], 100);
        const budget = new aws.budgets.Budget(
            name,
            {
                name: budgetName,
                accountId: args.accountId,
                budgetType: "COST",
                timeUnit: "MONTHLY",
                limitAmount: args.monthlyUsd.toFixed(2),
                limitUnit: "USD",
                notifications,
                tags: { ...args.tags, Name: budgetName },
            },
            { parent: this },
        );
        this.budgetName = budget.name;
        this.registerOutputs({ budgetName: this.budgetName });
    }
}
