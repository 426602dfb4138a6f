//! `client-app --headless`: the seed's client on the terminal.
//!
//! Opens N sockets (ids 0..N-1), at most `--in-flight` connecting at a time (the next starts as
//! one connects or fails). Each writes `Socket N connected!` when connected and answers every
//! message with ` I got something from you.` (or follows `--hello`, `--no-reply`, `--repeat`,
//! `--send-file`); every event is printed as one line.
//! Once every socket is greeted (its first bytes arrived) or closed, one `summary` line gives
//! the counts and the time from the first connect to the last greeting (printed at exit
//! instead if that moment never came).
//! Exits once every socket is closed: 0 if all connected, 1 if any failed to connect. Ctrl-C or
//! SIGTERM closes the sockets first.

use std::collections::{BTreeSet, HashMap};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serversocket::tls::ClientTls;
use serversocket::{Event, EventSender, Runtime, SocketId, SocketIds, TcpSocket};
use serversocket_app::capture::HeadlessCapture;
use serversocket_app::headless::{Headless, usage_error};
use serversocket_app::script::{self, ClientScript, SendTally};
use serversocket_app::shutdown::exit_code;
use serversocket_capture::{Conversations, End};
use serversocket_report::output::Output;
use serversocket_report::{Printer, Record, Side};

use crate::Args;

/// How long closing waits for every socket to report closed after a termination signal.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Runs the headless client until all its sockets are closed.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // Checked before anything starts: a missing file connects nothing.
    let script = match args.script.script() {
        Ok(script) => script,
        Err(error) => return Ok(usage_error("client-app", error)),
    };
    let tls = match args.tls.client_tls() {
        Ok(tls) => tls,
        Err(error) => return Ok(usage_error("client-app", error)),
    };
    let Headless {
        runtime,
        events,
        mut receiver,
        mut printer,
        mut stop,
    } = Headless::start(Side::Client, args.json)?;
    let mut starter = Starter {
        runtime: &runtime,
        args,
        script: &script,
        tls,
        events: Some(events),
        next: 0,
        ids: SocketIds::new(),
        sockets: Vec::new(),
    };
    let mut tally = Tally::default();
    let mut files: HashMap<SocketId, SendTally> = HashMap::new();
    let started = Instant::now();
    let mut summarised = false;
    // Started before the first socket, so its SYN is captured.
    let mut capture = HeadlessCapture::start(
        &args.capture,
        "client-app",
        Conversations::new(End::Client, args.port),
    );
    starter.top_up(&mut tally);
    let captured = runtime.block_on(async {
        let mut signalled = false;
        while !tally.open.is_empty() {
            let captured = async {
                match capture.as_mut() {
                    Some(capture) => capture.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = captured => {
                    if let Some(capture) = capture.as_mut() {
                        capture.print(&mut printer);
                    }
                }
                event = receiver.recv() => match event {
                    Some(event) => {
                        printer.print(&event);
                        if let Some(capture) = capture.as_mut() {
                            capture.follow(&event);
                            capture.print(&mut printer);
                        }
                        starter.follow_script(&mut printer, &mut files, &event);
                        tally.note(&event);
                        starter.top_up(&mut tally);
                        if !summarised && starter.all_started() && tally.settled() {
                            summarised = true;
                            tally.summary(&mut printer, args.connect, Some(started.elapsed()));
                        }
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
            // Connects still under way are cut short by us, not refused by anyone.
            tally.stopping = true;
            tally.not_started = args.connect.saturating_sub(starter.next);
            starter.stop();
            starter.sockets.iter().for_each(TcpSocket::close);
            let _ = tokio::time::timeout(SHUTDOWN_WAIT, async {
                while !tally.open.is_empty() {
                    let Some(event) = receiver.recv().await else {
                        break;
                    };
                    printer.print(&event);
                    if let Some(capture) = capture.as_mut() {
                        capture.follow(&event);
                    }
                    tally.note(&event);
                }
            })
            .await;
        }
        // The goodbyes' last segments, before the summary.
        match capture.take() {
            Some(capture) => capture.finish(&mut printer, "client-app").await,
            None => args.capture.without_capture(),
        }
    });
    if !summarised {
        tally.summary(&mut printer, args.connect, None);
    }
    Ok(if tally.failures > 0 {
        ExitCode::FAILURE
    } else {
        exit_code(printer.out(), captured)
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
    /// How many sockets have started.
    next: u64,
    /// Where each socket's id comes from (0, 1, 2 … in start order, the seed's index).
    ids: SocketIds,
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
            self.next += 1;
            let mut connect = TcpSocket::builder(self.args.address.clone(), self.args.port);
            if let Some(tls) = &self.tls {
                connect = connect.tls(Arc::clone(tls));
            }
            let socket = connect.connect(
                self.runtime,
                &self.ids,
                self.script.handler(),
                events.clone(),
            );
            tally.open.insert(socket.id());
            tally.connecting.insert(socket.id());
            self.sockets.push(socket);
        }
        if self.next >= self.args.connect {
            self.stop();
        }
    }

    /// Every socket asked for has started.
    fn all_started(&self) -> bool {
        self.next >= self.args.connect
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
                        std::sync::Arc::default(),
                    ));
                }
            }
            Event::SendProgress { socket, sent, .. } => {
                let Some(tally) = files.get_mut(socket) else {
                    return;
                };
                if let Some(so_far) = tally.add(*sent) {
                    let total = tally.total();
                    printer.print_note(
                        &format!(
                            "Socket {socket} sent {}% ({so_far} of {total} bytes, hello and file).",
                            so_far * 100 / total
                        ),
                        Record::SendProgress {
                            sent: so_far,
                            socket: *socket,
                            total,
                        },
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
    /// Connected sockets whose first bytes from the server have not arrived yet (and that have
    /// not closed): the summary waits for these.
    awaiting_greeting: BTreeSet<SocketId>,
    /// Sockets whose first bytes were a TLS server's alert, until the note that says so
    /// (the summary comes after it, not between the bytes and their explanation).
    awaiting_tls_note: BTreeSet<SocketId>,
    /// How many sockets received bytes from the server (their greeting).
    greeted: u64,
    /// How many sockets closed without ever connecting.
    failures: u64,
    /// The program is stopping (a signal, or its output's reader gone): a connect under way
    /// that closes now was cancelled, not failed.
    stopping: bool,
    /// How many connects the stop cut short.
    cancelled: u64,
    /// How many of the sockets asked for the stop came before they started.
    not_started: u64,
}

impl Tally {
    fn note(&mut self, event: &Event) {
        match event {
            Event::Connected { socket, .. } => {
                self.connected.insert(*socket);
                self.connecting.remove(socket);
                self.awaiting_greeting.insert(*socket);
            }
            Event::Data { socket, data, .. } => {
                // Only a socket's first bytes are its greeting, and a TLS server's alert to
                // a plain client is none (it was counted "1 greeted"; its note says why).
                let first = self.awaiting_greeting.remove(socket);
                if first {
                    if serversocket::seed::looks_like_tls(data) {
                        self.awaiting_tls_note.insert(*socket);
                    } else {
                        self.greeted += 1;
                    }
                }
            }
            Event::Note { socket, .. } => {
                self.awaiting_tls_note.remove(socket);
            }
            Event::Closed { socket } => {
                self.open.remove(socket);
                self.connecting.remove(socket);
                self.awaiting_greeting.remove(socket);
                self.awaiting_tls_note.remove(socket);
                if !self.connected.contains(socket) {
                    if self.stopping {
                        self.cancelled += 1;
                    } else {
                        self.failures += 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// Every socket started so far is greeted or closed: nothing more will change the counts
    /// of the summary.
    fn settled(&self) -> bool {
        self.connecting.is_empty()
            && self.awaiting_greeting.is_empty()
            && self.awaiting_tls_note.is_empty()
    }

    /// The summary line: how many sockets connected, were greeted and failed, and how long it
    /// took until the last was greeted (`None`: that moment never came, e.g. a signal first).
    fn summary(&self, printer: &mut Printer<Output>, sockets: u64, took: Option<Duration>) {
        let connected = self.connected.len() as u64;
        let (greeted, failed) = (self.greeted, self.failures);
        // Every socket asked for is counted once: connected, failed, or cut short by the stop
        // (connecting then, or not started yet).
        let cancelled = self.cancelled + self.not_started;
        let time = match took {
            Some(took) if greeted == sockets => {
                format!(
                    "all greeted {:.3} s after the first connect",
                    took.as_secs_f64()
                )
            }
            _ => "not all greeted".to_owned(),
        };
        let cancelled_words = match (self.cancelled, self.not_started) {
            (0, 0) => String::new(),
            (connecting, 0) => format!(", {connecting} still connecting when stopped"),
            (0, waiting) => format!(", {waiting} not started when stopped"),
            (connecting, waiting) => {
                format!(", {connecting} still connecting and {waiting} not started when stopped")
            }
        };
        printer.print_note(
            &format!(
                "Summary: {sockets} socket{}, {connected} connected, {greeted} greeted, \
                 {failed} failed to connect{cancelled_words}; {time}.",
                if sockets == 1 { "" } else { "s" }
            ),
            Record::Summary {
                all_greeted_seconds: took
                    .filter(|_| greeted == sockets)
                    .map(|took| took.as_secs_f64()),
                cancelled,
                connected,
                failed,
                greeted,
                sockets,
            },
        );
    }
}
