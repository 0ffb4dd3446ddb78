/**
 * Version strings per emulated release (esxi-facts 1.11, [verbatim] samples): 6.7.0 U3 build 14320388
 * patch 73, 7.0.3 build 20328353 (`vmware -v` sample; the esxcli 7.0.3 sample's build 19193900 is an older
 * 7.0.3 patch), 8.0.1 build 21495797. `vmware -l` names the full version up to 6.7 (`6.7.0 Update 3`, the
 * sample) and only major.minor from 7.0 (`7.0 Update 3`, `8.0 GA`: public pastes of real 7.0 and 8.0 hosts,
 * `levelVersion`).
 */
import type { EsxiVersion } from "../config/simulator-config.js";

export interface EsxiRelease {
  version: string;
  build: string;
  update: string;
  patch: string;
  /** The version as `vmware -l` names it: `6.7.0` on 6.x, `7.0` / `8.0` from 7.0. */
  levelVersion: string;
  /** `virtualHW.version` a new VM gets. */
  defaultHardwareVersion: number;
  /**
   * The highest `virtualHW.version` the release runs (Broadcom's vSphere Automation API `Hardware.Version`,
   * after KB 1003746: 15 from 6.7 U2, 19 from 7.0 U2, 20 on 8.0 before U2). registervm of a `.vmx` of a
   * newer version registers the VM as invalid (vim-cmd.ts).
   */
  highestHardwareVersion: number;
  apiVersion: string;
  /** Build date in `uname -v` ([UNCONFIRMED] but the 8.0.2 sample's format). */
  buildDate: string;
}

export const ESXI_RELEASES: Record<EsxiVersion, EsxiRelease> = {
  "6.7": { version: "6.7.0", levelVersion: "6.7.0", build: "14320388", update: "3", patch: "73", defaultHardwareVersion: 14, highestHardwareVersion: 15, apiVersion: "6.7.3", buildDate: "Jul 19 2019 13:52:17" },
  "7.0": { version: "7.0.3", levelVersion: "7.0", build: "20328353", update: "3", patch: "20", defaultHardwareVersion: 19, highestHardwareVersion: 19, apiVersion: "7.0.3.0", buildDate: "Aug 26 2022 06:10:11" },
  "8.0": { version: "8.0.1", levelVersion: "8.0", build: "21495797", update: "1", patch: "0", defaultHardwareVersion: 20, highestHardwareVersion: 20, apiVersion: "8.0.1.0", buildDate: "Mar 21 2023 02:39:10" },
};
