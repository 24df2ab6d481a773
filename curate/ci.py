"""CI outputs for `curate check`: JUnit XML (one test case per gate), metrics.json, the Markdown summary."""
from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

from curate.verdict import GateResult


def junit_xml(gates: list[GateResult], suite: str = "curate.gates") -> str:
    fails = sum(g.status == "fail" for g in gates)
    skips = sum(g.status == "skip" for g in gates)
    suites = ET.Element("testsuites", name="curate", tests=str(len(gates)), failures=str(fails), errors="0")
    ts = ET.SubElement(suites, "testsuite", name=suite, tests=str(len(gates)), failures=str(fails), errors="0",
                       skipped=str(skips))
    for g in gates:
        case = ET.SubElement(ts, "testcase", classname=suite, name=g.name)
        if g.status == "fail":
            ET.SubElement(case, "failure", message=g.sentence, type="GateFailed").text = g.sentence
        elif g.status == "skip":
            ET.SubElement(case, "skipped", message=g.sentence)
        else:
            ET.SubElement(case, "system-out").text = g.sentence  # warnings stay visible without failing CI
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_ci_outputs(report_dir: Path, gates: list[GateResult], metrics: dict[str, float], summary_md: str) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "junit.xml").write_text(junit_xml(gates), encoding="utf-8")
    (report_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (report_dir / "summary.md").write_text(summary_md + "\n", encoding="utf-8")


def append_github_summary(summary_md: str) -> bool:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as f:
        f.write(summary_md + "\n")
    return True
