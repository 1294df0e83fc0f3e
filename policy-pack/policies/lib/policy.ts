/**
 * What every policy of the pack carries besides the CrossGuard fields: the HIPAA Security Rule sections it
 * implements and the third-party rules it stands in for. `tools/compliance.ts` builds `docs/compliance.md` from
 * this, so the control matrix cannot drift from the code.
 */
import type {
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { plain } from "./values";

/**
 * HIPAA Security Rule (45 CFR Part 164, Subpart C) sections the pack implements, with their titles (in the rule's order).
 * @see https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C
 */
export const HIPAA_SECTIONS = {
    "164.308(a)(1)(ii)(A)": "Risk analysis",
    "164.308(a)(1)(ii)(B)": "Risk management",
    "164.308(a)(1)(ii)(D)": "Information system activity review",
    "164.308(a)(3)(i)": "Workforce security",
    "164.308(a)(3)(ii)(A)": "Authorization and/or supervision",
    "164.308(a)(4)(ii)(A)": "Isolating health care clearinghouse functions",
    "164.308(a)(4)(ii)(B)": "Access authorization",
    "164.308(a)(4)(ii)(C)": "Access establishment and modification",
    "164.308(a)(5)(ii)(B)": "Protection from malicious software",
    "164.308(a)(6)(ii)": "Response and reporting",
    "164.308(a)(7)(i)": "Contingency plan",
    "164.308(a)(7)(ii)(A)": "Data backup plan",
    "164.308(a)(7)(ii)(B)": "Disaster recovery plan",
    "164.308(a)(7)(ii)(C)": "Emergency mode operation plan",
    "164.308(a)(7)(ii)(D)": "Testing and revision procedures",
    "164.312(a)(1)": "Access control",
    "164.312(a)(2)(iv)": "Encryption and decryption",
    "164.312(b)": "Audit controls",
    "164.312(c)(1)": "Integrity",
    "164.312(c)(2)": "Mechanism to authenticate electronic protected health information",
    "164.312(e)(1)": "Transmission security",
    "164.312(e)(2)(i)": "Integrity controls",
    "164.312(e)(2)(ii)": "Encryption (transmission)",
    "164.316(b)(2)(i)": "Documentation: time limit (retained six years)",
} as const;

export type HipaaSection = keyof typeof HIPAA_SECTIONS;

/** The concern a policy belongs to; one module per concern. */
export type Concern =
    | "encryption-at-rest"
    | "encryption-in-transit"
    | "public-access"
    | "audit"
    | "monitoring"
    | "secure-configuration"
    | "recoverability"
    | "least-privilege"
    | "data-residency"
    | "tagging"
    | "deploy-time-constraints"
    | "recovery-objectives";

export interface PolicyMetadata {
    readonly concern: Concern;
    /** HIPAA Security Rule sections the policy implements. */
    readonly hipaa: readonly HipaaSection[];
    /** One line for the control matrix: what the policy checks. */
    readonly checks: string;
    /** Resource types the policy inspects (type tokens), for the per-stack coverage counts. */
    readonly resourceTypes: readonly string[];
    /** cdk-nag `HIPAA.Security` rules this policy covers. */
    readonly cdkNag?: readonly string[];
    /**
     * AWS Config managed rules this policy covers; docs/compliance.md matches those of the "Operational Best Practices
     * for HIPAA Security" conformance pack (the others are the same check where AWS has one outside that pack).
     */
    readonly awsConfig?: readonly string[];
    /** AWS documentation the policy relies on (deploy-time constraints cite the page that states them). */
    readonly docs?: readonly string[];
    /**
     * What the policy cannot decide in a first `pulumi preview`, and why (see `DECIDED_AT_UPDATE`): listed in
     * docs/compliance.md. A policy without it decides everything at preview; the plan tests hold both to it.
     */
    readonly atPreview?: string;
}

export type PackResourcePolicy = ResourceValidationPolicy & { readonly metadata: PolicyMetadata };
export type PackStackPolicy = StackValidationPolicy & { readonly metadata: PolicyMetadata };
export type PackPolicy = PackResourcePolicy | PackStackPolicy;

export function isStackPolicy(policy: PackPolicy): policy is PackStackPolicy {
    return typeof (policy as Partial<PackStackPolicy>).validateStack === "function";
}

/** Fills in the CrossGuard compliance fields from the metadata, so the Pulumi Cloud console shows them too. */
function withFramework<P extends PackPolicy>(policy: P): P {
    return {
        ...policy,
        framework: {
            name: "HIPAA Security Rule",
            version: "45 CFR 164 Subpart C",
            reference: policy.metadata.hipaa.join(", "),
            specification: policy.metadata.hipaa.map((s) => `${s} ${HIPAA_SECTIONS[s]}`).join("; "),
        },
        tags: [policy.metadata.concern, ...policy.metadata.hipaa.map((s) => `hipaa:${s}`)],
    };
}

/**
 * The start of the reason a policy gives, through `notApplicable`, when what it checks is not known before the
 * resources it depends on exist (a first preview). `pulumi up` runs the same policy with the values then known: a
 * resource policy just before it creates the resource, so a violation still blocks it; a stack policy once the update
 * is over. Each use is listed in the policy's metadata (`atPreview`) and in docs/compliance.md; the offline plan
 * reports them apart (`npm run plan -- --preview`).
 */
export const DECIDED_AT_UPDATE = "not known at preview, decided by pulumi up";

/** The `notApplicable` reason of a resource policy for a value `what` that is not known at preview time. */
export function decidedAtUpdate(what: string): string {
    return `${DECIDED_AT_UPDATE} before it creates the resource: ${what}`;
}

/** The `notApplicable` reason of a stack policy for a value `what` that is not known at preview time. */
export function decidedAfterUpdate(what: string): string {
    return `${DECIDED_AT_UPDATE} once the update is over: ${what}`;
}

export interface ResourcePolicySpec {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel?: "advisory" | "mandatory";
    readonly configSchema?: PolicyConfigSchema;
    readonly remediationSteps?: string;
    readonly metadata: PolicyMetadata;
    /**
     * Which types the policy applies to; defaults to the types of `metadata.resourceTypes`. Other types are reported
     * not applicable, as the SDK's `validateResourceOfType` does.
     */
    readonly appliesTo?: (type: string) => boolean;
    readonly validate: (resource: ResourceValidationArgs, report: ReportViolation) => void;
}

/** What resource and stack policies share: name, description, enforcement (mandatory unless said), config, metadata. */
function commonFields(spec: ResourcePolicySpec | StackPolicySpec) {
    return {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel ?? "mandatory",
        ...(spec.configSchema !== undefined ? { configSchema: spec.configSchema } : {}),
        ...(spec.remediationSteps !== undefined ? { remediationSteps: spec.remediationSteps } : {}),
        metadata: spec.metadata,
    };
}

/**
 * The validation arguments with the plain values behind the SDK's unknown-checking proxy: each policy decides what
 * an unknown value means (see `values.ts`) instead of being turned into a "can't run ... during preview" note.
 */
function plainArgs(args: ResourceValidationArgs): ResourceValidationArgs {
    const props = plain(args.props);
    return {
        ...args,
        props,
        asType: ((resourceClass: unknown) =>
            args.asType(resourceClass as never) === undefined ? undefined : props) as ResourceValidationArgs["asType"],
        ...(args.provider !== undefined ? { provider: { ...args.provider, props: plain(args.provider.props) } } : {}),
    };
}

/** The stack's resources with plain values, parents and dependencies pointing at the plain copies. */
function plainStackArgs(args: StackValidationArgs): StackValidationArgs {
    const copies = new Map<PolicyResource, PolicyResource>();
    for (const r of args.resources) {
        const props = plain(r.props);
        copies.set(r, {
            ...r,
            props,
            asType: ((resourceClass: unknown) =>
                r.asType(resourceClass as never) === undefined ? undefined : props) as PolicyResource["asType"],
            ...(r.provider !== undefined ? { provider: { ...r.provider, props: plain(r.provider.props) } } : {}),
        });
    }
    const copyOf = (r: PolicyResource) => copies.get(r) ?? r;
    for (const [original, copy] of copies) {
        if (original.parent !== undefined) {
            copy.parent = copyOf(original.parent);
        }
        copy.dependencies = original.dependencies.map(copyOf);
        copy.propertyDependencies = Object.fromEntries(
            Object.entries(original.propertyDependencies).map(([k, deps]) => [k, deps.map(copyOf)]),
        );
    }
    return { ...args, resources: args.resources.map(copyOf) };
}

export function resourcePolicy(spec: ResourcePolicySpec): PackResourcePolicy {
    const types = new Set(spec.metadata.resourceTypes);
    const appliesTo = spec.appliesTo ?? ((type: string) => types.has(type));
    return withFramework({
        ...commonFields(spec),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            if (!appliesTo(args.type)) {
                args.notApplicable(`Policy only applies to resources of type ${[...types].join(", ")}`);
            }
            spec.validate(plainArgs(args), report);
        },
    });
}

export interface StackPolicySpec {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel?: "advisory" | "mandatory";
    readonly configSchema?: PolicyConfigSchema;
    readonly remediationSteps?: string;
    readonly metadata: PolicyMetadata;
    readonly validate: (stack: StackValidationArgs, report: ReportViolation) => void;
}

export function stackPolicy(spec: StackPolicySpec): PackStackPolicy {
    return withFramework({
        ...commonFields(spec),
        validateStack: (args: StackValidationArgs, report: ReportViolation) => spec.validate(plainStackArgs(args), report),
    });
}
