"""Autograd semantics conformance: one test per PyTorch behaviour the tensor engine promises.

Each test states the behaviour in its name; where PyTorch is available the same script is run
through torch and compared.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import chainrule
from chainrule import (
    Tensor,
    autograd,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    tensor,
)
from chainrule._tensor.dispatch import apply as _apply
from chainrule.autograd.rules import RULES, get_rule, register
from chainrule.nn import functional as F


def leaf(values, dtype="float64") -> Tensor:
    return tensor(np.array(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------------------------------------
# requires_grad, leaves, grad_fn
# ---------------------------------------------------------------------------------------------


def test_requires_grad_propagates_iff_some_input_requires_grad():
    a, b = leaf([1.0]), tensor([2.0])
    assert (a * b).requires_grad
    assert (b * a).requires_grad
    assert not (b * b).requires_grad
    assert (a * 2).requires_grad and (2 * a).requires_grad


def test_results_are_non_leaves_with_named_grad_fn():
    x = leaf([1.0, 2.0])
    y = x * 3
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf
    assert y.grad_fn.op == "mul"
    assert repr(y.grad_fn) == "<MulBackward0>"
    assert repr(x.log_softmax(0).grad_fn) == "<LogSoftmaxBackward0>"


def test_tensors_that_do_not_require_grad_are_leaves():
    t = tensor([1.0]) + 1
    assert t.is_leaf and t.grad_fn is None and not t.requires_grad


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tensor([1, 2]).requires_grad_()


def test_requires_grad_flag_cannot_be_cleared_on_non_leaf():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


# ---------------------------------------------------------------------------------------------
# .grad
# ---------------------------------------------------------------------------------------------


def test_grad_is_none_before_backward_and_a_tensor_after():
    x = leaf([1.0, 2.0])
    assert x.grad is None
    (x * x).sum().backward()
    assert isinstance(x.grad, Tensor)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_grad_accumulates_across_backward_calls():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_dtype_equals_tensor_dtype(dtype):
    x = leaf([1.0, 2.0], dtype=dtype)
    w = tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=dtype), requires_grad=True)
    loss = F.cross_entropy(F.linear(x.reshape(1, 2), w), tensor([1])) * 2.5 + (x**2).mean()
    assert loss.dtype == np.dtype(dtype)
    loss.backward()
    assert x.grad.dtype == np.dtype(dtype) and w.grad.dtype == np.dtype(dtype)


def test_non_leaf_grad_stays_none_and_warns():
    x = leaf([1.0])
    y = x * 2
    (y * 3).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None


def test_retain_grad_fills_non_leaf_grad_and_accumulates():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    np.testing.assert_array_equal(y.grad.numpy(), [4.0, 8.0])
    z.backward()
    np.testing.assert_array_equal(y.grad.numpy(), [8.0, 16.0])


def test_retain_grad_on_leaf_is_a_no_op():
    x = leaf([1.0])
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0])


def test_grad_can_be_set_and_cleared():
    x = leaf([1.0, 2.0])
    x.grad = tensor(np.array([5.0, 5.0]))
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = tensor(np.zeros(3))


def test_grads_never_flow_to_integer_tensors():
    idx = tensor([0, 1, 1])
    x = leaf([1.0, 2.0])
    y = x[idx] * idx  # int tensor used as index and as a factor
    y.sum().backward()
    assert idx.grad is None and not idx.requires_grad
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0])
    assert not x.long().requires_grad


# ---------------------------------------------------------------------------------------------
# backward()
# ---------------------------------------------------------------------------------------------


def test_backward_on_non_scalar_without_gradient_raises():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        y.backward()


def test_backward_with_gradient_computes_a_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    v = np.array([1.0, 0.5, 0.0])
    y.backward(gradient=tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), v * 2 * x.numpy())
    np.testing.assert_array_equal(v, [1.0, 0.5, 0.0])  # the caller's array is untouched


def test_backward_gradient_with_wrong_shape_raises():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(tensor(np.ones(3)))


def test_one_element_non_scalar_root_gets_an_implicit_gradient():
    x = leaf([3.0])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tensor([1.0]) * 2).sum().backward()


def test_second_backward_through_freed_graph_raises_mentioning_retain_graph():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_backward_frees_saved_values_of_every_node():
    x = leaf([1.0, 2.0])
    h = x * x
    loss = h.exp().sum()
    nodes = [loss.grad_fn, h.grad_fn]
    loss.backward()
    assert all(n.freed and n.saved is None and n.inputs is None for n in nodes)


def test_retain_graph_true_gives_exactly_twice_the_gradient():
    # The lecture demo: two backward calls with no zero_grad in between.
    x = leaf([0.5, -1.0])
    w = leaf([0.8, 0.2])
    loss = ((x * w).sum() + 0.1).sigmoid()
    loss.backward(retain_graph=True)
    once = w.grad.numpy().copy()
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2 * once)


def test_a_graph_shared_by_two_losses_is_freed_by_the_first_backward():
    x = leaf([1.0, 2.0])
    h = x * x
    a, b = h.sum(), (h * 2).sum()
    a.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        b.backward()


def test_gradients_from_several_paths_are_summed_before_flowing_on():
    x = leaf([1.0, 2.0])
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    (h * h + h).sum().backward()  # dL/dh = 2h + 1
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], 2 * h.numpy() + 1)
    np.testing.assert_array_equal(x.grad.numpy(), 3 * (2 * h.numpy() + 1))


def test_backward_handles_a_100k_node_chain_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    start = time.perf_counter()
    y.backward()
    assert time.perf_counter() - start < 20
    np.testing.assert_array_equal(x.grad.numpy(), [1.0])


def test_backward_from_an_intermediate_tensor():
    x = leaf([1.0, 2.0])
    h = x * 2
    _ = h.sum() * 10
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Accumulation must never alias arrays (in-place adds are only made into arrays we own)
# ---------------------------------------------------------------------------------------------


def test_x_plus_x_doubles_the_gradient():
    x = leaf([1.0, 2.0])
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_a_plus_a_of_an_intermediate():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a + a
    b.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_a_zero_dim_tensor_used_several_times():
    # NumPy returns scalars, not 0-d arrays, from ops on 0-d arrays: no in-place add into those.
    x = tensor(3.0, requires_grad=True)
    (x * x * x + x * x).backward()
    assert x.grad.item() == 33.0 and isinstance(x.grad.numpy(), np.ndarray)


def test_leaves_fed_the_same_gradient_array_do_not_share_grad_storage():
    x, z = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    g = np.array([1.0, 1.0])
    (x + z).backward(gradient=g)  # add hands the same g to both inputs
    assert not np.shares_memory(x.grad.numpy(), z.grad.numpy())
    assert not np.shares_memory(x.grad.numpy(), g)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(z.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_retained_grad_does_not_alias_a_leaf_grad():
    x = leaf([1.0, 2.0])
    h = x + 0.0
    h.retain_grad()
    h.sum().backward()
    (x * 5).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_hook_returning_one_shared_tensor_for_two_leaves():
    shared = tensor(np.array([10.0, 10.0]))
    x, z = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    x.register_hook(lambda g: shared)
    z.register_hook(lambda g: shared)
    (x * z).sum().backward()
    (x * z).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])
    np.testing.assert_array_equal(z.grad.numpy(), [20.0, 20.0])
    np.testing.assert_array_equal(shared.numpy(), [10.0, 10.0])


def test_hook_keeping_the_gradient_sees_it_unchanged_by_later_accumulation():
    x = leaf([1.0])
    kept = []
    x.register_hook(lambda g: kept.append(g))
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert [k.item() for k in kept] == [2.0, 2.0]
    assert x.grad.item() == 4.0


# ---------------------------------------------------------------------------------------------
# Hooks
# ---------------------------------------------------------------------------------------------


def test_leaf_hook_replaces_the_gradient_before_accumulation():
    x = leaf([1.0, 2.0])
    calls = []

    def hook(g):
        calls.append(g.numpy().copy())
        return g * 10

    x.register_hook(hook)
    (x * x + x).sum().backward()  # two paths: the hook sees their sum once
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [3.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 50.0])


def test_non_leaf_hook_changes_the_gradient_flowing_through():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.register_hook(lambda g: g * 0.5)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_hook_returning_none_leaves_the_gradient_alone():
    x = leaf([1.0])
    x.register_hook(lambda g: None)
    (x * 3).sum().backward()
    assert x.grad.item() == 3.0


def test_hook_handle_remove_unregisters():
    x = leaf([1.0])
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 3).sum().backward()
    assert x.grad.item() == 3.0


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="require"):
        tensor([1.0]).register_hook(lambda g: g)


# ---------------------------------------------------------------------------------------------
# Grad mode: no_grad, enable_grad, set_grad_enabled
# ---------------------------------------------------------------------------------------------


def test_no_grad_context_manager_records_nothing():
    w = leaf([1.0])
    with no_grad():
        assert not is_grad_enabled()
        y = w * 2 + 1
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_decorator_with_and_without_parentheses():
    w = leaf([1.0])

    @no_grad()
    def f(t):
        return t * 2

    @no_grad
    def g(t):
        return t * 2

    assert not f(w).requires_grad and not g(w).requires_grad
    assert f.__name__ == "f" and g.__name__ == "g"
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad():
    w = leaf([1.0])
    with no_grad():
        with enable_grad():
            assert (w * 2).requires_grad
        assert not (w * 2).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with no_grad():
            raise ValueError("boom")
    assert is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    with set_grad_enabled(False):
        assert not is_grad_enabled()
    assert is_grad_enabled()
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)


# ---------------------------------------------------------------------------------------------
# detach, clone, in-place rules
# ---------------------------------------------------------------------------------------------


def test_detach_cuts_the_graph_and_shares_data():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = x * d  # d is a constant here
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    e = x.detach()
    assert np.shares_memory(e.numpy(), x.numpy())


def test_clone_copies_and_stays_in_the_graph():
    x = leaf([1.0, 2.0])
    c = x.clone()
    assert not np.shares_memory(c.numpy(), x.numpy())
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_zero_on_grad_works_in_place():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    g = x.grad
    g.zero_()
    assert x.grad is g
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_in_place_on_leaf_requiring_grad_raises_in_grad_mode_and_works_under_no_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="in place"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf"):
        w -= 1.0
    array = w.numpy()
    with no_grad():
        w -= 0.5 * tensor(np.array([2.0, 2.0]))
        w.mul_(2.0)
        w.add_(tensor(np.array([1.0, 1.0])), alpha=0.5)
    assert w.numpy() is array and w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.numpy(), [0.5, 2.5])


def test_setitem_on_tensor_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="requires grad"):
        x[0] = 5.0
    t = tensor([1.0, 2.0])
    t[0] = 5.0
    assert t.tolist() == [5.0, 2.0]


def test_data_is_a_graph_free_tensor_sharing_memory_and_can_be_replaced():
    x = leaf([1.0, 2.0])
    d = x.data  # as in torch: a tensor outside the graph over the same memory
    assert isinstance(d, Tensor) and not d.requires_grad and d.is_leaf
    assert d.numpy() is x.numpy()
    d[0] = 7.0  # writing through .data changes x, unseen by autograd
    assert x.tolist()[0] == 7.0
    x.data = np.array([3.0, 4.0])
    assert x.tolist() == [3.0, 4.0]
    x.data = tensor(np.array([5.0]))
    assert x.tolist() == [5.0]
    assert x.requires_grad and x.is_leaf


# ---------------------------------------------------------------------------------------------
# NumPy interplay and dtypes
# ---------------------------------------------------------------------------------------------


def test_ndarray_op_tensor_dispatches_to_tensor_and_stays_differentiable():
    x = leaf([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x + np.ones(2)
    assert isinstance(y, Tensor) and y.requires_grad
    (np.array([1.0, 1.0]) - y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-3.0, -4.0])


def test_np_asarray_and_numpy_share_memory_without_copy():
    x = leaf([1.0, 2.0])
    assert np.asarray(x) is x.numpy()
    assert np.asarray(x, dtype=np.float32).dtype == np.float32


def test_float32_is_never_upcast_by_python_or_numpy_scalars():
    x = tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float32
    y = (x * 2.0 + np.float64(0.5)) / np.sqrt(2.0) - np.array(1.0) + 2**x + x**0.5
    y = y.exp().log().sigmoid().tanh().relu() * x.gelu() + x.softmax(0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_tensor_construction_dtype_rules():
    assert tensor(1.5).dtype == np.float32
    assert tensor([[1.0, 2.0]]).dtype == np.float32
    assert tensor(3).dtype == np.int64 and tensor([1, 2]).dtype == np.int64
    assert tensor(True).dtype == np.bool_ and tensor([True, False]).dtype == np.bool_
    a = np.zeros(3, dtype=np.float64)
    assert (
        chainrule.as_tensor(a).numpy() is a
    )  # no copy when the dtype matches (torch.tensor copies)
    assert tensor(a, dtype="float32").dtype == np.float32
    assert tensor([1, 2], dtype=chainrule.float64).dtype == np.float64
    assert tensor(np.arange(3, dtype=np.int32)).dtype == np.int32
    assert chainrule.float32 == np.float32 and chainrule.int64 == np.int64


def test_tensor_class_constructor_follows_torch_tensor():
    # torch.Tensor(data) is always float32, whatever the data; ints alone are sizes
    assert Tensor([1, 2]).dtype == chainrule.float32 and Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert Tensor(np.arange(3.0)).dtype == chainrule.float32
    assert Tensor(2, 3).shape == (2, 3) and Tensor(chainrule.Size([4])).shape == (4,)
    assert Tensor().shape == (0,)
    assert Tensor([1.0], dtype=chainrule.float64).dtype == chainrule.float64
    with pytest.raises(TypeError, match="one sequence"):
        Tensor([1.0], [2.0])


def test_attributes_and_conversions():
    x = tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2 and x.numel() == 6
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3 and len(x) == 2
    assert x.T.shape == (3, 2)
    assert x.sum().item() == 15.0 and isinstance(x.sum().item(), float)
    assert x.numpy() is x.data.numpy()  # works even with requires_grad (unlike torch)
    assert x.float().dtype == np.float32 and x.double() is x and x.long().dtype == np.int64
    assert x.to(chainrule.float32).dtype == np.float32 and x.to(np.float64) is x
    assert float(tensor([2.5])) == 2.5 and int(tensor(3)) == 3
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="2 elements"):
        tensor([1.0, 2.0]).item()


def test_float_cast_is_differentiable_and_casts_the_gradient_back():
    x = leaf([1.0, 2.0], dtype="float64")
    y = x.float()
    assert y.requires_grad and y.dtype == np.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64


def test_repr_looks_like_torch():
    assert repr(tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tensor(np.array([1.0]))) == "tensor([1.], dtype=chainrule.float64)"
    x = tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_comparisons_return_bool_tensors_without_graph():
    x = leaf([1.0, 2.0, 3.0])
    for r in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert r.dtype == np.bool_ and not r.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]


def test_tensors_hash_by_identity():
    a, b = tensor([1.0]), tensor([1.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# ---------------------------------------------------------------------------------------------
# Errors name the op and the shapes
# ---------------------------------------------------------------------------------------------


def test_matmul_shape_error_names_shapes():
    with pytest.raises(
        ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) do not align \(3 != 2\)"
    ):
        tensor(np.ones((2, 3))) @ tensor(np.ones((2, 3)))


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        tensor(np.ones((2, 3))) + tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"mul: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        tensor(np.ones((2, 3))) * np.ones(4)


def test_reshape_error_names_sizes():
    with pytest.raises(
        ValueError, match=r"reshape: cannot reshape \(2, 3\) \(6 elements\) into \(4,\)"
    ):
        tensor(np.ones((2, 3))).reshape(4)


def test_bad_dim_error_names_op():
    with pytest.raises(IndexError, match="sum: dim 3 is out of range for a tensor with 2 dims"):
        tensor(np.ones((2, 3))).sum(dim=3)
    with pytest.raises(IndexError, match="softmax"):
        tensor(np.ones((2, 3))).log_softmax(dim=-3)


def test_missing_rule_fails_loudly_naming_the_op():
    with pytest.raises(NotImplementedError, match="'no_such_op'"):
        get_rule("no_such_op")
    with pytest.raises(NotImplementedError, match="'no_such_op'"):
        _apply("no_such_op", tensor([1.0]))


def test_rule_without_vjp_fails_at_backward_naming_the_op():
    name = "_test_floor_without_vjp"
    register(name, lambda x: (np.floor(x), None), None)
    try:
        y = _apply(name, leaf([1.5]))
        with pytest.raises(NotImplementedError, match=name):
            y.sum().backward()
    finally:
        del RULES[name]  # leave the real rule table as it was


# ---------------------------------------------------------------------------------------------
# The functional form and memory
# ---------------------------------------------------------------------------------------------


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    h = x * 3
    (gx, gh) = autograd.grad((h * h).sum(), [x, h])
    np.testing.assert_array_equal(gh.numpy(), 2 * h.numpy())
    np.testing.assert_array_equal(gx.numpy(), 6 * h.numpy())
    assert x.grad is None


def _mlp_step(params, x, y, lr=0.1):
    w1, b1, w2, b2 = params
    h = (x @ w1.T + b1).relu()
    loss = F.cross_entropy(h @ w2.T + b2, y)
    for p in params:
        p.grad = None
    loss.backward()
    for p in params:
        p.data -= lr * p.grad.data
    return h, loss


def _numpy_bytes(snapshot: tracemalloc.Snapshot) -> int:
    # Only NumPy's data buffers: Python's tuple/float free lists would otherwise show up as
    # "growth" until they fill, though nothing leaks.
    domain = tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)
    return sum(s.size for s in snapshot.filter_traces([domain]).statistics("filename"))


def test_training_loop_memory_does_not_grow_and_graphs_are_freed():
    rng = np.random.default_rng(0)
    x = tensor(rng.standard_normal((16, 10)).astype(np.float32))
    y = tensor(rng.integers(0, 3, 16))
    params = [
        tensor(rng.standard_normal((32, 10)).astype(np.float32) * 0.3, requires_grad=True),
        tensor(np.zeros(32, np.float32), requires_grad=True),
        tensor(rng.standard_normal((3, 32)).astype(np.float32) * 0.3, requires_grad=True),
        tensor(np.zeros(3, np.float32), requires_grad=True),
    ]
    gc.collect()
    gc.disable()  # graphs must die by reference counting alone: no cycles
    try:
        _, loss = _mlp_step(params, x, y)
        first_loss = loss.item()
        tracemalloc.start()
        for _ in range(100):  # warm-up
            _mlp_step(params, x, y)
        h, loss = _mlp_step(params, x, y)
        dead_h, dead_loss = weakref.ref(h), weakref.ref(loss)
        del h, loss
        assert dead_h() is None and dead_loss() is None  # step k's graph is collected
        arrays_before = _numpy_bytes(tracemalloc.take_snapshot())
        objects_before = len(gc.get_objects())
        for _ in range(900):
            _, loss = _mlp_step(params, x, y)
        del _
        arrays_after = _numpy_bytes(tracemalloc.take_snapshot())
        objects_after = len(gc.get_objects())
        tracemalloc.stop()
    finally:
        gc.enable()
    assert arrays_after - arrays_before < 4_000, f"arrays grew by {arrays_after - arrays_before} B"
    assert objects_after - objects_before < 50, f"{objects_after - objects_before} new objects"
    assert loss.item() < first_loss  # and it trained


def test_a_kept_loss_does_not_keep_its_activations_alive_after_backward():
    x = leaf(np.ones((100, 100)))
    h = x * 2
    loss = (h * h).sum()
    ref = weakref.ref(h)
    del h
    loss.backward()
    assert ref() is None  # loss is alive, but backward released the graph below it


def test_deepcopy_copies_leaves_and_refuses_graph_results():
    import copy

    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and not np.shares_memory(y.numpy(), x.numpy())
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf"):
        copy.deepcopy(x * 2)


def test_builtin_abs_and_sum_work_on_tensors():
    x = leaf([-1.0, 2.0])
    y = sum([abs(x), x])  # 0 + |x| + x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0])


def test_on_step_callback_sees_each_node_before_it_is_freed():
    x = leaf([1.0, 2.0])
    w = leaf([3.0])
    loss = (x * w).sum()
    steps = []
    autograd.backward(
        loss,
        on_step=lambda t, node, g, sent: steps.append(
            (
                node.op,
                node.inputs is not None,
                g.shape,
                [None if s is None else s.shape for s in sent],
            )
        ),
    )
    # mul's gradient for w is unbroadcast from (2,) to (1,) before it is sent
    assert steps == [("sum", True, (), [(2,)]), ("mul", True, (2,), [(2,), (1,)])]
    assert loss.grad_fn.freed


def test_every_rule_states_its_vjp_formula():
    for name, rule in RULES.items():
        if not name.startswith("_test"):
            assert rule.formula and all(isinstance(f, str) for f in rule.formula), name


def test_failed_second_backward_leaves_retained_grads_alone():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    loss = (h * h).sum()
    loss.backward()
    before = h.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()
    np.testing.assert_array_equal(h.grad.numpy(), before)


# ---------------------------------------------------------------- anomaly mode
def test_detect_anomaly_names_the_op_in_the_forward():
    import chainrule

    x = tensor(np.array([1.0, 0.0]), requires_grad=True)
    with pytest.raises(
        chainrule.AnomalyError, match=r"^log: the forward pass produced -inf at index \(1,\)"
    ):
        with chainrule.detect_anomaly():
            x.log()
    assert x.log().numpy()[1] == -np.inf  # off again outside the block: no error


def test_detect_anomaly_names_the_op_in_the_backward():
    import chainrule

    # sqrt(0) is fine forward, but its derivative 1/(2 sqrt(x)) is inf at 0.
    x = tensor(np.array([4.0, 0.0]), requires_grad=True)
    with chainrule.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(chainrule.AnomalyError, match=r"^sqrt: the backward pass produced inf"):
            y.backward()


def test_detect_anomaly_as_a_decorator_and_nesting():
    import chainrule
    from chainrule import autograd

    @chainrule.detect_anomaly()
    def f():
        return autograd.grad_mode.state.anomaly_enabled

    assert f() is True and autograd.grad_mode.state.anomaly_enabled is False
    with chainrule.detect_anomaly():
        with chainrule.detect_anomaly():
            pass
        assert autograd.grad_mode.state.anomaly_enabled is True
    assert autograd.grad_mode.state.anomaly_enabled is False


# ---- grad_fn.register_hook / register_prehook --------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_node_hooks_see_and_replace_gradients_as_in_torch(create_graph):
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (chainrule, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)  # needs no gradient
        y = (x * w).exp()
        seen = []
        y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        mul = y.grad_fn.next_functions[0][0]
        handle = mul.register_hook(
            lambda gi, go, seen=seen: seen.append([None if g is None else g.tolist() for g in gi])
        )
        mul.register_hook(lambda gi, go: (gi[0] + 1, gi[1]))
        y.sum().backward(create_graph=create_graph)
        first = x.grad.detach().clone()
        handle.remove()
        x.grad = None
        (x * w).exp().sum().backward()  # a new graph: no hooks on it
        results[lib.__name__] = (first.tolist(), seen, x.grad.tolist())
    assert results["chainrule"] == results["torch"]


def test_a_node_hook_returning_the_wrong_number_of_gradients_is_named():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.grad_fn.register_hook(lambda gi, go: (gi[0], gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="hook returned 3 gradients, expected 2"):
        y.sum().backward()
    with pytest.raises(TypeError, match="expects a function"):
        y.grad_fn.register_prehook(3)


# ---- in-place writes into what a node saved (version counting) -------------------------------
def _exp_then_add(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()  # saves its output for the VJP: d eˣ = eˣ
    with lib.no_grad():
        y.add_(1)
    return x, y.sum()


def _tanh_then_setitem(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * 0.5).tanh()
    with lib.no_grad():
        y[0] = 5.0  # a write through an index: the same memory
    return x, y.sum()


def _through_a_view(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.sigmoid()
    row = y[1]  # a view of y's memory
    with lib.no_grad():
        row.mul_(0)
    return x, y.sum()


@pytest.mark.parametrize("make", [_exp_then_add, _tanh_then_setitem, _through_a_view])
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_saved_array_written_in_place_is_refused_at_backward_as_in_torch(make, create_graph):
    torch = pytest.importorskip("torch")
    for lib in (chainrule, torch):
        _, out = make(lib)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.backward(create_graph=create_graph)


def test_writes_that_no_saved_array_sees_are_allowed_and_exact():
    torch = pytest.importorskip("torch")
    grads = {}
    for lib in (chainrule, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = lib.tensor([0.5, -1.0, 2.0])
        y = (x + b).sum()  # add saves nothing of b
        b.add_(1)
        y.backward()
        z = x.exp()
        z.sum().backward()  # after backward, the graph is done with z's memory
        with lib.no_grad():
            z.add_(1)
        x.grad.zero_()  # .grad is never saved by a node
        (x * x).sum().backward()
        grads[lib.__name__] = x.grad.tolist()
    assert grads["chainrule"] == grads["torch"]
