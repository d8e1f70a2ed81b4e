"""Every invalid fixture in tests/data/invalid gets its own diagnostic.

Each case checks the message and where it points (line, column), written
out by hand from the fixture, not only that some error is raised.
"""

from pathlib import Path

import pytest

from memspec.checks import SpecErrors
from memspec.errors import SpecFileError, SpecSemanticError, SpecSyntaxError
from memspec.parser import load, parse

INVALID = Path(__file__).parent / "data" / "invalid"

MAPPING = (
    "network n\n"
    "nodes { a: input, b: output }\n"
    "edges { e: a -> b }\n"
    "task mapping { inputs { a = 1 V } targets { b = 1 V } }\n"
)

SYNTAX = {
    "empty": (1, 1, "the file is empty"),
    "comments_only": (1, 1, "the file is empty"),
    "syntax_missing_equals": (
        20,
        12,
        "unexpected number '10'; expected ':', '=', '{' or a name",
    ),
    "syntax_unclosed_brace": (14, 14, "this '{' is never closed"),
    "syntax_stray_brace": (13, 1, "this '}' closes no block"),
    "syntax_bad_character": (
        15,
        25,
        "unexpected character ';'; expected ',', '..', ']', '}' or a new line",
    ),
    "syntax_unit_with_space": (
        20,
        26,
        "unexpected 's'; expected ',', '..', '}' or a new line",
    ),
    "syntax_missing_value": (20, 9, "unexpected end of line; expected a value"),
    "syntax_bad_edge_arrow": (
        10,
        18,
        "unexpected '='; expected ',', '->', '{', '}' or a new line",
    ),
}

SEMANTIC = {
    # names and graph
    "unknown_node_in_edge": (
        11,
        20,
        "unknown node 'lwo' in edge 'bottom'; did you mean 'low'?",
    ),
    "duplicate_node": (7, 5, "node 'low' is declared twice"),
    "duplicate_edge": (12, 5, "edge 'top' is declared twice"),
    "self_loop": (12, 20, "edge 'loop' joins node 'out' to itself"),
    "unreachable_node": (
        7,
        5,
        "node 'h1' is not connected to any input node, so its voltage is undefined",
    ),
    "no_input": (3, 1, "the network has no input node, so no voltage is defined"),
    "unknown_role": (
        6,
        11,
        "unknown role 'ouptut' for node 'out'; did you mean 'output'?",
    ),
    # task
    "voltage_on_output": (
        15,
        38,
        "the task sets a voltage on 'out', which is an output node",
    ),
    "target_on_input": (
        16,
        26,
        "the task sets a target on 'low', which is an input node",
    ),
    "missing_input_voltage": (
        15,
        5,
        "the task gives no voltage to the input node 'low'",
    ),
    "unknown_node_in_targets": (
        16,
        15,
        "unknown node 'ot' in the task targets; did you mean 'out'?",
    ),
    "schedule_bad_stage": (22, 19, "unknown node 'top' in the task targets"),
    "regression_output_role": (
        24,
        14,
        "the regression output node 'h' must be an output node, "
        "but it is a hidden node",
    ),
    "regression_missing_key": (
        16,
        1,
        "task regression lacks the settings 'range', 'train_samples'",
    ),
    "unknown_task_kind": (14, 6, "unknown task kind 'maping'; did you mean 'mapping'?"),
    "missing_task": (1, 1, "the spec has no 'task' block"),
    # geometry and positive values
    "tip_not_smaller_device": (
        21,
        19,
        "the tip radius (200 nm) must be smaller than the base radius (200 nm)",
    ),
    "tip_not_smaller_edge": (
        11,
        40,
        "the base radius of 'bottom' (40 nm) must be larger than "
        "the tip radius (50 nm)",
    ),
    "nonpositive_length": (
        10,
        36,
        "the length of 'top' must be positive, but it is 0 um",
    ),
    "nonpositive_radius": (
        20,
        18,
        "the device tip_radius must be positive, but it is -5 nm",
    ),
    "nonpositive_concentration": (
        6,
        36,
        "the concentration of 'out' must be positive, but it is 0 mM",
    ),
    "nonpositive_pressure": (
        6,
        31,
        "the pressure of 'out' must be positive, but it is -0.2 bar",
    ),
    "nonpositive_dt": (20, 10, "the time step dt must be positive, but it is -0.5 ms"),
    "nonpositive_steps": (
        20,
        13,
        "the number of training steps must be positive, but it is 0",
    ),
    "nonpositive_rate": (
        20,
        12,
        "the learning rate of length must be positive, but it is 0",
    ),
    "fractional_steps": (20, 13, "'steps' needs a whole number"),
    # units
    "wrong_dimension": (20, 14, "'V' is not a length"),
    "wrong_dimension_voltage": (16, 21, "'mM' is not a voltage"),
    "bounds_wrong_dimension": (21, 14, "'bar' is not a concentration"),
    "unknown_unit": (20, 14, "unknown unit 'umm'"),
    "missing_unit": (20, 14, "'10' has no unit, but a length is expected"),
    "unit_on_plain_number": (
        20,
        12,
        "the learning rate is a plain number, but it has the unit 'bar'",
    ),
    # training
    "unknown_weight_kind": (
        19,
        7,
        "unknown weight kind 'presure' after 'train'; did you mean 'pressure'?",
    ),
    "missing_rate": (19, 1, "train pressure lacks the setting 'rate'"),
    "bounds_exclude_initial": (
        21,
        14,
        "the bounds exclude the initial pressure of 'high' (1 bar), 'low' (1 bar), "
        "'out' (1 bar)",
    ),
    "member_of_wrong_kind": (21, 18, "'out' is a node, but length is trained on edges"),
    "unknown_member": (
        21,
        18,
        "unknown node 'hgih' in 'train pressure'; did you mean 'high'?",
    ),
    # schema
    "unknown_setting": (
        20,
        5,
        "unknown setting 'lenght' in device; did you mean 'length'?",
    ),
    "unknown_block": (
        19,
        1,
        "unexpected block 'devise' at the top level; did you mean 'device'?",
    ),
    "unknown_choice": (20, 14, "unknown solver 'relx'; did you mean 'relax'?"),
    "duplicate_block": (23, 1, "a second 'simulation' block; a spec has only one"),
    "duplicate_setting": (21, 5, "'dt' is set twice in simulation"),
}


def test_spec_errors_every_fixture_has_an_expectation():
    fixtures = {p.stem for p in INVALID.glob("*.mem")}
    assert fixtures == set(SYNTAX) | set(SEMANTIC)


@pytest.mark.parametrize("name", sorted(SYNTAX))
def test_spec_errors_syntax_message_and_position(name):
    line, column, message = SYNTAX[name]
    with pytest.raises(SpecSyntaxError) as caught:
        load(INVALID / f"{name}.mem")
    error = caught.value
    assert (error.span.line, error.span.column) == (line, column)
    assert error.message == message
    assert error.span.path == str(INVALID / f"{name}.mem")


@pytest.mark.parametrize("name", sorted(SEMANTIC))
def test_spec_errors_semantic_message_and_position(name):
    line, column, message = SEMANTIC[name]
    with pytest.raises(SpecSemanticError) as caught:
        load(INVALID / f"{name}.mem")
    error = caught.value
    assert (error.span.line, error.span.column) == (line, column)
    assert error.message == message


def test_spec_errors_render_points_at_the_word():
    with pytest.raises(SpecSemanticError) as caught:
        load(INVALID / "unknown_node_in_edge.mem")
    path = INVALID / "unknown_node_in_edge.mem"
    assert caught.value.render() == (
        f"{path}:11:20: error: unknown node 'lwo' in edge 'bottom'; "
        "did you mean 'low'?\n"
        "   11 |     bottom: out -> lwo\n"
        "      |                    ^^^\n"
        "hint: declared nodes are high, low, out"
    )


def test_spec_errors_syntax_hint_names_the_fix():
    with pytest.raises(SpecSyntaxError) as caught:
        load(INVALID / "syntax_unit_with_space.mem")
    assert caught.value.hint == (
        "a unit is written without spaces, as in 'mPa*s' or 'um^2/ms'"
    )


def test_spec_errors_several_problems_are_reported_together_in_order():
    text = (
        "network n\n"
        "nodes { a: input, b: output, a: hidden }\n"
        "edges { e: a -> c }\n"
        "task mapping { inputs { a = 1 V } targets { b = 1 V } }\n"
    )
    with pytest.raises(SpecErrors) as caught:
        parse(text, "n.mem")
    errors = caught.value.errors
    positions = [(e.span.line, e.span.column) for e in errors]
    assert positions == sorted(positions)
    # The edge to the unknown node 'c' leaves 'b' cut off from every input.
    assert caught.value.message == (
        "node 'b' is not connected to any input node, so its voltage is undefined"
    )
    assert (caught.value.span.line, caught.value.span.column) == (2, 19)
    rendered = caught.value.render()
    assert "n.mem:2:30: error: node 'a' is declared twice" in rendered
    assert "n.mem:3:17: error: unknown node 'c' in edge 'e'" in rendered
    assert len(errors) == 3


def test_spec_errors_unknown_setting_in_node_lists_the_known_ones():
    text = (
        "network n\nnodes { a: input { presure = 1 bar }, b: output }\n"
        "edges { e: a -> b }\ntask mapping { inputs { a = 1 V } targets { b = 1 V } }\n"
    )
    with pytest.raises(SpecSemanticError) as caught:
        parse(text)
    assert caught.value.message == (
        "unknown setting 'presure' in node 'a'; did you mean 'pressure'?"
    )
    assert caught.value.hint == "node 'a' takes pressure, concentration"
    assert caught.value.span.path == "<string>"


def test_spec_errors_missing_file_is_one_line(tmp_path):
    with pytest.raises(SpecFileError) as caught:
        load(tmp_path / "nowhere.mem")
    assert caught.value.render() == f"error: {tmp_path / 'nowhere.mem'}: no such file"


def test_spec_errors_binary_file_is_one_line(tmp_path):
    path = tmp_path / "garbage.mem"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SpecFileError) as caught:
        load(path)
    assert caught.value.render() == f"error: {path}: is a binary file, not a .mem spec"


def test_spec_errors_non_utf8_file_names_the_byte(tmp_path):
    path = tmp_path / "latin1.mem"
    path.write_bytes("network caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecFileError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: is not UTF-8 text (byte 0xe9 at offset 11)"


def test_spec_errors_directory_is_a_file_error(tmp_path):
    with pytest.raises(SpecFileError) as caught:
        load(tmp_path)
    assert "\n" not in caught.value.render()
    assert str(caught.value) == f"{tmp_path}: is a directory, not a spec file"


def test_spec_errors_from_a_string_show_the_source_line():
    text = MAPPING.replace("inputs { a = 1 V }", "inputs { a = 1 }")
    with pytest.raises(SpecSemanticError) as caught:
        parse(text, "x.mem")
    assert caught.value.render() == (
        "x.mem:4:29: error: '1' has no unit, but a voltage is expected\n"
        "    4 | task mapping { inputs { a = 1 } targets { b = 1 V } }\n"
        "      |                             ^\n"
        "hint: add a unit, as in '1 V'"
    )


def test_spec_errors_missing_network_name():
    with pytest.raises(SpecSemanticError) as caught:
        parse(MAPPING.replace("network n\n", ""), "x.mem")
    assert caught.value.message == "the spec does not name its network"
    assert (caught.value.span.line, caught.value.span.column) == (1, 1)


def test_spec_errors_regression_bias_needs_a_voltage():
    text = MAPPING.replace(
        "mapping { inputs { a = 1 V } targets { b = 1 V } }",
        "regression { slope = 1, intercept = 0 V, data = a, bias = a\n"
        "  ground = a, output = b, range = 1 V .. 2 V\n"
        "  train_samples = 3, test_points = 2 }",
    )
    with pytest.raises(SpecSemanticError) as caught:
        parse(text)
    assert caught.value.message == (
        "'bias' needs a node and its voltage, as in 'b at 1 V'"
    )
    assert (caught.value.span.line, caught.value.span.column) == (4, 64)


@pytest.mark.parametrize("number", ["1e400", "1e-400"])
def test_a_value_beyond_double_precision_is_an_error_at_the_value(number):
    text = MAPPING + f"device {{ length = {number} um }}\n"
    with pytest.raises(SpecSemanticError) as info:
        parse(text, "huge.mem")
    error = info.value
    assert error.message.startswith(f"'{number} um' does not fit in a floating-point")
    assert (error.span.line, error.span.column) == (5, 19)


@pytest.mark.parametrize(("char", "shown"), [("\u200b", "U+200B"), ("\r", "U+000D")])
def test_an_invisible_character_is_named_by_its_code_point(char, shown):
    text = MAPPING.replace("a: input", f"a: input{char}", 1)
    with pytest.raises(SpecSyntaxError) as info:
        parse(text, "odd.mem")
    assert info.value.message.startswith(f"unexpected character '{shown}'")
    assert (info.value.span.line, info.value.span.column) == (2, 17)
