"""``brinery.scan``: is this pickle or model file safe to load? Answered
without loading it, by the same scanner as ``brinery scan`` (see
``docs/scan-policy.md`` for the policy).

>>> import brinery, os, pickle
>>> report = brinery.scan(pickle.dumps(os.system, protocol=0))
>>> report.verdict
'dangerous'
>>> [(f.what, f.why) for f in report.findings][:1]  # doctest: +ELLIPSIS
[('posix.system', '...')]
>>> brinery.scan(pickle.dumps({"a": [1, 2.5]})).verdict
'safe'
"""

import copy
import json
import os
from dataclasses import dataclass, field
from typing import Iterable, Optional, Tuple, Union

from brinery import _brinery

#: Verdicts from best to worst.
VERDICTS = ("safe", "unknown", "error", "dangerous")


@dataclass(frozen=True)
class Finding:
    """One thing the scan found: a global the unpickler would import, a call
    it would make, an extension-registry lookup, or a container anomaly."""

    #: Where in the file: ``""`` for the top level, else the path through
    #: containers (``"archive/data.pkl"``, ``"gzip > npy object array"``).
    location: str
    #: ``"safe"``, ``"unknown"`` or ``"dangerous"``.
    cls: str
    #: ``"global"``, ``"call"``, ``"extension"`` or ``"anomaly"``.
    kind: str
    #: What it is (``"posix.system"``, ``"call posix.system(...)"``, …).
    what: str
    #: Byte offset of the opcode (within its pickle stream).
    offset: int
    #: That opcode's name, if the finding is about one.
    opcode: Optional[str]
    #: Why it is classed so.
    why: str


@dataclass(frozen=True)
class GlobalRef:
    """A global CPython's ``find_class`` would be asked for, after its own
    name resolution, in stream order."""

    module: str
    name: str
    offset: int
    opcode: str
    #: Whether the dotted name is resolved by walking attributes (protocol ≥ 4).
    attribute_walk: bool


@dataclass(frozen=True)
class Stream:
    """One pickle in the file (several in stacked files and archives)."""

    location: str
    start: int
    length: int
    #: The worst class among the stream's findings.
    cls: str
    globals: Tuple[GlobalRef, ...]
    #: Why the stream could not be read to its end, if it could not.
    error: Optional[str]


@dataclass(frozen=True)
class ScanReport:
    """What :func:`scan` found in one file or bytes object."""

    #: The path scanned (``"<bytes>"`` for bytes).
    path: str
    #: The container, as detected by content (``"pickle"``, ``"zip"``, ``"gzip+pickle"``, …).
    format: str
    #: ``"safe"`` (only allowlisted globals), ``"unknown"`` (globals on no
    #: list), ``"error"`` (something could not be read, nothing dangerous
    #: found) or ``"dangerous"``.
    verdict: str
    findings: Tuple[Finding, ...]
    streams: Tuple[Stream, ...]
    errors: Tuple[str, ...]
    #: The scanner's own document, which ``to_dict`` hands out.
    _document: dict = field(repr=False, compare=False)

    @property
    def dangerous(self) -> bool:
        """Whether loading this would import or call something dangerous."""
        return self.verdict == "dangerous"

    @property
    def safe(self) -> bool:
        """Whether every global is allowlisted and everything could be read."""
        return self.verdict == "safe"

    def to_dict(self) -> dict:
        """The report as plain data: the per-file document of
        ``brinery scan --format json``."""
        return copy.deepcopy(self._document)


def scan(
    source: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview],
    *,
    strict: bool = False,
    allow: Iterable[str] = (),
    deny: Iterable[str] = (),
    policy: Iterable[Union[str, "os.PathLike[str]"]] = (),
) -> ScanReport:
    """Scans a pickle, a model file (PyTorch checkpoint, TorchScript archive,
    ``.npy``/``.npz``, joblib file, plain or compressed) or any archive of
    them, without loading or importing anything.

    ``source`` is a path (the file is memory-mapped: only the parts the scan
    needs are read, never a checkpoint's tensor data; the GIL is released
    meanwhile) or a bytes-like object. ``strict`` counts unknown globals as
    dangerous. ``allow``/``deny`` extend the policy with entries
    (``"module"``, ``"module:name"``, ``"module:prefix*"``; ``allow`` never
    overrides the built-in dangerous list); ``policy`` adds policy files.
    A bad entry or policy file raises ``ValueError``; a file that cannot be
    read is a report with verdict ``"error"``.
    """
    if isinstance(source, (str, os.PathLike)):
        source = os.fspath(source)
    policies = []
    for path in policy:
        with open(path, encoding="utf-8") as f:
            policies.append(f.read())
    text = _brinery.scan_report(source, bool(strict), list(allow), list(deny), policies)
    return _report(json.loads(text))


def _report(d: dict) -> ScanReport:
    return ScanReport(
        path=d["path"],
        format=d["format"],
        verdict=d["verdict"],
        findings=tuple(
            Finding(f["location"], f["class"], f["kind"], f["what"], f["offset"], f["opcode"], f["why"])
            for f in d["findings"]
        ),
        streams=tuple(
            Stream(
                s["location"],
                s["start"],
                s["length"],
                s["class"],
                tuple(GlobalRef(**g) for g in s["globals"]),
                s["error"],
            )
            for s in d["streams"]
        ),
        errors=tuple(d["errors"]),
        _document=d,
    )


__all__ = ["Finding", "GlobalRef", "ScanReport", "Stream", "VERDICTS", "scan"]
