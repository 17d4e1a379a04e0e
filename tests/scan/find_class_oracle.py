"""Oracle for the scanner's differential test: which globals does CPython's
C unpickler resolve, in order, for each file named on the command line?

Prints one JSON object: {path: [[module, qualname], ...]} over every pickle
read back to back from the file, as repeated `pickle.load` calls on it do.

Nothing real is ever imported or called. `find_class` is CPython's own
(`_pickle.Unpickler.find_class`, so `fix_imports` and protocol-4 dotted-name
walks are CPython's), but while it runs, `builtins.__import__` is replaced by
one that puts a stand-in module into `sys.modules` for the requested name (and
puts the real entry back right after). Every attribute of a stand-in is a
stand-in class that remembers its dotted path; calling one, or an instance,
returns a new inert instance, which accepts `__setstate__`, `append`,
`extend`, `__setitem__` and `add`. Persistent ids and out-of-band buffers get
stand-ins too, so loading goes on as far as the opcodes themselves allow.
"""

import builtins
import io
import json
import pickle
import sys


class _Instance:
    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Instance()

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def add(self, item):
        pass

    def __setitem__(self, key, value):
        pass


class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__") and name in ("__setstate__", "__getinitargs__", "__reduce_ex__"):
            raise AttributeError(name)
        return _standin(cls._path + [name])


def _standin(path):
    return _Meta("StandIn", (_Instance,), {"_path": path})


class _Module:
    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattribute__(self, attr):
        return _standin([object.__getattribute__(self, "_name"), attr])


class Recorder(pickle.Unpickler):
    def __init__(self, file, seen):
        super().__init__(file, encoding="latin1", buffers=iter(lambda: bytearray(), None))
        self.seen = seen

    def persistent_load(self, pid):
        return _Instance()

    def find_class(self, module, name):
        saved = {}
        real_import = builtins.__import__

        def fake_import(mod, *args, **kwargs):
            if mod not in saved:
                saved[mod] = sys.modules.get(mod)
            sys.modules[mod] = _Module(mod)
            return sys.modules[mod]

        builtins.__import__ = fake_import
        try:
            found = super().find_class(module, name)
        finally:
            builtins.__import__ = real_import
            for mod, old in saved.items():
                if old is None:
                    sys.modules.pop(mod, None)
                else:
                    sys.modules[mod] = old
        path = getattr(found, "_path", None)
        if path is None:
            raise RuntimeError(f"find_class({module!r}, {name!r}) reached a real object")
        self.seen.append([path[0], ".".join(path[1:])])
        return found


def globals_of(data):
    seen = []
    # What `open(path, 'rb')` gives: a buffered reader with `peek`, which the
    # C unpickler uses (on a bare BytesIO it reads frames differently).
    f = io.BufferedReader(io.BytesIO(data))
    while f.tell() < len(data):
        start = f.tell()
        try:
            Recorder(f, seen).load()
        except Exception:
            break
        if f.tell() == start:
            break
    return seen


def main():
    out = {}
    for path in sys.argv[1:]:
        with open(path, "rb") as fh:
            out[path] = globals_of(fh.read())
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
