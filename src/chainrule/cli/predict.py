"""``chainrule predict``: classify your own images with a trained checkpoint."""

from __future__ import annotations

import argparse

from chainrule.cli.checkpoint_path import LATEST, resolve_checkpoint
from chainrule.cli.errors import CLIError, RunError


def run(args: argparse.Namespace) -> int:
    """Print the three most likely classes, with probabilities, for each image."""
    from chainrule.training.checkpoint import CheckpointError  # noqa: PLC0415
    from chainrule.training.models import load_model  # noqa: PLC0415
    from chainrule.training.predict import ImageError, predict_images  # noqa: PLC0415

    checkpoint = resolve_checkpoint(args.checkpoint)
    if args.checkpoint in (None, LATEST):
        print(f"checkpoint: {checkpoint} (the latest run)")
    try:
        loaded = load_model(checkpoint)
        predictions = predict_images(loaded, args.images, k=min(3, len(loaded.classes)))
    except (CheckpointError, ImageError) as e:
        raise RunError(str(e)) from None
    except ValueError as e:  # a model that does not take images
        raise CLIError(str(e)) from None
    for p in predictions:
        print(f"{p.path}: " + ", ".join(f"{name} ({prob:.3f})" for name, prob in p.top))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="classify your own digit images (PNG/JPEG) with a trained checkpoint",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Classify images of 28x28 pixels or larger and print the top-3 classes with probabilities.\n"
            "Each image is made to look like MNIST first:\n"
            "  - read as grayscale in [0, 1] (colour to luma; transparent parts count as white paper);\n"
            "  - inverted when its border is light (mean of the outer ring > 0.5), since MNIST is a\n"
            "    white digit on black;\n"
            "  - contrast stretched, then cropped to the ink's bounding box, padded to a square\n"
            "    (aspect preserved) and resized to 20x20;\n"
            "  - pasted into a black 28x28 frame with its centre of mass at the centre (MNIST's recipe);\n"
            "  - standardised with the training data's mean and std, as in training."
        ),
        epilog="examples:\n  chainrule predict --checkpoint runs/<run>/checkpoint.npz my_seven.png\n"
        "  chainrule predict my_seven.png          # with the newest run under runs/",
    )
    p.add_argument(
        "--checkpoint",
        default=LATEST,
        metavar="FILE",
        help="from chainrule train (image data sets only): a checkpoint.npz, a run directory, "
        "or 'latest' (default: the newest run under runs/)",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG or JPEG files")
    p.set_defaults(func=run)
