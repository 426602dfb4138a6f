//! The little language a lesson's steps are written in: when a step is done, and what a
//! question's answer is, as expressions over what the sockets did.
//!
//! ```text
//! event listening                                  a `listening` event arrived during this step
//! connected == max and accept_queue.waiting >= 2   live values of the server
//! client.event error(code = 102, message ~ "refused")   on the client's side, text contains
//! count(connected) >= 5                            events during this step
//! total(client.error(code = 102))                  events since the lesson began
//! count(connected) + count(error) >= 20            sums and differences of numbers
//! ```
//!
//! Values are numbers, text or yes/no; `and`, `or`, `not` and parentheses combine them. A name
//! is a live value of one side (see [`Observed::value`]); `client.` before it reads the client.

use serde_json::Value;

use crate::observed::{Kind, Observed, Side};
pub use crate::outcome::Outcome;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number as written.
    Number(f64),
    /// Text in double quotes.
    Text(String),
    /// A live value of one side, e.g. `accept_queue.waiting`.
    Value(Side, String),
    /// `event NAME(...)`: at least one matching event during this step.
    Event(Pattern),
    /// `count(NAME(...))`: matching events during this step.
    Count(Pattern),
    /// `total(NAME(...))`: matching events since the lesson began.
    Total(Pattern),
    /// `not X`.
    Not(Box<Expr>),
    /// `X and Y`.
    And(Box<Expr>, Box<Expr>),
    /// `X or Y`.
    Or(Box<Expr>, Box<Expr>),
    /// `X op Y`.
    Compare(Box<Expr>, Op, Box<Expr>),
    /// `X + Y` (`negate` false) or `X - Y`.
    Sum(Box<Expr>, bool, Box<Expr>),
}

/// Which events a pattern matches: a side, an event name and field tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// Whose events.
    pub side: Side,
    /// The JSON `event` name (`connected`, `error`, `accept_queue` …).
    pub event: String,
    /// Field tests, all of which must hold.
    pub fields: Vec<FieldTest>,
}

/// One `field op literal` inside a pattern's parentheses.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTest {
    /// The JSON field.
    pub field: String,
    /// How to compare (`~` means "contains", ignoring case).
    pub op: Op,
    /// What to compare with.
    pub literal: Literal,
}

/// A number or text in a pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `~`: text contains, ignoring case.
    Contains,
}

/// How deep parentheses and `not` may nest in one condition. The parser reads them by
/// recursion, so without a bound a lesson file of `((((…` a few KiB long overflows the stack
/// and aborts the program that loads it; real conditions nest two or three deep.
pub const MAX_NESTING: usize = 32;

/// How many operators may stand inside one another in a condition's tree (`a and b and c …`
/// is a chain as deep as it is long). Evaluating and dropping a condition recurse over its
/// tree, so a 1 MiB file of `a and a and …` would overflow the stack there as `((((…` does in
/// the parser.
pub const MAX_DEPTH: usize = 128;

/// A condition that could not be read: what was expected, where in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {at} of \"{}\")", excerpt(text, *at))]
pub struct ConditionError {
    /// What is wrong, in plain words.
    pub message: String,
    /// The character position, from 1.
    pub at: usize,
    /// The whole condition.
    pub text: String,
}

/// How many characters of a condition an error quotes: a line of words, not a file's worth
/// (a broken condition may be a few KiB of `((((…`).
const QUOTED_CHARS: usize = 60;

/// `text`, or for a long one the part around character `at` (from 1), with `…` where it was
/// cut.
fn excerpt(text: &str, at: usize) -> String {
    let length = text.chars().count();
    if length <= QUOTED_CHARS {
        return text.to_owned();
    }
    let start = at
        .saturating_sub(QUOTED_CHARS * 2 / 3)
        .min(length - QUOTED_CHARS);
    let shown: String = text.chars().skip(start).take(QUOTED_CHARS).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if start + QUOTED_CHARS < length {
        "…"
    } else {
        ""
    };
    format!("{before}{shown}{after}")
}

/// What the evaluator reads: the live values of both sides and the events so far.
pub trait Facts {
    /// The live state of one side.
    fn observed(&self, side: Side) -> &Observed;
    /// How many events match `pattern`, during this step (`whole_lesson` false) or since the
    /// lesson began.
    fn count(&self, pattern: &Pattern, whole_lesson: bool) -> usize;
}

impl Expr {
    /// Reads an expression whose names without `client.` or `server.` are the server's.
    ///
    /// # Errors
    /// Names what is wrong and where.
    pub fn parse(text: &str) -> Result<Expr, ConditionError> {
        Expr::parse_for(text, Side::Server)
    }

    /// Reads an expression whose names without `client.` or `server.` are `side`'s (the side
    /// of the step it belongs to).
    ///
    /// # Errors
    /// Names what is wrong and where.
    pub fn parse_for(text: &str, side: Side) -> Result<Expr, ConditionError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            text,
            side,
            nesting: 0,
        };
        let expr = parser.or()?;
        match parser.peek() {
            None => Ok(expr),
            Some(token) => Err(parser.error_at(token.at, "expected `and`, `or` or the end")),
        }
    }

    /// Evaluates the expression against what happened.
    #[must_use]
    pub fn eval(&self, facts: &dyn Facts) -> Outcome {
        match self {
            Expr::Number(number) => Outcome::Number(*number),
            Expr::Text(text) => Outcome::Text(text.clone()),
            Expr::Value(side, name) => facts.observed(*side).value(name),
            Expr::Event(pattern) => Outcome::Bool(facts.count(pattern, false) > 0),
            Expr::Count(pattern) => Outcome::Number(count_as_number(facts.count(pattern, false))),
            Expr::Total(pattern) => Outcome::Number(count_as_number(facts.count(pattern, true))),
            Expr::Not(inner) => Outcome::Bool(!inner.eval(facts).holds()),
            Expr::And(left, right) => {
                Outcome::Bool(left.eval(facts).holds() && right.eval(facts).holds())
            }
            Expr::Or(left, right) => {
                Outcome::Bool(left.eval(facts).holds() || right.eval(facts).holds())
            }
            Expr::Compare(left, op, right) => {
                match compare(&left.eval(facts), *op, &right.eval(facts)) {
                    Some(yes) => Outcome::Bool(yes),
                    None => Outcome::Unknown,
                }
            }
            Expr::Sum(left, negate, right) => match (left.eval(facts), right.eval(facts)) {
                (Outcome::Number(a), Outcome::Number(b)) => {
                    Outcome::Number(if *negate { a - b } else { a + b })
                }
                _ => Outcome::Unknown,
            },
        }
    }

    /// How many nodes deep the tree is: 1 for a value. Recursive, so only ever called on a
    /// tree the parser already bounded by [`MAX_DEPTH`].
    fn depth(&self) -> usize {
        match self {
            Expr::Not(inner) => inner.depth() + 1,
            Expr::And(left, right)
            | Expr::Or(left, right)
            | Expr::Compare(left, _, right)
            | Expr::Sum(left, _, right) => left.depth().max(right.depth()) + 1,
            Expr::Number(_)
            | Expr::Text(_)
            | Expr::Value(..)
            | Expr::Event(_)
            | Expr::Count(_)
            | Expr::Total(_) => 1,
        }
    }

    /// What kind of value the expression gives, from its top node alone (its operands were
    /// checked when it was built).
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Expr::Number(_) | Expr::Count(_) | Expr::Total(_) | Expr::Sum(..) => Kind::Number,
            Expr::Text(_) => Kind::Text,
            Expr::Value(_, name) => Kind::of_value(name),
            Expr::Event(_) | Expr::Not(_) | Expr::And(..) | Expr::Or(..) | Expr::Compare(..) => {
                Kind::YesNo
            }
        }
    }

    /// The patterns the expression counts over the whole lesson (`total(…)`), which a run
    /// counts from its start.
    pub fn totals<'a>(&'a self, patterns: &mut Vec<&'a Pattern>) {
        match self {
            Expr::Total(pattern) => patterns.push(pattern),
            Expr::Not(inner) => inner.totals(patterns),
            Expr::And(left, right)
            | Expr::Or(left, right)
            | Expr::Compare(left, _, right)
            | Expr::Sum(left, _, right) => {
                left.totals(patterns);
                right.totals(patterns);
            }
            Expr::Number(_) | Expr::Text(_) | Expr::Value(..) | Expr::Event(_) | Expr::Count(_) => {
            }
        }
    }

    /// Every live-value name the expression reads, so a lesson file naming one that does not
    /// exist is refused when it loads, not when a learner reaches the step.
    pub fn value_names(&self, names: &mut Vec<String>) {
        match self {
            Expr::Value(_, name) => names.push(name.clone()),
            Expr::Not(inner) => inner.value_names(names),
            Expr::And(left, right)
            | Expr::Or(left, right)
            | Expr::Compare(left, _, right)
            | Expr::Sum(left, _, right) => {
                left.value_names(names);
                right.value_names(names);
            }
            Expr::Number(_) | Expr::Text(_) | Expr::Event(_) | Expr::Count(_) | Expr::Total(_) => {}
        }
    }
}

/// Event counts are small; f64 holds them exactly up to 2^53.
#[allow(clippy::cast_precision_loss)]
fn count_as_number(count: usize) -> f64 {
    count as f64
}

impl Pattern {
    /// True when `record` (a JSON event line) is this pattern's event with matching fields.
    #[must_use]
    pub fn matches(&self, record: &Value) -> bool {
        record.get("event").and_then(Value::as_str) == Some(self.event.as_str())
            && self.fields.iter().all(|test| {
                let Some(value) = record.get(&test.field) else {
                    return false;
                };
                let actual = match value {
                    Value::Number(number) => {
                        number.as_f64().map_or(Outcome::Unknown, Outcome::Number)
                    }
                    Value::String(text) => Outcome::Text(text.clone()),
                    Value::Bool(yes) => Outcome::Bool(*yes),
                    _ => Outcome::Unknown,
                };
                let expected = match &test.literal {
                    Literal::Number(number) => Outcome::Number(*number),
                    Literal::Text(text) => Outcome::Text(text.clone()),
                };
                compare(&actual, test.op, &expected) == Some(true)
            })
    }
}

/// `left op right`, or `None` when the two cannot be compared (a value not known yet).
fn compare(left: &Outcome, op: Op, right: &Outcome) -> Option<bool> {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Outcome::Number(a), Outcome::Number(b)) => a.partial_cmp(b)?,
        (Outcome::Text(a), Outcome::Text(b)) if op == Op::Contains => {
            return Some(a.to_lowercase().contains(&b.to_lowercase()));
        }
        (Outcome::Text(a), Outcome::Text(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Outcome::Bool(a), Outcome::Bool(b)) => a.cmp(b),
        // A number typed as an answer against a computed number, and so on.
        (Outcome::Text(text), Outcome::Number(number))
        | (Outcome::Number(number), Outcome::Text(text)) => {
            let parsed: f64 = text.trim().parse().ok()?;
            let (a, b) = if matches!(left, Outcome::Number(_)) {
                (*number, parsed)
            } else {
                (parsed, *number)
            };
            a.partial_cmp(&b)?
        }
        _ => return None,
    };
    Some(match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Contains => return None,
    })
}

/// One piece of a condition's text.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Number(f64),
    Text(String),
    Op(Op),
    Open,
    Close,
    Comma,
    Assign,
    Plus,
    Minus,
}

/// A token and where it starts (a character position, from 1).
#[derive(Debug, Clone)]
struct Placed {
    token: Token,
    at: usize,
}

fn tokenize(text: &str) -> Result<Vec<Placed>, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let error = |message: &str, at: usize| ConditionError {
        message: message.to_owned(),
        at: at + 1,
        text: text.to_owned(),
    };
    while i < chars.len() {
        let c = chars[i];
        let at = i;
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let (token, width) = match (c, two.as_str()) {
            (c, _) if c.is_whitespace() => {
                i += 1;
                continue;
            }
            (_, "==") => (Token::Op(Op::Eq), 2),
            (_, "!=") => (Token::Op(Op::Ne), 2),
            (_, "<=") => (Token::Op(Op::Le), 2),
            (_, ">=") => (Token::Op(Op::Ge), 2),
            ('<', _) => (Token::Op(Op::Lt), 1),
            ('>', _) => (Token::Op(Op::Gt), 1),
            ('~', _) => (Token::Op(Op::Contains), 1),
            ('=', _) => (Token::Assign, 1),
            ('(', _) => (Token::Open, 1),
            ('+', _) => (Token::Plus, 1),
            ('-', _) => (Token::Minus, 1),
            (')', _) => (Token::Close, 1),
            (',', _) => (Token::Comma, 1),
            ('"', _) => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .ok_or_else(|| error("text in quotes is not closed", at))?;
                let quoted: String = chars[i + 1..i + 1 + end].iter().collect();
                (Token::Text(quoted), end + 2)
            }
            (c, _) if c.is_ascii_digit() => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit() || **c == '.')
                    .count();
                let digits: String = chars[i..i + len].iter().collect();
                let number = digits
                    .parse()
                    .map_err(|_| error(&format!("`{digits}` is not a number"), at))?;
                (Token::Number(number), len)
            }
            (c, _) if c.is_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '.')
                    .count();
                (Token::Word(chars[i..i + len].iter().collect()), len)
            }
            (c, _) => return Err(error(&format!("unexpected `{c}`"), at)),
        };
        tokens.push(Placed { token, at: at + 1 });
        i += width;
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Placed>,
    next: usize,
    text: &'a str,
    /// Whose values and events a name without a side prefix means.
    side: Side,
    /// How many parentheses and `not`s the parser is inside now (at most [`MAX_NESTING`]).
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Placed> {
        self.tokens.get(self.next)
    }

    fn take(&mut self) -> Option<Placed> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn end_position(&self) -> usize {
        self.text.chars().count() + 1
    }

    fn error_at(&self, at: usize, message: &str) -> ConditionError {
        ConditionError {
            message: message.to_owned(),
            at,
            text: self.text.to_owned(),
        }
    }

    /// Where the next token starts (the end when there is none).
    fn at(&self) -> usize {
        self.peek()
            .map_or_else(|| self.end_position(), |placed| placed.at)
    }

    /// One more parenthesis or `not` at `at`, refused past [`MAX_NESTING`].
    fn enter(&mut self, at: usize) -> Result<(), ConditionError> {
        if self.nesting >= MAX_NESTING {
            return Err(self.error_at(
                at,
                &format!("nested more than {MAX_NESTING} deep (parentheses and `not`)"),
            ));
        }
        self.nesting += 1;
        Ok(())
    }

    /// `expr`, just built from its operator at `at`, unless its tree is deeper than
    /// [`MAX_DEPTH`]. Its operands were bounded when they were built, so measuring it
    /// recurses at most that deep.
    fn bounded(&self, expr: Expr, at: usize) -> Result<Expr, ConditionError> {
        if expr.depth() > MAX_DEPTH {
            return Err(self.error_at(
                at,
                &format!(
                    "nested more than {MAX_DEPTH} deep (each `and`, `or`, `not`, comparison, \
                     `+` and `-` holds those before it): split it over several steps"
                ),
            ));
        }
        Ok(expr)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Placed { token: Token::Word(w), .. }) if w == word)
    }

    fn expect(&mut self, expected: &Token, what: &str) -> Result<(), ConditionError> {
        match self.take() {
            Some(placed) if &placed.token == expected => Ok(()),
            Some(placed) => Err(self.error_at(placed.at, &format!("expected {what}"))),
            None => Err(self.error_at(self.end_position(), &format!("expected {what}"))),
        }
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        self.joined("or", Self::and, Expr::Or)
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        self.joined("and", Self::comparison, Expr::And)
    }

    /// `operand (word operand)*`, joined from the left: `a or b or c` is `(a or b) or c`.
    fn joined(
        &mut self,
        word: &str,
        operand: fn(&mut Self) -> Result<Expr, ConditionError>,
        join: fn(Box<Expr>, Box<Expr>) -> Expr,
    ) -> Result<Expr, ConditionError> {
        let mut left = operand(self)?;
        while let Some(at) = self.is_word(word).then(|| self.at()) {
            self.next += 1;
            let right = operand(self)?;
            // `count(connected) and 1`: a number joined as if it were a condition held (or
            // not) without saying what it means.
            if let Some(kind) = [left.kind(), right.kind()]
                .into_iter()
                .find(|kind| *kind != Kind::YesNo)
            {
                return Err(self.error_at(
                    at,
                    &format!(
                        "`{word}` joins conditions (yes or no), not {}: compare it \
                         (`count(connected) >= 1`)",
                        kind.words()
                    ),
                ));
            }
            left = self.bounded(join(Box::new(left), Box::new(right)), at)?;
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, ConditionError> {
        let left = self.sum()?;
        if let Some(Placed {
            token: Token::Op(op),
            at,
        }) = self.peek().cloned()
        {
            if op == Op::Contains {
                return Err(self.error_at(at, "`~` only works inside an event's parentheses"));
            }
            self.next += 1;
            let right = self.sum()?;
            // Yes/no against a number or text, or a number against text (`port == "abc"`), is
            // never equal nor ordered: a condition that could never hold.
            let kinds = (left.kind(), right.kind());
            // A number written in quotes is compared as a number (`port == "2002"`).
            let quoted_number = |expr: &Expr| matches!(expr, Expr::Text(text) if text.trim().parse::<f64>().is_ok());
            let number_and_quoted_number = match kinds {
                (Kind::Number, Kind::Text) => quoted_number(&right),
                (Kind::Text, Kind::Number) => quoted_number(&left),
                _ => false,
            };
            if kinds.0 != kinds.1 && !number_and_quoted_number {
                return Err(self.error_at(
                    at,
                    &format!(
                        "this compares {} with {}, which can never hold (a yes/no stands alone: \
                         `listening`, `not listening`; a number is written bare: `port == 2002`)",
                        kinds.0.words(),
                        kinds.1.words()
                    ),
                ));
            }
            return self.bounded(Expr::Compare(Box::new(left), op, Box::new(right)), at);
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, ConditionError> {
        let mut left = self.term()?;
        loop {
            let negate = match self.peek() {
                Some(Placed {
                    token: Token::Plus, ..
                }) => false,
                Some(Placed {
                    token: Token::Minus,
                    ..
                }) => true,
                _ => return Ok(left),
            };
            let at = self.at();
            self.next += 1;
            let right = self.term()?;
            if let Some(kind) = [left.kind(), right.kind()]
                .into_iter()
                .find(|kind| *kind != Kind::Number)
            {
                return Err(self.error_at(
                    at,
                    &format!(
                        "`{}` takes numbers, not {}",
                        if negate { "-" } else { "+" },
                        kind.words()
                    ),
                ));
            }
            left = self.bounded(Expr::Sum(Box::new(left), negate, Box::new(right)), at)?;
        }
    }

    fn term(&mut self) -> Result<Expr, ConditionError> {
        let end = self.end_position();
        let Some(placed) = self.take() else {
            return Err(self.error_at(end, "expected a value, `event …` or `(`"));
        };
        match placed.token {
            Token::Number(number) => Ok(Expr::Number(number)),
            Token::Text(text) => Ok(Expr::Text(text)),
            Token::Open => {
                self.enter(placed.at)?;
                let inner = self.or()?;
                self.expect(&Token::Close, "`)`")?;
                self.nesting -= 1;
                Ok(inner)
            }
            Token::Word(word) => match word.as_str() {
                "not" => {
                    self.enter(placed.at)?;
                    let inner = self.comparison()?;
                    self.nesting -= 1;
                    if inner.kind() != Kind::YesNo {
                        return Err(self.error_at(
                            placed.at,
                            &format!(
                                "`not` takes a condition (yes or no), not {}",
                                inner.kind().words()
                            ),
                        ));
                    }
                    self.bounded(Expr::Not(Box::new(inner)), placed.at)
                }
                "event" | "client.event" | "server.event" => {
                    let side = self.side_of(&word).0;
                    Ok(Expr::Event(self.pattern(Some(side))?))
                }
                "count" | "total" => {
                    self.expect(&Token::Open, "`(` after count/total")?;
                    let pattern = self.pattern(None)?;
                    self.expect(&Token::Close, "`)`")?;
                    Ok(if word == "count" {
                        Expr::Count(pattern)
                    } else {
                        Expr::Total(pattern)
                    })
                }
                "and" | "or" => Err(self.error_at(placed.at, "expected a value before this")),
                name => {
                    let (side, name) = self.side_of(name);
                    Ok(Expr::Value(side, name.to_owned()))
                }
            },
            _ => Err(self.error_at(placed.at, "expected a value, `event …` or `(`")),
        }
    }

    /// `NAME` or `NAME(field op literal, …)`; `client.NAME` unless the side is already given.
    fn pattern(&mut self, side: Option<Side>) -> Result<Pattern, ConditionError> {
        let end = self.end_position();
        let (name, at) = match self.take() {
            Some(Placed {
                token: Token::Word(name),
                at,
            }) => (name, at),
            Some(placed) => return Err(self.error_at(placed.at, "expected an event name")),
            None => return Err(self.error_at(end, "expected an event name")),
        };
        let (named_side, event) = self.side_of(&name);
        if side.is_some() && event != name {
            return Err(self.error_at(at, "write `client.event NAME`, not `event client.NAME`"));
        }
        if !crate::observed::is_event_name(event) {
            return Err(self.error_at(
                at,
                &format!(
                    "no event is called `{event}`; the events are: {}, {}",
                    serversocket_report::EVENT_NAMES.join(", "),
                    crate::observed::stream_events::ALL.join(", ")
                ),
            ));
        }
        let mut fields = Vec::new();
        if matches!(
            self.peek(),
            Some(Placed {
                token: Token::Open,
                ..
            })
        ) {
            self.next += 1;
            loop {
                let field = match self.take() {
                    Some(Placed {
                        token: Token::Word(field),
                        ..
                    }) => field,
                    Some(placed) => return Err(self.error_at(placed.at, "expected a field name")),
                    None => return Err(self.error_at(end, "expected a field name")),
                };
                let op = match self.take() {
                    Some(Placed {
                        token: Token::Assign,
                        ..
                    }) => Op::Eq,
                    Some(Placed {
                        token: Token::Op(op),
                        ..
                    }) => op,
                    Some(placed) => {
                        return Err(self.error_at(placed.at, "expected `=`, `~` or a comparison"));
                    }
                    None => return Err(self.error_at(end, "expected `=`")),
                };
                let literal = match self.take() {
                    Some(Placed {
                        token: Token::Number(number),
                        ..
                    }) => Literal::Number(number),
                    Some(Placed {
                        token: Token::Text(text),
                        ..
                    }) => Literal::Text(text),
                    Some(placed) => {
                        return Err(self.error_at(placed.at, "expected a number or \"text\""));
                    }
                    None => return Err(self.error_at(end, "expected a number or \"text\"")),
                };
                fields.push(FieldTest { field, op, literal });
                match self.take() {
                    Some(Placed {
                        token: Token::Comma,
                        ..
                    }) => {}
                    Some(Placed {
                        token: Token::Close,
                        ..
                    }) => break,
                    Some(placed) => return Err(self.error_at(placed.at, "expected `,` or `)`")),
                    None => return Err(self.error_at(end, "expected `)`")),
                }
            }
        }
        Ok(Pattern {
            side: side.unwrap_or(named_side),
            event: event.to_owned(),
            fields,
        })
    }
}

impl Parser<'_> {
    /// `client.connected` → (Client, "connected"), `server.x` → (Server, "x"); a name
    /// without a prefix is the parser's side.
    fn side_of<'n>(&self, name: &'n str) -> (Side, &'n str) {
        if let Some(rest) = name.strip_prefix("client.") {
            (Side::Client, rest)
        } else if let Some(rest) = name.strip_prefix("server.") {
            (Side::Server, rest)
        } else {
            (self.side, name)
        }
    }
}

#[cfg(test)]
mod tests;
