//! Timeslot 0 of the BCCH carrier in the 51-multiframe, TS 45.002 §7 table 3
//! (channel combinations IV: FCCH + SCH + BCCH + CCCH, and V: the same with
//! SDCCH/4 + SACCH/4), and the BCCH TC of §6.3.1.3.

/// What timeslot 0 of the BCCH carrier carries in a TDMA frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ts0Channel {
    /// Frequency correction burst.
    Fcch,
    /// Synchronization burst.
    Sch,
    /// BCCH Norm (FN mod 51 = 2…5).
    Bcch,
    /// CCCH block `block` (0 = FN mod 51 6…9; it may carry BCCH Ext).
    Ccch {
        /// Block index in the multiframe (0–8, or 0–2 when combined).
        block: u8,
    },
    /// SDCCH/4 subchannel (combined configuration only).
    Sdcch4 {
        /// Subchannel 0–3.
        subchannel: u8,
    },
    /// SACCH/4 of two subchannels (combined configuration only).
    Sacch4 {
        /// Which SACCH block (0 or 1) of this multiframe.
        block: u8,
    },
    /// The idle frame (FN mod 51 = 50).
    Idle,
}

/// A timeslot-0 frame's channel and the burst's place (0–3) in its 4-burst block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ts0Slot {
    /// The channel.
    pub channel: Ts0Channel,
    /// Burst index within the block (0 for FCCH, SCH and idle).
    pub burst: u8,
}

/// The channel of timeslot 0 in frame `fnum`. `combined` is CCCH_CONF = 1
/// (one basic CCCH combined with SDCCH/4).
pub fn ts0_slot(fnum: u32, combined: bool) -> Ts0Slot {
    let t3 = (fnum % 51) as u8;
    let single = |channel| Ts0Slot { channel, burst: 0 };
    if t3 == 50 {
        return single(Ts0Channel::Idle);
    }
    match t3 % 10 {
        0 => return single(Ts0Channel::Fcch),
        1 => return single(Ts0Channel::Sch),
        _ => {}
    }
    // Blocks start at 2, 6, 12, 16, 22, 26, 32, 36, 42, 46.
    let decade = t3 / 10;
    let (start_index, burst) = if t3 % 10 < 6 {
        (0, t3 % 10 - 2)
    } else {
        (1, t3 % 10 - 6)
    };
    let index = decade * 2 + start_index; // 0 = BCCH, 1..=9 = the following blocks
    let channel = match index {
        0 => Ts0Channel::Bcch,
        i if !combined => Ts0Channel::Ccch { block: i - 1 },
        i @ 1..=3 => Ts0Channel::Ccch { block: i - 1 },
        i @ 4..=7 => Ts0Channel::Sdcch4 { subchannel: i - 4 },
        i => Ts0Channel::Sacch4 { block: i - 8 },
    };
    Ts0Slot { channel, burst }
}

/// BCCH TC = (FN div 51) mod 8, which SI type BCCH Norm carries (TS 45.002 §6.3.1.3:
/// 0 SI1, 1 SI2, 2 and 6 SI3, 3 and 7 SI4, 4 and 5 others such as SI2ter/SI2quater/SI13).
pub fn bcch_tc(fnum: u32) -> u8 {
    ((fnum / 51) % 8) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_3_layout() {
        let c = |t3: u32| ts0_slot(51 * 1000 + t3, false);
        assert_eq!(c(0).channel, Ts0Channel::Fcch);
        assert_eq!(c(41).channel, Ts0Channel::Sch);
        assert_eq!(
            c(2),
            Ts0Slot {
                channel: Ts0Channel::Bcch,
                burst: 0
            }
        );
        assert_eq!(
            c(5),
            Ts0Slot {
                channel: Ts0Channel::Bcch,
                burst: 3
            }
        );
        assert_eq!(
            c(6),
            Ts0Slot {
                channel: Ts0Channel::Ccch { block: 0 },
                burst: 0
            }
        );
        assert_eq!(c(12).channel, Ts0Channel::Ccch { block: 1 });
        assert_eq!(
            c(49),
            Ts0Slot {
                channel: Ts0Channel::Ccch { block: 8 },
                burst: 3
            }
        );
        assert_eq!(c(50).channel, Ts0Channel::Idle);
        let k = |t3: u32| ts0_slot(t3, true).channel;
        assert_eq!(k(19), Ts0Channel::Ccch { block: 2 });
        assert_eq!(k(22), Ts0Channel::Sdcch4 { subchannel: 0 });
        assert_eq!(k(39), Ts0Channel::Sdcch4 { subchannel: 3 });
        assert_eq!(k(42), Ts0Channel::Sacch4 { block: 0 });
        assert_eq!(k(49), Ts0Channel::Sacch4 { block: 1 });
        assert_eq!(bcch_tc(51 * 8 + 3), 0);
    }
}
