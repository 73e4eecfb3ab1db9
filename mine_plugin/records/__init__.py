"""A run's and a study's records: where they are written, and how they are read back.

`run_files`: the files a training writes under `<model_dir>/results/` beside dlib's
(the critic's tracking, the allocation) and a model's directory from a result's path.
`study_records`: dlib's metric records of a study (aggregated JSON or a directory of
model results) as tables. No TensorFlow: reports and scripts read them without it.
"""
