/**
 * The fault-injection harness: an HTTP proxy on 127.0.0.1 between the AWS SDK v3 clients and a moto server, which
 * records every call (service, region, action) and lets a test or the drill break chosen calls the way a real outage
 * breaks them. Used by the orchestrator's fault tests and by `npm run drill -- --scenario ...`.
 *
 * What each fault simulates:
 * - `refuse` / `hang`: a dead region or a black-holed network path. `refuse` is a reset connection (the SDK sees
 *   ECONNRESET or "socket hang up" at once); `hang` is a region that accepts the connection and never answers, so only
 *   the client's timeout or AbortSignal ends the call. Neither reaches moto: nothing changes.
 * - `error`: AWS answering with an error (a throttle, a 503 in a brownout, a refused action), in the service's own
 *   protocol so the SDK parses it exactly as it parses AWS's. With `probability` it is a brownout: some calls fail.
 * - `delay`: a slow region; the call still takes effect, later.
 * - `drop-response` / `hang-after`: the call took effect but its answer was lost. The caller cannot tell this from a
 *   call that never happened, so it must read the state again rather than assume either (idempotent retries).
 * - `rewrite`: AWS reporting a transitional state, e.g. a cluster `failing-over` instead of `available`.
 * - `kill`: the orchestrator's own crash (Lambda timeout, out of memory) at an exact call, before it reached AWS or
 *   just after it took effect. The proxy calls the kill hook (see childRun.ts) and drops the connection.
 *
 * Rules are matched in order; the first unspent rule that matches the call and is not skipping it wins. A rule that
 * lets a call through (`skip`, or a `probability` draw that misses) does not claim it: the next rules are tried. No
 * rule = `pass`. The probability draws come from a PRNG seeded by `options.seed`, so a run is reproducible.
 *
 * Only Node's http: every request and response is buffered (AWS API calls are small), which is what lets the proxy
 * read the action from a query-protocol body and rewrite a response with a correct content-length.
 */
import * as http from "http";
import * as https from "https";
import { randomUUID } from "crypto";
import type { AddressInfo } from "net";

export interface ProxiedCall {
    /** 1, 2, ... in the order the requests arrived. */
    readonly seq: number;
    /** The signing name from the SigV4 credential scope (`rds`, `ssm`, `route53`, ...), or "unknown". */
    readonly service: string;
    /** The signing region from the credential scope (Route 53 signs for us-east-1), or "unknown". */
    readonly region: string;
    /** The API operation (`DescribeDBClusters`, `PutItem`, ...), or `METHOD path` for a REST call not in the table. */
    readonly action: string;
    readonly fault: Fault["kind"];
    /** The status moto answered with; undefined when the call was not forwarded (or moto did not answer). */
    readonly upstreamStatus?: number;
    /** Date.now() when the request had fully arrived. */
    readonly startedAt: number;
    /** Until the answer was sent or the connection ended; undefined while the call is in flight (or hanging). */
    readonly durationMs?: number;
}

export type Fault =
    | { readonly kind: "pass" }
    /** Not forwarded; the connection is destroyed at once. */
    | { readonly kind: "refuse" }
    /** Not forwarded; never answered, until the client gives up or the proxy closes. */
    | { readonly kind: "hang" }
    /** Not forwarded; an AWS error in the service's protocol, which the SDK throws with `name === code`. */
    | { readonly kind: "error"; readonly status: number; readonly code: string; readonly message?: string }
    /** Forwarded (it takes effect), then the connection is destroyed without an answer. */
    | { readonly kind: "drop-response" }
    /** Forwarded (it takes effect), then never answered. */
    | { readonly kind: "hang-after" }
    /** Forwarded after `ms`. */
    | { readonly kind: "delay"; readonly ms: number }
    /** Forwarded; the response body is replaced by `replace(body, call)`. */
    | { readonly kind: "rewrite"; readonly replace: (body: string, call: ProxiedCall) => string }
    /** Calls the kill hook before forwarding (`after: false`) or once moto answered (`after: true`), then drops the connection. */
    | { readonly kind: "kill"; readonly after: boolean };

export interface FaultRule {
    /** Only calls to this signing name. @default any */
    readonly service?: string;
    /** Only calls signed for this region. @default any */
    readonly region?: string;
    /** Only this action (exact) or actions matching the expression. @default any */
    readonly action?: string | RegExp;
    /** Any further condition on the call (as identified; its `fault` is not decided yet). @default none */
    readonly when?: (call: ProxiedCall) => boolean;
    readonly fault: Fault;
    /** Apply at most this many times, then the rule is spent. @default unlimited */
    readonly times?: number;
    /** Let the first n matching calls through first. @default 0 */
    readonly skip?: number;
    /** Apply to a matching call with this probability, 0..1, drawn from the seeded PRNG. @default 1 */
    readonly probability?: number;
}

export interface CallFilter {
    readonly service?: string;
    readonly region?: string;
    readonly action?: string | RegExp;
    readonly fault?: Fault["kind"];
}

export interface FaultProxy {
    /** `http://127.0.0.1:<port>`: the endpoint to give the SDK clients. */
    readonly url: string;
    /** Every call so far, in arrival order. */
    readonly calls: readonly ProxiedCall[];
    setRules(rules: readonly FaultRule[]): void;
    addRule(rule: FaultRule): void;
    /** Forgets the rules and the calls, and reseeds the PRNG. */
    reset(): void;
    /** What a `kill` fault calls; undefined removes the hook (a `kill` then only drops the connection). */
    onKill(hook: ((call: ProxiedCall) => void) | undefined): void;
    /** Stops listening and ends every open connection, the hanging ones included. */
    close(): Promise<void>;
    /** How many recorded calls match the filter. */
    count(filter: CallFilter): number;
}

export interface FaultProxyOptions {
    /** Seed of the PRNG behind `probability`. @default 1 */
    readonly seed?: number;
}

export async function startFaultProxy(upstream: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const target = new URL(upstream);
    const transport = target.protocol === "https:" ? https : http;
    const seed = options.seed ?? 1;
    let random = mulberry32(seed);
    let rules: RuleState[] = [];
    let calls: MutableCall[] = [];
    let killHook: ((call: ProxiedCall) => void) | undefined;
    const timers = new Set<NodeJS.Timeout>();

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            const request: BufferedRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body };
            const call: MutableCall = { seq: calls.length + 1, ...identifyCall(request), fault: "pass", startedAt: Date.now() };
            const fault = chooseFault(rules, call, random);
            call.fault = fault.kind;
            calls.push(call);
            const finish = () => (call.durationMs ??= Date.now() - call.startedAt);
            res.on("close", finish);
            applyFault(fault, call, request, res, finish);
        });
    });

    /** Does what the fault says with one buffered request. */
    function applyFault(fault: Fault, call: MutableCall, request: BufferedRequest, res: http.ServerResponse, finish: () => void): void {
        const drop = () => {
            finish();
            res.socket?.destroy();
        };
        const forwardThen = (then: (answer: UpstreamAnswer) => void) =>
            forward(request, call)
                .then(then)
                .catch(() => drop()); // moto unreachable: the caller sees a dropped connection, as from a dead endpoint
        switch (fault.kind) {
            case "pass":
                return void forwardThen((answer) => reply(res, answer));
            case "refuse":
                return drop();
            case "hang":
                return; // res.on("close") records the duration when the client gives up
            case "error":
                return reply(res, errorAnswer(request, call, fault));
            case "drop-response":
                return void forwardThen(drop);
            case "hang-after":
                return void forwardThen(() => undefined);
            case "delay": {
                const timer = setTimeout(() => {
                    timers.delete(timer);
                    void forwardThen((answer) => reply(res, answer));
                }, fault.ms);
                timers.add(timer);
                return;
            }
            case "rewrite":
                return void forwardThen((answer) =>
                    reply(res, { ...answer, body: Buffer.from(fault.replace(answer.body.toString("utf8"), call), "utf8") }),
                );
            case "kill":
                if (!fault.after) {
                    killHook?.(call);
                    return drop();
                }
                return void forwardThen(() => {
                    killHook?.(call);
                    drop();
                });
        }
    }

    /** Sends the request to moto unchanged (the Host and SigV4 headers included) and buffers the answer. */
    function forward(request: BufferedRequest, call: MutableCall): Promise<UpstreamAnswer> {
        return new Promise((resolve, reject) => {
            const headers = { ...request.headers };
            // Identity encoding, so that a rewrite sees text; the header is not part of the SigV4 signature.
            delete headers["accept-encoding"];
            const out = transport.request(
                {
                    protocol: target.protocol,
                    hostname: target.hostname,
                    port: target.port,
                    method: request.method,
                    path: target.pathname.replace(/\/$/, "") + request.url,
                    headers,
                },
                (upstreamRes) => {
                    const chunks: Buffer[] = [];
                    upstreamRes.on("data", (chunk: Buffer) => chunks.push(chunk));
                    upstreamRes.on("error", reject);
                    upstreamRes.on("end", () => {
                        call.upstreamStatus = upstreamRes.statusCode ?? 502;
                        resolve({ status: call.upstreamStatus, headers: upstreamRes.headers, body: Buffer.concat(chunks) });
                    });
                },
            );
            out.on("error", reject);
            out.end(request.body);
        });
    }

    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;

    return {
        url: `http://127.0.0.1:${port}`,
        get calls() {
            return calls;
        },
        setRules: (next) => {
            rules = next.map(ruleState);
        },
        addRule: (rule) => {
            rules.push(ruleState(rule));
        },
        reset: () => {
            rules = [];
            calls = [];
            random = mulberry32(seed);
        },
        onKill: (hook) => {
            killHook = hook;
        },
        close: () =>
            new Promise<void>((resolve) => {
                timers.forEach(clearTimeout);
                timers.clear();
                const now = Date.now();
                calls.forEach((c) => (c.durationMs ??= now - c.startedAt)); // the hanging calls end here
                server.close(() => resolve());
                server.closeAllConnections();
            }),
        count: (filter) => calls.filter((c) => matchesFilter(c, filter) && (filter.fault === undefined || c.fault === filter.fault)).length,
    };
}

/** A request as the proxy holds it, whole. */
export interface BufferedRequest {
    readonly method: string;
    /** Path and query string. */
    readonly url: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: Buffer;
}

interface UpstreamAnswer {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: Buffer;
}

type MutableCall = { -readonly [K in keyof ProxiedCall]: ProxiedCall[K] };

interface RuleState {
    readonly rule: FaultRule;
    matched: number;
    applied: number;
}

function ruleState(rule: FaultRule): RuleState {
    const problems = ruleProblems(rule);
    if (problems.length > 0) {
        throw new Error(`Invalid fault rule: ${problems.join("; ")}`);
    }
    return { rule, matched: 0, applied: 0 };
}

/** What is wrong with a rule, each problem naming its field and what is allowed. Pure. */
export function ruleProblems(rule: FaultRule): string[] {
    const count = (name: string, value: number | undefined) =>
        value === undefined || (Number.isInteger(value) && value >= 0) ? [] : [`${name} must be a whole number >= 0, got ${value}`];
    const { fault } = rule;
    return [
        ...count("times", rule.times),
        ...count("skip", rule.skip),
        ...(rule.probability === undefined || (rule.probability >= 0 && rule.probability <= 1)
            ? []
            : [`probability must be between 0 and 1, got ${rule.probability}`]),
        ...(fault.kind === "delay" ? count("fault.ms", fault.ms) : []),
        ...(fault.kind === "error" && !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)
            ? [`fault.status must be an HTTP error status 400..599, got ${fault.status}`]
            : []),
        ...(fault.kind === "error" && fault.code.trim() === ""
            ? ["fault.code must name the AWS error code, e.g. ThrottlingException"]
            : []),
    ];
}

function matchesFilter(call: ProxiedCall, filter: { service?: string; region?: string; action?: string | RegExp }): boolean {
    return (
        (filter.service === undefined || call.service === filter.service) &&
        (filter.region === undefined || call.region === filter.region) &&
        (filter.action === undefined ||
            (typeof filter.action === "string" ? call.action === filter.action : filter.action.test(call.action)))
    );
}

/** The first unspent matching rule that does not let the call through decides; otherwise `pass`. */
function chooseFault(rules: readonly RuleState[], call: ProxiedCall, random: () => number): Fault {
    for (const state of rules) {
        const { rule } = state;
        if ((rule.times !== undefined && state.applied >= rule.times) || !matchesFilter(call, rule) || (rule.when && !rule.when(call))) {
            continue;
        }
        state.matched += 1;
        if (state.matched <= (rule.skip ?? 0)) {
            continue;
        }
        if (rule.probability !== undefined && random() >= rule.probability) {
            continue;
        }
        state.applied += 1;
        return rule.fault;
    }
    return { kind: "pass" };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1), the same sequence for the same seed. */
function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Identifying a call

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/**
 * Route 53 and Lambda are REST APIs: the action is the method and the path. Only the calls the orchestrator, the
 * topology and the tests make are named; any other is reported as `METHOD path`.
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Amazon_Route_53.html
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
 */
const REST_ROUTES: readonly { readonly method: string; readonly path: RegExp; readonly action: string }[] = [
    { method: "POST", path: /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, action: "ChangeResourceRecordSets" },
    { method: "GET", path: /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, action: "ListResourceRecordSets" },
    { method: "GET", path: /^\/2013-04-01\/hostedzone\/[^/]+\/?$/, action: "GetHostedZone" },
    { method: "DELETE", path: /^\/2013-04-01\/hostedzone\/[^/]+\/?$/, action: "DeleteHostedZone" },
    { method: "POST", path: /^\/2013-04-01\/hostedzone\/?$/, action: "CreateHostedZone" },
    { method: "GET", path: /^\/2013-04-01\/hostedzone\/?$/, action: "ListHostedZones" },
    { method: "GET", path: /^\/2013-04-01\/change\/[^/]+\/?$/, action: "GetChange" },
    { method: "GET", path: /^\/2013-04-01\/healthcheck\/[^/]+\/status\/?$/, action: "GetHealthCheckStatus" },
    { method: "GET", path: /^\/2013-04-01\/healthcheck\/[^/]+\/?$/, action: "GetHealthCheck" },
    { method: "POST", path: /^\/2013-04-01\/healthcheck\/?$/, action: "CreateHealthCheck" },
    { method: "POST", path: /^\/2015-03-31\/functions\/[^/]+\/invocations\/?$/, action: "Invoke" },
    { method: "GET", path: /^\/2015-03-31\/functions\/[^/]+\/configuration\/?$/, action: "GetFunctionConfiguration" },
    { method: "GET", path: /^\/2015-03-31\/functions\/[^/]+\/?$/, action: "GetFunction" },
];

/** Service, region and action of a request, from its SigV4 scope and its protocol's way of naming the operation. */
export function identifyCall(request: BufferedRequest): { service: string; region: string; action: string } {
    const url = new URL(request.url, "http://proxy");
    const authorization = headerValue(request.headers, "authorization") ?? url.searchParams.get("X-Amz-Credential") ?? "";
    const scope = CREDENTIAL_SCOPE.exec(authorization.startsWith("AWS4") ? authorization : `Credential=${authorization}`);
    const service = scope?.[2] ?? "unknown";
    return {
        service,
        region: scope?.[1] ?? "unknown",
        action: service === "s3" ? s3ActionOf(request.method, url) : actionOf(request, url),
    };
}

/** S3's REST operations the run reports use (path-style: `/<bucket>/<key>`), named as IAM names them. */
function s3ActionOf(method: string, url: URL): string {
    const hasKey = /^\/[^/]+\/.+/.test(url.pathname);
    if (hasKey) {
        return method === "PUT" ? "PutObject" : method === "GET" ? "GetObject" : method === "DELETE" ? "DeleteObject" : `${method} object`;
    }
    const sub = ["object-lock", "encryption", "versioning"].find((q) => url.searchParams.has(q));
    if (method === "PUT") {
        return sub === "object-lock" ? "PutObjectLockConfiguration" : sub === "encryption" ? "PutBucketEncryption" : "CreateBucket";
    }
    return method === "GET" && sub === undefined ? "ListObjects" : `${method} ${url.pathname}`;
}

function actionOf(request: BufferedRequest, url: URL): string {
    const target = headerValue(request.headers, "x-amz-target");
    if (target !== undefined) {
        return target.slice(target.lastIndexOf(".") + 1); // awsJson: `DynamoDB_20120810.PutItem`
    }
    const rpcv2 = /^\/service\/[^/]+\/operation\/([^/]+)$/.exec(url.pathname);
    if (rpcv2) {
        return rpcv2[1]!;
    }
    const queryAction = url.searchParams.get("Action") ?? formParameter(request, "Action"); // awsQuery: rds, sns
    if (queryAction !== null) {
        return queryAction;
    }
    const route = REST_ROUTES.find((r) => r.method === request.method && r.path.test(url.pathname));
    return route?.action ?? `${request.method} ${url.pathname}`;
}

function formParameter(request: BufferedRequest, name: string): string | null {
    const contentType = headerValue(request.headers, "content-type") ?? "";
    return contentType.startsWith("application/x-www-form-urlencoded")
        ? new URLSearchParams(request.body.toString("utf8")).get(name)
        : null;
}

function headerValue(headers: http.IncomingHttpHeaders, name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------------------------------------------------------
// Answering

function reply(res: http.ServerResponse, answer: UpstreamAnswer): void {
    if (res.destroyed) {
        return; // the client gave up meanwhile (a delay longer than its timeout)
    }
    const headers = { ...answer.headers };
    // The body is sent whole: its length replaces any chunked encoding, and a rewrite changes it.
    delete headers["transfer-encoding"];
    delete headers["connection"];
    delete headers["keep-alive"];
    headers["content-length"] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
}

/**
 * An AWS error in the protocol of the request, shaped as AWS sends it, so the SDK's own error parsing runs:
 * - awsQuery (rds, sns): `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`;
 * - awsJson and restJson (ssm, dynamodb, kms, cloudwatch, lambda): `{"__type", "message"}` and `x-amzn-errortype`;
 * - restXml (Route 53): the same ErrorResponse, in Route 53's namespace;
 * - Smithy RPC v2 CBOR: `{"__type", "message"}` in CBOR with the `smithy-protocol` header.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (query error shape)
 * @see https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html#operation-error-serialization
 * @see https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
 */
function errorAnswer(request: BufferedRequest, call: ProxiedCall, fault: Extract<Fault, { kind: "error" }>): UpstreamAnswer {
    const requestId = randomUUID();
    const message = fault.message ?? `${fault.code} (injected by the fault proxy)`;
    const common = { "x-amzn-requestid": requestId, date: new Date().toUTCString() };
    if (headerValue(request.headers, "smithy-protocol") === "rpc-v2-cbor") {
        const body = cborTextMap({ __type: fault.code, message });
        return { status: fault.status, headers: { ...common, "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor" }, body };
    }
    const requestContentType = headerValue(request.headers, "content-type") ?? "";
    const json = headerValue(request.headers, "x-amz-target") !== undefined || call.service === "lambda";
    if (json) {
        const contentType = requestContentType.startsWith("application/x-amz-json") ? requestContentType : "application/json";
        const body = Buffer.from(JSON.stringify({ __type: fault.code, message }), "utf8");
        return { status: fault.status, headers: { ...common, "content-type": contentType, "x-amzn-errortype": fault.code }, body };
    }
    const namespace = call.service === "route53" ? ' xmlns="https://route53.amazonaws.com/doc/2013-04-01/"' : "";
    const type = fault.status >= 500 ? "Receiver" : "Sender";
    const xml =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse${namespace}><Error><Type>${type}</Type>` +
        `<Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { status: fault.status, headers: { ...common, "content-type": "text/xml" }, body: Buffer.from(xml, "utf8") };
}

function escapeXml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** CBOR (RFC 8949) of a map of text strings: all an RPC v2 error body needs. */
function cborTextMap(map: Readonly<Record<string, string>>): Buffer {
    const head = (major: number, length: number): Buffer => {
        if (length < 24) return Buffer.from([(major << 5) | length]);
        if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
        if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
        const b = Buffer.alloc(5);
        b[0] = (major << 5) | 26;
        b.writeUInt32BE(length, 1);
        return b;
    };
    const text = (s: string) => {
        const bytes = Buffer.from(s, "utf8");
        return Buffer.concat([head(3, bytes.length), bytes]);
    };
    const entries = Object.entries(map);
    return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [text(k), text(v)])]);
}
