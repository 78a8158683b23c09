// The booking path's storage hops, each priced by the difference between two probe phases
// (`bench/probe.mjs`) that differ by that hop alone. Each phase is workerd CPU per request:
//   refusal      a submit refused as full by the isolate: no hop (the isolate's own work)
//   asked        refused by the day's waiting room: one call to the inventory object that
//                writes nothing (an extra line, not a row: every hop below writes)
//   userLimited  one user over the per-user limit: the hold taken, the user's counter, the hold
//                given up
//   limited      refused by the per-client limit (mixed with submits that passed it, which are
//                refused as `checked` is and priced at its figure; so is `userLimited`): the hold,
//                both counters, the hold given up
//   checked      someone else's applicant: the hold, the counters, the record read, the hold
//                given up
//   unabandoned  the same with the giving-up lost (`x-dev-fault: lose-abandon`)
//   unwritten    the write lost (`lose-write`): everything before the write, the answer built
//   unconfirmed  the confirmation lost (`lose-confirm`): everything but the confirmation
//   booked       a booking
//   afterwards   what workerd spent after the bookings until it was idle again (notices through
//                the queue, holds settled by the objects' alarms), per booking
// The rows add up to `booked` exactly; a row near zero is a hop the build does not make.

const LIMITED = "429 RATE_LIMITED";

/** ms per request of the limited submits alone, taking the others in the phase at `checked`'s. */
export function limitedAlone(limited, checked) {
  const codes = limited.codes ?? {};
  const refused = codes[LIMITED] ?? 0;
  if (refused === 0) throw new Error(`the limited phase had no ${LIMITED}: ${JSON.stringify(codes)}`);
  const total = Object.values(codes).reduce((a, b) => a + b, 0);
  return (limited.ms * total - checked.ms * (total - refused)) / refused;
}

/** [{ hop, ms }] in the order a booking meets them, and the totals against health. */
export function hopShares(m) {
  const abandon = m.checked.ms - m.unabandoned.ms;
  const limited = limitedAlone(m.limited, m.checked);
  const userLimited = limitedAlone(m.userLimited, m.checked);
  const counter = limited - userLimited;
  const rows = [
    { hop: "the isolate: parse, token, window, answer", ms: m.refusal.ms },
    { hop: "hold (inventory object)", ms: userLimited - counter - abandon - m.refusal.ms },
    { hop: "rate-limit counters (two)", ms: 2 * counter },
    { hop: "record read (the checks)", ms: m.checked.ms - limited },
    { hop: "the answer built (view, QR signature)", ms: m.unwritten.ms - m.unabandoned.ms },
    { hop: "booking written, notice queued", ms: m.unconfirmed.ms - m.unwritten.ms },
    { hop: "confirmation (inventory object)", ms: m.booked.ms - m.unconfirmed.ms },
  ];
  const health = m.health.ms;
  const allTold = m.booked.ms + (m.afterwards?.ms ?? 0);
  return {
    rows,
    abandon,
    asked: m.asked ? m.asked.ms - m.refusal.ms : null,
    health,
    booking: m.booked.ms,
    afterwards: m.afterwards?.ms ?? 0,
    allTold,
    bookingX: m.booked.ms / health,
    allToldX: allTold / health,
    refusalX: m.refusal.ms / health,
  };
}

const f3 = (x) => x.toFixed(3);
const pct = (x) => `${Math.round(x * 100)}%`.padStart(4);

/** The table the probe prints. */
export function formatShares(s) {
  const lines = ["hop (workerd ms per booking; share of the booking)"];
  for (const r of s.rows) lines.push(`  ${r.hop.padEnd(44)} ${f3(r.ms).padStart(7)}  ${pct(r.ms / s.booking)}`);
  lines.push(`  ${"(giving a hold up, when a submit is refused)".padEnd(44)} ${f3(s.abandon).padStart(7)}`);
  if (s.asked !== null) lines.push(`  ${"(an object call that writes nothing)".padEnd(44)} ${f3(s.asked).padStart(7)}`);
  lines.push(`booking ${f3(s.booking)} ms = ${s.bookingX.toFixed(2)}x health (${f3(s.health)} ms)`);
  lines.push(`after the bookings ${f3(s.afterwards)} ms; all told ${f3(s.allTold)} ms = ${s.allToldX.toFixed(2)}x health`);
  lines.push(`refusal as full ${s.refusalX.toFixed(2)}x health`);
  return lines.join("\n");
}
