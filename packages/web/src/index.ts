/**
 * @esxbackup/web — the web console: a single-page application whose built assets the director serves.
 * `webAssetsDir` tells the director where they are, so the director never hard-codes a path into this package.
 */
import { fileURLToPath } from "node:url";

export const webAssetsDir: string = fileURLToPath(new URL("../assets/", import.meta.url));
