"""Count FBNet-A, measure a latency table, run a short DNAS search on the 8x8 digits and retrain.

Run from the repository root: ``PYTHONPATH=. python examples/vision_dnas_digits.py``.
"""

from flax import nnx

from jaxsim.vision import abstract_model, count_costs, count_params, fbnet, load_digits_splits
from jaxsim.vision.dnas import DNASConfig, run_search
from jaxsim.vision.latency import measure_latency_table
from jaxsim.vision.search_space import QUICK_DIGITS_SPACE
from jaxsim.vision.training import accuracy, train_classifier

# Published-scale counts without allocating weights or running the network.
model = abstract_model(lambda: fbnet("a", rngs=nnx.Rngs(0)))
print(f"FBNet-A: {count_params(model) / 1e6:.2f}M params, {count_costs(model, (1, 224, 224, 3)).macs / 1e6:.0f}M MACs")

space = QUICK_DIGITS_SPACE
table = measure_latency_table(space, batch_size=64, rounds=1, per_round=3)
print("block latency (us), layers x", space.candidates)
print(table.layer_us.round(1))

data = load_digits_splits(seed=0)
result = run_search(space, data.train, table, config=DNASConfig(epochs=2, warmup_epochs=1, batch_size=128))
print("searched:", result.argmax_arch, "expected latency (us):", round(result.expected_latency_us[-1], 1))

net = space.build(result.argmax_arch, rngs=nnx.Rngs(0))
train_classifier(net, data.train, data.val, epochs=3, batch_size=64)
print(f"test accuracy: {accuracy(net, data.test):.3f}")
