"""Read .mem text into a validated `memspec.models.Spec`.

The grammar only knows blocks, declarations and settings (memspec.syntax).
This module gives them meaning through the schema of each block
(memspec.schema). Problems are collected, so a file with three mistakes
reports all three; `memspec.checks` then checks the network as a whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from memspec import syntax
from memspec.checks import Diagnostics, Locations, check, did_you_mean
from memspec.errors import Span, SpecFileError, SpecSemanticError
from memspec.models import (
    WEIGHT_KINDS,
    Device,
    Edge,
    Mapping,
    Node,
    Regression,
    Schedule,
    Simulation,
    Spec,
    TrainedProperty,
    Training,
)
from memspec.schema import (
    DEVICE,
    EDGE,
    NODE,
    REGRESSION,
    REQUIRED,
    ROLES,
    SCHEDULE,
    SIMULATION,
    TASK_KINDS,
    TOP_BLOCKS,
    TRAINING,
    BadValue,
    Key,
    as_list,
    train_schema,
    voltage,
)
from memspec.syntax import Block, Declaration, Header, Setting


class _Reader:
    """Builds a Spec from syntax items, collecting problems as it goes."""

    def __init__(self, path: str, source: str):
        self.path = path
        self.diag = Diagnostics(source)
        self.where = Locations()

    def bad(self, message: str, span: Span | None, hint: str | None = None):
        self.diag.error(message, span, hint)

    def settings(
        self,
        body: syntax.Body | None,
        schema: dict[str, Key],
        where: str,
        blocks: tuple[str, ...] = (),
    ) -> tuple[dict[str, Any], dict[str, Span], list[Block]]:
        """Values of the settings in `body`, their spans, and its sub-blocks.

        A setting whose value is wrong has a span but no value.
        """
        values: dict[str, Any] = {}
        spans: dict[str, Span] = {}
        inner: list[Block] = []
        for item in body.items if body else []:
            if isinstance(item, Block) and item.keyword.text in blocks:
                inner.append(item)
                continue
            if not isinstance(item, Setting):
                self.unexpected(item, where, schema, blocks)
                continue
            key = item.key.text
            if key not in schema:
                self.bad(
                    f"unknown setting '{key}' in {where}"
                    + did_you_mean(key, list(schema)),
                    item.key.span,
                    hint=f"{where} takes {', '.join(schema)}" if schema else None,
                )
                continue
            field = schema[key].field
            if field in spans:
                self.bad(f"'{key}' is set twice in {where}", item.key.span)
                continue
            spans[field] = item.value.span
            try:
                values[field] = schema[key].read(item.value, key)
            except BadValue as err:
                self.bad(err.message, err.span, err.hint)
            except SpecSemanticError as err:
                self.diag.add(err)
        return values, spans, inner

    def unexpected(self, item, where: str, schema: dict, blocks: tuple[str, ...]):
        if isinstance(item, Block):
            word = item.keyword.text
            self.bad(
                f"unexpected block '{word}' in {where}{did_you_mean(word, blocks)}",
                item.keyword.span,
                hint=f"{where} takes settings such as '{next(iter(schema), 'x')} = ...'"
                if not blocks
                else f"{where} takes {', '.join(blocks)} blocks",
            )
        else:
            self.bad(
                f"unexpected {_kind_of(item)} in {where}",
                item.span,
                hint="a setting is written 'name = value'",
            )

    def located(self, model, spans: dict[str, Span]):
        for field, span in spans.items():
            self.where.put(model, field, span)
        return model

    def missing(self, spans: dict, schema: dict[str, Key], keys, where: str, span):
        """Report the `keys` not set in a block; True if none is missing."""
        absent = [k for k in keys if schema[k].field not in spans]
        if absent:
            listed = ", ".join(f"'{k}'" for k in absent)
            noun = "setting" if len(absent) == 1 else "settings"
            self.bad(f"{where} lacks the {noun} {listed}", span)
        return not absent


def _kind_of(item: syntax.Item) -> str:
    if isinstance(item, Declaration):
        return f"declaration '{item.name.text}: ...'"
    if isinstance(item, Header):
        return f"'{item.keyword.text} {item.name.text}'"
    if isinstance(item, Setting):
        return f"setting '{item.key.text}'"
    return f"block '{item.keyword.text}'"


def _span_of(block: Block) -> Span:
    return Span(
        block.span.path,
        block.keyword.span.line,
        block.keyword.span.column,
        block.keyword.span.end_line,
        block.keyword.span.end_column,
    )


def _device(r: _Reader, block: Block) -> Device:
    values, spans, _ = r.settings(block.body, DEVICE, "device")
    return r.located(Device(**values, span=_span_of(block)), spans)


def _nodes(r: _Reader, block: Block) -> list[Node]:
    nodes = []
    for item in block.body.items:
        if not isinstance(item, Declaration) or item.second is not None:
            r.bad(
                f"unexpected {_kind_of(item)} in nodes",
                item.span,
                hint="a node is written 'name: role' (input, output or hidden)",
            )
            continue
        role = item.first.text
        if role not in ROLES:
            r.bad(
                f"unknown role '{role}' for node '{item.name.text}'"
                f"{did_you_mean(role, ROLES)}",
                item.first.span,
                hint="a node is an input, output or hidden node",
            )
            continue
        values, spans, _ = r.settings(item.body, NODE, f"node '{item.name.text}'")
        node = Node(name=item.name.text, role=role, **values, span=item.span)
        r.where.put(node, "name", item.name.span)
        nodes.append(r.located(node, spans))
    return nodes


def _edges(r: _Reader, block: Block) -> list[Edge]:
    edges = []
    for item in block.body.items:
        if not isinstance(item, Declaration) or item.second is None:
            r.bad(
                f"unexpected {_kind_of(item)} in edges",
                item.span,
                hint="an edge is written 'name: base -> tip'",
            )
            continue
        values, spans, _ = r.settings(item.body, EDGE, f"edge '{item.name.text}'")
        edge = Edge(
            name=item.name.text,
            base=item.first.text,
            tip=item.second.text,
            **values,
            span=item.span,
        )
        r.where.put(edge, "name", item.name.span)
        r.where.put(edge, "base", item.first.span)
        r.where.put(edge, "tip", item.second.span)
        edges.append(r.located(edge, spans))
    return edges


def _train(r: _Reader, block: Block) -> TrainedProperty | None:
    if block.label is None or block.label.text not in WEIGHT_KINDS:
        kinds = ", ".join(WEIGHT_KINDS)
        found = f"'{block.label.text}'" if block.label else "nothing"
        near = did_you_mean(block.label.text, WEIGHT_KINDS) if block.label else ""
        r.bad(
            f"unknown weight kind {found} after 'train'{near}",
            (block.label or block.keyword).span,
            hint=f"the weight kinds are {kinds}",
        )
        return None
    kind = block.label.text
    schema = train_schema(kind)
    values, spans, _ = r.settings(block.body, schema, f"train {kind}")
    where = f"train {kind}"
    if not r.missing(spans, schema, REQUIRED["train"], where, _span_of(block)):
        return None
    if len(values) < len(spans):
        return None
    prop = TrainedProperty(kind=kind, **values, span=_span_of(block))
    r.where.put(prop, "kind", block.label.span)
    for item in block.body.items:
        if isinstance(item, Setting) and item.key.text == "on":
            for name in as_list(item.value):
                r.where.put(prop, "members", name.span, key=getattr(name, "text", None))
    return r.located(prop, spans)


def _voltages(r: _Reader, block: Block, spans: list, field: str) -> dict[str, float]:
    voltages = {}
    for item in block.body.items:
        if not isinstance(item, Setting):
            r.bad(
                f"unexpected {_kind_of(item)} in {field}",
                item.span,
                hint="write a node and its voltage, as in 'out = 4 V'",
            )
            continue
        name = item.key.text
        if name in voltages:
            r.bad(f"node '{name}' appears twice in {field}", item.key.span)
            continue
        try:
            voltages[name] = voltage(item.value, name)
        except BadValue as err:
            r.bad(err.message, err.span, err.hint)
            continue
        except SpecSemanticError as err:
            r.diag.add(err)
            continue
        spans.append((field, name, item.key.span))
    return voltages


def _mapping(r: _Reader, block: Block, where: str) -> Mapping | None:
    _, _, inner = r.settings(block.body, {}, where, ("inputs", "targets"))
    found: dict[str, Block] = {}
    for sub in inner:
        if sub.keyword.text in found:
            r.bad(f"{where} has two '{sub.keyword.text}' blocks", sub.keyword.span)
        found[sub.keyword.text] = sub
    missing = [k for k in ("inputs", "targets") if k not in found]
    if missing:
        r.bad(
            f"{where} lacks its '{missing[0]}' block",
            _span_of(block),
            hint="a mapping has 'inputs { ... }' and 'targets { ... }'",
        )
        return None
    spans: list[tuple[str, str, Span]] = []
    inputs = _voltages(r, found["inputs"], spans, "inputs")
    targets = _voltages(r, found["targets"], spans, "targets")
    mapping = Mapping(inputs=inputs, targets=targets, span=_span_of(block))
    r.where.put(mapping, "inputs", found["inputs"].keyword.span)
    r.where.put(mapping, "targets", found["targets"].keyword.span)
    for field, name, span in spans:
        r.where.put(mapping, field, span, key=name)
    return mapping


def _schedule(r: _Reader, block: Block) -> Schedule:
    values, spans, inner = r.settings(block.body, SCHEDULE, "task schedule", ("stage",))
    stages = [_mapping(r, stage, "stage") for stage in inner]
    if not inner:
        r.bad(
            "the schedule has no stage",
            _span_of(block),
            hint="add 'stage { inputs { ... } targets { ... } }' blocks",
        )
    schedule = Schedule(
        stages=[s for s in stages if s is not None], **values, span=_span_of(block)
    )
    return r.located(schedule, spans)


def _regression(r: _Reader, block: Block) -> Regression | None:
    values, spans, _ = r.settings(block.body, REGRESSION, "task regression")
    present = r.missing(
        spans, REGRESSION, REQUIRED["regression"], "task regression", _span_of(block)
    )
    if not present or len(values) < len(spans):
        return None
    values["bias_node"], values["bias_voltage"] = values.pop("bias")
    regression = Regression(**values, span=_span_of(block))
    spans["bias_node"] = spans.pop("bias")
    return r.located(regression, spans)


def _task(r: _Reader, block: Block):
    kind = block.label.text if block.label else None
    if kind == "mapping":
        return _mapping(r, block, "task mapping")
    if kind == "schedule":
        return _schedule(r, block)
    if kind == "regression":
        return _regression(r, block)
    found = f"'{kind}'" if kind else "nothing"
    r.bad(
        f"unknown task kind {found}{did_you_mean(kind or '', TASK_KINDS)}",
        (block.label or block.keyword).span,
        hint="a task is 'task mapping', 'task schedule' or 'task regression'",
    )
    return None


def _settings_block(r: _Reader, block: Block, model, schema, where: str):
    values, spans, _ = r.settings(block.body, schema, where)
    return r.located(model(**values, span=_span_of(block)), spans)


def _spec(r: _Reader, items: list[syntax.Item]) -> Spec | None:
    """The Spec described by the top-level `items`, or None after errors."""
    parts: dict[str, Any] = {"train": []}
    firsts: dict[str, Span] = {}
    for item in items:
        word = item.keyword.text if isinstance(item, Block | Header) else None
        if word not in TOP_BLOCKS or isinstance(item, Header) != (word == "network"):
            r.bad(
                f"unexpected {_kind_of(item)} at the top level"
                + (did_you_mean(word, TOP_BLOCKS) if word else ""),
                item.keyword.span if word else item.span,
                hint="a spec holds the blocks " + ", ".join(TOP_BLOCKS[1:]),
            )
            continue
        if word in firsts and word != "train":
            r.bad(
                f"a second '{word}' block; a spec has only one",
                item.keyword.span,
                hint=f"the first one is at line {firsts[word].line}",
            )
            continue
        firsts.setdefault(word, item.keyword.span)
        if word == "network":
            parts["name"] = item.name.text
        elif word == "device":
            parts["device"] = _device(r, item)
        elif word == "nodes":
            parts["nodes"] = _nodes(r, item)
        elif word == "edges":
            parts["edges"] = _edges(r, item)
        elif word == "train":
            parts["train"].append(_train(r, item))
        elif word == "task":
            parts["task"] = _task(r, item)
        elif word == "simulation":
            parts["simulation"] = _settings_block(
                r, item, Simulation, SIMULATION, "simulation"
            )
        else:
            parts["training"] = _settings_block(r, item, Training, TRAINING, "training")

    start = Span(r.path, 1, 1)
    if "network" not in firsts:
        r.bad("the spec does not name its network", start, hint="add 'network NAME'")
    for word in ("nodes", "edges", "task"):
        if word not in firsts:
            example = "task mapping" if word == "task" else word
            r.bad(
                f"the spec has no '{word}' block",
                start,
                hint=f"add '{example} {{ ... }}'",
            )
    if r.diag.errors:
        return None
    spec = Spec(**parts)
    for word in ("nodes", "edges"):
        r.where.put(spec, word, firsts[word])
    return spec


def parse(text: str, path: str = "<string>") -> Spec:
    """The Spec written in `text`.

    Raises:
        SpecSyntaxError: if the text does not follow the grammar.
        SpecSemanticError: if it does, but does not describe a valid spec
            (several problems come together as `memspec.checks.SpecErrors`).
    """
    items = syntax.parse_items(text, path)
    reader = _Reader(path, text)
    spec = _spec(reader, items)
    reader.diag.raise_if_any()
    assert spec is not None
    spec.source = text
    check(spec, reader.where, source=text)
    return spec


def load(path: str | Path) -> Spec:
    """The Spec in the file at `path`, with `spec.path` and `spec.source` set.

    Raises:
        SpecFileError: if the file is missing, unreadable, binary or not UTF-8.
        SpecSyntaxError, SpecSemanticError: as `parse`.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecFileError(f"{path}: is a directory, not a spec file") from None
    except OSError as err:
        raise SpecFileError(f"{path}: cannot read it ({err.strerror})") from None
    if b"\0" in data:
        raise SpecFileError(f"{path}: is a binary file, not a .mem spec")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecFileError(
            f"{path}: is not UTF-8 text (byte {data[err.start]:#04x} at offset "
            f"{err.start})"
        ) from None
    spec = parse(text.removeprefix("\ufeff"), str(path))
    spec.path = str(path)
    return spec
