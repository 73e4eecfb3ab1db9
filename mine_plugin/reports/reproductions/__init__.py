"""docs/reproductions.md: each source paper's experiment beside its published table.

`page` writes the page; `papers` holds the published numbers, `verdicts` the rules
that judge a reproduction, `untrained_baselines` the floors a model must clear to
have learned, `figures` the plots.
"""
