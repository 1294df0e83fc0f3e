/**
 * Runs the CrossGuard policy pack over a planned stack, with the same harness the policy tests use, so the offline
 * plan reports exactly what `pulumi preview --policy-pack policy-pack` would.
 */
import * as fs from "fs";
import { policies } from "../policy-pack/policies";
import type { ProgramRun } from "../tests/harness/program";
import { DECIDED_AT_UPDATE } from "../policy-pack/policies/lib/policy";
import { analyzeRun, type PackConfig } from "../tests/harness/policies";
import type { PlanNote, PlanViolation } from "./report";

export interface PolicyVerdict {
    readonly ran: boolean;
    readonly policyCount: number;
    readonly violations: readonly PlanViolation[];
    /** "can't run policy ... during preview" notes (a preview run only). */
    readonly cantRun: readonly PlanNote[];
    /** What policies leave to `pulumi up` (a preview run only). */
    readonly decidedAtUpdate: readonly PlanNote[];
}

/** Reads a `--policy-pack-config` JSON file, as the Pulumi CLI takes it. */
export function readPackConfig(file: string): PackConfig {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig;
}

export async function evaluatePolicies(run: ProgramRun, packConfig?: PackConfig): Promise<PolicyVerdict> {
    const result = await analyzeRun(run, packConfig);
    const levels = new Map(policies.map((p) => [p.name, p.enforcementLevel ?? "mandatory"]));
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const decidedAtUpdate = result.evaluations
        .filter((e) => e.reason?.startsWith(DECIDED_AT_UPDATE))
        .map((e) => {
            const resource = e.urn !== undefined ? byUrn.get(e.urn) : undefined;
            return {
                policyName: e.policyName,
                enforcementLevel: levels.get(e.policyName) ?? "mandatory",
                message: e.reason!,
                ...(resource !== undefined ? { urn: resource.urn, resourceName: resource.name, resourceType: resource.type } : {}),
            };
        });
    return { ran: true, policyCount: policies.length, violations: result.violations, cantRun: result.cantRun, decidedAtUpdate };
}
