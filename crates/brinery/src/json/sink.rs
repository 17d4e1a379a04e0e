//! What the parser builds is up to a [`Sink`]: the parser decides what the
//! text means (`json.loads`' grammar, errors and positions) and hands each
//! finished value to the sink, which makes it into a [`Value`](crate::Value)
//! ([`ValueSink`](super::build::ValueSink)), a Python object (the Python
//! module), or whatever else a caller needs. One parser, many sinks.

use super::error::Error;

/// A JSON string's decoded text, as surrogatepass UTF-8.
#[derive(Clone, Copy, Debug)]
pub enum StrText<'a, 's> {
    /// The string had no escape: its text is a slice of the input.
    Input(&'a [u8]),
    /// The string had escapes: its decoded text lives in the parser's
    /// scratch buffer until the next string.
    Scratch(&'s [u8]),
}

impl<'a, 's> StrText<'a, 's> {
    /// The bytes, whichever buffer holds them.
    #[inline]
    pub fn bytes(&self) -> &'s [u8]
    where
        'a: 's,
    {
        match *self {
            StrText::Input(b) | StrText::Scratch(b) => b,
        }
    }
}

/// The constants Python's JSON accepts beyond the standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constant {
    /// `NaN`.
    NaN,
    /// `Infinity`.
    Infinity,
    /// `-Infinity`.
    NegInfinity,
}

impl Constant {
    /// The constant as written (what `parse_constant` receives).
    pub fn text(self) -> &'static str {
        match self {
            Constant::NaN => "NaN",
            Constant::Infinity => "Infinity",
            Constant::NegInfinity => "-Infinity",
        }
    }

    /// The float it stands for.
    pub fn value(self) -> f64 {
        match self {
            Constant::NaN => f64::NAN,
            Constant::Infinity => f64::INFINITY,
            Constant::NegInfinity => f64::NEG_INFINITY,
        }
    }
}

/// Receives the values the parser finds, innermost first, in document order
/// (so a sink that calls user hooks calls them in the order CPython does:
/// number and constant hooks as they are met, object hooks as objects end).
///
/// Every method may fail; the parser stops at the first error and returns it.
pub trait Sink<'a> {
    /// A finished value.
    type Value;
    /// A finished object key.
    type Key;
    /// The error type: the parser's own errors convert into it.
    type Error: From<Error>;

    /// `null`.
    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    /// `true` or `false`.
    fn bool(&mut self, value: bool) -> Result<Self::Value, Self::Error>;
    /// A number without fraction or exponent: its text (with any `-`), its
    /// value when it has at most 18 digits, and its byte offset.
    fn int(&mut self, text: &'a [u8], small: Option<i64>, at: usize) -> Result<Self::Value, Self::Error>;
    /// A number with a fraction or exponent: its text and its correctly
    /// rounded value (infinite when out of range, as Python's `float`).
    fn float(&mut self, text: &'a [u8], value: f64) -> Result<Self::Value, Self::Error>;
    /// `NaN`, `Infinity` or `-Infinity`.
    fn constant(&mut self, constant: Constant) -> Result<Self::Value, Self::Error>;
    /// A string value; `utf8` says its text holds no lone surrogate.
    fn str(&mut self, text: StrText<'a, '_>, utf8: bool) -> Result<Self::Value, Self::Error>;
    /// An object key; `utf8` as for [`Sink::str`].
    fn key(&mut self, text: StrText<'a, '_>, utf8: bool) -> Result<Self::Key, Self::Error>;
    /// Called before the parser descends into an array or an object
    /// (`object` says which); a sink may refuse, as Python's recursion limit
    /// does. The parser's own depth limit ([`LoadOptions::max_depth`](super::LoadOptions))
    /// is checked first.
    fn enter(&mut self, object: bool) -> Result<(), Self::Error> {
        let _ = object;
        Ok(())
    }
    /// Called when the parser leaves an array or object it entered, whether
    /// or not it was parsed successfully.
    fn leave(&mut self) {}
    /// An array, from its items in order.
    fn array(&mut self, items: std::vec::Drain<'_, Self::Value>) -> Result<Self::Value, Self::Error>;
    /// An object, from its entries in order (repeated keys included).
    fn object(&mut self, entries: std::vec::Drain<'_, (Self::Key, Self::Value)>) -> Result<Self::Value, Self::Error>;
}
