//! `client-app --headless`: the seed's client on the terminal.
//!
//! Opens N sockets (ids 0..N-1), at most `--in-flight` connecting at a time (the next starts as
//! one connects or fails). Each writes `Socket N connected!` when connected and answers every
//! message with ` I got something from you.` (or follows `--hello`, `--no-reply`, `--repeat`,
//! `--send-file`); every event is printed as one line.
//! Exits once every socket is closed: 0 if all connected, 1 if any failed to connect. Ctrl-C or
//! SIGTERM closes the sockets first.

use std::collections::{BTreeSet, HashMap};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serversocket::output::Output;
use serversocket::report::{Printer, Role};
use serversocket::script::{self, ClientScript, SendTally};
use serversocket::tls::ClientTls;
use serversocket::{
    DEFAULT_CONNECT_TIMEOUT, Event, EventSender, Runtime, SocketId, TcpSocket, event_channel,
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
    let tls = match args.tls.client_tls() {
        Ok(tls) => tls,
        Err(error) => {
            eprintln!("client-app: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    let runtime = Runtime::new()?;
    let (events, receiver) = event_channel(None);
    let mut printer = Printer::stdout(Role::Client, args.json)?;
    let mut starter = Starter {
        runtime: &runtime,
        args,
        script: &script,
        tls,
        events: Some(events),
        next: 0,
        sockets: Vec::new(),
    };
    let mut tally = Tally::default();
    let mut files: HashMap<SocketId, SendTally> = HashMap::new();
    starter.top_up(&mut tally);
    runtime.block_on(async {
        // Whoever read our output may be gone (say `| head`) after our last line: stop then too.
        let mut stop = std::pin::pin!(printer.out().reader_gone().or_termination_signal());
        let mut signalled = false;
        while !tally.open.is_empty() {
            tokio::select! {
                event = receiver.recv() => match event {
                    Some(event) => {
                        printer.print(&event);
                        starter.follow_script(&mut printer, &mut files, &event);
                        tally.note(&event);
                        starter.top_up(&mut tally);
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
            starter.stop();
            starter.sockets.iter().for_each(TcpSocket::close);
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

/// Starts the sockets, at most `--in-flight` connecting at a time, and runs their script.
struct Starter<'a> {
    /// Where the sockets run.
    runtime: &'a Runtime,
    /// Where, how many, how many at once.
    args: &'a Args,
    /// What each socket sends.
    script: &'a ClientScript,
    /// The TLS settings of every socket, `None` for plain TCP.
    tls: Option<Arc<ClientTls>>,
    /// The sockets' event sender; dropped once every socket has started (or on a signal), so
    /// the channel ends when the last socket does.
    events: Option<EventSender>,
    /// The next socket's id.
    next: u64,
    /// Every socket started so far, in id order.
    sockets: Vec<TcpSocket>,
}

impl Starter<'_> {
    /// Starts sockets until `--in-flight` are connecting or all `--connect` have started.
    fn top_up(&mut self, tally: &mut Tally) {
        while tally.connecting.len() < self.args.in_flight && self.next < self.args.connect {
            let Some(events) = &self.events else {
                return;
            };
            let id = SocketId(self.next);
            self.next += 1;
            tally.open.insert(id);
            tally.connecting.insert(id);
            let (host, port) = (self.args.address.clone(), self.args.port);
            let (handler, events) = (self.script.handler(), events.clone());
            self.sockets.push(match &self.tls {
                None => TcpSocket::connect(
                    self.runtime,
                    id,
                    host,
                    port,
                    handler,
                    events,
                    DEFAULT_CONNECT_TIMEOUT,
                ),
                Some(tls) => TcpSocket::connect_secure(
                    self.runtime,
                    id,
                    host,
                    port,
                    handler,
                    events,
                    DEFAULT_CONNECT_TIMEOUT,
                    Arc::clone(tls),
                ),
            });
        }
        if self.next >= self.args.connect {
            self.stop();
        }
    }

    /// Starts no more sockets.
    fn stop(&mut self) {
        self.events = None;
    }

    /// What the script does once a socket connects: its repeats, and counting its file's
    /// progress (a `send_progress` line each tenth).
    fn follow_script(
        &self,
        printer: &mut Printer<Output>,
        files: &mut HashMap<SocketId, SendTally>,
        event: &Event,
    ) {
        match event {
            Event::Connected { socket, .. } => {
                let hello = self.script.hello_for(socket.0);
                if let Some(file) = &self.script.file {
                    let total = (hello.len() + file.len()) as u64;
                    files.insert(*socket, SendTally::new(total));
                }
                let handle = usize::try_from(socket.0)
                    .ok()
                    .and_then(|i| self.sockets.get(i));
                if let Some(handle) = handle.filter(|_| self.args.script.repeat > 1) {
                    self.runtime.handle().spawn(script::repeat(
                        handle.clone(),
                        hello,
                        self.args.script.repeat - 1,
                        self.args.script.interval(),
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
        }
    }
}

/// Which sockets are still open and whether any failed to connect.
#[derive(Default)]
struct Tally {
    /// Sockets started and not yet closed.
    open: BTreeSet<SocketId>,
    /// Sockets started that have neither connected nor closed: the connects under way.
    connecting: BTreeSet<SocketId>,
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
                self.connecting.remove(socket);
            }
            Event::Closed { socket } => {
                self.open.remove(socket);
                self.connecting.remove(socket);
                self.failed |= !self.connected.contains(socket);
            }
            _ => {}
        }
    }
}
