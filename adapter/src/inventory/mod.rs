//! The per-(office, date) inventory: the client every function uses ([`DoInventory`], the shared
//! `Inventory` trait over the object's stub) and, in the `objects` build only, the object itself.

mod client;
#[cfg(feature = "inventory-object")]
mod object;

pub use client::DoInventory;
#[cfg(feature = "inventory-object")]
pub use object::Inventory;
