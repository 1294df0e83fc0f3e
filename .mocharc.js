// Mocha's configuration. The spec list is every test file once, the slowest first: `mocha --parallel` hands files to
// its workers in this order, so starting the long ones (CLI subprocesses, moto, several program runs) early keeps a
// worker from picking one up last while the other sits idle. A file missing from SLOWEST_FIRST still runs (the walk
// below finds it); the list only orders.
"use strict";
const fs = require("fs");
const path = require("path");

// Measured per file (mocha --parallel --jobs 2, a reporter stamping when each file's results arrive): the tail of
// mid-sized files (rebuild, evidence, history, the 5-8 s program-run files) is listed too, so that no ~15 s file is
// the last one picked up by a worker while the other has run out of files.
const SLOWEST_FIRST = [
    "tests/failover-faults.test.ts",
    "tests/application-runtime.test.ts",
    "tests/failover-integration.test.ts",
    "tests/drill.test.ts",
    "tests/regionDown.test.ts",
    "tests/checkov.test.ts",
    "tests/plan.test.ts",
    "tests/application-tier.test.ts",
    "tests/policies-plan.test.ts",
    "tests/rebuild.test.ts",
    "tests/evidence.test.ts",
    "tests/failover-history.test.ts",
    "tests/active-region.test.ts",
    "tests/pointers.test.ts",
    "tests/data-tier.test.ts",
    "tests/tables.test.ts",
    "tests/program.test.ts",
    "tests/runtime-compliance.test.ts",
    "tests/monitoring.test.ts",
    "tests/faultProxy.test.ts",
];

/** Every `*.test.ts` under `dir` (relative to this file, with forward slashes), outside node_modules. */
function testFiles(dir) {
    return fs.readdirSync(path.join(__dirname, dir), { withFileTypes: true }).flatMap((entry) => {
        const file = `${dir}/${entry.name}`;
        if (entry.isDirectory()) return entry.name === "node_modules" ? [] : testFiles(file);
        return entry.name.endsWith(".test.ts") ? [file] : [];
    });
}

const all = [...testFiles("tests"), ...testFiles("policy-pack")].sort();

module.exports = {
    require: ["./tests/harness/register.js"],
    extension: ["ts"],
    spec: [...SLOWEST_FIRST.filter((file) => all.includes(file)), ...all.filter((file) => !SLOWEST_FIRST.includes(file))],
    reporter: "tests/harness/summary-reporter.js",
    timeout: 20000,
    slow: 1000,
};
