"""Real objects across implementations: numpy arrays (C and Fortran order,
object dtype, protocol-5 out-of-band buffers) and a fitted scikit-learn model,
pickled by one of CPython's pickle and brinery.pickle and loaded by the other.
numpy and scikit-learn come from requirements/scan.txt (installed by make test)."""

import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeRegressor

import brinery
import brinery.pickle as bpickle

IMPLEMENTATIONS = [(pickle, bpickle), (bpickle, pickle), (bpickle, bpickle)]


def arrays():
    rng = np.random.default_rng(7)
    c = rng.standard_normal((4, 5))
    yield "c_order", c
    yield "fortran_order", np.asfortranarray(c)
    yield "int16_be", np.arange(12, dtype=">i2").reshape(3, 4)
    yield "object", np.array([1, "two", {"three": 3}, None], dtype=object)
    yield "structured", np.array([(1, 2.5), (3, 4.5)], dtype=[("a", "i4"), ("b", "f8")])
    yield "scalar", np.float32(1.25)
    yield "empty", np.zeros((0, 3))


def same_array(a, b):
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.flags.f_contiguous == b.flags.f_contiguous
        assert a.tolist() == b.tolist()
    else:
        assert a == b


@pytest.mark.parametrize("proto", range(2, pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("writer,reader", IMPLEMENTATIONS, ids=["cpython>brinery", "brinery>cpython", "brinery"])
@pytest.mark.parametrize("name,array", list(arrays()), ids=[n for n, _ in arrays()])
def test_numpy_arrays(name, array, writer, reader, proto):
    data = writer.dumps(array, proto)
    if writer is bpickle:
        assert data == pickle.dumps(array, proto)
    # The reference is CPython's own round trip (numpy drops a non-native
    # byte order below protocol 5, in CPython too).
    same_array(reader.loads(data), pickle.loads(pickle.dumps(array, proto)))


@pytest.mark.parametrize("writer,reader", IMPLEMENTATIONS, ids=["cpython>brinery", "brinery>cpython", "brinery"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_out_of_band_buffers(writer, reader, order):
    array = np.asarray(np.arange(24.0).reshape(4, 6), order=order)
    buffers = []
    data = writer.dumps(array, 5, buffer_callback=buffers.append)
    assert len(buffers) == 1 and len(data) < array.nbytes  # the data really went out of band
    loaded = reader.loads(data, buffers=buffers)
    same_array(loaded, array)
    # Zero-copy: the loaded array is a view of the buffer the caller handed over.
    assert np.shares_memory(loaded, np.frombuffer(buffers[0].raw(), dtype=np.uint8)) or not loaded.flags.writeable


def models():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 4))
    y_class = (x[:, 0] + x[:, 1] > 0).astype(int)
    y_reg = x @ np.array([1.0, -2.0, 0.5, 3.0])
    return [(LogisticRegression().fit(x, y_class), x), (DecisionTreeRegressor(max_depth=4).fit(x, y_reg), x)]


@pytest.mark.parametrize("writer,reader", IMPLEMENTATIONS, ids=["cpython>brinery", "brinery>cpython", "brinery"])
def test_scikit_learn_models_predict_the_same(writer, reader):
    for model, x in models():
        for proto in (2, 4, 5):
            data = writer.dumps(model, proto)
            if writer is bpickle:
                assert data == pickle.dumps(model, proto)
            loaded = reader.loads(data)
            assert type(loaded) is type(model)
            np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_safe_loader_refuses_a_model_until_allowed():
    model, x = models()[0]
    data = pickle.dumps(model, 5)
    with pytest.raises(brinery.UnsafeGlobalError) as e:
        brinery.loads(data)
    assert e.value.module.startswith("sklearn")
    assert np.array_equal(brinery.loads(data, trusted=True).predict(x), model.predict(x))


def test_safe_loader_reads_numpy_with_the_numpy_group():
    array = np.arange(6.0).reshape(2, 3)
    for proto in range(2, 6):
        data = pickle.dumps(array, proto)
        with pytest.raises(brinery.UnsafeGlobalError):
            brinery.loads(data)
        same_array(brinery.loads(data, allow=brinery.safe.NUMPY), array)
