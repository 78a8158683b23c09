//! Storage: the records of the system ([`model`]) and the traits business logic is written
//! against ([`traits`]); their in-memory implementation for native tests is `crate::fake`.

pub mod model;
pub mod traits;

pub use model::*;
pub use traits::*;
