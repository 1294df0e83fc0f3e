/**
 * Bundles the orchestrator's TypeScript (orchestrator/src/handler.ts and everything it imports, the AWS SDK v3
 * clients and Powertools included) into one CommonJS file with esbuild, at program time. The SDK is bundled rather
 * than taken from the Lambda runtime, so that the function runs exactly the client versions the tests and the drill
 * ran. Memoised: both stacks of a test run share one build.
 */
import { buildSync } from "esbuild";
import * as path from "path";

/**
 * The function runs on `nodejs22.x`; the bundle targets it. Not `nodejs20.x`: Node.js 20 reached its end of life
 * in April 2026 and Lambda deprecates a runtime when its language version does.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-supported
 */
export const LAMBDA_RUNTIME = "nodejs22.x";
export const BUNDLE_TARGET = "node22";

let cached: string | undefined;

export function bundleOrchestrator(): string {
    if (cached === undefined) {
        const result = buildSync({
            entryPoints: [path.join(__dirname, "src", "handler.ts")],
            bundle: true,
            platform: "node",
            target: BUNDLE_TARGET,
            format: "cjs",
            write: false,
            minify: true,
            sourcemap: false,
            legalComments: "none",
            logLevel: "silent",
        });
        cached = result.outputFiles[0]!.text;
    }
    return cached;
}
