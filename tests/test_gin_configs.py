"""Every shipped gin file imports the plugin and parses against dlib's configurables;
dlib's own postprocessing and metric configs are found by name
(mine_plugin/config/gin_files.py)."""
import pathlib

# dlib's modules that register the configurables the files bind.
from disentanglement_lib.evaluation import evaluate  # pylint: disable=unused-import
from disentanglement_lib.methods.unsupervised import train  # pylint: disable=unused-import
from disentanglement_lib.postprocessing import postprocess  # pylint: disable=unused-import
import gin
from mine_plugin.config import gin_files
from mine_plugin.config import studies
import pytest

GIN_FILES = sorted(pathlib.Path(gin_files.GIN_CONFIGS).rglob("*.gin"))


def _parses(files):
  gin.clear_config()
  try:
    gin.parse_config_files_and_bindings([str(f) for f in files], [])
  finally:
    gin.clear_config()


def test_every_directory_of_gin_configs_is_covered():
  directories = {path.parent.relative_to(gin_files.GIN_CONFIGS) for path in GIN_FILES}
  assert {pathlib.Path(name) for name in
          (".", "models", "datasets", "mine_plugin_small/metric_configs")
          } <= directories


@pytest.mark.parametrize(
    "path", GIN_FILES,
    ids=[str(p.relative_to(gin_files.GIN_CONFIGS)) for p in GIN_FILES])
def test_gin_file_imports_the_plugin_and_parses(path):
  statements = [line for line in path.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
  # A stock dlib runner loads the plugin from the config alone.
  assert statements[0].startswith("import mine_plugin"), statements[0]
  # Model files go with shared.gin, as dlib_train gets them.
  files = [path]
  if path.parent.name == "models":
    files.insert(0, gin_files.plugin_config("shared.gin"))
  _parses(files)


@pytest.mark.parametrize("step,name,settings", [
    ("postprocess", name, gin_files.UNSUPERVISED_STUDY_V1)
    for name in ("mean", "sampled")] + [
        ("metric", name, gin_files.UNSUPERVISED_STUDY_V1)
        for name in studies.FULL_METRICS] + [
            ("metric", name, gin_files.MINE_PLUGIN_SMALL)
            for name in studies.SMALL_METRICS])
def test_step_configs_are_found_by_name_and_parse(step, name, settings):
  path = pathlib.Path(gin_files.step_config(step, name, settings))
  assert path.name == name + ".gin"
  if settings == gin_files.UNSUPERVISED_STUDY_V1:
    # dlib's own file, not a copy.
    assert path.parent.parent.name == "unsupervised_study_v1"
    assert "disentanglement_lib" in path.parts
  _parses([path])


def test_step_config_errors_name_the_valid_choices():
  with pytest.raises(FileNotFoundError, match="Available in .*: .*mig"):
    gin_files.step_config("metric", "migg")
  with pytest.raises(ValueError, match="'mine_plugin_small', 'metric'"):
    gin_files.step_config("postprocess", "mean", gin_files.MINE_PLUGIN_SMALL)
  with pytest.raises(ValueError, match="'unsupervised_study_v1', 'postprocess'"):
    gin_files.step_config("metrics", "mig")
  with pytest.raises(FileNotFoundError, match="models/beta_tc_vae.gin"):
    gin_files.plugin_config("models/beta_tc_vae_typo.gin")
