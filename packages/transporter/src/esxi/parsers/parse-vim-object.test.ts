import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { parseVimObject } from "./parse-vim-object.js";
import { vimField, vimText, type VimValue } from "./vim-value.js";
import { seededRandom } from "./seeded-random.js";

const str = (value: string): VimValue => ({ kind: "string", value });
const num = (value: number): VimValue => ({ kind: "number", value });

test("vim object: the ESXi 8 get.guest sample (esxi-facts 1.6, verbatim) — header skipped, last fields without commas", () => {
  const guest = parseVimObject(fixtureText("vim-get-guest-8.0-verbatim.txt"));
  assert.equal(guest.kind === "object" && guest.type, "vim.vm.GuestInfo");
  assert.deepEqual(vimField(guest, "toolsStatus"), str("toolsNotInstalled"));
  assert.deepEqual(vimField(guest, "toolsUpdateStatus"), { kind: "null", type: "vim.vm.GuestInfo.ToolsUpdateStatus" });
  assert.deepEqual(vimField(guest, "guestId"), { kind: "unset" });
  assert.deepEqual(vimField(guest, "screen"), { kind: "object", type: "vim.vm.GuestInfo.ScreenInfo", fields: { width: num(1024), height: num(768) } });
  assert.deepEqual(vimField(guest, "customizationInfo.errorMsg"), { kind: "unset" });
  assert.equal(Object.keys(guest.kind === "object" ? guest.fields : {}).length, 20);
});

test("vim object: the 7.0/8.0 hostsummary sample (esxi-facts 1.8, verbatim) — nested lists, long numbers, padded strings", () => {
  const summary = parseVimObject(fixtureText("vim-hostsummary-7.0-verbatim.txt"));
  assert.deepEqual(vimField(summary, "host"), { kind: "ref", value: "vim.HostSystem:ha-host" });
  assert.deepEqual(vimField(summary, "hardware.cpuModel"), str("AMD Ryzen 7 5825U with Radeon Graphics         "));
  assert.deepEqual(vimField(summary, "hardware.numHBAs"), num(2));
  assert.deepEqual(vimField(summary, "runtime.hostMaxVirtualDiskCapacity"), num(68169720922112));
  assert.deepEqual(vimField(summary, "runtime.inMaintenanceMode"), { kind: "boolean", value: false });
  const ids = vimField(summary, "hardware.otherIdentifyingInfo");
  assert.equal(ids?.kind === "list" && ids.items.length, 1);
  assert.deepEqual(vimField(ids?.kind === "list" ? ids.items[0] : undefined, "identifierType.key"), str("AssetTag"));
});

test("vim object: the 7.0+ ', ' line ends (esxi-facts 0) read exactly like the trimmed samples", () => {
  assert.deepEqual(parseVimObject(fixtureText("vim-hostsummary-7.0-comma-space-derived.txt")), parseVimObject(fixtureText("vim-hostsummary-7.0-verbatim.txt")));
  assert.deepEqual(parseVimObject(fixtureText("vim-get-guest-8.0-comma-space-derived.txt")), parseVimObject(fixtureText("vim-get-guest-8.0-verbatim.txt")));
});

test("vim object: CRLF line ends and tab indentation read like the verbatim samples", () => {
  for (const fixture of ["vim-hostsummary-7.0-verbatim.txt", "vim-get-guest-8.0-verbatim.txt", "vim-devices-6.x-abridged.txt", "vim-hostsummary-7.0-comma-space-derived.txt"]) {
    const text = fixtureText(fixture);
    const expected = parseVimObject(text);
    assert.deepEqual(parseVimObject(text.replaceAll("\n", "\r\n")), expected, fixture);
    assert.deepEqual(parseVimObject(text.replace(/^(?: {3})+/gmu, (indent) => "\t".repeat(indent.length / 3))), expected, fixture);
  }
});

test("vim object: the 6.x device list (esxi-facts 1.5, abridged) — int lists, a disk backing, a null parent", () => {
  const hw = parseVimObject(fixtureText("vim-devices-6.x-abridged.txt"));
  const devices = vimField(hw, "device");
  assert.ok(devices?.kind === "list");
  assert.deepEqual(vimField(devices.items[0], "device"), { kind: "list", type: "int", items: [num(2000)] });
  const disk = devices.items[1];
  assert.equal(vimText(vimField(disk, "backing.fileName")), "[datastore1] ate-tester1/ate-tester1.vmdk");
  assert.equal(vimText(vimField(disk, "backing.datastore")), "vim.Datastore:5e0026d9-a647150e-d8a8-4cedfb76e9d5");
  assert.deepEqual(vimField(disk, "backing.thinProvisioned"), { kind: "boolean", value: false });
  assert.deepEqual(vimField(disk, "backing.parent"), { kind: "null", type: "vim.vm.device.VirtualDisk.FlatVer2BackingInfo" });
  assert.deepEqual(vimField(disk, "capacityInBytes"), num(214748364800));
  assert.deepEqual(vimField(disk, "storageIOAllocation.limit"), num(-1));
  assert.deepEqual(vimField(disk, "deviceInfo.summary"), str("209,715,200 KB"));
});

test("vim object: ESX 4.x dumps (2-space and tab indentation, dynamicType lines dropped)", () => {
  const summary = parseVimObject(fixtureText("vim-get-summary-4.x-abridged.txt"));
  assert.equal(vimField(summary, "dynamicType"), undefined);
  assert.deepEqual(vimField(summary, "runtime.powerState"), str("poweredOn"));
  assert.deepEqual(vimField(summary, "config.name"), str("vm-ark-mcnc-9 (nonpersistent: vmwarewinxp-base234-v12)"));
  assert.deepEqual(vimField(summary, "config.instanceUuid"), str(""));
  assert.deepEqual(vimField(summary, "quickStats"), { kind: "object", type: "vim.vm.Summary.QuickStats", fields: {} });
  const stores = parseVimObject(fixtureText("vim-datastore-listsummary-4.x-verbatim.txt"));
  assert.ok(stores.kind === "list");
  assert.deepEqual(
    stores.items.map((s) => [vimText(vimField(s, "name")), vimField(s, "freeSpace"), vimText(vimField(s, "datastore"))]),
    [
      ["local-datastore", num(26277314560), "vim.Datastore:4bcf0efe-c426acc4-c7e1-001a644d1cc0"],
      ["nfs-datastore", num(108854874112), "vim.Datastore:10.25.0.245:/vmfs/volumes/nfs-datastore"],
    ],
  );
  const task = parseVimObject(fixtureText("vim-task-info-4.x-abridged.txt"));
  assert.deepEqual(vimField(task, "error.msg"), str("The task was canceled by a user."));
  assert.equal(vimField(task, "error")?.kind === "object" && (vimField(task, "error") as { type: string }).type, "vmodl.fault.RequestCanceled");
});

test("vim object: unescaped inner quotes and a string over several lines", () => {
  const text = ['(vim.vm.Summary.ConfigSummary) {', '   name = "say "hi", then go",', '   annotation = "first', "", '  indented, with "quotes" inside', 'last", ', '   template = false', "}"].join("\n");
  const value = parseVimObject(text);
  assert.deepEqual(vimField(value, "name"), str('say "hi", then go'));
  assert.deepEqual(vimField(value, "annotation"), str('first\n\n  indented, with "quotes" inside\nlast'));
  assert.deepEqual(vimField(value, "template"), { kind: "boolean", value: false });
});

test("vim object: user text whose lines end with a quote, in an object and in a list, runs on until a line that ends the value (derived: annotations are printed raw, esxi-facts 0; the 7.0+ `, ` line ends)", () => {
  const config = parseVimObject(fixtureText("vim-get-config-quoted-lines-derived.txt"), "vim-cmd vmsvc/get.config 7");
  assert.deepEqual(vimField(config, "name"), str('web "prod"'));
  assert.deepEqual(vimField(config, "annotation"), str('Owner: "ops"\n\nBackup: "nightly", weekly\n"\npinned by "change 42"'));
  assert.deepEqual(vimField(config, "files.vmPathName"), str("[datastore1] web/web.vmx"));
  const extra = vimField(config, "extraConfig");
  assert.ok(extra?.kind === "list");
  assert.deepEqual(vimField(extra.items[0], "value"), str('a "quoted"\nb'));
  assert.deepEqual(vimField(config, "tags"), { kind: "list", type: "string", items: [str('x "y"\nz'), str("plain")] });
});

test("vim object: get.runtime's heading has no colon, `Runtime information` (ESXi 5.5, verbatim, a public blog post)", () => {
  const runtime = parseVimObject(fixtureText("vim-get-runtime-5.5-verbatim.txt"), "vim-cmd vmsvc/get.runtime 1");
  assert.equal(runtime.kind === "object" && runtime.type, "vim.vm.RuntimeInfo");
  assert.deepEqual(vimField(runtime, "powerState"), str("poweredOn"));
  const features = vimField(runtime, "featureRequirement");
  assert.ok(features?.kind === "list");
  assert.deepEqual(
    features.items.map((f) => vimText(vimField(f, "key"))),
    ["cpuid.SSE3", "cpuid.SSSE3", "cpuid.NX", "cpuid.RDTSCP", "cpuid.Intel"],
  );
  assert.deepEqual(vimField(runtime, "vFlashCacheAllocation"), { kind: "number", value: 0 });
});

test("vim object: get.tasklist, a list of references whose type has no dot, its last item without a comma (VCL VIM_SSH.pm, verbatim); and the empty list", () => {
  const tasks = (n: number): VimValue => ({ kind: "ref", value: `vim.Task:haTask-512-vim.VirtualMachine.powerOn-${n}` });
  assert.deepEqual(parseVimObject(fixtureText("vim-get-tasklist-4.x-verbatim.txt"), "vim-cmd vmsvc/get.tasklist 512"), {
    kind: "list",
    type: "ManagedObjectReference",
    items: [tasks(2826), tasks(2843), tasks(2856)],
  });
  assert.deepEqual(parseVimObject("(ManagedObjectReference) []\n"), { kind: "list", type: "ManagedObjectReference", items: [] });
});

test("vim object: a listsummary with 7.0's `, ` line ends, each entry's last field without a comma (verbatim, a public repository file, prompt `[root@esxi1:~]`)", () => {
  const stores = parseVimObject(fixtureText("vim-datastore-listsummary-7.0-verbatim.txt"), "vim-cmd hostsvc/datastore/listsummary");
  assert.ok(stores.kind === "list");
  assert.deepEqual(
    stores.items.map((s) => [vimText(vimField(s, "name")), vimField(s, "capacity"), vimField(s, "uncommitted"), vimField(s, "maintenanceMode")]),
    [
      ["dataStorage", num(239981297664), num(0), { kind: "unset" }],
      ["vmStorage", num(499826819072), num(1329283568), { kind: "unset" }],
    ],
  );
});

test("vim object: empty lists and objects, lists of strings", () => {
  const text = ['(vim.X) {', '   a = (vmodl.DynamicProperty) [],', '   b = (string) [', '      "x",', '      "y, z"', '   ],', '   c = (vim.Y) {', '   }', '}'].join("\n");
  assert.deepEqual(parseVimObject(text), {
    kind: "object",
    type: "vim.X",
    fields: {
      a: { kind: "list", type: "vmodl.DynamicProperty", items: [] },
      b: { kind: "list", type: "string", items: [str("x"), str("y, z")] },
      c: { kind: "object", type: "vim.Y", fields: {} },
    },
  });
});

const malformed: [string, string, number | undefined][] = [
  ["empty output", "\n", undefined],
  ["plain text", "Power on failed\n", 1],
  ["headings and no dump: the last line is quoted", "Listsummary:\nThe object has already been deleted\n\n", 2],
  ["a bare value at the top", "42\n", 1],
  ["an unterminated object", '(vim.X) {\n   a = 1,\n', undefined],
  ["a truncated paste without the closing brace", '   (vim.fault.AlreadyExists) {\n   faultCause = (vmodl.MethodFault) null,\n   name = "51",\n', undefined],
  ["an unterminated string", '(vim.X) {\n   a = "open\n', undefined],
  ["a value that is not one", "(vim.X) {\n   a = maybe,\n}\n", 2],
  ["a field without a value", "(vim.X) {\n   a =\n}\n", 2],
  ["a list item inside an object", '(vim.X) {\n   "x",\n}\n', 2],
  ["a field inside a list", "(vim.X) [\n   a = 1,\n]\n", 2],
  ["a duplicated field", "(vim.X) {\n   a = 1,\n   a = 2,\n}\n", 3],
  ["a number beyond 2^53", "(vim.X) {\n   a = 123456789012345678901,\n}\n", 2],
  ["text after the object", "(vim.X) {\n}\nPower on failed\n", 3],
  ["a mismatched closing bracket", "(vim.X) {\n   a = 1,\n]\n", 3],
];
for (const [what, input, lineNumber] of malformed) {
  test(`vim object refuses ${what}`, () => {
    assert.throws(
      () => parseVimObject(input, "vim-cmd vmsvc/get.summary 1"),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber && e.source === "vim-cmd vmsvc/get.summary 1",
    );
  });
}

test("vim object: 500 seeded random dumps in every documented line-end and indentation style read back exactly", () => {
  const random = seededRandom(0x9e3779b9);
  const text = (): string => {
    const chars = Array.from('ab Z09,"\'{}[]()=<>:;.-名\n');
    const s = Array.from({ length: random(16) }, () => chars[random(chars.length)]).join("");
    // A string ending in a quote then a comma or blank cannot be told from its line end (the host does not
    // escape): such values are a documented limit, not generated here. Inner lines ending so are told apart by
    // what follows them, which random text may mimic: the quoted-lines test covers them.
    return /"[, ]*(?:$|\n)/u.test(s) ? `${s.replaceAll("\n", " ")}x` : s;
  };
  const type = (): string => ["vim.vm.Summary", "vim.Description", "int", "string", "vmodl.MethodFault"][random(5)] ?? "vim.X";
  const value = (depth: number): VimValue => {
    switch (random(depth > 2 ? 6 : 8)) {
      case 0:
        return { kind: "string", value: text() };
      case 1:
        return { kind: "ref", value: `vim.Datastore:${text().replaceAll("'", "").replaceAll("\n", "")}` };
      case 2:
        return { kind: "number", value: random(2) === 0 ? -1 - random(1000) : random(2 ** 30) * 1024 };
      case 3:
        return { kind: "boolean", value: random(2) === 0 };
      case 4:
        return { kind: "unset" };
      case 5:
        return { kind: "null", type: type() };
      case 6: {
        const fields: Record<string, VimValue> = {};
        for (let i = random(5); i > 0; i--) fields[`f${random(50)}`] = value(depth + 1);
        return { kind: "object", type: type(), fields };
      }
      default:
        return { kind: "list", type: type(), items: Array.from({ length: random(4) }, () => value(depth + 1)) };
    }
  };
  const lineEnd = (last: boolean): string => [",", ", ", last ? "" : ",", last ? "" : ", "][random(4)] ?? ",";
  const render = (v: VimValue, indent: string, level: number): string => {
    const pad = indent.repeat(level + 1);
    const close = indent.repeat(level);
    switch (v.kind) {
      case "string":
        return `"${v.value}"`;
      case "ref":
        return `'${v.value}'`;
      case "number":
      case "boolean":
        return String(v.value);
      case "unset":
        return "<unset>";
      case "null":
        return `(${v.type}) null`;
      case "object": {
        const entries = Object.entries(v.fields);
        if (entries.length === 0 && random(2) === 0) return `(${v.type}) {}`;
        return [`(${v.type}) {`, ...entries.map(([k, f], i) => `${pad}${k} = ${render(f, indent, level + 1)}${lineEnd(i === entries.length - 1)}`), `${close}}`].join("\n");
      }
      case "list":
        if (v.items.length === 0) return `(${v.type}) []`;
        return [`(${v.type}) [`, ...v.items.map((item, i) => `${pad}${render(item, indent, level + 1)}${lineEnd(i === v.items.length - 1)}`), `${close}]`].join("\n");
    }
  };
  for (let n = 0; n < 500; n++) {
    const fields: Record<string, VimValue> = {};
    for (let i = 1 + random(6); i > 0; i--) fields[`top${random(40)}`] = value(0);
    const dump: VimValue = { kind: "object", type: "vim.vm.ConfigInfo", fields };
    const rendered = render(dump, ["   ", "  ", "\t"][random(3)] ?? "   ", 0);
    assert.deepEqual(parseVimObject(`${random(2) === 0 ? "Configuration:\n\n" : ""}${rendered}\n`), dump, rendered);
  }
});
