/**
 * The rebuild after a break-glass (README, "Rebuild after a break-glass"): `healthcare-dr:database.seed` set to the
 * promoted cluster's region and the next generation. Planned through the engine model (tests/harness/engine.ts) with
 * the state of the stack before it, so that what `pulumi up` would do is visible: what stays, what is created, what
 * leaves the stack. Then a second rebuild back the other way (generation 3), from the state the first one left.
 */
import { expect } from "chai";
import { canonicalJson, refreshed, type PriorResource } from "./harness/engine";
import { runPolicies } from "./harness/policies";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { planStack, STACKS } from "./harness/stacks";

/** Types that hold data or protect it: they must never be replaced, and leave the stack only when retired on purpose. */
const STATEFUL = [
    "aws:rds/globalCluster:GlobalCluster",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:secretsmanager/secret:Secret",
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:dynamodb/table:Table",
    "aws:backup/vault:Vault",
    "aws:cloudwatch/logGroup:LogGroup",
];

/**
 * The inputs a stateful resource may change in place during a rebuild, with why that is no replacement.
 * - Secret `description` names the current global cluster; UpdateSecret changes it in place (only `name` and
 *   `namePrefix` force a replacement: https://www.pulumi.com/registry/packages/aws/api-docs/secretsmanager/secret/).
 */
const UPDATABLE: Readonly<Record<string, readonly string[]>> = {
    "aws:secretsmanager/secret:Secret": ["description"],
};

/** The raw config of prod with a seed and the writer's region set, as `pulumi config set --path` would leave it. */
function rebuildConfig(seed: { region: string; generation: number; clusterGenerations: { primary: number; dr: number } }) {
    const raw = readStackFile(stackFilePath("prod"));
    const database = JSON.parse(raw["healthcare-dr:database"] ?? "{}") as Record<string, unknown>;
    return { ...raw, "healthcare-dr:activeRegion": seed.region, "healthcare-dr:database": JSON.stringify({ ...database, seed }) };
}

/** The state an update leaves: for each custom resource, the inputs the provider was sent and what it returned. */
function stateAfter(run: ProgramRun): PriorResource[] {
    return run.resources
        .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
        .map((r) => ({ urn: r.urn, type: r.type, inputs: r.step?.news ?? r.inputs, state: r.state }));
}

/** A break-glass detached `clusterIdentifier` from its global cluster: what a refresh then records in the state. */
function detached(state: PriorResource[], clusterIdentifier: string): PriorResource[] {
    return state.map((r) =>
        r.type === "aws:rds/cluster:Cluster" && r.inputs["clusterIdentifier"] === clusterIdentifier
            ? refreshed(r, { globalClusterIdentifier: "", replicationSourceIdentifier: "" })
            : r,
    );
}

const named = (run: ProgramRun, type: string, name: string) => run.resources.find((r) => r.type === type && r.name === name);
/** How many instances the cluster of a slot (`primary`, `secondary-g3`) has in a run. */
const instancesOf = (run: ProgramRun, slot: string) =>
    run.resources.filter((r) => r.type === "aws:rds/clusterInstance:ClusterInstance" && new RegExp(`^aurora-${slot}-\\d+$`).test(r.name))
        .length;
const key = (r: { type: string; name: string }) => `${r.type.split(":").pop()!} ${r.name}`;

/** What a rebuild from `before` does, as the engine would plan it. */
function changes(before: readonly PlannedResource[], after: ProgramRun) {
    const afterUrns = new Set(after.resources.map((r) => r.urn));
    const beforeUrns = new Set(before.map((r) => r.urn));
    return {
        removed: before.filter((r) => !afterUrns.has(r.urn)),
        created: after.resources.filter((r) => r.custom && r.step?.op === "create" && !beforeUrns.has(r.urn)),
        kept: after.resources.filter((r) => beforeUrns.has(r.urn) && r.step !== undefined),
    };
}

/** The retired cluster's own resources and the retired global cluster, by type and logical name. */
function retiredSet(slot: string, instances: number, global: string): string[] {
    return [
        `GlobalCluster ${global}`,
        `Cluster aurora-${slot}`,
        `ClusterParameterGroup aurora-${slot}`,
        `LogGroup aurora-${slot}-postgresql`,
        `LogDataProtectionPolicy aurora-${slot}-postgresql-mask`,
        ...Array.from({ length: instances }, (_, i) => `ClusterInstance aurora-${slot}-${i}`),
    ].sort();
}

function expectNothingStatefulReplaced(kept: readonly PlannedResource[]): void {
    const problems: string[] = [];
    for (const r of kept) {
        const step = r.step!;
        if (step.op === "replace") {
            problems.push(`${key(r)}: replaced over ${step.replaceKeys.join(", ")}`);
        }
        if (STATEFUL.includes(r.type)) {
            const unexpected = step.changed.filter((k) => !(UPDATABLE[r.type] ?? []).includes(k));
            if (unexpected.length > 0) {
                problems.push(`${key(r)}: ${unexpected.join(", ")} would change`);
            }
        }
    }
    expect(problems, "stateful resources the rebuild would touch").to.deep.equal([]);
}

describe("database.seed: the default is the database as first deployed", function () {
    this.timeout(120_000);
    for (const stack of STACKS) {
        it(`plans ${stack} with the explicit generation-1 seed exactly as without one: same URNs, inputs and options`, async () => {
            const implicit = await planStack(stack);
            const raw = readStackFile(stackFilePath(stack));
            const database = JSON.parse(raw["healthcare-dr:database"] ?? "{}") as Record<string, unknown>;
            const seed = { region: implicit.config.primaryRegion, generation: 1, clusterGenerations: { primary: 1, dr: 1 } };
            const explicit = await runProgram({
                stack,
                rawConfig: { ...raw, "healthcare-dr:database": JSON.stringify({ ...database, seed }) },
            });
            const view = (run: ProgramRun) =>
                run.resources.map((r) => canonicalJson({ urn: r.urn, inputs: r.inputs, options: r.options, provider: r.provider }));
            expect(view(explicit)).to.deep.equal(view(implicit));
            expect(implicit.config.database.seed).to.deep.equal(seed);
        });
    }
});

describe("the rebuild after a break-glass (prod)", function () {
    this.timeout(120_000);
    const first = { region: "eu-west-1", generation: 2, clusterGenerations: { primary: 2, dr: 1 } };
    const second = { region: "eu-west-2", generation: 3, clusterGenerations: { primary: 2, dr: 3 } };

    let home: ProgramRun;
    let rebuilt: ProgramRun;
    let back: ProgramRun;
    before(async () => {
        home = await planStack("prod");
        // Break-glass to eu-west-1: its cluster is detached and promoted; a refresh records it out of the global cluster.
        rebuilt = await runProgram({
            stack: "prod",
            rawConfig: rebuildConfig(first),
            priorState: detached(stateAfter(home), "hdr-prod-aurora-eu-west-1"),
        });
        // Later a break-glass back to eu-west-2 promotes the cluster the first rebuild created there.
        back = await runProgram({
            stack: "prod",
            rawConfig: rebuildConfig(second),
            priorState: detached(stateAfter(rebuilt), "hdr-prod-aurora-eu-west-2-g2"),
        });
    });

    describe("first rebuild: seeded by eu-west-1, generation 2", () => {
        it("keeps the promoted cluster, its instances and every other stateful resource: nothing replaced, the cluster untouched", () => {
            const { kept } = changes(home.resources, rebuilt);
            expectNothingStatefulReplaced(kept);
            const seed = named(rebuilt, "aws:rds/cluster:Cluster", "aurora-secondary")!;
            expect(seed.step!.op, "the promoted cluster").to.equal("same");
            expect(seed.inputs["clusterIdentifier"]).to.equal("hdr-prod-aurora-eu-west-1");
            for (const instance of kept.filter((r) => r.type === "aws:rds/clusterInstance:ClusterInstance")) {
                expect(instance.step!.op, instance.name).to.equal("same");
            }
        });

        it("removes exactly the retired global cluster and the old writer's cluster with its own resources, all retained in AWS", () => {
            const { removed } = changes(home.resources, rebuilt);
            expect(removed.map(key).sort()).to.deep.equal(retiredSet("primary", instancesOf(home, "primary"), "aurora-global"));
            for (const r of removed.filter((x) => ["GlobalCluster", "Cluster", "LogGroup"].includes(x.type.split(":").pop()!))) {
                expect(r.options.retainOnDelete, `${key(r)}: pulumi up must leave it in AWS`).to.equal(true);
            }
            for (const r of removed.filter((x) => ["GlobalCluster", "Cluster"].includes(x.type.split(":").pop()!))) {
                expect(r.options.protect, `${key(r)}: the README unprotects it first`).to.equal(true);
            }
        });

        it("creates the generation-2 global cluster from the promoted cluster, in its region, with nothing AWS refuses next to a source", () => {
            const global = named(rebuilt, "aws:rds/globalCluster:GlobalCluster", "aurora-global-g2")!;
            const seed = named(home, "aws:rds/cluster:Cluster", "aurora-secondary")!;
            expect(global.step!.op).to.equal("create");
            expect(global.region).to.equal("eu-west-1");
            expect(global.inputs["globalClusterIdentifier"]).to.equal("hdr-prod-aurora-g2");
            expect(global.inputs["sourceDbClusterIdentifier"]).to.equal(seed.state["arn"]);
            expect(global.options.propertyDependencies["sourceDbClusterIdentifier"]).to.include(seed.urn);
            for (const absent of ["engine", "engineVersion", "storageEncrypted", "databaseName"]) {
                expect(global.inputs, absent).to.not.have.property(absent);
            }
            expect(global.inputs).to.deep.include({ forceDestroy: true, deletionProtection: true });
            expect(global.options).to.deep.include({ protect: true, retainOnDelete: true });
        });

        it("creates a new secondary in eu-west-2 (identifier -g2) joining the new global cluster, without credentials", () => {
            const { created } = changes(home.resources, rebuilt);
            const cluster = named(rebuilt, "aws:rds/cluster:Cluster", "aurora-primary-g2")!;
            const global = named(rebuilt, "aws:rds/globalCluster:GlobalCluster", "aurora-global-g2")!;
            expect(created.map(key)).to.include.members([key(cluster), key(global), "ClusterParameterGroup aurora-primary-g2"]);
            expect(cluster.region).to.equal("eu-west-2");
            expect(cluster.inputs["clusterIdentifier"]).to.equal("hdr-prod-aurora-eu-west-2-g2");
            expect(cluster.options.propertyDependencies["globalClusterIdentifier"]).to.include(global.urn);
            for (const credential of ["databaseName", "masterUsername", "masterPassword"]) {
                expect(cluster.inputs, credential).to.not.have.property(credential);
            }
            const seedInstance = named(rebuilt, "aws:rds/clusterInstance:ClusterInstance", "aurora-secondary-0")!;
            expect(cluster.options.dependsOn, "joins once the writer has an instance").to.include(seedInstance.urn);
        });

        it("points everything that follows the database at the new generation", () => {
            const database = rebuilt.outputs["database"] as {
                globalClusterId: string;
                clusterIdentifiers: { primary: string; dr: string };
            };
            expect(database.globalClusterId).to.equal("hdr-prod-aurora-g2");
            expect(database.clusterIdentifiers).to.deep.equal({ primary: "hdr-prod-aurora-eu-west-2-g2", dr: "hdr-prod-aurora-eu-west-1" });
        });

        it("passes the policy pack with zero violations", async () => {
            const violations = await runPolicies(rebuilt);
            expect(violations.map((v) => `${v.policyName}: ${v.message}`)).to.deep.equal([]);
        });
    });

    describe("second rebuild, back the other way: seeded by eu-west-2, generation 3", () => {
        it("keeps the generation-2 cluster it promoted, replaces nothing, and retires generation 2's global cluster and the eu-west-1 cluster", () => {
            const before = rebuilt.resources;
            const { kept, removed } = changes(before, back);
            expectNothingStatefulReplaced(kept);
            expect(named(back, "aws:rds/cluster:Cluster", "aurora-primary-g2")!.step!.op).to.equal("same");
            expect(removed.map(key).sort()).to.deep.equal(retiredSet("secondary", instancesOf(rebuilt, "secondary"), "aurora-global-g2"));
        });

        it("creates generation 3 from the eu-west-2 cluster and a new eu-west-1 secondary (-g3)", () => {
            const global = named(back, "aws:rds/globalCluster:GlobalCluster", "aurora-global-g3")!;
            const seed = named(rebuilt, "aws:rds/cluster:Cluster", "aurora-primary-g2")!;
            expect(global.region).to.equal("eu-west-2");
            expect(global.inputs["globalClusterIdentifier"]).to.equal("hdr-prod-aurora-g3");
            expect(global.inputs["sourceDbClusterIdentifier"]).to.equal(seed.state["arn"]);
            const cluster = named(back, "aws:rds/cluster:Cluster", "aurora-secondary-g3")!;
            expect(cluster.step!.op).to.equal("create");
            expect(cluster.inputs["clusterIdentifier"]).to.equal("hdr-prod-aurora-eu-west-1-g3");
            expect(cluster.options.propertyDependencies["globalClusterIdentifier"]).to.include(global.urn);
        });

        it("passes the policy pack with zero violations", async () => {
            const violations = await runPolicies(back);
            expect(violations.map((v) => `${v.policyName}: ${v.message}`)).to.deep.equal([]);
        });
    });
});
