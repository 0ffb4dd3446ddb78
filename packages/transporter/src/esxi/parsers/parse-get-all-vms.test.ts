import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { parseGetAllVms, parseGetAllVmsStderr } from "./parse-get-all-vms.js";
import { seededRandom } from "./seeded-random.js";

test("getallvms: the ESXi 8 sample (esxi-facts 1.1, verbatim, trailing spaces trimmed by its source)", () => {
  assert.deepEqual(parseGetAllVms(fixtureText("getallvms-8.0-verbatim.txt")), {
    vms: [{ vmid: "1", name: "x8", file: "[pve-esx] x8/x8.vmx", datastore: "pve-esx", vmxPath: "x8/x8.vmx", guestOs: "centos9_64Guest", version: "vmx-20", annotation: "" }],
    skippedVmids: [],
  });
});

test("getallvms: an ESXi 8.0 listing whose Guest OS column is wider than every value shown (verbatim, a public Go test file's `sampleGetAllVMs`, 'captured from a real ESXi 8.0 host')", () => {
  // Its header centres "Guest OS" in 22 columns, its longest guest id has 17: the header decides the width.
  const row = (vmid: string, name: string, datastore: string, vmxPath: string, guestOs: string, version: string) => ({ vmid, name, file: `[${datastore}] ${vmxPath}`, datastore, vmxPath, guestOs, version, annotation: "" });
  assert.deepEqual(parseGetAllVms(fixtureText("getallvms-8.0-nfs-verbatim.txt")), {
    vms: [
      row("10", "_solaris11.4cbe.50", "192.168.2.203_nvme_nfs", "solaris11.4cbe/solaris11.4cbe.vmx", "solaris11_64Guest", "vmx-19"),
      row("25", "test.sbb.47", "nfs2", "test/test.vmx", "solaris11_64Guest", "vmx-14"),
      row("5", "dummy delay", "local_datastore", "dummy delay/dummy delay.vmx", "otherLinuxGuest", "vmx-20"),
      row("8", "omnisan-203", "local_datastore", "omnisan/omnisan.vmx", "solaris11_64Guest", "vmx-20"),
    ],
    skippedVmids: [],
  });
});

test("getallvms: an ESXi 9.0 host's vCLS system VM under `[]` with its long name (verbatim, a public transcript)", () => {
  const name = "vCLS-6b723342-8292-1962-f970-0422f48bc6ea";
  assert.deepEqual(parseGetAllVms(fixtureText("getallvms-9.0-crx-verbatim.txt")).vms, [
    { vmid: "1698", name, file: `[] /var/run/crx/infra/${name}/${name}.vmx`, datastore: "", vmxPath: `/var/run/crx/infra/${name}/${name}.vmx`, guestOs: "crxSys1Guest", version: "vmx-21", annotation: "" },
  ]);
});

test("getallvms: the ESXi 6.x sample (verbatim)", () => {
  assert.deepEqual(parseGetAllVms(fixtureText("getallvms-6.x-verbatim.txt")).vms, [
    {
      vmid: "1",
      name: "ate-tester1",
      file: "[datastore1] ate-tester1/ate-tester1.vmx",
      datastore: "datastore1",
      vmxPath: "ate-tester1/ate-tester1.vmx",
      guestOs: "windows7Guest",
      version: "vmx-11",
      annotation: "",
    },
  ]);
});

test("getallvms: annotations holding a pasted fault, one line or several, are annotations (derived: the layout rule of esxi-facts 1.1)", () => {
  const { vms } = parseGetAllVms(fixtureText("getallvms-annotation-fault-text-derived.txt"));
  assert.deepEqual(
    vms.map((vm) => [vm.vmid, vm.name, vm.annotation]),
    [
      ["12", "db01", 'last error, kept for the ticket:\n(vim.fault.NotFound) {\n   faultCause = (vmodl.MethodFault) null,\n   msg = "Unable to find a VM corresponding to "7""\n}'],
      ["7", "web01", "Power on failed: (vim.fault.GenericVmConfigFault) {"],
    ],
  );
});

test("getallvms: the host pads with spaces only, so a tab that ends a name or an annotation is kept (derived: the layout rule of esxi-facts 1.1)", () => {
  assert.deepEqual(
    parseGetAllVms(fixtureText("getallvms-tabs-derived.txt")).vms.map((vm) => [vm.vmid, vm.name, vm.annotation]),
    [
      ["3", "db\t", "copied from a spreadsheet\t"],
      ["4", "web", "owner\tops"],
    ],
  );
});

test("getallvms: no VMs prints only the header", () => {
  assert.deepEqual(parseGetAllVms(fixtureText("getallvms-empty-derived.txt")), { vms: [], skippedVmids: [] });
});

const derivedRows = [
  { vmid: "10", name: "Test Test [Test] [Test]", datastore: "datastore1 (4)", vmxPath: "sap-router/win2k8x64.vmx", guestOs: "windows7Server64Guest", version: "vmx-13", annotation: "Owner: ops" },
  { vmid: "11", name: "db  two", datastore: "192.168.2.203_nvme_nfs", vmxPath: "db/db.vmx", guestOs: "centos7_64Guest", version: "vmx-15", annotation: "first line\n\n  indented after an empty line\nlast" },
  { vmid: "20", name: "Ünïcødé 名前", datastore: "nfs:share", vmxPath: "u/u.vmx", guestOs: "otherGuest64", version: "vmx-19", annotation: "" },
  { vmid: "21", name: "a", datastore: "datastore2", vmxPath: "sub dir/a b.vmx", guestOs: "otherGuest", version: "vmx-11", annotation: "52 is not a vmid" },
  { vmid: "6", name: "web01", datastore: "datastore1", vmxPath: "web01/web01.vmx", guestOs: "ubuntu64Guest", version: "vmx-14", annotation: "" },
  { vmid: "8", name: "vCLS-1", datastore: "", vmxPath: "/var/run/crx/infraSvc/vcls.vmx", guestOs: "otherLinux64Guest", version: "vmx-21", annotation: "" },
];

for (const fixture of ["getallvms-7.0-padded-derived.txt", "getallvms-7.0-unpadded-derived.txt"]) {
  test(`getallvms: ${fixture} — string-sorted vmids, awkward names and datastores, a multi-line annotation`, () => {
    const out = parseGetAllVms(fixtureText(fixture));
    assert.deepEqual(
      out.vms.map(({ file: _file, ...rest }) => rest),
      derivedRows,
    );
    assert.deepEqual(
      out.vms.map((v) => v.file),
      derivedRows.map((r) => `[${r.datastore}] ${r.vmxPath}`),
    );
  });
}

test("getallvms: 'Skipping invalid VM' lines before the header and after the rows are reported, not read as rows", () => {
  const out = parseGetAllVms(fixtureText("getallvms-skipped-derived.txt"));
  assert.deepEqual(out.skippedVmids, ["16", "32"]);
  assert.deepEqual(
    out.vms.map((v) => [v.vmid, v.name, v.annotation]),
    [["6", "web01", ""]],
  );
});

test("getallvms stderr: the 'Skipping invalid VM' lines of esxi-facts 1.1 are read; anything else there is refused with its line", () => {
  assert.deepEqual(parseGetAllVmsStderr("Skipping invalid VM '16'\nSkipping invalid VM '32'\n"), ["16", "32"]);
  assert.deepEqual(parseGetAllVmsStderr(""), []);
  assert.throws(
    () => parseGetAllVmsStderr("Skipping invalid VM '16'\nhostd is not responding\n"),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 2 && /stderr.*"hostd is not responding"/u.test(e.message),
  );
});

test("getallvms: an empty inventory with CRLF or a blank line after the header is still empty", () => {
  const header = fixtureText("getallvms-empty-derived.txt");
  for (const text of [header.replaceAll("\n", "\r\n"), `${header}\n`, `${header.trimEnd()}   \n\n`]) assert.deepEqual(parseGetAllVms(text), { vms: [], skippedVmids: [] }, JSON.stringify(text));
});

test("getallvms: CRLF line ends read like LF (padded and unpadded derived tables)", () => {
  for (const fixture of ["getallvms-7.0-padded-derived.txt", "getallvms-7.0-unpadded-derived.txt", "getallvms-6.x-verbatim.txt"]) {
    const text = fixtureText(fixture);
    assert.deepEqual(parseGetAllVms(text.replaceAll("\n", "\r\n")), parseGetAllVms(text), fixture);
  }
});

test("getallvms: a 'Skipping invalid VM' line between two rows is reported and does not join an annotation", () => {
  const text = renderByFactsRule([
    ["10", "a", "[datastore1] a/a.vmx", "otherGuest", "vmx-13", "note"],
    ["6", "b", "[datastore1] b/b.vmx", "otherGuest", "vmx-13", ""],
  ]).replace("\n6 ", "\nSkipping invalid VM '7'\n6 ");
  const out = parseGetAllVms(text);
  assert.deepEqual(out.skippedVmids, ["7"]);
  assert.deepEqual(
    out.vms.map((v) => [v.vmid, v.annotation]),
    [
      ["10", "note"],
      ["6", ""],
    ],
  );
});

test("getallvms: a VM whose Guest OS cell is empty is still a row", () => {
  const text = renderByFactsRule([
    ["3", "a", "[datastore1] a/a.vmx", "otherGuest", "vmx-13", ""],
    ["4", "b", "[datastore1] b/b.vmx", "", "vmx-13", ""],
  ]);
  assert.deepEqual(
    parseGetAllVms(text).vms.map((v) => [v.vmid, v.guestOs]),
    [
      ["3", "otherGuest"],
      ["4", ""],
    ],
  );
});

test("getallvms: vmids of 4 to 6 digits (ids keep growing, esxi-facts 1.7) widen the Vmid column", () => {
  const rows = [
    ["123456", "big", "[datastore1] big/big.vmx", "otherGuest64", "vmx-19", ""],
    ["2001", "mid", "[datastore1] mid/mid.vmx", "otherGuest64", "vmx-19", "x"],
    ["98", "small", "[datastore1] small/small.vmx", "otherGuest64", "vmx-19", ""],
  ];
  const text = renderByFactsRule(rows);
  assert.deepEqual(
    parseGetAllVms(text).vms.map((v) => [v.vmid, v.name, v.annotation]),
    [
      ["123456", "big", ""],
      ["2001", "mid", "x"],
      ["98", "small", ""],
    ],
  );
});

test("getallvms: a name as wide as its column, then one wider than the header label by one (odd/even widths)", () => {
  for (const name of ["abcd", "abcde", "abcdef", "abcdefg"]) {
    const header = centredHeader([4, name.length, 19, 15, 7, 10]);
    const row = ["1   ", name, "[pve-esx] x8/x8.vmx", "centos9_64Guest", "vmx-20 ", ""].join("   ");
    assert.equal(parseGetAllVms(`${header}\n${row}\n`).vms[0]?.name, name);
  }
});

function centredHeader(widths: number[]): string {
  const labels = ["Vmid", "Name", "File", "Guest OS", "Version", "Annotation"];
  return labels
    .map((l, i) => {
      const w = Math.max(widths[i] ?? 0, l.length);
      const left = Math.floor((w - l.length) / 2);
      return " ".repeat(left) + l + " ".repeat(w - l.length - left);
    })
    .join("   ");
}

const H8 = "Vmid   Name          File              Guest OS       Version   Annotation";
const malformed: [string, string, number | undefined][] = [
  ["empty output", "", undefined],
  ["no header, only an error text", "Failed to connect to hostd\n", 1],
  ["a row that does not line up with the header", `${H8}\n1   x8 [pve-esx] x8/x8.vmx centos9_64Guest vmx-20\n`, 2],
  ["a non-numeric vmid", `${H8}\nab     x8     [pve-esx] x8/x8.vmx   centos9_64Guest   vmx-20\n`, 2],
  ["a File cell without a datastore", `${H8}\n1      x8     pve-esx   x8/x8.vmx   centos9_64Guest   vmx-20\n`, 2],
  ["a version that is not vmx-NN", `${H8}\n1      x8     [pve-esx] x8/x8.vmx   centos9_64Guest   hw20  \n`, 2],
  ["text before the header", `Listing VMs\n${H8}\n`, 1],
  ["binary data", `${H8}\n\u0000\u0001\n`, 2],
  ["the same vmid twice", `${H8}\n1      x8     [pve-esx] x8/x8.vmx   centos9_64Guest   vmx-20\n1      x9     [pve-esx] x9/x9.vmx   centos9_64Guest   vmx-20\n`, undefined],
];
for (const [what, input, lineNumber] of malformed) {
  test(`getallvms refuses ${what}, quoting the line`, () => {
    assert.throws(
      () => parseGetAllVms(input),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber && e.code === "invalid_input" && e.field === "vim-cmd vmsvc/getallvms" && e.message.startsWith("vim-cmd vmsvc/getallvms: "),
    );
  });
}

/**
 * esxi-facts 1.1's layout rule (its Python, in TypeScript): widths of `widthsFrom`'s values, in code points
 * unless `len` counts otherwise (UTF-8 bytes, as a C program would pad), centred header, string-sorted rows.
 */
function renderByFactsRule(rows: string[][], widthsFrom: string[][] = rows, len: (s: string) => number = (s) => Array.from(s).length): string {
  const labels = ["Vmid", "Name", "File", "Guest OS", "Version", "Annotation"];
  const widths = labels.map((l, i) => Math.max(len(l), ...widthsFrom.map((r) => len(r[i] ?? ""))));
  const header = labels.map((l, i) => {
    const w = widths[i] ?? 0;
    const left = Math.floor((w - len(l)) / 2);
    return " ".repeat(left) + l + " ".repeat(w - len(l) - left);
  });
  const sorted = [...rows].sort((a, b) => ((a[0] ?? "") < (b[0] ?? "") ? -1 : 1));
  return [header.join("   "), ...sorted.map((r) => r.map((v, i) => v + " ".repeat((widths[i] ?? 0) - len(v))).join("   "))].join("\n") + "\n";
}

test("getallvms: 1000 seeded random tables laid out by the documented rule read back exactly, padded or trimmed", () => {
  const random = seededRandom(0x2545f491);
  const pick = (alphabet: string, min: number, max: number): string => {
    const chars = Array.from(alphabet);
    return Array.from({ length: min + random(max - min + 1) }, () => chars[random(chars.length)]).join("");
  };
  const nameChars = "abcXYZ019 -_[]()\"'$;名ü";
  for (let table = 0; table < 1000; table++) {
    const ids = new Set<string>();
    while (ids.size < 1 + random(6)) ids.add(String(1 + random(130)));
    const rows = [...ids].map((vmid) => {
      const name = `${pick(" abcXYZ名", 1, 1)}${pick(nameChars, 0, 20)}`.trimEnd() || "n";
      const datastore = random(8) === 0 ? "" : pick("ds1 ():._", 1, 14);
      const path = datastore === "" ? "/var/run/crx/x.vmx" : `${name}/${name}.vmx`;
      const annotationLines = Array.from({ length: random(4) }, () => pick(`${nameChars}   `, 0, 30));
      const annotation = annotationLines.join("\n").trimEnd();
      return [vmid, name, `[${datastore}] ${path}`, pick("abcdefghijklmnop_0123456789", 1, 22), `vmx-${pick("0123456789", 1, 3)}`, annotation];
    });
    const padded = renderByFactsRule(rows);
    const expected = [...rows].sort((a, b) => ((a[0] ?? "") < (b[0] ?? "") ? -1 : 1)).map((r) => [r[0], r[1], r[2], r[3], r[4], r[5]]);
    const trimmed = padded.split("\n").map((l) => l.trimEnd()).join("\n");
    // A source that trims trailing blanks also trims them inside a multi-line annotation: lost, not misread.
    const trimmedExpected = expected.map((r) => [...r.slice(0, 5), (r[5] ?? "").split("\n").map((l) => l.trimEnd()).join("\n")]);
    for (const [text, want] of [[padded, expected], [trimmed, trimmedExpected]] as const) {
      const read = parseGetAllVms(text).vms.map((v) => [v.vmid, v.name, v.file, v.guestOs, v.version, v.annotation]);
      assert.deepEqual(read, want, text);
    }
  }
});

/** Random rows for the seeded tests: names, datastores and annotations drawn from `chars`, vmids distinct. */
function randomRows(random: (n: number) => number, options: { rows: number; chars: string; firstChars: string; datastoreChars: string }): string[][] {
  const pick = (alphabet: string, min: number, max: number): string => {
    const chars = Array.from(alphabet);
    return Array.from({ length: min + random(max - min + 1) }, () => chars[random(chars.length)]).join("");
  };
  const ids = new Set<string>();
  while (ids.size < options.rows) ids.add(String(1 + random(130)));
  return [...ids].map((vmid) => {
    const name = `${pick(options.firstChars, 1, 1)}${pick(options.chars, 0, 18)}`.trimEnd() || "n";
    const annotation = Array.from({ length: random(4) }, () => pick(`${options.chars}   `, 0, 26)).join("\n").trimEnd();
    return [vmid, name, `[${pick(options.datastoreChars, 1, 14)}] ${name}/${name}.vmx`, pick("abcdefghijklmnop_0123456789", 1, 22), `vmx-${pick("0123456789", 1, 3)}`, annotation];
  });
}

/**
 * Whether `text` read back as `rows` (in the host's string order); false when it was refused as readable
 * two ways (an annotation that starts with blanks after a column wider than its values). Anything else —
 * another refusal, or rows read differently — fails the test.
 */
function readsBackUnlessAmbiguous(text: string, rows: string[][]): boolean {
  let read: string[][];
  try {
    read = parseGetAllVms(text).vms.map((v) => [v.vmid, v.name, v.file, v.guestOs, v.version, v.annotation]);
  } catch (error) {
    assert.ok(error instanceof HostOutputError && error.problem === "the table can be read in more than one way", String(error));
    return false;
  }
  assert.deepEqual(read, [...rows].sort((a, b) => ((a[0] ?? "") < (b[0] ?? "") ? -1 : 1)), text);
  return true;
}

test("getallvms: 1000 seeded random tables laid out with a row that is then left out read the other rows exactly, or are refused — never misread", () => {
  // A column as wide as a value no longer listed (the ESXi 8.0 listing above): the header alone fixes it.
  const random = seededRandom(0x5eed0b0e);
  let readBack = 0;
  for (let table = 0; table < 1000; table++) {
    const rows = randomRows(random, { rows: 2 + random(6), chars: "abcXYZ019 -_[]()\"'$;名ü", firstChars: " abcXYZ名", datastoreChars: "ds1 ():._" });
    const leftOut = random(rows.length);
    const kept = rows.filter((_, i) => i !== leftOut);
    if (readsBackUnlessAmbiguous(renderByFactsRule(kept, rows), kept)) readBack++;
  }
  assert.ok(readBack >= 900, `only ${readBack} of 1000 read back`);
});

test("getallvms: a host that pads by UTF-8 bytes rather than code points (not confirmed either way) is read too", () => {
  const rows = [
    ["3", "Сервер 名前", "[datastore1] srv/srv.vmx", "otherGuest64", "vmx-19", "Zürich"],
    ["4", "db", "[хранилище] db/db.vmx", "otherGuest64", "vmx-19", ""],
  ];
  const byBytes = renderByFactsRule(rows, rows, (s) => Buffer.byteLength(s));
  // "Сервер 名前" has 9 code points and 18 bytes: the two layouts differ.
  assert.notEqual(byBytes, renderByFactsRule(rows));
  for (const text of [byBytes, renderByFactsRule(rows)]) {
    assert.deepEqual(
      parseGetAllVms(text).vms.map((v) => [v.vmid, v.name, v.datastore, v.annotation]),
      [
        ["3", "Сервер 名前", "datastore1", "Zürich"],
        ["4", "db", "хранилище", ""],
      ],
      text,
    );
  }
});

test("getallvms: 500 seeded random tables with non-ASCII names, laid out in UTF-8 bytes, read back exactly or are refused — never misread", () => {
  const random = seededRandom(0xb17e5);
  let readBack = 0;
  for (let table = 0; table < 500; table++) {
    const rows = randomRows(random, { rows: 1 + random(6), chars: "abcXYZ019 -_[]()名üЖ€😀", firstChars: "abcXYZ名Ж", datastoreChars: "ds1 ():._ü名" });
    if (readsBackUnlessAmbiguous(renderByFactsRule(rows, rows, (text) => Buffer.byteLength(text)), rows)) readBack++;
  }
  assert.ok(readBack >= 475, `only ${readBack} of 500 read back`);
});

test("getallvms: a row this parser cannot place (here one shifted by a blank) is refused with its line, not dropped into the annotation above", () => {
  const text = renderByFactsRule([
    ["3", "a", "[datastore1] a/a.vmx", "otherGuest", "vmx-13", "first\nsecond"],
    ["4", "b", "[datastore1] b/b.vmx", "otherGuest", "vmx-13", ""],
  ]).replace("\n4      b", "\n4       b");
  assert.throws(
    () => parseGetAllVms(text),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 4 && e.problem === "a line shaped like a VM's row does not line up with the columns of the header" && e.line?.startsWith("4       b") === true,
  );
  // A vmid aligned to the right of its column (as a source quoting a listing showed it) is no row either.
  assert.throws(
    () => parseGetAllVms(text.replace("\n4       b", "\n 4      b")),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 4 && e.problem === "a line shaped like a VM's row does not line up with the columns of the header",
  );
});

