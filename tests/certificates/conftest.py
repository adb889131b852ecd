"""A certificate's facts, as the later wiring will give them from a granted record."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from backend.certificates.pdf import CertificateFacts, verify_url

BEIJING = timezone(timedelta(hours=8))
CODE = "C7K2-9QXM-4T8P"


def facts_for(kind: str = "invention", **changes: object) -> CertificateFacts:
    values: dict[str, object] = {
        "kind": kind,
        "number": "ZL202310123456.7",
        "title": "一种基于深度学习的知识产权文档自动分类方法及系统",
        "holder": "杭州西子湖知识产权科技有限公司; 张三",
        "granted_on": date(2024, 3, 5),
        "code": CODE,
        "issued_at": datetime(2026, 12, 3, 10, 15, tzinfo=BEIJING),
        "verify_url": verify_url("https://ip.example.gov.cn", CODE),
    }
    return CertificateFacts(**{**values, **changes})


@pytest.fixture
def facts() -> CertificateFacts:
    return facts_for()
