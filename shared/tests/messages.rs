//! The message catalogs against the code: every key the code names exists in every language
//! with the same placeholders, every error code has its default text, and no catalog holds a
//! key nothing uses. Keys are found where the code writes them: `t!("…")` and the message of a
//! `FieldError::new("reason", "…")`, in this crate, the adapter and every function.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use yuyue_shared::i18n::{catalog, placeholders, Lang};
use yuyue_shared::ErrorCode;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "build" || n == "target")
            {
                continue;
            }
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first string literal after each `marker` in `text` that is not the tail of a longer
/// name (`t!(` but not `format!(`). With `skip_first`, the second literal.
fn literals_after<'a>(text: &'a str, marker: &str, skip_first: bool) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let glued = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        rest = &rest[at + marker.len()..];
        if glued {
            continue;
        }
        let mut s = rest;
        let mut take = || -> Option<&'a str> {
            let open = s.find('"')?;
            let after = &s[open + 1..];
            let close = after.find('"')?;
            s = &after[close + 1..];
            Some(&after[..close])
        };
        if skip_first {
            take();
        }
        if let Some(lit) = take() {
            found.push(lit);
        }
    }
    found
}

fn used_keys() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for dir in ["shared/src", "adapter/src", "functions"] {
        sources(&root.join(dir), &mut files);
    }
    let mut keys = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        // The macro's own definition and documentation name no key.
        if file.ends_with("i18n/mod.rs") {
            continue;
        }
        for key in literals_after(&text, "t!(", false) {
            keys.insert(key.to_owned());
        }
        for key in literals_after(&text, "FieldError::new(", true) {
            keys.insert(key.to_owned());
        }
    }
    for code in ErrorCode::ALL {
        keys.insert(code.message_key().to_owned());
    }
    keys
}

#[test]
fn every_key_the_code_uses_is_in_every_catalog_and_nothing_else_is() {
    let used = used_keys();
    assert!(
        used.len() > 100,
        "found only {} keys: is the scan broken?",
        used.len()
    );
    for lang in Lang::ALL {
        let have: BTreeSet<String> = catalog(lang).keys().cloned().collect();
        let missing: Vec<_> = used.difference(&have).collect();
        assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
        let unused: Vec<_> = have.difference(&used).collect();
        assert!(
            unused.is_empty(),
            "{lang:?} has keys no code uses: {unused:?}"
        );
    }
}

#[test]
fn translations_keep_the_placeholders_and_are_written_in_their_language() {
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for (key, zh) in catalog(Lang::Zh) {
        let en = &catalog(Lang::En)[key];
        let mut a = placeholders(zh);
        let mut b = placeholders(en);
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "{key}: {zh} / {en}");
        assert!(han(zh), "{key} is not Chinese: {zh}");
        assert!(
            !han(en) && !en.trim().is_empty(),
            "{key} is not English: {en}"
        );
    }
}

#[test]
fn every_error_code_has_its_own_text_in_both_languages() {
    for code in ErrorCode::ALL {
        for lang in Lang::ALL {
            let text = code.default_message().render(lang);
            assert_ne!(text, code.message_key(), "{code} in {lang:?}");
        }
    }
}
