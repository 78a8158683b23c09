import { test } from "node:test";
import assert from "node:assert/strict";
import { hopShares, formatShares } from "./hops.mjs";

const at = (ms) => ({ ms });
const measured = {
  health: at(0.4),
  refusal: at(0.44),
  asked: at(0.5),
  // The hold 0.46 and its giving up 0.3 above the refusal.
  readLost: at(1.2),
  checked: at(2.0),
  unabandoned: at(1.7),
  unwritten: at(2.2),
  booked: at(3.6),
  afterwards: at(0.4),
};

test("each hop is the difference of the phases that differ by it, and they add up to the booking", () => {
  const s = hopShares(measured);
  const ms = s.rows.map((r) => Math.round(r.ms * 1000) / 1000);
  assert.deepEqual(ms, [0.44, 0.46, 0.8, 0.5, 1.4]);
  assert.ok(Math.abs(s.abandon - 0.3) < 1e-9);
  assert.ok(Math.abs(s.asked - 0.06) < 1e-9);
  const sum = s.rows.reduce((a, r) => a + r.ms, 0);
  assert.ok(Math.abs(sum - measured.booked.ms) < 1e-9);
  assert.ok(Math.abs(s.bookingX - 9) < 1e-9);
  assert.ok(Math.abs(s.allToldX - 10) < 1e-9);
  assert.match(formatShares(s), /booking 3\.600 ms = 9\.00x health/);
});
