/**
 * The pointers the failover orchestrators own (the writer record's `records`, each region's `active-region` value)
 * are never rewritten by `pulumi up`: an engine-level specification. The program is run under the mocks, its state is
 * taken as deployed, the orchestrator is taken to have moved the pointers since (the state does not know), and every
 * other property of those resources is changed in turn; the engine model (`tests/harness/engine.ts`) then says what the
 * provider would be sent.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { activeRegionParameterName, writerRecordName } from "../lib/failover";
import { ACTIVE_REGION_PARAMETER, POINTER_RESOURCES, WRITER_RECORD, type PointerResource } from "../lib/pointers";
import { planStep, refreshed, writesStalePointer, type PriorResource } from "./harness/engine";
import { analyze, resourcesOfRun, stackTagsOf } from "./harness/policies";
import { readStackFile, runProgram, stackFilePath, type PlannedResource, type ProgramRun } from "./harness/program";
import { failoverPointersIgnored, POINTER_SPECS } from "../policy-pack/policies/pointers";
import { planStack, STACKS } from "./harness/stacks";

/** The input property names of a resource's `Args` interface in the installed @pulumi/aws typings. */
function argsProperties(type: string): string[] {
    const match = /^aws:([^/]+)\/([^:]+):(\w+)$/.exec(type);
    if (match === null) {
        throw new Error(`not an @pulumi/aws type token: ${type}`);
    }
    const [, module, file, name] = match;
    const root = path.dirname(require.resolve("@pulumi/aws/package.json"));
    const text = fs.readFileSync(path.join(root, module!, `${file}.d.ts`), "utf8");
    const body = new RegExp(`export interface ${name}Args \\{\\n([\\s\\S]*?)\\n\\}`).exec(text)?.[1];
    if (body === undefined) {
        throw new Error(`no ${name}Args in @pulumi/aws ${module}/${file}.d.ts`);
    }
    // Members are indented by four spaces; nested object types by more.
    return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]!);
}

/** The pointer resources of a run: the writer record and every `active-region` parameter, by their names. */
function pointerResources(run: ProgramRun): { spec: PointerResource; resource: PlannedResource }[] {
    const record = run.resources.filter((r) => r.type === WRITER_RECORD.type && r.inputs["name"] === writerRecordName(run.stack));
    const parameters = run.resources.filter(
        (r) => r.type === ACTIVE_REGION_PARAMETER.type && r.inputs["name"] === activeRegionParameterName(run.config.environment),
    );
    return [
        ...record.map((resource) => ({ spec: WRITER_RECORD, resource })),
        ...parameters.map((resource) => ({ spec: ACTIVE_REGION_PARAMETER, resource })),
    ];
}

/** The state of a resource as the last `pulumi up` left it. */
function deployed(resource: PlannedResource): PriorResource {
    return { urn: resource.urn, type: resource.type, inputs: resource.inputs, state: resource.state };
}

/** What the orchestrator has written since: another endpoint for the record, the other region for the parameter. */
function orchestratorWritten(spec: PointerResource, resource: PlannedResource, run: ProgramRun): unknown {
    if (spec === WRITER_RECORD) {
        return [`${run.stack}-promoted.cluster-0123456789ab.${run.config.drRegion}.rds.amazonaws.com`];
    }
    return resource.inputs["value"] === run.config.drRegion ? run.config.primaryRegion : run.config.drRegion;
}

/** A different value of the same shape; for a property the program does not set, the program starts setting it. */
function changedValue(value: unknown): unknown {
    if (typeof value === "number") return value + 60;
    if (typeof value === "boolean") return !value;
    if (typeof value === "string") return `${value}-changed`;
    if (Array.isArray(value)) return [...value, "changed"];
    if (value !== null && typeof value === "object") return { ...value, Changed: "yes" };
    return "changed";
}

describe("Pointers the failover orchestrators own", () => {
    describe("lib/pointers.ts: the provider's input properties, classified", () => {
        for (const spec of POINTER_RESOURCES) {
            it(`${spec.type}: every input of the installed @pulumi/aws typings is replace-on-change or ignored, never both`, () => {
                const inputs = argsProperties(spec.type);
                expect(inputs, "the typings were read").to.include(spec.pointer);
                const unclassified = inputs.filter((p) => !spec.ignoreChanges.includes(p) && !spec.replaceOnChange.includes(p));
                expect(unclassified, "classify each new argument from the provider's schema (ForceNew or not)").to.deep.equal([]);
                expect(spec.ignoreChanges.filter((p) => spec.replaceOnChange.includes(p))).to.deep.equal([]);
                expect(
                    spec.replaceOnChange.filter((p) => !inputs.includes(p)),
                    "replace-on-change names are inputs",
                ).to.deep.equal([]);
            });

            it(`${spec.type}: ignores its pointer, ${spec.pointer}`, () => {
                expect(spec.ignoreChanges).to.include(spec.pointer);
            });
        }

        it("lists beyond the inputs only tagsAll, the output the provider's default tags reach a parameter through", () => {
            const extra = POINTER_RESOURCES.flatMap((spec) =>
                spec.ignoreChanges.filter((p) => !argsProperties(spec.type).includes(p)).map((p) => `${spec.type}.${p}`),
            );
            expect(extra).to.deep.equal([`${ACTIVE_REGION_PARAMETER.type}.tagsAll`]);
        });
    });

    describe("the policy pack's failover-pointers-ignored", () => {
        it("holds the same lists as lib/pointers.ts (the pack is self-contained, so it keeps its own copy)", () => {
            expect(POINTER_SPECS.map((s) => ({ type: s.type, pointer: s.pointer, ignore: [...s.mutable].sort() }))).to.deep.equal(
                POINTER_RESOURCES.map((r) => ({ type: r.type, pointer: r.pointer, ignore: [...r.ignoreChanges].sort() })),
            );
        });

        for (const stack of STACKS) {
            it(`recognises the ${stack} stack's pointers by name, and finds them declared as lib/pointers.ts says`, async () => {
                const run = await planStack(stack);
                const pointers = pointerResources(run).map((p) => p.resource.urn);
                const { violations, evaluations } = await analyze(resourcesOfRun(run), {
                    policies: [failoverPointersIgnored],
                    stackTags: stackTagsOf(run),
                });
                expect(violations.map((v) => v.message)).to.deep.equal([]);
                const applied = evaluations.filter((e) => e.applicable).map((e) => e.urn);
                expect(applied).to.have.members(pointers);
            });
        }
    });

    for (const stack of STACKS) {
        describe(`an update of the ${stack} stack after the orchestrator moved the pointers (no refresh)`, () => {
            it("has the writer record and an active-region parameter to check", async () => {
                const found = pointerResources(await planStack(stack));
                expect(found.map((f) => f.spec)).to.include.members([WRITER_RECORD, ACTIVE_REGION_PARAMETER]);
            });

            for (const spec of POINTER_RESOURCES) {
                for (const property of argsProperties(spec.type).filter((p) => p !== spec.pointer)) {
                    const replaces = spec.replaceOnChange.includes(property);
                    it(`${spec.type}: a change of ${property} ${replaces ? "is a replacement, so it must never change (nor does it when activeRegion flips, below)" : "sends no pointer: no update at all"}`, async () => {
                        const run = await planStack(stack);
                        for (const { resource } of pointerResources(run).filter((f) => f.spec === spec)) {
                            const declared = { ...resource.inputs, [property]: changedValue(resource.inputs[property]) };
                            const step = planStep(resource.type, deployed(resource), declared, resource.options.ignoreChanges);
                            if (replaces) {
                                expect(step.op, resource.name).to.equal("replace");
                                continue;
                            }
                            expect(step.op, `${resource.name}: ${step.changed.join(", ")}`).to.equal("same");
                            expect(writesStalePointer(step, spec.pointer, orchestratorWritten(spec, resource, run))).to.equal(false);
                        }
                    });
                }

                it(`${spec.type}: a new declared ${spec.pointer} (activeRegion flipped, say) is no update either`, async () => {
                    const run = await planStack(stack);
                    for (const { resource } of pointerResources(run).filter((f) => f.spec === spec)) {
                        const declared = { ...resource.inputs, [spec.pointer]: orchestratorWritten(spec, resource, run) };
                        expect(planStep(resource.type, deployed(resource), declared, resource.options.ignoreChanges).op).to.equal("same");
                    }
                });
            }

            it("would send the stale pointer with only the pointer ignored: a TTL or description change reverts a failover", async () => {
                const run = await planStack(stack);
                const changes: Record<string, string> = { [WRITER_RECORD.type]: "ttl", [ACTIVE_REGION_PARAMETER.type]: "description" };
                for (const { spec, resource } of pointerResources(run)) {
                    const property = changes[spec.type]!;
                    const declared = { ...resource.inputs, [property]: changedValue(resource.inputs[property]) };
                    const step = planStep(resource.type, deployed(resource), declared, [spec.pointer]);
                    expect(step.op, resource.name).to.equal("update");
                    expect(step.news[spec.pointer], "the provider's Update receives the value in the state").to.deep.equal(
                        resource.inputs[spec.pointer],
                    );
                    expect(writesStalePointer(step, spec.pointer, orchestratorWritten(spec, resource, run))).to.equal(true);
                }
            });

            it("sends the live pointer even with only the pointer ignored once the state is refreshed (CI refreshes)", async () => {
                const run = await planStack(stack);
                for (const { spec, resource } of pointerResources(run)) {
                    const live = orchestratorWritten(spec, resource, run);
                    const prior = refreshed(deployed(resource), { [spec.pointer]: live });
                    const property = spec === WRITER_RECORD ? "ttl" : "description";
                    const declared = { ...resource.inputs, [property]: changedValue(resource.inputs[property]) };
                    const step = planStep(resource.type, prior, declared, [spec.pointer]);
                    expect(step.op).to.equal("update");
                    expect(writesStalePointer(step, spec.pointer, live)).to.equal(false);
                }
            });
        });
    }

    describe("the whole program run against its deployed state (the harness's engine steps)", () => {
        it("leaves both pointer resources alone (no update, no replacement) when the TTL, the stack's tags and the active region change", async () => {
            const deployedRun = await planStack("dev");
            const raw = readStackFile(stackFilePath("dev"));
            const failover = JSON.parse(raw["healthcare-dr:failover"] ?? "{}") as Record<string, unknown>;
            const ttl = deployedRun.config.failover.dnsTtlSeconds + 30;
            const tags = { ...(JSON.parse(raw["healthcare-dr:tags"] ?? "{}") as Record<string, string>), Team: "dr" };
            const run = await runProgram({
                stack: "dev",
                rawConfig: {
                    ...raw,
                    "healthcare-dr:failover": JSON.stringify({ ...failover, dnsTtlSeconds: ttl }),
                    "healthcare-dr:tags": JSON.stringify(tags),
                    "healthcare-dr:activeRegion": deployedRun.config.drRegion,
                },
                priorState: deployedRun.resources,
            });
            const pointers = pointerResources(run);
            expect(pointers.length).to.be.at.least(2);
            for (const { resource } of pointers) {
                expect(resource.step?.op, `${resource.name}: ${resource.step?.changed.join(", ")}`).to.equal("same");
            }
            // The harness does see updates: the parameter the orchestrator reads the TTL from changes, as do the tags of
            // everything that is not a pointer.
            const updated = run.resources.filter((r) => r.step?.op === "update");
            expect(updated.some((r) => r.type === ACTIVE_REGION_PARAMETER.type && r.inputs["value"] === String(ttl))).to.equal(true);
            expect(updated.length).to.be.greaterThan(10);
            expect(run.resources.filter((r) => r.step?.op === "create" || r.step?.op === "replace").map((r) => r.urn)).to.deep.equal([]);
        });
    });
});
