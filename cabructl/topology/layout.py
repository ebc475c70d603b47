"""Where things stand in a round-trip YAML document, and appending without moving its layout.

Split from :mod:`cabructl.topology.writer` (which edits values): these helpers know ruamel's
comment bookkeeping and line/column records, so that an appended entry lands above the blank
line or comment that separated its block from the next, and an edit can report its position.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from cabructl.diagnostics import Path


# -- appending without moving blank lines and comments ----------------------------------------

def append_entry(mapping: Any, key: Any, value: Any) -> None:
    """Add ``key`` at the end of ``mapping``, keeping the file's layout.

    ruamel keeps a blank line or comment that follows a block as a comment of that
    block's last value, so appending after it would put the new entry *below* the
    blank line or comment that separated the block from what follows. The trailing
    comment is moved to the new entry; when the mapping's entries are separated by
    blank lines, the previous entry keeps one.
    """
    entries = list(mapping.keys()) if hasattr(mapping, "keys") else []
    trailing = _trailing_comment(mapping) if entries else None
    mapping[key] = value
    if trailing is None:
        return
    holder, index = trailing
    token = holder[index]
    separated = len(entries) >= 2 and _ends_with_blank_line(mapping[entries[-2]], mapping, entries[-2])
    holder[index] = _blank_line_like(token) if separated else None
    _set_trailing_comment(mapping, key, token)


def append_item(sequence: Any, value: Any) -> None:
    """Add an item at the end of a block list, moving its trailing comment along (as above)."""
    trailing = _trailing_comment(sequence) if len(sequence) else None
    sequence.append(value)
    if trailing is None:
        return
    holder, index = trailing
    token = holder[index]
    holder[index] = None
    _set_trailing_comment(sequence, len(sequence) - 1, token)


def _trailing_comment(node: Any) -> tuple[list[Any], int] | None:
    """Where ruamel keeps the comment after ``node``'s last scalar: (holder list, index)."""
    last = _last_key(node)
    if last is None:
        return None
    child = node[last]
    if _is_block_collection(child) and _last_key(child) is not None:
        return _trailing_comment(child)
    slots = node.ca.items.get(last)
    slot = 2 if isinstance(node, Mapping) else 0
    if slots and len(slots) > slot and slots[slot] is not None:
        return slots, slot
    return None


def _set_trailing_comment(node: Any, key: Any, token: Any) -> None:
    child = node[key]
    if _is_block_collection(child) and _last_key(child) is not None:
        _set_trailing_comment(child, _last_key(child), token)
        return
    slot = 2 if isinstance(node, Mapping) else 0
    slots = node.ca.items.setdefault(key, [None, None, None, None] if isinstance(node, Mapping) else [None, None])
    slots[slot] = token


def _ends_with_blank_line(child: Any, parent: Any, key: Any) -> bool:
    if _is_block_collection(child) and _last_key(child) is not None:
        found = _trailing_comment(child)
    else:
        slots = parent.ca.items.get(key)
        found = (slots, 2) if slots and len(slots) > 2 and slots[2] is not None else None
    if found is None:
        return False
    holder, index = found
    return str(holder[index].value).startswith("\n\n")


def _blank_line_like(token: Any) -> Any:
    blank = copy.copy(token)
    blank.value = "\n\n"
    return blank


def _last_key(node: Any) -> Any:
    if isinstance(node, Mapping):
        return next(reversed(list(node.keys())), None)
    if isinstance(node, list):
        return len(node) - 1 if node else None
    return None


def _is_block_collection(node: Any) -> bool:
    return isinstance(node, (Mapping, list)) and hasattr(node, "fa") and not node.fa.flow_style()


# -- positions -------------------------------------------------------------------------------

def has_child(node: Any, key: Any) -> bool:
    if isinstance(node, Mapping):
        return key in node
    if isinstance(node, list) and isinstance(key, int):
        return -len(node) <= key < len(node)
    return False


def position(parent: Any, key: Any) -> tuple[int, int] | None:
    """1-based line and column of ``key``'s value in the original file, when ruamel knows it."""
    try:
        line, column = parent.lc.value(key) if isinstance(parent, Mapping) else parent.lc.item(key)
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
    return line + 1, column + 1


def position_of_container(document: Any, path: Path) -> tuple[int, int]:
    """The position of ``path``, or of its nearest ancestor the file has."""
    for depth in range(len(path), 0, -1):
        parent = _walk(document, path[: depth - 1])
        if parent is not None and has_child(parent, path[depth - 1]):
            found = position(parent, path[depth - 1])
            if found:
                return found
    return 1, 1


def _walk(node: Any, path: Path) -> Any:
    for key in path:
        if not has_child(node, key):
            return None
        node = node[key]
    return node

