"""``calcapp train``: run a recipe (or list them), printing the seeds' per-epoch lines."""

from __future__ import annotations

MAX_THREADS = 256  # TensorFlow CPU threads; more only thrash


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a calculator model from a recipe",
                       description="Train a model from a recipe in training/recipes.")
    p.add_argument("--recipe", metavar="NAME", help="recipe name (see --list) or JSON path")
    p.add_argument("--list", action="store_true", help="list the recipes and their goals")
    p.add_argument("--epochs", type=int, metavar="N", help="override the recipe's epochs")
    p.add_argument("--out", metavar="DIR", help="where the model folder goes "
                   "(default: the user models folder; bundled ones use resources/models)")
    p.add_argument("--resume", metavar="DIR", help="continue from this checkpoint folder")
    p.add_argument("--name", metavar="NAME", help="the new model's name (default: the recipe's)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing model of that name (otherwise training refuses)")
    p.add_argument("--threads", type=int, default=2, help="TensorFlow CPU threads (default 2)")
    p.add_argument("--distribute", metavar="NAME", default="none",
                   help="data-parallel training: none (default), mirrored (all local GPUs), "
                   "cpu:N (N logical CPU devices), multiworker (hosts named by TF_CONFIG), "
                   "jax-data-parallel (all JAX devices; KERAS_DISTRIBUTION_* for hosts)")


def run(args) -> int:
    from calcapp.cli import UsageError
    from calcapp.arithmetic.recipes import list_recipes, load_recipe

    if args.list:
        for r in list_recipes():
            goal = ", ".join(f"{k} {v}" for k, v in r.goal.items()) or "-"
            mark = "bundled" if r.bundled else "compare"
            print(f"{r.name:<22} {mark:<8} {r.config.architecture:<12} "
                  f"{r.config.task.name:<14} goal {goal}")
        return 0
    if not args.recipe:
        raise UsageError("train needs --recipe NAME (or --list)")
    from calcapp.nets.availability import training_unavailable

    if training_unavailable():
        raise UsageError(training_unavailable())
    if args.epochs is not None and args.epochs < 1:
        raise UsageError("--epochs must be at least 1")
    if not 1 <= args.threads <= MAX_THREADS:  # 100,000 threads thrashed the machine for minutes
        raise UsageError(f"--threads must be 1 to {MAX_THREADS} (got {args.threads})")
    try:
        recipe = load_recipe(args.recipe)
    except (LookupError, OSError, ValueError, KeyError) as exc:
        raise UsageError(str(exc)) from None
    from pathlib import Path

    from calcapp.paths import user_models_dir

    out = Path(args.out) if args.out else user_models_dir()
    if args.resume:
        _check_resume(Path(args.resume))
    if recipe.stages:
        result = _train_stages(recipe, args, out)
        if result is None:
            return 130
    else:
        config = recipe.with_overrides(**({"epochs": args.epochs} if args.epochs else {}))
        if config.architecture == "columns":  # digit cells and the written procedure
            config = _named(config, args.name, out, args.overwrite, args.resume, args.distribute)
            metrics = _train_columns(config, out, args.resume, args.overwrite)
            return 130 if metrics is None else _say_goal(recipe, metrics)
        config = _named(config, args.name, out, args.overwrite, args.resume, args.distribute)
        if config.hp().get("init_from") and not args.resume:
            _check_init(config.hp()["init_from"])
        result = _train(args, out, lambda train, **kw: train(config, resume_from=args.resume, **kw))
        if result is None:
            return 130
    return _say_goal(recipe, result.metrics)


def _say_goal(recipe, metrics: dict) -> int:
    """Whether the test exact match reached the recipe's goal, in one line."""
    goal = recipe.goal.get("exact_match")
    if goal is not None:
        got = metrics.get("exact_match") or 0.0
        verdict = "reached" if got >= goal else "NOT reached"
        print(f"goal exact_match >= {goal}: {verdict} ({100 * got:.2f}%)")
    return 0


def _check_init(where) -> None:
    from calcapp.cli import UsageError
    from calcapp.arithmetic.trainer import init_folder  # (no TensorFlow import)

    try:
        init_folder(where)
    except LookupError as exc:
        raise UsageError(str(exc)) from None


def _train(args, out, start):
    """TensorFlow's threads and the ``--distribute`` strategy set up, then ``start(train,
    out=..., callback=..., control=..., strategy=..., overwrite=...)``; None when Ctrl-C
    stopped it (the best checkpoint is kept)."""
    from calcapp.cli import UsageError
    import keras

    if keras.backend.backend() == "tensorflow":  # (JAX picks its own threads and the GPU)
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)  # as the tab's runs
    from calcapp.nets import distribution
    from calcapp.nets.events import PrintingCallback, RunControl
    from calcapp.arithmetic.trainer import train
    from calcapp.nets.registry import BadModelError

    try:  # before any other TensorFlow op: logical CPUs and collectives need that
        strategy = distribution.from_name(args.distribute)
    except (ValueError, RuntimeError) as exc:
        raise UsageError(f"--distribute {args.distribute}: {exc}".splitlines()[0]) from None
    out = distribution.output_dir(strategy, out)
    control = RunControl()
    try:
        return start(train, out_dir=out, callback=PrintingCallback(), control=control,
                     strategy=strategy, overwrite=args.overwrite)
    except FileExistsError as exc:  # another run took the name meanwhile
        raise UsageError(f"{exc}; train under a new name (--name) or replace it (--overwrite)") from None
    except BadModelError as exc:  # a --resume model that Keras cannot read
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        control.stop()
        print("interrupted; the best checkpoint so far is kept")
        return None


def _train_stages(recipe, args, out):
    """A recipe with ``stages``: every stage checked and its folder found free before
    anything trains, then run one after another (``calcapp.arithmetic.curriculum``)."""
    from calcapp.cli import UsageError
    from calcapp.arithmetic import curriculum

    try:
        stages = curriculum.plan(recipe, args.name, args.epochs)
        first, in_place = (0, False)
        if args.resume:
            first, in_place = curriculum.where_to_resume(stages, args.resume)
        for stage in stages[first:]:
            _named(stage.config, None, out, True, None, args.distribute)  # (settings only)
        curriculum.check_folders(stages, out, first + in_place, args.overwrite)
    except FileExistsError as exc:
        raise UsageError(f"{exc}; train under a new name (--name) or replace it (--overwrite)") from None
    except (LookupError, ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    if first == 0 and stages[0].config.hp().get("init_from"):
        _check_init(stages[0].config.hp()["init_from"])

    def announce(stage, folder):
        i, n = stage.config.stage["stage"], stage.config.stage["of"]
        print(f"stage {i}/{n} {stage.label or '(final)'} -> {folder}", flush=True)

    return _train(args, out, lambda train, out_dir, **kw: curriculum.run(
        stages, out_dir, resume_from=args.resume, on_stage=announce, **kw))


def _check_resume(folder) -> None:
    """A --resume folder must hold a readable card and a sane model file (checked before
    TensorFlow loads, so a broken one gets its own message, not "File not found")."""
    from calcapp.cli import UsageError
    from calcapp.nets.registry import MODEL_NAME, check_keras_archive, load_info

    try:
        load_info(folder)
        check_keras_archive(folder / MODEL_NAME)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--resume {folder}: {exc}") from None


def _named(config, name, out, overwrite: bool, resume, distribute="none"):
    """``config`` under ``--name`` (if given), checked (``hparams_check``) and refused early
    when that model exists."""
    from calcapp.arithmetic.hparams_check import check_training
    from calcapp.cli import UsageError

    try:
        check_training(config, distribute)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from calcapp.arithmetic.trainer import TrainConfig, check_free, same_folder
    from calcapp.nets.registry import safe_model_name

    try:
        if name:
            config = TrainConfig(safe_model_name(name), config.task, config.architecture,
                                 config.hparams)
        folder = out / safe_model_name(config.name)
        check_free(folder, overwrite or (resume is not None and same_folder(resume, folder)))
    except FileExistsError as exc:
        raise UsageError(f"{exc}; train under a new name (--name) or replace it (--overwrite)") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return config


def _train_columns(config, out, resume=None, overwrite: bool = False) -> dict | None:
    """The columns trainer as the Training tab runs it (settings checked, an existing
    folder refused with a free name unless ``--resume`` names it), printing its rounds;
    the card's metrics, or None when Ctrl-C stopped it (its checkpoint is kept)."""
    from calcapp.cli import UsageError
    from calcapp.arithmetic.columns.runs import train_columns
    from calcapp.nets.registry import CARD_NAME, safe_model_name

    try:
        result = train_columns(config, out, log=lambda line: print(line, flush=True),
                               resume_from=resume, overwrite=overwrite)
    except (FileExistsError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        folder = out / safe_model_name(config.name)
        kept = f"; its checkpoint is kept (continue with --resume {folder})" \
            if (folder / CARD_NAME).is_file() else ""
        print(f"interrupted{kept}")
        return None
    print(f"wrote {result.model_dir}")
    return result.metrics
