//! Localization benchmark: accuracy (not speed) of received-power ML
//! localization on seeded simulated sets, next to the Cramér–Rao bound and the
//! weighted-centroid baseline.
//!
//! `cargo bench -p towerwatch-collector --bench localization [-- --trials N --seed S]`
//! prints a Markdown table (see BENCHMARKS.md, "Collector: localization").

use std::time::Instant;
use towerwatch_collector::locate::{
    crb, sim, weighted_centroid, Enu, NotLocalizable, PathLoss, Solver,
};

struct Config {
    n_side: usize,
    spacing: f64,
    sigma: f64,
}

#[derive(Default)]
struct Stats {
    ml: Vec<f64>,
    ml_ratio: Vec<f64>,
    heard_only: Vec<f64>,
    centroid: Vec<f64>,
    crb: Vec<f64>,
    covered: usize,
    covered_heard_only: usize,
    estimated: usize,
    outside_hull: usize,
    too_few: usize,
    degenerate: usize,
}

fn pct(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let i = ((s.len() - 1) as f64 * q).round() as usize;
    s[i]
}

fn dist(a: Enu, b: Enu) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let trials = arg("--trials", 500) as usize;
    let seed = arg("--seed", 2026);
    let floor_dbm = -115.0;
    let configs = [
        Config {
            n_side: 5,
            spacing: 150.0,
            sigma: 6.0,
        },
        Config {
            n_side: 5,
            spacing: 150.0,
            sigma: 8.0,
        },
        Config {
            n_side: 4,
            spacing: 250.0,
            sigma: 6.0,
        },
        Config {
            n_side: 4,
            spacing: 250.0,
            sigma: 8.0,
        },
    ];
    println!("Localization benchmark: {trials} trials per row, seed {seed}, n = 3.5, emitter P0 uniform in [-25, -15] dBm at 1 m, sensor floor {floor_dbm} dBm, 5 m height difference\n");
    println!("| sensors | σ dB | ML median m | ML p90 m | CRB median m | CRB p90 m | median ML/CRB | p90 ML/CRB | per-trial err/CRB median, p90 | 95 % coverage | heard-only ML median, p90, coverage | centroid median, p90 m | not localizable (outside hull / too few / degenerate) | ms/fix |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (ci, c) in configs.iter().enumerate() {
        let model = PathLoss {
            exponent: 3.5,
            sigma_db: c.sigma,
            height_m: 5.0,
            min_distance_m: 1.0,
        };
        let sensors = sim::grid(c.n_side, c.n_side, c.spacing);
        let geometry: Vec<(Enu, Option<f64>)> =
            sensors.iter().map(|&s| (s, Some(floor_dbm))).collect();
        let solver = Solver::new(model);
        let heard_only = Solver {
            censored: false,
            ..solver
        };
        let mut rng = sim::Rng::new(seed ^ (ci as u64).wrapping_mul(0x9e37_79b9));
        let mut st = Stats::default();
        let t0 = Instant::now();
        for _ in 0..trials {
            let truth = sim::uniform_in_hull(&mut rng, &sensors);
            let p0 = -25.0 + 10.0 * rng.uniform();
            let r = sim::readings(&mut rng, &model, &sensors, truth, p0, floor_dbm);
            let bound = crb(&model, &geometry, truth, p0).map_or(f64::NAN, |b| b.rms_m);
            st.crb.push(bound);
            let est = match solver.locate(&r) {
                Ok(e) => Some(e),
                Err(NotLocalizable::OutsideHull { estimate, .. }) => {
                    st.outside_hull += 1;
                    Some(*estimate)
                }
                Err(NotLocalizable::TooFewSensors { .. }) => {
                    st.too_few += 1;
                    None
                }
                Err(NotLocalizable::DegenerateGeometry) => {
                    st.degenerate += 1;
                    None
                }
            };
            if let Some(e) = est {
                st.estimated += 1;
                let err = dist(e.pos, truth);
                st.ml.push(err);
                st.ml_ratio.push(err / bound);
                if e.ellipse
                    .contains([truth[0] - e.pos[0], truth[1] - e.pos[1]])
                {
                    st.covered += 1;
                }
            }
            let h = match heard_only.locate(&r) {
                Ok(e) => Some(e),
                Err(NotLocalizable::OutsideHull { estimate, .. }) => Some(*estimate),
                Err(_) => None,
            };
            if let Some(e) = h {
                st.heard_only.push(dist(e.pos, truth));
                if e.ellipse
                    .contains([truth[0] - e.pos[0], truth[1] - e.pos[1]])
                {
                    st.covered_heard_only += 1;
                }
            }
            if let Some(w) = weighted_centroid(&r, model.exponent) {
                st.centroid.push(dist(w, truth));
            }
        }
        let ms = t0.elapsed().as_secs_f64() * 1e3 / trials as f64;
        let (m, p, cm, cp) = (
            pct(&st.ml, 0.5),
            pct(&st.ml, 0.9),
            pct(&st.crb, 0.5),
            pct(&st.crb, 0.9),
        );
        println!(
            "| {n}×{n} @ {s:.0} m | {sig:.0} | {m:.1} | {p:.1} | {cm:.1} | {cp:.1} | {:.2} | {:.2} | {:.2}, {:.2} | {:.1} % | {:.1}, {:.1}, {:.1} % | {:.1}, {:.1} | {} / {} / {} | {ms:.2} |",
            m / cm,
            p / cp,
            pct(&st.ml_ratio, 0.5),
            pct(&st.ml_ratio, 0.9),
            100.0 * st.covered as f64 / st.estimated.max(1) as f64,
            pct(&st.heard_only, 0.5),
            pct(&st.heard_only, 0.9),
            100.0 * st.covered_heard_only as f64 / st.heard_only.len().max(1) as f64,
            pct(&st.centroid, 0.5),
            pct(&st.centroid, 0.9),
            st.outside_hull,
            st.too_few,
            st.degenerate,
            n = c.n_side,
            s = c.spacing,
            sig = c.sigma,
        );
    }
}
