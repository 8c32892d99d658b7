"""`awareness-kit notice`: the privacy notice (or the sign) written offline, from the config and what is installed,
as HTML (one file, its style inside) or Markdown.

    awareness-kit notice --format md --lang sr -o notice.md
    awareness-kit notice --sign -o sign.html           # print it: one A4 page per language
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from device.config import Config, load_config
from device.errors import ConfigError

if TYPE_CHECKING:
    from web.i18n import Translations

LANGS = ("en", "sr")
DEFAULT_URL = "http://awareness-kit.local/"      # the name and port systemd/install.sh gives an installed kit


def add_parser(commands: Any) -> None:
    notice = commands.add_parser(
        "notice", help="write the privacy notice, impact assessment or sign from the config (offline)",
        description="Write the privacy notice and impact assessment (or, with --sign, the printable sign in both "
                    "languages) from the config file and what is installed here, without a running kit. The "
                    "running kit serves the same at /notice and /notice/sign, with the settings changed on "
                    "/admin too.")
    notice.add_argument("--config", type=Path, metavar="FILE", help="TOML config file (the installed kit uses "
                                                                    "/etc/awareness-kit/config.toml)")
    notice.add_argument("--format", choices=["html", "md"], default="html", help="html (default) or md (Markdown)")
    notice.add_argument("--lang", choices=list(LANGS), default="en", help="en (default) or sr (Serbian, Latin "
                                                                          "script); the sign has both, this first")
    notice.add_argument("--sign", action="store_true", help="the A4 sign instead of the full notice")
    notice.add_argument("--url", metavar="URL", help=f"the dashboard's address for the QR code and the links "
                                                     f"(default: [kiosk] url, else {DEFAULT_URL})")
    notice.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of standard output")


def gettext_for(lang: str) -> Translations:
    """The messages of *lang* (web/translations/<lang>.po): _(message), _.ngettext(singular, plural, n)."""
    from web.i18n import translations

    return translations(lang)


def write_notice(config: Config, *, fmt: str = "html", lang: str = "en", sign: bool = False,
                 url: str | None = None) -> str:
    """The notice (or the sign) for a kit started with *config* here."""
    from device.notice.document import build
    from device.notice.markdown import sign_markdown, to_markdown
    from device.notice.state import LiveState

    state = LiveState.of_config(config)
    url = url or config.kiosk.url or DEFAULT_URL
    order = [lang] + [code for code in LANGS if code != lang]
    notices = [build(state, gettext_for(code), url=url, lang=code) for code in (order if sign else [lang])]
    if fmt == "md":
        return sign_markdown(notices[0]) if sign else to_markdown(notices[0], gettext_for(lang))
    return _html(notices, sign=sign)


def _html(notices: list, *, sign: bool) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from web.i18n import HERE
    from web.views.kiosk import _svg

    gettext = gettext_for(notices[0].lang)
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(gettext.gettext, gettext.ngettext, newstyle=True)  # type: ignore[attr-defined]
    css = (HERE / "static" / "print.css").read_text(encoding="utf-8")
    from web.views.notice import qr_svg_text

    qr = qr_svg_text(_svg(notices[0].sign.you_url).get_data(as_text=True))
    if sign:
        return env.get_template("sign.html").render(sides=notices, qr=qr, inline_css=css)
    return env.get_template("notice.html").render(layout="_standalone.html", notice=notices[0], qr=qr,
                                                  inline_css=css)


def notice_command(args: argparse.Namespace, environ: dict[str, str]) -> int:
    config = load_config(args.config, environ=environ)
    text = write_notice(config, fmt=args.format, lang=args.lang, sign=args.sign, url=args.url)
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--output {args.output}: cannot write there: {exc.strerror or exc}") from None
        print(f"awareness-kit: wrote the {'sign' if args.sign else 'notice'} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
