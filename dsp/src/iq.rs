//! IQ sample formats: bytes in, `Complex32` samples out (and back).
//!
//! The datatypes are SigMF's (`core:datatype`, SigMF spec §"Dataset Format"):
//! `cf32_le` (GNU Radio `.cfile`), `ci16_le`, `ci8` (HackRF `.bin`) and `cu8`
//! (rtl_sdr `.bin`, unsigned with its midpoint at 127.5). Conversion scales
//! every integer format so its full scale maps to 1.0.

use num_complex::Complex32;
use std::fmt;
use std::str::FromStr;

/// A complex sample datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// 32-bit float I and Q, little-endian.
    Cf32Le,
    /// 16-bit signed I and Q, little-endian; full scale 32768.
    Ci16Le,
    /// 8-bit signed I and Q; full scale 128 (HackRF).
    Ci8,
    /// 8-bit unsigned I and Q, midpoint 127.5; full scale 127.5 (RTL-SDR).
    Cu8,
}

/// A datatype string that is not one this project reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported IQ datatype {0:?} (supported: cf32_le, ci16_le, ci8, cu8)")]
pub struct UnsupportedDataType(pub String);

impl DataType {
    /// All supported datatypes.
    pub const ALL: [DataType; 4] = [
        DataType::Cf32Le,
        DataType::Ci16Le,
        DataType::Ci8,
        DataType::Cu8,
    ];

    /// Bytes per complex sample.
    pub const fn bytes_per_sample(self) -> usize {
        match self {
            DataType::Cf32Le => 8,
            DataType::Ci16Le => 4,
            DataType::Ci8 | DataType::Cu8 => 2,
        }
    }

    /// The SigMF name, e.g. `"ci16_le"`.
    pub const fn sigmf_name(self) -> &'static str {
        match self {
            DataType::Cf32Le => "cf32_le",
            DataType::Ci16Le => "ci16_le",
            DataType::Ci8 => "ci8",
            DataType::Cu8 => "cu8",
        }
    }

    /// Whether a component of this type can reach its limit, so clipping is meaningful.
    pub const fn is_integer(self) -> bool {
        !matches!(self, DataType::Cf32Le)
    }

    /// Number of whole samples in `len` bytes (a trailing partial sample is ignored).
    pub const fn samples_in(self, len: usize) -> usize {
        len / self.bytes_per_sample()
    }

    /// Appends the samples in `bytes` to `out`. A trailing partial sample is ignored;
    /// callers streaming in blocks keep block sizes a multiple of [`Self::bytes_per_sample`].
    pub fn decode_into(self, bytes: &[u8], out: &mut Vec<Complex32>) {
        let n = self.samples_in(bytes.len());
        out.reserve(n);
        match self {
            DataType::Cf32Le => out.extend(bytes.chunks_exact(8).map(|c| {
                let re = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                let im = f32::from_le_bytes([c[4], c[5], c[6], c[7]]);
                Complex32::new(re, im)
            })),
            DataType::Ci16Le => out.extend(bytes.chunks_exact(4).map(|c| {
                const S: f32 = 1.0 / 32768.0;
                Complex32::new(
                    f32::from(i16::from_le_bytes([c[0], c[1]])) * S,
                    f32::from(i16::from_le_bytes([c[2], c[3]])) * S,
                )
            })),
            DataType::Ci8 => out.extend(bytes.chunks_exact(2).map(|c| {
                const S: f32 = 1.0 / 128.0;
                Complex32::new(f32::from(c[0] as i8) * S, f32::from(c[1] as i8) * S)
            })),
            DataType::Cu8 => out.extend(bytes.chunks_exact(2).map(|c| {
                const S: f32 = 1.0 / 127.5;
                Complex32::new((f32::from(c[0]) - 127.5) * S, (f32::from(c[1]) - 127.5) * S)
            })),
        }
    }

    /// Decodes `bytes` into a new vector.
    pub fn decode(self, bytes: &[u8]) -> Vec<Complex32> {
        let mut v = Vec::new();
        self.decode_into(bytes, &mut v);
        v
    }

    /// Appends the encoding of `samples` to `out`, rounding and saturating integer formats.
    /// Non-finite values encode as zero in integer formats.
    pub fn encode_into(self, samples: &[Complex32], out: &mut Vec<u8>) {
        out.reserve(samples.len() * self.bytes_per_sample());
        fn q(x: f32, scale: f32, lo: f32, hi: f32, offset: f32) -> f32 {
            if x.is_finite() {
                (x * scale + offset).round().clamp(lo, hi)
            } else {
                offset.round()
            }
        }
        for s in samples {
            match self {
                DataType::Cf32Le => {
                    out.extend_from_slice(&s.re.to_le_bytes());
                    out.extend_from_slice(&s.im.to_le_bytes());
                }
                DataType::Ci16Le => {
                    for x in [s.re, s.im] {
                        let v = q(x, 32768.0, -32768.0, 32767.0, 0.0) as i16;
                        out.extend_from_slice(&v.to_le_bytes());
                    }
                }
                DataType::Ci8 => {
                    for x in [s.re, s.im] {
                        out.push(q(x, 128.0, -128.0, 127.0, 0.0) as i8 as u8);
                    }
                }
                DataType::Cu8 => {
                    for x in [s.re, s.im] {
                        // Midpoint 127.5 has no exact code: round half away from zero is fine.
                        out.push(q(x, 127.5, 0.0, 255.0, 127.5) as u8);
                    }
                }
            }
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sigmf_name())
    }
}

impl FromStr for DataType {
    type Err = UnsupportedDataType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cf32_le" | "cf32" => Ok(DataType::Cf32Le),
            "ci16_le" | "ci16" => Ok(DataType::Ci16Le),
            "ci8" | "ci8_le" => Ok(DataType::Ci8),
            "cu8" | "cu8_le" => Ok(DataType::Cu8),
            other => Err(UnsupportedDataType(other.to_string())),
        }
    }
}

/// Running power and clipping statistics over a stream of raw samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerStats {
    /// Samples seen.
    pub samples: u64,
    /// Sum of |x|² (f64 to stay exact over long recordings).
    pub energy: f64,
    /// Largest |x|² seen.
    pub peak: f64,
    /// Samples with a component at the datatype's limit.
    pub clipped: u64,
}

impl PowerStats {
    /// Adds raw bytes of `dt` to the statistics.
    pub fn add_bytes(&mut self, dt: DataType, bytes: &[u8]) {
        let bps = dt.bytes_per_sample();
        for c in bytes.chunks_exact(bps) {
            let clipped = match dt {
                DataType::Cf32Le => false,
                DataType::Ci16Le => {
                    let i = i16::from_le_bytes([c[0], c[1]]);
                    let q = i16::from_le_bytes([c[2], c[3]]);
                    matches!(i, i16::MIN | i16::MAX) || matches!(q, i16::MIN | i16::MAX)
                }
                DataType::Ci8 => {
                    matches!(c[0] as i8, i8::MIN | i8::MAX)
                        || matches!(c[1] as i8, i8::MIN | i8::MAX)
                }
                DataType::Cu8 => matches!(c[0], 0 | 255) || matches!(c[1], 0 | 255),
            };
            self.clipped += u64::from(clipped);
        }
        let mut tmp = Vec::with_capacity(dt.samples_in(bytes.len()));
        dt.decode_into(bytes, &mut tmp);
        self.add_samples(&tmp);
    }

    /// Adds decoded samples (no clipping information).
    pub fn add_samples(&mut self, samples: &[Complex32]) {
        for s in samples {
            let p = f64::from(s.norm_sqr());
            if p.is_finite() {
                self.energy += p;
                if p > self.peak {
                    self.peak = p;
                }
            }
        }
        self.samples += samples.len() as u64;
    }

    /// Mean power in dBFS, `None` before any sample.
    pub fn mean_dbfs(&self) -> Option<f64> {
        (self.samples > 0).then(|| 10.0 * (self.energy / self.samples as f64).max(1e-30).log10())
    }

    /// Peak power in dBFS, `None` before any sample.
    pub fn peak_dbfs(&self) -> Option<f64> {
        (self.samples > 0).then(|| 10.0 * self.peak.max(1e-30).log10())
    }

    /// Fraction of samples with a clipped component.
    pub fn clipping_fraction(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.clipped as f64 / self.samples as f64
        }
    }
}

/// Converts a byte stream that arrives in arbitrary blocks into samples,
/// carrying a partial sample over to the next block. Memory is bounded by one
/// sample of carry.
#[derive(Debug, Clone)]
pub struct SampleStream {
    datatype: DataType,
    carry: Vec<u8>,
}

impl SampleStream {
    /// A stream of `datatype` samples.
    pub fn new(datatype: DataType) -> Self {
        SampleStream {
            datatype,
            carry: Vec::with_capacity(datatype.bytes_per_sample()),
        }
    }

    /// The datatype.
    pub fn datatype(&self) -> DataType {
        self.datatype
    }

    /// Appends the samples completed by `bytes` to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Complex32>) {
        let bps = self.datatype.bytes_per_sample();
        if !self.carry.is_empty() {
            let need = bps - self.carry.len();
            let take = need.min(bytes.len());
            self.carry.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.carry.len() < bps {
                return;
            }
            self.datatype.decode_into(&self.carry, out);
            self.carry.clear();
        }
        let whole = bytes.len() / bps * bps;
        self.datatype.decode_into(&bytes[..whole], out);
        self.carry.extend_from_slice(&bytes[whole..]);
    }

    /// Bytes of an incomplete trailing sample held back.
    pub fn pending_bytes(&self) -> usize {
        self.carry.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        assert_eq!(
            DataType::Cu8.decode(&[255, 0]),
            vec![Complex32::new(1.0, -1.0)]
        );
        assert_eq!(
            DataType::Ci8.decode(&[0x80, 0x40]),
            vec![Complex32::new(-1.0, 0.5)]
        );
        assert_eq!(
            DataType::Ci16Le.decode(&[0x00, 0x40, 0x00, 0xc0]),
            vec![Complex32::new(0.5, -0.5)]
        );
        let b = [0.25f32.to_le_bytes(), (-2.0f32).to_le_bytes()].concat();
        assert_eq!(
            DataType::Cf32Le.decode(&b),
            vec![Complex32::new(0.25, -2.0)]
        );
    }

    #[test]
    fn partial_trailing_sample_is_ignored() {
        assert_eq!(DataType::Ci16Le.decode(&[1, 2, 3]).len(), 0);
        assert_eq!(DataType::Cf32Le.decode(&[0; 17]).len(), 2);
    }

    #[test]
    fn round_trip_every_type() {
        let s: Vec<Complex32> = (0..100)
            .map(|i| Complex32::from_polar(0.9, i as f32 * 0.37))
            .collect();
        for dt in DataType::ALL {
            let mut b = Vec::new();
            dt.encode_into(&s, &mut b);
            assert_eq!(b.len(), s.len() * dt.bytes_per_sample());
            let back = dt.decode(&b);
            let tol = match dt {
                DataType::Cf32Le => 0.0,
                DataType::Ci16Le => 1.0 / 32768.0,
                DataType::Ci8 => 1.0 / 128.0,
                DataType::Cu8 => 1.0 / 127.5,
            };
            for (a, b) in s.iter().zip(&back) {
                assert!((a - b).norm() <= tol * 1.5, "{dt}: {a} vs {b}");
            }
            assert_eq!(dt.sigmf_name().parse::<DataType>().unwrap(), dt);
        }
    }

    #[test]
    fn encode_saturates_and_handles_nan() {
        let mut b = Vec::new();
        DataType::Ci8.encode_into(&[Complex32::new(5.0, f32::NAN)], &mut b);
        assert_eq!(b, vec![127, 0]);
    }

    #[test]
    fn power_stats() {
        let mut p = PowerStats::default();
        p.add_bytes(DataType::Ci8, &[127, 0, 0, 0]);
        assert_eq!(p.samples, 2);
        assert_eq!(p.clipped, 1);
        assert!((p.clipping_fraction() - 0.5).abs() < 1e-12);
        let mean = p.mean_dbfs().unwrap();
        let expect = 10.0 * ((127.0f64 / 128.0).powi(2) / 2.0).log10();
        assert!((mean - expect).abs() < 1e-4, "{mean} vs {expect}");
    }

    #[test]
    fn stream_in_odd_blocks_equals_whole() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for dt in DataType::ALL {
            let whole = dt.decode(&bytes);
            for block in [1, 3, 7, 64, 333] {
                let mut st = SampleStream::new(dt);
                let mut out = Vec::new();
                for c in bytes.chunks(block) {
                    st.push(c, &mut out);
                }
                assert_eq!(out.len(), whole.len(), "{dt} block {block}");
                for (a, b) in out.iter().zip(&whole) {
                    assert!(
                        a == b
                            || (a.re.is_nan() && b.re.is_nan())
                            || (a.im.is_nan() && b.im.is_nan())
                    );
                }
                assert_eq!(st.pending_bytes(), bytes.len() % dt.bytes_per_sample());
            }
        }
    }

    #[test]
    fn unsupported_type_is_an_error() {
        assert!("ri16".parse::<DataType>().is_err());
    }
}
