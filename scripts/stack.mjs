// The local stack: every function of wrangler.toml in one workerd (through Miniflare), on one
// origin, routed by path as production routes are; D1/KV/Durable Objects embedded and persisted
// under a state directory; migrations applied; demo data seeded; the provider fakes started.
import { Miniflare, Log, LogLevel } from "miniflare";
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ROOT, readWrangler, readDevVars, localRoute, functionNames } from "./config.mjs";
import { applyMigrations } from "./migrate.mjs";
import { seed } from "./seed.mjs";
import { startFakes } from "../dev/fakes/index.mjs";

const COMPATIBILITY_FLAGS = ["nodejs_compat"];

/**
 * How workerd loads the function `name` of wrangler.toml: its entry module, the wasm beside it,
 * the compatibility date and flags; no binding. The stack adds the bindings; the cold-start
 * bench (bench/cold-start.mjs) runs a function with this alone.
 */
export function moduleOptions(name, env, wrangler) {
  return {
    name: env.name,
    modules: true,
    scriptPath: join(ROOT, env.main),
    modulesRoot: ROOT,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: wrangler.compatibility_date,
    compatibilityFlags: COMPATIBILITY_FLAGS,
  };
}

function workerOptions(name, env, wrangler, vars) {
  if (!existsSync(join(ROOT, "functions", name, "build", "index.js"))) {
    throw new Error(`function ${name} is not built: run scripts/build.sh first`);
  }
  const durableObjects = {};
  for (const b of env.durable_objects?.bindings ?? []) {
    durableObjects[b.name] = {
      className: b.class_name,
      scriptName: b.script_name,
      useSQLite: true,
    };
  }
  const serviceBindings = {};
  for (const s of env.services ?? []) serviceBindings[s.binding] = s.service;
  const queueProducers = {};
  for (const q of env.queues?.producers ?? []) queueProducers[q.binding] = q.queue;
  const queueConsumers = {};
  for (const q of env.queues?.consumers ?? []) {
    queueConsumers[q.queue] = {
      maxBatchSize: q.max_batch_size,
      maxBatchTimeout: q.max_batch_timeout,
      maxRetries: q.max_retries,
      deadLetterQueue: q.dead_letter_queue,
    };
  }
  return {
    ...moduleOptions(name, env, wrangler),
    routes: (env.routes ?? []).map((r) => localRoute(r.pattern)),
    bindings: { ...(env.vars ?? {}), ...vars, FUNCTION: name },
    d1Databases: Object.fromEntries((env.d1_databases ?? []).map((d) => [d.binding, d.database_name])),
    kvNamespaces: Object.fromEntries((env.kv_namespaces ?? []).map((k) => [k.binding, k.binding.toLowerCase()])),
    durableObjects,
    serviceBindings,
    queueProducers,
    queueConsumers,
  };
}

/**
 * Starts the stack. `stateDir` persists D1/KV/DO state; `onLog(line)` receives every line the
 * Workers print (one JSON object per request). Resolves to { url, mf, fakes, close }.
 */
export async function startStack({ host = "127.0.0.1", port = 8787, stateDir, onLog = () => {}, fakesPort = 0, vars: overrides = {}, inspectorPort } = {}) {
  mkdirSync(stateDir, { recursive: true });
  const wrangler = readWrangler();
  const fakes = await startFakes({ host, port: fakesPort });
  const vars = {
    ...readDevVars(),
    ENVIRONMENT: "dev",
    WECHAT_API_BASE: fakes.urls.wechat,
    ALIPAY_GATEWAY: fakes.urls.alipay,
    FACE_VERIFY_BASE: fakes.urls.faceVerify,
    ...overrides,
  };
  const workers = functionNames(wrangler).map((name) =>
    workerOptions(name, wrangler.env[name], wrangler, vars),
  );
  const mf = new Miniflare({
    host,
    port,
    defaultPersistRoot: stateDir,
    log: new Log(LogLevel.WARN),
    unsafeTriggerHandlers: true,
    // The real `request.cf` is fetched from Cloudflare at start-up; there is no such network here.
    cf: false,
    // V8's inspector for every Worker (ws://host:port/core:user:<function>), for profiling.
    ...(inspectorPort ? { inspectorPort } : {}),
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        createInterface({ input: stream }).on("line", onLog);
      }
    },
    workers,
  });
  let url;
  try {
    url = await mf.ready;
    const db = await mf.getD1Database("DB", wrangler.env[functionNames(wrangler)[0]].name);
    await applyMigrations(db, join(ROOT, "migrations"));
    await seed(db);
  } catch (err) {
    await mf.dispose().catch(() => {});
    await fakes.close();
    throw err;
  }
  return {
    url: url.toString().replace(/\/$/, ""),
    mf,
    fakes,
    async close() {
      await mf.dispose();
      await fakes.close();
    },
  };
}
