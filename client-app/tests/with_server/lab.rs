//! A lab for the lessons' tests: both windows in kittest harnesses following one lesson
//! through a sync folder of the test's own, and what a learner does in them (click, type a
//! port, answer a question) with bounded waits for each window to get there.

use std::net::SocketAddr;
use std::path::PathBuf;

use client_app::window::{ClientSettings, ClientWindow};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use server_app::window::{ServerSettings, ServerWindow};
use serversocket_lessons::Outcome;
use serversocket_lessons::Side;
use serversocket_lessons::sync::LessonSync;
use serversocket_ui::lesson_panel::{LessonPanel, SavedLesson};
use serversocket_ui::shell::AppWindow;
use test_support::kittest;

/// Both windows following one lesson.
pub struct Lab {
    pub server: Harness<'static, ServerWindow>,
    pub client: Harness<'static, ClientWindow>,
    dir: PathBuf,
}

impl Lab {
    /// Both windows, the server on a free port, the lesson started in the server window (the
    /// client window joins through the sync folder).
    pub fn start(lesson: &str, test: &str) -> Lab {
        Lab::start_with(lesson, test, ClientSettings::default())
    }

    /// [`Lab::start`] with the client window opened with `client_settings` (what an earlier
    /// session left).
    pub fn start_with(lesson: &str, test: &str, client_settings: ClientSettings) -> Lab {
        let dir = std::env::temp_dir().join(format!("lessons-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let server_settings = ServerSettings {
            port: "0".to_owned(),
            ..ServerSettings::default()
        };
        let server = Harness::builder()
            .with_size(egui::vec2(1100.0, 800.0))
            .build_ui_state(
                |ui, w: &mut ServerWindow| w.ui(ui),
                ServerWindow::new(server_settings).unwrap(),
            );
        let client = Harness::builder()
            .with_size(egui::vec2(1100.0, 800.0))
            .build_ui_state(
                |ui, w: &mut ClientWindow| w.ui(ui),
                ClientWindow::new(client_settings).unwrap(),
            );
        let mut lab = Lab {
            server,
            client,
            dir,
        };
        let sync = LessonSync::new(&lab.dir);
        lab.server.state_mut().set_lessons(LessonPanel::new(
            Side::Server,
            None,
            Some(sync.clone()),
            &SavedLesson::default(),
        ));
        lab.client.state_mut().set_lessons(LessonPanel::new(
            Side::Client,
            None,
            Some(sync),
            &SavedLesson::default(),
        ));
        lab.server.state_mut().lessons_mut().start(lesson).unwrap();
        lab.until("the client window joins the lesson", |lab| {
            lab.client.state().lessons().run().is_some()
        });
        lab
    }

    /// [`Lab::start`], then what step 1 and 2 of most lessons ask: Listen, and (once both
    /// windows are at step 2) connect the client with `button` (Connect, Connect ×6 …). Returns
    /// the lab and the server's address.
    pub fn connected_at_step_2(lesson: &str, test: &str, button: &str) -> (Lab, SocketAddr) {
        let mut lab = Lab::start(lesson, test);
        let address = lab.listen_and_connect(button);
        (lab, address)
    }

    /// Steps 1 and 2 of most lessons: Listen, and once both windows are at step 2, connect
    /// the client with `button`. Returns the server's address.
    pub fn listen_and_connect(&mut self, button: &str) -> SocketAddr {
        let address = self.listen();
        self.at_step(2);
        self.connect(address, button);
        address
    }

    pub fn step(&mut self) {
        self.server.step();
        self.client.step();
    }

    /// Steps both windows until `done`; fails naming `what` and where each window is. A wait
    /// may take three patiences' worth of frames (over a minute in all): a naive burst's
    /// dropped handshakes retry for a few seconds, so this is generous.
    pub fn until(&mut self, what: &str, done: impl Fn(&Lab) -> bool) {
        let held = (0..3).any(|_| {
            kittest::frames_until(|| {
                self.step();
                done(self)
            })
        });
        if held {
            return;
        }
        let step = |panel: &LessonPanel| panel.run().map(|run| run.step_index() + 1);
        panic!(
            "gave up waiting for {what}; server window at step {:?}, client window at step {:?}; server log: {:#?}; client log: {:#?}",
            step(self.server.state().lessons()),
            step(self.client.state().lessons()),
            self.server.state().log().lines(),
            self.client.state().log().lines(),
        );
    }

    /// Waits until both windows are at `step` (counted from 1, as the panel shows it) or
    /// further (a step whose condition already holds ends at once).
    pub fn at_step(&mut self, step: usize) {
        self.until(&format!("step {step} in both windows"), |lab| {
            let at = |panel: &LessonPanel| panel.run().map_or(0, |run| run.step_index() + 1);
            at(lab.server.state().lessons()) >= step && at(lab.client.state().lessons()) >= step
        });
        // A frame with the step's settings applied, so buttons show them.
        self.step();
    }

    /// Waits until the lesson is done in both windows.
    pub fn finished(&mut self) {
        self.until("the lesson done in both windows", |lab| {
            let done = |panel: &LessonPanel| {
                panel
                    .run()
                    .is_some_and(serversocket_lessons::LessonRun::is_finished)
            };
            done(lab.server.state().lessons()) && done(lab.client.state().lessons())
        });
        assert!(
            self.server.query_by_label_contains("Lesson done").is_some(),
            "the server's panel says the lesson is done"
        );
    }

    /// Waits for `side`'s question, then types `wrong` (refused, the step stays) and `right`
    /// (accepted) into its panel, as a learner would.
    pub fn answer(&mut self, side: Side, wrong: &str, right: &str) {
        self.until_asking(side, "a question");
        // A frame that draws the question.
        self.step();
        let step = self.panel(side).run().unwrap().step_index();
        self.type_answer(side, wrong);
        assert_eq!(
            self.panel(side)
                .run()
                .unwrap()
                .answers()
                .last()
                .map(|a| a.correct),
            Some(false),
            "{wrong} is refused"
        );
        assert_eq!(self.panel(side).run().unwrap().step_index(), step);
        self.type_answer(side, right);
        let answer = self
            .panel(side)
            .run()
            .unwrap()
            .answers()
            .last()
            .cloned()
            .unwrap();
        assert!(answer.correct, "{right} is accepted: {answer:?}");
    }

    /// [`Lab::answer`] with a wrong number first (see [`wrong`]), then `right`.
    pub fn answer_after_a_wrong_one(&mut self, side: Side, right: &str) {
        self.answer(side, &wrong(right), right);
    }

    /// Waits for `side`'s question (`what`), reads the live count `name` it asks about, checks
    /// it is not 0 (`why` it cannot be), and answers it after a wrong one.
    pub fn answer_a_live_count(&mut self, side: Side, what: &str, name: &str, why: &str) {
        self.until_asking(side, what);
        let count = self.live(side, name);
        assert_ne!(count, "0", "{why}");
        self.answer_after_a_wrong_one(side, &count);
    }

    /// Steps both windows until `side`'s panel asks its question.
    pub fn until_asking(&mut self, side: Side, what: &str) {
        self.until(what, |lab| {
            lab.panel(side)
                .run()
                .is_some_and(serversocket_lessons::LessonRun::is_asking)
        });
    }

    /// Types `text` into `side`'s answer field and clicks Check.
    pub fn type_answer(&mut self, side: Side, text: &str) {
        match side {
            Side::Server => type_and_check(&mut self.server, text),
            Side::Client => type_and_check(&mut self.client, text),
        }
    }

    pub fn panel(&self, side: Side) -> &LessonPanel {
        match side {
            Side::Server => self.server.state().lessons(),
            Side::Client => self.client.state().lessons(),
        }
    }

    /// The live value a question is about, as the session has it (for questions whose value
    /// the test has no other way to read).
    pub fn live(&self, side: Side, name: &str) -> String {
        self.panel(side)
            .run()
            .unwrap()
            .observed(side)
            .value(name)
            .to_string()
    }

    /// Clicks Listen and waits for the Listening event (in either mode).
    pub fn listen(&mut self) -> SocketAddr {
        let listenings = self.listenings();
        self.server.get_by_label("Listen").click();
        self.until("listening", |lab| lab.listenings() > listenings);
        self.live(Side::Server, "address").parse().unwrap()
    }

    pub fn listenings(&self) -> usize {
        self.server
            .state()
            .log()
            .entries()
            .iter()
            .filter(|entry| entry.line.starts_with("Listening on"))
            .count()
    }

    /// Types the server's port into the client's Port field, as the learner would.
    pub fn client_port(&mut self, port: u16) {
        input(&self.client, "Port:").set_text_value_accesskit(&port.to_string());
        self.client.step();
    }

    /// Types the server's port at `address` into the client's Port field and clicks `button`
    /// (Connect, Connect ×6 …).
    pub fn connect(&mut self, address: SocketAddr, button: &str) {
        self.client_port(address.port());
        self.click_client(button);
    }

    pub fn click_client(&mut self, label: &str) {
        self.client.get_by_label(label).click();
        self.step();
    }

    pub fn click_server(&mut self, label: &str) {
        self.server.get_by_label(label).click();
        self.step();
    }

    /// Reads drawn on the Stream view's lower lane since the step began, counted from the
    /// panel's records.
    pub fn live_count_reads(&self) -> String {
        let run = self.panel(Side::Client).run().unwrap();
        match run.expected_answer() {
            Outcome::Number(n) => n.to_string(),
            other => panic!("reads are a number: {other:?}"),
        }
    }
}

/// Types `text` into a lesson panel's answer field and clicks Check.
fn type_and_check<S>(harness: &mut Harness<'_, S>, text: &str) {
    input(harness, "Answer:").set_text_value_accesskit(text);
    harness.step();
    harness.get_by_label("Check").click();
    harness.step();
    harness.step();
}

/// The input a label names (a text field or a number), not the label itself.
pub fn input<'h, S>(harness: &'h Harness<'_, S>, label: &'h str) -> egui_kittest::Node<'h> {
    harness
        .query_all_by_label(label)
        .find(|node| node.accesskit_node().role() != egui::accesskit::Role::Label)
        .unwrap_or_else(|| {
            let labels: Vec<String> = harness
                .root()
                .query_all(egui_kittest::kittest::by())
                .filter_map(|node| {
                    node.accesskit_node()
                        .label()
                        .or_else(|| node.accesskit_node().value())
                })
                .collect();
            panic!("no input labelled {label:?}; the window has: {labels:?}")
        })
}

/// What a window's Port field reads now.
pub fn port_field<S>(harness: &Harness<'_, S>) -> String {
    input(harness, "Port:")
        .accesskit_node()
        .value()
        .unwrap_or_default()
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A number not equal to `right`, as a wrong answer.
fn wrong(right: &str) -> String {
    right
        .parse::<f64>()
        .map_or_else(|_| "42".to_owned(), |n| (n + 1.0).to_string())
}
