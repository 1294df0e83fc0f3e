/**
 * The harness's model of the Pulumi engine for a stack that already has state (`tests/harness/engine.ts`): how
 * ignoreChanges turns the program's inputs into what the provider receives, when that is a create, nothing, an update
 * or a replacement, what a refresh changes, and that the region-down baseline and the change list honour it too.
 */
import { expect } from "chai";
import { WRITER_RECORD } from "../lib/pointers";
import { parsePropertyPath, planStep, processIgnoreChanges, refreshed, type PriorResource } from "./harness/engine";
import { AwsMocks, UnreachableRegionError } from "./harness/mocks";
import type { PlannedResource, ProgramRun } from "./harness/program";
import { diffRuns } from "./harness/regionDown";

describe("the engine model (tests/harness/engine.ts)", () => {
    const old = { ttl: 30, records: ["old.example"], tags: { A: "1" } };

    it("sends the state's value for an ignored property, the program's for the others", () => {
        expect(processIgnoreChanges({ ttl: 60, records: ["new.example"] }, old, ["records"])).to.deep.equal({
            ttl: 60,
            records: ["old.example"],
        });
    });

    it("removes an ignored property the state does not have, and restores one the program no longer sets", () => {
        expect(processIgnoreChanges({ ttl: 30, description: "new" }, old, ["description", "records"])).to.deep.equal({
            ttl: 30,
            records: ["old.example"],
        });
    });

    it("resets nested paths, and refuses a path whose parent is missing, as the engine does", () => {
        expect(processIgnoreChanges({ tags: { A: "2", B: "x" } }, old, ["tags.A"])).to.deep.equal({ tags: { A: "1", B: "x" } });
        expect(() => processIgnoreChanges({}, old, ["tags.A"])).to.throw(/elements of the path are missing: "tags.A"/);
    });

    it("parses the property paths the engine accepts, and refuses wildcards rather than guess", () => {
        expect(parsePropertyPath('a.b[0]["c.d"]')).to.deep.equal(["a", "b", 0, "c.d"]);
        expect(() => parsePropertyPath("tags.*")).to.throw(/wildcards/);
    });

    it("creates a new resource from the program's inputs: ignoreChanges never applies to a create", () => {
        const step = planStep(WRITER_RECORD.type, undefined, { name: "w", records: ["declared"] }, ["records"]);
        expect(step).to.deep.include({ op: "create", news: { name: "w", records: ["declared"] } });
    });

    it("replaces on a replace-on-change property, updates in place on any other, and calls nothing when nothing changed", () => {
        const prior: PriorResource = { urn: "u", type: WRITER_RECORD.type, inputs: { name: "w", ttl: 30 }, state: {} };
        expect(planStep(prior.type, prior, { name: "w", ttl: 30 }, []).op).to.equal("same");
        expect(planStep(prior.type, prior, { name: "w", ttl: 60 }, []).op).to.equal("update");
        expect(planStep(prior.type, prior, { name: "v", ttl: 60 }, [])).to.deep.include({ op: "replace", replaceKeys: ["name"] });
    });

    it("takes the live value into the state's inputs on a refresh", () => {
        const prior: PriorResource = { urn: "u", type: WRITER_RECORD.type, inputs: { records: ["old"] }, state: { records: ["old"] } };
        expect(refreshed(prior, { records: ["live"] }).inputs).to.deep.equal({ records: ["live"] });
    });
});

describe("the region-down baseline and change list (unchanged resources are never sent to the provider)", () => {
    const PROVIDER = "urn:pulumi:dev::healthcare-dr::pulumi:providers:aws::dr::dr-provider-id";
    const TYPE = WRITER_RECORD.type;
    const deployed = { zoneId: "Z1", name: "writer.db.dev.healthcare.internal", type: "CNAME", ttl: 30, records: ["old.example"] };
    const downRegion = () => {
        const mocks = new AwsMocks({
            unreachableRegions: ["eu-west-1"],
            baseline: [
                { type: TYPE, name: "writer", region: "eu-west-1", inputs: deployed, id: "Z1_writer", state: { ...deployed, fqdn: "w" } },
            ],
        });
        mocks.newResource({
            type: "pulumi:providers:aws",
            name: "dr",
            inputs: { region: "eu-west-1", skipCredentialsValidation: true, skipRegionValidation: true, skipRequestingAccountId: true },
            custom: true,
        });
        return mocks;
    };

    it("keeps the deployed state of a resource whose only changes are ignored, as the engine makes no call for it", () => {
        const mocks = downRegion();
        mocks.noteIgnoreChanges(TYPE, "writer", ["records", "ttl"]);
        const result = mocks.newResource({
            type: TYPE,
            name: "writer",
            inputs: { ...deployed, ttl: 60, records: ["new"] },
            provider: PROVIDER,
            custom: true,
        });
        expect(result).to.deep.equal({ id: "Z1_writer", state: { ...deployed, fqdn: "w" } });
    });

    it("fails as unreachable when a change is not ignored: that update needs the region's API", () => {
        const mocks = downRegion();
        mocks.noteIgnoreChanges(TYPE, "writer", ["records"]);
        expect(() =>
            mocks.newResource({ type: TYPE, name: "writer", inputs: { ...deployed, ttl: 60 }, provider: PROVIDER, custom: true }),
        ).to.throw(UnreachableRegionError, /update writer/);
    });

    it("lists a resource whose only changes are ignored as unchanged", () => {
        const resource = (inputs: Record<string, unknown>, ignoreChanges: string[]) =>
            ({ urn: "urn:w", type: TYPE, name: "writer", custom: true, inputs, options: { ignoreChanges } }) as unknown as PlannedResource;
        const run = (r: PlannedResource) => ({ resources: [r] }) as unknown as ProgramRun;
        const before = run(resource(deployed, ["records", "ttl"]));
        expect(diffRuns(before, run(resource({ ...deployed, ttl: 60 }, ["records", "ttl"])))[0]?.kind).to.equal("same");
        expect(diffRuns(before, run(resource({ ...deployed, ttl: 60 }, ["records"])))[0]?.kind).to.equal("update");
    });
});
