//! The one DER reader of the TLS files: an element's tag, contents and what follows it, for
//! the few fields read outside rustls (a certificate's names, a key's kind and wholeness).

/// DER's SEQUENCE tag.
pub(super) const SEQUENCE: u8 = 0x30;
/// DER's OBJECT IDENTIFIER tag.
pub(super) const OID: u8 = 0x06;

/// One DER element at the start of `der`: its tag, its contents and what follows it; `None`
/// when its header is cut short or says more bytes than there are.
pub(super) fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if !(1..=4).contains(&count) || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let length = bytes
            .iter()
            .fold(0_usize, |length, &byte| (length << 8) | usize::from(byte));
        (length, rest)
    };
    (rest.len() >= length).then(|| {
        let (value, after) = rest.split_at(length);
        (tag, value, after)
    })
}

/// The contents of the element at the start of `der` when its tag is `tag`, and what follows.
pub(super) fn element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match tlv(der)? {
        (found, value, after) if found == tag => Some((value, after)),
        _ => None,
    }
}

/// Whether `der` is one whole SEQUENCE, as every private key form is (PKCS#8, PKCS#1, SEC1):
/// its header's length covers exactly the bytes that follow. A key cut short, or base64 that
/// decodes to something else, is not.
pub(super) fn is_one_sequence(der: &[u8]) -> bool {
    matches!(element(der, SEQUENCE), Some((_, after)) if after.is_empty())
}
