"""Demo data for field reports: categories, routing for the demo communes, a few published
reports. Idempotent: what exists (found by code, or by category and description) is kept.

Categories and deadlines are ILLUSTRATIVE (UNCONFIRMED): each province sets its own.

Each demo report carries a photo, as real ones do: a scene drawn with Pillow at load time
(a pothole, dark streetlights, rubbish by a market), saved as JPEG and passed through the same
check and metadata stripping as a citizen's upload (`media.clean_photo`).
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tinhso.feedback import actions, media
from tinhso.feedback.models import Attribute, Category, Report, RoutingRule
from tinhso.places import demo as places_demo
from tinhso.places.models import Agency, Commune
from tinhso.places.queries import home_province

# code, name, group, description, working days, default agency (short name; None = UBND tỉnh)
CATEGORIES = (
    ("giao-thong", "Hư hỏng đường, cầu, vỉa hè", "Hạ tầng", "Ổ gà, sụt lún, vỉa hè vỡ.", 5, "SXD"),
    ("chieu-sang", "Đèn chiếu sáng công cộng", "Hạ tầng", "Đèn đường hỏng, không sáng.", 3, "SXD"),
    (
        "rac-thai",
        "Rác thải, vệ sinh môi trường",
        "Môi trường",
        "Rác tồn đọng, đổ trộm.",
        2,
        "SNNMT",
    ),
    ("ngap-ung", "Ngập úng, thoát nước", "Môi trường", "Ngập sau mưa, cống tắc.", 3, "SNNMT"),
    ("xay-dung", "Xây dựng trái phép", "Trật tự đô thị", "Công trình không phép.", 10, "SXD"),
    ("trat-tu", "Trật tự công cộng, lấn chiếm", "Trật tự đô thị", "Lấn chiếm lòng đường.", 5, None),
)
# Categories the demo communes handle themselves (their People's Committee).
LOCAL = ("rac-thai", "trat-tu", "giao-thong")
DEMO_COMMUNES = 3
AFTER = ("places",)  # `tinhso demo load` (tinhso.core.demo): the demo agencies first
REPORTS = (
    ("giao-thong", "Ổ gà lớn giữa đường, xe máy dễ ngã khi trời mưa.", "resolved"),
    ("chieu-sang", "Ba cột đèn liên tiếp không sáng từ tuần trước.", "in_progress"),
    ("rac-thai", "Rác tồn đọng ở góc chợ hơn ba ngày.", "received"),
)


def _scene(category: str) -> bytes:
    """A small drawn photo of what the report is about (JPEG, 640 × 480)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (150, 196, 230))  # sky
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 260, 640, 480), fill=(96, 96, 100))  # road
    draw.polygon([(0, 260), (120, 260), (0, 330)], fill=(90, 150, 80))  # verge
    for x in range(20, 640, 120):  # lane markings
        draw.rectangle((x, 360, x + 60, 370), fill=(235, 235, 235))
    if category == "giao-thong":
        draw.ellipse((220, 380, 430, 450), fill=(48, 40, 36))  # the pothole
        draw.ellipse((245, 392, 405, 438), fill=(110, 100, 80))  # muddy water in it
        draw.polygon([(470, 420), (500, 360), (530, 420)], fill=(230, 120, 20))  # a cone
    elif category == "chieu-sang":
        image.paste((40, 48, 80), (0, 0, 640, 260))  # night
        for x in (90, 300, 510):
            draw.rectangle((x, 90, x + 10, 270), fill=(70, 70, 70))  # poles
            draw.rectangle((x, 90, x + 60, 100), fill=(70, 70, 70))
            draw.ellipse((x + 45, 96, x + 75, 116), fill=(60, 60, 60))  # dark lamps
    else:
        draw.rectangle((360, 120, 620, 260), fill=(190, 80, 60))  # market stall
        for x, colour in ((80, (30, 120, 60)), (150, (40, 40, 40)), (200, (220, 220, 210))):
            draw.ellipse((x, 300, x + 110, 380), fill=colour)  # bags of rubbish
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def demo_photo(category: str) -> media.CleanPhoto:
    """The scene through the upload path: content checked, metadata stripped."""
    return media.clean_photo(_scene(category))


def demo_communes() -> list[Commune]:
    return list(Commune.objects.filter(province=home_province()).order_by("code")[:DEMO_COMMUNES])


def load_demo() -> None:
    places_demo.load_demo()
    province = home_province()
    agencies = {
        a.short_name: a
        for a in Agency.objects.filter(province=province, level=Agency.Level.DEPARTMENT)
    }
    committee = Agency.objects.get(province=province, level=Agency.Level.PROVINCE, parent=None)
    with transaction.atomic():
        categories = {}
        for code, name, group, description, days, owner in CATEGORIES:
            category, _ = Category.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "group": group,
                    "description": description,
                    "deadline_days": days,
                },
            )
            categories[code] = category
            if not RoutingRule.objects.filter(category=category, commune=None).exists():
                actions.set_route(category, None, agencies.get(owner or "", committee), actor=None)
        Attribute.objects.get_or_create(
            category=categories["chieu-sang"],
            code="so-cot",
            defaults={
                "description": "Số cột đèn bị hỏng",
                "datatype": Attribute.Datatype.NUMBER,
                "order": 1,
            },
        )
        Attribute.objects.get_or_create(
            category=categories["giao-thong"],
            code="muc-do",
            defaults={
                "description": "Mức độ nguy hiểm",
                "datatype": Attribute.Datatype.SINGLE,
                "is_required": False,
                "order": 1,
                "values": [
                    {"key": "thap", "name": "Thấp"},
                    {"key": "cao", "name": "Cao, dễ gây tai nạn"},
                ],
            },
        )
        communes = demo_communes()
        for commune in communes:
            local = Agency.objects.filter(level=Agency.Level.COMMUNE, commune=commune).first()
            for code in LOCAL:
                if (
                    local
                    and not RoutingRule.objects.filter(
                        category=categories[code], commune=commune
                    ).exists()
                ):
                    actions.set_route(categories[code], commune, local, actor=None)
    if not communes:
        return
    now = timezone.now()
    for index, (code, text, state) in enumerate(REPORTS):
        category = categories[code]
        if Report.objects.filter(category=category, description=text).exists():
            continue
        commune = communes[index % len(communes)]
        report = actions.submit_report(
            actions.NewReport(
                category=category,
                description=text,
                commune=commune,
                address=f"Trung tâm {commune}",
                consents_to_publish=True,
                is_anonymous=True,
                photos=(demo_photo(code),),
            ),
            now=now - timedelta(days=3 - index),
        )
        if state in {"in_progress", "resolved"}:
            actions.start_work(report, actor=None)
        if state == "resolved":
            actions.resolve_report(
                report,
                answer="Đã vá ổ gà và cắm biển cảnh báo trong thời gian chờ sửa.",
                actor=None,
            )
