// The city wave's pure parts: the city's shape and the lottery-order check.
//   node_modules/.bin/node --test bench/lib/*.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { cityOf, hasRoom, HALLS, lotteryProblems, PERIODS, seatOf } from "./city-wave.mjs";

test("the city: 45 % of the people in places, every hall's day the same (± 1), every period wanted by more than it holds", () => {
  for (const [people, places, perPeriod] of [
    [2_000, 900, [3]],
    [5_000, 2_250, [7, 8]],
    [20_000, 9_000, [30]],
  ]) {
    const city = cityOf(people);
    assert.equal(city.places, places);
    const capacities = HALLS.flatMap((_, h) => PERIODS.map((_, p) => city.capacity(h, p)));
    assert.equal(capacities.reduce((a, b) => a + b, 0), places);
    assert.deepEqual([...new Set(capacities)].sort((a, b) => a - b), perPeriod);
    const halls = HALLS.map((_, h) => city.hallPlaces(h));
    assert.ok(Math.max(...halls) - Math.min(...halls) <= 1, `hall places ${Math.min(...halls)}..${Math.max(...halls)}`);
    const wanted = new Map();
    for (let i = 0; i < people; i++) {
      const { hall, period } = seatOf(i);
      wanted.set(`${hall}/${period}`, (wanted.get(`${hall}/${period}`) ?? 0) + 1);
    }
    assert.equal(wanted.size, HALLS.length * PERIODS.length);
    for (const [k, n] of wanted) {
      const [h, p] = k.split("/").map(Number);
      assert.ok(n > city.capacity(h, p), `${k}: ${n} people for ${city.capacity(h, p)} places`);
    }
  }
  assert.equal(HALLS.filter((_, h) => hasRoom(h)).length, 25);
});

/** A hall of `n` people, one period, positions drawn by `order` (index -> position), batches of `size`. */
function hall(n, size, order, outcome) {
  return Array.from({ length: n }, (_, i) => {
    const position = order(i);
    const batch = Math.ceil(position / size);
    const o = outcome(position, batch);
    return { hall: "h", period: "p", position, joinOrder: i, outcome: o, bookedIn: o === "booked" ? batch : null, waitedIn: batch > 1 ? [1] : [] };
  });
}
// A shuffle of 1..n that is far from arrival order (a fixed permutation: i * 7 mod n, n prime to 7).
const shuffled = (n) => (i) => ((i * 7) % n) + 1;

test("lottery: places in batch order, each in its turn, drawn at random: no problem", () => {
  // 40 people, batches of 10, 15 places: batch 1 all booked, batch 2 half, then refused.
  const entries = hall(40, 10, shuffled(40), (pos) => (pos <= 15 ? "booked" : "refused"));
  assert.deepEqual(lotteryProblems(entries, () => 10), []);
});

test("lottery: a later batch booked while an earlier one was refused", () => {
  const entries = hall(40, 10, shuffled(40), (pos) => (pos <= 15 || pos === 35 ? "booked" : "refused"));
  assert.match(lotteryProblems(entries, () => 10).join("\n"), /batch 4 booked while batch 2 was refused/);
});

test("lottery: booked before their turn, or told to wait in it", () => {
  const early = hall(40, 10, shuffled(40), (pos) => (pos <= 15 ? "booked" : "refused"));
  early.find((e) => e.position === 12).bookedIn = 1;
  assert.match(lotteryProblems(early, () => 10).join("\n"), /1 booked before their batch's turn/);
  const held = hall(40, 10, shuffled(40), (pos) => (pos <= 15 ? "booked" : "refused"));
  held.find((e) => e.position === 3).waitedIn = [1];
  assert.match(lotteryProblems(held, () => 10).join("\n"), /1 told to wait in their own batch's turn/);
});

test("lottery: positions that are not 1..n, and a draw in arrival order", () => {
  const twice = hall(40, 10, shuffled(40), (pos) => (pos <= 15 ? "booked" : "refused"));
  twice[5].position = twice[6].position;
  assert.match(lotteryProblems(twice, () => 10).join("\n"), /drew positions/);
  const arrival = hall(40, 10, (i) => i + 1, (pos) => (pos <= 15 ? "booked" : "refused"));
  assert.match(lotteryProblems(arrival, () => 10).join("\n"), /arrival order, not a lottery/);
});
