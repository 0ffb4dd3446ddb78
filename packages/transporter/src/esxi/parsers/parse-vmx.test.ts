import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { parseVmx } from "./parse-vmx.js";
import { seededRandom } from "./seeded-random.js";

test("vmx: the 6.7+/7 sample (esxi-facts 2.2, abridged) — a VM on its fourth snapshot delta", () => {
  const vmx = parseVmx(fixtureText("vmx-7.0-abridged.txt"));
  assert.equal(vmx.displayName, "test flo");
  assert.equal(vmx.guestOs, "ubuntu-64");
  assert.equal(vmx.annotation, undefined);
  assert.equal(vmx.ctkEnabled, false);
  assert.equal(vmx.values.get("memsize"), "1024");
  assert.equal(vmx.values.get("remotedisplay.maxconnections"), "-1");
  assert.equal(vmx.values.get("replay.filename"), "");
  assert.deepEqual(vmx.deviceSlots, [
    { slot: "scsi0:0", bus: "scsi", controller: 0, unit: 0, fileName: "test flo_0-000004.vmdk", present: true, deviceType: "scsi-hardDisk", mode: undefined, ctkEnabled: false },
    {
      slot: "sata0:0",
      bus: "sata",
      controller: 0,
      unit: 0,
      fileName: "/vmfs/volumes/636a25ed-0b37afee-60ef-3cfdfe75e770/ISO/ubuntu-22.04.1-live-server-amd64.iso",
      present: true,
      deviceType: "cdrom-image",
      mode: undefined,
      ctkEnabled: false,
    },
  ]);
});

test("vmx: |XX escapes, key case, CBT keys anywhere, every kind of slot", () => {
  const vmx = parseVmx(fixtureText("vmx-8.0-disks-derived.txt"));
  assert.equal(vmx.displayName, 'ops "prod" | db (2)');
  assert.equal(vmx.annotation, "line one\nline two été");
  assert.equal(vmx.values.get("memsize"), "4096");
  assert.equal(vmx.values.get("migrate.hostlog"), "./db-abc.hlog");
  assert.equal(vmx.ctkEnabled, true);
  assert.deepEqual(
    vmx.deviceSlots.map((s) => [s.slot, s.fileName, s.present, s.deviceType, s.mode, s.ctkEnabled]),
    [
      ["scsi0:0", "db.vmdk", true, "scsi-hardDisk", undefined, true],
      ["scsi0:1", "sub dir/data (1).vmdk", true, "scsi-hardDisk", "independent-persistent", true],
      ["sata0:0", "/vmfs/volumes/636a25ed-0b37afee-60ef-3cfdfe75e770/ISO/ubuntu-22.04.1-live-server-amd64.iso", true, "cdrom-image", undefined, false],
      ["ide0:0", "/vmfs/volumes/datastore2/shared/logs.vmdk", true, undefined, undefined, false],
      ["nvme0:0", "old.vmdk", false, undefined, undefined, false],
      ["scsi0:2", "rdm.vmdk", true, "scsi-hardDisk", undefined, false],
    ],
  );
});

// Written by ESXi 8.0 (virtualHW 20, a second disk in a subfolder, a vCenter-assigned MAC) and 7.0
// (virtualHW 19, a static MAC, hardening keys such as `pciPassthru*.present`, a CD-ROM with no backing):
// libvirt/libvirt tests/vmx2xmldata/esx-in-the-wild-17.vmx@fa15860 and esx-in-the-wild-14.vmx@94e8a5b.
test("vmx: ESXi 8.0's file — the ISO, the disk beside it and the one in a subfolder, in file order", () => {
  const vmx = parseVmx(fixtureText("vmx-8.0-verbatim.txt"));
  assert.equal(vmx.displayName, "esx8.0-win11-with-second-disk-in-subfolder");
  assert.equal(vmx.values.get("vm.genid"), "3571897048718482545");
  assert.deepEqual(
    vmx.deviceSlots.map((s) => [s.slot, s.fileName, s.present, s.deviceType]),
    [
      ["sata0:0", "/vmfs/volumes/f84f070c-0d65498d/win-iso/windows_11_x64_official_dvd.iso", true, "cdrom-image"],
      ["scsi0:0", "esx8.0-win11-with-second-disk-in-subfolder.vmdk", true, "scsi-hardDisk"],
      ["scsi0:1", "subfolder/esx8.0-win11-with-second-disk-in-subfolder_1.vmdk", true, "scsi-hardDisk"],
    ],
  );
});

test("vmx: ESXi 7.0's hardened file — a '*' in a key, booleans in any case, a CD-ROM with an empty backing", () => {
  const vmx = parseVmx(fixtureText("vmx-7.0-static-mac-verbatim.txt"));
  assert.equal(vmx.values.get("pcipassthru*.present"), "False");
  assert.equal(vmx.values.get("ethernet0.addresstype"), "static");
  assert.deepEqual(
    vmx.deviceSlots.map((s) => [s.slot, s.fileName, s.present, s.deviceType]),
    [
      ["scsi0:0", "wild1.vmdk", true, "scsi-hardDisk"],
      ["scsi0:1", "wild2.vmdk", true, "scsi-hardDisk"],
      ["ide0:0", "emptyBackingString", true, "atapi-cdrom"],
    ],
  );
});

test("vmx: a '#' inside a quoted value is part of it, as ESXi 7.0 writes a serial port's URI (libvirt esx-in-the-wild-13)", () => {
  const vmx = parseVmx('serial0.vspc = "telnets://10.28.100.26:18979#thumbprint=18:F5:79:E5:73:A5:22:83:C0:57:B9:B4:FA:CE:60:19:F1:12:F5:7B"\nroot-disk-uuid = "6000C294-db10-e2c6-963f-e4371d3605e8"\n');
  assert.equal(vmx.values.get("serial0.vspc"), "telnets://10.28.100.26:18979#thumbprint=18:F5:79:E5:73:A5:22:83:C0:57:B9:B4:FA:CE:60:19:F1:12:F5:7B");
  assert.equal(vmx.values.get("root-disk-uuid"), "6000C294-db10-e2c6-963f-e4371d3605e8");
});

test("vmx: missing keys are simply absent (numvcpus left out when 1, no displayName)", () => {
  const vmx = parseVmx('.encoding = "UTF-8"\nmemSize = "512"\n');
  assert.equal(vmx.values.get("numvcpus"), undefined);
  assert.equal(vmx.displayName, undefined);
  assert.deepEqual(vmx.deviceSlots, []);
});

test("vmx: CRLF line ends, unquoted values and a repeated key with the same value are accepted", () => {
  const vmx = parseVmx('displayName = "a"\r\nconfig.version = 8\r\ndisplayname = "a"\r\n');
  assert.equal(vmx.displayName, "a");
  assert.equal(vmx.values.get("config.version"), "8");
});

test("vmx: the 8.0 derived file with CRLF, no blanks or tabs around '=', indented lines and trailing blanks reads the same", () => {
  const sample = fixtureText("vmx-8.0-disks-derived.txt");
  const variants = [
    sample.replaceAll("\n", "\r\n"),
    sample.replaceAll(" = ", "="),
    sample.replaceAll(" = ", "\t=\t"),
    sample.split("\n").map((l) => (l === "" ? l : `  ${l}  `)).join("\n"),
  ];
  const expected = parseVmx(sample);
  for (const text of variants) assert.deepEqual(parseVmx(text), expected);
});

test("vmx: escapes with lower-case hex digits decode like upper-case ones", () => {
  assert.equal(parseVmx('annotation = "a|0ab|7cc|c3|a9"\n').annotation, "a\nb|cé");
});

const malformed: [string, string, number][] = [
  ["a line without '='", 'displayName = "a"\nthis is not a vmx\n', 2],
  ["an unmatched quote", 'displayName = "a\n', 1],
  ["the same key twice with different values", 'memSize = "512"\nmemsize = "1024"\n', 2],
  ["a present flag that is not a boolean", 'scsi0:0.fileName = "a.vmdk"\nscsi0:0.present = "maybe"\n', 2],
  ["binary data", "\u0000\u0001\u0002", 1],
];
for (const [what, input, lineNumber] of malformed) {
  test(`vmx refuses ${what}, quoting the line`, () => {
    assert.throws(
      () => parseVmx(input, "/vmfs/volumes/ds/vm/vm.vmx"),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber && e.message.startsWith("/vmfs/volumes/ds/vm/vm.vmx: "),
    );
  });
}

test("vmx: 500 seeded random values escaped as the host escapes them read back exactly", () => {
  const random = seededRandom(0x85ebca6b);
  const chars = Array.from('ab Z09"|#\n\t=:;[]()$`\'é名😀');
  // The host writes `"`, `|`, `#` and control characters as `|` and two hex digits; non-ASCII as UTF-8.
  const escape = (s: string): string =>
    Array.from(s, (c) => (c === '"' || c === "|" || c === "#" || c.charCodeAt(0) < 0x20 ? `|${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}` : c)).join("");
  for (let n = 0; n < 500; n++) {
    const value = Array.from({ length: random(20) }, () => chars[random(chars.length)]).join("");
    const key = ["displayName", "annotation", "guestinfo.note", "scsi0:0.fileName"][random(4)] ?? "displayName";
    const vmx = parseVmx(`.encoding = "UTF-8"\n${key} = "${escape(value)}"\n`);
    assert.equal(vmx.values.get(key.toLowerCase()), value, JSON.stringify(value));
  }
  // Bytes escaped one by one still form their UTF-8 character.
  assert.equal(parseVmx('displayName = "|C3|A9t|E5|90|8D"\n').displayName, "ét名");
});

// A VM made by Workstation on a Western or Chinese desktop keeps that set (`.encoding`, Workstation .vmx
// files in public repositories declare `windows-1252` and `GBK`); its non-ASCII names are bytes of it.
const bytesOf = (parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : Buffer.from(part))));

test("vmx bytes: decoded in the character set the .encoding line names, escapes included", () => {
  const western = bytesOf(['.encoding = "windows-1252"\ndisplayName = "caf', [0xe9], '"\nscsi0:0.fileName = "Donn', [0xe9], 'es.vmdk"\nscsi0:0.present = "TRUE"\nannotation = "a|E9b"\n']);
  const vmx = parseVmx(western, "/vmfs/volumes/ds/cafe/cafe.vmx");
  assert.equal(vmx.displayName, "café");
  assert.equal(vmx.deviceSlots[0]?.fileName, "Données.vmdk");
  assert.equal(vmx.annotation, "aéb");
  // 数据 in GBK.
  const chinese = bytesOf(['.encoding = "GBK"\nscsi0:0.fileName = "', [0xca, 0xfd, 0xbe, 0xdd], '.vmdk"\n']);
  assert.equal(parseVmx(chinese).deviceSlots[0]?.fileName, "数据.vmdk");
  // UTF-8 bytes, declared or not, read as the text form does.
  const utf8 = Buffer.from(fixtureText("vmx-8.0-disks-derived.txt"), "utf8");
  assert.deepEqual(parseVmx(utf8), parseVmx(fixtureText("vmx-8.0-disks-derived.txt")));
  assert.equal(parseVmx(Buffer.from('displayName = "été 名"\n', "utf8")).displayName, "été 名");
});

const undecodable: [string, Buffer, number, RegExp][] = [
  ["bytes that are not UTF-8 in a file that names no set", bytesOf(['displayName = "a"\nscsi0:0.fileName = "Donn', [0xe9], 'es.vmdk"\n']), 2, /not UTF-8, and no '\.encoding' \(or 'ddb\.encoding'\) line/u],
  ["bytes that are not UTF-8 in a file that says UTF-8", bytesOf(['.encoding = "UTF-8"\n\nannotation = "', [0xff, 0xfe], '"\n']), 3, /not UTF-8, the character set its '\.encoding' line names/u],
  ["a character set this program cannot read", bytesOf(['.encoding = "x-vmware-unknown"\ndisplayName = "', [0xe9], '"\n']), 1, /'x-vmware-unknown' is not one this program can read/u],
];
for (const [what, input, lineNumber, problem] of undecodable) {
  test(`vmx bytes: refuses ${what}, quoting the line, instead of replacing characters`, () => {
    assert.throws(
      () => parseVmx(input, "/vmfs/volumes/ds/vm/vm.vmx"),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber && problem.test(e.message) && e.message.startsWith("/vmfs/volumes/ds/vm/vm.vmx: "),
    );
  });
}

test("vmx: escaped bytes that are not characters of the file's set are refused, not read one per byte", () => {
  assert.throws(
    () => parseVmx('.encoding = "UTF-8"\ndisplayName = "a|E9b"\n', "vm.vmx"),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 2 && /escaped bytes that are not UTF-8/u.test(e.message),
  );
  // Escaped ASCII reads the same whatever the set, even one this program cannot read.
  assert.equal(parseVmx('.encoding = "x-vmware-unknown"\ndisplayName = "a|22b"\n').displayName, 'a"b');
});
