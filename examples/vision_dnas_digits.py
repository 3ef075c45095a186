"""Count FBNet-A, measure a latency table, run a short DNAS search on the 8x8 digits and retrain.

Run from the repository root: ``PYTHONPATH=. python examples/vision_dnas_digits.py`` (about 40 s
on two CPU cores). The space is the three-layer smoke-test space, so the searched network is
small; ``jaxsim run vision-nas`` runs the six-layer space.
"""

import time

from flax import nnx

from jaxsim.vision import abstract_model, count_costs, count_params, fbnet, load_digits_splits
from jaxsim.vision.dnas import DNASConfig, run_search
from jaxsim.vision.latency import measure_latency_table
from jaxsim.vision.search_space import QUICK_DIGITS_SPACE
from jaxsim.vision.training import accuracy, train_classifier

start = time.perf_counter()

# Published-scale counts without allocating weights or running the network.
model = abstract_model(lambda: fbnet("a", rngs=nnx.Rngs(0)))
print(f"FBNet-A: {count_params(model) / 1e6:.2f}M params, {count_costs(model, (1, 224, 224, 3)).macs / 1e6:.0f}M MACs")

space = QUICK_DIGITS_SPACE
table = measure_latency_table(space, batch_size=64, rounds=1, per_round=3)
print("block latency (us), layers x", space.candidates)
print(table.layer_us.round(1))

data = load_digits_splits(seed=0)
# Several passes over the architecture split per epoch give theta enough steps to move.
config = DNASConfig(epochs=3, warmup_epochs=1, batch_size=64, arch_lr=0.05, arch_passes=4)
result = run_search(space, data.train, table, config=config)
print("architecture probabilities:")
print(result.probabilities.round(2))
print("searched:", result.argmax_arch, "expected latency (us):", round(result.expected_latency_us[-1], 1))

net = space.build(result.argmax_arch, rngs=nnx.Rngs(0))
# The study's retraining recipe (AdamW, cosine decay, random one-pixel shifts), fewer epochs.
fit = train_classifier(net, data.train, data.val, epochs=10, learning_rate=2e-2, weight_decay=5e-2, max_shift=1)
print(f"val accuracy: {fit.val_accuracy:.3f}, test accuracy: {accuracy(net, data.test):.3f}")
print(f"wall time: {time.perf_counter() - start:.0f} s")
