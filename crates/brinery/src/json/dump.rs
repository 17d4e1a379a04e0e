//! Walks a value and drives the writer.
use super::{DumpOptions, Result};
use crate::value::Value;

pub(super) fn to_vec(_value: &Value<'_>, _opts: &DumpOptions) -> Result<Vec<u8>> {
    todo!()
}
