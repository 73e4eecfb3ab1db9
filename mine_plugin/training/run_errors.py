"""dlib's failures (NaN, full disk, decoder shape) ended by one line: what to do."""
import inspect
import logging
import os

from mine_plugin.utils import disk_space
from mine_plugin.utils import moved_aside

_LOG = logging.getLogger("mine_plugin")


def short_training_error(error):
  """The plugin's own message inside a TensorFlow error, or None.

  A NaN stop raised by the plugin's checks (`tf.debugging.check_numerics`,
  `tf.debugging.Assert`) reaches the user as an InvalidArgumentError whose message
  holds the graph's whole stack; the line that says what happened is the one that
  starts with "mine_plugin:" (for an Assert, followed by the values it printed).
  """
  text = str(getattr(error, "message", None) or error)
  start = text.find("mine_plugin:")
  if start < 0:
    return None
  line = text[start:].splitlines()[0]
  # check_numerics appends " : Tensor had NaN values"; Assert prints its data as
  # "message] [name] [value] ...": keep the words, drop the brackets.
  line = line.split("[[{{node")[0].replace("\\'", "'")
  return " ".join(line.replace("[", " ").replace("]", " ").split())


def bound_arguments(signature, args, kwargs):
  """The arguments of a call by name, or None for a call that does not fit the
  signature (the wrapped dlib function then raises its own error)."""
  try:
    return signature.bind_partial(*args, **kwargs).arguments
  except TypeError:
    return None


def explained(function, dlib_function, directories, nan_stops=False):
  """dlib's train/postprocess/evaluate (`function`, wrapping `dlib_function`),
  whose failure ends with one line that says what happened and what to do.

  - With `nan_stops`, the plugin's NaN stops become one RuntimeError line
    (`short_training_error`).
  - A full disk, quota or file size limit becomes one OSError line naming the path
    and the free space (mine_plugin/utils/disk_space.py).
  - Backups that a killed --overwrite run left beside any of `directories` (the
    names of `dlib_function`'s directory parameters, the output directory last)
    are named, with the commands that restore them, before the run, after it, and
    in the last line when it fails (mine_plugin/utils/moved_aside.py).
  """
  signature = inspect.signature(dlib_function)

  def explained(*args, **kwargs):
    bound = bound_arguments(signature, args, kwargs)
    if bound is None:
      return function(*args, **kwargs)  # dlib's own error for a bad call
    moved_aside.keep_count()  # a bad retention setting fails before the run
    paths = [str(bound[name]).rstrip("/") for name in directories
             if bound.get(name) is not None]
    _killed_backup_notes(paths)
    output = str(bound.get(directories[-1], "")).rstrip("/")
    replaces = bool(bound.get("overwrite")) and os.path.isdir(output)
    try:
      result = function(*args, **kwargs)
    except Exception as error:  # pylint: disable=broad-except
      message = short_training_error(error) if nan_stops else None
      if message is not None:
        raise RuntimeError(message) from None
      found = disk_space.full_disk(error)
      if found is not None:
        raise OSError(found[0], disk_space.describe(error, output, replaces)) \
            from None
      notes = _killed_backup_notes(paths, log=False)
      if not notes:
        raise
      first_line = (str(getattr(error, "message", None) or error).strip()
                    .splitlines() or [""])[0].rstrip(".")
      raise RuntimeError("{}: {}. {}".format(type(error).__name__, first_line,
                                             " ".join(notes))) from error
    _killed_backup_notes(paths)  # again at the end, not lost in the run's log
    return result

  explained.__doc__ = dlib_function.__doc__
  explained.__name__ = dlib_function.__name__
  return explained


def _killed_backup_notes(directories, log=True):
  notes = [note for note in map(moved_aside.killed_backups_note, directories)
           if note is not None]
  if log:
    for note in notes:
      _LOG.warning("mine_plugin: %s", note)
  return notes


def check_decoder_shape(module):
  """dlib's make_decoder, with a clear error when the decoder does not fit the data.

  dlib's 64x64 decoders reshape their output to the data's observation shape, so
  on 32x32 data a batch of 4 silently becomes 16 and the failure surfaces later as
  a shape error about logits in the reconstruction loss.
  """
  original = module.make_decoder
  if getattr(original, "_mine_plugin_compat", False):
    return

  def make_decoder(latent_tensor, output_shape, is_training=True):
    output = original(latent_tensor, output_shape, is_training=is_training)
    batch_in = latent_tensor.shape[0]
    batch_out = output.shape[0]
    if (batch_in is not None and batch_out is not None and
        int(batch_in) != int(batch_out)):
      raise ValueError(
          "The decoder does not produce images of the data's shape {}: a batch of "
          "{} codes became {} images after reshaping its output. dlib's "
          "conv_encoder/deconv_decoder are for 64x64 data; for 32x32 data (e.g. "
          "dataset.name = 'synthetic_squares_32') bind encoder.encoder_fn = "
          "@conv_encoder_32 and decoder.decoder_fn = @deconv_decoder_32 "
          "(mine_plugin.methods.shared.architectures).".format(
              list(output_shape), int(batch_in), int(batch_out)))
    return output

  make_decoder.__doc__ = original.__doc__
  make_decoder._mine_plugin_compat = True  # pylint: disable=protected-access
  module.make_decoder = make_decoder


def raise_full_disk(module):
  """dlib's convolute_hub, whose writes raise a full disk as an OSError.

  TensorFlow reports a file past the process's size limit (`ulimit -f`) as an
  OutOfRangeError. dlib's postprocess writes its TF-Hub module inside
  `hub.eval_function_for_module`, whose MonitoredSession takes an OutOfRangeError for
  the end of its input and swallows it: postprocessing then ended with success and
  without its module.
  """
  for name in ("convolute_and_save", "save_numpy_arrays_to_checkpoint"):
    function = getattr(module, name)
    if getattr(function, "_mine_plugin_compat", False):
      continue

    def raising(*args, function=function, **kwargs):
      try:
        return function(*args, **kwargs)
      except Exception as error:  # pylint: disable=broad-except
        found = disk_space.full_disk(error)
        if found is None:
          raise
        raise OSError(found[0], str(error), found[1]) from error

    raising.__doc__ = function.__doc__
    raising.__name__ = function.__name__
    raising._mine_plugin_compat = True  # pylint: disable=protected-access
    setattr(module, name, raising)
