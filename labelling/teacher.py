"""What every teacher shares: the error that says it cannot be had here."""


class TeacherUnavailable(RuntimeError):
    """A teacher or its weights cannot be had here; the message says which and why."""
