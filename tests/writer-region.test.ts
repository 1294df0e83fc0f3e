/**
 * Flipping `healthcare-dr:activeRegion` (what a human does after a failover or failback) is an in-place update: the
 * program declares the same resources, under the same names and ids, on the same providers and parents, and only the
 * inputs listed in WRITER_DEPENDENT_INPUTS differ, each one a property the provider updates in place.
 */
import { expect } from "chai";
import { GLOBAL_DB_RPO } from "../lib/database";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { planStack, resourceNamed } from "./harness/stacks";

/**
 * The inputs that may follow the writer, by resource type, each with why changing it is an update and not a
 * replacement. Anything else that differs between the two runs fails the test.
 */
const WRITER_DEPENDENT_INPUTS: Readonly<Record<string, { readonly properties: readonly string[]; readonly why: string }>> = {
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": {
        properties: ["parameters"],
        // The provider modifies a group's parameters in place (ModifyDBClusterParameterGroup; a removed one is reset
        // with ResetDBClusterParameterGroup); only family, name, namePrefix and description force a replacement.
        // @see https://www.pulumi.com/registry/packages/aws/api-docs/rds/clusterparametergroup/
        why: "the RPO ceiling (rds.global_db_rpo) sits on the writer's group only",
    },
};

const json = (value: unknown) => JSON.stringify(value ?? null);

/** Per resource present in both runs, the inputs and options whose values differ. */
function differences(a: ProgramRun, b: ProgramRun): { urn: string; type: string; keys: string[] }[] {
    const other = new Map(b.resources.map((r) => [r.urn, r]));
    const out: { urn: string; type: string; keys: string[] }[] = [];
    for (const r of a.resources) {
        const s = other.get(r.urn)!;
        const keys = [...new Set([...Object.keys(r.inputs), ...Object.keys(s.inputs)])].filter(
            (k) => json(r.inputs[k]) !== json(s.inputs[k]),
        );
        for (const [what, x, y] of [
            ["(id)", r.id, s.id],
            ["(provider)", r.provider, s.provider],
            ["(parent)", r.parent, s.parent],
            ["(region)", r.region, s.region],
            ["(options)", r.options, s.options],
        ] as const) {
            if (json(x) !== json(y)) {
                keys.push(what);
            }
        }
        if (keys.length > 0) {
            out.push({ urn: r.urn, type: r.type, keys });
        }
    }
    return out;
}

describe("flipping activeRegion (after a failover or failback)", function () {
    this.timeout(120_000);

    // Prod: the stack with an RPO ceiling, the one thing that follows the writer today. Dev runs the same code.
    for (const stack of ["prod"] as const) {
        describe(stack, () => {
            let home: ProgramRun;
            let away: ProgramRun;
            before(async () => {
                home = await planStack(stack);
                away = await runProgram({
                    stack,
                    rawConfig: { ...readStackFile(stackFilePath(stack)), "healthcare-dr:activeRegion": home.config.drRegion },
                });
            });

            it("declares the same resources under the same names, ids, providers and parents", () => {
                expect(home.config.activeRegion).to.equal(home.config.primaryRegion);
                expect(away.config.activeRegion).to.equal(away.config.drRegion);
                expect(away.resources.map((r) => r.urn).sort()).to.deep.equal(home.resources.map((r) => r.urn).sort());
                const moved = differences(home, away).filter((d) => d.keys.some((k) => k.startsWith("(")));
                expect(moved).to.deep.equal([]);
            });

            it("changes only inputs the provider updates in place (WRITER_DEPENDENT_INPUTS)", () => {
                const unexpected = differences(home, away).flatMap((d) =>
                    d.keys.filter((k) => !(WRITER_DEPENDENT_INPUTS[d.type]?.properties ?? []).includes(k)).map((k) => `${d.urn} ${k}`),
                );
                expect(unexpected).to.deep.equal([]);
            });

            it("moves the RPO ceiling to the new writer's parameter group", () => {
                const ceilingOf = (run: ProgramRun, name: string) =>
                    (
                        resourceNamed(run, "aws:rds/clusterParameterGroup:ClusterParameterGroup", name).inputs["parameters"] as {
                            name: string;
                            value: string;
                        }[]
                    ).find((p) => p.name === GLOBAL_DB_RPO.parameter)?.value;
                const ceiling = home.config.database.maxReplicationLagSeconds;
                expect(ceiling).to.be.a("number");
                const expected = String(ceiling);
                expect([ceilingOf(home, "aurora-primary"), ceilingOf(home, "aurora-secondary")]).to.deep.equal([expected, undefined]);
                expect([ceilingOf(away, "aurora-primary"), ceilingOf(away, "aurora-secondary")]).to.deep.equal([undefined, expected]);
                const changed = differences(home, away).map((d) => d.urn);
                const groups = ["aurora-primary", "aurora-secondary"].map(
                    (name) => resourceNamed(home, "aws:rds/clusterParameterGroup:ClusterParameterGroup", name).urn,
                );
                expect(changed.filter((urn) => groups.includes(urn))).to.have.length(2);
            });

            it("keeps what forces a parameter group's replacement (family, name, description) identical", () => {
                for (const name of ["aurora-primary", "aurora-secondary"]) {
                    const [a, b] = [home, away].map((run): PlannedResource =>
                        resourceNamed(run, "aws:rds/clusterParameterGroup:ClusterParameterGroup", name),
                    );
                    for (const key of ["family", "name", "namePrefix", "description"]) {
                        expect(json(b!.inputs[key]), `${name}.${key}`).to.equal(json(a!.inputs[key]));
                    }
                    expect(b!.state["name"]).to.equal(a!.state["name"]);
                }
            });
        });
    }
});
