// A stand-in for wrangler over a pretend Cloudflare account, for tests/deploy/deploy.test.mjs:
// it answers the commands scripts/deploy.mjs runs the way wrangler 4 does (JSON where wrangler
// prints JSON, its messages for what does not exist), keeps the account in FAKE_ACCOUNT (a JSON
// file) and appends every call to FAKE_CALLS (JSON lines), with what a deploy was given.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const accountPath = process.env.FAKE_ACCOUNT;
const account = existsSync(accountPath)
  ? JSON.parse(readFileSync(accountPath, "utf8"))
  : { d1: [], kv: [], queues: [], secrets: {} };
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const call = { args };
const save = () => writeFileSync(accountPath, JSON.stringify(account));
let out = "";
let code = 0;

const [a, b, c] = args;
if (a === "d1" && b === "list") out = JSON.stringify(account.d1);
else if (a === "d1" && b === "create") {
  account.d1.push({ name: c, uuid: `d1-uuid-${account.d1.length + 1}` });
  out = `✅ Successfully created DB '${c}'`;
} else if (a === "kv" && b === "namespace" && c === "list") out = JSON.stringify(account.kv);
else if (a === "kv" && b === "namespace" && c === "create") {
  account.kv.push({ title: args[3], id: `kv-id-${account.kv.length + 1}` });
  out = `🌀 Creating namespace with title "${args[3]}"`;
} else if (a === "queues" && b === "info") {
  if (account.queues.includes(c)) out = `Queue Name: ${c}`;
  else {
    out = `✘ [ERROR] Queue "${c}" does not exist. To create it, run: wrangler queues create ${c}`;
    code = 1;
  }
} else if (a === "queues" && b === "create") account.queues.push(c);
else if (a === "secret" && b === "list") {
  const env = flag("--env");
  if (account.secrets[env]) out = JSON.stringify(account.secrets[env].map((name) => ({ name, type: "secret_text" })));
  else {
    out = `✘ [ERROR] Worker "yuyue-${env}" (env: ${env}) not found.`;
    code = 1;
  }
} else if (a === "d1" && b === "migrations") out = "🚣 migrations applied";
else if (a === "deploy") {
  const env = flag("--env");
  const config = JSON.parse(readFileSync(flag("--config"), "utf8")).env[env];
  call.deployed = { d1: (config.d1_databases ?? []).map((d) => d.database_id), kv: (config.kv_namespaces ?? []).map((k) => k.id), routes: (config.routes ?? []).map((r) => r.pattern), vars: config.vars };
  const secretsFile = flag("--secrets-file");
  if (secretsFile) call.deployed.secrets = Object.keys(JSON.parse(readFileSync(secretsFile, "utf8")));
  account.secrets[env] = [...new Set([...(account.secrets[env] ?? []), ...(call.deployed.secrets ?? [])])];
} else {
  out = `fake wrangler: unknown command ${args.join(" ")}`;
  code = 2;
}
save();
appendFileSync(process.env.FAKE_CALLS, JSON.stringify(call) + "\n");
(code ? process.stderr : process.stdout).write(out + "\n");
process.exit(code);
