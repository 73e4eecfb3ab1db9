"""Tests for mine_plugin/runner/ on 2-model studies that train for two steps."""
import json
import os
import re
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from disentanglement_lib.utils import aggregate_results
from mine_plugin import pipeline
from mine_plugin import runner
from mine_plugin.runner import backends
from mine_plugin.runner import cli
from mine_plugin.runner import job_spec

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
TOY = "toy_study:STUDY"  # tests/fixtures/toy_study.py
# The models' processes import the toy study, and the same mine_plugin as this one.
TOY_ENV = {"PYTHONPATH": os.pathsep.join(
    p for p in (FIXTURES, os.environ.get("PYTHONPATH")) if p)}
# The runner loads the study in this process too.
sys.path.insert(0, FIXTURES)
# The model processes of a run after the toy studies' model 0 changed.
TOY_CHANGED_ENV = dict(TOY_ENV, MINE_PLUGIN_TEST_TOY_CHANGED="1")


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
  """The smoke study, run once serially; the tests below rerun it in copies."""
  output = str(tmp_path_factory.mktemp("smoke") / "study")
  outcomes = runner.run_study("mine_plugin_smoke", output, backend="serial",
                              visualize=False, stream=open(os.devnull, "w"))
  return output, outcomes


def _copy(smoke_run, tmp_path):
  output = str(tmp_path / "study")
  shutil.copytree(smoke_run[0], output)
  return output


def test_runs_every_model_and_aggregates_in_dlib_format(smoke_run):
  output, outcomes = smoke_run
  assert [(o.model_num, o.status) for o in outcomes] == [(0, "done"), (1, "done")]
  frame = aggregate_results.load_aggregated_json_results(
      os.path.join(output, runner.AGGREGATE))
  # 2 models x 2 representations x 2 metrics (mig, sap_score).
  assert len(frame) == 8
  assert sorted(set(frame["train_config.model.name"])) == ["'beta_tc_vae'",
                                                            "'beta_vae'"]
  assert frame["evaluation_results.discrete_mig"].notna().sum() == 4
  assert frame["evaluation_results.SAP_score"].notna().sum() == 4
  for model_num in (0, 1):
    with open(os.path.join(output, str(model_num), runner.LOG)) as f:
      text = f.read()
    assert "Computing metric sap_score on sampled" in text
    # TensorFlow's own lines, which the runner's progress bar reads, are there.
    assert "INFO:tensorflow:Loss for final step" in text


def test_results_json_is_what_dlib_aggregate_results_writes(smoke_run, tmp_path):
  output = smoke_run[0]
  dlib_output = str(tmp_path / "dlib_results.json")
  pipeline.run_dlib("dlib_aggregate_results", [
      "--result_file_pattern=" + os.path.join(
          output, "*", "metrics", "*", "*", "results", "aggregate", "evaluation.json"),
      "--output_path=" + dlib_output])
  ours, dlib = (aggregate_results.load_aggregated_json_results(path)
                .sort_values("path").reset_index(drop=True)
                for path in (os.path.join(output, runner.AGGREGATE), dlib_output))
  assert len(ours) == 8
  # The same records, columns and values; only the order of the files differs
  # (dlib's follows its glob, the runner's the model numbers).
  pd.testing.assert_frame_equal(ours, dlib, check_like=True)


def test_a_model_process_rebuilds_the_runners_job_from_its_command():
  study = runner.load_study("mine_plugin_smoke")
  job = job_spec.model_job("mine_plugin_smoke", study, 1, "/study/1",
                           ["model.training_steps = 5"], ["mig.num_train = 50"],
                           visualize=False, env={"SOME": "variable"})
  command = cli.model_command(job)
  assert command[1:3] == ["-m", "mine_plugin.runner"]
  _, rebuilt = cli.parse_model_command(command[3:])
  # The run settings the marker records are those the runner checks.
  assert rebuilt == job._replace(env=None)
  model_config = rebuilt.settings.pop("model_config")
  bindings, config_file = study.get_model_config(1)
  assert model_config[0].startswith(
      "config file {} sha256 ".format(os.path.basename(config_file)))
  assert model_config[1:] == bindings
  assert [tag.split(" sha256 ")[0] for tag in rebuilt.settings.pop(
      "step_configs")] == ["mean.gin", "mig.gin", "sampled.gin", "sap_score.gin"]
  assert rebuilt.settings == {"study": "mine_plugin_smoke",
                              "gin_bindings": ["model.training_steps = 5"],
                              "metric_gin_bindings": ["mig.num_train = 50"],
                              "visualize": False}


def test_models_are_trained_with_dlib_reproduces_names_and_seeds(smoke_run):
  output = smoke_run[0]
  with open(os.path.join(output, "1", "model", "results", "json",
                         "train_config.json")) as f:
    train_config = json.load(f)
  # dlib_reproduce's bindings come first; the study's own model.name then wins.
  assert train_config["model.model_num"] == "1"
  assert train_config["model.name"] == "'beta_tc_vae'"
  # One RandomState(0) for the postprocessing configs, then the metrics, sorted.
  random_state = np.random.RandomState(0)
  post_seeds = [random_state.randint(2**32) for _ in ("mean", "sampled")]
  for post, post_seed in zip(("mean", "sampled"), post_seeds):
    for metric in ("mig", "sap_score"):
      with open(os.path.join(output, "1", "metrics", post, metric, "results",
                             "aggregate", "evaluation.json")) as f:
        record = json.load(f)
      assert record["postprocess_config.postprocess.random_seed"] == str(post_seed)
      assert record["evaluation_config.evaluation.random_seed"] == str(
          random_state.randint(2**32))
      assert record["evaluation_config.evaluation.name"] == "'{}'".format(metric)


def test_rerun_skips_finished_models(smoke_run, tmp_path):
  output = _copy(smoke_run, tmp_path)
  outcomes = runner.run_study("mine_plugin_smoke", output, backend="serial",
                              visualize=False, stream=open(os.devnull, "w"))
  assert [o.status for o in outcomes] == ["skipped", "skipped"]
  with open(os.path.join(output, runner.AGGREGATE)) as f:
    assert len(json.load(f)["path"]) == 8


def test_a_run_killed_while_writing_results_leaves_the_previous_file_whole(
    smoke_run, tmp_path, monkeypatch):
  output = _copy(smoke_run, tmp_path)
  path = os.path.join(output, runner.AGGREGATE)
  with open(path, "rb") as f:
    before = f.read()

  def dies_half_way(frame, path_or_buf=None, **kwargs):
    del frame, kwargs
    path_or_buf.write('{"path": {"0": "half')
    raise KeyboardInterrupt  # as a SIGINT / kill between two writes

  monkeypatch.setattr(pd.DataFrame, "to_json", dies_half_way)
  expected = runner.result_files(runner.load_study("mine_plugin_smoke"))
  with pytest.raises(KeyboardInterrupt):
    runner.aggregate(output, expected, path)
  with open(path, "rb") as f:
    assert f.read() == before
  assert sorted(n for n in os.listdir(output) if n.startswith(runner.AGGREGATE)) == [
      runner.AGGREGATE]


def test_a_truncated_result_is_redone_and_the_rest_of_the_chain_kept(
    smoke_run, tmp_path, capsys):
  output = _copy(smoke_run, tmp_path)
  # A result file cut short by a crash while dlib wrote it; the marker survived.
  result = os.path.join(output, "1", runner.result_files(
      runner.load_study("mine_plugin_smoke"))[-1])
  with open(result, "w") as f:
    f.write('{"evaluation_results.SAP_sc')
  kept = [os.path.join(output, "1", "model", "results", "json", "train_results.json"),
          os.path.join(output, "1", runner.result_files(
              runner.load_study("mine_plugin_smoke"))[0])]
  before = [open(path).read() for path in kept]
  outcomes = runner.run_study("mine_plugin_smoke", output, backend="serial",
                              visualize=False)
  assert [o.status for o in outcomes] == ["skipped", "done"]
  assert not os.path.exists(os.path.join(output, runner.INCOMPLETE))
  with open(os.path.join(output, "1", runner.LOG)) as f:
    assert "its training had finished; the rest of its chain is completed" in f.read()
  # The training and the complete results are kept as they were (same uuids).
  assert [open(path).read() for path in kept] == before
  with open(result) as f:
    assert 0. <= json.load(f)["evaluation_results.SAP_score"] <= 1.
  assert "1 run now, 1 skipped" in capsys.readouterr().out


def test_a_chain_whose_training_settings_changed_is_moved_aside_and_redone(
    smoke_run, tmp_path):
  output = _copy(smoke_run, tmp_path)
  model_dir = os.path.join(output, "1")
  # As if the study's gin files had said another model.batch_size when model 1
  # started; its last result is missing, so the chain is unfinished.
  record_path = os.path.join(model_dir, "model", "tf_checkpoint",
                             "mine_plugin_training.json")
  with open(record_path) as f:
    record = json.load(f)
  assert "model.batch_size = 2\n" in record["config"]
  record["config"] = record["config"].replace("model.batch_size = 2\n",
                                              "model.batch_size = 3\n")
  with open(record_path, "w") as f:
    json.dump(record, f)
  os.remove(os.path.join(model_dir, runner.result_files(
      runner.load_study("mine_plugin_smoke"))[-1]))
  outcomes = runner.run_study("mine_plugin_smoke", output, backend="serial",
                              visualize=False, stream=open(os.devnull, "w"))
  assert [o.status for o in outcomes] == ["skipped", "done"]
  moved = os.listdir(os.path.join(output, runner.INCOMPLETE))
  assert len(moved) == 1
  assert os.path.exists(os.path.join(output, runner.INCOMPLETE, moved[0], "model",
                                     "tf_checkpoint", "mine_plugin_training.json"))
  with open(os.path.join(model_dir, runner.LOG)) as f:
    assert ("was not continued: its training started with other settings "
            "(model.batch_size: 3 -> 2)") in f.read()
  with open(os.path.join(model_dir, "model", "results", "json",
                         "train_results.json")) as f:
    assert json.load(f)["resumed_from_step"] == 0


def test_run_with_other_settings_is_redone_not_reused(smoke_run, tmp_path):
  output = _copy(smoke_run, tmp_path)
  outcomes = runner.run_study("mine_plugin_smoke", output, model_nums=[0],
                              backend="serial", visualize=False,
                              metric_gin_bindings=["mig.num_train = 50"],
                              stream=open(os.devnull, "w"))
  assert [o.status for o in outcomes] == ["done"]
  moved = os.listdir(os.path.join(output, runner.INCOMPLETE))
  assert len(moved) == 1 and moved[0].startswith("0-")
  with open(os.path.join(output, "0", runner.LOG)) as f:
    assert "it had finished with other settings" in f.read()
  with open(os.path.join(output, "0", runner.MARKER)) as f:
    assert json.load(f)["settings"]["metric_gin_bindings"] == ["mig.num_train = 50"]
  # The aggregate holds this run's results only: model 1 ran with other settings.
  with open(os.path.join(output, runner.AGGREGATE)) as f:
    assert len(json.load(f)["path"]) == 4


def test_a_finished_model_whose_study_config_changed_is_redone(tmp_path,
                                                              monkeypatch):
  import toy_study  # pylint: disable=g-import-not-at-top
  output = str(tmp_path / "toy")
  quiet = open(os.devnull, "w")
  outcomes = runner.run_study(TOY, output, model_nums=[0], backend="serial",
                              visualize=False, env=TOY_ENV, stream=quiet)
  assert [o.status for o in outcomes] == ["done"]
  # The study now says another beta for model 0: its finished run is not reused.
  # (here and in the model's process, which imports the study anew).
  monkeypatch.setattr(toy_study, "STUDY", toy_study.study(changed=True))
  outcomes = runner.run_study(TOY, output, model_nums=[0], backend="serial",
                              visualize=False, stream=quiet, env=TOY_CHANGED_ENV)
  assert [o.status for o in outcomes] == ["done"]
  with open(os.path.join(output, "0", runner.LOG)) as f:
    log = f.read()
  assert "it had finished with other settings" in log
  assert "vae.beta = 1.0" in log and "vae.beta = 2.0" in log
  moved = os.listdir(os.path.join(output, runner.INCOMPLETE))
  assert len(moved) == 1 and moved[0].startswith("0-")
  with open(os.path.join(output, "0", "model", "results", "json",
                         "train_config.json")) as f:
    assert json.load(f)["vae.beta"] == "2.0"


def test_the_settings_name_gin_files_by_content_and_hold_the_pretrainings_config():
  ablation = runner.load_study("mine_plugin_allocator_ablation")
  fixed = [n for n, c in enumerate(ablation.config)
           if c["model.name"] == "attention_mine_vae_fixed"][0]
  config = job_spec.model_config(ablation, fixed)
  includes = [entry for entry in config if entry.startswith("include ")]
  assert len(includes) == 1 and re.fullmatch(
      r"include attention_mine_vae\.gin sha256 [0-9a-f]{16}", includes[0])
  assert not any(os.sep + "gin_configs" in entry for entry in config)
  lambda_beta = runner.load_study("mine_plugin_lambda_beta")
  continuation = [n for n, c in enumerate(lambda_beta.config)
                  if "warm_start.study_model" in c][0]
  pretraining = lambda_beta.config[continuation]["warm_start.study_model"]
  config = job_spec.model_config(lambda_beta, continuation)
  assert [e[len("pre-training: "):] for e in config
          if e.startswith("pre-training: ")] == job_spec.model_config(
              lambda_beta, pretraining)


def test_a_model_number_outside_a_dlib_study_is_an_error(tmp_path):
  output = str(tmp_path / "study")
  with pytest.raises(ValueError, match=r"Model numbers \[20000\] are not in study "
                     r"'unsupervised_study_v1'\."):
    runner.run_study("unsupervised_study_v1", output, model_nums=[0, 20000],
                     backend="serial", stream=open(os.devnull, "w"))
  assert not os.path.exists(output)


def test_a_model_process_refuses_settings_that_are_not_the_runners():
  study = runner.load_study("mine_plugin_smoke")
  job = job_spec.model_job("mine_plugin_smoke", study, 1, "/study/1")
  command = cli.model_command(job)
  # As if the runner's machine had another metric config file than this one.
  expected = json.loads(command[-1].split("=", 1)[1])
  mig = [i for i, tag in enumerate(expected["step_configs"])
         if tag.startswith("mig.gin ")]
  assert len(mig) == 1
  expected["step_configs"][mig[0]] = "mig.gin sha256 0123456789abcdef"
  command[-1] = "--expected_settings=" + json.dumps(expected)
  with pytest.raises(ValueError, match=r"Model 1 of 'mine_plugin_smoke' was not "
                     r"run: its run settings here are not the runner's \(runner -> "
                     r"this process: step_configs: \[\"mig.gin sha256 "
                     r"0123456789abcdef\"\] -> \[\"mig.gin sha256 [0-9a-f]{16}"):
    cli.parse_model_command(command[3:])


def test_killed_model_is_reported_then_redone(tmp_path, capsys):
  output = str(tmp_path / "toy")
  killing = dict(TOY_ENV, MINE_PLUGIN_TEST_KILL="1")
  outcomes = runner.run_study(TOY, output, backend="serial", visualize=False,
                              env=killing)
  assert [o.status for o in outcomes] == ["done", "failed"]
  assert "killed by signal SIGKILL" in outcomes[1].message
  assert outcomes[1].log_path == os.path.join(output, "1", runner.LOG)
  printed = capsys.readouterr().out
  assert "model 1 FAILED" in printed and "1 failed" in printed
  assert not runner.is_finished(os.path.join(output, "1"),
                                runner.result_files(runner.load_study(TOY)))
  with open(os.path.join(output, runner.AGGREGATE)) as f:
    assert len(json.load(f)["path"]) == 4  # only model 0's results

  outcomes = runner.run_study(TOY, output, backend="serial", visualize=False,
                              env=TOY_ENV)
  assert [o.status for o in outcomes] == ["skipped", "done"]
  assert len(os.listdir(os.path.join(output, runner.INCOMPLETE))) == 1
  with open(os.path.join(output, runner.AGGREGATE)) as f:
    assert len(json.load(f)["path"]) == 8


def test_results_of_a_finished_model_are_aggregated_before_the_next_one_runs(
    tmp_path):
  # A run of many sessions is cut short at the end of each: its results.json must
  # hold every model finished so far without a rerun. Model 1's process copies the
  # study's results.json as it starts, then dies.
  output = str(tmp_path / "toy")
  snapshot = str(tmp_path / "results_when_model_1_began.json")
  env = dict(TOY_ENV, MINE_PLUGIN_TEST_KILL="1",
             MINE_PLUGIN_TEST_SNAPSHOT_FROM=os.path.join(output, runner.AGGREGATE),
             MINE_PLUGIN_TEST_SNAPSHOT_TO=snapshot)
  outcomes = runner.run_study(TOY, output, backend="serial", visualize=False,
                              env=env, stream=open(os.devnull, "w"))
  assert [o.status for o in outcomes] == ["done", "failed"]
  frame = aggregate_results.load_aggregated_json_results(snapshot)
  assert len(frame) == 4  # model 0: 2 representations x 2 metrics
  assert set(frame["train_config.model.name"]) == {"'beta_vae'"}


def test_ray_backend_runs_models_and_survives_a_killed_one(tmp_path):
  pytest.importorskip("ray")
  import ray  # pylint: disable=g-import-not-at-top
  output = str(tmp_path / "toy")
  ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
  try:
    outcomes = runner.run_study(
        TOY, output, backend="ray", visualize=False,
        env=dict(TOY_ENV, MINE_PLUGIN_TEST_KILL="1"), stream=open(os.devnull, "w"))
  finally:
    ray.shutdown()
  assert [(o.model_num, o.status) for o in outcomes] == [(0, "done"), (1, "failed")]
  assert "SIGKILL" in outcomes[1].message
  assert runner.is_finished(os.path.join(output, "0"),
                            runner.result_files(runner.load_study(TOY)))


def test_unknown_backend_is_explained(tmp_path):
  with pytest.raises(ValueError, match="'auto', 'ray' or 'serial', not 'dask'"):
    runner.run_study("mine_plugin_smoke", str(tmp_path), backend="dask")


def _encoder_kernel(model_dir):
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  checkpoint = tf.train.latest_checkpoint(
      os.path.join(model_dir, "model", "tf_checkpoint"))
  reader = tf.train.load_checkpoint(checkpoint)
  name = [n for n, _ in tf.train.list_variables(checkpoint)
          if n.startswith("encoder/") and n.endswith("kernel")][0]
  return reader.get_tensor(name)


def test_a_continuation_runs_after_its_pretraining_and_starts_from_it(
    tmp_path, monkeypatch):
  import toy_study  # pylint: disable=g-import-not-at-top
  output = str(tmp_path / "warm")
  quiet = open(os.devnull, "w")
  outcomes = runner.run_study("toy_study:WARM_STUDY", output, backend="serial",
                              visualize=False, env=TOY_ENV, stream=quiet)
  assert [o.status for o in outcomes] == ["done", "done"]
  # Two Adam steps of 1e-3 away from model 0's weights (a fresh initialisation
  # would differ by the initialiser's scale).
  difference = abs(_encoder_kernel(os.path.join(output, "1")) -
                   _encoder_kernel(os.path.join(output, "0"))).max()
  assert difference <= 2.5e-3
  first_pretraining = _encoder_kernel(os.path.join(output, "0"))
  # The study now gives the pre-training another seed: it is redone, and so is the
  # continuation, now from the new pre-training.
  monkeypatch.setattr(toy_study, "WARM_STUDY", toy_study.warm_study(changed=True))
  outcomes = runner.run_study("toy_study:WARM_STUDY", output, backend="serial",
                              visualize=False, env=TOY_CHANGED_ENV, stream=quiet)
  assert [o.status for o in outcomes] == ["done", "done"]
  pretraining = _encoder_kernel(os.path.join(output, "0"))
  assert abs(pretraining - first_pretraining).max() > 1e-2
  assert abs(_encoder_kernel(os.path.join(output, "1")) -
             pretraining).max() <= 2.5e-3
  assert len(os.listdir(os.path.join(output, runner.INCOMPLETE))) == 2


@pytest.mark.parametrize("backend", ["serial", "ray"])
def test_a_continuation_is_not_run_when_its_pretraining_failed(tmp_path, backend):
  output = str(tmp_path / "warm")
  killing = dict(TOY_ENV, MINE_PLUGIN_TEST_KILL="1")
  if backend == "ray":
    pytest.importorskip("ray")
    import ray  # pylint: disable=g-import-not-at-top
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
  try:
    outcomes = runner.run_study("toy_study:WARM_STUDY", output, backend=backend,
                                visualize=False, env=killing,
                                stream=open(os.devnull, "w"))
  finally:
    if backend == "ray":
      ray.shutdown()
  assert [(o.model_num, o.status) for o in outcomes] == [(0, "failed"),
                                                         (1, "failed")]
  assert "SIGKILL" in outcomes[0].message
  assert outcomes[1].message == (
      "not run: it continues from model 0 (warm_start.study_model), which failed "
      "in this run. Run model 0 first (see its log.txt), then rerun.")
  assert not os.path.exists(os.path.join(output, "1"))


def _warm_study(configs):
  from toy_study import WARM_STUDY  # pylint: disable=g-import-not-at-top
  study = runner.load_study("toy_study:WARM_STUDY")
  return type(study)("toy_chain", configs, WARM_STUDY.base_config,
                     WARM_STUDY.get_postprocess_config_files(),
                     WARM_STUDY.get_eval_config_files(), WARM_STUDY.extra_bindings)


@pytest.mark.parametrize("configs,message", [
    ([{"model.name": "a", "warm_start.study_model": 0}],
     "model 0 continues from model 0 "),
    ([{"model.name": "a"}, {"model.name": "b", "warm_start.study_model": 0},
      {"model.name": "c", "warm_start.study_model": 1}],
     "model 2 continues from model 1 "),
    ([{"model.name": "a"}, {"model.name": "b", "warm_start.study_model": 5}],
     "model 1 continues from model 5 "),
])
def test_malformed_continuations_are_refused_before_anything_runs(
    tmp_path, monkeypatch, configs, message):
  import toy_study  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(toy_study, "CHAIN", _warm_study(configs), raising=False)
  with pytest.raises(ValueError, match=message + r".*another model of the study"):
    runner.run_study("toy_study:CHAIN", str(tmp_path / "out"), backend="serial")
  assert not os.path.exists(str(tmp_path / "out" / "0"))


def test_a_continuation_whose_pretraining_is_outside_the_run_needs_it_finished(
    tmp_path):
  output = str(tmp_path / "warm")
  outcomes = runner.run_study("toy_study:WARM_STUDY", output, model_nums=[1],
                              backend="serial", visualize=False, env=TOY_ENV,
                              stream=open(os.devnull, "w"))
  assert [(o.model_num, o.status) for o in outcomes] == [(1, "failed")]
  assert outcomes[0].message.startswith(
      "not run: it continues from model 0 (warm_start.study_model), which is not "
      "part of this run and has not finished with its settings. Run model 0 first")
  assert not os.path.exists(os.path.join(output, "1"))


def test_a_serial_run_takes_each_pretraining_then_its_continuations():
  # mine_plugin_lambda_beta on dSprites: pre-trainings 45-50, continuations 51-62
  # (two per pre-training). A run cut short leaves whole groups.
  study = runner.load_study("mine_plugin_lambda_beta")

  def order(model_nums):
    jobs = [job_spec.model_job("mine_plugin_lambda_beta", study, n, "/study/%d" % n)
            for n in model_nums]
    dependencies = job_spec.study_dependencies(study, "mine_plugin_lambda_beta",
                                               model_nums)
    return [job.model_num for job in backends.serial_order(jobs, dependencies)]

  assert order(list(range(62, 44, -1))) == [45, 51, 52, 46, 53, 54, 47, 55, 56,
                                            48, 57, 58, 49, 59, 60, 50, 61, 62]
  # A continuation whose pre-training is not in the run keeps that one's place.
  assert order([60, 51, 49, 46]) == [51, 46, 49, 60]


def test_a_continuation_numbered_before_its_pretraining_still_runs_after_it(
    tmp_path):
  output = str(tmp_path / "reversed")
  outcomes = runner.run_study("toy_study:REVERSED_WARM_STUDY", output,
                              backend="serial", visualize=False, env=TOY_ENV,
                              stream=open(os.devnull, "w"))
  assert [(o.model_num, o.status) for o in outcomes] == [(0, "done"), (1, "done")]
  difference = abs(_encoder_kernel(os.path.join(output, "0")) -
                   _encoder_kernel(os.path.join(output, "1"))).max()
  assert difference <= 2.5e-3
