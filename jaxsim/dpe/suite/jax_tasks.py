"""Built-in JAX tasks: jitted references that differ by algorithm, not only by code style.

Every reference is a ``jax.jit`` function, so the profiler compiles it first (compile time is
reported apart) and measures run time only. Outputs are compared with ``allclose`` because
algorithms that sum in a different order differ in float32 rounding.
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

_FORCE_ROW_LOOP = '''
import jax
import jax.numpy as jnp
from functools import partial

@partial(jax.jit, static_argnums=1)
def pair_forces(positions, box):
    n = positions.shape[0]

    def row(i, forces):
        d = positions[i] - positions
        d = d - box * jnp.round(d / box)
        r = jnp.sqrt(jnp.sum(d * d, axis=-1))
        hit = (r < 1.0) & (jnp.arange(n) != i)
        f = jnp.where(hit[:, None], (1.0 - r)[:, None] * d / jnp.where(hit, r, 1.0)[:, None], 0.0)
        return forces.at[i].set(jnp.sum(f, axis=0))

    return jax.lax.fori_loop(0, n, row, jnp.zeros_like(positions))
'''

_FORCE_DENSE = '''
import jax
import jax.numpy as jnp
from functools import partial

@partial(jax.jit, static_argnums=1)
def pair_forces(positions, box):
    d = positions[:, None, :] - positions[None, :, :]
    d = d - box * jnp.round(d / box)
    r = jnp.sqrt(jnp.sum(d * d, axis=-1))
    hit = (r < 1.0) & ~jnp.eye(positions.shape[0], dtype=bool)
    scale = jnp.where(hit, (1.0 - r) / jnp.where(hit, r, 1.0), 0.0)
    return jnp.sum(scale[..., None] * d, axis=1)
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

FORCES = Task(
    task_id="pair_forces_2d",
    entry_point="pair_forces",
    prompt=_FORCE_PROMPT,
    framework="jax",
    references=(
        Reference("double_fori_loop", _FORCE_DOUBLE_LOOP.strip() + "\n"),
        Reference("row_fori_loop", _FORCE_ROW_LOOP.strip() + "\n"),
        Reference("dense_pairs", _FORCE_DENSE.strip() + "\n"),
        Reference("cell_list", _FORCE_CELL_LIST.strip() + "\n"),
    ),
    candidates=(
        Candidate("cell_list_capacity_12", _FORCE_CELL_LIST.replace("_cell_forces(positions, box, 16)", "_cell_forces(positions, box, 12)").strip() + "\n",
                  "cell_list", "the same cell list with 12 slots per cell"),
        Candidate("no_minimum_image", '''
import jax
import jax.numpy as jnp
from functools import partial

@partial(jax.jit, static_argnums=1)
def pair_forces(positions, box):
    d = positions[:, None, :] - positions[None, :, :]
    r = jnp.sqrt(jnp.sum(d * d, axis=-1))
    hit = (r < 1.0) & ~jnp.eye(positions.shape[0], dtype=bool)
    scale = jnp.where(hit, (1.0 - r) / jnp.where(hit, r, 1.0), 0.0)
    return jnp.sum(scale[..., None] * d, axis=1)
'''.strip() + "\n", None, "ignores the periodic images"),
    ),
    generator=_FORCE_GENERATOR.strip() + "\n",
    scale=1024,
    check={"kind": "allclose", "rtol": 1e-4, "atol": 1e-4},
    description="soft-sphere forces: scalar double loop, row loop, dense pairs, cell list",
)

_SIMON_PROMPT = '''def simon_oracle(state: jax.Array, secret: int) -> jax.Array:
    """Apply Simon's oracle U_f |x>|y> = |x>|y XOR f(x)> to a 2n-qubit state vector.

    f(x) = x XOR (x_j * secret), where j is the lowest set bit of secret, so f(x) = f(x XOR secret)
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
    j = (secret & -secret).bit_length() - 1
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

# The same gates, each applied as a permutation of basis indices: one gather per gate.
_SIMON_GATHER_PER_GATE = '''
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    size = state.shape[0]
    n = int(np.log2(size)) // 2
    j = (secret & -secret).bit_length() - 1
    index = jnp.arange(size, dtype=jnp.int32)
    psi = state
    gates = [(k, k) for k in range(n)] + [(j, k) for k in range(n) if (secret >> k) & 1]
    for x_bit, y_bit in gates:
        control = (index >> (n + x_bit)) & 1
        psi = psi[index ^ (control << y_bit)]
    return psi
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
    j = (secret & -secret).bit_length() - 1
    index = jnp.arange(size, dtype=jnp.int32)
    x = index >> n
    f = x ^ (((x >> j) & 1) * secret)
    return state[index ^ f]
'''

# A dense 4**n x 4**n permutation matrix times the state: O(16**n) work.
_SIMON_DENSE_MATRIX = '''
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    size = state.shape[0]
    n = int(np.log2(size)) // 2
    j = (secret & -secret).bit_length() - 1
    index = jnp.arange(size, dtype=jnp.int32)
    x = index >> n
    source = index ^ (x ^ (((x >> j) & 1) * secret))
    matrix = (source[:, None] == index[None, :]).astype(state.dtype)
    return matrix @ state
'''

SIMON = Task(
    task_id="simon_oracle",
    entry_point="simon_oracle",
    prompt=_SIMON_PROMPT,
    framework="jax",
    references=(
        Reference("dense_permutation_matrix", _SIMON_DENSE_MATRIX.strip() + "\n"),
        Reference("dense_gate_by_gate", _SIMON_DENSE_GATES.strip() + "\n"),
        Reference("gather_per_gate", _SIMON_GATHER_PER_GATE.strip() + "\n"),
        Reference("one_gather", _SIMON_ONE_GATHER.strip() + "\n"),
    ),
    candidates=(
        Candidate("one_gather_take", """
import jax
import jax.numpy as jnp
import numpy as np
from functools import partial

@partial(jax.jit, static_argnums=1)
def simon_oracle(state, secret):
    size = state.shape[0]
    n = int(np.log2(size)) // 2
    low = (secret & -secret).bit_length() - 1
    basis = jnp.arange(size, dtype=jnp.int32)
    x = basis >> n
    return jnp.take(state, basis ^ x ^ (((x >> low) & 1) * secret))
""".strip() + "\n", "one_gather", "one gather"),
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
    scale=6,
    check={"kind": "allclose", "rtol": 1e-5, "atol": 1e-6},
    description="Simon oracle: dense permutation matrix, dense CNOT gates, a gather per gate, one gather",
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
