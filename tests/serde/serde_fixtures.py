"""Python classes for the serde tests (crates/brinery/tests/serde_python.rs).

The tests put this folder on sys.path, have CPython pickle instances of these
classes and read them into Rust types, and check that Rust structs written as
instances of these classes load here with the same attributes and are
byte-identical to CPython's own pickles of such instances.
"""

import collections
import dataclasses
import enum


@dataclasses.dataclass
class Job:
    """A dataclass: pickled as a plain instance, its fields in __dict__."""

    id: int
    name: str
    tags: list
    weight: float = None


@dataclasses.dataclass(slots=True)
class SlotJob:
    """A dataclass with __slots__: state is (None, {slots})."""

    id: int
    name: str


class Plain:
    """A plain class whose attributes are whatever it is given."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__


class Slotted:
    """__slots__ and a __dict__-less instance."""

    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


class Color(enum.Enum):
    RED = 1
    GREEN = 2


Pair = collections.namedtuple("Pair", "left right")


# --- classes Rust structs are written as -------------------------------------

class Point:
    """Target of the Rust `Point` struct (attributes only, set by unpickling)."""

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__


class Polygon:
    """Target of the Rust `Polygon` struct: holds Points."""

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__


class Marker:
    """Target of a field-less Rust struct: an instance without attributes."""

    def __eq__(self, other):
        return type(self) is type(other)


def instance(cls, **attributes):
    """An instance of ``cls`` holding ``attributes`` in order, made the way
    unpickling makes one (no __init__)."""
    obj = cls.__new__(cls)
    obj.__dict__.update(attributes)
    return obj
