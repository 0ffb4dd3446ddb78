/**
 * `vmkfstools` (esxi-facts 4): `-c SIZE [-d fmt]` create, `-i SRC [-d fmt] DST` clone (the source is read
 * through its descriptor chain, so cloning a delta descriptor gives the current state), `-U` delete, `-E`
 * rename, `-X SIZE` grow. Clone output and the out-of-space text are [verbatim]; the others are
 * [UNCONFIRMED] and kept short. A disk a running VM holds cannot be opened ("Failed to lock the file").
 */
import { open, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { randomBytes } from "node:crypto";
import type { ToolResult } from "../host-tools.js";
import type { HostState } from "../host/host-state.js";
import { flatFileOf } from "../host/disk-file-names.js";
import { diskUuid } from "../host/vm-identity.js";
import { overlayDelta } from "../host/delta-extent.js";
import { PathOutsideDatastoreError, type ResolvedPath } from "../host/sandbox-paths.js";
import { parseDescriptor, renderBaseDescriptor } from "../host/vmdk-descriptor.js";

class VmkfstoolsFailure extends Error {}

const MIB = 1024 * 1024;

function parseSize(s: string): number {
  const m = /^(\d+)([kKmMgGtT]?)$/u.exec(s);
  if (m === null) throw new VmkfstoolsFailure(`Invalid size '${s}'`);
  const mult: Record<string, number> = { "": 1, k: 1024, m: MIB, g: 1024 * MIB, t: 1024 * 1024 * MIB };
  return Number(m[1]) * (mult[(m[2] ?? "").toLowerCase()] ?? 1);
}

const FORMAT_TEXT: Record<string, string> = { thin: "VMFS thin-provisioned", zeroedthick: "VMFS zeroedthick", eagerzeroedthick: "VMFS eagerzeroedthick" };

export class Vmkfstools {
  constructor(private readonly host: HostState) {}

  async run(args: readonly string[], cwd: string): Promise<ToolResult> {
    const out: string[] = [];
    try {
      await this.host.exclusive(() => this.#dispatch(args, cwd, out));
      return { stdout: Buffer.from(out.join("")), stderr: Buffer.alloc(0), exitCode: 0 };
    } catch (e) {
      if (e instanceof VmkfstoolsFailure || e instanceof PathOutsideDatastoreError) {
        out.push(`${e.message}\n`);
        return { stdout: Buffer.from(out.join("")), stderr: Buffer.alloc(0), exitCode: 1 };
      }
      throw e;
    }
  }

  #resolve(p: string, cwd: string): ResolvedPath {
    try {
      return this.host.paths.resolve(p, cwd);
    } catch {
      throw new VmkfstoolsFailure(`Failed to open '${p}': The system cannot find the file specified (25).`);
    }
  }

  async #checkSpace(target: ResolvedPath, bytes: number, verb: string): Promise<void> {
    const free = await this.host.freeBytes(target.datastore);
    if (free < bytes) throw new VmkfstoolsFailure(`Failed to ${verb}: There is not enough space on the file system for the selected operation (13).`);
  }

  async #dispatch(args: readonly string[], cwd: string, out: string[]): Promise<void> {
    const opts = new Map<string, string>();
    const positional: string[] = [];
    const withValue = new Set(["-c", "-d", "-i", "-X", "-E", "-a", "-U", "--createvirtualdisk", "--diskformat", "--clonevirtualdisk", "--extendvirtualdisk", "--renamevirtualdisk", "--deletevirtualdisk", "--adaptertype"]);
    const alias: Record<string, string> = { "--createvirtualdisk": "-c", "--diskformat": "-d", "--clonevirtualdisk": "-i", "--extendvirtualdisk": "-X", "--renamevirtualdisk": "-E", "--deletevirtualdisk": "-U", "--adaptertype": "-a" };
    for (let i = 0; i < args.length; i++) {
      const a = args[i] ?? "";
      if (withValue.has(a)) {
        opts.set(alias[a] ?? a, args[i + 1] ?? "");
        i++;
      } else positional.push(a);
    }
    const format = opts.get("-d") ?? "zeroedthick";
    if (opts.has("-d") && FORMAT_TEXT[format] === undefined) throw new VmkfstoolsFailure(`Unsupported disk format '${format}'`);
    if (opts.has("-c")) {
      const size = parseSize(opts.get("-c") ?? "");
      const target = this.#resolve(positional[0] ?? "", cwd);
      await this.#checkSpace(target, format === "thin" ? 0 : size, "create virtual disk");
      await this.#createDisk(target, size, format, opts.get("-a") ?? "lsilogic");
      if (format !== "thin") out.push("Create: 100% done.\n");
      return;
    }
    if (opts.has("-i")) {
      const src = this.#resolve(opts.get("-i") ?? "", cwd);
      const dst = this.#resolve(positional[0] ?? "", cwd);
      out.push(`Destination disk format: ${FORMAT_TEXT[format] ?? format}\n`);
      out.push(`Cloning disk '${opts.get("-i") ?? ""}'...\n`);
      const chain = await this.#chain(src);
      const size = chain.size;
      await this.#checkSpace(dst, format === "thin" ? chain.allocated : size, "clone disk");
      await this.#createDisk(dst, size, format, "lsilogic");
      const flat = join(dirname(dst.real), flatFileOf(basename(dst.real)));
      const fh = await open(flat, "r+");
      try {
        let lastPct = -1;
        for (let off = 0; off < size; off += MIB) {
          const len = Math.min(MIB, size - off);
          const buf = await chain.read(off, len);
          if (buf.some((b) => b !== 0)) await fh.write(buf, 0, len, off);
          const pct = Math.floor(((off + len) * 100) / size);
          if (pct !== lastPct && pct < 100) {
            out.push(`Clone: ${pct}% done.\r`);
            lastPct = pct;
          }
        }
      } finally {
        await fh.close();
      }
      out.push("Clone: 100% done.\n");
      return;
    }
    if (opts.has("-U")) {
      const target = this.#resolve(opts.get("-U") ?? "", cwd);
      const info = await this.#descriptor(target);
      await this.#ensureUnlocked(target, join(dirname(target.real), info.extentFile));
      await rm(join(dirname(target.real), info.extentFile), { force: true });
      if (info.changeTrackPath !== undefined) await rm(join(dirname(target.real), info.changeTrackPath), { force: true });
      await rm(target.real);
      return;
    }
    if (opts.has("-E")) {
      const from = this.#resolve(opts.get("-E") ?? "", cwd);
      const to = this.#resolve(positional[0] ?? "", cwd);
      const info = await this.#descriptor(from);
      const newFlat = flatFileOf(basename(to.real));
      await this.#ensureUnlocked(from, join(dirname(from.real), info.extentFile));
      await rename(join(dirname(from.real), info.extentFile), join(dirname(to.real), newFlat));
      const text = (await readFile(from.real, "utf8")).replace(`"${info.extentFile}"`, `"${newFlat}"`);
      await writeFile(to.real, text);
      await rm(from.real);
      return;
    }
    if (opts.has("-X")) {
      const size = parseSize(opts.get("-X") ?? "");
      const target = this.#resolve(positional[0] ?? "", cwd);
      const info = await this.#descriptor(target);
      if (size < info.sectors * 512) throw new VmkfstoolsFailure("Failed to extend disk: One of the parameters supplied is invalid (1).");
      await this.#checkSpace(target, info.thin ? 0 : size - info.sectors * 512, "extend disk");
      const flat = join(dirname(target.real), info.extentFile);
      await this.#ensureUnlocked(target, flat);
      await truncate(flat, size);
      const text = await readFile(target.real, "utf8");
      await writeFile(target.real, text.replace(/^RW \d+ /mu, `RW ${size / 512} `));
      await this.host.baseDiskResized(target.real, size);
      return;
    }
    throw new VmkfstoolsFailure("No command specified");
  }

  async #descriptor(p: ResolvedPath): Promise<ReturnType<typeof parseDescriptor>> {
    let text: string;
    try {
      text = await readFile(p.real, "utf8");
    } catch {
      throw new VmkfstoolsFailure(`Failed to open '${p.sandbox}': The system cannot find the file specified (25).`);
    }
    try {
      return parseDescriptor(text);
    } catch {
      throw new VmkfstoolsFailure(`Failed to open '${p.sandbox}': The file specified is not a virtual disk (15).`);
    }
  }

  async #ensureUnlocked(p: ResolvedPath, extent: string): Promise<void> {
    if (await this.host.locks.isLocked(extent)) throw new VmkfstoolsFailure(`Failed to open '${p.sandbox}': Failed to lock the file (16392).`);
  }

  /** The disk behind a descriptor, read through its parents. Refuses extents a running VM holds. */
  async #chain(p: ResolvedPath): Promise<{ size: number; allocated: number; read: (off: number, len: number) => Promise<Buffer> }> {
    const levels: { path: string; delta: boolean }[] = [];
    let current = p;
    let size = 0;
    for (let guard = 0; guard < 64; guard++) {
      const info = await this.#descriptor(current);
      const extent = join(dirname(current.real), info.extentFile);
      await this.#ensureUnlocked(p, extent);
      levels.unshift({ path: extent, delta: info.parentFileNameHint !== undefined });
      if (size === 0) size = info.sectors * 512;
      if (info.parentFileNameHint === undefined) break;
      current = { ...current, real: join(dirname(current.real), info.parentFileNameHint) };
    }
    const baseStat = await stat(levels[0]?.path ?? "");
    return {
      size,
      allocated: baseStat.blocks * 512,
      read: async (off, len) => {
        const buf = Buffer.alloc(len);
        const [base, ...deltas] = levels;
        if (base !== undefined) {
          const fh = await open(base.path, "r");
          try {
            await fh.read(buf, 0, len, off);
          } finally {
            await fh.close();
          }
        }
        for (const d of deltas) await overlayDelta(d.path, size, off, buf);
        return buf;
      },
    };
  }

  async #createDisk(target: ResolvedPath, size: number, format: string, adapterType: string): Promise<void> {
    if (!target.real.endsWith(".vmdk")) throw new VmkfstoolsFailure(`Failed to create virtual disk: The destination file name must end in .vmdk (1).`);
    try {
      await stat(target.real);
      throw new VmkfstoolsFailure(`Failed to create virtual disk: The file already exists (39).`);
    } catch (e) {
      if (e instanceof VmkfstoolsFailure) throw e;
    }
    try {
      await stat(dirname(target.real));
    } catch {
      throw new VmkfstoolsFailure(`Failed to create virtual disk: The system cannot find the file specified (25).`);
    }
    if (size % 512 !== 0 || size === 0) throw new VmkfstoolsFailure(`Failed to create virtual disk: One of the parameters supplied is invalid (1).`);
    const flatName = flatFileOf(basename(target.real));
    const flat = join(dirname(target.real), flatName);
    await (await open(flat, "wx")).close();
    await truncate(flat, size);
    const cid = randomBytes(4).toString("hex");
    await writeFile(
      target.real,
      renderBaseDescriptor({
        cid,
        sizeBytes: size,
        flatFile: flatName,
        thin: format === "thin",
        adapterType: adapterType === "lsilogic" || adapterType === "buslogic" || adapterType === "ide" || adapterType === "pvscsi" ? adapterType : "lsilogic",
        uuid: diskUuid(),
        longContentId: `${randomBytes(12).toString("hex")}${cid}`,
        hardwareVersion: 14,
      }),
    );
  }
}
