/**
 * The pointers the failover orchestrators own, and what a `pulumi up` may do to the resources that hold them.
 *
 * Once created, the writer record (`writer.db.<stack>.healthcare.internal`: its `records`) and each region's
 * `/healthcare/<env>/active-region` parameter (its `value`) are repointed by the orchestrators, never by Pulumi.
 * `ignoreChanges: ["records"]` alone does not keep Pulumi out: for an ignored property the engine sends the value
 * stored in the stack's state, which is the pre-failover one until a refresh, and any in-place update of the resource
 * then hands the provider's Update that stale value. The AWS provider's Update rewrites the whole record (Route 53
 * `ChangeResourceRecordSets`, DELETE of the old set and CREATE of the planned one, records included) and the whole
 * parameter (`PutParameter` of the planned value): a TTL change would point the writer record back at the old primary.
 *
 * So every property the provider can update in place is ignored: no in-place update of these resources can happen at
 * all, whatever the program changes and whether or not the state was refreshed. The properties the provider replaces
 * the resource on cannot be handled that way (ignoring them would leave the resource where it is while the program,
 * the orchestrator's IAM policy and its configuration name another one), and a replacement creates the resource from
 * the program's inputs, pointer included (ignoreChanges never applies to a create). They must therefore never change,
 * and nothing makes them: they are deterministic names of the stack and environment (`writerRecordName`,
 * `activeRegionParameterName`), the zone's id (the zone's own name is deterministic too) and the provider's region,
 * none of which depends on which region is the writer.
 *
 * The lists come from the AWS provider's resource schemas (the Terraform provider @pulumi/aws bridges): an argument is
 * replace-on-change when its schema says `ForceNew` (or a CustomizeDiff forces new on it); every other argument is
 * updated in place. `tests/pointers.test.ts` checks that the lists cover every input of the installed @pulumi/aws
 * typings, so a provider upgrade that adds an argument fails until it is classified here; the policy pack's
 * `failover-pointers-ignored` policy holds the program to them.
 * @see https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/
 * @see https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/step_generator.go (processIgnoreChanges)
 * @see https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/route53/record.go
 * @see https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/ssm/parameter.go
 */

/** A resource type holding a pointer the orchestrators own, and how the provider treats its input properties. */
export interface PointerResource {
    /** The @pulumi/aws type token. */
    readonly type: string;
    /** The input property the orchestrators write after creation. */
    readonly pointer: string;
    /**
     * Input properties the provider replaces the resource on (`ForceNew` in its schema). Never ignored; the program
     * keeps them constant (see the module comment).
     */
    readonly replaceOnChange: readonly string[];
    /** Every other input property (the pointer included): all updatable in place, all ignored after creation. */
    readonly ignoreChanges: readonly string[];
}

/**
 * The writer record (`aws_route53_record`). `zone_id` and `name` are `ForceNew`; everything else, `type` and
 * `set_identifier` included, is updated in place by a DELETE and CREATE of the record set in one change batch, with
 * the planned `records`. A Route 53 record has no tags and no per-resource region (Route 53 is a global service).
 * @see https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/route53/record.go
 */
export const WRITER_RECORD: PointerResource = {
    type: "aws:route53/record:Record",
    pointer: "records",
    replaceOnChange: ["name", "zoneId"],
    ignoreChanges: [
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

/**
 * Each region's `active-region` parameter (`aws_ssm_parameter`). `name` and `data_type` are `ForceNew`, and `region`
 * forces a replacement when it changes (the provider's `forceNewIfRegionChanges`); everything else is updated in
 * place by `PutParameter` with the planned value (`tier` forces new only from Advanced to Standard, and is updatable
 * otherwise, so it is ignored).
 *
 * Tags are ignored too, deliberately. A tags-only update does not call `PutParameter` today (the provider's Update
 * skips it when only `tags`/`tags_all` changed), but it is still an update whose inputs carry the value stored in the
 * state, and the guarantee "no update at all" should not rest on that detail of the provider's code. The price: a
 * change of the stack's `tags` does not reach this parameter. The `required-tags` policy is unaffected: at creation the
 * engine analyses the program's tags (ignoreChanges does not apply to a create), and afterwards the inputs after
 * ignoreChanges, that is the tags in the state, which passed it then. To retag the parameter, tag it with
 * `aws ssm add-tags-to-resource`; the refresh CI runs before every preview and update takes the tags into the state.
 * `tagsAll` is an output, not an input: it is how the provider's default tags (the stack's tags, program.ts) reach the
 * resource. The engine hands ignoreChanges to the provider's Diff as well, which drops a diff of an ignored attribute,
 * so listing it keeps a change of the default tags from updating the parameter that way either.
 * @see https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/ssm/parameter.go
 * @see https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/provider/sdkv2/region.go
 */
export const ACTIVE_REGION_PARAMETER: PointerResource = {
    type: "aws:ssm/parameter:Parameter",
    pointer: "value",
    replaceOnChange: ["dataType", "name", "region"],
    ignoreChanges: [
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

/** Both pointer resources. */
export const POINTER_RESOURCES: readonly PointerResource[] = [WRITER_RECORD, ACTIVE_REGION_PARAMETER];

/** The `ignoreChanges` option of a pointer resource, as a fresh array (resource options take a mutable one). */
export function pointerIgnoreChanges(resource: PointerResource): string[] {
    return [...resource.ignoreChanges];
}
