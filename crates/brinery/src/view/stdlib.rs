//! `decimal.Decimal` and `uuid.UUID`.

use super::{describe, text, Call, ViewError};
use crate::Value;
use std::borrow::Cow;
use std::fmt;

/// A `decimal.Decimal`, pickled as `Decimal('1.50')`: the exact string,
/// trailing zeros and all.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::Decimal;
/// // pickle.dumps(decimal.Decimal('-1.50'), protocol=4)
/// let bytes = b"\x80\x04\x95#\x00\x00\x00\x00\x00\x00\x00\x8c\x07decimal\x94\x8c\x07Decimal\x94\x93\x94\x8c\x05-1.50\x94\x85\x94R\x94.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// assert_eq!(Decimal::from_value(&value).unwrap().unwrap().to_string(), "-1.50");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal<'v> {
    /// The decimal's string, as Python's `str(d)` gives it.
    pub text: Cow<'v, str>,
}

impl<'v> Decimal<'v> {
    /// The decimal, if `v` is a pickled `decimal.Decimal`.
    ///
    /// ```
    /// use brinery::view::Decimal;
    /// assert!(Decimal::from_value(&brinery::Value::from("1.5")).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'_>) -> Result<Option<Decimal<'v>>, ViewError> {
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.is_any(&[("decimal", "Decimal"), ("_pydecimal", "Decimal")]) {
            return Ok(None);
        }
        match call.args {
            [arg] => match text(arg) {
                Some(t) if !t.is_empty() => Ok(Some(Decimal { text: t })),
                _ => Err(ViewError::new("decimal.Decimal", format!("the argument is {}, not a str", describe(arg)))),
            },
            _ => Err(ViewError::new("decimal.Decimal", format!("Decimal takes one argument, got {}", call.args.len()))),
        }
    }
}

impl fmt::Display for Decimal<'_> {
    /// The exact string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A `uuid.UUID`: an instance of `uuid.UUID` (NEWOBJ at protocol 2+,
/// `copyreg._reconstructor` below) with BUILD state `{'int': N}` and,
/// when known, `'is_safe'`.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::Uuid;
/// // pickle.dumps(uuid.UUID('12345678-1234-5678-1234-567812345678'), protocol=4)
/// let bytes = b"\x80\x04\x950\x00\x00\x00\x00\x00\x00\x00\x8c\x04uuid\x94\x8c\x04UUID\x94\x93\x94)\x81\x94}\x94\x8c\x03int\x94\x8a\x10xV4\x12xV4\x12xV4\x12xV4\x12sb.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let id = Uuid::from_value(&value).unwrap().unwrap();
/// assert_eq!(id.int, 0x12345678123456781234567812345678);
/// assert_eq!(id.to_string(), "12345678-1234-5678-1234-567812345678");
/// ```
#[derive(Clone, Debug)]
pub struct Uuid<'v, 'a> {
    /// The 128-bit value (`uuid.int`).
    pub int: u128,
    /// The pickled `is_safe` value (`SafeUUID.value`: `0`, `-1` or `None`), if present.
    pub is_safe: Option<&'v Value<'a>>,
}

impl<'v, 'a> Uuid<'v, 'a> {
    /// The UUID, if `v` is a pickled `uuid.UUID`.
    ///
    /// ```
    /// use brinery::view::Uuid;
    /// assert!(Uuid::from_value(&brinery::Value::None).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<Uuid<'v, 'a>>, ViewError> {
        let Some(obj) = v.as_object() else { return Ok(None) };
        if !obj.class().is_some_and(|g| g.is("uuid", "UUID")) {
            return Ok(None);
        }
        let err = |m: String| ViewError::new("uuid.UUID", m);
        let state = obj.state().ok_or_else(|| err("no BUILD state".into()))?;
        let int =
            state.get_str("int").ok_or_else(|| err(format!("the state is {}, without 'int'", describe(state))))?;
        let int = int
            .as_int()
            .and_then(|i| i.to_u128())
            .ok_or_else(|| err(format!("'int' is {}, not a 128-bit unsigned int", describe(int))))?;
        Ok(Some(Uuid { int, is_safe: state.get_str("is_safe") }))
    }

    /// The 16 bytes, big-endian (`uuid.bytes`).
    ///
    /// ```
    /// use brinery::view::Uuid;
    /// assert_eq!(Uuid { int: 1, is_safe: None }.bytes()[15], 1);
    /// ```
    pub fn bytes(&self) -> [u8; 16] {
        self.int.to_be_bytes()
    }
}

impl fmt::Display for Uuid<'_, '_> {
    /// Python's `str(uuid)`: lowercase hex, hyphenated 8-4-4-4-12.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = format!("{:032x}", self.int);
        write!(f, "{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }
}
