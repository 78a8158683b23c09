//! What office staff and the ops team do: their credentials and roles, publishing schedules.

pub mod admission;
pub mod auth;
pub mod jobs;
pub mod metrics;
pub mod office;
pub mod schedule;

#[cfg(test)]
mod tests;
