//! LTE RRC system information on BCCH-DL-SCH, TS 36.331 §6.2.1 (`BCCH-DL-SCH-Message`),
//! §6.2.2 (`SystemInformation`, `SystemInformationBlockType1`) and §6.3.1
//! (`SystemInformationBlockType2` … `Type8`), unaligned PER (ITU-T X.691).
//!
//! Decoding uses the types generated from the 36.331 ASN.1 in `types_lte_3gpp`
//! (hampi's `asn1-codecs`), except where [`asn`] documents a correction. Decoded
//! values are mapped into [`towerwatch_models::system_info`] with the units its
//! field names say; the conversion rules are those of the field descriptions in
//! §6.3.1/§6.3.4 and TS 36.304 (e.g. `q-RxLevMin` × 2 dBm, `ReselectionThreshold`
//! × 2 dB, UTRA `q-RxLevMin` × 2 + 1 dBm, GERAN `q-RxLevMin` × 2 − 115 dBm).
//!
//! Input is attacker-controlled radio data: malformed input returns an
//! [`LteRrcError`], never a panic (see [`decode_bcch_dl_sch`] for how that is
//! guaranteed around the generated decoder).

mod asn;
mod encode;
mod map;

pub use encode::{encode_sib1, encode_system_information, SiSib};

use towerwatch_models::system_info::{Sib1, Sib2, Sib3, Sib4, Sib5, Sib6, Sib7, Sib8};

/// Why a BCCH-DL-SCH PDU could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LteRrcError {
    /// No bytes at all.
    #[error("empty PDU")]
    Empty,
    /// The PDU is longer than any BCCH-DL-SCH transport block (TBS ≤ 2216 bits for SI-RNTI, TS 36.213 §7.1.7).
    #[error("PDU of {0} octets is longer than a BCCH-DL-SCH transport block")]
    TooLong(usize),
    /// The unaligned-PER decoder rejected the bits.
    #[error("UPER decode: {0}")]
    Per(String),
    /// The generated decoder panicked on this input (caught; see [`decode_bcch_dl_sch`]).
    #[error("UPER decoder failed on malformed input")]
    DecoderPanic,
    /// `messageClassExtension`: a message class this release does not define.
    #[error("BCCH-DL-SCH messageClassExtension")]
    MessageClassExtension,
    /// `SystemInformation` with `criticalExtensionsFuture`.
    #[error("SystemInformation criticalExtensionsFuture")]
    CriticalExtensionsFuture,
    /// The first PLMN identity of SIB1 has no MCC (§6.3.4 `PLMN-Identity`: it must).
    #[error("first PLMN identity has no MCC")]
    MissingMcc,
    /// A constrained field decoded to a value outside its ASN.1 range (the UPER
    /// bits can express more values than the type allows: a malformed PDU).
    #[error("{field} = {value} is outside its ASN.1 range")]
    OutOfRange {
        /// The ASN.1 field.
        field: &'static str,
        /// The decoded value.
        value: i64,
    },
    /// A value cannot be expressed in the ASN.1 (encoder only).
    #[error("cannot encode {field} = {value}")]
    Unencodable {
        /// The models field.
        field: &'static str,
        /// The offending value, as text.
        value: String,
    },
}

impl From<asn1_codecs::PerCodecError> for LteRrcError {
    fn from(e: asn1_codecs::PerCodecError) -> Self {
        LteRrcError::Per(e.to_string())
    }
}

/// Which `BCCH-DL-SCH-Message` alternative a PDU was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BcchMessageKind {
    /// `systemInformationBlockType1`.
    #[default]
    Sib1,
    /// `systemInformation` (one SI message carrying SIB2 … SIB29).
    SystemInformation,
}

/// A SIB carried in a SystemInformation message that is not mapped into `models`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherSib {
    /// SIB type number (9 … 29; SIB26a is reported as 26).
    pub sib_type: u8,
    /// The SIB's own UPER encoding, re-encoded from the decoded value (empty when
    /// the generated encoder does not support it); the PDU itself is in [`LteBcch::pdu`].
    pub uper: Vec<u8>,
}

/// One decoded `BCCH-DL-SCH-Message`: SIB1, or the SIBs of one SystemInformation message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LteBcch {
    /// SIB1 or SystemInformation.
    pub kind: BcchMessageKind,
    /// SIB type numbers present, in message order (`[1]` for SIB1).
    pub sib_types: Vec<u8>,
    /// SIB1.
    pub sib1: Option<Sib1>,
    /// SIB2.
    pub sib2: Option<Sib2>,
    /// SIB3.
    pub sib3: Option<Sib3>,
    /// SIB4.
    pub sib4: Option<Sib4>,
    /// SIB5.
    pub sib5: Option<Sib5>,
    /// SIB6.
    pub sib6: Option<Sib6>,
    /// SIB7.
    pub sib7: Option<Sib7>,
    /// SIB8.
    pub sib8: Option<Sib8>,
    /// SIB9 and later, not mapped.
    pub other: Vec<OtherSib>,
    /// The PDU as given (including any MAC padding after the RRC message).
    pub pdu: Vec<u8>,
}

/// Largest transport block BCCH-DL-SCH can carry, in octets: DCI 1C's largest
/// TBS is 1736 bits and DCI 1A with SI-RNTI allows I_TBS ≤ 6 over N_PRB^1A ≤ 3
/// (2216 bits would be a generous bound; we accept up to 2 kB of input so that a
/// caller may pass a whole transport block with padding).
pub const MAX_PDU_OCTETS: usize = 2048;

/// Decodes one `BCCH-DL-SCH-Message` (UPER bytes; trailing MAC padding is ignored).
///
/// Never panics. The generated decoder checks every read against the end of
/// the buffer, but it is third-party generated code with arithmetic on decoded
/// lengths (`octets * 8`, offsets) that is not proven panic-free; as a last
/// resort the call is wrapped in [`std::panic::catch_unwind`], so a panic in
/// it becomes [`LteRrcError::DecoderPanic`] (the unwind leaves no shared state
/// behind: the decoder owns its buffer). Input longer than
/// [`MAX_PDU_OCTETS`] is refused before decoding, which bounds the work and
/// memory of one call.
pub fn decode_bcch_dl_sch(bytes: &[u8]) -> Result<LteBcch, LteRrcError> {
    if bytes.is_empty() {
        return Err(LteRrcError::Empty);
    }
    if bytes.len() > MAX_PDU_OCTETS {
        return Err(LteRrcError::TooLong(bytes.len()));
    }
    let decoded = std::panic::catch_unwind(|| asn::decode_message(bytes))
        .map_err(|_| LteRrcError::DecoderPanic)??;
    let mut out = LteBcch {
        pdu: bytes.to_vec(),
        ..LteBcch::default()
    };
    match decoded {
        asn::BcchDlSchAsn::MessageClassExtension => return Err(LteRrcError::MessageClassExtension),
        asn::BcchDlSchAsn::Sib1(s) => {
            out.kind = BcchMessageKind::Sib1;
            out.sib_types.push(1);
            out.sib1 = Some(map::sib1(&s)?);
        }
        asn::BcchDlSchAsn::SystemInformation(si) => {
            out.kind = BcchMessageKind::SystemInformation;
            map::system_information(*si, &mut out)?;
        }
    }
    Ok(out)
}
