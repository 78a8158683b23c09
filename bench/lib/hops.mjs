// The booking path's storage hops, each priced by the difference between two probe phases
// (`bench/probe.mjs`) that differ by that hop alone. Each phase is workerd CPU per request:
//   refusal      a submit refused as full by the isolate: no hop (the isolate's own work)
//   asked        refused by the day's waiting room: one call to the inventory object that
//                writes nothing (an extra line, not a row: every hop below writes)
//   readLost     the record cannot be read (`x-dev-fault: lose-read`): the hold taken, and
//                given up
//   checked      someone else's applicant: the hold, the record read (with the rate-limit
//                counts), the hold given up
//   unabandoned  the same with the giving-up lost (`lose-abandon`)
//   unwritten    the write lost (`lose-write`): everything before the write, the answer built
//   booked       a booking
// The write and the confirmation are one row: a submit whose confirmation is lost sends its
// booking's message itself, which a booking does not, so no phase stops between the two.
//   afterwards   what workerd spent after the bookings until it was idle again (notices through
//                the queue, holds settled by the objects' alarms), per booking
// The rows add up to `booked` exactly; a row near zero is a hop the build does not make.

/** [{ hop, ms }] in the order a booking meets them, and the totals against health. */
export function hopShares(m) {
  const abandon = m.checked.ms - m.unabandoned.ms;
  const rows = [
    { hop: "the isolate: parse, token, window, answer", ms: m.refusal.ms },
    { hop: "hold (inventory object)", ms: m.readLost.ms - abandon - m.refusal.ms },
    { hop: "record read, rate-limit counts", ms: m.checked.ms - m.readLost.ms },
    { hop: "the answer built (view, QR signature)", ms: m.unwritten.ms - m.unabandoned.ms },
    { hop: "booking written, place confirmed (+ message)", ms: m.booked.ms - m.unwritten.ms },
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
