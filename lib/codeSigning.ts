/**
 * AWS Signer settings for Lambda code signing.
 * @see https://docs.aws.amazon.com/signer/latest/developerguide/lambda-workflow.html
 */

/** The only signing platform Lambda accepts. */
export const SIGNING_PLATFORM = "AWSLambda-SHA384-ECDSA";

/**
 * How long a signature stays valid. Lambda's code-signing policy rejects an expired signature at deploy, so this is
 * the longest a package may go without a new deploy: 135 months, Signer's default.
 * @see https://docs.aws.amazon.com/signer/latest/api/API_SignatureValidityPeriod.html
 */
export const SIGNATURE_VALIDITY = { type: "MONTHS", value: 135 } as const;

/**
 * A signing profile name: 2 to 64 letters, digits and underscores (no hyphens), `hdr_<stack>_<purpose>`.
 * @see https://docs.aws.amazon.com/signer/latest/api/API_PutSigningProfile.html
 */
export function signingProfileName(stack: string, purpose: string): string {
    const name = `hdr_${stack}_${purpose}`.replace(/[^A-Za-z0-9_]/g, "_");
    return name.slice(0, 64);
}
