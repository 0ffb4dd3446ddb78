/**
 * What a simulated host looks like: its ESXi version, SSH users, shell, datastores, VMs and the faults it
 * should inject. One `SimulatorConfig` can describe several hosts (one SSH port each).
 *
 * Contract: `parseSimulatorConfig` either returns a fully defaulted, cross-checked config or throws
 * `InvalidInputError` naming the field path (`hosts[0].vms[2].disks[0].slot`) and the source (file name).
 * Nothing that the real host allows is refused: VM and datastore names may hold spaces, brackets, quotes,
 * `$`, `;` and non-ASCII characters. Only `/` (a path separator) and control characters other than the
 * newline of a multi-line annotation are refused.
 */
import { readFile } from "node:fs/promises";
import { ESXI_VERSIONS, InvalidInputError } from "@esxbackup/domain";
import type { EsxiVersion } from "@esxbackup/domain";
import { z } from "zod";

/** A refused option of a trimmed busybox applet: a `dd` operand (`conv=`) or a short option (`-c`). */
const REFUSED_OPTION = /^(?:[a-z_]+=|-[A-Za-z0-9])$/u;

export { ESXI_VERSIONS };
export type { EsxiVersion };

export type PowerState = "poweredOn" | "poweredOff" | "suspended";
export type DiskProvisioning = "thin" | "zeroedthick" | "eagerzeroedthick";

/** A byte range of a virtual disk. */
export interface ByteRange {
  offsetBytes: number;
  lengthBytes: number;
}

export interface SshUserConfig {
  name: string;
  /** Accepted through keyboard-interactive only, as on a stock host. */
  password?: string;
  /** OpenSSH public-key lines, as in /etc/ssh/keys-<user>/authorized_keys. */
  authorizedKeys: string[];
  /**
   * The password has expired (`Security.PasswordMaxDays`): after it, PAM asks for a change through sshd, as
   * Linux-PAM does, its notice on the lines before `Current password: ` in a second round [UNCONFIRMED: the
   * wording on ESXi]. The change itself is not simulated: every answer to it is refused.
   */
  passwordExpired?: boolean;
}

export interface DatastoreConfig {
  /** The datastore name; /vmfs/volumes/<name> is a symlink to /vmfs/volumes/<uuid>. */
  name: string;
  /** VMFS UUID, `xxxxxxxx-xxxxxxxx-xxxx-xxxxxxxxxxxx`. Also the `vim.Datastore` moref value. */
  uuid: string;
  vmfsVersion: 5 | 6;
  capacityBytes: number;
}

export interface DiskConfig {
  /** Controller slot, e.g. `scsi0:0`, `sata0:1`, `nvme0:0`, `ide0:0`. */
  slot: string;
  /** Virtual size; a multiple of 1 MiB. */
  sizeBytes: number;
  provisioning: DiskProvisioning;
  /** The descriptor file name in the VM folder; default `<vm name>.vmdk`, then `<vm name>_1.vmdk`, ... */
  fileName?: string;
  /**
   * Regions filled with deterministic pseudo-random data when the disk is created. Everything else is zero
   * (holes in a thin disk), so a backup has whole-zero regions to skip.
   */
  dataRegions: ByteRange[];
}

export interface WorkloadConfig {
  /** Block writes per second while the VM is powered on; 0 disables the workload. */
  writesPerSecond: number;
  /** Size of each write; a multiple of 4096. */
  writeSizeBytes: number;
  /**
   * Where writes land, per disk (by slot). Missing: the disk's dataRegions. Regions outside the hot set are
   * never written, so whole-zero regions stay zero.
   */
  hotSet?: Record<string, ByteRange[]>;
  /** Seed of the workload's deterministic random choice of blocks and contents. */
  seed: number;
}

export interface UserSnapshotConfig {
  name: string;
  description: string;
}

export interface VmConfig {
  /** Display name. Also the folder and file base name unless `folder` is set. */
  name: string;
  /** Inventory id; assigned from 1 upwards when missing. */
  vmid?: number;
  /** Datastore name; default: the host's first datastore. */
  datastore?: string;
  /** Folder inside the datastore; default: the VM name. */
  folder?: string;
  /** Guest OS id as shown by vim-cmd, e.g. `ubuntu64Guest`, `windows9_64Guest`, `otherGuest64`. */
  guestId: string;
  annotation: string;
  powerState: PowerState;
  /** Changed block tracking (`ctkEnabled`), which also writes `-ctk.vmdk` files. */
  cbt: boolean;
  /** `virtualHW.version`, shown as `vmx-NN`. */
  hardwareVersion: number;
  memoryMB: number;
  numCpus: number;
  /** Snapshots that exist before the simulator starts (made "by the user"), oldest first. */
  snapshots: UserSnapshotConfig[];
  disks: DiskConfig[];
  workload: WorkloadConfig;
}

/** A fault injected into snapshot creation or consolidation; `message` replaces the default fault text. */
export interface OperationFaultConfig {
  message?: string;
}

export interface ConsolidateFaultConfig extends OperationFaultConfig {
  /**
   * The snapshot is deleted from the tree before the consolidation fails, its deltas left in the chains
   * ("disk consolidation needed"); otherwise the removal fails before changing anything. Modelled for
   * `snapshot.removeall` and for removing the oldest snapshot without its children.
   */
  leavesDeltas?: boolean;
}

/** The vim-cmd calls the TaskInProgress fault refuses. */
export const BUSY_OPERATIONS = ["snapshot.create", "snapshot.remove", "registervm", "unregister", "power.on"] as const;
export type BusyOperation = (typeof BUSY_OPERATIONS)[number];

export interface TaskInProgressFaultConfig {
  tries: number;
  /** The calls it refuses; default all of BUSY_OPERATIONS. Calls of the others go through and count nothing. */
  operations?: BusyOperation[];
}

/**
 * `vim-cmd vmsvc/message VMID` (the look for a question, not an answer) fails the next `tries` times:
 * `garbled` prints a line that is neither `No message.` nor a question (exit 0), `unreachable` prints
 * vim-cmd's words for a hostd it cannot reach and exits 1.
 */
export interface VmMessageFaultConfig {
  tries: number;
  kind: "garbled" | "unreachable";
}

export interface FaultsConfig {
  /** When set, `vim-cmd vmsvc/snapshot.create` fails with this fault. */
  snapshotCreate: OperationFaultConfig | null;
  /** When set, `snapshot.remove` / `snapshot.removeall` fail and leave the deltas in place. */
  consolidate: ConsolidateFaultConfig | null;
  /**
   * When set, the next `tries` snapshot.create / snapshot.remove / registervm / unregister / power.on calls
   * (on any VM; only those of `operations` when given) are refused with `vim.fault.TaskInProgress`, as while
   * another task holds the VM; then they work again.
   */
  taskInProgress: TaskInProgressFaultConfig | null;
  /** When set, the next `tries` looks at a VM's question (`vmsvc/message VMID`) fail (VmMessageFaultConfig). */
  vmMessage: VmMessageFaultConfig | null;
  /** Datastore names that behave as full: creating or growing files on them fails with the out-of-space text. */
  fullDatastores: string[];
}

/** Behaviour the reference marks [UNCONFIRMED]; configurable so tests can cover both possibilities. */
export interface ToolBehaviourConfig {
  /** vim-cmd's exit status after printing a fault (a real host's value is not confirmed). */
  vimCmdFaultExitCode: number;
  /** What `vim-cmd vmsvc/destroy` prints on success (the jenkins fake prints `Destroying VM`); default nothing. */
  destroyOutput: string;
  /**
   * Where getallvms prints `Skipping invalid VM '<vmid>'` for a VM whose .vmx is gone: stderr (default),
   * or stdout before the header / after the rows.
   */
  invalidVmLines: InvalidVmLinePlacement;
  /**
   * The fault of a quiesced snapshot (`snapshot.create VMID NAME DESC 0 1`) of a running VM: the simulated
   * guests never run VMware Tools, so it always fails. The text is not in esxi-facts: default
   * `vim.fault.ToolsUnavailable`, "Cannot complete operation because VMware Tools is not running in this
   * virtual machine." [UNCONFIRMED].
   */
  quiesceFault?: { faultType: string; message: string };
}

export type InvalidVmLinePlacement = "stderr" | "stdout-before-header" | "stdout-after-rows";

export interface HostConfig {
  /** Host name (shell prompt, hostsummary). */
  name: string;
  esxiVersion: EsxiVersion;
  /**
   * `accountLockFailures` / `accountUnlockTimeSeconds`: ESXi's `Security.AccountLockFailures` and
   * `Security.AccountUnlockTime` (6.5+ defaults 5 and 900; 0 failures: no lock), ssh/account-lockout.ts.
   */
  ssh: { port: number /* 0 = any free port */; users: SshUserConfig[]; accountLockFailures: number; accountUnlockTimeSeconds: number };
  /**
   * `disabledApplets` removes busybox applets; `python: false` removes python/python3; `pythonVersion`
   * (`3.8.20`) overrides the release's emulated Python (python/host-python.ts).
   */
  shell: {
    disabledApplets: string[];
    python: boolean;
    pythonVersion?: string;
    /** Busybox applets linked in /bin; default the release's list (sandbox/esxi-applets.ts). */
    applets?: string[];
    /** Applets added to the release's list. */
    extraApplets?: string[];
    /**
     * Options a trimmed busybox build lacks, per applet: `dd` operands (`conv=`) or short options (`-c`),
     * refused as busybox refuses them (sandbox/trimmed-applet.ts). Default none.
     */
    refusedOptions?: Record<string, string[]>;
    /** ESXi 8's execInstalledOnly: nothing outside /bin, /sbin and /usr may be executed. Default: on for 8.0. */
    execInstalledOnly?: boolean;
  };
  datastores: DatastoreConfig[];
  /** Standard port groups (`esxcli network vswitch standard portgroup list`); default `Management Network` and `VM Network` on vSwitch0. */
  portGroups: PortGroupConfig[];
  vms: VmConfig[];
  faults: FaultsConfig;
  tools: ToolBehaviourConfig;
}

export interface PortGroupConfig {
  name: string;
  virtualSwitch: string;
  vlanId: number;
}

export const DEFAULT_PORT_GROUPS: PortGroupConfig[] = [
  { name: "Management Network", virtualSwitch: "vSwitch0", vlanId: 0 },
  { name: "VM Network", virtualSwitch: "vSwitch0", vlanId: 0 },
];

export interface SimulatorConfig {
  hosts: HostConfig[];
}

const MIB = 1024 * 1024;
export const QUIESCE_FAULT = { faultType: "vim.fault.ToolsUnavailable", message: "Cannot complete operation because VMware Tools is not running in this virtual machine." };

// --- schema -----------------------------------------------------------------------------------------------

// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f]/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/u;

const entityName = z
  .string()
  .min(1, "must not be empty")
  .max(80, "must be at most 80 characters")
  .refine((s) => !s.includes("/"), "must not contain '/'")
  .refine((s) => !CONTROL.test(s), "must not contain control characters")
  .refine((s) => s !== "." && s !== "..", "must not be '.' or '..'");

const byteRange = z.object({
  offsetBytes: z.number().int().min(0),
  lengthBytes: z.number().int().min(1),
});

const diskSchema = z.object({
  slot: z.string().regex(/^(scsi|sata|nvme|ide)[0-3]:([0-9]|1[0-5])$/u, "must look like scsi0:0, sata0:1, nvme0:0 or ide0:0"),
  sizeBytes: z
    .number()
    .int()
    .min(MIB)
    .refine((n) => n % MIB === 0, "must be a multiple of 1 MiB"),
  provisioning: z.enum(["thin", "zeroedthick", "eagerzeroedthick"]).default("thin"),
  fileName: z
    .string()
    .regex(/^[^/]+\.vmdk$/u, "must be a file name ending in .vmdk")
    .refine((s) => !/-(flat|ctk|delta|sesparse|\d{6})\.vmdk$/u.test(s), "must not end like an extent or delta (-flat, -ctk, -000001, ...)")
    .optional(),
  dataRegions: z.array(byteRange).default([]),
});

const workloadSchema = z.object({
  writesPerSecond: z.number().min(0).default(20),
  writeSizeBytes: z
    .number()
    .int()
    .min(4096)
    .refine((n) => n % 4096 === 0, "must be a multiple of 4096")
    .default(65536),
  hotSet: z.record(z.string(), z.array(byteRange)).optional(),
  seed: z.number().int().default(1),
});

const vmSchema = z.object({
  name: entityName,
  vmid: z.number().int().min(1).optional(),
  datastore: z.string().optional(),
  folder: entityName.optional(),
  guestId: z.string().min(1).default("otherGuest64"),
  annotation: z
    .string()
    .default("")
    .refine((s) => !CONTROL_EXCEPT_NEWLINE.test(s), "must not contain control characters other than newline"),
  powerState: z.enum(["poweredOn", "poweredOff", "suspended"]).default("poweredOff"),
  cbt: z.boolean().default(false),
  hardwareVersion: z.number().int().min(4).max(30).default(14),
  memoryMB: z.number().int().min(4).default(1024),
  numCpus: z.number().int().min(1).default(1),
  snapshots: z.array(z.object({ name: z.string().min(1), description: z.string().default("") })).default([]),
  disks: z.array(diskSchema).default([]),
  workload: workloadSchema.default({ writesPerSecond: 20, writeSizeBytes: 65536, seed: 1 }),
});

const datastoreSchema = z.object({
  name: entityName,
  uuid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{12}$/u, "must be a VMFS UUID like 5e0026d9-a647150e-d8a8-4cedfb76e9d5"),
  vmfsVersion: z.union([z.literal(5), z.literal(6)]).default(6),
  capacityBytes: z.number().int().min(64 * MIB),
});

const operationFaultFields = z.object({ message: z.string().min(1).optional() });
const operationFault = operationFaultFields.nullable().default(null);

const hostSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/u, "must be a host name").default("localhost"),
  esxiVersion: z.enum(ESXI_VERSIONS).default("7.0"),
  ssh: z
    .object({
      port: z.number().int().min(0).max(65535).default(0),
      users: z
        .array(
          z.object({
            name: z.string().regex(/^[a-z_][a-z0-9_.-]*$/u, "must be a user name"),
            password: z.string().optional(),
            authorizedKeys: z.array(z.string()).default([]),
            passwordExpired: z.boolean().optional(),
          }),
        )
        .default([]),
      accountLockFailures: z.number().int().min(0).default(5),
      accountUnlockTimeSeconds: z.number().int().min(0).default(900),
    })
    .default({ port: 0, users: [], accountLockFailures: 5, accountUnlockTimeSeconds: 900 }),
  shell: z
    .object({
      disabledApplets: z.array(z.string()).default([]),
      python: z.boolean().default(true),
      pythonVersion: z
        .string()
        .regex(/^3\.\d+\.\d+$/u, "must be a Python 3 version like 3.8.20")
        .optional(),
      applets: z.array(z.string()).optional(),
      extraApplets: z.array(z.string()).optional(),
      refusedOptions: z.record(z.string().regex(/^[a-z0-9_]+$/u, "must be an applet name"), z.array(z.string().regex(REFUSED_OPTION, "must be a dd operand like conv= or a short option like -c")).min(1)).optional(),
      execInstalledOnly: z.boolean().optional(),
    })
    .default({ disabledApplets: [], python: true }),
  datastores: z.array(datastoreSchema).min(1, "a host needs at least one datastore"),
  portGroups: z
    .array(z.object({ name: z.string().min(1).refine((s) => !CONTROL.test(s), "must not contain control characters"), virtualSwitch: z.string().min(1).default("vSwitch0"), vlanId: z.number().int().min(0).max(4095).default(0) }))
    .default(DEFAULT_PORT_GROUPS),
  vms: z.array(vmSchema).default([]),
  faults: z
    .object({
      snapshotCreate: operationFault,
      consolidate: operationFaultFields.extend({ leavesDeltas: z.boolean().optional() }).nullable().default(null),
      taskInProgress: z
        .object({ tries: z.number().int().min(1), operations: z.array(z.enum(BUSY_OPERATIONS)).min(1).optional() })
        .nullable()
        .default(null),
      vmMessage: z
        .object({ tries: z.number().int().min(1), kind: z.enum(["garbled", "unreachable"]) })
        .nullable()
        .default(null),
      fullDatastores: z.array(z.string()).default([]),
    })
    .default({ snapshotCreate: null, consolidate: null, taskInProgress: null, vmMessage: null, fullDatastores: [] }),
  tools: z
    .object({
      vimCmdFaultExitCode: z.number().int().min(0).max(255).default(1),
      destroyOutput: z.string().default(""),
      invalidVmLines: z.enum(["stderr", "stdout-before-header", "stdout-after-rows"]).default("stderr"),
      quiesceFault: z
        .object({ faultType: z.string().regex(/^[a-z]+(\.[A-Za-z]+)+$/u, "must be a fault type like vim.fault.ToolsUnavailable"), message: z.string().min(1) })
        .default(QUIESCE_FAULT),
    })
    .default({ vimCmdFaultExitCode: 1, destroyOutput: "", invalidVmLines: "stderr", quiesceFault: QUIESCE_FAULT }),
});

const configSchema = z.object({ hosts: z.array(hostSchema).min(1, "at least one host is needed") });

function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

function invalid(source: string, field: string, problem: string): InvalidInputError {
  return new InvalidInputError(field, `${problem} (in ${source})`);
}

function overlaps(a: ByteRange, b: ByteRange): boolean {
  return a.offsetBytes < b.offsetBytes + b.lengthBytes && b.offsetBytes < a.offsetBytes + a.lengthBytes;
}

/** Cross-field checks that a schema cannot express; throws on the first problem. */
function checkHost(host: HostConfig, at: string, source: string): void {
  const dsNames = new Set<string>();
  host.datastores.forEach((ds, i) => {
    if (dsNames.has(ds.name)) throw invalid(source, `${at}.datastores[${i}].name`, `duplicate datastore name "${ds.name}"`);
    dsNames.add(ds.name);
  });
  const uuids = new Set(host.datastores.map((d) => d.uuid));
  if (uuids.size !== host.datastores.length) throw invalid(source, `${at}.datastores`, "datastore UUIDs must be unique");
  host.faults.fullDatastores.forEach((n, i) => {
    if (!dsNames.has(n)) throw invalid(source, `${at}.faults.fullDatastores[${i}]`, `no datastore named "${n}"`);
  });
  const vmids = new Set<number>();
  const folders = new Set<string>();
  host.vms.forEach((vm, v) => {
    const vat = `${at}.vms[${v}]`;
    if (vm.vmid !== undefined) {
      if (vmids.has(vm.vmid)) throw invalid(source, `${vat}.vmid`, `duplicate vmid ${vm.vmid}`);
      vmids.add(vm.vmid);
    }
    const ds = vm.datastore ?? host.datastores[0]?.name;
    if (ds === undefined || !dsNames.has(ds)) throw invalid(source, `${vat}.datastore`, `no datastore named "${String(vm.datastore)}"`);
    const folderKey = `${ds}/${vm.folder ?? vm.name}`;
    if (folders.has(folderKey)) throw invalid(source, `${vat}.folder`, `two VMs would share the folder "${folderKey}"`);
    folders.add(folderKey);
    const slots = new Set<string>();
    const files = new Set<string>();
    vm.disks.forEach((disk, d) => {
      const dat = `${vat}.disks[${d}]`;
      if (slots.has(disk.slot)) throw invalid(source, `${dat}.slot`, `slot ${disk.slot} used twice`);
      slots.add(disk.slot);
      if (disk.fileName !== undefined) {
        if (files.has(disk.fileName)) throw invalid(source, `${dat}.fileName`, `file name ${disk.fileName} used twice`);
        files.add(disk.fileName);
      }
      disk.dataRegions.forEach((r, k) => {
        if (r.offsetBytes + r.lengthBytes > disk.sizeBytes) throw invalid(source, `${dat}.dataRegions[${k}]`, "extends past the end of the disk");
        disk.dataRegions.slice(0, k).forEach((o) => {
          if (overlaps(o, r)) throw invalid(source, `${dat}.dataRegions[${k}]`, "overlaps an earlier region");
        });
      });
    });
    for (const [slot, ranges] of Object.entries(vm.workload.hotSet ?? {})) {
      const disk = vm.disks.find((d) => d.slot === slot);
      if (disk === undefined) throw invalid(source, `${vat}.workload.hotSet.${slot}`, `the VM has no disk at ${slot}`);
      ranges.forEach((r, k) => {
        if (r.offsetBytes + r.lengthBytes > disk.sizeBytes) throw invalid(source, `${vat}.workload.hotSet.${slot}[${k}]`, "extends past the end of the disk");
        if (r.offsetBytes % 4096 !== 0 || r.lengthBytes < vm.workload.writeSizeBytes) {
          throw invalid(source, `${vat}.workload.hotSet.${slot}[${k}]`, "must be 4096-aligned and at least one write long");
        }
      });
    }
  });
}

/** Validates and defaults a parsed JSON/YAML document. Throws `InvalidInputError` naming the field path. */
export function parseSimulatorConfig(json: unknown, source: string): SimulatorConfig {
  const result = configSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue === undefined) throw invalid(source, "(root)", "invalid configuration");
    throw invalid(source, pathText(issue.path), issue.message);
  }
  const config = result.data as SimulatorConfig;
  config.hosts.forEach((h, i) => checkHost(h, `hosts[${i}]`, source));
  return config;
}

/** Parses one host's config (for callers that build a host on its own); field paths start at the host. */
export function parseHostConfig(json: unknown, source: string): HostConfig {
  const parsed = parseSimulatorConfig({ hosts: [json] }, source);
  const host = parsed.hosts[0];
  if (host === undefined) throw invalid(source, "(root)", "no host");
  return host;
}

/** Reads a JSON config file (YAML is not supported). */
export async function loadSimulatorConfigFile(path: string): Promise<SimulatorConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new InvalidInputError("(file)", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidInputError("(root)", `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseSimulatorConfig(json, path);
}

/**
 * A small, realistic host: one VMFS6 datastore, three VMs (one powered off, two running under write load,
 * one of them named with spaces and brackets), thin disks of a few hundred MiB with data in some regions
 * and whole-zero regions elsewhere.
 */
export function defaultSimulatorConfig(options: { password: string; esxiVersion?: EsxiVersion; port?: number }): SimulatorConfig {
  const hw: Record<EsxiVersion, number> = { "6.7": 14, "7.0": 19, "8.0": 20 };
  const esxiVersion = options.esxiVersion ?? "7.0";
  const regions = (...mib: [number, number][]): ByteRange[] => mib.map(([o, l]) => ({ offsetBytes: o * MIB, lengthBytes: l * MIB }));
  const json = {
    hosts: [
      {
        name: "localhost",
        esxiVersion,
        ssh: { port: options.port ?? 0, users: [{ name: "root", password: options.password, authorizedKeys: [] }] },
        shell: { disabledApplets: [], python: true },
        datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", vmfsVersion: 6, capacityBytes: 64 * 1024 * MIB }],
        vms: [
          {
            name: "web01",
            guestId: "ubuntu64Guest",
            annotation: "Web front end",
            powerState: "poweredOn",
            hardwareVersion: hw[esxiVersion],
            memoryMB: 2048,
            numCpus: 2,
            disks: [{ slot: "scsi0:0", sizeBytes: 256 * MIB, provisioning: "thin", dataRegions: regions([0, 24], [96, 16], [200, 8]) }],
            workload: { writesPerSecond: 20, writeSizeBytes: 65536, seed: 11, hotSet: { "scsi0:0": regions([0, 24], [96, 16]) } },
          },
          {
            name: "db [prod] 01",
            guestId: "windows9Server64Guest",
            annotation: "Database server\nowner: ops",
            powerState: "poweredOn",
            cbt: true,
            hardwareVersion: hw[esxiVersion],
            memoryMB: 4096,
            numCpus: 2,
            disks: [
              { slot: "scsi0:0", sizeBytes: 320 * MIB, provisioning: "thin", dataRegions: regions([0, 32], [160, 32]) },
              { slot: "scsi0:1", sizeBytes: 128 * MIB, provisioning: "thin", dataRegions: regions([0, 8], [64, 8]) },
            ],
            workload: { writesPerSecond: 30, writeSizeBytes: 65536, seed: 22 },
          },
          {
            name: "archive",
            guestId: "centos7_64Guest",
            annotation: "",
            powerState: "poweredOff",
            hardwareVersion: hw[esxiVersion],
            memoryMB: 1024,
            numCpus: 1,
            disks: [{ slot: "scsi0:0", sizeBytes: 192 * MIB, provisioning: "thin", dataRegions: regions([0, 16], [128, 16]) }],
            workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 33 },
          },
        ],
      },
    ],
  };
  return parseSimulatorConfig(json, "defaultSimulatorConfig");
}
