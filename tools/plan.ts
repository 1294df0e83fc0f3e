/**
 * The offline plan: runs the real program for one stack file under the AWS mocks, then prints what it would
 * declare, its outputs, its recovery objectives and the policy pack's verdict. No Pulumi CLI, no AWS account.
 *
 *   npm run plan -- --stack dev [--json] [--config-file PATH] [--preview | --region-down REGION]
 *
 * Exit status: 0 planned cleanly; 1 mandatory policy violations; 2 invalid stack config or usage; 3 the program
 * failed for another reason.
 */
import * as path from "path";
import { parseArgs } from "util";
import { formatIssue, isConfigValidationError } from "../config";
import { runProgram, StackFileError, stackFilePath } from "../tests/harness/program";
import { buildPlanDocument, formatText, hasMandatoryViolations } from "./report";
import { evaluatePolicies, readPackConfig } from "./policies";
// --- region-down mode (issue 13) ---
import { planRegionDown, RegionDownUsageError, type RegionDownPlan } from "../tests/harness/regionDown";
import { formatRegionDown, regionDownDocument } from "./regionDownReport";
// --- end region-down mode ---

const USAGE = `Usage: npm run plan -- --stack NAME [--config-file PATH] [--policy-pack-config PATH] [--preview | --region-down REGION] [--json]

  --stack NAME                the stack to plan (reads Pulumi.NAME.yaml unless --config-file is given)
  --config-file PATH          plan the stack file at PATH instead
  --policy-pack-config PATH   policy pack settings, the JSON file pulumi preview --policy-pack-config takes
  --preview                   plan the first pulumi preview of the empty stack: ids, ARNs and other computed
                              outputs unknown; "can't run" notes and what is left to pulumi up listed apart
  --json                      print the plan as one JSON document
  --region-down REGION        plan with REGION unreachable: every invoke and API call to it fails; the plan must
                              still succeed and change nothing there (the report lists what it leaves as deployed)
`;

export const EXIT = { ok: 0, violations: 1, invalid: 2, failed: 3 } as const;

interface PlanArgs {
    readonly stack: string;
    readonly configFile: string;
    readonly json: boolean;
    readonly preview: boolean;
    readonly packConfig?: string;
    /** --region-down: the region to make unreachable. */
    readonly regionDown?: string;
}

function parse(argv: readonly string[]): PlanArgs | string {
    let values;
    try {
        ({ values } = parseArgs({
            args: [...argv],
            options: {
                stack: { type: "string" },
                "config-file": { type: "string" },
                "policy-pack-config": { type: "string" },
                json: { type: "boolean", default: false },
                preview: { type: "boolean", default: false },
                "region-down": { type: "string" },
                help: { type: "boolean", default: false },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (err) {
        return `${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`;
    }
    if (values.help) {
        return USAGE;
    }
    const configFile = values["config-file"];
    const fromFile = configFile === undefined ? undefined : /^Pulumi\.([^.]+)\.ya?ml$/.exec(path.basename(configFile))?.[1];
    const stack = values.stack ?? fromFile;
    if (stack === undefined) {
        return `--stack is required (or a --config-file named Pulumi.NAME.yaml)\n\n${USAGE}`;
    }
    const packConfig = values["policy-pack-config"];
    const regionDown = values["region-down"];
    if (regionDown !== undefined && values.preview) {
        return `--preview and --region-down are mutually exclusive: a region-down plan is an update of a deployed stack, a preview plans an empty one; choose one\n\n${USAGE}`;
    }
    return {
        ...(regionDown !== undefined ? { regionDown } : {}),
        stack,
        configFile: configFile === undefined ? stackFilePath(stack) : path.resolve(configFile),
        json: values.json,
        preview: values.preview,
        ...(packConfig !== undefined ? { packConfig: path.resolve(packConfig) } : {}),
    };
}

export async function main(argv: readonly string[]): Promise<number> {
    const args = parse(argv);
    if (typeof args === "string") {
        const isHelp = args === USAGE;
        (isHelp ? process.stdout : process.stderr).write(args);
        return isHelp ? EXIT.ok : EXIT.invalid;
    }

    let run;
    // --- region-down mode (issue 13) ---
    let regionDown: RegionDownPlan | undefined;
    // --- end region-down mode ---
    try {
        if (args.regionDown !== undefined) {
            regionDown = await planRegionDown({ stack: args.stack, configFile: args.configFile, region: args.regionDown });
            run = regionDown.run;
        } else {
            run = await runProgram({ stack: args.stack, configFile: args.configFile, preview: args.preview });
        }
    } catch (err) {
        if (err instanceof RegionDownUsageError) {
            process.stderr.write(`${err.message}\n`);
            return EXIT.invalid;
        }
        if (isConfigValidationError(err)) {
            process.stderr.write(`${args.configFile}: stack "${args.stack}" has ${err.issues.length} configuration error(s):\n`);
            for (const issue of err.issues) process.stderr.write(`  - ${formatIssue(issue)}\n`);
            return EXIT.invalid;
        }
        if (err instanceof StackFileError) {
            process.stderr.write(`${err.message}\n`);
            return EXIT.invalid;
        }
        const code = (err as NodeJS.ErrnoException | undefined)?.code;
        if (code === "ENOENT") {
            process.stderr.write(`No stack file at ${args.configFile}\n`);
            return EXIT.invalid;
        }
        process.stderr.write(`The program failed: ${err instanceof Error ? err.message : String(err)}\n`);
        if (process.env["DEBUG"] !== undefined && err instanceof Error) process.stderr.write(`${err.stack}\n`);
        return EXIT.failed;
    }

    let verdict;
    try {
        verdict = await evaluatePolicies(run, args.packConfig === undefined ? undefined : readPackConfig(args.packConfig));
    } catch (err) {
        process.stderr.write(`Policy pack config ${args.packConfig ?? ""}: ${err instanceof Error ? err.message : String(err)}\n`);
        return EXIT.invalid;
    }
    const doc = buildPlanDocument(run, {
        configFile: path.relative(process.cwd(), args.configFile) || args.configFile,
        violations: verdict.violations,
        cantRun: verdict.cantRun,
        decidedAtUpdate: verdict.decidedAtUpdate,
        policyCount: verdict.policyCount,
        policyPackRan: verdict.ran,
    });
    // --- region-down mode (issue 13) ---
    const down = regionDown === undefined ? undefined : regionDownDocument(regionDown);
    const json = down === undefined ? doc : { ...doc, regionDown: down };
    const text = down === undefined ? formatText(doc) : `${formatText(doc)}\n${formatRegionDown(down)}`;
    // --- end region-down mode ---
    process.stdout.write(args.json ? `${JSON.stringify(json, null, 2)}\n` : text);
    return hasMandatoryViolations(doc) ? EXIT.violations : EXIT.ok;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit only once stdout has drained: process.exit() right after a large write to a pipe cuts the output.
        (code) => process.stdout.write("", () => process.exit(code)),
        (err: unknown) => {
            process.stderr.write(`plan: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(EXIT.failed);
        },
    );
}
