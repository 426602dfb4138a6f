//! The Packets view over real loopback sockets, captured (as root, as CI runs): Capture
//! packets on, Listen, a client greeted and gone; the selected socket's segments are drawn
//! in order beside its events, the pipeline's dot is named by the segments that moved it, and
//! Export .pcapng writes a file `tshark -r` reads.

use std::io::Write;

use egui_kittest::kittest::Queryable;
use serversocket::{Event, SocketId};

use crate::window::ServerWindow;
use serversocket_ui::packets::Arrival;

use super::{greeted_client, listen, run_until, window};
use test_support::kittest::click;

#[test]
fn the_packets_view_draws_the_selected_connection_and_exports_it() {
    let mut harness = window(2, 10);
    click(&mut harness, "Packets");
    click(&mut harness, "Capture packets");
    let address = listen(&mut harness);
    assert!(
        harness.state().packets.problem().is_none(),
        "this test captures packets and needs CAP_NET_RAW (CI runs as root): {:?}",
        harness.state().packets.problem()
    );
    let mut client = greeted_client(address);
    let client_port = client.local_addr().unwrap().port();
    // Two writes, the second once the first was read: two DataAvailable events.
    let data_events = |w: &ServerWindow| {
        w.server
            .log
            .entries()
            .iter()
            .filter(|entry| matches!(entry.event, Event::Data { .. }))
            .count()
    };
    client.write_all(b"hi\r\n").unwrap();
    run_until(&mut harness, "the first write read", |w| {
        data_events(w) == 1
    });
    client.write_all(b"again\r\n").unwrap();
    run_until(&mut harness, "the second write read", |w| {
        data_events(w) == 2
    });
    drop(client);
    run_until(&mut harness, "both FINs and the last ACK captured", |w| {
        let segments = w.packets.of_socket(SocketId(0));
        let fins = segments.iter().filter(|s| s.segment.flags.fin).count();
        fins == 2 && segments.last().is_some_and(|last| !last.segment.flags.fin)
    });
    // The pipeline's dot of this connection names what moved it at each stage.
    let packets = &harness.state().packets;
    assert_eq!(
        packets.moved_by(client_port, Arrival::Arriving).as_deref(),
        Some("SYN")
    );
    assert_eq!(
        packets.moved_by(client_port, Arrival::Queued).as_deref(),
        Some("SYN-ACK, ACK")
    );
    assert_eq!(
        packets.moved_by(client_port, Arrival::Beyond).as_deref(),
        Some("ACK")
    );
    harness.state_mut().log_view.toggle_socket(SocketId(0));
    harness.run();
    for drawn in test_support::kittest::HANDSHAKE_DRAWN {
        harness.get_by_label(drawn);
    }
    // Each event its own dot beside the segment that carried its bytes (two DataAvailable
    // were one, at the first one's moment with the last one's text).
    assert_eq!(
        harness
            .query_all_by_label("DataAvailable, an event of this socket")
            .count(),
        2
    );
    let folder = test_support::empty_folder("packets-view");
    let file = folder.join("socket0.pcapng");
    harness.state_mut().packets_view.export_path = file.display().to_string();
    harness.get_by_label("Export .pcapng").click();
    run_until(&mut harness, "the export written", |w| {
        w.packets
            .exported()
            .is_some_and(|said| said.contains("written"))
    });
    let kept = harness.state().packets.kept();
    let read = test_support::tshark_reads(&file, &[]);
    assert_eq!(read.lines().count(), kept);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "the user's payloads, readable by the user alone"
        );
    }
    let _ = std::fs::remove_dir_all(&folder);
}
