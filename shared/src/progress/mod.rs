//! After the booking: the application opened at check-in, moved by the processing system's
//! signed events through its state machine, and the certificate it ends in. Used by the
//! `progress` function (reading) and the `ops` function (check-in, events).

pub mod checkin;
pub mod events;
pub mod machine;
pub mod read;
pub mod validity;
pub mod view;
pub mod webhook;

pub use checkin::{check_in, CheckinInput, CheckinOutcome};
pub use events::{apply_event, EventInput, EventRequest};

#[cfg(test)]
mod tests;
