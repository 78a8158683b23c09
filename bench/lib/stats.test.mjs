import { test } from "node:test";
import assert from "node:assert/strict";
import { median } from "./stats.mjs";

test("the median is the middle value, or the mean of the two middle ones, whatever the order", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5]), 5);
  const xs = [9, 7, 8];
  median(xs);
  assert.deepEqual(xs, [9, 7, 8]); // its input is left as it was
});
