/**
 * A tiny read-only FUSE file system (Debian's python3-llfuse) that mirrors the host model's lock directory:
 * every file has the type, mode and current size of the locked file's bytes, and every open fails with
 * EBUSY, as a file a running VM holds does on a real host (`Device or resource busy`, esxi-facts 2.1).
 * Attributes are never cached, so a growing delta shows its current size.
 * Arguments: the lock directory, the mount point. Prints `ready` once mounted.
 */
export const BUSY_FS_SOURCE = String.raw`
import errno, os, stat, sys
import llfuse

class BusyFs(llfuse.Operations):
    def __init__(self, root):
        super().__init__()
        self.paths = {llfuse.ROOT_INODE: root}
        self.inodes = {root: llfuse.ROOT_INODE}
        self.next = llfuse.ROOT_INODE + 1

    def _attrs(self, inode):
        try:
            st = os.lstat(self.paths[inode])
        except (KeyError, OSError):
            raise llfuse.FUSEError(errno.ENOENT)
        a = llfuse.EntryAttributes()
        a.st_ino = inode
        a.st_mode = st.st_mode
        a.st_nlink = st.st_nlink
        a.st_uid = st.st_uid
        a.st_gid = st.st_gid
        a.st_size = st.st_size
        a.st_blocks = st.st_blocks
        a.st_blksize = 4096
        a.st_atime_ns = st.st_atime_ns
        a.st_mtime_ns = st.st_mtime_ns
        a.st_ctime_ns = st.st_ctime_ns
        a.attr_timeout = 0
        a.entry_timeout = 0
        return a

    def lookup(self, parent, name, ctx=None):
        path = os.path.join(self.paths[parent], os.fsdecode(name))
        inode = self.inodes.get(path)
        if inode is None:
            inode = self.next
            self.next += 1
            self.inodes[path] = inode
            self.paths[inode] = path
        return self._attrs(inode)

    def getattr(self, inode, ctx=None):
        return self._attrs(inode)

    def opendir(self, inode, ctx):
        return inode

    def readdir(self, inode, off):
        names = sorted(os.listdir(self.paths[inode]))
        for i, name in enumerate(names[off:], off):
            yield (os.fsencode(name), self.lookup(inode, os.fsencode(name)), i + 1)

    def open(self, inode, flags, ctx):
        raise llfuse.FUSEError(errno.EBUSY)

    def access(self, inode, mode, ctx):
        return True

llfuse.init(BusyFs(sys.argv[1]), sys.argv[2], ["fsname=esxsim-busy", "ro", "default_permissions"])
print("ready", flush=True)
try:
    llfuse.main(workers=1)
finally:
    llfuse.close(unmount=True)
`;
