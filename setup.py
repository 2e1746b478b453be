"""Build hook (the rest of the metadata is in pyproject.toml).

The wheel carries what an installed calcapp needs from ``resources/``: the bundled models
and their cards, the icons and the desktop entry, as ``calcapp/resources`` (where
``calcapp.paths.resources_dir()`` looks once installed). In the checkout they stay in
``resources/``, where the packaging scripts and an editable install find them.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("models", "icons", "calcapp.desktop")  # not screenshots: they are for the README


class BuildPyWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's resources/
        target = Path(self.build_lib) / "calcapp" / "resources"
        for name in SHIPPED:
            src, dst = ROOT / "resources" / name, target / name
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", ".*"))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildPyWithResources})
