//! What kind of private key a DER holds (RSA of so many bits, ECDSA on which curve, Ed25519…),
//! read from its outer fields: ring refuses a key it cannot use and a key that is damaged
//! inside with the same words, and only the kind tells them apart.

use rustls_pki_types::PrivateKeyDer;

use super::der::{OID, SEQUENCE, element};

/// The kinds of private key a user meets, as far as the outer fields of the key say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// RSA, with its modulus's size when it could be read.
    Rsa { bits: Option<usize> },
    /// RSA restricted to PSS signatures (`openssl genpkey -algorithm RSA-PSS`).
    RsaPss,
    /// ECDSA on a named curve (`None`: a curve given by its parameters, or not named).
    Ec { curve: Option<Curve> },
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// X25519 or X448 (named): a key for agreeing on secrets, which signs nothing.
    KeyAgreement(&'static str),
    /// Anything else, or fields that could not be read.
    Unknown,
}

/// The named curves a user meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
    Secp256k1,
    Other,
}

// The object identifiers, as the bytes of their DER content.
const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const SECP256K1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x0a];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const ED448: &[u8] = &[0x2b, 0x65, 0x71];
const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const X448: &[u8] = &[0x2b, 0x65, 0x6f];

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
/// SEC1's `[0] parameters`, which names the curve.
const CONTEXT_0: u8 = 0xa0;

impl KeyKind {
    /// The kind of `key`, from its form (PKCS#8, PKCS#1 or SEC1) and its outer fields.
    pub(crate) fn of(key: &PrivateKeyDer<'_>) -> Self {
        let der = key.secret_der();
        match key {
            PrivateKeyDer::Pkcs1(_) => Self::Rsa {
                bits: rsa_bits(der),
            },
            PrivateKeyDer::Sec1(_) => Self::Ec {
                curve: sec1_curve(der),
            },
            PrivateKeyDer::Pkcs8(_) => pkcs8_kind(der).unwrap_or(Self::Unknown),
            _ => Self::Unknown,
        }
    }

    /// Whether the server takes keys of this kind (ring's: RSA of 2048 to 8192 bits, ECDSA on
    /// P-256 or P-384, Ed25519): a key of it that is refused is damaged inside.
    pub(crate) fn is_usable(self) -> bool {
        match self {
            Self::Rsa { bits: Some(bits) } => (2048..=8192).contains(&bits),
            Self::Ec {
                curve: Some(Curve::P256 | Curve::P384),
            }
            | Self::Ed25519 => true,
            _ => false,
        }
    }

    /// The kind in words, after "the key is": "an RSA key of 1024 bits".
    pub(crate) fn words(self) -> String {
        match self {
            Self::Rsa { bits: Some(bits) } => format!("an RSA key of {bits} bits"),
            Self::Rsa { bits: None } => "an RSA key".to_owned(),
            Self::RsaPss => "an RSA-PSS key".to_owned(),
            Self::Ec { curve } => match curve {
                Some(Curve::P256) => "an ECDSA key on P-256".to_owned(),
                Some(Curve::P384) => "an ECDSA key on P-384".to_owned(),
                Some(Curve::P521) => "an ECDSA key on P-521".to_owned(),
                Some(Curve::Secp256k1) => "an ECDSA key on secp256k1".to_owned(),
                Some(Curve::Other) => "an ECDSA key on a curve it does not take".to_owned(),
                None => "an ECDSA key whose curve is not named".to_owned(),
            },
            Self::Ed25519 => "an Ed25519 key".to_owned(),
            Self::Ed448 => "an Ed448 key".to_owned(),
            Self::KeyAgreement(name) => {
                format!("an {name} key (made for agreeing on secrets: it cannot sign)")
            }
            Self::Unknown => "of a kind this server does not know".to_owned(),
        }
    }
}

/// PKCS#8: `SEQUENCE { INTEGER version, SEQUENCE { OID algorithm, parameters }, OCTET STRING
/// key }`.
fn pkcs8_kind(der: &[u8]) -> Option<KeyKind> {
    let (outer, _) = element(der, SEQUENCE)?;
    let (_, rest) = element(outer, INTEGER)?;
    let (algorithm, rest) = element(rest, SEQUENCE)?;
    let (oid, parameters) = element(algorithm, OID)?;
    Some(match oid {
        RSA => KeyKind::Rsa {
            bits: element(rest, OCTET_STRING).and_then(|(inner, _)| rsa_bits(inner)),
        },
        RSA_PSS => KeyKind::RsaPss,
        EC => KeyKind::Ec {
            curve: element(parameters, OID).map(|(curve, _)| curve_of(curve)),
        },
        ED25519 => KeyKind::Ed25519,
        ED448 => KeyKind::Ed448,
        X25519 => KeyKind::KeyAgreement("X25519"),
        X448 => KeyKind::KeyAgreement("X448"),
        _ => KeyKind::Unknown,
    })
}

/// PKCS#1: `SEQUENCE { INTEGER version, INTEGER modulus, … }`; the modulus's size in bits.
fn rsa_bits(der: &[u8]) -> Option<usize> {
    let (outer, _) = element(der, SEQUENCE)?;
    let (_, rest) = element(outer, INTEGER)?;
    let (modulus, _) = element(rest, INTEGER)?;
    let start = modulus.iter().position(|&byte| byte != 0)?;
    let top = modulus[start];
    Some((modulus.len() - start) * 8 - top.leading_zeros() as usize)
}

/// SEC1: `SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID curve, … }`.
fn sec1_curve(der: &[u8]) -> Option<Curve> {
    let (outer, _) = element(der, SEQUENCE)?;
    let (_, rest) = element(outer, INTEGER)?;
    let (_, rest) = element(rest, OCTET_STRING)?;
    let (parameters, _) = element(rest, CONTEXT_0)?;
    element(parameters, OID).map(|(curve, _)| curve_of(curve))
}

fn curve_of(oid: &[u8]) -> Curve {
    match oid {
        P256 => Curve::P256,
        P384 => Curve::P384,
        P521 => Curve::P521,
        SECP256K1 => Curve::Secp256k1,
        _ => Curve::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::{Curve, KeyKind, rsa_bits};
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

    /// An RSA modulus's size counts its bits, not its bytes: a leading zero byte (DER's sign)
    /// and the top byte's zero bits are left out.
    #[test]
    fn an_rsa_modulus_is_counted_in_bits() {
        // SEQUENCE { INTEGER 0, INTEGER 0x00 0x80 + 127 more bytes }: 1024 bits.
        let mut modulus = vec![0x00, 0x80];
        modulus.extend([0x11; 127]);
        let mut inner = vec![0x02, 0x01, 0x00, 0x02, 0x81, 129];
        inner.extend(&modulus);
        let mut der = vec![0x30, 0x81, u8::try_from(inner.len()).unwrap()];
        der.extend(&inner);
        assert_eq!(rsa_bits(&der), Some(1024));
        // A top byte of 0x01 leaves seven bits out.
        let last = der.len() - 128;
        der[last] = 0x01;
        assert_eq!(rsa_bits(&der), Some(1017));
    }

    /// A SEC1 key names its curve in `[0]`; a PKCS#8 key in its algorithm's parameters.
    #[test]
    fn an_ec_key_names_its_curve() {
        // SEC1: SEQUENCE { INTEGER 1, OCTET STRING (1 byte), [0] { OID secp256k1 } }.
        let sec1 = [
            0x30, 0x0f, 0x02, 0x01, 0x01, 0x04, 0x01, 0x07, 0xa0, 0x07, 0x06, 0x05, 0x2b, 0x81,
            0x04, 0x00, 0x0a,
        ];
        let key = PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(&sec1[..]));
        let kind = KeyKind::of(&key);
        assert_eq!(
            kind,
            KeyKind::Ec {
                curve: Some(Curve::Secp256k1)
            }
        );
        assert!(!kind.is_usable());
        assert_eq!(kind.words(), "an ECDSA key on secp256k1");
        // PKCS#8: SEQUENCE { INTEGER 0, SEQUENCE { OID ecPublicKey, OID P-384 }, OCTET STRING }.
        let pkcs8 = [
            0x30, 0x17, 0x02, 0x01, 0x00, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
            0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x04, 0x00,
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(&pkcs8[..]));
        let kind = KeyKind::of(&key);
        assert_eq!(
            kind,
            KeyKind::Ec {
                curve: Some(Curve::P384)
            }
        );
        assert!(kind.is_usable());
    }

    /// Bytes that are no key are of no known kind, and never usable.
    #[test]
    fn bytes_that_are_no_key_are_of_no_known_kind() {
        for der in [&[][..], &[0x30], &[0x30, 0x05, 0x02], &[0x04, 0x00]] {
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der));
            assert_eq!(KeyKind::of(&key), KeyKind::Unknown, "{der:?}");
            assert!(!KeyKind::of(&key).is_usable());
        }
    }
}
