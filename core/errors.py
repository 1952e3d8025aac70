"""The one exception type the CLI turns into a clear message and a non-zero exit."""


class HarnessError(Exception):
    """Bad input or missing resource; the message names the file, field or flag and the fix."""
