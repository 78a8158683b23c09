//! The shared crate reads bottom-up: foundations → domain types → rules → storage model and
//! traits → use cases → wire, with the in-memory fake on top. This test reads every source file's
//! paths into the crate (`use crate::…`, `crate::…::` in code, `super::` out of a top module
//! counts as its own module) and fails on an import from a lower layer into a higher one, and on
//! any cycle between the top-level modules. Test code (`#[cfg(test)]` modules and files) may
//! reach anywhere and is not read.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module and its layer; a module missing here fails the test, so a new one
/// has to be placed.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &["error", "i18n", "time", "entropy", "seal", "cache"],
    ),
    ("domain", &["domain"]),
    ("rules", &["rules", "inventory"]),
    ("storage", &["store"]),
    (
        "use cases",
        &[
            "auth",
            "authz",
            "catalog",
            "booking",
            "helper",
            "login",
            "notify",
            "ops",
            "progress",
            "providers",
            "ratelimit",
            "waitlist",
        ],
    ),
    ("wire", &["envelope", "routing", "openapi"]),
    ("fake", &["fake"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without its test module and comments.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") || t.starts_with("#[cfg(any(test") {
            // An inline test module runs to the end of the file; a test module's declaration
            // (`mod tests;`) or a test-only `use` is one line.
            let next = lines.next().unwrap_or("").trim();
            if next.contains("mod ") && next.ends_with('{') {
                break;
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line.split(" //").next().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The top-level modules `code` names through `crate::`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `t` is the i18n macro (`crate::t!`, `use crate::t`), exported at the crate root.
        let module = if name == "t" { "i18n".to_owned() } else { name };
        if !module.is_empty() && module.chars().next().unwrap().is_ascii_lowercase() {
            found.insert(module);
        }
        rest = &after[1..];
    }
    // `use crate::{a, b::c}` groups.
    let mut rest = code;
    while let Some(i) = rest.find("crate::{") {
        let group = &rest[i + "crate::{".len()..];
        let end = group.find("};").unwrap_or(group.len());
        let mut depth = 0;
        let mut word = String::new();
        let mut at_start = true;
        for c in group[..end].chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => at_start = true,
                c if at_start && (c.is_ascii_alphanumeric() || c == '_') => word.push(c),
                _ if at_start && !word.is_empty() => {
                    found.insert(std::mem::take(&mut word));
                    at_start = false;
                }
                _ => {}
            }
        }
        if !word.is_empty() {
            found.insert(word);
        }
        rest = &group[end.min(group.len())..];
    }
    found
}

/// The top-level module of a source file.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (name != "lib").then(|| name.to_owned())
}

fn is_test_file(file: &Path) -> bool {
    let name = file.file_name().unwrap().to_str().unwrap();
    matches!(name, "tests.rs" | "simulation.rs" | "arb.rs")
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let entry = edges.entry(module.clone()).or_default();
        if is_test_file(&file) {
            continue;
        }
        let code = production_code(&fs::read_to_string(&file).unwrap());
        for target in imports(&code) {
            if target != module {
                entry.insert(target);
            }
        }
    }
    edges
}

#[test]
fn every_module_has_a_layer() {
    let unplaced: Vec<_> = graph()
        .keys()
        .filter(|m| layer_of(m).is_none())
        .cloned()
        .collect();
    assert_eq!(unplaced, Vec::<String>::new(), "place these in LAYERS");
}

#[test]
fn no_import_goes_up_a_layer() {
    let mut upward = Vec::new();
    for (from, targets) in graph() {
        let Some(lf) = layer_of(&from) else { continue };
        for to in targets {
            match layer_of(&to) {
                Some(lt) if lt > lf => upward.push(format!(
                    "{from} ({}) imports {to} ({})",
                    LAYERS[lf].0, LAYERS[lt].0
                )),
                None => upward.push(format!("{from} imports {to}, which has no layer")),
                _ => {}
            }
        }
    }
    assert_eq!(upward, Vec::<String>::new());
}

#[test]
fn the_modules_form_no_cycle() {
    let g = graph();
    // Depth-first search for a back edge; reports the cycle it closes.
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_owned());
            cycles.push(cycle.join(" → "));
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_owned());
        for next in g.get(node).into_iter().flatten() {
            visit(g, next, path, done, cycles);
        }
        path.pop();
        done.insert(node.to_owned());
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for node in g.keys() {
        visit(&g, node, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert_eq!(cycles, Vec::<String>::new());
}

#[test]
fn the_reader_finds_imports_in_every_form() {
    let code = production_code(
        "use crate::domain::Phone;\n\
         use crate::{error::ApiError, store::{Users, Bookings}};\n\
         // use crate::ops::x;\n\
         fn f() { crate::rules::limit(); let m = crate::t!(\"k\"); }\n\
         #[cfg(test)]\nmod tests { use crate::fake::MemoryStore; }\n",
    );
    assert_eq!(
        imports(&code).into_iter().collect::<Vec<_>>(),
        ["domain", "error", "i18n", "rules", "store"]
    );
}
