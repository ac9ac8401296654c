"""`make audit`: known vulnerabilities in the installed dependencies (pip-audit against PyPI's advisory data).

Fails (exit 1) on any vulnerability that is not accepted, with its reason, in security/pip-audit-accepted.toml.
When the advisory service cannot be reached (no network, as on the build machines here), pip-audit itself reports
"no known vulnerabilities" while having checked nothing: this script counts what was really audited and says so
loudly. It then passes, unless PIP_AUDIT_REQUIRED=1 (set it where the network is there: the release pipeline), in
which case an audit that could not run fails. See docs/decisions/0007-dependency-audit.md.

Without network: PIP_AUDIT_ADVISORIES=DIR audits against a local copy of the PyPA advisory database (a checkout of
github.com/pypa/advisory-database, or any tree of OSV files, `vulns/<package>/<id>.yaml` or `.json`) instead of
asking PyPI. The copy is only as new as its last commit: the script prints that date with the result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from datetime import UTC, datetime
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = ROOT / "security" / "pip-audit-accepted.toml"


def main() -> int:
    accepted = tomllib.loads(ACCEPTED.read_text()).get("accepted", []) if ACCEPTED.exists() else []
    for entry in accepted:
        if not entry.get("id") or not entry.get("reason", "").strip():
            print(f"{ACCEPTED}: every accepted finding needs an id and a reason: {entry!r}")
            return 1
    if os.environ.get("PIP_AUDIT_ADVISORIES"):
        return offline_audit(Path(os.environ["PIP_AUDIT_ADVISORIES"]), {entry["id"] for entry in accepted})
    ignore = [arg for entry in accepted for arg in ("--ignore-vuln", entry["id"])]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--skip-editable", "-f", "json"]
        run = subprocess.run(  # noqa: S603 - this interpreter's pip-audit with fixed arguments and reviewed ids
            [*command, "-o", str(report), *ignore], capture_output=True, text=True, check=False
        )
        if not report.exists():
            print(run.stdout, run.stderr, sep="\n")
            return _unreachable("pip-audit produced no report")
        data = json.loads(report.read_text())
    dependencies = data.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    found = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
    for name, version, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
        print(f"VULNERABLE {name} {version}: {vuln['id']} (fixed in: {fixes})")
    if found:
        print(f"{len(found)} known vulnerabilities. Upgrade, or accept each with a reason in {ACCEPTED.name}.")
        return 1
    if not audited and dependencies:
        return _unreachable(f"none of {len(dependencies)} packages could be looked up")
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities ({len(accepted)} accepted).")
    return 0


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(installed: Version, events: list[dict[str, str]]) -> bool:
    """OSV's ECOSYSTEM range: affected from an `introduced` on, until a `fixed` (excluded) or after a
    `last_affected`; events in version order."""
    ordered = sorted(
        ((v, kind) for event in events for kind, text in event.items() if (v := _version(text)) is not None),
        key=lambda pair: pair[0],
    )
    affected = False
    for at, kind in ordered:
        if kind == "introduced" and installed >= at:
            affected = True
        elif (kind == "fixed" and installed >= at) or (kind == "last_affected" and installed > at):
            affected = False
    return affected


def advisory_affects(advisory: dict[str, Any], name: str, installed: Version) -> bool:
    """Whether one OSV advisory names this installed package version (withdrawn ones never do)."""
    if advisory.get("withdrawn"):
        return False
    for affected in advisory.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or _normalized(package.get("name", "")) != name:
            continue
        if installed in {_version(text) for text in affected.get("versions", [])}:
            return True
        if any(
            _in_range(installed, r.get("events", []))
            for r in affected.get("ranges", [])
            if r.get("type") == "ECOSYSTEM"
        ):
            return True
    return False


def offline_audit(directory: Path, accepted: set[str]) -> int:
    """Every installed distribution (but this project) against the OSV files under `directory`."""
    import yaml

    vulns = directory / "vulns" if (directory / "vulns").is_dir() else directory
    if not vulns.is_dir():
        return _unreachable(f"{directory} holds no advisories")
    installed = {
        _normalized(d.metadata["Name"]): d.version for d in distributions() if d.metadata["Name"] != "supportloop"
    }
    found, files = [], 0
    for name, text in sorted(installed.items()):
        version = _version(text)
        folder = vulns / name
        if version is None or not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".yaml", ".yml", ".json"):
                continue
            files += 1
            advisory = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
            ids = {advisory.get("id", path.stem), *advisory.get("aliases", [])}
            if advisory_affects(advisory, name, version) and not ids & accepted:
                found.append((name, text, advisory.get("id", path.stem)))
    dated = _dated(directory, vulns)
    for name, text, vuln_id in found:
        print(f"VULNERABLE {name} {text}: {vuln_id}")
    if found:
        print(f"{len(found)} known vulnerabilities. Upgrade, or accept each with a reason in {ACCEPTED.name}.")
        return 1
    print(
        f"offline audit: {len(installed)} packages against {files} advisories of theirs in {directory}"
        f" (as of {dated}): no known vulnerabilities"
        f" ({len(accepted)} accepted). Advisories published after that copy are not checked."
    )
    return 0


def _dated(directory: Path, vulns: Path) -> str:
    """How new the copy is: its last commit when it is a git checkout, else its newest file."""
    git = shutil.which("git")
    if git:
        run = subprocess.run(  # noqa: S603 - git with fixed arguments on the operator's own directory
            [git, "-C", str(directory), "log", "-1", "--format=%cs"], capture_output=True, text=True, check=False
        )
        if run.returncode == 0 and run.stdout.strip():
            return f"its last commit, {run.stdout.strip()}"
    newest = max((p.stat().st_mtime for p in vulns.rglob("*") if p.is_file()), default=0.0)
    return f"its newest file, {datetime.fromtimestamp(newest, UTC):%Y-%m-%d}"


def _unreachable(why: str) -> int:
    required = os.environ.get("PIP_AUDIT_REQUIRED") == "1"
    print(f"pip-audit: AUDIT NOT PERFORMED: {why} (is PyPI reachable?).")
    if required:
        print("PIP_AUDIT_REQUIRED=1: failing.")
        return 1
    print("Passing without an audit (set PIP_AUDIT_REQUIRED=1 to fail instead).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
