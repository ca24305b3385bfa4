//! Fitting the propagation model to cells whose position is known: the
//! path-loss exponent of the area, the shadowing spread and per-sensor
//! calibration offsets.
//!
//! For known cell `k` heard by sensor `i`,
//! `P_ik = P0_k − n·L_ik + b_i + X`, with `L_ik = 10·log10(d_ik)`. The model is
//! linear in `(P0_k, n, b_i)`; offsets are identifiable only up to a common
//! constant (absorbed by the `P0_k`), so they are reported with zero mean.
//! Solved by block coordinate descent, each block in closed form (`(P0, n)`
//! jointly given `b`, then `b` given `(P0, n)`), which converges to the
//! least-squares solution of this convex quadratic.

use super::geo::Enu;
use super::model::PathLoss;

/// One sensor's power measurement of one known cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnownReading {
    /// Index of the known cell.
    pub cell: usize,
    /// Index of the sensor.
    pub sensor: usize,
    /// Calibrated power as reported, dBm.
    pub power_dbm: f64,
}

/// The fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Path-loss exponent (fitted, or the one given).
    pub exponent: f64,
    /// RMS of the residuals, dB (the shadowing σ).
    pub sigma_db: f64,
    /// Per-sensor offsets, dB, zero mean over sensors with readings; subtract from reported power.
    pub offsets_db: Vec<f64>,
    /// Per-cell power at 1 m, dBm.
    pub p0_dbm: Vec<f64>,
    /// Readings used.
    pub readings: usize,
}

/// Why the model could not be fitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalibrationError {
    /// Too few readings for the unknowns.
    #[error("{readings} readings cannot fit {unknowns} unknowns")]
    TooFewReadings {
        /// Readings given.
        readings: usize,
        /// Unknowns to fit.
        unknowns: usize,
    },
    /// All readings are at the same distance: the exponent is not identifiable.
    #[error("the distances do not vary: the exponent cannot be fitted")]
    NoDistanceSpread,
    /// An index is out of range.
    #[error("reading refers to a missing cell or sensor")]
    BadIndex,
}

/// What to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationOptions {
    /// Fit the exponent (otherwise use `model.exponent`).
    pub fit_exponent: bool,
    /// Fit per-sensor offsets (otherwise zero).
    pub fit_offsets: bool,
}

/// Fits the model to readings of cells at `cells` from sensors at `sensors`.
pub fn calibrate(
    model: &PathLoss,
    sensors: &[Enu],
    cells: &[Enu],
    readings: &[KnownReading],
    opt: CalibrationOptions,
) -> Result<Calibration, CalibrationError> {
    if readings
        .iter()
        .any(|r| r.cell >= cells.len() || r.sensor >= sensors.len() || !r.power_dbm.is_finite())
    {
        return Err(CalibrationError::BadIndex);
    }
    let used_cells = count_used(readings.iter().map(|r| r.cell), cells.len());
    let used_sensors = count_used(readings.iter().map(|r| r.sensor), sensors.len());
    let unknowns = used_cells
        + usize::from(opt.fit_exponent)
        + if opt.fit_offsets {
            used_sensors.saturating_sub(1)
        } else {
            0
        };
    if readings.len() <= unknowns {
        return Err(CalibrationError::TooFewReadings {
            readings: readings.len(),
            unknowns,
        });
    }
    let l: Vec<f64> = readings
        .iter()
        .map(|r| 10.0 * model.distance(cells[r.cell], sensors[r.sensor]).log10())
        .collect();
    let mut n = model.exponent;
    let mut b = vec![0.0; sensors.len()];
    let mut p0 = vec![0.0; cells.len()];
    let mut prev = f64::INFINITY;
    for _ in 0..500 {
        // (P0, n) given b: within-cell regression of y = P − b on −L.
        let y: Vec<f64> = readings.iter().map(|r| r.power_dbm - b[r.sensor]).collect();
        let (ybar, lbar) = cell_means(readings, &y, &l, cells.len());
        if opt.fit_exponent {
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (i, r) in readings.iter().enumerate() {
                let dl = l[i] - lbar[r.cell];
                sxy += (y[i] - ybar[r.cell]) * dl;
                sxx += dl * dl;
            }
            if sxx < 1e-9 {
                return Err(CalibrationError::NoDistanceSpread);
            }
            n = -sxy / sxx;
        }
        for k in 0..cells.len() {
            p0[k] = ybar[k] + n * lbar[k];
        }
        // b given (P0, n): mean residual per sensor, centred.
        if opt.fit_offsets {
            let mut sum = vec![0.0; sensors.len()];
            let mut cnt = vec![0usize; sensors.len()];
            for (i, r) in readings.iter().enumerate() {
                sum[r.sensor] += r.power_dbm - p0[r.cell] + n * l[i];
                cnt[r.sensor] += 1;
            }
            for s in 0..sensors.len() {
                b[s] = if cnt[s] > 0 {
                    sum[s] / cnt[s] as f64
                } else {
                    0.0
                };
            }
            let used: Vec<usize> = (0..sensors.len()).filter(|&s| cnt[s] > 0).collect();
            let mean = used.iter().map(|&s| b[s]).sum::<f64>() / used.len().max(1) as f64;
            for &s in &used {
                b[s] -= mean;
            }
        }
        let sse = sse(readings, &l, &p0, n, &b);
        if (prev - sse).abs() <= 1e-12 * (1.0 + sse) || !opt.fit_offsets {
            prev = sse;
            break;
        }
        prev = sse;
    }
    let dof = (readings.len() - unknowns).max(1) as f64;
    Ok(Calibration {
        exponent: n,
        sigma_db: (prev / dof).sqrt(),
        offsets_db: b,
        p0_dbm: p0,
        readings: readings.len(),
    })
}

fn count_used(it: impl Iterator<Item = usize>, len: usize) -> usize {
    let mut seen = vec![false; len];
    it.for_each(|i| seen[i] = true);
    seen.iter().filter(|&&s| s).count()
}

fn cell_means(
    readings: &[KnownReading],
    y: &[f64],
    l: &[f64],
    cells: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut sy = vec![0.0; cells];
    let mut sl = vec![0.0; cells];
    let mut c = vec![0usize; cells];
    for (i, r) in readings.iter().enumerate() {
        sy[r.cell] += y[i];
        sl[r.cell] += l[i];
        c[r.cell] += 1;
    }
    for k in 0..cells {
        let d = c[k].max(1) as f64;
        sy[k] /= d;
        sl[k] /= d;
    }
    (sy, sl)
}

fn sse(readings: &[KnownReading], l: &[f64], p0: &[f64], n: f64, b: &[f64]) -> f64 {
    readings
        .iter()
        .enumerate()
        .map(|(i, r)| (r.power_dbm - p0[r.cell] + n * l[i] - b[r.sensor]).powi(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::sim::Rng;

    fn setup() -> (PathLoss, Vec<Enu>, Vec<Enu>) {
        let model = PathLoss {
            exponent: 3.5,
            sigma_db: 6.0,
            height_m: 5.0,
            min_distance_m: 1.0,
        };
        let sensors: Vec<Enu> = (0..16)
            .map(|i| [(i % 4) as f64 * 200.0, (i / 4) as f64 * 200.0])
            .collect();
        let cells: Vec<Enu> = vec![
            [50.0, 80.0],
            [420.0, 90.0],
            [300.0, 500.0],
            [610.0, 610.0],
            [100.0, 450.0],
            [550.0, 300.0],
        ];
        (model, sensors, cells)
    }

    #[test]
    fn recovers_exponent_and_offsets_without_noise() {
        let (model, sensors, cells) = setup();
        let truth_b: Vec<f64> = (0..16).map(|i| f64::from(i % 5) - 2.0).collect();
        let mut r = Vec::new();
        for (k, c) in cells.iter().enumerate() {
            for (s, p) in sensors.iter().enumerate() {
                let p = -10.0 - k as f64 - 3.2 * 10.0 * model.distance(*c, *p).log10() + truth_b[s];
                r.push(KnownReading {
                    cell: k,
                    sensor: s,
                    power_dbm: p,
                });
            }
        }
        let fit = calibrate(
            &model,
            &sensors,
            &cells,
            &r,
            CalibrationOptions {
                fit_exponent: true,
                fit_offsets: true,
            },
        )
        .unwrap();
        assert!((fit.exponent - 3.2).abs() < 1e-6, "{}", fit.exponent);
        let mean_b = truth_b.iter().sum::<f64>() / 16.0;
        for (s, tb) in truth_b.iter().enumerate() {
            assert!(
                (fit.offsets_db[s] - (tb - mean_b)).abs() < 1e-5,
                "{s}: {} vs {}",
                fit.offsets_db[s],
                tb - mean_b
            );
        }
        assert!(fit.sigma_db < 1e-5);
    }

    #[test]
    fn noisy_fit_is_close_and_sigma_is_estimated() {
        let (model, sensors, cells) = setup();
        let mut rng = Rng::new(7);
        let mut r = Vec::new();
        for _ in 0..10 {
            for (k, c) in cells.iter().enumerate() {
                for (s, p) in sensors.iter().enumerate() {
                    let p = -15.0 - 3.5 * 10.0 * model.distance(*c, *p).log10()
                        + if s == 3 { 6.0 } else { 0.0 }
                        + 6.0 * rng.normal();
                    r.push(KnownReading {
                        cell: k,
                        sensor: s,
                        power_dbm: p,
                    });
                }
            }
        }
        let fit = calibrate(
            &model,
            &sensors,
            &cells,
            &r,
            CalibrationOptions {
                fit_exponent: true,
                fit_offsets: true,
            },
        )
        .unwrap();
        assert!((fit.exponent - 3.5).abs() < 0.15, "{}", fit.exponent);
        assert!((fit.sigma_db - 6.0).abs() < 0.4, "{}", fit.sigma_db);
        // Sensor 3 reads 6 dB hot: its offset stands out from the rest.
        assert!(fit.offsets_db[3] > 4.0, "{:?}", fit.offsets_db);
        assert!(fit
            .offsets_db
            .iter()
            .enumerate()
            .filter(|(s, _)| *s != 3)
            .all(|(_, b)| b.abs() < 3.0));
    }

    #[test]
    fn refuses_underdetermined_input() {
        let (model, sensors, cells) = setup();
        let r = [KnownReading {
            cell: 0,
            sensor: 0,
            power_dbm: -70.0,
        }];
        assert!(matches!(
            calibrate(
                &model,
                &sensors,
                &cells,
                &r,
                CalibrationOptions {
                    fit_exponent: true,
                    fit_offsets: false
                }
            ),
            Err(CalibrationError::TooFewReadings { .. })
        ));
        let bad = [KnownReading {
            cell: 99,
            sensor: 0,
            power_dbm: -70.0,
        }];
        assert_eq!(
            calibrate(
                &model,
                &sensors,
                &cells,
                &bad,
                CalibrationOptions {
                    fit_exponent: true,
                    fit_offsets: false
                }
            ),
            Err(CalibrationError::BadIndex)
        );
    }
}
