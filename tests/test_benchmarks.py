"""The benchmark scripts run and their comparisons are sound (a smoke test: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_mlp_benchmark_smoke_run_compares_the_same_work():
    pytest.importorskip("torch")
    out = run("bench_mlp.py", "--smoke")
    assert out.returncode == 0, out.stderr
    for line in (
        "chainrule / numpy floor",
        "chainrule / torch",
        "peak NumPy memory",
        "max |weight difference| chainrule vs numpy",
    ):
        assert line in out.stdout


def test_scalar_benchmark_smoke_run():
    pytest.importorskip("micrograd", reason="micrograd==0.1.0 is installed for the benchmark only")
    out = run("bench_scalar.py", "--steps", "2")
    assert out.returncode == 0, out.stderr
    assert "speed-up of chainrule over micrograd" in out.stdout


def test_train_epoch_benchmark_smoke_run():
    pytest.importorskip("torch")
    if not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    out = run("bench_train_epoch.py", "--images", "640", "--rounds", "1")
    assert out.returncode == 0, out.stderr
    assert "ratio" in out.stdout.lower() or "/" in out.stdout


def test_dataloader_benchmark_smoke_run():
    out = run("bench_dataloader.py", "--epochs", "1", "--steps", "5")
    assert out.returncode == 0, out.stderr


def test_collate_benchmark_smoke_run_collates_the_same_batch():
    pytest.importorskip("torch")
    out = run("bench_collate.py", "--repeats", "2", "--rounds", "1")
    assert out.returncode == 0, out.stderr  # the script asserts both batches are equal first
    assert "ratio chainrule/torch" in out.stdout


def test_scalar_modes_benchmark_smoke_run():
    out = run("bench_scalar_modes.py", "--sizes", "4", "8", "--repeats", "1")
    assert out.returncode == 0, out.stderr
    assert "the three gradients agree" in out.stdout and "slope of log(time)" in out.stdout


def test_lab_grade_benchmark_smoke_run():
    pytest.importorskip("jupytext", reason="building the lab's notebooks needs jupytext")
    out = run("bench_lab_grade.py", "--submissions", "2")
    assert out.returncode == 0, out.stderr
    assert "against the 300 s budget" in out.stdout and "idle cores" in out.stdout


def test_higher_order_benchmark_smoke_run_checks_against_torch():
    pytest.importorskip("torch")
    out = run("bench_higher_order.py", "--smoke")
    assert out.returncode == 0, out.stderr + out.stdout
    assert "max relative difference vs torch" in out.stdout
    for name in ("grad create_graph", "hvp", "jvp", "grad of grad norm"):
        assert name in out.stdout


def test_mlp_benchmark_takes_a_thread_count():
    pytest.importorskip("torch")
    out = run("bench_mlp.py", "--smoke", "--threads", "1")
    assert out.returncode == 0, out.stderr
    assert "chainrule / numpy floor" in out.stdout


def test_contention_benchmark_smoke_run():
    out = run("bench_contention.py", "--images", "640", "--rounds", "1", "--threads", "1")
    assert out.returncode == 0, out.stderr
    assert "threads 1: contended / quiet = " in out.stdout


def test_mlp_phase_benchmark_smoke_run_reports_every_phase():
    out = run("bench_mlp_phases.py", "--smoke")
    assert out.returncode == 0, out.stderr
    for phase in ("forward", "loss", "backward", "step", "total"):
        assert out.stdout.count(f"{phase:>10} ") == 2, phase  # the MLP and the fixed cost
    assert "fixed cost of a step" in out.stdout
