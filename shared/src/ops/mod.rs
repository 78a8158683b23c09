//! What hall staff and the ops team do: their credentials and roles, publishing schedules.

pub mod auth;
pub mod schedule;
