/**
 * Fencing the old writer after a break-glass: the cluster that was detached from cannot be told it is no longer the
 * writer, so it is cut off where it stands, in its own (peer) region, as soon as that region answers:
 * 1. every ingress permission of its database security group is revoked (DescribeSecurityGroups, then
 *    RevokeSecurityGroupIngress with the permissions read): no new connection reaches it;
 * 2. FENCE_PARAMETER (`default_transaction_read_only = 1`) is set on its cluster parameter group: a second line, every
 *    new transaction read only;
 * 3. each of its DB instances is rebooted after the last of those changes: a security group's tracked connections are
 *    not interrupted when a rule is removed, so sessions opened before the revoke would keep writing.
 *    @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html
 *    @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RebootDBInstance.html
 * Fenced = no ingress AND the parameter at `1` in the group AND the instances rebooted after the last change this
 * function made. The obligation (an `aftercare#<globalClusterId>` item's `fence` attribute in the lock table) records
 * the time of a change BEFORE it is made, so a crash between a change and its record still asks for the reboot.
 *
 * Each attempt is best effort within a short deadline and one try per call (the peer region may be the one that is
 * down): a break-glass run tries once, the aftercare schedule (aftercare.ts) tries again every AFTERCARE_SCHEDULE,
 * pages every failed attempt, re-verifies a fenced peer on every run (a `pulumi up` could re-add the ingress) and
 * closes the obligation once the old cluster no longer exists (retired by the rebuild procedure).
 */
import {
    DescribeDBClusterParametersCommand,
    ModifyDBClusterParameterGroupCommand,
    RebootDBInstanceCommand,
    type Parameter,
    type RDSClient,
} from "@aws-sdk/client-rds";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
    DescribeSecurityGroupsCommand,
    RevokeSecurityGroupIngressCommand,
    type EC2Client,
    type IpPermission as Ec2IpPermission,
} from "@aws-sdk/client-ec2";
import { FENCE_PARAMETER } from "../../lib/failover";
import { describeCluster } from "./aws";
import type { AwsClients } from "./clients";
import type { Deadline } from "./deadline";
import { errorCode, errorMessage } from "./errors";

/** The attribute of the aftercare item that holds the fence obligation. */
export const FENCE_ATTRIBUTE = "fence";

/** How long a break-glass run gives its one fence attempt, seconds (the aftercare schedule retries). */
export const FENCE_ATTEMPT_SECONDS = 20;

export type FenceState = "pending" | "fenced" | "closed";

/** The fence obligation, as stored (numbers are epoch ms; 0 = never). */
export interface FenceObligation {
    readonly state: FenceState;
    /** The old writer: its region, cluster, security group and cluster parameter group, as they were at the break-glass. */
    readonly region: string;
    readonly clusterIdentifier: string;
    readonly securityGroupId: string;
    readonly parameterGroup: string;
    /** The break-glass run that opened it. */
    readonly runId: string;
    readonly openedAt: number;
    readonly attempts: number;
    readonly lastAttemptAt: number;
    /** When this function last revoked ingress or set the parameter (recorded before the change). */
    readonly lastChangeAt: number;
    /** When every instance was last rebooted (after the reboots were accepted). */
    readonly rebootedAt: number;
    readonly fencedAt: number;
    readonly closedAt: number;
    /** What the last attempt could not do, or "". */
    readonly lastProblem: string;
    /** Optimistic concurrency: every write is conditional on the version read. */
    readonly version: number;
}

/** A new obligation for the old writer named by the break-glass configuration. Pure. */
export function newObligation(args: {
    readonly region: string;
    readonly clusterIdentifier: string;
    readonly securityGroupId: string;
    readonly parameterGroup: string;
    readonly runId: string;
    readonly now: number;
}): FenceObligation {
    const { now, ...where } = args;
    return {
        state: "pending",
        ...where,
        openedAt: now,
        attempts: 0,
        lastAttemptAt: 0,
        lastChangeAt: 0,
        rebootedAt: 0,
        fencedAt: 0,
        closedAt: 0,
        lastProblem: "",
        version: 0,
    };
}

/** What an attempt found in the peer region. */
export interface FenceFacts {
    /** False when the old cluster no longer exists. */
    readonly clusterExists: boolean;
    readonly ingressRules: number;
    /** The parameter's value in the group, or undefined when unset. */
    readonly parameterValue?: string;
}

/** True when the facts and the record say the old writer is fenced (see the module comment). Pure. */
export function isFenced(facts: FenceFacts, obligation: Pick<FenceObligation, "lastChangeAt" | "rebootedAt">): boolean {
    return (
        facts.ingressRules === 0 &&
        facts.parameterValue === FENCE_PARAMETER.value &&
        obligation.rebootedAt > 0 &&
        obligation.rebootedAt >= obligation.lastChangeAt
    );
}

/**
 * One ingress permission, reduced to what identifies it for RevokeSecurityGroupIngress: protocol, ports and sources.
 * Descriptions, group names, VPC and peering fields are what EC2 describes, not what a revoke matches on.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html
 */
export type IpPermission = Pick<
    Ec2IpPermission,
    "IpProtocol" | "FromPort" | "ToPort" | "IpRanges" | "Ipv6Ranges" | "PrefixListIds" | "UserIdGroupPairs"
>;

/** The ingress permissions of a security group as DescribeSecurityGroups returns them, reduced to what a revoke needs. Pure. */
export function ingressOf(permissions: readonly Ec2IpPermission[] | undefined): IpPermission[] {
    return (permissions ?? []).map((p) => ({
        IpProtocol: p.IpProtocol ?? "-1",
        ...(p.FromPort !== undefined ? { FromPort: p.FromPort } : {}),
        ...(p.ToPort !== undefined ? { ToPort: p.ToPort } : {}),
        ...((p.IpRanges ?? []).length > 0 ? { IpRanges: p.IpRanges!.map((r) => ({ CidrIp: r.CidrIp })) } : {}),
        ...((p.Ipv6Ranges ?? []).length > 0 ? { Ipv6Ranges: p.Ipv6Ranges!.map((r) => ({ CidrIpv6: r.CidrIpv6 })) } : {}),
        ...((p.PrefixListIds ?? []).length > 0 ? { PrefixListIds: p.PrefixListIds!.map((r) => ({ PrefixListId: r.PrefixListId })) } : {}),
        ...((p.UserIdGroupPairs ?? []).length > 0
            ? {
                  UserIdGroupPairs: p.UserIdGroupPairs!.map((g) => ({
                      GroupId: g.GroupId,
                      ...(g.UserId !== undefined ? { UserId: g.UserId } : {}),
                  })),
              }
            : {}),
    }));
}

/** The ingress permissions of the security group `groupId`, read in its region. */
export async function readIngress(ec2: EC2Client, groupId: string, deadline: Deadline): Promise<IpPermission[]> {
    const answer = await deadline.call("DescribeSecurityGroups", (abortSignal) =>
        ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }), { abortSignal }),
    );
    return ingressOf(answer.SecurityGroups?.[0]?.IpPermissions);
}

async function readParameter(rds: RDSClient, group: string, deadline: Deadline): Promise<string | undefined> {
    let marker: string | undefined;
    do {
        const page = await deadline.call("DescribeDBClusterParameters", (abortSignal) =>
            rds.send(new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: group, Marker: marker }), { abortSignal }),
        );
        const found = (page.Parameters ?? []).find((p: Parameter) => p.ParameterName === FENCE_PARAMETER.name);
        if (found !== undefined) {
            return found.ParameterValue;
        }
        marker = page.Marker;
    } while (marker !== undefined);
    return undefined;
}

export interface FenceAttempt {
    readonly obligation: FenceObligation;
    /** What the attempt did and found, for the timeline and the pages. */
    readonly detail: string;
    /** The changes it made (revoke, parameter, reboot), empty when the peer was found fenced. */
    readonly changes: readonly string[];
}

/** Saves the obligation (conditional on its version); returns the saved copy. */
export type SaveObligation = (obligation: FenceObligation) => Promise<FenceObligation>;

/**
 * One attempt to fence the old writer (or to re-verify it), within `deadline`, one try per call. Never throws for the
 * peer's sake: a peer that does not answer is the obligation's `lastProblem` with state `pending`. Throws only when the
 * obligation cannot be saved (the lock table is this region's: then the run must fail loudly).
 */
export async function fenceOnce(
    clients: AwsClients,
    start: FenceObligation,
    deadline: Deadline,
    now: () => number,
    save: SaveObligation,
): Promise<FenceAttempt> {
    let obligation: FenceObligation = { ...start, attempts: start.attempts + 1, lastAttemptAt: now() };
    const changes: string[] = [];
    const rds = clients.rdsOnce(obligation.region);
    const ec2 = clients.ec2Once(obligation.region);
    const where = `${obligation.clusterIdentifier} in ${obligation.region}`;
    try {
        const cluster = await deadline.call(`DescribeDBClusters in ${obligation.region}`, (abortSignal) =>
            describeCluster(rds, { region: obligation.region, arn: "", identifier: obligation.clusterIdentifier }, { abortSignal }),
        );
        if (cluster === undefined) {
            obligation = await save({ ...obligation, state: "closed", closedAt: now(), lastProblem: "" });
            return { obligation, changes, detail: `the old writer ${where} no longer exists: the fence obligation is closed` };
        }
        let ingress = await readIngress(ec2, obligation.securityGroupId, deadline);
        let parameter = await readParameter(rds, obligation.parameterGroup, deadline);
        if (ingress.length > 0 || parameter !== FENCE_PARAMETER.value) {
            // Recorded before the change: a crash right after it still asks for the reboot.
            obligation = await save({ ...obligation, lastChangeAt: now() });
        }
        if (ingress.length > 0) {
            try {
                await deadline.call("RevokeSecurityGroupIngress", (abortSignal) =>
                    ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: obligation.securityGroupId, IpPermissions: ingress }), {
                        abortSignal,
                    }),
                );
            } catch (error) {
                // A lost answer (or a rule removed meanwhile): what the group holds now decides.
                if (errorCode(error) !== "InvalidPermission.NotFound") {
                    const left = await readIngress(ec2, obligation.securityGroupId, deadline);
                    if (left.length > 0) {
                        throw error;
                    }
                }
            }
            changes.push(`revoked ${ingress.length} ingress permission(s) of ${obligation.securityGroupId}`);
            ingress = await readIngress(ec2, obligation.securityGroupId, deadline);
        }
        if (parameter !== FENCE_PARAMETER.value) {
            await deadline.call("ModifyDBClusterParameterGroup", (abortSignal) =>
                rds.send(
                    new ModifyDBClusterParameterGroupCommand({
                        DBClusterParameterGroupName: obligation.parameterGroup,
                        Parameters: [
                            {
                                ParameterName: FENCE_PARAMETER.name,
                                ParameterValue: FENCE_PARAMETER.value,
                                ApplyMethod: FENCE_PARAMETER.applyMethod,
                            },
                        ],
                    }),
                    { abortSignal },
                ),
            );
            changes.push(`set ${FENCE_PARAMETER.name} = ${FENCE_PARAMETER.value} on ${obligation.parameterGroup}`);
            parameter = await readParameter(rds, obligation.parameterGroup, deadline);
        }
        if (
            ingress.length === 0 &&
            parameter === FENCE_PARAMETER.value &&
            !(obligation.rebootedAt > 0 && obligation.rebootedAt >= obligation.lastChangeAt)
        ) {
            for (const instance of cluster.instances) {
                try {
                    await deadline.call("RebootDBInstance", (abortSignal) =>
                        rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: instance }), { abortSignal }),
                    );
                } catch (error) {
                    // An instance that is already rebooting drops its connections all the same.
                    if (errorCode(error) !== "InvalidDBInstanceStateFault" && errorCode(error) !== "InvalidDBInstanceState") {
                        throw error;
                    }
                }
            }
            obligation = await save({ ...obligation, rebootedAt: now() });
            changes.push(`rebooted ${cluster.instances.length} instance(s) (${cluster.instances.join(", ") || "none"})`);
        }
        const facts: FenceFacts = {
            clusterExists: true,
            ingressRules: ingress.length,
            ...(parameter !== undefined ? { parameterValue: parameter } : {}),
        };
        if (isFenced(facts, obligation)) {
            obligation = await save({
                ...obligation,
                state: "fenced",
                fencedAt: obligation.state === "fenced" && changes.length === 0 ? obligation.fencedAt : now(),
                lastProblem: "",
            });
            return {
                obligation,
                changes,
                detail:
                    changes.length === 0
                        ? `the old writer ${where} is still fenced`
                        : `the old writer ${where} is fenced: ${changes.join("; ")}`,
            };
        }
        const problem = `not fenced yet: ${ingress.length} ingress permission(s), ${FENCE_PARAMETER.name} = ${parameter ?? "unset"}`;
        obligation = await save({ ...obligation, state: "pending", lastProblem: problem });
        return { obligation, changes, detail: `the old writer ${where} is ${problem}` };
    } catch (error) {
        if (errorCode(error) === "ObligationConflict") {
            throw error;
        }
        const problem = `${errorCode(error)}: ${errorMessage(error)}`.slice(0, 500);
        obligation = await save({ ...obligation, state: "pending", lastProblem: problem });
        return {
            obligation,
            changes,
            detail: `the old writer ${where} could not be fenced (${problem})${changes.length > 0 ? `; done so far: ${changes.join("; ")}` : ""}`,
        };
    }
}

/** The fence, by hand: the commands on-call runs when the schedule cannot (they are what `fenceOnce` does). Pure. */
export function fenceCommands(
    obligation: Pick<FenceObligation, "region" | "clusterIdentifier" | "securityGroupId" | "parameterGroup">,
): string[] {
    const r = `--region ${obligation.region}`;
    return [
        `aws ec2 describe-security-groups ${r} --group-ids ${obligation.securityGroupId} --query 'SecurityGroups[0].IpPermissions' > ingress.json && aws ec2 revoke-security-group-ingress ${r} --group-id ${obligation.securityGroupId} --ip-permissions file://ingress.json`,
        `aws rds modify-db-cluster-parameter-group ${r} --db-cluster-parameter-group-name ${obligation.parameterGroup} --parameters ParameterName=${FENCE_PARAMETER.name},ParameterValue=${FENCE_PARAMETER.value},ApplyMethod=${FENCE_PARAMETER.applyMethod}`,
        `for i in $(aws rds describe-db-clusters ${r} --db-cluster-identifier ${obligation.clusterIdentifier} --query 'DBClusters[0].DBClusterMembers[].DBInstanceIdentifier' --output text); do aws rds reboot-db-instance ${r} --db-instance-identifier $i; done`,
    ];
}

/** The state of an obligation in one line, for the pages. Pure. */
export function describeObligation(o: FenceObligation): string {
    const at = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : "never");
    return `fence of ${o.clusterIdentifier} in ${o.region}: ${o.state}; attempts ${o.attempts}, last ${at(o.lastAttemptAt)}; last change ${at(o.lastChangeAt)}, instances rebooted ${at(o.rebootedAt)}${o.lastProblem !== "" ? `; last problem: ${o.lastProblem}` : ""}`;
}

const FENCE_STRINGS = ["state", "region", "clusterIdentifier", "securityGroupId", "parameterGroup", "runId", "lastProblem"] as const;
const FENCE_NUMBERS = ["openedAt", "attempts", "lastAttemptAt", "lastChangeAt", "rebootedAt", "fencedAt", "closedAt", "version"] as const;

/** The obligation as the aftercare item's `fence` attribute (a DynamoDB map). Pure. */
export function obligationToAttribute(o: FenceObligation): AttributeValue {
    return {
        M: {
            ...Object.fromEntries(FENCE_STRINGS.map((k) => [k, { S: String(o[k]) }])),
            ...Object.fromEntries(FENCE_NUMBERS.map((k) => [k, { N: String(o[k]) }])),
        },
    };
}

/** The obligation from the `fence` attribute. Pure. */
export function obligationFromAttribute(value: AttributeValue): FenceObligation {
    const m = value.M ?? {};
    const s = (k: string) => m[k]?.S ?? "";
    const n = (k: string) => Number(m[k]?.N ?? "0");
    return {
        state: (s("state") || "pending") as FenceState,
        region: s("region"),
        clusterIdentifier: s("clusterIdentifier"),
        securityGroupId: s("securityGroupId"),
        parameterGroup: s("parameterGroup"),
        runId: s("runId"),
        lastProblem: s("lastProblem"),
        openedAt: n("openedAt"),
        attempts: n("attempts"),
        lastAttemptAt: n("lastAttemptAt"),
        lastChangeAt: n("lastChangeAt"),
        rebootedAt: n("rebootedAt"),
        fencedAt: n("fencedAt"),
        closedAt: n("closedAt"),
        version: n("version"),
    };
}
