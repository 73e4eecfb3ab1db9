"""Tests of mine_plugin.records: a run's files and a study's records in dlib's
formats, read back without TensorFlow."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mine_plugin.records import run_files
from mine_plugin.records import study_records

# dlib's released results, both layouts (aggregate/ and json/ only), a few models.
REFERENCE = os.path.join(os.path.dirname(__file__), "fixtures", "dlib_reference")


def test_a_runs_files_go_beside_dlibs_results():
  assert run_files.results_path("/m/tf_checkpoint", "json/a.json") == (
      "/m/results/json/a.json")
  assert run_files.results_json_path("/m/tf_checkpoint", "a.json") == (
      "/m/results/json/a.json")
  # An estimator directory of another layout gets the file inside it.
  assert run_files.results_json_path("/elsewhere", "a.json") == "/elsewhere/a.json"


def test_model_output_dir_is_the_directory_above_metrics():
  path = os.path.join("/s", "3", "metrics", "mean", "mig", "results", "aggregate",
                      "evaluation.json")
  assert run_files.model_output_dir(path) == os.path.join("/s", "3")
  assert run_files.model_output_dir("/s/3/model/results/json/x.json") is None


def test_write_and_read_allocation_round_trip(tmp_path):
  allocation = np.array([[.7, .2, .1], [.1, .1, .8], [.2, .6, .2]])
  path = str(tmp_path / "results" / "json" / run_files.ALLOCATION_FILE)
  run_files.write_allocation(path, allocation, num_factors=2)
  np.testing.assert_allclose(run_files.read_allocation(str(tmp_path)),
                             allocation)
  with open(path) as written:
    content = json.load(written)
  assert content["slots"] == ["factor0", "factor1", "nuisance"]
  assert content["dominant_slot"] == ["factor0", "nuisance", "factor1"]
  assert content["latents_by_slot"] == {"factor0": [0], "factor1": [2],
                                        "nuisance": [1]}
  assert content["capacity"]["nuisance"] == pytest.approx((.1 + .8 + .2) / 3)


def test_records_import_no_tensorflow():
  # Reports and scripts read a run's files with pandas and numpy only.
  completed = subprocess.run(
      [sys.executable, "-c", "import sys; "
       "from mine_plugin.records import run_files, study_records; "
       "print('tensorflow' in sys.modules)"],
      capture_output=True, text=True, check=True)
  assert completed.stdout.strip() == "False", completed.stderr


def test_read_allocation_explains_a_missing_file(tmp_path):
  with pytest.raises(FileNotFoundError, match="written when an attention_mine_vae "
                     "finishes training"):
    run_files.read_allocation(str(tmp_path))


def test_reference_directory_reads_both_release_layouts():
  reference = study_records.scores(study_records.load_results(REFERENCE))
  mig = reference[(reference.metric == "MIG") & (reference.representation == "mean")
                  & (reference.dataset == "dsprites_full")]
  # 4 aggregate/ records + the json/-only model 8 for beta_vae, 3 for factor_vae.
  assert sorted(mig[mig.model == "beta_vae"].value) == [0.05, 0.10, 0.20, 0.22, 0.30]
  assert sorted(mig[mig.model == "factor_vae"].value) == [0.15, 0.25, 0.35]


def test_missing_results_are_explained(tmp_path):
  with pytest.raises(FileNotFoundError, match="No results at"):
    study_records.load_results(str(tmp_path / "nothing.json"))
  with pytest.raises(ValueError, match="No metric results found"):
    study_records.load_results(str(tmp_path))


def _aggregate(path, rows, model="vae"):
  """An aggregated results file with one record per (data set, seed, score); the
  records' paths are model directories under `path`'s directory."""
  directory = os.path.dirname(str(path))
  pd.DataFrame([{"train_config.dataset.name": "'{}'".format(dataset),
                 "train_config.model.name": "'{}'".format(model),
                 "train_config.model.random_seed": "{}".format(seed),
                 "evaluation_results.discrete_mig": score,
                 "path": os.path.join(directory, dataset, str(seed), "metrics",
                                      "mean", "mig")}
                for dataset, seed, score in rows]).to_json(str(path))
  return str(path)


def test_a_rerun_of_one_data_set_replaces_its_records_and_keeps_the_others(tmp_path):
  docs = _aggregate(tmp_path / "docs.json", [
      ("squares", 0, .1), ("squares", 1, .2), ("dsprites", 0, .01),
      ("dsprites", 1, .02)])
  run = _aggregate(tmp_path / "run.json", [("dsprites", 0, .3)])
  assert study_records.merge_by_dataset(run, docs) == ["dsprites"]
  merged = study_records.load_results(docs)
  rows = sorted(zip(merged["train_config.dataset.name"],
                    merged["train_config.model.random_seed"],
                    merged["evaluation_results.discrete_mig"].round(6)))
  assert rows == [("'dsprites'", 0, .3), ("'squares'", 0, .1), ("'squares'", 1, .2)]
  # The kept records as written (dlib's gin strings stay strings).
  with open(docs) as f:
    assert sorted(json.load(f)["train_config.model.random_seed"].values()) == [
        "0", "0", "1"]
  # Into a file not there yet: the run's records.
  fresh = str(tmp_path / "new" / "results.json")
  assert study_records.merge_by_dataset(run, fresh) == ["dsprites"]
  assert len(study_records.load_results(fresh)) == 1


def test_merge_takes_only_the_data_sets_asked_for_and_drop_removes_them(tmp_path):
  docs = _aggregate(tmp_path / "docs.json", [("squares", 0, .1), ("dsprites", 0, .01)])
  run = _aggregate(tmp_path / "run.json", [("squares", 0, .5), ("dsprites", 0, .3)])
  assert study_records.merge_by_dataset(run, docs, ["squares"]) == ["squares"]
  merged = study_records.load_results(docs)
  assert sorted(zip(merged["train_config.dataset.name"],
                    merged["evaluation_results.discrete_mig"].round(6))) == [
                        ("'dsprites'", .01), ("'squares'", .5)]
  study_records.drop_datasets(docs, ["squares"])
  assert list(study_records.load_results(docs)["train_config.dataset.name"]) == [
      "'dsprites'"]
  study_records.drop_datasets(docs, ["dsprites"])  # none left: no file
  assert not os.path.exists(docs)
  study_records.drop_datasets(docs, ["dsprites"])  # no file: nothing to do


def test_allocations_gather_model_by_model_then_move_with_their_data_set(tmp_path):
  # merge_allocations: the run's attention models' allocations (read from their
  # model directories) replace the entries of the same (data set, model, seed);
  # the others stay. move_allocations: a data set's entries replace its own in the
  # docs' file and leave the in-progress one.
  run = _aggregate(tmp_path / "run.json", [("dsprites", 0, .3)],
                   model="attention_mine_vae")
  run_files.write_allocation(
      str(tmp_path / "dsprites" / "0" / "model" / "results" / "json" /
          run_files.ALLOCATION_FILE), np.eye(3), num_factors=2)
  pending = str(tmp_path / "in_progress_allocations.json")
  earlier = [{"dataset": "dsprites", "model": "attention_mine_vae", "seed": s,
              "slots": ["factor0", "nuisance"], "allocation": [[0., 1.]]}
             for s in (0, 1)]
  with open(pending, "w") as f:
    json.dump(earlier, f)
  assert study_records.merge_allocations(run, pending) == 1
  with open(pending) as f:
    gathered = json.load(f)
  assert [(e["seed"], e["allocation"]) for e in gathered] == [
      (1, [[0., 1.]]), (0, np.eye(3).tolist())]
  # keep=False for every record: nothing is read, nothing replaced.
  assert study_records.merge_allocations(run, pending, keep=lambda row: False) == 0
  with open(pending) as f:
    assert json.load(f) == gathered

  docs = str(tmp_path / "allocations.json")
  squares = {"dataset": "squares", "model": "attention_mine_vae", "seed": 0,
             "slots": ["factor0", "nuisance"], "allocation": [[1., 0.]]}
  with open(docs, "w") as f:
    json.dump([squares, dict(squares, dataset="dsprites", seed=4)], f)
  assert study_records.move_allocations(pending, docs, ["dsprites"]) == 2
  with open(docs) as f:
    assert json.load(f) == [squares] + gathered
  assert not os.path.exists(pending)


def test_model_key_names_a_record_without_a_model_number(tmp_path):
  row = {"train_config.dataset.name": "'dsprites_full'",
         "train_config.model.model_num": "45", "path": "/runs/45/metrics"}
  assert study_records.model_key(row, "run.json") == ("dsprites_full", 45)
  for missing in (None, float("nan")):
    with pytest.raises(ValueError, match=(
        r"run.json: a record without train_config.model.model_num cannot be merged "
        r"model by model \(its path: /runs/45/metrics\).*rerun that model")):
      study_records.model_key(dict(row, **{"train_config.model.model_num": missing}),
                              "run.json")
  with pytest.raises(ValueError, match=(
      r"run.json: the record of dsprites_full has the model number 'None', not a "
      r"number \(its path: /runs/45/metrics\); rerun that model")):
    study_records.model_key(dict(row, **{"train_config.model.model_num": "None"}),
                            "run.json")


def test_a_record_matches_its_config_as_gin_wrote_it():
  config = {"dataset.name": "dsprites_full", "model.model": "@vae()",
            "vae.beta": 32.0, "model.random_seed": 1, "model.training_steps": 150000}
  row = {"train_config.dataset.name": "'dsprites_full'",
         "train_config.model.model": "@vae()", "train_config.vae.beta": "32.0",
         "train_config.model.random_seed": "1",
         "train_config.model.training_steps": "150000"}
  assert study_records.matches_config(row, config)
  for column, other in (("train_config.vae.beta", "1.0"),
                        ("train_config.model.training_steps", "1500"),
                        ("train_config.dataset.name", "'shapes3d'")):
    assert not study_records.matches_config(dict(row, **{column: other}), config)
  del row["train_config.vae.beta"]  # not recorded: not the same model
  assert not study_records.matches_config(row, config)
