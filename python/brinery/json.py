"""Drop-in replacement for the standard library's ``json`` module.

``import brinery.json as json`` changes nothing but the speed: ``dumps``
gives the same text as ``json.dumps`` for every argument (``indent``,
``separators``, ``sort_keys``, ``ensure_ascii``, ``default``, ...), ``loads``
the same objects as ``json.loads`` (hooks called in the same order, the same
``JSONDecodeError`` with the same ``msg``, ``pos``, ``lineno`` and ``colno``).
Encoding and decoding run natively (``brinery._brinery``) over the engine's
one JSON writer and one parser.

``JSONEncoder`` and ``JSONDecoder`` subclass the standard library's classes:
subclasses that override ``default``, ``encode``, ``iterencode``,
``raw_decode`` or ``decode`` keep the standard library's semantics. A ``cls``
that is not one of ours is handed to the standard library, exactly as
``json.dumps``/``json.loads`` would use it. ``JSONDecodeError`` is the
standard library's own class, so ``except json.JSONDecodeError`` keeps
working. ``encoder``, ``decoder`` and ``scanner`` mirror the standard
library's submodules with these classes in place of its own.
"""

import json as _std
import json.decoder as _std_decoder
import json.encoder as _std_encoder
import json.scanner as _std_scanner
import types as _types

from brinery import _brinery

__all__ = [
    "dump",
    "dumps",
    "load",
    "loads",
    "JSONDecoder",
    "JSONDecodeError",
    "JSONEncoder",
]

__version__ = _std.__version__

JSONDecodeError = _std.JSONDecodeError
detect_encoding = _std.detect_encoding

_encode = _brinery.json_encode
_loads = _brinery.json_loads
_raw_decode = _brinery.json_raw_decode


def _not_serializable(o):
    """The standard ``default``: refuse the object."""
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def _indent_unit(indent):
    """The string written per level for ``indent`` (as ``json.encoder`` does)."""
    if indent is None or isinstance(indent, str):
        return indent
    return " " * indent


class JSONEncoder(_std.JSONEncoder):
    """``json.JSONEncoder`` with a native ``encode``/``iterencode``.

    Overriding ``default`` works as with the standard library; a subclass
    that overrides ``encode`` or ``iterencode`` gets the standard library's
    behaviour for them.
    """

    def _native(self, o, python_messages, frames):
        indent = _indent_unit(self.indent)
        return _encode(
            o,
            self.default,
            self.skipkeys,
            self.ensure_ascii,
            self.check_circular,
            self.allow_nan,
            indent,
            self.item_separator,
            self.key_separator,
            self.sort_keys,
            python_messages or indent is not None,
            frames,
        )

    def encode(self, o):
        """Return the JSON text of ``o`` as a ``str``."""
        if type(self).iterencode is not JSONEncoder.iterencode:
            return super().encode(o)
        # encode -> iterencode -> (tp_call) C: one level more than here.
        return self._native(o, False, 1)

    def iterencode(self, o, _one_shot=False):
        """Encode ``o``, yielding the text (as one chunk).

        Like the standard library, encoding with ``_one_shot`` true
        happens now; otherwise, when the result is iterated.
        """
        if _one_shot:
            return [self._native(o, False, 0)]
        return self._lazy(o)

    def _lazy(self, o):
        yield self._native(o, True, 0)


class JSONDecoder(_std.JSONDecoder):
    """``json.JSONDecoder`` with a native ``decode``/``raw_decode``.

    The hooks are read from the instance at each call. A subclass that
    overrides ``raw_decode`` gets the standard library's ``decode`` around it.
    """

    def _hooks(self):
        parse_float = None if self.parse_float is float else self.parse_float
        parse_int = None if self.parse_int is int else self.parse_int
        parse_constant = self.parse_constant
        if parse_constant == _std_decoder._CONSTANTS.__getitem__:
            parse_constant = None
        return (self.object_hook, self.object_pairs_hook, parse_float, parse_int, parse_constant)

    def decode(self, s, _w=_std_decoder.WHITESPACE.match):
        """Return the Python object for the JSON document ``s`` (a ``str``)."""
        if type(self).raw_decode is not JSONDecoder.raw_decode or not isinstance(s, str):
            return super().decode(s, _w)
        # decode -> raw_decode -> (tp_call) scanner: two levels more than here.
        return _loads(s, self.strict, self._hooks(), 2)

    def raw_decode(self, s, idx=0):
        """Decode the JSON value that starts at ``s[idx]``; return it and the
        index just past it."""
        if not isinstance(s, str):
            return super().raw_decode(s, idx)
        if idx < 0:
            raise ValueError("idx cannot be negative")
        if idx >= len(s):
            raise JSONDecodeError("Expecting value", s, idx)
        # raw_decode -> (tp_call) scanner: one level more than here.
        return _raw_decode(s, idx, self.strict, self._hooks(), 1)


_default_encoder = JSONEncoder()
_default_decoder = JSONDecoder()


_ENCODER_OPTIONS = (
    "skipkeys",
    "ensure_ascii",
    "check_circular",
    "allow_nan",
    "indent",
    "separators",
    "default",
    "sort_keys",
)


def _encoder_options(args, kw):
    """The encoder class's keyword arguments from ``dump``/``dumps``' own."""
    return dict({name: args[name] for name in _ENCODER_OPTIONS}, **kw)


def _separators(separators, indent):
    if separators is not None:
        item, key = separators
        return item, key
    return ("," if indent is not None else ", "), ": "


def dumps(
    obj,
    *,
    skipkeys=False,
    ensure_ascii=True,
    check_circular=True,
    allow_nan=True,
    cls=None,
    indent=None,
    separators=None,
    default=None,
    sort_keys=False,
    **kw,
):
    """Serialize ``obj`` to a JSON formatted ``str``, as ``json.dumps``."""
    if cls is None and not kw:
        unit = _indent_unit(indent)
        item, key = _separators(separators, indent)
        return _encode(
            obj,
            _not_serializable if default is None else default,
            skipkeys,
            ensure_ascii,
            check_circular,
            allow_nan,
            unit,
            item,
            key,
            sort_keys,
            unit is not None,
            # json.dumps -> encode -> iterencode -> (tp_call) C: three levels
            # of the recursion budget more than here.
            3,
        )
    return (JSONEncoder if cls is None else cls)(**_encoder_options(locals(), kw)).encode(obj)


def dump(
    obj,
    fp,
    *,
    skipkeys=False,
    ensure_ascii=True,
    check_circular=True,
    allow_nan=True,
    cls=None,
    indent=None,
    separators=None,
    default=None,
    sort_keys=False,
    **kw,
):
    """Serialize ``obj`` as a JSON formatted stream to ``fp`` (a
    ``.write()``-supporting file-like object), as ``json.dump``."""
    iterable = (JSONEncoder if cls is None else cls)(**_encoder_options(locals(), kw)).iterencode(obj)
    for chunk in iterable:
        fp.write(chunk)


def _decode_bytes(s):
    """``bytes``/``bytearray`` to ``str`` as ``json.loads`` decodes them."""
    return s.decode(detect_encoding(s), "surrogatepass")


def loads(
    s,
    *,
    cls=None,
    object_hook=None,
    parse_float=None,
    parse_int=None,
    parse_constant=None,
    object_pairs_hook=None,
    **kw,
):
    """Deserialize ``s`` (a ``str``, ``bytes`` or ``bytearray`` holding a
    JSON document) to a Python object, as ``json.loads``."""
    if isinstance(s, str):
        if s.startswith("\ufeff"):
            raise JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", s, 0)
    elif not isinstance(s, (bytes, bytearray)):
        raise TypeError(f"the JSON object must be str, bytes or bytearray, not {s.__class__.__name__}")
    if cls is None and (not kw or (len(kw) == 1 and "strict" in kw)):
        hooks = (
            object_hook,
            object_pairs_hook,
            None if parse_float is float else parse_float,
            None if parse_int is int else parse_int,
            parse_constant,
        )
        strict = kw.get("strict", True)
        # json.loads -> decode -> raw_decode -> (tp_call) scanner: three
        # levels of the recursion budget more than here.
        result = _loads(s, strict, hooks, 3)
        if result is NotImplemented:
            result = _loads(_decode_bytes(s), strict, hooks, 3)
        return result
    if not isinstance(s, str):
        s = _decode_bytes(s)
    if cls is None:
        cls = JSONDecoder
    if object_hook is not None:
        kw["object_hook"] = object_hook
    if object_pairs_hook is not None:
        kw["object_pairs_hook"] = object_pairs_hook
    if parse_float is not None:
        kw["parse_float"] = parse_float
    if parse_int is not None:
        kw["parse_int"] = parse_int
    if parse_constant is not None:
        kw["parse_constant"] = parse_constant
    return cls(**kw).decode(s)


def load(
    fp,
    *,
    cls=None,
    object_hook=None,
    parse_float=None,
    parse_int=None,
    parse_constant=None,
    object_pairs_hook=None,
    **kw,
):
    """Deserialize ``fp`` (a ``.read()``-supporting file-like object holding
    a JSON document) to a Python object, as ``json.load``."""
    return loads(
        fp.read(),
        cls=cls,
        object_hook=object_hook,
        parse_float=parse_float,
        parse_int=parse_int,
        parse_constant=parse_constant,
        object_pairs_hook=object_pairs_hook,
        **kw,
    )


def _mirror(module, **replaced):
    """A namespace with ``module``'s names, some replaced by ours."""
    ns = _types.ModuleType(f"brinery.json.{module.__name__.rpartition('.')[2]}", module.__doc__)
    ns.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    ns.__dict__.update(replaced)
    return ns


encoder = _mirror(_std_encoder, JSONEncoder=JSONEncoder)
decoder = _mirror(_std_decoder, JSONDecoder=JSONDecoder, JSONDecodeError=JSONDecodeError)
scanner = _mirror(_std_scanner)
