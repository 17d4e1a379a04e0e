//! Property tests: any value brinery can represent survives dump → load at
//! every protocol, and CPython reads brinery's bytes and writes back exactly
//! the same bytes (so brinery writes what CPython would).

mod common;

use brinery::pickle::{self, DumpOptions, LoadOptions};
use brinery::value::{Constructor, Object, Update};
use brinery::{Int, Str, Value};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// Leaf values, including the encodings' edge cases.
fn leaf() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![Just(255i64), Just(256), Just(65535), Just(65536), Just(-1), Just(i32::MIN as i64 - 1)]
            .prop_map(Value::from),
        (any::<i128>(), 0u32..4)
            .prop_map(|(v, shift)| { Value::Int(Int::from(num_bigint::BigInt::from(v) << (shift * 100))) }),
        any::<f64>().prop_map(Value::Float),
        ".{0,12}".prop_map(Value::from),
        proptest::collection::vec(prop_oneof![0u32..0x80, 0xd800u32..0xe000, 0x80u32..0x110000], 0..6)
            .prop_map(|cps| Value::Str(Str::from_code_points(cps))),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Value::bytes),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Value::bytearray),
    ]
}

/// Hashable values usable as dict keys and set items.
fn key() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(Value::bytes),
        (any::<i16>(), "[a-z]{1,3}").prop_map(|(a, b)| Value::tuple([Value::from(a), Value::from(b)])),
    ]
}

fn value() -> impl Strategy<Value = Value<'static>> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::list),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::tuple),
            proptest::collection::vec((key(), inner.clone()), 0..8).prop_map(Value::dict),
            proptest::collection::vec(key(), 0..8).prop_map(Value::set),
            proptest::collection::vec(key(), 0..8).prop_map(Value::frozenset),
            // The same object twice: sharing must survive.
            inner.prop_map(|v| Value::list([v.clone(), v])),
        ]
    })
}

fn contains_set(v: &Value<'_>) -> bool {
    match v {
        Value::Set(_) | Value::FrozenSet(_) => true,
        Value::List(s) | Value::Tuple(s) => s.iter().any(contains_set),
        Value::Dict(d) => d.iter().any(|(k, v)| contains_set(k) || contains_set(v)),
        _ => false,
    }
}

/// NaN != NaN in Python, so equality checks skip values holding one.
fn contains_nan(v: &Value<'_>) -> bool {
    match v {
        Value::Float(f) => f.is_nan(),
        Value::List(s) | Value::Tuple(s) | Value::Set(s) | Value::FrozenSet(s) => s.iter().any(contains_nan),
        Value::Dict(d) => d.iter().any(|(k, v)| contains_nan(k) || contains_nan(v)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(Config { cases: 300, ..Config::default() })]

    /// dump → load gives an equal value, and dumping that again gives the same bytes.
    #[test]
    fn dump_load_round_trips(v in value(), protocol in 0u8..=5) {
        let bytes = pickle::dumps(&v, &DumpOptions::protocol(protocol)).unwrap();
        let back = pickle::loads(&bytes, &LoadOptions::default()).unwrap();
        if !contains_nan(&v) {
            prop_assert_eq!(&back, &v);
        }
        let again = pickle::dumps(&back, &DumpOptions::protocol(protocol)).unwrap();
        if !contains_set(&v) {
            prop_assert_eq!(again, bytes);
        }
    }

    /// Loading from a reader gives the same value as loading from a slice.
    #[test]
    fn reader_and_slice_agree(v in value(), protocol in 0u8..=5) {
        let bytes = pickle::dumps(&v, &DumpOptions::protocol(protocol)).unwrap();
        let from_slice = pickle::loads(&bytes, &LoadOptions::default()).unwrap();
        let from_reader = pickle::load(&mut &bytes[..], &LoadOptions::default()).unwrap();
        prop_assert_eq!(pickle::dumps(&from_reader, &DumpOptions::protocol(protocol)).unwrap(),
                        pickle::dumps(&from_slice, &DumpOptions::protocol(protocol)).unwrap());
    }
}

/// brinery writes, CPython reads and writes back: the bytes must be the same
/// (values with sets are compared by content, as set order is CPython's choice).
#[test]
fn cpython_rewrites_brinery_pickles_identically() {
    let mut runner = TestRunner::new(Config { cases: 400, ..Config::default() });
    let strategy = (value(), 0u8..=5);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("roundtrip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut lines = String::new();
    for i in 0..400 {
        let (v, protocol) = strategy.new_tree(&mut runner).unwrap().current();
        let bytes = pickle::dumps(&v, &DumpOptions::protocol(protocol)).unwrap();
        let path = dir.join(format!("{i}.p{protocol}.pkl"));
        std::fs::write(&path, &bytes).unwrap();
        lines.push_str(&format!("{}\t{}\t{}\n", path.display(), protocol, contains_set(&v) as u8));
    }
    let script = r#"
import pickle, sys
bad = []
for line in sys.stdin:
    path, protocol, has_sets = line.rstrip("\n").split("\t")
    data = open(path, "rb").read()
    value = pickle.loads(data)
    again = pickle.dumps(value, protocol=int(protocol))
    if has_sets == "1":
        same = pickle.loads(again) == value or repr(value) == repr(pickle.loads(again))
    else:
        same = again == data
    if not same:
        bad.append(path)
print("\n".join(bad))
"#;
    let bad = common::run_python(script, &lines);
    assert!(bad.trim().is_empty(), "CPython rewrote these differently:\n{bad}");
}

/// Persistent ids (dump hook ⇄ load hook) and the extension registry work
/// both ways, and CPython agrees on the bytes.
#[test]
fn hooks_and_extension_registry() {
    use std::collections::HashMap;
    use std::sync::Arc;
    // A pid hook that turns every str starting with "ref:" into a persistent id.
    let dump = DumpOptions {
        persistent_id: Some(Arc::new(|v: &Value<'_>| match v.as_str() {
            Some(s) if s.starts_with("ref:") => Some(Value::from(s[4..].to_string())),
            _ => None,
        })),
        extensions: Some(Arc::new(HashMap::from([(("collections".to_string(), "OrderedDict".to_string()), 240)]))),
        ..DumpOptions::protocol(2)
    };
    let v = Value::list([Value::from("ref:a"), Value::from("plain"), Value::global("collections", "OrderedDict")]);
    let bytes = pickle::dumps(&v, &dump).unwrap();
    // What CPython writes for the same thing (persistent_id hook + copyreg.add_extension):
    let expected = std::process::Command::new("python3")
        .args(["-c", r#"
import copyreg, collections, io, pickle, sys
copyreg.add_extension("collections", "OrderedDict", 240)
class P(pickle.Pickler):
    def persistent_id(self, obj):
        return obj[4:] if isinstance(obj, str) and obj.startswith("ref:") else None
f = io.BytesIO(); P(f, protocol=2).dump(["ref:a", "plain", collections.OrderedDict]); sys.stdout.buffer.write(f.getvalue())
"#])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(bytes, expected);
    let load = LoadOptions {
        persistent_load: Some(Arc::new(|pid: &Value<'_>| Ok(Value::from(format!("loaded:{}", pid.as_str().unwrap()))))),
        extensions: Some(Arc::new(HashMap::from([(240, ("collections".to_string(), "OrderedDict".to_string()))]))),
        ..LoadOptions::default()
    };
    let back = pickle::loads(&bytes, &load).unwrap();
    assert_eq!(back.to_string(), "['loaded:a', 'plain', collections.OrderedDict]");
    // Without hooks, the persistent id is kept inert and re-pickles as it was.
    let inert =
        pickle::loads(&bytes, &LoadOptions { extensions: load.extensions.clone(), ..LoadOptions::default() }).unwrap();
    assert_eq!(inert[0].to_string(), "persistent_id('a')");
    let again = pickle::dumps(&inert, &DumpOptions { persistent_id: None, ..dump.clone() }).unwrap();
    assert_eq!(again, bytes);
}

fn object(constructor: Constructor<'static>) -> Value<'static> {
    Value::Object(Object::new(constructor, vec![Update::Build(Value::dict([("x", 1)]))]))
}

/// Whatever brinery writes, it reads back: near the depth limit, nested
/// names (written as `getattr` chains below protocol 4) must not make the
/// pickle deeper than the reader allows. Found by fuzzing.
#[test]
fn what_dumps_writes_loads_reads_at_the_depth_limit() {
    for dots in 0..4 {
        let name = std::iter::repeat_n("a", dots + 1).collect::<Vec<_>>().join(".");
        let class = || Value::global("m", name.clone());
        let objects: [Box<dyn Fn() -> Value<'static> + '_>; 8] = [
            Box::new(class),
            Box::new(|| Value::set([1])),
            Box::new(|| Value::bytes(&b"x"[..])),
            Box::new(|| Value::Complex { re: 1.0, im: 2.0 }),
            Box::new(|| object(Constructor::Reduce { callable: class(), args: Value::tuple([1]) })),
            Box::new(|| object(Constructor::NewObj { cls: class(), args: Value::tuple([1]) })),
            Box::new(|| object(Constructor::Obj { cls: class(), args: vec![Value::from(1)] })),
            Box::new(|| {
                let Value::Global(g) = class() else { unreachable!() };
                object(Constructor::Inst { class: g, args: vec![Value::from(1)] })
            }),
        ];
        for (depth, make) in (990..1002).flat_map(|d| objects.iter().map(move |m| (d, m))) {
            let mut v = make();
            for _ in 0..depth {
                v = Value::list([v]);
            }
            for protocol in 0..=5 {
                if let Ok(bytes) = pickle::dumps(&v, &DumpOptions::protocol(protocol)) {
                    let back = pickle::loads(&bytes, &LoadOptions::default());
                    assert!(back.is_ok(), "{dots} dots, {depth} lists, protocol {protocol}: {}", back.unwrap_err());
                }
            }
        }
    }
}

/// A nested name written once near the root and again deep down: the second
/// time it is a memo reference to the whole `getattr` chain, which a reader
/// counts at its full depth.
#[test]
fn shared_nested_name_deep_down_still_loads() {
    let name = std::iter::repeat_n("a", 50).collect::<Vec<_>>().join(".");
    for (g, depth) in [Value::global("m", name.as_str().to_owned()), Value::set([1]), Value::bytes(&b"x"[..])]
        .into_iter()
        .flat_map(|g| [900, 990, 996, 998].map(move |d| (g.clone(), d)))
    {
        let mut deep = g.clone();
        for _ in 0..depth {
            deep = Value::list([deep]);
        }
        let v = Value::list([g.clone(), deep]);
        for protocol in 0..=5 {
            if let Ok(bytes) = pickle::dumps(&v, &DumpOptions::protocol(protocol)) {
                let back = pickle::loads(&bytes, &LoadOptions::default());
                assert!(back.is_ok(), "{g:.40} at depth {depth}, protocol {protocol}: {}", back.unwrap_err());
            }
        }
    }
}
