"""scripts/audit.py (make audit): findings fail, accepted ones need a reason, an audit that could not run says so."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit.py"


@pytest.fixture
def audit(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("audit_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    accepted = tmp_path / "accepted.toml"
    accepted.write_text("")
    monkeypatch.setattr(module, "ACCEPTED", accepted)
    calls = []
    real_run = module.subprocess.run

    def run(report: dict, accepted_text: str = ""):
        accepted.write_text(accepted_text)

        def fake_run(command, **kwargs):
            if "pip_audit" not in command:
                return real_run(command, **kwargs)  # git, dating an offline copy
            calls.append(command)
            Path(command[command.index("-o") + 1]).write_text(json.dumps(report))

            class Done:
                stdout = stderr = ""

            return Done()

        monkeypatch.setattr(module.subprocess, "run", fake_run)
        return module.main()

    run.calls = calls
    return run


VULNERABLE = {
    "dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "GHSA-aaaa", "fix_versions": ["5.2.1"]}]},
        {"name": "nh3", "version": "0.2.18", "vulns": []},
    ]
}


def test_a_known_vulnerability_fails(audit, capsys):
    assert audit(VULNERABLE) == 1
    assert "VULNERABLE django 5.2.0: GHSA-aaaa (fixed in: 5.2.1)" in capsys.readouterr().out


def test_an_accepted_finding_is_passed_to_pip_audit_and_needs_a_reason(audit):
    reasoned = '[[accepted]]\nid = "GHSA-aaaa"\npackage = "django"\nreason = "we do not use the affected view"\n'
    clean = {"dependencies": [{"name": "django", "version": "5.2.0", "vulns": []}]}
    assert audit(clean, reasoned) == 0
    assert audit.calls[-1][-2:] == ["--ignore-vuln", "GHSA-aaaa"]
    assert audit(clean, '[[accepted]]\nid = "GHSA-aaaa"\nreason = " "\n') == 1


def test_an_audit_that_reached_nothing_says_so_and_fails_only_when_required(audit, capsys, monkeypatch):
    offline = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}
    assert audit(offline) == 0
    assert "AUDIT NOT PERFORMED" in capsys.readouterr().out
    monkeypatch.setenv("PIP_AUDIT_REQUIRED", "1")
    assert audit(offline) == 1


def _advisory(folder: Path, vuln_id: str, package: str, events: list[dict], **extra) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    affected = {"package": {"ecosystem": "PyPI", "name": package}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}
    (folder / f"{vuln_id}.json").write_text(json.dumps({"id": vuln_id, "affected": [affected], **extra}))


def test_offline_the_local_advisories_are_matched_against_the_installed_versions(audit, tmp_path, monkeypatch, capsys):
    from importlib.metadata import version

    installed = version("Django")
    major = int(installed.split(".")[0])
    vulns = tmp_path / "advisories" / "vulns" / "django"
    _advisory(vulns, "PYSEC-old", "django", [{"introduced": "0"}, {"fixed": f"{major}.0"}])
    _advisory(vulns, "PYSEC-next", "Django", [{"introduced": f"{major + 1}.0"}])
    _advisory(vulns, "PYSEC-withdrawn", "django", [{"introduced": "0"}], withdrawn="2026-01-01T00:00:00Z")
    monkeypatch.setenv("PIP_AUDIT_ADVISORIES", str(tmp_path / "advisories"))
    assert audit({}) == 0  # pip-audit is not called
    out = capsys.readouterr().out
    assert "3 advisories" in out and "no known vulnerabilities" in out and not audit.calls

    _advisory(vulns, "PYSEC-now", "django", [{"introduced": "0"}, {"last_affected": installed}], aliases=["CVE-1"])
    assert audit({}) == 1
    assert f"VULNERABLE django {installed}: PYSEC-now" in capsys.readouterr().out
    accepted = '[[accepted]]\nid = "CVE-1"\npackage = "django"\nreason = "not reachable from our views"\n'
    assert audit({}, accepted) == 0
