/**
 * Reads a local raw disk image for `LocalImageDiskSource`, run by run, each lane into its own slot of memory.
 *
 * Where the file system allows it the image is opened with O_DIRECT: reads go from the disk straight into
 * the slots, past the page cache. That saves the kernel's copy out of the cache and the zero-filled cache
 * pages of every hole (together about a fifth of a first backup's CPU time here), and a backup does not
 * evict what the machine had cached — it reads each byte once. O_DIRECT needs block-aligned memory,
 * offsets and lengths: the slots live in one shared WebAssembly memory (page-aligned; shared, so worker
 * threads read a slot without it being copied or transferred), runs start on chunk boundaries, and a read
 * is rounded up to whole blocks (the file's end makes it short). Where O_DIRECT is refused (tmpfs, other
 * systems) the same slots are filled through the page cache.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { InvalidInputError } from "@esxbackup/domain";
import type { DiskChannels } from "./disk-source.js";

// Node's type definitions here leave out the WebAssembly global; this is the one constructor used.
const WasmMemory = (
  globalThis as unknown as { WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer } } }
).WebAssembly.Memory;

/** Covers the logical block size of every disk (512 or 4096 bytes). */
const DIRECT_ALIGN_BYTES = 4096;
const WASM_PAGE_BYTES = 64 * 1024;

export class ImageReader implements DiskChannels {
  readonly path: string;
  readonly sizeBytes: number;
  readonly #memory: SharedArrayBuffer;
  readonly #slotBytes: number;
  /** The handle reads use: the O_DIRECT one until it is refused, then a buffered one. */
  #handle: FileHandle;
  readonly #directHandle: FileHandle | undefined;
  #buffered: Promise<FileHandle> | undefined;

  private constructor(path: string, handle: FileHandle, direct: boolean, sizeBytes: number, slots: number, slotBytes: number) {
    this.path = path;
    this.sizeBytes = sizeBytes;
    this.#handle = handle;
    this.#directHandle = direct ? handle : undefined;
    this.#slotBytes = roundUp(slotBytes, WASM_PAGE_BYTES);
    const pages = Math.max(1, (slots * this.#slotBytes) / WASM_PAGE_BYTES);
    this.#memory = new WasmMemory({ initial: pages, maximum: pages, shared: true }).buffer;
  }

  /**
   * Opens `path` for `slots` concurrent reads of at most `slotBytes` each; `direct: false` reads through the
   * page cache even where O_DIRECT would work.
   */
  static async open(path: string, slots: number, slotBytes: number, options: { direct?: boolean } = {}): Promise<ImageReader> {
    let handle: FileHandle;
    let direct = options.direct !== false && constants.O_DIRECT !== undefined;
    try {
      handle = await open(path, constants.O_RDONLY | (direct ? constants.O_DIRECT : 0));
    } catch (error) {
      if (!direct || !isCode(error, "EINVAL")) throw cannotOpen(path, error);
      direct = false;
      handle = await open(path, "r").catch((retry: unknown) => {
        throw cannotOpen(path, retry);
      });
    }
    try {
      return new ImageReader(path, handle, direct, (await handle.stat()).size, slots, slotBytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Whether reads bypass the page cache. */
  get direct(): boolean {
    return this.#handle === this.#directHandle;
  }

  /**
   * Reads exactly `length` bytes at `offset` (a multiple of 4 KiB) into slot `slot` and returns a view of
   * them, valid until the slot is read into again.
   */
  async read(slot: number, offset: number, length: number): Promise<Buffer> {
    if (length > this.#slotBytes) throw new RangeError(`a read of ${length} bytes does not fit a slot of ${this.#slotBytes}`);
    const start = slot * this.#slotBytes;
    const room = Buffer.from(this.#memory, start, Math.min(this.#slotBytes, roundUp(length, DIRECT_ALIGN_BYTES)));
    const handle = this.#handle;
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(room, 0, room.byteLength, offset));
    } catch (error) {
      // Some file systems accept O_DIRECT at open and refuse it at read: go through the page cache.
      if (handle !== this.#directHandle || !isCode(error, "EINVAL")) throw error;
      this.#buffered ??= open(this.path, "r");
      this.#handle = await this.#buffered;
      ({ bytesRead } = await this.#handle.read(room, 0, room.byteLength, offset));
    }
    if (bytesRead < length) {
      throw new InvalidInputError("image", `${this.path} changed size while being read (${bytesRead} of ${length} bytes at offset ${offset})`);
    }
    return room.subarray(0, length);
  }

  async close(): Promise<void> {
    await this.#directHandle?.close();
    await (await this.#buffered?.catch(() => undefined))?.close();
    if (this.#directHandle === undefined) await this.#handle.close();
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

function cannotOpen(path: string, error: unknown): InvalidInputError {
  return new InvalidInputError("image", `cannot open ${path} (${(error as { code?: string }).code ?? String(error)})`);
}
