"""The header's doctor line: `2 problems in your setup · F2`, shown only while a check fails.

Nothing pops up for a setup problem (docs/architecture.md §1: toasts are for the user's own
actions); this one line under the top line says it, and F2 shows the details.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def doctor_text(problems: int) -> str:
    return f"{problems} problem{'s' * (problems != 1)} in your setup · F2"


class DoctorLine(Static):
    """Hidden until a doctor run finds a ✗; hidden again when a later run finds none."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.display = False

    def show(self, problems: int) -> None:
        self.display = problems > 0
        self.screen.set_class(problems > 0, "-doctor-line")  # toasts then start below this line, not over it
        if problems:
            self.update(Content.assemble((" ✗ ", "bold $text-error"), (doctor_text(problems), "$text-error")))
