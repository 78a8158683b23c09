import { Pool } from "undici";
import { fork } from "node:child_process";
import http from "node:http";
const child = fork(new URL("./_tmp_child.mjs", import.meta.url), ["/work/main/.yuyue/bench-try"]);
const { url } = await new Promise((r) => child.once("message", r));
async function undiciRun(sec) {
  const pool = new Pool(url, { connections: 20, pipelining: 1 });
  const lat = []; const end = performance.now() + sec * 1000;
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await pool.request({ path: "/v1/health/catalog", method: "GET" });
      await r.body.text();
      lat.push(performance.now() - t);
    }
  }));
  await pool.close();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
  return { rps: (lat.length / sec).toFixed(0), p50: q(0.5), p90: q(0.9), p99: q(0.99), max: lat.at(-1).toFixed(1) };
}
const cpu0 = process.cpuUsage();
await undiciRun(2);
const c1 = process.cpuUsage();
console.log("undici", await undiciRun(10), "client cpu s", (process.cpuUsage(c1).user + process.cpuUsage(c1).system) / 1e6);
child.send("close");
await new Promise((r) => child.once("exit", r));
