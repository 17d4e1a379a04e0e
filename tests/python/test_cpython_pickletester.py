"""CPython's own pickle test suite (``test.pickletester``) run against
``brinery.pickle``, wired the way ``test.test_pickle`` wires ``_pickle``.

Every class below mirrors one of ``test_pickle``'s C-implementation classes
with brinery's ``Pickler``/``Unpickler``/functions in place of ``_pickle``'s.
Tests CPython itself skips for ``_pickle`` stay skipped here, for the same
reasons, and nothing else is skipped.
"""

import collections
import io
import pickle
import unittest

from test import pickletester
from test.pickletester import (
    AbstractCustomPicklerClass,
    AbstractDispatchTableTests,
    AbstractHookTests,
    AbstractIdentityPersistentPicklerTests,
    AbstractPersistentPicklerTests,
    AbstractPickleModuleTests,
    AbstractPickleTests,
    AbstractPicklerUnpicklerObjectTests,
    AbstractUnpickleTests,
    BigmemPickleTests,
)

import brinery.pickle as bpickle


class BrineryPickleModuleTests(AbstractPickleModuleTests, unittest.TestCase):
    dump = staticmethod(bpickle.dump)
    dumps = staticmethod(bpickle.dumps)
    load = staticmethod(bpickle.load)
    loads = staticmethod(bpickle.loads)
    Pickler = bpickle.Pickler
    Unpickler = bpickle.Unpickler


class BrineryUnpicklerTests(AbstractUnpickleTests, unittest.TestCase):
    unpickler = bpickle.Unpickler
    bad_stack_errors = (pickle.UnpicklingError,)
    truncated_errors = (pickle.UnpicklingError,)

    def loads(self, buf, **kwds):
        f = io.BytesIO(buf)
        u = self.unpickler(f, **kwds)
        return u.load()


class BrineryPicklerTests(AbstractPickleTests, unittest.TestCase):
    pickler = bpickle.Pickler
    unpickler = bpickle.Unpickler

    def dumps(self, arg, proto=None, **kwargs):
        f = io.BytesIO()
        p = self.pickler(f, proto, **kwargs)
        p.dump(arg)
        f.seek(0)
        return bytes(f.read())

    def loads(self, buf, **kwds):
        f = io.BytesIO(buf)
        u = self.unpickler(f, **kwds)
        return u.load()


class BrineryInMemoryPickleTests(AbstractPickleTests, AbstractUnpickleTests, BigmemPickleTests, unittest.TestCase):
    bad_stack_errors = (pickle.UnpicklingError, IndexError)
    truncated_errors = (pickle.UnpicklingError, EOFError, AttributeError, ValueError, IndexError, ImportError)

    def dumps(self, arg, protocol=None, **kwargs):
        return bpickle.dumps(arg, protocol, **kwargs)

    def loads(self, buf, **kwds):
        return bpickle.loads(buf, **kwds)

    # test_pickle sets this to None for in-memory pickling too: there is no file.
    test_framed_write_sizes_with_delayed_writer = None


class PersistentPicklerUnpicklerMixin:
    def dumps(self, arg, proto=None):
        class PersPickler(self.pickler):
            def persistent_id(subself, obj):
                return self.persistent_id(obj)

        f = io.BytesIO()
        p = PersPickler(f, proto)
        p.dump(arg)
        return f.getvalue()

    def loads(self, buf, **kwds):
        class PersUnpickler(self.unpickler):
            def persistent_load(subself, obj):
                return self.persistent_load(obj)

        f = io.BytesIO(buf)
        u = PersUnpickler(f, **kwds)
        return u.load()


class BrineryPersPicklerTests(AbstractPersistentPicklerTests, PersistentPicklerUnpicklerMixin, unittest.TestCase):
    pickler = bpickle.Pickler
    unpickler = bpickle.Unpickler


class BrineryIdPersPicklerTests(
    AbstractIdentityPersistentPicklerTests, PersistentPicklerUnpicklerMixin, unittest.TestCase
):
    pickler = bpickle.Pickler
    unpickler = bpickle.Unpickler


class BrineryPicklerUnpicklerObjectTests(AbstractPicklerUnpicklerObjectTests, unittest.TestCase):
    pickler_class = bpickle.Pickler
    unpickler_class = bpickle.Unpickler


class BrineryDispatchTableTests(AbstractDispatchTableTests, unittest.TestCase):
    pickler_class = bpickle.Pickler

    def get_dispatch_table(self):
        return pickle.dispatch_table.copy()


class BrineryChainDispatchTableTests(AbstractDispatchTableTests, unittest.TestCase):
    pickler_class = bpickle.Pickler

    def get_dispatch_table(self):
        return collections.ChainMap({}, pickle.dispatch_table)


class BrineryPicklerHookTests(AbstractHookTests, unittest.TestCase):
    class CustomBrineryPicklerClass(bpickle.Pickler, AbstractCustomPicklerClass):
        pass

    pickler_class = CustomBrineryPicklerClass


# Cross-implementation: brinery writes, CPython's C unpickler reads, and back.
class BrineryDumpCLoad(BrineryPicklerTests):
    pickler = bpickle.Pickler
    unpickler = pickle.Unpickler


class CDumpBrineryLoad(BrineryPicklerTests):
    pickler = pickle.Pickler
    unpickler = bpickle.Unpickler


assert pickletester  # imported for its side effects on test discovery
