//! Helpers (亲友帮办): a user acting for relatives who cannot work a phone themselves. A helper
//! adds a principal ([`links::add_applicant`]); the link gives rights only once the principal
//! consented, or at once for a child the helper is parent or guardian of:
//!
//! | principal | how | link |
//! | --- | --- | --- |
//! | under `guardian_consent_free_under_age` (16), relation `child` or `guardian` | directly | `active`, consent `guardian` |
//! | anyone, `verify_token` of the principal's face verification | on the helper's phone, principal present | `active`, consent `face_verified` |
//! | anyone, no `verify_token` | an invitation code, accepted from the principal's own account whose bound identity is that person | `pending` until accepted (`invitation`), expires after `invitation_ttl_hours` |
//!
//! When a child added by a guardian turns 16, the rules' `minor_link_policy` decides: by default
//! (`lapse_at_age`) the link stops giving rights on the birthday and shows as
//! `consent_required`; the guardian adds the child again, which issues an invitation the child
//! accepts from their own account. Bookings made before stay valid and visible to the child.
//!
//! The principal sees and revokes their helpers ([`links::revoke_helper`]); revoking takes effect
//! on the helper's next request, since every request reads the link. Every change, and every
//! action a helper takes for a principal, is in the principal's audit trail
//! ([`view::audit_trail`]).

pub mod links;
pub mod request;
pub mod view;

#[cfg(test)]
mod tests;

pub use links::{
    accept_invitation, add_applicant, remove_applicant, revoke_helper, HelperContext, Written,
};
pub use request::{parse_add, AddApplicant, AddApplicantBody};
