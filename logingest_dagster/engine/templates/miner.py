"""Template mining: which logging statement wrote each message.

Each message is masked (`masking.mask`), then matched against the known templates of its shape:
the same number of tokens and the same first two tokens. A template matches when every constant
token agrees; one that differs from the message in a single constant token (of more than three)
is generalised there to `<*>`, keeping its id, since two messages that differ in one word out
of many come from one statement whose argument was a word (a user name, a host). Otherwise the
message starts a new template.

A template's id is a hash of the masked message that created it, so it never changes after its
template is generalised, and the same first message gives the same id in any process. The whole
state is plain data (`MinerState`): the lead persists it with the offsets and passes it back in.

Memory is bounded per file: once a path has created `max_templates_per_path` templates, a
message from it that matches none goes to the `other` template (`OTHER_ID`), and is counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyarrow import _compute

from logingest_dagster.engine.templates.masking import (
    WILDCARD,
    masked,
    masked_all,
    nulls_as_empty,
    string_array,
)
from logingest_dagster.engine.templates.state import MinerState, Template

OTHER_ID = "other"
OTHER_TEMPLATE = "<other>"
MAX_TEMPLATES_PER_PATH = 1000
_PREFIX = 2  # tokens that key a shape: the logger's verb or subject, rarely a variable
_MIN_CONSTANTS = 3  # a template generalises only where more tokens than this are constant
# Masked messages remembered with the template they matched: most messages repeat one seen
# before once masked, and a dictionary hit skips the comparisons. Cleared when full.
_SEEN_LIMIT = 100_000


@dataclass(frozen=True)
class Mined:
    template_id: str
    template: str


@dataclass(frozen=True)
class MinedColumns:
    """A batch's templates as two dictionary-encoded columns, a row per message."""

    template_id: pa.DictionaryArray
    template: pa.DictionaryArray


class TemplateMiner:
    def __init__(
        self, state: MinerState | None = None, max_templates_per_path: int = MAX_TEMPLATES_PER_PATH
    ) -> None:
        self.state = state if state is not None else MinerState()
        self.max_templates_per_path = max_templates_per_path
        self._shapes: dict[tuple, list[Template]] = {}
        self._seen: dict[str, Template] = {}
        for template in self.state.templates.values():
            self._shapes.setdefault(_shape(template.tokens), []).append(template)

    def mine(self, message: str, path: str = "") -> Mined:
        """One message's template. `mine_many` is several times cheaper a message."""
        template = self._mine_masked(masked(message), path, 1)
        return Mined(template.id, template.text)

    def mine_many(
        self, messages: Sequence[str] | pa.Array, paths: str | Sequence[str] = ""
    ) -> MinedColumns:
        """The templates of a batch of messages (from one file, or each from its own in
        `paths`), in order: the same ids as `mine` one message at a time, with each template's
        text as it is at the end of the batch.

        Each distinct message is masked once, in one pass (most messages repeat: masking them
        all cost several times more), and each distinct masked message matched once, so a
        batch should be large (a step's events, not a file's): the pass has a fixed cost of
        about half a millisecond."""
        distinct, codes = _distinct(messages)
        encoded = _compute.call_function("dictionary_encode", [masked_all(distinct)])
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        # Both dictionaries are in order of first appearance, so this one is too.
        indices = _int32s(encoded.indices)[codes]  # int32, no nulls (a null message is empty)
        texts = encoded.dictionary.to_pylist()
        one_path = isinstance(paths, str)
        # The dictionary is in order of first appearance: the order one-at-a-time mining meets
        # each masked message; its later occurrences would only find the same template again.
        _, first = np.unique(indices, return_index=True)
        occurrences = np.bincount(indices, minlength=len(texts)).tolist()
        templates: list[Template] = []
        extra: list[Template] = []  # past a file's cap: the occurrences mined one by one
        indices_out = None
        for k, text in enumerate(texts):
            if one_path:
                templates.append(self._mine_masked(text, paths, occurrences[k]))
                continue
            template = self._mine_masked(text, paths[first[k]], 1)
            templates.append(template)
            if template is _OTHER and occurrences[k] > 1:
                if indices_out is None:
                    indices_out = indices.astype(np.int32, copy=True)
                for i in np.flatnonzero(indices == k)[1:].tolist():
                    indices_out[i] = len(texts) + len(extra)
                    extra.append(self._mine_masked(text, paths[i], 1))
        final = indices if indices_out is None else indices_out
        indices_array = pa.Array.from_buffers(pa.int32(), len(final), [None, pa.py_buffer(final)])
        every = templates + extra
        return MinedColumns(
            pa.DictionaryArray.from_arrays(indices_array, string_array([t.id for t in every])),
            pa.DictionaryArray.from_arrays(indices_array, string_array([t.text for t in every])),
        )

    def _mine_masked(self, text: str, path: str, occurrences: int) -> Template:
        known = self._seen.get(text)
        if known is not None:
            return known
        tokens = text.split()
        candidates = self._shapes.setdefault(_shape(tokens), [])
        best, best_misses = None, 2
        for template in candidates:
            misses = _misses(template.tokens, tokens, best_misses)
            if misses < best_misses:
                best, best_misses = template, misses
                if misses == 0:
                    break
        state = self.state
        if best is not None and best_misses == 1:
            if len(best.tokens) - best.tokens.count(WILDCARD) > _MIN_CONSTANTS:
                best.tokens = [_generalised(t, m) for t, m in zip(best.tokens, tokens, strict=True)]
                state.changed.add(best.id)
            else:
                best = None
        if best is None:
            created = state.created_per_path.get(path, 0)
            state.changed_paths.add(path)
            if created >= self.max_templates_per_path:
                state.other_per_path[path] = state.other_per_path.get(path, 0) + occurrences
                return _OTHER
            state.created_per_path[path] = created + 1
            best = Template(_new_id(tokens, state.templates), tokens)
            state.templates[best.id] = best
            state.changed.add(best.id)
            candidates.append(best)
        if len(self._seen) >= _SEEN_LIMIT:
            self._seen.clear()
        self._seen[text] = best
        return best


_OTHER = Template(OTHER_ID, [OTHER_TEMPLATE])


def _distinct(messages: Sequence[str] | pa.Array) -> tuple[Sequence[str] | pa.Array, np.ndarray]:
    """The distinct messages in order of first appearance, and each message's index there."""
    if isinstance(messages, pa.Array | pa.ChunkedArray):
        encoded = _compute.call_function("dictionary_encode", [nulls_as_empty(messages)])
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        return encoded.dictionary, _int32s(encoded.indices)
    first: dict[str, int] = {}
    codes = [first.setdefault(message, len(first)) for message in messages]
    return list(first), np.array(codes, np.intp)


def _int32s(array: pa.Array) -> np.ndarray:
    """An int32 array without nulls as numpy; not `to_numpy()`: its first call imports pandas."""
    return np.frombuffer(array.buffers()[1], np.int32, len(array), array.offset * 4)


def _shape(tokens: list[str]) -> tuple:
    return (len(tokens), *tokens[:_PREFIX])


def _misses(template: list[str], tokens: list[str], limit: int) -> int:
    """How many of the template's tokens the message's do not fit, counting up to `limit`. A
    token that differs from a partly masked one (`(uid=<*>)`, `LOGIN(uid=<*>)`) counts as two:
    masking already showed their shapes differ, so no single word argument explains it."""
    misses = 0
    for t, m in zip(template, tokens, strict=True):
        if t != m and t != WILDCARD and not _fits(t, m):
            misses += 2 if WILDCARD in t and WILDCARD in m else 1
            if misses >= limit:
                break
    return misses


def _fits(template_token: str, token: str) -> bool:
    """Whether a partly generalised token (`rhost=<*>`) covers the message's (`rhost=db.lan`)."""
    if WILDCARD not in template_token:
        return False
    parts = template_token.split(WILDCARD)
    if not token.startswith(parts[0]):
        return False
    at = len(parts[0])
    for part in parts[1:-1]:
        found = token.find(part, at + 1)
        if found < 0:
            return False
        at = found + len(part)
    return token.endswith(parts[-1]) and len(token) - len(parts[-1]) > at


def _generalised(template_token: str, token: str) -> str:
    """The template's token made to cover `token` too: `<*>`, keeping a `key=` both share."""
    if template_token in (token, WILDCARD) or _fits(template_token, token):
        return template_token
    key, equals, _ = template_token.partition("=")
    if equals and token.startswith(key + "="):
        return key + "=" + WILDCARD
    return WILDCARD


def _new_id(tokens: list[str], taken: dict[str, Template]) -> str:
    digest = hashlib.blake2b(" ".join(tokens).encode(), digest_size=8).hexdigest()
    while digest in taken:  # a generalised template already holds this text's id
        digest = hashlib.blake2b(digest.encode(), digest_size=8).hexdigest()
    return digest
