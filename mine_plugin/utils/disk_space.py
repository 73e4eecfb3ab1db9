"""A full disk (TensorFlow's or an OSError) in one line: the path and the free space."""
import errno
import os
import resource
import shutil

# errno -> the C library's words for it, as they appear in TensorFlow's messages.
FULL_DISK = {
    errno.ENOSPC: "No space left on device",
    errno.EFBIG: "File too large",
    errno.EDQUOT: "Disk quota exceeded",
}


def _chain(error):
  """`error` and the errors it was raised from or while handling."""
  seen = []
  while error is not None and not any(error is e for e in seen):
    seen.append(error)
    error = error.__cause__ or error.__context__
  return seen


def full_disk(error):
  """(errno, path or None) if `error` (or one it came from) is a full disk, a full
  quota or a file past the size limit; else None."""
  for link in _chain(error):
    if isinstance(link, OSError) and link.errno in FULL_DISK:
      return link.errno, link.filename
    text = str(getattr(link, "message", None) or link)
    for number, words in FULL_DISK.items():
      if words not in text:
        continue
      for line in text.splitlines():
        if "; " + words in line:
          path = line.split("; " + words)[0].strip()
          return number, path.rsplit(": ", 1)[-1] or None
      return number, None
  return None


def human_size(size):
  for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
    if size < 1024 or unit == "TiB":
      return ("{:.0f} {}" if unit == "B" else "{:.1f} {}").format(size, unit)
    size /= 1024.


def _existing(path):
  """`path` or its nearest existing ancestor."""
  path = os.path.abspath(path)
  while not os.path.exists(path) and os.path.dirname(path) != path:
    path = os.path.dirname(path)
  return path


def _mount_point(path):
  path = _existing(path)
  while not os.path.ismount(path):
    path = os.path.dirname(path)
  return path


def directory_size(directory):
  total = 0
  for root, _, names in os.walk(directory):
    for name in names:
      try:
        total += os.lstat(os.path.join(root, name)).st_size
      except OSError:
        pass
  return total


def describe(error, directory, replaced=False):
  """One line for a full disk met while writing into `directory`, or None if
  `error` is something else.

  Args:
    error: the exception.
    directory: the run's output directory (dlib's model_dir or output_dir).
    replaced: whether the run was an --overwrite of `directory`: the previous one
      is back in it (its size tells how much room a run like it needs) and this
      run's output is gone (`compat` deletes it when the disk is full).
  """
  found = full_disk(error)
  if found is None:
    return None
  number, path = found
  mount = _mount_point(str(path or directory))
  usage = shutil.disk_usage(mount)
  line = "{}: could not write {}. ".format(
      FULL_DISK[number], path or "a file under " + str(directory))
  if number == errno.EFBIG:
    limit, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    limit = ("unlimited" if limit == resource.RLIM_INFINITY else
             human_size(limit))
    return line + (
        "This process may write files of at most {} (ulimit -f, RLIMIT_FSIZE; {} "
        "has {} free): raise the limit (ulimit -f unlimited) and run it again."
        .format(limit, mount, human_size(usage.free)))
  if number == errno.EDQUOT:
    line += "Your disk quota on {} is used up (`quota -s` shows it); ".format(mount)
  space = "{} has {} free of {}".format(mount, human_size(usage.free),
                                        human_size(usage.total))
  if replaced or not os.path.isdir(directory):
    line += "{} without this run's output: a run needs more than that. ".format(
        space)
  else:
    line += "{}, and {} holds {}. ".format(
        space, directory, human_size(directory_size(directory)))
  if replaced and os.path.isdir(directory):
    line += ("The previous {} takes {}: a run like it needs about as much, and "
             "--overwrite keeps the previous one until the new run has finished. "
             .format(directory, human_size(directory_size(directory))))
  return line + ("Free space there, or write to a file system with more room "
                 "(--model_dir, --output_dir).")
