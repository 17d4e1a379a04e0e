//! `numpy.dtype`: from a typestring (`"<f8"`), from the pickled dtype object,
//! and from an `.npy` header's `descr`.

use super::{as_usize, describe, text, Call, ViewError};
use crate::Value;
use std::fmt;

const VIEW: &str = "numpy.dtype";

fn err(message: impl Into<String>) -> ViewError {
    ViewError::new(VIEW, message)
}

/// The byte order of a dtype's elements.
///
/// ```
/// use brinery::view::{ByteOrder, DType};
/// assert_eq!(DType::from_descr(">i4").unwrap().byte_order, ByteOrder::Big);
/// assert_eq!(DType::from_descr("|u1").unwrap().byte_order, ByteOrder::NotApplicable);
/// assert_eq!(DType::from_descr("=f8").unwrap().byte_order, ByteOrder::native());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`: least significant byte first.
    Little,
    /// `>`: most significant byte first.
    Big,
    /// `|`: single bytes, bools, byte strings, voids and objects have no byte order.
    NotApplicable,
}

impl ByteOrder {
    /// The byte order of this machine (what numpy's `=` means).
    ///
    /// ```
    /// use brinery::view::ByteOrder;
    /// assert_ne!(ByteOrder::native(), ByteOrder::NotApplicable);
    /// ```
    pub fn native() -> ByteOrder {
        if cfg!(target_endian = "big") {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        }
    }

    /// numpy's character for it: `'<'`, `'>'` or `'|'`.
    ///
    /// ```
    /// use brinery::view::ByteOrder;
    /// assert_eq!(ByteOrder::Big.as_char(), '>');
    /// ```
    pub fn as_char(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::NotApplicable => '|',
        }
    }
}

/// What kind of element a dtype describes (numpy's `dtype.kind`).
///
/// ```
/// use brinery::view::{DType, DTypeKind};
/// assert_eq!(DType::from_descr("<c16").unwrap().kind, DTypeKind::Complex);
/// assert_eq!(DTypeKind::TimeDelta.as_char(), 'm');
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DTypeKind {
    /// `b`: `bool`.
    Bool,
    /// `i`: signed integers.
    Int,
    /// `u`: unsigned integers.
    UInt,
    /// `f`: floating point.
    Float,
    /// `c`: complex floating point.
    Complex,
    /// `S`: fixed-size byte strings.
    Bytes,
    /// `U`: fixed-size UCS-4 strings.
    Str,
    /// `V`: raw bytes, structured records and sub-arrays.
    Void,
    /// `O`: Python objects.
    Object,
    /// `M`: `datetime64`.
    DateTime,
    /// `m`: `timedelta64`.
    TimeDelta,
}

impl DTypeKind {
    /// numpy's `dtype.kind` character.
    ///
    /// ```
    /// use brinery::view::DTypeKind;
    /// assert_eq!(DTypeKind::UInt.as_char(), 'u');
    /// ```
    pub fn as_char(self) -> char {
        match self {
            DTypeKind::Bool => 'b',
            DTypeKind::Int => 'i',
            DTypeKind::UInt => 'u',
            DTypeKind::Float => 'f',
            DTypeKind::Complex => 'c',
            DTypeKind::Bytes => 'S',
            DTypeKind::Str => 'U',
            DTypeKind::Void => 'V',
            DTypeKind::Object => 'O',
            DTypeKind::DateTime => 'M',
            DTypeKind::TimeDelta => 'm',
        }
    }

    fn from_typestring_char(c: char) -> Option<DTypeKind> {
        Some(match c {
            'b' => DTypeKind::Bool,
            'i' => DTypeKind::Int,
            'u' => DTypeKind::UInt,
            'f' => DTypeKind::Float,
            'c' => DTypeKind::Complex,
            'S' | 'a' => DTypeKind::Bytes,
            'U' => DTypeKind::Str,
            'V' => DTypeKind::Void,
            'O' => DTypeKind::Object,
            'M' => DTypeKind::DateTime,
            'm' => DTypeKind::TimeDelta,
            _ => return None,
        })
    }

    /// Whether elements of this kind have a byte order at the given size.
    fn has_byte_order(self, item_size: usize) -> bool {
        match self {
            DTypeKind::Bool | DTypeKind::Bytes | DTypeKind::Void | DTypeKind::Object => false,
            DTypeKind::Int | DTypeKind::UInt => item_size > 1,
            _ => true,
        }
    }
}

/// One field of a structured dtype (numpy's `dtype.fields[name]`).
///
/// ```
/// use brinery::view::DType;
/// use brinery::Value;
/// let descr = Value::list([Value::tuple(["x", "<i4"]), Value::tuple(["y", ">f8"])]);
/// let dt = DType::from_npy_descr(&descr).unwrap();
/// let y = &dt.fields.as_ref().unwrap()[1];
/// assert_eq!((y.name.as_str(), y.offset, y.dtype.descr.as_str()), ("y", 4, ">f8"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Its title, when it was given one (`dtype([(('title', 'name'), 'f8')])`).
    pub title: Option<String>,
    /// Its dtype (a sub-array dtype for fields with a shape).
    pub dtype: DType,
    /// Its byte offset inside a record.
    pub offset: usize,
}

/// The element type and shape of a sub-array dtype (`dtype(('<f8', (2, 3)))`).
///
/// ```
/// use brinery::view::DType;
/// use brinery::Value;
/// let descr = Value::list([Value::tuple([Value::from("m"), Value::from("<f4"), Value::tuple([2, 3])])]);
/// let field = &DType::from_npy_descr(&descr).unwrap().fields.unwrap()[0];
/// let sub = field.dtype.subarray.as_ref().unwrap();
/// assert_eq!((sub.base.descr.as_str(), sub.shape.as_slice()), ("<f4", &[2, 3][..]));
/// assert_eq!(field.dtype.item_size, 24);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SubArray {
    /// The element dtype.
    pub base: Box<DType>,
    /// The shape.
    pub shape: Vec<usize>,
}

/// A numpy dtype.
///
/// ```
/// use brinery::view::{ByteOrder, DType, DTypeKind};
/// let dt = DType::from_descr("<M8[ns]").unwrap();
/// assert_eq!((dt.kind, dt.item_size, dt.byte_order), (DTypeKind::DateTime, 8, ByteOrder::Little));
/// assert_eq!(dt.unit.as_deref(), Some("ns"));
/// assert_eq!(dt.descr, "<M8[ns]");
/// assert_eq!(DType::from_descr("float64").unwrap().descr, if cfg!(target_endian = "little") { "<f8" } else { ">f8" });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DType {
    /// The kind of element.
    pub kind: DTypeKind,
    /// Bytes per element (`dtype.itemsize`; a `U3` is 12).
    pub item_size: usize,
    /// The byte order, resolved (never "native").
    pub byte_order: ByteOrder,
    /// For `datetime64`/`timedelta64`: the unit as numpy writes it between
    /// brackets (`"ns"`, `"D"`, `"10s"` for a multiple); `None` for generic
    /// units and other kinds. See [`DType::datetime_unit`].
    pub unit: Option<String>,
    /// The fields of a structured dtype, in order.
    pub fields: Option<Vec<Field>>,
    /// numpy's `dtype.str`: `"<f8"`, `"|b1"`, `"<U3"`, `"<M8[ns]"`, `"|V12"`, …
    pub descr: String,
    /// The element dtype and shape of a sub-array dtype.
    pub subarray: Option<SubArray>,
}

impl fmt::Display for DType {
    /// numpy's `dtype.str`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.descr)
    }
}

/// The fixed item size of a kind, when it has one.
fn check_size(kind: DTypeKind, size: usize) -> bool {
    match kind {
        DTypeKind::Bool => size == 1,
        DTypeKind::Int | DTypeKind::UInt => matches!(size, 1 | 2 | 4 | 8),
        DTypeKind::Float => matches!(size, 2 | 4 | 8 | 12 | 16),
        DTypeKind::Complex => matches!(size, 8 | 16 | 24 | 32),
        DTypeKind::DateTime | DTypeKind::TimeDelta => size == 8,
        DTypeKind::Object => size == std::mem::size_of::<usize>(),
        DTypeKind::Bytes | DTypeKind::Str | DTypeKind::Void => true,
    }
}

/// numpy's single-character type codes and the common type names.
fn named(name: &str) -> Option<(DTypeKind, usize)> {
    use DTypeKind::*;
    let long = if cfg!(windows) { 4 } else { 8 };
    Some(match name {
        "?" | "bool" | "bool_" | "b1" => (Bool, 1),
        "b" | "int8" | "byte" => (Int, 1),
        "B" | "uint8" | "ubyte" => (UInt, 1),
        "h" | "int16" | "short" => (Int, 2),
        "H" | "uint16" | "ushort" => (UInt, 2),
        "i" | "int32" | "intc" => (Int, 4),
        "I" | "uint32" | "uintc" => (UInt, 4),
        "l" | "long" => (Int, long),
        "L" | "ulong" => (UInt, long),
        "q" | "p" | "int64" | "longlong" | "intp" | "int" => (Int, 8),
        "Q" | "P" | "uint64" | "ulonglong" | "uintp" | "uint" => (UInt, 8),
        "e" | "float16" | "half" => (Float, 2),
        "f" | "float32" | "single" => (Float, 4),
        "d" | "float64" | "double" | "float" => (Float, 8),
        "F" | "complex64" | "csingle" => (Complex, 8),
        "D" | "complex128" | "cdouble" | "complex" => (Complex, 16),
        "O" | "object" | "object_" => (Object, std::mem::size_of::<usize>()),
        "S" | "a" | "bytes" | "bytes_" => (Bytes, 0),
        "U" | "str" | "str_" => (Str, 0),
        "V" | "void" => (Void, 0),
        _ => return None,
    })
}

/// Checks a datetime unit (`"ns"`, `"10s"`, `"generic"`) and returns it as
/// stored in [`DType::unit`].
fn normalize_unit(unit: &str, multiple: u64) -> Result<Option<String>, ViewError> {
    const UNITS: [&str; 14] = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as"];
    if unit == "generic" {
        return Ok(None);
    }
    if !UNITS.contains(&unit) {
        return Err(err(format!("unknown datetime unit {unit:?}")));
    }
    Ok(Some(if multiple == 1 { unit.to_string() } else { format!("{multiple}{unit}") }))
}

/// Splits a bracketed unit like `"10s"` into its multiple and base unit.
fn split_unit(unit: &str) -> (u64, &str) {
    let digits = unit.len() - unit.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let multiple = unit[..digits].parse().unwrap_or(1);
    (multiple, &unit[digits..])
}

impl DType {
    /// A dtype without fields, with `descr` computed from the rest.
    fn simple(kind: DTypeKind, item_size: usize, order: Option<ByteOrder>, unit: Option<String>) -> DType {
        let mut dt = DType {
            kind,
            item_size,
            byte_order: ByteOrder::NotApplicable,
            unit,
            fields: None,
            descr: String::new(),
            subarray: None,
        };
        dt.set_byte_order(order);
        dt
    }

    /// Applies a byte order (`None`: native) where the kind has one, and recomputes `descr`.
    fn set_byte_order(&mut self, order: Option<ByteOrder>) {
        self.byte_order =
            if self.kind.has_byte_order(self.item_size) && self.fields.is_none() && self.subarray.is_none() {
                match order {
                    Some(ByteOrder::NotApplicable) | None => ByteOrder::native(),
                    Some(o) => o,
                }
            } else {
                ByteOrder::NotApplicable
            };
        self.descr = self.compute_descr();
    }

    fn compute_descr(&self) -> String {
        let mut s = String::new();
        s.push(self.byte_order.as_char());
        s.push(self.kind.as_char());
        match self.kind {
            DTypeKind::Object => {}
            DTypeKind::Str => s.push_str(&(self.item_size / 4).to_string()),
            _ => s.push_str(&self.item_size.to_string()),
        }
        if let Some(unit) = &self.unit {
            s.push('[');
            s.push_str(unit);
            s.push(']');
        }
        s
    }

    /// Parses a numpy typestring (the array interface's `typestr`, numpy's
    /// `dtype.str`): an optional byte order (`<`, `>`, `|`, `=`, `!`), a kind
    /// character and a size (`"<f8"`, `">i4"`, `"|b1"`, `"<c16"`, `"|S5"`,
    /// `"<U3"` (3 characters), `"|O"`, `"<M8[ns]"`, `"<m8[10s]"`, `"|V8"`).
    /// numpy's one-character codes (`"d"`, `"?"`) and common names
    /// (`"float64"`, `"uint8"`, `"datetime64[ns]"`) are accepted too, with
    /// native byte order.
    ///
    /// ```
    /// use brinery::view::{DType, DTypeKind};
    /// let dt = DType::from_descr("<U3").unwrap();
    /// assert_eq!((dt.kind, dt.item_size), (DTypeKind::Str, 12));
    /// assert_eq!(DType::from_descr("<i1").unwrap().descr, "|i1"); // one byte: no order
    /// assert!(DType::from_descr("<i3").is_err());
    /// ```
    pub fn from_descr(descr: &str) -> Result<DType, ViewError> {
        let bad = || err(format!("{descr:?} is not a numpy typestring"));
        let (order, rest) = match descr.chars().next() {
            Some('<') => (Some(ByteOrder::Little), &descr[1..]),
            Some('>') | Some('!') => (Some(ByteOrder::Big), &descr[1..]),
            Some('|') => (Some(ByteOrder::NotApplicable), &descr[1..]),
            Some('=') => (None, &descr[1..]),
            _ => (None, descr),
        };
        // The bracketed datetime unit, if any.
        let (body, unit) = match rest.find('[') {
            Some(i) if rest.ends_with(']') => (&rest[..i], Some(&rest[i + 1..rest.len() - 1])),
            Some(_) => return Err(bad()),
            None => (rest, None),
        };
        let (kind, item_size) = match body {
            "M" | "M8" | "datetime64" => (DTypeKind::DateTime, 8),
            "m" | "m8" | "timedelta64" => (DTypeKind::TimeDelta, 8),
            _ => match named(body) {
                Some(k) => k,
                None => {
                    let mut chars = body.chars();
                    let kind = chars.next().and_then(DTypeKind::from_typestring_char).ok_or_else(bad)?;
                    let digits = chars.as_str();
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(bad());
                    }
                    let n: usize = digits.parse().map_err(|_| bad())?;
                    let size = if kind == DTypeKind::Str { n.checked_mul(4).ok_or_else(bad)? } else { n };
                    if !check_size(kind, size) {
                        return Err(err(format!("{descr:?}: no {} dtype has {size} bytes", kind.as_char())));
                    }
                    (kind, size)
                }
            },
        };
        let unit = match unit {
            Some(u) if matches!(kind, DTypeKind::DateTime | DTypeKind::TimeDelta) => {
                let (multiple, base) = split_unit(u);
                normalize_unit(base, multiple)?
            }
            Some(_) => return Err(bad()),
            None => None,
        };
        Ok(DType::simple(kind, item_size, order, unit))
    }

    /// Reads a pickled `numpy.dtype`: `numpy.dtype('f8', False, True)`
    /// followed by BUILD with numpy's state tuple `(version, endian,
    /// subarray, names, fields, elsize, alignment, flags[, metadata])`
    /// (versions 3 and 4; datetime dtypes carry `(metadata, (unit, num, den,
    /// events))` as the ninth item).
    ///
    /// `Ok(None)` when the value is not a `numpy.dtype` call at all.
    ///
    /// ```
    /// use brinery::pickle::{loads, LoadOptions};
    /// use brinery::view::DType;
    /// // pickle.dumps(numpy.dtype('>i4'), protocol=2)
    /// let bytes = b"\x80\x02cnumpy\ndtype\nq\x00X\x02\x00\x00\x00i4q\x01\x89\x88\x87q\x02Rq\x03(K\x03X\x01\x00\x00\x00>q\x04NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x05b.";
    /// let value = loads(bytes, &LoadOptions::default()).unwrap();
    /// assert_eq!(DType::from_value(&value).unwrap().unwrap().descr, ">i4");
    /// ```
    pub fn from_value(v: &Value<'_>) -> Result<Option<DType>, ViewError> {
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.is_any(&[("numpy", "dtype"), ("numpy.core.multiarray", "dtype"), ("numpy._core.multiarray", "dtype")])
        {
            return Ok(None);
        }
        let arg = call.args.first().and_then(text).ok_or_else(|| {
            err(format!(
                "numpy.dtype() expects a typestring argument, got {}",
                call.args.first().map_or("nothing".into(), describe)
            ))
        })?;
        let mut dt = DType::from_descr(&arg)?;
        let Some(state) = call.object.state() else {
            // No BUILD: numpy keeps the defaults of the typestring.
            return Ok(Some(dt));
        };
        dt.apply_state(state)?;
        Ok(Some(dt))
    }

    /// Applies numpy's `__setstate__` tuple.
    fn apply_state(&mut self, state: &Value<'_>) -> Result<(), ViewError> {
        let s = state.as_tuple().ok_or_else(|| err(format!("the state is {}, not a tuple", describe(state))))?;
        // (version, endian, subarray, names, fields, elsize, alignment[, flags[, metadata]])
        if !(7..=9).contains(&s.len()) {
            return Err(err(format!("the state tuple has {} items; numpy writes 8 or 9", s.len())));
        }
        let endian = text(&s[1]).ok_or_else(|| err(format!("the byte order is {}, not a str", describe(&s[1]))))?;
        let order = match &*endian {
            "<" => Some(ByteOrder::Little),
            ">" => Some(ByteOrder::Big),
            "|" => Some(ByteOrder::NotApplicable),
            "=" => None,
            other => return Err(err(format!("unknown byte order {other:?}"))),
        };
        let elsize = s[5].as_i64().ok_or_else(|| err(format!("elsize is {}, not an int", describe(&s[5]))))?;
        if elsize >= 0 && matches!(self.kind, DTypeKind::Bytes | DTypeKind::Str | DTypeKind::Void) {
            self.item_size = usize::try_from(elsize).map_err(|_| err("elsize too large"))?;
        }
        // Sub-array: (base dtype, shape).
        if !s[2].is_none() {
            let pair = s[2]
                .as_tuple()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| err("the sub-array is not a (dtype, shape) pair"))?;
            let base = DType::from_value(&pair[0])?.ok_or_else(|| err("the sub-array's base is not a numpy.dtype"))?;
            let shape = shape_of(&pair[1])?;
            self.subarray = Some(SubArray { base: Box::new(base), shape });
        }
        // Structured: names and fields.
        match (&s[3], &s[4]) {
            (Value::None, Value::None) => {}
            (names, fields) => {
                let names = names.as_tuple().ok_or_else(|| err("the field names are not a tuple"))?;
                let fields_dict = fields.as_dict().ok_or_else(|| err("the fields are not a dict"))?;
                let mut out = Vec::with_capacity(names.len());
                for name in names {
                    let name_text =
                        text(name).ok_or_else(|| err(format!("field name {} is not a str", describe(name))))?;
                    let entry = fields_dict
                        .iter()
                        .find(|(k, _)| text(k).as_deref() == Some(&*name_text))
                        .map(|(_, v)| v)
                        .ok_or_else(|| err(format!("field {name_text:?} is named but missing from the fields dict")))?;
                    let t = entry
                        .as_tuple()
                        .filter(|t| (2..=3).contains(&t.len()))
                        .ok_or_else(|| err(format!("field {name_text:?} is not a (dtype, offset[, title]) tuple")))?;
                    let dtype = DType::from_value(&t[0])?
                        .ok_or_else(|| err(format!("field {name_text:?} has no numpy.dtype")))?;
                    let offset = as_usize(&t[1]).ok_or_else(|| err(format!("field {name_text:?} has a bad offset")))?;
                    let title = t.get(2).and_then(|t| text(t).map(|c| c.into_owned()));
                    out.push(Field { name: name_text.into_owned(), title, dtype, offset });
                }
                self.fields = Some(out);
            }
        }
        // Datetime metadata: (metadata dict, (unit, num, den, events)).
        if matches!(self.kind, DTypeKind::DateTime | DTypeKind::TimeDelta) {
            if let Some(info) = s.get(8).and_then(Value::as_tuple).and_then(|t| t.get(1)).and_then(Value::as_tuple) {
                let unit = info.first().and_then(text).ok_or_else(|| err("the datetime unit is not a str"))?;
                let num = info
                    .get(1)
                    .and_then(Value::as_i64)
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| err("the datetime unit multiple is not a positive int"))?;
                self.unit = normalize_unit(&unit, num as u64)?;
            }
        }
        self.set_byte_order(order);
        Ok(())
    }

    /// Reads the `descr` of an `.npy` header (already parsed into a value):
    /// a typestring `str`, or a list of `(name, format[, shape])` tuples for
    /// a structured dtype, where `name` may be a `(title, name)` pair and
    /// `format` a nested list. Fields named `''` are padding, as in numpy's
    /// `descr_to_dtype`.
    ///
    /// ```
    /// use brinery::view::DType;
    /// use brinery::Value;
    /// assert_eq!(DType::from_npy_descr(&Value::from("<f4")).unwrap().item_size, 4);
    /// let rec = Value::list([Value::tuple(["a", "|u1"]), Value::tuple(["", "|V3"]), Value::tuple(["b", "<i4"])]);
    /// let dt = DType::from_npy_descr(&rec).unwrap();
    /// assert_eq!((dt.item_size, dt.descr.as_str()), (8, "|V8"));
    /// assert_eq!(dt.fields.unwrap().iter().map(|f| f.offset).collect::<Vec<_>>(), [0, 4]);
    /// ```
    pub fn from_npy_descr(descr: &Value<'_>) -> Result<DType, ViewError> {
        if let Some(s) = text(descr) {
            return DType::from_descr(&s);
        }
        let items =
            descr.as_list().ok_or_else(|| err(format!("an npy descr is a str or a list, not {}", describe(descr))))?;
        let mut offset = 0usize;
        let mut fields = Vec::new();
        for item in items {
            let t = item
                .as_seq()
                .filter(|t| (2..=3).contains(&t.len()))
                .ok_or_else(|| err("an npy descr field is not a (name, format[, shape]) tuple"))?;
            let (title, name) = match t[0].as_tuple() {
                Some([title, name]) => (text(title).map(|c| c.into_owned()), text(name)),
                _ => (None, text(&t[0])),
            };
            let name = name.ok_or_else(|| err(format!("npy descr field name {} is not a str", describe(&t[0]))))?;
            let base = DType::from_npy_descr(&t[1])?;
            let dtype = match t.get(2) {
                Some(shape) => {
                    let shape = shape_of(shape)?;
                    let count = checked_product(&shape).ok_or_else(|| err("sub-array shape overflows"))?;
                    let item_size = count.checked_mul(base.item_size).ok_or_else(|| err("sub-array size overflows"))?;
                    let mut dt = DType::simple(DTypeKind::Void, item_size, None, None);
                    dt.subarray = Some(SubArray { base: Box::new(base), shape });
                    dt
                }
                None => base,
            };
            let size = dtype.item_size;
            let padding =
                name.is_empty() && dtype.kind == DTypeKind::Void && dtype.fields.is_none() && dtype.subarray.is_none();
            if !padding {
                fields.push(Field { name: name.into_owned(), title, dtype, offset });
            }
            offset = offset.checked_add(size).ok_or_else(|| err("record size overflows"))?;
        }
        let mut dt = DType::simple(DTypeKind::Void, offset, None, None);
        dt.fields = Some(fields);
        dt.set_byte_order(None);
        Ok(dt)
    }

    /// Whether the elements are in this machine's byte order, exactly as
    /// numpy's `dtype.isnative`: true for kinds without a byte order;
    /// structured dtypes ask every field. Like numpy, a sub-array dtype
    /// counts as native whatever its base (check `subarray.base` too before
    /// reading its bytes).
    ///
    /// ```
    /// use brinery::view::DType;
    /// assert!(DType::from_descr("|u1").unwrap().is_native());
    /// assert!(DType::from_descr("=i8").unwrap().is_native());
    /// assert_ne!(DType::from_descr("<i8").unwrap().is_native(), DType::from_descr(">i8").unwrap().is_native());
    /// ```
    pub fn is_native(&self) -> bool {
        let own = self.byte_order == ByteOrder::NotApplicable || self.byte_order == ByteOrder::native();
        own && self.fields.iter().flatten().all(|f| f.dtype.is_native())
    }

    /// The unit of a `datetime64`/`timedelta64` as `(base unit, multiple)`:
    /// `("ns", 1)` for `<M8[ns]`, `("s", 10)` for `<m8[10s]`; `None` for
    /// generic units and other kinds.
    ///
    /// ```
    /// use brinery::view::DType;
    /// assert_eq!(DType::from_descr("<m8[10s]").unwrap().datetime_unit(), Some(("s", 10)));
    /// assert_eq!(DType::from_descr("<M8").unwrap().datetime_unit(), None);
    /// ```
    pub fn datetime_unit(&self) -> Option<(&str, u64)> {
        let (multiple, base) = split_unit(self.unit.as_deref()?);
        Some((base, multiple))
    }
}

/// A shape: a tuple (or list) of non-negative ints, or a single int.
pub(crate) fn shape_of(v: &Value<'_>) -> Result<Vec<usize>, ViewError> {
    if let Some(n) = as_usize(v) {
        return Ok(vec![n]);
    }
    let items =
        v.as_seq().ok_or_else(|| ViewError::new(VIEW, format!("a shape is a tuple of ints, not {}", describe(v))))?;
    items
        .iter()
        .map(|d| {
            as_usize(d).ok_or_else(|| {
                ViewError::new(VIEW, format!("shape dimension {} is not a non-negative int", describe(d)))
            })
        })
        .collect()
}

/// The product of dimensions, or `None` on overflow.
pub(crate) fn checked_product(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}
