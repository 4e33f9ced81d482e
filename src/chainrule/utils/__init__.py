"""``chainrule.utils``: PyTorch's import paths, so ``torch.utils.data`` code ports with one rename."""

from chainrule.utils import data  # noqa: E402,F401  (torch.utils.data works right after import torch)
