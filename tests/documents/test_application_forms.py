"""The window's paper: the 一次性告知书 fits on one A4 page for every kind of aid, and the
申请书 names the household's village."""

from __future__ import annotations

import pytest

from documents.kinds import DocumentKind
from documents.materials import materials_for
from tests.documents.conftest import issue, page_count, pdf_text, stored_bytes

K = DocumentKind
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["dibao", "tekun", "temp_expenditure"])
def test_the_one_time_notice_fits_on_one_page(case, clerk_a, kind, township_a, tmp_path):
    township_a.address = "临沂市兰山区金雀山路1号兰山街道办事处一楼便民服务大厅社会救助窗口"
    township_a.save(update_fields=["address"])
    case.kind = kind
    case.save(update_fields=["kind"])
    content = stored_bytes(issue(case, K.ONE_TIME_NOTICE, clerk_a))
    assert page_count(content) == 1
    text = pdf_text(content)
    assert materials_for(kind)[-1]["name"] in text.replace("\n", "")  # the last row is on it
    assert "金雀山路1号" in text
    (tmp_path / "notice.pdf").write_bytes(content)


def test_the_application_names_the_village(case, village_a, clerk_a):
    text = pdf_text(stored_bytes(issue(case, K.APPLICATION, clerk_a)))
    assert "村(社区)" in text and village_a.name in text.replace("\n", "")
