"""`import chainrule as torch`: PyTorch code runs with only the import line changed.

Each check runs the same code on both engines and compares what comes out: printed text,
values, gradients, dtypes, errors. The course snippets are the course's own (../shared/course),
the rest are what a week-2/3 student types.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule
from chainrule.functions import METHOD_FUNCTIONS

torch = pytest.importorskip("torch")

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def run_as(engine: str, code: str) -> dict:
    """Run ``code`` as written for PyTorch, with ``import torch`` meaning ``engine``."""
    if engine == "chainrule":
        code = re.sub(r"^import torch\.nn as nn$", "import chainrule.nn as nn", code, flags=re.M)
        code = re.sub(r"^import torch$", "import chainrule as torch", code, flags=re.M)
        code = code.replace("from torch.utils.data import", "from chainrule.utils.data import")
    namespace: dict = {}
    exec(compile(textwrap.dedent(code), f"<{engine}>", "exec"), namespace)  # noqa: S102
    return namespace


def both(code: str) -> tuple[dict, dict]:
    return run_as("chainrule", code), run_as("torch", code)


def as_array(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


# ---- the course's own snippets ---------------------------------------------------------------
DAY1_GRAPH = """
import torch
x = torch.tensor([2.0], requires_grad=True)
w = torch.tensor([3.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)
z = w * x
a = z + b
L = (a - 5.0)**2
L.backward()
text = [f"dL/dw = {w.grad}", f"dL/dx = {x.grad}", f"dL/db = {b.grad}"]
names = [type(L.grad_fn).__name__, L.grad_fn.name()]
"""

DAY1_COMPARE = """
import torch
x_pt = torch.tensor([2.0, 3.0], requires_grad=True)
w_pt = torch.tensor([0.5, -1.0], requires_grad=True)
b_pt = torch.tensor([0.1], requires_grad=True)
z = (x_pt * w_pt).sum() + b_pt
a = torch.relu(z)
L = (a - 1.0)**2
L.backward()
text = f"PyTorch: dL/dw0={w_pt.grad[0].item():.4f} dL/dw1={w_pt.grad[1].item():.4f}"
"""

DAY1_TEN_LAYERS = """
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(*[nn.Linear(64, 64) for _ in range(10)])
x = torch.randn(32, 64)
y = torch.randn(32, 64)
out = model(x)
loss = ((out - y)**2).mean()
loss.backward()
norms = [p.grad.norm().item() for p in model.parameters() if p.grad is not None and p.dim() == 2]
"""

SLIDES_MLP_LOOP = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

class MLP(nn.Module):
    def __init__(self, d_in=784, d_h=256, d_out=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, d_h), nn.ReLU(),
            nn.Linear(d_h, d_h), nn.ReLU(),
            nn.Linear(d_h, d_out),
        )

    def forward(self, x):
        return self.net(x)

device = 'cuda' if torch.cuda.is_available() else 'cpu'
torch.manual_seed(0)
images, labels = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
loader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True)
model = MLP(784, 32, 10).to(device)
criterion = nn.CrossEntropyLoss()
optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
losses = []
for epoch in range(2):
    for x, y in loader:
        x, y = x.view(-1, 784).to(device), y.to(device)
        logits = model(x)
        loss = criterion(logits, y)
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
model.eval()
with torch.no_grad():
    logits = model(images.view(-1, 784))
accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
"""


def test_day1_graph_snippet_prints_what_pytorch_prints():
    ours, theirs = both(DAY1_GRAPH)
    assert (
        ours["text"]
        == theirs["text"]
        == ["dL/dw = tensor([8.])", "dL/dx = tensor([12.])", "dL/db = tensor([4.])"]
    )
    assert ours["names"][1] == theirs["names"][1] == "PowBackward0"


def test_day1_pytorch_versus_micrograd_snippet():
    ours, theirs = both(DAY1_COMPARE)
    assert ours["text"] == theirs["text"]


def test_day1_ten_layer_gradient_norm_exercise_runs_and_gives_ten_norms():
    ours = run_as("chainrule", DAY1_TEN_LAYERS)
    assert len(ours["norms"]) == 10 and all(np.isfinite(ours["norms"]))


def test_slides_training_loop_runs_on_the_cpu_device():
    ours = run_as("chainrule", SLIDES_MLP_LOOP)
    assert ours["device"] == "cpu" and len(ours["losses"]) == 8
    assert all(np.isfinite(ours["losses"])) and 0.0 <= ours["accuracy"] <= 1.0


def test_asking_for_cuda_says_what_to_write_instead():
    with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
        chainrule.nn.Linear(2, 2).to("cuda")
    with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
        chainrule.zeros(2).cuda()


# ---- what a student types in a from-scratch matmul/backprop notebook ---------------------------
FROM_SCRATCH = """
import torch
torch.set_printoptions(precision=2, linewidth=140, sci_mode=False)
torch.manual_seed(1)
x = torch.randn(5, 4)
w1 = torch.randn(4, 3) / 4 ** 0.5
b1 = torch.zeros(3)
w2 = torch.randn(3, 1)
b2 = torch.zeros(1)
y = torch.randn(5)

def lin(x, w, b): return x @ w + b
def relu(x): return x.clamp_min(0.)
def mse(output, targ): return (output[:, 0] - targ).pow(2).mean()

l1 = lin(x, w1, b1)
l2 = relu(l1)
out = lin(l2, w2, b2)
loss = mse(out, y)

# the backward pass by hand, storing gradients as new attributes (inp.g)
def mse_grad(inp, targ): inp.g = 2. * (inp.squeeze() - targ).unsqueeze(-1) / inp.shape[0]
def lin_grad(inp, out, w, b):
    inp.g = out.g @ w.t()
    w.g = inp.t() @ out.g
    b.g = out.g.sum(0)
def relu_grad(inp, out): inp.g = (inp > 0).float() * out.g

mse_grad(out, y)
lin_grad(l2, out, w2, b2)
relu_grad(l1, l2)
lin_grad(x, l1, w1, b1)

# the same gradients from autograd
for p in (w1, b1, w2, b2): p.requires_grad_()
loss2 = mse(lin(relu(lin(x, w1, b1)), w2, b2), y)
loss2.backward()
same = [torch.allclose(p.g, p.grad, atol=1e-6) for p in (w1, b1, w2, b2)]
logits = torch.randn(5, 3)
lse = logits.logsumexp(-1)
lsm = logits - lse.unsqueeze(-1)
text = repr(lsm)
for p in (w1, b1, w2, b2):
    p.grad.data.zero_()
zeroed = [p.grad.abs().sum().item() for p in (w1, b1, w2, b2)]
"""


@pytest.fixture(autouse=True)
def _default_printing():
    """Snippets set print options the way notebooks do; later tests must not see them."""
    yield
    chainrule.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def test_from_scratch_notebook_runs_and_hand_gradients_match_autograd():
    ours = run_as("chainrule", FROM_SCRATCH)
    assert ours["same"] == [True, True, True, True]
    assert ours["zeroed"] == [0.0, 0.0, 0.0, 0.0]
    assert "e-" not in ours["text"] and "  " in ours["text"]  # sci_mode off, precision 2


def test_from_scratch_printing_matches_torch_for_the_same_values():
    ours, theirs = both(
        """
        import torch
        torch.set_printoptions(precision=2, linewidth=140, sci_mode=False)
        a = torch.tensor([[1.23456, -20.5, 3e-3], [4.0, 5.5, -6.25]])
        text = [repr(a), repr(a.t()), str(a.sum(0)), repr(a.argmax(1)), repr(a > 0)]
        torch.set_printoptions(profile="default")
        """
    )
    assert ours["text"] == theirs["text"]


SAMPLERS = """
import torch
from torch.utils.data import (DataLoader, TensorDataset, SequentialSampler, BatchSampler,
                              SubsetRandomSampler)
ds = TensorDataset(torch.arange(10.), torch.arange(10))
seq = [y.tolist() for _, y in DataLoader(ds, batch_size=4, sampler=SequentialSampler(ds))]
bs = [len(y) for _, y in DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, True))]
custom = list(DataLoader(ds, batch_size=5, collate_fn=lambda batch: len(batch), num_workers=0))
unbatched = [y.item() for _, y in DataLoader(ds, batch_size=None)][:3]
subset = sorted(int(y) for _, y in DataLoader(ds, sampler=SubsetRandomSampler([1, 5, 7])))
lengths = [len(DataLoader(ds, batch_size=3)), len(DataLoader(ds, batch_size=3, drop_last=True))]
"""


def test_samplers_and_dataloader_options_behave_as_in_pytorch():
    ours, theirs = both(SAMPLERS)
    for key in ("seq", "bs", "custom", "unbatched", "subset", "lengths"):
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shuffle": True, "sampler": "seq"},
        {"batch_size": 2, "batch_sampler": "batches"},
        {"drop_last": True, "batch_sampler": "batches"},
        {"batch_size": None, "drop_last": True},
        {"num_workers": -1},
    ],
)
def test_dataloader_refuses_what_pytorch_refuses(kwargs):
    for lib, data in ((chainrule, chainrule.utils.data), (torch, torch.utils.data)):
        ds = data.TensorDataset(lib.arange(6.0))
        made = {
            "seq": data.SequentialSampler(ds),
            "batches": data.BatchSampler(data.SequentialSampler(ds), 2, False),
        }
        args = {k: made.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
        with pytest.raises(ValueError):
            data.DataLoader(ds, **args)


# ---- the namespace ---------------------------------------------------------------------------
def test_every_functional_form_exists_in_torch_and_equals_the_method():
    missing = [n for n in METHOD_FUNCTIONS if not hasattr(torch, n)]
    assert missing == [], f"not torch functions: {missing}"
    x = chainrule.tensor([[0.5, -1.5], [2.0, 0.25]])
    for name in ("exp", "abs", "sum", "mean", "relu", "t", "sigmoid", "flatten", "sqrt"):
        a = getattr(chainrule, name)(x.abs() if name == "sqrt" else x)
        b = getattr(x.abs() if name == "sqrt" else x, name)()
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert chainrule.softmax(x, 1).allclose(x.softmax(dim=1))


def test_functional_forms_take_data_and_refuse_out():
    assert chainrule.exp([0.0]).tolist() == [1.0]
    with pytest.raises(TypeError, match="out="):
        chainrule.exp(chainrule.zeros(1), out=chainrule.zeros(1))


def test_dtypes_print_compare_and_convert_like_torch():
    pairs = [("float32", "float"), ("float64", "double"), ("float16", "half"), ("int64", "long"),
             ("int32", "int"), ("bool", "bool")]  # fmt: skip
    for name, alias in pairs:
        assert getattr(chainrule, alias) is getattr(chainrule, name if name != "bool" else "bool_")
        assert repr(getattr(chainrule, alias)) == repr(getattr(torch, alias)).replace(
            "torch", "chainrule"
        )
    for name in ("uint8", "int32", "float16", "float64", "int64"):
        ours = chainrule.zeros(2, dtype=getattr(chainrule, name))
        theirs = torch.zeros(2, dtype=getattr(torch, name))
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        assert repr(ours) == repr(theirs).replace("torch.", "chainrule.")
    assert chainrule.float32.is_floating_point and chainrule.int64.itemsize == 8
    assert chainrule.tensor([1, 2]).float().dtype == chainrule.float32


def test_size_device_and_small_namespace_helpers():
    x = chainrule.zeros(2, 3)
    assert repr(x.shape) == "chainrule.Size([2, 3])" and x.shape == (2, 3) and x.size(1) == 3
    assert x.shape.numel() == 6 and chainrule.numel(x) == 6
    assert chainrule.is_tensor(x) and not chainrule.is_tensor(x.numpy())
    assert str(chainrule.device("cpu")) == "cpu" and x.device == chainrule.device("cpu")
    assert chainrule.cuda.is_available() is False and chainrule.cuda.device_count() == 0


def test_a_missing_name_suggests_the_closest_ones():
    with pytest.raises(AttributeError, match="did you mean relu"):
        chainrule.relux  # noqa: B018
    with pytest.raises(AttributeError, match="did you mean"):
        chainrule.zeros(2).sofmax  # noqa: B018


def test_tensors_take_new_attributes_as_in_the_course_notebooks():
    x = chainrule.zeros(2)
    x.g = chainrule.ones(2)
    assert x.g.tolist() == [1.0, 1.0]


# ---- elementwise and reductions against torch, on drawn data ---------------------------------
FLOATS = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    # subnormals excluded: x // b of a subnormal x rounds differently (a known gap)
    elements=st.floats(-5, 5, allow_nan=False, allow_subnormal=False, width=64),
)

NO_GRAD_OPS = [
    lambda m, x: m.isclose(x, x * 1.000001),
    lambda m, x: m.isnan(x.log()),
    lambda m, x: x.sort(dim=-1, descending=True).indices,
    lambda m, x: x.argsort(dim=0),
    lambda m, x: x.count_nonzero(),
    lambda m, x: x.sign(),
    lambda m, x: (x > 0) & (x < 1),
    lambda m, x: ~(x > 0),
    lambda m, x: x // 0.7,
    lambda m, x: x % 0.7,
    lambda m, x: x.nonzero(),
    lambda m, x: x.round(decimals=1),
    lambda m, x: x.floor_divide(2),
    lambda m, x: m.where(x > 0, x, m.zeros_like(x)),
    lambda m, x: x.cumsum(0),
    lambda m, x: x.flatten().topk(1).values,
    lambda m, x: x.norm(p=1),
    lambda m, x: m.round(x).mode(dim=-1).values,
    lambda m, x: m.round(x).mode(0, keepdim=True).indices,
    lambda m, x: x.chunk(2, dim=-1)[0],
    lambda m, x: m.cat(x.split(1, dim=0), dim=0),
]


@pytest.mark.parametrize("op", NO_GRAD_OPS, ids=[f"op{i}" for i in range(len(NO_GRAD_OPS))])
@SETTINGS
@given(arr=FLOATS)
def test_results_match_torch_exactly_in_shape_dtype_and_value(op, arr):
    with np.errstate(all="ignore"):
        ours = op(chainrule, chainrule.tensor(arr))
    theirs = op(torch, torch.tensor(arr))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(as_array(ours), as_array(theirs), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(arr=FLOATS, precision=st.integers(1, 6), sci=st.sampled_from([None, True, False]))
def test_repr_matches_torch(arr, precision, sci):
    try:
        chainrule.set_printoptions(precision=precision, sci_mode=sci)
        torch.set_printoptions(precision=precision, sci_mode=sci)
        for a in (arr, arr.astype(np.float32), np.round(arr).astype(np.int64)):
            assert repr(chainrule.tensor(a)) == repr(torch.tensor(a)).replace(
                "torch.", "chainrule."
            )
    finally:
        chainrule.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_in_place_on_a_graph_tensor_names_the_out_of_place_form():
    w = chainrule.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"x = x.clamp\(...\)"):
        w.clamp_(min=0)
    with chainrule.no_grad():
        w.clamp_(max=0.5)
    assert w.tolist() == [0.5, 0.5]


def test_matmul_of_mixed_dtypes_is_an_error_as_in_torch():
    with pytest.raises(RuntimeError, match="same dtype"):
        chainrule.ones(2, 2) @ chainrule.ones(2, 2, dtype=chainrule.float64)
    with pytest.raises(RuntimeError):
        torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)


@pytest.mark.parametrize(
    "bad",
    [
        lambda m: m.zeros(2, 3) + m.zeros(4),
        lambda m: m.zeros(2, 3) @ m.zeros(4, 2),
        lambda m: m.zeros(2, 3).reshape(4, 2),
        lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 4)]),
        lambda m: m.nn.Linear(2, 2)(m.zeros(1, 2, dtype=m.float64)),
    ],
)
def test_shape_and_dtype_errors_are_runtime_errors_as_in_torch(bad):
    with pytest.raises(RuntimeError):
        bad(torch)
    with pytest.raises(RuntimeError) as caught:
        bad(chainrule)
    assert isinstance(caught.value, (ValueError, TypeError))  # and still what they were before


def test_float64_batch_into_a_float32_layer_names_both_dtypes():
    with pytest.raises(
        RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"
    ):
        chainrule.nn.Linear(2, 2)(chainrule.zeros(1, 2, dtype=chainrule.float64))


def test_set_detect_anomaly_and_multiprocessing_alias():
    import multiprocessing

    assert chainrule.multiprocessing is multiprocessing
    with chainrule.autograd.set_detect_anomaly(True):
        with pytest.raises(chainrule.AnomalyError):
            chainrule.zeros(1).log()
    chainrule.zeros(1).log()  # off again after the block
