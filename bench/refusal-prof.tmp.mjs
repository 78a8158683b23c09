import { startStack } from "../scripts/stack.mjs";
import { load, envelopeCode } from "./lib/load.mjs";
import { identifiedPeople, publishPeriod, shanghaiDate, submission } from "./lib/people.mjs";
import { writeFileSync } from "node:fs";
const ROOT = new URL("..", import.meta.url).pathname;
const stack = await startStack({ port: 0, stateDir: ROOT + ".yuyue/rp-state", inspectorPort: 9442 });
const INT = 100;
try {
  console.error("up"); const people = await identifiedPeople(stack.url, { tag: "rp", count: 200, net: 5, region: "330106", seq: 3, say: console.error }); console.error("people");
  const date = shanghaiDate(3);
  await publishPeriod(stack.url, { office: "sz-futian", date, period: "rp-full", capacity: 0 });
  const health = () => load({ connections: 20, url: `${stack.url}/v1/health/book`, method: "GET", durationSec: 3 });
  const refusal = (tag) => () => load({ connections: 20, classify: envelopeCode, url: `${stack.url}/v1/bookings`, method: "POST", amount: 6000,
    request: (i) => submission(people[i % 200], { office: "sz-futian", date, period: "rp-full", key: `rp-${tag}-${i}-${process.pid}` }) });
  await health(); console.error("h"); await refusal("w1")(); console.error("r"); await health(); await refusal("w2")(); console.error("warm");
  const ws = new WebSocket("ws://127.0.0.1:9442/core:user:yuyue-book");
  await new Promise((r) => ws.addEventListener("open", r, { once: true }));
  let n = 0; const waiting = new Map();
  ws.addEventListener("message", (e) => { const m = JSON.parse(e.data); waiting.get(m.id)?.(m.result); });
  const call = (method, params = {}) => new Promise((r) => { waiting.set(++n, r); ws.send(JSON.stringify({ id: n, method, params })); });
  await call("Profiler.enable"); await call("Profiler.setSamplingInterval", { interval: INT });
  for (const [name, run] of [["health", health], ["refusal", refusal("m")], ["health2", health], ["refusal2", refusal("m2")]]) {
    await call("Profiler.start");
    const r = await run();
    const { profile } = await call("Profiler.stop");
    writeFileSync(`/tmp/prof-${name}.cpuprofile`, JSON.stringify(profile));
    const byId = new Map(profile.nodes.map((x) => [x.id, x]));
    const count = {};
    for (const s of profile.samples) { const f = byId.get(s).callFrame; const k = `${f.functionName || "(anon)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber}`; count[k] = (count[k] ?? 0) + 1; }
    const busy = profile.samples.filter((s) => !["(idle)", "(program)", "(root)"].includes(byId.get(s).callFrame.functionName)).length;
    console.log(`\n${name}: requests ${r.requests}, busy ms/req ${(busy * INT / 1000 / r.requests).toFixed(4)}, per-req samples by self frame:`);
    for (const [k, c] of Object.entries(count).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(c * INT / 1000 / r.requests).toFixed(4)} ${k}`);
  }
  ws.close();
} finally { await stack.close(); }
