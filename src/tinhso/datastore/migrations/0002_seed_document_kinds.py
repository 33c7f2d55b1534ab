"""Data: the common kinds of document a citizen or organisation keeps in the store.

National result codes (MaKetQua) are those of the national procedure data (the samples'
`resultsDetails[].code`); a kind without one is matched by name. Reversible: the reverse
removes only the kinds seeded here that no document uses.
"""

from django.db import migrations

KINDS = [
    # code, Vietnamese name, national result code where known
    ("CCCD", "Căn cước công dân", ""),
    ("CANCUOC", "Thẻ căn cước", ""),
    ("HOCHIEU", "Hộ chiếu", ""),
    ("GKS", "Giấy khai sinh", "KQ.G15.000031"),
    ("GCNKH", "Giấy chứng nhận kết hôn", "KQ.G15.000032"),
    ("TL-CMC", "Trích lục đăng ký nhận cha, mẹ, con", "KQ.G15.000033"),
    ("TL-LH", "Trích lục ghi chú ly hôn", "KQ.G15.000040"),
    ("TL-GH", "Trích lục đăng ký giám sát việc giám hộ", "KQ.G15.000289"),
    ("TL-HT", "Bản sao trích lục hộ tịch", "000.00.00.G08-KQ0033"),
    ("TL-GCKH", "Trích lục ghi chú kết hôn", "000.00.00.G08-KQ0014"),
    ("LLTP", "Phiếu lý lịch tư pháp", ""),
    ("GCN-QSDD", "Giấy chứng nhận quyền sử dụng đất", "KQ.G10.001147"),
    ("GCN-DKDN", "Giấy chứng nhận đăng ký doanh nghiệp", "KQ.G12.001044"),
    ("GPXD", "Giấy phép xây dựng", "KQ.G17.000231"),
    ("CCHN-XD", "Chứng chỉ hành nghề hoạt động xây dựng", "KQ.G17.000034"),
    ("GPLX", "Giấy phép lái xe", ""),
    ("BANG-TN", "Bằng tốt nghiệp", ""),
    ("KQ-TTHC", "Kết quả giải quyết thủ tục hành chính", ""),
    ("KHAC", "Giấy tờ khác", ""),
]


def seed(apps, schema_editor):
    DocumentKind = apps.get_model("datastore", "DocumentKind")
    for code, name, national in KINDS:
        DocumentKind.objects.update_or_create(
            code=code, defaults={"name": name, "national_code": national}
        )


def unseed(apps, schema_editor):
    DocumentKind = apps.get_model("datastore", "DocumentKind")
    DocumentKind.objects.filter(code__in=[k[0] for k in KINDS], documents__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("datastore", "0001_documents_shares_reads")]

    operations = [migrations.RunPython(seed, unseed)]
