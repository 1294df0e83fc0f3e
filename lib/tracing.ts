/**
 * What a Lambda function with active tracing needs to send its traces to AWS X-Ray.
 */
import { policyDocument, type PolicyDocument } from "./iam";

/**
 * `xray:PutTraceSegments` and `xray:PutTelemetryRecords` (AWS's AWSXRayDaemonWriteAccess, less the sampling reads).
 * X-Ray offers no resource-level permission for them, so the resource is `*`.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html#services-xray-permissions
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
 */
export function tracingPolicy(): PolicyDocument {
    return policyDocument([
        {
            Sid: "SendTracesNoResourceLevelPermissionInXRay",
            Effect: "Allow",
            Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            Resource: "*",
        },
    ]);
}
