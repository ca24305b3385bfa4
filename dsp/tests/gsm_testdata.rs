//! The GSM receiver on the committed off-the-air excerpt (`testdata/iq/`,
//! provenance in its README): 160 ms at 953.6 MHz, 500 ksps. gr-gsm decoded two
//! CCCH frames from it (its truth file); we must find both, byte for byte.

use std::path::PathBuf;
use std::str::FromStr;

use towerwatch_dsp::gsm::multiframe::Ts0Channel;
use towerwatch_dsp::gsm::receiver::{GsmReceiver, GsmReceiverConfig};
use towerwatch_dsp::iq::DataType;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/iq")
        .join(name)
}

#[test]
fn real_953_6mhz_excerpt_matches_grgsm() {
    let base = "real_gsmsp2007_953.6MHz_128";
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata(&format!("{base}.sigmf-meta"))).unwrap(),
    )
    .unwrap();
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata(&format!("{base}.truth.json"))).unwrap(),
    )
    .unwrap();
    let dt = DataType::from_str(meta["global"]["core:datatype"].as_str().unwrap()).unwrap();
    let fs = meta["global"]["core:sample_rate"].as_f64().unwrap();
    let x = dt.decode(&std::fs::read(testdata(&format!("{base}.sigmf-data"))).unwrap());
    let mut rx = GsmReceiver::new(GsmReceiverConfig::default()).unwrap();
    let rep = rx.process(&x, fs).unwrap();
    assert_eq!(rep.cells.len(), 1, "{:?}", rep.misses);
    let c = &rep.cells[0];
    // The cell: BSIC 56 (NCC 7, BCC 0), about 8.7 kHz off (the 2007 USRP1's clock).
    assert_eq!((c.ncc, c.bcc), (7, 0));
    assert!((8_000.0..9_500.0).contains(&c.cfo_hz), "{}", c.cfo_hz);
    assert_eq!(c.sch_failed, 0);
    assert_eq!(c.bcch_failed, 0);
    for line in truth["expected_peer_decode"]["messages"]
        .as_array()
        .unwrap()
    {
        let (head, hex) = line.as_str().unwrap().split_once(':').unwrap();
        let fnum: u32 = head.split_whitespace().next().unwrap().parse().unwrap();
        let bytes: Vec<u8> = hex
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect();
        let f = c
            .frames
            .iter()
            .find(|f| f.fnum == fnum)
            .unwrap_or_else(|| panic!("FN {fnum} missing"));
        assert_eq!(f.data.as_slice(), bytes.as_slice(), "FN {fnum}");
    }
    // Beyond gr-gsm: the whole-recording decode, all six blocks, BCCH (SI3) included.
    assert_eq!(c.frames.len(), 6);
    let si3 = c
        .frames
        .iter()
        .find(|f| f.channel == Ts0Channel::Bcch)
        .expect("BCCH block");
    assert_eq!(si3.fnum, 857_108);
    assert_eq!(
        &si3.data[..3],
        &[0x49, 0x06, 0x1b],
        "SI3 (message type 0x1b)"
    );
}
