"""The sample district's map: a lattice of jittered points cut into grid cells, communities and streets.

Each grid cell is the quadrilateral of four shared lattice vertices, so the cells tile the district with no
gap and no overlap while looking irregular; a smooth warp plus a small jitter keeps every quad convex.
Communities are grown as contiguous blocks of cells and streets as contiguous blocks of communities'
cells (region growing from seeds), with varied sizes. Coordinates are WGS-84 around central Beijing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from sample_data import names

CENTER_LAT = 39.905
CENTER_LON = 116.405
# A cell is about 250 m x 250 m: 250 m is 0.00225° of latitude and 0.0029° of longitude at 39.9°N.
CELL_DLAT = 0.00225
CELL_DLON = 0.0029
LATTICE_COLS = 22
LATTICE_ROWS = 18
JITTER = 0.14  # of a cell side; with the warp below every quad stays convex
WARP = 0.35  # amplitude of the smooth warp, in cells
CELLS_PER_COMMUNITY = 7.0
COORD_DECIMALS = 6  # ~0.1 m; points are sampled well inside their cell

# Street quality on a logit scale (good > 0): the strong and the struggling street of the story.
STREET_QUALITY = {
    "东湖街道": 0.95,
    "南河街道": -1.25,
    "西苑街道": 0.35,
    "北塔街道": 0.1,
    "中山街道": 0.45,
    "新城街道": -0.3,
    "龙泉街道": 0.0,
    "青年路街道": 0.2,
}


@dataclass(frozen=True)
class Geography:
    """The district as arrays indexed by street, community and cell position (ids are position + 1)."""

    district_name: str
    street_names: list[str]
    street_codes: list[str]
    street_quality: np.ndarray
    community_names: list[str]
    community_codes: list[str]
    community_street: np.ndarray  # street index of each community
    community_quality: np.ndarray  # logit scale, good > 0
    community_old: np.ndarray  # 0..1 share of old housing
    community_commercial: np.ndarray  # 0..1
    cell_codes: list[str]
    cell_names: list[str]
    cell_community: np.ndarray
    cell_number: np.ndarray  # 1-based number of the cell inside its community
    cell_corners: np.ndarray  # (n, 4, 2) lon/lat, counter-clockwise, rounded
    cell_centroids: np.ndarray  # (n, 2) lon/lat area centroid
    cell_population: np.ndarray
    cell_problem: np.ndarray  # per-cell multiplier of ticket volume

    @property
    def cell_street(self) -> np.ndarray:
        return self.community_street[self.cell_community]

    @property
    def community_population(self) -> np.ndarray:
        return np.bincount(self.cell_community, self.cell_population, len(self.community_names)).astype(
            np.int64
        )

    @property
    def street_population(self) -> np.ndarray:
        comm = self.community_population
        return np.bincount(self.community_street, comm, len(self.street_names)).astype(np.int64)

    def boundary_geojson(self, cell: int) -> str:
        ring = [[float(x), float(y)] for x, y in self.cell_corners[cell]]
        ring.append(ring[0])
        return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))

    def points_in_cells(self, cells: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(lat, lon) of random points strictly inside the given cells (bilinear map of the convex quad)."""
        u = rng.uniform(0.04, 0.96, len(cells))[:, None]
        v = rng.uniform(0.04, 0.96, len(cells))[:, None]
        q = self.cell_corners[cells]
        p = (1 - u) * (1 - v) * q[:, 0] + u * (1 - v) * q[:, 1] + u * v * q[:, 2] + (1 - u) * v * q[:, 3]
        p = np.round(p, COORD_DECIMALS)
        return p[:, 1], p[:, 0]


def polygon_area_centroid(ring: np.ndarray) -> tuple[float, float, float]:
    """Signed area (positive when counter-clockwise) and area centroid (x, y) of an open ring."""
    x, y = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    cx = ((x + x1) * cross).sum() / (6 * area)
    cy = ((y + y1) * cross).sum() / (6 * area)
    return float(area), float(cx), float(cy)


def _district_mask(rng: np.random.Generator) -> np.ndarray:
    """Which lattice cells belong to the district: a blob with a wavy outline, 4-connected."""
    rows, cols = np.mgrid[0:LATTICE_ROWS, 0:LATTICE_COLS]
    dy = (rows + 0.5 - LATTICE_ROWS / 2) / (LATTICE_ROWS / 2)
    dx = (cols + 0.5 - LATTICE_COLS / 2) / (LATTICE_COLS / 2)
    theta = np.arctan2(dy, dx)
    ph = rng.uniform(0, 2 * np.pi, 2)
    radius = 1.0 + 0.12 * np.sin(3 * theta + ph[0]) + 0.07 * np.sin(5 * theta + ph[1])
    mask = np.hypot(dx, dy) < radius
    return _largest_component(mask)


def _neighbours(r: int, c: int) -> list[tuple[int, int]]:
    return [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]


def _largest_component(mask: np.ndarray) -> np.ndarray:
    seen = np.zeros_like(mask)
    best: list[tuple[int, int]] = []
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        comp, stack = [], [start]
        seen[start] = True
        while stack:
            r, c = stack.pop()
            comp.append((r, c))
            for nb in _neighbours(r, c):
                if 0 <= nb[0] < mask.shape[0] and 0 <= nb[1] < mask.shape[1] and mask[nb] and not seen[nb]:
                    seen[nb] = True
                    stack.append(nb)
        if len(comp) > len(best):
            best = comp
    out = np.zeros_like(mask)
    for rc in best:
        out[rc] = True
    return out


def _farthest_seeds(cells: list[tuple[int, int]], k: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    pts = np.array(cells, dtype=float)
    seeds = [int(rng.integers(len(cells)))]
    dist = np.hypot(*(pts - pts[seeds[0]]).T)
    while len(seeds) < k:
        nxt = int(np.argmax(dist))
        seeds.append(nxt)
        dist = np.minimum(dist, np.hypot(*(pts - pts[nxt]).T))
    return [cells[i] for i in seeds]


def grow_regions(
    cells: list[tuple[int, int]], seeds: list[tuple[int, int]], weights: np.ndarray, rng: np.random.Generator
) -> dict[tuple[int, int], int]:
    """Assign every cell to a region grown from its seed through 4-neighbours: contiguous by construction.

    A region is picked in proportion to its weight (so sizes vary); it takes the frontier cell that touches
    it most (so shapes stay compact). `cells` must be 4-connected. Sorted lists keep the result
    independent of hashing.
    """
    free = set(cells)
    owner: dict[tuple[int, int], int] = {}
    frontier: list[set[tuple[int, int]]] = [set() for _ in seeds]
    for region, seed in enumerate(seeds):
        owner[seed] = region
        free.discard(seed)
    for region, seed in enumerate(seeds):
        frontier[region].update(nb for nb in _neighbours(*seed) if nb in free)
    while free:
        active = [r for r in range(len(seeds)) if frontier[r]]
        p = weights[active] / weights[active].sum()
        region = active[int(rng.choice(len(active), p=p))]
        cands = sorted(frontier[region])
        touch = np.array([sum(owner.get(nb) == region for nb in _neighbours(*c)) for c in cands], dtype=float)
        pick = cands[int(rng.choice(len(cands), p=touch**3 / (touch**3).sum()))]
        owner[pick] = region
        free.discard(pick)
        for f in frontier:
            f.discard(pick)
        frontier[region].update(nb for nb in _neighbours(*pick) if nb in free)
    return owner


def _lattice_vertices(rng: np.random.Generator) -> np.ndarray:
    """(rows+1, cols+1, 2) lon/lat of the shared lattice points."""
    r, c = np.mgrid[0 : LATTICE_ROWS + 1, 0 : LATTICE_COLS + 1].astype(float)
    ph = rng.uniform(0, 2 * np.pi, 4)
    wx = WARP * np.sin(r / 4.3 + ph[0]) * np.cos(c / 6.1 + ph[1])
    wy = WARP * np.sin(c / 3.7 + ph[2]) * np.cos(r / 5.3 + ph[3])
    jx = rng.uniform(-JITTER, JITTER, r.shape)
    jy = rng.uniform(-JITTER, JITTER, r.shape)
    x = c + wx + jx - LATTICE_COLS / 2
    y = r + wy + jy - LATTICE_ROWS / 2
    lon = np.round(CENTER_LON + x * CELL_DLON, COORD_DECIMALS)
    lat = np.round(CENTER_LAT + y * CELL_DLAT, COORD_DECIMALS)
    return np.stack([lon, lat], axis=-1)


def _name_streets(centres: np.ndarray) -> list[int]:
    """Street index -> position in names.STREETS, by where the street lies (东湖 east, 西苑 west ...)."""
    d = centres - centres.mean(axis=0)
    scores = {
        "东湖街道": d[:, 0],
        "西苑街道": -d[:, 0],
        "南河街道": -d[:, 1],
        "北塔街道": d[:, 1],
        "中山街道": -np.hypot(d[:, 0], d[:, 1]),
    }
    order: dict[int, str] = {}
    for name, score in scores.items():
        free = [i for i in np.argsort(-score) if int(i) not in order]
        order[int(free[0])] = name
    rest = [n for n in names.STREETS if n not in scores]
    for i in range(len(centres)):
        if i not in order:
            order[i] = rest.pop(0)
    return [names.STREETS.index(order[i]) for i in range(len(centres))]


def _centre_quality(
    deviation: np.ndarray,
    street: np.ndarray,
    size: np.ndarray,
    street_quality: np.ndarray,
    street_names: list[str],
) -> np.ndarray:
    """Community quality = the street's quality + a deviation whose cell-weighted mean is zero in each street,
    so a street's story holds whatever the seed: one clearly weak community inside a good street (西苑) and
    one model community inside the struggling one (南河)."""
    special = {"西苑街道": -1.2, "南河街道": 0.9}  # the street's smallest community gets this quality
    quality = np.empty_like(deviation)
    for s, name in enumerate(street_names):
        members = np.nonzero(street == s)[0]
        dev = deviation[members]
        fixed = np.zeros(len(members), bool)
        w = size[members]
        if name in special and len(members) > 1:
            k = int(np.argmin(w))  # the smallest, so the others need only a small shift
            dev[k], fixed[k] = special[name] - street_quality[s], True
        free = ~fixed
        # Shift the free communities so the weighted mean deviation is zero.
        dev[free] -= (w * dev).sum() / w[free].sum()
        quality[members] = street_quality[s] + dev
    return quality


def build_geography(rng: np.random.Generator) -> Geography:
    """The district: streets → communities → grid cells, deterministic for a given generator state."""
    mask = _district_mask(rng)
    cells = [(int(r), int(c)) for r, c in zip(*np.nonzero(mask))]
    n_streets = len(names.STREETS)
    street_of = grow_regions(
        cells, _farthest_seeds(cells, n_streets, rng), rng.uniform(0.8, 1.25, n_streets), rng
    )
    # (col, row) centres: east and north are positive (row 0 is the southern edge of the lattice).
    centres = np.array(
        [np.mean([(c, r) for r, c in cells if street_of[(r, c)] == s], axis=0) for s in range(n_streets)]
    )
    street_name_pos = _name_streets(centres)
    street_comms: list[list[list[tuple[int, int]]]] = []
    for s in sorted(range(n_streets), key=lambda i: street_name_pos[i]):
        mine = [rc for rc in cells if street_of[rc] == s]
        k = max(4, round(len(mine) / CELLS_PER_COMMUNITY))
        owner = grow_regions(mine, _farthest_seeds(mine, k, rng), rng.uniform(0.45, 1.8, k), rng)
        blocks = [sorted(rc for rc in mine if owner[rc] == j) for j in range(k)]
        blocks.sort(key=lambda b: (-max(r for r, _ in b), min(c for _, c in b)))  # north-west first
        street_comms.append(blocks)
    verts = _lattice_vertices(rng)
    comm_pool = list(names.COMMUNITIES)
    order = rng.permutation(len(comm_pool))
    street_names = [names.STREETS[i] for i in range(n_streets)]
    street_quality = np.array([STREET_QUALITY.get(n, 0.0) for n in street_names])
    c_names, c_codes, c_street, c_quality, c_old, c_comm = [], [], [], [], [], []
    g_codes, g_names, g_comm, g_num, g_corners, g_cent, g_pop, g_prob = [], [], [], [], [], [], [], []
    for s, blocks in enumerate(street_comms):
        for j, block in enumerate(blocks):
            ci = len(c_names)
            name = comm_pool[int(order[ci])]
            c_names.append(name)
            c_codes.append(f"C{s + 1:02d}{j + 1:02d}")
            c_street.append(s)
            # Communities of one street differ: a spread around the street's quality, more so in the weak one.
            c_quality.append(rng.normal(0, 0.4 if street_quality[s] > -1 else 0.5))
            c_old.append(float(np.clip(rng.beta(2, 3) + (0.35 if street_quality[s] < -1 else 0), 0, 1)))
            c_comm.append(float(rng.beta(1.5, 4)))
            density = rng.uniform(1100, 2000)
            for g, (r, c) in enumerate(block):
                quad = np.array([verts[r, c], verts[r, c + 1], verts[r + 1, c + 1], verts[r + 1, c]])
                _, cx, cy = polygon_area_centroid(quad)
                g_codes.append(f"G{s + 1:02d}{j + 1:02d}-{g + 1:02d}")
                g_names.append(f"{name}第{g + 1}网格")
                g_comm.append(ci)
                g_num.append(g + 1)
                g_corners.append(quad)
                g_cent.append((round(cx, COORD_DECIMALS), round(cy, COORD_DECIMALS)))
                g_pop.append(int(np.clip(density * rng.uniform(0.7, 1.3), 800, 2500)))
                g_prob.append(float(rng.lognormal(0, 0.35)))
    c_street_arr = np.array(c_street)
    c_quality = _centre_quality(
        np.array(c_quality), c_street_arr, np.bincount(g_comm), street_quality, street_names
    )
    return Geography(
        district_name=names.DISTRICT,
        street_names=street_names,
        street_codes=[f"S{s + 1:02d}" for s in range(n_streets)],
        street_quality=street_quality,
        community_names=c_names,
        community_codes=c_codes,
        community_street=c_street_arr,
        community_quality=c_quality,
        community_old=np.array(c_old),
        community_commercial=np.array(c_comm),
        cell_codes=g_codes,
        cell_names=g_names,
        cell_community=np.array(g_comm),
        cell_number=np.array(g_num),
        cell_corners=np.array(g_corners),
        cell_centroids=np.array(g_cent),
        cell_population=np.array(g_pop, dtype=np.int64),
        cell_problem=np.array(g_prob),
    )
