"""Personal fields of events, sealed with the data subject's key before the hash chain.

Which fields are personal is read off the event contracts: every payload field whose
description says "personal data" (``PERSONAL_FIELDS``; a unit test pins the list). Intake
seals them when it appends (:func:`seal_envelope`), so the event store, Kafka, projections
and replays only ever hold the sealed form, and the chain and its signed checkpoints cover
ciphertext: they still verify once a key is destroyed. Readers open them at the edge
(:class:`Revealer`), and show ``[erased]`` when the key is gone.

A sealed value is one string, so the contracts keep their shape:
``enc:v1:<subject>:<event id>:<event type>:<field path>:<nonce>:<ciphertext>`` (nonce and
ciphertext base64url). AES-256-GCM, a random 96-bit nonce, and the prefix up to the field
path as associated data: a sealed value copied into another event, field or subject does
not open there.
"""

import base64
import os
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

from shared.envelope import EventEnvelope
from shared.events import EVENT_TYPES, SEALED_PREFIX
from shared.keystore import NONCE_BYTES, KeyStore, SubjectErased

ERASED = "[erased]"
"""What readers show, and what intake stores, for a personal field whose key is destroyed."""
UNREADABLE = "[unreadable]"
"""What readers show for a sealed value that does not open under its subject's key."""
RESTRICTED = "[restricted]"
"""What readers show for a personal field of a person whose processing is restricted (UU PDP
art. 11), unless the reader may see it."""
EVERYONE = "*"

FieldPath = tuple[str, ...]
_EMBEDDED = re.compile(re.escape(SEALED_PREFIX) + r"(?:[^:\s]+:){4}[A-Za-z0-9_-]+:[A-Za-z0-9_-]+")
"""A sealed value inside a longer text (its base64url parts end at the first other character)."""


@dataclass(frozen=True)
class Sealed:
    subject: str
    event_id: str
    event_type: str
    path: str
    nonce: bytes
    ciphertext: bytes

    @property
    def header(self) -> str:
        return f"{SEALED_PREFIX}{self.subject}:{self.event_id}:{self.event_type}:{self.path}"

    def text(self) -> str:
        return f"{self.header}:{_b64(self.nonce)}:{_b64(self.ciphertext)}"


def seal(key: bytes, subject: str, event_id: str, event_type: str, path: str,
         plaintext: str) -> str:
    sealed = Sealed(subject, event_id, event_type, path, os.urandom(NONCE_BYTES), b"")
    ciphertext = AESGCM(key).encrypt(sealed.nonce, plaintext.encode(), sealed.header.encode())
    return Sealed(subject, event_id, event_type, path, sealed.nonce, ciphertext).text()


def parse(value: object) -> Sealed | None:
    """The sealed value in ``value``, or None when it is no sealed string."""
    if not isinstance(value, str) or not value.startswith(SEALED_PREFIX):
        return None
    parts = value[len(SEALED_PREFIX):].split(":")
    if len(parts) != 6:
        return None
    subject, event_id, event_type, path, nonce, ciphertext = parts
    try:
        return Sealed(subject, event_id, event_type, path, _unb64(nonce), _unb64(ciphertext))
    except ValueError:
        return None


def open_sealed(key: bytes, sealed: Sealed) -> str:
    """The plaintext; ValueError when it does not open under ``key``."""
    try:
        return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext,
                                   sealed.header.encode()).decode()
    except InvalidTag as exc:
        raise ValueError("the sealed value does not open under its subject's key") from exc


def _personal_paths(model: type[BaseModel]) -> list[FieldPath]:
    paths: list[FieldPath] = []
    for name, info in model.model_fields.items():
        if "personal data" in (info.description or ""):
            paths.append((name,))
        for nested in _models_in(info.annotation):
            paths.extend((name, *inner) for inner in _personal_paths(nested))
    return sorted(set(paths))


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


PERSONAL_FIELDS: dict[str, tuple[FieldPath, ...]] = {
    name: tuple(paths) for name, cls in EVENT_TYPES.items() if (paths := _personal_paths(cls))
}
"""Event type -> the payload paths of its personal fields (nested models included)."""


def seal_payload(payload: dict[str, Any], key: bytes | None, subject: str, event_id: str,
                 event_type: str) -> dict[str, Any]:
    """A copy of ``payload`` with its personal fields sealed under ``key`` (None: the subject
    is erased, and the fields are stored as ``[erased]``). Values already sealed stay."""
    paths = PERSONAL_FIELDS.get(event_type, ())
    if not paths:
        return payload
    sealed = _copy_along(payload, paths)
    for path in paths:
        holder = _holder(sealed, path)
        value = holder.get(path[-1]) if holder is not None else None
        if not isinstance(value, str) or parse(value) is not None:
            continue
        assert holder is not None
        holder[path[-1]] = ERASED if key is None else seal(
            key, subject, event_id, event_type, ".".join(path), value)
    return sealed


async def seal_envelope(envelope: EventEnvelope, keys: KeyStore) -> EventEnvelope:
    """The envelope with its personal fields sealed under its subject's key."""
    if envelope.event_type not in PERSONAL_FIELDS or envelope.subject_nip == EVERYONE:
        return envelope
    try:
        key: bytes | None = await keys.data_key_for(envelope.subject_nip)
    except SubjectErased:
        key = None
    payload = seal_payload(envelope.payload, key, envelope.subject_nip,
                           str(envelope.event_id), envelope.event_type)
    return envelope.model_copy(update={"payload": payload})


def _copy_along(payload: dict[str, Any], paths: tuple[FieldPath, ...]) -> dict[str, Any]:
    """A copy deep enough to change the fields at ``paths`` without touching ``payload``."""
    copied = dict(payload)
    for path in paths:
        holder = copied
        for step in path[:-1]:
            inner = holder.get(step)
            if not isinstance(inner, dict):
                break
            holder[step] = holder = dict(inner)
    return copied


def _holder(payload: dict[str, Any], path: FieldPath) -> dict[str, Any] | None:
    holder: Any = payload
    for step in path[:-1]:
        holder = holder.get(step) if isinstance(holder, dict) else None
    return holder if isinstance(holder, dict) else None


Reveal = Callable[[Any], Awaitable[Any]]
"""Opens every sealed value in a JSON-like value (:meth:`Revealer.reveal`)."""


async def kept_sealed(value: Any) -> Any:
    """A :data:`Reveal` that opens nothing (audit comparisons of sealed projections)."""
    return value


def sealed_in(value: Any) -> list[Sealed]:
    """Every sealed value in a JSON-like value, quoted ones inside a longer text included."""
    if isinstance(value, str):
        if value.startswith(SEALED_PREFIX):
            found = parse(value)
            return [found] if found is not None else []
        if SEALED_PREFIX not in value:
            return []
        return [inner for match in _EMBEDDED.finditer(value)
                if (inner := parse(match.group(0))) is not None]
    if isinstance(value, Mapping):
        return [sealed for inner in value.values() for sealed in sealed_in(inner)]
    if isinstance(value, list | tuple):
        return [sealed for inner in value for sealed in sealed_in(inner)]
    return []


class Revealer:
    """Opens sealed values at the edge (read APIs, exports), with a small cache of data keys
    per subject. A destroyed or missing key reads as ``[erased]``, at the latest ``ttl_s``
    after the destruction (the cache's bound on staleness)."""

    def __init__(self, keys: KeyStore, ttl_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._keys = keys
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, bytes | None]] = {}

    async def reveal(self, value: Any, withheld: Collection[str] = ()) -> Any:
        """``value`` with every sealed string in it (in dicts, lists, tuples) opened; those
        of a subject in ``withheld`` read ``[restricted]`` instead."""
        if isinstance(value, str):
            return await self._reveal_text(value, withheld)
        if isinstance(value, Mapping):
            return {k: await self.reveal(v, withheld) for k, v in value.items()}
        if isinstance(value, list | tuple):
            revealed = [await self.reveal(v, withheld) for v in value]
            return revealed if isinstance(value, list) else tuple(revealed)
        return value

    async def _reveal_text(self, value: str, withheld: Collection[str]) -> str:
        sealed = parse(value)
        if sealed is not None:
            return await self._open(sealed, withheld)
        if SEALED_PREFIX not in value:
            return value
        # sealed values quoted inside a longer text: an eligibility reason cites the rater's
        # own words ("rater override: ... (derived below): <reason>")
        opened, last = [], 0
        for match in _EMBEDDED.finditer(value):
            inner = parse(match.group(0))
            opened += [value[last:match.start()],
                       match.group(0) if inner is None else await self._open(inner, withheld)]
            last = match.end()
        return "".join(opened) + value[last:]

    async def _open(self, sealed: Sealed, withheld: Collection[str]) -> str:
        if sealed.subject in withheld:
            return RESTRICTED
        key = await self._key(sealed.subject)
        if key is None:
            return ERASED
        try:
            return open_sealed(key, sealed)
        except ValueError:
            return UNREADABLE

    async def _key(self, subject: str) -> bytes | None:
        now = self._clock()
        cached = self._cache.get(subject)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        key = await self._keys.key_of(subject)
        self._cache[subject] = (now, key)
        return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
