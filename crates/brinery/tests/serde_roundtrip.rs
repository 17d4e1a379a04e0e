//! serde round trips: Rust types → pickle (every protocol) / JSON → the same
//! Rust types, and the Python shape each type takes on the way.

mod common;

use brinery::serde::{from_value, to_value};
use brinery::{json, pickle, Int, Value};
use proptest::prelude::*;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;

fn through_pickle<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    for protocol in 0..=5 {
        let bytes = pickle::to_vec(value, &pickle::DumpOptions::protocol(protocol)).unwrap();
        let back: T = pickle::from_slice(&bytes, &pickle::LoadOptions::default())
            .unwrap_or_else(|e| panic!("protocol {protocol}: {e}"));
        assert_eq!(&back, value, "protocol {protocol}");
        let mut reader = &bytes[..];
        let back: T = pickle::from_reader(&mut reader, &pickle::LoadOptions::default()).unwrap();
        assert_eq!(&back, value, "protocol {protocol}, from_reader");
    }
}

fn through_json<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> String {
    let text = json::to_string(value, &json::DumpOptions::default()).unwrap();
    let back: T = json::from_str(&text, &json::LoadOptions::default()).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(&back, value, "{text}");
    let back: T = json::from_slice(text.as_bytes(), &json::LoadOptions::default()).unwrap();
    assert_eq!(&back, value);
    let back: T = json::from_reader(text.as_bytes(), &json::LoadOptions::default()).unwrap();
    assert_eq!(&back, value);
    text
}

fn both<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> String {
    through_pickle(value);
    through_json(value)
}

fn repr<T: Serialize + ?Sized>(value: &T) -> String {
    to_value(value).unwrap().to_string()
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Inner {
    label: String,
    ratio: f32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Rgb(u8, u8, u8);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Everything {
    flag: bool,
    small: i8,
    short: i16,
    int: i32,
    long: i64,
    byte: u8,
    ushort: u16,
    uint: u32,
    ulong: u64,
    single: f32,
    double: f64,
    letter: char,
    text: String,
    maybe: Option<String>,
    nothing: Option<i32>,
    list: Vec<u32>,
    nested: Inner,
    inners: Vec<Inner>,
    by_name: HashMap<String, Vec<i32>>,
    by_number: BTreeMap<u8, String>,
    triple: (i32, String, bool),
    unit: Unit,
    newtype: Meters,
    color: Rgb,
    set: BTreeSet<i16>,
}

fn everything() -> Everything {
    Everything {
        flag: true,
        small: -128,
        short: 32767,
        int: i32::MIN,
        long: i64::MAX,
        byte: 255,
        ushort: 65535,
        uint: u32::MAX,
        ulong: u64::MAX,
        single: 0.1,
        double: -2.5e-300,
        letter: 'é',
        text: "héllo \u{1F600}\n\"quoted\"".into(),
        maybe: Some("yes".into()),
        nothing: None,
        list: vec![0, 1, 255, 256, 65536, u32::MAX],
        nested: Inner { label: "in".into(), ratio: 1.5 },
        inners: vec![Inner { label: "a".into(), ratio: 0.0 }, Inner { label: "b".into(), ratio: -1.0 }],
        by_name: HashMap::from([("one".into(), vec![1]), ("none".into(), vec![])]),
        by_number: BTreeMap::from([(1, "x".into()), (200, "y".into())]),
        triple: (-1, "t".into(), false),
        unit: Unit,
        newtype: Meters(3.25),
        color: Rgb(1, 2, 3),
        set: BTreeSet::from([-5, 0, 9]),
    }
}

#[test]
fn derive_struct_with_every_kind_of_field() {
    both(&everything());
    let v = to_value(&everything()).unwrap();
    assert_eq!(v["nested"].to_string(), "{'label': 'in', 'ratio': 1.5}");
    assert_eq!(v["triple"].to_string(), "(-1, 't', False)");
    assert_eq!(v["unit"].to_string(), "None");
    assert_eq!(v["newtype"].to_string(), "3.25");
    assert_eq!(v["color"].to_string(), "(1, 2, 3)");
    assert_eq!(v["maybe"].to_string(), "'yes'");
    assert_eq!(v["set"].to_string(), "[-5, 0, 9]");
    assert_eq!(v["ulong"].to_string(), "18446744073709551615");
}

#[test]
fn nested_collections() {
    type Deep = Vec<BTreeMap<String, Vec<Option<(u8, Vec<String>)>>>>;
    let deep: Deep = vec![
        BTreeMap::from([("a".into(), vec![Some((1, vec!["x".into(), "y".into()])), None])]),
        BTreeMap::new(),
        BTreeMap::from([("b".into(), vec![]), ("c".into(), vec![None])]),
    ];
    let text = both(&deep);
    assert_eq!(text, r#"[{"a": [[1, ["x", "y"]], null]}, {}, {"b": [], "c": [null]}]"#);
    assert_eq!(repr(&deep), "[{'a': [(1, ['x', 'y']), None]}, {}, {'b': [], 'c': [None]}]");
}

#[test]
fn options() {
    both(&Some(5u8));
    both(&None::<u8>);
    both(&vec![Some("a".to_string()), None]);
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Opt {
        a: Option<Inner>,
        #[serde(default)]
        b: Option<u8>,
    }
    both(&Opt { a: Some(Inner { label: "l".into(), ratio: 2.0 }), b: None });
    // A missing key is None for Option fields.
    let v: Opt = from_value(&Value::dict([("a", Value::None)])).unwrap();
    assert_eq!(v, Opt { a: None, b: None });
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Blobs {
    #[serde(with = "serde_bytes")]
    raw: Vec<u8>,
    list: Vec<u8>,
    buf: serde_bytes::ByteBuf,
}

#[test]
fn bytes_are_bytes_with_serde_bytes_and_lists_without() {
    let blobs = Blobs { raw: vec![0, 1, 255], list: vec![7, 8], buf: serde_bytes::ByteBuf::from(b"hi".to_vec()) };
    through_pickle(&blobs);
    assert_eq!(repr(&blobs), "{'raw': b'\\x00\\x01\\xff', 'list': [7, 8], 'buf': b'hi'}");
    // JSON has no bytes: lists of ints, as serde_json writes them.
    assert_eq!(through_json(&blobs), r#"{"raw": [0, 1, 255], "list": [7, 8], "buf": [104, 105]}"#);
    // Python bytes and bytearray read into Vec<u8> too.
    let v = Value::dict([
        ("raw", Value::bytes(&b"a"[..])),
        ("list", Value::bytes(&b"bc"[..])),
        ("buf", Value::bytearray(&b"d"[..])),
    ]);
    let b: Blobs = from_value(&v).unwrap();
    assert_eq!((b.raw, b.list, b.buf.into_vec()), (b"a".to_vec(), b"bc".to_vec(), b"d".to_vec()));
}

#[test]
fn borrowed_str_and_bytes_from_the_input() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct View<'a> {
        name: &'a str,
        #[serde(borrow, with = "serde_bytes")]
        data: &'a [u8],
    }
    #[derive(Serialize)]
    struct Own {
        name: String,
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    }
    let own = Own { name: "zero-copy".into(), data: b"payload".to_vec() };
    for protocol in 3..=5 {
        let bytes = pickle::to_vec(&own, &pickle::DumpOptions::protocol(protocol)).unwrap();
        let view: View = pickle::from_slice(&bytes, &pickle::LoadOptions::default()).unwrap();
        assert_eq!(view, View { name: "zero-copy", data: b"payload" });
        let range = bytes.as_ptr_range();
        assert!(range.contains(&view.name.as_ptr()) && range.contains(&view.data.as_ptr()));
    }
    #[derive(Deserialize)]
    struct Text<'a> {
        name: &'a str,
    }
    let text = r#"{"name": "borrowed"}"#;
    let t: Text = json::from_str(text, &json::LoadOptions::default()).unwrap();
    assert!(text.as_bytes().as_ptr_range().contains(&t.name.as_ptr()));
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Wide {
    a: i128,
    b: u128,
    big: Int,
    huge: Int,
    neg: Int,
    any: Value<'static>,
}

#[test]
fn i128_u128_and_big_ints_are_exact() {
    let huge: Int = "-1234567890123456789012345678901234567890123456789012345678901234567890".parse().unwrap();
    let wide = Wide {
        a: i128::MIN,
        b: u128::MAX,
        big: Int::from(u64::MAX),
        huge: Int::from(num_bigint::BigInt::from(3).pow(300)),
        neg: huge.clone(),
        any: Value::Int(Int::from(num_bigint::BigInt::from(2).pow(200))),
    };
    let text = both(&wide);
    assert!(text.contains("\"b\": 340282366920938463463374607431768211455"), "{text}");
    assert!(text.contains(&format!("\"neg\": {huge}")), "{text}");
    let v = to_value(&wide).unwrap();
    assert_eq!(v["a"].as_int().unwrap().to_i128(), Some(i128::MIN));
    assert_eq!(v["neg"].as_int(), Some(&huge));
    // An out-of-range int names the type and the path.
    let err = from_value::<Wide>(&Value::dict([("a", Value::Int(Int::from(u128::MAX)))])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: int 340282366920938463463374607431768211455 does not fit in i128 (at field \"a\")"
    );
}

#[test]
fn tuples_read_from_tuples_or_lists() {
    both(&(1u8, "two".to_string(), 3.5f64, (4i64, vec![5u8])));
    assert_eq!(repr(&(1, (2, 3))), "(1, (2, 3))");
    let from_list: (u8, String) = from_value(&Value::list([Value::from(1), Value::from("x")])).unwrap();
    assert_eq!(from_list, (1, "x".to_string()));
    let err = from_value::<(u8, u8)>(&Value::tuple([1, 2, 3])).unwrap_err();
    assert_eq!(err.to_string(), "invalid length 3, expected 2 element(s)");
    let err = from_value::<[u8; 2]>(&Value::bytes(&b"abc"[..])).unwrap_err();
    assert_eq!(err.to_string(), "invalid length 3, expected 2 elements in sequence");
    assert_eq!(from_value::<[u8; 3]>(&Value::bytes(&b"abc"[..])).unwrap(), *b"abc");
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Clone)]
struct Cell {
    row: u16,
    col: u16,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Clone)]
enum Key {
    Named(String),
    At { x: i8, y: i8 },
    Nowhere,
}

#[test]
fn maps_with_struct_tuple_and_enum_keys() {
    let by_cell: HashMap<Cell, String> =
        HashMap::from([(Cell { row: 1, col: 2 }, "a".into()), (Cell { row: 3, col: 4 }, "b".into())]);
    through_pickle(&by_cell);
    let by_pair: BTreeMap<(i32, String), Vec<Cell>> =
        BTreeMap::from([((1, "x".into()), vec![Cell { row: 0, col: 0 }]), ((-1, "y".into()), vec![])]);
    through_pickle(&by_pair);
    let by_key: BTreeMap<Key, u8> =
        BTreeMap::from([(Key::Named("n".into()), 1), (Key::At { x: 1, y: -1 }, 2), (Key::Nowhere, 3)]);
    through_pickle(&by_key);
    let by_list: BTreeMap<Vec<u8>, BTreeMap<String, u8>> =
        BTreeMap::from([(vec![1, 2], BTreeMap::from([("k".into(), 1)]))]);
    through_pickle(&by_list);
    // Keys come out hashable, so Python can load them as dicts.
    assert_eq!(repr(&BTreeMap::from([(Cell { row: 1, col: 2 }, 0)])), "{(1, 2): 0}");
    assert_eq!(repr(&by_key), "{('Named', 'n'): 1, ('At', (1, -1)): 2, 'Nowhere': 3}");
    assert_eq!(repr(&by_list), "{(1, 2): {'k': 1}}");
    let map_key: BTreeMap<BTreeMap<u8, u8>, u8> = BTreeMap::from([(BTreeMap::from([(1, 2), (3, 4)]), 5)]);
    through_pickle(&map_key);
    assert_eq!(repr(&map_key), "{((1, 2), (3, 4)): 5}");
    // JSON, like Python's json, has no such keys.
    let err = json::to_string(&by_cell, &json::DumpOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "keys must be str, int, float, bool or None, not tuple");
}

#[test]
fn json_keys_parse_into_number_and_bool_key_types() {
    let ints: BTreeMap<i64, u8> = BTreeMap::from([(-3, 1), (40, 2)]);
    assert_eq!(through_json(&ints), r#"{"-3": 1, "40": 2}"#);
    let wide: BTreeMap<u128, bool> = BTreeMap::from([(u128::MAX, true)]);
    through_json(&wide);
    let bools: BTreeMap<bool, u8> = BTreeMap::from([(false, 0), (true, 1)]);
    assert_eq!(through_json(&bools), r#"{"false": 0, "true": 1}"#);
    let floats: HashMap<String, f64> = json::from_str(r#"{"1.5": 1.5}"#, &json::LoadOptions::default()).unwrap();
    assert_eq!(floats["1.5"], 1.5);
    #[derive(Deserialize, Debug)]
    struct F {
        #[allow(dead_code)]
        m: BTreeMap<u8, u8>,
    }
    let err = json::from_str::<F>(r#"{"m": {"x": 1}}"#, &json::LoadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "invalid type: expected u8, found str 'x' (at field \"m\" → field \"x\")");
}

// Enums in all four representations.

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum External {
    Unit,
    Newtype(u128),
    Tuple(i8, String),
    Struct { a: Vec<u8>, b: Option<Box<External>> },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "type")]
enum Internal {
    Unit,
    Newtype(Inner),
    Struct { id: u64, name: String },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Unit,
    Newtype(i64),
    Tuple(u8, u8),
    Struct { x: f64 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(untagged)]
enum Untagged {
    Number(i64),
    Text(String),
    Pair(bool, bool),
    Record { name: String, big: Int },
    List(Vec<Untagged>),
}

#[test]
fn externally_tagged_enums() {
    let all = vec![
        External::Unit,
        External::Newtype(u128::MAX),
        External::Tuple(-1, "t".into()),
        External::Struct { a: vec![1], b: Some(Box::new(External::Unit)) },
    ];
    let text = both(&all);
    assert_eq!(
        text,
        r#"["Unit", {"Newtype": 340282366920938463463374607431768211455}, {"Tuple": [-1, "t"]}, {"Struct": {"a": [1], "b": "Unit"}}]"#
    );
    assert_eq!(
        repr(&all),
        "['Unit', {'Newtype': 340282366920938463463374607431768211455}, {'Tuple': (-1, 't')}, {'Struct': {'a': [1], 'b': 'Unit'}}]"
    );
    // serde-pickle's compat form, ('Variant', content), reads too.
    let compat = Value::tuple([Value::from("Tuple"), Value::tuple([Value::from(3), Value::from("c")])]);
    assert_eq!(from_value::<External>(&compat).unwrap(), External::Tuple(3, "c".into()));
    let err = from_value::<External>(&Value::from(5)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid type: expected an enum variant (a str, or a dict with one entry), found int 5"
    );
    let err = from_value::<External>(&Value::from("Nope")).unwrap_err();
    assert_eq!(err.to_string(), "unknown variant `Nope`, expected one of `Unit`, `Newtype`, `Tuple`, `Struct`");
}

#[test]
fn internally_tagged_enums() {
    let all = vec![
        Internal::Unit,
        Internal::Newtype(Inner { label: "n".into(), ratio: 0.5 }),
        Internal::Struct { id: u64::MAX, name: "s".into() },
    ];
    let text = both(&all);
    assert_eq!(
        text,
        r#"[{"type": "Unit"}, {"type": "Newtype", "label": "n", "ratio": 0.5}, {"type": "Struct", "id": 18446744073709551615, "name": "s"}]"#
    );
}

#[test]
fn adjacently_tagged_enums() {
    let all = vec![Adjacent::Unit, Adjacent::Newtype(-7), Adjacent::Tuple(1, 2), Adjacent::Struct { x: 1e300 }];
    let text = both(&all);
    assert_eq!(
        text,
        r#"[{"t": "Unit"}, {"t": "Newtype", "c": -7}, {"t": "Tuple", "c": [1, 2]}, {"t": "Struct", "c": {"x": 1e+300}}]"#
    );
}

#[test]
fn untagged_enums() {
    let all = vec![
        Untagged::Number(-3),
        Untagged::Text("t".into()),
        Untagged::Pair(true, false),
        // Wider than serde's buffering of untagged content (64 bits): still exact.
        Untagged::Record { name: "r".into(), big: "-99999999999999999999999999999999".parse().unwrap() },
        Untagged::List(vec![Untagged::Number(1), Untagged::Text("u".into())]),
    ];
    let text = both(&all);
    assert_eq!(text, r#"[-3, "t", [true, false], {"name": "r", "big": -99999999999999999999999999999999}, [1, "u"]]"#);
}

#[test]
fn value_fields_keep_what_python_put_there() {
    #[derive(Serialize, Deserialize, Debug)]
    struct Envelope {
        id: u8,
        payload: Value<'static>,
    }
    // Loaded from Python: a set, a bytearray, a complex, a frozenset key, an object.
    let bytes = run_python_pickle(
        "import collections; print(pickle.dumps({'id': 1, 'payload': [{1, 2}, bytearray(b'x'), 1j, {frozenset([3]): (4,)}, collections.OrderedDict(a=1)]}, 4).hex())",
    );
    let loaded = pickle::loads(&bytes, &pickle::LoadOptions::default()).unwrap();
    let env: Envelope = from_value(&loaded).unwrap();
    assert_eq!(
        env.payload.to_string(),
        "[{1, 2}, bytearray(b'x'), 1j, {frozenset({3}): (4,)}, collections.OrderedDict({'a': 1})]"
    );
    // Written back through serde, the pickle is CPython's.
    for protocol in 0..=5 {
        let opts = pickle::DumpOptions::protocol(protocol);
        assert_eq!(pickle::to_vec(&env, &opts).unwrap(), pickle::dumps(&loaded, &opts).unwrap(), "protocol {protocol}");
    }
    // Other formats see plain shapes.
    let bytes = run_python_pickle(
        "import collections; print(pickle.dumps([{1, 2}, bytearray(b'x'), 1j, collections.OrderedDict(a=1), collections.deque([2**70])], 4).hex())",
    );
    let plain = pickle::loads(&bytes, &pickle::LoadOptions::default()).unwrap();
    assert_eq!(serde_json::to_string(&plain).unwrap(), r#"[[1,2],[120],[0.0,1.0],{"a":1},["1180591620717411303424"]]"#);
}

/// Runs a python3 script (with `pickle` imported) that prints a pickle in hex.
fn run_python_pickle(script: &str) -> Vec<u8> {
    let hex = common::run_python(&format!("import pickle\n{script}"), "");
    let hex = hex.trim();
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn cycles_are_an_error_that_says_so() {
    // l = []; l.append(l)
    let bytes = b"\x80\x04]\x94h\x00a.";
    let whole: Value = pickle::from_slice(bytes, &pickle::LoadOptions::default()).unwrap();
    assert_eq!(whole.to_string(), "[[...]]", "a Value takes the cycle whole");
    let err = pickle::from_slice::<Vec<Vec<u8>>>(bytes, &pickle::LoadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot deserialize a reference back to an enclosing list (a cycle): serde types are trees (at item 0)"
    );
}

// Property test: any value of this shape survives both formats.

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Dot,
    Circle(f64),
    Rect { w: u32, h: u32 },
    Path(Vec<(i16, i16)>),
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Record {
    id: u64,
    delta: i128,
    total: u128,
    name: String,
    note: Option<String>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    weights: Vec<f64>,
    shapes: Vec<Shape>,
    index: BTreeMap<i32, Vec<String>>,
    pair: (bool, char),
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Dot),
        any::<f64>().prop_filter("NaN != NaN", |f| !f.is_nan()).prop_map(Shape::Circle),
        (any::<u32>(), any::<u32>()).prop_map(|(w, h)| Shape::Rect { w, h }),
        proptest::collection::vec(any::<(i16, i16)>(), 0..4).prop_map(Shape::Path),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (
        (any::<u64>(), any::<i128>(), any::<u128>(), ".{0,12}", proptest::option::of(".{0,6}")),
        (
            proptest::collection::vec(any::<u8>(), 0..40),
            proptest::collection::vec(any::<f64>().prop_filter("NaN != NaN", |f| !f.is_nan()), 0..4),
            proptest::collection::vec(shape(), 0..4),
            proptest::collection::btree_map(any::<i32>(), proptest::collection::vec("[a-z]{0,3}", 0..3), 0..4),
            (any::<bool>(), any::<char>()),
        ),
    )
        .prop_map(|((id, delta, total, name, note), (blob, weights, shapes, index, pair))| Record {
            id,
            delta,
            total,
            name,
            note,
            blob,
            weights,
            shapes,
            index,
            pair,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_record_round_trips(record in record(), protocol in 0u8..=5) {
        let bytes = pickle::to_vec(&record, &pickle::DumpOptions::protocol(protocol)).unwrap();
        let back: Record = pickle::from_slice(&bytes, &pickle::LoadOptions::default()).unwrap();
        prop_assert_eq!(&back, &record);
        let text = json::to_string(&record, &json::DumpOptions::default()).unwrap();
        let back: Record = json::from_str(&text, &json::LoadOptions::default()).unwrap();
        prop_assert_eq!(&back, &record);
        let back: Record = from_value(&to_value(&record).unwrap()).unwrap();
        prop_assert_eq!(back, record);
    }
}

#[test]
fn value_and_int_with_other_serde_formats() {
    // Value from any self-describing format.
    let v: Value =
        serde_json::from_str(r#"{"a": [1, 2.5, "x", null, true], "b": {"c": 18446744073709551615}}"#).unwrap();
    assert_eq!(v.to_string(), "{'a': [1, 2.5, 'x', None, True], 'b': {'c': 18446744073709551615}}");
    // Int: a number while it fits 64 bits, its digits as a string beyond.
    let big: Int = "123456789012345678901234567890".parse().unwrap();
    assert_eq!(serde_json::to_string(&big).unwrap(), r#""123456789012345678901234567890""#);
    assert_eq!(serde_json::from_str::<Int>(r#""123456789012345678901234567890""#).unwrap(), big);
    assert_eq!(serde_json::to_string(&Int::from(-5)).unwrap(), "-5");
    assert_eq!(serde_json::from_str::<Int>("18446744073709551615").unwrap(), Int::from(u64::MAX));
    // A str with a lone surrogate crosses brinery whole, and other formats with U+FFFD.
    let lone = Value::Str(brinery::Str::from_code_points([0x61, 0xD800]));
    assert_eq!(to_value(&lone).unwrap().as_py_str(), lone.as_py_str());
    assert_eq!(serde_json::to_string(&lone).unwrap(), "\"a\u{FFFD}\"");
    let err = from_value::<String>(&lone).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: str 'a\\ud800' holds a lone surrogate, which a Rust string cannot (use brinery::Value)"
    );
}

#[test]
fn values_cross_brinery_exactly() {
    use brinery::value::{Constructor, Object, Update};
    let obj = Value::Object(Object::new(
        Constructor::NewObj { cls: Value::global("m", "C"), args: Value::tuple(Vec::<Value>::new()) },
        vec![Update::Build(Value::dict([("s", Value::set([1, 2])), ("f", Value::frozenset(["x"]))]))],
    ));
    let v = Value::list([
        obj,
        Value::bytearray(&b"ba"[..]),
        Value::Complex { re: 1.0, im: -2.0 },
        Value::global("collections", "OrderedDict"),
        Value::tuple([Value::from(1), Value::Int(Int::from(u128::MAX))]),
    ]);
    let copy = to_value(&v).unwrap();
    assert_eq!(copy.to_string(), v.to_string());
    let back: Value = from_value(&v).unwrap();
    assert_eq!(back.to_string(), v.to_string());
    for protocol in 0..=5 {
        let opts = pickle::DumpOptions::protocol(protocol);
        assert_eq!(pickle::to_vec(&v, &opts).unwrap(), pickle::dumps(&v, &opts).unwrap());
    }
    // serde_json sees the data.
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"[{"s":[1,2],"f":["x"]},[98,97],[1.0,-2.0],"collections.OrderedDict",[1,"340282366920938463463374607431768211455"]]"#
    );
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Nest(Vec<Nest>);
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Tree {
        Leaf,
        Node { kids: Vec<Tree> },
    }
    // Within the 1000 levels pickle and JSON allow (Python's recursion limit);
    // each Tree level is three ({"Node": {"kids": [...]}}).
    let depth = 990;
    let mut nest = Nest(vec![]);
    for _ in 0..depth {
        nest = Nest(vec![nest]);
    }
    let mut tree = Tree::Leaf;
    for _ in 0..depth / 3 {
        tree = Tree::Node { kids: vec![tree] };
    }
    // Test threads have 2 MiB stacks, and debug builds use large frames.
    let nest_bytes = pickle::to_vec(&nest, &pickle::DumpOptions::default()).unwrap();
    let back: Nest = pickle::from_slice(&nest_bytes, &pickle::LoadOptions::default()).unwrap();
    assert!(back == nest);
    let tree_bytes = pickle::to_vec(&tree, &pickle::DumpOptions::default()).unwrap();
    let back: Tree = pickle::from_slice(&tree_bytes, &pickle::LoadOptions::default()).unwrap();
    assert!(back == tree);
    let back: Value = pickle::from_slice(&tree_bytes, &pickle::LoadOptions::default()).unwrap();
    assert_eq!(back.len(), Some(1));
    assert!(serde_json::to_string(&back).unwrap().starts_with(r#"{"Node":{"kids":[{"Node""#));
    let text = json::to_string(&nest, &json::DumpOptions::default()).unwrap();
    let back: Nest = json::from_str(&text, &json::LoadOptions::default()).unwrap();
    assert!(back == nest);
}

/// `a = []; for _ in range(64): a = [a, a]`: a few hundred bytes as a
/// pickle, 2**64 lists as a tree.
fn doubling_lists() -> Value<'static> {
    let mut a = Value::list(Vec::<Value>::new());
    for _ in 0..64 {
        a = Value::list([a.clone(), a]);
    }
    a
}

/// The same through objects that share their state dict (each object and
/// each list distinct), with `leaf` at the bottom.
fn doubling_objects(leaf: Value<'static>) -> Value<'static> {
    use brinery::value::{Constructor, Object, Update};
    let mut l = Value::list([leaf]);
    for _ in 0..64 {
        let state = Value::dict([("x", l)]);
        let object = || {
            Value::Object(Object::new(
                Constructor::NewObj { cls: Value::global("m", "C"), args: Value::tuple(Vec::<Value>::new()) },
                vec![Update::Build(state.clone())],
            ))
        };
        l = Value::list([object(), object()]);
    }
    l
}

/// Reads anything and keeps nothing; bytes are looked at, not copied.
struct Walker;

impl<'de> Deserialize<'de> for Walker {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Walker, D::Error> {
        d.deserialize_any(Walker)
    }
}

impl<'de> serde::de::Visitor<'de> for Walker {
    type Value = Walker;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("anything")
    }
    fn visit_u64<E>(self, _: u64) -> Result<Walker, E> {
        Ok(Walker)
    }
    fn visit_str<E>(self, _: &str) -> Result<Walker, E> {
        Ok(Walker)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Walker, E> {
        Ok(Walker)
    }
    fn visit_unit<E>(self) -> Result<Walker, E> {
        Ok(Walker)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Walker, A::Error> {
        while seq.next_element::<Walker>()?.is_some() {}
        Ok(Walker)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Walker, A::Error> {
        while map.next_entry::<Walker, Walker>()?.is_some() {}
        Ok(Walker)
    }
}

#[test]
fn reading_shared_sub_objects_cannot_expand_without_bound() {
    let bytes = pickle::dumps(&doubling_lists(), &pickle::DumpOptions::protocol(4)).unwrap();
    assert!(bytes.len() < 1000);
    #[derive(Deserialize, Debug)]
    struct Nest(#[allow(dead_code)] Vec<Nest>);
    let err = pickle::from_slice::<Nest>(&bytes, &pickle::LoadOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("shared sub-objects expand into more than 10000001 repeated values"), "{err}");
    // A Value keeps the sharing instead of expanding it, in both directions.
    let whole: Value = pickle::from_slice(&bytes, &pickle::LoadOptions::default()).unwrap();
    assert_eq!(whole.len(), Some(2));
    assert_eq!(pickle::to_vec(&whole, &pickle::DumpOptions::protocol(4)).unwrap(), bytes);
}

/// A 1 MiB bytes object costs 1025 units each time it is reached again, so
/// these walks hit the bound after about ten thousand visits.
fn blob() -> Value<'static> {
    Value::bytes(vec![0u8; 1 << 20])
}

#[test]
fn reading_through_shared_object_state_or_pairs_is_bounded_too() {
    let err = from_value::<Walker>(&doubling_objects(blob())).map(|_| ()).unwrap_err();
    assert!(err.to_string().starts_with("shared sub-objects expand"), "{err}");
    // Shared (key, value) pair tuples read as a map.
    let mut pairs = Value::tuple([Value::tuple([Value::from(0), blob()])]);
    for _ in 0..64 {
        let pair = Value::tuple([Value::from(0), pairs]);
        pairs = Value::tuple([pair.clone(), pair]);
    }
    #[derive(Deserialize)]
    struct Map(#[allow(dead_code)] BTreeMap<u8, Walker>);
    let err = from_value::<Map>(&pairs).map(|_| ()).unwrap_err();
    assert!(err.to_string().starts_with("shared sub-objects expand"), "{err}");
    // The blob alone, shared by many list items.
    let many = Value::list(vec![blob(); 100_000]);
    let err = from_value::<Walker>(&many).map(|_| ()).unwrap_err();
    assert!(err.to_string().starts_with("shared sub-objects expand"), "{err}");
}

#[test]
fn writing_shared_sub_objects_to_other_formats_cannot_expand_without_bound() {
    // Other formats write trees: the bound applies to Value's Serialize too.
    let err = serde_json::to_string(&doubling_lists()).unwrap_err();
    assert!(err.to_string().starts_with("shared sub-objects expand"), "{err}");
    let err = serde_json::to_string(&doubling_objects(Value::None)).unwrap_err();
    assert!(err.to_string().starts_with("shared sub-objects expand"), "{err}");
    // The bound is per value written: the next one starts afresh.
    assert_eq!(serde_json::to_string(&Value::list([1, 2])).unwrap(), "[1,2]");
}

#[test]
fn huge_ints_stay_exact_and_are_never_converted_to_digits_at_length() {
    let huge = Int::from(num_bigint::BigInt::from(7).pow(40_000)); // 112,295 bits, about 33,800 digits
    let bytes = pickle::dumps(&Value::list([Value::Int(huge.clone())]), &pickle::DumpOptions::default()).unwrap();
    let exact: Vec<Int> = pickle::from_slice(&bytes, &pickle::LoadOptions::default()).unwrap();
    assert_eq!(exact[0], huge);
    let err = pickle::from_slice::<Vec<u64>>(&bytes, &pickle::LoadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "invalid value: int (a 112295-bit number) does not fit in u64 (at item 0)");
    let err = pickle::from_slice::<serde_json::Value>(&bytes, &pickle::LoadOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("cannot describe an int of 112295 bits"), "{err}");
    let err = serde_json::to_string(&huge).unwrap_err();
    assert!(err.to_string().starts_with("cannot write an int of 112295 bits"), "{err}");
    let err = serde_json::from_str::<Int>(&format!("\"{}\"", "9".repeat(5000))).unwrap_err();
    assert!(err.to_string().starts_with("a decimal string of 5000 characters is too long"), "{err}");
    // Within the limit, digits are fine.
    let big = Int::from(num_bigint::BigInt::from(10).pow(4000));
    assert_eq!(serde_json::from_str::<Int>(&serde_json::to_string(&big).unwrap()).unwrap(), big);
}
