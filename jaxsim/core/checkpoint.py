"""Checkpoints of long runs with orbax, so that an interrupted run resumes where it stopped.

``Checkpointer(directory)`` saves a pytree of arrays under a step number, keeps the newest
``max_to_keep`` steps, and restores the latest one into the structure of a template pytree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp
from jaxtyping import PyTree

__all__ = ["Checkpointer"]


class Checkpointer:
    """Save and restore pytrees of arrays by step with orbax.

    Args:
        directory: folder for the checkpoints; created if missing.
        max_to_keep: number of newest checkpoints kept on disk.
    """

    def __init__(self, directory: str | Path, *, max_to_keep: int = 2):
        if max_to_keep < 1:
            raise ValueError(f"max_to_keep must be >= 1, got {max_to_keep}.")
        self.directory = Path(directory).absolute()
        self.directory.mkdir(parents=True, exist_ok=True)
        options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
        self._manager = ocp.CheckpointManager(self.directory, options=options)

    def save(self, step: int, state: PyTree, *, metadata: dict[str, Any] | None = None) -> None:
        """Save ``state`` (and optional JSON ``metadata``) as checkpoint ``step`` and wait for it."""
        items = {"state": ocp.args.StandardSave(_to_host(state)), "metadata": ocp.args.JsonSave(metadata or {})}
        self._manager.save(step, args=ocp.args.Composite(**items), force=True)
        self._manager.wait_until_finished()

    def latest_step(self) -> int | None:
        """Return the newest saved step, or None when there is none."""
        return self._manager.latest_step()

    def restore(self, template: PyTree, step: int | None = None) -> tuple[int, PyTree, dict[str, Any] | None]:
        """Restore checkpoint ``step`` (default: the latest) into the structure of ``template``.

        Returns:
            ``(step, state, metadata)``; metadata is ``{}`` when none was saved.

        Raises:
            FileNotFoundError: if the folder contains no checkpoint.
        """
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"no checkpoint in {self.directory}; start the run without resuming.")
        items = {"state": ocp.args.StandardRestore(_to_host(template)), "metadata": ocp.args.JsonRestore()}
        restored = self._manager.restore(step, args=ocp.args.Composite(**items))
        return step, restored["state"], restored["metadata"]

    def close(self) -> None:
        self._manager.close()

    def __enter__(self) -> Checkpointer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_host(tree: PyTree) -> PyTree:
    # Keys are stored as their raw uint32 data, because orbax saves plain arrays.
    def convert(leaf):
        if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            leaf = jax.random.key_data(leaf)
        return np.asarray(leaf)

    return jax.tree.map(convert, tree)
