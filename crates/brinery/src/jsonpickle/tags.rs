//! The keys of jsonpickle's tagged dicts that this module reads or writes,
//! and brinery's own side keys.
//!
//! jsonpickle picks the first of these it finds in a dict, in the order of
//! its `Unpickler._restore_tags`: `py/tuple`, `py/set`, `py/b64`, `py/b85`,
//! `py/id`, `py/iterator`, `py/object`, `py/type`, `py/reduce`,
//! `py/function`, `py/mod`, `py/repr`; a dict with none of them is a plain
//! dict. Other keys of a tagged dict are ignored by every tag brinery writes,
//! which is what makes the side keys below invisible to jsonpickle.

/// A tuple: `{"py/tuple": [items]}`. Not registered for `py/id`.
pub(crate) const TUPLE: &str = "py/tuple";
/// A set: `{"py/set": [items]}`. Not registered for `py/id`.
pub(crate) const SET: &str = "py/set";
/// Bytes as standard base64 text. Not registered.
pub(crate) const B64: &str = "py/b64";
/// Bytes as base85 text (jsonpickle's `use_base85`). Not registered.
pub(crate) const B85: &str = "py/b85";
/// A reference to the n-th registered object.
pub(crate) const ID: &str = "py/id";
/// An iterator (not supported: pickle has no iterator values).
pub(crate) const ITERATOR: &str = "py/iterator";
/// jsonpickle's own instance form (not written by brinery).
pub(crate) const OBJECT: &str = "py/object";
/// A class, found by its dotted name. Not registered.
pub(crate) const TYPE: &str = "py/type";
/// `[callable, args, state, listitems, dictitems]`: pickle's reduce protocol. Registered.
pub(crate) const REDUCE: &str = "py/reduce";
/// A function, found by its dotted name. Not registered.
pub(crate) const FUNCTION: &str = "py/function";
/// A module (not a pickle value).
pub(crate) const MODULE: &str = "py/mod";
/// A value rebuilt from its repr (not a pickle value).
pub(crate) const REPR: &str = "py/repr";

/// The callable of a `py/reduce` that means `cls.__new__(cls, *args[1:])`.
pub(crate) const NEWOBJ: &str = "py/newobj";

/// Prefix jsonpickle (with `keys=True`) reads as an encoded non-str dict key.
pub(crate) const JSON_KEY: &str = "json://";

/// Side key of a `py/reduce` dict: the pickle form when it is not the one the
/// tag implies (see [`Form`]).
pub(crate) const FORM: &str = "brinery/form";
/// Side key of a `py/type`/`py/function` dict: the module, when the dotted
/// name does not split at its last dot.
pub(crate) const MODULE_NAME: &str = "brinery/module";

/// The pickle forms a `py/reduce` can stand for besides its default reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// A plain REDUCE whose callable the decoder would otherwise read as a
    /// builtin value (`builtins.str`, `tuple`, `dict`, `int`, or `"py/newobj"`).
    Reduce,
    /// NEWOBJ_EX, written as `copyreg.__newobj_ex__(cls, args, kwargs)`.
    NewObjEx,
    /// INST (protocol 0 instance).
    Inst,
    /// OBJ (protocol 1 instance).
    Obj,
    /// BINPERSID: the callable is the persistent-load function, the argument the pid.
    Persistent,
    /// PERSID (protocol 0, pid written as text).
    PersistentText,
    /// A protocol-5 out-of-band buffer (`bytearray`, or `memoryview` when read-only).
    Buffer,
}

impl Form {
    /// The side key's value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Form::Reduce => "reduce",
            Form::NewObjEx => "newobj_ex",
            Form::Inst => "inst",
            Form::Obj => "obj",
            Form::Persistent => "persistent",
            Form::PersistentText => "persistent_text",
            Form::Buffer => "buffer",
        }
    }

    /// The form a side key's value names.
    pub(crate) fn from_name(name: &str) -> Option<Form> {
        [Form::Reduce, Form::NewObjEx, Form::Inst, Form::Obj, Form::Persistent, Form::PersistentText, Form::Buffer]
            .into_iter()
            .find(|f| f.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_names_round_trip() {
        for form in
            [Form::Reduce, Form::NewObjEx, Form::Inst, Form::Obj, Form::Persistent, Form::PersistentText, Form::Buffer]
        {
            assert_eq!(Form::from_name(form.name()), Some(form));
        }
        assert_eq!(Form::from_name("nope"), None);
    }
}
