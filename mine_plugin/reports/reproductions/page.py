"""docs/reproductions.md: each paper's experiment, run through dlib, beside its table.

Reads the committed results of three studies (dlib_aggregate_results' format,
`study_records.load_results`):

  docs/mine_penalty/results.json                 mine_plugin_mi_constrained
  docs/reproductions/lambda_beta/results.json    mine_plugin_lambda_beta
  docs/reproductions/allocator_ablation/results.json  (+ allocations.json)
                                                 mine_plugin_allocator_ablation
  docs/reproductions/learning_curve/results.json scripts/learning_curve.py

and states the protocol of mine_plugin_celeba, which needs data not available here.
A rerun in progress (`collect`) is read from <section>/in_progress.json beside its
results.json (its allocations wait in in_progress_allocations.json, not shown).

and writes the page with one figure per paper under docs/reproductions/. This module
writes the page; the papers' numbers and protocols are in `papers` (quoted from
../shared/PAPERS.md), the tables of the results in `records.study_records`, the rules
of the verdicts in `verdicts`, the figures in `figures`.
No TensorFlow: pandas, numpy and matplotlib only.
"""
import collections
import json
import os

import numpy as np

from mine_plugin.config import sweeps
from mine_plugin.evaluation import compare
from mine_plugin.evaluation import statistics
from mine_plugin.records import study_records
from mine_plugin.reports.reproductions import figures
from mine_plugin.reports.reproductions import papers
from mine_plugin.reports.reproductions import untrained_baselines
from mine_plugin.reports.reproductions import verdicts


def format_mean_sd(values):
  """'mean ± sd (n)' of the finite values (sd with ddof 1); NaN/inf counted apart."""
  n, mean, sd, not_finite = statistics.mean_sd(values)
  count = compare.format_count(n, not_finite)
  if not n:
    return "— (n={})".format(count) if not_finite else "—"
  return "{:.3f} ± {:.3f} (n={})".format(mean, sd, count)


def format_interval(values):
  """The bootstrap 95 % interval of the mean of the finite values, or 'n < 5'."""
  finite, _ = statistics.split_finite(values)
  if len(finite) < statistics.MIN_BOOTSTRAP_SEEDS:
    return "n < {}".format(statistics.MIN_BOOTSTRAP_SEEDS)
  return "[{:.3f}, {:.3f}]".format(*statistics.bootstrap_interval(finite))


# ------------------------------------------------------------ learning criterion
LEARNING_RULE = (
    "Learning criterion (`verdicts.learned_on_metric`): the reference models "
    "learned the factors if, on MIG or on DCI disentanglement, their mean is above "
    "that of an untrained encoder (the study's reference model trained for {} step, "
    "same data set, architecture and seeds) and that of N(0, I) noise codes (dlib's "
    "metric functions, same metric config and seed), each by a 95 % Welch interval "
    "of the difference above 0; reference seeds: those of the floors "
    "(`scripts/measure_untrained.py`, docs/reproductions/<section>/untrained.json, "
    "noise.json). Where it fails the verdict is \"inconclusive\".".format(
        untrained_baselines.UNTRAINED_STEPS))


def _noise_scores(noise_path, dataset, label):
  """The noise codes' scores of one metric label (study_records.METRICS) on a data set."""
  if not os.path.isfile(noise_path):
    return np.array([])
  metric, key = study_records.METRICS[label]
  with open(noise_path) as f:
    entries = json.load(f)
  return np.array([e["evaluation_results"][key] for e in entries
                   if e["dataset"] == dataset and e["metric"] == metric], dtype=float)


def learning_checks(reference_runs, section_dir, dataset):
  """[(label, reference, untrained, noise, learned_on_metric's outcome)] per
  verdicts.LEARNING_METRICS; `reference_runs` (study_records.runs_with_scores rows
  of the reference model) is kept to the floors' seeds."""
  untrained_path = os.path.join(section_dir, untrained_baselines.UNTRAINED_FILE)
  untrained = (study_records.runs_with_scores(
      study_records.load_results(untrained_path), verdicts.LEARNING_METRICS)
               if os.path.isfile(untrained_path) else None)
  if untrained is not None:
    untrained = untrained[untrained["dataset"] == dataset]
    reference_runs = reference_runs[reference_runs["seed"].isin(untrained["seed"])]
  reference_runs = reference_runs[reference_runs["dataset"] == dataset]
  checks = []
  for label in verdicts.LEARNING_METRICS:
    floor = (untrained[label].to_numpy(dtype=float) if untrained is not None
             else np.array([]))
    noise = _noise_scores(os.path.join(section_dir, untrained_baselines.NOISE_FILE),
                          dataset, label)
    reference = reference_runs[label].to_numpy(dtype=float)
    checks.append((label, reference, floor, noise,
                   verdicts.learned_on_metric(reference, floor, noise)))
  return checks


def _learned_word(learned):
  return {True: "learned", False: "**not learned**", None: "not measured"}[learned]


def learning_table(rows):
  """Lines of the criterion's table; rows: (data set, reference, steps, checks)."""
  out = ["", LEARNING_RULE, "",
         "| data set | reference (steps) | metric | reference | untrained encoder | "
         "noise | Welch low vs untrained / noise | criterion (data set) |",
         "|---|---|---|---|---|---|---|---|"]
  for dataset, reference, steps, checks in rows:
    learned = verdicts.learned_factors([c[4] for c in checks])
    for label, values, floor, noise, (_, low_untrained, low_noise) in checks:
      out.append("| {} | {} ({}) | {} | {} | {} | {} | {:+.3f} / {:+.3f} | {} |".format(
          dataset, reference, steps, label, format_mean_sd(values),
          format_mean_sd(floor), format_mean_sd(noise), low_untrained, low_noise,
          _learned_word(learned)))
  return out


def learning_note(checks):
  """'learning: MIG 0.36 vs untrained 0.05 / noise 0.00, ...: learned' (short)."""
  learned = verdicts.learned_factors([c[4] for c in checks])
  return "learning: {}: {}".format(", ".join(
      "{} {:.3f} vs untrained {:.3f} / noise {:.3f}".format(
          label, *(np.mean(v) if len(v) else float("nan")
                   for v in (values, floor, noise)))
      for label, values, floor, noise, _ in checks), _learned_word(learned).strip("*"))


def _steps(runs):
  steps = runs["steps"].dropna()
  return "{:,.0f}".format(steps.max()) if len(steps) else "?"


# ---------------------------------------------------------------- MI-constrained VAE
def mi_constrained_section(results_path, figure_dir):
  """The page's section on the MI-constrained VAE, as lines; draws its figure."""
  table = study_records.scores_with_seed(study_records.load_results(results_path))
  metrics = ("MIG", "DCI disentanglement")
  out = ["## MI-constrained VAE (Lan, Putra, Fernández): the pairwise-MI penalty",
         "", papers.MI_CONSTRAINED_PROTOCOL,
         "{} trained models (`docs/mine_penalty/results.json`; the full study, "
         "with the TC models, is on docs/mine_penalty.md).".format(
             _runs_found(results_path)), "",
         "| model | paper MIG | our MIG | 95 % CI | paper DCI | our DCI | 95 % CI |",
         "|---|---:|---|---|---:|---|---|"]
  for model, paper_name in papers.MI_CONSTRAINED_MODELS:
    paper = papers.PAPER_MI_CONSTRAINED.get(paper_name, {})
    cells = []
    for metric in metrics:
      values = study_records.values(table, model, metric)
      cells += ["{:.2f}".format(paper[metric]) if metric in paper else "—",
                format_mean_sd(values), format_interval(values)]
    out.append("| `{}`{} | {} |".format(
        model, " ({})".format(paper_name) if paper_name else "", " | ".join(cells)))

  dependence = [(model, study_records.values(table, model, "pairwise MI"))
                for model, _ in papers.MI_CONSTRAINED_MODELS]
  dependence = [(model, values) for model, values in dependence if len(values)]
  if dependence:
    out += ["", "What each penalty leaves of the dependence between latents: the exact "
            "sum over i != j of I(z_i; z_j) of the aggregate posterior "
            "(`latent_dependence`, nats): " + "; ".join(
                "`{}` {}".format(model, format_mean_sd(values))
                for model, values in dependence) + "."]

  runs = study_records.runs_with_scores(study_records.load_results(results_path),
                                        verdicts.LEARNING_METRICS)
  reference = runs[runs["model"] == "vae"]
  datasets = sorted(reference["dataset"].dropna().unique())
  learning = [(d, learning_checks(reference, os.path.join(
      figure_dir, "mi_constrained"), d)) for d in datasets]
  steps = _steps(reference)
  learned = verdicts.learned_factors([c[4] for _, checks in learning
                                      for c in checks]) if learning else None
  note = "; ".join(learning_note(checks) for _, checks in learning)

  def against_vae(model, metric):
    verdict, difference = verdicts.verdict_difference(
        study_records.values(table, model, metric),
        study_records.values(table, "vae", metric))
    gated = verdicts.gated_verdict(verdict, learned, steps)
    return gated + ("" if gated == verdict else " (by the rule alone: {})".format(
        verdict)), difference

  out += learning_table([(d, "`vae`", steps, checks) for d, checks in learning])
  out += ["", "Verdict (rule: the MI-constrained VAE above the vanilla VAE, with the "
          "95 % Welch interval of the difference of means above 0, where the "
          "vanilla VAE learned the factors; {}):".format(note)]
  paper = papers.PAPER_MI_CONSTRAINED
  for metric in metrics:
    out.append("- {}, closed-form (`mws`) penalty: **{}** (difference {:+.3f}; "
               "paper {:+.2f}).".format(
                   metric, *against_vae("pairwise_mi_vae_mws", metric),
                   paper["MI-constrained VAE"][metric] -
                   paper["vanilla VAE"][metric]))
  for metric in metrics:
    out.append("- {}, the same penalty estimated by the MINE critic: **{}** "
               "(difference {:+.3f}).".format(
                   metric, *against_vae("pairwise_mi_vae_mine", metric)))
  figure = os.path.join(figure_dir, "mi_constrained.png")
  figures.scores_beside_paper(
      table, [m for m, _ in papers.MI_CONSTRAINED_MODELS], metrics,
      {m: paper.get(p, {}) for m, p in papers.MI_CONSTRAINED_MODELS},
      figure, "MI-constrained VAE setting (32x32 squares, 3 latents)")
  return out + ["", "![MI-constrained VAE](reproductions/{})".format(
      os.path.basename(figure)), ""]


# ---------------------------------------------------------------------- lambda-beta
LAMBDA_BETA_METRICS = ("MIG", "SAP", "DCI disentanglement", "DCI informativeness")
ABLATION_METRICS = ("BetaVAE score", "DCI completeness", "MIG")


def lambda_beta_section(results_path, figure_dir):
  """The page's section on the lambda-beta-VAE, as lines; draws its figure."""
  metrics = LAMBDA_BETA_METRICS
  runs = study_records.runs_with_scores(study_records.load_results(results_path),
                                        metrics)
  out = ["## λβ-VAE (Vu, Wan, Wei 2026): the L2 term against MI collapse", "",
         papers.LAMBDA_BETA_PROTOCOL,
         "{} trained models (`docs/reproductions/lambda_beta/results.json`).{} "
         "The paper's claim: MIG and SAP collapse at large β with λ = 0, and "
         "λ > 0 keeps them. Its numbers are % changes relative to β = 1, "
         "λ = 0 at β = 32:".format(
             _runs_found(results_path),
             _missing_datasets(results_path, sweeps.LAMBDA_BETA_DATASETS) +
             _earlier_lengths(results_path, sweeps.LAMBDA_BETA_STEPS)), "",
         "| data set | metric | paper λ = 0 | paper λ = 8 |", "|---|---|---:|---:|"]
  out += ["| {} (paper) | {} | {:+.0f} % | {:+.0f} % |".format(*row)
          for row in papers.PAPER_LAMBDA_BETA]
  out += ["", "Ours, the same quantities from the continuations (rule: "
          "collapse = λ = 0 at the largest β more than 10 % below β = 1, λ = 0; "
          "kept = λ = 8 there within 10 % of β = 1, λ = 0 (or above) and above "
          "λ = 0 on every seed, paired by pre-training (by chance with "
          "probability 2^-n for n seeds); both: reproduced, one: partly, "
          "neither: not reproduced; inconclusive where β = 1, λ = 0 did not learn "
          "the factors, criterion below):", "",
          "| data set | metric | β | λ = 0 | λ = 8 | λ 8 − 0 per seed | verdict | "
          "learning (β = 1, λ = 0) |",
          "|---|---|---:|---:|---:|---|---|---|"]
  tables = []
  learning_rows = []
  for dataset in sorted(runs["dataset"].dropna().unique()):
    part = runs[runs["dataset"] == dataset]
    tables += ["", "**{}** (mean ± sd over seeds; KL = dlib's `kl_loss`, the rate "
               "in nats, an upper bound on I(x; z))".format(dataset), "",
               "| phase | beta | lambda | " + " | ".join(metrics) + " | KL |",
               "|---|---:|---:|" + "---|" * (len(metrics) + 1)]
    for (model, beta, lam), group in part.groupby(
        ["model", "beta", part["lam"].fillna(-1.)], sort=True):
      phase = "continuation" if model == "lambda_beta_vae" else "pre-training"
      tables.append("| {} | {:g} | {} | {} | {} |".format(
          phase, beta, "—" if lam < 0 else "{:g}".format(lam),
          " | ".join(format_mean_sd(group[m]) for m in metrics),
          format_mean_sd(group["kl"])))
    betas = sorted(part["beta"].dropna().unique())
    if not betas:
      continue
    reference = part[(part["model"] == "lambda_beta_vae") & (part["beta"] == 1.) &
                     (part["lam"] == 0.)]
    pretraining = part[(part["model"] != "lambda_beta_vae") & (part["beta"] == 1.)]
    steps = "{} + {}".format(_steps(pretraining), _steps(reference))
    checks = learning_checks(reference, os.path.join(figure_dir, "lambda_beta"),
                             dataset)
    learning_rows.append((dataset, "β = 1, λ = 0", steps, checks))
    learned = verdicts.learned_factors([c[4] for c in checks])
    for metric in ("MIG", "SAP"):
      verdict, zero, eight, paired = verdicts.verdict_lambda_beta(
          runs, dataset, metric, max(betas))
      gated = verdicts.gated_verdict(verdict, learned, steps)
      out.append("| {} | {} | {:g} | {:+.0f} % | {:+.0f} % | {} | **{}**{} | {} |".format(
          dataset, metric, max(betas), zero, eight,
          ", ".join("{:+.3f}".format(v) for v in paired), gated,
          "" if gated == verdict else " (by the rule alone: {})".format(verdict),
          learning_note(checks)[len("learning: "):]))
  figure = os.path.join(figure_dir, "lambda_beta.png")
  figures.lambda_beta(runs, figure)
  out += learning_table(learning_rows)
  out += in_progress_lines(os.path.dirname(results_path), "mine_plugin_lambda_beta",
                           metrics)
  return out + tables + ["", "![lambda-beta-VAE](reproductions/{})".format(
      os.path.basename(figure)), ""]


# ------------------------------------------------------------------ learning curve
def learning_curve_rows(results_path):
  """{model: pandas DataFrame (steps, seed, MIG, DCI disentanglement, speed, ...)}
  from scripts/learning_curve.py's results.json."""
  import pandas as pd  # pylint: disable=g-import-not-at-top
  with open(results_path) as f:
    results = json.load(f)
  tables = {}
  for key, rows in results["curves"].items():
    model, seed = key.split("/seed_")
    for row in rows:
      tables.setdefault(model, []).append({
          "dataset": results["dataset"], "seed": int(seed), "steps": row["steps"],
          "MIG": row["mig.discrete_mig"],
          "DCI disentanglement": row["dci.disentanglement"],
          "reconstruction": row["reconstruction_loss"],
          "steps/s": row["steps_per_second"],
          "resumed_from_step": row["resumed_from_step"],
          "seeded": bool(row.get("seeded_initial_weights", False))})
  return results, {model: pd.DataFrame(rows) for model, rows in tables.items()}


def learning_curve_section(results_path, floors_dir, figure_dir):
  """The page's section on how long the dSprites stand-in needs, as lines."""
  results, tables = learning_curve_rows(results_path)
  dataset = results["dataset"]
  out = ["## How long the dSprites stand-in needs: a learning curve", "",
         "dlib's `vae` (β = 16, the λβ-VAE authors' best on dSprites) and "
         "`beta_tc_vae` (β = 6), seeds 0 and 1, with the reproduction studies' "
         "settings (gin_configs/shared.gin: dlib's conv encoder/decoder, 10 latents, "
         "batch 64; Adam 1e-3), continued stage by stage (where the previous stage's "
         "checkpoints were kept, below) to "
         "{} steps with `resume.enabled = True` (`scripts/learning_curve.py`, "
         "`mine_plugin/runner/learning_curve.py`; results "
         "`docs/reproductions/learning_curve/results.json`). After each stage: "
         "dlib's mean representation (postprocess seed 0), MIG and DCI with the "
         "`mine_plugin_small` configs (evaluation seed 0). The floors are the "
         "λβ section's untrained encoders and noise codes on {} (same architecture "
         "and metric configs, seeds 0–2). The criterion is the page's "
         "(`verdicts.learned_on_metric`) with the curve's seeds.".format(
             ", ".join("{:,}".format(s) for s in sorted(
                 {int(s) for t in tables.values() for s in t["steps"]})), dataset), "",
         "| model | steps | seeds | MIG | DCI disentanglement | per seed: MIG / DCI "
         "| reconstruction (nats) | steps/s | learned? |",
         "|---|---:|---:|---|---|---|---|---:|---|"]
  learned_at = {}  # model -> the first stage from which on every stage learned
  judged_at = {}  # model -> its last stage with the criterion measured (n >= 2)
  for model, table in sorted(tables.items()):
    for steps, group in table.groupby("steps", sort=True):
      checks = learning_checks(group, floors_dir, dataset)
      learned = verdicts.learned_factors([c[4] for c in checks])
      if learned is not None:
        judged_at[model] = steps
      if learned is False:
        learned_at.pop(model, None)
      elif learned and model not in learned_at:
        learned_at[model] = steps
      per_seed = "; ".join(
          "s{} {:.3f} / {:.3f}".format(int(run["seed"]), run["MIG"],
                                      run["DCI disentanglement"])
          for _, run in group.sort_values("seed").iterrows())
      out.append("| {} | {:,} | {} | {} | {} | {} | {} | {:.1f} | {} |".format(
          model, steps, len(group), format_mean_sd(group["MIG"]),
          format_mean_sd(group["DCI disentanglement"]), per_seed,
          format_mean_sd(group["reconstruction"]),
          group["steps/s"].mean(), learning_note(checks)[len("learning: "):]))
  floors = learning_checks(next(iter(tables.values())).iloc[:0], floors_dir, dataset)
  out += ["", "Floors on {}: {}.".format(dataset, "; ".join(
      "{}: untrained {}, noise {}".format(label, format_mean_sd(floor),
                                         format_mean_sd(noise))
      for label, _, floor, noise, _ in floors)), ""]
  stopped, retrained = [], []
  for model, table in sorted(tables.items()):
    for seed, runs in table.sort_values("steps").groupby("seed"):
      previous = [0] + list(runs["steps"])[:-1]
      before = [None] + [row for _, row in runs.iterrows()][:-1]
      for (_, run), expected, earlier in zip(runs.iterrows(), previous, before):
        # Resumed from before the previous stage: another training's checkpoint.
        if run["resumed_from_step"] < expected:
          # Scores of two trainings side by side: how far a retrained run lands
          # from the one it replaced (the same seed).
          retrained.append(
              "{} seed {} at {:,} steps{} (MIG {:.3f}, DCI {:.3f}; its previous "
              "stage, another training: {:.3f}, {:.3f})".format(
                  model, seed, run["steps"],
                  " (from step {:,} of its own training)".format(
                      run["resumed_from_step"]) if run["resumed_from_step"] else "",
                  run["MIG"], run["DCI disentanglement"],
                  earlier["MIG"], earlier["DCI disentanglement"]))
        elif run["resumed_from_step"] != expected:
          stopped.append("{} seed {} at {:,} steps (from {:,})".format(
              model, seed, run["steps"], run["resumed_from_step"]))
  if stopped:
    out += ["Stages whose training was stopped and resumed from a later checkpoint "
            "than the previous stage's (their steps/s counts the resumed part "
            "only): {}.".format("; ".join(stopped)), ""]
  if retrained:
    out += ["Stages trained anew with the same seed and settings, because the "
            "previous stage's checkpoints were not kept: {}; their steps/s counts "
            "their own training.".format("; ".join(retrained)), ""]
  unseeded = sum(int((~table["seeded"]).sum()) for table in tables.values())
  if unseeded:
    out += ["{} of the {} stages descend from trainings started before "
            "dlib_train's seed fixed the initial weights (CHANGELOG, \"a seed "
            "fixes the network\"): there, a "
            "stage trained anew started from other weights. With the seed fixing "
            "them it would start from the same ones, but still not be the earlier "
            "network continued: each resume draws other batches "
            "(`resume.data_seed`).".format(
                unseeded, sum(len(t) for t in tables.values())), ""]
  # The last stage every model and seed reached, and the runs that went further.
  last = {(model, seed): int(runs["steps"].max())
          for model, table in tables.items() for seed, runs in table.groupby("seed")}
  done = min(last.values())
  further = ["{} seed {} to {:,}".format(model, seed, steps)
             for (model, seed), steps in sorted(last.items()) if steps > done]
  verdict = "; ".join(
      "{} learned from {:,} steps on".format(model, learned_at[model])
      if model in learned_at else "{} not learned at {:,} steps".format(
          model, judged_at[model]) if model in judged_at
      else "{} not measured".format(model)
      for model in sorted(tables))
  out += ["**Length** (a model learned from the first stage from which every later "
          "stage clears the criterion): {} (every model and seed measured up to "
          "{:,} steps, the furthest run to {:,}{}). The criterion asks for scores "
          "clearly above the floors, not "
          "for dlib's published level (β-VAE on the real dSprites at 300k steps: "
          "MIG 0.1–0.3). Speed: the stage's steps over dlib's `elapsed_time` (training, export "
          "and the 20-step evaluation), on this project's 2-core CPU with other "
          "work sharing the cores; not a benchmark.".format(
              verdict, done, max(last.values()),
              "; further: " + ", ".join(further) if further else ""), ""]
  figure = os.path.join(figure_dir, "learning_curve.png")
  figures.learning_curve(tables, figure)
  return out + ["![learning curve](reproductions/{})".format(
      os.path.basename(figure)), ""]


# -------------------------------------------------------------- allocator ablation
def allocation_summary(entry):
  """'f0 a, f1 b, ..., nuisance c': latent dimensions per slot (sum of A's column)."""
  allocation = np.asarray(entry["allocation"], dtype=float)
  totals = allocation.sum(axis=0)
  return ", ".join("{} {:.1f}".format(slot.replace("factor", "f"), total)
                   for slot, total in zip(entry["slots"], totals))


def allocator_section(results_path, allocations_path, figure_dir):
  """The page's section on the allocator's ablation, as lines; draws its figure."""
  table = study_records.scores_with_seed(study_records.load_results(results_path))
  metrics = ABLATION_METRICS
  out = ["## MINE Disentangle VAE: the allocator's ablation", "",
         papers.ALLOCATOR_PROTOCOL,
         "{} trained models (`docs/reproductions/allocator_ablation/"
         "results.json`). The paper's CelebA numbers cannot be checked here "
         "(no data); they are shown beside ours for scale only.{}".format(
             _runs_found(results_path),
             _missing_datasets(results_path, sweeps.ABLATION_DATASETS) +
             _earlier_lengths(results_path, {
                 dataset: (steps,)
                 for dataset, steps in sweeps.ABLATION_STEPS.items()}))]
  found = []
  learning_rows = []
  runs = study_records.runs_with_scores(study_records.load_results(results_path),
                                        verdicts.LEARNING_METRICS)
  for dataset in sorted(table["dataset"].dropna().unique()):
    reference = runs[(runs["model"] == "vae") & (runs["dataset"] == dataset)]
    steps = _steps(reference)
    checks = learning_checks(reference, os.path.join(
        figure_dir, "allocator_ablation"), dataset)
    learning_rows.append((dataset, "`vae`", steps, checks))
    learned = verdicts.learned_factors([c[4] for c in checks])
    found.append("- {}: {}.".format(dataset, learning_note(checks)))

    def values(model, metric, dataset=dataset):
      return study_records.values(table, model, metric, dataset)

    out += ["", "**{}**".format(dataset), "",
            "| model | paper BetaVAE (CelebA) | our BetaVAE | paper DCI "
            "completeness (CelebA) | our DCI completeness | our MIG |",
            "|---|---:|---|---:|---|---|"]
    for model, paper_name in papers.ABLATION_MODELS:
      paper = papers.PAPER_ALLOCATOR.get(paper_name, {})
      out.append("| `{}` | {} | {} | {} | {} | {} |".format(
          model, "{:.2f}".format(paper["BetaVAE score"]) if paper else "—",
          format_mean_sd(values(model, "BetaVAE score")),
          "{:.2f}".format(paper["DCI completeness"]) if paper else "—",
          format_mean_sd(values(model, "DCI completeness")),
          format_mean_sd(values(model, "MIG"))))
    means = [np.nanmean(values(m, "BetaVAE score"))
             for m, _ in papers.ABLATION_MODELS if len(values(m, "BetaVAE score"))]
    if means and min(means) > 0.95:
      out += ["", "On {} every model's BetaVAE score is at its ceiling (≥ 0.95): "
              "that metric cannot separate them here; DCI completeness and MIG "
              "can.".format(dataset)]
    for metric in ("BetaVAE score", "DCI completeness"):
      full = values("attention_mine_vae", metric)
      for other in ("attention_mine_vae_fixed", "beta_vae", "vae"):
        others = values(other, metric)
        # The paper's ablation reports the model without attention relative to
        # the full model; here each other model relative to the full one, likewise.
        change = verdicts.percent_change(np.nanmean(others), np.nanmean(full)) if (
            len(full) and len(others)) else float("nan")
        verdict, difference = verdicts.verdict_difference(full, others)
        gated = verdicts.gated_verdict(verdict, learned, steps)
        found.append("  - `attention_mine_vae` vs `{}`, {}: **{}**{} (difference "
                     "{:+.3f}; `{}` scores {:+.0f} % relative to "
                     "`attention_mine_vae`).".format(
                         other, metric, gated,
                         "" if gated == verdict else
                         " (by the rule alone: {})".format(verdict),
                         difference, other, change))
  out += learning_table(learning_rows)
  out += ["", "Verdicts (rule as for the MI-constrained VAE: `attention_mine_vae` "
          "above the other model on each of the paper's two metrics, where the "
          "vanilla VAE (`vae`) learned the factors; paper: without "
          "attention {:+.0f} %, and above β-VAE and the vanilla VAE):".format(
              papers.PAPER_ABLATION_DROP)] + found
  out += in_progress_lines(os.path.dirname(results_path),
                           "mine_plugin_allocator_ablation", metrics)
  out += ["", "The allocation per seed (latent dimensions per slot: the column "
          "sums of A, `attention_allocation.json`; learned for "
          "`attention_mine_vae`, the constant hard partition for "
          "`attention_mine_vae_fixed`):", "",
          "| data set | model | seed | latent dimensions per slot |",
          "|---|---|---:|---|"]
  allocations = study_records.read_allocations(allocations_path)
  for entry in sorted(allocations, key=lambda e: (e["dataset"], e["model"],
                                                  e["seed"])):
    out.append("| {} | `{}` | {} | {} |".format(
        entry["dataset"], entry["model"], entry["seed"], allocation_summary(entry)))
  figure = os.path.join(figure_dir, "allocator_ablation.png")
  figures.scores_beside_paper(
      table, [m for m, _ in papers.ABLATION_MODELS], metrics,
      {m: papers.PAPER_ALLOCATOR.get(p, {}) for m, p in papers.ABLATION_MODELS},
      figure, "allocator ablation (paper's markers: CelebA)")
  return out + ["", "![allocator ablation](reproductions/{})".format(
      os.path.basename(figure)), ""]


# ---------------------------------------------------------------------- the page
def _runs_found(results_path):
  return len(study_records.per_run(study_records.load_results(results_path)))


def _missing_datasets(results_path, study_datasets):
  """A sentence naming the study's data sets (sweeps.StudyData) without results yet,
  or ''."""
  found = set(study_records.per_run(study_records.load_results(results_path))["dataset"])
  missing = [d.name for d in study_datasets if d.name not in found]
  if not missing:
    return ""
  return (" No results yet for {}: those models are registered in the study and "
          "run when it is resumed (docs/studies.md).".format(", ".join(missing)))


def _earlier_lengths(results_path, study_steps):
  """A sentence naming the data sets whose results were trained at other step counts
  than the study's (`study_steps`: {data set: step counts}) runs now, or ''.

  The results stay on the page, at the steps they ran, until a rerun at the study's
  length replaces them (`collect`)."""
  runs = study_records.per_run(study_records.load_results(results_path))
  earlier = []
  for dataset, steps in sorted(study_steps.items()):
    ran = set(runs[runs["dataset"] == dataset]["steps"].dropna().astype(int))
    if ran and not ran <= set(steps):
      earlier.append("{} ran {} steps; the study runs {} now".format(
          dataset, " + ".join("{:,}".format(s) for s in sorted(ran, reverse=True)),
          " + ".join("{:,}".format(s) for s in steps)))
  if not earlier:
    return ""
  return (" Results from an earlier length of the study ({}): they stay here, at the "
          "steps they ran, until the rerun's results replace them.".format(
              "; ".join(earlier)))


# Beside a section's results.json: the data sets of a study whose rerun has not
# finished all its models yet (`collect`).
IN_PROGRESS = "in_progress.json"
# Beside a section's allocations.json: the allocations of a rerun not finished yet
# (not shown on the page until their data set is complete).
IN_PROGRESS_ALLOCATIONS = "in_progress_allocations.json"


def collect(run_results, docs_results, study_name, allocations_path=None):
  """Takes a study's runs/<study>/results.json into docs/ (and its allocations).

  The run's finished models go into IN_PROGRESS beside `docs_results` model by
  model (`study_records.merge_by_model`): each replaces its own earlier records
  there, and the models an earlier session finished stay, even where that
  session's run directory is gone (a machine that did not keep it). Records, the
  run's or earlier, that no longer match the study's config of their model number
  (`sweeps.study_configs`: data set, steps, seed, model parameters) are left out
  and returned as `stale`. A data set with every one of its models there replaces
  its records in `docs_results` (`study_records.merge_by_dataset`) and leaves
  IN_PROGRESS; until then the page keeps the earlier records and their verdicts
  and shows the finished models apart, so a rerun of many sessions is committed
  model by model. Allocations (with `allocations_path`) follow the same way: the
  run's go to IN_PROGRESS_ALLOCATIONS beside `allocations_path` when collected, and
  a complete data set's replace its own in `allocations_path`.
  Returns ({"complete": [...], "in_progress": [...], "stale": [(data set, model
  number), ...]}, the run's allocations found or None).
  """
  taken = {"complete": [], "in_progress": [], "stale": []}
  frame = study_records.load_results(run_results, allow_empty=True)
  if frame.empty:
    return taken, None
  configs = sweeps.study_configs(study_name)
  study_models = collections.defaultdict(set)
  for model_num, config in enumerate(configs):
    study_models[config["dataset.name"]].add(model_num)
  datasets = set(study_records.per_run(frame)["dataset"])
  foreign = sorted(datasets - set(study_models))
  if foreign:
    raise ValueError("{} holds results on {}, which {} does not train (its data "
                     "sets: {}): results of another study?".format(
                         run_results, ", ".join(foreign), study_name,
                         ", ".join(sorted(study_models))))

  in_progress = os.path.join(os.path.dirname(docs_results), IN_PROGRESS)
  current = _current_records(run_results, in_progress, configs)
  taken["stale"] = study_records.merge_by_model(run_results, in_progress,
                                                keep=current)
  allocations = None
  if allocations_path is not None:
    allocations = study_records.merge_allocations(
        run_results, _in_progress_allocations(allocations_path), keep=current,
        models=_models_with_seeds(in_progress))
  finished = study_records.models_by_dataset(in_progress)
  taken["complete"] = sorted(d for d in finished
                             if set(finished[d]) >= study_models[d])
  taken["in_progress"] = sorted(set(finished) - set(taken["complete"]))
  if taken["complete"]:
    study_records.merge_by_dataset(in_progress, docs_results, taken["complete"])
    study_records.drop_datasets(in_progress, taken["complete"])
    if allocations_path is not None:
      study_records.move_allocations(_in_progress_allocations(allocations_path),
                                     allocations_path, taken["complete"])
  return taken, allocations


TRAIN_UUID = "train_results.uuid"


def _current_records(run_results, in_progress, configs):
  """keep(record) for `collect`: whether a record, of the run or already in
  IN_PROGRESS, is of the study's model as configured now (`configs`, by model
  number) and, for a continuation, whether it continued from the pre-training that
  stays: one whose record is current, and, for a continuation not trained in this
  run, the same training of it (train_results.uuid) that it started from. A
  pre-training trained again (its directory was gone) leaves the continuations of
  its earlier training out, so that each pair of continuations shares one
  pre-training."""
  def fits(row):
    _, model_num = study_records.model_key(row, run_results)
    return (0 <= model_num < len(configs) and
            study_records.matches_config(row, configs[model_num]))

  run_rows = study_records.records(run_results)
  earlier_rows = study_records.records(in_progress)
  in_run = {study_records.model_key(row, run_results) for row in run_rows}
  earlier = {study_records.model_key(row, in_progress): row.get(TRAIN_UUID)
             for row in earlier_rows}
  staying = {}  # (data set, model number) -> uuid of the training that stays
  for row in run_rows + earlier_rows:
    key = study_records.model_key(row, run_results)
    if key not in staying and fits(row):
      staying[key] = row.get(TRAIN_UUID)

  def current(row):
    if not fits(row):
      return False
    dataset, model_num = study_records.model_key(row, run_results)
    pretraining = configs[model_num].get("warm_start.study_model")
    if pretraining is None:
      return True
    source = (dataset, pretraining)
    if source not in staying:
      return False
    return ((dataset, model_num) in in_run or
            earlier.get(source) == staying[source])
  return current


def _models_with_seeds(path):
  """{(data set, model name, seed)} of the records in an aggregated file."""
  if not os.path.isfile(path):
    return set()
  runs = study_records.per_run(study_records.load_results(path))
  return {(run.dataset, run.model, int(run.seed)) for run in runs.itertuples()
          if np.isfinite(run.seed)}


def _in_progress_allocations(allocations_path):
  return os.path.join(os.path.dirname(allocations_path), IN_PROGRESS_ALLOCATIONS)


def in_progress_lines(section_dir, study_name, metrics, verdicts_above=True):
  """Lines on the data sets of a section whose rerun is under way, or []: per data
  set, how many of its models finished and each finished model's scores
  (`verdicts_above`: whether the section shows verdicts from earlier results)."""
  path = os.path.join(section_dir, IN_PROGRESS)
  if not os.path.isfile(path):
    return []
  study_models = sweeps.models_per_dataset(study_name)
  runs = study_records.runs_with_scores(study_records.load_results(path), metrics)
  out = []
  for dataset, part in sorted(runs.groupby("dataset")):
    out += ["", "**{}: {} in progress** ({} of {} models finished, "
            "`docs/reproductions/{}/{}`; {} wait for all of them):".format(
                dataset, "rerun" if verdicts_above else "run", len(part),
                study_models.get(dataset, "?"), os.path.basename(section_dir),
                IN_PROGRESS, "the verdicts above" if verdicts_above else "verdicts"),
            "",
            "| model | β | λ | seed | steps | " + " | ".join(metrics) + " |",
            "|---|---:|---:|---:|---:|" + "---:|" * len(metrics)]
    for _, row in part.sort_values(["model", "beta", "lam", "seed"]).iterrows():
      cells = [row["model"]] + [
          "—" if not np.isfinite(row[k]) else "{:g}".format(row[k])
          for k in ("beta", "lam", "seed")] + [
              "{:,.0f}".format(row["steps"]) if np.isfinite(row["steps"]) else "?"]
      cells += ["{:.3f}".format(row[m]) if np.isfinite(row[m]) else "—"
                for m in metrics]
      out.append("| " + " | ".join(cells) + " |")
  return out


def celeba_section():
  """The MINE Disentangle VAE's CelebA table: the paper's numbers and how to run it."""
  out = ["## MINE Disentangle VAE: the paper's CelebA table", "",
         papers.CELEBA_PROTOCOL,
         "| model (paper) | FID ↓ | LPIPS ↓ | BetaVAE ↑ | DCI completeness ↑ |",
         "|---|---:|---:|---:|---:|"]
  out += ["| {} | {} | {} | {} | {} |".format(*row) for row in papers.PAPER_CELEBA]
  return out + ["", papers.CELEBA_NOT_RUN]


def make_page(docs_dir, page_path):
  """Writes docs/reproductions.md and its figures from the results under docs_dir."""
  figure_dir = os.path.join(docs_dir, "reproductions")
  os.makedirs(figure_dir, exist_ok=True)
  mi_results = os.path.join(docs_dir, "mine_penalty", "results.json")
  lb_results = os.path.join(figure_dir, "lambda_beta", "results.json")
  ab_results = os.path.join(figure_dir, "allocator_ablation", "results.json")
  ab_allocations = os.path.join(figure_dir, "allocator_ablation",
                                "allocations.json")
  if not os.path.isfile(mi_results):
    raise FileNotFoundError(
        "No {}: it is the committed result of mine_plugin_mi_constrained "
        "(docs/mine_penalty.md says how to regenerate it).".format(mi_results))
  out = ["# Reproductions: each paper's experiment, run through dlib", "",
         "Generated by `python scripts/make_reproductions.py` from the committed "
         "results (dlib_aggregate_results' format) of the plugin's studies; every "
         "number below was measured in those runs, on this project's 2-core CPU "
         "machines (untested on GPU). Mean ± sd over seeds (n given); a bootstrap "
         "95 % interval of the mean where n ≥ {}. The verdicts follow the rules "
         "stated with them (`mine_plugin/reports/reproductions/verdicts.py`).".format(
             statistics.MIN_BOOTSTRAP_SEEDS), ""]
  out += mi_constrained_section(mi_results, figure_dir)
  if os.path.isfile(lb_results):
    out += lambda_beta_section(lb_results, figure_dir)
  else:
    out += ["## λβ-VAE (Vu, Wan, Wei 2026): the L2 term against MI collapse", "",
            papers.LAMBDA_BETA_PROTOCOL, "Not run yet: no {}.".format(lb_results)]
    out += in_progress_lines(os.path.dirname(lb_results), "mine_plugin_lambda_beta",
                             LAMBDA_BETA_METRICS, verdicts_above=False) + [""]
  curve_results = os.path.join(figure_dir, "learning_curve", "results.json")
  if os.path.isfile(curve_results):
    out += learning_curve_section(curve_results,
                                  os.path.join(figure_dir, "lambda_beta"), figure_dir)
  if os.path.isfile(ab_results):
    out += allocator_section(ab_results, ab_allocations, figure_dir)
  else:
    out += ["## MINE Disentangle VAE: the allocator's ablation", "",
            papers.ALLOCATOR_PROTOCOL, "Not run yet: no {}.".format(ab_results)]
    out += in_progress_lines(os.path.dirname(ab_results),
                             "mine_plugin_allocator_ablation", ABLATION_METRICS,
                             verdicts_above=False) + [""]
  out += celeba_section()
  with open(page_path, "w") as f:
    f.write("\n".join(out) + "\n")
  return page_path
