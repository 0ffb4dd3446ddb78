import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { InvalidInputError } from "./invalid-input-error.js";
import { parseTaskId } from "./ids.js";
import { ManualClock } from "./manual-clock.js";

describe("ids", () => {
  it("accepts a conservative alphabet", () => {
    assert.equal(parseTaskId("run-42.vm_7"), "run-42.vm_7");
  });

  for (const bad of ["", "-leading-dash", "has space", "semi;colon", "x".repeat(129), "ünïcode"]) {
    it(`rejects ${JSON.stringify(bad)} naming the field`, () => {
      assert.throws(() => parseTaskId(bad), (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.equal(error.field, "task id");
        assert.match(error.message, /^task id: /);
        return true;
      });
    });
  }
});

describe("ManualClock", () => {
  it("moves only when advanced", () => {
    const clock = new ManualClock(new Date("2026-03-01T12:00:00Z"));
    assert.equal(clock.now().toISOString(), "2026-03-01T12:00:00.000Z");
    clock.advance(1500);
    assert.equal(clock.now().toISOString(), "2026-03-01T12:00:01.500Z");
    assert.throws(() => clock.advance(-1), RangeError);
  });
});
