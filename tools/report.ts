/**
 * The offline plan as a document (for `--json`) and as text (for people). Pure functions of a program run, so the
 * report is tested without running anything.
 */
import type { PlannedResource, ProgramRun } from "../tests/harness/program";
import { formatSeconds } from "../lib/duration";
import {
    databaseRpoText,
    globalTableRpoText,
    objectStorageRpoText,
    recoveryBudget,
    rpoBudgetText,
    type RecoveryBudget,
} from "../lib/recoveryBudget";
import { describeRegion } from "../lib/regions";

/** One policy violation, as the policy pack reports it. */
export interface PlanViolation {
    readonly policyName: string;
    readonly enforcementLevel: string;
    readonly message: string;
    readonly urn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
}

/**
 * A policy the pack could not decide in a preview: a "can't run policy ... during preview" note (it read a value
 * unknown before the resources exist; advisory whatever its level), or a part a policy leaves to `pulumi up`.
 */
export interface PlanNote {
    readonly policyName: string;
    /** The level the policy enforces once it decides. */
    readonly enforcementLevel: string;
    readonly message: string;
    readonly urn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
}

export interface PlanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly region: string | null;
    /** URN of the parent resource, `null` for resources at the top of the stack. */
    readonly parent: string | null;
    /** The nearest component this resource belongs to (`type name`), `null` at the top of the stack. */
    readonly component: string | null;
    readonly provider: string | null;
    readonly custom: boolean;
    readonly inputs: Readonly<Record<string, unknown>>;
    readonly options: {
        readonly protect: boolean;
        readonly retainOnDelete: boolean;
        readonly ignoreChanges: readonly string[];
        readonly dependsOn: readonly string[];
    };
}

export interface PlanDocument {
    readonly project: string;
    readonly stack: string;
    readonly environment: string;
    readonly configFile: string | null;
    readonly regions: { readonly primary: string; readonly dr: string };
    readonly objectives: { readonly rto: { text: string; seconds: number }; readonly rpo: { text: string; seconds: number } };
    /** The worst case this stack's settings allow, computed by the same function the program exports it with. */
    readonly recoveryBudget: RecoveryBudget;
    readonly resources: readonly PlanResource[];
    readonly outputs: Readonly<Record<string, unknown>>;
    /** True for `--preview`: the first preview of the empty stack, where computed outputs are unknown. */
    readonly preview: boolean;
    /** Policy violations; `policyPack` says whether the pack ran. */
    readonly violations: readonly PlanViolation[];
    /** "can't run policy ... during preview" notes, apart from the violations (empty unless `preview`). */
    readonly cantRun: readonly PlanNote[];
    /** What policies leave to `pulumi up` because it is not known at preview (empty unless `preview`). */
    readonly decidedAtUpdate: readonly PlanNote[];
    readonly policyPack: { readonly ran: boolean; readonly policies: number };
    /** Warnings printed while the program ran (deprecations would show here). */
    readonly warnings: readonly string[];
}

export const SECRET = "[secret]";

/** Replaces the secret inputs of a resource (paths such as `a.b[0]`) with `[secret]`. */
export function redactSecrets(inputs: Readonly<Record<string, unknown>>, secretPaths: readonly string[]): Record<string, unknown> {
    if (secretPaths.length === 0) {
        return { ...inputs };
    }
    const copy = structuredClone(inputs) as Record<string, unknown>;
    for (const path of secretPaths) {
        const segments = path.match(/[^.[\]]+/g) ?? [];
        let node: unknown = copy;
        segments.forEach((segment, i) => {
            if (node === null || typeof node !== "object") {
                return;
            }
            const container = node as Record<string, unknown>;
            if (i === segments.length - 1) {
                container[segment] = SECRET;
            } else {
                node = container[segment];
            }
        });
    }
    return copy;
}

export function buildPlanDocument(
    run: ProgramRun,
    options: {
        configFile?: string;
        violations: readonly PlanViolation[];
        cantRun?: readonly PlanNote[];
        decidedAtUpdate?: readonly PlanNote[];
        policyCount: number;
        policyPackRan: boolean;
    },
): PlanDocument {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const componentOf = (r: PlannedResource): PlannedResource | undefined => {
        let parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
        while (parent !== undefined && parent.custom) {
            parent = parent.parent === undefined ? undefined : byUrn.get(parent.parent);
        }
        return parent;
    };
    return {
        project: run.project,
        stack: run.stack,
        environment: run.config.environment,
        configFile: options.configFile ?? null,
        regions: { primary: run.config.primaryRegion, dr: run.config.drRegion },
        objectives: {
            rto: { text: run.config.objectives.rto.text, seconds: run.config.objectives.rto.seconds },
            rpo: { text: run.config.objectives.rpo.text, seconds: run.config.objectives.rpo.seconds },
        },
        recoveryBudget: recoveryBudget(run.config),
        resources: run.resources.map((r) => {
            const component = componentOf(r);
            return {
                urn: r.urn,
                type: r.type,
                name: r.name,
                region: r.region ?? null,
                parent: r.parent ?? null,
                component: component === undefined ? null : `${component.type} ${component.name}`,
                provider: r.provider ?? null,
                custom: r.custom,
                inputs: redactSecrets(r.inputs, r.secretInputs),
                options: {
                    protect: r.options.protect,
                    retainOnDelete: r.options.retainOnDelete,
                    ignoreChanges: r.options.ignoreChanges,
                    dependsOn: r.options.dependsOn,
                },
            };
        }),
        outputs: run.outputs,
        preview: run.preview,
        violations: options.violations,
        cantRun: options.cantRun ?? [],
        decidedAtUpdate: options.decidedAtUpdate ?? [],
        policyPack: { ran: options.policyPackRan, policies: options.policyCount },
        warnings: run.warnings,
    };
}

/** True when any violation would block `pulumi up` (mandatory enforcement). */
export function hasMandatoryViolations(doc: PlanDocument): boolean {
    return doc.violations.some((v) => v.enforcementLevel === "mandatory");
}

function pad(text: string, width: number): string {
    return text.length >= width ? `${text} ` : text + " ".repeat(width - text.length);
}

function flags(r: PlanResource): string {
    const f: string[] = [];
    if (r.options.protect) f.push("protect");
    if (r.options.retainOnDelete) f.push("retain-on-delete");
    if (r.options.ignoreChanges.length > 0) f.push(`ignore-changes: ${r.options.ignoreChanges.join(", ")}`);
    return f.length > 0 ? `  [${f.join("; ")}]` : "";
}

function renderOutput(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

function formatNotes(title: string, notes: readonly PlanNote[]): string[] {
    if (notes.length === 0) {
        return [`${title}: none`];
    }
    const lines = [`${title}: ${notes.length}`];
    for (const n of notes) {
        lines.push(
            `  ${n.policyName} (${n.enforcementLevel}) ${n.resourceName !== undefined ? `${n.resourceType ?? ""} ${n.resourceName}` : "stack"}: ${n.message}`,
        );
    }
    return lines;
}

/** The report for people: resources grouped by component and region, outputs, objectives, violations. */
export function formatText(doc: PlanDocument): string {
    const lines: string[] = [];
    const custom = doc.resources.filter((r) => r.custom);
    lines.push(`Offline plan: project ${doc.project}, stack ${doc.stack} (environment ${doc.environment})`);
    if (doc.configFile !== null) lines.push(`Stack file: ${doc.configFile}`);
    lines.push(`Regions: primary ${describeRegion(doc.regions.primary)}, DR ${describeRegion(doc.regions.dr)}`);
    lines.push("");
    lines.push(`Resources: ${custom.length} (in ${doc.resources.length - custom.length} components)`);

    const groups = new Map<string, PlanResource[]>();
    for (const r of custom) {
        const key = r.component ?? "(stack)";
        groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [component, members] of groups) {
        lines.push(`  ${component}`);
        const regions = [...new Set(members.map((m) => m.region ?? "(no region)"))];
        for (const region of regions) {
            for (const r of members.filter((m) => (m.region ?? "(no region)") === region)) {
                lines.push(`    ${pad(region, 14)}${pad(r.type, 52)}${r.name}${flags(r)}`);
            }
        }
    }

    lines.push("");
    lines.push("Outputs");
    const width = Math.max(0, ...Object.keys(doc.outputs).map((k) => k.length)) + 2;
    for (const [key, value] of Object.entries(doc.outputs)) {
        lines.push(`  ${pad(key, width)}${renderOutput(value)}`);
    }

    lines.push("");
    const b = doc.recoveryBudget;
    lines.push(
        `Recovery objectives, against the worst case this stack's settings allow, for a failover from ${b.direction.from} (activeRegion) to ${b.direction.to}`,
    );
    const verdict = (budget: number, objective: number) => (budget <= objective ? "within" : "OVER");
    const t = formatSeconds;
    lines.push(
        `  RTO ${doc.objectives.rto.text} (${doc.objectives.rto.seconds} s): budget ${t(b.rtoSeconds)} (${b.rtoSeconds} s), ${verdict(b.rtoSeconds, doc.objectives.rto.seconds)}`,
    );
    lines.push(
        `    detection ${t(b.rto.detectionSeconds)} (slower of: Route 53 health check ${t(b.rto.detectionPaths.healthCheckSeconds)}, replication-lag alarm ${t(b.rto.detectionPaths.replicationLagAlarmSeconds)}; then the orchestrator's detection window ${t(b.rto.detectionWindowSeconds)})`,
    );
    lines.push(`    operator response ${t(b.rto.operatorResponseSeconds)}`);
    lines.push(
        `    orchestration ${t(b.rto.orchestrationSeconds)} (${b.rto.orchestrationSource === "measured" ? "measured" : "the sum of the run's step deadlines; npm run drill measures it"})`,
    );
    lines.push(`    promotion ${t(b.rto.promotionSeconds)}, DNS TTL ${t(b.rto.dnsTtlSeconds)}`);
    const app = b.rto.application;
    lines.push(
        app === null
            ? "    application: none (no application tier; the budget ends at the writer)"
            : `    application ${t(app.totalSeconds)}: scale-out ${t(app.scaleOutSeconds)} (Fargate task start, an assumption), target health ${t(app.targetHealthSeconds)}, metric period ${t(app.metricPeriodSeconds)}, Route 53 check ${t(app.healthCheckSeconds)}, alias TTL ${t(app.aliasTtlSeconds)}`,
    );
    lines.push(
        `  RPO ${doc.objectives.rpo.text} (${doc.objectives.rpo.seconds} s): budget ${rpoBudgetText(b)}, ${b.rpoSeconds === null ? "NOT BOUNDED" : verdict(b.rpoSeconds, doc.objectives.rpo.seconds)}`,
    );
    lines.push(`    database ${databaseRpoText(b)}, S3 replication ${objectStorageRpoText(b)}, global tables ${globalTableRpoText(b)}`);
    lines.push(`    restoring from the cross-region backup copies instead: up to ${t(b.backupRpoSeconds)} (the backup interval)`);

    lines.push("");
    if (!doc.policyPack.ran) {
        lines.push("Policy violations: policy pack not run");
    } else if (doc.violations.length === 0) {
        lines.push(`Policy violations: none (${doc.policyPack.policies} policies)`);
    } else {
        lines.push(`Policy violations: ${doc.violations.length} (${doc.policyPack.policies} policies)`);
        const byPolicy = new Map<string, PlanViolation[]>();
        for (const v of doc.violations) byPolicy.set(v.policyName, [...(byPolicy.get(v.policyName) ?? []), v]);
        for (const [policy, violations] of byPolicy) {
            lines.push(`  ${policy} (${violations[0]!.enforcementLevel})`);
            for (const v of violations) {
                lines.push(`    ${v.resourceName !== undefined ? `${v.resourceType ?? ""} ${v.resourceName}: ` : "stack: "}${v.message}`);
            }
        }
    }
    if (doc.preview && doc.policyPack.ran) {
        lines.push(...formatNotes("Can't run during preview (advisory notes, not violations)", doc.cantRun));
        lines.push(...formatNotes("Left to pulumi up (not known before the resources exist)", doc.decidedAtUpdate));
    }
    lines.push(doc.warnings.length === 0 ? "Warnings: none" : `Warnings: ${doc.warnings.length}`);
    for (const w of doc.warnings) lines.push(`  ${w}`);
    return lines.join("\n") + "\n";
}
