#!/usr/bin/env python3
"""Extra pickles for jsonpickle_roundtrip.rs: shapes the engine corpus has few of.

Usage: python3 jsonpickle_extra_cases.py CORPUS_DIR OUTDIR

Writes OUTDIR/NAME.pP.pkl for every case and protocol it can be pickled
with, and prints a JSON list of {"name", "protocol"}. Cycles through
objects, shared sets and tuples, dict keys that look like jsonpickle tags,
an int too long for json.loads, and hand-written pickles with opcodes
CPython 3 no longer writes (INST, OBJ) or reduces of the builtin types
brinery's decoder reads specially.
"""

import json
import os
import pickle
import sys

sys.path.insert(0, sys.argv[1])
import corpus_classes as cc  # noqa: E402  (needs sys.path set up first)


def cases():
    self_ref = cc.Plain(1, None)
    self_ref.b = self_ref
    via_list = cc.Plain(1, None)
    via_list.b = [via_list, "x"]
    via_tuple = cc.Plain(1, None)
    via_tuple.b = (via_tuple, 2)
    in_set = set()
    member = cc.Plain(in_set, 0)
    in_set.add(member)
    shared_set = {1, 2}
    shared_frozen = frozenset({"a", "b"})
    pair = (1, 2)
    tuple_dict = ({},)
    tuple_dict[0]["t"] = tuple_dict
    key = "".join(["shared ", "key"])
    shared_bytes = b"shared bytes!"
    return {
        "obj_self_cycle": self_ref,
        "obj_cycle_via_list": via_list,
        "obj_cycle_via_tuple": via_tuple,
        "set_cycle_via_object": in_set,
        "shared_set": [shared_set, shared_set],
        "shared_frozenset": [shared_frozen, {"f": shared_frozen}],
        "shared_tuple_nested": ((pair, pair), pair),
        "tuple_cycle_via_dict": tuple_dict,
        "dict_shared_str_key": [{key: 1}, key],
        "dict_tag_like_keys": {"py/tuple": 1, "json://2": 2, "py/id": 3, "plain": 4},
        "dict_bytes_key_shared": [{shared_bytes: 1}, shared_bytes],
        "int_5000_digits": [10**5000, -(10**5000) - 1],
        "empty_containers": [(), [], {}, set(), frozenset(), b"", bytearray(), ""],
        "list_subclass_shared": [cc.ListSub([1]), "x"],
    }


# Hand-written pickles: (name, bytes).
CRAFTED = [
    # INST with no arguments: corpus_classes.Plain.__new__, then BUILD.
    ("inst_no_args", b"(icorpus_classes\nPlain\n(dVa\nI1\nsVb\nI2\nsb."),
    # INST with arguments: corpus_classes.WithReduce(1, 'y').
    ("inst_args", b"(I1\nVy\nicorpus_classes\nWithReduce\n."),
    # OBJ (protocol 1): corpus_classes.WithReduce(1, 'y').
    ("obj_args", b"(ccorpus_classes\nWithReduce\nK\x01X\x01\x00\x00\x00yo."),
    # REDUCE of builtins.str, builtins.tuple and builtins.dict: values in
    # Python, objects to brinery's loader.
    ("reduce_str", b"\x80\x02c__builtin__\nstr\nX\x05\x00\x00\x00hello\x85R."),
    ("reduce_tuple", b"\x80\x02c__builtin__\ntuple\n]K\x01a\x85R."),
    ("reduce_dict", b"\x80\x02c__builtin__\ndict\n)R(X\x01\x00\x00\x00kK\x01u."),
    ("reduce_int_hex", b"\x80\x02c__builtin__\nint\nX\x02\x00\x00\x00ffK\x10\x86R."),
]


def main():
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    sys.setrecursionlimit(10000)
    manifest = []
    for name, value in cases().items():
        for protocol in range(6):
            try:
                data = pickle.dumps(value, protocol=protocol)
            except Exception:
                continue
            with open(os.path.join(outdir, f"{name}.p{protocol}.pkl"), "wb") as f:
                f.write(data)
            manifest.append({"name": name, "protocol": protocol})
    for name, data in CRAFTED:
        pickle.loads(data)  # each must load in CPython
        protocol = data[1] if data[:1] == b"\x80" else (1 if name.startswith("obj_") else 0)
        with open(os.path.join(outdir, f"{name}.p{protocol}.pkl"), "wb") as f:
            f.write(data)
        manifest.append({"name": name, "protocol": protocol})
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
