"""Bad scenarios and bad calls: a pointed capstan.ScenarioError, never a crash or a half-made result."""
import pickle
import subprocess

import pytest

import capstan
from capstan import _core
from conftest import cli_binary


def test_scenario_error_is_a_value_error():
    assert issubclass(capstan.ScenarioError, ValueError)
    assert capstan.ScenarioError.__doc__


def test_wrong_type_in_dict(tiny_dict):
    tiny_dict["workload"]["peak_users"] = "lots"
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(tiny_dict)
    e = info.value
    assert e.file == "<dict>"
    assert e.pointer == "/workload/peak_users"
    assert e.expected and "lots" in e.found
    message = str(e)
    for part in (e.file, e.pointer, e.expected, e.found):
        assert part in message


def test_every_error_in_one_pass(tiny_dict, tmp_path):
    tiny_dict["workload"]["peak_users"] = "lots"
    tiny_dict["classes"][0]["slo"]["percentile"] = 150
    tiny_dict["routing"]["policy"] = "fastest"
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(tiny_dict)
    e = info.value
    pointers = ["/workload/peak_users", "/classes/0/slo/percentile", "/routing/policy"]
    assert [x["pointer"] for x in e.errors] == pointers
    assert e.pointer == pointers[0] and e.errors[0]["found"] == e.found
    assert all(x["expected"] and x["found"] for x in e.errors)
    assert len(str(e).splitlines()) == 3
    # The CLI prints the same errors, one line each, and exits 2.
    cli = cli_binary()
    if cli:
        import json
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(tiny_dict))
        out = subprocess.run([cli, "validate", str(path)], capture_output=True, text=True)
        assert out.returncode == 2 and out.stdout == ""
        lines = out.stderr.splitlines()
        assert [line.split(": ")[2] for line in lines] == pointers
        assert all(line.startswith(f"capstan: {path}: ") for line in lines)


def test_out_of_range_value(tiny_dict):
    tiny_dict["workload"]["peak_users"] = -5
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(tiny_dict)
    assert info.value.pointer == "/workload/peak_users" and "-5" in info.value.found


def test_unknown_key_suggests_the_nearest(tiny_dict):
    tiny_dict["workload"]["peak_user"] = tiny_dict["workload"].pop("peak_users")
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(tiny_dict)
    e = info.value
    assert e.pointer == "/workload/peak_user"
    assert "peak_users" in str(e)


def test_unknown_top_level_key(tiny_dict):
    tiny_dict["simulaton"] = {}
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(tiny_dict)
    assert info.value.pointer == "/simulaton" and "simulation" in str(info.value)


def test_missing_file(tmp_path):
    path = str(tmp_path / "nowhere.json")
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(path)
    assert info.value.file == path and info.value.pointer == ""
    with pytest.raises(capstan.ScenarioError):
        capstan.run(path)


@pytest.mark.parametrize("content", ["", "{", "[1, 2]", "not json at all"])
def test_not_a_scenario_file(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(str(path))
    assert info.value.file == str(path)


def test_bad_override_value(tiny):
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.run(tiny, set={"workload.peak_users": -1})
    assert info.value.pointer == "/workload/peak_users"
    assert info.value.file == tiny.source


def test_unknown_override_path(tiny):
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.run(tiny, set={"workload.peak_userz": 10})
    assert "peak_users" in str(info.value)


def test_override_without_equals(tiny):
    with pytest.raises(capstan.ScenarioError):
        capstan.run(tiny, set=["workload.peak_users"])


def test_bad_set_argument(tiny):
    with pytest.raises(TypeError):
        capstan.run(tiny, set="workload.peak_users=5")
    with pytest.raises(TypeError):
        capstan.load(42)


def test_core_argument_checks(tiny_path):
    with pytest.raises(ValueError):
        _core.validate()
    with pytest.raises(ValueError):
        _core.validate(path=tiny_path, text="{}")
    with pytest.raises(ValueError):
        _core.run(path=tiny_path, replications=0)
    with pytest.raises(ValueError):
        _core.run(path=tiny_path, threads=-1)
    with pytest.raises(TypeError):
        _core.run(path=tiny_path, seed=-1)


def test_error_survives_pickling(tiny_dict):
    # Dask sends a worker's exceptions back to the client pickled.
    tiny_dict["workload"]["peak_users"] = "lots"
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(tiny_dict)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is capstan.ScenarioError
    assert (again.file, again.pointer, again.expected, again.found, str(again)) == (
        info.value.file, info.value.pointer, info.value.expected, info.value.found, str(info.value))


def test_same_message_as_the_cli(tiny_dict, tmp_path):
    cli = cli_binary()
    if cli is None:
        pytest.skip("the capstan CLI is not built beside the Python package")
    tiny_dict["workload"]["peak_users"] = "lots"
    path = tmp_path / "bad.json"
    import json

    path.write_text(json.dumps(tiny_dict))
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.load(str(path))
    done = subprocess.run([cli, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert str(info.value) in done.stderr
