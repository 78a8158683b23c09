//! What the system of record holds. Values here were validated on the way in (they are built
//! from the domain types), so storage implementations only move them.

use crate::domain::{
    ApplicationNo, BookingNo, DocumentKind, OfficeId, PeriodId, PersonName, Phone, ServiceId,
};
use crate::i18n::{Lang, Text};
use crate::t;
use crate::time::Instant;
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

pub use crate::domain::{ApplicantId, SessionId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Wechat,
    Alipay,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Wechat => "wechat",
            Platform::Alipay => "alipay",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub platform: Platform,
    pub openid: String,
    pub unionid: Option<String>,
    pub phone: Option<Phone>,
    /// The user's own applicant record, once real-name binding succeeded.
    pub applicant_id: Option<ApplicantId>,
    /// The language of the last sign-in: what messages to this account are written in.
    pub lang: Lang,
    pub created_at: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    /// Every rotation stays in the family; reusing a rotated token revokes the family.
    pub family: SessionId,
    /// A SHA-256 of the refresh token; the token itself is never stored. It holds 256 random
    /// bits, so an unkeyed hash is as safe as a keyed one (`auth::refresh`).
    pub refresh_hash: String,
    pub expires_at: Instant,
    pub rotated_at: Option<Instant>,
    pub revoked_at: Option<Instant>,
    pub created_at: Instant,
}

/// A person's identity document as stored: a keyed hash to find and deduplicate it, the masked
/// form to show, and the whole number sealed (encrypted) for the rare place that needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDocument {
    pub kind: DocumentKind,
    pub hash: String,
    pub masked: String,
    pub sealed: String,
    pub nationality: Option<String>,
}

/// A stored document as responses show it: its kind, the masked number, a passport's
/// nationality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentView {
    #[serde(rename = "type")]
    pub kind: DocumentKind,
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
}

impl StoredDocument {
    pub fn view(&self) -> DocumentView {
        DocumentView {
            kind: self.kind,
            number: self.masked.clone(),
            nationality: self.nationality.clone(),
        }
    }

    /// The masked number under the contract's `id_number`, for a resident ID card only.
    pub fn masked_id_number(&self) -> Option<&str> {
        (self.kind == DocumentKind::IdCard).then_some(self.masked.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Applicant {
    pub id: ApplicantId,
    /// As the document prints it: Han characters for a resident, Latin letters for a foreigner.
    pub name: PersonName,
    /// A foreigner's Chinese name, where they gave one beside the name in their passport.
    pub name_zh: Option<PersonName>,
    pub document: StoredDocument,
    /// In the number of a resident ID or a permanent residence card; for a passport holder
    /// only where a helper gave it (a child); used for the guardian rules.
    pub birth_date: Option<NaiveDate>,
    pub created_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityOutcome {
    Bound,
    VerificationFailed,
    /// The document is already the identity of another account of the same platform.
    AlreadyBoundElsewhere,
    /// The account is bound to another document, or the name differs from the one on record.
    Mismatch,
}

impl IdentityOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityOutcome::Bound => "bound",
            IdentityOutcome::VerificationFailed => "verification_failed",
            IdentityOutcome::AlreadyBoundElsewhere => "already_bound_elsewhere",
            IdentityOutcome::Mismatch => "mismatch",
        }
    }
}

/// One real-name binding attempt. Only the document's keyed hash is kept, never the number.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttempt {
    pub user_id: UserId,
    pub doc_hash: String,
    pub outcome: IdentityOutcome,
    pub request_id: String,
    pub at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    #[serde(rename = "self")]
    Own,
    Parent,
    Child,
    Spouse,
    Grandparent,
    Grandchild,
    Sibling,
    Guardian,
    Relative,
}

impl Relation {
    /// The serde name, which the schema's CHECK spells too.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Own => "self",
            Relation::Parent => "parent",
            Relation::Child => "child",
            Relation::Spouse => "spouse",
            Relation::Grandparent => "grandparent",
            Relation::Grandchild => "grandchild",
            Relation::Sibling => "sibling",
            Relation::Guardian => "guardian",
            Relation::Relative => "relative",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Pending,
    Active,
    Revoked,
}

/// How the principal agreed to the link. `Guardian` links were made for a minor without the
/// minor's consent and follow the rules' minor-link policy when the child grows up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    Own,
    Guardian,
    FaceVerified,
    Invitation,
    None,
}

/// A user's right to act for an applicant. A user's own identity is a link with relation `self`,
/// so one rule authorizes both.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub helper: UserId,
    pub applicant: ApplicantId,
    pub relation: Relation,
    pub status: LinkStatus,
    pub consent: Consent,
    /// Keyed hash of the pending invitation's code, and when it stops being valid.
    pub invitation_hash: Option<String>,
    pub invitation_expires_at: Option<Instant>,
    pub created_at: Instant,
    pub updated_at: Instant,
}

impl Link {
    /// Whether the link counts toward the helper limits at `at`: active, or pending with an
    /// invitation that can still be accepted. The D1 store's SQL spells the same rule.
    pub fn is_live(&self, at: Instant) -> bool {
        match self.status {
            LinkStatus::Active => true,
            LinkStatus::Pending => self.invitation_expires_at.is_none_or(|e| e > at),
            LinkStatus::Revoked => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Booked,
    Cancelled,
    CheckedIn,
    NoShow,
}

impl BookingStatus {
    /// Whether a booking in this status keeps its place: all but a cancelled one (a no-show's
    /// period is past, its place was used up).
    pub fn holds_place(self) -> bool {
        self != BookingStatus::Cancelled
    }

    /// The status as people read it: `已预约` / `Booked`.
    pub fn label(self) -> Text {
        match self {
            BookingStatus::Booked => t!("status.booking.booked"),
            BookingStatus::Cancelled => t!("status.booking.cancelled"),
            BookingStatus::CheckedIn => t!("status.booking.checked_in"),
            BookingStatus::NoShow => t!("status.booking.no_show"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Booked => "booked",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::CheckedIn => "checked_in",
            BookingStatus::NoShow => "no_show",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Pickup {
    Collect,
    Mail { address: String },
}

impl Pickup {
    /// As a guide's `pickup_options[].method` and a request's `pickup.method` name it.
    pub fn method(&self) -> &'static str {
        match self {
            Pickup::Collect => "collect",
            Pickup::Mail { .. } => "mail",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub booking_no: BookingNo,
    pub applicant_id: ApplicantId,
    pub booked_by: UserId,
    pub service: ServiceId,
    pub office_id: OfficeId,
    pub date: NaiveDate,
    pub period_id: PeriodId,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub phone: Phone,
    pub pickup: Pickup,
    pub photo_receipt_no: Option<String>,
    pub status: BookingStatus,
    pub created_at: Instant,
    pub cancelled_at: Option<Instant>,
    pub cancelled_by: Option<UserId>,
    pub cancel_reason: Option<String>,
    pub checked_in_at: Option<Instant>,
}

impl Booking {
    /// Whether this booking keeps the place a lapsed hold of its number took in (`office`,
    /// `date`, `period`): the same number sent for another office or period (the same key reused)
    /// does not, nor does a cancelled booking.
    pub fn keeps_place(&self, office: &OfficeId, date: NaiveDate, period: &PeriodId) -> bool {
        self.status.holds_place()
            && &self.office_id == office
            && self.date == date
            && &self.period_id == period
    }
}

/// The first answer to an `Idempotency-Key`, replayed to retries with the same body.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub user_id: UserId,
    pub key: String,
    /// SHA-256 of the canonical request body: a different body under the key is a mismatch.
    pub fingerprint: String,
    pub booking_no: BookingNo,
    pub status: u16,
    pub response: serde_json::Value,
    pub created_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Accepted,
    Reviewing,
    Producing,
    Ready,
    Mailed,
    Collected,
    Rejected,
}

impl ApplicationStatus {
    /// The status as people read it: `已受理` / `Accepted`.
    pub fn label(self) -> Text {
        match self {
            ApplicationStatus::Accepted => t!("status.application.accepted"),
            ApplicationStatus::Reviewing => t!("status.application.reviewing"),
            ApplicationStatus::Producing => t!("status.application.producing"),
            ApplicationStatus::Ready => t!("status.application.ready"),
            ApplicationStatus::Mailed => t!("status.application.mailed"),
            ApplicationStatus::Collected => t!("status.application.collected"),
            ApplicationStatus::Rejected => t!("status.application.rejected"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationEvent {
    pub status: ApplicationStatus,
    #[serde(with = "crate::store::model::instant_rfc3339")]
    pub at: Instant,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub application_no: ApplicationNo,
    pub booking_no: BookingNo,
    pub applicant_id: ApplicantId,
    pub service: ServiceId,
    pub office_id: OfficeId,
    pub status: ApplicationStatus,
    pub timeline: Vec<ApplicationEvent>,
    pub estimated_ready: NaiveDate,
    pub updated_at: Instant,
}

/// An issued certificate the applicant holds.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedDocument {
    pub id: String,
    pub applicant_id: ApplicantId,
    pub service: ServiceId,
    pub number_masked: String,
    pub issued_on: NaiveDate,
    pub valid_until: NaiveDate,
}

/// Who did something: a user, or ops staff (by credential name), or the system itself (cron).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    User(UserId),
    Ops(String),
    System,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub actor: Actor,
    pub subject: ApplicantId,
    pub action: String,
    pub target: Option<String>,
    pub request_id: String,
    pub at: Instant,
}

pub(crate) mod instant_rfc3339 {
    use crate::time::Instant;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::rfc3339(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Instant, D::Error> {
        let raw = String::deserialize(d)?;
        crate::time::instant_from(&raw)
            .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 instant"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct City {
    pub city_id: String,
    pub name: String,
    pub province: String,
}

/// A certificate hall.
#[derive(Debug, Clone, PartialEq)]
pub struct Office {
    pub office_id: OfficeId,
    pub city_id: String,
    pub name: String,
    pub district: String,
    pub address: String,
    pub phone: String,
    pub opening_hours: String,
    pub requires_photo_receipt: bool,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub services: Vec<ServiceId>,
    pub active: bool,
}

/// An office's usual week, from which the release job publishes each day of the booking window.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleTemplate {
    pub office_id: OfficeId,
    /// ISO weekdays, 1 = Monday .. 7 = Sunday.
    pub open_weekdays: Vec<u32>,
    pub periods: Vec<crate::store::PublishedPeriod>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    pub service_id: ServiceId,
    pub name: String,
    /// Empty until the reference data gives it; the Chinese name is shown meanwhile.
    pub name_en: String,
    pub fee_fen: u32,
    pub processing_working_days: u32,
    /// Materials, procedure, pickup options, photo rules: a document ops edits as a whole.
    pub guide: serde_json::Value,
    /// The same document in English (`{}` until given).
    pub guide_en: serde_json::Value,
}

impl ServiceInfo {
    pub fn name_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.name_en.is_empty() => &self.name_en,
            _ => &self.name,
        }
    }

    /// The guide in `lang`, or the Chinese one where no English was given.
    pub fn guide_in(&self, lang: Lang) -> &serde_json::Value {
        match lang {
            Lang::En if self.guide_en.as_object().is_some_and(|g| !g.is_empty()) => &self.guide_en,
            _ => &self.guide,
        }
    }

    /// The terms its guide sets (the Chinese one: the English is its translation).
    pub fn terms(&self) -> ServiceTerms {
        ServiceTerms::of_pickup_options(&self.guide[ServiceTerms::PICKUP_OPTIONS])
    }
}

/// What a booking needs of its service's guide: the pickup methods it offers. A submit reads
/// these alone, not the guides in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTerms {
    /// `pickup_options[].method`, in the guide's order.
    pub pickup_methods: Vec<String>,
}

impl ServiceTerms {
    /// The guide's field that lists how the document may be picked up.
    pub const PICKUP_OPTIONS: &str = "pickup_options";

    /// The terms of a guide's `pickup_options` (`Null` where the guide has none: nothing offered).
    pub fn of_pickup_options(options: &serde_json::Value) -> Self {
        let pickup_methods = options
            .as_array()
            .map(|opts| {
                opts.iter()
                    .filter_map(|o| o["method"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        ServiceTerms { pickup_methods }
    }

    pub fn offers(&self, method: &str) -> bool {
        self.pickup_methods.iter().any(|m| m == method)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitlistStatus {
    Waiting,
    /// Served: its booking (`booking_no`) is in the record.
    Booked,
    /// It can no longer be served: none of its periods can be booked any more, or its booking
    /// was refused when a place came (`reason`).
    Expired,
    /// Left by the applicant or a helper.
    Cancelled,
}

impl WaitlistStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitlistStatus::Waiting => "waiting",
            WaitlistStatus::Booked => "booked",
            WaitlistStatus::Expired => "expired",
            WaitlistStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            WaitlistStatus::Waiting,
            WaitlistStatus::Booked,
            WaitlistStatus::Expired,
            WaitlistStatus::Cancelled,
        ]
        .into_iter()
        .find(|w| w.as_str() == s)
    }

    pub fn label(self) -> Text {
        match self {
            WaitlistStatus::Waiting => t!("status.waitlist.waiting"),
            WaitlistStatus::Booked => t!("status.waitlist.booked"),
            WaitlistStatus::Expired => t!("status.waitlist.expired"),
            WaitlistStatus::Cancelled => t!("status.waitlist.cancelled"),
        }
    }
}

/// A waitlist entry (候补) as the record keeps it: what its booking will be, for which periods.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitlistEntry {
    pub id: crate::domain::WaitlistId,
    pub applicant_id: ApplicantId,
    pub joined_by: UserId,
    pub service: ServiceId,
    pub office_id: OfficeId,
    pub date: NaiveDate,
    pub period_ids: Vec<PeriodId>,
    pub phone: Phone,
    pub pickup: Pickup,
    pub photo_receipt_no: Option<String>,
    /// The number its booking gets when it is served.
    pub booking_no: BookingNo,
    /// Of the normalised request, for the `Idempotency-Key` it was joined under.
    pub fingerprint: String,
    pub status: WaitlistStatus,
    /// Why it expired: `no_longer_bookable`, or the code that refused its booking.
    pub reason: Option<String>,
    pub created_at: Instant,
    pub updated_at: Instant,
}
