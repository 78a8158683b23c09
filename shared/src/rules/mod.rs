//! Business rules held as data: a versioned config with defaults, changeable by ops.
