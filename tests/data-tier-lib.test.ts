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
import {
    ASSUMED_COPY_HOURS,
    AURORA_COPIES_IN_PROGRESS_LIMIT,
    backupRules,
    CONTINUOUS_SCHEDULE,
    COPY_SCHEDULE,
    copyCadenceProblems,
    dailyRunMinutes,
    longestGapMinutes,
    overlappingRules,
    ruleWindows,
    type BackupRule,
} from "../lib/backup";
import {
    dailyRunMinutes as packDailyRunMinutes,
    startWindowsOverlap as packStartWindowsOverlap,
} from "../policy-pack/policies/lib/schedules";
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
import { auroraLayout, initialSeed, seedProblems } from "../lib/database";
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
    const rules = backupRules({ retentionDays: 35, copyToVaultArn: "arn:other-region-vault" });

    it("makes a continuous rule that does not copy and a daily snapshot rule that copies to the other region's vault", () => {
        expect(rules.map((r) => [r.ruleName, r.schedule, r.enableContinuousBackup, r.lifecycle.deleteAfter])).to.deep.equal([
            ["continuous", CONTINUOUS_SCHEDULE, true, 35],
            ["daily-copy", COPY_SCHEDULE, false, 35],
        ]);
        expect(rules[0]!.copyActions).to.deep.equal([]);
        expect(rules[1]!.copyActions).to.deep.equal([{ destinationVaultArn: "arn:other-region-vault", lifecycle: { deleteAfter: 35 } }]);
        for (const rule of rules) expect(rule.startWindow).to.be.at.least(60);
    });

    it("runs the continuous rule at 05:00 UTC and the copy rule at 17:00 UTC, every day", () => {
        expect(dailyRunMinutes(CONTINUOUS_SCHEDULE)).to.deep.equal([5 * 60]);
        expect(dailyRunMinutes(COPY_SCHEDULE)).to.deep.equal([17 * 60]);
    });

    it("keeps the rules' start windows, and even their whole jobs, apart", () => {
        expect(overlappingRules(rules, "start")).to.deep.equal([]);
        expect(overlappingRules(rules, "job")).to.deep.equal([]);
    });

    it("copies at a cadence the Aurora copy limits sustain, for this stack and another one in the same account", () => {
        expect(copyCadenceProblems(rules, { clustersCopiedIn: 1 })).to.deep.equal([]);
        expect(copyCadenceProblems(rules, { clustersCopiedIn: 2 })).to.deep.equal([]);
        expect(longestGapMinutes([COPY_SCHEDULE])).to.equal(ASSUMED_COPY_HOURS * 60);
    });

    for (const days of [0, 36, 7.5]) {
        it(`refuses a retention of ${days} days`, () => {
            expect(() => backupRules({ retentionDays: days, copyToVaultArn: "x" })).to.throw(/retentionDays.*1 to 35/);
        });
    }
});

describe("AWS Backup schedules and windows (lib/backup.ts)", () => {
    const rule = (ruleName: string, schedule: string, extra: Partial<BackupRule<string>> = {}): BackupRule<string> => ({
        ruleName,
        schedule,
        startWindow: 60,
        completionWindow: 180,
        enableContinuousBackup: false,
        lifecycle: { deleteAfter: 7 },
        copyActions: [],
        ...extra,
    });
    const copying = { copyActions: [{ destinationVaultArn: "arn:v", lifecycle: { deleteAfter: 7 } }] };

    for (const [expression, minutes] of [
        ["cron(0 5 * * ? *)", [300]],
        ["cron(30 2 ? * * *)", [150]],
        ["cron(0 */1 * * ? *)", Array.from({ length: 24 }, (_, h) => h * 60)],
        ["cron(15 * * * ? *)", Array.from({ length: 24 }, (_, h) => h * 60 + 15)],
        ["cron(0 */6 * * ? *)", [0, 360, 720, 1080]],
        ["cron(0 2/12 * * ? *)", [120, 840]],
        ["cron(0 13,1 * * ? *)", [60, 780]],
        ["cron(0 5 ? * MON *)", undefined],
        ["cron(0 5 1 * ? *)", undefined],
        ["cron(0 24 * * ? *)", undefined],
        ["cron(60 5 * * ? *)", undefined],
        ["cron(0 1-5 * * ? *)", undefined],
        ["rate(1 day)", undefined],
    ] as const) {
        it(`reads ${expression} as ${minutes === undefined ? "not a daily schedule" : `runs at ${minutes.length} times a day`}, as the policy pack does`, () => {
            expect(dailyRunMinutes(expression)).to.deep.equal(minutes);
            expect(packDailyRunMinutes(expression)).to.deep.equal(minutes);
        });
    }

    it("finds overlapping start windows for two daily rules exactly when they start in the same hour, as the policy pack does", () => {
        for (let a = 0; a < 24; a++) {
            for (let b = 0; b < 24; b++) {
                const [ra, rb] = [rule("a", `cron(0 ${a} * * ? *)`), rule("b", `cron(0 ${b} * * ? *)`)];
                expect(overlappingRules([ra, rb], "start").length, `${a}:00 and ${b}:00`).to.equal(a === b ? 1 : 0);
                expect(packStartWindowsOverlap(ra, rb), `${a}:00 and ${b}:00`).to.equal(a === b);
            }
        }
    });

    it("sees windows that run past midnight, and whole jobs as well as start windows", () => {
        const late = rule("late", "cron(30 23 * * ? *)");
        const early = rule("early", "cron(0 0 * * ? *)");
        expect(ruleWindows(late, "start")).to.deep.equal([{ start: 1410, end: 1470 }]);
        expect(overlappingRules([late, early], "start")).to.deep.equal([["late", "early"]]);
        const laterStart = rule("later", "cron(0 2 * * ? *)");
        expect(overlappingRules([late, laterStart], "start")).to.deep.equal([]);
        expect(overlappingRules([late, laterStart], "job")).to.deep.equal([["late", "later"]]);
    });

    it("reports a rule whose schedule it cannot read against the others: nothing proves it apart", () => {
        expect(overlappingRules([rule("weekly", "cron(0 5 ? * MON *)"), rule("daily", "cron(0 17 * * ? *)")], "start")).to.deep.equal([
            ["weekly", "daily"],
        ]);
    });

    it("catches the plan this replaced: two identical hourly rules, both copying", () => {
        const problems = copyCadenceProblems(
            [
                rule("hourly", "cron(0 */1 * * ? *)", copying),
                rule("continuous", "cron(0 */1 * * ? *)", { ...copying, enableContinuousBackup: true }),
            ],
            { clustersCopiedIn: 1 },
        );
        expect(problems).to.have.length(3);
        expect(problems[0]).to.match(/Rule continuous is continuous and copies/);
        expect(problems[1]).to.match(/Rules hourly and continuous have overlapping start windows/);
        expect(problems[2]).to.match(/start a copy every 1 h, but one copy may take 24 h/);
    });

    it("catches copy rules that together copy faster than a copy may take, and more clusters than copies in progress", () => {
        const twice = [rule("morning", "cron(0 6 * * ? *)", copying), rule("evening", "cron(0 18 * * ? *)", copying)];
        expect(copyCadenceProblems(twice, { clustersCopiedIn: 1 }).join()).to.match(/every 12 h, but one copy may take 24 h/);
        expect(copyCadenceProblems(twice, { clustersCopiedIn: 1, copyHours: 12 })).to.deep.equal([]);
        const daily = [rule("daily", "cron(0 17 * * ? *)", copying)];
        expect(copyCadenceProblems(daily, { clustersCopiedIn: AURORA_COPIES_IN_PROGRESS_LIMIT })).to.deep.equal([]);
        expect(copyCadenceProblems(daily, { clustersCopiedIn: AURORA_COPIES_IN_PROGRESS_LIMIT + 1 }).join()).to.match(
            /6 Aurora clusters copy into one region, more than the 5 snapshot copies/,
        );
        expect(copyCadenceProblems([rule("weekly", "cron(0 5 ? * MON *)", copying)], { clustersCopiedIn: 1 }).join()).to.match(
            /cannot be read as daily schedules/,
        );
    });
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

describe("the database seed and generations (lib/database.ts auroraLayout)", () => {
    const regions = { primary: "eu-west-2", dr: "eu-west-1" } as const;

    it("keeps the names of the database as first deployed in generation 1", () => {
        const layout = auroraLayout("prod", regions);
        expect(layout.global).to.deep.equal({ generation: 1, identifier: "hdr-prod-aurora", seedLabel: "primary" });
        expect(layout.clusters.primary).to.deep.include({ identifier: "hdr-prod-aurora-eu-west-2", createdAs: "writer", seed: true });
        expect(layout.clusters.dr).to.deep.include({ identifier: "hdr-prod-aurora-eu-west-1", createdAs: "secondary", seed: false });
        expect(auroraLayout("prod", regions, initialSeed("eu-west-2"))).to.deep.equal(layout);
    });

    it("names a rebuild's global cluster and new cluster by generation, and keeps the seed as it was created", () => {
        const second = auroraLayout("prod", regions, { region: "eu-west-1", generation: 2, clusterGenerations: { primary: 2, dr: 1 } });
        expect(second.global).to.deep.equal({ generation: 2, identifier: "hdr-prod-aurora-g2", seedLabel: "dr" });
        expect(second.clusters.dr).to.deep.include({ identifier: "hdr-prod-aurora-eu-west-1", createdAs: "secondary", seed: true });
        expect(second.clusters.primary).to.deep.include({
            identifier: "hdr-prod-aurora-eu-west-2-g2",
            createdAs: "secondary",
            seed: false,
        });
        const third = auroraLayout("prod", regions, { region: "eu-west-2", generation: 3, clusterGenerations: { primary: 2, dr: 3 } });
        expect(third.global.identifier).to.equal("hdr-prod-aurora-g3");
        expect(third.clusters.primary).to.deep.include({ identifier: "hdr-prod-aurora-eu-west-2-g2", createdAs: "secondary", seed: true });
        expect(third.clusters.dr).to.deep.include({ identifier: "hdr-prod-aurora-eu-west-1-g3", seed: false });
    });

    it("keeps the original writer's credentials inputs when a break-glass goes home (it was created as the writer)", () => {
        const home = auroraLayout("prod", regions, { region: "eu-west-2", generation: 2, clusterGenerations: { primary: 1, dr: 2 } });
        expect(home.clusters.primary).to.deep.include({ identifier: "hdr-prod-aurora-eu-west-2", createdAs: "writer", seed: true });
        expect(home.clusters.dr).to.deep.include({ identifier: "hdr-prod-aurora-eu-west-1-g2", createdAs: "secondary" });
    });

    for (const [seed, path, pattern] of [
        [
            { region: "eu-central-1", generation: 2, clusterGenerations: { primary: 2, dr: 1 } },
            "region",
            /primaryRegion \(eu-west-2\) or drRegion/,
        ],
        [{ region: "eu-west-1", generation: 1, clusterGenerations: { primary: 1, dr: 1 } }, "region", /in generation 1/],
        [{ region: "eu-west-2", generation: 1.5, clusterGenerations: { primary: 1, dr: 1 } }, "generation", /whole number from 1/],
        [
            { region: "eu-west-1", generation: 2, clusterGenerations: { primary: 3, dr: 1 } },
            "clusterGenerations.primary",
            /from 1 to database\.seed\.generation/,
        ],
        [{ region: "eu-west-1", generation: 2, clusterGenerations: { primary: 1, dr: 1 } }, "clusterGenerations.primary", /must be 2/],
        [{ region: "eu-west-1", generation: 3, clusterGenerations: { primary: 3, dr: 3 } }, "clusterGenerations.dr", /must be below 3/],
    ] as const) {
        it(`refuses ${JSON.stringify(seed)} at ${path}, and AuroraPair's layout throws on it`, () => {
            const problems = seedProblems(seed, regions);
            expect(problems.map((p) => p.path.join("."))).to.deep.equal([path]);
            expect(problems[0]!.message).to.match(pattern);
            expect(() => auroraLayout("prod", regions, seed)).to.throw(/Invalid database seed/);
        });
    }
});

describe("the commit timestamps the lost-writes comparison reads", () => {
    it("sets track_commit_timestamp in every cluster parameter group, applied at the next reboot (a static parameter)", () => {
        for (const writer of [true, false]) {
            expect(clusterParametersFor({ writer, globalDbRpoSeconds: 600 })).to.deep.include({
                name: "track_commit_timestamp",
                value: "1",
                applyMethod: "pending-reboot",
            });
        }
    });
});
