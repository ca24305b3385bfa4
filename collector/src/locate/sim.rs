//! Seeded simulation of received powers, for tests and the benchmark.

use super::geo::{Enu, Hull};
use super::model::{PathLoss, Reading};

/// SplitMix64: a small, seedable generator (Steele, Lea and Flood, 2014).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// `nx × ny` sensors on a square grid with `spacing` metres, from the origin.
pub fn grid(nx: usize, ny: usize, spacing: f64) -> Vec<Enu> {
    (0..ny)
        .flat_map(|j| (0..nx).map(move |i| [i as f64 * spacing, j as f64 * spacing]))
        .collect()
}

/// A point uniformly inside the hull of `sensors` (rejection from the bounding box).
pub fn uniform_in_hull(rng: &mut Rng, sensors: &[Enu]) -> Enu {
    let hull = Hull::of(sensors);
    let (lo, hi) = hull.bbox();
    loop {
        let p = [
            lo[0] + rng.uniform() * (hi[0] - lo[0]),
            lo[1] + rng.uniform() * (hi[1] - lo[1]),
        ];
        if hull.contains(p, 0.0) {
            return p;
        }
    }
}

/// One draw of every sensor's reading of an emitter at `x` with power `p0_dbm`
/// at 1 m: heard with log-normal shadowing when above `floor_dbm`, censored otherwise.
pub fn readings(
    rng: &mut Rng,
    model: &PathLoss,
    sensors: &[Enu],
    x: Enu,
    p0_dbm: f64,
    floor_dbm: f64,
) -> Vec<Reading> {
    sensors
        .iter()
        .map(|&s| {
            let p = model.mean_dbm(x, p0_dbm, s) + model.sigma_db * rng.normal();
            if p >= floor_dbm {
                Reading {
                    pos: s,
                    value: super::model::ReadingValue::Heard {
                        power_dbm: p,
                        floor_dbm: Some(floor_dbm),
                    },
                }
            } else {
                Reading::not_heard(s, floor_dbm)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_seeded_and_roughly_normal() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        assert_eq!(a.next_u64(), b.next_u64());
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| a.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
        assert_eq!(grid(5, 5, 150.0).len(), 25);
        let p = uniform_in_hull(&mut a, &grid(4, 4, 250.0));
        assert!((0.0..=750.0).contains(&p[0]) && (0.0..=750.0).contains(&p[1]));
    }
}
