"""Parameter and multiply-accumulate (MAC) counts of NNX models, without running them.

Parameters are counted on an abstract model from ``nnx.eval_shape`` (no weights allocated).
MACs are counted on the jaxpr of the forward pass traced with abstract inputs
(``jax.make_jaxpr`` on ``jax.ShapeDtypeStruct``), so a 224 x 224 count costs one trace and no
arithmetic. Only convolutions and matrix products are counted, the convention of the MobileNetV2,
SqueezeNet and FBNet papers, which leave out batch norm, activations, pooling and additions:

- convolution: ``MACs = prod(output shape) * (in_channels / groups) * prod(kernel spatial)``;
- ``dot_general``: ``MACs = prod(output shape) * prod(contracted sizes)``.

``bytes_moved`` adds the operand and result bytes of the same operations: an estimate of memory
traffic when nothing stays in cache between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from flax import nnx

from jaxsim.vision.layers import lax_convolutions

__all__ = ["CostCount", "count_params", "count_costs", "count_macs", "abstract_model"]


@dataclass(frozen=True)
class CostCount:
    """Counts of one forward pass.

    Attributes:
        macs: multiply-accumulates of convolutions and matrix products.
        bytes_moved: bytes read and written by those operations (estimate, no cache reuse).
        conv_count: number of convolutions and matrix products.
    """

    macs: int
    bytes_moved: int
    conv_count: int

    @property
    def flops(self) -> int:
        """Floating-point operations, two per multiply-accumulate."""
        return 2 * self.macs


def abstract_model(factory: Callable[[], nnx.Module]) -> nnx.Module:
    """Build ``factory()`` with shapes only (``nnx.eval_shape``): no weights are allocated."""
    return nnx.eval_shape(factory)


def count_params(model: nnx.Module, *, include_batchnorm: bool = False) -> int:
    """Count trainable parameters of ``model`` (a real or abstract NNX module).

    Batch-norm scale and shift are left out unless ``include_batchnorm``; running statistics
    never count. The published counts of SqueezeNet, MobileNetV2 and FBNet count convolution
    and fully connected weights and biases only.
    """
    total = 0
    for path, leaf in nnx.to_flat_state(nnx.state(model, nnx.Param)):
        if not include_batchnorm and any(str(p) in ("norm",) for p in path):
            continue
        value = leaf.get_value() if isinstance(leaf, nnx.Variable) else leaf
        total += math.prod(value.shape)
    return int(total)


def _walk(jaxpr: Any, totals: list[int]) -> None:
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name == "conv_general_dilated":
            lhs, rhs = (v.aval for v in eqn.invars)
            out = eqn.outvars[0].aval
            rhs_spec = eqn.params["dimension_numbers"].rhs_spec
            in_features = rhs.shape[rhs_spec[1]]
            spatial = math.prod(rhs.shape[d] for d in rhs_spec[2:])
            totals[0] += math.prod(out.shape) * in_features * spatial
            totals[1] += sum(math.prod(a.shape) * np.dtype(a.dtype).itemsize for a in (lhs, rhs, out))
            totals[2] += 1
        elif name == "dot_general":
            lhs, rhs = (v.aval for v in eqn.invars)
            out = eqn.outvars[0].aval
            (lhs_contract, _), _ = eqn.params["dimension_numbers"]
            totals[0] += math.prod(out.shape) * math.prod(lhs.shape[d] for d in lhs_contract)
            totals[1] += sum(math.prod(a.shape) * np.dtype(a.dtype).itemsize for a in (lhs, rhs, out))
            totals[2] += 1
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                if isinstance(sub, jax.extend.core.ClosedJaxpr):
                    _walk(sub.jaxpr, totals)
                elif isinstance(sub, jax.extend.core.Jaxpr):
                    _walk(sub, totals)


def count_costs(model: nnx.Module, input_shape: tuple[int, ...], *, dtype: Any = np.float32) -> CostCount:
    """Count MACs and operand bytes of one forward pass of ``model`` at ``input_shape`` (NHWC).

    ``model`` may be abstract (from :func:`abstract_model`); it is traced in evaluation mode
    (batch norm with running statistics), and nothing is computed.
    """
    graphdef, state = nnx.split(model)

    def forward(state, x):
        net = nnx.merge(graphdef, state)
        net.eval()
        return net(x)

    abstract_state = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), state)
    with lax_convolutions():
        closed = jax.make_jaxpr(forward)(abstract_state, jax.ShapeDtypeStruct(tuple(input_shape), dtype))
    totals = [0, 0, 0]
    _walk(closed.jaxpr, totals)
    return CostCount(macs=int(totals[0]), bytes_moved=int(totals[1]), conv_count=int(totals[2]))


def count_macs(model: nnx.Module, input_shape: tuple[int, ...]) -> int:
    """Count multiply-accumulates of one forward pass at ``input_shape`` (see :func:`count_costs`)."""
    return count_costs(model, input_shape).macs
