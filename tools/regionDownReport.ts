/**
 * The region-down part of the offline plan (`--region-down REGION`): what `pulumi up` would change per region while
 * REGION is unreachable, and which of REGION's resources it leaves as deployed. Pure functions of a plan.
 */
import { changesByRegion, type ChangeKind, type RegionDownPlan, type ResourceChange } from "../tests/harness/regionDown";

export interface RegionDownDocument {
    /** The region made unreachable. */
    readonly region: string;
    /** Changes per region (`create`, `update`, `delete`, `same`); the unreachable region's are all `same`. */
    readonly changes: Readonly<Record<string, Readonly<Record<ChangeKind, number>>>>;
    /** The unreachable region's resources, left exactly as deployed (no call to its API). */
    readonly untouched: readonly { readonly urn: string; readonly type: string; readonly name: string }[];
    /** Resources elsewhere that the change would create, update or delete. */
    readonly changed: readonly ResourceChange[];
    /** Invokes the program made (none: nothing is looked up). */
    readonly invokes: number;
}

export function regionDownDocument(plan: RegionDownPlan): RegionDownDocument {
    return {
        region: plan.region,
        changes: changesByRegion(plan.changes),
        untouched: plan.untouched.map(({ urn, type, name }) => ({ urn, type, name })),
        changed: plan.changes.filter((c) => c.kind !== "same"),
        invokes: plan.run.invokes.length,
    };
}

export function formatRegionDown(doc: RegionDownDocument): string {
    const lines = [`Region down: ${doc.region} unreachable (every invoke and API call to it fails)`];
    const total = (c: Readonly<Record<ChangeKind, number>>) => c.create + c.update + c.delete;
    for (const [region, c] of Object.entries(doc.changes)) {
        lines.push(
            `  ${region.padEnd(14)}${total(c)} changes (${c.create} create, ${c.update} update, ${c.delete} delete), ${c.same} unchanged`,
        );
    }
    lines.push(`  invokes made by the program: ${doc.invokes}`);
    for (const c of doc.changed) lines.push(`  ${c.kind.padEnd(7)}${(c.region ?? "").padEnd(14)}${c.type} ${c.name}`);
    lines.push(`  Not touched in ${doc.region} (left as deployed; pulumi up makes no call for them): ${doc.untouched.length}`);
    for (const r of doc.untouched) lines.push(`    ${r.type} ${r.name}`);
    return lines.join("\n") + "\n";
}
