//! The Cramér–Rao bound on position for a sensor geometry.
//!
//! With unknown transmit power the bound is the position block of the inverse
//! of the 3×3 Fisher information about `(x, y, P0)` (Patwari et al., "Relative
//! location estimation in wireless sensor networks", IEEE TSP 2003, §IV, for the
//! heard-only case). Sensors with a known noise floor contribute the
//! information of a left-censored (Tobit) observation, so a sensor that may not
//! hear the emitter counts for less, and one that never hears it for nothing.

use super::geo::Enu;
use super::model::{fisher_information, position_covariance, PathLoss};

/// The bound at one emitter position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crb {
    /// Lower bound on the position covariance, m².
    pub covariance: [[f64; 2]; 2],
    /// `√trace`: the bound on the RMS position error, metres.
    pub rms_m: f64,
}

/// The bound for an emitter at `x` with power `p0_dbm` at 1 m, observed by
/// `sensors` (position and noise floor; `None` = always heard). `None` when the
/// information is singular (fewer than three useful sensors, collinear).
pub fn crb(model: &PathLoss, sensors: &[(Enu, Option<f64>)], x: Enu, p0_dbm: f64) -> Option<Crb> {
    let info = fisher_information(model, sensors.iter().copied(), x, p0_dbm);
    let c = position_covariance(&info)?;
    Some(Crb {
        covariance: c,
        rms_m: (c[0][0] + c[1][1]).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_of_a_symmetric_square_matches_the_closed_form() {
        // Four sensors at distance r on the axes, no height, always heard: the
        // gradient vectors are (±k/r, 0) and (0, ±k/r) with k = 10n/ln10, the
        // P0 column decouples by symmetry, and each axis gets information
        // 2k²/(r²σ²): the per-axis variance is r²σ²/(2k²).
        let model = PathLoss {
            exponent: 3.0,
            sigma_db: 6.0,
            height_m: 0.0,
            min_distance_m: 1.0,
        };
        let r = 100.0;
        let s = [
            ([r, 0.0], None),
            ([-r, 0.0], None),
            ([0.0, r], None),
            ([0.0, -r], None),
        ];
        let b = crb(&model, &s, [0.0, 0.0], -20.0).unwrap();
        let k = 30.0 / std::f64::consts::LN_10;
        let var = r * r * 36.0 / (2.0 * k * k);
        assert!((b.covariance[0][0] - var).abs() < 1e-9 * var);
        assert!((b.covariance[1][1] - var).abs() < 1e-9 * var);
        assert!(b.covariance[0][1].abs() < 1e-9);
        assert!((b.rms_m - (2.0 * var).sqrt()).abs() < 1e-9);
        // A floor far above the predictions removes every sensor's information.
        let deaf: Vec<(Enu, Option<f64>)> = s.iter().map(|(p, _)| (*p, Some(0.0))).collect();
        let weak = crb(&model, &deaf, [0.0, 0.0], -20.0);
        assert!(weak.is_none_or(|w| w.rms_m > 1e3 * b.rms_m));
        // Two sensors cannot bound three unknowns.
        assert!(crb(&model, &s[..2], [0.0, 50.0], -20.0).is_none());
    }
}
