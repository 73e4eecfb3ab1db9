"""Runs every model of a study, each in a fresh process, on Ray or one by one.

Each model goes through dlib_reproduce's chain (`mine_plugin.pipeline.reproduce`:
train, visualize, postprocess with every postprocessing config, evaluate every metric
config, with dlib_reproduce's seeds), so the layout of a study's directory is dlib's:

    <output_directory>/<model_num>/model/             checkpoint, TFHub module, results/
    <output_directory>/<model_num>/visualizations/    reconstructions, traversals, GIFs
    <output_directory>/<model_num>/postprocessed/<post>/
    <output_directory>/<model_num>/metrics/<post>/<metric>/results/aggregate/evaluation.json
    <output_directory>/<model_num>/log.txt            everything the model's process printed
    <output_directory>/<model_num>/mine_plugin_done.json   written last: the model is complete
    <output_directory>/<model_num>/mine_plugin_owner.json  PID and host of its process
    <output_directory>/.runner.lock                   held by the runner (ownership.py)
    <output_directory>/_incomplete/<model_num>-<time>/     unfinished runs, moved aside
    <output_directory>/results.json                   dlib_aggregate_results' format

Modules:
  job_spec       what a model job is; its run settings, computed once
  markers        completion markers: `is_finished`, moving unfinished runs aside
  model_process  a model's process, from both ends (`python -m mine_plugin.runner`)
  backends       serial, Ray
  progress       one line per model outcome, with ETA
  aggregation    results.json
  ownership      the study directory's lock, model directories' owner markers
  study_run      `run_study`, which ties them together
  cli            the flags of a model's process and of scripts/run_study.py
"""
from mine_plugin.runner.aggregation import AGGREGATE
from mine_plugin.runner.aggregation import aggregate
from mine_plugin.runner.backends import connect_ray
from mine_plugin.runner.job_spec import load_study
from mine_plugin.runner.job_spec import ModelJob
from mine_plugin.runner.job_spec import ModelOutcome
from mine_plugin.runner.job_spec import result_files
from mine_plugin.runner.markers import INCOMPLETE
from mine_plugin.runner.markers import is_finished
from mine_plugin.runner.markers import LOG
from mine_plugin.runner.markers import MARKER
from mine_plugin.runner.study_run import run_study
