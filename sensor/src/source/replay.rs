//! Replay of SigMF recordings as if they came from a radio: tuning to a
//! frequency selects the recording made there; reading streams its samples
//! (looping when asked). Files are streamed, never loaded whole.

use super::{IqSource, RawFormat, Recording, RecordingReader, SourceError, Tuned};
use std::path::PathBuf;
use towerwatch_dsp::Complex32;

/// Replays recordings, one per channel.
#[derive(Debug)]
pub struct ReplaySource {
    recordings: Vec<Recording>,
    looping: bool,
    /// Each recording keeps its own position, as each channel's signal goes on while the radio is elsewhere.
    readers: Vec<Option<RecordingReader>>,
    current: Option<usize>,
    exhausted: Vec<bool>,
    label: String,
}

/// Every SigMF recording under `paths` (files, base names or directories; not recursive).
pub fn find_recordings(paths: &[PathBuf]) -> Result<Vec<Recording>, SourceError> {
    let mut metas: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p)
                .map_err(|e| SourceError::Failed(format!("{}: {e}", p.display())))?;
            for e in rd {
                let e = e.map_err(|e| SourceError::Failed(e.to_string()))?;
                if e.path().to_string_lossy().ends_with(".sigmf-meta") {
                    metas.push(e.path());
                }
            }
        } else {
            metas.push(p.clone());
        }
    }
    metas.sort();
    metas.dedup();
    metas
        .iter()
        .map(|m| Recording::open(m, RawFormat::default()).map_err(SourceError::from))
        .collect()
}

impl ReplaySource {
    /// Replays `recordings`; with `looping`, each restarts at its end.
    pub fn new(recordings: Vec<Recording>, looping: bool, label: impl Into<String>) -> Self {
        let n = recordings.len();
        ReplaySource {
            recordings,
            looping,
            readers: (0..n).map(|_| None).collect(),
            current: None,
            exhausted: vec![false; n],
            label: label.into(),
        }
    }

    /// Replays every recording under `paths`.
    pub fn open(paths: &[PathBuf], looping: bool) -> Result<Self, SourceError> {
        let recs = find_recordings(paths)?;
        let label = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
        Ok(Self::new(recs, looping, format!("replay {label}")))
    }

    /// The recordings.
    pub fn recordings(&self) -> &[Recording] {
        &self.recordings
    }

    /// The recording currently tuned, if any.
    pub fn current(&self) -> Option<&Recording> {
        self.current.map(|i| &self.recordings[i])
    }

    /// Whether every recording has been read to its end (never, when looping).
    pub fn all_exhausted(&self) -> bool {
        !self.looping && self.exhausted.iter().all(|&e| e)
    }

    fn index_for(&self, freq_hz: f64) -> Option<usize> {
        self.recordings
            .iter()
            .position(|r| r.frequency().is_some_and(|f| (f - freq_hz).abs() < 1_000.0))
    }
}

impl IqSource for ReplaySource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn available_channels(&self) -> Option<Vec<f64>> {
        let mut f: Vec<f64> = self
            .recordings
            .iter()
            .filter_map(Recording::frequency)
            .collect();
        f.sort_by(f64::total_cmp);
        f.dedup();
        Some(f)
    }

    fn tune(&mut self, freq_hz: f64) -> Result<Tuned, SourceError> {
        let i = self
            .index_for(freq_hz)
            .ok_or(SourceError::NoChannel(freq_hz))?;
        let rec = &self.recordings[i];
        let sample_rate = rec
            .sample_rate()
            .ok_or_else(|| SourceError::Failed(format!("{}: no sample rate", rec.name)))?;
        if self.readers[i].is_none() {
            self.readers[i] = Some(rec.reader()?);
        }
        self.current = Some(i);
        Ok(Tuned {
            freq_hz: rec.frequency().unwrap_or(freq_hz),
            sample_rate,
        })
    }

    fn sample_time(&self) -> Option<towerwatch_models::Timestamp> {
        let i = self.current?;
        let at = self.readers[i]
            .as_ref()
            .map_or(0, RecordingReader::samples_read);
        self.recordings[i].time_at(at)
    }

    fn read(&mut self, max: usize, out: &mut Vec<Complex32>) -> Result<usize, SourceError> {
        let Some(i) = self.current else {
            return Err(SourceError::Failed("read before tune".into()));
        };
        let Some(reader) = self.readers[i].as_mut() else {
            return Err(SourceError::Failed("read before tune".into()));
        };
        let n = reader.read_block(max, out)?;
        if n > 0 {
            return Ok(n);
        }
        self.exhausted[i] = true;
        if !self.looping {
            return Ok(0);
        }
        let mut fresh = self.recordings[i].reader()?;
        let n = fresh.read_block(max, out)?;
        self.readers[i] = Some(fresh);
        Ok(n)
    }
}
