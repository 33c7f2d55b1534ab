"""Search as a Vietnamese citizen types: no diacritics, capitals, typos, filters, ranking."""

from __future__ import annotations

import random

import pytest

from tinhso.catalogue import actions
from tinhso.catalogue.models import SearchTerm
from tinhso.catalogue.queries import search
from tinhso.catalogue.search import _allowed_distance, correct, distance

pytestmark = pytest.mark.django_db


def names(q, **filters):
    return [p.name for p in search(q, **filters).items]


@pytest.mark.parametrize("q", ["dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh", "Khai Sinh"])
def test_birth_registration_comes_first(civil_status, q):
    assert names(q)[0] == "Thủ tục đăng ký khai sinh"


def test_khai_sinh_ranks_the_closest_names_first(civil_status):
    assert names("khai sinh") == [
        "Thủ tục đăng ký khai sinh",
        "Thủ tục đăng ký lại khai sinh",
        "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
        "Thủ tục đăng ký khai sinh có yếu tố nước ngoài",
    ]
    assert search("khai sinh").count == 4


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        ("khai sinhh", "khai sinh"),
        ("dang ky khia sinh", "dang ky khai sinh"),  # transposed letters
        ("thuongg tru", "thuong tru"),
        ("tinh trang hon nhann", "tinh trang hon nhan"),
    ],
)
def test_typos_are_corrected(civil_status, typed, corrected):
    page = search(typed)
    assert page.corrected == corrected
    assert page.count >= 1


def test_typo_results(civil_status):
    assert names("dang ky khia sinh")[0] == "Thủ tục đăng ký khai sinh"
    assert names("thuongg tru") == ["Đăng ký thường trú"]


def test_the_last_word_may_be_unfinished(civil_status):
    assert names("ket ho") == ["Thủ tục đăng ký kết hôn"]
    # One letter typed is a prefix of the vocabulary's words too: not an empty page (the
    # documents' search once searched such a letter as a whole word).
    assert names("dang ky khai s")[0] == "Thủ tục đăng ký khai sinh"


def test_national_code_finds_the_procedure(civil_status):
    assert names("1.001193") == ["Thủ tục đăng ký khai sinh"]


def test_nothing_found_is_an_empty_page(civil_status):
    page = search("xyzxyz qwqwqw")
    assert (page.items, page.count) == ([], 0)


def test_filters(civil_status):
    assert names("", online_type="toan_trinh") == ["Đăng ký thường trú"]
    assert names("dang ky", field="G01-CA05") == ["Đăng ký thường trú"]
    assert names("khai sinh", level="province") == []
    assert len(names("", level="commune", limit=100)) == 8


def test_without_a_query_the_most_popular_come_first(civil_status):
    assert names("")[0] == "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh"


def test_agency_filter(publish, agencies):
    permit = publish("1.013236", "Cấp giấy phép xây dựng mới", levels=("province",))
    actions.set_agency(permit, agencies["SXD"], actor=None)
    publish("1.013225", "Cấp giấy phép xây dựng mới cấp III")
    assert names("giay phep xay dung", agency="000.00.07.H66") == ["Cấp giấy phép xây dựng mới"]


def test_inactive_and_unpublished_procedures_are_not_found(civil_status, publish):
    assert names("khai tu")[0] == "Thủ tục đăng ký khai tử"
    actions.set_active(civil_status["death"], False, actor=None)
    assert "Thủ tục đăng ký khai tử" not in names("khai tu")
    draft = actions.create_procedure(
        code="9.999999",
        field=civil_status["birth"].field,
        spec=civil_status["birth"].current_version
        and actions.spec_of(civil_status["birth"].current_version),
        actor=None,
    )
    assert draft.current_version is None
    assert search("khai sinh").count == 4


def test_search_updates_when_a_new_version_renames(civil_status, publish):
    publish("1.000656", "Thủ tục đăng ký khai tử (mới)")
    assert names("khai tu moi") == ["Thủ tục đăng ký khai tử (mới)"]


def test_pagination(civil_status):
    first = search("khai sinh", limit=2)
    second = search("khai sinh", limit=2, offset=2)
    assert [p.name for p in first.items + second.items] == names("khai sinh")
    assert first.count == second.count == 4


def test_distance():
    assert distance("khai", "khai", 1) == 0
    assert distance("khia", "khai", 1) == 1
    assert distance("sinhh", "sinh", 1) == 1
    assert distance("abcdef", "fedcba", 2) == 3


def test_colloquial_phrases(civil_status, publish):
    publish(
        "1.115350",
        "Cấp lại Giấy chứng nhận do bị mất",
        field=("G13-TN02", "Đất đai"),
        result_name="Giấy chứng nhận quyền sử dụng đất",
    )
    assert names("làm giấy khai sinh")[0] == "Thủ tục đăng ký khai sinh"
    assert names("nhập hộ khẩu") == ["Đăng ký thường trú"]
    assert names("xin xác nhận độc thân")[0] == "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"
    assert names("cấp lại sổ đỏ")[0] == "Cấp lại Giấy chứng nhận do bị mất"


# The typo correction skips vocabulary words whose letter sets differ from the typed word's by
# more than 2 x the allowed distance (search.correct). The typos above all keep their letter
# set (a doubled letter, two letters swapped), so only a typo bringing in a letter the word
# lacks tests that bound: each test below fails if the prune is `== 0`, `<= limit` or
# `< 2 * limit`.


def test_a_letter_the_word_lacks_is_still_corrected(civil_status):
    # "sinj" / "sinh": one substitution (limit 1 at four letters), letter sets {j} vs {h}.
    page = search("khai sinj")
    assert (page.corrected, page.exact) == ("khai sinh", True)
    assert names("khai sinj")[0] == "Thủ tục đăng ký khai sinh"


def test_two_new_letters_in_a_long_word_are_corrected(civil_status, publish):
    publish(
        "1.001029",
        "Thủ tục cấp giấy phép đủ điều kiện kinh doanh dịch vụ karaoke",
        field=("G10-VH01", "Văn hóa"),
    )
    # "kalauke" / "karaoke": seven letters, so limit 2; two substitutions, each of a letter
    # the word has once by one it lacks: letter sets {l, u} vs {r, o}, 4 = 2 x limit.
    assert _allowed_distance("kalauke") == 2
    page = search("dich vu kalauke")
    assert (page.corrected, page.exact) == ("dich vu karaoke", True)
    assert names("dich vu kalauke") == [
        "Thủ tục cấp giấy phép đủ điều kiện kinh doanh dịch vụ karaoke"
    ]


# The 320 commonest words of the national catalogue's names (folded), and its long ones.
_WORDS = """
an ban bang bao bat bay ben benh bi bien biet bo ca cac cai can cang canh cao cap cau cay cham
chap chat che chi chien chinh cho chon chu chua chuan chuc chung chuong chuyen co con cong cu
cua cung cuu da dac dai dam dan dang danh dao dat dau de den di dia dich diem dien dieu dinh do
doan doanh doi don dong du dua duc dung duoc duong dut duyet gan ghi gia giai giam gian giao
giay gioi giong giua goc gop ha hai han hang hanh he hiem hien hiep hieu hinh ho hoa hoac hoach
hoan hoat hoc hoi hop huong huu huy ke ket khac khach khai kham khau khi kho khoa khoan khoang
khong khu kiem kien kinh ky la lai lam lan lanh lao lap le len lich lien lieu linh loai loi lua
luat luc luong luu ly ma mai mang mat mau may mien mo moi mot mua muc nam nang nd ngan ngay nghe
nghi nghiem nghien nghiep ngoai nguoi nguon nguyen nha nhan nhanh nhap nhat nhiem nhuong ninh
no noi nong nop nuoc nuoi o phai pham phan phap phat phe phep phi pho phong phu phuc phuong qua
quan quoc quy quyen quyet ra rung sach san sang sap sat sau si sinh so soat su sua sung tac
tach tai tam tan tang tao tap tau te ten thac tham thang thanh thao thau thay the theo thi thiet
thoi thong thu thua thuan thuat thuc thue thuoc thuong thuy thuyen tich tien tiep tieu tin tinh
to toan ton tra trang tranh tren tri trien trinh tro trong tru truc trung truoc truong truyen
tu tuc tuong tuyen ty ubnd ung uong uu uy va van vao vat ve vi viec vien viet vo voi von vu vuc
vung xa xac xay xe xet xu xuat y yeu
brandname campuchia container electron homestay internet karaoke kilomet stockholm taekwondo
venezuela voucher vovinam
"""
VOCABULARY = _WORDS.split()


def _typo(word: str, rng: random.Random) -> str:
    """`word` with one or two random edits, the letters drawn from the whole alphabet."""
    for _ in range(rng.choice((1, 1, 2))):
        edit = rng.choice(("substitute", "insert", "delete", "swap"))
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        if edit == "insert" or len(word) < 2:
            i = rng.randrange(len(word) + 1)
            word = word[:i] + letter + word[i:]
        elif edit == "substitute":
            i = rng.randrange(len(word))
            word = word[:i] + letter + word[i + 1 :]
        elif edit == "delete":
            i = rng.randrange(len(word))
            word = word[:i] + word[i + 1 :]
        else:
            i = rng.randrange(len(word) - 1)
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word


def _unpruned(word: str, vocabulary: set[str]) -> str:
    """The correction without the letter-set prune: the distance to every word of the window."""
    limit = _allowed_distance(word)
    if word in vocabulary or not limit:
        return word
    scored = sorted(
        (distance(word, candidate, limit), candidate)
        for candidate in vocabulary
        if abs(len(candidate) - len(word)) <= limit
    )
    return scored[0][1] if scored and scored[0][0] <= limit else word


def test_the_letter_prune_corrects_as_the_full_distance_does(db):
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=w, length=len(w)) for w in VOCABULARY], ignore_conflicts=True
    )
    vocabulary = set(SearchTerm.objects.values_list("word", flat=True))
    rng = random.Random(20261206)
    typed: list[str] = []
    while len(typed) < 300:  # typos within the typed word's limit of the word they came from
        source = rng.choice(VOCABULARY)
        word = _typo(source, rng)
        if _allowed_distance(word) and distance(word, source, 2) <= _allowed_distance(word):
            typed.append(word)
    # Typed words within their limit of a vocabulary word but whose letter sets differ by more
    # than the limit: those a too strict prune would lose. Without enough of them this test
    # would prove nothing.
    at_risk = [
        t
        for t in typed
        if t not in vocabulary
        and _allowed_distance(t)
        and any(
            distance(t, w, _allowed_distance(t)) <= _allowed_distance(t)
            and len(set(t).symmetric_difference(w)) > _allowed_distance(t)
            for w in vocabulary
        )
    ]
    assert len(at_risk) >= 50
    for word in typed:
        # Not the last word, so the unfinished-prefix rule does not apply.
        corrected, _ = correct([word, "khai"])
        assert corrected[0] == _unpruned(word, vocabulary), word
