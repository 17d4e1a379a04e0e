"""brinery: Python's pickle and json, rebuilt in Rust.

``brinery.pickle`` and ``brinery.json`` are drop-in replacements for the
standard library modules.  The top-level ``dumps``/``dump`` pickle like
``pickle.dumps``; the top-level ``loads``/``load`` are *safe by default*:
they import only an allowlist of harmless globals and refuse everything
else before importing it (see ``brinery.safe``).
"""

from brinery import json, pickle
from brinery.pickle import HIGHEST_PROTOCOL, DEFAULT_PROTOCOL

__all__ = ["json", "pickle", "HIGHEST_PROTOCOL", "DEFAULT_PROTOCOL"]
