import { test } from "node:test";
import assert from "node:assert/strict";
import { hopShares, limitedAlone, formatShares } from "./hops.mjs";

const at = (ms, codes) => ({ ms, codes });
const measured = {
  health: at(0.4),
  refusal: at(0.44),
  asked: at(0.5),
  // Every submit limited, at 1.3 ms: hold 0.56, one counter 0.2, giving up 0.3 above the refusal.
  userLimited: at(1.3, { "429 RATE_LIMITED": 400 }),
  // 300 limited at 1.5 ms and 100 passed at `checked`'s 2.0.
  limited: at((300 * 1.5 + 100 * 2.0) / 400, { "429 RATE_LIMITED": 300, "404 NOT_FOUND": 100 }),
  checked: at(2.0),
  unabandoned: at(1.7),
  unwritten: at(2.2),
  unconfirmed: at(3.2),
  booked: at(3.6),
  afterwards: at(0.4),
};

test("the limited submits are priced apart from those that passed the limit", () => {
  assert.ok(Math.abs(limitedAlone(measured.limited, measured.checked) - 1.5) < 1e-9);
  assert.throws(() => limitedAlone(at(1, { "404 NOT_FOUND": 3 }), measured.checked), /no 429/);
});

test("each hop is the difference of the phases that differ by it, and they add up to the booking", () => {
  const s = hopShares(measured);
  const ms = Object.fromEntries(s.rows.map((r) => [r.hop, Math.round(r.ms * 1000) / 1000]));
  assert.deepEqual(Object.values(ms), [0.44, 0.36, 0.4, 0.5, 0.5, 1.0, 0.4]);
  assert.ok(Math.abs(s.abandon - 0.3) < 1e-9);
  assert.ok(Math.abs(s.asked - 0.06) < 1e-9);
  const sum = s.rows.reduce((a, r) => a + r.ms, 0);
  assert.ok(Math.abs(sum - measured.booked.ms) < 1e-9);
  assert.ok(Math.abs(s.bookingX - 9) < 1e-9);
  assert.ok(Math.abs(s.allToldX - 10) < 1e-9);
  assert.match(formatShares(s), /booking 3\.600 ms = 9\.00x health/);
});
