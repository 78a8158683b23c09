import { test } from "node:test";
import assert from "node:assert/strict";
import { median, medianPhases, runsOption } from "./stats.mjs";

test("the median is the middle value, or the mean of the two middle ones, whatever the order", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5]), 5);
  const xs = [9, 7, 8];
  median(xs);
  assert.deepEqual(xs, [9, 7, 8]); // its input is left as it was
});

const at = (ms) => ({ ms });

test("each phase's median over runs, the middle two's mean for an even count", () => {
  const runs = [{ a: at(3), b: at(1) }, { a: at(1), b: at(2) }, { a: at(2), b: at(9) }];
  assert.deepEqual(medianPhases(runs), { a: at(2), b: at(2) });
  assert.deepEqual(medianPhases(runs.slice(0, 2)), { a: at(2), b: at(1.5) });
});

test("--runs takes a whole number of at least 1, and is the fallback when absent", () => {
  assert.equal(runsOption(["node", "probe.mjs"], 3), 3);
  assert.equal(runsOption(["node", "probe.mjs", "--runs", "5"], 1), 5);
  for (const bad of [["--runs"], ["--runs", "0"], ["--runs", "2.5"], ["--runs", "x"]]) {
    assert.throws(() => runsOption(["node", "probe.mjs", ...bad], 1), /--runs takes a whole number/);
  }
});
