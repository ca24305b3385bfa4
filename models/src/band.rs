//! Channel numbers ↔ frequencies.
//!
//! LTE: TS 36.101 §5.7.3, Table 5.7.3-1 (F_DL = F_DL_low + 0.1 MHz × (N_DL − N_Offs-DL)).
//! GSM: TS 45.005 §2 (ARFCN to downlink frequency per band).

/// One E-UTRA downlink band: `(band, F_DL_low in 100 kHz units, N_Offs-DL, N_DL max)`.
/// TS 36.101 Table 5.7.3-1 (FDD and TDD bands in common use).
const LTE_BANDS: &[(u16, u32, u32, u32)] = &[
    (1, 21100, 0, 599),
    (2, 19300, 600, 1199),
    (3, 18050, 1200, 1949),
    (4, 21100, 1950, 2399),
    (5, 8690, 2400, 2649),
    (7, 26200, 2750, 3449),
    (8, 9250, 3450, 3799),
    (9, 18449, 3800, 4149),
    (10, 21100, 4150, 4749),
    (11, 14759, 4750, 4949),
    (12, 7290, 5010, 5179),
    (13, 7460, 5180, 5279),
    (14, 7580, 5280, 5379),
    (17, 7340, 5730, 5849),
    (18, 8600, 5850, 5999),
    (19, 8750, 6000, 6149),
    (20, 7910, 6150, 6449),
    (21, 14959, 6450, 6599),
    (24, 15250, 7700, 8039),
    (25, 19300, 8040, 8689),
    (26, 8590, 8690, 9039),
    (28, 7580, 9210, 9659),
    (29, 7170, 9660, 9769),
    (30, 23500, 9770, 9869),
    (32, 14520, 9920, 10359),
    (33, 19000, 36000, 36199),
    (34, 20100, 36200, 36349),
    (35, 18500, 36350, 36949),
    (36, 19300, 36950, 37549),
    (37, 19100, 37550, 37749),
    (38, 25700, 37750, 38249),
    (39, 18800, 38250, 38649),
    (40, 23000, 38650, 39649),
    (41, 24960, 39650, 41589),
    (42, 34000, 41590, 43589),
    (43, 36000, 43590, 45589),
    (46, 51500, 46790, 54539),
    (48, 35500, 55240, 56739),
    (66, 21100, 66436, 67335),
    (71, 6170, 68586, 68935),
];

/// Downlink centre frequency (Hz) of an EARFCN, with its band.
pub fn lte_earfcn_to_freq(earfcn: u32) -> Option<(u16, u64)> {
    LTE_BANDS
        .iter()
        .find(|&&(_, _, off, max)| (off..=max).contains(&earfcn))
        .map(|&(band, low, off, _)| (band, (u64::from(low) + u64::from(earfcn - off)) * 100_000))
}

/// The EARFCNs whose downlink centre is `freq_hz` (to within 1 kHz), one per
/// band that contains it (bands overlap: 1815 MHz is band 3 and band 9).
pub fn lte_freq_to_earfcns(freq_hz: f64) -> Vec<(u16, u32)> {
    let units = freq_hz / 100_000.0;
    let n = units.round();
    if !freq_hz.is_finite() || (units - n).abs() * 100_000.0 > 1_000.0 || n < 0.0 {
        return Vec::new();
    }
    let n = n as u64;
    LTE_BANDS
        .iter()
        .filter_map(|&(band, low, off, max)| {
            let e = u64::from(off) + n.checked_sub(u64::from(low))?;
            (e <= u64::from(max)).then_some((band, e as u32))
        })
        .collect()
}

/// The most likely EARFCN for a downlink centre frequency: the lowest-numbered
/// band containing it (a caller that knows the band from SIB1 can pick exactly).
pub fn lte_freq_to_earfcn(freq_hz: f64) -> Option<u32> {
    lte_freq_to_earfcns(freq_hz).first().map(|&(_, e)| e)
}

/// GSM downlink frequency (Hz) of an ARFCN (TS 45.005 §2): GSM 850, P/E/R-GSM 900,
/// DCS 1800 (ARFCN 512–885 is ambiguous with PCS 1900: `pcs` chooses).
pub fn gsm_arfcn_to_freq(arfcn: u16, pcs: bool) -> Option<u64> {
    let khz: u64 = match arfcn {
        0..=124 => 935_000 + 200 * u64::from(arfcn),
        128..=251 => 869_200 + 200 * (u64::from(arfcn) - 128),
        512..=810 if pcs => 1_930_200 + 200 * (u64::from(arfcn) - 512),
        512..=885 => 1_805_200 + 200 * (u64::from(arfcn) - 512),
        955..=1023 => 935_000 + 200 * (u64::from(arfcn)) - 200 * 1024,
        _ => return None,
    };
    Some(khz * 1000)
}

/// The GSM ARFCN whose downlink is `freq_hz` (within 1 kHz).
pub fn gsm_freq_to_arfcn(freq_hz: f64, pcs: bool) -> Option<u16> {
    if !freq_hz.is_finite() || freq_hz <= 0.0 {
        return None;
    }
    let khz = (freq_hz / 1000.0).round() as i64;
    let cand = |base: i64, first: i64, last: i64| -> Option<u16> {
        let d = khz - base;
        if d % 200 != 0 {
            return None;
        }
        let a = first + d / 200;
        (first..=last).contains(&a).then_some(a as u16)
    };
    let r = if pcs { cand(1_930_200, 512, 810) } else { None };
    r.or_else(|| cand(935_000, 0, 124))
        .or_else(|| cand(935_000 - 200 * 69, 955, 1023))
        .or_else(|| cand(869_200, 128, 251))
        .or_else(|| cand(1_805_200, 512, 885))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lte_known_channels() {
        assert_eq!(lte_earfcn_to_freq(1300), Some((3, 1_815_000_000)));
        assert_eq!(lte_earfcn_to_freq(6300), Some((20, 806_000_000)));
        assert_eq!(lte_freq_to_earfcn(806e6), Some(6300));
        assert_eq!(lte_freq_to_earfcn(1815e6), Some(1300));
        assert_eq!(lte_freq_to_earfcn(796e6), Some(6200));
        assert_eq!(lte_freq_to_earfcn(1842.5e6), Some(1575));
        assert_eq!(lte_freq_to_earfcn(2360e6), Some(38650 + 600));
        assert_eq!(
            lte_freq_to_earfcns(1850e6),
            vec![(3, 1650), (9, 3851), (35, 36350)]
        );
        assert_eq!(lte_freq_to_earfcn(1815.05e6), None);
        assert_eq!(lte_freq_to_earfcn(f64::NAN), None);
        for e in [0, 1300, 6300, 38000, 66500] {
            let (_, f) = lte_earfcn_to_freq(e).unwrap();
            assert!(
                lte_freq_to_earfcns(f as f64).iter().any(|&(_, x)| x == e),
                "{e}"
            );
        }
    }

    #[test]
    fn gsm_known_channels() {
        assert_eq!(gsm_arfcn_to_freq(1, false), Some(935_200_000));
        assert_eq!(gsm_arfcn_to_freq(725, false), Some(1_847_800_000));
        assert_eq!(gsm_arfcn_to_freq(1023, false), Some(934_800_000));
        assert_eq!(gsm_arfcn_to_freq(128, false), Some(869_200_000));
        assert_eq!(gsm_freq_to_arfcn(953.6e6, false), Some(93));
        assert_eq!(gsm_freq_to_arfcn(1847.8e6, false), Some(725));
        assert_eq!(gsm_freq_to_arfcn(934.8e6, false), Some(1023));
        assert_eq!(gsm_freq_to_arfcn(935.1e6, false), None);
        for a in (0..=1023u16).filter(|a| gsm_arfcn_to_freq(*a, false).is_some()) {
            assert_eq!(
                gsm_freq_to_arfcn(gsm_arfcn_to_freq(a, false).unwrap() as f64, false),
                Some(a)
            );
        }
    }
}
