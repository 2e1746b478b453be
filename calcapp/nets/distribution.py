"""``tf.distribute`` strategies for the trainer, by name.

Why a helper: the trainer only needs ``strategy.scope()``; choosing the strategy depends on
the machine (several GPUs: ``mirrored``; several hosts: ``multiworker`` reads ``TF_CONFIG``),
and tests need two *logical* CPU devices, which must be configured before TensorFlow
touches any device. Under the JAX backend use ``keras.distribution`` instead (not wired here).
"""

from __future__ import annotations


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
