"""The errors the CLI maps to exit codes. A UsageError is the user's input or set-up, not a bug: one plain sentence,
exit 2. Anything else escaping a command is an internal error: exit 3 (exit 1 is kept for failed gates)."""
from __future__ import annotations

EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """Bad input, bad config or a missing prerequisite; the message is one plain sentence for the user."""
