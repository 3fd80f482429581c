"""Errors a user sees: a code for programs and a Chinese message for people."""


class CaseActionError(Exception):
    """A refused action: `code` for programs, `message` (Chinese) for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message
