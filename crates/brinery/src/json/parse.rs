//! The parser.
use super::{LoadOptions, Result};
use crate::value::Value;

pub(super) fn parse<'a>(_utf8: &'a [u8], _all_valid: bool, _opts: &LoadOptions) -> Result<Value<'a>> {
    todo!()
}
