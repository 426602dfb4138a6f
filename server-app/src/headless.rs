//! `server-app --headless`: the seed's server on the terminal.
//!
//! Each pooled socket greets its client and takes what it receives (or answers as `--reply`
//! says); every event is printed as one line. Ctrl-C or SIGTERM stops listening, closes every connection, prints `stopped` and
//! exits 0. A failed Listen exits 1 naming the error code.

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serversocket::naive::NaiveServer;
use serversocket::tls::ServerTls;
use serversocket::{Event, EventReceiver, ServerSocket, SocketError};
use serversocket_app::capture::HeadlessCapture;
use serversocket_app::headless::{Headless, usage_error};
use serversocket_app::reply::ReplyMode;
use serversocket_app::shutdown::exit_code;
use serversocket_capture::{Conversations, End};
use serversocket_report::output::Output;
use serversocket_report::{Printer, Record, Side};

use crate::{Args, Mode};

/// The program's name in its messages.
const PROGRAM: &str = "server-app";

/// How long shutdown waits for every connection to report closed.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// The most events printed between two flushes: a flood still reaches the reader in steps.
const BATCH: usize = 1024;

/// How long the printer lets the rest of a burst gather after writing its first event's line:
/// a few writes a millisecond for a burst of connections rather than one an event, and fewer
/// wake-ups of whoever reads. (Measured: no gather costs both the accept rate and the lines'
/// delay, since every wake-up on a busy machine waits for a core; 2 ms gained nothing over 1.)
const GATHER: Duration = Duration::from_millis(1);

/// How much of a batch is printed before it is flushed: four pages, a quarter of what a pipe
/// holds by default, which a pipe its reader keeps empty takes in one write (see
/// `serversocket_report::output`), and so one wake-up of the reader; a batch's first lines
/// wait only while the next few dozen are made (microseconds), not while all of a thousand
/// are (a millisecond or two, more when a busy machine preempts the printer).
const FLUSH_BYTES: usize = 16 * 1024;

/// Prints and flushes `first`, lets the events that follow it gather for [`GATHER`], prints
/// them (taken from `more`, at most [`BATCH`]) and flushes every [`FLUSH_BYTES`]: a few writes
/// to the pipe for a burst instead of one a line, which is what lets the printing loop keep up
/// with a burst of connections.
///
/// The first line is written before the gather, not with the rest: the sleep ends with a
/// wake-up, and on a busy machine a woken thread can wait two of the kernel's clock ticks for
/// a core (8 ms at 250 Hz), which a line made before the sleep would wait through too. Lines
/// made after it are written within microseconds of being made.
fn print_batch<W: std::io::Write>(
    printer: &mut Printer<W>,
    first: &Event,
    mut more: impl FnMut() -> Option<Event>,
    mut capture: Option<&mut HeadlessCapture>,
    after_listening: &mut Option<String>,
) {
    printer.print_unflushed(first);
    note_after_listening(printer, first, after_listening);
    printer.flush();
    if let Some(capture) = capture.as_deref_mut() {
        capture.follow(first);
    }
    // The thread's own sleep, not tokio's timer: this runs on the main thread (`block_on`),
    // which no task shares, and tokio's timer rounds up to the next millisecond and fires only
    // when a busy worker gets round to it.
    std::thread::sleep(GATHER);
    for event in std::iter::from_fn(&mut more).take(BATCH - 1) {
        printer.print_unflushed(&event);
        note_after_listening(printer, &event, after_listening);
        if let Some(capture) = capture.as_deref_mut() {
            capture.follow(&event);
        }
        if printer.unflushed() >= FLUSH_BYTES {
            printer.flush();
        }
    }
    printer.flush();
    // The segments the batch's Connected tied to their sockets.
    if let Some(capture) = capture {
        capture.print(printer);
    }
}

/// Runs the headless server until a termination signal.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // Checked before anything starts, so a bad rule opens no listener.
    let reply = match args.reply.mode() {
        Ok(reply) => reply,
        Err(error) => return Ok(usage_error(PROGRAM, error)),
    };
    let tls = match args.tls.server_tls() {
        Ok(tls) => tls,
        Err(error) => return Ok(usage_error(PROGRAM, error)),
    };
    if let Some(mismatch) = args
        .flags_of_the_other_mode()
        .or_else(|| args.min_above_max())
    {
        return Ok(usage_error(PROGRAM, mismatch));
    }
    if args.mode == Mode::Naive && tls.is_some() {
        return Ok(usage_error(
            PROGRAM,
            "--tls works with --mode pool (the naive server is plain TCP)",
        ));
    }
    let headless = Headless::start(Side::Server, args.json)?;
    match args.mode {
        Mode::Pool => Ok(run_pool(args, reply, tls, headless)),
        Mode::Naive => Ok(run_naive(args, reply, headless)),
    }
}

/// The seed's server on a ServerSocket.
fn run_pool(
    args: &Args,
    reply: ReplyMode,
    tls: Option<Arc<ServerTls>>,
    mut headless: Headless,
) -> ExitCode {
    if let Some(tls) = &tls {
        headless
            .printer
            .set_tls_fingerprint(tls.fingerprint().to_owned());
    }
    let mut server = ServerSocket::new(&headless.runtime, headless.events, move |_id| {
        reply.handler()
    });
    server.set_scoped_network_interface(args.bind.ip, args.bind.scope_id);
    server.set_port(args.port);
    server
        .set_idle_timeout((args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout)));
    server.set_backlog(args.backlog);
    server.set_accepting_paused(args.paused);
    server.set_tls(tls);
    // Started before Listen, so the first client's SYN is captured (port 0 is known after).
    let mut capture = (args.port != 0)
        .then(|| start_capture(args, args.port))
        .flatten();
    let started = server
        .set_limits(args.min, args.max)
        .and_then(|()| server.listen());
    if let Err(error) = started {
        return listen_failed(&mut headless.printer, &error);
    }
    if args.port == 0 {
        capture = server
            .local_address()
            .and_then(|address| start_capture(args, address.port()));
    }
    let captured = headless.runtime.block_on(async {
        print_until_stopped(
            &mut headless.printer,
            &mut headless.receiver,
            headless.stop,
            capture.as_mut(),
            // Said after `listening`, the first line a script waits for.
            serversocket_kernel::backlog_capped(args.backlog),
        )
        .await;
        server.stop_listening();
        server.close_all();
        // Print what the closing sockets report until every task has ended (a socket's Closed
        // is its task's last act); "stopped" comes last.
        let drained = tokio::time::timeout(SHUTDOWN_WAIT, async {
            while server.has_running_tasks() {
                match tokio::time::timeout(Duration::from_millis(10), headless.receiver.recv())
                    .await
                {
                    // The listener is gone: close what it accepted after the first close_all.
                    Ok(Some(Event::Stopped)) => server.close_all(),
                    Err(_) => {}
                    Ok(Some(event)) => {
                        headless.printer.print(&event);
                        if let Some(capture) = capture.as_mut() {
                            capture.follow(&event);
                        }
                    }
                    Ok(None) => break,
                }
            }
        })
        .await;
        if drained.is_err() {
            serversocket_app::say!(
                "server-app: some connections did not close within {SHUTDOWN_WAIT:?}"
            );
        }
        while let Some(event) = headless.receiver.try_recv() {
            if event != Event::Stopped {
                headless.printer.print(&event);
            }
        }
        // The goodbyes' last segments, before "stopped".
        match capture.take() {
            Some(capture) => capture.finish(&mut headless.printer, PROGRAM).await,
            None => args.capture.without_capture(),
        }
    });
    headless.printer.print(&Event::Stopped);
    let _ = server.shutdown(SHUTDOWN_WAIT);
    exit_code(headless.printer.out(), captured)
}

/// Prints `note` (the backlog the system cut) right after the `listening` line, the first a
/// script waits for (`| head -1` for the TLS fingerprint): it came before it.
fn note_after_listening<W: std::io::Write>(
    printer: &mut Printer<W>,
    event: &Event,
    note: &mut Option<String>,
) {
    if matches!(event, Event::Listening { .. })
        && let Some(note) = note.take()
    {
        printer.print_note_unflushed(&note, Record::BacklogCapped, std::time::SystemTime::now());
    }
}

/// Prints what the sockets report, a burst at a time, until the program is asked to stop,
/// every sender is gone, or whoever read our output is gone (say `| head`).
async fn print_until_stopped(
    printer: &mut Printer<Output>,
    receiver: &mut EventReceiver,
    mut stop: Pin<Box<dyn Future<Output = ()>>>,
    mut capture: Option<&mut HeadlessCapture>,
    mut after_listening: Option<String>,
) {
    loop {
        let captured = async {
            match capture.as_deref_mut() {
                Some(capture) => capture.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = receiver.recv() => match event {
                Some(event) => {
                    print_batch(
                        printer,
                        &event,
                        || receiver.try_recv(),
                        capture.as_deref_mut(),
                        &mut after_listening,
                    );
                }
                None => break,
            },
            () = captured => {
                if let Some(capture) = capture.as_deref_mut() {
                    capture.print(printer);
                }
            }
            () = &mut stop => break,
        }
        if printer.is_closed() {
            break;
        }
    }
}

/// The capture `--capture` asks for, of the server's `port` on the address it listens on.
fn start_capture(args: &Args, port: u16) -> Option<HeadlessCapture> {
    let conversations = Conversations::new(End::Server, port).listening_on(args.bind.ip);
    HeadlessCapture::start(&args.capture, PROGRAM, conversations)
}

/// A Listen that failed: its one report, as the event would be printed, and its code on
/// stderr; the program exits 1, and says nothing more of a reader that left (`| head -1`).
fn listen_failed(printer: &mut Printer<Output>, error: &SocketError) -> ExitCode {
    printer.print(&Event::Error {
        socket: None,
        error: error.clone(),
    });
    serversocket_app::say!("error {}: {error}", error.code());
    printer.out().stopping_on_error();
    ExitCode::FAILURE
}

/// The same greeting server on the naive single re-listening socket.
fn run_naive(args: &Args, reply: ReplyMode, mut headless: Headless) -> ExitCode {
    let address = args.bind.with_port(args.port);
    let delay = Duration::from_millis(args.relisten_delay_ms);
    // Started before Listen, as in pool mode.
    let mut capture = (args.port != 0)
        .then(|| start_capture(args, args.port))
        .flatten();
    let server = match NaiveServer::listen(
        &headless.runtime,
        headless.events,
        address,
        delay,
        move |_| reply.handler(),
    ) {
        Ok((server, bound)) => {
            if args.port == 0 {
                capture = start_capture(args, bound.port());
            }
            server
        }
        Err(error) => return listen_failed(&mut headless.printer, &error),
    };
    headless.runtime.block_on(print_until_stopped(
        &mut headless.printer,
        &mut headless.receiver,
        headless.stop,
        capture.as_mut(),
        None,
    ));
    if !server.shutdown(SHUTDOWN_WAIT) {
        serversocket_app::say!(
            "server-app: some connections did not close within {SHUTDOWN_WAIT:?}"
        );
    }
    // "stopped" comes last, after the goodbyes' segments.
    while let Some(event) = headless.receiver.try_recv() {
        if event != Event::Stopped {
            headless.printer.print(&event);
        }
    }
    let captured = match capture {
        Some(capture) => headless
            .runtime
            .block_on(capture.finish(&mut headless.printer, PROGRAM)),
        None => args.capture.without_capture(),
    };
    headless.printer.flush();
    headless.printer.print(&Event::Stopped);
    exit_code(headless.printer.out(), captured)
}

#[cfg(test)]
mod tests {
    use std::io::{self, Write};

    use serversocket::SocketId;
    use serversocket_report::{Printer, Side};

    use super::*;

    /// What reached the reader, one entry a flush.
    #[derive(Default)]
    struct Flushes {
        unflushed: Vec<u8>,
        flushed: Vec<Vec<u8>>,
    }

    impl Write for Flushes {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.unflushed.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            if !self.unflushed.is_empty() {
                self.flushed.push(std::mem::take(&mut self.unflushed));
            }
            Ok(())
        }
    }

    /// What one `print_batch` flushed, piece by piece, for a burst of AddSocket events: socket
    /// 0's first, then those of the sockets `rest` names.
    fn print_burst(rest: &mut impl Iterator<Item = u64>) -> Vec<Vec<u8>> {
        let mut printer = Printer::new(Side::Server, true, Flushes::default());
        let add_socket = |id| Event::AddSocket {
            socket: SocketId(id),
        };
        print_batch(
            &mut printer,
            &add_socket(0),
            || rest.next().map(add_socket),
            None,
            &mut None,
        );
        printer.out().flushed.clone()
    }

    fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
        bytes
            .split(|&byte| byte == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).expect("a JSON line"))
            .collect()
    }

    /// A burst's first line goes out on its own, before the gather: it must not wait through
    /// the sleep (and the wait for a core after it). The rest go out together after it.
    #[test]
    fn a_bursts_first_line_is_written_before_the_rest_gather() {
        let flushed = print_burst(&mut (1..=20));
        assert_eq!(flushed.len(), 2, "the first line, then the rest at once");
        let first = lines(&flushed[0]);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0]["socket"], 0);
        let gathered: Vec<_> = lines(&flushed[1])
            .iter()
            .map(|line| line["socket"].as_u64().expect("a socket id"))
            .collect();
        assert_eq!(gathered, (1..=20).collect::<Vec<_>>());
    }

    /// A flood is written in pieces of about [`FLUSH_BYTES`], and a batch stops at
    /// [`BATCH`] events so the loop looks at its stop signal between batches.
    #[test]
    fn a_flood_goes_out_in_pieces_of_a_few_pages_and_batches() {
        let mut rest = 1..;
        let flushed = print_burst(&mut rest);
        let printed: usize = flushed.iter().map(|bytes| lines(bytes).len()).sum();
        assert_eq!(printed, BATCH);
        // A piece is cut once it reaches FLUSH_BYTES, so it holds at most one line more.
        assert!(flushed.iter().all(|bytes| bytes.len() < FLUSH_BYTES + 100));
        assert_eq!(
            rest.next(),
            Some(u64::try_from(BATCH).expect("a small count")),
            "the batch took exactly BATCH - 1 events from the queue"
        );
    }
}
