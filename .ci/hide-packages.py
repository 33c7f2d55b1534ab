#!/usr/bin/env python3
"""Run a command as on a machine without some Debian packages: their files hidden.

    unshare --mount --propagation private python3 .ci/hide-packages.py PKG... -- COMMAND...

Run as root inside a new, private mount namespace (so nothing outside it changes). Hidden are
the named packages, the installed packages that depend on them, and every package installed
only for them: their dependencies and recommendations that no other installed package needs
and that nobody installed by hand (`apt-mark showmanual`). Each of their files and folders
that no other installed package owns is made absent: a whiteout in an overlay over the folder
that holds it, or, where that folder has other mounts below it, an empty file or folder
bind-mounted over it. The fontconfig caches are hidden too, so fonts are looked up afresh.
Then COMMAND runs in that view.

Used by `.ci/run` to prove that `make run` and a journey need none of the Debian packages that
`.ci/run` installs for the tests (deploy/debian-packages.txt).
"""

from __future__ import annotations

import ctypes
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

INFO = Path("/var/lib/dpkg/info")
MS_BIND = 4096


def _names(field: str) -> list[list[str]]:
    """`a (>= 1), b | c:any` → [["a"], ["b", "c"]]."""
    groups = []
    for group in field.split(","):
        names = [alt.strip().split(" ")[0].split(":")[0] for alt in group.split("|")]
        names = [n for n in names if n]
        if names:
            groups.append(names)
    return groups


@cache
def installed() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """For every installed package (names without architecture): what it depends on, and
    what it depends on or recommends."""
    out = subprocess.run(
        [  # noqa: S607 - found on PATH like every Debian tool
            "dpkg-query",
            "-W",
            "-f",
            "${Package}\t${db:Status-Status}\t${Depends}, ${Pre-Depends}\t${Recommends}\t"
            "${Provides}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = []
    provides: dict[str, set[str]] = {}
    for line in out.splitlines():
        name, status, depends, recommends, provided = (line.split("\t") + [""] * 5)[:5]
        if status != "installed":
            continue
        rows.append((name, depends, recommends))
        for group in _names(provided):
            for virtual in group:
                provides.setdefault(virtual, set()).add(name)
    present = {row[0] for row in rows}

    def resolve(field: str) -> set[str]:
        found: set[str] = set()
        for group in _names(field):
            for alt in group:
                if alt in present:
                    found.add(alt)
                found.update(provides.get(alt, set()))
        return found

    depends_on = {name: resolve(depends) for name, depends, _ in rows}
    wants = {name: depends_on[name] | resolve(recommends) for name, _, recommends in rows}
    return depends_on, wants


def closure(start: Iterable[str], edges: dict[str, set[str]], *, stop: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [p for p in start if p not in stop]
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        todo.extend(p for p in edges.get(package, ()) if p not in seen and p not in stop)
    return seen


def hidden_packages(requested: list[str]) -> set[str]:
    depends_on, wants = installed()
    present = set(depends_on)
    chosen = {p for p in requested if p in present}
    users: dict[str, set[str]] = {}
    for package, needed in depends_on.items():
        for other in needed:
            users.setdefault(other, set()).add(package)
    # Whatever depends on a hidden package cannot work without it: hide it as well.
    chosen = closure(chosen, users, stop=set())
    pulled_in = closure(chosen, wants, stop=set())
    manual = set(
        subprocess.run(
            ["apt-mark", "showmanual"],  # noqa: S607 - found on PATH like every Debian tool
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    roots = (present - pulled_in) | ((manual & pulled_in) - chosen)
    kept = closure(roots, wants, stop=chosen)
    return chosen | (pulled_in - kept)


def package_paths(package: str) -> set[str]:
    paths: set[str] = set()
    for listing in [INFO / f"{package}.list", *INFO.glob(f"{package}:*.list")]:
        if listing.exists():
            paths.update(line for line in listing.read_text().splitlines() if line)
    return paths


def paths_to_hide(hidden: set[str]) -> list[str]:
    """The files and folders of the hidden packages that no other installed package owns,
    outermost only (a hidden folder hides what it holds)."""
    visible: set[str] = set()
    for package in set(installed()[0]) - hidden:
        visible |= package_paths(package)
    candidates: set[str] = set()
    for package in hidden:
        candidates |= package_paths(package)
    candidates -= visible
    return sorted(
        path
        for path in candidates
        if path not in ("/", "/.")
        and os.path.dirname(path) not in candidates
        and os.path.lexists(path)
    )


def mount_points() -> set[str]:
    with open("/proc/self/mountinfo") as table:
        return {line.split()[4] for line in table}


def mount(source: str, target: str, kind: str | None, flags: int, options: str | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    done = libc.mount(
        source.encode(),
        target.encode(),
        kind.encode() if kind else None,
        flags,
        options.encode() if options else None,
    )
    if done != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source} on {target}: {os.strerror(error)}")


def hide(paths: list[str], scratch: Path) -> int:
    """Make `paths` absent. In each folder holding some: an overlay whose top layer has a
    whiteout for each (the names are then truly gone, symbolic links included); in a folder
    with other mounts below it (/etc in a container: hosts, resolv.conf), which an overlay
    would hide, an empty folder or file bind-mounted over each instead. Returns the mounts."""
    by_folder: dict[str, list[str]] = {}
    for path in paths:
        by_folder.setdefault(os.path.dirname(path), []).append(os.path.basename(path))
    empty_dir, empty_file = scratch / "folder", scratch / "file"
    empty_dir.mkdir()
    empty_file.write_bytes(b"")
    empty_file.chmod(0o644)  # not executable: shutil.which passes it by
    busy = mount_points()
    mounts = 0

    def bind_empties(folder: str, names: list[str]) -> int:
        done = 0
        for name in names:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.lexists(path):
                continue  # points into a hidden folder, at an emptied file, or already gone
            empty = empty_dir if os.path.isdir(path) else empty_file
            mount(str(empty), path, None, MS_BIND, None)
            done += 1
        return done

    for number, (folder, names) in enumerate(sorted(by_folder.items(), key=lambda f: len(f[0]))):
        if any(m.startswith(folder.rstrip("/") + "/") for m in busy):
            mounts += bind_empties(folder, names)
            continue
        whiteouts = scratch / f"layer-{number}"
        whiteouts.mkdir()
        for name in names:
            os.mknod(whiteouts / name, 0o600 | stat.S_IFCHR, os.makedev(0, 0))
        try:
            mount("overlay", folder, "overlay", 0, f"lowerdir={whiteouts}:{folder}")
        except OSError:
            # The kernel refuses some overlays (a folder below one already overlaid, past the
            # stacking limit): empties bound over each name hide them just as well.
            mounts += bind_empties(folder, names)
            continue
        busy.add(folder)
        mounts += 1
    return mounts


def main(argv: list[str]) -> None:
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    requested, command = argv[:split], argv[split + 1 :]
    if os.geteuid() != 0:
        sys.exit("hide-packages: run as root inside `unshare --mount --propagation private`")
    hidden = hidden_packages(requested)
    paths = paths_to_hide(hidden)
    scratch = Path(tempfile.mkdtemp(prefix="tinhso-hidden-"))
    mounts = hide(paths, scratch)
    caches = [Path("/var/cache/fontconfig"), Path.home() / ".cache" / "fontconfig"]
    for folder in caches:
        if folder.is_dir():
            fresh = Path(tempfile.mkdtemp(prefix="fontconfig-", dir=scratch))
            mount(str(fresh), str(folder), None, MS_BIND, None)
    print(
        f"hide-packages: {len(hidden)} packages hidden ({', '.join(sorted(hidden))}) "
        f"({len(paths)} files and folders, {mounts} mounts)",
        flush=True,
    )
    os.execvp(command[0], command)  # noqa: S606 - the command CI asked for


if __name__ == "__main__":
    main(sys.argv[1:])
