// The commands the READMEs tell people to run exist: each `npm run X` is a package.json script
// whose file is there, each `make X` a Makefile target, each scripts/ path a file. (`npm run
// stack` once pointed at a file that did not exist.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/config.mjs";

const READMES = ["README.md", "dev/fakes/README.md", "bench/README.md", "miniprogram-stub/README.md"];
const text = READMES.map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
const makefile = readFileSync(join(ROOT, "Makefile"), "utf8");
const targets = new Set([...makefile.matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]));

test("every npm script runs files that exist", () => {
  for (const [name, command] of Object.entries(scripts)) {
    for (const [, file] of command.matchAll(/\bnode ((?:[\w.-]+\/)+[\w.-]+\.m?js)\b/g)) {
      assert.ok(existsSync(join(ROOT, file)), `npm run ${name}: ${file} does not exist`);
    }
  }
});

test("every npm run, make target and script a README names exists", () => {
  const named = (re) => [...new Set([...text.matchAll(re)].map((m) => m[1]))];
  const npm = named(/(?:^|`)npm run ([a-z][\w:-]*)/gm);
  const make = named(/(?:^|`)make ([a-z][\w-]*)/gm);
  const files = named(/\b(scripts\/[\w.-]+\.(?:sh|mjs))\b/g);
  assert.ok(npm.length && make.length && files.length, "the patterns find the commands");
  for (const n of npm) assert.ok(n in scripts, `npm run ${n} is not a package.json script`);
  for (const t of make) assert.ok(targets.has(t), `make ${t} is not a Makefile target`);
  for (const f of files) assert.ok(existsSync(join(ROOT, f)), `${f} does not exist`);
});
