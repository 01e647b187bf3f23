"""The training content: module definitions and their words, read from data files.

A module is two kinds of file:

- ``training_modules/modules/<id>.yaml``: the structure, in no language: level,
  minutes, the scenario run by the engine, the variant knobs, the named facts the
  answer key is computed from, maps, tables, steps of the analyst track, questions,
  quiz items, agenda, debrief and notes (ids only);
- ``training_modules/locales/<lang>/<id>.yaml``: every word of it in one language,
  plus ``common.yaml`` for the fixed text of handouts, guides and grading.

A language is a folder of locale files: adding Portuguese or Arabic is adding a folder
(here, or in a folder given with ``--locales``), never code. English is the reference:
its keys must be exactly the ones the structure needs, and every other language must
have exactly the English keys with the same ``{placeholders}``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mecc.errors import ConfigError, InputFileError, yaml_syntax_error

__all__ = [
    "Catalogue",
    "Module",
    "flatten_words",
    "load_catalogue",
    "locale_problems",
    "required_keys",
]

CONTENT_DIR = Path(__file__).resolve().parent
MODULES_DIR = CONTENT_DIR / "modules"
LOCALES_DIR = CONTENT_DIR / "locales"
REFERENCE_LANG = "en"
LEVELS = ("basic", "intermediate", "advanced")
QUESTION_KINDS = ("numeric", "choice", "map", "rubric")
MODULE_KEYS = {
    "id",
    "number",
    "level",
    "minutes",
    "competencies",
    "objectives",
    "scenario",
    "knobs",
    "facts",
    "maps",
    "tables",
    "interactive_map",
    "steps",
    "questions",
    "quiz",
    "agenda",
    "debrief",
    "notes",
    "needs_per_person",
    "shelter_criteria",
}
REQUIRED_MODULE_KEYS = {"id", "number", "level", "minutes", "scenario", "questions", "agenda"}
_PLACEHOLDER = re.compile(r"{(\w+)}")


@dataclass
class Module:
    """One training module's structure (``modules/<id>.yaml``)."""

    id: str
    path: Path
    data: dict

    @property
    def number(self) -> int:
        return int(self.data["number"])

    def items(self, key) -> list:
        return list(self.data.get(key) or [])

    def question(self, question_id) -> dict:
        for question in self.items("questions"):
            if question["id"] == question_id:
                return question
        raise KeyError(question_id)


@dataclass
class Catalogue:
    """Every module and every language found."""

    modules: dict
    locale_dirs: list
    languages: dict = field(default_factory=dict)  # lang -> folder

    def module(self, ref) -> Module:
        """A module by id (``m4_displacement``), short id (``m4``) or number (``4``)."""
        text = str(ref).strip()
        for module in self.modules.values():
            if text in (module.id, module.id.split("_")[0], str(module.number)):
                return module
        raise ConfigError(
            f"--module {text}: no such training module; use one of {', '.join(self.modules)}"
        )

    def words(self, lang: str, name: str) -> dict:
        """The words of ``common`` or a module in one language (a mapping)."""
        if lang not in self.languages:
            raise ConfigError(
                f"--lang {lang}: no training locale {lang!r}; available: "
                f"{', '.join(sorted(self.languages))} (add a folder of locale files for more)"
            )
        return _read_yaml(self.languages[lang] / f"{name}.yaml")


@functools.cache
def _read_yaml_cached(path: str, mtime: float) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"{path}: training content file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputFileError(f"{path}: cannot read ({error})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: {yaml_syntax_error(error)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys")
    return data


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise InputFileError(f"{path}: training content file not found")
    return _read_yaml_cached(str(path), path.stat().st_mtime)


def load_catalogue(extra_locales=(), modules_dir=None) -> Catalogue:
    """Read the module definitions and find the languages.

    Parameters
    ----------
    extra_locales : iterable of paths
        Folders holding more ``<lang>/`` locale folders (a language found here replaces
        a built-in one of the same name).
    modules_dir : path, optional
        Another folder of module definitions (tests use it to change a module).
    """
    folder = Path(modules_dir) if modules_dir else MODULES_DIR
    modules = {}
    for path in sorted(folder.glob("*.yaml")):
        module = Module(path.stem, path, _read_yaml(path))
        _check_module(module)
        modules[module.id] = module
    if not modules:
        raise InputFileError(f"{folder}: no training modules found")
    dirs = [LOCALES_DIR, *(Path(p) for p in extra_locales)]
    languages = {}
    for base in dirs:
        if not base.is_dir():
            raise InputFileError(f"{base}: locale folder not found")
        for sub in sorted(base.iterdir()):
            if sub.is_dir() and (sub / "common.yaml").is_file():
                languages[sub.name] = sub
    return Catalogue(dict(sorted(modules.items(), key=lambda m: m[1].number)), dirs, languages)


def _check_module(module: Module) -> None:
    data, where = module.data, module.path.name
    unknown = set(data) - MODULE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    missing = REQUIRED_MODULE_KEYS - set(data)
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    if data["id"] != module.id:
        raise ConfigError(f"{where}.id: {data['id']!r} differs from the file name")
    if data["level"] not in LEVELS:
        raise ConfigError(f"{where}.level: use one of {', '.join(LEVELS)}")
    agenda = sum(int(item["minutes"]) for item in data["agenda"])
    if agenda != int(data["minutes"]):
        raise ConfigError(f"{where}.agenda: {agenda} minutes, but the module has {data['minutes']}")
    facts = set(data.get("facts") or {})
    seen = set()
    for k, question in enumerate(data["questions"]):
        qwhere = f"{where}.questions[{k}]"
        if question.get("kind") not in QUESTION_KINDS:
            raise ConfigError(f"{qwhere}.kind: use one of {', '.join(QUESTION_KINDS)}")
        if question["id"] in seen:
            raise ConfigError(f"{qwhere}.id: {question['id']!r} is used twice")
        seen.add(question["id"])
        names = []
        if question["kind"] == "numeric":
            names = [question["answer"], *(question.get("mistakes") or {})]
            names += list(question.get("range") or [])
            for fact in question.get("mistake_units") or {}:  # a mistake's own unit
                if fact not in (question.get("mistakes") or {}):
                    raise ConfigError(f"{qwhere}.mistake_units: {fact!r} is none of its mistakes")
        elif question.get("options_from"):
            names = [question["answer"], *(question.get("mistakes") or {})]
        for name in names:
            if name not in facts:
                raise ConfigError(f"{qwhere}: fact {name!r} is not defined under facts")


def flatten_words(value, prefix="") -> dict:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten_words(item, f"{prefix}{key}."))
        return out
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return {prefix[:-1]: value}  # keyword lists are one value
    return {prefix[:-1]: value}


def required_keys(module: Module) -> set:
    """The locale keys the structure of ``module`` needs, dotted (``questions.q1.text``)."""
    keys = {"title", "summary", "scenario", "no_install"}
    keys |= {f"competencies.{c}.name" for c in module.items("competencies")}
    keys |= {f"competencies.{c}.indicator" for c in module.items("competencies")}
    keys |= {f"objectives.{o}" for o in module.items("objectives")}
    keys |= {f"maps.{m['id']}" for m in module.items("maps")}
    keys |= {f"tables.{t['id']}" for t in module.items("tables")}
    for step in module.items("steps"):
        keys.add(f"steps.{step['id']}")
        if step.get("checkpoint"):
            keys.add(f"checkpoints.{step['id']}")
    for question in module.items("questions"):
        base = f"questions.{question['id']}"
        keys.add(f"{base}.text")
        for letter in question.get("options") or []:
            keys.add(f"{base}.options.{letter}")
        if question["kind"] == "rubric":
            keys.add(f"{base}.model_answer")
            for criterion in question["criteria"]:
                keys.add(f"{base}.criteria.{criterion}.text")
                keys.add(f"{base}.criteria.{criterion}.keywords")
        mistakes = question.get("mistakes") or {}
        keys |= {f"mistakes.{m}" for m in mistakes.values()}
    for item in module.items("quiz"):
        keys.add(f"quiz.{item['id']}.text")
        keys |= {f"quiz.{item['id']}.options.{letter}" for letter in item["options"]}
    for item in module.items("agenda"):
        keys.add(f"agenda.{item['id']}.activity")
        keys.add(f"agenda.{item['id']}.method")
    keys |= {f"debrief.{d}" for d in module.items("debrief")}
    keys |= {f"notes.{n}" for n in module.items("notes")}
    return keys


def locale_problems(catalogue: Catalogue, lang: str) -> list[str]:
    """Missing, stale and inconsistent keys of one language (empty: complete).

    English must have exactly the keys the module structures need (a key no module
    uses any more is *stale*); other languages exactly the English keys, with the same
    placeholders and keyword lists that are not empty.
    """
    problems = []
    reference = {"common": flatten_words(catalogue.words(REFERENCE_LANG, "common"))}
    for module_id in catalogue.modules:
        reference[module_id] = flatten_words(catalogue.words(REFERENCE_LANG, module_id))
    for module_id, module in catalogue.modules.items():
        needed, have = required_keys(module), set(reference[module_id])
        problems += [f"en/{module_id}: missing {k}" for k in sorted(needed - have)]
        problems += [f"en/{module_id}: stale {k}" for k in sorted(have - needed)]
    if lang == REFERENCE_LANG:
        return problems
    for name, keys in reference.items():
        try:
            words = flatten_words(catalogue.words(lang, name))
        except InputFileError:
            problems.append(f"{lang}/{name}.yaml: missing file")
            continue
        problems += [f"{lang}/{name}: missing {k}" for k in sorted(set(keys) - set(words))]
        problems += [f"{lang}/{name}: stale {k}" for k in sorted(set(words) - set(keys))]
        for key in sorted(set(keys) & set(words)):
            english, text = keys[key], words[key]
            if isinstance(english, list):
                if not isinstance(text, list) or not text:
                    problems.append(f"{lang}/{name}: {key} needs a list of keywords")
                continue
            blank = not text.strip() if isinstance(text, str) else True
            if blank and not (key == "number.group" and isinstance(text, str) and text):
                problems.append(f"{lang}/{name}: {key} is empty")
                continue
            if set(_PLACEHOLDER.findall(str(english))) != set(_PLACEHOLDER.findall(text)):
                problems.append(f"{lang}/{name}: {key} has other {{placeholders}} than English")
    return problems
