"""The app behind ``chainrule train``, ``eval`` and ``predict``, built on the library below it.

- ``loop.py``: ``TrainConfig`` and ``train``, opening with the lecture's five-line loop;
- ``datasets.py``: which data set to load and how it is split and normalised;
- ``models.py``: the MLP the config describes, and loading one back from a checkpoint;
- ``metrics.py``: evaluation (loss, accuracy, confusion matrix), parameter and FLOP counts;
- ``checkpoint.py``: saving and loading weights and optimizer state, with no pickle, each array
  verified (SHA-256, bounded header parser, dtype, finite values) before it is trusted;
- ``checkpoint_schema.py``: the one schema a training checkpoint's metadata must fit;
- ``predict.py``: classifying a user's own images with a trained checkpoint.
"""
