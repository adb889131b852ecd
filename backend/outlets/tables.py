from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, DoublePrecision, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.auth.tables import Account


class Outlet(Table, help_text="A public service outlet: a place where people get IP help."):
    class Type(StrEnum):
        """The outlet types of DOMAIN.md ("Public service outlets")."""

        tisc = "tisc"  # WIPO Technology and Innovation Support Centre
        university_centre = "university_centre"  # 高校国家知识产权信息服务中心
        info_service_outlet = "info_service_outlet"  # 国家知识产权信息公共服务网点
        patent_info_base = "patent_info_base"  # 专利信息传播利用基地
        patent_document_outlet = "patent_document_outlet"  # 全国专利文献服务网点
        provincial_agency = "provincial_agency"  # 省级知识产权综合公共服务机构
        prefecture_agency = "prefecture_agency"  # 地市级知识产权综合公共服务机构
        protection_centre = "protection_centre"  # 知识产权保护中心
        rapid_protection_centre = "rapid_protection_centre"  # 知识产权快速维权中心
        acceptance_window = "acceptance_window"  # 业务受理窗口
        trademark_window = "trademark_window"  # 商标受理窗口

    name = Varchar(length=200, unique=True, index=True, help_text="Its own name: the import key.")
    type = Varchar(length=30, choices=Type, index=True)
    address = Varchar(length=300, null=True, default=None)
    province_code = Varchar(length=6, default="", index=True, help_text="GB/T 2260; '' unknown.")
    prefecture_code = Varchar(length=6, default="", index=True, help_text="'' for municipalities.")
    county_code = Varchar(length=6, default="")
    province_name = Varchar(length=40, default="", help_text="As the source wrote it.")
    prefecture_name = Varchar(length=40, default="", help_text="As the source wrote it.")
    phone = Varchar(length=60, null=True, default=None)
    opening_hours = Varchar(length=200, null=True, default=None)
    services = Text(null=True, default=None, help_text="JSON list of the services it offers.")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    coordinates_exact = Boolean(
        default=False,
        help_text="False: the coordinates are only its city's (or province's) centre.",
    )
    host_institution = Varchar(length=200, default="")
    source = Text(
        help_text="Where the record came from: a URL or an announcement's title and number."
    )
    note = Text(default="", help_text="Batch and status as the source states them.")
    updated_at = Timestamptz(default=TimestamptzNow())


class OutletStaff(Table, help_text="Which outlet a staff member works at (one each)."):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True)
    outlet = ForeignKey(references=Outlet, on_delete=OnDelete.cascade, index=True)
