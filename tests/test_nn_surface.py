"""The week-2/3 nn surface against torch 2.x: functional forms, modules, module methods, nn.utils.

Values and gradients are compared in float64; elementwise activations on hypothesis-drawn
inputs kept off their kinks (where one-sided derivatives make "the" gradient a convention).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule
from chainrule import nn
from chainrule.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def pair(values):
    arr = np.asarray(values, dtype=np.float64)
    return chainrule.tensor(arr.copy(), requires_grad=True), torch.tensor(arr, requires_grad=True)


def check(ours, theirs, inputs, seed=0, rtol=1e-9, atol=1e-12):
    """Compare outputs, then gradients of Σ out·G w.r.t. every (ours, theirs) input pair."""
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(seed).standard_normal(tuple(ours.shape))
    (ours * chainrule.tensor(g)).sum().backward()
    (theirs * torch.tensor(g)).sum().backward()
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


ARRAYS = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    elements=st.floats(-8, 8, allow_nan=False),
)

# name -> (ours, torch's, kinks to keep away from)
ACTIVATIONS = {
    "elu": (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), [0]),
    "selu": (F.selu, TF.selu, [0]),
    "silu": (F.silu, TF.silu, []),
    "mish": (F.mish, TF.mish, []),
    "softplus": (F.softplus, TF.softplus, []),
    "softplus_beta": (
        lambda x: F.softplus(x, beta=3, threshold=5),
        lambda x: TF.softplus(x, beta=3, threshold=5),
        [5 / 3],
    ),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid, [0]),
    "hardtanh": (F.hardtanh, TF.hardtanh, [-1, 1]),
    "relu6": (F.relu6, TF.relu6, [0, 6]),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, [-3, 3]),
    "hardswish": (F.hardswish, TF.hardswish, [-3, 3]),
    "softsign": (F.softsign, TF.softsign, [0]),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink, []),
    "threshold": (
        lambda x: F.threshold(x, 0.5, -2.0),
        lambda x: TF.threshold(x, 0.5, -2.0),
        [0.5],
    ),
    "softmin": (lambda x: F.softmin(x, dim=-1), lambda x: TF.softmin(x, dim=-1), []),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@settings(max_examples=25, deadline=None)
@given(x=ARRAYS)
def test_activation_values_and_gradients_match_torch(name, x):
    ours_fn, torch_fn, kinks = ACTIVATIONS[name]
    for k in kinks:
        x = np.where(np.abs(x - k) < 1e-3, k + 0.5, x)
    a, b = pair(x)
    # rtol 1e-7: torch computes some of these constants (1/6 in hardsigmoid) in float32
    check(ours_fn(a), torch_fn(b), [(a, b)], rtol=1e-7, atol=1e-10)


def test_softplus_is_linear_above_the_threshold_and_finite_below():
    a, b = pair([-800.0, -30.0, 0.0, 19.0, 21.0, 800.0])
    check(F.softplus(a), TF.softplus(b), [(a, b)])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_glu_and_prelu(dim):
    x = np.random.default_rng(1).standard_normal((4, 6, 2))
    a, b = pair(x)
    check(F.glu(a, dim if dim != 1 else 1), TF.glu(b, dim), [(a, b)])
    a, b = pair(x)
    wa, wb = pair([0.1, -0.2, 0.3, 0.4, 0.5, 0.6])
    check(F.prelu(a, wa), TF.prelu(b, wb), [(a, b), (wa, wb)])


def test_glu_refuses_an_odd_dimension_like_torch():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(chainrule.zeros(3))


def test_relu_in_place_only_outside_a_graph():
    x = chainrule.tensor([-1.0, 2.0])
    assert F.relu_(x) is x and x.tolist() == [0.0, 2.0]
    with pytest.raises(RuntimeError):
        F.relu_(chainrule.tensor([1.0], requires_grad=True))


# ---- normalisation, distances, lookups ------------------------------------------------------
RNG = np.random.default_rng(0)


def test_normalize_cosine_and_pairwise_distance():
    x1, x2 = RNG.standard_normal((5, 4)), RNG.standard_normal((5, 4))
    a, b = pair(x1)
    check(F.normalize(a), TF.normalize(b), [(a, b)])
    a, b = pair(x1)
    check(F.normalize(a, p=1, dim=0), TF.normalize(b, p=1, dim=0), [(a, b)])
    a1, b1 = pair(x1)
    a2, b2 = pair(x2)
    check(F.cosine_similarity(a1, a2), TF.cosine_similarity(b1, b2), [(a1, b1), (a2, b2)])
    for p in (1, 2, 3):
        a1, b1 = pair(x1)
        a2, b2 = pair(x2)
        check(
            F.pairwise_distance(a1, a2, p=p),
            TF.pairwise_distance(b1, b2, p=p),
            [(a1, b1), (a2, b2)],
        )


@settings(max_examples=20, deadline=None)
@given(
    x=hnp.arrays(np.float64, (3, 2, 5), elements=st.floats(-5, 5)),
    last=st.integers(1, 2),
)
def test_layer_norm_matches_torch(x, last):
    x = x + np.arange(x.size).reshape(x.shape) * 1e-2  # keep every row's variance > 0
    shape = x.shape[-last:]
    w = np.random.default_rng(2).standard_normal(shape)
    a, b = pair(x)
    wa, wb = pair(w)
    ba, bb = pair(w[::-1].copy())
    check(
        F.layer_norm(a, shape, wa, ba),
        TF.layer_norm(b, shape, wb, bb),
        [(a, b), (wa, wb), (ba, bb)],
        rtol=1e-7,
        atol=1e-9,
    )


def test_layer_norm_module_and_its_shape_error():
    ours, theirs = nn.LayerNorm(5).double(), torch.nn.LayerNorm(5).double()
    assert repr(ours) == repr(theirs)
    a, b = pair(RNG.standard_normal((2, 3, 5)))
    check(ours(a), theirs(b), [(a, b), (ours.weight, theirs.weight), (ours.bias, theirs.bias)])
    with pytest.raises(RuntimeError, match="normalized_shape"):
        ours(chainrule.zeros(2, 4, dtype=chainrule.float64))


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_trains_and_evaluates_like_torch(shape, momentum):
    ours = nn.BatchNorm1d(3, momentum=momentum).double()
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    assert repr(ours) == repr(theirs)
    for step in range(3):
        x = RNG.standard_normal(shape) * (step + 1) + step
        a, b = pair(x)
        ours.weight.grad = theirs.weight.grad = None
        check(
            ours(a),
            theirs(b),
            [(a, b), (ours.weight, theirs.weight)],
            seed=step,
            rtol=1e-7,
            atol=1e-9,
        )
    for name, buf in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), buf.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    a, b = pair(RNG.standard_normal(shape))
    check(ours(a), theirs(b), [(a, b)])


def test_batch_norm_options():
    x = RNG.standard_normal((6, 2))
    for kwargs in (dict(affine=False), dict(track_running_stats=False)):
        ours = nn.BatchNorm1d(2, **kwargs).double()
        theirs = torch.nn.BatchNorm1d(2, **kwargs).double()
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for mode in (True, False):
            ours.train(mode)
            theirs.train(mode)
            a, b = pair(x)
            check(ours(a), theirs(b), [(a, b)], rtol=1e-7, atol=1e-9)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(2)(chainrule.zeros(1, 2))


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_gathers_rows_and_skips_the_padding_row(padding_idx):
    weight = RNG.standard_normal((6, 3))
    idx = np.array([[0, 5, 2], [2, 2, 0]])
    wa, wb = pair(weight)
    ia, ib = chainrule.tensor(idx), torch.tensor(idx)
    check(
        F.embedding(ia, wa, padding_idx=padding_idx),
        TF.embedding(ib, wb, padding_idx=padding_idx),
        [(wa, wb)],
    )
    emb = nn.Embedding(6, 3, padding_idx=padding_idx)
    assert repr(emb) == repr(torch.nn.Embedding(6, 3, padding_idx=padding_idx))
    if padding_idx is not None:
        assert emb.weight[padding_idx].tolist() == [0.0, 0.0, 0.0]


def test_embedding_from_pretrained_is_frozen():
    emb = nn.Embedding.from_pretrained(chainrule.ones(4, 2))
    assert not emb.weight.requires_grad and emb(chainrule.tensor([3])).tolist() == [[1.0, 1.0]]


def test_bilinear_matches_torch():
    w, bias = RNG.standard_normal((2, 3, 4)), RNG.standard_normal(2)
    x1, x2 = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    pairs = [pair(v) for v in (x1, x2, w, bias)]
    (a1, b1), (a2, b2), (wa, wb), (ba, bb) = pairs
    check(F.bilinear(a1, a2, wa, ba), TF.bilinear(b1, b2, wb, bb), pairs)
    assert repr(nn.Bilinear(3, 4, 2)) == repr(torch.nn.Bilinear(3, 4, 2))


@pytest.mark.parametrize("padding", [(1, 2), (0, 1, 2, 0), (-1, 1), (2, -1, 1, 1)])
def test_constant_pad_matches_torch(padding):
    a, b = pair(RNG.standard_normal((2, 3, 4)))
    check(F.pad(a, padding, value=0.5), TF.pad(b, padding, value=0.5), [(a, b)])


PAD_MODES = ["reflect", "replicate", "circular"]


@pytest.mark.parametrize("mode", PAD_MODES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_reflect_replicate_circular_pad_match_torch(mode, data):
    n_dims = data.draw(st.integers(1, 3), label="padded dims")
    ndim = n_dims + data.draw(st.integers(1, 2), label="leading dims")
    shape = data.draw(st.tuples(*[st.integers(1, 4)] * ndim), label="shape")
    padding = []
    for i in range(n_dims):
        size = shape[ndim - 1 - i]
        top = size - 1 if mode == "reflect" else size  # torch's limits per mode
        padding += [data.draw(st.integers(0, top)), data.draw(st.integers(0, top))]
    a, b = pair(RNG.standard_normal(shape))
    check(F.pad(a, tuple(padding), mode=mode), TF.pad(b, tuple(padding), mode=mode), [(a, b)])


@pytest.mark.parametrize("mode", PAD_MODES)
def test_non_constant_pad_refuses_what_torch_refuses(mode):
    a, b = pair(RNG.standard_normal((2, 3)))
    refused = [(1, 1, 1, 1)] + ([] if mode == "replicate" else [(4, 0)])  # replicate: any size
    for padding in refused:
        with pytest.raises((RuntimeError, NotImplementedError)) as theirs:
            TF.pad(b, padding, mode=mode)
        with pytest.raises(type(theirs.value), match="pad"):
            F.pad(a, padding, mode=mode)
    with pytest.raises(NotImplementedError, match="mode must be one of"):
        F.pad(a, (1, 1), mode="mirror")


# ---- losses ---------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=15, deadline=None)
@given(
    d=hnp.arrays(np.float64, (3, 4), elements=st.floats(-4, 4)),
    beta=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
)
def test_smooth_l1_and_huber_match_torch(reduction, d, beta):
    d = np.where(np.abs(np.abs(d) - beta) < 1e-3, d + 0.1, d)  # off the switch point
    d = np.where(np.abs(d) < 1e-3, 0.5, d)
    y = np.linspace(-1, 1, 12).reshape(3, 4)
    a, b = pair(y + d)
    check(
        F.smooth_l1_loss(a, chainrule.tensor(y), reduction=reduction, beta=beta),
        TF.smooth_l1_loss(b, torch.tensor(y), reduction=reduction, beta=beta),
        [(a, b)],
    )
    if beta > 0:
        a, b = pair(y + d)
        check(
            nn.HuberLoss(reduction, delta=beta)(a, chainrule.tensor(y)),
            torch.nn.HuberLoss(reduction=reduction, delta=beta)(b, torch.tensor(y)),
            [(a, b)],
        )


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    logq = np.log(RNG.dirichlet(np.ones(5), size=4))
    p = RNG.dirichlet(np.ones(5), size=4)
    p[0, 1] = 0.0  # a zero-probability target term contributes 0
    target = np.log(p + 1e-3) if log_target else p
    a, b = pair(logq)
    ta, tb = pair(target)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = nn.KLDivLoss(reduction, log_target)(a, ta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)(b, tb)
    assert bool(ours_warned) == (reduction == "mean")
    inputs = [(a, b), (ta, tb)] if log_target else [(a, b)]
    check(ours, theirs, inputs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_losses_match_torch(reduction):
    x1, x2 = RNG.standard_normal(7), RNG.standard_normal(7)
    y = np.array([1.0, -1, 1, -1, 1, 1, -1])
    a1, b1 = pair(x1)
    a2, b2 = pair(x2)
    check(
        nn.MarginRankingLoss(0.3, reduction)(a1, a2, chainrule.tensor(y)),
        torch.nn.MarginRankingLoss(0.3, reduction=reduction)(b1, b2, torch.tensor(y)),
        [(a1, b1), (a2, b2)],
    )
    a, b = pair(np.abs(x1))
    check(
        nn.HingeEmbeddingLoss(0.8, reduction)(a, chainrule.tensor(y)),
        torch.nn.HingeEmbeddingLoss(0.8, reduction=reduction)(b, torch.tensor(y)),
        [(a, b)],
    )
    scores, target = RNG.standard_normal((6, 4)), np.array([0, 3, 1, 1, 2, 0])
    weight = np.array([1.0, 2.0, 0.5, 1.5])
    for p in (1, 2):
        for w in (None, weight):
            a, b = pair(scores)
            check(
                nn.MultiMarginLoss(
                    p, 0.7, None if w is None else chainrule.tensor(w), reduction=reduction
                )(a, chainrule.tensor(target)),
                torch.nn.MultiMarginLoss(
                    p, 0.7, None if w is None else torch.tensor(w), reduction=reduction
                )(b, torch.tensor(target)),
                [(a, b)],
            )


# ---- modules: reprs, containers -------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.LogSoftmax(dim=1),
        lambda m: m.Softmin(dim=0),
        lambda m: m.ELU(alpha=0.5),
        lambda m: m.SELU(),
        lambda m: m.SiLU(),
        lambda m: m.Mish(),
        lambda m: m.Softplus(beta=2, threshold=10),
        lambda m: m.Hardtanh(-2.0, 2.0),
        lambda m: m.ReLU6(),
        lambda m: m.ReLU(inplace=True),
        lambda m: m.PReLU(3),
        lambda m: m.Softsign(),
        lambda m: m.Tanhshrink(),
        lambda m: m.Threshold(0.1, 20.0),
        lambda m: m.GLU(),
        lambda m: m.Unflatten(1, (2, 3)),
        lambda m: m.LogSigmoid(),
        lambda m: m.Hardswish(),
    ],
)
def test_module_reprs_match_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_unflatten_and_modules_run_like_functions():
    x = RNG.standard_normal((2, 6))
    a, b = pair(x)
    check(nn.Unflatten(1, (2, 3))(a), torch.nn.Unflatten(1, (2, 3))(b), [(a, b)])
    a, b = pair(x)
    check(nn.LogSoftmax(dim=1)(a), torch.nn.LogSoftmax(dim=1)(b), [(a, b)])
    a1, b1 = pair(x)
    a2, b2 = pair(x[::-1].copy())
    check(nn.CosineSimilarity()(a1, a2), torch.nn.CosineSimilarity()(b1, b2), [(a1, b1)])


def test_module_dict_registers_by_key():
    heads = nn.ModuleDict({"a": nn.Linear(2, 3)})
    heads["b"] = nn.ReLU()
    heads.update([("c", nn.Linear(3, 1))])
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "c.weight", "c.bias"]
    assert isinstance(heads.pop("b"), nn.ReLU) and list(heads.keys()) == ["a", "c"]


def test_parameter_list_and_dict_register_their_entries():
    plist = nn.ParameterList([nn.Parameter(chainrule.zeros(2, 3)), chainrule.ones(4)])
    assert isinstance(plist[1], nn.Parameter) and len(plist) == 2
    plist.append(chainrule.zeros(1))
    assert [n for n, _ in plist.named_parameters()] == ["0", "1", "2"]
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3)), torch.ones(4)])
    theirs.append(torch.zeros(1))
    assert repr(plist).replace("chainrule", "torch") == repr(theirs)

    pdict = nn.ParameterDict({"w": chainrule.ones(2)})
    pdict["b"] = nn.Parameter(chainrule.zeros(1))
    assert list(pdict) == ["w", "b"] and isinstance(pdict["w"], nn.Parameter)
    assert [n for n, _ in pdict.named_parameters()] == ["w", "b"]
    model = nn.Module()
    model.scales = pdict
    assert list(model.state_dict()) == ["scales.w", "scales.b"]
    del pdict["w"]
    assert list(pdict.keys()) == ["b"]


# ---- Module methods -------------------------------------------------------------------------
def test_cpu_cuda_half_and_type():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert model.cpu() is model
    with pytest.raises(RuntimeError, match="chainrule computes on the CPU"):
        model.cuda()
    assert model.half()[0].weight.dtype == chainrule.float16
    model.type(chainrule.float64)
    assert all(p.dtype == chainrule.float64 for p in model.parameters())
    assert model[1].num_batches_tracked.dtype == chainrule.float64  # type() casts every tensor


def test_forward_hooks_see_and_replace_inputs_and_outputs():
    layer = nn.Linear(2, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(args[0].sum().item()))
    out = layer(chainrule.ones(3, 2))
    assert calls == [0.0]
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(layer.bias.numpy(), (3, 2)))
    pre.remove()
    post.remove()
    layer(chainrule.ones(1, 2))
    assert calls == [0.0]
    layer.register_forward_hook(lambda m, args, out: out * 2)
    assert layer(chainrule.zeros(1, 2)).tolist() == [(layer.bias * 2).tolist()]


def test_full_backward_hook_gets_torch_grads():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    theirs.double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    ours.load_state_dict(theirs.state_dict())
    x = RNG.standard_normal((5, 3))
    seen = {}
    for name, model, inp in [
        ("ours", ours, chainrule.tensor(x)),
        ("theirs", theirs, torch.tensor(x)),
    ]:
        calls = seen[name] = []
        model[1].register_full_backward_hook(
            lambda m, gi, go, calls=calls: calls.append(
                (gi[0].numpy().copy(), go[0].numpy().copy())
            )
        )
        # Doubling grad_input in the hook must reach the first layer's weight gradient.
        model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
        model(inp).sum().backward()
    assert len(seen["ours"]) == len(seen["theirs"]) == 1
    for o, t in zip(seen["ours"][0], seen["theirs"][0]):
        np.testing.assert_allclose(o, t, rtol=1e-12)
    np.testing.assert_allclose(
        ours[0].weight.grad.numpy(), theirs[0].weight.grad.numpy(), rtol=1e-12
    )


def test_backward_hook_on_the_first_layer_gets_none_for_an_input_without_grad():
    layer = nn.Linear(2, 1)
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go[0].shape)))
    layer(chainrule.ones(3, 2)).sum().backward()
    assert calls == [((None,), (3, 1))]


def test_get_submodule_and_get_parameter_errors_match_torch():
    ours = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU()))
    assert repr(ours.get_submodule("1.0")) == repr(theirs.get_submodule("1.0"))
    assert ours.get_parameter("0.bias") is ours[0].bias
    for method, target in [
        ("get_submodule", "1.5"),
        ("get_submodule", "0.weight"),
        ("get_parameter", "0.nothing"),
        ("get_parameter", "1"),
    ]:
        with pytest.raises(AttributeError) as theirs_error:
            getattr(theirs, method)(target)
        with pytest.raises(AttributeError) as ours_error:
            getattr(ours, method)(target)
        assert str(ours_error.value) == str(theirs_error.value)


# ---- nn.utils -------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.1, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = [RNG.standard_normal((3, 2)), RNG.standard_normal(4)]
    ours = [nn.Parameter(chainrule.zeros(g.shape, dtype=chainrule.float64)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = chainrule.tensor(g.copy()), torch.tensor(g)
    total_ours = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total_ours.item(), total_theirs.item(), rtol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_and_parameter_vectors():
    model = nn.Linear(3, 2)
    model.weight.grad = chainrule.tensor(np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3))
    nn.utils.clip_grad_value_(model.parameters(), 0.5)
    assert model.weight.grad.abs().max().item() == 0.5
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (8,) and vec.requires_grad
    nn.utils.vector_to_parameters(chainrule.arange(8.0), model.parameters())
    assert model.bias.tolist() == [6.0, 7.0]
