/**
 * The Python program that serves byte ranges of one file for the whole of a backup, one per SSH channel:
 * started once with `<python> -c SCRIPT PATH` (nothing uploaded or written, so ESXi 8's execInstalledOnly
 * allows it, esxi-facts §4), it reads requests `OFFSET LENGTH\n` from stdin and answers each with exactly
 * LENGTH raw bytes on stdout, in order. One process per channel instead of one per read: a read of one
 * 64 KiB block costs a line on stdin, not a channel and a process start (docs/adr/0024).
 *
 * Valid for Python 3.5 (ESXi 6.7; checked with the simulator's `checkHostPythonScript`). Exit status 0 when
 * stdin ends; 2 when the file cannot be opened or a request is malformed; 3 when the file ends before a
 * requested range does (the disk shrank or is not the one we think), after the bytes it did have — each
 * with one `esxbackup-read: …` line on stderr. The caller counts bytes, so a short answer is never data.
 * Reads are made directly where the host allows it (`DiskFile`, docs/adr/0037).
 */
import { DIRECT_READ_PYTHON } from "./direct-read-python.js";
export const DISK_READ_PYTHON_SCRIPT = String.raw`import errno
import mmap
import os
import sys

# Bytes read at once (the transporter asks for runs of 4 MiB at most).
READ_BYTES = 4 * 1024 * 1024

${DIRECT_READ_PYTHON}


def fail(status, message):
    sys.stderr.write("esxbackup-read: " + message + "\n")
    sys.stderr.flush()
    sys.exit(status)


def main(argv):
    if len(argv) != 2:
        fail(2, "usage: PATH, then OFFSET LENGTH lines on stdin")
    path = argv[1]
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
        done = 0
        while done < length:
            data = source.read(offset + done, min(length - done, READ_BYTES))
            if not data:
                out.flush()
                fail(3, "the file ends at byte " + str(offset + done) + ", before byte " + str(offset + length))
            out.write(data)
            done += len(data)
        out.flush()


main(sys.argv)
`;
