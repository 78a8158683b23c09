//! Every text a user reads, in Chinese and English. Code names a text by key ([`Text`], built
//! with [`t!`]); the words live in one catalog per language (`shared/data/messages/*.json`), so
//! a translation is data and `tests/messages.rs` can check that each key exists in both. The
//! text is rendered in the caller's [`Lang`] only when the answer is written.
//!
//! This module is the bottom layer of the crate: it imports nothing of it.

mod catalog;
mod lang;
mod text;

pub use catalog::{catalog, placeholders};
pub use lang::Lang;
pub use text::{Arg, Text};

/// `t!("key")` or `t!("key", name = value, …)`: a [`Text`] with its arguments. Every key the
/// code uses is written through this macro (or a `FieldError`), which is what the catalog test
/// reads.
#[macro_export]
macro_rules! t {
    ($key:literal) => {
        $crate::i18n::Text::new($key)
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::Text::new($key)$(.arg(stringify!($name), $value))+
    };
}
