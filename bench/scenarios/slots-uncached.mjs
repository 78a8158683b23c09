// The same slot page with its cache bypassed (the dev clock header makes each request build its
// own page): one D1 read of the schedule and one inventory-object call per open day, every
// request. Not a target; it shows what the cache in `slots` saves.
import { steadyRun, allSucceeded } from "../lib/steady.mjs";

function shanghaiNow() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19) + "+08:00";
}

export default {
  name: "slots-uncached",
  description: "GET /v1/offices/sz-futian/slots with x-dev-now (no page cache), 20 connections",
  setup: (stack) => ({
    url: `${stack.url}/v1/offices/sz-futian/slots`,
    headers: { "x-dev-now": shanghaiNow() },
    connections: 20,
  }),
  run: steadyRun,
  check: allSucceeded,
};
