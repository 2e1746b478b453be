"""Replace one ``## `` section of a results file, keeping every other section where it is."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, heading: str, lines: list[str]) -> None:
    """Put ``lines`` (starting with ``heading``) in place of that section, or at the end."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    body = "\n".join(lines).rstrip() + "\n"
    if heading not in text:
        path.write_text(text.rstrip() + "\n\n" + body, encoding="utf-8")
        return
    head, rest = text.split(heading, 1)
    nxt = rest.find("\n## ")
    tail = "" if nxt < 0 else "\n" + rest[nxt + 1:]
    path.write_text(head + body + tail, encoding="utf-8")
