// What each function is configured with: the plain values of its `vars` and the secrets its
// `secrets.required` names (wrangler's own list: `wrangler deploy` refuses a Worker that lacks
// one). A var left "" in wrangler.toml is one only the operator knows (an app id, a public key),
// given in the operator's values file; `make deploy` refuses to deploy while one is missing.
import { readFileSync } from "node:fs";
import { parseDotenv } from "../config.mjs";

/** Names the deploy itself sets on every Worker, not wrangler.toml. */
export const DEPLOY_VARS = ["VERSION"];
/** Keys of the operator's values file that are about the deploy, not a function's config. */
export const DEPLOY_KEYS = ["YUYUE_ZONE", "YUYUE_API_HOST"];

/** Per environment: { vars: {name: value}, secrets: [name] }. */
export function declared(wrangler) {
  return Object.fromEntries(
    Object.entries(wrangler.env).map(([env, c]) => [env, { vars: { ...(c.vars ?? {}) }, secrets: [...(c.secrets?.required ?? [])] }]),
  );
}

/** Every secret name with the functions that need it, in first-seen order. */
export function secretChecklist(wrangler) {
  const by = new Map();
  for (const [env, { secrets }] of Object.entries(declared(wrangler))) {
    for (const name of secrets) by.set(name, [...(by.get(name) ?? []), env]);
  }
  return [...by].map(([name, functions]) => ({ name, functions }));
}

export function readOperatorValues(path) {
  return parseDotenv(readFileSync(path, "utf8"));
}

/**
 * Applies the operator's values to what wrangler.toml declares. Returns, per environment, the vars
 * to deploy with, the secrets the file supplies and the vars still empty; and the file's keys
 * that no function declares (a misspelt name would otherwise be silently ignored).
 */
export function resolve(wrangler, operator = {}) {
  const perEnv = {};
  const used = new Set(DEPLOY_KEYS);
  for (const [env, { vars, secrets }] of Object.entries(declared(wrangler))) {
    const out = { vars: { ...vars }, secretsFromFile: {}, emptyVars: [] };
    for (const name of Object.keys(vars)) {
      if (name in operator) {
        out.vars[name] = operator[name];
        used.add(name);
      }
      if (out.vars[name].trim() === "") out.emptyVars.push(name);
    }
    for (const name of secrets) {
      if (name in operator) {
        out.secretsFromFile[name] = operator[name];
        used.add(name);
      }
    }
    perEnv[env] = out;
  }
  const unknown = Object.keys(operator).filter((k) => !used.has(k));
  return { perEnv, unknown };
}

/** Secrets `wrangler secret list --format json` printed: a JSON array of { name, type }. */
export function parseSecretList(stdout) {
  const start = stdout.indexOf("[");
  if (start < 0) throw new Error(`unexpected output of wrangler secret list: ${stdout.slice(0, 200)}`);
  return JSON.parse(stdout.slice(start)).map((s) => s.name);
}

/** The secrets an environment needs that neither the account nor the operator's file has. */
export function missingSecrets(required, inAccount, fromFile) {
  return required.filter((name) => !inAccount.includes(name) && !(name in fromFile));
}
