//! Starting the other program: it is told that the user asked to see its window, so the window
//! comes to the front as it opens (it opened behind the one whose button started it).

#![cfg(unix)]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;

use serversocket_app::launch;

#[test]
fn the_program_started_is_told_its_window_was_asked_for() {
    let folder = std::env::temp_dir().join(format!("launch-test-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let program = folder.join("other-app");
    let said = folder.join("said");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nprintf '%s' \"${}\" > '{}'\n",
            launch::ASKED_TO_SHOW,
            said.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut child = launch::start(&program).unwrap();
    let status = test_support::exited(&mut child, "the program did not end");
    assert!(status.success(), "{status}");
    assert_eq!(std::fs::read_to_string(&said).unwrap(), "1");
    std::fs::remove_dir_all(&folder).unwrap();
}
