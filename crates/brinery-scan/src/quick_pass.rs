//! The quick pass: a first, cheap reading of a pickle stream that only
//! succeeds when everything in it is plain data or an object made by calling
//! a global the policy calls safe.
//!
//! Most pickles are like that: caches and messages (ints, strings, lists,
//! dicts), and tables of `datetime`s and `Decimal`s. For those the symbolic
//! sink builds a node for every value only to report a list of safe globals
//! and a count of safe calls. This sink keeps a few bytes per stack item
//! instead — the value's [`Shape`], which is all the symbolic sink's report
//! on such a stream depends on (the load fails on an unhashable dict key or
//! set item, or on a call of something that is not callable) — plus the
//! texts STACK_GLOBAL may name, and records the same globals and count. It
//! gives up at the first thing it cannot report exactly as the symbolic sink
//! would: a global that is not safe, a loader of pickled bytes, joblib's
//! array wrapper, a persistent id, a buffer, BUILD or SETITEMS on a builtin,
//! a text the symbolic sink would refuse, or any error of the machine.
//!
//! When it gives up, the stream is scanned from its start by the symbolic
//! sink, so every report is the symbolic sink's report; [`check_claim`]
//! compares the two, and the tests and the `scan_bytes` fuzz target call it.

use crate::policy::{Class, Policy};
use crate::report::{GlobalRef, StreamReport};
use crate::stream::{self, Ctx};
use brinery::opcodes::Opcode;
use brinery::pickle::sink::Sink;
use brinery::pickle::{run_sink, Error, ErrorKind, Result};
use brinery::{Int, Str};
use std::borrow::Cow;

/// What the symbolic sink's report needs to know of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// None, bools, numbers, bytes, frozensets: hashable builtins.
    Atom,
    /// A str: the index of its bytes in [`QuickPass::texts`].
    Text(u32),
    /// Tuples count as hashable whatever they hold, as in the symbolic sink.
    Tuple,
    List,
    Dict,
    Set,
    ByteArray,
    /// A global the policy calls safe, or what a call of one returned.
    Object,
}

impl Shape {
    /// Whether CPython fails to hash it (the symbolic sink's rule).
    fn unhashable(self) -> bool {
        matches!(self, Shape::List | Shape::Dict | Shape::Set | Shape::ByteArray)
    }

    /// Something the unpickler's own code handles (not an object whose methods it calls).
    fn builtin(self) -> bool {
        self != Shape::Object
    }
}

/// The sink of the pass; every method that meets something it cannot report
/// exactly returns [`give_up`].
struct QuickPass<'p, 'a> {
    policy: &'p Policy,
    /// Offset of the opcode being executed (from the stream's start), and the opcode.
    offset: u64,
    op: Opcode,
    proto: u8,
    /// The bytes of every str, validated (surrogatepass UTF-8).
    texts: Vec<Cow<'a, [u8]>>,
    /// What the report lists and counts, with offsets from the stream's start.
    globals: Vec<GlobalRef>,
    safe_count: u64,
}

/// The error that ends the pass (never shown: the symbolic sink rescans).
fn give_up() -> Error {
    Error::from_kind(ErrorKind::WrongType { expected: "plain data or safe calls", found: "something else" })
}

/// `Ok` when every `step`-th item from the first is hashable (`step` 0:
/// none is checked; the items the machine hands over are drained either way).
fn keys_hashable(items: impl Iterator<Item = Shape>, step: usize) -> Result<()> {
    if step == 0 || items.step_by(step).all(|s| !s.unhashable()) {
        Ok(())
    } else {
        Err(give_up())
    }
}

impl<'a> QuickPass<'_, 'a> {
    /// Keeps a validated text for STACK_GLOBAL.
    fn text(&mut self, bytes: Cow<'a, [u8]>) -> Shape {
        self.texts.push(bytes);
        Shape::Text((self.texts.len() - 1) as u32)
    }

    /// A call the symbolic sink records as safe: one more in the count, an object back.
    fn safe_call(&mut self) -> Shape {
        self.safe_count += 1;
        Shape::Object
    }

    /// The checks the symbolic sink makes before a REDUCE or NEWOBJ call.
    fn call(&mut self, callable: Shape, args: Shape) -> Result<Shape> {
        if callable.builtin() || args.builtin() && args != Shape::Tuple {
            return Err(give_up());
        }
        Ok(self.safe_call())
    }

    /// APPENDS/SETITEMS/ADDITEMS: into a builtin `want` (keys checked every
    /// `step` items), or a method call on an object.
    fn push(&mut self, target: Shape, want: Shape, items: impl Iterator<Item = Shape>, step: usize) -> Result<()> {
        if target == Shape::Object {
            self.safe_count += 1;
            Ok(())
        } else if target == want {
            keys_hashable(items, step)
        } else {
            Err(give_up())
        }
    }
}

impl<'a> Sink<'a> for &mut QuickPass<'_, 'a> {
    type Item = Shape;
    type Output = ();

    fn protocol(&mut self, proto: u8) {
        self.proto = proto;
    }
    #[inline]
    fn at_opcode(&mut self, offset: u64, op: Opcode) {
        self.offset = offset;
        self.op = op;
    }
    fn none(&mut self) -> Shape {
        Shape::Atom
    }
    fn bool(&mut self, _: bool) -> Shape {
        Shape::Atom
    }
    fn int(&mut self, _: Int) -> Shape {
        Shape::Atom
    }
    fn float(&mut self, _: f64) -> Shape {
        Shape::Atom
    }
    fn str(&mut self, value: Str<'a>) -> Result<Shape> {
        // Decoded by the engine: valid already.
        Ok(self.text(Cow::Owned(value.as_surrogatepass().to_vec())))
    }
    fn str_utf8(&mut self, data: Cow<'a, [u8]>) -> Result<Shape> {
        // The symbolic sink's check: UTF-8 with lone surrogates allowed.
        Str::check_surrogatepass(&data).map_err(|_| give_up())?;
        Ok(self.text(data))
    }
    fn bytes(&mut self, _: Cow<'a, [u8]>) -> Result<Shape> {
        Ok(Shape::Atom)
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
        keys_hashable(items, 0).map(|()| Shape::Tuple)
    }
    fn list<I: Iterator<Item = Shape>>(&mut self, items: I) -> Result<Shape> {
        keys_hashable(items, 0).map(|()| Shape::List)
    }
    fn dict<I: Iterator<Item = Shape>>(&mut self, items: I) -> Result<Shape> {
        keys_hashable(items, 2).map(|()| Shape::Dict)
    }
    fn frozenset<I: Iterator<Item = Shape>>(&mut self, items: I) -> Result<Shape> {
        keys_hashable(items, 1).map(|()| Shape::Atom)
    }
    fn append<I: Iterator<Item = Shape>>(&mut self, target: &Shape, items: I) -> Result<()> {
        self.push(*target, Shape::List, items, 0)
    }
    fn set_items<I: Iterator<Item = Shape>>(&mut self, target: &Shape, items: I) -> Result<()> {
        // SETITEMS on a list is left to the symbolic sink.
        self.push(*target, Shape::Dict, items, 2)
    }
    fn add_items<I: Iterator<Item = Shape>>(&mut self, target: &Shape, items: I) -> Result<()> {
        self.push(*target, Shape::Set, items, 1)
    }
    fn global(&mut self, module: Str<'a>, name: Str<'a>) -> Result<Shape> {
        let resolved = stream::resolve_global(self.policy, module, name, self.proto, self.offset, self.op);
        // The symbolic sink follows loaders' arguments and joblib's arrays: left to it.
        if resolved.judgement.class != Class::Safe || resolved.loader || resolved.global.name == "NumpyArrayWrapper" {
            return Err(give_up());
        }
        self.globals.push(resolved.global);
        self.safe_count += 1;
        Ok(Shape::Object)
    }
    fn as_str(&self, item: &Shape) -> Option<Str<'a>> {
        match *item {
            Shape::Text(i) => Str::from_surrogatepass(self.texts[i as usize].clone()).ok(),
            _ => None,
        }
    }
    fn reduce(&mut self, callable: Shape, args: Shape) -> Result<Shape> {
        self.call(callable, args)
    }
    fn new_obj(&mut self, cls: Shape, args: Shape) -> Result<Shape> {
        self.call(cls, args)
    }
    fn new_obj_ex(&mut self, cls: Shape, _args: Shape, kwargs: Shape) -> Result<Shape> {
        if cls.builtin() || kwargs.builtin() && kwargs != Shape::Dict {
            return Err(give_up());
        }
        Ok(self.safe_call())
    }
    fn inst(&mut self, _cls: Shape, _args: Vec<Shape>) -> Result<Shape> {
        Ok(self.safe_call())
    }
    fn obj(&mut self, cls: Shape, _args: Vec<Shape>) -> Result<Shape> {
        if cls.builtin() {
            return Err(give_up());
        }
        Ok(self.safe_call())
    }
    fn build(&mut self, target: &Shape, _state: Shape) -> Result<()> {
        // BUILD on a builtin (None state: nothing; else an error) is left to the symbolic sink.
        if target.builtin() {
            return Err(give_up());
        }
        self.safe_count += 1;
        Ok(())
    }
    fn persistent_load(&mut self, _: Shape, _: bool) -> Result<Shape> {
        Err(give_up())
    }
    fn next_buffer(&mut self, _: usize) -> Result<Shape> {
        Err(give_up())
    }
    fn readonly_buffer(&mut self, _: Shape) -> Result<Shape> {
        Err(give_up())
    }
    fn finish(&mut self, _: Shape) -> Result<()> {
        Ok(())
    }
}

/// The report of the pickle at `data[start..]` when the pass can give it
/// (see the module docs), and the bytes the pickle used; `None` otherwise.
pub(crate) fn quick_scan(data: &[u8], start: usize, location: &str, policy: &Policy) -> Option<(StreamReport, usize)> {
    let stream = data.get(start..)?;
    let mut pass = QuickPass {
        policy,
        offset: 0,
        op: Opcode::Stop,
        proto: 0,
        texts: Vec::new(),
        globals: Vec::new(),
        safe_count: 0,
    };
    let ((), used) = run_sink(stream, &mut pass, &stream::load_options()).ok()?;
    let mut globals = pass.globals;
    for g in &mut globals {
        g.offset += start as u64;
    }
    let report = StreamReport {
        location: location.to_string(),
        start: start as u64,
        length: Some(used as u64),
        globals,
        safe_count: pass.safe_count,
        ..Default::default()
    };
    Some((report, used))
}

/// Checks the pass's claim on the pickle at the start of `data`: when it
/// gives a report, the symbolic sink gives the same one. Panics if not;
/// returns the bytes the pass said the pickle used. For the tests and the
/// fuzz harness ([`crate::check_quick_pass_claim`]).
pub(crate) fn check_claim(data: &[u8]) -> Option<usize> {
    let policy = Policy::builtin();
    let (quick, used) = quick_scan(data, 0, "", &policy)?;
    let ctx = Ctx { policy: &policy, joblib: true, depth: 0 };
    let (reports, _) = stream::scan_symbolic(data, 0, "", &ctx);
    let [full] = &reports[..] else { panic!("the quick pass answered for a stream that nests others: {data:?}") };
    assert_eq!(full.length, quick.length, "{data:?}: {:?}", full.error);
    assert!(full.error.is_none() && full.findings.is_empty() && full.inline_arrays.is_empty(), "{data:?}");
    assert_eq!(full.globals, quick.globals, "{data:?}");
    assert_eq!((full.safe_count, full.worst, full.omitted), (quick.safe_count, Class::Safe, 0), "{data:?}");
    Some(used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The pass's answer on `data`: the bytes used, the globals' names and the safe count.
    fn answer(data: &[u8]) -> Option<(usize, Vec<String>, u64)> {
        let used = check_claim(data)?;
        let (report, _) = quick_scan(data, 0, "", &Policy::builtin()).unwrap();
        let names = report.globals.iter().map(|g| format!("{}.{}", g.module, g.name)).collect();
        Some((used, names, report.safe_count))
    }

    #[test]
    fn safe_calls_are_counted_like_the_symbolic_sink_counts_them() {
        // collections.OrderedDict() at protocol 2: one safe global, one safe call.
        let od = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.";
        assert_eq!(answer(od), Some((od.len(), vec!["collections.OrderedDict".to_string()], 2)));
        // Protocol 4: [datetime.date(b'...'), the same class from the memo again], built by APPENDS.
        let dates = b"\x80\x04]\x94(\x8c\x08datetime\x94\x8c\x04date\x94\x93\x94C\x04\x07\xe8\x01\x01\x85Rh\x03C\x04\x07\xe8\x01\x02\x85Re.";
        assert_eq!(answer(dates), Some((dates.len(), vec!["datetime.date".to_string()], 3)));
        // BUILD and APPEND on a safe object are safe method calls, counted once each.
        let built = b"ccollections\nOrderedDict\n)R}b(K\x01e.";
        assert_eq!(answer(built), Some((built.len(), vec!["collections.OrderedDict".to_string()], 4)));
    }

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
            // A dangerous global, an unknown one, a loader, joblib's array wrapper.
            (b"cos\nsystem\n.", None),
            (b"\x80\x04\x8c\x02os\x8c\x06system\x93.", None),
            (b"csklearn\nThing\n)R.", None),
            (b"c_pickle\nloads\nC\x01.\x85R.", None),
            (b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n)R.", None),
            // A call of a builtin, with a non-tuple argument; BUILD of None on a list, a persistent id, a buffer.
            (b"K\x01)R.", None),
            (b"ccollections\nOrderedDict\nK\x01R.", None),
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

    /// Leaves of generated streams: plain values, safe globals, memo
    /// references (which may miss) and every reason the pass gives up.
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
        b"ccollections\nOrderedDict\n",
        b"\x8c\x08datetime\x8c\x04date\x93",
        b"cdecimal\nDecimal\n",
    ];

    /// Classes that generated streams call: safe ones, and one of each other kind.
    const CLASSES: &[&[u8]] = &[
        b"ccollections\nOrderedDict\n",
        b"\x8c\x08datetime\x8c\x04date\x93",
        b"cdecimal\nDecimal\n",
        b"ccollections\ndeque\n",
        b"csklearn\nThing\n",
        b"cposix\nsystem\n",
    ];

    fn wrap(open: &[u8], items: Vec<Vec<u8>>, close: &[u8]) -> Vec<u8> {
        [open.to_vec(), items.concat(), close.to_vec()].concat()
    }

    /// A pickle of nested containers and calls over [`LEAVES`] (some
    /// memoized, some built whole, some filled item by item).
    fn stream() -> impl Strategy<Value = Vec<u8>> {
        let leaf = proptest::sample::select(LEAVES).prop_map(<[u8]>::to_vec);
        let value = leaf.prop_recursive(4, 64, 6, |inner| {
            let items = proptest::collection::vec(inner.clone(), 0..6);
            let class = proptest::sample::select(CLASSES).prop_map(<[u8]>::to_vec);
            let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4)
                .prop_map(|kv| kv.into_iter().flat_map(|(k, v)| [k, v]).collect::<Vec<_>>());
            prop_oneof![
                items.clone().prop_map(|xs| wrap(b"](", xs, b"e")),
                items.clone().prop_map(|xs| wrap(b"(", xs, b"l")),
                items.clone().prop_map(|xs| wrap(b"(", xs, b"t")),
                items.clone().prop_map(|xs| wrap(b"(", xs, b"\x91")),
                items.clone().prop_map(|xs| wrap(b"\x8f(", xs, b"\x90")),
                pairs.clone().prop_map(|xs| wrap(b"}(", xs, b"u")),
                pairs.prop_map(|xs| wrap(b"(", xs, b"d")),
                (inner.clone(), inner.clone()).prop_map(|(k, v)| wrap(b"}", vec![k, v], b"s")),
                (inner.clone(), inner.clone()).prop_map(|(t, x)| wrap(b"", vec![t, x], b"a")),
                inner.clone().prop_map(|x| wrap(b"", vec![x], b"\x94")),
                inner.clone().prop_map(|x| wrap(b"", vec![x], b"\x85")),
                (inner.clone(), inner.clone()).prop_map(|(t, s)| wrap(b"", vec![t, s], b"b")),
                (inner.clone(), inner.clone()).prop_map(|(f, a)| wrap(b"", vec![f, a], b"R")),
                (inner.clone(), inner.clone()).prop_map(|(f, a)| wrap(b"", vec![f, a], b"\x85R")),
                (inner.clone(), inner).prop_map(|(c, a)| wrap(b"", vec![c, a], b"\x81")),
                // A class called with a tuple of arguments, by REDUCE or NEWOBJ.
                (class.clone(), items.clone()).prop_map(|(c, xs)| wrap(&c, vec![b"(".to_vec(), xs.concat()], b"tR")),
                (class, items).prop_map(|(c, xs)| wrap(&c, vec![b"(".to_vec(), xs.concat()], b"t\x81")),
            ]
        });
        (proptest::bool::ANY, value).prop_map(|(proto, v)| wrap(if proto { b"\x80\x04" } else { b"" }, vec![v], b"."))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]
        #[test]
        fn whenever_the_pass_answers_the_symbolic_sink_agrees(data in stream()) {
            check_claim(&data);
        }
    }
}
