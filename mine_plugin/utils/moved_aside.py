"""Directories moved aside instead of deleted: names, killed runs' backups, retention.

`.<name>.previous-<time>-<pid>` (--overwrite's backup), `.<name>.failed-<time>-<pid>`
(a failed run), `<study>/_incomplete/<name>-<time>`. Only the newest
`MINE_PLUGIN_KEEP_MOVED_ASIDE` (default 1; `all`) failed or unfinished ones are kept,
none after a full disk. A `.previous-` backup is never deleted by another run; a dead
run's is reported by every later run (`killed_backups_note`). Local paths only.
"""
import collections
import os
import re
import shlex
import shutil
import time

from mine_plugin.utils import processes

BACKUP = ".previous-"
FAILED = ".failed-"
KEEP_ENV = "MINE_PLUGIN_KEEP_MOVED_ASIDE"
DEFAULT_KEEP = 1
_STAMP = "%Y%m%d-%H%M%S"
_STAMP_PATTERN = r"(?P<stamp>\d{8}-\d{6})"

# One directory moved aside: its path, when (seconds since the epoch), by which
# process (None where the name does not record it), and the `-<n>` that told apart
# names made within the same second.
Entry = collections.namedtuple("Entry", ["path", "time", "pid", "number"])


def keep_count():
  """How many moved-aside directories to keep per directory; None: all of them."""
  value = os.environ.get(KEEP_ENV, "").strip()
  if not value:
    return DEFAULT_KEEP
  if value.lower() == "all":
    return None
  if value.isdigit() and int(value) >= 1:
    return int(value)
  # The newest one stays: it is the one that the run's log points at.
  raise ValueError(
      "{}={!r} is not a number of moved-aside directories to keep: give a whole "
      "number >= 1 (default {}), or 'all' to keep every one.".format(
          KEEP_ENV, value, DEFAULT_KEEP))


def unused_path(base, entries, exists=os.path.exists):
  """`base`, or `base-<n>` numbered after each of `entries` (made within the same
  second) named so: it then sorts after them even once older ones are pruned."""
  numbers = [entry.number for entry in entries
             if entry.path == base or entry.path.startswith(base + "-")]
  number = max(numbers) + 1 if numbers else 0
  path = base if number == 0 else "{}-{}".format(base, number)
  while exists(path):
    number += 1
    path = "{}-{}".format(base, number)
  return path


def sibling_path(directory, kind, exists=os.path.exists):
  """A new path `.<name><kind><time>-<pid>[-<n>]` beside `directory`.

  The leading dot keeps it out of dlib's and the plugin's result globs (a moved
  metrics directory must not count as a second score). `exists` tests a path (say
  tf.io.gfile.exists, for other file systems).
  """
  parent, name = os.path.split(directory)
  base = os.path.join(parent, ".{}{}{}-{}".format(
      name, kind, time.strftime(_STAMP), os.getpid()))
  return unused_path(base, siblings(directory, kind), exists)


def incomplete_path(folder, name):
  """A new path `<folder>/<name>-<time>[-<n>]` for an unfinished run of `name`."""
  return unused_path(os.path.join(folder, "{}-{}".format(
      name, time.strftime(_STAMP))), incomplete_runs(folder, name))


def _entries(folder, pattern):
  """The entries of `folder` whose name matches `pattern`, oldest first."""
  try:
    names = os.listdir(folder or ".")
  except OSError:
    return []
  found = []
  for name in names:
    match = pattern.match(name)
    if match is None:
      continue
    fields = match.groupdict()
    found.append(Entry(
        os.path.join(folder, name),
        time.mktime(time.strptime(fields["stamp"], _STAMP)),
        int(fields["pid"]) if fields.get("pid") else None,
        int(fields["number"] or 0)))
  return sorted(found, key=lambda entry: (entry.time, entry.number, entry.path))


def siblings(directory, kind):
  """The `.<name><kind>` siblings of `directory` (BACKUP or FAILED), oldest first."""
  parent, name = os.path.split(os.path.normpath(directory))
  return _entries(parent, re.compile(r"^\.{}{}{}-(?P<pid>\d+)(?:-(?P<number>\d+))?$"
                                     .format(re.escape(name), re.escape(kind),
                                             _STAMP_PATTERN)))


def incomplete_runs(folder, name):
  """The unfinished runs of model `name` in a study's `_incomplete/` folder."""
  return _entries(folder, re.compile(r"^{}-{}(?:-(?P<number>\d+))?$".format(
      re.escape(name), _STAMP_PATTERN)))


def prune(entries, keep=None):
  """Deletes all but the newest `keep` (default: `keep_count()`) of `entries`
  (oldest first, as `siblings` and `incomplete_runs` give them); returns the paths
  deleted."""
  keep = keep_count() if keep is None else keep
  if keep is None:
    return []
  deleted = []
  for entry in entries[:max(len(entries) - keep, 0)]:
    shutil.rmtree(entry.path, ignore_errors=True)
    if not os.path.exists(entry.path):
      deleted.append(entry.path)
  return deleted


def killed_backups(directory):
  """The `.previous-` backups of `directory` whose run has gone, oldest first."""
  if "://" in str(directory):
    return []
  return [entry for entry in siblings(directory, BACKUP)
          if not processes.running_since(entry.pid, entry.time)]


def killed_backups_note(directory):
  """What a run on `directory` says about backups a killed run left, or None."""
  backups = killed_backups(directory)
  if not backups:
    return None
  directory = os.path.normpath(directory)
  quoted = shlex.quote(directory)
  exists = os.path.exists(directory)
  restore = "rm -r {1} && mv {0} {1}" if exists else "mv {0} {1}"
  if len(backups) == 1:
    [backup] = backups
    return (
        "{backup} holds the previous {directory}: an --overwrite run (PID {pid}, "
        "{when}) moved it there and was killed before it finished, {now}. To "
        "restore the previous one: {restore}. {keep}mine_plugin never deletes "
        "it.".format(
            backup=backup.path, directory=directory, pid=backup.pid,
            when=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(backup.time)),
            now="so {} holds what that run wrote, or what was written since".format(
                directory) if exists else "and {} does not exist".format(directory),
            restore=restore.format(shlex.quote(backup.path), quoted),
            keep="To keep {} as it is, delete the backup: rm -r {}. ".format(
                directory, shlex.quote(backup.path)) if exists else ""))
  return (
      "{count} --overwrite runs on {directory} were killed before they finished; "
      "each left the directory it replaced beside it, oldest first (the first is "
      "what {directory} held before them): {backups}. To restore one: {restore}; "
      "delete the others with rm -r. mine_plugin never deletes them.".format(
          count=len(backups), directory=directory,
          backups=", ".join(b.path for b in backups),
          restore=restore.format("<backup>", quoted)))
