//! A notice written as a message: the template fields of each kind, within WeChat's limits for
//! subscribe-message values (`thing` at most 20 characters, `phrase` at most 5 Chinese
//! characters, `character_string` at most 32 letters, digits and symbols, `time` a date and
//! time), so a message is never refused for its shape (errcode 47003).

use super::{Notice, NoticeFacts, NoticeKind};
use crate::domain::mask::mask_name;
use crate::i18n::{Lang, Text};
use crate::store::ApplicationStatus;
use crate::t;
use serde_json::{Map, Value};

/// What the message says things are called.
#[derive(Debug, Clone, PartialEq)]
pub struct Names {
    pub service: String,
    pub office: String,
    /// The applicant, masked (`张*`): the message may be read by a helper.
    pub principal: String,
}

impl Names {
    /// The names in `facts` (the service's in `lang`), falling back to the ids where a
    /// record is gone.
    pub fn of(notice: &Notice, facts: &NoticeFacts, lang: Lang) -> Names {
        Names {
            service: facts.service.as_ref().map_or_else(
                || notice.service.as_str().to_owned(),
                |s| s.name_in(lang).to_owned(),
            ),
            office: facts
                .office
                .as_ref()
                .map_or_else(|| notice.office_id.clone(), |o| o.name.clone()),
            principal: facts
                .applicant
                .as_ref()
                .map_or_else(String::new, |a| mask_name(&a.name)),
        }
    }
}

/// A message ready for a channel: which kind (the channel picks the template), the mini-program
/// page it opens, and the fields by WeChat key.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: NoticeKind,
    pub page: String,
    pub fields: Map<String, Value>,
}

const THING_MAX: usize = 20;
const CHARACTER_STRING_MAX: usize = 32;

/// A `thing` value: at most 20 characters, cut with an ellipsis.
pub fn thing(s: &str) -> String {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_control()).collect();
    if chars.len() <= THING_MAX {
        return chars.into_iter().collect();
    }
    let mut out: String = chars[..THING_MAX - 1].iter().collect();
    out.push('…');
    out
}

/// A `character_string` value: letters, digits and symbols only, at most 32.
pub fn character_string(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(CHARACTER_STRING_MAX)
        .collect()
}

/// The status as a `phrase`: WeChat takes at most 5 Chinese characters and nothing else in
/// one, so it is the Chinese label whatever the account's language.
pub fn phrase(status: ApplicationStatus) -> String {
    status.label().render(Lang::Zh)
}

/// A `time` value: `2026-12-01 09:00~10:00`.
fn when(n: &Notice) -> String {
    match (&n.date, &n.start, &n.end) {
        (Some(d), Some(s), Some(e)) => format!("{d} {s}~{e}"),
        (Some(d), Some(s), None) => format!("{d} {s}"),
        (Some(d), None, _) => format!("{d} 00:00"),
        _ => String::new(),
    }
}

/// The message in `lang`: the names and the fixed text of each kind in that language (a
/// `thing` holds Latin letters as well as Chinese; see [`phrase`] for the one that does not).
pub fn message(n: &Notice, names: &Names, lang: Lang) -> Message {
    let say = |text: Text| thing(&text.render(lang));
    let mut f = Map::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_owned(), Value::String(v));
    };
    let booking_no = character_string(n.booking_no.as_deref().unwrap_or(""));
    let application_no = character_string(n.application_no.as_deref().unwrap_or(""));
    let page = match n.kind {
        NoticeKind::ProgressChanged | NoticeKind::ReadyToCollect => {
            format!("pages/application/application?no={application_no}")
        }
        _ => "pages/bookings/bookings".to_owned(),
    };
    match n.kind {
        NoticeKind::BookingConfirmed => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("time3", when(n));
            put("character_string4", booking_no);
            put("thing5", thing(&names.principal));
        }
        NoticeKind::BookingCancelled => {
            put("thing1", thing(&names.service));
            put("time2", when(n));
            put("character_string3", booking_no);
            put("thing4", say(t!("notify.cancelled")));
        }
        NoticeKind::Reminder => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("time3", when(n));
            put("thing4", say(t!("notify.reminder")));
        }
        NoticeKind::ProgressChanged => {
            put("thing1", thing(&names.service));
            put("character_string2", application_no);
            put("phrase3", n.status.map(phrase).unwrap_or_default());
            put("thing4", thing(&names.principal));
        }
        NoticeKind::ReadyToCollect => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("character_string3", application_no);
            put("thing4", say(t!("notify.ready")));
        }
        NoticeKind::DayClosed => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("time3", when(n));
            put("thing4", say(t!("notify.day_closed")));
        }
        NoticeKind::WaitlistBooked => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("time3", when(n));
            put("character_string4", booking_no);
            put("thing5", say(t!("notify.waitlist_booked")));
        }
        NoticeKind::WaitlistExpired => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("time3", when(n));
            put("thing4", say(t!("notify.waitlist_expired")));
        }
    }
    Message {
        kind: n.kind,
        page,
        fields: f,
    }
}
