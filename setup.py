"""Installs mine_plugin and the pinned stack that runs disentanglement_lib 1.5.

disentanglement_lib 1.5 itself pins tensorflow==1.14 and tensorflow-probability==0.7,
which do not install on Python 3.11; `pip install .` therefore installs the stack
below and the README's commands add dlib with `--no-deps`.
"""
import os
import re
import shutil

import setuptools
from setuptools.command import build_py
from setuptools.command import develop

_PTH = "mine_plugin_compat.pth"


def _version():
  """mine_plugin.__version__, read without importing the package."""
  path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mine_plugin",
                      "__init__.py")
  with open(path) as source:
    return re.search(r'^__version__ = "([^"]+)"', source.read(), re.M).group(1)

# One pinned, reproducible set (tested on Python 3.11, CPU). GPU users: see README.
INSTALL_REQUIRES = [
    "tensorflow-cpu==2.15.1",
    "tensorflow-estimator==2.15.0",
    "tensorflow-hub==0.15.0",
    "tensorflow-probability==0.23.0",
    "gin-config==0.5.0",
    "numpy>=1.23,<2",
    "scipy>=1.10,<2",
    "scikit-learn>=1.3,<2",
    "pandas>=2.0,<3",
    "matplotlib>=3.7,<4",
    "seaborn>=0.12",
    "Pillow>=10",
    "imageio>=2.30",
    "simplejson>=3.19",
    "six>=1.16",
    "future>=0.18",
    "h5py>=3.9",
    "absl-py>=1.4",
    "tqdm>=4.60",  # the progress bars of the main job and the study runner
    # tensorflow-hub 0.15 imports pkg_resources, which setuptools 81 removed.
    "setuptools<81",
]


class BuildPyWithPth(build_py.build_py):
  """Also puts mine_plugin_compat.pth at the top of site-packages."""

  def run(self):
    # A build/ left by an older checkout would hold modules that have since moved
    # (0.1's flat layout); installing them beside the new ones registers gin names
    # twice. Build the package afresh.
    shutil.rmtree(os.path.join(self.build_lib, "mine_plugin"), ignore_errors=True)
    super().run()
    self.copy_file(_PTH, os.path.join(self.build_lib, _PTH), preserve_mode=0)

  def get_outputs(self, include_bytecode=1):
    return super().get_outputs(include_bytecode) + [
        os.path.join(self.build_lib, _PTH)]


class DevelopWithPth(develop.develop):
  """`pip install -e .` (setup.py develop) also installs mine_plugin_compat.pth.

  Without it no dlib module is patched, and dlib fails at import with gin's bare
  "whitelist" TypeError.
  """

  def run(self):
    super().run()
    if not self.uninstall:
      self.copy_file(_PTH, os.path.join(self.install_dir, _PTH), preserve_mode=0)


setuptools.setup(
    name="mine_plugin",
    version=_version(),
    description=("Mutual-information-based disentanglement models and datasets for "
                 "disentanglement_lib."),
    python_requires=">=3.11,<3.12",
    packages=setuptools.find_packages(include=["mine_plugin", "mine_plugin.*"]) + [
        "mine_plugin.gin_configs"],
    # gin_configs/ is installed inside the package too, so studies and scripts find
    # the configs from any working directory.
    package_dir={"mine_plugin.gin_configs": "gin_configs"},
    package_data={"mine_plugin.gin_configs": ["*.gin", "*/*.gin", "*/*/*.gin"]},
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": ["pytest>=7"], "ray": ["ray>=2.9"]},
    cmdclass={"build_py": BuildPyWithPth, "develop": DevelopWithPth},
)
