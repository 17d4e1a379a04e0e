//! `brinery::jsonpickle` without Python: exact JSON for small values, sharing
//! and interning restored, values built in Rust, jsonpickle's own spellings,
//! and every refusal with its reason.

use brinery::jsonpickle::{self, EncodeOptions};
use brinery::pickle::{self, DumpOptions, LoadOptions};
use brinery::value::{Constructor, Object, Update};
use brinery::{json, Value};

fn load(data: &[u8]) -> Value<'_> {
    pickle::loads(data, &LoadOptions::default()).unwrap()
}

fn round_trip(v: &Value<'_>) -> Value<'static> {
    jsonpickle::loads(&jsonpickle::dumps(v).unwrap()).unwrap()
}

fn dumps(v: &Value<'_>, protocol: u8) -> Vec<u8> {
    pickle::dumps(v, &DumpOptions::protocol(protocol)).unwrap()
}

fn object(constructor: Constructor<'static>, updates: Vec<Update<'static>>) -> Value<'static> {
    Value::Object(Object::new(constructor, updates))
}

fn newobj(module: &'static str, name: &'static str) -> Constructor<'static> {
    Constructor::NewObj { cls: Value::global(module, name), args: Value::tuple(Vec::<Value>::new()) }
}

#[test]
fn builtin_values_have_jsonpickles_tags() {
    let v = Value::list([
        Value::tuple([Value::from(1), Value::None]),
        Value::set([2]),
        Value::frozenset([3]),
        Value::bytes(&b"\x00\xff"[..]),
        Value::bytearray(&b"ab"[..]),
        Value::Complex { re: 1.0, im: -0.0 },
        Value::from(f64::INFINITY),
        Value::global("collections", "OrderedDict"),
        Value::global("os.path", "join"),
    ]);
    assert_eq!(
        jsonpickle::dumps(&v).unwrap(),
        concat!(
            r#"[{"py/tuple": [1, null]}, {"py/set": [2]}, "#,
            r#"{"py/reduce": [{"py/type": "builtins.frozenset"}, {"py/tuple": [{"py/tuple": [3]}]}]}, "#,
            r#"{"py/b64": "AP8="}, {"py/reduce": [{"py/type": "builtins.bytearray"}, {"py/tuple": [{"py/b64": "YWI="}]}]}, "#,
            r#"{"py/reduce": [{"py/type": "builtins.complex"}, {"py/tuple": [1.0, -0.0]}]}, Infinity, "#,
            r#"{"py/type": "collections.OrderedDict"}, {"py/function": "os.path.join"}]"#
        )
    );
    let back = round_trip(&v);
    for p in 0..=5 {
        assert_eq!(dumps(&back, p), dumps(&v, p), "protocol {p}");
    }
}

#[test]
fn shared_objects_are_numbered_as_jsonpickle_numbers_them() {
    // a = [1]; s = "shared text"; t = (a, s); [a, t, t, s, {s: 1}]  (pickle protocol 4)
    let data = b"\x80\x04\x95'\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94K\x01ah\x01\x8c\x0bshared text\x94\x86\x94h\x03h\x02}\x94h\x02K\x01se.";
    let v = load(data);
    let text = jsonpickle::dumps(&v).unwrap();
    // jsonpickle numbers: 0 the outer list, 1 a, 2 tuple(t), 3 str(s), 4 the dict
    // (written through dict() because its key is a shared str).
    assert_eq!(
        text,
        concat!(
            r#"[[1], {"py/reduce": [{"py/type": "builtins.tuple"}, {"py/tuple": [{"py/tuple": [{"py/id": 1}, "#,
            r#"{"py/reduce": [{"py/type": "builtins.str"}, {"py/tuple": ["shared text"]}]}]}]}]}, {"py/id": 2}, "#,
            r#"{"py/id": 3}, {"py/reduce": [{"py/type": "builtins.dict"}, {"py/tuple": []}, null, null, "#,
            r#"{"py/tuple": [{"py/tuple": [{"py/id": 3}, 1]}]}]}]"#
        )
    );
    assert_eq!(dumps(&jsonpickle::loads(&text).unwrap(), 4), data);
}

#[test]
fn attribute_names_are_interned_again_like_the_loader_does() {
    // [Plain(1, 2), Plain(3, 4)] at protocol 2: the second state's keys are
    // memo references to the first's, because CPython interns attribute names.
    let data = b"\x80\x02]q\x00(ccorpus_classes\nPlain\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00aq\x04K\x01X\x01\x00\x00\x00bq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04K\x03h\x05K\x04ube.";
    let v = load(data);
    let text = jsonpickle::dumps(&v).unwrap();
    assert!(!text.contains("py/id"), "names are not written as shared: {text}");
    assert_eq!(dumps(&jsonpickle::loads(&text).unwrap(), 2), data);
}

#[test]
fn cycles_come_back_as_cycles() {
    // l = [1]; l.append(l); d = {'l': l}; d['d'] = d; [l, d]  (pickle protocol 2)
    let v =
        load(b"\x80\x02]q\x00(]q\x01(K\x01h\x01e}q\x02(X\x01\x00\x00\x00lq\x03h\x01X\x01\x00\x00\x00dq\x04h\x02ue.");
    assert_eq!(jsonpickle::dumps(&v).unwrap(), r#"[[1, {"py/id": 1}], {"l": {"py/id": 1}, "d": {"py/id": 2}}]"#);
    let back = round_trip(&v);
    assert_eq!(back.to_string(), "[[1, [...]], {'l': [1, [...]], 'd': {...}}]");
    assert_eq!(dumps(&back, 2), dumps(&v, 2));
}

#[test]
fn instances_are_pickles_reduce_protocol() {
    let v = object(
        Constructor::Reduce { callable: Value::global("m", "C"), args: Value::tuple([1]) },
        vec![
            Update::Append(Value::from(2)),
            Update::SetItem(Value::from(3), Value::from(4)),
            Update::Build(Value::dict([("a", 5)])),
        ],
    );
    assert_eq!(
        jsonpickle::dumps(&v).unwrap(),
        concat!(
            r#"{"py/reduce": [{"py/type": "m.C"}, {"py/tuple": [1]}, {"a": 5}, {"py/tuple": [2]}, "#,
            r#"{"py/tuple": [{"py/tuple": [3, 4]}]}]}"#
        )
    );
    let forms = [
        (newobj("m", "C"), r#"{"py/reduce": ["py/newobj", {"py/tuple": [{"py/type": "m.C"}]}]}"#),
        (
            Constructor::NewObjEx {
                cls: Value::global("m", "C"),
                args: Value::tuple([1]),
                kwargs: Value::dict([("k", 2)]),
            },
            concat!(
                r#"{"py/reduce": [{"py/function": "copyreg.__newobj_ex__"}, {"py/tuple": [{"py/type": "m.C"}, "#,
                r#"{"py/tuple": [1]}, {"k": 2}]}], "brinery/form": "newobj_ex"}"#
            ),
        ),
        (
            Constructor::Inst { class: brinery::value::Global::new("m", "C"), args: vec![] },
            r#"{"py/reduce": ["py/newobj", {"py/tuple": [{"py/type": "m.C"}]}], "brinery/form": "inst"}"#,
        ),
        (
            Constructor::Obj { cls: Value::global("m", "C"), args: vec![Value::from(1)] },
            r#"{"py/reduce": [{"py/type": "m.C"}, {"py/tuple": [1]}], "brinery/form": "obj"}"#,
        ),
        (
            Constructor::Reduce { callable: Value::global("builtins", "str"), args: Value::tuple(["x"]) },
            r#"{"py/reduce": [{"py/type": "builtins.str"}, {"py/tuple": ["x"]}], "brinery/form": "reduce"}"#,
        ),
    ];
    for (ctor, expected) in forms {
        let v = object(ctor, vec![]);
        assert_eq!(jsonpickle::dumps(&v).unwrap(), expected);
        let back = round_trip(&v);
        for p in 0..=5 {
            assert_eq!(
                pickle::dumps(&back, &DumpOptions::protocol(p)).ok(),
                pickle::dumps(&v, &DumpOptions::protocol(p)).ok()
            );
        }
    }
}

#[test]
fn dicts_jsonpickle_would_misread_go_through_dict() {
    for key in [Value::from("py/tuple"), Value::from("json://1"), Value::from(1), Value::tuple([1, 2])] {
        let v = Value::dict([(key.clone(), Value::None)]);
        let text = jsonpickle::dumps(&v).unwrap();
        assert!(text.starts_with(r#"{"py/reduce": [{"py/type": "builtins.dict"}"#), "{text}");
        assert_eq!(round_trip(&v).to_string(), v.to_string());
    }
}

#[test]
fn ints_python_cannot_read_as_json_are_written_in_hex() {
    let huge: brinery::Int = format!("-{}", "9".repeat(5000)).parse().unwrap();
    let v = Value::Int(huge);
    let text = jsonpickle::dumps(&v).unwrap();
    assert!(text.starts_with(r#"{"py/reduce": [{"py/type": "builtins.int"}, {"py/tuple": ["-"#), "{}", &text[..80]);
    assert_eq!(round_trip(&v), v);
    let small = Value::from(i64::MIN);
    assert_eq!(jsonpickle::dumps(&small).unwrap(), "-9223372036854775808");
}

#[test]
fn jsonpickles_own_spellings_are_read() {
    for (text, repr) in [
        (r#"{"py/reduce": [{"py/type": "builtins.frozenset"}, {"py/tuple": [[1, 2]]}]}"#, "frozenset({1, 2})"),
        (r#"{"py/b85": "VPaz"}"#, "b'abc'"),
        (r#"{"py/set": [1, 1.0, true]}"#, "{1}"),
        (r#"{"py/function": "builtins.print"}"#, "builtins.print"),
        (r#"[{"py/reduce": [{"py/type": "builtins.str"}, {"py/tuple": ["s"]}]}, {"py/id": 1}]"#, "['s', 's']"),
        (r#"{"py/reduce": [{"py/type": "builtins.int"}, {"py/tuple": ["ff", 16]}]}"#, "255"),
    ] {
        assert_eq!(jsonpickle::loads(text).unwrap().to_string(), repr, "{text}");
    }
    // str(s) is s: the two list items are one object.
    let v = jsonpickle::loads(r#"[{"py/reduce": [{"py/type": "builtins.str"}, {"py/tuple": ["s s"]}]}, {"py/id": 1}]"#)
        .unwrap();
    assert_eq!(v[0].identity(), v[1].identity());
}

#[test]
fn a_tuple_reached_again_from_inside_itself_is_rebuilt_from_the_inside() {
    // t = ([],); t[0].append(t)  (pickle protocol 2)
    let data = b"\x80\x02]q\x00h\x00\x85q\x01a0h\x01.";
    let t = load(data);
    let text = jsonpickle::dumps(&t).unwrap();
    assert_eq!(
        text,
        r#"{"py/reduce": [{"py/type": "builtins.tuple"}, {"py/tuple": [{"py/tuple": [[{"py/id": 0}]]}]}]}"#
    );
    assert_eq!(dumps(&jsonpickle::loads(&text).unwrap(), 2), data);
}

#[test]
fn refusals_say_why() {
    let err = |v: &Value<'_>| jsonpickle::encode(v).unwrap_err().to_string();
    let pid = object(Constructor::Persistent { pid: Value::from("k"), text: false }, vec![]);
    assert!(err(&pid).contains("persistent_load"), "{}", err(&pid));
    let none_state = object(newobj("m", "C"), vec![Update::Build(Value::None)]);
    assert!(err(&none_state).contains("None"), "{}", err(&none_state));
    let order = object(newobj("m", "C"), vec![Update::Build(Value::dict([("a", 1)])), Update::Append(Value::from(1))]);
    assert!(err(&order).contains("order"), "{}", err(&order));
    let shared_args = Value::tuple([1]);
    let v = Value::list([
        shared_args.clone(),
        object(Constructor::NewObj { cls: Value::global("m", "C"), args: shared_args }, vec![]),
    ]);
    assert!(err(&v).contains("NEWOBJ"), "{}", err(&v));
    // An out-of-band buffer loaded without its data.
    let no_data = load(b"\x80\x05\x97\x98.");
    assert!(err(&no_data).contains("buffer"), "{}", err(&no_data));

    let bad = |text: &str| jsonpickle::loads(text).unwrap_err().to_string();
    assert_eq!(bad(r#"[{"py/id": 5}]"#), "py/id 5 names no object (1 are registered)");
    assert!(bad(r#"{"py/object": "m.C"}"#).contains("py/object"));
    assert!(bad(r#"{"py/reduce": [{"py/type": "m.C"}, {"py/tuple": []}], "brinery/form": "x"}"#).contains("unknown"));
    assert!(bad(r#"{"py/b64": "abc"}"#).contains("padding"));
    assert!(bad(r#"{"py/type": "nodot"}"#).contains("no dot"));
    assert!(bad(r#"{"py/reduce": [{"py/type": "builtins.tuple"}, {"py/tuple": [{"py/tuple": [{"py/id": 0}]}]}]}"#)
        .contains("itself"));
    assert!(jsonpickle::decode(&Value::tuple([1])).unwrap_err().to_string().contains("not a JSON value"));
}

#[test]
fn strict_refuses_back_references_jsonpickle_leaves_as_placeholders() {
    // p = Plain(1, None); p.b = (p, 2)  (pickle protocol 2)
    let data = b"\x80\x02ccorpus_classes\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04h\x01K\x02\x86q\x05ub.";
    let v = load(data);
    let strict = EncodeOptions::default().strict(true);
    let err = jsonpickle::encode_with(&v, &strict).unwrap_err().to_string();
    assert!(err.contains("placeholder"), "{err}");
    // Without strict it is written, and brinery restores it exactly.
    assert_eq!(dumps(&round_trip(&v), 2), data);
    // A reference back from a list item is one jsonpickle patches.
    let ok = load(b"\x80\x02ccorpus_classes\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04]q\x05h\x01aub.");
    assert!(jsonpickle::encode_with(&ok, &strict).is_ok());
}

#[test]
fn the_tree_is_plain_json() {
    let v = load(b"\x80\x02ccorpus_classes\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04]q\x05h\x01aub.");
    let tagged = jsonpickle::encode(&v).unwrap();
    fn plain(v: &Value<'_>) -> bool {
        match v {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) => true,
            Value::List(items) => items.iter().all(plain),
            Value::Dict(pairs) => pairs.iter().all(|(k, v)| matches!(k, Value::Str(_)) && plain(v)),
            _ => false,
        }
    }
    assert!(plain(&tagged));
    let text = json::dumps(&tagged, &json::DumpOptions::default().indent(2)).unwrap();
    assert_eq!(jsonpickle::loads(&text).unwrap().to_string(), v.to_string());
}

#[test]
fn values_as_deep_as_the_loader_allows_come_back() {
    // n lists around an int: EMPTY_LIST x n, BININT1 1, APPEND x n.
    let nested = |n: usize| [&b"\x80\x02"[..], &b"]".repeat(n), b"K\x01", &b"a".repeat(n), b"."].concat();
    assert!(pickle::loads(&nested(1001), &LoadOptions::default()).is_err(), "the loader's max_depth is 1000");
    let data = nested(1000);
    let loaded = load(&data);
    let back = jsonpickle::decode(&jsonpickle::encode(&loaded).unwrap()).unwrap();
    let (mut a, mut b) = (&loaded, &back);
    for _ in 0..1000 {
        (a, b) = (&a[0], &b[0]);
    }
    assert_eq!((a.as_i64(), b.as_i64()), (Some(1), Some(1)));
    // One more level is refused by decode as by the loader.
    let tagged = Value::list([jsonpickle::encode(&loaded).unwrap()]);
    let err = jsonpickle::decode(&tagged).unwrap_err().to_string();
    assert!(err.contains("max_depth"), "{err}");
}
