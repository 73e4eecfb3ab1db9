"""disentanglement_lib's own unit tests, run unchanged under mine_plugin.compat.

The dlib 1.5 wheel ships its absltest suites as `disentanglement_lib/**/*_test.py`.
Every TestCase class of every such module is collected here under
`<module>__<class>`, so pytest runs and counts each upstream test, in this process,
with the compat layer active exactly as it is for dlib's console scripts.
"""
import importlib
import pathlib
import sys
import unittest

from absl import flags

import disentanglement_lib


def _upstream_test_modules():
  root = pathlib.Path(disentanglement_lib.__file__).parent
  return sorted(
      "disentanglement_lib." + ".".join(path.relative_to(root).with_suffix("").parts)
      for path in root.rglob("*_test.py"))


UPSTREAM_TEST_MODULES = _upstream_test_modules()

# absltest reads flags such as --test_tmpdir; parse them as `absltest.main` would.
if not flags.FLAGS.is_parsed():
  flags.FLAGS([sys.argv[0]])

for _module_name in UPSTREAM_TEST_MODULES:
  _module = importlib.import_module(_module_name)
  for _name, _obj in vars(_module).items():
    if (isinstance(_obj, type) and issubclass(_obj, unittest.TestCase) and
        _obj.__module__ == _module_name):
      globals()["{}__{}".format(_module_name.split(".", 1)[1].replace(".", "_"),
                                _name)] = _obj
del _module_name, _module, _name, _obj


def test_upstream_suite_is_complete():
  """The wheel's 28 test modules are all collected (none silently dropped)."""
  assert len(UPSTREAM_TEST_MODULES) == 28, UPSTREAM_TEST_MODULES
