/**
 * Runs Checkov (https://www.checkov.io), pinned in `requirements-checkov.txt` and installed by `scripts/setup.sh` in
 * `.tools/checkov`, over Terraform plans converted from planned runs (`terraformPlan.ts`): one process for every
 * plan given, since most of a run is Checkov loading its checks.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { PROJECT_ROOT } from "./program";
import type { TerraformPlan } from "./terraformPlan";

/** The Checkov command `scripts/setup.sh` installs. */
export const CHECKOV_BIN = path.join(PROJECT_ROOT, ".tools", "checkov", "bin", "checkov");

export type CheckResult = "PASSED" | "FAILED" | "SKIPPED";

/** One check's result on one resource of one plan. */
export interface CheckovFinding {
    /** The label the plan was given (`runCheckov`'s key): which plan the resource is in. */
    readonly plan: string;
    readonly checkId: string;
    readonly checkName: string;
    /** The Terraform address, `aws_dynamodb_table.primary-failover-lock`. */
    readonly address: string;
    readonly result: CheckResult;
}

interface CheckovReport {
    readonly check_type: string;
    readonly results: Readonly<Record<"passed_checks" | "failed_checks" | "skipped_checks", readonly RawCheck[] | undefined>>;
    readonly summary: { readonly parsing_errors: number; readonly checkov_version: string };
}

interface RawCheck {
    readonly check_id: string;
    readonly check_name: string;
    readonly resource: string;
    readonly file_path: string;
    readonly check_result: { readonly result: CheckResult };
}

export interface CheckovRun {
    readonly version: string;
    readonly findings: readonly CheckovFinding[];
}

/**
 * Scans the plans (label -> plan) with Checkov's Terraform plan checks, graph checks included, in one process. No
 * network: no policy download from the Bridgecrew platform, no update check, no upload. Throws when Checkov is not
 * installed (naming the command that installs it), cannot parse a plan, or fails.
 */
export async function runCheckov(plans: Readonly<Record<string, TerraformPlan>>): Promise<CheckovRun> {
    if (!fs.existsSync(CHECKOV_BIN)) {
        throw new Error(`Checkov is not installed at ${path.relative(PROJECT_ROOT, CHECKOV_BIN)}: run bash scripts/setup.sh`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hdr-checkov-"));
    try {
        const files = Object.entries(plans).map(([label, plan]) => {
            if (!/^[a-z0-9-]+$/.test(label)) throw new Error(`plan label ${JSON.stringify(label)}: use lower-case letters, digits and -`);
            const file = path.join(dir, `${label}.json`);
            fs.writeFileSync(file, JSON.stringify(plan));
            return file;
        });
        const args = [
            "--framework",
            "terraform_plan",
            ...files.flatMap((f) => ["-f", f]),
            "--output",
            "json",
            "--compact",
            "--soft-fail",
            "--skip-download",
        ];
        const { stdout } = await promisify(execFile)(CHECKOV_BIN, args, {
            cwd: dir,
            maxBuffer: 256 * 1024 * 1024,
            // One process, no workers: the suite already runs one mocha worker per core.
            env: {
                ...process.env,
                CKV_SKIP_PACKAGE_UPDATE_CHECK: "true",
                BC_SKIP_MAPPING: "TRUE",
                CHECKOV_PARALLELIZATION_TYPE: "none",
                LOG_LEVEL: "ERROR",
            },
        });
        const parsed = JSON.parse(stdout) as CheckovReport | readonly CheckovReport[];
        const reports = (Array.isArray(parsed) ? parsed : [parsed]) as readonly CheckovReport[];
        const report = reports.find((r) => r.check_type === "terraform_plan");
        if (report === undefined) throw new Error(`Checkov reported no terraform_plan results: ${stdout.slice(0, 500)}`);
        if (report.summary.parsing_errors > 0) throw new Error(`Checkov could not parse ${report.summary.parsing_errors} plan file(s)`);
        const findings = (["passed_checks", "failed_checks", "skipped_checks"] as const).flatMap((key) =>
            (report.results[key] ?? []).map((c) => ({
                plan: path.basename(c.file_path, ".json"),
                checkId: c.check_id,
                checkName: c.check_name,
                address: c.resource,
                result: c.check_result.result,
            })),
        );
        return { version: report.summary.checkov_version, findings };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
