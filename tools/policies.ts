/**
 * Runs the CrossGuard policy pack over a planned stack, with the same harness the policy tests use, so the offline
 * plan reports exactly what `pulumi preview --policy-pack policy-pack` would.
 */
import * as fs from "fs";
import { policies } from "../policy-pack/policies";
import type { ProgramRun } from "../tests/harness/program";
import { runPolicies, type PackConfig } from "../tests/harness/policies";
import type { PlanViolation } from "./report";

export interface PolicyVerdict {
    readonly ran: boolean;
    readonly policyCount: number;
    readonly violations: readonly PlanViolation[];
}

/** Reads a `--policy-pack-config` JSON file, as the Pulumi CLI takes it. */
export function readPackConfig(file: string): PackConfig {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig;
}

export async function evaluatePolicies(run: ProgramRun, packConfig?: PackConfig): Promise<PolicyVerdict> {
    return { ran: true, policyCount: policies.length, violations: await runPolicies(run, packConfig) };
}
