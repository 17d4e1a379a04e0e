"""Safe loading: ``brinery.loads``/``brinery.load`` import only allowlisted globals.

A pickle can name any importable object and call it; that is how
``pickle.loads`` on untrusted data runs code. Here every global the pickle
names is checked *before* anything is imported: names outside the allowlist
are refused with :class:`UnsafeGlobalError`, which says which global, where
in the data, and the two ways out (``allow=`` and ``trusted=True``).

The allowlist is data (below). It holds builtin containers and scalars,
``copyreg._reconstructor`` (each class it rebuilds must itself be allowed),
``_codecs.encode`` (how bytes are pickled below protocol 3) and the plain
data types of ``collections``, ``datetime``, ``decimal``, ``fractions`` and
``uuid``. Ready-made groups extend it, e.g. ``allow=brinery.safe.NUMPY``.
"""

import io as _io
import pickle as _std

from brinery import _brinery

#: Globals every safe load may import: plain data, nothing that runs code.
DEFAULT_ALLOWED = frozenset(
    {
        # builtins: containers and scalars (Python 2 names map here too).
        "builtins.bool",
        "builtins.bytearray",
        "builtins.bytes",
        "builtins.complex",
        "builtins.dict",
        "builtins.float",
        "builtins.frozenset",
        "builtins.int",
        "builtins.list",
        "builtins.object",
        "builtins.range",
        "builtins.set",
        "builtins.slice",
        "builtins.str",
        "builtins.tuple",
        # How CPython pickles some of the above.
        "copyreg._reconstructor",
        "_codecs.encode",
        # collections
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.deque",
        "collections.Counter",
        "collections.ChainMap",
        # datetime, decimal, fractions, uuid
        "datetime.date",
        "datetime.datetime",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "uuid.UUID",
        "uuid.SafeUUID",
    }
)

#: numpy arrays, dtypes and scalars (``allow=brinery.safe.NUMPY``).
NUMPY = frozenset(
    {
        f"{core}.{name}"
        for core in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    }
    | {f"{core}._frombuffer" for core in ("numpy.core.numeric", "numpy._core.numeric")}
    | {"numpy.ndarray", "numpy.dtype"}
)


class UnsafeGlobalError(_std.UnpicklingError):
    """A pickle named a global that is not allowed; nothing was imported.

    Attributes: ``module``, ``name`` (the global, after Python 2 name
    mapping), ``offset`` (byte offset of the opcode that named it, when known).
    """

    def __init__(self, module, name, offset=None, opcode=None):
        self.module = module
        self.name = name
        self.offset = offset
        self.opcode = opcode
        where = "" if offset is None else f" at byte {offset}" + (f" ({opcode})" if opcode else "")
        super().__init__(
            f"refused to load global '{module}.{name}'{where}: it is not in the allowlist, "
            f"so nothing was imported. If you know what it is, allow it with "
            f"allow={{'{module}.{name}'}}, or pass trusted=True to load this data "
            f"like pickle.loads does (only for data you trust)."
        )

    def _locate(self, offset, opcode):
        """Called by the native loader with where the global was named."""
        self.__init__(self.module, self.name, offset, opcode)


def _allowed(allow):
    if isinstance(allow, str):
        allow = (allow,)
    return DEFAULT_ALLOWED | frozenset(allow)


class SafeUnpickler(_brinery.Unpickler):
    """An ``Unpickler`` that imports only allowlisted globals."""

    def __init__(self, file, *, allow=(), fix_imports=True, encoding="ASCII", errors="strict", buffers=()):
        self._setup(file, fix_imports, encoding, errors, buffers)
        self._restrict(_allowed(allow))


def loads(data, /, *, allow=(), trusted=False, fix_imports=True, encoding="ASCII", errors="strict", buffers=()):
    """Like ``pickle.loads``, but refuses globals outside the allowlist.

    ``allow``: extra ``"module.Name"`` strings (or a group such as
    :data:`NUMPY`). ``trusted=True`` loads anything, like ``pickle.loads``.
    """
    if trusted:
        return _brinery.loads(data, fix_imports=fix_imports, encoding=encoding, errors=errors, buffers=buffers)
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    u = SafeUnpickler(_io.BytesIO(data), allow=allow, fix_imports=fix_imports, encoding=encoding, errors=errors,
                      buffers=buffers)
    return u.load()


def load(file, *, allow=(), trusted=False, fix_imports=True, encoding="ASCII", errors="strict", buffers=()):
    """Like ``pickle.load``, but refuses globals outside the allowlist (see :func:`loads`)."""
    if trusted:
        return _brinery.load(file, fix_imports=fix_imports, encoding=encoding, errors=errors, buffers=buffers)
    return SafeUnpickler(file, allow=allow, fix_imports=fix_imports, encoding=encoding, errors=errors,
                         buffers=buffers).load()
