"""Which outlet an article is from, named one way: configs/outlets.yaml is the registry.

A credit or metadata name ("AP", "BBC", "Sputnik International") becomes the registry's name for
that outlet, so one outlet is one row in outlet_stance. When nothing in the text or the metadata
says the outlet, the article's URL domain or its file name ("017_timesofisrael.txt",
"dailymail-2023-05-01.json") may: many corpora are stored one file per article named after the site.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath
from urllib.parse import urlsplit

import yaml

from stancewatch.tasks.config import PACKAGED_CONFIGS

OUTLETS_FILE = PACKAGED_CONFIGS / "outlets.yaml"  # config.use_world_files points it at a config folder's
# Second-level labels of a country's suffix: bbc.co.uk, abc.net.au, pravda.com.ua.
_COUNTRY_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac"}


def _key(name: str) -> str:
    """'The Times of Israel' -> 'timesofisrael': case, spacing and punctuation ignored, and a leading
    'The' unless what is left is a short common word ('The Times', 'The News' stay whole)."""
    key = re.sub(r"[\W_]+", "", name.lower())
    return key[3:] if key.startswith("the") and len(key) >= 11 else key


def _host(address: str) -> str | None:
    host = urlsplit(address if "//" in address else f"//{address}").hostname
    return host.removeprefix("www.") if host and "." in host else None


def _site_word(domain: str) -> str | None:
    """The one word a site is known by, from a plain domain: 'dailymail.co.uk' -> 'dailymail'. None for
    subdomain hosts ('english.news.cn'), whose first label is a section, not the outlet."""
    labels = domain.removeprefix("www.").split(".")
    if len(labels) == 3 and labels[1] in _COUNTRY_SECOND_LEVEL:
        labels = labels[:2]
    return labels[0] if len(labels) == 2 else None


@dataclass(frozen=True)
class Registry:
    names: dict[str, str]  # every way to write an outlet (name, alias, site word; as keys) -> its name
    domains: dict[str, str]  # web domain -> name


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The lookup tables of configs/outlets.yaml. A key two outlets share ('pravda' from pravda.ru and
    pravda.com.ua) names neither: a wrong outlet is worse than none."""
    entries = yaml.safe_load(OUTLETS_FILE.read_text(encoding="utf-8"))["outlets"]
    owners, domains = defaultdict(set), {}
    for entry in entries:
        keys = [_key(entry["name"]), *map(_key, entry.get("aliases", []))]
        keys += [_key(word) for domain in entry.get("domains", []) if (word := _site_word(domain))]
        for key in keys:
            owners[key].add(entry["name"])
        for domain in entry.get("domains", []):
            domains[domain.removeprefix("www.")] = entry["name"]
    return Registry({key: next(iter(names)) for key, names in owners.items() if len(names) == 1}, domains)


def is_known_outlet(name: str) -> bool:
    return _key(name) in registry().names


def canonical_outlet(name: str) -> str:
    """The registry's name for an outlet written some other way; unknown names stay as written."""
    return registry().names.get(_key(name), name)


def outlet_from_address(url: str | None, path: str | None) -> str | None:
    """The outlet a URL's domain (or a parent domain: edition.cnn.com) or a file's name says, when the
    registry knows it."""
    known = registry()
    labels = (_host(url) or "").split(".") if url else []
    for start in range(max(len(labels) - 1, 0)):
        if (domain := ".".join(labels[start:])) in known.domains:
            return known.domains[domain]
    if not path:
        return None
    # the whole file name without its numbers: "017_times_of_israel", "bbc-2024-05-01"
    slug = _key("".join(word for word in re.split(r"[\W_]+", PurePath(path).stem) if not word.isdigit()))
    return known.names.get(slug)
