/**
 * How the orchestrator reads AWS errors. The decisions that matter:
 * - "Refused": AWS looked at the global database and declined the managed failover (its state does not allow it,
 *   e.g. different engine versions in the two regions). The run then fails and pages: the orchestrator never
 *   detaches a cluster on its own (a break-glass decision for a human). FailoverGlobalCluster documents four errors:
 *   DBClusterNotFoundFault, GlobalClusterNotFoundFault, InvalidDBClusterStateFault, InvalidGlobalClusterStateFault;
 *   the two state faults are refusals, the two not-found faults mean the configuration is wrong.
 *   @see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverGlobalCluster.html#API_FailoverGlobalCluster_Errors
 * - Throttling, timeouts, network errors and 5xx are never refusals: the request may not have been seen, or may be
 *   running. They fail the step (after the SDK's own retries) and a re-run resumes it.
 */

/** Error codes that mean AWS declined the managed failover or switchover in the current state. */
export const REFUSAL_ERRORS = ["InvalidGlobalClusterStateFault", "InvalidDBClusterStateFault"] as const;

/** Error codes of throttling, as the AWS SDKs classify them. */
export const THROTTLING_ERRORS = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
] as const;

/** Error codes and Node error codes of timeouts and broken connections. */
export const TRANSIENT_ERRORS = [
    "TimeoutError",
    "RequestTimeout",
    "RequestTimeoutException",
    "ECONNRESET",
    "ECONNREFUSED",
    "ETIMEDOUT",
    "EPIPE",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "InternalFailure",
    "ServiceUnavailable",
    "InternalError",
] as const;

interface ErrorLike {
    readonly name?: unknown;
    readonly code?: unknown;
    readonly Code?: unknown;
    readonly $metadata?: { readonly httpStatusCode?: number };
    readonly $retryable?: unknown;
}

/** The AWS error code (SDK v3 puts it in `name`), or a Node error code. */
export function errorCode(error: unknown): string {
    if (error === null || typeof error !== "object") {
        return String(error);
    }
    const e = error as ErrorLike;
    for (const candidate of [e.Code, e.code, e.name]) {
        if (typeof candidate === "string" && candidate !== "" && candidate !== "Error") {
            return candidate;
        }
    }
    return "Error";
}

export function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

export function isThrottling(error: unknown): boolean {
    return (THROTTLING_ERRORS as readonly string[]).includes(errorCode(error));
}

/** Timeouts, broken connections and server-side (5xx) errors: the outcome of the call is unknown. */
export function isTransient(error: unknown): boolean {
    const status = (error as ErrorLike | null)?.$metadata?.httpStatusCode;
    return (TRANSIENT_ERRORS as readonly string[]).includes(errorCode(error)) || (typeof status === "number" && status >= 500);
}

/** True only when AWS declined the managed path; never for throttling, timeouts or server errors. */
export function isRefusal(error: unknown): boolean {
    return !isThrottling(error) && !isTransient(error) && (REFUSAL_ERRORS as readonly string[]).includes(errorCode(error));
}

/** Errors that say the named resource does not exist. */
export function isNotFound(error: unknown): boolean {
    return [
        "DBClusterNotFoundFault",
        "GlobalClusterNotFoundFault",
        "ParameterNotFound",
        "ResourceNotFoundException",
        "NoSuchHostedZone",
    ].includes(errorCode(error));
}
