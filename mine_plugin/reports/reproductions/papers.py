"""The three reproduced papers' numbers and protocols, quoted from ../shared/PAPERS.md.

PAPER_* (numbers), *_MODELS ((our model.name, the paper's name or None)), *_PROTOCOL
(Markdown: the paper's protocol beside ours).
"""
from mine_plugin.config import sweeps

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
| protocol | β-VAE 150k steps, then 50k steps from its checkpoint with the λ term and a fresh Adam | β-VAE (dlib `vae`), then a continuation from its checkpoint (`warm_start.study_model`) with a fresh Adam, the same 3 : 1 split: <steps> |
| optimiser | Adam 1e-4, batch 64 | Adam **1e-3** (to make up for the shorter runs on squares; on the dSprites stand-in too, the rate its learning curve was measured at), batch 64 |
| grid | β ∈ {1, 4, 8, 16, 32} × λ ∈ {0, 2, 4, 6, 8} | β ∈ {1, 8, 32} × λ ∈ {0, 8} |
| seeds | 10 | 5 on squares, 3 on the dSprites stand-in (each λ pair shares its pre-training, so λ = 8 vs 0 is paired by seed) |
| metrics | MIG, SAP, I_m (10,000 / 5,000 points, 20 bins) | dlib's MIG (5,000 points, 20 bins), SAP (5,000 / 2,500), DCI; the KL term (rate) and DCI informativeness for the information in the code |
""".replace("<steps>", "; ".join(
    "**{:,} + {:,} steps** on {}".format(pretraining, continuation, dataset)
    for dataset, (pretraining, continuation) in sweeps.LAMBDA_BETA_STEPS.items()))

ALLOCATOR_PROTOCOL = """\
| | paper (PAPERS.md) | here (`mine_plugin_allocator_ablation`) |
|---|---|---|
| data | CelebA 64×64 (not available here: no download) | `synthetic_squares_32` (3 factors) and the **dSprites stand-in** (5 factors) |
| models | MINE Disentangle VAE; without attention; β-VAE (β = 4); vanilla VAE (and FactorVAE, InfoVAE) | `attention_mine_vae` (gin defaults: β = 1, λ = 1, α = 10, γ = 1, density-ratio critic); the same with `allocator = "fixed"` (hard balanced partition, α = γ = 0); dlib `vae` β = 4; dlib `vae` β = 1 |
| training | not given | Adam 1e-3, batch 64, 10 latents; <steps> |
| seeds | not given | 5 on squares, 3 on the dSprites stand-in |
| metrics | FID, LPIPS, BetaVAE-metric disentanglement, DCI completeness | dlib's BetaVAE score (500 / 250 points), DCI completeness, MIG; the learned allocation per seed |
""".replace("<steps>", "; ".join(
    "**{:,} steps** on {}".format(steps, dataset)
    for dataset, steps in sweeps.ABLATION_STEPS.items()))

# MINE Disentangle VAE, its CelebA table in full (PAPERS.md): FID, LPIPS, BetaVAE
# score, DCI completeness (FactorVAE and InfoVAE are baselines without numbers there).
PAPER_CELEBA = (("vanilla VAE", 67.8, 0.124, 0.34, 0.41),
                ("β-VAE (β = 4)", 52.1, 0.098, 0.72, 0.68),
                ("MINE Disentangle VAE", 45.2, 0.089, 0.87, 0.82))

CELEBA_PROTOCOL = """\
| | paper (PAPERS.md) | here (`mine_plugin_celeba`) |
|---|---|---|
| data | CelebA 64×64, 162,770 train / 19,962 evaluation images | `dataset.name = 'celeba'`: the official train partition, centre crop 148 then resize to 64×64 (`gin_configs/datasets/celeba.gin`); FID and LPIPS on the test partition (19,962 images) |
| models | MINE Disentangle VAE; without attention; vanilla VAE; β-VAE (β = 4); FactorVAE; InfoVAE | `attention_mine_vae` (10 factor partitions) and `attention_mine_vae_fixed` (no allocator); dlib `vae` β = 1 and β = 4; dlib `factor_vae` (γ = 10, dlib's discriminator settings); `info_vae` (α = 1, λ = 1000, Gaussian-kernel MMD) |
| training | not given | dlib's shared settings (`gin_configs/shared.gin`): 300,000 steps, batch 64, Adam 1e-4, 10 latents, dlib's 64×64 conv encoder/decoder |
| seeds | not given | 3 |
| metrics | FID ↓, LPIPS ↓, BetaVAE-metric disentanglement ↑, DCI completeness ↑ | `fid` (10,000 images; TTUR's Inception graph, input [0, 255]; samples from the prior and reconstructions), `lpips` (v0.1 AlexNet, 10,000 test images), dlib's `beta_vae_sklearn` and `dci` (unsupervised_study_v1 settings, train partition) |
"""

CELEBA_NOT_RUN = """\
**Not run here.** CelebA, TTUR's Inception graph and the AlexNet weights cannot be \
downloaded on this project's machines, so this study has no results yet; its code is \
tested on a miniature CelebA-format tree, a tiny Inception-shaped graph and fixed \
random AlexNet weights (tests/test_celeba.py, tests/test_image_metrics_pipeline.py), \
and LPIPS and the Fréchet distance against the `lpips` and pytorch-fid packages \
(tests/test_lpips.py, tests/test_fid.py). Running it needs, under \
`$DISENTANGLEMENT_LIB_DATA`:

- `celeba/img_align_celeba/*.jpg`, `celeba/list_attr_celeba.txt`, \
`celeba/list_eval_partition.txt` (https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html); \
the first use of each split writes a uint8 cache beside them \
(`celeba/mine_plugin_cache/`, ~2.0 GB for train, ~0.25 GB for test);
- `inception/classify_image_graph_def.pb` (from \
http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz);
- `lpips/alexnet-owt-7be5be79.pth` (https://download.pytorch.org/models/alexnet-owt-7be5be79.pth) \
and `lpips/alex.pth` (`lpips/weights/v0.1/alex.pth` of the `lpips` wheel).

Then, all 18 models (resumable; `--backend=serial` without Ray):

```bash
export DISENTANGLEMENT_LIB_DATA=/path/to/data
python scripts/run_study.py --study=mine_plugin_celeba --output_directory=runs/mine_plugin_celeba
```

or one model, dlib's way: `dlib_reproduce --study=mine_plugin_celeba --model_num=0 \
--output_directory=runs/mine_plugin_celeba/0`. Each model trains 300,000 steps: at \
the 16–21 steps/s measured for single-channel 64×64 models on this project's 2-core \
CPU (README, "Speed"; CelebA's 3 channels not measured) that is 4–5 hours per model, \
so a GPU is advised (untested on GPU).
"""
