/**
 * The lint step is part of the test command, and it enforces the architecture: this proves the rules fire
 * on the fixtures (an import cycle, imports reaching into another package) and that the repository is clean.
 */
import { strict as assert } from "node:assert";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { ESLint } from "eslint";

const root = fileURLToPath(new URL("../../../", import.meta.url));

async function lint(patterns: string[], ignore = true): Promise<ESLint.LintResult[]> {
  const eslint = new ESLint({ cwd: root, ignore });
  return eslint.lintFiles(patterns);
}

function ruleIds(results: ESLint.LintResult[]): string[] {
  return results.flatMap((result) => result.messages.map((message) => message.ruleId ?? "parse-error"));
}

describe("lint", () => {
  it("reports an import cycle", async () => {
    const results = await lint(["test/fixtures/import-cycle/first.ts"], false);
    assert.ok(ruleIds(results).includes("import-x/no-cycle"), `rules reported: ${ruleIds(results).join(", ")}`);
  });

  it("reports imports that reach into another package's internals", async () => {
    const results = await lint(["test/fixtures/internal-import/reach-in.ts"], false);
    const restricted = results.flatMap((result) => result.messages).filter((message) => message.ruleId === "no-restricted-imports");
    assert.equal(restricted.length, 2, JSON.stringify(restricted.map((message) => message.message)));
  });

  it("finds no problem in the repository", { timeout: 300_000 }, async () => {
    const results = await lint(["."]);
    const problems = results.flatMap((result) =>
      result.messages.map((message) => `${result.filePath}:${message.line}:${message.column} ${message.ruleId ?? ""} ${message.message}`),
    );
    assert.deepEqual(problems, []);
  });
});
