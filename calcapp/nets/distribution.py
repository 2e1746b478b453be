"""Data-parallel training by name: ``none``, ``mirrored``, ``cpu:N``, ``multiworker``,
``jax-data-parallel``.

Why a helper, and why so little: Keras 3's ``fit`` already does the data-parallel work
once the model is built under a ``tf.distribute`` scope. The model remembers the strategy
it was built under (``keras/src/backend/tensorflow/trainer.py``); ``fit`` hands the data
to ``strategy.experimental_distribute_dataset``, so each global batch is split across the
replicas, runs the train step with ``strategy.run``, and the optimizer all-reduces (sums)
the gradients of losses already scaled by ``1 / num_replicas_in_sync``
(``scale_loss_for_distribution``). ``tests/test_calculator_distribution.py`` counts the
rows each replica sees, to prove it. Under JAX, ``keras.distribution.DataParallel`` set
globally makes ``fit`` shard each batch over the devices, and XLA reduces the gradients.

So the trainer only enters ``scope()``; choosing the strategy depends on the machine, and
tests need *logical* CPU devices, which must be configured before TensorFlow touches any
device (so ``from_name`` must run before any other TensorFlow op).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

NAMES = ("none", "mirrored", "cpu:N", "multiworker", "jax-data-parallel")
MAX_CPU_REPLICAS = 64


def check_name(name: str | None) -> str:
    """The name, normalised; ValueError with a one-line reason. No TensorFlow import."""
    name = (name or "none").strip().lower()
    if name in ("none", "mirrored", "multiworker", "jax-data-parallel"):
        return name
    if name.startswith("cpu:"):
        try:
            n = int(name[4:])
        except ValueError:
            n = 0
        if 1 <= n <= MAX_CPU_REPLICAS:
            return f"cpu:{n}"
        raise ValueError(f"--distribute {name}: N in cpu:N must be 1 to {MAX_CPU_REPLICAS}")
    raise ValueError(f"unknown --distribute {name!r}; use one of {', '.join(NAMES)}")


def backend_problem(name: str, backend: str) -> str | None:
    """Why ``name`` cannot run on this Keras backend (None: it can)."""
    name = check_name(name)
    if name == "jax-data-parallel" and backend != "jax":
        return "jax-data-parallel needs the JAX backend (KERAS_BACKEND=jax)"
    if name not in ("none", "jax-data-parallel") and backend != "tensorflow":
        return f"{name} needs the TensorFlow backend; under JAX use jax-data-parallel"
    if name == "multiworker":
        return tf_config_problem(os.environ.get("TF_CONFIG"))
    return None


def tf_config_problem(text: str | None) -> str | None:
    """What is wrong with a ``TF_CONFIG`` for multiworker (None: looks usable)."""
    if not text:
        return "multiworker needs TF_CONFIG (the cluster's workers and this one's index)"
    try:
        conf = json.loads(text)
        workers = conf["cluster"]["worker"]
        task = conf["task"]
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError):
        return "TF_CONFIG is not valid: it needs cluster.worker and task.type/index"
    if not workers or (kind == "worker" and not 0 <= index < len(workers)):
        return "TF_CONFIG: task.index is outside cluster.worker"
    return None


def split_cpu(n: int = 2) -> list[str]:
    """Make ``n`` logical CPU devices (call before any TensorFlow op runs)."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def make_strategy(kind: str = "mirrored", cpu_devices: int = 0):
    """``mirrored`` (all local GPUs, or ``cpu_devices`` logical CPUs), ``multiworker``, ``default``."""
    import tensorflow as tf

    if kind == "default":
        return tf.distribute.get_strategy()
    if kind == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if kind != "mirrored":
        raise ValueError(f"unknown strategy {kind!r}; use mirrored, multiworker or default")
    if cpu_devices:
        return tf.distribute.MirroredStrategy(split_cpu(cpu_devices))
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy([d.name for d in gpus] or None)


def from_name(name: str | None):
    """The strategy for ``name`` (None for ``none``): something with ``scope()``.

    ``jax-data-parallel`` also sets the distribution globally, since ``fit`` (outside the
    scope the trainer builds the model in) must see it to shard the batches. With
    ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` set it first joins the other hosts
    (``keras.distribution.initialize``)."""
    name = check_name(name)
    if name == "none":
        return None
    import keras

    problem = backend_problem(name, keras.backend.backend())
    if problem:
        raise ValueError(problem)
    if name == "jax-data-parallel":
        if os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"):
            keras.distribution.initialize()
        dp = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        # each host feeds its own slice (``local_batch``), so Keras must not shard again:
        # it would also insist on a tf.data.Dataset
        dp.auto_shard_dataset = False
        keras.distribution.set_distribution(dp)
        return dp
    if name == "multiworker":
        strategy = make_strategy("multiworker")
        _build_from_local_batch()
        return strategy
    if name.startswith("cpu:"):
        return make_strategy("mirrored", cpu_devices=int(name[4:]))
    return make_strategy("mirrored")


def _build_from_local_batch() -> None:
    """Work around Keras 3 under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585),
    in this process only, when ``multiworker`` is chosen. Two places fail:
    - before its first step ``fit`` builds the model symbolically from one batch, which it
      first all-reduces as a nest, and the collective strategy cannot reduce a nest. Only
      the shapes matter there, so it builds from this worker's first replica's piece;
    - each step's logs (scalars: the loss) are all-reduced with ``axis=0``, which a scalar
      has not; they are averaged over the replicas instead (``axis=None``)."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as T
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    original, reduce_logs = TensorFlowTrainer._maybe_symbolic_build, T.reduce_per_replica
    if getattr(original, "_calcapp_local", False):
        return

    def build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is not None and strategy is not None:
            for _, _, it in iterator:
                data_batch = tf.nest.map_structure(
                    lambda v: (strategy.experimental_local_results(v)[0]
                               if isinstance(v, tf.distribute.DistributedValues) else v),
                    next(it))
                break
        return original(self, iterator=None, data_batch=data_batch)

    def reduce(values, strategy, reduction="auto"):
        if reduction in ("auto", "mean") and T._collective_all_reduce_multi_worker(strategy):
            # (with one replica per worker a value is a plain tensor: still all-reduced)
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce_logs(values, strategy, reduction)

    build._calcapp_local = True
    TensorFlowTrainer._maybe_symbolic_build = build
    T.reduce_per_replica = reduce


def replicas(strategy) -> int:
    """How many copies of the model share each batch."""
    if strategy is None:
        return 1
    n = getattr(strategy, "num_replicas_in_sync", None)
    if n is None:  # keras.distribution.DataParallel
        n = strategy.device_mesh.devices.size
    return int(n)


def process_share(strategy) -> tuple[int, int]:
    """(this process's index, process count): several only for multi-host JAX."""
    if strategy is None or hasattr(strategy, "num_replicas_in_sync"):
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def local_batch(strategy, x, y, batch_size: int):
    """What this process feeds ``fit``: under multi-host JAX each host gives its own slice
    of every global batch (Keras assembles the global batch from per-process pieces), so
    it keeps every ``count``-th row and ``batch_size // count`` of each batch. TensorFlow
    strategies split the global batch themselves: unchanged."""
    index, count = process_share(strategy)
    if count == 1:
        return x, y, batch_size
    take = (lambda a: a[index::count])
    x = tuple(take(a) for a in x) if isinstance(x, tuple) else take(x)
    return x, take(y), max(1, batch_size // count)


def is_chief(strategy) -> bool:
    """Does this process write the model folder? (One writer per run: the chief, or
    worker 0 when the cluster has no chief; process 0 under JAX.)"""
    if strategy is None:
        return True
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is not None and getattr(resolver, "task_type", None):
        kind, index = resolver.task_type, int(resolver.task_id or 0)
        has_chief = "chief" in (resolver.cluster_spec().as_dict() or {})
        return kind == "chief" or (kind == "worker" and index == 0 and not has_chief)
    return process_share(strategy)[0] == 0


def output_dir(strategy, out) -> Path:
    """Where this process saves: ``out`` for the chief; a private temp folder for the
    other workers, which must still save (saving may take part in collectives) but must
    never write over the chief's model."""
    if is_chief(strategy):
        return Path(out)
    return Path(tempfile.mkdtemp(prefix="calcapp-worker-"))
