// `make deploy` (npm run deploy): every Yuyue Worker onto a Cloudflare account, fresh or not, in one
// run. Checks what needs no account first (bindings; configuration: each value the code reads is
// a var or a secret of every function using it), then names every secret the account still lacks
// before it changes anything; then finds or creates D1, KV and the queues, writes their ids into a
// generated config (never into wrangler.toml), applies the D1 migrations, deploys the Workers in
// the order their bindings need and prints the routes.
//
//   node scripts/deploy.mjs [--values FILE] [--dry-run]
//
// --values (or YUYUE_DEPLOY_VALUES): the operator's dotenv file, outside the repository: the vars
// wrangler.toml leaves "" (app ids, public keys), YUYUE_ZONE (and YUYUE_API_HOST, default
// api.<zone>), and any secrets not yet set with `wrangler secret put` (uploaded with the deploy).
// --dry-run: only what needs no account: the binding graph and order, the settings checklist, the
// D1 migrations against a throw-away local database, and every Worker bundled as it would be
// uploaded (`wrangler deploy --dry-run --outdir`).
import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "smol-toml";
import { ROOT, readWrangler } from "./config.mjs";
import { inspectBundle } from "./deploy/bundle.mjs";
import { checkConfiguration } from "./deploy/config_names.mjs";
import { generatedConfig, routeHost, writeGeneratedConfig } from "./deploy/generated_config.mjs";
import { bindingGraph, deployOrder, hostedClasses } from "./deploy/graph.mjs";
import { ensureD1, ensureKv, ensureQueue, neededResources } from "./deploy/resources.mjs";
import { missingSecrets, parseSecretList, readOperatorValues, resolve, secretChecklist } from "./deploy/settings.mjs";
import { wrangler as run, wranglerOk } from "./deploy/wrangler.mjs";

const say = (line) => console.error(`[deploy] ${line}`);

function fail(message) {
  say(`refused: ${message}`);
  process.exit(1);
}

const { values: args } = parseArgs({
  options: { "dry-run": { type: "boolean", default: false }, values: { type: "string" } },
});
const dryRun = args["dry-run"];
// `make deploy VALUES="~/…"` passes the tilde through unexpanded.
const valuesPath = (args.values ?? process.env.YUYUE_DEPLOY_VALUES)?.replace(/^~(?=\/)/, homedir());

const config = readWrangler();

// --- the binding graph -------------------------------------------------------------------------
const graph = bindingGraph(config);
if (graph.problems.length) fail(`wrangler.toml bindings:\n  ${graph.problems.join("\n  ")}`);
let order;
try {
  order = deployOrder(graph);
} catch (e) {
  fail(e.message);
}
say(`no binding cycle; deploy order: ${order.join(" → ")}`);

// --- settings: vars, secrets, the operator's values ---------------------------------------------
const configProblems = checkConfiguration(config);
if (configProblems.length) fail(`configuration of the code, wrangler.toml and README disagree:\n  ${configProblems.join("\n  ")}`);
const operator = valuesPath ? readOperatorValues(valuesPath) : {};
const { perEnv, unknown } = resolve(config, operator);
if (unknown.length) fail(`${valuesPath} sets ${unknown.join(", ")}, which no function declares in wrangler.toml`);
say("secrets checklist (wrangler secret put NAME --env <function>, or in the values file):");
for (const { name, functions } of secretChecklist(config)) say(`  ${name.padEnd(24)} ${functions.join(", ")}`);
/** The vars still without a value, each with the functions that need it: "NAME (fn, fn)". */
const emptyVars = [
  ...order.reduce((by, env) => {
    for (const name of perEnv[env].emptyVars) by.set(name, [...(by.get(name) ?? []), env]);
    return by;
  }, new Map()),
].map(([name, envs]) => `${name} (${envs.join(", ")})`);

const zone = operator.YUYUE_ZONE ?? process.env.YUYUE_ZONE;
const site = zone ? { zone, host: operator.YUYUE_API_HOST ?? process.env.YUYUE_API_HOST ?? `api.${zone}` } : null;
const placeholderHosts = [...new Set(order.flatMap((env) => (config.env[env].routes ?? []).map((r) => routeHost(r.pattern))))];

const cargo = parse(readFileSync(join(ROOT, "Cargo.toml"), "utf8"));
let version = cargo.workspace.package.version;
try {
  version += `+${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim()}`;
} catch {
  // Not a git checkout: the crate version alone.
}

const databases = neededResources(config).d1;
/** The first Worker in order bound to `db` with its migrations: the one to apply them through. */
const migrationsEnv = (db) =>
  order.find((env) => (config.env[env].d1_databases ?? []).some((d) => d.database_name === db && d.migrations_dir));

if (dryRun) {
  if (emptyVars.length) say(`a real deploy needs these vars in the values file:\n  ${emptyVars.join("\n  ")}`);
  const dir = join(ROOT, ".yuyue", "deploy-dry-run");
  rmSync(dir, { recursive: true, force: true });
  const path = writeGeneratedConfig(dir, generatedConfig(config, { dir, site, perEnv, version }));
  for (const db of databases) {
    const env = migrationsEnv(db);
    const r = await run(["d1", "migrations", "apply", db, "--local", "--env", env, "--config", path, "--persist-to", join(dir, "state")], { capture: true });
    if (r.code !== 0) fail(`migrations of ${db} do not apply to an empty database:\n${r.stdout}${r.stderr}`);
    // wrangler answers "no migrations" with success when it looks in the wrong place: each file
    // must be reported applied.
    const dirOf = config.env[env].d1_databases.find((d) => d.database_name === db).migrations_dir;
    const files = readdirSync(join(ROOT, dirOf)).filter((f) => f.endsWith(".sql"));
    const unapplied = files.filter((f) => !new RegExp(`${f.replace(".", "\\.")}\\s*│\\s*✅`).test(r.stdout));
    if (!files.length || unapplied.length) fail(`migrations of ${db} not reported applied: ${unapplied.join(", ") || "none found"}`);
    say(`${files.length} migrations of ${db} apply to an empty database (through ${env})`);
  }
  for (const env of order) {
    const outdir = join(dir, "bundles", env);
    const r = await run(["deploy", "--dry-run", "--outdir", outdir, "--env", env, "--config", path], { capture: true });
    if (r.code !== 0) fail(`${env} does not bundle:\n${r.stdout}${r.stderr}`);
    let bundle;
    try {
      bundle = inspectBundle(outdir, hostedClasses(config.env[env]));
    } catch (e) {
      fail(e.message);
    }
    const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
    const classes = bundle.classes.length ? `, classes ${bundle.classes.join(", ")}` : "";
    say(`bundled ${config.env[env].name}: entry ${kib(bundle.entryBytes)}, wasm ${kib(bundle.wasmBytes)}${classes}`);
  }
  say(`dry run passed: ${order.length} Workers bundled in ${join(".yuyue", "deploy-dry-run")}; nothing was sent to an account`);
  process.exit(0);
}

// --- refusals before touching the account --------------------------------------------------------
if (emptyVars.length) fail(`vars without a value (set them in the values file):\n  ${emptyVars.join("\n  ")}`);
if (!site && placeholderHosts.some((h) => h.endsWith(".example"))) {
  fail(`the routes use the placeholder host ${placeholderHosts.join(", ")}: set YUYUE_ZONE (the account's zone the API is served from)`);
}

// --- secrets, per function ---------------------------------------------------------------------
const missing = [];
for (const env of order) {
  const required = config.env[env].secrets?.required ?? [];
  if (!required.length) continue;
  const r = await run(["secret", "list", "--env", env, "--format", "json"], { capture: true });
  let inAccount;
  if (r.code === 0) inAccount = parseSecretList(r.stdout);
  else if (/not found/i.test(r.stdout + r.stderr)) inAccount = []; // not deployed yet: no secret set
  else fail(`wrangler secret list --env ${env} failed:\n${r.stdout}${r.stderr}`);
  for (const name of missingSecrets(required, inAccount, perEnv[env].secretsFromFile)) missing.push({ env, name });
}
if (missing.length) {
  fail(
    `secrets not set, nothing deployed:\n${missing
      .map(({ env, name }) => `  ${env}: ${name}   (npx wrangler secret put ${name} --env ${env}, or ${name}=… in the values file)`)
      .join("\n")}`,
  );
}
say("every function's secrets are set or given");

// --- the account's resources and the config that names them ----------------------------------
const needed = neededResources(config);
const ids = { d1: {}, kv: {} };
for (const db of needed.d1) ids.d1[db] = await ensureD1(db);
for (const [, title] of needed.kv) ids.kv[title] = await ensureKv(title);
for (const q of needed.queues) await ensureQueue(q);
say(`resources: D1 ${needed.d1.join(", ")}; KV ${needed.kv.map(([, t]) => t).join(", ")}; queues ${needed.queues.join(", ")}`);
const dir = process.env.YUYUE_DEPLOY_DIR ?? join(ROOT, ".yuyue", "deploy");
const path = writeGeneratedConfig(dir, generatedConfig(config, { dir, ids, site, perEnv, version }));
say(`config with the account's ids: ${path} (not in git)`);

for (const db of needed.d1) await wranglerOk(["d1", "migrations", "apply", db, "--remote", "--env", migrationsEnv(db), "--config", path]);

// --- the Workers, in order -----------------------------------------------------------------------
for (const env of order) {
  const fromFile = perEnv[env].secretsFromFile;
  const secretsPath = join(dir, `secrets-${env}.json`);
  const extra = [];
  if (Object.keys(fromFile).length) {
    // JSON, not dotenv: wrangler would expand `$` in a dotenv value.
    writeFileSync(secretsPath, JSON.stringify(fromFile), { mode: 0o600 });
    chmodSync(secretsPath, 0o600);
    extra.push("--secrets-file", secretsPath);
  }
  try {
    await wranglerOk(["deploy", "--env", env, "--config", path, ...extra]);
  } finally {
    rmSync(secretsPath, { force: true });
  }
}

say(`deployed ${order.length} Workers (${version}); routes:`);
const deployed = JSON.parse(readFileSync(path, "utf8"));
for (const env of order) {
  for (const r of deployed.env[env].routes ?? []) say(`  ${r.pattern.padEnd(48)} → ${deployed.env[env].name}`);
}
