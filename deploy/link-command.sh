#!/usr/bin/env bash
# Puts the `esxbackup` command on PATH: writes a two-line wrapper that runs this clone's CLI with the Node.js
# found now, so `esxbackup` works from any folder. Nothing is fetched from a registry (`npx esxbackup`
# outside the clone would ask npm's registry for a package of that name, which is not this project).
#
#   link-command.sh [--bin-dir DIR]     default: /usr/local/bin as root, ~/.local/bin otherwise
#
# Run it again after moving the clone. A file named esxbackup in DIR that this script did not write is
# never replaced. Remove the command with: rm DIR/esxbackup
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -eq 0 ]; then bin_dir=/usr/local/bin; else bin_dir=$HOME/.local/bin; fi
while [ $# -gt 0 ]; do
  case $1 in
    --bin-dir) bin_dir=${2:?--bin-dir needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) echo "link-command.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

marker="# esxbackup command written by deploy/link-command.sh"
cli=$root/packages/cli/bin/esxbackup.js
node=$(command -v node) || { echo "link-command.sh: node is not on PATH (Node.js >= 20.11 is needed)" >&2; exit 1; }
if [ ! -f "$root/packages/cli/dist/main.js" ]; then
  echo "link-command.sh: the CLI is not built yet: run 'npm ci && npm run build' in $root first" >&2
  exit 1
fi
target=$bin_dir/esxbackup
if [ -e "$target" ] || [ -L "$target" ]; then
  if [ ! -f "$target" ] || [ -L "$target" ] || ! grep -qxF "$marker" "$target"; then
    echo "link-command.sh: $target exists and was not written by this script; it is left as it is (remove it, or choose --bin-dir)" >&2
    exit 2
  fi
fi
mkdir -p "$bin_dir"
# The CLI's Node options are those of its first line (#!/usr/bin/env -S node OPTION...): words without
# quotes or spaces inside, passed on as they are (docs/adr/0033-heap-setting-for-the-data-path.md).
node_options=$(sed -n '1s|^#!/usr/bin/env -S node||p' "$cli")
case $node_options in
  *[!A-Za-z0-9=._\ -]*) echo "link-command.sh: unexpected Node options on the first line of $cli: $node_options" >&2; exit 1 ;;
esac
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
partial=$(mktemp "$bin_dir/.esxbackup.XXXXXX")
options=""
for option in $node_options; do options="$options $option"; done
printf '#!/bin/sh\n%s\nexec %s%s %s "$@"\n' "$marker" "$(quote "$node")" "$options" "$(quote "$cli")" >"$partial"
chmod 755 "$partial"
mv -f "$partial" "$target"
echo "esxbackup is now $target (runs $cli)"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "note: $bin_dir is not on your PATH; add it, e.g. export PATH=\"$bin_dir:\$PATH\"" ;;
esac
