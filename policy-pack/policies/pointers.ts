/**
 * The pointers the failover orchestrators own: after creation, the writer record's `records` and each region's
 * `active-region` parameter value are theirs. For an ignored property the engine sends the value stored in the state,
 * so a resource that ignores only its pointer still sends the pre-failover value on any in-place update (a TTL or
 * description change): the provider's Update rewrites the whole record set (Route 53) or parameter (PutParameter).
 * Only ignoring every property the provider updates in place rules that out. This policy fails a preview (and an
 * update) that declares either resource otherwise.
 *
 * The pack is self-contained (it is published apart from the program), so the lists are its own; the program's
 * `lib/pointers.ts` declares the same ones, and `tests/pointers.test.ts` keeps the two equal.
 */
import { resourcePolicy, type PackPolicy } from "./lib/policy";
import { T } from "./lib/types";
import { str } from "./lib/values";

const IGNORE_CHANGES_DOC = "https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/";
const RECORD_SCHEMA = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/route53/record.go";
const PARAMETER_SCHEMA = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/ssm/parameter.go";

/** A resource holding an orchestrator-owned pointer, how to recognise it, and what it must ignore. */
export interface PointerSpec {
    readonly type: string;
    /** What it is, for messages. */
    readonly what: string;
    /** The input property the orchestrators own. */
    readonly pointer: string;
    /** Recognises the resource by its (deterministic) `name` input. */
    readonly name: RegExp;
    /** Every input the provider updates in place (its schema has no ForceNew on them): all must be ignored. */
    readonly mutable: readonly string[];
}

/**
 * The writer record, `writer.db.<stack>.healthcare.internal` (`writerRecordName` in lib/failover.ts). Route 53 names
 * are case-insensitive and the provider trims a trailing dot, so neither hides it.
 */
export const WRITER_RECORD_SPEC: PointerSpec = {
    type: T.route53Record,
    what: "the failover writer record",
    pointer: "records",
    name: /^writer\.db\..+\.healthcare\.internal\.?$/i,
    mutable: [
        "aliases",
        "allowOverwrite",
        "cidrRoutingPolicy",
        "failoverRoutingPolicies",
        "geolocationRoutingPolicies",
        "geoproximityRoutingPolicy",
        "healthCheckId",
        "latencyRoutingPolicies",
        "multivalueAnswerRoutingPolicy",
        "records",
        "setIdentifier",
        "ttl",
        "type",
        "weightedRoutingPolicies",
    ],
};

/** A region's `active-region` parameter, `/healthcare/<environment>/active-region` (`activeRegionParameterName`). */
export const ACTIVE_REGION_SPEC: PointerSpec = {
    type: T.ssmParameter,
    what: "an active-region parameter",
    pointer: "value",
    name: /^\/healthcare\/[^/]+\/active-region$/,
    mutable: [
        "allowedPattern",
        "arn",
        "description",
        "insecureValue",
        "keyId",
        "overwrite",
        "tags",
        "tagsAll",
        "tier",
        "type",
        "value",
        "valueWo",
        "valueWoVersion",
    ],
};

export const POINTER_SPECS: readonly PointerSpec[] = [WRITER_RECORD_SPEC, ACTIVE_REGION_SPEC];

export const failoverPointersIgnored = resourcePolicy({
    name: "failover-pointers-ignored",
    description:
        "The failover writer record and each active-region parameter ignore every property an update could change, so no pulumi up rewrites the pointer the orchestrator set.",
    remediationSteps:
        "Declare the resource with ignoreChanges: pointerIgnoreChanges(WRITER_RECORD) or pointerIgnoreChanges(ACTIVE_REGION_PARAMETER) from lib/pointers.ts (every in-place-updatable property, not only the pointer).",
    metadata: {
        concern: "recoverability",
        hipaa: ["164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)"],
        checks: "Route 53 records named writer.db.<stack>.healthcare.internal and SSM parameters /healthcare/<env>/active-region list every in-place-updatable property in ignoreChanges",
        resourceTypes: POINTER_SPECS.map((s) => s.type),
        docs: [IGNORE_CHANGES_DOC, RECORD_SCHEMA, PARAMETER_SCHEMA],
    },
    validate: (args, report) => {
        const name = str(args.props["name"]);
        const spec = POINTER_SPECS.find((s) => s.type === args.type && name !== undefined && s.name.test(name));
        if (spec === undefined) {
            return args.notApplicable("not a pointer the failover orchestrators own");
        }
        const ignored = new Set(args.opts.ignoreChanges);
        const missing = spec.mutable.filter((p) => !ignored.has(p));
        if (missing.length > 0) {
            report(
                `${name} is ${spec.what}, whose ${spec.pointer} the failover orchestrators own, but its ignoreChanges leaves out ${missing.join(", ")}: an update of any of them would send the ${spec.pointer} stored in the state, the pre-failover one unless refreshed (${IGNORE_CHANGES_DOC}).`,
            );
        }
    },
});

export const pointerPolicies: readonly PackPolicy[] = [failoverPointersIgnored];
