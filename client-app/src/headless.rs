//! `client-app --headless`: the seed's client on the terminal.
//!
//! Opens N sockets (ids 0..N-1) at once. Each writes `Socket N connected!` when connected and
//! answers every message with ` I got something from you.` (or follows `--hello`, `--no-reply`,
//! `--repeat`, `--send-file`); every event is printed as one line.
//! Exits once every socket is closed: 0 if all connected, 1 if any failed to connect. Ctrl-C or
//! SIGTERM closes the sockets first.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use serversocket::report::{Printer, Role};
use serversocket::script::{self, SendTally};
use serversocket::{
    DEFAULT_CONNECT_TIMEOUT, Event, Runtime, SocketId, TcpSocket, event_channel, termination_signal,
};

use crate::Args;

/// How long closing waits for every socket to report closed after a termination signal.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Runs the headless client until all its sockets are closed.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // Checked before anything starts: a missing file connects nothing.
    let script = match args.script.script() {
        Ok(script) => script,
        Err(error) => {
            eprintln!("client-app: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    let runtime = Runtime::new()?;
    let (events, receiver) = event_channel(None);
    let mut printer = Printer::new(Role::Client, args.json, io::stdout());
    let sockets: Vec<TcpSocket> = (0..args.connect)
        .map(|index| {
            TcpSocket::connect(
                &runtime,
                SocketId(index),
                args.address.clone(),
                args.port,
                script.handler(),
                events.clone(),
                DEFAULT_CONNECT_TIMEOUT,
            )
        })
        .collect();
    drop(events);
    let mut tally = Tally {
        open: sockets.iter().map(TcpSocket::id).collect(),
        connected: BTreeSet::new(),
        failed: false,
    };
    let mut files: HashMap<SocketId, SendTally> = HashMap::new();
    // What the script does once a socket connects: its repeats, and counting its file's progress.
    let mut on_event = |printer: &mut Printer<io::Stdout>, event: &Event| match event {
        Event::Connected { socket, .. } => {
            let hello = script.hello_for(socket.0);
            if let Some(file) = &script.file {
                let total = (hello.len() + file.len()) as u64;
                files.insert(*socket, SendTally::new(total));
            }
            let handle = usize::try_from(socket.0).ok().and_then(|i| sockets.get(i));
            if let Some(handle) = handle.filter(|_| args.script.repeat > 1) {
                runtime.handle().spawn(script::repeat(
                    handle.clone(),
                    hello,
                    args.script.repeat - 1,
                    args.script.interval(),
                ));
            }
        }
        Event::SendProgress { socket, sent, .. } => {
            let Some(tally) = files.get_mut(socket) else {
                return;
            };
            if let Some(so_far) = tally.add(*sent) {
                let total = tally.total();
                printer.print_note_with(
                    &format!(
                        "Socket {socket} sent {}% ({so_far} of {total} bytes, hello and file).",
                        so_far * 100 / total
                    ),
                    "send_progress",
                    serde_json::json!({"socket": socket, "sent": so_far, "total": total}),
                );
            }
        }
        _ => {}
    };
    runtime.block_on(async {
        let mut stop = std::pin::pin!(termination_signal());
        let mut signalled = false;
        while !tally.open.is_empty() {
            tokio::select! {
                event = receiver.recv() => match event {
                    Some(event) => {
                        printer.print(&event);
                        on_event(&mut printer, &event);
                        tally.note(&event);
                    }
                    None => break,
                },
                () = &mut stop => {
                    signalled = true;
                    break;
                }
            }
            if printer.is_closed() {
                // Whoever read our output is gone (say `| head`): stop as on Ctrl-C.
                signalled = true;
                break;
            }
        }
        if signalled {
            sockets.iter().for_each(TcpSocket::close);
            let _ = tokio::time::timeout(SHUTDOWN_WAIT, async {
                while !tally.open.is_empty() {
                    let Some(event) = receiver.recv().await else {
                        break;
                    };
                    printer.print(&event);
                    tally.note(&event);
                }
            })
            .await;
        }
    });
    Ok(if tally.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Which sockets are still open and whether any failed to connect.
struct Tally {
    /// Sockets not yet closed.
    open: BTreeSet<SocketId>,
    /// Sockets that connected at some point.
    connected: BTreeSet<SocketId>,
    /// A socket closed without ever connecting.
    failed: bool,
}

impl Tally {
    fn note(&mut self, event: &Event) {
        match event {
            Event::Connected { socket, .. } => {
                self.connected.insert(*socket);
            }
            Event::Closed { socket } => {
                self.open.remove(socket);
                self.failed |= !self.connected.contains(socket);
            }
            _ => {}
        }
    }
}
