"""The micrograd-compatible ``Neuron``/``Layer``/``MLP`` and micrograd's own demo."""

from __future__ import annotations

import random

import pytest

from chainrule.demos.scalar_moons import make_moons, train_moons
from chainrule.scalar import MLP, Layer, Neuron, Value


def test_mlp_shapes_and_parameter_count():
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    assert [len(layer.neurons) for layer in model.layers] == [16, 16, 1]
    assert str(model).startswith("MLP of [Layer of [ReLUNeuron(2)")
    assert str(model.layers[-1]) == "Layer of [LinearNeuron(16)]"


def test_hidden_layers_use_relu_and_the_last_layer_is_linear():
    random.seed(1)
    model = MLP(1, [1, 1])
    hidden, last = model.layers[0].neurons[0], model.layers[1].neurons[0]
    hidden.w[0].data, last.w[0].data, last.b.data = 1.0, 1.0, -5.0
    assert model([-3.0]).data == -5.0  # relu(-3) = 0, then 0 * 1 - 5, no relu at the end
    assert model([2.0]).data == -3.0


@pytest.mark.parametrize(
    "activation, expected",
    [("relu", 0.0), ("tanh", -0.7615941559557649), ("sigmoid", 0.2689414213699951), (None, -1.0)],
)
def test_activation_choice(activation, expected):
    n = Neuron(1, activation=activation)
    n.w[0].data = 1.0
    assert n([-1.0]).data == pytest.approx(expected)


def test_unknown_activation_and_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        MLP(2, [3, 1], activation="softplus")
    with pytest.raises(ValueError, match="positive number of inputs"):
        Neuron(0)
    with pytest.raises(ValueError, match="positive number of outputs"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])


def test_fused_and_unfused_neurons_give_identical_numbers():
    X, y = make_moons(20, seed=5)
    random.seed(7)
    fused = MLP(2, [8, 8, 1])
    random.seed(7)
    plain = MLP(2, [8, 8, 1], fused=False)
    for model in (fused, plain):
        loss = sum(
            ((1 + -yi * model(list(map(Value, row)))).relu() for row, yi in zip(X, y)), Value(0.0)
        )
        loss.backward()
        model.loss = loss.data
    assert fused.loss == plain.loss
    assert [p.grad for p in fused.parameters()] == [p.grad for p in plain.parameters()]


def test_micrograd_demo_reaches_95_percent_training_accuracy():
    history = train_moons(Value, MLP, steps=100)
    assert history.accuracies[-1] >= 0.95
    assert history.losses[-1] < 0.1 * history.losses[0]


def test_same_demo_code_drives_micrograd_and_gives_the_same_losses():
    micrograd = pytest.importorskip("micrograd")  # installed with the bench extra only
    from micrograd.engine import Value as MGValue
    from micrograd.nn import MLP as MGMLP

    ours = train_moons(Value, MLP, steps=3)
    theirs = train_moons(MGValue, MGMLP, steps=3)
    assert ours.losses == pytest.approx([float(v) for v in theirs.losses], rel=1e-12)
    assert micrograd is not None


def test_make_moons_is_seeded_and_balanced():
    X1, y1 = make_moons(100, seed=3)
    X2, y2 = make_moons(100, seed=3)
    assert (X1 == X2).all() and (y1 == y2).all()
    assert X1.shape == (100, 2) and sorted(set(y1.tolist())) == [-1, 1]
    assert (y1 == 1).sum() == 50
