//! The BCCH-DL-SCH message of TS 36.331 §6.2.1 and the parts of
//! `SystemInformationBlockType1` (§6.2.2) that the generated `types_lte_3gpp`
//! code gets wrong, re-declared here with the same derive.
//!
//! The generated decoder reads an extensible ENUMERATED's extension additions as
//! their index (`asn1_codecs_derive` drops the "extended" flag), so `SIB-Type`
//! values after the root (`sibType19-v1250` … `sibType29-v1610`) would read as
//! `sibType3` … `sibType12`. [`SibTypeAsn`] keeps the flag; [`Sib1Asn`] is the
//! generated `SystemInformationBlockType1` with its scheduling list built from it.
//! Everything else is the generated code, unchanged.

use asn1_codecs::uper::UperCodec;
use asn1_codecs::{PerCodecData, PerCodecError, PerCodecErrorCause};
use types_lte_3gpp::uper::spec_rrc as rrc;
// The derive resolves field types by their last path segment: import them by name.
use rrc::{
    FreqBandIndicator, P_Max, SI_Periodicity_r12, SystemInformationBlockType1CellAccessRelatedInfo,
    SystemInformationBlockType1CellSelectionInfo, SystemInformationBlockType1Si_WindowLength,
    SystemInformationBlockType1SystemInfoValueTag, SystemInformationBlockType1_v890_IEs,
    TDD_Config,
};

/// `SIB-Type` (§6.3.1): index into the root list or, with `extended`, into the additions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SibTypeAsn {
    /// Root index (0 = sibType3 … 15 = sibType18-v1250) or addition index.
    pub index: u8,
    /// Whether `index` counts the extension additions (0 = sibType19-v1250).
    pub extended: bool,
}

/// Root values of `SIB-Type`: `sibType3` … `sibType18-v1250`.
const SIB_TYPE_ROOT_MAX: i128 = 15;

/// SIB numbers of the `SIB-Type` extension additions in TS 36.331 (v16 ASN.1):
/// sibType19-v1250, 20-v1310, 21-v1430, 24-v1530, 25-v1530, 26-v1530,
/// 26a-v1610 (reported as 26), 27-v1610, 28-v1610, 29-v1610.
const SIB_TYPE_ADDITIONS: [u8; 10] = [19, 20, 21, 24, 25, 26, 26, 27, 28, 29];

impl SibTypeAsn {
    /// The SIB number this value names; `None` for an addition this release does not know.
    pub fn sib_number(self) -> Option<u8> {
        if self.extended {
            SIB_TYPE_ADDITIONS.get(usize::from(self.index)).copied()
        } else if i128::from(self.index) <= SIB_TYPE_ROOT_MAX {
            Some(self.index + 3)
        } else {
            None
        }
    }

    /// The encoding of SIB number `n` (3 … 29); `None` if `SIB-Type` has no such value.
    pub fn from_sib_number(n: u8) -> Option<Self> {
        match n {
            3..=18 => Some(Self {
                index: n - 3,
                extended: false,
            }),
            _ => SIB_TYPE_ADDITIONS
                .iter()
                .position(|&x| x == n)
                .map(|i| Self {
                    index: i as u8,
                    extended: true,
                }),
        }
    }
}

impl UperCodec for SibTypeAsn {
    type Output = Self;

    fn uper_decode(data: &mut PerCodecData) -> Result<Self, PerCodecError> {
        let (v, extended) = asn1_codecs::uper::decode::decode_enumerated(
            data,
            Some(0),
            Some(SIB_TYPE_ROOT_MAX),
            true,
        )?;
        let index = u8::try_from(v).map_err(|_| {
            PerCodecError::new(PerCodecErrorCause::Generic, "SIB-Type index out of range")
        })?;
        Ok(Self { index, extended })
    }

    fn uper_encode(&self, data: &mut PerCodecData) -> Result<(), PerCodecError> {
        use asn1_codecs::uper::encode::{encode_bool, encode_enumerated, encode_integer};
        if !self.extended {
            return encode_enumerated(
                data,
                Some(0),
                Some(SIB_TYPE_ROOT_MAX),
                true,
                i128::from(self.index),
                false,
            );
        }
        // The codec cannot encode an extension addition: X.691 §14.3 writes the
        // extension bit, then the index as a normally small non-negative whole
        // number (§10.6: a 0 bit and 6 bits while the index is below 64).
        if self.index > 63 {
            return Err(PerCodecError::new(
                PerCodecErrorCause::EncodeNotSupported,
                "SIB-Type addition index > 63",
            ));
        }
        encode_bool(data, true)?;
        encode_bool(data, false)?;
        encode_integer(
            data,
            Some(0),
            Some(63),
            false,
            i128::from(self.index),
            false,
        )
    }
}

// `SIB-MappingInfo ::= SEQUENCE (SIZE (0..maxSIB-1)) OF SIB-Type`.
#[derive(asn1_codecs_derive::UperCodec, Debug)]
#[asn(type = "SEQUENCE-OF", sz_extensible = false, sz_lb = "0", sz_ub = "31")]
pub(crate) struct SibMappingInfoAsn(pub Vec<SibTypeAsn>);

// `SchedulingInfo` (§6.2.2, SystemInformationBlockType1).
#[derive(asn1_codecs_derive::UperCodec, Debug)]
#[asn(type = "SEQUENCE", extensible = false)]
pub(crate) struct SchedulingInfoAsn {
    pub si_periodicity: SI_Periodicity_r12,
    pub sib_mapping_info: SibMappingInfoAsn,
}

// `SchedulingInfoList ::= SEQUENCE (SIZE (1..maxSI-Message)) OF SchedulingInfo`.
#[derive(asn1_codecs_derive::UperCodec, Debug)]
#[asn(type = "SEQUENCE-OF", sz_extensible = false, sz_lb = "1", sz_ub = "32")]
pub(crate) struct SchedulingInfoListAsn(pub Vec<SchedulingInfoAsn>);

// `SystemInformationBlockType1` (§6.2.2) as generated, with [`SchedulingInfoListAsn`].
#[derive(asn1_codecs_derive::UperCodec, Debug)]
#[asn(type = "SEQUENCE", extensible = false, optional_fields = 3)]
pub(crate) struct Sib1Asn {
    pub cell_access_related_info: SystemInformationBlockType1CellAccessRelatedInfo,
    pub cell_selection_info: SystemInformationBlockType1CellSelectionInfo,
    #[asn(optional_idx = 0)]
    pub p_max: Option<P_Max>,
    pub freq_band_indicator: FreqBandIndicator,
    pub scheduling_info_list: SchedulingInfoListAsn,
    #[asn(optional_idx = 1)]
    pub tdd_config: Option<TDD_Config>,
    pub si_window_length: SystemInformationBlockType1Si_WindowLength,
    pub system_info_value_tag: SystemInformationBlockType1SystemInfoValueTag,
    #[asn(optional_idx = 2)]
    pub non_critical_extension: Option<SystemInformationBlockType1_v890_IEs>,
}

/// A decoded `BCCH-DL-SCH-Message` (§6.2.1): the `c1` alternatives.
#[derive(Debug)]
pub(crate) enum BcchDlSchAsn {
    /// `systemInformation`.
    SystemInformation(Box<rrc::SystemInformation>),
    /// `systemInformationBlockType1`.
    Sib1(Box<Sib1Asn>),
    /// `messageClassExtension` (no content defined).
    MessageClassExtension,
}

/// Decodes a `BCCH-DL-SCH-Message` from UPER bytes; trailing bits (padding) are ignored.
pub(crate) fn decode_message(bytes: &[u8]) -> Result<BcchDlSchAsn, PerCodecError> {
    let mut data = PerCodecData::from_slice_uper(bytes);
    // BCCH-DL-SCH-MessageType ::= CHOICE { c1 CHOICE {...}, messageClassExtension SEQUENCE {} }
    let (outer, _) = asn1_codecs::uper::decode::decode_choice_idx(&mut data, 0, 1, false)?;
    if outer != 0 {
        return Ok(BcchDlSchAsn::MessageClassExtension);
    }
    // c1 ::= CHOICE { systemInformation, systemInformationBlockType1 }
    let (c1, _) = asn1_codecs::uper::decode::decode_choice_idx(&mut data, 0, 1, false)?;
    if c1 == 0 {
        Ok(BcchDlSchAsn::SystemInformation(Box::new(
            rrc::SystemInformation::uper_decode(&mut data)?,
        )))
    } else {
        Ok(BcchDlSchAsn::Sib1(Box::new(Sib1Asn::uper_decode(
            &mut data,
        )?)))
    }
}

/// Encodes `systemInformationBlockType1` as a `BCCH-DL-SCH-Message` (UPER, zero-padded to octets).
pub(crate) fn encode_sib1_message(sib1: &Sib1Asn) -> Result<Vec<u8>, PerCodecError> {
    let mut data = PerCodecData::new_uper();
    asn1_codecs::uper::encode::encode_choice_idx(&mut data, 0, 1, false, 0, false)?;
    asn1_codecs::uper::encode::encode_choice_idx(&mut data, 0, 1, false, 1, false)?;
    sib1.uper_encode(&mut data)?;
    Ok(data.into_bytes())
}

/// Encodes `systemInformation` as a `BCCH-DL-SCH-Message` (UPER, zero-padded to octets).
pub(crate) fn encode_si_message(si: &rrc::SystemInformation) -> Result<Vec<u8>, PerCodecError> {
    let mut data = PerCodecData::new_uper();
    asn1_codecs::uper::encode::encode_choice_idx(&mut data, 0, 1, false, 0, false)?;
    asn1_codecs::uper::encode::encode_choice_idx(&mut data, 0, 1, false, 0, false)?;
    si.uper_encode(&mut data)?;
    Ok(data.into_bytes())
}
