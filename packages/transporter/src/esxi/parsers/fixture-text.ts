import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * A golden input file of the parser tests. The files stay in the source tree (`src/esxi/parsers/fixtures`)
 * and are read from there by the compiled tests, so what is checked is exactly what is committed.
 */
export function fixtureText(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../../../src/esxi/parsers/fixtures/${name}`, import.meta.url)), "utf8");
}
