// The baseline: the cheapest request the stack serves (route, envelope, one log line; no D1,
// KV or Durable Object). Every other scenario is reported as a ratio to this, measured in the
// same run on the same machine, because absolute loopback numbers move with whatever else the
// two cores are doing.
import { steadyRun, allSucceeded } from "../lib/steady.mjs";

export default {
  name: "health",
  description: "GET /v1/health/catalog, 20 connections (baseline)",
  baseline: true,
  setup: (stack) => ({ url: `${stack.url}/v1/health/catalog`, connections: 20 }),
  run: steadyRun,
  check: allSucceeded,
};
