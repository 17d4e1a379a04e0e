//! serde against CPython: pickles and JSON written by python3 read into Rust
//! types, and Rust structs written as instances of Python classes that
//! python3 loads and would have pickled to the same bytes.
//!
//! The classes live in `tests/serde/serde_fixtures.py`.

mod common;

use brinery::serde::Classes;
use brinery::value::Constructor;
use brinery::{json, pickle, Int, Value};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

/// Python that can import `serde_fixtures`.
fn python(body: &str, input: &str) -> String {
    let dir = common::workspace_root().join("tests/serde");
    common::run_python(&format!("import sys\nsys.path.insert(0, {:?})\n{body}", dir.display().to_string()), input)
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every case CPython pickles for these tests, at every protocol it can.
const CASES: &str = r#"
import collections, json, pickle
import serde_fixtures as f

cases = {
    'job': f.Job(7, 'build', ['ci', 'fast'], 0.5),
    'job_no_weight': f.Job(1, 'lint', []),
    'plain': f.Plain(a=1, b='two', c=[3.0, 4.5]),
    'slotted': f.Slotted(-1, 'right side'),
    'slot_job': f.SlotJob(5, 'slots'),
    'color': f.Color.GREEN,
    'pair': f.Pair(10, 'ten'),
    'ordered': collections.OrderedDict([('zeta', 1), ('alpha', 2)]),
    'default': collections.defaultdict(list, {'k': [1, 2], 'e': []}),
    'counter': collections.Counter('abracadabra'),
    'deque': collections.deque([3, 1, 2]),
    'bounded_deque': collections.deque([1, 2], maxlen=5),
    'big': {'pos': 2**100, 'neg': -2**200, 'low': -2**127, 'high': 2**128 - 1, 'small': 5},
    'bytes': {'b': b'\x00\xff', 'ba': bytearray(b'ab'), 'as_list': b'xyz', 'from_list': [1, 2]},
    'nested': {
        'jobs': [f.Job(1, 'a', ['x']), f.Job(2, 'b', [], 1.0)],
        'by_pair': {(1, 'one'): f.Plain(x=1), (2, 'two'): f.Plain(x=2)},
        'numbers': {3, 1, 2},
        'names': frozenset({'n1', 'n2'}),
        'point': (1.5, -2.5),
    },
    'enums': ['Unit', {'Newtype': 5}, {'Tuple': [1, 'x']}, {'Struct': {'a': [1, 2], 'b': None}}],
    'tagged': [{'type': 'Struct', 'id': 3, 'name': 'n'}, {'type': 'Unit'}],
}
out = {}
for name, value in cases.items():
    out[name] = {}
    for protocol in range(6):
        try:
            out[name][protocol] = pickle.dumps(value, protocol).hex()
        except TypeError:
            pass  # __slots__ without __getstate__ needs protocol 2
print(json.dumps(out))
"#;

/// `case → protocol → pickle`, written once per test run by CPython.
fn pickles() -> &'static HashMap<String, BTreeMap<u8, Vec<u8>>> {
    static PICKLES: OnceLock<HashMap<String, BTreeMap<u8, Vec<u8>>>> = OnceLock::new();
    PICKLES.get_or_init(|| {
        let out: HashMap<String, BTreeMap<u8, String>> = serde_json::from_str(&python(CASES, "")).unwrap();
        out.into_iter().map(|(k, v)| (k, v.into_iter().map(|(p, h)| (p, unhex(&h))).collect())).collect()
    })
}

/// Reads every protocol's pickle of `case` into `T`; returns them, checking
/// that each protocol gives the same result.
fn read_all<T: for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(case: &str, protocols: usize) -> T {
    let by_protocol = &pickles()[case];
    assert_eq!(by_protocol.len(), protocols, "{case}: protocols CPython wrote");
    let mut results = by_protocol.iter().map(|(p, bytes)| {
        pickle::from_slice::<T>(bytes, &pickle::LoadOptions::default()).unwrap_or_else(|e| panic!("{case} p{p}: {e}"))
    });
    let first = results.next().unwrap();
    for (i, other) in results.enumerate() {
        assert_eq!(other, first, "{case}: protocol {} differs", i + 1);
    }
    first
}

#[derive(Deserialize, Serialize, Debug, PartialEq)]
struct Job {
    id: u64,
    name: String,
    tags: Vec<String>,
    weight: Option<f64>,
}

#[test]
fn dataclass_into_struct_through_its_state_dict() {
    let job: Job = read_all("job", 6);
    assert_eq!(job, Job { id: 7, name: "build".into(), tags: vec!["ci".into(), "fast".into()], weight: Some(0.5) });
    let job: Job = read_all("job_no_weight", 6);
    assert_eq!(job.weight, None);
}

#[test]
fn protocol_0_and_1_copyreg_reconstructor_objects_keep_their_data() {
    // serde-pickle #34: `copy_reg._reconstructor` instances whose class is unknown lost their BUILD state.
    for protocol in [0, 1] {
        let bytes = &pickles()["job"][&protocol];
        assert!(bytes.starts_with(b"ccopy_reg\n_reconstructor\n"));
        let v = pickle::loads(bytes, &pickle::LoadOptions::default()).unwrap();
        let o = v.as_object().unwrap();
        assert!(
            matches!(o.constructor(), Constructor::Reduce { callable, .. } if callable.to_string() == "copyreg._reconstructor")
        );
        assert_eq!(o.class().unwrap().to_string(), "serde_fixtures.Job");
        let job: Job = pickle::from_slice(bytes, &pickle::LoadOptions::default()).unwrap();
        assert_eq!(job.id, 7);
    }
}

#[test]
fn plain_and_slotted_objects_into_structs() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Plain {
        a: i32,
        b: String,
        c: Vec<f64>,
    }
    assert_eq!(read_all::<Plain>("plain", 6), Plain { a: 1, b: "two".into(), c: vec![3.0, 4.5] });
    #[derive(Deserialize, Debug, PartialEq)]
    struct Slotted {
        left: i8,
        right: String,
    }
    // (None, {slots}) state, protocol 2 and later only (CPython refuses 0 and 1).
    assert_eq!(read_all::<Slotted>("slotted", 4), Slotted { left: -1, right: "right side".into() });
    #[derive(Deserialize, Debug, PartialEq)]
    struct SlotJob {
        id: u8,
        name: String,
    }
    assert_eq!(read_all::<SlotJob>("slot_job", 4), SlotJob { id: 5, name: "slots".into() });
}

#[test]
fn objects_without_state_read_as_their_constructor_arguments() {
    // Color.GREEN pickles as `Color(2)`.
    assert_eq!(read_all::<u8>("color", 6), 2);
    // A namedtuple is its fields in order: into a struct or a tuple.
    #[derive(Deserialize, Debug, PartialEq)]
    struct Pair {
        left: i32,
        right: String,
    }
    assert_eq!(read_all::<Pair>("pair", 6), Pair { left: 10, right: "ten".into() });
    assert_eq!(read_all::<(i32, String)>("pair", 6), (10, "ten".to_string()));
    let counts: HashMap<char, u32> = read_all("counter", 6);
    assert_eq!(counts, HashMap::from([('a', 5), ('b', 2), ('r', 2), ('c', 1), ('d', 1)]));
}

/// A map read as its entries in order.
#[derive(Debug, PartialEq)]
struct InOrder(Vec<(String, i32)>);

impl<'de> Deserialize<'de> for InOrder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<InOrder, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = InOrder;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<InOrder, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(InOrder(entries))
            }
        }
        d.deserialize_map(Entries)
    }
}

#[test]
fn dict_and_list_subclasses_read_as_maps_and_sequences() {
    let map: BTreeMap<String, i32> = read_all("ordered", 6);
    assert_eq!(map, BTreeMap::from([("alpha".into(), 2), ("zeta".into(), 1)]));
    // The items come in the pickle's order.
    assert_eq!(read_all::<InOrder>("ordered", 6).0, [("zeta".to_string(), 1), ("alpha".to_string(), 2)]);
    let default: HashMap<String, Vec<i32>> = read_all("default", 6);
    assert_eq!(default, HashMap::from([("k".into(), vec![1, 2]), ("e".into(), vec![])]));
    assert_eq!(read_all::<Vec<i32>>("deque", 6), [3, 1, 2]);
    assert_eq!(read_all::<Vec<i32>>("bounded_deque", 6), [1, 2]);
}

#[test]
fn big_ints_into_typed_fields() {
    // serde-pickle #30: big ints inside typed structs.
    #[derive(Deserialize, Debug, PartialEq)]
    struct Big {
        pos: Int,
        neg: Value<'static>,
        low: i128,
        high: u128,
        small: Int,
    }
    let big: Big = read_all("big", 6);
    assert_eq!(big.pos.to_string(), "1267650600228229401496703205376");
    assert_eq!(big.neg.to_string(), format!("-{}", num_bigint::BigInt::from(2).pow(200)));
    assert_eq!((big.low, big.high, big.small), (i128::MIN, u128::MAX, Int::from(5)));
    #[derive(Deserialize, Debug)]
    struct Narrow {
        #[allow(dead_code)]
        pos: u64,
    }
    let err = pickle::from_slice::<Narrow>(&pickles()["big"][&4], &pickle::LoadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: int 1267650600228229401496703205376 does not fit in u64 (at field \"pos\")"
    );
}

#[test]
fn python_bytes_into_byte_types() {
    // serde-pickle #2/#10: bytes vs Vec<u8>.
    #[derive(Deserialize, Debug, PartialEq)]
    struct Blobs {
        b: ByteBuf,
        ba: Vec<u8>,
        as_list: Vec<u8>,
        from_list: ByteBuf,
    }
    let blobs: Blobs = read_all("bytes", 6);
    assert_eq!(
        blobs,
        Blobs {
            b: ByteBuf::from(vec![0, 255]),
            ba: b"ab".to_vec(),
            as_list: b"xyz".to_vec(),
            from_list: ByteBuf::from(vec![1, 2])
        }
    );
    // A str is not bytes; the error says what to do about Python 2 strings.
    let err = pickle::from_slice::<ByteBuf>(b"X\x01\x00\x00\x00a.", &pickle::LoadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid type: expected bytes, found str 'a' (a Python 2 str? load with encoding=bytes)"
    );
}

#[test]
fn nested_python_data_with_tuple_keys_sets_and_objects() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct X {
        x: u8,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Nested {
        jobs: Vec<Job>,
        by_pair: HashMap<(i32, String), X>,
        numbers: HashSet<i64>,
        names: BTreeSet<String>,
        point: (f32, f32),
    }
    let nested: Nested = read_all("nested", 6);
    assert_eq!(nested.jobs[1], Job { id: 2, name: "b".into(), tags: vec![], weight: Some(1.0) });
    assert_eq!(nested.by_pair[&(2, "two".to_string())], X { x: 2 });
    assert_eq!(nested.numbers, HashSet::from([1, 2, 3]));
    assert_eq!(nested.names, BTreeSet::from(["n1".to_string(), "n2".to_string()]));
    assert_eq!(nested.point, (1.5, -2.5));
}

#[derive(Deserialize, Debug, PartialEq)]
enum External {
    Unit,
    Newtype(u8),
    Tuple(i32, String),
    Struct { a: Vec<u8>, b: Option<u8> },
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "type")]
enum Internal {
    Unit,
    Struct { id: u64, name: String },
}

#[test]
fn python_dicts_and_strs_into_enums() {
    let enums: Vec<External> = read_all("enums", 6);
    assert_eq!(
        enums,
        [
            External::Unit,
            External::Newtype(5),
            External::Tuple(1, "x".into()),
            External::Struct { a: vec![1, 2], b: None }
        ]
    );
    let tagged: Vec<Internal> = read_all("tagged", 6);
    assert_eq!(tagged, [Internal::Struct { id: 3, name: "n".into() }, Internal::Unit]);
}

#[test]
fn json_written_by_python() {
    let text = python(
        r#"
import json
print(json.dumps({
    'jobs': [{'id': 1, 'name': 'caf\u00e9 \U0001F600', 'tags': ['a'], 'weight': None}],
    'counts': {1: 2, 10: 3},
    'big': 2**100,
    'wide': -2**127,
    'floats': [float('nan'), float('inf'), 1e-7, 0.1],
    'enums': ['Unit', {'Newtype': 5}, {'Tuple': [1, 'x']}],
    'tagged': {'type': 'Struct', 'id': 3, 'name': 'n'},
    'pair': (1, 'tuple becomes array'),
}))
"#,
        "",
    );
    #[derive(Deserialize, Debug)]
    struct Doc {
        jobs: Vec<Job>,
        counts: BTreeMap<u32, u8>,
        big: Int,
        wide: i128,
        floats: Vec<f64>,
        enums: Vec<External>,
        tagged: Internal,
        pair: (u8, String),
    }
    let doc: Doc = json::from_str(&text, &json::LoadOptions::default()).unwrap();
    assert_eq!(doc.jobs[0].name, "café 😀");
    assert_eq!(doc.counts, BTreeMap::from([(1, 2), (10, 3)]));
    assert_eq!(doc.big.to_string(), "1267650600228229401496703205376");
    assert_eq!(doc.wide, i128::MIN);
    assert!(doc.floats[0].is_nan() && doc.floats[1] == f64::INFINITY && doc.floats[2] == 1e-7 && doc.floats[3] == 0.1);
    assert_eq!(doc.enums, [External::Unit, External::Newtype(5), External::Tuple(1, "x".into())]);
    assert_eq!(doc.tagged, Internal::Struct { id: 3, name: "n".into() });
    assert_eq!(doc.pair, (1, "tuple becomes array".into()));
    // And what Rust writes, Python reads back equal.
    let again = json::to_string(&doc.jobs, &json::DumpOptions::default()).unwrap();
    let echoed = python("import json, sys\nprint(json.dumps(json.loads(sys.stdin.read())))", &again);
    assert_eq!(echoed.trim_end(), again);
}

// Rust structs written as instances of named Python classes.

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    x: i64,
    y: f64,
    label: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Marker {}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Polygon {
    name: String,
    points: Vec<Point>,
    closed: bool,
    marker: Marker,
    weights: BTreeMap<String, u128>,
}

fn polygon() -> Polygon {
    Polygon {
        name: "triangle".into(),
        points: vec![
            Point { x: 0, y: 0.5, label: "first".into() },
            Point { x: 10, y: -1.25, label: "second".into() },
            Point { x: -3, y: 1e100, label: "third".into() },
        ],
        closed: true,
        marker: Marker {},
        weights: BTreeMap::from([("heavy".into(), u128::MAX), ("light".into(), 1)]),
    }
}

/// The same object built in Python, and what to do with Rust's pickles of it.
const CLASSES_SCRIPT: &str = r#"
import json, pickle
from serde_fixtures import Point, Polygon, Marker, instance

expected = instance(Polygon,
    name='triangle',
    points=[instance(Point, x=0, y=0.5, label='first'),
            instance(Point, x=10, y=-1.25, label='second'),
            instance(Point, x=-3, y=1e100, label='third')],
    closed=True,
    marker=instance(Marker),
    weights={'heavy': 2**128 - 1, 'light': 1})
out = {}
for protocol, mine in json.loads(input()).items():
    loaded = pickle.loads(bytes.fromhex(mine))
    out[protocol] = {
        'cpython': pickle.dumps(expected, int(protocol)).hex(),
        'equal': loaded == expected,
        'types': [type(loaded).__name__, type(loaded.points[0]).__name__, type(loaded.marker).__name__],
    }
print(json.dumps(out))
"#;

#[test]
fn rust_structs_as_instances_of_named_classes_are_cpython_identical() {
    let classes = Classes::new()
        .with("Point", "serde_fixtures", "Point")
        .with("Polygon", "serde_fixtures", "Polygon")
        .with("Marker", "serde_fixtures", "Marker");
    let poly = polygon();
    let mine: BTreeMap<String, String> = (0..=5u8)
        .map(|p| {
            let bytes = pickle::to_vec_with(&poly, &pickle::DumpOptions::protocol(p), &classes).unwrap();
            (p.to_string(), hex(&bytes))
        })
        .collect();
    let input = serde_json::to_string(&mine).unwrap();
    let report: BTreeMap<String, serde_json::Value> = serde_json::from_str(&python(CLASSES_SCRIPT, &input)).unwrap();
    for (protocol, r) in &report {
        assert_eq!(r["types"].to_string(), r#"["Polygon","Point","Marker"]"#, "protocol {protocol}");
        assert_eq!(r["equal"], true, "protocol {protocol}: python3 loads an equal object");
        assert_eq!(mine[protocol], r["cpython"].as_str().unwrap(), "protocol {protocol}: CPython's bytes");
        // And back into Rust, from CPython's bytes.
        let back: Polygon =
            pickle::from_slice(&unhex(r["cpython"].as_str().unwrap()), &pickle::LoadOptions::default()).unwrap();
        assert_eq!(back, poly);
    }
    assert_eq!(report.len(), 6);
}

#[test]
fn mismatches_name_the_python_class_and_the_path() {
    let err = pickle::from_slice::<Vec<u8>>(&pickles()["job"][&2], &pickle::LoadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "invalid type: expected a sequence, found serde_fixtures.Job object");
    #[derive(Deserialize, Debug)]
    struct WrongJob {
        #[allow(dead_code)]
        tags: Vec<u32>,
    }
    let err = pickle::from_slice::<WrongJob>(&pickles()["job"][&0], &pickle::LoadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "invalid type: expected u32, found str 'ci' (at field \"tags\" → item 0)");
    assert_eq!(err.path().segments().count(), 2);
    #[derive(Deserialize, Debug)]
    struct Jobs {
        #[allow(dead_code)]
        jobs: Vec<Point>,
    }
    let err = pickle::from_slice::<Jobs>(&pickles()["nested"][&4], &pickle::LoadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "missing field `x` (at field \"jobs\" → item 0)");
}
