// Every value the Rust code reads is, for each function that uses it, a var (with a production
// default, or left "" for the operator's values) or a named secret in wrangler.toml, and README
// "Configuration" says so. No stack: this reads the sources, the README and wrangler.toml.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, readWrangler } from "../../scripts/config.mjs";
import {
  configurationProblems,
  namesInRust,
  namesReadByCode,
  readmeConfiguration,
} from "../../scripts/deploy/config_names.mjs";

const wrangler = readWrangler();
const readme = readmeConfiguration(readFileSync(join(ROOT, "README.md"), "utf8"));
const code = namesReadByCode(wrangler);
const check = (overrides = {}) => configurationProblems({ wrangler, code, readme, ...overrides });

test("the code, wrangler.toml and README agree on every configuration name", () => {
  assert.deepEqual(check(), []);
  // The patterns find what the code reads (a check that finds nothing agrees with everything).
  for (const name of ["JWT_PUBLIC_KEYS", "WECHAT_API_BASE", "ALIPAY_GATEWAY", "FACE_VERIFY_BASE", "OPS_CREDENTIALS", "WECHAT_TEMPLATES"]) {
    assert.ok(code.shared.has(name), name);
  }
  assert.ok(code.byFunction.book.has("BOOKING_NO_SECRET"));
  assert.ok(code.byFunction.events.has("WEBHOOK_SECRET"));
  assert.ok(!code.byFunction.ops.has("WEBHOOK_SECRET"), "ops holds no webhook secret");
});

test("the production defaults are the providers' real endpoints", () => {
  for (const env of ["login", "notify"]) {
    assert.equal(wrangler.env[env].vars.WECHAT_API_BASE, "https://api.weixin.qq.com");
    assert.equal(wrangler.env[env].vars.ALIPAY_GATEWAY, "https://openapi.alipay.com/gateway.do");
  }
  assert.deepEqual(JSON.parse(wrangler.env.notify.vars.WECHAT_TEMPLATES), {});
  assert.deepEqual(JSON.parse(wrangler.env.notify.vars.ALIPAY_TEMPLATES), {});
});

test("a var the code reads that a function's wrangler.toml lacks is named", () => {
  const broken = structuredClone(wrangler);
  delete broken.env.login.vars.WECHAT_API_BASE;
  broken.env.helper.secrets.required = broken.env.helper.secrets.required.filter((n) => n !== "FACE_API_KEY");
  assert.deepEqual(check({ wrangler: broken }), [
    "login: WECHAT_API_BASE is neither in its vars nor in its secrets.required",
    "helper: FACE_API_KEY is neither in its vars nor in its secrets.required",
  ]);
});

test("a secret given as a var, an undocumented name and an unknown reader are named", () => {
  const broken = structuredClone(wrangler);
  broken.env.book.vars.BOOKING_NO_SECRET = "oops";
  broken.env.progress.vars.PROGRESS_PAGE_SIZE = "20";
  const problems = check({
    wrangler: broken,
    code: { ...code, shared: new Set([...code.shared, "NEW_PROVIDER_KEY"]), stray: ["adapter/src/x.rs: OTHER_KEY"] },
  });
  assert.ok(problems.includes("book: BOOKING_NO_SECRET is a secret but is in its vars"), problems.join("\n"));
  assert.ok(problems.includes('progress declares PROGRESS_PAGE_SIZE, which README "Configuration" does not describe'));
  assert.ok(problems.includes('NEW_PROVIDER_KEY is read by the code but not in README "Configuration"'));
  assert.ok(problems.some((p) => p.startsWith("adapter/src/x.rs: OTHER_KEY")));
});

test("names are found however the adapter reads them, and only where they are read", () => {
  const found = namesInRust(
    [
      'let a = cx.required_config("A_ONE")?;',
      'let b = config_of(&env, "B_TWO");',
      'let c = base(out, "C_THREE")?;',
      'let d = self.secret_bytes("D_FOUR")?;',
      '// a comment naming "E_FIVE" is not a read',
      'const STRAY: &str = "F_SIX";',
      'env.durable_object("RATE_LIMITER")',
    ].join("\n"),
    new Set(["RATE_LIMITER"]),
  );
  assert.deepEqual([...found.reads].sort(), ["A_ONE", "B_TWO", "C_THREE", "D_FOUR"]);
  assert.deepEqual(found.stray, ["F_SIX"]);
});
