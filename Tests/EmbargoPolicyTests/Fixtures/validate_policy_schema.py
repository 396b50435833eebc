#!/usr/bin/env python3
"""Validates embargo policy YAML files against Policies/schema.json.

Usage: validate_policy_schema.py SCHEMA.json FILE.yaml...

Each file is read with YAML 1.2 core-schema typing (the typing editors and JSON tools use, and the
one embargo's loader enforces: `yes` and dates are strings, `1.0` is a number), converted to JSON
and validated. Prints one JSON object per file: {"file", "valid", "errors": [{"path", "message"}]}.
Exit status: 0 when every file was checked (valid or not), 2 when a module is missing.
"""
import json
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError as error:  # pragma: no cover - reported to the Swift test
    print(f"missing Python module: {error.name}; install with: pip install jsonschema pyyaml", file=sys.stderr)
    sys.exit(2)


class Core12Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's implicit types instead of YAML 1.1's."""


Core12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
]:
    Core12Loader.add_implicit_resolver(tag, re.compile(pattern), first)


def check(validator, path):
    try:
        with open(path, "rb") as handle:
            document = yaml.load(handle.read().decode("utf-8"), Loader=Core12Loader)
        document = json.loads(json.dumps(document))
    except Exception as error:  # a file that is not YAML or not UTF-8 fails the check
        return {"file": path, "valid": False, "errors": [{"path": "", "message": f"cannot read: {error}"}]}
    errors = [
        {"path": "/" + "/".join(str(part) for part in error.absolute_path), "message": error.message}
        for error in sorted(validator.iter_errors(document), key=lambda error: list(map(str, error.absolute_path)))
    ]
    return {"file": path, "valid": not errors, "errors": errors}


def main(arguments):
    if len(arguments) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(arguments[0], encoding="utf-8") as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in arguments[1:]:
        print(json.dumps(check(validator, path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
