"""The playground end to end in headless Chromium (Debian's chromium-headless-shell, driven by Playwright).

It loads the page, trains, removes the nonlinearity, steps through backprop on one example and
checks the numbers against chainrule, round-trips a link, exports both scripts and runs them.
``.ci/run`` installs the browser; elsewhere these tests skip with the reason.
Set CHAINRULE_SCREENSHOTS=DIR to save the three screenshots docs/playground.md shows.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")

from playwright.sync_api import sync_playwright

import chainrule
from chainrule.playground import Config
from chainrule.playground.datasets import make_points, split
from chainrule.playground.session import build_model, loss_fn

BROWSER = "/usr/bin/chromium-headless-shell"
ROOT = Path(__file__).resolve().parents[1]
SHOTS = os.environ.get("CHAINRULE_SCREENSHOTS")
PG = "window.chainrulePlayground"


def start_server(port: int = 0) -> tuple[Any, threading.Thread, int]:
    import uvicorn

    from chainrule.playground.server import create_app

    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(), port=port, log_level="warning", ws="websockets-sansio")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    return server, thread, port


def stop_server(server: Any, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url():
    server, thread, port = start_server()
    yield f"http://127.0.0.1:{port}/"
    stop_server(server, thread)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(BROWSER):
        pytest.skip(f"no headless Chromium at {BROWSER} (apt-get install chromium-headless-shell)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=BROWSER)
        yield b
        b.close()


@pytest.fixture()
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors


def open_page(page: Any, base_url: str, query: str = "") -> None:
    page.goto(base_url + query)
    page.wait_for_function(f"{PG} && {PG}.state.frame && {PG}.state.points")


def wait_config(page: Any, **expected) -> None:
    checks = " && ".join(
        f"JSON.stringify({PG}.state.config.{k}) === {json.dumps(json.dumps(v, separators=(',', ':')))}"
        for k, v in expected.items()
    )
    page.wait_for_function(f"{PG}.state.frame && {PG}.state.frame.step === 0 && {checks}")


def train(page: Any, seconds: float) -> dict:
    page.click("#pg-play")
    page.wait_for_function(f"{PG}.state.playing")
    time.sleep(seconds)
    page.click("#pg-play")
    page.wait_for_function(f"!{PG}.state.playing")
    time.sleep(0.3)  # the last frame in flight
    return page.evaluate(f"{PG}.state.frame")


def shown(page: Any, selector: str) -> float:
    return float(page.inner_text(selector))


def test_training_lowers_the_shown_loss_and_changes_the_boundary(page, base_url):
    open_page(
        page,
        base_url,
        "?data=spiral&classes=3&n=300&noise=0.1&hidden=16,16&act=relu,relu&lr=0.02&val=0.2",
    )
    wait_config(page, data="spiral", hidden=[16, 16])
    before_loss = shown(page, "#pg-train-loss")
    before = page.evaluate(f"{PG}.state.frame.grid.cls")
    after = train(page, 3.0)
    assert after["step"] > 100
    assert shown(page, "#pg-train-loss") < 0.5 * before_loss
    changed = np.mean(np.array(after["grid"]["cls"]) != np.array(before))
    assert changed > 0.2  # a fifth of the heatmap changed class
    assert shown(page, "#pg-train-acc") > 0.8
    assert (
        float(page.inner_text("#pg-fps")) >= 5
    )  # the page's own count; the benchmark measures it properly
    if SHOTS:
        page.screenshot(
            path=f"{SHOTS}/playground_training.png",
            clip={"x": 0, "y": 0, "width": 1300, "height": 560},
        )


def test_none_activations_lose_accuracy_on_moons(page, base_url):
    open_page(page, base_url, "?data=moons&n=300&noise=0.1&hidden=8,8&act=relu,relu&lr=0.03")
    wait_config(page, data="moons", act=["relu", "relu"])
    train(page, 2.0)
    relu = shown(page, "#pg-train-acc")
    page.select_option("#pg-act-all", "none")
    wait_config(page, act=["none", "none"])
    train(page, 2.0)
    linear = shown(page, "#pg-train-acc")
    assert relu > 0.97 and linear < 0.92 and linear < relu - 0.05
    if SHOTS:
        page.screenshot(
            path=f"{SHOTS}/playground_no_nonlinearity.png",
            clip={"x": 0, "y": 0, "width": 1300, "height": 560},
        )


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def test_backprop_steps_show_upstream_times_local_and_end_at_chainrules_gradients(page, base_url):
    open_page(page, base_url, "?data=xor&n=100&hidden=4&act=tanh&seed=3")
    wait_config(page, data="xor", hidden=[4], seed=3)
    page.fill("#pg-bp-index", "5")
    page.click("#pg-bp-run")
    page.wait_for_selector("#pg-bp-table tr.current")
    accumulated = 0
    for _ in range(12):
        page.click("#pg-bp-next")
        formula = page.inner_text("#pg-bp-formula")
        for line in formula.splitlines()[1:]:
            nums = [
                float(v) for v in NUMBER.findall(line.split("downstream = upstream × local = ")[1])
            ]
            upstream, local, downstream = nums[:3]
            assert downstream == pytest.approx(upstream * local, rel=2e-5, abs=1e-9), line
            if "added into" in line:
                before, share, total = nums[-3:]
                assert total == pytest.approx(before + share, rel=2e-5, abs=1e-9)
                accumulated += 1
    page.click("#pg-bp-end")
    page.wait_for_selector("#pg-bp-grads tr[data-name]")
    assert (
        page.locator("#pg-bp-table .accum").count() > 0
    )  # x and the hidden units feed several nodes
    # The same gradients, computed here with chainrule's tensor engine from the same settings.
    config = Config.from_dict({"data": "xor", "n": 100, "hidden": [4], "act": ["tanh"], "seed": 3})
    X, y = make_points("xor", 100, 0.1, 3)
    train_idx, _ = split(100, config.val, 3)
    model = build_model(config)
    x, target = X[train_idx][5], int(y[train_idx][5])
    loss_fn("ce", model(chainrule.tensor(x[None])), chainrule.tensor([target])).backward()
    rows = page.locator("#pg-bp-grads tr[data-name]")
    assert rows.count() == 4 * 2 + 4 + 2 * 4 + 2
    W1 = model[0].weight.grad.numpy()
    for i in range(4):
        for j in range(2):
            cells = page.locator(f'#pg-bp-grads tr[data-name="W1[{i},{j}]"] td').all_inner_texts()
            assert float(cells[1]) == pytest.approx(float(W1[i, j]), rel=1e-4, abs=1e-7)
            assert float(cells[2]) == pytest.approx(float(W1[i, j]), rel=1e-4, abs=1e-7)
    b2 = model[2].bias.grad.numpy()
    assert float(
        page.locator('#pg-bp-grads tr[data-name="b2[1]"] td').all_inner_texts()[1]
    ) == pytest.approx(float(b2[1]), rel=1e-4, abs=1e-7)
    # .grad before and after zero_grad, and the second backward, predicted then revealed
    page.click("#pg-freeze")
    page.click("#pg-acc-run")
    page.wait_for_selector("#pg-acc .acc-value")
    assert "?" in page.locator("#pg-acc .acc-value").nth(2).inner_text()
    page.fill("#pg-prediction", "twice the first")
    page.click("#pg-record")
    page.click("#pg-reveal")
    values = page.locator("#pg-acc .acc-value").all_inner_texts()
    assert values[0] == "None" and values[3] == "None"
    first, second = float(values[1].split()[0]), float(values[2].split()[0])
    assert second == pytest.approx(2 * first, rel=1e-5) and "= 2 × the first" in values[2]
    assert "revealed" in page.inner_text(
        "#pg-predictions"
    ) and "twice the first" in page.inner_text("#pg-predictions")
    if SHOTS:
        page.click("#pg-bp-run")
        page.wait_for_selector("#pg-bp-table tr.current")
        for _ in range(7):
            page.click("#pg-bp-next")
        top = page.evaluate(
            "document.querySelector('.panel[data-control=accumulation]').getBoundingClientRect().top + scrollY"
        )
        clip = {"x": 0, "y": top - 10, "width": 1000, "height": 560}
        page.screenshot(path=f"{SHOTS}/playground_backprop.png", full_page=True, clip=clip)


def test_a_link_round_trips_the_state_and_hides_and_locks_controls(page, base_url):
    query = "?data=blobs&classes=4&noise=0.3&n=240&seed=7&hidden=6,5&act=tanh,sigmoid&opt=momentum&lr=0.05&loss=hinge"
    open_page(page, base_url, query + "&hide=export,backprop&lock=data,act")
    wait_config(page, data="blobs", classes=4, hidden=[6, 5], act=["tanh", "sigmoid"])
    assert page.input_value("#pg-data") == "blobs" and page.input_value("#pg-opt") == "momentum"
    assert page.input_value("#pg-act-1") == "sigmoid" and page.input_value("#pg-loss") == "hinge"
    assert (
        page.is_disabled("#pg-data")
        and page.is_disabled("#pg-act-0")
        and not page.is_disabled("#pg-lr")
    )
    assert not page.is_visible("#pg-export-torch") and not page.is_visible("#pg-bp-run")
    page.click("#pg-share")
    link = page.input_value("#pg-share-url")
    assert "hide=export%2Cbackprop" in link and "lock=data%2Cact" in link and "classes=4" in link
    open_page(page, link, "")
    wait_config(page, data="blobs", hidden=[6, 5])
    page.click("#pg-share")
    assert page.input_value("#pg-share-url") == link
    assert page.evaluate(f"{PG}.state.points.y.length") == 240


def run(path: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return float(out.stdout.split("final train loss ")[1].split()[0])


def test_both_exported_scripts_run_to_the_loss_the_page_shows(page, base_url, tmp_path):
    pytest.importorskip("torch")
    open_page(
        page, base_url, "?data=circles&n=200&hidden=8&act=relu&opt=adam&lr=0.02&batch=16&val=0.25"
    )
    wait_config(page, data="circles", batch=16)
    for _ in range(25):
        page.click("#pg-step")
    page.wait_for_function(f"{PG}.state.frame.step === 25")
    loss = page.evaluate(f"{PG}.state.frame.train_loss")
    files = {}
    for kind in ("chainrule", "torch", "checkpoint"):
        with page.expect_download() as info:
            page.click(f"#pg-export-{kind}")
        files[kind] = tmp_path / info.value.suggested_filename
        info.value.save_as(files[kind])
    assert "import torch  #" in files["torch"].read_text()
    assert run(files["chainrule"]) == pytest.approx(loss, abs=2e-6)
    assert run(files["torch"]) == pytest.approx(loss, rel=1e-4, abs=1e-5)
    assert chainrule.load(files["checkpoint"])["step"] == 25


def test_bad_input_in_the_page_gets_a_message_and_a_second_tab_is_told(page, base_url, tmp_path):
    open_page(page, base_url)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n0.1,0.2,0\n0.3,oops,1\n")
    page.set_input_files("#pg-csv", str(bad))
    page.wait_for_function("document.querySelector('#message').className === 'error'")
    assert "CSV line 3" in page.inner_text("#message")
    page.fill("#pg-hidden", "8,100000")
    page.dispatch_event("#pg-hidden", "change")
    page.wait_for_function(
        "document.querySelector('#message').textContent.includes('between 1 and 32')"
    )
    page.click("#pg-step")  # the session survived both
    page.wait_for_function(f"{PG}.state.frame.step === 1")
    good = tmp_path / "good.csv"
    good.write_text(
        "x,y,label\n"
        + "\n".join(f"{np.cos(t):.3f},{np.sin(t):.3f},{int(t > 3)}" for t in np.linspace(0, 6, 40))
    )
    page.set_input_files("#pg-csv", str(good))
    page.wait_for_function(
        f"{PG}.state.points.y.length === 40 && {PG}.state.config.data === 'custom'"
    )
    box = page.locator("#pg-boundary").bounding_box()
    page.mouse.click(box["x"] + 200, box["y"] + 200)  # the centre: (0, 0)
    page.wait_for_function(f"{PG}.state.points.y.length === 41")
    second = page.context.new_page()
    open_page(second, base_url)
    second.wait_for_function(
        "document.querySelector('#message').textContent.includes('tabs are open')"
    )
    second.close()


def test_the_same_module_renders_through_a_widget_style_model(page, base_url):
    # anywidget hands render() a model with send() and on("msg:custom"); here it is bridged
    # to a socket by hand, with no "connected" event, as in a notebook.
    open_page(page, base_url)
    page.evaluate(
        """async () => {
        const pg = await import("/static/playground.js");
        const sock = new WebSocket(`ws://${location.host}/ws`);
        const listeners = [];
        await new Promise((resolve) => { sock.onopen = resolve; });
        sock.onmessage = (e) => listeners.forEach((cb) => cb(JSON.parse(e.data)));
        const el = document.createElement("div");
        el.id = "widget";
        document.body.appendChild(el);
        const model = { send: (m) => sock.send(JSON.stringify(m)), on: (e, cb) => listeners.push(cb) };
        pg.default.render({ model, el });
    }"""
    )
    page.wait_for_function("document.querySelector('#widget #pg-stepcount').textContent === '0'")
    page.wait_for_function(
        "!isNaN(parseFloat(document.querySelector('#widget #pg-train-loss').textContent))"
    )
    page.locator("#widget #pg-step").click()
    page.wait_for_function("document.querySelector('#widget #pg-stepcount').textContent === '1'")


def test_a_closed_connection_is_said_in_the_page_and_it_reconnects_with_its_settings(page):
    server, thread, port = start_server()
    open_page(page, f"http://127.0.0.1:{port}/", "?data=circles&hidden=5")
    wait_config(page, data="circles", hidden=[5])
    stop_server(server, thread)
    page.wait_for_function("document.querySelector('#message').textContent.includes('connection')")
    assert "reconnecting" in page.inner_text("#pg-status")
    server, thread, _ = start_server(port)
    try:
        page.wait_for_function(
            "document.querySelector('#pg-status').textContent.startsWith('connected')"
        )
        wait_config(page, data="circles", hidden=[5])  # the page sent its settings again
        page.click("#pg-step")
        page.wait_for_function(f"{PG}.state.frame.step === 1")
    finally:
        stop_server(server, thread)
