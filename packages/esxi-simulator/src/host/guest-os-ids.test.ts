import { strict as assert } from "node:assert";
import { test } from "node:test";
import { vimGuestId, vmxGuestOs } from "./guest-os-ids.js";

test("guest OS ids map between vim-cmd's and the .vmx's spelling both ways", () => {
  const pairs: [string, string][] = [
    ["ubuntu64Guest", "ubuntu-64"],
    ["windows9Server64Guest", "windows9srv-64"],
    ["centos7_64Guest", "centos7-64"],
    ["windows9_64Guest", "windows9-64"],
    ["otherGuest64", "other-64"],
    ["otherGuest", "other"],
    ["debian12_64Guest", "debian12-64"],
    ["windows7Guest", "windows7"],
  ];
  for (const [vim, vmx] of pairs) {
    assert.equal(vmxGuestOs(vim), vmx, vim);
    assert.equal(vimGuestId(vmx), vim, vmx);
  }
  assert.equal(vimGuestId("Ubuntu-64"), "ubuntu64Guest", "the .vmx is read case-insensitively");
});
