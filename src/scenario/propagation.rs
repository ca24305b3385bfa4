//! Propagation: median path loss, LOS state, spatially correlated shadowing
//! and thermal noise.
//!
//! - **Log-distance**: `PL(d) = FSPL(1 m, f) + 10·n·log10(d / 1 m)`.
//! - **3GPP UMi street canyon** (TR 38.901 §7.4.1, Table 7.4.1-1, LOS
//!   probability Table 7.4.2-1): LOS loss with its breakpoint, NLOS loss
//!   `max(PL_LOS, 35.3·log10(d3D) + 22.4 + 21.3·log10(fc) − 0.3·(h_UT − 1.5))`,
//!   shadowing σ 4 dB (LOS) and 7.82 dB (NLOS). The model is specified from
//!   0.5 GHz; below that the formula is used as is.
//! - **Shadowing** is log-normal and spatially correlated per transmitter:
//!   for each station, the values at all sensors are jointly Gaussian with
//!   covariance `σ² · exp(−d / d_corr)` (Gudmundson's exponential model,
//!   TR 38.901 §7.4.4), drawn through a Cholesky factor.
//! - **Noise**: `−174 dBm/Hz + 10·log10(B) + NF` (kT at 290 K).

use super::ScenarioError;
use serde::{Deserialize, Serialize};
use towerwatch_dsp::lte::tx::channel::Rng;

/// Speed of light, m/s.
pub const C: f64 = 299_792_458.0;

/// The path loss model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PropagationModel {
    /// Free space at 1 m, then exponent `n`.
    LogDistance,
    /// TR 38.901 UMi street canyon with LOS probability.
    UmiStreetCanyon,
}

/// Propagation settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Propagation {
    /// The model.
    #[serde(default = "default_model")]
    pub model: PropagationModel,
    /// Log-distance exponent.
    #[serde(default = "default_exponent")]
    pub exponent: f64,
    /// Shadowing σ, dB (log-distance; UMi uses its LOS/NLOS values unless this is set).
    #[serde(default)]
    pub shadowing_db: Option<f64>,
    /// Shadowing decorrelation distance, m (TR 38.901 Table 7.5-6: UMi 10 m LOS, 13 m NLOS).
    #[serde(default = "default_corr")]
    pub correlation_m: f64,
}

fn default_model() -> PropagationModel {
    PropagationModel::UmiStreetCanyon
}
fn default_exponent() -> f64 {
    3.5
}
fn default_corr() -> f64 {
    13.0
}

impl Default for Propagation {
    fn default() -> Self {
        Propagation {
            model: default_model(),
            exponent: default_exponent(),
            shadowing_db: None,
            correlation_m: default_corr(),
        }
    }
}

/// One link's large-scale figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Link {
    /// 3D distance, m.
    pub distance_m: f64,
    /// Line of sight (UMi draw; log-distance: false).
    pub los: bool,
    /// Median path loss, dB.
    pub path_loss_db: f64,
    /// Shadowing, dB (added to the loss).
    pub shadowing_db: f64,
}

impl Link {
    /// Total loss, dB.
    pub fn loss_db(&self) -> f64 {
        self.path_loss_db + self.shadowing_db
    }
}

/// Free-space path loss at distance `d` m and frequency `f` Hz, dB.
pub fn fspl_db(d: f64, f: f64) -> f64 {
    20.0 * (4.0 * std::f64::consts::PI * d.max(1e-3) * f / C).log10()
}

/// UMi street-canyon LOS probability at 2D distance `d2d` (TR 38.901 Table 7.4.2-1).
pub fn umi_los_probability(d2d: f64) -> f64 {
    if d2d <= 18.0 {
        1.0
    } else {
        18.0 / d2d + (-d2d / 36.0).exp() * (1.0 - 18.0 / d2d)
    }
}

/// UMi street-canyon LOS path loss (TR 38.901 Table 7.4.1-1), dB.
pub fn umi_los_db(d2d: f64, h_bs: f64, h_ut: f64, f_hz: f64) -> f64 {
    let fc = f_hz / 1e9;
    let d3d = d2d.hypot(h_bs - h_ut).max(1.0);
    // Effective heights: environment height 1 m.
    let d_bp = 4.0 * (h_bs - 1.0).max(0.1) * (h_ut - 1.0).max(0.1) * f_hz / C;
    if d2d <= d_bp {
        32.4 + 21.0 * d3d.log10() + 20.0 * fc.log10()
    } else {
        32.4 + 40.0 * d3d.log10() + 20.0 * fc.log10()
            - 9.5 * (d_bp * d_bp + (h_bs - h_ut).powi(2)).log10()
    }
}

/// UMi street-canyon NLOS path loss (TR 38.901 Table 7.4.1-1), dB.
pub fn umi_nlos_db(d2d: f64, h_bs: f64, h_ut: f64, f_hz: f64) -> f64 {
    let fc = f_hz / 1e9;
    let d3d = d2d.hypot(h_bs - h_ut).max(1.0);
    let nlos = 35.3 * d3d.log10() + 22.4 + 21.3 * fc.log10() - 0.3 * (h_ut - 1.5);
    nlos.max(umi_los_db(d2d, h_bs, h_ut, f_hz))
}

/// Thermal noise power in bandwidth `b` Hz with noise figure `nf` dB, dBm.
pub fn noise_dbm(b: f64, nf: f64) -> f64 {
    -174.0 + 10.0 * b.max(1.0).log10() + nf
}

impl Propagation {
    /// Checks the settings.
    pub fn check(&self) -> Result<(), ScenarioError> {
        let bad = |field: &str, reason: &str| ScenarioError::Invalid {
            field: format!("propagation.{field}"),
            reason: reason.into(),
        };
        if !(1.5..=6.0).contains(&self.exponent) {
            return Err(bad("exponent", "1.5 … 6"));
        }
        if self
            .shadowing_db
            .is_some_and(|s| !(0.0..=20.0).contains(&s))
        {
            return Err(bad("shadowing_db", "0 … 20 dB"));
        }
        if !(0.1..=10_000.0).contains(&self.correlation_m) {
            return Err(bad("correlation_m", "0.1 … 10000 m"));
        }
        Ok(())
    }

    /// The links from one transmitter at `tx` (height `h_tx`) on `f_hz` to every
    /// receiver `rx[i] = (east, north, height)`, with correlated shadowing drawn from `rng`.
    pub fn links(
        &self,
        tx: [f64; 2],
        h_tx: f64,
        f_hz: f64,
        rx: &[[f64; 3]],
        rng: &mut Rng,
    ) -> Vec<Link> {
        let mut links: Vec<Link> = rx
            .iter()
            .map(|r| {
                let d2d = (r[0] - tx[0]).hypot(r[1] - tx[1]).max(1.0);
                let distance_m = d2d.hypot(h_tx - r[2]);
                let (los, path_loss_db) = match self.model {
                    PropagationModel::LogDistance => (
                        false,
                        fspl_db(1.0, f_hz) + 10.0 * self.exponent * distance_m.max(1.0).log10(),
                    ),
                    PropagationModel::UmiStreetCanyon => {
                        let los = rng.uniform() < umi_los_probability(d2d);
                        let pl = if los {
                            umi_los_db(d2d, h_tx, r[2], f_hz)
                        } else {
                            umi_nlos_db(d2d, h_tx, r[2], f_hz)
                        };
                        (los, pl)
                    }
                };
                Link {
                    distance_m,
                    los,
                    path_loss_db,
                    shadowing_db: 0.0,
                }
            })
            .collect();
        // Correlated unit-variance field over the receivers, then per-link σ.
        let pts: Vec<[f64; 2]> = rx.iter().map(|r| [r[0], r[1]]).collect();
        let field = correlated_normals(&pts, self.correlation_m, rng);
        for (l, z) in links.iter_mut().zip(field) {
            let sigma = self.shadowing_db.unwrap_or(match self.model {
                PropagationModel::LogDistance => 6.0,
                PropagationModel::UmiStreetCanyon => {
                    if l.los {
                        4.0
                    } else {
                        7.82
                    }
                }
            });
            l.shadowing_db = sigma * z;
        }
        links
    }
}

/// Standard normal values at `pts`, correlated `exp(−d/d_corr)` (Cholesky of the
/// covariance; a tiny diagonal load keeps it positive definite).
pub fn correlated_normals(pts: &[[f64; 2]], d_corr: f64, rng: &mut Rng) -> Vec<f64> {
    let n = pts.len();
    let mut l = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let d = (pts[i][0] - pts[j][0]).hypot(pts[i][1] - pts[j][1]);
            let mut s = (-d / d_corr).exp() + if i == j { 1e-9 } else { 0.0 };
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = if i == j {
                s.max(1e-12).sqrt()
            } else {
                s / l[j * n + j]
            };
        }
    }
    let z: Vec<f64> = (0..n).map(|_| gaussian(rng)).collect();
    (0..n)
        .map(|i| (0..=i).map(|k| l[i * n + k] * z[k]).sum())
        .collect()
}

/// A standard normal draw (Box–Muller).
pub fn gaussian(rng: &mut Rng) -> f64 {
    let u1 = rng.uniform().max(1e-300);
    let u2 = rng.uniform();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_loss_values() {
        // FSPL at 1 km, 1 GHz: 92.45 dB.
        assert!((fspl_db(1000.0, 1e9) - 92.45).abs() < 0.01);
        // UMi LOS below the breakpoint: 32.4 + 21·log10(d3D) + 20·log10(fc).
        let los = umi_los_db(100.0, 10.0, 1.5, 2e9);
        let d3d = 100f64.hypot(8.5);
        assert!((los - (32.4 + 21.0 * d3d.log10() + 20.0 * 2f64.log10())).abs() < 1e-9);
        // NLOS is never below LOS.
        for d in [20.0, 100.0, 500.0, 2000.0] {
            assert!(umi_nlos_db(d, 10.0, 1.5, 1.8e9) >= umi_los_db(d, 10.0, 1.5, 1.8e9));
        }
        assert_eq!(umi_los_probability(10.0), 1.0);
        assert!(
            (umi_los_probability(100.0) - (0.18 + (-100.0f64 / 36.0).exp() * 0.82)).abs() < 1e-12
        );
        assert!((noise_dbm(1e6, 0.0) + 114.0).abs() < 0.01);
    }

    #[test]
    fn shadowing_has_the_asked_correlation() {
        // Two points 20 m apart with d_corr 20 m: correlation e^-1 ≈ 0.368.
        let pts = [[0.0, 0.0], [20.0, 0.0], [5000.0, 0.0]];
        let mut rng = Rng::new(3);
        let n = 20_000;
        let (mut s01, mut s02, mut s00) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let z = correlated_normals(&pts, 20.0, &mut rng);
            s00 += z[0] * z[0];
            s01 += z[0] * z[1];
            s02 += z[0] * z[2];
        }
        let (v, c01, c02) = (s00 / n as f64, s01 / n as f64, s02 / n as f64);
        assert!((v - 1.0).abs() < 0.05, "variance {v}");
        assert!((c01 - (-1.0f64).exp()).abs() < 0.05, "corr {c01}");
        assert!(c02.abs() < 0.05, "far corr {c02}");
    }
}
