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
 * before OFFSET+LENGTH, each with one `esxbackup-hash: …` line on stderr. Lines are written 256 at a time
 * as they are made, so the transporter can use them while the rest is hashed (docs/adr/0028). The file is
 * read 8 MiB at a time, directly where the host allows it (`DiskFile`, docs/adr/0037).
 */
import { DIRECT_READ_PYTHON } from "../disk/direct-read-python.js";
export const BLOCK_HASH_PYTHON_SCRIPT = String.raw`import errno
import hashlib
import mmap
import os
import sys

# Bytes read at once: whole blocks, large enough for the disk to stream (docs/adr/0037).
READ_BYTES = 8 * 1024 * 1024

${DIRECT_READ_PYTHON}


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
    new_hash = getattr(hashlib, algorithm)
    out = sys.stdout.buffer
    lines = []
    step = max(block, READ_BYTES // block * block)
    try:
        source = DiskFile(path, step)
    except (IOError, OSError) as error:
        fail(2, "cannot open " + repr(path) + ": " + str(error))
    done = 0
    while done < length:
        want = min(step, length - done)
        data = source.read_fully(offset + done, want)
        if len(data) < want:
            fail(3, "the file ends before byte " + str(offset + done + want) + " (read " + str(offset + done + len(data)) + ")")
        for at in range(0, want, block):
            size = min(block, want - at)
            if zero_at(data, at, size, zero):
                lines.append(b"Z")
            else:
                # A view of the read's buffer: hashed where it lies, not copied out.
                lines.append(new_hash(data[at:at + size]).hexdigest().encode("ascii"))
            if len(lines) >= 256:
                out.write(b"\n".join(lines) + b"\n")
                lines = []
        done += want
    if lines:
        out.write(b"\n".join(lines) + b"\n")
    out.flush()


main(sys.argv)
`;
