"""The built-in apps. Importing this package registers them.

Every module of this package is imported (an app module needs no entry here); the
classes below are the ones re-exported by name, with the site framework's
``dispatch``, ``parse_url`` and ``render`` that families use to plan browser steps.
"""

import importlib
import pkgutil

from workgym.apps._web import dispatch, parse_url, render
from workgym.apps.calendar import CalendarApp
from workgym.apps.files import FilesApp
from workgym.apps.mail import MailApp
from workgym.apps.sheets import SheetsApp
from workgym.apps.terminal import TerminalApp

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["CalendarApp", "FilesApp", "MailApp", "SheetsApp", "TerminalApp", "dispatch", "parse_url",
           "render"]
