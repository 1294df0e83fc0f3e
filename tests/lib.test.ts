import { expect } from "chai";
import fc from "fast-check";
import { contains, formatCidr, isPrivate, overlaps, parseCidr, sizeOf } from "../lib/cidr";
import { formatSeconds, parseDuration } from "../lib/duration";
import { isWildcardAction, serviceTrustPolicy } from "../lib/iam";
import { KEY_ACCOUNT_ACTIONS, regionalKeyPolicy } from "../lib/keyPolicy";
import { namePrefix, parameterPath, physicalName } from "../lib/naming";
import { describeRegion, REGION_CODES } from "../lib/regions";
import { closest, editDistance } from "../lib/suggest";

describe("durations", () => {
    const cases: Array<[string, number | undefined]> = [
        ["5s", 5],
        ["15m", 900],
        ["1h", 3600],
        ["1h30m", 5400],
        ["2d", 172800],
        [" 30m ", 1800],
        ["0s", 0],
        ["15", undefined],
        ["m", undefined],
        ["", undefined],
        ["1m1h", undefined],
        ["-5m", undefined],
        ["1.5h", undefined],
    ];
    for (const [text, seconds] of cases) {
        it(`reads ${JSON.stringify(text)} as ${seconds === undefined ? "not a duration" : `${seconds} s`}`, () => {
            expect(parseDuration(text)?.seconds).to.equal(seconds);
        });
    }

    it("formats seconds back into the text an operator writes, round-trip", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 10_000_000 }), (seconds) => {
                expect(parseDuration(formatSeconds(seconds))!.seconds).to.equal(seconds);
            }),
        );
        expect(formatSeconds(5400)).to.equal("1h30m");
        expect(formatSeconds(0)).to.equal("0s");
    });
});

describe("CIDR arithmetic", () => {
    it("parses blocks and refuses malformed ones or ones with host bits set", () => {
        expect(parseCidr("10.10.0.0/16")).to.deep.equal({ network: 0x0a0a0000, prefix: 16 });
        for (const bad of ["10.10.0.0", "10.10.0.0/33", "256.0.0.0/8", "10.10.0.1/16", "a.b.c.d/8", "10.0.0.0/-1"]) {
            expect(parseCidr(bad), bad).to.equal(undefined);
        }
    });

    it("formats what it parses", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (address, prefix) => {
                const network = prefix === 0 ? 0 : (address & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
                const text = formatCidr({ network, prefix });
                expect(parseCidr(text)).to.deep.equal({ network, prefix });
            }),
        );
    });

    it("finds overlaps symmetrically, and a block always overlaps what it contains", () => {
        const block = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 28 })).map(([a, p]) => ({
            network: (a & ((0xffffffff << (32 - p)) >>> 0)) >>> 0,
            prefix: p,
        }));
        fc.assert(
            fc.property(block, block, (a, b) => {
                expect(overlaps(a, b)).to.equal(overlaps(b, a));
                if (contains(a, b)) expect(overlaps(a, b)).to.equal(true);
            }),
        );
        expect(overlaps(parseCidr("10.10.0.0/16")!, parseCidr("10.20.0.0/16")!)).to.equal(false);
        expect(overlaps(parseCidr("10.10.0.0/16")!, parseCidr("10.10.128.0/17")!)).to.equal(true);
        expect(sizeOf(parseCidr("10.0.0.0/22")!)).to.equal(1024);
    });

    it("knows the RFC 1918 private ranges", () => {
        expect(isPrivate(parseCidr("10.10.0.0/16")!)).to.equal(true);
        expect(isPrivate(parseCidr("172.31.0.0/16")!)).to.equal(true);
        expect(isPrivate(parseCidr("192.168.0.0/16")!)).to.equal(true);
        expect(isPrivate(parseCidr("172.32.0.0/16")!)).to.equal(false);
        expect(isPrivate(parseCidr("8.8.0.0/16")!)).to.equal(false);
    });
});

describe("did-you-mean suggestions", () => {
    it("counts a swap of neighbours as one edit", () => {
        expect(editDistance("azCuont", "azCount")).to.equal(1);
        expect(editDistance("", "abc")).to.equal(3);
    });

    it("suggests the closest key, case-insensitively, and nothing for unrelated words", () => {
        const keys = ["primaryRegion", "drRegion", "network", "database"];
        expect(closest("primaryRegon", keys)).to.equal("primaryRegion");
        expect(closest("DATABASE", keys)).to.equal("database");
        expect(closest("colour", keys)).to.equal(undefined);
    });
});

describe("regions", () => {
    it("lists the default regions with their names", () => {
        expect(REGION_CODES).to.include.members(["eu-west-1", "eu-west-2"]);
        expect(describeRegion("eu-west-2")).to.equal("eu-west-2 (Europe (London))");
        expect(describeRegion("xx-nowhere-1")).to.equal("xx-nowhere-1");
    });
});

describe("naming", () => {
    it("derives deterministic, lower-case physical names from the stack", () => {
        expect(namePrefix("Prod")).to.equal("hdr-prod");
        expect(physicalName("prod", ["aurora", "Global"])).to.equal("hdr-prod-aurora-global");
        expect(physicalName("feature/x_1", ["db"])).to.equal("hdr-feature-x-1-db");
        expect(parameterPath("prod", "active-region")).to.equal("/healthcare/prod/active-region");
    });

    it("refuses names longer than the service allows, naming the limit", () => {
        expect(() => physicalName("a".repeat(60), ["db"])).to.throw(/at most 63 are allowed/);
    });
});

describe("IAM documents", () => {
    it("recognises the wildcard actions the house rule forbids", () => {
        expect(isWildcardAction("*")).to.equal(true);
        expect(isWildcardAction("s3:*")).to.equal(true);
        expect(isWildcardAction("s3:GetObject")).to.equal(false);
        expect(isWildcardAction("kms:GenerateDataKey*")).to.equal(false);
    });

    it("limits a service trust policy to this account when asked (confused deputy)", () => {
        const doc = serviceTrustPolicy("s3.amazonaws.com", "123456789012");
        expect(doc.Statement[0]!.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
        expect(serviceTrustPolicy("lambda.amazonaws.com").Statement[0]!.Condition).to.equal(undefined);
    });
});

describe("regional key policy", () => {
    const doc = regionalKeyPolicy({ partition: "aws", accountId: "123456789012", region: "eu-west-1" });

    it("names every action and uses no wildcard action", () => {
        for (const statement of doc.Statement) {
            const actions = typeof statement.Action === "string" ? [statement.Action] : statement.Action;
            for (const action of actions) {
                expect(action.includes("*"), `${statement.Sid}: ${action}`).to.equal(false);
            }
        }
        expect(new Set(KEY_ACCOUNT_ACTIONS).size).to.equal(KEY_ACCOUNT_ACTIONS.length);
    });

    it("lets CloudWatch Logs of this region and account only use the key", () => {
        const logs = doc.Statement.find((s) => s.Sid === "CloudWatchLogsEncryptsThisAccountsLogGroups")!;
        expect(logs.Principal).to.deep.equal({ Service: "logs.eu-west-1.amazonaws.com" });
        expect(logs.Condition).to.deep.equal({
            ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*" },
        });
    });

    it("gives CloudTrail data keys for its trails' context, and DescribeKey and Decrypt (Bucket Key) under aws:SourceArn alone", () => {
        const trails = "arn:aws:cloudtrail:*:123456789012:trail/*";
        const bySid = (sid: string) => doc.Statement.find((s) => s.Sid === sid)!;
        expect(bySid("CloudTrailEncryptsThisAccountsTrails").Condition).to.deep.equal({
            StringLike: { "aws:SourceArn": trails, "kms:EncryptionContext:aws:cloudtrail:arn": trails },
        });
        // DescribeKey carries no encryption context: a context condition on it would never match.
        expect(bySid("CloudTrailDescribesTheKey")).to.deep.include({
            Action: ["kms:DescribeKey"],
            Condition: { StringLike: { "aws:SourceArn": trails } },
        });
        expect(bySid("CloudTrailDecryptsWithTheBucketKey")).to.deep.include({
            Action: ["kms:Decrypt"],
            Condition: { StringLike: { "aws:SourceArn": trails } },
        });
    });

    it("limits every service principal by account, source or encryption context, except EventBridge (see its comment)", () => {
        const services = doc.Statement.filter((s) => typeof s.Principal === "object" && "Service" in s.Principal);
        for (const statement of services.filter((s) => s.Sid !== "EventBridgePublishesToEncryptedTopics")) {
            expect(statement.Condition, statement.Sid).to.not.equal(undefined);
        }
        const events = services.find((s) => s.Sid === "EventBridgePublishesToEncryptedTopics")!;
        expect(events).to.deep.include({ Principal: { Service: "events.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey"] });
    });
});
