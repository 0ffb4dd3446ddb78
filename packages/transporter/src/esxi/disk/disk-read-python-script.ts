/**
 * The Python program that serves byte ranges of one file for the whole of a backup, one per SSH channel:
 * started once with `<python> -c SCRIPT PATH` (nothing uploaded or written, so ESXi 8's execInstalledOnly
 * allows it, esxi-facts §4), it reads requests `OFFSET LENGTH\n` from stdin and answers each with exactly
 * LENGTH raw bytes on stdout, in order. One process per channel instead of one per read: a read of one
 * 64 KiB block costs a line on stdin, not a channel and a process start (docs/adr/0024).
 *
 * Started as `<python> -c SCRIPT PATH ALGORITHM BLOCK`, it fingerprints what it reads (a disk's first
 * backup reads every block once, docs/adr/0038): each answer is then, for every BLOCK of the range in order
 * (the last may be short at the file's end), a record of one byte and a digest's length: `D` and the
 * block's raw digest, or `Z` and zero bytes (the block is all zero and its bytes are not sent); after those
 * records, the bytes of the `D` blocks, in order. OFFSET must then
 * be a multiple of BLOCK and LENGTH at most READ_BYTES (`READER_READ_BYTES`).
 *
 * Valid for Python 3.5 (ESXi 6.7; checked with the simulator's `checkHostPythonScript`). Exit status 0 when
 * stdin ends; 2 when the file cannot be opened or a request or the arguments are malformed; 3 when the file
 * ends before a requested range does (the disk shrank or is not the one we think), after the bytes it did
 * have — each with one `esxbackup-read: …` line on stderr. The caller counts bytes, so a short answer is
 * never data. Reads are made directly where the host allows it (`DiskFile`, docs/adr/0037).
 */
import { DIRECT_READ_PYTHON } from "./direct-read-python.js";

/** What the reader reads at once, and the most a fingerprinted request may ask for. */
export const READER_READ_BYTES = 4 * 1024 * 1024;

export const DISK_READ_PYTHON_SCRIPT = String.raw`import errno
import hashlib
import mmap
import os
import sys

# Bytes read at once (the transporter asks for runs of 4 MiB at most).
READ_BYTES = ${READER_READ_BYTES}

${DIRECT_READ_PYTHON}


def fail(status, message):
    sys.stderr.write("esxbackup-read: " + message + "\n")
    sys.stderr.flush()
    sys.exit(status)


def main(argv):
    if len(argv) not in (2, 4):
        fail(2, "usage: PATH [ALGORITHM BLOCK], then OFFSET LENGTH lines on stdin")
    path = argv[1]
    algorithm, block = None, 0
    if len(argv) == 4:
        algorithm = argv[2]
        if algorithm not in ("md5", "sha1", "sha256"):
            fail(2, "unknown algorithm " + repr(algorithm))
        try:
            block = int(argv[3])
        except ValueError:
            fail(2, "BLOCK must be a whole number, got " + repr(argv[3]))
        if block <= 0 or block > READ_BYTES:
            fail(2, "BLOCK must be > 0 and <= " + str(READ_BYTES) + ", got " + str(block))
    try:
        source = DiskFile(path, READ_BYTES)
    except OSError as error:
        fail(2, "cannot open " + repr(path) + ": " + str(error))
    out = sys.stdout.buffer
    requests = sys.stdin.buffer
    while True:
        line = requests.readline()
        if not line:
            break
        fields = line.split()
        try:
            offset, length = int(fields[0]), int(fields[1])
        except (IndexError, ValueError):
            fail(2, "expected OFFSET LENGTH, got " + repr(line))
        if offset < 0 or length <= 0 or len(fields) != 2:
            fail(2, "expected OFFSET >= 0 and LENGTH > 0, got " + repr(line))
        if algorithm is not None:
            if offset % block != 0 or length > READ_BYTES:
                fail(2, "expected OFFSET a multiple of " + str(block) + " and LENGTH <= " + str(READ_BYTES) + ", got " + repr(line))
            answer_fingerprinted(source, out, offset, length, algorithm, block)
            continue
        done = 0
        while done < length:
            data = source.read(offset + done, min(length - done, READ_BYTES))
            if not data:
                out.flush()
                fail(3, "the file ends at byte " + str(offset + done) + ", before byte " + str(offset + length))
            out.write(data)
            done += len(data)
        out.flush()


def answer_fingerprinted(source, out, offset, length, algorithm, block):
    data = source.read_fully(offset, length)
    if len(data) < length:
        fail(3, "the file ends at byte " + str(offset + len(data)) + ", before byte " + str(offset + length))
    zero = bytes(block)
    digest = getattr(hashlib, algorithm)
    # Records of one size, so the transporter knows where the bytes begin: a zero block's digest is not sent.
    no_digest = bytes(digest().digest_size)
    records = []
    sent = []
    view = memoryview(data)
    for at in range(0, length, block):
        size = min(block, length - at)
        if zero_at(data, at, size, zero):
            records.append(b"Z" + no_digest)
        else:
            piece = view[at:at + size]
            records.append(b"D" + digest(piece).digest())
            sent.append(piece)
    out.write(b"".join(records))
    for piece in sent:
        out.write(piece)
    out.flush()


main(sys.argv)
`;
