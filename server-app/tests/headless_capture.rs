//! `server-app --headless --capture` as a user without CAP_NET_RAW (a real second user, run
//! through `setpriv`): one line on stderr says capturing needs the capability and gives the
//! exact command that grants it, and the server serves as it would without `--capture`, then
//! exits 1 at the stop (the capture asked for never ran), as with `--capture-file`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{App, client_of, is_event, server_binary};
use test_support::other_user::{as_other_command, other_user};

/// `server-app ARGS` run as another user, without CAP_NET_RAW; `None` (said) where no second
/// user can be made.
fn as_another_user(args: &[&str]) -> Option<App> {
    let command = as_other_command(other_user()?, server_binary());
    let setpriv: Vec<String> = command
        .get_args()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let mut all: Vec<&str> = setpriv.iter().map(String::as_str).collect();
    all.extend(args);
    Some(App::start(command.get_program().into(), &all))
}

/// The server serves, and exits 1 at the stop: a script that asked for `--capture` and got
/// no segments can tell from the status (it exited 0, as if the capture had run).
#[test]
fn without_the_capability_the_capture_says_how_to_grant_it_the_server_serves_and_exits_1() {
    let Some(mut server) = as_another_user(&["--headless", "--port", "0", "--json", "--capture"])
    else {
        return;
    };
    let address = server.listening_address();
    let mut client = client_of(&address);
    let mut greeting = [0; 43];
    std::io::Read::read_exact(&mut client, &mut greeting).expect("served without the capture");
    drop(client);
    server.signal("TERM");
    let (status, lines, stderr) = server.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        !lines
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .any(|value: serde_json::Value| is_event(&value, "segment")),
        "nothing was captured: {lines:#?}"
    );
    let said: Vec<&str> = stderr.lines().collect();
    // The program's own file, by its path: `$(command -v server-app)` named nothing for a
    // program run from a folder not on PATH, as this one is.
    let grant = format!(
        "server-app: capturing packets needs the CAP_NET_RAW capability; grant it once with: \
         sudo setcap cap_net_raw,cap_net_admin=eip {}; running without the capture",
        std::fs::canonicalize(server_binary()).unwrap().display()
    );
    assert_eq!(said, [grant.as_str()], "one line, with the command");
}

/// A capture file asked for that cannot be written because the capture cannot start: the
/// server serves, says so, and exits 1, so a script does not go on to read a file that is not
/// there (it exited 0).
#[test]
fn without_the_capability_a_capture_file_asked_for_makes_the_exit_status_1() {
    let folder = test_support::empty_folder("capture-file-without-capability");
    let file = folder.join("never.pcapng");
    let file_arg = file.display().to_string();
    let Some(mut server) =
        as_another_user(&["--headless", "--port", "0", "--capture-file", &file_arg])
    else {
        return;
    };
    server.until_line("the server listening", |line| {
        line.starts_with("Listening on")
    });
    server.signal("TERM");
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{file_arg} is not written")),
        "{stderr}"
    );
    assert!(!file.exists());
    let _ = std::fs::remove_dir_all(&folder);
}
