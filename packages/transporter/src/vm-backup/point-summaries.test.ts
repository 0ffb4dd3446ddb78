/**
 * The previous-point search against a real repository on disk: it reads the manifests newest first and
 * stops at the VM's last point, so its cost is the points made since then, not the repository's history.
 * Manifest reads are counted by a store that wraps the real one.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import { LocalDirectoryBlobStore, PointWriter, Repository } from "@esxbackup/repository";
import { findPreviousPoint } from "./find-previous-point.js";
import { POINT_READ_AHEAD, pointSummariesNewestFirst } from "./point-summaries.js";

const VMS = 5;
const ROUNDS = 8;

/** The real store, counting reads of point manifests. */
class ManifestReadCountingStore extends LocalDirectoryBlobStore {
  manifestReads = 0;

  override read(key: string): Promise<Buffer> {
    if (/^points\/.+\.manifest$/.test(key)) this.manifestReads += 1;
    return super.read(key);
  }
}

const vm = (n: number): { name: string; id: string; uuid: string } => ({ name: `vm-${n}`, id: String(n), uuid: `42 00 ${n}` });

describe("pointSummariesNewestFirst with findPreviousPoint", () => {
  let work: string;
  let repository: Repository;
  let store: ManifestReadCountingStore;
  /** Each VM's points, oldest first. */
  const pointsOf = new Map<number, PointId[]>();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "esxbackup-point-summaries-"));
    store = new ManifestReadCountingStore(join(work, "repo"));
    let ms = Date.UTC(2026, 0, 1);
    // A second apart: the ids (which begin with the time) follow the order written.
    repository = await Repository.init(store, { chunkSizeBytes: 64 * 1024, threads: 0, clock: { now: () => new Date((ms += 1000)) } });
    // Round after round, every VM once: VM n's last point is the (VMS - n)th newest.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let n = 0; n < VMS; n += 1) {
        const writer = await PointWriter.begin(repository, { vm: vm(n), host: "esx1" });
        const point = await writer.commit();
        pointsOf.set(n, [...(pointsOf.get(n) ?? []), point.pointId]);
      }
    }
  });
  after(async () => {
    await repository.close();
    await rm(work, { recursive: true, force: true });
  });

  it("stops reading manifests at the VM's last point", async () => {
    for (let n = 0; n < VMS; n += 1) {
      store.manifestReads = 0;
      const previous = await findPreviousPoint(pointSummariesNewestFirst(repository), { host: "esx1", vm: vm(n) });
      assert.deepEqual(previous, { pointId: pointsOf.get(n)?.at(-1), matchedBy: "uuid" });
      const position = VMS - n;
      assert.ok(store.manifestReads <= position + POINT_READ_AHEAD, `vm-${n}: ${store.manifestReads} manifests read for its point ${position} from the newest`);
    }
    assert.ok(VMS * ROUNDS > VMS + POINT_READ_AHEAD, "the repository holds more points than a stopped search reads");
  });

  it("reads every manifest when the VM has no point yet, and finds none", async () => {
    store.manifestReads = 0;
    assert.equal(await findPreviousPoint(pointSummariesNewestFirst(repository), { host: "esx1", vm: vm(99) }), undefined);
    assert.equal(store.manifestReads, VMS * ROUNDS);
  });

  it("skips a point pruned between the listing and its read", async () => {
    const newest = pointsOf.get(VMS - 1)?.at(-1) as PointId;
    const pruning: Pick<Repository, "listPointIds" | "readPoint"> = {
      listPointIds: () => repository.listPointIds(),
      readPoint: async (pointId) => {
        if (pointId === newest) await repository.store.remove(`points/${pointId}.manifest`);
        return repository.readPoint(pointId);
      },
    };
    const previous = await findPreviousPoint(pointSummariesNewestFirst(pruning), { host: "esx1", vm: vm(VMS - 1) });
    assert.deepEqual(previous, { pointId: pointsOf.get(VMS - 1)?.at(-2), matchedBy: "uuid" });
  });
});
