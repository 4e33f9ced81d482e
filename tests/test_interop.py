"""chainrule <-> PyTorch: modules with their weights, tensors without copies."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule  # noqa: E402
from chainrule import nn, tensor  # noqa: E402
from chainrule.interop import from_torch, tensor_from_torch, tensor_to_torch, to_torch  # noqa: E402


def every_layer() -> nn.Sequential:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(12, 8),
        nn.ReLU(),
        nn.Linear(8, 8),
        nn.LeakyReLU(0.2),
        nn.Linear(8, 8),
        nn.Tanh(),
        nn.Linear(8, 8, bias=False),
        nn.Sigmoid(),
        nn.Linear(8, 6),
        nn.GELU(),
        nn.Dropout(0.3),
        nn.Identity(),
        nn.Linear(6, 4),
        nn.Softmax(dim=1),
    )


def test_to_torch_round_trip_gives_the_same_outputs():
    chainrule.manual_seed(0)
    model = every_layer().eval()
    x = np.random.default_rng(0).normal(size=(5, 3, 4)).astype(np.float32)
    ours = model(tensor(x)).numpy()
    theirs = to_torch(model)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    back = from_torch(to_torch(model))
    np.testing.assert_allclose(back(tensor(x)).numpy(), ours, atol=1e-6)
    assert repr(back) == repr(model)


def test_from_torch_copies_weights_and_mode():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)).double()
    model = from_torch(tm)
    assert model.training
    assert model[0].weight.dtype == np.float64
    np.testing.assert_array_equal(model[0].weight.numpy(), tm[0].weight.detach().numpy())
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(
        model(tensor(x)).numpy(), tm(torch.from_numpy(x)).detach().numpy(), atol=1e-12
    )
    # independent copies
    model[0].weight.numpy()[...] = 0
    assert tm[0].weight.abs().sum().item() > 0


def test_gradients_agree_after_conversion():
    chainrule.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    tm = to_torch(model)
    x = np.random.default_rng(2).normal(size=(7, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    nn.functional.cross_entropy(model(tensor(x)), tensor(y)).backward()
    torch.nn.functional.cross_entropy(tm(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    for p, tp in zip(model.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-6)


def test_unsupported_layers_are_named():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Conv2d(1, 1, 3))
    with pytest.raises(TypeError, match=r"torch.nn.Conv2d \(at 'model.1'\)"):
        from_torch(tm)

    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"no PyTorch equivalent for Custom \(at 'model.1'\)"):
        to_torch(nn.Sequential(nn.ReLU(), Custom()))


def test_tensors_share_memory_both_ways():
    t = tensor(np.arange(6, dtype=np.float32))
    pt = tensor_to_torch(t)
    pt[0] = 42.0
    assert t.numpy()[0] == 42.0
    back = tensor_from_torch(pt)
    back.numpy()[1] = -1.0
    assert pt[1].item() == -1.0
    arr = np.ones(3)
    assert chainrule.as_tensor(arr).numpy() is arr or np.shares_memory(
        chainrule.as_tensor(arr).numpy(), arr
    )
