"""Classify your own images with a trained model, after making them look like MNIST's.

MNIST digits are white on black, scaled to fit a 20×20 box (aspect kept) and centred by their
centre of mass in a 28×28 frame. A photo or a drawing is brought to that form, step by step:

1. read it with Pillow as grayscale in [0, 1] (transparent parts count as white paper);
2. invert it when its border is light (mean of the outer ring > 0.5): ink becomes bright;
3. stretch the contrast so the border level is 0 and the brightest pixel 1;
4. crop to the ink's bounding box, pad it to a square (aspect preserved), resize it to 20×20;
5. paste it into a black 28×28 frame so its centre of mass sits at the centre;
6. standardise like the training data: ``(x − mean) / std``, flattened to 784.

>>> import numpy as np
>>> paper = np.ones((60, 40), np.float32); paper[10:50, 15:25] = 0.0   # a dark bar on white paper
>>> frame = to_mnist_frame(paper)
>>> frame.shape, float(frame[0, 0]), bool(frame[14, 14] > 0.9)
((28, 28), 0.0, True)
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule._tensor import as_tensor
from chainrule.autograd import no_grad
from chainrule.nn import functional as F
from chainrule.training.models import LoadedModel

__all__ = [
    "ImageError",
    "Prediction",
    "read_grayscale",
    "to_mnist_frame",
    "prepare_image",
    "predict_images",
]

FRAME, BOX = 28, 20  # MNIST's frame and the box its digits are scaled into
MIN_SIZE = 28
#: The most pixels an input image may have: a 48-megapixel phone photo fits; decoding it as
#: RGBA and then float32 costs about 0.4 GB, which is where "sane" ends.
MAX_PIXELS = 50_000_000
#: The image types ``chainrule predict`` reads (Pillow's names); others are not even tried.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")


class ImageError(ValueError):
    """A file that cannot be used as an input image; the message names the file."""


def read_grayscale(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a PNG, JPEG, BMP, GIF or WebP image as a (H, W) float32 grayscale array in [0, 1].

    Colour is turned to luma (ITU-R 601, Pillow's ``convert("L")``); an alpha channel is
    composited over white, since a drawing app's transparent canvas is the paper. The pixel
    count in the file's header is checked against :data:`MAX_PIXELS` before anything is
    decoded, so a 200-byte file claiming 30000×30000 pixels costs nothing; Pillow's own
    warnings (decompression bombs, palette quirks) are not let through: what matters is said here.
    """
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - Pillow comes with matplotlib

    if os.path.isdir(path):
        raise ImageError(f"{path}: is a directory, not an image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes; the checks below speak instead
            with Image.open(path, formats=FORMATS) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise ImageError(
                        f"{path}: {width}×{height} pixels, more than the {MAX_PIXELS:,} read "
                        "(a digit needs far fewer: shrink it first)"
                    )
                img.load()
                return _to_gray(img)
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except Image.DecompressionBombError:  # raised by Image.open itself for the largest claims
        raise ImageError(
            f"{path}: claims more than {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels; refused "
            f"before decoding (at most {MAX_PIXELS:,} are read)"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not a readable image (read: {', '.join(FORMATS)})") from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, MemoryError) as e:
        detail = " ".join(str(e).split())[:120]
        raise ImageError(f"{path}: not a readable image ({type(e).__name__}: {detail})") from None


def _to_gray(img: Any) -> np.ndarray:
    """A loaded Pillow image as (H, W) float32 in [0, 1], transparency over white paper."""
    from PIL import Image  # noqa: PLC0415

    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float grayscale
        arr = np.asarray(img, dtype=np.float32)
        return np.clip(arr / (65535.0 if arr.max() > 255 else 255.0), 0.0, 1.0)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(paper, rgba)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def _resize(x: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample (h, w) float32 to (height, width) with Pillow's Lanczos filter (antialiased when shrinking)."""
    from PIL import Image  # noqa: PLC0415

    image = Image.fromarray(np.ascontiguousarray(x, dtype=np.float32))  # float32 gives mode "F"
    out = image.resize((width, height), Image.LANCZOS)
    return np.clip(
        np.asarray(out, dtype=np.float32), 0.0, 1.0
    )  # Lanczos overshoots a little at edges


def to_mnist_frame(gray: np.ndarray) -> np.ndarray:
    """Turn a (H, W) grayscale image in [0, 1] into a 28×28 MNIST-style frame (bright ink on black).

    Steps 2–5 of the module docstring: invert if the border is light, stretch the contrast,
    crop to the ink, fit it into 20×20 keeping its aspect, centre it by mass in 28×28.
    """
    x = np.asarray(gray, dtype=np.float32)
    ring = max(1, min(x.shape) // 28)  # the outer ring, about one MNIST pixel wide
    border = np.concatenate(
        [x[:ring].ravel(), x[-ring:].ravel(), x[:, :ring].ravel(), x[:, -ring:].ravel()]
    )
    if border.mean() > 0.5:  # dark ink on light paper: MNIST is the other way round
        x, border = 1.0 - x, 1.0 - border
    background, peak = float(border.mean()), float(x.max())
    if peak - background < 1e-3:  # a blank image: nothing to centre
        return np.zeros((FRAME, FRAME), np.float32)
    x = np.clip((x - background) / (peak - background), 0.0, 1.0)

    rows, cols = np.nonzero(x > 0.2)  # the ink (faint noise below 0.2 does not stretch the box)
    x = x[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = x.shape
    side = max(h, w)  # pad to a square, so resizing keeps the aspect ratio
    square = np.zeros((side, side), np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    square[top : top + h, left : left + w] = x
    digit = _resize(square, BOX, BOX)  # (20, 20)

    # Centre of mass to the frame's centre, as MNIST was made; clipped so the box stays inside.
    total = digit.sum()
    cy = (digit.sum(1) * np.arange(BOX)).sum() / total
    cx = (digit.sum(0) * np.arange(BOX)).sum() / total
    top = int(np.clip(round(FRAME / 2 - 0.5 - cy), 0, FRAME - BOX))
    left = int(np.clip(round(FRAME / 2 - 0.5 - cx), 0, FRAME - BOX))
    frame = np.zeros((FRAME, FRAME), np.float32)
    frame[top : top + BOX, left : left + BOX] = digit
    return frame


def prepare_image(path: str | os.PathLike[str], mean: float, std: float) -> np.ndarray:
    """Read ``path`` and return the model's input: (784,) float32, standardised like training."""
    gray = read_grayscale(path)
    if min(gray.shape) < MIN_SIZE:
        raise ImageError(
            f"{path}: {gray.shape[1]}×{gray.shape[0]} pixels; need at least {MIN_SIZE}×{MIN_SIZE}"
        )
    frame = to_mnist_frame(gray)
    if not frame.any():  # one shade all over: any class the model gave would be a guess
        raise ImageError(f"{path}: the image is blank (one shade, no ink to classify)")
    return ((frame.ravel() - np.float32(mean)) / np.float32(std)).astype(np.float32)


@dataclass(frozen=True)
class Prediction:
    """One image's classes, most likely first, as ``(class name, probability)``."""

    path: str
    top: list[tuple[str, float]]


def predict_images(
    loaded: LoadedModel, paths: Sequence[str | os.PathLike[str]], k: int = 3
) -> list[Prediction]:
    """Classify each image with ``loaded.model``; return the ``k`` most likely classes per image.

    Raises ``ValueError`` when the model does not take 28×28 images (a 2-D toy model), and
    :class:`ImageError` naming the first file that cannot be used.
    """
    if loaded.model[0].in_features != FRAME * FRAME:
        dim = loaded.model[0].in_features
        raise ValueError(
            f"this checkpoint classifies {dim}-D points ({loaded.dataset}), not 28×28 images"
        )
    x = np.stack([prepare_image(p, loaded.mean[0], loaded.std[0]) for p in paths])  # (N, 784)
    with no_grad():
        probs = F.softmax(loaded.model.eval()(as_tensor(x)), dim=1).numpy()  # (N, K)
    results = []
    for path, row in zip(paths, probs):
        best = np.argsort(-row, kind="stable")[:k]
        results.append(Prediction(str(path), [(loaded.classes[i], float(row[i])) for i in best]))
    return results
