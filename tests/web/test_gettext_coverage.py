"""Every Vietnamese text that reaches a user of people, catalogue, dossiers, web or ioc goes
through gettext.

The checker parses each Python module of the apps with `ast` and reports every string
literal (f-strings included) that contains a Vietnamese letter with a diacritic, unless:

- it is a docstring;
- it is an argument of a translation call (`_`, `gettext`, `gettext_lazy`, `pgettext`,
  `ngettext`, ... and their `_lazy` forms);
- it is an argument of a logging call (`log.warning(...)`): logs are for operators;
- it is an argument of a record call (RECORD_CALLS: a dossier's history event, a
  notification): written once, in Vietnamese, as the administrative record; the language
  its reader will browse in is not known when it is written;
- it is an operand of a comparison (`x == "..."`, `x in (...)`): matching data, not saying it;
- its enclosing function, class or module-level name is in DATA below, with the reason.

Management commands are left out: they talk to the operator's console, untranslated like
Django's own. Everything else counts as user-visible: labels, help texts, choices, verbose names,
ValidationError and messages.* texts, HTTP responses, e-form messages, admin pages (admins
are users too). The templates of the apps are checked the same way, except the legal forms
(LEGAL_TEMPLATES): text outside `{% translate %}`, `{% blocktranslate %}`, tags, variables
and comments must not be Vietnamese.

Modules that other sessions are editing now are marked PENDING (strict xfail): when they are
fixed, the xfail turns into a failure and the mark must be removed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tinhso"
APPS = ("people", "catalogue", "dossiers", "web", "datastore", "ioc")

VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)
TRANSLATION_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
LOGGERS = {"log", "logger", "logging"}
# Texts that become records: a dossier's history events (`_event`) and the notifications
# queued for citizens and officials (`_tell_citizen`, `notify`), in Vietnamese.
RECORD_CALLS = {"_event", "_tell_citizen", "notify"}

# (module, scope) -> why its Vietnamese literals are data, not interface text. The scope is
# the enclosing function or class (dotted), the module-level assigned name, or "*".
DATA = {
    ("people/demo.py", "*"): "demo accounts: Vietnamese names and addresses are data",
    ("catalogue/demo.py", "*"): "demo catalogue content, Vietnamese as published nationally",
    ("catalogue/importer.py", "*"): (
        "national-portal records become catalogue content (stored in Vietnamese, as the "
        "national database publishes it); its reports are console output of the command"
    ),
    ("catalogue/rules.py", "display_name"): "the national names' prefix 'Thủ tục', matched",
    ("catalogue/admin.py", "SAMPLE_CITIZEN"): "the sample citizen of the e-form preview",
    # OpenAPI texts are for developers; django-ninja and pydantic take them as plain str when
    # the module is imported, so they stay in the project's language.
    ("catalogue/api.py", "ProcedureList"): "OpenAPI field description, for developers",
    ("catalogue/api.py", "ProcedureSearch"): "OpenAPI parameter descriptions, for developers",
    ("catalogue/api.py", "search_procedures"): "OpenAPI summary, for developers",
    ("catalogue/api.py", "get_procedure"): "OpenAPI summary, for developers",
    ("dossiers/demo.py", "*"): "demo dossiers: Vietnamese routes, reasons and results are data",
    ("dossiers/forms_pdf.py", "*"): (
        "the one-stop legal forms (Circular 01/2018/TT-VPCP) and the tracking book are "
        "Vietnamese whatever the browsing language; rendered under translation.override('vi')"
    ),
    (
        "dossiers/actions/submission.py",
        "_submitted_message",
    ): "the submission e-mail, a record (see RECORD_CALLS)",
    (
        "dossiers/actions/_common.py",
        "_tell_citizen",
    ): "the greeting of a notification (RECORD_CALLS)",
    ("dossiers/actions/_common.py", "_when"): "a moment inside a record or notification",
    ("dossiers/actions/_common.py", "DEFAULT_STEP_NAME"): "stored as the step record's name: data",
    (
        "dossiers/actions/results.py",
        "RETURN_WAYS",
    ): "how a result was returned, inside history events",
    (
        "dossiers/actions/submission.py",
        "SUBMITTED_VIA",
    ): "how a dossier was filed, inside its submission event",
    ("dossiers/actions/digitisation.py", "certify"): (
        "the certification printed in the copy's signature stamp and its reason: part of the "
        "signed document, Vietnamese whatever the officer's browsing language"
    ),
    (
        "dossiers/actions/processing.py",
        "remind_apologies",
    ): "the e-mail to the agency's leaders, a record",
    ("ioc/health.py", "VIETNAMESE"): "a regex character class of Vietnamese letters, matched",
    # The periodic report on handling procedures is an administrative document sent to the
    # leaders: Vietnamese whatever the browsing language, like the legal forms; generated
    # under translation.override("vi") (ioc/reports.py, `generate`).
    **{
        ("ioc/reports.py", name): "the periodic report's column groups and headings"
        for name in ("RECEIVED", "FINISHED", "IN_PROGRESS", "OTHER", "COLUMNS")
    },
    ("ioc/reports.py", "Content.title"): "the periodic report's title",
    ("ioc/reports.py", "period_label"): "the periodic report's period, as printed in it",
    ("ioc/reports.py", "_notify_leaders"): "the notice of a new report to leaders, a record",
    ("ioc/reports_render.py", "*"): (
        "the periodic report's XLSX and PDF: Vietnamese whatever the browsing language; "
        "rendered under translation.override('vi')"
    ),
    ("datastore/demo.py", "*"): "demo data store: Vietnamese papers, issuers and names are data",
    ("datastore/actions.py", "_result_kind"): "the generic result kind's name, stored: data",
    ("datastore/national.py", "*"): (
        "the national store adapter's exception details, logged (the page shows its own "
        "gettext messages, datastore/views_national.py) and the generic result kind's name"
    ),
    ("datastore/indicators.py", "LABELS"): "console output of `tinhso datastore indicators`",
    ("datastore/indicators.py", "compute"): "the province row's name in the command's output",
}
# Management commands talk to the operator on a console, in the project's language, as
# Django's own commands do: their texts are not translated.
CONSOLE = "/management/commands/"

# Modules edited by another session right now; the lead removes the mark once they are done.
PENDING: dict[str, str] = {}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_log_call(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in LOG_METHODS
        and _name(func.value) in LOGGERS
    )


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str) -> None:
        self.module = module
        self.scopes: list[str] = []
        self.exempt_depth = 0
        self.misses: list[tuple[int, str]] = []

    def _exempt_scope(self) -> bool:
        dotted = ".".join(self.scopes)
        return any(
            (self.module, scope) in DATA
            for scope in (
                "*",
                dotted,
                *(".".join(self.scopes[: i + 1]) for i in range(len(self.scopes))),
            )
        )

    def _body(self, node: ast.AST, name: str) -> None:
        self.scopes.append(name)
        body = getattr(node, "body", [])
        for index, child in enumerate(body):
            is_docstring = (
                index == 0
                and isinstance(child, ast.Expr)
                and isinstance(child.value, ast.Constant)
                and isinstance(child.value.value, str)
            )
            if not is_docstring:
                self.visit(child)
        for field in ("args", "decorator_list", "returns", "bases", "keywords"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                for child in value:
                    self.visit(child)
            elif isinstance(value, ast.AST):
                self.visit(value)
        self.scopes.pop()

    def visit_Module(self, node: ast.Module) -> None:
        for index, child in enumerate(node.body):
            if index == 0 and isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant):
                continue
            if isinstance(child, ast.Assign | ast.AnnAssign):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                self.scopes.append(names[0] if names else "")
                self.visit(child)
                self.scopes.pop()
            else:
                self.visit(child)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._body(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._body(node, node.name)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        if name in TRANSLATION_CALLS or name in RECORD_CALLS or _is_log_call(node):
            self.exempt_depth += 1
            self.generic_visit(node)
            self.exempt_depth -= 1
        else:
            self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.exempt_depth += 1
        self.generic_visit(node)
        self.exempt_depth -= 1

    def visit_Constant(self, node: ast.Constant) -> None:
        if (
            isinstance(node.value, str)
            and VIETNAMESE.search(node.value)
            and not self.exempt_depth
            and not self._exempt_scope()
        ):
            self.misses.append((node.lineno, node.value))


def untranslated_literals(path: Path) -> list[str]:
    """`file:line: text` for each Vietnamese literal of `path` that reaches users unmarked."""
    module = path.relative_to(SRC).as_posix()
    finder = _Finder(module)
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return [f"{module}:{line}: {text!r}" for line, text in finder.misses]


_TEMPLATE_MARKED = re.compile(
    r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}"
    r"|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|{#.*?#}|{%.*?%}|{{.*?}}",
    re.DOTALL,
)
# The language switch names each language in itself, as WCAG 3.1.2 asks: not translated.
_TEMPLATE_ALLOWED = re.compile(r'lang="vi"[^>]*>Tiếng Việt<')


def untranslated_template_text(text: str) -> list[str]:
    """The lines of a template that still hold Vietnamese once the marked text is removed."""
    left = _TEMPLATE_MARKED.sub(" ", _TEMPLATE_ALLOWED.sub("", text))
    return [line.strip() for line in left.splitlines() if VIETNAMESE.search(line)]


def _modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((SRC / app).rglob("*.py")):
            if "migrations" not in path.parts and CONSOLE not in path.as_posix():
                found.append(path)
    return found


def _params() -> list:
    params = []
    for path in _modules():
        module = path.relative_to(SRC).as_posix()
        marks = []
        if module in PENDING:
            marks.append(pytest.mark.xfail(strict=True, reason=PENDING[module]))
        params.append(pytest.param(path, id=module, marks=marks))
    return params


@pytest.mark.parametrize("path", _params())
def test_module_marks_every_vietnamese_text(path):
    assert untranslated_literals(path) == []


# Legal forms and the IOC's periodic report: printed in Vietnamese whatever the browsing
# language (rendered under translation.override("vi"), see dossiers/forms_pdf.py,
# dossiers/receipt.py and ioc/reports.py).
LEGAL_TEMPLATES = (
    "dossiers/templates/dossiers/forms/",
    "dossiers/templates/dossiers/receipt.html",
    "ioc/templates/ioc/report_pdf",  # report_pdf.html, report_pdf_table.html
)


@pytest.mark.parametrize(
    "path",
    [
        p
        for app in APPS
        for p in sorted((SRC / app / "templates").rglob("*.html"))
        if not p.relative_to(SRC).as_posix().startswith(LEGAL_TEMPLATES)
    ],
    ids=lambda p: p.relative_to(SRC).as_posix(),
)
def test_template_marks_every_vietnamese_text(path):
    assert untranslated_template_text(path.read_text(encoding="utf-8")) == []


# --- the checker itself -----------------------------------------------------------------


def _misses(source: str) -> list[str]:
    finder = _Finder("people/_probe.py")
    finder.visit(ast.parse(source))
    return [text for _, text in finder.misses]


def test_checker_finds_unmarked_user_texts():
    source = '''
"""Mô-đun: docstring, not shown."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _, gettext_lazy

LABEL = "Họ và tên"
LAZY = gettext_lazy("Đã xong")

class Form(forms.Form):
    """Biểu mẫu."""
    name = forms.CharField(label="Tên", help_text=_("Ghi rõ"))

def clean(value, log):
    """Kiểm tra."""
    log.warning("giá trị sai: %s", value)
    if value == "đ":
        raise ValidationError(f"Giá trị {value} không hợp lệ.")
    raise ValidationError(_("Giá trị không hợp lệ."))
'''
    assert _misses(source) == ["Họ và tên", "Tên", "Giá trị ", " không hợp lệ."]


def test_checker_finds_unmarked_template_text():
    page = (
        '{% load i18n %}<h1>{% translate "Đăng nhập" %}</h1>{# ghi chú #}\n'
        "{% blocktranslate %}Xin chào {{ name }}{% endblocktranslate %}\n"
        '<p title="{{ tên }}">Quay lại</p>\n'
        '<button lang="vi">Tiếng Việt</button>\n'
    )
    assert untranslated_template_text(page) == ['<p title=" ">Quay lại</p>']
