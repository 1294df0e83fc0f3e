/**
 * CI previews and deploys against what AWS has, not what the state remembers: every `pulumi preview` and `pulumi up`
 * step of the GitHub workflows refreshes first. The failover orchestrators repoint the writer record and active-region
 * outside Pulumi; without a refresh, Pulumi's diff (and any update the program makes) starts from the pre-failover
 * values in the state. The one way to turn it off is the repository variable `PULUMI_REFRESH=false`, for a regional
 * outage, when a refresh would fail on the unreachable region's resources (docs/runbook.md).
 * @see https://github.com/pulumi/actions/blob/main/action.yml (input `refresh`, default false)
 * @see https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { PROJECT_ROOT } from "./harness/program";

const WORKFLOWS = path.join(PROJECT_ROOT, ".github", "workflows");

/**
 * The refresh setting CI uses: on unless the repository variable says `false`. An unset variable is the empty string
 * in a GitHub expression, and `'' != 'false'` is true, so a repository without the variable refreshes.
 * @see https://docs.github.com/en/actions/learn-github-actions/contexts#vars-context
 */
const CI_REFRESH = "${{ vars.PULUMI_REFRESH != 'false' }}";

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly with?: Readonly<Record<string, unknown>>;
}

/** Every `pulumi/actions` step running a preview or an update, by workflow file and job. */
function pulumiSteps(): { where: string; step: Step }[] {
    const out: { where: string; step: Step }[] = [];
    for (const file of fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f))) {
        const doc = parseYaml(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as { jobs?: Record<string, { steps?: Step[] }> };
        for (const [job, { steps = [] }] of Object.entries(doc.jobs ?? {})) {
            for (const step of steps) {
                if (
                    step.uses?.startsWith("pulumi/actions@") === true &&
                    ["preview", "up", "update"].includes(String(step.with?.["command"]))
                ) {
                    out.push({ where: `${file} ${job}: pulumi ${String(step.with?.["command"])}`, step });
                }
            }
        }
    }
    return out;
}

describe("CI workflows", () => {
    it("run pulumi preview and pulumi up through pulumi/actions (so the check below has something to check)", () => {
        const commands = pulumiSteps().map((s) => String(s.step.with?.["command"]));
        expect(commands).to.include.members(["preview", "up"]);
    });

    it("refresh before every preview and every update, unless PULUMI_REFRESH is false", () => {
        for (const { where, step } of pulumiSteps()) {
            const refresh = step.with?.["refresh"];
            expect(refresh === true || refresh === CI_REFRESH, `${where}: set refresh: ${CI_REFRESH}`).to.equal(true);
        }
    });

    it("have the runbook name the variable that turns the refresh off during an outage, and when to remove it", () => {
        const runbook = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "runbook.md"), "utf8");
        const section = /## Deploying while a region is down\n([\s\S]*?)(\n## |$)/.exec(runbook)?.[1] ?? "";
        expect(section).to.include("PULUMI_REFRESH=false");
        expect(section).to.match(/delete the repository variable\s+`PULUMI_REFRESH`/i);
    });

    it("are described in the README as refreshing first, with the reason", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        const section = /### Continuous delivery\n([\s\S]*?)\n### /.exec(readme)?.[1] ?? "";
        expect(section).to.match(/refresh/i);
        expect(section).to.include("PULUMI_REFRESH");
    });
});
