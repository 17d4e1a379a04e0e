"""``brinery.scan``: the scanner from Python, on bytes and on files, with the
policy options of ``brinery scan``, over the scanner's own corpora."""

import os
import pathlib
import pickle
import subprocess
import sys

import pytest

import brinery

ROOT = pathlib.Path(__file__).resolve().parents[2]

# pickle.dumps(Model(), protocol=4) for a class `mypkg.Model`, on no list:
# STACK_GLOBAL + NEWOBJ in one frame.
UNKNOWN_CLASS = b"\x80\x04\x95\x16\x00\x00\x00\x00\x00\x00\x00\x8c\x05mypkg\x94\x8c\x05Model\x94\x93\x94)\x81\x94."


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("scan-corpus")
    subprocess.run([sys.executable, str(ROOT / "tests/scan/make_corpus.py"), str(out)], check=True,
                   stderr=subprocess.DEVNULL)
    return out


def test_a_reduce_to_os_system_is_dangerous_with_where_and_why():
    data = pickle.dumps(os.system, protocol=0)
    report = brinery.scan(data)
    assert report.verdict == "dangerous" and report.dangerous and not report.safe
    assert report.path == "<bytes>" and report.format == "pickle"
    first = report.findings[0]
    assert (first.cls, first.kind, first.what, first.offset, first.opcode) == (
        "dangerous", "global", "posix.system", 0, "GLOBAL")
    assert [(g.module, g.name) for g in report.streams[0].globals] == [("posix", "system")]


def test_plain_data_is_safe_and_names_no_globals():
    report = brinery.scan(pickle.dumps({"a": [1, 2.5, "x"], "b": (None, True)}, protocol=5))
    assert report.verdict == "safe" and report.safe
    assert report.findings == () and report.streams[0].globals == () and report.errors == ()


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_bytes_like_sources_and_paths_give_the_same_report(tmp_path, kind):
    data = pickle.dumps(os.system, protocol=2)
    path = tmp_path / "evil.bin"
    path.write_bytes(data)
    from_bytes = brinery.scan(kind(data)).to_dict()
    assert from_bytes.pop("path") == "<bytes>"
    for source in (str(path), path):
        from_file = brinery.scan(source).to_dict()
        assert from_file.pop("path") == str(path)
        assert from_file == from_bytes


def test_unknown_classes_are_unknown_and_strict_makes_them_dangerous():
    assert brinery.scan(UNKNOWN_CLASS).verdict == "unknown"
    assert brinery.scan(UNKNOWN_CLASS, strict=True).verdict == "dangerous"


def test_allow_deny_and_policy_files_extend_the_policy(tmp_path):
    assert brinery.scan(UNKNOWN_CLASS, allow=["mypkg:Model"]).verdict == "safe"
    assert brinery.scan(UNKNOWN_CLASS, deny=["mypkg"]).verdict == "dangerous"
    policy = tmp_path / "policy.txt"
    policy.write_text("[safe]\nmypkg\n")
    assert brinery.scan(UNKNOWN_CLASS, policy=[policy]).verdict == "safe"
    # allow never overrides the built-in dangerous list.
    assert brinery.scan(pickle.dumps(os.system), allow=["posix"]).verdict == "dangerous"


def test_bad_policy_entries_are_value_errors():
    with pytest.raises(ValueError, match="expected"):
        brinery.scan(b"N.", allow=["not a name"])
    with pytest.raises(ValueError):
        brinery.scan(b"N.", deny=[""])


def test_an_unreadable_file_is_an_error_report_not_an_exception(tmp_path):
    report = brinery.scan(tmp_path / "missing.pkl")
    assert report.verdict == "error" and "cannot open" in report.errors[0]


def test_every_malicious_file_is_dangerous_and_no_benign_one_is(corpus):
    malicious = sorted((corpus / "malicious").iterdir())
    benign = sorted((corpus / "benign").iterdir())
    assert len(malicious) > 50 and len(benign) > 10
    missed = [p.name for p in malicious if brinery.scan(p).verdict != "dangerous"]
    assert missed == []
    flagged = [p.name for p in benign if brinery.scan(p).dangerous]
    assert flagged == []
