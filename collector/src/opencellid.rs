//! Known cells in OpenCellID's CSV format:
//! `radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal`.
//!
//! `radio` is `GSM`, `UMTS`, `LTE`, `NR` or `CDMA`; towerwatch keeps GSM, LTE
//! and NR. `net` is the MNC as an integer (its leading zeros are lost): values
//! below 100 are read as two digits (`1` → `"01"`), others as three.
//! `created`/`updated` are Unix seconds.

use towerwatch_models::known_cell::{KnownCell, KnownCellSource};
use towerwatch_models::{CellId, Rat, Timestamp};

/// The header line.
pub const HEADER: &str =
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal";

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct CsvError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// What an import read.
#[derive(Debug, Default)]
pub struct Import {
    /// Cells read.
    pub cells: Vec<KnownCell>,
    /// Lines of other RATs (UMTS, CDMA), skipped.
    pub skipped: usize,
    /// Lines that could not be read.
    pub errors: Vec<CsvError>,
}

/// Reads OpenCellID CSV text. Bad lines are collected, not fatal.
pub fn parse(text: &str) -> Import {
    let mut imp = Import::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("radio,") {
            continue;
        }
        match parse_line(line) {
            Ok(Some(c)) => imp.cells.push(c),
            Ok(None) => imp.skipped += 1,
            Err(reason) => {
                if imp.errors.len() < 1000 {
                    imp.errors.push(CsvError {
                        line: i + 1,
                        reason,
                    });
                }
            }
        }
    }
    imp
}

fn parse_line(line: &str) -> Result<Option<KnownCell>, String> {
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    if f.len() < 14 {
        return Err(format!("{} fields, 14 expected", f.len()));
    }
    let rat = match f[0].to_ascii_uppercase().as_str() {
        "GSM" => Rat::Gsm,
        "LTE" => Rat::Lte,
        "NR" => Rat::Nr,
        "UMTS" | "CDMA" => return Ok(None),
        other => return Err(format!("unknown radio {other:?}")),
    };
    let num = |i: usize, name: &str| -> Result<u64, String> {
        f[i].parse::<u64>()
            .map_err(|_| format!("{name} {:?} is not a number", f[i]))
    };
    let real = |i: usize, name: &str| -> Result<f64, String> {
        let v = f[i]
            .parse::<f64>()
            .map_err(|_| format!("{name} {:?} is not a number", f[i]))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("{name} is not finite"))
        }
    };
    let mcc = num(1, "mcc")?;
    let net = num(2, "net")?;
    if mcc > 999 || net > 999 {
        return Err("mcc/net out of range".into());
    }
    let area = num(3, "area")?;
    let ci = num(4, "cell")?;
    let (lon, lat) = (real(6, "lon")?, real(7, "lat")?);
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err("position out of range".into());
    }
    let range = real(8, "range")?;
    let samples = num(9, "samples").unwrap_or(0);
    let ts = |i: usize| {
        f[i].parse::<i64>()
            .ok()
            .filter(|s| *s > 0)
            .map(|s| Timestamp::from_unix_ms(s.saturating_mul(1000)))
    };
    let avg = f[13]
        .parse::<f64>()
        .ok()
        .filter(|v| *v != 0.0 && v.is_finite());
    let mut cell = CellId {
        mcc: Some(format!("{mcc:03}")),
        mnc: Some(if net < 100 {
            format!("{net:02}")
        } else {
            format!("{net:03}")
        }),
        cell_identity: Some(ci),
        ..CellId::default()
    };
    match rat {
        Rat::Gsm => cell.lac = Some(u16::try_from(area).map_err(|_| "GSM area above 65535")?),
        _ => cell.tac = Some(u32::try_from(area).map_err(|_| "area too large")?),
    }
    // Identity ranges (the import has no channel, so the wire check does not apply).
    let (max_ci, max_area): (u64, u64) = match rat {
        Rat::Gsm => (0xffff, 0xffff),
        Rat::Lte => ((1 << 28) - 1, 0xffff),
        Rat::Nr => ((1 << 36) - 1, 0xff_ffff),
    };
    if ci > max_ci || area > max_area {
        return Err(format!("cell {ci} or area {area} out of range for {rat}"));
    }
    Ok(Some(KnownCell {
        rat,
        cell,
        lat: Some(lat),
        lon: Some(lon),
        range_m: Some(range.max(0.0)),
        samples,
        source: KnownCellSource::Imported,
        average_signal_dbm: avg,
        created: ts(11),
        updated: ts(12),
        profiles: Vec::new(),
    }))
}

/// Writes cells (those with a global identity) as OpenCellID CSV, header first.
pub fn write(cells: &[KnownCell]) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for c in cells {
        let (Some(mcc), Some(mnc), Some(ci)) = (&c.cell.mcc, &c.cell.mnc, c.cell.cell_identity)
        else {
            continue;
        };
        let Some(area) = c.cell.tac.or(c.cell.lac.map(u32::from)) else {
            continue;
        };
        let radio = match c.rat {
            Rat::Gsm => "GSM",
            Rat::Lte => "LTE",
            Rat::Nr => "NR",
        };
        let net: u32 = mnc.parse().unwrap_or(0);
        let secs = |t: Option<Timestamp>| t.map_or(0, |t| t.unix_ms() / 1000);
        s.push_str(&format!(
            "{radio},{mcc},{net},{area},{ci},0,{},{},{:.0},{},1,{},{},{}\n",
            c.lon.map_or(String::new(), |v| format!("{v:.6}")),
            c.lat.map_or(String::new(), |v| format!("{v:.6}")),
            c.range_m.unwrap_or(0.0),
            c.samples,
            secs(c.created),
            secs(c.updated),
            c.average_signal_dbm.map_or(0, |v| v.round() as i64),
        ));
    }
    s
}

/// Stores `cells` as imported known cells (those with a global identity) and
/// flushes; returns how many were stored.
pub fn import(
    store: &crate::store::Store,
    cells: &[KnownCell],
) -> Result<usize, crate::store::StoreError> {
    let mut n = 0;
    for c in cells {
        if let Some(k) = crate::detect::global_key(c.rat, &c.cell) {
            store.put_cell(&k, c)?;
            n += 1;
        }
    }
    store.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal
LTE,262,1,4021,123456789,0,13.404954,52.520008,1000,12,1,1459813000,1700000000,-95
GSM,262,2,1234,5678,0,13.41,52.53,500,3,1,1459813000,1700000000,0
UMTS,262,3,1,2,0,13.4,52.5,100,1,1,0,0,0
LTE,262,1,notanumber,1,0,13.4,52.5,100,1,1,0,0,0
NR,310,260,70000,68719476735,0,-122.4,37.7,300,5,1,0,0,0
";

    #[test]
    fn reads_and_writes_the_format() {
        let imp = parse(SAMPLE);
        assert_eq!(imp.cells.len(), 3);
        assert_eq!(imp.skipped, 1);
        assert_eq!(imp.errors.len(), 1);
        assert_eq!(imp.errors[0].line, 5);
        let lte = &imp.cells[0];
        assert_eq!(lte.rat, Rat::Lte);
        assert_eq!(lte.cell.plmn().as_deref(), Some("26201"));
        assert_eq!(
            (lte.cell.tac, lte.cell.cell_identity),
            (Some(4021), Some(123_456_789))
        );
        assert_eq!((lte.lat, lte.lon), (Some(52.520008), Some(13.404954)));
        assert_eq!(lte.average_signal_dbm, Some(-95.0));
        assert_eq!(lte.updated.unwrap().unix_ms(), 1_700_000_000_000);
        let gsm = &imp.cells[1];
        assert_eq!(
            (gsm.cell.lac, gsm.cell.tac, gsm.average_signal_dbm),
            (Some(1234), None, None)
        );
        assert_eq!(imp.cells[2].cell.mnc.as_deref(), Some("260"));
        // Round trip.
        let text = write(&imp.cells);
        assert!(text.starts_with(HEADER));
        let again = parse(&text);
        assert_eq!(again.cells, imp.cells);
    }
}
