/**
 * The part of the host's Python programs that reads a disk's bytes (block-hash-python-script.ts,
 * disk-read-python-script.ts): with direct I/O (`O_DIRECT`) where the host's file system allows it, else
 * ordinary reads (docs/adr/0037-direct-reads-on-the-host.md). A backup reads each block of a disk once; kept
 * in a page cache it only costs the host's kernel the work of caching it — on the bench's host, reading 4 GiB
 * through the cache took 9–10 s of kernel CPU against 0.3 s read directly. Direct reads need the offset, the
 * length and the buffer aligned: the buffer is an anonymous mmap (page-aligned), lengths are rounded up to
 * whole 4 KiB (the file's end then gives fewer bytes), and an unaligned offset, a file system that refuses
 * (the open fails, or a read says EINVAL or EOPNOTSUPP) or a short read that is not whole sectors are served
 * by an ordinary descriptor from there on. With it, what both programs do with the bytes alike: a range read
 * whole (`read_fully`) and a block's zero test in place (`zero_at`). Python 3.5-valid.
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
        """At most length bytes at offset (length <= the buffer); fewer only near the end of the file."""
        if self.direct is not None and offset % self.ALIGN == 0:
            want = -(-length // self.ALIGN) * self.ALIGN
            try:
                os.lseek(self.direct, offset, os.SEEK_SET)
                got = os.readv(self.direct, [self.view[:want]])
                if got >= length or got % self.ALIGN == 0:
                    return self.buffer[:min(got, length)]
            except OSError as error:
                if error.errno not in REFUSED:
                    raise
            # Refused, or a short read that is not whole sectors: ordinary reads from here on.
            os.close(self.direct)
            self.direct = None
        if self.plain is None:
            self.plain = os.open(self.path, os.O_RDONLY)
        os.lseek(self.plain, offset, os.SEEK_SET)
        return os.read(self.plain, length)

    def read_fully(self, offset, length):
        """length bytes at offset; fewer only where the file ends (a read may return less before its end)."""
        data = self.read(offset, length)
        while len(data) < length:
            more = self.read(offset + len(data), length - len(data))
            if not more:
                break
            data += more
        return data


def zero_at(data, at, size, zero):
    """Whether data[at:at + size] is all zero (zero: a block of zero bytes). Compared in place: slicing
    costs a copy, and a memoryview slice compared with bytes goes byte by byte (50 times slower)."""
    return data.startswith(zero if size == len(zero) else bytes(size), at)
`;
