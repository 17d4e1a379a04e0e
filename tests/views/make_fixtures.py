"""Writes the numpy fixtures of brinery's typed views (crates/brinery/tests/views.rs).

numpy pickles arrays, scalars, dtypes and masked arrays; this script writes
small ones into tests/views/fixtures/ (protocols 0, 2, 4, 5, and 5 with
out-of-band buffers saved beside as NAME.p5oob.bufI), plus numpy 1.x-style
pickles (``numpy.core.*`` module names, written by numpy 2 itself with the
reconstruct functions' ``__module__`` pointed at the 1.x names), and
``expected.json``: what numpy reports about each pickled object (dtype.str,
shape, strides, flags, ``arr.tobytes(order='A')`` as hex, values converted by
numpy's own ``astype``).

Regenerate (numpy is not in the system python):

    bash scripts/python-env.sh fixtures
    .venv-fixtures/bin/python tests/views/make_fixtures.py

The fixtures are committed; the Rust tests never need numpy.
"""

import contextlib
import json
import pickle
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
import numpy._core.multiarray as np_multiarray
import numpy._core.numeric as np_numeric

OUT = Path(__file__).resolve().parent / "fixtures"
LITTLE = sys.byteorder == "little"


def f64_bits(x):
    return struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def byteorder(dt):
    order = dt.byteorder
    if order == "=":
        return "<" if LITTLE else ">"
    return order


def dtype_facts(dt):
    """What numpy says about a dtype."""
    facts = {
        "str": dt.str,
        "kind": dt.kind,
        "itemsize": dt.itemsize,
        "byteorder": byteorder(dt),
        "isnative": bool(dt.isnative),
        "unit": None,
        "subarray": None,
        "fields": None,
    }
    if dt.kind in "mM":
        unit, count = np.datetime_data(dt)
        facts["unit"] = None if unit == "generic" else [unit, count]
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        facts["subarray"] = {"base": dtype_facts(base), "shape": list(shape)}
    if dt.names is not None:
        facts["fields"] = []
        for name in dt.names:
            entry = dt.fields[name]
            facts["fields"].append(
                {
                    "name": name,
                    "offset": entry[1],
                    "title": entry[2] if len(entry) > 2 else None,
                    "dtype": dtype_facts(entry[0]),
                }
            )
    return facts


def numbers(flat, dt):
    """The elements converted by numpy, where the view converts them too."""
    out = {"f64_bits": None, "i64": None}
    if dt.kind in "biuf" and dt.itemsize <= 8 and dt.names is None:
        out["f64_bits"] = [f64_bits(x) for x in flat.astype(np.float64)]
    if dt.kind in "biu" and (dt.kind != "u" or (flat.size == 0 or int(flat.max()) <= 2**63 - 1)):
        out["i64"] = [int(x) for x in flat.astype(np.int64)]
    if dt.kind in "mM":
        out["i64"] = [int(x) for x in flat.view(np.int64)]
    return out


def same_array(arr, back):
    """numpy's own check that the loaded array holds what was pickled."""
    assert back.shape == arr.shape
    if arr.dtype.hasobject:
        assert list(back.ravel(order="K")) == list(arr.ravel(order="K"))
    else:
        assert back.astype(arr.dtype).tobytes(order="A") == arr.tobytes(order="A")


def array_facts(arr, back):
    """The pickled array as numpy describes it. Its dtype and bytes are those of
    the array pickled (what the pickle holds: numpy's `_reconstruct` path swaps
    non-native data to native order when it loads, `_frombuffer` does not);
    the strides and contiguity flags are those of the array numpy loads back."""
    same_array(arr, back)
    fortran = bool(arr.flags.fnc)
    flat = arr.ravel(order="F" if fortran else "C")
    facts = {
        "dtype": dtype_facts(arr.dtype),
        "shape": list(arr.shape),
        "strides": list(back.strides),
        "c_contiguous": bool(back.flags.c_contiguous),
        "f_contiguous": bool(back.flags.f_contiguous),
        "fortran_order": fortran,
        "size": int(arr.size),
    }
    if arr.dtype.hasobject:
        facts["objects"] = [repr(x) for x in flat]
    else:
        facts["hex"] = arr.tobytes(order="A").hex()
        facts.update(numbers(flat, arr.dtype))
    return facts


def scalar_facts(_, s):
    dt = s.dtype
    raw = np.array(s).tobytes()
    facts = {"dtype": dtype_facts(dt), "hex": raw.hex()}
    facts.update({k: (v[0] if v else None) for k, v in numbers(np.array([s]), dt).items()})
    return facts


def masked_facts(m, back):
    facts = {"array": array_facts(m.data, back.data)}
    fortran = bool(m.data.flags.fnc)
    facts["mask_hex"] = np.ma.getmaskarray(m).tobytes(order="F" if fortran else "C").hex()
    facts["fill_value"] = repr(m._fill_value) if m._fill_value is not None else None
    return facts


@contextlib.contextmanager
def numpy1_names():
    """Makes numpy 2 write the module names numpy 1.x wrote."""
    functions = [
        (np_multiarray._reconstruct, "numpy.core.multiarray"),
        (np_numeric._frombuffer, "numpy.core.numeric"),
        (np_multiarray.scalar, "numpy.core.multiarray"),
    ]
    saved = [f.__module__ for f, _ in functions]
    for f, module in functions:
        f.__module__ = module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        for (f, _), module in zip(functions, saved):
            f.__module__ = module


def structured():
    return np.array([(1, (1.5, -2.0)), (-3, (4.25, 8.0))], dtype=[("a", "<i4"), ("b", ">f8", (2,))])


ARRAYS = {
    "f8": lambda: np.arange(5, dtype="<f8") / 4,
    "f8_big": lambda: (np.arange(4, dtype=">f8") - 1.5),
    "i4_2d": lambda: np.arange(6, dtype="<i4").reshape(2, 3) - 2,
    "i4_fortran": lambda: np.asfortranarray(np.arange(6, dtype="<i4").reshape(2, 3)),
    "u2_fortran_3d_big": lambda: np.asfortranarray(np.arange(24, dtype=">u2").reshape(2, 3, 4)),
    "zero_d": lambda: np.array(3.5),
    "empty": lambda: np.zeros((0, 3), dtype="<f4"),
    "bool": lambda: np.array([True, False, True]),
    "int8": lambda: np.array([-128, 0, 127], dtype="i1"),
    "uint8": lambda: np.array([0, 200, 255], dtype="u1"),
    "int16_big": lambda: np.array([-2, 300], dtype=">i2"),
    "uint16": lambda: np.array([1, 65535], dtype="<u2"),
    "int32_big": lambda: np.array([-(2**31), 2**31 - 1], dtype=">i4"),
    "uint32": lambda: np.array([0, 2**32 - 1], dtype="<u4"),
    "int64": lambda: np.array([-(2**63), 2**63 - 1, 5], dtype="<i8"),
    "uint64_big_values": lambda: np.array([1, 2**64 - 1], dtype="<u8"),
    "float16": lambda: np.array([0.5, -2.0, 65504.0, 6e-8], dtype="<f2"),
    "float16_big": lambda: np.array([1.0, -0.25], dtype=">f2"),
    "float32": lambda: np.array([1.5, -1e30, 3.25], dtype="<f4"),
    "complex64": lambda: np.array([1 + 2j, -0.5j], dtype="<c8"),
    "complex128_big": lambda: np.array([1.5 - 2j], dtype=">c16"),
    "datetime64_ns": lambda: np.array(["2024-02-29T13:05:09.000000120", "NaT"], dtype="M8[ns]"),
    "timedelta64_10s": lambda: np.array([1, -7], dtype="m8[10s]"),
    "str_u3": lambda: np.array(["ab", "xyz", ""], dtype="<U3"),
    "bytes_s5": lambda: np.array([b"hello", b"a"], dtype="S5"),
    "object": lambda: np.array([1, "two", None, 3.5], dtype=object),
    "structured": structured,
    "sliced": lambda: np.arange(10, dtype="<i8")[::3],
}

SCALARS = {
    "float64": lambda: np.float64(1.5),
    "float32": lambda: np.float32(-0.25),
    "float16": lambda: np.float16(2.5),
    "int8": lambda: np.int8(-5),
    "uint64": lambda: np.uint64(2**64 - 2),
    "bool": lambda: np.bool_(True),
    "complex128": lambda: np.complex128(1 - 1j),
    "datetime64_d": lambda: np.datetime64("2024-01-01", "D"),
    "str": lambda: np.str_("ab"),
}

DTYPES = {
    "f8": lambda: np.dtype("f8"),
    "i4_big": lambda: np.dtype(">i4"),
    "u1": lambda: np.dtype("u1"),
    "bool": lambda: np.dtype("?"),
    "c16": lambda: np.dtype("c16"),
    "s5": lambda: np.dtype("S5"),
    "u3": lambda: np.dtype("U3"),
    "u3_big": lambda: np.dtype(">U3"),
    "object": lambda: np.dtype("O"),
    "m8_ns": lambda: np.dtype("M8[ns]"),
    "m8_generic": lambda: np.dtype("M8"),
    "td_10s_big": lambda: np.dtype(">m8[10s]"),
    "v8": lambda: np.dtype("V8"),
    "f2": lambda: np.dtype("f2"),
    "metadata": lambda: np.dtype("f8", metadata={"k": 1}),
    "structured": lambda: structured().dtype,
    "offsets": lambda: np.dtype({"names": ["x"], "formats": ["u1"], "offsets": [4], "itemsize": 8}),
    "aligned": lambda: np.dtype([("a", "u1"), ("b", "<i4")], align=True),
    "titles": lambda: np.dtype([(("Title", "t"), "<f4"), ("n", [("x", ">i2"), ("y", "u1")])]),
    "subarray": lambda: np.dtype(("<i4", (2, 3))),
}

MASKED = {
    "f8": lambda: np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False]),
    "i4_2d_fill": lambda: np.ma.array(np.arange(6, dtype="<i4").reshape(2, 3), mask=[[1, 0, 0], [0, 0, 1]], fill_value=-1),
}


def main():
    warnings.filterwarnings("ignore", category=DeprecationWarning, message="numpy.core")
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    expected = []

    def write(name, obj, kind, facts, protocols=(2, 4, 5), numpy1=False):
        """Pickles `obj`; the expected facts are numpy's about the object loaded back."""
        ctx = numpy1_names if numpy1 else contextlib.nullcontext
        for protocol in protocols:
            tag = f"{name}.p{protocol}" + (".np1" if numpy1 else "")
            with ctx():
                data = pickle.dumps(obj, protocol)
            (OUT / f"{tag}.pkl").write_bytes(data)
            expected.append({"file": f"{tag}.pkl", "kind": kind, "buffers": [], "expect": facts(obj, pickle.loads(data))})
            if protocol == 5 and kind == "ndarray":
                buffers = []
                with ctx():
                    data = pickle.dumps(obj, 5, buffer_callback=buffers.append)
                if buffers:
                    names = []
                    for i, b in enumerate(buffers):
                        names.append(f"{tag}.oob.buf{i}")
                        (OUT / names[-1]).write_bytes(bytes(b.raw()))
                    (OUT / f"{tag}.oob.pkl").write_bytes(data)
                    back = pickle.loads(data, buffers=buffers)
                    expected.append({"file": f"{tag}.oob.pkl", "kind": kind, "buffers": names, "expect": facts(obj, back)})

    for name, make in ARRAYS.items():
        arr = make()
        protocols = (0, 2, 4, 5) if name in ("f8", "i4_fortran", "object") else (2, 4, 5)
        write(f"array_{name}", arr, "ndarray", array_facts, protocols)
    for name in ("f8", "i4_fortran", "object", "structured"):
        arr = ARRAYS[name]()
        write(f"array_{name}", arr, "ndarray", array_facts, (2, 4, 5), numpy1=True)
    for name, make in SCALARS.items():
        s = make()
        write(f"scalar_{name}", s, "scalar", scalar_facts, (2, 4))
    write("scalar_float64", np.float64(1.5), "scalar", scalar_facts, (2,), numpy1=True)
    for name, make in DTYPES.items():
        dt = make()
        write(f"dtype_{name}", dt, "dtype", lambda _, back: dtype_facts(back), (2, 4))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # metadata is not kept in npy headers
            descr = np.lib.format.dtype_to_descr(dt)
        round_trip = np.lib.format.descr_to_dtype(descr)
        (OUT / f"npy_descr_{name}.pkl").write_bytes(pickle.dumps(descr, 4))
        expected.append({"file": f"npy_descr_{name}.pkl", "kind": "npy_descr", "buffers": [], "expect": dtype_facts(round_trip)})
    for name, make in MASKED.items():
        m = make()
        write(f"masked_{name}", m, "masked", masked_facts, (2, 4))

    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(expected)} fixtures, {total} bytes in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
