/**
 * The AWS side of a break-glass that is not the secret (secret.ts) or the fence (fence.ts): its step deadlines and the
 * detach call.
 */
import { RemoveFromGlobalClusterCommand, type RDSClient } from "@aws-sdk/client-rds";
import type { CallOptions } from "./aws";
import type { ClusterRef } from "./config";
import { FENCE_ATTEMPT_SECONDS } from "./fence";

/**
 * The deadline of each step of a break-glass, in seconds: separate from STEP_DEADLINE_SECONDS, which is the managed
 * path's recovery budget. `detach` is one RemoveFromGlobalCluster after the re-check; `wait-for-writer` the detached
 * cluster becoming a standalone writer; `fence` one best-effort attempt on the peer region (FENCE_ATTEMPT_SECONDS)
 * plus the writes of its obligation. Their sum with NOTIFY_RESERVE_SECONDS fits in the function's timeout (tested).
 */
export const BREAK_GLASS_STEP_DEADLINE_SECONDS = {
    assess: 30,
    lock: 15,
    "notify-start": 10,
    detach: 30,
    "wait-for-writer": 300,
    secret: 30,
    repoint: 30,
    fence: FENCE_ATTEMPT_SECONDS + 10,
    verify: 30,
    notify: 10,
    release: 10,
} as const;

/**
 * Detaches `own` from the global database: it becomes a standalone cluster with its own writer.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RemoveFromGlobalCluster.html
 */
export async function removeFromGlobalCluster(
    rds: RDSClient,
    globalClusterId: string,
    own: ClusterRef,
    options: CallOptions = {},
): Promise<void> {
    await rds.send(new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: globalClusterId, DbClusterIdentifier: own.arn }), options);
}
