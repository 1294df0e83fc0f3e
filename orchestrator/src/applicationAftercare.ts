/**
 * The two aftercare tasks of the application tier (aftercare.ts runs them on its schedule), each owning one attribute
 * of the aftercare item, opened by the run that made the change they undo:
 * - `standby-scale-down`: once traffic has left the old region (STANDBY_SETTLE_SECONDS after the traffic step) and that
 *   region answers, its service's desiredCount and its scalable target's minimum go back to the standby count. Only
 *   while this region is still the active one (its own `active-region`): a move back since then makes it moot.
 * - `db-capacity-restore`: CAPACITY_HOLD_SECONDS after the arrival raised this region's Aurora Serverless minimum, it
 *   goes back to the configured minimum, if it is still at the raised value (a change by anyone else is left alone).
 * Each write reads first, so a tick that crashed after a write changes nothing twice; the obligation is closed last.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { CAPACITY_HOLD_SECONDS } from "../../lib/application";
import type { AftercareStore, AftercareTask } from "./aftercare";
import {
    describeScalableTarget,
    describeService,
    dbScaling,
    setDbMinCapacity,
    setDesiredCount,
    setScalableMin,
    STANDBY_SETTLE_SECONDS,
} from "./application";
import { readParameter } from "./aws";
import type { ApplicationRuntimeConfig, RuntimeConfig } from "./config";
import type { Deadline } from "./deadline";
import { errorCode, errorMessage } from "./errors";

export const STANDBY_SCALE_DOWN_ATTRIBUTE = "standbyScaleDown";
export const DB_CAPACITY_RESTORE_ATTRIBUTE = "dbCapacityRestore";

/** An obligation of one of the two tasks, as stored (a map with a version, like the fence's). */
export interface ApplicationObligation {
    readonly version: number;
    readonly state: "open" | "closed";
    /** The run that opened it. */
    readonly runId: string;
    /** Not before this time (ISO 8601). */
    readonly notBefore: string;
    /** standby-scale-down: the region to scale down and the count; db-capacity-restore: the raised and the restored ACU. */
    readonly region: string;
    readonly value: number;
    readonly raisedTo?: number;
    readonly closedBecause?: string;
}

export function obligationToAttribute(o: ApplicationObligation): AttributeValue {
    return {
        M: {
            version: { N: String(o.version) },
            state: { S: o.state },
            runId: { S: o.runId },
            notBefore: { S: o.notBefore },
            region: { S: o.region },
            value: { N: String(o.value) },
            ...(o.raisedTo !== undefined ? { raisedTo: { N: String(o.raisedTo) } } : {}),
            ...(o.closedBecause !== undefined ? { closedBecause: { S: o.closedBecause.slice(0, 500) } } : {}),
        },
    };
}

export function obligationFromAttribute(value: AttributeValue): ApplicationObligation {
    const m = value.M ?? {};
    return {
        version: Number(m["version"]?.N ?? "0"),
        state: m["state"]?.S === "open" ? "open" : "closed",
        runId: m["runId"]?.S ?? "",
        notBefore: m["notBefore"]?.S ?? new Date(0).toISOString(),
        region: m["region"]?.S ?? "",
        value: Number(m["value"]?.N ?? "0"),
        ...(m["raisedTo"]?.N !== undefined ? { raisedTo: Number(m["raisedTo"].N) } : {}),
        ...(m["closedBecause"]?.S !== undefined ? { closedBecause: m["closedBecause"].S } : {}),
    };
}

/**
 * Opens (or re-opens for this run) an obligation: a no-op when the stored one is this run's and open (a resumed run).
 * Returns what it did.
 */
export async function openApplicationObligation(
    store: AftercareStore,
    attribute: string,
    opened: Omit<ApplicationObligation, "version" | "state">,
    deadline: Deadline,
): Promise<string> {
    const stored = (await store.read(deadline))?.[attribute];
    const before = stored !== undefined ? obligationFromAttribute(stored) : undefined;
    if (before?.state === "open" && before.runId === opened.runId) {
        return `${attribute} already open`;
    }
    const next: ApplicationObligation = { ...opened, state: "open", version: (before?.version ?? 0) + 1 };
    await store.write(attribute, obligationToAttribute(next), before?.version ?? 0, deadline);
    return `${attribute} opened (not before ${opened.notBefore})`;
}

/** When the scale-down of the old region may start: STANDBY_SETTLE_SECONDS after the traffic step. Pure. */
export function scaleDownNotBefore(trafficAt: number): string {
    return new Date(trafficAt + STANDBY_SETTLE_SECONDS * 1000).toISOString();
}

/** When the Aurora raise is restored: CAPACITY_HOLD_SECONDS after it was made. Pure. */
export function restoreNotBefore(raisedAt: string): string {
    return new Date(Date.parse(raisedAt) + CAPACITY_HOLD_SECONDS * 1000).toISOString();
}

async function close(store: AftercareStore, attribute: string, o: ApplicationObligation, why: string, deadline: Deadline): Promise<void> {
    await store.write(
        attribute,
        obligationToAttribute({ ...o, state: "closed", version: o.version + 1, closedBecause: why }),
        o.version,
        deadline,
    );
}

function applicationOf(config: RuntimeConfig): ApplicationRuntimeConfig | undefined {
    return config.application;
}

export const standbyScaleDownTask: AftercareTask = {
    attribute: STANDBY_SCALE_DOWN_ATTRIBUTE,
    isOpen: (value) => obligationFromAttribute(value).state === "open",
    async run(value, { config, clients, now, store, deadline }) {
        const o = obligationFromAttribute(value);
        const app = applicationOf(config);
        const peer = o.region;
        if (app === undefined) {
            await close(store, STANDBY_SCALE_DOWN_ATTRIBUTE, o, "the stack has no application tier any more", deadline);
            return { detail: "standby-scale-down closed: no application tier configured", didWork: true };
        }
        if (now() < Date.parse(o.notBefore)) {
            return { detail: `standby-scale-down of ${peer} waits until ${o.notBefore} (traffic leaving it)`, didWork: false };
        }
        const active = await deadline.call("GetParameter", (abortSignal) =>
            readParameter(clients.ssm(config.self.region), config.activeRegionParameter, { abortSignal }),
        );
        if (active !== config.self.region) {
            const why = `${config.activeRegionParameter} names ${active ?? "nothing"}, not ${config.self.region}: ${peer} may be serving again`;
            await close(store, STANDBY_SCALE_DOWN_ATTRIBUTE, o, why, deadline);
            return { detail: `standby-scale-down closed without change: ${why}`, didWork: true };
        }
        const changes: string[] = [];
        try {
            const service = await deadline.call(`DescribeServices in ${peer}`, (abortSignal) =>
                describeService(clients.ecsOnce(peer), app, { abortSignal }),
            );
            if (service !== undefined && service.desiredCount > o.value) {
                const how = await setDesiredCount(
                    clients.ecsOnce(peer),
                    clients.ecsOnce(peer),
                    app,
                    o.value,
                    deadline,
                    `UpdateService in ${peer}`,
                );
                changes.push(`desiredCount ${service.desiredCount} -> ${o.value}${how === "set" ? "" : ` (${how})`}`);
            }
            const scalable = await deadline.call(`DescribeScalableTargets in ${peer}`, (abortSignal) =>
                describeScalableTarget(clients.autoscalingOnce(peer), app, { abortSignal }),
            );
            if (scalable !== undefined && scalable.min > o.value) {
                await deadline.call(`RegisterScalableTarget in ${peer}`, (abortSignal) =>
                    setScalableMin(clients.autoscalingOnce(peer), app, o.value, scalable.max, { abortSignal }),
                );
                changes.push(`scalable min ${scalable.min} -> ${o.value}`);
            }
        } catch (error) {
            // The old region may still be down: the next tick tries again (no page: the outage is known).
            return {
                detail: `standby-scale-down of ${peer} waits for that region to answer (${errorCode(error)}: ${errorMessage(error)})${changes.length > 0 ? `; done so far: ${changes.join(", ")}` : ""}`.slice(
                    0,
                    500,
                ),
                didWork: changes.length > 0,
            };
        }
        const what = changes.length > 0 ? changes.join(", ") : `already at ${o.value}`;
        await close(store, STANDBY_SCALE_DOWN_ATTRIBUTE, o, `scaled down: ${what}`, deadline);
        return { detail: `standby-scale-down of ${peer}: ${what}`, didWork: true };
    },
};

export const dbCapacityRestoreTask: AftercareTask = {
    attribute: DB_CAPACITY_RESTORE_ATTRIBUTE,
    isOpen: (value) => obligationFromAttribute(value).state === "open",
    async run(value, { config, clients, now, store, deadline }) {
        const o = obligationFromAttribute(value);
        if (now() < Date.parse(o.notBefore)) {
            return { detail: `db-capacity-restore waits until ${o.notBefore}`, didWork: false };
        }
        const region = config.self.region;
        const scaling = await deadline.call("DescribeDBClusters (scaling)", (abortSignal) =>
            dbScaling(clients.rds(region), config.self.identifier, { abortSignal }),
        );
        if (scaling === undefined || scaling.min !== o.raisedTo) {
            const why = `the minimum is ${scaling?.min ?? "unset"} ACU, not the raised ${o.raisedTo} ACU: changed since, left alone`;
            await close(store, DB_CAPACITY_RESTORE_ATTRIBUTE, o, why, deadline);
            return { detail: `db-capacity-restore closed without change: ${why}`, didWork: true };
        }
        const how = await setDbMinCapacity(
            clients.rdsOnce(region),
            clients.rds(region),
            config.self.identifier,
            o.value,
            scaling.max,
            deadline,
        );
        const what = `Aurora min ${scaling.min} -> ${o.value} ACU${how === "set" ? "" : ` (${how})`}`;
        await close(store, DB_CAPACITY_RESTORE_ATTRIBUTE, o, what, deadline);
        return { detail: `db-capacity-restore: ${what}`, didWork: true };
    },
};
