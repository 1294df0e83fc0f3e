import { expect } from "chai";
import { actionsOf, isWildcardAction, type PolicyStatement } from "../lib/iam";
import {
    LOG_DELIVERY_SERVICE,
    MIN_TLS_VERSION,
    accessLogBucketPolicy,
    dataBucketPolicy,
    replicationRolePolicy,
    type ReplicationEndpoint,
} from "../lib/s3Policies";

const SOURCE: ReplicationEndpoint = {
    bucketArn: "arn:aws:s3:::hdr-prod-clinical-documents-pri-abc",
    region: "eu-west-2",
    keyArn: "arn:aws:kms:eu-west-2:123456789012:key/11111111-1111-4111-a111-111111111111",
};
const DESTINATION: ReplicationEndpoint = {
    bucketArn: "arn:aws:s3:::hdr-prod-clinical-documents-dr-def",
    region: "eu-west-1",
    keyArn: "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-4222-a222-222222222222",
};

function statement(statements: readonly PolicyStatement[], sid: string): PolicyStatement {
    const found = statements.find((s) => s.Sid === sid);
    expect(found, `statement ${sid}`).to.not.equal(undefined);
    return found!;
}

describe("replicationRolePolicy", () => {
    const statements = replicationRolePolicy({ source: SOURCE, destination: DESTINATION, objectLock: false }).Statement;

    it("grants exactly the S3 and KMS actions replication needs, statement by statement", () => {
        const table: [string, string[], string][] = [
            ["ReadSourceReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], SOURCE.bucketArn],
            [
                "ReadSourceObjectVersions",
                ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                `${SOURCE.bucketArn}/*`,
            ],
            ["WriteReplicas", ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], `${DESTINATION.bucketArn}/*`],
            ["DecryptSourceObjects", ["kms:Decrypt"], SOURCE.keyArn],
            ["EncryptReplicas", ["kms:Encrypt", "kms:Decrypt"], DESTINATION.keyArn],
        ];
        expect(statements.map((s) => s.Sid)).to.deep.equal(table.map(([sid]) => sid));
        for (const [sid, actions, resource] of table) {
            const s = statement(statements, sid);
            expect(s.Effect, sid).to.equal("Allow");
            expect(actionsOf(s), sid).to.deep.equal(actions);
            expect(s.Resource, sid).to.equal(resource);
        }
    });

    it("uses no wildcard action and no wildcard resource", () => {
        for (const s of statements) {
            expect(actionsOf(s).filter(isWildcardAction), s.Sid).to.deep.equal([]);
            expect(s.Resource, s.Sid).to.not.equal("*");
        }
    });

    it("limits each key to S3 in its own region and to its own bucket (bucket ARN: the Bucket Key encryption context)", () => {
        expect(statement(statements, "DecryptSourceObjects").Condition).to.deep.equal({
            StringEquals: { "kms:ViaService": "s3.eu-west-2.amazonaws.com" },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [SOURCE.bucketArn, `${SOURCE.bucketArn}/*`] },
        });
        expect(statement(statements, "EncryptReplicas").Condition).to.deep.equal({
            StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [DESTINATION.bucketArn, `${DESTINATION.bucketArn}/*`] },
        });
    });

    it("adds the Object Lock read actions on the source objects when the source has Object Lock", () => {
        const locked = replicationRolePolicy({ source: SOURCE, destination: DESTINATION, objectLock: true }).Statement;
        expect(actionsOf(statement(locked, "ReadSourceObjectVersions"))).to.deep.equal([
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
            "s3:GetObjectRetention",
            "s3:GetObjectLegalHold",
        ]);
        expect(actionsOf(statement(statements, "ReadSourceObjectVersions"))).to.not.include("s3:GetObjectRetention");
    });
});

describe("dataBucketPolicy", () => {
    const bucketArn = SOURCE.bucketArn;
    const statements = dataBucketPolicy({ bucketArn, keyArn: SOURCE.keyArn }).Statement;

    it("allows nothing: every statement is a Deny", () => {
        expect(statements.map((s) => s.Effect)).to.satisfy((effects: string[]) => effects.every((e) => e === "Deny"));
    });

    it("denies every request without TLS, and with TLS older than 1.2, on the bucket and its objects", () => {
        expect(statement(statements, "DenyInsecureTransport")).to.deep.include({
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        expect(statement(statements, "DenyOutdatedTls").Condition).to.deep.equal({ NumericLessThan: { "s3:TlsVersion": MIN_TLS_VERSION } });
        expect(MIN_TLS_VERSION).to.equal(1.2);
    });

    it("denies uploads that ask for another algorithm, another key, or aws:kms without a key (the AWS managed key)", () => {
        expect(statement(statements, "DenyUploadsNotSseKms")).to.deep.include({
            Action: "s3:PutObject",
            Resource: `${bucketArn}/*`,
            Condition: {
                StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
                Null: { "s3:x-amz-server-side-encryption": "false" },
            },
        });
        expect(statement(statements, "DenyUploadsWithAnotherKmsKey").Condition).to.deep.equal({
            StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": SOURCE.keyArn },
            Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
        });
        expect(statement(statements, "DenyUploadsWithTheAwsManagedKey").Condition).to.deep.equal({
            Null: { "s3:x-amz-server-side-encryption": "false", "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
        });
    });

    it("uses a wildcard action only in Deny statements", () => {
        for (const s of statements.filter((s) => actionsOf(s).some(isWildcardAction))) {
            expect(s.Effect, s.Sid).to.equal("Deny");
        }
    });
});

describe("accessLogBucketPolicy", () => {
    const bucketArn = "arn:aws:s3:::hdr-prod-access-logs-primary-abc";
    const statements = accessLogBucketPolicy({
        bucketArn,
        accountId: "123456789012",
        partition: "aws",
        sourceBucketPrefix: "hdr-prod-",
    }).Statement;

    it("lets the S3 logging service write only for this account's buckets of this stack", () => {
        expect(statement(statements, "AllowServerAccessLogDelivery")).to.deep.equal({
            Sid: "AllowServerAccessLogDelivery",
            Effect: "Allow",
            Principal: { Service: LOG_DELIVERY_SERVICE },
            Action: "s3:PutObject",
            Resource: `${bucketArn}/*`,
            Condition: {
                StringEquals: { "aws:SourceAccount": "123456789012" },
                ArnLike: { "aws:SourceArn": "arn:aws:s3:::hdr-prod-*" },
            },
        });
        expect(LOG_DELIVERY_SERVICE).to.equal("logging.s3.amazonaws.com");
    });

    it("is TLS only and refuses uploads encrypted other than with SSE-S3", () => {
        expect(statements.map((s) => s.Sid)).to.include.members(["DenyInsecureTransport", "DenyOutdatedTls"]);
        expect(statement(statements, "DenyUploadsNotSseS3").Condition).to.deep.equal({
            StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" },
            Null: { "s3:x-amz-server-side-encryption": "false" },
        });
    });
});
