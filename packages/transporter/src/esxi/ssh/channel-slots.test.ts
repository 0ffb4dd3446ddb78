import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ChannelSlots } from "./channel-slots.js";

test("no more than the limit at once, waiters served in order, a double release counts once", async () => {
  const slots = new ChannelSlots(2);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const order: string[] = [];
  const c = slots.acquire().then((release) => (order.push("c"), release));
  const d = slots.acquire().then((release) => (order.push("d"), release));
  await Promise.resolve();
  assert.deepEqual(order, []);
  a();
  a();
  const releaseC = await c;
  assert.deepEqual(order, ["c"]);
  assert.equal(slots.inUse, 2);
  b();
  (await d)();
  releaseC();
  assert.equal(slots.inUse, 0);
  assert.throws(() => new ChannelSlots(0), RangeError);
});
