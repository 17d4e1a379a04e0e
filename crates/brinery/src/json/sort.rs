//! Sorting keys.
