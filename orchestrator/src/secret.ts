/**
 * The break-glass step `secret`: the master secret as this region holds it must name the promoted cluster.
 *
 * - This region's copy is a replica (its `PrimaryRegion` is another region, the one that is lost): replication to it is
 *   stopped first, from this region, which promotes it to a standalone secret here (a replica cannot be written, and
 *   the primary must never overwrite it again).
 *   @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html
 * - Then its value is written again with every field kept (reference_secret_json_structure: engine, host, port,
 *   username, password, dbname, ...) but `host`, which names the promoted cluster's endpoint instead of the global
 *   writer endpoint (which after a detach still names the old primary: AWS-FACTS "Life around a failover"), and
 *   `dbClusterIdentifier` when the secret has one (it would otherwise name the fenced cluster).
 *   @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html
 * - Idempotent: a secret that already names the endpoint is left alone; the write's ClientRequestToken is derived from
 *   the version it replaces, so a retry of a write whose answer was lost is the same version, not a second one. Read
 *   back at the end.
 */
import {
    DescribeSecretCommand,
    GetSecretValueCommand,
    PutSecretValueCommand,
    StopReplicationToReplicaCommand,
    type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { createHash } from "crypto";
import type { ClusterRef } from "./config";
import type { Deadline } from "./deadline";
import { errorCode } from "./errors";

export interface SecretView {
    /** The region of the primary secret when this copy is a replica; undefined when it is a primary (or standalone). */
    readonly primaryRegion?: string;
}

/** The connection fields with `host` (and `dbClusterIdentifier`, when present) naming `cluster`. Pure. */
export function repointedValue(value: Readonly<Record<string, unknown>>, endpoint: string, cluster: ClusterRef): Record<string, unknown> {
    return {
        ...value,
        host: endpoint,
        ...("dbClusterIdentifier" in value ? { dbClusterIdentifier: cluster.identifier } : {}),
    };
}

/** The ClientRequestToken of the write replacing `versionId` with a value naming `endpoint` (64 hex characters). Pure. */
export function secretWriteToken(versionId: string, endpoint: string): string {
    return createHash("sha256").update(`${versionId}|${endpoint}`).digest("hex");
}

/** Parses a secret's value: a JSON object, or an error naming the secret. Pure. */
export function parseSecretValue(secretArn: string, text: string | undefined): Record<string, unknown> {
    let value: unknown;
    try {
        value = JSON.parse(text ?? "");
    } catch {
        value = undefined;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw Object.assign(new Error(`the secret ${secretArn} does not hold a JSON object of connection fields`), {
            name: "SecretNotJson",
        });
    }
    return value as Record<string, unknown>;
}

async function describe(secrets: SecretsManagerClient, secretArn: string, deadline: Deadline): Promise<SecretView> {
    const out = await deadline.call("DescribeSecret", (abortSignal) =>
        secrets.send(new DescribeSecretCommand({ SecretId: secretArn }), { abortSignal }),
    );
    return out.PrimaryRegion !== undefined ? { primaryRegion: out.PrimaryRegion } : {};
}

async function read(
    secrets: SecretsManagerClient,
    secretArn: string,
    deadline: Deadline,
): Promise<{ versionId: string; value: Record<string, unknown> }> {
    const out = await deadline.call("GetSecretValue", (abortSignal) =>
        secrets.send(new GetSecretValueCommand({ SecretId: secretArn }), { abortSignal }),
    );
    return { versionId: out.VersionId ?? "", value: parseSecretValue(secretArn, out.SecretString) };
}

/** Runs the step (see the module comment); returns what it did. */
export async function repointSecret(
    secrets: SecretsManagerClient,
    secretArn: string,
    self: ClusterRef,
    endpoint: string,
    deadline: Deadline,
): Promise<string> {
    const done: string[] = [];
    const view = await describe(secrets, secretArn, deadline);
    if (view.primaryRegion !== undefined && view.primaryRegion !== self.region) {
        try {
            await deadline.call("StopReplicationToReplica", (abortSignal) =>
                secrets.send(new StopReplicationToReplicaCommand({ SecretId: secretArn }), { abortSignal }),
            );
        } catch (error) {
            // A lost answer of a call that took effect: the secret says whether it is still a replica.
            const again = await describe(secrets, secretArn, deadline);
            if (again.primaryRegion !== undefined && again.primaryRegion !== self.region) {
                throw error;
            }
            done.push(`StopReplicationToReplica answered ${errorCode(error)}, but the secret is no longer a replica`);
        }
        done.push(`replication from ${view.primaryRegion} stopped: the ${self.region} copy is a standalone secret`);
    } else {
        done.push(`the ${self.region} copy is already a primary secret`);
    }
    const current = await read(secrets, secretArn, deadline);
    const wanted = repointedValue(current.value, endpoint, self);
    if (JSON.stringify(wanted) === JSON.stringify(current.value)) {
        done.push(`host already ${endpoint}`);
    } else {
        await deadline.call("PutSecretValue", (abortSignal) =>
            secrets.send(
                new PutSecretValueCommand({
                    SecretId: secretArn,
                    SecretString: JSON.stringify(wanted),
                    ClientRequestToken: secretWriteToken(current.versionId, endpoint),
                }),
                { abortSignal },
            ),
        );
        done.push(`host ${String(current.value["host"])} -> ${endpoint}`);
    }
    const after = await read(secrets, secretArn, deadline);
    if (after.value["host"] !== endpoint) {
        throw new Error(`the secret ${secretArn} still names host ${String(after.value["host"])}, not ${endpoint}, after it was written`);
    }
    return done.join("; ");
}

/** The `host` the secret names now (for verify and the drill). */
export async function secretHost(secrets: SecretsManagerClient, secretArn: string, deadline: Deadline): Promise<string | undefined> {
    const value = (await read(secrets, secretArn, deadline)).value["host"];
    return typeof value === "string" ? value : undefined;
}
