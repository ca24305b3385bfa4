//! Encoding of SYSTEM INFORMATION TYPE 1, 2, 3 and 4 (TS 44.018 §9.1.31,
//! §9.1.32, §9.1.35, §9.1.36) into 23-octet BCCH frames, for simulated cells
//! and loopback tests: the inverse of [`super::decode_ccch_frame`].
//!
//! Every frame is a LAPDm Bbis frame (TS 44.006): the L2 pseudo length octet
//! (§10.5.2.19: octets of the message without its rest octets, then `01`),
//! protocol discriminator RR with skip indicator 0 (§10.2, §10.3.1), the
//! message type (§10.4), the mandatory IEs, and the rest octets in CSN.1 with
//! L/H relative to the padding octet 0x2B (§10.1), padded with 0x2B.
//!
//! Input is the decoder's own model ([`towerwatch_models::gsm`]). Where a
//! model type holds a field both as coded and in units, the **coded** field is
//! encoded and the derived one is ignored: `rxlev_access_min` (not
//! `rxlev_access_min_dbm`), `temporary_offset` (not `temporary_offset_db`),
//! `penalty_time` (not `penalty_time_s`). Fields held only in units are
//! converted back and must be representable: `cell_reselect_hysteresis_db`
//! (even, 0–14), `cell_reselect_offset_db` (even, 0–126), `power_offset_db`
//! (even, 0–6), `radio_link_timeout` (4–64 in steps of 4), `bs_pa_mfrms`
//! (2–9), `max_retrans` (1, 2, 4, 7), `tx_integer_slots` (one of the 16 values
//! of §10.5.2.29). Anything else is an [`EncodeError`], never a wrong frame.
//!
//! Rest-octet flags the decoder reports as `Some(false)` or absent are sent as L.

use super::freq_list::{self, FrequencyListFormat};
use super::GsmRrError;
use towerwatch_models::gsm::{
    CellOptions, CellSelection, ControlChannel, RachControl, SelectionParameters, Si1, Si2, Si3,
    Si4,
};

/// Length of a BCCH frame, octets (TS 44.006 §5.1, the xCCH block of TS 45.003 §4.1).
pub const FRAME_LEN: usize = 23;

/// The padding octet of rest octets and unused frame octets (TS 44.018 §10.1).
const PADDING: u8 = 0x2B;

/// Why a system information message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A field has a value its coding cannot carry.
    #[error("{field} = {value} cannot be encoded")]
    Unrepresentable {
        /// Field name (model name, or TS 44.018 name).
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// The frequency list does not fit (or has channels no format can carry).
    #[error("frequency list: {0}")]
    FrequencyList(GsmRrError),
    /// Rest octets longer than the frame leaves room for.
    #[error("rest octets need {bits} bits, the frame has {room}")]
    RestOctetsTooLong {
        /// Bits the rest octets need.
        bits: usize,
        /// Bits available.
        room: usize,
    },
}

fn bad(field: &'static str, value: impl Into<i64>) -> EncodeError {
    EncodeError::Unrepresentable {
        field,
        value: value.into(),
    }
}

/// A field of `bits` bits: checked.
fn field(name: &'static str, value: u8, bits: u32) -> Result<u8, EncodeError> {
    if u32::from(value) >> bits == 0 {
        Ok(value)
    } else {
        Err(bad(name, value))
    }
}

/// An even dB figure coded as value/2 in `bits` bits.
fn half(name: &'static str, db: u8, bits: u32) -> Result<u8, EncodeError> {
    if db % 2 != 0 {
        return Err(bad(name, db));
    }
    field(name, db / 2, bits)
}

/// Bits of the rest octets, with CSN.1 L/H relative to the padding octet.
#[derive(Debug, Default)]
struct RestWriter {
    bits: Vec<u8>,
}

impl RestWriter {
    fn put(&mut self, value: u32, n: usize) {
        for i in (0..n).rev() {
            self.bits.push(((value >> i) & 1) as u8);
        }
    }
    /// An L/H bit at the current position (L = the padding bit there).
    fn lh(&mut self, h: bool) {
        let pad = (PADDING >> (7 - (self.bits.len() % 8))) & 1;
        self.bits.push(pad ^ u8::from(h));
    }
    /// The rest octets in `room` octets, the unused bits as padding.
    fn finish(self, room: usize) -> Result<Vec<u8>, EncodeError> {
        if self.bits.len() > room * 8 {
            return Err(EncodeError::RestOctetsTooLong {
                bits: self.bits.len(),
                room: room * 8,
            });
        }
        let mut out = vec![PADDING; room];
        for (i, &b) in self.bits.iter().enumerate() {
            let mask = 0x80 >> (i % 8);
            if b == 1 {
                out[i / 8] |= mask;
            } else {
                out[i / 8] &= !mask;
            }
        }
        Ok(out)
    }
}

/// Assembles a frame: pseudo length over `mandatory` (PD and MT included), rest octets after.
fn frame(
    message_type: u8,
    body: &[u8],
    rest: Option<RestWriter>,
) -> Result<[u8; FRAME_LEN], EncodeError> {
    let l3_len = 2 + body.len();
    debug_assert!(l3_len < FRAME_LEN);
    let mut f = [PADDING; FRAME_LEN];
    f[0] = ((l3_len as u8) << 2) | 0b01;
    f[1] = 0x06;
    f[2] = message_type;
    f[3..3 + body.len()].copy_from_slice(body);
    if let Some(r) = rest {
        let at = 1 + l3_len;
        let rest = r.finish(FRAME_LEN - at)?;
        f[at..].copy_from_slice(&rest);
    }
    Ok(f)
}

/// RACH Control Parameters, §10.5.2.29.
fn rach_control(r: &RachControl) -> Result<[u8; 3], EncodeError> {
    const TX_INTEGER: [u8; 16] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 25, 32, 50];
    let mr: u8 = match r.max_retrans {
        1 => 0,
        2 => 1,
        4 => 2,
        7 => 3,
        v => return Err(bad("max_retrans", v)),
    };
    let tx = TX_INTEGER
        .iter()
        .position(|&t| t == r.tx_integer_slots)
        .ok_or_else(|| bad("tx_integer_slots", r.tx_integer_slots))? as u8;
    let mut ac: u16 = 0;
    for &c in &r.barred_access_classes {
        if c == 10 || c > 15 {
            return Err(bad("barred_access_classes", c));
        }
        ac |= 1 << c;
    }
    if r.emergency_calls_restricted {
        ac |= 1 << 10;
    }
    Ok([
        (mr << 6)
            | (tx << 2)
            | (u8::from(r.cell_barred) << 1)
            | u8::from(!r.call_reestablishment_allowed),
        (ac >> 8) as u8,
        ac as u8,
    ])
}

/// Location Area Identification, TS 24.008 §10.5.1.3.
fn lai(mcc: &str, mnc: &str, lac: u16) -> Result<[u8; 5], EncodeError> {
    let digits = |s: &str, name: &'static str| -> Result<Vec<u8>, EncodeError> {
        s.bytes()
            .map(|b| {
                if b.is_ascii_digit() {
                    Ok(b - b'0')
                } else {
                    Err(bad(name, i64::from(b)))
                }
            })
            .collect()
    };
    let c = digits(mcc, "mcc")?;
    let n = digits(mnc, "mnc")?;
    if c.len() != 3 {
        return Err(bad("mcc length", c.len() as i64));
    }
    if !(2..=3).contains(&n.len()) {
        return Err(bad("mnc length", n.len() as i64));
    }
    let n3 = n.get(2).copied().unwrap_or(0x0F);
    let [l1, l2] = lac.to_be_bytes();
    Ok([
        (c[1] << 4) | c[0],
        (n3 << 4) | c[2],
        (n[1] << 4) | n[0],
        l1,
        l2,
    ])
}

/// Cell Selection Parameters, §10.5.2.4.
fn cell_selection(c: &CellSelection) -> Result<[u8; 2], EncodeError> {
    let hyst = half(
        "cell_reselect_hysteresis_db",
        c.cell_reselect_hysteresis_db,
        3,
    )?;
    let txpwr = field("ms_txpwr_max_cch", c.ms_txpwr_max_cch, 5)?;
    let rxlev = field("rxlev_access_min", c.rxlev_access_min, 6)?;
    Ok([
        (hyst << 5) | txpwr,
        (u8::from(c.acs) << 7) | (u8::from(c.neci) << 6) | rxlev,
    ])
}

/// Control Channel Description, §10.5.2.11.
fn control_channel(c: &ControlChannel) -> Result<[u8; 3], EncodeError> {
    if !matches!(c.ccch_conf, 0 | 1 | 2 | 4 | 6) {
        return Err(bad("ccch_conf", c.ccch_conf));
    }
    let ag = field("bs_ag_blks_res", c.bs_ag_blks_res, 3)?;
    let cbq3 = field("cbq3", c.cbq3, 2)?;
    if !(2..=9).contains(&c.bs_pa_mfrms) {
        return Err(bad("bs_pa_mfrms", c.bs_pa_mfrms));
    }
    Ok([
        (u8::from(c.mscr) << 7) | (u8::from(c.att) << 6) | (ag << 3) | c.ccch_conf,
        (cbq3 << 5) | (c.bs_pa_mfrms - 2),
        c.t3212_decihours,
    ])
}

/// Cell Options (BCCH), §10.5.2.3 (DN-IND, bit 8, sent as 0).
fn cell_options(o: &CellOptions) -> Result<u8, EncodeError> {
    let dtx = field("dtx", o.dtx, 2)?;
    let rlt = o.radio_link_timeout;
    if rlt % 4 != 0 || !(4..=64).contains(&rlt) {
        return Err(bad("radio_link_timeout", rlt));
    }
    Ok((u8::from(o.pwrc) << 6) | (dtx << 4) | (rlt / 4 - 1))
}

/// The 16 value octets of a frequency list IE: `format`, or the first of bit map 0,
/// range 1024, 512, 256, 128 and variable bit map that can carry `arfcns`.
fn freq16(arfcns: &[u16], format: Option<FrequencyListFormat>) -> Result<Vec<u8>, EncodeError> {
    use FrequencyListFormat::*;
    let candidates: &[FrequencyListFormat] = match &format {
        Some(f) => std::slice::from_ref(f),
        None => &[
            BitMap0,
            Range1024,
            Range512,
            Range256,
            Range128,
            VariableBitMap,
        ],
    };
    let mut last = None;
    for &f in candidates {
        match freq_list::encode(arfcns, f, 16) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(EncodeError::FrequencyList(last.unwrap_or(
        GsmRrError::Invalid {
            field: "frequency list",
            value: 0,
        },
    )))
}

/// Optional selection parameters and optional power offset, §10.5.2.34 / §10.5.2.35.
/// The selection parameters are sent when `cbq` is present (then CRO, TEMPORARY_OFFSET
/// and PENALTY_TIME default to 0 when absent).
fn selection_params(w: &mut RestWriter, s: &SelectionParameters) -> Result<(), EncodeError> {
    match s.cbq {
        Some(cbq) => {
            w.lh(true);
            w.put(u32::from(field("cbq", cbq, 1)?), 1);
            let cro = half(
                "cell_reselect_offset_db",
                s.cell_reselect_offset_db.unwrap_or(0),
                6,
            )?;
            w.put(u32::from(cro), 6);
            let to = field("temporary_offset", s.temporary_offset.unwrap_or(0), 3)?;
            w.put(u32::from(to), 3);
            let pt = field("penalty_time", s.penalty_time.unwrap_or(0), 5)?;
            w.put(u32::from(pt), 5);
        }
        None => w.lh(false),
    }
    match s.power_offset_db {
        Some(p) => {
            w.lh(true);
            w.put(u32::from(half("power_offset_db", p, 2)?), 2);
        }
        None => w.lh(false),
    }
    Ok(())
}

/// GPRS Indicator (§10.5.2.34): sent when `gprs_ra_colour` is present.
fn gprs_indicator(w: &mut RestWriter, s: &SelectionParameters) -> Result<(), EncodeError> {
    match s.gprs_ra_colour {
        Some(c) => {
            w.lh(true);
            w.put(u32::from(field("gprs_ra_colour", c, 3)?), 3);
            w.put(
                u32::from(field("si13_position", s.si13_position.unwrap_or(0), 1)?),
                1,
            );
        }
        None => w.lh(false),
    }
    Ok(())
}

/// SYSTEM INFORMATION TYPE 1 (§9.1.31): Cell Channel Description (§10.5.2.1b) in
/// `format` (`None`: the first format that fits), RACH control, SI1 rest octets
/// (§10.5.2.32: NCH position, band indicator).
pub fn si1(si: &Si1, format: Option<FrequencyListFormat>) -> Result<[u8; FRAME_LEN], EncodeError> {
    let mut body = freq16(&si.cell_channels, format)?;
    body.extend_from_slice(&rach_control(&si.rach)?);
    let mut w = RestWriter::default();
    match si.nch_position {
        Some(p) => {
            w.lh(true);
            w.put(u32::from(field("nch_position", p, 5)?), 5);
        }
        None => w.lh(false),
    }
    match si.band_indicator.as_deref() {
        None | Some("dcs1800") => w.lh(false),
        Some("pcs1900") => w.lh(true),
        Some(_) => return Err(bad("band_indicator", -1)),
    }
    frame(0x19, &body, Some(w))
}

/// SYSTEM INFORMATION TYPE 2 (§9.1.32): Neighbour Cell Description (§10.5.2.22:
/// EXT-IND, BA-IND, the BCCH allocation in `format` or the first that fits), NCC
/// permitted (§10.5.2.27), RACH control. SI2 has no rest octets.
pub fn si2(si: &Si2, format: Option<FrequencyListFormat>) -> Result<[u8; FRAME_LEN], EncodeError> {
    let mut body = freq16(&si.neighbours, format)?;
    body[0] |= (u8::from(si.ext_ind) << 5) | (field("ba_ind", si.ba_ind, 1)? << 4);
    body.push(si.ncc_permitted);
    body.extend_from_slice(&rach_control(&si.rach)?);
    frame(0x1A, &body, None)
}

/// SYSTEM INFORMATION TYPE 3 (§9.1.35): Cell identity (§10.5.1.1), LAI, Control
/// Channel Description, Cell Options, Cell Selection Parameters, RACH control and
/// SI3 rest octets (§10.5.2.34: optional selection parameters, optional power
/// offset, SI2ter indicator, early classmark sending, scheduling, GPRS indicator,
/// 3G early classmark sending restriction, SI2quater indicator).
pub fn si3(si: &Si3) -> Result<[u8; FRAME_LEN], EncodeError> {
    let mut body = si.cell_identity.to_be_bytes().to_vec();
    body.extend_from_slice(&lai(&si.mcc, &si.mnc, si.lac)?);
    body.extend_from_slice(&control_channel(&si.control_channel)?);
    body.push(cell_options(&si.cell_options)?);
    body.extend_from_slice(&cell_selection(&si.cell_selection)?);
    body.extend_from_slice(&rach_control(&si.rach)?);
    let mut w = RestWriter::default();
    selection_params(&mut w, &si.selection)?;
    w.lh(si.si2ter_indicator == Some(true));
    w.lh(si.early_classmark_sending == Some(true));
    match si.scheduling_where {
        Some(x) => {
            w.lh(true);
            w.put(u32::from(field("scheduling_where", x, 3)?), 3);
        }
        None => w.lh(false),
    }
    gprs_indicator(&mut w, &si.selection)?;
    w.lh(si.early_classmark_restriction_3g == Some(true));
    if si.si2quater_indicator == Some(true) {
        w.lh(true);
        w.put(
            u32::from(field(
                "si2quater_position",
                si.si2quater_position.unwrap_or(0),
                1,
            )?),
            1,
        );
    } else {
        w.lh(false);
    }
    frame(0x1B, &body, Some(w))
}

/// SYSTEM INFORMATION TYPE 4 (§9.1.36): LAI, Cell Selection Parameters, RACH
/// control, and with `cbch_present` a CBCH Channel Description (TV, IEI 0x64,
/// §10.5.2.5) — the model keeps no channel details, so a fixed one is sent:
/// SDCCH/4 sub-channel 2 on timeslot 0, training sequence 0, no hopping, ARFCN 0 —
/// then SI4 rest octets (§10.5.2.35: optional selection parameters, optional
/// power offset, GPRS indicator).
pub fn si4(si: &Si4) -> Result<[u8; FRAME_LEN], EncodeError> {
    let mut body = lai(&si.mcc, &si.mnc, si.lac)?.to_vec();
    body.extend_from_slice(&cell_selection(&si.cell_selection)?);
    body.extend_from_slice(&rach_control(&si.rach)?);
    if si.cbch_present {
        // Channel type and TDMA offset 00110 (SDCCH/4 + SACCH/C4, sub-channel 2), TN 0;
        // TSC 0, H 0, ARFCN 0 (§10.5.2.5).
        body.extend_from_slice(&[0x64, 0b0011_0000, 0x00, 0x00]);
    }
    let mut w = RestWriter::default();
    selection_params(&mut w, &si.selection)?;
    gprs_indicator(&mut w, &si.selection)?;
    frame(0x1C, &body, Some(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_writer_pads_with_2b_and_codes_lh_against_it() {
        let mut w = RestWriter::default();
        // L at bit 0 (pad 0) = 0, H at bit 1 (pad 0) = 1, H at bit 2 (pad 1) = 0.
        w.lh(false);
        w.lh(true);
        w.lh(true);
        assert_eq!(w.finish(2).unwrap(), vec![0b0100_1011, 0x2B]);
        let mut w = RestWriter::default();
        w.put(0x1FF, 9);
        assert!(matches!(
            w.finish(1),
            Err(EncodeError::RestOctetsTooLong { bits: 9, room: 8 })
        ));
    }

    #[test]
    fn lai_digits_and_filler() {
        assert_eq!(
            lai("262", "02", 318).unwrap(),
            [0x62, 0xF2, 0x20, 0x01, 0x3E]
        );
        assert_eq!(
            lai("310", "410", 0xFFFE).unwrap(),
            [0x13, 0x00, 0x14, 0xFF, 0xFE]
        );
        assert!(lai("26", "02", 1).is_err());
        assert!(lai("262", "0x", 1).is_err());
        assert!(lai("262", "1234", 1).is_err());
    }

    #[test]
    fn unrepresentable_values_are_errors() {
        let mut r = RachControl {
            max_retrans: 4,
            tx_integer_slots: 32,
            ..RachControl::default()
        };
        assert_eq!(rach_control(&r).unwrap(), [0xB9, 0x00, 0x00]);
        r.max_retrans = 3;
        assert_eq!(
            rach_control(&r),
            Err(EncodeError::Unrepresentable {
                field: "max_retrans",
                value: 3
            })
        );
        r.max_retrans = 1;
        r.tx_integer_slots = 13;
        assert!(rach_control(&r).is_err());
        r.tx_integer_slots = 3;
        r.barred_access_classes = vec![10];
        assert!(rach_control(&r).is_err());
        let c = CellSelection {
            cell_reselect_hysteresis_db: 3,
            ..CellSelection::default()
        };
        assert!(cell_selection(&c).is_err());
        let o = CellOptions {
            radio_link_timeout: 6,
            ..CellOptions::default()
        };
        assert!(cell_options(&o).is_err());
        let cc = ControlChannel {
            ccch_conf: 3,
            bs_pa_mfrms: 2,
            ..ControlChannel::default()
        };
        assert!(control_channel(&cc).is_err());
    }
}
