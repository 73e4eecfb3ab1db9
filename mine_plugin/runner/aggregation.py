"""A study's results.json, in `dlib_aggregate_results`' format, of its finished models.

dlib's record loader and `to_json`, but only on runs that `markers.is_finished`
accepts (no glob can tell), in this process (dlib's aggregation forks a
multiprocessing pool, unsafe beside Ray's threads), and written atomically.
"""
import os

from mine_plugin.runner import markers
from mine_plugin.utils import atomic_write

AGGREGATE = "results.json"


def aggregate(output_directory, expected_files, output_path, settings_of=None):
  """Writes the finished models' results in dlib_aggregate_results' JSON format.

  One record per metric result file: dlib's namespaced dict (`train_config.*`,
  `postprocess_config.*`, `evaluation_config.*`, `evaluation_results.*`) plus its
  `path`, by model number. Unfinished and moved-aside models, and, if
  `settings_of` (model number -> its run settings, None for a number outside the
  study) is given, models run with other settings, are left out. Returns the
  number of records.
  """
  # pylint: disable=g-import-not-at-top
  from disentanglement_lib.utils import aggregate_results
  import pandas as pd
  # pylint: enable=g-import-not-at-top
  records = []
  names = [n for n in os.listdir(output_directory) if n.isdigit()]
  for name in sorted(names, key=int):
    model_dir = os.path.join(output_directory, name)
    settings = None if settings_of is None else settings_of(int(name))
    if settings_of is not None and settings is None:
      continue
    if not markers.is_finished(model_dir, expected_files, settings):
      continue
    for relative in expected_files:
      records.append(aggregate_results._load(  # pylint: disable=protected-access
          os.path.join(model_dir, relative)))
  atomic_write.write_atomically(output_path,
                         lambda f: pd.DataFrame(records).to_json(path_or_buf=f))
  return len(records)
