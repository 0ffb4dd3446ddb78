import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { parseSnapshotTree, type SnapshotTreeNode } from "./parse-snapshot-tree.js";
import { seededRandom } from "./seeded-random.js";

const kuiper = { name: "snapshot_backup", id: 5, description: "0", createdAt: new Date("2022-12-17T15:34:49Z"), state: "poweredOn", children: [] };

test("snapshot.get: the ESXi 6.7/7.0 sample (esxi-facts 1.3, verbatim)", () => {
  assert.deepEqual(parseSnapshotTree(fixtureText("snapshot-get-6.7-verbatim.txt")), { operation: "get", roots: [kuiper] });
});

test("snapshot.get: an ESXi 8.0 tree (verbatim, the public Go test file of getallvms-8.0-nfs, 'captured from a real ESXi 8.0 host') — an empty description with its trailing blank, a child older than its parent", () => {
  const child = { name: "cs4s-x-5", id: 15, description: "cs-freeze4snap", createdAt: new Date(Date.UTC(2021, 4, 9, 23, 50, 0)), state: "poweredOff" as const, children: [] };
  assert.deepEqual(parseSnapshotTree(fixtureText("snapshot-get-8.0-verbatim.txt")), {
    operation: "get",
    roots: [{ name: "test", id: 14, description: "", createdAt: new Date(Date.UTC(2023, 3, 12, 16, 12, 54)), state: "poweredOn", children: [child] }],
  });
});

test("snapshot.get: a VM without snapshots prints only the header", () => {
  assert.deepEqual(parseSnapshotTree(fixtureText("snapshot-get-none-verbatim.txt")), { operation: "get", roots: [] });
});

const nested = {
  name: "before upgrade",
  id: 1,
  description: "",
  createdAt: new Date("2017-11-30T00:00:04Z"),
  state: "poweredOff",
  children: [
    {
      name: "esxbackup-run-2026-10-04",
      id: 2,
      description: "",
      createdAt: new Date("2026-10-04T19:00:52Z"),
      state: "poweredOn",
      children: [{ name: 'a: b [c] "d"', id: 17, description: "memory included", createdAt: new Date("2021-05-09T23:50:00Z"), state: "suspended", children: [] }],
    },
  ],
};

test("snapshot.get: three levels, unpadded times, an empty description with and without its trailing blank", () => {
  assert.deepEqual(parseSnapshotTree(fixtureText("snapshot-get-nested-derived.txt")), { operation: "get", roots: [nested] });
});

test("snapshot.remove and snapshot.revert print the remaining tree after their own header", () => {
  assert.deepEqual(parseSnapshotTree(fixtureText("snapshot-remove-derived.txt"), "vim-cmd vmsvc/snapshot.remove"), { operation: "remove", roots: [kuiper] });
  assert.deepEqual(parseSnapshotTree(fixtureText("snapshot-revert-derived.txt")), { operation: "revert", roots: [{ ...nested, children: [] }] });
});

test("snapshot.get: ESX 4.x prints no Snapshot Id", () => {
  assert.deepEqual(parseSnapshotTree(fixtureText("snapshot-get-4.x-no-id-derived.txt")).roots, [{ ...kuiper, id: undefined }]);
});

test("snapshot.get: siblings under one parent and a second root attach where their prefixes say", () => {
  const block = (depth: number, name: string, id: number): string[] => {
    const p = "--".repeat(depth + 1);
    return [`${"--".repeat(depth)}|-${depth === 0 ? "ROOT" : "CHILD"}`, `${p}Snapshot Name        : ${name}`, `${p}Snapshot Id        : ${id}`, `${p}Snapshot Desciption  : `, `${p}Snapshot Created On  : 1/2/2026 3:4:5`, `${p}Snapshot State       : powered off`];
  };
  const text = ["Get Snapshot:", ...block(0, "r1", 1), ...block(1, "c1", 2), ...block(2, "g1", 3), ...block(1, "c2", 4), ...block(0, "r2", 5)].join("\n");
  const shape = (n: { name: string; children: readonly unknown[] }): unknown => [n.name, n.children.map((c) => shape(c as typeof n))];
  assert.deepEqual(parseSnapshotTree(text).roots.map(shape), [
    ["r1", [["c1", [["g1", []]]], ["c2", []]]],
    ["r2", []],
  ]);
});

test("snapshot.get: a description over several lines is kept whole", () => {
  const text = fixtureText("snapshot-get-6.7-verbatim.txt").replace("Desciption  : 0", "Desciption  : first\nsecond line");
  assert.equal(parseSnapshotTree(text).roots[0]?.description, "first\nsecond line");
});

test("snapshot.get: a description holding a pasted fault is a description (derived: the description rule of esxi-facts 0)", () => {
  const [root] = parseSnapshotTree(fixtureText("snapshot-get-description-fault-text-derived.txt")).roots;
  assert.equal(root?.description, 'upgrade stopped at\nPower on failed: (vim.fault.GenericVmConfigFault) {\n   msg = "This host does not support AMD-V."\n}');
  assert.equal(root?.state, "poweredOff");
});

test("snapshot.get: a description that quotes a snapshot tree runs to its snapshot's Created On line (derived: the description rule of esxi-facts 0, the field order of 1.3)", () => {
  const [root] = parseSnapshotTree(fixtureText("snapshot-get-description-quotes-tree-derived.txt")).roots;
  assert.equal(root?.name, "before-migration");
  assert.equal(root?.description, "tree on the old host was:\n|-ROOT\n--Snapshot Name        : base\n--Snapshot State       : powered off\n--|-CHILD\n----Snapshot Name        : patched");
  assert.deepEqual(root?.createdAt, new Date(Date.UTC(2024, 2, 1, 8, 5, 9)));
  assert.equal(root?.state, "poweredOff");
  assert.deepEqual(
    root?.children.map((c) => [c.name, c.id, c.description, c.state, c.children.length]),
    [["after-migration", 5, "", "poweredOn", 0]],
  );
});

test("snapshot.get: a description with empty lines and indented lines keeps them, as annotations do (esxi-facts 0)", () => {
  const base = fixtureText("snapshot-get-nested-derived.txt");
  const text = base.replace("Desciption  : memory included", "Desciption  : memory included\n\n  indented after an empty line\n");
  const grandchild = parseSnapshotTree(text).roots[0]?.children[0]?.children[0];
  assert.equal(grandchild?.description, "memory included\n\n  indented after an empty line\n");
  assert.deepEqual(grandchild?.createdAt, new Date("2021-05-09T23:50:00Z"));
});

const kuiperText = fixtureText("snapshot-get-6.7-verbatim.txt");
const variants: [string, string][] = [
  ["CRLF line ends", kuiperText.replaceAll("\n", "\r\n")],
  ["blank lines around the tree", `\n${kuiperText}\n\n`],
  ["the label spelt correctly", kuiperText.replace("Desciption", "Description")],
  ["trailing blanks after values and markers", kuiperText.replace("|-ROOT", "|-ROOT  ").replace("powered on", "powered on  ").replace(": 5", ": 5 ")],
  ["a header with a trailing blank", kuiperText.replace("Get Snapshot:", "Get Snapshot: ")],
];
for (const [what, text] of variants) {
  test(`snapshot.get: the 6.7 sample with ${what} reads the same`, () => {
    assert.deepEqual(parseSnapshotTree(text), { operation: "get", roots: [kuiper] });
  });
}

const good = fixtureText("snapshot-get-6.7-verbatim.txt");
const malformed: [string, string, number | undefined, RegExp][] = [
  ["empty output", "", undefined, /empty output/u],
  ["a fault instead of a tree", '(vim.fault.NotFound) {\n   msg = "Unable to find a VM corresponding to "2""\n}\n', 1, /expected 'Get Snapshot:'/u],
  ["a field before any ROOT", "Get Snapshot:\n--Snapshot Name        : x\n", 2, /wrong depth/u],
  ["a CHILD without a parent", "Get Snapshot:\n--|-CHILD\n", 2, /CHILD snapshot without a parent/u],
  ["a ROOT below the top level", "Get Snapshot:\n--|-ROOT\n", 2, /ROOT snapshot below the top level/u],
  ["a field at the wrong depth", good.replace("--Snapshot Id", "----Snapshot Id"), 4, /wrong depth/u],
  ["an unknown state", good.replace("powered on", "hibernating"), 2, /unknown state/u],
  ["a missing state", good.replace(/--Snapshot State.*\n/u, ""), 2, /no 'Snapshot State'/u],
  ["a non-numeric id", good.replace("Id        : 5", "Id        : five"), 2, /non-numeric id/u],
  ["an impossible date", good.replace("12/17/2022", "2/30/2022"), 2, /unreadable 'Created On'/u],
  ["a date in another format", good.replace("12/17/2022 15:34:49", "2022-12-17T15:34:49Z"), 2, /unreadable 'Created On'/u],
  ["a duplicated field", good.replace("--Snapshot Id", "--Snapshot Name        : again\n--Snapshot Id"), 4, /second 'Snapshot Name'/u],
  ["an unknown line between snapshots", `${good}Consolidation needed\n`, 8, /not part of a snapshot tree/u],
];
for (const [what, input, lineNumber, problem] of malformed) {
  test(`snapshot tree refuses ${what}, quoting the line`, () => {
    assert.throws(
      () => parseSnapshotTree(input),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber && problem.test(e.problem),
    );
  });
}

test("snapshot tree: 300 seeded random trees printed by the documented rule read back exactly", () => {
  const random = seededRandom(0x1b873593);
  const text = (min: number): string => {
    const chars = Array.from("ab Z09:-|[]\"'名");
    const s = Array.from({ length: min + random(12) }, () => chars[random(chars.length)]).join("");
    return s.trim() === "" ? "x" : s.trimEnd();
  };
  const states = ["poweredOn", "poweredOff", "suspended"] as const;
  const printed = { poweredOn: "powered on", poweredOff: "powered off", suspended: "suspended" };
  let nextId = 1;
  const node = (depth: number): SnapshotTreeNode => ({
    name: text(1),
    id: nextId++,
    description: random(3) === 0 ? "" : text(0),
    createdAt: new Date(Date.UTC(2000 + random(30), random(12), 1 + random(28), random(24), random(60), random(60))),
    state: states[random(3)] ?? "poweredOn",
    children: depth > 3 ? [] : Array.from({ length: random(depth === 0 ? 3 : 2) }, () => node(depth + 1)),
  });
  const render = (n: SnapshotTreeNode, depth: number): string[] => {
    const p = "--".repeat(depth + 1);
    const at = n.createdAt;
    const created = `${at.getUTCMonth() + 1}/${at.getUTCDate()}/${at.getUTCFullYear()} ${at.getUTCHours()}:${at.getUTCMinutes()}:${at.getUTCSeconds()}`;
    return [
      `${"--".repeat(depth)}|-${depth === 0 ? "ROOT" : "CHILD"}`,
      `${p}Snapshot Name        : ${n.name}`,
      `${p}Snapshot Id        : ${n.id ?? ""}`,
      `${p}Snapshot Desciption  :${n.description === "" && random(2) === 0 ? "" : ` ${n.description}`}`,
      `${p}Snapshot Created On  : ${created}`,
      `${p}Snapshot State       : ${printed[n.state]}`,
      ...n.children.flatMap((c) => render(c, depth + 1)),
    ];
  };
  for (let t = 0; t < 300; t++) {
    const roots = Array.from({ length: random(3) }, () => node(0));
    const output = ["Get Snapshot:", ...roots.flatMap((r) => render(r, 0))].join("\n") + "\n";
    assert.deepEqual(parseSnapshotTree(output), { operation: "get", roots }, output);
  }
});
