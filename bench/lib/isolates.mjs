// One isolate's share of workerd's CPU, from V8's sampling profiler through workerd's inspector
// (ws://127.0.0.1:<port>/<isolate id>). V8 records a sample only while the profiled isolate is
// entered on the thread, so the samples counted, times the sampling interval, estimate the time
// the isolate was running: its JavaScript and wasm, the runtime's native code they called (or
// that ran inside the isolate's lock without a JavaScript frame: "(program)"), its garbage
// collection on that thread. "(idle)" and "(root)" samples are left out. Only the count is used:
// a sample's time delta spans whatever the thread did between two samples of this isolate, other
// isolates included. The sampler can fall behind
// under load, so the figure is a lower bound, and comparisons between phases are what it is for.
// Profiling several isolates at once attributes the thread's work to each of them: one at a time.

/** The isolates of a booking, by inspector id. */
export const ISOLATES = {
  /** The book function: on Cloudflare, the Worker's CPU. */
  book: "core:user:yuyue-book",
  /** The inventory objects: on Cloudflare, the Durable Objects' CPU. */
  objects: "core:user:yuyue-objects",
  /** Miniflare's D1 simulator, the Durable Object that runs the SQL: on Cloudflare, D1's own machines. */
  d1: "d1:db",
  /** Miniflare's entry to the database, which forwards each call to that object. */
  "d1 entry": "d1:db:yuyue",
  /** Miniflare's router in front of every function: no such hop on Cloudflare. */
  entry: "core:entry",
};

const NOT_ITS_OWN = new Set(["(idle)", "(root)"]);

/** Where a frame's code comes from: our Rust, its glue, our JavaScript, the runtime's, or native. */
export function partOf(frame) {
  const { url, functionName } = frame;
  if (url.startsWith("wasm://")) return "our Rust (wasm)";
  if (/\/build\/index\.js$/.test(url)) return "wasm-bindgen glue";
  if (url.startsWith("cloudflare-internal:")) return `the runtime's JavaScript (${url.slice("cloudflare-internal:".length)})`;
  if (url) return `JavaScript: ${url.split("/").slice(-2).join("/")}`;
  return `native: ${functionName || "(anonymous)"}`;
}

/**
 * What a CPU profile's samples say, each sample worth `intervalUs`: { ms: the isolate's own work,
 * frames: { "name file:line": ms }, parts: { partOf(frame): ms } }.
 */
export function ownWork(profile, intervalUs) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const frames = {};
  const parts = {};
  let samples = 0;
  for (const id of profile.samples) {
    const f = byId.get(id);
    if (!f || NOT_ITS_OWN.has(f.functionName)) continue;
    samples++;
    const file = f.url.split("/").slice(-2).join("/");
    const key = `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
    frames[key] = (frames[key] ?? 0) + 1;
    const part = partOf(f);
    parts[part] = (parts[part] ?? 0) + 1;
  }
  const ms = (count) => (count * intervalUs) / 1000;
  const inMs = (counts) => Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, ms(n)]));
  return { ms: ms(samples), frames: inMs(frames), parts: inMs(parts) };
}

/** An inspector session on one isolate: `call(method, params)` resolves to the method's result. */
async function session(port, id) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${id}`);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector: cannot reach ${id} on ${port}`)), { once: true });
  });
  let next = 0;
  const waiting = new Map();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(event.data);
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(`inspector ${id}: ${msg.error.message}`));
    else w.resolve(msg.result);
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const n = ++next;
      waiting.set(n, { resolve, reject });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return { call, close: () => ws.close() };
}

/**
 * Runs `work()` with the isolate `id` profiled every `intervalUs`. Resolves to
 * { result: what work resolved to, profile: V8's, ...ownWork(profile) }.
 */
export async function profiled(port, id, work, { intervalUs = 100 } = {}) {
  const s = await session(port, id);
  try {
    await s.call("Profiler.enable");
    await s.call("Profiler.setSamplingInterval", { interval: intervalUs });
    await s.call("Profiler.start");
    const result = await work();
    const { profile } = await s.call("Profiler.stop");
    return { result, profile, ...ownWork(profile, intervalUs) };
  } finally {
    s.close();
  }
}
