"""CPython's own ``test.test_json`` run against ``brinery.json``.

``test/test_json/__init__.py`` makes two mixins, ``PyTest`` (the pure-Python
``json``) and ``CTest`` (``json`` with its C accelerator), and every test
module pairs each abstract test class with both. Here every ``CTest`` class
of every module gets a twin whose ``json``, ``loads``, ``dumps`` and
``JSONDecodeError`` are ``brinery.json``'s, the way ``CTest`` swaps in the C
module. The twins are what pytest collects.
"""

import importlib
import pkgutil

import test.test_json as cpython_json_tests

import brinery.json

_SWAP = {
    "json": brinery.json,
    "loads": staticmethod(brinery.json.loads),
    "dumps": staticmethod(brinery.json.dumps),
    "JSONDecodeError": staticmethod(brinery.json.JSONDecodeError),
}


def _brinery_twins():
    """``{name: class}`` for a brinery twin of every ``CTest`` class."""
    twins = {}
    for info in pkgutil.iter_modules(cpython_json_tests.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"test.test_json.{info.name}")
        for name, cls in sorted(vars(module).items()):
            if (
                isinstance(cls, type)
                and issubclass(cls, cpython_json_tests.CTest)
                and cls is not cpython_json_tests.CTest
                and cls.__module__ == module.__name__
            ):
                twin_name = "TestBrinery_" + info.name[5:] + "_" + name
                twins[twin_name] = type(twin_name, (cls,), dict(_SWAP, __module__=__name__))
    return twins


globals().update(_brinery_twins())
