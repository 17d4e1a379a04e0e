//! Typed views (`brinery::view`) against the real libraries:
//!
//! - numpy: the fixtures of `tests/views/make_fixtures.py` (written by numpy
//!   2.2 itself, committed) and its `expected.json`, what numpy reports about
//!   each pickled array, scalar, dtype and masked array;
//! - the standard library: `tests/views/stdlib_cases.py` pickles datetime,
//!   Decimal, UUID, collections and enum values with the system python3 at
//!   protocols 0-5 and prints what CPython reads back from those bytes.

mod common;

use brinery::pickle::{loads, LoadOptions, StringEncoding};
use brinery::view::{
    ArrayData, Counter, DType, DateTime, Decimal, DefaultDict, Deque, EnumMember, MaskedArray, NdArray, OrderedDict,
    TimeDelta, TzInfo, Uuid,
};
use brinery::{Bytes, Value};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    common::workspace_root().join("tests/views/fixtures")
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn usizes(j: &Json) -> Vec<usize> {
    j.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

/// Compares a dtype with numpy's facts about it.
fn check_dtype(dt: &DType, j: &Json, at: &str) {
    assert_eq!(dt.descr, j["str"].as_str().unwrap(), "{at}: dtype.str");
    assert_eq!(dt.to_string(), dt.descr, "{at}");
    assert_eq!(dt.kind.as_char().to_string(), j["kind"].as_str().unwrap(), "{at}: kind");
    assert_eq!(dt.item_size as u64, j["itemsize"].as_u64().unwrap(), "{at}: itemsize");
    assert_eq!(dt.byte_order.as_char().to_string(), j["byteorder"].as_str().unwrap(), "{at}: byteorder");
    assert_eq!(dt.is_native(), j["isnative"].as_bool().unwrap(), "{at}: isnative");
    let unit = dt.datetime_unit().map(|(u, n)| serde_json::json!([u, n]));
    assert_eq!(unit.unwrap_or(Json::Null), j["unit"], "{at}: datetime unit");
    match (&dt.subarray, &j["subarray"]) {
        (None, Json::Null) => {}
        (Some(sub), js) if !js.is_null() => {
            check_dtype(&sub.base, &js["base"], &format!("{at} subarray base"));
            assert_eq!(sub.shape, usizes(&js["shape"]), "{at}: subarray shape");
        }
        (sub, js) => panic!("{at}: subarray {sub:?}, numpy says {js}"),
    }
    match (&dt.fields, &j["fields"]) {
        (None, Json::Null) => {}
        (Some(fields), Json::Array(jf)) => {
            assert_eq!(fields.len(), jf.len(), "{at}: field count");
            for (f, jf) in fields.iter().zip(jf) {
                let at = format!("{at} field {}", f.name);
                assert_eq!(f.name, jf["name"].as_str().unwrap(), "{at}");
                assert_eq!(f.offset as u64, jf["offset"].as_u64().unwrap(), "{at}: offset");
                assert_eq!(f.title.as_deref(), jf["title"].as_str(), "{at}: title");
                check_dtype(&f.dtype, &jf["dtype"], &at);
            }
        }
        (fields, jf) => panic!("{at}: fields {fields:?}, numpy says {jf}"),
    }
}

fn check_numbers(
    f64s: Result<Vec<f64>, impl std::fmt::Debug>,
    i64s: Result<Vec<i64>, impl std::fmt::Debug>,
    j: &Json,
    at: &str,
) {
    match &j["f64_bits"] {
        Json::Null => assert!(f64s.is_err(), "{at}: numpy does not convert to f64 here, the view did: {f64s:?}"),
        bits => {
            let got: Vec<u64> = f64s.unwrap().iter().map(|f| f.to_bits()).collect();
            assert_eq!(
                got,
                bits.as_array().unwrap().iter().map(|b| b.as_u64().unwrap()).collect::<Vec<_>>(),
                "{at}: f64"
            );
        }
    }
    match &j["i64"] {
        Json::Null => assert!(i64s.is_err(), "{at}: numpy does not convert to i64 here, the view did: {i64s:?}"),
        ints => {
            assert_eq!(
                i64s.unwrap(),
                ints.as_array().unwrap().iter().map(|n| n.as_i64().unwrap()).collect::<Vec<_>>(),
                "{at}: i64"
            )
        }
    }
}

fn check_array(a: &NdArray<'_, '_>, j: &Json, at: &str) {
    check_dtype(&a.dtype, &j["dtype"], at);
    assert_eq!(a.shape, usizes(&j["shape"]), "{at}: shape");
    assert_eq!(a.strides(), usizes(&j["strides"]), "{at}: strides");
    assert_eq!(a.fortran_order, j["fortran_order"].as_bool().unwrap(), "{at}: fortran_order");
    assert_eq!(a.is_c_contiguous(), j["c_contiguous"].as_bool().unwrap(), "{at}: c_contiguous");
    assert_eq!(a.is_f_contiguous(), j["f_contiguous"].as_bool().unwrap(), "{at}: f_contiguous");
    assert_eq!(a.len() as u64, j["size"].as_u64().unwrap(), "{at}: size");
    match a.data {
        ArrayData::Bytes(bytes) => {
            let want = j["hex"].as_str().unwrap_or_else(|| panic!("{at}: numpy says object array"));
            assert_eq!(hex(bytes), want, "{at}: data");
            let joined: Vec<u8> = (0..a.len()).flat_map(|i| a.element(i).unwrap().to_vec()).collect();
            assert_eq!(joined, bytes, "{at}: elements");
            assert_eq!(a.element(a.len()), None, "{at}: element past the end");
            check_numbers(a.to_vec_f64(), a.to_vec_i64(), j, at);
        }
        ArrayData::Objects(items) => {
            let reprs: Vec<String> = items.iter().map(Value::to_string).collect();
            let want: Vec<&str> = j["objects"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
            assert_eq!(reprs, want, "{at}: objects");
        }
        ArrayData::OutOfBand { index } => panic!("{at}: buffer {index} was supplied but not used"),
    }
}

/// Every numpy fixture, checked against what numpy reported when writing it.
#[test]
fn numpy_fixtures_match_numpy() {
    let dir = fixtures();
    let expected: Json = serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let entries = expected.as_array().unwrap();
    assert!(entries.len() > 150, "expected.json lists {} fixtures", entries.len());
    let mut kinds = std::collections::BTreeMap::new();
    for e in entries {
        let file = e["file"].as_str().unwrap();
        let kind = e["kind"].as_str().unwrap();
        *kinds.entry(kind).or_insert(0) += 1;
        let data = std::fs::read(dir.join(file)).unwrap();
        let buffers: Vec<Bytes<'static>> = e["buffers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| Bytes::new(std::fs::read(dir.join(b.as_str().unwrap())).unwrap()))
            .collect();
        let opts = LoadOptions { buffers: (!buffers.is_empty()).then_some(buffers), ..Default::default() };
        let value = loads(&data, &opts).unwrap_or_else(|err| panic!("{file}: {err}"));
        let j = &e["expect"];
        match kind {
            "ndarray" => {
                let a = value.as_ndarray().unwrap_or_else(|err| panic!("{file}: {err}")).expect(file);
                check_array(&a, j, file);
                assert!(value.as_dtype().unwrap().is_none() && value.as_numpy_scalar().unwrap().is_none());
            }
            "scalar" => {
                let s = value.as_numpy_scalar().unwrap_or_else(|err| panic!("{file}: {err}")).expect(file);
                check_dtype(&s.dtype, &j["dtype"], file);
                assert_eq!(hex(s.bytes), j["hex"].as_str().unwrap(), "{file}: bytes");
                check_numbers(
                    s.as_f64().map(|f| vec![f]),
                    s.as_i64().map(|i| vec![i]),
                    &{
                        let wrap = |v: &Json| if v.is_null() { Json::Null } else { Json::Array(vec![v.clone()]) };
                        serde_json::json!({"f64_bits": wrap(&j["f64_bits"]), "i64": wrap(&j["i64"])})
                    },
                    file,
                );
                assert!(value.as_ndarray().unwrap().is_none());
            }
            "dtype" => {
                let dt = value.as_dtype().unwrap_or_else(|err| panic!("{file}: {err}")).expect(file);
                check_dtype(&dt, j, file);
                // The typestring numpy reports parses back to the same simple dtype.
                if dt.fields.is_none() && dt.subarray.is_none() {
                    assert_eq!(DType::from_descr(&dt.descr).unwrap(), dt, "{file}: from_descr(dtype.str)");
                }
            }
            "npy_descr" => {
                check_dtype(&DType::from_npy_descr(&value).unwrap_or_else(|err| panic!("{file}: {err}")), j, file)
            }
            "masked" => {
                let m = MaskedArray::from_value(&value).unwrap_or_else(|err| panic!("{file}: {err}")).expect(file);
                check_array(&m.array, &j["array"], file);
                assert_eq!(hex(m.mask), j["mask_hex"].as_str().unwrap(), "{file}: mask");
                assert_eq!(m.fill_value.is_none(), j["fill_value"].is_null(), "{file}: fill_value");
                assert!(value.as_ndarray().unwrap().is_none());
            }
            other => panic!("{file}: unknown kind {other}"),
        }
    }
    // Every way of pickling is represented.
    for (kind, min) in [("ndarray", 100), ("scalar", 15), ("dtype", 30), ("npy_descr", 15), ("masked", 4)] {
        assert!(kinds.get(kind).copied().unwrap_or(0) >= min, "{kind}: {kinds:?}");
    }
    let names: Vec<&str> = entries.iter().map(|e| e["file"].as_str().unwrap()).collect();
    for needle in [".p0.", ".np1.", ".oob.", "fortran", "_big", "zero_d", "empty", "object", "structured"] {
        assert!(names.iter().any(|n| n.contains(needle)), "no fixture for {needle}");
    }
}

/// Without its out-of-band buffers an array still has its dtype and shape;
/// the data is reported missing, not invented.
#[test]
fn out_of_band_without_buffers() {
    let data = std::fs::read(fixtures().join("array_i4_fortran.p5.oob.pkl")).unwrap();
    let value = loads(&data, &LoadOptions::default()).unwrap();
    let a = value.as_ndarray().unwrap().unwrap();
    assert!(matches!(a.data, ArrayData::OutOfBand { index: 0 }));
    assert_eq!((a.shape.as_slice(), a.fortran_order, a.dtype.descr.as_str()), (&[2, 3][..], true, "<i4"));
    assert_eq!(a.element(0), None);
    let err = a.to_vec_i64().unwrap_err();
    assert!(err.to_string().contains("out-of-band buffer 0"), "{err}");
}

/// Data that does not fit the shape is an error naming both.
#[test]
fn truncated_array_data_is_an_error() {
    let path = fixtures().join("array_f8.p4.pkl");
    let data = std::fs::read(&path).unwrap();
    let value = loads(&data, &LoadOptions::default()).unwrap();
    let good = value.as_ndarray().unwrap().unwrap();
    // Rebuild the same call with one byte less of data.
    let obj = value.as_object().unwrap();
    let state = obj.state().unwrap().as_tuple().unwrap();
    let mut items = state.to_vec();
    let ArrayData::Bytes(bytes) = good.data else { panic!() };
    items[4] = Value::bytes(bytes[..bytes.len() - 1].to_vec());
    let broken = Value::Object(brinery::value::Object::new(
        obj.constructor().clone(),
        vec![brinery::value::Update::Build(Value::tuple(items))],
    ));
    let err = broken.as_ndarray().unwrap_err();
    assert_eq!(err.view(), "numpy.ndarray");
    assert!(err.message().contains("needs 40 bytes, the data has 39"), "{err}");
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(&fixtures()).join(name)
}

/// Structured arrays: fields read through the dtype, elements as raw records.
#[test]
fn structured_array_fields() {
    let data = std::fs::read(fixture_path("array_structured.p2.pkl")).unwrap();
    let value = loads(&data, &LoadOptions::default()).unwrap();
    let a = value.as_ndarray().unwrap().unwrap();
    let fields = a.dtype.fields.as_ref().unwrap();
    let b = &fields[1];
    let sub = b.dtype.subarray.as_ref().unwrap();
    // Record 1, field b, item 0 is 4.25 stored big-endian at offset 4.
    let record = a.element(1).unwrap();
    let raw: [u8; 8] = record[b.offset..b.offset + 8].try_into().unwrap();
    assert_eq!((sub.base.descr.as_str(), f64::from_be_bytes(raw)), (">f8", 4.25));
}

// ---- The standard library, against CPython.

fn tz_check(tz: &Option<TzInfo<'_, '_>>, j: &Json, at: &str) {
    match (tz, j) {
        (None, Json::Null) => {}
        (Some(TzInfo::Fixed { offset, name }), j) if j["kind"] == "fixed" => {
            assert_eq!(offset.total_microseconds(), j["offset_us"].as_i64().unwrap(), "{at}: offset");
            assert_eq!(name.as_deref(), j["name"].as_str(), "{at}: tz name");
            assert_eq!(tz.as_ref().unwrap().to_string(), j["str"].as_str().unwrap(), "{at}: str(tz)");
        }
        (Some(TzInfo::Zone(key)), j) if j["kind"] == "zone" => assert_eq!(key, j["key"].as_str().unwrap(), "{at}"),
        (tz, j) => panic!("{at}: tz {tz:?}, CPython says {j}"),
    }
}

fn ints(j: &Json) -> Vec<i64> {
    j.as_array().unwrap().iter().map(|n| n.as_i64().unwrap()).collect()
}

fn strs(j: &Json) -> Vec<String> {
    j.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

fn pair_reprs(items: &[(&Value<'_>, &Value<'_>)]) -> Vec<Vec<String>> {
    items.iter().map(|(k, v)| vec![k.to_string(), v.to_string()]).collect()
}

fn pairs_json(j: &Json) -> Vec<Vec<String>> {
    j.as_array().unwrap().iter().map(strs).collect()
}

#[test]
fn stdlib_values_match_cpython() {
    let out = common::run_script("tests/views/stdlib_cases.py", "");
    let mut seen = std::collections::BTreeSet::new();
    for line in out.lines() {
        let case: Json = serde_json::from_str(line).unwrap();
        let data = unhex(case["hex"].as_str().unwrap());
        let encoding = if case["encoding"] == "latin1" { StringEncoding::Latin1 } else { StringEncoding::Ascii };
        let value = loads(&data, &LoadOptions { encoding, ..Default::default() }).unwrap();
        let f = &case["facts"];
        let view = f["view"].as_str().unwrap();
        let at = format!("{view} protocol {} {}", case["protocol"], case["hex"]);
        seen.insert(view.to_string());
        match view {
            "datetime" => {
                let d = DateTime::from_value(&value).unwrap().expect(&at);
                let got = [
                    d.year as i64,
                    d.month as i64,
                    d.day as i64,
                    d.hour as i64,
                    d.minute as i64,
                    d.second as i64,
                    d.microsecond as i64,
                ];
                assert_eq!(got.to_vec(), ints(&f["fields"]), "{at}");
                assert_eq!(d.fold as i64, f["fold"].as_i64().unwrap(), "{at}: fold");
                tz_check(&d.tz, &f["tz"], &at);
                if !matches!(d.tz, Some(TzInfo::Zone(_))) {
                    assert_eq!(d.to_string(), f["str"].as_str().unwrap(), "{at}: str");
                    assert_eq!(d.isoformat(), f["isoformat"].as_str().unwrap(), "{at}: isoformat");
                }
                assert!(value.as_date().unwrap().is_none(), "{at}: a datetime is not a date view");
            }
            "date" => {
                let d = value.as_date().unwrap().expect(&at);
                assert_eq!(vec![d.year as i64, d.month as i64, d.day as i64], ints(&f["fields"]), "{at}");
                assert_eq!(d.to_string(), f["str"].as_str().unwrap(), "{at}");
            }
            "time" => {
                let t = value.as_time().unwrap().expect(&at);
                assert_eq!(
                    vec![t.hour as i64, t.minute as i64, t.second as i64, t.microsecond as i64],
                    ints(&f["fields"]),
                    "{at}"
                );
                assert_eq!(t.fold as i64, f["fold"].as_i64().unwrap(), "{at}: fold");
                tz_check(&t.tz, &f["tz"], &at);
                assert_eq!(t.to_string(), f["str"].as_str().unwrap(), "{at}");
            }
            "timedelta" => {
                let td = TimeDelta::from_value(&value).unwrap().expect(&at);
                assert_eq!(vec![td.days as i64, td.seconds as i64, td.microseconds as i64], ints(&f["fields"]), "{at}");
                assert_eq!(td.to_string(), f["str"].as_str().unwrap(), "{at}");
            }
            "tzinfo" => tz_check(&Some(TzInfo::from_value(&value)), &f["tz"], &at),
            "decimal" => {
                let d = Decimal::from_value(&value).unwrap().expect(&at);
                assert_eq!(d.to_string(), f["str"].as_str().unwrap(), "{at}");
            }
            "uuid" => {
                let u = Uuid::from_value(&value).unwrap().expect(&at);
                assert_eq!(u.int.to_string(), f["int"].as_str().unwrap(), "{at}");
                assert_eq!(u.to_string(), f["str"].as_str().unwrap(), "{at}");
                let safe = u.is_safe.and_then(Value::as_i64);
                assert_eq!(safe, f["is_safe"].as_i64(), "{at}: is_safe");
            }
            "ordereddict" => {
                let od = OrderedDict::from_value(&value).unwrap().expect(&at);
                assert_eq!(pair_reprs(&od.items), pairs_json(&f["items"]), "{at}");
                assert_eq!(od.len(), od.items.len());
            }
            "defaultdict" => {
                let dd = DefaultDict::from_value(&value).unwrap().expect(&at);
                assert_eq!(pair_reprs(&dd.items), pairs_json(&f["items"]), "{at}");
                let factory = dd.factory.map(|f| f.as_global().expect("a global factory").to_string());
                assert_eq!(factory.as_deref(), f["factory"].as_str(), "{at}: factory");
            }
            "counter" => {
                let c = Counter::from_value(&value).unwrap().expect(&at);
                assert_eq!(pair_reprs(&c.items), pairs_json(&f["items"]), "{at}");
            }
            "deque" => {
                let d = Deque::from_value(&value).unwrap().expect(&at);
                assert_eq!(d.items.iter().map(|v| v.to_string()).collect::<Vec<_>>(), strs(&f["items"]), "{at}");
                assert_eq!(d.maxlen.map(|m| m as u64), f["maxlen"].as_u64(), "{at}: maxlen");
            }
            "enum" => {
                let m = EnumMember::from_value(&value).expect(&at);
                assert_eq!(m.class.to_string(), f["class"].as_str().unwrap(), "{at}");
                assert_eq!(m.value.to_string(), f["value"].as_str().unwrap(), "{at}");
                assert!(!m.by_name, "{at}: Python 3.11 pickles enum members by value");
            }
            other => panic!("unknown view {other}"),
        }
        // No value is mistaken for a numpy array or dtype.
        assert!(value.as_ndarray().unwrap().is_none() && value.as_dtype().unwrap().is_none(), "{at}");
    }
    let all = [
        "counter",
        "date",
        "datetime",
        "decimal",
        "defaultdict",
        "deque",
        "enum",
        "ordereddict",
        "time",
        "timedelta",
        "tzinfo",
        "uuid",
    ];
    assert_eq!(seen.iter().map(String::as_str).collect::<Vec<_>>(), all);
}

/// A value that names a datetime class but carries a bad state is an error.
#[test]
fn malformed_datetime_is_an_error() {
    use brinery::value::{Constructor, Object};
    let call = |name: &'static str, args: Value<'static>| {
        Value::Object(Object::new(Constructor::Reduce { callable: Value::global("datetime", name), args }, vec![]))
    };
    let month13 = call("date", Value::tuple([Value::bytes(vec![7, 232, 13, 1])]));
    assert!(month13.as_date().unwrap_err().message().contains("month 13"));
    let short = call("datetime", Value::tuple([Value::bytes(vec![7, 232, 1])]));
    assert!(short.as_datetime().unwrap_err().message().contains("3 bytes"));
    let feb30 = call("date", Value::tuple([2023, 2, 29]));
    assert!(feb30.as_date().is_err());
    let ok = call("date", Value::tuple([2024, 2, 29]));
    assert_eq!(ok.as_date().unwrap().unwrap().to_string(), "2024-02-29");
}

/// Every view, asked about every value of the CPython corpus (and the
/// values inside it), answers without panicking; none of those plain
/// Python values is mistaken for a numpy object.
#[test]
fn views_never_panic_on_the_corpus() {
    fn visit(v: &Value<'_>, depth: usize, asked: &mut usize) {
        *asked += 1;
        assert!(v.as_ndarray().unwrap_or(None).is_none());
        assert!(v.as_dtype().unwrap_or(None).is_none());
        let _ = (v.as_numpy_scalar(), v.as_datetime(), v.as_date(), v.as_time(), v.as_timedelta());
        let _ = (MaskedArray::from_value(v), Decimal::from_value(v), Uuid::from_value(v), EnumMember::from_value(v));
        let _ = (OrderedDict::from_value(v), DefaultDict::from_value(v), Counter::from_value(v), Deque::from_value(v));
        let _ = TzInfo::from_value(v).to_string();
        if depth < 8 {
            for item in v.as_seq().unwrap_or(&[]) {
                visit(item, depth + 1, asked);
            }
            for (k, item) in v.as_dict().unwrap_or(&[]) {
                visit(k, depth + 1, asked);
                visit(item, depth + 1, asked);
            }
        }
    }
    let (dir, entries) = common::corpus();
    let mut asked = 0;
    for e in entries {
        let data = std::fs::read(e.file(dir, "pkl")).unwrap();
        for v in common::load_all(&data, &common::load_opts(dir, e)).unwrap() {
            visit(&v, 0, &mut asked);
        }
    }
    assert!(asked > 1000, "only {asked} values asked");
}
