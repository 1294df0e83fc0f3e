/**
 * Secrets Manager and EC2 through their wire protocols, for the few calls a break-glass and its fence make, without
 * two more AWS SDK packages in the function's bundle (the project carries the SDK clients of the services it used
 * before break-glass; a new npm dependency is avoided unless unavoidable). Each call is one signed HTTPS request:
 * - Secrets Manager speaks JSON 1.1 (`X-Amz-Target: secretsmanager.<Action>`, errors as `{ "__type", "message" }`);
 *   @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonParameters.html
 * - EC2 speaks its Query protocol (form-encoded `Action=...&Version=2016-11-15`, XML answers, errors as
 *   `<Response><Errors><Error><Code>`).
 *   @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html
 * - Signed with Signature Version 4 (node:crypto).
 *   @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * Errors are thrown with the AWS error code as `name` and `$metadata.httpStatusCode`, as the SDK throws them, so that
 * errors.ts reads them the same way. Retries (throttling, 5xx, broken connections) only where the caller allows them.
 */
import { createHash, createHmac } from "crypto";
import { isThrottling, isTransient } from "./errors";

export interface Credentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
}

export interface SignedClientOptions {
    readonly region: string;
    /** `secretsmanager` or `ec2`: the signing name and the endpoint's first label. */
    readonly service: "secretsmanager" | "ec2";
    /** @default https://<service>.<region>.amazonaws.com */
    readonly endpoint?: string;
    /** @default the Lambda runtime's credentials from the environment (AWS_ACCESS_KEY_ID, ...) */
    readonly credentials?: () => Promise<Credentials> | Credentials;
    /** Per-attempt timeout, ms. */
    readonly timeoutMs: number;
    /** Attempts per call; only throttling, 5xx and broken connections are retried. */
    readonly maxAttempts: number;
}

/**
 * The credentials Lambda gives the function's role in its environment.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export function environmentCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
    const accessKeyId = env["AWS_ACCESS_KEY_ID"];
    const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"];
    if (accessKeyId === undefined || secretAccessKey === undefined) {
        throw Object.assign(new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them for the role)"), {
            name: "CredentialsProviderError",
        });
    }
    const sessionToken = env["AWS_SESSION_TOKEN"];
    return { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
}

const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** Signs a POST to `/` with SigV4; returns the headers to send. Pure (given the time). */
export function signPost(args: {
    readonly url: URL;
    readonly region: string;
    readonly service: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
    readonly credentials: Credentials;
    readonly now: Date;
}): Record<string, string> {
    const amzDate = args.now.toISOString().replace(/[:-]|\.\d{3}/g, "");
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = {
        ...Object.fromEntries(Object.entries(args.headers).map(([k, v]) => [k.toLowerCase(), v])),
        host: args.url.host,
        "x-amz-date": amzDate,
        ...(args.credentials.sessionToken !== undefined ? { "x-amz-security-token": args.credentials.sessionToken } : {}),
    };
    const names = Object.keys(headers).sort();
    const canonical = [
        "POST",
        args.url.pathname || "/",
        "",
        ...names.map((n) => `${n}:${headers[n]!.trim()}`),
        "",
        names.join(";"),
        sha256(args.body),
    ].join("\n");
    const scope = `${day}/${args.region}/${args.service}/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${args.credentials.secretAccessKey}`, day), args.region), args.service), "aws4_request");
    const signature = createHmac("sha256", key).update(toSign, "utf8").digest("hex");
    return {
        ...headers,
        authorization: `AWS4-HMAC-SHA256 Credential=${args.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
    };
}

/** An AWS error as the SDK shapes it. */
export function awsError(code: string, message: string, status: number): Error {
    return Object.assign(new Error(message || code), { name: code, $metadata: { httpStatusCode: status } });
}

export class SignedClient {
    private readonly url: URL;

    constructor(private readonly options: SignedClientOptions) {
        this.url = new URL(options.endpoint ?? `https://${options.service}.${options.region}.amazonaws.com`);
    }

    get region(): string {
        return this.options.region;
    }

    /** One call, retried only on throttling, 5xx and broken connections (up to maxAttempts). */
    protected async post(
        headers: Record<string, string>,
        body: string,
        abortSignal?: AbortSignal,
    ): Promise<{ status: number; text: string }> {
        let attempt = 0;
        for (;;) {
            attempt++;
            try {
                return await this.once(headers, body, abortSignal);
            } catch (error) {
                if (attempt >= this.options.maxAttempts || abortSignal?.aborted === true || !(isThrottling(error) || isTransient(error))) {
                    throw error;
                }
                await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
            }
        }
    }

    private async once(
        headers: Record<string, string>,
        body: string,
        abortSignal?: AbortSignal,
    ): Promise<{ status: number; text: string }> {
        const credentials = await (this.options.credentials ?? (() => environmentCredentials()))();
        const signed = signPost({
            url: this.url,
            region: this.options.region,
            service: this.options.service,
            headers,
            body,
            credentials,
            now: new Date(),
        });
        const timeout = AbortSignal.timeout(this.options.timeoutMs);
        const signal = abortSignal !== undefined ? AbortSignal.any([abortSignal, timeout]) : timeout;
        let res: Response;
        try {
            // The host header is set by fetch itself from the URL; it was signed with the same value.
            const { host: _host, ...sent } = signed;
            res = await fetch(this.url, { method: "POST", headers: sent, body, signal });
        } catch (error) {
            const cause = (error as { cause?: { code?: string } }).cause?.code;
            if (timeout.aborted) {
                throw awsError(
                    "TimeoutError",
                    `${this.options.service} in ${this.options.region} did not answer within ${this.options.timeoutMs} ms`,
                    0,
                );
            }
            throw awsError(
                cause ?? (error instanceof Error ? error.name : "NetworkingError"),
                error instanceof Error ? error.message : String(error),
                0,
            );
        }
        return { status: res.status, text: await res.text() };
    }
}

/** Secrets Manager (JSON 1.1). */
export class SecretsClient extends SignedClient {
    async call<T = Record<string, unknown>>(
        action: string,
        input: Record<string, unknown>,
        options: { abortSignal?: AbortSignal } = {},
    ): Promise<T> {
        const { status, text } = await this.post(
            { "content-type": "application/x-amz-json-1.1", "x-amz-target": `secretsmanager.${action}` },
            JSON.stringify(input),
            options.abortSignal,
        );
        const parsed = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
        if (status >= 300) {
            const type = String(parsed["__type"] ?? `HTTP${status}`)
                .split("#")
                .pop()!;
            throw awsError(type, String(parsed["message"] ?? parsed["Message"] ?? ""), status);
        }
        return parsed as T;
    }
}

/** A parsed XML element: its children by name (in order) and its text. */
export interface XmlElement {
    readonly name: string;
    readonly children: XmlElement[];
    text: string;
}

/** A small XML reader for EC2's answers (elements and text; attributes, comments and declarations skipped). Pure. */
export function parseXml(xml: string): XmlElement {
    const root: XmlElement = { name: "#root", children: [], text: "" };
    const stack: XmlElement[] = [root];
    const tag = /<(\/?)([A-Za-z_][\w.:-]*)([^>]*?)(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->/g;
    let last = 0;
    for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
        const text = xml.slice(last, m.index);
        if (text.trim() !== "") {
            stack[stack.length - 1]!.text += decode(text);
        }
        last = tag.lastIndex;
        if (m[2] === undefined) {
            continue;
        }
        if (m[1] === "/") {
            stack.pop();
        } else {
            const element: XmlElement = { name: m[2], children: [], text: "" };
            stack[stack.length - 1]!.children.push(element);
            if (m[4] !== "/") {
                stack.push(element);
            }
        }
    }
    return root;
}

function decode(text: string): string {
    return text
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
        .replace(/&amp;/g, "&");
}

/** The first child named `name`, or undefined. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
    return element?.children.find((c) => c.name === name);
}

/** The `<item>` children of the child list named `name` (EC2's list encoding). */
export function items(element: XmlElement | undefined, name: string): XmlElement[] {
    return child(element, name)?.children.filter((c) => c.name === "item") ?? [];
}

export function textOf(element: XmlElement | undefined, name: string): string | undefined {
    return child(element, name)?.text;
}

/** EC2 (Query protocol, XML answers). */
export class Ec2Client extends SignedClient {
    async call(action: string, params: Readonly<Record<string, string>>, options: { abortSignal?: AbortSignal } = {}): Promise<XmlElement> {
        const body = new URLSearchParams({ Action: action, Version: "2016-11-15", ...params }).toString();
        const { status, text } = await this.post(
            { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
            body,
            options.abortSignal,
        );
        const doc = parseXml(text);
        if (status >= 300) {
            const error = child(child(child(doc, "Response"), "Errors"), "Error") ?? child(doc, "ErrorResponse");
            throw awsError(textOf(error, "Code") ?? `HTTP${status}`, textOf(error, "Message") ?? text.slice(0, 300), status);
        }
        return doc.children[0] ?? doc;
    }
}
