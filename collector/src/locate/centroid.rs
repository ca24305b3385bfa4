//! The weighted-centroid baseline.

use super::geo::Enu;
use super::model::{Reading, ReadingValue};

/// Weighted centroid of the sensors that heard the emitter, with weights
/// `1/d̂²` where `d̂ ∝ 10^(−P/(10n))` is the distance the power implies under
/// the path-loss exponent `n`. `None` when no sensor heard it.
pub fn weighted_centroid(readings: &[Reading], exponent: f64) -> Option<Enu> {
    let heard: Vec<(Enu, f64)> = readings
        .iter()
        .filter_map(|r| match r.value {
            ReadingValue::Heard { power_dbm, .. } if power_dbm.is_finite() => {
                Some((r.pos, power_dbm))
            }
            _ => None,
        })
        .collect();
    let pmax = heard.iter().map(|h| h.1).fold(f64::NEG_INFINITY, f64::max);
    if heard.is_empty() {
        return None;
    }
    let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
    for (p, dbm) in heard {
        let w = 10f64.powf(2.0 * (dbm - pmax) / (10.0 * exponent.max(0.5)));
        sx += w * p[0];
        sy += w * p[1];
        sw += w;
    }
    Some([sx / sw, sy / sw])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_powers_give_the_plain_centroid_and_stronger_sensors_pull() {
        let r = [
            Reading::heard([0.0, 0.0], -80.0),
            Reading::heard([100.0, 0.0], -80.0),
            Reading::heard([0.0, 100.0], -80.0),
            Reading::not_heard([100.0, 100.0], -90.0),
        ];
        let c = weighted_centroid(&r, 3.5).unwrap();
        assert!((c[0] - 100.0 / 3.0).abs() < 1e-9 && (c[1] - 100.0 / 3.0).abs() < 1e-9);
        // 35 dB stronger with n = 3.5 → d̂ ten times shorter → weight 100×.
        let r2 = [
            Reading::heard([0.0, 0.0], -45.0),
            Reading::heard([101.0, 0.0], -80.0),
        ];
        let c2 = weighted_centroid(&r2, 3.5).unwrap();
        assert!((c2[0] - 1.0).abs() < 1e-9, "{c2:?}");
        assert!(weighted_centroid(&r[3..], 3.5).is_none());
    }
}
