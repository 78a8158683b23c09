// `make deploy` against a pretend account (tests/deploy/fake-wrangler.mjs stands in for wrangler):
// a fresh account gets its resources, migrations and every Worker in the graph's order; missing
// secrets or values stop it before anything is created or deployed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, readWrangler } from "../../scripts/config.mjs";
import { bindingGraph, deployOrder } from "../../scripts/deploy/graph.mjs";
import { secretChecklist } from "../../scripts/deploy/settings.mjs";

const wrangler = readWrangler();
const order = deployOrder(bindingGraph(wrangler));
const secretNames = secretChecklist(wrangler).map((s) => s.name);
/** Every var wrangler.toml leaves to the operator. */
const operatorVars = [...new Set(Object.values(wrangler.env).flatMap((c) => Object.entries(c.vars ?? {}).filter(([, v]) => v === "").map(([k]) => k)))];

function deploy(values, account) {
  const dir = mkdtempSync(join(tmpdir(), "yuyue-deploy-"));
  const valuesPath = join(dir, "values.env");
  writeFileSync(valuesPath, Object.entries(values).map(([k, v]) => `${k}=${v}`).join("\n"));
  if (account) writeFileSync(join(dir, "account.json"), JSON.stringify(account));
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "deploy.mjs"), "--values", valuesPath], {
    encoding: "utf8",
    env: {
      ...process.env,
      YUYUE_WRANGLER: join(ROOT, "tests", "deploy", "fake-wrangler.mjs"),
      FAKE_ACCOUNT: join(dir, "account.json"),
      FAKE_CALLS: join(dir, "calls.jsonl"),
      YUYUE_DEPLOY_DIR: join(dir, "deploy"),
    },
  });
  const callsPath = join(dir, "calls.jsonl");
  const calls = existsSync(callsPath) ? readFileSync(callsPath, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
  rmSync(dir, { recursive: true, force: true });
  return { code: r.status, output: r.stdout + r.stderr, calls };
}

const fullValues = () => ({
  YUYUE_ZONE: "example.cn",
  ...Object.fromEntries(operatorVars.map((k) => [k, `value-of-${k}`])),
  ...Object.fromEntries(secretNames.map((k) => [k, `secret-of-${k}`])),
});

test("a fresh account: resources created, migrations applied, every Worker deployed in order with its secrets", () => {
  const r = deploy(fullValues());
  assert.equal(r.code, 0, r.output);
  const commands = r.calls.map((c) => c.args.slice(0, 2).join(" "));
  const firstChange = commands.findIndex((c) => c === "d1 create");
  assert.ok(commands.slice(0, firstChange).every((c) => ["secret list", "d1 list"].includes(c)), commands.join("\n"));
  for (const made of ["d1 create", "kv namespace", "queues create"]) assert.ok(commands.includes(made), made);
  const migrate = r.calls.findIndex((c) => c.args[1] === "migrations");
  assert.deepEqual(r.calls[migrate].args.slice(0, 4), ["d1", "migrations", "apply", "yuyue"]);
  assert.ok(r.calls[migrate].args.includes("--remote"));
  const deploys = r.calls.filter((c) => c.args[0] === "deploy");
  assert.deepEqual(deploys.map((c) => c.args[c.args.indexOf("--env") + 1]), order);
  assert.ok(r.calls.indexOf(deploys[0]) > migrate, "migrations before the first deploy");
  for (const d of deploys) {
    const env = d.args[d.args.indexOf("--env") + 1];
    assert.ok(d.deployed.d1.every((id) => id === "d1-uuid-1"), `${env} deploys with the created D1 id`);
    assert.ok(d.deployed.kv.every((id) => id === "kv-id-1"), `${env} deploys with the created KV id`);
    assert.ok(d.deployed.routes.every((p) => p.startsWith("api.example.cn/")), `${env}: ${d.deployed.routes}`);
    assert.match(d.deployed.vars.VERSION, /^\d+\.\d+\.\d+/);
    for (const k of operatorVars.filter((k) => k in d.deployed.vars)) assert.equal(d.deployed.vars[k], `value-of-${k}`);
    assert.deepEqual((d.deployed.secrets ?? []).sort(), [...(wrangler.env[env].secrets?.required ?? [])].sort(), env);
  }
  assert.match(r.output, /api\.example\.cn\/v1\/bookings\* +→ yuyue-book/);
});

test("an account that already has everything: nothing is created, nothing asked again", () => {
  const account = {
    d1: [{ name: "yuyue", uuid: "existing-d1" }],
    kv: [{ title: "yuyue-cache", id: "existing-kv" }],
    queues: ["yuyue-notify", "yuyue-notify-dead"],
    secrets: Object.fromEntries(Object.entries(wrangler.env).map(([env, c]) => [env, c.secrets?.required ?? []])),
  };
  const values = fullValues();
  for (const k of secretNames) delete values[k];
  const r = deploy(values, account);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(r.calls.filter((c) => c.args[1] === "create" || c.args[2] === "create"), []);
  const deploys = r.calls.filter((c) => c.args[0] === "deploy");
  assert.equal(deploys.length, order.length);
  assert.ok(deploys.every((d) => !d.deployed.secrets && d.deployed.d1.every((id) => id === "existing-d1")));
});

test("missing secrets are all named, and nothing is created or deployed", () => {
  const values = fullValues();
  delete values.QR_SIGNING_SEED;
  delete values.FACE_API_KEY;
  const r = deploy(values);
  assert.equal(r.code, 1);
  for (const env of ["book", "cancel", "ops"]) assert.match(r.output, new RegExp(`${env}: QR_SIGNING_SEED`));
  for (const env of ["login", "helper"]) assert.match(r.output, new RegExp(`${env}: FACE_API_KEY`));
  assert.deepEqual(r.calls.map((c) => c.args.slice(0, 2).join(" ")).filter((c) => c !== "secret list"), []);
});

test("a values file naming something no function declares, or no zone, is refused before any call", () => {
  const typo = deploy({ ...fullValues(), WECHAT_APP_ID: "wx" });
  assert.equal(typo.code, 1);
  assert.match(typo.output, /WECHAT_APP_ID, which no function declares/);
  assert.deepEqual(typo.calls, []);
  const values = fullValues();
  delete values.YUYUE_ZONE;
  const noZone = deploy(values);
  assert.equal(noZone.code, 1);
  assert.match(noZone.output, /YUYUE_ZONE/);
  assert.deepEqual(noZone.calls, []);
});

test("a var left to the operator and not given is refused, named per function, before any call", () => {
  assert.ok(operatorVars.includes("JWT_PUBLIC_KEYS"), "wrangler.toml leaves some vars to the operator");
  const values = fullValues();
  delete values.JWT_PUBLIC_KEYS;
  const r = deploy(values);
  assert.equal(r.code, 1);
  const named = /JWT_PUBLIC_KEYS \(([a-z, ]+)\)/.exec(r.output);
  assert.ok(named, r.output);
  assert.deepEqual(named[1].split(", ").sort(), ["book", "cancel", "helper", "login", "progress", "waitlist"]);
  assert.deepEqual(r.calls, []);
});
