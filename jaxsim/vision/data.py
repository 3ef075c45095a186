"""The 8 x 8 handwritten digits bundled with scikit-learn, split into fixed train/validation/test sets.

Source: Alpaydin and Kaynak (1998), "Optical Recognition of Handwritten Digits", UCI Machine
Learning Repository; 1,797 images of 8 x 8 pixels with 17 grey levels (0..16), 10 classes,
shipped inside scikit-learn (``sklearn.datasets.load_digits``), so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split", "DigitsData", "load_digits_splits"]


@dataclass(frozen=True)
class Split:
    """Images ``x`` of shape (n, 8, 8, 1) scaled to [0, 1] and integer labels ``y`` of shape (n,)."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class DigitsData:
    """The three disjoint splits; ``train`` is further split for weight and architecture steps in DNAS."""

    train: Split
    val: Split
    test: Split
    num_classes: int = 10


def load_digits_splits(*, val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0) -> DigitsData:
    """Load the digits and split them, stratified by class, with a fixed ``seed``.

    The default 60/20/20 split gives 1,077 training, 360 validation and 360 test images.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} must be in (0, 1) with a sum below 1."
        )
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[..., None]
    y = digits.target.astype(np.int32)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    val_share = val_fraction / (1.0 - test_fraction)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_share, random_state=seed, stratify=y_rest
    )
    return DigitsData(Split(x_train, y_train), Split(x_val, y_val), Split(x_test, y_test))
