/**
 * The pure rules of the data tier: the subnet plan, NAT layout, database windows and checks, and the backup rules.
 * No mocks: these are plain functions.
 */
import { expect } from "chai";
import {
    accountEndpointPolicy,
    awsOwnedBucketArns,
    endpointPolicyFor,
    ENDPOINT_POLICY_MAX_CHARACTERS,
    s3EndpointPolicy,
} from "../lib/endpointPolicy";
import * as fc from "fast-check";
import { backupRules, HOURLY_SCHEDULE } from "../lib/backup";
import { overlaps, parseCidr } from "../lib/cidr";
import {
    BACKUP_WINDOW,
    CLUSTER_PARAMETERS,
    clusterParametersFor,
    GLOBAL_DB_RPO,
    globalClusterProblems,
    globalDbRpoProblem,
    MAINTENANCE_WINDOW,
    parameterGroupFamily,
    replicaSecretArn,
    statementLoggingProblems,
    windowProblems,
    windowsOverlap,
} from "../lib/database";
import { peeringProblems, peeringRoutes, type PeeringSides } from "../lib/peering";
import { insideVpc, natGatewayCount, natZoneFor, planSubnets, subnetsOfTier } from "../lib/subnets";

describe("planSubnets", () => {
    it("gives each tier its own quarter of the VPC, one /20 per zone for a /16", () => {
        const plan = planSubnets("10.10.0.0/16", 3);
        expect(subnetsOfTier(plan, "public").map((s) => s.cidr)).to.deep.equal(["10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"]);
        expect(subnetsOfTier(plan, "private").map((s) => s.cidr)).to.deep.equal(["10.10.64.0/20", "10.10.80.0/20", "10.10.96.0/20"]);
        expect(subnetsOfTier(plan, "isolated").map((s) => s.cidr)).to.deep.equal(["10.10.128.0/20", "10.10.144.0/20", "10.10.160.0/20"]);
    });

    it("cuts a /22 into /26 subnets", () => {
        const plan = planSubnets("192.168.4.0/22", 2);
        expect(plan.map((s) => s.cidr)).to.deep.equal([
            "192.168.4.0/26",
            "192.168.4.64/26",
            "192.168.5.0/26",
            "192.168.5.64/26",
            "192.168.6.0/26",
            "192.168.6.64/26",
        ]);
    });

    it("keeps existing subnets where they are when a zone is added", () => {
        const two = planSubnets("10.20.0.0/16", 2);
        const three = planSubnets("10.20.0.0/16", 3);
        for (const subnet of two) {
            expect(three).to.deep.include(subnet);
        }
    });

    for (const [cidr, azCount, pattern] of [
        ["10.0.0.1/16", 2, /vpcCidr.*no host bits/],
        ["10.0.0.0/24", 2, /vpcCidr.*\/22 or larger/],
        ["nonsense", 2, /vpcCidr/],
        ["10.0.0.0/16", 0, /azCount.*1 to 4/],
        ["10.0.0.0/16", 5, /azCount.*1 to 4/],
        ["10.0.0.0/16", 2.5, /azCount/],
    ] as const) {
        it(`refuses ${cidr} with ${azCount} zones, naming the argument`, () => {
            expect(() => planSubnets(cidr, azCount)).to.throw(pattern);
        });
    }

    it("never plans overlapping subnets, nor any outside the VPC (property)", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 255 }),
                fc.integer({ min: 16, max: 22 }),
                fc.integer({ min: 1, max: 4 }),
                (octet, prefix, zones) => {
                    const base = parseCidr(`10.${octet}.0.0/16`)!;
                    const mask = (0xffffffff << (32 - prefix)) >>> 0;
                    const network = (base.network & mask) >>> 0;
                    const cidr = `${network >>> 24}.${(network >>> 16) & 255}.${(network >>> 8) & 255}.0/${prefix}`;
                    const plan = planSubnets(cidr, zones);
                    expect(plan).to.have.length(3 * zones);
                    expect(insideVpc(cidr, plan)).to.be.true;
                    for (let i = 0; i < plan.length; i++) {
                        for (let j = i + 1; j < plan.length; j++) {
                            expect(overlaps(parseCidr(plan[i]!.cidr)!, parseCidr(plan[j]!.cidr)!), `${plan[i]!.cidr} / ${plan[j]!.cidr}`).to
                                .be.false;
                        }
                    }
                },
            ),
        );
    });
});

describe("NAT layout", () => {
    it("routes each zone through its own NAT with perAz, through the first with single, nowhere with none", () => {
        expect([0, 1, 2].map((z) => natZoneFor("perAz", z))).to.deep.equal([0, 1, 2]);
        expect([0, 1, 2].map((z) => natZoneFor("single", z))).to.deep.equal([0, 0, 0]);
        expect([0, 1, 2].map((z) => natZoneFor("none", z))).to.deep.equal([undefined, undefined, undefined]);
    });

    it("counts one NAT per zone, one, or none", () => {
        expect([natGatewayCount("perAz", 3), natGatewayCount("single", 3), natGatewayCount("none", 3)]).to.deep.equal([3, 1, 0]);
    });
});

describe("database windows", () => {
    it("keeps the chosen backup and maintenance windows apart", () => {
        expect(windowsOverlap(BACKUP_WINDOW, MAINTENANCE_WINDOW)).to.be.false;
        expect(windowProblems(BACKUP_WINDOW, MAINTENANCE_WINDOW)).to.deep.equal([]);
    });

    for (const [backup, maintenance, overlap] of [
        ["02:00-03:00", "sun:02:30-sun:03:30", true],
        ["02:00-03:00", "sun:03:00-sun:04:00", false],
        ["23:30-00:30", "mon:00:00-mon:00:45", true],
        ["23:30-00:30", "sun:23:45-mon:00:15", true],
        ["04:00-05:00", "sat:23:00-sun:01:00", false],
    ] as const) {
        it(`says ${backup} and ${maintenance} ${overlap ? "overlap" : "do not overlap"}`, () => {
            expect(windowsOverlap(backup, maintenance)).to.equal(overlap);
        });
    }

    it("reports windows shorter than 30 minutes and malformed ones", () => {
        expect(windowProblems("02:00-02:15", MAINTENANCE_WINDOW).join()).to.match(/backup window.*under 30 minutes/);
        expect(windowProblems(BACKUP_WINDOW, "sun:03:30-sun:03:40").join()).to.match(/maintenance window.*under 30 minutes/);
        expect(windowProblems("2am", MAINTENANCE_WINDOW).join()).to.match(/Invalid backup window/);
        expect(windowProblems("02:00-03:00", "sun:02:30-sun:03:30").join()).to.match(/overlaps/);
    });
});

describe("Aurora helpers", () => {
    it("derives the parameter group family from the major version", () => {
        expect(parameterGroupFamily("16.6")).to.equal("aurora-postgresql16");
        expect(parameterGroupFamily("13.12")).to.equal("aurora-postgresql13");
        expect(() => parameterGroupFamily("sixteen")).to.throw(/engineVersion/);
    });

    it("addresses a secret's replica by changing only the region of its ARN", () => {
        expect(replicaSecretArn("arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-master-AbCdEf", "eu-west-1")).to.equal(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-master-AbCdEf",
        );
        expect(() => replicaSecretArn("arn:aws:s3:::bucket", "eu-west-1")).to.throw(/Secrets Manager/);
    });

    describe("globalClusterProblems", () => {
        const global = { engine: "aurora-postgresql", engineVersion: "16.6", storageEncrypted: true };
        const member = (region: string, over: Partial<{ engineVersion: string; storageEncrypted: boolean; keyRegion: string }> = {}) => ({
            region,
            engine: "aurora-postgresql",
            engineVersion: over.engineVersion ?? "16.6",
            storageEncrypted: over.storageEncrypted ?? true,
            kmsKeyArn: `arn:aws:kms:${over.keyRegion ?? region}:123456789012:key/k`,
        });

        it("accepts matching, encrypted members, each with its own region's key", () => {
            expect(globalClusterProblems(global, [member("eu-west-2"), member("eu-west-1")])).to.deep.equal([]);
        });

        it("reports every problem at once: a version mismatch, missing encryption and a key from the other region", () => {
            const problems = globalClusterProblems(global, [
                member("eu-west-2", { engineVersion: "16.4" }),
                member("eu-west-1", { storageEncrypted: false, keyRegion: "eu-west-2" }),
            ]);
            expect(problems).to.have.length(3);
            expect(problems.join("\n")).to.match(/eu-west-2 cluster runs version 16.4.*must match/);
            expect(problems.join("\n")).to.match(/eu-west-1 cluster and the global cluster must both have storage encryption/);
            expect(problems.join("\n")).to.match(/eu-west-1 cluster is encrypted with a key in eu-west-2/);
        });

        it("refuses two members in one region", () => {
            expect(globalClusterProblems(global, [member("eu-west-2"), member("eu-west-2")]).join()).to.match(/own region/);
        });
    });
});

describe("the RPO ceiling (rds.global_db_rpo)", () => {
    it("accepts Aurora's range only: whole seconds from 20 to 2^31-1", () => {
        for (const ok of [20, 600, 2_147_483_647]) expect(globalDbRpoProblem(ok), String(ok)).to.equal(undefined);
        for (const bad of [0, 19, 20.5, 2_147_483_648]) {
            expect(globalDbRpoProblem(bad), String(bad)).to.match(/rds\.global_db_rpo is .*whole seconds from 20 to 2147483647/);
        }
    });

    it("adds it to the writer's parameters only, the rest identical in both regions", () => {
        const writer = clusterParametersFor({ writer: true, globalDbRpoSeconds: 600 });
        const other = clusterParametersFor({ writer: false, globalDbRpoSeconds: 600 });
        expect(other).to.deep.equal([...CLUSTER_PARAMETERS]);
        expect(writer.filter((p) => p.name !== GLOBAL_DB_RPO.parameter)).to.deep.equal(other);
        expect(writer.find((p) => p.name === GLOBAL_DB_RPO.parameter)).to.deep.equal({
            name: "rds.global_db_rpo",
            value: "600",
            applyMethod: "immediate",
        });
        expect(clusterParametersFor({ writer: true })).to.deep.equal([...CLUSTER_PARAMETERS]);
    });

    it("refuses a value Aurora would refuse, before any resource exists", () => {
        expect(() => clusterParametersFor({ writer: true, globalDbRpoSeconds: 5 })).to.throw(/from 20 to 2147483647/);
    });
});

describe("the rotation path across regions (lib/peering.ts)", () => {
    const sides: PeeringSides = {
        client: { region: "eu-west-2", vpcCidr: "10.10.0.0/16", subnetCidrs: ["10.10.64.0/20", "10.10.80.0/20"] },
        database: { region: "eu-west-1", vpcCidr: "10.20.0.0/16", subnetCidrs: ["10.20.128.0/20", "10.20.144.0/20"] },
    };
    const with_ = (side: "client" | "database", patch: Partial<PeeringSides["client"]>): PeeringSides => ({
        ...sides,
        [side]: { ...sides[side], ...patch },
    });

    it("accepts two disjoint VPCs in two regions, each side naming subnets of its own VPC", () => {
        expect(peeringProblems(sides)).to.deep.equal([]);
    });

    const bad: [string, PeeringSides, RegExp][] = [
        ["one region", with_("database", { region: "eu-west-2" }), /both in eu-west-2.*admit the client's security group instead/],
        ["overlapping VPCs", with_("database", { vpcCidr: "10.10.0.0/16", subnetCidrs: ["10.10.128.0/20"] }), /overlap: AWS cannot peer/],
        [
            "a subnet outside its VPC",
            with_("client", { subnetCidrs: ["10.30.0.0/20"] }),
            /client subnet 10\.30\.0\.0\/20 is not inside its VPC/,
        ],
        [
            "the whole VPC as a subnet",
            with_("database", { subnetCidrs: ["10.20.0.0/16"] }),
            /database subnet 10\.20\.0\.0\/16 is the whole VPC/,
        ],
        ["no subnets", with_("client", { subnetCidrs: [] }), /no client subnets/],
        ["a malformed CIDR", with_("client", { vpcCidr: "10.10.0.0" }), /client VPC's CIDR 10\.10\.0\.0 is not an IPv4 CIDR block/],
    ];
    for (const [what, input, pattern] of bad) {
        it(`refuses ${what}, saying why`, () => {
            const problems = peeringProblems(input);
            expect(
                problems.some((p) => pattern.test(p)),
                problems.join("\n"),
            ).to.equal(true);
        });
    }

    it("routes each client table to each database subnet and each database table back to each client subnet", () => {
        expect(peeringRoutes(sides, { client: 2, database: 1 })).to.deep.equal([
            { side: "client", table: 0, destination: "10.20.128.0/20" },
            { side: "client", table: 0, destination: "10.20.144.0/20" },
            { side: "client", table: 1, destination: "10.20.128.0/20" },
            { side: "client", table: 1, destination: "10.20.144.0/20" },
            { side: "database", table: 0, destination: "10.10.64.0/20" },
            { side: "database", table: 0, destination: "10.10.80.0/20" },
        ]);
    });
});

describe("backupRules", () => {
    it("makes an hourly snapshot rule and a continuous rule, both kept N days and copied to the DR vault", () => {
        const rules = backupRules({ retentionDays: 35, copyToVaultArn: "arn:dr-vault" });
        expect(rules.map((r) => [r.ruleName, r.schedule, r.enableContinuousBackup, r.lifecycle.deleteAfter])).to.deep.equal([
            ["hourly", HOURLY_SCHEDULE, false, 35],
            ["continuous", HOURLY_SCHEDULE, true, 35],
        ]);
        for (const rule of rules) {
            expect(rule.copyActions).to.deep.equal([{ destinationVaultArn: "arn:dr-vault", lifecycle: { deleteAfter: 35 } }]);
            expect(rule.startWindow).to.be.at.least(60);
        }
    });

    it("schedules on the hour, every hour", () => {
        expect(HOURLY_SCHEDULE).to.equal("cron(0 */1 * * ? *)");
    });

    for (const days of [0, 36, 7.5]) {
        it(`refuses a retention of ${days} days`, () => {
            expect(() => backupRules({ retentionDays: days, copyToVaultArn: "x" })).to.throw(/retentionDays.*1 to 35/);
        });
    }
});

describe("VPC endpoint policies (lib/endpointPolicy.ts)", () => {
    const args = { accountId: "123456789012", partition: "aws", region: "eu-west-2" };

    it("lets through this account's identities on this account's resources, and AWS services on its behalf", () => {
        const doc = accountEndpointPolicy(args);
        expect(doc.Statement.map((s) => s.Condition)).to.deep.equal([
            { StringEquals: { "aws:PrincipalAccount": "123456789012", "aws:ResourceAccount": "123456789012" } },
            { Bool: { "aws:PrincipalIsAWSService": "true" } },
        ]);
    });

    it("adds reads of the named AWS-owned buckets to the S3 endpoint, and nothing of another account", () => {
        const doc = s3EndpointPolicy(args);
        const aws = doc.Statement.find((s) => s.Sid === "ReadNamedAwsOwnedBuckets")!;
        expect(aws.Action).to.equal("s3:GetObject");
        expect(aws.Resource).to.deep.equal(awsOwnedBucketArns("aws", "eu-west-2"));
        expect(aws.Resource).to.include("arn:aws:s3:::prod-eu-west-2-starport-layer-bucket/*");
        expect(endpointPolicyFor("kms", args)).to.deep.equal(accountEndpointPolicy(args));
    });

    it("stays a valid endpoint policy: a Principal in every statement, within 20,480 characters", () => {
        for (const doc of [s3EndpointPolicy(args), accountEndpointPolicy(args)]) {
            expect(doc.Statement.every((s) => s.Principal !== undefined)).to.equal(true);
            expect(JSON.stringify(doc).length).to.be.below(ENDPOINT_POLICY_MAX_CHARACTERS);
        }
    });
});

describe("PHI in the database log (lib/database.ts statementLoggingProblems)", () => {
    const safe = CLUSTER_PARAMETERS.map(({ name, value }) => ({ name, value }));
    const with_ = (name: string, value: string) => [...safe.filter((p) => p.name !== name), { name, value }];

    it("accepts the program's parameters", () => {
        expect(statementLoggingProblems(safe)).to.deep.equal([]);
    });

    for (const [name, value, pattern] of [
        ["log_min_duration_statement", "1000", /literal values/],
        ["log_statement", "all", /text of every statement/],
        ["log_min_error_statement", "error", /failing statement/],
        ["pgaudit.log_parameter", "1", /bind parameters/],
        ["pgaudit.log", "ddl,write", /write/],
    ] as const) {
        it(`catches ${name} = ${value}`, () => {
            expect(statementLoggingProblems(with_(name, value)).join("; ")).to.match(pattern);
        });
    }
});
