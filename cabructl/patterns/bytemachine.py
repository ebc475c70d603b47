"""How complex a field's wildcards are, measured the way EventBridge measures it.

EventBridge matches a field's string values with one byte-level automaton per field
(event-ruler's ``ByteMachine``) and refuses a rule whose wildcards make it too
non-deterministic: ``MachineComplexityEvaluator`` walks every set of states one
input could reach at once and counts, in each, the wildcard patterns still
reachable from each state. The largest such count is the complexity.

The count depends on which states the patterns *share*, so this module rebuilds
the automaton with event-ruler's sharing rules (``ByteMachine.addMatchValue`` and
``addEndOfMatch``) rather than an idealised one:

- a value is matched with its JSON quotes, byte by byte (UTF-8);
- a prefix written before any ``*`` is shared by every pattern that starts with it,
  and so is the state a ``*`` leads to from a shared state;
- ``*`` is a state looping on every byte; the state before it also moves directly
  on the next character, so that ``*`` can match nothing;
- after a ``*`` a state is reused only for a character without case variants
  (event-ruler's ``doMultipleTransitionsConvergeForInputByte`` rules out the rest),
  and once one state had to be created, every later one is new;
- a match is one per pattern: the values of one ``anything-but`` wildcard list are
  one pattern and count once where their paths meet, while separate ``wildcard``
  operators are separate patterns.

Only wildcard patterns are modelled: the other patterns of a field reach no
wildcard match and add nothing to the count. Sources: aws/event-ruler
``src/main/software/amazon/event/ruler/ByteMachine.java``,
``MachineComplexityEvaluator.java``, and ``MachineComplexityEvaluatorCorpus.java``,
whose pinned values the tests reproduce.
"""

from __future__ import annotations

from collections import deque
from typing import Hashable, Iterable, Union

STAR = -1  # a wildcard token among the byte tokens
QUOTE = 0x22  # every JSON string value starts and ends with '"'
CONTINUATION_BYTES = range(0x80, 0xC0)  # UTF-8 bytes that never start a character


class ByteNode:
    """One state: transitions by byte, and the state every byte leads to (``star``), if any."""

    __slots__ = ("transitions", "star", "indeterminate")

    def __init__(self, indeterminate: bool) -> None:
        self.transitions: dict[int, list[Target]] = {}
        self.star: ByteNode | None = None
        # True once a wildcard lies between the start and this state: more than one
        # prefix leads here, so event-ruler restricts reusing it.
        self.indeterminate = indeterminate

    def add(self, byte: int, target: "Target") -> None:
        self.transitions.setdefault(byte, []).append(target)


class Match:
    """The end of a pattern's value; equal for equal patterns, as event-ruler's ``ByteMatch`` is."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: Hashable) -> None:
        self.pattern = pattern

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Match) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)


Target = Union[ByteNode, Match]


def wildcard_tokens(pieces: Iterable[str]) -> list[int]:
    """The byte tokens of a wildcard whose literal ``pieces`` lie between its stars, quotes included."""
    tokens = [QUOTE]
    for index, piece in enumerate(pieces):
        if index:
            tokens.append(STAR)
        tokens.extend(piece.encode("utf-8", "surrogatepass"))
    tokens.append(QUOTE)
    return tokens


class WildcardMachine:
    """The wildcard part of one field's byte machine; nodes are kept in creation order."""

    def __init__(self) -> None:
        self.start = ByteNode(indeterminate=False)
        self.nodes = [self.start]

    def new_node(self, indeterminate: bool) -> ByteNode:
        node = ByteNode(indeterminate)
        self.nodes.append(node)
        return node

    def add(self, tokens: list[int], pattern: Hashable) -> None:
        """Add one value (the tokens of :func:`wildcard_tokens`) ending in ``pattern``'s match."""
        state, previous, index = self.start, None, 0
        while index < len(tokens) - 1:  # follow what can be reused
            token = tokens[index]
            following = self.reusable_star(state) if token == STAR else self.reusable(state, tokens, index)
            if following is None:
                break
            previous, state, index = state, following, index + 1
        while index < len(tokens) - 1:  # then create the rest
            node = self.new_node(indeterminate=state.indeterminate or tokens[index] == STAR)
            if tokens[index] == STAR:
                node.star = node
                state.star = node
            else:
                self.link(state, previous, tokens, index, node)
            previous, state, index = state, node, index + 1
        self.link(state, previous, tokens, index, Match(pattern))

    @staticmethod
    def link(state: ByteNode, previous: ByteNode | None, tokens: list[int], index: int, target: Target) -> None:
        """Move on ``tokens[index]``; straight from the state before a ``*`` too, so ``*`` may match nothing."""
        state.add(tokens[index], target)
        if previous is not None and index > 0 and tokens[index - 1] == STAR:
            previous.add(tokens[index], target)

    @staticmethod
    def reusable_star(state: ByteNode) -> ByteNode | None:
        """The ``*`` state of ``state``, shared by every pattern that reaches ``state`` and has ``*`` next."""
        return state.star if state.star is not None and state.star is not state else None

    @staticmethod
    def reusable(state: ByteNode, tokens: list[int], index: int) -> ByteNode | None:
        """An existing next state for a byte that event-ruler would reuse, or None."""
        for target in state.transitions.get(tokens[index], ()):
            if not isinstance(target, ByteNode) or target is state:
                continue
            if not target.indeterminate or not paths_converge(state, tokens, index):
                return target
        return None

    def complexity(self, cap: int) -> int:
        """The most wildcard patterns reachable from the states one input can be in at once.

        Stops at ``cap``: what matters is only whether a limit is passed, and the
        number of state sets grows exponentially with the patterns.
        """
        reach = self.reachable_patterns()
        alphabet = sorted({byte for node in self.nodes for byte in node.transitions})
        unused = next((byte for byte in range(256) if byte not in alphabet), None)
        inputs = alphabet + ([unused] if unused is not None else [])
        pending = deque(following for byte in inputs if (following := step((self.start,), byte)))
        seen: set[frozenset[Target]] = set()
        best = 0
        while pending:
            current = pending.popleft()
            if current in seen:
                continue
            seen.add(current)
            best = max(best, weight(current, reach))
            if best >= cap:
                return cap
            pending.extend(following for byte in inputs if (following := step(current, byte)) not in seen and following)
        return best

    def reachable_patterns(self) -> dict[ByteNode, frozenset[Hashable]]:
        """The patterns whose match each state can still reach.

        Every transition goes from an older state to a newer one (or loops), so one
        pass from the newest state back needs no recursion.
        """
        reach: dict[ByteNode, frozenset[Hashable]] = {}
        for node in reversed(self.nodes):
            found: set[Hashable] = set()
            for targets in node.transitions.values():
                for target in targets:
                    if isinstance(target, Match):
                        found.add(target.pattern)
                    elif target is not node:
                        found |= reach[target]
            if node.star is not None and node.star is not node:
                found |= reach[node.star]
            reach[node] = frozenset(found)
        return reach


def paths_converge(state: ByteNode, tokens: list[int], index: int) -> bool:
    """event-ruler's test for refusing to reuse an indeterminate next state.

    True when ``state`` has a ``*`` of its own (the skip path and the ``*`` path
    would meet later), and for the first byte of a character with case variants,
    whose lower- and upper-case paths event-ruler always finds converging.
    """
    if state.star is not None and state.star is not state:
        return True
    if tokens[index] in CONTINUATION_BYTES:
        return False
    character = first_character(tokens, index)
    return character.lower() != character.upper()


def first_character(tokens: list[int], index: int) -> str:
    """The character whose UTF-8 encoding starts at ``tokens[index]``."""
    end = index + 1
    while end < len(tokens) and tokens[end] in CONTINUATION_BYTES:
        end += 1
    return bytes(tokens[index:end]).decode("utf-8", "replace")


def step(current: Iterable[Target], byte: int) -> frozenset[Target]:
    """The states (and matches) one more ``byte`` leads to from the states in ``current``."""
    following: set[Target] = set()
    for single in current:
        if isinstance(single, ByteNode):
            following.update(single.transitions.get(byte, ()))
            if single.star is not None:
                following.add(single.star)
    return frozenset(following)


def weight(current: frozenset[Target], reach: dict[ByteNode, frozenset[Hashable]]) -> int:
    """``MachineComplexityEvaluator``'s count for one set of states.

    Each state counts the patterns it can reach; a state whose ``*`` state is not
    in the set also counts that ``*`` state's, since an input matching ``foo``
    also matches ``foo*``.
    """
    total = 0
    for single in current:
        if isinstance(single, Match):
            total += 1
            continue
        total += len(reach[single])
        if single.star is not None and single.star not in current:
            total += len(reach[single.star])
    return total
