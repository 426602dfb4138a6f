//! The lessons' own tests: the catalog, lesson files good and bad, and what a run checks.

use super::*;

#[test]
fn every_shipped_lesson_loads() {
    let catalog = catalog(None);
    assert!(catalog.skipped.is_empty(), "{:?}", catalog.skipped);
    let lessons = catalog.lessons;
    assert_eq!(lessons.len(), SHIPPED.len());
    assert_eq!(lessons[0].name, "listening");
    for lesson in &lessons {
        assert!(!lesson.steps.is_empty(), "{}", lesson.name);
    }
}

fn invalid(text: &str) -> (usize, String, String) {
    match Lesson::parse("lessons/x.toml", text) {
        Err(LessonError::Invalid {
            line,
            field,
            message,
            ..
        }) => (line, field, message),
        other => panic!("expected an invalid lesson, got {other:?}"),
    }
}

#[test]
fn a_malformed_lesson_names_file_line_and_field() {
    let head = "title = \"T\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Do it\"\n";
    let (line, field, message) = invalid(&format!("{head}done_when = \"connected ==\"\n"));
    assert_eq!((line, field.as_str()), (6, "done_when"), "{message}");
    let (line, field, _) = invalid(&format!("{head}don_when = \"event listening\"\n"));
    assert_eq!((line, field.as_str()), (6, "don_when"));
    let (line, field, message) = invalid(head);
    assert_eq!((line, field.as_str()), (4, "done_when"), "{message}");
    let (line, field, _) = invalid(&format!(
        "{head}done_when = \"event listening\"\nset = {{ max = \"three\" }}\n"
    ));
    assert_eq!((line, field.as_str()), (7, "max"));
    let (line, field, message) = invalid(&format!("{head}done_when = \"connectd > 0\"\n"));
    assert_eq!((line, field.as_str()), (6, "done_when"));
    assert!(message.contains("`connectd`"), "{message}");
    let (line, field, _) = invalid(&format!(
        "{head}done_when = \"event listening\"\nquestion = \"Which port?\"\n"
    ));
    assert_eq!((line, field.as_str()), (7, "answer"));
    let (line, field, _) = invalid(&format!("{head}done_when = \"client.event connected\"\n"));
    assert_eq!((line, field.as_str()), (6, "done_when"));
    let (line, field, _) = invalid(&format!(
        "{head}done_when = \"event listening\"\nhighlight = \"lisen\"\n"
    ));
    assert_eq!((line, field.as_str()), (7, "highlight"));
    let error =
        Lesson::parse("x.toml", "title = \"T\"\ngoal = \"G\"\nstep = []\n").expect_err("no steps");
    assert!(error.to_string().contains("at least one"), "{error}");
}

#[test]
fn names_come_from_file_names() {
    assert_eq!(name_of("shipped/02-the-pool.toml"), "the-pool");
    assert_eq!(name_of("/home/t/my-lab.toml"), "my-lab");
    // Never an empty name: a number with nothing after it keeps its stem.
    assert_eq!(name_of("/home/t/05-.toml"), "05-");
    assert_eq!(name_of("/home/t/-.toml"), "-");
    assert_eq!(name_of("/home/t/-lab.toml"), "-lab");
    let error = find("no-such", None).expect_err("unknown");
    assert!(error.to_string().contains("listening"), "{error}");
}

#[test]
fn a_teachers_folder_adds_and_replaces_lessons() {
    let dir = std::env::temp_dir().join(format!("lessons-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let lesson =
        "title = \"Mine\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n";
    std::fs::write(dir.join("01-listening.toml"), lesson).expect("write");
    std::fs::write(dir.join("my-lab.toml"), lesson).expect("write");
    let lessons = catalog(Some(&dir)).lessons;
    assert_eq!(lessons.len(), SHIPPED.len() + 1);
    assert_eq!(lessons[0].title, "Mine");
    std::fs::write(dir.join("zz-broken.toml"), "title = 3").expect("write");
    let catalog = catalog(Some(&dir));
    assert_eq!(
        catalog.lessons.len(),
        SHIPPED.len() + 1,
        "the rest still load"
    );
    let [error] = &catalog.skipped[..] else {
        panic!("one skipped: {:?}", catalog.skipped);
    };
    assert!(
        error.to_string().contains("zz-broken.toml, line 1"),
        "{error}"
    );
    let error = catalog.take("zz-broken").expect_err("broken");
    assert!(error.to_string().contains("line 1"), "{error}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// A teacher's folder where every bad thing a shared folder can hold sits beside a good
/// lesson: each is skipped with its own words, without reading it, and the good one loads.
#[cfg(unix)]
#[test]
fn a_fifo_a_link_to_dev_zero_a_folder_and_a_huge_file_cost_only_themselves() {
    let dir = test_support::empty_folder("lessons-bad");
    std::fs::create_dir_all(dir.join("folder.toml")).expect("folder");
    let lesson =
        "title = \"Mine\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n";
    std::fs::write(dir.join("good.toml"), lesson).expect("write");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo.toml"))
        .status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.toml")).expect("link");
    // 2 MiB of comments: valid TOML, only too large.
    let huge = format!("{lesson}{}", "# padding\n".repeat(2 * 1024 * 1024 / 10));
    std::fs::write(dir.join("huge.toml"), huge).expect("write");
    std::fs::write(dir.join("broken.toml"), "title = [").expect("write");
    let catalog = catalog(Some(&dir));
    assert_eq!(catalog.lessons.len(), SHIPPED.len() + 1);
    assert!(catalog.lessons.iter().any(|lesson| lesson.name == "good"));
    let said: Vec<String> = catalog.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 5, "{said:#?}");
    for (file, words) in [
        ("broken.toml", "line 1"),
        ("fifo.toml", "(a FIFO)"),
        ("folder.toml", "(a folder)"),
        ("huge.toml", "at most 1 MiB are read"),
        ("zero.toml", "(a device)"),
    ] {
        assert!(
            said.iter()
                .any(|line| line.contains(file) && line.contains(words)),
            "{file}: {said:#?}"
        );
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// Lesson 5 sends the client to a closed port and the server to port 80; a later step, and
/// the next lesson's start, put back the ports the learner had (their 2002 may be taken).
#[test]
fn a_lesson_puts_back_the_ports_it_moved() {
    let moved_to = |port| Settings {
        port: Some(port),
        ..Settings::default()
    };
    let (mut field, mut before) = ("2100".to_owned(), None);
    moved_to(2999).apply_port(&mut field, &mut before);
    moved_to(80).apply_port(&mut field, &mut before);
    assert_eq!(field, "80");
    let back = Settings {
        restore_port: Some(true),
        ..Settings::default()
    };
    back.apply_port(&mut field, &mut before);
    assert_eq!(
        field, "2100",
        "back to the learner's port, not the first move's"
    );
    assert_eq!(before, None);
    back.apply_port(&mut field, &mut before);
    assert_eq!(field, "2100", "nothing to put back: the port stays");

    // An abandoned lesson 5 left the client on 2999: any lesson's start puts it back,
    // before what its own first step sets.
    moved_to(2999).apply_port(&mut field, &mut before);
    Settings::fresh_start(&Settings::default()).apply_port(&mut field, &mut before);
    assert_eq!(field, "2100");
    Settings::fresh_start(&moved_to(2999)).apply_port(&mut field, &mut before);
    assert_eq!((field.as_str(), before.as_deref()), ("2999", Some("2100")));
}

/// A lesson file whose `done_when` or `answer` nests past the bound is skipped like any
/// other broken file, named with its line and field; it aborted both programs (the stack
/// overflowed) and the other lessons with them.
#[test]
fn a_condition_nested_too_deep_costs_only_its_file() {
    let dir = test_support::empty_folder("lessons-deep");
    let deep = format!("{}listening{}", "(".repeat(1500), ")".repeat(1500));
    std::fs::write(
        dir.join("50-x.toml"),
        format!("title=\"x\"\ngoal=\"g\"\n[[step]]\nsay=\"a\"\ndone_when=\"{deep}\"\n"),
    )
    .expect("write");
    std::fs::write(
        dir.join("51-y.toml"),
        format!(
            "title=\"y\"\ngoal=\"g\"\n[[step]]\nsay=\"a\"\ndone_when=\"listening\"\nquestion=\"q\"\nanswer=\"{}port\"\n",
            "not ".repeat(1500)
        ),
    )
    .expect("write");
    let catalog = catalog(Some(&dir));
    assert_eq!(
        catalog.lessons.len(),
        SHIPPED.len(),
        "the shipped ones load"
    );
    let said: Vec<String> = catalog.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 2, "{said:#?}");
    assert!(
        said[0].contains("50-x.toml, line 5, field `done_when`: nested more than 32 deep"),
        "{said:#?}"
    );
    assert!(
        said[1].contains("51-y.toml, line 7, field `answer`: nested more than 32 deep"),
        "{said:#?}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// A value of the wrong kind or out of range names its field, not itself: `port = 70000`
/// said field `70000`, `hint_after_s = -5` field `-5`, `mode = "weird"` field `weird`.
#[test]
fn a_wrong_value_names_its_field_not_itself() {
    let head = "title = \"T\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Do it\"\ndone_when = \"event listening\"\n";
    for (line, field) in [
        ("set = { port = 70000 }", "port"),
        ("hint_after_s = -5", "hint_after_s"),
        ("set = { mode = \"weird\" }", "mode"),
        ("side = \"middle\"", "side"),
        ("set = { min = 1, max = \"three\" }", "max"),
        ("set = { burstt = 3 }", "burstt"),
    ] {
        let (at, named, message) = invalid(&format!("{head}{line}\n"));
        assert_eq!((at, named.as_str()), (7, field), "{line}: {message}");
    }
}

/// A value a step sets that the window would refuse is refused when the file loads, with the
/// bounds and words of the command lines: a burst past the client's 10,000, Min above Max,
/// Max 0, Min past 1,000, an empty host or one that ends in a port.
#[test]
fn a_setting_the_windows_would_refuse_is_refused_at_load() {
    let head = "title = \"T\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Do it\"\ndone_when = \"event listening\"\n";
    for (set, field, words) in [
        ("{ burst = 100000 }", "burst", "100000 is more than 10000"),
        (
            "{ min = 5, max = 2 }",
            "min",
            "5 is more than MaximumSocketsConnected (2)",
        ),
        ("{ max = 0 }", "max", "must be at least 1"),
        ("{ min = 5000 }", "min", "5000 is more than 1000"),
        ("{ host = \"\" }", "host", "it is empty"),
        (
            "{ host = \"127.0.0.1:2002\" }",
            "host",
            "give the address alone and 2002 as the port",
        ),
    ] {
        let (line, named, message) = invalid(&format!("{head}set = {set}\n"));
        assert_eq!((line, named.as_str()), (7, field), "{set}: {message}");
        assert!(message.contains(words), "{set}: {message}");
    }
    Lesson::parse("x.toml", &format!("{head}set = {{ min = 2, max = 2 }}\n"))
        .expect("within bounds");
    let lesson = Lesson::parse(
        "x.toml",
        &format!("{head}side = \"client\"\nset = {{ burst = 10000, host = \" [::1] \" }}\n"),
    )
    .expect("within bounds");
    assert_eq!(lesson.steps[0].set.host.as_deref(), Some("::1"));
    // Port 0 is the server's "any free port", and no port a client can connect to.
    let (line, named, message) =
        invalid(&format!("{head}side = \"client\"\nset = {{ port = 0 }}\n"));
    assert_eq!((line, named.as_str()), (8, "port"), "{message}");
    assert!(message.contains("1 to 65535"), "{message}");
    // Written as a table of its own, the error names the `port` line, not the table's.
    let (line, named, _) = invalid(&format!(
        "{head}side = \"client\"\n[step.set]\nrestore_port = true\nport = 0\n"
    ));
    assert_eq!((line, named.as_str()), (10, "port"));
    let server_any_port = Lesson::parse("x.toml", &format!("{head}set = {{ port = 0 }}\n"));
    assert_eq!(
        server_any_port
            .expect("a server may listen on any port")
            .steps[0]
            .set
            .port,
        Some(0)
    );
}

/// A step sets and lights up only what its own window has: `host` in a server step, or `max`
/// and the `min` field in a client step, loaded and were never applied.
#[test]
fn a_setting_or_widget_of_the_other_window_is_refused_at_load() {
    let head = "title = \"T\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Do it\"\ndone_when = \"event listening\"\n";
    for (side, rest, field, words) in [
        (
            "server",
            "set = { host = \"example.com\", burst = 3 }",
            "host",
            "this step is done in the server window, which has no `host` (a client setting)",
        ),
        (
            "client",
            "set = { tls = true, max = 3 }",
            "max",
            "this step is done in the client window, which has no `max` (a server setting)",
        ),
        (
            "client",
            "highlight = \"min\"",
            "highlight",
            "has no `min` to light up (it is in the server window)",
        ),
        (
            "server",
            "highlight = \"sockets\"",
            "highlight",
            "has no `sockets` to light up (it is in the client window)",
        ),
    ] {
        let text = format!("{head}side = \"{side}\"\n{rest}\n");
        let (line, named, message) = invalid(&text);
        assert_eq!((line, named.as_str()), (8, field), "{rest}: {message}");
        assert!(message.contains(words), "{rest}: {message}");
    }
    // A value alone is no condition: it held as if true (or never).
    for alone in ["handle", "\\\"text\\\"", "count(connected)"] {
        let (_, field, message) = invalid(&format!(
            "title = \"T\"\ngoal = \"G\"\n[[step]]\nsay = \"S\"\ndone_when = \"{alone}\"\n"
        ));
        assert_eq!(field, "done_when");
        assert!(
            message.contains("not a condition (yes or no)"),
            "{alone}: {message}"
        );
    }
    // A condition of the other side is named as it was written.
    for (written, named) in [
        ("client.event connected", "client.event connected"),
        ("count(client.connected) >= 1", "count(client.connected)"),
        ("client.connected == 1", "client.connected"),
    ] {
        let (_, field, message) = invalid(&format!(
            "title = \"T\"\ngoal = \"G\"\n[[step]]\nsay = \"S\"\ndone_when = \"{written}\"\n"
        ));
        assert_eq!(field, "done_when");
        assert!(
            message.contains(&format!("(it reads `{named}`)")),
            "{message}"
        );
    }
    // What both windows have is either's.
    for side in ["server", "client"] {
        Lesson::parse(
            "x.toml",
            &format!(
                "{head}side = \"{side}\"\nset = {{ port = 2100, tls = true, capture = false }}\nhighlight = \"log\"\n"
            ),
        )
        .expect("both windows have these");
    }
}

/// Two files of one folder with one lesson name: the last that loads is used, and the other
/// is said, with its own problem when it has one; it was dropped without a word.
#[test]
fn a_lesson_name_held_twice_in_a_folder_says_which_file_is_used() {
    let dir = test_support::empty_folder("lessons-twice");
    let lesson = |title: &str| {
        format!(
            "title = \"{title}\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n"
        )
    };
    std::fs::write(dir.join("02-dup.toml"), "title = [").expect("write");
    std::fs::write(dir.join("03-dup.toml"), lesson("Dup")).expect("write");
    std::fs::write(dir.join("04-twin.toml"), lesson("Twin 4")).expect("write");
    std::fs::write(dir.join("05-twin.toml"), lesson("Twin 5")).expect("write");
    std::fs::write(dir.join("06-twin.toml"), "title = 3").expect("write");
    let catalog = catalog(Some(&dir));
    let title = |name: &str| {
        catalog
            .lessons
            .iter()
            .find(|lesson| lesson.name == name)
            .map(|lesson| lesson.title.as_str())
    };
    assert_eq!((title("dup"), title("twin")), (Some("Dup"), Some("Twin 5")));
    let said: Vec<String> = catalog.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 3, "{said:#?}");
    let shown = |file: &str| dir.join(file).display().to_string();
    assert_eq!(
        said[0],
        format!(
            "{}, line 1, field `title`: {} ({} is the lesson `dup` too, and is used instead)",
            shown("02-dup.toml"),
            said[0]
                .split_once(": ")
                .and_then(|(_, rest)| rest.split_once(" ("))
                .map_or("", |(message, _)| message),
            shown("03-dup.toml")
        )
    );
    assert!(
        said[1].starts_with(&format!(
            "{}: not used: {} is the lesson `twin` too, and is used instead",
            shown("04-twin.toml"),
            shown("05-twin.toml")
        )),
        "{said:#?}"
    );
    assert!(
        said[2].starts_with(&format!("{}, line 1", shown("06-twin.toml")))
            && said[2].ends_with(&format!(
                "({} is the lesson `twin` too, and is used instead)",
                shown("05-twin.toml")
            )),
        "{said:#?}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// A lesson file anyone may write (0666), or a folder anyone may write into, is said: another
/// user could change what a learner is told, or replace a shipped lesson. It loads all the
/// same (a person chose the folder), as a key file given with `--key` does.
#[cfg(unix)]
#[test]
fn a_lessons_folder_or_file_others_can_change_is_said() {
    use std::os::unix::fs::PermissionsExt;
    let dir = test_support::empty_folder("lessons-open");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let lesson =
        "title = \"Mine\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n";
    let file = dir.join("01-listening.toml");
    std::fs::write(&file, lesson).expect("write");
    std::fs::write(dir.join("02-kept.toml"), lesson).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let catalog = super::catalog(Some(&dir));
    assert_eq!(
        catalog.warnings,
        [format!(
            "warning: the lesson {0} can be changed by every user of this machine (mode 666): \
             run `chmod go-w {0}`",
            file.display()
        )]
    );
    assert_eq!(catalog.lessons[0].title, "Mine", "still used");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let catalog = super::catalog(Some(&dir));
    assert_eq!(
        catalog.warnings,
        [
            format!(
                "warning: the lessons folder {0} can be changed by every user of this machine \
                 (mode 777): run `chmod go-w {0}`",
                dir.display()
            ),
            format!(
                "warning: the lesson {0} can be changed by every user of this machine (mode \
                 666): run `chmod go-w {0}`",
                file.display()
            )
        ],
        "the folder's warning and the file's, at once: the file's came only once the folder \
         was mended"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert!(super::catalog(Some(&dir)).warnings.is_empty());
    std::fs::remove_dir_all(&dir).expect("clean up");
}
