"""Study-level latent quantities, shared by every record of one study.

Records name their study (``study = "..."``; by default each record is its own). Within a model,
one study gets one value of each latent it needs, whatever kinds its records are:

* ``study_exponent`` (dim ``study_axis``, labels ``"<study>:<axis>"``): the study's scaling
  exponent on an axis, a draw from that axis's population (non-centred:
  ``mean + sd * z``);
* ``study_transfer`` (dim ``study_pathway``, labels ``"<study>:<pathway>"``): the study's transfer
  value of a pathway, a draw from the pathway's population on the log scale
  (``median * exp(sd * z)``), so studies that disagree widen the population instead of being
  averaged to a confident middle;
* ``study_level`` (dim ``study``): the study's log-hazard offset from the performance equation
  (``outcome_level_sd * z``): what its setup, tasks and evaluation add to what its data predicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from probmodel.equations import _namespace
from probmodel.evidence.base import AXES, TRANSFER_OF
from probmodel.evidence.observe import Latent, per_entry, stack

LATENT_VARS = ("study_exponent", "study_transfer", "study_level")
DIMS = {"exponent": "study_axis", "transfer": "study_pathway", "level": "study"}
"""The dimension of each kind of latent."""
_PATHWAYS = list(TRANSFER_OF)


def latent_labels(requests: Iterable[tuple[str, str, str]]) -> dict[str, list[str]]:
    """The labels of each kind of latent the ``requests`` (study, kind, name) need, in first-use
    order; kinds nobody needs are left out."""
    wanted: dict[str, list[str]] = {"exponent": [], "transfer": [], "level": []}
    for study, kind, name in requests:
        label = f"{study}:{name}" if name else study
        if label not in wanted[kind]:
            wanted[kind].append(label)
    return {kind: labels for kind, labels in wanted.items() if labels}


def standard_normals(labels: Mapping[str, list[str]]) -> list[Latent]:
    """The free variables behind the latents: ``study_<kind>_z``, standard normal per label."""
    return [Latent(f"study_{kind}_z", DIMS[kind], tuple(names), "normal",
                   {"mu": 0.0, "sigma": 1.0}) for kind, names in labels.items()]  # fmt: skip


def _exponents(world, labels, z):
    axis = np.array([AXES.index(label.rsplit(":", 1)[1]) for label in labels])
    mean = stack([world[f"{a}_exponent_mean"] for a in AXES])[..., axis]
    sd = stack([world[f"{a}_exponent_sd"] for a in AXES])[..., axis]
    return mean + sd * z


def _transfers(world, labels, z):
    p = np.array([_PATHWAYS.index(label.rsplit(":", 1)[1]) for label in labels])
    median = stack([world[TRANSFER_OF[q]] for q in _PATHWAYS])[..., p]
    sd = stack([world[f"{TRANSFER_OF[q]}_sd"] for q in _PATHWAYS])[..., p]
    return median * _namespace(sd, z).exp(sd * z)


def _levels(world, labels, z):
    return per_entry(world["outcome_level_sd"]) * z


_MAKE = {"exponent": _exponents, "transfer": _transfers, "level": _levels}


class Latents:
    """The study-level latents of a set of records, from their standard-normal draws.

    Parameters
    ----------
    world : mapping
        World parameters: PyTensor scalars in the model, NumPy draws (shape ``(draws,)``) or
        numbers after sampling.
    labels : mapping of str to list of str
        :func:`latent_labels` of the records.
    z : mapping of str to tensor or numpy.ndarray
        The ``study_<kind>_z`` values by name (``(draws, labels)`` arrays after sampling).
    """

    def __init__(self, world, labels: Mapping[str, list[str]], z: Mapping[str, Any]):
        self.values = {kind: _MAKE[kind](world, names, z[f"study_{kind}_z"])
                       for kind, names in labels.items()}  # fmt: skip
        self._index = {kind: {label: i for i, label in enumerate(names)}
                       for kind, names in labels.items()}  # fmt: skip

    def get(self, kind: str, study: str, name: str = ""):
        """The latent of ``study`` (a scalar, or its draws)."""
        label = f"{study}:{name}" if name else study
        return self.values[kind][..., self._index[kind][label]]

    def take(self, kind: str, keys: list[tuple[str, str]]):
        """The latents of several (study, name) pairs as one vector (for vectorised likelihoods)."""
        labels = [f"{s}:{n}" if n else s for s, n in keys]
        return self.values[kind][..., np.array([self._index[kind][label] for label in labels])]
