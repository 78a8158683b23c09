// `npm run bench:floor`: what this stack charges for a storage hop with no work of ours in it.
// A JavaScript Worker of a few lines, in the same workerd (Miniflare) the stack runs on, with a
// D1 database and a SQLite Durable Object persisted to disk as the stack's are, answers:
//   /health          a JSON answer, no storage
//   /object          one call to a Durable Object that writes one row (as a hold or a
//                    confirmation does)
//   /d1              one D1 batch that writes one row and reads one (as the submit's read,
//                    which counts the limits, and its write do)
//   /booking         the four hops of a booking in turn, with nothing between them: object,
//                    D1, D1, object
// Each is loaded like the probe's phases (bench/probe.mjs: 20 connections, workerd idle between
// phases) after a pass that warms every path, and reported as workerd CPU per request and as a
// multiple of this Worker's health. A booking of ours cannot cost less than `/booking` plus its
// own work, so `/booking` against health is the least a booking can be, in health requests, on
// this stack. `-- --runs N` (default 3): N fresh stacks, each phase's median.
import { Miniflare, Log, LogLevel } from "miniflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWrangler } from "../scripts/config.mjs";
import { load } from "./lib/load.mjs";
import { msPerRequest, quiesce } from "./lib/storm.mjs";
import { medianPhases, runsOption } from "./lib/stats.mjs";

const SCRIPT = `
import { DurableObject } from "cloudflare:workers";

export class Slot extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS taken (k TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  }
  async fetch(request) {
    const k = new URL(request.url).searchParams.get("k");
    const n = this.ctx.storage.sql
      .exec("INSERT INTO taken (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n", k)
      .one().n;
    return Response.json({ n });
  }
}

async function object(env, k) {
  const stub = env.SLOT.get(env.SLOT.idFromName("day-" + (k % 50)));
  return (await stub.fetch("https://slot/?k=" + k)).json();
}

async function d1(env, k) {
  const [counted, read] = await env.DB.batch([
    env.DB.prepare("INSERT INTO counts (k, n) VALUES (?1, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n").bind(String(k)),
    env.DB.prepare("SELECT json_object('k', k, 'n', n) AS row FROM counts WHERE k = ?1").bind(String(k)),
  ]);
  return { n: counted.results[0].n, row: read.results[0].row };
}

let next = 0;
export default {
  async fetch(request, env) {
    const k = next++;
    switch (new URL(request.url).pathname) {
      case "/health":
        return Response.json({ ok: true });
      case "/object":
        return Response.json(await object(env, k));
      case "/d1":
        return Response.json(await d1(env, k));
      case "/booking": {
        await object(env, k);
        await d1(env, k);
        await d1(env, k);
        return Response.json(await object(env, k));
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
`;

const PHASES = [
  { name: "health", path: "/health", durationSec: 5 },
  { name: "object", path: "/object", amount: 2000 },
  { name: "d1", path: "/d1", amount: 2000 },
  { name: "booking", path: "/booking", amount: 1000 },
];

const say = (m) => console.error(`[floor] ${m}`);

async function run() {
  const state = mkdtempSync(join(tmpdir(), "yuyue-floor-"));
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    defaultPersistRoot: state,
    log: new Log(LogLevel.WARN),
    cf: false,
    modules: true,
    script: SCRIPT,
    compatibilityDate: readWrangler().compatibility_date,
    d1Databases: ["DB"],
    durableObjects: { SLOT: { className: "Slot", useSQLite: true } },
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, "");
    const db = await mf.getD1Database("DB");
    await db.exec("CREATE TABLE counts (k TEXT PRIMARY KEY, n INTEGER NOT NULL)");
    const measured = {};
    for (const pass of ["warm-up", "measured"]) {
      for (const p of PHASES) {
        await quiesce();
        const r = await load({ url: url + p.path, connections: 20, durationSec: p.durationSec, amount: p.amount });
        if (r.non2xx || r.errors) throw new Error(`${p.path}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        if (pass === "measured") measured[p.name] = { ms: msPerRequest(r) };
      }
    }
    return measured;
  } finally {
    await mf.dispose();
    rmSync(state, { recursive: true, force: true });
  }
}

const runs = runsOption(process.argv, 3);
const all = [];
for (let k = 0; k < runs; k++) {
  say(`run ${k + 1} of ${runs}`);
  const m = await run();
  console.log(`run ${k + 1}: ${PHASES.map((p) => `${p.name} ${m[p.name].ms.toFixed(3)}`).join("  ")} ms`);
  all.push(m);
}
const med = medianPhases(all);
console.log(`\nworkerd CPU per request, median of ${runs} run(s), and against this Worker's health:`);
for (const p of PHASES) console.log(`  ${p.path.padEnd(9)} ${med[p.name].ms.toFixed(3)} ms  ${(med[p.name].ms / med.health.ms).toFixed(2)}x`);
