"""Issue 10: the procedure page short on a phone, and a search that says when nothing matched."""

from __future__ import annotations

import pytest

from tinhso.catalogue.components import is_note, sort_components
from tinhso.catalogue.rules import ComponentSpec
from tinhso.catalogue.search import search
from tinhso.catalogue.templatetags.catalogue_tags import public_note

pytestmark = pytest.mark.django_db


def test_a_search_with_no_match_says_so_and_offers_help(client, civil_status):
    html = client.get("/thu-tuc/", {"q": "hộ chiếu đi Mỹ"}).content.decode()
    assert "Không tìm thấy thủ tục nào khớp với “hộ chiếu đi Mỹ”" in html
    assert "kiểm tra lại chính tả" in html and "Bộ phận Một cửa" in html
    assert "?field=G15-TP07" in html  # browse by field
    assert '<ol class="cat-results">' not in html  # no unrelated procedures listed


def test_only_punctuation_is_no_match_not_the_whole_catalogue(client, civil_status):
    html = client.get("/thu-tuc/", {"q": "!!"}).content.decode()
    assert "Không tìm thấy thủ tục nào khớp" in html and '<ol class="cat-results">' not in html


def test_near_matches_must_name_half_the_words_and_are_marked(civil_status):
    page = search("khai sinh cho con nho xiu")
    assert page.count == 0
    near = search("dang ky khai sinh ngay hom nay")
    assert not near.exact and near.count >= 1
    assert near.items[0].code == "1.001193"
    exact = search("dang ky khai sinh")
    assert exact.exact and exact.count == 3


def test_the_procedure_page_puts_the_essentials_first_and_folds_the_rest(client, publish):
    publish(
        "1.009999",
        "Thủ tục đăng ký khai sinh thử",
        fees=[
            {
                "name": "Lệ phí",
                "amount": 0,
                "note": "Miễn khi đúng hạn. Quá hạn: mức do HĐND tỉnh quy định, chưa xác nhận mức.",
            }
        ],
        steps="Bước 1: nộp hồ sơ.\nBước 2: nhận kết quả.",
        legal_basis="Luật Hộ tịch 2014",
        components=[
            ComponentSpec(name="Giấy chứng sinh", originals=1, required=True),
            ComponentSpec(name="Văn bản ủy quyền (nếu ủy quyền)", originals=1, required=False),
            ComponentSpec(
                name="Người tiếp nhận kiểm tra giấy tờ.", group="* Lưu ý:", required=False
            ),
        ],
    )
    html = client.get("/thu-tuc/1.009999/").content.decode()
    assert "chưa xác nhận" not in html and "Miễn khi đúng hạn." in html
    start = html.index("Nộp hồ sơ trực tuyến")
    assert start < html.index("Giấy chứng sinh") < html.index("Văn bản ủy quyền")
    assert html.index("Văn bản ủy quyền") < html.index("Lưu ý về giấy tờ (1 mục)")
    assert html.index("<summary>Trình tự thực hiện") > start
    assert "<dt>Phí, lệ phí</dt>" not in html  # nothing to pay: no fee among the essentials


def test_notes_and_documents_are_told_apart():
    class C:
        def __init__(self, name, group="", required=False, originals=0, copies=0):
            self.name, self.group, self.required = name, group, required
            self.originals, self.copies = originals, copies

    doc = C("Giấy chứng sinh", "* Giấy tờ phải nộp:", originals=1)
    note = C("+ Bản chụp phải rõ nét", "* Lưu ý:", originals=1)
    sentence = C("Trường hợp đã nộp bản điện tử thì không phải nộp bản giấy", "* Giấy tờ phải nộp:")
    required = C("Tờ khai", required=True)
    assert not is_note(doc) and is_note(note) and is_note(sentence) and not is_note(required)
    ordered = sort_components([doc, note, required, sentence])
    assert ordered.required == [required] and ordered.optional == [doc]
    assert ordered.notes == [note, sentence]


def test_public_note_drops_the_editors_remarks():
    assert public_note("Mỗi bản sao.") == "Mỗi bản sao."
    assert public_note("Miễn. Quá hạn: mức do tỉnh quy định, chưa xác nhận mức.") == (
        "Miễn. Quá hạn: mức do tỉnh quy định."
    )
    assert public_note("CHƯA XÁC NHẬN mức thu.") == ""
