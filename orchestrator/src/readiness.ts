/**
 * Is the DR cluster ready to take the writer? Checked before any promotion, switchover or failover alike: a managed
 * failover against a cluster that cannot take it fails half way, or not at all, while the run has already told
 * everyone it started. Not ready means: refuse, page with the reasons, change nothing.
 *
 * - a member of this global cluster (a detached or never-joined cluster is not promoted by this path);
 * - `available` (not `modifying`, `creating`, `upgrading`...);
 * - on the global cluster's engine version: AWS refuses a managed failover across different versions, even by a
 *   patch (aurora-global-database-disaster-recovery.html);
 * - at least one `available` DB instance: a headless secondary cannot take writes;
 * - its KMS key `Enabled`: a cluster whose key is disabled cannot open its storage.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 */
import { describeInstances, drRoleOf, keyState, type ClusterView, type GlobalClusterView } from "./aws";
import type { AwsClients } from "./clients";
import type { RuntimeConfig } from "./config";
import type { Deadline } from "./deadline";
import { errorCode } from "./errors";

export interface ReadinessFacts {
    readonly member: boolean;
    readonly status: string;
    readonly engineVersion?: string;
    readonly globalEngineVersion?: string;
    readonly instances: readonly { readonly id: string; readonly status: string }[];
    /** `Enabled`, `Disabled`, ..., or `none` when the cluster names no key, or the error code of DescribeKey. */
    readonly keyState: string;
}

export interface Readiness {
    readonly ready: boolean;
    readonly problems: readonly string[];
    readonly facts: ReadinessFacts;
}

/** The reasons the DR cluster cannot take the writer; empty when it can. Pure. */
export function readinessProblems(facts: ReadinessFacts): string[] {
    const problems: string[] = [];
    if (!facts.member) {
        problems.push("the DR cluster is not a member of this global cluster (detached or never joined)");
    }
    if (facts.status !== "available") {
        problems.push(`the DR cluster is ${facts.status}, not available`);
    }
    if (facts.globalEngineVersion === undefined || facts.engineVersion === undefined) {
        problems.push("the engine versions could not be read");
    } else if (facts.engineVersion !== facts.globalEngineVersion) {
        problems.push(
            `the DR cluster runs ${facts.engineVersion} and the global database ${facts.globalEngineVersion}: AWS refuses a managed failover across engine versions`,
        );
    }
    if (!facts.instances.some((i) => i.status === "available")) {
        problems.push(
            facts.instances.length === 0
                ? "the DR cluster has no DB instance to promote"
                : `no DB instance of the DR cluster is available (${facts.instances.map((i) => `${i.id} ${i.status}`).join(", ")})`,
        );
    }
    if (facts.keyState !== "Enabled") {
        problems.push(`the DR cluster's KMS key is ${facts.keyState}, not Enabled`);
    }
    return problems;
}

export async function checkReadiness(
    config: RuntimeConfig,
    clients: AwsClients,
    deadline: Deadline,
    global: GlobalClusterView,
    dr: ClusterView,
): Promise<Readiness> {
    const rds = clients.rds(config.dr.region);
    const [instances, key] = await Promise.all([
        deadline.call("DescribeDBInstances", (abortSignal) => describeInstances(rds, dr.instances, { abortSignal })),
        dr.kmsKeyId === undefined
            ? Promise.resolve("none")
            : deadline
                  .call("DescribeKey", (abortSignal) => keyState(clients.kms(config.dr.region), dr.kmsKeyId!, { abortSignal }))
                  .catch((error: unknown) => `unreadable (${errorCode(error)})`),
    ]);
    const facts: ReadinessFacts = {
        member: drRoleOf(global, config.dr.arn) !== "not-member",
        status: dr.status,
        ...(dr.engineVersion !== undefined ? { engineVersion: dr.engineVersion } : {}),
        ...(global.engineVersion !== undefined ? { globalEngineVersion: global.engineVersion } : {}),
        instances,
        keyState: key,
    };
    const problems = readinessProblems(facts);
    return { ready: problems.length === 0, problems, facts };
}
