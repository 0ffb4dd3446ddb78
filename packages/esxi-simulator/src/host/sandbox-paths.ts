/**
 * Maps sandbox paths (`/vmfs/volumes/<name or uuid>/...`, absolute or relative to the caller's cwd) to real
 * paths under `<rootDir>/vmfs/volumes/<uuid>/...`, refusing anything that escapes the datastores. Datastore
 * names resolve like the real `/vmfs/volumes/<name>` symlink.
 */
import { posix, join } from "node:path";
import type { DatastoreConfig } from "../config/simulator-config.js";

export class PathOutsideDatastoreError extends Error {
  constructor(readonly sandboxPath: string) {
    super(`${sandboxPath} is not on a datastore`);
  }
}

export interface ResolvedPath {
  datastore: DatastoreConfig;
  /** Path inside the datastore, no leading slash ("" for the datastore root). */
  relative: string;
  /** Real path on this machine. */
  real: string;
  /** Canonical sandbox path, `/vmfs/volumes/<uuid>/<relative>`. */
  sandbox: string;
}

export class SandboxPaths {
  constructor(
    readonly rootDir: string,
    readonly datastores: readonly DatastoreConfig[],
  ) {}

  volumesDir(): string {
    return join(this.rootDir, "vmfs", "volumes");
  }

  datastoreDir(ds: DatastoreConfig): string {
    return join(this.volumesDir(), ds.uuid);
  }

  resolve(path: string, cwd: string): ResolvedPath {
    const abs = posix.normalize(path.startsWith("/") ? path : posix.join(cwd === "" ? "/" : cwd, path));
    const parts = abs.split("/").filter((p) => p !== "");
    if (parts[0] !== "vmfs" || parts[1] !== "volumes" || parts[2] === undefined) throw new PathOutsideDatastoreError(path);
    const head = parts[2];
    const ds = this.datastores.find((d) => d.uuid === head) ?? this.datastores.find((d) => d.name === head);
    if (ds === undefined) throw new PathOutsideDatastoreError(path);
    const rest = parts.slice(3);
    if (rest.some((p) => p === "..")) throw new PathOutsideDatastoreError(path);
    const relative = rest.join("/");
    return {
      datastore: ds,
      relative,
      real: rest.length === 0 ? this.datastoreDir(ds) : join(this.datastoreDir(ds), ...rest),
      sandbox: `/vmfs/volumes/${ds.uuid}${relative === "" ? "" : `/${relative}`}`,
    };
  }

  toReal(path: string, cwd: string): string {
    return this.resolve(path, cwd).real;
  }

  /** `[<datastore name>] <relative>` as vim-cmd prints file paths. */
  bracketPath(ds: DatastoreConfig, relative: string): string {
    return `[${ds.name}] ${relative}`;
  }
}
