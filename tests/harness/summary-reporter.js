// The spec reporter, plus one plain closing line `mocha: N passed, N failed, N skipped` that CI reads as the
// test count. Plain JavaScript: mocha loads reporters before ts-node is registered.
"use strict";
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const { passes, failures, pending } = runner.stats;
            process.stdout.write(`mocha: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
        });
    }
}

module.exports = SummaryReporter;
