//! What the machine builds is up to a sink. The machine owns the stack, the
//! marks, the memo, limits and error offsets; the sink owns the objects.
//!
//! The value sink builds [`Value`](crate::Value)s; a Python sink would build
//! real objects; a symbolic sink (the scanner) records what would be imported
//! and called. All share one set of opcode semantics: the machine's.

use super::error::{Error, ErrorKind, Result};
use crate::opcodes::Opcode;
use crate::value::{Int, Str};
use std::borrow::Cow;

/// Receives the effects of each opcode. `Item` is what sits on the stack and
/// in the memo, so it should be cheap to clone.
pub trait Sink<'a> {
    /// A stack/memo entry.
    type Item: Clone;
    /// The final result.
    type Output;

    /// PROTO: the stream declared protocol `proto` (a Python unpickler's
    /// `find_class` maps Python 2 names below protocol 3). Most sinks ignore it.
    fn protocol(&mut self, _proto: u8) {}

    /// NONE.
    fn none(&mut self) -> Self::Item;
    /// NEWTRUE / NEWFALSE / `I01` / `I00`.
    fn bool(&mut self, value: bool) -> Self::Item;
    /// Any int opcode.
    fn int(&mut self, value: Int) -> Self::Item;
    /// BININT1, BININT2, BININT: an int that always fits 32 bits. By default
    /// it goes to [`Sink::int`]; a sink can take it without the [`Int`].
    #[inline]
    fn small_int(&mut self, value: i64) -> Self::Item {
        self.int(Int::from(value))
    }
    /// FLOAT / BINFLOAT.
    fn float(&mut self, value: f64) -> Self::Item;
    /// Any str opcode (already decoded).
    fn str(&mut self, value: Str<'a>) -> Result<Self::Item>;
    /// A BINUNICODE-family payload: UTF-8, lone surrogates allowed
    /// (surrogatepass). By default it is validated into a [`Str`] for
    /// [`Sink::str`]; a sink with its own decoder can take the bytes as they are.
    fn str_utf8(&mut self, data: Cow<'a, [u8]>) -> Result<Self::Item> {
        let s =
            Str::from_surrogatepass(data).map_err(|e| Error::new(ErrorKind::Decode(format!("'utf-8' codec: {e}"))))?;
        self.str(s)
    }
    /// A UNICODE (protocol 0) line, raw-unicode-escape encoded. By default it
    /// is decoded by the engine into a [`Str`] for [`Sink::str`]; a sink with
    /// its own decoder can take the line as it is.
    fn str_raw_unicode_escape(&mut self, line: Cow<'a, [u8]>) -> Result<Self::Item> {
        let s = super::escapes::raw_unicode_escape_decode(&line).map_err(|m| Error::new(ErrorKind::Decode(m)))?;
        self.str(s)
    }
    /// Any bytes opcode.
    fn bytes(&mut self, data: Cow<'a, [u8]>) -> Result<Self::Item>;
    /// A Python 2 string (STRING, BINSTRING, SHORT_BINSTRING) when the load
    /// options say [`StringEncoding::BySink`](super::StringEncoding::BySink);
    /// by default it is kept as bytes.
    fn py2_string(&mut self, raw: Cow<'a, [u8]>) -> Result<Self::Item> {
        self.bytes(raw)
    }
    /// BYTEARRAY8.
    fn bytearray(&mut self, data: Cow<'a, [u8]>) -> Result<Self::Item>;

    /// EMPTY_LIST.
    fn empty_list(&mut self) -> Result<Self::Item>;
    /// EMPTY_DICT.
    fn empty_dict(&mut self) -> Result<Self::Item>;
    /// EMPTY_SET.
    fn empty_set(&mut self) -> Result<Self::Item>;
    /// EMPTY_TUPLE, TUPLE, TUPLE1–3.
    fn tuple<I: Iterator<Item = Self::Item>>(&mut self, items: I) -> Result<Self::Item>;
    /// LIST.
    fn list<I: Iterator<Item = Self::Item>>(&mut self, items: I) -> Result<Self::Item>;
    /// DICT: `items` alternate key, value (an even number).
    fn dict<I: Iterator<Item = Self::Item>>(&mut self, items: I) -> Result<Self::Item>;
    /// FROZENSET.
    fn frozenset<I: Iterator<Item = Self::Item>>(&mut self, items: I) -> Result<Self::Item>;

    /// APPEND / APPENDS onto `target`.
    fn append<I: Iterator<Item = Self::Item>>(&mut self, target: &Self::Item, items: I) -> Result<()>;
    /// SETITEM / SETITEMS onto `target`: `items` alternate key, value (an even number).
    fn set_items<I: Iterator<Item = Self::Item>>(&mut self, target: &Self::Item, items: I) -> Result<()>;
    /// ADDITEMS onto `target`.
    fn add_items<I: Iterator<Item = Self::Item>>(&mut self, target: &Self::Item, items: I) -> Result<()>;

    /// GLOBAL / INST class / EXT, names already mapped by `fix_imports`.
    fn global(&mut self, module: Str<'a>, name: Str<'a>) -> Result<Self::Item>;
    /// The str behind a stack item, for STACK_GLOBAL (`None` if it is not a str).
    fn as_str(&self, item: &Self::Item) -> Option<Str<'a>>;
    /// REDUCE.
    fn reduce(&mut self, callable: Self::Item, args: Self::Item) -> Result<Self::Item>;
    /// NEWOBJ.
    fn new_obj(&mut self, cls: Self::Item, args: Self::Item) -> Result<Self::Item>;
    /// NEWOBJ_EX.
    fn new_obj_ex(&mut self, cls: Self::Item, args: Self::Item, kwargs: Self::Item) -> Result<Self::Item>;
    /// INST: the class (from [`Sink::global`]) and the arguments.
    fn inst(&mut self, cls: Self::Item, args: Vec<Self::Item>) -> Result<Self::Item>;
    /// OBJ.
    fn obj(&mut self, cls: Self::Item, args: Vec<Self::Item>) -> Result<Self::Item>;
    /// BUILD: apply `state` to `target` (which stays on the stack).
    fn build(&mut self, target: &Self::Item, state: Self::Item) -> Result<()>;
    /// PERSID (`text`) / BINPERSID.
    fn persistent_load(&mut self, pid: Self::Item, text: bool) -> Result<Self::Item>;
    /// NEXT_BUFFER: the `index`-th out-of-band buffer.
    fn next_buffer(&mut self, index: usize) -> Result<Self::Item>;
    /// READONLY_BUFFER.
    fn readonly_buffer(&mut self, buffer: Self::Item) -> Result<Self::Item>;

    /// STOP: turn the top of the stack into the result.
    fn finish(&mut self, top: Self::Item) -> Result<Self::Output>;

    /// Called by the machine before it executes each opcode, with the
    /// opcode's byte offset in the input (counted from where the machine
    /// started). Does nothing by default; a sink that reports *where* things
    /// happen (the scanner) records it. It is not called for a byte that is no
    /// opcode (the machine fails there with that offset).
    #[inline]
    fn at_opcode(&mut self, offset: u64, op: Opcode) {
        let _ = (offset, op);
    }

    /// Called by the machine after each opcode it executed: how many input
    /// bytes to skip before the next opcode. 0 by default. This is how a sink
    /// models loaders that read raw data out of the middle of a pickle stream
    /// (joblib writes array bytes right after the BUILD of its
    /// `NumpyArrayWrapper`). Skipping past the end of the input is a
    /// truncation error at the opcode just executed.
    #[inline]
    fn bytes_to_skip(&mut self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickle::{run_sink, LoadOptions};

    /// Builds nothing; records the offset and opcode of every step.
    #[derive(Default)]
    struct Trace(Vec<(u64, &'static str)>);

    impl<'a> Sink<'a> for &mut Trace {
        type Item = Option<Str<'a>>;
        type Output = ();
        fn none(&mut self) -> Self::Item {
            None
        }
        fn bool(&mut self, _: bool) -> Self::Item {
            None
        }
        fn int(&mut self, _: Int) -> Self::Item {
            None
        }
        fn float(&mut self, _: f64) -> Self::Item {
            None
        }
        fn str(&mut self, value: Str<'a>) -> Result<Self::Item> {
            Ok(Some(value))
        }
        fn bytes(&mut self, _: Cow<'a, [u8]>) -> Result<Self::Item> {
            Ok(None)
        }
        fn bytearray(&mut self, _: Cow<'a, [u8]>) -> Result<Self::Item> {
            Ok(None)
        }
        fn empty_list(&mut self) -> Result<Self::Item> {
            Ok(None)
        }
        fn empty_dict(&mut self) -> Result<Self::Item> {
            Ok(None)
        }
        fn empty_set(&mut self) -> Result<Self::Item> {
            Ok(None)
        }
        fn tuple<I: Iterator<Item = Self::Item>>(&mut self, _: I) -> Result<Self::Item> {
            Ok(None)
        }
        fn list<I: Iterator<Item = Self::Item>>(&mut self, _: I) -> Result<Self::Item> {
            Ok(None)
        }
        fn dict<I: Iterator<Item = Self::Item>>(&mut self, _: I) -> Result<Self::Item> {
            Ok(None)
        }
        fn frozenset<I: Iterator<Item = Self::Item>>(&mut self, _: I) -> Result<Self::Item> {
            Ok(None)
        }
        fn append<I: Iterator<Item = Self::Item>>(&mut self, _: &Self::Item, _: I) -> Result<()> {
            Ok(())
        }
        fn set_items<I: Iterator<Item = Self::Item>>(&mut self, _: &Self::Item, _: I) -> Result<()> {
            Ok(())
        }
        fn add_items<I: Iterator<Item = Self::Item>>(&mut self, _: &Self::Item, _: I) -> Result<()> {
            Ok(())
        }
        fn global(&mut self, _: Str<'a>, _: Str<'a>) -> Result<Self::Item> {
            Ok(None)
        }
        fn as_str(&self, item: &Self::Item) -> Option<Str<'a>> {
            item.clone()
        }
        fn reduce(&mut self, _: Self::Item, _: Self::Item) -> Result<Self::Item> {
            Ok(None)
        }
        fn new_obj(&mut self, _: Self::Item, _: Self::Item) -> Result<Self::Item> {
            Ok(None)
        }
        fn new_obj_ex(&mut self, _: Self::Item, _: Self::Item, _: Self::Item) -> Result<Self::Item> {
            Ok(None)
        }
        fn inst(&mut self, _: Self::Item, _: Vec<Self::Item>) -> Result<Self::Item> {
            Ok(None)
        }
        fn obj(&mut self, _: Self::Item, _: Vec<Self::Item>) -> Result<Self::Item> {
            Ok(None)
        }
        fn build(&mut self, _: &Self::Item, _: Self::Item) -> Result<()> {
            Ok(())
        }
        fn persistent_load(&mut self, _: Self::Item, _: bool) -> Result<Self::Item> {
            Ok(None)
        }
        fn next_buffer(&mut self, _: usize) -> Result<Self::Item> {
            Ok(None)
        }
        fn readonly_buffer(&mut self, _: Self::Item) -> Result<Self::Item> {
            Ok(None)
        }
        fn finish(&mut self, _: Self::Item) -> Result<()> {
            Ok(())
        }
        fn at_opcode(&mut self, offset: u64, op: Opcode) {
            self.0.push((offset, op.name()));
        }
        fn bytes_to_skip(&mut self) -> u64 {
            // After an EMPTY_TUPLE, skip two bytes (a stand-in for inline data).
            if self.0.last().map(|l| l.1) == Some("EMPTY_TUPLE") {
                2
            } else {
                0
            }
        }
    }

    #[test]
    fn at_opcode_sees_every_opcode_with_its_offset() {
        let mut trace = Trace::default();
        let data = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00]\x94K\x01a.";
        run_sink(data, &mut trace, &LoadOptions::default()).unwrap();
        let want = [
            (0, "PROTO"),
            (2, "FRAME"),
            (11, "EMPTY_LIST"),
            (12, "MEMOIZE"),
            (13, "BININT1"),
            (15, "APPEND"),
            (16, "STOP"),
        ];
        assert_eq!(trace.0, want);
    }

    #[test]
    fn a_borrowed_sink_keeps_what_it_saw_when_the_machine_fails() {
        let mut trace = Trace::default();
        // GLOBAL, then a truncated BININT1: the sink still holds the first steps.
        let err = run_sink(b"cos\nsystem\nK", &mut trace, &LoadOptions::default()).unwrap_err();
        assert_eq!(err.offset(), Some(11));
        assert_eq!(trace.0, [(0, "GLOBAL"), (11, "BININT1")]);
    }

    #[test]
    fn bytes_to_skip_skips_inline_data_and_reports_a_short_skip_as_truncation() {
        let mut trace = Trace::default();
        let (_, used) = run_sink(b")\xff\xff0N.", &mut trace, &LoadOptions::default()).unwrap();
        assert_eq!(used, 6);
        assert_eq!(trace.0, [(0, "EMPTY_TUPLE"), (3, "POP"), (4, "NONE"), (5, "STOP")]);
        let err = run_sink(b")\xff", &mut Trace::default(), &LoadOptions::default()).unwrap_err();
        assert_eq!(err.offset(), Some(0));
        assert!(matches!(err.kind(), crate::pickle::ErrorKind::Truncated { .. }), "{err}");
    }
}
