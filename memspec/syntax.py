"""The syntax tree of a .mem file, and the translation of lark's errors.

The grammar (grammars/memspec.lark) knows only blocks, declarations and
settings; `memspec.parser` gives them meaning. Every syntax node keeps the
span it came from, so that later errors can point at the exact word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from memspec.errors import Span, SpecSyntaxError


@dataclass(frozen=True)
class Name:
    text: str
    span: Span


@dataclass(frozen=True)
class Quantity:
    number: str
    unit: str | None
    span: Span


@dataclass(frozen=True)
class Range:
    low: Quantity | None
    high: Quantity | None
    span: Span


@dataclass(frozen=True)
class Anchored:
    """`name at quantity`, as in `bias = b at 1 V`."""

    name: Name
    quantity: Quantity
    span: Span


@dataclass(frozen=True)
class ListValue:
    items: list[Value]
    span: Span


Value = Quantity | Range | Name | Anchored | ListValue


@dataclass(frozen=True)
class Setting:
    key: Name
    value: Value
    span: Span


@dataclass(frozen=True)
class Declaration:
    """`name: first` or `name: first -> second`, with optional settings."""

    name: Name
    first: Name
    second: Name | None
    body: Body | None
    span: Span


@dataclass(frozen=True)
class Block:
    keyword: Name
    label: Name | None
    body: Body
    span: Span


@dataclass(frozen=True)
class Header:
    keyword: Name
    name: Name
    span: Span


@dataclass(frozen=True)
class Body:
    items: list[Item]
    span: Span


Item = Setting | Declaration | Block | Header

# Words for the grammar's terminals in error messages.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "UNIT": "a unit",
    "_NL": "a new line",
    "$END": "the end of the file",
    "RBRACE": "'}'",
}

SEPARATE = "separate items with a new line or a comma"

# Labelled mistakes: lark matches a failure against the parser state these
# snippets fail in, and the label becomes the hint.
_EXAMPLES = {
    "a setting is written 'name = value', as in 'length = 10 um'": [
        "a { b 1 }",
        "a { b c d }",
        "a { b -> }",
    ],
    "a unit is written without spaces, as in 'mPa*s' or 'um^2/ms'": [
        "a = 1 mPa s",
        "a = 1 mPa 2",
        "a { b = 1 mPa s }",
        "a { b = 1 mPa 2 }",
        "a { b: c { d = 1 mPa s } }",
    ],
    SEPARATE: [
        "a = b c = d",
        "a = 1 V c = d",
        "a = 1 c = d",
        "a: b c: d",
        "a: b -> c d: e",
        "a { b = c d = e }",
        "a { b = 1 V c = d }",
        "a { b = 1 c = d }",
        "a { b: c d: e }",
        "a { b: c -> d e: f }",
    ],
    "a node is written 'name: role' and an edge 'name: base -> tip'": [
        "a { b: }",
        "a { b: 1 }",
        "a { b: c -> }",
        "a { b: c -> 1 }",
    ],
    "a list is written in brackets, as in '[out, high]'": [
        "a = [b c]",
        "a = [b,",
    ],
}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = files("memspec").joinpath("grammars/memspec.lark").read_text("utf-8")
    return Lark(
        grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True
    )


def _variants(snippet: str) -> list[str]:
    """`snippet` as first item, after a new line, and after another item.

    The LALR state of an error depends on what came before it in the block,
    so each labelled mistake is shown to lark in all these positions.
    """
    if "{ " not in snippet:
        return [snippet, "\n" + snippet, "x = 1\n" + snippet, "x = 1, " + snippet]
    return [
        snippet.replace("{ ", "{" + before, 1)
        for before in (" ", "\n", "\nx = 1\n", " x = 1, ", "\nx = 1, ")
    ]


def parse_items(text: str, path: str) -> list[Item]:
    """The top-level items of `text`; raises SpecSyntaxError if it does not parse."""
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _translate(err, text, path) from None
    items = _Builder(path).transform(tree)
    if not items:
        raise SpecSyntaxError(
            "the file is empty",
            Span(path, 1, 1),
            hint="a spec starts with 'network NAME'; see docs/language.md",
            source=text,
        )
    return items


def _token_span(path: str, token: Token) -> Span:
    return Span(path, token.line, token.column, token.end_line, token.end_column)


class _Builder(Transformer):
    """Turns lark's tree into the dataclasses above."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def _span(self, meta) -> Span:
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _name(self, token: Token | None) -> Name | None:
        if token is None:
            return None
        return Name(str(token), _token_span(self.path, token))

    def start(self, children):
        return list(children)

    @v_args(meta=True)
    def body(self, meta, children):
        return Body(list(children), self._span(meta))

    @v_args(meta=True)
    def setting(self, meta, children):
        key, value = children
        return Setting(self._name(key), value, self._span(meta))

    @v_args(meta=True)
    def declaration(self, meta, children):
        name, first, second, *rest = children
        body = rest[0] if rest else None
        return Declaration(
            self._name(name),
            self._name(first),
            self._name(second),
            body,
            self._span(meta),
        )

    @v_args(meta=True)
    def block(self, meta, children):
        keyword, label, body = children
        return Block(self._name(keyword), self._name(label), body, self._span(meta))

    @v_args(meta=True)
    def header(self, meta, children):
        keyword, name = children
        return Header(self._name(keyword), self._name(name), self._span(meta))

    @v_args(meta=True)
    def quantity(self, meta, children):
        number, unit = children
        return Quantity(str(number), unit and str(unit), self._span(meta))

    @v_args(meta=True)
    def range(self, meta, children):
        low, high = children
        return Range(low, high, self._span(meta))

    def name(self, children):
        return self._name(children[0])

    @v_args(meta=True)
    def anchored(self, meta, children):
        name, quantity = children
        return Anchored(self._name(name), quantity, self._span(meta))

    @v_args(meta=True)
    def list(self, meta, children):
        return ListValue([c for c in children if c is not None], self._span(meta))


def _word(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    pattern = _lark().get_terminal(terminal).pattern
    return f"'{pattern.value}'"


def _found(token: Token) -> str:
    if token.type == "NUMBER":
        return f"number '{token}'"
    if token.type in ("NAME", "UNIT"):
        return f"'{token}'"
    if token.type == "_NL":
        return "end of line"
    return _word(token.type)


def _expected(terminals: set[str]) -> str:
    if {"NUMBER", "NAME", "LSQB"} <= terminals:
        # The start of a value: name it as such rather than list its forms.
        dots = {t.name for t in _lark().terminals if t.pattern.value == ".."}
        terminals = terminals - {"NUMBER", "NAME", "LSQB"} - dots
        words = ["a value"] + sorted(_word(t) for t in terminals)
    else:
        words = sorted(_word(t) for t in terminals)
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _translate(err: UnexpectedInput, text: str, path: str) -> SpecSyntaxError:
    """A SpecSyntaxError that says in words what lark found and expected."""
    examples = {
        label: [v for snippet in snippets for v in _variants(snippet)]
        for label, snippets in _EXAMPLES.items()
    }
    hint = err.match_examples(_lark().parse, examples, use_accepts=True)
    if isinstance(err, UnexpectedToken) and err.token.type == "$END":
        return _unclosed(err, text, path)
    if isinstance(err, UnexpectedToken):
        token = err.token
        if hint == SEPARATE and token.type not in ("NAME", "UNIT", "NUMBER"):
            # Same parser state, but what follows cannot start another item.
            hint = None
        span = _token_span(path, token)
        expected = _expected(set(err.accepts or err.expected))
        if token.type == "_NL":
            span = Span(path, token.line, token.column)
        message = f"unexpected {_found(token)}; expected {expected}"
        if token.type == "RBRACE" and _depth(text, token.start_pos) == 0:
            message, hint = "this '}' closes no block", "remove it, or add its '{'"
        return SpecSyntaxError(message, span, hint=hint, source=text)
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream]
        span = Span(path, err.line, err.column, err.line, err.column + 1)
        shown = char if char.isprintable() else f"U+{ord(char):04X}"
        message = f"unexpected character '{shown}'"
        if not char.isalnum():
            hint = SEPARATE if char == ";" else None
        if err.allowed:
            message += f"; expected {_expected(set(err.allowed))}"
        return SpecSyntaxError(message, span, hint=hint, source=text)
    return SpecSyntaxError(str(err), Span(path, err.line, err.column), source=text)


def _braces(text: str) -> list[tuple[int, str]]:
    """The offsets of every '{' and '}' outside comments."""
    return [
        (match.start(), match.group())
        for match in re.finditer(r"#[^\n]*|[{}]", text)
        if match.group() in "{}"
    ]


def _depth(text: str, offset: int) -> int:
    """How many blocks are open just before `offset`."""
    depth = 0
    for start, brace in _braces(text):
        if start >= offset:
            break
        depth = depth + 1 if brace == "{" else max(0, depth - 1)
    return depth


def _unclosed(err: UnexpectedToken, text: str, path: str) -> SpecSyntaxError:
    """The file ended early: point at the innermost '{' left open, if any."""
    open_braces: list[int] = []
    for start, brace in _braces(text):
        if brace == "{":
            open_braces.append(start)
        elif open_braces:
            open_braces.pop()
    expected = _expected(set(err.accepts or err.expected))
    if open_braces:
        line = text.count("\n", 0, open_braces[-1]) + 1
        column = open_braces[-1] - (text.rfind("\n", 0, open_braces[-1]) + 1) + 1
        return SpecSyntaxError(
            "this '{' is never closed",
            Span(path, line, column, line, column + 1),
            hint="add a '}' at the end of the block",
            source=text,
        )
    lines = text.splitlines() or [""]
    span = Span(path, len(lines), len(lines[-1]) + 1)
    return SpecSyntaxError(
        f"the file ends too early; expected {expected}", span, source=text
    )
