"""The built-in apps. Importing this package registers them.

Every module of this package is imported (an app module needs no entry here); the
classes below are the ones re-exported by name, with the site framework: the page
model and ``Site`` with its ``page``/``action`` routes that a family builds an offline
site from, and ``dispatch``, ``parse_url`` and ``render`` that families use to plan
browser steps.
"""

import importlib
import pkgutil

from workgym.apps._web import (
    Alert,
    Button,
    Details,
    Form,
    Heading,
    Input,
    Invalid,
    Link,
    NotFound,
    Page,
    Redirect,
    Request,
    Section,
    Select,
    Site,
    Table,
    Text,
    TextArea,
    action,
    dispatch,
    page,
    paginate,
    parse_url,
    render,
    with_query,
)
from workgym.apps.calendar import CalendarApp
from workgym.apps.files import FilesApp
from workgym.apps.mail import MailApp
from workgym.apps.sheets import SheetsApp
from workgym.apps.terminal import TerminalApp

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = [
    "Alert",
    "Button",
    "CalendarApp",
    "Details",
    "FilesApp",
    "Form",
    "Heading",
    "Input",
    "Invalid",
    "Link",
    "MailApp",
    "NotFound",
    "Page",
    "Redirect",
    "Request",
    "Section",
    "Select",
    "SheetsApp",
    "Site",
    "Table",
    "TerminalApp",
    "Text",
    "TextArea",
    "action",
    "dispatch",
    "page",
    "paginate",
    "parse_url",
    "render",
    "with_query",
]
