"""One rule for where line breaks and control characters may go, and the cleaners that apply it.

A single-line value (a title, a name, a subject, a town) ends up in places where a line break
is structure, not text: an email header, an iCalendar content line, a CSV cell, a log line. So
such a value refuses every control character (Unicode category Cc: CR, LF, tab, NUL, ESC,
DEL, NEL...) and the Unicode line and paragraph separators. A multi-line value (a description,
a message) keeps its line breaks and tabs but refuses NUL (PostgreSQL cannot store it) and the
other control characters, which no person types on purpose and which terminals and mail
programs interpret.

The validators are what forms, the admin and ``require_clean_text`` (the services) check. The
cleaners ``single_line`` and ``multi_line`` are for writers that must never fail on rows saved
before the rule existed (the calendar writer, mail headers): they repair rather than refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

LINE_SEPARATORS = "\u2028\u2029"
# Category Cc is exactly U+0000-U+001F and U+007F-U+009F.
_CONTROL = "\x00-\x1f\x7f-\x9f"
NOT_SINGLE_LINE = re.compile(f"[{_CONTROL}{LINE_SEPARATORS}]")
_NOT_SINGLE_LINE_RUN = re.compile(f"[{_CONTROL}{LINE_SEPARATORS}]+")
# Tab, LF and CR are how people write several lines; everything else of category Cc is refused.
NOT_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(f"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85{LINE_SEPARATORS}]")

SINGLE_LINE_MESSAGE = "Keep this to one line: remove the line break, tab or control character ({char})."
MULTI_LINE_MESSAGE = "Remove the control character {char}: only line breaks and tabs may be used here."


def _describe(char: str) -> str:
    names = {"\r": "carriage return", "\n": "line feed", "\t": "tab", "\x00": "NUL"}
    names |= {"\u2028": "line separator", "\u2029": "paragraph separator"}
    code = f"U+{ord(char):04X}"
    return f"{names[char]}, {code}" if char in names else code


def validate_single_line(value: Any) -> None:
    """Refuse a value with a line break or any control character (for CharFields)."""
    found = NOT_SINGLE_LINE.search(str(value))
    if found:
        raise ValidationError(SINGLE_LINE_MESSAGE.format(char=_describe(found.group())), code="single_line")


def validate_multi_line(value: Any) -> None:
    """Refuse NUL and the control characters other than tab, LF and CR (for TextFields)."""
    found = NOT_MULTI_LINE.search(str(value))
    if found:
        raise ValidationError(MULTI_LINE_MESSAGE.format(char=_describe(found.group())), code="control_character")


def single_line(value: Any) -> str:
    """The value as one safe line: each run of line breaks or control characters is one space.

    For writers (mail headers, iCalendar) that must not fail on a row saved before the rule.
    """
    return _NOT_SINGLE_LINE_RUN.sub(" ", str(value or "")).strip()


def multi_line(value: Any) -> str:
    """The value with every kind of line break as LF and the other control characters dropped."""
    text = _LINE_BREAKS.sub("\n", str(value or ""))
    return NOT_MULTI_LINE.sub("", text)


def require_clean_text(model: type[models.Model], values: Mapping[str, Any]) -> None:
    """Check the text values a service is about to write with the validators of their model fields.

    Services call this whoever their caller is (a form, the admin, a task, a shell): a value
    that a form would refuse is refused here too, as one ValidationError keyed by field.
    """
    errors: dict[str, list[ValidationError]] = {}
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # e.g. a many-to-many given by keys: no text of the model
            continue
        if not isinstance(field, models.CharField | models.TextField) or not isinstance(value, str):
            continue
        try:
            field.run_validators(value)
        except ValidationError as exc:
            errors[name] = exc.error_list
    if errors:
        raise ValidationError(errors)
