"""The template miner's state as plain data, importable without numpy or pyarrow (the offset
store loads and saves it in processes that never mine)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Template:
    id: str
    tokens: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@dataclass
class MinerState:
    """Everything the miner knows, as plain data: templates by id, in creation order, and how
    many templates each path created and how many of its messages went to `other`.

    `changed` and `changed_paths` name what changed since the state was loaded (or last saved),
    so saving it writes those rows only; they are not part of the state itself."""

    templates: dict[str, Template] = field(default_factory=dict)
    created_per_path: dict[str, int] = field(default_factory=dict)
    other_per_path: dict[str, int] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    changed_paths: set[str] = field(default_factory=set)
