/**
 * Is this region's cluster ready to take the writer? Checked before any promotion (a failover, a switchover, a
 * failback alike: it is the same check whichever region the function runs in): a managed
 * failover against a cluster that cannot take it fails half way, or not at all, while the run has already told
 * everyone it started. Not ready means: refuse, page with the reasons, change nothing.
 *
 * - a member of this global cluster (a detached or never-joined cluster is not promoted by this path);
 * - `available` (not `modifying`, `creating`, `upgrading`...);
 * - on the global cluster's engine version: AWS refuses a managed failover across different versions, even by a
 *   patch (aurora-global-database-disaster-recovery.html);
 * - at least one `available` DB instance: a headless secondary cannot take writes;
 * - its KMS key `Enabled`: a cluster whose key is disabled cannot open its storage.
 *
 * A break-glass checks the same but membership and the engine version: it detaches the cluster (membership is what
 * it ends), and a version mismatch is one of the reasons AWS refuses the managed failover it replaces.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 */
import { describeInstances, keyState, roleOf, type ClusterView, type GlobalClusterView } from "./aws";
import type { AwsClients } from "./clients";
import type { RuntimeConfig } from "./config";
import type { Deadline } from "./deadline";
import { errorCode } from "./errors";

export interface ReadinessFacts {
    /** The cluster's region, for the messages. */
    readonly region: string;
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

/** Which promotion the readiness is for: a managed failover or switchover, or a break-glass detach. */
export type ReadinessPurpose = "managed" | "break-glass";

/** The reasons this region's cluster cannot take the writer; empty when it can. Pure. */
export function readinessProblems(facts: ReadinessFacts, purpose: ReadinessPurpose = "managed"): string[] {
    const problems: string[] = [];
    const it = `the ${facts.region} cluster`;
    const managed = purpose === "managed";
    if (managed && !facts.member) {
        problems.push(`${it} is not a member of this global cluster (detached or never joined)`);
    }
    if (facts.status !== "available") {
        problems.push(`${it} is ${facts.status}, not available`);
    }
    if (!managed) {
        // no engine-version check for a break-glass (see the module comment)
    } else if (facts.globalEngineVersion === undefined || facts.engineVersion === undefined) {
        problems.push("the engine versions could not be read");
    } else if (facts.engineVersion !== facts.globalEngineVersion) {
        problems.push(
            `${it} runs ${facts.engineVersion} and the global database ${facts.globalEngineVersion}: AWS refuses a managed failover across engine versions`,
        );
    }
    if (!facts.instances.some((i) => i.status === "available")) {
        problems.push(
            facts.instances.length === 0
                ? `${it} has no DB instance to promote`
                : `no DB instance of ${it} is available (${facts.instances.map((i) => `${i.id} ${i.status}`).join(", ")})`,
        );
    }
    if (facts.keyState !== "Enabled") {
        problems.push(`${it}'s KMS key is ${facts.keyState}, not Enabled`);
    }
    return problems;
}

export async function checkReadiness(
    config: RuntimeConfig,
    clients: AwsClients,
    deadline: Deadline,
    global: GlobalClusterView,
    own: ClusterView,
    purpose: ReadinessPurpose = "managed",
): Promise<Readiness> {
    const { self } = config;
    const rds = clients.rds(self.region);
    const [instances, key] = await Promise.all([
        deadline.call("DescribeDBInstances", (abortSignal) => describeInstances(rds, own.instances, { abortSignal })),
        own.kmsKeyId === undefined
            ? Promise.resolve("none")
            : deadline
                  .call("DescribeKey", (abortSignal) => keyState(clients.kms(self.region), own.kmsKeyId!, { abortSignal }))
                  .catch((error: unknown) => `unreadable (${errorCode(error)})`),
    ]);
    const facts: ReadinessFacts = {
        region: self.region,
        member: roleOf(global, self.arn) !== "not-member",
        status: own.status,
        ...(own.engineVersion !== undefined ? { engineVersion: own.engineVersion } : {}),
        ...(global.engineVersion !== undefined ? { globalEngineVersion: global.engineVersion } : {}),
        instances,
        keyState: key,
    };
    const problems = readinessProblems(facts, purpose);
    return { ready: problems.length === 0, problems, facts };
}
