/**
 * The one place that reads stack configuration.
 *
 * `index.ts` calls `loadStackConfig()` once, before any resource is declared; everything else receives the typed,
 * validated `StackConfig`. `parseStackConfig` is the pure core, used by the tests and the offline plan.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { AwsAccount } from "../lib/account";
import type { ApplicationSettings } from "../lib/application";
import type { ComplianceSettings } from "../lib/awsConfig";
import { initialSeed, type DatabaseSeed } from "../lib/database";
import { resolveDataSet, type DataSet } from "../lib/buckets";
import type { TableSettings } from "../lib/tables";
import { defaultAvailabilityZones, partitionOf } from "../lib/regions";
import type { Duration } from "../lib/duration";
import type { FailoverMode } from "../lib/failover";
import type { NatMode } from "../lib/subnets";
import { closest } from "../lib/suggest";
import { baseTags } from "../lib/tags";
import { ConfigValidationError, type ConfigIssue } from "./errors";
import {
    APPLICATION_DEFAULTS,
    DEFAULT_MONTHLY_BUDGET_USD,
    ENVIRONMENTS,
    NAMESPACE,
    stackConfigSchema,
    type Environment,
    type GuardDutyMode,
    type ParsedStackConfig,
} from "./schema";

export { ConfigValidationError, formatIssue, isConfigValidationError, type ConfigIssue } from "./errors";
export { NAMESPACE, type Environment } from "./schema";

/** The validated configuration of one stack, with every default resolved. */
export interface StackConfig {
    /** Pulumi project name. */
    readonly project: string;
    /** Pulumi stack name. */
    readonly stack: string;
    /** `dev` or `prod`. */
    readonly environment: Environment;
    /** The account (from `healthcare-dr:accountId`) and its partition (from the region codes): no call to AWS. */
    readonly account: AwsAccount;
    readonly primaryRegion: string;
    readonly drRegion: string;
    /** The writer's region as the deploy knows it (`healthcare-dr:activeRegion`, default `primaryRegion`). */
    readonly activeRegion: string;
    /** Protection of stateful resources: Pulumi `protect`/`retainOnDelete`, AWS deletion protection, final snapshots. */
    readonly protect: boolean;
    readonly network: {
        readonly primaryCidr: string;
        readonly drCidr: string;
        readonly azCount: number;
        /** The `azCount` availability zones used in the primary region, from the stack file or the region's default. */
        readonly primaryAvailabilityZones: readonly string[];
        /** The `azCount` availability zones used in the DR region. */
        readonly drAvailabilityZones: readonly string[];
        /** NAT gateways of the primary region. Prod defaults to one per AZ, dev to a single one. */
        readonly primaryNatGateways: NatMode;
        /** NAT gateways of the DR region (pilot light). Defaults to a single one. */
        readonly drNatGateways: NatMode;
    };
    readonly database: {
        readonly engineVersion: string;
        readonly minCapacity: number;
        readonly maxCapacity: number;
        readonly backupRetentionDays: number;
        /** Instances of the secondary cluster; at least 1 in prod. */
        readonly drInstances: number;
        /** `rds.global_db_rpo` on the writer's cluster parameter group; `undefined`: the lag is not bounded. */
        readonly maxReplicationLagSeconds?: number;
        /** Which cluster seeds the global database and each cluster's generation; default generation 1 from primaryRegion. */
        readonly seed: DatabaseSeed;
    };
    readonly objectives: { readonly rto: Duration; readonly rpo: Duration };
    readonly alerts: { readonly emails: readonly string[] };
    readonly logging: { readonly retentionDays: number };
    /** Failover detection and orchestration (see lib/failover.ts and components/FailoverOrchestrator.ts). */
    readonly failover: {
        readonly mode: FailoverMode;
        readonly dnsTtlSeconds: number;
        readonly replicationLagThresholdSeconds: number;
        readonly operatorResponse: Duration;
        /** How long the signals of a lost primary must hold (at least 30 s). */
        readonly detectionWindow: Duration;
        /** How many signals must agree before an unplanned failover (at least 2). */
        readonly quorum: number;
        /** Alarm events older than this are rejected. */
        readonly maxEventAge: Duration;
    };
    /** Thresholds of the database alarms. */
    readonly alarms: { readonly cpuPercent: number; readonly connectionsPercent: number; readonly freeLocalStorageMiB: number };
    /** The monthly AWS Budgets alert; prod defaults to 5000 USD, dev to 500. */
    readonly budget: { readonly monthlyUsd: number };
    /** Account prerequisites: whether the stack creates the GuardDuty detectors and RDSOSMetrics groups, or the account has them. */
    readonly monitoring: { readonly guardDuty: GuardDutyMode; readonly osMetricsLogGroup: GuardDutyMode };
    /** Data sets: one replicated bucket pair each (`healthcare-dr:buckets`). */
    readonly buckets: readonly DataSet[];
    /** Tags for every taggable resource: the program's own plus the stack file's. */
    readonly tags: Readonly<Record<string, string>>;
    /** The application tier (`healthcare-dr:application`), every default resolved; absent: the stack has none. */
    readonly application?: ApplicationSettings;
    /** Global tables (`healthcare-dr:tables`): one DynamoDB global table each, replicas in both regions. */
    readonly tables: readonly TableSettings[];
    /** Run-time compliance (`healthcare-dr:compliance`): AWS Config. */
    readonly compliance: ComplianceSettings;
}

/**
 * Defaults decided by the environment. Prod keeps what it has; dev can be torn down with `pulumi destroy`.
 */
export const ENVIRONMENT_DEFAULTS: Readonly<
    Record<Environment, { protect: boolean; backupRetentionDays: number; logRetentionDays: number; primaryNatGateways: NatMode }>
> = {
    dev: { protect: false, backupRetentionDays: 7, logRetentionDays: 30, primaryNatGateways: "single" },
    prod: { protect: true, backupRetentionDays: 35, logRetentionDays: 365, primaryNatGateways: "perAz" },
};

export type ParseResult =
    { readonly ok: true; readonly config: StackConfig } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Validates raw configuration as Pulumi hands it to a program: a map from `namespace:key` to a string, where
 * structured values (objects, lists) are JSON text. Keys of other namespaces (e.g. `aws:region`) are ignored, except
 * ones that look like a misspelling of ours.
 */
export function parseStackConfig(raw: Readonly<Record<string, string>>, stack: string, project: string = NAMESPACE): ParseResult {
    const issues: ConfigIssue[] = [];
    const input: Record<string, unknown> = {};

    for (const [fullKey, text] of Object.entries(raw)) {
        const colon = fullKey.indexOf(":");
        const namespace = colon < 0 ? "" : fullKey.slice(0, colon);
        const key = fullKey.slice(colon + 1);
        if (namespace !== NAMESPACE) {
            if (namespace !== "" && closest(namespace, [NAMESPACE]) !== undefined) {
                issues.push({ key: fullKey, value: text, message: `unknown namespace "${namespace}"; did you mean ${NAMESPACE}:${key}?` });
            }
            continue;
        }
        input[key] = decode(text);
    }

    const result = stackConfigSchema.safeParse(input);
    if (!result.success) {
        for (const issue of result.error.issues) {
            issues.push(...toConfigIssues(issue, input));
        }
    }

    const environment = resolveEnvironment(input["environment"], stack, issues);
    if (result.success && environment !== undefined) {
        issues.push(...environmentIssues(result.data, environment));
    }
    if (!result.success || environment === undefined || issues.length > 0) {
        return { ok: false, issues: dedupe(issues) };
    }
    return { ok: true, config: resolve(result.data, environment, stack, project) };
}

/**
 * Reads the stack configuration from the Pulumi runtime and validates it. Throws `ConfigValidationError` listing
 * every problem; nothing else in the program reads configuration.
 */
export function loadStackConfig(): StackConfig {
    const stack = pulumi.getStack();
    const result = parseStackConfig(pulumi.runtime.allConfig(), stack, pulumi.getProject());
    if (!result.ok) {
        throw new ConfigValidationError(stack, result.issues);
    }
    return result.config;
}

/** Structured config values arrive as JSON text; scalars arrive as plain strings. */
function decode(text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        try {
            return JSON.parse(trimmed) as unknown;
        } catch {
            return text;
        }
    }
    return text;
}

/** Rules that depend on the environment, which is known only after the stack name has been considered. */
function environmentIssues(parsed: ParsedStackConfig, environment: Environment): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (environment === "prod" && parsed.database.drInstances < 1) {
        issues.push({
            key: `${NAMESPACE}:database.drInstances`,
            value: parsed.database.drInstances,
            message:
                "must be at least 1 in prod: a failover needs an instance in the DR region to promote (0, a headless secondary, is for dev only)",
        });
    }
    return issues;
}

function resolveEnvironment(value: unknown, stack: string, issues: ConfigIssue[]): Environment | undefined {
    if (typeof value === "string") {
        return (ENVIRONMENTS as readonly string[]).includes(value) ? (value as Environment) : undefined; // reported by the schema
    }
    if (value === undefined && (ENVIRONMENTS as readonly string[]).includes(stack)) {
        return stack as Environment;
    }
    if (value === undefined) {
        issues.push({
            key: `${NAMESPACE}:environment`,
            value,
            message: `is required because the stack name "${stack}" is neither dev nor prod; set one of ${ENVIRONMENTS.join(", ")}`,
        });
    }
    return undefined;
}

function resolve(parsed: ParsedStackConfig, environment: Environment, stack: string, project: string): StackConfig {
    const defaults = ENVIRONMENT_DEFAULTS[environment];
    return {
        project,
        stack,
        environment,
        account: { accountId: parsed.accountId, partition: partitionOf(parsed.primaryRegion) },
        primaryRegion: parsed.primaryRegion,
        drRegion: parsed.drRegion,
        activeRegion: parsed.activeRegion ?? parsed.primaryRegion,
        protect: parsed.protect ?? defaults.protect,
        network: {
            ...parsed.network,
            // Validated: listed or defaulted, at least azCount of them.
            primaryAvailabilityZones: zonesOf(parsed.network.primaryAvailabilityZones, parsed.primaryRegion, parsed.network.azCount),
            drAvailabilityZones: zonesOf(parsed.network.drAvailabilityZones, parsed.drRegion, parsed.network.azCount),
            primaryNatGateways: parsed.network.primaryNatGateways ?? defaults.primaryNatGateways,
        },
        database: {
            ...parsed.database,
            backupRetentionDays: parsed.database.backupRetentionDays ?? defaults.backupRetentionDays,
            seed: resolveSeed(parsed),
        },
        objectives: parsed.objectives,
        alerts: { emails: parsed.alerts.emails },
        logging: { retentionDays: parsed.logging.retentionDays ?? defaults.logRetentionDays },
        failover: { ...parsed.failover },
        alarms: { ...parsed.alarms },
        budget: { monthlyUsd: parsed.budget.monthlyUsd ?? DEFAULT_MONTHLY_BUDGET_USD[environment] },
        monitoring: { ...parsed.monitoring },
        buckets: parsed.buckets.map((dataSet) =>
            resolveDataSet(dataSet, { objectLockByDefault: environment === "prod", reverseReplicationByDefault: environment === "prod" }),
        ),
        tables: parsed.tables.map((t) => ({ ...t })),
        compliance: { ...parsed.compliance },
        tags: baseTags({ project, environment, stack, extra: parsed.tags }),
        // Absent, the key is left out entirely: the rest of the stack is declared exactly as without an application.
        ...(parsed.application !== undefined ? { application: resolveApplication(parsed.application) } : {}),
    };
}

/** The application settings with the defaults that depend on other fields (standby count, autoscaling bounds). */
export function resolveApplication(app: NonNullable<ParsedStackConfig["application"]>): ApplicationSettings {
    return {
        repository: app.repository,
        imageTag: app.imageTag,
        port: app.port,
        healthPath: app.healthPath,
        cpu: app.cpu,
        memory: app.memory,
        desiredCount: app.desiredCount,
        standby: { mode: app.standby.mode, count: app.standby.count ?? (app.standby.mode === "warm" ? 1 : 0) },
        autoscaling: {
            min: app.autoscaling.min ?? app.desiredCount,
            max: app.autoscaling.max ?? app.desiredCount * APPLICATION_DEFAULTS.maxFactor,
            targetCpuPercent: app.autoscaling.targetCpuPercent,
        },
        domainName: app.domainName,
        hostedZoneId: app.hostedZoneId,
    };
}

/** The seed as validated, or generation 1 from the primary region; generation 1 needs no cluster generations. */
function resolveSeed(parsed: ParsedStackConfig): DatabaseSeed {
    const initial = initialSeed(parsed.primaryRegion);
    const seed = parsed.database.seed;
    return seed === undefined
        ? initial
        : {
              region: seed.region,
              generation: seed.generation,
              clusterGenerations: { ...(seed.clusterGenerations ?? initial.clusterGenerations) },
          };
}

function zonesOf(listed: readonly string[] | undefined, region: string, azCount: number): readonly string[] {
    return (listed ?? defaultAvailabilityZones(region) ?? []).slice(0, azCount);
}

/** Turns one zod issue into one issue per offending key, named as the operator would write it. */
function toConfigIssues(issue: z.core.$ZodIssue, input: Record<string, unknown>): ConfigIssue[] {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(path);
        return issue.keys.map((key) => ({
            key: keyName([...path, key]),
            value: valueAt(input, [...path, key]),
            message: unknownKeyMessage(path, key, known),
        }));
    }
    if (issue.code === "invalid_key") {
        // A bad key of a map (tags): name the key itself and give the rule it broke.
        const key = path[path.length - 1];
        return [{ key: keyName(path), value: key, message: issue.issues[0]?.message ?? issue.message }];
    }
    const value = valueAt(input, path);
    const message = issue.code === "invalid_type" && value === undefined ? "is required" : issue.message;
    return [{ key: keyName(path), value, message }];
}

function unknownKeyMessage(path: readonly (string | number)[], key: string, known: readonly string[]): string {
    const [head] = key.split(".");
    if (path.length === 0 && key.includes(".") && head !== undefined && known.includes(head)) {
        return `is not a key: nested settings go under ${head}; set it with: pulumi config set --path '${key}' VALUE`;
    }
    const suggestion = closest(key, known);
    const allowed = `known keys${path.length > 0 ? ` of ${keyName(path)}` : ""}: ${known.join(", ")}`;
    return suggestion !== undefined ? `is not a known key; did you mean ${suggestion}? (${allowed})` : `is not a known key (${allowed})`;
}

/** `healthcare-dr:alerts.emails[1]` from `["alerts", "emails", 1]`. */
function keyName(path: readonly (string | number)[]): string {
    let name = `${NAMESPACE}:`;
    path.forEach((segment, i) => {
        name += typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`;
    });
    return name;
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
    let current: unknown = input;
    for (const segment of path) {
        if (current === null || typeof current !== "object") {
            return undefined;
        }
        current = (current as Record<string | number, unknown>)[segment];
    }
    return current;
}

/** The keys the schema knows at a path of nested objects, for "did you mean". */
function knownKeysAt(path: readonly (string | number)[]): string[] {
    let schema: z.core.$ZodType = stackConfigSchema;
    for (const segment of path) {
        // An item of a list (`buckets[0]`) has the keys of the list's element.
        const next = typeof segment === "number" ? elementOf(schema) : shapeOf(schema)?.[segment];
        if (next === undefined) {
            return [];
        }
        schema = next;
    }
    return Object.keys(shapeOf(schema) ?? {});
}

/** The element schema of a list schema, through defaults, prefaults and optionals. */
function elementOf(schema: z.core.$ZodType): z.core.$ZodType | undefined {
    let current: z.core.$ZodType | undefined = schema;
    for (let depth = 0; current !== undefined && depth < 8; depth++) {
        const def = current._zod.def as { type: string; element?: z.core.$ZodType; innerType?: z.core.$ZodType };
        if (def.type === "array") {
            return def.element;
        }
        current = def.innerType;
    }
    return undefined;
}

function shapeOf(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
    let current: z.core.$ZodType | undefined = schema;
    // Unwrap defaults, prefaults and optionals until the object itself.
    for (let depth = 0; current !== undefined && depth < 8; depth++) {
        const def = current._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; innerType?: z.core.$ZodType };
        if (def.type === "object") {
            return def.shape;
        }
        current = def.innerType;
    }
    return undefined;
}

function dedupe(issues: readonly ConfigIssue[]): ConfigIssue[] {
    const seen = new Set<string>();
    return issues.filter((issue) => {
        const id = `${issue.key}\u0000${issue.message}`;
        if (seen.has(id)) {
            return false;
        }
        seen.add(id);
        return true;
    });
}
