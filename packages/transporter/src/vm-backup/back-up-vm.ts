/**
 * The backup of one VM on an ESXi host into a repository (docs/adr/0024), in this order:
 *
 * 1. find the VM by name (getallvms) and read it (power state, snapshots, `.vmx`, descriptor chains, the
 *    `.vmsd`'s consolidation flag); a VM whose disks need consolidating is read again after our snapshots of
 *    crashed runs are removed, which may be what it needs consolidating for;
 * 2. decide what is captured or refuse with every reason (planVmBackup), read the config files — the `.vmx`
 *    before the snapshot, so its disks name the base disks — and find the previous point (unless `full`);
 *    a running VM is refused when a datastore it is on has too little free for its snapshot (datastore-room.ts);
 * 3. take the run's snapshot (withRunSnapshot: orphans of crashed runs removed first, the user's snapshots
 *    refuse the run unless allowed, the snapshot removed in every outcome);
 * 4. back up each disk's frozen base through the pipeline from an EsxiDiskSource: the host fingerprints it
 *    (the previous point's kind, else DEFAULT_HOST_FINGERPRINTS) and only changed, non-zero blocks cross;
 *    meanwhile a running VM's datastores are watched, and the run stopped before they fill up
 *    (datastore-room-watch.ts);
 * 5. once every disk is read, remove the snapshot while the repository makes the point durable, and publish
 *    the point only if the snapshot was still there to remove (docs/adr/0040).
 *
 * Nothing is written to the repository before the snapshot is taken, and a failure after that abandons the
 * point (the pipeline's writer), so the repository holds the VM's point whole or not at all.
 */
import { posix } from "node:path";
import { FINGERPRINT_ALGORITHMS } from "@esxbackup/domain";
import type { ChangeFingerprints, Clock, PointId, Scheduler, VmConfigFile } from "@esxbackup/domain";
import type { Repository } from "@esxbackup/repository";
import { backUpPoint } from "../backup/back-up-point.js";
import type { PointDiskRequest } from "../backup/back-up-point.js";
import type { BackupCounters } from "../backup/backup-counters.js";
import { readsOnce } from "../backup/plan-backup.js";
import type { ChangeSource } from "../backup/plan-backup.js";
import { EsxiDiskSource } from "../esxi/disk/esxi-disk-source.js";
import { readingFor } from "../esxi/disk/host-disk-reader.js";
import type { DiskReadMechanism } from "../esxi/disk/host-disk-reader.js";
import { DEFAULT_HOST_FINGERPRINTS, chooseHashingMethod, hashingCapabilitiesOf } from "../esxi/hashing/hashing-method.js";
import type { HashingMethod } from "../esxi/hashing/hashing-method.js";
import { chooseHostFingerprintKind } from "../esxi/hashing/host-fingerprint-kind.js";
import { HostFileMemo, hostFileExists } from "../esxi/inventory/read-host-text-file.js";
import { readVmInventory } from "../esxi/inventory/read-vm-inventory.js";
import { listHostVms } from "../esxi/inventory/list-host-vms.js";
import { parseVmdkDescriptor } from "../esxi/parsers/parse-vmdk-descriptor.js";
import type { VmdkDescriptor } from "../esxi/parsers/parse-vmdk-descriptor.js";
import { snapshotFolderOf } from "../esxi/inventory/snapshot-folder.js";
import { parseVmx } from "../esxi/parsers/parse-vmx.js";
import { readDatastores } from "../esxi/probe/host-capabilities.js";
import type { HostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { MountedFilesystem } from "../esxi/probe/parse-filesystem-list.js";
import { removeOrphanRunSnapshots, withRunSnapshot } from "../esxi/snapshot/with-run-snapshot.js";
import type { RunSnapshotEvent } from "../esxi/snapshot/with-run-snapshot.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { DEFAULT_DATASTORE_FREE_MINIMUM, checksDatastoreRoom, datastoreShortfalls, describeShortfall, minimumDuringRun } from "./datastore-room.js";
import type { DatastoreFreeMinimum } from "./datastore-room.js";
import { DATASTORE_WATCH_INTERVAL_MS, watchDatastoreRoom } from "./datastore-room-watch.js";
import type { DatastoreRoomWatch } from "./datastore-room-watch.js";
import { findPreviousPoint } from "./find-previous-point.js";
import type { PreviousPoint } from "./find-previous-point.js";
import { planVmBackup } from "./plan-vm-backup.js";
import { pointSummariesNewestFirst } from "./point-summaries.js";
import type { PlannedDisk } from "./plan-vm-backup.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import type { TransferRateLimiter } from "../transfer/transfer-rate-limiter.js";
import { DatastoreFillingError, DatastoreSpaceRefusedError, VmBackupRefusedError, VmNotFoundError } from "./vm-backup-errors.js";

export interface BackUpVmRequest {
  session: Pick<EsxiSshSession, "exec" | "execStream" | "label">;
  /** The host as the point records it: `host` or `host:port` as given. */
  hostLabel: string;
  vmName: string;
  repository: Repository;
  /** What the probe found: how the host can hash and read its disks. */
  capabilities: Pick<HostCapabilities, "python" | "hashApplets" | "tools">;
  /** Names the run's snapshot (`esxbackup-run-<runId>`). */
  runId: string;
  /** Ignore earlier points: every disk is read (the repository still stores only new chunks). */
  full?: boolean;
  quiesce?: boolean;
  /** With `quiesce`: where the host refuses a quiesced snapshot (no VMware Tools), take it unquiesced and say so. */
  quiesceFallback?: boolean;
  allowUserSnapshots?: boolean;
  /**
   * The free space a running VM's datastores must keep for its snapshot to grow into, or the VM is refused
   * before its snapshot is taken (datastore-room.ts; default DEFAULT_DATASTORE_FREE_MINIMUM, `{ bytes: 0 }`
   * checks nothing).
   */
  minDatastoreFree?: DatastoreFreeMinimum;
  /**
   * How often a running VM's datastores are read again while its snapshot is open (default
   * DATASTORE_WATCH_INTERVAL_MS); under half the minimum the backup stops and removes its snapshot.
   */
  datastoreWatchIntervalMs?: number;
  tags?: string[];
  /** Make new chunks durable every so many bytes stored (the pipeline's default otherwise): less to redo after a crash. */
  flushEveryBytes?: number;
  /** Host readers and hash commands per disk (default DEFAULT_DISK_READ_CHANNELS). */
  channels?: number;
  signal: AbortSignal;
  clock: Clock;
  /** Times the waits while the host is busy with another task on the VM (default: real timers). */
  scheduler?: Scheduler;
  progress: ProgressReporter;
  /**
   * The run's bandwidth limit on the disks' data read from the host (docs/adr/0032): one limiter for every
   * channel, disk and VM of the run. Absent: no limit.
   */
  rateLimiter?: TransferRateLimiter;
  /**
   * The run's limit on what the host reads from its datastore (docs/adr/0035): the hash pass and the data
   * reads of every channel, disk and VM of the run draw on this one limiter. Absent: no limit.
   */
  hostReadLimiter?: TransferRateLimiter;
  /** Disks of the VM backed up at once (default the pipeline's). */
  diskConcurrency?: number;
  onEvent?: (event: VmBackupEvent) => void;
}

export type VmBackupEvent =
  | { type: "previous-point"; vm: string; previous: PreviousPoint }
  /** `readOnce`: a first backup of the disk whose host reader fingerprints what it sends (docs/adr/0038). */
  | { type: "hashing"; vm: string; disk: string; method: HashingMethod["kind"]; reading: DiskReadMechanism["kind"]; readOnce: boolean }
  | { type: "read-retry"; vm: string; disk: string; reason: string }
  /** The host's datastores could not be read or understood: the VM is backed up without the space checks (docs/adr/0039). */
  | { type: "datastore-room-unknown"; vm: string; reason: string }
  | { type: "snapshot"; vm: string; event: RunSnapshotEvent };

export interface VmBackupResult {
  vm: string;
  point: PointId;
  previous: PreviousPoint;
  /** The run's snapshot was quiesced (asked for, the VM running, and the host did it). */
  quiesced: boolean;
  /**
   * What the backup did not do as asked, though it made the point: a quiesced snapshot the host refused
   * (taken unquiesced), space checks the host's volume list did not allow. Each also came as an event.
   */
  warnings: string[];
  seconds: number;
  counters: BackupCounters;
  disks: { key: string; name: string; counters: BackupCounters; changed?: { ranges: number; bytes: number } }[];
}

export async function backUpVm(request: BackUpVmRequest): Promise<VmBackupResult> {
  const { session, signal, vmName } = request;
  const startedMs = request.clock.now().getTime();
  const rows = (await listHostVms(session, { signal })).vms.filter((row) => row.name === vmName);
  const row = rows[0];
  if (row === undefined || rows.length > 1) throw new VmNotFoundError(session.label, vmName, rows.map((r) => r.vmid));
  let files = new HostFileMemo(session);
  let vm = await readVmInventory(session, row, { signal, files });
  // Deltas that need consolidating may be those of our own snapshot, left by a crashed run: the run removes
  // such snapshots anyway, so it does so first here, and decides on the VM as it is without them.
  if (vm.disks.some((disk) => disk.refusal?.reason === "consolidation-needed")) {
    const onEvent = (event: RunSnapshotEvent): void => request.onEvent?.({ type: "snapshot", vm: vmName, event });
    const removed = await removeOrphanRunSnapshots(session, { vmid: Number(vm.vmid), name: vm.name }, { runId: request.runId, signal, onEvent, ...(request.scheduler === undefined ? {} : { scheduler: request.scheduler }) });
    if (removed.length > 0) {
      files = new HostFileMemo(session);
      vm = await readVmInventory(session, row, { signal, files });
    }
  }

  // Before the snapshot: the .vmx then names the base disks, as restore expects. The inventory has read them
  // already (the memo keeps its bytes); any it did not are read at once, each over its own channel.
  const [vmxBytes, descriptorReads] = await Promise.all([
    files.bytes(vm.vmxPath, `the .vmx of VM ${JSON.stringify(vmName)}`, { signal }),
    Promise.all(
      vm.disks
        .filter((d) => d.refusal === undefined)
        .map(async (disk) => ({ disk, bytes: await files.bytes(disk.baseDescriptorPath, `the base descriptor of ${disk.slot} of VM ${JSON.stringify(vmName)}`, { signal }) })),
    ),
  ]);
  const vmx = parseVmx(vmxBytes, vm.vmxPath);
  const baseDescriptors = new Map<string, VmdkDescriptor>();
  const descriptorBytes = new Map<string, Buffer>();
  for (const { disk, bytes } of descriptorReads) {
    descriptorBytes.set(disk.baseDescriptorPath, bytes);
    // Its bytes, decoded in the set the descriptor names, as the inventory read them.
    baseDescriptors.set(disk.baseDescriptorPath, parseVmdkDescriptor(bytes, disk.baseDescriptorPath));
  }
  const plan = planVmBackup({ vm, vmx, baseDescriptors });
  if (plan.kind === "refused") throw new VmBackupRefusedError(vmName, plan.reasons);

  const disks = plan.disks;

  // The other config files, and the previous point from the repository, meanwhile.
  const readConfigFile = async (file: { path: string; optional: boolean }): Promise<VmConfigFile | undefined> => {
    if (file.optional && !(await hostFileExists(session, file.path, { signal }))) return undefined;
    return { name: posix.basename(file.path), content: await files.bytes(file.path, `a config file of VM ${JSON.stringify(vmName)}`, { signal }) };
  };
  const warnings: string[] = [];
  const minDatastoreFree = request.minDatastoreFree ?? DEFAULT_DATASTORE_FREE_MINIMUM;
  const checksRoom = checksDatastoreRoom(vm.powerState, minDatastoreFree);
  // The space checks guard the host; a host whose volume list cannot be read or understood is still backed
  // up, without them, and the run says so (an abort is not swallowed).
  const readDatastoresForChecks = async (): Promise<MountedFilesystem[] | undefined> => {
    try {
      return await readDatastores(session, { signal });
    } catch (error) {
      signal.throwIfAborted();
      const reason = error instanceof Error ? error.message : String(error);
      warnings.push(`the free space of its datastores could not be read (${reason}): backed up without the space checks`);
      request.onEvent?.({ type: "datastore-room-unknown", vm: vmName, reason });
      return undefined;
    }
  };
  const [otherConfigFiles, previous, datastores] = await Promise.all([
    Promise.all(plan.configFiles.slice(1).map(readConfigFile)),
    request.full === true ? undefined : findPreviousPoint(pointSummariesNewestFirst(request.repository), { host: request.hostLabel, vm: plan.vm }),
    checksRoom ? readDatastoresForChecks() : undefined,
  ]);
  // The run snapshot's deltas grow in the VM's snapshot folder (its workingDir, which may be on another datastore).
  const vmPaths = [vm.vmxPath, snapshotFolderOf(vmx, vm.vmxPath), ...disks.map((disk) => disk.extentPath)];
  const shortfalls = datastores === undefined ? [] : datastoreShortfalls({ powerState: vm.powerState, paths: vmPaths, filesystems: datastores, minimum: minDatastoreFree });
  if (shortfalls.length > 0) throw new DatastoreSpaceRefusedError(vmName, shortfalls.map((shortfall) => describeShortfall(shortfall, minDatastoreFree)));
  const configFiles: VmConfigFile[] = [{ name: posix.basename(vm.vmxPath), content: vmxBytes }];
  for (const file of otherConfigFiles) if (file !== undefined) configFiles.push(file);
  for (const disk of disks) configFiles.push({ name: disk.name, content: descriptorBytes.get(disk.baseDescriptorPath) as Buffer });

  request.onEvent?.({ type: "previous-point", vm: vmName, previous });
  const previousFingerprints = previous === undefined ? undefined : await previousDiskFingerprints(request.repository, previous.pointId);

  const capabilities = request.capabilities;
  const hashingCapabilities = hashingCapabilitiesOf(capabilities);
  // A host that could not read the disks is refused here, before the snapshot (the choice per disk below
  // differs only in the algorithm, never in whether the host can read).
  readingFor(chooseHashingMethod(hashingCapabilities, DEFAULT_HOST_FINGERPRINTS.algorithm), hashingCapabilities);

  // The run stops on the caller's signal, or when the datastore watch finds a datastore filling up while the
  // snapshot is open (docs/adr/0039); either way the snapshot is removed on the way out.
  const stopRun = new AbortController();
  const runSignal = AbortSignal.any([signal, stopRun.signal]);
  const minimumWhileOpen = minimumDuringRun(minDatastoreFree);
  let watch: DatastoreRoomWatch | undefined;
  let filling: DatastoreFillingError | undefined;

  // Progress: the snapshot phase until the snapshot exists, the cleanup phase from the end of the work until it is gone.
  let phase = request.progress.start({ phase: "snapshot", vm: vmName });
  try {
    return await withRunSnapshot(
      session,
      { vmid: Number(vm.vmid), name: vm.name },
      {
        runId: request.runId,
        quiesce: request.quiesce ?? false,
        quiesceFallback: request.quiesceFallback ?? false,
        allowUserSnapshots: request.allowUserSnapshots ?? false,
        signal: runSignal,
        ...(request.scheduler === undefined ? {} : { scheduler: request.scheduler }),
        onEvent: (event) => {
          if (event.type === "quiesce-failed") warnings.push(`the host refused a quiesced snapshot (${event.reason}): taken without quiescing, the point is crash-consistent`);
          request.onEvent?.({ type: "snapshot", vm: vmName, event });
        },
      },
      async (run) => {
        phase.stop();
        if (datastores !== undefined) {
          watch = watchDatastoreRoom({
            read: () => readDatastores(session, { signal: runSignal }),
            judge: (filesystems) => datastoreShortfalls({ powerState: vm.powerState, paths: vmPaths, filesystems, minimum: minimumWhileOpen }),
            intervalMs: request.datastoreWatchIntervalMs ?? DATASTORE_WATCH_INTERVAL_MS,
            onShortfall: (found) => {
              filling = new DatastoreFillingError(vmName, found.map((shortfall) => describeShortfall(shortfall, minimumWhileOpen, "while the snapshot is open")));
              stopRun.abort(filling);
            },
          });
        }
        try {
          const requests: PointDiskRequest[] = disks.map((disk) => {
            const previousKind = previousFingerprints?.get(disk.key);
            const kind = chooseHostFingerprintKind(disk.sizeBytes, previousKind);
            const hashing = chooseHashingMethod(hashingCapabilities, kind.algorithm, { blockSizeBytes: kind.blockSizeBytes });
            const reading = readingFor(hashing, hashingCapabilities);
            const source = sourceFor(request, disk, hashing, reading, runSignal);
            const fingerprints = { algorithm: kind.algorithm, blockSizeBytes: kind.blockSizeBytes, digestLengthBytes: FINGERPRINT_ALGORITHMS[kind.algorithm] };
            const sameKind = previousKind !== undefined && previousKind.algorithm === kind.algorithm && previousKind.blockSizeBytes === kind.blockSizeBytes;
            const firstBackup = !(previousFingerprints?.has(disk.key) ?? false);
            // Hashed on the host: compared with the previous point's fingerprints of the same kind, or (a first
            // backup of the disk) to skip its zero blocks. Not hashable there, or nothing comparable: read whole,
            // hashed here, unchanged chunks deduplicated.
            const byFingerprints = hashing.kind !== "full-read" && (firstBackup || sameKind);
            const changes: ChangeSource = byFingerprints ? { kind: "fingerprints" } : { kind: "all" };
            // What the planner will decide for this disk (planPointDisk), said before it is read.
            const readOnce = readsOnce({
              changes,
              requested: fingerprints,
              sourceFingerprintsWhileReading: source.fingerprintsWhileReading(fingerprints),
              ...(firstBackup || previous === undefined ? {} : { previousPointId: previous.pointId }),
            });
            request.onEvent?.({ type: "hashing", vm: vmName, disk: disk.key, method: hashing.kind, reading: reading.kind, readOnce });
            return {
              key: disk.key,
              source,
              changes,
              fingerprints,
              ...(disk.geometry === undefined ? {} : { geometry: disk.geometry }),
              ...(disk.adapterType === undefined ? {} : { adapterType: disk.adapterType }),
            };
          });
          const result = await backUpPoint({
            repository: request.repository,
            signal: runSignal,
            clock: request.clock,
            progress: request.progress,
            point: {
              vm: plan.vm,
              host: request.hostLabel,
              configFiles,
              tags: request.tags ?? [],
              ...(previous === undefined ? {} : { previousPointId: previous.pointId }),
              ...(request.flushEveryBytes === undefined ? {} : { flushEveryBytes: request.flushEveryBytes }),
            },
            disks: requests,
            ...(request.diskConcurrency === undefined ? {} : { diskConcurrency: request.diskConcurrency }),
            // Every disk read: the snapshot goes while the repository makes the point durable, and the point
            // is kept only if the snapshot was still ours (nobody removed it under the reads).
            readsDone: () => {
              watch?.stop();
              return run.release();
            },
          });
          return {
            vm: vmName,
            point: result.point,
            previous,
            quiesced: run.quiesced,
            warnings,
            seconds: (request.clock.now().getTime() - startedMs) / 1000,
            counters: result.counters,
            disks: result.disks.map((disk, index) => ({ key: disk.key, name: disks[index]?.name ?? "", counters: disk.counters, ...(disk.changed === undefined ? {} : { changed: disk.changed }) })),
          };
        } finally {
          watch?.stop();
          phase = request.progress.start({ phase: "cleanup", vm: vmName });
        }
      },
    );
  } catch (error) {
    // Stopped by the watch: that is the reason, whatever the pipeline made of the abort.
    throw filling ?? error;
  } finally {
    watch?.stop();
    phase.stop();
  }
}

function sourceFor(request: BackUpVmRequest, disk: PlannedDisk, hashing: HashingMethod, reading: DiskReadMechanism, signal: AbortSignal): EsxiDiskSource {
  const { rateLimiter, hostReadLimiter } = request;
  const limited = rateLimiter !== undefined || hostReadLimiter !== undefined;
  return new EsxiDiskSource({
    session: request.session,
    path: disk.extentPath,
    name: disk.name,
    sizeBytes: disk.sizeBytes,
    hashing,
    reading,
    ...(request.channels === undefined ? {} : { channels: request.channels }),
    onRetry: (reason) => request.onEvent?.({ type: "read-retry", vm: request.vmName, disk: disk.key, reason }),
    ...(limited
      ? { limits: { ...(rateLimiter === undefined ? {} : { wire: rateLimiter }), ...(hostReadLimiter === undefined ? {} : { hostRead: hostReadLimiter }), signal } }
      : {}),
  });
}

/**
 * The previous point's disks by key, each with its fingerprint kind (undefined: it has none). Only the kind:
 * the pipeline reads the digests when it compares.
 */
async function previousDiskFingerprints(repository: Repository, pointId: PointId): Promise<Map<string, ChangeFingerprints | undefined>> {
  const point = await repository.readPoint(pointId);
  return new Map(point.disks.map((disk) => [disk.key, disk.fingerprints]));
}

