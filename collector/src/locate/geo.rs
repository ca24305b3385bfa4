//! A local east-north frame and the convex-hull geometry of a sensor set.
//!
//! At city scale (a few km) an equirectangular projection around a reference
//! point is accurate to well under a metre per kilometre, far below the
//! uncertainty of received-power localization.

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point in the local frame: metres east and north of the reference.
pub type Enu = [f64; 2];

/// An equirectangular projection around `(lat0, lon0)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    lat0: f64,
    lon0: f64,
    cos_lat0: f64,
}

impl LocalFrame {
    /// A frame centred on `(lat0, lon0)` in degrees.
    pub fn new(lat0: f64, lon0: f64) -> Self {
        LocalFrame {
            lat0,
            lon0,
            cos_lat0: lat0.to_radians().cos().max(1e-6),
        }
    }

    /// A frame centred on the mean of `points` (`(lat, lon)` pairs); `None` when empty.
    pub fn around(points: &[(f64, f64)]) -> Option<Self> {
        if points.is_empty() {
            return None;
        }
        let n = points.len() as f64;
        let lat = points.iter().map(|p| p.0).sum::<f64>() / n;
        let lon = points.iter().map(|p| p.1).sum::<f64>() / n;
        Some(LocalFrame::new(lat, lon))
    }

    /// Metres east and north of the reference.
    pub fn to_enu(&self, lat: f64, lon: f64) -> Enu {
        let e = (lon - self.lon0).to_radians() * self.cos_lat0 * EARTH_RADIUS_M;
        let n = (lat - self.lat0).to_radians() * EARTH_RADIUS_M;
        [e, n]
    }

    /// Back to `(lat, lon)` degrees.
    pub fn to_geo(&self, p: Enu) -> (f64, f64) {
        let lat = self.lat0 + (p[1] / EARTH_RADIUS_M).to_degrees();
        let lon = self.lon0 + (p[0] / (EARTH_RADIUS_M * self.cos_lat0)).to_degrees();
        (lat, lon)
    }
}

/// Great-circle distance between two `(lat, lon)` points in degrees, metres (haversine).
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn cross(o: Enu, a: Enu, b: Enu) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// A convex polygon, counter-clockwise, without repeated points.
#[derive(Debug, Clone, PartialEq)]
pub struct Hull {
    /// Vertices, counter-clockwise.
    pub vertices: Vec<Enu>,
}

impl Hull {
    /// The convex hull of `points` (Andrew's monotone chain). Collinear points
    /// give a two-vertex hull; non-finite points are ignored.
    pub fn of(points: &[Enu]) -> Hull {
        let mut p: Vec<Enu> = points
            .iter()
            .copied()
            .filter(|q| q[0].is_finite() && q[1].is_finite())
            .collect();
        p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        p.dedup();
        if p.len() < 3 {
            return Hull { vertices: p };
        }
        let mut h: Vec<Enu> = Vec::with_capacity(2 * p.len());
        for &q in &p {
            while h.len() >= 2 && cross(h[h.len() - 2], h[h.len() - 1], q) <= 0.0 {
                h.pop();
            }
            h.push(q);
        }
        let lower = h.len() + 1;
        for &q in p.iter().rev().skip(1) {
            while h.len() >= lower && cross(h[h.len() - 2], h[h.len() - 1], q) <= 0.0 {
                h.pop();
            }
            h.push(q);
        }
        h.pop();
        Hull { vertices: h }
    }

    /// Area, m².
    pub fn area(&self) -> f64 {
        let v = &self.vertices;
        if v.len() < 3 {
            return 0.0;
        }
        let mut a = 0.0;
        for i in 0..v.len() {
            let (p, q) = (v[i], v[(i + 1) % v.len()]);
            a += p[0] * q[1] - q[0] * p[1];
        }
        a.abs() / 2.0
    }

    /// Largest distance between two vertices, metres.
    pub fn diameter(&self) -> f64 {
        let v = &self.vertices;
        let mut d: f64 = 0.0;
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                d = d.max(((v[i][0] - v[j][0]).powi(2) + (v[i][1] - v[j][1]).powi(2)).sqrt());
            }
        }
        d
    }

    /// Whether the points span a plane: area at least `1e-3 × diameter²`.
    pub fn is_degenerate(&self) -> bool {
        let d = self.diameter();
        self.vertices.len() < 3 || d <= 0.0 || self.area() < 1e-3 * d * d
    }

    /// Signed distance from `p` to the hull boundary: negative inside, positive outside
    /// (for a degenerate hull, the distance to its vertices or segment).
    pub fn signed_distance(&self, p: Enu) -> f64 {
        let v = &self.vertices;
        match v.len() {
            0 => f64::INFINITY,
            1 => ((p[0] - v[0][0]).powi(2) + (p[1] - v[0][1]).powi(2)).sqrt(),
            _ => {
                let mut inside = v.len() >= 3;
                let mut dmin = f64::INFINITY;
                for i in 0..v.len() {
                    let (a, b) = (v[i], v[(i + 1) % v.len()]);
                    if cross(a, b, p) < 0.0 {
                        inside = false;
                    }
                    dmin = dmin.min(segment_distance(p, a, b));
                }
                if inside {
                    -dmin
                } else {
                    dmin
                }
            }
        }
    }

    /// Whether `p` is inside the hull grown by `margin_m`.
    pub fn contains(&self, p: Enu, margin_m: f64) -> bool {
        self.signed_distance(p) <= margin_m
    }

    /// Axis-aligned bounding box `(min, max)`.
    pub fn bbox(&self) -> (Enu, Enu) {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for v in &self.vertices {
            for k in 0..2 {
                lo[k] = lo[k].min(v[k]);
                hi[k] = hi[k].max(v[k]);
            }
        }
        (lo, hi)
    }
}

fn segment_distance(p: Enu, a: Enu, b: Enu) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip_and_scale() {
        let f = LocalFrame::new(52.52, 13.405);
        let p = f.to_enu(52.521, 13.405);
        // One millidegree of latitude is 111.2 m.
        assert!((p[1] - 111.195).abs() < 0.01, "{p:?}");
        assert!(p[0].abs() < 1e-9);
        let (lat, lon) = f.to_geo([250.0, -400.0]);
        let q = f.to_enu(lat, lon);
        assert!((q[0] - 250.0).abs() < 1e-6 && (q[1] + 400.0).abs() < 1e-6);
        // The projection agrees with the haversine distance to 0.1 % at 1 km.
        let d = haversine_m((52.52, 13.405), (lat, lon));
        assert!((d - (250.0f64.hypot(400.0))).abs() < 0.5, "{d}");
    }

    #[test]
    fn hull_of_square_with_interior_points() {
        let pts = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
            [5.0, 5.0],
            [2.0, 8.0],
            [5.0, 0.0],
        ];
        let h = Hull::of(&pts);
        assert_eq!(h.vertices.len(), 4);
        assert!((h.area() - 100.0).abs() < 1e-9);
        assert!((h.signed_distance([5.0, 5.0]) + 5.0).abs() < 1e-9);
        assert!((h.signed_distance([13.0, 5.0]) - 3.0).abs() < 1e-9);
        assert!((h.signed_distance([13.0, 14.0]) - 5.0).abs() < 1e-9);
        assert!(h.contains([10.5, 5.0], 1.0) && !h.contains([10.5, 5.0], 0.0));
        assert!(!h.is_degenerate());
    }

    #[test]
    fn collinear_points_are_degenerate() {
        let h = Hull::of(&[[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.1]]);
        assert!(h.is_degenerate());
        assert!(Hull::of(&[[1.0, 1.0]]).is_degenerate());
    }
}
