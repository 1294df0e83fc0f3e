/**
 * Recovery objectives (HIPAA 164.308(a)(7)(ii)(B), (C)): the recovery time and data loss the program's design
 * allows (its recovery budget) are within the stack's objectives.
 *
 * Design: the policy reads the program's stack outputs, which the engine hands to stack policies as the properties
 * of the root `pulumi:pulumi:Stack` resource. The program already exports `objectives` (`rtoSeconds`,
 * `rpoSeconds`, from `healthcare-dr:objectives`) and the recovery budget it computes from its own settings as
 * `recoveryBudget: { rtoSeconds, rpoSeconds, ... }` (lib/recoveryBudget.ts). A stack that exports no budget fails,
 * unless `requireBudget` is turned off for a program that does not compute one. The pack config can also cap the objectives themselves (`maxRtoSeconds`, `maxRpoSeconds`), so a stack
 * file cannot lower the bar by loosening its own objectives.
 *
 * A budget whose data loss is not bounded (`rpoBounded: false`, `rpoSeconds: null`: nothing holds the database's
 * replication lag, only an alarm notifies) cannot be within any RPO. In a protected environment
 * (`protectedEnvironments`, by the stack's `environment` output or its name) that is a violation: set the database's
 * ceiling. Elsewhere (dev) it is allowed, and the budget itself says "not bounded" (the plan prints it); the terms
 * that are bounded (S3 replication) must still fit.
 */
import { stackPolicy, type PackPolicy } from "./lib/policy";
import { isProtectedEnvironment, protectedEnvironmentsSchema, STACK_TYPE } from "./lib/resources";
import { get, num, str } from "./lib/values";

/** The stack output holding the computed recovery budget. */
export const RECOVERY_BUDGET_OUTPUT = "recoveryBudget";
/** The stack output holding the stack's objectives. */
export const OBJECTIVES_OUTPUT = "objectives";

interface ObjectivesConfig {
    readonly requireBudget: boolean;
    readonly maxRtoSeconds?: number;
    readonly maxRpoSeconds?: number;
    readonly protectedEnvironments: readonly string[];
}

/** The config key a stack of this program sets to bound the database's data loss. */
const DATABASE_RPO_KEY = "healthcare-dr:database.maxReplicationLagSeconds";

export const recoveryObjectives = stackPolicy({
    name: "recovery-objectives-met",
    description: "The recovery budget the program computes (worst-case recovery time and data loss) is within the stack's RTO and RPO.",
    remediationSteps:
        "Change the design (e.g. failover automation, replication) until the budget fits, or agree new objectives and set healthcare-dr:objectives.",
    configSchema: {
        properties: {
            requireBudget: {
                type: "boolean",
                default: true,
                description: "Fail when the program exports no recoveryBudget (turn off only for a program that computes none).",
            },
            maxRtoSeconds: { type: "number", minimum: 1, description: "Ceiling on the stack's RTO objective, in seconds." },
            maxRpoSeconds: { type: "number", minimum: 1, description: "Ceiling on the stack's RPO objective, in seconds." },
            ...protectedEnvironmentsSchema("data loss must be bounded (a budget with rpoBounded false fails there)").properties,
        },
    },
    metadata: {
        concern: "recovery-objectives",
        hipaa: ["164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)"],
        checks: "Stack outputs: recoveryBudget rtoSeconds/rpoSeconds <= objectives rtoSeconds/rpoSeconds; rpoBounded in protectedEnvironments; objectives within maxRto/maxRpo",
        docs: [
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html#aurora-global-database-manage-recovery",
        ],
        resourceTypes: [STACK_TYPE],
    },
    validate: (args, report) => {
        const config = args.getConfig<ObjectivesConfig>();
        const stack = args.resources.find((r) => r.type === STACK_TYPE);
        if (stack === undefined) {
            return args.notApplicable("the stack resource is not available");
        }
        const objectives = {
            rto: num(get(stack.props, OBJECTIVES_OUTPUT, "rtoSeconds")),
            rpo: num(get(stack.props, OBJECTIVES_OUTPUT, "rpoSeconds")),
        };
        if (objectives.rto === undefined || objectives.rpo === undefined) {
            report(
                `The stack exports no ${OBJECTIVES_OUTPUT}.rtoSeconds/rpoSeconds: export the stack's objectives so they can be checked.`,
                stack.urn,
            );
            return;
        }
        if (config.maxRtoSeconds !== undefined && objectives.rto > config.maxRtoSeconds) {
            report(
                `The stack's RTO objective (${objectives.rto} s) exceeds the ceiling of ${config.maxRtoSeconds} s set in the policy config.`,
                stack.urn,
            );
        }
        if (config.maxRpoSeconds !== undefined && objectives.rpo > config.maxRpoSeconds) {
            report(
                `The stack's RPO objective (${objectives.rpo} s) exceeds the ceiling of ${config.maxRpoSeconds} s set in the policy config.`,
                stack.urn,
            );
        }
        const budget = stack.props[RECOVERY_BUDGET_OUTPUT];
        if (budget === undefined) {
            if (config.requireBudget) {
                report(
                    `The stack exports no ${RECOVERY_BUDGET_OUTPUT}: export the computed recovery budget ({ rtoSeconds, rpoSeconds }).`,
                    stack.urn,
                );
                return;
            }
            return args.notApplicable(`the program exports no ${RECOVERY_BUDGET_OUTPUT} yet`);
        }
        const rto = num(get(budget, "rtoSeconds"));
        const unbounded = get(budget, "rpoBounded") === false;
        // Not bounded: only the terms that are bounded can be compared with the objective.
        const databaseSeconds = num(get(budget, "rpo", "databaseSeconds"));
        const objectSeconds = num(get(budget, "rpo", "objectStorageSeconds"));
        const bounded = [databaseSeconds, objectSeconds].filter((s): s is number => s !== undefined);
        const rpo = unbounded ? Math.max(0, ...bounded) : num(get(budget, "rpoSeconds"));
        if (rto === undefined || rpo === undefined) {
            report(`The ${RECOVERY_BUDGET_OUTPUT} output has no numeric rtoSeconds and rpoSeconds.`, stack.urn);
            return;
        }
        if (rto > objectives.rto) {
            report(`The worst-case recovery time (${rto} s) exceeds the RTO objective (${objectives.rto} s).`, stack.urn);
        }
        if (rpo > objectives.rpo) {
            report(`The worst-case data loss (${rpo} s) exceeds the RPO objective (${objectives.rpo} s).`, stack.urn);
        }
        const environment = str(stack.props["environment"]);
        const tags: Record<string, string> = environment !== undefined ? { Environment: environment } : {};
        if (unbounded && isProtectedEnvironment(stack.urn, tags, config.protectedEnvironments)) {
            if (databaseSeconds === undefined) {
                report(
                    `The worst-case data loss is not bounded: nothing holds the database's replication lag (an alarm only notifies), so no RPO objective (${objectives.rpo} s) can be met. Set ${DATABASE_RPO_KEY} (rds.global_db_rpo on the writer) to at most ${objectives.rpo} s.`,
                    stack.urn,
                );
            }
            if (objectSeconds === undefined) {
                const dataSets = get(budget, "rpo", "unreplicatedDataSets");
                const names = Array.isArray(dataSets) ? dataSets.map(String).join(", ") : "some data sets";
                report(
                    `The worst-case data loss is not bounded: ${names} are not replicated towards the failover target, so objects written in the active region would be lost. Set buckets[].reverseReplication: true for them.`,
                    stack.urn,
                );
            }
        }
    },
});

export const objectivePolicies: readonly PackPolicy[] = [recoveryObjectives];
