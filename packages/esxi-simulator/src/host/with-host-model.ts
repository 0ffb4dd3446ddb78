/**
 * For tests of the host's tools, and of parsers against what they print: a `HostModel` of one host's
 * configuration (its JSON, as in a simulator configuration file) in a folder of its own, on a manual clock
 * and scheduler (nothing moves unless the test moves it), given to `body`, then stopped and its folder
 * removed, whatever `body` does.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@esxbackup/domain";
import { parseHostConfig } from "../config/simulator-config.js";
import { HostModel } from "./host-model.js";
import { ManualScheduler } from "./workload.js";

export async function withHostModel(hostJson: unknown, body: (model: HostModel) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "esxsim-model-"));
  try {
    const config = parseHostConfig(hostJson, "test");
    const model = await HostModel.open({ rootDir: join(dir, "root"), config, clock: new ManualClock(), scheduler: new ManualScheduler() });
    try {
      await body(model);
    } finally {
      await model.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
