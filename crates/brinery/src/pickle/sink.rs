//! What the machine builds is up to a sink. The machine owns the stack, the
//! marks, the memo, limits and error offsets; the sink owns the objects.
//!
//! The value sink builds [`Value`](crate::Value)s; a Python sink would build
//! real objects; a symbolic sink (the scanner) records what would be imported
//! and called. All share one set of opcode semantics: the machine's.

use super::error::{Error, ErrorKind, Result};
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
}
