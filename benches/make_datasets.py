#!/usr/bin/env python3
"""Write the pickle benchmark inputs: ``make_datasets.py OUTDIR``.

Every dataset is pickled by CPython's C pickler at protocols 2 and 5 and
written to ``OUTDIR/NAME.pP.pkl``. The datasets are:

* ``twitter``, ``citm_catalog``, ``canada``: the standard JSON benchmark
  documents (``../shared/data/json-benchmark/`` relative to the repository
  root, i.e. the ``shared`` folder next to the repo), loaded with ``json``;
* the objects of pyperformance's ``bm_pickle`` benchmark
  (``pyperformance/data-files/benchmarks/bm_pickle/run_benchmark.py``),
  re-created below: ``bm_pickle_dict`` (DICT), ``bm_pickle_tuple`` (TUPLE),
  ``bm_pickle_dict_group`` (DICT_GROUP), ``bm_pickle_list`` (LIST, the
  list-of-lists case) and ``bm_pickle_micro_dict`` (MICRO_DICT, the object of
  its ``pickle_dict`` benchmark).

The output is deterministic: the only randomness (DICT_GROUP) uses the same
fixed seed as pyperformance, and pickling is deterministic for these objects.
Files whose content is already up to date are left untouched, so criterion's
baselines stay comparable across runs.
"""

import argparse
import datetime
import json
import pickle
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JSON_DIR = REPO.parent / "shared" / "data" / "json-benchmark"
JSON_DATASETS = ("twitter", "citm_catalog", "canada")
PROTOCOLS = (2, 5)

# --- pyperformance bm_pickle objects -------------------------------------
# Same values as pyperformance's run_benchmark.py (re-typed, not imported:
# pyperformance is not a dependency).

# A user record: small ints, a big int, short strings, a list and a
# datetime.date (pickled as a REDUCE of the global ``datetime.date``).
DICT = {
    "ads_flags": 0,
    "age": 18,
    "birthday": datetime.date(1980, 5, 7),
    "bulletin_count": 0,
    "comment_count": 0,
    "country": "BR",
    "encrypted_id": "G9urXXAJwjE",
    "favorite_count": 9,
    "first_name": "",
    "flags": 412317970704,
    "friend_count": 0,
    "gender": "m",
    "gender_for_display": "Male",
    "id": 302935349,
    "is_custom_profile_icon": 0,
    "last_name": "",
    "locale_preference": "pt_BR",
    "member": 0,
    "tags": ["a", "b", "c", "d", "e", "f", "g"],
    "profile_foo_id": 827119638,
    "secure_encrypted_id": "Z_xxx2dYx3t4YAdnmfgyKw",
    "session_number": 2,
    "signup_id": "201-19225-223",
    "status": "A",
    "theme": 1,
    "time_created": 1225237014,
    "time_updated": 1233134493,
    "unread_message_count": 0,
    "user_group": "0",
    "username": "collinwinter",
    "play_count": 9,
    "view_count": 7,
    "zip": "",
}

# A list of 32-bit ints and a small int, in a tuple.
TUPLE = (
    [265867233, 265868503, 265252341, 265243910, 265879514,
     266219766, 266021701, 265843726, 265592821, 265246784,
     265853180, 45526486, 265463699, 265848143, 265863062,
     265392591, 265877490, 265823665, 265828884, 265753032],
    60,
)


def mutate_dict(orig_dict, random_source):
    """pyperformance's mutate_dict: every value becomes ``type(key)(random)``.

    All keys are ``str``, so every value becomes the ``str`` of a random float.
    """
    new_dict = dict(orig_dict)
    for key in new_dict:
        rand_val = random_source.random() * sys.maxsize
        if isinstance(key, (int, bytes, str)):
            new_dict[key] = type(key)(rand_val)
    return new_dict


def dict_group():
    """Three mutated copies of DICT, from pyperformance's fixed seed (5)."""
    random_source = random.Random(5)
    return [mutate_dict(DICT, random_source) for _ in range(3)]


# Ten pairs of ``list(range(10))``: pyperformance's ``pickle_list`` object.
LIST = [[list(range(10)), list(range(10))] for _ in range(10)]

# 100 dicts of 10 ``None`` values each: pyperformance's ``pickle_dict`` object.
MICRO_DICT = {key: dict.fromkeys(range(10)) for key in range(100)}


def datasets():
    """Yield ``(name, object)`` for every dataset, in a fixed order."""
    for name in JSON_DATASETS:
        path = JSON_DIR / f"{name}.json"
        if not path.is_file():
            sys.exit(f"make_datasets.py: missing {path} (expected the shared data folder next to the repo)")
        with open(path, encoding="utf-8") as f:
            yield name, json.load(f)
    yield "bm_pickle_dict", DICT
    yield "bm_pickle_tuple", TUPLE
    yield "bm_pickle_dict_group", dict_group()
    yield "bm_pickle_list", LIST
    yield "bm_pickle_micro_dict", MICRO_DICT


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="directory to write NAME.pP.pkl files into")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)

    for name, obj in datasets():
        for protocol in PROTOCOLS:
            data = pickle.dumps(obj, protocol=protocol)
            # Sanity check: the pickle loads back to an equal object.
            assert pickle.loads(data) == obj, name
            path = args.outdir / f"{name}.p{protocol}.pkl"
            if path.is_file() and path.read_bytes() == data:
                status = "unchanged"
            else:
                path.write_bytes(data)
                status = "written"
            print(f"{path}: {len(data):>9} bytes ({status})")


if __name__ == "__main__":
    main()
