/**
 * The Python program the host runs to fingerprint a byte range of a file: fed to the host's own interpreter
 * on stdin (`python3 - ARGS`), so nothing is uploaded, written or made executable (ESXi 8's
 * execInstalledOnly refuses running anything that is not installed, esxi-facts §4). It must stay valid for
 * the oldest Python a supported host ships, 3.5 on ESXi 6.7: no f-strings, no walrus, no `bytes.removeprefix`
 * (block-hash-python-script.test.ts checks it with the simulator's `checkHostPythonScript`).
 *
 * Arguments: PATH ALGORITHM OFFSET LENGTH BLOCK. Output: one line per block, in order, the lowercase hex
 * digest of the block's bytes, or `Z` when every byte is zero (such a block is then never read over the
 * wire). Exit status 0 after the last line; 2 on bad arguments or an unreadable file, 3 when the file ends
 * before OFFSET+LENGTH, each with one `esxbackup-hash: …` line on stderr. Lines are written 1024 at a time
 * as they are made, so the transporter can use them while the rest is hashed (docs/adr/0028).
 */
export const BLOCK_HASH_PYTHON_SCRIPT = String.raw`import hashlib
import sys


def fail(status, message):
    sys.stderr.write("esxbackup-hash: " + message + "\n")
    sys.exit(status)


def main(argv):
    if len(argv) != 6:
        fail(2, "usage: PATH ALGORITHM OFFSET LENGTH BLOCK")
    path, algorithm = argv[1], argv[2]
    if algorithm not in ("md5", "sha1", "sha256"):
        fail(2, "unknown algorithm " + repr(algorithm))
    try:
        offset, length, block = int(argv[3]), int(argv[4]), int(argv[5])
    except ValueError:
        fail(2, "OFFSET, LENGTH and BLOCK must be whole numbers")
    if offset < 0 or length <= 0 or block <= 0:
        fail(2, "OFFSET must be >= 0, LENGTH and BLOCK > 0")
    zero = bytes(block)
    out = sys.stdout.buffer
    lines = []
    try:
        source = open(path, "rb", buffering=0)
    except (IOError, OSError) as error:
        fail(2, "cannot open " + repr(path) + ": " + str(error))
    with source:
        source.seek(offset)
        done = 0
        while done < length:
            want = min(block, length - done)
            data = source.read(want)
            # A regular file returns less than asked only at its end; keep reading to be sure.
            while data is not None and len(data) < want:
                more = source.read(want - len(data))
                if not more:
                    break
                data += more
            if data is None or len(data) != want:
                fail(3, "the file ends before byte " + str(offset + done + want) + " (read " + str(offset + done + len(data or b"")) + ")")
            if data == (zero if want == block else bytes(want)):
                lines.append(b"Z")
            else:
                lines.append(hashlib.new(algorithm, data).hexdigest().encode("ascii"))
            done += want
            if len(lines) >= 1024:
                out.write(b"\n".join(lines) + b"\n")
                lines = []
    if lines:
        out.write(b"\n".join(lines) + b"\n")
    out.flush()


main(sys.argv)
`;
