"""Reads one of our feeds with a consumer other than ours.

Atom (and RSS) go through Python's feedparser; it flags any problem it meets
in `bozo`. No released feedparser (6.0.14 at most) reads JSON Feed, so a JSON
Feed is checked here against the MUSTs of the JSON Feed 1.1 specification.
Exits 1, saying why, on any problem; prints the version and entry count
otherwise. Usage: python3 check_feed.py URL
"""
import json
import sys
import urllib.request
from datetime import datetime

import feedparser


def fail(message):
    print(f"problem: {message}")
    sys.exit(1)


def rfc3339(value, where):
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        fail(f"{where}: {value!r} is not an RFC 3339 date")


def check_json_feed(body):
    try:
        feed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        fail(f"not UTF-8 JSON: {error}")
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        fail(f"version is {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        fail("no title")
    items = feed.get("items")
    if not isinstance(items, list) or not items:
        fail("no items")
    for n, item in enumerate(items):
        where = f"item {n}"
        if not isinstance(item.get("id"), str) or not item["id"]:
            fail(f"{where}: no string id")
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            fail(f"{where}: neither content_html nor content_text")
        for key in ("date_published", "date_modified"):
            if key in item:
                rfc3339(item[key], f"{where}.{key}")
        for key in ("url", "external_url"):
            if key in item and not item[key].startswith(("http://", "https://")):
                fail(f"{where}.{key} is not an absolute URL")
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        fail("two items share an id")
    return f"json1.1: {len(items)} entries"


def check_xml_feed(body, content_type):
    feed = feedparser.parse(body, response_headers={"content-type": content_type})
    if feed.get("bozo"):
        fail(repr(feed.get("bozo_exception")))
    if not feed.entries:
        fail("no entries")
    for entry in feed.entries:
        if not entry.get("id") or not entry.get("title") or not entry.get("updated"):
            fail(f"entry without id, title or updated: {entry!r}")
    return f"{feed.version}: {len(feed.entries)} entries"


with urllib.request.urlopen(sys.argv[1]) as response:
    content_type = response.headers.get("content-type", "")
    body = response.read()
if content_type.startswith("application/feed+json"):
    print(check_json_feed(body))
else:
    print(check_xml_feed(body, content_type))
