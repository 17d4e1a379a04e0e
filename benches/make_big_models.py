"""Writes model-sized files for the scan benchmark into DIR:
- `checkpoint.pt`: a PyTorch-style zip (archive/data.pkl naming storages by
  persistent id, 1 GiB of stored tensor data in archive/data/0);
- `big_array.pkl`: a 256 MiB numpy array pickled at protocol 4;
- `many_objects.pkl`: a list of 200 000 small dicts (opcode-heavy, plain data);
- `many_records.pkl`: a list of 200 000 records, each a dict holding a
  `datetime` and a `Decimal` (opcode-heavy, 400 000 calls of two globals: a
  pickled table of timestamps and amounts)."""

import datetime
import decimal
import os
import pickle
import sys
import zipfile

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


class Storage:
    pass


def persistent_id(obj):
    if isinstance(obj, Storage):
        return ("storage", "FloatStorage", "0", "cpu", 1 << 28)
    return None


class P(pickle.Pickler):
    def persistent_id(self, obj):
        return persistent_id(obj)


import io

buf = io.BytesIO()
P(buf, protocol=2).dump({"layer.weight": Storage(), "epoch": 3})
chunk = b"\0" * (1 << 24)
with zipfile.ZipFile(os.path.join(out, "checkpoint.pt"), "w", zipfile.ZIP_STORED, allowZip64=True) as z:
    z.writestr("archive/data.pkl", buf.getvalue())
    with z.open("archive/data/0", "w", force_zip64=True) as f:
        for _ in range(64):
            f.write(chunk)
    z.writestr("archive/version", "3\n")
with open(os.path.join(out, "big_array.pkl"), "wb") as f:
    pickle.dump(np.zeros(1 << 25), f, protocol=4)
with open(os.path.join(out, "many_objects.pkl"), "wb") as f:
    pickle.dump([{"id": i, "name": f"n{i}", "v": [i, i * 0.5]} for i in range(200_000)], f, protocol=4)
start = datetime.datetime(2024, 1, 1, 12, 0)
records = [
    {"id": i, "when": start + datetime.timedelta(seconds=i), "amount": decimal.Decimal(i) / 100} for i in range(200_000)
]
with open(os.path.join(out, "many_records.pkl"), "wb") as f:
    pickle.dump(records, f, protocol=4)
