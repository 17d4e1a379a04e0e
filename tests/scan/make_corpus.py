"""Writes the scanner's test corpora: `OUT/malicious/`, `OUT/benign/` and
`OUT/edge/` (odd but legal-or-failing streams where CPython's behaviour is the
answer: only the differential test uses them).

Usage: python3 tests/scan/make_corpus.py OUT

Every malicious file is assembled here, byte by byte or by pickling an object
whose ``__reduce__`` names a dangerous callable; nothing is ever loaded, so no
payload runs. Each technique is one function, named after what it tries to get
past a scanner. The benign corpus is written by real libraries (numpy,
scikit-learn, pandas, joblib) when they are installed; the names of skipped
groups are printed on stderr.

Payload commands are harmless (`echo`) in case anything ever loads them.
"""

import bz2
import collections
import datetime
import decimal
import fractions
import gzip
import io
import lzma
import os
import pickle
import struct
import sys
import uuid
import zipfile
import zlib

CMD = "echo brinery-scan-test"


# --- Opcode helpers (protocol-0/2/4 building blocks) ----------------------

def sbu(s):
    """SHORT_BINUNICODE."""
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def bu(s):
    """BINUNICODE."""
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def glob0(module, name):
    """GLOBAL."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def stack_global(module, name):
    return sbu(module) + sbu(name) + b"\x93"


def call1(callable_bytes, *args):
    """callable(*args) with REDUCE, args as BINUNICODE strings."""
    return callable_bytes + b"(" + b"".join(bu(a) for a in args) + b"tR"


def p4(body):
    """Protocol 4 with one frame around the body."""
    return b"\x80\x04\x95" + struct.pack("<Q", len(body) + 1) + body + b"."


def p2(body):
    return b"\x80\x02" + body + b"."


def reduce_pickle(module, name, *args, protocol=4):
    """`module.name(*args)`, written by hand (the pickler would import module.name)."""
    body = stack_global(module, name) + b"(" + b"".join(bu(a) for a in args) + b"tR"
    if protocol >= 4:
        return p4(body)
    return p2(glob0(module, name) + b"(" + b"".join(bu(a) for a in args) + b"tR")


# --- Malicious corpus -----------------------------------------------------

def denylist_gaps():
    """Callables that run code but were missing from scanners' denylists."""
    cases = {
        "pip_main": ("pip", "main", "install", "--index-url", "http://127.0.0.1/x", "x"),
        "pip_internal": ("pip._internal.cli.main", "main", "install", "x"),
        "runpy_run_path": ("runpy", "run_path", "/tmp/x.py"),
        "runpy_run_module": ("runpy", "_run_module_as_main", "x"),
        "timeit": ("timeit", "timeit", "__import__('os').system('%s')" % CMD),
        "pydoc_pipepager": ("pydoc", "pipepager", "x", CMD),
        "pty_spawn": ("pty", "spawn", CMD),
        "ctypes_cdll": ("ctypes", "CDLL", "/tmp/x.so"),
        "cprofile_run": ("cProfile", "run", "print(1)"),
        "profile_run": ("profile", "run", "print(1)"),
        "trace_run": ("trace", "Trace",),
        "idlelib": ("idlelib.pyshell", "main",),
        "lib2to3": ("lib2to3.main", "main", "x"),
        "ensurepip": ("ensurepip", "_run_pip", "x"),
        "venv_create": ("venv", "create", "/tmp/v"),
        "webbrowser_open": ("webbrowser", "open", "http://127.0.0.1/"),
        "uuid_command": ("uuid", "_get_command_stdout", "sh", "-c", CMD),
        "operator_private": ("_operator", "attrgetter", "system"),
        "operator_methodcaller": ("operator", "methodcaller", "system", CMD),
        "torch_serialization_load": ("torch.serialization", "load", "/tmp/x.pt"),
        "torch_inductor_codecache": ("torch._inductor.codecache", "compile_file", "x"),
        "code_interact": ("code", "interact",),
        "asyncio_subprocess": ("asyncio.subprocess", "create_subprocess_shell", CMD),
        "shutil_rmtree": ("shutil", "rmtree", "/tmp/none"),
        "builtins_exec": ("builtins", "exec", "print(1)"),
        "builtins_eval": ("builtins", "eval", "1"),
        "subprocess_getoutput": ("subprocess", "getoutput", CMD),
        "numpy_load": ("numpy", "load", "/tmp/x.npy"),
        "marshal_loads": ("marshal", "loads", "x"),
        "pkgutil_resolve_name": ("pkgutil", "resolve_name", "os:system"),
        "importlib_import_module": ("importlib", "import_module", "os"),
        "sys_modules_walk": ("sys", "modules",),
        "socket_connection": ("socket", "create_connection", "127.0.0.1"),
        "pdb_run": ("pdb", "run", "print(1)"),
    }
    out = {}
    for name, (module, attr, *args) in cases.items():
        out[f"gap_{name}.pkl"] = reduce_pickle(module, attr, *args)
    out["gap_proto0_posix_system.pkl"] = glob0("posix", "system") + b"(V" + CMD.encode() + b"\ntR."
    return out


def memo_assembled():
    """The global's strings come from the memo, so no opcode names it whole."""
    pieces = sbu("o") + b"\x94" + sbu("s") + b"\x94"  # memo 0 = 'o', 1 = 's'
    # STACK_GLOBAL needs str operands: build 'os' and 'system' elsewhere and fetch them by index.
    strings = sbu("os") + b"\x94" + sbu("system") + b"\x94"  # memo 2, 3
    body = pieces + strings + b"0000" + b"h\x02h\x03\x93" + b"(" + bu(CMD) + b"tR"
    # The same, with text PUT/GET (protocol 0 style) and a global reused through the memo.
    text = (
        b"\x80\x02" + glob0("posix", "system") + b"p7\n0" + b"g7\n(V" + CMD.encode() + b"\ntR."
    )
    return {"memo_stack_global.pkl": p4(body), "memo_text_get.pkl": text}


def dotted_names():
    """Protocol 4 resolves dotted names by attribute walk."""
    return {
        "dotted_getattr_self.pkl": p4(stack_global("builtins", "getattr.__self__") + b"\x94"
                                      + stack_global("builtins", "getattr") + b"(h\x00" + bu("exec") + b"tR("
                                      + bu("print(1)") + b"tR"),
        "dotted_reexported_os.pkl": p4(stack_global("collections", "_sys.modules") + b"0"
                                       + stack_global("tempfile", "_os.system") + b"(" + bu(CMD) + b"tR"),
        "dotted_safe_prefix.pkl": p4(stack_global("datetime", "sys.modules") + b"0" + stack_global("numpy", "os.system")
                                     + b"(" + bu(CMD) + b"tR"),
    }


def submodules():
    return {
        "submodule_os_path.pkl": reduce_pickle("os.path", "exists", "/"),
        "submodule_importlib_machinery.pkl": reduce_pickle("importlib.machinery", "SourceFileLoader", "x", "/tmp/x.py"),
        "submodule_distutils_spawn.pkl": reduce_pickle("distutils.spawn", "spawn", CMD),
        "submodule_subprocess_private.pkl": reduce_pickle("subprocess", "_args_from_interpreter_flags"),
    }


def python2_names():
    """Below protocol 3, CPython maps Python 2 names (fix_imports)."""
    return {
        "py2_builtin_eval.pkl": b"\x80\x02" + glob0("__builtin__", "eval") + b"(U\x011tR.",
        "py2_commands_getoutput.pkl": b"\x80\x02" + glob0("commands", "getoutput") + b"(" + bu(CMD) + b"tR.",
        "py2_cpickle_loads.pkl": b"\x80\x02" + glob0("cPickle", "loads") + b"(U\x02N.tR.",
        "py2_proto0_builtin_exec.pkl": glob0("__builtin__", "exec") + b"(Vprint(1)\ntR.",
    }


def frame_tricks():
    """CPython does not enforce FRAME boundaries; pickletools does."""
    inner = stack_global("posix", "system") + b"(" + bu(CMD) + b"tR."
    # A frame too short for the opcodes that follow: they run across its end.
    across = b"\x80\x04\x95" + struct.pack("<Q", 3) + inner
    # A frame inside a frame, and an empty frame.
    nested = b"\x80\x04\x95" + struct.pack("<Q", len(inner) + 9) + b"\x95" + struct.pack("<Q", 0) + inner
    # FRAME without PROTO, under protocol 2.
    proto2 = b"\x80\x02\x95" + struct.pack("<Q", len(inner)) + inner
    return {"frame_across_end.pkl": across, "frame_nested.pkl": nested, "frame_under_proto2.pkl": proto2}


def text_int_tricks():
    """Text INT/LONG forms CPython reads but pickletools (int(s)) rejects."""
    payload = glob0("posix", "system") + b"(V" + CMD.encode() + b"\ntR."
    return {
        "textint_hex.pkl": b"I0x10\n0" + payload,
        "textint_underscore.pkl": b"I1_000\n0" + payload,
        "textint_space_octal.pkl": b"I 010\n0" + payload,
        "textlong_hex.pkl": b"L0x10L\n0" + payload,
        "textint_bool_02.pkl": b"I+1\n0" + payload,
    }


def broken_after_payload():
    """The payload runs before CPython notices the stream is broken."""
    payload = glob0("posix", "system") + b"(V" + CMD.encode() + b"\ntR"
    return {
        "broken_bad_opcode.pkl": payload + b"\xff",
        "broken_no_stop.pkl": payload,
        "broken_truncated_arg.pkl": payload + b"X\xff\x00\x00\x00abc",
        "broken_underflow.pkl": payload + b"0000.",
    }


def stacked():
    """Several pickles back to back: the second runs on the next load()."""
    benign = pickle.dumps({"epoch": 1}, protocol=2)
    evil = glob0("posix", "system") + b"(V" + CMD.encode() + b"\ntR."
    legacy = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2) + pickle.dumps({}, protocol=2)
    return {"stacked_second_evil.pkl": benign + evil, "stacked_torch_legacy.pt": legacy + evil + b"\x00" * 64}


def inst_obj_ext():
    return {
        "inst_posix_system.pkl": b"(V" + CMD.encode() + b"\niposix\nsystem\n.",
        "obj_posix_system.pkl": b"(" + glob0("posix", "system") + b"V" + CMD.encode() + b"\no.",
        "newobj_ex_popen.pkl": p4(stack_global("subprocess", "Popen") + b"(" + bu(CMD) + b"t}\x92"),
        "unicode_escape_names.pkl": b"\x80\x04V\\u006fs\nVsystem\n\x93(V" + CMD.encode() + b"\ntR.",
        "nested_pickle_loads.pkl": p2(glob0("_pickle", "loads") + b"(C" + bytes([len(x := reduce_pickle("posix", "system", CMD, protocol=2))]) + x + b"tR"),
        "build_setstate_on_dangerous.pkl": p2(glob0("os", "_wrap_close") + b")\x81}b"),
    }


def torch_zip(member_pickle, name="archive/data.pkl"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/version", "3\n")
        z.writestr(name, member_pickle)
        z.writestr("archive/data/0", b"\x00" * 16)
    return buf.getvalue()


def zip_anomalies():
    evil = reduce_pickle("posix", "system", CMD, protocol=2)
    plain = torch_zip(evil)
    out = {"zip_plain_torch.pt": plain, "zip_member_not_named_pkl.bin": torch_zip(evil, "archive/data/7")}
    # Local header name differs from the central directory's (same length).
    i = plain.index(b"archive/data.pkl")
    out["zip_name_mismatch.pt"] = plain[:i] + b"archive/data.pkX" + plain[i + 16:]
    # Bad CRC in both headers.
    data = bytearray(plain)
    for sig, at in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        pos = 0
        while (pos := data.find(sig, pos)) != -1:
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at:name_at + 16] == b"archive/data.pkl":
                data[pos + at:pos + at + 4] = b"\xde\xad\xbe\xef"
            pos += 4
    out["zip_bad_crc.pt"] = bytes(data)
    # The encrypted flag bit set (PyTorch ignores it).
    data = bytearray(plain)
    pos = 0
    while (pos := data.find(b"PK\x03\x04", pos)) != -1:
        data[pos + 6] |= 1
        pos += 4
    out["zip_flag_bits.pt"] = bytes(data)
    # A member no central directory lists: prepend its local header + data.
    hidden = io.BytesIO()
    with zipfile.ZipFile(hidden, "w", zipfile.ZIP_STORED) as z:
        z.writestr("hidden.pkl", evil)
    h = hidden.getvalue()
    local = h[: h.index(b"PK\x01\x02")]
    out["zip_hidden_member.pt"] = local + torch_zip(pickle.dumps({"ok": 1}, protocol=2))
    # Deflated member.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("model/data.pkl", evil)
    out["zip_deflated.zip"] = buf.getvalue()
    return out


class Evil:
    """Pickled (never loaded) as posix.system(CMD) through its __reduce__."""

    def __reduce__(self):
        return (os.system, (CMD,))


def numpy_and_joblib():
    out = {}
    try:
        import numpy as np
    except ImportError:
        print("skipped: numpy (object npy/npz)", file=sys.stderr)
        return out
    arr = np.empty(2, dtype=object)
    arr[0], arr[1] = 1, Evil()
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    out["npy_object.npy"] = buf.getvalue()
    buf = io.BytesIO()
    np.savez(buf, weights=np.arange(4), evil=arr)
    out["npz_object.npz"] = buf.getvalue()
    try:
        import joblib
    except ImportError:
        print("skipped: joblib", file=sys.stderr)
        return out
    payload = [np.arange(1000, dtype=np.float64), np.ones((3, 4), dtype=np.int32), Evil()]
    for compress in [None, "zlib", "gzip", "bz2", "xz", "lzma", "lz4"]:
        buf = io.BytesIO()
        try:
            joblib.dump(payload, buf, compress=(compress, 3) if compress else 0)
        except Exception as e:  # lz4 missing
            print(f"skipped: joblib {compress}: {e}", file=sys.stderr)
            continue
        out[f"joblib_inline_{compress or 'plain'}.joblib"] = buf.getvalue()
    buf = io.BytesIO()
    joblib.dump({"objs": arr}, buf)
    out["joblib_object_array.joblib"] = buf.getvalue()
    return out


def sevenz():
    try:
        import py7zr
    except ImportError:
        print("skipped: py7zr (7z wrapping)", file=sys.stderr)
        return {}
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        z.writestr(reduce_pickle("posix", "system", CMD), "model/evil.pkl")
    return {"sevenz_wrapped.7z": buf.getvalue()}


def compressed_raw():
    evil = reduce_pickle("posix", "system", CMD)
    return {
        "gzip_pickle.pkl.gz": gzip.compress(evil),
        "bz2_pickle.bin": bz2.compress(evil),
        "xz_pickle.bin": lzma.compress(evil),
        "zlib_pickle.bin": zlib.compress(evil),
    }


MALICIOUS = [denylist_gaps, memo_assembled, dotted_names, submodules, python2_names, frame_tricks,
             text_int_tricks, broken_after_payload, stacked, inst_obj_ext, zip_anomalies, numpy_and_joblib,
             sevenz, compressed_raw]


# --- Benign corpus ---------------------------------------------------------

def stdlib_data():
    value = {
        "od": collections.OrderedDict(a=1, b=[1, 2]),
        "dd": collections.defaultdict(list, {"x": [1]}),
        "deque": collections.deque([1, 2, 3]),
        "counter": collections.Counter("hello"),
        "when": datetime.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=datetime.timezone.utc),
        "day": datetime.date(2020, 1, 2),
        "delta": datetime.timedelta(days=3, seconds=4),
        "price": decimal.Decimal("12.50"),
        "ratio": fractions.Fraction(3, 7),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "set": {1, 2}, "frozen": frozenset([3]), "bytes": b"\x00\x01", "ba": bytearray(b"xy"),
        "complex": 1 + 2j, "range": range(3), "slice": slice(1, 2),
    }
    return {f"stdlib_p{p}.pkl": pickle.dumps(value, protocol=p) for p in range(6)}


def numpy_data():
    try:
        import numpy as np
    except ImportError:
        print("skipped: numpy (benign)", file=sys.stderr)
        return {}
    out = {}
    arrays = {
        "f8": np.linspace(0, 1, 7), "f4": np.ones((2, 3), dtype=np.float32), "i8": np.arange(5),
        "u1": np.arange(4, dtype=np.uint8), "b1": np.array([True, False]), "c16": np.array([1 + 2j]),
        "U": np.array(["a", "bc"]), "S": np.array([b"x"]), "M8": np.array(["2020-01-01"], dtype="M8[D]"),
        "rec": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]), "fortran": np.asfortranarray(np.ones((2, 2))),
        "scalar": np.float64(3.5), "dtype": np.dtype("<i2"), "masked": np.ma.masked_array([1, 2], mask=[0, 1]),
    }
    for p in (2, 4, 5):
        out[f"numpy_p{p}.pkl"] = pickle.dumps(arrays, protocol=p)
    buf = io.BytesIO()
    np.save(buf, arrays["f8"])
    out["numpy_plain.npy"] = buf.getvalue()
    buf = io.BytesIO()
    np.savez_compressed(buf, a=arrays["i8"], b=arrays["rec"])
    out["numpy_compressed.npz"] = buf.getvalue()
    out["numpy_random_state.pkl"] = pickle.dumps(np.random.RandomState(0), protocol=4)
    out["numpy_generator.pkl"] = pickle.dumps(np.random.default_rng(0), protocol=4)
    return out


def sklearn_pandas_joblib():
    out = {}
    try:
        import numpy as np
        import joblib
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.tree import DecisionTreeClassifier
    except ImportError as e:
        print(f"skipped: scikit-learn/joblib ({e})", file=sys.stderr)
        return out
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.arange(20) % 2
    models = {
        "logreg": LogisticRegression().fit(X, y),
        "pipeline": make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=2)).fit(X, y),
    }
    for name, model in models.items():
        out[f"sklearn_{name}.pkl"] = pickle.dumps(model, protocol=4)
        for compress in [None, "zlib", "gzip", "bz2", "xz", "lzma", "lz4"]:
            buf = io.BytesIO()
            try:
                joblib.dump(model, buf, compress=(compress, 3) if compress else 0)
            except Exception:
                continue
            out[f"sklearn_{name}_{compress or 'plain'}.joblib"] = buf.getvalue()
    buf = io.BytesIO()
    joblib.dump({"w": np.ones((10, 10)), "s": "text", "n": [np.arange(3)]}, buf)
    out["joblib_arrays.joblib"] = buf.getvalue()
    try:
        import pandas as pd
    except ImportError:
        print("skipped: pandas", file=sys.stderr)
        return out
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "t": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    out["pandas_frame.pkl"] = pickle.dumps(df, protocol=4)
    out["pandas_series.pkl"] = pickle.dumps(pd.Series([1.5, 2.5], name="s"), protocol=5)
    return out


BENIGN = [stdlib_data, numpy_data, sklearn_pandas_joblib]


# --- Edge cases: only for the differential test (CPython decides) ---------

def edge_cases():
    return {
        "ext1_unregistered.pkl": b"\x80\x02\x82\x05.",
        "dotted_below_proto4.pkl": b"\x80\x02" + glob0("collections", "OrderedDict.fromkeys") + b")R.",
        "dotted_proto3_then_4.pkl": b"\x80\x03\x80\x04" + stack_global("collections", "OrderedDict.fromkeys") + b")R.",
        "proto3_no_fix_imports.pkl": b"\x80\x03" + glob0("__builtin__", "set") + b")R.",
        "proto2_after_3_fix_imports.pkl": b"\x80\x03\x80\x02" + glob0("__builtin__", "set") + b")R.",
        "stack_global_non_str.pkl": b"\x80\x04K\x01" + sbu("x") + b"\x93.",
        "persid_then_global.pkl": b"Pabc\n0" + glob0("collections", "OrderedDict") + b")R.",
        "memoize_overwrite.pkl": b"\x80\x04" + sbu("collections") + b"\x94" + sbu("OrderedDict") + b"\x94"
                                 + b"h\x00h\x01\x93)R.",
        "stacked_then_garbage.pkl": pickle.dumps(collections.OrderedDict(), protocol=2) + b"\xff\xfe garbage",
        "stacked_then_broken_global.pkl": pickle.dumps([1], protocol=2) + b"cdatetime\ndate\n(K\x01",
        "reduce_on_constant.pkl": b"K\x01)R" + glob0("posix", "system") + b".",
        "build_on_int.pkl": b"K\x01}b" + glob0("posix", "system") + b".",
        "unhashable_key.pkl": b"(]K\x01d" + glob0("posix", "system") + b".",
        # SETITEMS and ADDITEMS: the first unhashable key ends the load (after the items before it).
        "unhashable_setitems_key.pkl": b"}(K\x01K\x02]K\x03u" + glob0("posix", "system") + b".",
        "unhashable_additems_item.pkl": b"\x80\x04\x8f(K\x01]\x90" + glob0("posix", "system") + b".",
        "setitems_list_index.pkl": b"(K\x07l(K\x00K\x08u" + glob0("collections", "OrderedDict") + b")R.",
        "newobj_ex_kwargs_not_dict.pkl": b"\x80\x04" + stack_global("collections", "OrderedDict") + b")N\x92"
                                        + glob0("posix", "system") + b".",
        "append_to_object.pkl": b"\x80\x02" + glob0("collections", "deque") + b")R(K\x01e"
                                + glob0("datetime", "date") + b"0.",
        "next_buffer.pkl": b"\x80\x05\x97\x98" + glob0("datetime", "date") + b"0.",
        "inst_empty_args.pkl": b"(idatetime\ntimezone\n.",
        "obj_no_class.pkl": b"(o.",
    }


EDGE = [edge_cases]


def main():
    out = sys.argv[1]
    for kind, makers in (("malicious", MALICIOUS), ("benign", BENIGN), ("edge", EDGE)):
        os.makedirs(os.path.join(out, kind), exist_ok=True)
        for make in makers:
            for name, data in make().items():
                with open(os.path.join(out, kind, name), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
