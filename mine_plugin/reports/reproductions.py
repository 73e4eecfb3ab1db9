"""docs/reproductions.md: each paper's experiment, run through dlib, beside its table.

Reads the committed results of three studies (dlib_aggregate_results' format,
`compare.load_results`):

  docs/mine_penalty/results.json                 mine_plugin_mi_constrained
  docs/reproductions/lambda_beta/results.json    mine_plugin_lambda_beta
  docs/reproductions/allocator_ablation/results.json  (+ allocations.json)
                                                 mine_plugin_allocator_ablation

and writes the page with one figure per paper under docs/reproductions/. The
papers' numbers are those of ../shared/PAPERS.md, quoted in PAPER_* below. Every
verdict is computed from the measured numbers by the rule stated next to it
(`verdict_*`). No TensorFlow: pandas, numpy and matplotlib only.
"""
import json
import os
import shutil

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
import pandas as pd

from mine_plugin.evaluation import compare
from mine_plugin.reports import critic_evidence
from mine_plugin.reports import report

SEED = "train_config.model.random_seed"
# Columns of a model's training results that measure the code's information.
KL_COLUMN = "train_results.kl_loss"

# MI-constrained VAE (Lan, Putra, Fernandez), Table 1 ("averaged over multiple
# training runs", count not given): PAPERS.md.
PAPER_MI_CONSTRAINED = {"vanilla VAE": {"MIG": 0.31, "DCI disentanglement": 0.45},
                        "MI-constrained VAE": {"MIG": 0.57,
                                               "DCI disentanglement": 0.72}}
MI_CONSTRAINED_MODELS = (("vae", "vanilla VAE"),
                         ("pairwise_mi_vae_mws", "MI-constrained VAE"),
                         ("pairwise_mi_vae_mine", None),
                         ("pairwise_mi_vae_density_ratio", None),
                         ("pairwise_mi_vae_club", None))

# lambda-beta-VAE (Vu, Wan, Wei 2026), % change relative to beta = 1, lambda = 0,
# read off the authors' heatmap at beta = 32 (PAPERS.md).
PAPER_LAMBDA_BETA = [
    ("dSprites", "SAP", -30., 3.),
    ("MPI3D-real", "MIG", -41., 8.),
    ("MPI3D-real", "SAP", -32., -6.),
]

# MINE Disentangle VAE, CelebA table (PAPERS.md): BetaVAE-metric disentanglement and
# DCI completeness; "without attention -15 % disentanglement".
PAPER_ALLOCATOR = {"vanilla VAE": {"BetaVAE score": 0.34, "DCI completeness": 0.41},
                   "beta-VAE (beta = 4)": {"BetaVAE score": 0.72,
                                           "DCI completeness": 0.68},
                   "MINE Disentangle VAE": {"BetaVAE score": 0.87,
                                            "DCI completeness": 0.82}}
PAPER_ABLATION_DROP = -15.
ABLATION_MODELS = (("attention_mine_vae", "MINE Disentangle VAE"),
                   ("attention_mine_vae_fixed", None),
                   ("beta_vae", "beta-VAE (beta = 4)"),
                   ("vae", "vanilla VAE"))

# Extra score columns (label -> metric config, key) next to compare.METRICS.
EXTRA_METRICS = {"DCI completeness": ("dci", "completeness"),
                 "DCI informativeness": ("dci", "informativeness_test")}


def scores(frame):
  """Tidy table of compare.scores plus DCI completeness/informativeness, with seed."""
  metrics = dict(compare.METRICS)
  metrics.update(EXTRA_METRICS)
  table = compare.scores(frame, metrics)
  seeds = (pd.to_numeric(frame[SEED], errors="coerce") if SEED in frame else
           pd.Series(np.nan, index=frame.index))
  table["seed"] = table["path"].map(dict(zip(frame["path"], seeds)))
  return table


def _config(frame, name):
  column = "train_config." + name
  if column not in frame:
    return pd.Series([np.nan] * len(frame), index=frame.index)
  return pd.to_numeric(frame[column].map(compare.unquote), errors="coerce")


def per_run(frame):
  """One row per trained model: dataset, model, seed, beta, lam, KL, path prefix."""
  runs = pd.DataFrame({
      "dataset": frame["train_config.dataset.name"].map(compare.unquote),
      "model": frame["train_config.model.name"].map(compare.unquote),
      "seed": (pd.to_numeric(frame[SEED], errors="coerce") if SEED in frame
               else np.nan),
      "beta": _config(frame, "vae.beta").fillna(
          _config(frame, "lambda_beta_vae.beta")),
      "lam": _config(frame, "lambda_beta_vae.lam"),
      "kl": pd.to_numeric(frame.get(KL_COLUMN), errors="coerce"),
      "model_dir": frame["path"].map(report.model_output_dir),
  })
  return runs.drop_duplicates("model_dir").reset_index(drop=True)


def mean_sd(values):
  """'mean ± sd (n)' of the finite values (sd with ddof 1); NaN/inf counted apart."""
  values = np.asarray(values, dtype=float)
  finite = values[np.isfinite(values)]
  count = compare.format_count(len(finite), len(values) - len(finite))
  if not len(finite):
    return "— (n={})".format(count) if len(values) else "—"
  sd = finite.std(ddof=1) if len(finite) > 1 else float("nan")
  return "{:.3f} ± {:.3f} (n={})".format(finite.mean(), sd, count)


def interval(values):
  values = np.asarray(values, dtype=float)
  values = values[np.isfinite(values)]
  if len(values) < critic_evidence.MIN_BOOTSTRAP_SEEDS:
    return "n < {}".format(critic_evidence.MIN_BOOTSTRAP_SEEDS)
  return "[{:.3f}, {:.3f}]".format(*critic_evidence.bootstrap_interval(values))


def welch_interval(method, baseline):
  """95 % Welch t interval of mean(method) - mean(baseline) (Welch 1947).

  Valid for the small seed counts here (3-5 per model), where a percentile
  bootstrap would understate the spread; assumes roughly normal scores.
  """
  from scipy import stats  # pylint: disable=g-import-not-at-top
  var_m = method.var(ddof=1) / len(method)
  var_b = baseline.var(ddof=1) / len(baseline)
  difference = method.mean() - baseline.mean()
  se = np.sqrt(var_m + var_b)
  if se == 0:
    return difference, difference
  dof = (var_m + var_b) ** 2 / (var_m ** 2 / (len(method) - 1) +
                                var_b ** 2 / (len(baseline) - 1))
  half = stats.t.ppf(0.975, dof) * se
  return difference - half, difference + half


def verdict_difference(method, baseline):
  """Reproduced / partly / not reproduced, for "method scores above baseline".

  Rule: the difference of means (method - baseline) is positive and its 95 %
  Welch t interval (`welch_interval`) excludes 0: "reproduced"; positive but the
  interval includes 0: "partly (direction only, within the seeds' spread)";
  otherwise "not reproduced". NaN/inf scores are left out (the tables count them).
  """
  method = np.asarray(method, dtype=float)
  baseline = np.asarray(baseline, dtype=float)
  method, baseline = method[np.isfinite(method)], baseline[np.isfinite(baseline)]
  if len(method) < 2 or len(baseline) < 2:
    return "not enough runs", float("nan")
  difference = method.mean() - baseline.mean()
  low, _ = welch_interval(method, baseline)
  if difference > 0 and low > 0:
    return "reproduced", difference
  if difference > 0:
    return "partly (direction only, within the seeds' spread)", difference
  return "not reproduced", difference


def _values(table, model, metric, dataset=None):
  rows = table[(table["model"] == model) & (table["metric"] == metric) &
               (table["representation"] == "mean")]
  if dataset is not None:
    rows = rows[rows["dataset"] == dataset]
  return rows["value"].to_numpy(dtype=float)


# ---------------------------------------------------------------- MI-constrained VAE
def mi_constrained_section(results_path, figure_dir):
  frame = compare.load_results(results_path)
  table = scores(frame)
  metrics = ("MIG", "DCI disentanglement")
  lines = ["| model | paper MIG | our MIG | 95 % CI | paper DCI | our DCI | 95 % CI |",
           "|---|---:|---|---|---:|---|---|"]
  for model, paper_name in MI_CONSTRAINED_MODELS:
    paper = PAPER_MI_CONSTRAINED.get(paper_name, {})
    cells = []
    for metric in metrics:
      values = _values(table, model, metric)
      cells += ["{:.2f}".format(paper[metric]) if metric in paper else "—",
                mean_sd(values), interval(values)]
    lines.append("| `{}`{} | {} |".format(
        model, " ({})".format(paper_name) if paper_name else "", " | ".join(cells)))
  verdicts = {}
  for metric in metrics:
    verdicts[metric] = verdict_difference(_values(table, "pairwise_mi_vae_mws", metric),
                                          _values(table, "vae", metric))
  critic = {metric: verdict_difference(
      _values(table, "pairwise_mi_vae_mine", metric), _values(table, "vae", metric))
            for metric in metrics}
  figure = os.path.join(figure_dir, "mi_constrained.png")
  _bars(table, [m for m, _ in MI_CONSTRAINED_MODELS], metrics,
        {m: PAPER_MI_CONSTRAINED.get(p, {}) for m, p in MI_CONSTRAINED_MODELS},
        figure, "MI-constrained VAE setting (32x32 squares, 3 latents)")
  return lines, verdicts, critic, figure


# ---------------------------------------------------------------------- lambda-beta
def lambda_beta_runs(results_path):
  """Per trained model of mine_plugin_lambda_beta, with its scores as columns."""
  frame = compare.load_results(results_path)
  table = scores(frame)
  table = table[table["representation"] == "mean"]
  wide = table.pivot_table(index="path", columns="metric", values="value")
  runs = per_run(frame)
  by_dir = {}
  for path, row in wide.iterrows():
    by_dir.setdefault(report.model_output_dir(path), {}).update(
        {k: v for k, v in row.items() if np.isfinite(v)})
  for metric in ("MIG", "SAP", "DCI disentanglement", "DCI informativeness"):
    runs[metric] = runs["model_dir"].map(
        lambda d, m=metric: by_dir.get(d, {}).get(m, np.nan))
  return runs


def percent_change(value, reference):
  return 100. * (value - reference) / reference if reference else float("nan")


def verdict_lambda_beta(runs, dataset, metric, high_beta):
  """The paper's claim on `metric` at beta = high_beta, from the continuations.

  Rule: "collapse" if lambda = 0 at high_beta is below lambda = 0 at beta = 1 by
  more than 10 % (the paper reports -30 to -41 %); "kept" if lambda = 8 at
  high_beta is within 10 % of beta = 1, lambda = 0 or above it (the paper: +3 to
  -6 %) and beats lambda = 0 on every seed (the pairs share their pre-training;
  with n seeds that happens by chance with probability 2^-n). Both: reproduced;
  one: partly; neither: not reproduced. Means over the finite scores.
  """
  cont = runs[(runs["model"] == "lambda_beta_vae") & (runs["dataset"] == dataset)]
  base = cont[(cont["beta"] == 1.) & (cont["lam"] == 0.)][metric].mean()
  at_high = cont[cont["beta"] == high_beta]
  zero = at_high[at_high["lam"] == 0.].set_index("seed")[metric]
  eight = at_high[at_high["lam"] == 8.].set_index("seed")[metric]
  paired = (eight - zero).dropna()
  if not np.isfinite(base) or not len(paired):
    return ("not enough runs", float("nan"), float("nan"), paired)
  collapse = percent_change(zero.mean(), base) < -10.
  kept = (percent_change(eight.mean(), base) > -10. and
          bool((paired > 0).all()))
  verdict = ("reproduced" if collapse and kept else
             "partly" if collapse or kept else "not reproduced")
  return verdict, percent_change(zero.mean(), base), percent_change(
      eight.mean(), base), paired


def lambda_beta_section(results_path, figure_dir):
  runs = lambda_beta_runs(results_path)
  metrics = ("MIG", "SAP", "DCI disentanglement", "DCI informativeness")
  lines = []
  verdicts = []
  for dataset in sorted(runs["dataset"].dropna().unique()):
    part = runs[runs["dataset"] == dataset]
    lines += ["", "**{}** (mean ± sd over seeds; KL = dlib's `kl_loss`, the rate "
              "in nats, an upper bound on I(x; z))".format(dataset), "",
              "| phase | beta | lambda | " + " | ".join(metrics) + " | KL |",
              "|---|---:|---:|" + "---|" * (len(metrics) + 1)]
    for (model, beta, lam), group in part.groupby(
        ["model", "beta", part["lam"].fillna(-1.)], sort=True):
      phase = "continuation" if model == "lambda_beta_vae" else "pre-training"
      lines.append("| {} | {:g} | {} | {} | {} |".format(
          phase, beta, "—" if lam < 0 else "{:g}".format(lam),
          " | ".join(mean_sd(group[m]) for m in metrics), mean_sd(group["kl"])))
    betas = sorted(part["beta"].dropna().unique())
    if not betas:
      continue
    high = max(betas)
    for metric in ("MIG", "SAP"):
      verdicts.append((dataset, metric, high) + verdict_lambda_beta(
          runs, dataset, metric, high))
  figure = os.path.join(figure_dir, "lambda_beta.png")
  _lambda_beta_figure(runs, figure)
  return lines, verdicts, figure


def _lambda_beta_figure(runs, path):
  cont = runs[runs["model"] == "lambda_beta_vae"]
  datasets = sorted(cont["dataset"].dropna().unique())
  metrics = ("MIG", "SAP", "kl")
  fig, axes = plt.subplots(len(datasets), len(metrics), squeeze=False,
                           figsize=(4 * len(metrics), 3 * len(datasets)))
  for row, dataset in enumerate(datasets):
    for col, metric in enumerate(metrics):
      axis = axes[row][col]
      for lam, marker in ((0., "o"), (8., "s")):
        part = cont[(cont["dataset"] == dataset) & (cont["lam"] == lam)]
        grouped = part.groupby("beta")[metric]
        axis.errorbar(grouped.mean().index, grouped.mean(), yerr=grouped.std(),
                      marker=marker, capsize=3, label="lambda = {:g}".format(lam))
        axis.plot(part["beta"], part[metric], marker, alpha=.3, color="grey")
      axis.set_xscale("log", base=2)
      axis.set_xlabel("beta")
      axis.set_title("{}: {}".format(dataset, "KL (nats)" if metric == "kl"
                                     else metric), fontsize=9)
  axes[0][0].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


# -------------------------------------------------------------- allocator ablation
def collect_allocations(results_path, output_path):
  """Copies each attention model's allocation (by dataset, model, seed) to one file."""
  frame = compare.load_results(results_path)
  collected = []
  for run in per_run(frame).itertuples():
    if (not str(run.model).startswith("attention_mine_vae") or not run.model_dir or
        not np.isfinite(run.seed)):
      continue
    source = os.path.join(run.model_dir, "model", "results", "json",
                          "attention_allocation.json")
    if os.path.isfile(source):
      with open(source) as f:
        content = json.load(f)
      collected.append({"dataset": run.dataset, "model": run.model,
                        "seed": int(run.seed), "slots": content["slots"],
                        "allocation": content["allocation"]})
  with open(output_path, "w") as f:
    json.dump(collected, f, indent=1)
  return len(collected)


def allocation_summary(entry):
  """'f0 a, f1 b, ..., nuisance c': latent dimensions per slot (sum of A's column)."""
  allocation = np.asarray(entry["allocation"], dtype=float)
  totals = allocation.sum(axis=0)
  return ", ".join("{} {:.1f}".format(slot.replace("factor", "f"), total)
                   for slot, total in zip(entry["slots"], totals))


def allocator_section(results_path, allocations_path, figure_dir):
  frame = compare.load_results(results_path)
  table = scores(frame)
  metrics = ("BetaVAE score", "DCI completeness", "MIG")
  lines, verdicts = [], []
  for dataset in sorted(table["dataset"].dropna().unique()):
    lines += ["", "**{}**".format(dataset), "",
              "| model | paper BetaVAE (CelebA) | our BetaVAE | paper DCI "
              "completeness (CelebA) | our DCI completeness | our MIG |",
              "|---|---:|---|---:|---|---|"]
    for model, paper_name in ABLATION_MODELS:
      paper = PAPER_ALLOCATOR.get(paper_name, {})
      lines.append("| `{}` | {} | {} | {} | {} | {} |".format(
          model, "{:.2f}".format(paper["BetaVAE score"]) if paper else "—",
          mean_sd(_values(table, model, "BetaVAE score", dataset)),
          "{:.2f}".format(paper["DCI completeness"]) if paper else "—",
          mean_sd(_values(table, model, "DCI completeness", dataset)),
          mean_sd(_values(table, model, "MIG", dataset))))
    means = [np.nanmean(_values(table, m, "BetaVAE score", dataset))
             for m, _ in ABLATION_MODELS
             if len(_values(table, m, "BetaVAE score", dataset))]
    if means and min(means) > 0.95:
      lines += ["", "On {} every model's BetaVAE score is at its ceiling (≥ 0.95): "
                "that metric cannot separate them here; DCI completeness and MIG "
                "can.".format(dataset)]
    for metric in ("BetaVAE score", "DCI completeness"):
      full = _values(table, "attention_mine_vae", metric, dataset)
      for other in ("attention_mine_vae_fixed", "beta_vae", "vae"):
        others = _values(table, other, metric, dataset)
        # The paper's ablation reports the model without attention relative to
        # the full model; here each other model relative to the full one, likewise.
        change = percent_change(np.nanmean(others), np.nanmean(full)) if (
            len(full) and len(others)) else float("nan")
        verdicts.append((dataset, metric, other) + verdict_difference(
            full, others) + (change,))
  allocations = []
  if os.path.isfile(allocations_path):
    with open(allocations_path) as f:
      allocations = json.load(f)
  allocation_lines = ["| data set | model | seed | latent dimensions per slot |",
                      "|---|---|---:|---|"]
  for entry in sorted(allocations, key=lambda e: (e["dataset"], e["model"],
                                                  e["seed"])):
    allocation_lines.append("| {} | `{}` | {} | {} |".format(
        entry["dataset"], entry["model"], entry["seed"], allocation_summary(entry)))
  figure = os.path.join(figure_dir, "allocator_ablation.png")
  _bars(table, [m for m, _ in ABLATION_MODELS], metrics,
        {m: PAPER_ALLOCATOR.get(p, {}) for m, p in ABLATION_MODELS}, figure,
        "allocator ablation (paper's markers: CelebA)")
  return lines, verdicts, allocation_lines, figure


def _bars(table, models, metrics, paper, path, title):
  """Per data set and metric: our runs as points and mean, the paper's as a cross."""
  table = table[table["representation"] == "mean"]
  datasets = sorted(table["dataset"].dropna().unique())
  fig, axes = plt.subplots(len(datasets), len(metrics), squeeze=False,
                           figsize=(3.6 * len(metrics), 3 * len(datasets)))
  for row, dataset in enumerate(datasets):
    for col, metric in enumerate(metrics):
      axis = axes[row][col]
      for x, model in enumerate(models):
        values = _values(table, model, metric, dataset)
        values = values[np.isfinite(values)]
        axis.plot([x] * len(values), values, "o", alpha=.4, color="C0")
        if len(values):
          axis.plot([x - .3, x + .3], [values.mean()] * 2, color="C0")
        if metric in paper.get(model, {}):
          axis.plot(x, paper[model][metric], "x", color="C3", markersize=9,
                    label="paper" if x == 0 else None)
      axis.set_xticks(range(len(models)))
      axis.set_xticklabels(models, rotation=30, ha="right", fontsize=7)
      axis.set_title("{}: {}".format(dataset, metric), fontsize=9)
  fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


# ---------------------------------------------------------------------- the page
MI_CONSTRAINED_PROTOCOL = """\
| | paper (Sec. 5) | here (`mine_plugin_mi_constrained`) |
|---|---|---|
| data | 32×32 centred square: size, intensity (continuous), rotation (4) | `synthetic_squares_32`: size 12 levels, intensity 12, rotation 4 (576 images) |
| model | conv encoder/decoder, 3 latents | `conv_encoder_32`/`deconv_decoder_32`, 3 latents |
| training | Adam 1e-3, batch 64, 20 epochs, β = 1, λ = 10 | the same, **3,000 steps** (the paper does not give its data set's size) |
| estimator | not stated | `mws` (closed form) as the MI-constrained VAE; critics `mine`, `density_ratio`, `club` besides |
| seeds | "multiple" | 5 |
| metrics | MIG, DCI disentanglement | dlib's MIG (5,000 points, 20 bins), DCI (2,000 / 1,000 points), mean representation |
"""

LAMBDA_BETA_PROTOCOL = """\
| | authors (paper and public code, PAPERS.md) | here (`mine_plugin_lambda_beta`) |
|---|---|---|
| data | dSprites, Shapes3D, MPI3D-real | `synthetic_squares_32` (β ∈ {1, 8, 32}); the **dSprites stand-in** (procedural, not the real data; β ∈ {1, 32}) |
| model | 4 conv layers 32/32/64/64, FC 256, 10 latents, BCE + β·KL + λ·‖sigmoid(logits) − x‖² (sum over pixels, mean over batch) | dlib's conv encoder/decoder (the same layers; its 32×32 version on 32×32 squares), 10 latents, `lambda_beta_vae` (the same loss) |
| protocol | β-VAE 150k steps, then 50k steps from its checkpoint with the λ term and a fresh Adam | β-VAE (dlib `vae`) **1,500 steps**, then **500 steps** from its checkpoint (`warm_start.study_model`) with a fresh Adam: the same 3 : 1 split, 100× shorter |
| optimiser | Adam 1e-4, batch 64 | Adam **1e-3** (to make up for the shorter run), batch 64 |
| grid | β ∈ {1, 4, 8, 16, 32} × λ ∈ {0, 2, 4, 6, 8} | β ∈ {1, 8, 32} × λ ∈ {0, 8} |
| seeds | 10 | 5 on squares, 3 on the dSprites stand-in (each λ pair shares its pre-training, so λ = 8 vs 0 is paired by seed) |
| metrics | MIG, SAP, I_m (10,000 / 5,000 points, 20 bins) | dlib's MIG (5,000 points, 20 bins), SAP (5,000 / 2,500), DCI; the KL term (rate) and DCI informativeness for the information in the code |
"""

ALLOCATOR_PROTOCOL = """\
| | paper (PAPERS.md) | here (`mine_plugin_allocator_ablation`) |
|---|---|---|
| data | CelebA 64×64 (not available here: no download) | `synthetic_squares_32` (3 factors) and the **dSprites stand-in** (5 factors) |
| models | MINE Disentangle VAE; without attention; β-VAE (β = 4); vanilla VAE (and FactorVAE, InfoVAE) | `attention_mine_vae` (gin defaults: β = 1, λ = 1, α = 10, γ = 1, density-ratio critic); the same with `allocator = "fixed"` (hard balanced partition, α = γ = 0); dlib `vae` β = 4; dlib `vae` β = 1 |
| training | not given | Adam 1e-3, batch 64, **1,500 steps**, 10 latents |
| seeds | not given | 5 on squares, 3 on the dSprites stand-in |
| metrics | FID, LPIPS, BetaVAE-metric disentanglement, DCI completeness | dlib's BetaVAE score (500 / 250 points), DCI completeness, MIG; the learned allocation per seed |
"""


# The data sets the two scaled studies run (mine_plugin/config/studies.py).
STUDY_DATASETS = ("synthetic_squares_32", "dsprites_full")


def _runs_found(results_path):
  frame = compare.load_results(results_path)
  return len(per_run(frame))


def _missing_datasets(results_path):
  """A sentence naming the study's data sets without results yet, or ''."""
  frame = compare.load_results(results_path)
  found = set(per_run(frame)["dataset"])
  missing = [d for d in STUDY_DATASETS if d not in found]
  if not missing:
    return ""
  return (" No results yet for {}: those models are registered in the study and "
          "run when it is resumed (docs/studies.md).".format(", ".join(missing)))


def collect(run_results, docs_results, allocations_path=None):
  """Copies a study's runs/<study>/results.json into docs/ (and its allocations)."""
  os.makedirs(os.path.dirname(docs_results), exist_ok=True)
  shutil.copyfile(run_results, docs_results)
  if allocations_path is not None:
    return collect_allocations(run_results, allocations_path)
  return None


def make_page(docs_dir, page_path):
  """Writes docs/reproductions.md and its figures from the results under docs_dir."""
  figure_dir = os.path.join(docs_dir, "reproductions")
  os.makedirs(figure_dir, exist_ok=True)
  mi_results = os.path.join(docs_dir, "mine_penalty", "results.json")
  lb_results = os.path.join(figure_dir, "lambda_beta", "results.json")
  ab_results = os.path.join(figure_dir, "allocator_ablation", "results.json")
  ab_allocations = os.path.join(figure_dir, "allocator_ablation",
                                "allocations.json")
  out = ["# Reproductions: each paper's experiment, run through dlib", "",
         "Generated by `python scripts/make_reproductions.py` from the committed "
         "results (dlib_aggregate_results' format) of the plugin's studies; every "
         "number below was measured in those runs, on this project's 2-core CPU "
         "machines (untested on GPU). Mean ± sd over seeds (n given); a bootstrap "
         "95 % interval of the mean where n ≥ {}. The verdicts follow the rules "
         "stated with them (`mine_plugin/reports/reproductions.py`).".format(
             critic_evidence.MIN_BOOTSTRAP_SEEDS), ""]

  # 1. MI-constrained VAE.
  if not os.path.isfile(mi_results):
    raise FileNotFoundError(
        "No {}: it is the committed result of mine_plugin_mi_constrained "
        "(docs/mine_penalty.md says how to regenerate it).".format(mi_results))
  lines, verdicts, critic, figure = mi_constrained_section(mi_results, figure_dir)
  out += ["## MI-constrained VAE (Lan, Putra, Fernández): the pairwise-MI penalty",
          "", MI_CONSTRAINED_PROTOCOL,
          "{} trained models (`docs/mine_penalty/results.json`; the full study, "
          "with the TC models, is on docs/mine_penalty.md).".format(
              _runs_found(mi_results)), ""] + lines + [""]
  out.append("Verdict (rule: the MI-constrained VAE above the vanilla VAE, with the "
             "95 % Welch interval of the difference of means above 0):")
  for metric, (verdict, difference) in verdicts.items():
    out.append("- {}, closed-form (`mws`) penalty: **{}** (difference {:+.3f}; "
               "paper {:+.2f}).".format(
                   metric, verdict, difference,
                   PAPER_MI_CONSTRAINED["MI-constrained VAE"][metric] -
                   PAPER_MI_CONSTRAINED["vanilla VAE"][metric]))
  for metric, (verdict, difference) in critic.items():
    out.append("- {}, the same penalty estimated by the MINE critic: **{}** "
               "(difference {:+.3f}).".format(metric, verdict, difference))
  out += ["", "![MI-constrained VAE](reproductions/{})".format(
      os.path.basename(figure)), ""]

  # 2. lambda-beta-VAE.
  out += ["## λβ-VAE (Vu, Wan, Wei 2026): the L2 term against MI collapse", "",
          LAMBDA_BETA_PROTOCOL]
  if os.path.isfile(lb_results):
    lines, verdicts, figure = lambda_beta_section(lb_results, figure_dir)
    out += ["{} trained models (`docs/reproductions/lambda_beta/results.json`).{} "
            "The paper's claim: MIG and SAP collapse at large β with λ = 0, and "
            "λ > 0 keeps them. Its numbers are % changes relative to β = 1, "
            "λ = 0 at β = 32:".format(_runs_found(lb_results),
                                     _missing_datasets(lb_results)), "",
            "| data set | metric | paper λ = 0 | paper λ = 8 |",
            "|---|---|---:|---:|"]
    out += ["| {} (paper) | {} | {:+.0f} % | {:+.0f} % |".format(*row)
            for row in PAPER_LAMBDA_BETA]
    out += ["", "Ours, the same quantities from the continuations (rule: "
            "collapse = λ = 0 at the largest β more than 10 % below β = 1, λ = 0; "
            "kept = λ = 8 there within 10 % of β = 1, λ = 0 (or above) and above "
            "λ = 0 on every seed, paired by pre-training (by chance with "
            "probability 2^-n for n seeds); both: reproduced, one: partly, "
            "neither: not reproduced):", "",
            "| data set | metric | β | λ = 0 | λ = 8 | λ 8 − 0 per seed | verdict |",
            "|---|---|---:|---:|---:|---|---|"]
    for dataset, metric, beta, verdict, zero, eight, paired in verdicts:
      out.append("| {} | {} | {:g} | {:+.0f} % | {:+.0f} % | {} | **{}** |".format(
          dataset, metric, beta, zero, eight,
          ", ".join("{:+.3f}".format(v) for v in paired), verdict))
    out += lines + ["", "![lambda-beta-VAE](reproductions/{})".format(
        os.path.basename(figure)), ""]
  else:
    out += ["Not run yet: no {}.".format(lb_results), ""]

  # 3. Allocator ablation.
  out += ["## MINE Disentangle VAE: the allocator's ablation", "",
          ALLOCATOR_PROTOCOL]
  if os.path.isfile(ab_results):
    lines, verdicts, allocation_lines, figure = allocator_section(
        ab_results, ab_allocations, figure_dir)
    out += ["{} trained models (`docs/reproductions/allocator_ablation/"
            "results.json`). The paper's CelebA numbers cannot be checked here "
            "(no data); they are shown beside ours for scale only.{}".format(
                _runs_found(ab_results), _missing_datasets(ab_results))] + lines
    out += ["", "Verdicts (rule as for the MI-constrained VAE: `attention_mine_vae` "
            "above the other model on each of the paper's two metrics; paper: without "
            "attention "
            "{:+.0f} %, and above β-VAE and the vanilla VAE):".format(
                PAPER_ABLATION_DROP)]
    for dataset, metric, other, verdict, difference, change in verdicts:
      out.append("- {}: `attention_mine_vae` vs `{}`, {}: **{}** (difference "
                 "{:+.3f}; `{}` scores {:+.0f} % relative to "
                 "`attention_mine_vae`).".format(
                     dataset, other, metric, verdict, difference, other, change))
    out += ["", "The allocation per seed (latent dimensions per slot: the column "
            "sums of A, `attention_allocation.json`; learned for "
            "`attention_mine_vae`, the constant hard partition for "
            "`attention_mine_vae_fixed`):", ""]
    out += allocation_lines
    out += ["", "![allocator ablation](reproductions/{})".format(
        os.path.basename(figure)), ""]
  else:
    out += ["Not run yet: no {}.".format(ab_results), ""]
  with open(page_path, "w") as f:
    f.write("\n".join(out) + "\n")
  return page_path
