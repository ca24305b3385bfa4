//! The simulator answers to the receivers: a rendered scenario, decoded by
//! the sensor's own pipeline, gives back each station's identity and the
//! power the truth file says the sensor received (after the sensor's nominal
//! calibration, which does not know its gain error).

use std::path::Path;
use towerwatch::scenario::Scenario;
use towerwatch::simulate::{self, Truth};
use towerwatch_models::{Observation, Rat};
use towerwatch_sensor::pipeline::{decode_recording, DecodeOptions, RatChoice};
use towerwatch_sensor::source::{RawFormat, Recording};

const SCENARIO: &str = r#"
name = "two-sensors"
seed = 5
[area]
lat = 48.8566
lon = 2.3522
[time]
cycles = 1
[scan]
lte_dwell_ms = 120
gsm_dwell_ms = 1000
[propagation]
model = "log_distance"
exponent = 3.0
shadowing_db = 4.0
[sensor_defaults]
full_scale_dbm = -30.0
gsm_sample_rate = 541666.667
[[sensors]]
id = "near"
east_m = 0.0
north_m = 0.0
[[sensors]]
id = "cheap"
east_m = 300.0
north_m = 100.0
datatype = "cu8"
lte_sample_rate = 2.4e6
ppm = 10.0
gain_offset_db = 3.0
full_scale_dbm = -40.0
[[cells]]
name = "lte"
rat = "lte"
east_m = 200.0
north_m = -150.0
power_dbm = 10.0
mcc = "208"
mnc = "01"
lte = { earfcn = 6300, pci = 222, ports = 2, tac = 7, cell_identity = 1234 }
[[cells]]
name = "gsm"
rat = "gsm"
east_m = -250.0
north_m = 120.0
power_dbm = 33.0
freq_offset_hz = 200.0
mcc = "208"
mnc = "10"
gsm = { arfcn = 30, ncc = 3, bcc = 4, lac = 500, ci = 600, neighbours = [1, 2] }
"#;

fn decode(
    dir: &Path,
    stem: &str,
    rat: RatChoice,
    calibration_db: f64,
    window_s: f64,
) -> Vec<Observation> {
    let rec = Recording::open(
        &dir.join(format!("{stem}.sigmf-meta")),
        RawFormat::default(),
    )
    .unwrap();
    let opts = DecodeOptions {
        rat,
        calibration_db,
        window_s,
        ..DecodeOptions::default()
    };
    decode_recording(&rec, &opts).unwrap().observations
}

#[test]
fn rendered_stations_decode_with_their_identity_and_power() {
    let world = Scenario::parse(SCENARIO).unwrap().resolve().unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = simulate::render(&world, out.path(), |_, _| {}).unwrap();
    assert_eq!(r.recordings, 4);
    let truth: Truth =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("truth.json")).unwrap())
            .unwrap();
    assert_eq!(truth.links.len(), 4);
    for s in &world.sensors {
        let dir = out.path().join("sensors").join(&s.id);
        let fs = s.full_scale_dbm;
        // LTE: PCI, ports, and RSRP = EPRE − loss (+ the gain error the calibration misses).
        let lte = decode(&dir, "lte_6300", RatChoice::Lte, fs, 0.12);
        assert_eq!(lte.len(), 1, "{}: {lte:?}", s.id);
        let o = &lte[0];
        assert_eq!(o.rat, Rat::Lte);
        assert_eq!(o.cell.pci, Some(222));
        let mib = o
            .system_info
            .as_ref()
            .and_then(|si| si.mib.clone())
            .unwrap();
        assert_eq!(mib.antenna_ports, Some(2));
        let want = truth.link("lte", &s.id).unwrap().rx_dbm + s.gain_offset_db;
        let got = o.measurement.rsrp_dbm.unwrap();
        assert!(
            (got - want).abs() < 1.5,
            "{}: RSRP {got:.1} dBm, truth {want:.1}",
            s.id
        );
        // The sensor's oscillator error shows as CFO: −ppm · f.
        let cfo = o.measurement.cfo_hz.unwrap();
        let want_cfo = -s.ppm * 1e-6 * 806e6;
        assert!(
            (cfo - want_cfo).abs() < 100.0,
            "{}: CFO {cfo:.0}, truth {want_cfo:.0}",
            s.id
        );

        // GSM: BSIC, PLMN, LAC, CI, neighbours and carrier power.
        let gsm = decode(&dir, "gsm_30", RatChoice::Gsm, fs, 1.0);
        assert_eq!(gsm.len(), 1, "{}: {gsm:?}", s.id);
        let o = &gsm[0];
        assert_eq!(o.cell.bsic, Some(3 * 8 + 4));
        assert_eq!(
            (o.cell.mcc.as_deref(), o.cell.mnc.as_deref()),
            (Some("208"), Some("10"))
        );
        assert_eq!((o.cell.lac, o.cell.cell_identity), (Some(500), Some(600)));
        let si = o.system_info.as_ref().unwrap();
        assert_eq!(si.gsm.si2.as_ref().unwrap().neighbours, vec![1, 2]);
        let want = truth.link("gsm", &s.id).unwrap().rx_dbm + s.gain_offset_db;
        let got = o.measurement.rxlev_dbm.unwrap();
        assert!(
            (got - want).abs() < 2.0,
            "{}: RXLEV {got:.1} dBm, truth {want:.1}",
            s.id
        );
    }
}

#[test]
fn rendering_is_deterministic_and_checks_its_input() {
    let world = Scenario::parse(SCENARIO).unwrap().resolve().unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    simulate::render(&world, a.path(), |_, _| {}).unwrap();
    simulate::render(&world, b.path(), |_, _| {}).unwrap();
    for f in [
        "sensors/cheap/lte_6300.sigmf-data",
        "sensors/near/gsm_30.sigmf-data",
        "truth.json",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs between two renders"
        );
    }
    let bad = SCENARIO.replace("pci = 222", "pci = 999");
    assert!(Scenario::parse(&bad).unwrap().resolve().is_err());
}
