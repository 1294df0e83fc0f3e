/**
 * AWS Config: compliance checked at run time (`healthcare-dr:compliance`). The policy pack checks what a preview
 * would create; AWS Config checks what exists, including what someone changed in the console afterwards.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/WhatIsConfig.html
 */

/**
 * Who owns each region's configuration recorder:
 * - `create`: the stack declares one in each region (with a delivery channel to a KMS-encrypted bucket);
 * - `existing`: the account already records (AWS Config allows one customer-managed recorder per account and region,
 *   often an organisation's); the stack deploys only its conformance pack, rules and alert routing;
 * - `off`: nothing of AWS Config (the preview-time policy pack remains).
 * @see https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
 */
export const AWS_CONFIG_MODES = ["create", "existing", "off"] as const;
export type AwsConfigMode = (typeof AWS_CONFIG_MODES)[number];

/** Run-time compliance settings, every default resolved. */
export interface ComplianceSettings {
    /** `create`, `existing` or `off` (AWS_CONFIG_MODES). */
    readonly awsConfig: AwsConfigMode;
}
