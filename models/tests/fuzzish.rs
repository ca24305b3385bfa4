//! Hostile payloads: random bytes and random JSON never panic the parsers.

use proptest::prelude::*;
use towerwatch_models::{Observation, SensorStatus, Suspect, Topic};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Observation::from_json_slice(&bytes);
        let _ = towerwatch_models::validate::parse_payload::<SensorStatus>(&bytes);
        let _ = towerwatch_models::validate::parse_payload::<Suspect>(&bytes);
        let _ = Topic::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_observation_never_panics(pos in 0usize..2000, byte in any::<u8>()) {
        let mut b = include_bytes!("golden/observation_lte_valid.json").to_vec();
        let i = pos % b.len();
        b[i] = byte;
        if let Ok(o) = Observation::from_json_slice(&b) {
            // Whatever parses and validates also survives a round trip.
            let again = Observation::from_json_slice(&serde_json::to_vec(&o).unwrap()).unwrap();
            prop_assert_eq!(again, o);
        }
    }

    #[test]
    fn timestamps_round_trip(ns in -2_000_000_000_000_000_000i64..4_000_000_000_000_000_000i64) {
        let t = towerwatch_models::Timestamp(ns);
        let back: towerwatch_models::Timestamp = t.to_string().parse().unwrap();
        prop_assert_eq!(back, t);
    }
}
