// The load generator: autocannon (pinned in package.json) driven programmatically, closed-loop,
// one request in flight per connection.
//
// What we take from autocannon and what we measure ourselves:
// - autocannon sends the requests, keeps the connections alive, stops after a duration or an
//   exact amount, and counts status codes, errors and timeouts.
// - Latency we record ourselves from its per-response event: its own histogram holds whole
//   milliseconds only and ignores non-2xx responses, while a health request here takes a few ms
//   and later scenarios (a booking storm) care about the latency of their 409s as much as of
//   their 201s. Every response, whatever its status, is in `latency`.
// - Throughput is responses / (last response - start), not autocannon's per-second average,
//   which rounds a run up to its next sampling tick.
import autocannon from "autocannon";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { cpuSnapshot, coresBetween } from "./cpu.mjs";

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/;

/**
 * Runs one load and resolves to its numbers.
 *
 *   url          target origin and default path (and query), e.g. `${stack.url}/v1/health/catalog`;
 *                must be a loopback address: this machine may send load nowhere else
 *   method       default "GET"
 *   headers      default request headers
 *   body         string | Buffer | plain object (sent as JSON with content-type set)
 *   connections  concurrent connections (default 10); each keeps one request in flight
 *   durationSec  run this long...
 *   amount       ...or send exactly this many requests (takes precedence over durationSec)
 *   request      optional (i) => ({ method?, path?, headers?, body? }): overrides for the i-th
 *                request sent, i = 0, 1, 2, ... across all connections, each i used once. Its
 *                headers are merged over `headers`. Use it for per-request tokens, idempotency
 *                keys and bodies. With `amount`, i runs 0..amount-1 (see `unanswered`).
 *   classify     optional (status, body, headers, i) => string | undefined: the response's key,
 *                tallied in `codes` (see `envelopeCode` for the contract's { code } envelope),
 *                with the latency of each key's responses in `latency_by_code`
 *   rate         optional requests per second over all connections (autocannon's overallRate):
 *                paced load, such as pages refreshed by a share of a crowd every second; each
 *                connection still has at most one request in flight, so a server that cannot
 *                keep up gets less
 *   timeoutSec   per-request timeout (default 10); a timed-out request counts in `errors`
 *   samples      optional true: also return every latency, for percentiles over several loads
 *
 * Resolves to {
 *   requests, sent, unanswered   responses received, requests sent, sent but never answered
 *   durationSec, throughput_rps  first send to last response; responses per second
 *   latency                      { min, p50, p90, p99, max, mean } in ms, over every response
 *   non2xx, errors, timeouts, statusCodes: { "200": n }, codes (when `classify` is given)
 *   latency_by_code              (when `classify` is given) { key: { count, ...latency } }
 *   samples                      (when asked) { all: [ms], byCode: { key: [ms] } }
 *   cpu                          cores used meanwhile: { self, children: { workerd }, total,
 *                                others } (see cpu.mjs)
 *   client_loop_delay_ms         { p99, max } stalls of this process, which inflate `latency`
 * }
 */
export async function load({
  url,
  method = "GET",
  headers = {},
  body,
  connections = 10,
  durationSec,
  amount,
  request,
  classify,
  rate,
  timeoutSec = 10,
  samples = false,
}) {
  const target = new URL(url);
  if (!LOOPBACK.test(target.hostname)) {
    throw new Error(`load: refusing non-loopback target ${target.hostname}`);
  }
  if (!amount && !(durationSec > 0)) throw new Error("load: give durationSec or amount");
  if (amount) connections = Math.min(connections, amount); // autocannon rejects more
  if (rate) connections = Math.min(connections, rate); // as autocannon does

  const base = encode({ method, path: target.pathname + target.search, headers, body });
  const options = {
    url: target.origin,
    connections,
    pipelining: 1,
    timeout: timeoutSec,
    // autocannon notices the end of a duration only at a sampling tick; at its default 1 s a
    // "10 s" run lasted 10 or 11 s depending on timer order. 100 ms ticks cost nothing here.
    sampleInt: 100,
    ...(amount ? { amount } : { duration: durationSec }),
    ...(rate ? { overallRate: rate } : {}),
  };

  const codes = {};
  // autocannon hands a response to `onResponse` (classify) and then, in the same synchronous
  // step, emits its latency: the key of the last classified response is the one being timed.
  let lastKey;
  const tally = (key) => {
    lastKey = key ?? undefined;
    if (lastKey !== undefined) codes[key] = (codes[key] ?? 0) + 1;
  };
  const latenciesByKey = {};
  if (request || classify) {
    // One request template, rebuilt before every send: autocannon calls setupRequest exactly
    // once per request it sends, so a shared counter hands out each i once. The per-connection
    // context carries i to the response, which is unambiguous because pipelining is 1.
    let next = 0;
    options.requests = [
      {
        setupRequest(req, context) {
          const i = next++;
          context.i = i;
          const o = request?.(i) ?? {};
          // `req` carries autocannon's host and port; keep them under our method/path/headers.
          return {
            ...req,
            ...encode({
              method: o.method ?? base.method,
              path: o.path ?? base.path,
              headers: { ...base.headers, ...o.headers },
              body: o.body ?? base.body,
            }),
          };
        },
        onResponse: classify
          ? (status, resBody, context, resHeaders) => tally(classify(status, resBody, resHeaders, context.i))
          : undefined,
      },
    ];
  } else {
    // Nothing varies: autocannon builds the request once and resends the same bytes.
    Object.assign(options, { url: target.origin + base.path, method: base.method, headers: base.headers, body: base.body });
  }

  // Plain array: bounded by durationSec x throughput (tens of thousands here), and exact
  // percentiles are worth more than a histogram's buckets at this size.
  const latencies = [];
  let lastResponseAt = 0;
  // If this process stalls (GC, the stack's log lines, a heavy `request`), responses wait in the
  // socket and the stall is billed to the server's latency; this says how much of it there was.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = cpuSnapshot();
  const startedAt = cpuBefore.at;
  const result = await new Promise((resolve, reject) => {
    const tracker = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    tracker.on("response", (_client, _status, _bytes, responseTimeMs) => {
      latencies.push(responseTimeMs);
      if (lastKey !== undefined) (latenciesByKey[lastKey] ??= []).push(responseTimeMs);
      lastKey = undefined;
      lastResponseAt = performance.now();
    });
  });
  const cpu = coresBetween(cpuBefore, cpuSnapshot());
  loopDelay.disable();

  const elapsed = ((lastResponseAt || performance.now()) - startedAt) / 1000;
  // With a rate, autocannon counts each connection's first second's quota as sent when the
  // connection starts, where it counts only its first request without one (lib/run.js): the
  // rest of that quota is counted again as it is sent.
  const perConnection = (c) => Math.floor(rate / connections) + (c < rate % connections ? 1 : 0);
  const counted = rate ? Array.from({ length: connections }, (_, c) => Math.max(0, perConnection(c) - 1)).reduce((a, b) => a + b, 0) : 0;
  const sent = result.requests.sent - counted;
  const out = {
    requests: latencies.length,
    sent,
    // Sent and never answered: in a duration run, the <= `connections` requests in flight at the
    // stop; beyond that, requests lost with their connection (see README: workerd closes a
    // keep-alive connection after answering a request whose body the Worker never read, and a
    // request already written to it is lost, not always counted in `errors`).
    unanswered: Math.max(0, sent - latencies.length),
    durationSec: round(elapsed, 3),
    throughput_rps: round(elapsed > 0 ? latencies.length / elapsed : 0, 1),
    latency: summarize(latencies),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
    cpu,
    client_loop_delay_ms: {
      p99: round(loopDelay.percentile(99) / 1e6, 1),
      max: round(loopDelay.max / 1e6, 1),
    },
  };
  if (classify) {
    out.codes = codes;
    out.latency_by_code = Object.fromEntries(Object.entries(latenciesByKey).map(([k, v]) => [k, { count: v.length, ...summarize(v) }]));
  }
  if (samples) out.samples = { all: latencies, byCode: latenciesByKey };
  return out;
}

/** A `classify` for the API envelope: "201 OK", "409 SLOT_FULL", or "502 -" for a non-JSON body. */
export function envelopeCode(status, body) {
  let code = "-";
  try {
    code = JSON.parse(body).code ?? "-";
  } catch {
    // not the envelope: a proxy error page, a truncated body
  }
  return `${status} ${code}`;
}

function encode({ method, path, headers, body }) {
  const h = { ...headers };
  let b = body;
  if (b !== undefined && typeof b !== "string" && !Buffer.isBuffer(b)) {
    b = JSON.stringify(b);
    if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["content-type"] = "application/json";
  }
  // autocannon writes its own Content-Length; a second one would make the request invalid.
  for (const k of Object.keys(h)) if (k.toLowerCase() === "content-length") delete h[k];
  return { method, path, headers: h, body: b };
}

/** { min, p50, p90, p99, max, mean } of latencies in ms (nearest rank). */
export function summarize(values) {
  if (values.length === 0) return { min: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const at = (p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    min: round(sorted[0], 2),
    p50: round(at(0.5), 2),
    p90: round(at(0.9), 2),
    p99: round(at(0.99), 2),
    max: round(sorted[sorted.length - 1], 2),
    mean: round(mean, 2),
  };
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
