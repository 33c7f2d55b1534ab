"""Số hóa tại quầy and reuse at the counter: the officer scans a paper component of a counter
(or postal) dossier, enters its metadata and certifies the digital copy with their own
signature (PAdES, documents module); the copy enters the citizen's data store with
provenance "digitised" and the dossier's file points to it (DuocSoHoa).

Legal sources: Decree 45/2020/NĐ-CP (digitised results and components enter the citizen's
store and are not asked for again); Decree 23/2015/NĐ-CP and Decree 107/2021/NĐ-CP (a copy
certified from the original, chứng thực bản sao từ bản chính; the electronic form as
"bản sao điện tử được chứng thực") — article-level conditions were not read [UNCONFIRMED];
docs/datastore.md says what was decided.

The scan is converted to PDF (an image scan becomes one page) and signed before any
transaction opens (signing may reach a remote service or a token); the store's row and the
dossier's file are then written in one transaction, and the stored file is removed if it
rolls back.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.text import normalize
from tinhso.dossiers import errors, lifecycle
from tinhso.dossiers.actions._common import _ioc_changed, _locked, _may_receive
from tinhso.dossiers.errors import DossierError
from tinhso.dossiers.models import Dossier, DossierFile
from tinhso.dossiers.uploads import RejectedFile, check_file

PAPER_CHANNELS = frozenset({Dossier.Channel.COUNTER, Dossier.Channel.POST})
IMAGE_KINDS = frozenset({"jpg", "png"})
FIELD_NAME = "ChungThucBanSao"
# the stamp on the last page, bottom left, in PDF points (A4 is 595 × 842)
STAMP_BOX = (36, 24, 300, 84)


def may_digitise(user: Any, dossier: Dossier) -> bool:
    """An officer of a desk that may receive the dossier, for a dossier handed in on paper
    that is still open."""
    from tinhso.dossiers import permissions

    return (
        dossier.channel in PAPER_CHANNELS
        and dossier.state not in lifecycle.CLOSED
        and dossier.state != Dossier.State.DRAFT
        and bool(permissions.reception_agencies(user, dossier))
    )


def awaiting(user: Any) -> QuerySet[Dossier]:
    """Hàng đợi "Chờ số hóa": the open paper dossiers received at one of `user`'s desks with
    a component whose paper is not digitised yet (`_waiting`). Every dossier listed passes
    `may_digitise` for `user` (the recorded reception desk is one of the terms of
    `permissions.receivable_by`; tests/dossiers/test_digitisation_queue.py holds the two to
    the same answer)."""
    from tinhso.people.models import Role
    from tinhso.people.queries import agencies_where

    desks = [agency.pk for agency in agencies_where(user, Role.RECEIVING_OFFICER)]
    if not desks:
        return Dossier.objects.none()
    return Dossier.objects.filter(
        Exists(_waiting()),
        channel__in=PAPER_CHANNELS,
        reception_agency_id__in=desks,
    ).exclude(state__in=[*lifecycle.CLOSED, Dossier.State.DRAFT])


def _waiting() -> QuerySet[DossierFile, Any]:
    """A component file still waiting to be digitised: a scan taken at intake without "Đã số
    hóa", not a document reused from the store, and no certified copy of the same component
    made since (`digitise_component` adds the copy beside the scan, which stays as it was
    handed in). The same rule as `component_digitised`, as a subquery."""
    return (
        DossierFile.objects.filter(
            dossier=OuterRef("pk"),
            slot=DossierFile.Slot.COMPONENT,
            component__isnull=False,
            digitised=False,
            reused=False,
        )
        .exclude(
            Exists(
                DossierFile.objects.filter(
                    dossier=OuterRef("dossier"),
                    component=OuterRef("component"),
                    digitised=True,
                    from_stored__isnull=False,
                    reused=False,
                )
            )
        )
        .values("pk")
    )


def component_digitised(files: list[DossierFile]) -> bool:
    """A component counts as digitised (DuocSoHoa) when each of its files is, or when a
    certified copy of it was made at the counter (the scan handed in stays beside it)."""
    if not files:
        return False
    return all(f.digitised for f in files) or any(
        f.digitised and f.from_stored_id is not None and not f.reused for f in files
    )


def _not_digitised_yet(dossier: Dossier, component: Any) -> None:
    """Refuse a component that is already digitised (`component_digitised`): its certified
    copy is in the citizen's store, and a second one (the "Số hóa" form sent twice) would be
    a duplicate signed document there and a second file in the dossier."""
    files = list(DossierFile.objects.filter(dossier=dossier, component=component))
    if component_digitised(files):
        raise errors.invalid(
            errors.STORED_DOCUMENT_CHOSEN,
            "component",
            _("Thành phần “%(name)s” đã được số hóa và chứng thực; không cần số hóa lại.")
            % {"name": component.name[:80]},
        )


def as_pdf(file_name: str, content: bytes) -> bytes:
    """The scan as a PDF: a PDF as it is, a JPEG or PNG as one A4-wide page."""
    try:
        kind = check_file(file_name, content, already_in_dossier=0)
    except RejectedFile as exc:
        raise errors.invalid(errors.SCAN_REJECTED, "file", exc.message) from None
    if kind == "pdf":
        return content
    if kind not in IMAGE_KINDS:
        raise errors.invalid(errors.SCAN_REJECTED, "file")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            page = image.convert("RGB")
            out = io.BytesIO()
            # 595 points wide whatever the scan's pixels: the stamp box fits on the page
            page.save(out, format="PDF", resolution=max(page.width / 8.27, 1.0))
    except (Image.DecompressionBombError, OSError):  # too many pixels, or undecodable
        raise errors.invalid(errors.SCAN_REJECTED, "file") from None
    return out.getvalue()


def certify(pdf: bytes, officer: Any, *, pin: str = "") -> bytes:
    """The officer's PAdES signature on the copy ("chứng thực bản sao điện tử từ bản
    chính"), with their active certificate; OFFICER_HAS_NO_KEY without one."""
    from tinhso.datastore import errors as store_errors
    from tinhso.datastore.errors import DatastoreError
    from tinhso.documents import signing
    from tinhso.documents.actions import signing_key
    from tinhso.documents.models import Certificate

    certificate = (
        Certificate.objects.filter(owner_user=officer, state=Certificate.State.ACTIVE)
        .order_by("-not_after")
        .first()
    )
    if certificate is None:
        raise DatastoreError(store_errors.OFFICER_HAS_NO_KEY)
    name = getattr(officer, "display_name", "") or str(officer)
    try:
        return signing.sign_pdf(
            pdf,
            signing_key(certificate, pin),
            field_name=FIELD_NAME,
            stamp_text=(
                "Chứng thực bản sao điện tử từ bản chính\n"
                f"Người chứng thực: {name}\nThời gian: %(ts)s"
            ),
            box=STAMP_BOX,
            reason="Chứng thực bản sao điện tử từ bản chính",
        )
    except signing.SigningError as exc:
        raise errors.invalid(errors.SCAN_REJECTED, "file", str(exc)) from None


def digitise_component(
    dossier: Dossier,
    component_id: int,
    *,
    officer: Any,
    kind: Any,
    file_name: str,
    content: bytes,
    number: str = "",
    issuer_name: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
    pin: str = "",
) -> DossierFile:
    """Số hóa một thành phần: scan → PDF → the officer's certification → the citizen's store
    (provenance digitised, certified copy) → the dossier's file pointing to it (DuocSoHoa,
    not a reuse). Audited on the dossier (`dossier.component_digitised`) and on the stored
    document (`datastore.digitised`). Nothing is written when any step refuses."""
    from tinhso.datastore import actions as datastore
    from tinhso.people.models import Citizen

    _may_receive(officer, dossier)
    if not may_digitise(officer, dossier):
        raise DossierError(errors.NOT_A_PAPER_DOSSIER)
    component = dossier.version.components.filter(pk=component_id).first()
    if component is None:
        raise errors.invalid(errors.UNKNOWN_COMPONENT, "component")
    if kind is None:
        raise errors.invalid(errors.SCAN_KIND_REQUIRED, "kind")
    citizen = Citizen.objects.filter(user_id=dossier.owner_id).first()
    if citizen is None:
        raise DossierError(errors.NOT_A_PAPER_DOSSIER)
    _not_digitised_yet(dossier, component)  # early, before the signing's work
    pdf = as_pdf(file_name, content)
    signed = certify(pdf, officer, pin=pin)
    base = normalize(file_name).rsplit(".", 1)[0][:180] or "ban-so-hoa"
    stored_name = ""
    try:
        with transaction.atomic():
            locked = _locked(dossier)
            # Checked again under the lock: the dossier may have closed (or left the paper
            # channel) while the scan was being signed, and a second submit of the same form
            # (a double click) may have certified this component meanwhile; the lock comes
            # before the store's row so that the second one writes nothing.
            if not may_digitise(officer, locked):
                raise DossierError(errors.NOT_A_PAPER_DOSSIER)
            _not_digitised_yet(locked, component)
            document = datastore.digitise(  # DatastoreError (dates) rolls everything back
                citizen,
                officer=officer,
                kind=kind,
                file_name=f"{base}.pdf",
                content=signed,
                number=number,
                issuer_name=issuer_name,
                issued_on=issued_on,
                expires_on=expires_on,
                certified=True,
                source_dossier_code=dossier.code or "",
            )
            stored_name = document.file.name or ""
            item = DossierFile.objects.create(
                dossier=locked,
                component=component,
                original_name=f"{base}.pdf"[:255],
                kind="pdf",
                size=document.size,
                sha256=document.sha256,
                file=stored_name,
                from_stored=document,
                digitised=True,
                reused=False,
            )
            audit.record(
                "dossier.component_digitised",
                locked,
                actor=officer,
                changes={
                    "file": [
                        None,
                        {
                            "component": component.pk,
                            "stored": document.ref,
                            "sha256": document.sha256,
                            "at": timezone.now().isoformat(),
                        },
                    ]
                },
            )
            _ioc_changed(locked.pk)  # a digitised component counts in the IOC's rollups
    except BaseException:
        if stored_name:
            datastore._forget(stored_name)
        raise
    return item
