from __future__ import annotations

from backend.core import regions


def test_the_2021_district_linping_is_under_hangzhou_under_zhejiang() -> None:
    linping = regions.region("330113")
    assert linping is not None
    assert (linping.name, linping.level, linping.parent_code) == ("临平区", "county", "330100")
    hangzhou = regions.region("330100")
    assert hangzhou is not None and hangzhou.name == "杭州市" and hangzhou.parent_code == "330000"
    assert regions.region("330000").name == "浙江省"  # type: ignore[union-attr]
    assert linping in regions.children("330100")


def test_find_takes_the_short_name_and_a_parent() -> None:
    assert regions.find("陕西").code == "610000"  # type: ignore[union-attr]
    assert regions.find("陕西省").code == "610000"  # type: ignore[union-attr]
    assert regions.find("西安").code == "610100"  # type: ignore[union-attr]
    assert regions.find("广西").code == "450000"  # type: ignore[union-attr]
    assert regions.find("延边", within="220000").code == "222400"  # type: ignore[union-attr]
    hangzhou = regions.find("杭州", within="330000")
    assert hangzhou is not None and hangzhou.code == "330100"
    assert regions.find("临平", within="330100").code == "330113"  # type: ignore[union-attr]
    assert regions.find("西安", within="330000") is None
    assert regions.find("") is None


def test_there_are_34_provinces_and_every_prefecture_has_coordinates_or_its_provinces() -> None:
    provinces = regions.provinces()
    assert len(provinces) == 34
    for province in provinces:
        for prefecture in regions.children(province.code):
            if province.code == "710000":  # 台湾省: the source has no coordinates for its tree
                continue
            lat, lon, exact = regions.coordinates(prefecture)
            assert 3 < lat < 54 and 73 < lon < 136, prefecture
            if not exact:
                assert (lat, lon, True) == regions.coordinates(province)


def test_a_county_without_a_point_falls_back_to_its_prefecture() -> None:
    linping = regions.region("330113")
    hangzhou = regions.region("330100")
    assert linping is not None and hangzhou is not None
    assert regions.coordinates(linping) == (hangzhou.latitude, hangzhou.longitude, False)
    assert regions.coordinates(hangzhou)[2] is True


def test_municipalities_have_their_districts() -> None:
    (beijing,) = regions.children("110000")
    assert beijing.name == "北京市" and beijing.level == "prefecture"
    districts = {d.name for d in regions.children(beijing.code)}
    assert {"东城区", "海淀区", "延庆区"} <= districts
    assert regions.find("北京", within="110000") == beijing
    assert regions.find("海淀", within="110000").code == "110108"  # type: ignore[union-attr]


def test_units_governed_directly_by_a_province_hang_under_it() -> None:
    xiantao = regions.find("仙桃市", within="420000")
    assert xiantao is not None and xiantao.parent_code == "420000"
    assert regions.region("810101").parent_code == "810000"  # type: ignore[union-attr]
