// ESLint flat config. Type-aware, so that `@typescript-eslint/no-deprecated` catches any deprecated @pulumi/aws
// resource or property at lint time, before a mock run would print its deprecation warning. One program from the root
// tsconfig (which includes every file, policy-pack's too) rather than the project service, which builds one per
// tsconfig it finds: a third less lint time.
import eslint from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "policy-pack/node_modules/", "bin/", "dist/", ".scratch/", ".venv/", ".tools/", "**/*.js", "**/*.mjs"] },
    eslint.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: {
            parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            "@typescript-eslint/no-deprecated": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
            eqeqeq: ["error", "always"],
            "no-console": "off",
        },
    },
    {
        files: ["tests/**/*.ts"],
        rules: {
            // chai's `expect(x).to.be.true` is an expression statement by design.
            "@typescript-eslint/no-unused-expressions": "off",
        },
    },
    prettier,
);
