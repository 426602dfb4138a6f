//! Headless output that never makes the program wait for whoever reads it.
//!
//! A headless app prints a line per event. If the program reading its stdout stops reading
//! (`| sleep 45`), a plain `write` blocks once the pipe is full, and with it the thread that
//! drains the event channel: the channel fills, every socket task waits to report, nobody is
//! greeted, and even Ctrl-C goes unnoticed. [`Output`] puts lines in a queue bounded by bytes
//! ([`OUTPUT_BUFFER_BYTES`]) that a writer thread of its own empties. When the queue is full the
//! oldest lines are dropped; once output moves again the writer first prints one line saying
//! how many were dropped. The program keeps serving and stops at once when asked.
//!
//! While a pipe's reader keeps up, lines skip the writer thread and go straight into the pipe
//! (only when poll(2) says it has room: never a write that could wait). A second thread waits
//! for the pipe's reader to leave, so `| head` ends the program even when nothing more is
//! printed. At the end, lines a stalled reader never got, or an output that failed (a full
//! disk), are told on stderr.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// How many bytes of lines may wait for a slow reader before the oldest are dropped. One
/// batch the writer already holds (at most as much again) comes on top.
pub const OUTPUT_BUFFER_BYTES: usize = 1024 * 1024;

/// How long [`Output::finish`] (and dropping an [`Output`]) waits for the queue to be written
/// before giving up on a reader that does not read.
pub const FINISH_WAIT: Duration = Duration::from_secs(1);

/// Makes the line that says how many lines were dropped (the JSON or human wording), from their
/// count and the moment the last of them was handed over: the note stands where they stood, so
/// a stamp of that moment keeps the stamps in order (the lines after it were made later; the
/// moment the note is written can be seconds later still).
pub type DroppedLine = Box<dyn Fn(u64, SystemTime) -> String + Send>;

/// The queue between the program and the writer thread.
#[derive(Debug, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts about the writer, all read and changed under one lock"
)]
struct Queue {
    /// Lines waiting, oldest first, each with its newline, and when they were queued.
    lines: VecDeque<(Vec<u8>, SystemTime)>,
    /// Their total size, kept at most [`Output`]'s limit (plus one line larger than it).
    bytes: usize,
    /// Lines dropped since the writer last said so.
    dropped: u64,
    /// When the last of them was queued.
    dropped_at: Option<SystemTime>,
    /// The reader went away (a write failed): further lines are refused.
    reader_gone: bool,
    /// The writer thread holds lines it took and has not finished writing them.
    writing: bool,
    /// Why the output failed, when it was not its reader leaving (a full disk: `> /dev/full`).
    failure: Option<String>,
    /// No more lines will come: the writer ends once the queue is empty.
    finishing: bool,
    /// The writer thread has ended.
    done: bool,
    /// The program stops on an error it has said already (a failed Listen): a reader that
    /// left as well is no news then, and not said.
    stopped_by_error: bool,
}

/// The queue and its wake-up signal, shared with the writer thread.
#[derive(Debug, Default)]
struct Shared {
    /// What waits to be written.
    queue: Mutex<Queue>,
    /// Signalled when lines arrive, when finishing starts, and when the writer ends.
    changed: Condvar,
    /// Wakes whoever waits in [`ReaderGone::wait`] once the reader is gone.
    gone: tokio::sync::Notify,
}

/// Resolves once the reader of an [`Output`] is gone, so a program can stop even when the
/// failed write was its last line, or when the reader closed the pipe while the program had
/// nothing to say (`server-app --headless | head -2` ends when `head` does, not at the next
/// connection).
#[derive(Debug, Clone)]
pub struct ReaderGone(Arc<Shared>);

impl ReaderGone {
    /// Waits until a write to the reader has failed or the pipe's reader has closed it.
    pub async fn wait(&self) {
        loop {
            if self.0.lock().reader_gone {
                return;
            }
            // `notify_one` keeps a permit when nobody waits yet, so no wake-up is lost between
            // the check above and this wait.
            self.0.gone.notified().await;
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reader is gone: refuse further lines, end the writer, tell [`ReaderGone`].
    fn reader_left(&self) {
        self.lock().reader_gone = true;
        self.changed.notify_all();
        self.gone.notify_one();
    }

    /// A write failed: the reader left (a broken pipe), or the output itself failed, which is
    /// kept to be told. Either way no more lines can go out.
    fn write_failed(&self, error: &io::Error) {
        if error.kind() != io::ErrorKind::BrokenPipe {
            self.lock().failure.get_or_insert_with(|| error.to_string());
        }
        self.reader_left();
    }
}

/// A [`Write`] whose lines go out on a thread of their own, through a bounded queue.
///
/// Whatever is written between two flushes is one entry (the [`crate::Printer`] flushes
/// after each line, or after each batch of events); entries are dropped whole, oldest first,
/// and the note counts the lines they held. A write fails with
/// [`io::ErrorKind::BrokenPipe`] once the reader is gone.
pub struct Output {
    /// Shared with the writer thread.
    shared: Arc<Shared>,
    /// The line being written, until the flush that queues it.
    partial: Vec<u8>,
    /// The queue's limit in bytes.
    limit: usize,
    /// The pipe itself, written straight from [`Output::flush`] while it has room and nothing
    /// waits in the queue: no hand-over to the writer thread, whose wake-up on a busy machine
    /// can keep a line from its reader for milliseconds (Linux pipes only).
    direct: Option<std::fs::File>,
    /// Closed when this output goes, which ends the thread watching for the reader to leave
    /// (it holds the pipe open meanwhile).
    watch_stop: Option<io::PipeWriter>,
    /// Written to a regular file, whose lines a failed write takes back ([`WholeLinesFile`]).
    to_file: bool,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Output {
    /// Output to this process's stdout, with `dropped_line` wording the note about dropped lines.
    ///
    /// # Errors
    /// When stdout cannot be duplicated or the writer thread cannot start.
    pub fn stdout(dropped_line: DroppedLine) -> io::Result<Self> {
        // Our own handle on the same pipe, so the writer never holds std's stdout lock (which
        // the exit path tries to take) while it waits on a reader.
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            Self::to_pipe(
                io::stdout().as_fd().try_clone_to_owned()?,
                OUTPUT_BUFFER_BYTES,
                dropped_line,
            )
        }
        #[cfg(not(unix))]
        Self::spawn(io::stdout(), OUTPUT_BUFFER_BYTES, dropped_line)
    }

    /// Output to the file or pipe `fd`, whose closing by its reader [`ReaderGone`] also
    /// watches for.
    ///
    /// # Errors
    /// When `fd` cannot be duplicated or the writer thread cannot start.
    #[cfg(unix)]
    pub fn to_pipe(
        fd: std::os::fd::OwnedFd,
        limit: usize,
        dropped_line: DroppedLine,
    ) -> io::Result<Self> {
        let watched = fd.try_clone()?;
        let pipe = std::fs::File::from(fd);
        let direct = if cfg!(target_os = "linux") && is_pipe(&pipe) {
            Some(pipe.try_clone()?)
        } else {
            None
        };
        let (stopped, stop) = io::pipe()?;
        let to_file = direct.is_none() && is_regular_file(&pipe);
        let mut output = if to_file {
            Self::spawn(WholeLinesFile(pipe), limit, dropped_line)?
        } else if direct.is_some() {
            Self::spawn(WholeLinesPipe(pipe), limit, dropped_line)?
        } else {
            Self::spawn(pipe, limit, dropped_line)?
        };
        output.to_file = to_file;
        output.direct = direct;
        output.watch_stop = Some(stop);
        let shared = Arc::clone(&output.shared);
        // A thread of its own, asleep in poll(2) until the pipe's last reader closes it or
        // this output goes.
        std::thread::Builder::new()
            .name("output-watch".to_owned())
            .spawn(move || {
                if pipe_closed(&watched, &stopped) {
                    shared.reader_left();
                }
            })?;
        Ok(output)
    }

    /// Output to `out`, holding at most `limit` bytes of lines while `out` does not take them.
    ///
    /// # Errors
    /// When the writer thread cannot start.
    pub fn spawn(
        out: impl Write + Send + 'static,
        limit: usize,
        dropped_line: DroppedLine,
    ) -> io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("output".to_owned())
            .spawn(move || write_out(&writer, out, &*dropped_line))?;
        Ok(Self {
            shared,
            partial: Vec::new(),
            limit,
            direct: None,
            watch_stop: None,
            to_file: false,
        })
    }

    /// How many lines wait in the queue or were dropped without the note saying so yet: what
    /// a reader would still miss if the program ended now (besides a batch the writer thread
    /// may be holding).
    #[must_use]
    pub fn unwritten(&self) -> u64 {
        let queue = self.shared.lock();
        queue
            .lines
            .iter()
            .map(|(entry, _)| lines_in(entry))
            .sum::<u64>()
            + queue.dropped
    }

    /// Why the output could not be written, when that was not its reader leaving: a program
    /// stopped by it should not exit as if all went well.
    #[must_use]
    pub fn failure(&self) -> Option<String> {
        self.shared.lock().failure.clone()
    }

    /// The program is stopping on an error it said already (a failed Listen): that is why it
    /// stops, so a reader that left (`| head -1` after the error's line) is not said as well.
    pub fn stopping_on_error(&self) {
        self.shared.lock().stopped_by_error = true;
    }

    /// A handle that resolves once the reader is gone.
    #[must_use]
    pub fn reader_gone(&self) -> ReaderGone {
        ReaderGone(Arc::clone(&self.shared))
    }

    /// Stops taking lines and waits until the queue is written, at most `wait`. Returns whether
    /// everything went out; if not, the writer is left waiting on its reader (the process can
    /// exit without it).
    pub fn finish(&mut self, wait: Duration) -> bool {
        let _ = self.flush();
        let deadline = Instant::now() + wait;
        let mut queue = self.shared.lock();
        queue.finishing = true;
        self.shared.changed.notify_all();
        while !queue.done {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            queue = self
                .shared
                .changed
                .wait_timeout(queue, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.shared.lock().reader_gone {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.partial.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.partial.is_empty() {
            return Ok(());
        }
        let mut line = std::mem::take(&mut self.partial);
        let mut queue = self.shared.lock();
        if queue.reader_gone {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        // Straight to the pipe while the reader keeps up. The queue's lock is held, so the
        // writer thread cannot start on a batch meanwhile and the order of lines holds.
        if let Some(pipe) = &mut self.direct
            && queue.lines.is_empty()
            && queue.dropped == 0
            && !queue.writing
        {
            match write_while_room(pipe, &line) {
                Ok(written) if written == line.len() => {
                    // Kept for the next lines, so a flush every few kilobytes does not grow a
                    // new buffer each time.
                    line.clear();
                    self.partial = line;
                    return Ok(());
                }
                // The rest waits for the writer thread: the reader is slow just now.
                Ok(written) => {
                    line.drain(..written);
                }
                Err(error) => {
                    drop(queue);
                    self.shared.write_failed(&error);
                    return Err(error);
                }
            }
        }
        queue.bytes += line.len();
        queue.lines.push_back((line, SystemTime::now()));
        while queue.bytes > self.limit && queue.lines.len() > 1 {
            if let Some((oldest, queued)) = queue.lines.pop_front() {
                queue.bytes -= oldest.len();
                // An entry is a batch of lines when the program flushed once for several.
                queue.dropped += lines_in(&oldest);
                queue.dropped_at = Some(queued);
            }
        }
        self.shared.changed.notify_all();
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let finished = self.finish(FINISH_WAIT);
        let (reader_gone, stopped_by_error) = {
            let queue = self.shared.lock();
            (queue.reader_gone, queue.stopped_by_error)
        };
        if let Some(failure) = self.failure() {
            // Only a file's lines can be taken back (not a device's: `> /dev/full`).
            let whole = if self.to_file {
                " Every line written ends whole: a line cut by the failure was taken back out \
                 of the file."
            } else {
                ""
            };
            tell_stderr(&format!(
                "The output could not be written ({failure}); the program stopped.{whole}\n"
            ));
        } else if reader_gone && !stopped_by_error {
            // `| head -1`: a normal way to stop, but said, so a program that ends with clients
            // connected does not look as if it crashed or finished its work.
            tell_stderr(
                "Output ended: whoever read it closed the pipe (as `| head` does), so the \
                 program stopped.\n",
            );
        } else if !finished {
            // The reader is there but does not read (`| sleep 60`), and the program stops:
            // what it never got is said where it can still be seen.
            tell_stderr(&format!(
                "At least {} lines of output were never written: whoever reads it stopped \
                 reading, and the program waited {} s for it to read them, no longer.\n",
                self.unwritten(),
                FINISH_WAIT.as_secs()
            ));
        }
        // Closing it ends the thread that watches for the reader to leave.
        drop(self.watch_stop.take());
    }
}

/// Writes `message` (whole lines) to stderr without ever waiting on a stderr that is itself a
/// stalled pipe (`2>&1 | sleep 60`): then it is written only if there is room.
fn tell_stderr(message: &str) {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stderr().as_fd().try_clone_to_owned() {
            let mut stderr = std::fs::File::from(fd);
            if is_pipe(&stderr) {
                let _ = write_while_room(&mut stderr, message.as_bytes());
                return;
            }
        }
    }
    let _ = io::stderr().write_all(message.as_bytes());
}

/// Output to a regular file (`> out.ndjson`) that never ends in half a line: a write that
/// fails part-way (the disk filled up) is taken back, the file cut to where the write began,
/// so every line a reader finds there is whole.
#[cfg(unix)]
struct WholeLinesFile(std::fs::File);

#[cfg(unix)]
impl Write for WholeLinesFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    /// The writer thread writes whole lines at a time through this.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        use std::io::Seek;
        let start = self.0.stream_position();
        self.0.write_all(buf).inspect_err(|_| {
            if let Ok(start) = start {
                let _ = self.0.set_len(start);
                let _ = self.0.seek(io::SeekFrom::Start(start));
            }
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Output to a pipe that never ends in half a line, even when the program stops while its
/// reader has stalled: a write of more than [`PIPE_BUF`] bytes (one long line: a `data` line of
/// 4,096 characters is longer) waits until the pipe has room for all of it, which it then
/// takes whole. A pipe with room for a page but not for the line would take the line's first
/// pages and leave the rest to wait, and a stop meanwhile would leave half a line.
#[cfg(unix)]
struct WholeLinesPipe(std::fs::File);

#[cfg(unix)]
impl Write for WholeLinesPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    /// The writer thread writes whole lines at a time through this (see [`whole_lines`]).
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.len() > PIPE_BUF {
            wait_for_room(&self.0, buf.len());
        }
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// How long to wait before looking again whether a pipe with a page free has been emptied
/// (nothing says when a pipe becomes empty, poll(2) only when a page is free): at first, and
/// at most, the wait doubling in between, so a reader that reads on is followed at once and
/// one that stalled with a page free costs twenty looks a second.
#[cfg(unix)]
const EMPTY_PIPE_LOOKS: (Duration, Duration) =
    (Duration::from_millis(1), Duration::from_millis(50));

/// Waits until `pipe` can take `len` bytes in one write without waiting, which only an empty
/// pipe of at least that size can promise (Linux keeps a pipe's bytes in pages, and one that
/// holds anything may have them spread over all its pages), or until its reader is gone (the
/// write then fails at once, as it should). A pipe smaller than `len` is first made larger,
/// as far as the system lets it (`/proc/sys/fs/pipe-max-size`); when it cannot be, the wait
/// ends once the pipe is empty, and the write may still be cut: no write can keep it whole.
#[cfg(unix)]
fn wait_for_room(pipe: &std::fs::File, len: usize) {
    #[cfg(target_os = "linux")]
    {
        if rustix::pipe::fcntl_getpipe_size(pipe).is_ok_and(|size| size < len) {
            let _ = rustix::pipe::fcntl_setpipe_size(pipe, len);
        }
        let (mut pause, longest) = EMPTY_PIPE_LOOKS;
        loop {
            // Blocks while no page is free: a reader that stalled for good keeps this thread
            // here, and the program can end without it.
            if !wait_for_a_free_page(pipe) {
                return;
            }
            if rustix::io::ioctl_fionread(pipe) == Ok(0) {
                return;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(longest);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (pipe, len);
}

/// Waits until a page of `pipe` is free (true), or its reader is gone or it cannot be watched
/// (false).
#[cfg(target_os = "linux")]
fn wait_for_a_free_page(pipe: &std::fs::File) -> bool {
    use rustix::event::PollFlags;
    let events = poll_for_room(pipe, None);
    events.contains(PollFlags::OUT) && !events.intersects(PollFlags::ERR | PollFlags::HUP)
}

/// Whether `file` is a regular file (stdout redirected to one), which [`WholeLinesFile`] can
/// cut back; a terminal, a socket or a device cannot be.
#[cfg(unix)]
fn is_regular_file(file: &std::fs::File) -> bool {
    file.metadata().is_ok_and(|meta| meta.is_file())
}

/// The most bytes a pipe takes in one write without splitting or blocking, given room for
/// them (POSIX `PIPE_BUF`; 4096 on Linux).
const PIPE_BUF: usize = 4096;

/// Whether `file` is a pipe (or FIFO): a terminal or a socket stays with the writer thread.
#[cfg(unix)]
fn is_pipe(file: &std::fs::File) -> bool {
    use std::os::unix::fs::FileTypeExt;
    file.metadata().is_ok_and(|meta| meta.file_type().is_fifo())
}

/// Writes whole lines of `bytes` to `pipe` while it has room for them, never waiting for its
/// reader, and returns how much was written: the rest (or a line longer than the room) is
/// left to the writer thread.
///
/// While the reader keeps up the pipe is empty when lines come, and then everything up to the
/// pipe's size goes in one write (a batch of a burst is a few pages): one wake-up of the
/// reader, not one a page. Otherwise each write is whole lines of at most [`PIPE_BUF`]
/// bytes, after poll(2) says a page is free. Either way the pipe has room for the whole
/// write, so it never waits and is taken whole, and a program that ends while its reader has
/// stalled leaves whole lines in the pipe, never half of one.
///
/// # Errors
/// When the write fails: the reader is gone, or the output itself failed.
fn write_while_room(pipe: &mut std::fs::File, bytes: &[u8]) -> io::Result<usize> {
    let mut written = 0;
    while written < bytes.len() {
        let rest = &bytes[written..];
        let room = room_in(pipe);
        let chunk = whole_lines_within(rest, room);
        if chunk > room {
            break;
        }
        match pipe.write(&rest[..chunk]) {
            Ok(count) => written += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(written)
}

/// How many bytes of `bytes` the writer thread's next write takes: whole lines, at most
/// [`PIPE_BUF`] of them, or one longer line alone (see [`whole_lines_within`]).
fn whole_lines(bytes: &[u8]) -> usize {
    whole_lines_within(bytes, PIPE_BUF)
}

/// How many bytes of `bytes` the next write takes: whole lines, at most `room` bytes of them
/// (everything when it is that short), or one line alone when it is longer. A pipe with room
/// for a write takes it whole, so a program that ends while its reader has stalled leaves
/// whole lines in the pipe, never half of one (a line longer than the room waits for an empty
/// pipe: see [`WholeLinesPipe`]).
fn whole_lines_within(bytes: &[u8], room: usize) -> usize {
    if bytes.len() <= room {
        return bytes.len();
    }
    match bytes[..room].iter().rposition(|&byte| byte == b'\n') {
        Some(newline) => newline + 1,
        None => bytes
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(bytes.len(), |newline| newline + 1),
    }
}

/// How many bytes a write to `pipe` can take now without waiting: the pipe's whole size when
/// it is empty (Linux keeps a pipe's bytes in pages, and an empty pipe has all of them free);
/// [`PIPE_BUF`] when poll(2) says a page is free, or that the reader is gone (the write then
/// fails at once, which is how the program hears of it); else nothing.
#[cfg(unix)]
fn room_in(pipe: &std::fs::File) -> usize {
    #[cfg(target_os = "linux")]
    if rustix::io::ioctl_fionread(pipe) == Ok(0)
        && let Ok(size) = rustix::pipe::fcntl_getpipe_size(pipe)
    {
        return size;
    }
    if has_room(pipe) { PIPE_BUF } else { 0 }
}

#[cfg(not(unix))]
fn room_in(_: &std::fs::File) -> usize {
    0
}

/// Whether a write of up to [`PIPE_BUF`] bytes to `pipe` would go through without waiting
/// (Linux reports a pipe writable while a page of it is free), or would fail at once because
/// its reader is gone.
#[cfg(unix)]
fn has_room(pipe: &std::fs::File) -> bool {
    use rustix::event::{PollFlags, Timespec};
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    poll_for_room(pipe, Some(&now)).intersects(PollFlags::OUT | PollFlags::ERR)
}

/// What poll(2) says of writing to `pipe`, waiting at most `wait` (`None`: until it says
/// something); nothing when it cannot be watched.
#[cfg(unix)]
fn poll_for_room(
    pipe: &std::fs::File,
    wait: Option<&rustix::event::Timespec>,
) -> rustix::event::PollFlags {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut watched = [PollFd::new(pipe, PollFlags::OUT)];
    loop {
        match poll(&mut watched, wait) {
            Ok(_) => return watched[0].revents(),
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return PollFlags::empty(),
        }
    }
}

/// Waits until `fd`'s reader has closed it (true), or until `stop`'s other end is closed or
/// `fd` cannot be watched (false).
///
/// A pipe's write end reports an error once no reader is left (Linux, the BSDs, macOS); a
/// terminal reports a hang-up. A regular file reports neither, and only `stop` ends the wait.
#[cfg(unix)]
fn pipe_closed(fd: &std::os::fd::OwnedFd, stop: &io::PipeReader) -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    // Asking for no events still hears of errors and hang-ups, never of room to write.
    let mut watched = [
        PollFd::new(fd, PollFlags::empty()),
        PollFd::new(stop, PollFlags::IN),
    ];
    loop {
        match poll(&mut watched, None) {
            Ok(_) if !watched[1].revents().is_empty() => return false,
            Ok(_) => {
                return watched[0]
                    .revents()
                    .intersects(PollFlags::ERR | PollFlags::HUP);
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return false,
        }
    }
}

/// How many lines an entry holds (each ends with a newline; a last one without counts too).
fn lines_in(entry: &[u8]) -> u64 {
    // A few lines a batch, counted once when dropped: no call for a counting crate.
    #[allow(clippy::naive_bytecount)]
    let newlines = entry.iter().filter(|&&byte| byte == b'\n').count();
    let unterminated = usize::from(entry.last().is_some_and(|&byte| byte != b'\n'));
    (newlines + unterminated) as u64
}

/// The writer thread: takes what is queued and writes it, saying first how many lines were
/// dropped since last time. Ends when finishing and empty, or when the reader is gone.
fn write_out(
    shared: &Shared,
    mut out: impl Write,
    dropped_line: &dyn Fn(u64, SystemTime) -> String,
) {
    loop {
        let (lines, dropped, dropped_at) = {
            let mut queue = shared.lock();
            while queue.lines.is_empty()
                && queue.dropped == 0
                && !queue.finishing
                && !queue.reader_gone
            {
                queue = shared
                    .changed
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            // The reader closing the pipe is seen by [`ReaderGone`] before any write fails.
            if queue.reader_gone || (queue.lines.is_empty() && queue.dropped == 0) {
                break;
            }
            queue.bytes = 0;
            queue.writing = true;
            (
                std::mem::take(&mut queue.lines),
                std::mem::take(&mut queue.dropped),
                queue.dropped_at.take(),
            )
        };
        let mut written = Ok(());
        if dropped > 0 {
            // One write, as the lines below: `writeln!` would write its pieces one by one.
            let at = dropped_at.unwrap_or_else(SystemTime::now);
            written = out.write_all(format!("{}\n", dropped_line(dropped, at)).as_bytes());
        }
        // A few writes for everything taken, not one a line: under a flood of events the
        // writes to the pipe, not the lines, are what costs. Each is whole lines of at most
        // PIPE_BUF bytes (see `whole_lines`): the program may end while this thread waits in
        // a write, and what the pipe then holds must not end in half a line.
        if written.is_ok() {
            let mut batch = Vec::with_capacity(lines.iter().map(|(line, _)| line.len()).sum());
            for (line, _) in &lines {
                batch.extend_from_slice(line);
            }
            let mut rest = &batch[..];
            while written.is_ok() && !rest.is_empty() {
                let (chunk, after) = rest.split_at(whole_lines(rest));
                written = out.write_all(chunk);
                rest = after;
            }
        }
        if let Err(error) = written.and_then(|()| out.flush()) {
            shared.write_failed(&error);
            break;
        }
        shared.lock().writing = false;
    }
    shared.lock().done = true;
    shared.changed.notify_all();
}

#[cfg(test)]
mod tests;
