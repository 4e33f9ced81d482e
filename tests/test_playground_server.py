"""The playground below the browser: settings, the session, backprop numbers, exports, the server, the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip(
    "starlette", reason="the playground extra (starlette, uvicorn) is not installed"
)

import chainrule
from chainrule.playground import Config, ConfigError, Controller, Session
from chainrule.playground.backprop import accumulation, trace_example
from chainrule.playground.datasets import CSVError, make_points, parse_csv
from chainrule.playground.export import checkpoint, script
from chainrule.playground.session import batches

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


# ---- settings ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, words",
    [
        ({"n": 10**9}, "n must be between 4 and 2000"),
        ({"hidden": [8] * 50}, "at most 8 hidden layers"),
        ({"hidden": [100000]}, "hidden width must be between 1 and 32"),
        ({"lr": "fast"}, "lr must be a number"),
        ({"lr": float("nan")}, "NaN"),
        ({"data": "mnist"}, "data must be one of"),
        ({"act": ["relu", "swish"]}, "act must be one of"),
        ({"colour": 1}, "unknown setting 'colour'"),
        ({"batch": True}, "batch must be a number"),
    ],
)
def test_config_rejects_what_it_cannot_run_with_one_line_naming_it(raw, words):
    with pytest.raises(ConfigError, match=words):
        Config.from_dict(raw)


def test_config_repeats_the_last_activation_for_extra_layers_and_strings_work_like_the_url():
    c = Config.from_dict({"hidden": "4,4,4", "act": "tanh", "lr": "0.5", "n": "100"})
    assert c.hidden == [4, 4, 4] and c.act == ["tanh"] * 3 and c.lr == 0.5 and c.n == 100


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
fields = st.sampled_from(list(Config.__dataclass_fields__))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(fields, junk, max_size=5))
def test_any_config_the_page_sends_is_either_used_or_refused_with_a_config_error(raw):
    try:
        c = Config.from_dict(raw)
    except ConfigError as e:
        assert "\n" not in str(e)
        return
    assert 2 <= c.classes <= 5 and 4 <= c.n <= 2000 and len(c.act) == len(c.hidden)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk)
def test_any_message_gets_an_answer_and_never_an_exception(message):
    answers = Controller(Config(n=40, hidden=[3])).handle(message)
    assert answers and all(isinstance(a, dict) and "type" in a for a in answers)


# ---- points and CSV ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spiral", "blobs"])
@pytest.mark.parametrize("classes", [2, 5])
def test_every_data_set_fits_the_drawn_box_with_the_asked_classes(name, classes):
    X, y = make_points(name, 300, noise=0.2, seed=3, classes=classes)
    expected = classes if name in ("spiral", "blobs") else 2
    assert (
        X.shape == (300, 2) and np.abs(X).max() <= 1.5 and set(y.tolist()) == set(range(expected))
    )
    X2, _ = make_points(name, 300, noise=0.2, seed=3, classes=classes)
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize(
    "text, words",
    [
        ("1,2\n3,4\n", "line 1: expected 3 columns"),
        ("x,y,label\n0,0,0\n1,1,abc\n", "line 3: '1,1,abc' is not three numbers"),
        ("0,0,0\n1,1,7\n", "line 2: the label must be a class 0..4"),
        ("0,0,0\n1,1,0.5\n", "the label must be a class"),
        ("0,0,0\ninf,1,1\n", "finite"),
        ("0,0,0\n", "at least 4 points"),
        ("0,0,0\n" * 70000, "larger than 200 kB"),
        ("", "at least 4 points"),
    ],
)
def test_a_malformed_csv_is_refused_naming_the_line(text, words):
    with pytest.raises(CSVError, match=words):
        parse_csv(text)


def test_a_csv_replaces_the_points_and_the_classes_follow_its_labels():
    c = Controller()
    rows = "\n".join(
        f"{np.cos(t):.3f},{np.sin(t):.3f},{k % 3}" for k, t in enumerate(np.linspace(0, 6, 30))
    )
    answers = c.handle({"type": "csv", "text": "x,y,label\n" + rows})
    points = next(a for a in answers if a["type"] == "points")
    assert (
        len(points["y"]) == 30 and points["classes"] == 3 and points["config"]["data"] == "custom"
    )
    assert any(a["type"] == "info" and "30 points" in a["message"] for a in answers)


def test_clicking_adds_and_removes_points_and_off_box_clicks_are_refused():
    c = Controller(Config(data="xor", n=20))
    added = c.handle({"type": "add_point", "x": 0.5, "y": 0.5, "cls": 2})
    assert len(added[0]["y"]) == 21 and added[0]["classes"] == 3
    removed = c.handle({"type": "remove_point", "x": 0.5, "y": 0.5})
    assert len(removed[0]["y"]) == 20
    assert c.handle({"type": "remove_point", "x": 1.49, "y": -1.49})[0]["type"] in (
        "info",
        "points",
    )
    assert (
        "outside the drawn box"
        in c.handle({"type": "add_point", "x": 9, "y": 0, "cls": 0})[0]["message"]
    )


# ---- the session ---------------------------------------------------------------------------------
def test_batches_are_seeded_full_batches_covering_each_epoch_once():
    it = batches(10, 3, seed=1)
    epoch = np.concatenate([next(it) for _ in range(3)])
    assert len(set(epoch.tolist())) == 9
    again = batches(10, 3, seed=1)
    np.testing.assert_array_equal(next(again), epoch[:3])
    np.testing.assert_array_equal(next(batches(5, 50, 0)), np.arange(5))


def test_training_lowers_the_loss_and_the_boundary_changes():
    s = Session(Config(data="moons", n=300, hidden=[8, 8]))
    first = s.frame()
    s.train(300)
    last = s.frame()
    assert last["train_loss"] < 0.5 * first["train_loss"] and last["train_acc"] > 0.95
    assert last["grid"]["cls"] != first["grid"]["cls"]


def test_removing_the_nonlinearity_costs_accuracy_on_moons():
    accs = {}
    for act in ("relu", "none"):
        s = Session(Config(data="moons", n=300, hidden=[8, 8], act=[act]))
        s.train(600)
        accs[act] = s.frame()["train_acc"]
    assert accs["relu"] > 0.97 and accs["none"] < 0.92


def test_a_deep_sigmoid_stack_with_normal_init_has_vanishing_first_layer_gradients():
    s = Session(
        Config(data="moons", hidden=[8] * 8, act=["sigmoid"], init="normal", opt="sgd", lr=0.01)
    )
    s.train(1)
    assert s.grad_norms[0] < 0.05 * s.grad_norms[-1]


@pytest.mark.parametrize("opt", ["sgd", "momentum"])  # Adam's steps are bounded by lr
def test_a_diverging_run_stops_with_a_message(opt):
    c = Controller(
        Config(
            data="blobs", classes=3, loss="mse", opt=opt, lr=10.0, hidden=[32, 32], init="normal"
        )
    )
    answers = c.handle({"type": "step", "n": 200})
    assert answers[0]["type"] == "error" and "lower the learning rate" in answers[0]["message"]


# ---- backprop, step by step ----------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["ce", "mse", "hinge"])
@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "none"])
def test_the_scalar_trace_is_the_chain_rule_and_agrees_with_the_tensor_engine(loss, act):
    s = Session(Config(data="circles", n=60, hidden=[3, 2], act=[act], loss=loss))
    s.train(5)
    t = trace_example(s.model, s.config, s.X_train[1], int(s.y_train[1]))
    received: dict[str, float] = {}
    for step in t["steps"]:
        for e in step["inputs"]:
            assert e["downstream"] == pytest.approx(
                step["upstream"] * e["local"], rel=1e-12, abs=1e-15
            )
            assert e["before"] == received.get(e["input"])
            received[e["input"]] = (e["before"] or 0.0) + e["downstream"]
            assert e["after"] == pytest.approx(received[e["input"]])
    assert any(
        e["before"] is not None for step in t["steps"] for e in step["inputs"]
    )  # x feeds many
    assert len(t["scalar_grads"]) == 3 * 3 + 2 * 4 + 2 * 3
    for name, g in t["scalar_grads"].items():
        assert g == pytest.approx(t["tensor_grads"][name], rel=1e-4, abs=1e-6), name


def test_the_scalar_trace_agrees_with_pytorch_on_the_same_weights():
    torch = pytest.importorskip("torch")
    s = Session(Config(data="spiral", classes=3, n=90, hidden=[4], act=["tanh"]))
    x, target = s.X_train[0], int(s.y_train[0])
    t = trace_example(s.model, s.config, x, target)
    W1, b1 = (
        torch.tensor(s.model[0].weight.numpy(), dtype=torch.float64, requires_grad=True),
        torch.tensor(s.model[0].bias.numpy(), dtype=torch.float64, requires_grad=True),
    )
    W2, b2 = (
        torch.tensor(s.model[2].weight.numpy(), dtype=torch.float64, requires_grad=True),
        torch.tensor(s.model[2].bias.numpy(), dtype=torch.float64, requires_grad=True),
    )
    logits = torch.tanh(torch.tensor(x, dtype=torch.float64) @ W1.T + b1) @ W2.T + b2
    torch.nn.functional.cross_entropy(logits[None], torch.tensor([target])).backward()
    assert t["loss"] == pytest.approx(
        float(torch.nn.functional.cross_entropy(logits[None], torch.tensor([target])))
    )
    for i in range(4):
        assert t["scalar_grads"][f"b1[{i}]"] == pytest.approx(
            float(b1.grad[i]), rel=1e-9, abs=1e-12
        )
        for j in range(2):
            assert t["scalar_grads"][f"W1[{i},{j}]"] == pytest.approx(
                float(W1.grad[i, j]), rel=1e-9, abs=1e-12
            )
    for k in range(3):
        assert t["scalar_grads"][f"W2[{k},1]"] == pytest.approx(
            float(W2.grad[k, 1]), rel=1e-9, abs=1e-12
        )


def test_a_second_backward_without_zero_grad_doubles_the_gradient_and_zero_grad_drops_it():
    s = Session(Config(data="xor", n=40))
    a = accumulation(s.model, s.config, s.X_train[0], int(s.y_train[0]))
    g = [r["grad"] for r in a["rows"]]
    assert g[0] is None and g[3] is None and g[1] != 0.0
    assert g[2] == pytest.approx(2 * g[1], rel=1e-6)
    assert all(p.grad is None for p in s.model.parameters())  # the run's own state is untouched


def test_backprop_on_a_network_too_wide_to_read_is_refused_with_a_reason():
    c = Controller(Config(hidden=[32, 32]))
    assert (
        "at most 3 hidden layers of width 16"
        in c.handle({"type": "backprop", "index": 0})[0]["message"]
    )
    assert "example must be 0.." in c.handle({"type": "accumulation", "index": 10**6})[0]["message"]


# ---- export ----------------------------------------------------------------------------------------
def run_script(tmp_path: Path, text: str, name: str) -> float:
    path = tmp_path / name
    path.write_text(text)
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=env(), timeout=300
    )
    assert out.returncode == 0, out.stderr
    return float(out.stdout.split("final train loss ")[1].split()[0])


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings_",
    [
        {"opt": "adam", "loss": "ce"},
        {"opt": "momentum", "loss": "mse", "l2": 0.01},
        {"opt": "sgd", "loss": "hinge", "batch": 500},
    ],
)
def test_both_exported_scripts_replay_the_run_to_the_loss_the_page_showed(tmp_path, settings_):
    pytest.importorskip("torch")
    s = Session(
        Config.from_dict(
            {"data": "moons", "n": 200, "hidden": [6, 6], "act": ["tanh"], "lr": 0.05, **settings_}
        )
    )
    s.train(60)
    shown = s.frame()["train_loss"]
    ours = run_script(tmp_path, script(s, "chainrule"), "c.py")
    theirs = run_script(tmp_path, script(s, "torch"), "t.py")
    assert ours == pytest.approx(shown, abs=2e-6)
    assert theirs == pytest.approx(shown, rel=1e-4, abs=1e-5)
    ours_text, theirs_text = script(s, "chainrule").splitlines(), script(s, "torch").splitlines()
    differ = [(a, b) for a, b in zip(ours_text, theirs_text) if a != b]
    assert len(ours_text) == len(theirs_text) and len(differ) == 2  # the file name and the import
    assert differ[1][0].startswith("import chainrule as torch") and differ[1][1].startswith(
        "import torch"
    )


def test_the_checkpoint_loads_with_chainrule_into_the_same_model(tmp_path):
    s = Session(Config(data="xor", n=40, hidden=[4]))
    s.train(10)
    path = tmp_path / "playground.pt"
    path.write_bytes(checkpoint(s))
    loaded = chainrule.load(path)
    assert loaded["step"] == 10 and loaded["config"]["hidden"] == [4]
    fresh = Session(Config(data="xor", n=40, hidden=[4], seed=5))
    fresh.model.load_state_dict(loaded["state_dict"])
    np.testing.assert_array_equal(fresh.model[0].weight.numpy(), s.model[0].weight.numpy())


def test_export_messages_carry_the_files():
    c = Controller(Config(n=40))
    a = c.handle({"type": "export", "kind": "torch"})[0]
    assert a["filename"] == "playground_torch.py" and "import torch" in a["text"]
    assert c.handle({"type": "export", "kind": "checkpoint"})[0]["base64"]
    assert c.handle({"type": "export", "kind": "onnx"})[0]["type"] == "error"


# ---- the server ------------------------------------------------------------------------------------
@pytest.fixture()
def client():
    from starlette.testclient import TestClient

    from chainrule.playground.server import create_app

    with TestClient(create_app()) as c:
        yield c


def receive_until(ws, kind: str, limit: int = 50) -> dict:
    for _ in range(limit):
        m = ws.receive_json()
        if m["type"] == kind:
            return m
    raise AssertionError(f"no {kind!r} message")


def test_the_page_and_its_files_are_served_with_no_outside_address(client):
    page = client.get("/")
    assert page.status_code == 200 and "playground.js" in page.text
    js = client.get("/static/playground.js")
    assert js.status_code == 200 and "export default" in js.text
    for text in (page.text, js.text, client.get("/static/playground.css").text):
        assert (
            "http://" not in text.replace("http://www.w3.org/2000/svg", "")
            and "https://" not in text
        )
    assert client.get("/health").json()["ok"] is True


def test_a_tab_trains_over_the_socket_and_plays_and_pauses(client):
    with client.websocket_connect("/ws") as ws:
        assert [ws.receive_json()["type"] for _ in range(3)] == ["points", "frame", "state"]
        ws.send_json(
            {"type": "config", "config": {"data": "xor", "n": 100, "hidden": [4], "act": ["tanh"]}}
        )
        first = receive_until(ws, "frame")
        ws.send_json({"type": "play", "speed": 5})
        frames = [receive_until(ws, "frame") for _ in range(3)]
        ws.send_json({"type": "pause"})
        assert receive_until(ws, "state")["playing"] is False
        assert frames[-1]["step"] > frames[0]["step"] > first["step"]


def test_bad_input_gets_a_message_and_the_socket_keeps_working(client):
    with client.websocket_connect("/ws") as ws:
        for _ in range(3):
            ws.receive_json()
        ws.send_text("{not json")
        assert "not JSON" in ws.receive_json()["message"]
        ws.send_text("x" * 1_000_001)
        assert "refused" in ws.receive_json()["message"]
        ws.send_json({"type": "config", "config": {"n": 10**9}})
        assert "n must be between" in ws.receive_json()["message"]
        ws.send_json({"type": "csv", "text": "a,b\n"})
        assert "CSV line 1" in ws.receive_json()["message"]
        ws.send_json({"type": "launch"})
        assert "unknown message type" in ws.receive_json()["message"]
        ws.send_json({"type": "step", "n": 2})
        assert ws.receive_json()["step"] == 2


def test_numbers_json_cannot_carry_become_a_message(client, monkeypatch):
    from chainrule.playground import protocol

    monkeypatch.setattr(
        protocol.Session, "frame", lambda self: {"type": "frame", "train_loss": float("nan")}
    )
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_json()["type"] == "points"
        assert "NaN or infinite" in ws.receive_json()["message"]


def test_two_tabs_train_separately_and_a_closed_one_leaves_the_server_running(client):
    with client.websocket_connect("/ws") as one:
        for _ in range(3):
            one.receive_json()
        with client.websocket_connect("/ws") as two:
            for _ in range(3):
                two.receive_json()
            assert "2 tabs are open" in two.receive_json()["message"]
            two.send_json({"type": "step", "n": 3})
            assert two.receive_json()["step"] == 3
            one.send_json({"type": "step", "n": 1})
            assert one.receive_json()["step"] == 1
        one.send_json({"type": "play"})  # the other tab went away mid-game: this one plays on
        assert receive_until(one, "frame")["step"] > 1
    with client.websocket_connect("/ws") as again:
        assert again.receive_json()["type"] == "points"
    assert client.get("/health").json()["tabs"] == 0


def test_the_widget_answers_through_the_same_controller():
    pytest.importorskip("anywidget")
    import chainrule.playground.notebook_widget  # noqa: F401 (a loaded submodule must not shadow widget())
    from chainrule.playground import widget

    w = widget(data="xor", n=40)
    sent = []
    w.send = sent.append
    w._on_message(w, {"type": "hello"}, [])
    assert [m["type"] for m in sent] == ["points", "frame", "state"]
    w._on_message(w, {"type": "step", "n": 2}, [])
    assert sent[-1]["type"] == "frame" and sent[-1]["step"] == 2
    assert "export default" in str(w._esm)  # the page's own module


# ---- the command -----------------------------------------------------------------------------------
def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainrule.cli", *args],
        capture_output=True,
        text=True,
        env=env(),
        timeout=60,
        **kw,
    )


def test_a_bad_port_is_a_usage_error_and_a_busy_one_a_run_error():
    out = cli("playground", "--port", "0", "--no-browser")
    assert out.returncode == 2 and "--port must be 1..65535" in out.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = cli("playground", "--port", str(port), "--no-browser")
    assert out.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_server_says_it_is_on_loopback_serves_and_stops_cleanly_on_ctrl_c():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule.cli", "playground", "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line and "loopback only" in line
        import httpx

        for _ in range(50):
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health").json()["ok"]
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err


def test_the_benchmark_runs_and_reports_both_rates():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_playground.py"), "--smoke"],
        capture_output=True,
        text=True,
        env=env(),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert (
        "steps/s" in out.stdout
        and "frames/s" in out.stdout
        and json.loads(out.stdout.splitlines()[-1])
    )
