"""``chainrule train``: train the lecture's MLP (``chainrule.training.loop.train``) from the command line."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields
from pathlib import Path

from chainrule.cli.argtypes import SEED_MAX, at_most, integer, real
from chainrule.cli.errors import CLIError, RunError
from chainrule.cli.guard import say

# The ranges each numeric flag accepts, checked as the command line is read (see argtypes).
MAX_WIDTH = 4096  # a 4096x4096 float32 layer is 64 MB, with its gradient and momentum 192 MB
MAX_LAYERS = 16
MAX_EPOCHS = 1_000_000
MAX_BATCH = 65_536

# Flags whose value is a TrainConfig field of the same name (``--val-fraction`` → val_fraction).
_CONFIG_FLAGS = (
    "dataset", "data_dir", "hidden", "activation", "epochs", "batch_size", "lr", "momentum",
    "optimizer", "weight_decay", "val_fraction", "seed", "detect_anomaly",
)  # fmt: skip


def _config_from_args(args: argparse.Namespace):
    """A TrainConfig from the flags given; on --resume, the checkpoint's settings fill in the rest.

    Flags left out are None here (argparse default), which is how "not given" is told apart from
    "given the default value": a resumed run keeps its own learning rate unless --lr is passed.
    """
    from chainrule.training.checkpoint import CheckpointError, load_checkpoint  # noqa: PLC0415
    from chainrule.training.loop import CHECKPOINT, ConfigError, TrainConfig  # noqa: PLC0415

    given = {name: getattr(args, name) for name in _CONFIG_FLAGS if getattr(args, name) is not None}
    base = {}
    if args.resume:
        if args.out is None:
            raise CLIError("--resume needs --out DIR, the run to continue")
        path = Path(args.out) / CHECKPOINT
        if not path.is_file():
            raise CLIError(f"--resume: no checkpoint at {path}")
        try:
            base = TrainConfig.from_dict(load_checkpoint(path).meta["config"]).to_dict()
        except CheckpointError as e:
            raise RunError(str(e)) from None
        except (ConfigError, KeyError, TypeError) as e:
            raise RunError(f"{path}: its metadata holds no usable config ({e})") from None
        base.pop("detect_anomaly", None)  # a per-session choice, never inherited
    valid = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in {**base, **given}.items() if k in valid})


def run(args: argparse.Namespace) -> int:
    """Train, print one line per epoch, and return 0; 130 after Ctrl-C (a checkpoint is saved)."""
    from chainrule.training.checkpoint import CheckpointError  # noqa: PLC0415
    from chainrule.training.loop import (  # noqa: PLC0415
        CHECKPOINT,
        ConfigError,
        RunDirectoryError,
        TrainingError,
        TrainingInterrupted,
        train,
    )

    if args.momentum is not None and args.optimizer not in (None, "sgd"):
        raise CLIError(
            f"--momentum applies to --optimizer sgd only; {args.optimizer} keeps its own running averages"
        )
    try:
        config = _config_from_args(args)
        # say: a closed stdout (`| head -1`) drops the log lines, never the run.
        train(config, args.out, resume=args.resume, force=args.force, log=say, threads=args.threads)
    except (ConfigError, RunDirectoryError) as e:
        raise CLIError(str(e)) from None
    except (CheckpointError, TrainingError) as e:
        raise RunError(str(e)) from None
    except TrainingInterrupted as e:
        print(f"chainrule train: interrupted: {e}", file=sys.stderr)
        return 130
    except (
        KeyboardInterrupt
    ):  # a second Ctrl-C, or one outside the loop: the last epoch's checkpoint stands
        if args.out and (Path(args.out) / CHECKPOINT).is_file():
            hint = f"the last completed epoch's checkpoint is kept; resume with --resume --out {args.out}"
        else:
            hint = "any checkpoint written is in the output directory printed above (resume with --resume --out DIR)"
        print(f"chainrule train: interrupted; {hint}", file=sys.stderr)
        return 130
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    from chainrule.training.datasets import DATASETS  # noqa: PLC0415
    from chainrule.training.loop import OPTIMIZERS, TrainConfig  # noqa: PLC0415
    from chainrule.training.models import ACTIVATIONS  # noqa: PLC0415

    d = TrainConfig()
    p = sub.add_parser(
        "train",
        help="train the lecture's MLP (784-256-256-10, SGD) on MNIST or a 2-D toy set",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Train an MLP with the lecture's five-line loop (forward, loss, zero_grad, backward, step).\n"
            "Defaults are the lecture's: 784-256-256-10 ReLU, cross-entropy, SGD lr 0.01 momentum 0.9,\n"
            "batch 64. MNIST's IDX files are read from --data-dir, else $CHAINRULE_DATA, else\n"
            "~/.cache/chainrule/mnist, and never downloaded; where they are missing, the embedded\n"
            "5,000-image sample is used, so this works offline. Each epoch validates on a held-out\n"
            "--val-fraction of the training set and saves OUT/checkpoint.npz; the test set is used once,\n"
            "at the end. OUT also gets metrics.jsonl, summary.json and curves.png.\n\n"
            "Ctrl-C stops after the current step and saves a checkpoint (exit status 130);\n"
            "--resume --out OUT continues it, bit-identically to a run that was never stopped\n"
            "(flags left out keep the checkpoint's values; --epochs may grow).\n\n"
            "OUT is never overwritten by accident: a fresh run refuses a folder holding any file it\n"
            "would write (use --resume or --force), and only one run at a time may write into it."
        ),
        epilog="examples:\n  chainrule train\n  chainrule train --dataset fashion-mnist --epochs 10\n"
        "  chainrule train --dataset moons --hidden 16 16 --epochs 50 --out runs/moons\n"
        "  chainrule train --out runs/moons --epochs 80 --resume",
    )
    p.add_argument("--dataset", choices=DATASETS, help=f"what to learn (default {d.dataset})")
    p.add_argument(
        "--data-dir", metavar="DIR", help="folder with the MNIST / Fashion-MNIST IDX files"
    )
    p.add_argument(
        "--hidden",
        type=integer(1, MAX_WIDTH),
        nargs="+",
        action=at_most(MAX_LAYERS, "hidden layers"),
        metavar="WIDTH",
        help=f"hidden layer widths, 1 to {MAX_WIDTH} each (default {' '.join(map(str, d.hidden))})",
    )
    p.add_argument(
        "--activation",
        choices=list(ACTIVATIONS),
        help=f"hidden non-linearity (default {d.activation})",
    )
    p.add_argument(
        "--epochs",
        type=integer(0, MAX_EPOCHS),
        metavar="N",
        help=f"total epochs; with --resume, train up to N (default {d.epochs})",
    )
    p.add_argument(
        "--batch-size",
        type=integer(1, MAX_BATCH),
        metavar="B",
        help=f"examples per step, 1 to {MAX_BATCH:,} (default {d.batch_size})",
    )
    p.add_argument(
        "--lr",
        type=real(0.0, math.inf, low_open=True),
        help=f"learning rate, a positive number (default {d.lr})",
    )
    p.add_argument(
        "--momentum",
        type=real(0.0, 1.0, high_open=True),
        help=f"SGD momentum in [0, 1), sgd only (default {d.sgd_momentum})",
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"(default {d.optimizer})")
    p.add_argument(
        "--weight-decay",
        type=real(0.0, 1.0),
        metavar="L",
        help=f"L2 penalty, decoupled for adamw (default {d.weight_decay:g})",
    )
    p.add_argument(
        "--val-fraction",
        type=real(0.0, 1.0, high_open=True),
        metavar="F",
        help=f"share of the training set held out for validation, in [0, 1) (default {d.val_fraction})",
    )
    p.add_argument(
        "--seed",
        type=integer(0, SEED_MAX),
        help=f"seeds the weights, the split and the batch order (default {d.seed})",
    )
    p.add_argument(
        "--threads",
        type=integer(1, 1024),
        metavar="N",
        help="BLAS threads for NumPy (default: 1 for models this small, which share a busy "
        "machine best; see chainrule.set_num_threads)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="run directory (default: a new runs/<date>_<time>-<dataset>)"
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoint.npz"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="start afresh in an --out that holds a run's files, replacing them",
    )
    p.add_argument(
        "--detect-anomaly",
        action="store_true",
        default=None,
        help="stop at the first NaN/inf and name the op that made it (slower)",
    )
    p.set_defaults(func=run)
