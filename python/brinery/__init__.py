"""brinery: Python's pickle and json, rebuilt in Rust.

``brinery.pickle`` and ``brinery.json`` are drop-in replacements for the
standard library modules. The top-level ``dumps``/``dump`` pickle like
``pickle.dumps``; the top-level ``loads``/``load`` are *safe by default*:
they import only an allowlist of harmless globals and refuse everything
else before importing it (see :mod:`brinery.safe`). ``brinery.scan`` tells
whether a pickle or model file is safe to load, without loading it.

>>> import brinery, datetime
>>> brinery.loads(brinery.dumps({"when": datetime.date(2026, 11, 21)}))
{'when': datetime.date(2026, 11, 21)}
"""

from brinery import json, pickle, safe
from brinery._scan import Finding, ScanReport, scan
from brinery.pickle import DEFAULT_PROTOCOL, HIGHEST_PROTOCOL, dump, dumps
from brinery.safe import UnsafeGlobalError, load, loads

__all__ = [
    "DEFAULT_PROTOCOL",
    "Finding",
    "HIGHEST_PROTOCOL",
    "ScanReport",
    "UnsafeGlobalError",
    "dump",
    "dumps",
    "json",
    "load",
    "loads",
    "pickle",
    "safe",
    "scan",
]
