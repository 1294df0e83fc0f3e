/**
 * Runs the CrossGuard policy pack over a planned stack, with the same harness the policy tests use.
 */
import * as fs from "fs";
import * as path from "path";
import type { ProgramRun } from "../tests/harness/program";
import type { PlanViolation } from "./report";

export interface PolicyVerdict {
    /** False when the policy pack is not part of this checkout. */
    readonly ran: boolean;
    readonly policyCount: number;
    readonly violations: readonly PlanViolation[];
}

const HARNESS = path.join(__dirname, "..", "tests", "harness", "policies.ts");

interface PolicyHarness {
    runPolicies(run: ProgramRun, packConfig?: Record<string, unknown>): Promise<PlanViolation[]>;
    policyCount(): number;
}

export async function evaluatePolicies(run: ProgramRun): Promise<PolicyVerdict> {
    if (!fs.existsSync(HARNESS)) {
        return { ran: false, policyCount: 0, violations: [] };
    }
    const harness = require(HARNESS) as PolicyHarness; // eslint-disable-line @typescript-eslint/no-require-imports
    return { ran: true, policyCount: harness.policyCount(), violations: await harness.runPolicies(run) };
}
