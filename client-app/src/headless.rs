//! `client-app --headless`: the seed's client on the terminal.
//!
//! Opens N sockets (ids 0..N-1) at once. Each writes `Socket N connected!` when connected and
//! answers every message with ` I got something from you.`; every event is printed as one line.
//! Exits once every socket is closed: 0 if all connected, 1 if any failed to connect. Ctrl-C or
//! SIGTERM closes the sockets first.

use std::collections::BTreeSet;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use serversocket::report::{Printer, Role};
use serversocket::seed::Replier;
use serversocket::{
    DEFAULT_CONNECT_TIMEOUT, Event, Runtime, SocketId, TcpSocket, event_channel, termination_signal,
};

use crate::Args;

/// How long closing waits for every socket to report closed after a termination signal.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Runs the headless client until all its sockets are closed.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
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
                Replier::default(),
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
    runtime.block_on(async {
        let mut stop = std::pin::pin!(termination_signal());
        let mut signalled = false;
        while !tally.open.is_empty() {
            tokio::select! {
                event = receiver.recv() => match event {
                    Some(event) => {
                        printer.print(&event);
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
