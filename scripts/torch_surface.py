"""How much of the PyTorch a week-2/3 MLP-course student types does chainrule have?

The list below is the names such a student plausibly writes (creation, Tensor methods and
attributes, the torch namespace, nn, nn.functional, nn.init, optim, utils.data, autograd),
written down once by hand from course notebooks; each is checked for existence on chainrule
(and on torch, to keep the list honest). Run: ``python scripts/torch_surface.py [--missing]``.
"""

from __future__ import annotations

import sys

import chainrule

TORCH = """
tensor as_tensor from_numpy zeros ones full empty zeros_like ones_like full_like empty_like
arange linspace logspace eye rand randn randint randperm normal rand_like randn_like
randint_like manual_seed seed initial_seed Generator get_rng_state set_rng_state
float32 float64 float16 float double half int64 int32 int16 int8 uint8 long int short bool
complex64 dtype Size device is_tensor numel set_printoptions no_grad enable_grad
set_grad_enabled is_grad_enabled inference_mode save load cat concat stack hstack vstack
split chunk unbind where clamp clip abs sqrt rsqrt exp log log1p log2 log10 sin cos tan tanh
sigmoid relu softmax log_softmax logsumexp sum mean std var prod cumsum cumprod max min
argmax argmin amax amin maximum minimum mm bmm matmul dot mv outer einsum reshape flatten
squeeze unsqueeze transpose permute t flip roll gather index_select masked_fill allclose
isclose equal isnan isinf isfinite norm dist cdist sort argsort topk median mode sign round
floor ceil trunc pow square neg reciprocal erf eq ne lt le gt ge logical_and logical_or
logical_not broadcast_tensors broadcast_shapes meshgrid tril triu diag trace any all
count_nonzero nonzero var_mean std_mean lerp nan_to_num div mul add sub remainder fmod
floor_divide cuda autograd nn optim utils
""".split()

TENSOR = """
shape dtype device ndim T mT data grad grad_fn requires_grad is_leaf size dim numel item
tolist numpy backward detach detach_ requires_grad_ retain_grad register_hook zero_ fill_
add add_ sub sub_ mul mul_ div div_ pow neg abs exp log sqrt sigmoid tanh relu softmax
log_softmax logsumexp sum mean std var max min argmax argmin amax amin norm clamp clamp_
clamp_min clamp_max clip view reshape view_as reshape_as flatten squeeze unsqueeze
transpose permute t expand expand_as repeat contiguous clone copy_ float double long int
bool half to cpu cuda type type_as matmul mm bmm dot outer gather scatter scatter_add
index_select masked_fill masked_fill_ eq ne lt le gt ge allclose equal isnan any all sort
argsort topk cumsum prod chunk split unbind flip new_zeros new_ones new_tensor new_full
uniform_ normal_ random_ exp_ sqrt_ abs_ neg_ relu_ sigmoid_ tanh_ floor round sign
is_floating_point element_size nelement stride is_contiguous numpy square log1p sin cos
""".split()

NN = """
Module Parameter Linear ReLU Sigmoid Tanh GELU LeakyReLU Softmax LogSoftmax Sequential
ModuleList ModuleDict Flatten Unflatten Dropout Identity BatchNorm1d LayerNorm Embedding
MSELoss L1Loss CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss SmoothL1Loss HuberLoss
KLDivLoss ParameterList ParameterDict ELU SiLU Softplus init functional utils
""".split()

FUNCTIONAL = """
relu leaky_relu sigmoid tanh gelu softmax log_softmax linear dropout one_hot cross_entropy
nll_loss mse_loss l1_loss binary_cross_entropy binary_cross_entropy_with_logits
smooth_l1_loss huber_loss kl_div softplus elu silu normalize cosine_similarity layer_norm
batch_norm embedding pad logsigmoid
""".split()

INIT = """
uniform_ normal_ constant_ zeros_ ones_ xavier_uniform_ xavier_normal_ kaiming_uniform_
kaiming_normal_ calculate_gain trunc_normal_ eye_ orthogonal_
""".split()

OPTIM = "SGD Adam AdamW RMSprop Adagrad Optimizer lr_scheduler".split()

DATA = """
Dataset TensorDataset DataLoader Subset random_split default_collate Sampler
SequentialSampler RandomSampler BatchSampler SubsetRandomSampler WeightedRandomSampler
""".split()

MODULE = """
parameters named_parameters children named_children modules named_modules state_dict
load_state_dict train eval zero_grad to cpu cuda double float half apply register_buffer
buffers named_buffers requires_grad_ forward register_forward_hook add_module training
""".split()

AUTOGRAD = "grad backward gradcheck Function".split()


def groups() -> list[tuple[str, object, list[str]]]:
    return [
        ("torch", chainrule, TORCH),
        ("Tensor", chainrule.Tensor, TENSOR),
        ("nn", chainrule.nn, NN),
        ("nn.functional", chainrule.nn.functional, FUNCTIONAL),
        ("nn.init", chainrule.nn.init, INIT),
        ("optim", chainrule.optim, OPTIM),
        ("utils.data", chainrule.utils.data, DATA),
        ("nn.Module", chainrule.nn.Linear(2, 2), MODULE),
        ("autograd", chainrule.autograd, AUTOGRAD),
    ]


def main(argv: list[str]) -> int:
    total = have = 0
    for label, owner, names in groups():
        missing = [n for n in names if not _has(owner, n)]
        total += len(names)
        have += len(names) - len(missing)
        line = f"{label:14s} {len(names) - len(missing):4d} / {len(names):4d}"
        print(
            line + (f"   missing: {' '.join(missing)}" if "--missing" in argv and missing else "")
        )
    print(f"{'all':14s} {have:4d} / {total:4d}  ({100 * have / total:.0f}%)")
    return 0


def _has(owner: object, name: str) -> bool:
    try:
        getattr(owner, name)
    except (AttributeError, RuntimeError):
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
