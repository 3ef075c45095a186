"""Built-in JAX tasks: jitted references that differ by algorithm, not only by code style.

Every reference is a ``jax.jit`` function, so the profiler compiles it first (compile time is
reported apart) and measures run time only. Outputs are compared with ``allclose`` because
algorithms that sum in a different order differ in float32 rounding.

Two tasks score this library's kernels through its public API: ``pair_forces_2d`` has
``jaxsim.active``'s O(N^2) all-pairs forces and its cell-list neighbour list with pair forces
as references, beside loops written with ``jnp``; ``simon_oracle`` has ``jaxsim.quantum``'s
gate-by-gate circuit (``Circuit`` of ``simon_oracle_ops``, ``run_circuit``) and its permutation
oracle (``apply_oracle`` of ``simon_table``). The solution processes import ``jaxsim`` from the
directory that :mod:`jaxsim.dpe.isolation` puts on their ``PYTHONPATH``.
"""

from __future__ import annotations

from jaxsim.dpe.tasks import Candidate, Reference, Task

_FORCE_PROMPT = '''def pair_forces(positions: jax.Array, box: float) -> jax.Array:
    """Return the net soft-sphere force on each of N particles in a periodic 2-D box of side box.

    Pairs closer than 1 repel with F = (1 - r) r_hat (harmonic overlap, diameter 1, minimum image).
    positions: (N, 2) float32. Returns (N, 2) float32.
    """
'''

_FORCE_GENERATOR = '''
import numpy as np
import jax.numpy as jnp

def generate(scale, seed):
    # scale particles at number density 0.5 in a square periodic box.
    rng = np.random.default_rng(seed)
    box = float(np.sqrt(scale / 0.5))
    return (jnp.asarray(rng.uniform(0.0, box, size=(scale, 2)), dtype=jnp.float32), box)
'''

_FORCE_DOUBLE_LOOP = '''
import jax
import jax.numpy as jnp
from functools import partial

@partial(jax.jit, static_argnums=1)
def pair_forces(positions, box):
    n = positions.shape[0]

    def over_i(i, forces):
        def over_j(j, f):
            d = positions[i] - positions[j]
            d = d - box * jnp.round(d / box)
            r = jnp.sqrt(jnp.sum(d * d))
            hit = (r < 1.0) & (j != i)
            return f + jnp.where(hit, (1.0 - r) * d / jnp.where(hit, r, 1.0), 0.0)
        return forces.at[i].set(jax.lax.fori_loop(0, n, over_j, jnp.zeros(2, positions.dtype)))

    return jax.lax.fori_loop(0, n, over_i, jnp.zeros_like(positions))
'''

# Cell list: cells of side >= 1 (the cutoff), each holding at most `capacity` particles; every
# particle is compared with the members of its own and the 8 neighbouring cells.
_FORCE_CELL_LIST = '''
import math
import jax
import jax.numpy as jnp
from functools import partial

@partial(jax.jit, static_argnums=(1, 2))
def _cell_forces(positions, box, capacity):
    n = positions.shape[0]
    cells_per_side = max(3, int(math.floor(box)))
    side = box / cells_per_side
    cell_xy = jnp.floor(positions / side).astype(jnp.int32) % cells_per_side
    cell = cell_xy[:, 0] * cells_per_side + cell_xy[:, 1]
    order = jnp.argsort(cell)
    sorted_cell = cell[order]
    first = jnp.searchsorted(sorted_cell, sorted_cell, side="left")
    slot = jnp.arange(n) - first
    table = jnp.full((cells_per_side * cells_per_side, capacity), n, dtype=jnp.int32)
    table = table.at[sorted_cell, slot].set(order.astype(jnp.int32), mode="drop")
    offsets = jnp.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)], dtype=jnp.int32)
    neighbour_xy = (cell_xy[:, None, :] + offsets[None, :, :]) % cells_per_side
    neighbour_cells = neighbour_xy[..., 0] * cells_per_side + neighbour_xy[..., 1]
    candidates = table[neighbour_cells].reshape(n, -1)
    padded = jnp.concatenate([positions, jnp.zeros((1, 2), positions.dtype)], axis=0)
    d = positions[:, None, :] - padded[candidates]
    d = d - box * jnp.round(d / box)
    r = jnp.sqrt(jnp.sum(d * d, axis=-1))
    hit = (r < 1.0) & (candidates != jnp.arange(n)[:, None]) & (candidates < n)
    scale = jnp.where(hit, (1.0 - r) / jnp.where(hit, r, 1.0), 0.0)
    return jnp.sum(scale[..., None] * d, axis=1)

def pair_forces(positions, box):
    # Capacity 16 per cell of area >= 1 at density 0.5 leaves a wide margin for clustering.
    return _cell_forces(positions, box, 16)
'''

# This library's kernels: the O(N^2) all-pairs oracle and the O(N) cell-list neighbour list with
# the pair forces summed over it (jaxsim.active). soft_disks(1, 0.5) is the harmonic overlap force
# k max(2 r - d, 0) = max(1 - d, 0) with cutoff 2 r = 1, the force of the prompt.
_FORCE_LIBRARY_DENSE = """
import jax
from functools import partial
import jaxsim.active as active

@partial(jax.jit, static_argnums=1)
def pair_forces(positions, box):
    space = active.PeriodicBox(side=box, dim=2)
    return active.pair_forces_dense(positions, space, active.soft_disks(1.0, 0.5))
"""

_FORCE_LIBRARY_CELL_LIST = """
import jax
import jax.numpy as jnp
from functools import partial
import jaxsim.active as active

@partial(jax.jit, static_argnums=1)
def pair_forces(positions, box):
    space = active.PeriodicBox(side=box, dim=2)
    spec = active.neighbor_spec(space, positions.shape[0], cutoff=1.0, skin=0.0, format="rows")
    neighbors = active.build(positions, space, spec)
    forces = active.pair_forces(positions, space, neighbors, active.soft_disks(1.0, 0.5))
    # A full cell or row would drop neighbours; NaN makes that a wrong output instead of a silent error.
    return jnp.where(neighbors.overflow, jnp.nan, forces)
"""

_FORCE_CELL_NO_IMAGE = _FORCE_CELL_LIST.replace("    d = d - box * jnp.round(d / box)\n", "")

# The same cell list with the distances from jnp.linalg.norm: the same work.
_FORCE_CELL_LIST_NORM = _FORCE_CELL_LIST.replace("r = jnp.sqrt(jnp.sum(d * d, axis=-1))",
                                                 "r = jnp.linalg.norm(d, axis=-1)")

FORCES = Task(
    task_id="pair_forces_2d",
    entry_point="pair_forces",
    prompt=_FORCE_PROMPT,
    framework="jax",
    references=(
        Reference("library_dense", _FORCE_LIBRARY_DENSE.strip() + "\n"),
        Reference("double_fori_loop", _FORCE_DOUBLE_LOOP.strip() + "\n"),
        Reference("cell_list", _FORCE_CELL_LIST.strip() + "\n"),
        Reference("library_cell_list", _FORCE_LIBRARY_CELL_LIST.strip() + "\n"),
    ),
    candidates=(
        Candidate("library_dense_search",
                  _FORCE_LIBRARY_CELL_LIST.replace('format="rows"', 'format="rows", method="dense"').strip() + "\n",
                  "library_dense", "the library's neighbour list built by the O(N^2) search, then summed"),
        Candidate("cell_list_norm", _FORCE_CELL_LIST_NORM.strip() + "\n", "cell_list",
                  "the jnp cell list with distances from jnp.linalg.norm"),
        Candidate("library_pair_format", _FORCE_LIBRARY_CELL_LIST.replace('format="rows"', 'format="pairs"').strip()
                  + "\n", "library_cell_list", "the library's neighbour list with each pair stored once"),
        Candidate("cell_list_no_minimum_image", _FORCE_CELL_NO_IMAGE.strip() + "\n", None,
                  "ignores the periodic images"),
    ),
    generator=_FORCE_GENERATOR.strip() + "\n",
    scale=2048,
    check={"kind": "allclose", "rtol": 1e-4, "atol": 1e-4},
    description="soft-sphere forces: jaxsim.active dense oracle, scalar double loop, jnp cell list, "
                "jaxsim.active cell list",
)

_SIMON_PROMPT = '''def simon_oracle(state: jax.Array, secret: int) -> jax.Array:
    """Apply Simon's oracle U_f |x>|y> = |x>|y XOR f(x)> to a 2n-qubit state vector.

    f(x) = x XOR (x_j * secret), where j is the highest set bit of secret, so f(x) = f(x XOR secret)
    (Simon 1997, "On the power of quantum computation"). The basis index is x * 2**n + y.
    state: (4**n,) complex64. secret: a non-zero n-bit integer (static). Returns (4**n,) complex64.
    """
'''

_SIMON_GENERATOR = '''
import numpy as np
import jax.numpy as jnp

def generate(scale, seed):
    # scale is n, the number of input qubits; the state has 2n qubits.
    rng = np.random.default_rng(seed)
    amplitudes = rng.normal(size=4**scale) + 1j * rng.normal(size=4**scale)
    amplitudes /= np.linalg.norm(amplitudes)
    secret = int(rng.integers(1, 2**scale)) | 1
    return (jnp.asarray(amplitudes, dtype=jnp.complex64), secret)
'''

# Gate-by-gate circuit: n CNOTs copy x into y, then one CNOT from x_j to every y_k with
# secret_k = 1. Each CNOT is applied as a dense 4x4 matrix on the (control, target) pair.
_SIMON_DENSE_GATES = '''
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

_CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=np.complex64)

def _gates(n, secret):
    j = secret.bit_length() - 1
    pairs = [(k, n + k) for k in range(n)]
    pairs += [(j, n + k) for k in range(n) if (secret >> k) & 1]
    return pairs

def _apply_cnot(psi, control, target, qubits):
    # Qubit q is axis q of the (2,) * qubits tensor, qubit 0 being the most significant bit.
    psi = jnp.moveaxis(psi, (control, target), (0, 1))
    shape = psi.shape
    psi = (jnp.asarray(_CNOT) @ psi.reshape(4, -1)).reshape(shape)
    return jnp.moveaxis(psi, (0, 1), (control, target))

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    qubits = int(np.log2(state.shape[0]))
    n = qubits // 2
    psi = state.reshape((2,) * qubits)
    for k_in, k_out in _gates(n, secret):
        # Bit k of x is qubit n - 1 - k; bit k of y is qubit 2n - 1 - k.
        psi = _apply_cnot(psi, n - 1 - k_in, qubits - 1 - (k_out - n), qubits)
    return psi.reshape(-1)
'''

# The whole oracle as one permutation: new[x, y] = old[x, y XOR f(x)], a single gather.
_SIMON_ONE_GATHER = '''
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    size = state.shape[0]
    n = int(np.log2(size)) // 2
    j = secret.bit_length() - 1
    index = jnp.arange(size, dtype=jnp.int32)
    x = index >> n
    f = x ^ (((x >> j) & 1) * secret)
    return state[index ^ f]
'''

# One scalar fori_loop over all 4**n basis indices: the permutation, one element per iteration.
_SIMON_SCALAR_LOOP = """
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    size = state.shape[0]
    n = int(np.log2(size)) // 2
    j = secret.bit_length() - 1

    def body(index, out):
        x = index >> n
        return out.at[index].set(state[index ^ x ^ (((x >> j) & 1) * secret)])

    return jax.lax.fori_loop(0, size, body, jnp.zeros_like(state))
"""

# This library's kernels (jaxsim.quantum). Qubit 0 is the most significant bit there, so x is
# qubits 0..n-1 and y is qubits n..2n-1. int_to_bits(secret, n) lists the secret's bits from the
# highest, so the first set bit that simon_table and simon_oracle_ops take as j is the highest.
# The table and the circuit depend only on the static secret, so they are built at trace time.
_SIMON_LIBRARY_CIRCUIT = """
import jax
import numpy as np
from functools import partial
from jaxsim.quantum import Circuit, int_to_bits, run_circuit, simon_oracle_ops

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    qubits = int(np.log2(state.shape[0]))
    n = qubits // 2
    with jax.ensure_compile_time_eval():
        circuit = Circuit.from_ops(qubits, simon_oracle_ops(int_to_bits(secret, n)))
    return run_circuit(state.reshape((2,) * qubits), circuit).reshape(-1)
"""

_SIMON_LIBRARY_PERMUTATION = """
import jax
import numpy as np
from functools import partial
from jaxsim.quantum import apply_oracle, int_to_bits, simon_table

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    qubits = int(np.log2(state.shape[0]))
    n = qubits // 2
    with jax.ensure_compile_time_eval():
        table = simon_table(int_to_bits(secret, n))
    return apply_oracle(state.reshape((2,) * qubits), table, n).reshape(-1)
"""

SIMON = Task(
    task_id="simon_oracle",
    entry_point="simon_oracle",
    prompt=_SIMON_PROMPT,
    framework="jax",
    references=(
        Reference("dense_gate_by_gate", _SIMON_DENSE_GATES.strip() + "\n"),
        Reference("library_circuit", _SIMON_LIBRARY_CIRCUIT.strip() + "\n"),
        Reference("scalar_loop", _SIMON_SCALAR_LOOP.strip() + "\n"),
        Reference("library_permutation", _SIMON_LIBRARY_PERMUTATION.strip() + "\n"),
    ),
    candidates=(
        Candidate("library_circuit_reversed",
                  _SIMON_LIBRARY_CIRCUIT.replace("simon_oracle_ops(int_to_bits(secret, n))",
                                                 "simon_oracle_ops(int_to_bits(secret, n))[::-1]").strip() + "\n",
                  "library_circuit", "the same CNOTs in reverse order; they commute, since no target is a control"),
        Candidate("one_gather", _SIMON_ONE_GATHER.strip() + "\n", "library_permutation",
                  "the whole oracle as one gather, written with jnp"),
        Candidate("one_gather_take", """
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    size = state.shape[0]
    n = int(np.log2(size)) // 2
    high = secret.bit_length() - 1
    basis = jnp.arange(size, dtype=jnp.int32)
    x = basis >> n
    return jnp.take(state, basis ^ x ^ (((x >> high) & 1) * secret))
""".strip() + "\n", "library_permutation", "one gather with jnp.take"),
        Candidate("f_of_x_is_x", """
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    size = state.shape[0]
    n = int(np.log2(size)) // 2
    basis = jnp.arange(size, dtype=jnp.int32)
    return state[basis ^ (basis >> n)]
""".strip() + "\n", None, "implements f(x) = x, which is not two-to-one"),
    ),
    generator=_SIMON_GENERATOR.strip() + "\n",
    scale=9,
    check={"kind": "allclose", "rtol": 1e-5, "atol": 1e-6},
    description="Simon oracle: dense CNOT gates, jaxsim.quantum circuit, scalar loop, jaxsim.quantum permutation oracle",
)


_RECURRENCE_PROMPT = '''def linear_recurrence(a: jax.Array, b: jax.Array) -> jax.Array:
    """Return x with x[0] = b[0] and x[t] = a[t] * x[t - 1] + b[t] along axis 0.

    a, b: (T, B) float32 with |a| < 1. Returns (T, B) float32.
    """
'''

_RECURRENCE_GENERATOR = '''
import numpy as np
import jax.numpy as jnp

def generate(scale, seed):
    # scale time steps of 256 independent sequences.
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 0.99, size=(scale, 256))
    b = rng.normal(size=(scale, 256))
    return (jnp.asarray(a, dtype=jnp.float32), jnp.asarray(b, dtype=jnp.float32))
'''

_RECURRENCE_EAGER = '''
import jax.numpy as jnp

def linear_recurrence(a, b):
    # Not jitted: every step dispatches its operations one by one.
    rows = [b[0]]
    for t in range(1, b.shape[0]):
        rows.append(a[t] * rows[-1] + b[t])
    return jnp.stack(rows)
'''

_RECURRENCE_UNROLLED = '''
import jax
import jax.numpy as jnp

@jax.jit
def linear_recurrence(a, b):
    # A Python loop unrolled at trace time: one update-slice per step on the whole output.
    x = jnp.zeros_like(b).at[0].set(b[0])
    for t in range(1, b.shape[0]):
        x = x.at[t].set(a[t] * x[t - 1] + b[t])
    return x
'''

_RECURRENCE_FORI = '''
import jax
import jax.numpy as jnp

@jax.jit
def linear_recurrence(a, b):
    def step(t, x):
        return x.at[t].set(a[t] * x[t - 1] + b[t])
    return jax.lax.fori_loop(1, b.shape[0], step, jnp.zeros_like(b).at[0].set(b[0]))
'''

_RECURRENCE_SCAN = '''
import jax
import jax.numpy as jnp

@jax.jit
def linear_recurrence(a, b):
    def step(previous, ab):
        current = ab[0] * previous + ab[1]
        return current, current
    _, rest = jax.lax.scan(step, b[0], (a[1:], b[1:]))
    return jnp.concatenate([b[:1], rest], axis=0)
'''

_RECURRENCE_ASSOCIATIVE = '''
import jax
import jax.numpy as jnp

@jax.jit
def linear_recurrence(a, b):
    # Affine maps x -> a x + b compose associatively: (a2, b2) o (a1, b1) = (a2 a1, a2 b1 + b2),
    # so a parallel prefix scan (Blelloch 1990, "Prefix sums and their applications") solves it.
    def combine(first, second):
        return second[0] * first[0], second[0] * first[1] + second[1]
    a = a.at[0].set(0.0)
    return jax.lax.associative_scan(combine, (a, b))[1]
'''

RECURRENCE = Task(
    task_id="linear_recurrence",
    entry_point="linear_recurrence",
    prompt=_RECURRENCE_PROMPT,
    framework="jax",
    references=(
        Reference("eager_python_loop", _RECURRENCE_EAGER.strip() + "\n"),
        Reference("unrolled_python_loop", _RECURRENCE_UNROLLED.strip() + "\n"),
        Reference("associative_scan", _RECURRENCE_ASSOCIATIVE.strip() + "\n"),
        Reference("lax_scan", _RECURRENCE_SCAN.strip() + "\n"),
    ),
    candidates=(
        Candidate("fori_loop", _RECURRENCE_FORI.strip() + "\n", "lax_scan", "sequential loop compiled once, like lax.scan"),
        Candidate("drops_first_step", """
import jax
import jax.numpy as jnp

@jax.jit
def linear_recurrence(a, b):
    def step(previous, ab):
        current = ab[0] * previous + ab[1]
        return current, current
    _, out = jax.lax.scan(step, jnp.zeros_like(b[0]), (a, b))
    return out
""".strip() + "\n", "lax_scan", "starts from x[-1] = 0, which gives the same x[0] = b[0]: correct"),
        Candidate("forgets_a", """
import jax
import jax.numpy as jnp

@jax.jit
def linear_recurrence(a, b):
    return jnp.cumsum(b, axis=0)
""".strip() + "\n", None, "ignores the coefficients a"),
    ),
    generator=_RECURRENCE_GENERATOR.strip() + "\n",
    scale=256,
    check={"kind": "allclose", "rtol": 1e-4, "atol": 1e-4},
    description="linear recurrence: eager Python loop, unrolled loop under jit, associative scan, lax.scan",
)
