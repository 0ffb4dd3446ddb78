/**
 * An applet of a trimmed busybox build (`shell.refusedOptions`): vendors compile busybox with some options
 * off, and ESXi ships its own build (esxi-facts §4: which options it has is [UNCONFIRMED] per release). The
 * applet's /bin link is replaced by a script that refuses those options as busybox itself does, and passes
 * every other command line to the real applet:
 *
 * - a `dd` operand (`conv=`, `iflag=`, `oflag=`, `ibs=`, `obs=`, all behind FEATURE_DD_IBS_OBS; `status=`
 *   behind FEATURE_DD_STATUS): busybox's dd finds no such keyword and shows its usage, exit 1, nothing
 *   opened (coreutils/dd.c `bb_show_usage()`). The usage is the one such a build prints.
 * - a short option (`-c`): getopt's `head: invalid option -- 'c'`, then the usage banner, exit 1.
 */

/** dd's usage line in a build without FEATURE_DD_IBS_OBS and FEATURE_DD_STATUS (coreutils/dd.c). */
const TRIMMED_DD_USAGE = "Usage: dd [if=FILE] [of=FILE] [bs=N] [count=N] [skip=N] [seek=N]";

export function trimmedAppletScript(applet: string, refused: readonly string[]): string {
  const operands = refused.filter((option) => option.endsWith("="));
  const letters = refused.filter((option) => option.startsWith("-")).map((option) => option.slice(1));
  const usage = applet === "dd" ? TRIMMED_DD_USAGE : `Usage: ${applet} [OPTIONS]`;
  const lines = [
    "#!/bin/sh",
    `# ${applet} of a busybox built without ${refused.join(" ")} (esxi-simulator shell.refusedOptions)`,
    `usage() { /bin/busybox --help 2>&1 | { read -r banner; printf '%s\\n\\n%s\\n' "$banner" '${usage}'; } >&2; exit 1; }`,
    "for a in \"$@\"; do",
    "  case \"$a\" in",
  ];
  if (operands.length > 0) lines.push(`    ${operands.map((o) => `${o}*`).join("|")}) usage ;;`);
  lines.push("    --) break ;;", "    --*) ;;");
  for (const letter of letters) lines.push(`    -*${letter}*) echo "${applet}: invalid option -- '${letter}'" >&2; usage ;;`);
  lines.push("  esac", "done", `exec /bin/busybox ${applet} "$@"`, "");
  return lines.join("\n");
}
