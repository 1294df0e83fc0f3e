/**
 * The decision the orchestrator takes after reading the world: pure, so that every rule has a table test.
 *
 * The function runs in each region of the pair and only ever promotes its own region's cluster ("this cluster"); the
 * other region is the peer. The rules, in order (the first that applies decides):
 * 1. An alarm that is not in ALARM (it recovered, or has no data) starts nothing.
 * 2. In manual mode an alarm only notifies on-call, with the exact command that starts the failover to this region.
 * 3. This cluster not a member of this global cluster (detached, or never joined) is never pointed at: the run
 *    refuses and pages. Promoting a cluster outside the global database is a break-glass action for a human.
 * 4. If this cluster is the writer while a move to the peer is under way, this function has nothing to do: an alarm
 *    is not needed, a manual request is refused (the move was decided elsewhere).
 * 5. If this cluster already is the global writer, nothing is promoted: an unfinished run is finished (repoint if
 *    needed, verify, notify, release); pointers that do not point at it yet are repointed; otherwise all is done: a
 *    manual request is answered `already-active`, an alarm `not-needed` (a normal condition: nobody is paged).
 * 6. A promotion of this cluster that is already running is waited for, never started twice.
 * 7. This cluster must be ready (readiness.ts), or the run refuses and changes nothing.
 * 8. A switchover synchronises both regions first, so it needs the peer (the current writer) serving.
 * 9. A failover (which may lose data) needs the quorum of signals over the detection window (signals.ts), or force.
 * A break-glass (only ever a confirmed manual request) has rules of its own, see `decideBreakGlass`; an alarm or a
 * schedule never yields one.
 */
import { failoverCommand, type FailoverAction } from "../../lib/failover";
import type { OrchestratorRequest } from "./events";
import type { Readiness } from "./readiness";
import { describeEvidence, type Evidence } from "./signals";

/** FailoverState statuses of a switchover or failover still under way. */
export const IN_FLIGHT_FAILOVER_STATUSES = ["pending", "failing-over", "switching-over", "cancelling"] as const;

/**
 * This region's cluster's role in the global database: `writer`; `demoting` (the writer, while a move to the peer
 * is under way); `promoting` (a move to it is under way); `secondary`; `not-member`.
 */
export type Role = "writer" | "demoting" | "promoting" | "secondary" | "not-member";

export interface World {
    readonly role: Role;
    /** True when the writer record and this region's `active-region` parameter both point at this cluster. */
    readonly pointersAtSelf: boolean;
    /** True when a run towards this region was started and has not completed (it crashed, or failed). */
    readonly openRun: boolean;
    /** Whether this cluster can take the writer; read only when a promotion may follow. */
    readonly readiness?: Readiness;
    /** The signals over the detection window (a failover) or one round (a switchover, a forced failover). */
    readonly evidence?: Evidence;
}

export type Decision =
    | { readonly kind: "ignore"; readonly reason: string }
    | { readonly kind: "notify-only"; readonly reason: string; readonly command: string }
    | { readonly kind: "refuse"; readonly reason: string }
    | { readonly kind: "already-active"; readonly reason: string }
    | { readonly kind: "not-needed"; readonly reason: string }
    | { readonly kind: "proceed"; readonly action: FailoverAction; readonly promote: boolean; readonly reason: string };

export function actionOf(request: OrchestratorRequest): FailoverAction {
    return request.kind === "manual" ? request.action : "failover";
}

/** What the decision needs read before it can be taken: nothing more, the readiness, or the signals too. Pure. */
export function needs(request: OrchestratorRequest, world: Pick<World, "role">, mode: "automatic" | "manual"): "nothing" | "readiness" {
    if (request.kind === "alarm" && (request.state !== "ALARM" || mode === "manual")) {
        return "nothing";
    }
    return world.role === "secondary" ? "readiness" : "nothing";
}

/** How much evidence a request needs: the whole window for an unforced failover, one round otherwise. Pure. */
export function evidenceFor(request: OrchestratorRequest): "window" | "round" {
    return actionOf(request) === "failover" && !(request.kind === "manual" && request.force) ? "window" : "round";
}

export interface DecisionContext {
    readonly mode: "automatic" | "manual";
    readonly stack: string;
    /** This function's own region: the target of every promotion it makes. */
    readonly region: string;
}

export function decide(request: OrchestratorRequest, world: World, context: DecisionContext): Decision {
    if (request.kind === "aftercare") {
        // The handler sends the schedule to aftercare.ts; should one ever get here, it starts nothing.
        return { kind: "ignore", reason: "the aftercare schedule never starts a failover" };
    }
    if (request.kind === "alarm" && request.state !== "ALARM") {
        return { kind: "ignore", reason: `alarm ${request.alarmName} is ${request.state}; nothing to do` };
    }
    const here = `the ${context.region} cluster`;
    if (request.kind === "alarm" && context.mode === "manual") {
        const command = failoverCommand(context.stack, context.region);
        return {
            kind: "notify-only",
            command,
            reason: `alarm ${request.alarmName} is in ALARM${world.evidence !== undefined ? ` (${describeEvidence(world.evidence)})` : ""}; failover mode is manual. Rehearse with --dry-run, then to fail over to ${context.region} run: ${command}`,
        };
    }
    const action = actionOf(request);
    const force = request.kind === "manual" && request.force;
    if (action === "break-glass") {
        return decideBreakGlass(world, context);
    }
    if (world.role === "not-member") {
        return {
            kind: "refuse",
            reason: `${here} is not a member of the global cluster (detached, or never joined): nothing is promoted or repointed${world.pointersAtSelf ? " (the pointers already name it)" : ""}. Promoting a cluster outside the global database is a break-glass decision for a human (README: Failover)`,
        };
    }
    if (world.role === "demoting") {
        const reason = `${here} is the writer, and a move of the writer to the other region is under way: this region's orchestrator has nothing to do`;
        return request.kind === "alarm" ? { kind: "not-needed", reason } : { kind: "refuse", reason: `${reason}; nothing was changed` };
    }
    if (world.role === "writer") {
        if (world.openRun) {
            return { kind: "proceed", action, promote: false, reason: `${here} is the writer; finishing the run that was started` };
        }
        if (!world.pointersAtSelf) {
            return {
                kind: "proceed",
                action,
                promote: false,
                reason: `${here} is already the writer; repointing the record and active-region`,
            };
        }
        const reason = `${here} is already the writer and the record and active-region point at it`;
        return request.kind === "alarm"
            ? { kind: "not-needed", reason: `${reason}: alarm ${request.alarmName} asks nothing of this region` }
            : { kind: "already-active", reason };
    }
    if (world.role === "promoting") {
        return { kind: "proceed", action, promote: false, reason: `a promotion of ${here} is already under way; waiting for it` };
    }
    if (world.readiness !== undefined && !world.readiness.ready) {
        return { kind: "refuse", reason: `${here} is not ready, nothing was changed: ${world.readiness.problems.join("; ")}` };
    }
    if (world.readiness === undefined || world.evidence === undefined) {
        return { kind: "refuse", reason: `${here}'s readiness and the signals were not read; nothing was changed` };
    }
    const evidence = world.evidence;
    if (action === "switchover") {
        return evidence.peerServing
            ? {
                  kind: "proceed",
                  action,
                  promote: true,
                  reason: `planned switchover: the writer in ${evidence.peerRegion} is serving, no data will be lost`,
              }
            : {
                  kind: "refuse",
                  reason: `a switchover needs the writer in ${evidence.peerRegion} serving, but it is ${evidence.peerStatus ?? "not answering"}; for an unplanned failover run: ${failoverCommand(context.stack, context.region)}`,
              };
    }
    if (force) {
        return { kind: "proceed", action, promote: true, reason: `forced failover (${describeEvidence(evidence)})` };
    }
    if (!evidence.quorumMet) {
        return {
            kind: "refuse",
            reason: `not failing over: ${describeEvidence(evidence)}. A failover may lose data; for a planned move use ${failoverCommand(context.stack, context.region, "switchover")}, or add --force`,
        };
    }
    return { kind: "proceed", action, promote: true, reason: `unplanned failover: ${describeEvidence(evidence)}` };
}

/**
 * A break-glass (a human's confirmed request, never the function's choice), in order:
 * 1. This cluster already detached (`not-member`): a break-glass whose detach took effect (the run crashed, failed,
 *    or completed): resumed, never refused. The steps after the detach are idempotent: wait for the standalone writer,
 *    the secret, the pointers, the fence of the old writer, verify.
 * 2. This cluster is the writer of the global database (or hands it over): nothing to detach; the managed paths are
 *    the tool (a failover run repoints).
 * 3. A managed promotion of this cluster is under way: wait for it, never detach in the middle of it.
 * 4. This cluster must be ready (available, an available instance, its key enabled; not the engine version, whose
 *    mismatch is one reason AWS refuses the managed failover that a break-glass replaces).
 * 5. The peer writer must not be serving, in one round of the signals: a peer that answers as serving would be a
 *    second writer. Then a switchover (no data loss) is the tool.
 * Pure.
 */
export function decideBreakGlass(world: World, context: DecisionContext): Decision {
    const here = `the ${context.region} cluster`;
    const action = "break-glass";
    if (world.role === "not-member") {
        return {
            kind: "proceed",
            action,
            promote: false,
            reason: `${here} is already detached from the global database: resuming the break-glass (wait for its writer, the secret, the pointers, the fence of the old writer)`,
        };
    }
    if (world.role === "writer" || world.role === "demoting") {
        return {
            kind: "refuse",
            reason: `${here} is ${world.role === "writer" ? "already the writer" : "the writer (a move to the other region is under way)"} of the global database: there is nothing to detach, and a break-glass would only split it. The managed paths are the tool${world.pointersAtSelf ? "" : `; to repoint at it run ${failoverCommand(context.stack, context.region)}`}. Nothing was changed`,
        };
    }
    if (world.role === "promoting") {
        return {
            kind: "refuse",
            reason: `a managed promotion of ${here} is under way: wait for it (npm run failover -- --stack ${context.stack} --follow --to ${context.region}); a detach in the middle of it is never made. Nothing was changed`,
        };
    }
    if (world.readiness !== undefined && !world.readiness.ready) {
        return {
            kind: "refuse",
            reason: `${here} is not ready for a break-glass, nothing was changed: ${world.readiness.problems.join("; ")}`,
        };
    }
    if (world.readiness === undefined || world.evidence === undefined) {
        return { kind: "refuse", reason: `${here}'s readiness and the signals were not read; nothing was changed` };
    }
    const evidence = world.evidence;
    if (evidence.peerServing) {
        return {
            kind: "refuse",
            reason: `the writer in ${evidence.peerRegion} answers and is serving (${evidence.peerStatus ?? "serving"}): a break-glass would make two writers. With the writer healthy, a switchover moves it with no data loss: ${failoverCommand(context.stack, context.region, "switchover")}. Nothing was changed`,
        };
    }
    return {
        kind: "proceed",
        action,
        promote: true,
        reason: `break-glass: ${describeEvidence(evidence)}; detaching ${here} from the global database and promoting it on its own`,
    };
}
