//! `towerwatch-sensor info FILE`: what a recording holds.

use crate::cli::InputArgs;
use crate::source::{Recording, ShaCheck};
use serde::Serialize;
use towerwatch_dsp::iq::PowerStats;

/// Everything `info` reports, also as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingInfo {
    /// Recording name.
    pub name: String,
    /// Sample file.
    pub data_path: String,
    /// SigMF datatype.
    pub datatype: String,
    /// Sample rate, Hz.
    pub sample_rate_hz: Option<f64>,
    /// Centre frequency of each capture segment, Hz.
    pub frequencies_hz: Vec<Option<f64>>,
    /// Samples in the file.
    pub samples: u64,
    /// Seconds.
    pub duration_s: Option<f64>,
    /// Mean power, dBFS.
    pub mean_dbfs: Option<f64>,
    /// Peak power, dBFS.
    pub peak_dbfs: Option<f64>,
    /// Fraction of samples with a component at full scale.
    pub clipping_fraction: f64,
    /// `core:sha512` check: `match`, `mismatch`, `absent`.
    pub sha512: String,
    /// `core:description`.
    pub description: Option<String>,
    /// Number of annotations.
    pub annotations: usize,
}

/// Reads the whole recording once, streaming, and gathers its figures.
pub fn inspect(rec: &Recording) -> anyhow::Result<RecordingInfo> {
    let mut reader = rec.reader()?;
    let mut stats = PowerStats::default();
    let mut block = Vec::with_capacity(1 << 16);
    loop {
        block.clear();
        if reader.read_block(1 << 16, &mut block)? == 0 {
            break;
        }
        stats.add_bytes(rec.datatype(), reader.last_raw());
    }
    let sha = match reader.sha_check() {
        ShaCheck::Match => "match".to_string(),
        ShaCheck::Absent => "absent".to_string(),
        ShaCheck::NotChecked => "not checked".to_string(),
        ShaCheck::Mismatch { expected, actual } => {
            format!("MISMATCH (metadata {expected}, data {actual})")
        }
    };
    Ok(RecordingInfo {
        name: rec.name.clone(),
        data_path: rec.data_path.display().to_string(),
        datatype: rec.datatype().to_string(),
        sample_rate_hz: rec.sample_rate(),
        frequencies_hz: rec.meta.captures.iter().map(|c| c.frequency).collect(),
        samples: rec.samples(),
        duration_s: rec.meta.duration_s(rec.samples()),
        mean_dbfs: stats.mean_dbfs(),
        peak_dbfs: stats.peak_dbfs(),
        clipping_fraction: stats.clipping_fraction(),
        sha512: sha,
        description: rec.meta.global.description.clone(),
        annotations: rec.meta.annotations.len(),
    })
}

/// Human-readable form.
pub fn render(i: &RecordingInfo) -> String {
    let opt = |v: Option<f64>, unit: &str, scale: f64, prec: usize| {
        v.map_or("unknown".to_string(), |x| {
            format!("{:.*} {unit}", prec, x / scale)
        })
    };
    let freqs: Vec<String> = i
        .frequencies_hz
        .iter()
        .map(|f| opt(*f, "MHz", 1e6, 3))
        .collect();
    let mut s = String::new();
    s += &format!("recording    {}\n", i.name);
    s += &format!("data         {}\n", i.data_path);
    s += &format!("datatype     {}\n", i.datatype);
    s += &format!("sample rate  {}\n", opt(i.sample_rate_hz, "Msps", 1e6, 4));
    s += &format!(
        "frequency    {}\n",
        if freqs.is_empty() {
            "unknown".into()
        } else {
            freqs.join(", ")
        }
    );
    s += &format!("samples      {}\n", i.samples);
    s += &format!(
        "duration     {}\n",
        opt(i.duration_s.map(|d| d * 1e3), "ms", 1.0, 3)
    );
    s += &format!("mean power   {}\n", opt(i.mean_dbfs, "dBFS", 1.0, 2));
    s += &format!("peak power   {}\n", opt(i.peak_dbfs, "dBFS", 1.0, 2));
    s += &format!("clipping     {:.4} %\n", i.clipping_fraction * 100.0);
    s += &format!("sha512       {}\n", i.sha512);
    if let Some(d) = &i.description {
        s += &format!("description  {d}\n");
    }
    s += &format!("annotations  {}\n", i.annotations);
    s
}

/// Runs `info`.
pub fn run(args: &InputArgs, json: bool) -> anyhow::Result<()> {
    let rec = Recording::open(&args.file, args.raw())?;
    let info = inspect(&rec)?;
    if json {
        println!("{}", serde_json::to_string(&info)?);
    } else {
        print!("{}", render(&info));
    }
    if info.sha512.starts_with("MISMATCH") {
        anyhow::bail!("{}: data does not match core:sha512", rec.name);
    }
    Ok(())
}
