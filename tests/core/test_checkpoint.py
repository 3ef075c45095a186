import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.core.checkpoint import Checkpointer


def test_checkpoint_save_restore_latest(tmp_path):
    template = {"x": jnp.zeros(3), "key": jax.random.key(0), "step": jnp.asarray(0)}
    with Checkpointer(tmp_path / "ckpt", max_to_keep=2) as checkpointer:
        for step in (1, 2, 3):
            state = {"x": jnp.arange(3.0) * step, "key": jax.random.key(step), "step": jnp.asarray(step)}
            checkpointer.save(step, state, metadata={"step": step})
    with Checkpointer(tmp_path / "ckpt") as checkpointer:
        step, state, metadata = checkpointer.restore(template)
        assert step == 3
        np.testing.assert_array_equal(state["x"], [0.0, 3.0, 6.0])
        np.testing.assert_array_equal(state["key"], jax.random.key_data(jax.random.key(3)))
        assert metadata == {"step": 3}
        with pytest.raises(FileNotFoundError):
            Checkpointer(tmp_path / "empty").restore(template)
