/**
 * The pack checks its own configuration. The Pulumi engine validates a `--policy-pack-config` file only against the
 * policies' schemas, which accept properties they do not name, and passes on policy names the pack does not have
 * (see /work/shared/AWS-FACTS.md, "The engine's policy-pack config check"): a mistyped `allowedRegion` or
 * `data-residancy` would silently leave a control at its default. This stack policy runs on every preview and update
 * and turns each unknown key into a mandatory violation that names the key and the allowed ones.
 *
 * A policy sees only its own settings through `getConfig`, so the whole config is taken where the engine hands it to
 * the analyzer: its `Configure` call (`captureConfigure`, installed by `policy-pack/index.ts`), or, offline, from
 * the harness (`recordPackConfig`).
 */
import * as path from "path";
import type { StackValidationArgs } from "@pulumi/policy";
import { stackPolicy, type PackPolicy, type PackStackPolicy } from "./lib/policy";
import { isRecord } from "./lib/values";

/** Settings of one entry of the pack config, as the analyzer receives them (the enforcement level included). */
export type ConfiguredPack = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

let configured: ConfiguredPack | undefined;

/** Records the pack config the engine (or the offline harness) configured the analyzer with. */
export function recordPackConfig(config: ConfiguredPack | undefined): void {
    configured = config;
}

/** The pack config of the last `Configure` call, if any. */
export function recordedPackConfig(): ConfiguredPack | undefined {
    return configured;
}

/** The key every entry may have besides its policy's settings, and the entry that sets every policy's level. */
const LEVEL_KEY = "enforcementLevel";
const ALL = "all";

/** Closest allowed name by edit distance, for "did you mean" (only when it is close). */
function suggestion(key: string, allowed: readonly string[]): string {
    const distance = (a: string, b: string): number => {
        const row = Array.from({ length: b.length + 1 }, (_, j) => j);
        for (let i = 1; i <= a.length; i++) {
            let previous = row[0]!;
            row[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const current = row[j]!;
                row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.length]!;
    };
    const best = [...allowed].sort((a, b) => distance(key, a) - distance(key, b))[0];
    return best !== undefined && distance(key, best) <= Math.max(2, Math.floor(key.length / 4)) ? ` (did you mean "${best}"?)` : "";
}

/**
 * Every key of a pack config that no policy reads: policy names the pack does not have, settings a policy does not
 * have, and settings under `all` (which takes only an enforcement level). Pure; one message per key.
 */
export function packConfigProblems(policies: readonly PackPolicy[], config: ConfiguredPack): string[] {
    const names = policies.map((p) => p.name);
    const problems: string[] = [];
    for (const [name, settings] of Object.entries(config)) {
        const policy = policies.find((p) => p.name === name);
        if (name !== ALL && policy === undefined) {
            problems.push(
                `The policy pack config names "${name}", which is no policy of this pack${suggestion(name, names)}; allowed: ${ALL}, ${names.join(", ")}.`,
            );
            continue;
        }
        const allowed = Object.keys(policy?.configSchema?.properties ?? {});
        for (const key of Object.keys(isRecord(settings) ? settings : {})) {
            if (key !== LEVEL_KEY && !allowed.includes(key)) {
                problems.push(
                    `The policy pack config sets "${name}.${key}", which ${name === ALL ? `"${ALL}"` : `policy "${name}"`} does not have${suggestion(key, allowed)}; allowed: ${[LEVEL_KEY, ...allowed].join(", ")}.`,
                );
            }
        }
    }
    return problems;
}

/** The stack policy that checks the pack config against `policies` (the rest of the pack). */
export function packConfigPolicy(policies: readonly PackPolicy[]): PackStackPolicy {
    return stackPolicy({
        name: "policy-pack-config",
        description:
            "The --policy-pack-config file names only policies of this pack and settings those policies have (the engine accepts any), so a typo cannot leave a control at its default unnoticed.",
        remediationSteps: "Correct the key the message names to one of the allowed keys it lists.",
        metadata: {
            concern: "secure-configuration",
            hipaa: ["164.308(a)(1)(ii)(B)"],
            checks: "Every policy name and setting of the pack config is one the pack has",
            resourceTypes: [],
        },
        validate: (_args: StackValidationArgs, report) => {
            const config = recordedPackConfig();
            for (const problem of config === undefined ? [] : packConfigProblems(policies, config)) {
                report(problem);
            }
        },
    });
}

/** The pack config of an analyzer `Configure` request: per policy name its properties and enforcement level. */
export function configOfRequest(request: unknown): ConfiguredPack {
    const map = (request as { getPolicyconfigMap?: () => { entries(): Iterable<[string, unknown]> } }).getPolicyconfigMap?.();
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, value] of map?.entries() ?? []) {
        const properties = (value as { getProperties?: () => { toJavaScript(): unknown } | undefined }).getProperties?.()?.toJavaScript();
        out[name] = isRecord(properties) ? properties : {};
    }
    return out;
}

type Handler = (call: { request: unknown }, callback: unknown) => unknown;

/** The analyzer service implementation with its `configure` handler recording the config first. */
export function withConfigureRecorded<T extends Record<string, unknown>>(implementation: T): T {
    const configure = implementation["configure"];
    if (typeof configure !== "function") {
        return implementation;
    }
    const recording: Handler = (call, callback) => {
        recordPackConfig(configOfRequest(call.request));
        return (configure as Handler)(call, callback);
    };
    return { ...implementation, configure: recording };
}

/**
 * Makes the analyzer's gRPC server record every `Configure` call. @pulumi/policy keeps the config to itself and
 * gives each policy its own part only, so the pack wraps the handler it registers with gRPC (the `@grpc/grpc-js`
 * that @pulumi/policy itself loads). Called by `policy-pack/index.ts` before the PolicyPack starts its server.
 */
export function captureConfigure(): void {
    /* eslint-disable @typescript-eslint/no-require-imports -- the gRPC module that @pulumi/policy loads, found from it */
    const policyDir = path.dirname(require.resolve("@pulumi/policy/package.json"));
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [policyDir] })) as {
        Server: { prototype: { addService(service: unknown, implementation: Record<string, unknown>): void } };
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const prototype = grpc.Server.prototype as { addService(service: unknown, implementation: Record<string, unknown>): void } & {
        configureRecorded?: boolean;
    };
    if (prototype.configureRecorded === true) {
        return;
    }
    const addService = prototype.addService;
    prototype.addService = function (this: unknown, service: unknown, implementation: Record<string, unknown>) {
        return addService.call(this, service, withConfigureRecorded(implementation));
    };
    prototype.configureRecorded = true;
}
