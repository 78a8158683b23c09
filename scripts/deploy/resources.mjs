// The account's D1 database, KV namespace and queues that wrangler.toml binds, found by name or
// created. Their ids never go into wrangler.toml: they are written into the generated config only.
import { wrangler, wranglerOk } from "./wrangler.mjs";

/** What wrangler.toml needs from the account, by name. */
export function neededResources(wrangler_) {
  const d1 = new Set();
  const kv = new Map(); // binding -> namespace title
  const queues = new Set();
  for (const c of Object.values(wrangler_.env)) {
    for (const d of c.d1_databases ?? []) d1.add(d.database_name);
    for (const k of c.kv_namespaces ?? []) kv.set(k.binding, kvTitle(wrangler_, k.binding));
    for (const p of c.queues?.producers ?? []) queues.add(p.queue);
    for (const q of c.queues?.consumers ?? []) {
      queues.add(q.queue);
      if (q.dead_letter_queue) queues.add(q.dead_letter_queue);
    }
  }
  return { d1: [...d1], kv: [...kv], queues: [...queues] };
}

/** The title of the KV namespace behind `binding`, e.g. `yuyue-cache`. */
export function kvTitle(wrangler_, binding) {
  return `${wrangler_.name}-${binding.toLowerCase().replaceAll("_", "-")}`;
}

/** JSON that wrangler printed, past any line before it. */
function jsonOf(stdout) {
  const start = stdout.search(/^\s*[[{]/m);
  if (start < 0) throw new Error(`wrangler printed no JSON: ${stdout.slice(0, 200)}`);
  return JSON.parse(stdout.slice(start));
}

export async function ensureD1(name) {
  const list = async () => jsonOf((await wranglerOk(["d1", "list", "--json"], { capture: true })).stdout);
  let db = (await list()).find((d) => d.name === name);
  if (!db) {
    console.error(`[deploy] creating D1 database ${name}`);
    await wranglerOk(["d1", "create", name]);
    db = (await list()).find((d) => d.name === name);
    if (!db) throw new Error(`D1 database ${name} was created but is not listed`);
  }
  return db.uuid;
}

export async function ensureKv(title) {
  const list = async () => jsonOf((await wranglerOk(["kv", "namespace", "list"], { capture: true })).stdout);
  let ns = (await list()).find((n) => n.title === title);
  if (!ns) {
    console.error(`[deploy] creating KV namespace ${title}`);
    await wranglerOk(["kv", "namespace", "create", title]);
    ns = (await list()).find((n) => n.title === title);
    if (!ns) throw new Error(`KV namespace ${title} was created but is not listed`);
  }
  return ns.id;
}

export async function ensureQueue(name) {
  const info = await wrangler(["queues", "info", name], { capture: true });
  if (info.code === 0) return;
  if (!/does not exist/.test(info.stdout + info.stderr)) {
    throw new Error(`wrangler queues info ${name} failed:\n${(info.stdout + info.stderr).trim()}`);
  }
  console.error(`[deploy] creating queue ${name}`);
  await wranglerOk(["queues", "create", name]);
}
