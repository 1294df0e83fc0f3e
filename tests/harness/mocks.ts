/**
 * Pulumi mocks that answer like the AWS provider where the program depends on it.
 *
 * - Every resource gets a realistic, deterministic id and ARN for its region and the mock account, plus the computed
 *   outputs the program reads (endpoints, names, key ids...). Inputs are echoed back as state, as the provider does.
 * - The region of a resource is the region of its explicit provider (or its own `region` input, which @pulumi/aws v7
 *   accepts). A resource on the default provider has no region: the tests treat that as a bug.
 * - Invokes (data sources) are answered per provider region. An invoke the mocks do not know fails loudly instead of
 *   returning an empty object that would make the program silently wrong. Every invoke is recorded (`invokes`).
 * - In preview mode (a first `pulumi preview`: nothing exists yet) a new resource has no id, and everything the
 *   provider computes (ARNs, ids, endpoints, `tagsAll`...) is unknown: its state is its inputs plus the engine's
 *   unknown sentinel for each computed output, as the engine hands it to the program and to the policy analyzer.
 *   Invokes still answer: the engine runs them in a preview too.
 * - A provider with `skipRequestingAccountId` does not know the account: for the resource types whose ARN the AWS
 *   provider writes itself from the account id, the ARN comes back with an empty account field, as it does for real.
 * - A region can be made unreachable (`unreachableRegions`), as during a regional outage: configuring its provider
 *   with a network call on configure, every invoke through it, and every registration that would call its API
 *   (a create, an update) fails as an unreachable endpoint does. A resource whose inputs equal its `baseline` state
 *   (the deployed state) once its ignoreChanges are applied against it, as the engine applies them
 *   (`tests/harness/engine.ts`), is not sent to the provider, as the engine does for an unchanged resource, and keeps it.
 */
import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { canonicalJson, processIgnoreChanges } from "./engine";

/** The mock AWS account. */
export const MOCK_ACCOUNT_ID = "123456789012";
/**
 * The engine's sentinel for a value unknown at preview time (`rpc.unknownValue` of @pulumi/pulumi, the same string as
 * @pulumi/policy's `unknownStringValue`): a program reading it gets an unknown Output, a policy reading it gets
 * "can't run policy ... during preview".
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The mock caller: a role session, as in CI with OIDC. */
export const MOCK_CALLER_ARN = `arn:aws:sts::${MOCK_ACCOUNT_ID}:assumed-role/healthcare-dr-deployer/pulumi`;

type MockArgs = pulumi.runtime.MockResourceArgs;
type Inputs = Record<string, unknown>;

/** What a resource model computes from the resource's inputs. */
interface ModelContext {
    readonly name: string;
    readonly type: string;
    readonly inputs: Inputs;
    readonly region: string;
    readonly account: string;
    /** A deterministic hex string for this resource, `length` characters long. */
    hex(length: number): string;
}

type Model = (ctx: ModelContext) => { id: string; state?: Inputs };

const str = (v: unknown, fallback: string): string => (typeof v === "string" && v !== "" ? v : fallback);
const arn = (ctx: ModelContext, service: string, resource: string, opts: { global?: boolean; noAccount?: boolean } = {}): string =>
    `arn:aws:${service}:${opts.global ? "" : ctx.region}:${opts.noAccount ? "" : ctx.account}:${resource}`;

/** A physical name as Pulumi auto-naming would make it: the logical name plus seven random characters. */
const autoName = (ctx: ModelContext, explicit: unknown, prefix?: unknown): string =>
    str(explicit, typeof prefix === "string" && prefix !== "" ? `${prefix}${ctx.hex(8)}` : `${ctx.name}-${ctx.hex(7)}`);

/**
 * Resource models by type token. Components add the types they declare here, so that what the program reads back
 * (an ARN, an endpoint) looks like what AWS returns.
 */
export const RESOURCE_MODELS: Record<string, Model> = {
    "aws:kms/key:Key": (ctx) => {
        const id = `${ctx.hex(8)}-${ctx.hex(4)}-4${ctx.hex(3)}-a${ctx.hex(3)}-${ctx.hex(12)}`;
        return { id, state: { keyId: id, arn: arn(ctx, "kms", `key/${id}`) } };
    },
    "aws:kms/alias:Alias": (ctx) => {
        const name = str(ctx.inputs["name"], `alias/${ctx.name}`);
        return { id: name, state: { name, arn: arn(ctx, "kms", name) } };
    },
    "aws:s3/bucket:Bucket": (ctx) => {
        const bucket = autoName(ctx, ctx.inputs["bucket"], ctx.inputs["bucketPrefix"]);
        return {
            id: bucket,
            state: {
                bucket,
                arn: `arn:aws:s3:::${bucket}`,
                bucketDomainName: `${bucket}.s3.amazonaws.com`,
                bucketRegionalDomainName: `${bucket}.s3.${ctx.region}.amazonaws.com`,
                region: ctx.region,
            },
        };
    },
    "aws:iam/role:Role": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        return {
            id: name,
            state: { name, arn: arn(ctx, "iam", `role/${name}`, { global: true }), uniqueId: `AROA${ctx.hex(17).toUpperCase()}` },
        };
    },
    "aws:iam/policy:Policy": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        return {
            id: arn(ctx, "iam", `policy/${name}`, { global: true }),
            state: { name, arn: arn(ctx, "iam", `policy/${name}`, { global: true }) },
        };
    },
    "aws:ec2/vpc:Vpc": (ctx) => {
        const id = `vpc-${ctx.hex(17)}`;
        return {
            id,
            state: {
                arn: arn(ctx, "ec2", `vpc/${id}`),
                defaultSecurityGroupId: `sg-${ctx.hex(17)}`,
                defaultNetworkAclId: `acl-${ctx.hex(17)}`,
                defaultRouteTableId: `rtb-${ctx.hex(17)}`,
                mainRouteTableId: `rtb-${ctx.hex(17)}`,
                ownerId: ctx.account,
            },
        };
    },
    "aws:ec2/subnet:Subnet": (ctx) => {
        const id = `subnet-${ctx.hex(17)}`;
        return { id, state: { arn: arn(ctx, "ec2", `subnet/${id}`), ownerId: ctx.account } };
    },
    "aws:ec2/securityGroup:SecurityGroup": (ctx) => {
        const id = `sg-${ctx.hex(17)}`;
        return {
            id,
            state: {
                arn: arn(ctx, "ec2", `security-group/${id}`),
                name: autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]),
                ownerId: ctx.account,
            },
        };
    },
    "aws:ec2/routeTable:RouteTable": (ctx) => {
        const id = `rtb-${ctx.hex(17)}`;
        return { id, state: { arn: arn(ctx, "ec2", `route-table/${id}`), ownerId: ctx.account } };
    },
    "aws:ec2/internetGateway:InternetGateway": (ctx) => {
        const id = `igw-${ctx.hex(17)}`;
        return { id, state: { arn: arn(ctx, "ec2", `internet-gateway/${id}`), ownerId: ctx.account } };
    },
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": (ctx) => {
        const id = `pcx-${ctx.hex(17)}`;
        return { id, state: { arn: arn(ctx, "ec2", `vpc-peering-connection/${id}`), acceptStatus: "pending-acceptance" } };
    },
    // The accepter is the same connection, seen from the peer's region: its id is the connection's.
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": (ctx) => {
        const id = str(ctx.inputs["vpcPeeringConnectionId"], `pcx-${ctx.hex(17)}`);
        return { id, state: { vpcPeeringConnectionId: id, acceptStatus: "active" } };
    },
    "aws:ec2/natGateway:NatGateway": (ctx) => ({
        id: `nat-${ctx.hex(17)}`,
        state: { publicIp: `203.0.113.${parseInt(ctx.hex(2), 16) % 254}` },
    }),
    "aws:ec2/eip:Eip": (ctx) => ({
        id: `eipalloc-${ctx.hex(17)}`,
        state: { allocationId: `eipalloc-${ctx.hex(17)}`, publicIp: `198.51.100.${parseInt(ctx.hex(2), 16) % 254}` },
    }),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (ctx) => {
        const id = `vpce-${ctx.hex(17)}`;
        return {
            id,
            state: {
                arn: arn(ctx, "ec2", `vpc-endpoint/${id}`),
                dnsEntries: [{ dnsName: `${id}.${str(ctx.inputs["serviceName"], "svc")}`, hostedZoneId: "Z00000000000000000000" }],
                // Gateway endpoints (S3, DynamoDB) expose the AWS-managed prefix list of their service.
                ...(ctx.inputs["vpcEndpointType"] === "Gateway" ? { prefixListId: `pl-${ctx.hex(8)}` } : {}),
            },
        };
    },
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": (ctx) => {
        const name = `serverlessrepo-${str(ctx.inputs["name"], ctx.name)}`;
        const fn = str((ctx.inputs["parameters"] as Inputs | undefined)?.["functionName"], `${ctx.name}-${ctx.hex(7)}`);
        return {
            id: arn(ctx, "cloudformation", `stack/${name}/${ctx.hex(8)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(12)}`),
            state: { name, outputs: { RotationLambdaARN: arn(ctx, "lambda", `function:${fn}`) } },
        };
    },
    "random:index/randomPassword:RandomPassword": (ctx) => {
        // Deterministic, and long enough to look like what the program asked for.
        const result = `Mock-${ctx.hex(Math.max(8, Number(ctx.inputs["length"] ?? 16) - 7))}!a`;
        return { id: "none", state: { result, bcryptHash: `$2a$10$${ctx.hex(53)}` } };
    },
    "aws:s3/bucketObjectv2:BucketObjectv2": (ctx) => ({
        id: str(ctx.inputs["key"], ctx.name),
        state: { versionId: ctx.hex(32), etag: ctx.hex(32) },
    }),
    "aws:signer/signingProfile:SigningProfile": (ctx) => {
        const name = str(ctx.inputs["name"], `${ctx.name.replace(/[^A-Za-z0-9_]/g, "_")}_${ctx.hex(6)}`);
        const version = ctx.hex(10);
        const profileArn = arn(ctx, "signer", `/signing-profiles/${name}`);
        return { id: name, state: { name, arn: profileArn, version, versionArn: `${profileArn}/${version}`, status: "Active" } };
    },
    // The signed copy goes under the destination prefix, named by the job id, as Signer does.
    "aws:signer/signingJob:SigningJob": (ctx) => {
        const jobId = `${ctx.hex(8)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(12)}`;
        const destination = (ctx.inputs["destination"] as { s3?: { bucket?: string; prefix?: string } } | undefined)?.s3;
        return {
            id: jobId,
            state: {
                jobId,
                status: "Succeeded",
                signedObjects: [
                    { s3s: [{ bucket: str(destination?.bucket, "unknown"), key: `${destination?.prefix ?? ""}${jobId}.zip` }] },
                ],
            },
        };
    },
    "aws:ec2/flowLog:FlowLog": (ctx) => {
        const id = `fl-${ctx.hex(17)}`;
        return { id, state: { arn: arn(ctx, "ec2", `vpc-flow-log/${id}`) } };
    },
    "aws:cloudwatch/logGroup:LogGroup": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        return { id: name, state: { name, arn: arn(ctx, "logs", `log-group:${name}`) } };
    },
    "aws:sns/topic:Topic": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        return { id: arn(ctx, "sns", name), state: { name, arn: arn(ctx, "sns", name) } };
    },
    "aws:sqs/queue:Queue": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        return {
            id: `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${name}`,
            state: { name, arn: arn(ctx, "sqs", name), url: `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${name}` },
        };
    },
    "aws:dynamodb/table:Table": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], undefined);
        // A table with its stream on has a stream per replica, labelled with its creation time (ISO 8601).
        const stream = (region: string) =>
            ctx.inputs["streamEnabled"] === true
                ? {
                      streamArn: `arn:aws:dynamodb:${region}:${ctx.account}:table/${name}/stream/2026-01-01T00:00:00.000`,
                      streamLabel: "2026-01-01T00:00:00.000",
                  }
                : {};
        const replicas = Array.isArray(ctx.inputs["replicas"])
            ? (ctx.inputs["replicas"] as Inputs[]).map((r) => {
                  const region = str(r["regionName"], ctx.region);
                  return { ...r, arn: `arn:aws:dynamodb:${region}:${ctx.account}:table/${name}`, ...stream(region) };
              })
            : undefined;
        return {
            id: name,
            state: {
                name,
                arn: arn(ctx, "dynamodb", `table/${name}`),
                ...stream(ctx.region),
                ...(replicas !== undefined ? { replicas } : {}),
            },
        };
    },
    "aws:lambda/function:Function": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], undefined);
        const fnArn = arn(ctx, "lambda", `function:${name}`);
        return {
            id: name,
            state: {
                name,
                arn: fnArn,
                qualifiedArn: `${fnArn}:$LATEST`,
                invokeArn: `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
                version: "$LATEST",
            },
        };
    },
    "aws:secretsmanager/secret:Secret": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        const secretArn = arn(ctx, "secretsmanager", `secret:${name}-${ctx.hex(6)}`);
        return { id: secretArn, state: { name, arn: secretArn } };
    },
    "aws:ssm/parameter:Parameter": (ctx) => {
        const name = str(ctx.inputs["name"], `/${ctx.name}`);
        return { id: name, state: { name, arn: arn(ctx, "ssm", `parameter${name.startsWith("/") ? "" : "/"}${name}`), version: 1 } };
    },
    "aws:rds/globalCluster:GlobalCluster": (ctx) => {
        const id = str(ctx.inputs["globalClusterIdentifier"], ctx.name);
        return {
            id,
            state: {
                globalClusterIdentifier: id,
                arn: `arn:aws:rds::${ctx.account}:global-cluster:${id}`,
                globalClusterResourceId: `cluster-${ctx.hex(26)}`,
                endpoint: `${id}.global-${ctx.hex(10)}.global.rds.amazonaws.com`,
            },
        };
    },
    "aws:rds/cluster:Cluster": (ctx) => {
        const id = str(ctx.inputs["clusterIdentifier"], `${ctx.name}-${ctx.hex(7)}`);
        const host = `${id}.cluster-${ctx.hex(12)}.${ctx.region}.rds.amazonaws.com`;
        return {
            id,
            state: {
                clusterIdentifier: id,
                arn: arn(ctx, "rds", `cluster:${id}`),
                clusterResourceId: `cluster-${ctx.hex(26).toUpperCase()}`,
                endpoint: host,
                readerEndpoint: host.replace(".cluster-", ".cluster-ro-"),
                port: 5432,
                hostedZoneId: "Z1RLNUO7B9Q6NB",
            },
        };
    },
    "aws:rds/clusterInstance:ClusterInstance": (ctx) => {
        const id = str(ctx.inputs["identifier"], `${ctx.name}-${ctx.hex(7)}`);
        return {
            id,
            state: {
                identifier: id,
                arn: arn(ctx, "rds", `db:${id}`),
                endpoint: `${id}.${ctx.hex(12)}.${ctx.region}.rds.amazonaws.com`,
                port: 5432,
                dbiResourceId: `db-${ctx.hex(26).toUpperCase()}`,
            },
        };
    },
    "aws:rds/subnetGroup:SubnetGroup": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]).toLowerCase();
        return { id: name, state: { name, arn: arn(ctx, "rds", `subgrp:${name}`) } };
    },
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]).toLowerCase();
        return { id: name, state: { name, arn: arn(ctx, "rds", `cluster-pg:${name}`) } };
    },
    "aws:backup/vault:Vault": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], undefined);
        return { id: name, state: { name, arn: arn(ctx, "backup", `backup-vault:${name}`), recoveryPoints: 0 } };
    },
    "aws:backup/plan:Plan": (ctx) => {
        const id = `${ctx.hex(8)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(12)}`;
        return { id, state: { arn: arn(ctx, "backup", `backup-plan:${id}`), version: ctx.hex(32) } };
    },
    "aws:cloudtrail/trail:Trail": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], undefined);
        return {
            id: arn(ctx, "cloudtrail", `trail/${name}`),
            state: { name, arn: arn(ctx, "cloudtrail", `trail/${name}`), homeRegion: ctx.region },
        };
    },
    "aws:cloudwatch/eventRule:EventRule": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        return { id: name, state: { name, arn: arn(ctx, "events", `rule/${name}`) } };
    },
    "aws:guardduty/detector:Detector": (ctx) => {
        const id = ctx.hex(32);
        return { id, state: { accountId: ctx.account, arn: arn(ctx, "guardduty", `detector/${id}`) } };
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], undefined);
        return { id: name, state: { name, arn: arn(ctx, "cloudwatch", `alarm:${name}`) } };
    },
    "aws:route53/zone:Zone": (ctx) => {
        const id = `Z${ctx.hex(20).toUpperCase()}`;
        return { id, state: { zoneId: id, arn: `arn:aws:route53:::hostedzone/${id}`, nameServers: [] } };
    },
    "aws:route53/record:Record": (ctx) => {
        const name = str(ctx.inputs["name"], ctx.name).replace(/\.$/, "");
        // As the AWS provider: ZONEID_NAME_TYPE, and _SETIDENTIFIER for a record of a routing policy (a failover pair).
        const setIdentifier = typeof ctx.inputs["setIdentifier"] === "string" ? `_${ctx.inputs["setIdentifier"]}` : "";
        return { id: `${str(ctx.inputs["zoneId"], "Z0")}_${name}_${str(ctx.inputs["type"], "A")}${setIdentifier}`, state: { fqdn: name } };
    },
    "aws:route53/healthCheck:HealthCheck": (ctx) => {
        const id = `${ctx.hex(8)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(12)}`;
        return { id, state: { arn: `arn:aws:route53:::healthcheck/${id}` } };
    },
    // The application tier. An ALB's DNS name and canonical zone (ELB's zone of the region) are what alias records use.
    // @see https://docs.aws.amazon.com/general/latest/gr/elb.html
    "aws:lb/loadBalancer:LoadBalancer": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]).slice(0, 32);
        const suffix = `app/${name}/${ctx.hex(16)}`;
        return {
            id: arn(ctx, "elasticloadbalancing", `loadbalancer/${suffix}`),
            state: {
                name,
                arn: arn(ctx, "elasticloadbalancing", `loadbalancer/${suffix}`),
                arnSuffix: suffix,
                dnsName: `${name}-${parseInt(ctx.hex(8), 16)}.${ctx.region}.elb.amazonaws.com`,
                zoneId: ELB_ZONE_IDS[ctx.region] ?? "Z0000000000000",
            },
        };
    },
    "aws:lb/targetGroup:TargetGroup": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]).slice(0, 32);
        const suffix = `targetgroup/${name}/${ctx.hex(16)}`;
        const tgArn = arn(ctx, "elasticloadbalancing", suffix);
        return { id: tgArn, state: { name, arn: tgArn, arnSuffix: suffix } };
    },
    "aws:lb/listener:Listener": (ctx) => {
        const id = arn(ctx, "elasticloadbalancing", `listener/app/${ctx.name}/${ctx.hex(16)}/${ctx.hex(16)}`);
        return { id, state: { arn: id } };
    },
    // ACM gives the DNS validation record once the certificate is requested.
    "aws:acm/certificate:Certificate": (ctx) => {
        const id = arn(ctx, "acm", `certificate/${ctx.hex(8)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(12)}`);
        const domainName = str(ctx.inputs["domainName"], "example.org");
        return {
            id,
            state: {
                arn: id,
                status: "PENDING_VALIDATION",
                domainValidationOptions: [
                    {
                        domainName,
                        resourceRecordName: `_${ctx.hex(32)}.${domainName}.`,
                        resourceRecordType: "CNAME",
                        resourceRecordValue: `_${ctx.hex(32)}.${ctx.hex(10)}.acm-validations.aws.`,
                    },
                ],
            },
        };
    },
    // The validated certificate's ARN is an output too: unknown until the validation exists.
    "aws:acm/certificateValidation:CertificateValidation": (ctx) => ({
        id: str(ctx.inputs["certificateArn"], ctx.name),
        state: { certificateArn: str(ctx.inputs["certificateArn"], "") },
    }),
    "aws:ecr/repository:Repository": (ctx) => {
        const name = str(ctx.inputs["name"], ctx.name);
        return {
            id: name,
            state: {
                name,
                arn: arn(ctx, "ecr", `repository/${name}`),
                registryId: ctx.account,
                repositoryUrl: `${ctx.account}.dkr.ecr.${ctx.region}.amazonaws.com/${name}`,
            },
        };
    },
    "aws:ecs/cluster:Cluster": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], undefined);
        return { id: arn(ctx, "ecs", `cluster/${name}`), state: { name, arn: arn(ctx, "ecs", `cluster/${name}`) } };
    },
    "aws:ecs/service:Service": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], undefined);
        const cluster = str(ctx.inputs["cluster"], "default").split("/").pop()!;
        return { id: arn(ctx, "ecs", `service/${cluster}/${name}`), state: { name, arn: arn(ctx, "ecs", `service/${cluster}/${name}`) } };
    },
    "aws:ecs/taskDefinition:TaskDefinition": (ctx) => {
        const family = str(ctx.inputs["family"], ctx.name);
        return {
            id: family,
            state: {
                arn: arn(ctx, "ecs", `task-definition/${family}:1`),
                arnWithoutRevision: arn(ctx, "ecs", `task-definition/${family}`),
                revision: 1,
            },
        };
    },
    "aws:wafv2/webAcl:WebAcl": (ctx) => {
        const name = autoName(ctx, ctx.inputs["name"], ctx.inputs["namePrefix"]);
        const id = `${ctx.hex(8)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(4)}-${ctx.hex(12)}`;
        return { id, state: { name, arn: arn(ctx, "wafv2", `regional/webacl/${name}/${id}`), capacity: 1000 } };
    },
};

/**
 * The canonical hosted zone of Application Load Balancers per region (what an alias record to an ALB names).
 * @see https://docs.aws.amazon.com/general/latest/gr/elb.html
 */
export const ELB_ZONE_IDS: Readonly<Record<string, string>> = {
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-west-2": "ZHURV8PSTC4K8",
    "us-east-1": "Z35SXDOTRQ7X7K",
};

/** For types without a model: an id from the name and an ARN in the resource's service. */
const genericModel: Model = (ctx) => {
    const service = /^aws:([^/]+)\//.exec(ctx.type)?.[1] ?? "unknown";
    const kind = ctx.type
        .split(":")
        .pop()!
        .replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `-${c.toLowerCase()}`));
    const id = `${ctx.name}-${ctx.hex(8)}`;
    return { id, state: { arn: arn(ctx, service, `${kind}/${id}`) } };
};

/** Availability zones of a region as AWS names them: `eu-west-2a`, zone ids `euw2-az1`. */
export function zonesOf(region: string, count: number): { names: string[]; zoneIds: string[] } {
    const short = region.replace(/^(\w\w)-(\w)\w*-(\d+)$/, "$1$2$3");
    const letters = "abcdefghij".slice(0, count).split("");
    return { names: letters.map((l) => `${region}${l}`), zoneIds: letters.map((_, i) => `${short}-az${i + 1}`) };
}

export interface AwsMocksOptions {
    /** The account every ARN is built in. Defaults to `MOCK_ACCOUNT_ID`. */
    readonly accountId?: string;
    /** Availability zones per region; defaults to 3 (as in eu-west-1 and eu-west-2). */
    readonly zonesPerRegion?: Readonly<Record<string, number>>;
    /** Answer as in a first preview: new resources have no id and unknown computed outputs. Defaults to false. */
    readonly preview?: boolean;
    /** Regions whose AWS endpoints cannot be reached (a simulated regional outage). Defaults to none. */
    readonly unreachableRegions?: readonly string[];
    /**
     * The deployed state: resources as a previous run registered them. A resource of an unreachable region whose
     * inputs equal its baseline entry keeps that entry's id and state without a call to AWS. Defaults to none.
     */
    readonly baseline?: readonly BaselineResource[];
}

/** One resource of the deployed state, as `AwsMocksOptions.baseline` takes it. */
export interface BaselineResource {
    readonly type: string;
    readonly name: string;
    readonly region?: string;
    readonly inputs: Readonly<Record<string, unknown>>;
    readonly id?: string;
    readonly state: Readonly<Record<string, unknown>>;
}

/** An invoke the program made, and the region of the provider it went through. */
export interface RecordedInvoke {
    readonly token: string;
    readonly region: string | undefined;
}

/** The provider settings that make it configure without a network call (see program.ts). */
export const NO_NETWORK_ON_CONFIGURE = ["skipCredentialsValidation", "skipRegionValidation", "skipRequestingAccountId"] as const;

/**
 * Resource types of this program whose `arn` the AWS provider builds from the account id it requested from STS;
 * with `skipRequestingAccountId` the account field of that ARN is empty.
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs#skip_requesting_account_id
 */
export const ARN_NEEDS_ACCOUNT_ID: readonly string[] = [
    "aws:budgets/budget:Budget",
    "aws:ec2/flowLog:FlowLog",
    "aws:guardduty/detector:Detector",
    "aws:ssm/parameter:Parameter",
];

/**
 * Inputs the provider defaults to the account id it requested: with `skipRequestingAccountId` they must be set.
 * @see https://www.pulumi.com/registry/packages/aws/api-docs/budgets/budget/
 */
export const NEEDS_EXPLICIT_ACCOUNT_ID: Readonly<Record<string, string>> = { "aws:budgets/budget:Budget": "accountId" };

/** The error an SDK call to an unreachable regional endpoint ends with. */
export class UnreachableRegionError extends Error {
    constructor(
        readonly region: string,
        readonly operation: string,
    ) {
        const host = `${serviceOf(operation)}.${region}.amazonaws.com`;
        super(
            `${operation}: request send failed, Post "https://${host}/": dial tcp: lookup ${host}: i/o timeout (region ${region} is unreachable)`,
        );
        this.name = "UnreachableRegionError";
    }
}

function serviceOf(operation: string): string {
    return /^aws:([^/]+)\//.exec(operation)?.[1] ?? (operation.startsWith("configure") ? "sts" : "unknown");
}

/** Inputs as JSON with keys sorted, to compare a registration with its baseline (defined with the engine model). */
export { canonicalJson };

/** A provider reference is `urn::id`; the URN ends in the provider's name. */
function providerUrn(ref: string | undefined): string | undefined {
    if (ref === undefined || ref === "") {
        return undefined;
    }
    const idx = ref.lastIndexOf("::");
    return idx < 0 ? ref : ref.slice(0, idx);
}

export class AwsMocks implements pulumi.runtime.Mocks {
    private readonly account: string;
    private readonly zonesPerRegion: Readonly<Record<string, number>>;
    private readonly preview: boolean;
    /** Region of each provider, by provider name (the last segment of its URN). */
    private readonly providerRegions = new Map<string, string>();
    /** Providers configured with `skipRequestingAccountId`, by name. */
    private readonly providersWithoutAccount = new Set<string>();
    private readonly unreachable: ReadonlySet<string>;
    private readonly baseline = new Map<string, BaselineResource[]>();
    /** The ignoreChanges option of each registration, by type and name (`noteIgnoreChanges`). */
    private readonly ignoreChanges = new Map<string, readonly string[]>();
    /** Every invoke the program made, in order. */
    readonly invokes: RecordedInvoke[] = [];

    constructor(options: AwsMocksOptions = {}) {
        this.account = options.accountId ?? MOCK_ACCOUNT_ID;
        this.zonesPerRegion = options.zonesPerRegion ?? {};
        this.preview = options.preview ?? false;
        this.unreachable = new Set(options.unreachableRegions ?? []);
        for (const resource of options.baseline ?? []) {
            const key = baselineKey(resource.type, resource.name, resource.region);
            this.baseline.set(key, [...(this.baseline.get(key) ?? []), resource]);
        }
    }

    /**
     * Tells the mocks the ignoreChanges option of the registration about to reach `newResource` (Pulumi's mock
     * arguments do not carry resource options; the program harness calls this just before each registration).
     */
    noteIgnoreChanges(type: string, name: string, paths: readonly string[]): void {
        this.ignoreChanges.set(`${type}::${name}`, [...paths]);
    }

    /** The region of the provider behind a provider reference, if it is one of ours. */
    regionOfProvider(ref: string | undefined): string | undefined {
        const urn = providerUrn(ref);
        return urn === undefined ? undefined : this.providerRegions.get(urn.split("::").pop()!);
    }

    newResource(args: MockArgs): { id: string; state: Record<string, unknown> } {
        const inputs = (args.inputs ?? {}) as Inputs;
        if (args.type === "pulumi:providers:aws") {
            const region = str(inputs["region"], "");
            if (region !== "") {
                this.providerRegions.set(args.name, region);
            }
            const flag = (name: string) => inputs[name] === true || inputs[name] === "true";
            if (flag("skipRequestingAccountId")) {
                this.providersWithoutAccount.add(args.name);
            }
            // Configure validates credentials and requests the account id from the region's STS endpoint, unless told not to.
            if (this.unreachable.has(region) && !NO_NETWORK_ON_CONFIGURE.every(flag)) {
                const missing = NO_NETWORK_ON_CONFIGURE.filter((name) => !flag(name));
                throw new UnreachableRegionError(region, `configure provider ${args.name} (set ${missing.join(", ")})`);
            }
            return { id: `${args.name}-provider-id`, state: inputs };
        }
        if (args.custom === false) {
            // Component resources have no id or state of their own.
            return { id: "", state: {} };
        }
        const region = str(inputs["region"], this.regionOfProvider(args.provider) ?? "us-east-1");
        if (args.type.startsWith("aws:") && this.unreachable.has(region)) {
            return this.unchangedOrUnreachable(args, inputs, region);
        }
        const seed = `${args.type}::${args.name}::${region}`;
        let draws = 0;
        const ctx: ModelContext = {
            name: args.name,
            type: args.type,
            inputs,
            region,
            account: this.account,
            hex: (length) => hexOf(`${seed}#${draws++}`, length),
        };
        const providerName = providerUrn(args.provider)?.split("::").pop();
        const withoutAccount = providerName !== undefined && this.providersWithoutAccount.has(providerName);
        const missing = NEEDS_EXPLICIT_ACCOUNT_ID[args.type];
        if (withoutAccount && missing !== undefined && str(inputs[missing], "") === "") {
            // The provider fills these in from the account id it requested; having skipped the request, it sends none.
            throw new Error(
                `creating ${args.type} ${args.name}: ${missing} is empty (the provider has skipRequestingAccountId): set ${missing} explicitly`,
            );
        }
        const model = RESOURCE_MODELS[args.type] ?? genericModel;
        const { id, state } = model(ctx);
        if (state !== undefined && typeof state["arn"] === "string" && ARN_NEEDS_ACCOUNT_ID.includes(args.type)) {
            if (withoutAccount) {
                state["arn"] = state["arn"].replace(`:${this.account}:`, "::");
            }
        }
        const computed = { ...state, ...(args.type.startsWith("aws:") ? { region } : {}), tagsAll: inputs["tags"] ?? {} };
        if (this.preview) {
            return { id: "", state: previewState(inputs, computed) };
        }
        return { id, state: { ...inputs, ...computed, id } };
    }

    /**
     * A registration in an unreachable region: the engine sends an unchanged resource to nobody and keeps its state;
     * anything else (a create, an update) would call the region's API, and fails.
     */
    private unchangedOrUnreachable(args: MockArgs, inputs: Inputs, region: string): { id: string; state: Record<string, unknown> } {
        const candidates = this.baseline.get(baselineKey(args.type, args.name, region)) ?? [];
        const declared = unwrapSecretValues(inputs) as Inputs;
        const ignored = this.ignoreChanges.get(`${args.type}::${args.name}`) ?? [];
        // As the engine: ignored paths take the deployed value before the inputs are compared.
        const same = candidates.find((c) => canonicalJson(processIgnoreChanges(declared, c.inputs, ignored)) === canonicalJson(c.inputs));
        if (same === undefined) {
            const what = candidates.length === 0 ? "create" : "update";
            throw new UnreachableRegionError(region, `${args.type} (${what} ${args.name})`);
        }
        return { id: same.id ?? "", state: { ...same.state } };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const region = this.regionOfProvider(args.provider);
        this.invokes.push({ token: args.token, region });
        if (region !== undefined && this.unreachable.has(region)) {
            throw new UnreachableRegionError(region, args.token);
        }
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: this.account, arn: MOCK_CALLER_ARN, userId: "AROAEXAMPLEROLEID:pulumi", id: this.account };
            case "aws:index/getPartition:getPartition":
                return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
            case "aws:index/getRegion:getRegion":
                return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
            case "aws:index/getAvailabilityZones:getAvailabilityZones": {
                if (region === undefined) {
                    throw new Error("getAvailabilityZones was called without an explicit regional provider");
                }
                const zones = zonesOf(region, this.zonesPerRegion[region] ?? 3);
                return { id: region, names: zones.names, zoneIds: zones.zoneIds, groupNames: [region], state: "available" };
            }
            default:
                throw new Error(`The test mocks have no answer for the invoke ${args.token}; add one to tests/harness/mocks.ts`);
        }
    }
}

/**
 * The state of a resource about to be created, as a preview sees it: the inputs (known where the program knew them),
 * and every output the provider computes unknown, even one it would derive from an input (an S3 bucket's ARN): the
 * provider reports it only once the resource exists.
 */
export function previewState(inputs: Inputs, computed: Inputs): Inputs {
    const out: Inputs = { ...inputs };
    for (const key of Object.keys(computed)) {
        if (!(key in inputs)) {
            out[key] = UNKNOWN;
        }
    }
    return out;
}

function baselineKey(type: string, name: string, region: string | undefined): string {
    return `${type}::${name}::${region ?? ""}`;
}

/** Secret inputs reach the mocks wrapped by the SDK's RPC layer; compare their values. */
function unwrapSecretValues(value: unknown): unknown {
    if (rpc.isRpcSecret(value)) {
        return unwrapSecretValues(rpc.unwrapRpcSecret(value));
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecretValues);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecretValues(v)]));
    }
    return value;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the SDK's secret wrapper helpers are not exported publicly */
const rpc = require("@pulumi/pulumi/runtime/rpc") as { isRpcSecret(value: unknown): boolean; unwrapRpcSecret(value: unknown): unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

function hexOf(seed: string, length: number): string {
    let out = "";
    for (let i = 0; out.length < length; i++) {
        out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
    }
    return out.slice(0, length);
}
