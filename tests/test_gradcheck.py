"""gradcheck: PyTorch's meaning and defaults, loud and specific failures, a readable report."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import chainrule
from chainrule import GradcheckError, Tensor, gradcheck, tensor
from chainrule._tensor.dispatch import apply as _apply
from chainrule.autograd.rules import RULES, register
from chainrule.finite_differences import GradcheckReport
from chainrule.nn import functional as F

RNG = np.random.default_rng(0)


def f64(shape, requires_grad=True):
    return tensor(RNG.standard_normal(shape), requires_grad=requires_grad)


@pytest.fixture(autouse=True, scope="module")
def _wrong_square_rule():
    """A deliberately wrong rule, d(x²)/dx reported as x instead of 2x, for this module only."""
    register("_test_wrong_square", lambda x: (x * x, x), lambda g, x, needs: (g * x,))
    yield
    del RULES["_test_wrong_square"]  # leave the real rule table as it was


def wrong_square(t: Tensor) -> Tensor:
    return _apply("_test_wrong_square", t)


def test_defaults_match_torch():
    params = inspect.signature(gradcheck).parameters
    assert params["eps"].default == 1e-6
    assert params["atol"].default == 1e-5
    assert params["rtol"].default == 1e-3


def test_passes_on_correct_scalar_function():
    x, w = f64((3, 4)), f64((2, 4))
    assert (
        gradcheck(lambda x, w: F.cross_entropy(F.linear(x, w), tensor([0, 1, 1])), (x, w)) is True
    )


def test_checks_the_full_jacobian_of_non_scalar_outputs():
    x = f64((2, 3))
    assert gradcheck(lambda x: x.softmax(dim=1), (x,)) is True
    table = gradcheck(lambda x: x.softmax(dim=1), (x,), report=True)
    assert len(table.rows) == 6 * 6  # every (output element, input element) pair


def test_accepts_a_single_tensor_and_tuple_outputs():
    x = f64(3)
    assert gradcheck(lambda x: (x * 2, x.exp()), x) is True


def test_inputs_without_grad_and_non_tensors_are_skipped():
    x = f64(3)
    c = f64(3, requires_grad=False)
    idx = tensor([0, 2])
    assert gradcheck(lambda x, c, idx, k: (x * c)[idx] * k, (x, c, idx, 2.0)) is True
    assert {r.input for r in gradcheck(lambda x, c: x * c, (x, c), report=True).rows} == {0}


def test_output_independent_of_an_input_passes_with_zero_gradient():
    x, y = f64(2), f64(2)
    table = gradcheck(lambda x, y: x * 3, (x, y), report=True)
    assert table.passed
    assert all(r.analytic == 0.0 and r.numeric == 0.0 for r in table.rows if r.input == 1)


def test_wrong_rule_raises_naming_the_worst_element():
    x = tensor(np.array([[0.5, -2.0], [1.0, 3.0]]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: wrong_square(x).sum(), (x,))
    message = str(info.value)
    # worst entry: x = 3 at element [1, 1], analytic 3 vs numeric 6
    assert "input 0, element [1, 1]" in message
    assert "analytic 3" in message and "numeric 6" in message
    assert "4 of 4 entries fail" in message
    assert isinstance(info.value, RuntimeError)


def test_failure_in_a_non_scalar_output_names_the_output_element():
    x = tensor(np.array([1.0, 4.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0, element \[1\], output element \[1\]"):
        gradcheck(lambda x: wrong_square(x), (x,))


def test_raise_exception_false_returns_false():
    x = tensor(np.array([1.0]), requires_grad=True)
    assert gradcheck(lambda x: wrong_square(x), (x,), raise_exception=False) is False


def test_warns_when_inputs_are_not_float64():
    x = tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda x: x * 2, (x,), raise_exception=False)


def test_no_warning_for_float64_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(lambda x: x.tanh(), (f64(3),))


def test_no_input_requiring_grad_raises():
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda x: x * 2, (f64(2, requires_grad=False),))


def test_inputs_and_their_grads_are_left_untouched():
    x = f64(3)
    before = x.numpy().copy()
    array = x.numpy()
    gradcheck(lambda x: (x**2).sum(), (x,))
    assert x.numpy() is array
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None


def test_report_is_data_plus_a_readable_table():
    x = tensor(np.array([1.0, 2.0]), requires_grad=True)
    table = gradcheck(lambda x: wrong_square(x).sum(), (x,), report=True)
    assert isinstance(table, GradcheckReport)
    assert not table.passed and not bool(table)
    row = table.rows[1]
    assert row.input == 0 and row.index == (1,) and row.output == ()
    assert row.analytic == pytest.approx(2.0)
    assert row.numeric == pytest.approx(4.0, rel=1e-6)
    assert row.error == pytest.approx(2.0, rel=1e-6) and not row.ok
    assert table.worst is row
    text = str(table)
    assert "analytic" in text and "numeric" in text and "NO" in text
    assert "gradcheck FAILED (2 of 2 entries)" in text


def test_report_passes_for_correct_function():
    table = gradcheck(lambda x: x.sigmoid(), (f64(3),), report=True)
    assert table.passed and "gradcheck PASSED" in str(table)


def test_long_report_is_truncated_but_keeps_the_worst_row():
    x = tensor(RNG.uniform(1, 2, 60), requires_grad=True)
    x.numpy()[50] = 10.0  # the worst row, past the rows shown
    table = gradcheck(lambda x: wrong_square(x).sum(), (x,), report=True)
    text = str(table)
    assert "[50]" in text and "more rows" in text


def test_agrees_with_torch_gradcheck_on_a_composite_function():
    torch = pytest.importorskip("torch")
    data = RNG.standard_normal((3, 4))
    ours = gradcheck(lambda x: (x.relu() + 1).log().var(dim=1), (tensor(data, requires_grad=True),))
    theirs = torch.autograd.gradcheck(
        lambda x: (x.relu() + 1).log().var(dim=1), (torch.tensor(data, requires_grad=True),)
    )
    assert ours is True and theirs is True


def test_exported_from_package():
    assert chainrule.gradcheck is gradcheck and issubclass(chainrule.GradcheckError, RuntimeError)
