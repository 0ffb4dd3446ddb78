/**
 * Shell text that makes disabled busybox applets behave as absent at the top level of a shell.
 *
 * Why it is needed: Debian's busybox-static is built with FEATURE_SH_STANDALONE, so its ash runs any
 * applet it contains even when no `/bin/<applet>` link exists. Leaving the link out is enough for `which`,
 * `ls /bin`, `[ -x /bin/sha1sum ]` and for programs that exec by path; a shell function of the same name
 * covers a plain `sha1sum …` in the command line. Not covered (documented): `busybox sha1sum`, and applets
 * started by other applets (`xargs sha1sum`, `find -exec sha1sum`), which busybox runs internally. A busybox
 * built without FEATURE_SH_STANDALONE (Debian's `busybox` package) has none of these gaps.
 */
export function disabledAppletPrelude(disabledApplets: readonly string[], availableApplets: readonly string[]): string {
  const available = new Set(availableApplets);
  return disabledApplets
    .filter((name) => available.has(name) && /^[A-Za-z_][A-Za-z0-9_]*$/u.test(name))
    .map((name) => `${name}() { echo "/bin/sh: ${name}: not found" >&2; return 127; }; `)
    .join("");
}
