"""The conda environments pin the same versions as requirements.txt."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def pins(lines):
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[name.split("[")[0].strip().lower()] = version.strip()
    return found


def test_conda_envs_agree_with_requirements():
    required = pins((REPO / "requirements.txt").read_text().splitlines())
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        assert "python=3.11" in spec["dependencies"]
        for name, version in pins(pip).items():
            assert required.get(name) == version, f"{env.name}: {name}=={version} vs requirements.txt"


def test_every_rule_names_an_existing_env():
    for rules in (REPO / "workflow" / "rules").glob("*.smk"):
        for line in rules.read_text().splitlines():
            if line.strip().startswith('"../../envs/'):
                assert (rules.parent / line.strip().strip('"')).resolve().exists(), line
