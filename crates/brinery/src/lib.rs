//! # brinery
//!
//! Python's `pickle` and `json`, rebuilt in Rust. The loader reads every pickle
//! CPython writes (protocols 0–5, all 68 opcodes) into an inert [`Value`] and
//! never executes anything; the writer produces the bytes CPython's C pickler
//! would.
//!
//! ```
//! use brinery::{pickle, Value};
//!
//! // What `pickle.dumps({'a': [1, 2]}, protocol=2)` gives in Python:
//! let bytes = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02es.";
//! let value = pickle::loads(bytes, &pickle::LoadOptions::default()).unwrap();
//! assert_eq!(value.to_string(), "{'a': [1, 2]}");
//! assert_eq!(pickle::dumps(&value, &pickle::DumpOptions::protocol(2)).unwrap(), bytes);
//! ```
#![warn(missing_docs)]

pub mod float_repr;
pub mod json;
pub mod jsonpickle;
pub mod opcodes;
pub mod pickle;
pub mod serde;
mod short_copy;
pub mod size_hint;
mod stack;
pub mod utf8;
pub mod value;
pub mod view;

pub use value::{Bytes, Int, Str, Value};
