"""The notice and the sign as Markdown, for `awareness-kit notice --format md` (the pages render the same
document as HTML).

    print(to_markdown(notice))          # the sign's text, then the full notice, then the impact assessment
    print(sign_markdown(notice))        # the sign's text only
"""

from __future__ import annotations

from collections.abc import Callable

from device.notice.document import Entry, Notice, Section


def _escape(text: str) -> str:
    """Text as Markdown shows it literally (an operator's own text may hold * or _)."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def sign_markdown(notice: Notice) -> str:
    sign, labels = notice.sign, notice.sign.labels
    lines = [f"## {_escape(sign.headline)}", "", _escape(sign.lead), ""]
    if sign.special:
        lines += [f"**{_escape(sign.special)}**", ""]
    lines += [f"**{labels['who']}:** {_escape(sign.operator)} ({_escape(sign.contact)})", "",
              f"**{labels['why']}:** {_escape(sign.purpose)}", "",
              f"**{labels['collects']}:** {_escape(', '.join(sign.collects) or '–')}", "",
              f"**{labels['infers']}:** {_escape(', '.join(sign.infers) or '–')}", "",
              f"**{labels['kept']}:** {_escape(sign.retention)}", ""]
    if sign.off:
        lines += [f"**{labels['off']}:**", ""] + [f"- {_escape(text)}" for text in sign.off] + [""]
    lines += [f"**{_escape(sign.nothing_leaves)}**", "", _escape(sign.erase), "",
              f"{labels['scan']}: <{sign.you_url}>", "", f"{_escape(sign.more)} <{sign.notice_url}>", ""]
    return "\n".join(lines)


def _entry(entry: Entry) -> str:
    head = f"- **{_escape(entry.title)}**" + (f": {_escape(entry.text)}" if entry.text else "")
    if not entry.title:
        head = f"- {_escape(entry.text)}"
    if entry.marks:
        head += f" _({_escape('; '.join(entry.marks))})_"
    if entry.detail:
        head += f"\n  {_escape(entry.detail)}"
    return head


def _section(section: Section, level: str) -> list[str]:
    lines = [f"{level} {_escape(section.title)}", ""]
    for paragraph in section.paragraphs:
        lines += [_escape(paragraph), ""]
    if section.entries:
        lines += [_entry(entry) for entry in section.entries] + [""]
    return lines


def to_markdown(notice: Notice, heading: Callable[[str], str] = str) -> str:
    """The whole notice; *heading* translates this renderer's own headings."""
    lines = [f"# {_escape(notice.title)}", "", f"_{notice.made}_", "", sign_markdown(notice)]
    for section in notice.sections:
        lines += _section(section, "##")
    lines += [f"## {_escape(heading('Data protection impact assessment'))}", ""]
    for section in notice.assessment:
        lines += _section(section, "###")
    return "\n".join(lines).rstrip() + "\n"
