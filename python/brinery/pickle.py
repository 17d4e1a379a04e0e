"""Drop-in replacement for the standard library's ``pickle`` module.

Same names, same behaviour, same bytes: ``dump``/``dumps`` write exactly what
CPython's C pickler writes (through brinery's one encoder), ``load``/``loads``
build the same objects (through brinery's one unpickling machine), and the
exceptions are the standard library's own, so ``except
pickle.UnpicklingError`` keeps working.  Like ``pickle.loads``, the
``loads`` here trusts its input; the top-level ``brinery.loads`` does not.

>>> import brinery.pickle as pickle
>>> pickle.loads(pickle.dumps({"a": [1, 2.5, None]}))
{'a': [1, 2.5, None]}
"""

import pickle as _std
from pickle import (  # noqa: F401  (the stdlib module's public names)
    DEFAULT_PROTOCOL,
    HIGHEST_PROTOCOL,
    PickleBuffer,
    PickleError,
    PicklingError,
    UnpicklingError,
    bytes_types,
    compatible_formats,
    decode_long,
    encode_long,
    format_version,
    whichmodule,
)

from brinery import _brinery

__all__ = list(_std.__all__)

# The opcode constants (MARK, STOP, ...) are part of the stdlib module's API.
globals().update({name: getattr(_std, name) for name in __all__ if name.isupper() and hasattr(_std, name)})

dump = _brinery.dump
dumps = _brinery.dumps
load = _brinery.load
loads = _brinery.loads


class _MemoProxy:
    """A pickler's or unpickler's ``memo``, as ``_pickle``'s memo proxies show it."""

    __slots__ = ("_owner",)

    def __init__(self, owner):
        self._owner = owner

    def copy(self):
        """The memo as a dict (``{id(obj): (index, obj)}`` or ``{index: obj}``)."""
        return self._owner._memo_copy()

    def clear(self):
        """Forget every object seen so far."""
        self._owner._memo_clear()

    def __reduce__(self):
        return (dict, (self.copy(),))


class PicklerMemoProxy(_MemoProxy):
    """The ``memo`` of a :class:`Pickler`: ``{id(obj): (index, obj)}``."""

    __slots__ = ()


class UnpicklerMemoProxy(_MemoProxy):
    """The ``memo`` of an :class:`Unpickler`: ``{index: obj}``."""

    __slots__ = ()


def _memo_property(proxy_class):
    """The ``memo`` attribute: reads as a proxy, accepts a proxy or a dict."""

    def get(self):
        return proxy_class(self)

    def set(self, value):
        if isinstance(value, proxy_class):
            value = value.copy()
        elif not isinstance(value, dict):
            raise TypeError(
                f"'memo' attribute must be a {proxy_class.__name__} object or dict, not {type(value).__name__}"
            )
        self._memo_set(value)

    return property(get, set)


class Pickler(_brinery.Pickler):
    """Writes pickles of objects to a binary file, as ``pickle.Pickler``."""

    def __init__(self, file, protocol=None, *, fix_imports=True, buffer_callback=None):
        self._setup(file, protocol, fix_imports, buffer_callback)

    memo = _memo_property(PicklerMemoProxy)

    def _memo_clear(self):
        self.clear_memo()


class Unpickler(_brinery.Unpickler):
    """Reads pickled objects from a binary file, as ``pickle.Unpickler``."""

    # CPython documents ``buffers=()`` but its C default is "not given",
    # which reads like ``None`` (an out-of-band buffer then reports that no
    # *buffers* argument was given); an explicit ``()`` is an empty iterator.
    def __init__(self, file, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=None):
        self._setup(file, fix_imports, encoding, errors, buffers)

    memo = _memo_property(UnpicklerMemoProxy)
