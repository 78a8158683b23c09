//! The booking terms (《预约须知》) a user agrees to with `agree_terms`: written from the rules
//! that enforce them, so what the form shows is what a submit, a cancel and the no-show sweep
//! will do, whatever ops set the rules to.

use crate::i18n::{Lang, Text};
use crate::rules::Rules;
use crate::t;
use crate::time::format_hhmm;
use serde_json::{json, Value};

/// `{rules_version, title, items: [{id, text}]}` in `lang`.
pub fn booking_terms(rules: &Rules, lang: Lang) -> Value {
    let b = &rules.booking;
    let c = &rules.cancellation;
    let n = &rules.no_show;
    let mut items: Vec<(&str, Text)> = vec![(
        "window",
        t!(
            "terms.window",
            days = b.days_ahead,
            release = format_hhmm(b.release_time),
            min = b.min_days_ahead
        ),
    )];
    if b.one_active_per_service {
        items.push(("one_active", t!("terms.one_active")));
    }
    items.push((
        "cancellation",
        t!(
            "terms.cancellation",
            minutes = c.cutoff_minutes_before_start,
            window = c.window_days,
            max = c.max_in_window
        ),
    ));
    items.push((
        "no_show",
        t!(
            "terms.no_show",
            window = n.window_days,
            threshold = n.threshold,
            ban = n.ban_days
        ),
    ));
    items.push(("arrive", t!("terms.arrive")));
    items.push(("privacy", t!("terms.privacy")));
    json!({
        "rules_version": rules.version,
        "title": t!("terms.title").render(lang),
        "items": items
            .into_iter()
            .map(|(id, text)| json!({ "id": id, "text": text.render(lang) }))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &Value) -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_terms_say_what_the_rules_enforce_in_either_language() {
        let rules = Rules::default();
        let zh = booking_terms(&rules, Lang::Zh);
        assert_eq!(zh["title"], "预约须知");
        let ids: Vec<&str> = zh["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "window",
                "one_active",
                "cancellation",
                "no_show",
                "arrive",
                "privacy"
            ]
        );
        let zh = texts(&zh);
        assert!(
            zh[0].contains("7天") && zh[0].contains("08:00"),
            "{}",
            zh[0]
        );
        assert!(
            zh[2].contains("120分钟") && zh[2].contains("30天内最多取消3次"),
            "{}",
            zh[2]
        );
        assert!(
            zh[3].contains("90天内") && zh[3].contains("2次"),
            "{}",
            zh[3]
        );
        let en = texts(&booking_terms(&rules, Lang::En));
        assert!(
            en[0].contains("7 days ahead") && en[0].contains("08:00"),
            "{}",
            en[0]
        );
        assert!(en[2].contains("120 minutes"), "{}", en[2]);
        assert!(
            en.iter().all(|t| !t.contains('{')),
            "every placeholder filled: {en:?}"
        );
    }

    #[test]
    fn other_rules_other_terms() {
        let mut rules = Rules::default();
        rules.cancellation.cutoff_minutes_before_start = 45;
        rules.booking.one_active_per_service = false;
        let zh = booking_terms(&rules, Lang::Zh);
        let all = texts(&zh).join("\n");
        assert!(all.contains("45分钟"), "{all}");
        assert!(!all.contains("120分钟"), "{all}");
        assert_eq!(
            zh["items"].as_array().unwrap().len(),
            5,
            "no one-active term"
        );
    }
}
