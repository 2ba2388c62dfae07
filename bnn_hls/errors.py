"""The one exception type that the CLI turns into a single clear line and a non-zero exit."""


class BnnHlsError(Exception):
    """A user-facing problem: bad checkpoint, bad config, unsupported option.

    The message must name the file, layer, key or field at fault.
    """
