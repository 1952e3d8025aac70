"""The exception types the CLI turns into a clear message and a non-zero exit."""


class HarnessError(Exception):
    """Bad input or missing resource; the message names the file, field or flag and the fix (exit 2)."""


class EnvironmentFailure(HarnessError):
    """The environment, not the input, failed: an unreachable hub or server, a missing program
    (exit 1). The message says what was tried and what to do."""
