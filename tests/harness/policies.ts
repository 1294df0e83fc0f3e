/**
 * The policy-pack harness, for the tests and the offline plan: `runPolicies(run, packConfig?)` runs exactly the
 * pack's `policies` over a planned program run, with validation arguments built as the engine builds them.
 */
export {
    analyze,
    analyzeRun,
    applySchema,
    resolvePackConfig,
    resourcesOfRun,
    runPolicies,
    stackTagsOf,
    type AnalysisResult,
    type AnalyzeOptions,
    type CantRun,
    type Evaluation,
    type HarnessResource,
    type PackConfig,
    type Violation,
} from "../../policy-pack/testing/harness";
