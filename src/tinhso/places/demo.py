"""Demo agencies for the province this instance serves (settings.PROVINCE_CODE).

Creates, through the audited actions and only where missing: the provincial People's
Committee, the Public Administration Service Centre, thirteen provincial departments as they
stand after the 2025 mergers, and for every commune of the province its People's Committee
with a one-stop desk (Bộ phận Một cửa) under it. Running it again changes nothing: existing
agencies are found by what they are (level, short name, commune), not by code, so codes an
administrator has corrected are kept.

IDENTIFIER CODES ARE ILLUSTRATIVE AND UNCONFIRMED. The real post-2025 codes come from the
national catalogue of agency identifiers (Decision 20/2020/QĐ-TTg, amended by Decision
09/2025/QĐ-TTg); an administrator replaces these with them. The scheme below only keeps the
shape `H1.H2.H3.H4` and stays consistent; `H{pp}` uses the province's GSO code, which is NOT
its real level-1 code (UBND tỉnh Nghệ An, GSO 40, is H41):

    UBND tỉnh                                  000.00.00.H{pp}
    department or the service centre number n  000.00.{nn}.H{pp}   (table below)
    UBND of the k-th commune, by commune code  000.{xx}.{bb}.H{pp} with bb = 50 + (k-1) // 99,
                                               xx = (k-1) % 99 + 1 (room for 4,950 communes)
    that commune's one-stop desk               001.{xx}.{bb}.H{pp}
"""

from __future__ import annotations

from django.db import transaction

from tinhso.places.actions import create_agency
from tinhso.places.importer import import_places, places_imported
from tinhso.places.models import Agency, Commune, DivisionType, Province
from tinhso.places.queries import home_province

# (number in the code, name without the province, short name). Post-2025 departments; codes
# are illustrative and UNCONFIRMED (see the module docstring).
DEPARTMENTS: tuple[tuple[int, str, str], ...] = (
    (1, "Văn phòng Ủy ban nhân dân", "VP"),
    (2, "Sở Nội vụ", "SNV"),
    (3, "Sở Tư pháp", "STP"),
    (4, "Sở Tài chính", "STC"),
    (5, "Sở Công Thương", "SCT"),
    (6, "Sở Nông nghiệp và Môi trường", "SNNMT"),
    (7, "Sở Xây dựng", "SXD"),
    (8, "Sở Khoa học và Công nghệ", "SKHCN"),
    (9, "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
    (10, "Sở Giáo dục và Đào tạo", "SGDĐT"),
    (11, "Sở Y tế", "SYT"),
    (12, "Sở Dân tộc và Tôn giáo", "SDTTG"),
    (13, "Thanh tra", "TTr"),
)
SERVICE_CENTRE_NUMBER = 20
ONE_STOP_DESK = "BPMC"
COMMUNE_BLOCK_START = 50
COMMUNES_PER_BLOCK = 99


def province_agency_code(province: Province, number: int = 0) -> str:
    """Illustrative code (UNCONFIRMED) of the provincial committee (0) or unit `number`."""
    return f"000.00.{number:02d}.H{province.code:02d}"


def commune_agency_code(province: Province, index: int, *, desk: bool = False) -> str:
    """Illustrative code (UNCONFIRMED) of the `index`-th commune's committee (1-based)."""
    block, position = divmod(index - 1, COMMUNES_PER_BLOCK)
    h1 = "001" if desk else "000"
    return f"{h1}.{position + 1:02d}.{COMMUNE_BLOCK_START + block:02d}.H{province.code:02d}"


def _province_word(province: Province) -> str:
    return "thành phố" if province.division_type == DivisionType.CENTRAL_CITY else "tỉnh"


def _commune_label(commune: Commune) -> str:
    return f"{commune.division_type} {commune.name}"


def load_demo() -> None:
    """Create the demo agencies that are missing (importing the places first if needed)."""
    with transaction.atomic():
        if not places_imported():
            import_places()
        province = home_province()
        where = f"{_province_word(province)} {province.name}"
        mine = Agency.objects.filter(province=province)

        committee = mine.filter(level=Agency.Level.PROVINCE, parent=None).first()
        if committee is None:
            committee = create_agency(
                code=province_agency_code(province),
                name=f"Ủy ban nhân dân {where}",
                short_name="UBND",
                level=Agency.Level.PROVINCE,
                province=province,
                actor=None,
            )

        departments = set(
            mine.filter(level=Agency.Level.DEPARTMENT).values_list("short_name", flat=True)
        )
        for number, name, short_name in DEPARTMENTS:
            if short_name not in departments:
                create_agency(
                    code=province_agency_code(province, number),
                    name=f"{name} {where}",
                    short_name=short_name,
                    level=Agency.Level.DEPARTMENT,
                    parent=committee,
                    actor=None,
                )

        if not mine.filter(level=Agency.Level.SERVICE_CENTRE).exists():
            create_agency(
                code=province_agency_code(province, SERVICE_CENTRE_NUMBER),
                name=f"Trung tâm Phục vụ hành chính công {where}",
                short_name="TTPVHCC",
                level=Agency.Level.SERVICE_CENTRE,
                parent=committee,
                actor=None,
            )

        commune_committees = {
            a.commune_id: a for a in mine.filter(level=Agency.Level.COMMUNE, commune__isnull=False)
        }
        with_desk = set(
            mine.filter(level=Agency.Level.UNIT, short_name=ONE_STOP_DESK).values_list(
                "parent_id", flat=True
            )
        )
        communes = Commune.objects.filter(province=province).order_by("code")
        for index, commune in enumerate(communes, start=1):
            label = _commune_label(commune)
            local = commune_committees.get(commune.pk)
            if local is None:
                local = create_agency(
                    code=commune_agency_code(province, index),
                    name=f"Ủy ban nhân dân {label}",
                    short_name="UBND",
                    level=Agency.Level.COMMUNE,
                    parent=committee,
                    commune=commune,
                    actor=None,
                )
            if local.is_active and local.pk not in with_desk:
                create_agency(
                    code=commune_agency_code(province, index, desk=True),
                    name=f"Bộ phận Một cửa {label}",
                    short_name=ONE_STOP_DESK,
                    level=Agency.Level.UNIT,
                    parent=local,
                    commune=commune,
                    actor=None,
                )
