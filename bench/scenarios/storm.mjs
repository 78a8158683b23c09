// The booking storm (issue 6): N identified people (default 2,000; --people or
// BENCH_STORM_PEOPLE) submit at once, one booking each, for one period of capacity 100 at one
// hall (sz-futian, normally 3 days ahead): exactly 100 are booked (201) and N-100 are told 409
// SLOT_FULL, and afterwards the hall's inventory object and D1 both count 100. The load is the
// N submits over 50 connections (BENCH_STORM_CONNECTIONS), every one answered. Target: req/s
// at least 50 % of the health baseline. See lib/storm.mjs.
import { stormScenario } from "../lib/storm.mjs";

export default stormScenario({
  name: "storm",
  description: "POST /v1/bookings, N people (2,000) for 1 period of capacity 100 at 1 hall, 50 connections: 100 x 201, N-100 x 409 SLOT_FULL",
  halls: () => ["sz-futian"],
  dateSlot: 2, // normally 3 days ahead
  periodId: "bench-storm",
  // Applicants of their own (an applicant holds one active booking per service): Shenzhen
  // Futian ID numbers, client addresses 198.18.x.y.
  people: { tag: "bench-storm", net: 0, region: "440304", seq: 21 },
  // The warm-up storm: another Shenzhen hall the same day, people of their own (198.20.x.y).
  warm: { hall: "sz-nanshan", people: { tag: "bench-storm-warm", net: 2, region: "440305", seq: 23 } },
});
