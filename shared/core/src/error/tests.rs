//! The error codes and their words: every variant, its code and meaning.

use super::*;

#[test]
fn every_code_has_a_meaning() {
    let lost = SocketError::LostConnection {
        peer: "127.0.0.1:1".parse().expect("address"),
        reason: "x".into(),
        cause: None,
    };
    assert_eq!(lost.code(), 102);
    assert_eq!(lost.meaning(), "lost connection");
    assert_eq!(code_meaning(105), "address in use");
    assert_eq!(code_meaning(999), "unknown error");
}

/// One of every variant. The match in the test has no wildcard, so a new variant does not
/// compile until it is added here too.
fn every_variant() -> Vec<SocketError> {
    let peer: SocketAddr = "127.0.0.1:1".parse().expect("address");
    let text = || "x".to_owned();
    vec![
        SocketError::LostConnection {
            peer,
            reason: "x".into(),
            cause: None,
        },
        SocketError::ConnectionRefused {
            address: text(),
            cause: None,
        },
        SocketError::ConnectTimedOut {
            address: text(),
            timeout: Some(Duration::from_secs(1)),
            cause: None,
        },
        SocketError::ConnectedToItself { address: peer },
        SocketError::IdleTimedOut {
            peer,
            timeout: Duration::from_secs(1),
        },
        SocketError::PortHeldByConnection {
            address: text(),
            held: PortHold::TimeWait,
            hint: text(),
        },
        SocketError::MappedAddress {
            address: text(),
            ipv4: text(),
        },
        SocketError::NameResolution {
            host: text(),
            reason: text(),
        },
        SocketError::AddressInUse {
            address: text(),
            cause: None,
        },
        SocketError::AddressNotAvailable {
            address: text(),
            cause: None,
        },
        SocketError::InvalidState(text()),
        SocketError::InvalidSetting {
            field: "Port",
            reason: text(),
        },
        SocketError::InvalidPort {
            port: text(),
            reason: text(),
        },
        SocketError::PortNeedsPrivileges {
            port: 80,
            cause: None,
        },
        SocketError::BindNotPermitted {
            address: text(),
            reason: text(),
            cause: None,
        },
        SocketError::AcceptFailed {
            reason: text(),
            retry_in: std::time::Duration::from_millis(100),
            cause: None,
        },
        SocketError::SendQueueFull { queued: 1 },
        SocketError::Os(text()),
        SocketError::Tls {
            peer: "127.0.0.1:1".parse().expect("address"),
            problem: crate::tls::TlsProblem::UnknownCa,
            detail: text(),
        },
        SocketError::Panicked {
            what: "the socket's handler",
            message: text(),
        },
        SocketError::RuntimeDropped,
    ]
}

#[test]
fn every_variant_code_has_its_meaning_and_a_code_of_one_variant_says_what_it_says() {
    let variants = every_variant();
    let mut covered = std::collections::BTreeSet::new();
    for error in &variants {
        covered.insert(match error {
            SocketError::LostConnection { .. } => 0,
            SocketError::ConnectionRefused { .. } => 1,
            SocketError::ConnectTimedOut { .. } => 2,
            SocketError::NameResolution { .. } => 3,
            SocketError::AddressInUse { .. } => 4,
            SocketError::AddressNotAvailable { .. } => 5,
            SocketError::InvalidState(_) => 6,
            SocketError::InvalidSetting { .. } => 7,
            SocketError::InvalidPort { .. } => 8,
            SocketError::PortNeedsPrivileges { .. } => 9,
            SocketError::BindNotPermitted { .. } => 10,
            SocketError::AcceptFailed { .. } => 11,
            SocketError::SendQueueFull { .. } => 12,
            SocketError::Os(_) => 13,
            SocketError::ConnectedToItself { .. } => 14,
            SocketError::IdleTimedOut { .. } => 15,
            SocketError::PortHeldByConnection { .. } => 16,
            SocketError::MappedAddress { .. } => 17,
            SocketError::Tls { .. } => 18,
            SocketError::Panicked { .. } => 19,
            SocketError::RuntimeDropped => 20,
        });
        assert_ne!(code_meaning(error.code()), "unknown error", "{error:?}");
    }
    assert_eq!(covered.len(), 21, "every variant is listed once");
    // Where one variant alone has a code, the code's meaning and the variant's agree.
    for error in &variants {
        let sharing = variants.iter().filter(|e| e.code() == error.code()).count();
        if sharing == 1 {
            assert_eq!(code_meaning(error.code()), error.meaning(), "{error:?}");
        }
    }
    let full = SocketError::SendQueueFull { queued: 1 };
    assert_eq!(code_meaning(108), full.meaning());
}

#[test]
fn only_a_port_below_1024_is_said_to_need_privileges() {
    let denied = || io::Error::from(io::ErrorKind::PermissionDenied);
    let low = SocketError::from_bind(denied(), "127.0.0.1:80".parse().expect("address"));
    assert!(matches!(
        low,
        SocketError::PortNeedsPrivileges { port: 80, .. }
    ));
    assert_eq!(low.io_kind(), Some(io::ErrorKind::PermissionDenied));
    assert!(
        std::error::Error::source(&low).is_some(),
        "the OS error is the source"
    );
    let high = SocketError::from_bind(denied(), "127.0.0.1:8080".parse().expect("address"));
    assert!(
        matches!(high, SocketError::BindNotPermitted { .. }),
        "{high:?}"
    );
    assert_eq!(high.code(), 107);
    assert!(!high.to_string().contains("1024"), "{high}");
}

#[test]
fn the_systems_connect_timeout_and_ours_have_one_code_and_meaning() {
    let address: SocketAddr = "127.0.0.1:9".parse().expect("address");
    let by_os = SocketError::from_connect(io::Error::from(io::ErrorKind::TimedOut), address);
    let ours = SocketError::ConnectTimedOut {
        address: address.to_string(),
        timeout: Some(Duration::from_secs(10)),
        cause: None,
    };
    assert_eq!(by_os.io_kind(), Some(io::ErrorKind::TimedOut));
    assert_eq!(by_os.code(), ours.code());
    assert_eq!(by_os.meaning(), ours.meaning());
    assert!(by_os.to_string().contains("no answer"), "{by_os}");
}

#[test]
fn a_connect_timeout_under_a_second_is_said_as_set() {
    let said = |millis| {
        SocketError::ConnectTimedOut {
            address: "127.0.0.1:9".into(),
            timeout: Some(Duration::from_millis(millis)),
            cause: None,
        }
        .to_string()
    };
    assert!(said(700).contains("within 0.7 s"), "{}", said(700));
    assert!(said(1_250).contains("within 1.25 s"), "{}", said(1_250));
    assert!(said(5_000).contains("within 5 s"), "{}", said(5_000));
    assert!(said(1).contains("within 0.001 s"), "{}", said(1));
}

#[test]
fn an_idle_timeout_under_a_second_is_said_as_set() {
    let said = |millis| {
        SocketError::IdleTimedOut {
            peer: "127.0.0.1:50000".parse().unwrap(),
            timeout: Duration::from_millis(millis),
        }
        .to_string()
    };
    assert!(said(700).contains("for 0.7 s"), "{}", said(700));
    assert!(said(30_000).contains("for 30 s"), "{}", said(30_000));
}

/// A link-local IPv6 address without its interface cannot be bound ("Invalid argument"): the
/// words say what is missing; other addresses' failures say nothing more.
#[test]
fn a_link_local_address_without_its_interface_is_told_what_it_lacks() {
    let invalid = || std::io::Error::from_raw_os_error(22);
    let bare: SocketAddr = "[fe80::1]:2002".parse().expect("address");
    let words = SocketError::from_bind(invalid(), bare).to_string();
    assert!(words.contains("names its interface too"), "{words}");
    let scoped = SocketAddr::V6(std::net::SocketAddrV6::new(
        "fe80::1".parse().expect("address"),
        2002,
        0,
        1,
    ));
    let other: SocketAddr = "[2001:db8::1]:2002".parse().expect("address");
    for address in [scoped, other] {
        let words = SocketError::from_bind(invalid(), address).to_string();
        assert!(!words.contains("interface"), "{words}");
    }
}

/// A scoped address the system says is not there names its interface: `fe80::1%eth0` is
/// refused where fe80::1 is on lo, and "fe80::1 is not an address of this machine" read as
/// false.
#[test]
fn an_address_not_on_its_interface_names_the_interface() {
    let not_here = || std::io::Error::from_raw_os_error(99);
    let on = |scope: u32| {
        SocketAddr::V6(std::net::SocketAddrV6::new(
            "fe80::1".parse().expect("address"),
            2002,
            0,
            scope,
        ))
    };
    // `lo` is interface 1 on Linux.
    #[cfg(target_os = "linux")]
    assert_eq!(
        SocketError::from_bind(not_here(), on(1)).to_string(),
        "fe80::1 on interface lo is not an address of this machine, so no socket can listen on \
         it or connect from it"
    );
    let words = SocketError::from_bind(not_here(), on(99_999)).to_string();
    assert!(
        words.starts_with("fe80::1 on interface number 99999 is not"),
        "{words}"
    );
    let plain: SocketAddr = "192.0.2.1:2002".parse().expect("address");
    let words = SocketError::from_bind(not_here(), plain).to_string();
    assert!(words.starts_with("192.0.2.1 is not an address"), "{words}");
}

/// An alert is named as TLS's specification writes it, the way `openssl` and Wireshark show it.
#[test]
fn tls_alerts_are_named_as_the_specification_writes_them() {
    use rustls::AlertDescription as Alert;
    assert_eq!(
        alert_name(Alert::CertificateRequired),
        "certificate_required"
    );
    assert_eq!(alert_name(Alert::UnknownCA), "unknown_ca");
    assert_eq!(alert_name(Alert::BadCertificate), "bad_certificate");
    assert_eq!(alert_name(Alert::Unknown(200)), "number 200");
    let error = std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        rustls::Error::AlertReceived(Alert::HandshakeFailure),
    );
    assert_eq!(
        plain_io_reason(&error),
        "the peer ended the TLS session with alert handshake_failure"
    );
}
