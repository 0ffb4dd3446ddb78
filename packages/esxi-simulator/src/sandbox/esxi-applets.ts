/**
 * Which busybox applets a host's /bin links, per release (esxi-facts §4: the list per release is
 * [UNCONFIRMED]). Confirmed by the reference or by the scripts that run on hosts (ghettoVCB, XSIBackup):
 * sh, dd, gzip, du, df, find, sed, awk, grep, ps (with ESXi's `-c`), readlink, md5sum, sha256sum, tar,
 * wget, and what ghettoVCB calls (logger, date, tee, hostname, mktemp, hexdump, ...). The rest of the list
 * below is the applet set commonly reported for ESXi 6.x–8.x busybox [UNCONFIRMED]; applets Debian's
 * busybox has and this list lacks (base64, xxd, sha3sum, nproc, ...) are left out, the conservative choice.
 * `shell.applets` replaces the list, `shell.extraApplets` adds to it, `shell.disabledApplets` removes.
 */
import type { EsxiVersion } from "../config/simulator-config.js";
import type { EsxiRelease } from "../tools/esxi-release.js";

const COMMON = `ash awk basename bunzip2 bzcat bzip2 cat chgrp chmod chown cksum clear cp cpio crond cut date dd df diff
dirname dnsdomainname du echo egrep env expand expr false fgrep find grep gunzip gzip head hexdump hostname id kill
ln logger ls md5sum mkdir mkfifo mknod mktemp more mv nc nohup nslookup od printf readlink rm rmdir sed seq setsid
sh sha1sum sha256sum sha512sum sleep sort stat stty sum sync tail tar tee test time timeout touch tr true uname
uniq unzip usleep vi watch wc wget which xargs yes zcat [ [[`.split(/\s+/u);

/** The applets a release's /bin links by default (the same list for every release until one is confirmed). */
export const ESXI_BUSYBOX_APPLETS: Readonly<Record<EsxiVersion, readonly string[]>> = { "6.7": COMMON, "7.0": COMMON, "8.0": COMMON };

/** The applets to link: the release list (or `applets`), plus `extra`, minus `disabled`, limited to what busybox has. */
export function hostApplets(available: readonly string[], shell: { applets?: string[]; extraApplets?: string[]; disabledApplets: string[] }, version: EsxiVersion): string[] {
  const wanted = new Set([...(shell.applets ?? ESXI_BUSYBOX_APPLETS[version]), ...(shell.extraApplets ?? [])]);
  const off = new Set(shell.disabledApplets);
  return available.filter((a) => wanted.has(a) && !off.has(a) && a !== "busybox");
}

/**
 * ESXi's `ps`: `-c` adds the command line, as ghettoVCB's README shows
 * (`3360136 3360136 tail                 tail -f /tmp/ghettoVCB.work/…`: world id, cartel id, the name padded
 * to 20, the command). The header and the plain form are [UNCONFIRMED]. Other options go to busybox ps.
 * A script run by /bin/sh, reading /proc.
 */
export const PS_SCRIPT = `#!/bin/sh
case "$1" in
  -c) full=1 ;;
  "") full= ;;
  *) exec /bin/busybox ps "$@" ;;
esac
if [ -n "$full" ]; then printf '%-7s %-7s %-20s %s\\n' WID CID "World Name" Command; else printf '%-7s %-7s %s\\n' WID CID "World Name"; fi
for d in /proc/[0-9]*; do
  pid=\${d#/proc/}
  name=$(cat "$d/comm" 2>/dev/null) || continue
  if [ -n "$full" ]; then
    cmd=$(tr '\\000' ' ' < "$d/cmdline" 2>/dev/null)
    printf '%-7s %-7s %-20s %s\\n' "$pid" "$pid" "$name" "\${cmd% }"
  else
    printf '%-7s %-7s %s\\n' "$pid" "$pid" "$name"
  fi
done
`;

/**
 * ESXi's `uname` (esxi-facts 1.11, the 8.0.2 sample: `VMkernel localhost.home-life.hub 8.0.2 #1 SMP Release
 * build-22380479 Sep  4 2023 15:00:49 x86_64 x86_64 x86_64 ESXi`): the node name is the namespace's host
 * name; the build date per release is [UNCONFIRMED].
 */
export function unameScript(release: EsxiRelease): string {
  const v = `#1 SMP Release build-${release.build} ${release.buildDate}`;
  return `#!/bin/sh
n=$(/bin/busybox uname -n)
[ $# -eq 0 ] && set -- -s
out=
add() { out="\${out:+$out }$1"; }
for a in "$@"; do
  case "$a" in
    -a|--all) add VMkernel; add "$n"; add ${release.version}; add '${v}'; add x86_64; add x86_64; add x86_64; add ESXi ;;
    -s) add VMkernel ;;
    -n) add "$n" ;;
    -r) add ${release.version} ;;
    -v) add '${v}' ;;
    -m|-p|-i) add x86_64 ;;
    -o) add ESXi ;;
    *) echo "uname: invalid option -- '\${a#-}'" >&2; exit 1 ;;
  esac
done
echo "$out"
`;
}
