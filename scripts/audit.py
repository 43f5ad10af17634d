#!/usr/bin/env python3
"""Audit the pinned Python dependencies against a local copy of the PyPA advisory database.

    .venv/bin/python scripts/audit.py [--db DIR] [--pins FILE ... | --installed] [--explain]

DIR (or ASBCR_ADVISORY_DB) is either a checkout of github.com/pypa/advisory-database or a
git directory of it without a work tree (read from HEAD). Advisories are OSV records
(YAML or JSON); a pinned version is affected when it is listed in `affected[].versions` or
falls inside an ECOSYSTEM range of `affected[].ranges[].events` (introduced / fixed /
last_affected / limit). Prints one line per advisory found and a summary; exits 1 when an
advisory is found that the reviewed allow-list does not cover, 2 when the inputs are unusable,
0 otherwise. No network: what is not in the local database is not known here.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PINS = [REPO / "constraints.txt", REPO / "pyproject.toml"]
DEFAULT_ALLOWLIST = REPO / "security" / "allowlist.yml"
ADVISORY_SUFFIXES = (".yaml", ".yml", ".json")

try:  # libyaml: the database holds thousands of records
    _YamlLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python PyYAML
    _YamlLoader = yaml.SafeLoader


class AuditError(Exception):
    """Inputs the audit cannot use (missing database, unreadable pins, bad allow-list)."""


def normalise(name: str) -> str:
    """PEP 503 name, so that 'PyYAML', 'pyyaml' and 'py_yaml' are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------- pinned set


def read_constraints(path: Path) -> dict[str, str]:
    """`name==version` lines of a constraints/requirements file; other lines are not pins."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise AuditError(f"{path}:{number}: not a requirement: {line!r} ({error})") from None
        exact = [spec.version for spec in requirement.specifier if spec.operator in ("==", "===")]
        if exact:
            pins[normalise(requirement.name)] = exact[0]
    return pins


def read_pyproject(path: Path) -> dict[str, str]:
    """Exact pins among pyproject.toml's [project] dependencies and optional dependencies."""
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:
        import tomli as tomllib
    project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    pins: dict[str, str] = {}
    for line in lines:
        requirement = Requirement(line)
        exact = [spec.version for spec in requirement.specifier if spec.operator in ("==", "===")]
        if exact:
            pins[normalise(requirement.name)] = exact[0]
    return pins


def read_pins(paths: Iterable[Path]) -> dict[str, str]:
    """The union of the files' exact pins; one package pinned to two versions is an error."""
    pins: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        if not path.is_file():
            raise AuditError(f"pinned set {path} does not exist")
        found = read_pyproject(path) if path.suffix == ".toml" else read_constraints(path)
        for name, version in found.items():
            if name in pins and Version(pins[name]) != Version(version):
                raise AuditError(f"{name} is pinned to {pins[name]} in {origin[name]} and to {version} in {path}")
            pins.setdefault(name, version)
            origin.setdefault(name, path)
    return pins


def installed_pins(distributions: Iterable) -> dict[str, str]:
    """What an environment actually holds (pip, and anything installed past constraints.txt)."""
    return {normalise(d.metadata["Name"]): d.version for d in distributions}


# ---------------------------------------------------------------- advisories


@dataclass
class Advisory:
    id: str
    aliases: list[str]
    summary: str
    affected: list[dict]
    source: str

    def names(self) -> set[str]:
        return {self.id, *self.aliases}


def parse_advisory(text: str, source: str) -> Advisory | None:
    """One OSV record; None for a withdrawn one (no longer an advisory)."""
    try:
        record = json.loads(text) if source.endswith(".json") else yaml.load(text, Loader=_YamlLoader)
    except (ValueError, yaml.YAMLError) as error:
        raise AuditError(f"{source}: unreadable advisory ({error.__class__.__name__})") from None
    if not isinstance(record, dict) or "id" not in record:
        raise AuditError(f"{source}: not an OSV record (no id)")
    if record.get("withdrawn"):
        return None
    summary = record.get("summary") or " ".join(str(record.get("details", "")).split())
    return Advisory(
        id=str(record["id"]),
        aliases=[str(alias) for alias in record.get("aliases") or []],
        summary=summary,
        affected=list(record.get("affected") or []),
        source=source,
    )


def _files_in_directory(root: Path) -> Iterator[tuple[str, str]]:
    base = root / "vulns" if (root / "vulns").is_dir() else root
    for path in sorted(base.rglob("*")):
        if path.suffix in ADVISORY_SUFFIXES and path.is_file():
            yield str(path.relative_to(root)), path.read_text(encoding="utf-8")


def _git(root: Path, *args: str, binary: bool = False):
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    if result.returncode != 0:
        return None
    return result.stdout if binary else result.stdout.decode().strip()


def _files_in_git(root: Path) -> Iterator[tuple[str, str]]:
    """The HEAD tree of a git directory without a work tree (what `fetch` brings)."""
    archive = _git(root, "archive", "--format=tar", "HEAD", "vulns", binary=True)
    if archive is None:
        raise AuditError(f"{root}: git directory without a readable HEAD:vulns tree")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if member.isfile() and member.name.endswith(ADVISORY_SUFFIXES):
                yield member.name, tar.extractfile(member).read().decode("utf-8")


def snapshot(root: Path) -> str:
    """'<commit> (<commit date>)' of the database, so a kept result says what it was run against."""
    git_dir = _git(root, "rev-parse", "--absolute-git-dir")
    # Only the database's own repository: a copy inside another checkout is not that commit.
    if git_dir is None or Path(git_dir).resolve() not in (root.resolve(), (root / ".git").resolve()):
        return f"{root} (not a git checkout: commit unknown)"
    return _git(root, "log", "-1", "--format=%H (committed %cI)")


def load_advisories(root: Path) -> list[Advisory]:
    if not root.is_dir():
        raise AuditError(f"advisory database {root} is not a directory")
    has_files = (root / "vulns").is_dir() or any(p.suffix in ADVISORY_SUFFIXES for p in root.iterdir())
    files = _files_in_directory(root) if has_files else _files_in_git(root)
    advisories = [a for source, text in files if (a := parse_advisory(text, source))]
    if not advisories:
        raise AuditError(f"advisory database {root} holds no advisories")
    return advisories


# ---------------------------------------------------------------- matching


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def in_range(version: Version, events: list[dict]) -> bool:
    """OSV range evaluation: walk the events in version order; introduced opens the range,
    fixed (at or below the version) and last_affected (below it) close it, limit bounds it."""
    ordered: list[tuple[Version | None, str]] = []
    for event in events:
        for kind, value in event.items():
            if kind == "introduced" and str(value) == "0":
                ordered.append((None, kind))  # "0" is before every version
            elif (bound := _version(str(value))) is not None:
                ordered.append((bound, kind))
    ordered.sort(key=lambda item: (item[0] is not None, item[0] or Version("0")))
    affected = False
    for bound, kind in ordered:
        if kind == "limit" and bound is not None and version >= bound:
            return False
        if kind == "introduced" and (bound is None or bound <= version):
            affected = True
        elif kind == "fixed" and bound <= version:
            affected = False
        elif kind == "last_affected" and bound < version:
            affected = False
    return affected


@dataclass
class Finding:
    advisory: Advisory
    package: str
    version: str
    fixed_in: list[str] = field(default_factory=list)
    allowed_by: dict | None = None


def _fixes_above(version: Version, affected: dict) -> list[str]:
    fixes = set()
    for range_ in affected.get("ranges") or []:
        for event in range_.get("events") or []:
            bound = _version(str(event.get("fixed", "")))
            if bound is not None and bound > version:
                fixes.add(bound)
    return [str(v) for v in sorted(fixes)]


def affects(affected: dict, version: Version) -> bool:
    listed = {v for v in (_version(str(x)) for x in affected.get("versions") or []) if v}
    if version in listed:
        return True
    return any(
        in_range(version, range_.get("events") or [])
        for range_ in affected.get("ranges") or []
        if range_.get("type") in ("ECOSYSTEM", "SEMVER")
    )


def match(pins: dict[str, str], advisories: Iterable[Advisory]) -> list[Finding]:
    """Every (advisory, pinned package) pair where the pinned version is affected."""
    findings = []
    for advisory in advisories:
        for affected in advisory.affected:
            package = affected.get("package") or {}
            if package.get("ecosystem", "PyPI") != "PyPI":
                continue
            name = normalise(str(package.get("name", "")))
            if name not in pins:
                continue
            version = _version(pins[name])
            if version is None or not affects(affected, version):
                continue
            findings.append(Finding(advisory, name, pins[name], _fixes_above(version, affected)))
            break  # one finding per advisory and package, however many entries list it
    findings.sort(key=lambda f: (f.package, f.advisory.id))
    return findings


# ---------------------------------------------------------------- allow-list

REQUIRED_ALLOW_KEYS = ("advisories", "package", "version", "held_by", "reason", "reviewed")


def read_allowlist(path: Path | None) -> list[dict]:
    """The reviewed entries, one per advisory id. In the file an entry names a package, its
    pinned version, what holds it there, why it is accepted, when it was reviewed, and the ids
    (PYSEC, CVE or GHSA) of the advisories it accepts."""
    if path is None or not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    groups = document.get("allowed", []) if isinstance(document, dict) else None
    if not isinstance(groups, list):
        raise AuditError(f"{path}: expected a mapping with a list under 'allowed'")
    entries = []
    for number, group in enumerate(groups, 1):
        missing = [k for k in REQUIRED_ALLOW_KEYS if not isinstance(group, dict) or not group.get(k)]
        if missing:
            raise AuditError(f"{path}: entry {number} lacks {', '.join(missing)}")
        if not isinstance(group["advisories"], list):
            raise AuditError(f"{path}: entry {number}: 'advisories' is not a list of ids")
        for advisory_id in group["advisories"]:
            entries.append({**group, "id": str(advisory_id)})
    return entries


def apply_allowlist(findings: list[Finding], entries: list[dict]) -> list[dict]:
    """Mark the findings an entry covers: same advisory (id or alias), same package, and the
    same pinned version, so that any change of the pin brings the advisory back for review.
    Returns the entries that covered nothing (stale: the advisory or the pin has gone)."""
    used = set()
    for finding in findings:
        for index, entry in enumerate(entries):
            if (
                entry["id"] in finding.advisory.names()
                and normalise(str(entry["package"])) == finding.package
                and _version(str(entry["version"])) == _version(finding.version)
            ):
                finding.allowed_by = entry
                used.add(index)
                break
    return [entry for index, entry in enumerate(entries) if index not in used]


# ---------------------------------------------------------------- what holds a pin


def holders(package: str, distributions: Iterable) -> list[tuple[str, str]]:
    """(who, specifier) for every installed distribution that requires `package`, as pip
    check reads them: markers evaluated here, requirements of extras left out."""
    found = []
    for dist in distributions:
        for line in dist.requires or []:
            requirement = Requirement(line)
            if normalise(requirement.name) != package:
                continue
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            found.append((f"{dist.metadata['Name']} {dist.version}", str(requirement.specifier)))
    return sorted(found)


def explain(findings: list[Finding], distributions: Iterable) -> list[str]:
    """For each affected package: which installed requirements exclude every fixed version, or
    that a fix is allowed by all of them (worth trying: its own dependencies may still not fit)."""
    distributions = list(distributions)
    lines = []
    for package in sorted({f.package for f in findings}):
        mine = [f for f in findings if f.package == package]
        held = holders(package, distributions)
        fixes = sorted({Version(v) for f in mine for v in f.fixed_in})
        allowed = [v for v in fixes if all(v in SpecifierSet(spec) for _, spec in held)]
        head = f"{package} {mine[0].version} ({len(mine)} advisories):"
        if not fixes:
            verdict = "no fixed version published"
        elif allowed:
            verdict = f"fix allowed by every installed requirement: {', '.join(map(str, allowed))}"
        else:
            blockers = [f"{name} requires {spec}" for name, spec in held if not any(v in SpecifierSet(spec) for v in fixes)]
            verdict = "every fix excluded by " + "; ".join(blockers)
        lines.append(f"{head} {verdict}")
    return lines


# ---------------------------------------------------------------- report


def report(findings: list[Finding], stale: list[dict], pins: dict[str, str], db: str, quiet: bool = False) -> list[str]:
    lines = []
    for f in findings:
        if quiet and f.allowed_by:
            continue
        fixed = f"fixed in {', '.join(f.fixed_in)}" if f.fixed_in else "no fixed version"
        status = "allow-listed" if f.allowed_by else "NOT ALLOW-LISTED"
        aliases = ",".join(a for a in f.advisory.aliases if a.startswith(("CVE-", "GHSA-")))
        lines.append(f"{f.advisory.id}  {f.package} {f.version}  {fixed}  {status}" + (f"  [{aliases}]" if aliases else ""))
    for entry in stale:
        lines.append(
            f"stale allow-list entry: {entry['id']} {entry['package']} {entry['version']} (not found any more: remove it)"
        )
    packages = {f.package for f in findings}
    allowed = sum(1 for f in findings if f.allowed_by)
    lines.append(
        f"{len(findings)} advisories in {len(packages)} of {len(pins)} packages audited: "
        f"{allowed} allow-listed, {len(findings) - allowed} not. Advisory database: {db}"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        type=Path,
        default=os.environ.get("ASBCR_ADVISORY_DB"),
        help="local advisory database (default: $ASBCR_ADVISORY_DB)",
    )
    parser.add_argument(
        "--pins",
        type=Path,
        nargs="+",
        default=DEFAULT_PINS,
        help="constraints/requirements files and pyproject.toml (default: the repo's)",
    )
    parser.add_argument(
        "--installed", action="store_true", help="audit the packages installed for this interpreter instead of --pins"
    )
    parser.add_argument("--allowlist", type=Path, default=DEFAULT_ALLOWLIST)
    parser.add_argument("--quiet", action="store_true", help="print only what the allow-list does not cover, and the summary")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also say, from this interpreter's installed packages, what holds each affected pin",
    )
    args = parser.parse_args(argv)
    if args.db is None:
        print("audit: give the advisory database with --db DIR or ASBCR_ADVISORY_DB", file=sys.stderr)
        return 2
    try:
        pins = installed_pins(importlib.metadata.distributions()) if args.installed else read_pins(args.pins)
        advisories = load_advisories(args.db)
        findings = match(pins, advisories)
        stale = apply_allowlist(findings, read_allowlist(args.allowlist))
    except AuditError as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    print("\n".join(report(findings, stale, pins, snapshot(args.db), quiet=args.quiet)))
    if args.explain and findings:
        print("\n".join(explain(findings, importlib.metadata.distributions())))
    return 1 if any(f.allowed_by is None for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
