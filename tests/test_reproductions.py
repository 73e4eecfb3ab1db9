"""mine_plugin.reports.reproductions: the reproductions page from studies' results,
and its verdict rules."""
import json
import os
import shutil

from mine_plugin.config import sweeps
from mine_plugin.records import run_files
from mine_plugin.records import study_records
from mine_plugin.reports.reproductions import page as reproductions
from mine_plugin.reports.reproductions import verdicts
import numpy as np
import pandas as pd
import pytest


def _record(root, dataset, model, seed, metric, results, config=(), kl=1.):
  """One dlib aggregated record (as runner.aggregate writes it)."""
  model_dir = os.path.join(root, "{}-{}-{}-{}".format(
      dataset, model, seed, "-".join("{}{}".format(k, v) for k, v in config)))
  record = {"train_config.dataset.name": "'{}'".format(dataset),
            "train_config.model.name": "'{}'".format(model),
            "train_config.model.random_seed": seed,
            "train_results.kl_loss": kl,
            "train_results.global_step": 1500,
            "postprocess_config.postprocess.name": "'mean'",
            "evaluation_config.evaluation.name": "'{}'".format(metric),
            "path": os.path.join(model_dir, "metrics", "mean", metric, "results",
                                 "aggregate", "evaluation.json")}
  for key, value in config:
    record["train_config." + key] = value
  for key, value in results.items():
    record["evaluation_results." + key] = value
  return record


def _write(records, path):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  pd.DataFrame(records).to_json(path)


def _study_record(root, model_num, mig, study="mine_plugin_lambda_beta", **changed):
  """A record of `study`'s model `model_num` in `root`, its train_config as the
  study's config writes it (gin strings quoted), with `changed` parameters
  (model__training_steps=...) overriding the study's."""
  config = dict(sweeps.study_configs(study)[model_num])
  config.update({k.replace("__", "."): v for k, v in changed.items()})
  record = {"train_config." + k: (
      "'{}'".format(v) if isinstance(v, str) and not v.startswith("@") else str(v))
            for k, v in config.items()}
  model_dir = os.path.join(root, str(model_num))
  record.update({"train_config.model.model_num": str(model_num),
                 "train_results.uuid": "{}-{}".format(root, model_num),
                 "train_results.global_step": config["model.training_steps"],
                 "postprocess_config.postprocess.name": "'mean'",
                 "evaluation_config.evaluation.name": "'mig'",
                 "evaluation_results.discrete_mig": mig,
                 "path": os.path.join(model_dir, "metrics", "mean", "mig", "results",
                                      "aggregate", "evaluation.json")})
  return record


def test_mean_sd_counts_scores_that_are_not_finite():
  assert reproductions.format_mean_sd([.1, .3, np.nan]) == (
      "0.200 ± 0.141 (n=2 + 1 NaN/inf)")
  assert reproductions.format_mean_sd([np.inf]) == "— (n=0 + 1 NaN/inf)"
  assert reproductions.format_mean_sd([]) == "—"


def test_interval_needs_five_finite_scores():
  assert reproductions.format_interval([.1, .2, .3, .4, np.nan]) == "n < 5"
  assert reproductions.format_interval([.3] * 5) == "[0.300, 0.300]"


def test_verdict_difference_follows_its_rule():
  verdict, difference = verdicts.verdict_difference(
      [.50, .52, .48, .51, .49], [.30, .31, .29, .30, .30])
  assert verdict == "reproduced" and difference == pytest.approx(.2)
  verdict, difference = verdicts.verdict_difference([.2, .6, .4], [.1, .5, .5])
  assert verdict.startswith("partly") and difference == pytest.approx(1 / 30)
  assert verdicts.verdict_difference([.1, .2], [.3, .4])[0] == "not reproduced"
  assert verdicts.verdict_difference([.1], [.3, .4])[0] == "not enough runs"


def _lambda_beta_runs(high_zero, high_eight):
  rows = []
  for seed in range(3):
    rows.append(("lambda_beta_vae", 1., 0., seed, .4))
    rows.append(("lambda_beta_vae", 1., 8., seed, .4))
    rows.append(("lambda_beta_vae", 32., 0., seed, high_zero[seed]))
    rows.append(("lambda_beta_vae", 32., 8., seed, high_eight[seed]))
  frame = pd.DataFrame(rows, columns=["model", "beta", "lam", "seed", "MIG"])
  frame["dataset"] = "squares"
  return frame


def test_lambda_beta_verdict_needs_the_collapse_and_the_paired_gain():
  runs = _lambda_beta_runs([.2, .2, .2], [.38, .39, .40])
  verdict, zero, eight, paired = verdicts.verdict_lambda_beta(
      runs, "squares", "MIG", 32.)
  assert verdict == "reproduced"
  assert zero == pytest.approx(-50.) and eight == pytest.approx(-2.5)
  np.testing.assert_allclose(paired, [.18, .19, .2])
  # Collapse; lambda = 8 above lambda = 0 on every seed but still 12.5 % down:
  # not kept, partly.
  runs = _lambda_beta_runs([.2, .2, .2], [.3, .35, .4])
  assert verdicts.verdict_lambda_beta(runs, "squares", "MIG", 32.)[0] == (
      "partly")
  # Collapse, and lambda = 8 loses on one seed: partly.
  runs = _lambda_beta_runs([.2, .2, .2], [.45, .1, .45])
  assert verdicts.verdict_lambda_beta(runs, "squares", "MIG", 32.)[0] == (
      "partly")
  # No collapse (-5 %) and no gain: not reproduced.
  runs = _lambda_beta_runs([.38, .38, .38], [.3, .3, .3])
  assert verdicts.verdict_lambda_beta(runs, "squares", "MIG", 32.)[0] == (
      "not reproduced")
  assert verdicts.verdict_lambda_beta(runs, "other", "MIG", 32.)[0] == (
      "not enough runs")


def test_learning_criterion_needs_both_floors_cleared():
  reference, untrained, noise = [.30, .32, .34], [.05, .04, .06], [.001, .002, .0]
  learned, low_untrained, low_noise = verdicts.learned_on_metric(
      reference, untrained, noise)
  # Welch interval of .32 - .05 with sd .02 and .01 (3 seeds each) is well above 0.
  assert learned is True and 0.2 < low_untrained < .27 and 0.25 < low_noise < .32
  # Above noise, but within the untrained encoder's spread: not learned.
  learned, low_untrained, low_noise = verdicts.learned_on_metric(
      [.011, .007, .015], [.003, .018, .009], [.0003, .0002, .0003])
  assert learned is False and low_untrained < 0 < low_noise
  assert verdicts.learned_on_metric([.3], untrained, noise)[0] is None
  # One metric clearing both floors is enough; none, or one unmeasured, is not.
  assert verdicts.learned_factors([(False, 0, 0), (True, 0, 0)]) is True
  assert verdicts.learned_factors([(False, 0, 0), (False, 0, 0)]) is False
  assert verdicts.learned_factors([(False, 0, 0), (None, 0, 0)]) is None
  assert verdicts.gated_verdict("not reproduced", True, "1,500") == "not reproduced"
  assert verdicts.gated_verdict("not reproduced", False, "1,500") == (
      "inconclusive: the models did not learn the factors at 1,500 steps")
  assert verdicts.gated_verdict("reproduced", None, "1,500").startswith(
      "inconclusive: the learning criterion is not measured")


def _write_floors(docs, section, datasets, mig, dci):
  """untrained.json (dlib records) and noise.json of one section, 3 seeds."""
  section_dir = os.path.join(docs, "reproductions", section)
  records, noise = [], []
  for dataset in datasets:
    for seed in range(3):
      records.append(_record(section_dir, dataset, "vae", seed, "mig",
                             {"discrete_mig": mig + .001 * seed}))
      records.append(_record(section_dir, dataset, "vae", seed, "dci",
                             {"disentanglement": dci + .001 * seed}))
      noise += [{"dataset": dataset, "seed": seed, "metric": "mig",
                 "evaluation_results": {"discrete_mig": .001 * seed}},
                {"dataset": dataset, "seed": seed, "metric": "dci",
                 "evaluation_results": {"disentanglement": .002 * seed}}]
  _write(records, os.path.join(section_dir, "untrained.json"))
  with open(os.path.join(section_dir, "noise.json"), "w") as f:
    json.dump(noise, f)


def test_allocation_summary_sums_the_columns():
  entry = {"slots": ["factor0", "factor1", "nuisance"],
           "allocation": [[1., 0., 0.], [.5, .5, 0.], [0., .25, .75]]}
  assert reproductions.allocation_summary(entry) == "f0 1.5, f1 0.8, nuisance 0.8"


def test_page_from_results(tmp_path):
  docs = str(tmp_path / "docs")
  mi = []
  for seed in range(5):
    for model, mig in (("vae", .3 + .01 * seed), ("pairwise_mi_vae_mws", .5),
                       ("pairwise_mi_vae_mine", .3)):
      mi.append(_record(docs, "squares", model, seed, "mig", {"discrete_mig": mig}))
      mi.append(_record(docs, "squares", model, seed, "dci",
                        {"disentanglement": mig, "completeness": mig,
                         "informativeness_test": .9}))
  _write(mi, os.path.join(docs, "mine_penalty", "results.json"))
  lb = []
  for seed in range(3):
    lb.append(_record(docs, "squares", "beta_vae_pretraining", seed, "mig",
                      {"discrete_mig": .3}, [("vae.beta", 32.)]))
    for beta, lam, mig in ((1., 0., .4), (1., 8., .4), (32., 0., .1),
                           (32., 8., .38 + .01 * seed)):
      config = [("lambda_beta_vae.beta", beta), ("lambda_beta_vae.lam", lam)]
      lb.append(_record(docs, "squares", "lambda_beta_vae", seed, "mig",
                        {"discrete_mig": mig}, config, kl=20. / beta))
      lb.append(_record(docs, "squares", "lambda_beta_vae", seed, "sap_score",
                        {"SAP_score": mig / 2}, config))
  _write(lb, os.path.join(docs, "reproductions", "lambda_beta", "results.json"))
  ab = []
  for seed in range(3):
    for model, score in (("attention_mine_vae", .8), ("attention_mine_vae_fixed",
                                                      .6 + .01 * seed),
                         ("beta_vae", .9), ("vae", .5)):
      ab.append(_record(docs, "squares", model, seed, "beta_vae_sklearn",
                        {"eval_accuracy": score + .001 * seed}))
    # The ablation's `vae` scores what the untrained encoder does: not learned.
    ab.append(_record(docs, "squares", "vae", seed, "mig",
                      {"discrete_mig": .05 + .001 * (2 - seed)}))
    ab.append(_record(docs, "squares", "vae", seed, "dci",
                      {"disentanglement": .03, "completeness": .03}))
  _write(ab, os.path.join(docs, "reproductions", "allocator_ablation",
                          "results.json"))
  with open(os.path.join(docs, "reproductions", "allocator_ablation",
                         "allocations.json"), "w") as f:
    json.dump([{"dataset": "squares", "model": "attention_mine_vae", "seed": 0,
                "slots": ["factor0", "nuisance"],
                "allocation": [[.5, .5], [1., 0.]]}], f)

  # The floors: far below every reference on squares, except the ablation's,
  # whose `vae` scores no DCI here and MIG 0 (not learned: inconclusive).
  _write_floors(docs, "mi_constrained", ["squares"], .05, .03)
  _write_floors(docs, "lambda_beta", ["squares"], .05, .03)
  _write_floors(docs, "allocator_ablation", ["squares"], .05, .03)
  # One model of the ablation's dSprites rerun has finished.
  _write([_record(docs, "dsprites_full", "vae", 0, "beta_vae_sklearn",
                  {"eval_accuracy": .61})],
         os.path.join(docs, "reproductions", "allocator_ablation",
                      reproductions.IN_PROGRESS))
  page_path = reproductions.make_page(docs, os.path.join(docs, "reproductions.md"))
  with open(page_path) as f:
    page = f.read()
  assert ("**dsprites_full: rerun in progress** (1 of 12 models finished, "
          "`docs/reproductions/allocator_ablation/in_progress.json`; the verdicts "
          "above wait for all of them):") in page
  assert "| vae | — | — | 0 | 1,500 | 0.610 | — | — |" in page
  assert ("| squares | `vae` (1,500) | MIG | 0.310 ± 0.010 (n=3) | 0.051 ± 0.001 (n=3) | "
          "0.001 ± 0.001 (n=3) |") in page
  assert "- MIG, closed-form (`mws`) penalty: **reproduced** (difference +0.180" \
      in page
  assert "- MIG, the same penalty estimated by the MINE critic: **not reproduced**" \
      in page
  # lambda-beta: collapse -75 % at lambda 0, kept at lambda 8 on every seed.
  assert ("| squares | MIG | 32 | -75 % | -3 % | +0.280, +0.290, +0.300 | "
          "**reproduced** |") in page
  assert "| pre-training | 32 | — | 0.300 ± 0.000 (n=3) |" in page
  assert ("- squares: learning: MIG 0.051 vs untrained 0.051 / noise 0.001, DCI "
          "disentanglement 0.030 vs untrained 0.031 / noise 0.002: not learned.") in page
  assert ("  - `attention_mine_vae` vs `attention_mine_vae_fixed`, BetaVAE score: "
          "**inconclusive: the models did not learn the factors at 1,500 steps** "
          "(by the rule alone: reproduced)") in page
  assert "| squares | `attention_mine_vae` | 0 | f0 1.5, nuisance 0.5 |" in page
  # The studies' own data sets (mine_plugin.config.sweeps) without results are named.
  assert ("No results yet for synthetic_squares_32, dsprites_full: those models are "
          "registered") in page
  for figure in ("mi_constrained.png", "lambda_beta.png",
                 "allocator_ablation.png"):
    assert os.path.getsize(os.path.join(docs, "reproductions", figure)) > 1000
    assert "reproductions/" + figure in page


def test_results_from_an_earlier_length_are_named(tmp_path):
  # Results trained at other step counts than the study runs now (a data set whose
  # length changed, its rerun not collected yet) are named with both lengths.
  path = str(tmp_path / "results.json")
  _write([_record(str(tmp_path), dataset, "vae", 0, "mig", {"discrete_mig": .1})
          for dataset in ("dsprites_full", "squares")], path)
  sentence = reproductions._earlier_lengths(
      path, {"dsprites_full": (150000, 50000), "squares": (1500, 500),
             "shapes3d": (1000,)})
  assert sentence == (
      " Results from an earlier length of the study (dsprites_full ran 1,500 steps; "
      "the study runs 150,000 + 50,000 now): they stay here, at the steps they ran, "
      "until the rerun's results replace them.")
  assert reproductions._earlier_lengths(path, {"dsprites_full": (1500,),
                                               "squares": (1500, 500)}) == ""


def test_a_rerun_in_progress_is_kept_apart_until_all_its_models_finished(tmp_path):
  # A rerun of many sessions is collected model by model: until every model of a
  # data set has finished (18 of mine_plugin_lambda_beta on dsprites_full), the
  # earlier records (and verdicts) stay and the finished models are listed apart;
  # then they replace the earlier records. A complete data set beside it goes in.
  section = tmp_path / "docs" / "reproductions" / "lambda_beta"
  docs_results = str(section / "results.json")
  in_progress = str(section / reproductions.IN_PROGRESS)

  def results(name, models, mig):
    """models: the study's model numbers (squares 0-44, dSprites 45-62)."""
    path = str(tmp_path / name)
    _write([_study_record(str(tmp_path / name), n, mig) for n in models], path)
    return path

  os.makedirs(str(section))
  shutil.copyfile(results("earlier.json", range(45, 63), .01), docs_results)
  taken, _ = reproductions.collect(
      results("run1.json", range(46), .2),
      docs_results, "mine_plugin_lambda_beta")
  assert taken == {"complete": ["synthetic_squares_32"],
                   "in_progress": ["dsprites_full"], "stale": []}
  with open(docs_results) as f:
    merged = json.load(f)
  # The earlier dSprites records, untouched, and the squares ones taken in.
  assert sorted(merged["evaluation_results.discrete_mig"].values()) == (
      [.01] * 18 + [.2] * 45)
  lines = "\n".join(reproductions.in_progress_lines(
      str(section), "mine_plugin_lambda_beta", ("MIG",)))
  assert ("**dsprites_full: rerun in progress** (1 of 18 models finished, "
          "`docs/reproductions/lambda_beta/in_progress.json`") in lines
  assert "| beta_vae_pretraining | 1 | — | 0 | 150,000 | 0.200 |" in lines
  assert "synthetic_squares_32" not in lines

  taken, _ = reproductions.collect(
      results("run2.json", range(45, 63), .3),
      docs_results, "mine_plugin_lambda_beta")
  assert taken == {"complete": ["dsprites_full"], "in_progress": [], "stale": []}
  assert not os.path.exists(in_progress)
  assert reproductions.in_progress_lines(str(section), "mine_plugin_lambda_beta",
                                         ("MIG",)) == []
  with open(docs_results) as f:
    merged = json.load(f)
  assert sorted(merged["evaluation_results.discrete_mig"].values()) == (
      [.2] * 45 + [.3] * 18)


def test_a_rerun_gathers_models_finished_in_run_directories_that_are_gone(
    tmp_path):
  # Sessions on machines that do not keep the run's directory: each session's
  # runs/<study>/results.json holds only the models it finished. Their records
  # gather in in_progress.json model by model; a model run again replaces its own
  # records; a record trained with another config than the study's now (other
  # steps) is dropped and named; the data set is complete when all 18 are there.
  section = tmp_path / "docs" / "reproductions" / "lambda_beta"
  docs_results = str(section / "results.json")
  in_progress = str(section / reproductions.IN_PROGRESS)

  def session(name, models, mig, **changed):
    path = str(tmp_path / name / "results.json")
    _write([_study_record(str(tmp_path / name), n, mig, **changed) for n in models],
           path)
    return path

  stale = session("machine0", [62], .9, model__training_steps=1500)
  taken, _ = reproductions.collect(stale, docs_results, "mine_plugin_lambda_beta")
  assert taken["stale"] == [("dsprites_full", 62)]
  assert not os.path.exists(in_progress)  # nothing left: no (empty) file
  os.makedirs(str(section), exist_ok=True)
  shutil.copyfile(stale, in_progress)  # as if an earlier session had taken it in
  taken, _ = reproductions.collect(session("machine1", range(45, 49), .1),
                                   docs_results, "mine_plugin_lambda_beta")
  assert taken == {"complete": [], "in_progress": ["dsprites_full"],
                   "stale": [("dsprites_full", 62)]}
  taken, _ = reproductions.collect(session("machine2", [48, 49, 59, 60], .2),
                                   docs_results, "mine_plugin_lambda_beta")
  assert taken["in_progress"] == ["dsprites_full"] and not taken["stale"]
  assert study_records.models_by_dataset(in_progress) == {
      "dsprites_full": [45, 46, 47, 48, 49, 59, 60]}
  with open(in_progress) as f:
    migs = json.load(f)["evaluation_results.discrete_mig"]
  assert sorted(migs.values()) == [.1] * 3 + [.2] * 4  # 48 from its second run
  lines = "\n".join(reproductions.in_progress_lines(
      str(section), "mine_plugin_lambda_beta", ("MIG",)))
  assert "(7 of 18 models finished" in lines
  assert not os.path.exists(docs_results)

  # A fresh machine trains 49 again (its directory was gone, with 59 and 60 not
  # yet finished, say): the continuations of its earlier training are left out, so
  # that each pair of continuations shares one pre-training.
  taken, _ = reproductions.collect(session("machine2b", [49], .2), docs_results,
                                   "mine_plugin_lambda_beta")
  assert taken["stale"] == [("dsprites_full", 59), ("dsprites_full", 60)]
  assert study_records.models_by_dataset(in_progress) == {
      "dsprites_full": [45, 46, 47, 48, 49]}
  taken, _ = reproductions.collect(
      session("machine3", [49, 50] + list(range(51, 63)), .3),
      docs_results, "mine_plugin_lambda_beta")
  assert taken == {"complete": ["dsprites_full"], "in_progress": [], "stale": []}
  assert not os.path.exists(in_progress)
  assert study_records.models_by_dataset(docs_results) == {
      "dsprites_full": list(range(45, 63))}


def test_a_session_s_stale_records_and_allocations_across_sessions(tmp_path):
  # A session's own records of another config than the study's now are left out
  # and named too. The ablation's allocations gather like its records: those of a
  # session whose directory is gone stay, and move to allocations.json with their
  # data set.
  section = tmp_path / "allocator_ablation"
  docs_results = str(section / "results.json")
  allocations = str(section / "allocations.json")
  dsprites = [n for n, c in enumerate(
      sweeps.study_configs("mine_plugin_allocator_ablation"))
              if c["dataset.name"] == "dsprites_full"]

  def session(name, models, **changed):
    root = tmp_path / name
    records = [_study_record(str(root), n, .5, "mine_plugin_allocator_ablation",
                             **changed) for n in models]
    for record in records:
      if record["train_config.model.name"].startswith("'attention_mine_vae"):
        run_files.write_allocation(os.path.join(
            str(root), record["train_config.model.model_num"], "model", "results",
            "json", run_files.ALLOCATION_FILE), np.eye(6), num_factors=5)
    path = str(root / "results.json")
    _write(records, path)
    return path

  taken, found = reproductions.collect(session("machine1", dsprites[:6]),
                                       docs_results,
                                       "mine_plugin_allocator_ablation", allocations)
  assert taken["in_progress"] == ["dsprites_full"] and found == 4  # 2 seeds x 2
  shutil.rmtree(str(tmp_path / "machine1"))
  taken, found = reproductions.collect(
      session("machine2", dsprites[6:], model__training_steps=1500), docs_results,
      "mine_plugin_allocator_ablation", allocations)
  assert taken["stale"] == [("dsprites_full", n) for n in dsprites[6:]]
  assert found == 0 and taken["in_progress"] == ["dsprites_full"]
  taken, found = reproductions.collect(session("machine3", dsprites[6:]),
                                       docs_results, "mine_plugin_allocator_ablation",
                                       allocations)
  assert taken == {"complete": ["dsprites_full"], "in_progress": [], "stale": []}
  assert found == 2
  with open(allocations) as f:
    assert sorted((e["model"], e["seed"]) for e in json.load(f)) == sorted(
        (model, seed) for model in ("attention_mine_vae", "attention_mine_vae_fixed")
        for seed in range(3))
  assert not os.path.exists(str(section / reproductions.IN_PROGRESS_ALLOCATIONS))


def test_collect_refuses_another_studys_data_set_and_takes_nothing_from_none(
    tmp_path):
  docs_results = str(tmp_path / "docs" / "results.json")
  with pytest.raises(ValueError, match="holds results on shapes3d, which "
                     "mine_plugin_lambda_beta does not train"):
    path = str(tmp_path / "shapes.json")
    _write([_record(str(tmp_path), "shapes3d", "vae", 0, "mig",
                    {"discrete_mig": .1})], path)
    reproductions.collect(path, docs_results, "mine_plugin_lambda_beta")
  empty = str(tmp_path / "empty.json")  # the runner's file when no model finished
  with open(empty, "w") as f:
    f.write("{}")
  assert reproductions.collect(empty, docs_results, "mine_plugin_lambda_beta") == (
      {"complete": [], "in_progress": [], "stale": []}, None)
  assert not os.path.exists(docs_results)


def test_committed_page_is_what_the_committed_results_give(tmp_path):
  # docs/reproductions.md must be regenerated whenever its results or its
  # generator change: written afresh from the committed results, it is unchanged.
  docs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "docs")
  copy = str(tmp_path / "docs")
  shutil.copytree(os.path.join(docs, "mine_penalty"), os.path.join(copy, "mine_penalty"))
  shutil.copytree(os.path.join(docs, "reproductions"),
                  os.path.join(copy, "reproductions"))
  page_path = reproductions.make_page(copy, os.path.join(copy, "reproductions.md"))
  with open(page_path) as generated, open(os.path.join(docs, "reproductions.md")) as f:
    assert generated.read() == f.read()


def test_learning_curve_section_says_when_each_model_learned(tmp_path):
  docs = str(tmp_path / "docs")
  _write_floors(docs, "lambda_beta", ["dsprites_full"], mig=.01, dci=.01)

  def row(steps, mig, dci, seeded=True):
    return dict({"steps": steps, "resumed_from_step": 0, "train_seconds": 100.,
                 "reconstruction_loss": 50., "steps_per_second": 20.,
                 "mig.discrete_mig": mig, "dci.disentanglement": dci},
                **({"seeded_initial_weights": True} if seeded else {}))

  curves = {
      # Above both floors on MIG from 10,000 steps on, on both seeds.
      "fast/seed_0": [row(3000, .011, .01, seeded=False), row(10000, .20, .012)],
      "fast/seed_1": [row(3000, .013, .011), row(10000, .22, .011)],
      # Within the untrained encoder's spread at every stage.
      "slow/seed_0": [row(3000, .010, .010), row(10000, .011, .011),
                      row(30000, .011, .011)],  # one seed further
      "slow/seed_1": [row(3000, .012, .012), row(10000, .010, .010)],
  }
  path = os.path.join(docs, "reproductions", "learning_curve", "results.json")
  os.makedirs(os.path.dirname(path))
  with open(path, "w") as f:
    # "stages" lists more than any curve holds: the page reads the curves' own.
    json.dump({"dataset": "dsprites_full", "stages": [3000, 10000, 30000, 50000],
               "curves": curves}, f)
  lines = reproductions.learning_curve_section(
      path, os.path.join(docs, "reproductions", "lambda_beta"),
      os.path.join(docs, "reproductions"))
  text = "\n".join(lines)
  assert ("fast learned from 10,000 steps on; slow not learned at 10,000 "
          "steps (every model and seed measured up to 10,000 steps, the furthest "
          "run to 30,000; further: slow seed 0 to 30,000)") in text
  assert ("continued stage by stage (where the previous stage's checkpoints were "
          "kept, below) to 3,000, 10,000, 30,000 steps") in text
  assert ("| fast | 3,000 | 2 | 0.012 ± 0.001 (n=2) | 0.010 ± 0.001 (n=2) | "
          "s0 0.011 / 0.010; s1 0.013 / 0.011 |") in text
  # Every row says it started at step 0: the later stages were trained again.
  assert ("Stages trained anew with the same seed and settings" in text and
          "fast seed 0 at 10,000 steps (MIG 0.200, DCI 0.012; its previous stage, "
          "another training: 0.011, 0.010); fast seed 1 at 10,000 steps" in text)
  assert "resumed from a later checkpoint" not in text
  assert ("1 of the 9 stages descend from trainings started before dlib_train's "
          "seed fixed the initial weights") in text
  assert os.path.getsize(os.path.join(docs, "reproductions",
                                      "learning_curve.png")) > 1000
