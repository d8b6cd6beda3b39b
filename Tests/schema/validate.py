#!/usr/bin/env python3
"""Keeps schema/topology.schema.json in step with the compiler (`make schema-test`).

1. The schema is a valid JSON Schema (draft 2020-12).
2. Every bundled topology file (platforms, their includes and variants) validates, read the
   way an editor's YAML language server reads it (YAML 1.2, ruamel.yaml).
3. The fixtures of the type-error kinds (wrong-type, unknown-key, and invalid-value where a
   value is out of an enumeration) are rejected.
4. Every key the compiler's decoders take appears in the schema, so a new key cannot be
   added to the language and forgotten here.
"""
import glob
import subprocess
import json
import os
import re
import sys

import jsonschema
from ruamel.yaml import YAML

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(ROOT)
failures = []

schema = json.load(open("schema/topology.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
yaml = YAML(typ="safe", pure=True)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f)


def errors(doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


bundled = sorted(p for p in glob.glob("topologies/*/**/*.yaml", recursive=True)
                 if not p.startswith("topologies/invalid/") and "/workloads/" not in p)
for path in bundled:
    for e in errors(load(path)):
        failures.append("%s: %s at %s" % (path, e.message, "/".join(map(str, e.absolute_path)) or "top level"))

# What `iotopo import` writes must validate too: every import fixture, imported by the built
# binary (make schema-test builds it first).
imported = sorted(glob.glob("topologies/import/*.txt"))
for path in imported:
    out = subprocess.run([".build/debug/iotopo", "import", path], capture_output=True, text=True)
    if out.returncode != 0:
        failures.append("%s: iotopo import failed: %s" % (path, out.stderr.strip()[:200]))
        continue
    for e in errors(yaml.load(out.stdout)):
        failures.append("%s (imported): %s at %s" % (path, e.message, "/".join(map(str, e.absolute_path)) or "top level"))

rejected = sorted(glob.glob("topologies/invalid/wrong-type/fires*.yaml") + glob.glob("topologies/invalid/unknown-key/fires*.yaml")
                  + ["topologies/invalid/invalid-value/fires.yaml"])
for path in rejected:
    try:
        doc = load(path)
    except Exception:
        continue  # not even YAML: rejected
    if not errors(doc):
        failures.append("%s: the schema accepts a fixture the compiler rejects" % path)

keys = set()
for path in glob.glob("Sources/IotopoCompiler/Decode/*.swift"):
    keys |= set(re.findall(r'(?:require|optional|take)\(&\w+, "([a-z-]+)"\)', open(path).read()))
text = json.dumps(schema)
for k in sorted(keys):
    if '"%s"' % k not in text:
        failures.append("key '%s' is decoded by the compiler but missing from the schema" % k)

for f in failures:
    print("schema-test: " + f, file=sys.stderr)
print("schema-test: %d bundled files valid, %d imports valid, %d type-error fixtures rejected, %d decoder keys in the schema%s"
      % (len(bundled), len(imported), len(rejected), len(keys), "" if not failures else "; %d failures" % len(failures)))
sys.exit(1 if failures else 0)
