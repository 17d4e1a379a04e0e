//! The plain-data pass: a first, cheap reading of a pickle stream that only
//! succeeds when the stream imports nothing and calls nothing.
//!
//! Most pickles outside model files (caches, messages, lists of records) are
//! plain data: ints, strings, lists, dicts. Scanning one with the symbolic
//! sink builds a node for every value only to find no global and no call. This
//! sink keeps one byte per stack item instead — the value's [`Shape`], which is
//! all the symbolic sink's verdict on plain data depends on (the load fails on
//! an unhashable dict key or set item) — and gives up at the first thing that
//! is not plain data: a global, a call, BUILD, a persistent id, a buffer, a
//! text the symbolic sink would refuse, or any error of the machine.
//!
//! The pass is only ever an answer of "clean": when it gives up, the stream
//! is scanned from its start by the symbolic sink, which reports whatever
//! made the pass give up. So for every stream the report is the symbolic
//! sink's, byte for byte; the tests below check that on generated streams.

use crate::policy::{Class, Policy};
use crate::stream::{self, Ctx};
use brinery::pickle::sink::Sink;
use brinery::pickle::{run_sink, Error, ErrorKind, LoadOptions, Result};
use brinery::{Int, Str};
use std::borrow::Cow;

/// What the symbolic sink's verdict needs to know of a plain value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A value CPython can hash as a dict key or set item (constants,
    /// strings, bytes, tuples, frozensets). Tuples count as hashable whatever
    /// they hold, as in the symbolic sink.
    Hashable,
    List,
    Dict,
    Set,
    ByteArray,
}

impl Shape {
    fn is_hashable(self) -> bool {
        self == Shape::Hashable
    }
}

/// The sink of the pass; every method that meets something other than plain
/// data returns [`not_plain`].
struct PlainData;

/// The error that ends the pass (never shown: the symbolic sink rescans).
fn not_plain() -> Error {
    Error::from_kind(ErrorKind::WrongType { expected: "plain data", found: "something else" })
}

/// `Ok` when every `step`-th item from the first is hashable (`step` 0:
/// none is checked; the items the machine hands over are drained either way).
fn keys_hashable(items: impl Iterator<Item = Shape>, step: usize) -> Result<()> {
    if step == 0 || items.step_by(step).all(Shape::is_hashable) {
        Ok(())
    } else {
        Err(not_plain())
    }
}

/// Checks `target` is a `want` and the new items' keys are hashable.
fn push(target: Shape, want: Shape, items: impl Iterator<Item = Shape>, step: usize) -> Result<()> {
    if target != want {
        return Err(not_plain());
    }
    keys_hashable(items, step)
}

impl<'a> Sink<'a> for PlainData {
    type Item = Shape;
    type Output = ();

    fn none(&mut self) -> Shape {
        Shape::Hashable
    }
    fn bool(&mut self, _: bool) -> Shape {
        Shape::Hashable
    }
    fn int(&mut self, _: Int) -> Shape {
        Shape::Hashable
    }
    fn float(&mut self, _: f64) -> Shape {
        Shape::Hashable
    }
    fn str(&mut self, _: Str<'a>) -> Result<Shape> {
        Ok(Shape::Hashable)
    }
    fn str_utf8(&mut self, data: Cow<'a, [u8]>) -> Result<Shape> {
        // The symbolic sink's check: UTF-8 with lone surrogates allowed.
        let valid = data.is_ascii() || std::str::from_utf8(&data).is_ok() || Str::from_surrogatepass(&data[..]).is_ok();
        if !valid {
            return Err(not_plain());
        }
        Ok(Shape::Hashable)
    }
    fn bytes(&mut self, _: Cow<'a, [u8]>) -> Result<Shape> {
        Ok(Shape::Hashable)
    }
    fn bytearray(&mut self, _: Cow<'a, [u8]>) -> Result<Shape> {
        Ok(Shape::ByteArray)
    }
    fn empty_list(&mut self) -> Result<Shape> {
        Ok(Shape::List)
    }
    fn empty_dict(&mut self) -> Result<Shape> {
        Ok(Shape::Dict)
    }
    fn empty_set(&mut self) -> Result<Shape> {
        Ok(Shape::Set)
    }
    fn tuple<I: Iterator<Item = Shape>>(&mut self, items: I) -> Result<Shape> {
        keys_hashable(items, 0).map(|()| Shape::Hashable)
    }
    fn list<I: Iterator<Item = Shape>>(&mut self, items: I) -> Result<Shape> {
        keys_hashable(items, 0).map(|()| Shape::List)
    }
    fn dict<I: Iterator<Item = Shape>>(&mut self, items: I) -> Result<Shape> {
        keys_hashable(items, 2).map(|()| Shape::Dict)
    }
    fn frozenset<I: Iterator<Item = Shape>>(&mut self, items: I) -> Result<Shape> {
        keys_hashable(items, 1).map(|()| Shape::Hashable)
    }
    fn append<I: Iterator<Item = Shape>>(&mut self, target: &Shape, items: I) -> Result<()> {
        push(*target, Shape::List, items, 0)
    }
    fn set_items<I: Iterator<Item = Shape>>(&mut self, target: &Shape, items: I) -> Result<()> {
        // SETITEMS on a list is left to the symbolic sink.
        push(*target, Shape::Dict, items, 2)
    }
    fn add_items<I: Iterator<Item = Shape>>(&mut self, target: &Shape, items: I) -> Result<()> {
        push(*target, Shape::Set, items, 1)
    }
    fn global(&mut self, _: Str<'a>, _: Str<'a>) -> Result<Shape> {
        Err(not_plain())
    }
    fn as_str(&self, _: &Shape) -> Option<Str<'a>> {
        None
    }
    fn reduce(&mut self, _: Shape, _: Shape) -> Result<Shape> {
        Err(not_plain())
    }
    fn new_obj(&mut self, _: Shape, _: Shape) -> Result<Shape> {
        Err(not_plain())
    }
    fn new_obj_ex(&mut self, _: Shape, _: Shape, _: Shape) -> Result<Shape> {
        Err(not_plain())
    }
    fn inst(&mut self, _: Shape, _: Vec<Shape>) -> Result<Shape> {
        Err(not_plain())
    }
    fn obj(&mut self, _: Shape, _: Vec<Shape>) -> Result<Shape> {
        Err(not_plain())
    }
    fn build(&mut self, _: &Shape, _: Shape) -> Result<()> {
        Err(not_plain())
    }
    fn persistent_load(&mut self, _: Shape, _: bool) -> Result<Shape> {
        Err(not_plain())
    }
    fn next_buffer(&mut self, _: usize) -> Result<Shape> {
        Err(not_plain())
    }
    fn readonly_buffer(&mut self, _: Shape) -> Result<Shape> {
        Err(not_plain())
    }
    fn finish(&mut self, _: Shape) -> Result<()> {
        Ok(())
    }
}

/// How many bytes the pickle at the start of `data` uses, when it is plain
/// data that loads without error under `opts`; `None` when it is anything
/// else (then only the symbolic sink can say what it is).
pub(crate) fn plain_length(data: &[u8], opts: &LoadOptions) -> Option<usize> {
    run_sink(data, PlainData, opts).ok().map(|((), used)| used)
}

/// Checks the pass's one claim on the pickle at the start of `data`: when it
/// gives a length, the symbolic sink reads the same bytes and finds nothing.
/// Panics if the claim fails; returns the pass's answer. For the tests and
/// the fuzz harness ([`crate::check_plain_data_claim`]).
pub(crate) fn check_claim(data: &[u8]) -> Option<usize> {
    let plain = plain_length(data, &stream::load_options());
    if let Some(used) = plain {
        let policy = Policy::builtin();
        let ctx = Ctx { policy: &policy, joblib: true, depth: 0 };
        let (reports, _) = stream::scan_symbolic(data, 0, "", &ctx);
        let [full] = &reports[..] else { panic!("a plain stream nests nothing: {data:?}") };
        assert_eq!(full.length, Some(used as u64), "{data:?}: {:?}", full.error);
        assert!(full.error.is_none() && full.globals.is_empty() && full.findings.is_empty(), "{data:?}");
        assert_eq!((full.safe_count, full.worst), (0, Class::Safe), "{data:?}");
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_data_is_measured_and_everything_else_is_left_to_the_symbolic_sink() {
        let cases: &[(&[u8], Option<usize>)] = &[
            // [1, 2] at protocol 4 (with a FRAME), then trailing bytes.
            (b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.junk", Some(20)),
            // {'a': (1,), 'b': frozenset({b'x'})}
            (b"}(X\x01\x00\x00\x00a(K\x01tX\x01\x00\x00\x00b(C\x01x\x91u.", Some(25)),
            // A list as a dict key (SETITEM), as a frozenset item, as a set item.
            (b"}]K\x01s.", None),
            (b"(]\x91.", None),
            (b"\x8f(]\x90.", None),
            // A bytearray as a key, and a list reached through the memo.
            (b"\x80\x05}\x96\x00\x00\x00\x00\x00\x00\x00\x00K\x01s.", None),
            (b"]\x94}h\x00K\x01s.", None),
            // APPEND to a dict, SETITEMS on a list (the symbolic sink decides those).
            (b"}K\x01a.", None),
            (b"](K\x00K\x01u.", None),
            // A global, a call, BUILD of None on a list, a persistent id, a buffer.
            (b"cos\nsystem\n.", None),
            (b"\x80\x04\x8c\x02os\x8c\x06system\x93.", None),
            (b"]Nb.", None),
            (b"K\x01Q.", None),
            (b"\x80\x05\x97.", None),
            // Text that is not UTF-8, and a stream cut short.
            (b"X\x01\x00\x00\x00\xff.", None),
            (b"](K\x01", None),
        ];
        for (data, expected) in cases {
            assert_eq!(check_claim(data), *expected, "{data:?}");
        }
    }

    /// Leaves of generated streams: plain values, memo references (which
    /// may miss) and every reason the pass gives up.
    const LEAVES: &[&[u8]] = &[
        b"K\x07",
        b"K\x08",
        b"N",
        b"\x88",
        b"G?\xf0\x00\x00\x00\x00\x00\x00",
        b"X\x01\x00\x00\x00k",
        b"\x8c\x02\xed\xa0",
        b"C\x02ab",
        b"]",
        b"}",
        b"\x8f",
        b")",
        b"h\x00",
        b"h\x01",
        b"j\x02\x00\x00\x00",
        b"\x96\x01\x00\x00\x00\x00\x00\x00\x00z",
        b"X\x01\x00\x00\x00\xff",
        b"\x8c\x01m\x8c\x01n\x93",
        b"cos\nsystem\n",
        b"K\x01Q",
        b"\x97",
    ];

    fn wrap(open: &[u8], items: Vec<Vec<u8>>, close: &[u8]) -> Vec<u8> {
        [open.to_vec(), items.concat(), close.to_vec()].concat()
    }

    /// A pickle of nested containers over [`LEAVES`] (some memoized, some
    /// built whole, some filled item by item), mostly plain.
    fn stream() -> impl Strategy<Value = Vec<u8>> {
        let leaf = proptest::sample::select(LEAVES).prop_map(<[u8]>::to_vec);
        let value = leaf.prop_recursive(4, 64, 6, |inner| {
            let items = proptest::collection::vec(inner.clone(), 0..6);
            let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4)
                .prop_map(|kv| kv.into_iter().flat_map(|(k, v)| [k, v]).collect::<Vec<_>>());
            prop_oneof![
                items.clone().prop_map(|xs| wrap(b"](", xs, b"e")),
                items.clone().prop_map(|xs| wrap(b"(", xs, b"l")),
                items.clone().prop_map(|xs| wrap(b"(", xs, b"t")),
                items.clone().prop_map(|xs| wrap(b"(", xs, b"\x91")),
                items.prop_map(|xs| wrap(b"\x8f(", xs, b"\x90")),
                pairs.clone().prop_map(|xs| wrap(b"}(", xs, b"u")),
                pairs.prop_map(|xs| wrap(b"(", xs, b"d")),
                (inner.clone(), inner.clone()).prop_map(|(k, v)| wrap(b"}", vec![k, v], b"s")),
                (inner.clone(), inner.clone()).prop_map(|(t, x)| wrap(b"", vec![t, x], b"a")),
                inner.clone().prop_map(|x| wrap(b"", vec![x], b"\x94")),
                inner.clone().prop_map(|x| wrap(b"", vec![x], b"\x85")),
                (inner.clone(), inner).prop_map(|(t, s)| wrap(b"", vec![t, s], b"b")),
            ]
        });
        (proptest::bool::ANY, value).prop_map(|(proto, v)| wrap(if proto { b"\x80\x04" } else { b"" }, vec![v], b"."))
    }

    proptest! {
            #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]
            #[test]
            fn whenever_the_pass_answers_the_symbolic_sink_agrees(
    data in stream()) {
                check_claim(&data);
            }
        }
}
