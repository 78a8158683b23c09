//! Values built once per isolate from a configuration value (a key set, a seed): building them
//! costs parsing or key derivation, and the value they come from changes only with a deploy. A
//! slot holds the value with the setting it was built from, so another setting rebuilds it.

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::LocalKey;

pub(crate) type Slot<T> = RefCell<Option<(String, Rc<T>)>>;

/// What `slot` holds for `setting`, if it was built from that setting.
pub(crate) fn remembered<T>(slot: &'static LocalKey<Slot<T>>, setting: &str) -> Option<Rc<T>> {
    slot.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(s, _)| s == setting)
            .map(|(_, v)| Rc::clone(v))
    })
}

/// Keeps `value`, built from `setting`, in `slot` and returns it.
pub(crate) fn remember<T>(slot: &'static LocalKey<Slot<T>>, setting: &str, value: T) -> Rc<T> {
    let value = Rc::new(value);
    slot.with(|c| *c.borrow_mut() = Some((setting.to_owned(), Rc::clone(&value))));
    value
}
