import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { ENVIRONMENT_DEFAULTS, parseStackConfig, type ConfigIssue, type StackConfig } from "../config";
import { readStackFile, runProgram, stackFilePath, type PlannedResource } from "./harness/program";

const BAD = path.join(__dirname, "fixtures", "bad-stacks");

function parseFile(file: string, stack = "dev") {
    return parseStackConfig(readStackFile(file), stack);
}

function issuesOf(file: string, stack = "dev"): readonly ConfigIssue[] {
    const result = parseFile(path.join(BAD, file), stack);
    if (result.ok) {
        throw new Error(`${file} was accepted, but it is invalid on purpose`);
    }
    return result.issues;
}

function valid(file: string, stack = "dev"): StackConfig {
    const result = parseFile(file, stack);
    if (!result.ok) {
        throw new Error(`${file} was rejected: ${result.issues.map((i) => `${i.key}: ${i.message}`).join("; ")}`);
    }
    return result.config;
}

/**
 * Each bad stack file, the exact keys its errors must name, and the words the message must contain.
 */
const BAD_STACKS: ReadonlyArray<{ file: string; keys: string[]; message: RegExp }> = [
    { file: "unknown-key-typo", keys: ["healthcare-dr:primaryRegon"], message: /did you mean primaryRegion\?/ },
    { file: "unknown-nested-key-typo", keys: ["healthcare-dr:database.minCapcity"], message: /did you mean minCapacity\?/ },
    { file: "flat-dotted-key", keys: ["healthcare-dr:network.azCount"], message: /pulumi config set --path 'network\.azCount'/ },
    { file: "namespace-typo", keys: ["healthcare_dr:drRegion"], message: /did you mean healthcare-dr:drRegion\?/ },
    { file: "unknown-region", keys: ["healthcare-dr:primaryRegion"], message: /not an AWS region.*eu-west-1/ },
    { file: "region-underscores", keys: ["healthcare-dr:drRegion"], message: /did you mean eu-west-1\?/ },
    { file: "identical-regions", keys: ["healthcare-dr:drRegion"], message: /must differ from primaryRegion/ },
    {
        file: "active-region-other",
        keys: ["healthcare-dr:activeRegion"],
        message: /must be primaryRegion \(eu-west-2\) or drRegion \(eu-west-1\)/,
    },
    { file: "cidr-malformed", keys: ["healthcare-dr:network.primaryCidr"], message: /not an IPv4 CIDR block/ },
    { file: "cidr-host-bits", keys: ["healthcare-dr:network.drCidr"], message: /no host bits set/ },
    { file: "cidr-public", keys: ["healthcare-dr:network.primaryCidr"], message: /RFC 1918/ },
    { file: "cidr-too-small", keys: ["healthcare-dr:network.drCidr"], message: /prefix between \/16 and \/22/ },
    { file: "cidr-overlap", keys: ["healthcare-dr:network.drCidr"], message: /overlaps network\.primaryCidr/ },
    { file: "az-count-one", keys: ["healthcare-dr:network.azCount"], message: /at least 2.*two availability zones/ },
    { file: "az-count-word", keys: ["healthcare-dr:network.azCount"], message: /whole number from 2 to 4/ },
    { file: "engine-version-unquoted", keys: ["healthcare-dr:database.engineVersion"], message: /quoted string.*16\.10/ },
    { file: "engine-version-too-old", keys: ["healthcare-dr:database.engineVersion"], message: /major 13, 14, 15, 16, 17/ },
    { file: "capacity-zero", keys: ["healthcare-dr:database.minCapacity"], message: /0\.5 to 256 ACU.*auto-pause/ },
    { file: "capacity-above-max", keys: ["healthcare-dr:database.maxCapacity"], message: /0\.5 to 256 ACU/ },
    { file: "capacity-quarter-step", keys: ["healthcare-dr:database.maxCapacity"], message: /steps of 0\.5/ },
    {
        file: "capacity-min-above-max",
        keys: ["healthcare-dr:database.minCapacity"],
        message: /must not exceed database\.maxCapacity \(4\)/,
    },
    {
        file: "max-replication-lag-too-small",
        keys: ["healthcare-dr:database.maxReplicationLagSeconds"],
        message: /at least 20 seconds: the smallest rds\.global_db_rpo.*from 20 to 2147483647/,
    },
    {
        file: "max-replication-lag-above-rpo",
        keys: ["healthcare-dr:database.maxReplicationLagSeconds"],
        message: /must not exceed objectives\.rpo \(15m, 900 s\).*allowed: 20 to 900/,
    },
    {
        file: "seed-region-other",
        keys: ["healthcare-dr:database.seed.region"],
        message: /must be primaryRegion \(eu-west-2\) or drRegion \(eu-west-1\)/,
    },
    { file: "seed-generation-zero", keys: ["healthcare-dr:database.seed.generation"], message: /whole number from 1/ },
    {
        file: "seed-cluster-generations-missing",
        keys: ["healthcare-dr:database.seed.clusterGenerations"],
        message: /is required when database\.seed\.generation is above 1.*-g<n>/,
    },
    {
        file: "seed-cluster-generations-inconsistent",
        keys: ["healthcare-dr:database.seed.clusterGenerations.primary", "healthcare-dr:database.seed.clusterGenerations.dr"],
        message: /must be (2|below 2) \(database\.seed\.generation\)/,
    },
    {
        file: "seed-generation-one-from-dr",
        keys: ["healthcare-dr:database.seed.region"],
        message: /must be primaryRegion \(eu-west-2\) in generation 1/,
    },
    { file: "retention-too-short", keys: ["healthcare-dr:database.backupRetentionDays"], message: /at least 7 days/ },
    { file: "retention-too-long", keys: ["healthcare-dr:database.backupRetentionDays"], message: /at most 35 days/ },
    { file: "rto-not-a-duration", keys: ["healthcare-dr:objectives.rto"], message: /positive duration such as 30s, 15m, 1h/ },
    { file: "rpo-zero", keys: ["healthcare-dr:objectives.rpo"], message: /positive duration/ },
    { file: "rpo-bare-number", keys: ["healthcare-dr:objectives.rpo"], message: /positive duration/ },
    { file: "email-malformed", keys: ["healthcare-dr:alerts.emails[1]"], message: /not a valid email address/ },
    { file: "email-none", keys: ["healthcare-dr:alerts.emails"], message: /at least one address/ },
    { file: "alerts-missing", keys: ["healthcare-dr:alerts"], message: /is required/ },
    { file: "tag-reserved-prefix", keys: ["healthcare-dr:tags.aws:team"], message: /must not start with aws:/ },
    { file: "tag-set-by-program", keys: ["healthcare-dr:tags.Environment"], message: /set by the program/ },
    { file: "tag-value-number", keys: ["healthcare-dr:tags.CostCentre"], message: /must be strings \(quote numbers/ },
    { file: "environment-unknown", keys: ["healthcare-dr:environment"], message: /one of dev, prod/ },
    { file: "log-retention-invalid", keys: ["healthcare-dr:logging.retentionDays"], message: /retention periods: 1, 3, 5, 7, 14, 30/ },
    { file: "protect-not-boolean", keys: ["healthcare-dr:protect"], message: /true or false/ },
    {
        file: "guardduty-unknown",
        keys: ["healthcare-dr:monitoring.guardDuty"],
        message: /must be create or existing.*one per account and region/,
    },
    {
        file: "os-metrics-log-group-unknown",
        keys: ["healthcare-dr:monitoring.osMetricsLogGroup"],
        message: /must be create or existing.*RDSOSMetrics.*one per account and region/,
    },
    { file: "account-id-missing", keys: ["healthcare-dr:accountId"], message: /is required/ },
    { file: "account-id-unquoted", keys: ["healthcare-dr:accountId"], message: /12-digit AWS account id.*quoted in YAML/ },
    {
        file: "az-other-region",
        keys: ["healthcare-dr:network.primaryAvailabilityZones"],
        message: /eu-west-1b, not availability zones of eu-west-2/,
    },
    {
        file: "az-fewer-than-count",
        keys: ["healthcare-dr:network.drAvailabilityZones"],
        message: /lists 2 zones, but network\.azCount is 3/,
    },
    {
        file: "az-no-default",
        keys: ["healthcare-dr:network.drAvailabilityZones"],
        message: /required for us-west-1.*describe-availability-zones/,
    },
];

describe("stack configuration", () => {
    describe("the project's own stack files", () => {
        for (const stack of ["dev", "prod"]) {
            it(`accepts Pulumi.${stack}.yaml`, () => {
                const config = valid(stackFilePath(stack), stack);
                expect(config.environment).to.equal(stack);
                expect(config.primaryRegion).to.equal("eu-west-2");
                expect(config.drRegion).to.equal("eu-west-1");
            });
        }

        it("protects prod and leaves dev destroyable", () => {
            expect(valid(stackFilePath("prod"), "prod").protect).to.equal(true);
            expect(valid(stackFilePath("dev"), "dev").protect).to.equal(false);
        });

        it("tags every resource with the program's tags and the stack file's", () => {
            expect(valid(stackFilePath("prod"), "prod").tags).to.deep.include({
                Project: "healthcare-dr",
                Environment: "prod",
                Stack: "prod",
                ManagedBy: "pulumi",
                Owner: "platform-engineering",
                DataClassification: "PHI",
            });
        });
    });

    describe("defaults", () => {
        const minimal = path.join(__dirname, "fixtures", "valid-minimal.yaml");

        it("needs nothing but alert addresses, with London primary and Ireland DR", () => {
            const config = valid(minimal);
            expect(config.primaryRegion).to.equal("eu-west-2");
            expect(config.drRegion).to.equal("eu-west-1");
            expect(config.activeRegion, "the writer is at home until a failover").to.equal("eu-west-2");
            expect(config.network).to.deep.include({ primaryCidr: "10.10.0.0/16", drCidr: "10.20.0.0/16", azCount: 3 });
            expect(config.objectives.rto).to.deep.equal({ text: "1h", seconds: 3600 });
            expect(config.objectives.rpo).to.deep.equal({ text: "15m", seconds: 900 });
        });

        for (const environment of ["dev", "prod"] as const) {
            it(`lets the ${environment} environment decide protection, backup and log retention`, () => {
                const config = valid(minimal, environment);
                expect(config.environment).to.equal(environment);
                expect(config.protect).to.equal(ENVIRONMENT_DEFAULTS[environment].protect);
                expect(config.database.backupRetentionDays).to.equal(ENVIRONMENT_DEFAULTS[environment].backupRetentionDays);
                expect(config.logging.retentionDays).to.equal(ENVIRONMENT_DEFAULTS[environment].logRetentionDays);
            });
        }

        it("seeds the global database from the primary region in generation 1 unless a rebuild says otherwise", () => {
            expect(valid(minimal).database.seed).to.deep.equal({
                region: "eu-west-2",
                generation: 1,
                clusterGenerations: { primary: 1, dr: 1 },
            });
            const rebuilt = (seed: unknown) =>
                parseStackConfig(
                    {
                        "healthcare-dr:accountId": "123456789012",
                        "healthcare-dr:alerts": '{"emails":["a@example.org"]}',
                        "healthcare-dr:activeRegion": "eu-west-1",
                        "healthcare-dr:database": JSON.stringify({ seed }),
                    },
                    "prod",
                );
            // After a break-glass to eu-west-1, then one back to eu-west-2: each rebuild one generation more.
            const first = rebuilt({ region: "eu-west-1", generation: 2, clusterGenerations: { primary: 2, dr: 1 } });
            expect(first.ok && first.config.database.seed).to.deep.equal({
                region: "eu-west-1",
                generation: 2,
                clusterGenerations: { primary: 2, dr: 1 },
            });
            expect(rebuilt({ region: "eu-west-2", generation: 3, clusterGenerations: { primary: 2, dr: 3 } }).ok).to.equal(true);
            // Twice from the same region (a managed switchover home in between): the seed keeps generation 1.
            expect(rebuilt({ region: "eu-west-1", generation: 3, clusterGenerations: { primary: 3, dr: 1 } }).ok).to.equal(true);
        });

        it("lets a stack file override the environment's protection default", () => {
            const result = parseStackConfig(
                {
                    "healthcare-dr:accountId": "123456789012",
                    "healthcare-dr:protect": "true",
                    "healthcare-dr:alerts": '{"emails":["a@example.org"]}',
                },
                "dev",
            );
            expect(result.ok && result.config.protect).to.equal(true);
        });

        it("ignores other namespaces such as aws:region (the program uses explicit providers)", () => {
            const result = parseStackConfig(
                {
                    "aws:region": "us-east-1",
                    "healthcare-dr:accountId": "123456789012",
                    "healthcare-dr:alerts": '{"emails":["a@example.org"]}',
                },
                "dev",
            );
            expect(result.ok).to.equal(true);
        });

        it("requires the environment when the stack name does not give it", () => {
            const result = parseStackConfig(
                { "healthcare-dr:accountId": "123456789012", "healthcare-dr:alerts": '{"emails":["a@example.org"]}' },
                "qa-eu",
            );
            expect(result.ok).to.equal(false);
            expect(!result.ok && result.issues.map((i) => i.key)).to.deep.equal(["healthcare-dr:environment"]);
            expect(!result.ok && result.issues[0]!.message).to.match(/stack name "qa-eu" is neither dev nor prod/);
        });
    });

    describe("bad stack files", () => {
        it(`has a case for every file in tests/fixtures/bad-stacks`, () => {
            const files = fs.readdirSync(BAD).map((f) => f.replace(/\.yaml$/, ""));
            expect([...BAD_STACKS.map((c) => c.file), "many-errors"].sort()).to.deep.equal(files.sort());
        });

        for (const { file, keys, message } of BAD_STACKS) {
            it(`rejects ${file}.yaml naming ${keys.join(", ")}`, () => {
                const issues = issuesOf(`${file}.yaml`);
                expect(issues.map((i) => i.key)).to.deep.equal(keys);
                for (const issue of issues) {
                    expect(issue.message).to.match(message);
                }
            });
        }

        it("reports every problem of a file at once, each with the offending value", () => {
            const issues = issuesOf("many-errors.yaml");
            expect(issues.map((i) => i.key).sort()).to.deep.equal(
                [
                    "healthcare-dr:primaryRegion",
                    "healthcare-dr:network.azCount",
                    "healthcare-dr:database.minCapacity",
                    "healthcare-dr:database.backupRetentinDays",
                    "healthcare-dr:objectives.rpo",
                    "healthcare-dr:alerts.emails[0]",
                ].sort(),
            );
            expect(issues.find((i) => i.key === "healthcare-dr:primaryRegion")!.value).to.equal("mars-north-1");
            expect(issues.find((i) => i.key === "healthcare-dr:network.azCount")!.value).to.equal(9);
            expect(issues.find((i) => i.key === "healthcare-dr:database.backupRetentinDays")!.message).to.match(
                /did you mean backupRetentionDays\?/,
            );
        });

        it("reports a bad database seed together with every other problem of the file", () => {
            const raw = {
                "healthcare-dr:accountId": "123456789012",
                "healthcare-dr:network": JSON.stringify({ azCount: 9 }),
                "healthcare-dr:alerts": '{"emails":["not-an-address"]}',
                "healthcare-dr:database": JSON.stringify({ minCapacity: 0, seed: { region: "eu-west-1", generation: 2 } }),
            };
            const result = parseStackConfig(raw, "dev");
            expect(result.ok ? [] : result.issues.map((i) => i.key)).to.have.members([
                "healthcare-dr:database.seed.clusterGenerations",
                "healthcare-dr:database.minCapacity",
                "healthcare-dr:network.azCount",
                "healthcare-dr:alerts.emails[0]",
            ]);
        });

        it("fails the program before any resource is declared, with a RunError the CLI prints without a stack trace", async () => {
            const declared: PlannedResource[] = [];
            let error: unknown;
            try {
                await runProgram({ stack: "dev", configFile: path.join(BAD, "many-errors.yaml"), observe: (r) => declared.push(r) });
            } catch (err) {
                error = err;
            }
            expect(error).to.be.instanceOf(Error);
            expect((error as Error).name).to.equal("ConfigValidationError");
            expect((error as Error).message).to.match(/Stack "dev" has 6 configuration errors:/);
            // pulumi.RunError is what the Pulumi CLI reports as a plain message.
            expect((error as { __pulumiRunError?: boolean }).__pulumiRunError).to.equal(true);
            expect(declared).to.deep.equal([]);
        });
    });
});
