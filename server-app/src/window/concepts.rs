//! The concepts panel: what a listening socket, accept, the backlog, the segments on the
//! wire, the pool, AddSocket, Min/Max, the handoff, privileged ports and each error code are,
//! in a few plain sentences, each followed by what it looks like on screen right now ("socket
//! 3 is idle in the pool").

use std::net::SocketAddr;

use serversocket::error::code_meaning;
use serversocket::server_socket::PoolStatus;
use serversocket_kernel::{AcceptQueue, KernelError, TcpState};
use serversocket_ui::{RowState, SocketRows};

/// What the panel points at: the live state of the server window.
pub struct Live<'a> {
    /// The pool's snapshot.
    pub status: &'a PoolStatus,
    /// Every socket the window knows of.
    pub rows: &'a SocketRows,
    /// In naive mode, the connections the single socket accepted so far.
    pub naive_accepted: Option<u64>,
    /// Connections accepted and waiting for their slow-motion handoff.
    pub waiting: &'a [SocketAddr],
    /// The slow-motion delay, in milliseconds (0 = off).
    pub handoff_delay_ms: u64,
    /// The port as typed, when it is a valid number.
    pub port: Option<u16>,
    /// The kernel's accept queue, as last sampled while listening.
    pub accept_queue: Option<AcceptQueue>,
    /// Why the kernel's view is missing on this system, if it is.
    pub kernel_unavailable: Option<&'a KernelError>,
    /// Pause accepting is on.
    pub paused: bool,
    /// The window's capture, for its counts of RSTs and SYNs sent again.
    pub packets: &'a serversocket_ui::packets::Packets,
}

/// One concept: its title, its explanation, and what shows it now.
struct Concept {
    title: &'static str,
    explanation: &'static str,
    now: String,
}

/// The error codes a learner meets here, with when they happen.
const ERROR_CODES: [(i32, &str); 7] = [
    (
        100,
        "the OS refused an operation: e.g. too many open files during accept, or an address that is not this machine's",
    ),
    (
        102,
        "the connection ended: the peer closed or reset it, or a connect was refused (nothing listening) or timed out",
    ),
    (103, "the host name could not be turned into an address"),
    (
        105,
        "another program (or another Listen) already listens on this port",
    ),
    (
        106,
        "the call does not fit the socket's state, e.g. Listen while listening, or Min above Max",
    ),
    (
        107,
        "the port is not 0–65535, or is below 1024 without privileges",
    ),
    (
        108,
        "more than the send queue's limit was written before the peer read it",
    ),
];

/// Draws the panel's contents; `more` adds concepts of another part (TLS) in the same list.
/// Returns the title of the first concept open, whose part of the window then lights up.
pub fn ui(
    ui: &mut egui::Ui,
    live: &Live<'_>,
    more: impl FnOnce(&mut egui::Ui),
) -> Option<&'static str> {
    let mut open = None;
    ui.heading("What you are seeing");
    ui.weak("What each part is, and where it is on screen now.");
    ui.separator();
    egui::ScrollArea::vertical().show(ui, |ui| {
        for concept in concepts(live) {
            let shown = egui::CollapsingHeader::new(concept.title)
                .default_open(false)
                .show(ui, |ui| {
                    ui.label(concept.explanation);
                    ui.label(
                        egui::RichText::new(format!("Now: {}", concept.now))
                            .color(ui.visuals().hyperlink_color),
                    );
                });
            // A concept just opened comes into view, its explanation under it.
            if shown.header_response.clicked() {
                shown.header_response.scroll_to_me(Some(egui::Align::TOP));
            }
            if shown.body_returned.is_some() && open.is_none() {
                open = Some(concept.title);
            }
        }
        more(ui);
        egui::CollapsingHeader::new("Error codes").show(ui, |ui| {
            for (code, when) in ERROR_CODES {
                ui.label(format!("{code} {}: {when}.", code_meaning(code)));
            }
        });
    });
    open
}

/// The concepts with their live pointers.
fn concepts(live: &Live<'_>) -> Vec<Concept> {
    let status = live.status;
    let idle: Vec<String> = status.idle.iter().map(ToString::to_string).collect();
    let connected = status.connected.len();
    let listening_now = match (status.listening, live.naive_accepted) {
        (Some(address), _) => format!(
            "the listening socket is open on {address} (Handle {}), shown in the status line.",
            status.handle.unwrap_or(-1)
        ),
        (None, Some(_)) => {
            "the naive single socket listens, closes on each connection and listens again."
                .to_owned()
        }
        (None, None) => "nothing listens: click Listen.".to_owned(),
    };
    vec![
        Concept {
            title: "Listening socket",
            explanation: "A socket bound to an address and port that only waits for clients. It never carries data itself: each client it accepts becomes a new connected socket.",
            now: listening_now,
        },
        Concept {
            title: "Accept",
            explanation: "Taking the next waiting client off the listening socket. The OS has already done the TCP handshake; accept gives the program a socket for that connection.",
            now: match live.naive_accepted {
                Some(accepted) => format!("the naive socket accepted {accepted} connections."),
                None => format!("{} connections accepted so far.", status.accepted),
            },
        },
        Concept {
            title: "Accept queue and backlog",
            explanation: "The queue in the kernel where clients wait, already connected (the handshake is done, the client's connect succeeded), until the program accepts them. The backlog given at Listen is its capacity (the system may cap it: net.core.somaxconn on Linux). While the pool is at MaximumSocketsConnected, or accepting is paused, the ServerSocket accepts nothing, so new clients wait here instead of being turned away.",
            now: kernel_now(live, |queue| {
                let why = if live.paused {
                    "accepting is paused"
                } else if connected >= status.limits.max {
                    "the pool is at its maximum"
                } else {
                    "the pool accepts at once"
                };
                format!(
                    "{} waiting of a capacity of {} ({why}); the purple tiles.",
                    queue.waiting, queue.capacity
                )
            }),
        },
        Concept {
            title: "SYN queue",
            explanation: "Connections whose handshake has begun but not finished: the client's SYN arrived, the kernel answered SYN-ACK and waits for the final ACK (state SYN_RECV). On loopback this lasts microseconds; a client that never finishes stays here until the kernel gives up.",
            now: kernel_now(live, |queue| {
                format!("{} half-open on this port.", queue.syn_recv)
            }),
        },
        Concept {
            title: "Overflow",
            explanation: "When the accept queue is full the kernel drops new handshakes (the client retries its SYN, slower each time, and may time out). The count is the system's ListenOverflows since Listen: it is per network namespace, so every listener on this machine or container adds to it. Try Backlog 2, Pause accepting and a burst of clients.",
            now: kernel_now(live, |queue| {
                format!("{} dropped system-wide since Listen.", queue.overflows)
            }),
        },
        Concept {
            title: serversocket_ui::packets::CONCEPT_TITLE,
            explanation: serversocket_ui::packets::CONCEPT,
            now: serversocket_ui::packets::concept_now(live.packets),
        },
        Concept {
            title: "The pool and AddSocket",
            explanation: "The ServerSocket keeps idle sockets ready. When it needs one, it fires AddSocket and the program returns a new socket (here, one that greets its client). The tiles under the \"Pool tiles\" tab are these sockets.",
            now: if idle.is_empty() {
                "no socket is idle in the pool.".to_owned()
            } else {
                format!(
                    "socket{} {} idle in the pool (their tiles say idle).",
                    if idle.len() == 1 { "" } else { "s" },
                    with_verb(&idle),
                )
            },
        },
        Concept {
            title: "MinimumSocketsAvailable",
            explanation: "How many idle sockets the pool keeps. After each handoff AddSocket fires until this many are idle again, so a burst of clients finds sockets ready.",
            now: format!(
                "Min is {}; {} sockets are idle.",
                status.limits.min,
                status.idle.len()
            ),
        },
        Concept {
            title: "MaximumSocketsConnected",
            explanation: "The most connections at once. At the cap the listener stops accepting; clients wait in the backlog and are served as soon as a connection closes. Lowering it closes nothing. A client that connects and then says nothing holds its slot for as long as it stays connected: ten silent clients fill the default Max of 10 and the eleventh waits for ever. Xojo has no idle timeout; the Idle timeout setting closes a connection silent that long, and TCP keepalive finds peers whose machine vanished.",
            now: format!("Max is {}; {connected} connected now.", status.limits.max),
        },
        Concept {
            title: "Handoff",
            explanation: "The listener gives each accepted connection to the oldest idle socket of the pool: that socket's Connected event fires and the listener goes straight back to listening. Slow motion delays the handoff so you can watch it.",
            now: if live.waiting.is_empty() {
                match live.handoff_delay_ms {
                    0 => "slow motion is off: handoffs happen at once.".to_owned(),
                    ms => format!("slow motion: each connection waits {ms} ms before its handoff."),
                }
            } else {
                let waiting: Vec<String> = live.waiting.iter().map(ToString::to_string).collect();
                format!(
                    "{} waiting for a socket (the dashed tiles).",
                    waiting.join(", ")
                )
            },
        },
        Concept {
            title: "Naive mode",
            explanation: "Without a pool, one socket listens, and on a connection it stops listening to serve it, then listens again. Clients arriving in that gap are refused by the OS. The ServerSocket exists to close that gap. A few clients of a burst may also hang for seconds with no greeting and no reset: the single socket's queue holds one client, so the kernel drops the others' handshakes (they retry after 1 s, then again ever more slowly, how often depending on the kernel) or, with a SYN cookie, lets a client believe it is connected while the server has no connection for it; it waits until its own retransmission meets a listener with room or a closed port.",
            now: match live.naive_accepted {
                Some(accepted) => format!(
                    "naive mode is on: {accepted} accepted; watch \"listener open\" drop to 0 on the timeline."
                ),
                None => "pool mode (ServerSocket): the listener never closes between connections."
                    .to_owned(),
            },
        },
        Concept {
            title: "Ports below 1024",
            explanation: "Ports 1–1023 are privileged: on Linux and macOS only an administrator may listen there (error 107). Port 0 asks the OS for any free port.",
            now: match live.port {
                Some(0) => "port 0: the OS picks a free port at Listen.".to_owned(),
                Some(port) if port < 1024 => format!("port {port} needs administrator rights."),
                Some(port) => format!("port {port} needs no privileges."),
                None => "the port box does not hold a valid port.".to_owned(),
            },
        },
        Concept {
            title: "No message boundaries",
            explanation: "TCP delivers a stream of bytes, in order, but not the writes they came in: three writes can arrive as one read (DataAvailable), and one large write as many. A program finds its messages again by framing them: a line ending, or a length before each message. The client window's Stream view draws writes and reads side by side; the Rules reply mode answers line by line for this reason.",
            now: "each \"got\" line in the log is one read, not necessarily one message of the client's.".to_owned(),
        },
        Concept {
            title: "TCP states",
            explanation: "The kernel's name for where a connection is: SYN_SENT (a client's connect under way), SYN_RECV (a server's half of a handshake), ESTABLISHED (open), then on closing FIN_WAIT1/FIN_WAIT2 and TIME_WAIT for the side that closed first, CLOSE_WAIT and LAST_ACK for the other side. `ss -tan` lists them.",
            now: kernel_now(live, |queue| {
                format!(
                    "the listener is LISTEN; {} connections are ESTABLISHED in its accept queue, {connected} ESTABLISHED with a socket of the pool.",
                    queue.waiting
                )
            }),
        },
        Concept {
            title: "TIME_WAIT",
            explanation: "The side that closes first keeps the connection's name (its two addresses) for a while after both closes (about a minute on Linux), so a late packet of the old connection cannot be taken for part of a new one. It costs no socket in the program. A server that closes first collects TIME_WAITs; `ss -tan state time-wait` shows them.",
            now: in_kernel_state(live, TcpState::TimeWait, "this server closed first"),
        },
        Concept {
            title: "CLOSE_WAIT",
            explanation: "The peer closed, and the kernel waits for this program to close too. A connection that stays in CLOSE_WAIT is a program that forgot to close its socket; here the pooled socket closes as soon as it sees the peer leave (error 102, then Closed).",
            now: in_kernel_state(live, TcpState::CloseWait, "the peer closed and this socket has not closed yet"),
        },
        Concept {
            title: "Socket states",
            explanation: "Each tile and row is coloured by state: idle (in the pool), connected, closed, released (an idle socket the pool let go), error.",
            now: format!(
                "{} idle, {} connected, {} closed, {} released.",
                live.rows.count(RowState::Idle),
                live.rows.count(RowState::Connected),
                live.rows.count(RowState::Closed) + live.rows.count(RowState::Failed),
                live.rows.count(RowState::Released),
            ),
        },
    ]
}

/// A "Now:" line from the accept queue, or why there is none.
fn kernel_now(live: &Live<'_>, say: impl FnOnce(AcceptQueue) -> String) -> String {
    if let Some(error) = live.kernel_unavailable {
        return format!("{error}.");
    }
    if live.naive_accepted.is_some() {
        return "naive mode: its single socket's queue is not sampled.".to_owned();
    }
    match live.accept_queue {
        Some(queue) => say(queue),
        None => "not listening: click Listen to see the kernel's queues.".to_owned(),
    }
}

/// A "Now:" line from the kernel's view of the window's connections (sampled through
/// sock_diag while they live and until the kernel forgets them): which sockets' connections
/// are in `state` now.
fn in_kernel_state(live: &Live<'_>, state: TcpState, why: &str) -> String {
    if let Some(error) = live.kernel_unavailable {
        return format!("{error}.");
    }
    let ids: Vec<String> = live
        .rows
        .iter()
        .filter(|row| row.kernel.is_some_and(|view| view.state == state))
        .map(|row| row.id.to_string())
        .collect();
    let name = state.name();
    match ids.as_slice() {
        [] => format!("the kernel holds no connection of this server in {name}."),
        [one] => format!("the kernel holds socket {one}'s connection in {name}: {why}."),
        many => format!(
            "the kernel holds sockets {}' connections in {name}: {why}.",
            many.join(", ")
        ),
    }
}

/// "3 is", "3 and 4 are", "3, 4 and 5 are".
fn with_verb(ids: &[String]) -> String {
    match ids {
        [] => String::new(),
        [one] => format!("{one} is"),
        [rest @ .., last] => format!("{} and {last} are", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_sentences() {
        let ids = |list: &[&str]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(with_verb(&ids(&["3"])), "3 is");
        assert_eq!(with_verb(&ids(&["3", "4"])), "3 and 4 are");
        assert_eq!(with_verb(&ids(&["3", "4", "5"])), "3, 4 and 5 are");
    }

    /// Every explanation reads as whole sentences.
    #[test]
    fn explanations_are_whole_sentences() {
        let status = PoolStatus {
            listening: None,
            handle: None,
            idle: Vec::new(),
            connected: Vec::new(),
            limits: serversocket::Limits::default(),
            accepted: 0,
        };
        let rows = SocketRows::default();
        let packets = serversocket_ui::packets::Packets::new(serversocket_capture::End::Server);
        let live = Live {
            status: &status,
            rows: &rows,
            naive_accepted: None,
            waiting: &[],
            handoff_delay_ms: 0,
            port: None,
            accept_queue: None,
            kernel_unavailable: None,
            paused: false,
            packets: &packets,
        };
        for concept in concepts(&live) {
            test_support::assert_whole_sentences(concept.title, concept.explanation);
        }
        for (code, meaning) in ERROR_CODES {
            test_support::assert_whole_sentences(&format!("error {code}"), &format!("{meaning}."));
        }
    }
}
