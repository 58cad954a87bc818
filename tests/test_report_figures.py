"""The report's figures say what they mean (issue 13, item 4): heat-map labels are readable on
every cell, colour bars are in the measure's unit, and the cost breakdown's numbers sit on
their own row."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from probmodel.formatting import fmt_usd
from probmodel.report import decision_plots as dp
from probmodel.report import plots


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours."""
    la, lb = sorted((dp.relative_luminance(a), dp.relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_black_or_white_text_always_reaches_wcag_aa_contrast():
    """Whichever of black or white text_color picks, the contrast is at least 4.5:1 (WCAG AA for
    small text) on every colour of the heat maps' colour scales (it is at least 4.58 on any
    colour, which is why the choice of the two suffices)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgba

    for name in ("magma_r", "viridis"):
        for c in colormaps[name](np.linspace(0, 1, 257)):
            assert contrast(c, to_rgba(dp.text_color(c))) >= 4.5, (name, c)


@pytest.mark.parametrize("variable", ["cost_p80", "p_on_time"])
def test_heatmap_labels_are_readable_and_its_colour_bar_is_in_the_measures_unit(variable):
    """Every cell's label contrasts with its own cell colour (the cheapest row was white on pale
    yellow); the colour bar's ticks are dollars or percentages with no ``1e9`` offset."""
    from matplotlib.colors import to_rgba

    fleet = np.array([500.0, 1000.0, 2000.0, 4000.0])
    share = np.array([0.1, 0.4, 0.7, 1.0])
    if variable == "cost_p80":
        values = np.outer(1e9 + 9e9 * share, 1 + fleet / 4000)  # $1.1B ... $20B
    else:
        values = np.outer(1 - share, fleet / 4000)
    ds = xr.Dataset(
        {variable: (("real_share", "fleet_size"), values)},
        coords={"real_share": share, "fleet_size": fleet},
    )
    fig = dp.sweep_heatmap(ds, variable, "fleet_size", "real_share")
    fig.canvas.draw()
    ax, bar = fig.axes
    mesh = ax.collections[0]
    cells = mesh.get_facecolors().reshape(share.size, fleet.size, 4)
    labels = [t for t in ax.texts]
    assert len(labels) == values.size
    for t in labels:
        x, y = t.get_position()
        cell = cells[int(y), int(x)]
        assert contrast(cell, to_rgba(t.get_color())) >= 4.5, (t.get_text(), cell, t.get_color())
    ticks = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert ticks, "the colour bar has no tick labels"
    unit = "$" if variable.startswith("cost") else "%"
    assert all(unit in t for t in ticks), ticks
    assert bar.yaxis.get_offset_text().get_text() == ""


def test_cost_breakdown_numbers_sit_on_their_components_row(prior_run):
    """Each component's median (and P10-P90) is written on the component's own row (the same y
    as its bar), right of the plot, never after the whisker where it read as the P90."""
    fig = plots.cost_breakdown(prior_run)
    fig.canvas.draw()
    ax = fig.axes[0]
    bars = {round(p.get_y() + p.get_height() / 2, 6): p.get_width() for p in ax.patches}
    ticks = {round(float(y), 6): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    notes = [a for a in ax.texts if a.get_text() != "median (P10–P90)"]
    assert len(notes) == len(ticks)
    cost = prior_run.tree["posterior"]["cost"]
    for note in notes:
        x, y = note.xy
        assert x == 1.0 and note.get_verticalalignment() == "center"
        component = ticks[round(float(y), 6)]
        median = float(cost.sel(cost_component=component).median())
        assert note.get_text().startswith(fmt_usd(median) + " "), (component, note.get_text())
        assert bars[round(float(y), 6)] == pytest.approx(median / 1e6, rel=1e-9)
    plots.figure_to_data_uri(fig)  # closes it
