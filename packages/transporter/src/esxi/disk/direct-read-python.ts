/**
 * The part of the host's Python programs that reads a disk's bytes (block-hash-python-script.ts,
 * disk-read-python-script.ts): with direct I/O (`O_DIRECT`) where the host's file system allows it, else
 * ordinary reads (docs/adr/0037-direct-reads-on-the-host.md). A backup reads each block of a disk once; kept
 * in a page cache it only costs the host's kernel the work of caching it — on the bench's host, reading 4 GiB
 * through the cache took 9–10 s of kernel CPU against 0.3 s read directly. Direct reads need the offset, the
 * length and the buffer aligned: the buffer is an anonymous mmap (page-aligned), lengths are rounded up to
 * whole 4 KiB (the file's end then gives fewer bytes), and an unaligned offset, a file system that refuses
 * (the open fails, or a read says EINVAL or EOPNOTSUPP) or a short read that is not whole sectors are served
 * by an ordinary descriptor from there on. Either way the bytes land in that one buffer and a read returns a
 * view of it, valid until the next read: a new bytes object per read would cost its copy and, being too
 * large for Python's pools, fresh pages from the kernel each time. Hashing the bench's 4 GiB disk in one
 * process took 2.7 s user and 1.0 s system CPU with a bytes object per read, 1.9–2.0 and 0.4 with views.
 * With it, what both programs do with the bytes alike: a range read whole (`read_fully`) and a block's zero
 * test (`zero_at`). Python 3.5-valid.
 */
export const DIRECT_READ_PYTHON = String.raw`# What a file system that does not do direct reads answers one.
REFUSED = set(getattr(errno, name) for name in ("EINVAL", "EOPNOTSUPP", "ENOTSUP") if hasattr(errno, name))


class DiskFile(object):
    ALIGN = 4096

    def __init__(self, path, buffer_bytes):
        self.path = path
        self.buffer = mmap.mmap(-1, buffer_bytes)
        self.view = memoryview(self.buffer)
        self.plain = None
        self.direct = None
        flag = getattr(os, "O_DIRECT", 0)
        if flag:
            try:
                self.direct = os.open(path, os.O_RDONLY | flag)
            except OSError:
                # Refused, for whatever reason: an ordinary open says so if the file cannot be read at all.
                self.direct = None
        if self.direct is None:
            self.plain = os.open(path, os.O_RDONLY)

    def read(self, offset, length):
        """A view of at most length bytes at offset (length <= the buffer), valid until the next read; fewer
        only near the end of the file."""
        if self.direct is not None and offset % self.ALIGN == 0:
            want = -(-length // self.ALIGN) * self.ALIGN
            try:
                os.lseek(self.direct, offset, os.SEEK_SET)
                got = os.readv(self.direct, [self.view[:want]])
                if got >= length or got % self.ALIGN == 0:
                    return self.view[:min(got, length)]
            except OSError as error:
                if error.errno not in REFUSED:
                    raise
            # Refused, or a short read that is not whole sectors: ordinary reads from here on.
            os.close(self.direct)
            self.direct = None
        if self.plain is None:
            self.plain = os.open(self.path, os.O_RDONLY)
        os.lseek(self.plain, offset, os.SEEK_SET)
        return self.view[:os.readv(self.plain, [self.view[:length]])]

    def read_fully(self, offset, length):
        """length bytes at offset, as a view valid until the next read; fewer only where the file ends (a read
        may return less before its end, and then the pieces are gathered in a copy of their own)."""
        data = self.read(offset, length)
        if len(data) == length or not data:
            return data
        gathered = bytearray(data)
        while len(gathered) < length:
            more = self.read(offset + len(gathered), length - len(gathered))
            if not more:
                break
            gathered += more
        return memoryview(gathered)


# The first bytes of a block that holds data are almost never all zero: only a block that starts with zeros is
# compared whole.
ZERO_PROBE = bytes(16)


def zero_at(data, at, size, zero):
    """Whether data[at:at + size] is all zero (zero: a block of zero bytes). A memoryview compared with bytes
    goes byte by byte (50 times slower than comparing bytes), so the probe is short and only a block that
    passes it is copied out and compared whole."""
    if data[at:at + min(size, len(ZERO_PROBE))] != ZERO_PROBE[:size]:
        return False
    return bytes(data[at:at + size]) == (zero if size == len(zero) else bytes(size))
`;
