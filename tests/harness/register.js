// Mocha's TypeScript loader: each `.ts` file is transpiled by esbuild (a dev dependency already, for the orchestrator's
// bundle) instead of ts-node's TypeScript compiler: loading the project's modules took 4.4 s of CPU per test process with
// ts-node, 1.4 s with this. Type checking is `npm run typecheck`'s job in either case (ts-node ran transpile-only). The compiler options are tsconfig.json's, so
// class fields, `export =` and the CommonJS interop are what tsc emits; an inline source map keeps stack traces
// pointing at the TypeScript lines. Plain JavaScript: it is what makes TypeScript loadable.
"use strict";
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "tsconfig.json"), "utf8"));
// `import()` becomes a `require` (tsc does the same for CommonJS): left native, Node would resolve it as an ES module.
const options = {
    loader: "ts",
    format: "cjs",
    target: "es2022",
    supported: { "dynamic-import": false },
    sourcemap: "inline",
    tsconfigRaw: { compilerOptions },
};

require.extensions[".ts"] = function (module, filename) {
    const { code } = esbuild.transformSync(fs.readFileSync(filename, "utf8"), { ...options, sourcefile: filename });
    module._compile(code, filename);
};
process.setSourceMapsEnabled(true);
