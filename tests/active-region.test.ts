/**
 * Either region can be the writer: the program for `healthcare-dr:activeRegion` = each region of each stack file.
 * A flip of activeRegion is what a human does after a failover or failback (README runbook); it must be an update
 * at most, never a replacement of anything, and must leave both directions of failover deployed.
 */
import { expect } from "chai";
import type { PlannedResource, ProgramRun } from "./harness/program";
import { GLOBAL_DB_RPO } from "../lib/database";
import { planFailedOver, planStack, resourceNamed, resourcesOfType, STACKS } from "./harness/stacks";

/**
 * Inputs that may differ between the two runs, each with why that is no replacement: the property updates in place
 * (the provider's schema marks it updatable), or the resource ignores it after creation (no update at all).
 */
const FLIP_UPDATES: Readonly<Record<string, readonly string[]>> = {
    // rds.global_db_rpo moves to the new writer's cluster parameter group. The provider modifies a group's parameters
    // in place (ModifyDBClusterParameterGroup; a removed one is reset with ResetDBClusterParameterGroup); only family,
    // name, namePrefix and description force a replacement.
    // @see https://www.pulumi.com/registry/packages/aws/api-docs/rds/clusterparametergroup/
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": ["parameters"],
};

const byUrn = (run: ProgramRun) => new Map(run.resources.map((r) => [r.urn, r]));

/** Top-level input keys whose values differ. */
function changedInputs(a: PlannedResource, b: PlannedResource): string[] {
    const keys = new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)]);
    return [...keys].filter((k) => JSON.stringify(a.inputs[k]) !== JSON.stringify(b.inputs[k])).sort();
}

describe("activeRegion: either region is the writer", function () {
    // Each stack is planned twice more (the flipped run); the first test of a stack waits for both runs.
    this.timeout(120_000);
    for (const stack of STACKS) {
        describe(`stack ${stack}`, () => {
            it("validates activeRegion = drRegion and reports it in the outputs", async () => {
                const [home, away] = await Promise.all([planStack(stack), planFailedOver(stack)]);
                expect(home.config.activeRegion).to.equal(home.config.primaryRegion);
                expect(away.config.activeRegion).to.equal(away.config.drRegion);
                expect((home.outputs["failover"] as { activeRegion: string }).activeRegion).to.equal(home.config.primaryRegion);
                expect((away.outputs["failover"] as { activeRegion: string }).activeRegion).to.equal(away.config.drRegion);
            });

            it("declares the same resources (same URNs, providers, parents) whichever region is active", async () => {
                const [home, away] = await Promise.all([planStack(stack), planFailedOver(stack)]);
                expect([...byUrn(away).keys()].sort()).to.deep.equal([...byUrn(home).keys()].sort());
                const awayByUrn = byUrn(away);
                for (const r of home.resources) {
                    const other = awayByUrn.get(r.urn)!;
                    expect({ provider: other.provider, parent: other.parent, region: other.region }, r.urn).to.deep.equal({
                        provider: r.provider,
                        parent: r.parent,
                        region: r.region,
                    });
                }
            });

            it("changes nothing on a flip but what updates in place or is ignored after creation: never a replacement", async () => {
                const [home, away] = await Promise.all([planStack(stack), planFailedOver(stack)]);
                const awayByUrn = byUrn(away);
                const changed: string[] = [];
                for (const r of home.resources.filter((x) => x.custom)) {
                    const other = awayByUrn.get(r.urn)!;
                    for (const key of changedInputs(r, other)) {
                        const ignored = r.options.ignoreChanges.includes(key) && other.options.ignoreChanges.includes(key);
                        const updatable = (FLIP_UPDATES[r.type] ?? []).includes(key);
                        if (!ignored && !updatable) {
                            changed.push(`${r.type} ${r.name}: ${key}`);
                        }
                    }
                    expect(other.options.protect, r.urn).to.equal(r.options.protect);
                }
                expect(changed, "inputs a flip would change that are neither ignored nor known to update in place").to.deep.equal([]);
            });

            it("creates the pointers at the active region's writer", async () => {
                for (const run of await Promise.all([planStack(stack), planFailedOver(stack)])) {
                    for (const parameter of resourcesOfType(run, "aws:ssm/parameter:Parameter").filter((p) =>
                        p.name.endsWith("-active-region"),
                    )) {
                        expect(parameter.inputs["value"], parameter.name).to.equal(run.config.activeRegion);
                    }
                    // The writer record (the application tier's certificate-validation records are Route 53 records too).
                    const record = resourcesOfType(run, "aws:route53/record:Record").find((r) => r.urn.includes("WriterRecord"))!;
                    expect(String((record.inputs["records"] as string[])[0])).to.contain(`.${run.config.activeRegion}.rds.amazonaws.com`);
                }
            });

            it("deploys an orchestrator and its triggers in each region, whichever is active", async () => {
                for (const run of await Promise.all([planStack(stack), planFailedOver(stack)])) {
                    for (const region of [run.config.primaryRegion, run.config.drRegion]) {
                        const functions = resourcesOfType(run, "aws:lambda/function:Function", region).filter((f) =>
                            f.name.endsWith("-failover-function"),
                        );
                        expect(functions, `${run.config.activeRegion} active: function in ${region}`).to.have.length(1);
                        const rules = resourcesOfType(run, "aws:cloudwatch/eventRule:EventRule", region).filter((r) =>
                            r.name.endsWith("-failover-trigger"),
                        );
                        expect(rules, `${run.config.activeRegion} active: trigger in ${region}`).to.have.length(1);
                        const pattern = JSON.parse(String(rules[0]!.inputs["eventPattern"])) as { detail: { alarmName: string[] } };
                        expect(pattern.detail.alarmName, "its own lag alarm and the peer's heartbeat alarm").to.have.length(2);
                    }
                }
            });

            it("moves the RPO ceiling to the new writer's parameter group, keeping what would replace a group identical", async () => {
                const [home, away] = await Promise.all([planStack(stack), planFailedOver(stack)]);
                const group = (run: ProgramRun, name: string) =>
                    resourceNamed(run, "aws:rds/clusterParameterGroup:ClusterParameterGroup", name);
                const ceilingOf = (run: ProgramRun, name: string) =>
                    (group(run, name).inputs["parameters"] as { name: string; value: string }[]).find(
                        (p) => p.name === GLOBAL_DB_RPO.parameter,
                    )?.value;
                const ceiling = home.config.database.maxReplicationLagSeconds;
                const expected = ceiling === undefined ? undefined : String(ceiling);
                expect([ceilingOf(home, "aurora-primary"), ceilingOf(home, "aurora-secondary")]).to.deep.equal([expected, undefined]);
                expect([ceilingOf(away, "aurora-primary"), ceilingOf(away, "aurora-secondary")]).to.deep.equal([undefined, expected]);
                for (const name of ["aurora-primary", "aurora-secondary"]) {
                    for (const key of ["family", "name", "namePrefix", "description"]) {
                        expect(JSON.stringify(group(away, name).inputs[key]), `${name}.${key}`).to.equal(
                            JSON.stringify(group(home, name).inputs[key]),
                        );
                    }
                }
            });
            it("keeps both clusters and every data bucket of both regions in a backup selection of their own region", async () => {
                for (const run of await Promise.all([planStack(stack), planFailedOver(stack)])) {
                    const database = run.outputs["database"] as { clusterArns: { primary: string; dr: string } };
                    const buckets = run.outputs["bucketArns"] as { primary: string[]; dr: string[] };
                    for (const [region, expected] of [
                        [run.config.primaryRegion, [database.clusterArns.primary, ...buckets.primary]],
                        [run.config.drRegion, [database.clusterArns.dr, ...buckets.dr]],
                    ] as const) {
                        const selected = resourcesOfType(run, "aws:backup/selection:Selection", region).flatMap(
                            (sel) => (sel.inputs["resources"] as string[] | undefined) ?? [],
                        );
                        expect(selected, `${run.config.activeRegion} active: selections in ${region}`).to.include.members([...expected]);
                    }
                }
            });

            it(`replicates every data set ${stack === "prod" ? "both ways (prod: failback loses no object)" : "at least to the DR region"}`, async () => {
                for (const run of await Promise.all([planStack(stack), planFailedOver(stack)])) {
                    const configs = resourcesOfType(run, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
                    for (const dataSet of run.config.buckets) {
                        const regions = configs.filter((c) => c.name.startsWith(`${dataSet.name}-`)).map((c) => c.region);
                        const expected =
                            stack === "prod" || dataSet.reverseReplication
                                ? [run.config.drRegion, run.config.primaryRegion]
                                : [run.config.primaryRegion];
                        expect(regions.sort(), dataSet.name).to.deep.equal([...expected].sort());
                    }
                }
            });
        });
    }
});
