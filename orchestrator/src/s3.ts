/**
 * The two S3 calls the run reports need, over AWS's own S3 client: PutObject (a report, written once) and GetObject
 * (the on-call CLI and the tests reading one back). A facade, so that the evidence code and its tests depend on these
 * two operations only.
 *
 * - PutObject to a bucket with an Object Lock default retention needs an integrity header: the SDK sends a CRC32
 *   checksum with every upload (its default `requestChecksumCalculation: WHEN_SUPPORTED`), which S3 accepts in place of
 *   Content-MD5.
 *   @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 *   @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * - `ifNoneMatch` makes the write succeed only when no object has the key (S3 conditional writes): a report is never
 *   overwritten; a second write answers `PreconditionFailed`.
 *   @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
import { GetObjectCommand, PutObjectCommand, S3Client as AwsS3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

export interface S3Client {
    readonly region: string;
    putObject(
        bucket: string,
        key: string,
        body: string,
        options?: { readonly ifNoneMatch?: boolean; readonly contentType?: string; readonly abortSignal?: AbortSignal },
    ): Promise<{ readonly requestId?: string; readonly versionId?: string }>;
    /** GetObject: the body as text. */
    getObject(bucket: string, key: string, options?: { readonly abortSignal?: AbortSignal }): Promise<string>;
}

/** The facade over an SDK client (whose middleware, such as the request capture of clients.ts, applies to every call). */
export function reportObjects(client: AwsS3Client, region: string): S3Client {
    return {
        region,
        async putObject(bucket, key, body, o = {}) {
            const out = await client.send(
                new PutObjectCommand({
                    Bucket: bucket,
                    Key: key,
                    Body: body,
                    ContentType: o.contentType ?? "application/json",
                    ...(o.ifNoneMatch === true ? { IfNoneMatch: "*" } : {}),
                }),
                o.abortSignal !== undefined ? { abortSignal: o.abortSignal } : {},
            );
            return {
                ...(out.$metadata.requestId !== undefined ? { requestId: out.$metadata.requestId } : {}),
                ...(out.VersionId !== undefined ? { versionId: out.VersionId } : {}),
            };
        },
        async getObject(bucket, key, o = {}) {
            const out = await client.send(
                new GetObjectCommand({ Bucket: bucket, Key: key }),
                o.abortSignal !== undefined ? { abortSignal: o.abortSignal } : {},
            );
            return (await out.Body?.transformToString("utf-8")) ?? "";
        },
    };
}

/**
 * An S3 client of `region`. With an `endpoint` (moto) the requests are path-style: a local server has no per-bucket
 * host names.
 */
export function createS3Client(options: {
    readonly region: string;
    readonly endpoint?: string;
    readonly credentials?: S3ClientConfig["credentials"];
}): S3Client {
    return reportObjects(sdkS3Client(options), options.region);
}

/** The SDK client under the facade (the local topology also creates its buckets with it). */
export function sdkS3Client(
    options: { readonly region: string; readonly endpoint?: string; readonly credentials?: S3ClientConfig["credentials"] },
    extra: Omit<S3ClientConfig, "region" | "endpoint" | "credentials" | "forcePathStyle"> = {},
): AwsS3Client {
    return new AwsS3Client({
        ...extra,
        region: options.region,
        ...(options.endpoint !== undefined ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
        ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    });
}
