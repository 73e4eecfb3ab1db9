"""The three reproduced papers: their published numbers and their protocols.

Quoted from ../shared/PAPERS.md, for docs/reproductions.md
(mine_plugin.reports.reproductions): each paper's numbers (PAPER_*), which of our
models stands for which of its models (*_MODELS: (our model.name, the paper's name or
None)), and a table of its protocol beside ours (*_PROTOCOL, Markdown).
"""

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
