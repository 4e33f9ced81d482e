"""``chainrule eval``: test a trained checkpoint: loss, accuracy and a confusion matrix."""

from __future__ import annotations

import argparse
from pathlib import Path

from chainrule.cli.checkpoint_path import LATEST, resolve_checkpoint
from chainrule.cli.errors import CLIError, RunError


def run(args: argparse.Namespace) -> int:
    """Rebuild the model from the checkpoint, evaluate it on the test set, print and draw the confusion matrix."""
    from chainrule.data import IDXError  # noqa: PLC0415
    from chainrule.training.checkpoint import CheckpointError  # noqa: PLC0415
    from chainrule.training.datasets import load_training_data  # noqa: PLC0415
    from chainrule.training.metrics import confusion_matrix, evaluate, format_confusion  # noqa: PLC0415
    from chainrule.training.models import load_model  # noqa: PLC0415
    from chainrule.viz.plots import plot_confusion  # noqa: PLC0415

    checkpoint = resolve_checkpoint(args.checkpoint)
    try:
        loaded = load_model(checkpoint)
    except CheckpointError as e:
        raise RunError(str(e)) from None
    saved = loaded.meta["config"]
    dataset = args.dataset or saved["dataset"]
    try:
        # The same preprocessing as training (for the 2-D sets, the same standardisation).
        data = load_training_data(
            dataset, args.data_dir, saved.get("val_fraction", 0.1), saved.get("seed", 0)
        )
    except FileNotFoundError as e:
        raise CLIError(str(e)) from None
    except IDXError as e:
        raise RunError(f"cannot read the data: {e}") from None
    model = loaded.model
    if data.input_dim != model[0].in_features or len(data.classes) != model[-1].out_features:
        raise CLIError(
            f"{checkpoint} takes {model[0].in_features} inputs and gives {model[-1].out_features} classes; "
            f"{dataset} has {data.input_dim} and {len(data.classes)}"
        )
    result = evaluate(model, data.x_test, data.y_test)
    matrix = confusion_matrix(data.y_test, result.predictions, len(data.classes))
    out = Path(args.out) if args.out else checkpoint.parent
    print(
        f"checkpoint: {checkpoint} (epoch {loaded.meta.get('epoch')}, trained on {loaded.meta['data']['name']})"
    )
    print(f"data: {data.describe()}")
    right = int(matrix.trace())
    print(
        f"test: loss {result.loss:.4f}, accuracy {result.accuracy:.4f} ({right:,} of {len(data.y_test):,} right)"
    )
    print()
    print(format_confusion(matrix, data.classes))
    plot_confusion(
        matrix,
        data.classes,
        out / "confusion.png",
        title=f"{data.name} test, accuracy {result.accuracy:.4f}",
    )
    print(f"\nconfusion matrix drawn to {out / 'confusion.png'}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    from chainrule.training.datasets import DATASETS  # noqa: PLC0415

    p = sub.add_parser(
        "eval",
        help="test a checkpoint from chainrule train: loss, accuracy, confusion matrix",
        description="Rebuild the model from a chainrule train checkpoint, evaluate it on the test set "
        "(loss, accuracy), print the confusion matrix (rows: true class, columns: predicted) "
        "and draw it to OUT/confusion.png.",
    )
    p.add_argument(
        "--checkpoint",
        default=LATEST,
        metavar="FILE",
        help="a checkpoint.npz, a run directory, or 'latest' (default: the newest run under runs/)",
    )
    p.add_argument(
        "--dataset", choices=DATASETS, help="test set to use (default: the one it was trained on)"
    )
    p.add_argument(
        "--data-dir", metavar="DIR", help="folder with the MNIST / Fashion-MNIST IDX files"
    )
    p.add_argument(
        "--out", metavar="DIR", help="where confusion.png goes (default: the checkpoint's folder)"
    )
    p.set_defaults(func=run)
