//! Combining evidence into a suspect's score.
//!
//! Each kind of evidence counts once, at its largest weight `w`, raised by
//! corroboration: seen by `k` distinct sensors, it counts as
//! `1 − (1 − w)^(1 + 0.25·min(k − 1, 4))` (up to twice the log-odds of one
//! sensor). Kinds combine by noisy-OR: `score = 1 − Π (1 − w_kind)`, so
//! independent kinds of evidence reinforce each other and the score stays
//! in [0, 1).

use std::collections::{BTreeMap, BTreeSet};
use towerwatch_models::Evidence;

/// The score of a set of evidence, in [0, 1].
pub fn score(evidence: &[Evidence]) -> f64 {
    let mut kinds: BTreeMap<&str, (f64, BTreeSet<&str>)> = BTreeMap::new();
    for e in evidence {
        let w = e.weight.unwrap_or(0.0);
        if !w.is_finite() {
            continue;
        }
        let entry = kinds
            .entry(e.kind.as_str())
            .or_insert((0.0, BTreeSet::new()));
        entry.0 = entry.0.max(w.clamp(0.0, 0.99));
        if let Some(s) = &e.sensor_id {
            entry.1.insert(s.as_str());
        }
    }
    let mut keep = 1.0;
    for (w, sensors) in kinds.values() {
        let k = sensors.len().max(1);
        let exp = 1.0 + 0.25 * (k - 1).min(4) as f64;
        keep *= (1.0 - w).powf(exp);
    }
    (1.0 - keep).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, sensor: &str, w: f64) -> Evidence {
        Evidence {
            kind: kind.into(),
            sensor_id: Some(sensor.into()),
            detail: String::new(),
            rule_version: Some(1),
            time: None,
            weight: Some(w),
        }
    }

    #[test]
    fn noisy_or_with_corroboration() {
        assert_eq!(score(&[]), 0.0);
        assert!((score(&[ev("unknown_cell", "a", 0.4)]) - 0.4).abs() < 1e-12);
        // The same sensor repeating itself adds nothing.
        assert!(
            (score(&[ev("unknown_cell", "a", 0.4), ev("unknown_cell", "a", 0.4)]) - 0.4).abs()
                < 1e-12
        );
        // A second sensor: 1 − 0.6^1.25.
        let two = score(&[ev("unknown_cell", "a", 0.4), ev("unknown_cell", "b", 0.4)]);
        assert!((two - (1.0 - 0.6f64.powf(1.25))).abs() < 1e-12);
        // Two kinds: 1 − 0.6·0.4 = 0.76.
        assert!(
            (score(&[ev("unknown_cell", "a", 0.4), ev("area_mismatch", "a", 0.6)]) - 0.76).abs()
                < 1e-12
        );
        // Bounded below 1 even with many strong kinds.
        let many: Vec<Evidence> = (0..20).map(|i| ev(&format!("k{i}"), "a", 5.0)).collect();
        assert!(score(&many) <= 1.0);
    }
}
