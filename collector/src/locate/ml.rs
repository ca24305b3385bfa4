//! Maximum-likelihood localization from received power: grid search over the
//! profiled likelihood, then Levenberg–Marquardt on `(x, y, P0)`.
//!
//! Refinement uses the `levenberg-marquardt` crate (MINPACK's algorithm on
//! nalgebra): heard sensors give residuals `(P − μ)/σ`, censored sensors give
//! `√(−2 ln Φ((floor − μ)/σ))`, so the sum of squares is exactly twice the
//! negative log-likelihood, censored terms included.

use super::ellipse::Ellipse;
use super::geo::{Enu, Hull};
use super::model::{
    fisher_information, log_norm_cdf, mills_ratio, position_covariance, profile_p0, PathLoss,
    Reading, ReadingValue,
};
use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
use nalgebra::{storage::Owned, DVector, Dyn, OMatrix, Vector3, U3};

/// How to localize.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Solver {
    /// The propagation model (exponent, shadowing).
    pub model: PathLoss,
    /// Use sensors that did not hear the cell (censored likelihood).
    pub censored: bool,
    /// Fewest sensors that must hear the cell.
    pub min_heard: usize,
    /// Grid step, metres; `None` picks hull diameter / 60 (2–100 m).
    pub grid_step_m: Option<f64>,
    /// An estimate farther outside the sensors' hull than this fraction of
    /// `√area` is "not localizable".
    pub hull_margin: f64,
}

impl Default for Solver {
    fn default() -> Self {
        Solver {
            model: PathLoss::default(),
            censored: true,
            min_heard: 4,
            grid_step_m: None,
            hull_margin: 0.1,
        }
    }
}

/// A location estimate in the local frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Position, metres east/north.
    pub pos: Enu,
    /// Estimated power at 1 m, dBm.
    pub p0_dbm: f64,
    /// Covariance of the position (inverse Fisher information at the estimate), m².
    pub covariance: [[f64; 2]; 2],
    /// The 95 % error ellipse.
    pub ellipse: Ellipse,
    /// Sensors that heard the cell.
    pub heard: usize,
    /// Sensors used as censored (did not hear it).
    pub censored: usize,
    /// Negative log-likelihood at the estimate.
    pub neg_log_likelihood: f64,
    /// Signed distance to the hull of the sensors used (negative inside), metres.
    pub hull_distance_m: f64,
}

/// Why no estimate is given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotLocalizable {
    /// Too few sensors heard the cell.
    #[error("heard by {heard} sensors, {needed} needed")]
    TooFewSensors {
        /// Sensors that heard it.
        heard: usize,
        /// The minimum.
        needed: usize,
    },
    /// The sensors that heard it are (nearly) collinear, or the information is singular.
    #[error("degenerate sensor geometry")]
    DegenerateGeometry,
    /// The best estimate lies outside the sensors' hull: the geometry cannot bound it.
    #[error("estimate {distance_m:.0} m outside the sensors' hull")]
    OutsideHull {
        /// How far outside, metres.
        distance_m: f64,
        /// The estimate nevertheless found.
        estimate: Box<Estimate>,
    },
}

impl NotLocalizable {
    /// A short machine-readable reason.
    pub fn code(&self) -> &'static str {
        match self {
            NotLocalizable::TooFewSensors { .. } => "too_few_sensors",
            NotLocalizable::DegenerateGeometry => "degenerate_geometry",
            NotLocalizable::OutsideHull { .. } => "outside_hull",
        }
    }
}

impl Solver {
    /// A solver with this model and the defaults otherwise.
    pub fn new(model: PathLoss) -> Self {
        Solver {
            model,
            ..Solver::default()
        }
    }

    /// Localizes one emitter from its readings (heard and, if enabled, censored).
    pub fn locate(&self, readings: &[Reading]) -> Result<Estimate, NotLocalizable> {
        let used: Vec<Reading> = readings
            .iter()
            .copied()
            .filter(|r| {
                r.pos[0].is_finite()
                    && r.pos[1].is_finite()
                    && match r.value {
                        ReadingValue::Heard { power_dbm, .. } => power_dbm.is_finite(),
                        ReadingValue::NotHeard { floor_dbm } => {
                            self.censored && floor_dbm.is_finite()
                        }
                    }
            })
            .collect();
        let heard_pos: Vec<Enu> = used
            .iter()
            .filter(|r| r.is_heard())
            .map(|r| r.pos)
            .collect();
        let heard = heard_pos.len();
        if heard < self.min_heard.max(3) {
            return Err(NotLocalizable::TooFewSensors {
                heard,
                needed: self.min_heard.max(3),
            });
        }
        if Hull::of(&heard_pos).is_degenerate() {
            return Err(NotLocalizable::DegenerateGeometry);
        }
        let all_pos: Vec<Enu> = used.iter().map(|r| r.pos).collect();
        let hull = Hull::of(&all_pos);
        let diameter = hull.diameter();
        let (lo, hi) = hull.bbox();
        let pad = 0.25 * diameter;
        let step = self
            .grid_step_m
            .unwrap_or((diameter / 60.0).clamp(2.0, 100.0))
            .max(0.5);

        // Grid search over the profiled likelihood.
        let mut best = (f64::INFINITY, [0.0, 0.0], 0.0);
        let mut surface: Vec<(Enu, f64)> = Vec::with_capacity(4096);
        let nx = (((hi[0] - lo[0] + 2.0 * pad) / step).ceil() as usize).min(2000);
        let ny = (((hi[1] - lo[1] + 2.0 * pad) / step).ceil() as usize).min(2000);
        for i in 0..=nx {
            for j in 0..=ny {
                let x = [lo[0] - pad + i as f64 * step, lo[1] - pad + j as f64 * step];
                if let Some((p0, nll)) = profile_p0(&self.model, &used, x, self.censored) {
                    surface.push((x, nll));
                    if nll < best.0 {
                        best = (nll, x, p0);
                    }
                }
            }
        }
        if !best.0.is_finite() {
            return Err(NotLocalizable::DegenerateGeometry);
        }

        // Levenberg–Marquardt refinement of (x, y, P0).
        let problem = Problem {
            model: self.model,
            readings: &used,
            censored: self.censored,
            p: Vector3::new(best.1[0], best.1[1], best.2),
        };
        let (solved, _report) = LevenbergMarquardt::new()
            .with_patience(50)
            .minimize(problem);
        let p = solved.p;
        let (mut pos, mut p0, mut nll) = (best.1, best.2, best.0);
        if p.iter().all(|v| v.is_finite()) {
            let cand = [p[0], p[1]];
            let cand_nll =
                super::model::neg_log_likelihood(&self.model, &used, cand, p[2], self.censored);
            if cand_nll <= nll {
                (pos, p0, nll) = (cand, p[2], cand_nll);
            }
        }

        let sensors = used
            .iter()
            .map(|r| (r.pos, if self.censored { r.floor() } else { None }));
        let info = fisher_information(&self.model, sensors, pos, p0);
        let covariance = position_covariance(&info).ok_or(NotLocalizable::DegenerateGeometry)?;
        let hull_distance_m = hull.signed_distance(pos);
        let wald = Ellipse::from_covariance(covariance, super::ellipse::CHI2_2DOF_95);
        let ellipse = match likelihood_region(&surface, pos, nll, step) {
            Some(lr) if lr.major * lr.minor > wald.major * wald.minor => lr,
            _ => wald,
        };
        let estimate = Estimate {
            pos,
            p0_dbm: p0,
            covariance,
            ellipse,
            heard,
            censored: used.len() - heard,
            neg_log_likelihood: nll,
            hull_distance_m,
        };
        let margin = self.hull_margin * hull.area().sqrt();
        if hull_distance_m > margin {
            return Err(NotLocalizable::OutsideHull {
                distance_m: hull_distance_m,
                estimate: Box::new(estimate),
            });
        }
        Ok(estimate)
    }
}

/// The ellipse, centred on `centre`, that covers the 95 % likelihood-ratio
/// region `{x : 2·(NLL(x) − NLL_min) ≤ χ²₂(0.95)}` sampled on the grid
/// `surface` (spacing `step`): oriented by the region's second moments,
/// scaled to contain every grid point of the region grown by half a step.
/// Likelihood-ratio regions keep their coverage where the likelihood is far
/// from quadratic (large σ, sparse sensors), where the Fisher ellipse is too
/// small; the solver reports whichever of the two is larger.
fn likelihood_region(
    surface: &[(Enu, f64)],
    centre: Enu,
    nll_min: f64,
    step: f64,
) -> Option<Ellipse> {
    let level = nll_min + 0.5 * super::ellipse::CHI2_2DOF_95;
    let inside: Vec<Enu> = surface
        .iter()
        .filter(|(_, v)| *v <= level)
        .map(|(p, _)| [p[0] - centre[0], p[1] - centre[1]])
        .collect();
    if inside.len() < 3 {
        return None;
    }
    let n = inside.len() as f64;
    let mut m = [[0.0; 2]; 2];
    for e in &inside {
        m[0][0] += e[0] * e[0] / n;
        m[0][1] += e[0] * e[1] / n;
        m[1][1] += e[1] * e[1] / n;
    }
    // Half a grid cell of extent in every direction.
    let pad = step * step / 4.0;
    m[0][0] += pad;
    m[1][1] += pad;
    m[1][0] = m[0][1];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    if det.is_nan() || det <= 0.0 {
        return None;
    }
    let grow = |e: Enu| -> Enu {
        let r = e[0].hypot(e[1]);
        if r > 0.0 {
            let f = (r + 0.5 * step) / r;
            [e[0] * f, e[1] * f]
        } else {
            e
        }
    };
    let q = inside
        .iter()
        .map(|&e| {
            let g = grow(e);
            (m[1][1] * g[0] * g[0] - 2.0 * m[0][1] * g[0] * g[1] + m[0][0] * g[1] * g[1]) / det
        })
        .fold(0.0, f64::max);
    (q > 0.0).then(|| Ellipse::from_covariance(m, q))
}

struct Problem<'a> {
    model: PathLoss,
    readings: &'a [Reading],
    censored: bool,
    p: Vector3<f64>,
}

impl Problem<'_> {
    fn rows(&self) -> impl Iterator<Item = &Reading> {
        self.readings
            .iter()
            .filter(move |r| self.censored || r.is_heard())
    }

    /// Residual and its gradient with respect to `(x, y, P0)`.
    fn residual(&self, r: &Reading) -> (f64, [f64; 3]) {
        let x = [self.p[0], self.p[1]];
        let s = self.model.sigma_db;
        let mu = self.model.mean_dbm(x, self.p[2], r.pos);
        let g = self.model.mean_gradient(x, r.pos);
        let dmu = [g[0], g[1], 1.0];
        match r.value {
            ReadingValue::Heard { power_dbm, .. } => ((power_dbm - mu) / s, dmu.map(|d| -d / s)),
            ReadingValue::NotHeard { floor_dbm } => {
                let z = (floor_dbm - mu) / s;
                let l = -log_norm_cdf(z);
                let res = (2.0 * l.max(0.0)).sqrt();
                if res < 1e-10 {
                    return (0.0, [0.0; 3]);
                }
                // dL/dθ = (φ/Φ)(z) · dμ/dθ / σ; dr/dθ = (dL/dθ) / r.
                let m = mills_ratio(z);
                (res, dmu.map(|d| m * d / s / res))
            }
        }
    }
}

impl LeastSquaresProblem<f64, Dyn, U3> for Problem<'_> {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, U3>;
    type ParameterStorage = Owned<f64, U3>;

    fn set_params(&mut self, x: &Vector3<f64>) {
        self.p = *x;
    }

    fn params(&self) -> Vector3<f64> {
        self.p
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        let v: Vec<f64> = self.rows().map(|r| self.residual(r).0).collect();
        v.iter()
            .all(|x| x.is_finite())
            .then(|| DVector::from_vec(v))
    }

    fn jacobian(&self) -> Option<OMatrix<f64, Dyn, U3>> {
        let rows: Vec<[f64; 3]> = self.rows().map(|r| self.residual(r).1).collect();
        let m = OMatrix::<f64, Dyn, U3>::from_fn(rows.len(), |i, j| rows[i][j]);
        m.iter().all(|x| x.is_finite()).then_some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(n: usize, spacing: f64) -> Vec<Enu> {
        let mut v = Vec::new();
        for i in 0..n {
            for j in 0..n {
                v.push([i as f64 * spacing, j as f64 * spacing]);
            }
        }
        v
    }

    #[test]
    fn noiseless_powers_give_the_exact_position() {
        let model = PathLoss {
            exponent: 3.5,
            sigma_db: 6.0,
            height_m: 5.0,
            min_distance_m: 1.0,
        };
        let truth = [173.0, 221.0];
        let readings: Vec<Reading> = square(4, 150.0)
            .into_iter()
            .map(|s| Reading::heard(s, model.mean_dbm(truth, -20.0, s)))
            .collect();
        let e = Solver::new(model).locate(&readings).unwrap();
        assert!(
            (e.pos[0] - truth[0]).abs() < 0.01 && (e.pos[1] - truth[1]).abs() < 0.01,
            "{:?}",
            e.pos
        );
        assert!((e.p0_dbm + 20.0).abs() < 1e-3);
        assert!(e.neg_log_likelihood < 1e-6);
        assert!(e.ellipse.major >= e.ellipse.minor && e.ellipse.minor > 0.0);
        assert_eq!((e.heard, e.censored), (16, 0));
    }

    #[test]
    fn three_sensors_are_not_enough() {
        let r = [
            Reading::heard([0.0, 0.0], -60.0),
            Reading::heard([100.0, 0.0], -70.0),
            Reading::heard([0.0, 100.0], -70.0),
            Reading::not_heard([100.0, 100.0], -100.0),
        ];
        assert_eq!(
            Solver::default().locate(&r),
            Err(NotLocalizable::TooFewSensors {
                heard: 3,
                needed: 4
            })
        );
    }

    #[test]
    fn collinear_sensors_are_degenerate() {
        let r: Vec<Reading> = (0..6)
            .map(|i| Reading::heard([i as f64 * 100.0, 0.0], -60.0 - i as f64))
            .collect();
        assert_eq!(
            Solver::default().locate(&r),
            Err(NotLocalizable::DegenerateGeometry)
        );
    }

    #[test]
    fn an_emitter_far_outside_the_hull_is_not_localizable() {
        let model = PathLoss {
            sigma_db: 4.0,
            ..PathLoss::default()
        };
        let truth = [900.0, 150.0];
        let readings: Vec<Reading> = square(3, 150.0)
            .into_iter()
            .map(|s| Reading::heard(s, model.mean_dbm(truth, -20.0, s)))
            .collect();
        match Solver::new(model).locate(&readings) {
            Err(NotLocalizable::OutsideHull { distance_m, .. }) => {
                assert!(distance_m > 100.0, "{distance_m}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn censored_sensors_pull_the_estimate_away_from_them() {
        // Four sensors hear an emitter near (0, 0) with equal power; a fifth,
        // at (−300, 0), did not hear it: the estimate must move away from it.
        let model = PathLoss {
            exponent: 3.5,
            sigma_db: 6.0,
            height_m: 5.0,
            min_distance_m: 1.0,
        };
        let sq = [
            [-100.0, -100.0],
            [100.0, -100.0],
            [100.0, 100.0],
            [-100.0, 100.0],
        ];
        let mut r: Vec<Reading> = sq.iter().map(|&s| Reading::heard(s, -95.0)).collect();
        r.push(Reading::not_heard([-300.0, 0.0], -115.0));
        let with = Solver::new(model).locate(&r).unwrap();
        let without = Solver {
            censored: false,
            ..Solver::new(model)
        }
        .locate(&r[..4])
        .unwrap();
        assert!(without.pos[0].abs() < 1.0, "{:?}", without.pos);
        assert!(
            with.pos[0] > without.pos[0] + 5.0,
            "{:?} vs {:?}",
            with.pos,
            without.pos
        );
        assert_eq!(with.censored, 1);
    }
}
