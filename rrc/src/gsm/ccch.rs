//! Paging on CCCH: PAGING REQUEST TYPE 1, 2 and 3, TS 44.018 §9.1.22–9.1.24.
//!
//! Identities are counted by kind (Mobile Identity, TS 24.008 §10.5.1.4) and
//! never kept: a sensor has no business storing subscribers' identities.

use super::GsmRrError;

/// The kind of a paged identity (TS 24.008 §10.5.1.4, type of identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MobileIdentityKind {
    /// "No identity" (a filler page).
    None,
    /// IMSI: a paging by IMSI.
    Imsi,
    /// IMEI.
    Imei,
    /// IMEISV.
    Imeisv,
    /// TMSI / P-TMSI.
    Tmsi,
    /// Any other type code.
    Other(u8),
}

impl MobileIdentityKind {
    fn from_code(code: u8) -> Self {
        match code & 0x07 {
            0 => Self::None,
            1 => Self::Imsi,
            2 => Self::Imei,
            3 => Self::Imeisv,
            4 => Self::Tmsi,
            c => Self::Other(c),
        }
    }
}

/// A paging request, identities counted by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagingRequest {
    /// 1, 2 or 3.
    pub paging_type: u8,
    /// Page mode (§10.5.2.26): 0 normal, 1 extended, 2 reorganization, 3 same as before.
    pub page_mode: u8,
    /// Kinds of the identities paged, in message order (without "no identity" fillers
    /// they would all be real pages; those are kept as [`MobileIdentityKind::None`]).
    pub identities: Vec<MobileIdentityKind>,
}

impl PagingRequest {
    /// Number of real identities paged (fillers not counted).
    pub fn count(&self) -> usize {
        self.identities
            .iter()
            .filter(|k| **k != MobileIdentityKind::None)
            .count()
    }
}

/// An LV Mobile Identity at `at`: returns its kind and the offset after it.
fn mobile_identity_lv(body: &[u8], at: usize) -> Result<(MobileIdentityKind, usize), GsmRrError> {
    let len = usize::from(*body.get(at).ok_or(GsmRrError::TooShort {
        need: at + 3,
        got: body.len() + 2,
    })?);
    if len == 0 || len > 8 {
        return Err(GsmRrError::Invalid {
            field: "Mobile Identity length",
            value: len as u32,
        });
    }
    let first = *body.get(at + 1).ok_or(GsmRrError::TooShort {
        need: at + 4,
        got: body.len() + 2,
    })?;
    if body.len() < at + 1 + len {
        return Err(GsmRrError::TooShort {
            need: at + 1 + len + 2,
            got: body.len() + 2,
        });
    }
    Ok((MobileIdentityKind::from_code(first), at + 1 + len))
}

/// Optional Mobile Identity (TLV, IEI 0x17) inside the pseudo length.
fn optional_identity(
    body: &[u8],
    at: usize,
    in_len: usize,
    out: &mut Vec<MobileIdentityKind>,
) -> Result<(), GsmRrError> {
    if at < in_len && body.get(at) == Some(&0x17) {
        let (kind, _) = mobile_identity_lv(body, at + 1)?;
        out.push(kind);
    }
    Ok(())
}

/// PAGING REQUEST TYPE 1, §9.1.22.
pub(crate) fn paging1(body: &[u8], in_len: usize) -> Result<PagingRequest, GsmRrError> {
    let pm = *body
        .first()
        .ok_or(GsmRrError::TooShort { need: 4, got: 2 })?;
    let (k1, next) = mobile_identity_lv(body, 1)?;
    let mut identities = vec![k1];
    optional_identity(body, next, in_len, &mut identities)?;
    Ok(PagingRequest {
        paging_type: 1,
        page_mode: pm & 0x03,
        identities,
    })
}

/// PAGING REQUEST TYPE 2, §9.1.23: two TMSIs (V, 4 octets) and an optional identity.
pub(crate) fn paging2(body: &[u8], in_len: usize) -> Result<PagingRequest, GsmRrError> {
    if body.len() < 9 {
        return Err(GsmRrError::TooShort {
            need: 11,
            got: body.len() + 2,
        });
    }
    let mut identities = vec![MobileIdentityKind::Tmsi; 2];
    optional_identity(body, 9, in_len, &mut identities)?;
    Ok(PagingRequest {
        paging_type: 2,
        page_mode: body.first().map_or(0, |b| b & 0x03),
        identities,
    })
}

/// PAGING REQUEST TYPE 3, §9.1.24: four TMSIs.
pub(crate) fn paging3(body: &[u8]) -> Result<PagingRequest, GsmRrError> {
    if body.len() < 17 {
        return Err(GsmRrError::TooShort {
            need: 19,
            got: body.len() + 2,
        });
    }
    Ok(PagingRequest {
        paging_type: 3,
        page_mode: body.first().map_or(0, |b| b & 0x03),
        identities: vec![MobileIdentityKind::Tmsi; 4],
    })
}
