"""pydantic's refusals as one line of reasons, for error messages and HTTP 400 bodies."""

from __future__ import annotations

from pydantic import ValidationError


def validation_message(exc: ValidationError, *, where: bool = True) -> str:
    """The reasons pydantic gave for refusing a value, joined with ``"; "``, without its
    header, its documentation links or the ``Value error,`` prefix of custom validators.

    Args:
        exc: the refusal.
        where: put each reason after the dotted path of the field it concerns
            (``sampling.temperature: Input should be greater than or equal to 0``;
            ``body`` for the value as a whole); False gives the reasons alone.
    """
    parts = []
    for error in exc.errors(include_url=False):
        reason = str(error["msg"]).removeprefix("Value error, ")
        if where:
            path = ".".join(str(part) for part in error["loc"]) or "body"
            reason = f"{path}: {reason}"
        parts.append(reason)
    return "; ".join(parts)
