import autocannon from "autocannon";
import { fork } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
const child = fork(new URL("./_tmp_child.mjs", import.meta.url), ["/work/main/.yuyue/bench-try"]);
const { url } = await new Promise((r) => child.once("message", r));
const HZ = 100;
function procs() { const out = {}; for (const d of readdirSync("/proc")) { if (!/^\d+$/.test(d)) continue; try { const s = readFileSync(`/proc/${d}/stat`, "utf8"); const c = s.slice(s.indexOf("(")+1, s.lastIndexOf(")")); const f = s.slice(s.lastIndexOf(")")+2).split(" "); out[d] = { comm: c, ppid: +f[1], cpu: (+f[11] + +f[12]) / HZ }; } catch {} } return out; }
const run = (o) => new Promise((res, rej) => { autocannon(o, (e, r) => e ? rej(e) : res(r)); });
for (const conns of [1, 5, 20, 50]) {
await run({ url: url + "/v1/health/catalog", connections: conns, duration: 2 });
const a = procs(); const c0 = process.cpuUsage(); const t0 = performance.now();
const r = await run({ url: url + "/v1/health/catalog", connections: conns, duration: 10 });
const b = procs(); const cc = process.cpuUsage(c0); const wall = (performance.now() - t0) / 1000;
const d = {}; for (const [pid, p] of Object.entries(b)) { const dd = p.cpu - (a[pid]?.cpu ?? 0); if (dd > 0.05) d[`${p.comm}:${pid}`] = +(dd / wall).toFixed(2); }
console.log(conns, { rps: r.requests.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, clientCores: +((cc.user + cc.system) / 1e6 / wall).toFixed(2), cores: d });
}
child.send("close");
await new Promise((r) => child.once("exit", r));
