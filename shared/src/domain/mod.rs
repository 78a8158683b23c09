//! Validated domain types: each can only hold a valid value and is parsed once at the edge.
