"""Writes the model-file fixtures the Rust tests read, with the real libraries.

Each fixture is a file torch, numpy or joblib wrote (or, for formats today's
torch no longer writes, a file built the way torch's own reader reads it and
checked by loading it with torch), and beside it `<name>.expected.json`:
what the real library reports after loading it. The Rust tests compare their
reading with that report, never with their own output.

Regenerate (needs the `fixtures` environment, torch included, ~4 GB):

    bash scripts/python-env.sh fixtures
    .venv-fixtures/bin/python tests/models/make_fixtures.py

The files are small (a few KB each) and committed; `make test` never needs
torch. Regenerating rewrites them; torch writes a random serialization id,
so the bytes change while the expected reports stay the same.
"""

import io
import json
import os
import pickle
import shutil
import struct
import sys
import tarfile
import tempfile
import zipfile

import joblib
import numpy as np
import sklearn
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline

from flatten import flatten

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


# ---------------------------------------------------------------- reporting


def tensor_report(name, t, storage_ids):
    """What torch says about one tensor, including its bytes in row-major
    little-endian order (every machine this runs on is little-endian)."""
    data = raw_bytes(t)
    storage = t.untyped_storage()
    sid = storage_ids.setdefault(storage.data_ptr(), len(storage_ids))
    return {
        "name": name,
        "dtype": str(t.dtype).removeprefix("torch."),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "storage_offset": t.storage_offset(),
        "requires_grad": t.requires_grad,
        "parameter": isinstance(t, torch.nn.Parameter),
        "storage": sid,
        "data": data.hex(),
    }


def raw_bytes(t):
    """The elements' bytes, row-major, in this machine's (little-endian) order."""
    flat = t.detach().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""


def named_tensors(obj):
    """Tensors in a state-dict-like object, named by joining keys with '.'."""
    return flatten(obj, lambda x: isinstance(x, torch.Tensor))


def write_expected(name, tensors, **extra):
    ids = {}
    report = {"tensors": [tensor_report(n, t, ids) for n, t in tensors], **extra}
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")


def module_tensors(module):
    """A module's parameters and buffers as they are (Parameters with their
    requires_grad), in state_dict() order; state_dict() itself detaches."""
    live = dict(module.named_parameters())
    live.update(module.named_buffers())
    return [(name, live[name]) for name in module.state_dict()]


def loaded_state(path, weights_only=True):
    return torch.load(path, weights_only=weights_only, map_location="cpu")


# ---------------------------------------------------------------- the data


def every_dtype():
    """One small tensor per storage dtype torch writes."""
    g = torch.Generator().manual_seed(7)
    base = torch.randn(2, 3, generator=g)
    out = {
        "f64": base.double(),
        "f32": base,
        "f16": base.half(),
        "bf16": base.bfloat16(),
        "c64": torch.complex(base, -base),
        "c128": torch.complex(base.double(), base.double() * 2),
        "c32": torch.complex(base, base).to(torch.complex32),
        "i8": (base * 50).to(torch.int8),
        "i16": (base * 1000).to(torch.int16),
        "i32": (base * 1e6).to(torch.int32),
        "i64": (base * 1e12).to(torch.int64),
        "u8": (base.abs() * 50).to(torch.uint8),
        "u16": (base.abs() * 1000).to(torch.uint16),
        "u32": (base.abs() * 1e6).to(torch.uint32),
        "u64": (base.abs() * 1e12).to(torch.uint64),
        "bool": base > 0,
        "f8_e4m3fn": base.to(torch.float8_e4m3fn),
        "f8_e5m2": base.to(torch.float8_e5m2),
        "f8_e4m3fnuz": base.to(torch.float8_e4m3fnuz),
        "f8_e5m2fnuz": base.to(torch.float8_e5m2fnuz),
        "f8_e8m0fnu": base.abs().to(torch.float8_e8m0fnu),
    }
    return out


def classic_dtypes():
    """The dtypes with a legacy storage class (`FloatStorage`…). The newer ones
    are saved as an `UntypedStorage` plus a dtype."""
    return {k: v for k, v in every_dtype().items() if not k.startswith(("u16", "u32", "u64", "f8", "c32"))}


def layouts():
    """Shared storages, views, non-contiguous and degenerate shapes."""
    m = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    return {
        "matrix": m,
        "row": m[1],  # shares m's storage at an offset
        "transposed": m.t(),  # non-contiguous
        "strided": m[:, ::2],  # non-contiguous with gaps
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 5),
        "alias": m,  # the same tensor under a second name
        "param": torch.nn.Parameter(torch.ones(2, 2)),
        "frozen": torch.nn.Parameter(torch.zeros(3), requires_grad=False),
        "needs_grad": torch.ones(2, requires_grad=True),
    }


def training_checkpoint():
    """What training scripts save: model and optimizer state, plain values."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "note": "trained"}


# ---------------------------------------------------------------- fixtures


def save_zip(name, obj, **save_args):
    path = os.path.join(OUT, name + ".pt")
    torch.save(obj, path, **save_args)
    return path


def fixture_state_dicts():
    for name, obj in [("dtypes", every_dtype()), ("layouts", layouts()), ("training", training_checkpoint())]:
        path = save_zip(name, obj)
        write_expected(name, list(named_tensors(loaded_state(path))), format="torch zip", safe=True)


def fixture_renamed_root():
    """torch names the archive root after the file; readers must not assume 'archive'."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "checkpoint-epoch-3.pt")
        torch.save(layouts(), src)
        shutil.copy(src, os.path.join(OUT, "renamed_root.pt"))
    path = os.path.join(OUT, "renamed_root.pt")
    assert zipfile.ZipFile(path).namelist()[0].startswith("checkpoint-epoch-3/")
    write_expected("renamed_root", list(named_tensors(loaded_state(path))), format="torch zip", safe=True)


def fixture_legacy():
    # The legacy format predates the dtypes without a storage class (uint16,
    # float8…); torch 2.9 writes them but cannot read them back.
    obj = {**classic_dtypes(), **layouts()}
    path = save_zip("legacy", obj, _use_new_zipfile_serialization=False)
    write_expected("legacy", list(named_tensors(loaded_state(path))), format="torch legacy (stacked pickles)", safe=True)


def fixture_big_endian():
    """A checkpoint as a big-endian machine writes it: the `byteorder` record
    says big and every element's bytes are reversed (complex numbers
    component by component). torch.load swaps them back, but only for typed
    storages (it leaves UntypedStorage bytes as they are, so uint16 or
    float8 written big-endian load wrong in torch 2.9): the fixture holds
    the classic dtypes, where torch is a correct oracle."""
    src = os.path.join(tempfile.mkdtemp(), "classic.pt")
    torch.save(classic_dtypes(), src)
    obj = loaded_state(src)
    path = os.path.join(OUT, "big_endian.pt")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zout:
        root = zin.namelist()[0].split("/")[0]
        # data.pkl names each storage's key; find each key's element size.
        units = _storage_units(zin.read(f"{root}/data.pkl"))
        for info in zin.infolist():
            data = zin.read(info.filename)
            rel = info.filename[len(root) + 1 :]
            if rel == "byteorder":
                data = b"big"
            elif rel.startswith("data/"):
                unit = units[rel[len("data/") :]]
                data = b"".join(data[i : i + unit][::-1] for i in range(0, len(data), unit))
            zout.writestr(info.filename, data)
    back = loaded_state(path)
    for (n, a), (_, b) in zip(named_tensors(obj), named_tensors(back)):
        assert raw_bytes(a) == raw_bytes(b), n
    write_expected("big_endian", list(named_tensors(back)), format="torch zip", safe=True, byteorder="big")


def _storage_units(data_pkl):
    """Storage key -> the size of one scalar component (the unit to swap),
    read from data.pkl's rebuild calls without building any tensor."""
    units = {}

    class Capture(pickle.Unpickler):
        def persistent_load(self, pid):
            return pid

        def find_class(self, module, name):
            if name.startswith("_rebuild_tensor"):
                return lambda *a: units.setdefault(a[0][2], _unit(a))
            if name.startswith("_rebuild_parameter"):
                return lambda *a: a
            return super().find_class(module, name)

    Capture(io.BytesIO(data_pkl)).load()
    return units


def _unit(rebuild_args):
    storage_type = rebuild_args[0][1]
    if storage_type is torch.UntypedStorage:
        dtype = rebuild_args[6]
    else:
        dtype = storage_type.dtype
    size = torch.empty(0, dtype=dtype).element_size()
    return size // 2 if dtype.is_complex else size


def fixture_full_model():
    """torch.save(model): the model's classes are pickled by reference, so
    loading it runs code; brinery refuses it unless asked, then names its
    tensors as state_dict() does."""
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    path = save_zip("full_model", model)
    back = torch.load(path, weights_only=False)
    write_expected("full_model", module_tensors(back), format="torch zip", safe=False)


class _Scripted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 3)
        self.register_buffer("buf", torch.arange(4))

    def forward(self, x):
        return self.lin(x) + self.buf.sum()


def fixture_torchscript():
    torch.manual_seed(2)
    module = torch.jit.script(_Scripted())
    path = os.path.join(OUT, "torchscript.pt")
    torch.jit.save(module, path)
    back = torch.jit.load(path)
    write_expected("torchscript", module_tensors(back), format="TorchScript archive", safe=False)


def fixture_tar():
    """The tar format of torch < 0.4, written as torch's `legacy_load` reads
    it (torch cannot write it any more), then loaded with torch.load."""
    m = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    ints = torch.tensor([7, 8, 9], dtype=torch.int64)
    storages = [(1, m), (2, ints)]
    # key, storage key, shape, stride, offset
    tensors = [(10, 1, (2, 3), (3, 1), 0), (11, 1, (3, 2), (1, 3), 0), (12, 1, (2,), (1,), 4), (13, 2, (3,), (1,), 0)]
    sf = io.BytesIO()
    sf.write(pickle.dumps(len(storages), protocol=2))
    for key, t in storages:
        storage_type = {torch.float32: torch.FloatStorage, torch.int64: torch.LongStorage}[t.dtype]
        sf.write(pickle.dumps((key, "cpu", storage_type), protocol=2))
        sf.write(struct.pack("<q", t.numel()))
        sf.write(t.numpy().tobytes())
    sf.write(pickle.dumps([], protocol=2))
    tf = io.BytesIO()
    tf.write(pickle.dumps(len(tensors), protocol=2))
    for key, skey, shape, stride, offset in tensors:
        tf.write(pickle.dumps((key, skey, torch.FloatTensor), protocol=2))
        tf.write(struct.pack("<i", len(shape)) + b"\0\0\0\0")
        tf.write(struct.pack(f"<{len(shape)}q", *shape) + struct.pack(f"<{len(stride)}q", *stride))
        tf.write(struct.pack("<q", offset))

    class ByKey(pickle.Pickler):
        def persistent_id(self, obj):
            return obj.key if isinstance(obj, _TarRef) else None

    obj = {"weight": _TarRef("10"), "weight_t": _TarRef("11"), "tail": _TarRef("12"), "ids": _TarRef("13"), "epoch": 1}
    pf = io.BytesIO()
    ByKey(pf, protocol=2).dump(obj)
    path = os.path.join(OUT, "tar.pt")
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, buf in [("sys_info", pickle.dumps({"little_endian": True}, protocol=2)), ("pickle", pf.getvalue()),
                          ("storages", sf.getvalue()), ("tensors", tf.getvalue())]:
            info = tarfile.TarInfo(name)
            info.size = len(buf)
            tar.addfile(info, io.BytesIO(buf))
    back = torch.load(path, weights_only=False)
    assert back["epoch"] == 1 and torch.equal(back["weight_t"], m.t())
    write_expected("tar", list(named_tensors(back)), format="torch tar", safe=True)


def array_report(name, arr):
    """What numpy says about an array it loaded: dtype.str, shape, order, and
    its bytes in the order the file holds them (or its items' reprs)."""
    fortran = bool(arr.flags.f_contiguous and not arr.flags.c_contiguous)
    report = {"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape), "fortran_order": fortran}
    if arr.dtype.hasobject:
        report["items"] = [repr(x) for x in arr.ravel(order="F" if fortran else "C")]
    else:
        report["data"] = arr.tobytes(order="F" if fortran else "C").hex()
    return report


def numpy_arrays():
    rng = np.random.default_rng(3)
    m = rng.standard_normal((3, 4))
    return {
        "f8": m,
        "f4_big": m.astype(">f4"),
        "i2_big": np.arange(-5, 7, dtype=">i2").reshape(3, 4),
        "u8": np.arange(6, dtype=np.uint64),
        "c16": (m + 1j * m)[:2],
        "bool": m > 0,
        "fortran": np.asfortranarray(m),
        "scalar": np.array(7.25),
        "empty": np.zeros((0, 3), dtype=np.int32),
        "text": np.array(["a", "béta", "gamma"]),
        "raw": np.array([b"ab", b"cde"]),
        "when": np.array(["2024-01-02T03:04:05", "1970-01-01"], dtype="datetime64[ns]"),
        "record": np.array([(1, 2.5, [1, 2]), (3, -1.0, [3, 4])], dtype=[("id", "<i4"), ("score", ">f8"), ("pair", "<u2", (2,))]),
    }


def fixture_numpy():
    """.npy of each kind, an object array, and .npz plain and compressed."""
    arrays = numpy_arrays()
    reports = []
    for name, arr in arrays.items():
        np.save(os.path.join(OUT, f"np_{name}.npy"), arr)
        back = np.load(os.path.join(OUT, f"np_{name}.npy"))
        reports.append(array_report(f"np_{name}", back))
    objects = np.array([1, "two", (3.0, None), {"four": [4]}], dtype=object)
    np.save(os.path.join(OUT, "np_objects.npy"), objects, allow_pickle=True)
    reports.append(array_report("np_objects", np.load(os.path.join(OUT, "np_objects.npy"), allow_pickle=True)))
    with open(os.path.join(OUT, "numpy.expected.json"), "w") as f:
        json.dump({"arrays": reports}, f, indent=1)
        f.write("\n")
    for name, save in [("plain", np.savez), ("compressed", np.savez_compressed)]:
        path = os.path.join(OUT, f"np_{name}.npz")
        save(path, first=arrays["f8"], second=arrays["i2_big"], text=arrays["text"], record=arrays["record"])
        with np.load(path) as npz:
            members = [array_report(key, npz[key]) for key in npz.files]
        with open(os.path.join(OUT, f"np_{name}.expected.json"), "w") as f:
            json.dump({"arrays": members}, f, indent=1)
            f.write("\n")


def joblib_arrays_of(obj, path=""):
    """Every numpy array in a loaded object, by attribute/key path, in the
    order joblib's pickler meets them (attributes and dict items in order)."""
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from joblib_arrays_of(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from joblib_arrays_of(v, f"{path}.{i}" if path else str(i))
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("sklearn"):
        yield from joblib_arrays_of(vars(obj), path)


def fixture_joblib():
    """joblib.dump of a fitted scikit-learn pipeline (plain and zlib-compressed),
    of a dict of arrays of every layout (object array included), and the same
    pipeline through plain pickle (arrays as numpy's own reduce)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    arrays = numpy_arrays()
    arrays["objects"] = np.array([1, "two", None], dtype=object)
    for name, obj, kwargs in [
        ("sklearn_pipeline", model, {}),
        ("sklearn_pipeline_zlib", model, {"compress": 3}),
        ("joblib_arrays", arrays, {}),
    ]:
        path = os.path.join(OUT, f"{name}.joblib")
        joblib.dump(obj, path, **kwargs)
        # joblib.load swaps big-endian arrays to native order; the report is of
        # the arrays as written (what the file holds), checked equal to the loaded ones.
        written = list(joblib_arrays_of(obj))
        loaded = list(joblib_arrays_of(joblib.load(path)))
        assert [p for p, _ in written] == [p for p, _ in loaded]
        for (p, a), (_, b) in zip(written, loaded):
            assert a.shape == b.shape and (a.dtype.hasobject or a.tobytes() == b.astype(a.dtype).tobytes()), p
        reports = [array_report(p, a) for p, a in written]
        with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
            json.dump({"arrays": reports, "sklearn": sklearn.__version__, "joblib": joblib.__version__}, f, indent=1)
            f.write("\n")
    with open(os.path.join(OUT, "sklearn_pipeline.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=5)
    with open(os.path.join(OUT, "sklearn_pipeline.pkl"), "rb") as f:
        back = pickle.load(f)
    reports = [array_report(p, a) for p, a in joblib_arrays_of(back)]
    with open(os.path.join(OUT, "sklearn_pipeline_pkl.expected.json"), "w") as f:
        json.dump({"arrays": reports}, f, indent=1)
        f.write("\n")


class _TarRef:
    def __init__(self, key):
        self.key = key


def main():
    os.makedirs(OUT, exist_ok=True)
    assert sys.byteorder == "little"
    fixture_state_dicts()
    fixture_renamed_root()
    fixture_legacy()
    fixture_big_endian()
    fixture_full_model()
    fixture_torchscript()
    fixture_tar()
    fixture_numpy()
    fixture_joblib()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
