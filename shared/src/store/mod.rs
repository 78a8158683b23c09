//! Storage: the records of the system ([`model`]), the traits business logic is written against
//! ([`traits`]), and an in-memory implementation for native tests ([`memory`]).

pub mod memory;
pub mod model;
pub mod traits;

pub use model::*;
pub use traits::*;
