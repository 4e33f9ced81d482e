"""Every figure chainrule draws reads from the back of a lecture hall.

Each demo's figures, the training plots and every kind of graph drawing are rendered and
measured at the size they are saved: no text under 12 pt, none cut off by the figure's edge,
no two labels on top of each other, the figure no larger than a 1280 x 720 slide (so it is
never shrunk on the projector), and ``dpi`` scaling pixels without changing proportions. The
figures the issue named get their own checks (xor, softmax-ce-gradient, gradient-check, the
2-class confusion matrix).
"""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.image import AxesImage
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

import chainrule as torch
from chainrule import Value, draw_graph
from chainrule.demos import DEMOS, DemoResult, run_demo
from chainrule.demos.lecture.backprop_by_hand import START, forward
from chainrule.viz.figure import lecture_style
from chainrule.viz.plots import plot_confusion, plot_curves
from chainrule.viz.style import DPI, MIN_TEXT_PT, SLIDE_INCHES

# ---- measuring a figure -----------------------------------------------------------------------


def texts(fig) -> list[Text]:
    """The visible, non-empty text artists of a figure, less the labels of undrawn ticks.

    An axis keeps Text objects for ticks just beyond its limits; matplotlib does not draw them.
    """
    undrawn = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            scale = axis.get_transform()  # compare where the ticks land: log axes too
            lo, hi = sorted(scale.transform(np.array(axis.get_view_interval())))
            slack = (hi - lo) * 1e-6
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                at = scale.transform(np.array([tick.get_loc()]))[0]
                if not ax.axison or not lo - slack <= at <= hi + slack:
                    undrawn.update({id(tick.label1), id(tick.label2)})
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in undrawn
    ]


def drawn(fig):
    """Draw ``fig`` as saving does (Agg, in the lecture style) and return the renderer.

    Tick labels are made at draw time, so they take their sizes from the style only inside
    it; ``LectureFigure.savefig`` draws the same way.
    """
    canvas = FigureCanvasAgg(fig)
    with lecture_style():
        canvas.draw()
    return canvas.get_renderer()


def overlap(a: Bbox, b: Bbox, slack: float = 1.0) -> bool:
    """Whether two pixel boxes share more than a ``slack``-pixel sliver."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > slack and min(a.y1, b.y1) - max(a.y0, b.y0) > slack


def check_readable(fig, what: str) -> None:
    """The checks every figure must pass, with a message naming the offending text."""
    renderer = drawn(fig)
    found = texts(fig)
    assert found, f"{what}: no text at all"
    small = [(t.get_text(), t.get_fontsize()) for t in found if t.get_fontsize() < MIN_TEXT_PT]
    assert not small, f"{what}: text under {MIN_TEXT_PT} pt: {small[:3]}"

    width, height = fig.get_size_inches()
    assert width <= SLIDE_INCHES[0] + 1e-6 and height <= SLIDE_INCHES[1] + 1e-6, (
        f"{what}: {width:.2f} x {height:.2f} in is larger than a slide; it would be shrunk"
    )

    page = fig.bbox
    boxes = [(t, t.get_window_extent(renderer)) for t in found]
    for t, box in boxes:
        inside = (
            box.x0 >= page.x0 - 1
            and box.y0 >= page.y0 - 1
            and box.x1 <= page.x1 + 1
            and box.y1 <= page.y1 + 1
        )
        assert inside, f"{what}: {t.get_text()!r} is cut off by the figure's edge ({box} vs {page})"
    for (s, a), (t, b) in itertools.combinations(boxes, 2):
        assert not overlap(a, b), f"{what}: {s.get_text()!r} overlaps {t.get_text()!r}"

    for ax in fig.axes:
        bars = [bar for c in ax.containers if isinstance(c, BarContainer) for bar in c]
        for t in ax.texts:  # value labels and annotations sit beside bars, never on them
            box = t.get_window_extent(renderer)
            for bar in bars:
                assert not overlap(box, bar.get_window_extent(renderer)), (
                    f"{what}: {t.get_text()!r} overlaps a bar"
                )
        legend = ax.get_legend()
        if legend is not None:
            check_legend_covers_no_line(ax, legend.get_window_extent(renderer), what)


def check_legend_covers_no_line(ax, legend_box: Bbox, what: str) -> None:
    """No horizontal reference line (a tolerance, a floor) runs under the legend."""
    for line in ax.lines:
        y = np.asarray(line.get_ydata(), dtype=float)
        if y.size < 2 or not np.all(y == y[0]):  # a curve, not a reference line
            continue
        ends = line.get_transform().transform(np.column_stack([line.get_xdata(), y]))
        xs = np.linspace(ends[:, 0].min(), ends[:, 0].max(), 400)
        inside = (legend_box.x0 < xs) & (xs < legend_box.x1)
        covered = inside.any() and legend_box.y0 < ends[0, 1] < legend_box.y1
        assert not covered, f"{what}: the legend covers the line {line.get_label()!r}"


# ---- the demos ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results() -> dict[str, DemoResult]:
    """Each demo run once, quick, seed 0."""
    return {}


def result(results: dict[str, DemoResult], name: str) -> DemoResult:
    if name not in results:
        results[name] = run_demo(name, seed=0, quick=True)
    return results[name]


@pytest.mark.parametrize("name", list(DEMOS))
def test_every_demo_figure_is_projector_ready(results, name):
    r = result(results, name)
    assert r.figures, f"{name} draws no figure"
    for figure_name in r.figures:
        check_readable(r.figure(figure_name), f"{name}/{figure_name}")


def test_dpi_scales_pixels_and_keeps_proportions(results):
    fig = result(results, "softmax-ce-gradient").figure()
    sizes, relative = {}, {}
    for dpi in (DPI, 2 * DPI):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
        sizes[dpi] = Image.open(io.BytesIO(buffer.getvalue())).size
        fig.set_dpi(dpi)
        renderer = drawn(fig)
        page = fig.bbox
        relative[dpi] = [
            (box.x0 / page.width, box.y0 / page.height, box.width / page.width)
            for box in (t.get_window_extent(renderer) for t in texts(fig))
        ]
    assert sizes[DPI] == (1280, 500)
    assert abs(sizes[2 * DPI][0] - 2 * sizes[DPI][0]) <= 1
    assert abs(sizes[2 * DPI][1] - 2 * sizes[DPI][1]) <= 1
    np.testing.assert_allclose(relative[DPI], relative[2 * DPI], atol=0.01)


def test_demo_save_writes_at_the_asked_dpi(results, tmp_path):
    r = result(results, "grad-accumulation")
    (small,) = [p for p in r.save(tmp_path / "a", dpi=50) if p.suffix == ".png"]
    (large,) = [p for p in r.save(tmp_path / "b", dpi=150) if p.suffix == ".png"]
    w_small, h_small = Image.open(small).size
    w_large, h_large = Image.open(large).size
    assert (w_large, h_large) == (3 * w_small, 3 * h_small)


# ---- the figures the issue named ----------------------------------------------------------------


def test_xor_shows_axes_classes_and_the_claimed_size(results):
    r = result(results, "xor")
    fig = r.figure()
    titles = [ax.get_title() for ax in fig.axes]
    assert not any("2-8-2" in t for t in titles), titles
    if r.measured["success_rate_by_hidden_units"]["2"] > 0:  # a 2-unit net learned it: shown
        assert "2 hidden units" in titles[1].replace("\n", " ")
    for ax in fig.axes[:3]:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_xticks().size > 0
    labels = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts}
    assert {"class 0", "class 1"} <= labels


def test_xor_linear_panel_is_smooth_not_moire(results):
    """Near-tied logits made the argmax flip pixel to pixel; the probability does not."""
    fig = result(results, "xor").figure()
    (image,) = [a for a in fig.axes[0].get_children() if isinstance(a, AxesImage)]
    p = np.asarray(image.get_array(), dtype=float)
    assert p.min() >= 0 and p.max() <= 1
    assert np.abs(np.diff(p, axis=0)).max() < 0.05 and np.abs(np.diff(p, axis=1)).max() < 0.05


def test_softmax_ce_labels_sit_past_their_bars_end(results):
    r = result(results, "softmax-ce-gradient")
    fig = r.figure()
    renderer = drawn(fig)
    ax = fig.axes[1]
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    zero = ax.transData.transform((0, 0))[1]
    for bar, label in zip(bars, ax.texts, strict=True):
        value = bar.get_height()
        box, shape = label.get_window_extent(renderer), bar.get_window_extent(renderer)
        assert f"{value:+.4f}" in label.get_text()
        assert ("push up" if value < 0 else "push down") in label.get_text()
        if value < 0:  # below zero, under the bar's end
            assert box.y1 <= shape.y0 + 1 and box.y1 < zero
        else:
            assert box.y0 >= shape.y1 - 1 and box.y0 > zero


def test_gradient_check_draws_no_fake_zeros_and_keeps_the_legend_off_the_lines(results):
    r = result(results, "gradient-check")
    fig = r.figure()
    renderer = drawn(fig)
    ax = fig.axes[0]
    heights = [bar.get_height() for c in ax.containers for bar in c]
    measured = [
        v
        for key in ("float64_max_relative_difference", "float32_max_relative_difference")
        for v in r.measured[key].values()
    ]
    assert sorted(heights) == sorted(v for v in measured if v > 0)  # the values, nothing made up
    zeros = sum(v == 0 for v in measured)
    assert sum(t.get_text() == "0" for t in ax.texts) == zeros
    legend = ax.get_legend().get_window_extent(renderer)
    assert not overlap(legend, ax.get_window_extent(renderer))


def test_two_class_confusion_title_fits():
    fig = plot_confusion(
        np.array([[41, 9], [7, 43]]), ["cat", "dog"], title="confusion on the test split, epoch 10"
    )
    check_readable(fig, "confusion 2x2")
    fig10 = plot_confusion(
        np.arange(100).reshape(10, 10) * 11, [str(i) for i in range(10)], title="ten"
    )
    check_readable(fig10, "confusion 10x10")


def test_training_curves_are_projector_ready():
    history = [
        {"epoch": e, "train_loss": 1 / e, "train_acc": 1 - 0.5 / e, "val_loss": 1.2 / e}
        for e in range(1, 11)
    ]
    check_readable(plot_curves(history, title="fashion-mnist, mlp 784-128-10"), "curves")


# ---- graph drawings -------------------------------------------------------------------------------


def day1():
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    z = w * x
    z.label = "z"
    L = (z + b - 5.0) ** 2
    L.label = "L"
    L.backward()
    return L


def bce_net():
    L = forward(START)["L"]
    L.backward()
    return L


def tensor_mlp():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    x = torch.tensor([[0.5, -1.0], [1.5, 0.2]])
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1]))
    return loss, dict(model.named_parameters())


def chain(n: int = 30):
    v = Value(0.5, label="x")
    for _ in range(n):
        v = v.tanh() * 1.1
    return v


GRAPHS = {
    "day1": lambda: (day1(), None),
    "bce 2-1-1": lambda: (bce_net(), None),
    "tensor mlp": tensor_mlp,
    "30-step chain": lambda: (chain(), None),
}


#: The graphs a lecture projects, and the directions in which each fits one slide at 12 pt.
#: (A tensor MLP drawn top to bottom is wider than a slide: three 3-inch parameter boxes
#: side by side per layer. Its left-to-right drawing fits.)
FITS = [
    ("day1", "LR"),
    ("day1", "TB"),
    ("bce 2-1-1", "LR"),
    ("bce 2-1-1", "TB"),
    ("tensor mlp", "LR"),
]


@pytest.mark.parametrize(("kind", "rankdir"), FITS)
def test_course_graphs_fit_a_slide_readably(kind, rankdir):
    root, names = GRAPHS[kind]()
    fig = draw_graph(root, names=names, rankdir=rankdir).figure()
    check_readable(fig, f"{kind} {rankdir}")  # node texts never overlap: nor do the nodes


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("kind", ["tensor mlp", "30-step chain"])
def test_larger_graphs_keep_a_slide_shape(kind, rankdir):
    root, names = GRAPHS[kind]()
    fig = draw_graph(root, names=names, rankdir=rankdir).figure()
    width, height = fig.get_size_inches()
    assert 0.5 < (width / height) / (16 / 9) < 2.0, (width, height)
    small = [t.get_text() for t in texts(fig) if t.get_fontsize() < MIN_TEXT_PT]
    assert not small


def test_a_long_graph_wraps_to_the_slide_shape():
    strip = draw_graph(bce_net(), aspect=None).figure().get_size_inches()
    wrapped = draw_graph(bce_net()).figure().get_size_inches()
    assert strip[0] / strip[1] > 8  # the old 4754 x 331 strip
    assert 1.0 < wrapped[0] / wrapped[1] < 2.5
    tall = draw_graph(bce_net(), rankdir="TB", aspect=None).figure().get_size_inches()
    assert tall[1] / tall[0] > 3
    columns = draw_graph(bce_net(), rankdir="TB").figure().get_size_inches()
    assert 1.0 < columns[0] / columns[1] < 2.5
    # a graph that already fits is left alone
    small = draw_graph(Value(2.0, label="x") * 3.0)
    assert small.figure().get_size_inches().tolist() == (
        draw_graph(Value(2.0, label="x") * 3.0, aspect=None).figure().get_size_inches().tolist()
    )


def test_wrapped_arrows_stay_inside_and_join_every_edge():
    root = bce_net()
    drawing = draw_graph(root)
    fig = drawing.figure()
    renderer = drawn(fig)
    arrows = [p for p in fig.axes[0].patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == len(drawing.spec.edges)
    page = fig.bbox
    for arrow in arrows:
        box = arrow.get_window_extent(renderer)
        assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1
        assert box.y0 >= page.y0 - 1 and box.y1 <= page.y1 + 1


def test_graph_png_scales_with_dpi(tmp_path):
    drawing = draw_graph(day1())
    w1, h1 = Image.open(drawing.save(tmp_path / "a.png", dpi=100)).size
    w2, h2 = Image.open(drawing.save(tmp_path / "b.png", dpi=200)).size
    assert abs(w2 - 2 * w1) <= 1 and abs(h2 - 2 * h1) <= 1


def test_user_names_reach_the_drawing():
    L = bce_net()
    nodes = {v.label: v for v in _walk(L)}
    drawing = draw_graph(L, names={"z1 (course)": nodes["z1"]})
    assert any(n.lines[0] == "z1 (course)" for n in drawing.spec.nodes)


def _walk(root):
    from chainrule.scalar.value import topological_order

    return topological_order(root)


# ---- `chainrule graph --names / --rankdir / --dpi` (the drawing options of the CLI) ------------


def test_cli_names_label_the_drawing_and_the_trace(capsys, tmp_path):
    from chainrule.cli import main

    target = tmp_path / "g.svg"
    argv = ["graph", "(w*x + b - 5)**2", "--set", "x=2", "w=3", "b=1", "--explain"]
    code = main([*argv, "--names", "z1=w*x", "z2=w * x+b", "--out", str(target)])
    out = capsys.readouterr().out
    assert code == 0
    assert "z1" in out and "z2" in out and "w * x + b - 5" in out  # unnamed nodes keep theirs
    svg = target.read_text()  # text stays text in the SVG (svg.fonttype "none")
    assert "z1" in svg and "z2" in svg and "data 6" in svg


def test_cli_names_refuses_what_is_not_in_the_graph(capsys):
    from chainrule.cli import main

    argv = ["graph", "(w*x + b - 5)**2", "--set", "x=2", "w=3", "b=1"]
    assert main([*argv, "--names", "z1=x*w"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'x*w' is not a sub-expression" in err and "'w * x'" in err
    assert main([*argv, "--names", "z1"]) == 2
    assert "--names expects name=sub-expression" in capsys.readouterr().err


def test_cli_rankdir_and_dpi_shape_the_png(capsys, tmp_path):
    from chainrule.cli import main

    argv = ["graph", "-log(sigmoid(w*x + b))", "--set", "x=0.5", "w=0.4", "b=0"]
    sizes = {}
    for rankdir, dpi in [("LR", 100), ("TB", 100), ("LR", 200)]:
        target = tmp_path / f"{rankdir}{dpi}.png"
        assert main([*argv, "--rankdir", rankdir, "--dpi", str(dpi), "--out", str(target)]) == 0
        sizes[rankdir, dpi] = Image.open(target).size
    capsys.readouterr()
    assert sizes["LR", 100] != sizes["TB", 100]
    assert abs(sizes["LR", 200][0] - 2 * sizes["LR", 100][0]) <= 1
