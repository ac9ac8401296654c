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

    def run(report: dict, accepted_text: str = ""):
        accepted.write_text(accepted_text)

        def fake_run(command, **kwargs):
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
