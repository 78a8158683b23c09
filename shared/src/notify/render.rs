//! A notice written as a message: the template fields of each kind, within WeChat's limits for
//! subscribe-message values (`thing` at most 20 characters, `phrase` at most 5 Chinese
//! characters, `character_string` at most 32 letters, digits and symbols, `time` a date and
//! time), so a message is never refused for its shape (errcode 47003).

use super::{Notice, NoticeFacts, NoticeKind};
use crate::mask::mask_name;
use crate::store::ApplicationStatus;
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
    /// The names in `facts`, falling back to the ids where a record is gone.
    pub fn of(notice: &Notice, facts: &NoticeFacts) -> Names {
        Names {
            service: facts
                .service
                .as_ref()
                .map_or_else(|| notice.service.as_str().to_owned(), |s| s.name.clone()),
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

/// The status as a `phrase`: at most 5 Chinese characters.
pub fn phrase(status: ApplicationStatus) -> &'static str {
    match status {
        ApplicationStatus::Accepted => "已受理",
        ApplicationStatus::Reviewing => "审核中",
        ApplicationStatus::Producing => "制证中",
        ApplicationStatus::Ready => "待领取",
        ApplicationStatus::Mailed => "已寄出",
        ApplicationStatus::Collected => "已领取",
        ApplicationStatus::Rejected => "未通过",
    }
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

pub fn message(n: &Notice, names: &Names) -> Message {
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
            put("thing4", thing("预约已取消，名额已释放"));
        }
        NoticeKind::Reminder => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("time3", when(n));
            put("thing4", thing("请携带身份证件按时到场"));
        }
        NoticeKind::ProgressChanged => {
            put("thing1", thing(&names.service));
            put("character_string2", application_no);
            put("phrase3", n.status.map_or("", phrase).to_owned());
            put("thing4", thing(&names.principal));
        }
        NoticeKind::ReadyToCollect => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("character_string3", application_no);
            put("thing4", thing("证件已制作完成，请到大厅领取"));
        }
        NoticeKind::DayClosed => {
            put("thing1", thing(&names.service));
            put("thing2", thing(&names.office));
            put("time3", when(n));
            put("thing4", thing("大厅当日暂停办理，预约已取消"));
        }
    }
    Message {
        kind: n.kind,
        page,
        fields: f,
    }
}
