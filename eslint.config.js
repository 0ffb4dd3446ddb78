// Lint for the whole monorepo. Besides the usual TypeScript rules it enforces the architecture:
// - no import cycles (import-x/no-cycle), inside a package or across packages;
// - packages import each other only through their entry points (`@esxbackup/x`, or a subpath the package
//   declares in its exports, listed below; never `@esxbackup/x/dist/…`
//   or a relative path into another package's folder).
import js from "@eslint/js";
import importX from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["test/fixtures/**", "**/dist/**", "**/node_modules/**", "proto/src/gen/**", ".esxbackup/**", "bench/out/**", "**/*.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { "import-x": importX },
    settings: {
      // Resolves `./x.js` to `./x.ts` and `@esxbackup/x` through each package's tsconfig, so cycles are
      // seen across files and packages exactly as the compiler sees them.
      "import-x/resolver": { typescript: { project: ["packages/*/tsconfig.json", "proto/tsconfig.json"], noWarnOnMultipleProjects: true } },
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: false }],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@esxbackup/*/*", "!@esxbackup/transporter/backup", "!@esxbackup/transporter/agent"],
              message: "Import another package only through its entry point (@esxbackup/<name>).",
            },
            {
              group: ["../../packages/*", "../../../packages/*", "../../../../packages/*", "**/../proto/*", "**/packages/*/src/*"],
              message: "Reach another package through @esxbackup/<name>, not a relative path into its folder.",
            },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  {
    // Tests, scripts and benchmarks talk to the terminal on purpose.
    files: ["**/*.test.ts", "test/**", "bench/**", "**/scripts/**", "**/bin/**"],
    rules: { "no-console": "off" },
  },
);
