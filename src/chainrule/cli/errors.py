"""The two errors every ``chainrule`` subcommand may raise, and what exit status each means.

``chainrule.cli`` lists them; a command's ``run(args)`` returns the exit status and
raises ``CLIError`` (exit 2, a usage problem) or ``RunError`` (exit 1, a failure
while running) with a one-line message.
"""


class CLIError(Exception):
    """A problem with what the user asked for: one line on stderr, exit status 2."""


class RunError(Exception):
    """A failure while doing what was asked (bad file, NaN loss): one line, exit status 1."""
