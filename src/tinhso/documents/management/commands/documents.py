"""`tinhso documents list`, `tinhso documents export <id> <dir>` and
`tinhso documents add-certificate`.

`list` prints one line per document: id, number and notation, direction, state.
`export` writes a document's PDF file(s) and its edXML package(s) to a folder, for archives
and for checking with other tools (pdfsig, xmlsec1); earlier draft versions are left out.
`add-certificate` registers an official's or agency's certificate: a PKCS#12 key file into
the embedded keystore (its password read from an environment variable, never from the
command line, which other users of the machine can see), or a certificate whose key stays on
a USB token (PKCS#11 URI).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.documents import actions
from tinhso.documents.models import Document, DocumentFile
from tinhso.people.models import User
from tinhso.places.models import Agency


class Command(BaseCommand):
    help = "Văn bản: list documents, export a document's signed files and edXML package."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("list", help="one line per document: id, number, direction, state")
        export = sub.add_parser("export", help="write a document's PDF(s) and edXML to a folder")
        export.add_argument("id", type=int)
        export.add_argument("dir", type=Path)
        add = sub.add_parser(
            "add-certificate", help="register a certificate: a PKCS#12 file, or a USB token's"
        )
        owner = add.add_mutually_exclusive_group(required=True)
        owner.add_argument("--user", help="the official's user name")
        owner.add_argument("--agency", help="the agency's identifier code (mã định danh)")
        key = add.add_mutually_exclusive_group(required=True)
        key.add_argument("--pkcs12", type=Path, help="key file (.p12, .pfx) from the CA")
        key.add_argument("--token-uri", help="where the key is: pkcs11:token=...;object=...")
        add.add_argument("--certificate", type=Path, help="with --token-uri: the PEM certificate")
        add.add_argument(
            "--password-env",
            default="TINHSO_PKCS12_PASSWORD",
            help="environment variable holding the PKCS#12 file's password",
        )
        add.add_argument("--stamp", type=Path, help="PNG of the signature or seal image")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "list":
            self._list()
        elif options["subcommand"] == "export":
            self._export(options["id"], options["dir"])
        else:
            self._add_certificate(options)

    def _add_certificate(self, options: dict[str, Any]) -> None:
        user = agency = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
        else:
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"no agency with code {options['agency']!r}")
        stamp = self._read(options["stamp"]) if options["stamp"] else None
        try:
            if options["pkcs12"]:
                password = os.environ.get(options["password_env"], "")
                cert = actions.import_pkcs12(
                    self._read(options["pkcs12"]),
                    password.encode(),
                    owner_user=user,
                    owner_agency=agency,
                    stamp_image=stamp,
                    actor=None,
                )
            else:
                if user is None:
                    raise CommandError("a key on a USB token belongs to an official: use --user")
                if not options["certificate"]:
                    raise CommandError("--token-uri needs --certificate <file.pem>")
                cert = actions.register_token_certificate(
                    self._read(options["certificate"]),
                    options["token_uri"],
                    owner_user=user,
                    stamp_image=stamp,
                    actor=None,
                )
        except actions.DocumentError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{cert.pk}\t{cert.subject}\t{cert.serial}\t{cert.not_after:%Y-%m-%d}")

    @staticmethod
    def _read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None

    def _list(self) -> None:
        for doc in Document.objects.order_by("id").iterator():
            number = doc.number_and_notation or "-"
            self.stdout.write(f"{doc.pk}\t{number}\t{doc.direction}\t{doc.state}")

    def _export(self, pk: int, folder: Path) -> None:
        doc = Document.objects.filter(pk=pk).first()
        if doc is None:
            raise CommandError(f"no document with id {pk}")
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        used: set[str] = set()
        # Earlier draft versions (the unsigned text before signing among them) stay in the
        # database; the export is the document as issued.
        for f in doc.files.exclude(kind=DocumentFile.Kind.VERSION).order_by("id"):
            name = Path(f.name).name or f"file-{f.pk}"
            if f.kind == DocumentFile.Kind.EDXML and not name.endswith(".edxml"):
                name += ".edxml"
            if name in used:
                name = f"{f.pk}-{name}"
            used.add(name)
            (folder / name).write_bytes(bytes(f.data))
            written.append(name)
        for name in written:
            self.stdout.write(str(folder / name))
