"""What produced a result: a hash of the code a script runs, and library versions."""

import ast
import hashlib
import platform
import re
from importlib import metadata
from pathlib import Path

FUNCTION_REFERENCE = re.compile(r"^(\w+(?:\.\w+)*):\w+$")
PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "scikit-learn", "pandas", "scipy", "matplotlib")


def local_modules(script, package="actzoo"):
    """The script and every ``package`` module it imports, directly or not,
    or names in a "module:function" string (a function run by a warm worker),
    with each module's assets: files sharing its name (explorer.js for explorer.py)."""
    root = Path(script).resolve().parent
    seen, todo = set(), [Path(script).resolve()]
    while todo:
        path = todo.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                # "actzoo.runs:train_and_save": a function a warm worker runs
                # for the script (actzoo.workerclient.call) is the script's code too.
                reference = FUNCTION_REFERENCE.match(node.value)
                names = [reference.group(1)] if reference and reference.group(1).startswith(package) else []
            for name in names:
                if name == package or name.startswith(package + "."):
                    module = root.joinpath(*name.split("."))
                    todo += [module.with_suffix(".py"), module / "__init__.py", *module.parent.glob(f"{module.name}.*")]
    return sorted(seen)


def code_hash(script):
    """SHA-256 over the contents of ``script`` and its local imports.

    Content, not mtime: touching a file or checking it out again changes nothing.
    """
    digest = hashlib.sha256()
    root = Path(script).resolve().parent
    for path in local_modules(script):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def versions():
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found
