/**
 * The decision the orchestrator takes after reading the world: pure, so that every rule has a table test.
 *
 * The rules, in order:
 * 1. An alarm that is not in ALARM (it recovered, or has no data) starts nothing.
 * 2. In manual mode an alarm only notifies on-call, with the exact command that starts the failover.
 * 3. If the DR cluster already is the writer (or a standalone writer after detach-and-promote), there is nothing to
 *    promote: only the pointers are repaired if they do not point at it yet.
 * 4. A promotion of the DR cluster that is already running is waited for, never started twice.
 * 5. A switchover synchronises both regions first, so it needs a healthy primary.
 * 6. A failover (which may lose data) never starts while the primary is healthy, or while its health cannot be
 *    told, unless forced.
 */
import { failoverCommand, type FailoverAction } from "../../lib/failover";
import type { OrchestratorRequest } from "./events";

/** Aurora cluster statuses in which the primary still serves writes: anything else counts as unhealthy. */
export const HEALTHY_CLUSTER_STATUSES = [
    "available",
    "backing-up",
    "modifying",
    "upgrading",
    "renaming",
    "resetting-master-credentials",
    "maintenance",
    "storage-optimization",
] as const;

/** FailoverState statuses of a switchover or failover still under way. */
export const IN_FLIGHT_FAILOVER_STATUSES = ["pending", "failing-over", "switching-over"] as const;

/** What the primary-region probe found. */
export type PrimaryHealth =
    | { readonly kind: "healthy"; readonly status: string }
    | { readonly kind: "unhealthy"; readonly reason: string }
    /** The region answered, but not with the cluster's state (e.g. throttled): no conclusion either way. */
    | { readonly kind: "inconclusive"; readonly reason: string };

/** The DR cluster's role in the global database. */
export type DrRole = "writer" | "standalone" | "promoting" | "secondary";

export interface World {
    readonly primary: PrimaryHealth;
    readonly drRole: DrRole;
    /** True when the writer record and the `active-region` parameter both point at the DR cluster. */
    readonly pointersAtDr: boolean;
}

export type Decision =
    | { readonly kind: "ignore"; readonly reason: string }
    | { readonly kind: "notify-only"; readonly reason: string; readonly command: string }
    | { readonly kind: "refuse"; readonly reason: string }
    | { readonly kind: "already-active"; readonly reason: string }
    | { readonly kind: "proceed"; readonly action: FailoverAction; readonly promote: boolean; readonly reason: string };

export function primaryHealthFromStatus(status: string | undefined): PrimaryHealth {
    if (status === undefined) {
        return { kind: "unhealthy", reason: "the primary cluster was not found" };
    }
    return (HEALTHY_CLUSTER_STATUSES as readonly string[]).includes(status)
        ? { kind: "healthy", status }
        : { kind: "unhealthy", reason: `the primary cluster is ${status}` };
}

export function actionOf(request: OrchestratorRequest): FailoverAction {
    return request.kind === "manual" ? request.action : "failover";
}

export function decide(
    request: OrchestratorRequest,
    world: World,
    context: { readonly mode: "automatic" | "manual"; readonly stack: string },
): Decision {
    if (request.kind === "alarm" && request.state !== "ALARM") {
        return { kind: "ignore", reason: `alarm ${request.alarmName} is ${request.state}; nothing to do` };
    }
    if (request.kind === "alarm" && context.mode === "manual") {
        const command = failoverCommand(context.stack);
        return {
            kind: "notify-only",
            command,
            reason: `alarm ${request.alarmName} is in ALARM (${describePrimary(world.primary)}); failover mode is manual. To fail over, run: ${command}`,
        };
    }
    const action = actionOf(request);
    const force = request.kind === "manual" && request.force;
    if (world.drRole === "writer" || world.drRole === "standalone") {
        return world.pointersAtDr
            ? { kind: "already-active", reason: "the DR cluster is already the writer and the record and active-region point at it" }
            : {
                  kind: "proceed",
                  action,
                  promote: false,
                  reason: "the DR cluster is already the writer; repointing the record and active-region",
              };
    }
    if (world.drRole === "promoting") {
        return { kind: "proceed", action, promote: false, reason: "a promotion of the DR cluster is already under way; waiting for it" };
    }
    if (action === "switchover") {
        return world.primary.kind === "healthy"
            ? { kind: "proceed", action, promote: true, reason: "planned switchover: the primary is healthy, no data will be lost" }
            : {
                  kind: "refuse",
                  reason: `a switchover needs both regions, but ${describePrimary(world.primary)}; for an unplanned failover run: ${failoverCommand(context.stack)}`,
              };
    }
    if (world.primary.kind !== "unhealthy" && !force) {
        return {
            kind: "refuse",
            reason: `not failing over: ${describePrimary(world.primary)}. A failover may lose data; use a switchover (${failoverCommand(context.stack, "switchover")}), or add --force`,
        };
    }
    return {
        kind: "proceed",
        action,
        promote: true,
        reason:
            world.primary.kind === "unhealthy"
                ? `unplanned failover: ${world.primary.reason}`
                : `forced failover (${describePrimary(world.primary)})`,
    };
}

export function describePrimary(health: PrimaryHealth): string {
    switch (health.kind) {
        case "healthy":
            return `the primary is healthy (${health.status})`;
        case "unhealthy":
            return `the primary is unhealthy: ${health.reason}`;
        case "inconclusive":
            return `the primary's health cannot be told: ${health.reason}`;
    }
}
