"""Classes, functions and pickling hooks shared by the CPython corpus scripts.

Both ``make_corpus.py`` (which writes the corpus) and ``compare_pickles.py``
(which loads pickles to compare them) import this module, so the pickles
refer to ``corpus_classes.X`` and can be loaded again from either script.

Nothing here may change without regenerating the corpus: the module and
qualified names below are written into the pickles.
"""

import enum
import pickle


# --- ordinary instances ------------------------------------------------------

class Plain:
    """A plain class: pickled through ``object.__reduce_ex__`` with its __dict__."""

    def __init__(self, a, b):
        self.a = a
        self.b = b


class WithReduce:
    """``__reduce__`` returning (callable, args): no state, no NEWOBJ."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __reduce__(self):
        return (WithReduce, (self.x, self.y))


class WithReduceEx:
    """``__reduce_ex__`` returning all five elements of a reduce value.

    (callable, args, state, listitems, dictitems): the pickler emits the
    list items with APPEND(S) and the dict items with SETITEM(S) on an
    object that is neither a list nor a dict, so the unpickler has to use
    this class's ``extend``/``append`` and ``__setitem__``.
    """

    def __init__(self, name):
        self.name = name
        self.tag = None
        self.items = []
        self.mapping = {}

    def __reduce_ex__(self, protocol):
        return (
            WithReduceEx,
            (self.name,),
            {"tag": self.tag},
            iter(self.items),
            iter(self.mapping.items()),
        )

    def append(self, item):
        self.items.append(item)

    def extend(self, items):
        self.items.extend(items)

    def __setitem__(self, key, value):
        self.mapping[key] = value


class WithState:
    """``__getstate__``/``__setstate__`` with a non-dict (tuple) state."""

    def __init__(self, values):
        self.values = values

    def __getstate__(self):
        return (1, self.values)  # (format version, payload)

    def __setstate__(self, state):
        version, self.values = state
        assert version == 1


class WithNewArgsEx:
    """Keyword-only constructor argument via ``__getnewargs_ex__``.

    Protocol >= 4 writes NEWOBJ_EX; protocols 2 and 3 write a
    ``functools.partial(cls.__new__, cls, a, b=...)`` reduce instead;
    protocols 0 and 1 go through ``copyreg._reconstructor``.
    """

    def __new__(cls, a, *, b):
        self = super().__new__(cls)
        self.a = a
        self.b = b
        return self

    def __getnewargs_ex__(self):
        return ((self.a,), {"b": self.b})


class Slotted:
    """A ``__slots__`` class (no __dict__). Unpicklable with protocols 0/1."""

    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


class DictSub(dict):
    """A dict subclass carrying an extra instance attribute."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra = "dict-extra"


class ListSub(list):
    """A list subclass carrying an extra instance attribute."""

    def __init__(self, *args):
        super().__init__(*args)
        self.extra = "list-extra"


class Outer:
    """Holds a nested class: pickled by qualified name ``Outer.Inner``."""

    class Inner:
        def __init__(self, value):
            self.value = value


class Color(enum.Enum):
    RED = 1
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 10


def some_function(x):
    """A module-level function, pickled by reference (GLOBAL/STACK_GLOBAL)."""
    return x


# --- persistent ids ----------------------------------------------------------

class PersistentRef:
    """Marker for objects stored "outside" the pickle.

    Instances are never pickled themselves: ``persistent_id`` replaces them
    by a persistent id, and ``persistent_load`` turns the id back into an
    equal PersistentRef.
    """

    def __init__(self, key):
        self.key = key

    def __repr__(self):
        return f"PersistentRef({self.key!r})"

    def __eq__(self, other):
        return type(other) is PersistentRef and other.key == self.key

    def __hash__(self):
        return hash(("PersistentRef", self.key))


def persistent_id_for(obj, protocol):
    """Persistent id of ``obj``, or None to pickle it normally.

    Protocol 0 writes the id with PERSID as a line of text, so it must be an
    (ASCII, newline-free) str there; later protocols use BINPERSID with a
    pickled object, here a tuple.
    """
    if type(obj) is PersistentRef:
        if protocol == 0:
            return f"ref:{obj.key}"
        return ("ref", obj.key)
    return None


def persistent_load_from(pid):
    """Inverse of ``persistent_id_for``."""
    if isinstance(pid, str) and pid.startswith("ref:"):
        return PersistentRef(pid[4:])
    if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "ref":
        return PersistentRef(pid[1])
    raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")


class PersistentPickler(pickle.Pickler):
    """The C pickler with the corpus ``persistent_id`` hook."""

    def __init__(self, file, protocol, **kwargs):
        super().__init__(file, protocol, **kwargs)
        self.corpus_protocol = protocol

    def persistent_id(self, obj):
        return persistent_id_for(obj, self.corpus_protocol)


class PersistentUnpickler(pickle.Unpickler):
    """The C unpickler with the corpus ``persistent_load`` hook."""

    def persistent_load(self, pid):
        return persistent_load_from(pid)
