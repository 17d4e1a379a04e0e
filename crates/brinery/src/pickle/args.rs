//! Decoding an opcode's inline argument, driven by the opcode table.

use super::error::{Error, ErrorKind, Result};
use super::input::Input;
use crate::opcodes::{ArgKind, ArgWidth, OpcodeInfo};
use std::borrow::Cow;

/// An opcode's inline argument, decoded only as far as its encoding goes:
/// numbers are numbers, payloads and text lines are raw bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg<'a> {
    /// The opcode has no argument.
    None,
    /// A fixed-width integer (uint1, uint2, int4, uint4; uint8 up to 2**63-1).
    Int(i64),
    /// A uint8 argument of 2**63 or more (only FRAME has one).
    BigUint(u64),
    /// A big-endian double (float8).
    Float(f64),
    /// A length-prefixed payload (longN, stringN, bytesN, bytearray8, unicodestringN).
    Data(Cow<'a, [u8]>),
    /// A line of text without its `\n`.
    Line(Cow<'a, [u8]>),
    /// Two lines (module and name for GLOBAL and INST).
    Pair(Cow<'a, [u8]>, Cow<'a, [u8]>),
}

impl<'a> Arg<'a> {
    /// The integer, for fixed-width integer arguments.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Arg::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// Reads the argument of `info` from `input`. Always inlined: the machine
/// calls it where the opcode is a constant, so the dispatch on the argument
/// kind folds away.
#[inline(always)]
pub(crate) fn read_arg<'a, I: Input<'a>>(info: &OpcodeInfo, input: &mut I) -> Result<Arg<'a>> {
    let Some(kind) = info.arg else {
        return Ok(Arg::None);
    };
    let name = info.name;
    Ok(match kind {
        ArgKind::Uint1 | ArgKind::Uint2 | ArgKind::Int4 | ArgKind::Uint4 => Arg::Int(read_small_int(info, input)?),
        ArgKind::Uint8 => {
            let v = u64::from_le_bytes(input.array(name)?);
            i64::try_from(v).map_or(Arg::BigUint(v), Arg::Int)
        }
        ArgKind::Float8 => Arg::Float(f64::from_be_bytes(input.array(name)?)),
        _ => match kind.width() {
            ArgWidth::Prefixed { .. } => Arg::Data(read_payload(info, input)?),
            ArgWidth::Lines(2) => {
                let first = input.line(name)?;
                Arg::Pair(first, input.line(name)?)
            }
            _ => Arg::Line(input.line(name)?),
        },
    })
}

/// The argument of an opcode whose table entry gives it a uint1, uint2,
/// int4 or uint4 argument, as a plain integer: what [`read_arg`] would wrap
/// in [`Arg::Int`], for the machine's hottest opcodes (BININT*, BINGET,
/// BINPUT), which then build and drop no [`Arg`].
#[inline(always)]
pub(crate) fn read_small_int<'a, I: Input<'a>>(info: &OpcodeInfo, input: &mut I) -> Result<i64> {
    let name = info.name;
    Ok(match info.arg {
        Some(ArgKind::Uint1) => input.array::<1>(name)?[0] as i64,
        Some(ArgKind::Uint2) => u16::from_le_bytes(input.array(name)?) as i64,
        Some(ArgKind::Int4) => i32::from_le_bytes(input.array(name)?) as i64,
        Some(ArgKind::Uint4) => u32::from_le_bytes(input.array(name)?) as i64,
        _ => unreachable!("{name} has no fixed-width integer argument"),
    })
}

/// The payload of an opcode whose table entry gives it a length-prefixed
/// argument: what [`read_arg`] would wrap in [`Arg::Data`].
#[inline(always)]
pub(crate) fn read_payload<'a, I: Input<'a>>(info: &OpcodeInfo, input: &mut I) -> Result<Cow<'a, [u8]>> {
    let name = info.name;
    let Some(ArgWidth::Prefixed { prefix, signed }) = info.arg.map(ArgKind::width) else {
        unreachable!("{name} has no length-prefixed argument")
    };
    let len: i64 = match prefix {
        1 => input.array::<1>(name)?[0] as i64,
        4 if signed => i32::from_le_bytes(input.array(name)?) as i64,
        4 => u32::from_le_bytes(input.array(name)?) as i64,
        _ => {
            let v = u64::from_le_bytes(input.array(name)?);
            i64::try_from(v)
                .map_err(|_| Error::new(ErrorKind::BadArgument(format!("{name} length {v} exceeds 2**63-1"))))?
        }
    };
    if len < 0 {
        return Err(Error::new(ErrorKind::BadArgument(format!("{name} has negative byte count {len}"))));
    }
    input.data(len as u64, name)
}
