"""Readers for the public stance corpora used to train the stance head (no data lives here).

Every corpus is read from a git mirror fetched outside the repository (default /work/.mirror,
one bare repository per GitHub repo at <root>/<owner>+<name>/repo) at a pinned commit, so a
rebuild sees exactly the bytes recorded in bench/training_data.md. Shared by
build_training_data.py and check_leakage.py so both use the same texts and the same normalise().
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIRROR_ROOT = Path("/work/.mirror")
LABELS = ("FAVOR", "AGAINST", "NONE")
QUOTE_CHARS = "\"'`´“”„‟‘’‚‛«»‹›"


@dataclass(frozen=True)
class Pin:
    """A GitHub repository at one commit."""

    repo: str
    commit: str


PINS = {
    "vast": Pin("PQH-hub/GLMCL_stance_detection", "a8330808e2a6e49b33e4fc4e8d464a884c3768bc"),
    "vast_original": Pin("emilyallaway/zero-shot-stance", "e7c4775182b184730f350995f8260579c9e066fe"),
    # The only copy of vast_train.csv under the fetch size limit: zipped, the same git blob as the original's.
    "vast_train": Pin("HITSZ-HLT/JointCL", "0aa1f800824734a4dbac08ac29b1782a6344cfd4"),
    "semeval2016": Pin("emsrc/SemEval2016_T6_Stance_Detection", "38d177f3c2c49c369f6e84b2a50f694aeb464c46"),
    "pstance": Pin("kayzhou/PStance", "8890db149bc1f6248b68f9807c8559cccb78e164"),
    # The hydrated COVID-19-Stance tweets exist only in this first commit (deleted in the next one).
    "covid19": Pin("zihaohe123/wiki-enhanced-stance-detection", "20d38363906e80806aec87bb0b9eb6e0900751db"),
    "ruw": Pin("multi-target/RUW", "ecb2a4579197c5be03092a1b8fa21ead359809ce"),
    "newsmtsc": Pin("fhamborg/NewsMTSC", "b9d9b79704ed1b35cecaf1d7c2343dc1bd734fb7"),
    "basil": Pin("launchnlp/BASIL", "4fdbc4f68d5ddae648990063cb6dd11424d96222"),
    "gwsd": Pin("yiweiluo/GWStance", "7c448113a598830d3577615f48fdeab2383147ca"),
    "nli": Pin("ZhengxiangShi/PowerfulPromptFT", "b4ecdea060847115e9909b442ab4eb15bcb2a2c4"),
}

COVID_TARGETS = {
    "face_masks": "Wearing a Face Mask",
    "fauci": "Anthony S. Fauci, M.D.",
    "school_closures": "Keeping Schools Closed",
    "stay_at_home_orders": "Stay at Home Orders",
}
NEWSMTSC_POLARITY = {2.0: "AGAINST", 4.0: "NONE", 6.0: "FAVOR"}
PRONOUNS = frozenset(
    "he she him her his hers himself herself they them their theirs it its we us our i me my you your".split()
)
BASIL_POLARITY = {"pos": "FAVOR", "neg": "AGAINST"}
GWSD_TARGET = "climate change is a serious concern"
GWSD_LABELS = {"agree": "FAVOR", "disagree": "AGAINST", "neutral": "NONE"}
NLI_LABELS = {"entailment": "FAVOR", "contradiction": "AGAINST", "neutral": "NONE"}


@dataclass(frozen=True)
class Example:
    """One text with a stance label toward one target."""

    text: str
    target: str
    label: str
    source: str

    def as_json(self) -> dict:
        return {"text": self.text, "target": self.target, "label": self.label, "source": self.source}


def normalise(text: str) -> str:
    """NFKC, lower case, whitespace collapsed, surrounding quotes and spaces stripped."""
    text = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    return text.strip(QUOTE_CHARS + " ")


def make_example(text: str, target: str, label: str, source: str) -> Example | None:
    """An Example with stripped text and target, or None when either is empty or the label unknown."""
    text, target = text.strip(), target.strip()
    if not text or not target or label not in LABELS:
        return None
    return Example(text, target, label, source)


def collect(candidates) -> list[Example]:
    """The non-None examples, in order."""
    return [e for e in candidates if e is not None]


class Mirror:
    """Read files from the fetched bare git mirrors at pinned commits."""

    def __init__(self, root: Path = DEFAULT_MIRROR_ROOT):
        self.root = Path(root)

    def git_dir(self, repo: str) -> Path:
        base = self.root / repo.replace("/", "+") / "repo"
        return base / ".git" if (base / ".git").is_dir() else base

    def _git(self, pin: Pin, *args: str) -> bytes:
        command = ["git", "--git-dir", str(self.git_dir(pin.repo)), *args]
        result = subprocess.run(command, capture_output=True)
        if result.returncode != 0:
            raise FileNotFoundError(f"{pin.repo}@{pin.commit[:10]}: {' '.join(args)}: {result.stderr.decode().strip()}")
        return result.stdout

    def read_bytes(self, pin: Pin, path: str) -> bytes:
        return self._git(pin, "show", f"{pin.commit}:{path}")

    def read_text(self, pin: Pin, path: str, encoding: str = "utf-8") -> str:
        return self.read_bytes(pin, path).decode(encoding)

    def list_files(self, pin: Pin, folder: str) -> list[str]:
        return sorted(self._git(pin, "ls-tree", "-r", "--name-only", pin.commit, "--", folder).decode().splitlines())

    def csv_rows(self, pin: Pin, path: str, encoding: str = "utf-8", delimiter: str = ",") -> list[dict]:
        return list(csv.DictReader(io.StringIO(self.read_text(pin, path, encoding)), delimiter=delimiter))

    def jsonl_rows(self, pin: Pin, path: str) -> list[dict]:
        return [json.loads(line) for line in self.read_text(pin, path).splitlines() if line.strip()]


# --- VAST ---
VAST_LABELS = {"0": "AGAINST", "1": "FAVOR", "2": "NONE"}


def vast(mirror: Mirror, split: str) -> list[Example]:
    """VAST dev or test in the Tweet/Target 1/Stance 1 layout (labels already FAVOR/AGAINST/NONE)."""
    rows = mirror.csv_rows(PINS["vast"], f"vast_{split}.csv")
    return collect(make_example(r["Tweet"], r["Target 1"], r["Stance 1"], "vast") for r in rows)


def vast_train(mirror: Mirror) -> list[Example]:
    """VAST train from JointCL's zip (byte-identical to the authors' vast_train.csv): post, new_topic, label.

    The 11 rows whose post the authors' spreadsheet turned into `#NAME?` are left out.
    """
    pin = PINS["vast_train"]
    archive = zipfile.ZipFile(io.BytesIO(mirror.read_bytes(pin, "datasets/VAST/vast_train.zip")))
    rows = csv.DictReader(io.StringIO(archive.read("vast_train.csv").decode("utf-8")))
    return collect(make_example(r["post"], r["new_topic"], VAST_LABELS.get(r["label"], ""), "vast")
                   for r in rows if r["post"] != "#NAME?")


def vast_sentswap_texts(mirror: Mirror) -> list[str]:
    """Posts of VAST's sentiment-swapped test variant (a test set too)."""
    return [r["post"] for r in mirror.csv_rows(PINS["vast_original"], "data/VAST/vast_test-sentswap.csv")]


# --- SemEval-2016 Task 6 (terms forbid redistribution: local use only) ---

def clean_semeval_tweet(text: str) -> str:
    """Drop the #SemST tag the organisers appended to every tweet."""
    return re.sub(r"\s*#SemST\b", "", text).strip()


def _semeval_rows(mirror: Mirror, path: str) -> list[dict]:
    lines = mirror.read_text(PINS["semeval2016"], path).splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]


def semeval_train(mirror: Mirror) -> list[Example]:
    rows = _semeval_rows(mirror, "semeval2016-task6-trainingdata-utf-8.txt")
    return collect(make_example(clean_semeval_tweet(r["Tweet"]), r["Target"], r["Stance"], "semeval2016") for r in rows)


def semeval_test_texts(mirror: Mirror) -> list[str]:
    return [clean_semeval_tweet(r["Tweet"]) for r in _semeval_rows(mirror, "SemEval2016-Task6-subtaskA-testdata.txt")]


# --- P-Stance (FAVOR/AGAINST only) ---

def pstance(mirror: Mirror, split: str) -> list[Example]:
    """split: train, val or test (all three targets)."""
    rows = mirror.csv_rows(PINS["pstance"], f"data/raw_{split}_all.csv")
    return collect(make_example(r["Tweet"], r["Target"], r["Stance"], "pstance") for r in rows)


# --- COVID-19-Stance (Glandt et al. 2021), hydrated copy ---

def covid19(mirror: Mirror, split: str) -> list[Example]:
    """split: train, val or test, the four targets with their names from the paper."""
    examples = []
    for key, target in COVID_TARGETS.items():
        rows = mirror.csv_rows(PINS["covid19"], f"data/covid19-stance/{key}_{split}.csv")
        examples += collect(make_example(r["Tweet"], target, r["Stance"], "covid19") for r in rows)
    return examples


# --- RUW (files are GB18030-encoded; one example per target) ---

def ruw_rows_to_examples(rows: list[dict]) -> list[Example]:
    return collect(
        make_example(r["Tweet"], r[f"Target {n}"], r[f"Stance {n}"].strip().upper(), "ruw") for r in rows for n in (1, 2)
    )


def ruw(mirror: Mirror, split: str) -> list[Example]:
    """split: train or test (val is kept in shared/eval and never trained on)."""
    return ruw_rows_to_examples(mirror.csv_rows(PINS["ruw"], f"raw_{split}_Russia_Ukraine.csv", encoding="gb18030"))


# --- NewsMTSC: sentiment toward a person in a news sentence ---

NEWSMTSC_DIR = "NewsSentiment/controller_data/datasets/NewsMTSC-dataset"


def newsmtsc_target(target: dict) -> str:
    """The mention; for a pronoun mention, the person's name from its Input.gid (empty if none)."""
    mention = target["mention"].strip()
    if mention.lower() not in PRONOUNS:
        return mention
    name = "_".join(target["Input.gid"].split("_")[4:-2])
    name = re.sub(r"^\W+|\W+$", "", name)
    return "" if name.lower() in PRONOUNS else name


def newsmtsc_rows_to_examples(rows: list[dict]) -> list[Example]:
    return collect(
        make_example(r["sentence_normalized"], newsmtsc_target(t), NEWSMTSC_POLARITY.get(t["polarity"], ""), "newsmtsc")
        for r in rows
        for t in r["targets"]
    )


def newsmtsc_train(mirror: Mirror) -> list[Example]:
    return newsmtsc_rows_to_examples(mirror.jsonl_rows(PINS["newsmtsc"], f"{NEWSMTSC_DIR}/train.jsonl"))


def newsmtsc_dev(mirror: Mirror) -> list[Example]:
    """The authors' dev part of devtest_rw (from their experiment folders); test material, never trained on."""
    path = "NewsSentiment/experiments/default/datasets/newsmtsc-rw/dev.jsonl"
    return newsmtsc_rows_to_examples(mirror.jsonl_rows(PINS["newsmtsc"], path))


def newsmtsc_test_texts(mirror: Mirror) -> list[str]:
    return [
        r["sentence_normalized"]
        for name in ("devtest_mt.jsonl", "devtest_rw.jsonl")
        for r in mirror.jsonl_rows(PINS["newsmtsc"], f"{NEWSMTSC_DIR}/{name}")
    ]


# --- BASIL: polarity of biased spans toward a target, read at sentence level ---

def basil_train(mirror: Mirror) -> list[Example]:
    """Direct-aim (aim == dir) pos/neg span annotations, as the sentence holding the span and its target."""
    pin = PINS["basil"]
    examples = []
    for path in mirror.list_files(pin, "annotations"):
        article = json.loads(mirror.read_text(pin, path.replace("annotations/", "articles/").replace("_ann.json", ".json")))
        sentences = [s for paragraph in article["body-paragraphs"] for s in paragraph]
        for span in json.loads(mirror.read_text(pin, path))["phrase-level-annotations"]:
            if span["aim"] != "dir":
                continue
            holding = [s for s in sentences if s[span["start"]:span["end"]] == span["txt"]]
            if len(holding) == 1:
                target = span["target"].replace("_", " ")
                examples.append(make_example(holding[0], target, BASIL_POLARITY.get(span["polarity"], ""), "basil"))
    return collect(examples)


# --- GWSD: agreement with "global warming is a serious concern" ---

def _gwsd_rows(mirror: Mirror) -> list[dict]:
    """Rows with model-estimated label probabilities (the screen sentences, 5 per batch, have none)."""
    rows = mirror.csv_rows(PINS["gwsd"], "GWSD.tsv", delimiter="\t")
    return [r for r in rows if r["agree"].strip()]


def gwsd_train(mirror: Mirror) -> list[Example]:
    """Non-held-out sentences; label = the most probable of agree/disagree/neutral."""
    examples = []
    for r in _gwsd_rows(mirror):
        if r["in_held_out_test"] == "True":
            continue
        best = max(GWSD_LABELS, key=lambda name: float(r[name]))
        examples.append(make_example(r["sentence"], GWSD_TARGET, GWSD_LABELS[best], "gwsd"))
    return collect(examples)


def gwsd_test_texts(mirror: Mirror) -> list[str]:
    return [r["sentence"] for r in _gwsd_rows(mirror) if r["in_held_out_test"] == "True"]


# --- NLI (premise as text, hypothesis as target) ---

def nli_train(mirror: Mirror, name: str) -> list[Example]:
    """name: MNLI or SNLI; the 8 999-pair training samples of PowerfulPromptFT's glue_pretrain."""
    rows = json.loads(mirror.read_text(PINS["nli"], f"data/glue_pretrain/{name}/train.json"))
    ordered = (rows[key] for key in sorted(rows, key=int))
    return collect(make_example(r["text_a"], r["text_b"], NLI_LABELS.get(r["label"], ""), name.lower()) for r in ordered)
