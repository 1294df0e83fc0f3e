/**
 * The orchestrator's configuration, read from SSM Parameter Store under `/healthcare/<environment>/failover/` at
 * every invocation (a handful of parameters, one paginated call), so that it is never stale after a deploy.
 */
import { GetParametersByPathCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { z } from "zod";
import {
    activeRegionParameterName,
    FAILOVER_MODES,
    FAILOVER_PARAMETERS,
    failoverParameterPath,
    type FailoverMode,
} from "../../lib/failover";

export interface ClusterRef {
    readonly region: string;
    readonly arn: string;
    /** The cluster identifier (the last part of the ARN), for DescribeDBClusters in the cluster's region. */
    readonly identifier: string;
}

export interface RuntimeConfig {
    readonly environment: string;
    readonly stack: string;
    readonly mode: FailoverMode;
    readonly globalClusterId: string;
    readonly primary: ClusterRef;
    readonly dr: ClusterRef;
    readonly hostedZoneId: string;
    readonly recordName: string;
    readonly recordTtl: number;
    readonly activeRegionParameter: string;
    readonly topicArns: readonly string[];
    readonly lockTable: string;
}

const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):\d{12}:cluster:([a-zA-Z][a-zA-Z0-9-]*)$/;

const P = FAILOVER_PARAMETERS;
const parametersSchema = z.object({
    [P.stack]: z.string().min(1),
    [P.mode]: z.enum(FAILOVER_MODES, { error: `must be one of ${FAILOVER_MODES.join(", ")}` }),
    [P.globalClusterId]: z.string().min(1),
    [P.primaryRegion]: z.string().min(1),
    [P.primaryClusterArn]: z.string().regex(CLUSTER_ARN, { error: "must be an Aurora cluster ARN" }),
    [P.drRegion]: z.string().min(1),
    [P.drClusterArn]: z.string().regex(CLUSTER_ARN, { error: "must be an Aurora cluster ARN" }),
    [P.hostedZoneId]: z.string().min(1),
    [P.recordName]: z.string().min(1),
    [P.recordTtl]: z.coerce.number().int().min(0),
    [P.topicArns]: z.string().optional(),
});

/** The configuration is missing or wrong; the message names each parameter. Nothing was changed. */
export class ConfigurationError extends Error {
    override readonly name = "ConfigurationError";
}

/** Builds the configuration from parameter values keyed by their name relative to the path. Pure. */
export function parseRuntimeConfig(values: Readonly<Record<string, string>>, environment: string, lockTable: string): RuntimeConfig {
    const path = failoverParameterPath(environment);
    const parsed = parametersSchema.safeParse(values);
    if (!parsed.success) {
        const problems = parsed.error.issues.map(
            (i) => `${path}/${i.path.map(String).join(".")}: ${i.code === "invalid_type" ? "is missing" : i.message}`,
        );
        throw new ConfigurationError(`The orchestrator's configuration is incomplete: ${problems.join("; ")}`);
    }
    const v = parsed.data;
    const cluster = (region: string, arn: string, name: string): ClusterRef => {
        const match = CLUSTER_ARN.exec(arn)!;
        if (match[1] !== region) {
            throw new ConfigurationError(`${path}/${name}: the cluster ${arn} is not in ${region}`);
        }
        return { region, arn, identifier: match[2]! };
    };
    const primary = cluster(v[P.primaryRegion], v[P.primaryClusterArn], P.primaryClusterArn);
    const dr = cluster(v[P.drRegion], v[P.drClusterArn], P.drClusterArn);
    if (primary.region === dr.region) {
        throw new ConfigurationError(`${path}/${P.drRegion} must differ from ${P.primaryRegion} (${primary.region})`);
    }
    return {
        environment,
        stack: v[P.stack],
        mode: v[P.mode],
        globalClusterId: v[P.globalClusterId],
        primary,
        dr,
        hostedZoneId: v[P.hostedZoneId],
        recordName: v[P.recordName].replace(/\.$/, ""),
        recordTtl: v[P.recordTtl],
        activeRegionParameter: activeRegionParameterName(environment),
        topicArns: (v[P.topicArns] ?? "")
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "" && s !== "none"),
        lockTable,
    };
}

/** Reads every parameter under the path (recursively, decrypted, all pages). */
export async function loadRuntimeConfig(ssm: SSMClient, environment: string, lockTable: string): Promise<RuntimeConfig> {
    const path = failoverParameterPath(environment);
    const values: Record<string, string> = {};
    let nextToken: string | undefined;
    do {
        const page = await ssm.send(
            new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken: nextToken }),
        );
        for (const parameter of page.Parameters ?? []) {
            if (parameter.Name !== undefined && parameter.Value !== undefined) {
                values[parameter.Name.slice(path.length + 1)] = parameter.Value;
            }
        }
        nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return parseRuntimeConfig(values, environment, lockTable);
}
