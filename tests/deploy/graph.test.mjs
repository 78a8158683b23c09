// The cross-script bindings of wrangler.toml point one way, so a fresh account can deploy every
// Worker in one pass (no stack needed: this reads the file only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readWrangler } from "../../scripts/config.mjs";
import { bindingGraph, deployOrder, findCycle } from "../../scripts/deploy/graph.mjs";

const wrangler = readWrangler();

test("wrangler.toml has no binding cycle, and each Worker deploys after what it binds", (t) => {
  const graph = bindingGraph(wrangler);
  assert.deepEqual(graph.problems, []);
  assert.equal(findCycle(graph), null);
  const order = deployOrder(graph);
  t.diagnostic(`deploy order: ${order.join(" → ")}`);
  assert.deepEqual([...order].sort(), Object.keys(wrangler.env).sort());
  for (const e of graph.edges) {
    assert.ok(order.indexOf(e.to) < order.indexOf(e.from), `${e.from} (${e.binding}) must follow ${e.to}`);
  }
});

test("the Durable Object classes live in one Worker that binds no other", () => {
  const graph = bindingGraph(wrangler);
  const hosts = new Set(graph.edges.filter((e) => e.kind === "durable_object").map((e) => e.to));
  assert.deepEqual([...hosts], ["objects"]);
  assert.deepEqual(graph.edges.filter((e) => e.from === "objects"), []);
  assert.equal(deployOrder(graph)[0], "objects");
});

// The checks themselves, on configurations shaped like the ones that could not be deployed.
const env = (name, extra = {}) => ({ name, ...extra });
const inventory = [{ tag: "v1", new_sqlite_classes: ["Inventory"] }];

test("a service binding answered by a class binding back is a cycle", () => {
  const graph = bindingGraph({
    env: {
      book: env("yuyue-book", {
        migrations: inventory,
        durable_objects: { bindings: [{ name: "INVENTORY", class_name: "Inventory" }] },
        services: [{ binding: "CANCEL", service: "yuyue-cancel" }],
      }),
      cancel: env("yuyue-cancel", {
        durable_objects: { bindings: [{ name: "INVENTORY", class_name: "Inventory", script_name: "yuyue-book" }] },
      }),
    },
  });
  assert.deepEqual(graph.problems, []);
  assert.deepEqual(findCycle(graph), ["book", "cancel", "book"]);
  assert.throws(() => deployOrder(graph), /binding cycle: book → cancel → book/);
});

test("a cycle through three Workers' classes is found", () => {
  const bind = (name, cls, script) => ({ name, class_name: cls, script_name: script });
  const graph = bindingGraph({
    env: {
      book: env("b", { migrations: inventory, durable_objects: { bindings: [bind("RL", "RateLimiter", "l")] } }),
      login: env("l", { migrations: [{ tag: "v1", new_sqlite_classes: ["RateLimiter"] }], durable_objects: { bindings: [bind("M", "Metrics", "o")] } }),
      ops: env("o", { migrations: [{ tag: "v1", new_sqlite_classes: ["Metrics"] }], durable_objects: { bindings: [bind("I", "Inventory", "b")] } }),
    },
  });
  assert.deepEqual(findCycle(graph), ["book", "login", "ops", "book"]);
});

test("a binding to a class its script does not create, or to a script nobody deploys, is a problem", () => {
  const graph = bindingGraph({
    env: {
      objects: env("yuyue-objects", { migrations: inventory }),
      catalog: env("yuyue-catalog", {
        durable_objects: {
          bindings: [
            { name: "METRICS", class_name: "Metrics", script_name: "yuyue-objects" },
            { name: "X", class_name: "Inventory", script_name: "yuyue-elsewhere" },
          ],
        },
        services: [{ binding: "S", service: "yuyue-nowhere" }],
      }),
    },
  });
  assert.equal(graph.problems.length, 3);
  assert.match(graph.problems[0], /Metrics, which yuyue-objects's migrations do not create/);
  assert.match(graph.problems[1], /yuyue-elsewhere, which no environment deploys/);
  assert.match(graph.problems[2], /yuyue-nowhere, which no environment deploys/);
  assert.deepEqual(deployOrder(graph), ["objects", "catalog"]);
});
