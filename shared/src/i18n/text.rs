//! A text named by key, with the values it shows, rendered in one language when it is sent.

use super::catalog::catalog;
use super::Lang;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// A value a text shows. Dates and durations are kept typed so that each language writes them
/// its own way (`5月30日` / `30 May`).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Str(String),
    Int(i64),
    Date(NaiveDate),
    /// A local (Asia/Shanghai) date and time, shown without the year.
    DateTime(NaiveDateTime),
    Minutes(u32),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Str(s.clone())
    }
}

macro_rules! int_arg {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Arg {
            fn from(n: $ty) -> Self {
                Arg::Int(i64::from(n))
            }
        }
    )*};
}
int_arg!(u8, u16, u32, i32, i64);

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<NaiveDate> for Arg {
    fn from(d: NaiveDate) -> Self {
        Arg::Date(d)
    }
}

impl From<NaiveDateTime> for Arg {
    fn from(d: NaiveDateTime) -> Self {
        Arg::DateTime(d)
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Arg {
    fn render(&self, lang: Lang, out: &mut String) {
        use std::fmt::Write as _;
        let _ = match (self, lang) {
            (Arg::Str(s), _) => write!(out, "{s}"),
            (Arg::Int(n), _) => write!(out, "{n}"),
            (Arg::Date(d), Lang::Zh) => write!(out, "{}年{}月{}日", d.year(), d.month(), d.day()),
            (Arg::Date(d), Lang::En) => {
                write!(
                    out,
                    "{} {} {}",
                    d.day(),
                    MONTHS[d.month0() as usize],
                    d.year()
                )
            }
            (Arg::DateTime(t), Lang::Zh) => write!(
                out,
                "{}月{}日 {:02}:{:02}",
                t.month(),
                t.day(),
                t.hour(),
                t.minute()
            ),
            (Arg::DateTime(t), Lang::En) => write!(
                out,
                "{} {} {:02}:{:02}",
                t.day(),
                MONTHS[t.month0() as usize],
                t.hour(),
                t.minute()
            ),
            (Arg::Minutes(m), Lang::Zh) if m % 60 == 0 => write!(out, "{}小时", m / 60),
            (Arg::Minutes(m), Lang::Zh) => write!(out, "{m}分钟"),
            (Arg::Minutes(m), Lang::En) if m % 60 == 0 => {
                let h = m / 60;
                write!(out, "{h} hour{}", if h == 1 { "" } else { "s" })
            }
            (Arg::Minutes(m), Lang::En) => {
                write!(out, "{m} minute{}", if *m == 1 { "" } else { "s" })
            }
        };
    }
}

/// A user-facing text: a catalog key and the values its placeholders (`{name}`) show.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    key: &'static str,
    args: Vec<(&'static str, Arg)>,
}

impl Text {
    pub fn new(key: &'static str) -> Self {
        Text {
            key,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The text in `lang`. A key missing from that catalog (which the catalog test rules out)
    /// falls back to Chinese, then to the key itself, so an answer is never left without one.
    pub fn render(&self, lang: Lang) -> String {
        let template = catalog(lang)
            .get(self.key)
            .or_else(|| catalog(Lang::Zh).get(self.key))
            .map_or(self.key, |s| s.as_str());
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let name = &after[..close];
                    match self.args.iter().find(|(n, _)| *n == name) {
                        Some((_, value)) => value.render(lang, &mut out),
                        None => {
                            out.push('{');
                            out.push_str(name);
                            out.push('}');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_their_values_in_each_language() {
        let text = Text::new("window.too_soon").arg("days", 2u32);
        assert_eq!(text.render(Lang::Zh), "需至少提前2天预约");
        assert_eq!(text.render(Lang::En), "Please book at least 2 days ahead.");
    }

    #[test]
    fn dates_and_durations_are_written_per_language() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 30).unwrap();
        let mut zh = String::new();
        Arg::Date(d).render(Lang::Zh, &mut zh);
        let mut en = String::new();
        Arg::Date(d).render(Lang::En, &mut en);
        assert_eq!((zh.as_str(), en.as_str()), ("2026年5月30日", "30 May 2026"));
        let t = d.and_hms_opt(9, 5, 0).unwrap();
        let mut zh = String::new();
        Arg::DateTime(t).render(Lang::Zh, &mut zh);
        let mut en = String::new();
        Arg::DateTime(t).render(Lang::En, &mut en);
        assert_eq!(
            (zh.as_str(), en.as_str()),
            ("5月30日 09:05", "30 May 09:05")
        );
        for (m, zh, en) in [
            (120, "2小时", "2 hours"),
            (60, "1小时", "1 hour"),
            (30, "30分钟", "30 minutes"),
            (1, "1分钟", "1 minute"),
        ] {
            let (mut a, mut b) = (String::new(), String::new());
            Arg::Minutes(m).render(Lang::Zh, &mut a);
            Arg::Minutes(m).render(Lang::En, &mut b);
            assert_eq!((a.as_str(), b.as_str()), (zh, en));
        }
    }

    #[test]
    fn an_unknown_key_renders_as_itself_and_a_missing_value_stays_visible() {
        assert_eq!(Text::new("no.such.key").render(Lang::En), "no.such.key");
        assert_eq!(
            Text::new("window.too_soon").render(Lang::Zh),
            "需至少提前{days}天预约"
        );
    }
}
