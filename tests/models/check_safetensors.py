"""Checks a safetensors file brinery wrote from a fixture checkpoint against
what torch reported when it loaded that checkpoint (`<name>.expected.json`).

    python3 tests/models/check_safetensors.py OUT.safetensors FIXTURE.expected.json

Every tensor torch loaded must be in the file with the same dtype, shape and
bytes, except names brinery dropped because they share memory with another
tensor: those must be absent and named in the metadata with the tensor kept
in their place (what Hugging Face's convert.py does), and tensors of dtypes
safetensors cannot hold (complex128, the fnuz float8s…), which
`--skip-unsupported` leaves out. The file is read by the
safetensors library itself: `safetensors.deserialize` for every dtype,
`safetensors.numpy.load_file` when numpy has all its dtypes, and — where
torch is installed — `safetensors.torch.load_file` compared with
`torch.load(weights_only=True)` of the checkpoint. Prints the checks it ran.
"""

import json
import sys

import safetensors
import safetensors.numpy

from flatten import flatten

# torch's dtype names -> safetensors' names.
DTYPES = {
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16", "complex64": "C64",
    "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
    "uint8": "U8", "uint16": "U16", "uint32": "U32", "uint64": "U64", "bool": "BOOL",
    "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2", "float8_e8m0fnu": "F8_E8M0",
}
NUMPY_DTYPES = {"F64", "F32", "F16", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL", "C64"}


def main(out_path, expected_path):
    with open(expected_path) as f:
        expected = {t["name"]: t for t in json.load(f)["tensors"]}
    with open(out_path, "rb") as f:
        raw = f.read()
    header_len = int.from_bytes(raw[:8], "little")
    metadata = json.loads(raw[8 : 8 + header_len]).get("__metadata__", {})
    assert metadata.get("format") == "pt", metadata
    written = {name: info for name, info in safetensors.deserialize(raw)}
    checks = ["deserialize"]
    for name, want in expected.items():
        if name not in written and want["dtype"] not in DTYPES:
            continue  # --skip-unsupported left it out: safetensors has no such dtype
        if name not in written:
            kept = metadata.get(name)
            assert kept in written, f"{name} is neither written nor recorded as dropped"
            continue
        got = written[name]
        assert got["dtype"] == DTYPES[want["dtype"]], (name, got["dtype"], want["dtype"])
        assert list(got["shape"]) == want["shape"], (name, got["shape"], want["shape"])
        assert bytes(got["data"]).hex() == want["data"], f"{name}: bytes differ"
    assert set(written) <= set(expected), f"unexpected tensors: {set(written) - set(expected)}"
    if all(info["dtype"] in NUMPY_DTYPES for info in written.values()):
        arrays = safetensors.numpy.load_file(out_path)
        for name, array in arrays.items():
            assert array.tobytes().hex() == expected[name]["data"], name
        checks.append("numpy.load_file")
    try:
        import torch  # noqa: F401 (only where torch is installed)
    except ImportError:
        pass
    else:
        checks.append(torch_check(out_path, expected_path))
    print(f"{out_path}: {len(written)} tensors ok ({', '.join(checks)})")


def torch_check(out_path, expected_path):
    """Compares with torch.load(weights_only=True) of the fixture itself."""
    import torch
    import safetensors.torch

    checkpoint = expected_path.removesuffix(".expected.json") + ".pt"
    try:
        state = torch.load(checkpoint, weights_only=True)
    except Exception as e:  # full-model saves and the tar format are refused by weights_only
        return f"torch: weights_only refuses the checkpoint ({type(e).__name__})"
    flat = dict(flatten(state, lambda x: isinstance(x, torch.Tensor)))
    loaded = safetensors.torch.load_file(out_path)
    for name, tensor in loaded.items():
        assert name in flat, name
        assert tensor.dtype == flat[name].dtype and torch.equal(
            tensor.view(torch.uint8) if tensor.element_size() == 1 else tensor,
            flat[name].contiguous().view(torch.uint8) if tensor.element_size() == 1 else flat[name],
        ), name
    return "torch.load_file == torch.load(weights_only=True)"


if __name__ == "__main__":
    main(*sys.argv[1:])
