"""Runs every model of a study, each in a fresh process, on Ray or one by one.

A study directory has dlib_reproduce's layout (`mine_plugin.pipeline`) and these:

    <output_directory>/
      <model_num>/log.txt                 everything the model's process printed
      <model_num>/mine_plugin_done.json   written last: the model is complete
      <model_num>/mine_plugin_owner.json  PID and host of its process
      .runner.lock                        held by the runner (ownership.py)
      _incomplete/<model_num>-<time>/     unfinished runs, moved aside
      results.json                        dlib_aggregate_results' format
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
