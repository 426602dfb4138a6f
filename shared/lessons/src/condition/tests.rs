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

/// A condition nested past the bound (a few KiB of `(((…` or `not not …`, or a chain of
/// `and`s as long as a lesson file may be) is refused in words; it overflowed the stack and
/// aborted the program. Nesting up to the bound still reads.
#[test]
fn a_condition_nested_too_deep_is_refused_not_a_crash() {
    let nested = |depth: usize| format!("{}listening{}", "(".repeat(depth), ")".repeat(depth));
    assert!(Expr::parse(&nested(MAX_NESTING)).is_ok());
    let error = Expr::parse(&nested(1500)).expect_err("too deep");
    assert!(
        error.message.contains("nested more than 32 deep"),
        "{error}"
    );
    assert_eq!(error.at, MAX_NESTING + 1, "{error}");
    let error = Expr::parse(&format!("{}listening", "not ".repeat(1500))).expect_err("too deep");
    assert!(
        error.message.contains("nested more than 32 deep"),
        "{error}"
    );
    let chain = vec!["listening"; 100_000].join(" and ");
    let error = Expr::parse(&chain).expect_err("too long a chain");
    assert!(
        error.message.contains("nested more than 128 deep"),
        "{error}"
    );
    let sums = vec!["1"; 100_000].join(" + ");
    let error = Expr::parse(&sums).expect_err("too long a sum");
    assert!(
        error.message.contains("nested more than 128 deep"),
        "{error}"
    );
    let chain = vec!["listening"; MAX_DEPTH].join(" and ");
    assert_eq!(Expr::parse(&chain).map(|expr| expr.depth()), Ok(MAX_DEPTH));
}

/// An error quotes a long condition around where it went wrong, not whole: a 3 KiB condition
/// made a 3 KiB line on stderr and in the panel.
#[test]
fn an_error_in_a_long_condition_quotes_the_part_around_it() {
    let error = Expr::parse(&format!(
        "{}listening{}",
        "(".repeat(1500),
        ")".repeat(1500)
    ))
    .expect_err("too deep");
    let said = error.to_string();
    assert!(
        said.ends_with(&format!("(at character 33 of \"{}…\")", "(".repeat(60))),
        "{said}"
    );
    let error = Expr::parse(&format!("{} ==", vec!["listening"; 20].join(" and ")))
        .expect_err("no right side");
    assert!(
        error.to_string().contains("of \"…") && error.to_string().ends_with("listening ==\")"),
        "{error}"
    );
    let short = Expr::parse("connected ==").expect_err("short");
    assert!(
        short
            .to_string()
            .ends_with("(at character 13 of \"connected ==\")"),
        "{short}"
    );
}

/// A condition that could never hold, or waits for an event that does not exist, is refused
/// when it is read: `event nosuchevent` loaded, and `--check` only said "never done".
#[test]
fn an_unknown_event_or_a_sum_of_text_is_refused() {
    let error = Expr::parse("event nosuchevent").expect_err("no such event");
    assert!(
        error.message.contains("no event is called `nosuchevent`")
            && error.message.contains("listening, add_socket")
            && error.message.contains("stream_message"),
        "{error}"
    );
    assert_eq!(error.at, 7, "{error}");
    let error = Expr::parse("count(client.nosuch) > 0").expect_err("no such event");
    assert!(error.message.contains("`nosuch`"), "{error}");
    let error = Expr::parse("\"text\" + 1 > listening").expect_err("text plus one");
    assert_eq!(
        (error.message.as_str(), error.at),
        ("`+` takes numbers, not text", 8)
    );
    let error = Expr::parse("listening - 1").expect_err("yes/no minus one");
    assert!(error.message.contains("not yes or no"), "{error}");
    let error = Expr::parse("listening == 1").expect_err("yes/no against a number");
    assert!(
        error.message.contains("compares yes or no with a number"),
        "{error}"
    );
    // Never holds either: a number against text that is no number, a live text against a
    // number; a number or text where a condition goes.
    for (never, said) in [
        ("port == \"abc\"", "compares a number with text"),
        ("1 == \"a\"", "compares a number with text"),
        ("tls.protocol > 3", "compares text with a number"),
        (
            "count(connected) and 1",
            "`and` joins conditions (yes or no), not a number",
        ),
        (
            "listening or \"x\"",
            "`or` joins conditions (yes or no), not text",
        ),
        ("not 5", "`not` takes a condition (yes or no), not a number"),
    ] {
        let error = Expr::parse(never).expect_err(never);
        assert!(error.message.contains(said), "{never}: {error}");
    }
    for fine in [
        "event stream_message(text ~ \"hello\")",
        "client.event segment(flags ~ \"RST\")",
        "count(connected) + count(error) >= 20",
        "port == \"2002\"",
        "listening == (count(connected) > 2)",
        "tls.protocol == \"TLSv1.3\"",
    ] {
        assert!(Expr::parse(fine).is_ok(), "{fine}");
    }
}
