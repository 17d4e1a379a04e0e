//! The pickle opcode table: every fact about every opcode, written once as data.
//!
//! The unpickling machine decodes arguments from [`ArgKind`], the disassembler prints
//! names and docs from [`OpcodeInfo`], the encoder takes its byte constants from
//! [`Opcode`], and a test checks the whole table against CPython's
//! `pickletools.opcodes`. Nothing else in the crate matches on raw opcode bytes.
//!
//! ```
//! use brinery::opcodes::{Opcode, ArgKind};
//!
//! let info = Opcode::from_byte(b'K').unwrap().info();
//! assert_eq!(info.name, "BININT1");
//! assert_eq!(info.arg, Some(ArgKind::Uint1));
//! assert_eq!(info.proto, 1);
//! assert_eq!(Opcode::Stop as u8, b'.');
//! ```

/// How an opcode's inline argument is encoded in the stream (pickletools'
/// `ArgumentDescriptor`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// One unsigned byte.
    Uint1,
    /// Two-byte little-endian unsigned integer.
    Uint2,
    /// Four-byte little-endian signed integer.
    Int4,
    /// Four-byte little-endian unsigned integer.
    Uint4,
    /// Eight-byte little-endian unsigned integer.
    Uint8,
    /// Eight-byte big-endian IEEE-754 double.
    Float8,
    /// Little-endian two's-complement integer, its byte count in one unsigned byte.
    Long1,
    /// Little-endian two's-complement integer, its byte count in a signed 4-byte integer.
    Long4,
    /// Byte string, its length in one unsigned byte (Python 2 `str`).
    String1,
    /// Byte string, its length in a signed 4-byte integer (Python 2 `str`).
    String4,
    /// Bytes, length in one unsigned byte.
    Bytes1,
    /// Bytes, length in an unsigned 4-byte integer.
    Bytes4,
    /// Bytes, length in an unsigned 8-byte integer.
    Bytes8,
    /// Bytearray payload, length in an unsigned 8-byte integer.
    ByteArray8,
    /// UTF-8 text, length in one unsigned byte.
    UnicodeString1,
    /// UTF-8 text, length in an unsigned 4-byte integer.
    UnicodeString4,
    /// UTF-8 text, length in an unsigned 8-byte integer.
    UnicodeString8,
    /// A quoted, backslash-escaped Python 2 string literal ending in a newline.
    StringNl,
    /// Raw text up to a newline, no quotes or escapes.
    StringNlNoescape,
    /// Two newline-terminated raw texts: a module and a name.
    StringNlNoescapePair,
    /// Raw-unicode-escaped text up to a newline.
    UnicodeStringNl,
    /// A decimal integer (or `00`/`01` for booleans) ending in a newline.
    DecimalNlShort,
    /// A decimal long integer with an optional trailing `L`, ending in a newline.
    DecimalNlLong,
    /// A float literal ending in a newline.
    FloatNl,
}

/// The width of an argument: fixed, up to a newline, or given by a length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgWidth {
    /// Exactly this many bytes.
    Fixed(usize),
    /// Bytes up to and including a `\n` (one line for most, two for pairs).
    Lines(usize),
    /// A little-endian length prefix of this many bytes, then that many bytes.
    /// `signed` prefixes reject negative lengths.
    Prefixed {
        /// Width of the length prefix in bytes (1, 4 or 8).
        prefix: usize,
        /// Whether the prefix is a signed integer.
        signed: bool,
    },
}

impl ArgKind {
    /// The descriptor's name in `pickletools` (e.g. `"uint1"`, `"stringnl_noescape_pair"`).
    pub const fn name(self) -> &'static str {
        match self {
            ArgKind::Uint1 => "uint1",
            ArgKind::Uint2 => "uint2",
            ArgKind::Int4 => "int4",
            ArgKind::Uint4 => "uint4",
            ArgKind::Uint8 => "uint8",
            ArgKind::Float8 => "float8",
            ArgKind::Long1 => "long1",
            ArgKind::Long4 => "long4",
            ArgKind::String1 => "string1",
            ArgKind::String4 => "string4",
            ArgKind::Bytes1 => "bytes1",
            ArgKind::Bytes4 => "bytes4",
            ArgKind::Bytes8 => "bytes8",
            ArgKind::ByteArray8 => "bytearray8",
            ArgKind::UnicodeString1 => "unicodestring1",
            ArgKind::UnicodeString4 => "unicodestring4",
            ArgKind::UnicodeString8 => "unicodestring8",
            ArgKind::StringNl => "stringnl",
            ArgKind::StringNlNoescape => "stringnl_noescape",
            ArgKind::StringNlNoescapePair => "stringnl_noescape_pair",
            ArgKind::UnicodeStringNl => "unicodestringnl",
            ArgKind::DecimalNlShort => "decimalnl_short",
            ArgKind::DecimalNlLong => "decimalnl_long",
            ArgKind::FloatNl => "floatnl",
        }
    }

    /// How many bytes the argument occupies in the stream.
    pub const fn width(self) -> ArgWidth {
        use ArgWidth::*;
        match self {
            ArgKind::Uint1 => Fixed(1),
            ArgKind::Uint2 => Fixed(2),
            ArgKind::Int4 | ArgKind::Uint4 => Fixed(4),
            ArgKind::Uint8 | ArgKind::Float8 => Fixed(8),
            ArgKind::Long1 | ArgKind::String1 | ArgKind::Bytes1 | ArgKind::UnicodeString1 => {
                Prefixed { prefix: 1, signed: false }
            }
            ArgKind::Long4 | ArgKind::String4 => Prefixed { prefix: 4, signed: true },
            ArgKind::Bytes4 | ArgKind::UnicodeString4 => Prefixed { prefix: 4, signed: false },
            ArgKind::Bytes8 | ArgKind::ByteArray8 | ArgKind::UnicodeString8 => Prefixed { prefix: 8, signed: false },
            ArgKind::StringNlNoescapePair => Lines(2),
            ArgKind::StringNl
            | ArgKind::StringNlNoescape
            | ArgKind::UnicodeStringNl
            | ArgKind::DecimalNlShort
            | ArgKind::DecimalNlLong
            | ArgKind::FloatNl => Lines(1),
        }
    }

    /// The `n` pickletools gives this descriptor: a width ≥ 0, or one of its
    /// negative codes (-1 up to newline, -2/-3/-4/-5 length-prefixed).
    pub const fn pickletools_n(self) -> i32 {
        match self.width() {
            ArgWidth::Fixed(n) => n as i32,
            ArgWidth::Lines(_) => -1,
            ArgWidth::Prefixed { prefix: 1, .. } => -2,
            ArgWidth::Prefixed { prefix: 4, signed: true } => -3,
            ArgWidth::Prefixed { prefix: 4, signed: false } => -4,
            ArgWidth::Prefixed { .. } => -5,
        }
    }
}

/// What an opcode expects on, or leaves on, the stack (pickletools' `StackObject`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackKind {
    /// Any object.
    Any,
    /// The mark pushed by MARK.
    Mark,
    /// Everything above the topmost mark.
    StackSlice,
    /// An int.
    Int,
    /// An int or a bool.
    IntOrBool,
    /// A bool.
    Bool,
    /// A float.
    Float,
    /// bytes or str (Python 2 strings, depending on the `encoding` option).
    BytesOrStr,
    /// bytes.
    Bytes,
    /// bytearray.
    ByteArray,
    /// str.
    Str,
    /// None.
    None,
    /// A tuple.
    Tuple,
    /// A list.
    List,
    /// A dict.
    Dict,
    /// A set.
    Set,
    /// A frozenset.
    FrozenSet,
    /// An out-of-band buffer.
    Buffer,
}

impl StackKind {
    /// The stack object's name in `pickletools`.
    pub const fn name(self) -> &'static str {
        match self {
            StackKind::Any => "any",
            StackKind::Mark => "mark",
            StackKind::StackSlice => "stackslice",
            StackKind::Int => "int",
            StackKind::IntOrBool => "int_or_bool",
            StackKind::Bool => "bool",
            StackKind::Float => "float",
            StackKind::BytesOrStr => "bytes_or_str",
            StackKind::Bytes => "bytes",
            StackKind::ByteArray => "bytearray",
            StackKind::Str => "str",
            StackKind::None => "None",
            StackKind::Tuple => "tuple",
            StackKind::List => "list",
            StackKind::Dict => "dict",
            StackKind::Set => "set",
            StackKind::FrozenSet => "frozenset",
            StackKind::Buffer => "buffer",
        }
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpcodeInfo {
    /// The opcode as an enum value.
    pub opcode: Opcode,
    /// The byte that encodes it.
    pub code: u8,
    /// Its name, as pickletools spells it.
    pub name: &'static str,
    /// Its inline argument, if any.
    pub arg: Option<ArgKind>,
    /// What it pops (bottom to top).
    pub stack_before: &'static [StackKind],
    /// What it pushes (bottom to top).
    pub stack_after: &'static [StackKind],
    /// The protocol that introduced it.
    pub proto: u8,
    /// A one-line description. This is the first line of pickletools' own doc,
    /// kept verbatim because `brinery dis -a` must print exactly what
    /// `python -m pickletools -a` prints.
    pub doc: &'static str,
}

macro_rules! opcode_table {
    ($( $variant:ident = $code:literal, $name:literal, $arg:expr,
        [$($before:ident),*] -> [$($after:ident),*], proto $proto:literal, $doc:literal; )*) => {
        /// Every pickle opcode of protocols 0–5. The discriminant is the opcode byte.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[allow(missing_docs)]
        pub enum Opcode { $( $variant = $code, )* }

        /// The whole table, in pickletools' order.
        pub static OPCODES: &[OpcodeInfo] = &[
            $( OpcodeInfo {
                opcode: Opcode::$variant,
                code: $code,
                name: $name,
                arg: $arg,
                stack_before: &[$(StackKind::$before),*],
                stack_after: &[$(StackKind::$after),*],
                proto: $proto,
                doc: $doc,
            }, )*
        ];
    };
}

use ArgKind as A;

opcode_table! {
    Int = b'I', "INT", Some(A::DecimalNlShort), [] -> [IntOrBool], proto 0, "Push an integer or bool.";
    BinInt = b'J', "BININT", Some(A::Int4), [] -> [Int], proto 1, "Push a four-byte signed integer.";
    BinInt1 = b'K', "BININT1", Some(A::Uint1), [] -> [Int], proto 1, "Push a one-byte unsigned integer.";
    BinInt2 = b'M', "BININT2", Some(A::Uint2), [] -> [Int], proto 1, "Push a two-byte unsigned integer.";
    Long = b'L', "LONG", Some(A::DecimalNlLong), [] -> [Int], proto 0, "Push a long integer.";
    Long1 = 0x8a, "LONG1", Some(A::Long1), [] -> [Int], proto 2, "Long integer using one-byte length.";
    Long4 = 0x8b, "LONG4", Some(A::Long4), [] -> [Int], proto 2, "Long integer using found-byte length.";
    String = b'S', "STRING", Some(A::StringNl), [] -> [BytesOrStr], proto 0, "Push a Python string object.";
    BinString = b'T', "BINSTRING", Some(A::String4), [] -> [BytesOrStr], proto 1, "Push a Python string object.";
    ShortBinString = b'U', "SHORT_BINSTRING", Some(A::String1), [] -> [BytesOrStr], proto 1, "Push a Python string object.";
    BinBytes = b'B', "BINBYTES", Some(A::Bytes4), [] -> [Bytes], proto 3, "Push a Python bytes object.";
    ShortBinBytes = b'C', "SHORT_BINBYTES", Some(A::Bytes1), [] -> [Bytes], proto 3, "Push a Python bytes object.";
    BinBytes8 = 0x8e, "BINBYTES8", Some(A::Bytes8), [] -> [Bytes], proto 4, "Push a Python bytes object.";
    ByteArray8 = 0x96, "BYTEARRAY8", Some(A::ByteArray8), [] -> [ByteArray], proto 5, "Push a Python bytearray object.";
    NextBuffer = 0x97, "NEXT_BUFFER", None, [] -> [Buffer], proto 5, "Push an out-of-band buffer object.";
    ReadonlyBuffer = 0x98, "READONLY_BUFFER", None, [Buffer] -> [Buffer], proto 5, "Make an out-of-band buffer object read-only.";
    None = b'N', "NONE", None, [] -> [None], proto 0, "Push None on the stack.";
    NewTrue = 0x88, "NEWTRUE", None, [] -> [Bool], proto 2, "Push True onto the stack.";
    NewFalse = 0x89, "NEWFALSE", None, [] -> [Bool], proto 2, "Push False onto the stack.";
    Unicode = b'V', "UNICODE", Some(A::UnicodeStringNl), [] -> [Str], proto 0, "Push a Python Unicode string object.";
    ShortBinUnicode = 0x8c, "SHORT_BINUNICODE", Some(A::UnicodeString1), [] -> [Str], proto 4, "Push a Python Unicode string object.";
    BinUnicode = b'X', "BINUNICODE", Some(A::UnicodeString4), [] -> [Str], proto 1, "Push a Python Unicode string object.";
    BinUnicode8 = 0x8d, "BINUNICODE8", Some(A::UnicodeString8), [] -> [Str], proto 4, "Push a Python Unicode string object.";
    Float = b'F', "FLOAT", Some(A::FloatNl), [] -> [Float], proto 0, "Newline-terminated decimal float literal.";
    BinFloat = b'G', "BINFLOAT", Some(A::Float8), [] -> [Float], proto 1, "Float stored in binary form, with 8 bytes of data.";
    EmptyList = b']', "EMPTY_LIST", None, [] -> [List], proto 1, "Push an empty list.";
    Append = b'a', "APPEND", None, [List, Any] -> [List], proto 0, "Append an object to a list.";
    Appends = b'e', "APPENDS", None, [List, Mark, StackSlice] -> [List], proto 1, "Extend a list by a slice of stack objects.";
    List = b'l', "LIST", None, [Mark, StackSlice] -> [List], proto 0, "Build a list out of the topmost stack slice, after markobject.";
    EmptyTuple = b')', "EMPTY_TUPLE", None, [] -> [Tuple], proto 1, "Push an empty tuple.";
    Tuple = b't', "TUPLE", None, [Mark, StackSlice] -> [Tuple], proto 0, "Build a tuple out of the topmost stack slice, after markobject.";
    Tuple1 = 0x85, "TUPLE1", None, [Any] -> [Tuple], proto 2, "Build a one-tuple out of the topmost item on the stack.";
    Tuple2 = 0x86, "TUPLE2", None, [Any, Any] -> [Tuple], proto 2, "Build a two-tuple out of the top two items on the stack.";
    Tuple3 = 0x87, "TUPLE3", None, [Any, Any, Any] -> [Tuple], proto 2, "Build a three-tuple out of the top three items on the stack.";
    EmptyDict = b'}', "EMPTY_DICT", None, [] -> [Dict], proto 1, "Push an empty dict.";
    Dict = b'd', "DICT", None, [Mark, StackSlice] -> [Dict], proto 0, "Build a dict out of the topmost stack slice, after markobject.";
    SetItem = b's', "SETITEM", None, [Dict, Any, Any] -> [Dict], proto 0, "Add a key+value pair to an existing dict.";
    SetItems = b'u', "SETITEMS", None, [Dict, Mark, StackSlice] -> [Dict], proto 1, "Add an arbitrary number of key+value pairs to an existing dict.";
    EmptySet = 0x8f, "EMPTY_SET", None, [] -> [Set], proto 4, "Push an empty set.";
    AddItems = 0x90, "ADDITEMS", None, [Set, Mark, StackSlice] -> [Set], proto 4, "Add an arbitrary number of items to an existing set.";
    FrozenSet = 0x91, "FROZENSET", None, [Mark, StackSlice] -> [FrozenSet], proto 4, "Build a frozenset out of the topmost slice, after markobject.";
    Pop = b'0', "POP", None, [Any] -> [], proto 0, "Discard the top stack item, shrinking the stack by one item.";
    Dup = b'2', "DUP", None, [Any] -> [Any, Any], proto 0, "Push the top stack item onto the stack again, duplicating it.";
    Mark = b'(', "MARK", None, [] -> [Mark], proto 0, "Push markobject onto the stack.";
    PopMark = b'1', "POP_MARK", None, [Mark, StackSlice] -> [], proto 1, "Pop all the stack objects at and above the topmost markobject.";
    Get = b'g', "GET", Some(A::DecimalNlShort), [] -> [Any], proto 0, "Read an object from the memo and push it on the stack.";
    BinGet = b'h', "BINGET", Some(A::Uint1), [] -> [Any], proto 1, "Read an object from the memo and push it on the stack.";
    LongBinGet = b'j', "LONG_BINGET", Some(A::Uint4), [] -> [Any], proto 1, "Read an object from the memo and push it on the stack.";
    Put = b'p', "PUT", Some(A::DecimalNlShort), [] -> [], proto 0, "Store the stack top into the memo.  The stack is not popped.";
    BinPut = b'q', "BINPUT", Some(A::Uint1), [] -> [], proto 1, "Store the stack top into the memo.  The stack is not popped.";
    LongBinPut = b'r', "LONG_BINPUT", Some(A::Uint4), [] -> [], proto 1, "Store the stack top into the memo.  The stack is not popped.";
    Memoize = 0x94, "MEMOIZE", None, [Any] -> [Any], proto 4, "Store the stack top into the memo.  The stack is not popped.";
    Ext1 = 0x82, "EXT1", Some(A::Uint1), [] -> [Any], proto 2, "Extension code.";
    Ext2 = 0x83, "EXT2", Some(A::Uint2), [] -> [Any], proto 2, "Extension code.";
    Ext4 = 0x84, "EXT4", Some(A::Int4), [] -> [Any], proto 2, "Extension code.";
    Global = b'c', "GLOBAL", Some(A::StringNlNoescapePair), [] -> [Any], proto 0, "Push a global object (module.attr) on the stack.";
    StackGlobal = 0x93, "STACK_GLOBAL", None, [Str, Str] -> [Any], proto 4, "Push a global object (module.attr) on the stack.";
    Reduce = b'R', "REDUCE", None, [Any, Any] -> [Any], proto 0, "Push an object built from a callable and an argument tuple.";
    Build = b'b', "BUILD", None, [Any, Any] -> [Any], proto 0, "Finish building an object, via __setstate__ or dict update.";
    Inst = b'i', "INST", Some(A::StringNlNoescapePair), [Mark, StackSlice] -> [Any], proto 0, "Build a class instance.";
    Obj = b'o', "OBJ", None, [Mark, Any, StackSlice] -> [Any], proto 1, "Build a class instance.";
    NewObj = 0x81, "NEWOBJ", None, [Any, Any] -> [Any], proto 2, "Build an object instance.";
    NewObjEx = 0x92, "NEWOBJ_EX", None, [Any, Any, Any] -> [Any], proto 4, "Build an object instance.";
    Proto = 0x80, "PROTO", Some(A::Uint1), [] -> [], proto 2, "Protocol version indicator.";
    Stop = b'.', "STOP", None, [Any] -> [], proto 0, "Stop the unpickling machine.";
    Frame = 0x95, "FRAME", Some(A::Uint8), [] -> [], proto 4, "Indicate the beginning of a new frame.";
    PersId = b'P', "PERSID", Some(A::StringNlNoescape), [] -> [Any], proto 0, "Push an object identified by a persistent ID.";
    BinPersId = b'Q', "BINPERSID", None, [Any] -> [Any], proto 1, "Push an object identified by a persistent ID.";
}

/// Byte → opcode, built once from [`OPCODES`].
static BY_BYTE: [Option<Opcode>; 256] = {
    let mut table = [None; 256];
    let mut i = 0;
    while i < OPCODES.len() {
        table[OPCODES[i].code as usize] = Some(OPCODES[i].opcode);
        i += 1;
    }
    table
};

/// Opcode → its row in [`OPCODES`].
static INDEX: [u8; 256] = {
    let mut table = [u8::MAX; 256];
    let mut i = 0;
    while i < OPCODES.len() {
        table[OPCODES[i].code as usize] = i as u8;
        i += 1;
    }
    table
};

impl Opcode {
    /// The opcode a byte stands for, or `None` if no opcode has that byte.
    #[inline]
    pub fn from_byte(byte: u8) -> Option<Opcode> {
        BY_BYTE[byte as usize]
    }

    /// This opcode's row in the table; a constant where `self` is one (the
    /// machine's hottest opcodes read their arguments with their rows
    /// known at compile time).
    #[inline]
    pub const fn info(self) -> &'static OpcodeInfo {
        &OPCODES[INDEX[self as usize] as usize]
    }

    /// The opcode's name as pickletools spells it.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The highest protocol any opcode in the table belongs to.
    pub const HIGHEST_PROTOCOL: u8 = 5;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_unique() {
        assert_eq!(OPCODES.len(), 68);
        let mut seen_codes = std::collections::HashSet::new();
        let mut seen_names = std::collections::HashSet::new();
        for info in OPCODES {
            assert!(seen_codes.insert(info.code), "duplicate code {:#x}", info.code);
            assert!(seen_names.insert(info.name), "duplicate name {}", info.name);
            assert_eq!(info.opcode as u8, info.code);
            assert_eq!(Opcode::from_byte(info.code), Some(info.opcode));
            assert_eq!(info.opcode.info(), info);
        }
    }
}
