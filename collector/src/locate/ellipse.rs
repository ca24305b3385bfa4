//! Error ellipses from a 2×2 covariance.

use super::geo::Enu;

/// The 0.95 quantile of χ² with 2 degrees of freedom: `−2 ln 0.05`.
pub const CHI2_2DOF_95: f64 = 5.991_464_547_107_979;

/// An ellipse centred on an estimate: `{e : eᵀ S⁻¹ e ≤ 1}` with `S = k·C`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipse {
    /// Semi-major axis, metres.
    pub major: f64,
    /// Semi-minor axis, metres.
    pub minor: f64,
    /// Bearing of the major axis, degrees clockwise from north, in [0, 180).
    pub bearing_deg: f64,
    /// The shape matrix `S` (m²).
    pub shape: [[f64; 2]; 2],
}

impl Ellipse {
    /// The ellipse `eᵀ C⁻¹ e ≤ k` of covariance `c` (k = [`CHI2_2DOF_95`] for 95 %).
    pub fn from_covariance(c: [[f64; 2]; 2], k: f64) -> Self {
        let shape = [[k * c[0][0], k * c[0][1]], [k * c[1][0], k * c[1][1]]];
        let (a, b, d) = (shape[0][0], 0.5 * (shape[0][1] + shape[1][0]), shape[1][1]);
        let mean = 0.5 * (a + d);
        let r = (0.25 * (a - d) * (a - d) + b * b).sqrt();
        let (l1, l2) = (mean + r, (mean - r).max(0.0));
        // Angle of the major axis from east, counter-clockwise.
        let theta = 0.5 * (2.0 * b).atan2(a - d);
        let bearing = (90.0 - theta.to_degrees()).rem_euclid(180.0);
        Ellipse {
            major: l1.sqrt(),
            minor: l2.sqrt(),
            bearing_deg: bearing,
            shape,
        }
    }

    /// Whether the offset `e` (truth − estimate, metres) lies inside.
    pub fn contains(&self, e: Enu) -> bool {
        let s = self.shape;
        let det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
        if det.is_nan() || det <= 0.0 {
            return false;
        }
        let q = (s[1][1] * e[0] * e[0] - (s[0][1] + s[1][0]) * e[0] * e[1] + s[0][0] * e[1] * e[1])
            / det;
        q <= 1.0
    }

    /// The ellipse scaled by `f` in both axes.
    pub fn scaled(&self, f: f64) -> Self {
        let f2 = f * f;
        Ellipse {
            major: self.major * f,
            minor: self.minor * f,
            bearing_deg: self.bearing_deg,
            shape: self.shape.map(|row| row.map(|v| v * f2)),
        }
    }

    /// The wire form.
    pub fn to_wire(&self) -> towerwatch_models::ErrorEllipse {
        towerwatch_models::ErrorEllipse {
            major: self.major,
            minor: self.minor,
            bearing_deg: self.bearing_deg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_aligned_and_rotated() {
        // σ_east = 20 m, σ_north = 10 m → 95 % semi-axes 2.4477·20 and 2.4477·10, major along east (bearing 90°).
        let e = Ellipse::from_covariance([[400.0, 0.0], [0.0, 100.0]], CHI2_2DOF_95);
        assert!((e.major - 48.954).abs() < 0.01 && (e.minor - 24.477).abs() < 0.01);
        assert!((e.bearing_deg - 90.0).abs() < 1e-9);
        assert!(e.contains([48.0, 0.0]) && !e.contains([50.0, 0.0]) && !e.contains([0.0, 25.0]));
        // Major axis along north-east: covariance with equal variances and positive correlation.
        let r = Ellipse::from_covariance([[200.0, 150.0], [150.0, 200.0]], 1.0);
        assert!((r.bearing_deg - 45.0).abs() < 1e-9, "{}", r.bearing_deg);
        assert!((r.major - 350f64.sqrt()).abs() < 1e-9 && (r.minor - 50f64.sqrt()).abs() < 1e-9);
        // North-west.
        let r = Ellipse::from_covariance([[200.0, -150.0], [-150.0, 200.0]], 1.0);
        assert!((r.bearing_deg - 135.0).abs() < 1e-9, "{}", r.bearing_deg);
        assert!((e.scaled(2.0).major - 2.0 * e.major).abs() < 1e-9);
    }
}
