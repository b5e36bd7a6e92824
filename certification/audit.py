"""Verifying the audit trail: a tenant's certification event chain against its keyed hashes, its
checkpoints (in the database and exported to files) and its certifications' current state.

What it finds, and the first instance of each kind it reports (docs/security.md, "Audit trail"):

- in the chain: a gap in the sequence numbers, a row whose previous hash or keyed hash does not
  match (rewritten, or hashed with the plain sha256 of earlier releases or any key but ours), a
  row signed with an unknown key;
- against the checkpoints: events cut from the end or the whole chain emptied (a checkpoint names
  a sequence number past the chain's end), a row rewritten after a checkpoint, a checkpoint with a
  bad signature, one naming fewer events than its head's sequence number, one whose sequence
  number is below an earlier one's (the chain went backwards), an exported checkpoint missing
  from the database;
- against the certifications: one whose status or validity differs from what its latest event
  says, one without events, events of a certification that is not there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .chain import EVENT_FIELDS, VALIDITY_FIELDS, checkpoint_signature, event_mac, keyring
from .models import Certification, CertificationEvent, ChainCheckpoint

FILE_FORMAT = "skillgate-certification-checkpoints"
FILE_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as the verifier compares it, from the database or from a file."""

    source: str
    tenant_id: int
    checkpoint_id: int
    seq: int
    head_hash: str
    count: int
    at: datetime
    key_id: str
    signature: str

    @property
    def label(self) -> str:
        return f"checkpoint id={self.checkpoint_id} of {self.at.isoformat()} ({self.source})"

    def signed(self, ring: dict[str, bytes]) -> bool:
        key = ring.get(self.key_id)
        return key is not None and self.signature == checkpoint_signature(
            tenant_id=self.tenant_id,
            seq=self.seq,
            head_hash=self.head_hash,
            count=self.count,
            at=self.at,
            key_id=self.key_id,
            key=key,
        )


@dataclass
class TenantReport:
    tenant_id: int
    slug: str
    events: int = 0
    checkpoints: int = 0
    external: int = 0
    certifications: int = 0
    # Certifications whose latest status change predates the keyed chain: it recorded no
    # validity, so only their status is compared.
    validity_unrecorded: int = 0
    problems: list[str] = field(default_factory=list)


class CheckpointFileError(ValueError):
    """A checkpoint file that cannot be read as one (says which and where)."""


# --- files ---------------------------------------------------------------------------------------


def export_document(entries: Iterable[tuple[int, str, dict]], *, exported_at: datetime) -> dict:
    """The file of checkpoints: one (tenant id, tenant slug, checkpoint payload) per entry."""
    return {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "exported_at": exported_at.isoformat(),
        "checkpoints": [
            {"tenant_id": tenant_id, "tenant": slug, **payload}
            for tenant_id, slug, payload in entries
        ],
    }


_ENTRY_FIELDS = {
    "tenant_id": int,
    "checkpoint_id": int,
    "seq": int,
    "count": int,
    "head_hash": str,
    "at": str,
    "key_id": str,
    "signature": str,
}


def load_checkpoint_file(path: str | Path) -> list[Checkpoint]:
    """The checkpoints of an exported file; CheckpointFileError names what is wrong where."""
    source = str(path)
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointFileError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointFileError(f"{source}: not a JSON document ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise CheckpointFileError(f'{source}: not a checkpoint file (no "format": "{FILE_FORMAT}")')
    if document.get("version") != FILE_VERSION:
        raise CheckpointFileError(f"{source}: version {document.get('version')!r} is not known")
    entries = document.get("checkpoints")
    if not isinstance(entries, list):
        raise CheckpointFileError(f'{source}: "checkpoints" must be a list')
    checkpoints = []
    for index, entry in enumerate(entries):
        where = f"{source}: checkpoints[{index}]"
        if not isinstance(entry, dict):
            raise CheckpointFileError(f"{where} must be an object")
        for name, kind in _ENTRY_FIELDS.items():
            value = entry.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise CheckpointFileError(f"{where}.{name} must be a {kind.__name__}")
        try:
            at = datetime.fromisoformat(entry["at"])
        except ValueError as exc:
            raise CheckpointFileError(f"{where}.at is not an RFC 3339 time") from exc
        if at.tzinfo is None:
            raise CheckpointFileError(f"{where}.at has no UTC offset")
        checkpoints.append(
            Checkpoint(
                source=source,
                tenant_id=entry["tenant_id"],
                checkpoint_id=entry["checkpoint_id"],
                seq=entry["seq"],
                head_hash=entry["head_hash"],
                count=entry["count"],
                at=at,
                key_id=entry["key_id"],
                signature=entry["signature"],
            )
        )
    return checkpoints


# --- verification --------------------------------------------------------------------------------


def _stored_checkpoints(tenant_id: int) -> list[Checkpoint]:
    rows = (
        ChainCheckpoint.objects.filter(tenant_id=tenant_id)
        .order_by("pk")
        .values_list("pk", "seq", "head_hash", "count", "at", "key_id", "signature")
    )
    return [
        Checkpoint("database", tenant_id, pk, seq, head_hash, count, at, key_id, signature)
        for pk, seq, head_hash, count, at, key_id, signature in rows
    ]


@dataclass
class _Walk:
    """What walking the chain leaves: its end, the hashes at the checkpoints' sequence numbers,
    and each certification's latest status and validity with the event that said so."""

    last_seq: int = 0
    count: int = 0
    hashes: dict[int, str] = field(default_factory=dict)
    status: dict[int, tuple[str, int]] = field(default_factory=dict)
    validity: dict[int, tuple[dict, int]] = field(default_factory=dict)
    problem: str | None = None


def _walk(tenant_id: int, ring: dict[str, bytes], wanted: set[int]) -> _Walk:
    walk = _Walk()
    prev = ""
    rows = (
        CertificationEvent.objects.filter(tenant_id=tenant_id)
        .order_by("seq")
        .values("id", *EVENT_FIELDS, "prev_hash", "hash")
        .iterator(chunk_size=2000)
    )
    for row in rows:
        seq, where = row["seq"], f"event seq={row['seq']} (id={row['id']})"
        walk.count += 1
        if walk.problem is None:
            key = ring.get(row["key_id"])
            if seq != walk.last_seq + 1:
                walk.problem = (
                    f"sequence gap: seq {walk.last_seq + 1} is missing, the next event is {where}"
                )
            elif row["prev_hash"] != prev:
                walk.problem = f"{where}: previous hash does not match"
            elif key is None:
                walk.problem = f"{where}: signed with an unknown key id {row['key_id']!r}"
            elif event_mac(row=row, prev_hash=prev, key=key) != row["hash"]:
                walk.problem = (
                    f"{where}: content does not match its keyed hash "
                    "(rewritten, or hashed without the key)"
                )
        walk.last_seq = seq
        prev = row["hash"]
        if seq in wanted:
            walk.hashes[seq] = row["hash"]
        cert = row["certification_id"]
        walk.status[cert] = (row["new_status"], seq)
        data = row["data"]
        if isinstance(data, dict) and isinstance(data.get("validity"), dict):
            walk.validity[cert] = (data["validity"], seq)
    return walk


def _checkpoint_problem(
    stored: list[Checkpoint], external: list[Checkpoint], walk: _Walk, ring: dict[str, bytes]
) -> str | None:
    highest: Checkpoint | None = None
    for checkpoint in stored:
        if not checkpoint.signed(ring):
            return f"{checkpoint.label}: signature does not match"
        if highest is not None and checkpoint.seq < highest.seq:
            return (
                f"{checkpoint.label} names seq {checkpoint.seq}, below seq {highest.seq} of the "
                f"earlier {highest.label}: the chain went backwards"
            )
        if checkpoint.count != checkpoint.seq:
            return (
                f"{checkpoint.label} counted {checkpoint.count} events up to seq {checkpoint.seq}: "
                "events were missing when it was taken"
            )
        highest = checkpoint
    for checkpoint in external:
        if not checkpoint.signed(ring):
            return f"{checkpoint.label}: signature does not match"
    for checkpoint in [*external, *stored]:
        if checkpoint.seq > walk.last_seq:
            return (
                f"the chain ends at seq {walk.last_seq}, but {checkpoint.label} names seq "
                f"{checkpoint.seq}: events were deleted from its end"
            )
        if walk.hashes.get(checkpoint.seq) != checkpoint.head_hash:
            return (
                f"event seq={checkpoint.seq} does not match {checkpoint.label}: "
                "it was rewritten or removed after the checkpoint"
            )
    in_database = {(c.checkpoint_id, c.seq, c.signature) for c in stored}
    for checkpoint in external:
        if (checkpoint.checkpoint_id, checkpoint.seq, checkpoint.signature) not in in_database:
            return f"{checkpoint.label} is missing from the database's checkpoints"
    return None


def _parse(value) -> datetime | str | None:
    """A recorded time; anything else as found, so that it compares unequal to any time."""
    try:
        return datetime.fromisoformat(value) if value is not None else None
    except (TypeError, ValueError):
        return str(value)


def _show(value) -> str:
    if value is None:
        return "none"
    return repr(value.isoformat() if isinstance(value, datetime) else value)


def _state_problem(tenant_id: int, walk: _Walk, report: TenantReport) -> str | None:
    unseen = set(walk.status)
    problem = None
    rows = (
        Certification.objects.filter(tenant_id=tenant_id)
        .order_by("pk")
        .values_list("pk", "status", *VALIDITY_FIELDS)
        .iterator(chunk_size=2000)
    )
    for pk, status, *validity in rows:
        report.certifications += 1
        unseen.discard(pk)
        if problem is not None:
            continue
        said = walk.status.get(pk)
        if said is None:
            problem = f"certification {pk}: status expected (no event), found {status!r}"
            continue
        if said[0] != status:
            problem = (
                f"certification {pk}: status expected {said[0]!r} (event seq={said[1]}), "
                f"found {status!r}"
            )
            continue
        recorded = walk.validity.get(pk)
        if recorded is None:
            report.validity_unrecorded += 1
            continue
        for name, found in zip(VALIDITY_FIELDS, validity, strict=True):
            expected = _parse(recorded[0].get(name))
            if expected != found:
                problem = (
                    f"certification {pk}: {name} expected {_show(expected)} "
                    f"(event seq={recorded[1]}), found {_show(found)}"
                )
                break
    if problem is None and unseen:
        pk = min(unseen)
        problem = f"certification {pk}: has events (seq={walk.status[pk][1]}) but no row"
    return problem


def verify_tenant(
    *, tenant_id: int, slug: str, external: Iterable[Checkpoint] = ()
) -> TenantReport:
    """Verify one tenant's trail; ``report.problems`` holds the first problem of each kind found
    (chain, checkpoints, certifications), empty when the trail is intact."""
    _kid, ring = keyring()
    report = TenantReport(tenant_id=tenant_id, slug=slug)
    stored = _stored_checkpoints(tenant_id)
    external = [c for c in external if c.tenant_id == tenant_id]
    report.checkpoints, report.external = len(stored), len(external)
    walk = _walk(tenant_id, ring, {c.seq for c in [*stored, *external]})
    report.events = walk.count
    for problem in (
        walk.problem,
        _checkpoint_problem(stored, external, walk, ring),
        _state_problem(tenant_id, walk, report),
    ):
        if problem is not None:
            report.problems.append(problem)
    return report
