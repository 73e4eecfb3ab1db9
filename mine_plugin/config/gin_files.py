"""Where the gin configs of each of dlib's steps are: the plugin's, then dlib's own.

dlib_train: gin_configs/shared.gin + gin_configs/models/<name>.gin (`plugin_config`).
dlib_postprocess, dlib_evaluate (`step_config`): dlib's unsupervised_study_v1 configs
as installed (metrics: Locatello et al. 2019, App. C), or the plugin's lighter ones.
No dlib import. `search_dlib_configs` puts dlib's config/ on gin's search path.
"""
import importlib.util
import pathlib

UNSUPERVISED_STUDY_V1 = "unsupervised_study_v1"
MINE_PLUGIN_SMALL = "mine_plugin_small"
# The plugin's own representations and metrics (gin_configs/postprocess_configs/,
# gin_configs/metric_configs/).
MINE_PLUGIN = "mine_plugin"
# (settings, step) -> whose configs (dlib's config/ or the plugin's gin_configs/),
# and the folder in it.
_FOLDERS = {
    (UNSUPERVISED_STUDY_V1, "postprocess"):
        ("dlib", UNSUPERVISED_STUDY_V1 + "/postprocess_configs"),
    (UNSUPERVISED_STUDY_V1, "metric"):
        ("dlib", UNSUPERVISED_STUDY_V1 + "/metric_configs"),
    (MINE_PLUGIN_SMALL, "metric"):
        ("plugin", MINE_PLUGIN_SMALL + "/metric_configs"),
    (MINE_PLUGIN, "postprocess"): ("plugin", "postprocess_configs"),
    (MINE_PLUGIN, "metric"): ("plugin", "metric_configs"),
}
# Representations whose layout only some metrics read: the gaussian_posterior
# representation ([z_mean, z_logvar]) is scored by latent_dependence alone, and
# latent_dependence by nothing else. Every other pair is evaluated, as dlib_reproduce
# evaluates every metric on every representation.
REPRESENTATION_METRICS = {"gaussian_posterior": ("latent_dependence",)}


def evaluated_together(postprocess_name, metric_name):
  """Whether a study evaluates the metric config on the representation config."""
  own = REPRESENTATION_METRICS.get(postprocess_name)
  if own is not None:
    return metric_name in own
  return not any(metric_name in names for names in REPRESENTATION_METRICS.values())


def _gin_configs_dir():
  """gin_configs/ of the checkout, else the copy installed inside the package."""
  package = pathlib.Path(__file__).resolve().parent.parent
  for candidate in (package.parent / "gin_configs", package / "gin_configs"):
    if (candidate / "shared.gin").is_file():
      return candidate
  raise FileNotFoundError(
      "mine_plugin's gin_configs/ were found neither next to {} nor inside it; "
      "reinstall with `pip install <mine_plugin checkout>`.".format(package))


GIN_CONFIGS = _gin_configs_dir()


def _dlib_config_dir():
  """disentanglement_lib/config/ of the installed dlib, without importing dlib."""
  spec = importlib.util.find_spec("disentanglement_lib")
  if spec is None or not spec.submodule_search_locations:
    raise FileNotFoundError(
        "disentanglement_lib is not installed in this environment, so its study "
        "configs cannot be found. Install it as the README says: "
        "pip install --no-deps disentanglement-lib==1.5")
  return pathlib.Path(list(spec.submodule_search_locations)[0]) / "config"


def search_dlib_configs(unused_module=None):
  """Lets gin `include` dlib's config files by their path under its config/."""
  import gin  # pylint: disable=g-import-not-at-top
  directory = str(_dlib_config_dir())
  if directory not in gin.config._LOCATION_PREFIXES:  # pylint: disable=protected-access
    gin.add_config_file_search_path(directory)


def _existing(path, description, folder):
  """`path` as a string if it is a file, else an error listing the folder's configs."""
  if path.is_file():
    return str(path)
  available = sorted(p.name[:-len(".gin")] for p in folder.glob("*.gin"))
  raise FileNotFoundError("No {} at {}. Available in {}: {}.".format(
      description, path, folder, ", ".join(available) or "none"))


def plugin_config(relative_path):
  """Absolute path of a file under gin_configs/, e.g. 'models/mine_tc_vae.gin'."""
  path = GIN_CONFIGS / relative_path
  if path.is_file():
    return str(path)
  available = sorted(str(p.relative_to(GIN_CONFIGS))
                     for p in GIN_CONFIGS.rglob("*.gin"))
  raise FileNotFoundError("No gin config {!r} under {}. Available: {}".format(
      str(relative_path), GIN_CONFIGS, ", ".join(available)))


def _step_folder(step, settings):
  """The folder of one step's configs: (dlib's or the plugin's root) / _FOLDERS."""
  if (settings, step) not in _FOLDERS:
    raise ValueError(
        "No {!r} configs with settings {!r}. Valid (settings, step): {}; every "
        "study postprocesses with dlib's configs.".format(
            step, settings, ", ".join("({!r}, {!r})".format(*key)
                                      for key in sorted(_FOLDERS))))
  owner, folder = _FOLDERS[settings, step]
  return (_dlib_config_dir() if owner == "dlib" else GIN_CONFIGS) / folder


def step_config(step, name, settings=UNSUPERVISED_STUDY_V1):
  """Absolute path of the gin config of one postprocessing or metric.

  Args:
    step: "postprocess" (for dlib_postprocess) or "metric" (for dlib_evaluate).
    name: the config's name, e.g. "mean" or "mig"; dlib_reproduce names the
      result directory after it (`metrics/<postprocess>/<metric>/`).
    settings: "unsupervised_study_v1" for dlib's own files, unchanged (full sample
      sizes; compare with dlib's published results), "mine_plugin_small" for
      the plugin's metrics on fewer samples (gin_configs/mine_plugin_small/), or
      "mine_plugin" for the plugin's own representations and metrics.

  Returns:
    The path, as a string.

  Raises:
    ValueError: for an unknown step or settings (the message lists the valid ones).
    FileNotFoundError: for an unknown name (the message lists the folder's configs).
  """
  folder = _step_folder(step, settings)
  return _existing(folder / (name + ".gin"),
                   "{} {} config {!r}".format(settings, step, name), folder)


def named_config(step, name):
  """dlib's unsupervised_study_v1 config `name` of `step`, else the plugin's own."""
  try:
    return step_config(step, name, UNSUPERVISED_STUDY_V1)
  except FileNotFoundError as dlib_error:
    try:
      return step_config(step, name, MINE_PLUGIN)
    except FileNotFoundError as plugin_error:
      raise FileNotFoundError("{} {}".format(dlib_error, plugin_error)) from None


def main(argv):
  """`python -m mine_plugin.config.gin_files STEP NAME [SETTINGS]` prints the path.

  For dlib's console scripts, e.g. `dlib_evaluate --gin_config=$(python -m
  mine_plugin.config.gin_files metric mig)` evaluates with dlib's own mig.gin.
  """
  if len(argv) not in (2, 3):
    raise SystemExit("usage: python -m mine_plugin.config.gin_files "
                     "{postprocess|metric} NAME [unsupervised_study_v1|mine_plugin_small|mine_plugin]")
  print(step_config(*argv))


if __name__ == "__main__":
  import sys  # pylint: disable=g-import-not-at-top
  main(sys.argv[1:])
