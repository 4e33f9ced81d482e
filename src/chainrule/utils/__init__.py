"""``chainrule.utils``: PyTorch's import paths, so ``torch.utils.data`` code ports with one rename."""
