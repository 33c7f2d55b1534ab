"""The English interface: the public pages in English after /i18n/setlang/, Vietnamese by
default, and the English catalogues of the apps in APPS complete."""

from __future__ import annotations

import ast
import gettext
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tinhso.catalogue import actions as catalogue_actions
from tinhso.catalogue import eforms, rules
from tinhso.catalogue.models import Procedure
from tinhso.catalogue.rules import ComponentSpec, VersionSpec
from tinhso.places.models import Province

SRC = Path(__file__).resolve().parents[2] / "src" / "tinhso"
APPS = ("web", "people", "catalogue", "feedback", "dossiers", "ioc", "datastore")
PO_FILES = [SRC / app / "locale" / "en" / "LC_MESSAGES" / "django.po" for app in APPS]


@pytest.fixture
def province(db) -> Province:
    # The field-report list needs the home province in the database.
    return Province.objects.create(
        code=int(settings.PROVINCE_CODE),
        name="Đắk Lắk",
        division_type="tỉnh",
        codename="dak_lak",
    )


@pytest.fixture
def birth_registration(db) -> Procedure:
    procedure, _ = catalogue_actions.save_procedure(
        code="1.001193",
        field_code="G15-TP07",
        field_name="Hộ tịch",
        spec=VersionSpec(
            name="Đăng ký khai sinh",
            processing_days=Decimal("3"),
            online_type="mot_phan",
            channels=["online", "counter"],
            result_name="Giấy khai sinh",
            components=[ComponentSpec(name="Tờ khai đăng ký khai sinh", originals=1)],
        ),
        actor=None,
        levels=["commune"],
    )
    return procedure


@pytest.fixture
def english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def assert_all_in(html: str, texts: list[str]) -> None:
    missing = [t for t in texts if t not in html]
    assert not missing, missing


def assert_none_in(html: str, texts: list[str]) -> None:
    present = [t for t in texts if t in html]
    assert not present, present


# --- English ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_page_in_english(english):
    html = page(english, "/")
    assert '<html lang="en"' in html
    assert_all_in(
        html,
        [
            "<title>Đắk Lắk Public Services Portal</title>",
            "Skip to main content",
            "Text size",
            "High contrast",
            '<a href="/dang-nhap/">Sign in</a>',
            "Which procedure do you need?",
            'placeholder="For example: birth registration"',
            '<button type="submit">Search</button>',
            "Online public services",
            "Find a procedure, submit a dossier and follow its progress.",
            "Look up a dossier",
            "Report a local issue",
            "Tell the authorities about problems that need fixing where you live.",
            "People's Committee of Đắk Lắk",
            'lang="vi">Tiếng Việt</button>',  # the switch back
        ],
    )
    assert_none_in(html, ["Bạn cần làm thủ tục gì?", "Chuyển đến nội dung chính", "Đăng nhập"])


@pytest.mark.django_db
def test_sign_in_page_in_english(english):
    html = page(english, "/dang-nhap/")
    assert_all_in(
        html,
        [
            "<title>Sign in · Đắk Lắk Public Services Portal</title>",
            "<h1>Sign in</h1>",
            "For example: 0912345678, name@example.vn or the username issued by your agency.",
            "Civil servants and officials: after your password, you will be asked for a "
            "6-digit code from your authenticator app.",
        ],
    )
    assert_none_in(html, ["Cán bộ, công chức", "Ví dụ: 0912345678"])


@pytest.mark.django_db
def test_sign_in_form_and_its_errors_in_english(english):
    html = page(english, "/dang-nhap/")
    assert_all_in(html, ["Phone number, e-mail or username", "Password"])
    assert_none_in(html, ["Số điện thoại, email hoặc tên đăng nhập", "Mật khẩu"])

    html = english.post("/dang-nhap/", {"username": "", "password": ""}).content.decode()
    assert_all_in(
        html, ["Please enter your phone number, e-mail or username.", "Please enter your password."]
    )
    assert_none_in(html, ["Chưa nhập"])

    response = english.post("/dang-nhap/", {"username": "0912345678", "password": "sai-mat-khau"})
    html = response.content.decode()
    assert "The phone number, e-mail, username or password is incorrect." in html
    assert "không đúng" not in html


@pytest.mark.django_db
def test_procedure_page_in_english(english, birth_registration):
    html = page(english, "/thu-tuc/1.001193/")
    assert_all_in(
        html,
        [
            "<h1>Đăng ký khai sinh</h1>",  # catalogue content stays as published
            "Processing time",
            "<dd>3 working days</dd>",
            "Partial online public service",
            "People&#x27;s Committee of the commune or ward where the procedure is carried out",
            "Dossier components",
        ],
    )
    assert_none_in(html, ["ngày làm việc", "Dịch vụ công trực tuyến một phần", "Ủy ban nhân dân"])


def test_eform_messages_in_english():
    schema = {
        "type": "object",
        "properties": {
            "full_name": {"type": "string", "title": "Họ và tên", "maxLength": 5},
            "copies": {"type": "integer", "title": "Số bản sao", "minimum": 1},
            "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
            "agree": {"type": "boolean", "title": "Cam đoan"},
        },
        "required": ["agree"],
    }
    data = {"full_name": "Nguyễn Văn An", "copies": "0", "email": "khong-phai-email"}
    with translation.override("en"):
        _, errors = eforms.validate(schema, data)
        problems = eforms.check_schema({"type": "object", "properties": {"Tên": {}}})
        spec_errors = rules.clean_spec(VersionSpec(name="", channels=[]))
    assert errors == {
        "full_name": "“Họ và tên” must not be longer than 5 characters.",
        "copies": "“Số bản sao” must not be less than 1.",
        "email": "“Thư điện tử” is not a valid e-mail address.",
        "agree": "Please tick “Cam đoan”.",
    }
    assert problems == [
        "The field name “Tên” may only use lower-case letters without diacritics, digits and _."
    ]
    assert spec_errors["name"] == "Please enter the name of the procedure."
    assert spec_errors["channels"] == "Please choose at least one channel."

    # Vietnamese by default.
    _, errors = eforms.validate(schema, data)
    assert errors["agree"] == "Vui lòng đánh dấu “Cam đoan”."


@pytest.mark.django_db
def test_procedure_search_page_in_english(english):
    html = page(english, "/thu-tuc/")
    assert_all_in(
        html,
        [
            "Administrative procedures",
            "Search procedures (Vietnamese with or without diacritics)",
            "Filter results",
            "All fields",
            "Administrative level",
            "All levels",
            "Commune level",
            "Provincial level",
            "Online service level",
            "0 procedures",
            "No matching procedures found. Try a shorter search term, for example “khai sinh” "
            "(birth), or remove some filters.",
        ],
    )
    assert_none_in(html, ["Lọc kết quả", "Không tìm thấy thủ tục phù hợp"])

    html = page(english, "/thu-tuc/?q=khai+sinh")
    assert "Search for “khai sinh”" in html
    assert "No procedure matches “khai sinh”" in html  # says so, with help (issue 10)


@pytest.mark.django_db
def test_field_report_list_in_english(english, province):
    html = page(english, "/phan-anh/")
    assert_all_in(
        html,
        [
            "<title>Report a local issue · Đắk Lắk Public Services Portal</title>",
            "<h1>Report a local issue</h1>",
            ">Send a report</a>",
            ">View on the location map</a>",
            '<button type="submit">Filter</button>',
            "<h2>0 reports</h2>",
            "No reports match these filters.",
        ],
    )
    assert_none_in(html, ["Gửi phản ánh", "Không có phản ánh nào khớp điều kiện lọc."])


# --- Vietnamese stays the default -------------------------------------------------------


@pytest.mark.django_db
def test_pages_are_vietnamese_by_default(client, province, birth_registration):
    html = page(client, "/")
    assert '<html lang="vi"' in html
    assert_all_in(
        html,
        [
            "Cổng dịch vụ công Đắk Lắk",
            "Chuyển đến nội dung chính",
            "Bạn cần làm thủ tục gì?",
            "Tra cứu hồ sơ",
            'name="language" value="en" lang="en">',  # the switch to English
        ],
    )
    assert_none_in(html, ["Public Services Portal", "Skip to main content"])

    html = page(client, "/dang-nhap/")
    assert "<h1>Đăng nhập</h1>" in html
    assert "Ví dụ: 0912345678, ten@example.vn hoặc tên đăng nhập do cơ quan cấp." in html

    html = page(client, "/thu-tuc/")
    assert_all_in(html, ["Thủ tục hành chính", "Lọc kết quả", "Tất cả lĩnh vực", "1 thủ tục"])
    assert "Filter results" not in html

    html = page(client, "/thu-tuc/1.001193/")
    assert_all_in(
        html,
        ["<dd>3 ngày làm việc</dd>", "Dịch vụ công trực tuyến một phần", "Ủy ban nhân dân xã"],
    )
    assert "working days" not in html

    html = page(client, "/phan-anh/")
    assert_all_in(html, ["<h1>Phản ánh hiện trường</h1>", "Gửi phản ánh", "<h2>0 phản ánh</h2>"])
    assert "Send a report" not in html


@pytest.mark.django_db
def test_switching_back_to_vietnamese(english):
    assert "Skip to main content" in page(english, "/")
    english.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Chuyển đến nội dung chính" in page(english, "/")


# --- The catalogues ---------------------------------------------------------------------


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list) and flags."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry: dict = {"flags": set(), "msgstr": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                text = ast.literal_eval(line)
                if isinstance(key, int):
                    entry["msgstr"][key] += text
                else:
                    entry[key] += text
            else:
                word, quoted = line.split(" ", 1)
                index = re.fullmatch(r"msgstr\[(\d)\]", word)
                key = int(index.group(1)) if index else 0 if word == "msgstr" else word
                if isinstance(key, int):
                    entry["msgstr"][key] = ast.literal_eval(quoted)
                else:
                    entry[key] = ast.literal_eval(quoted)
        if "msgid" in entry or entry.get("obsolete"):
            entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
            entries.append(entry)
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}", text))


@pytest.mark.parametrize("po", PO_FILES, ids=APPS)
def test_catalogue_is_complete(po):
    entries = read_po(po)
    assert entries[0]["msgid"] == "" and "Language: en\n" in entries[0]["msgstr"][0]
    messages = entries[1:]
    assert messages, "no messages"
    assert not [e.get("msgid", "obsolete") for e in messages if e.get("obsolete")]
    assert not [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not [e["msgid"] for e in messages if not all(e["msgstr"])]
    for e in messages:
        assert len(e["msgstr"]) == (2 if "msgid_plural" in e else 1), e["msgid"]
        for text in e["msgstr"]:
            assert placeholders(text) == placeholders(e["msgid"]), e["msgid"]


@pytest.mark.parametrize("po", PO_FILES, ids=APPS)
def test_compiled_catalogue_matches_po(po):
    with open(po.with_suffix(".mo"), "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for e in read_po(po)[1:]:
        if "msgid_plural" in e:
            got = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
        elif "msgctxt" in e:
            got = [compiled.pgettext(e["msgctxt"], e["msgid"])]
        else:
            got = [compiled.gettext(e["msgid"])]
        assert got == e["msgstr"], f"{po.parent}: recompile with msgfmt ({e['msgid']!r})"


def test_shared_messages_translate_alike():
    # Django merges the apps' catalogues: one Vietnamese text gets one English text site-wide.
    files = PO_FILES
    seen: dict[tuple[str, str], tuple[list[str], Path]] = {}
    clashes = []
    for po in files:
        for e in read_po(po)[1:]:
            key = (e.get("msgctxt", ""), e["msgid"])
            if key in seen and seen[key][0] != e["msgstr"]:
                clashes.append((key, seen[key], po, e["msgstr"]))
            seen.setdefault(key, (e["msgstr"], po))
    assert not clashes


def test_dossier_messages_in_english():
    from tinhso.dossiers import lifecycle, uploads
    from tinhso.dossiers.clock import Verdict
    from tinhso.dossiers.models import Dossier

    with translation.override("en"):
        with pytest.raises(uploads.RejectedFile) as empty:
            uploads.check_file("to-khai.pdf", b"", already_in_dossier=0)
        refusal = lifecycle.refusal(Dossier.State.DRAFT, "receive")
        labels = [str(Dossier.State.RECEIVED.label), Verdict.LATE.label]
    assert empty.value.message == "The file “to-khai.pdf” is empty."
    assert refusal == "Cannot receive the dossier while the dossier is “draft”."
    assert labels == ["received, being processed", "late"]
    # and Vietnamese by default
    assert lifecycle.refusal(Dossier.State.DRAFT, "receive") == (
        "Không thể tiếp nhận hồ sơ khi hồ sơ ở trạng thái “bản nháp”."
    )
