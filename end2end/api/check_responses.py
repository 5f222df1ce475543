"""Judges API responses against our OpenAPI document, independently of the
Rust code that wrote both: each response's status must be one the document
lists for its path, its content type one it names, and its body valid
against the schema given there (JSON Schema 2020-12, as OpenAPI 3.1 says).

Usage: check_responses.py OPENAPI.json RESPONSES.jsonl
Each line of RESPONSES: {"path": "/api/v1/…?…", "status": 200,
"content_type": "application/json", "body": "…"}. Exits 1 naming every
response that does not match.
"""
import json
import re
import sys
from urllib.parse import quote, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = "urn:lumieres:openapi"


def pointer(*parts):
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return quote("/" + "/".join(escaped), safe="/~")


def template_of(path, templates):
    for template in templates:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    return None


def main(document_file, responses_file):
    with open(document_file, encoding="utf-8") as f:
        document = json.load(f)
    registry = Registry().with_resource(
        DOCUMENT, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    # Literal paths before templated ones, so /persons is not /{slug}.
    templates = sorted(document["paths"], key=lambda t: t.count("{"))
    failures = []
    checked = 0
    with open(responses_file, encoding="utf-8") as f:
        for line in f:
            seen = json.loads(line)
            path = urlsplit(seen["path"]).path
            where = f'{seen["status"]} {seen["path"]}'
            template = template_of(path, templates)
            if template is None:
                failures.append(f"{where}: no path of the document matches")
                continue
            responses = document["paths"][template]["get"]["responses"]
            status = str(seen["status"])
            if status not in responses:
                failures.append(f"{where}: the document lists no {status} for {template}")
                continue
            content = responses[status].get("content", {})
            if not content:
                if seen["body"]:
                    failures.append(f"{where}: a body where the document says none")
                checked += 1
                continue
            media = (seen.get("content_type") or "").split(";")[0].strip()
            if media not in content:
                failures.append(f"{where}: content type {media!r}, the document says {sorted(content)}")
                continue
            schema = {"$ref": DOCUMENT + "#" + pointer("paths", template, "get", "responses", status, "content", media, "schema")}
            validator = Draft202012Validator(schema, registry=registry)
            errors = sorted(validator.iter_errors(json.loads(seen["body"])), key=lambda e: list(e.path))
            for error in errors:
                failures.append(f"{where}: at /{'/'.join(map(str, error.path))}: {error.message}")
            checked += 1
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{checked} responses match the document")


if __name__ == "__main__":
    main(*sys.argv[1:])
