//! Where samples come from: recordings (SigMF or raw files) today; SoapySDR
//! radios and synthetic sources share the same shape.

pub mod recording;

pub use recording::{RawFormat, Recording, RecordingError, RecordingReader, ShaCheck};
