"""scripts/audit.py: the pinned set matched against OSV advisories, and the reviewed allow-list.

Everything here runs on tests/audit_db (a hand-written advisory directory) and temporary pin
files: no network and no fetched database.
"""

import importlib.util
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parent.parent
TINY_DB = REPO / "tests" / "audit_db"

_spec = importlib.util.spec_from_file_location("audit", REPO / "scripts" / "audit.py")
audit = importlib.util.module_from_spec(_spec)
sys.modules["audit"] = audit  # dataclasses look their module up there
_spec.loader.exec_module(audit)


def found(pins):
    """{(package, advisory id)} the tiny database reports for these pins."""
    return {(f.package, f.advisory.id) for f in audit.match(pins, audit.load_advisories(TINY_DB))}


# ------------------------------------------------------------------ matching


@pytest.mark.parametrize(
    "version, affected",
    [
        ("0.9", False),  # before introduced
        ("1.0", True),  # introduced is inclusive
        ("1.4.9", True),
        ("1.5", False),  # fixed is exclusive
        ("1.6", False),
    ],
)
def test_introduced_fixed_range(version, affected):
    assert (("alpha", "TEST-2026-1") in found({"alpha": version})) is affected


@pytest.mark.parametrize(
    "version, affected",
    [
        ("0.4", True),  # introduced "0": every version before the first fix
        ("0.5", False),
        ("1.9", False),  # between the two ranges
        ("2.0.5", True),  # introduced again
        ("2.1", False),
    ],
)
def test_several_ranges_in_one_range_list(version, affected):
    assert (("alpha", "TEST-2026-2") in found({"alpha": version})) is affected


@pytest.mark.parametrize("version, affected", [("2.0.1", True), ("2.0.2", False), ("2.0.3", True)])
def test_explicit_versions_list(version, affected):
    assert (("beta", "TEST-2026-4") in found({"beta": version})) is affected


@pytest.mark.parametrize("version, affected", [("0.9", False), ("1.4", True), ("1.4.1", False)])
def test_last_affected_is_inclusive(version, affected):
    assert (("gamma", "TEST-2026-5") in found({"gamma": version})) is affected


def test_withdrawn_advisory_is_not_reported():
    assert ("alpha", "TEST-2026-3") not in found({"alpha": "1.2"})


def test_other_ecosystems_are_not_pypi():
    assert found({"epsilon": "1.0"}) == set()


def test_names_compared_after_pep503_normalisation_and_json_records_read(tmp_path):
    pins = audit.read_constraints(write(tmp_path, "c.txt", "Delta.Pkg==2.9\n"))
    assert pins == {"delta-pkg": "2.9"}
    assert found(pins) == {("delta-pkg", "TEST-2026-6")}


def test_fixed_in_names_only_fixes_above_the_pin():
    (finding,) = [f for f in audit.match({"alpha": "2.0.5"}, audit.load_advisories(TINY_DB))]
    assert finding.fixed_in == ["2.1"]


# ------------------------------------------------------------------ pinned set


def write(directory, name, text):
    path = Path(directory) / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_constraints_and_pyproject_pins_are_read_together(tmp_path):
    constraints = write(
        tmp_path,
        "constraints.txt",
        """\
        # a comment
        alpha==1.2  # trailing comment
        beta>=2.0
        -e .
        """,
    )
    pyproject = write(
        tmp_path,
        "pyproject.toml",
        """\
        [project]
        dependencies = ["gamma==1.4", "loose"]
        [project.optional-dependencies]
        dev = ["alpha==1.2"]
        """,
    )
    assert audit.read_pins([constraints, pyproject]) == {"alpha": "1.2", "gamma": "1.4"}


def test_one_package_pinned_twice_differently_is_an_error(tmp_path):
    a = write(tmp_path, "a.txt", "alpha==1.2\n")
    b = write(tmp_path, "b.txt", "Alpha==1.3\n")
    with pytest.raises(audit.AuditError, match="alpha is pinned to 1.2 .* and to 1.3"):
        audit.read_pins([a, b])


# ------------------------------------------------------------------ allow-list and exit status

ALLOW_ALPHA = """\
    allowed:
      - package: alpha
        version: "1.2"
        held_by: example 1.0 requires alpha<1.3
        reason: the example pins it
        reviewed: 2026-12-02
        advisories: [CVE-2026-0001]
    """


def run(tmp_path, pins_text, allow_text=None):
    pins = write(tmp_path, "constraints.txt", pins_text)
    if allow_text is not None:
        write(tmp_path, "allow.yml", allow_text)
    return audit.main(["--db", str(TINY_DB), "--pins", str(pins), "--allowlist", str(tmp_path / "allow.yml")])


def test_a_finding_not_allow_listed_fails_the_audit(tmp_path, capsys):
    assert run(tmp_path, "alpha==1.2\ngamma==2.0\n") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("TEST-2026-1  alpha 1.2  fixed in 1.5  NOT ALLOW-LISTED")
    assert out[-1].startswith("1 advisories in 1 of 2 packages audited: 0 allow-listed, 1 not.")
    assert "commit unknown" in out[-1]  # the tiny database is not a git checkout of its own


def test_an_allow_listed_finding_passes_matched_by_an_alias(tmp_path, capsys):
    assert run(tmp_path, "alpha==1.2\n", ALLOW_ALPHA) == 0
    out = capsys.readouterr().out
    assert "TEST-2026-1  alpha 1.2  fixed in 1.5  allow-listed" in out
    assert "1 allow-listed, 0 not" in out


def test_changing_the_pin_makes_the_entry_stale_and_the_finding_new(tmp_path, capsys):
    assert run(tmp_path, "alpha==1.3\n", ALLOW_ALPHA) == 1
    out = capsys.readouterr().out
    assert "TEST-2026-1  alpha 1.3  fixed in 1.5  NOT ALLOW-LISTED" in out
    assert "stale allow-list entry: CVE-2026-0001 alpha 1.2" in out


def test_allow_list_for_another_package_does_not_cover(tmp_path, capsys):
    assert run(tmp_path, "gamma==1.2\n", ALLOW_ALPHA.replace("[CVE-2026-0001]", "[TEST-2026-5]")) == 1


def test_an_allow_list_entry_without_a_reason_is_refused(tmp_path, capsys):
    assert run(tmp_path, "alpha==1.2\n", ALLOW_ALPHA.replace("reason: the example pins it", "")) == 2
    assert "entry 1 lacks reason" in capsys.readouterr().err


def test_nothing_found_passes(tmp_path, capsys):
    assert run(tmp_path, "alpha==1.5\nbeta==2.0.2\n") == 0
    assert capsys.readouterr().out.startswith("0 advisories in 0 of 2 packages audited")


def test_database_from_the_environment_and_missing_database(tmp_path, capsys, monkeypatch):
    pins = write(tmp_path, "c.txt", "beta==2.0.3\n")
    monkeypatch.setenv("ASBCR_ADVISORY_DB", str(TINY_DB))
    assert audit.main(["--pins", str(pins), "--allowlist", str(tmp_path / "none.yml")]) == 1
    monkeypatch.delenv("ASBCR_ADVISORY_DB")
    assert audit.main(["--pins", str(pins)]) == 2
    assert "--db DIR or ASBCR_ADVISORY_DB" in capsys.readouterr().err
    assert audit.main(["--pins", str(pins), "--db", str(tmp_path / "absent")]) == 2


def test_a_git_directory_without_work_tree_is_read_and_its_commit_reported(tmp_path, capsys):
    """What the fetch tool brings: a bare git directory. Read from HEAD; the commit is printed."""
    work = tmp_path / "work"
    shutil.copytree(TINY_DB, work)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(work)]
    subprocess.run(git[:5] + ["init", "-q", str(work)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "tiny"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    assert run_db(tmp_path, bare, "beta==2.0.1\n") == 1
    out = capsys.readouterr().out
    assert "TEST-2026-4  beta 2.0.1  no fixed version  NOT ALLOW-LISTED" in out
    assert f"Advisory database: {commit} (committed " in out


def run_db(tmp_path, db, pins_text):
    pins = write(tmp_path, "pins.txt", pins_text)
    return audit.main(["--db", str(db), "--pins", str(pins), "--allowlist", str(tmp_path / "no.yml")])


# ------------------------------------------------------------------ what holds a pin


def dist(name, version, *requires):
    return SimpleNamespace(metadata={"Name": name}, version=version, requires=list(requires))


def test_explain_names_the_requirement_that_excludes_every_fix():
    findings = audit.match({"alpha": "1.2"}, audit.load_advisories(TINY_DB))
    installed = [
        dist("holder", "3.6", "alpha<1.3,>=1.0"),
        dist("loose", "1.0", "Alpha"),
        dist("extra-only", "1.0", 'alpha>=9; extra == "test"'),  # extras are not checked
        dist("other-python", "1.0", 'alpha>=9; python_version < "3"'),
    ]
    assert audit.holders("alpha", installed) == [("holder 3.6", "<1.3,>=1.0"), ("loose 1.0", "")]
    (line,) = audit.explain(findings, installed)
    assert line == "alpha 1.2 (1 advisories): every fix excluded by holder 3.6 requires <1.3,>=1.0"
    (line,) = audit.explain(findings, installed[1:])
    assert line == "alpha 1.2 (1 advisories): fix allowed by every installed requirement: 1.5"


def test_explain_says_when_no_fix_is_published():
    findings = audit.match({"gamma": "1.4"}, audit.load_advisories(TINY_DB))
    assert audit.explain(findings, []) == ["gamma 1.4 (1 advisories): no fixed version published"]


# ------------------------------------------------------------------ the repo's own allow-list


def test_the_repo_allow_list_is_complete_and_matches_the_pins():
    """Every reviewed entry says what holds the pin, and names the version constraints.txt pins:
    an entry for another version would silently cover nothing."""
    entries = audit.read_allowlist(audit.DEFAULT_ALLOWLIST)
    pins = audit.read_pins(audit.DEFAULT_PINS)
    assert entries, "security/allowlist.yml holds no reviewed advisories"
    for entry in entries:
        package = audit.normalise(entry["package"])
        assert pins.get(package) == str(entry["version"]), entry["id"]
        assert len(str(entry["reason"]).split()) >= 8, entry["id"]  # a reason, not a word


def test_quiet_prints_only_what_the_allow_list_does_not_cover(tmp_path, capsys):
    pins = write(tmp_path, "constraints.txt", "alpha==1.2\nbeta==2.0.1\n")
    write(tmp_path, "allow.yml", ALLOW_ALPHA)
    assert audit.main(["--db", str(TINY_DB), "--pins", str(pins), "--quiet", "--allowlist", str(tmp_path / "allow.yml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("TEST-2026-4  beta 2.0.1  no fixed version  NOT ALLOW-LISTED")
    assert out[1].startswith("2 advisories in 2 of 2 packages audited: 1 allow-listed, 1 not.")
    assert len(out) == 2


def test_installed_audits_what_the_interpreter_holds(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(audit.importlib.metadata, "distributions", lambda: [dist("gamma", "1.4"), dist("beta", "2.0.2")])
    assert audit.main(["--db", str(TINY_DB), "--installed", "--allowlist", str(tmp_path / "none.yml")]) == 1
    assert "TEST-2026-5  gamma 1.4  no fixed version  NOT ALLOW-LISTED" in capsys.readouterr().out


def test_an_unreadable_record_names_its_file(tmp_path, capsys):
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "BAD-1.yaml").write_text("id: BAD-1\naffected: [\n", encoding="utf-8")
    assert run_db(tmp_path, tmp_path / "db", "alpha==1.2\n") == 2
    assert "BAD-1.yaml: unreadable advisory" in capsys.readouterr().err


def test_the_web_tiers_allow_list_matches_its_own_pins_and_rasas_entries_cover_none_of_them():
    """The public tier's environment is audited with security/allowlist-web.yml: every entry there
    names a version requirements-web*.txt pins, and no entry of Rasa's list names a web tier pin
    (Rasa's reasons must never cover the public surface)."""
    web_pins = audit.read_pins([REPO / "requirements-web.txt", REPO / "requirements-web-dev.txt"])
    assert "aiohttp" in web_pins and "rasa" not in web_pins
    for entry in audit.read_allowlist(REPO / "security" / "allowlist-web.yml"):
        assert web_pins.get(audit.normalise(entry["package"])) == str(entry["version"]), entry["id"]
    for entry in audit.read_allowlist(audit.DEFAULT_ALLOWLIST):
        assert web_pins.get(audit.normalise(entry["package"])) != str(entry["version"]), entry["id"]
