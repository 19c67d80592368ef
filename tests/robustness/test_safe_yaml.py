"""The safe YAML loader: one clear message for every hostile or broken file."""

from __future__ import annotations

import pytest

from leptomarket.errors import InputError
from leptomarket.knowledge import safe_yaml
from leptomarket.knowledge.safe_yaml import load_yaml


def bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


CASES = {
    "duplicate": (b"name: x\ndescription: d\nname: y\n", ["duplicate key 'name'", "line 3"]),
    "latin1": ("name: caf\xe9\n".encode("latin-1"), ["not UTF-8", "byte 9"]),
    "deep": (("a: " + "[" * 100 + "]" * 100 + "\n").encode(), ["nesting deeper than 64"]),
    "libyaml_deep": (("a: " + "[" * 2000 + "]" * 2000 + "\n").encode(), ["nesting"]),
    "huge_int": (("a: " + "9" * 5000 + "\n").encode(), ["5000 digits", "too large"]),
    "bomb": (bomb().encode(), ["anchor bomb"]),
    "many_aliases": (
        ("a: &x 1\nb: [" + ", ".join(["*x"] * 150) + "]\n").encode(),
        ["more than 100 aliases"],
    ),
    "syntax": (b"a: [1, 2\n", ["invalid YAML"]),
    "unhashable_key": (b"? [1, 2]\n: 3\n", ["plain value"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_yaml_gives_one_input_error(tmp_path, case):
    content, words = CASES[case]
    path = tmp_path / "f.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_yaml(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_a_folder_named_yaml_is_refused(tmp_path):
    (tmp_path / "x.yaml").mkdir()
    with pytest.raises(InputError, match="is a folder, not a YAML file"):
        load_yaml(tmp_path / "x.yaml")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_yaml(tmp_path / "absent.yaml")


def test_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(safe_yaml, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(InputError, match="limited to 100 bytes"):
        load_yaml(path)


def test_default_size_limit_is_five_megabytes():
    assert safe_yaml.MAX_FILE_BYTES == 5 * 1024 * 1024


def test_ordinary_yaml_still_loads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("a: 1\nb: [x, {c: 2.5}]\nd: &d 3\ne: *d\n")
    assert load_yaml(path) == {"a": 1, "b": ["x", {"c": 2.5}], "d": 3, "e": 3}


def test_a_modest_alias_use_is_allowed(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(bomb(levels=3, width=3))
    assert len(load_yaml(path)["a2"]) == 3
