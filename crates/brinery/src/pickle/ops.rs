//! Walking a pickle opcode by opcode without executing it (pickletools' `genops`).

use super::args::{read_arg, Arg};
use super::error::{Error, ErrorKind, Result};
use super::input::{Input, SliceInput};
use crate::opcodes::{Opcode, OpcodeInfo};

/// One opcode of a pickle: where it is, what it is, and its inline argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Op<'a> {
    /// Byte offset of the opcode.
    pub offset: u64,
    /// The opcode's table row.
    pub info: &'static OpcodeInfo,
    /// Its decoded inline argument.
    pub arg: Arg<'a>,
}

/// Iterator over the opcodes of one pickle, ending after STOP. See [`ops`].
pub struct Ops<'a> {
    input: SliceInput<'a>,
    done: bool,
}

/// The opcodes of the pickle at the start of `data`, ending after STOP.
///
/// ```
/// use brinery::pickle::{ops, Arg};
/// let names: Vec<_> = ops(b"\x80\x02K\x05.").map(|op| op.unwrap().info.name).collect();
/// assert_eq!(names, ["PROTO", "BININT1", "STOP"]);
/// let second = ops(b"\x80\x02K\x05.").nth(1).unwrap().unwrap();
/// assert_eq!((second.offset, second.arg), (2, Arg::Int(5)));
/// ```
pub fn ops(data: &[u8]) -> Ops<'_> {
    Ops { input: SliceInput::new(data), done: false }
}

impl<'a> Ops<'a> {
    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<Op<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let offset = self.input.offset();
        let byte = match self.input.next_byte() {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.done = true;
                let kind = if offset == 0 {
                    ErrorKind::Empty
                } else {
                    ErrorKind::Truncated { what: "STOP", needed: 1, available: 0 }
                };
                return Some(Err(Error::at(kind, offset)));
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        let Some(op) = Opcode::from_byte(byte) else {
            self.done = true;
            return Some(Err(Error::at(ErrorKind::UnknownOpcode(byte), offset)));
        };
        let info = op.info();
        match read_arg(info, &mut self.input) {
            Ok(arg) => {
                if op == Opcode::Stop {
                    self.done = true;
                }
                Some(Ok(Op { offset, info, arg }))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e.locate(offset, Some(op))))
            }
        }
    }
}
