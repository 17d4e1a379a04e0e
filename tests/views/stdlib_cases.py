"""Oracle for brinery's stdlib views (crates/brinery/tests/views.rs).

Pickles datetime, Decimal, UUID, collections and enum values at protocols
0-5 and prints one JSON object per line: the pickle as hex, the load
encoding, and what CPython itself reports about the object it loads back
from those bytes (so facts a protocol cannot carry, like ``fold`` below
protocol 4, are what pickle really preserves).
"""

import collections
import datetime as dt
import decimal
import enum
import json
import pickle
import uuid
import zoneinfo


class Color(enum.Enum):
    RED = 1
    GREEN = "g"


class Perm(enum.IntFlag):
    R = 4
    W = 2


def tz_facts(tz):
    if tz is None:
        return None
    if isinstance(tz, dt.timezone):
        off = tz.utcoffset(None)
        # timezone(offset) and timezone(offset, name) compare equal; the name is in the init args.
        name = tz.__getinitargs__()[1] if len(tz.__getinitargs__()) > 1 else None
        return {"kind": "fixed", "offset_us": off // dt.timedelta(microseconds=1), "name": name, "str": str(tz)}
    if isinstance(tz, zoneinfo.ZoneInfo):
        return {"kind": "zone", "key": tz.key}
    return {"kind": "other"}


def facts(obj):
    if isinstance(obj, dt.datetime):
        return {
            "view": "datetime",
            "fields": [obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second, obj.microsecond],
            "fold": obj.fold,
            "tz": tz_facts(obj.tzinfo),
            "str": str(obj),
            "isoformat": obj.isoformat(),
        }
    if isinstance(obj, dt.date):
        return {"view": "date", "fields": [obj.year, obj.month, obj.day], "str": str(obj)}
    if isinstance(obj, dt.time):
        return {
            "view": "time",
            "fields": [obj.hour, obj.minute, obj.second, obj.microsecond],
            "fold": obj.fold,
            "tz": tz_facts(obj.tzinfo),
            "str": str(obj),
        }
    if isinstance(obj, dt.timedelta):
        return {"view": "timedelta", "fields": [obj.days, obj.seconds, obj.microseconds], "str": str(obj)}
    if isinstance(obj, dt.tzinfo):
        return {"view": "tzinfo", "tz": tz_facts(obj)}
    if isinstance(obj, decimal.Decimal):
        return {"view": "decimal", "str": str(obj)}
    if isinstance(obj, uuid.UUID):
        return {"view": "uuid", "int": str(obj.int), "str": str(obj), "is_safe": obj.is_safe.value}
    items = lambda pairs: [[repr(k), repr(v)] for k, v in pairs]
    if isinstance(obj, collections.defaultdict):
        f = obj.default_factory
        return {
            "view": "defaultdict",
            "factory": None if f is None else f"{f.__module__}.{f.__qualname__}",
            "items": items(obj.items()),
        }
    if isinstance(obj, collections.OrderedDict):
        return {"view": "ordereddict", "items": items(obj.items())}
    if isinstance(obj, collections.Counter):
        return {"view": "counter", "items": items(obj.items())}
    if isinstance(obj, collections.deque):
        return {"view": "deque", "items": [repr(x) for x in obj], "maxlen": obj.maxlen}
    if isinstance(obj, enum.Enum):
        cls = type(obj)
        return {"view": "enum", "class": f"{cls.__module__}.{cls.__qualname__}", "value": repr(obj.value)}
    raise TypeError(type(obj))


UTC = dt.timezone.utc
CASES = [
    dt.datetime(2024, 2, 29, 13, 5, 9, 120),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2021, 11, 7, 1, 30, fold=1),
    dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    dt.datetime(2024, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")),
    dt.datetime(2024, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30, seconds=7, microseconds=5))),
    dt.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    dt.date(2024, 2, 29),
    dt.date(1, 1, 1),
    dt.time(0, 0),
    dt.time(23, 59, 1, 500),
    dt.time(1, 30, fold=1),
    dt.time(12, 0, tzinfo=dt.timezone(dt.timedelta(minutes=-90))),
    dt.timedelta(0),
    dt.timedelta(days=-1, seconds=5),
    dt.timedelta(days=2, hours=3, microseconds=7),
    dt.timedelta(days=-999999999),
    dt.timedelta(microseconds=-1),
    UTC,
    dt.timezone(dt.timedelta(hours=2), "CEST"),
    decimal.Decimal("1.50"),
    decimal.Decimal("-0E+3"),
    decimal.Decimal("NaN"),
    decimal.Decimal("123456789012345678901234567890.000001"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    uuid.UUID(int=0),
    uuid.UUID(int=2**128 - 1, is_safe=uuid.SafeUUID.safe),
    collections.OrderedDict([("b", 1), ("a", [2]), (3, None)]),
    collections.OrderedDict(),
    collections.defaultdict(list, {"k": [1], "j": []}),
    collections.defaultdict(None, {1: 2}),
    collections.defaultdict(int),
    collections.Counter("abracadabra"),
    collections.Counter(),
    collections.deque([1, "two", 3.0], 5),
    collections.deque([]),
    collections.deque([None], 0),
    Color.RED,
    Color.GREEN,
    Perm.R,
]


def py2_datetime():
    """A Python 2-style pickle whose state is a py2 str (SHORT_BINSTRING), read with encoding='latin1'."""
    state = bytes([7, 232, 2, 29, 13, 5, 9, 0, 0, 120])
    return b"\x80\x02cdatetime\ndatetime\nU\x0a" + state + b"\x85R."


def main():
    for obj in CASES:
        for protocol in range(6):
            data = pickle.dumps(obj, protocol)
            back = pickle.loads(data)
            print(json.dumps({"hex": data.hex(), "encoding": "ascii", "protocol": protocol, "facts": facts(back)}))
    data = py2_datetime()
    print(json.dumps({"hex": data.hex(), "encoding": "latin1", "protocol": 2, "facts": facts(pickle.loads(data, encoding="latin1"))}))


if __name__ == "__main__":
    main()
