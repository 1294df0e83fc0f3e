/**
 * The few S3 calls the run reports need (PutObject, GetObject), signed with Signature Version 4 by hand.
 *
 * Why not `@aws-sdk/client-s3`: the project does not depend on it, and adding a dependency needs a reason the project
 * cannot meet otherwise (house rules). Signing one REST call is small and is checked against AWS's own published
 * example (tests/evidence.test.ts); credentials come from the SDK's own provider chain of the other clients, so the
 * function signs with its role exactly as the SDK clients do.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-examples-using-sdks.html
 */
import { createHash, createHmac } from "crypto";
import { recordRequest } from "./clients";

export interface Credentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
}

export interface SignInput {
    readonly method: string;
    /** Host header value. */
    readonly host: string;
    /** The path, already URI-encoded as it is sent. */
    readonly path: string;
    readonly query?: Readonly<Record<string, string>>;
    /** Headers to sign and send (names in any case); host, x-amz-date and x-amz-content-sha256 are added. */
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string;
    readonly region: string;
    readonly service?: string;
    readonly credentials: Credentials;
    /** The request time. */
    readonly date: Date;
}

const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, `/` kept when `path`. Pure. */
export function uriEncode(value: string, path = false): string {
    return Array.from(Buffer.from(value, "utf8"))
        .map((byte) => {
            const c = String.fromCharCode(byte);
            return /[A-Za-z0-9\-_.~]/.test(c) || (path && c === "/") ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
        })
        .join("");
}

/** The headers of a request signed with SigV4 (Authorization included). Pure. */
export function signRequest(input: SignInput): Record<string, string> {
    const service = input.service ?? "s3";
    const amzDate = input.date
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    const payloadHash = sha256Hex(input.body ?? "");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.headers ?? {})) {
        headers[name.toLowerCase()] = value.trim().replace(/\s+/g, " ");
    }
    headers["host"] = input.host;
    headers["x-amz-date"] = amzDate;
    headers["x-amz-content-sha256"] = payloadHash;
    if (input.credentials.sessionToken !== undefined) {
        headers["x-amz-security-token"] = input.credentials.sessionToken;
    }
    const names = Object.keys(headers).sort();
    const query = Object.entries(input.query ?? {})
        .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join("&");
    const canonical = [
        input.method,
        input.path,
        query,
        names.map((n) => `${n}:${headers[n]}\n`).join(""),
        names.join(";"),
        payloadHash,
    ].join("\n");
    const scope = `${day}/${input.region}/${service}/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region), service), "aws4_request");
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    return {
        ...headers,
        authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope},SignedHeaders=${names.join(";")},Signature=${signature}`,
    };
}

/** An S3 error answer: `name` is S3's error code (`PreconditionFailed`, `AccessDenied`, `NoSuchKey`, ...). */
export class S3Error extends Error {
    constructor(
        override readonly name: string,
        message: string,
        readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string },
    ) {
        super(message);
    }
}

export interface S3Client {
    readonly region: string;
    /**
     * PutObject. With `ifNoneMatch` the write succeeds only when no object has the key (S3 conditional writes), so an
     * object is never overwritten: a second write answers `PreconditionFailed`. Content-MD5 is sent, which S3 requires
     * of an upload to a bucket with an Object Lock default retention.
     * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
     * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
     */
    putObject(
        bucket: string,
        key: string,
        body: string,
        options?: { readonly ifNoneMatch?: boolean; readonly contentType?: string; readonly abortSignal?: AbortSignal },
    ): Promise<{ readonly requestId?: string; readonly versionId?: string }>;
    /** GetObject: the body as text. */
    getObject(bucket: string, key: string, options?: { readonly abortSignal?: AbortSignal }): Promise<string>;
    /** Any other request (the local topology creates its buckets with it). Answers the body as text. */
    request(
        method: string,
        bucket: string,
        key: string | undefined,
        options?: {
            readonly query?: Readonly<Record<string, string>>;
            readonly headers?: Readonly<Record<string, string>>;
            readonly body?: string;
            readonly operation?: string;
            readonly abortSignal?: AbortSignal;
        },
    ): Promise<{ readonly status: number; readonly body: string; readonly headers: Headers }>;
}

export interface S3ClientOptions {
    readonly region: string;
    /** Path-style endpoint (moto); undefined: `https://<bucket>.s3.<region>.amazonaws.com`. */
    readonly endpoint?: string;
    readonly credentials: () => Promise<Credentials>;
    /** Request time for the signature. @default the real clock */
    readonly now?: () => Date;
}

export function createS3Client(options: S3ClientOptions): S3Client {
    const request: S3Client["request"] = async (method, bucket, key, o = {}) => {
        const encodedKey = key === undefined ? "" : `/${uriEncode(key, true)}`;
        const url =
            options.endpoint !== undefined
                ? new URL(`${options.endpoint.replace(/\/$/, "")}/${uriEncode(bucket)}${encodedKey}`)
                : new URL(`https://${bucket}.s3.${options.region}.amazonaws.com${encodedKey === "" ? "/" : encodedKey}`);
        for (const [k, v] of Object.entries(o.query ?? {})) {
            url.searchParams.set(k, v);
        }
        const headers = signRequest({
            method,
            host: url.host,
            path: url.pathname,
            ...(o.query !== undefined ? { query: o.query } : {}),
            ...(o.headers !== undefined ? { headers: o.headers } : {}),
            ...(o.body !== undefined ? { body: o.body } : {}),
            region: options.region,
            credentials: await options.credentials(),
            date: (options.now ?? (() => new Date()))(),
        });
        delete headers["host"];
        const operation = o.operation ?? `${method} ${key === undefined ? "bucket" : "object"}`;
        const started = Date.now();
        let response: Response;
        try {
            response = await fetch(url, {
                method,
                headers,
                ...(o.body !== undefined ? { body: o.body } : {}),
                ...(o.abortSignal !== undefined ? { signal: o.abortSignal } : {}),
            });
        } catch (error) {
            const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
            recordRequest({ service: "s3", operation, region: options.region, errorCode: code, startedAt: started });
            throw Object.assign(new Error(`S3 ${operation} ${bucket}/${key ?? ""} did not answer: ${(error as Error).message}`), {
                name: code,
            });
        }
        const body = await response.text();
        const requestId = response.headers.get("x-amz-request-id") ?? response.headers.get("x-amzn-requestid") ?? undefined;
        const errorCode = response.ok ? undefined : (/<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? `Http${response.status}`);
        recordRequest({
            service: "s3",
            operation,
            region: options.region,
            httpStatus: response.status,
            startedAt: started,
            ...(requestId !== undefined ? { requestId } : {}),
            ...(errorCode !== undefined ? { errorCode } : {}),
        });
        if (errorCode !== undefined) {
            const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? body.slice(0, 200);
            throw new S3Error(errorCode, `S3 ${operation} ${bucket}/${key ?? ""}: ${message}`, {
                httpStatusCode: response.status,
                ...(requestId !== undefined ? { requestId } : {}),
            });
        }
        return { status: response.status, body, headers: response.headers };
    };
    return {
        region: options.region,
        request,
        async putObject(bucket, key, body, o = {}) {
            const out = await request("PUT", bucket, key, {
                operation: "PutObject",
                body,
                headers: {
                    "content-type": o.contentType ?? "application/json",
                    "content-md5": createHash("md5").update(body).digest("base64"),
                    ...(o.ifNoneMatch === true ? { "if-none-match": "*" } : {}),
                },
                ...(o.abortSignal !== undefined ? { abortSignal: o.abortSignal } : {}),
            });
            const requestId = out.headers.get("x-amz-request-id") ?? undefined;
            const versionId = out.headers.get("x-amz-version-id") ?? undefined;
            return { ...(requestId !== undefined ? { requestId } : {}), ...(versionId !== undefined ? { versionId } : {}) };
        },
        async getObject(bucket, key, o = {}) {
            return (
                await request("GET", bucket, key, {
                    operation: "GetObject",
                    ...(o.abortSignal !== undefined ? { abortSignal: o.abortSignal } : {}),
                })
            ).body;
        },
    };
}
