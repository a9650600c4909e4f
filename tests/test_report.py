"""The report page template: data is escaped, the sections built as HTML are kept."""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from stancewatch.tasks.report import _template, label_confidence


def test_the_report_template_escapes_data_and_keeps_built_sections():
    page = _template().render(made_from="f1<", documents="<script>alert(1)</script>",
                              sections=[Markup("<h2 id='x'>Corpus</h2>"), "<img src=x onerror=alert(1)>"])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and "<h2 id='x'>Corpus</h2>" in page
    assert '<meta name="stancewatch-input" content="f1&lt;">' in page


def test_evidence_ranks_a_row_by_the_probability_of_the_label_it_shows():
    rows = pd.DataFrame({"label": ["FAVOR", "AGAINST", "FAVOR"], "p_favor": [0.7, 0.1, 0.3],
                         "p_against": [0.2, 0.8, 0.6]})  # the last: AGAINST turned to FAVOR by own_side
    assert label_confidence(rows).tolist() == [0.7, 0.8, 0.3]


def test_the_installed_package_works_outside_the_repository(tmp_path):
    """Run from another folder, only the installed `stancewatch.*` names exist: nothing may import `tasks`."""
    import subprocess
    import sys

    code = ("import importlib.util, stancewatch.flows.cli, stancewatch.tasks.report as report\n"
            "assert importlib.util.find_spec('tasks') is None\n"
            "report._template()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "", "PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr
