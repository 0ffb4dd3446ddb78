/**
 * Test support: a `LocalFileSystem` over a real folder that remembers what has not been made durable, and a
 * power cut that forgets it, the worst a crash may do (in the spirit of kopia's and ALICE's crash tests):
 * - a file's content is durable only once the file was fsynced after its last write; otherwise a cut
 *   leaves it empty;
 * - a created, renamed-in or removed directory entry is durable only once its folder was fsynced after the
 *   change; otherwise a cut undoes it (a new entry vanishes, with everything below it; a removed or
 *   replaced one comes back with its old content, kept aside in `graveyard` until then).
 * SIGKILL keeps the page cache, so only a model like this shows a missing fsync. After `cut()` (or after
 * `cutAfterOperations` calls) every call fails, as if the machine had stopped. Not part of the API.
 */
import { constants } from "node:fs";
import * as nodeFs from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { LocalFileHandle, LocalFileSystem } from "./local-directory-blob-store.js";

export class PowerCutFileSystem implements LocalFileSystem {
  readonly #graveyard: string;
  /** Files whose content is not durable. */
  readonly #unsyncedData = new Set<string>();
  /** Per folder, entries created since its last fsync. */
  readonly #newEntries = new Map<string, Set<string>>();
  /** Per folder, entries removed or replaced since its last fsync: name → where the old file waits. */
  readonly #goneEntries = new Map<string, Map<string, string>>();
  #buried = 0;
  #operations = 0;
  #cutAfter: number;
  #cut = false;

  /** `graveyard`: an empty folder on the same file system, outside the store's root. */
  constructor(graveyard: string, options: { cutAfterOperations?: number } = {}) {
    this.#graveyard = graveyard;
    this.#cutAfter = options.cutAfterOperations ?? Number.POSITIVE_INFINITY;
  }

  get operations(): number {
    return this.#operations;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  async open(path: string, flags: number, mode?: number): Promise<LocalFileHandle> {
    await this.#step();
    const existed = await exists(path);
    const handle = await nodeFs.open(path, flags, mode);
    if (!existed && (flags & constants.O_CREAT) !== 0) this.#created(path);
    return {
      writeFile: async (data) => {
        await this.#step();
        this.#unsyncedData.add(path);
        await handle.writeFile(data);
      },
      sync: async () => {
        await this.#step();
        await handle.sync();
        if ((await nodeFs.stat(path)).isDirectory()) {
          this.#newEntries.delete(path);
          for (const kept of this.#goneEntries.get(path)?.values() ?? []) await nodeFs.rm(kept, { recursive: true, force: true });
          this.#goneEntries.delete(path);
        } else {
          this.#unsyncedData.delete(path);
        }
      },
      close: () => handle.close(),
    };
  }

  async link(existing: string, created: string): Promise<void> {
    await this.#step();
    await nodeFs.link(existing, created);
    this.#created(created);
    if (this.#unsyncedData.has(existing)) this.#unsyncedData.add(created);
  }

  async mkdir(path: string, options: { recursive: true }): Promise<string | undefined> {
    await this.#step();
    const first = await nodeFs.mkdir(path, options);
    if (first !== undefined) {
      for (let folder = path; ; folder = dirname(folder)) {
        this.#created(folder);
        if (folder === first) break;
      }
    }
    return first;
  }

  async readdir(path: string): Promise<string[]> {
    await this.#step();
    return nodeFs.readdir(path);
  }

  async readFile(path: string): Promise<Buffer> {
    await this.#step();
    return nodeFs.readFile(path);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.#step();
    if (await exists(to)) await this.#bury(to);
    await nodeFs.rename(from, to);
    this.#forgetNew(from);
    this.#created(to);
    if (this.#unsyncedData.delete(from)) this.#unsyncedData.add(to);
  }

  async rm(path: string): Promise<void> {
    await this.#step();
    await nodeFs.stat(path);
    await this.#bury(path);
  }

  async stat(path: string): Promise<{ size: number; mtimeMs: number }> {
    await this.#step();
    return nodeFs.stat(path);
  }

  async unlink(path: string): Promise<void> {
    await this.#step();
    await nodeFs.stat(path);
    await this.#bury(path);
  }

  async utimes(path: string, atime: Date, mtime: Date): Promise<void> {
    await this.#step();
    await nodeFs.utimes(path, atime, mtime);
  }

  /** The power cut: what was not durable is undone on disk, and every later call fails. */
  async cut(): Promise<void> {
    if (this.#cut) return;
    this.#cut = true;
    for (const [folder, names] of this.#newEntries) {
      for (const name of names) await nodeFs.rm(join(folder, name), { recursive: true, force: true });
    }
    for (const path of this.#unsyncedData) if (await exists(path)) await nodeFs.truncate(path, 0);
    for (const [folder, gone] of this.#goneEntries) {
      for (const [name, kept] of gone) {
        if ((await exists(folder)) && !(await exists(join(folder, name)))) await nodeFs.rename(kept, join(folder, name));
      }
    }
  }

  async #step(): Promise<void> {
    if (!this.#cut && this.#operations >= this.#cutAfter) await this.cut();
    if (this.#cut) throw Object.assign(new Error("the power was cut"), { code: "EIO" });
    this.#operations += 1;
  }

  #created(path: string): void {
    const folder = dirname(path);
    let names = this.#newEntries.get(folder);
    if (names === undefined) this.#newEntries.set(folder, (names = new Set()));
    names.add(basename(path));
  }

  #forgetNew(path: string): void {
    this.#newEntries.get(dirname(path))?.delete(basename(path));
  }

  /** Removes an entry, keeping its content aside until its folder is fsynced (a cut before that restores it). */
  async #bury(path: string): Promise<void> {
    const folder = dirname(path);
    const name = basename(path);
    const wasNew = this.#newEntries.get(folder)?.delete(name) === true;
    for (const tracked of [...this.#unsyncedData]) if (tracked === path || tracked.startsWith(`${path}/`)) this.#unsyncedData.delete(tracked);
    for (const key of [...this.#newEntries.keys()]) if (key === path || key.startsWith(`${path}/`)) this.#newEntries.delete(key);
    const already = this.#goneEntries.get(folder)?.has(name) === true;
    if (wasNew || already) {
      // Never durable here (or an older version is already kept): nothing to bring back.
      await nodeFs.rm(path, { recursive: true, force: true });
      return;
    }
    this.#buried += 1;
    const kept = join(this.#graveyard, String(this.#buried));
    await nodeFs.rename(path, kept);
    let gone = this.#goneEntries.get(folder);
    if (gone === undefined) this.#goneEntries.set(folder, (gone = new Map()));
    gone.set(name, kept);
  }
}

async function exists(path: string): Promise<boolean> {
  return nodeFs.stat(path).then(
    () => true,
    () => false,
  );
}
