"""Attribution of zone values to QPV: exact numbers on hand-made squares, properties, real data.

Hand-made geometries are squares in Lambert-93 coordinates (offset to a plausible place in France) so
that every expected area is exact; hypothesis checks the invariants of the method (counts conserved,
rates bounded, weights summing to the covered share); the last tests run the real QPV 2015 of
Occitanie against the DRIAS grid, the approximate IRIS contours and the LCZ files.
"""

from __future__ import annotations

from sources.publishers import cerema
from sources.publishers import cstb
from sources.publishers import meteofrance

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from geodata import attribution as at
from sources.geometry import repair
from tests.conftest import OPENDATA, needs_opendata

X0, Y0 = 700_000.0, 6_600_000.0  # somewhere in the Massif central, Lambert-93
L93 = "EPSG:2154"


def box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def frame(key: str, items: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({key: list(items)}, geometry=list(items.values()), crs=L93)


@pytest.fixture
def half_and_quarter():
    """Zone A = 100 × 100 m, zone B = 100 × 100 m next to it; the QPV covers half of A, a quarter of B."""
    zones = frame("zone_id", {"A": box(0, 0, 100, 100), "B": box(100, 0, 200, 100)})
    qpv = frame("code_qp", {"QP1": box(50, 0, 125, 100)})
    return qpv, zones


# ---------------------------------------------------------------------------------------------------
# Exact numbers
# ---------------------------------------------------------------------------------------------------


def test_areal_weights_exact(half_and_quarter):
    qpv, zones = half_and_quarter
    weights = at.areal_weights(qpv, zones).set_index("zone_id")
    assert weights.loc["A", "w_area"] == pytest.approx(5000)
    assert weights.loc["B", "w_area"] == pytest.approx(2500)
    assert weights.loc["A", "share_of_zone"] == pytest.approx(0.5)
    assert weights.loc["B", "share_of_zone"] == pytest.approx(0.25)
    assert weights.loc["A", "share_of_qpv"] == pytest.approx(2 / 3)
    assert weights.loc["B", "share_of_qpv"] == pytest.approx(1 / 3)


def test_areal_weights_columns_and_weight_column(half_and_quarter):
    qpv, zones = half_and_quarter
    zones["population"] = [1000.0, 400.0]
    weights = at.areal_weights(qpv, zones, weight="population")
    assert list(weights.columns) == [*at.WEIGHT_COLUMNS, "w_weight"]
    assert weights.set_index("zone_id")["w_weight"].to_dict() == pytest.approx({"A": 500.0, "B": 100.0})


def test_areal_weights_touching_zone_is_not_a_pair():
    zones = frame("zone_id", {"A": box(0, 0, 100, 100), "C": box(100, 0, 200, 100)})
    qpv = frame("code_qp", {"QP1": box(0, 0, 100, 100)})  # shares only an edge with C
    assert at.areal_weights(qpv, zones)["zone_id"].tolist() == ["A"]


def test_areal_weights_reprojects_wgs84_input(half_and_quarter):
    qpv, zones = half_and_quarter
    weights = at.areal_weights(qpv.to_crs("EPSG:4326"), zones).set_index("zone_id")
    assert weights.loc["A", "share_of_zone"] == pytest.approx(0.5, abs=1e-6)
    assert weights.loc["B", "share_of_qpv"] == pytest.approx(1 / 3, abs=1e-6)


def test_areal_weights_refuses_missing_crs(half_and_quarter):
    qpv, zones = half_and_quarter
    with pytest.raises(ValueError, match="CRS"):
        at.areal_weights(qpv.set_crs(None, allow_override=True), zones)


def test_interpolate_counts_exact(half_and_quarter):
    qpv, zones = half_and_quarter
    weights = at.areal_weights(qpv, zones)
    values = pd.DataFrame({"A_count": [100.0, 40.0], "secret": [10.0, np.nan]}, index=["A", "B"])
    out = at.interpolate_counts(weights, values, ["A_count", "secret"])
    assert out.loc["QP1", "A_count"] == pytest.approx(50 + 10)
    assert out.loc["QP1", "A_count_coverage"] == pytest.approx(1.0)
    assert out.loc["QP1", "secret"] == pytest.approx(5.0)  # B masked: only A's part
    assert out.loc["QP1", "secret_coverage"] == pytest.approx(2 / 3)


def test_interpolate_rates_population_and_area_weighted(half_and_quarter):
    qpv, zones = half_and_quarter
    weights = at.areal_weights(qpv, zones)
    values = pd.DataFrame({"rate": [10.0, 40.0], "pop": [1000.0, 400.0]}, index=["A", "B"])
    by_pop = at.interpolate_rates(weights, values, "rate", "pop")
    # weights 0.5 × 1000 = 500 and 0.25 × 400 = 100
    assert by_pop.loc["QP1", "value"] == pytest.approx((500 * 10 + 100 * 40) / 600)
    assert by_pop.loc["QP1", "coverage"] == pytest.approx(1.0)
    assert by_pop.loc["QP1", "n_zones"] == 2
    by_area = at.interpolate_rates(weights, values, "rate")
    assert by_area.loc["QP1", "value"] == pytest.approx((5000 * 10 + 2500 * 40) / 7500)


def test_interpolate_rates_equals_rate_of_interpolated_counts(half_and_quarter):
    qpv, zones = half_and_quarter
    weights = at.areal_weights(qpv, zones)
    values = pd.DataFrame({"n": [120.0, 30.0], "d": [1000.0, 400.0]}, index=["A", "B"])
    values["rate"] = 100 * values["n"] / values["d"]
    counts = at.interpolate_counts(weights, values, ["n", "d"])
    rates = at.interpolate_rates(weights, values, "rate", "d")
    assert rates.loc["QP1", "value"] == pytest.approx(100 * counts.loc["QP1", "n"] / counts.loc["QP1", "d"])


def test_interpolate_rates_nan_zone_excluded_and_coverage(half_and_quarter):
    qpv, zones = half_and_quarter
    weights = at.areal_weights(qpv, zones)
    values = pd.DataFrame({"rate": [10.0, np.nan], "pop": [1000.0, 400.0]}, index=["A", "B"])
    out = at.interpolate_rates(weights, values, "rate", "pop")
    assert out.loc["QP1", "value"] == pytest.approx(10.0)
    assert out.loc["QP1", "coverage"] == pytest.approx(2 / 3)
    assert out.loc["QP1", "zone_coverage"] == pytest.approx(1.0)


def test_missing_reason_tells_masked_from_not_covered(half_and_quarter):
    qpv, zones = half_and_quarter
    qpv = pd.concat([qpv, frame("code_qp", {"QP_FAR": box(5000, 5000, 5100, 5100)})], ignore_index=True)
    qpv = gpd.GeoDataFrame(qpv, crs=L93)
    weights = at.areal_weights(qpv, zones)
    values = pd.DataFrame({"rate": [np.nan, 40.0]}, index=["A", "B"])  # A (2/3 of QP1) masked
    out = at.interpolate_rates(weights, values, "rate", codes=qpv["code_qp"])
    assert out.loc["QP_FAR", "coverage"] == 0 and math.isnan(out.loc["QP_FAR", "value"])
    decided = at.missing_reason(out, min_coverage=0.5)
    assert decided.loc["QP1", "raison"] == "secret_statistique" and math.isnan(decided.loc["QP1", "value"])
    assert decided.loc["QP_FAR", "raison"] == "non_couvert"
    kept = at.missing_reason(out, min_coverage=0.3)
    assert kept.loc["QP1", "value"] == pytest.approx(40.0) and pd.isna(kept.loc["QP1", "raison"])
    # A zone without any row in the source (Filosofi skips small communes) is not a masked value.
    unlisted = at.interpolate_rates(weights, values.drop(index="A"), "rate", codes=qpv["code_qp"])
    assert unlisted.loc["QP1", "zone_coverage"] == pytest.approx(1 / 3)
    assert at.missing_reason(unlisted).loc["QP1", "raison"] == "non_couvert"


# ---------------------------------------------------------------------------------------------------
# Grid and LCZ
# ---------------------------------------------------------------------------------------------------


def grid_cells() -> gpd.GeoDataFrame:
    """Three 8 km cells in a row: P1 [0, 8 km], P2 [8, 16 km], P3 [16, 24 km]."""
    return frame(
        "Point", {"P1": box(0, 0, 8000, 8000), "P2": box(8000, 0, 16000, 8000), "P3": box(16000, 0, 24000, 8000)}
    )


def test_attribute_grid_methods():
    cells = grid_cells()
    values = pd.DataFrame({"Point": ["P1", "P2", "P3"], "NORTX35": [1.0, 3.0, 10.0]})
    qpv = frame(
        "code_qp",
        {
            "STRADDLE": box(7000, 1000, 11000, 2000),  # 1 km² in P1, 3 km² in P2
            "INSIDE": box(17000, 1000, 18000, 2000),
            "OFFGRID": box(30000, 1000, 31000, 2000),  # nearest centre: P3
        },
    )
    out = at.attribute_grid(qpv, cells, values, ["NORTX35"]).set_index("code_qp")
    assert out.loc["STRADDLE", "NORTX35"] == pytest.approx((1 * 1.0 + 3 * 3.0) / 4)
    assert out.loc["STRADDLE", "methode"] == "moyenne pondérée par la surface des mailles"
    assert out.loc["STRADDLE", "n_mailles"] == 2
    assert out.loc["INSIDE", "NORTX35"] == pytest.approx(10.0)
    assert out.loc["INSIDE", "methode"] == "maille la plus proche"
    assert out.loc["OFFGRID", "NORTX35"] == pytest.approx(10.0)
    assert out.loc["OFFGRID", "methode"] == "maille la plus proche" and out.loc["OFFGRID", "n_mailles"] == 0
    assert out.index.tolist() == ["STRADDLE", "INSIDE", "OFFGRID"]


def test_drias_cells_are_8km_squares_around_projected_points():
    points = pd.DataFrame({"Point": ["139", "3902"], "Latitude": [41.3373, 43.4673], "Longitude": [9.1495, -0.2797]})
    cells = at.drias_cells(points)
    assert cells.crs.to_epsg() == 2154
    assert cells.geometry.area.tolist() == pytest.approx([64e6, 64e6])
    centre = gpd.GeoSeries(gpd.points_from_xy([9.1495], [41.3373]), crs="EPSG:4326").to_crs(L93).iloc[0]
    assert cells.geometry.iloc[0].centroid.distance(centre) < 1e-6
    assert cells["Point"].tolist() == ["139", "3902"]


def test_lcz_share_exact():
    lcz = gpd.GeoDataFrame(
        {"code_iris": ["I_HIGH", "I_LOW", "I_NONE"], "heat_score": ["High", "Low", None]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)],
        crs=L93,
    )
    qpv = frame(
        "code_qp",
        {
            "HALF": box(50, 0, 150, 100),  # 50 % High, 50 % Low
            "PARTLY": box(150, 0, 250, 100),  # half Low, half unknown class
            "OUT": box(1000, 0, 1100, 100),
        },
    )
    out = at.lcz_share(qpv, lcz).set_index("code_qp")
    assert out.loc["HALF", "part_surface_chaleur_forte"] == pytest.approx(50.0)
    assert out.loc["HALF", "coverage"] == pytest.approx(1.0)
    assert out.loc["PARTLY", "part_surface_chaleur_forte"] == pytest.approx(0.0)
    assert out.loc["PARTLY", "coverage"] == pytest.approx(0.5)
    assert out.loc["PARTLY", "zone_coverage"] == pytest.approx(1.0)
    assert math.isnan(out.loc["OUT", "part_surface_chaleur_forte"])
    assert out.loc["OUT", "coverage"] == 0 and out.loc["OUT", "raison"] == "non_couvert"


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------


def cuts(draw, n_max: int = 4) -> list[float]:
    inner = draw(st.lists(st.integers(1, 999), min_size=0, max_size=n_max, unique=True))
    return [0.0, *sorted(float(c) for c in inner), 1000.0]


@st.composite
def partition(draw, prefix: str) -> gpd.GeoDataFrame:
    """A random grid partition of the 1 km square."""
    xs, ys = cuts(draw), cuts(draw)
    cells = {
        f"{prefix}{i}_{j}": box(xs[i], ys[j], xs[i + 1], ys[j + 1])
        for i in range(len(xs) - 1)
        for j in range(len(ys) - 1)
    }
    return frame("code_qp" if prefix == "Q" else "zone_id", cells)


@st.composite
def rectangle(draw, low: int = 0, high: int = 1000) -> shapely.Polygon:
    x1, x2 = sorted(draw(st.lists(st.integers(low, high), min_size=2, max_size=2, unique=True)))
    y1, y2 = sorted(draw(st.lists(st.integers(low, high), min_size=2, max_size=2, unique=True)))
    return box(x1, y1, x2, y2)


PROPERTY_SETTINGS = hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(zones=partition("Z"), qpv=partition("Q"), data=st.data())
def test_counts_are_conserved_when_qpv_partition_the_zones(zones, qpv, data):
    counts = data.draw(st.lists(st.floats(0, 1e5), min_size=len(zones), max_size=len(zones)))
    values = pd.DataFrame({"n": counts}, index=zones["zone_id"])
    out = at.interpolate_counts(at.areal_weights(qpv, zones), values, ["n"])
    assert out["n"].sum() == pytest.approx(sum(counts), rel=1e-9, abs=1e-6)
    assert out["n_coverage"].to_numpy() == pytest.approx(1.0)


def test_a_subnormal_weight_is_no_weight():
    """Found by the property below on a fresh CI run: the only zone with a rate (0.5) has a denominator of 5e-324;
    its weight times the rate underflowed to 0 and the QPV read 0.0. Such a weight counts for nothing: missing."""
    zones = frame("zone_id", {f"Z{i}": box(700_000, 6_600_000 + i, 701_000, 6_600_001 + i) for i in range(3)})
    qpv = frame("code_qp", {"QP": box(700_000, 6_600_000, 700_501, 6_600_002)})
    values = pd.DataFrame({"rate": [np.nan, 0.5, np.nan], "pop": [0.0, 5e-324, 0.0]}, index=["Z0", "Z1", "Z2"])
    out = at.interpolate_rates(at.areal_weights(qpv, zones), values, "rate", "pop")
    assert math.isnan(out.loc["QP", "value"]) and out.loc["QP", "n_zones"] == 0


@PROPERTY_SETTINGS
@given(zones=partition("Z"), shape=rectangle(), data=st.data())
def test_rates_stay_within_contributing_zones(zones, shape, data):
    n = len(zones)
    rates = data.draw(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=n, max_size=n))
    pops = data.draw(st.lists(st.floats(0, 5000), min_size=n, max_size=n))
    values = pd.DataFrame({"rate": [np.nan if r is None else r for r in rates], "pop": pops}, index=zones["zone_id"])
    qpv = frame("code_qp", {"QP": shape})
    weights = at.areal_weights(qpv, zones)
    for denominator in (None, "pop"):
        out = at.interpolate_rates(weights, values, "rate", denominator)
        value = out.loc["QP", "value"]
        contributing = values.loc[weights["zone_id"], "rate"].dropna()
        if math.isnan(value):
            continue
        tol = 1e-6 * max(1.0, abs(contributing).max())  # float noise from tiny (denormal) weights
        assert contributing.min() - tol <= value <= contributing.max() + tol
        assert 0.0 <= out.loc["QP", "coverage"] <= 1.0


@PROPERTY_SETTINGS
@given(zones=partition("Z"), shape=rectangle(-500, 1500))
def test_weights_of_a_qpv_sum_to_its_covered_share(zones, shape):
    qpv = frame("code_qp", {"QP": shape})
    weights = at.areal_weights(qpv, zones)
    covered = shape.intersection(box(0, 0, 1000, 1000)).area / shape.area
    assert weights["share_of_qpv"].sum() == pytest.approx(covered, abs=1e-9)
    assert (weights["share_of_zone"] <= 1.0).all()


# ---------------------------------------------------------------------------------------------------
# Real data: QPV 2015 of Occitanie
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def occitanie_qpv() -> gpd.GeoDataFrame:
    path = OPENDATA / "geo" / "qpv2015_occitanie_hackaviz2021.geojson"
    if not path.is_file():
        pytest.skip(f"fichier de données ouvertes absent : {path}")
    qpv = gpd.read_file(path)
    qpv["geometry"] = repair(qpv.geometry)
    return qpv


@needs_opendata
def test_real_every_occitanie_qpv_gets_drias_values(occitanie_qpv):
    path = OPENDATA / "env" / "drias2020_cnrm_aladin63_annuel_REF_safran8km.txt"
    if not path.is_file():
        pytest.skip(f"fichier de données ouvertes absent : {path}")
    ref = meteofrance.read_drias(path)
    out = at.attribute_grid(occitanie_qpv, at.drias_cells(ref), ref, ["NORTX35", "NORTAV"])
    assert len(out) == 105 and out["NORTX35"].notna().all() and out["NORTAV"].notna().all()
    assert out["NORTX35"].between(0, 7).all()  # REF 1976–2005: a few days a year at most
    assert out["NORTAV"].between(9, 17).all()
    assert set(out["methode"]) <= {at.METHOD_WEIGHTED, at.METHOD_NEAREST}
    assert (out["methode"] == at.METHOD_WEIGHTED).sum() >= 10
    by_code = out.set_index("code_qp")
    # Montpellier (Mosson) is hotter than Toulouse (Empalot) in the reference climate.
    assert by_code.loc["QP034005", "NORTAV"] > by_code.loc["QP031010", "NORTAV"]


@needs_opendata
def test_real_bdnb_fg_share_through_approximate_iris(occitanie_qpv):
    contours = OPENDATA / "geo" / "iris" / "iris2020_occitanie_paca_from_tiles_z9.geojson.gz"
    bdnb_path = OPENDATA / "env" / "bdnb_dpe_passoires_iris_2024_ptod.csv"
    for path in (contours, bdnb_path):
        if not path.is_file():
            pytest.skip(f"fichier de données ouvertes absent : {path}")
    iris = gpd.read_file(f"/vsigzip/{contours}")[["code_iris", "geometry"]]
    bdnb = cstb.read_bdnb_iris(bdnb_path).set_index("code_iris")
    weights = at.areal_weights(occitanie_qpv, iris.rename(columns={"code_iris": "zone_id"}))
    rates = at.interpolate_rates(weights, bdnb, "logd_dpe_fg_pct_24", "logd_dpe_total_24",
                                 codes=occitanie_qpv["code_qp"])
    decided = at.missing_reason(rates, min_coverage=0.5)
    assert len(decided) == 105
    assert decided["value"].notna().sum() >= 95
    assert decided["value"].dropna().between(0, 60).all()
    assert (decided["zone_coverage"] > 0.95).all()  # the IRIS file covers every Occitanie QPV
    # Same numbers through counts: the rate of interpolated counts.
    counts = at.interpolate_counts(weights, bdnb, ["nb_dpe_fg", "logd_dpe_total_24"])
    ratio = 100 * counts["nb_dpe_fg"] / counts["logd_dpe_total_24"]
    full = rates.index[rates["coverage"] > 0.999]
    assert np.allclose(ratio.reindex(full), rates.loc[full, "value"], atol=1e-6, equal_nan=True)


@needs_opendata
def test_real_lcz_covers_only_qpv_of_the_central_communes(occitanie_qpv):
    cities = []
    for city in ("toulouse", "montpellier"):
        path = OPENDATA / "env" / f"lcz_heat_iris_{city}.geojson"
        if not path.is_file():
            pytest.skip(f"fichier de données ouvertes absent : {path}")
        cities.append(cerema.read_lcz_iris(path))
    out = at.lcz_share(occitanie_qpv, pd.concat(cities, ignore_index=True)).merge(
        occitanie_qpv[["code_qp", "commune_qp"]]
    )
    covered = out[out["coverage"] > 0]
    assert set(covered["commune_qp"]) == {"Toulouse", "Montpellier"}
    assert len(covered) == 24 and (covered["coverage"] > 0.99).all()
    assert covered["part_surface_chaleur_forte"].between(0, 100).all()
    assert (out.loc[out["coverage"] == 0, "raison"] == "non_couvert").all()
    figuerolles = out.set_index("code_qp").loc["QP034010", "part_surface_chaleur_forte"]
    assert figuerolles > 80  # dense old centre of Montpellier


def test_overseas_qpv_are_measured_in_local_utm():
    """A square of 1 km in La Réunion: Lambert-93 would distort its area; local UTM does not."""
    from shapely.geometry import box

    from geodata.attribution import areal_weights, metric_crs_groups

    utm = "EPSG:32740"  # WGS84 / UTM 40S (La Réunion)
    square = gpd.GeoDataFrame({"code_qp": ["QN97401M"]}, geometry=[box(340000, 7680000, 341000, 7681000)],
                              crs=utm).to_crs("EPSG:4326")
    zones = gpd.GeoDataFrame({"zone_id": ["Z"]}, geometry=[box(340000, 7680000, 340500, 7681000)],
                             crs=utm).to_crs("EPSG:4326")
    assert list(metric_crs_groups(square)) == [utm]
    weights = areal_weights(square, zones)
    assert weights.loc[0, "w_area"] == pytest.approx(500_000, rel=1e-3)
    assert weights.loc[0, "share_of_qpv"] == pytest.approx(0.5, rel=1e-3)
