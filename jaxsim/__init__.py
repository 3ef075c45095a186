"""Differentiable, jit-compiled simulation kernels in JAX.

Domain packages (``jaxsim.technosphere``, ``jaxsim.active``, ``jaxsim.quantum``,
``jaxsim.roofline``, ``jaxsim.vision``, ``jaxsim.dpe``) build on the shared primitives in
``jaxsim.core``. The ``jaxsim`` command reproduces one study per package.
"""

__version__ = "0.1.0"
