/**
 * The decision the orchestrator takes after reading the world: pure, so that every rule has a table test.
 *
 * The rules, in order (the first that applies decides):
 * 1. An alarm that is not in ALARM (it recovered, or has no data) starts nothing.
 * 2. In manual mode an alarm only notifies on-call, with the exact command that starts the failover.
 * 3. A DR cluster that is not a member of this global cluster (detached, or never joined) is never pointed at: the
 *    run refuses and pages. Promoting a cluster outside the global database is a break-glass action for a human.
 * 4. If the DR cluster already is the global writer, nothing is promoted: an unfinished run is finished (repoint if
 *    needed, verify, notify, release); pointers that do not point at it yet are repointed; otherwise all is done.
 * 5. A promotion of the DR cluster that is already running is waited for, never started twice.
 * 6. The DR cluster must be ready (readiness.ts), or the run refuses and changes nothing.
 * 7. A switchover synchronises both regions first, so it needs the primary serving.
 * 8. A failover (which may lose data) needs the quorum of signals over the detection window (signals.ts), or force.
 */
import { failoverCommand, type FailoverAction } from "../../lib/failover";
import type { OrchestratorRequest } from "./events";
import type { Readiness } from "./readiness";
import { describeEvidence, type Evidence } from "./signals";

/** FailoverState statuses of a switchover or failover still under way. */
export const IN_FLIGHT_FAILOVER_STATUSES = ["pending", "failing-over", "switching-over", "cancelling"] as const;

/** The DR cluster's role in the global database. */
export type DrRole = "writer" | "promoting" | "secondary" | "not-member";

export interface World {
    readonly drRole: DrRole;
    /** True when the writer record and the `active-region` parameter both point at the DR cluster. */
    readonly pointersAtDr: boolean;
    /** True when a run towards the DR region was started and has not completed (it crashed, or failed). */
    readonly openRun: boolean;
    /** Whether the DR cluster can take the writer; read only when a promotion may follow. */
    readonly readiness?: Readiness;
    /** The signals over the detection window (a failover) or one round (a switchover, a forced failover). */
    readonly evidence?: Evidence;
}

export type Decision =
    | { readonly kind: "ignore"; readonly reason: string }
    | { readonly kind: "notify-only"; readonly reason: string; readonly command: string }
    | { readonly kind: "refuse"; readonly reason: string }
    | { readonly kind: "already-active"; readonly reason: string }
    | { readonly kind: "proceed"; readonly action: FailoverAction; readonly promote: boolean; readonly reason: string };

export function actionOf(request: OrchestratorRequest): FailoverAction {
    return request.kind === "manual" ? request.action : "failover";
}

/** What the decision needs read before it can be taken: nothing more, the readiness, or the signals too. Pure. */
export function needs(request: OrchestratorRequest, world: Pick<World, "drRole">, mode: "automatic" | "manual"): "nothing" | "readiness" {
    if (request.kind === "alarm" && (request.state !== "ALARM" || mode === "manual")) {
        return "nothing";
    }
    return world.drRole === "secondary" ? "readiness" : "nothing";
}

/** How much evidence a request needs: the whole window for an unforced failover, one round otherwise. Pure. */
export function evidenceFor(request: OrchestratorRequest): "window" | "round" {
    return actionOf(request) === "failover" && !(request.kind === "manual" && request.force) ? "window" : "round";
}

export function decide(
    request: OrchestratorRequest,
    world: World,
    context: { readonly mode: "automatic" | "manual"; readonly stack: string; readonly drRegion: string },
): Decision {
    if (request.kind === "alarm" && request.state !== "ALARM") {
        return { kind: "ignore", reason: `alarm ${request.alarmName} is ${request.state}; nothing to do` };
    }
    if (request.kind === "alarm" && context.mode === "manual") {
        const command = failoverCommand(context.stack, context.drRegion);
        return {
            kind: "notify-only",
            command,
            reason: `alarm ${request.alarmName} is in ALARM${world.evidence !== undefined ? ` (${describeEvidence(world.evidence)})` : ""}; failover mode is manual. Rehearse with --dry-run, then to fail over run: ${command}`,
        };
    }
    const action = actionOf(request);
    const force = request.kind === "manual" && request.force;
    if (world.drRole === "not-member") {
        return {
            kind: "refuse",
            reason: `the DR cluster is not a member of the global cluster (detached, or never joined): nothing is promoted or repointed${world.pointersAtDr ? " (the pointers already name it)" : ""}. Promoting a cluster outside the global database is a break-glass decision for a human (README: Failover)`,
        };
    }
    if (world.drRole === "writer") {
        if (world.openRun) {
            return { kind: "proceed", action, promote: false, reason: "the DR cluster is the writer; finishing the run that was started" };
        }
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
    if (world.readiness !== undefined && !world.readiness.ready) {
        return { kind: "refuse", reason: `the DR cluster is not ready, nothing was changed: ${world.readiness.problems.join("; ")}` };
    }
    if (world.readiness === undefined || world.evidence === undefined) {
        return { kind: "refuse", reason: "the DR cluster's readiness and the signals were not read; nothing was changed" };
    }
    const evidence = world.evidence;
    if (action === "switchover") {
        return evidence.primaryServing
            ? { kind: "proceed", action, promote: true, reason: "planned switchover: the primary is serving, no data will be lost" }
            : {
                  kind: "refuse",
                  reason: `a switchover needs the primary serving, but it is ${evidence.primaryStatus ?? "not answering"}; for an unplanned failover run: ${failoverCommand(context.stack, context.drRegion)}`,
              };
    }
    if (force) {
        return { kind: "proceed", action, promote: true, reason: `forced failover (${describeEvidence(evidence)})` };
    }
    if (!evidence.quorumMet) {
        return {
            kind: "refuse",
            reason: `not failing over: ${describeEvidence(evidence)}. A failover may lose data; for a planned move use ${failoverCommand(context.stack, context.drRegion, "switchover")}, or add --force`,
        };
    }
    return { kind: "proceed", action, promote: true, reason: `unplanned failover: ${describeEvidence(evidence)}` };
}
