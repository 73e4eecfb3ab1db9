"""mine_plugin.compat and .registration: dlib 1.5 on TensorFlow 2.15 / gin 0.5,
lazily, with clear errors, and the plugin's names wherever dlib's are."""
import os
import shutil
import site
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from mine_plugin import compat
from mine_plugin import registration
from mine_plugin.config import gin_files


def _run_python(code, **kwargs):
  return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                        capture_output=True, text=True, **kwargs)


def test_importing_mine_plugin_does_not_import_tensorflow():
  completed = _run_python("""
      import sys
      import mine_plugin
      print(sorted(m for m in sys.modules if m.split('.')[0] in
                   ('tensorflow', 'disentanglement_lib', 'gin')))
      """)
  assert completed.returncode == 0, completed.stderr
  assert completed.stdout.strip() == "[]"


def test_unrelated_program_gets_the_hook_but_not_tensorflow():
  completed = _run_python("""
      import json, sys
      print('mine_plugin' in sys.modules, 'tensorflow' in sys.modules)
      """)
  assert completed.returncode == 0, completed.stderr
  # The .pth file activated the hook at start-up; TensorFlow stayed unloaded.
  assert completed.stdout.split() == ["True", "False"]


@pytest.mark.parametrize("first", [
    "from mine_plugin import models",  # 0.1's module paths, kept as aliases
    "from mine_plugin import attention",
    "from mine_plugin.methods.unsupervised import mine_tc_vae",
    "from mine_plugin.methods.unsupervised import pairwise_mi_vae",
    "from mine_plugin.methods.unsupervised import critic_penalty",
    "from mine_plugin.data.ground_truth import synthetic_squares",
    "from disentanglement_lib.methods.unsupervised import vae",
    "from disentanglement_lib.config import reproduce; from mine_plugin import models",
])
def test_any_import_order_registers_every_model(first):
  # The plugin's modules load after the dlib modules they extend; importing one of
  # them first (which imports dlib's vae, whose hook imports them) must still end
  # with all registered, not with a half-initialised module.
  completed = _run_python(first + """
import gin
from disentanglement_lib.methods.unsupervised import train
print([gin.config._REGISTRY.get_match(name) is not None for name in
       ("mine_tc_vae", "pairwise_mi_vae", "attention_mine_vae", "lambda_beta_vae",
        "critic_optimizer", "synthetic_squares", "warm_start")])
""")
  assert completed.returncode == 0, completed.stderr[-2000:]
  assert completed.stdout.strip().splitlines()[-1] == str([True] * 7)


def test_every_entry_of_the_registration_table_exists():
  import importlib  # pylint: disable=g-import-not-at-top
  entries = [entry for table in (registration.BEFORE, registration.AFTER)
             for listed in table.values() for entry in listed]
  for entry in entries + list(registration.GIN_WRAPPED.values()):
    module_name, _, function = entry.partition(":")
    module = importlib.import_module(module_name)
    assert not function or callable(getattr(module, function)), entry


def test_dlib_modules_load_every_plugin_module_with_gin_names():
  # dlib's console scripts import only dlib: the table must reach every module of
  # the plugin that registers gin names.
  completed = _run_python("""
      import pathlib, sys
      import mine_plugin
      from disentanglement_lib.config import reproduce
      from disentanglement_lib.evaluation import evaluate
      from disentanglement_lib.postprocessing import postprocess
      from disentanglement_lib.methods.unsupervised import train
      root = pathlib.Path(mine_plugin.__file__).parent
      for path in sorted(root.rglob("*.py")):
        if "@gin.configurable" in path.read_text():
          name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
          print(name, name in sys.modules)
      """)
  assert completed.returncode == 0, completed.stderr[-2000:]
  not_loaded = [line for line in completed.stdout.splitlines()
                if line.endswith(" False")]
  assert not_loaded == [], not_loaded


def test_a_gin_file_of_mine_plugin_0_1_still_parses(tmp_path):
  # 0.1's gin files imported the plugin's modules by their old paths.
  config = tmp_path / "old.gin"
  config.write_text(textwrap.dedent("""
      import mine_plugin.datasets
      import mine_plugin.attention
      import mine_plugin.models
      dataset.name = "synthetic_squares_32"
      synthetic_squares.noise_std = 0.05
      model.model = @attention_mine_vae()
      attention_mine_vae.lam = 1.
      mine_tc_vae.beta = 6.
      """))
  completed = _run_python("""
      import gin
      from disentanglement_lib.methods.unsupervised import train
      gin.parse_config_file({!r})
      print(gin.query_parameter("synthetic_squares.noise_std"),
            gin.query_parameter("mine_tc_vae.beta"))
      """.format(str(config)))
  assert completed.returncode == 0, completed.stderr[-2000:]
  assert completed.stdout.split()[-2:] == ["0.05", "6.0"]


def test_compat_pth_is_installed_in_site_packages():
  found = [directory for directory in site.getsitepackages()
           if os.path.isfile(os.path.join(directory, "mine_plugin_compat.pth"))]
  assert found, ("mine_plugin_compat.pth is missing from {}: dlib's console "
                 "scripts would run without the compat layer. Install with "
                 "`pip install .`.".format(site.getsitepackages()))


def test_missing_dependency_says_what_to_install():
  completed = _run_python("""
      import sys
      sys.modules['tensorflow_hub'] = None  # as if it were not installed
      import disentanglement_lib
      """)
  assert completed.returncode != 0
  message = completed.stderr.strip().splitlines()[-1]
  assert message.startswith("ImportError: mine_plugin:"), message
  assert "tensorflow-hub" in message
  assert "pip install 'tensorflow-hub==0.15.0'" in message


def test_wrong_tensorflow_version_is_named():
  with pytest.raises(ImportError, match=r"tensorflow 2\.16\.1 is installed.*"
                                        r"tensorflow-cpu==2\.15\.1"):
    compat._check_tensorflow_version(types.SimpleNamespace(__version__="2.16.1"))


def test_contrib_stand_ins_are_tf_estimator_tpu():
  import disentanglement_lib.methods.unsupervised.train  # pylint: disable=unused-import
  import tensorflow.compat.v1 as tf
  from tensorflow.contrib import tpu as contrib_tpu
  assert contrib_tpu.TPUEstimator is tf.estimator.tpu.TPUEstimator
  assert contrib_tpu.TPUEstimatorSpec is tf.estimator.tpu.TPUEstimatorSpec


def test_gin_accepts_dlib_whitelist_and_rejects_both_spellings():
  import disentanglement_lib  # pylint: disable=unused-import
  import gin

  @gin.configurable("compat_test_fn", whitelist=["a"])
  def fn(a=1, b=2):
    return a, b

  with gin.unlock_config():
    gin.bind_parameter("compat_test_fn.a", 5)
  try:
    assert fn() == (5, 2)
    with pytest.raises(ValueError, match="b"):
      gin.bind_parameter("compat_test_fn.b", 3)
  finally:
    gin.clear_config()
  with pytest.raises(TypeError, match="whitelist.*allowlist"):
    gin.configurable("compat_test_both", whitelist=["a"], allowlist=["a"])


def test_assign_from_checkpoint_fn_restores_values(tmp_path):
  import tensorflow.compat.v1 as tf
  path = str(tmp_path / "ckpt")
  with tf.Graph().as_default():
    tf.get_variable("w", initializer=np.arange(3, dtype=np.float32))
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      tf.train.Saver().save(session, path)
  with tf.Graph().as_default():
    w = tf.get_variable("w", shape=[3], initializer=tf.zeros_initializer())
    other = tf.get_variable("other", shape=[2])
    with pytest.raises(ValueError, match="no variables to restore"):
      compat.assign_from_checkpoint_fn(path, [other], ignore_missing_vars=True)
    restore = compat.assign_from_checkpoint_fn(path, [w, other],
                                               ignore_missing_vars=True)
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      restore(session)
      np.testing.assert_array_equal(session.run(w), [0., 1., 2.])


def test_visualize_util_saves_float_images(tmp_path):
  from disentanglement_lib.visualize import visualize_util
  from PIL import Image
  image = np.linspace(0., 1., 16, dtype=np.float32).reshape(4, 4, 1)
  path = str(tmp_path / "image.png")
  visualize_util.save_image(image, path)
  saved = np.asarray(Image.open(path))
  assert saved.shape == (4, 4, 3)
  np.testing.assert_array_equal(saved[..., 0], np.round(image[..., 0] * 255))
  frames = [[np.full((4, 4, 3), value, np.float32) for value in (0., 0.5, 1.)]]
  visualize_util.save_animation(frames, str(tmp_path / "anim.gif"), fps=2)
  assert (tmp_path / "anim.gif").stat().st_size > 0


def test_unknown_dataset_name_lists_valid_names():
  from disentanglement_lib.data.ground_truth import named_data
  with pytest.raises(ValueError, match=r"'no_such_data'.*dsprites_full.*"
                                       r"dummy_data"):
    named_data.get_named_ground_truth_data("no_such_data")


def test_64x64_architectures_on_32x32_data_name_the_fix():
  completed = _run_python("""
      from disentanglement_lib.methods.unsupervised import train
      from disentanglement_lib.methods.unsupervised import vae
      import gin
      import tensorflow.compat.v1 as tf
      from mine_plugin.config import gin_files
      gin.parse_config_files_and_bindings(
          [gin_files.plugin_config("shared.gin")],
          ["dataset.name = 'synthetic_squares_32'", "model.model = @vae()",
           "vae.beta = 1."])
      with tf.Graph().as_default():
        tf.train.get_or_create_global_step()
        vae.BetaVAE().model_fn(tf.zeros([4, 32, 32, 1]), None, "train", {})
      """)
  assert completed.returncode != 0
  last = completed.stderr.strip().splitlines()
  message = [l for l in last if l.startswith("ValueError")][-1]
  assert "does not produce images of the data's shape [32, 32, 1]" in message
  assert "@conv_encoder_32" in message and "@deconv_decoder_32" in message


def test_an_editable_install_also_activates_the_plugin(tmp_path):
  # `pip install -e .` runs setuptools' develop for this project; run it into a
  # directory of its own (pip would first uninstall this environment's copy), on a
  # copy of the source tree (so that its egg-info stays out of the checkout).
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  source = tmp_path / "source"
  source.mkdir()
  for name in ("setup.py", "mine_plugin_compat.pth"):
    shutil.copy(os.path.join(root, name), source / name)
  for name in ("mine_plugin", "gin_configs"):
    shutil.copytree(os.path.join(root, name), source / name,
                    ignore=shutil.ignore_patterns("__pycache__"))
  editable_site = str(tmp_path / "site")
  os.mkdir(editable_site)
  completed = subprocess.run(
      [sys.executable, "setup.py", "-q", "develop", "--no-deps",
       "--install-dir", editable_site, "--script-dir", str(tmp_path / "bin")],
      cwd=str(source), capture_output=True, text=True,
      env=dict(os.environ, PYTHONPATH=editable_site))
  assert completed.returncode == 0, completed.stderr[-2000:]
  assert os.path.isfile(os.path.join(editable_site, "mine_plugin_compat.pth"))
  # A Python whose only .pth files are the editable install's (its easy-install.pth
  # points at the source copy): dlib imports patched, the plugin's models registered.
  dependencies = [d for d in site.getsitepackages() if os.path.isdir(d)]
  completed = subprocess.run([sys.executable, "-S", "-c", textwrap.dedent("""
      import site, sys
      site.addsitedir({editable_site!r})
      sys.path += {dependencies!r}
      import mine_plugin
      assert mine_plugin.__file__.startswith({source!r}), mine_plugin.__file__
      from disentanglement_lib.methods.unsupervised import train
      import gin
      print(gin.config._REGISTRY.get_match("pairwise_mi_vae") is not None)
      """.format(dependencies=dependencies, source=str(source),
                 editable_site=editable_site))], capture_output=True, text=True,
                             cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=""))
  assert completed.returncode == 0, completed.stderr[-2000:]
  assert completed.stdout.strip().splitlines()[-1] == "True"
