"""Build the real-news bench corpus for bench/pipeline_bench.py --corpus (not a test; never commit it).

    python bench/build_news_corpus.py --mirror-root /work/.mirror --out /work/corpora/news
    python bench/pipeline_bench.py --corpus /work/corpora/news --sizes 1000 5000 10000

About 10 800 distinct English news articles from public GitHub copies of five datasets. Several
state no licence or restrict redistribution (the BBC's and Reuters' articles are theirs, the DUC
documents come under a NIST agreement), so the corpus is for local timing only. Each repository is
read from a git snapshot at <mirror-root>/<owner>+<name>/repo (the workplace's `fetch`, or a
`git clone --bare https://github.com/<owner>/<name> <mirror-root>/<owner>+<name>/repo`); commits used:

  suraj-deshmukh/BBC-Dataset-News-Classification e337a35e  BBC News 2004-05 (dataset/data_files/<section>/NNN.txt)
  gsandeep1241/TextSummarizer                     fc9af3cf  DUC 2006/2007 AP, NYT, Xinhua newswire (SGML)
  shruthi0907/fake_news_detection                 caae7a89  ISOT True1.csv (Reuters politics 2017)
  pmacinec/fake-news-datasets                     0ea4a5cc  FakeNewsNet and "This Just In" real-news items
  mihaibogdan10/json-reuters-21578                af8b9c60  Reuters-21578 (SGML)

Each article becomes one UTF-8 .txt file: the title, a blank line, then paragraphs separated by blank
lines. Bodies under 800 characters and bodies seen before (case and spacing ignored, sources in the
order above) are left out.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

MIN_BODY_CHARS = 800


class Snapshot:
    """The files of one repository's HEAD in a bare git snapshot, read without a work tree."""

    def __init__(self, mirror_root: Path, repo: str):
        folder = mirror_root / repo.replace("/", "+") / "repo"
        self.git_dir = folder / ".git" if (folder / ".git").is_dir() else folder  # fetched with or without a work tree
        self.repo = repo

    def exists(self) -> bool:
        return (self.git_dir / "HEAD").is_file()

    def paths(self, pattern: str) -> list[str]:
        listing = subprocess.run(["git", "--git-dir", str(self.git_dir), "ls-tree", "-r", "--name-only", "HEAD"],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
        return sorted(path for path in listing if re.search(pattern, path))

    def read(self, path: str) -> str:
        data = subprocess.run(["git", "--git-dir", str(self.git_dir), "show", f"HEAD:{path}"],
                              capture_output=True, check=True).stdout
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")


def paragraphs(text: str) -> list[str]:
    """Blank-line paragraphs when the text has them, else one paragraph per line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = re.split(r"\n\s*\n", text) if "\n\n" in text.strip() else text.split("\n")
    return [" ".join(chunk.split()) for chunk in chunks if chunk.strip()]


def bbc(snapshot: Snapshot):
    for path in snapshot.paths(r"^dataset/data_files/\w+/\d+\.txt$"):
        title, _, body = snapshot.read(path).partition("\n")
        yield path.removeprefix("dataset/data_files/"), title, paragraphs(body)


def _sgml(document: str, tag: str) -> str | None:
    found = re.search(rf"<{tag}>(.*?)</{tag}>", document, re.S)
    return found.group(1) if found else None


def _indented_paragraphs(text: str) -> list[str]:
    """Newswire style: a paragraph starts at an indented or blank line."""
    found, current = [], []
    for line in text.split("\n"):
        if (not line.strip() or line[:1] in " \t") and current:
            found.append(" ".join(current))
            current = []
        if line.strip():
            current.append(line.strip())
    return found + ([" ".join(current)] if current else [])


def duc(snapshot: Snapshot):
    seen = set()
    for path in snapshot.paths(r"^DUC_data/DUC200[67]/duc200[67]_(?:docs|testdocs)/.+/[^/]+$"):
        document, name = snapshot.read(path), path.rsplit("/", 1)[1]
        text = _sgml(document, "TEXT")
        if name in seen or "README" in path or text is None:
            continue
        seen.add(name)
        found = re.findall(r"<P>(.*?)</P>", text, re.S) if "<P>" in text else _indented_paragraphs(text)
        found = [" ".join(html.unescape(re.sub(r"&\w+;", lambda m: m.group(0) if m.group(0) in ("&amp;", "&lt;", "&gt;")
                                               else "", p)).split()) for p in found]
        relative = path.removeprefix("DUC_data/").replace("duc2006_docs/", "").replace("duc2007_testdocs/", "")
        yield relative + ".txt", html.unescape(" ".join((_sgml(document, "HEADLINE") or "").split())), found


def _repair_mojibake(text: str) -> str:
    """UTF-8 read as cp1252 ('â€œ') back to what was written, run by run."""
    def repair(run):
        try:
            return run.group(0).encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return run.group(0)
    return re.sub(r"[^\x00-\x7f]+", repair, text)


def isot(snapshot: Snapshot):
    rows = list(csv.reader(io.StringIO(snapshot.read("True1.csv").lstrip("\ufeff"))))[1:]
    for number, row in enumerate(rows, start=1):
        if len(row) >= 2:
            yield f"{number:04d}.txt", _repair_mojibake(row[0]), paragraphs(_repair_mojibake(row[1]))


def fakenewsnet(snapshot: Snapshot):
    for path in snapshot.paths(r"FakeNewsNet-old-version/Data/\w+/RealNewsContent/[^/]+\.json$"):
        item = json.loads(snapshot.read(path))
        found = [p for p in paragraphs(item.get("text") or "") if not re.match(r"^[\d.,]+k? SHARES", p)]
        site = path.split("/Data/")[1].split("/")[0]
        yield f"{site}/{Path(path).stem}.txt", item.get("title", ""), found


def this_just_in(snapshot: Snapshot):
    titles = {path.replace("/Real_titles/", "/Real/") for path in snapshot.paths(r"this_just_in/data/.+/Real_titles/")}
    for path in snapshot.paths(r"this_just_in/data/[^/]+/Real/[^/]+\.txt$"):
        title_path = path.replace("/Real/", "/Real_titles/")
        title = snapshot.read(title_path).strip() if path in titles else ""
        dataset = "buzzfeed" if "Buzzfeed" in path else "random"
        yield f"{dataset}/{Path(path).name}", title, paragraphs(snapshot.read(path))


def reuters(snapshot: Snapshot):
    for path in snapshot.paths(r"^sgm-data/reut2-\d+\.sgm$"):
        for number, document in re.findall(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', snapshot.read(path), re.S):
            body = _sgml(document, "BODY")
            if body is None:
                continue
            body = re.sub(r"\s*Reuter\s*$", "", html.unescape(re.sub(r"&#\d+;", "", body)).rstrip(), flags=re.I)
            found = _indented_paragraphs(body)
            dateline = _sgml(document, "DATELINE")
            if dateline and found:
                found[0] = f"{html.unescape(dateline).strip()} {found[0]}"
            text = "\n".join(found)
            if text and sum(ch.isalpha() for ch in text) / len(text) < 0.65:  # tables of figures
                continue
            title = html.unescape(re.sub(r"&#\d+;", "", _sgml(document, "TITLE") or ""))
            yield f"{int(number):05d}.txt", title, found


SOURCES = [  # (folder, repository, reader), in the order duplicates are resolved
    ("bbc", "suraj-deshmukh/BBC-Dataset-News-Classification", bbc),
    ("duc2006_2007", "gsandeep1241/TextSummarizer", duc),
    ("isot_true_sample", "shruthi0907/fake_news_detection", isot),
    ("fakenewsnet_old_real", "pmacinec/fake-news-datasets", fakenewsnet),
    ("this_just_in_real", "pmacinec/fake-news-datasets", this_just_in),
    ("reuters21578", "mihaibogdan10/json-reuters-21578", reuters),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=Path("/work/corpora/news"))
    args = parser.parse_args()
    seen, written = set(), Counter()
    for folder, repo, read in SOURCES:
        snapshot = Snapshot(args.mirror_root, repo)
        if not snapshot.exists():
            print(f"skipped {folder}: no snapshot at {snapshot.git_dir} (get it with "
                  f"git clone --bare https://github.com/{repo} {snapshot.git_dir})")
            continue
        for name, title, found in read(snapshot):
            body = "\n\n".join(p for p in found if p)
            key = hashlib.sha1(" ".join(body.lower().split()).encode()).hexdigest()
            if len(body) < MIN_BODY_CHARS or key in seen:
                continue
            seen.add(key)
            title = " ".join((title or "").split()) or re.match(r".{0,120}", body).group(0)
            path = args.out / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
            written[folder] += 1
        print(f"{folder}: {written[folder]} articles from {repo}")
    print(f"total: {sum(written.values())} articles in {args.out}")


if __name__ == "__main__":
    main()
