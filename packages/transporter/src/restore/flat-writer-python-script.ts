/**
 * The Python program that writes restored data into a disk's flat file on the host, one per SSH channel for
 * the whole restore: given to the host's own interpreter with `-c` (nothing uploaded, written or made
 * executable: ESXi 8 refuses to run what is not installed, esxi-facts §4), the data on its stdin. Valid for
 * Python 3.5 (ESXi 6.7), checked with the simulator's `checkHostPythonScript`.
 *
 * Argument: the flat file, which must exist (`vmkfstools -c` made it); it is never created, truncated or
 * grown. Input: frames of a 16-byte header (offset and length, unsigned 64-bit big-endian) followed by
 * that many bytes, written at that offset; a length with its top bit set is a run of zeros written on the
 * host, with no bytes following (a restore over an existing disk clears old data without sending zeros);
 * the end of input ends the run. A zero run is read first and only its 64 KiB blocks that are not zero
 * already are written: on VMFS writing zeros allocates a thin disk's blocks like any data (the reason
 * `vmkfstools -K` exists to deallocate them), so zeroing a restored thin disk's empty regions would inflate
 * it to its full size and could fill the datastore; a block that already reads as zero is left alone. Output: `ok OFFSET LENGTH` once a frame is wholly written (handed to the
 * file with pwrite, the line flushed at once: it is the frame's acknowledgement; a frame cut off by a lost
 * connection is never acknowledged, and is sent again whole, docs/adr/0027), and `written FRAMES BYTES`
 * after the fsync at the end of input. Exit status 2 on bad arguments or a file that cannot be opened, 3 on
 * a frame past the end of the file or input that ends inside a frame, each with one `esxbackup-write: …`
 * line on stderr.
 */
export const FLAT_WRITER_PYTHON_SCRIPT = String.raw`import os
import struct
import sys

ZERO_FLAG = 1 << 63
ZEROS = bytes(1048576)
# Zero runs are compared in blocks of this size (a file system's block), each run of blocks that are not zero
# written at once.
ZERO_BLOCK = 4096
READ_BUFFER = bytearray(len(ZEROS))


def fail(status, message):
    sys.stderr.write("esxbackup-write: " + message + "\n")
    sys.exit(status)


def read_exactly(stream, length):
    parts = []
    while length > 0:
        data = stream.read(min(length, 1048576))
        if not data:
            return None
        parts.append(data)
        length -= len(data)
    return b"".join(parts)


def clear_blocks(fd, offset, length):
    """Makes length (at most len(ZEROS)) bytes at offset zero, writing only the blocks not zero already."""
    # Read into one buffer kept for the run: a new bytes object per MiB costs 20 times the time (fresh pages
    # each time), and a bytearray compared with bytes is a memcmp.
    view = memoryview(READ_BUFFER)
    got = 0
    os.lseek(fd, offset, os.SEEK_SET)
    while got < length:
        done = os.readv(fd, [view[got:length]])
        if done == 0:
            break
        got += done
    if got < length:
        # The file ends early (it cannot, the frame was checked): what was not read is written.
        READ_BUFFER[got:length] = b"\x01" * (length - got)
    current = READ_BUFFER if length == len(READ_BUFFER) else READ_BUFFER[:length]
    if current == ZEROS[:length]:
        return
    zero_block = ZEROS[:ZERO_BLOCK]
    start = None
    for at in range(0, length + ZERO_BLOCK, ZERO_BLOCK):
        dirty = at < length and current[at:at + ZERO_BLOCK] != zero_block[:min(ZERO_BLOCK, length - at)]
        if dirty and start is None:
            start = at
        elif not dirty and start is not None:
            end = min(at, length)
            view = memoryview(ZEROS)[:end - start]
            while len(view) > 0:
                done = os.pwrite(fd, view, offset + start)
                view = view[done:]
                start += done
            start = None


def main(argv):
    if len(argv) != 2:
        fail(2, "usage: FLAT-FILE")
    try:
        fd = os.open(argv[1], os.O_RDWR)
    except OSError as error:
        fail(2, "cannot open " + repr(argv[1]) + ": " + str(error))
    size = os.fstat(fd).st_size
    source = sys.stdin.buffer
    frames = 0
    total = 0
    while True:
        head = source.read(16)
        if not head:
            break
        if len(head) != 16:
            head = head + (read_exactly(source, 16 - len(head)) or b"")
            if len(head) != 16:
                fail(3, "input ended inside a frame header")
        offset, length = struct.unpack(">QQ", head)
        zeros = length >= ZERO_FLAG
        if zeros:
            length -= ZERO_FLAG
        if offset + length > size:
            fail(3, "frame at " + str(offset) + "+" + str(length) + " is past the end of the " + str(size) + "-byte file")
        left = length
        start = offset
        while left > 0 and zeros:
            piece = min(left, len(ZEROS))
            clear_blocks(fd, offset, piece)
            offset += piece
            left -= piece
        while left > 0:
            data = source.read(min(left, 1048576))
            if not data:
                fail(3, "input ended inside a frame")
            view = memoryview(data)
            while len(view) > 0:
                done = os.pwrite(fd, view, offset)
                view = view[done:]
                offset += done
            left -= len(data)
        frames += 1
        total += length
        sys.stdout.write("ok " + str(start) + " " + str(length) + "\n")
        sys.stdout.flush()
    os.fsync(fd)
    os.close(fd)
    sys.stdout.write("written " + str(frames) + " " + str(total) + "\n")


main(sys.argv)
`;
