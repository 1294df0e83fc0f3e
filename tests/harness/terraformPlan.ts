/**
 * Converts the resources of a planned run (the mocks harness: type token + inputs) into a Terraform plan in its JSON
 * form (`terraform show -json`), so that a scanner of Terraform plans (Checkov, `--framework terraform_plan`) can check
 * the stack. The Pulumi AWS provider is bridged from the Terraform AWS provider: each Pulumi resource is a Terraform
 * resource with its names camel-cased, its single nested blocks flattened into objects and its repeated blocks given
 * plural names. This undoes those three changes and nothing else.
 *
 * The plan is a first apply: every resource is created (`change.actions: ["create"]`). As in Terraform's own plan of a
 * first apply, a string input that is another resource's id or ARN (Pulumi: `bucket: bucket.id`) is unknown in
 * `after` and recorded as a reference in `configuration`, which is what a scanner's graph checks follow (an S3 bucket
 * and its public access block, a log group and its key).
 *
 * Format: https://developer.hashicorp.com/terraform/internals/json-format
 */

/** The parts of a planned resource (`tests/harness/program.ts` `PlannedResource`) the conversion reads. */
export interface SourceResource {
    readonly urn: string;
    /** Pulumi type token, `aws:<module>/<member>:<Type>`. */
    readonly type: string;
    /** Pulumi logical name. */
    readonly name: string;
    /** False for component resources, which have no Terraform counterpart. */
    readonly custom: boolean;
    readonly id?: string;
    readonly inputs: Readonly<Record<string, unknown>>;
    readonly state?: Readonly<Record<string, unknown>>;
    readonly options?: { readonly propertyDependencies?: Readonly<Record<string, readonly string[]>> };
}

export interface TerraformResource {
    readonly address: string;
    readonly mode: "managed";
    readonly type: string;
    readonly name: string;
    readonly provider_name: string;
    readonly values: Record<string, unknown>;
}

export interface TerraformResourceChange {
    readonly address: string;
    readonly mode: "managed";
    readonly type: string;
    readonly name: string;
    readonly provider_name: string;
    readonly change: {
        readonly actions: readonly ["create"];
        readonly before: null;
        readonly after: Record<string, unknown>;
        readonly after_unknown: Record<string, unknown>;
    };
}

export interface TerraformConfigResource {
    readonly address: string;
    readonly mode: "managed";
    readonly type: string;
    readonly name: string;
    readonly expressions: Record<string, unknown>;
}

export interface TerraformPlan {
    readonly format_version: string;
    readonly terraform_version: string;
    readonly planned_values: { readonly root_module: { readonly resources: TerraformResource[] } };
    readonly resource_changes: TerraformResourceChange[];
    readonly configuration: { readonly root_module: { readonly resources: TerraformConfigResource[] } };
}

/** Where a Terraform resource of the plan came from: its address and the Pulumi resource's URN and type. */
export interface PlanEntry {
    readonly address: string;
    readonly urn: string;
    readonly pulumiType: string;
}

export interface ConvertedPlan {
    readonly plan: TerraformPlan;
    /** One entry per converted resource, in plan order: maps a scanner's resource address back to the URN. */
    readonly entries: readonly PlanEntry[];
}

/** The Terraform provider of a Terraform type: `aws_vpc` -> `registry.terraform.io/hashicorp/aws`. */
function providerName(type: string): string {
    return `registry.terraform.io/hashicorp/${type.slice(0, type.indexOf("_"))}`;
}

/**
 * Pulumi modules whose Terraform resources carry another prefix than the module name (everything else is
 * `aws_<module>_<member>`). The `cfg` module is AWS Config, whose Terraform resources are `aws_config_*`.
 */
const MODULE_PREFIXES: Readonly<Record<string, string>> = {
    cfg: "config",
};

/**
 * Type tokens whose Terraform names do not follow `aws_<module>_<member in snake case>`: the EC2 networking resources
 * (Terraform names most without a prefix), renamed members, and AWS Config resources whose Pulumi names drop the
 * "configuration"/"config" Terraform repeats. From the Pulumi AWS provider's mapping
 * (https://github.com/pulumi/pulumi-aws/blob/master/provider/resources.go) and each resource's registry page.
 */
export const TYPE_OVERRIDES: Readonly<Record<string, string>> = {
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "aws_config_configuration_recorder_status",
    "aws:cfg/deliveryChannel:DeliveryChannel": "aws_config_delivery_channel",
    "aws:cfg/conformancePack:ConformancePack": "aws_config_conformance_pack",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "aws_vpc_peering_connection",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": "aws_vpc_peering_connection_accepter",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": "aws_serverlessapplicationrepository_cloudformation_stack",
    "random:index/randomPassword:RandomPassword": "random_password",
};

/**
 * Repeated blocks: Pulumi names them in the plural, Terraform in the singular (`replicas` -> `replica`). A list of
 * objects under a key in neither this table nor `PLURAL_BLOCKS` is refused, so a new block is decided, not guessed.
 */
export const SINGULAR_BLOCKS: Readonly<Record<string, string>> = {
    advancedEventSelectors: "advanced_event_selector",
    aliases: "alias",
    attributes: "attribute",
    capacityProviderStrategies: "capacity_provider_strategy",
    copyActions: "copy_action",
    dataResources: "data_resource",
    defaultActions: "default_action",
    destinations: "destination",
    encryptionConfigurations: "encryption_configuration",
    evaluationModes: "evaluation_mode",
    eventSelectors: "event_selector",
    failoverRoutingPolicies: "failover_routing_policy",
    fieldSelectors: "field_selector",
    globalSecondaryIndexes: "global_secondary_index",
    inputParameters: "input_parameter",
    insightSelectors: "insight_selector",
    loadBalancers: "load_balancer",
    metricQueries: "metric_query",
    localSecondaryIndexes: "local_secondary_index",
    noncurrentVersionTransitions: "noncurrent_version_transition",
    notifications: "notification",
    orderedPlacementStrategies: "ordered_placement_strategy",
    parameters: "parameter",
    recordingStrategies: "recording_strategy",
    replicas: "replica",
    repositoryFilters: "repository_filter",
    ruleActionOverrides: "rule_action_override",
    rules: "rule",
    settings: "setting",
    sourceDetails: "source_detail",
    statements: "statement",
    stepAdjustments: "step_adjustment",
    transitions: "transition",
    volumes: "volume",
    vpcs: "vpc",
};

/** Repeated blocks whose Terraform name is the plural too (snake-cased as is). */
export const PLURAL_BLOCKS: ReadonlySet<string> = new Set(["egress", "ingress", "metrics", "redactedFields", "exclusionByResourceTypes"]);

/** Inputs that are maps (free-form keys), not blocks: kept as objects, their keys unchanged. */
export const MAP_INPUTS: ReadonlySet<string> = new Set([
    "tags",
    "tagsAll",
    "dimensions",
    "variables",
    // EventBridge input transformer: JSON paths by the names the template uses.
    "inputPaths",
    "resourceTypeOptInPreference",
    "resourceTypeManagementPreference",
]);

/** `camelCase` -> `snake_case`, as the bridge derives Pulumi names from Terraform's (`s3KmsKeyArn` -> `s3_kms_key_arn`). */
export function snakeCase(name: string): string {
    return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The Terraform type of a Pulumi AWS type token; throws on a token that is not an AWS resource. */
export function terraformType(token: string): string {
    const override = TYPE_OVERRIDES[token];
    if (override !== undefined) return override;
    const match = /^aws:([a-z0-9]+)\/([a-zA-Z0-9]+):([A-Za-z0-9]+)$/.exec(token);
    if (match === null) {
        throw new Error(
            `${token}: not a Pulumi AWS resource type token (aws:<module>/<member>:<Type>) and not in TYPE_OVERRIDES (tests/harness/terraformPlan.ts): add its Terraform type there`,
        );
    }
    const [, module, member] = match;
    return `aws_${MODULE_PREFIXES[module!] ?? module}_${snakeCase(member!)}`;
}

/** A Terraform resource name from a Pulumi logical name: letters, digits, `_` and `-`, starting with a letter or `_`. */
export function terraformName(name: string): string {
    const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_");
    return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Pulumi assets and archives (a Lambda's code, an S3 object's source): files, not values a check reads. */
function isAsset(value: unknown): boolean {
    return isPlainObject(value) && (value["__pulumiAsset"] === true || value["__pulumiArchive"] === true);
}

/** What a string input of a resource refers to: another resource's attribute, as a Terraform reference. */
type ReferenceOf = (value: string) => string | undefined;

/**
 * The attributes of a resource another one's input may be computed from (`bucket.id`, `key.arn`, `lb.dnsName`), in
 * the order they are tried. Only these: a value equal to a dependency's region or billing mode is a copy, not a
 * reference.
 */
export const REFERENCE_ATTRIBUTES: readonly string[] = ["arn", "id", "name", "dnsName", "zoneId"];

/** Terraform lists both the attribute and the resource it belongs to: `aws_s3_bucket.a.id`, `aws_s3_bucket.a`. */
function referenceWithResource(reference: string): string[] {
    return [reference, reference.slice(0, reference.lastIndexOf("."))];
}

interface Converted {
    readonly after: Record<string, unknown>;
    readonly afterUnknown: Record<string, unknown>;
    readonly expressions: Record<string, unknown>;
}

/** Converts one object of inputs (a resource's, or a nested block's). `where` names it in errors. */
function convertObject(inputs: Readonly<Record<string, unknown>>, where: string, referenceOf: ReferenceOf): Converted {
    const after: Record<string, unknown> = {};
    const afterUnknown: Record<string, unknown> = {};
    const expressions: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(inputs)) {
        if (value === undefined || key.startsWith("__") || isAsset(value)) continue;
        const path = `${where}.${key}`;
        if (MAP_INPUTS.has(key) && isPlainObject(value)) {
            after[snakeCase(key)] = { ...value };
        } else if (Array.isArray(value) && value.some(isPlainObject)) {
            const block = SINGULAR_BLOCKS[key] ?? (PLURAL_BLOCKS.has(key) ? snakeCase(key) : undefined);
            if (block === undefined) {
                throw new Error(
                    `${path}: a list of blocks under a name the conversion does not know; add "${key}" to SINGULAR_BLOCKS (with its Terraform block name) or PLURAL_BLOCKS in tests/harness/terraformPlan.ts`,
                );
            }
            const items = value.map((item, i) => convertObject(isPlainObject(item) ? item : {}, `${path}[${i}]`, referenceOf));
            after[block] = items.map((c) => c.after);
            afterUnknown[block] = items.map((c) => c.afterUnknown);
            expressions[block] = items.map((c) => c.expressions);
        } else if (isPlainObject(value)) {
            const block = convertObject(value, path, referenceOf);
            after[snakeCase(key)] = [block.after];
            afterUnknown[snakeCase(key)] = [block.afterUnknown];
            expressions[snakeCase(key)] = [block.expressions];
        } else if (Array.isArray(value)) {
            // A list of values (security group ids, resource ARNs): each element that is another resource's attribute
            // is unknown, and the list's expression references every one of them.
            const references = value.map((v) => (typeof v === "string" ? referenceOf(v) : undefined));
            after[snakeCase(key)] = value.map((v, i) => (references[i] === undefined ? v : null));
            if (references.some((r) => r !== undefined)) {
                afterUnknown[snakeCase(key)] = references.map((r) => r !== undefined);
                expressions[snakeCase(key)] = { references: references.flatMap((r) => (r === undefined ? [] : referenceWithResource(r))) };
            }
        } else {
            const reference = typeof value === "string" ? referenceOf(value) : undefined;
            if (reference === undefined) {
                after[snakeCase(key)] = value;
            } else {
                // Unknown until the referenced resource exists, as Terraform plans a first apply.
                after[snakeCase(key)] = null;
                afterUnknown[snakeCase(key)] = true;
                expressions[snakeCase(key)] = { references: referenceWithResource(reference) };
            }
        }
    }
    return { after, afterUnknown, expressions };
}

/**
 * The Terraform plan of a first apply of these resources. Component resources and providers are left out (they have
 * no Terraform counterpart); every other resource must be an AWS resource. Resource names are the Pulumi logical
 * names, made unique per type with a numeric suffix where two resources share a name under different parents.
 */
export function toTerraformPlan(resources: readonly SourceResource[]): ConvertedPlan {
    const converted = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const addresses = new Map<string, string>();
    const used = new Set<string>();
    for (const r of converted) {
        const type = terraformType(r.type);
        const base = terraformName(r.name);
        let name = base;
        for (let n = 2; used.has(`${type}.${name}`); n++) name = `${base}_${n}`;
        used.add(`${type}.${name}`);
        addresses.set(r.urn, `${type}.${name}`);
    }
    const byUrn = new Map(converted.map((r) => [r.urn, r]));

    const plan: TerraformPlan = {
        format_version: "1.2",
        terraform_version: "1.9.0",
        planned_values: { root_module: { resources: [] } },
        resource_changes: [],
        configuration: { root_module: { resources: [] } },
    };
    const entries: PlanEntry[] = [];
    for (const r of converted) {
        const address = addresses.get(r.urn)!;
        const [type, name] = [address.slice(0, address.indexOf(".")), address.slice(address.indexOf(".") + 1)];
        // The resources this one's inputs were computed from: a string equal to one's id, ARN... refers to it.
        const dependencies = [...new Set(Object.values(r.options?.propertyDependencies ?? {}).flat())].flatMap((urn) => {
            const dep = byUrn.get(urn);
            const attributes: Record<string, unknown> = { ...dep?.state, id: dep?.id };
            return dep === undefined
                ? []
                : [
                      {
                          address: addresses.get(urn)!,
                          attributes,
                          arn: typeof attributes["arn"] === "string" ? attributes["arn"] : undefined,
                      },
                  ];
        });
        const referenceOf: ReferenceOf = (value) => {
            for (const attribute of REFERENCE_ATTRIBUTES) {
                const dep = dependencies.find((d) => d.attributes[attribute] === value);
                if (dep !== undefined) return `${dep.address}.${snakeCase(attribute)}`;
            }
            // An ARN built on another's (`${logGroup.arn}:*`, `${bucket.arn}/prefix`) is an interpolation of it.
            const dep = dependencies.find((d) => d.arn !== undefined && value.startsWith(d.arn) && /^[:/]/.test(value.slice(d.arn.length)));
            return dep === undefined ? undefined : `${dep.address}.arn`;
        };
        const { after, afterUnknown, expressions } = convertObject(r.inputs, `${r.type} ${r.name}`, referenceOf);
        const common = { address, mode: "managed" as const, type, name, provider_name: providerName(type) };
        plan.planned_values.root_module.resources.push({ ...common, values: after });
        plan.resource_changes.push({ ...common, change: { actions: ["create"], before: null, after, after_unknown: afterUnknown } });
        plan.configuration.root_module.resources.push({ address, mode: "managed", type, name, expressions });
        entries.push({ address, urn: r.urn, pulumiType: r.type });
    }
    return { plan, entries };
}
