"""The workflow document shows the state machine the code declares."""

from cases.management.commands.workflow_diagram import DOC, block


def test_workflow_diagram_in_docs_is_current():
    assert block() in DOC.read_text(encoding="utf-8"), (
        "docs/workflow.md is stale: run `python manage.py workflow_diagram --write`")
