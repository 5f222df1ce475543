"""Reads the JSON-LD of an HTML page as a JSON-LD processor does (PyLD),
independently of the Rust code that wrote it, and prints every block
expanded (full IRIs, values as lists) as one JSON array.

Usage: read_json_ld.py PAGE.html
The schema.org context is given locally (@vocab), as the machine has no
access to schema.org; a block that is not valid JSON-LD fails the read.
"""
import json
import sys
from html.parser import HTMLParser

from pyld import jsonld

SCHEMA_ORG = {"@context": {"@vocab": "https://schema.org/"}}


def loader(url, options=None):
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": SCHEMA_ORG}
    raise jsonld.JsonLdError("only schema.org is known here", "loading document failed", {"url": url})


class Blocks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside = False
        self.blocks = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and ("type", "application/ld+json") in attrs:
            self.inside = True
            self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.blocks[-1] += data


def main(page):
    with open(page, encoding="utf-8") as f:
        parser = Blocks()
        parser.feed(f.read())
    jsonld.set_document_loader(loader)
    expanded = [jsonld.expand(json.loads(block)) for block in parser.blocks]
    print(json.dumps(expanded))


if __name__ == "__main__":
    main(sys.argv[1])
