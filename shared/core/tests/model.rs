//! The whole contract as a property: random sequences of operations on a real ServerSocket and
//! real client sockets on loopback, checked after every step against a small model.
//!
//! Operations: Listen (on the port, or on port 0: any free port each time), StopListening, set
//! Min/Max (valid and invalid), connect k clients, close a client, close a server-side socket,
//! write to one, write through a handle after closing it (refused at once), make a socket's
//! handler panic (Error 109, then Closed), reset a client. After each step, once
//! settled (waited for on the event channel, with a deadline): the server has exactly the
//! connections the model says (so the cap holds and nobody the model says is served waits),
//! idle == Min while listening and 0 after Stop, and a write to a served socket arrives. At the
//! end of each case: every socket's events came in a legal order, no id was used twice, and
//! shutdown leaves no descriptor. Bounded: 48 cases of at most 25 steps; failures shrink to a
//! minimal sequence, whose seed is kept in `model.proptest-regressions` beside this file and
//! run first from then on.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::PATIENCE;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serversocket::{Event, EventReceiver, Passive, ServerSocket, SocketId};

/// How long one step may take to settle. Shorter than the other tests' patience: a failing
/// case is run again and again while it shrinks.
const STEP_DEADLINE: Duration = Duration::from_secs(5);

/// One thing the test does.
#[derive(Debug, Clone)]
enum Op {
    Listen,
    StopListening,
    /// Min, Max: may be invalid (Max 0, Min > Max); then nothing changes.
    SetLimits(usize, usize),
    /// Connect this many clients at once.
    Connect(usize),
    /// Close the client at this index (modulo) of those alive.
    CloseClient(usize),
    /// Reset the client at this index of those alive.
    ResetClient(usize),
    /// Close the server side of the served client at this index.
    CloseServerSide(usize),
    /// Write a byte from the server to the served client at this index.
    Write(usize),
    /// Listen on port 0: any free port, a new one at every Listen.
    ListenAnyPort,
    /// Close the server side of the served client at this index, then write through the same
    /// handle: refused at once, and nothing of it arrives.
    WriteAfterClose(usize),
    /// Send the byte that makes the handler of the served client at this index panic: its
    /// socket ends (Error, then Closed) and its place frees.
    Panic(usize),
}

/// Takes what arrives, as [`Passive`] does, and panics at a `!`: a handler with a bug.
struct Touchy;

impl serversocket::SocketHandler for Touchy {
    fn data_available(&mut self, socket: &mut serversocket::Socket) {
        let data = socket.read_all();
        assert!(!data.contains(&b'!'), "the handler met a '!'");
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Listen),
        1 => Just(Op::StopListening),
        2 => (0_usize..4, 0_usize..5).prop_map(|(min, max)| Op::SetLimits(min, max)),
        3 => (1_usize..4).prop_map(Op::Connect),
        2 => any::<usize>().prop_map(Op::CloseClient),
        1 => any::<usize>().prop_map(Op::ResetClient),
        2 => any::<usize>().prop_map(Op::CloseServerSide),
        2 => any::<usize>().prop_map(Op::Write),
        1 => Just(Op::ListenAnyPort),
        1 => any::<usize>().prop_map(Op::WriteAfterClose),
        1 => any::<usize>().prop_map(Op::Panic),
    ]
}

/// What the test believes: which clients the server serves, and which wait in the backlog.
struct Model {
    listening: bool,
    min: usize,
    max: usize,
    /// Clients handed to a pooled socket.
    served: Vec<TcpStream>,
    /// Connections in the kernel's backlog while the pool is at Max, oldest first; `None`
    /// for one whose client already closed (the server still accepts it, and it then closes).
    waiting: VecDeque<Option<TcpStream>>,
    /// Connections the server has accepted: a closed one in the backlog is accepted too, so
    /// this, not the connected count alone, tells when the server has caught up.
    accepted: u64,
}

impl Model {
    /// The server takes waiting clients, oldest first, while below Max.
    fn admit(&mut self) {
        while self.listening && self.served.len() < self.max {
            let Some(next) = self.waiting.pop_front() else {
                break;
            };
            self.accepted += 1;
            self.served.extend(next);
        }
    }
}

/// The real thing under test.
struct Real {
    server: ServerSocket,
    receiver: EventReceiver,
    events: Vec<Event>,
    port: u16,
}

impl Real {
    /// Waits, on the event channel, until `settled` holds; fails the case after
    /// [`STEP_DEADLINE`].
    fn settle(
        &mut self,
        what: &str,
        settled: impl Fn(&ServerSocket) -> bool,
    ) -> Result<(), TestCaseError> {
        let deadline = Instant::now() + STEP_DEADLINE;
        loop {
            if settled(&self.server) {
                return Ok(());
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            match self.receiver.recv_timeout(left) {
                Some(event) => self.events.push(event),
                None => break,
            }
        }
        Err(TestCaseError::fail(format!(
            "never settled: {what}; status {:?}",
            self.server.pool_status()
        )))
    }

    /// The server's socket serving `client`.
    fn serving(&self, client: &TcpStream) -> Option<serversocket::TcpSocket> {
        let ours = client.local_addr().ok()?;
        self.server
            .active_connections()
            .into_iter()
            .find(|socket| socket.remote_address() == Some(ours))
    }
}

/// Applies one operation to both the model and the real server.
fn step(op: &Op, model: &mut Model, real: &mut Real) -> Result<(), TestCaseError> {
    match *op {
        Op::Listen => {
            real.server.set_port(real.port);
            let result = real.server.listen();
            if model.listening {
                prop_assert_eq!(result.map_err(|e| e.code()), Err(106));
            } else {
                let address = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(address.port(), real.port);
                model.listening = true;
            }
        }
        Op::ListenAnyPort => {
            real.server.set_port(0);
            let result = real.server.listen();
            if model.listening {
                prop_assert_eq!(result.map_err(|e| e.code()), Err(106));
            } else {
                let address = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_ne!(address.port(), 0);
                prop_assert_eq!(
                    real.server.port(),
                    address.port(),
                    "Port tells the port bound"
                );
                real.port = address.port();
                model.listening = true;
            }
        }
        Op::StopListening => {
            real.server.stop_listening();
            prop_assert!(!real.server.is_listening());
            model.listening = false;
            // The kernel drops the connections that waited in the closed listener's backlog.
            model.waiting.clear();
        }
        Op::SetLimits(min, max) => {
            let result = real.server.set_limits(min, max);
            if max == 0 || min > max {
                prop_assert_eq!(result.map_err(|e| e.code()), Err(106));
            } else {
                prop_assert!(result.is_ok());
                (model.min, model.max) = (min, max);
            }
        }
        Op::Connect(count) => {
            for _ in 0..count {
                let address = SocketAddr::from(([127, 0, 0, 1], real.port));
                match TcpStream::connect(address) {
                    Ok(client) => {
                        prop_assert!(model.listening, "connected while nothing listens");
                        client.set_read_timeout(Some(PATIENCE)).unwrap();
                        model.waiting.push_back(Some(client));
                    }
                    Err(e) => {
                        prop_assert!(!model.listening, "refused while listening: {}", e);
                    }
                }
            }
        }
        Op::CloseClient(index) | Op::ResetClient(index) => {
            let alive = model.served.len() + model.waiting.len();
            if alive > 0 {
                let index = index % alive;
                let client = if index < model.served.len() {
                    Some(model.served.remove(index))
                } else {
                    model.waiting[index - model.served.len()].take()
                };
                if let Some(client) = client {
                    if matches!(op, Op::ResetClient(_)) {
                        socket2::SockRef::from(&client)
                            .set_linger(Some(Duration::ZERO))
                            .unwrap();
                    }
                    drop(client);
                }
            }
        }
        Op::CloseServerSide(index)
        | Op::Write(index)
        | Op::WriteAfterClose(index)
        | Op::Panic(index) => {
            if !model.served.is_empty() {
                let index = index % model.served.len();
                // The served client may only now be handed off: wait for its socket.
                let client = model.served[index].try_clone().unwrap();
                real.settle("the served client's socket", |server| {
                    let ours = client.local_addr().ok();
                    server
                        .active_connections()
                        .iter()
                        .any(|s| s.remote_address() == ours)
                })?;
                let socket = real.serving(&client).expect("settled above");
                if matches!(op, Op::Write(_)) {
                    prop_assert!(socket.write("w").is_ok(), "write to a served socket");
                    let mut got = [0_u8; 1];
                    let mut reader = &model.served[index];
                    reader.read_exact(&mut got).unwrap();
                    prop_assert_eq!(&got, b"w");
                } else if matches!(op, Op::Panic(_)) {
                    let mut doomed = model.served.remove(index);
                    std::io::Write::write_all(&mut doomed, b"!").unwrap();
                    let mut rest = Vec::new();
                    // The socket ended: the client reads its end of stream.
                    doomed.read_to_end(&mut rest).unwrap();
                } else {
                    socket.close();
                    if matches!(op, Op::WriteAfterClose(_)) {
                        prop_assert!(!socket.is_connected(), "closed at once");
                        prop_assert_eq!(socket.write("late").map_err(|e| e.code()), Err(106));
                    }
                    let mut gone = model.served.remove(index);
                    let mut rest = Vec::new();
                    // The server closed: the client reads its end of stream.
                    gone.read_to_end(&mut rest).unwrap();
                    prop_assert!(
                        !String::from_utf8_lossy(&rest).contains("late"),
                        "a write after close arrived"
                    );
                }
            }
        }
    }
    model.admit();
    let (listening, min, served, accepted) = (
        model.listening,
        model.min,
        model.served.len(),
        model.accepted,
    );
    real.settle("the model's pool", |server| {
        let status = server.pool_status();
        status.accepted == accepted
            && status.connected.len() == served
            && status.idle.len() == if listening { min } else { 0 }
    })
}

/// Every socket's events in a legal order; no id used twice.
fn check_order(events: &[Event]) -> Result<(), TestCaseError> {
    let mut lives: BTreeMap<SocketId, Vec<&Event>> = BTreeMap::new();
    for event in events {
        if let Some(id) = event.socket() {
            lives.entry(id).or_default().push(event);
        }
    }
    let mut added = BTreeSet::new();
    for (id, life) in &lives {
        prop_assert!(
            matches!(life[0], Event::AddSocket { .. }),
            "socket {} began with {:?}",
            id,
            life[0]
        );
        prop_assert!(added.insert(*id), "id {} added twice", id);
        let ends = life
            .iter()
            .filter(|e| matches!(e, Event::Closed { .. } | Event::Released { .. }))
            .count();
        prop_assert!(ends <= 1, "socket {} ended {} times: {:?}", id, ends, life);
        if let Some(position) = life
            .iter()
            .position(|e| matches!(e, Event::Closed { .. } | Event::Released { .. }))
        {
            prop_assert_eq!(position, life.len() - 1, "events after the end: {:?}", life);
        }
        let connected = life
            .iter()
            .position(|e| matches!(e, Event::Connected { .. }));
        match connected {
            Some(at) => {
                prop_assert_eq!(at, 1, "Connected right after AddSocket: {:?}", life);
                prop_assert!(
                    !matches!(life.last(), Some(Event::Released { .. })),
                    "a connected socket was released: {:?}",
                    life
                );
            }
            None => prop_assert!(life.len() <= 2, "events without Connected: {:?}", life),
        }
        let added_again = life
            .iter()
            .filter(|e| matches!(e, Event::AddSocket { .. }))
            .count();
        prop_assert_eq!(added_again, 1, "socket {} AddSocket twice", id);
    }
    Ok(())
}

/// Descriptors this process holds now (Linux).
fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// Makes what the process keeps for good once it first runs a runtime (tokio's signal
/// driver opens a socket pair on first use), so a case counts only its own descriptors.
fn warm_up() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let (_runtime, mut server, _receiver) = common::server(|_| Passive);
        server.listen().unwrap();
        assert!(server.shutdown(PATIENCE));
    });
}

fn run_case(ops: &[Op]) -> Result<(), TestCaseError> {
    warm_up();
    let descriptors = open_descriptors();
    let (runtime, mut server, receiver) = common::server(|_| Touchy);
    server.set_limits(1, 2).unwrap();
    let port = server.listen().unwrap().port();
    let mut real = Real {
        server,
        receiver,
        events: Vec::new(),
        port,
    };
    let mut model = Model {
        listening: true,
        min: 1,
        max: 2,
        served: Vec::new(),
        waiting: VecDeque::new(),
        accepted: 0,
    };
    for op in ops {
        step(op, &mut model, &mut real)?;
    }
    model.served.clear();
    model.waiting.clear();
    let Real {
        server,
        mut receiver,
        mut events,
        ..
    } = real;
    prop_assert!(server.shutdown(PATIENCE), "every task ended");
    events.extend(std::iter::from_fn(|| receiver.try_recv()));
    check_order(&events)?;
    drop(receiver);
    drop(runtime);
    // The runtime's own descriptors go with it; wait, with a deadline, for the count to settle.
    let _ = test_support::within_patience(|| (open_descriptors() <= descriptors).then_some(()));
    prop_assert_eq!(open_descriptors(), descriptors, "descriptors left behind");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        max_shrink_iters: 200,
        // Next to this file (the working directory of an integration test is its crate's).
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/model.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_server_follows_the_model(ops in proptest::collection::vec(op(), 1..=25)) {
        run_case(&ops)?;
    }
}
