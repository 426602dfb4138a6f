//! What the headless server refuses before it listens (a port in use or privileged, said only
//! once when its reader left too, counts past
//! their bounds, bad reply rules, a malformed lesson; lesson files skipped for what they are),
//! what it raises at start (the open-files limit), and what `--help` says.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use common::{App, is_event, server_binary, server_under_prlimit};

#[test]
fn a_port_in_use_exits_1_naming_error_105() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut server = App::start(server_binary(), &["--headless", "--port", &port]);
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains(&format!("error 105: 127.0.0.1:{port} is already in use")),
        "{stderr}"
    );

    let mut server = App::start(server_binary(), &["--headless", "--port", &port, "--json"]);
    let error = server.until_json("error", |v| is_event(v, "error"));
    assert_eq!(error["code"], 105);
    let (status, _, _) = server.wait();
    assert_eq!(status.code(), Some(1));
}

/// `server-app --headless | head -1` on a port in use: the error says why it stopped (exit 1),
/// and "Output ended … so the program stopped", which followed it, is not said: the reader
/// left, but that is not why the program stopped.
#[test]
fn a_failed_listen_into_a_reader_that_left_says_only_its_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    // A pipe whose reader is gone before the server starts, as `head -1` is once it has read
    // its line: the server's error line is what would have ended it.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(server_binary())
        .args(["--headless", "--port", &port, "--json"])
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = test_support::exited(&mut child, "the server did not exit");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error 105"), "{stderr}");
    assert!(!stderr.contains("Output ended"), "{stderr}");
}

/// A backlog the system cuts is said after `listening`, the first line a script waits for
/// (`| head -1` for the TLS fingerprint read the note instead).
#[test]
fn listening_is_the_first_line_even_when_the_backlog_is_capped() {
    let mut server = App::start(
        server_binary(),
        &[
            "--headless",
            "--port",
            "0",
            "--json",
            "--backlog",
            "2000000000",
        ],
    );
    server.until_json("the capped backlog's note", |v| {
        is_event(v, "backlog_capped")
    });
    let first: serde_json::Value = serde_json::from_str(&server.seen[0]).unwrap();
    assert!(is_event(&first, "listening"), "{:#?}", server.seen);
    server.signal("TERM");
    let (status, _, stderr) = server.wait();
    assert!(status.success(), "{stderr}");
}

/// Without privileges, a port below 1024 is refused with 107, naming the port.
#[cfg(target_os = "linux")]
#[test]
fn a_privileged_port_without_privileges_is_error_107() {
    let unprivileged_ports_start =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
            .map_or(1024, |text| text.trim().parse().unwrap_or(1024));
    assert!(
        unprivileged_ports_start > 80,
        "this machine lets anyone bind port 80"
    );
    let is_root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"));
    let mut command = if is_root {
        // Drop to nobody, as an ordinary user would run it.
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(server_binary());
        command
    } else {
        Command::new(server_binary())
    };
    let output = test_support::app::output(command.args(["--headless", "--port", "80"]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error 107: port 80 is below 1024"),
        "{stderr}"
    );
}

/// A key of root's that anyone can read, used by another user: the warning's advice is one
/// that user can follow (root's `chmod` to ask for, or a copy of their own), not a `chmod` of
/// a file they do not own.
#[cfg(unix)]
#[test]
fn a_readable_key_of_roots_used_by_another_user_is_warned_of_with_advice_they_can_follow() {
    use std::os::unix::fs::PermissionsExt;
    let Some(user) = test_support::other_user::other_user() else {
        return;
    };
    let dir = test_support::empty_folder("roots-key");
    let made = Command::new("openssl")
        .current_dir(&dir)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .output();
    if !made.is_ok_and(|made| made.status.success()) {
        println!("skipped: no openssl on this machine (apt-get install openssl)");
        return;
    }
    for (path, mode) in [(dir.clone(), 0o755), (dir.join("key.pem"), 0o644)] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let server = server_binary();
    let mut served = App::start(
        std::path::PathBuf::from("setpriv"),
        &[
            &format!("--reuid={}", user.0),
            &format!("--regid={}", user.1),
            "--clear-groups",
            "--",
            &server.to_string_lossy(),
            "--headless",
            "--port",
            "0",
            "--json",
            "--tls",
            "--cert",
            &cert.to_string_lossy(),
            "--key",
            &key.to_string_lossy(),
        ],
    );
    served.listening_address();
    served.signal("TERM");
    let (_, _, stderr) = served.wait();
    let key = key.display();
    assert!(stderr.contains("can be read by other users"), "{stderr}");
    assert!(
        stderr.contains(&format!("ask root to run `chmod 600 {key}`")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("`install -m 600 {key} NEW-KEY.pem`")),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The TLS server started in `dir` with `environment` (`NAME=VALUE` each), stopped once it
/// listens; what it said on stderr.
#[cfg(unix)]
fn tls_server_in(dir: &Path, environment: &[String]) -> String {
    let (dir, server) = (dir.to_string_lossy(), server_binary());
    let mut args: Vec<&str> = vec!["-C", &dir];
    args.extend(environment.iter().map(String::as_str));
    let server = server.to_string_lossy();
    args.extend([
        server.as_ref(),
        "--headless",
        "--port",
        "0",
        "--json",
        "--tls",
    ]);
    let mut served = App::start(std::path::PathBuf::from("env"), &args);
    served.listening_address();
    served.signal("TERM");
    served.wait().2
}

/// The self-signed certificate's folder: a relative XDG_DATA_HOME is ignored (it named a
/// folder under wherever the program was started), and so is a home that does not exist (a
/// service account's `/nonexistent` was made, as root): the user's own temp folder is used.
/// A relative TMPDIR is no temp folder either.
#[cfg(unix)]
#[test]
fn a_relative_data_home_and_a_missing_home_are_not_made() {
    use std::os::unix::fs::MetadataExt;
    let dir = test_support::empty_folder("data-home");
    let missing_home = format!("HOME={}", dir.join("nonexistent").display());
    let stderr = tls_server_in(
        &dir,
        &[
            "XDG_DATA_HOME=relative/dir".to_owned(),
            missing_home.clone(),
            format!("TMPDIR={}", dir.display()),
        ],
    );
    assert!(!dir.join("relative").exists(), "{stderr}");
    assert!(!dir.join("nonexistent").exists(), "{stderr}");
    // The folder is named by the user's id: the test's own, as its files are its own.
    let uid = std::fs::metadata(&dir).unwrap().uid();
    let own = dir.join(format!("serversocket-{uid}"));
    let made: Vec<_> = std::fs::read_dir(&own)
        .map(|entries| entries.map(|entry| entry.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(!made.is_empty(), "nothing in {}: {stderr}", own.display());
    let stderr = tls_server_in(
        &dir,
        &[
            "XDG_DATA_HOME=".to_owned(),
            missing_home,
            "TMPDIR=reltmp".to_owned(),
        ],
    );
    assert!(!dir.join("reltmp").exists(), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Counts past their bounds are refused before anything starts: exit 2, the flag and the limit
/// named, in the words the window uses (the library's).
#[test]
fn counts_past_their_bounds_exit_2_naming_the_flag_and_the_limit() {
    use serversocket::bounds::Count;
    for (flag, value, count) in [
        ("--max", 100_000_000, Count::MaximumSocketsConnected),
        ("--min", 200_000, Count::MinimumSocketsAvailable),
        ("--max", 0, Count::MaximumSocketsConnected),
    ] {
        let mut server = App::start(
            server_binary(),
            &["--headless", "--port", "0", flag, &value.to_string()],
        );
        let (status, lines, stderr) = server.wait();
        assert_eq!(status.code(), Some(2), "{flag} {value}: {lines:#?}");
        let words = count.check(value).unwrap_err().to_string();
        assert!(stderr.contains(flag), "{stderr}");
        assert!(stderr.contains(&words), "{stderr}");
    }
    // A negative count is read as a value, not taken for a flag ("unexpected argument '-1'").
    let mut server = App::start(
        server_binary(),
        &["--headless", "--port", "0", "--min", "-1"],
    );
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("MinimumSocketsAvailable: \"-1\" is not a whole number"),
        "{stderr}"
    );
}

/// A naive server's relisten delay past an hour (a few digits too many) is refused: it would
/// leave the listener closed for ever after its first connection, without a word.
#[test]
fn a_relisten_delay_past_an_hour_exits_2_naming_the_limit() {
    let mut server = App::start(
        server_binary(),
        &[
            "--headless",
            "--port",
            "0",
            "--mode",
            "naive",
            "--relisten-delay-ms",
            "18446744073709551615",
        ],
    );
    let (status, lines, stderr) = server.wait();
    assert_eq!(status.code(), Some(2), "{lines:#?}");
    assert!(
        stderr.contains("--relisten-delay-ms") && stderr.contains("more than 3600000"),
        "{stderr}"
    );
}

/// Max may not pass the open-files limit: so many connections could never be open at once.
#[cfg(target_os = "linux")]
#[test]
fn a_max_past_the_open_files_limit_exits_2_naming_it() {
    let mut server = server_under_prlimit("--nofile=64:64", &["--max", "100"]);
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--max"), "{stderr}");
    assert!(stderr.contains("open-files limit is 64"), "{stderr}");
    // The hard limit is 64 too: the words give the command that raises it.
    assert!(stderr.contains("--nofile=164:164"), "{stderr}");
    assert!(
        !stderr.contains("default"),
        "typed, not a default: {stderr}"
    );
    // The default Max is refused too where 10 do not fit, and said to be the default.
    let mut server = server_under_prlimit("--nofile=30:30", &[]);
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("10 is --max's default (it was not given)"),
        "{stderr}"
    );
}

/// Started at a soft open-files limit below the hard one (as many systems start programs), the
/// server raises its own limit first, so a Max past the soft limit is accepted.
#[cfg(target_os = "linux")]
#[test]
fn the_open_files_soft_limit_is_raised_to_the_hard_limit_at_start() {
    let mut server = server_under_prlimit("--nofile=256:4096", &["--max", "3000", "--json"]);
    let listening = server.until_event("listening");
    assert_eq!(listening["max"], 3000, "{listening}");
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    assert_eq!(
        open_files
            .split_whitespace()
            .skip(3)
            .take(2)
            .collect::<Vec<_>>(),
        ["4096", "4096"],
        "{open_files}"
    );
    server.signal("TERM");
    assert!(server.wait().0.success());
}

/// A flag of the other mode is refused before anything starts, naming it (`--paused` in naive
/// mode used to be ignored: the server accepted every connection; so were `--backlog` in naive
/// mode and `--lessons` in headless mode).
#[test]
fn a_flag_of_the_other_mode_exits_2_naming_it_and_listens_nowhere() {
    for (args, named) in [
        (
            &["--mode", "naive", "--paused"][..],
            "--paused works with --mode pool only",
        ),
        (
            &["--mode", "naive", "--min", "1", "--idle-timeout", "5"],
            "--min and --idle-timeout work with --mode pool only",
        ),
        (
            &["--relisten-delay-ms", "5"],
            "--relisten-delay-ms works with --mode naive only",
        ),
        // The naive socket's backlog is always 1: `--backlog 50` was quietly ignored.
        (
            &["--mode", "naive", "--backlog", "50"],
            "--backlog works with --mode pool only",
        ),
        // Headless mode has no lessons (the client's refused it already; the server's
        // quietly ignored it).
        (
            &["--lessons", "/tmp"],
            "'--headless' cannot be used with '--lessons <DIR>'",
        ),
        // Typed at their defaults, they are given all the same.
        (
            &["--mode", "naive", "--min=2"],
            "--min works with --mode pool only",
        ),
        (
            &["--relisten-delay-ms", "50"],
            "--relisten-delay-ms works with --mode naive only",
        ),
        // Not a flag of the other mode, but a pair refused the same way, before anything
        // starts: the default Min of 2 above a Max of 1.
        (
            &["--max", "1"],
            "--min 2 (MinimumSocketsAvailable, --min's default) is more than --max 1",
        ),
        // Nothing to send: it passed, and the server said nothing.
        (
            &["--reply", "fixed", "--greeting", ""],
            "--reply fixed needs --fixed TEXT",
        ),
    ] {
        let output = test_support::app::output(
            Command::new(server_binary())
                .args(["--headless", "--port", "0"])
                .args(args),
        );
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?} started listening");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_rule_or_template_exits_2_naming_the_rule_and_listens_nowhere() {
    for (rules, named) in [
        (&[r"^GET (\S+ => x"][..], "rule 1"),
        (&["ok => fine", r"^(a) => $2"][..], "rule 2"),
        (&[r"a => \q"][..], "unknown escape"),
    ] {
        let mut command = Command::new(server_binary());
        command.args(["--headless", "--port", "0", "--json", "--reply", "rules"]);
        for rule in rules {
            command.args(["--rule", rule]);
        }
        let output = test_support::app::output(&mut command);
        assert_eq!(output.status.code(), Some(2), "{rules:?}");
        assert!(output.stdout.is_empty(), "{rules:?} started listening");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{rules:?}: {stderr}");
    }
}

/// Runs `server-app --lesson NAME --check …`, returning its exit code and output.
fn check_lesson(args: &[&str]) -> (Option<i32>, String, String) {
    test_support::app::outcome(Command::new(server_binary()).args(args))
}

/// `--check` of the lesson `my-lab` in a teacher's folder `dir`, against the events in `events`.
fn check_my_lab(dir: &Path, events: &Path) -> (Option<i32>, String, String) {
    check_lesson(&[
        "--lessons",
        &dir.to_string_lossy(),
        "--lesson",
        "my-lab",
        "--check",
        "--events",
        &events.to_string_lossy(),
    ])
}

#[test]
fn a_teachers_malformed_lesson_is_named_with_its_line_and_field() {
    let dir = std::env::temp_dir().join(format!("lesson-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("my-lab.toml"),
        "title = \"Mine\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Listen\"\ndone_when = \"event listening and\"\n",
    )
    .unwrap();
    let (code, _, err) = check_my_lab(&dir, Path::new("/dev/null"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("my-lab.toml, line 6, field `done_when`"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One bad file in a teacher's folder (a FIFO named like a lesson, a link to /dev/zero, a
/// 2 MiB file) costs only itself: a check of another lesson runs, and stderr names each
/// skipped file, without hanging on the FIFO or reading /dev/zero.
#[cfg(unix)]
#[test]
fn bad_files_in_a_teachers_folder_are_skipped_and_named() {
    let dir = test_support::empty_folder("lesson-skipped");
    let lesson = "title = \"Mine\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Listen\"\ndone_when = \"event listening\"\n";
    std::fs::write(dir.join("my-lab.toml"), lesson).unwrap();
    std::fs::write(dir.join("huge.toml"), vec![b'#'; 2 * 1024 * 1024]).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.toml")).unwrap();
    let made = Command::new("mkfifo").arg(dir.join("fifo.toml")).status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo");
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        "{\"event\":\"listening\",\"ts\":\"2026-01-01T00:00:00.000000Z\",\"address\":\"127.0.0.1:2002\",\"min\":2,\"max\":10,\"handle\":3}\n",
    )
    .unwrap();
    let (code, out, err) = check_my_lab(&dir, &events);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Every step done."), "{out}");
    for (file, words) in [
        ("fifo.toml", "(a FIFO)"),
        ("huge.toml", "2097152 bytes"),
        ("zero.toml", "(a device)"),
    ] {
        assert!(
            err.lines().any(|line| line.contains("lesson skipped")
                && line.contains(file)
                && line.contains(words)),
            "{file}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A lesson file nested thousands deep (`((((…` in its `done_when`) is skipped and named:
/// it overflowed the stack and aborted the check of another lesson with exit 134.
#[test]
fn a_lesson_nested_too_deep_is_skipped_and_another_is_checked() {
    let dir = test_support::empty_folder("lesson-deep");
    let lesson = "title = \"Mine\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Listen\"\ndone_when = \"event listening\"\n";
    std::fs::write(dir.join("my-lab.toml"), lesson).unwrap();
    let deep = format!("{}listening{}", "(".repeat(1500), ")".repeat(1500));
    std::fs::write(
        dir.join("50-x.toml"),
        format!("title=\"x\"\ngoal=\"g\"\n[[step]]\nsay=\"a\"\ndone_when=\"{deep}\"\n"),
    )
    .unwrap();
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        "{\"event\":\"listening\",\"ts\":\"2026-01-01T00:00:00.000000Z\",\"address\":\"127.0.0.1:2002\",\"min\":2,\"max\":10,\"handle\":3}\n",
    )
    .unwrap();
    let (code, out, err) = check_my_lab(&dir, &events);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        err.contains("lesson skipped: ")
            && err.contains("50-x.toml, line 5, field `done_when`: nested more than 32 deep"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Two files of a teacher's folder hold the lesson checked: the later is used, and the check
/// says so on stderr; the other was dropped without a word.
#[test]
fn a_lesson_held_by_two_files_is_checked_from_the_later_saying_so() {
    let dir = test_support::empty_folder("lesson-twice");
    let lesson = |title: &str| {
        format!(
            "title = \"{title}\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Listen\"\ndone_when = \"event listening\"\n"
        )
    };
    std::fs::write(dir.join("01-my-lab.toml"), lesson("First")).unwrap();
    std::fs::write(dir.join("02-my-lab.toml"), lesson("Second")).unwrap();
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        "{\"event\":\"listening\",\"ts\":\"2026-01-01T00:00:00.000000Z\",\"address\":\"127.0.0.1:2002\",\"min\":2,\"max\":10,\"handle\":3}\n",
    )
    .unwrap();
    let (code, out, err) = check_my_lab(&dir, &events);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Lesson \"Second\""), "{out}");
    assert!(
        err.contains(&format!(
            "lesson skipped: {}: not used: {} is the lesson `my-lab` too",
            dir.join("01-my-lab.toml").display(),
            dir.join("02-my-lab.toml").display()
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A lesson anyone may write is said by the check (another user could have changed it),
/// and checked all the same.
#[cfg(unix)]
#[test]
fn a_lesson_others_can_change_is_said_by_the_check() {
    use std::os::unix::fs::PermissionsExt;
    let dir = test_support::empty_folder("lesson-open");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.join("my-lab.toml");
    std::fs::write(&file, "title = \"Mine\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Listen\"\ndone_when = \"event listening\"\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        "{\"event\":\"listening\",\"ts\":\"2026-01-01T00:00:00.000000Z\",\"address\":\"127.0.0.1:2002\",\"min\":2,\"max\":10,\"handle\":3}\n",
    )
    .unwrap();
    let (code, out, err) = check_my_lab(&dir, &events);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        err.contains(&format!(
            "server-app: warning: the lesson {} can be changed by every user of this machine (mode 666)",
            file.display()
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A server's log given as the client's (or the reverse) is refused, naming the line that
/// tells: `--events S --client-events S` said "Every step done." And a line whose `ts` is no
/// time is refused, naming it: the logs are merged by it.
#[test]
fn a_log_of_the_wrong_side_or_a_line_without_a_time_is_refused() {
    let dir = test_support::empty_folder("check-sides");
    let server = dir.join("server.ndjson");
    let client = dir.join("client.ndjson");
    let garbage = dir.join("garbage.ndjson");
    let listening = "{\"event\":\"listening\",\"ts\":\"2026-01-01T00:00:00.000000Z\",\"address\":\"127.0.0.1:2002\",\"min\":2,\"max\":10,\"handle\":3}\n";
    std::fs::write(&server, listening).unwrap();
    std::fs::write(
        &client,
        "{\"event\":\"connected\",\"local\":\"127.0.0.1:40000\",\"remote\":\"127.0.0.1:2002\",\"socket\":0,\"ts\":\"2026-01-01T00:00:01.000000Z\"}\n\
         {\"all_greeted_seconds\":0.1,\"cancelled\":0,\"connected\":1,\"event\":\"summary\",\"failed\":0,\"greeted\":1,\"sockets\":1,\"ts\":\"2026-01-01T00:00:02.000000Z\"}\n",
    )
    .unwrap();
    std::fs::write(
        &garbage,
        listening.replace("2026-01-01T00:00:00.000000Z", "garbage"),
    )
    .unwrap();
    let check = |events: &Path, client_events: &Path| {
        check_lesson(&[
            "--lesson",
            "listening",
            "--check",
            "--events",
            &events.to_string_lossy(),
            "--client-events",
            &client_events.to_string_lossy(),
        ])
    };
    // Exit 2, saying of `file` what `said` says.
    let refused = |events: &Path, client_events: &Path, file: &Path, said: &str| {
        let (code, out, err) = check(events, client_events);
        assert_eq!(code, Some(2), "{out}{err}");
        assert!(
            err.contains(&format!("{}, {said}", file.display())),
            "{err}"
        );
    };
    refused(
        &server,
        &server,
        &server,
        "line 1: a `listening` line is only in the server's log, so this is the server's log, given as the client's",
    );
    refused(
        &client,
        &client,
        &client,
        "line 2: a `summary` line is only in the client's log, so this is the client's log, given as the server's",
    );
    refused(
        &garbage,
        &client,
        &garbage,
        "line 1: its \"ts\" is \"garbage\", not a time",
    );
    let (code, out, err) = check(&server, &client);
    assert_eq!(code, Some(1), "each log as its side's: checked: {out}{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An events "log" that is no log (/dev/zero: one endless line of zeros) is named at its first
/// line, within a bounded read, instead of read until memory runs out.
#[cfg(unix)]
#[test]
fn check_against_dev_zero_says_it_is_not_a_log_without_reading_it_all() {
    let (code, out, err) =
        check_lesson(&["--lesson", "listening", "--check", "--events", "/dev/zero"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("/dev/zero, line 1: longer than 1048576 bytes"),
        "{err}"
    );
}

/// The check's report to a reader that left (`| head -1`) or a full disk: no panic. A reader
/// that left changes nothing (the exit code is still the check's answer); a report that
/// cannot be written is exit 2, said on stderr.
#[cfg(unix)]
#[test]
fn a_check_whose_report_cannot_be_written_says_so_without_a_panic() {
    let dir = test_support::empty_folder("check-report");
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        "{\"event\":\"listening\",\"ts\":\"2026-01-01T00:00:00.000000Z\",\"address\":\"127.0.0.1:2002\",\"min\":2,\"max\":10,\"handle\":3}\n",
    )
    .unwrap();
    let args = [
        "--lesson",
        "listening",
        "--check",
        "--events",
        &events.to_string_lossy(),
    ];
    let (heard, out, err) = check_lesson(&args);
    assert!(matches!(heard, Some(0 | 1)), "{out}{err}");
    let unheard = to_a_reader_that_left(&args);
    let err = String::from_utf8_lossy(&unheard.stderr);
    assert_eq!(unheard.status.code(), heard, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let refused = to_a_full_disk(&args);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write the check's report"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Both logs from standard input is refused in words (each log got a share of the other's
/// lines, and the check went wrong without a word); `-` is standard input; a line that is not
/// UTF-8 is named with its line.
#[test]
fn a_check_reads_standard_input_for_one_log_only_and_names_a_line_that_is_not_text() {
    let (code, _, err) = check_lesson(&[
        "--lesson",
        "listening",
        "--check",
        "--client-events",
        "/dev/stdin",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot both be standard input"), "{err}");
    let dir = test_support::empty_folder("check-not-text");
    let log = dir.join("log.ndjson");
    std::fs::write(&log, b"\n\xff\xfe\n").unwrap();
    let checked = Command::new(server_binary())
        .args(["--lesson", "listening", "--check", "--events", "-"])
        .stdin(std::fs::File::open(&log).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(checked.status.code(), Some(2), "{err}");
    assert!(
        err.contains("standard input, line 2: not a JSON event line") && err.contains("not UTF-8"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--json` without `--headless` is refused in words (the window was tried, and said there was
/// no display).
#[test]
fn json_without_headless_exits_2_naming_headless() {
    let output = test_support::app::output(Command::new(server_binary()).arg("--json"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--headless"), "{stderr}");
}

/// `man` and `completions` to a reader that already left end as headless mode does when its
/// reader leaves: exit 0, nothing said (the manual page is larger than a pipe's buffer, so
/// `man | head -1` used to fail with "Broken pipe" while the short script did not).
#[test]
fn man_and_completions_to_a_reader_that_left_exit_0() {
    for subcommand in [&["man"][..], &["completions", "bash"]] {
        let printed = to_a_reader_that_left(subcommand);
        let err = String::from_utf8_lossy(&printed.stderr);
        assert_eq!(printed.status.code(), Some(0), "{subcommand:?}: {err}");
        assert!(err.is_empty(), "{subcommand:?}: {err}");
    }
}

/// `--help` or `--version` that cannot be written (a full disk, /dev/full) is said and exits
/// 1, as `man` does (clap exited 0 in silence); to a reader that left it is no failure.
#[cfg(target_os = "linux")]
#[test]
fn help_and_version_that_cannot_be_written_exit_1_saying_so() {
    for (flag, what) in [("--help", "help"), ("--version", "version")] {
        let printed = to_a_full_disk(&[flag]);
        let err = String::from_utf8_lossy(&printed.stderr);
        assert_eq!(printed.status.code(), Some(1), "{flag}: {err}");
        assert!(
            err.starts_with(&format!("server-app: the {what} could not be written")),
            "{flag}: {err}"
        );
        let printed = to_a_reader_that_left(&[flag]);
        assert_eq!(
            printed.status.code(),
            Some(0),
            "{flag} to a reader that left"
        );
    }
}

/// `server-app ARGS` with its output into a pipe whose reader is gone before it starts: every
/// write fails, as into `| head -1` once head has left.
fn to_a_reader_that_left(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(server_binary())
        .args(args)
        .stdout(writer)
        .output()
        .unwrap()
}

/// `server-app ARGS` with its output into `/dev/full`: every write fails with "no space".
fn to_a_full_disk(args: &[&str]) -> std::process::Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    Command::new(server_binary())
        .args(args)
        .stdout(full)
        .output()
        .unwrap()
}

/// Errors said to a standard error that takes no writes (`2>/dev/full`) keep their exit
/// status: a usage error 2, a port in use 1 (both died of a panic, 101).
#[test]
fn an_unwritable_stderr_keeps_the_exit_status() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for (args, status) in [
        (vec!["--headless", "--min", "5", "--max", "3"], 2),
        (vec!["--headless", "--port", port.as_str()], 1),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = Command::new(server_binary())
            .args(&args)
            .stderr(full)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(status), "{args:?}");
    }
}

#[test]
fn help_names_every_flag_with_its_default_and_version_the_version() {
    let help = test_support::app::printed_by_success(Command::new(server_binary()).arg("--help"));
    for expected in [
        "--headless",
        "--bind",
        "[default: 127.0.0.1]",
        "--port",
        "[default: 2002]",
        "--min",
        "[default: 2]",
        "--max",
        "[default: 10]",
        "--json",
        "--backlog",
        "[default: 1024]",
        "MinimumSocketsAvailable",
        "MaximumSocketsConnected",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}: {help}");
    }
    let version =
        test_support::app::printed_by_success(Command::new(server_binary()).arg("--version"));
    test_support::app::assert_names_its_version(
        "server-app",
        &version,
        serversocket_app::version::VERSION,
        env!("CARGO_PKG_VERSION"),
    );
}

#[test]
fn help_names_the_paused_flag() {
    let output = test_support::app::output(Command::new(server_binary()).arg("--help"));
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--paused"), "{help}");
    assert!(help.contains("Pause accepting from the start"), "{help}");
}
