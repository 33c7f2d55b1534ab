"""The back office's test world: agencies, officials with roles, a route, dossiers by state."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.forms.models import model_to_dict
from django.utils import timezone

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.models import (
    Apology,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierResult,
    OpinionRequest,
    ProcessingRoute,
    RouteStep,
    StepRecord,
    SupplementRequest,
)
from tinhso.people import actions as people_actions
from tinhso.people.models import Role, User
from tinhso.places.models import Agency

from . import support


def official(username: str, full_name: str, *roles: tuple[str, Agency]) -> User:
    user = people_actions.create_official(
        username=username,
        full_name=full_name,
        email=f"{username}@example.com",
        password=support.PASSWORD,
        actor=None,
    )
    for role, agency in roles:
        people_actions.grant_role(user, agency, role, actor=None)
    return user


def ready_draft(version: Any, user: User) -> Dossier:
    draft = actions.start_draft(version, user=user)
    # the applicant's name is left to the account: each person files as themselves
    assert actions.save_form(draft, {"ngay_sinh": "1990-05-12"}, user=user) == {}
    tk = version.components.get(code="TK")
    actions.attach_file(draft, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=user)
    actions.choose_delivery(draft, "online", user=user)
    return draft


def state_of_the_world(dossier: Dossier) -> dict[str, Any]:
    """Everything a refused action must leave untouched."""
    row = Dossier.objects.get(pk=dossier.pk)
    return {
        "row": {k: v for k, v in model_to_dict(row).items()},
        "updated_at": row.updated_at,
        "counts": [
            model.objects.filter(dossier=row).count()
            for model in (
                StepRecord,
                SupplementRequest,
                DossierResult,
                Apology,
                DossierEvent,
                DossierFile,
                OpinionRequest,
            )
        ],
        "steps": list(StepRecord.objects.filter(dossier=row).values()),
        "audit": AuditRecord.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


@dataclass
class Office:
    agencies: dict[str, Agency]
    version: Any
    citizen: User
    route: ProcessingRoute
    tiepnhan: User
    chuyenvien: User
    truongphong: User
    lanhdao: User
    vanthu: User
    outsider: User

    @classmethod
    def build(cls, agencies: dict[str, Agency], version: Any, citizen: User) -> Office:
        committee, justice = agencies["UBND"], agencies["STP"]
        centre = Agency.objects.create(
            code="000.00.01.H66",
            name="Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
            short_name="TTPVHCC",
            level=Agency.Level.SERVICE_CENTRE,
            parent=committee,
            province=committee.province,
        )
        building = Agency.objects.create(
            code="000.00.05.H66",
            name="Sở Xây dựng tỉnh Đắk Lắk",
            short_name="SXD",
            level=Agency.Level.DEPARTMENT,
            parent=committee,
            province=committee.province,
        )
        agencies = {**agencies, "centre": centre, "SXD": building}
        route = ProcessingRoute.objects.create(procedure=version.procedure, number=1)
        RouteStep.objects.create(
            route=route,
            position=1,
            name="Thẩm định hồ sơ",
            role=Role.SPECIALIST,
            share_percent=Decimal(70),
        )
        RouteStep.objects.create(
            route=route,
            position=2,
            name="Phê duyệt",
            role=Role.LEADER,
            share_percent=Decimal(30),
        )
        return cls(
            agencies=agencies,
            version=version,
            citizen=citizen,
            route=route,
            tiepnhan=official("tiepnhan", "Trần Thị Bình", (Role.RECEIVING_OFFICER, centre)),
            chuyenvien=official("chuyenvien", "Lê Văn Cường", (Role.SPECIALIST, justice)),
            truongphong=official("truongphong", "Vũ Thị Hà", (Role.HEAD_OF_UNIT, justice)),
            lanhdao=official("lanhdao", "Phạm Minh Đức", (Role.LEADER, justice)),
            vanthu=official("vanthu", "Hoàng Thị Lan", (Role.CLERK, justice)),
            outsider=official(
                "ngoai",
                "Đỗ Quang Huy",
                *[(r, building) for r in (Role.RECEIVING_OFFICER, Role.SPECIALIST, Role.LEADER)],
                (Role.HEAD_OF_UNIT, building),
                (Role.CLERK, building),
            ),
        )

    # --- dossiers in each state ---
    def submitted(self) -> Dossier:
        return actions.submit(ready_draft(self.version, self.citizen), user=self.citizen)

    def received(self) -> Dossier:
        return actions.receive(self.submitted(), officer=self.tiepnhan)

    def at_leader(self) -> Dossier:
        return actions.forward(self.received(), officer=self.chuyenvien)

    def approved(self, *, with_result: bool = False) -> Dossier:
        dossier = actions.approve(self.at_leader(), officer=self.lanhdao)
        if with_result:
            actions.attach_result(
                dossier, "Phiếu lý lịch tư pháp", support.pdf_bytes("kq"), officer=self.vanthu
            )
        return dossier

    def in_state(self, state: str, action: str) -> Dossier:
        """A dossier in `state`, set up so that `action` could succeed if the table allows."""
        S = Dossier.State
        if state == S.DRAFT:
            return ready_draft(self.version, self.citizen)
        if state == S.SUBMITTED:
            return self.submitted()
        if state == S.RECEIVED:
            if action in {"approve", "refuse", "return_to_step"}:
                return self.at_leader()
            if action == "give_opinion":
                dossier = self.received()
                actions.request_opinions(
                    dossier,
                    officer=self.chuyenvien,
                    agencies=[self.agencies["SXD"]],
                    question="Đề nghị cho ý kiến",
                )
                return dossier
            return self.received()
        if state == S.SUPPLEMENT_REQUESTED:
            dossier = self.received()
            actions.request_supplement(
                dossier,
                reason="Thiếu trang 2",
                fields=[],
                component_ids=[],
                officer=self.chuyenvien,
            )
            return dossier
        if state == S.APPROVED:
            return self.approved(with_result=action == "mark_ready")
        if state == S.REFUSED:
            return actions.refuse(
                self.at_leader(), officer=self.lanhdao, reason="Không đủ điều kiện"
            )
        if state == S.RESULT_READY:
            return actions.mark_ready(self.approved(with_result=True), officer=self.vanthu)
        if state == S.RETURNED:
            ready = actions.mark_ready(self.approved(with_result=True), officer=self.vanthu)
            return actions.return_result(ready, officer=self.tiepnhan, how="online")
        if state == S.REJECTED:
            return actions.reject(self.submitted(), officer=self.tiepnhan, reason="Sai thủ tục")
        if state == S.WITHDRAWN:
            return actions.withdraw(self.submitted(), user=self.citizen)
        raise AssertionError(state)

    def perform(self, action: str, dossier: Dossier) -> Any:
        """Call `action` as the official (or citizen) the table says performs it."""
        from datetime import timedelta

        if action == "receive":
            return actions.receive(dossier, officer=self.tiepnhan)
        if action == "request_supplement":
            officer = self.chuyenvien if dossier.state == "received" else self.tiepnhan
            return actions.request_supplement(
                dossier,
                reason="Bản chụp bị mờ",
                fields=[],
                component_ids=[],
                officer=officer,
                items=[actions.MissingItem(self.version.components.get(code="TK").pk, "Bị mờ")],
            )
        if action == "reject":
            return actions.reject(dossier, officer=self.tiepnhan, reason="Không thuộc thẩm quyền")
        if action == "assign":
            return actions.assign(dossier, officer=self.truongphong, to=self.chuyenvien)
        if action == "forward":
            return actions.forward(dossier, officer=self.chuyenvien, note="Đủ điều kiện")
        if action == "request_opinions":
            return actions.request_opinions(
                dossier,
                officer=self.chuyenvien,
                agencies=[self.agencies["SXD"]],
                question="Đề nghị cho ý kiến về hiện trạng công trình",
            )
        if action == "give_opinion":
            return actions.give_opinion(
                dossier, officer=self.outsider, answer="Thống nhất với đề xuất"
            )
        if action == "return_to_step":
            return actions.return_to_step(
                dossier, officer=self.lanhdao, position=1, reason="Xem lại ngày sinh"
            )
        if action == "extend":
            base = actions.current_appointment(dossier) or timezone.now()
            return actions.extend(
                dossier,
                officer=self.truongphong,
                reason="Chờ xác minh",
                new_appointment=base + timedelta(days=3),
            )
        if action == "approve":
            return actions.approve(dossier, officer=self.lanhdao)
        if action == "refuse":
            return actions.refuse(dossier, officer=self.lanhdao, reason="Không đủ điều kiện")
        if action == "attach_result":
            return actions.attach_result(
                dossier, "Phiếu lý lịch tư pháp", support.pdf_bytes("kq"), officer=self.vanthu
            )
        if action == "mark_ready":
            return actions.mark_ready(dossier, officer=self.vanthu)
        if action == "return_result":
            return actions.return_result(dossier, officer=self.tiepnhan, how="desk")
        if action == "withdraw":
            return actions.withdraw(dossier, user=self.citizen, reason="Không còn nhu cầu")
        if action == "submit":
            return actions.submit(dossier, user=self.citizen)
        if action == "answer_supplement":
            return actions.answer_supplement(dossier, {}, "Đã bổ sung", user=self.citizen)
        raise AssertionError(action)
