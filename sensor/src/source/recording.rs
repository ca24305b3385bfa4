//! Recordings on disk: SigMF pairs and raw IQ files (GNU Radio `.cfile`,
//! rtl_sdr / HackRF `.bin`), streamed in blocks, never loaded whole.
//!
//! This is the file-opening edge; the byte → sample conversion and the
//! metadata parsing are pure code in `towerwatch_dsp::{iq, sigmf}`.
//! `core:sha512`, when present, is checked incrementally while reading.

use sha2::{Digest, Sha512};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use towerwatch_dsp::iq::{DataType, SampleStream};
use towerwatch_dsp::sigmf::{SigmfError, SigmfMeta};
use towerwatch_dsp::Complex32;

/// Why a recording could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Bad SigMF metadata.
    #[error("{path}: {source}")]
    Meta {
        /// The metadata file.
        path: PathBuf,
        /// The error.
        source: SigmfError,
    },
    /// A raw file without enough description.
    #[error("{path}: {reason}")]
    Raw {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
}

/// How to read a raw file without metadata.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RawFormat {
    /// Sample datatype (else guessed from the extension: `.cfile`/`.cf32`/`.fc32`, `.cs16`, `.cs8`, `.cu8`).
    pub datatype: Option<DataType>,
    /// Sample rate, Hz (required for raw files).
    pub sample_rate: Option<f64>,
    /// Centre frequency, Hz.
    pub frequency: Option<f64>,
}

/// An opened recording: metadata plus where its samples are.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Name for messages (file stem).
    pub name: String,
    /// The metadata file, when SigMF.
    pub meta_path: Option<PathBuf>,
    /// The sample file.
    pub data_path: PathBuf,
    /// Metadata (synthesised for raw files).
    pub meta: SigmfMeta,
    /// Size of the sample file in bytes.
    pub data_len: u64,
}

/// Result of the `core:sha512` check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShaCheck {
    /// The metadata gives no hash.
    Absent,
    /// The data matches the metadata's hash.
    Match,
    /// The data does not match.
    Mismatch {
        /// Hash in the metadata.
        expected: String,
        /// Hash of the data.
        actual: String,
    },
    /// Reading stopped before the end of the file.
    NotChecked,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordingError + '_ {
    move |source| RecordingError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn guess_datatype(path: &Path) -> Option<DataType> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "cfile" | "cf32" | "fc32" | "raw32" => Some(DataType::Cf32Le),
        "cs16" | "ci16" | "sc16" => Some(DataType::Ci16Le),
        "cs8" | "ci8" | "sc8" => Some(DataType::Ci8),
        "cu8" => Some(DataType::Cu8),
        _ => None,
    }
}

impl Recording {
    /// Opens `path`: a `.sigmf-meta` or `.sigmf-data` file, a SigMF base name,
    /// or a raw file described by `raw`.
    pub fn open(path: &Path, raw: RawFormat) -> Result<Recording, RecordingError> {
        let s = path.to_string_lossy();
        let base = s
            .strip_suffix(".sigmf-meta")
            .or_else(|| s.strip_suffix(".sigmf-data"))
            .unwrap_or(&s)
            .to_string();
        let meta_path = PathBuf::from(format!("{base}.sigmf-meta"));
        let sigmf_data = PathBuf::from(format!("{base}.sigmf-data"));
        let is_sigmf = meta_path.is_file()
            && (s.ends_with(".sigmf-meta") || s.ends_with(".sigmf-data") || !path.is_file());
        if is_sigmf && raw.datatype.is_none() && raw.sample_rate.is_none() {
            let text = std::fs::read_to_string(&meta_path).map_err(io(&meta_path))?;
            let meta = SigmfMeta::parse(&text).map_err(|source| RecordingError::Meta {
                path: meta_path.clone(),
                source,
            })?;
            let data_len = std::fs::metadata(&sigmf_data)
                .map_err(io(&sigmf_data))?
                .len();
            let name = Path::new(&base)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Ok(Recording {
                name,
                meta_path: Some(meta_path),
                data_path: sigmf_data,
                meta,
                data_len,
            });
        }
        if !path.is_file() {
            return Err(RecordingError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such recording (neither a file nor a SigMF base name)",
                ),
            });
        }
        let datatype = raw.datatype.or_else(|| guess_datatype(path)).ok_or_else(|| RecordingError::Raw {
            path: path.to_path_buf(),
            reason: "raw file: give --format (cf32_le, ci16_le, ci8 for HackRF .bin, cu8 for rtl_sdr .bin)".into(),
        })?;
        let rate = raw.sample_rate.ok_or_else(|| RecordingError::Raw {
            path: path.to_path_buf(),
            reason: "raw file: give --rate (samples per second)".into(),
        })?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(RecordingError::Raw {
                path: path.to_path_buf(),
                reason: format!("bad --rate {rate}"),
            });
        }
        let meta = SigmfMeta::new(datatype, rate, raw.frequency);
        let data_len = std::fs::metadata(path).map_err(io(path))?.len();
        let name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Recording {
            name,
            meta_path: None,
            data_path: path.to_path_buf(),
            meta,
            data_len,
        })
    }

    /// Number of samples in the data file.
    pub fn samples(&self) -> u64 {
        self.meta.samples_in(self.data_len)
    }

    /// Sample rate, Hz (SigMF files without one are refused by [`Self::reader`]).
    pub fn sample_rate(&self) -> Option<f64> {
        self.meta.global.sample_rate
    }

    /// Centre frequency of the first capture, Hz.
    pub fn frequency(&self) -> Option<f64> {
        self.meta.frequency_at(0)
    }

    /// Datatype.
    pub fn datatype(&self) -> DataType {
        self.meta.global.datatype
    }

    /// Wall-clock time of sample `index`, from the `core:datetime` of the
    /// capture segment holding it (`None` when the recording has no dates).
    pub fn time_at(&self, index: u64) -> Option<towerwatch_models::Timestamp> {
        let rate = self.sample_rate()?;
        let cap = self
            .meta
            .captures
            .iter()
            .rev()
            .find(|c| c.sample_start <= index)?;
        let t: towerwatch_models::Timestamp = cap.datetime.as_deref()?.parse().ok()?;
        Some(t.add_seconds((index - cap.sample_start) as f64 / rate))
    }

    /// A reader from the first sample.
    pub fn reader(&self) -> Result<RecordingReader, RecordingError> {
        let f = File::open(&self.data_path).map_err(io(&self.data_path))?;
        Ok(RecordingReader {
            path: self.data_path.clone(),
            file: BufReader::with_capacity(1 << 16, f),
            stream: SampleStream::new(self.datatype()),
            hasher: self.meta.global.sha512.as_ref().map(|_| Sha512::new()),
            expected: self.meta.global.sha512.clone(),
            header_bytes: self.meta.header_bytes_total(),
            bytes_read: 0,
            raw: Vec::new(),
            at_eof: false,
        })
    }
}

/// Streams a recording's samples in blocks.
#[derive(Debug)]
pub struct RecordingReader {
    path: PathBuf,
    file: BufReader<File>,
    stream: SampleStream,
    hasher: Option<Sha512>,
    expected: Option<String>,
    header_bytes: u64,
    bytes_read: u64,
    raw: Vec<u8>,
    at_eof: bool,
}

impl RecordingReader {
    /// Appends up to `max_samples` samples to `out`; returns how many were
    /// appended (0 at the end of the file). Raw bytes of the same block are
    /// available from [`Self::last_raw`] (for clipping statistics).
    pub fn read_block(
        &mut self,
        max_samples: usize,
        out: &mut Vec<Complex32>,
    ) -> Result<usize, RecordingError> {
        if self.at_eof {
            return Ok(0);
        }
        let bps = self.stream.datatype().bytes_per_sample();
        let want = max_samples.max(1) * bps;
        self.raw.resize(want, 0);
        let mut got = 0;
        while got < want {
            let n = self
                .file
                .read(&mut self.raw[got..])
                .map_err(io(&self.path))?;
            if n == 0 {
                self.at_eof = true;
                break;
            }
            got += n;
        }
        self.raw.truncate(got);
        if let Some(h) = &mut self.hasher {
            h.update(&self.raw);
        }
        // Skip capture headers at the start (the common single-header case).
        let skip = self
            .header_bytes
            .saturating_sub(self.bytes_read)
            .min(got as u64) as usize;
        self.bytes_read += got as u64;
        let before = out.len();
        self.stream.push(&self.raw[skip..], out);
        Ok(out.len() - before)
    }

    /// Samples delivered so far (the index of the next sample).
    pub fn samples_read(&self) -> u64 {
        let bps = self.stream.datatype().bytes_per_sample() as u64;
        self.bytes_read.saturating_sub(self.header_bytes) / bps
    }

    /// The raw bytes of the last block read.
    pub fn last_raw(&self) -> &[u8] {
        &self.raw
    }

    /// The hash check, meaningful once the whole file was read.
    pub fn sha_check(self) -> ShaCheck {
        match (self.expected, self.hasher) {
            (None, _) | (_, None) => ShaCheck::Absent,
            (Some(_), Some(_)) if !self.at_eof => ShaCheck::NotChecked,
            (Some(expected), Some(h)) => {
                let actual = hex::encode(h.finalize());
                if actual == expected {
                    ShaCheck::Match
                } else {
                    ShaCheck::Mismatch { expected, actual }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmf_pair_streams_and_checks_sha512() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<Complex32> = (0..1000)
            .map(|i| Complex32::new((i as f32 * 0.01).sin(), 0.25))
            .collect();
        let mut bytes = Vec::new();
        DataType::Ci16Le.encode_into(&samples, &mut bytes);
        let mut meta = SigmfMeta::new(DataType::Ci16Le, 1.92e6, Some(1.815e9));
        meta.global.sha512 = Some(hex::encode(Sha512::digest(&bytes)));
        std::fs::write(dir.path().join("a.sigmf-data"), &bytes).unwrap();
        std::fs::write(dir.path().join("a.sigmf-meta"), meta.to_json()).unwrap();
        for p in ["a", "a.sigmf-meta", "a.sigmf-data"] {
            let rec = Recording::open(&dir.path().join(p), RawFormat::default()).unwrap();
            assert_eq!(rec.samples(), 1000);
            assert_eq!(rec.frequency(), Some(1.815e9));
            let mut r = rec.reader().unwrap();
            let mut out = Vec::new();
            while r.read_block(333, &mut out).unwrap() > 0 {}
            assert_eq!(out.len(), 1000);
            assert!((out[10] - samples[10]).norm() < 1e-4);
            assert_eq!(r.sha_check(), ShaCheck::Match);
        }
        // A flipped byte is caught.
        bytes[7] ^= 1;
        std::fs::write(dir.path().join("a.sigmf-data"), &bytes).unwrap();
        let rec = Recording::open(&dir.path().join("a"), RawFormat::default()).unwrap();
        let mut r = rec.reader().unwrap();
        let mut out = Vec::new();
        while r.read_block(4096, &mut out).unwrap() > 0 {}
        assert!(matches!(r.sha_check(), ShaCheck::Mismatch { .. }));
    }

    #[test]
    fn raw_files_need_a_description() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, [0u8; 100]).unwrap();
        assert!(matches!(
            Recording::open(&p, RawFormat::default()),
            Err(RecordingError::Raw { .. })
        ));
        let rec = Recording::open(
            &p,
            RawFormat {
                datatype: Some(DataType::Ci8),
                sample_rate: Some(2e6),
                frequency: Some(9e8),
            },
        )
        .unwrap();
        assert_eq!(rec.samples(), 50);
        let c = dir.path().join("y.cfile");
        std::fs::write(&c, [0u8; 80]).unwrap();
        let rec = Recording::open(
            &c,
            RawFormat {
                sample_rate: Some(1e6),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((rec.datatype(), rec.samples()), (DataType::Cf32Le, 10));
        assert!(Recording::open(&dir.path().join("missing"), RawFormat::default()).is_err());
    }
}
