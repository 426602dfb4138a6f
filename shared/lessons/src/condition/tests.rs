//! The condition language: parsing, evaluation against what was observed, and its errors.

use super::*;

#[test]
fn reads_the_forms_lessons_use() {
    let expr = Expr::parse("connected == max and accept_queue.waiting >= 2").expect("parses");
    let Expr::And(left, right) = expr else {
        panic!("an and: {expr:?}")
    };
    assert_eq!(
        *left,
        Expr::Compare(
            Box::new(Expr::Value(Side::Server, "connected".into())),
            Op::Eq,
            Box::new(Expr::Value(Side::Server, "max".into()))
        )
    );
    assert!(matches!(*right, Expr::Compare(_, Op::Ge, _)));
    let expr =
        Expr::parse("client.event error(code = 102, message ~ \"refused\")").expect("parses");
    let Expr::Event(pattern) = expr else {
        panic!("an event: {expr:?}")
    };
    assert_eq!(pattern.side, Side::Client);
    assert_eq!(pattern.event, "error");
    assert_eq!(pattern.fields.len(), 2);
    assert_eq!(pattern.fields[1].op, Op::Contains);
    let expr = Expr::parse("total(client.error(code=102)) > 0").expect("parses");
    assert!(
        matches!(&expr, Expr::Compare(left, Op::Gt, _) if matches!(**left, Expr::Total(Pattern { side: Side::Client, .. })))
    );
}

#[test]
fn a_broken_condition_says_where() {
    let error = Expr::parse("connected ==").expect_err("incomplete");
    assert_eq!(error.at, 13);
    assert!(error.message.contains("expected a value"), "{error}");
    let error = Expr::parse("event error(code 102)").expect_err("no =");
    assert_eq!(error.at, 18, "{error}");
    let error = Expr::parse("connected = 2").expect_err("single =");
    assert!(error.message.contains("expected `and`"), "{error}");
    let error = Expr::parse("\"open").expect_err("quote");
    assert!(error.message.contains("not closed"), "{error}");
}

#[test]
fn patterns_match_json_records() {
    let Expr::Event(pattern) =
        Expr::parse("event error(code = 102, message ~ \"REFUSED\")").expect("parses")
    else {
        panic!("an event")
    };
    let refused = serde_json::json!({"event": "error", "code": 102, "message": "connection refused by 127.0.0.1:2002"});
    let reset = serde_json::json!({"event": "error", "code": 102, "message": "connection reset"});
    let other = serde_json::json!({"event": "closed", "socket": 1});
    assert!(pattern.matches(&refused));
    assert!(!pattern.matches(&reset));
    assert!(!pattern.matches(&other));
}

/// A captured segment's line (`--capture`) is a record like any other: a step can wait for
/// the RST a refused client gets.
#[test]
fn a_pattern_matches_a_captured_segment() {
    let Expr::Event(pattern) = Expr::parse("event segment(flags ~ \"RST\")").expect("parses")
    else {
        panic!("an event")
    };
    let segment = |flags: &'static str| {
        let line = serversocket_report::Record::Segment {
            socket: None,
            dir: "in".into(),
            flags: flags.into(),
            seq: 0,
            ack: 1,
            len: 0,
            win: 0,
        }
        .at(std::time::SystemTime::now());
        serde_json::to_value(&line).expect("a line is an object")
    };
    assert!(pattern.matches(&segment("ACK,RST")));
    assert!(!pattern.matches(&segment("SYN,ACK")));
}

#[test]
fn answers_typed_as_text_compare_with_numbers() {
    assert_eq!(
        compare(&Outcome::Text(" 4".into()), Op::Eq, &Outcome::Number(4.0)),
        Some(true)
    );
    assert_eq!(
        compare(&Outcome::Text("four".into()), Op::Eq, &Outcome::Number(4.0)),
        None
    );
    assert_eq!(
        compare(
            &Outcome::Text("Server".into()),
            Op::Eq,
            &Outcome::Text("server".into())
        ),
        Some(true)
    );
}
