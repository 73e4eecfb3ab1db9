"""Every shipped gin file imports the plugin and parses against dlib's configurables."""
import pathlib

# dlib's modules that register the configurables the files bind.
from disentanglement_lib.evaluation import evaluate  # pylint: disable=unused-import
from disentanglement_lib.methods.unsupervised import train  # pylint: disable=unused-import
from disentanglement_lib.postprocessing import postprocess  # pylint: disable=unused-import
import gin
from mine_plugin import pipeline
import pytest

GIN_FILES = sorted(pathlib.Path(pipeline.GIN_CONFIGS).rglob("*.gin"))


def test_every_directory_of_gin_configs_is_covered():
  directories = {path.parent.relative_to(pipeline.GIN_CONFIGS) for path in GIN_FILES}
  assert {pathlib.Path(name) for name in
          (".", "models", "datasets", "metrics", "postprocess")} <= directories


@pytest.mark.parametrize(
    "path", GIN_FILES, ids=[str(p.relative_to(pipeline.GIN_CONFIGS)) for p in GIN_FILES])
def test_gin_file_imports_the_plugin_and_parses(path):
  statements = [line for line in path.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
  # A stock dlib runner loads the plugin from the config alone.
  assert statements[0].startswith("import mine_plugin"), statements[0]
  gin.clear_config()
  try:
    # Model files go with shared.gin, as dlib_train gets them.
    files = [str(path)]
    if path.parent.name == "models":
      files.insert(0, pipeline.gin_config("shared.gin"))
    gin.parse_config_files_and_bindings(files, [])
  finally:
    gin.clear_config()
