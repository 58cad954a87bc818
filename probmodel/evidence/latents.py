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

from collections.abc import Iterable

LATENT_VARS = ("study_exponent", "study_transfer", "study_level")


class Latents:
    """The study-level latents a set of records needs, created once in the current PyMC model.

    Parameters
    ----------
    world : dict
        World parameters (tensors) of the model.
    requests : iterable of (study, kind, name)
        ``kind`` is ``"exponent"`` (name: an axis), ``"transfer"`` (name: a pathway) or
        ``"level"`` (name: ``""``).
    """

    def __init__(self, world, requests: Iterable[tuple[str, str, str]]):
        import numpy as np
        import pymc as pm
        import pytensor.tensor as pt

        from probmodel.evidence.base import AXES, TRANSFER_OF

        model = pm.modelcontext(None)
        wanted: dict[str, list[str]] = {"exponent": [], "transfer": [], "level": []}
        for study, kind, name in requests:
            label = f"{study}:{name}" if name else study
            if label not in wanted[kind]:
                wanted[kind].append(label)
        self._index: dict[str, dict[str, int]] = {}
        self._values: dict[str, object] = {}

        def vector(kind, dim, make):
            labels = wanted[kind]
            if not labels:
                return
            model.add_coord(dim, labels)
            z = pm.Normal(f"study_{kind}_z", 0.0, 1.0, dims=dim)
            self._values[kind] = pm.Deterministic(f"study_{kind}", make(labels, z), dims=dim)
            self._index[kind] = {label: i for i, label in enumerate(labels)}

        def exponents(labels, z):
            axis = np.array([AXES.index(label.rsplit(":", 1)[1]) for label in labels])
            mean = pt.stack([world[f"{a}_exponent_mean"] for a in AXES])[axis]
            sd = pt.stack([world[f"{a}_exponent_sd"] for a in AXES])[axis]
            return mean + sd * z

        pathways = list(TRANSFER_OF)

        def transfers(labels, z):
            p = np.array([pathways.index(label.rsplit(":", 1)[1]) for label in labels])
            median = pt.stack([world[TRANSFER_OF[q]] for q in pathways])[p]
            sd = pt.stack([world[f"{TRANSFER_OF[q]}_sd"] for q in pathways])[p]
            return median * pt.exp(sd * z)

        vector("exponent", "study_axis", exponents)
        vector("transfer", "study_pathway", transfers)
        vector("level", "study", lambda labels, z: world["outcome_level_sd"] * z)

    def get(self, kind: str, study: str, name: str = ""):
        """The latent of ``study`` (a scalar tensor)."""
        label = f"{study}:{name}" if name else study
        return self._values[kind][self._index[kind][label]]

    def take(self, kind: str, keys: list[tuple[str, str]]):
        """The latents of several (study, name) pairs as one vector (for vectorised likelihoods)."""
        import numpy as np

        labels = [f"{s}:{n}" if n else s for s, n in keys]
        return self._values[kind][np.array([self._index[kind][label] for label in labels])]
