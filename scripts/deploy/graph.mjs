// Which Worker must exist before which. Cloudflare refuses a binding to a Durable Object class of
// a script that does not exist yet (code 10061) and a service binding to a missing Worker, so a
// Worker can first be deployed only after every Worker it binds; a cycle among them would make a
// fresh account's first deploy impossible in any order.

/** The environments of wrangler.toml in file order, with their Worker (script) names. */
export function workers(wrangler) {
  return Object.entries(wrangler.env ?? {}).map(([env, config]) => ({ env, script: config.name ?? `${wrangler.name}-${env}` }));
}

/** Classes an environment's own migrations leave it hosting. */
export function hostedClasses(config) {
  const classes = new Set();
  for (const step of config.migrations ?? []) {
    for (const c of [...(step.new_sqlite_classes ?? []), ...(step.new_classes ?? [])]) classes.add(c);
    for (const r of [...(step.renamed_classes ?? []), ...(step.transferred_classes ?? [])]) {
      classes.delete(r.from);
      classes.add(r.to);
    }
    for (const c of step.deleted_classes ?? []) classes.delete(c);
  }
  return classes;
}

/**
 * Every binding of one Worker to another: { from, to, kind, binding, className? }, by environment
 * name, plus the problems found on the way (a target no environment deploys, a class its script
 * does not host). A Durable Object binding without `script_name` is to the Worker's own class.
 */
export function bindingGraph(wrangler) {
  const list = workers(wrangler);
  const envOf = new Map(list.map((w) => [w.script, w.env]));
  const edges = [];
  const problems = [];
  for (const { env, script } of list) {
    const config = wrangler.env[env];
    for (const b of config.durable_objects?.bindings ?? []) {
      const targetScript = b.script_name ?? script;
      const target = envOf.get(targetScript);
      if (target === undefined) {
        problems.push(`${env}: ${b.name} binds class ${b.class_name} in ${targetScript}, which no environment deploys`);
        continue;
      }
      if (!hostedClasses(wrangler.env[target]).has(b.class_name)) {
        problems.push(`${env}: ${b.name} binds class ${b.class_name}, which ${targetScript}'s migrations do not create`);
      }
      if (target !== env) edges.push({ from: env, to: target, kind: "durable_object", binding: b.name, className: b.class_name });
    }
    for (const s of config.services ?? []) {
      const target = envOf.get(s.service);
      if (target === undefined) {
        problems.push(`${env}: service binding ${s.binding} to ${s.service}, which no environment deploys`);
        continue;
      }
      if (target === env) problems.push(`${env}: service binding ${s.binding} to itself`);
      else edges.push({ from: env, to: target, kind: "service", binding: s.binding });
    }
  }
  return { workers: list, edges, problems };
}

/** A cycle of environments (first repeated at the end), or null. */
export function findCycle({ workers: list, edges }) {
  const out = new Map(list.map((w) => [w.env, []]));
  for (const e of edges) out.get(e.from).push(e.to);
  const state = new Map(); // env -> "open" while on the path, "done" after
  const path = [];
  const visit = (env) => {
    state.set(env, "open");
    path.push(env);
    for (const next of out.get(env)) {
      if (state.get(next) === "open") return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(env, "done");
    return null;
  };
  for (const { env } of list) {
    if (!state.has(env)) {
      const found = visit(env);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The order to deploy in: each Worker after every Worker it binds; among those ready at once, the
 * one first in wrangler.toml. Throws, naming the cycle, when there is none.
 */
export function deployOrder(graph) {
  const cycle = findCycle(graph);
  if (cycle) throw new Error(`binding cycle: ${cycle.join(" → ")}`);
  const order = [];
  const placed = new Set();
  while (order.length < graph.workers.length) {
    const next = graph.workers.find(
      ({ env }) => !placed.has(env) && graph.edges.every((e) => e.from !== env || placed.has(e.to)),
    );
    order.push(next.env);
    placed.add(next.env);
  }
  return order;
}
