//! The message catalogs, one per language, compiled in and parsed once per isolate.

use super::Lang;
use std::collections::HashMap;
use std::sync::OnceLock;

const ZH: &str = include_str!("../../data/messages/zh.json");
const EN: &str = include_str!("../../data/messages/en.json");

/// Key → template for `lang`. The JSON is the crate's own data, checked by its tests, so a
/// parse failure can only be a build that skipped them; it yields an empty catalog (every text
/// then renders as its key) rather than a panic inside a request.
pub fn catalog(lang: Lang) -> &'static HashMap<String, String> {
    static ZH_CATALOG: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN_CATALOG: OnceLock<HashMap<String, String>> = OnceLock::new();
    let (cell, json) = match lang {
        Lang::Zh => (&ZH_CATALOG, ZH),
        Lang::En => (&EN_CATALOG, EN),
    };
    cell.get_or_init(|| serde_json::from_str(json).unwrap_or_default())
}

/// The placeholder names of a template, in order: `{days}` → `days`.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}
