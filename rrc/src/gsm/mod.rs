//! GSM RR messages on BCCH and CCCH, TS 44.018 §9.1 and §10.
//!
//! Input is what the channel decoder delivers: a 23-octet LAPDm Bbis frame,
//! i.e. the L2 pseudo length octet (§10.5.2.19) followed by the L3 message
//! (protocol discriminator and skip indicator §10.2–10.3, message type §10.4)
//! and its rest octets. System information types 1, 2, 2bis, 2ter, 2quater, 3,
//! 4 and 13 are decoded into `towerwatch_models::gsm` types; paging requests
//! and immediate assignments are identified (paging identities are counted
//! by type, never kept); other RR messages are named.
//!
//! Every function takes attacker-controlled bytes: malformed input returns a
//! [`GsmRrError`], never a panic.

mod bits;
mod ccch;
pub mod encode;
pub mod freq_list;
mod si;

pub use ccch::{MobileIdentityKind, PagingRequest};
pub use freq_list::{FrequencyList, FrequencyListFormat};

use towerwatch_models::gsm::{GsmSystemInfo, Si1, Si13, Si2, Si2bis, Si2quater, Si2ter, Si3, Si4};

/// Why an RR message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GsmRrError {
    /// The message is shorter than its mandatory part.
    #[error("message too short: need {need} octets, got {got}")]
    TooShort {
        /// Octets the mandatory part needs.
        need: usize,
        /// Octets present.
        got: usize,
    },
    /// The first octet is no L2 pseudo length (bits 2–1 must be `01`, §10.5.2.19).
    #[error("not an L2 pseudo length octet: {0:#04x}")]
    BadPseudoLength(u8),
    /// The protocol discriminator is not RR (6).
    #[error("protocol discriminator {0} is not radio resources management")]
    NotRr(u8),
    /// A non-zero skip indicator: the message must be ignored (§10.3.1).
    #[error("skip indicator {0} is not zero")]
    SkipIndicator(u8),
    /// A field has a value the specification reserves.
    #[error("invalid {field}: {value}")]
    Invalid {
        /// Field name as in TS 44.018.
        field: &'static str,
        /// The value found.
        value: u32,
    },
    /// A bit field runs past the end of the data.
    #[error("truncated at bit {bit}")]
    Truncated {
        /// Bit position of the end.
        bit: usize,
    },
}

/// A decoded RR message from BCCH or CCCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RrMessage {
    /// An L2 fill frame (pseudo length 0, then 0x2B padding).
    Fill,
    /// SYSTEM INFORMATION TYPE 1.
    Si1(Si1),
    /// SYSTEM INFORMATION TYPE 2.
    Si2(Si2),
    /// SYSTEM INFORMATION TYPE 2bis.
    Si2bis(Si2bis),
    /// SYSTEM INFORMATION TYPE 2ter.
    Si2ter(Si2ter),
    /// SYSTEM INFORMATION TYPE 2quater.
    Si2quater(Si2quater),
    /// SYSTEM INFORMATION TYPE 3.
    Si3(Si3),
    /// SYSTEM INFORMATION TYPE 4.
    Si4(Si4),
    /// SYSTEM INFORMATION TYPE 13.
    Si13(Si13),
    /// PAGING REQUEST TYPE 1, 2 or 3 (§9.1.22–9.1.24).
    Paging(PagingRequest),
    /// IMMEDIATE ASSIGNMENT (§9.1.18).
    ImmediateAssignment,
    /// IMMEDIATE ASSIGNMENT EXTENDED (§9.1.19).
    ImmediateAssignmentExtended,
    /// IMMEDIATE ASSIGNMENT REJECT (§9.1.20).
    ImmediateAssignmentReject,
    /// Another RR message, identified by its type (§10.4).
    Other {
        /// Message type octet.
        message_type: u8,
        /// Its name, or `"unknown"`.
        name: &'static str,
    },
}

impl RrMessage {
    /// The message's name as in TS 44.018 §10.4 (`"SYSTEM INFORMATION TYPE 3"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Fill => "L2 fill frame",
            Self::Si1(_) => message_name(0x19),
            Self::Si2(_) => message_name(0x1A),
            Self::Si2bis(_) => message_name(0x02),
            Self::Si2ter(_) => message_name(0x03),
            Self::Si2quater(_) => message_name(0x07),
            Self::Si3(_) => message_name(0x1B),
            Self::Si4(_) => message_name(0x1C),
            Self::Si13(_) => message_name(0x00),
            Self::Paging(p) => match p.paging_type {
                1 => message_name(0x21),
                2 => message_name(0x22),
                _ => message_name(0x24),
            },
            Self::ImmediateAssignment => message_name(0x3F),
            Self::ImmediateAssignmentExtended => message_name(0x39),
            Self::ImmediateAssignmentReject => message_name(0x3A),
            Self::Other { name, .. } => name,
        }
    }
}

/// Names of the RR message types that appear on BCCH, CCCH and SACCH (§10.4, table 10.4.1).
pub fn message_name(message_type: u8) -> &'static str {
    match message_type {
        0x00 => "SYSTEM INFORMATION TYPE 13",
        0x02 => "SYSTEM INFORMATION TYPE 2bis",
        0x03 => "SYSTEM INFORMATION TYPE 2ter",
        0x04 => "SYSTEM INFORMATION TYPE 9",
        0x05 => "SYSTEM INFORMATION TYPE 5bis",
        0x06 => "SYSTEM INFORMATION TYPE 5ter",
        0x07 => "SYSTEM INFORMATION TYPE 2quater",
        0x18 => "SYSTEM INFORMATION TYPE 8",
        0x19 => "SYSTEM INFORMATION TYPE 1",
        0x1A => "SYSTEM INFORMATION TYPE 2",
        0x1B => "SYSTEM INFORMATION TYPE 3",
        0x1C => "SYSTEM INFORMATION TYPE 4",
        0x1D => "SYSTEM INFORMATION TYPE 5",
        0x1E => "SYSTEM INFORMATION TYPE 6",
        0x1F => "SYSTEM INFORMATION TYPE 7",
        0x20 => "NOTIFICATION/NCH",
        0x21 => "PAGING REQUEST TYPE 1",
        0x22 => "PAGING REQUEST TYPE 2",
        0x24 => "PAGING REQUEST TYPE 3",
        0x39 => "IMMEDIATE ASSIGNMENT EXTENDED",
        0x3A => "IMMEDIATE ASSIGNMENT REJECT",
        0x3D => "SYSTEM INFORMATION TYPE 16",
        0x3E => "SYSTEM INFORMATION TYPE 17",
        0x3F => "IMMEDIATE ASSIGNMENT",
        _ => "unknown",
    }
}

/// Decode a BCCH/CCCH block: the 23-octet L2 frame that starts with the L2
/// pseudo length octet (TS 44.006 Bbis format, TS 44.018 §10.5.2.19).
pub fn decode_ccch_frame(frame: &[u8]) -> Result<RrMessage, GsmRrError> {
    let first = *frame
        .first()
        .ok_or(GsmRrError::TooShort { need: 3, got: 0 })?;
    if first & 0b11 != 0b01 {
        return Err(GsmRrError::BadPseudoLength(first));
    }
    let pseudo_len = usize::from(first >> 2);
    let l3 = frame.get(1..).unwrap_or(&[]);
    if pseudo_len == 0 && l3.first() == Some(&bits::PADDING) {
        return Ok(RrMessage::Fill);
    }
    decode_l3(l3, Some(pseudo_len))
}

/// Decode an RR message from its L3 octets (protocol discriminator first).
///
/// `pseudo_len` is the L2 pseudo length where the message came with one: it
/// tells where optional IEs end and rest octets begin. Without it every octet
/// may hold optional IEs.
pub fn decode_l3(l3: &[u8], pseudo_len: Option<usize>) -> Result<RrMessage, GsmRrError> {
    if l3.len() < 2 {
        return Err(GsmRrError::TooShort {
            need: 2,
            got: l3.len(),
        });
    }
    let pd_octet = l3[0];
    let pd = pd_octet & 0x0F;
    if pd != 0x06 {
        return Err(GsmRrError::NotRr(pd));
    }
    let skip = pd_octet >> 4;
    if skip != 0 {
        return Err(GsmRrError::SkipIndicator(skip));
    }
    let mt = l3[1];
    let body = &l3[2..];
    // Octets of the body that are inside the pseudo length (PD and MT count).
    let body_len = pseudo_len.map_or(body.len(), |p| p.saturating_sub(2).min(body.len()));
    Ok(match mt {
        0x19 => RrMessage::Si1(si::si1(body)?),
        0x1A => RrMessage::Si2(si::si2(body)?),
        0x02 => RrMessage::Si2bis(si::si2bis(body)?),
        0x03 => RrMessage::Si2ter(si::si2ter(body)?),
        0x07 => RrMessage::Si2quater(si::si2quater(body)?),
        0x1B => RrMessage::Si3(si::si3(body)?),
        0x1C => RrMessage::Si4(si::si4(body, body_len)?),
        0x00 => RrMessage::Si13(si::si13(body)),
        0x21 => RrMessage::Paging(ccch::paging1(body, body_len)?),
        0x22 => RrMessage::Paging(ccch::paging2(body, body_len)?),
        0x24 => RrMessage::Paging(ccch::paging3(body)?),
        0x3F => RrMessage::ImmediateAssignment,
        0x39 => RrMessage::ImmediateAssignmentExtended,
        0x3A => RrMessage::ImmediateAssignmentReject,
        _ => RrMessage::Other {
            message_type: mt,
            name: message_name(mt),
        },
    })
}

/// Store a decoded system information message in a cell's [`GsmSystemInfo`]
/// (the latest instance of each type wins). Returns whether it was SI.
pub fn apply(info: &mut GsmSystemInfo, msg: RrMessage) -> bool {
    match msg {
        RrMessage::Si1(m) => info.si1 = Some(m),
        RrMessage::Si2(m) => info.si2 = Some(m),
        RrMessage::Si2bis(m) => info.si2bis = Some(m),
        RrMessage::Si2ter(m) => info.si2ter = Some(m),
        RrMessage::Si2quater(m) => info.si2quater = Some(m),
        RrMessage::Si3(m) => info.si3 = Some(m),
        RrMessage::Si4(m) => info.si4 = Some(m),
        RrMessage::Si13(m) => info.si13 = Some(m),
        _ => return false,
    }
    true
}

/// Decode a sequence of BCCH frames into one cell's system information,
/// skipping frames that do not decode. Returns the SI and how many frames failed.
pub fn collect_system_info<'a, I>(frames: I) -> (GsmSystemInfo, usize)
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut info = GsmSystemInfo::default();
    let mut failed = 0;
    for f in frames {
        match decode_ccch_frame(f) {
            Ok(m) => {
                apply(&mut info, m);
            }
            Err(_) => failed += 1,
        }
    }
    (info, failed)
}
