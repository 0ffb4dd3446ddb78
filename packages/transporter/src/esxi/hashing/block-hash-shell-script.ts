/**
 * The fallback for hosts without a usable Python: busybox ash running `dd` + `md5sum`/`sha1sum`/`sha256sum`
 * (the applets esxi-facts §4 reports on hosts; sha1sum is [UNCONFIRMED]) once per block. Passed to `sh -c`
 * as a quoted argument, so nothing is uploaded. Each block costs two process starts on the host, which
 * makes it far slower than the Python script (docs/adr/0019), but it still sends 41 bytes per 64 KiB block
 * instead of the block.
 *
 * Positional arguments (all computed by the transporter, so the shell does no 64-bit arithmetic beyond
 * block indexes): 1 PATH, 2 BLOCK, 3 FIRST block index, 4 number of whole blocks, 5 TAIL length of a last
 * shorter block (0 when none), 6 digest of a whole zero block, 7 digest of a zero tail, 8 offset of the last
 * byte of the range, 9 the digest applet. Output: the same lines as the Python script (hex digest or `Z`).
 * Before hashing it checks that the last byte of the range exists, since `dd` past the end of a file reads
 * nothing and the digest of nothing would look like a block.
 */
export const BLOCK_HASH_SHELL_SCRIPT = String.raw`f=$1 b=$2 k=$3 n=$4 t=$5 z=$6 zt=$7 e=$8 h=$9
if [ ! -r "$f" ]; then echo "esxbackup-hash: cannot open $f" >&2; exit 2; fi
if [ "$(dd if="$f" bs=1 skip="$e" count=1 2>/dev/null | wc -c)" -ne 1 ]; then echo "esxbackup-hash: the file ends before byte $e (or cannot be read)" >&2; exit 3; fi
i=0
while [ "$i" -lt "$n" ]; do
  d=$(dd if="$f" bs="$b" skip="$((k + i))" count=1 2>/dev/null | "$h") || exit 4
  d=${"$"}{d%% *}
  if [ "$d" = "$z" ]; then echo Z; else echo "$d"; fi
  i=$((i + 1))
done
if [ "$t" -gt 0 ]; then
  d=$(dd if="$f" bs="$b" skip="$((k + n))" count=1 2>/dev/null | "$h") || exit 4
  d=${"$"}{d%% *}
  if [ "$d" = "$zt" ]; then echo Z; else echo "$d"; fi
fi
`;
