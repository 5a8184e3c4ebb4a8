"""The conda environments pin the same versions as requirements.txt."""

import re
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


def rule_blocks():
    """(file, rule name, the rule's text, whether it is a `use rule ... as NAME
    with:` that inherits the rest) for every rule in the rule files."""
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        parts = re.split(r"^(?:rule (\w+)|use rule \w+ as (\w+) with):$", path.read_text(), flags=re.MULTILINE)
        for rule, used, body in zip(parts[1::3], parts[2::3], parts[3::3]):
            yield path, rule or used, body, bool(used)


def test_every_rule_names_an_existing_env():
    defined = [(path, name, body) for path, name, body, inherits in rule_blocks() if not inherits]
    assert len(defined) >= 9, [name for _, name, _ in defined]
    for path, name, body in defined:
        env = re.search(r"^\s+conda:\s*\n\s+\"([^\"]+)\"", body, flags=re.MULTILINE)
        assert env, f"rule {name} in {path.name} has no conda: environment"
        assert (path.parent / env.group(1)).resolve().is_file(), f"rule {name}: {env.group(1)} does not exist"


def test_every_script_rule_carries_the_hash_of_its_script():
    """Without `code=script_hash(...)` of its own script, a rule's code edits
    would silently rerun nothing (see docs/reproducibility.md, "Only what changed reruns").
    A rule that names its script by `params.script` (the figure rules' shared
    shape) gets both from `entry_script("name")`, so every such rule must call it."""
    scripts = 0
    for path, name, body, inherits in rule_blocks():
        entry = re.search(r'\*\*entry_script\("(\w+)"\)', body)
        script = re.search(r"^\s+script:\s*\n\s+\"\.\./scripts/([^\"]+)\"", body, flags=re.MULTILINE)
        if entry:
            script_name = f"{entry.group(1)}.py"
        elif script:
            script_name = script.group(1)
            assert "{" not in script_name, f"rule {name} in {path.name}: {script_name} without entry_script(...)"
            expected = f'code=script_hash("{script_name}")'
            assert expected in body.replace(" ", ""), f"rule {name} in {path.name} lacks {expected}"
        else:  # no script, or a `use rule` that runs its base rule's script with its code hash
            continue
        scripts += 1
        assert (REPO / "workflow" / "scripts" / script_name).is_file(), f"rule {name}: {script_name}"
    assert scripts >= 9


def test_the_version_is_one_number_everywhere():
    """pyproject.toml, CITATION.cff and the changelog name the same release."""
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["version"] == version
    assert citation["license"] == "MIT" and (REPO / "LICENSE").read_text().startswith("MIT License")
    changelog = (REPO / "CHANGELOG.md").read_text()
    released = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)
    assert released[0] == version, f"CHANGELOG.md's newest entry is {released[0]}, pyproject.toml says {version}"


# Snakemake reports which rules are local only once the workflow is parsed.
LOCAL_RULES = """
import json
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import OutputSettings, ResourceSettings

with SnakemakeApi(OutputSettings()) as api:
    workflow = api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=Path("Snakefile"))._workflow
    print(json.dumps({"rules": [r.name for r in workflow.rules], "local": sorted(workflow._localrules)}))
"""


def test_only_trainings_and_the_activation_table_go_to_a_cluster(tmp_path):
    """On a cluster every other rule runs on the submit host in seconds. A
    `use rule ... with:` does not inherit `localrule: True`, so each says it."""
    import json
    import subprocess
    import sys

    from conftest import copy_workflow

    directory = copy_workflow(tmp_path / "run")
    parsed = subprocess.run(
        [sys.executable, "-c", LOCAL_RULES], cwd=directory, capture_output=True, text=True, check=True
    )
    rules = json.loads(parsed.stdout.strip().splitlines()[-1])
    submitted = set(rules["rules"]) - set(rules["local"]) - {"all"}
    assert submitted == {"train", "tune", "train_fixed", "tabulate_activations"}, submitted


def test_parsing_the_workflow_imports_neither_scipy_nor_pandas():
    """Every snakemake call parses the workflow, and on a cluster every job does:
    the actzoo modules common.smk imports must stay light (importing scipy.stats
    and pandas costs about a second; actzoo.adaptive, which needs them, is
    imported by its rules' scripts, and common.smk takes the plan from actzoo.looks)."""
    import subprocess
    import sys

    common = (REPO / "workflow" / "rules" / "common.smk").read_text()
    imports = re.findall(r"^from (actzoo(?:\.\w+)?) import (\w+)", common, flags=re.MULTILINE)
    modules = [f"actzoo.{name}" if module == "actzoo" else module for module, name in imports]
    assert "actzoo.looks" in modules, modules
    check = (
        f"import sys; sys.path.insert(0, {str(REPO / 'workflow' / 'scripts')!r}); "
        + "; ".join(f"import {module}" for module in modules)
        + "; print(sorted(m for m in ('scipy', 'pandas', 'statsmodels') if m in sys.modules))"
    )
    imported = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]", f"{modules} import {imported.stdout.strip()}"
