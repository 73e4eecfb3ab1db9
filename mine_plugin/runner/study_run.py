"""`run_study`: runs (or resumes) the models of a study and aggregates them."""
import os
import sys

from mine_plugin.runner import aggregation
from mine_plugin.runner import backends
from mine_plugin.runner import job_spec
from mine_plugin.runner import markers
from mine_plugin.runner import ownership
from mine_plugin.runner import progress as progress_lib
from mine_plugin.utils import moved_aside


def _is_model(study, model_num):
  """Whether `model_num` numbers a model of `study`."""
  if hasattr(study, "config"):
    return 0 <= model_num < len(study.config)
  if model_num < 0:
    return False
  try:  # dlib's own studies list their models only through get_model_config.
    study.get_model_config(model_num)
  except IndexError:
    return False
  return True


def _check_model_nums(study, study_name, model_nums):
  """model_nums as a list (default: all of the study); ValueError if invalid."""
  if model_nums is None:
    if not hasattr(study, "config"):
      raise ValueError("Study {!r} does not list its models; pass the model numbers "
                       "to run (--model_nums=0-9).".format(study_name))
    model_nums = range(len(study.config))
  model_nums = list(model_nums)
  if not model_nums:
    raise ValueError("No model numbers to run (model_nums is empty).")
  outside = sorted(n for n in model_nums if not _is_model(study, n))
  if outside:
    raise ValueError("Model numbers {} are not in study {!r}{}.".format(
        outside, study_name, ", which has models 0-{}".format(len(study.config) - 1)
        if hasattr(study, "config") else ""))
  return model_nums


def _unmet_outside(jobs, dependencies, settings_of):
  """{model: dependency} of continuations whose pre-training is not in this run and
  has not finished with its run settings (`settings_of`)."""
  in_run = {job.model_num for job in jobs}
  unmet = {}
  for job in jobs:
    dependency = dependencies.get(job.model_num)
    if dependency is None or dependency in in_run:
      continue
    dependency_dir = os.path.join(os.path.dirname(job.model_dir), str(dependency))
    if not markers.is_finished(dependency_dir, job.result_files,
                               settings_of(dependency)):
      unmet[job.model_num] = dependency
  return unmet


def run_study(study_name, output_directory, model_nums=None, backend="auto",
              address=None, num_cpus_per_model=1, num_gpus_per_model=0,
              gin_bindings=(), metric_gin_bindings=(), visualize=True, env=None,
              stream=None):
  """Runs (or resumes) the models of a study and aggregates the finished ones.

  The aggregate (<output_directory>/results.json) is written after each model that
  finishes and at the end, so a run cut short has its finished models' results.

  Args:
    study_name: a name in dlib's reproduce.STUDIES (the plugin's studies included),
      or "package.module:attribute" naming a dlib Study object.
    output_directory: the study's directory; model N goes to <output_directory>/N.
    model_nums: model numbers to run (default: all of the study).
    backend: "ray", "serial", or "auto" (Ray if installed, else serial).
    address: address of an existing Ray cluster (default: start a local one).
    num_cpus_per_model, num_gpus_per_model: resources of one Ray task.
    gin_bindings: extra training bindings for every model.
    metric_gin_bindings: extra bindings for every metric.
    visualize: whether to run dlib's visualize_model for every model.
    env: extra environment variables for the models' processes.
    stream: where progress is written (default: standard output).

  Returns:
    List of job_spec.ModelOutcome, by model number.
  """
  if backend not in ("auto", "ray", "serial"):
    raise ValueError("backend must be 'auto', 'ray' or 'serial', not {!r}.".format(
        backend))
  if backend == "auto":
    backend = "ray" if backends.ray_available() else "serial"
  elif backend == "ray" and not backends.ray_available():
    raise ImportError("backend='ray' needs Ray: pip install 'mine_plugin[ray]' "
                      "(or ray>=2.9), or run with --backend=serial.")
  moved_aside.keep_count()  # a bad retention setting fails before any model runs
  stream = sys.stdout if stream is None else stream
  # Absolute: on a cluster, workers do not share the driver's working directory.
  output_directory = os.path.abspath(output_directory)
  study = job_spec.load_study(study_name)
  model_nums = _check_model_nums(study, study_name, model_nums)
  dependencies = job_spec.study_dependencies(study, study_name, model_nums)
  jobs = [job_spec.model_job(study_name, study, n,
                             os.path.join(output_directory, str(n)), gin_bindings,
                             metric_gin_bindings, visualize, env)
          for n in model_nums]
  # The same for every job of the run.
  expected = jobs[0].result_files

  # The run's jobs hold their settings; others (aggregated, or pre-trainings
  # outside the run) are computed once when first asked for.
  known = {job.model_num: job.settings for job in jobs}

  def settings_of(model_num):
    """The run settings of any model of the study (None: not one of its models)."""
    if model_num not in known:
      known[model_num] = (job_spec.model_settings(
          study_name, study, model_num, gin_bindings, metric_gin_bindings,
          visualize) if _is_model(study, model_num) else None)
    return known[model_num]

  os.makedirs(output_directory, exist_ok=True)
  with ownership.StudyLock(output_directory) as lock:
    if lock.message:
      stream.write("[{}] {}\n".format(study_name, lock.message))
    stream.write("[{}] {} models, backend {}, output {}\n".format(
        study_name, len(jobs), backend, output_directory))
    if backend == "ray":
      # Before a progress bar is drawn: Ray writes lines of its own as it starts.
      backends.connect_ray(address)
    aggregate_path = os.path.join(output_directory, aggregation.AGGREGATE)

    def aggregate_finished():
      """results.json of the models finished so far: a run of many sessions, killed
      at the end of each, has its finished models' results without a rerun."""
      aggregation.aggregate(output_directory, expected, aggregate_path, settings_of)

    with progress_lib.Progress(study_name, len(jobs), stream, {
        job.model_num: job.model_dir for job in jobs},
                               on_done=aggregate_finished) as progress:
      progress.update()
      unmet = _unmet_outside(jobs, dependencies, settings_of)
      blocked = []
      for job in [j for j in jobs if j.model_num in unmet]:
        jobs.remove(job)
        blocked.append(job_spec.dependency_failed(
            job, unmet[job.model_num], "is not part of this run and has not "
            "finished with its settings"))
        progress.update(blocked[-1])
      if backend == "ray":
        outcomes = backends.run_ray(jobs, progress, address, num_cpus_per_model,
                                    num_gpus_per_model, output_directory,
                                    dependencies)
      else:
        outcomes = backends.run_serial(jobs, progress, dependencies)
    outcomes = sorted(outcomes + blocked, key=lambda o: o.model_num)
    count = aggregation.aggregate(output_directory, expected, aggregate_path,
                                  settings_of)
  failed = [o.model_num for o in outcomes if o.status == "failed"]
  stream.write("[{}] {} results of finished models aggregated in {}.{}\n".format(
      study_name, count, aggregate_path,
      " Failed models (rerun to retry): {}; see their log.txt.".format(failed)
      if failed else ""))
  return outcomes
