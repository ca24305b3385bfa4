//! Burst layouts, TS 45.002 §5.2.3 (normal burst) and §5.2.5 (synchronization
//! burst), and the mapping of coded bits onto them, TS 45.003 §4.1.5 and §4.7.
//!
//! A burst is 148 bits (tail bits included, guard period excluded). Normal
//! burst: 3 tail, 57 data, 1 stealing flag hl, 26 training, 1 stealing flag
//! hu, 57 data, 3 tail. SCH burst: 3 tail, 39 data, 64 extended training, 39
//! data, 3 tail.

/// Bits in a burst, tail bits included.
pub const BURST_LEN: usize = 148;
/// Data bits of a normal burst without its stealing flags (2 × 57).
pub const NORMAL_DATA_LEN: usize = 114;
/// Data bits of an SCH burst (2 × 39).
pub const SCH_DATA_LEN: usize = 78;

/// The eight normal-burst training sequences, TS 45.002 §5.2.3 table 5.2.3
/// (training sequence set 1), 26 bits each, first bit in bit 25.
pub const TRAINING_SEQUENCES: [u32; 8] = [
    0x097_0897, 0x0B7_78B7, 0x10E_E90E, 0x11E_D11E, 0x06B_906B, 0x13A_C13A, 0x29F_629F, 0x3BC_4BBC,
];

/// The SCH extended training sequence, TS 45.002 §5.2.5, 64 bits, first bit in bit 63.
pub const SCH_TRAINING: u64 = 0xB962_040F_2D45_761B;

/// Training sequence `tsc` (0–7) as 26 bits 0/1.
pub fn training_bits(tsc: u8) -> [u8; 26] {
    let t = TRAINING_SEQUENCES[usize::from(tsc & 7)];
    std::array::from_fn(|i| ((t >> (25 - i)) & 1) as u8)
}

/// The SCH extended training sequence as 64 bits 0/1.
pub fn sch_training_bits() -> [u8; 64] {
    std::array::from_fn(|i| ((SCH_TRAINING >> (63 - i)) & 1) as u8)
}

/// Data of a normal burst, stealing flags excluded (TS 45.003 §4.1.5:
/// e(B,j) = i(B,j) and e(B,59+j) = i(B,57+j), j = 0…56). Works on hard bits
/// or LLRs alike. `None` if `burst` is not 148 long.
pub fn normal_burst_data<T: Copy>(burst: &[T]) -> Option<[T; NORMAL_DATA_LEN]> {
    if burst.len() != BURST_LEN {
        return None;
    }
    let first = burst.get(3..60)?;
    let second = burst.get(88..145)?;
    let mut out = [*first.first()?; NORMAL_DATA_LEN];
    out[..57].copy_from_slice(first);
    out[57..].copy_from_slice(second);
    Some(out)
}

/// Data of an SCH burst (TS 45.003 §4.7: 78 coded bits, 39 on each side of
/// the extended training sequence).
pub fn sch_burst_data<T: Copy>(burst: &[T]) -> Option<[T; SCH_DATA_LEN]> {
    if burst.len() != BURST_LEN {
        return None;
    }
    let first = burst.get(3..42)?;
    let second = burst.get(106..145)?;
    let mut out = [*first.first()?; SCH_DATA_LEN];
    out[..39].copy_from_slice(first);
    out[39..].copy_from_slice(second);
    Some(out)
}

/// Build a normal burst from 114 data bits, training sequence `tsc` and the
/// stealing flags (both 0 on BCCH/CCCH), TS 45.002 §5.2.3.
pub fn normal_burst(data: &[u8; NORMAL_DATA_LEN], tsc: u8, hl: u8, hu: u8) -> [u8; BURST_LEN] {
    let mut b = [0u8; BURST_LEN];
    b[3..60].copy_from_slice(&data[..57]);
    b[60] = hl & 1;
    b[61..87].copy_from_slice(&training_bits(tsc));
    b[87] = hu & 1;
    b[88..145].copy_from_slice(&data[57..]);
    b
}

/// Build an SCH burst from 78 coded bits, TS 45.002 §5.2.5.
pub fn sch_burst(data: &[u8; SCH_DATA_LEN]) -> [u8; BURST_LEN] {
    let mut b = [0u8; BURST_LEN];
    b[3..42].copy_from_slice(&data[..39]);
    b[42..106].copy_from_slice(&sch_training_bits());
    b[106..145].copy_from_slice(&data[39..]);
    b
}

/// Hard bits to LLRs of magnitude `scale`: 0 → +scale, 1 → −scale (crate convention).
pub fn hard_to_llr(bits: &[u8], scale: f32, out: &mut Vec<f32>) {
    out.clear();
    out.extend(
        bits.iter()
            .map(|&b| if b & 1 == 0 { scale } else { -scale }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_roundtrip() {
        let data: [u8; NORMAL_DATA_LEN] = std::array::from_fn(|i| (i % 3 == 0) as u8);
        let b = normal_burst(&data, 0, 0, 0);
        assert_eq!(normal_burst_data(&b).unwrap(), data);
        assert_eq!(&b[..3], &[0, 0, 0]);
        assert_eq!(&b[145..], &[0, 0, 0]);
        // TSC 0 of TS 45.002: 0,0,1,0,0,1,0,1,1,1,0,0,0,0,1,0,0,0,1,0,0,1,0,1,1,1.
        assert_eq!(
            &b[61..87],
            &[0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1]
        );
        let sdata: [u8; SCH_DATA_LEN] = std::array::from_fn(|i| (i % 5 == 1) as u8);
        assert_eq!(sch_burst_data(&sch_burst(&sdata)).unwrap(), sdata);
        assert!(normal_burst_data(&[0u8; 10]).is_none());
        assert!(sch_burst_data::<f32>(&[]).is_none());
    }
}
