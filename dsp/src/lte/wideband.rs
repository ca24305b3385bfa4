//! Full-bandwidth downlink front end for PDCCH/PDSCH reception: OFDM
//! demodulation of all `12·N_RB` subcarriers (TS 36.211 §6.12) and channel
//! estimation from the cell-specific reference signals of every port
//! (§6.10.1: values `r(m')`, `m' = m + N_RB^max − N_RB`, positions
//! `k = 6m + (v + v_shift) mod 6`), plus the soft demapper shared by the control
//! and shared channels: QPSK (§7.1.2) after single-port equalisation or the
//! transmit-diversity combiner of §6.3.4.3 (Alamouti pairs; ports (0, 2) and
//! (1, 3) alternate per pair with 4 ports).
//!
//! The estimator is ours: least squares at the pilots of each CRS symbol, the
//! common linear phase across frequency (residual timing) removed before a
//! triangular smoothing over ±2 pilots and restored after, linear
//! interpolation between pilots, and linear interpolation in time between the
//! port's CRS symbols (held at the ends). The noise variance comes from the
//! pilot residuals, corrected for the smoothing.

use super::crs::{crs_values, is_crs_symbol, k_offset, N_RB_MAX};
use super::grid::{carrier_bin, Numerology};
use super::sync::cfo::Derotator;
use super::CyclicPrefix;
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Errors building the front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WidebandError {
    /// Bandwidth outside 6..=110 PRB.
    #[error("{0} PRB is outside 6..=110")]
    Bandwidth(usize),
    /// FFT too small for the bandwidth or not a multiple of 128.
    #[error("FFT size {fft} cannot carry {nprb} PRB (needs a multiple of 128 above 12·N_RB)")]
    FftSize {
        /// FFT size.
        fft: usize,
        /// Bandwidth.
        nprb: usize,
    },
    /// Ports not 1, 2 or 4.
    #[error("{0} antenna ports (1, 2 or 4)")]
    Ports(u8),
    /// PCI ≥ 504.
    #[error("PCI {0} out of range 0..504")]
    Pci(u16),
}

/// Smallest FFT (power of two ≥ 128) that carries `nprb` PRB: 128 for 6, 256 for
/// 15, 512 for 25, 1024 for 50, 2048 for 75 and 100 (1536 also works for 75).
pub fn fft_size_for(nprb: usize) -> usize {
    let mut n = 128;
    while n <= 12 * nprb && n < 4096 {
        n *= 2;
    }
    n
}

/// OFDM demodulator of every subcarrier of one subframe. `new` allocates.
pub struct WidebandDemod {
    nprb: usize,
    num: Numerology,
    fft: Arc<dyn Fft<f32>>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    bins: Vec<usize>,
    /// Undoes the phase slope of starting the FFT `backoff` samples early.
    backoff_rot: Vec<Complex32>,
    backoff: usize,
    /// The demodulated subframe: `y[sym·n_sc + k]`.
    pub y: Vec<Complex32>,
}

impl std::fmt::Debug for WidebandDemod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidebandDemod")
            .field("nprb", &self.nprb)
            .field("num", &self.num)
            .finish_non_exhaustive()
    }
}

impl WidebandDemod {
    /// A demodulator for `nprb` PRB at FFT size `fft_size` (sample rate `fft_size·15 kHz`).
    pub fn new(nprb: usize, cp: CyclicPrefix, fft_size: usize) -> Result<Self, WidebandError> {
        if !(6..=110).contains(&nprb) {
            return Err(WidebandError::Bandwidth(nprb));
        }
        if fft_size % 128 != 0 || fft_size <= 12 * nprb || fft_size > 4096 {
            return Err(WidebandError::FftSize {
                fft: fft_size,
                nprb,
            });
        }
        let num = Numerology { fft_size, cp };
        let fft = FftPlanner::new().plan_fft_forward(fft_size);
        let scratch = vec![Complex32::default(); fft.get_inplace_scratch_len()];
        let n_sc = 12 * nprb;
        let bins: Vec<usize> = (0..n_sc).map(|k| carrier_bin(k, nprb, fft_size)).collect();
        // A quarter of the short CP: robust to timing errors both ways.
        let backoff = num.cp_len(1) / 4;
        let backoff_rot = bins
            .iter()
            .map(|&b| {
                let f = if b >= fft_size / 2 {
                    b as f64 - fft_size as f64
                } else {
                    b as f64
                };
                let ph = std::f64::consts::TAU * f * backoff as f64 / fft_size as f64;
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect();
        Ok(WidebandDemod {
            nprb,
            num,
            fft,
            buf: vec![Complex32::default(); fft_size],
            scratch,
            bins,
            backoff_rot,
            backoff,
            y: vec![Complex32::default(); num.symbols_per_subframe() * n_sc],
        })
    }

    /// The numerology.
    pub fn numerology(&self) -> Numerology {
        self.num
    }

    /// Subcarriers `12·N_RB`.
    pub fn n_sc(&self) -> usize {
        12 * self.nprb
    }

    /// Demodulates the symbols of the subframe starting at absolute sample `sf_start`
    /// of `x` whose bit is set in `mask` into [`Self::y`] (others untouched), after
    /// removing the frequency offset `rot`. Returns the number of requested symbols
    /// that lay inside `x` (those outside are zeroed). Non-finite samples count as 0.
    pub fn demod(&mut self, x: &[Complex32], sf_start: i64, rot: &Derotator, mask: u32) -> usize {
        let n = self.num.fft_size;
        let n_sc = 12 * self.nprb;
        let nsym = self.num.symbols_per_subframe();
        let mut ok = 0;
        for sym in 0..nsym {
            if mask & (1 << sym) == 0 {
                continue;
            }
            let out = &mut self.y[sym * n_sc..(sym + 1) * n_sc];
            let st = sf_start
                .saturating_add(self.num.useful_offset(sym) as i64)
                .saturating_sub(self.backoff as i64);
            let win = usize::try_from(st)
                .ok()
                .and_then(|s| x.get(s..s.checked_add(n)?));
            let Some(win) = win else {
                out.fill(Complex32::default());
                continue;
            };
            rot.apply(win, st, &mut self.buf);
            for b in self.buf.iter_mut() {
                if !(b.re.is_finite() && b.im.is_finite()) {
                    *b = Complex32::default();
                }
            }
            self.fft
                .process_with_scratch(&mut self.buf, &mut self.scratch);
            for ((o, &b), &r) in out.iter_mut().zip(&self.bins).zip(&self.backoff_rot) {
                *o = self.buf[b] * r;
            }
            ok += 1;
        }
        ok
    }
}

/// Triangular smoothing weights over ±2 pilots.
const SMOOTH: [f32; 5] = [1.0, 2.0, 3.0, 2.0, 1.0];

/// Per-subframe channel estimate over all subcarriers and symbols. `new` allocates.
#[derive(Debug, Clone)]
pub struct WidebandChest {
    pci: u16,
    ports: usize,
    cp: CyclicPrefix,
    nprb: usize,
    n_sc: usize,
    nsym: usize,
    /// `h[(port·nsym + sym)·n_sc + k]`.
    pub h: Vec<Complex32>,
    /// Noise variance per RE (units of the demodulated grid).
    pub noise_var: f32,
    /// Mean `|h|²` of port 0.
    pub signal_power: f32,
    /// Per CRS symbol estimates: `[port][crs symbol slot 0..4][k]`.
    sym_est: Vec<Complex32>,
    /// CRS values `r(m')` of the carrier for every slot and CRS symbol
    /// (`[(n_s·3 + {l = 0, 1, N_symb − 3})·2N_RB + m]`).
    crs_cache: Vec<Complex32>,
    ls: Vec<Complex32>,
    sm: Vec<Complex32>,
}

/// Index of CRS symbol `l` of a slot in the cache: 0 for l = 0, 1 for l = 1,
/// 2 for l = N_symb − 3.
fn crs_slot_index(l: usize, per_slot: usize) -> usize {
    if l == 0 {
        0
    } else if l == 1 {
        1
    } else {
        debug_assert_eq!(l, per_slot - 3);
        2
    }
}

/// CRS symbols (subframe symbol indices) of `port`.
fn crs_symbols(port: usize, cp: CyclicPrefix) -> ([usize; 4], usize) {
    let n = cp.symbols_per_slot();
    if port < 2 {
        ([0, n - 3, n, 2 * n - 3], 4)
    } else {
        ([1, n + 1, 0, 0], 2)
    }
}

impl WidebandChest {
    /// An estimator for the cell.
    pub fn new(nprb: usize, pci: u16, ports: u8, cp: CyclicPrefix) -> Result<Self, WidebandError> {
        if !(6..=110).contains(&nprb) {
            return Err(WidebandError::Bandwidth(nprb));
        }
        if !matches!(ports, 1 | 2 | 4) {
            return Err(WidebandError::Ports(ports));
        }
        if pci >= 504 {
            return Err(WidebandError::Pci(pci));
        }
        let n_sc = 12 * nprb;
        let nsym = 2 * cp.symbols_per_slot();
        let ports = usize::from(ports);
        Ok(WidebandChest {
            pci,
            ports,
            cp,
            nprb,
            n_sc,
            nsym,
            h: vec![Complex32::default(); ports * nsym * n_sc],
            noise_var: 0.0,
            signal_power: 0.0,
            sym_est: vec![Complex32::default(); ports * 4 * n_sc],
            crs_cache: {
                let np = 2 * nprb;
                let per_slot = cp.symbols_per_slot();
                let mut c = vec![Complex32::default(); 20 * 3 * np];
                for ns in 0..20 {
                    for (li, l) in [0, 1, per_slot - 3].into_iter().enumerate() {
                        let dst = &mut c[(ns * 3 + li) * np..(ns * 3 + li + 1) * np];
                        crs_values(pci, ns, l, cp, N_RB_MAX - nprb, dst);
                    }
                }
                c
            },
            ls: vec![Complex32::default(); 2 * nprb],
            sm: vec![Complex32::default(); 2 * nprb],
        })
    }

    /// Ports estimated.
    pub fn ports(&self) -> usize {
        self.ports
    }

    /// Estimates the channel of every port from the demodulated subframe `y`
    /// (`nsym·n_sc`). With `full`, every CRS symbol is used and the estimate is
    /// interpolated in time over the whole subframe; otherwise only the first CRS
    /// symbol of each port is used and held over the first 4 symbols (the control
    /// region; the other symbols of `h` keep stale values).
    pub fn estimate(&mut self, y: &[Complex32], subframe: usize, full: bool) {
        let n_sc = self.n_sc;
        let nsym = self.nsym;
        let np = 2 * self.nprb;
        if y.len() < nsym * n_sc {
            self.h.fill(Complex32::default());
            self.noise_var = 0.0;
            self.signal_power = 0.0;
            return;
        }
        let per_slot = self.cp.symbols_per_slot();
        // Residual timing: common phase step between adjacent port-0 pilots.
        let mut slope_acc = Complex32::default();
        let mut noise = 0.0f32;
        let mut noise_n = 0usize;
        let mut sig = 0.0f32;
        let wsum: f32 = SMOOTH.iter().sum();
        let resid_factor = {
            let c = SMOOTH[2] / wsum;
            let others: f32 = SMOOTH
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != 2)
                .map(|(_, w)| (w / wsum) * (w / wsum))
                .sum();
            (1.0 - c) * (1.0 - c) + others
        };
        for pass in 0..2 {
            for p in 0..self.ports {
                let (syms, cnt) = crs_symbols(p, self.cp);
                let cnt = if full { cnt } else { 1 };
                for (si, &sym) in syms.iter().take(cnt).enumerate() {
                    let slot = sym / per_slot;
                    let l = sym % per_slot;
                    let ns = 2 * (subframe % 10) + slot;
                    debug_assert!(is_crs_symbol(p, l, self.cp));
                    let li = crs_slot_index(l, per_slot);
                    let pilots = &self.crs_cache[(ns * 3 + li) * np..(ns * 3 + li + 1) * np];
                    let off = k_offset(p, l, ns, self.pci);
                    let row = &y[sym * n_sc..(sym + 1) * n_sc];
                    for m in 0..np {
                        let v = row[6 * m + off] * pilots[m].conj();
                        self.ls[m] = if v.re.is_finite() && v.im.is_finite() {
                            v
                        } else {
                            Complex32::default()
                        };
                    }
                    if pass == 0 {
                        if p == 0 {
                            for m in 1..np {
                                slope_acc += self.ls[m] * self.ls[m - 1].conj();
                            }
                        }
                        continue;
                    }
                    // Remove the linear phase, smooth, measure residuals.
                    let step = if slope_acc.norm_sqr() > 0.0 {
                        slope_acc / slope_acc.norm()
                    } else {
                        Complex32::new(1.0, 0.0)
                    };
                    let mut rot = Complex32::new(1.0, 0.0);
                    for v in self.ls.iter_mut() {
                        *v *= rot.conj();
                        rot *= step;
                    }
                    for m in 0..np {
                        let mut acc = Complex32::default();
                        let mut wt = 0.0;
                        for (j, &w) in SMOOTH.iter().enumerate() {
                            let idx = m as isize + j as isize - 2;
                            if idx >= 0 && (idx as usize) < np {
                                acc += self.ls[idx as usize] * w;
                                wt += w;
                            }
                        }
                        self.sm[m] = acc / wt;
                        if p == 0 && (2..np.saturating_sub(2)).contains(&m) {
                            noise += (self.ls[m] - self.sm[m]).norm_sqr();
                            noise_n += 1;
                            sig += self.sm[m].norm_sqr();
                        }
                    }
                    // Interpolate to every subcarrier, restoring the phase slope
                    // (the step is per 6 subcarriers).
                    let ang = step.arg() / 6.0;
                    let est = &mut self.sym_est[(p * 4 + si) * n_sc..(p * 4 + si + 1) * n_sc];
                    // e^{j·ang·(k − off)} by recursion, re-anchored every 64 subcarriers.
                    let unit = Complex32::new(ang.cos(), ang.sin());
                    let anchor = |k: usize| {
                        let ph = ang * (k as f32 - off as f32);
                        Complex32::new(ph.cos(), ph.sin())
                    };
                    let mut rot = anchor(0);
                    for (k, e) in est.iter_mut().enumerate() {
                        if k % 64 == 0 {
                            rot = anchor(k);
                        }
                        let v = if k <= off {
                            self.sm[0]
                        } else {
                            let (i0, r) = ((k - off) / 6, (k - off) % 6);
                            if i0 + 1 >= np {
                                self.sm[np - 1]
                            } else {
                                let f = r as f32 * (1.0 / 6.0);
                                self.sm[i0] * (1.0 - f) + self.sm[i0 + 1] * f
                            }
                        };
                        *e = v * rot;
                        rot *= unit;
                    }
                }
            }
        }
        self.noise_var = if noise_n > 0 {
            (noise / noise_n as f32 / resid_factor).max(1e-30)
        } else {
            0.0
        };
        self.signal_power = if noise_n > 0 {
            sig / noise_n as f32
        } else {
            0.0
        };
        // Time interpolation.
        for p in 0..self.ports {
            let (syms, cnt) = crs_symbols(p, self.cp);
            let cnt = if full { cnt } else { 1 };
            // Without `full` only the control region (at most 4 symbols) is needed.
            let last = if full { nsym } else { nsym.min(4) };
            for sym in 0..last {
                // Bracketing CRS symbols.
                let mut lo = 0;
                let mut hi = 0;
                for (i, &s) in syms.iter().take(cnt).enumerate() {
                    if s <= sym {
                        lo = i;
                    }
                }
                for i in (0..cnt).rev() {
                    if syms[i] >= sym {
                        hi = i;
                    }
                }
                if syms[hi] < sym {
                    hi = lo;
                }
                if syms[lo] > sym {
                    lo = hi;
                }
                let (a, b) = (syms[lo], syms[hi]);
                let f = if b > a {
                    (sym - a) as f32 / (b - a) as f32
                } else {
                    0.0
                };
                let dst = (p * nsym + sym) * n_sc;
                let ea = (p * 4 + lo) * n_sc;
                let eb = (p * 4 + hi) * n_sc;
                for k in 0..n_sc {
                    self.h[dst + k] = self.sym_est[ea + k] * (1.0 - f) + self.sym_est[eb + k] * f;
                }
            }
        }
    }

    /// SINR estimate of the port-0 pilots (linear).
    pub fn sinr(&self) -> f32 {
        if self.noise_var > 0.0 {
            self.signal_power / self.noise_var
        } else {
            0.0
        }
    }
}

/// Writes two LLRs per RE of `res` (indices `sym·n_sc + k` into `y`, in mapping
/// order) into `out` (`2·res.len()`), combining transmit-diversity pairs for 2 or
/// 4 ports. Positive LLR means bit 0 (crate convention).
pub fn qpsk_llrs(y: &[Complex32], chest: &WidebandChest, res: &[u32], out: &mut [f32]) {
    let nv = chest.noise_var.max(1e-30);
    let plane = chest.nsym * chest.n_sc;
    let h = |p: usize, idx: usize| -> Complex32 {
        chest.h.get(p * plane + idx).copied().unwrap_or_default()
    };
    let yy = |idx: usize| -> Complex32 { y.get(idx).copied().unwrap_or_default() };
    let sqrt2 = std::f32::consts::SQRT_2;
    let n = res.len().min(out.len() / 2);
    let mut put = |i: usize, z: Complex32, scale: f32| {
        let (a, b) = (z.re * scale, z.im * scale);
        if let Some(o) = out.get_mut(2 * i..2 * i + 2) {
            o[0] = if a.is_finite() {
                a.clamp(-1e4, 1e4)
            } else {
                0.0
            };
            o[1] = if b.is_finite() {
                b.clamp(-1e4, 1e4)
            } else {
                0.0
            };
        }
    };
    match chest.ports {
        2 | 4 => {
            let mut i = 0;
            while i < n {
                if i + 1 >= n {
                    // An unpaired last RE: treat as port 0 alone.
                    let idx = res[i] as usize;
                    let h0 = h(0, idx);
                    put(i, h0.conj() * yy(idx), 2.0 * sqrt2 / nv);
                    break;
                }
                let (pa, pb) = if chest.ports == 2 || i % 4 == 0 {
                    (0, if chest.ports == 2 { 1 } else { 2 })
                } else {
                    (1, 3)
                };
                let (i0, i1) = (res[i] as usize, res[i + 1] as usize);
                let (r0, r1) = (yy(i0), yy(i1));
                let h0 = (h(pa, i0) + h(pa, i1)) * 0.5;
                let h1 = (h(pb, i0) + h(pb, i1)) * 0.5;
                // z = (|h0|²+|h1|²)/√2 · x + w, var(w) = (|h0|²+|h1|²)·σ²:
                // LLR = 2√2·G·z/N = 2·z/σ².
                let z0 = h0.conj() * r0 + h1 * r1.conj();
                let z1 = h0.conj() * r1 - h1 * r0.conj();
                put(i, z0, 2.0 / nv);
                put(i + 1, z1, 2.0 / nv);
                i += 2;
            }
        }
        _ => {
            for (i, &idx) in res.iter().take(n).enumerate() {
                let idx = idx as usize;
                let h0 = h(0, idx);
                put(i, h0.conj() * yy(idx), 2.0 * sqrt2 / nv);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_sizes() {
        assert_eq!(fft_size_for(6), 128);
        assert_eq!(fft_size_for(15), 256);
        assert_eq!(fft_size_for(25), 512);
        assert_eq!(fft_size_for(50), 1024);
        assert_eq!(fft_size_for(100), 2048);
        assert!(WidebandDemod::new(25, CyclicPrefix::Normal, 256).is_err());
        assert!(WidebandDemod::new(25, CyclicPrefix::Normal, 512).is_ok());
        assert!(WidebandChest::new(6, 504, 1, CyclicPrefix::Normal).is_err());
    }

    #[test]
    fn crs_symbol_lists() {
        assert_eq!(crs_symbols(0, CyclicPrefix::Normal), ([0, 4, 7, 11], 4));
        assert_eq!(crs_symbols(3, CyclicPrefix::Extended), ([1, 7, 0, 0], 2));
    }
}
