"""Built-in plain-Python tasks: each has references from distinct complexity classes or C-level speed-ups.

Scales are chosen so that neighbouring references differ by roughly 4x or more in time on a
2-core x86-64 machine, and the slowest reference needs tens of milliseconds per call.
"""

from __future__ import annotations

from jaxsim.dpe.tasks import Candidate, Reference, Task

_RANDOM_INTS = '''
import random

def generate(scale, seed):
    rng = random.Random(seed)
    return ([rng.randrange(-10**6, 10**6) for _ in range(scale)],)
'''


def _task(task_id, entry_point, prompt, references, candidates, generator, scale, description, **kwargs):
    return Task(
        task_id=task_id,
        entry_point=entry_point,
        prompt=prompt,
        references=tuple(Reference(name, code.strip() + "\n") for name, code in references),
        candidates=tuple(Candidate(name, code.strip() + "\n", expected, note) for name, code, expected, note in candidates),
        generator=generator.strip() + "\n",
        scale=scale,
        description=description,
        **kwargs,
    )


SORT = _task(
    "sort_integers", "sort_integers",
    "def sort_integers(a: list[int]) -> list[int]:\n    \"\"\"Return the integers of a in ascending order.\"\"\"\n",
    [
        ("bubble_sort", '''
def sort_integers(a):
    a = list(a)
    n = len(a)
    for i in range(n):
        for j in range(n - 1 - i):
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]
    return a
'''),
        ("merge_sort", '''
def sort_integers(a):
    if len(a) <= 1:
        return list(a)
    mid = len(a) // 2
    left, right = sort_integers(a[:mid]), sort_integers(a[mid:])
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out.append(left[i]); i += 1
        else:
            out.append(right[j]); j += 1
    out.extend(left[i:]); out.extend(right[j:])
    return out
'''),
        ("heap_sort", '''
import heapq

def sort_integers(a):
    heap = list(a)
    heapq.heapify(heap)
    return [heapq.heappop(heap) for _ in range(len(heap))]
'''),
        ("builtin_sorted", '''
def sort_integers(a):
    return sorted(a)
'''),
    ],
    [
        ("list_sort_in_place", '''
def sort_integers(a):
    b = a.copy()
    b.sort()
    return b
''', "builtin_sorted", "the same C sort as sorted()"),
        ("insertion_sort", '''
def sort_integers(a):
    a = list(a)
    for i in range(1, len(a)):
        x, j = a[i], i - 1
        while j >= 0 and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x
    return a
''', "bubble_sort", "quadratic, but a few times faster than bubble sort: matches or beats the slowest level only"),
        ("descending_by_mistake", '''
def sort_integers(a):
    return sorted(a, reverse=True)
''', None, "wrong order"),
    ],
    _RANDOM_INTS, 1500, "sort a list: bubble, merge, heap and built-in sort",
)

DEDUP = _task(
    "dedup_preserve_order", "dedup",
    "def dedup(a: list[int]) -> list[int]:\n    \"\"\"Return the distinct values of a in order of first occurrence.\"\"\"\n",
    [
        ("nested_loops", '''
def dedup(a):
    out = []
    for x in a:
        seen = False
        for y in out:
            if y == x:
                seen = True
                break
        if not seen:
            out.append(x)
    return out
'''),
        ("prefix_count", '''
def dedup(a):
    return [x for i, x in enumerate(a) if a[:i].count(x) == 0]
'''),
        ("set_loop", '''
def dedup(a):
    seen, out = set(), []
    for x in a:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
'''),
        ("dict_fromkeys", '''
def dedup(a):
    return list(dict.fromkeys(a))
'''),
    ],
    [
        ("dict_keys", '''
def dedup(a):
    return list(dict.fromkeys(a).keys())
''', "dict_fromkeys", "dict.fromkeys"),
        ("not_in_output", '''
def dedup(a):
    out = []
    for x in a:
        if not x in out:
            out.append(x)
    return out
''', "nested_loops", "membership test on the output list"),
        ("set_loses_order", '''
def dedup(a):
    return list(set(a))
''', None, "order of first occurrence lost"),
    ],
    '''
import random

def generate(scale, seed):
    rng = random.Random(seed)
    distinct = max(1, scale // 10)
    return ([rng.randrange(distinct) * 7919 for _ in range(scale)],)
''', 4000, "distinct values in order: sliced counts, nested loops, set and dict.fromkeys (one level)",
)

TWO_SUM = _task(
    "two_sum", "two_sum",
    "def two_sum(nums: list[int], target: int) -> tuple[int, int]:\n"
    "    \"\"\"Return indices i < j with nums[i] + nums[j] == target (exactly one pair exists).\"\"\"\n",
    [
        ("nested_loops", '''
def two_sum(nums, target):
    n = len(nums)
    for i in range(n):
        for j in range(i + 1, n):
            if nums[i] + nums[j] == target:
                return (i, j)
'''),
        ("slice_membership", '''
def two_sum(nums, target):
    for i, x in enumerate(nums):
        rest = nums[i + 1:]
        if target - x in rest:
            return (i, i + 1 + rest.index(target - x))
'''),
        ("sorted_two_pointers", '''
def two_sum(nums, target):
    order = sorted(range(len(nums)), key=nums.__getitem__)
    lo, hi = 0, len(order) - 1
    while lo < hi:
        s = nums[order[lo]] + nums[order[hi]]
        if s == target:
            i, j = order[lo], order[hi]
            return (min(i, j), max(i, j))
        if s < target:
            lo += 1
        else:
            hi -= 1
'''),
        ("hash_map", '''
def two_sum(nums, target):
    where = {}
    for j, x in enumerate(nums):
        i = where.get(target - x)
        if i is not None:
            return (i, j)
        where[x] = j
'''),
    ],
    [
        ("dict_lookup_in", '''
def two_sum(nums, target):
    seen = {}
    for j in range(len(nums)):
        if target - nums[j] in seen:
            return (seen[target - nums[j]], j)
        seen[nums[j]] = j
''', "hash_map", "hash map"),
        ("double_loop_range", '''
def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == target:
                return (i, j)
''', "nested_loops", "quadratic Python loops"),
        ("swapped_indices", '''
def two_sum(nums, target):
    where = {}
    for j, x in enumerate(nums):
        if target - x in where:
            return (j, where[target - x])
        where[x] = j
''', None, "returns (j, i)"),
    ],
    '''
import random

def generate(scale, seed):
    rng = random.Random(seed)
    nums = rng.sample(range(0, 10 * scale, 2), scale - 2)
    # The only pair summing to an odd target is the two odd numbers placed at the end.
    nums += [10**7 + 1, 10**7 + 3]
    return (nums, 2 * 10**7 + 4)
''', 1500, "pair with a given sum: quadratic loops, slices, sorting, hash map",
)

PREFIX = _task(
    "prefix_sums", "prefix_sums",
    "def prefix_sums(a: list[int]) -> list[int]:\n    \"\"\"Return [a[0], a[0]+a[1], ...], the running totals of a.\"\"\"\n",
    [
        ("double_loop", '''
def prefix_sums(a):
    out = []
    for i in range(len(a)):
        total = 0
        for j in range(i + 1):
            total += a[j]
        out.append(total)
    return out
'''),
        ("sum_of_slices", '''
def prefix_sums(a):
    return [sum(a[:i + 1]) for i in range(len(a))]
'''),
        ("reduce_concatenate", '''
from functools import reduce

def prefix_sums(a):
    return reduce(lambda acc, x: acc + [acc[-1] + x], a, [0])[1:]
'''),
        ("running_total", '''
def prefix_sums(a):
    out, total = [], 0
    for x in a:
        total += x
        out.append(total)
    return out
'''),
    ],
    [
        ("walrus_comprehension", '''
def prefix_sums(a):
    total = 0
    return [total := total + x for x in a]
''', "running_total", "one Python step per element"),
        ("accumulate", '''
from itertools import accumulate

def prefix_sums(a):
    return list(accumulate(a))
''', "running_total", "C loop, faster than the fastest reference"),
        ("sum_of_slices_again", '''
def prefix_sums(a):
    out = []
    for i in range(1, len(a) + 1):
        out.append(sum(a[:i]))
    return out
''', "sum_of_slices", "quadratic, summed in C"),
        ("off_by_one", '''
def prefix_sums(a):
    out, total = [], 0
    for x in a:
        out.append(total)
        total += x
    return out
''', None, "exclusive instead of inclusive sums"),
    ],
    _RANDOM_INTS, 1500, "running totals: double loop, sliced sums, list concatenation, running loop",
)

PRIMES = _task(
    "primes_below", "primes_below",
    "def primes_below(n: int) -> list[int]:\n    \"\"\"Return the primes p < n in ascending order.\"\"\"\n",
    [
        ("trial_division_all", '''
def primes_below(n):
    out = []
    for x in range(2, n):
        for d in range(2, x):
            if x % d == 0:
                break
        else:
            out.append(x)
    return out
'''),
        ("trial_division_sqrt", '''
def primes_below(n):
    out = []
    for x in range(2, n):
        d = 2
        while d * d <= x:
            if x % d == 0:
                break
            d += 1
        else:
            out.append(x)
    return out
'''),
        ("sieve_loops", '''
def primes_below(n):
    is_prime = [True] * max(n, 2)
    is_prime[0] = is_prime[1] = False
    p = 2
    while p * p < n:
        if is_prime[p]:
            for m in range(p * p, n, p):
                is_prime[m] = False
        p += 1
    return [i for i in range(n) if is_prime[i]]
'''),
        ("sieve_slices", '''
from itertools import compress

def primes_below(n):
    if n < 3:
        return []
    sieve = bytearray([1]) * n
    sieve[0] = sieve[1] = 0
    for p in range(2, int(n ** 0.5) + 1):
        if sieve[p]:
            sieve[p * p::p] = bytes(len(range(p * p, n, p)))
    return list(compress(range(n), sieve))
'''),
    ],
    [
        ("counts_one_as_prime", '''
def primes_below(n):
    out = []
    for x in range(1, n):
        d = 2
        while d * d <= x:
            if x % d == 0:
                break
            d += 1
        else:
            out.append(x)
    return out
''', None, "lists 1 as a prime"),
        ("bytearray_sieve", '''
import itertools

def primes_below(n):
    if n < 3:
        return []
    flags = bytearray([1]) * n
    flags[0] = flags[1] = 0
    for k in range(2, int(n ** 0.5) + 1):
        if flags[k]:
            flags[k * k::k] = bytes(len(range(k * k, n, k)))
    return list(itertools.compress(range(n), flags))
''', "sieve_slices", "slice sieve"),
        ("trial_division_half", '''
def primes_below(n):
    out = []
    for x in range(2, n):
        for d in range(2, x // 2 + 1):
            if x % d == 0:
                break
        else:
            out.append(x)
    return out
''', "trial_division_all", "trial division up to x / 2"),
    ],
    '''
def generate(scale, seed):
    return (scale,)
''', 6000, "primes below n: trial division by all numbers and up to the square root, loop sieve, slice sieve",
)

FIB = _task(
    "fibonacci_mod", "fib_mod",
    "def fib_mod(n: int) -> int:\n    \"\"\"Return the n-th Fibonacci number (F(0)=0, F(1)=1) modulo 1_000_000_007.\"\"\"\n",
    [
        ("big_integers", '''
def fib_mod(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a % 1_000_000_007
'''),
        ("iterative_mod", '''
def fib_mod(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 1_000_000_007
    return a
'''),
        ("matrix_power", '''
def fib_mod(n):
    m = 1_000_000_007

    def mul(x, y):
        return [[(x[0][0] * y[0][0] + x[0][1] * y[1][0]) % m, (x[0][0] * y[0][1] + x[0][1] * y[1][1]) % m],
                [(x[1][0] * y[0][0] + x[1][1] * y[1][0]) % m, (x[1][0] * y[0][1] + x[1][1] * y[1][1]) % m]]

    result, base = [[1, 0], [0, 1]], [[1, 1], [1, 0]]
    while n:
        if n & 1:
            result = mul(result, base)
        base = mul(base, base)
        n >>= 1
    return result[0][1]
'''),
        ("fast_doubling", '''
def fib_mod(n):
    m = 1_000_000_007
    a, b = 0, 1
    for bit in bin(n)[2:]:
        c = a * ((2 * b - a) % m) % m
        d = (a * a + b * b) % m
        a, b = (d, (c + d) % m) if bit == "1" else (c, d)
    return a
'''),
    ],
    [
        ("iterative_subtract", '''
def fib_mod(n):
    m = 1_000_000_007
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
        if b >= m:
            b -= m
    return a
''', "iterative_mod", "linear with a reduction per step"),
        ("doubling_bits", '''
def fib_mod(n):
    p = 1_000_000_007
    f, g = 0, 1
    for k in range(n.bit_length() - 1, -1, -1):
        f, g = f * ((2 * g - f) % p) % p, (f * f + g * g) % p
        if (n >> k) & 1:
            f, g = g, (f + g) % p
    return f
''', "fast_doubling", "fast doubling over the bits of n"),
        ("off_by_one", '''
def fib_mod(n):
    a, b = 1, 1
    for _ in range(n):
        a, b = b, (a + b) % 1_000_000_007
    return a
''', None, "starts from F(1), F(2)"),
    ],
    '''
def generate(scale, seed):
    return (scale,)
''', 50_000, "Fibonacci mod p: big-integer loop, modular loop, matrix power, fast doubling",
)

MAX_SUBARRAY = _task(
    "max_subarray", "max_subarray",
    "def max_subarray(a: list[int]) -> int:\n    \"\"\"Return the largest sum of a non-empty contiguous slice of a.\"\"\"\n",
    [
        ("cubic_loops", '''
def max_subarray(a):
    n = len(a)
    best = a[0]
    for i in range(n):
        for j in range(i, n):
            total = 0
            for k in range(i, j + 1):
                total += a[k]
            if total > best:
                best = total
    return best
'''),
        ("quadratic_running", '''
def max_subarray(a):
    n = len(a)
    best = a[0]
    for i in range(n):
        total = 0
        for j in range(i, n):
            total += a[j]
            if total > best:
                best = total
    return best
'''),
        ("quadratic_running_renamed", '''
def max_subarray(values):
    count = len(values)
    top = values[0]
    for left in range(count):
        acc = 0
        for right in range(left, count):
            acc += values[right]
            if acc > top:
                top = acc
    return top
'''),
        ("kadane", '''
def max_subarray(a):
    best = current = a[0]
    for x in a[1:]:
        current = x if current < 0 else current + x
        if current > best:
            best = current
    return best
'''),
    ],
    [
        ("kadane_renamed", '''
def max_subarray(values):
    top = running = values[0]
    for v in values[1:]:
        running = v if running < 0 else running + v
        if running > top:
            top = running
    return top
''', "kadane", "Kadane's scan"),
        ("quadratic_pairs", '''
def max_subarray(a):
    size = len(a)
    result = a[0]
    for start in range(size):
        running = 0
        for stop in range(start, size):
            running += a[stop]
            if running > result:
                result = running
    return result
''', "quadratic_running", "quadratic Python loops"),
        ("allows_empty", '''
def max_subarray(a):
    best = current = 0
    for x in a:
        current = max(0, current + x)
        best = max(best, current)
    return best
''', None, "returns 0 for the empty slice when all values are negative"),
    ],
    '''
import random

def generate(scale, seed):
    rng = random.Random(seed)
    return ([rng.randrange(-1000, -1) for _ in range(scale)],)
''', 160, "maximum subarray: cubic loops, the same quadratic loop twice (one level), Kadane",
)

LCS = _task(
    "lcs_length", "lcs_length",
    "def lcs_length(a: str, b: str) -> int:\n    \"\"\"Return the length of the longest common subsequence of a and b.\"\"\"\n",
    [
        ("memoized_recursion", '''
import sys

def lcs_length(a, b):
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * (len(a) + len(b)) + 100))
    memo = {}

    def go(i, j):
        if i == len(a) or j == len(b):
            return 0
        key = (i, j)
        if key not in memo:
            if a[i] == b[j]:
                memo[key] = 1 + go(i + 1, j + 1)
            else:
                memo[key] = max(go(i + 1, j), go(i, j + 1))
        return memo[key]

    return go(0, 0)
'''),
        ("dp_table", '''
def lcs_length(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table[len(a)][len(b)]
'''),
        ("dp_table_renamed", '''
def lcs_length(s, t):
    grid = [[0] * (len(t) + 1) for _ in range(len(s) + 1)]
    for p in range(1, len(s) + 1):
        for q in range(1, len(t) + 1):
            if s[p - 1] == t[q - 1]:
                grid[p][q] = grid[p - 1][q - 1] + 1
            else:
                grid[p][q] = max(grid[p - 1][q], grid[p][q - 1])
    return grid[len(s)][len(t)]
'''),
        ("bit_parallel", '''
def lcs_length(a, b):
    # Allison and Dix 1986: one bit per position of b, one big-integer step per character of a.
    masks = {}
    for j, y in enumerate(b):
        masks[y] = masks.get(y, 0) | (1 << j)
    full = (1 << len(b)) - 1
    row = 0
    for x in a:
        m = masks.get(x, 0)
        t = m | row
        row = t & ~((t - ((row << 1) | 1)) & full) & full
    return bin(row).count("1")
'''),
    ],
    [
        ("dp_two_rows", '''
def lcs_length(a, b):
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]
''', "dp_table", "quadratic, two rows"),
        ("longest_common_substring", '''
def lcs_length(a, b):
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else 0)
            best = max(best, current[-1])
        previous = current
    return best
''', None, "computes the longest common substring instead"),
    ],
    '''
import random

def generate(scale, seed):
    rng = random.Random(seed)
    letters = "ACGT"
    return ("".join(rng.choice(letters) for _ in range(scale)), "".join(rng.choice(letters) for _ in range(scale)))
''', 300, "longest common subsequence: memoised recursion, two dynamic programmes (one level), bit-parallel",
)

MATMUL = _task(
    "matmul_lists", "matmul",
    "def matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:\n"
    "    \"\"\"Return the matrix product a @ b of two square matrices given as lists of rows.\"\"\"\n",
    [
        ("triple_loop_indices", '''
def matmul(a, b):
    n = len(a)
    c = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(n):
                s += a[i][k] * b[k][j]
            c[i][j] = s
    return c
'''),
        ("outer_product_sum", '''
import numpy as np

def matmul(a, b):
    # n rank-one updates, one numpy call each.
    x = np.array(a)
    y = np.array(b)
    c = np.zeros((x.shape[0], y.shape[1]))
    for k in range(x.shape[1]):
        c += np.outer(x[:, k], y[k])
    return c.tolist()
'''),
        ("numpy_matmul", '''
import numpy as np

def matmul(a, b):
    return (np.array(a) @ np.array(b)).tolist()
'''),
        ("numpy_from_flat", '''
import numpy as np

def matmul(a, b):
    n = len(a)
    x = np.fromiter((v for row in a for v in row), dtype=float, count=n * n).reshape(n, n)
    y = np.fromiter((v for row in b for v in row), dtype=float, count=n * n).reshape(n, n)
    return (x @ y).tolist()
'''),
    ],
    [
        ("ikj_loop", '''
def matmul(a, b):
    n = len(a)
    c = [[0.0] * n for _ in range(n)]
    for i in range(n):
        ci, ai = c[i], a[i]
        for k in range(n):
            aik, bk = ai[k], b[k]
            for j in range(n):
                ci[j] += aik * bk[j]
    return c
''', "triple_loop_indices", "cubic Python loops"),
        ("transposed_map_sum", '''
import operator

def matmul(a, b):
    columns = list(zip(*b))
    return [[sum(map(operator.mul, row, col)) for col in columns] for row in a]
''', "triple_loop_indices", "cubic, with the inner loop in map and sum"),
        ("numpy_dot", '''
import numpy as np

def matmul(a, b):
    return np.dot(np.asarray(a), np.asarray(b)).tolist()
''', "numpy_matmul", "numpy conversion and BLAS"),
        ("elementwise_product", '''
def matmul(a, b):
    return [[x * y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
''', None, "elementwise, not a matrix product"),
    ],
    '''
import random

def generate(scale, seed):
    rng = random.Random(seed)
    return ([[rng.randrange(-8, 9) / 4 for _ in range(scale)] for _ in range(scale)],
            [[rng.randrange(-8, 9) / 4 for _ in range(scale)] for _ in range(scale)])
''', 80, "matrix product of lists: triple loop, numpy rank-one updates, numpy (two conversions)",
    check={"kind": "allclose", "rtol": 1e-9, "atol": 1e-9},
)

PYTHON_TASKS = (SORT, DEDUP, TWO_SUM, PREFIX, PRIMES, FIB, MAX_SUBARRAY, LCS, MATMUL)
