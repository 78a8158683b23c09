//! The life of an application after check-in, as the processing system reports it:
//!
//! ```text
//! accepted → reviewing → producing → ready  → collected     (pickup at the office)
//!                                  → mailed → collected     (mailed; collected = delivered)
//! accepted | reviewing | producing → rejected (with the reason)
//! ```
//!
//! `ready` and `mailed` are not interchangeable: which one follows `producing` is decided by the
//! pickup method chosen at booking, so an office cannot announce "ready for pickup" for a
//! certificate that is being posted.

use crate::error::{ApiError, ApiResult};
use crate::store::{ApplicationStatus, Pickup};
use crate::t;

/// How the certificate reaches the applicant, from the booking's pickup choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Collect,
    Mail,
}

impl From<&Pickup> for Delivery {
    fn from(p: &Pickup) -> Self {
        match p {
            Pickup::Collect => Delivery::Collect,
            Pickup::Mail { .. } => Delivery::Mail,
        }
    }
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 7] = [
        ApplicationStatus::Accepted,
        ApplicationStatus::Reviewing,
        ApplicationStatus::Producing,
        ApplicationStatus::Ready,
        ApplicationStatus::Mailed,
        ApplicationStatus::Collected,
        ApplicationStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Accepted => "accepted",
            ApplicationStatus::Reviewing => "reviewing",
            ApplicationStatus::Producing => "producing",
            ApplicationStatus::Ready => "ready",
            ApplicationStatus::Mailed => "mailed",
            ApplicationStatus::Collected => "collected",
            ApplicationStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> ApiResult<Self> {
        ApplicationStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| ApiError::invalid("status", t!("progress.bad_status")))
    }

    /// No event moves it any further.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Collected | ApplicationStatus::Rejected
        )
    }
}

/// Whether an application in `from` may move to `to`, given how it is delivered.
pub fn may_move(from: ApplicationStatus, to: ApplicationStatus, delivery: Delivery) -> bool {
    use ApplicationStatus::*;
    match (from, to) {
        (Accepted, Reviewing) | (Reviewing, Producing) => true,
        (Producing, Ready) => delivery == Delivery::Collect,
        (Producing, Mailed) => delivery == Delivery::Mail,
        (Ready, Collected) | (Mailed, Collected) => true,
        (Accepted | Reviewing | Producing, Rejected) => true,
        _ => false,
    }
}

/// The certificate changes hands at this status: collected at the office, or handed to the post.
/// The document is recorded then, once.
pub fn issues_document(to: ApplicationStatus, delivery: Delivery) -> bool {
    match delivery {
        Delivery::Collect => to == ApplicationStatus::Collected,
        Delivery::Mail => to == ApplicationStatus::Mailed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus::*;

    #[test]
    fn the_happy_paths_for_each_delivery() {
        for (delivery, path) in [
            (
                Delivery::Collect,
                [Accepted, Reviewing, Producing, Ready, Collected],
            ),
            (
                Delivery::Mail,
                [Accepted, Reviewing, Producing, Mailed, Collected],
            ),
        ] {
            for w in path.windows(2) {
                assert!(may_move(w[0], w[1], delivery), "{:?} → {:?}", w[0], w[1]);
            }
        }
    }

    #[test]
    fn ready_is_for_collection_and_mailed_for_post() {
        assert!(!may_move(Producing, Mailed, Delivery::Collect));
        assert!(!may_move(Producing, Ready, Delivery::Mail));
    }

    #[test]
    fn rejection_only_before_the_certificate_exists() {
        for from in [Accepted, Reviewing, Producing] {
            assert!(may_move(from, Rejected, Delivery::Collect));
        }
        for from in [Ready, Mailed, Collected, Rejected] {
            assert!(!may_move(from, Rejected, Delivery::Mail));
        }
    }

    #[test]
    fn no_skipping_no_going_back_nothing_after_the_end_nothing_into_accepted() {
        let allowed = [
            (Accepted, Reviewing),
            (Reviewing, Producing),
            (Producing, Ready),
            (Producing, Mailed),
            (Ready, Collected),
            (Mailed, Collected),
            (Accepted, Rejected),
            (Reviewing, Rejected),
            (Producing, Rejected),
        ];
        for from in ApplicationStatus::ALL {
            for to in ApplicationStatus::ALL {
                let either =
                    may_move(from, to, Delivery::Collect) || may_move(from, to, Delivery::Mail);
                assert_eq!(either, allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
            if from.is_final() {
                assert!(ApplicationStatus::ALL.iter().all(|to| !may_move(
                    from,
                    *to,
                    Delivery::Mail
                )));
            }
        }
    }

    #[test]
    fn the_document_is_issued_once_at_handover() {
        let issued = |d| {
            ApplicationStatus::ALL
                .into_iter()
                .filter(|s| issues_document(*s, d))
                .collect::<Vec<_>>()
        };
        assert_eq!(issued(Delivery::Collect), [Collected]);
        assert_eq!(issued(Delivery::Mail), [Mailed]);
    }

    #[test]
    fn statuses_parse_exactly_and_match_serde() {
        for s in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(s.as_str()).unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for bad in ["", "Ready", "done", "ready "] {
            let e = ApplicationStatus::parse(bad).unwrap_err();
            assert_eq!(e.details.unwrap()["field"], "status");
        }
    }
}
