// The slot page, what everyone refreshes in a booking wave: one hall's booking window (7 days x
// 6 periods, each day's remaining from its inventory object). Served from the per-isolate page
// cache (at most 750 ms old, rebuilt about every 250 ms under load), so this measures what the
// cache leaves: routing, the catalog snapshot, and sending a ~5 KB page. Target: at least 70 %
// of the health baseline's throughput.
import { steadyRun, allSucceeded } from "../lib/steady.mjs";

export default {
  name: "slots",
  description: "GET /v1/offices/sz-futian/slots (booking window, cached <= 750 ms), 20 connections",
  setup: (stack) => ({ url: `${stack.url}/v1/offices/sz-futian/slots`, connections: 20 }),
  run: steadyRun,
  check: allSucceeded,
};
