//! Which language a request is answered in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// The contract's default: anything not asking for English is answered in Chinese.
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// From an `Accept-Language` header (RFC 9110 §12.5.4): the supported language with the
    /// highest q-value, the earlier one on a tie. `en` and `en-*` are English, `zh` and `zh-*`
    /// Chinese, `*` the default; q=0 rules a language out. Anything else, or no header, is
    /// Chinese.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Zh;
        };
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let lang = match tag.split('-').next().unwrap_or("") {
                "en" => Lang::En,
                "zh" | "*" => Lang::Zh,
                _ => continue,
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(parse_q))
                .unwrap_or(Some(1000));
            let Some(q) = q.filter(|q| *q > 0) else {
                continue;
            };
            if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }
}

/// A q-value as thousandths (`0.8` → 800); `None` for a malformed one, which drops the item.
fn parse_q(s: &str) -> Option<u16> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    let q = whole + frac;
    (q <= 1000).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn of(h: &str) -> Lang {
        Lang::from_accept_language(Some(h))
    }

    #[test]
    fn english_only_when_asked_for() {
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        for en in [
            "en",
            "EN",
            "en-US",
            "en-GB,en;q=0.9",
            "fr, en;q=0.5",
            "zh;q=0.4, en-AU",
        ] {
            assert_eq!(of(en), Lang::En, "{en}");
        }
        for zh in [
            "",
            "zh-CN",
            "zh-CN,zh;q=0.9,en;q=0.8",
            "fr",
            "de-DE, ja",
            "*",
            "english",
            "eng",
        ] {
            assert_eq!(of(zh), Lang::Zh, "{zh}");
        }
    }

    #[test]
    fn q_values_decide_and_ties_keep_the_first() {
        assert_eq!(of("zh;q=0.5, en;q=0.6"), Lang::En);
        assert_eq!(of("en;q=0.5, zh;q=0.6"), Lang::Zh);
        assert_eq!(of("en, zh"), Lang::En);
        assert_eq!(of("zh, en"), Lang::Zh);
        assert_eq!(of("en;q=0, zh;q=0.1"), Lang::Zh);
        assert_eq!(of("en;q=0"), Lang::Zh);
        assert_eq!(of("en;q=0.001"), Lang::En);
        // A malformed q drops its item rather than guessing.
        assert_eq!(of("en;q=2"), Lang::Zh);
        assert_eq!(of("en;q=abc, zh;q=0.1"), Lang::Zh);
        assert_eq!(of("en-US;q=1.000"), Lang::En);
    }

    proptest! {
        #[test]
        fn any_header_gives_a_language_without_panicking(h in "\\PC{0,80}") {
            let _ = of(&h);
        }

        #[test]
        fn english_first_at_full_weight_wins(rest in "[a-z-]{0,10}(;q=0\\.[0-9]{1,3})?") {
            prop_assert_eq!(of(&format!("en-US, {rest}")), Lang::En);
        }
    }
}
