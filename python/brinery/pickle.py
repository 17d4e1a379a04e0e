"""Drop-in replacement for the standard library's ``pickle`` module.

Same names, same behaviour, same bytes: ``dump``/``dumps`` write exactly what
CPython's C pickler writes, ``load``/``loads`` build the same objects, and
the exceptions are the standard library's own, so ``except
pickle.UnpicklingError`` keeps working.  Like ``pickle.loads``, the
``loads`` here trusts its input; the top-level ``brinery.loads`` does not.
"""

import pickle as _std
from pickle import (  # noqa: F401  (re-exported: the stdlib module's public names)
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

__all__ = list(_std.__all__)

# The opcode constants (MARK, STOP, ...) are part of the stdlib module's API.
globals().update({name: getattr(_std, name) for name in __all__ if name.isupper() and hasattr(_std, name)})

try:
    from brinery._brinery import Pickler, Unpickler, dump, dumps, load, loads
except ImportError:  # the native pickle half is not built yet
    pass
