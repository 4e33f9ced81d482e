"""The MLP week's lab: checkers that give specific feedback, and the student/solution build.

Checkers (each returns a ``CheckResult`` with ``.ok``, ``.message`` and ``.details``,
which prints as a short report and shows as a coloured box in a notebook):

- ``check_linear_backward(fn_or_layer)``: your dW, db, dX for Z = X Wᵀ + b, W (out, in);
- ``check_cross_entropy(fn_or_object)``: your softmax cross-entropy and dL/dlogits;
- ``check_gradient_prediction(weight, sign, magnitude)`` stores your Part B prediction on
  the toy network of ``chainrule.lab.toy`` (and shows nothing of the answer);
  ``reveal_prediction(weight)`` compares it with the engine once you have computed it.

A wrong answer is never just "wrong": the message names the quantity, its worst
element and the likely mistake (transposed, sign, missing 1/B, only the last example
of the batch ...) with a hint.

The lab notebook has one source with the solutions and graded questions marked
(``LAB_SOURCE``); ``build_lab(out_dir)`` (or ``chainrule lab build``) writes the student
copy, with every solution replaced by a placeholder and no hidden test, the solution copy
and the grader bundle. ``chainrule lab grade`` (``chainrule.lab.grade``) runs a class's
submissions and writes the gradebook and feedback (see docs/lab.md).

>>> import numpy as np
>>> # W is (d_out, d_in) as in PyTorch, so X.T @ delta is the transpose of dW
>>> result = check_linear_backward(lambda X, W, delta: (X.T @ delta, delta.sum(axis=0), delta @ W))
>>> result.ok, result.mistakes
(False, {'dW': 'transposed'})
"""

from chainrule.lab.build import LAB_SOURCE, LabVersions, build_lab, split_solutions
from chainrule.lab.check_linear import check_linear_backward
from chainrule.lab.check_loss import check_cross_entropy
from chainrule.lab.check_model import check_classifier, check_value
from chainrule.lab.check_prediction import (
    check_gradient_prediction,
    grade_prediction,
    reveal_prediction,
)
from chainrule.lab.feedback import CheckResult, Finding, find_mistake
from chainrule.lab.toy import TOY, PredictFirstError, ToyNet, engine_gradients, toy_gradients

__all__ = [
    # checkers
    "check_linear_backward",
    "check_cross_entropy",
    "check_classifier",
    "check_value",
    "check_gradient_prediction",
    "reveal_prediction",
    "grade_prediction",
    "CheckResult",
    "Finding",
    "find_mistake",
    # the toy example of Part B
    "TOY",
    "ToyNet",
    "toy_gradients",
    "engine_gradients",
    "PredictFirstError",
    # student and solution copies
    "LAB_SOURCE",
    "LabVersions",
    "split_solutions",
    "build_lab",
]
