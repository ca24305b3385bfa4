//! The log-distance path-loss model, its likelihood with censored sensors,
//! and the normal-distribution functions it needs.
//!
//! A sensor at distance `d` from an emitter whose power at 1 m is `P0` receives
//! `P = P0 − 10·n·log10(d) + X`, `X ~ N(0, σ²)` (log-normal shadowing).
//! A sensor that did not hear the cell tells us `P < floor` (its noise floor):
//! a left-censored observation with likelihood `Φ((floor − μ)/σ)`.

use super::geo::Enu;

/// `ln(10) / 10`: converts `10·log10` to natural log.
const DB_PER_NEPER_INV: f64 = std::f64::consts::LN_10 / 10.0;

/// The log-distance model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathLoss {
    /// Path-loss exponent `n` (2 free space, 3–4 urban).
    pub exponent: f64,
    /// Shadowing standard deviation, dB.
    pub sigma_db: f64,
    /// Height difference between emitter and sensors, metres (added in quadrature).
    pub height_m: f64,
    /// Distances are clamped to at least this, metres.
    pub min_distance_m: f64,
}

impl Default for PathLoss {
    fn default() -> Self {
        PathLoss {
            exponent: 3.5,
            sigma_db: 8.0,
            height_m: 5.0,
            min_distance_m: 1.0,
        }
    }
}

impl PathLoss {
    /// Distance from emitter `x` to sensor `s`, metres (3-D, clamped).
    pub fn distance(&self, x: Enu, s: Enu) -> f64 {
        let (dx, dy) = (x[0] - s[0], x[1] - s[1]);
        (dx * dx + dy * dy + self.height_m * self.height_m)
            .sqrt()
            .max(self.min_distance_m)
    }

    /// Path loss `10·n·log10(d)` from emitter `x` to sensor `s`, dB.
    pub fn loss_db(&self, x: Enu, s: Enu) -> f64 {
        10.0 * self.exponent * self.distance(x, s).log10()
    }

    /// Mean received power, dBm.
    pub fn mean_dbm(&self, x: Enu, p0_dbm: f64, s: Enu) -> f64 {
        p0_dbm - self.loss_db(x, s)
    }

    /// Gradient of the mean received power with respect to the emitter position, dB/m.
    pub fn mean_gradient(&self, x: Enu, s: Enu) -> Enu {
        let (dx, dy) = (x[0] - s[0], x[1] - s[1]);
        let d2 = dx * dx + dy * dy + self.height_m * self.height_m;
        if d2.sqrt() <= self.min_distance_m {
            return [0.0, 0.0];
        }
        let k = -10.0 * self.exponent / std::f64::consts::LN_10 / d2;
        [k * dx, k * dy]
    }
}

/// What one sensor reported about one cell, in the local frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Sensor position, metres.
    pub pos: Enu,
    /// Calibrated power, or that it was below the floor.
    pub value: ReadingValue,
}

/// A heard power or a censored one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReadingValue {
    /// The sensor decoded the cell at this power, dBm; `floor_dbm` is its noise
    /// floor when known (used for the expected Fisher information).
    Heard {
        /// Received power, dBm.
        power_dbm: f64,
        /// The sensor's noise floor, dBm, when known.
        floor_dbm: Option<f64>,
    },
    /// The sensor scanned the channel and did not hear the cell: its power was below this floor, dBm.
    NotHeard {
        /// The sensor's noise floor, dBm.
        floor_dbm: f64,
    },
}

impl Reading {
    /// A heard reading without a known floor.
    pub fn heard(pos: Enu, power_dbm: f64) -> Self {
        Reading {
            pos,
            value: ReadingValue::Heard {
                power_dbm,
                floor_dbm: None,
            },
        }
    }

    /// A censored reading.
    pub fn not_heard(pos: Enu, floor_dbm: f64) -> Self {
        Reading {
            pos,
            value: ReadingValue::NotHeard { floor_dbm },
        }
    }

    /// Whether the sensor heard the cell.
    pub fn is_heard(&self) -> bool {
        matches!(self.value, ReadingValue::Heard { .. })
    }

    /// The noise floor, when known.
    pub fn floor(&self) -> Option<f64> {
        match self.value {
            ReadingValue::Heard { floor_dbm, .. } => floor_dbm,
            ReadingValue::NotHeard { floor_dbm } => Some(floor_dbm),
        }
    }
}

// ---- normal distribution -------------------------------------------------

const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// `erfc(x)` for `x ≥ 2` as `exp(−x²) / (√π · K(x))`, returning `ln K(x)`:
/// the Laplace continued fraction `K = x + (1/2)/(x + 1/(x + (3/2)/(x + …)))`,
/// evaluated backwards at a fixed depth (ample for x ≥ 2).
fn erfc_cf_ln_k(x: f64) -> f64 {
    let mut k = x;
    for i in (1..=50).rev() {
        k = x + (f64::from(i) / 2.0) / k;
    }
    k.ln()
}

/// `erf(x)` for `|x| < 2` by the all-positive series
/// `erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1))`.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    for n in 1..200 {
        term *= 2.0 * x2 / f64::from(2 * n + 1);
        sum += term;
        if term.abs() < 1e-17 * sum.abs() {
            break;
        }
    }
    2.0 * FRAC_1_SQRT_PI * (-x2).exp() * sum
}

/// The complementary error function.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x >= 2.0 {
        (-x * x).exp() * FRAC_1_SQRT_PI / erfc_cf_ln_k(x).exp()
    } else if x <= -2.0 {
        2.0 - erfc(-x)
    } else {
        1.0 - erf_series(x)
    }
}

/// Standard normal density.
pub fn norm_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF Φ(z).
pub fn norm_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// `ln Φ(z)`, accurate in both tails.
pub fn log_norm_cdf(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    if x >= 2.0 {
        // Far lower tail: ln(½ erfc(x)) = ln ½ − x² − ln √π − ln K.
        -std::f64::consts::LN_2 - x * x + FRAC_1_SQRT_PI.ln() - erfc_cf_ln_k(x)
    } else if x <= -2.0 {
        // Upper tail: ln(1 − ½ erfc(−x)).
        (-0.5 * erfc(-x)).ln_1p()
    } else {
        norm_cdf(z).ln()
    }
}

/// The inverse Mills ratio `φ(z)/Φ(z)`, stable for very negative `z`.
pub fn mills_ratio(z: f64) -> f64 {
    (norm_pdf(z).ln() - log_norm_cdf(z)).exp()
}

// ---- likelihood ------------------------------------------------------------

/// Negative log-likelihood (up to a constant) of emitter position `x` and power `p0`.
pub fn neg_log_likelihood(
    model: &PathLoss,
    readings: &[Reading],
    x: Enu,
    p0_dbm: f64,
    censored: bool,
) -> f64 {
    let s = model.sigma_db;
    let mut nll = 0.0;
    for r in readings {
        let mu = model.mean_dbm(x, p0_dbm, r.pos);
        match r.value {
            ReadingValue::Heard { power_dbm, .. } => {
                let z = (power_dbm - mu) / s;
                nll += 0.5 * z * z;
            }
            ReadingValue::NotHeard { floor_dbm } if censored => {
                nll -= log_norm_cdf((floor_dbm - mu) / s)
            }
            ReadingValue::NotHeard { .. } => {}
        }
    }
    nll
}

/// The transmit power that maximises the likelihood at position `x`, and the
/// resulting negative log-likelihood. Closed form (the mean of `P_i + L_i(x)`)
/// from heard sensors alone; with censored sensors, Newton steps on the
/// (convex) profile from there. `None` when no sensor heard the cell.
pub fn profile_p0(
    model: &PathLoss,
    readings: &[Reading],
    x: Enu,
    censored: bool,
) -> Option<(f64, f64)> {
    let mut sum = 0.0;
    let mut k = 0usize;
    let mut any_censored = false;
    for r in readings {
        match r.value {
            ReadingValue::Heard { power_dbm, .. } => {
                sum += power_dbm + model.loss_db(x, r.pos);
                k += 1;
            }
            ReadingValue::NotHeard { .. } => any_censored = true,
        }
    }
    if k == 0 {
        return None;
    }
    let mut p0 = sum / k as f64;
    if censored && any_censored {
        let s = model.sigma_db;
        for _ in 0..20 {
            // d/dP0 of the NLL and its second derivative.
            let (mut g, mut h) = (0.0, 0.0);
            for r in readings {
                let mu = model.mean_dbm(x, p0, r.pos);
                match r.value {
                    ReadingValue::Heard { power_dbm, .. } => {
                        g -= (power_dbm - mu) / (s * s);
                        h += 1.0 / (s * s);
                    }
                    ReadingValue::NotHeard { floor_dbm } => {
                        let z = (floor_dbm - mu) / s;
                        let m = mills_ratio(z);
                        // −ln Φ(z), z = (f − P0 + L)/σ: d/dP0 = m/σ; d²/dP0² = m(z + m)/σ².
                        g += m / s;
                        h += m * (z + m) / (s * s);
                    }
                }
            }
            let step = g / h.max(1e-12);
            p0 -= step;
            if step.abs() < 1e-6 {
                break;
            }
        }
    }
    Some((p0, neg_log_likelihood(model, readings, x, p0, censored)))
}

/// Expected Fisher information of one reading about `(x, y, P0)`, as the
/// weight `w` such that the information is `w · g gᵀ` with `g = (∂μ/∂x, ∂μ/∂y, 1)`.
///
/// A sensor with floor `c` and `α = (c − μ)/σ` (Tobit model) carries
/// `w = [1 − Φ(α) + α φ(α) + φ(α)²/Φ(α)] / σ²`; without a floor, `1/σ²`.
pub fn fisher_weight(model: &PathLoss, mu: f64, floor: Option<f64>) -> f64 {
    let s2 = model.sigma_db * model.sigma_db;
    match floor {
        None => 1.0 / s2,
        Some(c) => {
            let a = (c - mu) / model.sigma_db;
            let upper = 1.0 - norm_cdf(a);
            let pdf = norm_pdf(a);
            let w = upper + a * pdf + pdf * mills_ratio(a);
            w.max(0.0) / s2
        }
    }
}

/// The 3×3 expected Fisher information about `(x, y, P0)` at `(x, p0)` from
/// sensors at `sensors` (position and noise floor, when known: a sensor with a
/// floor may or may not hear the cell, and the information accounts for both).
pub fn fisher_information(
    model: &PathLoss,
    sensors: impl IntoIterator<Item = (Enu, Option<f64>)>,
    x: Enu,
    p0_dbm: f64,
) -> [[f64; 3]; 3] {
    let mut f = [[0.0; 3]; 3];
    for (pos, floor) in sensors {
        let w = fisher_weight(model, model.mean_dbm(x, p0_dbm, pos), floor);
        let g = model.mean_gradient(x, pos);
        let v = [g[0], g[1], 1.0];
        for (i, row) in f.iter_mut().enumerate() {
            for (j, e) in row.iter_mut().enumerate() {
                *e += w * v[i] * v[j];
            }
        }
    }
    f
}

/// The position block of the inverse of a 3×3 information matrix; `None` when singular.
pub fn position_covariance(info: &[[f64; 3]; 3]) -> Option<[[f64; 2]; 2]> {
    let m = nalgebra::Matrix3::from_fn(|i, j| info[i][j]);
    // Refuse numerically singular information (relative to its diagonal).
    let scale = info[0][0] * info[1][1] * info[2][2];
    if scale.is_nan() || scale <= 0.0 || m.determinant() < 1e-10 * scale {
        return None;
    }
    let inv = m.try_inverse()?;
    let c = [[inv[(0, 0)], inv[(0, 1)]], [inv[(1, 0)], inv[(1, 1)]]];
    let ok = c.iter().flatten().all(|v| v.is_finite())
        && c[0][0] > 0.0
        && c[1][1] > 0.0
        && c[0][0] * c[1][1] - c[0][1] * c[1][0] > 0.0;
    ok.then_some(c)
}

/// `ln(10)/10`, exported for tests that convert dB slopes.
pub const LN10_OVER_10: f64 = DB_PER_NEPER_INV;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_functions_match_tabulated_values() {
        // Φ(1.96) = 0.9750021, Φ(−3) = 0.0013499, erfc(0.5) = 0.4795001, erfc(3) = 2.209050e−5.
        assert!((norm_cdf(1.96) - 0.975_002_1).abs() < 1e-7);
        assert!((norm_cdf(-3.0) - 0.001_349_898).abs() < 1e-9);
        assert!((erfc(0.5) - 0.479_500_122).abs() < 1e-9);
        assert!((erfc(3.0) / 2.209_049_699_858_544e-5 - 1.0).abs() < 1e-9);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-12);
        // Far tail: ln Φ(−20) = −203.917155.
        assert!((log_norm_cdf(-20.0) + 203.917_155).abs() < 1e-4);
        assert!((log_norm_cdf(0.0) - 0.5f64.ln()).abs() < 1e-12);
        assert!(log_norm_cdf(10.0) < 0.0 && log_norm_cdf(10.0) > -1e-20);
        // Continuity across the branch points.
        for z in [
            -2.0 * std::f64::consts::SQRT_2,
            2.0 * std::f64::consts::SQRT_2,
        ] {
            assert!((log_norm_cdf(z - 1e-9) - log_norm_cdf(z + 1e-9)).abs() < 1e-7);
        }
        // φ/Φ → −z for z → −∞.
        assert!((mills_ratio(-30.0) - 30.033).abs() < 0.01);
    }

    #[test]
    fn profiled_power_is_the_mean_of_power_plus_loss() {
        let m = PathLoss {
            exponent: 3.0,
            sigma_db: 6.0,
            height_m: 0.0,
            min_distance_m: 1.0,
        };
        // Sensors at 10 m and 100 m hear −50 and −80 dBm: P0 + loss = −20 and −20.
        let r = [
            Reading::heard([10.0, 0.0], -50.0),
            Reading::heard([0.0, 100.0], -80.0),
        ];
        let (p0, nll) = profile_p0(&m, &r, [0.0, 0.0], true).unwrap();
        assert!((p0 + 20.0).abs() < 1e-12 && nll.abs() < 1e-20);
        // A censored sensor whose floor is far above the prediction does not move P0.
        let r2 = [r[0], r[1], Reading::not_heard([1000.0, 0.0], -60.0)];
        let (p0b, _) = profile_p0(&m, &r2, [0.0, 0.0], true).unwrap();
        assert!((p0b + 20.0).abs() < 1e-6, "{p0b}");
        // One whose floor is below the prediction (−20 − 90 = −110 > −120) pulls P0 down.
        let r3 = [r[0], r[1], Reading::not_heard([1000.0, 0.0], -120.0)];
        let (p0c, _) = profile_p0(&m, &r3, [0.0, 0.0], true).unwrap();
        assert!(p0c < -21.0, "{p0c}");
    }

    #[test]
    fn fisher_weight_limits() {
        let m = PathLoss::default();
        let s2 = m.sigma_db * m.sigma_db;
        // A floor far below the mean: the sensor always hears, full information.
        assert!((fisher_weight(&m, -60.0, Some(-200.0)) * s2 - 1.0).abs() < 1e-9);
        // A floor far above: never hears, no information.
        assert!(fisher_weight(&m, -150.0, Some(-60.0)) * s2 < 1e-9);
        // At the floor: between 0 and 1.
        let w = fisher_weight(&m, -100.0, Some(-100.0)) * s2;
        assert!(w > 0.5 && w < 1.0, "{w}");
        // Gradient: 10n/ln10 / d in dB/m toward the sensor.
        let m0 = PathLoss { height_m: 0.0, ..m };
        let g = m0.mean_gradient([100.0, 0.0], [0.0, 0.0]);
        assert!((g[0] + 35.0 / std::f64::consts::LN_10 / 100.0).abs() < 1e-12 && g[1] == 0.0);
        assert!((LN10_OVER_10 - 0.230_258_509).abs() < 1e-9);
    }
}
