//! How a server's pooled sockets answer: the seed's greeting, echo, silence, a fixed text, or
//! rules that match each line against a regular expression and reply with a template.
//!
//! People keep a test server open to poke at the client they are writing, so the server must
//! answer the way they ask. Every mode shares one backpressure rule: a socket takes received
//! bytes only while less than [`REPLY_BACKLOG`] of its replies wait to be sent. Past that the
//! bytes stay in the receive buffer, the socket stops reading once that is full, and TCP flow
//! control slows the peer, so a client that sends without reading cannot grow the server's
//! memory. As the backlog drains (SendProgress) the socket takes more.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use regex::bytes::Regex;
use thiserror::Error;

use serversocket::seed::{Greeter, SERVER_GREETING};
use serversocket::{Socket, SocketError, SocketHandler};
use serversocket_report::escapes::{EscapeError, unescape};

/// How many reply bytes one socket lets wait unsent before it stops taking what arrives.
pub const REPLY_BACKLOG: usize = 1024 * 1024;

/// The longest line the rules wait for: a longer run without a newline is matched as it is,
/// so a peer that never sends a newline cannot grow the line buffer.
pub const MAX_LINE: usize = 64 * 1024;

/// What each pooled socket does with its connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ReplyMode {
    /// The seed's behaviour: write this greeting when connected, take what arrives.
    Greeting(Bytes),
    /// No greeting; every byte received is written back, byte for byte.
    Echo,
    /// No greeting, no reply; what arrives is still taken (and logged by the caller).
    Silent,
    /// A fixed text when connected and/or after each chunk received.
    Fixed {
        /// Written once connected, if any.
        on_connect: Option<Bytes>,
        /// Written after each chunk received, if any.
        after_data: Option<Bytes>,
    },
    /// Each complete line is matched against the rules in order; the first match replies.
    Rules(Rules),
}

impl Default for ReplyMode {
    fn default() -> Self {
        Self::Greeting(Bytes::from_static(SERVER_GREETING.as_bytes()))
    }
}

impl ReplyMode {
    /// A fresh handler for one pooled socket (the body of AddSocket).
    #[must_use]
    pub fn handler(&self) -> Box<dyn SocketHandler> {
        match self {
            Self::Greeting(text) => Box::new(Greeter::new(text.clone())),
            mode => Box::new(Responder {
                mode: mode.clone(),
                line: BytesMut::new(),
                end_of_file: false,
                run_answered: false,
            }),
        }
    }

    /// The mode's name as `--reply` takes it.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Greeting(_) => "greeting",
            Self::Echo => "echo",
            Self::Silent => "silent",
            Self::Fixed { .. } => "fixed",
            Self::Rules(_) => "rules",
        }
    }
}

/// A pooled socket whose mode is read from `mode` when its connection arrives, not when the
/// pool made it: a window that changes the mode changes it for the idle sockets too.
pub struct ChosenOnConnect {
    /// The mode as it is now (the window replaces it).
    mode: Arc<Mutex<ReplyMode>>,
    /// The handler of the mode read at Connected.
    chosen: Option<Box<dyn SocketHandler>>,
}

impl ChosenOnConnect {
    /// A socket that will answer as `mode` says at the moment it connects.
    #[must_use]
    pub fn new(mode: Arc<Mutex<ReplyMode>>) -> Self {
        Self { mode, chosen: None }
    }
}

impl SocketHandler for ChosenOnConnect {
    fn connected(&mut self, socket: &mut Socket) {
        let mut chosen = self
            .mode
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .handler();
        chosen.connected(socket);
        self.chosen = Some(chosen);
    }

    fn data_available(&mut self, socket: &mut Socket) {
        if let Some(chosen) = &mut self.chosen {
            chosen.data_available(socket);
        }
    }

    fn end_of_file(&mut self, socket: &mut Socket) {
        if let Some(chosen) = &mut self.chosen {
            chosen.end_of_file(socket);
        }
    }

    fn send_progress(&mut self, socket: &mut Socket, sent: u64, left: u64) -> bool {
        self.chosen
            .as_mut()
            .is_some_and(|chosen| chosen.send_progress(socket, sent, left))
    }

    fn send_complete(&mut self, socket: &mut Socket, user_aborted: bool) {
        if let Some(chosen) = &mut self.chosen {
            chosen.send_complete(socket, user_aborted);
        }
    }

    fn error(&mut self, socket: &mut Socket, error: &SocketError) {
        if let Some(chosen) = &mut self.chosen {
            chosen.error(socket, error);
        }
    }

    fn closed(&mut self, socket: &mut Socket) {
        if let Some(chosen) = &mut self.chosen {
            chosen.closed(socket);
        }
    }
}

/// A rule or a template that cannot be used; names the rule (numbered from 1, as given).
#[derive(Debug, Clone, Error)]
#[error("rule {number} (\"{}\"): {problem}", as_typed(rule))]
pub struct RuleError {
    /// The rule's position among those given, from 1.
    pub number: usize,
    /// The rule as given.
    pub rule: String,
    /// What is wrong with it.
    pub problem: RuleProblem,
}

/// A rule as the user typed it, on one line: control characters (a real newline) escaped,
/// and nothing else (a typed `\n` stays `\n`: quoted as Rust quotes it, it read `\\n`).
fn as_typed(rule: &str) -> String {
    let mut shown = String::with_capacity(rule.len());
    for c in rule.chars() {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// What the regex crate says of an expression, in one line: its message draws the expression
/// with a caret under the fault over several lines, then says what it is (`error: unclosed
/// group`); the rule's own line already quotes the expression.
fn in_one_line(error: &regex::Error) -> String {
    let text = error.to_string();
    let last = text.lines().map(str::trim).rfind(|line| !line.is_empty());
    last.map_or(text.clone(), |line| {
        line.strip_prefix("error: ").unwrap_or(line).to_owned()
    })
}

/// What is wrong with a rule.
#[derive(Debug, Clone, Error)]
#[non_exhaustive]
pub enum RuleProblem {
    /// No `=>` between the expression and the template.
    #[error("write it as REGEX => TEMPLATE")]
    NoArrow,
    /// The regular expression does not compile.
    #[error("bad regular expression: {}", in_one_line(.0))]
    Regex(#[from] regex::Error),
    /// The template's escapes are wrong.
    #[error("bad template: {0}")]
    Escape(#[from] EscapeError),
    /// The template uses a capture group the expression does not have.
    #[error("bad template: the expression has no group {0}")]
    NoSuchGroup(String),
    /// A `$` not followed by a group number, `{name}` or another `$`.
    #[error("bad template: $ at character {} must be followed by a group number, {{name}} or $", .0 + 1)]
    LoneDollar(usize),
}

/// The rules of [`ReplyMode::Rules`], checked and compiled; cheap to clone.
#[derive(Debug, Clone)]
pub struct Rules(Arc<[Rule]>);

impl Rules {
    /// Parses each `REGEX => TEMPLATE`: split at the first ` => ` (spaces around it), else at
    /// the first `=>`; spaces around the two halves are dropped.
    ///
    /// # Errors
    /// The first rule that does not compile, or whose template uses escapes or groups wrongly.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Self, RuleError> {
        let rules = specs
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                let spec = spec.as_ref();
                Rule::parse(spec).map_err(|problem| RuleError {
                    number: index + 1,
                    rule: spec.to_owned(),
                    problem,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(rules.into()))
    }

    /// The reply to one line (without its line ending), if a rule matches.
    #[must_use]
    pub fn reply_to(&self, line: &[u8]) -> Option<Vec<u8>> {
        self.0.iter().find_map(|rule| rule.reply_to(line))
    }

    /// How many rules there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none (every line goes unanswered).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One rule: a line that matches `regex` is answered with `template`.
#[derive(Debug, Clone)]
struct Rule {
    /// Matched against each line's bytes.
    regex: Regex,
    /// The reply, with the match's groups filled in.
    template: Vec<Piece>,
}

/// A part of a template.
#[derive(Debug, Clone)]
enum Piece {
    /// Bytes as they are (escapes already turned into bytes).
    Literal(Vec<u8>),
    /// A numbered capture group (`$1`, `${1}`); `$0` is the whole match.
    Group(usize),
    /// A named capture group (`${name}`).
    Named(String),
}

impl Rule {
    fn parse(spec: &str) -> Result<Self, RuleProblem> {
        // The arrow with spaces around it first, so a regex may hold `=>` (`^a=>b$ => yes`).
        let (pattern, template) = spec
            .split_once(" => ")
            .or_else(|| spec.split_once("=>"))
            .ok_or(RuleProblem::NoArrow)?;
        let regex = Regex::new(pattern.trim())?;
        let template = parse_template(template.trim(), &regex)?;
        Ok(Self { regex, template })
    }

    fn reply_to(&self, line: &[u8]) -> Option<Vec<u8>> {
        // A rule is text: a line that is not UTF-8 (telnet's IAC bytes, Latin-1) is matched
        // as its lossy text, each bad byte one U+FFFD, so `^(.*)$` matches every line.
        let text = String::from_utf8_lossy(line);
        let captures = self.regex.captures(text.as_bytes())?;
        let mut out = Vec::new();
        for piece in &self.template {
            match piece {
                Piece::Literal(bytes) => out.extend_from_slice(bytes),
                Piece::Group(index) => {
                    out.extend_from_slice(captures.get(*index).map_or(&[][..], |m| m.as_bytes()));
                }
                Piece::Named(name) => {
                    out.extend_from_slice(captures.name(name).map_or(&[][..], |m| m.as_bytes()));
                }
            }
        }
        Some(out)
    }
}

/// Splits a template into literals and group references, checking each group exists.
fn parse_template(template: &str, regex: &Regex) -> Result<Vec<Piece>, RuleProblem> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = template.char_indices().peekable();
    let flush = |literal: &mut String, pieces: &mut Vec<Piece>| -> Result<(), RuleProblem> {
        if !literal.is_empty() {
            pieces.push(Piece::Literal(unescape(literal)?));
            literal.clear();
        }
        Ok(())
    };
    while let Some((at, c)) = chars.next() {
        if c != '$' {
            literal.push(c);
            continue;
        }
        let reference = match chars.peek() {
            Some((_, '$')) => {
                chars.next();
                literal.push('$');
                continue;
            }
            Some((_, '{')) => {
                chars.next();
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some((_, '}')) => break name,
                        Some((_, c)) => name.push(c),
                        None => return Err(RuleProblem::LoneDollar(at)),
                    }
                }
            }
            Some((_, d)) if d.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                digits
            }
            _ => return Err(RuleProblem::LoneDollar(at)),
        };
        flush(&mut literal, &mut pieces)?;
        let piece = match reference.parse::<usize>() {
            Ok(index) if index < regex.captures_len() => Piece::Group(index),
            Err(_) if regex.capture_names().flatten().any(|n| n == reference) => {
                Piece::Named(reference)
            }
            _ => return Err(RuleProblem::NoSuchGroup(reference)),
        };
        pieces.push(piece);
    }
    flush(&mut literal, &mut pieces)?;
    Ok(pieces)
}

/// The handler of every mode but the seed's greeting.
struct Responder {
    /// Which mode, with its texts or rules.
    mode: ReplyMode,
    /// Rules mode: the start of a line whose end has not arrived yet.
    line: BytesMut,
    /// The peer half-closed: once what it sent is taken, a last line without its newline is
    /// answered as a line.
    end_of_file: bool,
    /// Rules mode: a run of [`MAX_LINE`] was just answered as a line; a newline right after it
    /// ends that line, not an empty one.
    run_answered: bool,
}

impl Responder {
    /// Takes received bytes and queues their replies while the backlog has room.
    fn pump(&mut self, socket: &mut Socket) {
        while socket.bytes_available() > 0 && socket.bytes_left_to_send() < REPLY_BACKLOG {
            // Replies never pass the send-queue limit: the backlog is far below it, and a
            // write it would refuse is one the peer is not reading anyway.
            match &self.mode {
                ReplyMode::Echo => {
                    let chunk = socket.read(REPLY_BACKLOG - socket.bytes_left_to_send());
                    let _ = socket.write(chunk);
                }
                ReplyMode::Fixed { after_data, .. } => {
                    socket.read_all();
                    if let Some(text) = after_data {
                        let _ = socket.write(text.clone());
                    }
                }
                ReplyMode::Rules(rules) => {
                    // No more than completes a run of MAX_LINE: a run without a newline is
                    // answered at exactly 64 KiB, not at whatever the last read brought it to.
                    let chunk = socket.read(MAX_LINE - self.line.len());
                    let rules = rules.clone();
                    self.answer_lines(&rules, &chunk, socket);
                }
                ReplyMode::Greeting(_) | ReplyMode::Silent => {
                    socket.read_all();
                }
            }
        }
        if self.end_of_file
            && socket.bytes_available() == 0
            && !self.line.is_empty()
            && let ReplyMode::Rules(rules) = &self.mode
        {
            let line = self.line.split().freeze();
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if let Some(reply) = rules.reply_to(line) {
                let _ = socket.write(reply);
            }
        }
    }

    /// Rules mode: adds `chunk` to the pending line and answers each complete line.
    fn answer_lines(&mut self, rules: &Rules, chunk: &[u8], socket: &mut Socket) {
        let mut rest = chunk;
        if self.run_answered && !rest.is_empty() {
            self.run_answered = false;
            rest = rest
                .strip_prefix(b"\r\n")
                .or_else(|| rest.strip_prefix(b"\n"))
                .unwrap_or(rest);
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = self.line.split().freeze();
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if let Some(reply) = rules.reply_to(line) {
                let _ = socket.write(reply);
            }
        }
        self.line.extend_from_slice(rest);
        if self.line.len() >= MAX_LINE {
            // A character the run's end cuts in two goes on to the next run, whole: answered
            // here, each half would be one U+FFFD.
            let whole = self.line.len() - cut_character(&self.line);
            let line = self.line.split_to(whole).freeze();
            if let Some(reply) = rules.reply_to(&line) {
                let _ = socket.write(reply);
            }
            self.run_answered = self.line.is_empty();
        }
    }
}

/// How many bytes at the end of `bytes` are the start of a UTF-8 character whose end is not
/// there yet (0 to 3).
fn cut_character(bytes: &[u8]) -> usize {
    // The last byte that is not a continuation byte (`10xxxxxx`) starts the last character.
    let tail = &bytes[bytes.len().saturating_sub(3)..];
    let Some(start) = tail.iter().rposition(|&byte| byte & 0xC0 != 0x80) else {
        return 0;
    };
    let needs = match tail[start] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 0,
    };
    let has = tail.len() - start;
    if has < needs { has } else { 0 }
}

impl SocketHandler for Responder {
    fn connected(&mut self, socket: &mut Socket) {
        if let ReplyMode::Fixed {
            on_connect: Some(text),
            ..
        } = &self.mode
        {
            let _ = socket.write(text.clone());
        }
    }

    fn data_available(&mut self, socket: &mut Socket) {
        self.pump(socket);
    }

    fn end_of_file(&mut self, socket: &mut Socket) {
        self.end_of_file = true;
        self.pump(socket);
    }

    fn send_progress(&mut self, socket: &mut Socket, _sent: u64, _left: u64) -> bool {
        // The backlog shrank: take what waited in the receive buffer.
        self.pump(socket);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(specs: &[&str]) -> Rules {
        Rules::parse(specs).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_first_matching_rule_replies_with_its_captures() {
        let rules = rules(&[
            r"^GET (\S+) => you asked for $1\r\n",
            r"^(?P<verb>[A-Z]+) => ${verb}? $$0 is $0\n",
        ]);
        assert_eq!(
            rules.reply_to(b"GET /index.html HTTP/1.0").as_deref(),
            Some(&b"you asked for /index.html\r\n"[..])
        );
        assert_eq!(
            rules.reply_to(b"PUT x").as_deref(),
            Some(&b"PUT? $0 is PUT\n"[..])
        );
        assert_eq!(rules.reply_to(b"hello"), None);
    }

    #[test]
    fn bad_rules_name_the_rule_and_the_problem() {
        let error = Rules::parse(&["a => b", "^GET (\\S+ => x"]).expect_err("unclosed group");
        assert_eq!(error.number, 2);
        assert!(matches!(error.problem, RuleProblem::Regex(_)), "{error}");
        assert!(error.to_string().starts_with("rule 2 ("), "{error}");
        assert!(
            !error.to_string().contains('\n') && error.to_string().ends_with("unclosed group"),
            "one line, saying what is wrong: {error}"
        );
        let error = Rules::parse(&["^GET (\\S+) => $2"]).expect_err("no group 2");
        assert!(matches!(error.problem, RuleProblem::NoSuchGroup(ref g) if g == "2"));
        let error = Rules::parse(&["x => ${nope}"]).expect_err("no such name");
        assert!(matches!(error.problem, RuleProblem::NoSuchGroup(_)));
        let error = Rules::parse(&["x => \\q"]).expect_err("bad escape");
        assert!(matches!(error.problem, RuleProblem::Escape(_)));
        let error = Rules::parse(&["x => $"]).expect_err("lone dollar");
        assert!(matches!(error.problem, RuleProblem::LoneDollar(0)));
        let error = Rules::parse(&["no arrow"]).expect_err("no arrow");
        assert!(matches!(error.problem, RuleProblem::NoArrow));
        // The rule is quoted as typed, on one line.
        let error = Rules::parse(&["x => \\q\n"]).expect_err("bad escape");
        assert!(
            error.to_string().starts_with(r#"rule 1 ("x => \q\n"): "#),
            "{error}"
        );
    }

    /// A regex may hold `=>` when the rule's arrow has spaces around it; `a=>b` still splits.
    #[test]
    fn a_regex_may_hold_an_arrow() {
        let rules = rules(&[r"^a=>b$ => matched", "x=>y"]);
        assert_eq!(rules.reply_to(b"a=>b").as_deref(), Some(&b"matched"[..]));
        assert_eq!(rules.reply_to(b"x").as_deref(), Some(&b"y"[..]));
    }
}
