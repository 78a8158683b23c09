//! The one authorization rule, used by every function that takes an `applicant_id`, a
//! `booking_no` or an `application_no`: the caller must be the applicant (their own link, relation
//! `self`) or hold an active link to them. Anything else is `404 NOT_FOUND`, never `403`, so an id
//! that belongs to someone else is indistinguishable from one that does not exist.

use crate::error::{ApiError, ApiResult};
use crate::rules::helpers::guardian_link_active;
use crate::rules::Rules;
use crate::store::{
    Actor, Applicant, ApplicantId, Applicants, Audit, AuditEntry, Consent, Link, LinkStatus,
    Relation, UserId,
};
use crate::time::Instant;
use chrono::NaiveDate;

/// Whether `link` gives its helper rights on `today`. A guardian link made for a child without
/// the child's consent follows the rules' minor-link policy once the child comes of age.
pub fn link_gives_rights(
    link: &Link,
    applicant: &Applicant,
    rules: &Rules,
    today: NaiveDate,
) -> bool {
    if link.status != LinkStatus::Active {
        return false;
    }
    match (link.consent, applicant.birth_date) {
        (Consent::Guardian, Some(birth)) => guardian_link_active(rules, birth, today),
        // A guardian link always rests on a known birth date; without one it cannot stand.
        (Consent::Guardian, None) => false,
        _ => true,
    }
}

/// An applicant the caller may act for, with the link that gives the right.
#[derive(Debug, Clone, PartialEq)]
pub struct Acting {
    pub applicant: Applicant,
    pub link: Link,
}

impl Acting {
    /// Whether the caller acts for someone else (a helper), not for themself.
    pub fn on_behalf(&self) -> bool {
        self.link.relation != Relation::Own
    }
}

/// The applicant and the caller's link to them, if `caller` may act for them; `NOT_FOUND`
/// otherwise.
pub async fn authorize<S: Applicants>(
    store: &S,
    caller: &UserId,
    applicant: &ApplicantId,
    rules: &Rules,
    today: NaiveDate,
) -> ApiResult<Acting> {
    authorize_with(
        store.link(caller, applicant).await?,
        store.applicant(applicant).await?,
        rules,
        today,
    )
}

/// The same rule over a link and an applicant already read.
pub fn authorize_with(
    link: Option<Link>,
    applicant: Option<Applicant>,
    rules: &Rules,
    today: NaiveDate,
) -> ApiResult<Acting> {
    match (link, applicant) {
        (Some(link), Some(a)) if link_gives_rights(&link, &a, rules, today) => {
            Ok(Acting { applicant: a, link })
        }
        _ => Err(ApiError::not_found()),
    }
}

/// The applicant, if `caller` may act for them; `NOT_FOUND` otherwise.
pub async fn authorize_applicant<S: Applicants>(
    store: &S,
    caller: &UserId,
    applicant: &ApplicantId,
    rules: &Rules,
    today: NaiveDate,
) -> ApiResult<Applicant> {
    Ok(authorize(store, caller, applicant, rules, today)
        .await?
        .applicant)
}

/// Every applicant `caller` may act for today (themself first when bound).
pub async fn acting_for_all<S: Applicants>(
    store: &S,
    caller: &UserId,
    rules: &Rules,
    today: NaiveDate,
) -> ApiResult<Vec<Acting>> {
    let mut out = Vec::new();
    let mut links = store.links_of_helper(caller).await?;
    links.sort_by_key(|l| (l.consent != Consent::Own, l.created_at));
    for link in links {
        if let Some(a) = store.applicant(&link.applicant).await? {
            if link_gives_rights(&link, &a, rules, today) {
                out.push(Acting { applicant: a, link });
            }
        }
    }
    Ok(out)
}

/// What a list endpoint's `?applicant_id=` covers: that applicant if given (and the caller may
/// act for them, else `NOT_FOUND`), otherwise everyone the caller may act for.
pub async fn acting_for<S: Applicants>(
    store: &S,
    caller: &UserId,
    filter: Option<&str>,
    rules: &Rules,
    today: NaiveDate,
) -> ApiResult<Vec<Acting>> {
    match filter.filter(|f| !f.is_empty()) {
        Some(raw) => {
            let id = ApplicantId::parse(raw).map_err(|e| e.at("applicant_id"))?;
            Ok(vec![authorize(store, caller, &id, rules, today).await?])
        }
        None => acting_for_all(store, caller, rules, today).await,
    }
}

/// A helper's look at principals' data is itself something done for them: one audit entry per
/// principal covered (`action` e.g. `bookings.view`). Reading one's own data records nothing.
pub async fn record_views<S: Audit>(
    store: &S,
    caller: &UserId,
    acting: &[Acting],
    action: &str,
    target: Option<&str>,
    request_id: &str,
    now: Instant,
) -> ApiResult<()> {
    let entries: Vec<AuditEntry> = acting
        .iter()
        .filter(|a| a.on_behalf())
        .map(|a| AuditEntry {
            actor: Actor::User(caller.clone()),
            subject: a.applicant.id.clone(),
            action: action.to_owned(),
            target: target.map(str::to_owned),
            request_id: request_id.to_owned(),
            at: now,
        })
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    store.record_all(&entries).await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{DocumentKind, PersonName};
    use crate::fake::{block_on, MemoryStore};
    use crate::store::StoredDocument;
    use crate::time::{at, Instant};
    use chrono::NaiveTime;

    pub fn t0() -> Instant {
        at(
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        )
    }

    pub fn applicant(id: &str, birth: Option<NaiveDate>) -> Applicant {
        Applicant {
            id: ApplicantId::parse(id).unwrap(),
            name: PersonName::parse("张三").unwrap(),
            name_zh: None,
            document: StoredDocument {
                kind: DocumentKind::IdCard,
                hash: format!("hash-{id}"),
                masked: "1101**********0011".into(),
                sealed: "sealed".into(),
                nationality: None,
            },
            birth_date: birth,
            created_at: t0(),
        }
    }

    pub fn link(helper: &str, applicant: &str, status: LinkStatus, consent: Consent) -> Link {
        Link {
            helper: UserId::parse(helper).unwrap(),
            applicant: ApplicantId::parse(applicant).unwrap(),
            relation: if consent == Consent::Own {
                Relation::Own
            } else {
                Relation::Parent
            },
            status,
            consent,
            invitation_hash: None,
            invitation_expires_at: None,
            created_at: t0(),
            updated_at: t0(),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn only_active_links_authorize_and_strangers_get_not_found() {
        let s = MemoryStore::new();
        block_on(async {
            s.create_applicant(&applicant("a-self", Some(d(1980, 1, 1))))
                .await
                .unwrap();
            s.create_applicant(&applicant("a-mum", Some(d(1950, 1, 1))))
                .await
                .unwrap();
            s.create_applicant(&applicant("a-pending", Some(d(1950, 1, 1))))
                .await
                .unwrap();
            s.put_link(&link("u1", "a-self", LinkStatus::Active, Consent::Own))
                .await
                .unwrap();
            s.put_link(&link(
                "u1",
                "a-mum",
                LinkStatus::Active,
                Consent::FaceVerified,
            ))
            .await
            .unwrap();
            s.put_link(&link("u1", "a-pending", LinkStatus::Pending, Consent::None))
                .await
                .unwrap();
            let r = Rules::default();
            let today = d(2026, 11, 21);
            let me = UserId::parse("u1").unwrap();
            assert!(authorize_applicant(
                &s,
                &me,
                &ApplicantId::parse("a-self").unwrap(),
                &r,
                today
            )
            .await
            .is_ok());
            assert!(
                authorize_applicant(&s, &me, &ApplicantId::parse("a-mum").unwrap(), &r, today)
                    .await
                    .is_ok()
            );
            for other in ["a-pending", "a-nobody"] {
                let err =
                    authorize_applicant(&s, &me, &ApplicantId::parse(other).unwrap(), &r, today)
                        .await
                        .unwrap_err();
                assert_eq!(err.code, crate::ErrorCode::NotFound);
            }
            let stranger = UserId::parse("u2").unwrap();
            let err = authorize_applicant(
                &s,
                &stranger,
                &ApplicantId::parse("a-self").unwrap(),
                &r,
                today,
            )
            .await
            .unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::NotFound);
            let all = acting_for_all(&s, &me, &r, today).await.unwrap();
            let ids: Vec<_> = all.iter().map(|a| a.applicant.id.as_str()).collect();
            assert_eq!(ids, ["a-self", "a-mum"]);
        });
    }

    #[test]
    fn a_guardian_link_lapses_when_the_child_turns_16() {
        let r = Rules::default();
        let child = applicant("a-kid", Some(d(2010, 11, 22)));
        let l = link("u1", "a-kid", LinkStatus::Active, Consent::Guardian);
        assert!(link_gives_rights(&l, &child, &r, d(2026, 11, 21)));
        assert!(!link_gives_rights(&l, &child, &r, d(2026, 11, 22)));
        let mut continuing = r.clone();
        continuing.helpers.minor_link_policy = crate::rules::MinorLinkPolicy::Continue;
        assert!(link_gives_rights(&l, &child, &continuing, d(2026, 11, 22)));
        let revoked = link("u1", "a-kid", LinkStatus::Revoked, Consent::Guardian);
        assert!(!link_gives_rights(&revoked, &child, &r, d(2026, 11, 21)));
    }
}
