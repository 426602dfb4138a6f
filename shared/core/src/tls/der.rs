//! The one DER reader of the TLS files: an element's tag, contents and what follows it, for
//! the few fields read outside rustls (a certificate's names and dates, a key's kind and
//! wholeness).

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

/// A certificate's explicit version, `[0]`, the optional first field of its TBSCertificate.
const VERSION: u8 = 0xa0;
/// DER's UTCTime tag (`YYMMDDHHMMSSZ`).
const UTC_TIME: u8 = 0x17;
/// DER's GeneralizedTime tag (`YYYYMMDDHHMMSSZ`).
const GENERALIZED_TIME: u8 = 0x18;

/// The fields of a certificate's TBSCertificate after its version, each as its tag and
/// contents: serial, signature algorithm, issuer, validity, subject, key, then the optional
/// ones (extensions' tag `[3]`).
pub(super) fn certificate_fields(der: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (certificate, _) = element(der, SEQUENCE)?;
    let (mut tbs, _) = element(certificate, SEQUENCE)?;
    let mut parts = Vec::new();
    while !tbs.is_empty() {
        let (tag, value, rest) = tlv(tbs)?;
        if tag != VERSION {
            parts.push((tag, value));
        }
        tbs = rest;
    }
    Some(parts)
}

/// When a certificate becomes valid and when it stops being valid (its `notBefore` and
/// `notAfter`).
pub(super) fn validity(der: &[u8]) -> Option<(std::time::SystemTime, std::time::SystemTime)> {
    let fields = certificate_fields(der)?;
    let &(SEQUENCE, validity) = fields.get(3)? else {
        return None;
    };
    let (tag, before, rest) = tlv(validity)?;
    let not_before = time(tag, before)?;
    let (tag, after, _) = tlv(rest)?;
    Some((not_before, time(tag, after)?))
}

/// A UTCTime or GeneralizedTime in UTC (`Z`), as DER writes certificates' dates.
fn time(tag: u8, text: &[u8]) -> Option<std::time::SystemTime> {
    let text = std::str::from_utf8(text).ok()?;
    let digits = text.strip_suffix('Z')?;
    let full = match (tag, digits.len()) {
        // RFC 5280: a UTCTime's year from 50 is 19YY, else 20YY.
        (UTC_TIME, 12) => {
            let century = if digits[..2].parse::<u8>().ok()? >= 50 {
                "19"
            } else {
                "20"
            };
            format!("{century}{digits}")
        }
        (GENERALIZED_TIME, 14) => digits.to_owned(),
        _ => return None,
    };
    if !full.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_dates_are_read_in_both_forms() {
        let at = |tag: u8, text: &str| {
            time(tag, text.as_bytes()).map(|t| humantime::format_rfc3339_seconds(t).to_string())
        };
        assert_eq!(
            at(UTC_TIME, "210101000000Z").as_deref(),
            Some("2021-01-01T00:00:00Z")
        );
        assert_eq!(
            at(UTC_TIME, "750101120000Z").as_deref(),
            Some("1975-01-01T12:00:00Z")
        );
        assert_eq!(
            at(GENERALIZED_TIME, "40960101000000Z").as_deref(),
            Some("4096-01-01T00:00:00Z")
        );
        for (tag, bad) in [
            (UTC_TIME, "210101000000"),
            (UTC_TIME, "2101010000Z"),
            (GENERALIZED_TIME, "210101000000Z"),
            (UTC_TIME, "21013100000xZ"),
            (0x04, "210101000000Z"),
        ] {
            assert_eq!(at(tag, bad), None, "{bad}");
        }
    }
}
