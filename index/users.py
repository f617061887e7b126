"""Who may sign in to the app, with what role and which access groups; what they did.

**Users** live in a JSON file beside the index data (``users.json`` next to the index folder:
``.tracuu/users.json`` by default, ``TRACUU_USERS`` elsewhere), never in the repository.  A
password is stored only as an Argon2id hash (``argon2-cffi``).  Roles, each with the rights of
the one before:

- ``reader``: search, read, the briefing basket;
- ``editor``: also upload, replace and remove documents;
- ``admin``: also manage users, read the audit log, restore a replaced document.

A user's ``groups`` are their access groups (:mod:`index.access`).  Repeated wrong passwords
are slowed: after :data:`FREE_FAILURES` failures in a row a user must wait, twice as long after
each further one (up to :data:`MAX_WAIT` seconds), before a password is checked again.

``python -m index users`` manages the file (add, passwd, set, disable, enable, list); a new
password is read from stdin, never from the command line (where ``ps`` and the shell history
would keep it).

**Audit.**  Every upload, replacement, removal, restore, sign-in and failed sign-in is appended
to ``audit.jsonl`` in the same folder (:func:`audit`): one JSON line with the time, the user,
the action, the document and the SHA-256 of the file.  Lines are only ever appended.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.access import parse_groups

ROLES = ("reader", "editor", "admin")
FREE_FAILURES = 3     # wrong passwords in a row before signing in is slowed
MAX_WAIT = 300.0      # seconds: the longest wait after wrong passwords
_NAME = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 8


class UserError(ValueError):
    """A bad user name, role or password, or an unknown user."""


@dataclass
class User:
    name: str
    role: str = "reader"
    groups: list[str] = field(default_factory=list)
    disabled: bool = False
    created: str = ""
    hash: str = ""
    failures: int = 0
    wait_until: float = 0.0

    def can(self, role: str) -> bool:
        """Whether the user has ``role``'s rights (an admin has an editor's, and so on)."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def public(self) -> dict:
        """What may be shown of the user (no hash)."""
        return {"name": self.name, "role": self.role, "groups": list(self.groups),
                "disabled": self.disabled, "created": self.created}


def data_dir(index_dir: Path | str) -> Path:
    """The folder of the users and audit files of an index: the one that holds it (the index
    path itself, not where its link points: an index folder is a link to its current
    version)."""
    return Path(os.path.abspath(index_dir)).parent


def users_file(index_dir: Path | str) -> Path:
    return Path(os.environ.get("TRACUU_USERS") or data_dir(index_dir) / "users.json")


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_name(name: str) -> str:
    name = str(name).strip()
    if not _NAME.match(name):
        raise UserError(f"bad user name {name!r}: letters, digits, '.', '_', '@' or '-' "
                        "(at most 64)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def new_password() -> str:
    """A random password for a first admin or a reset (about 95 bits)."""
    return secrets.token_urlsafe(12)


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path``'s lock file while the users file is read and rewritten
    (several app sessions and the shell command may change it at once)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class UserStore:
    """The users file of one index (see the module docstring)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @classmethod
    def for_index(cls, index_dir: Path | str) -> UserStore:
        return cls(users_file(index_dir))

    # --- reading and writing the file ------------------------------------------------------

    def _read(self) -> dict[str, User]:
        if not self.path.exists():
            return {}
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            return {row["name"]: User(**row) for row in rows["users"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{self.path}: not a users file this project wrote ({exc}); "
                            "restore it from the backup") from None

    def _write(self, users: dict[str, User]) -> None:
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"users": [asdict(u) for u in users.values()]},
                                  ensure_ascii=False, indent=1), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def _changing(self):
        with _locked(self.path):
            users = self._read()
            yield users
            self._write(users)

    # --- what the app and the shell command call ---------------------------------------------

    def users(self) -> list[User]:
        return sorted(self._read().values(), key=lambda u: u.name)

    def get(self, name: str) -> User | None:
        return self._read().get(name)

    def is_empty(self) -> bool:
        return not self._read()

    def add(self, name: str, password: str, role: str = "reader",
            groups: list[str] | str | None = None) -> User:
        name, role = check_name(name), check_role(role)
        check_password(password)
        with self._changing() as users:
            if name in users:
                raise UserError(f"user {name!r} exists; use `passwd` or `set`")
            user = User(name, role, parse_groups(groups),
                        created=dt.datetime.now().isoformat(timespec="seconds"),
                        hash=_hasher().hash(password))
            users[name] = user
        return user

    def _change(self, name: str, **changes) -> User:
        with self._changing() as users:
            if name not in users:
                raise UserError(f"no user {name!r}")
            user = users[name]
            for key, value in changes.items():
                setattr(user, key, value)
        return user

    def set_password(self, name: str, password: str) -> User:
        check_password(password)
        return self._change(name, hash=_hasher().hash(password), failures=0, wait_until=0.0)

    def set_role(self, name: str, role: str) -> User:
        return self._change(name, role=check_role(role))

    def set_groups(self, name: str, groups: list[str] | str | None) -> User:
        return self._change(name, groups=parse_groups(groups))

    def set_disabled(self, name: str, disabled: bool) -> User:
        return self._change(name, disabled=disabled)

    def first_admin(self) -> str | None:
        """On the very first start (no users yet): an ``admin`` with a new random password,
        which is returned to be shown once; None when there are users already."""
        with self._changing() as users:
            if users:
                return None
            password = new_password()
            users["admin"] = User("admin", "admin", [], created=dt.datetime.now().isoformat(
                timespec="seconds"), hash=_hasher().hash(password))
        return password

    def verify(self, name: str, password: str, now: float | None = None
               ) -> tuple[User | None, float]:
        """(the user, 0) when ``password`` is theirs and they may sign in; else (None, the
        seconds to wait before the next try, 0 when there is no wait).  A wrong password counts
        a failure; a try during the wait is refused without checking."""
        from argon2.exceptions import InvalidHashError, VerificationError

        now = time.time() if now is None else now
        with self._changing() as users:
            user = users.get(str(name).strip())
            if user is None:
                _hasher().hash(password)  # as slow as a real check: names are not told apart
                return None, 0.0
            if now < user.wait_until:
                return None, user.wait_until - now
            try:
                ok = _hasher().verify(user.hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
            if ok and not user.disabled:
                user.failures, user.wait_until = 0, 0.0
                return User(**asdict(user)), 0.0
            if not ok:
                user.failures += 1
                if user.failures >= FREE_FAILURES:
                    user.wait_until = now + min(MAX_WAIT,
                                                2.0 ** (user.failures - FREE_FAILURES + 1))
            return None, max(0.0, user.wait_until - now)


def first_admin_banner(password: str) -> str:
    """What the terminal shows on the very first start (as Jupyter shows its token)."""
    return ("\n  Tra cứu: first start. Sign in as  admin  with this one-time password:\n\n"
            f"      {password}\n\n  Then add users and change it: python -m index users "
            "--help (docs/deployment.md)\n")


# --- audit ------------------------------------------------------------------------------------

AUDIT_FIELDS = ("time", "user", "action", "doc_id", "file", "sha256", "detail")


def audit_file(index_dir: Path | str) -> Path:
    return data_dir(index_dir) / "audit.jsonl"


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def audit(index_dir: Path | str, user: str, action: str, doc_id: str = "",
          file: Path | str | None = None, detail: str = "") -> dict:
    """Append one event to the audit log (``upload``, ``replace``, ``remove``, ``restore``,
    ``sign-in``, ``sign-in failed``, user changes); returns it."""
    path = audit_file(index_dir)
    row = {"time": dt.datetime.now().isoformat(timespec="seconds"), "user": user,
           "action": action, "doc_id": doc_id,
           "file": Path(file).name if file else "",
           "sha256": file_sha256(file) if file and Path(file).is_file() else "",
           "detail": detail}
    with _locked(path), open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row


def read_audit(index_dir: Path | str) -> list[dict]:
    path = audit_file(index_dir)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def audit_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=AUDIT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
